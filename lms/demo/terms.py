"""Demo acceptances of the program terms: every company accepted the version in force when it
joined and each version since, except two generated partners that have not accepted the
version in force yet (the gate, the reminder and the managers' "not accepted" list show it)
and a version published ahead of its day, which nobody has accepted yet."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lms.clock import utcnow
from lms.demo.dates import morning
from lms.demo.people import partner_email, person
from lms.extensions import db
from lms.models import Organization, TermsAcceptance, TermsVersion
from lms.terms import rules
from lms.terms.rules import VersionInfo

# Accepted the version before, not the one in force.
NOT_YET = ("kitaguni-it", "nagare-systems")
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
              "Gecko) Chrome/131.0.0.0 Safari/537.36")


def _owed(versions: list[VersionInfo], signed_on: date, today: date) -> list[VersionInfo]:
    """The versions a company joined under or saw take effect, up to the one in force."""
    current = rules.in_force(versions, today)
    if current is None:
        return []
    joined_under = rules.in_force(versions, signed_on)
    return [v for v in versions if v.effective_on <= current.effective_on
            and (v == joined_under or v.effective_on > signed_on)]


def seed_terms(today: date) -> int:
    """The acceptances (once: skipped when any exists)."""
    if db.session.scalar(select(TermsAcceptance.id).limit(1)) is not None:
        return 0
    stored = list(db.session.scalars(select(TermsVersion).where(
        TermsVersion.archived_at.is_(None)).order_by(TermsVersion.effective_on)))
    versions = [VersionInfo(v.id, v.version, v.effective_on, v.digest) for v in stored]
    current = rules.in_force(versions, today)
    written = 0
    for index, org in enumerate(db.session.scalars(
            select(Organization).where(Organization.active.is_(True))
            .order_by(Organization.id))):
        admin = person(partner_email("admin", org.slug))
        if admin is None:
            continue
        signed_on = org.signed_on or today
        for version in _owed(versions, signed_on, today):
            if version == current and org.slug in NOT_YET:
                continue
            # Within days of joining or of the version's day, never in the future.
            day = min(max(version.effective_on, signed_on) + timedelta(days=1 + index % 5),
                      today)
            db.session.add(TermsAcceptance(
                organization_id=org.id, version_id=version.id, user_id=admin.id,
                accepted_name=admin.name, accepted_email=admin.email,
                accepted_at=min(morning(day) - timedelta(minutes=17 * (index + 1)), utcnow()),
                ip_address=f"203.0.113.{10 + index}", user_agent=USER_AGENT,
                locale=admin.locale or "ja", digest=version.digest))
            written += 1
    db.session.flush()
    return written
