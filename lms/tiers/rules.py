"""Tier qualification as pure functions: a program and a partner's facts in, results out
(no Flask, no db). The program itself, and reading it, is lms.tiers.program.

`evaluate` measures one partner's facts against every tier; `decide` turns a result into a
promotion, the start or end of a grace period, or a demotion. Texts for people are made by
`describe` and `gap_text`, which take the translation functions as arguments so they stay
pure.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import overload

from lms.credentials.rules import add_months
from lms.tiers.program import TIERS, Program, Requirement

_null = _gettext.NullTranslations()


# --- Facts and evaluation --------------------------------------------------------------


def window_start(today: date, months: int, zone: tzinfo) -> datetime:
    """The first moment that counts: midnight where the program runs (`zone`), `months`
    before `today` (the program's day), as a UTC moment."""
    start = datetime.combine(add_months(today, -months), time(), tzinfo=zone)
    return start.astimezone(UTC)


@dataclass(frozen=True)
class PartnerFacts:
    """What one partner has achieved, gathered from the database for the review window."""

    won_deals: int = 0
    # Won revenue in the window by currency (whole units).
    won_revenue: Mapping[str, int] = field(default_factory=dict)
    # Active people holding a valid credential: {(credential slug, job function): people}.
    certified: Mapping[tuple[str, str | None], int] = field(default_factory=dict)
    # Deals registered, and deals approved, in the window (whatever became of them).
    registered_deals: int = 0
    approved_deals: int = 0
    # Won deals registered by someone then holding a valid credential: {slug: deals}, where
    # "" is any certification.
    certified_won: Mapping[str, int] = field(default_factory=dict)
    # The manual requirements (their items) a manager recorded as met for the company.
    manual: frozenset[str] = frozenset()
    # Active people who completed a course (any language version): {(course group slug,
    # job function): people}; read only for the courses a tier names.
    trained: Mapping[tuple[str, str | None], int] = field(default_factory=dict)


@dataclass(frozen=True)
class RequirementResult:
    requirement: Requirement
    actual: int
    met: bool

    @property
    def required(self) -> int:
        return self.requirement.min

    @property
    def missing(self) -> int:
        return max(0, self.requirement.min - self.actual)

    @property
    def progress(self) -> float:
        """0.0 to 1.0: how far along the requirement is."""
        return min(1.0, self.actual / self.requirement.min)


@dataclass(frozen=True)
class TierResult:
    tier: str
    results: tuple[RequirementResult, ...]

    @property
    def met(self) -> bool:
        return all(r.met for r in self.results)

    @property
    def progress(self) -> float:
        if not self.results:
            return 1.0
        return sum([r.progress for r in self.results]) / len(self.results)


@dataclass(frozen=True)
class Evaluation:
    qualified: str
    # Every tier above Bronze, or the tiers `evaluate` was asked for.
    tiers: tuple[TierResult, ...]
    # Won deals whose currency has no exchange rate (left out of revenue).
    unconverted_currencies: tuple[str, ...] = ()

    def for_tier(self, tier: str) -> TierResult:
        for result in self.tiers:
            if result.tier == tier:
                return result
        return TierResult(tier, ())


def converted_revenue(revenue: Mapping[str, int], program: Program
                      ) -> tuple[int, tuple[str, ...]]:
    """Revenue in the program currency, and the currencies that had no rate."""
    total = 0.0
    missing = []
    for code, amount in sorted(revenue.items()):
        if code == program.currency:
            total += amount
        elif code in program.exchange_rates:
            total += amount * program.exchange_rates[code]
        elif amount:
            missing.append(code)
    return round(total), tuple(missing)


def measure(requirement: Requirement, facts: PartnerFacts, revenue: int) -> int:
    if requirement.kind == "won_deals":
        return facts.won_deals
    if requirement.kind == "won_revenue":
        return revenue
    if requirement.kind == "registered_deals":
        return facts.registered_deals
    if requirement.kind == "approved_deals":
        return facts.approved_deals
    if requirement.kind == "certified_won_deals":
        return facts.certified_won.get(requirement.credential or "", 0)
    if requirement.kind == "manual":
        return 1 if requirement.item in facts.manual else 0
    if requirement.kind == "certified_people":
        return _people(facts.certified, requirement.credential or "", requirement.job_function)
    if requirement.kind == "trained_people":
        return _people(facts.trained, requirement.course or "", requirement.job_function)
    raise ValueError(f"unknown requirement kind {requirement.kind!r}")


def _people(counts: Mapping[tuple[str, str | None], int], what: str, job: str | None) -> int:
    """People counted under `what` (a credential, a course) with job function `job`, or
    with any job function when `job` is None."""
    if job is not None:
        return counts.get((what, job), 0)
    return sum(n for (name, _job), n in counts.items() if name == what)


@dataclass(frozen=True)
class _Plan:
    """A program arranged for measuring partners: each distinct measure once (higher tiers
    ask for the same measures with higher minimums), then every tier against the values."""

    measures: tuple[Requirement, ...]  # one requirement per distinct measure
    # (tier, whether its results are wanted, its requirements with their measure's index)
    tiers: tuple[tuple[str, bool, tuple[tuple[Requirement, int], ...]], ...]


def _plan(program: Program, results_for: Collection[str] | None) -> _Plan:
    index: dict[str, int] = {}
    measures: list[Requirement] = []
    tiers = []
    for tier in TIERS[1:]:
        requirements = []
        for requirement in program.rule(tier).requirements:
            key = requirement.key
            if key not in index:
                index[key] = len(measures)
                measures.append(requirement)
            requirements.append((requirement, index[key]))
        tiers.append((tier, results_for is None or tier in results_for, tuple(requirements)))
    return _Plan(tuple(measures), tuple(tiers))


def evaluate(facts: PartnerFacts, program: Program,
             results_for: Collection[str] | None = None) -> Evaluation:
    """Every tier's requirements measured; the partner qualifies for the highest tier that
    has all of them met, and for every tier below it (tiers are cumulative).

    `results_for` names the tiers whose requirement results the caller reads (all when
    None); qualification always measures every tier."""
    return _evaluate(facts, program, _plan(program, results_for))


def evaluate_many(facts: Iterable[PartnerFacts], program: Program,
                  results_for: Collection[str] | None = None) -> list[Evaluation]:
    """`evaluate` for many partners (the tier report: thousands), the program arranged once;
    partners with the very same facts object share one evaluation."""
    plan = _plan(program, results_for)
    done: dict[int, Evaluation] = {}
    # Results are immutable: partners with the same count for a requirement share one.
    results: dict[tuple[int, int], RequirementResult] = {}
    evaluations = []
    for one in facts:
        evaluation = done.get(id(one))
        if evaluation is None:
            evaluation = done[id(one)] = _evaluate(one, program, plan, results)
        evaluations.append(evaluation)
    return evaluations


def _evaluate(facts: PartnerFacts, program: Program, plan: _Plan,
              shared: dict[tuple[int, int], RequirementResult] | None = None) -> Evaluation:
    revenue, unconverted = converted_revenue(facts.won_revenue, program)
    values = [measure(requirement, facts, revenue) for requirement in plan.measures]
    tier_results = []
    qualified = "bronze"
    climbing = True
    for tier, wanted, requirements in plan.tiers:
        met = True
        for requirement, at in requirements:
            if values[at] < requirement.min:
                met = False
                break
        if wanted:
            tier_results.append(TierResult(tier, tuple([
                _result(requirement, values[at], shared) for requirement, at in requirements])))
        # A tier with no rules at all is not given away: it must be defined to be earned.
        climbing = climbing and bool(requirements) and met
        if climbing:
            qualified = tier
    return Evaluation(qualified, tuple(tier_results), unconverted)


def _result(requirement: Requirement, actual: int,
            shared: dict[tuple[int, int], RequirementResult] | None) -> RequirementResult:
    if shared is None:
        return RequirementResult(requirement, actual, actual >= requirement.min)
    key = (id(requirement), actual)  # the plan holds the requirements while it is used
    result = shared.get(key)
    if result is None:
        result = shared[key] = RequirementResult(requirement, actual, actual >= requirement.min)
    return result


_RANKS = {tier: index for index, tier in enumerate(TIERS)}


def rank(tier: str) -> int:
    try:
        return _RANKS[tier]
    except KeyError:
        raise ValueError(f"unknown tier {tier!r}") from None


def next_tier(tier: str) -> str | None:
    index = rank(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


# --- Status and decisions --------------------------------------------------------------

PROMOTION_DUE = "promotion_due"
HOLDS = "holds"
AT_RISK = "at_risk"
BELOW = "below"


def status_for(current: str, qualified: str, target: str | None = None) -> str:
    """A partner's standing, relative to `target` when given (the report's tier filter):
    promotion_due — qualifies above its tier (for target: reaches target, is below it);
    holds — meets its own tier; at_risk — no longer meets its tier; below — neither has nor
    reaches target."""
    if target is None:
        if rank(qualified) > rank(current):
            return PROMOTION_DUE
        return HOLDS if rank(qualified) == rank(current) else AT_RISK
    if rank(current) >= rank(target):
        return HOLDS if rank(qualified) >= rank(current) else AT_RISK
    return PROMOTION_DUE if rank(qualified) >= rank(target) else BELOW


@dataclass(frozen=True)
class Decision:
    """What applying the evaluation does to one partner."""

    kind: str | None  # promotion | demotion | at_risk | recovered | None (nothing)
    tier: str
    at_risk_since: date | None

    @property
    def changes(self) -> bool:
        return self.kind is not None


def decide(current: str, qualified: str, at_risk_since: date | None, today: date,
           grace_period_days: int) -> Decision:
    """Promotion at once; a shortfall starts a grace period; demotion (to the tier the
    partner qualifies for) only once the whole grace period has passed."""
    if rank(qualified) > rank(current):
        return Decision("promotion", qualified, None)
    if rank(qualified) == rank(current):
        if at_risk_since is not None:
            return Decision("recovered", current, None)
        return Decision(None, current, None)
    if at_risk_since is None:
        if grace_period_days == 0:
            return Decision("demotion", qualified, None)
        return Decision("at_risk", current, today)
    if (today - at_risk_since).days >= grace_period_days:
        return Decision("demotion", qualified, None)
    return Decision(None, current, at_risk_since)


@overload
def demotion_date(at_risk_since: date, grace_period_days: int) -> date: ...
@overload
def demotion_date(at_risk_since: None, grace_period_days: int) -> None: ...
def demotion_date(at_risk_since: date | None, grace_period_days: int) -> date | None:
    """The day a partner at risk since `at_risk_since` is demoted unless it recovers."""
    if at_risk_since is None:
        return None
    return at_risk_since + timedelta(days=grace_period_days)


# --- Words -----------------------------------------------------------------------------

Gettext = Callable[..., str]


def describe(requirement: Requirement, credential_names: Mapping[str, str],
             currency: str, gettext: Gettext = _null.gettext, *,
             course_names: Mapping[str, str] | None = None) -> str:
    """The requirement as a heading: "Won deals", "Won revenue (JPY)", "Certified sales
    people: Nimbus Certified Sales Professional (NCSP)"."""
    if requirement.kind == "won_deals":
        return gettext("Won deals")
    if requirement.kind == "won_revenue":
        return gettext("Won revenue (%(currency)s)") % {"currency": currency}
    if requirement.kind == "registered_deals":
        return gettext("Registered deals")
    if requirement.kind == "approved_deals":
        return gettext("Approved deals")
    if requirement.kind == "manual":
        return requirement.name or requirement.item or ""
    if requirement.kind == "trained_people":
        course = (course_names or {}).get(requirement.course or "", requirement.course or "")
        if requirement.job_function == "sales":
            return gettext("Sales people who completed %(course)s") % {"course": course}
        if requirement.job_function == "technical":
            return gettext("Engineers who completed %(course)s") % {"course": course}
        return gettext("People who completed %(course)s") % {"course": course}
    name = credential_names.get(requirement.credential or "", requirement.credential or "")
    if requirement.kind == "certified_won_deals":
        if requirement.credential:
            return gettext("Won deals registered by holders of %(name)s") % {"name": name}
        return gettext("Won deals registered by certified people")
    name = credential_names.get(requirement.credential or "", requirement.credential or "")
    if requirement.job_function == "sales":
        return gettext("Certified sales people: %(name)s") % {"name": name}
    if requirement.job_function == "technical":
        return gettext("Certified engineers: %(name)s") % {"name": name}
    return gettext("Certified people: %(name)s") % {"name": name}


def gap_text(result: RequirementResult, currency: str, ngettext: Gettext = _null.ngettext,
             gettext: Gettext = _null.gettext,
             format_number: Callable[[int], str] = lambda n: f"{n:,}") -> str:
    """What is missing, in words: "2 more certified engineers"; "" when met."""
    n = result.missing
    if n == 0:
        return ""
    requirement = result.requirement
    if requirement.kind == "won_deals":
        return ngettext("%(num)s more won deal", "%(num)s more won deals", n) % {
            "num": format_number(n)}
    if requirement.kind == "won_revenue":
        return gettext("%(currency)s %(amount)s more won revenue") % {
            "currency": currency, "amount": format_number(n)}
    if requirement.kind == "registered_deals":
        return ngettext("%(num)s more registered deal", "%(num)s more registered deals", n) % {
            "num": format_number(n)}
    if requirement.kind == "approved_deals":
        return ngettext("%(num)s more approved deal", "%(num)s more approved deals", n) % {
            "num": format_number(n)}
    if requirement.kind == "manual":
        return gettext("Not recorded yet: the channel team records it when it is done")
    if requirement.kind == "certified_won_deals":
        return ngettext("%(num)s more won deal registered by a certified person",
                        "%(num)s more won deals registered by certified people", n) % {
            "num": format_number(n)}
    if requirement.kind == "trained_people":
        if requirement.job_function == "sales":
            return ngettext("%(num)s more sales person who completed the course",
                            "%(num)s more sales people who completed the course", n) % {
                "num": format_number(n)}
        if requirement.job_function == "technical":
            return ngettext("%(num)s more engineer who completed the course",
                            "%(num)s more engineers who completed the course", n) % {
                "num": format_number(n)}
        return ngettext("%(num)s more person who completed the course",
                        "%(num)s more people who completed the course", n) % {
            "num": format_number(n)}
    if requirement.job_function == "sales":
        return ngettext("%(num)s more certified sales person",
                        "%(num)s more certified sales people", n) % {"num": format_number(n)}
    if requirement.job_function == "technical":
        return ngettext("%(num)s more certified engineer", "%(num)s more certified engineers",
                        n) % {"num": format_number(n)}
    return ngettext("%(num)s more certified person", "%(num)s more certified people", n) % {
        "num": format_number(n)}


def evaluation_to_dict(evaluation: Evaluation, current: str) -> dict:
    """The evidence kept with a tier change: every requirement's value for the tiers that
    matter (the partner's tier and the one it moves to, and everything between)."""
    return {
        "qualified": evaluation.qualified,
        "current": current,
        "tiers": {
            result.tier: [
                {"requirement": r.requirement.key, "kind": r.requirement.kind,
                 "credential": r.requirement.credential,
                 **({"course": r.requirement.course} if r.requirement.course else {}),
                 "job_function": r.requirement.job_function,
                 "actual": r.actual, "required": r.required, "met": r.met}
                for r in result.results]
            for result in evaluation.tiers
        },
    }


def first_shortfall(actual: int, required: int, lapses: Iterable[date]
                    ) -> tuple[date, int] | None:
    """The first day on which certifications lapsing (one per day listed, not renewed) take a
    met requirement below `required`, and the count left then; None when they never do, or
    when it is short already (the tier review deals with that)."""
    if actual < required:
        return None
    left = actual
    by_day: dict[date, int] = {}
    for day in lapses:
        by_day[day] = by_day.get(day, 0) + 1
    for day in sorted(by_day):
        left -= by_day[day]
        if left < required:
            return day, max(left, 0)
    return None
