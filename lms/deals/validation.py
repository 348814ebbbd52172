"""PURE: checking one deal's values — a CSV row (lms.deals.importer), the JSON API's values, or
one field of the web form. No database: the caller passes the partner slugs that exist.

The columns, and what each may hold, are described in lms/deals/importer.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lms.i18n import gettext as _
from lms.models.deals import CURRENCIES, DEFAULT_CURRENCY, DealStatus
from lms.text import has_control_characters

MAX_AMOUNT = 10**13
# Dates a deal can have (and that convert between time zones without overflowing).
MIN_DATE = date(1990, 1, 1)
MAX_DATE = date(2999, 12, 31)

COLUMNS = ("external_id", "partner", "customer", "amount", "currency", "product",
           "description", "expected_close", "status", "registered_on", "closed_on",
           "rejection_reason")
REQUIRED_COLUMNS = ("external_id", "partner", "customer", "amount")
MULTILINE_COLUMNS = frozenset({"description"})
MAX_LENGTHS = {"external_id": 100, "partner": 80, "customer": 200, "product": 200,
               "description": 5000, "rejection_reason": 1000}

AMOUNT = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class FieldError:
    """One problem: the spreadsheet row (None outside a file), the column, the reason."""

    row: int | None
    column: str
    reason: str

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row is not None else []
        if self.column:
            where.append(self.column)
        return f"{', '.join(where) or 'file'}: {self.reason}"


@dataclass(frozen=True)
class DealRow:
    """A checked row: the whole state of one deal."""

    row: int | None
    external_id: str
    partner: str
    customer: str
    amount: int
    currency: str
    product: str
    description: str
    expected_close_on: date | None
    status: DealStatus
    registered_on: date | None
    closed_on: date | None
    rejection_reason: str


def column_order(column: str) -> int:
    """Errors of a row are listed in the order of the columns."""
    return COLUMNS.index(column) if column in COLUMNS else -1


# --- Single values (the web form uses them too) -------------------------------------------


def parse_amount(value: object) -> int:
    """Whole currency units from "30,000,000", "３０００００" or a number; ValueError with a
    message for people otherwise."""
    if isinstance(value, bool):
        raise ValueError(_("Enter the amount as a whole number, such as 30,000,000."))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float | Decimal):
        if value != value or value in (float("inf"), float("-inf")) or value != int(value):
            raise ValueError(_("Enter the amount in whole units, without decimals."))
        number = int(value)
    else:
        text = unicodedata.normalize("NFKC", str(value or "")).strip().replace(" ", "")
        if not text:
            raise ValueError(_("Enter the amount."))
        if text.startswith("-") and AMOUNT.match(text[1:]):
            raise ValueError(_("The amount cannot be negative."))
        if re.match(r"^[\d,]*\.\d*$", text):
            raise ValueError(_("Enter the amount in whole units, without decimals."))
        if not AMOUNT.match(text):
            raise ValueError(_("Enter the amount as a whole number, such as 30,000,000 "
                               "(digits, with or without thousands separators)."))
        number = int(text.replace(",", ""))
    if number < 0:
        raise ValueError(_("The amount cannot be negative."))
    if number == 0:
        raise ValueError(_("Enter the deal's expected amount: it must be above zero."))
    if number > MAX_AMOUNT:
        raise ValueError(_("The amount is too large (at most 10,000,000,000,000)."))
    return number


def parse_currency(value: object) -> str:
    """A currency code of CURRENCIES (DEFAULT_CURRENCY when empty); ValueError otherwise."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().upper()
    if not text:
        return DEFAULT_CURRENCY
    if text not in CURRENCIES:
        raise ValueError(_("Unknown currency %(code)s; use one of %(codes)s.", code=text,
                           codes=", ".join(CURRENCIES)))
    return text


def check_date(value: date) -> date:
    """`value` when a deal can have it (MIN_DATE to MAX_DATE); ValueError otherwise."""
    if MIN_DATE <= value <= MAX_DATE:
        return value
    raise ValueError(_("Enter a date between %(first)s and %(last)s.",
                       first=MIN_DATE.isoformat(), last=MAX_DATE.isoformat()))


