"""Deals registered and edited by partners on the web, and the decisions of vendor staff.

Services flush and never commit: the caller commits once. Writes start with
`start_write_transaction()` (SQLite: BEGIN IMMEDIATE; PostgreSQL: the rows decided on are
locked), so concurrent decisions queue up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from lms.database import lock_row, start_write_transaction
from lms.deals import notices
from lms.deals.conflicts import ConflictIndex, lock_customer, set_conflict
from lms.deals.customers import customer_key
from lms.deals.expiry import expiry_days, is_overdue
from lms.deals.history import initial_changes, record_event, set_field
from lms.deals.permissions import can_edit
from lms.deals.rules import ACTIONS, TRANSITIONS, DealError
from lms.deals.validation import MAX_LENGTHS, MULTILINE_COLUMNS, parse_amount, parse_currency
from lms.extensions import db
from lms.i18n import gettext as _
from lms.labels import DEAL_STATUS_LABELS
from lms.models import Deal, DealStatus, MdfRequest, MdfStatus, Organization, User, utcnow
from lms.models.deals import DEFAULT_CURRENCY
from lms.text import has_control_characters

EDITABLE_FIELDS = ("customer_name", "amount", "currency", "product", "description",
                   "expected_close_on")
MAX_REASON = 1000
# The MDF activities a deal can be credited to: approved, whatever came after but a
# cancellation (lms.mdf). KEEP leaves a deal's activity as it is.
ATTRIBUTABLE = (MdfStatus.APPROVED, MdfStatus.CLAIMED, MdfStatus.CLAIM_APPROVED, MdfStatus.PAID)
KEEP = object()


@dataclass(frozen=True)
class DealFields:
    """The fields a partner enters, checked."""

    customer_name: str
    amount: int
    currency: str
    product: str
    description: str
    expected_close_on: date | None


def check_fields(*, customer_name: str, amount: object, currency: str = DEFAULT_CURRENCY,
                 product: str = "", description: str = "",
                 expected_close_on: date | None = None) -> DealFields:
    """The entered fields, trimmed and checked; DealError naming the first problem."""
    texts = {"customer": (customer_name or "").strip(), "product": (product or "").strip(),
             "description": (description or "").strip()}
    for column, value in texts.items():
        if has_control_characters(value, column in MULTILINE_COLUMNS):
            raise DealError(_("Remove the control characters from the text."))
        if len(value) > MAX_LENGTHS[column]:
            raise DealError(_("Too long: at most %(n)d characters.", n=MAX_LENGTHS[column]))
    if not texts["customer"]:
        raise DealError(_("Enter the customer company."))
    try:
        parsed_amount = parse_amount(amount)
        parsed_currency = parse_currency(currency)
    except ValueError as error:
        raise DealError(str(error)) from error
    return DealFields(texts["customer"], parsed_amount, parsed_currency, texts["product"],
                      texts["description"], expected_close_on)


def check_activity(organization_id: int, request_id: int | None) -> int | None:
    """The MDF activity a deal of the company may be credited to; DealError for another
    company's activity, or one never approved or cancelled. Holds the company's lock, as
    the MDF steps do, so an activity cancelled at this moment is never credited."""
    if request_id is None:
        return None
    lock_row(Organization, organization_id)
    if db.session.scalar(select(MdfRequest.id).where(
            MdfRequest.id == request_id, MdfRequest.organization_id == organization_id,
            MdfRequest.status.in_(ATTRIBUTABLE))) is None:
        raise DealError(_("Choose one of your company's approved MDF activities."),
                        "mdf_request")
    return request_id


def register_deal(organization: Organization, registered_by: User | None, *, customer_name: str,
                  amount: object, currency: str = DEFAULT_CURRENCY, product: str = "",
                  description: str = "", expected_close_on: date | None = None,
                  external_id: str | None = None, now: datetime | None = None,
                  source: str = "web", mdf_request_id: int | None = None) -> Deal:
    """Register a deal for `organization`, flagged when another partner registered the same
    customer first (open, in the last 90 days). DealError for bad values."""
    fields = check_fields(customer_name=customer_name, amount=amount, currency=currency,
                          product=product, description=description,
                          expected_close_on=expected_close_on)
    external_id = (external_id or "").strip() or None
    if external_id and len(external_id) > MAX_LENGTHS["external_id"]:
        raise DealError(_("The external id is too long."))
    organization_id = organization.id
    registered_by_id = registered_by.id if registered_by else None
    key = customer_key(fields.customer_name)
    start_write_transaction()
    mdf_request_id = check_activity(organization_id, mdf_request_id)
    lock_customer(key)
    # Timed once the lock is held: registration order is the order of the timestamps.
    now = now or utcnow()
    if external_id and db.session.scalar(select(Deal.id).where(
            Deal.external_id == external_id)) is not None:
        raise DealError(_("A deal with the external id %(id)s exists already.", id=external_id))
    deal = Deal(organization_id=organization_id, registered_by_id=registered_by_id,
                customer_name=fields.customer_name, customer_key=key, amount=fields.amount,
                currency=fields.currency, product=fields.product,
                description=fields.description, expected_close_on=fields.expected_close_on,
                status=DealStatus.REGISTERED, external_id=external_id, registered_at=now,
                updated_at=now, mdf_request_id=mdf_request_id)
    set_conflict(deal, ConflictIndex.load([key]).first_for(deal))
    db.session.add(deal)
    db.session.flush()
    record_event(deal, registered_by, source, now, to_status=DealStatus.REGISTERED,
                 changes=initial_changes(deal))
    notices.registered(deal, now)
    db.session.flush()
    return deal


def edit_deal(deal: Deal, actor: User, *, customer_name: str, amount: object, currency: str,
              product: str, description: str, expected_close_on: date | None,
              now: datetime | None = None, source: str = "web",
              mdf_request_id: int | object | None = KEEP) -> dict[str, list[str]]:
    """Change what the partner entered; the changes made ({} when nothing changed). A new
    customer is checked for conflicts again."""
    now = now or utcnow()
    fields = check_fields(customer_name=customer_name, amount=amount, currency=currency,
                          product=product, description=description,
                          expected_close_on=expected_close_on)
    start_write_transaction()
    db.session.refresh(deal, with_for_update=True)
    if not can_edit(actor, deal):
        raise DealError(_("This deal is closed; it can no longer be changed."))
    changes: dict[str, list[str]] = {}
    for name in EDITABLE_FIELDS:
        set_field(deal, changes, name, getattr(fields, name))
    if mdf_request_id is not KEEP and mdf_request_id != deal.mdf_request_id:
        set_field(deal, changes, "mdf_request_id",
                  check_activity(deal.organization_id, mdf_request_id))  # type: ignore[arg-type]
    if not changes:
        return {}
    new_key = customer_key(deal.customer_name)
    if new_key != deal.customer_key:
        lock_customer(new_key)
        deal.customer_key = new_key
        if deal.status.is_open:
            # Renaming an old registration must not jump the queue: it claims the new
            # customer as of now, after everyone who registered it before.
            set_conflict(deal, ConflictIndex.load([new_key]).first_for(deal, claimed_at=now))
    deal.updated_at = now
    record_event(deal, actor, source, now, changes=changes)
    notices.edited(deal, now)
    db.session.flush()
    return changes


def change_status(deal: Deal, action: str, actor: User | None, *, reason: str = "",
                  now: datetime | None = None, source: str = "web") -> None:
    """Approve, reject (with a reason), or mark won or lost; DealError for a move the deal's
    status does not allow (nothing is changed then)."""
    now = now or utcnow()
    target = ACTIONS.get(action)
    if target is None:
        raise DealError(_("Unknown decision."))
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise DealError(_("The reason is too long: at most %(n)d characters.", n=MAX_REASON))
    if has_control_characters(reason, multiline=True):
        raise DealError(_("Remove the control characters from the text."))
    start_write_transaction()
    db.session.refresh(deal, with_for_update=True)
    current = deal.status
    if current == target:
        raise DealError(_("This deal is already %(status)s.",
                          status=str(DEAL_STATUS_LABELS[target]).lower()))
    if current not in TRANSITIONS:
        raise DealError(_("This deal is %(status)s: its status can no longer change.",
                          status=str(DEAL_STATUS_LABELS[current]).lower()))
    if target not in TRANSITIONS[current]:
        raise DealError(_("An approved deal can only be marked won or lost."))
    if is_overdue(deal, now):
        raise DealError(_("This registration is more than %(n)d days old and has expired.",
                          n=expiry_days()))
    if target == DealStatus.REJECTED and not reason:
        raise DealError(_("Give the reason for the rejection; the partner will see it."))
    deal.status = target
    deal.updated_at = now
    changes: dict[str, list[str]] = {}
    if target == DealStatus.APPROVED:
        deal.approved_at = now
    elif target == DealStatus.REJECTED:
        deal.rejected_at = now
        set_field(deal, changes, "rejection_reason", reason)
    else:
        deal.closed_at = now
    record_event(deal, actor, source, now, from_status=current, to_status=target,
                 changes=changes, note=reason)
    notices.status_changed(deal, current, now)
    db.session.flush()
