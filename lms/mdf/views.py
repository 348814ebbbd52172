"""Market development funds at /mdf: a partner's own funds and requests, every partner's for
the channel team, the decisions, claims with proof files, payments, and the return."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.assets.storage import attachment
from lms.auth.forms import ConfirmForm
from lms.clock import program_today
from lms.csvutil import csv_response
from lms.database import saving
from lms.errors import render_error
from lms.extensions import db
from lms.i18n import gettext as _
from lms.labels import MDF_STATUS_LABELS
from lms.mdf import bp, rules, service
from lms.mdf.forms import (
    AdjustForm,
    ClaimDecisionForm,
    ClaimForm,
    DecisionForm,
    PaymentForm,
    RequestForm,
)
from lms.mdf.service import MdfError
from lms.models import MdfProofFile, MdfRequest, MdfStatus, Organization, Role
from lms.policy import company_or_404, get_visible_or_404, vendor_required
from lms.tiers.service import program_in_force


def can_request(user) -> bool:
    """Partner admins spend their company's funds; everyone in the company can read them."""
    return user.role == Role.PARTNER_ADMIN


def _period():
    """The ?period= asked for (2026-Q4), else the current one; junk is the current one."""
    kind = service.period_kind()
    key = request.args.get("period", "")
    return rules.period_from_key(key, kind) or service.current_period()


@bp.route("/mdf")
@login_required
def overview():
    period = _period()
    if not current_user.is_vendor:
        return _partner_page(current_user.organization, period)
    funds = service.funds_of_partners(period)
    return render_template("mdf/overview.html", period=period, funds=funds,
                           waiting=service.waiting(), currency=program_in_force().currency,
                           today=program_today())


@bp.route("/mdf/partners/<org_slug>")
@login_required
def partner(org_slug: str):
    return _partner_page(company_or_404(org_slug), _period())


def _partner_page(organization: Organization, period: rules.Period,
                  adjust_form: AdjustForm | None = None, status: int = 200):
    funds = service.funds_of(organization, period)
    return render_template(
        "mdf/partner.html", organization=organization, period=period, funds=funds,
        requests=service.requests_in(period, organization.id),
        elsewhere=service.open_elsewhere(organization.id, period),
        adjustments=service.adjustments(funds.allocation),
        adjust_form=adjust_form or AdjustForm(), currency=program_in_force().currency,
        can_request=can_request(current_user) and period.contains(program_today()),
        today=program_today()), status


@bp.route("/mdf/partners/<org_slug>/adjust", methods=["POST"])
@vendor_required
def adjust(org_slug: str):
    organization = company_or_404(org_slug)
    period = _period()
    form = AdjustForm()
    if form.validate_on_submit():
        with saving(MdfError, form=form) as saved:
            service.adjust(organization, period, form.delta.data or 0, form.note.data or "",
                           current_user)
        if saved.ok:
            flash(_("The allocation of %(partner)s is changed.", partner=organization.name),
                  "success")
            return redirect(url_for("mdf.partner", org_slug=organization.slug,
                                    period=period.key))
    return _partner_page(organization, period, form, 400)


@bp.route("/mdf/requests/new", methods=["GET", "POST"])
@login_required
def new_request():
    if not can_request(current_user):
        abort(403)
    form = RequestForm()
    funds = service.funds_of(current_user.organization, service.current_period())
    if form.validate_on_submit():
        with saving(MdfError, form=form) as saved:
            mdf_request = service.submit(current_user.organization, current_user,
                                         form.request_data())
        if saved.ok:
            flash(_("Your request is sent to the channel team."), "success")
            return redirect(url_for("mdf.detail", request_id=mdf_request.id))
    status = 400 if request.method == "POST" else 200
    return render_template("mdf/request_form.html", form=form, funds=funds,
                           currency=program_in_force().currency), status


def _visible(request_id: int) -> MdfRequest:
    """The request with its company and requester (the pages show both); another company's
    is 404."""
    return get_visible_or_404(MdfRequest, request_id, options=(
        joinedload(MdfRequest.organization), joinedload(MdfRequest.requested_by)))


@bp.route("/mdf/requests/<int:request_id>")
@login_required
def detail(request_id: int):
    return _detail_page(_visible(request_id))


