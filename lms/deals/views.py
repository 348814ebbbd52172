"""Deal registration by partners, decisions by the channel team, CSV import and export."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.clock import program_today
from lms.csvutil import csv_response
from lms.database import saving
from lms.deals import bp, importer
from lms.deals.crm import import_deals
from lms.deals.expiry import any_overdue, expire_overdue
from lms.deals.forms import ACTION_CHOICES, DealForm, DecisionForm, ImportForm
from lms.deals.permissions import can_edit, can_register
from lms.deals.queries import DealFilters, deal_page, deals_query, export_rows, partner_options
from lms.deals.registration import change_status, edit_deal, register_deal
from lms.deals.rules import DealError
from lms.deals.validation import COLUMNS, REQUIRED_COLUMNS
from lms.extensions import db
from lms.formutil import page_arg
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.labels import DEAL_STATUS_LABELS
from lms.mdf import service as mdf_service
from lms.models import Deal, utcnow
from lms.policy import get_visible_or_404, vendor_required
from lms.terms import service as terms_service
from lms.terms.gate import terms_required

PAGE_SIZE = 50
FIELD_LABELS = {
    "customer_name": _l("Customer"),
    "amount": _l("Amount"),
    "currency": _l("Currency"),
    "product": _l("Product"),
    "description": _l("Description"),
    "expected_close_on": _l("Expected close"),
    "external_id": _l("External id"),
    "registered_at": _l("Registered on"),
    "closed_at": _l("Closed on"),
    "rejection_reason": _l("Rejection reason"),
    "mdf_request_id": _l("MDF activity"),
}
SOURCE_LABELS = {"web": _l("Web"), "import": _l("CSV import"), "api": _l("API"),
                 "system": _l("Automatic")}


def _expire_lazily() -> None:
    """Overdue registrations expire before anyone sees or decides on them (cron does too)."""
    now = utcnow()
    if any_overdue(now):  # only then: most pages have nothing to expire
        with saving():
            expire_overdue(now)


def _offer_activities(form: DealForm, organization_id: int, current: int | None) -> None:
    """The deal form's MDF activities: the company's approved ones, and the deal's own."""
    activities = [(str(r.id), f"#{r.id} {r.title}") for r in mdf_service.attributable(
        organization_id, current)]
    form.mdf_request.choices = [("", _("None")), *activities]


def _visible_deal(deal_id: int) -> Deal:
    _expire_lazily()
    return get_visible_or_404(Deal, deal_id)


@bp.route("/deals")
@login_required
def deal_list():
    _expire_lazily()
    filters = DealFilters.from_args(request.args, current_user)
    page = db.paginate(deals_query(current_user, filters), page=page_arg(),
                       per_page=PAGE_SIZE, max_per_page=PAGE_SIZE)
    return render_template(
        "deals/list.html", page=page, filters=filters,
        partners=partner_options() if current_user.is_vendor else [],
        can_register=can_register(current_user))


@bp.route("/deals.csv")
@login_required
def export_csv():
    _expire_lazily()
    filters = DealFilters.from_args(request.args, current_user)
    header, rows = export_rows(current_user, filters)
    return csv_response(f"deals-{program_today():%Y%m%d}.csv", header, rows)


@bp.route("/deals/new", methods=["GET", "POST"])
@login_required
def new():
    if not can_register(current_user):
        abort(403)
    blocking = terms_service.blocking_version(current_user)
    if blocking is not None:
        return terms_required(blocking)
    form = DealForm()
    _offer_activities(form, current_user.organization_id, None)
    if form.validate_on_submit():
        with saving(DealError, form=form) as saved:
            deal = register_deal(current_user.organization, current_user,
                                 **form.deal_fields())
        if saved.ok:
            flash(_("Deal #%(id)d is registered for %(customer)s.", id=deal.id,
                    customer=deal.customer_name), "success")
            if deal.conflict_with_id is not None:
                flash(_("Under review: another partner registered this customer first."),
                      "warning")
            return redirect(url_for("deals.detail", deal_id=deal.id))
    status = 400 if request.method == "POST" else 200
    return render_template("deals/form.html", form=form, deal=None), status


@bp.route("/deals/<int:deal_id>")
@login_required
def detail(deal_id: int):
    page = deal_page(_visible_deal(deal_id), current_user)
    return render_template("deals/detail.html", page=page, deal=page.deal,
                           decision_form=DecisionForm(), action_labels=dict(ACTION_CHOICES),
                           field_labels=FIELD_LABELS, source_labels=SOURCE_LABELS)


@bp.route("/deals/<int:deal_id>/edit", methods=["GET", "POST"])
@login_required
def edit(deal_id: int):
    deal = _visible_deal(deal_id)
    if not can_edit(current_user, deal):
        if can_register(current_user):
            flash(_("This deal is closed; it can no longer be changed."), "error")
            return redirect(url_for("deals.detail", deal_id=deal.id))
        abort(403)
    form = DealForm(obj=deal)
    _offer_activities(form, deal.organization_id, deal.mdf_request_id)
    if request.method == "GET":
        form.mdf_request.data = str(deal.mdf_request_id or "")
    if form.validate_on_submit():
        with saving(DealError, form=form) as saved:
            changes = edit_deal(deal, current_user, **form.deal_fields())
        if saved.ok:
            flash(_("Saved.") if changes else _("Nothing changed."),
                  "success" if changes else "info")
            return redirect(url_for("deals.detail", deal_id=deal_id))
    status = 400 if request.method == "POST" else 200
    return render_template("deals/form.html", form=form, deal=deal), status


@bp.route("/deals/<int:deal_id>/status", methods=["POST"])
@login_required
def decide(deal_id: int):
    # Another company's deal answers 404 before the role answers 403: nothing is revealed.
    deal = _visible_deal(deal_id)
    if not current_user.is_vendor:
        abort(403)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("Choose approve, reject, won or lost (and keep the reason under 1,000 "
                "characters)."), "error")
        return redirect(url_for("deals.detail", deal_id=deal_id))
    with saving(DealError) as saved:
        change_status(deal, form.action.data, current_user, reason=form.reason.data)
    if saved.ok:
        flash(_("Deal #%(id)d is now %(status)s.", id=deal_id,
                status=str(DEAL_STATUS_LABELS[deal.status]).lower()), "success")
    return redirect(url_for("deals.detail", deal_id=deal_id))


@bp.route("/deals/import", methods=["GET", "POST"])
@vendor_required
def import_csv():
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        data = form.file.data.read(importer.MAX_BYTES + 1)
        with saving(DealError) as saved:
            report = import_deals(data, current_user,
                                  skip_bad_rows=form.skip_bad_rows.data,
                                  dry_run=bool(form.check.data))
            if not report.applied:
                saved.discard()  # a dry run, or a file with errors: nothing is written
    status = 400 if form.errors else 200
    return render_template("deals/import.html", form=form, report=report,
                           columns=COLUMNS, required_columns=REQUIRED_COLUMNS), status
