"""Admin pages of webhooks: endpoints, their secret (shown once), the delivery log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lms.auth.forms import ConfirmForm
from lms.database import saving
from lms.extensions import db
from lms.formutil import page_arg
from lms.i18n import gettext as _
from lms.models import WebhookDelivery, WebhookEndpoint
from lms.policy import admin_required
from lms.webhooks import bp, rules, service
from lms.webhooks.forms import EVENT_LABELS, EndpointForm

PAGE_SIZE = 50


def _data(form: EndpointForm) -> service.EndpointData:
    return service.EndpointData(url=form.url.data or "", description=form.description.data or "",
                                event_types=form.chosen_events(), enabled=form.enabled.data)


def _confirmed() -> None:
    """An action button's POST: 400 without the form's CSRF token."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _secret_page(endpoint: WebhookEndpoint, secret: str, rotated: bool = False):
    # Rendered, never flashed or redirected: the secret must not sit in a cookie.
    return render_template("webhooks/secret.html", endpoint=endpoint, secret=secret,
                           rotated=rotated, grace=service.ROTATION_GRACE)


@bp.route("")
@admin_required
def endpoint_list():
    return render_template("webhooks/endpoints.html", rows=service.endpoint_rows(),
                           event_labels=EVENT_LABELS, masked=rules.masked)


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new_endpoint():
    form = EndpointForm()
    if form.validate_on_submit():
        with saving(service.WebhookError, form=form) as saved:
            endpoint, secret = service.create_endpoint(current_user, _data(form))
        if saved.ok:
            return _secret_page(endpoint, secret)
    status = 400 if form.errors else 200
    return render_template("webhooks/endpoint_form.html", form=form, endpoint=None), status


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@admin_required
def edit_endpoint(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EndpointForm(obj=endpoint)
    if request.method == "GET":
        form.all_events.data = endpoint.event_types is None
        form.event_types.data = list(endpoint.event_types or [])
    if form.validate_on_submit():
        with saving(service.WebhookError, form=form) as saved:
            service.update_endpoint(current_user, endpoint, _data(form))
        if saved.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("webhooks.edit_endpoint", endpoint_id=endpoint.id))
    page = db.paginate(service.deliveries_query(endpoint), page=page_arg(),
                       per_page=PAGE_SIZE, max_per_page=PAGE_SIZE)
    status = 400 if form.errors else 200
    return render_template(
        "webhooks/endpoint_form.html", form=form, endpoint=endpoint, page=page,
        attempts=service.attempts_of(page.items), confirm_form=ConfirmForm(),
        masked=rules.masked), status


@bp.route("/<int:endpoint_id>/rotate", methods=["POST"])
@admin_required
def rotate_secret(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    _confirmed()
    with saving():
        secret = service.rotate_secret(current_user, endpoint)
    return _secret_page(endpoint, secret, rotated=True)


@bp.route("/<int:endpoint_id>/enable", methods=["POST"])
@admin_required
def enable_endpoint(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    _confirmed()
    with saving():
        service.enable_endpoint(current_user, endpoint)
    flash(_("The endpoint is enabled: deliveries to it resume."), "success")
    return redirect(url_for("webhooks.edit_endpoint", endpoint_id=endpoint.id))


@bp.route("/<int:endpoint_id>/test", methods=["POST"])
@admin_required
def send_test(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    _confirmed()
    with saving(service.WebhookError) as saved:
        service.send_test(current_user, endpoint)
    if saved.ok:
        flash(_("A test message (webhook.test) is queued: it is sent within a minute."),
              "success")
    return redirect(url_for("webhooks.edit_endpoint", endpoint_id=endpoint.id))


@bp.route("/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@admin_required
def redeliver(delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    endpoint_id = delivery.endpoint_id
    _confirmed()
    with saving(service.WebhookError) as saved:
        service.redeliver(current_user, delivery)
    if saved.ok:
        flash(_("The message is queued again, with the same webhook-id."), "success")
    return redirect(url_for("webhooks.edit_endpoint", endpoint_id=endpoint_id))


# Last: the access matrix walks the routes in this order on one set of objects.
@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@admin_required
def delete_endpoint(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    _confirmed()
    url = endpoint.url
    with saving():
        service.delete_endpoint(current_user, endpoint)
    flash(_("The endpoint %(url)s is deleted, with its delivery log.", url=url), "success")
    return redirect(url_for("webhooks.endpoint_list"))
