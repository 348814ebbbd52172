"""Administration through HTTP: access by role, company scoping, people, companies,
invitations, the audit log, and the query count of the people list."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import event, func

from lms.admin import service
from lms.auth.service import AccountError, create_invitation
from lms.extensions import db
from lms.models import (
    AuditAction,
    AuditEvent,
    Invitation,
    JobFunction,
    Organization,
    Role,
    Tier,
    User,
)
from tests.factories import login, make_org, make_user, signed_in


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def redirects_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def audit_events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def count(model) -> int:
    return db.session.scalar(db.select(func.count()).select_from(model))


def org_form(org_or_none=None, **overrides) -> dict:
    data = {"name": "Shinkai Networks", "slug": "shinkai-networks", "tier": "silver",
            "signed_on": "2025-10-01", "active": "y"}
    if org_or_none is not None:
        data = {"name": org_or_none.name, "slug": org_or_none.slug,
                "tier": org_or_none.tier.value, "signed_on": org_or_none.signed_on.isoformat(),
                "active": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def company():
    return make_org(slug="sakura", name="Sakura Systems K.K.", tier=Tier.GOLD)


@pytest.fixture
def other_company():
    return make_org(slug="aozora", name="Aozora Consulting", tier=Tier.SILVER)


@pytest.fixture
def admin():
    return make_user(Role.ADMIN, email="root@vendor.example", name="Vendor Root")


@pytest.fixture
def partner_admin(company):
    return make_user(Role.PARTNER_ADMIN, company, email="yuki@sakura.example",
                     name="Yuki Tanaka")


@pytest.fixture
def colleague(company):
    return make_user(Role.MEMBER, company, email="haruto@sakura.example", name="Haruto Sato",
                     job=JobFunction.SALES)


@pytest.fixture
def outsider(other_company):
    return make_user(Role.MEMBER, other_company, email="mika@aozora.example",
                     name="Mika Ito")


# --- Access by role ----------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/admin/users")
    assert redirects_to_login(response)


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/invite",
                                  "/admin/organizations", "/admin/audit"])
def test_member_is_forbidden_everywhere_in_administration(app, colleague, path):
    assert signed_in(app, colleague).get(path).status_code == 403


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/invite",
                                  "/admin/organizations", "/admin/audit"])
def test_channel_manager_is_vendor_staff_but_not_an_administrator(app, path):
    manager = make_user(Role.MANAGER)
    assert signed_in(app, manager).get(path).status_code == 403


@pytest.mark.parametrize(("path", "status"), [
    ("/admin/users", 200),
    ("/admin/users/invite", 200),
    ("/admin/organizations", 403),
    ("/admin/organizations/new", 403),
    ("/admin/audit", 403),
])
def test_partner_admin_manages_people_but_not_companies_or_audit(app, partner_admin, path,
                                                                 status):
    assert signed_in(app, partner_admin).get(path).status_code == status


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/invite",
                                  "/admin/organizations", "/admin/organizations/new",
                                  "/admin/audit"])
def test_administrator_reaches_every_administration_page(app, admin, path):
    assert signed_in(app, admin).get(path).status_code == 200


# --- Scoping of a partner admin ------------------------------------------------------------


def test_partner_admin_lists_only_their_own_company(app, partner_admin, colleague, outsider,
                                                    admin):
    manager = make_user(Role.MANAGER, email="daisuke@vendor.example", name="Daisuke Okada")
    html = signed_in(app, partner_admin).get("/admin/users").get_data(as_text=True)

    assert "Haruto Sato" in html and "haruto@sakura.example" in html
    for stranger in (outsider, admin, manager):
        assert stranger.name not in html
        assert stranger.email not in html


def test_partner_admin_cannot_open_another_companys_person(app, partner_admin, outsider):
    client = signed_in(app, partner_admin)

    assert client.get(f"/admin/users/{outsider.id}").status_code == 404
    response = client.post(f"/admin/users/{outsider.id}", data={"job_function": "technical"})
    assert response.status_code == 404
    assert reload(outsider).job_function == JobFunction.SALES


def test_partner_admin_cannot_deactivate_another_companys_person(app, partner_admin, outsider):
    response = signed_in(app, partner_admin).post(f"/admin/users/{outsider.id}/deactivate")

    assert response.status_code == 404
    assert reload(outsider).active is True
    assert audit_events(AuditAction.DEACTIVATION) == []


def test_partner_admin_cannot_edit_or_deactivate_vendor_staff(app, partner_admin, admin):
    client = signed_in(app, partner_admin)

    assert client.get(f"/admin/users/{admin.id}").status_code == 404
    assert client.post(f"/admin/users/{admin.id}", data={"job_function": "sales"}).status_code \
        == 404
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 404
    assert reload(admin).active is True


# --- What a partner admin may change -------------------------------------------------------


def test_partner_admin_changes_a_colleagues_job_function(app, partner_admin, colleague):
    response = signed_in(app, partner_admin).post(f"/admin/users/{colleague.id}",
                                                  data={"job_function": "technical"})

    assert response.status_code == 302
    assert reload(colleague).job_function == JobFunction.TECHNICAL
    [event_] = audit_events(AuditAction.USER_UPDATED)
    assert event_.actor_id == partner_admin.id and event_.target_user_id == colleague.id


def test_partner_admin_cannot_change_role_or_company(app, partner_admin, colleague,
                                                     other_company):
    company_id = colleague.organization_id
    signed_in(app, partner_admin).post(f"/admin/users/{colleague.id}", data={
        "job_function": "technical", "role": "admin", "organization_id": str(other_company.id),
        "name": "Renamed",
    })

    person = reload(colleague)
    assert person.role == Role.MEMBER
    assert person.organization_id == company_id
    assert person.name == "Haruto Sato"
    assert person.job_function == JobFunction.TECHNICAL  # the one field they may change
    assert audit_events(AuditAction.ROLE_CHANGE) == []


# --- Deactivation --------------------------------------------------------------------------


def test_partner_admin_deactivates_a_colleague_who_is_signed_out_at_once(app, partner_admin,
                                                                        colleague):
    colleague_client = signed_in(app, colleague)
    assert colleague_client.get("/").status_code == 200

    response = signed_in(app, partner_admin).post(f"/admin/users/{colleague.id}/deactivate")

    assert response.status_code == 302
    assert reload(colleague).active is False
    [event_] = audit_events(AuditAction.DEACTIVATION)
    assert event_.actor_id == partner_admin.id and event_.target_user_id == colleague.id
    assert redirects_to_login(colleague_client.get("/"))
    # ... and cannot come back with the password.
    assert login(app.test_client(), colleague).status_code == 200


def test_reactivated_person_can_sign_in_again(app, partner_admin, colleague):
    client = signed_in(app, partner_admin)
    client.post(f"/admin/users/{colleague.id}/deactivate")
    assert reload(colleague).active is False

    response = client.post(f"/admin/users/{colleague.id}/reactivate", follow_redirects=True)

    assert "can sign in again" in response.get_data(as_text=True)
    assert reload(colleague).active is True
    assert len(audit_events(AuditAction.REACTIVATION)) == 1
    assert login(app.test_client(), colleague).status_code == 302


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.ADMIN])
def test_nobody_can_deactivate_themselves(app, company, role):
    me = make_user(role, company)
    client = signed_in(app, me)

    response = client.post(f"/admin/users/{me.id}/deactivate", follow_redirects=True)

    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    assert reload(me).active is True
    assert client.get("/").status_code == 200  # still signed in


def test_the_only_administrator_cannot_demote_or_deactivate_themselves(app, admin):
    client = signed_in(app, admin)

    demoted = client.post(f"/admin/users/{admin.id}", data={
        "name": admin.name, "role": "manager", "job_function": "", "organization_id": "",
        "locale": "",
    })
    deactivated = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)

    assert demoted.status_code == 400
    assert "You cannot change your own role." in demoted.get_data(as_text=True)
    assert "You cannot deactivate yourself." in deactivated.get_data(as_text=True)
    person = reload(admin)
    assert person.role == Role.ADMIN and person.active is True


def test_last_active_administrator_guard_in_the_service(app):
    """Two administrators removing each other at the same moment: the second change finds
    the other already deactivated and must not leave the program without an administrator.
    (Sequentially over HTTP the second request is signed out first, so this is checked on the
    service that the views call.)"""
    first = make_user(Role.ADMIN)
    second = make_user(Role.ADMIN)
    service.set_active(first, second, False)
    db.session.commit()

    with pytest.raises(AccountError, match="last administrator cannot be deactivated"):
        service.set_active(second, first, False)
    with pytest.raises(AccountError, match="last administrator cannot lose the role"):
        service.update_person(second, first, service.PersonChanges(role=Role.MANAGER))
    db.session.rollback()
    person = reload(first)
    assert person.active is True and person.role == Role.ADMIN


def test_a_deactivated_administrator_can_be_demoted(app, admin):
    former = make_user(Role.ADMIN, email="former@vendor.example", name="Former Admin")
    client = signed_in(app, admin)
    client.post(f"/admin/users/{former.id}/deactivate")
    assert reload(former).active is False

    response = client.post(f"/admin/users/{former.id}", data={
        "name": former.name, "role": "manager", "job_function": "", "organization_id": "",
        "locale": "",
    })

    assert response.status_code == 302
    assert reload(former).role == Role.MANAGER


# --- Edits by an administrator -------------------------------------------------------------


def test_admin_promotes_member_to_partner_admin_audited_and_session_ended(app, admin,
                                                                         colleague):
    colleague_client = signed_in(app, colleague)
    assert colleague_client.get("/").status_code == 200

    response = signed_in(app, admin).post(f"/admin/users/{colleague.id}", data={
        "name": colleague.name, "role": "partner_admin", "job_function": "sales",
        "organization_id": str(colleague.organization_id), "locale": "",
    })

    assert response.status_code == 302
    assert reload(colleague).role == Role.PARTNER_ADMIN
    [event_] = audit_events(AuditAction.ROLE_CHANGE)
    assert event_.actor_id == admin.id
    assert event_.target_user_id == colleague.id
    assert event_.detail == {"old": "member", "new": "partner_admin"}
    assert redirects_to_login(colleague_client.get("/"))


def test_admin_edit_of_a_partner_person_without_company_is_refused(app, admin, colleague):
    response = signed_in(app, admin).post(f"/admin/users/{colleague.id}", data={
        "name": colleague.name, "role": "member", "job_function": "sales",
        "organization_id": "", "locale": "",
    })

    assert response.status_code == 400
    assert "People of a partner company need their company." in response.get_data(as_text=True)
    assert reload(colleague).organization_id is not None


# --- Partner companies ---------------------------------------------------------------------


def test_admin_creates_a_company(app, admin):
    client = signed_in(app, admin)

    response = client.post("/admin/organizations/new", data=org_form())

    assert response.status_code == 302
    org = db.session.scalar(db.select(Organization).where(Organization.slug == "shinkai-networks"))
    assert org is not None
    assert (org.name, org.tier, org.signed_on, org.active) == (
        "Shinkai Networks", Tier.SILVER, date(2025, 10, 1), True)
    assert "Shinkai Networks" in client.get("/admin/organizations").get_data(as_text=True)
    assert len(audit_events(AuditAction.ORGANIZATION_CREATED)) == 1


def test_invalid_short_name_is_refused_with_a_message(app, admin):
    response = signed_in(app, admin).post("/admin/organizations/new",
                                          data=org_form(slug="Bad Slug!"))

    assert response.status_code == 400
    assert "Use lower-case letters, digits and dashes for the short name." in \
        response.get_data(as_text=True)
    assert count(Organization) == 0


def test_duplicate_short_name_is_refused_with_a_message(app, admin, company):
    response = signed_in(app, admin).post("/admin/organizations/new",
                                          data=org_form(slug=company.slug))

    assert response.status_code == 400
    assert "Another company already uses this short name." in response.get_data(as_text=True)
    assert count(Organization) == 1


def test_duplicate_short_name_differing_only_in_case_is_refused(app, admin, company):
    response = signed_in(app, admin).post("/admin/organizations/new",
                                          data=org_form(slug=company.slug.upper()))

    assert response.status_code == 400
    assert count(Organization) == 1


def test_admin_edits_name_and_tier(app, admin, company):
    response = signed_in(app, admin).post(
        f"/admin/organizations/{company.id}",
        data=org_form(company, name="Sakura Holdings", tier="platinum"),
    )

    assert response.status_code == 302
    org = reload(company)
    assert (org.name, org.tier, org.slug) == ("Sakura Holdings", Tier.PLATINUM, "sakura")
    [event_] = audit_events(AuditAction.ORGANIZATION_UPDATED)
    assert set(event_.detail) == {"name", "tier"}


def test_deactivated_company_people_cannot_sign_in(app, admin, company, colleague):
    response = signed_in(app, admin).post(f"/admin/organizations/{company.id}",
                                          data=org_form(company, active=None))
    assert response.status_code == 302
    assert reload(company).active is False

    client = app.test_client()
    response = login(client, colleague)

    assert response.status_code == 200  # the login page again
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert redirects_to_login(client.get("/"))


def test_deactivating_a_company_signs_its_people_out(app, admin, company, colleague):
    """Their sessions stay valid, but an inactive person is not authenticated (Flask-Login's
    is_authenticated follows is_active), so the next request goes to the sign-in page."""
    colleague_client = signed_in(app, colleague)
    assert colleague_client.get("/").status_code == 200

    signed_in(app, admin).post(f"/admin/organizations/{company.id}",
                               data=org_form(company, active=None))
    assert reload(company).active is False

    assert redirects_to_login(colleague_client.get("/"))


def test_deactivating_a_company_ends_sessions_and_invitations(app):
    org = make_org()
    person = make_user(Role.MEMBER, org)
    admin = make_user(Role.ADMIN)
    issued = create_invitation(admin, "late@partner.test", Role.MEMBER, JobFunction.SALES,
                               org, 7)
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


# --- Invitations ---------------------------------------------------------------------------


INVITATION_LINK_RE = re.compile(r"/invitations/([A-Za-z0-9_-]{20,})")


def invite(client, email, role="member", job_function="sales", organization_id=""):
    return client.post("/admin/users/invite", data={
        "email": email, "role": role, "job_function": job_function,
        "organization_id": str(organization_id),
    })


def test_admin_invites_revokes_and_the_link_stops_working(app, admin, company):
    client = signed_in(app, admin)

    response = invite(client, "New.Person@Example.com", organization_id=company.id)

    assert response.status_code == 200
    match = INVITATION_LINK_RE.search(response.get_data(as_text=True))
    assert match, "the invitation link is shown"
    link = f"/invitations/{match.group(1)}"
    invitation = db.session.scalar(db.select(Invitation))
    assert (invitation.email, invitation.role, invitation.organization_id) == (
        "new.person@example.com", Role.MEMBER, company.id)
    assert app.test_client().get(link).status_code == 200
    assert "new.person@example.com" in client.get("/admin/users").get_data(as_text=True)

    response = client.post(f"/admin/invitations/{invitation.id}/revoke", follow_redirects=True)

    assert "The invitation for new.person@example.com is revoked." in \
        response.get_data(as_text=True)
    assert reload(invitation).revoked_at is not None
    assert app.test_client().get(link).status_code == 404
    assert "Pending invitations" not in client.get("/admin/users").get_data(as_text=True)


@pytest.mark.parametrize("email", ["haruto@sakura.example", "Haruto@Sakura.Example"])
def test_inviting_someone_who_has_an_account_is_refused(app, admin, colleague, email):
    response = invite(signed_in(app, admin), email, organization_id=colleague.organization_id)

    assert "Someone with this email already has an account." in response.get_data(as_text=True)
    assert "/invitations/" not in response.get_data(as_text=True)
    assert count(Invitation) == 0


def test_partner_admin_invitation_goes_to_their_own_company(app, partner_admin, other_company):
    response = invite(signed_in(app, partner_admin), "newbie@example.com",
                      organization_id=other_company.id)

    assert response.status_code == 200
    invitation = db.session.scalar(db.select(Invitation))
    assert invitation.organization_id == partner_admin.organization_id


def test_partner_admin_cannot_invite_an_administrator(app, partner_admin):
    invite(signed_in(app, partner_admin), "sneaky@example.com", role="admin")

    assert count(Invitation) == 0


def test_partner_admin_cannot_revoke_another_companys_invitation(app, admin, partner_admin,
                                                                 other_company):
    invite(signed_in(app, admin), "guest@example.com", organization_id=other_company.id)
    invitation = db.session.scalar(db.select(Invitation))

    response = signed_in(app, partner_admin).post(f"/admin/invitations/{invitation.id}/revoke")

    assert response.status_code == 404
    assert reload(invitation).revoked_at is None


# --- Audit log -----------------------------------------------------------------------------


def test_audit_log_lists_a_sign_in(app, admin, colleague):
    signed_in(app, colleague)

    html = signed_in(app, admin).get("/admin/audit").get_data(as_text=True)

    assert "<code>sign_in</code>" in html
    assert colleague.email in html


def test_audit_log_records_a_failed_sign_in(app, admin):
    login(app.test_client(), "nobody@example.com", password="wrong-password")

    html = signed_in(app, admin).get("/admin/audit").get_data(as_text=True)

    assert "<code>sign_in_failed</code>" in html
    assert "nobody@example.com" in html


# --- Query count ---------------------------------------------------------------------------


def statements_for(client, path: str) -> int:
    statements = []

    def count_statement(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client.get(path)  # warm-up: a first hit may record last_seen or fill caches
    db.session.expire_all()  # the next request loads everything from the database
    event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_statement)
    assert response.status_code == 200
    return len(statements)


def test_people_list_query_count_does_not_grow_with_the_company(app, company):
    viewer = make_user(Role.PARTNER_ADMIN, company)
    for _ in range(4):
        make_user(Role.MEMBER, company)
    client = signed_in(app, viewer)

    with_five = statements_for(client, "/admin/users")
    for _ in range(35):
        make_user(Role.MEMBER, company)
    with_forty = statements_for(client, "/admin/users")

    html = client.get("/admin/users").get_data(as_text=True)
    assert len(re.findall(r'href="/admin/users/\d+"', html)) == 40  # all on one page
    assert with_forty == with_five


def test_admin_people_list_query_count_does_not_grow_with_people_or_companies(app, admin):
    """An administrator's list also shows each person's company: no query per company."""
    for _ in range(5):
        make_user(Role.MEMBER)  # each in a company of their own
    client = signed_in(app, admin)

    with_five = statements_for(client, "/admin/users")
    for _ in range(35):
        make_user(Role.MEMBER)
    with_forty = statements_for(client, "/admin/users")

    assert count(User) == 41
    assert with_forty == with_five
