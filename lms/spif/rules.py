"""What a SPIF campaign owes, as pure functions (no Flask, no db): which won deals earn its
bonus, the tier a partner held when a deal closed, and the totals per partner and person.

A deal earns the bonus when it was won on a day of the campaign (its first to its last day,
in the program's time zone), its product mentions the campaign's product (when one is
named; case and full/half width ignored), the partner then held one of the campaign's tiers
(when it names some), and, for a new-customer campaign, the partner had never won that
customer before (its first won deal with them counts, a second one does not).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from lms.markup import normalize_for_search

MAX_DAYS = 366  # a campaign is time-boxed: a year at most
YEARS = (2000, 2999)  # the days a campaign may have (a day past 9999 cannot be computed)
MAX_BONUS = 10**12


@dataclass(frozen=True)
class Campaign:
    rule: str
    bonus: int
    starts_on: date
    ends_on: date
    product: str = ""
    tiers: frozenset[str] = frozenset()  # empty: every tier


@dataclass(frozen=True)
class WonDeal:
    id: int
    organization_id: int
    registered_by_id: int | None
    customer_key: str
    product: str
    closed_at: datetime


@dataclass(frozen=True)
class TierMove:
    """A recorded tier change of a company: from one tier to another at a moment."""

    at: datetime
    from_tier: str
    to_tier: str


@dataclass(frozen=True)
class Accrual:
    deal: WonDeal
    amount: int


def window(campaign: Campaign, zone: tzinfo) -> tuple[datetime, datetime]:
    """[start, end) of the campaign as moments: midnight of its first day to midnight after
    its last day, where the program runs."""
    start = datetime.combine(campaign.starts_on, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(campaign.ends_on + timedelta(days=1), datetime.min.time(),
                           tzinfo=zone)
    return start, end


def spans(windows: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The moments covered by some window, as few [start, end) spans as possible, in order:
    overlapping and touching windows are joined (one query condition per span)."""
    joined: list[tuple[datetime, datetime]] = []
    for start, end in sorted(windows):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined


def product_matches(wanted: str, product: str) -> bool:
    """The deal's product mentions the campaign's (case and width ignored); "" is any."""
    wanted = normalize_for_search(wanted)
    return not wanted or wanted in normalize_for_search(product)


def tier_at(moves: Sequence[TierMove], current: str, moment: datetime) -> str:
    """The tier a company held at `moment`, from its recorded changes (oldest first): the
    tier the last change before it set, else the tier the first change after it left, else
    the tier it holds now."""
    before = [move for move in moves if move.at <= moment]
    if before:
        return before[-1].to_tier
    return moves[0].from_tier if moves else current


def accruals(campaign: Campaign, deals: Iterable[WonDeal], zone: tzinfo, *,
             known_customers: Collection[tuple[int, str]] = (),
             moves: Mapping[int, Sequence[TierMove]] | None = None,
             current_tiers: Mapping[int, str] | None = None) -> list[Accrual]:
    """The deals that earn the campaign's bonus, oldest first.

    `deals` are the won deals closed in the campaign's window (others are ignored);
    `known_customers` the (company, customer key) pairs the company won before the window;
    `moves` each company's tier changes (oldest first) and
    `current_tiers` its tier now, read only when the campaign names tiers."""
    start, end = window(campaign, zone)
    seen: set[tuple[int, str]] = set()
    earned = []
    for deal in sorted(deals, key=lambda d: (d.closed_at, d.id)):
        if not start <= deal.closed_at < end:
            continue
        customer = (deal.organization_id, deal.customer_key)
        first_time = customer not in known_customers and customer not in seen
        seen.add(customer)
        if campaign.rule == "new_customer" and not first_time:
            continue
        if not product_matches(campaign.product, deal.product):
            continue
        if campaign.tiers:
            held = tier_at((moves or {}).get(deal.organization_id, ()),
                           (current_tiers or {}).get(deal.organization_id, ""),
                           deal.closed_at)
            if held not in campaign.tiers:
                continue
        earned.append(Accrual(deal, campaign.bonus))
    return earned


@dataclass(frozen=True)
class Total:
    deals: int
    amount: int


def totals_by(earned: Iterable[Accrual], key) -> dict:
    """Deals and amount per key(accrual): per company, per person..."""
    counts: dict = {}
    for accrual in earned:
        k = key(accrual)
        deals, amount = counts.get(k, (0, 0))
        counts[k] = (deals + 1, amount + accrual.amount)
    return {k: Total(deals, amount) for k, (deals, amount) in counts.items()}


def by_partner(earned: Iterable[Accrual]) -> dict[int, Total]:
    return totals_by(earned, lambda a: a.deal.organization_id)


def by_person(earned: Iterable[Accrual]) -> dict[tuple[int, int | None], Total]:
    """Per (company, person who registered the deal); person None for deals registered by
    nobody known (an import, a person since deleted), one such line per company."""
    return totals_by(earned, lambda a: (a.deal.organization_id, a.deal.registered_by_id))


def status(campaign: Campaign, today: date) -> str:
    """upcoming, running or ended on `today`."""
    if today < campaign.starts_on:
        return "upcoming"
    return "running" if today <= campaign.ends_on else "ended"


def dates_problem(starts_on: date, ends_on: date) -> str | None:
    """"out_of_range", "before_start" or "too_long" when the days cannot make a campaign,
    else None."""
    if not (YEARS[0] <= starts_on.year and ends_on.year <= YEARS[1]):
        return "out_of_range"
    if ends_on < starts_on:
        return "before_start"
    if (ends_on - starts_on).days + 1 > MAX_DAYS:
        return "too_long"
    return None
