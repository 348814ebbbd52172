"""Open Badges 3.0: every award as an OpenBadgeCredential signed as a VC-JWT (EdDSA), the
issuer's JWKS, revocation in the credential's status, and where the signing key comes from."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.errors import JoseError

from lms import signing
from lms.config import ConfigError
from lms.credentials import service as credentials_service
from lms.credentials import vc
from lms.extensions import db
from lms.models import Award, Credential, CredentialKind, Role
from tests.factories import make_org, make_user
from tests.factories.learning import award as make_award

BASE = "https://academy.example"
JWKS = f"{BASE}/.well-known/jwks.json"
EMAIL = "aiko.tanaka@kumo-works.example"
# Fixed moments: nothing here depends on the day the tests run.
ISSUED = datetime(2026, 4, 1, 3, 4, 5, 678000, tzinfo=UTC)
EXPIRES = datetime(2028, 4, 1, 3, 4, 5, tzinfo=UTC)
PRODUCTION = {"LMS_ENV": "production", "TESTING": False, "SECRET_KEY": "p" * 40,
              "LMS_BASE_URL": BASE}


# --- Helpers ------------------------------------------------------------------------------


def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segments(token: str) -> tuple[dict, dict]:
    header, payload, _signature = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def rfc7638_thumbprint(jwk: dict) -> str:
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"]},
                           separators=(",", ":"), sort_keys=True)
    return b64url_encode(hashlib.sha256(canonical.encode()).digest())


def signature_holds(token: str, jwk: dict) -> bool:
    """Checked with `cryptography` alone, as any verifier would from the published JWK."""
    header, payload, signature = token.split(".")
    public = Ed25519PublicKey.from_public_bytes(b64url_decode(jwk["x"]))
    try:
        public.verify(b64url_decode(signature), f"{header}.{payload}".encode())
    except InvalidSignature:
        return False
    return True


def key_for(token: str, jwks: dict) -> dict:
    """Dereference the header's kid as OB 3.0 says: the JWKS, then the key named by the
    fragment."""
    kid = segments(token)[0]["kid"]
    address, _, fragment = kid.partition("#")
    assert address == JWKS
    matching = [key for key in jwks["keys"] if key["kid"] == fragment]
    assert len(matching) == 1, (fragment, jwks)
    return matching[0]


def with_payload(token: str, payload: dict) -> str:
    header, _payload, signature = token.split(".")
    body = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    return f"{header}.{body}.{signature}"


@pytest.fixture
def site(make_app):
    app = make_app(LMS_BASE_URL=BASE)
    with app.app_context():
        yield app


def certification() -> Credential:
    made = Credential(slug="ncie", name="Nimbus Certified Implementation Engineer",
                      kind=CredentialKind.CERTIFICATION,
                      description="The holder implements Nimbus CRM for customers.",
                      criteria="Complete Nimbus CRM Implementation and pass the NCIE exam.",
                      image="badges/ncie.svg", content_hash="x", courses=[], quizzes=[],
                      validity_months=24)
    db.session.add(made)
    db.session.flush()
    return made


def badge() -> Credential:
    made = Credential(slug="essentials", name="Partner Program Essentials",
                      kind=CredentialKind.BADGE, description="Knows the program.",
                      criteria="Complete Partner Program Essentials.",
                      image="badges/essentials.svg", content_hash="y", courses=[], quizzes=[])
    db.session.add(made)
    db.session.flush()
    return made


@pytest.fixture
def held(site) -> Award:
    """An engineer's certification, issued and expiring at fixed moments."""
    engineer = make_user(Role.MEMBER, make_org(slug="kumo-works"), email=EMAIL)
    awarded = make_award(engineer, certification(), issued_at=ISSUED, expires_at=EXPIRES)
    db.session.commit()
    return awarded


def fetch_token(client, award: Award) -> str:
    response = client.get(f"/verify/{award.verification_code}.jwt")
    assert response.status_code in (200, 410), response.get_data(as_text=True)
    return response.get_data(as_text=True)


# --- The token and the key that verifies it ------------------------------------------------


def test_the_token_verifies_with_the_key_the_jwks_publishes(site, held):
    client = site.test_client()
    token = fetch_token(client, held)
    jwks = client.get("/.well-known/jwks.json").get_json()

    jwk = key_for(token, jwks)
    assert signature_holds(token, jwk)
    _header, payload = signing.verify_compact(token, jwk)  # and with the JOSE library
    assert payload["jti"] == f"{BASE}/verify/{held.verification_code}"


