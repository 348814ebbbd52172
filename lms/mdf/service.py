"""Market development funds: opening a period's allocation, requests and their decisions,
claims with proof of performance, payments, and the balances every page shows.

Services flush, never commit (lms.database.saving commits). Every write that can move a
balance first locks the company (lms.database.lock_row), then reads what it decides on: two
requests sent at once take turns, so the second sees the first and the balance never goes
negative, on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import joinedload

from lms.assets.files import Upload, check_upload, store_upload
from lms.assets.metadata import AssetError
from lms.clock import program_today
from lms.database import lock_row
from lms.deals.registration import ATTRIBUTABLE
from lms.extensions import db
from lms.i18n import gettext as _
from lms.mdf import notices, rules
from lms.mdf.rules import Balance, Period
from lms.models import (
    Deal,
    DealStatus,
    MdfActivityType,
    MdfAdjustment,
    MdfAllocation,
    MdfEvent,
    MdfProofFile,
    MdfRequest,
    MdfStatus,
    Organization,
    User,
    utcnow,
)
from lms.numbers import format_amount
from lms.tiers.service import program_in_force

MAX_PROOF_FILES = 10


class MdfError(ValueError):
    """A request about funds that cannot be carried out; the message is for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Periods and allocations ---------------------------------------------------------------


def program_currency() -> str:
    return program_in_force().currency


def period_kind() -> str:
    return program_in_force().benefits.mdf_period


def current_period(today: date | None = None) -> Period:
    return rules.period_of(today or program_today(), period_kind())


def period_of_request(request: MdfRequest) -> Period:
    """The period whose allocation the request draws on."""
    allocation = db.session.get(MdfAllocation, request.allocation_id)
    assert allocation is not None  # a request always has one (ON DELETE CASCADE)
    return Period(allocation.period_kind, allocation.period_start, allocation.period_end)


def tier_allocation(organization: Organization) -> int:
    """What the company's tier gives per period (0 when its tier gives no MDF)."""
    return program_in_force().benefits.of(organization.tier.value).mdf or 0


def allocation_of(organization_id: int, period: Period) -> MdfAllocation | None:
    return db.session.scalar(select(MdfAllocation).where(
        MdfAllocation.organization_id == organization_id,
        MdfAllocation.period_kind == period.kind, MdfAllocation.period_start == period.start))


def open_allocation(organization: Organization, period: Period) -> MdfAllocation:
    """The company's allocation for `period`, opened at its tier's benefit when it has none
    yet. The caller holds the company's lock."""
    allocation = allocation_of(organization.id, period)
    if allocation is None:
        amount = tier_allocation(organization)
        allocation = MdfAllocation(
            organization_id=organization.id, period_kind=period.kind,
            period_start=period.start, period_end=period.end, tier=organization.tier,
            base_amount=amount, amount=amount, currency=program_in_force().currency)
        db.session.add(allocation)
        db.session.flush()
    return allocation


def _balance_rows(allocation_ids: Sequence[int]) -> dict[int, list[tuple]]:
    rows: dict[int, list[tuple]] = {allocation_id: [] for allocation_id in allocation_ids}
    if not allocation_ids:
        return rows
    for allocation_id, status, requested, approved, payable in db.session.execute(
            select(MdfRequest.allocation_id, MdfRequest.status,
                   func.sum(MdfRequest.requested_amount), func.sum(MdfRequest.approved_amount),
                   func.sum(MdfRequest.payable_amount))
            .where(MdfRequest.allocation_id.in_(allocation_ids))
            .group_by(MdfRequest.allocation_id, MdfRequest.status)):
        rows[allocation_id].append((MdfStatus(status), int(requested or 0),
                                    int(approved or 0), int(payable or 0)))
    return rows


def balance_of(allocation: MdfAllocation) -> Balance:
    return rules.balance(allocation.amount, _balance_rows([allocation.id])[allocation.id])


@dataclass(frozen=True)
class Funds:
    """A company's funds for one period: stored once opened, else what its tier gives."""

    organization: Organization
    period: Period
    allocation: MdfAllocation | None
    balance: Balance
    today: date

    @property
    def expired(self) -> int:
        return rules.expired(self.balance, self.period, self.today)

    @property
    def expiry_warning(self) -> bool:
        return rules.expiry_warning_due(self.balance, self.period, self.today)


