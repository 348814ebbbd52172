"""Deal registration, edits, decisions, expiry, conflicts, CSV/API upserts and reading.

Services flush and never commit: the caller commits once, so a whole import is one
transaction. Writes start with `start_write_transaction()` (SQLite: BEGIN IMMEDIATE;
PostgreSQL: the rows decided on are locked), so concurrent decisions queue up.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, select, text, update
from sqlalchemy.orm import joinedload

from lms import audit
from lms.database import start_write_transaction
from lms.deals import importer
from lms.deals.customers import customer_key
from lms.deals.importer import DealRow, FieldError
from lms.extensions import db
from lms.labels import DEAL_STATUS_LABELS
from lms.models import (
    AuditAction,
    Deal,
    DealEvent,
    DealStatus,
    JobFunction,
    Organization,
    Role,
    User,
    utcnow,
)
from lms.policy import scope
from lms.text import has_control_characters

OPEN_STATUSES = (DealStatus.REGISTERED, DealStatus.APPROVED)
CLOSED_STATUSES = (DealStatus.WON, DealStatus.LOST)
# A registration conflicts with open deals of other partners registered this long before it.
CONFLICT_WINDOW = timedelta(days=90)
DEFAULT_EXPIRY_DAYS = 90
ACTIONS = {
    "approve": DealStatus.APPROVED,
    "reject": DealStatus.REJECTED,
    "won": DealStatus.WON,
    "lost": DealStatus.LOST,
}
# Status moves vendor staff may make on the web (imports set whatever the CRM says).
TRANSITIONS = {
    DealStatus.REGISTERED: (DealStatus.APPROVED, DealStatus.REJECTED, DealStatus.WON,
                            DealStatus.LOST),
    DealStatus.APPROVED: (DealStatus.WON, DealStatus.LOST),
}
EDITABLE_FIELDS = ("customer_name", "amount", "currency", "product", "description",
                   "expected_close_on")
MAX_REASON = 1000
CHUNK = 500  # values per IN (...): far below every database's parameter limit


class DealError(ValueError):
    """A request about a deal that cannot be carried out; the message is for people."""


# --- Who may do what ----------------------------------------------------------------------


def can_register(user: User) -> bool:
    """Partner admins and sales members register deals for their company."""
    return user.role == Role.PARTNER_ADMIN or (
        user.role == Role.MEMBER and user.job_function == JobFunction.SALES)


def can_edit(user: User, deal: Deal) -> bool:
    """Vendor staff always; the registering company's registrars while the deal is open."""
    if user.is_vendor:
        return True
    return (can_register(user) and user.organization_id == deal.organization_id
            and deal.status.is_open)


def allowed_actions(user: User, deal: Deal) -> list[str]:
    """The decisions `user` may take on `deal` now (vendor staff only)."""
    if not user.is_vendor:
        return []
    targets = TRANSITIONS.get(deal.status, ())
    return [action for action, status in ACTIONS.items() if status in targets]


# --- Time ---------------------------------------------------------------------------------


def expiry_days() -> int:
    return int(current_app.config.get("LMS_DEAL_EXPIRY_DAYS", DEFAULT_EXPIRY_DAYS))


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def local_date(moment: datetime) -> date:
    """The calendar day of `moment` where the program runs (LMS_TIMEZONE)."""
    return moment.astimezone(_zone()).date()


def start_of_day(day: date) -> datetime:
    """Midnight of `day` where the program runs, as UTC: a CSV date as a timestamp."""
    return datetime.combine(day, time(), tzinfo=_zone()).astimezone(UTC)


def is_overdue(deal: Deal, now: datetime) -> bool:
    return deal.status.is_open and deal.registered_at < now - timedelta(days=expiry_days())


# --- Conflicts ----------------------------------------------------------------------------


