"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, and reading back a
person's notifications."""

from __future__ import annotations

import email
import socket
from email.policy import default as email_policy

from aiosmtpd.controller import Controller
from sqlalchemy import select

from lms.extensions import db
from lms.models import Notification, utcnow

NOW = utcnow()  # the moment the certification fixture's dates are counted from


class Inbox:
    """An SMTP server's handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def notifications_of(user) -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))
