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
KIND_LABELS = {"practice": _l("Practice"), "quiz": _l("Course quizzes"),
               "exam": _l("Certification exams")}
REVIEW_LABELS = {
    "after_submit": _l("answers and explanations after you submit"),
    "after_pass": _l("answers and explanations once you pass"),
    "score_only": _l("your score and how many questions were right"),
    "never": _l("your score only"),
}
ASSET_CATEGORY_LABELS = {
    "brochure": _l("Brochure"),
    "proposal_template": _l("Proposal template"),
    "case_study": _l("Case study"),
    "battlecard": _l("Battlecard"),
    "price_list": _l("Price list"),
    "demo_guide": _l("Demo guide"),
    "video": _l("Video"),
    "other": _l("Other"),
}
DEAL_STATUS_LABELS = {
    "registered": _l("Registered"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "won": _l("Won"),
    "lost": _l("Lost"),
    "expired": _l("Expired"),
}


def minutes_text(minutes: int) -> str:
    """A duration for people: "45 min", "2 h", "1 h 30 min", "1 day"."""
    from flask_babel import gettext as _

    days, rest = divmod(minutes, 24 * 60)
    if days and not rest:
        return _("%(n)d days", n=days) if days > 1 else _("1 day")
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return _("%(h)d h %(m)d min", h=hours, m=mins)
    if hours:
        return _("%(h)d h", h=hours)
    return _("%(n)d min", n=mins)


def template_labels() -> dict:
    return {"tier_labels": TIER_LABELS, "role_labels": ROLE_LABELS, "job_labels": JOB_LABELS,
            "audience_labels": AUDIENCE_LABELS, "locale_names": LOCALE_NAMES,
            "kind_labels": KIND_LABELS, "review_labels": REVIEW_LABELS,
            "asset_category_labels": ASSET_CATEGORY_LABELS,
            "deal_status_labels": DEAL_STATUS_LABELS}
