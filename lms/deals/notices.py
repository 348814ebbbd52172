"""Who hears of a deal's changes: webhooks (every change) and people (what they act on).

- a partner registers a deal: the channel managers, who decide on it;
- a deal is approved or rejected (with the reason): its registrant and partner admins;
- a deal is flagged as a conflict with another partner's: its registrant and partner admins;
- an open registration expires in 14 days: its registrant and partner admins.

Called inside the transaction of the change, so the notifications commit with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from lms.clock import local_date
from lms.database import start_write_transaction
from lms.deals.expiry import expiry_days
from lms.deals.rules import OPEN_STATUSES
from lms.event_data import deal_data
from lms.events import publish
from lms.extensions import db
from lms.models import Deal, DealStatus, Organization, User, utcnow
from lms.notifications.service import Audience, Batch, notify_all

CATEGORY = "deals"
WARN_BEFORE_EXPIRY = timedelta(days=14)
DECISIONS = (DealStatus.APPROVED, DealStatus.REJECTED)


def _params(deal: Deal, **extra: object) -> dict:
    organization = db.session.get(Organization, deal.organization_id)
    return {"deal": deal.id, "customer": deal.customer_name,
            "partner": organization.name if organization else "", **extra}


def _partner_side(deal: Deal, audience: Audience) -> list[User | None]:
    """The registrant and the partner admins of the deal's company."""
    registrant = db.session.get(User, deal.registered_by_id) if deal.registered_by_id else None
    return [registrant, *audience.partner_admins(deal.organization_id)]


def _notify(users: Sequence[User | None], key: str, kind: str, params: dict, now: datetime,
            batch: Batch | None) -> None:
    if batch is None:
        notify_all(users, key, CATEGORY, kind, params, now)
    else:
        batch.add(users, key, CATEGORY, kind, params)


def _conflict(deal: Deal, audience: Audience, now: datetime, batch: Batch | None) -> None:
    if deal.conflict_with_id is not None and deal.status.is_open:
        _notify(_partner_side(deal, audience), f"deal-conflict:{deal.id}:{deal.conflict_with_id}",
                "deal_conflict", _params(deal), now, batch)


def registered(deal: Deal, now: datetime, audience: Audience | None = None, *,
               by_partner: bool = True, batch: Batch | None = None) -> None:
    """A new deal: announced, flagged to its side if it conflicts, and, when a partner
    registered it (not the vendor's CRM), put before the managers. With a `batch`, the
    notifications wait for its write()."""
    audience = audience or Audience()
    publish("deal.registered", deal_data(deal))
    _conflict(deal, audience, now, batch)
    if by_partner and deal.status == DealStatus.REGISTERED:
        _notify(audience.managers(), f"deal-registered:{deal.id}", "deal_registered",
                _params(deal), now, batch)


def edited(deal: Deal, now: datetime) -> None:
    """A renamed customer may conflict anew."""
    _conflict(deal, Audience(), now, None)


def status_changed(deal: Deal, before: DealStatus, now: datetime,
                   audience: Audience | None = None, batch: Batch | None = None) -> None:
    audience = audience or Audience()
    publish("deal.status_changed", {**deal_data(deal), "previous_status": before.value})
    if deal.status in DECISIONS:
        _notify(_partner_side(deal, audience), f"deal-decided:{deal.id}:{deal.status.value}",
                "deal_decided", _params(deal, status=deal.status.value,
                                        reason=deal.rejection_reason or ""), now, batch)
        _conflict(deal, audience, now, batch)


def warn_expiring(now: datetime | None = None) -> int:
    """Tell each open registration's side, once, that it expires within 14 days."""
    now = now or utcnow()
    lifetime = timedelta(days=expiry_days())
    start_write_transaction()
    deals = list(db.session.scalars(select(Deal).join(
        Organization, Organization.id == Deal.organization_id).where(
        Organization.active.is_(True), Deal.status.in_(OPEN_STATUSES),
        Deal.registered_at <= now - lifetime + WARN_BEFORE_EXPIRY,
        Deal.registered_at > now - lifetime).order_by(Deal.registered_at, Deal.id)))
    audience = Audience()
    written = 0
    for deal in deals:
        expires = local_date(deal.registered_at + lifetime)
        written += notify_all(
            _partner_side(deal, audience),
            f"deal-expiring:{deal.id}:{local_date(deal.registered_at).isoformat()}", CATEGORY,
            "deal_expiring", _params(deal, expires=expires.isoformat(),
                                     days=(expires - local_date(now)).days), now)
    db.session.flush()
    return written
