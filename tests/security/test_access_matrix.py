"""Every route of the app, for every kind of visitor, with the answer each must get.

The routes come from `app.url_map`, so a new route cannot be forgotten: one missing from
EXPECTED fails the test. Visitors: signed out, a member of company A (sales), the partner
admin of ANOTHER company B, a channel manager and an admin. Objects in URLs belong to A
(its deal, its member's attempt and award, its profile, its MDF request and proof file), so
B's admin must never see them.

Codes: 200 ok; 302 redirect (LOGIN means: to the sign-in page); 401 no API token; 403 not
allowed; 404 not there or not yours; 400/405 refused input. For POST routes the request has
no form data: an allowed visitor gets a validation answer (200/302/400), never 403/404.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from lms.extensions import db
from lms.models import (
    ApiToken,
    AssetCategory,
    Audience,
    Award,
    Credential,
    Deal,
    DealStatus,
    Invitation,
    JobFunction,
    MdfActivityType,
    MdfEvent,
    MdfProofFile,
    MdfRequest,
    MdfStatus,
    PartnerApplication,
    PartnerType,
    Role,
    SpifCampaign,
    SpifRule,
    Tier,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from lms.tiers.program import Requirement, TierRule
from lms.webhooks.rules import new_secret
from tests.factories import login, make_org, make_user

ROLES = ("anonymous", "member", "other_admin", "manager", "admin")
LOGIN = "login"  # a 302 to the sign-in page


def codes(anonymous, member, other_admin, manager, admin) -> dict[str, object]:
    return dict(zip(ROLES, (anonymous, member, other_admin, manager, admin), strict=True))


PUBLIC = codes(200, 200, 200, 200, 200)
SIGNED_IN = codes(LOGIN, 200, 200, 200, 200)
VENDOR = codes(LOGIN, 403, 403, 200, 200)
ADMIN = codes(LOGIN, 403, 403, 403, 200)
# Objects of company A: its member sees them, B's admin gets 404, vendor staff see them.
OWN_COMPANY = codes(LOGIN, 200, 404, 200, 200)
API = codes(401, 401, 401, 401, 401)  # a browser session is not an API token

EXPECTED: dict[tuple[str, str], dict[str, object]] = {
    # --- public pages --------------------------------------------------------------------
    ("main.healthz", "GET"): PUBLIC,
    ("auth.login", "GET"): codes(200, 302, 302, 302, 302),
    ("auth.login", "POST"): codes(200, 302, 302, 302, 302),  # the form again, with errors
    # Signed-in people are sent home: an invitation is for a new person.
    ("auth.accept_invitation", "GET"): codes(200, 302, 302, 302, 302),
    ("auth.accept_invitation", "POST"): codes(200, 302, 302, 302, 302),
    ("auth.logout", "GET"): codes(LOGIN, 200, 200, 200, 200),
    ("auth.logout", "POST"): codes(302, 302, 302, 302, 302),
    ("auth.set_locale", "POST"): codes(302, 302, 302, 302, 302),
    ("auth.password_forgot", "GET"): PUBLIC,
    ("auth.password_forgot", "POST"): codes(400, 400, 400, 400, 400),  # no email in the form
    ("auth.password_forgot_sent", "GET"): PUBLIC,
    ("auth.password_reset", "GET"): codes(404, 404, 404, 404, 404),  # no such link
    ("auth.password_reset", "POST"): codes(404, 404, 404, 404, 404),
    # The code page after the password: without a pending sign-in, back to the sign-in page.
    ("auth.two_factor_sign_in", "GET"): codes(LOGIN, 302, 302, 302, 302),
    ("auth.two_factor_sign_in", "POST"): codes(LOGIN, 302, 302, 302, 302),
    ("auth.two_factor_account", "GET"): SIGNED_IN,
    ("auth.two_factor_setup", "POST"): codes(LOGIN, 302, 302, 302, 302),
    # No valid code in the matrix's empty form: the page again with the error.
    ("auth.two_factor_confirm", "POST"): codes(LOGIN, 400, 400, 400, 400),
    ("auth.two_factor_recovery_codes", "POST"): codes(LOGIN, 400, 400, 400, 400),
    ("auth.two_factor_disable", "POST"): codes(LOGIN, 400, 400, 400, 400),
    ("credentials.verify", "GET"): PUBLIC,
    ("credentials.verify_json", "GET"): PUBLIC,
    ("credentials.badge_json", "GET"): PUBLIC,
    ("credentials.badge_image", "GET"): PUBLIC,
    ("credentials.issuer_json", "GET"): PUBLIC,
    ("credentials.verify_jwt", "GET"): PUBLIC,
    ("credentials.revocation_list", "GET"): PUBLIC,
    ("credentials.jwks", "GET"): PUBLIC,
    ("api.openapi_json", "GET"): PUBLIC,
    ("static", "GET"): PUBLIC,
    # --- everyone signed in --------------------------------------------------------------
    ("main.home", "GET"): SIGNED_IN,
    ("auth.account", "GET"): SIGNED_IN,
    ("auth.account", "POST"): codes(LOGIN, 200, 200, 200, 200),
    ("auth.change_password", "POST"): codes(LOGIN, 400, 400, 400, 400),
    ("courses.catalog", "GET"): SIGNED_IN,
    ("courses.course", "GET"): SIGNED_IN,
    ("courses.lesson", "GET"): SIGNED_IN,
    # A file of a course still locked by its prerequisites (vendor staff are never locked).
    ("courses.course_file", "GET"): codes(LOGIN, 403, 403, 200, 200),
    # A locked course's cover is still shown on its catalog card.
    ("courses.course_cover", "GET"): SIGNED_IN,
    ("courses.complete_lesson", "POST"): codes(LOGIN, 302, 302, 302, 302),
    ("notifications.inbox", "GET"): SIGNED_IN,
    # The member's own notification; anyone else's is as if it did not exist.
    ("notifications.open_notification", "GET"): codes(LOGIN, 302, 404, 404, 404),
    ("notifications.mark_all_read", "POST"): codes(LOGIN, 302, 302, 302, 302),
    ("notifications.settings", "GET"): SIGNED_IN,
    ("notifications.settings", "POST"): codes(LOGIN, 302, 302, 302, 302),
    # The link of a mail, for whoever holds it; the world's token is not one of these.
    ("notifications.unsubscribe", "GET"): codes(404, 404, 404, 404, 404),
    ("notifications.unsubscribe", "POST"): codes(404, 404, 404, 404, 404),
    ("quizzes.quiz_list", "GET"): SIGNED_IN,
    ("quizzes.quiz", "GET"): SIGNED_IN,
    ("quizzes.quiz", "POST"): codes(LOGIN, 302, 302, 302, 302),
    # The attempt is the member's own: nobody else may open it, vendor staff included.
    ("quizzes.attempt", "GET"): codes(LOGIN, 200, 404, 404, 404),
    ("quizzes.attempt", "POST"): codes(LOGIN, 302, 404, 404, 404),
    ("quizzes.save_answers", "POST"): codes(LOGIN, 302, 404, 404, 404),
    ("quizzes.result", "GET"): codes(LOGIN, 200, 404, 404, 404),
    ("credentials.mine", "GET"): SIGNED_IN,
    ("credentials.certificate", "GET"): codes(LOGIN, 200, 404, 404, 404),
    ("credentials.baked_badge", "GET"): codes(LOGIN, 200, 404, 404, 404),
    ("assets.library", "GET"): SIGNED_IN,
    ("assets.detail", "GET"): SIGNED_IN,
    ("assets.download", "GET"): SIGNED_IN,
    ("deals.deal_list", "GET"): SIGNED_IN,
    ("deals.export_csv", "GET"): SIGNED_IN,
    ("deals.detail", "GET"): OWN_COMPANY,
    ("tiers.partner_list", "GET"): SIGNED_IN,
    ("tiers.partner", "GET"): OWN_COMPANY,
    ("tiers.program_page", "GET"): SIGNED_IN,
    ("tiers.record_requirement", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("tiers.withdraw_requirement", "POST"): codes(LOGIN, 403, 403, 302, 302),
    # --- partners and their admins ---------------------------------------------------------
    ("deals.new", "GET"): codes(LOGIN, 200, 200, 403, 403),
    ("deals.new", "POST"): codes(LOGIN, 400, 400, 403, 403),
    ("deals.edit", "GET"): OWN_COMPANY,
    ("deals.edit", "POST"): codes(LOGIN, 400, 404, 400, 400),
    ("credentials.expiring", "GET"): codes(LOGIN, 403, 200, 200, 200),
    ("courses.progress", "GET"): codes(LOGIN, 403, 200, 200, 200),
    ("courses.organization_progress", "GET"): codes(LOGIN, 403, 404, 200, 200),
    ("courses.progress_csv", "GET"): codes(LOGIN, 403, 200, 200, 200),
    ("courses.organization_progress_csv", "GET"): codes(LOGIN, 403, 404, 200, 200),
    ("admin.users", "GET"): codes(LOGIN, 403, 200, 403, 200),
    ("admin.invite", "GET"): codes(LOGIN, 403, 200, 403, 200),
    ("admin.invite", "POST"): codes(LOGIN, 403, 200, 403, 200),
    ("admin.edit_user", "GET"): codes(LOGIN, 403, 404, 403, 200),
    ("admin.edit_user", "POST"): codes(LOGIN, 403, 404, 403, 400),
    ("admin.deactivate_user", "POST"): codes(LOGIN, 403, 404, 403, 302),
    ("admin.reactivate_user", "POST"): codes(LOGIN, 403, 404, 403, 302),
    ("admin.revoke_invitation", "POST"): codes(LOGIN, 403, 404, 403, 302),
    # --- vendor staff ---------------------------------------------------------------------
    ("deals.decide", "POST"): codes(LOGIN, 403, 404, 302, 302),
    ("deals.import_csv", "GET"): VENDOR,
    ("deals.import_csv", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("assets.new", "GET"): VENDOR,
    ("assets.new", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("assets.edit", "GET"): VENDOR,
    ("assets.edit", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("assets.new_version", "GET"): VENDOR,
    ("assets.new_version", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("assets.version_download", "GET"): VENDOR,
    ("assets.restore_version", "POST"): codes(LOGIN, 403, 403, 302, 302),
    ("assets.usage", "GET"): VENDOR,
    ("assets.usage_csv", "GET"): VENDOR,
    ("reports.tiers", "GET"): VENDOR,
    ("reports.tiers_csv", "GET"): VENDOR,
    ("reports.tier_review", "GET"): VENDOR,
    # Without the proposals the page showed, a review applies nothing (the world has some).
    ("reports.tier_review", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("reports.kpis", "GET"): VENDOR,
    ("reports.kpis_csv", "GET"): VENDOR,
    ("reports.health", "GET"): VENDOR,
    ("reports.health_csv", "GET"): VENDOR,
    ("quizzes.statistics_list", "GET"): VENDOR,
    ("quizzes.statistics", "GET"): VENDOR,
    ("quizzes.statistics_csv", "GET"): VENDOR,
    # --- admins ------------------------------------------------------------------------------
    ("admin.index", "GET"): ADMIN,
    ("admin.audit_log", "GET"): ADMIN,
    ("admin.organizations", "GET"): ADMIN,
    ("admin.new_organization", "GET"): ADMIN,
    ("admin.new_organization", "POST"): codes(LOGIN, 403, 403, 403, 400),
    ("admin.edit_organization", "GET"): ADMIN,
    # An empty form keeps the stored values: saved unchanged.
    ("admin.edit_organization", "POST"): codes(LOGIN, 403, 403, 403, 302),
    ("credentials.admin_awards", "GET"): ADMIN,
    ("credentials.revoke", "GET"): ADMIN,
    ("credentials.revoke", "POST"): codes(LOGIN, 403, 403, 403, 400),
    ("tiers.rules_overview", "GET"): ADMIN,
    ("tiers.rules_version", "GET"): ADMIN,
    ("tiers.edit_rules", "GET"): ADMIN,
    ("tiers.edit_rules", "POST"): codes(LOGIN, 403, 403, 403, 400),
    ("api_tokens.token_list", "GET"): ADMIN,
    ("api_tokens.token_list", "POST"): codes(LOGIN, 403, 403, 403, 400),
    ("api_tokens.revoke", "POST"): codes(LOGIN, 403, 403, 403, 302),
    ("api_tokens.rotate", "POST"): codes(LOGIN, 403, 403, 403, 200),
    ("webhooks.endpoint_list", "GET"): ADMIN,
    ("webhooks.new_endpoint", "GET"): ADMIN,
    ("webhooks.new_endpoint", "POST"): codes(LOGIN, 403, 403, 403, 400),
    ("webhooks.edit_endpoint", "GET"): ADMIN,
    ("webhooks.edit_endpoint", "POST"): codes(LOGIN, 403, 403, 403, 400),
    ("webhooks.rotate_secret", "POST"): codes(LOGIN, 403, 403, 403, 200),  # the new secret
    ("webhooks.enable_endpoint", "POST"): codes(LOGIN, 403, 403, 403, 302),
    ("webhooks.send_test", "POST"): codes(LOGIN, 403, 403, 403, 302),
    ("webhooks.redeliver", "POST"): codes(LOGIN, 403, 403, 403, 302),
    ("webhooks.delete_endpoint", "POST"): codes(LOGIN, 403, 403, 403, 302),  # the last route
    ("admin.reset_two_factor", "POST"): codes(LOGIN, 403, 403, 403, 302),
    ("admin.send_password_reset", "POST"): codes(LOGIN, 403, 404, 403, 200),
    # --- market development funds: company A's request (claimed, with a proof file) -----------
    ("mdf.overview", "GET"): SIGNED_IN,  # a partner's own funds, or every partner's
    ("mdf.partner", "GET"): OWN_COMPANY,
    ("mdf.detail", "GET"): OWN_COMPANY,
    ("mdf.proof_file", "GET"): OWN_COMPANY,
    ("mdf.returns", "GET"): SIGNED_IN,
    ("mdf.returns_csv", "GET"): SIGNED_IN,
    ("mdf.requests_csv", "GET"): SIGNED_IN,
    # Partner admins spend their own company's funds; nobody else requests, cancels or claims.
    ("mdf.new_request", "GET"): codes(LOGIN, 403, 200, 403, 403),
    ("mdf.new_request", "POST"): codes(LOGIN, 403, 400, 403, 403),
    ("mdf.cancel", "POST"): codes(LOGIN, 403, 404, 403, 403),
    ("mdf.claim", "POST"): codes(LOGIN, 403, 404, 403, 403),
    # The channel team decides; another company's request is 404 before the role is 403.
    ("mdf.decide", "POST"): codes(LOGIN, 403, 404, 400, 400),
    ("mdf.decide_claim", "POST"): codes(LOGIN, 403, 404, 400, 400),
    ("mdf.payment", "POST"): codes(LOGIN, 403, 404, 400, 400),
    ("mdf.adjust", "POST"): codes(LOGIN, 403, 403, 400, 400),
    # SPIF campaigns are the program's (everyone reads them; what a campaign owes is shown
    # per company: tests/spif); the channel team defines them.
    # Applications: anyone applies; only the channel team reads and decides them.
    ("applications.apply", "GET"): PUBLIC,
    ("applications.apply", "POST"): codes(400, 400, 400, 400, 400),  # an empty form
    ("applications.applied", "GET"): PUBLIC,
    ("applications.overview", "GET"): VENDOR,
    ("applications.detail", "GET"): VENDOR,
    ("applications.approve", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("applications.decline", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("spif.overview", "GET"): SIGNED_IN,
    ("spif.detail", "GET"): SIGNED_IN,
    ("spif.detail_csv", "GET"): SIGNED_IN,
    ("spif.new_campaign", "GET"): VENDOR,
    ("spif.new_campaign", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("spif.edit_campaign", "GET"): VENDOR,
    ("spif.edit_campaign", "POST"): codes(LOGIN, 403, 403, 400, 400),
    # Program terms: everyone signed in reads them; a partner admin accepts them for the
    # company (B's admin posting an empty form is sent back to the page); the channel team
    # sees who has accepted.
    ("terms.current", "GET"): SIGNED_IN,
    ("terms.version", "GET"): SIGNED_IN,
    ("terms.accept", "POST"): codes(LOGIN, 403, 302, 403, 403),
    ("terms.acceptances", "GET"): VENDOR,
    ("terms.acceptances_csv", "GET"): VENDOR,
    # The knowledge base: everyone signed in reads and votes (an empty vote is refused);
    # partners ask, and a question is its asker's company's (B's admin: 404), and the
    # channel team's, who answer and may download it as a draft article.
    ("kb.index", "GET"): SIGNED_IN,
    ("kb.article", "GET"): SIGNED_IN,
    ("kb.vote", "POST"): codes(LOGIN, 400, 400, 400, 400),
    ("kb.questions", "GET"): SIGNED_IN,
    ("kb.ask", "GET"): codes(LOGIN, 200, 200, 403, 403),
    ("kb.ask", "POST"): codes(LOGIN, 400, 400, 403, 403),
    ("kb.question", "GET"): OWN_COMPANY,
    ("kb.reply", "POST"): codes(LOGIN, 400, 404, 400, 400),
    ("kb.article_draft", "GET"): VENDOR,
    # Demo environments: A's member requested one (waiting for a decision). Vendor staff
    # provide them and do not ask; a step the environment's state does not allow redirects
    # back to its page with the reason.
    ("environments.index", "GET"): SIGNED_IN,
    ("environments.new", "GET"): codes(LOGIN, 200, 200, 403, 403),
    ("environments.new", "POST"): codes(LOGIN, 400, 400, 403, 403),
    ("environments.detail", "GET"): OWN_COMPANY,
    ("environments.decide", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("environments.details", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("environments.reveal", "POST"): codes(LOGIN, 302, 404, 302, 302),
    ("environments.extension", "POST"): codes(LOGIN, 400, 404, 400, 400),
    ("environments.decide_extension", "POST"): codes(LOGIN, 403, 403, 400, 400),
    ("environments.end", "POST"): codes(LOGIN, 302, 404, 302, 302),
    # --- the JSON API without a token ----------------------------------------------------------
    ("api.partners", "GET"): API,
    ("api.credential", "GET"): API,
    ("api.put_deal", "PUT"): API,
}


@dataclass
class World:
    values: dict[str, object]
    users: dict[str, object]


def _build_world(app) -> World:
    from lms.assets.metadata import AssetData
    from lms.assets.publishing import publish
    from lms.auth.service import create_invitation
    from lms.content import load_all, sync_all
    from lms.demo.files import pdf_document
    from lms.quizzes import service as quizzes
    from lms.tiers import service as tiers

    sync_all(load_all())
    program = tiers.default_program()
    # A manual requirement, so that recording one has a route to answer for.
    silver = TierRule("silver", (*program.rule("silver").requirements,
                                 Requirement("manual", 1, item="reseller-agreement",
                                             name="Signed reseller agreement")))
    tiers.seed_program(program)
    tiers.save_program(replace(program, tiers=(silver, *program.tiers[1:])), None, "matrix")
    db.session.commit()
    company = make_org(slug="company-a", tier=Tier.GOLD)
    other = make_org(slug="company-b")
    member = make_user(Role.MEMBER, company, job=JobFunction.SALES)
    colleague = make_user(Role.MEMBER, company, job=JobFunction.TECHNICAL)
    users = {
        "anonymous": None,
        "member": member,
        "other_admin": make_user(Role.PARTNER_ADMIN, other),
        "manager": make_user(Role.MANAGER),
        "admin": make_user(Role.ADMIN),
    }
    now = utcnow()
    deal = Deal(organization_id=company.id, registered_by_id=member.id,
                customer_name="Customer K.K.", customer_key="customer", amount=1_000_000,
                status=DealStatus.REGISTERED, registered_at=now - timedelta(days=1))
    db.session.add(deal)
    quiz = quizzes.active_quiz("partner-program-practice")
    attempt = quizzes.start_attempt(member, quiz)
    credential = db.session.scalar(db.select(Credential).where(
        Credential.slug == "program-essentials"))
    award = Award(user_id=member.id, credential_id=credential.id, issued_at=now)
    db.session.add(award)
    db.session.commit()
    invitation = create_invitation(users["admin"], "new.person@example.test", Role.MEMBER,
                                   JobFunction.SALES, company, 7)
    db.session.commit()
    asset = publish(users["manager"], AssetData(
        title="Overview", description="", category=AssetCategory.BROCHURE, tags=[],
        audience=Audience.ALL, language="en", min_tier=Tier.BRONZE),
        FileStorage(stream=io.BytesIO(pdf_document("Overview", ["x"])),
                    filename="overview.pdf"), "First.")
    from lms.api.tokens import create_token

    token, _plain = create_token("CRM", users["admin"])
    from lms.notifications.service import notify

    notification = notify(member, "test:1", "credentials", "credential_expiring", {
        "credential": {"en": "Certified"}, "days": 30, "expires": "2027-01-31"})
    endpoint = WebhookEndpoint(url="https://93.184.215.14/hooks", secret=new_secret(),
                               event_types=None)
    db.session.add(endpoint)
    db.session.flush()
    delivery = WebhookDelivery(endpoint_id=endpoint.id, message_id="msg_1",
                               event_type="tier.changed", payload="{}", next_at=now)
    db.session.add(delivery)
    db.session.commit()
    invitation_row = db.session.scalar(db.select(Invitation))
    mdf_request, proof = _mdf_request(company, member)
    campaign = SpifCampaign(name="New-logo bonus", rule=SpifRule.NEW_CUSTOMER, bonus=50_000,
                            currency="JPY", starts_on=now.date() - timedelta(days=30),
                            ends_on=now.date() + timedelta(days=30), tiers=[])
    db.session.add(campaign)
    application = PartnerApplication(
        company_name="Kumo Cloud K.K.", corporate_number="7000012050002",
        contact_name="Haruto Mori", contact_email="mori@kumo-cloud.example",
        partner_type=PartnerType.REFERRAL, region="kansai", products="Consulting",
        locale="en")
    db.session.add(application)
    db.session.commit()
    # Terms in force, accepted by both companies (registering deals and downloading stay
    # open to them: the gate itself is tests/terms').
    from lms.clock import program_today
    from tests.factories.terms import accept_all, publish

    publish(Path(app.config["LMS_UPLOAD_DIR"]).parent / "terms-site", "2026-04",
            program_today() - timedelta(days=30))
    accept_all(company)
    accept_all(other)
    kb_article, question = _knowledge_base(Path(app.config["LMS_UPLOAD_DIR"]).parent, member)
    values = {
        "org_slug": company.slug, "org_id": company.id,
        "course_slug": "partner-program-essentials", "lesson_slug": "program-overview",
        "locked_course_slug": "nimbus-crm-implementation", "filename": "images/data-model.svg",
        "quiz_slug": "partner-program-practice", "credential_slug": credential.slug,
        "asset_slug": asset.slug, "number": 1, "attempt_id": attempt.id,
        "award_id": award.id, "code": award.verification_code, "deal_id": deal.id,
        "user_id": colleague.id, "invitation_id": invitation_row.id, "token_id": token.id,
        "token": invitation.token, "external_id": "CRM-1",
        "static": "css/app.css", "image_format": "svg", "notification_id": notification.id,
        "endpoint_id": endpoint.id, "delivery_id": delivery.id, "item": "reseller-agreement",
        "request_id": mdf_request.id, "file_id": proof.id, "campaign_id": campaign.id,
        "application_id": application.id, "version": "2026-04", "kb_slug": kb_article,
        "question_id": question, "environment_id": _environment(member),
    }
    assert db.session.get(ApiToken, token.id) is not None
    return World(values, users)


def _knowledge_base(root, member) -> tuple[str, int]:
    """An article, and a question company A's member asked."""
    from lms.kb import service as kb
    from tests.factories.kb import publish_article

    slug = publish_article(root / "kb-site")
    question = kb.ask(member, "Public-sector price?", "300 seats.")
    db.session.commit()
    return slug, question.id


