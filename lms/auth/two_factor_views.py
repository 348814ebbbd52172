"""Two-factor sign-in: the code page after the password, the account's set-up page, and the
rule that sends people whose role requires it to set it up."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from lms.auth import bp, devices, two_factor
from lms.auth.forms import ConfirmForm
from lms.auth.two_factor_forms import CodeForm, DisableForm
from lms.database import saving
from lms.errors import render_error
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.models import User

# Open to a signed-in person who must still set up two-factor sign-in: the set-up itself,
# signing out, the language, and what is not a page of the app for them (static files,
# the liveness check, public verification pages, the token-authenticated JSON API).
ENROLMENT_ENDPOINTS = frozenset({
    "auth.two_factor_account", "auth.two_factor_setup", "auth.two_factor_confirm",
    "auth.two_factor_sign_in", "auth.login", "auth.logout", "auth.set_locale",
    "static", "main.healthz",
})
PUBLIC_PREFIXES = ("/verify/", "/badges/", "/.well-known/", "/api/")


@bp.before_app_request
def require_two_factor():
    """Send a signed-in person whose role requires a second factor, and who has none, to
    the set-up page (also someone whose role became required after they signed in)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in ENROLMENT_ENDPOINTS \
            or request.path.startswith(PUBLIC_PREFIXES):
        return None
    if not current_user.is_authenticated or not two_factor.needs_enrolment(current_user):
        return None
    return redirect(url_for("auth.two_factor_account"))


# --- Signing in --------------------------------------------------------------------------


@bp.route("/login/two-factor", methods=["GET", "POST"])
def two_factor_sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    pending = two_factor.pending_sign_in()
    if pending is None:
        flash(_("Your sign-in has expired or was interrupted. Sign in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return _code_page(form, 400 if request.method == "POST" else 200)
    with saving():
        check = two_factor.complete_sign_in(pending, form.code.data)
    if check.accepted:
        if check.recovery_left is not None:
            flash(_recovery_message(check.recovery_left),
                  "warning" if check.recovery_left < 3 else "info")
        return devices.trust_device(redirect(pending.next_url), pending.user)
    if check.retry_after:
        return render_error(429, check.message,
                            headers=[("Retry-After", str(check.retry_after))])
    if check.ended:
        flash(check.message, "error")
        return redirect(url_for("auth.login"))
    form.code.errors.append(check.message)
    return _code_page(form, 400)


def _code_page(form: CodeForm, status: int):
    return render_template("auth/two_factor_sign_in.html", form=form,
                           issuer=two_factor.issuer_name()), status


def _recovery_message(left: int) -> str:
    used = _("You signed in with a recovery code; it cannot be used again.")
    if left == 0:
        return used + " " + _("You have no recovery codes left: create new ones now on your "
                              "account's two-factor page.")
    return used + " " + ngettext("%(num)d recovery code is left.",
                                 "%(num)d recovery codes are left.", left)


# --- The account's two-factor page -------------------------------------------------------


def _me() -> User:
    return current_user._get_current_object()


def _render_status(status: int = 200, code_form: CodeForm | None = None,
                   disable_form: DisableForm | None = None):
    user = _me()
    pending_secret = None if user.has_two_factor else user.totp_secret
    qr = secret = None
    if pending_secret is not None:
        uri = two_factor.provisioning_uri(pending_secret, user.email, two_factor.issuer_name())
        qr = Markup(two_factor.qr_svg(uri))  # noqa: S704 - SVG made by segno from our URI
        secret = two_factor.grouped_secret(pending_secret)
    return render_template(
        "auth/two_factor.html",
        required=two_factor.is_required(user),
        enrolling=pending_secret is not None,
        qr=qr,
        secret=secret,
        issuer=two_factor.issuer_name(),
        codes_left=two_factor.recovery_codes_left(user) if user.has_two_factor else None,
        confirm_form=ConfirmForm(),
        code_form=code_form or CodeForm(prefix="code"),
        disable_form=disable_form or DisableForm(prefix="off"),
    ), status


@bp.route("/account/two-factor")
@login_required
def two_factor_account():
    return _render_status()


@bp.route("/account/two-factor/setup", methods=["POST"])
@login_required
def two_factor_setup():
    if ConfirmForm().validate_on_submit():
        with saving(two_factor.TwoFactorError):
            two_factor.begin_enrolment(_me())
    return redirect(url_for("auth.two_factor_account"))


@bp.route("/account/two-factor/confirm", methods=["POST"])
@login_required
def two_factor_confirm():
    form = CodeForm(prefix="code")
    if form.validate_on_submit():
        with saving(two_factor.TwoFactorError, form=form) as saved:
            codes = two_factor.confirm_enrolment(_me(), form.code.data)
        if saved.ok:
            flash(_("Two-factor sign-in is on."), "success")
            return render_template("auth/two_factor_codes.html", codes=codes, new=True)
    return _render_status(400, code_form=form)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@login_required
def two_factor_recovery_codes():
    form = CodeForm(prefix="code")
    if form.validate_on_submit():
        with saving(two_factor.TwoFactorError, form=form) as saved:
            codes = two_factor.regenerate_recovery_codes(_me(), form.code.data)
        if saved.ok:
            return render_template("auth/two_factor_codes.html", codes=codes, new=False)
    return _render_status(400, code_form=form)


@bp.route("/account/two-factor/disable", methods=["POST"])
@login_required
def two_factor_disable():
    form = DisableForm(prefix="off")
    if form.validate_on_submit():
        with saving(two_factor.TwoFactorError, form=form) as saved:
            two_factor.disable(_me(), form.password.data, form.code.data)
        if saved.ok:
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("auth.two_factor_account"))
    return _render_status(400, disable_form=form)
