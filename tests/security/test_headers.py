"""The security headers of every response, a layout without inline script or style, and no
caching of signed-in pages."""

from __future__ import annotations

from lms.models import Role
from tests.factories import login, make_user


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


def test_pages_of_signed_in_people_are_not_cached(client):
    login(client, make_user(Role.MEMBER))
    assert "no-store" in client.get("/").headers["Cache-Control"]
