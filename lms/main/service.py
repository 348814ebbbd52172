"""What the home page shows each kind of person."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func

from lms.extensions import db
from lms.models import Organization, Tier, User


@dataclass
class HomeSummary:
    organization: Organization | None = None
    people_count: int = 0
    partners_by_tier: dict[Tier, int] = field(default_factory=dict)
    partner_count: int = 0


def home_summary(user: User) -> HomeSummary:
    """Figures for the home page, scoped to what `user` may see (two queries at most)."""
    if user.role.is_partner:
        count = db.session.scalar(
            db.select(func.count(User.id)).where(
                User.organization_id == user.organization_id, User.active.is_(True)
            )
        )
        return HomeSummary(organization=user.organization, people_count=count or 0)
    rows = db.session.execute(
        db.select(Organization.tier, func.count(Organization.id))
        .where(Organization.active.is_(True))
        .group_by(Organization.tier)
    ).all()
    by_tier = {tier: 0 for tier in Tier}
    by_tier.update({tier: n for tier, n in rows})
    return HomeSummary(partners_by_tier=by_tier, partner_count=sum(by_tier.values()))
