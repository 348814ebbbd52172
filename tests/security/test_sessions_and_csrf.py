"""CSRF on every state-changing route, sign-in brute force limits, sessions after sign-out,
and the flags of every cookie outside development.

The CSRF test walks `app.url_map`: every rule that accepts POST (or PUT, PATCH, DELETE outside
/api/) must have a row in ROUTES saying who may use it and with which ids, so a new route
cannot be forgotten. Without the token the answer is 400 and the database is unchanged, row
for row; with the token the same request reaches the view (proving the row is right).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select

from lms.api import tokens
from lms.assets.library import find_version
from lms.assets.publishing import add_version
from lms.auth import reset as resets
from lms.auth import service as accounts
from lms.clock import program_today
from lms.deals import registration as deals
from lms.extensions import db
from lms.mdf import service as mdf_service
from lms.models import (
    ApiToken,
    Asset,
    Award,
    Credential,
    CredentialKind,
    DeliveryState,
    JobFunction,
    MdfActivityType,
    MdfAllocation,
    MdfRequest,
    MdfStatus,
    PartnerApplication,
    PartnerType,
    Quiz,
    Role,
    SpifCampaign,
    SpifRule,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from lms.quizzes import service as quizzes
from lms.webhooks.rules import new_secret
from tests.factories import PASSWORD, csrf_token, login, make_org, make_user, signed_in
from tests.factories.assets import PDF, PDF_2, publish, upload
from tests.factories.content import COURSE, LESSON, QUIZ, sync_content
from tests.factories.deals import fresh, register
from tests.factories.people import People, make_people
from tests.security.conftest import build_app, form_values, text_of

CSRF_MESSAGE = "The form has expired or was not sent from this site"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


# --- The objects every route works on --------------------------------------------------------


@dataclass
class World:
    people: People
    deal_id: int
    asset_slug: str
    award_id: int
    attempt_id: int
    token_id: int
    invitation_id: int  # to revoke
    invitation_token: str  # another one, to accept
    inactive_id: int
    victim_id: int
    reset_token: str  # a password reset link's, of a person of its own
    webhook_id: int = 0  # an endpoint, with a delivered message (to redeliver)
    webhook_delivery_id: int = 0
    webhook_to_delete_id: int = 0  # another endpoint
    mdf: dict[str, int] = field(default_factory=dict)  # alpha's MDF requests by status
    spif_id: int = 0  # a SPIF campaign
    application_id: int = 0  # a pending partner application
    question_id: int = 0  # a question alpha's sales person asked
    environment_id: int = 0  # a demo environment alpha's sales person requested


def build_world() -> World:
    sync_content()
    p = make_people()
    deal = deals.register_deal(p.alpha, p.sales, customer_name="Acme K.K.", amount=1000)
    asset = publish("Brochure")
    add_version(None, asset, upload(PDF_2, "v2.pdf"), "Second.")
    credential = Credential(slug="sec-cert", name="Security Certification",
                            kind=CredentialKind.CERTIFICATION, image="badges/x.svg",
                            content_hash="x", courses=[], quizzes=[], validity_months=24)
    db.session.add(credential)
    db.session.flush()
    award = Award(user_id=p.sales.id, credential_id=credential.id,
                  issued_at=utcnow() - timedelta(days=1))
    db.session.add(award)
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == QUIZ))
    attempt = quizzes.start_attempt(p.sales, quiz)
    token, _plain = tokens.create_token("CRM sync", p.admin)
    to_revoke = accounts.create_invitation(p.admin, "leaving@alpha.test", Role.MEMBER,
                                           JobFunction.SALES, p.alpha, 7)
    issued = accounts.create_invitation(p.admin, "newcomer@alpha.test", Role.MEMBER,
                                        JobFunction.SALES, p.alpha, 7)
    inactive = make_user(Role.MEMBER, p.alpha, active=False)
    victim = make_user(Role.MEMBER, p.alpha)
    reset = resets.issue_reset(make_user(Role.MEMBER, p.alpha))
    db.session.commit()
    world = World(p, deal.id, asset.slug, award.id, attempt.id, token.id,
                  to_revoke.invitation.id, issued.token, inactive.id, victim.id, reset.token)
    endpoint, to_delete = (WebhookEndpoint(url="https://93.184.215.14/hooks",
                                           secret=new_secret(), event_types=None)
                           for _ in range(2))
    db.session.add_all([endpoint, to_delete])
    db.session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, message_id="msg_1", payload="{}",
                               event_type="tier.changed", state=DeliveryState.DELIVERED)
    db.session.add(delivery)
    db.session.commit()
    world.webhook_id, world.webhook_delivery_id = endpoint.id, delivery.id
    world.webhook_to_delete_id = to_delete.id
    world.mdf = _mdf_requests(p)
    campaign = SpifCampaign(name="New-logo bonus", rule=SpifRule.NEW_CUSTOMER, bonus=50_000,
                            currency="JPY", starts_on=program_today(),
                            ends_on=program_today() + timedelta(days=30), tiers=[])
    db.session.add(campaign)
    db.session.commit()
    world.spif_id = campaign.id
    application = PartnerApplication(
        company_name="Kumo Cloud K.K.", corporate_number="7000012050002",
        contact_name="Haruto Mori", contact_email="mori@kumo-cloud.example",
        partner_type=PartnerType.REFERRAL, region="kansai", products="Consulting",
        locale="en")
    db.session.add(application)
    db.session.commit()
    world.application_id = application.id
    from lms.kb import service as kb
    from tests.factories.kb import publish_article

    publish_article(Path(current_app.config["LMS_UPLOAD_DIR"]).parent / "kb-site")
    world.question_id = kb.ask(p.sales, "Public-sector price?", "300 seats.").id
    db.session.commit()
    from lms.models import DemoEnvironment

    environment = DemoEnvironment(organization_id=p.alpha.id, requested_by_id=p.sales.id,
                                  purpose="A demo", days=14)
    db.session.add(environment)
    db.session.commit()
    world.environment_id = environment.id
    return world


def _mdf_requests(p: People) -> dict[str, int]:
    """Alpha's MDF allocation this period (the small program gives none: set here) and a
    request in each status a POST acts on, keyed by status; "submitted" has a twin to cancel."""
    period = mdf_service.current_period()
    allocation = MdfAllocation(organization_id=p.alpha.id, period_kind=period.kind,
                               period_start=period.start, period_end=period.end,
                               tier=p.alpha.tier, base_amount=5_000_000, amount=5_000_000,
                               currency="JPY")
    db.session.add(allocation)
    db.session.flush()
    ended = program_today() - timedelta(days=1)
    now = utcnow()
    ids = {}
    for key, status, approved, claimed, payable in (
            ("submitted", MdfStatus.SUBMITTED, None, None, None),
            ("to_cancel", MdfStatus.SUBMITTED, None, None, None),
            ("approved", MdfStatus.APPROVED, 400_000, None, None),
            ("claimed", MdfStatus.CLAIMED, 400_000, 400_000, None),
            ("claim_approved", MdfStatus.CLAIM_APPROVED, 400_000, 400_000, 400_000)):
        request = MdfRequest(
            organization_id=p.alpha.id, allocation_id=allocation.id,
            requested_by_id=p.partner_admin.id, activity_type=MdfActivityType.EVENT,
            title=f"Seminar ({key})", starts_on=ended, ends_on=ended, planned_cost=500_000,
            requested_amount=400_000, status=status, approved_amount=approved,
            actual_cost=claimed, claimed_amount=claimed, payable_amount=payable,
            created_at=now, updated_at=now)
        db.session.add(request)
        db.session.flush()
        ids[key] = request.id
    db.session.commit()
    return ids


# --- Every unsafe route: who may call it, its URL with real ids, a request it would accept ---

Request = tuple[str, str, dict]  # (who, url, form data)
ORG_FORM = {"name": "Forged K.K.", "slug": "forged", "tier": "gold", "signed_on": "2025-04-01",
            "active": "y"}


def _tier_rules(w: World, client) -> dict:
    data = form_values(client.get("/admin/tiers/edit").get_data(as_text=True), having="note")
    data["grace_period_days"] = "7"
    data["note"] = "Forged rules"
    return data


def _manual_requirement(w: World, client) -> dict:
    """The program asks for a reseller agreement (recorded on a partner's page); its form."""
    from lms.tiers import service
    from lms.tiers.program import Requirement, TierRule

    program = service.current_program()[0]
    if not any(r.kind == "manual" for r in program.rule("silver").requirements):
        silver = TierRule("silver", (*program.rule("silver").requirements, Requirement(
            "manual", 1, item="reseller-agreement", name="Signed reseller agreement")))
        service.save_program(replace(program, tiers=(silver, *program.tiers[1:])), None, "x")
        db.session.commit()
    return {"reseller-agreement-met_on": "2026-01-05", "reseller-agreement-evidence": "Forged"}


ROUTES: dict[str, Callable[[World], Request]] = {
    "auth.login": lambda w: ("anonymous", "/login", {
        "email": w.people.sales.email, "password": PASSWORD}),
    "auth.logout": lambda w: ("sales", "/logout", {}),
    # Pages stay in English for the checks that follow (no locale change).
    "auth.account": lambda w: ("sales", "/account", {"name": "Forged", "locale": "en"}),
    "auth.change_password": lambda w: ("sales", "/account/password", {
        "pw-current": PASSWORD, "pw-password": "forged-password-1",
        "pw-confirm": "forged-password-1"}),
    "auth.set_locale": lambda w: ("sales", "/locale", {"locale": "en", "next": "/"}),
    "auth.accept_invitation": lambda w: ("anonymous", f"/invitations/{w.invitation_token}", {
        "name": "Forged", "password": "forged-password-1", "confirm": "forged-password-1"}),
    "admin.invite": lambda w: ("admin", "/admin/users/invite", {
        "email": "forged@example.test", "role": "admin", "job_function": ""}),
    "admin.revoke_invitation": lambda w: (
        "admin", f"/admin/invitations/{w.invitation_id}/revoke", {}),
    "admin.edit_user": lambda w: ("admin", f"/admin/users/{w.victim_id}", {
        "name": "Forged", "role": "partner_admin", "job_function": "sales",
        "organization_id": str(w.people.alpha.id), "locale": ""}),
    "admin.deactivate_user": lambda w: ("partner_admin",
                                        f"/admin/users/{w.victim_id}/deactivate", {}),
    "admin.reactivate_user": lambda w: ("admin", f"/admin/users/{w.inactive_id}/reactivate",
                                        {}),
    "admin.new_organization": lambda w: ("admin", "/admin/organizations/new", ORG_FORM),
    "admin.edit_organization": lambda w: (
        "admin", f"/admin/organizations/{w.people.alpha.id}", {**ORG_FORM, "slug": "alpha"}),
    "api_tokens.token_list": lambda w: ("admin", "/admin/api-tokens", {"name": "forged"}),
    "api_tokens.revoke": lambda w: ("admin", f"/admin/api-tokens/{w.token_id}/revoke", {}),
    "auth.password_forgot": lambda w: ("anonymous", "/password/forgot",
                                       {"email": w.people.sales.email}),
    "auth.password_reset": lambda w: ("anonymous", f"/password/reset/{w.reset_token}", {
        "password": "forged-password-1", "confirm": "forged-password-1"}),
    "admin.send_password_reset": lambda w: (
        "admin", f"/admin/users/{w.people.engineer.id}/password-reset", {}),
    "api_tokens.rotate": lambda w: ("admin", f"/admin/api-tokens/{w.token_id}/rotate", {}),
    "auth.two_factor_setup": lambda w: ("sales", "/account/two-factor/setup", {}),
    "auth.two_factor_confirm": lambda w: ("sales", "/account/two-factor/confirm",
                                          {"code-code": "123456"}),
    "auth.two_factor_recovery_codes": lambda w: ("sales", "/account/two-factor/recovery-codes",
                                                 {"code-code": "123456"}),
    "auth.two_factor_disable": lambda w: ("sales", "/account/two-factor/disable",
                                          {"off-password": "x", "off-code": "123456"}),
    "auth.two_factor_sign_in": lambda w: ("anonymous", "/login/two-factor", {"code": "123456"}),
    "admin.reset_two_factor": lambda w: ("admin", f"/admin/users/{w.victim_id}/reset-two-factor",
                                         {}),
    "credentials.revoke": lambda w: ("admin", f"/admin/credentials/{w.award_id}/revoke",
                                     {"reason": "Forged"}),
    "tiers.edit_rules": lambda w: ("admin", "/admin/tiers/edit", _tier_rules),
    "reports.tier_review": lambda w: ("manager", "/reports/tiers/review", {}),
    "tiers.record_requirement": lambda w: (
        "manager", f"/partners/{w.people.alpha.slug}/requirements/reseller-agreement",
        _manual_requirement),
    "tiers.withdraw_requirement": lambda w: (
        "manager", f"/partners/{w.people.alpha.slug}/requirements/reseller-agreement/withdraw",
        _manual_requirement),
    "courses.complete_lesson": lambda w: ("sales", f"/courses/{COURSE}/{LESSON}/complete", {}),
    "notifications.mark_all_read": lambda w: ("sales", "/notifications/read", {}),
    "notifications.settings": lambda w: ("sales", "/notifications/settings", {
        "credentials": "y", "delivery": "digest"}),
    "quizzes.quiz": lambda w: ("engineer", f"/quizzes/{QUIZ}", {}),
    "quizzes.attempt": lambda w: ("sales", f"/attempts/{w.attempt_id}", {
        "q-phrase": "ok", "q-port": "42", "q-colour": "Green"}),
    "quizzes.save_answers": lambda w: ("sales", f"/attempts/{w.attempt_id}/answers", {
        "q-phrase": "forged"}),
    "deals.new": lambda w: ("sales", "/deals/new", {
        "customer_name": "Forged K.K.", "amount": "1", "currency": "JPY"}),
    "deals.edit": lambda w: ("sales", f"/deals/{w.deal_id}/edit", {
        "customer_name": "Forged K.K.", "amount": "1", "currency": "JPY"}),
    "deals.decide": lambda w: ("manager", f"/deals/{w.deal_id}/status", {"action": "approve"}),
    "deals.import_csv": lambda w: ("manager", "/deals/import", {"file": (
        io.BytesIO(b"external_id,partner,customer,amount\ncrm-9,alpha,Forged,1\n"),
        "deals.csv")}),
    "assets.new": lambda w: ("manager", "/assets/new", {
        "title": "Forged", "description": "", "category": "brochure", "tags": "",
        "audience": "all", "language": "en", "min_tier": "bronze", "change_note": "",
        "file": (io.BytesIO(PDF), "forged.pdf")}),
    "assets.edit": lambda w: ("manager", f"/assets/{w.asset_slug}/edit", {
        "title": "Forged", "description": "", "category": "brochure", "tags": "",
        "audience": "all", "language": "en", "min_tier": "platinum"}),
    "assets.new_version": lambda w: ("manager", f"/assets/{w.asset_slug}/versions/new", {
        "change_note": "Forged", "file": (io.BytesIO(PDF), "forged.pdf")}),
    "assets.restore_version": lambda w: (
        "manager", f"/assets/{w.asset_slug}/versions/1/restore", {}),
    "mdf.new_request": lambda w: ("partner_admin", "/mdf/requests/new", {
        "activity_type": "event", "title": "Forged seminar",
        "starts_on": (program_today() + timedelta(days=7)).isoformat(),
        "ends_on": (program_today() + timedelta(days=7)).isoformat(),
        "planned_cost": "100,000"}),
    "mdf.cancel": lambda w: ("partner_admin", f"/mdf/requests/{w.mdf['to_cancel']}/cancel", {}),
    "mdf.claim": lambda w: ("partner_admin", f"/mdf/requests/{w.mdf['approved']}/claim", {
        "actual_cost": "400,000", "claimed_amount": "400,000",
        "files": (io.BytesIO(PDF), "invoice.pdf")}),
    "mdf.decide": lambda w: ("manager", f"/mdf/requests/{w.mdf['submitted']}/decision", {
        "action": "approve", "amount": "400,000"}),
    "mdf.decide_claim": lambda w: (
        "manager", f"/mdf/requests/{w.mdf['claimed']}/claim-decision", {
            "action": "approve", "amount": "400,000"}),
    "mdf.payment": lambda w: ("manager", f"/mdf/requests/{w.mdf['claim_approved']}/payment", {
        "paid_on": program_today().isoformat(), "reference": "TRF-FORGED"}),
    "mdf.adjust": lambda w: ("manager", f"/mdf/partners/{w.people.alpha.slug}/adjust", {
        "delta": "+1,000,000", "note": "Forged"}),
    "applications.apply": lambda w: ("anonymous", "/apply", {
        "company_name": "Forged K.K.", "contact_name": "Forger",
        "contact_email": "forger@example.test", "partner_type": "resale", "region": "kanto",
        "products": "Nothing"}),
    "applications.approve": lambda w: ("manager", f"/applications/{w.application_id}/approve", {
        "name": "Forged K.K.", "slug": "forged", "partner_type": "resale", "tier": "bronze",
        "job_function": "sales"}),
    "applications.decline": lambda w: ("manager", f"/applications/{w.application_id}/decline",
                                       {"reason": "Forged"}),
    "kb.vote": lambda w: ("sales", "/kb/protection/vote", {"helpful": "yes"}),
    "kb.ask": lambda w: ("sales", "/kb/questions/new", {"subject": "Forged", "body": "x"}),
    "kb.reply": lambda w: ("manager", f"/kb/questions/{w.question_id}/reply", {
        "body": "Forged"}),
    "environments.new": lambda w: ("sales", "/environments/new", {
        "purpose": "Forged", "days": "14", "deal_id": ""}),
    "environments.decide": lambda w: ("manager", f"/environments/{w.environment_id}/decision",
                                      {"action": "approve"}),
    "environments.details": lambda w: ("manager", f"/environments/{w.environment_id}/details", {
        "details-url": "https://forged.example", "details-credentials": "forged"}),
    "environments.reveal": lambda w: ("sales", f"/environments/{w.environment_id}/reveal", {}),
    "environments.extension": lambda w: (
        "sales", f"/environments/{w.environment_id}/extension", {
            "extension-days": "7", "extension-reason": "Forged"}),
    "environments.decide_extension": lambda w: (
        "manager", f"/environments/{w.environment_id}/extension/decision", {
            "action": "approve"}),
    "environments.end": lambda w: ("sales", f"/environments/{w.environment_id}/end", {}),
    "terms.accept": lambda w: ("partner_admin", "/terms/2026-04/accept", {
        "digest": "0" * 64, "confirm": "y"}),
    "spif.new_campaign": lambda w: ("manager", "/spif/new", {
        "name": "Forged", "rule": "won_deal", "bonus": "10,000",
        "starts_on": program_today().isoformat(), "ends_on": program_today().isoformat()}),
    "spif.edit_campaign": lambda w: ("manager", f"/spif/{w.spif_id}/edit", {
        "name": "Forged", "rule": "won_deal", "bonus": "10,000",
        "starts_on": program_today().isoformat(), "ends_on": program_today().isoformat()}),
    "webhooks.new_endpoint": lambda w: ("admin", "/admin/webhooks/new", {
        "url": "https://93.184.215.14/forged", "all_events": "y", "enabled": "y"}),
    "webhooks.edit_endpoint": lambda w: ("admin", f"/admin/webhooks/{w.webhook_id}", {
        "url": "https://93.184.215.14/forged", "all_events": "y"}),
    "webhooks.rotate_secret": lambda w: ("admin", f"/admin/webhooks/{w.webhook_id}/rotate", {}),
    "webhooks.enable_endpoint": lambda w: ("admin", f"/admin/webhooks/{w.webhook_id}/enable",
                                           {}),
    "webhooks.send_test": lambda w: ("admin", f"/admin/webhooks/{w.webhook_id}/test", {}),
    "webhooks.redeliver": lambda w: (
        "admin", f"/admin/webhooks/deliveries/{w.webhook_delivery_id}/redeliver", {}),
    "webhooks.delete_endpoint": lambda w: (
        "admin", f"/admin/webhooks/{w.webhook_to_delete_id}/delete", {}),
}


# Unsafe routes without the form token, each with why that is safe.
CSRF_EXEMPT = {
    # RFC 8058 one-click from mail clients: no session, no form. The signed token in the URL
    # is the authority, and it only ever turns mail off (tests/notifications/test_preferences).
    "notifications.unsubscribe",
}


def unsafe_rules(app, api: bool) -> dict[str, set[str]]:
    """endpoint -> the unsafe methods of its rule, inside or outside /api/."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        methods = (rule.methods or set()) & UNSAFE
        if methods and rule.rule.startswith("/api/") == api:
            found.setdefault(rule.endpoint, set()).update(methods)
    return found


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (the last-seen time aside: reading a page may touch it)."""
    db.session.expire_all()
    state = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in ("last_seen_at",
                                                                   "last_used_at")]
            order = list(table.primary_key.columns) or columns
            state[table.name] = [tuple(row) for row in
                                 conn.execute(select(*columns).order_by(*order))]
    return state


