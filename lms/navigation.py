"""The navigation of the layout, by role: each feature adds its entries here."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from lms.models import Role

ALL_SIGNED_IN = tuple(Role)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: tuple[Role, ...]


NAVIGATION: list[NavItem] = [
    NavItem("main.home", _l("Home"), ALL_SIGNED_IN),
    NavItem("courses.catalog", _l("Courses"), ALL_SIGNED_IN),
    NavItem("quizzes.quiz_list", _l("Quizzes & exams"), ALL_SIGNED_IN),
    NavItem("credentials.mine", _l("My credentials"), (Role.MEMBER, Role.PARTNER_ADMIN)),
    NavItem("credentials.expiring", _l("Expiring"), (Role.PARTNER_ADMIN, Role.MANAGER,
                                                     Role.ADMIN)),
    NavItem("courses.progress", _l("Progress"), (Role.PARTNER_ADMIN, Role.MANAGER, Role.ADMIN)),
    NavItem("admin.users", _l("People"), (Role.PARTNER_ADMIN,)),
    NavItem("admin.users", _l("Users"), (Role.ADMIN,)),
    NavItem("admin.organizations", _l("Partners"), (Role.ADMIN,)),
    NavItem("quizzes.statistics_list", _l("Quiz statistics"), (Role.MANAGER, Role.ADMIN)),
    NavItem("credentials.admin_awards", _l("Awards"), (Role.ADMIN,)),
    NavItem("admin.audit_log", _l("Audit log"), (Role.ADMIN,)),
]


def navigation_for(user) -> list[NavItem]:
    """The entries this person may open (none when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [item for item in NAVIGATION if user.role in item.roles]
