"""Becoming a partner over HTTP: anyone applies at /apply (bad input refused next to its field
with nothing stored, a program that fills the hidden field stored nothing, an address that
keeps sending is slowed down); the channel team approves (the company is created with its type
and the applicant invited as its partner admin) or declines with a reason the applicant is
mailed in their language; partners never see an application."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.models import (
    ApplicationStatus,
    AuditAction,
    AuditEvent,
    Invitation,
    JobFunction,
    Organization,
    PartnerApplication,
    PartnerType,
    Role,
    Tier,
)
from tests.factories import make_org, make_user, signed_in

NTA = "7000012050002"  # a published corporate number (the National Tax Agency's)


def application_form(**values) -> dict:
    return {"company_name": "Kumo Cloud Partners K.K.", "corporate_number": "7000-01-205-0002",
            "contact_name": "Haruto Mori", "contact_email": "Mori@Kumo-Cloud.example",
            "contact_phone": "03-1234-5678", "partner_type": "referral", "region": "kansai",
            "products": "IT consulting for mid-size manufacturers", "message": "",
            "website": ""} | values


def stored() -> list[PartnerApplication]:
    db.session.expire_all()
    return list(db.session.scalars(select(PartnerApplication).order_by(PartnerApplication.id)))


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def an_application(**values) -> PartnerApplication:
    fields = {"company_name": "Kumo Cloud Partners K.K.", "corporate_number": NTA,
              "contact_name": "Haruto Mori", "contact_email": "mori@kumo-cloud.example",
              "contact_phone": "", "partner_type": PartnerType.REFERRAL, "region": "kansai",
              "products": "IT consulting", "message": "", "locale": "en"} | values
    application = PartnerApplication(**fields)
    db.session.add(application)
    db.session.commit()
    return application


@pytest.fixture
def mails(monkeypatch) -> list[tuple[str, str, str]]:
    sent: list[tuple[str, str, str]] = []

    def send_mail(to: str, subject: str, body: str) -> bool:
        sent.append((to, subject, body))
        return True

    monkeypatch.setattr("lms.applications.service.send_mail", send_mail)
    return sent


# --- Applying -------------------------------------------------------------------------------


def test_anyone_can_apply_and_the_number_is_stored_as_digits(app):
    client = app.test_client()
    page = client.get("/apply")
    assert page.status_code == 200
    assert 'class="honeypot"' in page.get_data(as_text=True)
    assert 'href="/apply"' in client.get("/login").get_data(as_text=True)

    response = client.post("/apply", data=application_form(),
                           headers={"Accept-Language": "ja"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/apply/thanks")
    [application] = stored()
    assert (application.corporate_number, application.contact_email, application.partner_type,
            application.region, application.locale, application.status) == (
        NTA, "mori@kumo-cloud.example", PartnerType.REFERRAL, "kansai", "ja",
        ApplicationStatus.PENDING)
    assert "reviews every application" in client.get("/apply/thanks").get_data(as_text=True)


def test_a_company_registered_abroad_applies_without_a_number(app):
    response = app.test_client().post("/apply", data=application_form(corporate_number=""))
    assert response.status_code == 302
    assert stored()[0].corporate_number is None


@pytest.mark.parametrize(("changes", "message"), [
    ({"corporate_number": "7000012050003"}, "This is not a valid corporate number"),
    ({"corporate_number": "700001205000"}, "A corporate number has 13 digits."),
    ({"corporate_number": "70000-I2050002"}, "A corporate number has digits only."),
    ({"company_name": ""}, "This field is required."),
    ({"contact_email": "mori@"}, "Enter a valid email address."),
    ({"products": ""}, "This field is required."),
    ({"partner_type": "distributor"}, "Not a valid choice."),
    ({"region": "mars"}, "Not a valid choice."),
    ({"company_name": "Kumo\x1b[31m"}, "Remove the control characters"),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(app, changes, message):
    response = app.test_client().post("/apply", data=application_form(**changes))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert stored() == []


def test_a_form_that_fills_the_hidden_field_is_thanked_and_forgotten(app):
    response = app.test_client().post("/apply", data=application_form(website="http://spam"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/apply/thanks")
    assert stored() == []


def test_an_address_that_keeps_sending_is_slowed_down(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        for n in range(5):
            response = client.post("/apply", data=application_form(company_name=f"Spam {n}"),
                                   environ_base={"REMOTE_ADDR": "10.9.0.1"})
            assert response.status_code == 302
        refused = client.post("/apply", data=application_form(company_name="Spam 5"),
                              environ_base={"REMOTE_ADDR": "10.9.0.1"})
        assert refused.status_code == 429
        assert len(stored()) == 5
        # Another address is not affected.
        other = client.post("/apply", data=application_form(), environ_base={
            "REMOTE_ADDR": "10.9.0.2"})
        assert other.status_code == 302


# --- Who sees applications ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN])
def test_partners_never_see_or_decide_an_application(app, role, mails):
    application = an_application()
    client = signed_in(app, make_user(role, make_org()), through_form=False)
    assert client.get("/applications").status_code == 403
    assert client.get(f"/applications/{application.id}").status_code == 403
    assert client.post(f"/applications/{application.id}/approve", data={
        "name": "X", "slug": "x", "partner_type": "resale", "tier": "bronze",
        "job_function": "sales"}).status_code == 403
    assert client.post(f"/applications/{application.id}/decline",
                       data={"reason": "No"}).status_code == 403
    assert stored()[0].status == ApplicationStatus.PENDING and mails == []


def test_signed_out_people_are_sent_to_sign_in(app):
    application = an_application()
    client = app.test_client()
    for path in ("/applications", f"/applications/{application.id}"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_channel_team_sees_pending_applications_first(app):
    an_application(company_name="Decided Co.", status=ApplicationStatus.DECLINED,
                   decline_reason="Not now")
    an_application(company_name="Waiting Co.")
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    page = text_of(client.get("/applications"))
    assert page.index("Waiting Co.") < page.index("Decided Co.")
    assert "Waiting for a decision (1)" in page
    only_declined = text_of(client.get("/applications?status=declined"))
    assert "Decided Co." in only_declined and "Waiting Co." not in only_declined
    assert client.get("/applications?status=nonsense").status_code == 200
    assert client.get("/applications/999999").status_code == 404
    assert client.get(f"/applications/{2**40}").status_code == 404


def test_a_second_application_from_the_same_company_is_pointed_out(app):
    first = an_application(contact_email="first@kumo-cloud.example")
    second = an_application(contact_email="second@kumo-cloud.example")
    an_application(company_name="Unrelated", corporate_number=None,
                   contact_email="x@elsewhere.example")
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    page = text_of(client.get(f"/applications/{second.id}"))
    assert "Other applications from this company or address" in page
    assert f"/applications/{first.id}" in page and "Unrelated" not in page


# --- Approving ------------------------------------------------------------------------------


def approve_form(**values) -> dict:
    return {"name": "Kumo Cloud Partners K.K.", "slug": "kumo-cloud-partners",
            "partner_type": "referral", "tier": "silver", "job_function": "technical"} | values


def test_approval_creates_the_company_and_invites_the_applicant(app, mails):
    application = an_application(locale="ja")
    manager = make_user(Role.MANAGER)
    client = signed_in(app, manager, through_form=False)
    form = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert 'value="kumo-cloud-partners"' in form  # the suggested short name, no "K.K."

    response = client.post(f"/applications/{application.id}/approve", data=approve_form())
    assert response.status_code == 200
    page = text_of(response)
    assert "Application approved" in page and "/invitations/" in page  # the link, shown once

    db.session.expire_all()
    org = db.session.scalar(select(Organization).where(Organization.slug == "kumo-cloud-partners"))
    assert (org.name, org.partner_type, org.tier) == (
        "Kumo Cloud Partners K.K.", PartnerType.REFERRAL, Tier.SILVER)
    invitation = db.session.scalar(select(Invitation))
    assert (invitation.email, invitation.role, invitation.job_function,
            invitation.organization_id, invitation.invited_by_id) == (
        "mori@kumo-cloud.example", Role.PARTNER_ADMIN, JobFunction.TECHNICAL, org.id, manager.id)
    [application] = stored()
    assert (application.status, application.organization_id, application.decided_by_id) == (
        ApplicationStatus.APPROVED, org.id, manager.id)
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == AuditAction.APPLICATION_APPROVED)).organization_id == org.id
    # Mailed in the applicant's language, with the same link the page shows.
    [(to, subject, body)] = mails
    assert to == "mori@kumo-cloud.example" and subject == "パートナープログラムへようこそ"
    link = re.search(r"https?://\S+/invitations/\S+", body).group(0)
    assert link in page
    # Decided: no more forms, and the company is linked.
    decided = text_of(client.get(f"/applications/{application.id}"))
    assert "Approve and invite" not in decided and "/partners/kumo-cloud-partners" in decided


def test_a_taken_short_name_is_refused_and_nothing_changes(app, mails):
    make_org("kumo-cloud-partners")
    application = an_application()
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    response = client.post(f"/applications/{application.id}/approve", data=approve_form())
    assert response.status_code == 400
    assert "Another company already uses this short name." in text_of(response)
    assert stored()[0].status == ApplicationStatus.PENDING
    assert db.session.scalar(select(Invitation)) is None
    assert db.session.scalar(select(db.func.count()).select_from(Organization)) == 1
    assert mails == []


def test_an_address_that_already_has_an_account_is_refused(app, mails):
    make_user(Role.MEMBER, make_org(), email="mori@kumo-cloud.example")
    application = an_application()
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    response = client.post(f"/applications/{application.id}/approve", data=approve_form())
    assert response.status_code == 400
    assert "Someone with this email already has an account." in text_of(response)
    assert stored()[0].status == ApplicationStatus.PENDING
    assert db.session.scalar(select(Organization).where(
        Organization.slug == "kumo-cloud-partners")) is None


def test_an_application_is_decided_once(app, mails):
    application = an_application()
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    assert client.post(f"/applications/{application.id}/approve",
                       data=approve_form()).status_code == 200
    again = client.post(f"/applications/{application.id}/approve",
                        data=approve_form(slug="kumo-2"))
    assert again.status_code == 400
    assert "This application was already decided." in text_of(again)
    late = client.post(f"/applications/{application.id}/decline", data={"reason": "Late"})
    assert late.status_code == 400
    assert stored()[0].status == ApplicationStatus.APPROVED and len(mails) == 1
    assert db.session.scalar(select(db.func.count()).select_from(Organization)) == 1


# --- Declining ------------------------------------------------------------------------------


def test_a_decline_needs_a_reason(app, mails):
    application = an_application()
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    response = client.post(f"/applications/{application.id}/decline", data={"reason": "  "})
    assert response.status_code == 400
    assert "This field is required." in text_of(response)
    assert stored()[0].status == ApplicationStatus.PENDING and mails == []


def test_a_declined_applicant_is_mailed_the_reason_in_their_language(app, mails):
    application = an_application(locale="ja")
    client = signed_in(app, make_user(Role.ADMIN), through_form=False)
    reason = "現在、関西地域の新規パートナー募集は行っておりません。"
    response = client.post(f"/applications/{application.id}/decline", data={"reason": reason})
    assert response.status_code == 302
    [application] = stored()
    assert application.status == ApplicationStatus.DECLINED
    [(to, subject, body)] = mails
    assert to == "mori@kumo-cloud.example"
    assert subject == "パートナープログラムへのお申し込みについて"
    assert "関西地域の新規パートナー募集" in body
    page = text_of(client.get(f"/applications/{application.id}"))
    assert "The reason was mailed to mori@kumo-cloud.example." in page
    assert reason in page and "Approve and invite" not in page
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == AuditAction.APPLICATION_DECLINED)) is not None


def test_without_mail_the_manager_is_told_to_pass_the_reason_on(app, monkeypatch):
    monkeypatch.setattr("lms.applications.service.send_mail", lambda *_args: False)
    application = an_application()
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    client.post(f"/applications/{application.id}/decline", data={"reason": "Not now"})
    page = text_of(client.get(f"/applications/{application.id}"))
    assert "No mail could be sent: tell mori@kumo-cloud.example the reason yourself." in page


# --- The partner type, where partners are listed ---------------------------------------------


def test_the_tier_report_shows_and_filters_the_partner_type(app):
    make_org(name="Referral One", partner_type=PartnerType.REFERRAL)
    make_org(name="Resale One")  # a company from before applications: resale
    make_org(name="OEM One", partner_type=PartnerType.OEM)
    client = signed_in(app, make_user(Role.MANAGER), through_form=False)
    everyone = text_of(client.get("/reports/tiers?tier=gold"))
    assert all(name in everyone for name in ("Referral One", "Resale One", "OEM One"))
    assert "Referral One</a> <span class=\"small muted\">Referral</span>" in everyone
    oem = text_of(client.get("/reports/tiers?tier=gold&type=oem"))
    assert "OEM One" in oem and "Referral One" not in oem and "Resale One" not in oem
    assert "All partners (1)" in oem
    assert "type=oem" in oem  # the other filters and the CSV keep it
    rows = client.get("/reports/tiers.csv?tier=gold&type=referral").get_data(as_text=True)
    assert "Referral One" in rows and "OEM One" not in rows
    assert "All partners (3)" in text_of(client.get("/reports/tiers?tier=gold&type=nonsense"))


def test_an_admin_sets_a_companys_partner_type(app):
    org = make_org(name="Kumo Works")
    client = signed_in(app, make_user(Role.ADMIN), through_form=False)
    form = client.get(f"/admin/organizations/{org.id}").get_data(as_text=True)
    assert '<option selected value="resale">' in form or 'value="resale" selected' in form
    response = client.post(f"/admin/organizations/{org.id}", data={
        "name": "Kumo Works", "slug": org.slug, "tier": "bronze", "partner_type": "oem",
        "signed_on": org.signed_on.isoformat(), "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).partner_type == PartnerType.OEM
    assert "OEM" in text_of(client.get("/admin/organizations"))


@pytest.mark.parametrize(("name", "slug"), [
    ("Kumo Cloud Partners K.K.", "kumo-cloud-partners"),
    ("BluePeak Partners Pte. Ltd.", "bluepeak-partners"),
    ("Northwind Advisory GmbH", "northwind-advisory"),
    ("Harbor Lane Consulting, Inc.", "harbor-lane-consulting"),
    ("Café Müller", "cafe-muller"),
    ("株式会社クモ", ""),  # nothing to suggest: the manager types one
    ("Inc.", "inc"),  # a name that is only a legal form keeps it
])
def test_the_suggested_short_name(app, name, slug):
    from lms.applications.service import suggested_slug

    assert suggested_slug(name) == slug


def test_the_suggested_short_name_is_free(app):
    from lms.applications.service import suggested_slug

    make_org("kumo-works")
    make_org("kumo-works-2")
    assert suggested_slug("Kumo Works K.K.") == "kumo-works-3"
