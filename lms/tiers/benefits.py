"""What each tier gives a partner (pure: no Flask, no db).

A tier's benefits are a margin on resale (percent), a market development funds (MDF)
allocation per period in the program currency, a support level, how many demo environments
its people may hold at once (and whether their requests are approved at once) and free-text items
("Joint press release", "Listed in the partner finder"). They are read from the
`[benefits]` table of program.toml or the admin form, validated with every problem reported
at once, and compared: `added(lower, higher)` is what reaching `higher` would add.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from lms.models import Tier

TIERS = tuple(tier.value for tier in Tier)
SUPPORT_LEVELS = ("standard", "priority", "dedicated")  # lowest first
MDF_PERIODS = ("quarter", "half_year", "year")
MAX_ITEMS = 12
MAX_ITEM_LENGTH = 200
MAX_MDF = 10**13
MAX_DEMO_ENVIRONMENTS = 100
TIER_KEYS = {"margin_percent", "mdf", "support", "demo_environments", "demo_auto_approve",
             "items"}


@dataclass(frozen=True)
class TierBenefits:
    margin_percent: float | None = None  # 0 <= margin < 100
    mdf: int | None = None  # per MDF period, in the program currency
    support: str | None = None  # one of SUPPORT_LEVELS
    items: tuple[str, ...] = ()
    # Demo environments the company may hold at once (requested, being set up or in use);
    # None: none. With demo_auto_approve their requests need no manager's decision.
    demo_environments: int | None = None
    demo_auto_approve: bool = False

    @property
    def empty(self) -> bool:
        return self == TierBenefits()


@dataclass(frozen=True)
class Benefits:
    tiers: Mapping[str, TierBenefits] = field(default_factory=dict)
    mdf_period: str = "quarter"

    def of(self, tier: str) -> TierBenefits:
        return self.tiers.get(tier, TierBenefits())

    @property
    def empty(self) -> bool:
        return all(self.of(tier).empty for tier in TIERS)


def as_written(percent: float) -> int | float:
    """A percentage as people write it: 20, not 20.0 (12.5 stays 12.5)."""
    return int(percent) if percent == int(percent) else percent


def added(lower: TierBenefits, higher: TierBenefits) -> TierBenefits:
    """What `higher` gives beyond `lower`: its margin, MDF and support where they are better,
    and the items `lower` does not list (a tier may also give less: that is not added)."""
    def better(high, low):
        return high if high is not None and (low is None or high > low) else None

    support = higher.support if higher.support is not None and (
        lower.support is None
        or SUPPORT_LEVELS.index(higher.support) > SUPPORT_LEVELS.index(lower.support)) else None
    return TierBenefits(better(higher.margin_percent, lower.margin_percent),
                        better(higher.mdf, lower.mdf), support,
                        tuple(item for item in higher.items if item not in lower.items),
                        better(higher.demo_environments, lower.demo_environments),
                        higher.demo_auto_approve and not lower.demo_auto_approve)


# --- Reading (program.toml, the admin form, the stored JSON) ----------------------------------


def benefits_from_dict(raw: object, problems: list[str]) -> Benefits:
    """The [benefits] table: `mdf_period`, then a table per tier; problems are appended."""
    if raw is None:
        return Benefits()
    if not isinstance(raw, Mapping):
        problems.append("benefits: a table with mdf_period and a table per tier")
        return Benefits()
    unknown = set(raw) - {"mdf_period", *TIERS}
    if unknown:
        problems.append(f"benefits: unknown keys: {', '.join(sorted(map(str, unknown)))}")
    period = raw.get("mdf_period", "quarter")
    if period not in MDF_PERIODS:
        problems.append(f"benefits.mdf_period: one of {', '.join(MDF_PERIODS)}")
        period = "quarter"
    tiers = {}
    for tier in TIERS:
        if tier in raw:
            benefits = _tier_benefits(raw[tier], f"benefits.{tier}", problems)
            if not benefits.empty:
                tiers[tier] = benefits
    return Benefits(tiers, period)


def _tier_benefits(raw: object, where: str, problems: list[str]) -> TierBenefits:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: a table of margin_percent, mdf, support, "
                        "demo_environments, demo_auto_approve and items")
        return TierBenefits()
    unknown = set(raw) - TIER_KEYS
    if unknown:
        problems.append(f"{where}: unknown keys: {', '.join(sorted(map(str, unknown)))}")
    margin = raw.get("margin_percent")
    # The range first: a huge whole number (10**400) cannot become a float for isfinite.
    if margin is not None and (isinstance(margin, bool) or not isinstance(margin, int | float)
                               or not 0 <= margin < 100 or not math.isfinite(margin)):
        problems.append(f"{where}.margin_percent: a number from 0 to less than 100")
        margin = None
    mdf = raw.get("mdf")
    if mdf is not None and (isinstance(mdf, bool) or not isinstance(mdf, int)
                            or not 1 <= mdf <= MAX_MDF):
        problems.append(f"{where}.mdf: a whole amount from 1 to {MAX_MDF:,} (leave it out "
                        "for none)")
        mdf = None
    support = raw.get("support")
    if support is not None and support not in SUPPORT_LEVELS:
        problems.append(f"{where}.support: one of {', '.join(SUPPORT_LEVELS)}")
        support = None
    items = _items(raw.get("items", []), f"{where}.items", problems)
    environments = raw.get("demo_environments")
    if environments is not None and (isinstance(environments, bool)
                                     or not isinstance(environments, int)
                                     or not 1 <= environments <= MAX_DEMO_ENVIRONMENTS):
        problems.append(f"{where}.demo_environments: a whole number from 1 to "
                        f"{MAX_DEMO_ENVIRONMENTS} (leave it out for none)")
        environments = None
    auto = raw.get("demo_auto_approve", False)
    if not isinstance(auto, bool):
        problems.append(f"{where}.demo_auto_approve: true or false")
        auto = False
    if auto and environments is None:
        problems.append(f"{where}.demo_auto_approve: the tier gives no demo_environments")
        auto = False
    return TierBenefits(None if margin is None else float(margin), mdf, support, items,
                        environments, auto)


def _items(raw: object, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        problems.append(f"{where}: a list of texts")
        return ()
    items = [" ".join(item.split()) for item in raw]
    if len(items) > MAX_ITEMS:
        problems.append(f"{where}: at most {MAX_ITEMS} items")
    for item in items:
        if not item or len(item) > MAX_ITEM_LENGTH or any(
                unicodedata.category(ch) == "Cc" for ch in item):
            problems.append(f"{where}: each item is a line of 1 to {MAX_ITEM_LENGTH} "
                            "characters")
            break
    if len(set(items)) != len(items):
        problems.append(f"{where}: the same item is listed twice")
    return tuple(items)


def benefits_to_dict(benefits: Benefits) -> dict:
    """The stored (JSON) form; benefits_from_dict reads it back."""
    data: dict = {"mdf_period": benefits.mdf_period}
    for tier in TIERS:
        tier_benefits = benefits.of(tier)
        if tier_benefits.empty:
            continue
        entry: dict = {}
        if tier_benefits.margin_percent is not None:
            entry["margin_percent"] = as_written(tier_benefits.margin_percent)
        if tier_benefits.mdf is not None:
            entry["mdf"] = tier_benefits.mdf
        if tier_benefits.support is not None:
            entry["support"] = tier_benefits.support
        if tier_benefits.demo_environments is not None:
            entry["demo_environments"] = tier_benefits.demo_environments
        if tier_benefits.demo_auto_approve:
            entry["demo_auto_approve"] = True
        if tier_benefits.items:
            entry["items"] = list(tier_benefits.items)
        data[tier] = entry
    return data