def person(world: World, who: str) -> User | None:
    return None if who == "anonymous" else getattr(world.people, who)


def _send(client, method: str, url: str, data: dict):
    files = any(isinstance(v, tuple) for v in data.values())
    return client.open(url, method=method, data=data,
                       content_type="multipart/form-data" if files else None)


@pytest.fixture
def csrf_app(make_app, content_settings):
    app = build_app(make_app, WTF_CSRF_ENABLED=True, PROPAGATE_EXCEPTIONS=False,
                    **content_settings)
    with app.app_context():
        yield app


def test_every_unsafe_route_is_in_the_csrf_table(csrf_app):
    routes = unsafe_rules(csrf_app, api=False)
    assert sorted(set(routes) - set(ROUTES) - CSRF_EXEMPT) == [], "add these routes to ROUTES"
    assert sorted(set(ROUTES) - set(routes)) == [], "these routes are gone: remove them"


def test_every_unsafe_route_refuses_a_request_without_the_csrf_token(csrf_app):
    world = build_world()
    routes = unsafe_rules(csrf_app, api=False)
    checked = []
    for endpoint in sorted(set(routes) & set(ROUTES)):
        for method in sorted(routes[endpoint]):
            who, url, data = ROUTES[endpoint](world)
            client = signed_in(csrf_app, person(world, who), through_form=False)
            fields = data(world, client) if callable(data) else data
            before = snapshot()
            response = _send(client, method, url, fields)
            body = text_of(response)
            assert response.status_code == 400, (endpoint, method, response.status_code)
            assert CSRF_MESSAGE in body, endpoint
            assert snapshot() == before, f"{method} {url} changed the database without a token"
            # The same request with the token reaches the view: the row above is right.
            token = csrf_token(client, "/login" if who == "anonymous" else "/account")
            who, url, data = ROUTES[endpoint](world)  # fresh file streams
            fields = data(world, client) if callable(data) else data
            accepted = _send(client, method, url, {**fields, "csrf_token": token})
            answer = text_of(accepted)
            assert accepted.status_code not in (401, 403, 404, 405), (endpoint,
                                                                      accepted.status_code)
            assert accepted.status_code < 500 and CSRF_MESSAGE not in answer, endpoint
            checked.append(endpoint)
    assert len(checked) >= len(ROUTES)