def _detail_page(mdf_request: MdfRequest, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    vendor = current_user.is_vendor
    own = can_request(current_user) and \
        current_user.organization_id == mdf_request.organization_id
    state = mdf_request.status
    if vendor and state == MdfStatus.SUBMITTED:
        forms.setdefault("decision", DecisionForm(amount=mdf_request.requested_amount))
    if vendor and state == MdfStatus.CLAIMED:
        forms.setdefault("claim_decision", ClaimDecisionForm(amount=mdf_request.claimed_amount))
    if vendor and state == MdfStatus.CLAIM_APPROVED:
        forms.setdefault("payment", PaymentForm(paid_on=program_today()))
    if own and state == MdfStatus.APPROVED:
        forms.setdefault("claim", ClaimForm(claimed_amount=mdf_request.approved_amount))
    return render_template(
        "mdf/detail.html", mdf_request=mdf_request, forms=forms,
        can_cancel=own and state in (MdfStatus.SUBMITTED, MdfStatus.APPROVED),
        claim_open=mdf_request.ends_on <= program_today(),
        events=service.events_of(mdf_request), files=service.proof_files(mdf_request),
        deals=service.attributed_deals(mdf_request), currency=program_in_force().currency,
        status_labels=MDF_STATUS_LABELS), status


def _unknown_action(form: DecisionForm | ClaimDecisionForm) -> bool:
    """The decision forms' buttons are their `action`: a value no button sends is said in a
    message (a field error would have nowhere to show). Always False: nothing is done."""
    if form.action.errors:
        flash(_("Choose one of the buttons of the form."), "error")
    return False


def _refused(mdf_request: MdfRequest, name: str, form):
    """The page again with the refused form and its messages; when the request itself has
    moved on meanwhile (a message, no field error), the page as it is now."""
    if form.errors or mdf_request.status in _FORM_STATUS[name]:
        return _detail_page(mdf_request, {name: form}, 400)
    return redirect(url_for("mdf.detail", request_id=mdf_request.id))


# The status each form acts on.
_FORM_STATUS = {"decision": (MdfStatus.SUBMITTED,), "claim": (MdfStatus.APPROVED,),
                "claim_decision": (MdfStatus.CLAIMED,), "payment": (MdfStatus.CLAIM_APPROVED,)}


def _done(mdf_request: MdfRequest, message: str):
    flash(message, "success")
    return redirect(url_for("mdf.detail", request_id=mdf_request.id))


@bp.route("/mdf/requests/<int:request_id>/decision", methods=["POST"])
@login_required
def decide(request_id: int):
    mdf_request = _visible(request_id)
    if not current_user.is_vendor:
        abort(403)
    form = DecisionForm()
    if form.validate_on_submit() or _unknown_action(form):
        approve = form.action.data == "approve"
        if approve and form.amount.data is None:
            form.amount.errors = [_("Enter the amount to approve.")]
        else:
            with saving(MdfError, form=form) as saved:
                service.decide(mdf_request, current_user,
                               form.amount.data if approve else None, form.note.data or "")
            if saved.ok:
                return _done(mdf_request, _("Approved.") if approve else _("Rejected."))
    return _refused(mdf_request, "decision", form)


@bp.route("/mdf/requests/<int:request_id>/cancel", methods=["POST"])
@login_required
def cancel(request_id: int):
    mdf_request = _visible(request_id)
    if not can_request(current_user):
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving(MdfError) as saved:
        service.cancel(mdf_request, current_user)
    if saved.ok:
        running = service.period_of_request(mdf_request).contains(program_today())
        return _done(mdf_request, _("The request is cancelled; its funds are available "
                                    "again.") if running else _("The request is cancelled."))
    return redirect(url_for("mdf.detail", request_id=request_id))


@bp.route("/mdf/requests/<int:request_id>/claim", methods=["POST"])
@login_required
def claim(request_id: int):
    mdf_request = _visible(request_id)
    if not can_request(current_user):
        abort(403)
    form = ClaimForm()
    if form.validate_on_submit():
        files = [upload for upload in form.files.data or [] if upload and upload.filename]
        with saving(MdfError, form=form) as saved:
            service.claim(mdf_request, current_user, form.claim_data(), files)
        if saved.ok:
            return _done(mdf_request, _("Your claim is sent to the channel team."))
    return _refused(mdf_request, "claim", form)


@bp.route("/mdf/requests/<int:request_id>/claim-decision", methods=["POST"])
@login_required
def decide_claim(request_id: int):
    mdf_request = _visible(request_id)
    if not current_user.is_vendor:
        abort(403)
    form = ClaimDecisionForm()
    if form.validate_on_submit() or _unknown_action(form):
        approve = form.action.data == "approve"
        if approve and form.amount.data is None:
            form.amount.errors = [_("Enter the amount to pay.")]
        else:
            with saving(MdfError, form=form) as saved:
                service.decide_claim(mdf_request, current_user,
                                     form.amount.data if approve else None,
                                     form.note.data or "")
            if saved.ok:
                return _done(mdf_request, _("Claim approved: record the payment once it is "
                                            "made.") if approve else
                             _("The claim is returned to the partner."))
    return _refused(mdf_request, "claim_decision", form)


@bp.route("/mdf/requests/<int:request_id>/payment", methods=["POST"])
@login_required
def payment(request_id: int):
    mdf_request = _visible(request_id)
    if not current_user.is_vendor:
        abort(403)
    form = PaymentForm()
    if form.validate_on_submit():
        with saving(MdfError, form=form) as saved:
            service.record_payment(mdf_request, current_user, form.paid_on.data,
                                   form.reference.data)
        if saved.ok:
            return _done(mdf_request, _("The payment is recorded."))
    return _refused(mdf_request, "payment", form)


@bp.route("/mdf/requests/<int:request_id>/files/<int:file_id>")
@login_required
def proof_file(request_id: int, file_id: int):
    mdf_request = _visible(request_id)
    proof = db.session.scalar(select(MdfProofFile).where(
        MdfProofFile.id == file_id, MdfProofFile.request_id == mdf_request.id))
    if proof is None:
        abort(404)
    try:
        return attachment(proof.sha256, proof.content_type, proof.size, proof.filename,
                          f"mdf-{mdf_request.id}-proof-{proof.id}")
    except FileNotFoundError:
        current_app.logger.error("MDF request %d: proof file %s missing from the storage",
                                 mdf_request.id, proof.sha256)
        return render_error(404, _("This file cannot be found right now."))


@bp.route("/mdf/returns")
@login_required
def returns():
    period = _period()
    own = None if current_user.is_vendor else current_user.organization_id
    items = service.returns(period, own)
    return render_template("mdf/returns.html", period=period, items=items,
                           total=rules.total_return(item.result for item in items),
                           currency=program_in_force().currency)


@bp.route("/mdf/returns.csv")
@login_required
def returns_csv():
    period = _period()
    own = None if current_user.is_vendor else current_user.organization_id
    header = ["period", "partner", "request", "activity", "title", "starts_on", "ends_on",
              "status", "approved", "spent", "deals", "pipeline", "won", "won_per_unit_spent"]
    rows = []
    for item in service.returns(period, own):
        mdf_request, result = item.request, item.result
        rows.append([period.key, mdf_request.organization.name, mdf_request.id,
                     mdf_request.activity_type.value, mdf_request.title,
                     mdf_request.starts_on.isoformat(), mdf_request.ends_on.isoformat(),
                     mdf_request.status.value, mdf_request.approved_amount or 0,
                     result.spent, result.deals, result.pipeline, result.won,
                     "" if result.won_per_unit is None else f"{result.won_per_unit:.2f}"])
    return csv_response(f"mdf-returns-{period.key}.csv", header, rows)


@bp.route("/mdf/requests.csv")
@login_required
def requests_csv():
    period = _period()
    own = None if current_user.is_vendor else current_user.organization_id
    header = ["period", "partner", "request", "activity", "title", "starts_on", "ends_on",
              "planned_cost", "requested", "approved", "claimed", "payable", "paid_on",
              "payment_reference", "status", "expected_leads", "actual_leads"]
    rows = [[period.key, r.organization.name, r.id, r.activity_type.value, r.title,
             r.starts_on.isoformat(), r.ends_on.isoformat(), r.planned_cost,
             r.requested_amount, r.approved_amount or "", r.claimed_amount or "",
             r.payable_amount if r.payable_amount is not None else "",
             r.paid_on.isoformat() if r.paid_on else "", r.payment_reference or "",
             r.status.value, r.expected_leads,
             r.actual_leads if r.actual_leads is not None else ""]
            for r in service.requests_in(period, own)]
    return csv_response(f"mdf-requests-{period.key}.csv", header, rows)

