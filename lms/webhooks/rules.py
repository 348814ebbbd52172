"""Pure rules of webhooks: signing as Standard Webhooks describes, when a failed delivery is
retried or given up, when an endpoint is disabled, and which addresses may receive.

Signing (https://www.standardwebhooks.com): the secret is "whsec_" + base64 of random bytes,
the key is those bytes; the signed content is "{webhook-id}.{webhook-timestamp}.{body}";
`webhook-signature` is "v1," + base64(HMAC-SHA256(key, content)), several separated by a
space while a rotated secret is still honoured.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

SECRET_PREFIX = "whsec_"  # noqa: S105 - marks the format, not a secret
SECRET_BYTES = 32  # the specification asks for 24 to 64
MESSAGE_PREFIX = "msg_"
SIGNATURE_VERSION = "v1"
# A receiver refuses a timestamp further than this from its clock (replays, stale retries).
TOLERANCE = timedelta(minutes=5)

# A failed delivery is retried after 1, 2, 4, ... minutes, at most 2 hours apart, for a day
# from its first attempt; the last retry falls on that day's end.
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)
GIVE_UP_AFTER = timedelta(days=1)
# A delivery claims its row for this long: another worker leaves it alone meanwhile. Longer
# than a request takes (LMS_WEBHOOK_TIMEOUT, at most a minute, per connect and per read); a
# receiver slower still may get the message twice, with the same webhook-id.
CLAIM = timedelta(minutes=5)
# An endpoint is disabled when this many deliveries in a row were given up (each after a day
# of failed attempts), or at once when it answers 410 Gone (the specification's signal).
DISABLE_AFTER_FAILED_DELIVERIES = 5
GONE = 410

# Reading the receiver's answer: enough to show an error message, never a whole download.
MAX_RESPONSE_BYTES = 4096
MAX_URL_LENGTH = 2000


# --- Signing -------------------------------------------------------------------------------


class SignatureError(ValueError):
    """A request that does not carry a valid signature (what a receiver refuses)."""


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_message_id() -> str:
    return MESSAGE_PREFIX + secrets.token_urlsafe(18)


def masked(secret: str) -> str:
    """What a page shows of a secret after it was shown once: its first characters."""
    return secret[:len(SECRET_PREFIX) + 4] + "…"


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret: the bytes its base64 (after the optional whsec_) encodes."""
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("a webhook secret is whsec_ followed by base64") from error


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The signature of one message: "v1," + base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signature_header(secrets_: Iterable[str], message_id: str, timestamp: int,
                     body: bytes) -> str:
    """`webhook-signature`: one signature per secret (the current one, then a rotated one
    still honoured), separated by a space."""
    return " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_)


def headers(secrets_: Iterable[str], message_id: str, timestamp: int,
            body: bytes) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(secrets_, message_id, timestamp, body)}


def verify(secret: str, request_headers: Mapping[str, str], body: bytes, now: datetime) -> str:
    """Check a request as a receiver does; its message id, or SignatureError saying why not.
    Header names are matched without regard to case."""
    found = {name.lower(): value for name, value in request_headers.items()}
    message_id = found.get("webhook-id")
    timestamp = found.get("webhook-timestamp")
    signatures = found.get("webhook-signature")
    if not message_id or not timestamp or not signatures:
        raise SignatureError("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise SignatureError("webhook-timestamp is not a number of seconds") from None
    if abs(now.timestamp() - sent_at) > TOLERANCE.total_seconds():
        raise SignatureError("webhook-timestamp is too far from now")
    expected = sign(secret, message_id, sent_at, body)
    if not any(hmac.compare_digest(expected, candidate)
               for candidate in signatures.split(" ") if candidate.startswith("v1,")):
        raise SignatureError("no signature matches")
    return message_id


# --- Retries and disabling -----------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1-based): doubling, capped."""
    if attempts < 1:
        raise ValueError("attempts counts failures, from 1")
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LONGEST_RETRY)


