"""Requirement kinds that count a partner's pipeline: deals registered, and deals approved,
in the review window (whatever became of them), from the facts to the words and the form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import Deal, DealStatus, Organization, Role, TierProgramVersion, utcnow
from lms.tiers import rules, service
from lms.tiers.program import Program, Requirement, TierRule, program_from_dict
from lms.tiers.rules import PartnerFacts, RequirementResult, evaluate
from tests.factories import count_queries, make_org, make_user, signed_in
from tests.tiers.helpers import add_requirement
from tests.tiers.test_service import DAY, NOW, PROGRAM, SECOND, WINDOW_START, facts_of

PIPELINE = Program(
    tiers=(TierRule("silver", (Requirement("registered_deals", 5),
                               Requirement("approved_deals", 3))),),
    currency="JPY")

_numbers = iter(range(1, 1_000_000))


def deal(org: Organization, registered, approved=None, status=DealStatus.REGISTERED) -> Deal:
    n = next(_numbers)
    made = Deal(organization_id=org.id, customer_name=f"Pipeline {n} K.K.",
                customer_key=f"pipeline {n}", amount=1_000, status=status,
                registered_at=registered, approved_at=approved)
    db.session.add(made)
    db.session.commit()
    return made


# --- Facts ------------------------------------------------------------------------------------


def test_registered_and_approved_deals_count_whatever_became_of_them(app):
    org, other = make_org(), make_org()
    deal(org, NOW - 10 * DAY)
    deal(org, NOW - 20 * DAY, NOW - 18 * DAY, DealStatus.APPROVED)
    deal(org, NOW - 90 * DAY, NOW - 80 * DAY, DealStatus.LOST)
    deal(org, NOW - 500 * DAY, NOW - 2 * DAY, DealStatus.WON)  # registered before, approved in
    deal(other, NOW - 5 * DAY, NOW - 4 * DAY, DealStatus.APPROVED)  # another company's

    facts = facts_of(org, program=PIPELINE)

    assert (facts.registered_deals, facts.approved_deals) == (3, 3)
    assert facts_of(other, program=PIPELINE).registered_deals == 1


@pytest.mark.parametrize(("moment", "counts"), [
    (WINDOW_START, True), (WINDOW_START - SECOND, False), (NOW, True), (NOW + SECOND, False)])
def test_the_window_edges_of_registered_and_approved_deals(app, moment, counts):
    org = make_org()
    deal(org, moment, moment, DealStatus.APPROVED)
    facts = facts_of(org, program=PIPELINE)
    assert (facts.registered_deals, facts.approved_deals) == ((1, 1) if counts else (0, 0))


def test_a_program_without_pipeline_kinds_reads_no_pipeline(app):
    org = make_org()
    deal(org, NOW - DAY)
    facts_of(org, program=PROGRAM)  # the session's first statements are not the facts'
    with count_queries() as without:
        plain = facts_of(org, program=PROGRAM)
    with count_queries() as with_pipeline:
        facts_of(org, program=PIPELINE)
    assert plain.registered_deals == 0  # not gathered: no tier asks for it
    # One query either way: the pipeline part is in it only when a tier asks for it.
    assert with_pipeline.n == without.n
    assert "deals.registered_at >=" not in " ".join(without.statements)
    assert "deals.registered_at >=" in " ".join(with_pipeline.statements)


def test_every_partner_with_pipeline_is_listed(app):
    org = make_org()
    deal(org, NOW - DAY)
    assert service.gather_facts(NOW, PIPELINE)[org.id].registered_deals == 1


# --- Rules and words ----------------------------------------------------------------------


def test_pipeline_requirements_are_measured_and_described():
    facts = PartnerFacts(registered_deals=6, approved_deals=2)
    result = evaluate(facts, PIPELINE).for_tier("silver")
    assert [(r.actual, r.met) for r in result.results] == [(6, True), (2, False)]
    assert rules.describe(Requirement("registered_deals", 5), {}, "JPY") == "Registered deals"
    assert rules.describe(Requirement("approved_deals", 5), {}, "JPY") == "Approved deals"
    approved = RequirementResult(Requirement("approved_deals", 3), 2, False)
    assert rules.gap_text(approved, "JPY") == "1 more approved deal"
    registered = RequirementResult(Requirement("registered_deals", 5), 1, False)
    assert rules.gap_text(registered, "JPY") == "4 more registered deals"


def test_pipeline_kinds_take_no_credential():
    program, problems = program_from_dict({"tiers": [{"tier": "silver", "requirements": [
        {"kind": "registered_deals", "min": 5, "credential": "ncie"},
        {"kind": "approved_deals", "min": 2, "job_function": "sales"}]}]})
    assert program is None
    assert [p.split(":")[0] for p in problems] == [
        "silver.requirements[1].credential", "silver.requirements[2].job_function"]


# --- Pages -------------------------------------------------------------------------------------


def test_an_admin_asks_for_registered_deals_and_partners_see_the_gap(app, certifications):
    admin = signed_in(app, make_user(Role.ADMIN))
    assert add_requirement(admin, "silver", "Silver partners build pipeline.",
                           kind="registered_deals", min="4") == 302
    stored = db.session.scalar(select(TierProgramVersion).where(TierProgramVersion.number == 2))
    assert {"kind": "registered_deals", "min": 4} in stored.rules["tiers"][0]["requirements"]

    org = make_org("kumo")
    deal(org, utcnow() - timedelta(days=3))
    member = signed_in(app, make_user(Role.MEMBER, org))
    html = member.get("/partners/kumo").get_data(as_text=True)
    assert "Registered deals" in html and "3 more registered deals" in html
    report = signed_in(app, make_user(Role.MANAGER)).get("/reports/tiers.csv?tier=silver")
    assert "Registered deals" in report.get_data(as_text=True)
