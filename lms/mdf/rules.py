"""The rules of market development funds (pure: no Flask, no database).

A partner's MDF allocation is for one *period* (a calendar quarter, half year or year, as
the program's `mdf_period` says). Every request *holds* part of it from the moment it is
submitted: the amount asked while it waits, the amount approved once decided, the amount
payable once its claim is approved; a rejected or cancelled request holds nothing. What no
request holds is the *available* balance, which can never go negative and expires when the
period ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from lms.models import MdfStatus

PERIOD_MONTHS = {"quarter": 3, "half_year": 6, "year": 12}
MAX_AMOUNT = 10**12
MAX_ACTIVITY_DAYS = 366
# Partners are warned this many days before unused funds expire.
EXPIRY_WARNING_DAYS = 14
# The years a period key may name: every period has a next and a previous one in `date`.
FIRST_YEAR, LAST_YEAR = 2000, 9997


@dataclass(frozen=True)
class Period:
    """A funding period: its first and last day (both included)."""

    kind: str  # quarter | half_year | year
    start: date
    end: date

    @property
    def key(self) -> str:
        """How URLs and CSV files name it: 2026-Q4, 2026-H2, 2026."""
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "half_year":
            return f"{self.start.year}-H{(self.start.month - 1) // 6 + 1}"
        return str(self.start.year)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def next(self) -> Period:
        return period_of(self.end + timedelta(days=1), self.kind)

    def previous(self) -> Period:
        return period_of(self.start - timedelta(days=1), self.kind)

    def days_left(self, today: date) -> int:
        """Days until the period ends, today included (0 once it has ended)."""
        return max(0, (self.end - today).days + 1)


def period_of(day: date, kind: str) -> Period:
    """The calendar period of `kind` that contains `day`."""
    months = PERIOD_MONTHS[kind]
    first_month = (day.month - 1) // months * months + 1
    start = date(day.year, first_month, 1)
    after = (date(day.year + 1, 1, 1) if first_month + months > 12
             else date(day.year, first_month + months, 1))
    return Period(kind, start, after - timedelta(days=1))


def period_from_key(key: str, kind: str) -> Period | None:
    """The period a key names (period_of's key), or None when it names none of `kind`."""
    year_text, _, part = key.partition("-")
    if not (year_text.isascii() and year_text.isdigit() and len(year_text) == 4):
        return None
    year = int(year_text)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    if kind == "year":
        return Period(kind, date(year, 1, 1), date(year, 12, 31)) if not part else None
    prefix, count = ("Q", 4) if kind == "quarter" else ("H", 2)
    if len(part) != 2 or part[0] != prefix or part[1] not in "123456789":
        return None
    index = int(part[1])
    if not 1 <= index <= count:
        return None
    return period_of(date(year, (index - 1) * PERIOD_MONTHS[kind] + 1, 1), kind)


def held(status: MdfStatus, requested: int, approved: int | None,
         payable: int | None) -> int:
    """What a request holds of its allocation."""
    if status == MdfStatus.SUBMITTED:
        return requested
    if status in (MdfStatus.APPROVED, MdfStatus.CLAIMED):
        return approved or 0
    if status in (MdfStatus.CLAIM_APPROVED, MdfStatus.PAID):
        return payable or 0
    return 0


@dataclass(frozen=True)
class Balance:
    """An allocation and what its requests do with it, in the program currency."""

    allocated: int  # the tier's allocation plus the managers' adjustments
    requested: int = 0  # waiting for a decision
    approved: int = 0  # approved, not yet payable (claimed or not)
    payable: int = 0  # claim approved, not yet paid
    paid: int = 0

    @property
    def held(self) -> int:
        return self.requested + self.approved + self.payable + self.paid

    @property
    def available(self) -> int:
        return max(0, self.allocated - self.held)


def balance(allocated: int, requests: Iterable[tuple[MdfStatus, int, int | None,
                                                     int | None]]) -> Balance:
    """The balance of an allocation from its requests' (status, requested, approved,
    payable)."""
    sums = {"requested": 0, "approved": 0, "payable": 0, "paid": 0}
    for status, requested, approved, payable in requests:
        amount = held(status, requested, approved, payable)
        if status == MdfStatus.SUBMITTED:
            sums["requested"] += amount
        elif status in (MdfStatus.APPROVED, MdfStatus.CLAIMED):
            sums["approved"] += amount
        elif status == MdfStatus.CLAIM_APPROVED:
            sums["payable"] += amount
        elif status == MdfStatus.PAID:
            sums["paid"] += amount
    return Balance(allocated, **sums)


def expired(allocation: Balance, period: Period, today: date) -> int:
    """What expired unused: the available balance once the period has ended."""
    return allocation.available if today > period.end else 0


def expiry_warning_due(allocation: Balance, period: Period, today: date) -> bool:
    """Whether partners should be told that unused funds are about to expire."""
    return (allocation.available > 0 and period.contains(today)
            and period.days_left(today) <= EXPIRY_WARNING_DAYS)


@dataclass(frozen=True)
class Return:
    """What an activity (or several) brought for what it cost."""

    spent: int  # paid, or payable once the claim is approved; else approved
    pipeline: int  # attributed deals still open, in the program currency
    won: int  # attributed deals won, in the program currency
    deals: int

    @property
    def won_per_unit(self) -> float | None:
        """Won revenue per unit of currency spent (None when nothing was spent)."""
        return self.won / self.spent if self.spent else None

    @property
    def pipeline_per_unit(self) -> float | None:
        return (self.pipeline + self.won) / self.spent if self.spent else None


def spent(status: MdfStatus, approved: int | None, payable: int | None) -> int:
    """What an activity costs the program so far: paid or payable once its claim is
    approved, the approved amount before; nothing when it was never approved."""
    if status in (MdfStatus.CLAIM_APPROVED, MdfStatus.PAID):
        return payable or 0
    if status in (MdfStatus.APPROVED, MdfStatus.CLAIMED):
        return approved or 0
    return 0


def total_return(returns: Iterable[Return]) -> Return:
    items = list(returns)
    return Return(sum(r.spent for r in items), sum(r.pipeline for r in items),
                  sum(r.won for r in items), sum(r.deals for r in items))
