"""Translatable names of the domain's values, shared by forms and templates."""

from flask import current_app
from flask_babel import LazyString, get_locale

from lms.i18n import lazy_gettext as _l
from lms.models import (
    ApplicationStatus,
    AssetCategory,
    Audience,
    DealStatus,
    EnvironmentStatus,
    JobFunction,
    MdfActivityType,
    MdfStatus,
    PartnerType,
    QuizKind,
    ReviewPolicy,
    Role,
    SpifRule,
    Tier,
)

# Keyed by the enums (a StrEnum member equals its value, so a plain string finds its label
# too); tests/test_labels.py checks that every member has one.
type Labels = dict[str, LazyString]

TIER_LABELS: Labels = {Tier.BRONZE: _l("Bronze"), Tier.SILVER: _l("Silver"), Tier.GOLD: _l("Gold"),
               Tier.PLATINUM: _l("Platinum")}
ROLE_LABELS: Labels = {
    Role.MEMBER: _l("Member"),
    Role.PARTNER_ADMIN: _l("Partner admin"),
    Role.MANAGER: _l("Channel manager"),
    Role.ADMIN: _l("Administrator"),
}
JOB_LABELS: Labels = {JobFunction.SALES: _l("Sales"), JobFunction.TECHNICAL: _l("Technical")}
AUDIENCE_LABELS: Labels = {Audience.ALL: _l("Everyone"), Audience.SALES: _l("Sales"),
                   Audience.TECHNICAL: _l("Technical")}
LOCALE_NAMES = {"en": "English", "ja": "日本語"}
KIND_LABELS: Labels = {QuizKind.PRACTICE: _l("Practice"), QuizKind.QUIZ: _l("Course quizzes"),
               QuizKind.EXAM: _l("Certification exams")}
REVIEW_LABELS: Labels = {
    ReviewPolicy.AFTER_SUBMIT: _l("answers and explanations after you submit"),
    ReviewPolicy.AFTER_PASS: _l("answers and explanations once you pass"),
    ReviewPolicy.SCORE_ONLY: _l("your score and how many questions were right"),
    ReviewPolicy.NEVER: _l("your score only"),
}
ASSET_CATEGORY_LABELS: Labels = {
    AssetCategory.BROCHURE: _l("Brochure"),
    AssetCategory.PROPOSAL_TEMPLATE: _l("Proposal template"),
    AssetCategory.CASE_STUDY: _l("Case study"),
    AssetCategory.BATTLECARD: _l("Battlecard"),
    AssetCategory.PRICE_LIST: _l("Price list"),
    AssetCategory.DEMO_GUIDE: _l("Demo guide"),
    AssetCategory.VIDEO: _l("Video"),
    AssetCategory.OTHER: _l("Other"),
}
DEAL_STATUS_LABELS: Labels = {
    DealStatus.REGISTERED: _l("Registered"),
    DealStatus.APPROVED: _l("Approved"),
    DealStatus.REJECTED: _l("Rejected"),
    DealStatus.WON: _l("Won"),
    DealStatus.LOST: _l("Lost"),
    DealStatus.EXPIRED: _l("Expired"),
}


