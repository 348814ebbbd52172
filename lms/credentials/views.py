"""My credentials, certificates, public verification, Open Badges JSON, revocation, expiry."""

from __future__ import annotations

from pathlib import Path

import segno
from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.credentials import bp, service
from lms.database import saving
from lms.errors import json_error
from lms.extensions import db
from lms.formutil import NoControlCharacters, page_arg
from lms.models import Award, Credential, Role, utcnow
from lms.policy import admin_required, roles_required

IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=1000),
                                  NoControlCharacters(multiline=True)],
        description=_l("Shown publicly in the Open Badges assertion of this credential."))


def _public(response: Response) -> Response:
    # Verifiers fetch these from anywhere; they hold nothing but what is public.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _verify_url(award: Award) -> str:
    return f"{current_app.config['LMS_BASE_URL']}/verify/{award.verification_code}"


@bp.route("/credentials")
@login_required
def mine():
    return render_template("credentials/mine.html",
                           held=service.credentials_of(current_user), now=utcnow())


@bp.route("/credentials/<int:award_id>/certificate")
@login_required
def certificate(award_id: int):
    award = db.session.scalar(db.select(Award).where(Award.id == award_id,
                                                     Award.user_id == current_user.id))
    if award is None or award.revoked_at is not None:
        abort(404)
    url = _verify_url(award)
    qr = Markup(segno.make(url, error="m").svg_inline(scale=4, dark="#111827",  # noqa: S704
                                                     omitsize=False))
    return render_template("credentials/certificate.html", award=award, verify_url=url,
                           qr=qr, status=award.status(utcnow()))


@bp.route("/verify/<code>.json")
def verify_json(code: str):
    award = service.award_by_code(code)
    if award is None:
        return _public(json_error(404, "No credential has this verification code."))
    response = jsonify(service.assertion(award))
    response.status_code = 410 if award.revoked_at is not None else 200
    return _public(response)


@bp.route("/verify/<code>")
def verify(code: str):
    award = service.award_by_code(code)
    if award is None:
        abort(404)
    return render_template("credentials/verify.html", award=award,
                           status=award.status(utcnow()),
                           issuer=current_app.config["LMS_ISSUER_NAME"])


def _credential_or_404(slug: str) -> Credential:
    credential = db.session.scalar(db.select(Credential).where(Credential.slug == slug))
    if credential is None:
        abort(404)
    return credential


@bp.route("/badges/<slug>.json")
def badge_json(slug: str):
    return _public(jsonify(service.badge_class(_credential_or_404(slug))))


@bp.route("/badges/<slug>/image")
def badge_image(slug: str):
    credential = _credential_or_404(slug)
    image = Path(credential.image)
    folder = Path(current_app.config["LMS_CONTENT_DIR"]) / image.parent
    response = send_from_directory(folder, image.name, max_age=3600)
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/issuer.json")
def issuer_json():
    return _public(jsonify(service.issuer_profile()))


@bp.route("/credentials/expiring")
@roles_required(Role.PARTNER_ADMIN, Role.MANAGER, Role.ADMIN)
def expiring():
    org_id = current_user.organization_id if current_user.role == Role.PARTNER_ADMIN else None
    return render_template("credentials/expiring.html", items=service.expiring_for(org_id))


@bp.route("/admin/credentials")
@admin_required
def admin_awards():
    q = request.args.get("q", "").strip()[:100]
    stmt = db.select(Award).order_by(Award.issued_at.desc())
    if q:
        from lms.models import User

        stmt = stmt.join(User, User.id == Award.user_id).where(
            User.email.like(f"%{q.lower()}%") | User.name.ilike(f"%{q}%"))
    page = db.paginate(stmt, page=page_arg(), per_page=50, max_per_page=50)
    return render_template("credentials/admin_awards.html", page=page, q=q, now=utcnow())


@bp.route("/admin/credentials/<int:award_id>/revoke", methods=["GET", "POST"])
@admin_required
def revoke(award_id: int):
    award = db.get_or_404(Award, award_id)
    form = RevokeForm()
    if form.validate_on_submit():
        with saving(service.CredentialError, field=form.reason) as saved:
            service.revoke(current_user, award, form.reason.data)
        if saved.ok:
            flash(_("The credential is revoked; its verification page says so."), "success")
            return redirect(url_for("credentials.admin_awards"))
    status = 400 if request.method == "POST" else 200
    return render_template("credentials/revoke.html", award=award, form=form), status
