"""The knowledge base: articles synced from content/kb/, what readers say of them ("was this
helpful"), and partners' questions to the channel team, each a thread of messages."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.organizations import Organization
from lms.models.users import User


class KbCategory(Base):
    __tablename__ = "kb_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    titles: Mapped[dict] = mapped_column(JSON, default=dict)  # per language
    position: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]


class KbArticle(Base):
    __tablename__ = "kb_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("kb_categories.id"), index=True)
    position: Mapped[int] = mapped_column(default=100)
    titles: Mapped[dict] = mapped_column(JSON, default=dict)  # per language
    bodies: Mapped[dict] = mapped_column(JSON, default=dict)  # Markdown per language
    # Every language's title and text, rendered to plain text, NFKC and case-folded: what a
    # search matches (lms.markup.plain_text).
    search_text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]

    category: Mapped[KbCategory] = relationship(lazy="raise_on_sql")


class KbVote(Base):
    """One reader's answer to "was this helpful" (changeable; one per person and article)."""

    __tablename__ = "kb_votes"
    __table_args__ = (UniqueConstraint("article_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("kb_articles.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    helpful: Mapped[bool]
    voted_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionStatus(enum.StrEnum):
    OPEN = "open"  # waiting for the channel team
    ANSWERED = "answered"  # the team answered; a follow-up opens it again


class KbQuestion(Base):
    __tablename__ = "kb_questions"
    __table_args__ = (Index("ix_kb_questions_status_updated", "status", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                   index=True)
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[QuestionStatus] = mapped_column(
        str_enum(QuestionStatus, "question_status"), default=QuestionStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise_on_sql")
    asked_by: Mapped[User | None] = relationship(lazy="raise_on_sql")


class KbMessage(Base):
    __tablename__ = "kb_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("kb_questions.id", ondelete="CASCADE"),
                                             index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kept as written: the thread still reads right after the account is gone.
    author_name: Mapped[str] = mapped_column(String(200))  # as User.name
    from_vendor: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)  # plain text, shown with line breaks
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
