"""Deals: registered through the service, or written as rows with the moments a test needs;
and reading them back afresh."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from lms.deals.registration import register_deal
from lms.extensions import db
from lms.models import Deal, DealEvent, DealStatus, Organization, User

_numbers = iter(range(1, 10_000_000))


def register(org: Organization, user: User | None, customer: str = "株式会社サクラ商事",
             amount: int = 1_000_000, now: datetime | None = None, **extra) -> Deal:
    """A deal registered through the service and committed."""
    deal = register_deal(org, user, customer_name=customer, amount=amount, now=now, **extra)
    db.session.commit()
    return deal


def deal(org: Organization, status: DealStatus = DealStatus.REGISTERED, *,
         registered_at: datetime, approved_at: datetime | None = None,
         closed_at: datetime | None = None, amount: int = 1_000_000, currency: str = "JPY",
         by: User | None = None, customer: str | None = None) -> Deal:
    """A deal row in any status at the given moments, flushed (no service rules, no history)."""
    n = next(_numbers)
    row = Deal(organization_id=org.id, registered_by_id=by.id if by else None,
               customer_name=customer or f"Customer {n}", customer_key=f"customer{n}",
               amount=amount, currency=currency, status=status, registered_at=registered_at,
               approved_at=approved_at, closed_at=closed_at, updated_at=registered_at)
    db.session.add(row)
    db.session.flush()
    return row


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
