"""API tokens: created by admins with scopes and an expiry, shown once, stored as a SHA-256,
rotated with a grace period, revocable; and good only while their creator is an active admin.

A token acts on its creator's authority: once the admin who created it is deactivated, is no
longer an admin, or is deleted, the token is refused until another admin rotates it (the new
token is theirs).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager, joinedload

from lms.audit import record
from lms.database import write_best_effort
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import ApiToken, AuditAction, Role, User, utcnow

TOKEN_PREFIX = "pa_"  # noqa: S105 - marks our tokens (secret scanners can match it)
LAST_USED_RESOLUTION = timedelta(minutes=5)

# What a token may do. Reading a deal back is part of `deals:write`: an integration that
# writes deals reads the saved deal in the answer, and no other integration needs deals.
SCOPES = ("deals:write", "partners:read", "credentials:read")
SCOPE_DESCRIPTIONS = {
    "deals:write": "Create and update deals, and read back the deals it writes",
    "partners:read": "Read every partner's tier, qualification and requirements",
    "credentials:read": "Verify badges and certifications by their verification code",
}
# Lifetimes an admin chooses from, in days.
LIFETIME_DAYS = (30, 90, 180, 365)
DEFAULT_LIFETIME_DAYS = 90
# How long the old token keeps working after a rotation (never past its own expiry).
ROTATION_GRACE = timedelta(hours=24)


def requires_scope(scope: str) -> Callable:
    """Mark an API view as needing `scope`: a token without it gets a 403, and the OpenAPI
    description says so (both read the mark through `required_scope`)."""
    if scope not in SCOPES:
        raise ValueError(f"unknown API scope {scope!r}")

    def mark(view: Callable) -> Callable:
        view.required_scope = scope  # type: ignore[attr-defined]
        return view

    return mark


def required_scope(endpoint: str | None) -> str | None:
    """The scope the view of `endpoint` requires; None for a view that declares none."""
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "required_scope", None)


class Refusal(enum.StrEnum):
    """Why a token presented to the API is not accepted."""

    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    CREATOR_DELETED = "creator_deleted"
    CREATOR_DEACTIVATED = "creator_deactivated"
    CREATOR_NOT_ADMIN = "creator_not_admin"

    @property
    def creator_left(self) -> bool:
        """The token is refused because its creator can no longer vouch for it."""
        return self in (Refusal.CREATOR_DELETED, Refusal.CREATOR_DEACTIVATED,
                        Refusal.CREATOR_NOT_ADMIN)


class TokenError(ValueError):
    """A request about a token that cannot be carried out; the message is for people."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def scopes_of(token: ApiToken) -> frozenset[str]:
    """The known scopes a token holds (an unknown word in the column grants nothing)."""
    return frozenset(token.scopes.split()) & frozenset(SCOPES)


def _scope_text(scopes: Iterable[str]) -> str:
    chosen = set(scopes)
    unknown = chosen - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown API scopes: {sorted(unknown)}")
    if not chosen:
        raise ValueError("an API token needs at least one scope")
    return " ".join(scope for scope in SCOPES if scope in chosen)  # in a stable order


def _new_token(name: str, actor: User, scopes: Iterable[str], lifetime: timedelta,
               now: datetime) -> tuple[ApiToken, str]:
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, token_hash=hash_token(plain), prefix=plain[:10],
                     created_by_id=actor.id, scopes=_scope_text(scopes), created_at=now,
                     expires_at=now + lifetime)
    db.session.add(token)
    db.session.flush()
    return token, plain


