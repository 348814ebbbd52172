"""People, their roles, and invitations."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from werkzeug.security import check_password_hash, generate_password_hash

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.organizations import Organization

PASSWORD_METHOD = "scrypt"  # noqa: S105 - an algorithm name
# Used to spend the same time on unknown emails as on a wrong password.
DUMMY_PASSWORD_HASH = generate_password_hash(secrets.token_urlsafe(16), method=PASSWORD_METHOD)


class Role(enum.StrEnum):
    MEMBER = "member"
    PARTNER_ADMIN = "partner_admin"
    MANAGER = "manager"
    ADMIN = "admin"

    @property
    def is_partner(self) -> bool:
        return self in (Role.MEMBER, Role.PARTNER_ADMIN)


class JobFunction(enum.StrEnum):
    SALES = "sales"
    TECHNICAL = "technical"


JOB_FUNCTIONS = tuple(job.value for job in JobFunction)  # as content files write them


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively: stored trimmed and lower-cased."""
    return email.strip().lower()


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # Partner roles belong to a company; vendor staff never do.
        CheckConstraint(
            "(role IN ('member', 'partner_admin')) = (organization_id IS NOT NULL)",
            name="organization_matches_role",
        ),
        # The KPI and health pages count each company's people, active and active lately,
        # from this index alone (narrow rows in company order: no table scan, no sort).
        Index("ix_users_organization_id_active_last_active_at", "organization_id", "active",
              "last_active_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"), default=Role.MEMBER)
    job_function: Mapped[JobFunction | None] = mapped_column(str_enum(JobFunction, "job_function"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated at sign-out and deactivation: every cookie carrying the old value stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    # The latest of every activity: sign-ins and pages (last_seen_at), lessons, attempts,
    # deals registered. Kept by lms.activity where those are written; read by the KPIs.
    last_active_at: Mapped[datetime | None]
    # The second factor (RFC 6238): the base32 secret, set while enrolling and confirmed by
    # the first valid code (two_factor_enabled_at); the time step of the last code accepted,
    # so a code works once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    two_factor_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    @validates("email")
    def _normalize_email(self, _key: str, value: str) -> str:
        return normalize_email(value)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active and (self.organization is None or self.organization.active)

    @property
    def is_partner(self) -> bool:
        return self.role.is_partner

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None and self.totp_secret is not None

    @property
    def is_vendor(self) -> bool:
        return not self.role.is_partner

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class Invitation(Base):
    """A single-use, expiring link with which a person sets up their account."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(
            "(role IN ('member', 'partner_admin')) = (organization_id IS NOT NULL)",
            name="organization_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(str_enum(Role, "role"))
    job_function: Mapped[JobFunction | None] = mapped_column(str_enum(JobFunction, "job_function"))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # Only the SHA-256 of the token is kept: a database leak does not leak usable links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    organization: Mapped[Organization | None] = relationship(lazy="joined")
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    @validates("email")
    def _normalize_email(self, _key: str, value: str) -> str:
        return normalize_email(value)

    def is_usable(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at


class PasswordReset(Base):
    """A single-use link that sets a new password; only the SHA-256 of its token is kept."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The admin who sent it; None when the person asked for it themselves.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


class RecoveryCode(Base):
    """A one-time code that stands in for the second factor; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
