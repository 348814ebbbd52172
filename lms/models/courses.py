"""Training courses synced from content/, their lessons, learners' progress, learning paths."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum


class Audience(enum.StrEnum):
    ALL = "all"
    SALES = "sales"
    TECHNICAL = "technical"


course_prerequisites = Table(
    "course_prerequisites",
    Base.metadata,
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
    Column("prerequisite_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[Audience] = mapped_column(
        str_enum(Audience, "audience"),
        default=Audience.ALL,
    )
    position: Mapped[int] = mapped_column(default=0)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # Slug of the course this one translates; progress in either counts for both.
    translation_of: Mapped[str | None] = mapped_column(String(100))
    # An image of the course folder ("images/cover.svg"), shown on the catalog card.
    cover: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    search_text: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="Lesson.position", lazy="raise_on_sql"
    )
    prerequisites: Mapped[list[Course]] = relationship(
        secondary=course_prerequisites,
        primaryjoin="Course.id == course_prerequisites.c.course_id",
        secondaryjoin="Course.id == course_prerequisites.c.prerequisite_id",
        lazy="raise_on_sql",
    )

    @property
    def group_slug(self) -> str:
        """The slug shared by a course and its translations."""
        return self.translation_of or self.slug

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class Lesson(Base):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"),
                                           index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(default=5)
    video_url: Mapped[str | None] = mapped_column(String(500))
    body_markdown: Mapped[str] = mapped_column(Text)
    # Rendered once at sync through lms.markup; pages show it as it is.
    body_html: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text, default="")
    source_path: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="lessons", lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Lesson {self.slug}>"


class LessonProgress(Base):
    """One person's progress in one lesson: opened, last viewed (for resuming), completed."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"),
                                           index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class LearningPath(Base):
    """The ordered onboarding courses of one job function."""

    __tablename__ = "learning_paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_function: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    # The title in other languages: {"ja": "..."} (a [paths.ja] table in paths.toml).
    titles: Mapped[dict] = mapped_column(JSON, default=dict)


class LearningPathStep(Base):
    __tablename__ = "learning_path_steps"
    __table_args__ = (UniqueConstraint("path_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int] = mapped_column(Integer)
    # By group slug, so a path step is met by the course or any of its translations.
    course_slug: Mapped[str] = mapped_column(String(100))
