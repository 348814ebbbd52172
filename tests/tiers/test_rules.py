"""The pure tier program: validating rules, the review window, evaluating a partner's facts,
standings and decisions, the words for requirements and gaps, and content/program.toml."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.tiers import rules
from lms.tiers.loader import load_program
from lms.tiers.program import (
    CURRENCY_CODES,
    MAX_MIN,
    TIERS,
    Program,
    Requirement,
    TierRule,
    program_from_dict,
    program_to_dict,
)
from lms.tiers.rules import (
    AT_RISK,
    BELOW,
    HOLDS,
    PROMOTION_DUE,
    Evaluation,
    PartnerFacts,
    RequirementResult,
    TierResult,
    converted_revenue,
    decide,
    demotion_date,
    describe,
    evaluate,
    evaluation_to_dict,
    gap_text,
    status_for,
    window_start,
)
from tests.tiers.test_benefits import benefits_st

# No example database: nothing is written into the project (.hypothesis/ is not ignored).
PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True)

CONTENT = Path(__file__).resolve().parents[2] / "content"
NCSP = "nimbus-certified-sales-professional"
NCIE = "nimbus-certified-implementation-engineer"
TODAY = date(2026, 3, 10)
DAY = timedelta(days=1)


def deals(minimum: int) -> Requirement:
    return Requirement("won_deals", minimum)


def revenue(minimum: int) -> Requirement:
    return Requirement("won_revenue", minimum)


def people(minimum: int, credential: str = NCIE, job: str | None = None) -> Requirement:
    return Requirement("certified_people", minimum, credential, job)


def program(*tiers: tuple[str, tuple[Requirement, ...]], **kw) -> Program:
    return Program(tuple(TierRule(tier, reqs) for tier, reqs in tiers), **kw)


def valid_data(**overrides) -> dict:
    """A valid program as TOML or the admin form gives it."""
    data = {
        "currency": "JPY", "review_window_months": 12, "grace_period_days": 90,
        "exchange_rates": {"USD": 150, "EUR": 160},
        "tiers": [
            {"tier": "silver", "requirements": [
                {"kind": "won_deals", "min": 3},
                {"kind": "certified_people", "credential": NCSP, "job_function": "sales",
                 "min": 2}]},
            {"tier": "gold", "requirements": [
                {"kind": "won_deals", "min": 10},
                {"kind": "won_revenue", "min": 30_000_000}]},
        ],
    }
    data.update(overrides)
    return data


def with_requirement(requirement: dict) -> dict:
    """A program whose Gold has `requirement` (Silver is there: tiers are reached in order)."""
    return valid_data(tiers=[{"tier": "silver", "requirements": [{"kind": "won_deals",
                                                                   "min": 1}]},
                             {"tier": "gold", "requirements": [requirement]}])


def only_problem(data: dict, credential_slugs: set[str] | None = None) -> str:
    parsed, problems = program_from_dict(data, credential_slugs)
    assert parsed is None
    assert len(problems) == 1, problems
    return problems[0]


# --- program_from_dict: valid input ---------------------------------------------------------


def test_a_valid_program_is_read_into_dataclasses():
    parsed, problems = program_from_dict(valid_data(), {NCSP})

    assert problems == []
    assert parsed == Program(
        tiers=(TierRule("silver", (deals(3), people(2, NCSP, "sales"))),
               TierRule("gold", (deals(10), revenue(30_000_000)))),
        currency="JPY", review_window_months=12, grace_period_days=90,
        exchange_rates={"USD": 150.0, "EUR": 160.0})


def test_defaults_apply_when_keys_are_left_out():
    parsed, problems = program_from_dict({})

    assert problems == []
    assert parsed == Program((), "JPY", 12, 90, {})


def test_tiers_are_put_in_program_order():
    data = valid_data(tiers=[
        {"tier": "platinum", "requirements": [{"kind": "won_deals", "min": 25}]},
        {"tier": "silver", "requirements": [{"kind": "won_deals", "min": 3}]},
        {"tier": "gold", "requirements": [{"kind": "won_deals", "min": 10}]},
    ])

    parsed, _problems = program_from_dict(data)

    assert [rule.tier for rule in parsed.tiers] == ["silver", "gold", "platinum"]
    assert [rule.requirements[0].min for rule in parsed.tiers] == [3, 10, 25]


def test_certified_people_without_job_function_and_the_extremes_of_min():
    data = with_requirement({"kind": "certified_people", "credential": NCIE, "min": MAX_MIN})

    parsed, problems = program_from_dict(data, {NCIE})

    assert problems == []
    assert parsed.rule("gold").requirements == (people(MAX_MIN, NCIE, None),)
    assert program_from_dict(with_requirement({"kind": "won_deals", "min": 1}))[1] == []


def test_the_credential_is_not_checked_when_no_slugs_are_given():
    data = with_requirement({"kind": "certified_people", "credential": "anything", "min": 1})

    assert program_from_dict(data)[1] == []
    assert program_from_dict(data, {"anything"})[1] == []


# --- program_from_dict: every bad input has a clear problem ---------------------------------


@pytest.mark.parametrize("defined,missing", [(["gold"], "silver"),
                                             (["silver", "platinum"], "gold"),
                                             (["platinum"], "silver, gold")])
def test_a_tier_above_a_tier_without_requirements_is_refused(defined, missing):
    data = valid_data(tiers=[{"tier": t, "requirements": [{"kind": "won_deals", "min": 1}]}
                             for t in defined])
    problem = only_problem(data)
    assert problem.startswith(f"{defined[-1] if missing != 'gold' else 'platinum'}: "
                              f"{missing} needs requirements too")


def test_unknown_program_key():
    assert only_problem(valid_data(tier_names=["x"])) == "unknown keys: tier_names"


@pytest.mark.parametrize("tier", ["diamond", "Gold", "", 3, None])
def test_unknown_tier(tier):
    data = valid_data(tiers=[{"tier": tier, "requirements": []}])

    assert only_problem(data) == (
        "tiers[1].tier: one of silver, gold, platinum (bronze has no requirements)")


def test_bronze_cannot_have_requirements():
    data = valid_data(tiers=[{"tier": "bronze",
                              "requirements": [{"kind": "won_deals", "min": 1}]}])

    problem = only_problem(data)

    assert problem.startswith("tiers[1].tier:")
    assert "bronze has no requirements" in problem


def test_a_tier_defined_twice():
    data = valid_data(tiers=[
        {"tier": "gold", "requirements": [{"kind": "won_deals", "min": 10}]},
        {"tier": "silver", "requirements": [{"kind": "won_deals", "min": 3}]},
        {"tier": "gold", "requirements": [{"kind": "won_deals", "min": 12}]},
    ])

    assert only_problem(data) == "tiers[3].tier: gold is defined twice"


def test_unknown_key_in_a_tier():
    data = valid_data(tiers=[{"tier": "gold", "requirements": [], "benefits": "x"}])

    assert only_problem(data) == "tiers[1]: unknown keys: benefits"


def test_tiers_and_requirements_must_be_lists_of_tables():
    assert only_problem(valid_data(tiers={"gold": {}})) == "tiers: a list of tiers"
    assert only_problem(valid_data(tiers=["gold"])) == (
        "tiers[1]: a table with tier and requirements")
    assert only_problem(valid_data(tiers=[{"tier": "gold", "requirements": "3 deals"}])) == (
        "tiers[1].requirements: a list")
    assert only_problem(valid_data(tiers=[{"tier": "gold", "requirements": ["won_deals"]}])
                        ) == "gold.requirements[1]: a table with kind and min"


@pytest.mark.parametrize("kind", ["won_deal", "revenue", "", None, 5])
def test_unknown_requirement_kind(kind):
    assert only_problem(with_requirement({"kind": kind, "min": 1})) == (
        "gold.requirements[1].kind: one of won_deals, won_revenue, registered_deals, "
        "approved_deals, certified_won_deals, manual, certified_people, trained_people")


@pytest.mark.parametrize("kind", [["won_deals"], {"name": "won_deals"}])
def test_an_array_or_table_as_kind_is_a_problem_not_a_crash(kind):
    parsed, problems = program_from_dict(with_requirement({"kind": kind, "min": 1}))

    assert parsed is None
    assert problems == [
        "gold.requirements[1].kind: one of won_deals, won_revenue, registered_deals, "
        "approved_deals, certified_won_deals, manual, certified_people, trained_people"]


def test_unknown_key_in_a_requirement():
    assert only_problem(with_requirement({"kind": "won_deals", "min": 1, "max": 9})) == (
        "gold.requirements[1]: unknown keys: max")


@pytest.mark.parametrize("minimum", [0, -1, -10, True, False, 2.0, 2.5, "3", None,
                                     MAX_MIN + 1])
@pytest.mark.parametrize("kind", ["won_deals", "won_revenue"])
def test_min_must_be_a_whole_number_of_at_least_one(kind, minimum):
    requirement = {"kind": kind, "min": minimum}
    if minimum is None:
        del requirement["min"]

    assert only_problem(with_requirement(requirement)) == (
        "gold.requirements[1].min: a whole number from 1 to 10,000,000,000,000")


def test_min_of_certified_people_is_checked_too():
    data = with_requirement({"kind": "certified_people", "credential": NCIE, "min": 0})

    assert only_problem(data, {NCIE}) == (
        "gold.requirements[1].min: a whole number from 1 to 10,000,000,000,000")


@pytest.mark.parametrize("credential", [None, "", 7])
def test_certified_people_needs_a_credential(credential):
    requirement = {"kind": "certified_people", "min": 1, "credential": credential}
    if credential is None:
        del requirement["credential"]

    assert only_problem(with_requirement(requirement)) == (
        "gold.requirements[1].credential: the slug of a certification or badge")


def test_an_unknown_credential_is_a_problem_when_the_slugs_are_given():
    data = with_requirement({"kind": "certified_people", "credential": "ncsp-typo", "min": 1})

    assert only_problem(data, {NCSP, NCIE}) == (
        "gold.requirements[1].credential: no credential 'ncsp-typo'")
    assert only_problem(data, set()) == "gold.requirements[1].credential: no credential 'ncsp-typo'"


@pytest.mark.parametrize("kind", ["won_deals", "won_revenue"])
def test_credential_is_not_used_by_deal_kinds(kind):
    assert only_problem(with_requirement({"kind": kind, "min": 1, "credential": NCIE})) == (
        f"gold.requirements[1].credential: not used by {kind}")


@pytest.mark.parametrize("kind", ["won_deals", "won_revenue"])
def test_job_function_is_only_for_certified_people(kind):
    data = with_requirement({"kind": kind, "min": 1, "job_function": "sales"})

    assert only_problem(data) == (
        "gold.requirements[1].job_function: sales or technical (certified_people and "
        "trained_people only)")


@pytest.mark.parametrize("job", ["engineer", "Sales", "", 1])
def test_job_function_must_be_sales_or_technical(job):
    data = with_requirement({"kind": "certified_people", "credential": NCIE, "min": 1,
                             "job_function": job})

    assert only_problem(data) == (
        "gold.requirements[1].job_function: sales or technical (certified_people and "
        "trained_people only)")


def test_the_same_requirement_twice_in_a_tier():
    data = valid_data(tiers=[{"tier": "silver", "requirements": [
        {"kind": "certified_people", "credential": NCIE, "job_function": "technical", "min": 1},
        {"kind": "certified_people", "credential": NCIE, "job_function": "technical", "min": 2},
    ]}])

    assert only_problem(data) == "silver: the same requirement is listed twice"


def test_the_same_credential_for_different_job_functions_is_two_requirements():
    data = valid_data(tiers=[{"tier": "silver", "requirements": [
        {"kind": "certified_people", "credential": NCIE, "job_function": "technical", "min": 1},
        {"kind": "certified_people", "credential": NCIE, "job_function": "sales", "min": 1},
        {"kind": "certified_people", "credential": NCIE, "min": 3},
    ]}])

    parsed, problems = program_from_dict(data)

    assert problems == []
    assert len(parsed.rule("silver").requirements) == 3


@pytest.mark.parametrize("currency", ["XYZ", "jpy", "", 392, None])
def test_bad_currency(currency):
    problem = only_problem(valid_data(currency=currency, exchange_rates={}))

    assert problem.startswith(f"currency: {currency!r} is not one of ")
    assert "JPY" in problem and "USD" in problem


def test_an_array_as_currency_is_a_problem_not_a_crash():
    parsed, problems = program_from_dict(valid_data(currency=["JPY"], exchange_rates={}))

    assert parsed is None
    assert len(problems) == 1 and problems[0].startswith("currency: ")


@pytest.mark.parametrize("rate", [0, -150, 0.0, True, "150", None, float("nan"),
                                  float("inf"), 1e9])
def test_bad_exchange_rate(rate):
    assert only_problem(valid_data(exchange_rates={"USD": rate})) == (
        "exchange_rates.USD: a positive number")


@pytest.mark.parametrize("code", ["XYZ", "usd", "JPY"])
def test_exchange_rate_for_an_unknown_or_the_program_currency(code):
    assert only_problem(valid_data(exchange_rates={code: 1})) == (
        f"exchange_rates: {code!r} is not another known currency")


def test_exchange_rates_must_be_a_table():
    assert only_problem(valid_data(exchange_rates=[150])) == (
        "exchange_rates: a table of currency = rate")


def test_small_and_fractional_rates_are_accepted():
    parsed, problems = program_from_dict(valid_data(currency="USD",
                                                    exchange_rates={"JPY": 0.0067, "EUR": 1}))

    assert problems == []
    assert parsed.exchange_rates == {"JPY": 0.0067, "EUR": 1.0}


@pytest.mark.parametrize(("key", "value", "message"), [
    ("review_window_months", 0, "review_window_months: a whole number of months from 1 to 60"),
    ("review_window_months", 61, "review_window_months: a whole number of months from 1 to 60"),
    ("review_window_months", 12.0, "review_window_months: a whole number of months from 1 to 60"),
    ("review_window_months", True, "review_window_months: a whole number of months from 1 to 60"),
    ("grace_period_days", -1, "grace_period_days: a whole number of days from 0 to 730"),
    ("grace_period_days", 731, "grace_period_days: a whole number of days from 0 to 730"),
    ("grace_period_days", "90", "grace_period_days: a whole number of days from 0 to 730"),
])
def test_window_and_grace_period_bounds(key, value, message):
    assert only_problem(valid_data(**{key: value})) == message


@pytest.mark.parametrize(("key", "value"), [("review_window_months", 1),
                                            ("review_window_months", 60),
                                            ("grace_period_days", 0),
                                            ("grace_period_days", 730)])
def test_window_and_grace_period_limits_are_valid(key, value):
    parsed, problems = program_from_dict(valid_data(**{key: value}))

    assert problems == []
    assert getattr(parsed, key) == value


def test_every_problem_is_reported_at_once():
    data = valid_data(currency="XYZ", grace_period_days=-1, exchange_rates={"USD": 0},
                      tiers=[{"tier": "gold", "requirements": [
                          {"kind": "won_deals", "min": 0},
                          {"kind": "mystery", "min": 1}]}])

    parsed, problems = program_from_dict(data)

    assert parsed is None
    assert len(problems) == 5, problems
    assert {p.split(":")[0] for p in problems} == {
        "currency", "grace_period_days", "exchange_rates.USD", "gold.requirements[1].min",
        "gold.requirements[2].kind"}


# --- program_to_dict round trip -------------------------------------------------------------


def test_program_to_dict_is_the_editable_form():
    parsed, _problems = program_from_dict(valid_data(), {NCSP})

    assert program_to_dict(parsed) == {
        "currency": "JPY", "review_window_months": 12, "grace_period_days": 90,
        "exchange_rates": {"EUR": 160.0, "USD": 150.0},
        "health": {"weights": {"active": 0.4, "training": 0.3, "conversion": 0.3},
                   "healthy_from": 70, "watch_from": 40},
        "tiers": [
            {"tier": "silver", "requirements": [
                {"kind": "won_deals", "min": 3},
                {"kind": "certified_people", "credential": NCSP, "job_function": "sales",
                 "min": 2}]},
            {"tier": "gold", "requirements": [
                {"kind": "won_deals", "min": 10},
                {"kind": "won_revenue", "min": 30_000_000}]},
        ],
        "benefits": {"mdf_period": "quarter"},  # none listed
    }


slug_st = st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True)
requirement_st = st.one_of(
    st.builds(Requirement, st.just("won_deals"), st.integers(1, MAX_MIN)),
    st.builds(Requirement, st.just("won_revenue"), st.integers(1, MAX_MIN)),
    st.builds(Requirement, st.sampled_from(["registered_deals", "approved_deals"]),
              st.integers(1, MAX_MIN)),
    st.builds(Requirement, st.just("certified_won_deals"), st.integers(1, MAX_MIN),
              st.one_of(st.none(), slug_st)),
    st.builds(Requirement, st.just("manual"), st.just(1), item=slug_st.filter(
        lambda s: "--" not in s and not s.endswith("-")), name=st.text(
        st.characters(categories=["L", "N"]), min_size=1, max_size=40)),
    st.builds(Requirement, st.just("certified_people"), st.integers(1, MAX_MIN), slug_st,
              st.sampled_from([None, "sales", "technical"])),
)
rule_tiers_st = st.lists(st.sampled_from(TIERS[1:]), unique=True).map(
    lambda tiers: sorted(tiers, key=TIERS.index))
rate_st = st.floats(min_value=0, max_value=1e9, exclude_min=True, exclude_max=True)
CODES = sorted(CURRENCY_CODES)


@st.composite
def programs(draw) -> Program:
    # Tiers with requirements start at Silver with no gap (a gap is refused, tested below).
    tiers = tuple(
        TierRule(tier, tuple(draw(st.lists(requirement_st, min_size=1, max_size=6,
                                           unique_by=lambda r: r.key))))
        for tier in TIERS[1:1 + draw(st.integers(0, 3))])
    currency = draw(st.sampled_from(CODES))
    rates = draw(st.dictionaries(st.sampled_from([c for c in CODES if c != currency]),
                                 rate_st, max_size=5))
    return Program(tiers, currency, draw(st.integers(1, 60)), draw(st.integers(0, 730)),
                   rates, benefits=draw(benefits_st))


@PROPERTY
@given(programs())
def test_program_round_trips_through_its_stored_json_form(generated):
    stored = json.loads(json.dumps(program_to_dict(generated)))
    slugs = {r.credential for rule in generated.tiers for r in rule.requirements
             if r.credential}

    assert program_from_dict(stored) == (generated, [])
    assert program_from_dict(stored, slugs) == (generated, [])
    assert program_to_dict(program_from_dict(stored)[0]) == stored


# --- window_start ---------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "months", "expected"), [
    (date(2026, 3, 10), 12, datetime(2025, 3, 10, tzinfo=UTC)),
    (date(2026, 3, 10), 1, datetime(2026, 2, 10, tzinfo=UTC)),
    (date(2026, 1, 15), 1, datetime(2025, 12, 15, tzinfo=UTC)),  # over the year's start
    (date(2026, 3, 31), 1, datetime(2026, 2, 28, tzinfo=UTC)),   # February is shorter
    (date(2024, 3, 31), 1, datetime(2024, 2, 29, tzinfo=UTC)),   # leap year
    (date(2026, 5, 31), 1, datetime(2026, 4, 30, tzinfo=UTC)),
    (date(2026, 3, 31), 13, datetime(2025, 2, 28, tzinfo=UTC)),
    (date(2024, 2, 29), 12, datetime(2023, 2, 28, tzinfo=UTC)),
    (date(2026, 12, 31), 60, datetime(2021, 12, 31, tzinfo=UTC)),
])
def test_window_start_is_midnight_utc_months_before(today, months, expected):
    """A program run in UTC."""
    start = window_start(today, months, UTC)

    assert start == expected
    assert start.utcoffset() == timedelta(0)
    assert (start.hour, start.minute, start.second, start.microsecond) == (0, 0, 0, 0)


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 3, 10), datetime(2025, 3, 9, 15, 0, tzinfo=UTC)),
    (date(2027, 1, 1), datetime(2025, 12, 31, 15, 0, tzinfo=UTC)),  # Tokyo's New Year's Day
    (date(2028, 2, 29), datetime(2027, 2, 27, 15, 0, tzinfo=UTC)),
])
def test_window_start_is_midnight_where_the_program_runs(today, expected):
    start = window_start(today, 12, ZoneInfo("Asia/Tokyo"))

    assert start == expected
    assert start.utcoffset() == timedelta(0)


# --- converted_revenue and evaluate: each requirement kind ----------------------------------

RATES = {"USD": 150.0, "EUR": 160.0}


def only(requirement: Requirement, tier: str = "silver", **kw) -> Program:
    return program((tier, (requirement,)), exchange_rates=RATES, **kw)


def test_revenue_is_converted_with_the_exchange_rates():
    total, unconverted = converted_revenue(
        {"JPY": 1_000_000, "USD": 10_000, "EUR": 2_500}, Program((), exchange_rates=RATES))

    assert total == 1_000_000 + 10_000 * 150 + 2_500 * 160
    assert unconverted == ()


def test_a_currency_without_a_rate_is_left_out_and_reported():
    total, unconverted = converted_revenue(
        {"KRW": 9_000_000, "JPY": 500_000, "GBP": 100, "USD": 1}, Program((), exchange_rates=RATES))

    assert total == 500_000 + 150
    assert unconverted == ("GBP", "KRW")


def test_a_currency_without_a_rate_and_nothing_won_is_not_reported():
    assert converted_revenue({"KRW": 0, "JPY": 7}, Program(())) == (7, ())


def test_converted_revenue_is_rounded_to_whole_units():
    usd_program = Program((), currency="USD", exchange_rates={"JPY": 0.0067})

    assert converted_revenue({"JPY": 1_000_000}, usd_program) == (6_700, ())
    assert converted_revenue({"JPY": 1_000_000, "USD": 5}, usd_program) == (6_705, ())
    assert converted_revenue({"JPY": 70}, usd_program) == (0, ())  # 0.469 rounds down
    assert converted_revenue({"JPY": 80}, usd_program) == (1, ())  # 0.536 rounds up


@pytest.mark.parametrize(("won", "met"), [(2, False), (3, True), (4, True)])
def test_won_deals(won, met):
    evaluation = evaluate(PartnerFacts(won_deals=won), only(deals(3)))
    result = evaluation.for_tier("silver").results[0]

    assert (result.actual, result.required, result.met) == (won, 3, met)
    assert result.missing == max(0, 3 - won)
    assert evaluation.qualified == ("silver" if met else "bronze")


def test_won_revenue_with_rates_and_an_unconverted_currency():
    facts = PartnerFacts(won_deals=4, won_revenue={"JPY": 400_000, "USD": 4_000, "KRW": 10**9})
    evaluation = evaluate(facts, only(revenue(1_000_000)))
    result = evaluation.for_tier("silver").results[0]

    assert result.actual == 400_000 + 4_000 * 150
    assert result.met
    assert evaluation.unconverted_currencies == ("KRW",)
    assert evaluation.qualified == "silver"


def test_won_revenue_short_because_a_currency_has_no_rate():
    facts = PartnerFacts(won_deals=2, won_revenue={"JPY": 900_000, "SGD": 50_000})
    evaluation = evaluate(facts, only(revenue(1_000_000)))
    result = evaluation.for_tier("silver").results[0]

    assert (result.actual, result.missing, result.met) == (900_000, 100_000, False)
    assert evaluation.unconverted_currencies == ("SGD",)
    assert evaluation.qualified == "bronze"


def test_won_revenue_exactly_at_the_minimum_is_met():
    facts = PartnerFacts(won_revenue={"EUR": 6_250})  # 6,250 x 160 = 1,000,000

    assert evaluate(facts, only(revenue(1_000_000))).qualified == "silver"
    assert evaluate(facts, only(revenue(1_000_001))).qualified == "bronze"


CERTIFIED = {(NCIE, "technical"): 2, (NCIE, "sales"): 1, (NCIE, None): 1,
             (NCSP, "sales"): 5, (NCSP, "technical"): 1}


@pytest.mark.parametrize(("credential", "job", "expected"), [
    (NCIE, "technical", 2),
    (NCIE, "sales", 1),
    (NCIE, None, 4),   # anyone: technical, sales, and people without a job function
    (NCSP, "sales", 5),
    (NCSP, None, 6),
    ("other-credential", None, 0),
])
def test_certified_people_with_and_without_job_function(credential, job, expected):
    facts = PartnerFacts(certified=CERTIFIED)
    result = evaluate(facts, only(people(1, credential, job))).for_tier("silver").results[0]

    assert result.actual == expected
    assert result.met == (expected >= 1)


def test_evaluation_measures_every_tier_even_above_the_one_reached():
    prog = program(("silver", (deals(3),)), ("gold", (deals(10), revenue(5_000_000))),
                   ("platinum", (deals(25),)))
    facts = PartnerFacts(won_deals=12, won_revenue={"JPY": 4_000_000})

    evaluation = evaluate(facts, prog)

    assert evaluation.qualified == "silver"
    assert [t.tier for t in evaluation.tiers] == ["silver", "gold", "platinum"]
    gold = evaluation.for_tier("gold")
    assert [(r.actual, r.met) for r in gold.results] == [(12, True), (4_000_000, False)]
    assert not gold.met
    assert [(r.actual, r.met) for r in evaluation.for_tier("platinum").results] == [
        (12, False)]


def test_every_tier_met_qualifies_for_the_highest():
    prog = program(("silver", (deals(1),)), ("gold", (deals(2),)), ("platinum", (deals(3),)))

    assert [evaluate(PartnerFacts(won_deals=n), prog).qualified for n in range(5)] == [
        "bronze", "silver", "gold", "platinum", "platinum"]


def test_tiers_are_cumulative():
    # Gold asks for revenue, Silver for certified engineers: meeting Gold alone is not enough.
    prog = program(("silver", (people(2, NCIE, "technical"),)),
                   ("gold", (revenue(1_000_000),)))
    facts = PartnerFacts(won_revenue={"JPY": 2_000_000}, certified={(NCIE, "technical"): 1})

    evaluation = evaluate(facts, prog)

    assert evaluation.for_tier("gold").met
    assert not evaluation.for_tier("silver").met
    assert evaluation.qualified == "bronze"


def test_meeting_platinum_and_silver_but_not_gold_qualifies_for_silver():
    prog = program(("silver", (deals(1),)), ("gold", (revenue(10),)),
                   ("platinum", (deals(2),)))

    assert evaluate(PartnerFacts(won_deals=5), prog).qualified == "silver"


def test_a_tier_with_no_requirements_is_not_given_away():
    facts = PartnerFacts(won_deals=100, won_revenue={"JPY": 10**12},
                         certified={(NCIE, "technical"): 50})

    assert evaluate(facts, Program(())).qualified == "bronze"
    assert evaluate(facts, program(("silver", ()))).qualified == "bronze"
    assert evaluate(facts, program(("silver", (deals(1),)), ("gold", ()),
                                   ("platinum", (deals(1),)))).qualified == "silver"
    assert evaluate(facts, program(("silver", (deals(1),)))).qualified == "silver"


def test_an_empty_evaluation_for_a_tier_without_rules():
    evaluation = evaluate(PartnerFacts(), Program(()))

    assert evaluation.for_tier("gold") == TierResult("gold", ())
    assert evaluation.for_tier("bronze").results == ()
    assert evaluation.unconverted_currencies == ()


def test_progress_and_missing():
    result = RequirementResult(deals(4), 1, False)
    over = RequirementResult(deals(4), 9, True)

    assert (result.missing, result.progress, result.required) == (3, 0.25, 4)
    assert (over.missing, over.progress) == (0, 1.0)
    tier = TierResult("silver", (result, over))
    assert tier.progress == pytest.approx(0.625)
    assert not tier.met
    assert TierResult("silver", ()).progress == 1.0


facts_st = st.builds(
    PartnerFacts,
    st.integers(0, 40),
    st.dictionaries(st.sampled_from(["JPY", "USD", "KRW"]), st.integers(0, 10**9), max_size=3),
    st.dictionaries(st.tuples(st.sampled_from([NCSP, NCIE]),
                              st.sampled_from([None, "sales", "technical"])),
                    st.integers(0, 10), max_size=6),
)
small_requirement_st = st.one_of(
    st.builds(Requirement, st.just("won_deals"), st.integers(1, 30)),
    st.builds(Requirement, st.just("won_revenue"), st.integers(1, 10**9)),
    st.builds(Requirement, st.just("certified_people"), st.integers(1, 8),
              st.sampled_from([NCSP, NCIE]), st.sampled_from([None, "sales", "technical"])),
)


@st.composite
def small_programs(draw) -> Program:
    tiers = tuple(TierRule(tier, tuple(draw(st.lists(small_requirement_st, max_size=3,
                                                     unique_by=lambda r: r.key))))
                  for tier in draw(rule_tiers_st))
    return Program(tiers, exchange_rates={"USD": 150.0})


@PROPERTY
@given(small_programs(), facts_st, st.integers(0, 10), st.integers(0, 10**8))
def test_more_achievements_never_lower_the_tier(prog, facts, more_deals, more_yen):
    richer = PartnerFacts(
        facts.won_deals + more_deals,
        {**facts.won_revenue, "JPY": facts.won_revenue.get("JPY", 0) + more_yen},
        {key: n + 1 for key, n in facts.certified.items()})

    assert rules.rank(evaluate(richer, prog).qualified) >= rules.rank(
        evaluate(facts, prog).qualified)


@PROPERTY
@given(small_programs(), facts_st)
def test_the_qualified_tier_and_every_tier_below_are_defined_and_met(prog, facts):
    evaluation = evaluate(facts, prog)
    reached = rules.rank(evaluation.qualified)

    for tier in TIERS[1:reached + 1]:
        assert prog.rule(tier).requirements
        assert all(r.actual >= r.required for r in evaluation.for_tier(tier).results)
    above = rules.next_tier(evaluation.qualified)
    if above is not None:
        assert not prog.rule(above).requirements or not evaluation.for_tier(above).met


def _plainly(facts: PartnerFacts, prog: Program) -> Evaluation:
    """Evaluation as the rules say it, requirement by requirement (what `evaluate` must
    equal, however it arranges the work)."""
    revenue, unconverted = converted_revenue(facts.won_revenue, prog)

    def actual(r: Requirement) -> int:
        if r.kind == "won_deals":
            return facts.won_deals
        if r.kind == "won_revenue":
            return revenue
        return sum(n for (credential, job), n in facts.certified.items()
                   if credential == r.credential and r.job_function in (None, job))

    tiers = tuple(TierResult(tier, tuple(RequirementResult(r, actual(r), actual(r) >= r.min)
                                         for r in prog.rule(tier).requirements))
                  for tier in TIERS[1:])
    qualified = "bronze"
    for result in tiers:
        if not prog.rule(result.tier).requirements or not result.met:
            break
        qualified = result.tier
    return Evaluation(qualified, tiers, unconverted)


@PROPERTY
@given(small_programs(), st.lists(facts_st, max_size=6),
       st.sampled_from([None, (), ("gold",), ("silver", "platinum")]))
def test_evaluating_many_partners_at_once_is_evaluating_each(prog, many, wanted):
    many = many + many[:1]  # the same facts twice: one evaluation, shared
    plain = [_plainly(facts, prog) for facts in many]

    for got in ([evaluate(facts, prog, wanted) for facts in many],
                rules.evaluate_many(many, prog, wanted)):
        assert [e.qualified for e in got] == [e.qualified for e in plain]
        assert [e.unconverted_currencies for e in got] == [
            e.unconverted_currencies for e in plain]
        assert [e.tiers for e in got] == [
            tuple(t for t in e.tiers if wanted is None or t.tier in wanted) for e in plain]


# --- status_for -----------------------------------------------------------------------------


@pytest.mark.parametrize(("current", "qualified", "status"), [
    ("bronze", "silver", PROMOTION_DUE),
    ("silver", "platinum", PROMOTION_DUE),
    ("bronze", "bronze", HOLDS),
    ("gold", "gold", HOLDS),
    ("gold", "silver", AT_RISK),
    ("platinum", "bronze", AT_RISK),
])
def test_status_without_a_target(current, qualified, status):
    assert status_for(current, qualified) == status


def test_below_needs_a_target():
    statuses = {status_for(c, q) for c in TIERS for q in TIERS}

    assert statuses == {PROMOTION_DUE, HOLDS, AT_RISK}


@pytest.mark.parametrize(("current", "qualified", "target", "status"), [
    ("silver", "gold", "gold", PROMOTION_DUE),      # reaches the target, is below it
    ("bronze", "platinum", "gold", PROMOTION_DUE),  # goes past the target
    ("silver", "silver", "gold", BELOW),            # holds its own tier, short of gold
    ("bronze", "silver", "gold", BELOW),            # due a promotion, but not to gold
    ("silver", "bronze", "gold", BELOW),
    ("gold", "gold", "gold", HOLDS),
    ("platinum", "platinum", "gold", HOLDS),
    ("platinum", "gold", "gold", AT_RISK),          # meets gold, no longer its own tier
    ("gold", "silver", "gold", AT_RISK),
    ("gold", "platinum", "gold", HOLDS),            # above its tier and the target
])
def test_status_for_a_target(current, qualified, target, status):
    assert status_for(current, qualified, target) == status


# --- decide and demotion_date ---------------------------------------------------------------


def test_promotion_is_immediate_and_clears_a_grace_period():
    assert decide("bronze", "gold", None, TODAY, 90) == rules.Decision("promotion", "gold", None)
    assert decide("silver", "gold", TODAY - 30 * DAY, TODAY, 90) == rules.Decision(
        "promotion", "gold", None)


def test_holding_its_tier_changes_nothing():
    decision = decide("gold", "gold", None, TODAY, 90)

    assert decision == rules.Decision(None, "gold", None)
    assert not decision.changes


def test_a_first_shortfall_starts_the_grace_period_today():
    decision = decide("gold", "silver", None, TODAY, 90)

    assert decision == rules.Decision("at_risk", "gold", TODAY)
    assert decision.changes


def test_still_short_inside_the_grace_period_changes_nothing():
    since = TODAY - 89 * DAY

    assert decide("gold", "silver", since, TODAY, 90) == rules.Decision(None, "gold", since)
    assert decide("gold", "bronze", since, TODAY, 90) == rules.Decision(None, "gold", since)


def test_demotion_after_exactly_the_grace_period_to_the_tier_it_qualifies_for():
    since = TODAY - 90 * DAY

    assert decide("gold", "silver", since, TODAY, 90) == rules.Decision("demotion", "silver",
                                                                        None)
    assert decide("platinum", "bronze", since - DAY, TODAY, 90) == rules.Decision(
        "demotion", "bronze", None)


def test_recovery_clears_the_grace_period():
    assert decide("gold", "gold", TODAY - 10 * DAY, TODAY, 90) == rules.Decision(
        "recovered", "gold", None)


def test_no_grace_period_demotes_at_once():
    assert decide("gold", "bronze", None, TODAY, 0) == rules.Decision("demotion", "bronze", None)


def test_demotion_date():
    assert demotion_date(None, 90) is None
    assert demotion_date(date(2026, 1, 1), 90) == date(2026, 4, 1)
    assert demotion_date(date(2026, 3, 10), 0) == date(2026, 3, 10)


def test_the_demotion_date_is_the_first_day_decide_demotes():
    since = date(2025, 12, 20)
    due = demotion_date(since, 45)

    assert decide("silver", "bronze", since, due - DAY, 45).kind is None
    assert decide("silver", "bronze", since, due, 45).kind == "demotion"


# --- Words: describe and gap_text -----------------------------------------------------------

NAMES = {NCIE: "Nimbus Certified Implementation Engineer (NCIE)",
         NCSP: "Nimbus Certified Sales Professional (NCSP)"}


@pytest.mark.parametrize(("requirement", "text"), [
    (deals(3), "Won deals"),
    (revenue(1), "Won revenue (EUR)"),
    (people(1, NCSP, "sales"), "Certified sales people: Nimbus Certified Sales Professional "
                               "(NCSP)"),
    (people(1, NCIE, "technical"), "Certified engineers: Nimbus Certified Implementation "
                                   "Engineer (NCIE)"),
    (people(1, NCIE, None), "Certified people: Nimbus Certified Implementation Engineer (NCIE)"),
    (people(1, "retired-badge", None), "Certified people: retired-badge"),  # no name: the slug
])
def test_describe(requirement, text):
    assert describe(requirement, NAMES, "EUR") == text


def test_describe_goes_through_the_translation_function():
    translated = describe(revenue(1), NAMES, "JPY", gettext=lambda s: "受注金額 (%(currency)s)")

    assert translated == "受注金額 (JPY)"


def result(requirement: Requirement, actual: int) -> RequirementResult:
    return RequirementResult(requirement, actual, actual >= requirement.min)


@pytest.mark.parametrize(("requirement", "actual", "text"), [
    (people(3, NCIE, "technical"), 1, "2 more certified engineers"),
    (people(2, NCIE, "technical"), 1, "1 more certified engineer"),
    (people(4, NCSP, "sales"), 1, "3 more certified sales people"),
    (people(4, NCSP, "sales"), 3, "1 more certified sales person"),
    (people(2, NCIE, None), 0, "2 more certified people"),
    (people(2, NCIE, None), 1, "1 more certified person"),
    (deals(10), 9, "1 more won deal"),
    (deals(10), 0, "10 more won deals"),
    (deals(2_000), 0, "2,000 more won deals"),
    (revenue(30_000_000), 25_500_000, "JPY 4,500,000 more won revenue"),
    (revenue(30_000_000), 29_999_999, "JPY 1 more won revenue"),
])
def test_gap_text(requirement, actual, text):
    assert gap_text(result(requirement, actual), "JPY") == text


@pytest.mark.parametrize("requirement", [deals(3), revenue(5), people(2, NCIE, "technical"),
                                         people(2, NCSP, "sales"), people(2, NCIE, None)])
@pytest.mark.parametrize("extra", [0, 1, 100])
def test_gap_text_is_empty_when_met(requirement, extra):
    assert gap_text(result(requirement, requirement.min + extra), "JPY") == ""


def test_gap_text_uses_the_plural_function_and_number_format():
    calls = []

    def ngettext(singular, plural, n):
        calls.append(n)
        return "残り%(num)s名の認定エンジニア"

    text = gap_text(result(people(1_500, NCIE, "technical"), 0), "JPY", ngettext=ngettext,
                    format_number=lambda n: f"{n:_}")

    assert text == "残り1_500名の認定エンジニア"
    assert calls == [1_500]


# --- evaluation_to_dict ---------------------------------------------------------------------


def test_evaluation_to_dict_keeps_every_requirement_value():
    prog = program(("silver", (deals(3), people(1, NCIE, "technical"))),
                   ("gold", (revenue(1_000_000),)), exchange_rates=RATES)
    facts = PartnerFacts(won_deals=4, won_revenue={"USD": 1_000},
                         certified={(NCIE, "technical"): 2})

    evidence = evaluation_to_dict(evaluate(facts, prog), "bronze")

    assert json.loads(json.dumps(evidence)) == evidence
    assert evidence == {
        "qualified": "silver",
        "current": "bronze",
        "tiers": {
            "silver": [
                {"requirement": "won_deals", "kind": "won_deals", "credential": None,
                 "job_function": None, "actual": 4, "required": 3, "met": True},
                {"requirement": f"certified_people:{NCIE}:technical",
                 "kind": "certified_people", "credential": NCIE, "job_function": "technical",
                 "actual": 2, "required": 1, "met": True}],
            "gold": [
                {"requirement": "won_revenue", "kind": "won_revenue", "credential": None,
                 "job_function": None, "actual": 150_000, "required": 1_000_000,
                 "met": False}],
            "platinum": [],
        },
    }


def test_requirement_keys():
    assert deals(1).key == "won_deals"
    assert people(1, NCIE, None).key == f"certified_people:{NCIE}"
    assert people(1, NCIE, "sales").key == f"certified_people:{NCIE}:sales"


def test_evaluation_holds_its_tiers():
    evaluation = Evaluation("bronze", (TierResult("silver", ()),))

    assert evaluation.for_tier("silver").tier == "silver"
    assert evaluation.for_tier("platinum") == TierResult("platinum", ())


# --- content/program.toml -------------------------------------------------------------------


def credential_slugs_of_content() -> set[str]:
    data = tomllib.loads((CONTENT / "credentials.toml").read_text(encoding="utf-8"))
    return {entry["slug"] for entry in data["credentials"]}


def requirement_mins(prog: Program, tier: str) -> dict[str, int]:
    return {r.key: r.min for r in prog.rule(tier).requirements}


def test_the_real_program_file_has_the_published_numbers():
    loaded = load_program(CONTENT, credential_slugs_of_content())

    assert loaded.problems == []
    prog = loaded.program
    assert (prog.currency, prog.review_window_months, prog.grace_period_days) == ("JPY", 12, 90)
    assert [rule.tier for rule in prog.tiers] == ["silver", "gold", "platinum"]
    sales = f"certified_people:{NCSP}:sales"
    tech = f"certified_people:{NCIE}:technical"
    assert requirement_mins(prog, "silver") == {"won_deals": 3, sales: 2, tech: 1}
    assert requirement_mins(prog, "gold") == {"won_deals": 10, "won_revenue": 30_000_000,
                                              sales: 4, tech: 2}
    assert requirement_mins(prog, "platinum") == {"won_deals": 25, "won_revenue": 100_000_000,
                                                  sales: 8, tech: 5}
    assert set(prog.exchange_rates) <= CURRENCY_CODES - {"JPY"}


def test_the_real_program_names_credentials_that_are_certifications():
    data = tomllib.loads((CONTENT / "credentials.toml").read_text(encoding="utf-8"))
    kinds = {entry["slug"]: entry["kind"] for entry in data["credentials"]}

    assert kinds[NCSP] == kinds[NCIE] == "certification"


def write_program(tmp_path: Path, text: str | bytes) -> Path:
    root = tmp_path / "content"
    root.mkdir()
    path = root / "program.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return root


def test_a_missing_file_is_no_program_and_no_problem(tmp_path):
    loaded = load_program(tmp_path)

    assert (loaded.program, loaded.problems) == (None, [])


def test_invalid_toml_is_reported_at_its_line(tmp_path):
    root = write_program(tmp_path, 'currency = "JPY"\nreview_window_months = 12\n'
                                   'grace_period_days = = 90\n')

    loaded = load_program(root)

    assert loaded.program is None
    assert len(loaded.problems) == 1
    problem = loaded.problems[0]
    assert problem.path.endswith("program.toml")
    assert problem.line == 3
    assert str(problem).startswith(f"{problem.path}:3: invalid TOML")


def test_a_file_that_is_not_utf8(tmp_path):
    root = write_program(tmp_path, 'currency = "JPY"\n# \xff\xfe\n'.encode("latin-1"))

    loaded = load_program(root)

    assert loaded.program is None
    assert [(p.line, p.message) for p in loaded.problems] == [(1, "not UTF-8 text")]


BROKEN = """\
currency = "JPY"
review_window_months = 12
grace_period_days = 90

