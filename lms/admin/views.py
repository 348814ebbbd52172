"""Administration: partner companies, people, invitations, audit log."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from lms.admin import bp, service
from lms.admin.forms import (
    JOB_FUNCTION_CHOICES,
    InvitationForm,
    JobFunctionForm,
    OrganizationForm,
    PersonForm,
)
from lms.auth import reset as resets
from lms.auth import service as accounts
from lms.auth import two_factor
from lms.auth.forms import ConfirmForm
from lms.database import saving
from lms.extensions import db, limiter
from lms.formutil import choices, id_arg, page_arg, parse_id
from lms.i18n import gettext as _
from lms.labels import ROLE_LABELS
from lms.mail import mail_configured, send_mail
from lms.models import (
    AuditEvent,
    Invitation,
    JobFunction,
    Organization,
    PartnerType,
    Role,
    Tier,
    User,
)
from lms.policy import (
    PEOPLE_MANAGER_ROLES,
    admin_required,
    get_visible_or_404,
    invitable_roles,
    roles_required,
)

people_managers = roles_required(*PEOPLE_MANAGER_ROLES)
PAGE_SIZE = 50


def _organization_rows() -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(
        db.select(Organization.id, Organization.name).order_by(Organization.name)
    )]


def _organization_choices():
    return choices([("", _("— none (vendor staff) —")), *_organization_rows()])


def _role_choices(viewer: User) -> list[tuple[str, str]]:
    return choices((role.value, ROLE_LABELS[role]) for role in invitable_roles(viewer))


# --- Index -------------------------------------------------------------------------------


@bp.route("/")
@admin_required
def index():
    from lms.navigation import ADMINISTRATION

    return render_template("admin/index.html", items=ADMINISTRATION)


# --- People ------------------------------------------------------------------------------


@bp.route("/users")
@people_managers
def users():
    q = request.args.get("q", "").strip()[:100]
    org_id = id_arg("org") if current_user.role == Role.ADMIN else None
    role = request.args.get("role")
    role = Role(role) if role in Role._value2member_map_ else None
    page = db.paginate(service.people_query(current_user, q, org_id, role), page=page_arg(),
                       per_page=PAGE_SIZE, max_per_page=PAGE_SIZE)
    return render_template(
        "admin/users.html",
        page=page,
        q=q,
        role=role,
        org_id=org_id,
        organizations=_organization_rows() if current_user.role == Role.ADMIN else [],
        invitations=service.pending_invitations(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.route("/users/invite", methods=["GET", "POST"])
@people_managers
@limiter.limit("60 per hour", methods=["POST"])
def invite():
    form = InvitationForm()
    form.role.choices = _role_choices(current_user)
    form.organization_id.choices = (
        _organization_choices() if current_user.role == Role.ADMIN else []
    )
    if current_user.role == Role.PARTNER_ADMIN:
        del form.organization_id
        # Everyone a partner admin invites is a partner person: no "none" to pick by mistake.
        form.job_function.choices = choices(JOB_FUNCTION_CHOICES[1:])
    if form.validate_on_submit():
        org = None
        if "organization_id" in form and parse_id(form.organization_id.data):
            org = db.session.get(Organization, parse_id(form.organization_id.data))
        with saving(accounts.AccountError, field=form.email) as saved:
            issued = accounts.create_invitation(
                current_user,
                form.email.data,
                Role(form.role.data),
                JobFunction(form.job_function.data) if form.job_function.data else None,
                org,
                current_app.config["LMS_INVITATION_DAYS"],
            )
        if saved.ok:
            link = accounts.invitation_link(issued.token)
            mailed = mail_configured() and send_mail(
                issued.invitation.email,
                _("Your invitation to Partner Academy"),
                _("%(name)s invited you to Partner Academy. Set up your account here "
                  "(the link works once and expires in %(days)d days):\n\n%(link)s\n",
                  name=current_user.name, days=current_app.config["LMS_INVITATION_DAYS"],
                  link=link),
            )
            # Rendered, not redirected: the link is shown once and never stored in plain.
            return render_template("admin/invitation_created.html",
                                   invitation=issued.invitation, link=link, mailed=mailed,
                                   mail_configured=mail_configured())
    return render_template("admin/invite.html", form=form)


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@people_managers
def revoke_invitation(invitation_id: int):
    invitation = get_visible_or_404(Invitation, invitation_id)
    if ConfirmForm().validate_on_submit():
        with saving():
            accounts.revoke_invitation(current_user, invitation)
        flash(_("The invitation for %(email)s is revoked.", email=invitation.email), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@people_managers
def edit_user(user_id: int):
    person = get_visible_or_404(User, user_id)
    if current_user.role == Role.PARTNER_ADMIN and not person.role.is_partner:
        abort(404)
    if current_user.role == Role.ADMIN:
        form = PersonForm(obj=person)
        form.role.choices = _role_choices(current_user)
        form.organization_id.choices = _organization_choices()
        if request.method == "GET":
            form.organization_id.data = str(person.organization_id or "")
            form.locale.data = person.locale or ""
            form.job_function.data = person.job_function.value if person.job_function else ""
    else:
        form = JobFunctionForm(obj=person)
        if request.method == "GET" and person.job_function:
            form.job_function.data = person.job_function.value
    if form.validate_on_submit():
        data = form.data
        changes = service.PersonChanges(
            name=data.get("name"),
            role=Role(data["role"]) if data.get("role") else None,
            job_function=JobFunction(data["job_function"]) if data.get("job_function") else None,
            organization_id=parse_id(data.get("organization_id")),
            locale=data.get("locale"),
        )
        with saving(accounts.AccountError) as saved:
            service.update_person(current_user, person, changes)
        if not saved.ok:
            return render_template("admin/edit_user.html", form=form, person=person,
                                   confirm_form=ConfirmForm()), 400
        flash(_("Saved."), "success")
        return redirect(url_for("admin.edit_user", user_id=person.id))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/edit_user.html", form=form, person=person,
                           confirm_form=ConfirmForm()), status


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@people_managers
def deactivate_user(user_id: int):
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@people_managers
def reactivate_user(user_id: int):
    return _set_active(user_id, True)


def _confirmed_person(user_id: int) -> User:
    """The person an action button of their page was pressed for (404 when not the viewer's
    to manage, 400 without the form's CSRF token)."""
    person = get_visible_or_404(User, user_id)
    if current_user.role == Role.PARTNER_ADMIN and not person.role.is_partner:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return person


def _set_active(user_id: int, active: bool):
    person = _confirmed_person(user_id)
    with saving(accounts.AccountError) as saved:
        service.set_active(current_user, person, active)
    if saved.ok:
        if active:
            flash(_("%(name)s can sign in again.", name=person.name), "success")
        else:
            flash(_("%(name)s is deactivated and signed out.", name=person.name), "success")
    return redirect(url_for("admin.edit_user", user_id=person.id))


@bp.route("/users/<int:user_id>/reset-two-factor", methods=["POST"])
@admin_required
def reset_two_factor(user_id: int):
    """Lost device: only vendor administrators, never partner admins or managers."""
    person = db.get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving(accounts.AccountError) as saved:
        two_factor.reset(current_user, person)
    if saved.ok:
        flash(_("Two-factor sign-in of %(name)s is reset and they are signed out. They sign in "
                "with their password and set it up again.", name=person.name), "success")
    return redirect(url_for("admin.edit_user", user_id=person.id))


@bp.route("/users/<int:user_id>/password-reset", methods=["POST"])
@people_managers
@limiter.limit("30 per hour", methods=["POST"])
def send_password_reset(user_id: int):
    person = _confirmed_person(user_id)
    with saving(accounts.AccountError) as saved:
        issued = resets.send_reset_by_admin(current_user, person)
    if not saved.ok:
        return redirect(url_for("admin.edit_user", user_id=person.id))
    mailed = resets.mail_reset(issued, sent_by=current_user)
    # Rendered, not redirected: an unsent link is shown once, to vendor admins only (with it,
    # a partner admin could sign in as their colleague), and never stored in plain.
    link = resets.reset_link(issued) if not mailed and current_user.role == Role.ADMIN else None
    return render_template("admin/password_reset_created.html", person=person,
                           reset=issued.reset, link=link, mailed=mailed,
                           mail_configured=mail_configured())


# --- Partner companies -------------------------------------------------------------------


def _organization_data(form: OrganizationForm) -> service.OrganizationData:
    return service.OrganizationData(
        name=form.name.data, slug=form.slug.data.strip().lower(), tier=Tier(form.tier.data),
        signed_on=form.signed_on.data, active=form.active.data,
        partner_type=PartnerType(form.partner_type.data),
    )


@bp.route("/organizations")
@admin_required
def organizations():
    q = request.args.get("q", "").strip()[:100]
    stmt = db.select(Organization).order_by(Organization.name)
    if q:
        stmt = stmt.where(Organization.name.ilike(f"%{q}%") | Organization.slug.ilike(f"%{q}%"))
    page = db.paginate(stmt, page=page_arg(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE)
    return render_template("admin/organizations.html", page=page, q=q)


@bp.route("/organizations/new", methods=["GET", "POST"])
@admin_required
def new_organization():
    form = OrganizationForm()
    if form.validate_on_submit():
        with saving(accounts.AccountError, field=form.slug) as saved:
            org = service.create_organization(current_user, _organization_data(form))
        if saved.ok:
            flash(_("%(name)s is added.", name=org.name), "success")
            return redirect(url_for("admin.organizations"))
    status = 400 if form.errors else 200
    return render_template("admin/organization_form.html", form=form, org=None), status


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
@admin_required
def edit_organization(org_id: int):
    org = db.get_or_404(Organization, org_id)
    form = OrganizationForm(obj=org)
    if request.method == "GET":
        form.tier.data = org.tier.value
        form.partner_type.data = org.partner_type.value
    if form.validate_on_submit():
        with saving(accounts.AccountError, field=form.slug) as saved:
            service.update_organization(current_user, org, _organization_data(form))
        if saved.ok:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.edit_organization", org_id=org.id))
    status = 400 if form.errors else 200
    return render_template("admin/organization_form.html", form=form, org=org), status


# --- Audit log ---------------------------------------------------------------------------


@bp.route("/audit")
@admin_required
def audit_log():
    stmt = (
        db.select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.target_user))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    page = db.paginate(stmt, page=page_arg(), per_page=PAGE_SIZE, max_per_page=PAGE_SIZE)
    return render_template("admin/audit.html", page=page)