class ConflictIndex:
    """Open deals by customer key, loaded once for the keys at hand; new deals join it, so
    an import finds conflicts among its own rows too."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[Deal]] = defaultdict(list)
        self._order: dict[int, int] = {}

    @classmethod
    def load(cls, keys: Iterable[str]) -> ConflictIndex:
        index = cls()
        keys = sorted(set(keys))
        for start in range(0, len(keys), CHUNK):
            for deal in db.session.scalars(select(Deal).where(
                    Deal.customer_key.in_(keys[start:start + CHUNK]),
                    Deal.status.in_(OPEN_STATUSES))):
                index.add(deal)
        return index

    def add(self, deal: Deal) -> None:
        if deal not in self._by_key[deal.customer_key]:
            self._by_key[deal.customer_key].append(deal)

    def _rank(self, deal: Deal) -> tuple[datetime, int]:
        # Deals not flushed yet have no id: they come after stored ones, in the order seen.
        if deal.id is not None:
            return deal.registered_at, deal.id
        return deal.registered_at, 2**62 + self._order.setdefault(id(deal), len(self._order))

    def first_for(self, deal: Deal, claimed_at: datetime | None = None) -> Deal | None:
        """The earliest open deal of another company for the same customer, registered in
        the 90 days before `deal` (or before `claimed_at`, when an existing deal is moved
        to this customer): the registration that owns the customer."""
        if claimed_at is not None:  # a rename claims the customer now, not at registration
            rank = (claimed_at, 2**63)
            oldest = claimed_at - CONFLICT_WINDOW
        else:
            rank = self._rank(deal)
            oldest = deal.registered_at - CONFLICT_WINDOW
        candidates = [
            other for other in self._by_key.get(deal.customer_key, ())
            if other is not deal and other.organization_id != deal.organization_id
            and other.status.is_open and other.customer_key == deal.customer_key
            and other.registered_at >= oldest and self._rank(other) < rank
        ]
        return min(candidates, key=self._rank, default=None)


def _set_conflict(deal: Deal, other: Deal | None) -> None:
    if other is None:
        deal.conflict_with_id = None
    elif other.id is not None:
        deal.conflict_with_id = other.id
    else:
        deal.conflict_with = other  # both new: the flush orders the inserts


def _lock_customer(key: str) -> None:
    """PostgreSQL: registrations of one customer take turns, so two partners registering it
    at once cannot both miss each other (SQLite's BEGIN IMMEDIATE already serialises)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": zlib.crc32(key.encode())})


# --- History ------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_date(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, DealStatus):
        return value.value
    return str(value)


def _record(deal: Deal, actor: User | None, source: str, now: datetime, *,
            from_status: DealStatus | None = None, to_status: DealStatus | None = None,
            changes: Mapping[str, list[str]] | None = None, note: str = "") -> DealEvent:
    event = DealEvent(deal_id=deal.id, actor_id=actor.id if actor else None, source=source,
                      at=now, from_status=from_status, to_status=to_status,
                      changes=dict(changes or {}), note=note)
    db.session.add(event)
    return event


def _set(deal: Deal, changes: dict[str, list[str]], name: str, value: object) -> None:
    """Set one attribute, noting [old, new] as text when it really changes."""
    old = getattr(deal, name)
    if old != value:
        changes[name] = [_text(old), _text(value)]
        setattr(deal, name, value)


# --- Checking values from callers ---------------------------------------------------------


@dataclass(frozen=True)
class DealFields:
    """The fields a partner enters, checked."""

    customer_name: str
    amount: int
    currency: str
    product: str
    description: str
    expected_close_on: date | None


def check_fields(*, customer_name: str, amount: object, currency: str = "JPY",
                 product: str = "", description: str = "",
                 expected_close_on: date | None = None) -> DealFields:
    """The entered fields, trimmed and checked; DealError naming the first problem."""
    texts = {"customer": (customer_name or "").strip(), "product": (product or "").strip(),
             "description": (description or "").strip()}
    for column, value in texts.items():
        if has_control_characters(value, column in importer.MULTILINE_COLUMNS):
            raise DealError(_("Remove the control characters from the text."))
        if len(value) > importer.MAX_LENGTHS[column]:
            raise DealError(_("Too long: at most %(n)d characters.",
                              n=importer.MAX_LENGTHS[column]))
    if not texts["customer"]:
        raise DealError(_("Enter the customer company."))
    try:
        parsed_amount = importer.parse_amount(amount)
        parsed_currency = importer.parse_currency(currency)
    except ValueError as error:
        raise DealError(str(error)) from error
    return DealFields(texts["customer"], parsed_amount, parsed_currency, texts["product"],
                      texts["description"], expected_close_on)


# --- Registering, editing, deciding -------------------------------------------------------


def register_deal(organization: Organization, registered_by: User | None, *, customer_name: str,
                  amount: object, currency: str = "JPY", product: str = "",
                  description: str = "", expected_close_on: date | None = None,
                  external_id: str | None = None, now: datetime | None = None,
                  source: str = "web") -> Deal:
    """Register a deal for `organization`, flagged when another partner registered the same
    customer first (open, in the last 90 days). DealError for bad values."""
    fields = check_fields(customer_name=customer_name, amount=amount, currency=currency,
                          product=product, description=description,
                          expected_close_on=expected_close_on)
    external_id = (external_id or "").strip() or None
    if external_id and len(external_id) > importer.MAX_LENGTHS["external_id"]:
        raise DealError(_("The external id is too long."))
    organization_id = organization.id
    registered_by_id = registered_by.id if registered_by else None
    key = customer_key(fields.customer_name)
    start_write_transaction()
    _lock_customer(key)
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
                updated_at=now)
    _set_conflict(deal, ConflictIndex.load([key]).first_for(deal))
    db.session.add(deal)
    db.session.flush()
    _record(deal, registered_by, source, now, to_status=DealStatus.REGISTERED,
            changes=_initial_changes(deal))
    db.session.flush()
    return deal


