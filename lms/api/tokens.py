"""API tokens: created by admins, shown once, stored as a SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update

from lms.audit import record
from lms.database import write_best_effort
from lms.extensions import db
from lms.models import ApiToken, AuditAction, User, utcnow

TOKEN_PREFIX = "pa_"  # noqa: S105 - marks our tokens (secret scanners can match it)
LAST_USED_RESOLUTION = timedelta(minutes=5)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(name: str, actor: User) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored. Caller commits."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(plain), prefix=plain[:10],
                     created_by_id=actor.id)
    db.session.add(token)
    db.session.flush()
    record(AuditAction.API_TOKEN_CREATED, actor=actor, token=token.prefix, name=name)
    return token, plain


def revoke_token(token: ApiToken, actor: User) -> bool:
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record(AuditAction.API_TOKEN_REVOKED, actor=actor, token=token.prefix, name=token.name)
    return True


def authenticate(header: str | None) -> ApiToken | None:
    """The live token of an `Authorization: Bearer <token>` header, else None."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    token = db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == hash_token(value.strip()), ApiToken.revoked_at.is_(None)))
    if token is None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # A bounded, best-effort write: at most one per token every few minutes.
        write_best_effort(update(ApiToken).where(ApiToken.id == token.id)
                          .values(last_used_at=now))
    return token


def all_tokens() -> list[ApiToken]:
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(select(ApiToken).options(joinedload(ApiToken.created_by))
                                   .order_by(ApiToken.revoked_at.is_not(None),
                                             ApiToken.created_at.desc())))
