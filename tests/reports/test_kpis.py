"""Program and partner KPIs on hand-computed data (pure: no app, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from lms.reports import kpis
from lms.reports.kpis import (
    Activity,
    DealTally,
    Partner,
    ProgramFacts,
    Training,
)
from lms.tiers.program import Program

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # Friday 27 November 2026, 18:00 in Tokyo
PROGRAM = Program((), currency="JPY", exchange_rates={"USD": 150})


def partner(id_: int, signed_on: date = date(2020, 1, 1), *, tier: str = "bronze",
            active: bool = True, name: str | None = None) -> Partner:
    return Partner(id_, name or f"Partner {id_}", f"partner-{id_}", tier, signed_on, active)


def period(months: int = 12, now: datetime = NOW) -> kpis.Period:
    return kpis.period_for(now, months, TOKYO)


# --- Parameters and small helpers --------------------------------------------------------


@pytest.mark.parametrize(("value", "months"), [
    ("3", 3), ("6", 6), ("12", 12), ("24", 24), (" 6 ", 6), (None, 12), ("", 12),
    ("abc", 12), ("5", 12), ("-3", 12), ("0", 12), ("1e3", 12), ("9" * 40, 12), (24, 24)])
def test_period_length_falls_back_to_twelve_months(value, months):
    assert kpis.parse_months(value) == months


def test_ratio_is_none_without_a_denominator():
    assert kpis.ratio(3, 0) is None
    assert kpis.ratio(0, 0) is None
    assert kpis.ratio(1, 4) == 0.25


@pytest.mark.parametrize(("values", "expected"), [
    ([], None), ([7], 7.0), ([10, 30], 20.0), ([40, 10, 30, 20], 25.0), ([5, 1, 3], 3.0),
    ([58, 96], 77.0)])
def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values(values, expected):
    assert kpis.median(values) == expected


# --- Months in Tokyo ---------------------------------------------------------------------


def test_twelve_months_end_with_the_current_month_in_tokyo():
    p = period(12)
    assert p.months[0] == date(2025, 12, 1)
    assert p.months[-1] == date(2026, 11, 1)
    assert p.length == 12
    # Midnight of 1 December in Tokyo is 15:00 UTC the day before.
    assert p.start == datetime(2025, 11, 30, 15, 0, tzinfo=UTC)
    assert p.end == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert p.previous_start == datetime(2024, 11, 30, 15, 0, tzinfo=UTC)
    assert p.first_day == date(2025, 12, 1)
    assert p.last_day == date(2026, 11, 30)
    assert p.today == date(2026, 11, 27)


def test_a_moment_belongs_to_its_month_in_tokyo_not_in_utc():
    p = period(12)
    # 31 October 15:30 UTC is 1 November 00:30 in Tokyo.
    assert p.index(datetime(2026, 10, 31, 15, 30, tzinfo=UTC)) == 11
    assert p.months[11] == date(2026, 11, 1)
    assert p.index(datetime(2026, 10, 31, 14, 59, tzinfo=UTC)) == 10
    assert p.index(datetime(2025, 11, 30, 15, 0, tzinfo=UTC)) == 0
    assert p.index(datetime(2025, 11, 30, 14, 59, tzinfo=UTC)) is None
    assert p.index(p.end) is None
    assert p.index(None) is None


def test_the_current_month_in_tokyo_can_be_next_year_already():
    p = period(3, datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # 1 January 2027, 01:00 JST
    assert p.months == (date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1))
    assert p.previous_start == datetime(2026, 7, 31, 15, 0, tzinfo=UTC)


def test_month_ends_stop_at_now_for_the_current_month():
    p = period(3)
    ends = p.month_ends()
    assert ends[0] == datetime(2026, 9, 30, 15, 0, tzinfo=UTC)
    assert ends[-1] == NOW


# --- Deals -------------------------------------------------------------------------------


def test_deal_figures_convert_revenue_and_say_what_was_left_out():
    tally = DealTally(registered=10, approved=8, won=3, lost=1,
                      won_revenue={"JPY": 1_000_000, "USD": 2_000, "KRW": 50_000})
    figures = kpis.deal_figures(tally, PROGRAM)
    assert figures.revenue == 1_300_000
    assert figures.left_out == {"KRW": 50_000}
    assert figures.win_rate == 0.75
    assert figures.conversion == 0.3


def test_win_rate_and_conversion_are_none_without_closed_or_registered_deals():
    figures = kpis.deal_figures(DealTally(registered=0, approved=0, won=0, lost=0), PROGRAM)
    assert figures.win_rate is None
    assert figures.conversion is None
    open_only = kpis.deal_figures(DealTally(registered=4), PROGRAM)
    assert open_only.win_rate is None
    assert open_only.conversion == 0.0
    all_lost = kpis.deal_figures(DealTally(registered=2, lost=2), PROGRAM)
    assert all_lost.win_rate == 0.0


def test_tallies_add_up_by_currency():
    total = DealTally(1, 1, 1, 0, {"JPY": 5}) + DealTally(2, 0, 1, 3, {"JPY": 7, "USD": 1})
    assert total == DealTally(3, 1, 2, 3, {"JPY": 12, "USD": 1})


# --- Time to first deal --------------------------------------------------------------------


def test_ttfd_median_over_partners_signed_in_the_period_with_open_ones_listed():
    p = period(12)
    partners = [
        partner(1, date(2026, 1, 10)),  # first won 50 days later
        partner(2, date(2026, 2, 1)),  # won a deal before signing: day 0
        partner(3, date(2026, 5, 1)),  # nothing won yet: open
        partner(4, date(2024, 1, 1)),  # signed before the period: not counted
        partner(5, date(2026, 3, 1), active=False),  # left: not counted
        partner(6, date(2026, 6, 1)),  # first won 20 days later
        partner(7, date(2025, 12, 1)),  # first day of the period, open
    ]
    first_won = {1: date(2026, 3, 1), 2: date(2025, 12, 1), 4: date(2024, 2, 1),
                 5: date(2026, 3, 2), 6: date(2026, 6, 21)}
    result = kpis.ttfd(partners, first_won, p)
    assert [(r.partner.id, r.days) for r in result.rows] == [
        (2, 0), (6, 20), (1, 50), (7, None), (3, None)]
    assert result.median_days == 20.0
    assert (result.with_deal, result.open) == (3, 2)
    open_row = result.rows[-1]
    assert open_row.open and open_row.days_since_signing == (date(2026, 11, 27)
                                                              - date(2026, 5, 1)).days


def test_ttfd_median_of_two_and_of_none():
    p = period(12)
    partners = [partner(1, date(2026, 4, 1)), partner(2, date(2026, 5, 1))]
    two = kpis.ttfd(partners, {1: date(2026, 5, 29), 2: date(2026, 8, 5)}, p)
    assert [r.days for r in two.rows] == [58, 96]
    assert two.median_days == 77.0
    none_won = kpis.ttfd(partners, {}, p)
    assert none_won.median_days is None
    assert none_won.open == 2
    assert kpis.ttfd([], {}, p) == kpis.Ttfd((), None)


# --- Retention ----------------------------------------------------------------------------


def test_retention_counts_partners_active_before_that_are_still_active():
    partners = [partner(1), partner(2), partner(3), partner(4, active=False), partner(5)]
    activity = {
        1: Activity(previous_period=True, current_period=True),  # retained
        2: Activity(previous_period=True, current_period=False),  # active only last period
        3: Activity(previous_period=False, current_period=True),  # new: not in the ratio
        4: Activity(previous_period=True, current_period=True),  # left the program
    }
    result = kpis.retention(partners, activity)
    assert (result.previously_active, result.retained) == (3, 1)
    assert result.rate == pytest.approx(1 / 3)


def test_retention_is_none_when_nobody_was_active_before():
    result = kpis.retention([partner(1)], {1: Activity(current_period=True)})
    assert result.rate is None


# --- The program ----------------------------------------------------------------------------


def test_an_empty_program_has_zeros_and_no_rates():
    p = period(6)
    figures = kpis.program_figures(ProgramFacts(p, ()), PROGRAM)
    assert len(figures.months) == 6
    assert all(m.deals == kpis.DealFigures() and m.certifications == 0
               for m in figures.months)
    assert figures.deals.win_rate is None and figures.deals.conversion is None
    assert figures.active_rate is None
    assert figures.certified_per_partner is None
    assert figures.pass_rate is None
    assert figures.retention.rate is None
    assert figures.ttfd.median_days is None
    assert figures.tiers == {"bronze": 0, "silver": 0, "gold": 0, "platinum": 0}
    assert figures.partners == ()


def test_an_empty_period_for_existing_partners():
    p = period(3)
    facts = ProgramFacts(p, (partner(1), partner(2, tier="gold")),
                         activity={1: Activity(people=2)})
    figures = kpis.program_figures(facts, PROGRAM)
    assert figures.deals.registered == 0
    assert figures.partner_count == 2 and figures.active_partners == 0
    assert figures.active_rate == 0.0
    assert figures.certified_per_partner == 0.0
    first = figures.partners[0]
    assert first.deals.win_rate is None and first.pass_rate is None
    assert first.active_share == 0.0  # 0 of 2 people
    assert figures.partners[1].active_share is None  # no people at all
    assert first.days_since_activity is None and first.ttfd_days is None


def test_program_figures_of_a_small_program():
    p = period(3)  # September, October, November 2026
    sakura = partner(1, date(2026, 9, 10), tier="gold", name="Sakura")
    aozora = partner(2, date(2020, 1, 1), tier="silver", name="Aozora")
    gone = partner(3, date(2020, 1, 1), tier="silver", active=False, name="Gone")
    facts = ProgramFacts(
        period=p,
        partners=(sakura, aozora, gone),
        # Sakura: September and November; Aozora: October; Gone (left since): September.
        deals={
            1: DealTally(registered=6, approved=4, won=3, lost=1,
                         won_revenue={"JPY": 1_000_000, "USD": 10_000}),
            2: DealTally(registered=3, approved=3, lost=2),
            3: DealTally(registered=1, won=1, won_revenue={"EUR": 7}),
        },
        months=(
            DealTally(registered=5, approved=3, won=2, lost=1,
                      won_revenue={"JPY": 1_000_000, "EUR": 7}),
            DealTally(registered=3, approved=3, lost=2),
            DealTally(registered=2, approved=1, won=2, won_revenue={"USD": 10_000}),
        ),
        first_won_on={1: date(2026, 10, 20), 2: date(2021, 5, 1), 3: date(2020, 3, 1)},
        activity={
            1: Activity(4, 3, datetime(2026, 11, 20, tzinfo=UTC), True, True),
            2: Activity(5, 0, datetime(2026, 7, 1, tzinfo=UTC), True, False),
            3: Activity(0, 0, datetime(2026, 9, 1, tzinfo=UTC), True, True),
        },
        training={1: Training(10, 7), 2: Training(5, 1), 3: Training(1, 1)},
        certified={1: 3, 2: 2, 3: 9},
        certifications=(10, 12, 15),
    )
    figures = kpis.program_figures(facts, PROGRAM)

    months = [(m.month, m.deals.registered, m.deals.won, m.deals.lost, m.deals.revenue,
               m.certifications) for m in figures.months]
    assert months == [(date(2026, 9, 1), 5, 2, 1, 1_000_000, 10),
                      (date(2026, 10, 1), 3, 0, 2, 0, 12),
                      (date(2026, 11, 1), 2, 2, 0, 1_500_000, 15)]
    assert figures.months[0].deals.left_out == {"EUR": 7}
    assert (figures.deals.registered, figures.deals.approved, figures.deals.won,
            figures.deals.lost) == (10, 7, 4, 3)
    assert figures.deals.revenue == 2_500_000
    assert figures.deals.win_rate == pytest.approx(4 / 7)
    assert figures.deals.conversion == pytest.approx(0.4)
    # Active partners: Sakura (20 Nov) of Sakura and Aozora (1 July is > 90 days ago).
    assert (figures.active_partners, figures.partner_count) == (1, 2)
    assert figures.active_rate == 0.5
    # Retention: Sakura kept; Aozora quiet this period; Gone left.
    assert (figures.retention.previously_active, figures.retention.retained) == (3, 1)
    assert figures.pass_rate == pytest.approx(9 / 16)
    assert figures.certified_people == 5
    assert figures.certified_per_partner == 2.5
    assert figures.tiers == {"bronze": 0, "silver": 1, "gold": 1, "platinum": 0}
    assert [r.partner.name for r in figures.ttfd.rows] == ["Sakura"]
    assert figures.ttfd.median_days == 40.0

    aozora_row, sakura_row = figures.partners  # by name
    assert sakura_row.partner.name == "Sakura"
    assert (sakura_row.deals.registered, sakura_row.deals.won) == (6, 3)
    assert sakura_row.deals.revenue == 2_500_000
    assert sakura_row.deals.win_rate == 0.75
    assert sakura_row.deals.conversion == 0.5
    assert sakura_row.pass_rate == 0.7
    assert sakura_row.active_share == 0.75
    assert sakura_row.certified_people == 3
    assert sakura_row.ttfd_days == 40
    assert sakura_row.days_since_activity == 7
    assert aozora_row.deals.win_rate == 0.0
    assert aozora_row.deals.conversion == 0.0
    assert aozora_row.active_share == 0.0
    assert aozora_row.ttfd_days == (date(2021, 5, 1) - date(2020, 1, 1)).days
    assert aozora_row.days_since_activity == (NOW - datetime(2026, 7, 1, tzinfo=UTC)).days
