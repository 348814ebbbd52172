"""Translatable names of the domain's values, shared by forms and templates."""

from flask_babel import lazy_gettext as _l

TIER_LABELS = {"bronze": _l("Bronze"), "silver": _l("Silver"), "gold": _l("Gold"),
               "platinum": _l("Platinum")}
ROLE_LABELS = {
    "member": _l("Member"),
    "partner_admin": _l("Partner admin"),
    "manager": _l("Channel manager"),
    "admin": _l("Administrator"),
}
JOB_LABELS = {"sales": _l("Sales"), "technical": _l("Technical")}
AUDIENCE_LABELS = {"all": _l("Everyone"), "sales": _l("Sales"), "technical": _l("Technical")}
LOCALE_NAMES = {"en": "English", "ja": "日本語"}


def template_labels() -> dict:
    return {"tier_labels": TIER_LABELS, "role_labels": ROLE_LABELS, "job_labels": JOB_LABELS,
            "audience_labels": AUDIENCE_LABELS, "locale_names": LOCALE_NAMES}