def next_attempt(first_tried: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts; None once a day has passed since
    the first one (the delivery is then given up)."""
    give_up_at = first_tried + GIVE_UP_AFTER
    if now >= give_up_at:
        return None
    return min(now + retry_delay(attempts), give_up_at)


def should_disable(consecutive_failures: int, status_code: int | None) -> bool:
    """Whether an endpoint is disabled after a delivery to it was given up (or answered
    410 Gone)."""
    return status_code == GONE or consecutive_failures >= DISABLE_AFTER_FAILED_DELIVERIES


# --- Which addresses may receive -----------------------------------------------------------


class UrlProblem(enum.StrEnum):
    """Why an endpoint's address is refused (the service says it in the reader's words)."""

    MALFORMED = "malformed"
    TOO_LONG = "too_long"
    SCHEME = "scheme"  # not http or https
    HTTPS_REQUIRED = "https_required"
    CREDENTIALS = "credentials"  # user:password@ in the address
    FRAGMENT = "fragment"
    UNRESOLVED = "unresolved"  # the host name has no address
    FORBIDDEN_ADDRESS = "forbidden_address"  # loopback, private, link-local, ...


class UrlRefused(ValueError):
    def __init__(self, problem: UrlProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class Target:
    """Where a delivery goes: the parts of its URL an HTTP request needs."""

    scheme: str
    host: str  # a name or an IP address, without brackets
    port: int
    path: str  # with the query

    @property
    def is_ip_literal(self) -> bool:
        return address_of(self.host) is not None


def parse_url(url: str, allow_http: bool) -> Target:
    """The target of an endpoint's URL, or UrlRefused (nothing resolved here)."""
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(UrlProblem.TOO_LONG)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused(UrlProblem.MALFORMED) from None
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(UrlProblem.SCHEME if parts.scheme else UrlProblem.MALFORMED)
    if not parts.hostname or any(c.isspace() for c in url):
        raise UrlRefused(UrlProblem.MALFORMED)
    if parts.scheme == "http" and not allow_http:
        raise UrlRefused(UrlProblem.HTTPS_REQUIRED)
    if parts.username is not None or parts.password is not None:
        raise UrlRefused(UrlProblem.CREDENTIALS)
    if parts.fragment:
        raise UrlRefused(UrlProblem.FRAGMENT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https"
                                                         else 80), path)


def address_of(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `text` spells (an IPv6 zone "%eth0" ignored), None for a host name."""
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to: mapped (::ffff:a.b.c.d), 6to4 (2002::/16),
    NAT64 (64:ff9b::/96). The deprecated IPv4-compatible ::a.b.c.d is reserved: refused."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def forbidden_kind(text: str) -> str | None:
    """Why deliveries may not go to this IP address ("loopback", "private", ...), None when
    it is a public unicast address."""
    address = address_of(text)
    if address is None:
        return "not an IP address"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return forbidden_kind(str(embedded))
    for kind, flag in (("unspecified", address.is_unspecified),
                       ("loopback", address.is_loopback),
                       ("link-local", address.is_link_local),
                       ("multicast", address.is_multicast),
                       ("private", address.is_private),
                       ("site-local", getattr(address, "is_site_local", False)),
                       ("reserved", address.is_reserved),
                       ("not globally reachable", not address.is_global)):
        if flag:
            return kind
    return None


def check_addresses(addresses: Iterable[str], allow_private: bool) -> list[str]:
    """The addresses to connect to, or UrlRefused when there are none or ANY is forbidden
    (a name resolving to a public and a private address is refused, not half-trusted)."""
    found = list(dict.fromkeys(addresses))
    if not found:
        raise UrlRefused(UrlProblem.UNRESOLVED)
    if not allow_private:
        for address in found:
            kind = forbidden_kind(address)
            if kind is not None:
                raise UrlRefused(UrlProblem.FORBIDDEN_ADDRESS, f"{address} is {kind}")
    return found
