"""Tier notices (lms.tiers.notices): changes the tier review applies, promotions waiting for
managers who review by hand, and certifications whose lapse would break a requirement of the
company's tier; each to the company's partner admins and to the channel managers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from lms.clock import local_date
from lms.extensions import db
from lms.models import (
    Award,
    Credential,
    CredentialKind,
    Deal,
    DealStatus,
    JobFunction,
    Organization,
    Role,
    Tier,
    User,
)
from lms.tiers import service
from lms.tiers.notices import lapses_ahead, promotions_due
from lms.tiers.program import Program, Requirement, TierRule
from lms.tiers.rules import first_shortfall
from tests.factories import make_org, make_user
from tests.notifications.test_kinds import (
    DAY,
    NOW,
    day_in,
    events,
    ids,
    in_both,
    notifications,
    only,
    recipients,
    says,
)

TODAY = NOW.date()  # noon in Tokyo: the program's day too
NCIE = "ncie"
NCSP = "ncsp"

# Silver: 2 won deals and an engineer. Gold: 4 won deals and 2 engineers.
PROGRAM = Program(
    tiers=(
        TierRule("silver", (Requirement("won_deals", 2),
                            Requirement("certified_people", 1, NCIE, "technical"))),
        TierRule("gold", (Requirement("won_deals", 4),
                          Requirement("certified_people", 2, NCIE, "technical"))),
        TierRule("platinum", (Requirement("won_deals", 50),)),
    ),
    currency="JPY", review_window_months=12, grace_period_days=90)

# Gold needs 4 certified sales people (NCSP), Silver 2: people alone make the tier.
CERTIFIED_PROGRAM = Program(
    tiers=(
        TierRule("silver", (Requirement("certified_people", 2, NCSP, "sales"),)),
        TierRule("gold", (Requirement("certified_people", 4, NCSP, "sales"),)),
        TierRule("platinum", (Requirement("certified_people", 40, NCSP, "sales"),)),
    ),
    currency="JPY", review_window_months=12, grace_period_days=90)


@dataclass
class Company:
    org: Organization
    admin: User
    member: User


@dataclass
class Audience:
    ours: Company
    theirs: Company
    manager: User
    former_manager: User
    admin: User


def company(name: str, tier: Tier = Tier.BRONZE, **kw) -> Company:
    org = make_org(name=name, tier=tier, **kw)
    return Company(org, make_user(Role.PARTNER_ADMIN, org, job=None, name=f"{name} admin"),
                   make_user(Role.MEMBER, org, job=JobFunction.SALES))


@pytest.fixture
def audience(app) -> Audience:
    return Audience(
        ours=company("Sakura Systems K.K."), theirs=company("Fuji Partners K.K."),
        manager=make_user(Role.MANAGER, name="Mariko Manager"),
        former_manager=make_user(Role.MANAGER, active=False),
        admin=make_user(Role.ADMIN))


def install(program: Program) -> None:
    service.save_program(program, None, "test rules")
    db.session.commit()


def credential(slug: str) -> Credential:
    found = db.session.scalar(db.select(Credential).where(Credential.slug == slug))
    if found is None:
        found = Credential(slug=slug, name=f"Nimbus {slug.upper()}", image="badges/cert.svg",
                           kind=CredentialKind.CERTIFICATION, content_hash="x",
                           validity_months=24, translations={"ja": {"name": f"{slug} 認定"}})
        db.session.add(found)
        db.session.flush()
    return found


def certified(org: Organization, n: int, slug: str = NCIE,
              job: JobFunction = JobFunction.TECHNICAL,
              expires: datetime = NOW + 600 * DAY) -> list[Award]:
    awards = []
    for _ in range(n):
        person = make_user(Role.MEMBER, org, job=job)
        award = Award(user_id=person.id, credential_id=credential(slug).id, period=1,
                      issued_at=NOW - 100 * DAY, expires_at=expires)
        db.session.add(award)
        awards.append(award)
    db.session.commit()
    return awards


def won(org: Organization, n: int) -> None:
    for i in range(n):
        db.session.add(Deal(organization_id=org.id, customer_name=f"Won {org.id}-{i}",
                            customer_key=f"won {org.id}-{i}", amount=100_000, currency="JPY",
                            status=DealStatus.WON, closed_at=NOW - 30 * DAY,
                            registered_at=NOW - 90 * DAY))
    db.session.commit()


def apply_at(now: datetime) -> None:
    service.apply(None, now=now)
    db.session.commit()


# --- Applied by the tier review ---------------------------------------------------------------


def test_a_promotion_tells_the_partner_admins_and_the_managers_and_is_published(audience):
    install(PROGRAM)
    ours = audience.ours
    won(ours.org, 2)
    certified(ours.org, 1)

    with events() as seen:
        apply_at(NOW)

    assert recipients() == ids(ours.admin, audience.manager)
    admin_notice = only("tier_changed", ours.admin)
    manager_notice = only("tier_changed", audience.manager)
    expected = {"partner": "Sakura Systems K.K.", "path": f"/partners/{ours.org.slug}",
                "from": "bronze", "to": "silver", "kind": "promotion", "by_hand": False}
    assert admin_notice.params == expected
    assert manager_notice.params == {**expected, "manager": True}
    assert admin_notice.key == f"tier:{ours.org.id}:promotion:silver:{TODAY.isoformat()}"
    assert admin_notice.category == "tiers"
    (changed,) = [data for kind, data in seen if kind == "tier.changed"]
    assert changed["organization"]["id"] == ours.org.id
    assert (changed["previous_tier"], changed["tier"], changed["kind"]) == (
        "bronze", "silver", "promotion")
    english, japanese = in_both(admin_notice)
    assert english.title == "Sakura Systems K.K. is now Silver"
    assert english.body == "Sakura Systems K.K. moved up from Bronze to Silver."
    assert english.path == f"/partners/{ours.org.slug}"
    assert says(japanese, "Sakura Systems K.K.")

    # The next review changes nothing: nobody hears anything new.
    with events() as again:
        apply_at(NOW + DAY)
    assert again == [] and len(notifications()) == 2


def test_a_shortfall_tells_of_the_demotion_date_and_publishes_nothing(audience):
    install(PROGRAM)
    ours = audience.ours
    ours.org.tier = Tier.GOLD
    db.session.commit()
    won(ours.org, 4)
    certified(ours.org, 1)  # Gold needs 2 engineers: Silver is what it qualifies for

    with events() as seen:
        apply_at(NOW)

    assert [kind for kind, _data in seen if kind == "tier.changed"] == []
    assert recipients() == ids(ours.admin, audience.manager)
    notice = only("tier_at_risk", ours.admin)
    demotion = TODAY + 90 * DAY
    assert notice.params["demotion"] == demotion.isoformat()
    assert notice.params["tier"] == "gold" and notice.params["kind"] == "at_risk"
    assert "manager" not in notice.params
    assert only("tier_at_risk", audience.manager).params["manager"] is True
    english, japanese = in_both(notice)
    assert english.title == "Sakura Systems K.K. no longer meets Gold"
    assert f"it moves down on {day_in('en', demotion)}" in english.body
    assert says(japanese, "Sakura Systems K.K.", day_in("ja", demotion))

    # Still short the next day: no new notice; at the end of the grace period, the demotion.
    apply_at(NOW + DAY)
    assert len(notifications()) == 2
    with events() as seen:
        apply_at(NOW + 90 * DAY)
    (changed,) = [data for kind, data in seen if kind == "tier.changed"]
    assert (changed["previous_tier"], changed["tier"], changed["kind"]) == (
        "gold", "silver", "demotion")
    assert recipients("tier_changed") == ids(ours.admin, audience.manager)
    english, _japanese = in_both(only("tier_changed", ours.admin))
    assert english.title == "Sakura Systems K.K. moved down to Silver"


# --- Promotions waiting for a manual review ---------------------------------------------------


def test_a_promotion_due_is_told_once_per_tier_reached(audience):
    install(PROGRAM)
    ours = audience.ours
    won(ours.org, 2)
    certified(ours.org, 1)

    assert promotions_due(NOW) == 2
    db.session.commit()
    assert promotions_due(NOW + DAY) == 0
    db.session.commit()

    assert recipients() == ids(ours.admin, audience.manager)
    notice = only("tier_promotion_due", ours.admin)
    assert notice.params == {"partner": "Sakura Systems K.K.",
                             "path": f"/partners/{ours.org.slug}", "to": "silver"}
    assert only("tier_promotion_due", audience.manager).params["manager"] is True
    english, japanese = in_both(notice)
    assert english.title == "Sakura Systems K.K. qualifies for Silver"
    assert "The channel team confirms promotions" in english.body
    manager_english, _ = in_both(only("tier_promotion_due", audience.manager))
    assert "Apply the promotion in the tier review." in manager_english.body
    assert says(japanese, "Sakura Systems K.K.")
    db.session.expire_all()  # told, not applied: the company is still Bronze
    assert db.session.get(Organization, ours.org.id).tier == Tier.BRONZE

    # Reaching Gold meanwhile is a new promotion due.
    won(ours.org, 2)
    certified(ours.org, 1)
    assert promotions_due(NOW + 2 * DAY) == 2
    db.session.commit()
    assert sorted(n.params["to"] for n in notifications("tier_promotion_due")
                  if n.user_id == ours.admin.id) == ["gold", "silver"]


def test_the_manual_review_job_writes_the_promotions_due(make_app):
    from lms import jobs
    from lms.models import utcnow

    app = make_app(LMS_TIER_REVIEW="manual")
    with app.app_context():
        install(PROGRAM)
        ours = company("Sakura Systems K.K.")
        manager = make_user(Role.MANAGER)
        now = utcnow()
        for i in range(2):
            db.session.add(Deal(organization_id=ours.org.id, customer_name=f"C{i}",
                                customer_key=f"c{i}", amount=1, currency="JPY",
                                status=DealStatus.WON, closed_at=now - 30 * DAY,
                                registered_at=now - 90 * DAY))
        person = make_user(Role.MEMBER, ours.org, job=JobFunction.TECHNICAL)
        db.session.add(Award(user_id=person.id, credential_id=credential(NCIE).id, period=1,
                             issued_at=now - DAY, expires_at=now + 600 * DAY))
        db.session.commit()
        expected = ids(ours.admin, manager)  # run_job ends the session
        (review,) = [job for job in jobs.JOBS if job.name == "review-tiers"]

        assert jobs.run_job(review).endswith("2 notification(s) of promotions due")
        assert recipients() == expected
        assert jobs.run_job(review).endswith("0 notification(s) of promotions due")


# --- Certifications about to lapse ------------------------------------------------------------


def test_a_lapse_that_breaks_gold_is_told_with_its_date(audience):
    install(CERTIFIED_PROGRAM)
    ours, theirs = audience.ours, audience.theirs
    for side in (ours, theirs):
        side.org.tier = Tier.GOLD
    db.session.commit()
    lapsing, *_rest = certified(ours.org, 4, NCSP, JobFunction.SALES)
    lapsing.expires_at = NOW + 20 * DAY
    # Theirs keeps Gold after its lapse: five people, one expiring.
    certified(theirs.org, 4, NCSP, JobFunction.SALES)
    certified(theirs.org, 1, NCSP, JobFunction.SALES, expires=NOW + 20 * DAY)
    db.session.commit()

    assert lapses_ahead(NOW) == 2
    db.session.commit()
    assert lapses_ahead(NOW) == 0
    assert lapses_ahead(NOW + DAY) == 0  # the same lapse, a day closer: told already

    assert recipients() == ids(ours.admin, audience.manager)
    notice = only("tier_lapse", ours.admin)
    day = (NOW + 20 * DAY).date()
    assert day == local_date(NOW + 20 * DAY)
    assert notice.params == {
        "partner": "Sakura Systems K.K.", "path": f"/partners/{ours.org.slug}", "tier": "gold",
        "date": day.isoformat(), "actual": 3, "required": 4, "job_function": "sales",
        "credential": {"en": "Nimbus NCSP", "ja": "ncsp 認定"}}
    assert notice.key == f"tier-lapse:{ours.org.id}:gold:certified_people:ncsp:sales:{day}"
    assert only("tier_lapse", audience.manager).params["manager"] is True
    english, japanese = in_both(notice)
    assert english.title == f"On {day_in('en', day)} Gold falls to 3 of 4 certified sales people"
    assert "certifications in Nimbus NCSP expire on" in english.body
    assert english.path == f"/partners/{ours.org.slug}"
    assert says(japanese, "Sakura Systems K.K.", day_in("ja", day), "ncsp 認定")


def test_a_company_already_short_or_with_nothing_expiring_is_not_warned(audience):
    install(CERTIFIED_PROGRAM)
    ours, theirs = audience.ours, audience.theirs
    for side in (ours, theirs):
        side.org.tier = Tier.GOLD
    db.session.commit()
    certified(ours.org, 3, NCSP, JobFunction.SALES, expires=NOW + 20 * DAY)  # short already
    certified(theirs.org, 4, NCSP, JobFunction.SALES, expires=NOW + 61 * DAY)  # beyond 60 days

    lapses_ahead(NOW)
    # Gold's 4 are short already (the tier review deals with that); what is left to warn of
    # is Silver's 2, which the same lapses break on the same day. Theirs: nothing in sight.
    assert {n.key.split(":")[2] for n in notifications()} == {"silver"}
    assert {n.params["partner"] for n in notifications()} == {"Sakura Systems K.K."}


# --- first_shortfall --------------------------------------------------------------------------

D1, D2, D3 = date(2026, 4, 1), date(2026, 4, 2), date(2026, 4, 3)


@pytest.mark.parametrize(("actual", "required", "lapses", "expected"), [
    (3, 4, [D1], None),  # short already: the tier review deals with it
    (6, 4, [D1, D2], None),  # never short
    (4, 4, [], None),  # nothing lapses
    (4, 4, [D2], (D2, 3)),  # exactly met: the first lapse breaks it
    (5, 4, [D1, D1], (D1, 3)),  # two lapses the same day
    (5, 4, [D3, D1, D2], (D2, 3)),  # in date order, whatever the order given
    (6, 4, [D2, D1, D2], (D2, 3)),
    (1, 1, [D1, D1], (D1, 0)),  # never below zero
])
def test_first_shortfall(actual, required, lapses, expected):
    assert first_shortfall(actual, required, lapses) == expected


def test_a_second_promotion_the_same_day_is_told_too(audience):
    install(PROGRAM)
    ours = audience.ours
    won(ours.org, 2)
    certified(ours.org, 1)
    apply_at(NOW)
    won(ours.org, 2)
    certified(ours.org, 1)

    with events() as seen:
        apply_at(NOW + DAY / 4)  # the afternoon review: Gold now

    assert [data["tier"] for kind, data in seen if kind == "tier.changed"] == ["gold"]
    told = sorted(n.params["to"] for n in notifications("tier_changed")
                  if n.user_id == ours.admin.id)
    assert told == ["gold", "silver"]


def test_a_lapse_of_a_lower_tiers_requirement_is_warned_too(audience):
    # Gold lists won deals only; its partners must still meet Silver's engineer.
    install(Program(tiers=(
        TierRule("silver", (Requirement("certified_people", 1, NCIE, "technical"),)),
        TierRule("gold", (Requirement("won_deals", 1),)),
        TierRule("platinum", (Requirement("won_deals", 50),)),
    ), currency="JPY", review_window_months=12, grace_period_days=90))
    ours = audience.ours
    ours.org.tier = Tier.GOLD
    db.session.commit()
    won(ours.org, 1)
    certified(ours.org, 1, expires=NOW + 20 * DAY)
    assert service.standing_of(ours.org, NOW)[0].qualified == "gold"
    assert service.standing_of(ours.org, NOW + 21 * DAY)[0].qualified == "bronze"

    assert lapses_ahead(NOW) == 2
    assert only("tier_lapse", ours.admin).params["actual"] == 0
