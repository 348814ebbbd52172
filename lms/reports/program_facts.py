"""The facts behind the KPI and health pages, from the database in a fixed number of queries.

Whatever the number of partners, people or deals: one query each for the partners (with their
first won deal), their deals of the period, the program's deals month by month, people's
activity, training attempts, certified people and certifications over time. Each is an
aggregate the database computes, from the indexes on `Deal` where it counts deals; Python
receives a few thousand rows of totals, never a row per deal or per event. Months are local
months (BABEL_DEFAULT_TIMEZONE): a month's deals are those between its boundaries, counted in
the database.

Each statement is built once per shape (the number of months, whether it is limited to some
companies) and kept: the period's moments and the companies are bound parameters
(`_moments`). Building the month-by-month union of 48 selects cost six times more than
running it on the demo, on every page view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql.elements import SQLCoreOperations

from lms.clock import local_date, program_zone
from lms.extensions import db
from lms.models import (
    Attempt,
    AttemptStatus,
    Award,
    Credential,
    CredentialKind,
    Deal,
    DealStatus,
    Organization,
    OrganizationActivityMonth,
    User,
    utcnow,
)
from lms.models.base import UTCDateTime
from lms.reports import health, kpis
from lms.reports.health import Health
from lms.reports.kpis import (
    Activity,
    DealTally,
    Partner,
    PartnerFigures,
    Period,
    ProgramFacts,
    ProgramFigures,
    Training,
    first_of_month,
)
from lms.tiers.program import Program
from lms.tiers.service import program_in_force

# Health is measured over the last 12 months, whatever period the KPI page shows.
HEALTH_MONTHS = 12


def period(months: int, now: datetime | None = None) -> Period:
    return kpis.period_for(now or utcnow(), months, program_zone())


def _only(stmt, column, limited: bool):
    """`stmt` for the companies of the bound parameter "ids" only, when `limited`."""
    return stmt.where(column.in_(bindparam("ids", expanding=True))) if limited else stmt


def _at(name: str):
    """A moment of the period, bound when the statement runs (see `_moments`)."""
    return bindparam(name, type_=UTCDateTime())


def _day(name: str):
    """A day of the period (the first of a month), bound when the statement runs."""
    return bindparam(name, type_=Date())


def _moments(p: Period, ids: list[int] | None) -> dict[str, Any]:
    """The parameters of every statement below, for the period `p` and the companies `ids`."""
    params: dict[str, Any] = {"start": p.start, "end": p.end, "before": p.previous_start,
                              "now": p.now, "active_since": p.active_since}
    params.update({"before_month": first_of_month(p.first_day, -p.length),
                   "start_month": p.first_day,
                   "end_month": first_of_month(p.months[-1], 1)})
    params.update({f"bound_{i}": moment for i, moment in enumerate(p.bounds)})
    params.update({f"month_end_{i}": moment for i, moment in enumerate(p.month_ends())})
    if ids is not None:
        params["ids"] = ids
    return params


def _run(stmt, p: Period, ids: list[int] | None):
    return db.session.execute(stmt, _moments(p, ids))


# A statement per shape: a few months counts (1, 3, 12...) times limited or not.
_shape = lru_cache(maxsize=64)


@_shape
def _partners_statement(limited: bool, first_won: bool):
    won_at = (select(func.min(Deal.closed_at))
              .where(Deal.organization_id == Organization.id, Deal.status == DealStatus.WON,
                     Deal.closed_at.is_not(None))
              .correlate(Organization).scalar_subquery()) if first_won \
        else literal(None, UTCDateTime())
    return _only(select(Organization.id, Organization.name, Organization.slug,
                        Organization.tier, Organization.signed_on, Organization.active,
                        won_at),
                 Organization.id, limited)


def _partners(p: Period, ids: list[int] | None, *, first_won: bool = True
              ) -> tuple[tuple[Partner, ...], dict[int, date]]:
    """Every partner company, and (`first_won`) the day of each one's first won deal (ever):
    a lookup per company in the index (organization_id, status, closed_at)."""
    partners = []
    first_won_on = {}
    tz = program_zone()
    rows = _run(_partners_statement(ids is not None, first_won), p, ids).all()
    for id_, name, slug, tier, signed_on, active, won_at in rows:
        partners.append(Partner(id_, name, slug, tier.value, signed_on, active))
        if won_at is not None:
            first_won_on[id_] = local_date(won_at, tz)
    return tuple(partners), first_won_on


DEAL_KINDS = ("registered", "approved", "won", "lost")
# What the health score needs: deals registered and won.
HEALTH_DEAL_KINDS = ("registered", "won")


def _events(kind: str, by_company: bool, dialect: str = ""):
    """The moment a deal counts for `kind`, and the condition it must meet."""
    if kind == "registered":
        # Through coalesce(), SQLite reads the covering index (organization_id,
        # registered_at) for a company's deals instead of looking up each deal of the period
        # by the registered_at index (3 times faster over 200,000 deals); a month's count
        # needs the registered_at index itself. PostgreSQL's planner, which estimates a
        # range on the column but not on coalesce(), then sorts instead of hashing (1.4
        # times slower): it gets the column.
        column = func.coalesce(Deal.registered_at, Deal.registered_at) \
            if by_company and dialect == "sqlite" else Deal.registered_at
        return column, ()
    if kind == "approved":
        return Deal.approved_at, ()
    return Deal.closed_at, (Deal.status == DealStatus(kind),)


def _money(kind: str) -> tuple[SQLCoreOperations[str], SQLCoreOperations[int]]:
    # Only won deals need their amount (the other kinds stay within their indexes).
    if kind == "won":
        return Deal.currency, func.sum(Deal.amount)
    return literal("", String(3)), literal(0, BigInteger)


POSITION = {"registered": 0, "approved": 1, "won": 2, "lost": 3}


def _tallies(rows) -> dict[int, DealTally]:
    """(key, kind, currency, count, amount) rows summed into a DealTally per key."""
    counts: dict = {}
    for key, kind, currency, count, total in rows:
        entry = counts.get(key)
        if entry is None:
            entry = counts[key] = [0, 0, 0, 0, {}]
        entry[POSITION[kind]] += count
        if kind == "won" and count:
            entry[4][currency] = entry[4].get(currency, 0) + int(total or 0)
    return {key: DealTally(*entry) for key, entry in counts.items()}


@_shape
def _deals_statement(kinds: tuple[str, ...], limited: bool, dialect: str):
    selects = []
    for kind in kinds:
        column, conditions = _events(kind, by_company=True, dialect=dialect)
        currency, amount = _money(kind)
        group = (Deal.organization_id, Deal.currency) if kind == "won" \
            else (Deal.organization_id,)
        selects.append(_only(
            select(Deal.organization_id, literal(kind, String(10)), currency, func.count(),
                   amount)
            .where(column >= _at("start"), column < _at("end"), *conditions)
            .group_by(*group),
            Deal.organization_id, limited))
    return union_all(*selects)


def _deals(p: Period, ids: list[int] | None, kinds: tuple[str, ...] = DEAL_KINDS
           ) -> dict[int, DealTally]:
    """Each company's deals registered, approved, won and lost in the period: one query, a
    grouped index range per kind."""
    stmt = _deals_statement(kinds, ids is not None, db.session.get_bind().dialect.name)
    return _tallies(_run(stmt, p, ids).all())


@_shape
def _deals_by_month_statement(months: int, limited: bool):
    selects = []
    for kind in DEAL_KINDS:
        column, conditions = _events(kind, by_company=False)
        currency, amount = _money(kind)
        for index in range(months):
            stmt = (select(literal(index), literal(kind, String(10)), currency, func.count(),
                           amount)
                    .where(column >= _at(f"bound_{index}"),
                           column < _at(f"bound_{index + 1}"), *conditions))
            if kind == "won":
                stmt = stmt.group_by(Deal.currency)
            selects.append(_only(stmt, Deal.organization_id, limited))
    return union_all(*selects)


def _deals_by_month(p: Period, ids: list[int] | None) -> tuple[DealTally, ...]:
    """Every company's deals together, month by month: a count over an index range per month
    and kind (a month computed for each deal cost more than the counting)."""
    stmt = _deals_by_month_statement(p.length, ids is not None)
    tallies = _tallies(_run(stmt, p, ids).all())
    return tuple(tallies.get(index, DealTally()) for index in range(p.length))


@_shape
def _activity_statement(periods: bool, limited: bool):
    last_at = User.last_active_at
    recent = and_(User.active.is_(True), last_at >= _at("active_since"))
    people = _only(
        select(User.organization_id.label("organization_id"),
               func.sum(case((User.active.is_(True), 1), else_=0)).label("people"),
               func.sum(case((recent, 1), else_=0)).label("recent"),
               func.max(last_at).label("last_at"))
        .where(User.organization_id.is_not(None))
        .group_by(User.organization_id), User.organization_id, limited).subquery()
    fields = [people.c.organization_id, people.c.people, people.c.recent, people.c.last_at]
    if not periods:
        return select(*fields)
    month = OrganizationActivityMonth.month
    flags = [func.max(case((and_(month >= _day(start), month < _day(end)), 1), else_=0))
             .label(name) for name, start, end in (("before", "before_month", "start_month"),
                                                   ("now", "start_month", "end_month"))]
    active_months = _only(
        select(OrganizationActivityMonth.organization_id.label("organization_id"), *flags)
        .where(month >= _day("before_month"), month < _day("end_month"))
        .group_by(OrganizationActivityMonth.organization_id),
        OrganizationActivityMonth.organization_id, limited).subquery()
    return (select(*fields, func.coalesce(active_months.c.before, 0),
                   func.coalesce(active_months.c.now, 0))
            .outerjoin(active_months,
                       active_months.c.organization_id == people.c.organization_id))


def _activity(p: Period, ids: list[int] | None, *, periods: bool = True
              ) -> dict[int, Activity]:
    """Per company: active people, those active lately, the last activity, and (`periods`)
    whether anyone was active in this period and the one before: one query.

    It reads the rollup lms.activity keeps where events are written (each person's latest
    activity, each company's active months), never the events themselves."""
    activity = {}
    for org_id, people, lately, last, *flags in _run(
            _activity_statement(periods, ids is not None), p, ids).all():
        before, now = flags if periods else (0, 0)
        activity[org_id] = Activity(int(people or 0), int(lately or 0), last, bool(before),
                                    bool(now))
    return activity


@_shape
def _training_statement(limited: bool):
    return _only(
        select(User.organization_id, func.count(Attempt.id),
               func.sum(case((Attempt.passed.is_(True), 1), else_=0)))
        .join(User, Attempt.user_id == User.id)
        .where(Attempt.status != AttemptStatus.OPEN, Attempt.submitted_at >= _at("start"),
               Attempt.submitted_at < _at("end"), User.organization_id.is_not(None))
        .group_by(User.organization_id), User.organization_id, limited)


def _training(p: Period, ids: list[int] | None) -> dict[int, Training]:
    return {org_id: Training(int(n or 0), int(passed or 0))
            for org_id, n, passed in _run(_training_statement(ids is not None), p, ids).all()}


def _valid_at(moment):
    return and_(Award.issued_at <= moment,
                or_(Award.expires_at.is_(None), Award.expires_at > moment),
                or_(Award.revoked_at.is_(None), Award.revoked_at > moment))


@_shape
def _certified_statement(limited: bool):
    now = _at("now")
    return _only(
        select(User.organization_id, func.count(func.distinct(User.id)))
        .select_from(Award).join(User, Award.user_id == User.id)
        .join(Credential, Award.credential_id == Credential.id)
        .where(Credential.kind == CredentialKind.CERTIFICATION, User.active.is_(True),
               User.organization_id.is_not(None), Award.revoked_at.is_(None),
               Award.issued_at <= now,
               or_(Award.expires_at.is_(None), Award.expires_at > now))
        .group_by(User.organization_id), User.organization_id, limited)


def _certified(p: Period, ids: list[int] | None) -> dict[int, int]:
    """Active people holding a valid certification now, each counted once, by company."""
    return {org_id: int(n)
            for org_id, n in _run(_certified_statement(ids is not None), p, ids).all()}


@_shape
def _certifications_over_time_statement(months: int, limited: bool):
    return _only(
        select(*[func.sum(case((_valid_at(_at(f"month_end_{i}")), 1), else_=0))
                 for i in range(months)])
        .select_from(Award).join(User, Award.user_id == User.id)
        .join(Credential, Award.credential_id == Credential.id)
        .where(Credential.kind == CredentialKind.CERTIFICATION,
               User.organization_id.is_not(None)), User.organization_id, limited)


def _certifications_over_time(p: Period, ids: list[int] | None) -> tuple[int, ...]:
    """Valid certifications of partner people at the end of each month (one row)."""
    row = _run(_certifications_over_time_statement(p.length, ids is not None), p, ids).one()
    return tuple(int(n or 0) for n in row)


def gather(p: Period, organization_ids: Iterable[int] | None = None, *,
           for_health: bool = False, program_wide: bool = True) -> ProgramFacts:
    """Everything the KPIs need for the period, for every partner or the given ones.

    for_health: only what the health score needs (deals registered and won, nothing of the
    whole program, no certified people, no first won deals: the figures made of these facts
    say 0 certified people and no time to a first deal, which the health pages never show);
    program_wide=False: a company's own figures, without those of the whole program (deals
    by month, certifications over time, activity in the period before)."""
    ids = list(organization_ids) if organization_ids is not None else None
    whole = program_wide and not for_health
    partners, first_won_on = _partners(p, ids, first_won=not for_health)
    return ProgramFacts(
        period=p,
        partners=partners,
        deals=_deals(p, ids, HEALTH_DEAL_KINDS if for_health else DEAL_KINDS),
        months=_deals_by_month(p, ids) if whole else (),
        first_won_on=first_won_on,
        activity=_activity(p, ids, periods=whole),
        training=_training(p, ids),
        certified={} if for_health else _certified(p, ids),
        certifications=_certifications_over_time(p, ids) if whole else (),
    )


# --- Reports ---------------------------------------------------------------------------


def companies_of_type(partner_type: str | None) -> list[int] | None:
    """The companies of one partner type (referral, resale, OEM); None: every company."""
    if partner_type is None:
        return None
    return list(db.session.scalars(select(Organization.id).where(
        Organization.partner_type == partner_type).order_by(Organization.id)))


def program_report(months: int, now: datetime | None = None, partner_type: str | None = None
                   ) -> tuple[ProgramFigures, Program]:
    """The KPI page: program figures and every active partner's, for `months` months; with
    `partner_type`, the program as that type of partner makes it (every figure limited)."""
    program = program_in_force()
    figures = kpis.program_figures(
        gather(period(months, now), companies_of_type(partner_type)), program)
    return figures, program


@dataclass(frozen=True)
class HealthRow:
    figures: PartnerFigures
    health: Health

    @property
    def partner(self) -> Partner:
        return self.figures.partner


@dataclass(frozen=True)
class HealthReport:
    period: Period
    program: Program
    rows: tuple[HealthRow, ...]  # at risk first, lowest score first
    counts: dict[str, int]  # partners per band


def health_rows(figures: Iterable[PartnerFigures], program: Program
                ) -> tuple[HealthRow, ...]:
    rows = [HealthRow(f, health.assess(health.facts_of(f, HEALTH_MONTHS), program.health))
            for f in figures]
    rows.sort(key=lambda r: (health.BANDS.index(r.health.band), r.health.score,
                             r.partner.name.casefold()))
    return tuple(rows)


def health_report(now: datetime | None = None, partner_type: str | None = None
                  ) -> HealthReport:
    """Every active partner's (of `partner_type`, when given) health over the last 12
    months."""
    program = program_in_force()
    p = period(HEALTH_MONTHS, now)
    facts = gather(p, companies_of_type(partner_type), for_health=True)
    rows = health_rows(kpis.partners_figures(kpis.active_partners(facts), facts, program),
                       program)
    counts = {band: 0 for band in health.BANDS}
    for row in rows:
        counts[row.health.band] += 1
    return HealthReport(p, program, rows, counts)


@dataclass(frozen=True)
class PartnerSummary:
    """One company's own figures and health (its partner admin's home page)."""

    period: Period
    program: Program
    figures: PartnerFigures
    health: Health


def partner_summary(organization: Organization, now: datetime | None = None,
                    program: Program | None = None) -> PartnerSummary:
    if program is None:
        program = program_in_force()
    p = period(HEALTH_MONTHS, now)
    facts = gather(p, [organization.id], program_wide=False)
    partner = next(x for x in facts.partners if x.id == organization.id)
    figures = kpis.partner_figures(partner, facts, program)
    return PartnerSummary(p, program, figures, health_rows([figures], program)[0].health)
