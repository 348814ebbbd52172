"""Sign in, sign out, account, language, invitations."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from lms import audit
from lms.auth import bp, devices, service, two_factor
from lms.auth.forms import (
    AcceptInvitationForm,
    AccountForm,
    ConfirmForm,
    LocaleForm,
    LoginForm,
    PasswordForm,
)
from lms.database import saving
from lms.errors import render_error
from lms.extensions import limiter
from lms.i18n import gettext as _
from lms.models import AuditAction


def _safe_next(target: str | None) -> str:
    """Only a local path may be a redirect target (no open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and not any(ord(ch) < 0x20 or ord(ch) == 0x7F
                                                for ch in target):
        # Checked after the prefix: urlsplit raises on some netlocs ("//[" is invalid IPv6).
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        # Counted before the password is checked: concurrent guesses cannot pass the limit.
        attempt = devices.count_attempt(form.email.data)
        if not attempt.allowed:
            return render_error(429, headers=[("Retry-After", str(attempt.retry_after))])
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            devices.succeeded(attempt)
            next_url = _safe_next(request.args.get("next"))
            challenge = two_factor.start_challenge(user, form.remember.data, next_url)
            if challenge is not None:
                return challenge
            with saving():
                service.sign_in(user, remember=form.remember.data)
            return devices.trust_device(redirect(next_url), user)
        with saving():
            service.record_failed_sign_in(form.email.data, locked=devices.exhausted(attempt))
        # One message for every failure: it must not tell which emails have accounts.
        flash(_("Wrong email or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        with saving():
            service.sign_out(current_user._get_current_object())
        flash(_("You are signed out."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    password_form = PasswordForm(prefix="pw")
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    if form.validate_on_submit():
        with saving():
            current_user.name = form.name.data.strip()
            current_user.locale = form.locale.data or None
        session.pop("locale", None)
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, password_form=password_form)


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    form = AccountForm(obj=current_user, formdata=None)
    form.locale.data = current_user.locale or ""
    password_form = PasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        user = current_user._get_current_object()
        # Counted before the check, per account: a stolen session cannot guess the password
        # faster from several addresses or concurrent requests.
        wait = devices.charge_current_password(user.id)
        if wait:
            return render_error(429, headers=[("Retry-After", str(wait))])
        problem = service.password_problem(password_form.password.data, user.email)
        right = user.check_password(password_form.current.data)
        if right:
            devices.give_back_current_password(user.id)
        if not right:
            password_form.current.errors.append(_("The current password is wrong."))
        elif problem:
            password_form.password.errors.append(problem)
        else:
            with saving():
                user.set_password(password_form.password.data)
                # Other devices are signed out; this one continues with the new token.
                service.end_all_sessions(user)
                audit.record(AuditAction.PASSWORD_CHANGE, actor=user, target=user)
            with saving():
                service.sign_in(user)
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form, password_form=password_form), 400


@bp.route("/locale", methods=["POST"])
def set_locale():
    form = LocaleForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            with saving():
                current_user.locale = form.locale.data
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def accept_invitation(token: str):
    invitation = service.find_usable_invitation(token)
    if invitation is None:
        return render_template("auth/invitation_invalid.html"), 404
    if current_user.is_authenticated:
        flash(_("Sign out first to accept an invitation for another account."), "info")
        return redirect(url_for("main.home"))
    form = AcceptInvitationForm()
    if form.validate_on_submit():
        with saving(service.AccountError, field=form.password) as saved:
            user = service.accept_invitation(token, form.name.data, form.password.data)
        if saved.ok:
            with saving():
                service.sign_in(user)
            flash(_("Welcome to Partner Academy, %(name)s.", name=user.name), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/accept_invitation.html", form=form, invitation=invitation)
