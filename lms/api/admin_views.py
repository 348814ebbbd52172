"""Admin pages of API tokens: create with scopes and an expiry (shown once), list, rotate,
revoke."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from lms.api import admin_bp, tokens
from lms.auth.forms import ConfirmForm
from lms.database import saving
from lms.extensions import db
from lms.formutil import NoControlCharacters, PortalForm, choices
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.models import ApiToken
from lms.policy import admin_required

SCOPE_LABELS = {
    "deals:write": _l("Register and update deals (and read back the deals it writes)"),
    "partners:read": _l("Read partner tiers, qualification and requirements"),
    "credentials:read": _l("Verify badges and certifications"),
}
REFUSAL_LABELS = {
    tokens.Refusal.REVOKED: _l("Revoked"),
    tokens.Refusal.EXPIRED: _l("Expired"),
    tokens.Refusal.CREATOR_DELETED: _l("Refused: its creator's account was deleted"),
    tokens.Refusal.CREATOR_DEACTIVATED: _l("Refused: its creator is deactivated"),
    tokens.Refusal.CREATOR_NOT_ADMIN: _l("Refused: its creator is no longer an admin"),
}


class TokenForm(PortalForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100),
                                              NoControlCharacters()],
                       description=_l("What uses the token, e.g. \"Salesforce sync\"."))
    scopes = SelectMultipleField(
        _l("What it may do"),
        choices=choices((scope, SCOPE_LABELS[scope]) for scope in tokens.SCOPES),
        validators=[DataRequired(_l("Choose at least one scope: what the token may do."))],
        filters=[lambda values: [value for value in values or () if value]],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
        description=_l("Only what the integration needs: a call outside its scopes is "
                       "refused."))
    lifetime_days = SelectField(
        _l("Expires after"), coerce=int, default=tokens.DEFAULT_LIFETIME_DAYS,
        choices=choices((str(days), _l("%(num)d days", num=days)) for days in tokens.LIFETIME_DAYS),
        invalid_choice_message=_l("Choose one of the lifetimes listed."),
        invalid_value_message=_l("Choose one of the lifetimes listed."),
        description=_l("Rotate the token before then: the old one keeps working for a day."))


def _page(form: TokenForm, *, created=None, rotated=None, status: int = 200):
    return render_template("api/tokens.html", form=form, rows=tokens.all_tokens(),
                           created=created, rotated=rotated, confirm_form=ConfirmForm(),
                           refusal_labels=REFUSAL_LABELS), status


@admin_bp.route("/admin/api-tokens", methods=["GET", "POST"])
@admin_required
def token_list():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        with saving():
            token, plain = tokens.create_token(form.name.data.strip(), current_user,
                                               form.scopes.data, form.lifetime_days.data)
        # Rendered, never flashed: the token must not sit in a cookie.
        created = (token, plain)
        form = TokenForm(formdata=None)
    return _page(form, created=created, status=400 if form.errors else 200)


@admin_bp.route("/admin/api-tokens/<int:token_id>/rotate", methods=["POST"])
@admin_required
def rotate(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving(tokens.TokenError) as saved:
        new, plain = tokens.rotate_token(token, current_user)
    if not saved.ok:
        return redirect(url_for("api_tokens.token_list"))
    # The new token is rendered once here, like a created one.
    return _page(TokenForm(formdata=None), created=(new, plain), rotated=token)


@admin_bp.route("/admin/api-tokens/<int:token_id>/revoke", methods=["POST"])
@admin_required
def revoke(token_id: int):
    form = ConfirmForm()
    token = db.get_or_404(ApiToken, token_id)
    if form.validate_on_submit():
        with saving():
            revoked = tokens.revoke_token(token, current_user)
        if revoked:
            flash(_("The token %(name)s is revoked: calls with it now fail.",
                    name=token.name), "success")
    return redirect(url_for("api_tokens.token_list"))
