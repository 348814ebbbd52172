"""Partner companies busy with every kind of activity, for the report pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms.extensions import db
from lms.models import DealStatus, Organization, Role
from tests.factories.deals import deal
from tests.factories.learning import attempt, award, credential, lesson, progress, quiz
from tests.factories.people import make_org, make_user


def at(text: str) -> datetime:
    """An aware UTC moment from "2026-10-31T15:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def busy_partners(count: int, now: datetime, *, name: str = "Partner") -> list[Organization]:
    """`count` partners, each with people, deals of every kind, attempts, lesson progress
    and certifications: what a page must not need more queries for."""
    the_quiz = quiz()
    the_lesson = lesson()
    certification = credential()
    orgs = []
    for n in range(count):
        org = make_org(name=f"{name} {n}", signed_on=(now - timedelta(days=100 + n)).date())
        admin = make_user(Role.PARTNER_ADMIN, org)
        seller = make_user(Role.MEMBER, org, last_seen_at=now - timedelta(days=n % 120))
        engineer = make_user(Role.MEMBER, org)
        deal(org, registered_at=now - timedelta(days=10), by=seller)
        deal(org, DealStatus.WON, registered_at=now - timedelta(days=80),
             approved_at=now - timedelta(days=78), closed_at=now - timedelta(days=30 + n),
             by=seller, amount=2_000_000 + n)
        deal(org, DealStatus.LOST, registered_at=now - timedelta(days=200),
             closed_at=now - timedelta(days=150), by=admin)
        deal(org, DealStatus.WON, registered_at=now - timedelta(days=60),
             closed_at=now - timedelta(days=20), currency="USD", amount=1_000)
        attempt(engineer, the_quiz, started_at=now - timedelta(days=40),
                submitted_at=now - timedelta(days=40), passed=n % 2 == 0)
        attempt(engineer, the_quiz, started_at=now - timedelta(days=5))
        progress(seller, the_lesson, started_at=now - timedelta(days=50),
                 completed_at=now - timedelta(days=49))
        award(engineer, certification, issued_at=now - timedelta(days=300),
              expires_at=now + timedelta(days=400))
        orgs.append(org)
    db.session.commit()
    return orgs
