"""The tier program as pure functions: rules in, facts in, results out (no Flask, no db).

A program lists, for each tier above Bronze, its requirements. `evaluate` measures one
partner's facts against every tier; `decide` turns a result into a promotion, the start or
end of a grace period, or a demotion. Texts for people are made by `describe` and
`gap_text`, which take the translation functions as arguments so they stay pure.
"""

from __future__ import annotations

import gettext as _gettext
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from lms.credentials.rules import add_months

TIERS = ("bronze", "silver", "gold", "platinum")
JOB_FUNCTIONS = ("sales", "technical")
CURRENCY_CODES = frozenset({"JPY", "USD", "EUR", "GBP", "CNY", "KRW", "SGD", "AUD", "TWD",
                            "HKD", "THB", "INR"})
MAX_MIN = 10**13

_null = _gettext.NullTranslations()


# --- The program -----------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    kind: str
    min: int
    credential: str | None = None
    job_function: str | None = None

    @property
    def key(self) -> str:
        """Identifies the requirement across tiers (the facts it reads)."""
        parts = [self.kind, self.credential or "", self.job_function or ""]
        return ":".join(parts).rstrip(":")


@dataclass(frozen=True)
class TierRule:
    tier: str
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class HealthRules:
    """How the partner health score (0-100) weighs its parts, and where its bands start."""

    active_weight: float = 0.4
    training_weight: float = 0.3
    conversion_weight: float = 0.3
    healthy_from: int = 70
    watch_from: int = 40


@dataclass(frozen=True)
class Program:
    tiers: tuple[TierRule, ...]
    currency: str = "JPY"
    review_window_months: int = 12
    grace_period_days: int = 90
    exchange_rates: Mapping[str, float] = field(default_factory=dict)
    health: HealthRules = field(default_factory=HealthRules)

    def rule(self, tier: str) -> TierRule:
        for rule in self.tiers:
            if rule.tier == tier:
                return rule
        return TierRule(tier, ())


@dataclass(frozen=True)
class RequirementKind:
    """What a kind needs besides `min`, and how it is validated."""

    name: str
    needs_credential: bool = False
    allows_job_function: bool = False


# New kinds are added here, in `measure`, in the facts gathering and in `describe`.
KINDS: dict[str, RequirementKind] = {
    "won_deals": RequirementKind("won_deals"),
    "won_revenue": RequirementKind("won_revenue"),
    "certified_people": RequirementKind("certified_people", needs_credential=True,
                                        allows_job_function=True),
}

PROGRAM_KEYS = {"currency", "review_window_months", "grace_period_days", "exchange_rates",
                "tiers", "health"}
HEALTH_KEYS = {"weights", "healthy_from", "watch_from"}
WEIGHT_KEYS = ("active", "training", "conversion")