def test_the_jwks_holds_the_public_ed25519_key_named_by_its_thumbprint(site, held):
    response = site.test_client().get("/.well-known/jwks.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    (jwk,) = response.get_json()["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert jwk["use"] == "sig"
    assert len(b64url_decode(jwk["x"])) == 32
    assert jwk["kid"] == rfc7638_thumbprint(jwk)
    assert "d" not in jwk  # never the private part


def test_a_token_whose_payload_was_changed_does_not_verify(site, held):
    client = site.test_client()
    token = fetch_token(client, held)
    jwk = key_for(token, client.get("/.well-known/jwks.json").get_json())
    _header, payload = segments(token)
    payload["credentialSubject"]["achievement"]["name"] = "Nimbus Grand Master"
    forged = with_payload(token, payload)

    assert not signature_holds(forged, jwk)
    with pytest.raises(JoseError):
        signing.verify_compact(forged, jwk)


def test_a_token_with_a_later_expiry_does_not_verify(site, held):
    client = site.test_client()
    token = fetch_token(client, held)
    jwk = key_for(token, client.get("/.well-known/jwks.json").get_json())
    _header, payload = segments(token)
    payload["exp"] += 10 * 365 * 86400
    payload["validUntil"] = "2038-04-01T03:04:05Z"

    assert not signature_holds(with_payload(token, payload), jwk)


def test_a_token_signed_with_another_key_does_not_verify(site, held):
    client = site.test_client()
    token = fetch_token(client, held)
    jwk = key_for(token, client.get("/.well-known/jwks.json").get_json())
    impostor = signing.parse_private_key(signing.new_private_key_pem())
    _header, payload = segments(token)
    forged = signing.sign_compact(payload, impostor, kid=segments(token)[0]["kid"],
                                  typ="vc+jwt")

    assert not signature_holds(forged, jwk)


def test_the_token_is_served_as_application_vc_jwt_to_anyone(site, held):
    response = site.test_client().get(f"/verify/{held.verification_code}.jwt")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vc+jwt"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.get_data(as_text=True).count(".") == 2


def test_the_same_award_always_gives_the_same_token(site, held):
    client = site.test_client()

    assert fetch_token(client, held) == fetch_token(client, held)


def test_an_unknown_code_is_a_404(site, held):
    client = site.test_client()

    for path in ("/verify/no-such-code.jwt", "/verify/no-such-code/revocations.json",
                 f"/verify/{'x' * 80}.jwt"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["status"] == 404


# --- What the credential says ------------------------------------------------------------


def test_the_jose_header_and_the_registered_claims(site, held):
    token = fetch_token(site.test_client(), held)
    header, payload = segments(token)
    jwk = site.test_client().get("/.well-known/jwks.json").get_json()["keys"][0]

    assert header == {"alg": "EdDSA", "kid": f"{JWKS}#{jwk['kid']}", "typ": "vc+jwt"}
    assert payload["iss"] == payload["issuer"]["id"] == f"{BASE}/issuer.json"
    assert payload["jti"] == payload["id"] == f"{BASE}/verify/{held.verification_code}"
    assert payload["sub"] == payload["credentialSubject"]["id"]
    assert payload["nbf"] == int(datetime(2026, 4, 1, 3, 4, 5, tzinfo=UTC).timestamp())
    assert payload["exp"] == int(EXPIRES.timestamp())
    assert "vc" not in payload and "iat" not in payload


def test_the_credential_is_an_open_badge_credential(site, held):
    _header, payload = segments(fetch_token(site.test_client(), held))

    assert payload["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                   "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["name"] == "Nimbus Certified Implementation Engineer"
    assert payload["validFrom"] == "2026-04-01T03:04:05Z"
    assert payload["validUntil"] == "2028-04-01T03:04:05Z"
    assert payload["issuer"] == {"id": f"{BASE}/issuer.json", "type": ["Profile"],
                                 "name": "Nimbus CRM Partner Program", "url": BASE,
                                 "email": "partners@nimbus-crm.example"}
    achievement = payload["credentialSubject"]["achievement"]
    assert achievement == {
        "id": f"{BASE}/badges/ncie.json",
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": "Nimbus Certified Implementation Engineer",
        "description": "The holder implements Nimbus CRM for customers.",
        "criteria": {"narrative": "Complete Nimbus CRM Implementation and pass the NCIE exam."},
        "image": {"id": f"{BASE}/badges/ncie/image", "type": "Image"},
    }
    assert payload["credentialSchema"] == [{
        "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
              "ob_v3p0_achievementcredential_schema.json",
        "type": "1EdTechJsonSchemaValidator2019"}]
    assert payload["credentialStatus"] == {
        "id": f"{BASE}/verify/{held.verification_code}/revocations.json",
        "type": "1EdTechRevocationList"}


def test_the_earner_is_a_salted_hash_of_the_email_never_the_email(site, held):
    token = fetch_token(site.test_client(), held)
    _header, payload = segments(token)
    subject = payload["credentialSubject"]

    assert subject["type"] == ["AchievementSubject"]
    (identity,) = subject["identifier"]
    salt = identity["salt"]
    assert identity == {
        "type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
        "salt": salt,
        "identityHash": "sha256$" + hashlib.sha256((EMAIL + salt).encode()).hexdigest(),
    }
    assert subject["id"].startswith("urn:uuid:")
    decoded = json.dumps(payload).lower()
    assert EMAIL not in decoded and "aiko" not in decoded and "kumo-works" not in decoded
    # The same hash as the Open Badges 2.0 assertion of the award.
    assertion = site.test_client().get(f"/verify/{held.verification_code}.json").get_json()
    assert assertion["recipient"]["identity"] == identity["identityHash"]


def test_a_badge_without_expiry_has_neither_validuntil_nor_exp(site):
    person = make_user(Role.MEMBER, email="ren@sakura.example")
    awarded = make_award(person, badge(), issued_at=ISSUED)
    db.session.commit()

    _header, payload = segments(fetch_token(site.test_client(), awarded))

    assert "validUntil" not in payload and "exp" not in payload
    assert payload["credentialSubject"]["achievement"]["achievementType"] == "Badge"


def test_each_award_has_its_own_subject_id(site, held):
    other = make_award(held.user, badge(), issued_at=ISSUED)
    db.session.commit()
    client = site.test_client()

    first = segments(fetch_token(client, held))[1]["sub"]
    second = segments(fetch_token(client, other))[1]["sub"]

    assert first != second


# --- Revocation ---------------------------------------------------------------------------


def test_revocation_shows_in_the_credential_status(site, held):
    client = site.test_client()
    token = fetch_token(client, held)
    status_url = segments(token)[1]["credentialStatus"]["id"]
    status_path = status_url.removeprefix(BASE)
    credential_id = f"{BASE}/verify/{held.verification_code}"

    before = client.get(status_path)
    assert before.status_code == 200
    assert before.get_json() == {"id": status_url, "issuer": f"{BASE}/issuer.json",
                                 "revokedCredentials": []}

    admin = make_user(Role.ADMIN)
    credentials_service.revoke(admin, db.session.get(Award, held.id), "Exam taken by proxy")
    db.session.commit()

    after = client.get(status_path).get_json()
    assert after["revokedCredentials"] == [{"id": credential_id,
                                            "revocationReason": "Exam taken by proxy"}]
    # The token is still the signed record it was, answered with 410 Gone.
    response = client.get(f"/verify/{held.verification_code}.jwt")
    assert response.status_code == 410
    assert response.headers["Content-Type"] == "application/vc+jwt"
    revoked_token = response.get_data(as_text=True)
    jwk = key_for(revoked_token, client.get("/.well-known/jwks.json").get_json())
    assert signature_holds(revoked_token, jwk)
    assert segments(revoked_token)[1]["credentialStatus"]["id"] == status_url


def test_a_revocation_list_names_only_its_own_credential(site, held):
    other_person = make_user(Role.MEMBER)
    other = make_award(other_person, badge(), issued_at=ISSUED)
    admin = make_user(Role.ADMIN)
    credentials_service.revoke(admin, other, "Issued in error")
    db.session.commit()

    listed = site.test_client().get(f"/verify/{held.verification_code}/revocations.json")

    assert listed.get_json()["revokedCredentials"] == []


# --- The pure builder ---------------------------------------------------------------------


def test_the_builder_needs_no_app():
    facts = vc.AwardFacts(
        id="https://a.example/verify/abc",
        issuer=vc.Issuer(id="https://a.example/issuer.json", name="A", url="https://a.example",
                         email="a@a.example"),
        achievement=vc.Achievement(id="https://a.example/badges/b.json", name="B",
                                   description="d", criteria="c",
                                   image="https://a.example/badges/b/image", kind="badge"),
        recipient_email="Someone@Example.test", recipient_salt="salt",
        valid_from=datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC), valid_until=None,
        status_list="https://a.example/verify/abc/revocations.json")

    payload = vc.jwt_payload(facts)

    assert payload["nbf"] == int(datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
    assert payload["validFrom"] == "2027-12-31T23:59:59Z"
    assert payload["sub"] == vc.subject_id("https://a.example/verify/abc")
    identity = payload["credentialSubject"]["identifier"][0]["identityHash"]
    assert identity == "sha256$" + hashlib.sha256(b"someone@example.testsalt").hexdigest()
    key = signing.parse_private_key(signing.new_private_key_pem())
    token = vc.sign(facts, key, "https://a.example")
    assert signing.verify_compact(token, key.public_jwk())[1] == payload


# --- Where the key comes from -------------------------------------------------------------


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_lms_init_creates_the_key_file_0600_and_the_next_start_reuses_it(make_app, tmp_path):
    key_file = tmp_path / "signing-key.pem"
    app = make_app(LMS_BASE_URL=BASE)
    assert not key_file.exists()

    result = app.test_cli_runner().invoke(args=["init"])

    assert result.exit_code == 0, result.output
    assert "signing key created" in result.output
    assert mode_of(key_file) == 0o600
    written = key_file.read_bytes()
    kid = signing.parse_private_key(written).kid

    again = make_app(LMS_BASE_URL=BASE)  # the next start
    assert again.test_client().get("/.well-known/jwks.json").get_json()["keys"][0]["kid"] == kid
    result = again.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "created" not in result.output and kid in result.output
    assert key_file.read_bytes() == written


def test_development_makes_the_key_file_on_first_use(site, held, tmp_path):
    key_file = tmp_path / "signing-key.pem"
    assert not key_file.exists()

    site.test_client().get(f"/verify/{held.verification_code}.jwt")

    assert mode_of(key_file) == 0o600


def test_a_pem_in_lms_signing_key_is_used_and_no_file_is_made(make_app, tmp_path):
    pem = signing.new_private_key_pem().decode()
    app = make_app(LMS_BASE_URL=BASE, LMS_SIGNING_KEY=pem.replace("\n", "\\n"))

    jwks = app.test_client().get("/.well-known/jwks.json").get_json()
    result = app.test_cli_runner().invoke(args=["init"])

    assert jwks["keys"][0]["kid"] == signing.parse_private_key(pem).kid
    assert "LMS_SIGNING_KEY" in result.output
    assert not (tmp_path / "signing-key.pem").exists()


def test_lms_signing_key_may_name_a_pem_file(make_app, tmp_path):
    pem_file = tmp_path / "elsewhere.pem"
    pem_file.write_bytes(signing.new_private_key_pem())
    app = make_app(LMS_BASE_URL=BASE, LMS_SIGNING_KEY=str(pem_file))

    jwks = app.test_client().get("/.well-known/jwks.json").get_json()

    assert jwks["keys"][0]["kid"] == signing.parse_private_key(pem_file.read_bytes()).kid


@pytest.mark.parametrize("value", [
    "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
    "/no/such/signing-key.pem",
])
def test_a_bad_lms_signing_key_stops_the_start_with_a_clear_message(make_app, value):
    with pytest.raises(ConfigError, match="LMS_SIGNING_KEY"):
        make_app(LMS_SIGNING_KEY=value)
    with pytest.raises(ConfigError, match="LMS_SIGNING_KEY"):
        make_app(**PRODUCTION, LMS_SIGNING_KEY=value)


def test_a_public_or_other_curve_key_is_refused():
    private = signing.parse_private_key(signing.new_private_key_pem())
    public_pem = private.private.as_pem(private=False).decode()

    assert "public key" in signing.setting_problem(public_pem)
    assert "Ed25519" in signing.setting_problem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END"
                                                " PRIVATE KEY-----")


def test_production_without_a_key_refuses_to_sign_and_makes_none(make_app, tmp_path, caplog):
    app = make_app(**PRODUCTION)
    client = app.test_client()
    with app.app_context():
        person = make_user(Role.MEMBER)
        code = make_award(person, badge(), issued_at=ISSUED).verification_code
        db.session.commit()

    token = client.get(f"/verify/{code}.jwt")
    jwks = client.get("/.well-known/jwks.json")

    assert token.status_code == 503 and jwks.status_code == 503
    assert "signing key" in token.get_json()["error"]["message"]
    assert "lms init" in caplog.text
    assert not (tmp_path / "signing-key.pem").exists()
    # `lms init` makes it; then production signs with it.
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert client.get(f"/verify/{code}.jwt").status_code == 200


def test_a_key_file_open_to_everyone_is_refused(make_app, tmp_path):
    key_file = tmp_path / "signing-key.pem"
    assert signing.create_key_file(key_file)
    os.chmod(key_file, 0o644)
    app = make_app(**PRODUCTION)

    response = app.test_client().get("/.well-known/jwks.json")

    assert response.status_code == 503


def test_the_key_file_is_made_once_whoever_asks_first(tmp_path):
    key_file = tmp_path / "instance" / "signing-key.pem"

    assert signing.create_key_file(key_file) is True
    first = key_file.read_bytes()
    assert signing.create_key_file(key_file) is False

    assert key_file.read_bytes() == first
    assert mode_of(key_file) == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["signing-key.pem"]