def _environment(member) -> int:
    """A demo environment company A's member requested."""
    from lms.environments import service as environments

    environment = environments.request(member, environments.RequestData(
        "A demo for a prospect", 14, None))
    db.session.commit()
    return environment.id


def _mdf_request(company, member) -> tuple[MdfRequest, MdfProofFile]:
    """A claimed MDF request of company A (an activity that ended yesterday), with the event
    of its submission and its proof file in the storage."""
    from lms.assets.files import store_upload
    from lms.clock import program_today
    from lms.demo.files import pdf_document
    from lms.mdf import service as mdf

    allocation = mdf.open_allocation(company, mdf.current_period())
    ended = program_today() - timedelta(days=1)
    now = utcnow()
    request = MdfRequest(
        organization_id=company.id, allocation_id=allocation.id, requested_by_id=member.id,
        activity_type=MdfActivityType.EVENT, title="Seminar", starts_on=ended,
        ends_on=ended, planned_cost=500_000, requested_amount=400_000,
        approved_amount=400_000, actual_cost=450_000, claimed_amount=400_000,
        status=MdfStatus.CLAIMED, created_at=now, updated_at=now)
    db.session.add(request)
    db.session.flush()
    db.session.add(MdfEvent(request_id=request.id, actor_id=member.id, at=now,
                            to_status=MdfStatus.SUBMITTED, amount=400_000))
    stored = store_upload(FileStorage(stream=io.BytesIO(pdf_document("Invoice", ["x"])),
                                      filename="invoice.pdf"))
    proof = MdfProofFile(request_id=request.id, filename=stored.filename,
                         content_type=stored.content_type, size=stored.size,
                         sha256=stored.sha256, uploaded_by_id=member.id, uploaded_at=now)
    db.session.add(proof)
    db.session.commit()
    return request, proof


