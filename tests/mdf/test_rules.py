"""The pure MDF rules: calendar periods and their keys, what each request holds, balances,
expiry and its warning at the period's edges, and the return of an activity."""

from __future__ import annotations

from datetime import date

import pytest

from lms.mdf import rules
from lms.mdf.rules import Balance, Return, balance, period_from_key, period_of
from lms.models import MdfStatus as S


@pytest.mark.parametrize(("day", "kind", "start", "end", "key"), [
    (date(2026, 1, 1), "quarter", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
    (date(2026, 3, 31), "quarter", date(2026, 1, 1), date(2026, 3, 31), "2026-Q1"),
    (date(2026, 4, 1), "quarter", date(2026, 4, 1), date(2026, 6, 30), "2026-Q2"),
    (date(2026, 12, 31), "quarter", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
    (date(2028, 2, 29), "quarter", date(2028, 1, 1), date(2028, 3, 31), "2028-Q1"),
    (date(2026, 6, 30), "half_year", date(2026, 1, 1), date(2026, 6, 30), "2026-H1"),
    (date(2026, 7, 1), "half_year", date(2026, 7, 1), date(2026, 12, 31), "2026-H2"),
    (date(2026, 8, 15), "year", date(2026, 1, 1), date(2026, 12, 31), "2026"),
])
def test_a_period_is_the_calendar_span_that_holds_the_day(day, kind, start, end, key):
    period = period_of(day, kind)
    assert (period.start, period.end, period.key) == (start, end, key)
    assert period.contains(day)
    assert period_from_key(key, kind) == period


def test_periods_follow_each_other_without_gap_or_overlap():
    for kind in ("quarter", "half_year", "year"):
        period = period_of(date(2025, 11, 20), kind)
        for _ in range(9):
            following = period.next()
            assert (following.start - period.end).days == 1
            assert following.previous() == period
            period = following


@pytest.mark.parametrize(("key", "kind"), [
    ("", "quarter"), ("2026", "quarter"), ("2026-Q5", "quarter"), ("2026-Q0", "quarter"),
    ("2026-H1", "quarter"), ("2026-Q1", "half_year"), ("2026-H3", "half_year"),
    ("2026-Q1", "year"), ("1999-Q1", "quarter"), ("２０２６-Q1", "quarter"),
    ("26-Q1", "quarter"), ("2026-Q12", "quarter"), ("2026-q1", "quarter"), ("abcd", "year"),
    ("9998-Q1", "quarter"), ("9998", "year"), ("2026-Q١", "quarter"),
])
def test_a_key_that_names_no_period_of_the_kind_is_none(key, kind):
    assert period_from_key(key, kind) is None


def test_the_last_period_a_key_may_name_still_has_a_next_one():
    for last, first, kind in (("9997-Q4", "2000-Q1", "quarter"),
                              ("9997-H2", "2000-H1", "half_year"), ("9997", "2000", "year")):
        assert period_from_key(last, kind).next().start == date(9998, 1, 1)
        assert period_from_key(first, kind).previous().end == date(1999, 12, 31)


def test_days_left_counts_today_and_is_zero_after_the_end():
    period = period_of(date(2026, 12, 1), "quarter")
    assert period.days_left(date(2026, 12, 31)) == 1
    assert period.days_left(date(2026, 12, 18)) == 14
    assert period.days_left(date(2027, 1, 1)) == 0


@pytest.mark.parametrize(("status", "held"), [
    (S.SUBMITTED, 900), (S.APPROVED, 600), (S.CLAIMED, 600), (S.CLAIM_APPROVED, 550),
    (S.PAID, 550), (S.REJECTED, 0), (S.CANCELLED, 0),
])
def test_what_a_request_holds_follows_its_step(status, held):
    assert rules.held(status, 900, 600 if status != S.SUBMITTED else None,
                      550 if status in (S.CLAIM_APPROVED, S.PAID) else None) == held


def test_the_balance_sorts_requests_by_step_and_what_is_left_is_available():
    result = balance(2_000, [(S.SUBMITTED, 300, 0, 0), (S.APPROVED, 500, 400, 0),
                             (S.CLAIMED, 200, 200, 0), (S.CLAIM_APPROVED, 100, 100, 80),
                             (S.PAID, 250, 250, 240), (S.REJECTED, 900, 0, 0),
                             (S.CANCELLED, 700, 0, 0)])
    assert (result.requested, result.approved, result.payable, result.paid) == \
        (300, 600, 80, 240)
    assert result.held == 1_220
    assert result.available == 780


def test_the_available_balance_never_shows_below_zero():
    # An allocation lowered by hand below what is held (the service refuses that) shows 0.
    assert Balance(100, requested=150).available == 0


def test_unused_funds_expire_only_once_the_period_has_ended():
    period = period_of(date(2026, 11, 1), "quarter")
    funds = Balance(1_000, approved=400)
    assert rules.expired(funds, period, date(2026, 12, 31)) == 0
    assert rules.expired(funds, period, date(2027, 1, 1)) == 600


@pytest.mark.parametrize(("today", "warned"), [
    (date(2026, 12, 17), False),  # 15 days left
    (date(2026, 12, 18), True),  # 14 days left, today included
    (date(2026, 12, 31), True),
    (date(2027, 1, 1), False),  # expired: nothing left to warn about
    (date(2026, 9, 30), False),  # before the period
])
def test_partners_are_warned_in_the_last_fourteen_days(today, warned):
    period = period_of(date(2026, 11, 1), "quarter")
    assert rules.expiry_warning_due(Balance(1_000, approved=400), period, today) is warned
    assert rules.expiry_warning_due(Balance(400, approved=400), period, today) is False


def test_the_return_of_an_activity_checked_by_hand():
    # 580,000 spent; 6,290,000 won; 10,870,000 still open.
    result = Return(spent=580_000, pipeline=10_870_000, won=6_290_000, deals=4)
    assert result.won_per_unit == pytest.approx(10.8448, abs=1e-4)
    assert result.pipeline_per_unit == pytest.approx((10_870_000 + 6_290_000) / 580_000)
    assert Return(0, 100, 100, 1).won_per_unit is None
    total = rules.total_return([result, Return(250_000, 6_940_000, 0, 2)])
    assert total == Return(830_000, 17_810_000, 6_290_000, 6)
    assert total.won_per_unit == pytest.approx(6_290_000 / 830_000)


@pytest.mark.parametrize(("status", "spent"), [
    (S.SUBMITTED, 0), (S.REJECTED, 0), (S.CANCELLED, 0), (S.APPROVED, 600), (S.CLAIMED, 600),
    (S.CLAIM_APPROVED, 550), (S.PAID, 550),
])
def test_an_activity_costs_what_is_paid_or_else_what_is_approved(status, spent):
    assert rules.spent(status, 600, 550 if status in (S.CLAIM_APPROVED, S.PAID) else None) \
        == spent
