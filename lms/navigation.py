"""The navigation of the layout, by role: each feature adds its entries here."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app
from flask_babel import get_locale

from lms.i18n import lazy_gettext as _l
from lms.models import Role

ALL_SIGNED_IN = tuple(Role)


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: tuple[Role, ...]


PARTNER_ROLES = (Role.MEMBER, Role.PARTNER_ADMIN)
VENDOR = (Role.MANAGER, Role.ADMIN)

NAVIGATION: list[NavItem] = [
    NavItem("main.home", _l("Home"), ALL_SIGNED_IN),
    NavItem("courses.catalog", _l("Courses"), ALL_SIGNED_IN),
    NavItem("quizzes.quiz_list", _l("Quizzes & exams"), ALL_SIGNED_IN),
    NavItem("assets.library", _l("Library"), ALL_SIGNED_IN),
    NavItem("deals.deal_list", _l("Deals"), ALL_SIGNED_IN),
    NavItem("credentials.mine", _l("My credentials"), PARTNER_ROLES),
    NavItem("tiers.partner_list", _l("Our tier"), PARTNER_ROLES),
    NavItem("tiers.partner_list", _l("Partners"), VENDOR),
    NavItem("reports.tiers", _l("Tier report"), VENDOR),
    NavItem("reports.kpis", _l("KPIs"), VENDOR),
    NavItem("reports.health", _l("Partner health"), VENDOR),
    NavItem("credentials.expiring", _l("Expiring"), (Role.PARTNER_ADMIN, *VENDOR)),
    NavItem("courses.progress", _l("Progress"), (Role.PARTNER_ADMIN, *VENDOR)),
    NavItem("admin.users", _l("People"), (Role.PARTNER_ADMIN,)),
    NavItem("assets.usage", _l("Asset usage"), VENDOR),
    NavItem("quizzes.statistics_list", _l("Quiz statistics"), VENDOR),
    NavItem("admin.index", _l("Administration"), (Role.ADMIN,)),
]

# The administration page lists these (admins only), instead of crowding the main menu.
ADMINISTRATION: list[NavItem] = [
    NavItem("admin.users", _l("Users"), (Role.ADMIN,)),
    NavItem("admin.organizations", _l("Partner companies"), (Role.ADMIN,)),
    NavItem("tiers.rules_overview", _l("Tier rules"), (Role.ADMIN,)),
    NavItem("credentials.admin_awards", _l("Awards"), (Role.ADMIN,)),
    NavItem("api_tokens.token_list", _l("API tokens"), (Role.ADMIN,)),
    NavItem("admin.audit_log", _l("Audit log"), (Role.ADMIN,)),
]


def navigation_for(user) -> list[NavItem]:
    """The entries this person may open (none when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [item for item in NAVIGATION if user.role in item.roles]


def menu(user) -> list[NavItem]:
    """`navigation_for(user)` with its labels in the reader's language, translated once per
    language and role in each worker (every page shows the menu)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    key = (str(get_locale() or "en"), user.role)
    menus = current_app.extensions.setdefault("lms.menus", {})
    if key not in menus:
        menus[key] = [replace(item, label=str(item.label)) for item in navigation_for(user)]
    return menus[key]
