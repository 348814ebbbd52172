"""The partner health score, its bands, reasons and next steps on hand-computed data (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lms.reports import health
from lms.reports.health import HealthFacts, Reason
from lms.reports.kpis import (
    Activity,
    DealFigures,
    Partner,
    PartnerFigures,
    Training,
)
from lms.tiers.program import HealthRules

RULES = HealthRules()  # active 0.4, training 0.3, conversion 0.3; healthy 70, watch 40


def facts(people=4, recent=4, days=2, submitted=10, passed=10, registered=10, won=5,
          months=12) -> HealthFacts:
    return HealthFacts(people, recent, days, submitted, passed, registered, won, months)


def test_score_is_the_weighted_mean_of_the_three_parts():
    # 100 × (0.4 × 0.75 + 0.3 × 0.6 + 0.3 × 0.25) = 30 + 18 + 7.5 = 55.5 -> 56 (halves up)
    result = health.assess(facts(people=4, recent=3, submitted=10, passed=6, registered=8,
                                 won=2), RULES)
    assert [(p.key, p.value) for p in result.parts] == [
        ("active", 0.75), ("training", 0.6), ("conversion", 0.25)]
    assert result.score == 56
    assert result.band == health.WATCH


def test_a_part_without_data_is_left_out_and_the_weights_renormalised():
    # No attempts: 100 × (0.4 × 0.5 + 0.3 × 0.25) / 0.7 = 27.5 / 0.7 = 39.29 -> 39
    result = health.assess(facts(people=4, recent=2, submitted=0, passed=0, registered=8,
                                 won=2), RULES)
    assert result.parts[1].value is None
    assert result.score == 39
    assert result.band == health.AT_RISK
    assert Reason("no_attempts", 12) in result.reasons
    # No deals registered either: only the active part is left.
    only_active = health.assess(facts(people=4, recent=3, submitted=0, registered=0, won=0),
                                RULES)
    assert only_active.score == 75
    assert {r.key for r in only_active.reasons} == {"no_attempts", "no_deals"}


def test_no_data_at_all_scores_zero_at_risk_with_no_activity_yet():
    result = health.assess(HealthFacts(), RULES)
    assert result.score == 0
    assert result.band == health.AT_RISK
    assert result.reasons[0] == Reason("no_activity")
    assert health.reason_text(result.reasons[0]) == "no activity yet"


def test_only_parts_weighted_zero_with_data_score_zero():
    rules = HealthRules(active_weight=1.0, training_weight=0.0, conversion_weight=0.0)
    result = health.assess(facts(people=0, recent=0, submitted=5, passed=5), rules)
    assert result.score == 0 and result.band == health.AT_RISK


@pytest.mark.parametrize(("score", "band"), [
    (100, "healthy"), (70, "healthy"), (69, "watch"), (40, "watch"), (39, "at_risk"),
    (0, "at_risk")])
def test_band_edges(score, band):
    assert health.band_for(score, RULES) == band


def test_a_score_exactly_at_healthy_from_is_healthy():
    # 100 × (0.4 × 1 + 0.3 × 0.5 + 0.3 × 0.5) = 70
    result = health.assess(facts(people=2, recent=2, submitted=4, passed=2, registered=4,
                                 won=2), RULES)
    assert (result.score, result.band) == (70, health.HEALTHY)


def test_a_score_exactly_at_watch_from_is_watch():
    # 100 × (0.4 × 0.25 + 0.3 × 0.5 + 0.3 × 0.5) = 10 + 15 + 15 = 40
    result = health.assess(facts(people=4, recent=1, submitted=4, passed=2, registered=4,
                                 won=2), RULES)
    assert (result.score, result.band) == (40, health.WATCH)


def test_custom_bands_and_weights_from_the_program():
    rules = HealthRules(active_weight=1, training_weight=1, conversion_weight=0,
                        healthy_from=80, watch_from=50)
    # (0.75 + 0.70) / 2 = 72.5 -> 73: watch under these bands.
    result = health.assess(facts(people=4, recent=3, submitted=10, passed=7), rules)
    assert (result.score, result.band) == (73, health.WATCH)


def test_conversion_above_one_is_capped():
    # Deals won in the window may have been registered before it.
    result = health.assess(facts(registered=2, won=5), RULES)
    assert result.parts[2].value == 1.0
    assert result.score == 100


def test_reasons_for_every_weak_part():
    result = health.assess(HealthFacts(people=10, recent_people=1, days_since_activity=63,
                                       submitted=13, passed=4, registered=10, won=1), RULES)
    assert [r.key for r in result.reasons] == [
        "quiet", "low_active_share", "low_pass_rate", "low_conversion"]
    words = [health.reason_text(r) for r in result.reasons]
    assert words == ["no activity for 63 days",
                     "1 of 10 people active in the last 90 days",
                     "pass rate 31% (4 of 13 attempts)",
                     "deal conversion 10% (1 won of 10 registered)"]
    assert result.next_steps == ("reengage", "invite", "training", "pipeline")


def test_no_reason_at_the_thresholds():
    # Active share 0.5, pass rate 0.6, conversion 0.2 and 30 quiet days are not weak.
    result = health.assess(HealthFacts(people=2, recent_people=1, days_since_activity=30,
                                       submitted=5, passed=3, registered=5, won=1), RULES)
    assert result.score == 44  # 20 + 18 + 6
    # Watch, and nothing is low on its own: the part costing the most points is named
    # (conversion: 0.3 × 0.8 = 24 points, active 20, training 12).
    assert [r.key for r in result.reasons] == ["low_conversion"]
    assert result.next_steps == ("pipeline",)


def test_a_healthy_partner_has_no_reasons_and_no_steps():
    result = health.assess(facts(), RULES)  # 40 + 30 + 0.3 × 0.5
    assert (result.score, result.band) == (85, health.HEALTHY)
    assert result.reasons == () and result.next_steps == ()


def test_words_are_singular_and_plural():
    assert health.reason_text(Reason("quiet", 1)) == "no activity for 1 day"
    assert health.reason_text(Reason("low_pass_rate", 0.0, 0, 1)) == \
        "pass rate 0% (0 of 1 attempt)"
    assert health.reason_text(Reason("low_active_share", 0.0, 0, 1)) == \
        "0 of 1 person active in the last 90 days"
    assert health.reason_text(Reason("no_attempts", 12)) == \
        "no quiz attempts in the last 12 months"
    assert health.reason_text(Reason("no_deals", 12)) == \
        "no deals registered in the last 12 months"
    assert health.reason_text(Reason("no_people")) == "no active people"


def test_words_go_through_the_translation_functions():
    calls = []

    def gettext(text):
        calls.append(text)
        return f"«{text}»"

    def ngettext(singular, plural, n):
        calls.append(singular)
        return f"«{singular if n == 1 else plural}»"

    assert health.reason_text(Reason("quiet", 63), gettext, ngettext) == \
        "«no activity for 63 days»"
    assert health.reason_text(Reason("low_pass_rate", 0.5, 1, 2), gettext, ngettext,
                              lambda x: "50 %") == "«pass rate 50 % (1 of 2 attempts)»"
    assert health.next_step_text("training", gettext).startswith("«Review")
    assert len(calls) == 3


def test_every_reason_has_words_and_a_next_step():
    for key, step in health.NEXT_STEP_OF.items():
        assert health.reason_text(Reason(key, 1, 1, 2))
        assert health.next_step_text(step)
        assert step in health.NEXT_STEP_ORDER
    with pytest.raises(ValueError):
        health.reason_text(Reason("bogus"))


def test_facts_of_partner_figures():
    figures = PartnerFigures(
        Partner(1, "A", "a", "bronze", date(2026, 1, 1)),
        DealFigures(registered=8, won=2), Training(10, 6),
        Activity(4, 3, datetime(2026, 11, 1, tzinfo=UTC)), certified_people=1,
        ttfd_days=None, days_since_activity=26)
    assert health.facts_of(figures, 12) == HealthFacts(4, 3, 26, 10, 6, 8, 2, 12)
