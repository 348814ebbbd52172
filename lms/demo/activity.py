"""Demo activity for the KPI and health pages, so `lms demo` shows a believable dashboard.

What it adds to the demo program (each step once; a second run changes nothing):
- a signing date before each partner's first deal (generated partners were given one at
  random, and a few had won deals before they signed);
- three partners that signed this year: riverstone-it and kaze-software with their first
  won deal, midori-data still without one (and quiet since);
- the deals partners lost, so win rates look like a real program's (about 30-60%);
- when people were last seen: most partners active in the last weeks, some people lapsed,
  and two partners quiet for two to three months (midori-data, hoshino-digital), so the
  health list has real at-risk partners with reasons. Only people never seen are touched.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from lms.clock import local_date
from lms.deals import registration as deals
from lms.demo.dates import moment, morning
from lms.demo.deals import LOST_PLACES, lost_customer_names, register_deal
from lms.demo.people import MANAGER_EMAIL, PARTNER_EMAILS, demo_orgs, person, seller
from lms.extensions import db
from lms.models import Attempt, Award, Deal, DealStatus, LessonProgress, User

# slug: (signed this many days ago, days from signing to the first won deal or None)
NEW_PARTNERS = {
    "riverstone-it": (287, 96),
    "kaze-software": (203, 58),
    "midori-data": (251, None),
}
# slug: days since anyone of the company did anything
QUIET_PARTNERS = {"midori-data": 97, "hoshino-digital": 64}
# How likely each person of a company (besides its admin and seller) was seen lately; the
# others draw it at random. Northwind, a Silver partner at risk of demotion, has let go:
# only its seller still comes.
ENGAGEMENT = {"northwind-advisory": 0.0, "sakura-systems": 1.0, "aozora-consulting": 1.0}
RANDOM_ENGAGEMENT = (0.55, 1.0)
LOST_AFTER_DAYS = (20, 85)  # from registration to the customer saying no (before expiry)


def seed_activity(today: date) -> int:
    """Everything above that is still missing; the number of deals created."""
    _signing_dates(today)
    created = _new_partners(today)
    created += _lost_deals(today)
    _last_seen(today)
    return created


def _first_registrations() -> dict[int, date]:
    return {org_id: local_date(at) for org_id, at in db.session.execute(
        select(Deal.organization_id, func.min(Deal.registered_at))
        .group_by(Deal.organization_id)) if at is not None}


def _signing_dates(today: date) -> None:
    """No partner signed after its first deal: such a date moves to before that deal."""
    first = _first_registrations()
    for org in demo_orgs():
        earliest = first.get(org.id)
        if earliest is not None and earliest < org.signed_on:
            rng = random.Random(org.slug + "/signed")  # noqa: S311 - reproducible demo data
            org.signed_on = earliest - timedelta(days=rng.randint(30, 120))
    db.session.flush()


def _new_partners(today: date) -> int:
    """The partners that signed this year, and the first won deal of two of them."""
    manager = person(MANAGER_EMAIL)
    first = _first_registrations()
    created = 0
    for org in demo_orgs():
        story = NEW_PARTNERS.get(org.slug)
        # Done once: afterwards the partner's signing date is within the last year.
        if story is None or org.signed_on > today - timedelta(days=400):
            continue
        days_ago, first_deal_after = story
        signed = today - timedelta(days=days_ago)
        if org.id in first:
            signed = min(signed, first[org.id] - timedelta(days=14))
        org.signed_on = signed
        org.tier_since = signed
        if first_deal_after is None:
            continue
        rng = random.Random(org.slug + "/first-deal")  # noqa: S311 - reproducible demo data
        closed = min(signed + timedelta(days=first_deal_after), today - timedelta(days=1))
        registered = closed - timedelta(days=rng.randint(35, 50))
        deal = register_deal(org, seller(org),
                             f"{rng.choice(LOST_PLACES)} Freight Systems K.K.", registered, rng)
        deals.change_status(deal, "approve", manager, now=moment(
            registered + timedelta(days=2), rng))
        deals.change_status(deal, "won", manager, now=moment(closed, rng))
        created += 1
    db.session.flush()
    return created


def _lost_deals(today: date) -> int:
    """Deals lost in the last two years, about as many as each partner won (once)."""
    names = lost_customer_names()
    if db.session.scalar(select(Deal.id).where(Deal.customer_name.in_(names)).limit(1)):
        return 0
    customers = iter(names)
    manager = person(MANAGER_EMAIL)
    since = today - timedelta(days=720)
    won = dict(db.session.execute(
        select(Deal.organization_id, func.count()).where(
            Deal.status == DealStatus.WON, Deal.closed_at >= datetime.combine(
                since, time(), tzinfo=UTC)).group_by(Deal.organization_id)).all())
    created = 0
    for org in demo_orgs():
        rng = random.Random(org.slug + "/lost")  # noqa: S311 - reproducible demo data
        wanted = round(won.get(org.id, 0) * rng.uniform(0.6, 1.8))
        if org.slug == "kumo-works":
            continue
        if won.get(org.id, 0) == 0:
            wanted = rng.randint(1, 2)
        # Nobody registers before signing; quiet partners registered nothing lately.
        earliest = max(since, org.signed_on + timedelta(days=10))
        latest = today - timedelta(days=QUIET_PARTNERS.get(org.slug, 0) + 1)
        org_seller = seller(org)
        for _ in range(wanted):
            if earliest + timedelta(days=LOST_AFTER_DAYS[0]) >= latest:
                break
            closed = latest - timedelta(days=rng.randint(
                0, (latest - earliest).days - LOST_AFTER_DAYS[0]))
            registered = max(earliest, closed - timedelta(days=rng.randint(*LOST_AFTER_DAYS)))
            customer = next(customers, None)
            if customer is None:
                return created
            deal = register_deal(org, org_seller, customer, registered, rng)
            deals.change_status(deal, "approve", manager, now=moment(
                registered + timedelta(days=rng.randint(1, 4)), rng))
            deals.change_status(deal, "lost", manager, now=moment(closed, rng))
            created += 1
    db.session.flush()
    return created


def _move_back(targets: dict[int, datetime]) -> None:
    """Move each person's learning back in time so that the latest of it is at their target
    (people who stopped coming: no lesson, no attempt since)."""
    ids = list(targets)
    progress = list(db.session.scalars(select(LessonProgress)
                                       .where(LessonProgress.user_id.in_(ids))))
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.user_id.in_(ids))))
    latest: dict[int, datetime] = {}
    for user_id, when in [(p.user_id, m) for p in progress
                          for m in (p.started_at, p.last_viewed_at, p.completed_at)] + \
            [(a.user_id, m) for a in attempts for m in (a.started_at, a.submitted_at)]:
        if when is not None and (user_id not in latest or when > latest[user_id]):
            latest[user_id] = when
    shifts = {user_id: latest[user_id] - target for user_id, target in targets.items()
              if user_id in latest and latest[user_id] > target}
    for p in progress:
        shift = shifts.get(p.user_id)
        if shift:
            p.started_at -= shift
            p.last_viewed_at -= shift
            if p.completed_at is not None:
                p.completed_at -= shift
    for a in attempts:
        shift = shifts.get(a.user_id)
        if shift:
            a.started_at -= shift
            if a.deadline_at is not None:
                a.deadline_at -= shift
            if a.submitted_at is not None:
                a.submitted_at -= shift
    # Credentials earned by that learning were earned then too.
    for award in db.session.scalars(select(Award).where(Award.user_id.in_(list(shifts)))):
        shift = shifts[award.user_id]
        if award.issued_at > targets[award.user_id]:
            award.issued_at -= shift
            if award.expires_at is not None:
                award.expires_at -= shift


def _last_seen(today: date) -> int:
    """When each demo partner person was last seen (only people never seen): most people
    lately; some lapsed months ago; everyone of a quiet partner before its quiet days."""
    now = morning(today)
    people = list(db.session.scalars(select(User).where(
        User.email.like(PARTNER_EMAILS), User.organization_id.is_not(None),
        User.last_seen_at.is_(None)).order_by(User.email)))
    orgs = {o.id: o for o in demo_orgs()}
    seen: dict[int, datetime] = {}
    lapsed: dict[int, datetime] = {}
    by_org: dict[int, list[User]] = {}
    for member in people:
        if member.organization_id in orgs:
            by_org.setdefault(member.organization_id, []).append(member)
    for org_id, members in by_org.items():
        org = orgs[org_id]
        rng = random.Random(org.slug + "/seen")  # noqa: S311 - reproducible demo data
        quiet = QUIET_PARTNERS.get(org.slug)
        new = org.slug in NEW_PARTNERS or org.signed_on > today - timedelta(days=90)
        engagement = ENGAGEMENT.get(org.slug, rng.uniform(*RANDOM_ENGAGEMENT))
        # The seller registers deals, and the partner admin comes by (unless told otherwise).
        always = ("sales",) if org.slug in ENGAGEMENT else ("admin", "sales")
        for index, member in enumerate(members):
            if quiet is not None:
                days = quiet if index == 0 else quiet + rng.randint(40, 120)
                lapsed[member.id] = now - timedelta(days=days)
            elif new or member.email.split("@")[0] in always or rng.random() < engagement:
                days = rng.randint(0, 20)
            else:
                # Not before the company signed: then they would not have an account.
                days = min(rng.randint(100, 300), (today - org.signed_on).days - 5)
                lapsed[member.id] = now - timedelta(days=days)
            seen[member.id] = now - timedelta(days=days, minutes=rng.randint(0, 600))
    if lapsed:
        _move_back(lapsed)
    for member in people:
        if member.id in seen:
            member.last_seen_at = seen[member.id]
    db.session.flush()
    return len(seen)
