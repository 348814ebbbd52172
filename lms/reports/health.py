"""Partner health as pure functions: a score from 0 to 100, a band, the reasons and what to
do next (no Flask, no db).

The score is the weighted mean of three parts, each from 0 to 1: the share of the company's
active people active in the last 90 days, the training pass rate and the deal conversion
(won / registered). A part without data (no attempts, no deals registered) is left out and
the weights of the others are renormalised; the reasons say so. Texts for people are made by
`reason_text` and `next_step_text`, which take the translation functions as arguments.
"""

from __future__ import annotations

import gettext as _gettext
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lms.reports.kpis import ACTIVE_DAYS, PartnerFigures
from lms.tiers.program import HealthRules

HEALTHY = "healthy"
WATCH = "watch"
AT_RISK = "at_risk"
BANDS = (AT_RISK, WATCH, HEALTHY)  # worst first: the order of the health list

# Below these a part is named as a reason.
LOW_ACTIVE_SHARE = 0.5
LOW_PASS_RATE = 0.6
LOW_CONVERSION = 0.2
QUIET_DAYS = 30  # more days than this without any activity is a reason

_null = _gettext.NullTranslations()


@dataclass(frozen=True)
class HealthFacts:
    """One partner's figures the score is made of."""

    people: int = 0  # active people
    recent_people: int = 0  # of them, active in the last 90 days
    days_since_activity: int | None = None  # None: nobody of the company ever did anything
    submitted: int = 0  # attempts submitted in the window
    passed: int = 0
    registered: int = 0  # deals registered in the window
    won: int = 0  # deals won in the window
    months: int = 12  # the window


def facts_of(figures: PartnerFigures, months: int) -> HealthFacts:
    return HealthFacts(figures.activity.people, figures.activity.recent_people,
                       figures.days_since_activity, figures.training.submitted,
                       figures.training.passed, figures.deals.registered, figures.deals.won,
                       months)


@dataclass(frozen=True)
class Part:
    key: str  # active | training | conversion
    value: float | None  # 0..1, None when there is no data
    weight: float


@dataclass(frozen=True)
class Reason:
    """Why a partner is not healthy, as data; `reason_text` says it in words."""

    key: str
    value: float | int | None = None
    count: int = 0
    total: int = 0


@dataclass(frozen=True)
class Health:
    score: int
    band: str
    parts: tuple[Part, ...]
    reasons: tuple[Reason, ...]

    @property
    def next_steps(self) -> tuple[str, ...]:
        return next_steps(self.reasons)


def band_for(score: int, rules: HealthRules) -> str:
    if score >= rules.healthy_from:
        return HEALTHY
    if score >= rules.watch_from:
        return WATCH
    return AT_RISK


def _share(numerator: int, denominator: int) -> float | None:
    return min(1.0, numerator / denominator) if denominator else None


def parts_of(facts: HealthFacts, rules: HealthRules) -> tuple[Part, ...]:
    return (
        Part("active", _share(facts.recent_people, facts.people), rules.active_weight),
        Part("training", _share(facts.passed, facts.submitted), rules.training_weight),
        # Deals won in the window may have been registered before it: capped at 1.
        Part("conversion", _share(facts.won, facts.registered), rules.conversion_weight),
    )


def score_of(parts: Iterable[Part]) -> int | None:
    """round(100 × Σ wᵢ·xᵢ / Σ wᵢ) over the parts with data (halves up); None without any."""
    with_data = [(p.weight, p.value) for p in parts if p.value is not None and p.weight > 0]
    weight = sum(w for w, _value in with_data)
    if not with_data or weight <= 0:
        return None
    value = 100 * sum(w * x for w, x in with_data) / weight
    return min(100, max(0, math.floor(round(value, 6) + 0.5)))


