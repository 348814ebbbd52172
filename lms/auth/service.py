"""Accounts: signing in and out, sessions, invitations. Services flush; views commit."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, g, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import Select, bindparam, func, select, update
from werkzeug.security import check_password_hash

from lms import activity, audit
from lms.database import (
    end_read_transaction,
    execute_dml,
    start_write_transaction,
    write_best_effort,
)
from lms.extensions import db
from lms.models import (
    AuditAction,
    Invitation,
    JobFunction,
    Notification,
    Organization,
    Role,
    User,
    normalize_email,
    utcnow,
)
from lms.models.users import DUMMY_PASSWORD_HASH, new_session_token

MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the person."""


@cache
def _session_user_statement() -> Select:
    """The person of a session with the header's count of unread notifications, in one query;
    built once (building it cost a third of what running it does, on every page)."""
    unread = (select(func.count(Notification.id))
              .where(Notification.user_id == User.id, Notification.read_at.is_(None))
              .correlate(User).scalar_subquery())
    return select(User, unread).where(User.id == bindparam("user_id"))


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session token, so rotated tokens sign out."""
    ident, _, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    row = db.session.execute(_session_user_statement(), {"user_id": int(ident)}).first()
    if row is None or not secrets.compare_digest(row[0].session_token, token):
        return None
    g.unread_notifications = row[1]
    return row[0]


def authenticate(email: str, password: str) -> User | None:
    """The active person with this email and password, else None (same work either way)."""
    user = db.session.scalar(db.select(User).where(User.email == normalize_email(email)))
    stored_hash, active = ((user.password_hash, user.is_active) if user is not None
                           else (DUMMY_PASSWORD_HASH, False))
    # The hash takes a good fraction of a second: end the read first, so a POST's write lock
    # (lms.database) is not held while it runs; then take it again, since either outcome is
    # recorded (signed in, or a failed attempt).
    end_read_transaction()
    matches = check_password_hash(stored_hash, password)
    start_write_transaction()
    return user if user is not None and matches and active else None


def sign_in(user: User, remember: bool = False) -> None:
    """Start a fresh session for `user` (nothing of the anonymous session is carried over)."""
    start_write_transaction()  # records the sign-in, also after the caller has committed
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)
    user.last_seen_at = utcnow()
    audit.record(AuditAction.SIGN_IN, actor=user, target=user)


def record_failed_sign_in(email: str, locked: bool = False) -> None:
    """Audit a failed sign-in; `locked`: it used up the budget of unknown clients, who are
    refused until the window ends (the owner's trusted browsers are not)."""
    user = db.session.scalar(db.select(User).where(User.email == normalize_email(email)))
    audit.record(
        AuditAction.SIGN_IN_FAILED,
        target=user,
        email=normalize_email(email)[:254],
        reason="inactive" if user is not None and not user.is_active else "credentials",
    )
    if locked:
        audit.record(AuditAction.SIGN_IN_LOCKED, target=user, email=normalize_email(email)[:254])


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember-me cookie of `user`."""
    user.session_token = new_session_token()


def sign_out(user: User) -> None:
    end_all_sessions(user)
    audit.record(AuditAction.SIGN_OUT, actor=user, target=user)
    logout_user()
    session.clear()


def touch_last_seen(user: User, resolution: timedelta) -> None:
    """Record activity at most once per `resolution`, so pages do not write on every hit;
    best-effort: a busy database skips it rather than fail the page."""
    now = utcnow()
    if user.last_seen_at is not None and now - user.last_seen_at < resolution \
            and activity.month_of(user.last_seen_at) == activity.month_of(now):
        return  # (the first request of a month is always written: the company's month)
    write_best_effort(*activity.seen(user, now, db.session.get_bind().dialect.name))


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not acceptable, or None."""
    from lms.i18n import gettext as _

    if len(password) < MIN_PASSWORD_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
    if len(password) > 200:
        return _("Use at most 200 characters.")
    if email and password.strip().lower() == normalize_email(email):
        return _("The password must not be your email address.")
    return None


# --- Invitations -------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str


def token_hash(token: str) -> str:
    """What is stored of a token handed out in a link: its SHA-256 (invitations, resets)."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_link(token: str) -> str:
    """The link an invitation is accepted at: from the configured address, never from the
    request's Host header."""
    return current_app.config["LMS_BASE_URL"] + url_for("auth.accept_invitation", token=token)


def create_invitation(
    inviter: User,
    email: str,
    role: Role,
    job_function: JobFunction | None,
    organization: Organization | None,
    valid_days: int,
    *,
    approving_application: bool = False,
) -> IssuedInvitation:
    """Invite a person; the plain token exists only in the returned value and the link.

    `approving_application`: the channel team approved a company's application, and its
    applicant becomes the new company's partner admin (managers invite nobody otherwise)."""
    from lms.i18n import gettext as _
    from lms.policy import invitable_roles

    email = normalize_email(email)
    as_vendor = inviter.role == Role.ADMIN or (approving_application and inviter.is_vendor)
    allowed = ((Role.PARTNER_ADMIN,) if approving_application and inviter.is_vendor
               else invitable_roles(inviter))
    if role not in allowed:
        raise AccountError(_("You may not invite people with this role."))
    if inviter.role == Role.PARTNER_ADMIN:
        organization = inviter.organization
    if role.is_partner and organization is None:
        raise AccountError(_("People of a partner company need their company."))
    if not role.is_partner:
        organization, job_function = None, None
    if organization is not None and not organization.active:
        raise AccountError(_("This company is deactivated."))
    if role.is_partner and job_function is None:
        # It decides the person's onboarding path and which certifications count for them.
        raise AccountError(_("Choose sales or technical: it decides the onboarding path and "
                             "the certifications offered."))
    now = utcnow()
    pending = Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), \
        Invitation.expires_at > now
    taken = db.session.scalar(db.select(User.id).where(User.email == email)) is not None
    # Another company's (or the vendor's) pending invitation is not the inviter's to replace.
    foreign = db.session.scalar(
        db.select(Invitation.id).where(Invitation.email == email, *pending)
        .where(Invitation.organization_id.is_(None)
               | (Invitation.organization_id != inviter.organization_id))
    ) is not None and not as_vendor
    if taken or foreign:
        if as_vendor:
            raise AccountError(_("Someone with this email already has an account."))
        # One answer for partner admins: it must not reveal who exists elsewhere.
        raise AccountError(_("This address cannot be invited. Ask your channel manager."))

    # A new invitation replaces the inviter's own pending one for the same address.
    db.session.execute(
        update(Invitation)
        .where(Invitation.email == email, *pending)
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email,
        role=role,
        job_function=job_function,
        organization=organization,
        token_hash=token_hash(token),
        invited_by_id=inviter.id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        AuditAction.INVITATION,
        actor=inviter,
        email=email,
        organization_id=organization.id if organization else None,
        role=role.value,
    )
    return IssuedInvitation(invitation, token)


