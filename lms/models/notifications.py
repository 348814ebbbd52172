"""Notifications: the in-app inbox and the outbox of their email.

A notification is written in the same transaction as the event that causes it, so nothing is
lost while the worker or the mail server is down; its email is delivered later from this very
row (the outbox), retried with backoff, and each attempt is recorded on it. The key is unique
per recipient: the same event never notifies the same person twice.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.users import User


class MailState(enum.StrEnum):
    PENDING = "pending"  # waiting for the worker (again, after a failed attempt)
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry
    NONE = "none"  # in-app only: no address, or mail is not configured


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "key"),
        Index("ix_notifications_mail_due", "mail_state", "mail_next_at"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The event, once per recipient: "credential-expiring:<award>:<days>".
    key: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))  # credentials, deals, tiers, ...
    kind: Mapped[str] = mapped_column(String(40))  # which message (lms.notifications.messages)
    # What the message says, rendered in the recipient's language when shown or mailed.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    mail_state: Mapped[MailState] = mapped_column(str_enum(MailState, "mail_state"),
                                                  default=MailState.PENDING)
    mail_attempts: Mapped[int] = mapped_column(default=0)
    mail_next_at: Mapped[datetime | None]  # due from then (also a claim's lease)
    mail_sent_at: Mapped[datetime | None]
    mail_error: Mapped[str | None] = mapped_column(Text)
    # Held for the recipient's daily digest (mail_next_at is then the digest's time).
    mail_digest: Mapped[bool] = mapped_column(default=False, server_default=false())

    user: Mapped[User] = relationship(lazy="joined")


class NotificationSettings(Base):
    """A person's choices about notification mail; without a row: every category, at once.
    The inbox always shows everything."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    # Categories (lms.notifications.messages.CATEGORIES) not to be mailed.
    muted: Mapped[list] = mapped_column(JSON, default=list)
    # One mail a day with everything new, instead of one mail per notification.
    digest: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
