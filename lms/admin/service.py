"""Administration of partner companies and people. Services flush; views commit."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_

from lms import audit
from lms.auth.service import AccountError, end_all_sessions
from lms.events import learning_progressed
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import (
    AuditAction,
    Invitation,
    JobFunction,
    Organization,
    PartnerType,
    Role,
    Tier,
    User,
    utcnow,
)
from lms.policy import can_manage_person, scope

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


@dataclass(frozen=True)
class OrganizationData:
    name: str
    slug: str
    tier: Tier
    signed_on: date
    active: bool = True
    partner_type: PartnerType = PartnerType.RESALE


def _check_organization(data: OrganizationData, existing: Organization | None) -> None:
    if not SLUG_RE.match(data.slug):
        raise AccountError(_("Use lower-case letters, digits and dashes for the short name."))
    clash = db.session.scalar(
        db.select(Organization.id).where(Organization.slug == data.slug)
    )
    if clash is not None and (existing is None or clash != existing.id):
        raise AccountError(_("Another company already uses this short name."))


def create_organization(actor: User, data: OrganizationData) -> Organization:
    _check_organization(data, None)
    org = Organization(name=data.name.strip(), slug=data.slug, tier=data.tier,
                       signed_on=data.signed_on, active=data.active,
                       partner_type=data.partner_type)
    db.session.add(org)
    db.session.flush()
    audit.record(AuditAction.ORGANIZATION_CREATED, actor=actor, organization_id=org.id,
                 slug=org.slug)
    return org


def update_organization(actor: User, org: Organization, data: OrganizationData) -> None:
    _check_organization(data, org)
    changes = {}
    for key in ("name", "slug", "tier", "signed_on", "active", "partner_type"):
        new = getattr(data, key)
        if getattr(org, key) != new:
            changes[key] = f"{getattr(org, key)} -> {new}"
            setattr(org, key, new)
    if changes:
        audit.record(AuditAction.ORGANIZATION_UPDATED, actor=actor, organization_id=org.id,
                     changes=changes)
    if "active" in changes and not org.active:
        # Sessions end now, so reactivating the company later does not revive old ones.
        for person in db.session.scalars(db.select(User).where(User.organization_id == org.id)):
            end_all_sessions(person)


def people_query(viewer: User, q: str = "", organization_id: int | None = None,
                 role: Role | None = None, include_inactive: bool = True):
    """The people `viewer` may manage, filtered; newest first."""
    stmt = scope(db.select(User), User.organization_id, viewer)
    if viewer.role == Role.PARTNER_ADMIN:
        stmt = stmt.where(User.role.in_((Role.MEMBER, Role.PARTNER_ADMIN)))
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(User.email.like(like), func.lower(User.name).like(like)))
    if organization_id:
        stmt = stmt.where(User.organization_id == organization_id)
    if role:
        stmt = stmt.where(User.role == role)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return stmt.order_by(User.organization_id, User.name)


def pending_invitations(viewer: User) -> list[Invitation]:
    stmt = scope(db.select(Invitation), Invitation.organization_id, viewer).where(
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > utcnow(),
    )
    return list(db.session.scalars(stmt.order_by(Invitation.created_at.desc())))


def _active_admin_count() -> int:
    return db.session.scalar(
        db.select(func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True))
    ) or 0


@dataclass(frozen=True)
class PersonChanges:
    name: str | None = None
    role: Role | None = None
    job_function: JobFunction | None = None
    organization_id: int | None = None
    locale: str | None = None


def update_person(actor: User, person: User, changes: PersonChanges) -> None:
    """Apply what `actor` may change: admins everything, partner admins the job function."""
    if not can_manage_person(actor, person):
        raise AccountError(_("You may not change this person."))
    if actor.role == Role.PARTNER_ADMIN:
        changes = PersonChanges(job_function=changes.job_function)
    new_role = changes.role or person.role
    if new_role != person.role and person.id == actor.id:
        raise AccountError(_("You cannot change your own role."))
    if (person.role == Role.ADMIN and person.active and new_role != Role.ADMIN
            and _active_admin_count() <= 1):
        raise AccountError(_("The last administrator cannot lose the role."))
    new_org = changes.organization_id if actor.role == Role.ADMIN else person.organization_id
    if new_role.is_partner and new_org is None:
        raise AccountError(_("People of a partner company need their company."))
    if not new_role.is_partner:
        new_org = None
    if new_role == Role.MEMBER and (changes.job_function or person.job_function) is None:
        raise AccountError(_("Choose sales or technical for a member."))

    detail = {}
    if changes.name is not None and changes.name.strip() != person.name:
        detail["name"] = "changed"
        person.name = changes.name.strip()
    if changes.job_function is not None and changes.job_function != person.job_function:
        detail["job_function"] = f"{person.job_function} -> {changes.job_function}"
        person.job_function = changes.job_function
    if actor.role == Role.ADMIN:
        if changes.locale is not None and (changes.locale or None) != person.locale:
            person.locale = changes.locale or None
        if new_org != person.organization_id:
            # Not "organization_id": record() takes that as the event's company column.
            detail["company"] = f"{person.organization_id} -> {new_org}"
            person.organization_id = new_org
        if new_role != person.role:
            audit.record(AuditAction.ROLE_CHANGE, actor=actor, target=person,
                         old=person.role.value, new=new_role.value)
            person.role = new_role
            # A changed role must take effect now, not at the next sign-in.
            end_all_sessions(person)
    if detail:
        audit.record(AuditAction.USER_UPDATED, actor=actor, target=person, changes=detail)
    db.session.flush()
    if "job_function" in detail or "company" in detail:
        # A credential that needs this job function may now be earned by what is done.
        learning_progressed.send(person)


def set_active(actor: User, person: User, active: bool) -> None:
    """Deactivate (sessions end at once) or reactivate a person."""
    if not can_manage_person(actor, person):
        raise AccountError(_("You may not change this person."))
    if person.id == actor.id:
        raise AccountError(_("You cannot deactivate yourself."))
    if person.active == active:
        return
    if not active and person.role == Role.ADMIN and _active_admin_count() <= 1:
        raise AccountError(_("The last administrator cannot be deactivated."))
    person.active = active
    if not active:
        end_all_sessions(person)
    audit.record(AuditAction.REACTIVATION if active else AuditAction.DEACTIVATION,
                 actor=actor, target=person)
    db.session.flush()
