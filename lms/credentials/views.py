"""My credentials, certificates, sharing (LinkedIn, link, baked badge), public verification,
Open Badges JSON, revocation, expiry."""

from __future__ import annotations

import json
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
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from lms.clock import local_date
from lms.courses.loader import inside_folder
from lms.courses.progress import pick_version
from lms.courses.structure import structure
from lms.credentials import baking, bp, rules, service, sharing
from lms.database import saving
from lms.errors import json_error
from lms.extensions import db
from lms.formutil import NoControlCharacters, PortalForm, page_arg
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.models import Award, Credential, CredentialStatus, Role, utcnow
from lms.policy import admin_required, roles_required

IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


class RevokeForm(PortalForm):
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


def _share_links(award: Award) -> sharing.ShareLinks:
    """The share actions of an award, its dates the days the pages show (program's zone)."""
    return sharing.share_links(
        name=award.credential.name, image=award.credential.image,
        verification_code=award.verification_code, issued_on=local_date(award.issued_at),
        expires_on=local_date(award.expires_at) if award.expires_at else None,
        base_url=current_app.config["LMS_BASE_URL"],
        issuer=current_app.config["LMS_ISSUER_NAME"])


@bp.route("/credentials")
@login_required
def mine():
    held = service.credentials_of(current_user)
    shares = {h.award.id: _share_links(h.award) for h in held
              if h.status == CredentialStatus.VALID}
    return render_template("credentials/mine.html", held=held, shares=shares, now=utcnow())


def _own_award_or_404(award_id: int) -> Award:
    """An award of the signed-in person that is not revoked; anyone else's is not found."""
    award = db.session.scalar(db.select(Award).where(Award.id == award_id,
                                                     Award.user_id == current_user.id))
    if award is None or award.revoked_at is not None:
        abort(404)
    return award


@bp.route("/credentials/<int:award_id>/certificate")
@login_required
def certificate(award_id: int):
    award = _own_award_or_404(award_id)
    url = _verify_url(award)
    qr = Markup(segno.make(url, error="m").svg_inline(scale=4, dark="#111827",  # noqa: S704
                                                     omitsize=False))
    return render_template("credentials/certificate.html", award=award, verify_url=url,
                           qr=qr, status=award.status(utcnow()))


@bp.route("/credentials/<int:award_id>/badge.<image_format>")
@login_required
def baked_badge(award_id: int, image_format: str):
    """The badge image with its Open Badges 2.0 assertion baked in, for its holder to keep or
    upload to a backpack; always a download."""
    award = _own_award_or_404(award_id)
    credential = award.credential
    if baking.image_format(credential.image) != image_format:
        abort(404)
    file = inside_folder(Path(current_app.config["LMS_CONTENT_DIR"]), credential.image)
    if file is None or not file.is_file():
        abort(404)
    assertion = service.assertion(award)
    try:
        data = baking.bake(file.read_bytes(), image_format,
                           json.dumps(assertion, ensure_ascii=False), assertion["id"])
    except baking.BakingError:
        current_app.logger.exception("badge image %s cannot be baked", credential.image)
        abort(404)
    response = Response(data, mimetype=baking.FORMATS[image_format])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{credential.slug}.{image_format}"')
    response.headers["Content-Security-Policy"] = IMAGE_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/verify/<code>.json")
def verify_json(code: str):
    award = service.award_by_code(code)
    if award is None:
        return _public(json_error(404, "No credential has this verification code."))
    response = jsonify(service.assertion(award))
    response.status_code = 410 if award.revoked_at is not None else 200
    return _public(response)


def _course_titles(slugs: list[str], locale: str) -> dict[str, sharing.Named]:
    """{original course slug: title of its version in `locale`, else of the original}."""
    content, titles = structure(), {}
    for slug in slugs:
        versions = {c.slug: c for c in content.versions(slug)}
        if versions:
            chosen = pick_version([(c.slug, c.locale) for c in versions.values()], locale, slug)
            course = versions.get(chosen) or next(iter(versions.values()))
            titles[slug] = sharing.Named(course.title, course.locale)
    return titles


def _public_criteria(credential: Credential) -> sharing.PublicCriteria:
    quiz_slugs = [*credential.quizzes, *([credential.renewal_quiz] if credential.renewal_quiz
                                         else [])]
    quizzes = service.credential_content().quizzes  # cached per content version
    quiz_titles = {slug: quizzes[slug].title for slug in quiz_slugs if slug in quizzes}
    return sharing.public_criteria(
        credential.courses, credential.quizzes, credential.job_function,
        credential.validity_months, credential.renewal_quiz,
        _course_titles(list(credential.courses), str(get_locale() or "en")), quiz_titles)


@bp.route("/verify/<code>")
def verify(code: str):
    award = service.award_by_code(code)
    if award is None:
        abort(404)
    return render_template("credentials/verify.html", award=award,
                           status=award.status(utcnow()),
                           issuer=current_app.config["LMS_ISSUER_NAME"],
                           criteria=_public_criteria(award.credential),
                           renewal_days=rules.RENEWAL_WINDOW.days)


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