def test_a_token_of_another_session_is_refused(csrf_app):
    world = build_world()
    attacker = signed_in(csrf_app, world.people.manager, through_form=False)
    stolen = csrf_token(attacker, "/account")
    victim = signed_in(csrf_app, world.people.admin, through_form=False)
    before = snapshot()
    for url, data in (("/admin/api-tokens", {"name": "forged"}),
                      (f"/deals/{world.deal_id}/status", {"action": "approve"})):
        response = victim.post(url, data={**data, "csrf_token": stolen})
        assert response.status_code == 400 and CSRF_MESSAGE in text_of(response)
    assert snapshot() == before


def test_the_api_refuses_a_browser_session_on_every_unsafe_route(csrf_app):
    """The API is exempt from CSRF by design (token auth, no cookies): a session cookie
    alone must therefore never be enough there."""
    world = build_world()
    admin = signed_in(csrf_app, world.people.admin, through_form=False)
    assert admin.get("/account").status_code == 200  # the session works for pages
    routes = unsafe_rules(csrf_app, api=True)
    assert routes, "the API has unsafe routes"
    for rule in csrf_app.url_map.iter_rules():
        if rule.endpoint not in routes:
            continue
        url = rule.build({name: "crm-1" for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(routes[rule.endpoint]):
            before = snapshot()
            response = admin.open(url, method=method, json={
                "partner": "alpha", "customer": "Forged K.K.", "amount": 1})
            assert response.status_code == 401, (method, url)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert snapshot() == before


def test_post_without_csrf_token_is_refused(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user(Role.MEMBER)
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 400
        assert "The form has expired" in response.get_data(as_text=True)
        assert client.get("/").status_code == 302  # not signed in

        token = csrf_token(client, "/login")
        response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                                "csrf_token": token})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        # Signing out is a POST with a token too; without it the session stays.
        assert client.post("/logout").status_code == 400
        assert client.get("/").status_code == 200


def test_admin_actions_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = make_user(Role.ADMIN)
        victim = make_user(Role.MEMBER)
        client = app.test_client()
        token = csrf_token(client, "/login")
        client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                    "csrf_token": token})
        response = client.post(f"/admin/users/{victim.id}/deactivate")
        assert response.status_code == 400
        db.session.refresh(victim)
        assert victim.active is True


