"""Two-factor sign-in: TOTP (RFC 6238) codes from an authenticator app, one-time recovery
codes, the pending sign-in between the password and the code, and the admin's reset.

The functions above the line "Service" are pure (plain values in and out, the time as an
argument); the service below flushes, never commits (the views save).

A code works once: the user's `totp_last_step` is the time step of the last code accepted,
and a code is accepted by a guarded UPDATE that moves it forward, so two concurrent
submissions of the same code cannot both pass. Code attempts are counted before they are
evaluated (per pending sign-in, and per account in the rate limiter's storage), so guessing
is bounded whatever the concurrency.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
import segno
from flask import current_app, redirect, session, url_for
from limits import RateLimitItem, parse
from sqlalchemy import delete, func, update
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.wrappers import Response

from lms import audit
from lms.auth import devices
from lms.auth.service import AccountError, end_all_sessions, sign_in
from lms.database import end_read_transaction, execute_dml, start_write_transaction
from lms.extensions import db, limiter
from lms.i18n import gettext as _
from lms.models import AuditAction, RecoveryCode, Role, User, utcnow

TOTP_DIGITS = 6
TOTP_INTERVAL = 30  # seconds per time step, what every authenticator app uses
VALID_WINDOW = 1  # steps accepted either side of now: a phone's clock may be a little off
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: read from paper and typed without doubt (31 symbols, 10 per code: ~50 bits).
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RECOVERY_GROUPS = (4, 4, 2)  # shown as xxxx-xxxx-xx
RECOVERY_LENGTH = sum(RECOVERY_GROUPS)
DEFAULT_ISSUER = "Partner Academy"

PENDING_KEY = "two_factor_pending"
PENDING_LIFETIME = timedelta(minutes=5)
TRIES_PER_SIGN_IN = 5  # wrong codes, then the password is asked again
DEFAULT_ACCOUNT_LIMIT = "5 per 15 minutes"  # wrong codes per account (LMS_TWO_FACTOR_LIMIT)


class TwoFactorError(AccountError):
    """A second-factor request that cannot be carried out; `field` names the form field."""

    def __init__(self, message: str, field: str | None = "code") -> None:
        super().__init__(message)
        self.field = field


# --- Pure --------------------------------------------------------------------------------


def new_secret() -> str:
    """A new random TOTP secret, base32 (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL).provisioning_uri(
        name=account, issuer_name=issuer)


def qr_svg(data: str) -> str:
    """An inline SVG QR code of `data` (no image request, nothing from elsewhere)."""
    return segno.make(data, error="m").svg_inline(scale=4, dark="#111827", omitsize=False)


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def time_step(now: datetime) -> int:
    """The RFC 6238 time step (counter) of the moment `now`."""
    return int(now.timestamp()) // TOTP_INTERVAL


def normalize_code(text: str | None) -> str:
    """What was typed, without spaces and dashes, lower-cased (codes are read off screens)."""
    return "".join(ch for ch in (text or "") if ch not in " \t-").lower()


def code_kind(text: str | None) -> str | None:
    """ "totp" for a 6-digit code, "recovery" for a recovery code's shape, None otherwise."""
    code = normalize_code(text)
    if len(code) == TOTP_DIGITS and code.isascii() and code.isdigit():
        return "totp"
    if len(code) == RECOVERY_LENGTH and all(ch in RECOVERY_ALPHABET for ch in code):
        return "recovery"
    return None


