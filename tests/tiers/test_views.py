"""The tier program over HTTP: partner profiles and scorecards, the qualification report and
its CSV, the tier review button, the admin rules editor, and who may see what."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import program_today
from lms.credentials.rules import add_months
from lms.dates import format_date
from lms.extensions import db
from lms.models import (
    Award,
    Credential,
    Deal,
    DealStatus,
    JobFunction,
    Organization,
    Role,
    Tier,
    TierChange,
    TierProgramVersion,
    utcnow,
)
from lms.tiers import service
from tests.factories import count_queries, make_org, make_user, signed_in

NCSP = "nimbus-certified-sales-professional"
NCIE = "nimbus-certified-implementation-engineer"


def won_deals(org: Organization, count: int, amount: int, days_ago: int = 30) -> None:
    now = utcnow()
    for n in range(count):
        db.session.add(Deal(organization_id=org.id, customer_name=f"Customer {org.id}-{n}",
                            customer_key=f"customer{org.id}{n}", amount=amount,
                            status=DealStatus.WON, registered_at=now - timedelta(days=90),
                            closed_at=now - timedelta(days=days_ago)))
    db.session.commit()


def certify(org: Organization, credential: Credential, job: JobFunction, people: int) -> None:
    now = utcnow()
    for _ in range(people):
        person = make_user(Role.MEMBER, org, job=job)
        db.session.add(Award(user_id=person.id, credential_id=credential.id,
                             issued_at=now - timedelta(days=10),
                             expires_at=now + timedelta(days=700)))
    db.session.commit()


def gold_ready(org: Organization, certs: dict) -> None:
    """Everything the default program asks for Gold."""
    won_deals(org, 10, 3_000_000)
    certify(org, certs[NCSP], JobFunction.SALES, 4)
    certify(org, certs[NCIE], JobFunction.TECHNICAL, 2)


# --- Access ----------------------------------------------------------------------------


def test_partner_sees_its_own_profile_and_never_another(app, certifications):
    mine, other = make_org(name="Mine K.K."), make_org(name="Other K.K.")
    client = signed_in(app, make_user(Role.MEMBER, mine))
    page = client.get(f"/partners/{mine.slug}")
    assert page.status_code == 200
    assert "Mine K.K." in page.get_data(as_text=True)
    assert client.get(f"/partners/{other.slug}").status_code == 404
    assert client.get("/partners/no-such-partner").status_code == 404
    # The partner list of a partner is its own profile.
    listing = client.get("/partners").get_data(as_text=True)
    assert "Mine K.K." in listing and "Other K.K." not in listing


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN])
def test_partners_cannot_open_the_report_the_csv_or_the_review(app, role):
    client = signed_in(app, make_user(role, make_org()))
    for path in ("/reports/tiers", "/reports/tiers.csv?tier=gold", "/reports/tiers/review"):
        assert client.get(path).status_code == 403, path
    assert client.post("/reports/tiers/review").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(TierChange)) == 0


def test_a_technical_member_is_not_offered_a_link_that_refuses_them(app):
    engineer = make_user(Role.MEMBER, make_org("alpha"), job=JobFunction.TECHNICAL)
    client = signed_in(app, engineer)
    assert client.get("/deals/new").status_code == 403
    page = client.get("/partners/alpha").get_data(as_text=True)
    assert 'href="/deals/new"' not in page


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/reports/tiers", "/partners", "/admin/tiers"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_only_admins_edit_the_rules(app):
    manager = signed_in(app, make_user(Role.MANAGER))
    assert manager.get("/admin/tiers").status_code == 403
    assert manager.post("/admin/tiers/edit", data={"note": "x"}).status_code == 403


# --- The report --------------------------------------------------------------------------


def test_report_shows_who_qualifies_for_gold_and_why(app, certifications):
    ready = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(ready, certifications)
    short = make_org(name="Kumo Works", tier=Tier.SILVER)
    won_deals(short, 3, 1_000_000)
    certify(short, certifications[NCSP], JobFunction.SALES, 2)
    certify(short, certifications[NCIE], JobFunction.TECHNICAL, 1)
    client = signed_in(app, make_user(Role.MANAGER))

    html = client.get("/reports/tiers?tier=gold").get_data(as_text=True)
    assert "Aozora Consulting" in html and "Kumo Works" in html
    assert "Qualifies — promotion due" in html
    assert "10 of 10" in html
    assert "3 of 10" in html and "7 more won deals" in html
    assert "JPY 27,000,000 more won revenue" in html
    assert "2 more certified sales people" in html
    assert "1 more certified engineer" in html

    only = client.get("/reports/tiers?tier=gold&show=qualifies").get_data(as_text=True)
    assert "Aozora Consulting" in only and "Kumo Works" not in only


def test_gold_at_risk_filter_and_dates(app, certifications):
    today = program_today()
    risky = make_org(name="Fuji CRM Lab", tier=Tier.GOLD, at_risk_since=today - timedelta(
        days=41))
    won_deals(risky, 7, 3_000_000)
    holder = make_org(name="Sakura Systems", tier=Tier.GOLD)
    gold_ready(holder, certifications)
    client = signed_in(app, make_user(Role.MANAGER))
    html = client.get("/reports/tiers?tier=gold&show=at_risk").get_data(as_text=True)
    assert "Fuji CRM Lab" in html and "Sakura Systems" not in html
    assert "At risk since" in html
    # The demotion date is the start of the grace period plus 90 days.
    from flask_babel import format_date

    with app.test_request_context():
        assert format_date(today - timedelta(days=41) + timedelta(days=90)) in html


def test_report_sorts_by_name_both_ways(app):
    for name in ("Beta", "Alpha", "Gamma"):
        make_org(name=name)
    client = signed_in(app, make_user(Role.MANAGER))
    html = client.get("/reports/tiers?tier=silver&sort=name").get_data(as_text=True)
    assert html.index(">Alpha<") < html.index(">Beta<") < html.index(">Gamma<")
    html = client.get("/reports/tiers?tier=silver&sort=name&dir=desc").get_data(as_text=True)
    assert html.index(">Gamma<") < html.index(">Beta<") < html.index(">Alpha<")


def test_bad_report_parameters_fall_back_instead_of_failing(app):
    make_org(name="Alpha")
    client = signed_in(app, make_user(Role.MANAGER))
    response = client.get("/reports/tiers?tier=diamond&show=x&sort=drop+table&dir=x&page=-3")
    assert response.status_code == 200
    assert "Who qualifies for Gold" in response.get_data(as_text=True)


def test_csv_has_every_requirement_and_safe_cells(app, certifications):
    org = make_org(name="=HYPERLINK(\"http://evil\")", tier=Tier.SILVER)
    gold_ready(org, certifications)
    make_org(name="+Plus Partner")
    client = signed_in(app, make_user(Role.MANAGER))
    response = client.get("/reports/tiers.csv?tier=gold")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert header[:5] == ["Partner", "Slug", "Current tier", "Qualifies for", "Status"]
    # Four Gold requirements (actual and required), the gap, the partner type.
    assert len(header) == 7 + 2 * 4 + 2 and header[-1] == "Partner type"
    names = {row[0] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in names and "'+Plus Partner" in names
    evil = next(row for row in rows[1:] if row[0].startswith("'="))
    assert evil[3] == "Gold" and evil[4] == "Qualifies — promotion due"
    assert evil[7:9] == ["10", "10"] and evil[9:11] == ["30000000", "30000000"]
    assert evil[-1] == "Resale"


def test_report_query_count_does_not_grow_with_partners(app, certifications):
    client = signed_in(app, make_user(Role.MANAGER))

    def queries_with(partners: int) -> int:
        while db.session.scalar(select(func.count()).select_from(Organization)) < partners:
            org = make_org()
            won_deals(org, 2, 1_000_000)
            certify(org, certifications[NCSP], JobFunction.SALES, 1)
        client.get("/reports/tiers?tier=gold")
        with count_queries() as counted:
            assert client.get("/reports/tiers?tier=gold").status_code == 200
        with count_queries() as counted_csv:
            assert client.get("/reports/tiers.csv?tier=gold").status_code == 200
        return counted.n + counted_csv.n

    assert queries_with(3) == queries_with(25)


# --- Tier review ---------------------------------------------------------------------------


def test_manager_applies_the_tier_review(app, certifications):
    org = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(org, certifications)
    manager = make_user(Role.MANAGER)
    client = signed_in(app, manager)
    preview = client.get("/reports/tiers/review").get_data(as_text=True)
    assert "Promote to Gold" in preview
    assert db.session.get(Organization, org.id).tier == Tier.SILVER  # a preview writes nothing

    shown = dict(re.findall(r'name="(shown-\d+)" value="([^"]*)"', preview))
    response = client.post("/reports/tiers/review", data=shown)
    assert response.status_code == 302
    org = db.session.get(Organization, org.id)
    assert org.tier == Tier.GOLD and org.tier_since == program_today()
    change = db.session.scalar(select(TierChange))
    assert change.actor_id == manager.id and change.to_tier == Tier.GOLD
    assert change.evidence["tiers"]["gold"][0]["actual"] == 10
    # The partner's profile shows the history.
    partner = signed_in(app, make_user(Role.PARTNER_ADMIN, org))
    assert "Promoted from Silver to Gold" in partner.get(
        f"/partners/{org.slug}").get_data(as_text=True)


# --- Scorecard on the partner's pages ---------------------------------------------------------


def test_partner_home_shows_the_next_tier_scorecard_with_links(app, certifications):
    org = make_org(tier=Tier.SILVER)
    won_deals(org, 4, 2_000_000)
    client = signed_in(app, make_user(Role.MEMBER, org))
    html = client.get("/").get_data(as_text=True)
    assert "To reach" in html and "Gold" in html
    assert "6 more won deals" in html
    assert "4 of 10" in html
    assert "/deals/new" in html  # the way to close a deals gap


def test_scorecards_say_from_which_day_their_deals_count(app, certifications):
    org = make_org(tier=Tier.SILVER)
    won_deals(org, 4, 2_000_000)
    # A deal won before the review window: in the all-time counts, not in the scorecard.
    won_deals(org, 1, 2_000_000, days_ago=500)
    since = add_months(program_today(), -12)
    with app.test_request_context():
        shown = format_date(since)
    client = signed_in(app, make_user(Role.PARTNER_ADMIN, org))

    for path in ("/", f"/partners/{org.slug}"):
        html = client.get(path).get_data(as_text=True)
        assert f"Won deals and revenue count from {shown} (the last 12 months)" in html, path
        assert "4 of 10" in html
    profile = client.get(f"/partners/{org.slug}").get_data(as_text=True)
    assert "All deals to date" in profile
    assert '<span class="stat-value">5</span> <span class="stat-label">Won</span>' in profile
    # The manager's tier report says the same about its columns.
    manager = signed_in(app, make_user(Role.MANAGER))
    report = manager.get("/reports/tiers?tier=silver").get_data(as_text=True)
    assert f"Won deals and revenue count from {shown} (the last 12 months)" in report


def test_scorecard_of_a_partner_at_risk_says_when_it_moves_down(app, certifications):
    today = program_today()
    org = make_org(tier=Tier.GOLD, at_risk_since=today - timedelta(days=10))
    client = signed_in(app, make_user(Role.PARTNER_ADMIN, org))
    html = client.get(f"/partners/{org.slug}").get_data(as_text=True)
    assert "At risk since" in html and "To keep" in html


# --- Rules editor ----------------------------------------------------------------------


def _form_from(html: str) -> dict:
    """The values of the rules form as the page filled it (inputs and selected options)."""
    import re

    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        found = re.search(r'name="([^"]+)"[^>]*value="([^"]*)"', tag)
        if found and ('type="checkbox"' not in tag or " checked" in tag):
            data[found.group(1)] = found.group(2)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html,
                                 re.S):
        selected = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body)
        data[name] = selected.group(1) if selected else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html,
                                 re.S):
        data[name] = body.strip()
    data.pop("csrf_token", None)
    return data


def test_admin_changes_the_rules_and_every_version_is_kept(app, certifications):
    from lms.tiers.program import Program

    service.seed_program(service.default_program())
    db.session.commit()
    client = signed_in(app, make_user(Role.ADMIN))
    data = _form_from(client.get("/admin/tiers/edit").get_data(as_text=True))
    assert data["gold-0-kind"] == "won_deals" and data["gold-0-min"] == "10"
    data["gold-0-min"] = "12"
    data["note"] = "Gold needs 12 won deals from April."
    response = client.post("/admin/tiers/edit", data=data)
    assert response.status_code == 302
    versions = list(db.session.scalars(select(TierProgramVersion)
                                       .order_by(TierProgramVersion.number)))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].rules["tiers"][1]["requirements"][0]["min"] == 10
    assert versions[1].rules["tiers"][1]["requirements"][0]["min"] == 12
    program, version = service.current_program()
    assert isinstance(program, Program) and version.number == 2
    assert program.rule("gold").requirements[0].min == 12
    page = client.get("/admin/tiers").get_data(as_text=True)
    assert "Gold needs 12 won deals from April." in page
    assert client.get("/admin/tiers/versions/1").status_code == 200


@pytest.mark.parametrize("field,value,message", [
    ("gold-0-min", "0", "Number must be"),
    ("gold-0-min", "ten", "Not a valid integer"),
    ("grace_period_days", "-1", "Number must be"),
    ("exchange_rates", "USD is 150", "write a currency code and a rate"),
    ("gold-2-credential", "", "the slug of a certification"),
    ("note", "", "This field is required"),
])
def test_bad_rules_are_refused_with_a_message_and_nothing_saved(app, certifications, field,
                                                              value, message):
    service.seed_program(service.default_program())
    db.session.commit()
    client = signed_in(app, make_user(Role.ADMIN))
    data = _form_from(client.get("/admin/tiers/edit").get_data(as_text=True))
    data["note"] = "change"
    data[field] = value
    response = client.post("/admin/tiers/edit", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TierProgramVersion)) == 1


def test_saving_unchanged_rules_makes_no_version(app, certifications):
    service.seed_program(service.default_program())
    db.session.commit()
    client = signed_in(app, make_user(Role.ADMIN))
    data = _form_from(client.get("/admin/tiers/edit").get_data(as_text=True))
    data["note"] = "nothing really"
    response = client.post("/admin/tiers/edit", data=data)
    assert response.status_code == 400
    assert "nothing to save" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TierProgramVersion)) == 1


def test_long_reports_are_paged_and_the_csv_has_every_row(app):
    for n in range(105):
        db.session.add(Organization(slug=f"p-{n:03d}", name=f"Partner {n:03d}",
                                    signed_on=utcnow().date()))
    db.session.commit()
    client = signed_in(app, make_user(Role.MANAGER))
    first = client.get("/reports/tiers?sort=name").get_data(as_text=True)
    second = client.get("/reports/tiers?sort=name&page=2").get_data(as_text=True)
    assert "Partner 000" in first and "Partner 099" in first and "Partner 100" not in first
    assert "Partner 100" in second and "Partner 104" in second and "Partner 000" not in second
    assert client.get("/reports/tiers?page=99").status_code == 200  # the last page
    lines = client.get("/reports/tiers.csv").get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1 + 105


# --- CLI and content ---------------------------------------------------------------------------


def test_cli_prints_changes_and_applies_only_when_asked(app, certifications):
    org = make_org(slug="aozora-consulting", tier=Tier.SILVER)
    gold_ready(org, certifications)
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["tiers", "evaluate"])
    assert dry.exit_code == 0, dry.output
    assert "aozora-consulting: silver -> gold (promote" in dry.output
    assert "Nothing written" in dry.output
    assert db.session.get(Organization, org.id).tier == Tier.SILVER
    applied = runner.invoke(args=["tiers", "evaluate", "--apply"])
    assert applied.exit_code == 0 and "Applied 1 change" in applied.output
    assert db.session.get(Organization, org.id).tier == Tier.GOLD
    again = runner.invoke(args=["tiers", "evaluate", "--apply"])
    assert "No changes" in again.output


def test_cli_leaves_a_held_change_to_the_review_page(app, certifications):
    org = make_org(slug="aozora-consulting", tier=Tier.SILVER)
    gold_ready(org, certifications)
    service.review(None, {org.id: service.ReviewDecision("hold", "Agreement not signed")})
    db.session.commit()
    applied = app.test_cli_runner().invoke(args=["tiers", "evaluate", "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "held back by a manager (Agreement not signed): left to the review page" in (
        applied.output)
    assert "Applied 0 change(s)" in applied.output
    assert db.session.get(Organization, org.id).tier == Tier.SILVER


def test_content_sync_stores_program_toml_once(app):
    from lms.content import load_all, sync_all

    content = load_all()
    assert content.program.problems == []
    report = sync_all(content)
    db.session.commit()
    assert "tier program (content/program.toml)" in report.created
    assert service.current_version().number == 1
    again = sync_all(load_all())
    db.session.commit()
    assert not any("tier program" in item for item in again.created)
    assert db.session.scalar(select(func.count()).select_from(TierProgramVersion)) == 1


def test_content_check_reports_a_broken_program_with_its_file(app, tmp_path):
    import shutil
    from pathlib import Path

    from lms.content import load_all

    content = tmp_path / "content"
    shutil.copytree(Path(app.config["LMS_CONTENT_DIR"]), content)
    (content / "program.toml").write_text(
        '[[tiers]]\ntier = "gold"\nrequirements = [{ kind = "won_deals", min = 0 }]\n',
        encoding="utf-8")
    app.config["LMS_CONTENT_DIR"] = str(content)
    problems = [str(p) for p in load_all().problems]
    assert any(p.startswith("content/program.toml:3:") and "min" in p for p in problems), problems
