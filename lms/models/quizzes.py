"""Quizzes and exams synced from quizzes/, their versions, and people's attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum


class QuizKind(enum.StrEnum):
    PRACTICE = "practice"
    QUIZ = "quiz"
    EXAM = "exam"


class ReviewPolicy(enum.StrEnum):
    AFTER_SUBMIT = "after_submit"
    AFTER_PASS = "after_pass"  # noqa: S105 - a policy name
    SCORE_ONLY = "score_only"
    NEVER = "never"


class AttemptStatus(enum.StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    # Closed by the server at its deadline and graded with the answers saved by then.
    TIMED_OUT = "timed_out"


class Quiz(Base):
    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # The title in other languages: {"ja": "..."} (a [ja] table in the quiz file).
    titles: Mapped[dict] = mapped_column(JSON, default=dict)
    kind: Mapped[QuizKind] = mapped_column(str_enum(QuizKind, "quiz_kind"))
    # Group slug of the course this quiz completes (DESIGN.md `course = ...`).
    course_slug: Mapped[str | None] = mapped_column(String(100), index=True)
    # Number of the newest QuizVersion: new attempts are taken on it.
    current_version_number: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def title_in(self, locale: str | None) -> str:
        """The title in `locale` when the quiz file gives one, else the original."""
        return (self.titles or {}).get(locale or "") or self.title

    def __repr__(self) -> str:
        return f"<Quiz {self.slug}>"


class QuizVersion(Base):
    """The quiz as one sync found it; attempts point at the version they were taken on."""

    __tablename__ = "quiz_versions"
    __table_args__ = (UniqueConstraint("quiz_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"),
                                         index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    pass_percent: Mapped[int]
    max_attempts: Mapped[int]
    cooldown_minutes: Mapped[int]
    time_limit_minutes: Mapped[int]
    draw: Mapped[int]
    shuffle: Mapped[bool]
    review: Mapped[ReviewPolicy] = mapped_column(str_enum(ReviewPolicy, "review_policy"))
    # The question pool with keys, prompts and explanations rendered to safe HTML.
    questions: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        # Numbers are given in order, so racing starts cannot exceed max_attempts.
        UniqueConstraint("user_id", "quiz_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        # At most one open attempt per person and quiz.
        Index("uq_attempts_one_open", "user_id", "quiz_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"),
                                         index=True)
    quiz_version_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_versions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[AttemptStatus] = mapped_column(str_enum(AttemptStatus, "attempt_status"),
                                                  default=AttemptStatus.OPEN)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # The questions drawn for this attempt, in the order shown, keys included (server only).
    questions: Mapped[list] = mapped_column(JSON)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    points: Mapped[float | None] = mapped_column(Float)
    max_points: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[int | None]
    passed: Mapped[bool | None]
    # Points per question id, as "numerator/denominator" strings (exact).
    results: Mapped[dict | None] = mapped_column(JSON)

    quiz: Mapped[Quiz] = relationship(lazy="joined")
    version: Mapped[QuizVersion] = relationship(lazy="raise_on_sql")

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.OPEN
