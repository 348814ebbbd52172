"""KPI and health pages over HTTP: who may open them, what they show, CSV, fixed queries."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from lms.clock import local_date
from lms.extensions import db
from lms.models import DealStatus, PartnerType, Role, utcnow
from tests.factories import count_queries, make_org, make_user, signed_in
from tests.factories.deals import deal
from tests.factories.learning import attempt, quiz
from tests.factories.reports import busy_partners

PAGES = ("/reports/kpis", "/reports/health")
CSVS = ("/reports/kpis.csv", "/reports/kpis.csv?table=months",
        "/reports/kpis.csv?table=partners", "/reports/kpis.csv?table=ttfd",
        "/reports/health.csv")


def rows_of(response) -> list[list[str]]:
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN])
def test_partners_cannot_open_the_reports(app, role):
    client = signed_in(app, make_user(role))
    for path in PAGES + CSVS:
        assert client.get(path).status_code == 403, path


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in PAGES + CSVS:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_vendor_staff_open_every_report_even_with_no_data(app, role):
    client = signed_in(app, make_user(role))
    for path in PAGES + CSVS:
        response = client.get(path)
        assert response.status_code == 200, path
    html = client.get("/reports/kpis").get_data(as_text=True)
    assert html.count('role="img"') == 4
    assert "No partner joined in this period." in html
    assert html.count("—") >= 4  # rates without a denominator


def test_the_kpi_page_shows_the_program_and_each_partner(app):
    now = utcnow()
    # Signed on the program's calendar day 40 days ago (not UTC's: the two differ at night).
    org = make_org(name="Hoshi Systems", signed_on=local_date(now - timedelta(days=40)))
    seller = make_user(Role.MEMBER, org, last_seen_at=now)
    deal(org, DealStatus.WON, registered_at=now - timedelta(days=30),
         closed_at=now - timedelta(days=10), amount=7_654_321, by=seller)
    deal(org, DealStatus.LOST, registered_at=now - timedelta(days=30),
         closed_at=now - timedelta(days=9), by=seller)
    db.session.commit()
    client = signed_in(app, make_user(Role.MANAGER))
    html = client.get("/reports/kpis").get_data(as_text=True)
    assert "Hoshi Systems" in html
    assert "7,654,321" in html
    assert "50%" in html  # win rate: 1 won, 1 lost
    for title in ("Deals by month", "Won revenue by month (JPY)", "Active partners by tier",
                  "Valid certifications at the end of each month"):
        assert f">{title}</title>" in html
    assert "<desc" in html and "<script" not in html
    partners = rows_of(client.get("/reports/kpis.csv?table=partners"))
    assert partners[0][:3] == ["Partner", "Slug", "Tier"]
    row = next(r for r in partners if r[0] == "Hoshi Systems")
    assert row[3:8] == ["2", "0", "1", "1", "50.0"]
    ttfd = rows_of(client.get("/reports/kpis.csv?table=ttfd"))
    assert ttfd[1][0] == "Hoshi Systems" and ttfd[1][4] == "30"
    months = rows_of(client.get("/reports/kpis.csv?table=months&months=3"))
    assert len(months) == 1 + 3


def test_the_period_can_be_chosen_and_nonsense_falls_back(app):
    client = signed_in(app, make_user(Role.MANAGER))
    html = client.get("/reports/kpis?months=3").get_data(as_text=True)
    assert 'aria-current="page" class="button button-small button-primary">3 months' in html
    for value in ("abc", "-1", "0", "7", "99999999999999999999999", "1e2", "%00", "<b>"):
        response = client.get("/reports/kpis", query_string={"months": value})
        assert response.status_code == 200, value
        assert ('aria-current="page" class="button button-small button-primary">12 months'
                in response.get_data(as_text=True))
        assert len(rows_of(client.get("/reports/kpis.csv",
                                      query_string={"months": value}))) == 13


@pytest.mark.parametrize("query", [
    {"table": "nope"}, {"table": "<script>"}, {"table": ""}, {"table": "months/../x"}])
def test_unknown_csv_tables_are_not_found(app, query):
    client = signed_in(app, make_user(Role.MANAGER))
    assert client.get("/reports/kpis.csv", query_string=query).status_code == 404


@pytest.mark.parametrize("query", [
    {"band": "nope"}, {"band": ""}, {"page": "-4"}, {"page": "abc"}, {"page": "10000"},
    {"band": "at_risk", "page": "0"}, {"months": "12", "page": "2"}])
def test_bad_parameters_never_fail(app, query):
    make_org(name="Some Partner")
    client = signed_in(app, make_user(Role.MANAGER))
    for path in (*PAGES, "/reports/health.csv"):
        assert client.get(path, query_string=query).status_code == 200, (path, query)


def test_csv_cells_are_safe_in_spreadsheets(app):
    now = utcnow()
    org = make_org(name="=cmd|' /C calc'!A0", signed_on=(now - timedelta(days=20)).date())
    make_user(Role.PARTNER_ADMIN, org, last_seen_at=now)
    client = signed_in(app, make_user(Role.MANAGER))
    for path in ("/reports/kpis.csv?table=partners", "/reports/kpis.csv?table=ttfd",
                 "/reports/health.csv"):
        rows = rows_of(client.get(path))
        assert rows[1][0] == "'=cmd|' /C calc'!A0", path


def test_partner_names_are_escaped_in_pages_and_charts(app):
    now = utcnow()
    for name in ("<script>alert(1)</script>", '"><svg onload=x>'):
        org = make_org(name=name, signed_on=(now - timedelta(days=20)).date())
        make_user(Role.PARTNER_ADMIN, org, last_seen_at=now)
    client = signed_in(app, make_user(Role.MANAGER))
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<svg onload=x>" not in html


def test_health_lists_at_risk_first_with_reasons_and_filters_by_band(app):
    now = utcnow()
    quiet = make_org(name="Quiet Partner")
    make_user(Role.PARTNER_ADMIN, quiet, last_seen_at=now - timedelta(days=120))
    busy = make_org(name="Busy Partner")
    person = make_user(Role.PARTNER_ADMIN, busy, last_seen_at=now)
    the_quiz = quiz()
    attempt(person, the_quiz, started_at=now - timedelta(days=3),
            submitted_at=now - timedelta(days=3), passed=True)
    deal(busy, DealStatus.WON, registered_at=now - timedelta(days=20),
         closed_at=now - timedelta(days=2), by=person)
    db.session.commit()
    client = signed_in(app, make_user(Role.MANAGER))
    html = client.get("/reports/health").get_data(as_text=True)
    assert html.index("Quiet Partner") < html.index("Busy Partner")
    assert "no activity for 120 days" in html
    assert "0 of 1 person active in the last 90 days" in html
    assert "Call the partner admin to re-engage" in html
    assert ">Partners by health band</title>" in html
    at_risk = client.get("/reports/health?band=at_risk").get_data(as_text=True)
    assert "Quiet Partner" in at_risk and "Busy Partner" not in at_risk
    healthy = client.get("/reports/health?band=healthy").get_data(as_text=True)
    assert "Busy Partner" in healthy and "Quiet Partner" not in healthy
    rows = rows_of(client.get("/reports/health.csv"))
    assert rows[0][:5] == ["Partner", "Slug", "Tier", "Score", "Band"]
    assert [r[0] for r in rows[1:]] == ["Quiet Partner", "Busy Partner"]
    assert rows[1][3:5] == ["0", "At risk"]
    assert rows[2][3:5] == ["100", "Healthy"]
    assert "no activity for 120 days" in rows[1][9]
    only = rows_of(client.get("/reports/health.csv?band=healthy"))
    assert [r[0] for r in only[1:]] == ["Busy Partner"]


def _queries(client, path: str) -> int:
    client.get(path)  # warm up: the first request records the sign-in time
    with count_queries() as queries:
        assert client.get(path).status_code == 200
    return queries.n


@pytest.mark.parametrize("path", ["/reports/kpis", "/reports/health",
                                  "/reports/kpis?months=24", "/reports/health.csv",
                                  "/reports/kpis.csv?table=partners"])
def test_reports_take_the_same_number_of_queries_for_3_or_25_partners(app, path):
    now = utcnow()
    busy_partners(3, now, name="First")
    client = signed_in(app, make_user(Role.MANAGER))
    few = _queries(client, path)
    busy_partners(22, now, name="Second")
    assert _queries(client, path) == few


def test_a_partner_admins_home_takes_the_same_number_of_queries_as_partners_grow(app):
    now = utcnow()
    mine = busy_partners(1, now, name="Mine")[0]
    admin = make_user(Role.PARTNER_ADMIN, mine)
    busy_partners(2, now, name="Other")
    client = signed_in(app, admin)
    few = _queries(client, "/")
    busy_partners(22, now, name="More")
    assert _queries(client, "/") == few


def test_a_partner_admin_sees_the_figures_of_their_own_company_only(app):
    now = utcnow()
    mine = make_org(name="Alpha Systems", signed_on=date(2020, 1, 1))
    theirs = make_org(name="Bravo Corporation", signed_on=date(2020, 1, 1))
    admin = make_user(Role.PARTNER_ADMIN, mine, last_seen_at=now)
    member = make_user(Role.MEMBER, mine)
    other = make_user(Role.PARTNER_ADMIN, theirs, last_seen_at=now)
    deal(mine, DealStatus.WON, registered_at=now - timedelta(days=50),
         closed_at=now - timedelta(days=5), amount=7_654_321, by=admin)
    for n in range(3):
        deal(theirs, DealStatus.WON, registered_at=now - timedelta(days=50),
             closed_at=now - timedelta(days=5), amount=1_234_567 + n, by=other)
    db.session.commit()

    html = signed_in(app, admin).get("/").get_data(as_text=True)
    assert "Your company&#39;s figures" in html or "Your company's figures" in html
    assert "7,654,321" in html
    assert "Partner health" in html
    assert "Bravo Corporation" not in html
    assert "1,234,56" not in html
    member_home = signed_in(app, member).get("/").get_data(as_text=True)
    assert "figures, last 12 months" not in member_home
    vendor_home = signed_in(app, make_user(Role.MANAGER)).get("/").get_data(as_text=True)
    assert "figures, last 12 months" not in vendor_home


@pytest.mark.parametrize("path", ["/reports/kpis", "/reports/health"])
def test_long_partner_tables_are_paged_with_links_that_keep_the_filters(app, path,
                                                                      monkeypatch):
    from lms.reports import kpi_views

    monkeypatch.setattr(kpi_views, "PAGE_SIZE", 2)
    for n in range(5):
        make_org(name=f"Paged Partner {n}")
    client = signed_in(app, make_user(Role.MANAGER))
    query = "months=6" if path.endswith("kpis") else "band=at_risk"
    first = client.get(f"{path}?{query}").get_data(as_text=True)
    assert "Page 1 of" in first and 'rel="next"' in first
    next_link = first.split('rel="next"')[0].rsplit("href=", 1)[1]
    assert query in next_link and "page=2" in next_link
    last = client.get(f"{path}?{query}&page=999").get_data(as_text=True)
    assert 'rel="prev"' in last and 'rel="next"' not in last


def test_health_bands_are_translated_apart_from_the_tier_status(app):
    from flask_babel import gettext

    from lms.reports.present import band_words

    with app.test_request_context(headers={"Accept-Language": "ja"}):
        assert band_words("at_risk") == "危険"
        assert band_words("healthy") == "健全" and band_words("watch") == "要注意"
        assert gettext("At risk") == "降格リスク"  # a tier at risk of a demotion


def test_kpis_and_health_show_one_partner_type_with_every_link_keeping_it(app):
    """?type=referral: every figure (program totals, months, partners, health bands) is that
    of referral partners only, and the period, band, CSV and pager links keep the filter."""
    now = utcnow()
    referral = make_org(name="Referral Partner", partner_type=PartnerType.REFERRAL,
                        signed_on=local_date(now - timedelta(days=40)))
    resale = make_org(name="Resale Partner", signed_on=local_date(now - timedelta(days=40)))
    for org, amount in ((referral, 1_234_567), (resale, 7_654_321)):
        seller = make_user(Role.MEMBER, org, last_seen_at=now)
        deal(org, DealStatus.WON, registered_at=now - timedelta(days=30),
             closed_at=now - timedelta(days=10), amount=amount, by=seller)
    db.session.commit()
    client = signed_in(app, make_user(Role.MANAGER))

    html = client.get("/reports/kpis?type=referral").get_data(as_text=True)
    assert "Referral Partner" in html and "Resale Partner" not in html
    assert "1,234,567" in html and "7,654,321" not in html
    assert 'href="/reports/kpis?months=3&amp;type=referral"' in html
    assert 'href="/reports/kpis.csv?table=partners&amp;months=12&amp;type=referral"' in html
    partners = rows_of(client.get("/reports/kpis.csv?table=partners&type=referral"))
    assert [r[0] for r in partners[1:]] == ["Referral Partner"]
    months = rows_of(client.get("/reports/kpis.csv?table=months&months=3&type=referral"))
    assert sum(int(r[3]) for r in months[1:]) == 1  # one won deal, the referral partner's
    everything = client.get("/reports/kpis").get_data(as_text=True)
    assert "Referral Partner" in everything and "Resale Partner" in everything

    health = client.get("/reports/health?type=resale").get_data(as_text=True)
    assert "Resale Partner" in health and "Referral Partner" not in health
    assert 'href="/reports/health.csv?type=resale"' in health
    assert 'href="/reports/health?band=healthy&amp;type=resale"' in health
    rows = rows_of(client.get("/reports/health.csv?type=resale"))
    assert [r[0] for r in rows[1:]] == ["Resale Partner"]
    assert client.get("/reports/health?type=nonsense").status_code == 200  # every type
    assert "Referral Partner" in client.get("/reports/health?type=nonsense").get_data(
        as_text=True)
