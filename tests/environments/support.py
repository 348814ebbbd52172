"""Builders shared by the demo environment tests: a cast of people around one partner
company, environments brought to each status through the service, reading rows afresh and
raw, and a vendor's provisioning API on loopback that answers what a test tells it to."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, text

from lms.environments import service
from lms.environments.service import DemoEnvError, RequestData
from lms.extensions import db
from lms.models import (
    DemoEnvironment,
    DemoEnvironmentEvent,
    EnvironmentStatus,
    Notification,
    Organization,
    Role,
    Tier,
    User,
)
from tests.factories import make_org, make_user

URL = "https://demo-0142.nimbus-crm.example"
SECRET = "user: demo-admin\npassword: Tr0ub4dor&3-unique"
PURPOSE = "Demo of the sales pipeline for Hokuriku Bank"


@dataclass
class Cast:
    org: Organization
    sales: User  # member of org: requests environments
    colleague: User  # member of org who requested nothing
    admin: User  # partner admin of org
    stranger: User  # partner admin of another company
    manager: User


def make_cast(tier: Tier = Tier.SILVER) -> Cast:
    org = make_org(slug="alpha", name="Alpha Systems K.K.", tier=tier)
    other = make_org(slug="beta", name="Beta Works K.K.", tier=tier)
    return Cast(org=org, sales=make_user(Role.MEMBER, org, name="Sana Sales"),
                colleague=make_user(Role.MEMBER, org, name="Coco Colleague"),
                admin=make_user(Role.PARTNER_ADMIN, org, name="Akira Admin"),
                stranger=make_user(Role.PARTNER_ADMIN, other, name="Sam Stranger"),
                manager=make_user(Role.MANAGER, name="Mina Manager"))


# --- Environments through the service, committed -------------------------------------------


def ask(user: User, days: int = 14, now: datetime | None = None, purpose: str = PURPOSE,
        deal_id: int | None = None) -> DemoEnvironment:
    environment = service.request(user, RequestData(purpose, days, deal_id), now=now)
    db.session.commit()
    return environment


def approved(user: User, manager: User, days: int = 14, now: datetime | None = None
             ) -> DemoEnvironment:
    """Requested by `user` and approved (by `manager` unless the tier approves at once)."""
    environment = ask(user, days, now)
    if environment.status == EnvironmentStatus.REQUESTED:
        service.decide(environment, manager, True, "")
        db.session.commit()
    return environment


def ready(user: User, manager: User, days: int = 14, now: datetime | None = None,
          url: str = URL, credentials: str = SECRET) -> DemoEnvironment:
    """In use: approved, then its details entered by `manager` at `now` (the clock starts)."""
    environment = approved(user, manager, days, now)
    service.enter_details(environment, manager, url, credentials, now=now)
    db.session.commit()
    return fresh(environment)


def fresh(environment: DemoEnvironment) -> DemoEnvironment:
    db.session.expire_all()
    found = db.session.get(DemoEnvironment, environment.id)
    assert found is not None
    return found


def refused(call: Callable[[], object], field: str | None = None) -> DemoEnvError:
    """The refusal `call` raises (its transaction rolled back); with `field`, the form
    field it names."""
    with pytest.raises(DemoEnvError) as caught:
        call()
    db.session.rollback()
    assert caught.value.field == field, str(caught.value)
    return caught.value


def actions(environment: DemoEnvironment) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(DemoEnvironmentEvent.action).where(
            DemoEnvironmentEvent.environment_id == environment.id)
        .order_by(DemoEnvironmentEvent.id)))


def last_event(environment: DemoEnvironment, action: str) -> DemoEnvironmentEvent:
    db.session.expire_all()
    found = db.session.scalars(select(DemoEnvironmentEvent).where(
        DemoEnvironmentEvent.environment_id == environment.id,
        DemoEnvironmentEvent.action == action).order_by(DemoEnvironmentEvent.id.desc())).first()
    assert found is not None, f"no {action} event in {actions(environment)}"
    return found


def environment_count() -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(DemoEnvironment.id)).all())


def notes_to(user: User, kind: str) -> list[dict]:
    """The params of the notifications of `kind` `user` has, oldest first."""
    db.session.expire_all()
    return [n.params for n in db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind).order_by(Notification.id))]


def stored_text(*tables: str) -> str:
    """Every value of every column of every row of `tables`, read with raw SQL, as one text."""
    db.session.commit()
    values = []
    for table in tables or ("demo_environments", "demo_environment_events"):
        for row in db.session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
            values.extend(str(value) for value in row)
    return "\n".join(values)


# --- Pages -----------------------------------------------------------------------------------


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def words(response) -> str:
    """What a reader sees of a page: its text without the tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def field_error(response, field_id: str) -> str | None:
    """The error shown under the form field `field_id` (None: none)."""
    match = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None


def badges(response) -> list[str]:
    """The status pills of a page (environments/_macros.html), in order."""
    return re.findall(r'<span class="status [^"]*">([^<]*)</span>',
                      response.get_data(as_text=True))


def listed_ids(response) -> list[int]:
    """The environments a list page links to, in the order shown."""
    seen: list[int] = []
    for found in re.findall(r'href="/environments/(\d+)"', response.get_data(as_text=True)):
        if int(found) not in seen:
            seen.append(int(found))
    return seen


# --- A provisioning API on loopback ------------------------------------------------------------


@dataclass
class Call:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class ProvisioningApi:
    """What the API received, and how it answers: `answers` (status, body) in turn, then
    `default`; `while_busy` runs (in the server's thread) before it answers, what it raises
    kept in `errors`."""

    answers: list[tuple[int, str]] = field(default_factory=list)
    default: tuple[int, str] = (200, "{}")
    calls: list[Call] = field(default_factory=list)
    while_busy: Callable[[Call], None] | None = None
    errors: list[BaseException] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/provisioning"

    def answer(self) -> tuple[int, str]:
        return self.answers.pop(0) if self.answers else self.default


class _Handler(BaseHTTPRequestHandler):
    api: ProvisioningApi

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        call = Call(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        self.api.calls.append(call)
        if self.api.while_busy is not None:
            try:
                self.api.while_busy(call)
            except BaseException as error:  # handed to the test
                self.api.errors.append(error)
        status, answer = self.api.answer()
        data = answer.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args) -> None:
        pass


@contextmanager
def provisioning_api() -> Iterator[ProvisioningApi]:
    """A provisioning API listening on 127.0.0.1 until the block ends."""
    api = ProvisioningApi()
    handler = type("Handler", (_Handler,), {"api": api})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    api.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
