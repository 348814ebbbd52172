"""The program's clock: one time zone (LMS_TIMEZONE, Asia/Tokyo by default) and one "today".

Times are stored in UTC (`utcnow`); a *day* (a deal's registration day, a tier review's
window, a KPI month) is always the calendar day where the program runs. Pure date arithmetic
takes the zone as an argument (`local_date(moment, zone)`) so it is testable without an app.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app

__all__ = ["day_start", "local_date", "program_today", "program_zone", "utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (what the database stores)."""
    return datetime.now(UTC)


def program_zone() -> ZoneInfo:
    """The program's time zone, from the configuration (LMS_TIMEZONE)."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


def local_date(moment: datetime, zone: tzinfo | None = None) -> date:
    """The calendar day of `moment` in `zone` (the program's zone when not given)."""
    return moment.astimezone(zone or program_zone()).date()


def day_start(day: date, zone: tzinfo | None = None) -> datetime:
    """The UTC moment `day` begins in `zone` (the program's zone when not given)."""
    return datetime.combine(day, time(), tzinfo=zone or program_zone()).astimezone(UTC)


def program_today(now: datetime | None = None) -> date:
    """Today where the program runs (at `now` when given)."""
    return local_date(now or utcnow())