def _initial_changes(deal: Deal) -> dict[str, list[str]]:
    names = ("customer_name", "amount", "currency", "product", "expected_close_on",
             "external_id")
    return {name: ["", _text(getattr(deal, name))] for name in names
            if getattr(deal, name) not in (None, "")}


def edit_deal(deal: Deal, actor: User, *, customer_name: str, amount: object, currency: str,
              product: str, description: str, expected_close_on: date | None,
              now: datetime | None = None, source: str = "web") -> dict[str, list[str]]:
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
        _set(deal, changes, name, getattr(fields, name))
    if not changes:
        return {}
    new_key = customer_key(deal.customer_name)
    if new_key != deal.customer_key:
        _lock_customer(new_key)
        deal.customer_key = new_key
        if deal.status.is_open:
            # Renaming an old registration must not jump the queue: it claims the new
            # customer as of now, after everyone who registered it before.
            _set_conflict(deal, ConflictIndex.load([new_key]).first_for(deal, claimed_at=now))
    deal.updated_at = now
    _record(deal, actor, source, now, changes=changes)
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
                          status=str(DEAL_STATUS_LABELS[target.value]).lower()))
    if current not in TRANSITIONS:
        raise DealError(_("This deal is %(status)s: its status can no longer change.",
                          status=str(DEAL_STATUS_LABELS[current.value]).lower()))
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
        _set(deal, changes, "rejection_reason", reason)
    else:
        deal.closed_at = now
    _record(deal, actor, source, now, from_status=current, to_status=target, changes=changes,
            note=reason)
    db.session.flush()


# --- Expiry -------------------------------------------------------------------------------


def expire_overdue(now: datetime | None = None) -> int:
    """Expire every open deal registered more than LMS_DEAL_EXPIRY_DAYS ago; how many.
    One query when there is nothing to expire (pages call it lazily)."""
    now = now or utcnow()
    overdue = (Deal.status.in_(OPEN_STATUSES),
               Deal.registered_at < now - timedelta(days=expiry_days()))
    if db.session.scalar(select(Deal.id).where(*overdue).limit(1)) is None:
        return 0
    start_write_transaction()
    rows = db.session.execute(select(Deal.id, Deal.status).where(*overdue)
                              .order_by(Deal.id).with_for_update()).all()
    ids = [deal_id for deal_id, _status in rows]
    for start in range(0, len(ids), CHUNK):
        db.session.execute(update(Deal).where(Deal.id.in_(ids[start:start + CHUNK]))
                           .values(status=DealStatus.EXPIRED, expired_at=now, updated_at=now))
    db.session.add_all(DealEvent(deal_id=deal_id, actor_id=None, source="system", at=now,
                                 from_status=status, to_status=DealStatus.EXPIRED, changes={},
                                 note="") for deal_id, status in rows)
    db.session.flush()
    return len(rows)


