"""Small helpers of the deal tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from lms.deals import service
from lms.extensions import db
from lms.models import Deal, DealEvent, Organization, User


def register(org: Organization, user: User | None, customer: str = "株式会社サクラ商事",
             amount: int = 1_000_000, now: datetime | None = None, **extra) -> Deal:
    """A deal registered through the service and committed."""
    deal = service.register_deal(org, user, customer_name=customer, amount=amount, now=now,
                                 **extra)
    db.session.commit()
    return deal


def fresh(deal: Deal) -> Deal:
    db.session.expire_all()
    return db.session.get(Deal, deal.id)


def events_of(deal: Deal) -> list[DealEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(DealEvent).where(DealEvent.deal_id == deal.id)
                                   .order_by(DealEvent.id)))


def deal_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Deal.id)))


def html(response) -> str:
    return response.get_data(as_text=True)
