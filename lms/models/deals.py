"""Deals registered by partners (or imported from the vendor's CRM) and their history."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.organizations import Organization
from lms.models.users import User

# The currencies a deal can be in (ISO 4217 codes); the form, the CSV import and the API
# accept these; DEFAULT_CURRENCY when none is given.
CURRENCIES = ("JPY", "USD", "EUR", "GBP", "CNY", "KRW", "SGD", "AUD", "TWD", "HKD", "THB",
              "INR")
DEFAULT_CURRENCY = "JPY"


class DealStatus(enum.StrEnum):
    REGISTERED = "registered"
    APPROVED = "approved"
    REJECTED = "rejected"
    WON = "won"
    LOST = "lost"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        return self in (DealStatus.REGISTERED, DealStatus.APPROVED)


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        # The tier report and KPIs sum won deals in a window by company: a covering index
        # (bench/tier_report.py: 150 ms -> 33 ms for 200,000 deals on SQLite).
        Index("ix_deals_status_closed_at", "status", "closed_at", "organization_id",
              "currency", "amount"),
        # A company's deals, newest first.
        Index("ix_deals_organization_id_registered_at", "organization_id", "registered_at"),
        # KPIs: approvals in a month (counted within the index) and by company.
        Index("ix_deals_approved_at_organization_id", "approved_at", "organization_id"),
        # KPIs: each company's first won deal, one lookup per company.
        Index("ix_deals_organization_id_status_closed_at", "organization_id", "status",
              "closed_at"),
        # KPIs and health: each person's last deal registered, in person order (also what
        # "ON DELETE SET NULL" of a person needs).
        Index("ix_deals_registered_by_id_registered_at", "registered_by_id", "registered_at"),
        # Conflict check: open deals by normalized customer name.
        Index("ix_deals_customer_key_status", "customer_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    registered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    customer_name: Mapped[str] = mapped_column(String(200))
    # NFKC + case folded, legal suffixes (株式会社, Inc., GmbH...) dropped: conflicts match on it.
    customer_key: Mapped[str] = mapped_column(String(200))
    # Whole units of the currency: deal sizes, not invoices.
    amount: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default=DEFAULT_CURRENCY)
    product: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    expected_close_on: Mapped[date | None]
    status: Mapped[DealStatus] = mapped_column(str_enum(DealStatus, "deal_status"),
                                               default=DealStatus.REGISTERED)
    # The id in the vendor's CRM; imports and the API upsert by it.
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    # An open deal of another partner for the same customer, registered first.
    conflict_with_id: Mapped[int | None] = mapped_column(
        ForeignKey("deals.id", ondelete="SET NULL"), index=True)
    # The MDF activity (lms.models.mdf.MdfRequest) the partner credits with the deal.
    mdf_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("mdf_requests.id", ondelete="SET NULL"), index=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    approved_at: Mapped[datetime | None]
    rejected_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(lazy="raise_on_sql")
    registered_by: Mapped[User | None] = relationship(lazy="raise_on_sql")
    conflict_with: Mapped[Deal | None] = relationship(remote_side=[id], lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Deal {self.id} {self.customer_name!r} {self.status}>"


class DealEvent(Base):
    """One change of a deal: who, when, the status move, and the fields that changed."""

    __tablename__ = "deal_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"),
                                         index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # "web", "import", "api" or "system" (expiry).
    source: Mapped[str] = mapped_column(String(20), default="web")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # Distinct constraint names: PostgreSQL wants one name per CHECK of a table.
    from_status: Mapped[DealStatus | None] = mapped_column(
        str_enum(DealStatus, "from_status"))
    to_status: Mapped[DealStatus | None] = mapped_column(str_enum(DealStatus, "to_status"))
    # {"field": [old, new]} as text, for the history table.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship(lazy="raise_on_sql")