def matching_step(secret: str, code: str, now: datetime, last_step: int | None,
                  window: int = VALID_WINDOW) -> int | None:
    """The time step `code` belongs to, within `window` steps of `now` and after
    `last_step` (a code already used is refused); None when it matches none."""
    code = normalize_code(code)
    if code_kind(code) != "totp":
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_INTERVAL)
    current = time_step(now)
    matched = None
    # Every step is compared (no early exit), newest last: the time taken says nothing.
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code) and \
                (last_step is None or step > last_step):
            matched = step
    return matched


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Fresh random recovery codes, formatted xxxx-xxxx-xx."""
    codes = []
    for _n in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _i in range(RECOVERY_LENGTH))
        parts, start = [], 0
        for size in RECOVERY_GROUPS:
            parts.append(raw[start:start + size])
            start += size
        codes.append("-".join(parts))
    return codes


def recovery_code_hash(code: str) -> str:
    """What is stored of a recovery code: the SHA-256 of its normalized form."""
    return hashlib.sha256(normalize_code(code).encode("ascii", "replace")).hexdigest()


def session_fingerprint(session_token: str) -> str:
    """Stands for the user's session token in the pending sign-in (the cookie is signed,
    not encrypted: the token itself is not put in it)."""
    return hashlib.sha256(("two-factor:" + session_token).encode()).hexdigest()[:32]


# --- Service: settings and enrolment -----------------------------------------------------


def issuer_name() -> str:
    """The name authenticator apps show above the account (the program's name)."""
    return current_app.config.get("LMS_ISSUER_NAME") or DEFAULT_ISSUER


def is_required(user: User) -> bool:
    """Whether `user`'s role must use a second factor (LMS_REQUIRE_2FA)."""
    return user.role.value in current_app.config.get("LMS_REQUIRE_2FA", frozenset())


def needs_enrolment(user: User) -> bool:
    """A signed-in person who must use a second factor and has none yet."""
    return is_required(user) and not user.has_two_factor


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        db.select(func.count(RecoveryCode.id))
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ) or 0


def begin_enrolment(user: User) -> None:
    """Give `user` a new secret to scan; not yet in force until a code confirms it."""
    if user.has_two_factor:
        raise TwoFactorError(_("Two-factor sign-in is already on."), field=None)
    user.totp_secret = new_secret()
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    db.session.flush()


