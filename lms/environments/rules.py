"""Pure rules of demo environments: how long one lives, when it may be extended, when its
requester is reminded, and what an answer of the vendor's provisioning API must hold."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

MAX_DAYS = 30  # one request, and one extension
MAX_TOTAL_DAYS = 90  # from ready to expiry, extensions included
REMIND_BEFORE = timedelta(days=3)
# A provisioning call claims its environment for this long (more than LMS_WEBHOOK_TIMEOUT,
# at most a minute per connect and per read, may take): no second call meanwhile.
PROVISION_CLAIM = timedelta(minutes=5)
# The job calls the provisioning API again for this long after its first failed call; then
# the channel team is told once to set the environment up by hand (a system that keeps
# failing is not asked every 15 minutes forever).
PROVISION_RETRIES = timedelta(days=1)
MAX_URL = 2000
MAX_CREDENTIALS = 2000
MAX_EXTERNAL_ID = 200


@dataclass(frozen=True)
class Quota:
    limit: int  # at once; 0: the tier gives none
    holding: int  # requested, being set up or in use
    auto_approve: bool

    @property
    def left(self) -> int:
        return max(self.limit - self.holding, 0)


def retries_provisioning(first_failed_at: datetime | None, now: datetime) -> bool:
    """Whether the job still calls the provisioning API for an environment whose first call
    failed at `first_failed_at` (None: no call has failed yet, so yes)."""
    return first_failed_at is None or now - first_failed_at <= PROVISION_RETRIES


def expiry(ready_at: datetime, days: int) -> datetime:
    return ready_at + timedelta(days=days)


def extension_fits(ready_at: datetime, expires_at: datetime, days: int) -> bool:
    """Whether `days` more keep the environment within MAX_TOTAL_DAYS of its start."""
    return 1 <= days <= MAX_DAYS and \
        expires_at + timedelta(days=days) - ready_at <= timedelta(days=MAX_TOTAL_DAYS)


def most_extension_days(ready_at: datetime, expires_at: datetime) -> int:
    left = timedelta(days=MAX_TOTAL_DAYS) - (expires_at - ready_at)
    return max(0, min(MAX_DAYS, left.days))


def reminder_due(expires_at: datetime, now: datetime) -> bool:
    return now < expires_at <= now + REMIND_BEFORE


def is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= MAX_URL \
        and not any(ch.isspace() for ch in url)


class AnswerError(ValueError):
    """An answer of the provisioning API that does not say where the environment is."""


@dataclass(frozen=True)
class Provisioned:
    url: str
    credentials: str
    external_id: str | None


def parse_answer(body: str | None) -> Provisioned:
    """The provisioning API's answer: a JSON object with `url` (http or https), the sign-in
    details as `credentials` (a text) or `username` and `password`, and optionally its `id`
    of the environment."""
    try:
        data = json.loads(body or "")
    except ValueError:
        raise AnswerError("the answer is not JSON") from None
    if not isinstance(data, dict):
        raise AnswerError("the answer is not a JSON object")
    url = data.get("url")
    if not isinstance(url, str) or not is_web_address(url):
        raise AnswerError("the answer has no url (http or https)")
    credentials = data.get("credentials")
    if credentials is None and isinstance(data.get("username"), str) \
            and isinstance(data.get("password"), str):
        credentials = f"user: {data['username']}\npassword: {data['password']}"
    if not isinstance(credentials, str) or not credentials.strip() \
            or len(credentials) > MAX_CREDENTIALS:
        raise AnswerError("the answer has no credentials (or username and password)")
    external = data.get("id")
    if isinstance(external, bool) or not isinstance(external, str | int | type(None)):
        raise AnswerError("the answer's id is neither a text nor a number")
    external_id = None if external is None else str(external)[:MAX_EXTERNAL_ID]
    return Provisioned(url, credentials.strip(), external_id)
