"""Manager reports: who qualifies for a tier and why (HTML and CSV), applying tier changes."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.auth.forms import ConfirmForm
from lms.csvutil import csv_response
from lms.database import saving
from lms.formutil import page_of
from lms.i18n import gettext as _
from lms.i18n import ngettext
from lms.policy import vendor_required
from lms.reports import bp
from lms.reports import tiers as tier_report
from lms.tiers import present, rules, service
from lms.tiers.forms import read_decisions
from lms.tiers.program import TIERS

PAGE_SIZE = 100  # rows of the HTML report; the CSV has every row


def _report_args() -> dict:
    show = request.args.get("show", "all")
    sort = request.args.get("sort", "status")
    return {
        "target": tier_report.parse_target(request.args.get("tier")),
        "show": show if show in tier_report.SHOW else "all",
        "sort": sort if sort in tier_report.SORTS else "status",
        "descending": request.args.get("dir") == "desc",
        "partner_type": tier_report.parse_partner_type(request.args.get("type")),
    }


@bp.route("/reports/tiers")
@vendor_required
def tiers():
    args = _report_args()
    report = tier_report.build(**args)
    vocab = present.vocabulary()
    headings = [present.heading(r, report.program, vocab)
                for r in report.program.rule(report.target).requirements]
    page = page_of(report.rows, PAGE_SIZE)
    return render_template("reports/tiers.html", report=report, headings=headings,
                           rows=page.items, page=page, args=args, planned=report.due,
                           gap=present.gap,
                           count=present.format_count, status_text=present.status_text,
                           window_since=present.window_since(report.program),
                           form=ConfirmForm())


@bp.route("/reports/tiers.csv")
@vendor_required
def tiers_csv():
    report = tier_report.build(**_report_args())
    header, rows = tier_report.csv_table(report)
    return csv_response(f"tier-report-{report.target}.csv", header, rows)


@bp.route("/reports/tiers/review", methods=["GET", "POST"])
@vendor_required
def tier_review():
    """What a tier review changes today, partner by partner; POST applies it as decided
    (apply, hold with a reason, or set another tier with a reason)."""
    form = ConfirmForm()
    planned, program, version = service.plan()
    problems: list[str] = []
    if form.validate_on_submit():
        rows = {item.standing.organization.id: (item.standing.organization.name,
                                                item.standing.current) for item in planned}
        decisions, shown, problems = read_decisions(request.form, rows)
        if not problems:
            try:
                with saving():
                    outcome = service.review(current_user, decisions, shown)
            except service.ReviewChanged:
                problems = [_("The proposed changes are no longer those on this page (a deal "
                              "or a certification changed them, or another review ran). "
                              "Nothing was applied: check the list again.")]
            else:
                _flash_outcome(outcome)
                return redirect(url_for("reports.tier_review"))
        planned, program, version = service.plan()
    status = 400 if problems else 200
    return render_template("reports/tier_review.html", planned=planned, program=program,
                           version=version, form=form, demotion_date=rules.demotion_date,
                           problems=problems, proposal=service.proposal, values=request.form,
                           tiers=TIERS), status


def _flash_outcome(outcome: service.ReviewOutcome) -> None:
    if outcome.changes:
        flash(ngettext("Tier review applied: %(num)d change recorded.",
                       "Tier review applied: %(num)d changes recorded.", len(outcome.changes)),
              "success")
    if outcome.holds:
        flash(ngettext("%(num)d change held back, with its reason.",
                       "%(num)d changes held back, with their reasons.", len(outcome.holds)),
              "info")
    if not outcome.changes and not outcome.holds:
        flash(_("Nothing to change: every partner holds its tier."), "info")