# --- Upserts from the CRM: CSV import and API ---------------------------------------------


def _deals_by_external_id(external_ids: list[str]) -> dict[str, Deal]:
    found: dict[str, Deal] = {}
    for start in range(0, len(external_ids), CHUNK):
        for deal in db.session.scalars(select(Deal).where(
                Deal.external_id.in_(external_ids[start:start + CHUNK]))):
            found[deal.external_id] = deal
    return found


def _row_changes(deal: Deal, row: DealRow) -> dict[str, list[str]]:
    """What applying `row` would change (status apart), without changing anything."""
    changes: dict[str, list[str]] = {}

    def note(name: str, old: object, new: object) -> None:
        if old != new:
            changes[name] = [_text(old), _text(new)]

    note("customer_name", deal.customer_name, row.customer)
    note("amount", deal.amount, row.amount)
    note("currency", deal.currency, row.currency)
    note("product", deal.product, row.product)
    note("description", deal.description, row.description)
    note("expected_close_on", deal.expected_close_on, row.expected_close_on)
    if row.registered_on is not None:
        note("registered_at", local_date(deal.registered_at), row.registered_on)
    closed_on = local_date(deal.closed_at) if deal.closed_at else None
    note("closed_at", closed_on, row.closed_on if row.status in CLOSED_STATUSES else None)
    reason = row.rejection_reason if row.status == DealStatus.REJECTED else None
    note("rejection_reason", deal.rejection_reason or None, reason or None)
    return changes


def _apply_status(deal: Deal, row: DealRow, now: datetime) -> None:
    """Status and its timestamps as the CRM says (any move: the CRM is the reference)."""
    moved = deal.status != row.status
    deal.status = row.status
    if moved and row.status == DealStatus.APPROVED:
        deal.approved_at = now
    elif moved and row.status == DealStatus.REJECTED:
        deal.rejected_at = now
    elif moved and row.status == DealStatus.EXPIRED:
        deal.expired_at = now
    if row.status in CLOSED_STATUSES and row.closed_on is not None:
        if deal.closed_at is None or local_date(deal.closed_at) != row.closed_on:
            deal.closed_at = start_of_day(row.closed_on)
    else:
        deal.closed_at = None
    deal.rejection_reason = row.rejection_reason if row.status == DealStatus.REJECTED else None


def _registered_at(row: DealRow, now: datetime) -> datetime:
    """A new deal's registration: the row's date, else now — or, for a deal the CRM says
    closed before today, its close date (a deal is never closed before it was registered)."""
    if row.registered_on is not None:
        return start_of_day(row.registered_on)
    if row.status in CLOSED_STATUSES and row.closed_on is not None \
            and start_of_day(row.closed_on) < now:
        return start_of_day(row.closed_on)
    return now


def _new_deal(row: DealRow, organization_id: int, now: datetime) -> Deal:
    deal = Deal(organization_id=organization_id, registered_by_id=None,
                customer_name=row.customer, customer_key=customer_key(row.customer),
                amount=row.amount, currency=row.currency, product=row.product,
                description=row.description, expected_close_on=row.expected_close_on,
                status=DealStatus.REGISTERED, external_id=row.external_id,
                registered_at=_registered_at(row, now), updated_at=now)
    _apply_status(deal, row, now)
    return deal


@dataclass
class _Applied:
    created: list[Deal] = field(default_factory=list)
    updated: list[Deal] = field(default_factory=list)
    unchanged: int = 0


