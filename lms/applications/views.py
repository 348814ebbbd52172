"""Becoming a partner: the public application at /apply, and the channel team's review at
/applications (approve: the company is created and the applicant invited as its partner
admin; decline: with a reason the applicant is mailed)."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user

from lms.applications import bp, service
from lms.applications.forms import ApplicationForm, ApproveForm, DeclineForm
from lms.applications.service import ApplicationData, ApplicationError
from lms.auth.service import AccountError, invitation_link
from lms.database import saving
from lms.extensions import db, limiter
from lms.i18n import gettext as _
from lms.mail import mail_configured
from lms.models import (
    ApplicationStatus,
    JobFunction,
    Organization,
    PartnerApplication,
    PartnerType,
    Tier,
)
from lms.policy import vendor_required

# Per address: a person applies once; a program trying many times is stopped.
APPLY_LIMIT = "5 per hour"


@bp.route("/apply", methods=["GET", "POST"])
@limiter.limit(APPLY_LIMIT, methods=["POST"], scope="apply")
def apply():
    form = ApplicationForm()
    if form.validate_on_submit():
        if form.website.data:
            # The field nobody sees was filled in: a program. It is told what a person is.
            current_app.logger.info("application refused: the hidden field was filled in")
            return redirect(url_for("applications.applied"))
        with saving():
            service.submit(ApplicationData(
                company_name=form.company_name.data, corporate_number=form.corporate_number.data
                or None, contact_name=form.contact_name.data,
                contact_email=form.contact_email.data, contact_phone=form.contact_phone.data or "",
                partner_type=PartnerType(form.partner_type.data), region=form.region.data,
                products=form.products.data, message=form.message.data or "",
                locale=str(get_locale() or "en")))
        return redirect(url_for("applications.applied"))
    status = 400 if request.method == "POST" else 200
    return render_template("applications/apply.html", form=form), status


@bp.route("/apply/thanks")
def applied():
    return render_template("applications/applied.html")


def _application_or_404(application_id: int) -> PartnerApplication:
    # Ids beyond the database's integers are 404 already (lms.BoundedIntConverter).
    return db.get_or_404(PartnerApplication, application_id)


@bp.route("/applications")
@vendor_required
def overview():
    wanted = request.args.get("status", "")
    status = ApplicationStatus(wanted) if wanted in set(ApplicationStatus) else None
    return render_template("applications/overview.html",
                           applications=service.applications(status), status=status,
                           pending=service.pending_count())


def _approve_form(application: PartnerApplication) -> ApproveForm:
    form = ApproveForm()
    if request.method == "GET" or not form.is_submitted():
        form.name.data = application.company_name
        form.slug.data = service.suggested_slug(application.company_name)
        form.partner_type.data = application.partner_type.value
    return form


@bp.route("/applications/<int:application_id>")
@vendor_required
def detail(application_id: int):
    application = _application_or_404(application_id)
    return _detail(application, _approve_form(application), DeclineForm())


def _detail(application: PartnerApplication, approve_form: ApproveForm,
            decline_form: DeclineForm, status: int = 200):
    return render_template("applications/detail.html", application=application,
                           approve_form=approve_form, decline_form=decline_form,
                           similar=service.similar(application),
                           company=(db.session.get(Organization, application.organization_id)
                                    if application.organization_id else None)), status


@bp.route("/applications/<int:application_id>/approve", methods=["POST"])
@vendor_required
def approve(application_id: int):
    application = _application_or_404(application_id)
    form = ApproveForm()
    if form.validate_on_submit():
        with saving(AccountError, ApplicationError, form=form) as saved:
            issued = service.approve(current_user, application, form.name.data,
                                     form.slug.data.strip(), PartnerType(form.partner_type.data),
                                     Tier(form.tier.data), JobFunction(form.job_function.data))
        if saved.ok:
            mailed = service.mail_invitation(application, issued)
            link = invitation_link(issued.token)
            # Rendered, not redirected: the link is shown once and never stored in plain.
            return render_template("applications/approved.html", application=application,
                                   invitation=issued.invitation, link=link, mailed=mailed,
                                   mail_configured=mail_configured())
    return _detail(application, form, DeclineForm(), 400)


@bp.route("/applications/<int:application_id>/decline", methods=["POST"])
@vendor_required
def decline(application_id: int):
    application = _application_or_404(application_id)
    form = DeclineForm()
    if form.validate_on_submit():
        with saving(ApplicationError, form=form) as saved:
            service.decline(current_user, application, form.reason.data)
        if saved.ok:
            if service.mail_decline(application):
                flash(_("Declined. The reason was mailed to %(email)s.",
                        email=application.contact_email), "success")
            else:
                flash(_("Declined. No mail could be sent: tell %(email)s the reason yourself.",
                        email=application.contact_email), "info")
            return redirect(url_for("applications.detail", application_id=application.id))
    return _detail(application, _approve_form(application), form, 400)
