"""Who hears of MDF steps:

- a partner sends a request or a claim: the channel managers, who decide on it;
- a request is approved or rejected, a claim approved or returned, a payment recorded: the
  requester and the partner admins of the company;
- unused funds expire within 14 days: the partner admins, once per period.

Called inside the transaction of the change, so the notifications commit with it.
"""

from __future__ import annotations

from datetime import date, datetime

from lms.clock import program_today
from lms.database import start_write_transaction
from lms.extensions import db
from lms.mdf import rules
from lms.models import MdfRequest, MdfStatus, Organization, User, utcnow
from lms.notifications.service import Audience, notify_all

CATEGORY = "mdf"
FOR_MANAGERS = (MdfStatus.SUBMITTED, MdfStatus.CLAIMED)


def _params(request: MdfRequest, **extra: object) -> dict:
    organization = db.session.get(Organization, request.organization_id)
    from lms.tiers.service import program_in_force

    return {"request": request.id, "title": request.title,
            "partner": organization.name if organization else "",
            "currency": program_in_force().currency, **extra}


def step(request: MdfRequest, returned: bool = False, now: datetime | None = None) -> None:
    """Tell whoever acts next about the step `request` has just taken."""
    now = now or utcnow()
    audience = Audience()
    status = request.status
    key = f"mdf:{request.id}:{status.value}:{now.isoformat()}"
    if status in FOR_MANAGERS:
        amount = request.requested_amount if status == MdfStatus.SUBMITTED else \
            request.claimed_amount
        notify_all(audience.managers(), key, CATEGORY, "mdf_to_decide",
                   _params(request, status=status.value, amount=amount), now)
        return
    requester = db.session.get(User, request.requested_by_id) if request.requested_by_id \
        else None
    if requester is not None and requester.organization_id != request.organization_id:
        requester = None  # moved to another company since: no longer theirs to hear of
    amount = {MdfStatus.APPROVED: request.approved_amount,
              MdfStatus.CLAIM_APPROVED: request.payable_amount,
              MdfStatus.PAID: request.payable_amount}.get(status)
    notify_all([requester, *audience.partner_admins(request.organization_id)], key, CATEGORY,
               "mdf_decided", _params(request, status="returned" if returned else status.value,
                                      amount=amount, note=request.decision_note), now)


def warn_expiring(today: date | None = None, now: datetime | None = None) -> int:
    """Tell each company's partner admins, once per period, that funds expire soon."""
    from lms.mdf import service  # the service notifies through this module

    now = now or utcnow()
    today = today or program_today()
    period = service.current_period(today)
    if period.days_left(today) > rules.EXPIRY_WARNING_DAYS:
        return 0
    start_write_transaction()
    audience = Audience()
    written = 0
    for funds in service.funds_of_partners(period, today):
        if not rules.expiry_warning_due(funds.balance, period, today):
            continue
        written += notify_all(
            audience.partner_admins(funds.organization.id),
            f"mdf-expiring:{funds.organization.id}:{period.key}", CATEGORY, "mdf_expiring",
            {"amount": funds.balance.available, "period": period.key,
             "ends": period.end.isoformat(), "currency": service.program_currency()}, now)
    db.session.flush()
    return written
