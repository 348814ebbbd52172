"""Demo deals, certified staff and tier history, so the tier report tells a story:
aozora-consulting qualifies for Gold but is still Silver, fuji-crm-lab is a Gold partner at
risk, sakura-systems holds Gold, kumo-works (new) has its first registration, flagged as a
conflict with Sakura's; minato-cloud qualifies for Silver, northwind-advisory is a Silver
partner near the end of its grace period, harbor-lane is JPY 2,000,000 short of Gold."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from werkzeug.security import generate_password_hash

from lms.demo import DEMO_PASSWORD, FAMILY_NAMES, GIVEN_NAMES
from lms.extensions import db
from lms.models import (
    Award,
    Credential,
    Deal,
    JobFunction,
    Organization,
    Role,
    Tier,
    TierChange,
    TierChangeKind,
    User,
)
from lms.models.users import PASSWORD_METHOD
from lms.tiers import rules

NCSP = "nimbus-certified-sales-professional"
NCIE = "nimbus-certified-implementation-engineer"

# Customers: a place and a line of business, written the Japanese or the English way.
PLACES = ["Marunouchi", "Kansai", "Hokuriku", "Setouchi", "Tamagawa", "Shinagawa",
          "Kyushu", "Yokohama", "Sendai", "Osaka", "Chiba", "Hiroshima", "Okinawa", "Kobe",
          "Sapporo", "Nagoya", "Fukuoka", "Tohoku", "Shizuoka", "Niigata", "Kanazawa"]
PLACES_JA = ["東邦", "青葉", "みなと", "ひかり", "中央", "いろは", "北斗", "ふじ", "大和",
             "あさひ", "つばめ", "しずく", "はやぶさ", "ながの", "みどり", "こだま", "うみ",
             "やまと", "かえで", "さくら"]
BUSINESSES = [("Logistics", "物流"), ("Medical", "メディカル"), ("Retail", "リテール"),
              ("Real Estate", "不動産"), ("Precision", "精機"), ("Financial", "フィナンシャル"),
              ("Foods", "食品"), ("Telecom", "通信"), ("Energy", "エナジー"),
              ("Construction", "建設"), ("Electronics", "電子"), ("Insurance", "保険"),
              ("Travel", "トラベル"), ("Pharma", "製薬"), ("Auto Parts", "自動車部品"),
              ("Education", "教育"), ("Hotels", "ホテルズ"), ("Agritech", "アグリテック")]
SUFFIXES = ["Co., Ltd.", "Inc.", "K.K.", "Holdings", "Corp."]
PRODUCTS = [
    ("Nimbus CRM Enterprise", 4_000_000, 9_000_000),
    ("Nimbus CRM Professional", 1_200_000, 3_500_000),
    ("Nimbus Service Cloud add-on", 800_000, 2_400_000),
    ("Nimbus CRM implementation services", 2_000_000, 6_000_000),
]


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
NAMED = {
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


def _customer_names(rng: random.Random) -> list[str]:
    """Every customer once (no accidental conflicts between demo partners), shuffled."""
    names = [f"{place} {en} {rng.choice(SUFFIXES)}" for place in PLACES
             for en, _ja in BUSINESSES]
    names += [f"株式会社{place}{ja}" if rng.random() < 0.6 else f"{place}{ja}株式会社"
              for place in PLACES_JA for _en, ja in BUSINESSES]
    names = [n for n in names if "みなと不動産" not in n]  # kept for the demo's conflict
    rng.shuffle(names)
    return names


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(hour=rng.randint(1, 9), minute=rng.randint(0, 59)),
                            tzinfo=UTC)


def _amounts(total: int, count: int, rng: random.Random) -> list[int]:
    """`count` believable amounts (multiples of 10,000 yen) that add up to `total`."""
    if count == 0:
        return []
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    scale = total / sum(weights)
    amounts = [int(w * scale) // 10_000 * 10_000 for w in weights]
    amounts[-1] += total - sum(amounts)
    return amounts


def seed_tier_demo(today: date) -> tuple[int, int]:
    """Deals, certified staff and tier history for every demo partner (once: skipped when
    any deal exists). Returns the numbers of deals and of people created."""
    if db.session.scalar(db.select(Deal.id).limit(1)) is not None:
        return 0, 0
    from lms.deals import service as deals

    rng = random.Random(1127)  # noqa: S311 - reproducible demo data, not security
    manager = db.session.scalar(db.select(User).where(User.email == "manager@demo.test"))
    orgs = list(db.session.scalars(db.select(Organization).where(Organization.id.in_(
        db.select(User.organization_id).where(User.email.like("%.demo.test"))))
        .order_by(Organization.id)))
    credentials = {c.slug: c for c in db.session.scalars(db.select(Credential))}
    created = people = 0
    window_start = rules.window_start(today, 12).date()
    customers = iter(_customer_names(rng))

    for org in orgs:
        profile = NAMED.get(org.slug) or _profile_for(org.tier, rng)
        seller = db.session.scalar(db.select(User).where(
            User.email == f"sales@{org.slug}.demo.test"))
        people += _certified_staff(org, profile, credentials, today, rng)
        days_in_window = (today - window_start).days

        def register(customer: str, registered: date, product=None, amount=None, org=org,
                     seller=seller):
            name, low, high = product or rng.choice(PRODUCTS)
            deal = deals.register_deal(
                org, seller, customer_name=customer,
                amount=amount if amount is not None else rng.randint(low, high) // 10_000
                * 10_000, currency="JPY", product=name,
                description=f"{name} for {customer}.",
                expected_close_on=registered + timedelta(days=rng.randint(45, 120)),
                now=_moment(registered, rng))
            return deal

        # Won in the window: amounts add up to the profile's revenue.
        for amount in _amounts(profile.revenue, profile.won, rng):
            closed = today - timedelta(days=rng.randint(3, days_in_window - 2))
            registered = closed - timedelta(days=rng.randint(20, 80))
            deal = register(next(customers), registered, amount=max(amount, 300_000))
            deals.change_status(deal, "approve", manager,
                                now=_moment(registered + timedelta(days=2), rng))
            deals.change_status(deal, "won", manager, now=_moment(closed, rng))
            created += 1
        # Won before the window (13 to 18 months ago): history that no longer counts.
        for _ in range(rng.randint(1, 3) if profile.won else 0):
            closed = today - timedelta(days=rng.randint(380, 540))
            registered = closed - timedelta(days=rng.randint(20, 80))
            deal = register(next(customers), registered)
            deals.change_status(deal, "approve", manager,
                                now=_moment(registered + timedelta(days=3), rng))
            deals.change_status(deal, "won", manager, now=_moment(closed, rng))
            created += 1
        for _ in range(profile.lost):
            closed = today - timedelta(days=rng.randint(10, 500))
            deal = register(next(customers), closed - timedelta(days=rng.randint(30, 80)))
            deals.change_status(deal, "approve", manager, now=_moment(
                closed - timedelta(days=20), rng))
            deals.change_status(deal, "lost", manager, now=_moment(closed, rng))
            created += 1
        if profile.won > 5:  # one rejected registration and one that expired
            registered = today - timedelta(days=rng.randint(100, 300))
            deal = register(next(customers), registered)
            deals.change_status(deal, "reject", manager,
                                reason="The customer is a named account of the vendor's "
                                       "direct sales team.",
                                now=_moment(registered + timedelta(days=4), rng))
            created += 1
        for index in range(profile.open_deals):
            registered = today - timedelta(days=rng.randint(2, 60))
            customer = next(customers)
            if org.slug == "sakura-systems" and index == 0:
                customer = "株式会社みなと不動産"
                registered = today - timedelta(days=20)
            if org.slug == "kumo-works":
                # Kumo Works' first registration collides with Sakura's open deal.
                customer = "みなと不動産(株)"
                registered = today - timedelta(days=3)
            deal = register(customer, registered)
            if index % 2 and org.slug != "kumo-works":
                deals.change_status(deal, "approve", manager,
                                    now=_moment(registered + timedelta(days=1), rng))
            created += 1
        db.session.flush()
        _tier_history(org, today, rng)
    return created, people


@functools.cache
def _password_hash() -> str:
    """The demo password's scrypt hash, computed once (it is slow on purpose)."""
    return generate_password_hash(DEMO_PASSWORD, method=PASSWORD_METHOD)


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
            db.select(db.func.count(db.func.distinct(Award.user_id)))
            .join(User, Award.user_id == User.id)
            .where(User.organization_id == org.id, Award.credential_id == credential.id,
                   Award.revoked_at.is_(None), Award.expires_at > now)) or 0
        holders = set(db.session.scalars(db.select(Award.user_id)
                                         .where(Award.credential_id == credential.id)))
        people = [u for u in db.session.scalars(db.select(User).where(
            User.organization_id == org.id, User.job_function == job, User.active.is_(True)))
            if u.id not in holders]
        number = 2
        while have < wanted:
            if people:
                person = people.pop()
            else:
                email = f"{prefix}{number}@{org.slug}.demo.test"
                number += 1
                if db.session.scalar(db.select(User.id).where(User.email == email)):
                    continue
                person = User(email=email, role=Role.MEMBER, organization=org,
                              job_function=job, password_hash=_password_hash(),
                              name=f"{rng.choice(GIVEN_NAMES)} {rng.choice(FAMILY_NAMES)}")
                db.session.add(person)
                db.session.flush()
                added += 1
            issued = now - timedelta(days=rng.randint(30, 600))
            db.session.add(Award(user_id=person.id, credential_id=credential.id, period=1,
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
        to_tier=org.tier, at=_moment(reached, rng),
        evidence={"qualified": org.tier.value, "current": previous.value, "tiers": {}}))
    org.tier_since = reached
    days = AT_RISK_DAYS.get(org.slug)
    if days:
        org.at_risk_since = today - timedelta(days=days)
        db.session.add(TierChange(
            organization_id=org.id, kind=TierChangeKind.AT_RISK, from_tier=org.tier,
            to_tier=org.tier, at=_moment(org.at_risk_since, rng),
            evidence={"qualified": "silver", "current": org.tier.value, "tiers": {}}))
