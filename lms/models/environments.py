"""Demo environments: a partner person's request for a trial system of the product (for a
prospect's demo or a proof of concept), its decision, the system's address and sign-in
details (encrypted at rest, lms.secretbox), its expiry and extensions, and its history."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.deals import Deal
from lms.models.organizations import Organization
from lms.models.users import User


class EnvironmentStatus(enum.StrEnum):
    REQUESTED = "requested"  # waiting for the channel team
    PROVISIONING = "provisioning"  # approved; being set up (by hand, or the vendor's API)
    READY = "ready"  # in use until expires_at
    DECLINED = "declined"
    CANCELLED = "cancelled"  # withdrawn before it was ready
    EXPIRED = "expired"  # its time is up or it was returned; sign-in details erased

    @property
    def holds_quota(self) -> bool:
        return self in HOLDING_QUOTA


HOLDING_QUOTA = (EnvironmentStatus.REQUESTED, EnvironmentStatus.PROVISIONING,
                 EnvironmentStatus.READY)


class DemoEnvironment(Base):
    __tablename__ = "demo_environments"
    __table_args__ = (
        CheckConstraint("days >= 1 AND days <= 30", name="days_in_range"),
        CheckConstraint("extension_days IS NULL OR (extension_days >= 1 AND "
                        "extension_days <= 30)", name="extension_days_in_range"),
        Index("ix_demo_environments_organization_id_status", "organization_id", "status"),
        Index("ix_demo_environments_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id", ondelete="SET NULL"),
                                                index=True)
    purpose: Mapped[str] = mapped_column(Text)
    days: Mapped[int]  # asked for; the clock starts when it is ready
    status: Mapped[EnvironmentStatus] = mapped_column(
        str_enum(EnvironmentStatus, "environment_status"), default=EnvironmentStatus.REQUESTED)
    auto_approved: Mapped[bool] = mapped_column(default=False)
    # How it is provisioned (lms.environments.adapters): "manual" or "webhook", fixed when
    # it is approved.
    adapter: Mapped[str | None] = mapped_column(String(20))
    # The vendor API's id of the system (webhook adapter), for its deprovisioning, and
    # whether the API holds a system for it whose removal it has not confirmed yet.
    external_id: Mapped[str | None] = mapped_column(String(200))
    removal_due: Mapped[bool] = mapped_column(default=False)
    # When a call to the provisioning API started: no second call while it runs.
    provision_claimed_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # Address and sign-in details, each a Fernet token (lms.secretbox), never clear text.
    # The sign-in details are shown once to the requester and erased then; both are erased
    # when the environment expires.
    url_box: Mapped[str | None] = mapped_column(Text)
    credentials_box: Mapped[str | None] = mapped_column(Text)
    credentials_shown_at: Mapped[datetime | None]
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    # A pending extension request (days, why); `extensions` counts those granted.
    extension_days: Mapped[int | None]
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    extensions: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise_on_sql")
    requested_by: Mapped[User | None] = relationship(lazy="raise_on_sql")
    deal: Mapped[Deal | None] = relationship(lazy="raise_on_sql")


class DemoEnvironmentEvent(Base):
    """One step of an environment: who, when, the status move, the note, and for a call to
    the vendor's provisioning API its answer (HTTP status and, on failure, the start of its
    body: a successful answer carries sign-in details and is never stored)."""

    __tablename__ = "demo_environment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    environment_id: Mapped[int] = mapped_column(
        ForeignKey("demo_environments.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[EnvironmentStatus | None] = mapped_column(
        str_enum(EnvironmentStatus, "from_status"))
    to_status: Mapped[EnvironmentStatus] = mapped_column(
        str_enum(EnvironmentStatus, "to_status"))
    # What happened, for the history: approved, declined, details_entered, provision_failed,
    # extension_asked, extended, extension_declined, credentials_shown, expired, ...
    action: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    answer_status: Mapped[int | None]
    answer_body: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(lazy="raise_on_sql")
