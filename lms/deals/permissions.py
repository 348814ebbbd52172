"""Who may register, edit and decide on deals."""

from __future__ import annotations

from lms.deals.rules import ACTIONS, TRANSITIONS
from lms.models import Deal, JobFunction, Role, User


def can_register(user: User) -> bool:
    """Partner admins and sales members register deals for their company."""
    return user.role == Role.PARTNER_ADMIN or (
        user.role == Role.MEMBER and user.job_function == JobFunction.SALES)


def can_edit(user: User, deal: Deal) -> bool:
    """Vendor staff always; the registering company's registrars while the deal is open."""
    if user.is_vendor:
        return True
    return (can_register(user) and user.organization_id == deal.organization_id
            and deal.status.is_open)


def allowed_actions(user: User, deal: Deal) -> list[str]:
    """The decisions `user` may take on `deal` now (vendor staff only)."""
    if not user.is_vendor:
        return []
    targets = TRANSITIONS.get(deal.status, ())
    return [action for action, status in ACTIONS.items() if status in targets]
