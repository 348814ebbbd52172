"""SPIF campaigns over HTTP: the channel team defines campaigns at /spif/new and changes them,
bad input is refused next to its field with nothing written, partners are kept out of the
forms and see only their own company's earnings (pages and CSV), and what a campaign owes
follows its rules at the edges: the first and last day in the program's time zone, new
customers, and the tier a partner held when the deal was won.

Dates never depend on the day the suite runs: campaigns are placed around program_today(),
and the moments deals were won are built in the program's zone (lms.clock.program_zone()).
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from lms.clock import program_today, program_zone
from lms.extensions import db
from lms.models import (
    Deal,
    DealStatus,
    Organization,
    Role,
    SpifCampaign,
    SpifRule,
    Tier,
    TierChange,
    User,
)
from lms.models.tiers import TierChangeKind
from lms.tiers.service import program_in_force
from tests.factories import make_org, make_user, signed_in

CSV_HEADER = "campaign,partner,person,deal,customer,product,won_on,bonus,currency"

# --- The people --------------------------------------------------------------------------------


@dataclass
class World:
    alpha: Organization  # silver
    beta: Organization  # gold
    alpha_sales: User  # a member
    alpha_admin: User  # a partner admin
    beta_sales: User
    manager: User
    admin: User


@pytest.fixture
def world(app) -> World:
    alpha = make_org("alpha", tier=Tier.SILVER, name="Alpha Systems K.K.")
    beta = make_org("beta", tier=Tier.GOLD, name="Beta Solutions Inc.")
    return World(
        alpha=alpha, beta=beta,
        alpha_sales=make_user(Role.MEMBER, alpha, name="Aiko Sales"),
        alpha_admin=make_user(Role.PARTNER_ADMIN, alpha, name="Akira Admin"),
        beta_sales=make_user(Role.MEMBER, beta, name="Ben Sales"),
        manager=make_user(Role.MANAGER, name="Mariko Manager"),
        admin=make_user(Role.ADMIN, name="Ada Admin"),
    )


def client_of(app, user: User | None):
    return signed_in(app, user, through_form=False)


# --- Dates, campaigns and deals -------------------------------------------------------------


def today() -> date:
    return program_today()


def local(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    """A moment on `day` where the program runs (stored in UTC by the app)."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=program_zone())


def campaign_form(**values) -> dict:
    """The campaign form as a channel manager fills it: running from ten days ago."""
    return {"name": "Spring bonus", "rule": "won_deal", "product": "", "bonus": "50,000",
            "starts_on": (today() - timedelta(days=10)).isoformat(),
            "ends_on": (today() + timedelta(days=20)).isoformat(),
            "description": "Paid at the end of the quarter."} | values


def campaign(name: str = "Spring bonus", *, rule: SpifRule = SpifRule.WON_DEAL,
             bonus: int = 30_000, starts_on: date | None = None, ends_on: date | None = None,
             product: str = "", tiers: list[str] | None = None) -> SpifCampaign:
    """A campaign row (by default running from ten days ago for a month), committed."""
    starts_on = starts_on or today() - timedelta(days=10)
    row = SpifCampaign(name=name, description="", rule=rule, product=product, bonus=bonus,
                       currency="JPY", starts_on=starts_on,
                       ends_on=ends_on or starts_on + timedelta(days=30), tiers=tiers or [])
    db.session.add(row)
    db.session.commit()
    return row


def won(org: Organization, by: User | None, customer: str, at: datetime, *,
        product: str = "Nimbus CRM Enterprise", key: str | None = None,
        status: DealStatus = DealStatus.WON, amount: int = 1_000_000) -> Deal:
    """A deal row closed (won by default) at `at`, committed."""
    registered = at - timedelta(days=30)
    deal = Deal(organization_id=org.id, customer_name=customer,
                customer_key=key or customer.casefold(), amount=amount, currency="JPY",
                status=status, registered_at=registered, approved_at=registered,
                closed_at=at, updated_at=at, registered_by_id=by.id if by else None,
                product=product)
    db.session.add(deal)
    db.session.commit()
    return deal


def promoted(org: Organization, at: datetime, from_tier: Tier, to_tier: Tier) -> None:
    kind = TierChangeKind.PROMOTION if to_tier.rank > from_tier.rank else TierChangeKind.DEMOTION
    db.session.add(TierChange(organization_id=org.id, kind=kind, from_tier=from_tier,
                              to_tier=to_tier, evidence={}, at=at.astimezone(UTC)))
    db.session.commit()


def stored_campaigns() -> list[tuple]:
    """Every campaign row as stored."""
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        select(*SpifCampaign.__table__.columns).order_by(SpifCampaign.id))]


def only_campaign() -> SpifCampaign:
    db.session.expire_all()
    rows = list(db.session.scalars(select(SpifCampaign)))
    assert len(rows) == 1, rows
    return rows[0]


# --- Reading pages ----------------------------------------------------------------------------

