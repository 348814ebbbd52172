"""Rows for the KPI and health tests: deals, attempts, lesson progress, certifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms.extensions import db
from lms.models import (
    Attempt,
    AttemptStatus,
    Award,
    Course,
    Credential,
    CredentialKind,
    Deal,
    DealStatus,
    Lesson,
    LessonProgress,
    Organization,
    Quiz,
    QuizKind,
    QuizVersion,
    ReviewPolicy,
    Role,
    User,
)
from tests.factories import make_org, make_user

_numbers = iter(range(1, 10_000_000))


def at(text: str) -> datetime:
    """An aware UTC moment from "2026-10-31T15:30"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def deal(org: Organization, status: DealStatus = DealStatus.REGISTERED, *,
         registered_at: datetime, approved_at: datetime | None = None,
         closed_at: datetime | None = None, amount: int = 1_000_000, currency: str = "JPY",
         by: User | None = None, customer: str | None = None) -> Deal:
    n = next(_numbers)
    row = Deal(organization_id=org.id, registered_by_id=by.id if by else None,
               customer_name=customer or f"Customer {n}", customer_key=f"customer{n}",
               amount=amount, currency=currency, status=status, registered_at=registered_at,
               approved_at=approved_at, closed_at=closed_at, updated_at=registered_at)
    db.session.add(row)
    db.session.flush()
    return row


def quiz() -> tuple[Quiz, QuizVersion]:
    n = next(_numbers)
    made = Quiz(slug=f"quiz-{n}", title=f"Quiz {n}", kind=QuizKind.QUIZ,
                current_version_number=1)
    db.session.add(made)
    db.session.flush()
    version = QuizVersion(quiz_id=made.id, number=1, content_hash="x", title=made.title,
                          pass_percent=80, max_attempts=0, cooldown_minutes=0,
                          time_limit_minutes=0, draw=0, shuffle=False,
                          review=ReviewPolicy.AFTER_SUBMIT, questions=[])
    db.session.add(version)
    db.session.flush()
    return made, version


def attempt(user: User, quiz_and_version: tuple[Quiz, QuizVersion], *,
            started_at: datetime, submitted_at: datetime | None = None,
            passed: bool | None = None) -> Attempt:
    made, version = quiz_and_version
    row = Attempt(user_id=user.id, quiz_id=made.id, quiz_version_id=version.id,
                  number=next(_numbers), questions=[], started_at=started_at,
                  status=AttemptStatus.SUBMITTED if submitted_at else AttemptStatus.OPEN,
                  submitted_at=submitted_at, passed=passed)
    db.session.add(row)
    db.session.flush()
    return row


def lesson() -> Lesson:
    n = next(_numbers)
    course = Course(slug=f"course-{n}", title=f"Course {n}", content_hash="x")
    db.session.add(course)
    db.session.flush()
    made = Lesson(course_id=course.id, slug="one", position=1, title="One",
                  body_markdown="x", body_html="<p>x</p>", source_path="x.md",
                  content_hash="x")
    db.session.add(made)
    db.session.flush()
    return made


def progress(user: User, on: Lesson, *, started_at: datetime,
             last_viewed_at: datetime | None = None,
             completed_at: datetime | None = None) -> LessonProgress:
    row = LessonProgress(user_id=user.id, lesson_id=on.id, started_at=started_at,
                         last_viewed_at=last_viewed_at or started_at,
                         completed_at=completed_at)
    db.session.add(row)
    db.session.flush()
    return row


def credential(kind: CredentialKind = CredentialKind.CERTIFICATION) -> Credential:
    n = next(_numbers)
    made = Credential(slug=f"credential-{n}", name=f"Credential {n}", kind=kind,
                      image="badges/x.svg", content_hash="x", courses=[], quizzes=[],
                      validity_months=24 if kind == CredentialKind.CERTIFICATION else None)
    db.session.add(made)
    db.session.flush()
    return made


def award(user: User, of: Credential, *, issued_at: datetime,
          expires_at: datetime | None = None, revoked_at: datetime | None = None) -> Award:
    row = Award(user_id=user.id, credential_id=of.id, period=next(_numbers),
                issued_at=issued_at, expires_at=expires_at, revoked_at=revoked_at)
    db.session.add(row)
    db.session.flush()
    return row


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
