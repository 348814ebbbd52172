"""The demo's notifications: what the events of its history and its daily jobs would have
told people, with the older ones already read and not to be mailed again.

The history (deals decided, credentials earned) notified people as the demo made it; this
step adds what the daily jobs find on the demo's day (certifications and deals about to
expire, a tier requirement about to break, onboarding not started or stalled, promotions
due, program terms not accepted) and what a new version of an asset told those with an old
copy. Then everything older than a week counts as read and mailed long ago: a new demo's
inbox holds this week's news, and its worker mails only those.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from lms.assets.notices import version_added
from lms.clock import local_date, program_zone
from lms.courses.notices import nudge_learners
from lms.deals.notices import warn_expiring
from lms.extensions import db
from lms.models import Asset, AssetVersion, MailState, Notification
from lms.notifications.service import remind_expiring_credentials
from lms.terms.notices import remind_to_accept
from lms.tiers.notices import lapses_ahead, promotions_due

RECENT = timedelta(days=7)
NEW_VERSIONS_WITHIN = timedelta(days=45)


def seed_inbox(now: datetime) -> int:
    """Notify as the daily jobs would on the demo's day; settle the older ones. How many
    notifications there are now."""
    for asset, version in db.session.execute(
            select(Asset, AssetVersion).join(AssetVersion, (AssetVersion.asset_id == Asset.id)
                                             & (AssetVersion.number == Asset.current_version))
            .where(Asset.current_version > 1,
                   AssetVersion.created_at >= now - NEW_VERSIONS_WITHIN)).all():
        version_added(asset, version, version.created_at)
    remind_expiring_credentials(now)
    lapses_ahead(now)
    warn_expiring(now)
    promotions_due(now)
    nudge_learners(now)
    remind_to_accept(local_date(now, program_zone()), now)
    db.session.flush()
    db.session.execute(update(Notification).where(Notification.created_at < now - RECENT)
                       .values(read_at=Notification.created_at, mail_state=MailState.NONE,
                               mail_next_at=None))
    return len(db.session.scalars(select(Notification.id)).all())