TAG = re.compile(r"<[^>]+>")
FACT = re.compile(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", re.S)


def page_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def plain(fragment: str) -> str:
    return " ".join(html_lib.unescape(TAG.sub(" ", fragment)).split())


def field_error(response, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return plain(match.group(1)) if match else ""


def all_field_errors(response) -> list[str]:
    return re.findall(r'<p class="field-error" id="([\w-]+)-error">',
                      response.get_data(as_text=True))


def facts(response) -> dict[str, str]:
    """The facts box of a campaign's page: {"Bonus per deal": "30,000 JPY", ...}."""
    markup = response.get_data(as_text=True)
    block = markup.split('<dl class="facts">', 1)[1].split("</dl>", 1)[0]
    return {plain(term): plain(value) for term, value in FACT.findall(block)}


def rows_of(markup: str) -> list[list[str]]:
    """The body rows of the first table in `markup`, as the text of their cells."""
    body = markup.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def section_rows(response, section: str) -> list[list[str]]:
    """The table rows of a section of a campaign's page (by-partner, by-person, deals);
    [] when the section says no deal has earned the bonus yet."""
    markup = response.get_data(as_text=True)
    head = f'<section aria-labelledby="{section}">'
    assert head in markup, f"no section {section} on the page"
    block = markup.split(head, 1)[1].split("</section>", 1)[0]
    return rows_of(block) if "<tbody>" in block else []


def overview_rows(response) -> dict[str, list[str]]:
    """The campaigns of /spif by name: the text of each row's cells."""
    assert response.status_code == 200
    markup = response.get_data(as_text=True)
    if "<tbody>" not in markup:
        return {}
    body = markup.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    shown = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        name = plain(re.search(r"<a [^>]*>(.*?)</a>", row, re.S).group(1))
        shown[name] = [plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return shown


def csv_of(response) -> tuple[str, list[dict[str, str]]]:
    """The header line and the rows of a CSV download."""
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True).lstrip("\ufeff")
    return text.splitlines()[0], list(csv.DictReader(io.StringIO(text)))


def customers_in_csv(client, campaign_id: int) -> list[str]:
    _header, rows = csv_of(client.get(f"/spif/{campaign_id}.csv"))
    return [row["customer"] for row in rows]


# --- Creating and changing campaigns --------------------------------------------------------


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_the_channel_team_creates_a_campaign_through_the_form(app, world, role):
    """Saved as typed (whitespace tidied), in the program currency, tiers in tier order."""
    author = world.manager if role == Role.MANAGER else world.admin
    client = client_of(app, author)
    assert client.get("/spif/new").status_code == 200

    response = client.post("/spif/new", data=campaign_form(
        name="  New-logo   bonus ", rule="new_customer", product=" Nimbus  CRM ",
        bonus="1,250,000", tiers=["platinum", "bronze", "gold"]))

    saved = only_campaign()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/spif/{saved.id}")
    assert saved.name == "New-logo bonus"
    assert saved.rule == SpifRule.NEW_CUSTOMER
    assert saved.product == "Nimbus CRM"
    assert saved.bonus == 1_250_000
    assert saved.currency == program_in_force().currency == "JPY"
    assert saved.tiers == ["bronze", "gold", "platinum"]
    assert (saved.starts_on, saved.ends_on) == (today() - timedelta(days=10),
                                                today() + timedelta(days=20))
    assert saved.created_by_id == author.id

    detail = client.get(f"/spif/{saved.id}")
    assert detail.status_code == 200
    assert "The campaign New-logo bonus is saved." in page_of(detail)
    shown = facts(detail)
    assert shown["Status"] == "Running"
    assert shown["Bonus per deal"] == "1,250,000 JPY"
    assert shown["Pays for"] == "Each won deal with a new customer · whose product mentions " \
                                "“Nimbus CRM”"
    assert shown["For partners at"].startswith("Bronze, Gold, Platinum")
    assert shown["Earned by every partner"] == "0 JPY"

    listed = overview_rows(client.get("/spif"))
    assert listed["New-logo bonus"][1] == "Running"
    assert listed["New-logo bonus"][4] == "1,250,000 JPY"


def test_editing_changes_the_campaign_and_the_pages_follow(app, world):
    """The edit form shows what is stored; a change is saved, currency and author kept."""
    client = client_of(app, world.manager)
    client.post("/spif/new", data=campaign_form(name="Spring bonus", tiers=["gold", "silver"]))
    saved = only_campaign()
    created_at, updated_at = saved.created_at, saved.updated_at

    form = client.get(f"/spif/{saved.id}/edit")
    markup = form.get_data(as_text=True)
    assert form.status_code == 200
    assert 'value="Spring bonus"' in markup and 'value="50,000"' in markup
    checked = set(re.findall(r'<input checked[^>]*value="(\w+)"|'
                             r'<input[^>]*value="(\w+)"[^>]*checked', markup))
    assert {a or b for a, b in checked} == {"silver", "gold"}

    later = today() + timedelta(days=40)
    response = client.post(f"/spif/{saved.id}/edit", data=campaign_form(
        name="Summer bonus", rule="new_customer", bonus="75,000", product="Enterprise",
        starts_on=(today() + timedelta(days=5)).isoformat(), ends_on=later.isoformat()))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/spif/{saved.id}")

    changed = only_campaign()
    assert (changed.name, changed.rule, changed.bonus, changed.product) == \
        ("Summer bonus", SpifRule.NEW_CUSTOMER, 75_000, "Enterprise")
    assert (changed.starts_on, changed.ends_on) == (today() + timedelta(days=5), later)
    assert changed.tiers == []  # nothing ticked: every tier
    assert changed.currency == "JPY" and changed.created_by_id == world.manager.id
    assert changed.created_at == created_at and changed.updated_at >= updated_at

    listed = overview_rows(client.get("/spif"))
    assert list(listed) == ["Summer bonus"]
    assert listed["Summer bonus"][1] == "Coming"
    detail = facts(client.get(f"/spif/{saved.id}"))
    assert detail["Bonus per deal"] == "75,000 JPY"
    assert detail["For partners at"] == "Every tier"


def test_the_list_shows_every_campaign_latest_first_with_its_status(app, world):
    """Coming, running and ended campaigns, by first day, newest first; for everyone."""
    campaign("Past push", starts_on=today() - timedelta(days=60),
             ends_on=today() - timedelta(days=31))
    campaign("Current push", starts_on=today() - timedelta(days=3), ends_on=today())
    campaign("Next push", starts_on=today() + timedelta(days=1),
             ends_on=today() + timedelta(days=2))

    for person in (world.manager, world.alpha_sales):
        listed = overview_rows(client_of(app, person).get("/spif"))
        assert list(listed) == ["Next push", "Current push", "Past push"]
        assert [cells[1] for cells in listed.values()] == ["Coming", "Running", "Ended"]


def test_a_campaign_of_exactly_366_days_is_accepted(app, world):
    """The longest campaign allowed: a year, leap day included."""
    start = today()
    response = client_of(app, world.manager).post("/spif/new", data=campaign_form(
        starts_on=start.isoformat(), ends_on=(start + timedelta(days=365)).isoformat()))
    assert response.status_code == 302
    assert (only_campaign().ends_on - only_campaign().starts_on).days == 365


# --- Bad input ---------------------------------------------------------------------------------

BAD_INPUT = [
    pytest.param({"name": ""}, "name", "This field is required.", id="empty-name"),
    pytest.param({"name": "   "}, "name", "This field is required.", id="blank-name"),
    pytest.param({"name": "x" * 121}, "name", "120", id="long-name"),
    pytest.param({"bonus": "0"}, "bonus", "Enter an amount above zero.", id="bonus-zero"),
    pytest.param({"bonus": "abc"}, "bonus", "Enter the amount as a whole number",
                 id="bonus-text"),
    pytest.param({"bonus": "-5,000"}, "bonus", "The amount cannot be negative.",
                 id="bonus-negative"),
    pytest.param({"bonus": ""}, "bonus", "This field is required.", id="bonus-empty"),
    pytest.param({"bonus": "1,000,000,000,001"}, "bonus", "1000000000000", id="bonus-huge"),
    pytest.param({"ends_on": "{before}"}, "ends_on",
                 "The last day comes on or after the first.", id="ends-before-start"),
    pytest.param({"ends_on": "{too_long}"}, "ends_on", "A campaign lasts 366 days at most.",
                 id="367-days"),
    pytest.param({"starts_on": "2025-02-30"}, "starts_on", "Not a valid date value.",
                 id="bad-date"),
    pytest.param({"tiers": ["gold", "diamond"]}, "tiers", "not a valid choice",
                 id="unknown-tier"),
    pytest.param({"rule": "every_lead"}, "rule", "Not a valid choice.", id="unknown-rule"),
]


def _bad(values: dict) -> dict:
    start = today() - timedelta(days=10)
    swaps = {"{before}": (start - timedelta(days=1)).isoformat(),
             "{too_long}": (start + timedelta(days=366)).isoformat()}
    return campaign_form(starts_on=start.isoformat()) | {
        key: swaps.get(value, value) if isinstance(value, str) else value
        for key, value in values.items()}


@pytest.mark.parametrize(("values", "name", "message"), BAD_INPUT)
def test_a_bad_new_campaign_is_explained_and_nothing_is_stored(app, world, values, name,
                                                              message):
    """400, the message next to the field (and only there), no campaign stored."""
    response = client_of(app, world.manager).post("/spif/new", data=_bad(values))
    assert response.status_code == 400
    assert message.casefold() in field_error(response, name).casefold()
    assert all_field_errors(response) == [name]
    assert stored_campaigns() == []


@pytest.mark.parametrize(("values", "name", "message"), [
    p for p in BAD_INPUT if p.id in ("empty-name", "bonus-zero", "bonus-negative",
                                     "ends-before-start", "367-days", "unknown-tier",
                                     "unknown-rule")])
def test_a_bad_change_is_explained_and_the_campaign_stays_as_it_was(app, world, values, name,
                                                                   message):
    """Editing with bad input changes nothing stored, not even the fields that were fine."""
    target = campaign("Spring bonus", tiers=["gold"])
    before = stored_campaigns()
    # Good changes to other fields, then the bad value (which wins).
    changes = {"name": "Renamed", "description": "Changed text", "bonus": "99,000"}
    response = client_of(app, world.manager).post(f"/spif/{target.id}/edit",
                                                  data=_bad(changes | values))
    assert response.status_code == 400
    assert message.casefold() in field_error(response, name).casefold()
    assert stored_campaigns() == before


# --- Who may do what -----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alpha_sales", "alpha_admin"])
def test_partners_cannot_create_or_change_campaigns(app, world, who):
    """403 on the forms, GET and POST; nothing stored; no links to them on the pages."""
    target = campaign("Spring bonus")
    before = stored_campaigns()
    client = client_of(app, getattr(world, who))

    assert client.get("/spif/new").status_code == 403
    assert client.post("/spif/new", data=campaign_form(name="Sneaky")).status_code == 403
    assert client.get(f"/spif/{target.id}/edit").status_code == 403
    assert client.post(f"/spif/{target.id}/edit",
                       data=campaign_form(name="Sneaky", bonus="9,999,999")).status_code == 403
    assert stored_campaigns() == before

    overview, detail = client.get("/spif"), client.get(f"/spif/{target.id}")
    assert overview.status_code == detail.status_code == 200
    assert "/spif/new" not in overview.get_data(as_text=True)
    assert f"/spif/{target.id}/edit" not in detail.get_data(as_text=True)


def test_vendor_staff_get_the_links_to_the_forms(app, world):
    target = campaign("Spring bonus")
    client = client_of(app, world.manager)
    assert "/spif/new" in client.get("/spif").get_data(as_text=True)
    assert f"/spif/{target.id}/edit" in client.get(f"/spif/{target.id}").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(app, world):
    target = campaign("Spring bonus")
    client = client_of(app, None)
    for method, path in [("get", "/spif"), ("get", "/spif/new"), ("post", "/spif/new"),
                         ("get", f"/spif/{target.id}"), ("get", f"/spif/{target.id}.csv"),
                         ("get", f"/spif/{target.id}/edit"),
                         ("post", f"/spif/{target.id}/edit")]:
        response = getattr(client, method)(path, data=campaign_form(name="Anon"))
        assert response.status_code == 302, path
        assert "/login" in response.headers["Location"], path
    assert len(stored_campaigns()) == 1 and only_campaign().name == "Spring bonus"


@pytest.mark.parametrize("who", ["manager", "admin", "alpha_sales", "alpha_admin"])
def test_a_campaign_that_does_not_exist_is_404(app, world, who):
    """For anyone signed in; partners are refused the edit form before the lookup (403)."""
    gone = campaign("Short-lived")
    missing = gone.id + 1
    client = client_of(app, getattr(world, who))
    assert client.get(f"/spif/{missing}").status_code == 404
    assert client.get(f"/spif/{missing}.csv").status_code == 404
    assert client.get("/spif/99999999").status_code == 404
    edit = 404 if getattr(world, who).is_vendor else 403
    assert client.get(f"/spif/{missing}/edit").status_code == edit
    assert client.post(f"/spif/{missing}/edit", data=campaign_form()).status_code == edit
    assert len(stored_campaigns()) == 1


# --- Who sees what: each partner its own company -------------------------------------------


@dataclass
class Earning:
    campaign: SpifCampaign
    alpha_deals: list[Deal]
    beta_deals: list[Deal]


@pytest.fixture
def earning(world) -> Earning:
    """Both companies earn in one campaign (30,000 JPY a deal): Alpha three deals (two by
    Aiko, one by Akira), Beta two (by Ben); deals not won or won outside do not count."""
    target = campaign("Spring bonus", bonus=30_000, starts_on=today() - timedelta(days=10),
                      ends_on=today() + timedelta(days=20))
    day = today() - timedelta(days=5)
    alpha = [won(world.alpha, world.alpha_sales, "Sakura Trading", local(day, 10)),
             won(world.alpha, world.alpha_sales, "Fuji Logistics", local(day, 11)),
             won(world.alpha, world.alpha_admin, "Kaede Foods", local(day, 12))]
    beta = [won(world.beta, world.beta_sales, "Matsu Steel", local(day, 13)),
            won(world.beta, world.beta_sales, "Take Pharma", local(day, 14))]
    # None of these earns: lost, still open, won before the campaign.
    won(world.beta, world.beta_sales, "Ume Lost Corp", local(day, 15), status=DealStatus.LOST)
    won(world.beta, world.beta_sales, "Kiku Open Corp", local(day, 15),
        status=DealStatus.APPROVED)
    won(world.alpha, world.alpha_sales, "Hinoki Early Corp", local(today() - timedelta(days=11)))
    return Earning(target, alpha, beta)


BETA_SECRETS = ("Beta Solutions", "Ben Sales", "Matsu Steel", "Take Pharma")
ALPHA_SECRETS = ("Alpha Systems", "Aiko Sales", "Akira Admin", "Sakura Trading",
                 "Fuji Logistics", "Kaede Foods")


@pytest.mark.parametrize("who", ["alpha_sales", "alpha_admin"])
def test_a_partner_sees_only_its_own_companys_earnings(app, world, earning, who):
    """Alpha: 3 deals x 30,000 = 90,000 JPY; nothing of Beta on the list, page or CSV."""
    client = client_of(app, getattr(world, who))
    cid = earning.campaign.id

    overview = client.get("/spif")
    row = overview_rows(overview)["Spring bonus"]
    assert row[-2:] == ["3", "90,000 JPY"]  # deals, "your company earned"
    assert len(row) == 7  # no "Partners" column
    detail = client.get(f"/spif/{cid}")
    assert detail.status_code == 200
    assert facts(detail)["Your company earned"] == "90,000 JPY"
    assert 'aria-labelledby="by-partner"' not in detail.get_data(as_text=True)
    assert section_rows(detail, "by-person") == [
        ["Aiko Sales", "2", "60,000 JPY"], ["Akira Admin", "1", "30,000 JPY"]]
    assert [cells[1] for cells in section_rows(detail, "deals")] == [
        "Kaede Foods", "Fuji Logistics", "Sakura Trading"]  # newest first

    header, rows = csv_of(client.get(f"/spif/{cid}.csv"))
    assert header == CSV_HEADER
    assert sorted(row["customer"] for row in rows) == ["Fuji Logistics", "Kaede Foods",
                                                       "Sakura Trading"]
    assert {row["partner"] for row in rows} == {"Alpha Systems K.K."}
    assert sum(int(row["bonus"]) for row in rows) == 90_000

    for text in (page_of(overview), page_of(detail), "\n".join(map(str, rows))):
        for secret in (*BETA_SECRETS, "150,000"):
            assert secret not in text


def test_the_other_partner_sees_only_its_own_side(app, world, earning):
    """Beta: 2 deals x 30,000 = 60,000 JPY; nothing of Alpha anywhere."""
    client = client_of(app, world.beta_sales)
    cid = earning.campaign.id
    overview, detail = client.get("/spif"), client.get(f"/spif/{cid}")
    assert overview_rows(overview)["Spring bonus"][-2:] == ["2", "60,000 JPY"]
    assert facts(detail)["Your company earned"] == "60,000 JPY"
    assert section_rows(detail, "by-person") == [["Ben Sales", "2", "60,000 JPY"]]
    _header, rows = csv_of(client.get(f"/spif/{cid}.csv"))
    assert sorted(row["customer"] for row in rows) == ["Matsu Steel", "Take Pharma"]
    for text in (page_of(overview), page_of(detail), "\n".join(map(str, rows))):
        for secret in (*ALPHA_SECRETS, "150,000", "90,000"):
            assert secret not in text


def test_a_partner_that_earned_nothing_sees_zero_and_no_one_else(app, world, earning):
    """A third company with no deal: 0 JPY, empty tables, no other company's names."""
    gamma = make_org("gamma", tier=Tier.BRONZE, name="Gamma Works K.K.")
    client = client_of(app, make_user(Role.MEMBER, gamma, name="Gina Member"))
    assert overview_rows(client.get("/spif"))["Spring bonus"][-2:] == ["0", "0 JPY"]
    detail = client.get(f"/spif/{earning.campaign.id}")
    assert facts(detail)["Your company earned"] == "0 JPY"
    assert section_rows(detail, "by-person") == section_rows(detail, "deals") == []
    header, rows = csv_of(client.get(f"/spif/{earning.campaign.id}.csv"))
    assert header == CSV_HEADER and rows == []
    for secret in ALPHA_SECRETS + BETA_SECRETS:
        assert secret not in page_of(detail)


def test_the_channel_team_sees_every_partner_with_the_totals(app, world, earning):
    """Alpha 90,000 (3 deals), Beta 60,000 (2), 150,000 JPY in all, per partner and person."""
    client = client_of(app, world.admin)
    cid = earning.campaign.id

    row = overview_rows(client.get("/spif"))["Spring bonus"]
    assert row[-3:] == ["2", "5", "150,000 JPY"]  # partners, deals, earned
    detail = client.get(f"/spif/{cid}")
    assert facts(detail)["Earned by every partner"] == "150,000 JPY"
    assert section_rows(detail, "by-partner") == [
        ["Alpha Systems K.K.", "Silver", "3", "90,000 JPY"],
        ["Beta Solutions Inc.", "Gold", "2", "60,000 JPY"]]
    assert section_rows(detail, "by-person") == [
        ["Aiko Sales", "Alpha Systems K.K.", "2", "60,000 JPY"],
        ["Ben Sales", "Beta Solutions Inc.", "2", "60,000 JPY"],
        ["Akira Admin", "Alpha Systems K.K.", "1", "30,000 JPY"]]
    assert len(section_rows(detail, "deals")) == 5
    for not_earning in ("Ume Lost Corp", "Kiku Open Corp", "Hinoki Early Corp"):
        assert not_earning not in page_of(detail)

    _header, rows = csv_of(client.get(f"/spif/{cid}.csv"))
    assert len(rows) == 5
    assert sum(int(row["bonus"]) for row in rows) == 150_000
    assert {row["partner"] for row in rows} == {"Alpha Systems K.K.", "Beta Solutions Inc."}


def test_deals_registered_by_nobody_are_not_credited_to_another_company(app, world):
    """Imported deals (no person) of Alpha and of Beta: a row per company, each its own."""
    first = today() - timedelta(days=10)
    target = campaign("Imports", bonus=30_000, starts_on=first)
    won(world.alpha, None, "Sakura Trading", local(first, 9))
    won(world.beta, None, "Matsu Steel", local(first, 10))
    detail = client_of(app, world.manager).get(f"/spif/{target.id}")
    assert sorted(section_rows(detail, "by-person")) == [
        ["Nobody known (imported)", "Alpha Systems K.K.", "1", "30,000 JPY"],
        ["Nobody known (imported)", "Beta Solutions Inc.", "1", "30,000 JPY"]]


def test_earnings_follow_the_deals_as_they_are_now(app, world, earning):
    """Nothing is stored: a won deal reopened no longer earns; a bonus change applies to all."""
    client = client_of(app, world.manager)
    deal = db.session.get(Deal, earning.beta_deals[0].id)
    deal.status = DealStatus.LOST
    db.session.commit()
    assert facts(client.get(f"/spif/{earning.campaign.id}"))["Earned by every partner"] == \
        "120,000 JPY"
    client.post(f"/spif/{earning.campaign.id}/edit", data=campaign_form(bonus="10,000"))
    assert facts(client.get(f"/spif/{earning.campaign.id}"))["Earned by every partner"] == \
        "40,000 JPY"


# --- The CSV ---------------------------------------------------------------------------------


def test_the_csv_has_one_exact_row_per_earning_deal(app, world):
    """Header exact; won_on is the local day (a deal won at 00:30 in Tokyo is 15:30 UTC the
    day before); a deal registered by nobody known has no person."""
    first = today() - timedelta(days=10)
    target = campaign("Spring, \"big\" bonus", bonus=45_000, starts_on=first,
                      ends_on=today() + timedelta(days=5))
    early = won(world.alpha, world.alpha_sales, "Sakura Trading", local(first, 0, 30),
                product="Nimbus CRM Enterprise")
    imported = won(world.beta, None, "Matsu Steel", local(first + timedelta(days=2), 23, 45),
                   product="Nimbus Analytics")
    assert early.closed_at.astimezone(UTC).date() == first - timedelta(days=1)

    response = client_of(app, world.manager).get(f"/spif/{target.id}.csv")
    header, rows = csv_of(response)
    assert header == CSV_HEADER
    assert f"spif-{target.id}.csv" in response.headers["Content-Disposition"]
    assert rows == [
        {"campaign": "Spring, \"big\" bonus", "partner": "Alpha Systems K.K.",
         "person": "Aiko Sales", "deal": str(early.id), "customer": "Sakura Trading",
         "product": "Nimbus CRM Enterprise", "won_on": first.isoformat(), "bonus": "45000",
         "currency": "JPY"},
        {"campaign": "Spring, \"big\" bonus", "partner": "Beta Solutions Inc.", "person": "",
         "deal": str(imported.id), "customer": "Matsu Steel", "product": "Nimbus Analytics",
         "won_on": (first + timedelta(days=2)).isoformat(), "bonus": "45000",
         "currency": "JPY"}]

    _header, beta_rows = csv_of(client_of(app, world.beta_sales).get(f"/spif/{target.id}.csv"))
    assert [row["deal"] for row in beta_rows] == [str(imported.id)]


# --- The first and last day, in the program's time zone -----------------------------------


def test_the_campaign_counts_deals_from_midnight_to_midnight_local(app, world):
    """00:00:00 of the first day and 23:59:59 of the last day count; a second before the first
    day and 00:00 the day after the last do not (Tokyo, not UTC)."""
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == str(program_zone())
    first, last = today() - timedelta(days=20), today() - timedelta(days=5)
    target = campaign("Edges", starts_on=first, ends_on=last, bonus=10_000)
    won(world.alpha, world.alpha_sales, "First midnight", local(first, 0, 0, 0))
    won(world.alpha, world.alpha_sales, "Last second", local(last, 23, 59, 59))
    won(world.alpha, world.alpha_sales, "Second too early",
        local(first, 0, 0, 0) - timedelta(seconds=1))
    won(world.alpha, world.alpha_sales, "Day after", local(last + timedelta(days=1), 0, 0, 0))

    for person in (world.manager, world.alpha_sales):
        client = client_of(app, person)
        assert sorted(customers_in_csv(client, target.id)) == ["First midnight",
                                                                "Last second"]
        detail = client.get(f"/spif/{target.id}")
        # customer, product, won on (the local day), bonus
        assert [(cells[-4], cells[-2]) for cells in section_rows(detail, "deals")] == [
            ("Last second", format_date(last, "medium", locale="en")),
            ("First midnight", format_date(first, "medium", locale="en"))]
    _header, rows = csv_of(client_of(app, world.manager).get(f"/spif/{target.id}.csv"))
    assert {row["customer"]: row["won_on"] for row in rows} == {
        "First midnight": first.isoformat(), "Last second": last.isoformat()}
    assert facts(client_of(app, world.manager).get(f"/spif/{target.id}"))[
        "Earned by every partner"] == "20,000 JPY"


def test_a_one_day_campaign_counts_that_local_day_only(app, world):
    """starts_on == ends_on: 24 hours of Tokyo time."""
    day = today() - timedelta(days=3)
    target = campaign("Flash day", starts_on=day, ends_on=day)
    won(world.beta, world.beta_sales, "Morning", local(day, 0, 0, 1))
    won(world.beta, world.beta_sales, "UTC same day, Tokyo next day",
        datetime.combine(day, time(15, 0), tzinfo=UTC))
    assert customers_in_csv(client_of(app, world.manager), target.id) == ["Morning"]


# --- New customers ------------------------------------------------------------------------


def test_only_a_customer_new_to_the_company_earns(app, world):
    """Won before the campaign: no bonus; two wins with a new customer: one bonus, the first;
    a customer new to another company earns for it; a customer only lost before is new."""
    first = today() - timedelta(days=10)
    target = campaign("New logos", rule=SpifRule.NEW_CUSTOMER, bonus=100_000,
                      starts_on=first, ends_on=today() + timedelta(days=10))
    won(world.alpha, world.alpha_sales, "Sakura Trading", local(first - timedelta(days=90)))
    won(world.alpha, world.alpha_sales, "Kaede Foods", local(first - timedelta(days=40)),
        status=DealStatus.LOST)
    won(world.alpha, world.alpha_sales, "SAKURA trading", local(first + timedelta(days=1)),
        key="sakura trading")
    fuji = won(world.alpha, world.alpha_admin, "Fuji Logistics",
               local(first + timedelta(days=2), 9))
    won(world.alpha, world.alpha_sales, "Fuji Logistics (2nd)",
        local(first + timedelta(days=2), 17), key="fuji logistics")
    won(world.alpha, world.alpha_sales, "Kaede Foods", local(first + timedelta(days=3)))
    beta_sakura = won(world.beta, world.beta_sales, "Sakura Trading",
                      local(first + timedelta(days=4)))

    _header, rows = csv_of(client_of(app, world.manager).get(f"/spif/{target.id}.csv"))
    assert [(row["partner"], row["customer"]) for row in rows] == [
        ("Alpha Systems K.K.", "Fuji Logistics"), ("Alpha Systems K.K.", "Kaede Foods"),
        ("Beta Solutions Inc.", "Sakura Trading")]
    assert rows[0]["deal"] == str(fuji.id) and rows[0]["person"] == "Akira Admin"
    assert rows[2]["deal"] == str(beta_sakura.id)
    detail = client_of(app, world.manager).get(f"/spif/{target.id}")
    assert section_rows(detail, "by-partner") == [
        ["Alpha Systems K.K.", "Silver", "2", "200,000 JPY"],
        ["Beta Solutions Inc.", "Gold", "1", "100,000 JPY"]]

    alpha_view = client_of(app, world.alpha_sales).get(f"/spif/{target.id}")
    assert facts(alpha_view)["Your company earned"] == "200,000 JPY"


def test_the_same_rule_with_every_won_deal_pays_each(app, world):
    """The contrast: rule won_deal pays the repeat customer too."""
    first = today() - timedelta(days=10)
    target = campaign("Every deal", bonus=1_000, starts_on=first)
    won(world.alpha, world.alpha_sales, "Sakura Trading", local(first - timedelta(days=90)))
    for hour in (9, 10):
        won(world.alpha, world.alpha_sales, "Sakura Trading", local(first, hour))
    assert customers_in_csv(client_of(app, world.manager), target.id) == [
        "Sakura Trading", "Sakura Trading"]


# --- Products --------------------------------------------------------------------------------


def test_only_deals_whose_product_mentions_the_campaigns_earn(app, world):
    """Case and full/half width ignored, a substring is enough."""
    first = today() - timedelta(days=10)
    target = campaign("Enterprise push", product="crm enterprise", starts_on=first)
    won(world.alpha, world.alpha_sales, "Upper", local(first, 9), product="Nimbus CRM ENTERPRISE")
    won(world.alpha, world.alpha_sales, "Wide", local(first, 10),
        product="Ｎｉｍｂｕｓ ＣＲＭ Ｅｎｔｅｒｐｒｉｓｅ Plus")
    won(world.alpha, world.alpha_sales, "Other", local(first, 11), product="Nimbus CRM Standard")
    won(world.alpha, world.alpha_sales, "Empty", local(first, 12), product="")
    assert customers_in_csv(client_of(app, world.alpha_admin), target.id) == ["Upper", "Wide"]


# --- Tiers ---------------------------------------------------------------------------------


def test_a_gold_campaign_pays_for_the_tier_held_when_the_deal_was_won(app, world):
    """Alpha promoted silver -> gold mid-campaign earns only after the promotion; Beta, gold
    with no history, earns; a company demoted gold -> silver earns only before; silver, no."""
    first = today() - timedelta(days=20)
    target = campaign("Gold club", tiers=["gold"], bonus=20_000, starts_on=first,
                      ends_on=today() + timedelta(days=5))
    promotion = local(first + timedelta(days=5), 12)
    db.session.get(Organization, world.alpha.id).tier = Tier.GOLD
    db.session.commit()
    promoted(world.alpha, promotion, Tier.SILVER, Tier.GOLD)
    won(world.alpha, world.alpha_sales, "Alpha before", promotion - timedelta(seconds=1))
    won(world.alpha, world.alpha_sales, "Alpha at", promotion)
    won(world.alpha, world.alpha_sales, "Alpha after", promotion + timedelta(days=1))
    won(world.beta, world.beta_sales, "Beta any", local(first + timedelta(days=1)))

    demoted = make_org("delta", tier=Tier.SILVER, name="Delta Demoted K.K.")
    demotion = local(first + timedelta(days=8), 9)
    promoted(demoted, demotion, Tier.GOLD, Tier.SILVER)
    won(demoted, None, "Delta before", demotion - timedelta(hours=1))
    won(demoted, None, "Delta after", demotion + timedelta(hours=1))
    silver = make_org("sigma", tier=Tier.SILVER, name="Sigma Silver K.K.")
    won(silver, None, "Sigma any", local(first + timedelta(days=2)))

    client = client_of(app, world.manager)
    assert sorted(customers_in_csv(client, target.id)) == [
        "Alpha after", "Alpha at", "Beta any", "Delta before"]
    detail = client.get(f"/spif/{target.id}")
    assert facts(detail)["For partners at"].startswith("Gold")
    assert facts(detail)["Earned by every partner"] == "80,000 JPY"
    assert [row[0] for row in section_rows(detail, "by-partner")] == [
        "Alpha Systems K.K.", "Beta Solutions Inc.", "Delta Demoted K.K."]
    assert facts(client_of(app, world.alpha_sales).get(f"/spif/{target.id}"))[
        "Your company earned"] == "40,000 JPY"


def test_a_partner_outside_the_campaigns_tiers_is_told_who_it_is_for(app, world):
    """Alpha (silver) sees the Gold campaign with its tiers named, and 0 earned."""
    campaign("Gold club", tiers=["gold", "platinum"])
    row = overview_rows(client_of(app, world.alpha_sales).get("/spif"))["Gold club"]
    assert "For partners at: Gold, Platinum" in row[0]
    assert row[-1] == "0 JPY"
    beta_row = overview_rows(client_of(app, world.beta_sales).get("/spif"))["Gold club"]
    assert "For partners at" not in beta_row[0]


# --- Found by these tests -----------------------------------------------------------------------


# A campaign ending 9999-12-31 (or starting 0001-01-01) was accepted, then every page
# computing it failed: rules.window added a day past date.max (a 500). Days are 2000-2999 now.
@pytest.mark.parametrize(("starts_on", "ends_on"), [("9999-12-31", "9999-12-31"),
                                                    ("0001-01-01", "0001-01-02")])
def test_dates_at_the_end_of_the_calendar_do_not_break_the_pages(make_app, starts_on,
                                                                  ends_on):
    """Either refused by the form, or the list and the campaign's page still work."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        client = client_of(app, make_user(Role.MANAGER))
        response = client.post("/spif/new", data=campaign_form(starts_on=starts_on,
                                                               ends_on=ends_on))
        assert response.status_code == 400
        assert "Choose days from 2000 to 2999." in response.get_data(as_text=True)
        assert client.get("/spif").status_code == 200
        for row in stored_campaigns():
            assert client.get(f"/spif/{row[0]}").status_code == 200


# --- Many campaigns at once -------------------------------------------------------------------


def test_the_overview_reads_every_campaign_in_the_same_few_queries(app, world):
    """Four queries at most for the campaigns' earnings, whatever their number: one campaign
    of each kind, then three times as many, cost the page the same statements."""
    from tests.factories import count_queries

    def kinds(suffix: str, first: date) -> None:
        campaign(f"Won {suffix}", starts_on=first)
        campaign(f"New {suffix}", rule=SpifRule.NEW_CUSTOMER, starts_on=first)
        campaign(f"Gold {suffix}", tiers=["gold"], starts_on=first)

    first = today() - timedelta(days=10)
    won(world.alpha, world.alpha_sales, "Sakura Trading", local(first + timedelta(days=1)))
    won(world.beta, world.beta_sales, "Kaede Foods", local(first + timedelta(days=2)))
    kinds("A", first)
    client = client_of(app, world.manager)
    client.get("/spif")  # the session's person and the layout's first reads
    with count_queries() as few:
        assert client.get("/spif").status_code == 200
    kinds("B", first - timedelta(days=40))
    kinds("C", first - timedelta(days=5))
    with count_queries() as many:
        page = client.get("/spif")
    assert many.n == few.n
    assert len(overview_rows(page)) == 9


def test_each_campaign_owes_what_it_owes_alone_when_read_together(app, world):
    """Reading campaigns together changes nothing: windows that overlap, a customer won
    between two new-logo campaigns' starts (new to the later one only if won in it), a
    promotion between two tier campaigns; per company and for the channel team."""
    from lms.spif import service

    first = today() - timedelta(days=60)
    early_new = campaign("Early new logos", rule=SpifRule.NEW_CUSTOMER, starts_on=first,
                         ends_on=first + timedelta(days=50))
    late_new = campaign("Late new logos", rule=SpifRule.NEW_CUSTOMER,
                        starts_on=first + timedelta(days=20), ends_on=first + timedelta(days=55))
    gold = campaign("Gold club", tiers=["gold"], starts_on=first,
                    ends_on=first + timedelta(days=55))
    every = campaign("Every deal", starts_on=first + timedelta(days=10),
                     ends_on=first + timedelta(days=30))
    won(world.alpha, world.alpha_sales, "Sakura Trading", local(first - timedelta(days=5)))
    won(world.alpha, world.alpha_sales, "Fuji Logistics", local(first + timedelta(days=5)))
    won(world.alpha, world.alpha_sales, "Fuji Logistics", local(first + timedelta(days=25)))
    won(world.alpha, world.alpha_sales, "Kaede Foods", local(first + timedelta(days=22)))
    won(world.alpha, world.alpha_sales, "Sakura Trading", local(first + timedelta(days=30)))
    won(world.beta, world.beta_sales, "Fuji Logistics", local(first + timedelta(days=15)))
    promoted(world.alpha, local(first + timedelta(days=21)), Tier.SILVER, Tier.GOLD)
    world.alpha.tier = Tier.GOLD
    db.session.commit()

    campaigns = [early_new, late_new, gold, every]
    for company in (None, world.alpha.id, world.beta.id):
        together = service.accruals_of_many(campaigns, company)
        alone = {c.id: service.accruals_of_many([c], company)[c.id] for c in campaigns}
        assert together == alone
    together = service.accruals_of_many(campaigns)
    customers = {c.name: sorted(a.deal.customer_key for a in together[c.id])
                 for c in campaigns}
    assert customers == {
        # Fuji (day 5) and Kaede are new to Alpha; Sakura was won before; Beta's Fuji.
        "Early new logos": ["fuji logistics", "fuji logistics", "kaede foods"],
        # Fuji was won on day 5, before this window, and Beta's Fuji on day 15: only Kaede.
        "Late new logos": ["kaede foods"],
        # Gold from day 21: Alpha's deals of days 22, 25 and 30; Beta (gold) day 15.
        "Gold club": ["fuji logistics", "fuji logistics", "kaede foods", "sakura trading"],
        # Days 10 to 30, the last day included.
        "Every deal": ["fuji logistics", "fuji logistics", "kaede foods", "sakura trading"],
    }
    assert service.accruals_of_many([]) == {}
