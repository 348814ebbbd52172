"""Admin pages of API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms.api import admin_bp, tokens
from lms.auth.forms import ConfirmForm
from lms.database import saving
from lms.extensions import db
from lms.formutil import NoControlCharacters
from lms.models import ApiToken
from lms.policy import admin_required


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100),
                                              NoControlCharacters()],
                       description=_l("What uses the token, e.g. \"Salesforce sync\"."))


@admin_bp.route("/admin/api-tokens", methods=["GET", "POST"])
@admin_required
def token_list():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        with saving():
            token, plain = tokens.create_token(form.name.data.strip(), current_user)
        # Rendered, never flashed: the token must not sit in a cookie.
        created = (token, plain)
        form = TokenForm(formdata=None)
    status = 400 if form.errors else 200
    return render_template("api/tokens.html", form=form, tokens=tokens.all_tokens(),
                           created=created, confirm_form=ConfirmForm()), status


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
