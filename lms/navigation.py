"""The navigation of the layout, by role: each feature adds its entries here.

Entries with a `group` are shown together under that name (a menu that opens), so that every
role's menu fits one row of a laptop screen; on a phone the whole menu folds behind one
button (base.html; both work without JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app
from flask_babel import get_locale

from lms.i18n import lazy_gettext as _l
from lms.models import Role

ALL_SIGNED_IN = tuple(Role)


REPORTS = _l("Reports")
TEAM = _l("Team")
PROGRAM = _l("Program")
PARTNERS = _l("Partners")


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: tuple[Role, ...]
    group: object | None = None


@dataclass(frozen=True)
class NavGroup:
    """Entries under one name in the menu."""

    label: str
    items: tuple[NavItem, ...]

    @property
    def endpoints(self) -> frozenset[str]:
        return frozenset(item.endpoint for item in self.items)


PARTNER_ROLES = (Role.MEMBER, Role.PARTNER_ADMIN)
VENDOR = (Role.MANAGER, Role.ADMIN)

NAVIGATION: list[NavItem] = [
    NavItem("main.home", _l("Home"), ALL_SIGNED_IN),
    NavItem("courses.catalog", _l("Courses"), ALL_SIGNED_IN),
    NavItem("quizzes.quiz_list", _l("Quizzes & exams"), ALL_SIGNED_IN),
    NavItem("assets.library", _l("Library"), ALL_SIGNED_IN),
    NavItem("deals.deal_list", _l("Deals"), ALL_SIGNED_IN),
    NavItem("credentials.mine", _l("My credentials"), PARTNER_ROLES),
    NavItem("tiers.partner_list", _l("Our tier"), PARTNER_ROLES, PROGRAM),
    NavItem("mdf.overview", _l("Market development funds"), PARTNER_ROLES, PROGRAM),
    NavItem("spif.overview", _l("SPIF campaigns"), PARTNER_ROLES, PROGRAM),
    NavItem("terms.current", _l("Program terms"), PARTNER_ROLES, PROGRAM),
    NavItem("kb.index", _l("Knowledge base and questions"), PARTNER_ROLES, PROGRAM),
    NavItem("environments.index", _l("Demo environments"), PARTNER_ROLES, PROGRAM),
    # The channel team's work with the partners: who they are, their funds and bonuses.
    NavItem("tiers.partner_list", _l("All partners"), VENDOR, PARTNERS),
    NavItem("applications.overview", _l("Applications"), VENDOR, PARTNERS),
    NavItem("mdf.overview", _l("Market development funds"), VENDOR, PARTNERS),
    NavItem("spif.overview", _l("SPIF campaigns"), VENDOR, PARTNERS),
    NavItem("terms.acceptances", _l("Program terms"), VENDOR, PARTNERS),
    NavItem("kb.questions", _l("Questions from partners"), VENDOR, PARTNERS),
    NavItem("environments.index", _l("Demo environments"), VENDOR, PARTNERS),
    NavItem("admin.users", _l("People"), (Role.PARTNER_ADMIN,), TEAM),
    NavItem("courses.progress", _l("Progress"), (Role.PARTNER_ADMIN,), TEAM),
    NavItem("credentials.expiring", _l("Expiring certifications"), (Role.PARTNER_ADMIN,),
            TEAM),
    NavItem("reports.tiers", _l("Tier report"), VENDOR, REPORTS),
    NavItem("reports.kpis", _l("KPIs"), VENDOR, REPORTS),
    NavItem("reports.health", _l("Partner health"), VENDOR, REPORTS),
    NavItem("credentials.expiring", _l("Expiring certifications"), VENDOR, REPORTS),
    NavItem("courses.progress", _l("Learning progress"), VENDOR, REPORTS),
    NavItem("assets.usage", _l("Asset usage"), VENDOR, REPORTS),
    NavItem("quizzes.statistics_list", _l("Quiz statistics"), VENDOR, REPORTS),
    NavItem("admin.index", _l("Administration"), (Role.ADMIN,)),
]

# The administration page lists these (admins only), instead of crowding the main menu.
ADMINISTRATION: list[NavItem] = [
    NavItem("admin.users", _l("Users"), (Role.ADMIN,)),
    NavItem("admin.organizations", _l("Partner companies"), (Role.ADMIN,)),
    NavItem("tiers.rules_overview", _l("Tier rules"), (Role.ADMIN,)),
    NavItem("credentials.admin_awards", _l("Awards"), (Role.ADMIN,)),
    NavItem("api_tokens.token_list", _l("API tokens"), (Role.ADMIN,)),
    NavItem("webhooks.endpoint_list", _l("Webhooks"), (Role.ADMIN,)),
    NavItem("admin.audit_log", _l("Audit log"), (Role.ADMIN,)),
]


def navigation_for(user) -> list[NavItem]:
    """The entries this person may open (none when signed out)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return [item for item in NAVIGATION if user.role in item.roles]


def grouped(items: list[NavItem]) -> list[NavItem | NavGroup]:
    """The menu's entries: each group where its first entry is, holding all of its own."""
    members: dict[str, list[NavItem]] = {}
    order: list[NavItem | str] = []  # an entry, or the name of a group
    for item in items:
        if item.group is None:
            order.append(item)
        else:
            name = str(item.group)
            if name not in members:
                order.append(name)
            members.setdefault(name, []).append(item)
    return [NavGroup(entry, tuple(members[entry])) if isinstance(entry, str) else entry
            for entry in order]


def menu(user) -> list[NavItem | NavGroup]:
    """`navigation_for(user)`, grouped, with its labels in the reader's language: translated
    once per language and role in each worker (every page shows the menu)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    key = (str(get_locale() or "en"), user.role)
    menus = current_app.extensions.setdefault("lms.menus", {})
    if key not in menus:
        menus[key] = grouped([replace(item, label=str(item.label), group=item.group and
                                      str(item.group)) for item in navigation_for(user)])
    return menus[key]
