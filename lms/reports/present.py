"""The words and numbers of the KPI and health reports in the reader's language (shared by
the report views and a partner admin's home page): view helpers around the pure modules."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import Locale
from babel.dates import format_skeleton
from babel.numbers import format_compact_decimal
from flask_babel import format_percent, get_locale

from lms.i18n import gettext as _
from lms.i18n import pgettext, translations
from lms.models import Organization
from lms.reports import health, program_facts
from lms.reports.health import Reason
from lms.tiers.program import Program


def month_label(month: date, short: bool = False) -> str:
    """"Dec 2025" / "2025年12月"; short: "Dec" / "12月"."""
    return _month_label(month, short, get_locale())


@lru_cache(maxsize=1024)
def _month_label(month: date, short: bool, locale: Locale | None) -> str:
    # A KPI page labels its months a few times over; Babel's skeletons are slow to resolve.
    return format_skeleton("MMM" if short else "yMMM", month, locale=locale)


def compact(value: float) -> str:
    """Large amounts for chart axes: "48M", "4850万"."""
    return format_compact_decimal(value, locale=get_locale(), fraction_digits=1)


def _ngettext(singular: str, plural: str, n: int) -> str:
    """The translated form only: the pure texts fill in their own placeholders (Flask-Babel's
    ngettext would fill in `num` alone, and fail on the others)."""
    return translations().ngettext(singular, plural, n)


def reason_words(reason: Reason) -> str:
    return health.reason_text(reason, _, _ngettext, format_percent)


def step_words(step: str) -> str:
    return health.next_step_text(step, _)


def band_words(band: str) -> str:
    # Its own context: the tier report's "At risk" (of a demotion) is another word.
    return {health.HEALTHY: pgettext("health band", "Healthy"),
            health.WATCH: pgettext("health band", "Watch"),
            health.AT_RISK: pgettext("health band", "At risk")}[band]


def company_overview(organization: Organization, program: Program | None = None) -> dict:
    """The company's own KPIs and health over the last 12 months (home page)."""
    summary = program_facts.partner_summary(organization, program=program)
    return {"summary": summary, "health": summary.health, "compact": compact,
            "reason_words": reason_words, "band_words": band_words}
