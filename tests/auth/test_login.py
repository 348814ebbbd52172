"""Signing in and out: the HTTP behaviour people and attackers see."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.extensions import db
from lms.models import AuditAction, AuditEvent, Role, utcnow
from tests.factories import PASSWORD, login, make_org, make_user


def _events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_sign_in_with_right_password_opens_home(client):
    user = make_user(Role.MEMBER, name="Aiko Suzuki")
    response = login(client, user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Aiko Suzuki" in page.get_data(as_text=True)
    assert len(_events(AuditAction.SIGN_IN)) == 1


def test_email_is_case_insensitive(client):
    make_user(Role.MEMBER, email="aiko@example.test")
    assert login(client, "  AIKO@Example.TEST ").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client):
    user = make_user(Role.MEMBER)
    wrong = login(client, user, "not-the-password")
    unknown = login(client, "nobody@example.test", PASSWORD)
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out
    failed = _events(AuditAction.SIGN_IN_FAILED)
    assert {e.email for e in failed} == {user.email, "nobody@example.test"}


def test_deactivated_person_cannot_sign_in(client):
    user = make_user(Role.MEMBER, active=False)
    response = login(client, user)
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_people_of_a_deactivated_company_cannot_sign_in(client):
    org = make_org(active=False)
    user = make_user(Role.MEMBER, org)
    assert login(client, user).status_code == 200
    assert client.get("/").status_code == 302


def test_session_is_renewed_at_sign_in(client):
    user = make_user(Role.MEMBER)
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, user)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id", "").startswith(f"{user.id}:")


def test_remember_me_is_off_by_default(client):
    user = make_user(Role.MEMBER)
    login(client, user)
    assert client.get_cookie("lms_remember") is None
    client.post("/logout")
    login(client, user, remember="y")
    assert client.get_cookie("lms_remember") is not None


def test_sign_out_really_ends_the_session(app):
    user = make_user(Role.MEMBER)
    first = app.test_client()
    login(first, user)
    stolen_cookie = first.get_cookie("lms_session").value
    assert first.post("/logout").status_code == 302
    assert first.get("/").status_code == 302

    replay = app.test_client()
    replay.set_cookie("lms_session", stolen_cookie)
    assert replay.get("/").status_code == 302, "an old session cookie must not work after sign-out"


def test_sign_out_needs_a_post(client):
    user = make_user(Role.MEMBER)
    login(client, user)
    page = client.get("/logout")
    assert page.status_code == 200  # a confirmation page, not a sign-out
    assert client.get("/").status_code == 200


def test_next_parameter_cannot_redirect_elsewhere(client):
    user = make_user(Role.MEMBER)
    response = client.post("/login?next=https://evil.example/phish",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=//evil.example",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/logout")
    response = client.post("/login?next=/account",
                           data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("target", ["//[", "//[::1", "https://[x", "/%5B"])
def test_a_next_parameter_urlsplit_cannot_read_is_never_a_500(client, target):
    user = make_user(Role.MEMBER)
    assert client.get("/login", query_string={"next": target}).status_code == 200
    response = client.post("/login", query_string={"next": target},
                           data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", target)


def test_repeated_failures_lock_the_account_with_429(client):
    user = make_user(Role.MEMBER)
    for _ in range(5):
        assert login(client, user, "wrong-password").status_code == 200
    locked = login(client, user, PASSWORD)
    assert locked.status_code == 429
    assert "Too many attempts" in locked.get_data(as_text=True)
    assert 'class="site-header"' in locked.get_data(as_text=True)  # inside the layout
    assert client.get("/").status_code == 302  # the right password did not get in


def test_failures_are_limited_per_address_across_accounts(make_app):
    app = make_app(LMS_LOGIN_LIMIT_ADDRESS="3 per 15 minutes")
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            assert login(client, f"guess{n}@example.test", "x").status_code == 200
        assert login(client, "another@example.test", "x").status_code == 429
        other_address = app.test_client()
        response = other_address.post("/login", data={"email": "guess0@example.test",
                                                       "password": "x"},
                                      environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert response.status_code == 200


def test_failures_from_elsewhere_do_not_lock_the_owner_out(app):
    user = make_user(Role.MEMBER)
    owner = app.test_client()
    login(owner, user)  # this browser is now trusted for the account (a device cookie)
    owner.post("/logout")
    attacker = app.test_client()
    for _ in range(6):
        attacker.post("/login", data={"email": user.email, "password": "guess"},
                      environ_base={"REMOTE_ADDR": "10.0.0.9"})
    response = owner.post("/login", data={"email": user.email, "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert response.status_code == 302


def test_successful_sign_ins_do_not_count_towards_the_limit(client):
    user = make_user(Role.MEMBER)
    for _ in range(7):
        assert login(client, user).status_code == 302
        client.post("/logout")


def test_last_seen_is_recorded_but_not_on_every_request(client):
    user = make_user(Role.MEMBER)
    login(client, user)
    db.session.refresh(user)
    first_seen = user.last_seen_at
    assert first_seen is not None
    client.get("/")
    db.session.refresh(user)
    assert user.last_seen_at == first_seen
    user.last_seen_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    client.get("/")
    db.session.refresh(user)
    assert user.last_seen_at > utcnow() - timedelta(minutes=1)


def test_password_change_needs_the_current_password_and_signs_out_other_devices(app):
    user = make_user(Role.MEMBER)
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, user)
    login(phone, user)
    bad = laptop.post("/account/password", data={"pw-current": "wrong", "pw-password":
                                                 "a-new-long-password", "pw-confirm":
                                                 "a-new-long-password"})
    assert bad.status_code == 400
    assert "The current password is wrong." in bad.get_data(as_text=True)
    good = laptop.post("/account/password", data={"pw-current": PASSWORD, "pw-password":
                                                  "a-new-long-password", "pw-confirm":
                                                  "a-new-long-password"})
    assert good.status_code == 302
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    assert login(app.test_client(), user, "a-new-long-password").status_code == 302
