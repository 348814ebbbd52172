"""The tier qualification report: rows for one target tier, filtered and sorted."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime

from lms.clock import program_today
from lms.i18n import gettext as _
from lms.labels import PARTNER_TYPE_LABELS, TIER_LABELS
from lms.models import PartnerType
from lms.tiers import present, rules, service
from lms.tiers.program import Program
from lms.tiers.rules import RequirementResult
from lms.tiers.service import PartnerStanding

SHOW = ("all", "qualifies", "at_risk")
SORTS = ("name", "current", "qualified", "status", "progress")
STATUS_ORDER = {rules.PROMOTION_DUE: 0, rules.AT_RISK: 1, rules.HOLDS: 2, rules.BELOW: 3}


@dataclass(frozen=True)
class ReportRow:
    standing: PartnerStanding
    status: str
    results: tuple[RequirementResult, ...]
    progress: float
    at_risk_since: date | None
    demotion_on: date | None

    @property
    def organization(self):
        return self.standing.organization


@dataclass(frozen=True)
class TierReport:
    target: str
    program: Program
    rows: list[ReportRow]
    total: int
    counts: dict[str, int]
    # Partners a tier review would change today (promotion, grace period, demotion).
    due: int


def parse_target(value: str | None) -> str:
    return value if value in rules.TIERS[1:] else "gold"


def parse_partner_type(value: str | None) -> str | None:
    return value if value in set(PartnerType) else None


def build(target: str, show: str = "all", sort: str = "status", descending: bool = False,
          now: datetime | None = None, partner_type: str | None = None) -> TierReport:
    """Every active partner (of `partner_type`, when given) against `target`; `show` keeps
    "qualifies for target but is below it" or "holds target but is at risk"."""
    program = service.program_in_force()
    standings = service.standings(now, program, results_for=(target,))
    if partner_type is not None:
        standings = [s for s in standings if s.organization.partner_type == partner_type]
    today = program_today(now)
    grace = program.grace_period_days
    rows = []
    counts = {key: 0 for key in STATUS_ORDER}
    due = 0  # partners a tier review would change today
    for standing in standings:
        result = standing.evaluation.for_tier(target)
        current, qualified = standing.current, standing.qualified
        status = rules.status_for(current, qualified, target)
        counts[status] += 1
        at_risk_since = standing.organization.at_risk_since
        since = at_risk_since if status == rules.AT_RISK else None
        rows.append(ReportRow(standing, status, result.results, result.progress, since,
                              rules.demotion_date(since, grace)))
        if rules.decide(current, qualified, at_risk_since, today, grace).changes:
            due += 1
    if show == "qualifies":
        rows = [r for r in rows if r.status == rules.PROMOTION_DUE]
    elif show == "at_risk":
        rows = [r for r in rows if r.status == rules.AT_RISK
                and r.standing.current == target]
    keys = {
        "name": lambda r: r.organization.name.casefold(),
        "current": lambda r: (rules.rank(r.standing.current), r.organization.name.casefold()),
        "qualified": lambda r: (rules.rank(r.standing.qualified),
                                r.organization.name.casefold()),
        "status": lambda r: (STATUS_ORDER[r.status], -r.progress,
                             r.organization.name.casefold()),
        "progress": lambda r: (r.progress, r.organization.name.casefold()),
    }
    rows.sort(key=keys.get(sort, keys["status"]), reverse=descending)
    return TierReport(target, program, rows, len(standings), counts, due)


def csv_table(report: TierReport) -> tuple[list[str], list[list[object]]]:
    """The report as a spreadsheet: every row (not only a page), each requirement's actual
    and required value in two columns, and the gaps in words."""
    program = report.program
    vocab = present.vocabulary()
    header = [_("Partner"), _("Slug"), _("Current tier"), _("Qualifies for"), _("Status"),
              _("At risk since"), _("Demotion on")]
    for requirement in program.rule(report.target).requirements:
        name = present.label(requirement, program, vocab)
        header += [_("%(requirement)s: actual", requirement=name),
                   _("%(requirement)s: required", requirement=name)]
    header += [_("Gap"), _("Partner type")]  # the type last: added later, columns stay put
    # Thousands of rows repeat a few labels and gaps: each is put in words once.
    tier_label = functools.cache(lambda tier: str(TIER_LABELS[tier]))
    status_text = functools.cache(present.status_text)
    type_label = functools.cache(lambda kind: str(PARTNER_TYPE_LABELS[kind]))
    gap = functools.cache(lambda result: present.gap(result, program))
    rows = []
    for row in report.rows:
        org = row.organization
        line: list[object] = [
            org.name, org.slug, tier_label(row.standing.current),
            tier_label(row.standing.qualified), status_text(row.status),
            row.at_risk_since.isoformat() if row.at_risk_since else "",
            row.demotion_on.isoformat() if row.demotion_on else ""]
        for result in row.results:
            line += [result.actual, result.required]
        line += ["; ".join(g for g in (gap(r) for r in row.results) if g),
                 type_label(org.partner_type)]
        rows.append(line)
    return header, rows
