"""The pure rules of badges and certifications: criteria, expiry, renewal, expiring soon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lms.credentials.rules import (
    EXPIRING_SOON,
    RENEWAL_WINDOW,
    Criteria,
    add_months,
    criteria_met,
    expiring_soon,
    first_period,
    next_period,
    renewal_due,
    renewal_open,
)

T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def at(year: int, month: int, day: int, hour: int = 3) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC)


# --- criteria_met ---------------------------------------------------------------------------


def test_every_course_and_quiz_is_needed():
    criteria = Criteria(courses=("c1", "c2"), quizzes=("q1",))

    assert criteria_met(criteria, "sales", {"c1", "c2"}, {"q1"})
    assert criteria_met(criteria, None, {"c1", "c2", "other"}, {"q1", "q2"})
    assert not criteria_met(criteria, "sales", {"c1"}, {"q1"})
    assert not criteria_met(criteria, "sales", {"c1", "c2"}, set())
    assert not criteria_met(criteria, "sales", set(), set())


def test_courses_only_and_quizzes_only():
    assert criteria_met(Criteria(courses=("c1",)), "sales", {"c1"}, set())
    assert not criteria_met(Criteria(courses=("c1",)), "sales", set(), {"c1"})
    assert criteria_met(Criteria(quizzes=("q1",)), "technical", set(), {"q1"})
    assert not criteria_met(Criteria(quizzes=("q1",)), "technical", {"q1"}, set())


def test_the_job_function_must_match_when_set():
    criteria = Criteria(courses=("c1",), quizzes=("q1",), job_function="technical")

    assert criteria_met(criteria, "technical", {"c1"}, {"q1"})
    assert not criteria_met(criteria, "sales", {"c1"}, {"q1"})
    assert not criteria_met(criteria, None, {"c1"}, {"q1"})


def test_no_job_function_means_anyone():
    criteria = Criteria(quizzes=("q1",))

    for job in ("sales", "technical", None):
        assert criteria_met(criteria, job, set(), {"q1"})


def test_empty_criteria_are_never_met():
    assert not criteria_met(Criteria(), "sales", {"c1"}, {"q1"})
    assert not criteria_met(Criteria(), None, set(), set())
    assert not criteria_met(Criteria(job_function="sales"), "sales", {"c1"}, {"q1"})


# --- add_months -----------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "months", "expected"), [
    (at(2026, 1, 15), 1, at(2026, 2, 15)),
    (at(2026, 1, 31), 1, at(2026, 2, 28)),  # February is shorter: its last day
    (at(2024, 1, 31), 1, at(2024, 2, 29)),  # leap year
    (at(2026, 3, 31), 1, at(2026, 4, 30)),
    (at(2026, 1, 31), 2, at(2026, 3, 31)),  # the day comes back when the month is long enough
    (at(2024, 2, 29), 12, at(2025, 2, 28)),  # 29 Feb to a common year
    (at(2024, 2, 29), 24, at(2026, 2, 28)),
    (at(2024, 2, 29), 48, at(2028, 2, 29)),  # to the next leap year
    (at(2026, 11, 30), 3, at(2027, 2, 28)),  # across the year end
    (at(2026, 12, 15), 1, at(2027, 1, 15)),
    (at(2026, 12, 15), 12, at(2027, 12, 15)),
    (at(2026, 6, 1), 24, at(2028, 6, 1)),
    (at(2026, 6, 1), 120, at(2036, 6, 1)),
    (at(2026, 6, 1), 0, at(2026, 6, 1)),
])
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_add_months_keeps_the_time_and_the_zone():
    start = datetime(2026, 1, 31, 23, 59, 58, 123456, tzinfo=UTC)

    result = add_months(start, 1)

    assert result == datetime(2026, 2, 28, 23, 59, 58, 123456, tzinfo=UTC)
    assert result.tzinfo is UTC


# --- first_period ---------------------------------------------------------------------------


def test_a_badge_never_expires():
    assert first_period(T0, None) == (T0, None)


def test_a_certification_expires_validity_months_after_issue():
    assert first_period(T0, 24) == (T0, at(2028, 3, 10))
    assert first_period(at(2024, 2, 29), 24) == (at(2024, 2, 29), at(2026, 2, 28))
    assert first_period(at(2026, 1, 31), 1) == (at(2026, 1, 31), at(2026, 2, 28))


# --- renewal_open ---------------------------------------------------------------------------


def test_the_renewal_window_is_90_days():
    assert timedelta(days=90) == RENEWAL_WINDOW


@pytest.mark.parametrize(("before_expiry", "is_open"), [
    (91 * DAY, False),
    (90 * DAY + timedelta(seconds=1), False),
    (90 * DAY, True),
    (89 * DAY, True),
    (DAY, True),
    (timedelta(0), True),
    (-DAY, True),  # after expiry: any time
    (-400 * DAY, True),
])
def test_renewal_open(before_expiry, is_open):
    expires = at(2028, 3, 10)

    assert renewal_open(expires, expires - before_expiry) is is_open


def test_renewal_never_opens_without_an_expiry():
    assert renewal_open(None, T0) is False


# --- next_period ----------------------------------------------------------------------------


def test_an_early_renewal_continues_from_the_old_expiry():
    old_expiry = at(2028, 3, 10)
    now = old_expiry - 30 * DAY

    assert next_period(old_expiry, now, 24) == (now, at(2030, 3, 10))


def test_a_renewal_on_the_expiry_moment_continues_from_it():
    old_expiry = at(2028, 3, 10)

    assert next_period(old_expiry, old_expiry, 24) == (old_expiry, at(2030, 3, 10))


def test_a_late_renewal_runs_from_now_and_never_backdates():
    old_expiry = at(2028, 3, 10)
    now = at(2028, 5, 20)

    assert next_period(old_expiry, now, 24) == (now, at(2030, 5, 20))


def test_next_period_clamps_to_the_end_of_a_short_month():
    assert next_period(at(2026, 1, 31), at(2026, 1, 1), 1) == (at(2026, 1, 1),
                                                                 at(2026, 2, 28))


# --- renewal_due ----------------------------------------------------------------------------

ISSUED = at(2026, 3, 10)
EXPIRES = at(2028, 3, 10)
WINDOW_OPENS = EXPIRES - RENEWAL_WINDOW


def test_renewal_due_picks_the_first_pass_inside_the_window():
    first, second = EXPIRES - 60 * DAY, EXPIRES - 10 * DAY

    assert renewal_due([second, first], ISSUED, EXPIRES) == first
    assert renewal_due([first, second], ISSUED, EXPIRES) == first


def test_renewal_due_counts_a_pass_at_the_window_opening():
    assert renewal_due([WINDOW_OPENS], ISSUED, EXPIRES) == WINDOW_OPENS


def test_renewal_due_ignores_passes_before_the_window():
    too_early = WINDOW_OPENS - timedelta(seconds=1)

    assert renewal_due([too_early], ISSUED, EXPIRES) is None
    assert renewal_due([ISSUED + DAY, too_early], ISSUED, EXPIRES) is None
    inside = EXPIRES - 5 * DAY
    assert renewal_due([ISSUED + DAY, too_early, inside], ISSUED, EXPIRES) == inside


def test_renewal_due_ignores_passes_before_or_at_the_latest_issue():
    # A late renewal: the window is open long before the latest issue (all after expiry).
    expires = at(2026, 1, 1)
    issued = at(2026, 6, 1)
    before_issue = at(2026, 5, 1)

    assert renewal_due([before_issue], issued, expires) is None
    assert renewal_due([issued], issued, expires) is None  # the pass that earned it
    after = issued + DAY
    assert renewal_due([before_issue, issued, after], issued, expires) == after


def test_renewal_due_after_expiry_takes_the_first_later_pass():
    late, later = EXPIRES + 5 * DAY, EXPIRES + 50 * DAY

    assert renewal_due([later, late], ISSUED, EXPIRES) == late


def test_renewal_due_is_none_without_passes_or_expiry():
    assert renewal_due([], ISSUED, EXPIRES) is None
    assert renewal_due([EXPIRES - DAY], ISSUED, None) is None


# --- expiring_soon --------------------------------------------------------------------------


def test_expiring_soon_is_60_days():
    assert timedelta(days=60) == EXPIRING_SOON


@pytest.mark.parametrize(("days_left", "soon"), [
    (59, True),
    (60, True),
    (61, False),
    (1, True),
    (0, False),  # expires now: already expired, not "soon"
    (-1, False),
    (400, False),
])
def test_expiring_soon(days_left, soon):
    assert expiring_soon(T0 + days_left * DAY, T0) is soon


def test_a_badge_is_never_expiring():
    assert expiring_soon(None, T0) is False
