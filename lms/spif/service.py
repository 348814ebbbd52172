"""SPIF campaigns in the database: saving them, and what each owes, computed from the won
deals each time it is read (lms.spif.rules): a deal won, edited or reopened counts as it
is now. Services flush; views commit."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select

from lms.clock import program_zone, utcnow
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import (
    Deal,
    DealStatus,
    Organization,
    SpifCampaign,
    SpifRule,
    Tier,
    TierChange,
    User,
)
from lms.spif import rules
from lms.spif.rules import Accrual, TierMove, WonDeal
from lms.tiers.service import program_in_force


class CampaignError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class CampaignData:
    name: str
    description: str
    rule: SpifRule
    product: str
    bonus: int
    starts_on: date
    ends_on: date
    tiers: tuple[str, ...] = ()


def campaigns() -> list[SpifCampaign]:
    """Every campaign, the latest first."""
    return list(db.session.scalars(select(SpifCampaign).order_by(
        SpifCampaign.starts_on.desc(), SpifCampaign.id.desc())))


def save(campaign: SpifCampaign | None, data: CampaignData, actor: User) -> SpifCampaign:
    """Create a campaign (campaign None) or change one; what it owes follows at once."""
    problem = rules.dates_problem(data.starts_on, data.ends_on)
    if problem == "out_of_range":
        raise CampaignError(_("Choose days from %(first)d to %(last)d.", first=rules.YEARS[0],
                              last=rules.YEARS[1]), "starts_on")
    if problem == "before_start":
        raise CampaignError(_("The last day comes on or after the first."), "ends_on")
    if problem == "too_long":
        raise CampaignError(_("A campaign lasts %(n)d days at most.", n=rules.MAX_DAYS),
                            "ends_on")
    if campaign is None:
        campaign = SpifCampaign(created_by_id=actor.id, currency=program_in_force().currency)
        db.session.add(campaign)
    campaign.name = " ".join(data.name.split())
    campaign.description = data.description.strip()
    campaign.rule = data.rule
    campaign.product = " ".join(data.product.split())
    campaign.bonus = data.bonus
    campaign.starts_on, campaign.ends_on = data.starts_on, data.ends_on
    campaign.tiers = [tier.value for tier in Tier if tier.value in data.tiers]
    campaign.updated_at = utcnow()
    db.session.flush()
    return campaign


def as_rule(campaign: SpifCampaign) -> rules.Campaign:
    return rules.Campaign(campaign.rule.value, campaign.bonus, campaign.starts_on,
                          campaign.ends_on, campaign.product, frozenset(campaign.tiers or ()))


def accruals_of(campaign: SpifCampaign, organization_id: int | None = None) -> list[Accrual]:
    """The deals that earn the campaign's bonus (of one company when given), oldest first."""
    return accruals_of_many([campaign], organization_id)[campaign.id]


def accruals_of_many(campaigns: Sequence[SpifCampaign], organization_id: int | None = None
                     ) -> dict[int, list[Accrual]]:
    """What each campaign owes (of one company when given), by campaign id, in at most four
    queries whatever the number of campaigns: the won deals of every window; only when a
    campaign needs them, the day each company first won each of its customers and the tier
    changes and tiers of the companies concerned."""
    zone = program_zone()
    ruled = [(campaign.id, as_rule(campaign)) for campaign in campaigns]
    windows = {cid: rules.window(rule, zone) for cid, rule in ruled}
    earned: dict[int, list[Accrual]] = {cid: [] for cid, _rule in ruled}
    if not windows:
        return earned
    stmt = (select(Deal.id, Deal.organization_id, Deal.registered_by_id, Deal.customer_key,
                   Deal.product, Deal.closed_at)
            .where(Deal.status == DealStatus.WON,
                   or_(*(and_(Deal.closed_at >= start, Deal.closed_at < end)
                         for start, end in rules.spans(windows.values())))))
    if organization_id is not None:
        stmt = stmt.where(Deal.organization_id == organization_id)
    deals = [WonDeal(deal_id, org_id, person_id, key, product, closed_at)
             for deal_id, org_id, person_id, key, product, closed_at in db.session.execute(stmt)
             if closed_at is not None]
    if not deals:
        return earned
    companies = sorted({deal.organization_id for deal in deals})
    first_won: dict[tuple[int, str], datetime] = {}
    latest_new = max((windows[cid][0] for cid, rule in ruled
                      if rule.rule == SpifRule.NEW_CUSTOMER), default=None)
    if latest_new is not None:
        first_won = {(org_id, key): at for org_id, key, at in db.session.execute(
            select(Deal.organization_id, Deal.customer_key, func.min(Deal.closed_at))
            .where(Deal.status == DealStatus.WON, Deal.closed_at < latest_new,
                   Deal.organization_id.in_(companies))
            .group_by(Deal.organization_id, Deal.customer_key)) if at is not None}
    moves: dict[int, list[TierMove]] = defaultdict(list)
    current: dict[int, str] = {}
    if any(rule.tiers for _cid, rule in ruled):
        for org_id, at, from_tier, to_tier in db.session.execute(
                select(TierChange.organization_id, TierChange.at, TierChange.from_tier,
                       TierChange.to_tier)
                .where(TierChange.organization_id.in_(companies))
                .order_by(TierChange.at, TierChange.id)):
            moves[org_id].append(TierMove(at, from_tier.value, to_tier.value))
        current = {org_id: tier.value for org_id, tier in db.session.execute(
            select(Organization.id, Organization.tier).where(Organization.id.in_(companies)))}
    for cid, rule in ruled:
        start = windows[cid][0]
        # The customers each company won before this campaign's window (rules.accruals keeps
        # the deals of its window only).
        known = {customer for customer, at in first_won.items() if at < start} \
            if rule.rule == SpifRule.NEW_CUSTOMER else set()
        earned[cid] = rules.accruals(rule, deals, zone, known_customers=known, moves=moves,
                                     current_tiers=current)
    return earned


@dataclass(frozen=True)
class Names:
    """Who the accruals' companies and people are, for pages and CSV."""

    companies: dict[int, Organization]
    people: dict[int, str]


def names_of(earned: list[Accrual]) -> Names:
    org_ids = {a.deal.organization_id for a in earned}
    person_ids = {a.deal.registered_by_id for a in earned if a.deal.registered_by_id}
    companies = {org.id: org for org in db.session.scalars(
        select(Organization).where(Organization.id.in_(org_ids)))} if org_ids else {}
    people = dict(db.session.execute(select(User.id, User.name).where(
        User.id.in_(person_ids))).all()) if person_ids else {}
    return Names(companies, people)


def deals_of(earned: list[Accrual]) -> dict[int, Deal]:
    """The accruals' deals (for their customer and amount on the pages)."""
    ids = [a.deal.id for a in earned]
    if not ids:
        return {}
    return {deal.id: deal for deal in db.session.scalars(select(Deal).where(Deal.id.in_(ids)))}
