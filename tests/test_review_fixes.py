"""Findings of the security review: each one shown fixed through HTTP."""

from __future__ import annotations

from lms.auth import service as accounts
from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Invitation, JobFunction, Role
from tests.factories import PASSWORD, login, make_org, make_user


def test_a_partner_admin_cannot_cancel_or_take_over_someone_elses_invitation(app):
    admin = make_user(Role.ADMIN)
    staff = accounts.create_invitation(admin, "new.staff@vendor.test", Role.ADMIN, None, None, 7)
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


def test_failures_from_elsewhere_do_not_lock_the_owner_out(app):
    user = make_user(Role.MEMBER)
    attacker = app.test_client()
    for _ in range(6):
        attacker.post("/login", data={"email": user.email, "password": "guess"},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"})
    owner = app.test_client()
    response = owner.post("/login", data={"email": user.email, "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 302


def test_a_newline_in_next_is_ignored_not_an_error(client):
    response = client.post("/locale", data={"locale": "ja", "next": "/a\r\nX-Injected: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X-Injected" not in response.headers


def test_files_of_a_locked_course_are_not_served_to_partners(app):
    sync_all(load_all())
    db.session.commit()
    client = app.test_client()
    login(client, make_user(Role.MEMBER, job=JobFunction.TECHNICAL))
    path = "/courses/nimbus-crm-implementation/files/images/data-model.svg"
    assert client.get(path).status_code == 403
    vendor = app.test_client()
    login(vendor, make_user(Role.MANAGER))
    response = vendor.get(path)
    assert response.status_code == 200
    response.close()


def test_deactivating_a_company_ends_sessions_and_invitations(app):
    org = make_org()
    person = make_user(Role.MEMBER, org)
    admin = make_user(Role.ADMIN)
    issued = accounts.create_invitation(admin, "late@partner.test", Role.MEMBER,
                                        JobFunction.SALES, org, 7)
    db.session.commit()
    session_client = app.test_client()
    login(session_client, person)
    admin_client = app.test_client()
    login(admin_client, admin)
    admin_client.post(f"/admin/organizations/{org.id}", data={
        "name": org.name, "slug": org.slug, "tier": "bronze", "signed_on": "2025-04-01"})
    assert app.test_client().get(f"/invitations/{issued.token}").status_code == 404
    admin_client.post(f"/admin/organizations/{org.id}", data={
        "name": org.name, "slug": org.slug, "tier": "bronze", "signed_on": "2025-04-01",
        "active": "y"})
    assert session_client.get("/").status_code == 302, "the old session stays ended"


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