def find_usable_invitation(token: str, now: datetime | None = None) -> Invitation | None:
    """The pending, unexpired invitation of this token, or None."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(
        db.select(Invitation).where(Invitation.token_hash == token_hash(token))
    )
    if invitation is None or not invitation.is_usable(now or utcnow()):
        return None
    if invitation.organization is not None and not invitation.organization.active:
        return None
    return invitation


def accept_invitation(token: str, name: str, password: str) -> User:
    """Create the invited person's account; the link works once (a guarded UPDATE)."""
    from lms.i18n import gettext as _

    now = utcnow()
    invitation = find_usable_invitation(token, now)
    if invitation is None:
        raise AccountError(_("This invitation link is invalid, expired or already used."))
    problem = password_problem(password, invitation.email)
    if problem:
        raise AccountError(problem)
    claimed = execute_dml(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None),
               Invitation.revoked_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed != 1:
        raise AccountError(_("This invitation link is invalid, expired or already used."))
    if db.session.scalar(db.select(User.id).where(User.email == invitation.email)):
        raise AccountError(_("Someone with this email already has an account."))
    user = User(
        email=invitation.email,
        name=name.strip(),
        role=invitation.role,
        job_function=invitation.job_function,
        organization_id=invitation.organization_id,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    invitation.user_id = user.id
    invitation.accepted_at = now
    audit.record(AuditAction.INVITATION_ACCEPTED, actor=user, target=user)
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(AuditAction.INVITATION_REVOKED, actor=actor, email=invitation.email,
                     organization_id=invitation.organization_id)


def create_user(
    *,
    email: str,
    role: str,
    password: str,
    org_slug: str | None = None,
    name: str | None = None,
    job_function: str | None = None,
) -> User:
    """Create a person directly (CLI and demo); raises AccountError with a clear message."""
    from lms.formutil import email_is_valid

    if not email_is_valid(email):
        raise AccountError(f"Not a valid email address: {email}")
    email = normalize_email(email)
    role_ = Role(role)
    organization = None
    if role_.is_partner:
        if not org_slug:
            raise AccountError(f"A {role} belongs to a partner company: give --org.")
        organization = db.session.scalar(
            db.select(Organization).where(Organization.slug == org_slug.strip().lower())
        )
        if organization is None:
            raise AccountError(f"No partner company with the short name {org_slug!r}.")
    elif org_slug:
        raise AccountError(f"The role {role} is for vendor staff, who belong to no company.")
    if role_ == Role.MEMBER and not job_function:
        raise AccountError("A member needs --job-function sales or technical.")
    problem = password_problem(password, email)
    if problem:
        raise AccountError(problem)
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"{email} already has an account.")
    user = User(
        email=email,
        name=(name or email.split("@")[0]).strip(),
        role=role_,
        job_function=JobFunction(job_function) if job_function and role_.is_partner else None,
        organization=organization,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