MDF_ACTIVITY_LABELS: Labels = {
    MdfActivityType.EVENT: _l("Event"),
    MdfActivityType.WEBINAR: _l("Webinar"),
    MdfActivityType.DIGITAL_ADS: _l("Digital ads"),
    MdfActivityType.CONTENT: _l("Content"),
    MdfActivityType.OTHER: _l("Other"),
}
MDF_STATUS_LABELS: Labels = {
    MdfStatus.SUBMITTED: _l("Waiting for a decision"),
    MdfStatus.APPROVED: _l("Approved"),
    MdfStatus.REJECTED: _l("Rejected"),
    MdfStatus.CANCELLED: _l("Cancelled"),
    MdfStatus.CLAIMED: _l("Claim sent"),
    MdfStatus.CLAIM_APPROVED: _l("Claim approved"),
    MdfStatus.PAID: _l("Paid"),
}
ENVIRONMENT_STATUS_LABELS: Labels = {
    EnvironmentStatus.REQUESTED: _l("Waiting for a decision"),
    EnvironmentStatus.PROVISIONING: _l("Being set up"),
    EnvironmentStatus.READY: _l("In use"),
    EnvironmentStatus.DECLINED: _l("Declined"),
    EnvironmentStatus.CANCELLED: _l("Cancelled"),
    EnvironmentStatus.EXPIRED: _l("Ended"),
}
SPIF_RULE_LABELS: Labels = {
    SpifRule.WON_DEAL: _l("Each won deal"),
    SpifRule.NEW_CUSTOMER: _l("Each won deal with a new customer"),
}
PARTNER_TYPE_LABELS: Labels = {
    PartnerType.REFERRAL: _l("Referral"),
    PartnerType.RESALE: _l("Resale"),
    PartnerType.OEM: _l("OEM"),
}
APPLICATION_STATUS_LABELS: Labels = {
    ApplicationStatus.PENDING: _l("Waiting for a decision"),
    ApplicationStatus.APPROVED: _l("Approved"),
    ApplicationStatus.DECLINED: _l("Declined"),
}
# Where an applicant sells: Japan's regions as business there counts them, then abroad.
REGION_LABELS: Labels = {
    "hokkaido": _l("Hokkaido"),
    "tohoku": _l("Tohoku"),
    "kanto": _l("Kanto"),
    "chubu": _l("Chubu"),
    "kansai": _l("Kansai"),
    "chugoku": _l("Chugoku"),
    "shikoku": _l("Shikoku"),
    "kyushu-okinawa": _l("Kyushu and Okinawa"),
    "nationwide": _l("All of Japan"),
    "asia-pacific": _l("Asia-Pacific (outside Japan)"),
    "other": _l("Elsewhere"),
}


def minutes_text(minutes: int) -> str:
    """A duration for people: "45 min", "2 h", "1 h 30 min", "1 day"."""
    from lms.i18n import gettext as _

    days, rest = divmod(minutes, 24 * 60)
    if days and not rest:
        return _("%(n)d days", n=days) if days > 1 else _("1 day")
    hours, mins = divmod(minutes, 60)
    if hours and mins:
        return _("%(h)d h %(m)d min", h=hours, m=mins)
    if hours:
        return _("%(h)d h", h=hours)
    return _("%(n)d min", n=mins)


_TEMPLATE_LABELS: dict[str, Labels | dict[str, str]] = {
    "tier_labels": TIER_LABELS, "role_labels": ROLE_LABELS, "job_labels": JOB_LABELS,
    "audience_labels": AUDIENCE_LABELS, "locale_names": LOCALE_NAMES,
    "kind_labels": KIND_LABELS, "review_labels": REVIEW_LABELS,
    "asset_category_labels": ASSET_CATEGORY_LABELS, "deal_status_labels": DEAL_STATUS_LABELS,
    "mdf_status_labels": MDF_STATUS_LABELS, "mdf_activity_labels": MDF_ACTIVITY_LABELS,
    "spif_rule_labels": SPIF_RULE_LABELS, "partner_type_labels": PARTNER_TYPE_LABELS,
    "application_status_labels": APPLICATION_STATUS_LABELS, "region_labels": REGION_LABELS,
    "environment_status_labels": ENVIRONMENT_STATUS_LABELS}


def template_labels() -> dict[str, dict[str, str]]:
    """The labels in the reader's language, translated once per language and worker: a lazy
    label runs the whole gettext lookup at each use, and a list page uses dozens."""
    locale = str(get_locale() or "en")
    translated = current_app.extensions.setdefault("lms.labels", {})
    if locale not in translated:
        translated[locale] = {name: {key: str(label) for key, label in labels.items()}
                              for name, labels in _TEMPLATE_LABELS.items()}
    return translated[locale]
