"""Password reset by email: a single-use link that works for one hour.

Only the SHA-256 of a link's token is stored, so a database leak leaks no usable link. A new
link makes the person's earlier unused ones unusable. A link is claimed by a guarded UPDATE,
so two concurrent submissions cannot both set a password. Setting one ends every session of
the person (remember-me cookies too) and signs nobody in: the sign-in that follows asks for
the second factor where one is needed. Services flush; views commit.
"""

from __future__ import annotations

import logging
import secrets
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import update
from werkzeug.security import generate_password_hash

from lms import audit
from lms.auth.service import AccountError, end_all_sessions, password_problem, token_hash
from lms.database import end_read_transaction, execute_dml, start_write_transaction
from lms.extensions import db
from lms.i18n import gettext as _
from lms.mail import mail_configured, send_mail
from lms.models import AuditAction, PasswordReset, Role, User, normalize_email, utcnow
from lms.models.users import PASSWORD_METHOD
from lms.policy import can_manage_person

log = logging.getLogger(__name__)

RESET_LIFETIME = timedelta(hours=1)
MAX_TOKEN_LENGTH = 100  # token_urlsafe(32) is 43 characters; anything longer is not ours


@dataclass(frozen=True)
class IssuedReset:
    """A new reset and its plain token, which exists only here and in the link."""

    reset: PasswordReset
    token: str


def invalid_link_message() -> str:
    return _("This password reset link is invalid, expired or already used.")


def _retire_unused(user_id: int, now: datetime) -> None:
    """Make the person's unused links unusable (they expire now)."""
    execute_dml(
        update(PasswordReset)
        .where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None),
               PasswordReset.expires_at > now)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


def issue_reset(user: User, requested_by: User | None = None,
                now: datetime | None = None) -> IssuedReset:
    """A new link for `user`; earlier unused links of theirs stop working."""
    now = now or utcnow()
    _retire_unused(user.id, now)
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=user.id,
        token_hash=token_hash(token),
        requested_by_id=requested_by.id if requested_by else None,
        created_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    db.session.add(reset)
    db.session.flush()
    return IssuedReset(reset, token)


def request_reset(email: str, now: datetime | None = None) -> IssuedReset | None:
    """Someone asked for a link for `email`: a new one for an active person, else None.

    The caller answers the same either way, so the answer does not tell who has an account.
    """
    user = db.session.scalar(db.select(User).where(User.email == normalize_email(email)[:254]))
    if user is None or not user.is_active:
        return None
    issued = issue_reset(user, now=now)
    audit.record(AuditAction.PASSWORD_RESET_SENT, target=user, requested_by="self")
    return issued


def send_reset_by_admin(actor: User, person: User, now: datetime | None = None) -> IssuedReset:
    """An administrator sends `person` a link; only people `actor` manages can get one."""
    if not can_manage_person(actor, person):
        raise AccountError(_("You may not change this person."))
    if person.id == actor.id:
        raise AccountError(_("Change your own password on your account page."))
    if not person.is_active:
        raise AccountError(_("This person is deactivated: reactivate them first."))
    if actor.role != Role.ADMIN and not mail_configured():
        # A partner admin never sees a link: with it they could sign in as their colleague.
        raise AccountError(_("No mail server is configured, so no reset can be sent. "
                             "Ask your channel manager."))
    issued = issue_reset(person, requested_by=actor, now=now)
    audit.record(AuditAction.PASSWORD_RESET_SENT, actor=actor, target=person,
                 requested_by="admin")
    return issued


def find_usable_reset(token: str, now: datetime | None = None) -> PasswordReset | None:
    """The unused, unexpired reset of this token whose person may still sign in, or None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    reset = db.session.scalar(
        db.select(PasswordReset).where(PasswordReset.token_hash == token_hash(token))
    )
    if reset is None or not reset.is_usable(now or utcnow()) or not reset.user.is_active:
        return None
    return reset


def reset_password(token: str, password: str, now: datetime | None = None) -> User:
    """Set the new password of the link's person, once; every session of theirs ends."""
    now = now or utcnow()
    reset = find_usable_reset(token, now)
    if reset is None:
        raise AccountError(invalid_link_message())
    reset_id, user_id = reset.id, reset.user_id
    problem = password_problem(password, reset.user.email)
    if problem:
        raise AccountError(problem)
    # The hash takes a good fraction of a second: not while holding the write lock
    # (lms.database). The guarded UPDATE below decides, whatever happened meanwhile.
    end_read_transaction()
    password_hash = generate_password_hash(password, method=PASSWORD_METHOD)
    start_write_transaction()
    claimed = execute_dml(
        update(PasswordReset)
        .where(PasswordReset.id == reset_id, PasswordReset.used_at.is_(None),
               PasswordReset.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user = db.session.get(User, user_id)
    if claimed != 1 or user is None or not user.is_active:
        raise AccountError(invalid_link_message())
    user.password_hash = password_hash
    end_all_sessions(user)
    _retire_unused(user.id, now)
    audit.record(AuditAction.PASSWORD_RESET, actor=user, target=user, reset_id=reset_id)
    db.session.flush()
    return user


# --- Delivery -------------------------------------------------------------------------------


def reset_link(issued: IssuedReset) -> str:
    """The absolute link: from the configured address, never from the request's Host header."""
    return current_app.config["LMS_BASE_URL"] + url_for("auth.password_reset",
                                                        token=issued.token)


def mail_reset(issued: IssuedReset, sent_by: User | None = None) -> bool:
    """Mail the link to its person (in their language); False when it was not sent.

    Without a mail server the link is logged in development, so local use works; in
    production only a warning is logged, never the link.
    """
    user = issued.reset.user
    link = reset_link(issued)
    if not mail_configured():
        if current_app.config["LMS_ENV"] in {"development", "test"}:
            log.info("No mail server is configured; the password reset link of %s: %s",
                     user.email, link)
        else:
            log.warning("No mail server is configured: the password reset link of user %s "
                        "could not be sent (set LMS_SMTP_HOST)", user.id)
        return False
    with force_locale(user.locale) if user.locale else nullcontext():
        if sent_by is not None:
            intro = _("%(name)s sent you a link to set a new password for Partner Academy.",
                      name=sent_by.name)
        else:
            intro = _("Someone, probably you, asked to set a new password for your Partner "
                      "Academy account.")
        body = _("%(intro)s\n\nSet it here (the link works once, for one hour):\n\n%(link)s\n\n"
                 "Every device signed in to your account is signed out when you set it. If "
                 "you did not ask for this, ignore this mail: your password stays as it is.\n",
                 intro=intro, link=link)
        subject = _("Set a new password for Partner Academy")
    return send_mail(user.email, subject, body)