def url_for_rule(rule, world: World) -> str:
    """The rule's URL with the world's objects for its arguments."""
    values = world.values
    args = {}
    for name in rule.arguments:
        if name == "slug":
            key = {"assets": "asset_slug", "quizzes": "quiz_slug",
                   "credentials": "credential_slug", "kb": "kb_slug"}[rule.endpoint.split(".")[0]]
            args[name] = values[key]
        elif name == "filename" and rule.endpoint == "static":
            args[name] = values["static"]
        elif name == "course_slug" and rule.endpoint in ("courses.course_file",
                                                          "courses.course_cover"):
            args[name] = values["locked_course_slug"]
        else:
            args[name] = values[name]
    return rule.build(args, append_unknown=False)[1]


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_route_is_in_the_matrix(app):
    missing = sorted(f"{rule.endpoint} {method} {rule.rule}" for rule, method in _routes(app)
                     if (rule.endpoint, method) not in EXPECTED)
    assert not missing, "routes without an expected answer in the matrix:\n" + "\n".join(
        missing)
    stale = sorted(f"{e} {m}" for e, m in EXPECTED if (e, m) not in {
        (rule.endpoint, method) for rule, method in _routes(app)})
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_visitor_as_expected(app, role):
    world = _build_world(app)
    user = world.users[role]
    wrong = []
    for rule, method in _routes(app):
        expected = EXPECTED.get((rule.endpoint, method), {}).get(role)
        if expected is None:
            continue  # reported by test_every_route_is_in_the_matrix
        client = app.test_client()
        if user is not None:
            assert login(client, user).status_code == 302
        path = url_for_rule(rule, world)
        response = client.open(path, method=method, data={})
        got = response.status_code
        response.close()
        if expected == LOGIN:
            ok = got == 302 and "/login" in response.headers.get("Location", "")
        else:
            ok = got == expected
        if not ok:
            wrong.append(f"{method} {path} ({rule.endpoint}): expected {expected}, got {got}")
    assert not wrong, f"as {role}:\n" + "\n".join(wrong)
