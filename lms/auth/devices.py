"""Sign-in limits that stop guessing without locking out the owner: OWASP's device cookies.

A browser that signed in to an account successfully holds a signed device cookie naming that
account (by a hash of its email) and a random nonce. A sign-in attempt is counted before the
password is checked, so concurrent guesses cannot slip past the limit:

- from a trusted browser (its cookie names the account tried), against that browser's own
  budget (LMS_LOGIN_LIMIT_DEVICE): nobody else's failures can use it up;
- from any other client, against the budget all unknown clients of the account share
  (LMS_LOGIN_LIMIT_ACCOUNT) and the budget of the client's address (LMS_LOGIN_LIMIT_ADDRESS).

Guessing therefore locks out unknown clients only, and a shared office address does not
stop the people who signed in there before. A successful sign-in gives its attempt back, so
only failures use the budgets up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import Response, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, parse, parse_many
from limits.strategies import FixedWindowRateLimiter

from lms.extensions import limiter
from lms.models import User, normalize_email

COOKIE_NAME = "lms_device"
COOKIE_PATH = "/login"  # sent to the sign-in pages only
COOKIE_LIFETIME = timedelta(days=180)
MAX_ACCOUNTS = 5  # accounts one browser is trusted for (the most recent ones)


def account_hash(email: str) -> str:
    """The account's name in cookies and counters: no email in either, and keyed with the
    SECRET_KEY so a list of candidate emails cannot be matched against it."""
    return hmac.new(current_app.config["SECRET_KEY"].encode("utf-8"),
                    normalize_email(email).encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lms-device-cookie")


def trusted_accounts() -> dict[str, str]:
    """account hash -> nonce of the request's valid device cookie (empty when none)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw or len(raw) > 4000:
        return {}
    try:
        entries = _serializer().loads(raw, max_age=int(COOKIE_LIFETIME.total_seconds()))
    except BadSignature:
        return {}
    if not isinstance(entries, list):
        return {}
    return {entry[0]: entry[1] for entry in entries
            if isinstance(entry, list) and len(entry) == 2
            and all(isinstance(part, str) for part in entry)}


def trust_device(response: Response, user: User) -> Response:
    """After a complete sign-in: this browser is trusted for `user` from now on (a new nonce,
    so a copy of an older cookie no longer shares its budget)."""
    accounts = trusted_accounts()
    key = account_hash(user.email)
    accounts.pop(key, None)
    entries = [[key, secrets.token_urlsafe(16)],
               *([k, v] for k, v in list(accounts.items())[: MAX_ACCOUNTS - 1])]
    response.set_cookie(
        COOKIE_NAME, _serializer().dumps(entries), max_age=int(COOKIE_LIFETIME.total_seconds()),
        path=COOKIE_PATH, secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True, samesite="Lax",
    )
    return response


@dataclass(frozen=True)
class Budget:
    """One counter an attempt is charged to."""

    limit: RateLimitItem
    key: str


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt already counted; `allowed` False means it must not be evaluated."""

    allowed: bool
    trusted: bool
    charged: tuple[Budget, ...]
    retry_after: int = 0


def budgets_for(email: str, address: str | None, nonce: str | None) -> tuple[Budget, ...]:
    """The counters an attempt on `email` is charged to (pure but for the configuration)."""
    config = current_app.config
    if nonce is not None:
        return (Budget(parse(config["LMS_LOGIN_LIMIT_DEVICE"]), f"device:{nonce}"),)
    # Each limit of a list ("5 per 15 minutes; 50 per day") counts on its own.
    return (
        *(Budget(limit, f"account:{account_hash(email)}")
          for limit in parse_many(config["LMS_LOGIN_LIMIT_ACCOUNT"])),
        *(Budget(limit, f"address:{address or 'unknown'}")
          for limit in parse_many(config["LMS_LOGIN_LIMIT_ADDRESS"])),
    )


def charge(limit: RateLimitItem, *keys: str) -> int:
    """Count one attempt against `limit` before it is evaluated: 0 when allowed, else the
    seconds until the budget renews (a refused attempt costs nothing more)."""
    strategy = limiter.limiter
    if strategy.hit(limit, *keys):
        return 0
    give_back(limit, *keys)
    reset = strategy.get_window_stats(limit, *keys).reset_time
    return max(1, int(reset - time.time()) + 1)


def give_back(limit: RateLimitItem, *keys: str) -> None:
    """Return one counted attempt (fixed windows; other strategies keep it)."""
    strategy = limiter.limiter
    if isinstance(strategy, FixedWindowRateLimiter):
        strategy.hit(limit, *keys, cost=-1)


# Guesses of a signed-in person's own password (changing it, turning two factors off), per
# account: a stolen session cannot test passwords faster than this.
CURRENT_PASSWORD = parse("10 per hour")


def charge_current_password(user_id: int) -> int:
    """Count one check of a signed-in person's password before it is made (charge())."""
    return charge(CURRENT_PASSWORD, "current-password", str(user_id)) if limiter.enabled else 0


def give_back_current_password(user_id: int) -> None:
    """The password was right: only wrong ones use the budget up."""
    if limiter.enabled:
        give_back(CURRENT_PASSWORD, "current-password", str(user_id))


def count_attempt(email: str) -> Attempt:
    """Charge one sign-in attempt on `email` before its password is checked."""
    nonce = trusted_accounts().get(account_hash(email))
    if not limiter.enabled:
        return Attempt(True, nonce is not None, ())
    charged: list[Budget] = []
    retry_after = 0
    for budget in budgets_for(email, request.remote_addr, nonce):
        wait = charge(budget.limit, "login", budget.key)
        if wait:
            retry_after = max(retry_after, wait)
        else:
            charged.append(budget)
    if retry_after:
        for budget in charged:
            give_back(budget.limit, "login", budget.key)
        return Attempt(False, nonce is not None, (), retry_after)
    return Attempt(True, nonce is not None, tuple(charged))


def succeeded(attempt: Attempt) -> None:
    """The password was right: the attempt is given back (only failures use budgets up)."""
    for budget in attempt.charged:
        give_back(budget.limit, "login", budget.key)


def exhausted(attempt: Attempt) -> bool:
    """After a failure: whether it used up the shared budget of unknown clients (audited)."""
    if not attempt.charged or attempt.trusted:
        return False
    budget = attempt.charged[0]
    return limiter.limiter.get_window_stats(budget.limit, "login", budget.key).remaining == 0
