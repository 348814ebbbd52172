"""Open Badges 3.0 over HTTP: an award as a VC-JWT, its revocation list, the issuer's JWKS."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from lms import signing
from lms.credentials import bp, service, vc
from lms.errors import json_error

NOT_FOUND = "No credential has this verification code."


def _public(response: Response) -> Response:
    # Verifiers and wallets fetch these from anywhere; they hold nothing but what is public.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _signing_key() -> signing.SigningKey | None:
    try:
        return signing.current(current_app)
    except signing.SigningKeyError as error:
        current_app.logger.error("Open Badges 3.0 credentials cannot be signed: %s", error)
        return None


def _unavailable() -> Response:
    return json_error(503, "Open Badges 3.0 credentials are not available: the issuer's "
                           "signing key is not set up.")


@bp.route("/verify/<code>.jwt")
def verify_jwt(code: str):
    award = service.award_by_code(code)
    if award is None:
        return _public(json_error(404, NOT_FOUND))
    key = _signing_key()
    if key is None:
        return _unavailable()
    token = vc.sign(vc.facts_of(award, current_app.config), key,
                    current_app.config["LMS_BASE_URL"])
    # Still served once revoked, as the signed record it was; its credentialStatus and the
    # 410 say it no longer holds.
    status = 410 if award.revoked_at is not None else 200
    return _public(Response(token, status=status, mimetype=vc.MEDIA_TYPE))


@bp.route("/verify/<code>/revocations.json")
def revocation_list(code: str):
    award = service.award_by_code(code)
    if award is None:
        return _public(json_error(404, NOT_FOUND))
    return _public(jsonify(vc.revocation_list_of(award, current_app.config)))


@bp.route("/.well-known/jwks.json")
def jwks():
    key = _signing_key()
    if key is None:
        return _unavailable()
    return _public(jsonify({"keys": [key.public_jwk()]}))
