"""Demo deals, certified staff and tier history, so the tier report tells a story:
aozora-consulting qualifies for Gold but is still Silver, fuji-crm-lab is a Gold partner at
risk, sakura-systems holds Gold, kumo-works (new) has its first registration, flagged as a
conflict with Sakura's; minato-cloud qualifies for Silver but its promotion was held back at
the last review (the reseller agreement is not signed yet), northwind-advisory is a Silver
partner near the end of its grace period, harbor-lane is JPY 2,000,000 short of Gold."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from lms.clock import program_zone
from lms.deals import registration as deals
from lms.demo.dates import moment, morning
from lms.demo.deals import CONFLICT_CUSTOMER, customer_names, register_deal
from lms.demo.learning import NAMED_EXAMS
from lms.demo.people import (
    ADMIN_EMAIL,
    MANAGER_EMAIL,
    demo_orgs,
    partner_email,
    password_hash,
    person,
    random_name,
    seller,
)
from lms.extensions import db
from lms.models import (
    Award,
    Course,
    Credential,
    Deal,
    JobFunction,
    ManualRequirementRecord,
    Organization,
    Role,
    Tier,
    TierChange,
    TierChangeKind,
    TierHold,
    TierProgramVersion,
    User,
)
from lms.tiers import rules
from lms.tiers.program import Requirement, TierRule, program_to_dict

NCSP = "nimbus-certified-sales-professional"
NCIE = "nimbus-certified-implementation-engineer"


@dataclass(frozen=True)
class Profile:
    """What a demo partner has in the review window."""

    won: int
    revenue: int
    sales_certified: int
    engineers_certified: int
    open_deals: int = 2
    lost: int = 2


# The named partners and the at-risk Gold partner; the rest get a profile for their tier.
NAMED_PROFILES = {
    "sakura-systems": Profile(14, 48_500_000, 5, 3, open_deals=4, lost=3),
    "aozora-consulting": Profile(11, 34_200_000, 4, 2, open_deals=3, lost=2),
    "kumo-works": Profile(0, 0, 0, 0, open_deals=1, lost=0),
    "fuji-crm-lab": Profile(7, 21_800_000, 4, 2, open_deals=2, lost=4),
    "minato-cloud": Profile(4, 9_600_000, 2, 1, open_deals=2, lost=1),
    "northwind-advisory": Profile(2, 4_100_000, 1, 1, open_deals=1, lost=3),
    "harbor-lane": Profile(10, 28_000_000, 4, 2, open_deals=3, lost=2),
}
AT_RISK_DAYS = {"fuji-crm-lab": 41, "northwind-advisory": 75}


def _profile_for(tier: Tier, rng: random.Random) -> Profile:
    if tier == Tier.PLATINUM:
        return Profile(rng.randint(26, 32), rng.randint(105, 140) * 1_000_000, 9, 6, 5, 4)
    if tier == Tier.GOLD:
        return Profile(rng.randint(10, 16), rng.randint(31, 60) * 1_000_000,
                       rng.randint(4, 6), rng.randint(2, 3), 3, 3)
    if tier == Tier.SILVER:
        return Profile(rng.randint(3, 8), rng.randint(8, 25) * 1_000_000,
                       rng.randint(2, 3), rng.randint(1, 2), 2, 2)
    return Profile(rng.randint(0, 2), rng.randint(0, 5) * 1_000_000, rng.randint(0, 1),
                   rng.randint(0, 1), rng.randint(0, 2), rng.randint(0, 1))


def _amounts(total: int, count: int, rng: random.Random) -> list[int]:
    """`count` believable amounts (multiples of 10,000 yen) that add up to `total`."""
    if count == 0:
        return []
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    scale = total / sum(weights)
    amounts = [int(w * scale) // 10_000 * 10_000 for w in weights]
    amounts[-1] += total - sum(amounts)
    return amounts


def seed_tier_story(today: date) -> tuple[int, int]:
    """Deals, certified staff and tier history for every demo partner (once: skipped when
    any deal exists). Returns the numbers of deals and of people created."""
    if db.session.scalar(select(Deal.id).limit(1)) is not None:
        return 0, 0
    rng = random.Random(1127)  # noqa: S311 - reproducible demo data, not security
    manager = person(MANAGER_EMAIL)
    credentials = {c.slug: c for c in db.session.scalars(select(Credential))}
    created = people = 0
    window_start = rules.window_start(today, 12, program_zone()).date()
    days_in_window = (today - window_start).days
    customers = iter(customer_names(rng))

    for org in demo_orgs():
        profile = NAMED_PROFILES.get(org.slug) or _profile_for(org.tier, rng)
        org_seller = seller(org)
        people += _certified_staff(org, profile, credentials, today, rng)

        # Won in the window: amounts add up to the profile's revenue.
        for amount in _amounts(profile.revenue, profile.won, rng):
            closed = today - timedelta(days=rng.randint(3, days_in_window - 2))
            registered = closed - timedelta(days=rng.randint(20, 80))
            deal = register_deal(org, org_seller, next(customers), registered, rng,
                                 amount=max(amount, 300_000))
            deals.change_status(deal, "approve", manager,
                                now=moment(registered + timedelta(days=2), rng))
            deals.change_status(deal, "won", manager, now=moment(closed, rng))
            created += 1
        # Won before the window (13 to 18 months ago): history that no longer counts.
        for _ in range(rng.randint(1, 3) if profile.won else 0):
            closed = today - timedelta(days=rng.randint(380, 540))
            registered = closed - timedelta(days=rng.randint(20, 80))
            deal = register_deal(org, org_seller, next(customers), registered, rng)
            deals.change_status(deal, "approve", manager,
                                now=moment(registered + timedelta(days=3), rng))
            deals.change_status(deal, "won", manager, now=moment(closed, rng))
            created += 1
        for _ in range(profile.lost):
            closed = today - timedelta(days=rng.randint(10, 500))
            deal = register_deal(org, org_seller, next(customers),
                                 closed - timedelta(days=rng.randint(30, 80)), rng)
            deals.change_status(deal, "approve", manager, now=moment(
                closed - timedelta(days=20), rng))
            deals.change_status(deal, "lost", manager, now=moment(closed, rng))
            created += 1
        if profile.won > 5:  # one rejected registration and one that expired
            registered = today - timedelta(days=rng.randint(100, 300))
            deal = register_deal(org, org_seller, next(customers), registered, rng)
            deals.change_status(deal, "reject", manager,
                                reason="The customer is a named account of the vendor's "
                                       "direct sales team.",
                                now=moment(registered + timedelta(days=4), rng))
            created += 1
        for index in range(profile.open_deals):
            registered = today - timedelta(days=rng.randint(2, 60))
            customer = next(customers)
            if org.slug == "sakura-systems" and index == 0:
                customer = f"株式会社{CONFLICT_CUSTOMER}"
                registered = today - timedelta(days=20)
            if org.slug == "kumo-works":
                # Kumo Works' first registration collides with Sakura's open deal.
                customer = f"{CONFLICT_CUSTOMER}(株)"
                registered = today - timedelta(days=3)
            deal = register_deal(org, org_seller, customer, registered, rng)
            if index % 2 and org.slug != "kumo-works":
                deals.change_status(deal, "approve", manager,
                                    now=moment(registered + timedelta(days=1), rng))
            created += 1
        db.session.flush()
        _tier_history(org, today, rng)
    _held_promotion(today, manager)
    return created, people


# A promotion a manager held back at the last tier review, and why (shown on the partner's
# page; the review proposes it again until someone applies it).
HELD = {"minato-cloud": ("silver", 6, "Waiting for the countersigned reseller agreement: "
                                      "sent to their legal team, promised for next week.")}


def _held_promotion(today: date, manager: User | None) -> None:
    for org in demo_orgs():
        if org.slug not in HELD:
            continue
        tier, days_ago, reason = HELD[org.slug]
        rng = random.Random(org.slug + "/held")  # noqa: S311 - reproducible demo data
        db.session.add(TierHold(
            organization_id=org.id, kind=TierChangeKind.PROMOTION, from_tier=org.tier,
            to_tier=Tier(tier), reason=reason, actor_id=manager.id if manager else None,
            at=moment(today - timedelta(days=days_ago), rng),
            evidence={"qualified": tier, "current": org.tier.value, "tiers": {}}))


def _certified_staff(org: Organization, profile: Profile, credentials: dict[str, Credential],
                     today: date, rng: random.Random) -> int:
    """Add certified people until the company has the profile's counts (the demo's three
    people per company are not enough for Gold)."""
    now = datetime.combine(today, time(), tzinfo=UTC)
    added = 0
    for slug, job, wanted, prefix in ((NCSP, JobFunction.SALES, profile.sales_certified,
                                       "sales"),
                                      (NCIE, JobFunction.TECHNICAL,
                                       profile.engineers_certified, "engineer")):
        credential = credentials.get(slug)
        if credential is None:
            continue
        have = db.session.scalar(
            select(func.count(func.distinct(Award.user_id)))
            .join(User, Award.user_id == User.id)
            .where(User.organization_id == org.id, Award.credential_id == credential.id,
                   Award.revoked_at.is_(None), Award.expires_at > now)) or 0
        holders = set(db.session.scalars(select(Award.user_id)
                                         .where(Award.credential_id == credential.id)))
        # Not the people whose exam story the demo tells (Aozora's engineer has failed the
        # exam twice: certifying them here would contradict their own pages).
        people = [u for u in db.session.scalars(select(User).where(
            User.organization_id == org.id, User.job_function == job, User.active.is_(True)))
            if u.id not in holders and u.email not in NAMED_EXAMS]
        number = 2
        while have < wanted:
            if people:
                staff = people.pop()
            else:
                email = partner_email(f"{prefix}{number}", org.slug)
                number += 1
                if db.session.scalar(select(User.id).where(User.email == email)):
                    continue
                staff = User(email=email, role=Role.MEMBER, organization=org,
                             job_function=job, password_hash=password_hash(),
                             name=random_name(rng))
                db.session.add(staff)
                db.session.flush()
                added += 1
            issued = now - timedelta(days=rng.randint(30, 600))
            db.session.add(Award(user_id=staff.id, credential_id=credential.id, period=1,
                                 issued_at=issued, expires_at=issued + timedelta(days=730)))
            have += 1
    return added


def _tier_history(org: Organization, today: date, rng: random.Random) -> None:
    """How the partner reached its tier, and the open grace period of the at-risk one."""
    if org.tier == Tier.BRONZE:
        org.tier_since = org.signed_on
        return
    reached = max(org.signed_on + timedelta(days=120),
                  today - timedelta(days=rng.randint(150, 500)))
    previous = list(Tier)[org.tier.rank - 1]
    db.session.add(TierChange(
        organization_id=org.id, kind=TierChangeKind.PROMOTION, from_tier=previous,
        to_tier=org.tier, at=moment(reached, rng),
        evidence={"qualified": org.tier.value, "current": previous.value, "tiers": {}}))
    org.tier_since = reached
    days = AT_RISK_DAYS.get(org.slug)
    if days:
        org.at_risk_since = today - timedelta(days=days)
        db.session.add(TierChange(
            organization_id=org.id, kind=TierChangeKind.AT_RISK, from_tier=org.tier,
            to_tier=org.tier, at=moment(org.at_risk_since, rng),
            evidence={"qualified": "silver", "current": org.tier.value, "tiers": {}}))


# The rules' second version: Platinum also asks for a joint business plan, which only the
# channel team can confirm, and five sales people who completed Selling Nimbus CRM (its
# lessons and quiz). The Platinum partner has both; Sakura Systems (Gold, on its way) has
# agreed its plan too, and two of its sellers have completed the course, so its Platinum
# scorecard shows one requirement met and the course three people short.
BUSINESS_PLAN = Requirement("manual", 1, item="joint-business-plan",
                            name="Joint business plan for the year, agreed with the channel team")
PLANS = {"sakura-systems": (40, "Plan FY2027 agreed on the kick-off call; minutes in the "
                                "partner folder (ref. JBP-2027-SAK).")}
SELLING_COURSE = "selling-nimbus-crm"
TRAINED_SELLERS = Requirement("trained_people", 5, job_function="sales", course=SELLING_COURSE)
SELLERS_TRAINED = {"sakura-systems": 2}
PLATINUM_SELLERS_TRAINED = 6


def seed_manual_requirement(today: date) -> None:
    """Add the business plan and the trained sellers to Platinum, record who has a plan and
    train the sellers (once)."""
    from lms.tiers import service

    program, _version = service.current_program()
    if any(r.kind == "manual" for rule in program.tiers for r in rule.requirements) or \
            db.session.scalar(select(ManualRequirementRecord.id).limit(1)) is not None:
        return
    platinum = program.rule("platinum")
    if not platinum.requirements:
        return
    admin = person(ADMIN_EMAIL)
    manager = person(MANAGER_EMAIL)
    added = [BUSINESS_PLAN]
    if db.session.scalar(select(Course.id).where(Course.slug == SELLING_COURSE,
                                                 Course.archived_at.is_(None))):
        added.append(TRAINED_SELLERS)
        for org in demo_orgs():
            wanted = SELLERS_TRAINED.get(org.slug) or (
                PLATINUM_SELLERS_TRAINED if org.tier == Tier.PLATINUM else 0)
            _train_sellers(org, wanted, today)
    tiers = tuple(TierRule(rule.tier, (*rule.requirements, *added))
                  if rule.tier == "platinum" else rule for rule in program.tiers)
    # Stored as the rules editor would (not through save_program, which commits first: the
    # demo is written in one transaction, its caller commits).
    number = db.session.scalar(select(func.max(TierProgramVersion.number))) or 0
    db.session.add(TierProgramVersion(
        number=number + 1, rules=program_to_dict(replace(program, tiers=tiers)), source="ui",
        note="Platinum partners agree a joint business plan with us every year, and five "
             "of their sales people complete Selling Nimbus CRM.",
        created_by_id=admin.id if admin else None))
    for org in demo_orgs():
        plan = PLANS.get(org.slug) or ((20, "Plan agreed at the annual review.")
                                        if org.tier == Tier.PLATINUM else None)
        if plan is None:
            continue
        days_ago, evidence = plan
        db.session.add(ManualRequirementRecord(
            organization_id=org.id, item=BUSINESS_PLAN.item, met_on=today - timedelta(
                days=days_ago), evidence=evidence, recorded_by_id=manager.id if manager else None,
            recorded_at=moment(today - timedelta(days=days_ago - 1),
                               random.Random(org.slug + "/plan"))))  # noqa: S311 - demo data
    db.session.flush()


def _train_sellers(org: Organization, wanted: int, today: date) -> None:
    """`wanted` of the company's certified sales staff complete Selling Nimbus CRM (not the
    demo's own three people, whose progress tells its own story)."""
    if not wanted:
        return
    from lms.credentials.service import award_earned
    from lms.demo.learning import complete_course
    from lms.demo.people import is_core_demo_person

    staff = [u for u in db.session.scalars(select(User).where(
        User.organization_id == org.id, User.job_function == JobFunction.SALES,
        User.active.is_(True)).order_by(User.id)) if not is_core_demo_person(u)][:wanted]
    rng = random.Random(org.slug + "/trained")  # noqa: S311 - reproducible demo data
    for user in staff:
        complete_course(user, SELLING_COURSE, morning(today) - timedelta(
            days=rng.randint(20, 200)), rng)
    award_earned(staff, morning(today))
