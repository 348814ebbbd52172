"""Program KPIs and partner health for vendor staff (HTML with charts, and CSV)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort, render_template, request
from markupsafe import Markup

from lms.csvutil import csv_response
from lms.formutil import page_of
from lms.i18n import gettext as _
from lms.labels import TIER_LABELS
from lms.numbers import format_decimal, formatter
from lms.policy import vendor_required
from lms.reports import bp, charts, health, kpis, program_facts
from lms.reports.charts import Bar, Series
from lms.reports.kpis import PERIOD_CHOICES, ProgramFigures
from lms.reports.present import band_words, compact, month_label, reason_words, step_words
from lms.reports.tiers import parse_partner_type
from lms.tiers.program import Program

PAGE_SIZE = 100  # rows of the partner tables in HTML; the CSV has every row
CSV_TABLES = ("months", "partners", "ttfd")


def _percent_cell(value: float | None) -> object:
    """A rate in a CSV cell: a percentage with one decimal, empty when there is none."""
    return "" if value is None else round(value * 100, 1)


def _once[T, R](words: Callable[[T], R]) -> Callable[[T], R]:
    """`words` said once per distinct value within one CSV: thousands of rows repeat a few
    labels and reasons, and each translation looks up the request's locale again."""
    return functools.cache(words)


def _days(value: float | None) -> object:
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else round(value, 1)


# --- Charts ----------------------------------------------------------------------------


def kpi_charts(figures: ProgramFigures, program: Program) -> dict[str, Markup]:
    labels = [month_label(m.month, short=True) for m in figures.months]
    long_labels = [month_label(m.month) for m in figures.months]
    registered = [m.deals.registered for m in figures.months]
    won = [m.deals.won for m in figures.months]
    lost = [m.deals.lost for m in figures.months]
    revenue = [m.deals.revenue for m in figures.months]
    certified = [m.certifications for m in figures.months]

    number = formatter()

    def summary(name: str, values: list) -> str:
        return charts.flow_summary(name, long_labels, values, number, _)

    deals = charts.bar_chart(
        "chart-deals", _("Deals by month"),
        " ".join(summary(name, values) for name, values in (
            (_("Registered"), registered), (_("Won"), won), (_("Lost"), lost))),
        labels, [Series(_("Registered"), tuple(registered), "s-registered"),
                 Series(_("Won"), tuple(won), "s-won"),
                 Series(_("Lost"), tuple(lost), "s-lost")],
        format_value=number, empty_text=_("No deals in this period"))
    revenue_name = _("Won revenue (%(currency)s)", currency=program.currency)
    revenue_chart = charts.line_chart(
        "chart-revenue", _("Won revenue by month (%(currency)s)", currency=program.currency),
        summary(revenue_name, revenue), labels,
        [Series(revenue_name, tuple(revenue), "s-revenue")], format_value=compact,
        empty_text=_("No deals won in this period"))
    tier_bars = [Bar(str(TIER_LABELS[tier]), count, f"tier-{tier}")
                 for tier, count in figures.tiers.items()]
    tiers = charts.hbar_chart(
        "chart-tiers", _("Active partners by tier"),
        _("Active partners by tier: %(parts)s.",
          parts=charts.parts_summary(tier_bars, number)), tier_bars, format_value=number,
        empty_text=_("No active partners"))
    certifications = charts.bar_chart(
        "chart-certifications", _("Valid certifications at the end of each month"),
        charts.level_summary(_("Valid certifications"), long_labels, certified, number, _),
        labels, [Series(_("Valid certifications"), tuple(certified), "s-certified")],
        format_value=number, empty_text=_("No certifications yet"))
    return {"deals": deals, "revenue": revenue_chart, "tiers": tiers,
            "certifications": certifications}


def bands_chart(counts: dict[str, int]) -> Markup:
    bars = [Bar(band_words(band), counts.get(band, 0), f"band-{band.replace('_', '-')}")
            for band in health.BANDS]
    return charts.hbar_chart(
        "chart-health", _("Partners by health band"),
        _("Active partners by health band: %(parts)s.",
          parts=charts.parts_summary(bars, format_decimal)),
        bars, format_value=format_decimal, empty_text=_("No active partners"))


# --- Pages -----------------------------------------------------------------------------


@bp.route("/reports/kpis", endpoint="kpis")
@vendor_required
def kpis_page():
    months = kpis.parse_months(request.args.get("months"))
    kind = _partner_type()
    figures, program = program_facts.program_report(months, partner_type=kind)
    page = page_of(figures.partners, PAGE_SIZE)
    return render_template("reports/kpis.html", figures=figures, program=program,
                           partner_type=kind,
                           months=months, choices=PERIOD_CHOICES, partners=page.items,
                           page=page, charts=kpi_charts(figures, program),
                           month_label=month_label, compact=compact)


