"""What each role's home asks of them today: counts that link to the filtered lists.

A channel manager sees promotions due, tiers at risk, partners at health risk,
certifications expiring, deals awaiting a decision and conflicts among them; a partner admin
sees the company's gap to the next tier, people stalled in onboarding, certifications
expiring and deals waiting on the vendor. Each count is exactly the length of the list its
tile links to, so the home and the list never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from lms.clock import local_date, program_today
from lms.credentials.rules import EXPIRING_SOON
from lms.deals.expiry import expiry_days
from lms.extensions import db
from lms.models import Deal, DealStatus, Organization, utcnow
from lms.terms.rules import VersionInfo
from lms.tiers import rules

# Deals expiring this soon are called out on the partner admin's tile.
DEALS_EXPIRING_SOON = timedelta(days=14)


# --- Pure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierMoves:
    """Active partners whose standing a tier review would act on, in all and per tier as
    the tier report lists them (`show=qualifies` / `show=at_risk` for that tier)."""

    promotions_total: int  # partners qualifying above the tier they hold
    at_risk_total: int  # partners no longer meeting the tier they hold
    promotions: dict[str, int]  # tier -> partners below it that reach it
    at_risk: dict[str, int]  # tier -> partners holding it without meeting it


def tier_moves(standings: Iterable[tuple[str, str]]) -> TierMoves:
    """From (current tier, qualified tier) pairs; per-tier counts highest tier first, only
    tiers with someone in them. A Bronze partner reaching Gold is counted under Silver and
    under Gold (both lists show it) and once in the total."""
    targets = sorted(rules.TIERS[1:], key=rules.rank, reverse=True)
    promotions = dict.fromkeys(targets, 0)
    at_risk = dict.fromkeys(targets, 0)
    promotions_total = at_risk_total = 0
    for current, qualified in standings:
        status = rules.status_for(current, qualified)
        promotions_total += status == rules.PROMOTION_DUE
        at_risk_total += status == rules.AT_RISK
        for target in targets:
            status = rules.status_for(current, qualified, target)
            if status == rules.PROMOTION_DUE:
                promotions[target] += 1
            elif status == rules.AT_RISK and current == target:
                at_risk[target] += 1
    return TierMoves(promotions_total, at_risk_total,
                     {t: n for t, n in promotions.items() if n},
                     {t: n for t, n in at_risk.items() if n})


def tier_gap(results: Iterable[rules.RequirementResult]) -> int:
    """How many of a tier's requirements are not met yet."""
    return sum(1 for result in results if not result.met)


# --- From the database --------------------------------------------------------------------


@dataclass(frozen=True)
class DealsWaiting:
    count: int  # registered, not decided yet
    conflicts: int  # of those, the ones that clash with another partner's registration
    oldest: date | None  # the registration day of the longest waiting
    expiring_soon: int  # of those, the ones that expire within DEALS_EXPIRING_SOON


def deals_waiting(organization_id: int | None = None, now: datetime | None = None
                  ) -> DealsWaiting:
    """Registered deals awaiting the vendor's decision (one company's, or all), in one query."""
    now = now or utcnow()
    soon = now - timedelta(days=expiry_days()) + DEALS_EXPIRING_SOON
    stmt = select(func.count(Deal.id), func.count(Deal.conflict_with_id),
                  func.min(Deal.registered_at),
                  func.count(Deal.id).filter(Deal.registered_at < soon)
                  ).where(Deal.status == DealStatus.REGISTERED)
    if organization_id is not None:
        stmt = stmt.where(Deal.organization_id == organization_id)
    count, conflicts, oldest, expiring = db.session.execute(stmt).one()
    return DealsWaiting(count, conflicts, local_date(oldest) if oldest else None, expiring)


@dataclass(frozen=True)
class ManagerToday:
    moves: TierMoves
    health_at_risk: int
    expiring_credentials: int
    deals: DealsWaiting
    partners_by_tier: dict[str, int]
    today: date
    expiring_days: int = EXPIRING_SOON.days


def manager_today(now: datetime | None = None) -> ManagerToday:
    """The channel manager's home: what needs a decision or a call today."""
    from lms.credentials.service import expiring_count
    from lms.reports import health
    from lms.reports.program_facts import health_report
    from lms.tiers.service import standings

    now = now or utcnow()
    rows = standings(now, results_for=())
    by_tier = {tier: 0 for tier in rules.TIERS}
    for standing in rows:
        by_tier[standing.current] += 1
    return ManagerToday(
        moves=tier_moves((s.current, s.qualified) for s in rows),
        health_at_risk=health_report(now).counts.get(health.AT_RISK, 0),
        expiring_credentials=expiring_count(None, now),
        deals=deals_waiting(None, now),
        partners_by_tier=by_tier,
        today=program_today(now),
    )


@dataclass(frozen=True)
class PartnerToday:
    organization: Organization
    next_tier: str | None  # None at the top tier
    gap: int  # requirements of next_tier not met yet
    at_risk: bool  # holds a tier it no longer meets
    keep_gap: int  # requirements of the current tier not met (when at risk)
    stalled: int  # people stalled in onboarding
    expiring_credentials: int
    deals: DealsWaiting
    # Program terms versions the company has not accepted (in force first, then coming);
    # `terms_blocking`: the one in force is among them, so its people are held up.
    terms_pending: tuple[VersionInfo, ...] = ()
    terms_blocking: bool = False
    expiring_days: int = EXPIRING_SOON.days
    deals_soon_days: int = DEALS_EXPIRING_SOON.days


def partner_today(organization: Organization, standing, now: datetime | None = None
                  ) -> PartnerToday:
    """A partner admin's home, for `organization` only (its `standing` is already known)."""
    from lms.courses.service import stalled_people
    from lms.credentials.service import expiring_count
    from lms.terms import service as terms

    now = now or utcnow()
    today = program_today(now)
    asked = terms.to_accept(today)
    accepted = terms.accepted_ids(organization.id, [v.id for v in asked])
    pending = tuple(v for v in asked if v.id not in accepted)
    current = standing.current
    following = rules.next_tier(current)
    at_risk = rules.rank(standing.qualified) < rules.rank(current)
    return PartnerToday(
        organization=organization,
        next_tier=following,
        gap=tier_gap(standing.evaluation.for_tier(following).results) if following else 0,
        at_risk=at_risk,
        keep_gap=tier_gap(standing.evaluation.for_tier(current).results) if at_risk else 0,
        stalled=len(stalled_people(organization, now)),
        expiring_credentials=expiring_count(organization.id, now),
        deals=deals_waiting(organization.id, now),
        terms_pending=pending,
        terms_blocking=any(v.effective_on <= today for v in pending),
    )
