"""Program and partner KPIs as pure functions: plain facts in, figures out (no Flask, no db).

A period is a run of whole calendar months in the application's time zone, ending with the
current month. Deals count in the month of the event (registered, approved, closed); rates
are None when their denominator is 0, and the pages show "—" for them.
"""

from __future__ import annotations

import bisect
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from lms.clock import day_start, local_date
from lms.models import Tier
from lms.tiers.program import Program
from lms.tiers.rules import converted_revenue

PERIOD_CHOICES = (3, 6, 12, 24)
DEFAULT_MONTHS = 12
# A person (or a company) is active when it did anything in the last 90 days.
ACTIVE_DAYS = 90


def parse_months(value: object) -> int:
    """The period length asked for (?months=...), or the default when it is not a choice."""
    try:
        months = int(str(value).strip())
    except (TypeError, ValueError):
        return DEFAULT_MONTHS
    return months if months in PERIOD_CHOICES else DEFAULT_MONTHS


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    if not denominator:
        return None
    return numerator / denominator


def median(values: Iterable[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    values = list(values)
    if not values:
        return None
    return float(statistics.median(values))


# --- Months ----------------------------------------------------------------------------


def first_of_month(day: date, months_later: int = 0) -> date:
    index = day.year * 12 + day.month - 1 + months_later
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole local months ending with the current one, and their boundaries in UTC."""

    months: tuple[date, ...]  # the first day of each month, oldest first
    bounds: tuple[datetime, ...]  # the start of each month, then the end of the last one
    previous_start: datetime  # the start of the period of the same length just before
    now: datetime
    today: date  # in the application's time zone

    @property
    def length(self) -> int:
        return len(self.months)

    @property
    def start(self) -> datetime:
        return self.bounds[0]

    @property
    def end(self) -> datetime:
        return self.bounds[-1]

    @property
    def first_day(self) -> date:
        return self.months[0]

    @property
    def last_day(self) -> date:
        return first_of_month(self.months[-1], 1) - timedelta(days=1)

    @property
    def active_since(self) -> datetime:
        """Activity from this moment on makes a person or a company active."""
        return self.now - timedelta(days=ACTIVE_DAYS)

    def index(self, moment: datetime | None) -> int | None:
        """The month `moment` falls in (0 = the first), None outside the period."""
        if moment is None or not self.start <= moment < self.end:
            return None
        return bisect.bisect_right(self.bounds, moment) - 1

    def contains_day(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def month_ends(self) -> tuple[datetime, ...]:
        """The end of each month, or now for the current one (not over yet)."""
        return tuple(min(end, self.now) for end in self.bounds[1:])


def period_for(now: datetime, months: int, zone: tzinfo) -> Period:
    """The `months` local months that end with the current one."""
    today = local_date(now, zone)
    first = first_of_month(today, -(months - 1))
    starts = tuple(first_of_month(first, n) for n in range(months))
    bounds = tuple(day_start(day, zone) for day in (*starts, first_of_month(first, months)))
    previous = day_start(first_of_month(first, -months), zone)
    return Period(starts, bounds, previous, now, today)


# --- Facts (what the database says) ------------------------------------------------------


@dataclass(frozen=True)
class Partner:
    id: int
    name: str
    slug: str
    tier: str
    signed_on: date
    active: bool = True


@dataclass(frozen=True)
class DealTally:
    """Deals of one partner in one month (or a sum of them)."""

    registered: int = 0
    approved: int = 0
    won: int = 0
    lost: int = 0
    # Won revenue by currency, in whole units.
    won_revenue: Mapping[str, int] = field(default_factory=dict)

    def __add__(self, other: DealTally) -> DealTally:
        return sum_tallies((self, other))


def sum_tallies(tallies: Iterable[DealTally]) -> DealTally:
    registered = approved = won = lost = 0
    revenue: dict[str, int] = {}
    for tally in tallies:
        registered += tally.registered
        approved += tally.approved
        won += tally.won
        lost += tally.lost
        for code, amount in tally.won_revenue.items():
            revenue[code] = revenue.get(code, 0) + amount
    return DealTally(registered, approved, won, lost, revenue)


@dataclass(frozen=True)
class Activity:
    """What the people of one company did: sign-ins, lessons, attempts, deals registered."""

    people: int = 0  # active people (accounts not deactivated)
    recent_people: int = 0  # of them, active in the last ACTIVE_DAYS days
    last_active_at: datetime | None = None  # anyone of the company, ever
    previous_period: bool = False  # anyone active in the period before the chosen one
    current_period: bool = False  # anyone active in the chosen period


@dataclass(frozen=True)
class Training:
    """Quiz and exam attempts submitted in the period."""

    submitted: int = 0
    passed: int = 0

    @property
    def pass_rate(self) -> float | None:
        return ratio(self.passed, self.submitted)

    def __add__(self, other: Training) -> Training:
        return Training(self.submitted + other.submitted, self.passed + other.passed)


@dataclass(frozen=True)
class ProgramFacts:
    period: Period
    partners: tuple[Partner, ...]  # every partner company, active or not
    # Each company's deals of the whole period (registered, approved, closed in it), by id.
    deals: Mapping[int, DealTally] = field(default_factory=dict)
    # Every company's deals together, month by month (the months gathered; none for health).
    months: tuple[DealTally, ...] = ()
    first_won_on: Mapping[int, date] = field(default_factory=dict)  # org -> first won deal
    activity: Mapping[int, Activity] = field(default_factory=dict)
    training: Mapping[int, Training] = field(default_factory=dict)
    # Active people holding a valid certification today, by company.
    certified: Mapping[int, int] = field(default_factory=dict)
    # Valid certifications at the end of each month of the period (program-wide).
    certifications: tuple[int, ...] = ()


# --- Figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DealFigures:
    registered: int = 0
    approved: int = 0
    won: int = 0
    lost: int = 0
    revenue: int = 0  # won revenue in the program currency
    left_out: Mapping[str, int] = field(default_factory=dict)  # won revenue without a rate

    @property
    def win_rate(self) -> float | None:
        """won / (won + lost) of the period."""
        return ratio(self.won, self.won + self.lost)

    @property
    def conversion(self) -> float | None:
        """won / registered of the period."""
        return ratio(self.won, self.registered)


def deal_figures(tally: DealTally, program: Program) -> DealFigures:
    revenue, _missing = converted_revenue(tally.won_revenue, program)
    left_out = {code: amount for code, amount in sorted(tally.won_revenue.items())
                if amount and code != program.currency and code not in program.exchange_rates}
    return DealFigures(tally.registered, tally.approved, tally.won, tally.lost, revenue,
                       left_out)


@dataclass(frozen=True)
class MonthFigures:
    month: date
    deals: DealFigures
    certifications: int = 0


@dataclass(frozen=True)
class FirstDeal:
    """A partner that signed in the period: days to its first won deal, or still open."""

    partner: Partner
    first_won_on: date | None
    days: int | None  # signing to the first won deal; None while there is none
    days_since_signing: int

    @property
    def open(self) -> bool:
        return self.days is None


@dataclass(frozen=True)
class Ttfd:
    rows: tuple[FirstDeal, ...] = ()
    median_days: float | None = None

    @property
    def with_deal(self) -> int:
        return sum(1 for row in self.rows if not row.open)

    @property
    def open(self) -> int:
        return sum(1 for row in self.rows if row.open)


def days_to_first_deal(signed_on: date, first_won_on: date | None) -> int | None:
    """Days from signing to the first won deal; a deal won before signing (history brought
    along, or imported) counts as day 0."""
    if first_won_on is None:
        return None
    return max(0, (first_won_on - signed_on).days)


def ttfd(partners: Iterable[Partner], first_won_on: Mapping[int, date], period: Period
         ) -> Ttfd:
    """Time to first deal of the partners that signed in the period: median over those with a
    won deal (won at any time); the others are listed as open, with days since signing."""
    rows = []
    for partner in partners:
        if not partner.active or not period.contains_day(partner.signed_on):
            continue
        won_on = first_won_on.get(partner.id)
        rows.append(FirstDeal(partner, won_on, days_to_first_deal(partner.signed_on, won_on),
                              max(0, (period.today - partner.signed_on).days)))
    rows.sort(key=lambda r: (r.open, r.days if r.days is not None else -r.days_since_signing,
                             r.partner.name.casefold()))
    return Ttfd(tuple(rows), median(r.days for r in rows if r.days is not None))


@dataclass(frozen=True)
class Retention:
    previously_active: int = 0
    retained: int = 0

    @property
    def rate(self) -> float | None:
        return ratio(self.retained, self.previously_active)


def retention(partners: Iterable[Partner], activity: Mapping[int, Activity]) -> Retention:
    """Partners active in the period before, that are still partners and active in this one."""
    before = kept = 0
    for partner in partners:
        facts = activity.get(partner.id, Activity())
        if facts.previous_period:
            before += 1
            if partner.active and facts.current_period:
                kept += 1
    return Retention(before, kept)


def is_recently_active(activity: Activity, period: Period) -> bool:
    return activity.last_active_at is not None and activity.last_active_at >= period.active_since


def days_since(moment: datetime | None, period: Period) -> int | None:
    """Whole days from `moment` to now; None when there is no moment."""
    if moment is None:
        return None
    return max(0, (period.now - moment).days)


@dataclass(frozen=True)
class PartnerFigures:
    partner: Partner
    deals: DealFigures
    training: Training
    activity: Activity
    certified_people: int
    ttfd_days: int | None  # days to its first won deal, whenever it signed
    days_since_activity: int | None

    @property
    def pass_rate(self) -> float | None:
        return self.training.pass_rate

    @property
    def active_share(self) -> float | None:
        """Share of its active people active in the last ACTIVE_DAYS days."""
        return ratio(self.activity.recent_people, self.activity.people)


def partner_figures(partner: Partner, facts: ProgramFacts, program: Program
                    ) -> PartnerFigures:
    """One partner's figures."""
    activity = facts.activity.get(partner.id, Activity())
    return PartnerFigures(
        partner, deal_figures(facts.deals.get(partner.id, DealTally()), program),
        facts.training.get(partner.id, Training()),
        activity, facts.certified.get(partner.id, 0),
        days_to_first_deal(partner.signed_on, facts.first_won_on.get(partner.id)),
        days_since(activity.last_active_at, facts.period))


@dataclass(frozen=True)
class ProgramFigures:
    period: Period
    deals: DealFigures
    months: tuple[MonthFigures, ...]
    ttfd: Ttfd
    retention: Retention
    partner_count: int  # active partner companies
    active_partners: int  # of them, active in the last ACTIVE_DAYS days
    training: Training
    certified_people: int  # active people of active partners with a valid certification
    tiers: Mapping[str, int]  # active partners by tier
    partners: tuple[PartnerFigures, ...]  # active partners, by name

    @property
    def active_rate(self) -> float | None:
        return ratio(self.active_partners, self.partner_count)

    @property
    def certified_per_partner(self) -> float | None:
        return ratio(self.certified_people, self.partner_count)

    @property
    def pass_rate(self) -> float | None:
        return self.training.pass_rate


def active_partners(facts: ProgramFacts) -> list[Partner]:
    """The active partners, by name."""
    return sorted((p for p in facts.partners if p.active),
                  key=lambda p: (p.name.casefold(), p.id))


def partners_figures(active: Iterable[Partner], facts: ProgramFacts, program: Program
                     ) -> tuple[PartnerFigures, ...]:
    return tuple(partner_figures(p, facts, program) for p in active)


def program_figures(facts: ProgramFacts, program: Program) -> ProgramFigures:
    """Every KPI of the program for the period, and the figures of each active partner.

    Deals and attempts count for every partner (a partner that left still sold); rates of
    partners (active rate, certified people per partner) are over active partners."""
    period = facts.period
    by_month = list(facts.months[:period.length])
    by_month += [DealTally()] * (period.length - len(by_month))
    certifications = list(facts.certifications) + [0] * period.length
    months = tuple(MonthFigures(month, deal_figures(tally, program), certifications[i])
                   for i, (month, tally) in enumerate(zip(period.months, by_month,
                                                          strict=True)))
    total = sum_tallies(facts.deals.values())
    active = active_partners(facts)
    tiers = {tier.value: 0 for tier in Tier}
    for partner in active:
        tiers[partner.tier] = tiers.get(partner.tier, 0) + 1
    recently = sum(1 for p in active
                   if is_recently_active(facts.activity.get(p.id, Activity()), period))
    return ProgramFigures(
        period=period,
        deals=deal_figures(total, program),
        months=months,
        ttfd=ttfd(active, facts.first_won_on, period),
        retention=retention(facts.partners, facts.activity),
        partner_count=len(active),
        active_partners=recently,
        training=Training(sum(t.submitted for t in facts.training.values()),
                          sum(t.passed for t in facts.training.values())),
        certified_people=sum(facts.certified.get(p.id, 0) for p in active),
        tiers=tiers,
        partners=partners_figures(active, facts, program),
    )
