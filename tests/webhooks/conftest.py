"""Webhook test set-up: a real HTTP receiver on loopback that checks every request's
signature twice (with lms.webhooks.rules.verify, and with an independent computation), and
a DNS of our own for host names (the sandbox has none; tests say what a name resolves to)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lms.extensions import db
from lms.models import Role, WebhookEndpoint, utcnow
from lms.webhooks import rules, service, transport
from tests.factories import make_user


def independent_signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check written from the specification alone, not with our code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    return any(part == f"v1,{expected}" for part in headers["webhook-signature"].split())


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    verified_id: str | None  # rules.verify's answer (None: refused)
    independently_verified: bool


@dataclass
class Receiver:
    """What the receiver got, and how it answers: `statuses` in turn, then `default`."""

    secret: str = ""
    now: datetime | None = None  # the receiver's clock for the timestamp check (None: real)
    statuses: list[int] = field(default_factory=list)
    default: int = 200
    requests: list[Received] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/academy"

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else self.default


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        receiver = self.receiver
        try:
            verified: str | None = rules.verify(receiver.secret, headers, body,
                                                receiver.now or utcnow())
        except rules.SignatureError:
            verified = None
        independent = independent_signature_ok(receiver.secret, headers, body)
        receiver.requests.append(Received(self.path, headers, body, verified, independent))
        status = receiver.answer() if verified else 400
        answer = b'{"ok": true}' if status < 300 else b"receiver says no"
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_args) -> None:
        pass


@contextmanager
def serving(context: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (over TLS with `context`) until the block ends."""
    got = Receiver()
    handler = type("Handler", (_Handler,), {"receiver": got})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    got.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver():
    with serving() as got:
        yield got


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """Host name -> the addresses it resolves to, for lms.webhooks.transport; other names do
    not resolve."""
    names: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM,
                 6, "", (address, port, 0, 0) if ":" in address else (address, port))
                for address in names[host]]

    monkeypatch.setattr(transport, "getaddrinfo", getaddrinfo)
    return names


@pytest.fixture
def hook_app(make_app):
    """The app with a receiver on loopback allowed (LMS_WEBHOOK_ALLOW_PRIVATE)."""
    app = make_app(LMS_WEBHOOK_ALLOW_PRIVATE=True)
    with app.app_context():
        yield app


@pytest.fixture
def admin(hook_app):
    return make_user(Role.ADMIN, name="Ada Admin")


def endpoint_for(receiver: Receiver, admin, event_types: list[str] | None = None,
                 url: str | None = None) -> WebhookEndpoint:
    """A committed endpoint pointing at `receiver`, which learns its secret."""
    endpoint, secret = service.create_endpoint(admin, service.EndpointData(
        url or receiver.url, "CRM", event_types))
    db.session.commit()
    receiver.secret = secret
    return endpoint
