"""Fixtures of the notification tests: an app that mails through a loopback SMTP port, and a
company whose certification expires in 21 days."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.extensions import db
from lms.models import Role
from tests.factories import make_org, make_user
from tests.factories.learning import award, credential
from tests.notifications.mailbox import NOW, free_port


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mail_app(make_app, smtp_port):
    app = make_app(LMS_SMTP_HOST="127.0.0.1", LMS_SMTP_PORT=smtp_port, LMS_SMTP_STARTTLS=False,
                   LMS_BASE_URL="https://academy.example.test")
    with app.app_context():
        yield app


@pytest.fixture
def company():
    """A holder whose certification expires in 21 days, their partner admin (reading
    Japanese), and another company's admin."""
    org = make_org(slug="sakura")
    holder = make_user(Role.MEMBER, org, name="Haruto Sato", email="haruto@sakura.test")
    admin = make_user(Role.PARTNER_ADMIN, org, name="Yuki Tanaka", email="yuki@sakura.test",
                      locale="ja")
    outsider = make_user(Role.PARTNER_ADMIN, make_org(slug="other"), email="x@other.test")
    cert = credential()
    cert.translations = {"ja": {"name": "認定資格"}}
    held = award(holder, cert, issued_at=NOW - timedelta(days=700),
                 expires_at=NOW + timedelta(days=21))
    db.session.commit()
    return {"holder": holder, "admin": admin, "outsider": outsider, "award": held,
            "credential": cert}
