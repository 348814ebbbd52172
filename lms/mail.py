"""Outgoing mail over SMTP, when LMS_SMTP_HOST is configured.

Notifications (lms.notifications) also go to LMS_MAIL_DIR when there is no SMTP server: each
message is written there as an .eml file, so the demo's mail can be read without one.
Invitations and password resets never do: without SMTP their links are shown or logged."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

from flask import current_app


class MailError(Exception):
    """The mail server refused the message or could not be reached: try again later."""


def mail_configured() -> bool:
    return bool(current_app.config.get("LMS_SMTP_HOST"))


def _message(to: str, subject: str, body: str, headers: dict[str, str] | None) -> EmailMessage:
    cfg = current_app.config
    # Lines up to SMTP's limit: the default 78 folds a long subject before its first word,
    # which readers then show with a leading space.
    message = EmailMessage(policy=SMTP.clone(max_line_length=998))
    message["From"] = cfg["LMS_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="partner-academy")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def deliver(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> bool:
    """Send a plain-text message (to LMS_MAIL_DIR without SMTP). False when neither is
    configured; MailError when it could not be sent now (the caller retries)."""
    cfg = current_app.config
    if not mail_configured() and not cfg.get("LMS_MAIL_DIR"):
        return False
    message = _message(to, subject, body, headers)
    if not cfg.get("LMS_SMTP_HOST"):
        folder = Path(cfg["LMS_MAIL_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{message['Message-ID'].strip('<>')}.eml"
        (folder / name.replace("/", "_")).write_bytes(bytes(message))
        return True
    try:
        with smtplib.SMTP(cfg["LMS_SMTP_HOST"], cfg["LMS_SMTP_PORT"], timeout=10) as smtp:
            if cfg["LMS_SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["LMS_SMTP_USER"]:
                smtp.login(cfg["LMS_SMTP_USER"], cfg["LMS_SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"{error.__class__.__name__}: {error}") from error
    return True


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send now, over SMTP, mail a person is waiting for (an invitation, a password reset);
    False (and a log line) when it could not be sent."""
    if not mail_configured():
        return False
    try:
        return deliver(to, subject, body)
    except MailError:
        current_app.logger.exception("Could not send mail to %s", to)
        return False