def funds_of(organization: Organization, period: Period, today: date | None = None) -> Funds:
    """The company's funds for `period`; a running period not opened yet shows what its
    tier gives, one that has not opened before its end had nothing."""
    today = today or program_today()
    allocation = allocation_of(organization.id, period)
    if allocation is None:
        planned = tier_allocation(organization) if period.contains(today) else 0
        return Funds(organization, period, None, Balance(planned), today)
    return Funds(organization, period, allocation, balance_of(allocation), today)


def funds_of_partners(period: Period, today: date | None = None) -> list[Funds]:
    """Every active company's funds for `period` (three queries whatever their number)."""
    today = today or program_today()
    organizations = list(db.session.scalars(
        select(Organization).where(Organization.active.is_(True)).order_by(Organization.name)))
    allocations = {allocation.organization_id: allocation for allocation in db.session.scalars(
        select(MdfAllocation).where(MdfAllocation.period_kind == period.kind,
                                    MdfAllocation.period_start == period.start))}
    rows = _balance_rows([allocation.id for allocation in allocations.values()])
    running = period.contains(today)
    benefits = program_in_force().benefits
    funds = []
    for organization in organizations:
        allocation = allocations.get(organization.id)
        if allocation is not None:
            balance = rules.balance(allocation.amount, rows[allocation.id])
        else:
            balance = Balance((benefits.of(organization.tier.value).mdf or 0) if running else 0)
        funds.append(Funds(organization, period, allocation, balance, today))
    return funds


def adjust(organization: Organization, period: Period, delta: int, note: str,
           actor: User, today: date | None = None) -> MdfAllocation:
    """Raise or lower a company's allocation for a period; never below what it holds."""
    if not note.strip():
        raise MdfError(_("Say why the allocation changes: the partner reads it."), "note")
    if delta == 0:
        raise MdfError(_("Enter an amount other than zero."), "delta")
    lock_row(Organization, organization.id)
    if not period.contains(today or program_today()):
        raise MdfError(_("Only the running period's allocation can change: a period that "
                         "has ended is closed, one to come opens at its tier's allocation."))
    allocation = open_allocation(organization, period)
    balance = balance_of(allocation)
    new_amount = allocation.amount + delta
    if new_amount < balance.held:
        raise MdfError(_("The allocation cannot go below what requests already hold "
                         "(%(held)s).", held=format_amount(balance.held, allocation.currency)),
                       "delta")
    if new_amount > rules.MAX_AMOUNT:
        raise MdfError(_("That allocation is too large."), "delta")
    allocation.amount = new_amount
    db.session.add(MdfAdjustment(allocation_id=allocation.id, delta=delta, note=note.strip(),
                                 actor_id=actor.id, at=utcnow()))
    return allocation


def adjustments(allocation: MdfAllocation | None) -> list[MdfAdjustment]:
    if allocation is None:
        return []
    return list(db.session.scalars(
        select(MdfAdjustment).where(MdfAdjustment.allocation_id == allocation.id)
        .options(joinedload(MdfAdjustment.actor)).order_by(MdfAdjustment.at, MdfAdjustment.id)))


# --- Requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestData:
    activity_type: MdfActivityType
    title: str
    description: str
    starts_on: date
    ends_on: date
    planned_cost: int
    requested_amount: int
    expected_leads: int


def _check_request(data: RequestData, today: date) -> None:
    if data.starts_on < today:
        raise MdfError(_("Request funds before the activity: it cannot start in the past."),
                       "starts_on")
    if data.ends_on < data.starts_on:
        raise MdfError(_("The activity cannot end before it starts."), "ends_on")
    if (data.ends_on - data.starts_on).days >= rules.MAX_ACTIVITY_DAYS:
        raise MdfError(_("One request covers an activity of at most a year."), "ends_on")
    if not 1 <= data.planned_cost <= rules.MAX_AMOUNT:
        raise MdfError(_("Enter the planned cost."), "planned_cost")
    if not 1 <= data.requested_amount <= data.planned_cost:
        raise MdfError(_("Ask for at least 1 and at most the planned cost."),
                       "requested_amount")


