"""Market development funds: allocations per partner and period, requests for activities
with their claims and payments, proof-of-performance files, and each request's history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.organizations import Organization, Tier
from lms.models.users import User


class MdfStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # waiting for the channel team
    APPROVED = "approved"  # in full or in part: the partner runs the activity, then claims
    REJECTED = "rejected"
    CANCELLED = "cancelled"  # withdrawn by the partner before claiming
    CLAIMED = "claimed"  # proof of performance sent, waiting for the channel team
    CLAIM_APPROVED = "claim_approved"  # payable; waiting for the payment
    PAID = "paid"


class MdfActivityType(enum.StrEnum):
    EVENT = "event"
    WEBINAR = "webinar"
    DIGITAL_ADS = "digital_ads"
    CONTENT = "content"
    OTHER = "other"


class MdfAllocation(Base):
    """A partner's funds for one period: its tier's allocation when the period was opened,
    plus the channel team's adjustments (MdfAdjustment)."""

    __tablename__ = "mdf_allocations"
    __table_args__ = (
        # One allocation per company and period; a program that changes its period length
        # starts periods of the new length beside the old ones.
        UniqueConstraint("organization_id", "period_kind", "period_start"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    period_kind: Mapped[str] = mapped_column(String(10))  # quarter | half_year | year
    period_start: Mapped[date]
    period_end: Mapped[date]  # the last day, included
    tier: Mapped[Tier] = mapped_column(str_enum(Tier, "tier"))
    # The tier's benefit when the period was opened, and the amount now (with adjustments).
    base_amount: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise_on_sql")


class MdfAdjustment(Base):
    """A manager's change of an allocation, with the note that explains it."""

    __tablename__ = "mdf_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("mdf_allocations.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="raise_on_sql")


class MdfRequest(Base):
    """A partner's request for funds for one activity, its decision, claim and payment."""

    __tablename__ = "mdf_requests"
    __table_args__ = (
        CheckConstraint("requested_amount > 0 AND requested_amount <= planned_cost",
                        name="requested_within_cost"),
        CheckConstraint("approved_amount IS NULL OR (approved_amount > 0 AND "
                        "approved_amount <= requested_amount)", name="approved_within_request"),
        CheckConstraint("payable_amount IS NULL OR (payable_amount >= 0 AND "
                        "payable_amount <= approved_amount)", name="payable_within_approved"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        Index("ix_mdf_requests_organization_id_created_at", "organization_id", "created_at"),
        Index("ix_mdf_requests_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    allocation_id: Mapped[int] = mapped_column(
        ForeignKey("mdf_allocations.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    activity_type: Mapped[MdfActivityType] = mapped_column(
        str_enum(MdfActivityType, "mdf_activity_type"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    planned_cost: Mapped[int] = mapped_column(BigInteger)
    requested_amount: Mapped[int] = mapped_column(BigInteger)
    expected_leads: Mapped[int] = mapped_column(default=0)
    status: Mapped[MdfStatus] = mapped_column(str_enum(MdfStatus, "mdf_status"),
                                              default=MdfStatus.SUBMITTED)
    approved_amount: Mapped[int | None] = mapped_column(BigInteger)
    # Why a request was rejected or approved in part, or a claim returned (the partner reads it).
    decision_note: Mapped[str] = mapped_column(Text, default="")
    actual_cost: Mapped[int | None] = mapped_column(BigInteger)
    claimed_amount: Mapped[int | None] = mapped_column(BigInteger)
    actual_leads: Mapped[int | None]
    claim_note: Mapped[str] = mapped_column(Text, default="")
    payable_amount: Mapped[int | None] = mapped_column(BigInteger)
    paid_on: Mapped[date | None]
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise_on_sql")
    allocation: Mapped[MdfAllocation] = relationship(lazy="raise_on_sql")
    requested_by: Mapped[User | None] = relationship(lazy="raise_on_sql")


class MdfProofFile(Base):
    """A proof-of-performance file of a claim (invoice, photo, attendee list), stored by its
    SHA-256 like asset files and only ever downloaded as an attachment."""

    __tablename__ = "mdf_proof_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("mdf_requests.id", ondelete="CASCADE"),
                                            index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class MdfEvent(Base):
    """One step of a request: who, when, the status move, the amount and the note."""

    __tablename__ = "mdf_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("mdf_requests.id", ondelete="CASCADE"),
                                            index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_status: Mapped[MdfStatus | None] = mapped_column(str_enum(MdfStatus, "from_status"))
    to_status: Mapped[MdfStatus] = mapped_column(str_enum(MdfStatus, "to_status"))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(lazy="raise_on_sql")
