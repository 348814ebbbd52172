"""A decision per partner in the tier review: apply, hold back with a reason, or set another
tier with a reason; each recorded, nothing applied when the proposals changed meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    AuditAction,
    AuditEvent,
    Notification,
    Organization,
    Role,
    Tier,
    TierChange,
    TierHold,
)
from lms.notifications.messages import render
from lms.notifications.service import message_of
from lms.tiers import service
from lms.tiers.forms import read_decisions
from lms.tiers.program import Program
from lms.tiers.service import ReviewChanged, ReviewDecision
from tests.factories import make_org, make_user, signed_in
from tests.tiers.test_service import NOW, PROGRAM, install, qualifies_for_gold, qualifies_for_silver
from tests.tiers.test_views import gold_ready

ROWS = {7: ("Aozora Consulting", "silver"), 9: ("Kumo Works", "bronze")}

# --- Reading the form ----------------------------------------------------------------------


def test_a_row_without_a_decision_is_applied():
    decisions, shown, problems = read_decisions({"shown-7": "promotion:gold"}, ROWS)
    assert (decisions, shown, problems) == ({}, {7: "promotion:gold"}, [])


def test_hold_and_override_are_read_with_their_reasons():
    decisions, shown, problems = read_decisions({
        "shown-7": "promotion:gold", "action-7": "hold", "reason-7": "  Audit of\ttheir deals ",
        "shown-9": "promotion:silver", "action-9": "override", "tier-9": "gold",
        "reason-9": "Strategic partner for the Osaka launch"}, ROWS)
    assert problems == []
    assert decisions == {7: ReviewDecision("hold", "Audit of their deals"),
                         9: ReviewDecision("override", "Strategic partner for the Osaka launch",
                                           "gold")}
    assert set(shown) == {7, 9}


@pytest.mark.parametrize(("fields", "message"), [
    ({"action-7": "hold"}, "say why"),
    ({"action-7": "hold", "reason-7": "   "}, "say why"),
    ({"action-7": "hold", "reason-7": "x" * 501}, "say why"),
    ({"action-7": "hold", "reason-7": "bad\x1b[31m"}, "say why"),
    ({"action-7": "override", "reason-7": "why", "tier-7": "silver"}, "a tier other than"),
    ({"action-7": "override", "reason-7": "why", "tier-7": "diamond"}, "a tier other than"),
    ({"action-7": "override", "reason-7": "why"}, "a tier other than"),
    ({"action-7": "promote"}, "choose apply, hold"),
])
def test_a_bad_decision_names_the_partner(app, fields, message):
    with app.test_request_context():
        decisions, _shown, problems = read_decisions({"shown-7": "promotion:gold", **fields},
                                                     ROWS)
    assert decisions == {}
    assert len(problems) == 1
    assert problems[0].startswith("Aozora Consulting: ") and message in problems[0]


# --- The review as decided ---------------------------------------------------------------------


def held(org: Organization) -> list[TierHold]:
    return list(db.session.scalars(select(TierHold).where(TierHold.organization_id == org.id)))


def test_a_held_promotion_is_recorded_and_proposed_again(app):
    install()
    org, other = make_org(), make_org()
    qualifies_for_silver(org)
    qualifies_for_silver(other)
    manager = make_user(Role.MANAGER)

    outcome = service.review(manager, {org.id: ReviewDecision("hold", "Contract not signed")},
                             now=NOW)
    db.session.commit()

    assert [c.organization_id for c in outcome.changes] == [other.id]
    db.session.expire_all()
    assert db.session.get(Organization, org.id).tier == Tier.BRONZE  # held: unchanged
    assert db.session.get(Organization, other.id).tier == Tier.SILVER
    [hold] = held(org)
    assert (hold.kind.value, hold.from_tier, hold.to_tier, hold.reason, hold.actor_id) == (
        "promotion", Tier.BRONZE, Tier.SILVER, "Contract not signed", manager.id)
    assert hold.evidence["tiers"]["silver"][0]["actual"] == 2
    assert db.session.scalar(select(AuditEvent.detail).where(
        AuditEvent.action == AuditAction.TIER_HELD))["reason"] == "Contract not signed"
    planned, _program, _version = service.plan(NOW)
    assert [item.standing.organization.id for item in planned] == [org.id]  # again next time


def test_a_tier_set_by_hand_is_recorded_with_its_reason(app):
    install()
    org = make_org()
    qualifies_for_silver(org)

    service.review(None, {org.id: ReviewDecision("override", "Platinum reseller abroad",
                                                 "gold")}, now=NOW)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Organization, org.id).tier == Tier.GOLD
    [change] = db.session.scalars(select(TierChange).where(TierChange.organization_id == org.id))
    assert (change.kind.value, change.from_tier, change.to_tier, change.reason) == (
        "promotion", Tier.BRONZE, Tier.GOLD, "Platinum reseller abroad")


def test_a_demotion_can_be_set_lower_than_the_rules_say(app):
    install()
    org = make_org(tier=Tier.GOLD)
    qualifies_for_gold(org)
    # The rules change: only Silver is left, and no grace period (a demotion is due now).
    install(Program(tiers=PROGRAM.tiers[:1], currency="JPY", grace_period_days=0))

    service.review(None, {org.id: ReviewDecision("override", "Breach of the agreement",
                                                 "bronze")}, now=NOW)
    db.session.commit()

    db.session.expire_all()
    org = db.session.get(Organization, org.id)
    assert org.tier == Tier.BRONZE and org.at_risk_since is None


def test_nothing_is_written_when_the_proposals_changed(app):
    install()
    org, late = make_org(), make_org()
    qualifies_for_silver(org)
    shown = {org.id: "promotion:silver"}
    qualifies_for_silver(late)  # qualified after the manager opened the page

    with pytest.raises(ReviewChanged):
        service.review(None, {}, shown, now=NOW)
    db.session.rollback()
    with pytest.raises(ReviewChanged):  # a decision for a company the review does not change
        service.review(None, {12345: ReviewDecision("hold", "x")}, now=NOW)
    db.session.rollback()

    assert db.session.scalar(select(func.count()).select_from(TierChange)) == 0
    assert db.session.scalar(select(func.count()).select_from(TierHold)) == 0


# --- Through the page ------------------------------------------------------------------------


def _fields(html: str) -> dict:
    import re

    return dict(re.findall(r'<input type="hidden" name="(shown-\d+)" value="([^"]*)"', html))


def test_a_manager_holds_one_partner_and_promotes_the_other(app, certifications):
    held_org = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(held_org, certifications)
    promoted = make_org(name="Kumo Works", tier=Tier.SILVER)
    gold_ready(promoted, certifications)
    client = signed_in(app, make_user(Role.MANAGER))
    data = _fields(client.get("/reports/tiers/review").get_data(as_text=True))
    assert set(data) == {f"shown-{held_org.id}", f"shown-{promoted.id}"}
    assert all(value.startswith("promotion:gold:silver:") for value in data.values())
    data.update({f"action-{held_org.id}": "hold",
                 f"reason-{held_org.id}": "Waiting for the signed reseller agreement"})

    response = client.post("/reports/tiers/review", data=data, follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "1 change recorded" in html and "1 change held back" in html
    db.session.expire_all()
    assert db.session.get(Organization, held_org.id).tier == Tier.SILVER
    assert db.session.get(Organization, promoted.id).tier == Tier.GOLD
    # The partner reads why.
    partner = signed_in(app, make_user(Role.PARTNER_ADMIN, held_org))
    page = partner.get(f"/partners/{held_org.slug}").get_data(as_text=True)
    assert "Promotion to Gold" in page
    assert "Waiting for the signed reseller agreement" in page
    # Another partner never does.
    other = signed_in(app, make_user(Role.PARTNER_ADMIN, promoted))
    assert other.get(f"/partners/{held_org.slug}").status_code == 404


def test_a_bad_decision_is_refused_with_a_message_and_nothing_applied(app, certifications):
    org = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(org, certifications)
    client = signed_in(app, make_user(Role.MANAGER))
    data = _fields(client.get("/reports/tiers/review").get_data(as_text=True))
    data[f"action-{org.id}"] = "override"
    data[f"tier-{org.id}"] = "platinum"  # no reason given

    response = client.post("/reports/tiers/review", data=data)

    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Aozora Consulting: say why" in html
    assert 'value="platinum" selected' in html  # the choices are kept for the correction
    assert db.session.scalar(select(func.count()).select_from(TierChange)) == 0


def test_a_review_page_left_open_too_long_applies_nothing(app, certifications):
    org = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(org, certifications)
    client = signed_in(app, make_user(Role.MANAGER))
    data = _fields(client.get("/reports/tiers/review").get_data(as_text=True))
    late = make_org(name="Kumo Works", tier=Tier.SILVER)
    gold_ready(late, certifications)  # qualifies while the page is open

    response = client.post("/reports/tiers/review", data=data)

    assert response.status_code == 400
    assert "no longer those on this page" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TierChange)) == 0


# --- What the scheduled review leaves to managers --------------------------------------------


def test_the_scheduled_review_leaves_a_held_change_to_managers(app):
    install()
    org = make_org()
    qualifies_for_silver(org)
    service.review(None, {org.id: ReviewDecision("hold", "Contract not signed")}, now=NOW)
    db.session.commit()

    assert service.apply(now=NOW) == []  # the nightly job, `lms tiers evaluate --apply`
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(Organization, org.id).tier == Tier.BRONZE
    [item] = service.plan(NOW)[0]
    assert item.held is not None and item.by_hand_only  # the review page still offers it
    # Another change than the one held is not held: qualifying for Gold is proposed anew.
    qualifies_for_gold(org)
    [item] = service.plan(NOW)[0]
    assert (item.decision.tier, item.held) == ("gold", None)
    assert [c.to_tier for c in service.apply(now=NOW)] == [Tier.GOLD]


def test_a_tier_set_down_by_hand_is_not_promoted_back_by_the_job(app):
    install()
    org = make_org(tier=Tier.SILVER)
    qualifies_for_silver(org)
    qualifies_for_gold(org)  # qualifies for Gold: a promotion is proposed
    service.review(None, {org.id: ReviewDecision("override", "Audit of their deals pending",
                                                 "bronze")}, now=NOW)
    db.session.commit()

    assert service.apply(now=NOW) == []
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Organization, org.id).tier == Tier.BRONZE
    [item] = service.plan(NOW)[0]
    assert item.decision.kind == "promotion" and item.by_hand_only


def test_another_managers_decision_meanwhile_makes_the_page_stale(app):
    install()
    org = make_org()
    qualifies_for_silver(org)
    [item] = service.plan(NOW)[0]
    shown = {org.id: service.proposal(item)}
    service.review(None, {org.id: ReviewDecision("hold", "Waiting for the agreement")},
                   now=NOW)  # another manager, first
    db.session.commit()

    with pytest.raises(ReviewChanged):
        service.review(None, {}, shown, now=NOW)
    db.session.rollback()
    assert db.session.get(Organization, org.id).tier == Tier.BRONZE


def test_setting_the_tier_someone_just_set_is_refused_not_a_crash(app):
    install()
    org = make_org(tier=Tier.SILVER)
    qualifies_for_gold(org)
    service.review(None, {org.id: ReviewDecision("override", "Strategic", "platinum")},
                   now=NOW)
    db.session.commit()
    with pytest.raises(ReviewChanged):
        service.review(None, {org.id: ReviewDecision("override", "Also strategic",
                                                     "platinum")}, now=NOW)


def test_a_post_without_the_pages_proposals_applies_nothing(app, certifications):
    org = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(org, certifications)
    client = signed_in(app, make_user(Role.MANAGER))
    for data in ({}, {"shown-²": "promotion:gold"}, {f"action-{org.id}": "apply"}):
        response = client.post("/reports/tiers/review", data=data)
        assert response.status_code == 400, data
        assert "no longer those on this page" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TierChange)) == 0


def test_a_partner_is_told_when_the_channel_team_set_its_tier(app):
    install()
    org = make_org(name="Aozora Consulting", tier=Tier.GOLD)
    admin = make_user(Role.PARTNER_ADMIN, org)
    qualifies_for_gold(org)
    # The rules change: only Silver is left, and no grace period (a demotion is due now).
    install(Program(tiers=PROGRAM.tiers[:1], currency="JPY", grace_period_days=0))
    service.review(None, {org.id: ReviewDecision("override", "Breach", "bronze")}, now=NOW)
    db.session.commit()
    notice = db.session.scalar(select(Notification).where(Notification.user_id == admin.id))
    message = render(notice.kind, notice.params, "en")
    assert "The channel team set Aozora Consulting's tier from Gold to Bronze" in message.body


def test_a_held_change_is_left_by_default_on_the_review_page(app, certifications):
    held_org = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(held_org, certifications)
    other = make_org(name="Kumo Works", tier=Tier.SILVER)
    gold_ready(other, certifications)
    service.review(None, {held_org.id: ReviewDecision("hold", "Agreement not signed"),
                          other.id: ReviewDecision("leave")})
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(TierChange)) == 0  # left
    client = signed_in(app, make_user(Role.MANAGER))
    page = client.get("/reports/tiers/review").get_data(as_text=True)
    assert "Held back on" in page and "Agreement not signed" in page
    # The page's own choices: the held row on "Not this time", the other on "Apply".
    import re

    chosen = dict(re.findall(r'<select id="(action-\d+)"[^>]*>.*?<option value="(\w+)" selected',
                             page, re.S))
    assert chosen == {f"action-{held_org.id}": "leave", f"action-{other.id}": "apply"}

    response = client.post("/reports/tiers/review", data={**_fields(page), **chosen})

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, held_org.id).tier == Tier.SILVER
    assert db.session.get(Organization, other.id).tier == Tier.GOLD


def test_a_tier_set_up_by_hand_gets_its_grace_period_but_no_demotion_by_the_job(app):
    install()
    org = make_org(tier=Tier.SILVER)
    qualifies_for_silver(org)
    service.review(None, {}, now=NOW)  # nothing due yet
    # Set up to Gold by hand although it qualifies for Silver only.
    install(Program(tiers=PROGRAM.tiers, currency="JPY", grace_period_days=10))
    qualifies_for_gold(org)
    service.review(None, {org.id: ReviewDecision("override", "Strategic", "platinum")},
                   now=NOW)
    db.session.commit()

    started = service.apply(now=NOW)  # below Platinum: the grace period starts on its own
    db.session.commit()
    assert [c.kind.value for c in started] == ["at_risk"]
    later = NOW + timedelta(days=30)
    assert service.apply(now=later) == []  # the demotion is left to a manager
    [item] = service.plan(later)[0]
    assert item.decision.kind == "demotion" and item.by_hand_only


def test_the_partner_admins_are_told_why_a_promotion_was_held(app):
    install()
    org, other = make_org(name="Minato Cloud"), make_org()
    qualifies_for_silver(org)
    admin = make_user(Role.PARTNER_ADMIN, org)
    member = make_user(Role.MEMBER, org)
    stranger = make_user(Role.PARTNER_ADMIN, other)
    manager = make_user(Role.MANAGER)

    service.review(manager, {org.id: ReviewDecision("hold", "Agreement not countersigned")},
                   now=NOW)
    db.session.commit()

    def told(user) -> list[Notification]:
        return list(db.session.scalars(select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "tier_held")))

    [notice] = told(admin)
    assert told(member) == told(stranger) == told(manager) == []
    message = message_of(notice, "en")
    assert message.title == "Minato Cloud stays Bronze for now"
    assert "qualifies for Silver" in message.body
    assert "Agreement not countersigned" in message.body
    assert message.path == f"/partners/{org.slug}"
