"""Fuzzing /api/v1 from its own OpenAPI description (schemathesis 4).

Every operation of /api/v1/openapi.json gets generated requests, valid and invalid (NUL
characters included), with the Authorization header of a real token. Whatever is sent, the API
never answers 500, a refused upsert writes nothing, and its answers conform to what the
description documents: status codes, content types, headers and bodies, with authentication
enforced. Successful answers are also checked with requests known to succeed, and so are the
403s of a token that lacks an operation's scope (`x-required-scopes`).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import func, select

from lms import create_app
from lms.api import tokens
from lms.clock import local_date  # the program's day, as the API reads dates
from lms.extensions import db
from lms.models import Award, Credential, CredentialKind, Deal, Organization, Tier, utcnow
from tests.factories.content import sync_content
from tests.factories.deals import register
from tests.factories.people import make_people

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.filter_too_much])


def _load_schema():
    """The description as the app serves it. Loaded at collection time from an app of its own
    (serving the description needs no database); every request goes to the test's app (see
    `_send`). schemathesis.pytest.from_fixture would load it per test, but its lazy runner
    fails on pytest 9 ('Function' object has no attribute '_nodeid')."""
    app = create_app({"TESTING": True, "LMS_ENV": "test", "SECRET_KEY": "fuzz",
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


schema = _load_schema()


@pytest.fixture
def api_data(app500):
    """A program the API can talk about: partners (one named as in the description's
    example), a deal, valid, expired and revoked credentials; and the token to call with."""
    sync_content()
    people = make_people()
    db.session.add(Organization(slug="sakura-systems", name="Sakura Systems K.K.",
                                tier=Tier.GOLD, signed_on=utcnow().date() - timedelta(days=400)))
    credential = Credential(slug="sec-cert", name="Security Certification",
                            kind=CredentialKind.CERTIFICATION, image="badges/x.svg",
                            content_hash="x", courses=[], quizzes=[], validity_months=24)
    db.session.add(credential)
    db.session.flush()
    codes = {}
    for period, (state, issued_days, expires_days) in enumerate(
            (("valid", 10, 700), ("expired", 900, -170), ("revoked", 20, 700)), start=1):
        award = Award(user_id=people.sales.id, credential_id=credential.id, period=period,
                      issued_at=utcnow() - timedelta(days=issued_days),
                      expires_at=utcnow() + timedelta(days=expires_days),
                      revoked_at=utcnow() if state == "revoked" else None,
                      revoked_reason="Shared the exam" if state == "revoked" else None)
        db.session.add(award)
        db.session.flush()
        codes[state] = award.verification_code
    register(people.alpha, people.sales, "Acme K.K.", external_id="crm-1")
    _token, plain = tokens.create_token("Fuzzer", people.admin)
    db.session.commit()
    return {"headers": {"Authorization": f"Bearer {plain}"}, "codes": codes,
            "admin": people.admin}


def _send(case, app, headers):
    """Send the case to `app` (the checks' own probes too); never a 500."""
    case.operation.app = app
    response = case.call(headers=headers)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")
    return response


def _deal_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Deal))


# A JSON schema cannot say everything the API checks: that the partner exists, that dates are
# not in the future, that closed_on goes with won/lost and rejection_reason with rejected.
# Such requests are schema-valid but answered 422 (documented), so "schema-valid data is
# accepted" is left out; every other check runs.
OTHER_CHECKS = {"excluded_checks": [positive_data_acceptance]}


@schema.include(operation_id="putDeal").parametrize()
@FUZZ
def test_put_deal_never_fails_and_answers_as_documented(case, app500, api_data):
    before = _deal_count()
    response = _send(case, app500, api_data["headers"])
    case.validate_response(response, headers=api_data["headers"],
                           transport_kwargs={"app": app500}, **OTHER_CHECKS)
    if response.status_code >= 400:
        assert _deal_count() == before, "a refused upsert wrote something"


@schema.include(operation_id="listPartners").parametrize()
@FUZZ
def test_list_partners_never_fails_and_answers_as_documented(case, app500, api_data):
    response = _send(case, app500, api_data["headers"])
    case.validate_response(response, headers=api_data["headers"],
                           transport_kwargs={"app": app500}, **OTHER_CHECKS)


@schema.include(operation_id="verifyCredential").parametrize()
@FUZZ
def test_verify_credential_never_fails_and_answers_as_documented(case, app500, api_data):
    response = _send(case, app500, api_data["headers"])
    case.validate_response(response, headers=api_data["headers"],
                           transport_kwargs={"app": app500}, **OTHER_CHECKS)


def test_successful_answers_conform_to_the_description(app500, api_data):
    """Generated requests rarely succeed (unknown partners, codes): these do, and their
    bodies are checked against the description with every check."""
    headers = api_data["headers"]
    put = schema["/deals/{external_id}"]["PUT"]
    body = {"partner": "sakura-systems", "customer": "株式会社サクラ商事", "amount": "4,800,000",
            "currency": "JPY", "product": "Enterprise", "description": "Two sites.",
            "expected_close": "2030-01-31"}
    expected = [(body, 201), (body | {"amount": 5_000_000}, 200),
                (body | {"status": "won", "closed_on": local_date(utcnow()).isoformat()}, 200),
                ({"partner": "alpha", "customer": "Acme", "amount": 1, "status": "rejected",
                  "rejection_reason": "Duplicate"}, 200)]
    for n, (data, status) in enumerate(expected):
        external_id = "crm-1" if n == 3 else "sf-0042"
        case = put.Case(path_parameters={"external_id": external_id}, body=data)
        response = _send(case, app500, headers)
        assert response.status_code == status, response.text
        case.validate_response(response, headers=headers, transport_kwargs={"app": app500})
    partners = schema["/partners"]["GET"].Case()
    response = _send(partners, app500, headers)
    assert response.status_code == 200 and len(response.json()["partners"]) == 2
    partners.validate_response(response, headers=headers, transport_kwargs={"app": app500})
    for state, code in api_data["codes"].items():
        case = schema["/credentials/{code}"]["GET"].Case(path_parameters={"code": code})
        response = _send(case, app500, headers)
        assert response.status_code == 200 and response.json()["status"] == state
        case.validate_response(response, headers=headers, transport_kwargs={"app": app500})


def test_a_token_without_the_scope_gets_the_documented_403(app500, api_data):
    """Each operation refuses a token holding every scope but its own, with the 403 and the
    error body the description documents, and writes nothing."""
    body = {"partner": "sakura-systems", "customer": "Acme", "amount": 1}
    cases = [schema["/deals/{external_id}"]["PUT"].Case(
                 path_parameters={"external_id": "sf-0043"}, body=body),
             schema["/partners"]["GET"].Case(),
             schema["/credentials/{code}"]["GET"].Case(
                 path_parameters={"code": api_data["codes"]["valid"]})]
    scopes = [case.operation.definition.raw["x-required-scopes"][0] for case in cases]
    plains = [tokens.create_token("Partial", api_data["admin"],
                                  [s for s in tokens.SCOPES if s != scope])[1]
              for scope in scopes]
    db.session.commit()
    before = _deal_count()
    for case, scope, plain in zip(cases, scopes, plains, strict=True):
        headers = {"Authorization": f"Bearer {plain}"}
        response = _send(case, app500, headers)
        assert response.status_code == 403, response.text
        assert response.json()["error"]["required_scope"] == scope
        case.validate_response(response, headers=headers, transport_kwargs={"app": app500},
                               **OTHER_CHECKS)
    assert _deal_count() == before
