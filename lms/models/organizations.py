"""Partner companies."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import program_today, utcnow
from lms.models.base import Base, str_enum


class Tier(enum.StrEnum):
    """Partner tiers, lowest first; the order is the program's order."""

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"
    PLATINUM = "platinum"

    @property
    def rank(self) -> int:
        return list(Tier).index(self)


class PartnerType(enum.StrEnum):
    """How a partner sells: it introduces customers, resells the product, or builds it into
    its own (OEM)."""

    REFERRAL = "referral"
    RESALE = "resale"
    OEM = "oem"


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    tier: Mapped[Tier] = mapped_column(
        str_enum(Tier, "tier"),
        default=Tier.BRONZE,
    )
    signed_on: Mapped[date]
    # When the current tier was reached, and when it stopped meeting its requirements (the
    # grace period before a demotion starts then).
    tier_since: Mapped[date | None] = mapped_column(default=program_today)  # needs the app
    at_risk_since: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Companies that joined before applications existed resell (what the program was).
    partner_type: Mapped[PartnerType] = mapped_column(
        str_enum(PartnerType, "partner_type"), default=PartnerType.RESALE,
        server_default=PartnerType.RESALE.value)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


class OrganizationActivityMonth(Base):
    """A local month (its first day) in which someone of the company did anything: signed
    in, studied, sat a quiz or registered a deal. Written by lms.activity with the event, so
    "was the company active in this period" reads a few rows per company, not every event.
    History stays with the company the person belonged to at the time."""

    __tablename__ = "organization_activity_months"

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)
