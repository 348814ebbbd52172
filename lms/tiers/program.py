"""The tier program as data (pure: no Flask, no db): which requirements each tier above
Bronze has, the review window, the grace period, exchange rates and the health score's
weights.

`program_from_dict` reads a program (from program.toml or the admin form) and reports every
problem at once; `program_to_dict` writes the stored (JSON) form it reads back.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lms.models import Tier
from lms.models.deals import CURRENCIES, DEFAULT_CURRENCY
from lms.models.users import JOB_FUNCTIONS
from lms.text import has_control_characters
from lms.tiers.benefits import Benefits, benefits_from_dict, benefits_to_dict

TIERS = tuple(tier.value for tier in Tier)
CURRENCY_CODES = frozenset(CURRENCIES)
MAX_MIN = 10**13


@dataclass(frozen=True)
class Requirement:
    kind: str
    min: int
    credential: str | None = None
    job_function: str | None = None
    # A manual requirement: what managers record as met ("reseller-agreement"), its name.
    item: str | None = None
    name: str | None = None
    # The course (group slug: any language version counts) people must have completed.
    course: str | None = None

    @property
    def key(self) -> str:
        """Identifies the requirement across tiers (the facts it reads)."""
        parts = [self.kind, self.credential or "", self.job_function or "", self.item or "",
                 self.course or ""]
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
    currency: str = DEFAULT_CURRENCY
    review_window_months: int = 12
    grace_period_days: int = 90
    exchange_rates: Mapping[str, float] = field(default_factory=dict)
    health: HealthRules = field(default_factory=HealthRules)
    benefits: Benefits = field(default_factory=Benefits)

    @property
    def courses(self) -> frozenset[str]:
        """The courses whose completions a requirement counts."""
        return frozenset(r.course for rule in self.tiers for r in rule.requirements
                         if r.course)

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
    allows_credential: bool = False  # may name one credential (else: any certification)
    manual: bool = False  # met when a manager records it (item, name; min is 1)
    needs_course: bool = False  # names the course (group slug) people completed


# New kinds are added here, in `rules.measure`, in the facts gathering and in
# `rules.describe`: docs/architecture.md, "A tier requirement kind".
KINDS: dict[str, RequirementKind] = {
    "won_deals": RequirementKind("won_deals"),
    "won_revenue": RequirementKind("won_revenue"),
    "registered_deals": RequirementKind("registered_deals"),
    "approved_deals": RequirementKind("approved_deals"),
    "certified_won_deals": RequirementKind("certified_won_deals", allows_credential=True),
    "manual": RequirementKind("manual", manual=True),
    "certified_people": RequirementKind("certified_people", needs_credential=True,
                                        allows_job_function=True),
    "trained_people": RequirementKind("trained_people", needs_course=True,
                                      allows_job_function=True),
}

PROGRAM_KEYS = {"currency", "review_window_months", "grace_period_days", "exchange_rates",
                "tiers", "health", "benefits"}
HEALTH_KEYS = {"weights", "healthy_from", "watch_from"}
WEIGHT_KEYS = ("active", "training", "conversion")
REQUIREMENT_KEYS = {"kind", "min", "credential", "course", "job_function", "item", "name"}
ITEM_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ITEM = 50
MAX_NAME = 120
# Whole-number settings of a program: key -> (default, lowest, highest, unit).
PERIODS = {"review_window_months": (12, 1, 60, "months"),
           "grace_period_days": (90, 0, 730, "days")}


# --- Reading values ----------------------------------------------------------------------


def _number(value: object) -> float | None:
    """A finite integer or float as a float; None for anything else (booleans too)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# --- The program -------------------------------------------------------------------------


def program_from_dict(data: Mapping, credential_slugs: set[str] | None = None,
                      course_slugs: set[str] | None = None
                      ) -> tuple[Program | None, list[str]]:
    """Validate a program (from TOML or the admin form); (program, []) or (None, problems).

    `credential_slugs` and `course_slugs` (course groups: the original courses' slugs) are
    what requirements may name; None accepts any (the stored program, read back)."""
    problems: list[str] = []
    unknown = set(data) - PROGRAM_KEYS
    if unknown:
        problems.append(f"unknown keys: {', '.join(sorted(unknown))}")
    currency = data.get("currency", DEFAULT_CURRENCY)
    problems.extend(_currency_problems(currency))
    window = _period(data, "review_window_months", problems)
    grace = _period(data, "grace_period_days", problems)
    rates = _exchange_rates(data.get("exchange_rates", {}), currency, problems)
    health, health_problems = health_from_dict(data.get("health"))
    problems.extend(health_problems)
    rules = _tier_rules(data.get("tiers", []), Known(credential_slugs, course_slugs), problems)
    problems.extend(_unreachable_tiers(rules))
    problems.extend(_shared_items(rules))
    benefits = benefits_from_dict(data.get("benefits"), problems)
    if problems or health is None:
        return None, problems
    return Program(tuple(rules), currency, window, grace, rates, health, benefits), []