def _event(request: MdfRequest, actor: User | None, from_status: MdfStatus | None,
           amount: int | None = None, note: str = "") -> None:
    db.session.add(MdfEvent(request_id=request.id, actor_id=actor.id if actor else None,
                            at=request.updated_at, from_status=from_status,
                            to_status=request.status, amount=amount, note=note))


def submit(organization: Organization, actor: User, data: RequestData,
           today: date | None = None) -> MdfRequest:
    """A partner's request for funds from the current period's allocation."""
    today = today or program_today()
    _check_request(data, today)
    lock_row(Organization, organization.id)
    allocation = open_allocation(organization, current_period(today))
    available = balance_of(allocation).available
    if data.requested_amount > available:
        raise MdfError(_("Only %(available)s is available this period.",
                         available=format_amount(available, allocation.currency)),
                       "requested_amount")
    now = utcnow()
    request = MdfRequest(organization_id=organization.id, allocation_id=allocation.id,
                         requested_by_id=actor.id, activity_type=data.activity_type,
                         title=data.title.strip(), description=data.description.strip(),
                         starts_on=data.starts_on, ends_on=data.ends_on,
                         planned_cost=data.planned_cost,
                         requested_amount=data.requested_amount,
                         expected_leads=data.expected_leads, status=MdfStatus.SUBMITTED,
                         created_at=now, updated_at=now)
    db.session.add(request)
    db.session.flush()
    _event(request, actor, None, data.requested_amount)
    notices.step(request, now=now)
    return request


def _lock_request(request: MdfRequest, allowed: Iterable[MdfStatus]) -> MdfStatus:
    """Lock the company, re-read the request, and refuse a step its status does not allow
    (another manager decided meanwhile, an old tab)."""
    lock_row(Organization, request.organization_id)
    db.session.refresh(request)
    if request.status not in allowed:
        raise MdfError(_("This request has changed meanwhile: reload the page and look "
                         "again."))
    request.updated_at = utcnow()
    return request.status


def decide(request: MdfRequest, actor: User, approved_amount: int | None, note: str) -> None:
    """Approve in full or in part (an amount), or reject (None) with a reason."""
    note = note.strip()
    before = _lock_request(request, (MdfStatus.SUBMITTED,))
    if approved_amount is None:
        if not note:
            raise MdfError(_("Give the reason for the rejection: the partner reads it."),
                           "note")
        request.status = MdfStatus.REJECTED
    else:
        if not 1 <= approved_amount <= request.requested_amount:
            raise MdfError(_("Approve from 1 up to the %(amount)s requested.",
                             amount=format_amount(request.requested_amount,
                                                  program_in_force().currency)), "amount")
        if approved_amount < request.requested_amount and not note:
            raise MdfError(_("Say why you approve less than was asked: the partner reads "
                             "it."), "note")
        request.status = MdfStatus.APPROVED
        request.approved_amount = approved_amount
    request.decision_note = note
    _event(request, actor, before, approved_amount, note)
    notices.step(request)


def cancel(request: MdfRequest, actor: User) -> None:
    """The partner withdraws a request it has not claimed: its funds return to the balance."""
    before = _lock_request(request, (MdfStatus.SUBMITTED, MdfStatus.APPROVED))
    request.status = MdfStatus.CANCELLED
    _event(request, actor, before)


@dataclass(frozen=True)
class ClaimData:
    actual_cost: int
    claimed_amount: int
    actual_leads: int | None
    note: str


