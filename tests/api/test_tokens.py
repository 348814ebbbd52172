"""API tokens (issue 16): scopes enforced per call, an expiry, a token good only while its
creator is an active admin, rotation with a grace period, and the admin page that manages
them. Calls go through HTTP; the clock moves with time-machine, relative to now."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select, update

from lms.api import tokens
from lms.api.tokens import (
    ROTATION_GRACE,
    SCOPES,
    Refusal,
    authenticate,
    create_token,
    lifetime_days_of,
    refusal,
    rotate_token,
)
from lms.extensions import db
from lms.models import ApiToken, AuditAction, AuditEvent, Deal, Role, User, utcnow
from tests.factories import count_queries, make_org, make_user, signed_in
from tests.factories.people import api_token, bearer

# One concrete call per operation of the OpenAPI description, with a body that succeeds.
CALLS = {
    ("put", "/deals/{external_id}"): ("/api/v1/deals/CRM-1",
                                      {"partner": "p1", "customer": "Acme", "amount": 1}),
    ("get", "/partners"): ("/api/v1/partners", None),
    ("get", "/credentials/{code}"): ("/api/v1/credentials/unknown-code", None),
}


def call(client, method: str, path: str, plain: str):
    url, body = CALLS[(method, path)]
    return client.open(url, method=method.upper(), json=body, headers=bearer(plain))


def operations(client) -> list[tuple[str, str, str]]:
    """(method, path, required scope) of every documented operation."""
    document = client.get("/api/v1/openapi.json").json
    return [(method, path, operation["x-required-scopes"][0])
            for path, item in document["paths"].items()
            for method, operation in item.items()]


def deal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Deal))


def reload(token: ApiToken) -> ApiToken:
    db.session.expire_all()
    return db.session.get(ApiToken, token.id)


def events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def plain_token_in(html: str) -> str:
    return re.search(r"<code>(pa_[A-Za-z0-9_-]+)</code>", html).group(1)


# --- Scopes ----------------------------------------------------------------------------------


def test_every_operation_documents_a_known_scope_and_its_403(client):
    document = client.get("/api/v1/openapi.json").json
    for path, item in document["paths"].items():
        for method, operation in item.items():
            scopes = operation["x-required-scopes"]
            assert len(scopes) == 1 and scopes[0] in SCOPES, (method, path)
            assert operation["security"] == [{"bearer": scopes}]
            assert f"`{scopes[0]}`" in operation["description"]
            assert "403" in operation["responses"] and "401" in operation["responses"]
    assert {scope for _m, _p, scope in operations(client)} == set(SCOPES)


def test_a_call_without_its_scope_is_a_403_naming_it_and_does_nothing(app, client):
    make_org(slug="p1")
    for method, path, scope in operations(client):
        _row, others = api_token(scopes=[s for s in SCOPES if s != scope])
        response = call(client, method, path, others)
        assert response.status_code == 403, (method, path)
        error = response.json["error"]
        assert error["status"] == 403 and error["required_scope"] == scope
        assert scope in error["message"]
        assert "WWW-Authenticate" not in response.headers
    assert deal_count() == 0


def test_a_call_with_its_scope_alone_goes_through(app, client):
    make_org(slug="p1")
    expected = {"/deals/{external_id}": 201, "/partners": 200, "/credentials/{code}": 404}
    for method, path, scope in operations(client):
        _row, only = api_token(scopes=[scope])
        response = call(client, method, path, only)
        assert response.status_code == expected[path], (path, response.json)
    assert deal_count() == 1


def test_a_token_of_one_scope_is_refused_everywhere_else(client):
    _row, plain = api_token(scopes=["credentials:read"])
    assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 403
    put = client.put("/api/v1/deals/X-1", json={}, headers=bearer(plain))
    # Refused before the body is read: a token without the scope learns nothing from errors.
    assert put.status_code == 403 and put.json["error"]["required_scope"] == "deals:write"


def test_unknown_words_in_the_scopes_column_grant_nothing(client):
    row, plain = api_token(scopes=["credentials:read"])
    db.session.execute(update(ApiToken).where(ApiToken.id == row.id)
                       .values(scopes="credentials:read partners:* admin"))
    db.session.commit()
    assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 403


def test_the_service_refuses_unknown_or_missing_scopes_and_lifetimes(app):
    admin = make_user(Role.ADMIN)
    for scopes, days in (([], 90), (["deals:delete"], 90), (["deals:write"], 7)):
        with pytest.raises(ValueError):
            create_token("x", admin, scopes, days)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- Expiry and the creator's standing ------------------------------------------------------


def test_a_token_works_until_its_expiry_then_gets_a_401(client):
    start = utcnow()
    row, plain = api_token(scopes=["partners:read"], lifetime_days=30, now=start)
    assert row.expires_at == start + timedelta(days=30)
    with time_machine.travel(start + timedelta(days=30) - timedelta(minutes=1), tick=False):
        assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 200
    with time_machine.travel(start + timedelta(days=30), tick=False):
        response = client.get("/api/v1/partners", headers=bearer(plain))
    assert response.status_code == 401
    assert "expired" in response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_demoted_creators_token_gets_a_401(app, client):
    creator, colleague = make_user(Role.ADMIN), make_user(Role.ADMIN)
    _row, plain = api_token(creator, ["partners:read"])
    assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 200
    demoted = signed_in(app, colleague, through_form=False).post(
        f"/admin/users/{creator.id}", data={"name": creator.name, "role": "manager",
                                            "job_function": "", "organization_id": "",
                                            "locale": ""})
    assert demoted.status_code == 302
    response = client.get("/api/v1/partners", headers=bearer(plain))
    assert response.status_code == 401
    assert "no longer an admin" in response.json["error"]["message"]


def test_a_deactivated_creators_token_gets_a_401_and_works_again_if_reactivated(app, client):
    creator, colleague = make_user(Role.ADMIN), make_user(Role.ADMIN)
    _row, plain = api_token(creator, ["partners:read"])
    admin = signed_in(app, colleague, through_form=False)
    assert admin.post(f"/admin/users/{creator.id}/deactivate").status_code == 302
    response = client.get("/api/v1/partners", headers=bearer(plain))
    assert response.status_code == 401 and "deactivated" in response.json["error"]["message"]
    # The check is made at each call, on the creator as they are now.
    assert admin.post(f"/admin/users/{creator.id}/reactivate").status_code == 302
    assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 200


def test_a_deleted_creators_token_gets_a_401(client):
    creator = make_user(Role.ADMIN)
    row, plain = api_token(creator, ["partners:read"])
    db.session.execute(delete(User).where(User.id == creator.id))
    db.session.commit()
    assert reload(row).created_by_id is None
    response = client.get("/api/v1/partners", headers=bearer(plain))
    assert response.status_code == 401 and "no longer has an account" in (
        response.json["error"]["message"])


def test_a_refused_token_does_not_record_a_use(app, client):
    start = utcnow()
    row, plain = api_token(scopes=["partners:read"], lifetime_days=30, now=start)
    with time_machine.travel(start + timedelta(days=31), tick=False):
        assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 401
    assert reload(row).last_used_at is None
    row, plain = api_token(scopes=["partners:read"])
    assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 200
    assert reload(row).last_used_at is not None


def test_authentication_reads_the_token_and_its_creator_in_one_query(app):
    _row, plain = api_token(scopes=["partners:read"])
    db.session.expire_all()
    header = f"Bearer {plain}"
    assert isinstance(authenticate(header), ApiToken)  # records the use
    db.session.commit()
    db.session.expunge_all()
    with count_queries() as queries:
        token = authenticate(header)
        assert isinstance(token, ApiToken) and token.created_by.role == Role.ADMIN
    assert queries.n == 1, queries.statements


def test_refusal_reasons_in_order(app):
    now = utcnow()
    admin = User(email="a@example.test", name="A", role=Role.ADMIN, active=True)
    token = ApiToken(name="x", token_hash="h", prefix="pa_x", scopes="partners:read",
                     created_at=now - timedelta(days=1), expires_at=now + timedelta(days=1),
                     created_by=admin)
    assert refusal(token, now) is None
    admin.role = Role.MANAGER
    assert refusal(token, now) == Refusal.CREATOR_NOT_ADMIN
    admin.active = False
    assert refusal(token, now) == Refusal.CREATOR_DEACTIVATED
    token.created_by = None
    assert refusal(token, now) == Refusal.CREATOR_DELETED
    assert refusal(token, token.expires_at) == Refusal.EXPIRED
    token.revoked_at = now
    assert refusal(token, now) == Refusal.REVOKED
    assert Refusal.CREATOR_DELETED.creator_left and not Refusal.EXPIRED.creator_left


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer  ", "Token pa_x", "Bearer pa_x"])
def test_missing_or_unknown_tokens_are_refused_as_unknown(app, header):
    assert authenticate(header) == Refusal.UNKNOWN


# --- Rotation --------------------------------------------------------------------------------


def test_rotation_makes_a_new_token_and_the_old_one_works_for_a_day_more(app, client):
    creator, rotator = make_user(Role.ADMIN), make_user(Role.ADMIN)
    start = utcnow()
    old, old_plain = api_token(creator, ["partners:read", "credentials:read"],
                               lifetime_days=180, name="Salesforce sync", now=start)
    rotated_at = start + timedelta(days=10)
    with time_machine.travel(rotated_at, tick=False):
        response = signed_in(app, rotator, through_form=False).post(
            f"/admin/api-tokens/{old.id}/rotate")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    new_plain = plain_token_in(html)
    assert "shown only once" in html and old.prefix in html
    new = db.session.scalar(select(ApiToken).where(ApiToken.token_hash
                                                   == tokens.hash_token(new_plain)))
    assert (new.name, new.scopes) == ("Salesforce sync", "partners:read credentials:read")
    assert new.created_by_id == rotator.id and new.created_at == rotated_at
    assert new.expires_at == rotated_at + timedelta(days=180)
    assert reload(old).expires_at == rotated_at + ROTATION_GRACE
    (event,) = events(AuditAction.API_TOKEN_ROTATED)
    assert event.actor_id == rotator.id
    assert event.detail["token"] == old.prefix and event.detail["new_token"] == new.prefix

    def status(plain: str, after: timedelta) -> int:
        with time_machine.travel(rotated_at + after, tick=False):
            return client.get("/api/v1/partners", headers=bearer(plain)).status_code

    assert status(old_plain, timedelta(hours=23)) == 200
    assert status(new_plain, timedelta(hours=23)) == 200
    assert status(old_plain, ROTATION_GRACE + timedelta(minutes=1)) == 401
    assert status(new_plain, ROTATION_GRACE + timedelta(minutes=1)) == 200
    assert status(new_plain, timedelta(days=180)) == 401


def test_rotation_never_lengthens_the_old_tokens_life(app):
    start = utcnow()
    old, _plain = api_token(lifetime_days=30, now=start)
    near_the_end = start + timedelta(days=30) - timedelta(hours=2)
    new, _new_plain = rotate_token(old, make_user(Role.ADMIN), now=near_the_end)
    assert old.expires_at == start + timedelta(days=30)
    assert new.expires_at == near_the_end + timedelta(days=30)


def test_rotation_revives_a_token_whose_creator_left(app, client):
    creator, colleague = make_user(Role.ADMIN), make_user(Role.ADMIN)
    old, old_plain = api_token(creator, ["partners:read"])
    creator.active = False
    db.session.commit()
    assert client.get("/api/v1/partners", headers=bearer(old_plain)).status_code == 401
    page = signed_in(app, colleague, through_form=False)
    assert "its creator is deactivated" in page.get("/admin/api-tokens").get_data(as_text=True)
    new_plain = plain_token_in(page.post(f"/admin/api-tokens/{old.id}/rotate")
                               .get_data(as_text=True))
    assert client.get("/api/v1/partners", headers=bearer(new_plain)).status_code == 200
    assert client.get("/api/v1/partners", headers=bearer(old_plain)).status_code == 401


def test_a_revoked_token_cannot_be_rotated(app):
    admin = make_user(Role.ADMIN)
    old, _plain = api_token(admin)
    tokens.revoke_token(old, admin)
    db.session.commit()
    response = signed_in(app, admin, through_form=False).post(
        f"/admin/api-tokens/{old.id}/rotate", follow_redirects=True)
    assert response.status_code == 200
    assert "cannot be rotated" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
    assert events(AuditAction.API_TOKEN_ROTATED) == []


@pytest.mark.parametrize("days,expected", [(30, 30), (90, 90), (365, 365), (455, 365),
                                           (1, 30), (60, 30), (61, 90), (11, 30)])
def test_a_rotated_token_keeps_the_nearest_lifetime_offered(days, expected):
    now = utcnow()
    token = ApiToken(created_at=now, expires_at=now + timedelta(days=days))
    assert lifetime_days_of(token) == expected


def test_rotation_needs_the_forms_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = make_user(Role.ADMIN)
        old, _plain = api_token(admin)
        client = signed_in(app, admin)
        assert client.post(f"/admin/api-tokens/{old.id}/rotate").status_code == 400
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
        html = client.get("/admin/api-tokens").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        response = client.post(f"/admin/api-tokens/{old.id}/rotate",
                               data={"csrf_token": csrf})
        assert response.status_code == 200
        assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 2


# --- The admin page --------------------------------------------------------------------------


def test_admin_creates_a_token_with_the_scopes_and_lifetime_chosen(app, client):
    admin = make_user(Role.ADMIN)
    page = signed_in(app, admin, through_form=False)
    response = page.post("/admin/api-tokens", data={
        "name": "Tier dashboard", "scopes": ["partners:read"], "lifetime_days": "30"})
    assert response.status_code == 200
    plain = plain_token_in(response.get_data(as_text=True))
    row = db.session.scalar(select(ApiToken))
    assert row.scopes == "partners:read" and row.created_by_id == admin.id
    assert row.expires_at - row.created_at == timedelta(days=30)
    (event,) = events(AuditAction.API_TOKEN_CREATED)
    assert event.detail["scopes"] == "partners:read"
    assert client.get("/api/v1/partners", headers=bearer(plain)).status_code == 200
    assert client.get("/api/v1/credentials/x", headers=bearer(plain)).status_code == 403


def test_the_lifetime_defaults_to_90_days(app):
    page = signed_in(app, make_user(Role.ADMIN), through_form=False)
    html = page.get("/admin/api-tokens").get_data(as_text=True)
    assert re.search(r'<option selected value="90">|<option value="90" selected', html)
    # Any one scope will do: no checkbox is required on its own.
    checkboxes = re.findall(r'<input[^>]*type="checkbox"[^>]*>', html)
    assert len(checkboxes) == len(SCOPES) and not any("required" in c for c in checkboxes)
    assert page.post("/admin/api-tokens", data={"name": "x", "scopes": "deals:write"}
                     ).status_code == 200
    row = db.session.scalar(select(ApiToken))
    assert row.expires_at - row.created_at == timedelta(days=90)


@pytest.mark.parametrize("data,message", [
    ({"name": "CRM", "lifetime_days": "90"}, "Choose at least one scope"),
    ({"name": "CRM", "scopes": "", "lifetime_days": "90"}, "Choose at least one scope"),
    ({"name": "CRM", "scopes": ["deals:write", "deals:delete"], "lifetime_days": "90"},
     "not a valid choice"),
    ({"name": "CRM", "scopes": "deals:write", "lifetime_days": "7"},
     "Choose one of the lifetimes listed"),
    ({"name": "CRM", "scopes": "deals:write", "lifetime_days": "forever"},
     "Choose one of the lifetimes listed"),
    ({"name": "CRM", "scopes": "deals:write", "lifetime_days": ""},
     "Choose one of the lifetimes listed"),
    ({"name": "", "scopes": "deals:write", "lifetime_days": "90"}, "required"),
])
def test_bad_input_on_the_create_form_is_a_400_and_creates_nothing(app, data, message):
    page = signed_in(app, make_user(Role.ADMIN), through_form=False)
    response = page.post("/admin/api-tokens", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert events(AuditAction.API_TOKEN_CREATED) == []


def test_the_list_shows_scopes_expiry_last_use_creator_and_why_a_token_fails(app, client):
    start = utcnow()
    creator = make_user(Role.ADMIN, name="Ada Creator")
    viewer = make_user(Role.ADMIN, name="Vera Viewer")
    _used, used_plain = api_token(viewer, ["partners:read"], name="Used one")
    api_token(viewer, ["deals:write", "credentials:read"], name="Unused one")
    api_token(viewer, ["partners:read"], lifetime_days=30, name="Old one",
              now=start - timedelta(days=31))
    api_token(creator, ["partners:read"], name="Orphan one")
    creator.role = Role.MANAGER
    db.session.commit()
    assert client.get("/api/v1/partners", headers=bearer(used_plain)).status_code == 200

    html = signed_in(app, viewer, through_form=False).get("/admin/api-tokens").get_data(
        as_text=True)
    rows = {name: re.search(rf"<tr>\s*<td>{name}</td>(.*?)</tr>", html, re.S).group(1)
            for name in ("Used one", "Unused one", "Old one", "Orphan one")}
    assert "<code>partners:read</code>" in rows["Used one"] and "Active" in rows["Used one"]
    assert "never" not in rows["Used one"] and "Vera Viewer" in rows["Used one"]
    assert "<code>deals:write</code>" in rows["Unused one"]
    assert "<code>credentials:read</code>" in rows["Unused one"] and "never" in rows["Unused one"]
    assert "expired" in rows["Old one"] and "Active" not in rows["Old one"]
    assert "Ada Creator" in rows["Orphan one"]
    assert "its creator is no longer an admin" in rows["Orphan one"]
    assert "Rotate" in rows["Orphan one"] and "Rotate" in rows["Old one"]
    # Live tokens are listed first.
    assert html.index("Used one") < html.index("Old one")
    assert html.index("Unused one") < html.index("Orphan one")


def test_a_revoked_token_is_listed_without_actions(app):
    admin = make_user(Role.ADMIN)
    row, _plain = api_token(admin, name="Gone")
    tokens.revoke_token(row, admin)
    db.session.commit()
    html = signed_in(app, admin, through_form=False).get("/admin/api-tokens").get_data(
        as_text=True)
    cells = re.search(r"<tr>\s*<td>Gone</td>(.*?)</tr>", html, re.S).group(1)
    assert "Revoked" in cells and "Rotate" not in cells and f"/{row.id}/revoke" not in cells


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN, Role.MANAGER, None])
def test_only_admins_see_create_rotate_or_revoke_tokens(app, role):
    row, plain = api_token(scopes=["partners:read"])
    person = make_user(role, make_org() if role.is_partner else None) if role else None
    client = signed_in(app, person, through_form=False)
    answers = [client.get("/admin/api-tokens"),
               client.post("/admin/api-tokens", data={"name": "mine", "scopes": "deals:write",
                                                      "lifetime_days": "365"}),
               client.post(f"/admin/api-tokens/{row.id}/rotate"),
               client.post(f"/admin/api-tokens/{row.id}/revoke")]
    for response in answers:
        if role is None:
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
    row = reload(row)
    assert row.revoked_at is None and row.expires_at - row.created_at == timedelta(days=90)
    assert app.test_client().get("/api/v1/partners", headers=bearer(plain)).status_code == 200
