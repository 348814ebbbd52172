"""Demo environments at /environments: a partner's requests and the ones in use, the
channel team's queue, each environment's page with its steps."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from lms.auth.forms import ConfirmForm
from lms.database import saving
from lms.environments import bp, rules, service
from lms.environments.forms import DecisionForm, DetailsForm, ExtensionForm, RequestForm
from lms.environments.service import DemoEnvError
from lms.extensions import db
from lms.formutil import page_arg
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.models import DemoEnvironment, EnvironmentStatus, Organization, utcnow
from lms.policy import vendor_required
from lms.secretbox import SecretBoxError

PER_PAGE = 50
# What each step of the history was (DemoEnvironmentEvent.action), in words.
EVENT_LABELS = {
    "requested": _l("requested"), "approved": _l("approved"),
    "auto_approved": _l("approved at once by the tier"), "declined": _l("declined"),
    "details_entered": _l("address and sign-in details entered"),
    "details_replaced": _l("sign-in details replaced"),
    "provisioned": _l("set up by the provisioning system"),
    "provision_failed": _l("the provisioning system did not set it up"),
    "provision_stopped": _l("the provisioning system failed for a day: no more calls, the "
                            "channel team sets it up by hand"),
    "provisioned_too_late": _l("set up by the provisioning system after it was withdrawn or "
                               "set up by hand: its system is removed"),
    "credentials_shown": _l("sign-in details shown to the requester, then erased"),
    "extension_asked": _l("extension asked"), "extended": _l("extended"),
    "extension_declined": _l("extension declined"), "returned": _l("returned"),
    "cancelled": _l("withdrawn"), "expired": _l("ended"),
    "deprovisioned": _l("removed by the provisioning system"),
    "deprovision_failed": _l("the provisioning system did not confirm the removal"),
}


def _status_arg() -> EnvironmentStatus | None:
    value = request.args.get("status")
    return EnvironmentStatus(value) if value in {s.value for s in EnvironmentStatus} else None


def _quota():
    if current_user.organization_id is None:
        return None
    organization = db.session.get(Organization, current_user.organization_id)
    return service.quota_of(organization) if organization else None


@bp.route("/environments")
@login_required
def index():
    status = _status_arg()
    page = db.paginate(service.environments_query(current_user, status), page=page_arg(),
                       per_page=PER_PAGE, error_out=False)
    vendor = current_user.is_vendor
    return render_template("environments/index.html", page=page, environments=page.items,
                           status=status, vendor=vendor, quota=None if vendor else _quota(),
                           waiting=service.waiting_count() if vendor else 0,
                           max_days=rules.MAX_DAYS, now=utcnow())


@bp.route("/environments/new", methods=["GET", "POST"])
@login_required
def new():
    if current_user.is_vendor or current_user.organization_id is None:
        abort(403)  # the channel team provides environments; it does not request them
    form = RequestForm()
    form.deal_id.choices = [("", _("— none —"))] + [
        (str(deal.id), f"{deal.customer_name} · {deal.product}")
        for deal in service.company_deals(current_user.organization_id)]
    quota = _quota()
    if form.validate_on_submit():
        with saving(DemoEnvError, form=form) as saved:
            environment = service.request(current_user, service.RequestData(
                form.purpose.data or "", form.days.data or 0, form.chosen_deal()))
        if saved.ok:
            environment_id, auto = environment.id, environment.auto_approved
            _provision_now(environment_id)
            if auto:
                flash(_("Approved at once, as your tier allows: you are told when it is "
                        "ready."), "success")
            else:
                flash(_("Sent to the channel team: you are told when they decide."),
                      "success")
            return redirect(url_for("environments.detail", environment_id=environment_id))
    status = 400 if request.method == "POST" else 200
    return render_template("environments/new.html", form=form, quota=quota), status


def _provision_now(environment_id: int) -> None:
    """An approved environment whose adapter provisions by itself: call it now (a failure
    is recorded and retried by the job)."""
    try:
        with saving(DemoEnvError):
            service.provision(environment_id)
    except SecretBoxError:
        flash(_("The portal has no key to keep the sign-in details (LMS_SECRET_BOX_KEY): "
                "the environment is set up once it has one."), "error")


def _visible(environment_id: int) -> DemoEnvironment:
    environment = service.environment_for(current_user, environment_id)
    if environment is None:
        abort(404)
    return environment


@bp.route("/environments/<int:environment_id>")
@login_required
def detail(environment_id: int):
    return _page(_visible(environment_id))


def _page(environment: DemoEnvironment, forms: dict | None = None, status: int = 200,
          credentials: str | None = None):
    forms = forms or {}
    vendor = current_user.is_vendor
    state = environment.status
    now = utcnow()
    past = service.is_past(environment, now)
    manage = service.may_manage(current_user, environment)
    if vendor and state == EnvironmentStatus.REQUESTED:
        forms.setdefault("decision", DecisionForm(prefix="decision"))
    if vendor and (state == EnvironmentStatus.PROVISIONING or
                   (state == EnvironmentStatus.READY and not past)):
        forms.setdefault("details", DetailsForm(prefix="details"))
    if vendor and state == EnvironmentStatus.READY and environment.extension_days:
        forms.setdefault("extension_decision", DecisionForm(prefix="extdecision"))
    if manage and state == EnvironmentStatus.READY and not past \
            and environment.extension_days is None and environment.ready_at \
            and environment.expires_at \
            and rules.most_extension_days(environment.ready_at, environment.expires_at):
        forms.setdefault("extension", ExtensionForm(prefix="extension"))
    try:
        url = service.url_of(environment)
    except SecretBoxError:
        url = None
        flash(_("The stored address cannot be read with the configured key."), "error")
    response = render_template(
        "environments/detail.html", environment=environment, forms=forms, vendor=vendor,
        url=url, credentials=credentials, past=past, now=now,
        can_reveal=(current_user.id == environment.requested_by_id and
                    state == EnvironmentStatus.READY and not past and
                    environment.credentials_box is not None),
        can_end=(vendor or manage) and state.holds_quota,
        events=service.events_of(environment), confirm=ConfirmForm(), event_labels=EVENT_LABELS,
        max_extension=rules.most_extension_days(environment.ready_at, environment.expires_at)
        if environment.ready_at and environment.expires_at else 0)
    headers = {"Cache-Control": "no-store"}  # an address, once sign-in details: never cached
    return response, status, headers


def _changed(environment_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("environments.detail", environment_id=environment_id))


def _decision(environment_id: int, name: str, prefix: str, decide_with, approved: str):
    """A manager's approve/decline form (its buttons are `action`): `decide_with(environment,
    approve, note)` takes the step; the page again with the reasons when it is refused."""
    environment = _visible(environment_id)
    form = DecisionForm(prefix=prefix)
    action = request.form.get("action")
    if form.validate_on_submit() and action in ("approve", "decline"):
        with saving(DemoEnvError, form=form) as saved:
            decide_with(environment, action == "approve", form.note.data or "")
        if saved.ok:
            return _changed(environment_id, approved if action == "approve" else _("Declined."))
    elif action not in ("approve", "decline"):
        flash(_("Choose one of the buttons of the form."), "error")
    return _page(environment, {name: form}, 400)


@bp.route("/environments/<int:environment_id>/decision", methods=["POST"])
@vendor_required
def decide(environment_id: int):
    def decide_with(environment, approve: bool, note: str) -> None:
        service.decide(environment, current_user, approve, note)

    response = _decision(environment_id, "decision", "decision", decide_with, _("Approved."))
    approved = not isinstance(response, tuple) and request.form.get("action") == "approve"
    if approved:  # a redirect: the approval is saved (a refusal is the page again, a tuple)
        _provision_now(environment_id)  # approved: a provisioning API is called at once
    return response


@bp.route("/environments/<int:environment_id>/details", methods=["POST"])
@vendor_required
def details(environment_id: int):
    environment = _visible(environment_id)
    form = DetailsForm(prefix="details")
    if form.validate_on_submit():
        with saving(DemoEnvError, form=form) as saved:
            service.enter_details(environment, current_user, form.url.data or "",
                                  form.credentials.data or "")
        if saved.ok:
            return _changed(environment_id, _("Saved, encrypted: the requester sees the "
                                              "sign-in details once."))
    return _page(environment, {"details": form}, 400)


@bp.route("/environments/<int:environment_id>/reveal", methods=["POST"])
@login_required
def reveal(environment_id: int):
    """The sign-in details, once: a POST (a link preview or prefetch cannot use them up)."""
    environment = _visible(environment_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    credentials = None
    with saving(DemoEnvError, SecretBoxError) as saved:
        credentials = service.reveal(environment, current_user)
    if not saved.ok:
        return redirect(url_for("environments.detail", environment_id=environment_id))
    return _page(environment, credentials=credentials)


@bp.route("/environments/<int:environment_id>/extension", methods=["POST"])
@login_required
def extension(environment_id: int):
    environment = _visible(environment_id)
    form = ExtensionForm(prefix="extension")
    if form.validate_on_submit():
        granted = False
        with saving(DemoEnvError, form=form) as saved:
            granted = service.ask_extension(environment, current_user, form.days.data or 0,
                                            form.reason.data or "")
        if saved.ok:
            return _changed(environment_id, _("Extended, as your tier allows.") if granted
                            else _("Sent to the channel team: you are told when they "
                                   "decide."))
    return _page(environment, {"extension": form}, 400)


@bp.route("/environments/<int:environment_id>/extension/decision", methods=["POST"])
@vendor_required
def decide_extension(environment_id: int):
    def decide_with(environment, approve: bool, note: str) -> None:
        service.decide_extension(environment, current_user, approve, note)

    return _decision(environment_id, "extension_decision", "extdecision", decide_with,
                     _("Extended."))


@bp.route("/environments/<int:environment_id>/end", methods=["POST"])
@login_required
def end(environment_id: int):
    environment = _visible(environment_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    running = False
    with saving(DemoEnvError) as saved:
        running = service.end(environment, current_user)
    if not saved.ok:
        return redirect(url_for("environments.detail", environment_id=environment_id))
    if running:
        with saving(DemoEnvError):
            service.deprovision(environment_id)
    return _changed(environment_id, _("Returned: its sign-in details are erased.") if running
                    else _("Withdrawn."))