def _number(value: object) -> float | None:
    """A finite integer or float as a float; None for anything else (booleans too)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


def health_from_dict(data: object) -> tuple[HealthRules | None, list[str]]:
    """The [health] table: weights of active rate, training pass rate and deal conversion
    (any non-negative numbers, not all zero) and the scores where the bands start."""
    if data is None:
        return HealthRules(), []
    if not isinstance(data, Mapping):
        return None, ["health: a table with weights, healthy_from and watch_from"]
    problems = []
    unknown = set(data) - HEALTH_KEYS
    if unknown:
        problems.append(f"health: unknown keys: {', '.join(sorted(unknown))}")
    defaults = HealthRules()
    weights = data.get("weights", {"active": defaults.active_weight,
                                   "training": defaults.training_weight,
                                   "conversion": defaults.conversion_weight})
    values = {}
    if not isinstance(weights, Mapping) or set(weights) - set(WEIGHT_KEYS):
        problems.append("health.weights: a table of active, training and conversion")
    else:
        for key in WEIGHT_KEYS:
            value = _number(weights.get(key, 0))
            if value is None or value < 0:
                problems.append(f"health.weights.{key}: a number of 0 or more")
            values[key] = value or 0.0
        if not problems and sum(values.values()) == 0:
            problems.append("health.weights: at least one weight above 0")
    healthy = _int(data.get("healthy_from", defaults.healthy_from))
    watch = _int(data.get("watch_from", defaults.watch_from))
    if healthy is None or watch is None or not 0 < watch < healthy <= 100:
        problems.append("health: watch_from and healthy_from are whole scores with "
                        "0 < watch_from < healthy_from <= 100")
    if problems:
        return None, problems
    return HealthRules(values["active"], values["training"], values["conversion"], healthy,
                       watch), []


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# Whole-number settings of a program: key -> (default, lowest, highest, unit).
PERIODS = {"review_window_months": (12, 1, 60, "months"),
           "grace_period_days": (90, 0, 730, "days")}


def program_from_dict(data: Mapping, credential_slugs: set[str] | None = None
                      ) -> tuple[Program | None, list[str]]:
    """Validate a program (from TOML or the admin form); (program, []) or (None, problems)."""
    problems: list[str] = []
    unknown = set(data) - PROGRAM_KEYS
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    currency = data.get("currency", "JPY")
    if not isinstance(currency, str) or currency not in CURRENCY_CODES:
        problems.append(f"currency: {currency!r} is not one of "
                        f"{', '.join(sorted(CURRENCY_CODES))}")
    window = _period(data, "review_window_months", problems)
    grace = _period(data, "grace_period_days", problems)
    rates = _exchange_rates(data.get("exchange_rates", {}), currency, problems)
    health, health_problems = health_from_dict(data.get("health"))
    problems.extend(health_problems)
    rules = _tier_rules(data.get("tiers", []), credential_slugs, problems)
    problems.extend(_unreachable_tiers(rules))
    if problems:
        return None, problems
    return Program(tuple(rules), currency, window, grace, rates, health), []


def _period(data: Mapping, key: str, problems: list[str]) -> int:
    default, low, high, unit = PERIODS[key]
    value = _int(data.get(key, default))
    if value is None or not low <= value <= high:
        problems.append(f"{key}: a whole number of {unit} from {low} to {high}")
        return default
    return value


def _exchange_rates(raw: object, currency: object, problems: list[str]) -> dict[str, float]:
    """Units of the program currency per unit of each other currency."""
    if not isinstance(raw, Mapping):
        problems.append("exchange_rates: a table of currency = rate")
        return {}
    rates: dict[str, float] = {}
    for code, rate in raw.items():
        if not isinstance(code, str) or code not in CURRENCY_CODES or code == currency:
            problems.append(f"exchange_rates: {code!r} is not another known currency")
        elif isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate < 1e9:
            problems.append(f"exchange_rates.{code}: a positive number")
        else:
            rates[code] = float(rate)
    return rates


def _tier_rules(raw: object, credential_slugs: set[str] | None, problems: list[str]
                ) -> list[TierRule]:
    """The [[tiers]] tables, in tier order."""
    if not isinstance(raw, list):
        problems.append("tiers: a list of tiers")
        return []
    rules: list[TierRule] = []
    for index, entry in enumerate(raw, start=1):
        rule = _tier_rule(entry, f"tiers[{index}]", {r.tier for r in rules},
                          credential_slugs, problems)
        if rule is not None:
            rules.append(rule)
    return sorted(rules, key=lambda rule: TIERS.index(rule.tier))


def _tier_rule(entry: object, where: str, seen: set[str], credential_slugs: set[str] | None,
               problems: list[str]) -> TierRule | None:
    if not isinstance(entry, Mapping):
        problems.append(f"{where}: a table with tier and requirements")
        return None
    tier = entry.get("tier")
    if not isinstance(tier, str) or tier not in TIERS[1:]:
        problems.append(f"{where}.tier: one of {', '.join(TIERS[1:])} (bronze has no "
                        "requirements)")
        return None
    if tier in seen:
        problems.append(f"{where}.tier: {tier} is defined twice")
        return None
    extra = set(entry) - {"tier", "requirements"}
    if extra:
        problems.append(f"{where}: unknown keys: {', '.join(sorted(extra))}")
    raw_requirements = entry.get("requirements", [])
    if not isinstance(raw_requirements, list):
        problems.append(f"{where}.requirements: a list")
        raw_requirements = []
    requirements = []
    for index, raw in enumerate(raw_requirements, start=1):
        requirement, found = _requirement(raw, f"{tier}.requirements[{index}]",
                                          credential_slugs)
        problems.extend(found)
        if requirement is not None:
            requirements.append(requirement)
    keys = [r.key for r in requirements]
    if len(keys) != len(set(keys)):
        problems.append(f"{tier}: the same requirement is listed twice")
    return TierRule(tier, tuple(requirements))


def _unreachable_tiers(rules: list[TierRule]) -> list[str]:
    """Tiers are cumulative: a tier above a tier without requirements could never be
    reached."""
    defined = [rule.tier for rule in rules if rule.requirements]
    for tier in defined:
        missing = [t for t in TIERS[1:TIERS.index(tier)] if t not in defined]
        if missing:
            return [f"{tier}: {', '.join(missing)} needs requirements too (tiers are reached "
                    f"in order, so {tier} could never be reached)"]
    return []


def _requirement(raw: object, where: str, credential_slugs: set[str] | None
                 ) -> tuple[Requirement | None, list[str]]:
    if not isinstance(raw, Mapping):
        return None, [f"{where}: a table with kind and min"]
    problems = []
    kind_name = raw.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        return None, [f"{where}.kind: one of {', '.join(KINDS)}"]
    extra = set(raw) - {"kind", "min", "credential", "job_function"}
    if extra:
        problems.append(f"{where}: unknown keys: {', '.join(sorted(extra))}")
    minimum = _int(raw.get("min"))
    if minimum is None or not 1 <= minimum <= MAX_MIN:
        problems.append(f"{where}.min: a whole number from 1 to {MAX_MIN:,}")
    credential = raw.get("credential")
    if kind.needs_credential:
        if not isinstance(credential, str) or not credential:
            problems.append(f"{where}.credential: the slug of a certification or badge")
        elif credential_slugs is not None and credential not in credential_slugs:
            problems.append(f"{where}.credential: no credential {credential!r}")
    elif credential is not None:
        problems.append(f"{where}.credential: not used by {kind.name}")
    job = raw.get("job_function")
    if job is not None and (not kind.allows_job_function or job not in JOB_FUNCTIONS):
        problems.append(f"{where}.job_function: sales or technical (certified_people only)")
    if problems:
        return None, problems
    return Requirement(kind.name, minimum, credential if kind.needs_credential else None,
                       job), []


def program_to_dict(program: Program) -> dict:
    """The stored (JSON) and editable form of a program; program_from_dict reads it back."""
    return {
        "currency": program.currency,
        "review_window_months": program.review_window_months,
        "grace_period_days": program.grace_period_days,
        "exchange_rates": dict(sorted(program.exchange_rates.items())),
        "health": {
            "weights": {"active": program.health.active_weight,
                        "training": program.health.training_weight,
                        "conversion": program.health.conversion_weight},
            "healthy_from": program.health.healthy_from,
            "watch_from": program.health.watch_from,
        },
        "tiers": [
            {"tier": rule.tier, "requirements": [
                {k: v for k, v in (("kind", r.kind), ("credential", r.credential),
                                   ("job_function", r.job_function), ("min", r.min))
                 if v is not None}
                for r in rule.requirements]}
            for rule in program.tiers
        ],
    }


# --- Facts and evaluation --------------------------------------------------------------


def window_start(today: date, months: int) -> datetime:
    """The first moment that counts: midnight UTC, `months` before today (inclusive)."""
    start = datetime.combine(today, time(), tzinfo=UTC)
    return add_months(start, -months)


@dataclass(frozen=True)
class PartnerFacts:
    """What one partner has achieved, gathered from the database for the review window."""

    won_deals: int = 0
    # Won revenue in the window by currency (whole units).
    won_revenue: Mapping[str, int] = field(default_factory=dict)
    # Active people holding a valid credential: {(credential slug, job function): people}.
    certified: Mapping[tuple[str, str | None], int] = field(default_factory=dict)


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
        return sum(r.progress for r in self.results) / len(self.results)


@dataclass(frozen=True)
class Evaluation:
    qualified: str
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
    if requirement.kind == "certified_people":
        return sum(n for (credential, job), n in facts.certified.items()
                   if credential == requirement.credential
                   and (requirement.job_function is None or job == requirement.job_function))
    raise ValueError(f"unknown requirement kind {requirement.kind!r}")


def evaluate(facts: PartnerFacts, program: Program) -> Evaluation:
    """Every tier's requirements measured; the partner qualifies for the highest tier that
    has all of them met, and for every tier below it (tiers are cumulative)."""
    revenue, unconverted = converted_revenue(facts.won_revenue, program)
    tier_results = []
    for tier in TIERS[1:]:
        rule = program.rule(tier)
        results = []
        for requirement in rule.requirements:
            actual = measure(requirement, facts, revenue)
            results.append(RequirementResult(requirement, actual, actual >= requirement.min))
        tier_results.append(TierResult(tier, tuple(results)))
    qualified = "bronze"
    for result in tier_results:
        # A tier with no rules at all is not given away: it must be defined to be earned.
        if not program.rule(result.tier).requirements or not result.met:
            break
        qualified = result.tier
    return Evaluation(qualified, tuple(tier_results), unconverted)


def rank(tier: str) -> int:
    return TIERS.index(tier)


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


def demotion_date(at_risk_since: date | None, grace_period_days: int) -> date | None:
    if at_risk_since is None:
        return None
    return at_risk_since + timedelta(days=grace_period_days)


# --- Words -----------------------------------------------------------------------------

Gettext = Callable[..., str]


def describe(requirement: Requirement, credential_names: Mapping[str, str],
             currency: str, gettext: Gettext = _null.gettext) -> str:
    """The requirement as a heading: "Won deals", "Won revenue (JPY)", "Certified sales
    people: Nimbus Certified Sales Professional (NCSP)"."""
    if requirement.kind == "won_deals":
        return gettext("Won deals")
    if requirement.kind == "won_revenue":
        return gettext("Won revenue (%(currency)s)") % {"currency": currency}
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
                 "job_function": r.requirement.job_function,
                 "actual": r.actual, "required": r.required, "met": r.met}
                for r in result.results]
            for result in evaluation.tiers
        },
    }
