"""The JSON API: deals upsert, partner tiers and qualification, credential verification.

Every call but the OpenAPI description needs `Authorization: Bearer <token>` with a live
token (401 otherwise) holding the scope its view requires (403 otherwise). Errors are JSON:
{"error": {"status": 422, "message": "...", "fields": [...]}}.
"""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.api import bp, openapi
from lms.api.tokens import Refusal, authenticate, required_scope, requires_scope, scopes_of
from lms.credentials import service as credentials
from lms.database import saving
from lms.deals.crm import upsert_from_mapping
from lms.errors import json_error
from lms.extensions import csrf, db, limiter
from lms.models import Award, Deal, PartnerType, utcnow
from lms.tiers import rules
from lms.tiers import service as tiers

csrf.exempt(bp)  # token authentication: no cookies, so no cross-site forgery


def _token_key() -> str:
    return "api:" + (request.headers.get("Authorization", "")[-16:] or request.remote_addr
                     or "unknown")


limiter.limit("600 per minute", key_func=_token_key)(bp)

PUBLIC_ENDPOINTS = {"api.openapi_json"}

_ROTATE = "an admin can rotate it at /admin/api-tokens"
REFUSALS = {
    Refusal.UNKNOWN: "A valid API token is required: send 'Authorization: Bearer <token>'.",
    Refusal.REVOKED: "This API token is revoked: ask an admin for a new token.",
    Refusal.EXPIRED: f"This API token has expired: {_ROTATE}.",
    Refusal.CREATOR_DELETED: "This API token is no longer valid: the admin who created it "
                             f"no longer has an account; {_ROTATE}.",
    Refusal.CREATOR_DEACTIVATED: "This API token is no longer valid: the admin who created "
                                 f"it is deactivated; {_ROTATE}.",
    Refusal.CREATOR_NOT_ADMIN: "This API token is no longer valid: the person who created "
                               f"it is no longer an admin; {_ROTATE}.",
}


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = authenticate(request.headers.get("Authorization"))
    if isinstance(token, Refusal):
        return json_error(401, REFUSALS[token])
    g.api_token = token
    needed = required_scope(request.endpoint)
    if needed is None:  # a view that forgot its scope is open to no token
        return json_error(403, "No token may make this call.")
    if needed not in scopes_of(token):
        return json_error(403, f"This token lacks the scope {needed}, which this call "
                               "requires; an admin can create a token with it.",
                          required_scope=needed)
    return None


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.route("/openapi.json")
def openapi_json():
    return jsonify(openapi.document())


# --- Deals -----------------------------------------------------------------------------


def deal_json(deal: Deal) -> dict:
    def when(moment):
        return moment.isoformat() if moment else None

    return {
        "external_id": deal.external_id,
        "id": deal.id,
        "partner": deal.organization.slug,
        "customer": deal.customer_name,
        "amount": deal.amount,
        "currency": deal.currency,
        "product": deal.product,
        "description": deal.description,
        "expected_close": deal.expected_close_on.isoformat() if deal.expected_close_on
        else None,
        "status": deal.status.value,
        "rejection_reason": deal.rejection_reason,
        "conflict": deal.conflict_with_id is not None,
        "registered_at": when(deal.registered_at),
        "approved_at": when(deal.approved_at),
        "rejected_at": when(deal.rejected_at),
        "closed_at": when(deal.closed_at),
        "expired_at": when(deal.expired_at),
    }


@bp.route("/deals/<external_id>", methods=["PUT"])
@requires_scope("deals:write")
def put_deal(external_id: str):
    external_id = external_id.strip()
    if not external_id or len(external_id) > 100:
        return json_error(400, "The external id must be 1 to 100 characters.")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the JSON parser goes
        data = None
    if not isinstance(data, dict):
        return json_error(400, "Send a JSON object (Content-Type: application/json).")
    unknown = sorted(set(data) - openapi.DEAL_FIELDS)
    if unknown:
        return json_error(422, "Unknown fields: " + ", ".join(unknown) + ".",
                         fields=[{"field": f, "message": "unknown field"} for f in unknown])
    problems = openapi.deal_input_problems(data)
    if problems:
        return json_error(422, "The deal was not saved: " + "; ".join(
            f"{field}: {message}" for field, message in problems),
            fields=[{"field": field, "message": message} for field, message in problems])
    values = {k: v for k, v in data.items() if v is not None}
    with saving() as saved:
        deal, created, errors = upsert_from_mapping(external_id, values, actor=None,
                                                    source="api")
        if errors:
            saved.discard()
        else:
            assert deal is not None  # no errors: the deal was saved
            deal_id = deal.id
    if errors:
        return json_error(422, "The deal was not saved: " + "; ".join(
            f"{e.column}: {e.reason}" for e in errors),
            fields=[{"field": e.column, "message": e.reason} for e in errors])
    deal = db.session.scalars(select(Deal).where(Deal.id == deal_id)
                              .options(joinedload(Deal.organization))).one()
    body = jsonify({"deal": deal_json(deal), "created": created})
    body.status_code = 201 if created else 200
    return body


# --- Partners --------------------------------------------------------------------------


@bp.route("/partners")
@requires_scope("partners:read")
def partners():
    unknown = sorted(set(request.args) - {"type"})
    if unknown:  # a misspelt filter must not silently list everyone
        return json_error(400, "Unknown query parameter: " + ", ".join(unknown)
                          + " (known: type)")
    kind = request.args.get("type")
    if kind is not None and kind not in {t.value for t in PartnerType}:
        return json_error(400, "type is one of: " + ", ".join(t.value for t in PartnerType))
    program, version = tiers.current_program()
    body = []
    for standing in tiers.standings(utcnow(), program):
        org = standing.organization
        if kind is not None and org.partner_type != kind:
            continue
        body.append({
            "slug": org.slug,
            "name": org.name,
            "partner_type": org.partner_type.value,
            "tier": standing.current,
            "tier_since": org.tier_since.isoformat() if org.tier_since else None,
            "qualifies_for": standing.qualified,
            "status": standing.status(),
            "at_risk_since": org.at_risk_since.isoformat() if org.at_risk_since else None,
            "demotion_on": (d.isoformat() if (d := rules.demotion_date(
                org.at_risk_since, program.grace_period_days)) else None),
            "requirements": {
                result.tier: [{"requirement": r.requirement.key, "actual": r.actual,
                               "required": r.required, "met": r.met}
                              for r in result.results]
                for result in standing.evaluation.tiers},
        })
    return jsonify({"program_version": version.number if version else None,
                    "review_window_months": program.review_window_months,
                    "currency": program.currency, "partners": body})


# --- Credentials -----------------------------------------------------------------------


@bp.route("/credentials/<code>")
@requires_scope("credentials:read")
def credential(code: str):
    award: Award | None = credentials.award_by_code(code) if len(code) <= 64 else None
    if award is None:
        return json_error(404, "No credential has this verification code.")
    status = award.status(utcnow())
    return jsonify({
        "code": award.verification_code,
        "status": status.value,
        "valid": status.value == "valid",
        "credential": {"slug": award.credential.slug, "name": award.credential.name,
                       "kind": award.credential.kind.value},
        "recipient": award.user.name,
        "issued_at": award.issued_at.isoformat(),
        "expires_at": award.expires_at.isoformat() if award.expires_at else None,
        "revoked_at": award.revoked_at.isoformat() if award.revoked_at else None,
        "revoked_reason": award.revoked_reason,
        "verify_url": f"{current_app.config['LMS_BASE_URL']}/verify/{award.verification_code}",
    })
