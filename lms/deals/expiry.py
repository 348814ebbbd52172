"""Open registrations expire LMS_DEAL_EXPIRY_DAYS (90 by default) after they were made."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from lms.database import start_write_transaction
from lms.deals.rules import CHUNK, OPEN_STATUSES
from lms.extensions import db
from lms.models import Deal, DealEvent, DealStatus, utcnow

DEFAULT_EXPIRY_DAYS = 90


def expiry_days() -> int:
    return int(current_app.config.get("LMS_DEAL_EXPIRY_DAYS", DEFAULT_EXPIRY_DAYS))


def is_overdue(deal: Deal, now: datetime) -> bool:
    return deal.status.is_open and deal.registered_at < now - timedelta(days=expiry_days())


def _overdue(now: datetime) -> tuple:
    return (Deal.status.in_(OPEN_STATUSES),
            Deal.registered_at < now - timedelta(days=expiry_days()))


def any_overdue(now: datetime) -> bool:
    """Whether an open deal is past its expiry (one query: pages ask before every list)."""
    return db.session.scalar(select(Deal.id).where(*_overdue(now)).limit(1)) is not None


def expire_overdue(now: datetime | None = None) -> int:
    """Expire every open deal registered more than LMS_DEAL_EXPIRY_DAYS ago; how many."""
    now = now or utcnow()
    if not any_overdue(now):
        return 0
    overdue = _overdue(now)
    start_write_transaction()
    rows = db.session.execute(select(Deal.id, Deal.status).where(*overdue)
                              .order_by(Deal.id).with_for_update()).all()
    ids = [deal_id for deal_id, _status in rows]
    for start in range(0, len(ids), CHUNK):
        db.session.execute(update(Deal).where(Deal.id.in_(ids[start:start + CHUNK]))
                           .values(status=DealStatus.EXPIRED, expired_at=now, updated_at=now))
    db.session.add_all(DealEvent(deal_id=deal_id, actor_id=None, source="system", at=now,
                                 from_status=status, to_status=DealStatus.EXPIRED, changes={},
                                 note="") for deal_id, status in rows)
    db.session.flush()
    _announce(dict(rows), now)
    return len(rows)


def _announce(before: dict[int, DealStatus], now: datetime) -> None:
    """Webhooks hear of each expiry (people were warned 14 days ahead: lms.deals.notices)."""
    from lms.deals.notices import status_changed

    ids = list(before)
    for start in range(0, len(ids), CHUNK):
        for deal in db.session.scalars(select(Deal).where(Deal.id.in_(ids[start:start + CHUNK]))
                                       .execution_options(populate_existing=True)):
            status_changed(deal, before[deal.id], now)
