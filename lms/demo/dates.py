"""When demo things happen: moments in UTC on a given day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time


def morning(day: date) -> datetime:
    """9:00 UTC on `day`: the demo's "now" for the day it is loaded."""
    return datetime.combine(day, time(9), tzinfo=UTC)


def moment(day: date, rng: random.Random) -> datetime:
    """A random minute between 1:00 and 9:59 UTC on `day` (office hours in Japan)."""
    return datetime.combine(day, time(hour=rng.randint(1, 9), minute=rng.randint(0, 59)),
                            tzinfo=UTC)