def test_deal_asset_tier_review_and_token_forms_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = make_org("alpha")
        deal = register(org, make_user(Role.MEMBER, org))
        asset = publish()
        add_version(None, asset, upload(PDF_2, "v2.pdf"), "Second.")
        db.session.commit()
        client = signed_in(app, make_user(Role.ADMIN))
        for path, data in [
            (f"/deals/{deal.id}/status", {"action": "approve"}),
            (f"/assets/{asset.slug}/versions/1/restore", {}),
            (f"/assets/{asset.slug}/edit", {"action": "archive"}),
            ("/reports/tiers/review", {}),
            ("/admin/api-tokens", {"name": "forged"}),
        ]:
            response = client.post(path, data=data)
            assert response.status_code in (302, 400), path
        assert fresh(deal).status.value == "registered"
        assert db.session.scalar(select(ApiToken.id)) is None
        db.session.expire_all()
        assert find_version(asset).number == 2
        assert db.session.get(Asset, asset.id).archived_at is None
        # With the token, the same decision goes through.
        token = csrf_token(client, f"/deals/{deal.id}")
        client.post(f"/deals/{deal.id}/status", data={"action": "approve", "csrf_token": token})
        assert fresh(deal).status.value == "approved"


# --- Sign-in brute force ----------------------------------------------------------------------


