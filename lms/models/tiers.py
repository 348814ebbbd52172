"""The tier program: versions of its rules, and every tier change of a partner."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.organizations import Tier
from lms.models.users import User


class TierProgramVersion(Base):
    """One version of the program rules; the highest number is in force. Never edited."""

    __tablename__ = "tier_program_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    # The validated rules (lms.tiers.program.program_to_dict).
    rules: Mapped[dict] = mapped_column(JSON)
    # "file" (content/program.toml) or "ui".
    source: Mapped[str] = mapped_column(String(10), default="file")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="raise_on_sql")


class TierChangeKind(enum.StrEnum):
    PROMOTION = "promotion"
    DEMOTION = "demotion"
    AT_RISK = "at_risk"
    RECOVERED = "recovered"


class _TierMove:
    """What a recorded tier change and a held-back one both say: the company, the kind of
    change, the tier left and the tier set, the rules and evidence behind it, who and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[TierChangeKind] = mapped_column(str_enum(TierChangeKind, "tier_change_kind"))
    from_tier: Mapped[Tier] = mapped_column(str_enum(Tier, "from_tier"))
    to_tier: Mapped[Tier] = mapped_column(str_enum(Tier, "to_tier"))
    program_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("tier_program_versions.id", ondelete="SET NULL"))
    # The requirement results that justified the change (lms.tiers.rules.evaluation_to_dict).
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def actor(cls) -> Mapped[User | None]:
        return relationship(User, lazy="raise_on_sql")


class TierChange(_TierMove, Base):
    """A promotion, demotion, or the start or end of a grace period, with its evidence."""

    __tablename__ = "tier_changes"

    # Why a manager set this tier instead of the one the rules gave (an override), else None.
    reason: Mapped[str | None] = mapped_column(Text)


class TierHold(_TierMove, Base):
    """A change a tier review would have made that a manager held back, and why. The
    company is left as it was; the next review proposes the change again."""

    __tablename__ = "tier_holds"

    reason: Mapped[str] = mapped_column(Text)


class ManualRequirementRecord(Base):
    """A manual tier requirement (a signed reseller agreement, a business plan) a manager
    recorded as met for a company: since when, and the evidence. Withdrawing deletes it (the
    audit log keeps both)."""

    __tablename__ = "manual_requirement_records"
    __table_args__ = (UniqueConstraint("organization_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(50))  # lms.tiers.program.Requirement.item
    met_on: Mapped[date]
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User | None] = relationship(lazy="raise_on_sql")
