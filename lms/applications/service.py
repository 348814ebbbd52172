"""Partner applications: sent from the public page, decided by the channel team. Services
flush; views commit."""

from __future__ import annotations

import re
import unicodedata
from contextlib import nullcontext
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_

from lms import audit
from lms.admin.service import OrganizationData, create_organization
from lms.auth.service import IssuedInvitation, create_invitation, invitation_link
from lms.clock import program_today, utcnow
from lms.database import lock_row
from lms.extensions import db
from lms.i18n import gettext as _
from lms.mail import send_mail
from lms.models import (
    ApplicationStatus,
    AuditAction,
    JobFunction,
    Organization,
    PartnerApplication,
    PartnerType,
    Role,
    Tier,
    User,
    normalize_email,
)


class ApplicationError(ValueError):
    """A decision that cannot be made; the message is for the manager."""


@dataclass(frozen=True)
class ApplicationData:
    company_name: str
    corporate_number: str | None  # normalized and checked by the form
    contact_name: str
    contact_email: str
    contact_phone: str
    partner_type: PartnerType
    region: str
    products: str
    message: str
    locale: str


def submit(data: ApplicationData) -> PartnerApplication:
    application = PartnerApplication(
        company_name=data.company_name.strip(), corporate_number=data.corporate_number,
        contact_name=data.contact_name.strip(), contact_email=normalize_email(data.contact_email),
        contact_phone=data.contact_phone.strip(), partner_type=data.partner_type,
        region=data.region, products=data.products.strip(), message=data.message.strip(),
        locale=data.locale)
    db.session.add(application)
    db.session.flush()
    return application


def applications(status: ApplicationStatus | None = None) -> list[PartnerApplication]:
    """Pending first, then newest first."""
    query = db.select(PartnerApplication).order_by(
        (PartnerApplication.status != ApplicationStatus.PENDING),
        PartnerApplication.created_at.desc(), PartnerApplication.id.desc())
    if status is not None:
        query = query.where(PartnerApplication.status == status)
    return list(db.session.scalars(query))


def pending_count() -> int:
    return db.session.scalar(db.select(db.func.count()).where(
        PartnerApplication.status == ApplicationStatus.PENDING)) or 0


def similar(application: PartnerApplication) -> list[PartnerApplication]:
    """Other applications from the same corporate number or contact address: a second try,
    or someone else applying for the same company (the manager should know)."""
    same = [PartnerApplication.contact_email == application.contact_email]
    if application.corporate_number:
        same.append(PartnerApplication.corporate_number == application.corporate_number)
    return list(db.session.scalars(
        db.select(PartnerApplication)
        .where(PartnerApplication.id != application.id, or_(*same))
        .order_by(PartnerApplication.created_at.desc())))


# Legal forms at the end of a name, which a short name leaves out ("Kumo Works K.K.").
_LEGAL_FORM = re.compile(r"[\s,]+(?:k\.?\s?k|co|corp|corporation|inc|ltd|limited|llc|pte|gmbh|"
                         r"plc|s\.?a|b\.?v|ag)\.?$")


def suggested_slug(company_name: str) -> str:
    """A short name for the company's addresses: its name without its legal form, in
    lower-case ASCII letters and digits joined by dashes (a name with none, in Japanese say,
    suggests nothing), made unique among the companies."""
    ascii_name = unicodedata.normalize("NFKD", company_name).encode("ascii", "ignore").decode()
    name = ascii_name.lower().strip()
    while (shorter := _LEGAL_FORM.sub("", name)) != name and shorter:
        name = shorter
    base = re.sub(r"[^a-z0-9]+", "-", name).strip("-")[:70].strip("-")
    if not base:
        return ""
    taken = set(db.session.scalars(db.select(Organization.slug)
                                   .where(Organization.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _decide(actor: User, application: PartnerApplication) -> None:
    """Take the application alone: two managers deciding at once, one of them wins."""
    lock_row(PartnerApplication, application.id)
    db.session.refresh(application)
    if application.status != ApplicationStatus.PENDING:
        raise ApplicationError(_("This application was already decided."))
    application.decided_by_id, application.decided_at = actor.id, utcnow()


def approve(actor: User, application: PartnerApplication, name: str, slug: str,
            partner_type: PartnerType, tier: Tier, job_function: JobFunction
            ) -> IssuedInvitation:
    """Create the company and invite the applicant as its partner admin. AccountError when
    the short name is taken or the address already has an account (nothing is changed)."""
    _decide(actor, application)
    org = create_organization(actor, OrganizationData(
        name=name, slug=slug, tier=tier, signed_on=program_today(), partner_type=partner_type))
    issued = create_invitation(actor, application.contact_email, Role.PARTNER_ADMIN, job_function,
                               org, current_app.config["LMS_INVITATION_DAYS"],
                               approving_application=True)
    application.status = ApplicationStatus.APPROVED
    application.organization_id = org.id
    audit.record(AuditAction.APPLICATION_APPROVED, actor=actor, organization_id=org.id,
                 application_id=application.id, email=application.contact_email)
    return issued


def decline(actor: User, application: PartnerApplication, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Say why: the applicant is told the reason."))
    _decide(actor, application)
    application.status = ApplicationStatus.DECLINED
    application.decline_reason = reason
    audit.record(AuditAction.APPLICATION_DECLINED, actor=actor, application_id=application.id,
                 email=application.contact_email)


# --- Mail, in the applicant's language ---------------------------------------------------------


def _in_their_language(application: PartnerApplication):
    return force_locale(application.locale) if application.locale else nullcontext()


def mail_invitation(application: PartnerApplication, issued: IssuedInvitation) -> bool:
    """The approval with the invitation link; False when mail is not configured (the page
    shows the link once instead) or could not be sent."""
    link = invitation_link(issued.token)
    days = current_app.config["LMS_INVITATION_DAYS"]
    with _in_their_language(application):
        return send_mail(
            application.contact_email,
            _("Welcome to the partner program"),
            _("Dear %(name)s,\n\nthank you for applying: %(company)s is now a partner. Set up "
              "your account as its partner administrator here (the link works once and "
              "expires in %(days)d days):\n\n%(link)s\n",
              name=application.contact_name, company=application.company_name, days=days,
              link=link))


def mail_decline(application: PartnerApplication) -> bool:
    with _in_their_language(application):
        return send_mail(
            application.contact_email,
            _("Your application to the partner program"),
            _("Dear %(name)s,\n\nthank you for applying to the partner program for "
              "%(company)s. We cannot accept the application at this time:\n\n%(reason)s\n\n"
              "You are welcome to reply to this message with any questions.\n",
              name=application.contact_name, company=application.company_name,
              reason=application.decline_reason))
