"""SPIF campaigns: time-boxed bonuses the channel team offers per won deal (of a product, or
with a customer new to the partner), optionally only to some tiers. What a campaign owes is
computed from the deals (lms.spif.rules), never stored: nothing here is a payment."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.users import User


class SpifRule(enum.StrEnum):
    WON_DEAL = "won_deal"  # every won deal (of the product, when one is named)
    NEW_CUSTOMER = "new_customer"  # a won deal with a customer the partner never won before


class SpifCampaign(Base):
    __tablename__ = "spif_campaigns"
    __table_args__ = (
        CheckConstraint("bonus > 0", name="bonus_positive"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    rule: Mapped[SpifRule] = mapped_column(str_enum(SpifRule, "spif_rule"))
    # Deals whose product mentions this text (case and width ignored); "" for any product.
    product: Mapped[str] = mapped_column(String(200), default="")
    bonus: Mapped[int] = mapped_column(BigInteger)  # whole units of `currency` per deal
    currency: Mapped[str] = mapped_column(String(3))
    # Deals closed from the first day to the last, in the program's time zone.
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # The tiers (values) a partner must hold when the deal closes; empty for every tier.
    tiers: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="raise_on_sql")