def create_token(name: str, actor: User, scopes: Iterable[str] = SCOPES,
                 lifetime_days: int = DEFAULT_LIFETIME_DAYS, *,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token; the plain text is returned once and never stored. Caller commits.

    The admin page always passes the admin's choice of scopes; the default (every scope) is
    for scripts and tests."""
    if lifetime_days not in LIFETIME_DAYS:
        raise ValueError(f"an API token lives one of {LIFETIME_DAYS} days")
    token, plain = _new_token(name, actor, scopes, timedelta(days=lifetime_days),
                              now or utcnow())
    record(AuditAction.API_TOKEN_CREATED, actor=actor, token=token.prefix, name=name,
           scopes=token.scopes, expires_at=token.expires_at.isoformat())
    return token, plain


def lifetime_days_of(token: ApiToken) -> int:
    """The lifetime chosen for `token`, as the nearest of LIFETIME_DAYS (tokens older than
    scopes got an expiry at the upgrade, so theirs may fit none)."""
    days = (token.expires_at - token.created_at) / timedelta(days=1)
    return min(LIFETIME_DAYS, key=lambda choice: (abs(choice - days), choice))


def rotate_token(token: ApiToken, actor: User, *,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token with the name, scopes and lifetime of `token`, created by `actor`; the old
    one keeps working for ROTATION_GRACE at most, so the integration can switch without
    downtime. The plain text is returned once. Caller commits."""
    if token.revoked_at is not None:
        raise TokenError(_("A revoked token cannot be rotated: create a new one."))
    if not scopes_of(token):
        raise TokenError(_("This token has no scopes: create a new one."))
    now = now or utcnow()
    new, plain = _new_token(token.name, actor, scopes_of(token),
                            timedelta(days=lifetime_days_of(token)), now)
    token.expires_at = min(token.expires_at, now + ROTATION_GRACE)
    record(AuditAction.API_TOKEN_ROTATED, actor=actor, token=token.prefix,
           new_token=new.prefix, name=token.name, old_expires_at=token.expires_at.isoformat(),
           expires_at=new.expires_at.isoformat())
    db.session.flush()
    return new, plain


def revoke_token(token: ApiToken, actor: User) -> bool:
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record(AuditAction.API_TOKEN_REVOKED, actor=actor, token=token.prefix, name=token.name)
    return True


def refusal(token: ApiToken, now: datetime) -> Refusal | None:
    """Why `token` is refused at `now`, or None when it is live. Its creator must be loaded."""
    if token.revoked_at is not None:
        return Refusal.REVOKED
    if token.expires_at <= now:
        return Refusal.EXPIRED
    creator = token.created_by
    if creator is None:
        return Refusal.CREATOR_DELETED
    if not creator.active:
        return Refusal.CREATOR_DEACTIVATED
    if creator.role != Role.ADMIN:
        return Refusal.CREATOR_NOT_ADMIN
    return None


def authenticate(header: str | None, *, now: datetime | None = None) -> ApiToken | Refusal:
    """The live token of an `Authorization: Bearer <token>` header, else why it is refused.

    One query: the token with its creator, whose standing decides with the token's own."""
    if not header:
        return Refusal.UNKNOWN
    scheme, _space, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return Refusal.UNKNOWN
    token = db.session.scalar(
        select(ApiToken).outerjoin(ApiToken.created_by)
        .options(contains_eager(ApiToken.created_by))
        .where(ApiToken.token_hash == hash_token(value.strip())))
    if token is None:
        return Refusal.UNKNOWN
    now = now or utcnow()
    refused = refusal(token, now)
    if refused is not None:
        return refused
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        # A bounded, best-effort write: at most one per token every few minutes.
        write_best_effort(update(ApiToken).where(ApiToken.id == token.id)
                          .values(last_used_at=now))
    return token


@dataclass(frozen=True)
class TokenRow:
    """A token as the admin list shows it."""

    token: ApiToken
    scopes: list[str]
    refusal: Refusal | None

    @property
    def live(self) -> bool:
        return self.refusal is None


def all_tokens(now: datetime | None = None) -> list[TokenRow]:
    """Every token with its scopes and why it is refused, if it is: live ones first, then
    by creation, newest first."""
    now = now or utcnow()
    rows = [TokenRow(token, [s for s in SCOPES if s in scopes_of(token)], refusal(token, now))
            for token in db.session.scalars(
                select(ApiToken).options(joinedload(ApiToken.created_by))
                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))]
    return sorted(rows, key=lambda row: not row.live)  # stable: newest first in each group