[[tiers]]
tier = "silver"
requirements = [
  { kind = "won_deals", min = 0 },
  { kind = "certified_people", credential = "no-such-credential", min = 1 },
]
"""


def test_invalid_rules_are_file_problems(tmp_path):
    root = write_program(tmp_path, BROKEN)

    loaded = load_program(root, {NCIE})

    assert loaded.program is None
    assert [p.message for p in loaded.problems] == [
        "silver.requirements[1].min: a whole number from 1 to 10,000,000,000,000",
        "silver.requirements[2].credential: no credential 'no-such-credential'"]
    for problem in loaded.problems:
        assert problem.path.endswith("program.toml")
        assert str(problem).startswith(f"{problem.path}:{problem.line}: silver.requirements")


def test_invalid_rules_point_at_their_line(tmp_path):
    root = write_program(tmp_path, BROKEN)

    loaded = load_program(root, {NCIE})

    assert [p.line for p in loaded.problems] == [8, 9]


def test_an_array_currency_in_the_file_is_a_problem(tmp_path):
    root = write_program(tmp_path, 'currency = ["JPY"]\n')

    loaded = load_program(root)

    assert loaded.program is None
    assert len(loaded.problems) == 1


# --- The [health] table -------------------------------------------------------------------


def test_health_defaults_and_a_custom_table():
    from lms.tiers.program import HealthRules

    assert program_from_dict(valid_data())[0].health == HealthRules()
    custom = valid_data(health={"weights": {"active": 2, "training": 1, "conversion": 0},
                                "healthy_from": 80, "watch_from": 50})
    assert program_from_dict(custom)[0].health == HealthRules(2.0, 1.0, 0.0, 80, 50)


@pytest.mark.parametrize("health,problem", [
    ("x", "health: a table"),
    ({"colour": 1}, "health: unknown keys: colour"),
    ({"weights": {"active": -1}}, "health.weights.active: a number of 0 or more"),
    ({"weights": {"active": 0, "training": 0, "conversion": 0}}, "at least one weight"),
    ({"weights": {"luck": 1}}, "health.weights: a table of active"),
    ({"healthy_from": 40, "watch_from": 70}, "0 < watch_from < healthy_from <= 100"),
    ({"healthy_from": 101}, "0 < watch_from < healthy_from <= 100"),
])
def test_bad_health_tables_are_problems(health, problem):
    parsed, problems = program_from_dict(valid_data(health=health))
    assert parsed is None
    assert any(problem in p for p in problems), problems
