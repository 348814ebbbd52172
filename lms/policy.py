"""Access control in one place: who may call a function, and which rows a viewer may see.

Every view of partner data goes through these helpers: a forbidden function answers 403,
another company's object answers 404 (its existence is not revealed).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import Select, false

from lms.extensions import db
from lms.models import Organization, Role, User

VENDOR_ROLES = (Role.MANAGER, Role.ADMIN)
PEOPLE_MANAGER_ROLES = (Role.PARTNER_ADMIN, Role.ADMIN)


def roles_required(*roles: Role) -> Callable:
    """Require a signed-in person with one of `roles` (403 otherwise)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


admin_required = roles_required(Role.ADMIN)
vendor_required = roles_required(*VENDOR_ROLES)


def scope(stmt: Select, organization_column, viewer: User | None = None) -> Select:
    """Restrict a query of partner data to what `viewer` may see (vendor staff see all)."""
    viewer = viewer or current_user
    if viewer.role in VENDOR_ROLES:
        return stmt
    return stmt.where(organization_column == viewer.organization_id)


def own_or_company(stmt: Select, organization_column, owner_column, viewer: User) -> Select:
    """Restrict a query of what people ask of the vendor for their company (questions, demo
    environments): vendor staff see all, a partner admin the company's, anyone else their
    own; a person without a company nothing."""
    if viewer.is_vendor:
        return stmt
    if viewer.organization_id is None:
        return stmt.where(false())
    stmt = stmt.where(organization_column == viewer.organization_id)
    if viewer.role != Role.PARTNER_ADMIN:
        stmt = stmt.where(owner_column == viewer.id)
    return stmt


def get_visible_or_404(model, ident, viewer: User | None = None, organization_attr: str =
                       "organization_id", options: tuple = ()):
    """Load one row of partner data (with loader `options`); 404 when it does not exist or
    the viewer may not see it."""
    stmt = db.select(model).where(model.id == ident).options(*options)
    obj = db.session.scalar(scope(stmt, getattr(model, organization_attr), viewer))
    if obj is None:
        abort(404)
    return obj


def company_or_404(slug: str, viewer: User | None = None) -> Organization:
    """A partner company by its slug: for a partner only its own (another is 404, as if it
    did not exist), for vendor staff any."""
    stmt = db.select(Organization).where(Organization.slug == slug)
    organization = db.session.scalar(scope(stmt, Organization.id, viewer))
    if organization is None:
        abort(404)
    return organization


def can_manage_person(viewer: User, person: User) -> bool:
    """Admins manage everyone; partner admins manage the partner people of their company."""
    if viewer.role == Role.ADMIN:
        return True
    return (
        viewer.role == Role.PARTNER_ADMIN
        and person.role.is_partner
        and person.organization_id == viewer.organization_id
    )


def invitable_roles(viewer: User) -> tuple[Role, ...]:
    """Roles this viewer may hand out in an invitation."""
    if viewer.role == Role.ADMIN:
        return tuple(Role)
    if viewer.role == Role.PARTNER_ADMIN:
        return (Role.MEMBER, Role.PARTNER_ADMIN)
    return ()