def _currency_problems(currency: object) -> list[str]:
    if isinstance(currency, str) and currency in CURRENCY_CODES:
        return []
    return [f"currency: {currency!r} is not one of {', '.join(sorted(CURRENCY_CODES))}"]


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
                                   ("course", r.course),
                                   ("job_function", r.job_function), ("item", r.item),
                                   ("name", r.name), ("min", r.min))
                 if v is not None}
                for r in rule.requirements]}
            for rule in program.tiers
        ],
        "benefits": benefits_to_dict(program.benefits),
    }


# --- The health score ----------------------------------------------------------------------


def health_from_dict(data: object) -> tuple[HealthRules | None, list[str]]:
    """The [health] table: weights of active rate, training pass rate and deal conversion
    (any non-negative numbers, not all zero) and the scores where the bands start."""
    if data is None:
        return HealthRules(), []
    if not isinstance(data, Mapping):
        return None, ["health: a table with weights, healthy_from and watch_from"]
    problems: list[str] = []
    unknown = set(data) - HEALTH_KEYS
    if unknown:
        problems.append(f"health: unknown keys: {', '.join(sorted(unknown))}")
    defaults = HealthRules()
    weights = _health_weights(data.get("weights", {"active": defaults.active_weight,
                                                   "training": defaults.training_weight,
                                                   "conversion": defaults.conversion_weight}),
                              problems)
    bands = _health_bands(data, problems)
    if problems or weights is None or bands is None:
        return None, problems
    return HealthRules(*weights, *bands), []


def _health_weights(weights: object, problems: list[str]
                    ) -> tuple[float, float, float] | None:
    """(active, training, conversion); a weight that is not a number of 0 or more is a
    problem, and so are weights that are all 0 (when nothing else is wrong)."""
    if not isinstance(weights, Mapping) or set(weights) - set(WEIGHT_KEYS):
        problems.append("health.weights: a table of active, training and conversion")
        return None
    values = []
    for key in WEIGHT_KEYS:
        value = _number(weights.get(key, 0))
        if value is None or value < 0:
            problems.append(f"health.weights.{key}: a number of 0 or more")
        values.append(value or 0.0)
    if not problems and sum(values) == 0:
        problems.append("health.weights: at least one weight above 0")
    active, training, conversion = values
    return active, training, conversion


def _health_bands(data: Mapping, problems: list[str]) -> tuple[int, int] | None:
    """(healthy_from, watch_from): whole scores with 0 < watch_from < healthy_from <= 100."""
    defaults = HealthRules()
    healthy = _int(data.get("healthy_from", defaults.healthy_from))
    watch = _int(data.get("watch_from", defaults.watch_from))
    if healthy is None or watch is None or not 0 < watch < healthy <= 100:
        problems.append("health: watch_from and healthy_from are whole scores with "
                        "0 < watch_from < healthy_from <= 100")
        return None
    return healthy, watch


# --- Tiers and their requirements --------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """The credentials and course groups requirements may name (None: any)."""

    credentials: set[str] | None = None
    courses: set[str] | None = None


def _tier_rules(raw: object, known: Known, problems: list[str]) -> list[TierRule]:
    """The [[tiers]] tables, in tier order."""
    if not isinstance(raw, list):
        problems.append("tiers: a list of tiers")
        return []
    rules: list[TierRule] = []
    for index, entry in enumerate(raw, start=1):
        rule = _tier_rule(entry, f"tiers[{index}]", {r.tier for r in rules}, known, problems)
        if rule is not None:
            rules.append(rule)
    return sorted(rules, key=lambda rule: TIERS.index(rule.tier))