def _apply_rows(rows: list[DealRow], organization_ids: Mapping[str, int],
                existing: Mapping[str, Deal], actor: User | None, source: str,
                now: datetime) -> _Applied:
    """Create or update a deal per row, with its history; two flushes whatever the size."""
    applied = _Applied()
    index = ConflictIndex.load(customer_key(row.customer) for row in rows)
    events: list[tuple[Deal, DealStatus | None, DealStatus, dict, str]] = []
    for row in rows:
        deal = existing.get(row.external_id)
        if deal is None:
            deal = _new_deal(row, organization_ids[row.partner], now)
            if deal.status.is_open:
                _set_conflict(deal, index.first_for(deal))
                index.add(deal)
            db.session.add(deal)
            applied.created.append(deal)
            changes = _initial_changes(deal)
            if row.registered_on is not None:
                changes["registered_at"] = ["", row.registered_on.isoformat()]
            if row.status in CLOSED_STATUSES and row.closed_on is not None:
                changes["closed_at"] = ["", row.closed_on.isoformat()]
            events.append((deal, None, deal.status, changes, row.rejection_reason))
            continue
        changes = _row_changes(deal, row)
        if not changes and deal.status == row.status:
            applied.unchanged += 1
            continue
        from_status = deal.status
        for name, value in (("customer_name", row.customer), ("amount", row.amount),
                            ("currency", row.currency), ("product", row.product),
                            ("description", row.description),
                            ("expected_close_on", row.expected_close_on)):
            setattr(deal, name, value)
        if "registered_at" in changes:
            deal.registered_at = start_of_day(row.registered_on)
        _apply_status(deal, row, now)
        deal.updated_at = now
        new_key = customer_key(row.customer)
        if new_key != deal.customer_key:
            deal.customer_key = new_key
            _set_conflict(deal, index.first_for(deal) if deal.status.is_open else None)
            index.add(deal)
        applied.updated.append(deal)
        moved = from_status != deal.status
        events.append((deal, from_status if moved else None, deal.status if moved else None,
                       changes, row.rejection_reason if moved else ""))
    db.session.flush()
    for deal, from_status, to_status, changes, note in events:
        _record(deal, actor, source, now, from_status=from_status, to_status=to_status,
                changes=changes, note=note)
    db.session.flush()
    return applied


def _partner_changed(row: DealRow, deal: Deal | None, organization_id: int,
                     today: date | None = None) -> FieldError | None:
    """A row that would move a deal to another company, or close it before it was
    registered (the registration date being the row's, the stored one, or today)."""
    if deal is not None and deal.organization_id != organization_id:
        return FieldError(row.row, "partner", _(
            "The deal %(id)s belongs to another partner company; the partner of a deal "
            "cannot change.", id=row.external_id))
    if row.closed_on is not None and row.status in CLOSED_STATUSES and deal is not None \
            and row.registered_on is None:
        registered = local_date(deal.registered_at)
        if row.closed_on < registered:
            return FieldError(row.row, "closed_on", _(
                "The close date is before the registration date (%(date)s); give the "
                "registration date in registered_on.", date=registered.isoformat()))
    return None


def upsert_from_mapping(external_id: str, data: Mapping[str, object], *,
                        actor: User | None = None, source: str = "api",
                        now: datetime | None = None
                        ) -> tuple[Deal | None, bool, list[FieldError]]:
    """Create or update the deal with this external id from CSV-style values (the JSON API):
    (deal, created, errors). With errors nothing is written; unchanged values write nothing."""
    now = now or utcnow()
    values = {**data, "external_id": external_id}
    slug = str(values.get("partner") or "").strip().lower()
    # Only a plausible slug is looked up (NUL and other controls never reach a query).
    organization = db.session.scalar(select(Organization).where(Organization.slug == slug)) \
        if slug and not has_control_characters(slug) else None
    row, errors = importer.validate_row(
        values, row=None, known_partners={organization.slug} if organization else set(),
        today=local_date(now))
    if row is None:
        return None, False, errors
    start_write_transaction()
    _lock_customer(customer_key(row.customer))
    existing = _deals_by_external_id([row.external_id])
    problem = _partner_changed(row, existing.get(row.external_id), organization.id,
                               local_date(now))
    if problem is not None:
        return None, False, [problem]
    applied = _apply_rows([row], {organization.slug: organization.id}, existing, actor,
                          source, now)
    if applied.created:
        return applied.created[0], True, []
    return existing[row.external_id], False, []