def confirm_enrolment(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn two-factor sign-in on with the first valid code; the new recovery codes (plain,
    shown once)."""
    now = now or utcnow()
    secret = user.totp_secret
    if user.has_two_factor:
        raise TwoFactorError(_("Two-factor sign-in is already on."), field=None)
    if secret is None:
        raise TwoFactorError(_("Start the set-up first."), field=None)
    _check_shape(code, allow_recovery=False)
    step = matching_step(secret, code, now, user.totp_last_step)
    if step is None:
        raise TwoFactorError(_("This code is not right. Check that the app shows the account "
                               "you just added and try the code it shows now."))
    # Guarded: a second tab that started the set-up again (a new secret) or confirmed first
    # makes this one fail instead of enabling a secret nobody scanned.
    enabled = execute_dml(
        update(User)
        .where(User.id == user.id, User.totp_secret == secret,
               User.two_factor_enabled_at.is_(None))
        .values(two_factor_enabled_at=now, totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if enabled != 1:
        raise TwoFactorError(_("The set-up changed in the meantime. Start again."), field=None)
    set_committed_value(user, "two_factor_enabled_at", now)
    set_committed_value(user, "totp_last_step", step)
    codes = _replace_recovery_codes(user, now)
    audit.record(AuditAction.TWO_FACTOR_ENABLED, actor=user, target=user)
    return codes


def regenerate_recovery_codes(user: User, code: str, now: datetime | None = None) -> list[str]:
    """New recovery codes (the old ones stop working), confirmed by a current app code."""
    now = now or utcnow()
    if not user.has_two_factor:
        raise TwoFactorError(_("Two-factor sign-in is off."), field=None)
    _check_shape(code, allow_recovery=False)
    _charge_code(user)
    if not _use_totp(user, code, now):
        raise TwoFactorError(_("This code is not right, or it was used already. Wait for the "
                               "next code in your app."))
    _give_back_attempt(user)
    codes = _replace_recovery_codes(user, now)
    audit.record(AuditAction.USER_UPDATED, actor=user, target=user,
                 recovery_codes="regenerated")
    return codes


def disable(user: User, password: str, code: str, now: datetime | None = None) -> None:
    """Turn two-factor sign-in off: needs the password and a code (app or recovery)."""
    now = now or utcnow()
    if is_required(user):
        raise TwoFactorError(_("Your role requires two-factor sign-in, so it cannot be turned "
                               "off. If you lost your device, ask an administrator to reset "
                               "it."), field=None)
    if not user.has_two_factor:
        raise TwoFactorError(_("Two-factor sign-in is off."), field=None)
    kind = _check_shape(code, allow_recovery=True)
    # Both secrets are counted before they are checked: a stolen session cannot guess either.
    if devices.charge_current_password(user.id):
        raise TwoFactorError(_("Too many wrong passwords for this account. Wait a while, then "
                               "try again."), field="password")
    # The hash takes a good fraction of a second: not while holding the write lock.
    end_read_transaction()
    right = user.check_password(password or "")
    start_write_transaction()
    if not right:
        raise TwoFactorError(_("The password is wrong."), field="password")
    devices.give_back_current_password(user.id)
    _charge_code(user)
    accepted = _use_totp(user, code, now) if kind == "totp" else \
        _use_recovery_code(user, code, now) is not None
    if not accepted:
        raise TwoFactorError(_("This code is not right, or it was used already."))
    _give_back_attempt(user)
    _clear(user)
    audit.record(AuditAction.TWO_FACTOR_DISABLED, actor=user, target=user)


def reset(actor: User, person: User) -> None:
    """Lost device: an administrator clears `person`'s second factor and signs them out
    everywhere; they sign in with their password and enrol again."""
    if actor.role != Role.ADMIN:
        raise TwoFactorError(_("Only an administrator can reset two-factor sign-in."),
                             field=None)
    if actor.id == person.id:
        raise TwoFactorError(_("You cannot reset your own two-factor sign-in. Ask another "
                               "administrator."), field=None)
    if person.totp_secret is None and person.two_factor_enabled_at is None:
        raise TwoFactorError(_("%(name)s has no two-factor sign-in to reset.",
                               name=person.name), field=None)
    was_enabled = person.has_two_factor
    _clear(person)
    end_all_sessions(person)
    audit.record(AuditAction.TWO_FACTOR_RESET, actor=actor, target=person,
                 was_enabled=was_enabled)
    db.session.flush()


def _clear(user: User) -> None:
    user.totp_secret = None
    user.two_factor_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def _replace_recovery_codes(user: User, now: datetime) -> list[str]:
    codes = new_recovery_codes()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=recovery_code_hash(code),
                                    created_at=now) for code in codes)
    db.session.flush()
    return codes


def _check_shape(code: str | None, allow_recovery: bool) -> str:
    """The kind of `code`; a clear refusal when it cannot be one (nothing is counted)."""
    kind = code_kind(code)
    if kind == "totp" or (kind == "recovery" and allow_recovery):
        return kind
    if allow_recovery:
        raise TwoFactorError(_("Enter the 6-digit code from your authenticator app, or one of "
                               "your recovery codes (like abcd-efgh-jk)."))
    raise TwoFactorError(_("Enter the 6-digit code your authenticator app shows."))


def _use_totp(user: User, code: str, now: datetime) -> bool:
    """Accept an app code once: the guarded UPDATE moves totp_last_step forward, and only
    one of two concurrent submissions of the same code can."""
    secret = user.totp_secret
    if secret is None:
        return False
    step = matching_step(secret, code, now, user.totp_last_step)
    if step is None:
        return False
    moved = execute_dml(
        update(User)
        .where(User.id == user.id, User.totp_secret == secret,
               User.two_factor_enabled_at.is_not(None),
               User.totp_last_step.is_(None) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if moved == 1:
        set_committed_value(user, "totp_last_step", step)
        return True
    return False


def _use_recovery_code(user: User, code: str, now: datetime) -> int | None:
    """Spend a recovery code (a guarded UPDATE: it works once); how many are left, or None
    when it is not one of the person's unused codes."""
    code_id = db.session.scalar(
        db.select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                         RecoveryCode.code_hash == recovery_code_hash(code),
                                         RecoveryCode.used_at.is_(None)).limit(1)
    )
    if code_id is None:
        return None
    spent = execute_dml(
        update(RecoveryCode)
        .where(RecoveryCode.id == code_id, RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent != 1:
        return None
    left = recovery_codes_left(user)
    audit.record(AuditAction.RECOVERY_CODE_USED, actor=user, target=user, left=left)
    return left


# --- Service: the pending sign-in --------------------------------------------------------


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in whose password was right and whose second factor is awaited."""

    user: User
    remember: bool
    next_url: str
    tries: int


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of a code on the sign-in page."""

    accepted: bool
    message: str = ""
    recovery_left: int | None = None  # after a recovery code: how many remain
    ended: bool = False  # the pending sign-in is over: sign in again
    retry_after: int = 0  # the account's budget of wrong codes is used up (seconds)


def start_challenge(user: User, remember: bool, next_url: str) -> Response | None:
    """After a correct password: when `user` has a second factor, remember the pending sign-in
    in the session and return a redirect to the code page; else None (the caller signs in)."""
    if not user.has_two_factor:
        return None
    session[PENDING_KEY] = {
        "user": user.id,
        "token": session_fingerprint(user.session_token),
        "remember": bool(remember),
        "next": next_url,
        "at": int(utcnow().timestamp()),
        "tries": 0,
    }
    return redirect(url_for("auth.two_factor_sign_in"))


def pending_sign_in(now: datetime | None = None) -> PendingSignIn | None:
    """The session's pending sign-in, if it is still good: not expired, and the person's
    password, sessions and second factor unchanged since the password was given."""
    data = session.get(PENDING_KEY)
    if data is None:
        return None
    now_ts = int((now or utcnow()).timestamp())
    try:
        user_id, token, started = int(data["user"]), str(data["token"]), int(data["at"])
        remember, next_url, tries = bool(data["remember"]), str(data["next"]), int(data["tries"])
    except (KeyError, TypeError, ValueError):
        end_challenge()
        return None
    user = db.session.get(User, user_id)
    fresh = started <= now_ts < started + int(PENDING_LIFETIME.total_seconds())
    if (not fresh or user is None or not user.is_active or not user.has_two_factor
            or not hmac.compare_digest(session_fingerprint(user.session_token), token)
            or tries >= TRIES_PER_SIGN_IN):
        end_challenge()
        return None
    return PendingSignIn(user, remember, next_url, tries)


def end_challenge() -> None:
    session.pop(PENDING_KEY, None)


def _account_limit() -> RateLimitItem:
    return parse(current_app.config.get("LMS_TWO_FACTOR_LIMIT") or DEFAULT_ACCOUNT_LIMIT)


def _count_attempt(user: User) -> int:
    """Charge one code attempt to the account's budget before it is evaluated; 0 when
    allowed, else the seconds until the budget renews."""
    if not limiter.enabled:
        return 0
    return devices.charge(_account_limit(), "two-factor", str(user.id))


def _charge_code(user: User) -> None:
    """Count a code typed by a signed-in person against the account's budget first."""
    if _count_attempt(user):
        raise TwoFactorError(_("Too many wrong codes for this account. Wait a few minutes, "
                               "then try again."))


def _give_back_attempt(user: User) -> None:
    """A right code: its attempt is given back, so only wrong codes use the budget up."""
    if limiter.enabled:
        devices.give_back(_account_limit(), "two-factor", str(user.id))


def complete_sign_in(pending: PendingSignIn, code: str,
                     now: datetime | None = None) -> CodeCheck:
    """Check the code of a pending sign-in and, when right, sign the person in.

    A malformed code is refused before anything is counted; any other code is counted
    first (this sign-in's tries, the account's budget), then evaluated. A wrong code is
    audited; the last allowed one ends the pending sign-in."""
    now = now or utcnow()
    user = pending.user
    kind = code_kind(code)
    if kind is None:
        return CodeCheck(False, _("Enter the 6-digit code from your authenticator app, or one "
                                  "of your recovery codes (like abcd-efgh-jk)."))
    tries = pending.tries + 1
    # The session is a cookie a client can replay with fewer tries: the account's budget in
    # the limiter's storage is what bounds guessing.
    session[PENDING_KEY] = {**session[PENDING_KEY], "tries": tries}
    retry_after = _count_attempt(user)
    if retry_after:
        end_challenge()
        audit.record(AuditAction.SIGN_IN_LOCKED, target=user, reason="second_factor")
        return CodeCheck(False, _("Too many wrong codes for this account. Wait a few minutes, "
                                  "then sign in again."), ended=True, retry_after=retry_after)
    left = None
    if kind == "totp":
        accepted = _use_totp(user, code, now)
    else:
        left = _use_recovery_code(user, code, now)
        accepted = left is not None
    if accepted:
        _give_back_attempt(user)
        sign_in(user, remember=pending.remember)  # a fresh session: the pending one is gone
        return CodeCheck(True, recovery_left=left)
    audit.record(AuditAction.SIGN_IN_FAILED, target=user, reason="second_factor")
    if tries >= TRIES_PER_SIGN_IN:
        end_challenge()
        return CodeCheck(False, _("Too many wrong codes. Sign in again with your password."),
                         ended=True)
    return CodeCheck(False, _("This code is not right, or it was used already. Try the code "
                              "your app shows now."))
