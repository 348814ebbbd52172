"""Badges and certifications: definitions synced from content, and the awards people hold."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.users import User


class CredentialKind(enum.StrEnum):
    BADGE = "badge"
    CERTIFICATION = "certification"


class CredentialStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


def new_verification_code() -> str:
    """192 random bits, URL-safe: unguessable, so a code proves the award is real."""
    return secrets.token_urlsafe(24)


class Credential(Base):
    """A badge or certification as content/credentials.toml defines it."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CredentialKind] = mapped_column(str_enum(CredentialKind, "credential_kind"))
    description: Mapped[str] = mapped_column(Text, default="")
    criteria: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[str] = mapped_column(String(300))
    courses: Mapped[list] = mapped_column(JSON, default=list)
    quizzes: Mapped[list] = mapped_column(JSON, default=list)
    job_function: Mapped[str | None] = mapped_column(String(20))
    validity_months: Mapped[int | None]
    renewal_quiz: Mapped[str | None] = mapped_column(String(100))
    # Other languages of name, description and criteria: {"ja": {"name": ..., ...}}.
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


    def text(self, field: str, locale: str | None) -> str:
        """`field` (name, description or criteria) in `locale`, else in the original."""
        translated = (self.translations or {}).get(locale or "", {}).get(field)
        return translated or getattr(self, field)


class Award(Base):
    """One period of a credential held by one person; a renewal is the next period."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("user_id", "credential_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"),
                                               index=True)
    period: Mapped[int] = mapped_column(default=1)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    verification_code: Mapped[str] = mapped_column(String(64), unique=True,
                                                   default=new_verification_code)
    # Open Badges: the recipient is published only as SHA-256(email + salt).
    recipient_salt: Mapped[str] = mapped_column(String(64),
                                                default=lambda: secrets.token_hex(16))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                ondelete="SET NULL"))

    credential: Mapped[Credential] = relationship(lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def status(self, now: datetime) -> CredentialStatus:
        if self.revoked_at is not None:
            return CredentialStatus.REVOKED
        if self.expires_at is not None and now >= self.expires_at:
            return CredentialStatus.EXPIRED
        return CredentialStatus.VALID
