"""The requirement kind "won deals registered by certified people": a won deal of the review
window counts when the person who registered it then held a valid certification (or the
credential the requirement names)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    CredentialKind,
    Deal,
    DealStatus,
    Organization,
    Role,
    Tier,
    TierProgramVersion,
    User,
)
from lms.tiers import rules
from lms.tiers.program import Program, Requirement, TierRule, program_from_dict
from lms.tiers.rules import PartnerFacts, RequirementResult, evaluate
from tests.factories import count_queries, make_org, make_user, signed_in
from tests.tiers.conftest import NCIE as DEFAULT_NCIE
from tests.tiers.helpers import add_requirement
from tests.tiers.test_service import (
    DAY,
    NCIE,
    NCSP,
    NOW,
    PROGRAM,
    facts_of,
    give,
    make_credential,
    person,
)

CERTIFIED_WON = Program(
    tiers=(TierRule("silver", (Requirement("certified_won_deals", 2),
                               Requirement("certified_won_deals", 1, NCIE))),),
    currency="JPY")
REGISTERED = NOW - 60 * DAY

_numbers = iter(range(1, 1_000_000))


def won_by(org: Organization, registrant: User | None, registered: datetime = REGISTERED,
           closed: datetime = NOW - 30 * DAY, status: DealStatus = DealStatus.WON) -> Deal:
    n = next(_numbers)
    deal = Deal(organization_id=org.id, customer_name=f"Certified {n} K.K.",
                customer_key=f"certified {n}", amount=1_000, status=status,
                registered_at=registered, closed_at=closed,
                registered_by_id=registrant.id if registrant else None)
    db.session.add(deal)
    db.session.commit()
    return deal


def counted(org: Organization) -> dict[str, int]:
    return dict(facts_of(org, program=CERTIFIED_WON).certified_won)


def test_a_deal_counts_when_its_registrant_was_certified_when_registering(app):
    org = make_org()
    engineer = person(org)
    give(engineer, NCIE, issued=REGISTERED - DAY)
    won_by(org, engineer)
    assert counted(org) == {"": 1, NCIE: 1}


def test_a_credential_held_only_later_or_no_longer_does_not_count(app):
    org = make_org()
    late, lapsed, revoked, nobody = person(org), person(org), person(org), person(org)
    give(late, NCIE, issued=REGISTERED + DAY)  # certified after registering
    give(lapsed, NCIE, issued=REGISTERED - 800 * DAY, expires=REGISTERED)  # expired then
    give(revoked, NCIE, issued=REGISTERED - DAY, revoked=NOW - DAY)
    for registrant in (late, lapsed, revoked, nobody, None):
        won_by(org, registrant)
    assert counted(org) == {}


def test_a_registrant_with_two_certifications_counts_the_deal_once(app):
    org = make_org()
    expert = person(org)
    give(expert, NCIE, issued=REGISTERED - DAY)
    give(expert, NCSP, issued=REGISTERED - DAY)
    won_by(org, expert)
    assert counted(org) == {"": 1, NCIE: 1, NCSP: 1}


def test_a_badge_is_not_a_certification(app):
    org = make_org()
    badge = make_credential("essentials-badge")
    badge.kind = CredentialKind.BADGE
    db.session.commit()
    holder = person(org)
    give(holder, "essentials-badge", issued=REGISTERED - DAY, expires=None)
    won_by(org, holder)
    assert counted(org) == {"essentials-badge": 1}  # only a requirement naming it counts it


def test_only_the_companys_won_deals_of_the_window_count(app):
    org, other = make_org(), make_org()
    engineer, outsider = person(org), person(other)
    give(engineer, NCIE, issued=REGISTERED - 900 * DAY, expires=None)
    give(outsider, NCIE, issued=REGISTERED - DAY)
    won_by(org, engineer, status=DealStatus.LOST)
    won_by(org, engineer, registered=NOW - 500 * DAY, closed=NOW - 400 * DAY)  # before
    won_by(org, engineer, closed=NOW + DAY)  # not yet
    won_by(other, outsider)
    assert counted(org) == {}
    assert counted(other) == {"": 1, NCIE: 1}


def test_the_facts_are_read_only_when_a_tier_asks_for_them(app):
    org = make_org()
    facts_of(org, program=PROGRAM)  # the session's first statements are not the facts'
    with count_queries() as without:
        facts_of(org, program=PROGRAM)
    with count_queries() as with_kind:
        facts_of(org, program=CERTIFIED_WON)
    # One query either way: the part is in it only when a tier asks for it.
    assert with_kind.n == without.n
    assert "registered_by_id" not in " ".join(without.statements)
    assert "registered_by_id" in " ".join(with_kind.statements)


def test_measured_described_and_explained():
    facts = PartnerFacts(certified_won={"": 3})
    results = evaluate(facts, CERTIFIED_WON).for_tier("silver").results
    assert [(r.actual, r.met) for r in results] == [(3, True), (0, False)]
    names = {NCIE: "Nimbus Certified Implementation Engineer (NCIE)"}
    assert rules.describe(Requirement("certified_won_deals", 2), names, "JPY") == (
        "Won deals registered by certified people")
    assert rules.describe(Requirement("certified_won_deals", 2, NCIE), names, "JPY") == (
        "Won deals registered by holders of Nimbus Certified Implementation Engineer (NCIE)")
    assert rules.gap_text(RequirementResult(Requirement("certified_won_deals", 3), 1, False),
                          "JPY") == "2 more won deals registered by certified people"


def test_the_credential_is_optional_but_must_exist():
    def parse(requirement: dict):
        return program_from_dict({"tiers": [{"tier": "silver", "requirements": [requirement]}]},
                                 {NCIE})

    program, problems = parse({"kind": "certified_won_deals", "min": 2})
    assert problems == [] and program.rule("silver").requirements[0].credential is None
    program, problems = parse({"kind": "certified_won_deals", "min": 2, "credential": NCIE})
    assert problems == [] and program.rule("silver").requirements[0].credential == NCIE
    assert parse({"kind": "certified_won_deals", "min": 2, "credential": "nope"})[1] == [
        "silver.requirements[1].credential: no credential 'nope'"]
    assert parse({"kind": "certified_won_deals", "min": 2, "job_function": "sales"})[1] == [
        "silver.requirements[1].job_function: sales or technical (certified_people and "
        "trained_people only)"]


def test_an_admin_asks_for_deals_won_by_certified_people(app, certifications):
    admin = signed_in(app, make_user(Role.ADMIN))
    assert add_requirement(admin, "gold", "Gold deals need engineers.",
                           kind="certified_won_deals", min="3", credential=DEFAULT_NCIE) == 302
    stored = db.session.scalar(select(TierProgramVersion).where(TierProgramVersion.number == 2))
    assert {"kind": "certified_won_deals", "min": 3, "credential": DEFAULT_NCIE} in (
        stored.rules["tiers"][1]["requirements"])

    manager = signed_in(app, make_user(Role.MANAGER))
    report = manager.get("/reports/tiers?tier=gold").get_data(as_text=True)
    assert "Won by certified people" in report and "NCIE" in report
    org = make_org("aozora", tier=Tier.SILVER)  # its scorecards: Silver and Gold
    page = manager.get(f"/partners/{org.slug}").get_data(as_text=True)
    assert "Won deals registered by holders of NCIE" in page
    assert "3 more won deals registered by certified people" in page
