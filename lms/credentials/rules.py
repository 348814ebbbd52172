"""Pure rules of badges and certifications: criteria, expiry, renewal (no Flask, no db)."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

RENEWAL_WINDOW = timedelta(days=90)
EXPIRING_SOON = timedelta(days=60)


@dataclass(frozen=True)
class Criteria:
    courses: tuple[str, ...] = ()
    quizzes: tuple[str, ...] = ()
    job_function: str | None = None


def criteria_met(criteria: Criteria, job_function: str | None, completed_courses: Collection[str],
                 passed_quizzes: Collection[str]) -> bool:
    """Every course completed and every quiz passed (and the right job function, if set)."""
    if criteria.job_function and criteria.job_function != job_function:
        return False
    if not criteria.courses and not criteria.quizzes:
        return False
    return all(c in completed_courses for c in criteria.courses) and all(
        q in passed_quizzes for q in criteria.quizzes)


def add_months[D: date](moment: D, months: int) -> D:
    """The same day (or moment) `months` later (the month's last day when it is shorter)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def first_period(now: datetime, validity_months: int | None) -> tuple[datetime,
                                                                       datetime | None]:
    """(issued, expires) of a first award; badges never expire."""
    return now, add_months(now, validity_months) if validity_months else None


def renewal_open(latest_expires: datetime | None, now: datetime) -> bool:
    """Renewal counts in the last 90 days before expiry, or any time after it."""
    return latest_expires is not None and now >= latest_expires - RENEWAL_WINDOW


def next_period(latest_expires: datetime, now: datetime, validity_months: int
                ) -> tuple[datetime, datetime]:
    """(issued, expires) of a renewal: it continues from the old expiry if still running,
    else from now, so renewing early never loses time and renewing late never backdates."""
    start = max(latest_expires, now)
    return now, add_months(start, validity_months)


def renewal_due(passed_renewal_at: Sequence[datetime], latest_issued: datetime,
                latest_expires: datetime | None) -> datetime | None:
    """The first pass of the renewal exam that renews the latest period, if any: after the
    latest issue and inside the renewal window."""
    if latest_expires is None:
        return None
    for moment in sorted(passed_renewal_at):
        if moment > latest_issued and renewal_open(latest_expires, moment):
            return moment
    return None


def expiring_soon(expires: datetime | None, now: datetime) -> bool:
    return expires is not None and now < expires <= now + EXPIRING_SOON
