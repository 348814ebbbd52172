"""The pure rules: which reminder is due, and when a failed mail is tried again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.notifications.rules import (
    digest_first_tried,
    mail_choice,
    next_attempt,
    next_digest,
    reminder_stage,
    retry_delay,
)

NOW = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(("left", "stage"), [
    (timedelta(days=91), None),
    (timedelta(days=90, seconds=1), None),
    (timedelta(days=90), 90),
    (timedelta(days=61), 90),
    (timedelta(days=60), 60),
    (timedelta(days=31), 60),
    (timedelta(days=30), 30),
    (timedelta(days=21), 30),  # a 90- or 60-day reminder missed is not sent late
    (timedelta(days=8), 30),
    (timedelta(days=7), 7),
    (timedelta(hours=1), 7),
    (timedelta(0), None),  # expired: nothing to remind of
    (timedelta(days=-3), None),
])
def test_the_reminder_due_is_the_smallest_stage_the_expiry_is_within(left, stage):
    assert reminder_stage(NOW + left, NOW) == stage


def test_retries_double_from_a_minute_up_to_an_hour():
    assert [retry_delay(n) for n in (1, 2, 3, 6, 7, 50)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
        timedelta(minutes=32), timedelta(hours=1), timedelta(hours=1)]
    with pytest.raises(ValueError, match="from 1"):
        retry_delay(0)


def test_a_mail_is_given_up_a_day_after_its_notification():
    created = NOW - timedelta(hours=23, minutes=59)
    assert next_attempt(created, 3, NOW) == NOW + timedelta(minutes=4)
    assert next_attempt(NOW - timedelta(days=1), 20, NOW) is None


# --- The daily digest and mail choices --------------------------------------------------------

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(("now", "digest"), [
    # 23:30 UTC is 08:30 in Tokyo: today's 08:00 has passed, so tomorrow's (23:00 UTC).
    (datetime(2027, 1, 31, 23, 30, tzinfo=UTC), datetime(2027, 2, 1, 23, 0, tzinfo=UTC)),
    # 22:59 UTC is 07:59 in Tokyo: today's, a minute later.
    (datetime(2027, 1, 31, 22, 59, tzinfo=UTC), datetime(2027, 1, 31, 23, 0, tzinfo=UTC)),
    # Exactly 08:00: the next one, not this one (it is being sent).
    (datetime(2027, 1, 31, 23, 0, tzinfo=UTC), datetime(2027, 2, 1, 23, 0, tzinfo=UTC)),
])
def test_the_digest_goes_out_at_eight_in_the_programs_time_zone(now, digest):
    assert next_digest(now, TOKYO) == digest


def test_a_digest_is_given_up_a_day_after_it_could_first_be_sent():
    written = NOW - timedelta(hours=20)
    first = digest_first_tried(written)
    assert next_attempt(first, 3, NOW) is not None  # 20 hours old: still tried
    assert next_attempt(first, 9, written + timedelta(days=2)) is None


@pytest.mark.parametrize(("category", "muted", "digest", "choice"), [
    ("deals", [], False, "now"),
    ("deals", [], True, "digest"),
    ("deals", ["deals"], True, "muted"),
    ("deals", ["tiers"], False, "now"),
    ("assets", ["all"], False, "muted"),
])
def test_mail_follows_the_persons_choice(category, muted, digest, choice):
    assert mail_choice(category, muted, digest) == choice
