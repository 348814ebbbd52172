"""Manual tier requirements (a signed reseller agreement, a business plan): written in the
rules with a name, met when a manager records them with a date and the evidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import program_today
from lms.extensions import db
from lms.models import (
    AuditAction,
    AuditEvent,
    ManualRequirementRecord,
    Organization,
    Role,
    Tier,
    TierProgramVersion,
)
from lms.tiers import service
from lms.tiers.program import Program, Requirement, TierRule, item_of, program_from_dict
from lms.tiers.rules import PartnerFacts, evaluate
from tests.factories import count_queries, make_org, make_user, signed_in
from tests.tiers.helpers import add_requirement
from tests.tiers.test_service import NOW, PROGRAM, facts_of

AGREEMENT = Requirement("manual", 1, item="reseller-agreement", name="Signed reseller agreement")
MANUAL = Program(tiers=(TierRule("silver", (AGREEMENT,)),), currency="JPY")


def parse(requirement: dict) -> tuple[Program | None, list[str]]:
    return program_from_dict({"tiers": [{"tier": "silver", "requirements": [requirement]}]})


# --- The rules ----------------------------------------------------------------------------------


def test_a_manual_requirement_needs_a_name_and_gets_its_item_from_it():
    program, problems = parse({"kind": "manual", "name": "  Signed  reseller agreement "})
    assert problems == []
    assert program.rule("silver").requirements[0] == Requirement(
        "manual", 1, item="signed-reseller-agreement", name="Signed reseller agreement")
    program, _problems = parse({"kind": "manual", "name": "Plan", "item": "business-plan-2027"})
    assert program.rule("silver").requirements[0].item == "business-plan-2027"
    assert item_of("事業計画書 (2027)") == "2027"


@pytest.mark.parametrize(("requirement", "where"), [
    ({"kind": "manual"}, "silver.requirements[1].name"),
    ({"kind": "manual", "name": "x" * 121}, "silver.requirements[1].name"),
    ({"kind": "manual", "name": "bell\x07"}, "silver.requirements[1].name"),
    ({"kind": "manual", "name": "Plan", "item": "Business Plan"}, "silver.requirements[1].item"),
    ({"kind": "manual", "name": "Plan", "min": 2}, "silver.requirements[1].min"),
    ({"kind": "won_deals", "min": 2, "name": "Deals"}, "silver.requirements[1]"),
])
def test_a_bad_manual_requirement_is_named_in_its_problem(requirement, where):
    program, problems = parse(requirement)
    assert program is None
    assert [p.split(":")[0] for p in problems] == [where]


def test_the_same_item_twice_in_a_tier_is_refused():
    _program, problems = program_from_dict({"tiers": [{"tier": "silver", "requirements": [
        {"kind": "manual", "name": "Plan"}, {"kind": "manual", "name": "Plan"}]}]})
    assert problems == ["silver: the same requirement is listed twice"]


def test_met_only_when_recorded():
    assert evaluate(PartnerFacts(), MANUAL).qualified == "bronze"
    assert evaluate(PartnerFacts(manual=frozenset({"reseller-agreement"})), MANUAL
                    ).qualified == "silver"
    assert evaluate(PartnerFacts(manual=frozenset({"another"})), MANUAL).qualified == "bronze"


# --- Facts ----------------------------------------------------------------------------------


def record(org: Organization, item: str = "reseller-agreement") -> None:
    db.session.add(ManualRequirementRecord(organization_id=org.id, item=item,
                                           met_on=date(2026, 2, 1), evidence="Signed."))
    db.session.commit()


def test_the_facts_hold_what_was_recorded_for_the_company(app):
    org, other = make_org(), make_org()
    record(org)
    record(other, "business-plan")
    assert facts_of(org, program=MANUAL).manual == {"reseller-agreement"}
    assert service.gather_facts(NOW, MANUAL)[other.id].manual == {"business-plan"}
    facts_of(org, program=PROGRAM)
    with count_queries() as without:
        assert facts_of(org, program=PROGRAM).manual == frozenset()  # not asked: not read
    with count_queries() as with_manual:
        facts_of(org, program=MANUAL)
    # One query either way: the records are in it only when a tier asks for them.
    assert with_manual.n == without.n
    assert "manual_requirement_records" not in " ".join(without.statements)
    assert "manual_requirement_records" in " ".join(with_manual.statements)


# --- Pages -------------------------------------------------------------------------------------


@pytest.fixture
def agreement_program(app):
    service.seed_program(service.default_program())
    program = service.current_program()[0]
    silver = TierRule("silver", (*program.rule("silver").requirements, AGREEMENT))
    service.save_program(Program(tiers=(silver, *program.tiers[1:]), currency="JPY"), None,
                         "Silver needs the reseller agreement.")
    db.session.commit()


URL = "/partners/aozora/requirements/reseller-agreement"


def test_a_manager_records_the_agreement_and_the_partner_sees_it_met(app, agreement_program):
    org = make_org("aozora")
    manager = make_user(Role.MANAGER)
    client = signed_in(app, manager)
    page = client.get("/partners/aozora").get_data(as_text=True)
    assert "Signed reseller agreement" in page and "Not recorded yet" in page
    met_on = program_today() - timedelta(days=3)

    response = client.post(URL, data={"reseller-agreement-met_on": met_on.isoformat(),
                                      "reseller-agreement-evidence": "Ref. RA-2026-114, "
                                      "signed by Ken Ito (CEO)"})

    assert response.status_code == 302
    row = db.session.scalar(select(ManualRequirementRecord))
    assert (row.organization_id, row.item, row.met_on, row.recorded_by_id) == (
        org.id, "reseller-agreement", met_on, manager.id)
    assert db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == AuditAction.REQUIREMENT_RECORDED))["item"] == "reseller-agreement"
    partner = signed_in(app, make_user(Role.PARTNER_ADMIN, org))
    html = partner.get("/partners/aozora").get_data(as_text=True)
    assert "Ref. RA-2026-114, signed by Ken Ito (CEO)" in html
    assert "Record as met" not in html  # partners read it; only the channel team records it
    assert service.standing_of(db.session.get(Organization, org.id))[0].evaluation.for_tier(
        "silver").results[-1].met


def test_withdrawing_makes_it_unmet_again(app, agreement_program):
    org = make_org("aozora", tier=Tier.SILVER)
    record(org)
    client = signed_in(app, make_user(Role.MANAGER))
    assert client.post(URL + "/withdraw").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ManualRequirementRecord)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.REQUIREMENT_WITHDRAWN)) == 1


@pytest.mark.parametrize(("fields", "message"), [
    ({"reseller-agreement-evidence": "Signed"}, "This field is required"),
    ({"reseller-agreement-met_on": "2026-02-30", "reseller-agreement-evidence": "x"},
     "Not a valid date value"),
    ({"reseller-agreement-met_on": "FUTURE", "reseller-agreement-evidence": "Signed"},
     "A date in the future"),
    ({"reseller-agreement-met_on": "TODAY"}, "This field is required"),
])
def test_a_bad_record_is_refused_with_a_message_and_nothing_saved(app, agreement_program,
                                                                  fields, message):
    make_org("aozora")
    client = signed_in(app, make_user(Role.MANAGER))
    today = program_today()
    values = {"FUTURE": (today + timedelta(days=1)).isoformat(), "TODAY": today.isoformat()}
    response = client.post(URL, data={k: values.get(v, v) for k, v in fields.items()})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ManualRequirementRecord)) == 0


def test_only_the_channel_team_records_and_only_known_requirements(app, agreement_program):
    org = make_org("aozora")
    data = {"reseller-agreement-met_on": program_today().isoformat(),
            "reseller-agreement-evidence": "Signed"}
    for role in (Role.MEMBER, Role.PARTNER_ADMIN):
        assert signed_in(app, make_user(role, org)).post(URL, data=data).status_code == 403
    manager = signed_in(app, make_user(Role.MANAGER))
    assert manager.post("/partners/aozora/requirements/no-such-thing",
                        data=data).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ManualRequirementRecord)) == 0


def test_an_admin_adds_a_manual_requirement_and_editing_keeps_its_item(app, certifications):
    admin = signed_in(app, make_user(Role.ADMIN))
    assert add_requirement(admin, "gold", "Gold needs a business plan.", kind="manual",
                           requirement_name="Joint business plan") == 302
    stored = db.session.scalar(select(TierProgramVersion).where(TierProgramVersion.number == 2))
    assert {"kind": "manual", "item": "joint-business-plan", "name": "Joint business plan",
            "min": 1} in stored.rules["tiers"][1]["requirements"]
    # Renamed later: what was recorded under it stays with it.
    from tests.tiers.test_views import _form_from

    data = _form_from(admin.get("/admin/tiers/edit").get_data(as_text=True))
    row = next(k for k, v in data.items() if v == "Joint business plan")
    data.update({row: "Joint business plan (yearly)", "note": "Yearly."})
    assert admin.post("/admin/tiers/edit", data=data).status_code == 302
    program = service.current_program()[0]
    assert [(r.item, r.name) for r in program.rule("gold").requirements if r.kind == "manual"
            ] == [("joint-business-plan", "Joint business plan (yearly)")]


def test_names_without_ascii_get_items_of_their_own():
    assert item_of("事業計画書") != item_of("販売代理店契約")
    assert item_of("事業計画書").startswith("item-")
    program, problems = program_from_dict({"tiers": [
        {"tier": "silver", "requirements": [{"kind": "manual", "name": "事業計画書"}]},
        {"tier": "gold", "requirements": [{"kind": "manual", "name": "販売代理店契約"}]}]})
    assert problems == []
    assert len({r.item for rule in program.tiers for r in rule.requirements}) == 2


def test_one_item_under_two_names_is_refused():
    _program, problems = program_from_dict({"tiers": [
        {"tier": "silver", "requirements": [
            {"kind": "manual", "name": "Reseller agreement", "item": "agreement"}]},
        {"tier": "gold", "requirements": [
            {"kind": "manual", "name": "Business plan", "item": "agreement"}]}]})
    assert problems == ["gold: the manual requirement item 'agreement' has two names (give "
                        "each its own item)"]
