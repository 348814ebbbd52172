"""Pure rules of notifications: when a reminder is due, and when a failed mail is retried."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, time, timedelta, tzinfo

# Certification reminders, in days before the expiry: one message per stage.
REMINDER_DAYS = (90, 60, 30, 7)
# A failed mail is retried after 1, 2, 4, ... minutes, at most an hour apart, for a day.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(days=1)
# A delivery claims its row for this long: another worker leaves it alone meanwhile.
CLAIM = timedelta(minutes=5)


def reminder_stage(expires_at: datetime, now: datetime) -> int | None:
    """The reminder due for a certification expiring at `expires_at`: the smallest stage
    (90, 60, 30 or 7 days) it is within, None when it is further away or already expired.
    A reminder missed while nothing ran is not sent late: at 21 days only the 30-day one."""
    if expires_at <= now:
        return None
    left = expires_at - now
    due = [days for days in REMINDER_DAYS if left <= timedelta(days=days)]
    return min(due) if due else None


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1-based): doubling, capped."""
    if attempts < 1:
        raise ValueError("attempts counts failures, from 1")
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_RETRY)


def next_attempt(first_tried: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failures, None once a day has passed since the
    first attempt (the mail is then given up and the notification stays in the inbox)."""
    if now - first_tried >= GIVE_UP_AFTER:
        return None
    return now + retry_delay(attempts)


# The daily digest goes out at this hour where the program runs.
DIGEST_HOUR = 8


def next_digest(now: datetime, zone: tzinfo, hour: int = DIGEST_HOUR) -> datetime:
    """The next digest time after `now` (aware, UTC): today's `hour` in `zone`, or
    tomorrow's once it has passed."""
    local = now.astimezone(zone)
    slot = datetime.combine(local.date(), time(hour), tzinfo=zone)
    if slot <= local:
        slot = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=zone)
    return slot.astimezone(UTC)


def digest_first_tried(created_at: datetime) -> datetime:
    """When a digest's delivery counts as first tried, for giving up: a notification waits
    up to a day for its digest, so the day of retries starts a day after it was written."""
    return created_at + timedelta(days=1)


def mail_choice(category: str, muted: Collection[str], digest: bool) -> str:
    """What to do with a notification's mail: "muted", "digest" or "now"."""
    if category in muted or ALL_CATEGORIES in muted:
        return "muted"
    return "digest" if digest else "now"


# An unsubscribe token for every category at once (the digest's one-click header).
ALL_CATEGORIES = "all"
