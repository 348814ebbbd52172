"""Password reset by email: ask for a link, set a new password with it."""

from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from lms.auth import bp, reset
from lms.auth.reset_forms import ForgotPasswordForm, ResetPasswordForm
from lms.auth.service import AccountError
from lms.database import saving
from lms.extensions import limiter
from lms.i18n import gettext as _
from lms.models import normalize_email

# Counted before the work (plain limits, not deduct_when): concurrent requests cannot pass
# them, and the answer is the same whether the email has an account or not.
FORGOT_LIMIT_EMAIL = "5 per hour"
FORGOT_LIMIT_ADDRESS = "20 per hour"
RESET_LIMIT_ADDRESS = "30 per hour"


def _email_key() -> str:
    return "password-forgot-email:" + normalize_email(request.form.get("email", ""))[:254]


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(FORGOT_LIMIT_EMAIL, key_func=_email_key, methods=["POST"],
               scope="password-forgot-email")
@limiter.limit(FORGOT_LIMIT_ADDRESS, methods=["POST"], scope="password-forgot-address")
def password_forgot():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        with saving():
            issued = reset.request_reset(form.email.data)
        if issued is not None:
            reset.mail_reset(issued)
        # One answer for every address: it must not tell which emails have accounts.
        return redirect(url_for("auth.password_forgot_sent"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/password_forgot.html", form=form), status


@bp.route("/password/forgot/sent")
def password_forgot_sent():
    return render_template("auth/password_forgot_sent.html")


def _private(response):
    """The page's address holds the token: never cached, never sent on as a referrer."""
    response = make_response(response)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(RESET_LIMIT_ADDRESS, methods=["POST"], scope="password-reset")
def password_reset(token: str):
    if reset.find_usable_reset(token) is None:
        return _private((render_template("auth/password_reset_invalid.html"), 404))
    if current_user.is_authenticated:
        # The link may be another account's: this session is not silently ended or reused.
        flash(_("Sign out first to set a new password with this link."), "info")
        return redirect(url_for("main.home"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        with saving(AccountError, field=form.password) as saved:
            reset.reset_password(token, form.password.data)
        if saved.ok:
            # Not signed in here: the sign-in asks for the second factor where one is needed.
            flash(_("Your new password is set and every device is signed out. Sign in with "
                    "the new password."), "success")
            return redirect(url_for("auth.login"))
        if reset.find_usable_reset(token) is None:  # used or expired meanwhile
            return _private((render_template("auth/password_reset_invalid.html"), 404))
    status = 400 if request.method == "POST" else 200
    return _private((render_template("auth/password_reset.html", form=form), status))