def assess(facts: HealthFacts, rules: HealthRules) -> Health:
    """The score, the band and the reasons of one partner."""
    parts = parts_of(facts, rules)
    score = score_of(parts)
    reasons: list[Reason] = []
    if facts.days_since_activity is None:
        reasons.append(Reason("no_activity"))
    elif facts.days_since_activity > QUIET_DAYS:
        reasons.append(Reason("quiet", facts.days_since_activity))
    active, training, conversion = parts
    if facts.people == 0:
        reasons.append(Reason("no_people"))
    elif active.value is not None and active.value < LOW_ACTIVE_SHARE:
        reasons.append(Reason("low_active_share", active.value, facts.recent_people,
                              facts.people))
    if training.value is None:
        reasons.append(Reason("no_attempts", facts.months))
    elif training.value < LOW_PASS_RATE:
        reasons.append(Reason("low_pass_rate", training.value, facts.passed, facts.submitted))
    if conversion.value is None:
        reasons.append(Reason("no_deals", facts.months))
    elif conversion.value < LOW_CONVERSION:
        reasons.append(Reason("low_conversion", conversion.value, facts.won,
                              facts.registered))
    if score is None:
        if not reasons:  # only parts weighted 0 have data
            reasons.append(Reason("no_activity"))
        return Health(0, AT_RISK, parts, tuple(reasons))
    band = band_for(score, rules)
    if band != HEALTHY and not reasons:
        # Nothing is low on its own: name the part that costs the most points.
        _lost, weakest = max(((p.weight * (1 - p.value), p) for p in parts
                              if p.value is not None), key=lambda pair: pair[0])
        reasons.append({
            "active": Reason("low_active_share", weakest.value, facts.recent_people,
                             facts.people),
            "training": Reason("low_pass_rate", weakest.value, facts.passed, facts.submitted),
            "conversion": Reason("low_conversion", weakest.value, facts.won,
                                 facts.registered),
        }[weakest.key])
    return Health(score, band, parts, tuple(reasons))


# --- What to do next -------------------------------------------------------------------

# Each reason's suggestion for the channel manager, in the order they are shown.
NEXT_STEP_OF = {
    "no_activity": "reengage",
    "quiet": "reengage",
    "no_people": "invite",
    "low_active_share": "invite",
    "no_attempts": "quizzes",
    "low_pass_rate": "training",
    "no_deals": "pipeline",
    "low_conversion": "pipeline",
}
NEXT_STEP_ORDER = ("reengage", "invite", "quizzes", "training", "pipeline")


def next_steps(reasons: Iterable[Reason]) -> tuple[str, ...]:
    """The suggestions for these reasons, each once, most urgent first."""
    wanted = {NEXT_STEP_OF[r.key] for r in reasons if r.key in NEXT_STEP_OF}
    return tuple(step for step in NEXT_STEP_ORDER if step in wanted)


# --- Words -----------------------------------------------------------------------------

Gettext = Callable[..., str]


def reason_text(reason: Reason, gettext: Gettext = _null.gettext,
                ngettext: Gettext = _null.ngettext,
                format_percent: Callable[[float], str] = lambda x: f"{x:.0%}") -> str:
    """A reason in words: "no activity for 63 days", "pass rate 31% (4 of 13 attempts)"."""
    key = reason.key
    if key == "no_activity":
        return gettext("no activity yet")
    if key == "quiet":
        n = int(reason.value or 0)
        return ngettext("no activity for %(num)d day", "no activity for %(num)d days", n) % {
            "num": n}
    if key == "no_people":
        return gettext("no active people")
    if key == "low_active_share":
        return ngettext("%(active)d of %(num)d person active in the last %(days)d days",
                        "%(active)d of %(num)d people active in the last %(days)d days",
                        reason.total) % {"active": reason.count, "num": reason.total,
                                         "days": ACTIVE_DAYS}
    if key == "no_attempts":
        return gettext("no quiz attempts in the last %(months)d months") % {
            "months": int(reason.value or 0)}
    if key == "low_pass_rate":
        return ngettext("pass rate %(percent)s (%(passed)d of %(num)d attempt)",
                        "pass rate %(percent)s (%(passed)d of %(num)d attempts)",
                        reason.total) % {"percent": format_percent(float(reason.value or 0)),
                                         "passed": reason.count, "num": reason.total}
    if key == "no_deals":
        return gettext("no deals registered in the last %(months)d months") % {
            "months": int(reason.value or 0)}
    if key == "low_conversion":
        return ngettext("deal conversion %(percent)s (%(won)d won of %(num)d registered)",
                        "deal conversion %(percent)s (%(won)d won of %(num)d registered)",
                        reason.total) % {"percent": format_percent(float(reason.value or 0)),
                                         "won": reason.count, "num": reason.total}
    raise ValueError(f"unknown reason {key!r}")


def next_step_text(step: str, gettext: Gettext = _null.gettext) -> str:
    if step == "reengage":
        return gettext("Call the partner admin to re-engage: agree on one goal for the "
                       "next 30 days.")
    if step == "invite":
        return gettext("Ask the partner admin to invite their people to the onboarding "
                       "path.")
    if step == "quizzes":
        return gettext("Point their people to the course quizzes and the certification "
                       "exams.")
    if step == "training":
        return gettext("Review the failed exam topics with them, or book a training "
                       "session.")
    if step == "pipeline":
        return gettext("Hold a pipeline review with the partner: open "
                       "opportunities and the next deal to register.")
    raise ValueError(f"unknown next step {step!r}")