@dataclass
class ImportReport:
    """What an import did (or, checking only, would do), and every problem by row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    row_count: int = 0
    errors: list[FieldError] = field(default_factory=list)
    dry_run: bool = False
    skip_bad_rows: bool = False
    applied: bool = False

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors if e.row is not None and e.row > 1})

    @property
    def file_error(self) -> bool:
        """The file could not be read at all (encoding, header, size)."""
        return any(e.row is None or e.row <= 1 for e in self.errors)

    @property
    def refused(self) -> bool:
        """Nothing was written because of errors."""
        return bool(self.errors) and not self.applied and not self.dry_run


def import_deals(data: bytes, actor: User | None, *, skip_bad_rows: bool = False,
                 dry_run: bool = False, now: datetime | None = None,
                 source: str = "import") -> ImportReport:
    """Create or update deals by external id from a CSV file (format: lms.deals.importer).
    Any bad row stops the whole import unless `skip_bad_rows`; `dry_run` only counts."""
    now = now or utcnow()
    report = ImportReport(dry_run=dry_run, skip_bad_rows=skip_bad_rows)
    if not dry_run:
        start_write_transaction()
    organization_ids = dict(db.session.execute(select(Organization.slug, Organization.id)).all())
    parsed = importer.parse_csv(data, known_partners=organization_ids.keys(),
                                today=local_date(now))
    report.row_count = parsed.row_count
    errors = list(parsed.errors)
    existing = _deals_by_external_id([row.external_id for row in parsed.rows])
    rows = []
    for row in parsed.rows:
        problem = _partner_changed(row, existing.get(row.external_id),
                                   organization_ids[row.partner], local_date(now))
        if problem is None:
            rows.append(row)
        else:
            errors.append(problem)
    report.errors = sorted(errors, key=lambda e: (e.row or 0, importer.column_order(e.column)))
    if report.file_error:
        return report
    for row in rows:
        deal = existing.get(row.external_id)
        if deal is None:
            report.created += 1
        elif _row_changes(deal, row) or deal.status != row.status:
            report.updated += 1
        else:
            report.unchanged += 1
    if dry_run or (report.errors and not skip_bad_rows) or not rows:
        return report
    _apply_rows(rows, organization_ids, existing, actor, source, now)
    report.applied = True
    audit.record(AuditAction.DEALS_IMPORTED, actor=actor, created=report.created,
                 updated=report.updated, unchanged=report.unchanged,
                 bad_rows=report.bad_rows, source=source)
    db.session.flush()
    return report


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DealFilters:
    """The list's filters; partners get status and search, vendor staff all of them."""

    status: DealStatus | None = None
    partner: str = ""
    conflicts_only: bool = False
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str], viewer: User) -> DealFilters:
        status = args.get("status", "")
        vendor = viewer.is_vendor
        return cls(
            status=DealStatus(status) if status in DealStatus._value2member_map_ else None,
            partner=args.get("partner", "").strip().lower()[:80] if vendor else "",
            conflicts_only=vendor and args.get("conflicts") in {"1", "on", "y"},
            q=args.get("q", "").strip()[:100],
        )

    def as_args(self) -> dict[str, str]:
        """The filters set, as query-string values (pager links, CSV link)."""
        args = {"status": self.status.value if self.status else "", "partner": self.partner,
                "conflicts": "1" if self.conflicts_only else "", "q": self.q}
        return {name: value for name, value in args.items() if value}


