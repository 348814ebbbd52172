"""The audit log of security-relevant events."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.users import User


class AuditAction(enum.StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    ROLE_CHANGE = "role_change"
    INVITATION = "invitation"
    INVITATION_ACCEPTED = "invitation_accepted"
    INVITATION_REVOKED = "invitation_revoked"
    DEACTIVATION = "deactivation"
    CREDENTIAL_REVOKED = "credential_revoked"
    REACTIVATION = "reactivation"
    USER_UPDATED = "user_updated"
    PASSWORD_CHANGE = "password_change"  # noqa: S105
    ORGANIZATION_CREATED = "organization_created"
    ORGANIZATION_UPDATED = "organization_updated"
    API_TOKEN_CREATED = "api_token_created"  # noqa: S105
    API_TOKEN_REVOKED = "api_token_revoked"  # noqa: S105
    TIER_RULES_CHANGED = "tier_rules_changed"
    TIER_CHANGED = "tier_changed"
    TIER_HELD = "tier_held"
    REQUIREMENT_RECORDED = "requirement_recorded"
    REQUIREMENT_WITHDRAWN = "requirement_withdrawn"
    ASSET_PUBLISHED = "asset_published"
    ASSET_VERSION_ADDED = "asset_version_added"
    ASSET_UPDATED = "asset_updated"
    DEALS_IMPORTED = "deals_imported"
    API_TOKEN_ROTATED = "api_token_rotated"  # noqa: S105
    PASSWORD_RESET_SENT = "password_reset_sent"  # noqa: S105
    PASSWORD_RESET = "password_reset"  # noqa: S105
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    # An admin cleared a person's second factor (lost device): they enrol again.
    TWO_FACTOR_RESET = "two_factor_reset"
    RECOVERY_CODE_USED = "recovery_code_used"
    SIGN_IN_LOCKED = "sign_in_locked"
    WEBHOOK_CREATED = "webhook_created"
    WEBHOOK_UPDATED = "webhook_updated"
    WEBHOOK_DELETED = "webhook_deleted"
    WEBHOOK_SECRET_ROTATED = "webhook_secret_rotated"  # noqa: S105
    APPLICATION_APPROVED = "application_approved"
    APPLICATION_DECLINED = "application_declined"
    TERMS_ACCEPTED = "terms_accepted"


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    action: Mapped[AuditAction] = mapped_column(
        str_enum(AuditAction, "auditaction", length=40, check=False)
    )
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    target_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    # The email tried at a failed sign-in, even when it belongs to nobody.
    email: Mapped[str | None] = mapped_column(String(254))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])
