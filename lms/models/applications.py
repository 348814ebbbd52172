"""Applications to join the partner program, sent from the public /apply page and decided by
the channel team: an approval creates the company and invites the applicant as its partner
admin; a decline carries a reason the applicant is told."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.organizations import Organization, PartnerType
from lms.models.users import User


class ApplicationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class PartnerApplication(Base):
    __tablename__ = "partner_applications"
    __table_args__ = (
        CheckConstraint("status != 'declined' OR decline_reason != ''",
                        name="declined_with_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    # The 13 digits of a Japanese corporate number (check digit verified); None for a company
    # registered abroad, which has none.
    corporate_number: Mapped[str | None] = mapped_column(String(13), index=True)
    contact_name: Mapped[str] = mapped_column(String(120))
    contact_email: Mapped[str] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    partner_type: Mapped[PartnerType] = mapped_column(str_enum(PartnerType, "partner_type"))
    region: Mapped[str] = mapped_column(String(40))
    products: Mapped[str] = mapped_column(Text)  # what the company sells today
    message: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(10))  # the language mail is written in
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "application_status"), default=ApplicationStatus.PENDING,
        index=True)
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    decided_by: Mapped[User | None] = relationship(lazy="raise_on_sql")
    organization: Mapped[Organization | None] = relationship(lazy="raise_on_sql")
