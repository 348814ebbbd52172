"""The JSON API: tokens (created once, hashed, revocable), authentication, deal upserts,
partner tiers, credential verification, JSON errors and the OpenAPI description."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.api.tokens import create_token, hash_token
from lms.clock import local_date  # the program's day, as the API reads dates
from lms.extensions import db
from lms.models import (
    ApiToken,
    Award,
    Credential,
    CredentialKind,
    Deal,
    DealEvent,
    DealStatus,
    PartnerType,
    Role,
    Tier,
    utcnow,
)
from tests.factories import make_org, make_user, signed_in


@pytest.fixture
def token(app):
    admin = make_user(Role.ADMIN)
    _row, plain = create_token("CRM sync", admin)
    db.session.commit()
    return plain


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


# --- Tokens ------------------------------------------------------------------------------


def test_admin_creates_a_token_shown_once_and_stored_hashed(app):
    client = signed_in(app, make_user(Role.ADMIN))
    response = client.post("/admin/api-tokens", data={
        "name": "Salesforce sync", "scopes": ["deals:write", "partners:read"],
        "lifetime_days": "90"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    plain = re.search(r"<code>(pa_[A-Za-z0-9_-]+)</code>", html).group(1)
    row = db.session.scalar(select(ApiToken))
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in (row.prefix + row.name)
    # Never shown again.
    assert plain not in client.get("/admin/api-tokens").get_data(as_text=True)
    # And it works.
    assert client.get("/api/v1/partners", headers=auth(plain)).status_code == 200


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN, Role.MANAGER])
def test_only_admins_manage_tokens(app, role):
    client = signed_in(app, make_user(role, make_org() if role.is_partner else None))
    assert client.get("/admin/api-tokens").status_code == 403
    assert client.post("/admin/api-tokens", data={"name": "x"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_a_revoked_token_stops_working(app, token):
    client = signed_in(app, make_user(Role.ADMIN))
    row = db.session.scalar(select(ApiToken))
    assert client.post(f"/admin/api-tokens/{row.id}/revoke").status_code == 302
    assert client.get("/api/v1/partners", headers=auth(token)).status_code == 401


def test_token_name_is_required(app):
    client = signed_in(app, make_user(Role.ADMIN))
    response = client.post("/admin/api-tokens", data={"name": "  "})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


# --- Authentication and errors --------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong", "Basic abc", "pa_x"])
def test_calls_without_a_valid_token_get_a_json_401(client, token, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/partners", headers=headers)
    assert response.status_code == 401
    assert response.is_json and "token" in response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_session_is_not_an_api_token(app):
    client = signed_in(app, make_user(Role.ADMIN))
    assert client.get("/api/v1/partners").status_code == 401


def test_unknown_api_paths_and_methods_answer_json(client, token):
    missing = client.get("/api/v1/nothing", headers=auth(token))
    assert missing.status_code == 404 and missing.json["error"]["status"] == 404
    wrong = client.delete("/api/v1/partners", headers=auth(token))
    assert wrong.status_code == 405 and wrong.is_json


def test_openapi_description_is_public_and_lists_every_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              and rule.endpoint != "api.openapi_json"}
    assert routes == documented


# --- Deals -----------------------------------------------------------------------------------


def test_put_creates_then_updates_a_deal_by_external_id(client, token):
    org = make_org(slug="sakura-systems")
    body = {"partner": "sakura-systems", "customer": "株式会社サクラ商事",
            "amount": "30,000,000", "product": "Nimbus CRM Enterprise"}
    created = client.put("/api/v1/deals/SF-0001", json=body, headers=auth(token))
    assert created.status_code == 201, created.json
    assert created.json["created"] is True
    deal = created.json["deal"]
    assert deal["amount"] == 30_000_000 and deal["currency"] == "JPY"
    assert deal["partner"] == "sakura-systems" and deal["status"] == "registered"

    body |= {"status": "won", "closed_on": local_date(utcnow()).isoformat()}
    updated = client.put("/api/v1/deals/SF-0001", json=body, headers=auth(token))
    assert updated.status_code == 200 and updated.json["created"] is False
    assert updated.json["deal"]["status"] == "won"
    row = db.session.scalar(select(Deal))
    assert row.organization_id == org.id and row.status == DealStatus.WON
    sources = set(db.session.scalars(select(DealEvent.source)))
    assert sources == {"api"}


@pytest.mark.parametrize("body,field", [
    ({"partner": "nobody", "customer": "A", "amount": 1}, "partner"),
    ({"partner": "p1", "customer": "", "amount": 1}, "customer"),
    ({"partner": "p1", "customer": "A", "amount": -5}, "amount"),
    ({"partner": "p1", "customer": "A", "amount": 1, "currency": "XXX"}, "currency"),
    ({"partner": "p1", "customer": "A", "amount": 1, "status": "won"}, "closed_on"),
    ({"partner": "p1", "customer": "A", "amount": 1, "colour": "red"}, "colour"),
    # What the description does not allow is refused by the description's own schema.
    ({"partner": "p1", "customer": "A", "amount": 0}, "amount"),
    ({"partner": "p1", "customer": "A", "amount": "0"}, "amount"),
    ({"partner": "p1", "customer": "A", "amount": True}, "amount"),
    ({"partner": "p1", "customer": "A", "amount": 1, "closed_on": 20270131}, "closed_on"),
    ({"partner": "p1", "customer": "A", "amount": 1, "expected_close": "2027-02-30"},
     "expected_close"),
    ({"partner": "p1", "customer": "A", "amount": 1, "expected_close": "0001-01-01"},
     "expected_close"),
    ({"partner": "p1", "customer": None, "amount": 1}, "customer"),
    ({"partner": "p1", "amount": 1}, "customer"),
])
def test_bad_deals_get_422_with_the_field_and_nothing_is_written(client, token, body, field):
    make_org(slug="p1")
    response = client.put("/api/v1/deals/X-1", json=body, headers=auth(token))
    assert response.status_code == 422
    assert field in {f["field"] for f in response.json["error"]["fields"]}
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 0


def test_null_means_not_given_as_the_description_says(client, token):
    make_org(slug="p1")
    body = {"partner": "p1", "customer": "A", "amount": 1, "closed_on": None,
            "product": None, "status": None, "rejection_reason": None}
    response = client.put("/api/v1/deals/X-1", json=body, headers=auth(token))
    assert response.status_code == 201, response.json
    assert response.json["deal"]["status"] == "registered"
    assert response.json["deal"]["closed_at"] is None


def test_the_schema_the_api_enforces_is_the_one_it_describes(client):
    from lms.api.openapi import deal_input_schema

    served = client.get("/api/v1/openapi.json").json
    assert served["components"]["schemas"]["DealInput"] == deal_input_schema()
    closed_on = served["components"]["schemas"]["DealInput"]["properties"]["closed_on"]
    assert closed_on["type"] == ["string", "null"]


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", "null", '{"amount": [1]}'])
def test_bodies_that_are_not_a_deal_object_are_refused(client, token, payload):
    response = client.put("/api/v1/deals/X-1", data=payload, headers=auth(token),
                          content_type="application/json")
    assert response.status_code in (400, 422) and response.is_json
    assert db.session.scalar(select(func.count()).select_from(Deal)) == 0


def test_external_id_that_is_too_long_is_refused(client, token):
    response = client.put("/api/v1/deals/" + "x" * 101, json={}, headers=auth(token))
    assert response.status_code == 400


# --- Partners and credentials -------------------------------------------------------------------


def test_partners_lists_tier_and_qualification(client, token):
    org = make_org(slug="aozora", tier=Tier.SILVER)
    now = utcnow()
    for n in range(3):
        db.session.add(Deal(organization_id=org.id, customer_name=f"C{n}", customer_key=f"c{n}",
                            amount=1_000_000, status=DealStatus.WON,
                            registered_at=now - timedelta(days=60),
                            closed_at=now - timedelta(days=5)))
    db.session.commit()
    response = client.get("/api/v1/partners", headers=auth(token))
    assert response.status_code == 200
    partner = next(p for p in response.json["partners"] if p["slug"] == "aozora")
    assert partner["tier"] == "silver"
    won = next(r for r in partner["requirements"]["gold"] if r["requirement"] == "won_deals")
    assert won == {"requirement": "won_deals", "actual": 3, "required": 10, "met": False}
    assert partner["qualifies_for"] == "bronze" and partner["status"] == "at_risk"
    assert partner["partner_type"] == "resale"


def test_partners_filter_by_partner_type(client, token):
    make_org(slug="aozora", partner_type=PartnerType.REFERRAL)
    make_org(slug="sakura")
    referral = client.get("/api/v1/partners?type=referral", headers=auth(token))
    assert [p["slug"] for p in referral.json["partners"]] == ["aozora"]
    assert referral.json["partners"][0]["partner_type"] == "referral"
    everyone = client.get("/api/v1/partners", headers=auth(token)).json["partners"]
    assert {p["slug"] for p in everyone} == {"aozora", "sakura"}
    bad = client.get("/api/v1/partners?type=reseller", headers=auth(token))
    assert bad.status_code == 400 and "referral, resale, oem" in bad.json["error"]["message"]
    misspelt = client.get("/api/v1/partners?typ=oem", headers=auth(token))
    assert misspelt.status_code == 400 and "typ" in misspelt.json["error"]["message"]


def test_credentials_verify_valid_expired_and_unknown(client, token):
    person = make_user(Role.MEMBER, make_org(), name="Aiko Suzuki")
    credential = Credential(slug="ncie", name="NCIE", kind=CredentialKind.CERTIFICATION,
                            image="x.svg", content_hash="x", courses=[], quizzes=[])
    db.session.add(credential)
    db.session.flush()
    now = utcnow()
    valid = Award(user_id=person.id, credential_id=credential.id, period=1,
                  issued_at=now - timedelta(days=10), expires_at=now + timedelta(days=10))
    expired = Award(user_id=person.id, credential_id=credential.id, period=2,
                    issued_at=now - timedelta(days=800), expires_at=now - timedelta(days=1))
    db.session.add_all([valid, expired])
    db.session.commit()
    ok = client.get(f"/api/v1/credentials/{valid.verification_code}", headers=auth(token))
    assert ok.status_code == 200
    assert ok.json["valid"] is True and ok.json["recipient"] == "Aiko Suzuki"
    assert ok.json["credential"]["slug"] == "ncie"
    old = client.get(f"/api/v1/credentials/{expired.verification_code}", headers=auth(token))
    assert old.json["status"] == "expired" and old.json["valid"] is False
    assert client.get("/api/v1/credentials/nope", headers=auth(token)).status_code == 404


def test_token_lookup_is_by_hash(app, token):
    assert db.session.scalar(select(ApiToken.token_hash)) == hash_token(token)
