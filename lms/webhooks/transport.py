"""The network side of webhooks: resolving an endpoint's host and sending one request.

The host is resolved once, every address checked (lms.webhooks.rules.check_addresses), and
the request connects to a checked address itself, while the Host header and TLS (SNI and the
certificate check) use the name: a DNS answer that changes between the check and the request
(DNS rebinding) cannot send it to an address that was not checked. No proxy from the
environment is used, no redirect is followed, each connect and read is bounded by the
timeout, and only the first MAX_RESPONSE_BYTES of the answer are read.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from socket import getaddrinfo

from lms.webhooks import rules

USER_AGENT = "PartnerAcademy-Webhooks/1"


@dataclass(frozen=True)
class Resolved:
    target: rules.Target
    addresses: list[str]  # checked, in the resolver's order


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes  # at most rules.MAX_RESPONSE_BYTES
    duration_ms: int


class TransportError(OSError):
    """No answer: refused address, DNS failure, connection, TLS or timeout error."""

    def __init__(self, message: str, duration_ms: int = 0) -> None:
        super().__init__(message)
        self.duration_ms = duration_ms


def resolve(url: str, *, allow_http: bool, allow_private: bool) -> Resolved:
    """Parse, resolve and check an endpoint's URL; rules.UrlRefused when it may not receive."""
    target = rules.parse_url(url, allow_http)
    if target.is_ip_literal:
        addresses = [target.host]
    else:
        try:
            found = getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise rules.UrlRefused(rules.UrlProblem.UNRESOLVED, target.host) from None
        addresses = [str(sockaddr[0]) for _family, _type, _proto, _name, sockaddr in found]
    return Resolved(target, rules.check_addresses(addresses, allow_private))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address, with the URL's host name in the Host header."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; TLS verifies the certificate against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _connection(resolved: Resolved, address: str, timeout: float,
                context: ssl.SSLContext | None) -> http.client.HTTPConnection:
    target = resolved.target
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target.host, target.port, address, timeout,
                                      context or ssl.create_default_context())
    return _PinnedHTTPConnection(target.host, target.port, address, timeout)


def post(resolved: Resolved, headers: dict[str, str], body: bytes, timeout: float,
         context: ssl.SSLContext | None = None) -> Answer:
    """POST `body` to the first checked address that accepts a connection; the answer, or
    TransportError when there is none."""
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    sent = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers}
    error: Exception | None = None
    for address in resolved.addresses:
        connection = _connection(resolved, address, timeout, context)
        try:
            connection.connect()
        except OSError as failure:  # this address does not answer: the next one may
            connection.close()
            error = failure
            continue
        try:
            connection.request("POST", resolved.target.path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read(rules.MAX_RESPONSE_BYTES)
            return Answer(response.status, data, elapsed())
        except (OSError, http.client.HTTPException) as failure:
            raise TransportError(_describe(failure), elapsed()) from failure
        finally:
            connection.close()
    raise TransportError(_describe(error), elapsed())


def _describe(error: BaseException | None) -> str:
    if error is None:
        return "no address to connect to"
    text = str(error) or error.__class__.__name__
    return f"{error.__class__.__name__}: {text}" if text != error.__class__.__name__ else text
