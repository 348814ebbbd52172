"""The program terms: read them (everyone signed in), accept them (a partner admin, for the
company), and see which companies have not accepted yet (the channel team)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from lms.clock import program_today, program_zone
from lms.csvutil import csv_response
from lms.database import saving
from lms.errors import render_error
from lms.i18n import gettext as _
from lms.labels import PARTNER_TYPE_LABELS, TIER_LABELS
from lms.markup import render_markdown
from lms.models import Role, TermsVersion, Tier
from lms.policy import vendor_required
from lms.terms import bp, service
from lms.terms.forms import AcceptForm
from lms.terms.rules import VersionInfo
from lms.terms.service import Acceptance, TermsError


def _shown(version: TermsVersion) -> dict:
    title, body, changes, language = service.text_of(version, str(get_locale()))
    return {"version": version, "title": title, "html": render_markdown(body),
            "changes": changes, "language": language}


def _stored(info: VersionInfo) -> TermsVersion | None:
    """The row of a published version (None if a sync archived it since the cache was read)."""
    return service.version_named(info.version)


def _form(info: VersionInfo, **kwargs) -> AcceptForm:
    # One form per version shown (in force, coming): ids stay unique on the page.
    return AcceptForm(prefix=f"v{info.id}", **kwargs)


@bp.route("/terms")
@login_required
def current():
    """The terms in force (and a coming version), with the company's acceptance of each."""
    versions = service.to_accept()
    accepted = (service.accepted_ids(current_user.organization_id, [v.id for v in versions])
                if current_user.organization_id else set())
    shown = [dict(_shown(stored), info=v, accepted=v.id in accepted,
                  in_force=v.effective_on <= program_today(), form=_form(v, digest=v.digest))
             for v in versions if (stored := _stored(v)) is not None]
    history = (service.acceptances_of(current_user.organization_id)
               if current_user.organization_id else [])
    return render_template("terms/current.html", shown=shown, history=history,
                           may_accept=current_user.role == Role.PARTNER_ADMIN)


@bp.route("/terms/<version>")
@login_required
def version(version: str):
    """One version as it was published (an older one a company accepted, say)."""
    stored = service.version_named(version)
    if stored is None:
        abort(404)
    return render_template("terms/version.html", shown=_shown(stored))


@bp.route("/terms/<version>/accept", methods=["POST"])
@login_required
def accept(version: str):
    if current_user.role != Role.PARTNER_ADMIN:
        abort(403)
    info = next((v for v in service.published() if v.version == version), None)
    form = _form(info) if info else AcceptForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("terms.current"))
    where = Acceptance(request.remote_addr or "", request.user_agent.string or "",
                       str(get_locale()))
    with saving(TermsError) as saved:
        service.accept(current_user, version, form.digest.data, where)
    if saved.ok:
        company = current_user.organization.name
        if service.blocking_version(current_user) is None:
            flash(_("Accepted for %(company)s: thank you. Your people can register deals and "
                    "download material.", company=company), "success")
        else:  # a coming version, while the one in force still waits
            flash(_("Accepted for %(company)s: thank you. The version in force still needs "
                    "your acceptance.", company=company), "warning")
    return redirect(url_for("terms.current"))


# --- The channel team -------------------------------------------------------------------


def _status_arg() -> str:
    status = request.args.get("status", "all")
    return status if status in service.STATUSES else "all"


def _version_arg() -> VersionInfo | None:
    versions = service.published()
    name = request.args.get("version")
    if name:
        return next((v for v in versions if v.version == name), None) or abort(404)
    return service.in_force() or (versions[-1] if versions else None)


def _title(info: VersionInfo | None) -> str:
    stored = _stored(info) if info else None
    if info is not None and stored is None:
        abort(404)  # archived by a sync since this worker's copy was read
    return service.text_of(stored, str(get_locale()))[0] if stored else ""


@bp.route("/terms/acceptances")
@vendor_required
def acceptances():
    info = _version_arg()
    status = _status_arg()
    rows = service.partner_statuses(info, status) if info else []
    pending = len(service.pending_companies(info)) if info else 0
    return render_template("terms/acceptances.html", info=info, rows=rows, status=status,
                           pending=pending, versions=service.published(),
                           title=_title(info))


@bp.route("/terms/acceptances.csv")
@vendor_required
def acceptances_csv():
    info = _version_arg()
    if info is None:
        return render_error(404, _("No program terms are published yet."))
    zone = program_zone()
    header = [_("Company"), _("Partner type"), _("Tier"), _("Terms version"), _("Accepted"),
              _("Accepted by"), _("Email"), _("From address"), _("Browser")]
    rows = [[r.name, str(PARTNER_TYPE_LABELS[r.partner_type]), str(TIER_LABELS[Tier(r.tier)]),
             info.version,
             # The exact moment, in the program's time zone with its offset.
             r.acceptance.accepted_at.astimezone(zone).isoformat(timespec="seconds")
             if r.acceptance else "",
             r.acceptance.accepted_name if r.acceptance else "",
             r.acceptance.accepted_email if r.acceptance else "",
             r.acceptance.ip_address if r.acceptance else "",
             r.acceptance.user_agent if r.acceptance else ""]
            for r in service.partner_statuses(info, _status_arg())]
    return csv_response(f"terms-{info.version}-acceptances.csv", header, rows)

