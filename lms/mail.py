"""Outgoing mail over SMTP, used only when LMS_SMTP_HOST is configured."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


def mail_configured() -> bool:
    return bool(current_app.config.get("LMS_SMTP_HOST"))


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text message; False (and a log line) when it could not be sent."""
    cfg = current_app.config
    if not mail_configured():
        return False
    message = EmailMessage()
    message["From"] = cfg["LMS_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        with smtplib.SMTP(cfg["LMS_SMTP_HOST"], cfg["LMS_SMTP_PORT"], timeout=10) as smtp:
            if cfg["LMS_SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["LMS_SMTP_USER"]:
                smtp.login(cfg["LMS_SMTP_USER"], cfg["LMS_SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("Could not send mail to %s", to)
        return False
    return True