def _tier_rule(entry: object, where: str, seen: set[str], known: Known,
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
    return TierRule(tier, _requirements(raw_requirements, tier, known, problems))


def _requirements(raw_requirements: list, tier: str, known: Known,
                  problems: list[str]) -> tuple[Requirement, ...]:
    """A tier's requirements without problems; listing one twice is a problem."""
    requirements = []
    for index, raw in enumerate(raw_requirements, start=1):
        requirement, found = _requirement(raw, f"{tier}.requirements[{index}]", known)
        problems.extend(found)
        if requirement is not None:
            requirements.append(requirement)
    keys = [r.key for r in requirements]
    if len(keys) != len(set(keys)):
        problems.append(f"{tier}: the same requirement is listed twice")
    return tuple(requirements)


def _shared_items(rules: list[TierRule]) -> list[str]:
    """A manual requirement's item names one thing: the same item under two names (which
    would be met by one record) is refused."""
    names: dict[str, str] = {}
    for rule in rules:
        for requirement in rule.requirements:
            if requirement.kind != "manual" or requirement.item is None:
                continue
            if names.setdefault(requirement.item, requirement.name or "") != requirement.name:
                return [f"{rule.tier}: the manual requirement item {requirement.item!r} has "
                        "two names (give each its own item)"]
    return []


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


def _requirement(raw: object, where: str, known: Known
                 ) -> tuple[Requirement | None, list[str]]:
    if not isinstance(raw, Mapping):
        return None, [f"{where}: a table with kind and min"]
    kind_name = raw.get("kind")
    kind = KINDS.get(kind_name) if isinstance(kind_name, str) else None
    if kind is None:
        return None, [f"{where}.kind: one of {', '.join(KINDS)}"]
    problems = []
    extra = set(raw) - REQUIREMENT_KEYS
    if extra:
        problems.append(f"{where}: unknown keys: {', '.join(sorted(extra))}")
    minimum = _int(raw.get("min", 1 if kind.manual else None))
    if kind.manual and minimum != 1:
        problems.append(f"{where}.min: 1 for a manual requirement (it is met or not)")
    elif minimum is None or not 1 <= minimum <= MAX_MIN:
        problems.append(f"{where}.min: a whole number from 1 to {MAX_MIN:,}")
    item, name = _manual_problems(kind, raw, where, problems)
    credential = raw.get("credential")
    problems.extend(_credential_problems(kind, credential, where, known.credentials))
    course = raw.get("course")
    problems.extend(_course_problems(kind, course, where, known.courses))
    job = raw.get("job_function")
    if job is not None and (not kind.allows_job_function or job not in JOB_FUNCTIONS):
        problems.append(f"{where}.job_function: sales or technical (certified_people and "
                        "trained_people only)")
    if problems or minimum is None:
        return None, problems
    return Requirement(kind.name, minimum, credential if kind.needs_credential
                       or kind.allows_credential else None, job, item, name,
                       course if kind.needs_course else None), []


def _course_problems(kind: RequirementKind, course: object, where: str,
                     course_slugs: set[str] | None) -> list[str]:
    """A kind that counts people who completed a course names a known course (its original
    version's slug, which its translations share); other kinds none."""
    if not kind.needs_course:
        return [] if course is None else [f"{where}.course: not used by {kind.name}"]
    if not isinstance(course, str) or not course:
        return [f"{where}.course: the slug of a course (its original version)"]
    if course_slugs is not None and course not in course_slugs:
        return [f"{where}.course: no course {course!r}"]
    return []


def item_of(name: str) -> str:
    """The item a manual requirement is recorded under, from its name: "Signed reseller
    agreement" -> "signed-reseller-agreement". A name without ASCII letters or digits
    ("事業計画書") gets "item-" and a digest of the name, so two such names never share one."""
    ascii_words = re.findall(r"[a-z0-9]+", name.lower())
    slug = "-".join(ascii_words)[:MAX_ITEM].strip("-")
    return slug or "item-" + hashlib.sha256(name.encode()).hexdigest()[:10]


def _manual_problems(kind: RequirementKind, raw: Mapping, where: str, problems: list[str]
                     ) -> tuple[str | None, str | None]:
    """A manual requirement's (item, name): a name of 1 to MAX_NAME characters, and an item
    (a slug; from the name when not given). Other kinds take neither."""
    item, name = raw.get("item"), raw.get("name")
    if not kind.manual:
        if item is not None or name is not None:
            problems.append(f"{where}: item and name are for manual requirements only")
        return None, None
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME \
            or has_control_characters(name):
        problems.append(f"{where}.name: what is required, in 1 to {MAX_NAME} characters")
        return None, None
    name = " ".join(name.split())
    if item is None:
        item = item_of(name)
    if not isinstance(item, str) or len(item) > MAX_ITEM or not ITEM_RE.fullmatch(item):
        problems.append(f"{where}.item: lowercase letters, digits and hyphens, at most "
                        f"{MAX_ITEM}")
        return None, None
    return item, name


def _credential_problems(kind: RequirementKind, credential: object, where: str,
                         credential_slugs: set[str] | None) -> list[str]:
    """A kind that counts holders of a credential names a known one; a kind that may name
    one names a known one or none; other kinds none."""
    if kind.allows_credential and credential is None:
        return []
    if not kind.needs_credential and not kind.allows_credential:
        return [] if credential is None else [f"{where}.credential: not used by {kind.name}"]
    if not isinstance(credential, str) or not credential:
        return [f"{where}.credential: the slug of a certification or badge"]
    if credential_slugs is not None and credential not in credential_slugs:
        return [f"{where}.credential: no credential {credential!r}"]
    return []
