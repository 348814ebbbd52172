"""The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json)."""

from __future__ import annotations

import functools
from datetime import timedelta

from flask import current_app
from jsonschema import Draft202012Validator

from lms.api.tokens import (
    LIFETIME_DAYS,
    ROTATION_GRACE,
    SCOPE_DESCRIPTIONS,
    SCOPES,
    required_scope,
)
from lms.deals.validation import COLUMNS, MAX_AMOUNT, MAX_DATE, MAX_LENGTHS, MIN_DATE
from lms.models.deals import CURRENCIES, DEFAULT_CURRENCY, DealStatus
from lms.models.organizations import PartnerType, Tier

DEAL_FIELDS = frozenset(COLUMNS) - {"external_id"}
STATUSES = [status.value for status in DealStatus]
TIERS = [tier.value for tier in Tier]
PARTNER_TYPES = [kind.value for kind in PartnerType]

_DATE = {"type": "string", "format": "date", "example": "2026-11-30",
         "description": f"YYYY-MM-DD, from {MIN_DATE} to {MAX_DATE}"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _optional(schema: dict) -> dict:
    """An optional field: null is accepted and means "not given", as an empty CSV cell."""
    return {**schema, "type": [schema["type"], "null"]}


def deal_input_schema() -> dict:
    """The body of PUT /deals/{external_id}: described here and enforced by the view with
    this very schema, so the API never accepts what its description does not allow."""
    lengths = MAX_LENGTHS
    return {
        "type": "object",
        "required": ["partner", "customer", "amount"],
        "additionalProperties": False,
        "properties": {
            "partner": {"type": "string", "description": "Partner slug (an unknown one is a "
                        "422)", "pattern": "^[a-z0-9][a-z0-9-]*$",
                        "maxLength": lengths["partner"], "example": "sakura-systems"},
            "customer": {"type": "string", "minLength": 1, "maxLength": lengths["customer"],
                         "example": "株式会社サクラ商事"},
            "amount": {"oneOf": [
                {"type": "integer", "minimum": 1, "maximum": MAX_AMOUNT},
                {"type": "string", "pattern": "^[0-9０-９][0-9０-９,，]*$",
                 "example": "30,000,000"}],
                "description": "Whole units of the currency, above zero"},
            "currency": _optional({"type": "string", "enum": [*CURRENCIES, None],
                                   "default": DEFAULT_CURRENCY}),
            "product": _optional({"type": "string", "maxLength": lengths["product"]}),
            "description": _optional({"type": "string",
                                      "maxLength": lengths["description"]}),
            "expected_close": _optional(_DATE),
            "status": _optional({"type": "string", "enum": [*STATUSES, None],
                                 "default": "registered"}),
            "registered_on": _optional({**_DATE, "description": "Not in the future; "
                                        "default: today for a new deal"}),
            "closed_on": _optional({**_DATE, "description": "Required for won and lost"}),
            "rejection_reason": _optional({"type": "string",
                                           "maxLength": lengths["rejection_reason"],
                                           "description": "Required for rejected"}),
        },
    }


@functools.cache
def _deal_input_validator() -> Draft202012Validator:
    schema = deal_input_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


_TYPE_NAMES = {"string": "a string", "integer": "a whole number", "null": "null",
               "object": "a JSON object", "number": "a number"}


def _problem(error) -> tuple[str, str]:
    """(field, message) of one schema violation, worded for people, never echoing the value."""
    field = str(error.path[0]) if error.path else ""
    schema, keyword = error.schema, error.validator
    if keyword == "required":  # the message is "'<name>' is a required property"
        return error.message.split("'")[1], "Required."
    if keyword == "additionalProperties":
        extra = sorted(set(error.instance) - set(schema["properties"]))
        return ", ".join(extra), "Unknown field."
    if keyword == "type":
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return field, "Must be " + " or ".join(_TYPE_NAMES.get(t) or str(t) for t in types) + "."
    if keyword == "maxLength":
        return field, f"Too long: at most {schema['maxLength']} characters."
    if keyword == "minLength":
        return field, "Required; this field is empty."
    if keyword == "enum":
        return field, "Must be one of " + ", ".join(str(v) for v in schema["enum"] if v) + "."
    if keyword == "format":
        return field, "Must be a date as YYYY-MM-DD, such as 2026-04-30."
    if keyword == "oneOf" and field == "amount":
        return field, ('Must be a whole number above zero, or its digits as text such as '
                       '"30,000,000".')
    if keyword == "pattern":
        return field, f"Does not match the pattern {schema['pattern']}."
    return field, f"Does not fit the description ({keyword})."


def deal_input_problems(body: object) -> list[tuple[str, str]]:
    """(field, message) for each way `body` breaks the DealInput schema; empty when it fits."""
    errors = sorted(_deal_input_validator().iter_errors(body), key=lambda e: list(e.path))
    return [_problem(error) for error in errors]


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_UNAUTHORIZED = ("No valid token: none, an unknown, revoked or expired one, or one whose "
                 "creator is no longer an active admin")


def _scoped(endpoint: str, operation: dict) -> dict:
    """`operation` with the scope its view requires (the view's own mark): in its description,
    its security requirement and `x-required-scopes`, and the 403 a token without it gets."""
    scope = required_scope(endpoint)
    if scope is None:
        raise LookupError(f"the API view {endpoint} requires no scope")
    note = f"Requires a token with the `{scope}` scope ({SCOPE_DESCRIPTIONS[scope].lower()})."
    responses = {**operation["responses"],
                 "403": _error(f"The token lacks the `{scope}` scope: nothing was done")}
    return {
        **operation,
        "description": f"{operation['description']}\n\n{note}" if operation.get("description")
        else note,
        "security": [{"bearer": [scope]}],
        "x-required-scopes": [scope],
        "responses": dict(sorted(responses.items())),
    }


def _bearer_description() -> str:
    scopes = "; ".join(f"`{scope}`: {SCOPE_DESCRIPTIONS[scope]}" for scope in SCOPES)
    days = ", ".join(str(d) for d in LIFETIME_DAYS[:-1]) + f" or {LIFETIME_DAYS[-1]}"
    grace = ROTATION_GRACE // timedelta(hours=1)
    return ("An API token created by an admin at /admin/api-tokens, sent as "
            "`Authorization: Bearer <token>`. It holds the scopes chosen at its creation "
            f"({scopes}); a call needing another gets 403. It expires after the lifetime "
            f"chosen ({days} days); an expired or revoked token gets 401, and so does one "
            "whose creator is deactivated, is no longer an admin or was deleted. Rotating a "
            f"token makes a new one; the old one keeps working for {grace} hours at most.")


def document() -> dict:
    base = current_app.config["LMS_BASE_URL"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Partner Academy API",
            "version": "1",
            "description": "Deal upserts from the vendor's CRM, partner tiers and their "
                           "qualification, credential verification. Every call needs "
                           "`Authorization: Bearer <token>` with a token holding the "
                           "operation's scope (`x-required-scopes`); admins create tokens "
                           "at /admin/api-tokens.",
        },
        "servers": [{"url": f"{base}/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/deals/{external_id}": {
                "put": _scoped("api.put_deal", {
                    "operationId": "putDeal",
                    "summary": "Create or replace the deal with this CRM id",
                    "description": "The body describes the whole deal, as one row of the "
                                   "CSV import does. A new deal is flagged when another "
                                   "partner registered the same customer in the last 90 "
                                   "days.",
                    "parameters": [{"name": "external_id", "in": "path", "required": True,
                                    "schema": {"type": "string", "minLength": 1,
                                               "maxLength": 100}}],
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/DealInput"}}}},
                    "responses": {
                        "200": {"description": "Updated", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/DealResult"}}}},
                        "201": {"description": "Created", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/DealResult"}}}},
                        "400": _error("Not a JSON object, or a bad external id"),
                        "401": _error(_UNAUTHORIZED),
                        "422": _error("Invalid fields: nothing was written"),
                        "429": _error("Too many requests"),
                    },
                }),
            },
            "/partners": {
                "get": _scoped("api.partners", {
                    "operationId": "listPartners",
                    "summary": "Every active partner: tier, the tier it qualifies for, and "
                               "each requirement's value",
                    "parameters": [{"name": "type", "in": "query", "required": False,
                                    "description": "Only partners of this type",
                                    "schema": {"type": "string", "enum": PARTNER_TYPES}}],
                    "responses": {
                        "200": {"description": "Partners", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/PartnerList"}}}},
                        "400": _error("Unknown partner type or query parameter"),
                        "401": _error(_UNAUTHORIZED),
                        "429": _error("Too many requests"),
                    },
                }),
            },
            "/credentials/{code}": {
                "get": _scoped("api.credential", {
                    "operationId": "verifyCredential",
                    "summary": "Verify a badge or certification by its verification code",
                    "parameters": [{"name": "code", "in": "path", "required": True,
                                    "schema": {"type": "string", "minLength": 1,
                                               "maxLength": 64}}],
                    "responses": {
                        "200": {"description": "The credential and whether it is valid "
                                               "today", "content": {"application/json": {
                                                   "schema": {"$ref":
                                                              "#/components/schemas/"
                                                              "Credential"}}}},
                        "401": _error(_UNAUTHORIZED),
                        "404": _error("No credential has this code"),
                        "429": _error("Too many requests"),
                    },
                }),
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": _bearer_description()}},
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {
                        "type": "object", "required": ["status", "message"],
                        "properties": {
                            "status": {"type": "integer"},
                            "message": {"type": "string"},
                            "required_scope": {"type": "string", "enum": list(SCOPES),
                                               "description": "In a 403: the scope the "
                                                              "token lacks"},
                            "fields": {"type": "array", "items": {
                                "type": "object",
                                "properties": {"field": {"type": "string"},
                                               "message": {"type": "string"}}}},
                        }}},
                },
                "DealInput": deal_input_schema(),
                "Deal": {
                    "type": "object",
                    "properties": {
                        "external_id": {"type": "string"}, "id": {"type": "integer"},
                        "partner": {"type": "string"}, "customer": {"type": "string"},
                        "amount": {"type": "integer"}, "currency": {"type": "string"},
                        "product": {"type": "string"}, "description": {"type": "string"},
                        "expected_close": _NULLABLE_DATE,
                        "status": {"type": "string", "enum": STATUSES},
                        "rejection_reason": {"type": ["string", "null"]},
                        "conflict": {"type": "boolean"},
                        "registered_at": {"type": "string", "format": "date-time"},
                        "approved_at": _NULLABLE_TIME, "rejected_at": _NULLABLE_TIME,
                        "closed_at": _NULLABLE_TIME, "expired_at": _NULLABLE_TIME,
                    },
                },
                "DealResult": {
                    "type": "object", "required": ["deal", "created"],
                    "properties": {"deal": {"$ref": "#/components/schemas/Deal"},
                                   "created": {"type": "boolean"}},
                },
                "Requirement": {
                    "type": "object",
                    "properties": {"requirement": {"type": "string",
                                                   "example": "certified_people:"
                                                              "nimbus-certified-sales-"
                                                              "professional:sales"},
                                   "actual": {"type": "integer"},
                                   "required": {"type": "integer"},
                                   "met": {"type": "boolean"}},
                },
                "Partner": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"}, "name": {"type": "string"},
                        "partner_type": {"type": "string", "enum": PARTNER_TYPES},
                        "tier": {"type": "string", "enum": TIERS},
                        "tier_since": _NULLABLE_DATE,
                        "qualifies_for": {"type": "string", "enum": TIERS},
                        "status": {"type": "string",
                                   "enum": ["promotion_due", "holds", "at_risk"]},
                        "at_risk_since": _NULLABLE_DATE,
                        "demotion_on": _NULLABLE_DATE,
                        "requirements": {"type": "object", "additionalProperties": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Requirement"}}},
                    },
                },
                "PartnerList": {
                    "type": "object",
                    "properties": {
                        "program_version": {"type": ["integer", "null"]},
                        "review_window_months": {"type": "integer"},
                        "currency": {"type": "string"},
                        "partners": {"type": "array",
                                     "items": {"$ref": "#/components/schemas/Partner"}},
                    },
                },
                "Credential": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "status": {"type": "string", "enum": ["valid", "expired", "revoked"]},
                        "valid": {"type": "boolean"},
                        "credential": {"type": "object", "properties": {
                            "slug": {"type": "string"}, "name": {"type": "string"},
                            "kind": {"type": "string", "enum": ["badge", "certification"]}}},
                        "recipient": {"type": "string"},
                        "issued_at": {"type": "string", "format": "date-time"},
                        "expires_at": _NULLABLE_TIME, "revoked_at": _NULLABLE_TIME,
                        "revoked_reason": {"type": ["string", "null"]},
                        "verify_url": {"type": "string", "format": "uri"},
                    },
                },
            },
        },
    }
