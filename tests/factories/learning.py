"""Rows of learning: courses and lessons with progress, quizzes with attempts, credentials
with awards; and reading a person's attempts back."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    Attempt,
    AttemptStatus,
    Award,
    Course,
    Credential,
    CredentialKind,
    Lesson,
    LessonProgress,
    Quiz,
    QuizKind,
    QuizVersion,
    ReviewPolicy,
    User,
)

_numbers = iter(range(1, 10_000_000))


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


def attempts_of(user: User | int, app: Flask | None = None) -> list[Attempt]:
    """The attempts of `user` (a person or their id) by number, read afresh.

    With `app`, read in a new app context of it (its own session) and detached: for tests
    whose threads each work in their own context.
    """
    user_id = user if isinstance(user, int) else user.id
    query = select(Attempt).where(Attempt.user_id == user_id).order_by(Attempt.number)
    if app is None:
        db.session.expire_all()
        return list(db.session.scalars(query))
    with app.app_context():
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


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