def claim(request: MdfRequest, actor: User, data: ClaimData, files: Sequence[Upload],
          today: date | None = None) -> None:
    """The partner's claim after the activity, with its proof of performance."""
    today = today or program_today()
    before = _lock_request(request, (MdfStatus.APPROVED,))
    if request.ends_on > today:
        raise MdfError(_("Claim once the activity is over (it ends on %(day)s).",
                         day=request.ends_on.isoformat()))
    if data.actual_cost < 1 or data.actual_cost > rules.MAX_AMOUNT:
        raise MdfError(_("Enter what the activity actually cost."), "actual_cost")
    approved = request.approved_amount or 0
    if not 1 <= data.claimed_amount <= approved:
        raise MdfError(_("Claim at most the %(amount)s approved.",
                         amount=format_amount(approved, program_in_force().currency)),
                       "claimed_amount")
    if data.claimed_amount > data.actual_cost:
        raise MdfError(_("Claim at most what the activity actually cost."), "claimed_amount")
    kept = db.session.scalar(select(func.count()).select_from(MdfProofFile)
                             .where(MdfProofFile.request_id == request.id)) or 0
    if not files and not kept:
        raise MdfError(_("Attach the proof of performance: invoices, photos, the attendee "
                         "list."), "files")
    if kept + len(files) > MAX_PROOF_FILES:
        raise MdfError(_("Attach at most %(count)d files.", count=MAX_PROOF_FILES), "files")
    for upload in files:  # every file checked before one is stored: a refusal leaves none
        try:
            check_upload(upload)
        except AssetError as error:
            raise MdfError(f"{stored_name(upload)}: {error}", "files") from error
    for upload in files:
        try:
            stored = store_upload(upload)
        except AssetError as error:
            raise MdfError(f"{stored_name(upload)}: {error}", "files") from error
        db.session.add(MdfProofFile(request_id=request.id, filename=stored.filename,
                                    content_type=stored.content_type, size=stored.size,
                                    sha256=stored.sha256, uploaded_by_id=actor.id,
                                    uploaded_at=request.updated_at))
    request.actual_cost, request.claimed_amount = data.actual_cost, data.claimed_amount
    request.actual_leads, request.claim_note = data.actual_leads, data.note.strip()
    request.status = MdfStatus.CLAIMED
    _event(request, actor, before, data.claimed_amount, request.claim_note)
    notices.step(request)


def stored_name(upload: Upload) -> str:
    return upload.filename or "?"


def decide_claim(request: MdfRequest, actor: User, payable: int | None, note: str) -> None:
    """Approve a claim (what will be paid: at most what was claimed), or return it to the
    partner (None) with what to fix; a returned claim can be sent again."""
    note = note.strip()
    before = _lock_request(request, (MdfStatus.CLAIMED,))
    if payable is None:
        if not note:
            raise MdfError(_("Say what the partner should fix in the claim."), "note")
        request.status = MdfStatus.APPROVED
    else:
        claimed = request.claimed_amount or 0
        if not 0 <= payable <= claimed:
            raise MdfError(_("Approve at most the %(amount)s claimed.",
                             amount=format_amount(claimed, program_in_force().currency)),
                           "amount")
        if payable < claimed and not note:
            raise MdfError(_("Say why less than the claim will be paid: the partner reads "
                             "it."), "note")
        request.payable_amount = payable
        request.status = MdfStatus.CLAIM_APPROVED
    request.decision_note = note  # the latest decision's word; the history keeps each
    _event(request, actor, before, payable, note)
    notices.step(request, returned=payable is None)


def record_payment(request: MdfRequest, actor: User, paid_on: date, reference: str,
                   today: date | None = None) -> None:
    today = today or program_today()
    before = _lock_request(request, (MdfStatus.CLAIM_APPROVED,))
    if paid_on > today:
        raise MdfError(_("Record a payment once it is made: the date cannot be in the "
                         "future."), "paid_on")
    if paid_on < request.starts_on:
        raise MdfError(_("The payment cannot be dated before the activity."), "paid_on")
    if not reference.strip():
        raise MdfError(_("Enter the payment's reference (the transfer or invoice number)."),
                       "reference")
    request.paid_on, request.payment_reference = paid_on, reference.strip()
    request.status = MdfStatus.PAID
    _event(request, actor, before, request.payable_amount, request.payment_reference)
    notices.step(request)


# --- Reading ----------------------------------------------------------------------------------


def requests_in(period: Period, organization_id: int | None = None,
                status: MdfStatus | None = None) -> list[MdfRequest]:
    stmt = (select(MdfRequest).join(MdfAllocation, MdfAllocation.id == MdfRequest.allocation_id)
            .where(MdfAllocation.period_kind == period.kind,
                   MdfAllocation.period_start == period.start)
            .options(joinedload(MdfRequest.organization), joinedload(MdfRequest.requested_by))
            .order_by(MdfRequest.created_at.desc(), MdfRequest.id.desc()))
    if organization_id is not None:
        stmt = stmt.where(MdfRequest.organization_id == organization_id)
    if status is not None:
        stmt = stmt.where(MdfRequest.status == status)
    return list(db.session.scalars(stmt))


