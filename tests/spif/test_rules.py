"""The pure rules of SPIF campaigns: which won deals earn the bonus (days in the program's
time zone, product, tier held at the close, new customers), the totals, the status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lms.spif import rules
from lms.spif.rules import Campaign, TierMove, WonDeal

TOKYO = ZoneInfo("Asia/Tokyo")
FIRST, LAST = date(2026, 10, 1), date(2026, 12, 31)
WON = Campaign("won_deal", 50_000, FIRST, LAST)
NEW = Campaign("new_customer", 50_000, FIRST, LAST)
_ids = iter(range(1, 10_000))


def deal(closed: datetime, org: int = 1, customer: str = "acme", product: str = "Nimbus CRM",
         person: int | None = 7) -> WonDeal:
    return WonDeal(next(_ids), org, person, customer, product, closed)


def tokyo(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second,
                    tzinfo=TOKYO).astimezone(UTC)


def earned(campaign: Campaign, deals, **kw) -> list[int]:
    return [a.deal.id for a in rules.accruals(campaign, deals, TOKYO, **kw)]


def test_the_first_and_last_days_count_whole_in_the_programs_time_zone():
    inside = [deal(tokyo(FIRST, 0)), deal(tokyo(LAST, 23, 59, 59))]
    outside = [deal(tokyo(FIRST, 0) - timedelta(seconds=1)),
               deal(tokyo(LAST + timedelta(days=1), 0))]
    assert earned(WON, inside + outside) == [d.id for d in inside]
    # 15:00 UTC on Dec 31 is already Jan 1 in Tokyo: outside.
    assert earned(WON, [deal(datetime(2026, 12, 31, 15, tzinfo=UTC))]) == []
    assert earned(WON, [deal(datetime(2026, 9, 30, 15, tzinfo=UTC))]) != []  # Oct 1, 00:00


def test_a_one_day_campaign_and_its_window():
    one_day = Campaign("won_deal", 1, FIRST, FIRST)
    start, end = rules.window(one_day, TOKYO)
    assert (end - start) == timedelta(days=1)
    assert start == datetime(2026, 9, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(("wanted", "product", "counts"), [
    ("", "anything", True),
    ("Enterprise", "Nimbus CRM Enterprise", True),
    ("enterprise", "NIMBUS CRM ENTERPRISE", True),
    ("Ｅｎｔｅｒｐｒｉｓｅ", "Nimbus CRM Enterprise", True),  # full-width
    ("Enterprise", "Nimbus CRM Professional", False),
    ("Service Cloud", "Nimbus  Service   Cloud add-on", True),  # spaces collapse
])
def test_the_product_is_mentioned_case_and_width_ignored(wanted, product, counts):
    assert rules.product_matches(wanted, product) is counts
    campaign = Campaign("won_deal", 1, FIRST, LAST, product=wanted)
    assert bool(earned(campaign, [deal(tokyo(FIRST), product=product)])) is counts


def test_only_a_customer_new_to_the_company_earns_and_only_once():
    first = deal(tokyo(FIRST + timedelta(days=3)), customer="new k.k.")
    again = deal(tokyo(FIRST + timedelta(days=9)), customer="new k.k.")
    known = deal(tokyo(FIRST + timedelta(days=5)), customer="old k.k.")
    elsewhere = deal(tokyo(FIRST + timedelta(days=6)), org=2, customer="old k.k.")
    assert earned(NEW, [again, known, first, elsewhere],
                  known_customers={(1, "old k.k.")}) == [first.id, elsewhere.id]
    # Every won deal earns in a campaign that is not about new customers.
    assert len(earned(WON, [again, known, first, elsewhere],
                      known_customers={(1, "old k.k.")})) == 4


def test_a_new_customer_first_won_outside_the_product_does_not_earn_later():
    campaign = Campaign("new_customer", 1, FIRST, LAST, product="Enterprise")
    professional = deal(tokyo(FIRST), customer="k", product="Nimbus CRM Professional")
    enterprise = deal(tokyo(FIRST + timedelta(days=1)), customer="k",
                      product="Nimbus CRM Enterprise")
    assert earned(campaign, [professional, enterprise]) == []  # no longer new


def test_same_moment_deals_are_ordered_by_id():
    moment = tokyo(FIRST)
    a, b = deal(moment, customer="k"), deal(moment, customer="k")
    assert earned(NEW, [b, a]) == [a.id]


PROMOTED = datetime(2026, 11, 15, 3, tzinfo=UTC)


@pytest.mark.parametrize(("moves", "current", "moment", "held"), [
    ((), "gold", PROMOTED, "gold"),  # no history: the tier now
    ((TierMove(PROMOTED, "silver", "gold"),), "gold", PROMOTED - timedelta(seconds=1),
     "silver"),
    ((TierMove(PROMOTED, "silver", "gold"),), "gold", PROMOTED, "gold"),
    ((TierMove(PROMOTED, "silver", "gold"), TierMove(PROMOTED + timedelta(days=9), "gold",
                                                     "silver")),
     "silver", PROMOTED + timedelta(days=1), "gold"),
    ((TierMove(PROMOTED, "gold", "gold"),), "gold", PROMOTED - timedelta(days=1), "gold"),
])
def test_the_tier_held_at_a_moment(moves, current, moment, held):
    assert rules.tier_at(moves, current, moment) == held


def test_a_campaign_for_some_tiers_counts_the_tier_held_when_the_deal_closed():
    gold_only = Campaign("won_deal", 10, FIRST, LAST, tiers=frozenset({"gold"}))
    before = deal(PROMOTED - timedelta(days=1))
    after = deal(PROMOTED + timedelta(days=1))
    always_gold = deal(PROMOTED - timedelta(days=1), org=2)
    bronze = deal(PROMOTED, org=3)
    moves = {1: [TierMove(PROMOTED, "silver", "gold")]}
    current = {1: "gold", 2: "gold", 3: "bronze"}
    assert earned(gold_only, [before, after, always_gold, bronze], moves=moves,
                  current_tiers=current) == [always_gold.id, after.id]


def test_totals_per_partner_and_person():
    deals = [deal(tokyo(FIRST), org=1, person=7), deal(tokyo(FIRST), org=1, person=8),
             deal(tokyo(FIRST), org=1, person=7), deal(tokyo(FIRST), org=2, person=None)]
    accruals = rules.accruals(WON, deals, TOKYO)
    assert rules.by_partner(accruals) == {1: rules.Total(3, 150_000),
                                          2: rules.Total(1, 50_000)}
    assert rules.by_person(accruals) == {(1, 7): rules.Total(2, 100_000),
                                         (1, 8): rules.Total(1, 50_000),
                                         (2, None): rules.Total(1, 50_000)}
    assert rules.by_partner([]) == {}


@pytest.mark.parametrize(("today", "status"), [
    (FIRST - timedelta(days=1), "upcoming"), (FIRST, "running"), (LAST, "running"),
    (LAST + timedelta(days=1), "ended")])
def test_status_on_a_day(today, status):
    assert rules.status(WON, today) == status


@pytest.mark.parametrize(("starts", "ends", "problem"), [
    (FIRST, FIRST, None), (FIRST, FIRST - timedelta(days=1), "before_start"),
    (date(2028, 1, 1), date(2028, 12, 31), None),  # a leap year: 366 days
    (date(2027, 1, 1), date(2028, 1, 2), "too_long"),  # 367 days
    (date(2026, 1, 1), date(2027, 1, 1), None),  # 366 days
    (date(2026, 1, 1), date(2027, 1, 2), "too_long"),
    (date(1999, 12, 31), date(2000, 1, 1), "out_of_range"),
    (date(2999, 12, 31), date(3000, 1, 1), "out_of_range"),
    (date(2000, 1, 1), date(2000, 1, 1), None), (date(2999, 12, 31), date(2999, 12, 31), None),
])
def test_how_long_a_campaign_may_be(starts, ends, problem):
    assert rules.dates_problem(starts, ends) == problem


def test_windows_are_joined_into_as_few_spans_as_cover_them():
    def at(day: int) -> datetime:
        return datetime(2026, 4, day, tzinfo=UTC)

    assert rules.spans([]) == []
    assert rules.spans([(at(10), at(20)), (at(1), at(5)), (at(5), at(8)), (at(12), at(25)),
                        (at(27), at(28)), (at(1), at(5))]) == [
        (at(1), at(8)), (at(10), at(25)), (at(27), at(28))]
    assert rules.spans([(at(1), at(30)), (at(3), at(4))]) == [(at(1), at(30))]