def deals_query(viewer: User, filters: DealFilters) -> Select:
    """The deals `viewer` may see, filtered, newest first, with what the list shows."""
    stmt = select(Deal).options(joinedload(Deal.organization), joinedload(Deal.registered_by))
    if viewer.is_vendor:
        stmt = stmt.options(joinedload(Deal.conflict_with).joinedload(Deal.organization))
    stmt = scope(stmt, Deal.organization_id, viewer)
    if filters.status is not None:
        stmt = stmt.where(Deal.status == filters.status)
    if filters.partner:
        stmt = stmt.where(Deal.organization.has(Organization.slug == filters.partner))
    if filters.conflicts_only:
        stmt = stmt.where(Deal.conflict_with_id.is_not(None))
    if filters.q:
        key = customer_key(filters.q)
        stmt = stmt.where(Deal.customer_key.contains(key, autoescape=True)
                          | Deal.customer_name.icontains(filters.q, autoescape=True)
                          | Deal.external_id.icontains(filters.q, autoescape=True))
    return stmt.order_by(Deal.registered_at.desc(), Deal.id.desc())


def partner_options() -> list[tuple[str, str]]:
    """(slug, name) of every partner company, for the vendor's filter."""
    return [tuple(row) for row in db.session.execute(
        select(Organization.slug, Organization.name).order_by(Organization.name))]


@dataclass
class DealPage:
    deal: Deal
    events: list[DealEvent]
    can_edit: bool
    actions: list[str]
    # The flag as this viewer may see it: vendor staff the other deal, partners only a notice.
    conflict: Deal | None
    under_review: bool


def deal_page(deal: Deal, viewer: User) -> DealPage:
    """One deal with its people, its conflict and its history, in two queries."""
    options = [joinedload(Deal.organization), joinedload(Deal.registered_by)]
    if viewer.is_vendor:
        options.append(joinedload(Deal.conflict_with).joinedload(Deal.organization))
    deal = db.session.scalars(select(Deal).options(*options).where(Deal.id == deal.id)
                              .execution_options(populate_existing=True)).one()
    events = list(db.session.scalars(
        select(DealEvent).options(joinedload(DealEvent.actor)).where(DealEvent.deal_id == deal.id)
        .order_by(DealEvent.at, DealEvent.id)))
    flagged = deal.conflict_with_id is not None
    return DealPage(
        deal=deal, events=events, can_edit=can_edit(viewer, deal),
        actions=allowed_actions(viewer, deal),
        conflict=deal.conflict_with if flagged and viewer.is_vendor else None,
        under_review=flagged and not viewer.is_vendor,
    )


EXPORT_COLUMNS = ("id", "external_id", "partner", "partner_name", "customer", "amount",
                  "currency", "product", "description", "expected_close", "status",
                  "registered_on", "registered_by", "approved_on", "rejected_on", "closed_on",
                  "expired_on", "rejection_reason")


def export_rows(viewer: User, filters: DealFilters) -> tuple[list[str], Iterable[list]]:
    """Header and rows of the CSV download: what the viewer may see, filtered."""
    header = list(EXPORT_COLUMNS)
    vendor = viewer.is_vendor
    header.append("conflict_with" if vendor else "under_review")

    def day(moment: datetime | None) -> str:
        return local_date(moment).isoformat() if moment else ""

    def rows():
        for deal in db.session.scalars(deals_query(viewer, filters)
                                       .execution_options(yield_per=1000)):
            yield [deal.id, deal.external_id or "", deal.organization.slug,
                   deal.organization.name, deal.customer_name, deal.amount, deal.currency,
                   deal.product, deal.description,
                   deal.expected_close_on.isoformat() if deal.expected_close_on else "",
                   deal.status.value, day(deal.registered_at),
                   deal.registered_by.name if deal.registered_by else "", day(deal.approved_at),
                   day(deal.rejected_at), day(deal.closed_at), day(deal.expired_at),
                   deal.rejection_reason or "",
                   (deal.conflict_with_id or "") if vendor
                   else ("yes" if deal.conflict_with_id else "")]

    return header, rows()
