"""Open Badges 3.0: an award as an OpenBadgeCredential (a W3C Verifiable Credential 2.0),
secured as a VC-JWT. Plain values in, JSON-ready dicts and the token out (no Flask, no db).

Choices where the specifications leave room (README, "Badges and certifications"):
- The JWT payload is the credential itself with the registered claims beside it (OB 3.0
  section 8.2 as revised for VC 2.0, and VC-JOSE-COSE): iss = issuer.id, jti = id,
  nbf = validFrom, exp = validUntil, sub = credentialSubject.id; no `vc` wrapper, no iat,
  so the same award always yields the same token.
- JOSE header: alg EdDSA, typ vc+jwt (VC-JOSE-COSE, the media type served), and kid = the
  JWKS address with the key's RFC 7638 thumbprint as fragment, a URI that dereferences to
  the key as OB 3.0 asks: fetch the JWKS, take the key whose kid is the fragment.
- The earner: the email only as a salted SHA-256 (IdentityObject, the award's salt, so it
  matches the Open Badges 2.0 assertion), and as credentialSubject.id a urn:uuid made from
  the credential id: it says nothing about the person and links none of their awards.
- Revocation: credentialStatus is a 1EdTechRevocationList scoped to this one credential
  (its own list address), so checking one credential reveals no other revoked award.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lms import signing
from lms.credentials.service import recipient_identity
from lms.models import Award

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_SCHEMA = ("https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
             "ob_v3p0_achievementcredential_schema.json")
SCHEMA_TYPE = "1EdTechJsonSchemaValidator2019"
STATUS_TYPE = "1EdTechRevocationList"
MEDIA_TYPE = "application/vc+jwt"
JOSE_TYPE = "vc+jwt"
ACHIEVEMENT_TYPES = {"badge": "Badge", "certification": "Certification"}


@dataclass(frozen=True)
class Issuer:
    id: str
    name: str
    url: str
    email: str


@dataclass(frozen=True)
class Achievement:
    id: str
    name: str
    description: str
    criteria: str
    image: str
    kind: str  # CredentialKind value: badge | certification


@dataclass(frozen=True)
class AwardFacts:
    """What an OpenBadgeCredential says about one award."""

    id: str
    issuer: Issuer
    achievement: Achievement
    recipient_email: str
    recipient_salt: str
    valid_from: datetime
    valid_until: datetime | None
    status_list: str


# --- Addresses ----------------------------------------------------------------------------


def credential_url(base: str, code: str) -> str:
    return f"{base}/verify/{code}"


def status_list_url(base: str, code: str) -> str:
    return f"{base}/verify/{code}/revocations.json"


def jwks_url(base: str) -> str:
    return f"{base}/.well-known/jwks.json"


def key_id(base: str, thumbprint: str) -> str:
    """The JOSE kid: the JWKS address, the key's thumbprint (its kid there) as fragment."""
    return f"{jwks_url(base)}#{thumbprint}"


def subject_id(credential_id: str) -> str:
    """A stable urn:uuid for the earner in this credential, derived from nothing personal."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, credential_id + '#subject')}"


# --- The credential -----------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat().replace("+00:00", "Z")


def _numeric_date(moment: datetime) -> int:
    return int(_utc(moment).timestamp())


def open_badge_credential(facts: AwardFacts) -> dict[str, Any]:
    """The OpenBadgeCredential (unsigned) of one award."""
    achievement = facts.achievement
    image = {"id": achievement.image, "type": "Image"}
    body: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": facts.id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": achievement.name,
        "image": image,
        "issuer": {"id": facts.issuer.id, "type": ["Profile"], "name": facts.issuer.name,
                   "url": facts.issuer.url, "email": facts.issuer.email},
        "validFrom": _iso(facts.valid_from),
    }
    if facts.valid_until is not None:
        body["validUntil"] = _iso(facts.valid_until)
    body["credentialSubject"] = {
        "id": subject_id(facts.id),
        "type": ["AchievementSubject"],
        "identifier": [{
            "type": "IdentityObject",
            "identityHash": recipient_identity(facts.recipient_email, facts.recipient_salt),
            "identityType": "emailAddress",
            "hashed": True,
            "salt": facts.recipient_salt,
        }],
        "achievement": {
            "id": achievement.id,
            "type": ["Achievement"],
            "achievementType": ACHIEVEMENT_TYPES.get(achievement.kind, "Achievement"),
            "name": achievement.name,
            "description": achievement.description,
            "criteria": {"narrative": achievement.criteria},
            "image": image,
        },
    }
    body["credentialSchema"] = [{"id": OB_SCHEMA, "type": SCHEMA_TYPE}]
    body["credentialStatus"] = {"id": facts.status_list, "type": STATUS_TYPE}
    return body


def jwt_payload(facts: AwardFacts) -> dict[str, Any]:
    """The VC-JWT payload: the registered claims, then the credential's own members."""
    credential = open_badge_credential(facts)
    claims: dict[str, Any] = {
        "iss": facts.issuer.id,
        "jti": facts.id,
        "sub": credential["credentialSubject"]["id"],
        "nbf": _numeric_date(facts.valid_from),
    }
    if facts.valid_until is not None:
        claims["exp"] = _numeric_date(facts.valid_until)
    return claims | credential


def sign(facts: AwardFacts, key: signing.SigningKey, base: str) -> str:
    """The award's OpenBadgeCredential as a compact VC-JWT signed with `key`."""
    return signing.sign_compact(jwt_payload(facts), key, kid=key_id(base, key.kid),
                                typ=JOSE_TYPE)


def revocation_list(list_id: str, issuer_id: str, credential_id: str,
                    revoked: bool, reason: str | None) -> dict[str, Any]:
    """The 1EdTech revocation list of one credential: empty, or naming it with the reason."""
    entries = [{"id": credential_id, "revocationReason": reason or ""}] if revoked else []
    return {"id": list_id, "issuer": issuer_id, "revokedCredentials": entries}


# --- From the database and the configuration ------------------------------------------------


def issuer_of(config: Mapping[str, Any]) -> Issuer:
    base = config["LMS_BASE_URL"]
    return Issuer(id=f"{base}/issuer.json", name=config["LMS_ISSUER_NAME"],
                  url=config["LMS_ISSUER_URL"] or base, email=config["LMS_ISSUER_EMAIL"])


def facts_of(award: Award, config: Mapping[str, Any]) -> AwardFacts:
    """What the credential of `award` says; ids match the Open Badges 2.0 documents'."""
    base = config["LMS_BASE_URL"]
    credential = award.credential
    return AwardFacts(
        id=credential_url(base, award.verification_code),
        issuer=issuer_of(config),
        achievement=Achievement(
            id=f"{base}/badges/{credential.slug}.json", name=credential.name,
            description=credential.description, criteria=credential.criteria,
            image=f"{base}/badges/{credential.slug}/image", kind=credential.kind.value),
        recipient_email=award.user.email,
        recipient_salt=award.recipient_salt,
        valid_from=award.issued_at,
        valid_until=award.expires_at,
        status_list=status_list_url(base, award.verification_code),
    )


def revocation_list_of(award: Award, config: Mapping[str, Any]) -> dict[str, Any]:
    base = config["LMS_BASE_URL"]
    return revocation_list(status_list_url(base, award.verification_code),
                           issuer_of(config).id,
                           credential_url(base, award.verification_code),
                           award.revoked_at is not None, award.revoked_reason)