def open_elsewhere(organization_id: int, period: Period) -> list[MdfRequest]:
    """The company's requests of other periods still in progress (an activity approved last
    quarter is claimed this one), oldest first."""
    return list(db.session.scalars(
        select(MdfRequest).join(MdfAllocation, MdfAllocation.id == MdfRequest.allocation_id)
        .where(MdfRequest.organization_id == organization_id,
               (MdfAllocation.period_kind != period.kind)
               | (MdfAllocation.period_start != period.start),
               MdfRequest.status.not_in((MdfStatus.REJECTED, MdfStatus.CANCELLED,
                                         MdfStatus.PAID)))
        .order_by(MdfRequest.created_at, MdfRequest.id)))


def waiting(limit: int = 50) -> list[MdfRequest]:
    """Requests and claims waiting for the channel team, oldest first (any period)."""
    return list(db.session.scalars(
        select(MdfRequest)
        .where(MdfRequest.status.in_((MdfStatus.SUBMITTED, MdfStatus.CLAIMED,
                                      MdfStatus.CLAIM_APPROVED)))
        .options(joinedload(MdfRequest.organization))
        .order_by(MdfRequest.updated_at, MdfRequest.id).limit(limit)))


def events_of(request: MdfRequest) -> list[MdfEvent]:
    return list(db.session.scalars(
        select(MdfEvent).where(MdfEvent.request_id == request.id)
        .options(joinedload(MdfEvent.actor)).order_by(MdfEvent.at, MdfEvent.id)))


def proof_files(request: MdfRequest) -> list[MdfProofFile]:
    return list(db.session.scalars(
        select(MdfProofFile).where(MdfProofFile.request_id == request.id)
        .order_by(MdfProofFile.uploaded_at, MdfProofFile.id)))


def attributed_deals(request: MdfRequest) -> list[Deal]:
    return list(db.session.scalars(
        select(Deal).where(Deal.mdf_request_id == request.id)
        .order_by(Deal.registered_at.desc(), Deal.id.desc())))


def attributable(organization_id: int, current: int | None = None) -> list[MdfRequest]:
    """The company's activities a deal can be credited to (approved, not cancelled), and
    `current` (the deal's own), newest first."""
    wanted: ColumnElement[bool] = MdfRequest.status.in_(ATTRIBUTABLE)
    if current is not None:
        wanted = wanted | (MdfRequest.id == current)
    return list(db.session.scalars(
        select(MdfRequest).where(MdfRequest.organization_id == organization_id, wanted)
        .order_by((MdfRequest.id == (current or 0)).desc(), MdfRequest.starts_on.desc(),
                  MdfRequest.id.desc()).limit(100)))


# --- Return on MDF ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityReturn:
    request: MdfRequest
    result: rules.Return


def returns(period: Period, organization_id: int | None = None) -> list[ActivityReturn]:
    """What each funded activity of the period brought: the deals credited to it, open and
    won, in the program currency (deals in a currency without an exchange rate are left
    out, as in the tier report)."""
    program = program_in_force()
    requests = [request for request in requests_in(period, organization_id)
                if request.status not in (MdfStatus.SUBMITTED, MdfStatus.REJECTED,
                                          MdfStatus.CANCELLED)]
    if not requests:
        return []
    sums: dict[int, dict[str, float]] = {}
    for request_id, currency, status, total, count in db.session.execute(
            select(Deal.mdf_request_id, Deal.currency, Deal.status, func.sum(Deal.amount),
                   func.count())
            .where(Deal.mdf_request_id.in_([request.id for request in requests]))
            .group_by(Deal.mdf_request_id, Deal.currency, Deal.status)):
        entry = sums.setdefault(int(request_id or 0), {"open": 0.0, "won": 0.0, "deals": 0})
        entry["deals"] += count
        rate = 1.0 if currency == program.currency else program.exchange_rates.get(currency)
        if rate is None:
            continue
        if status == DealStatus.WON:
            entry["won"] += int(total or 0) * rate
        elif DealStatus(status).is_open:
            entry["open"] += int(total or 0) * rate
    result = []
    for request in requests:
        entry = sums.get(request.id, {"open": 0.0, "won": 0.0, "deals": 0})
        result.append(ActivityReturn(request, rules.Return(
            rules.spent(request.status, request.approved_amount, request.payable_amount),
            round(entry["open"]), round(entry["won"]), int(entry["deals"]))))
    return result
