"""Deals from the vendor's CRM: a CSV import, or one deal at a time through the JSON API.

Both create or update deals by external id, row by row as the CRM describes them (any status
move: the CRM is the reference), with their history. Services flush and never commit: the
caller commits once, so a whole import is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms import audit
from lms.clock import day_start, local_date, program_today
from lms.database import start_write_transaction
from lms.deals import importer, notices
from lms.deals.conflicts import ConflictIndex, lock_customer, set_conflict
from lms.deals.customers import customer_key
from lms.deals.history import change_text, initial_changes, record_event
from lms.deals.rules import CHUNK, CLOSED_STATUSES, DealError
from lms.deals.validation import DealRow, FieldError, column_order, validate_row
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import AuditAction, Deal, DealStatus, Organization, User, utcnow
from lms.notifications.service import Audience, Batch
from lms.text import has_control_characters


def _deals_by_external_id(external_ids: list[str]) -> dict[str, Deal]:
    found: dict[str, Deal] = {}
    for start in range(0, len(external_ids), CHUNK):
        for deal in db.session.scalars(select(Deal).where(
                Deal.external_id.in_(external_ids[start:start + CHUNK]))):
            assert deal.external_id is not None  # found by it
            found[deal.external_id] = deal
    return found


def _row_changes(deal: Deal, row: DealRow) -> dict[str, list[str]]:
    """What applying `row` would change (status apart), without changing anything."""
    changes: dict[str, list[str]] = {}

    def note(name: str, old: object, new: object) -> None:
        if old != new:
            changes[name] = [change_text(old), change_text(new)]

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
            deal.closed_at = day_start(row.closed_on)
    else:
        deal.closed_at = None
    deal.rejection_reason = row.rejection_reason if row.status == DealStatus.REJECTED else None


def _registered_at(row: DealRow, now: datetime) -> datetime:
    """A new deal's registration: the row's date, else now — or, for a deal the CRM says
    closed before today, its close date (a deal is never closed before it was registered)."""
    if row.registered_on is not None:
        return day_start(row.registered_on)
    if row.status in CLOSED_STATUSES and row.closed_on is not None \
            and day_start(row.closed_on) < now:
        return day_start(row.closed_on)
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


# An event to record once the deals have ids: (deal, from, to, changes, note).
_PendingEvent = tuple[Deal, DealStatus | None, DealStatus | None, dict[str, list[str]], str]


def _apply_rows(rows: list[DealRow], organization_ids: Mapping[str, int],
                existing: Mapping[str, Deal], actor: User | None, source: str,
                now: datetime) -> _Applied:
    """Create or update a deal per row, with its history; two flushes whatever the size."""
    applied = _Applied()
    index = ConflictIndex.load(customer_key(row.customer) for row in rows)
    events: list[_PendingEvent] = []
    for row in rows:
        deal = existing.get(row.external_id)
        if deal is None:
            deal = _new_deal(row, organization_ids[row.partner], now)
            if deal.status.is_open:
                set_conflict(deal, index.first_for(deal))
                index.add(deal)
            db.session.add(deal)
            applied.created.append(deal)
            changes = initial_changes(deal)
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
        # Only a row with a registration date changes it (see _row_changes).
        if row.registered_on is not None and "registered_at" in changes:
            deal.registered_at = day_start(row.registered_on)
        _apply_status(deal, row, now)
        deal.updated_at = now
        new_key = customer_key(row.customer)
        if new_key != deal.customer_key:
            deal.customer_key = new_key
            set_conflict(deal, index.first_for(deal) if deal.status.is_open else None)
            index.add(deal)
        applied.updated.append(deal)
        moved = from_status != deal.status
        events.append((deal, from_status if moved else None, deal.status if moved else None,
                       changes, row.rejection_reason if moved else ""))
    db.session.flush()
    audience, batch = Audience(), Batch(now)
    with db.session.no_autoflush:  # everything read below is flushed: one flush at the end
        for deal, before, after, changes, note in events:
            record_event(deal, actor, source, now, from_status=before, to_status=after,
                         changes=changes, note=note)
            if before is None and after is not None:  # new: the vendor's CRM registered it
                notices.registered(deal, now, audience, by_partner=False, batch=batch)
            elif before is not None:
                notices.status_changed(deal, before, now, audience, batch)
    batch.write()
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
    row, errors = validate_row(
        values, row=None, known_partners={organization.slug} if organization else set(),
        today=program_today(now))
    if row is None:
        return None, False, errors
    assert organization is not None  # a valid row names a known partner, and only it is known
    start_write_transaction()
    lock_customer(customer_key(row.customer))
    existing = _deals_by_external_id([row.external_id])
    problem = _partner_changed(row, existing.get(row.external_id), organization.id,
                               program_today(now))
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
                                today=program_today(now))
    report.row_count = parsed.row_count
    errors = list(parsed.errors)
    existing = _deals_by_external_id([row.external_id for row in parsed.rows])
    rows = []
    for row in parsed.rows:
        problem = _partner_changed(row, existing.get(row.external_id),
                                   organization_ids[row.partner], program_today(now))
        if problem is None:
            rows.append(row)
        else:
            errors.append(problem)
    report.errors = sorted(errors, key=lambda e: (e.row or 0, column_order(e.column)))
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
    try:
        _apply_rows(rows, organization_ids, existing, actor, source, now)
        audit.record(AuditAction.DEALS_IMPORTED, actor=actor, created=report.created,
                     updated=report.updated, unchanged=report.unchanged,
                     bad_rows=report.bad_rows, source=source)
        db.session.flush()
    except IntegrityError as error:  # a concurrent change took an external id first
        raise DealError(_("Another change to these deals was saved at the same moment; "
                          "nothing was imported. Please try again.")) from error
    report.applied = True
    return report
