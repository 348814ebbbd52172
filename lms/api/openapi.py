"""The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json)."""

from __future__ import annotations

from flask import current_app

from lms.deals.importer import COLUMNS, CURRENCIES

DEAL_FIELDS = frozenset(COLUMNS) - {"external_id"}
STATUSES = ["registered", "approved", "rejected", "won", "lost", "expired"]
TIERS = ["bronze", "silver", "gold", "platinum"]

_DATE = {"type": "string", "format": "date", "example": "2026-11-30"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def document() -> dict:
    base = current_app.config["LMS_BASE_URL"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Partner Academy API",
            "version": "1",
            "description": "Deal upserts from the vendor's CRM, partner tiers and their "
                           "qualification, credential verification. Every call needs "
                           "`Authorization: Bearer <token>`; admins create tokens at "
                           "/admin/api-tokens.",
        },
        "servers": [{"url": f"{base}/api/v1"}],
        "security": [{"bearer": []}],
        "paths": {
            "/deals/{external_id}": {
                "put": {
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
                        "401": _error("No valid token"),
                        "422": _error("Invalid fields: nothing was written"),
                        "429": _error("Too many requests"),
                    },
                },
            },
            "/partners": {
                "get": {
                    "operationId": "listPartners",
                    "summary": "Every active partner: tier, the tier it qualifies for, and "
                               "each requirement's value",
                    "responses": {
                        "200": {"description": "Partners", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/PartnerList"}}}},
                        "401": _error("No valid token"),
                        "429": _error("Too many requests"),
                    },
                },
            },
            "/credentials/{code}": {
                "get": {
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
                        "401": _error("No valid token"),
                        "404": _error("No credential has this code"),
                        "429": _error("Too many requests"),
                    },
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object", "required": ["error"],
                    "properties": {"error": {
                        "type": "object", "required": ["status", "message"],
                        "properties": {
                            "status": {"type": "integer"},
                            "message": {"type": "string"},
                            "fields": {"type": "array", "items": {
                                "type": "object",
                                "properties": {"field": {"type": "string"},
                                               "message": {"type": "string"}}}},
                        }}},
                },
                "DealInput": {
                    "type": "object",
                    "required": ["partner", "customer", "amount"],
                    "additionalProperties": False,
                    "properties": {
                        "partner": {"type": "string", "description": "Partner slug (an "
                                    "unknown one is a 422)", "pattern": "^[a-z0-9][a-z0-9-]*$",
                                    "maxLength": 80, "example": "sakura-systems"},
                        "customer": {"type": "string", "maxLength": 200,
                                     "example": "株式会社サクラ商事"},
                        "amount": {"oneOf": [
                            {"type": "integer", "minimum": 0, "maximum": 10**13},
                            {"type": "string", "pattern": "^[0-9０-９][0-9０-９,，]*$",
                             "example": "30,000,000"}],
                            "description": "Whole units of the currency"},
                        "currency": {"type": "string", "enum": list(CURRENCIES),
                                     "default": "JPY"},
                        "product": {"type": "string", "maxLength": 200},
                        "description": {"type": "string", "maxLength": 5000},
                        "expected_close": _DATE,
                        "status": {"type": "string", "enum": STATUSES,
                                   "default": "registered"},
                        "registered_on": _DATE,
                        "closed_on": {**_DATE, "description": "Required for won and lost"},
                        "rejection_reason": {"type": "string", "maxLength": 1000,
                                             "description": "Required for rejected"},
                    },
                },
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
