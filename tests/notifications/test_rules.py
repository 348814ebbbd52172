"""The pure rules: which reminder is due, and when a failed mail is tried again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms.notifications.rules import next_attempt, reminder_stage, retry_delay

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