def parse_date(value: object) -> date | None:
    """A YYYY-MM-DD date (None when empty); ValueError otherwise."""
    if isinstance(value, date):
        return check_date(value)
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        return None
    if ISO_DATE.match(text):
        try:
            parsed = date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return check_date(parsed)
    raise ValueError(_("Enter a date as YYYY-MM-DD, such as 2026-04-30."))


# --- One row ------------------------------------------------------------------------------


def _cell(values: Mapping[str, object], column: str) -> str:
    value = values.get(column)
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def validate_row(values: Mapping[str, object], *, row: int | None,
                 known_partners: Collection[str], today: date
                 ) -> tuple[DealRow | None, list[FieldError]]:
    """Check one deal (CSV cells or API values): the row, or None and every problem found."""
    errors: list[FieldError] = []

    def error(column: str, reason: str) -> None:
        errors.append(FieldError(row, column, reason))

    cells: dict[str, str] = {}
    for column in COLUMNS:
        text = _cell(values, column)
        if has_control_characters(text, column in MULTILINE_COLUMNS):
            error(column, _("Contains a control character; remove it."))
            text = ""
        elif column in MAX_LENGTHS and len(text) > MAX_LENGTHS[column]:
            error(column, _("Too long: at most %(n)d characters.", n=MAX_LENGTHS[column]))
        cells[column] = text

    for column in REQUIRED_COLUMNS:
        if not cells[column] and not any(e.column == column for e in errors):
            error(column, _("Required; this cell is empty."))

    partner = cells["partner"].lower()
    if partner and partner not in known_partners:
        error("partner", _("No partner company has the short name %(slug)s.", slug=partner))

    amount = 0
    raw_amount = values.get("amount")
    if cells["amount"]:
        try:
            amount = parse_amount(cells["amount"] if isinstance(raw_amount, str) else raw_amount)
        except ValueError as problem:
            error("amount", str(problem))

    currency = DEFAULT_CURRENCY
    try:
        currency = parse_currency(cells["currency"])
    except ValueError as problem:
        error("currency", str(problem))

    dates: dict[str, date | None] = {}
    for column in ("expected_close", "registered_on", "closed_on"):
        try:
            dates[column] = parse_date(cells[column])
        except ValueError as problem:
            error(column, str(problem))
            dates[column] = None

    status = DealStatus.REGISTERED
    if cells["status"]:
        try:
            status = DealStatus(cells["status"].lower())
        except ValueError:
            error("status", _("Unknown status %(status)s; use one of %(statuses)s.",
                              status=cells["status"],
                              statuses=", ".join(s.value for s in DealStatus)))

    registered_on, closed_on = dates["registered_on"], dates["closed_on"]
    if registered_on and registered_on > today:
        error("registered_on", _("The registration date cannot be in the future."))
    closing = status in (DealStatus.WON, DealStatus.LOST)
    if closing and not closed_on and not cells["closed_on"]:
        error("closed_on", _("Required for a won or lost deal: the date it closed."))
    if closed_on and not closing:
        error("closed_on", _("Only a won or lost deal has a close date; leave it empty or "
                             "change the status."))
    if closed_on and closed_on > today:
        error("closed_on", _("The close date cannot be in the future."))
    if closed_on and registered_on and closed_on < registered_on:
        error("closed_on", _("The close date is before the registration date."))
    reason = cells["rejection_reason"]
    if status == DealStatus.REJECTED and not reason:
        error("rejection_reason", _("Required for a rejected deal: why it was rejected."))
    if reason and status != DealStatus.REJECTED:
        error("rejection_reason", _("Only a rejected deal has a rejection reason; leave it "
                                    "empty or change the status."))

    if errors:
        return None, sorted(errors, key=lambda e: column_order(e.column))
    return DealRow(
        row=row, external_id=cells["external_id"], partner=partner, customer=cells["customer"],
        amount=amount, currency=currency, product=cells["product"],
        description=cells["description"], expected_close_on=dates["expected_close"],
        status=status, registered_on=registered_on, closed_on=closed_on,
        rejection_reason=reason,
    ), []