@bp.route("/reports/kpis.csv")
@vendor_required
def kpis_csv():
    table = request.args.get("table", "months")
    if table not in CSV_TABLES:
        abort(404)
    months = kpis.parse_months(request.args.get("months"))
    kind = _partner_type()
    figures, program = program_facts.program_report(months, partner_type=kind)
    currency = program.currency
    name = f"kpis-{table}-{months}m{'-' + kind if kind else ''}.csv"
    if table == "months":
        header = [_("Month"), _("Registered"), _("Approved"), _("Won"), _("Lost"),
                  _("Win rate (%)"), _("Won revenue (%(currency)s)", currency=currency),
                  _("Won revenue left out (no exchange rate)"), _("Valid certifications")]
        # No conversion per month: deals won in a month were mostly registered before it.
        rows = [[m.month.strftime("%Y-%m"), m.deals.registered, m.deals.approved, m.deals.won,
                 m.deals.lost, _percent_cell(m.deals.win_rate), m.deals.revenue,
                 " ".join(f"{code} {amount}" for code, amount in m.deals.left_out.items()),
                 m.certifications] for m in figures.months]
        return csv_response(name, header, rows)
    if table == "partners":
        header = [_("Partner"), _("Slug"), _("Tier"), _("Registered"), _("Approved"),
                  _("Won"), _("Lost"), _("Win rate (%)"), _("Conversion (%)"),
                  _("Won revenue (%(currency)s)", currency=currency),
                  _("Days to first deal"), _("Certified people"), _("Pass rate (%)"),
                  _("Active people (%)")]
        tier_label = _once(lambda tier: str(TIER_LABELS[tier]))
        rows = [[f.partner.name, f.partner.slug, tier_label(f.partner.tier),
                 f.deals.registered, f.deals.approved, f.deals.won, f.deals.lost,
                 _percent_cell(f.deals.win_rate), _percent_cell(f.deals.conversion),
                 f.deals.revenue, _days(f.ttfd_days), f.certified_people,
                 _percent_cell(f.pass_rate), _percent_cell(f.active_share)]
                for f in figures.partners]
        return csv_response(name, header, rows)
    header = [_("Partner"), _("Slug"), _("Signed on"), _("First won deal on"),
              _("Days to first deal"), _("Days since signing")]
    rows = [[r.partner.name, r.partner.slug, r.partner.signed_on.isoformat(),
             r.first_won_on.isoformat() if r.first_won_on else "", _days(r.days),
             r.days_since_signing] for r in figures.ttfd.rows]
    return csv_response(name, header, rows)


def _partner_type() -> str | None:
    """?type=referral|resale|oem: the report of that type of partner only."""
    return parse_partner_type(request.args.get("type"))


def _band_filter() -> str | None:
    band = request.args.get("band")
    return band if band in health.BANDS else None


@bp.route("/reports/health", endpoint="health")
@vendor_required
def health_page():
    band = _band_filter()
    kind = _partner_type()
    report = program_facts.health_report(partner_type=kind)
    rows = tuple(r for r in report.rows if band is None or r.health.band == band)
    page = page_of(rows, PAGE_SIZE)
    return render_template("reports/health.html", report=report, rows=page.items, band=band,
                           partner_type=kind,
                           total=len(rows), page=page,
                           chart=bands_chart(report.counts),
                           reason_words=reason_words, step_words=step_words,
                           band_words=band_words, bands=health.BANDS)


@bp.route("/reports/health.csv")
@vendor_required
def health_csv():
    band = _band_filter()
    kind = _partner_type()
    report = program_facts.health_report(partner_type=kind)
    header = [_("Partner"), _("Slug"), _("Tier"), _("Score"), _("Band"),
              _("Active people (%)"), _("Pass rate (%)"), _("Conversion (%)"),
              _("Days since last activity"), _("Reasons"), _("Next steps")]
    tier_label = _once(lambda tier: str(TIER_LABELS[tier]))
    band_text, reason_text, step_text = _once(band_words), _once(reason_words), _once(step_words)
    rows = []
    for row in report.rows:
        if band is not None and row.health.band != band:
            continue
        f = row.figures
        rows.append([f.partner.name, f.partner.slug, tier_label(f.partner.tier),
                     row.health.score, band_text(row.health.band),
                     _percent_cell(f.active_share), _percent_cell(f.pass_rate),
                     _percent_cell(f.deals.conversion), _days(f.days_since_activity),
                     "; ".join(reason_text(r) for r in row.health.reasons),
                     " ".join(step_text(s) for s in row.health.next_steps)])
    suffix = "".join(f"-{part}" for part in (kind, band) if part)
    return csv_response(f"partner-health{suffix}.csv", header, rows)


# --- A partner admin's home page ---------------------------------------------------------
