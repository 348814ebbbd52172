"""Who hears of tier changes, and of those ahead: partner admins and channel managers.

- applied by the tier review: a promotion or demotion (webhook `tier.changed` too), the
  start of a grace period with its demotion date, or its end when the company recovered;
- held back by a manager in the tier review: the company's partner admins, with the reason;
- found by the daily jobs: a promotion due while managers review tiers by hand, and
  certifications about to lapse that would take a company below a requirement of its tier
  ("On 10 Feb Gold falls to 3 of 4 certified sales people").
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from lms.clock import local_date
from lms.database import start_write_transaction
from lms.event_data import moment, organization_data
from lms.events import publish
from lms.models import Organization, TierChange, TierChangeKind, TierHold, utcnow
from lms.notifications.service import Audience, names_of, notify_all
from lms.tiers import rules
from lms.tiers.program import Program

if TYPE_CHECKING:
    from lms.tiers.service import PartnerRow

CATEGORY = "tiers"
LAPSE_HORIZON_DAYS = 60  # as far ahead as /credentials/expiring looks


def _both_sides(organization_id: int, audience: Audience, kind: str, key: str,
                params: dict, now: datetime) -> int:
    """Tell the company's partner admins and the managers (who get `manager` set)."""
    return (notify_all(audience.partner_admins(organization_id), key, CATEGORY, kind,
                       params, now)
            + notify_all(audience.managers(), key, CATEGORY, kind,
                         {**params, "manager": True}, now))


def applied(organization: Organization, change: TierChange, program: Program,
            audience: Audience, now: datetime) -> None:
    """A change the tier review has just recorded (the company already shows its result)."""
    params = {"partner": organization.name, "path": f"/partners/{organization.slug}",
              "from": change.from_tier.value, "to": change.to_tier.value,
              "kind": change.kind.value, "by_hand": change.reason is not None}
    key = (f"tier:{organization.id}:{change.kind.value}:{change.to_tier.value}:"
           f"{local_date(now).isoformat()}")
    if change.from_tier != change.to_tier:
        publish("tier.changed", {"organization": organization_data(organization),
                                 "previous_tier": change.from_tier.value,
                                 "tier": change.to_tier.value, "kind": change.kind.value,
                                 "at": moment(now)})
        _both_sides(organization.id, audience, "tier_changed", key, params, now)
    elif change.kind == TierChangeKind.RECOVERED:
        _both_sides(organization.id, audience, "tier_recovered", key,
                    {**params, "tier": organization.tier.value}, now)
    elif change.kind == TierChangeKind.AT_RISK and organization.at_risk_since is not None:
        demotion = rules.demotion_date(organization.at_risk_since, program.grace_period_days)
        _both_sides(organization.id, audience, "tier_at_risk", key,
                    {**params, "tier": organization.tier.value,
                     "demotion": demotion.isoformat()}, now)


def held(organization: Organization, hold: TierHold, audience: Audience,
         now: datetime) -> None:
    """A change a manager held back in the tier review: the partner admins read why (the
    managers know: one of them decided it)."""
    params = {"partner": organization.name, "path": f"/partners/{organization.slug}",
              "from": hold.from_tier.value, "to": hold.to_tier.value,
              "kind": hold.kind.value, "reason": hold.reason}
    notify_all(audience.partner_admins(organization.id),
               f"tier-held:{organization.id}:{hold.to_tier.value}:{now.isoformat()}", CATEGORY,
               "tier_held", params, now)


def promotions_due(now: datetime | None = None) -> int:
    """While managers apply tier changes by hand: tell them, and the company, once per tier
    reached, that a promotion waits for the review."""
    from lms.tiers.service import plan

    now = now or utcnow()
    start_write_transaction()
    planned, _program, _version = plan(now)
    audience = Audience()
    written = 0
    for item in planned:
        if item.decision.kind != "promotion" or item.by_hand_only:
            continue  # held back, or undoing a tier set by hand: a manager's, not the review's
        org = item.standing.organization
        since = org.tier_since.isoformat() if org.tier_since else ""
        written += _both_sides(
            org.id, audience, "tier_promotion_due",
            f"tier-due:{org.id}:{org.tier.value}:{since}:{item.decision.tier}",
            {"partner": org.name, "path": f"/partners/{org.slug}", "to": item.decision.tier},
            now)
    return written


def lapses_ahead(now: datetime | None = None) -> int:
    """Warn of each certified-people requirement that expiring, unrenewed certifications
    would take below the company's current tier: once per requirement and day."""
    from lms.credentials.service import expiring_awards
    from lms.tiers.service import program_in_force, standings

    now = now or utcnow()
    start_write_transaction()
    expiring = expiring_awards(now, LAPSE_HORIZON_DAYS)
    if not expiring:
        return 0
    lapsing: dict[int, list] = defaultdict(list)  # company -> its expiring awards
    for award in expiring:
        if award.user.organization_id is not None and award.expires_at is not None:
            lapsing[award.user.organization_id].append(award)
    program = program_in_force()
    companies = [s for s in standings(now, program) if s.organization.id in lapsing]
    audience = Audience()
    written = 0
    for standing in companies:
        org = standing.organization
        # Tiers are cumulative: the company keeps its tier only while every tier up to it
        # is met, so a requirement of a lower tier can break it too.
        for tier_result in standing.evaluation.tiers:
            if rules.rank(tier_result.tier) > rules.rank(standing.current):
                continue
            for result in tier_result.results:
                written += _lapse(org, tier_result.tier, result, lapsing[org.id], audience, now)
    return written


def _lapse(org: PartnerRow | Organization, tier: str, result: rules.RequirementResult,
           lapsing: list, audience: Audience, now: datetime) -> int:
    """Warn of the day `lapsing` awards take one certified-people requirement below its
    minimum, if they do."""
    requirement = result.requirement
    if requirement.kind != "certified_people":
        return 0
    matching = [a for a in lapsing if a.credential.slug == requirement.credential
                and a.expires_at is not None
                and (requirement.job_function is None or (
                    a.user.job_function is not None
                    and a.user.job_function.value == requirement.job_function))]
    shortfall = rules.first_shortfall(result.actual, requirement.min,
                                      [local_date(a.expires_at) for a in matching])
    if shortfall is None:
        return 0
    day, left = shortfall
    credential = matching[0].credential
    return _both_sides(
        org.id, audience, "tier_lapse",
        f"tier-lapse:{org.id}:{tier}:{requirement.key}:{day.isoformat()}",
        {"partner": org.name, "path": f"/partners/{org.slug}", "tier": tier,
         "date": day.isoformat(), "actual": left, "required": requirement.min,
         "job_function": requirement.job_function,
         "credential": names_of(credential.name, credential.translations)}, now)
