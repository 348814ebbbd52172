"""Invitations: single use, expiry, scope of who may invite whom, mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.auth import service
from lms.extensions import db
from lms.models import Invitation, JobFunction, Role, User, utcnow
from tests.factories import PASSWORD, login, make_org, make_user

LINK_RE = re.compile(r"/invitations/([A-Za-z0-9_\-]+)")


def _invite(client, **data) -> str:
    response = client.post("/admin/users/invite", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match, "the invitation link is shown to the inviter"
    return match.group(1)


def _accept(client, token: str, name="New Person", password="a-long-password-1"):
    return client.post(f"/invitations/{token}",
                       data={"name": name, "password": password, "confirm": password})


def test_admin_invites_and_the_person_sets_up_the_account(app):
    org = make_org()
    admin = make_user(Role.ADMIN)
    inviter = app.test_client()
    login(inviter, admin)
    token = _invite(inviter, email="New.Engineer@Example.test", role="member",
                    job_function="technical", organization_id=str(org.id))
    invitation = db.session.scalar(db.select(Invitation))
    assert invitation.token_hash != token, "only a hash of the token is stored"

    guest = app.test_client()
    page = guest.get(f"/invitations/{token}")
    assert page.status_code == 200
    assert "new.engineer@example.test" in page.get_data(as_text=True)
    response = _accept(guest, token, name="Ren Kato")
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "new.engineer@example.test"))
    assert (user.name, user.role, user.job_function, user.organization_id) == (
        "Ren Kato", Role.MEMBER, JobFunction.TECHNICAL, org.id)
    assert guest.get("/").status_code == 200  # signed in


def test_an_invitation_works_once(app):
    org = make_org()
    issued = service.create_invitation(make_user(Role.ADMIN), "once@example.test", Role.MEMBER,
                                       JobFunction.SALES, org, 7)
    db.session.commit()
    assert _accept(app.test_client(), issued.token).status_code == 302
    second = app.test_client()
    assert second.get(f"/invitations/{issued.token}").status_code == 404
    assert _accept(second, issued.token, name="Intruder").status_code == 404
    assert db.session.scalar(db.select(db.func.count(User.id)).where(
        User.email == "once@example.test")) == 1


def test_an_expired_invitation_is_refused(app):
    issued = service.create_invitation(make_user(Role.ADMIN), "late@example.test",
                                       Role.MANAGER, None, None, 7)
    issued.invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client = app.test_client()
    page = client.get(f"/invitations/{issued.token}")
    assert page.status_code == 404
    assert "cannot be used" in page.get_data(as_text=True)
    assert _accept(client, issued.token).status_code == 404
    assert db.session.scalar(db.select(User).where(User.email == "late@example.test")) is None


def test_invitations_expire_after_seven_days_by_default(app):
    issued = service.create_invitation(make_user(Role.ADMIN), "week@example.test",
                                       Role.MANAGER, None, None,
                                       app.config["LMS_INVITATION_DAYS"])
    lifetime = issued.invitation.expires_at - issued.invitation.created_at
    assert lifetime == timedelta(days=7)


def test_weak_password_is_refused_and_the_link_still_works(app):
    issued = service.create_invitation(make_user(Role.ADMIN), "weak@example.test",
                                       Role.MANAGER, None, None, 7)
    db.session.commit()
    client = app.test_client()
    response = _accept(client, issued.token, password="short")
    assert response.status_code == 200
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "weak@example.test")) is None
    assert _accept(client, issued.token).status_code == 302


def test_unknown_token_answers_404(client):
    assert client.get("/invitations/not-a-real-token").status_code == 404


def test_partner_admin_invites_only_into_their_own_company(app):
    own, other = make_org(), make_org()
    partner_admin = make_user(Role.PARTNER_ADMIN, own)
    client = app.test_client()
    login(client, partner_admin)
    page = client.get("/admin/users/invite").get_data(as_text=True)
    assert other.name not in page
    token = _invite(client, email="colleague@example.test", role="member",
                    job_function="sales", organization_id=str(other.id))
    invitation = db.session.scalar(db.select(Invitation))
    assert invitation.organization_id == own.id, "the company is always the inviter's"
    assert token


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_partner_admin_cannot_invite_vendor_staff(app, role):
    partner_admin = make_user(Role.PARTNER_ADMIN)
    client = app.test_client()
    login(client, partner_admin)
    response = client.post("/admin/users/invite", data={"email": "boss@example.test",
                                                        "role": role, "job_function": ""})
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Invitation)) is None


def test_a_partner_admin_cannot_cancel_or_take_over_someone_elses_invitation(app):
    admin = make_user(Role.ADMIN)
    staff = service.create_invitation(admin, "new.staff@vendor.test", Role.ADMIN, None, None, 7)
    db.session.commit()
    partner_admin = make_user(Role.PARTNER_ADMIN)
    client = app.test_client()
    login(client, partner_admin)
    response = client.post("/admin/users/invite", data={
        "email": "new.staff@vendor.test", "role": "member", "job_function": "sales"})
    assert "cannot be invited" in response.get_data(as_text=True)
    assert app.test_client().get(f"/invitations/{staff.token}").status_code == 200
    assert db.session.scalar(db.select(db.func.count(Invitation.id))) == 1


def test_a_partner_admin_cannot_learn_who_has_an_account(app):
    make_user(Role.MEMBER, email="someone@other.test")
    client = app.test_client()
    login(client, make_user(Role.PARTNER_ADMIN))
    taken = client.post("/admin/users/invite", data={
        "email": "someone@other.test", "role": "member", "job_function": "sales"})
    html = taken.get_data(as_text=True)
    assert "already has an account" not in html
    assert "cannot be invited" in html


def test_member_cannot_invite(app):
    client = app.test_client()
    login(client, make_user(Role.MEMBER))
    response = client.post("/admin/users/invite", data={"email": "x@example.test",
                                                        "role": "member"})
    assert response.status_code == 403
    assert db.session.scalar(db.select(Invitation)) is None


def test_invitation_links_use_the_configured_address(make_app):
    app = make_app(LMS_BASE_URL="https://academy.example")
    with app.app_context():
        client = app.test_client()
        admin = make_user(Role.ADMIN)
        client.post("/login", data={"email": admin.email, "password": PASSWORD},
                    base_url="http://evil.example")
        response = client.post("/admin/users/invite", base_url="http://evil.example", data={
            "email": "x@example.test", "role": "manager", "job_function": ""})
        html = response.get_data(as_text=True)
        assert "https://academy.example/invitations/" in html
        assert "evil.example" not in html


def test_invitation_is_mailed_when_smtp_is_configured(make_app, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append({"host": host, "port": port})

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent[-1]["tls"] = True

        def login(self, user, password):
            sent[-1]["login"] = user

        def send_message(self, message):
            sent[-1]["to"] = message["To"]
            sent[-1]["body"] = message.get_content()

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    app = make_app(LMS_SMTP_HOST="smtp.example.test", LMS_SMTP_USER="mailer")
    with app.app_context():
        admin = make_user(Role.ADMIN)
        client = app.test_client()
        login(client, admin)
        response = client.post("/admin/users/invite", data={
            "email": "mailed@example.test", "role": "manager", "job_function": ""})
        assert "was mailed to mailed@example.test" in response.get_data(as_text=True)
    assert sent[0]["host"] == "smtp.example.test"
    assert sent[0]["tls"] is True and sent[0]["login"] == "mailer"
    assert sent[0]["to"] == "mailed@example.test"
    assert "/invitations/" in sent[0]["body"]


def test_a_new_invitation_replaces_the_pending_one(app):
    admin = make_user(Role.ADMIN)
    first = service.create_invitation(admin, "twice@example.test", Role.MANAGER, None, None, 7)
    second = service.create_invitation(admin, "twice@example.test", Role.MANAGER, None, None, 7)
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/invitations/{first.token}").status_code == 404
    assert client.get(f"/invitations/{second.token}").status_code == 200


@pytest.mark.parametrize("role", ["member", "partner_admin"])
def test_partner_people_are_invited_with_a_job_function(app, role):
    org = make_org()
    client = app.test_client()
    login(client, make_user(Role.ADMIN))

    response = client.post("/admin/users/invite", data={
        "email": "no.function@example.test", "role": role, "job_function": "",
        "organization_id": str(org.id)})

    assert response.status_code == 200
    assert "it decides the onboarding path" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Invitation)) is None


def test_a_partner_admin_is_not_offered_no_job_function(app):
    client = app.test_client()
    login(client, make_user(Role.PARTNER_ADMIN))

    page = client.get("/admin/users/invite").get_data(as_text=True)

    assert "— none (vendor staff) —" not in page
    assert "it decides their onboarding path" in page


def test_vendor_staff_are_invited_without_one_and_the_link_has_a_copy_button(app):
    client = app.test_client()
    login(client, make_user(Role.ADMIN))

    response = client.post("/admin/users/invite", data={
        "email": "new.manager@vendor.test", "role": "manager", "job_function": ""})

    html = response.get_data(as_text=True)
    assert LINK_RE.search(html)
    assert 'data-copy="invitation-link"' in html and "js/share.js" in html
    assert db.session.scalar(db.select(Invitation)).job_function is None
