"""The sales-asset library: browse, details and history, download, publish, versions, usage."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge

from lms.assets import access, bp, downloads, metadata, publishing
from lms.assets.filetypes import FILE_TYPES, extension_of, family_of
from lms.assets.forms import AssetForm, PublishForm, VersionForm
from lms.assets.library import asset_page, find_version, parse_filters
from lms.assets.library import library as library_page
from lms.assets.storage import attachment
from lms.auth.forms import ConfirmForm
from lms.clock import program_today
from lms.csvutil import csv_response
from lms.database import saving
from lms.errors import render_error
from lms.formutil import page_arg
from lms.i18n import gettext as _
from lms.labels import TIER_LABELS
from lms.models import Asset, AssetVersion, utcnow
from lms.numbers import format_decimal
from lms.policy import vendor_required
from lms.terms import service as terms_service
from lms.terms.gate import terms_required


def file_size(size: int) -> str:
    """1536 -> "1.5 KB", in the page's number format."""
    if size < 1024:
        return _("%(n)d bytes", n=size)
    value, unit = size / 1024, "KB"
    for larger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{format_decimal(value, format='#,##0.#')} {unit}"


def file_label(version: AssetVersion) -> str:
    file_type = FILE_TYPES.get(extension_of(version.filename))
    return file_type.label if file_type else version.content_type


@bp.context_processor
def _asset_helpers() -> dict:
    return {"file_size": file_size, "file_label": file_label, "file_family": family_of,
            "language_names": metadata.ASSET_LANGUAGES}


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_error(413, _(
        "The file is larger than the upload limit of %(limit)s, so nothing was saved. "
        "Compress it or split it, then upload it again.", limit=file_size(limit)))


def _asset_or_404(slug: str) -> Asset:
    asset = access.visible_asset(current_user, slug)
    if asset is None:
        abort(404)
    return asset


def _form_status(form) -> int:
    return 400 if request.method == "POST" and form.errors else 200


# --- Browsing --------------------------------------------------------------------------------


@bp.route("/assets")
@login_required
def library():
    filters, ignored = parse_filters(request.args)
    page = library_page(current_user, filters, page_arg(), ignored)
    return render_template("assets/library.html", page=page, filters=filters)


@bp.route("/assets/<slug>")
@login_required
def detail(slug: str):
    page = asset_page(current_user, _asset_or_404(slug))
    return render_template("assets/detail.html", page=page, asset=page.asset)


def _serve(asset: Asset, version: AssetVersion):
    """Send the stored file as an attachment that cannot run in the browser; count it."""
    try:
        response = attachment(version.sha256, version.content_type, version.size,
                              version.filename, f"{asset.slug}-v{version.number}")
    except FileNotFoundError:
        current_app.logger.error("asset %s version %d: file %s missing from the storage",
                                 asset.slug, version.number, version.sha256)
        return render_error(404, _("The file of this asset cannot be found right now. Please "
                                   "tell your channel manager."))
    if request.method == "GET":  # a HEAD request downloads nothing
        downloads.record_download(current_user, asset, version)
    return response


@bp.route("/assets/<slug>/download")
@login_required
def download(slug: str):
    asset = _asset_or_404(slug)
    if not access.can_download(current_user, asset):
        return render_error(403, _("This asset is for %(tier)s partners and above.",
                                   tier=TIER_LABELS[asset.min_tier]))
    blocking = terms_service.blocking_version(current_user)
    if blocking is not None:
        return terms_required(blocking)
    version = find_version(asset)
    if version is None:
        abort(404)
    return _serve(asset, version)


@bp.route("/assets/<slug>/versions/<int:number>/download")
@vendor_required
def version_download(slug: str, number: int):
    asset = _asset_or_404(slug)
    version = find_version(asset, number)
    if version is None:
        abort(404)
    return _serve(asset, version)


# --- Publishing ------------------------------------------------------------------------------


@bp.route("/assets/new", methods=["GET", "POST"])
@vendor_required
def new():
    form = PublishForm()
    if form.validate_on_submit():
        with saving(metadata.AssetError, form=form) as saved:
            asset = publishing.publish(current_user, form.asset_data(), form.file.data,
                                       form.change_note.data or "")
        if saved.ok:
            flash(_("“%(title)s” is published.", title=asset.title), "success")
            return redirect(url_for("assets.detail", slug=asset.slug))
    return render_template("assets/form.html", form=form, asset=None), _form_status(form)


@bp.route("/assets/<slug>/edit", methods=["GET", "POST"])
@vendor_required
def edit(slug: str):
    asset = _asset_or_404(slug)
    action = request.form.get("action") if request.method == "POST" else None
    if action in {"archive", "unarchive"}:
        if not ConfirmForm().validate_on_submit():
            abort(400)
        with saving():
            publishing.set_archived(current_user, asset, action == "archive")
        flash(_("“%(title)s” is archived: partners no longer see it.", title=asset.title)
              if action == "archive" else
              _("“%(title)s” is back in the library.", title=asset.title), "success")
        return redirect(url_for("assets.detail", slug=asset.slug))
    form = AssetForm()
    if request.method == "GET":
        form.fill_from(asset)
    if form.validate_on_submit():
        with saving(metadata.AssetError, form=form) as saved:
            publishing.update_asset(current_user, asset, form.asset_data())
        if saved.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("assets.detail", slug=asset.slug))
    return render_template("assets/form.html", form=form, asset=asset), _form_status(form)


@bp.route("/assets/<slug>/versions/new", methods=["GET", "POST"])
@vendor_required
def new_version(slug: str):
    asset = _asset_or_404(slug)
    form = VersionForm()
    if form.validate_on_submit():
        with saving(metadata.AssetError, form=form) as saved:
            version = publishing.add_version(current_user, asset, form.file.data,
                                             form.change_note.data)
        if saved.ok:
            flash(_("Version %(n)d is now the one partners download.", n=version.number),
                  "success")
            return redirect(url_for("assets.detail", slug=asset.slug))
    current = find_version(asset)
    return render_template("assets/version_form.html", form=form, asset=asset,
                           current=current), _form_status(form)


@bp.route("/assets/<slug>/versions/<int:number>/restore", methods=["POST"])
@vendor_required
def restore_version(slug: str, number: int):
    asset = _asset_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving(metadata.AssetError) as saved:
        version = publishing.restore_version(current_user, asset, number)
    if saved.ok:
        flash(_("The file of version %(old)d is published again as version %(new)d.",
                old=number, new=version.number), "success")
    return redirect(url_for("assets.detail", slug=slug))


# --- Usage -----------------------------------------------------------------------------------


@bp.route("/reports/assets")
@vendor_required
def usage():
    days = downloads.usage_days(request.args.get("days"))
    if request.args.get("days") not in (None, "", str(days)):
        flash(_("Choose a period of 30, 90 or 365 days; showing %(n)d days.", n=days), "info")
    return render_template("assets/usage.html", report=downloads.usage_report(days),
                           periods=downloads.USAGE_PERIODS)


@bp.route("/reports/assets.csv")
@vendor_required
def usage_csv():
    days = downloads.usage_days(request.args.get("days"))
    now = utcnow()
    rows = [[u.organization_name, u.organization_slug, u.tier.value, u.asset_title,
             u.asset_slug, u.downloads, u.people, u.last_at.isoformat(timespec="seconds")]
            for u in downloads.partner_usage(downloads.usage_since(days, now))]
    return csv_response(
        f"asset-usage-{days}d-{program_today(now):%Y-%m-%d}.csv",
        ["partner", "partner_slug", "tier", "asset", "asset_slug", "downloads", "people",
         "last_download_utc"], rows)