def limited_app(make_app, **limits):
    """An app that counts failed sign-ins (as production does), with the given limits."""
    return make_app(RATELIMIT_ENABLED=True, **limits)


def sign_in_attempt(client, email: str, password: str = "wrong-password",
                    address: str = "10.0.0.1", **headers):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_a_slow_attack_from_many_addresses_still_locks_the_account(make_app):
    app = limited_app(make_app, LMS_LOGIN_LIMIT_ACCOUNT="4 per day")
    with app.app_context():
        user = make_user(Role.MEMBER)
        other = make_user(Role.MEMBER)
        client = app.test_client()
        for n in range(4):
            assert sign_in_attempt(client, user.email, address=f"10.1.0.{n}").status_code == 200
        locked = sign_in_attempt(client, user.email, PASSWORD, address="10.1.0.99")
        assert locked.status_code == 429
        assert "Too many attempts" in text_of(locked)
        assert int(locked.headers["Retry-After"]) > 0
        # Another account from the same addresses is not affected.
        assert sign_in_attempt(client, other.email, PASSWORD, address="10.1.0.1").status_code == 302


def test_spelling_the_email_differently_does_not_reset_the_count(make_app):
    app = limited_app(make_app, LMS_LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    with app.app_context():
        make_user(Role.MEMBER, email="victim@example.test")
        client = app.test_client()
        for spelling in ("victim@example.test", "VICTIM@Example.TEST", "  victim@example.test "):
            assert sign_in_attempt(client, spelling).status_code == 200
        assert sign_in_attempt(client, "Victim@example.test", PASSWORD).status_code == 429
        assert client.get("/").status_code == 302


def test_a_forged_forwarded_for_header_does_not_reset_the_count(make_app):
    app = limited_app(make_app, LMS_LOGIN_LIMIT_ADDRESS="3 per 15 minutes")
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            forged = {"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"1.2.3.{n}"}
            assert sign_in_attempt(client, f"guess{n}@example.test", **forged).status_code == 200
        forged = {"X-Forwarded-For": "198.51.100.7"}
        assert sign_in_attempt(client, "guess9@example.test", **forged).status_code == 429


def test_behind_one_proxy_only_the_address_it_saw_counts(make_app):
    app = limited_app(make_app, LMS_PROXY_COUNT=1, LMS_LOGIN_LIMIT_ADDRESS="3 per 15 minutes")
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            # The client prepends a forged hop; the proxy appends the real address.
            hops = {"X-Forwarded-For": f"198.51.100.{n}, 203.0.113.5"}
            response = sign_in_attempt(client, f"guess{n}@example.test", address="127.0.0.1",
                                       **hops)
            assert response.status_code == 200
        hops = {"X-Forwarded-For": "198.51.100.77, 203.0.113.5"}
        blocked = sign_in_attempt(client, "guess9@example.test", address="127.0.0.1", **hops)
        assert blocked.status_code == 429
        hops = {"X-Forwarded-For": "203.0.113.6"}
        other = sign_in_attempt(client, "guess9@example.test", address="127.0.0.1", **hops)
        assert other.status_code == 200


def test_guessing_the_current_password_on_the_account_page_is_limited(make_app):
    app = limited_app(make_app)
    with app.app_context():
        user = make_user(Role.MEMBER)
        client = app.test_client()
        assert login(client, user).status_code == 302
        for n in range(10):
            response = client.post("/account/password", data={
                "pw-current": f"guess-{n}", "pw-password": "a-new-password-1",
                "pw-confirm": "a-new-password-1"})
            assert response.status_code == 400
        response = client.post("/account/password", data={
            "pw-current": PASSWORD, "pw-password": "a-new-password-1",
            "pw-confirm": "a-new-password-1"})
        assert response.status_code == 429
        db.session.refresh(user)
        assert user.check_password(PASSWORD)


# --- Sessions after signing out -------------------------------------------------------------


def test_a_copied_remember_me_cookie_stops_working_at_sign_out(app):
    user = make_user(Role.MEMBER)
    laptop = app.test_client()
    assert login(laptop, user, remember="y").status_code == 302
    remember = laptop.get_cookie("lms_remember").value
    assert laptop.post("/logout").status_code == 302

    thief = app.test_client()
    thief.set_cookie("lms_remember", remember)
    assert thief.get("/").status_code == 302, "a remember-me cookie outlived the sign-out"
    assert thief.get("/account").status_code == 302


def test_a_remember_me_cookie_is_bound_to_the_session_token(app):
    """Changing the password rotates the token: an old remember-me cookie stops working."""
    user = make_user(Role.MEMBER)
    laptop = app.test_client()
    login(laptop, user, remember="y")
    remember = laptop.get_cookie("lms_remember").value
    phone = app.test_client()
    login(phone, user)
    response = phone.post("/account/password", data={
        "pw-current": PASSWORD, "pw-password": "a-new-password-1",
        "pw-confirm": "a-new-password-1"})
    assert response.status_code == 302
    thief = app.test_client()
    thief.set_cookie("lms_remember", remember)
    assert thief.get("/").status_code == 302
    assert phone.get("/").status_code == 200  # the device that changed it stays signed in


def test_a_session_of_a_deactivated_person_ends_at_once(app):
    person_ = make_user(Role.MEMBER)
    admin = make_user(Role.ADMIN)
    device = app.test_client()
    login(device, person_, remember="y")
    copied = {name: device.get_cookie(name).value for name in ("lms_session", "lms_remember")}
    admin_client = app.test_client()
    login(admin_client, admin)
    assert admin_client.post(f"/admin/users/{person_.id}/deactivate").status_code == 302
    thief = app.test_client()
    for name, value in copied.items():
        thief.set_cookie(name, value)
    assert thief.get("/").status_code == 302
    assert device.get("/").status_code == 302


# --- Cookie flags outside development ------------------------------------------------------


def _cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the raw header, attributes included)."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0].strip()
        found[name] = header
    return found


def _attributes(header: str) -> dict[str, str]:
    cookie = SimpleCookie()
    cookie.load(header)
    (morsel,) = cookie.values()
    return {key: morsel[key] for key in morsel if morsel[key] not in ("", None)}


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_every_cookie_is_secure_httponly_and_lax_outside_development(make_app, environment):
    app = make_app(LMS_ENV=environment, TESTING=False,
                   SECRET_KEY="a-long-random-secret-for-this-test-only-0123456789",
                   LMS_BASE_URL="https://academy.example")
    with app.app_context():
        user = make_user(Role.MEMBER)
        client = app.test_client()
        https = {"base_url": "https://academy.example"}
        seen: dict[str, str] = {}
        for response in (
            client.get("/login", **https),
            client.post("/login", data={"email": user.email, "password": PASSWORD,
                                        "remember": "y"}, **https),
            client.get("/", **https),
            client.post("/locale", data={"locale": "ja", "next": "/"}, **https),
            client.post("/logout", **https),
        ):
            assert response.status_code < 500
            seen.update(_cookies(response))
            text_of(response)
        assert {"lms_session", "lms_remember", "lms_device"} <= set(seen)
        for name, header in seen.items():
            attributes = _attributes(header)
            assert attributes.get("secure") is True, (name, header)
            assert attributes.get("httponly") is True, (name, header)
            assert attributes.get("samesite") == "Lax", (name, header)
            # The device cookie is only ever read by the sign-in pages.
            assert attributes.get("path") == ("/login" if name == "lms_device" else "/"), \
                (name, header)
            assert "domain" not in attributes, (name, header)  # host-only


def test_development_cookies_are_httponly_and_lax_but_may_travel_over_http(make_app):
    app = make_app(LMS_ENV="development")
    with app.app_context():
        user = make_user(Role.MEMBER)
        response = app.test_client().post("/login", data={
            "email": user.email, "password": PASSWORD, "remember": "y"})
        for name in ("lms_session", "lms_remember"):
            attributes = _attributes(_cookies(response)[name])
            assert attributes.get("httponly") is True and attributes["samesite"] == "Lax"
            assert "secure" not in attributes


def test_session_cookie_flags_in_development(client):
    user = make_user(Role.MEMBER)
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_outside_development(make_app, app):
    assert app.config["SESSION_COOKIE_SECURE"] is False  # tests run as development
    production = make_app(LMS_ENV="production", TESTING=False,
                          SECRET_KEY="a-production-secret-for-this-test-only",
                          LMS_BASE_URL="https://academy.example")
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    response = production.test_client().get("/login")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_a_session_signed_with_another_key_is_ignored(make_app):
    """A cookie made with the development key (public in the repository) never works."""
    from flask.sessions import SecureCookieSessionInterface

    from lms.config import DEV_SECRET_KEY

    production = make_app(LMS_ENV="production", TESTING=False,
                          SECRET_KEY="a-long-random-secret-for-this-test-only-0123456789",
                          LMS_BASE_URL="https://academy.example")
    development = make_app(LMS_ENV="development", SECRET_KEY=DEV_SECRET_KEY)
    with production.app_context():
        user = make_user(Role.ADMIN)
        serializer = SecureCookieSessionInterface().get_signing_serializer(development)
        forged = serializer.dumps({"_user_id": user.get_id(), "_fresh": True})
        client = production.test_client()
        client.set_cookie("lms_session", forged)
        assert client.get("/admin/users").status_code == 302

