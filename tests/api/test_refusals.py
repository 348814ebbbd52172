"""What the API refuses and how it says so: odd JSON, dates the program's time zone cannot hold,
NUL characters, a browser session or a dead token instead of a live one. Always a JSON error,
never a 500, and nothing written."""

from __future__ import annotations

from sqlalchemy import select

from lms.api import tokens
from lms.extensions import db
from lms.models import ApiToken, Deal, Role
from tests.factories import make_org, make_user, signed_in
from tests.factories.people import api_headers
from tests.factories.queries import DatabaseParameters

# --- Bodies ----------------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_500(app500):
    make_org("alpha")
    response = app500.test_client().put(
        "/api/v1/deals/crm-1", data="[" * 100_000 + "]" * 100_000,
        content_type="application/json", headers=api_headers())
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


def test_a_lone_surrogate_in_a_json_string_is_a_422_not_a_500(app500):
    make_org("alpha")
    response = app500.test_client().put(
        "/api/v1/deals/crm-1", data=b'{"partner": "alpha", "customer": "\\ud800", "amount": 1}',
        content_type="application/json", headers=api_headers())
    assert response.status_code == 422
    assert db.session.scalar(select(Deal.id)) is None


def test_a_year_one_registration_date_from_the_api_is_refused(app500):
    make_org("alpha")
    response = app500.test_client().put(
        "/api/v1/deals/crm-1", json={"partner": "alpha", "customer": "Acme", "amount": 1,
                                     "registered_on": "0001-01-01"}, headers=api_headers())
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"][0]["field"] == "registered_on"


def test_a_deal_is_never_closed_before_it_was_registered(app):
    make_org("alpha")
    response = app.test_client().put(
        "/api/v1/deals/crm-1", json={"partner": "alpha", "customer": "Acme", "amount": 1,
                                     "status": "won", "closed_on": "2020-01-01"},
        headers=api_headers())
    if response.status_code != 422:
        deal = db.session.scalar(select(Deal))
        assert deal.closed_at >= deal.registered_at


def test_a_nul_in_the_api_partner_never_reaches_the_database(app500):
    make_org("alpha")
    headers = api_headers()
    with DatabaseParameters() as sent:
        response = app500.test_client().put(
            "/api/v1/deals/crm-1", json={"partner": "al\x00pha", "customer": "A", "amount": 1},
            headers=headers)
    assert response.status_code == 422
    assert sent.with_nul() == []


# --- Tokens and errors -----------------------------------------------------------------------


def test_the_api_needs_a_live_token_never_the_session(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_org("alpha")
        admin = make_user(Role.ADMIN)
        headers = api_headers(admin)
        body = {"partner": "alpha", "customer": "Acme", "amount": 1}
        # A signed-in admin's session cookie is not an API credential.
        session = signed_in(app, admin)
        for response in (session.put("/api/v1/deals/crm-1", json=body),
                         session.get("/api/v1/partners")):
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        # Only the hash is stored; the plain token works without a CSRF token.
        plain = headers["Authorization"].split()[1]
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash == tokens.hash_token(plain) and plain not in stored.token_hash
        client = app.test_client()
        assert client.put("/api/v1/deals/crm-1", json=body, headers=headers).status_code == 201
        assert client.get("/api/v1/partners",
                          headers={"Authorization": "Bearer " + plain[:-1]}).status_code == 401
        tokens.revoke_token(stored, admin)
        db.session.commit()
        assert client.get("/api/v1/partners", headers=headers).status_code == 401


def test_api_errors_are_json(app):
    client = app.test_client()
    headers = api_headers()
    for response, status in ((client.get("/api/v1/nothing", headers=headers), 404),
                             (client.get("/api/v1/deals/crm-1", headers=headers), 405),
                             (client.put("/api/v1/deals/crm-1", data="not json",
                                         headers=headers), 400),
                             (client.put("/api/v1/deals/crm-1", json={"partner": 1, "x": 2},
                                         headers=headers), 422)):
        assert response.status_code == status
        assert response.is_json and response.get_json()["error"]["status"] == status
