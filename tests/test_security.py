"""Security headers, cookie flags and CSRF protection."""

from __future__ import annotations

from lms.models import Role
from tests.factories import PASSWORD, csrf_token, login, make_user


def test_security_headers_on_every_response(client):
    for path in ("/login", "/healthz", "/no-such-page", "/static/css/app.css"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        response.close()


def test_no_inline_script_in_the_layout(client):
    html = client.get("/login").get_data(as_text=True)
    assert "<script>" not in html and " onclick=" not in html and " style=" not in html


def test_session_cookie_flags_in_development(client):
    user = make_user(Role.MEMBER)
    response = login(client, user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_outside_development(make_app, app):
    assert app.config["SESSION_COOKIE_SECURE"] is False  # tests run as development
    production = make_app(LMS_ENV="production", TESTING=False,
                          SECRET_KEY="a-production-secret-for-this-test-only")
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    response = production.test_client().get("/login")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_pages_of_signed_in_people_are_not_cached(client):
    login(client, make_user(Role.MEMBER))
    assert "no-store" in client.get("/").headers["Cache-Control"]


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
        from lms.extensions import db

        db.session.refresh(victim)
        assert victim.active is True
