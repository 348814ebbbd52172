"""What a tier gives: reading and checking [benefits], what the next tier adds, and the pages
that show it (a partner's profile, the program page, the admin rules editor)."""

from __future__ import annotations

import itertools
import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import Role, Tier, TierProgramVersion
from lms.tiers import service
from lms.tiers.benefits import (
    MAX_ITEMS,
    MDF_PERIODS,
    SUPPORT_LEVELS,
    TIERS,
    Benefits,
    TierBenefits,
    added,
    benefits_from_dict,
    benefits_to_dict,
)
from lms.tiers.loader import problem_line
from lms.tiers.program import program_from_dict
from tests.factories import make_org, make_user, signed_in
from tests.factories.assets import publish
from tests.tiers.test_views import _form_from

PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True)
PROGRAM_FILE = Path(__file__).parents[2] / "content" / "program.toml"

# --- Reading and checking -------------------------------------------------------------------


def parsed(raw: object) -> tuple[Benefits, list[str]]:
    problems: list[str] = []
    return benefits_from_dict(raw, problems), problems


def test_the_default_program_gives_every_tier_more_than_the_one_below():
    program, problems = program_from_dict(tomllib.loads(PROGRAM_FILE.read_text()))
    assert problems == [] and program is not None
    tiers = [program.benefits.of(tier) for tier in TIERS]
    assert all(not b.empty for b in tiers)
    for lower, higher in itertools.pairwise(tiers):
        assert added(lower, higher).margin_percent == higher.margin_percent
        assert set(lower.items) <= set(higher.items)


def test_benefits_are_read_with_whitespace_tidied():
    benefits, problems = parsed({"mdf_period": "year", "gold": {
        "margin_percent": 12.5, "mdf": 1_000_000, "support": "priority",
        "items": ["  Listed in the\tpartner finder "]}})
    assert problems == []
    assert benefits.mdf_period == "year"
    assert benefits.of("gold") == TierBenefits(12.5, 1_000_000, "priority",
                                               ("Listed in the partner finder",))
    assert benefits.of("silver").empty and not benefits.empty


@pytest.mark.parametrize(("raw", "where"), [
    ({"gold": {"margin_percent": 100}}, "benefits.gold.margin_percent"),
    ({"gold": {"margin_percent": -1}}, "benefits.gold.margin_percent"),
    ({"gold": {"margin_percent": True}}, "benefits.gold.margin_percent"),
    ({"gold": {"margin_percent": float("nan")}}, "benefits.gold.margin_percent"),
    ({"gold": {"mdf": 0}}, "benefits.gold.mdf"),
    ({"gold": {"mdf": 1.5}}, "benefits.gold.mdf"),
    ({"gold": {"support": "gold-plated"}}, "benefits.gold.support"),
    ({"gold": {"items": "one line"}}, "benefits.gold.items"),
    ({"gold": {"items": ["x"] * 2}}, "benefits.gold.items"),
    ({"gold": {"items": ["a" * 201]}}, "benefits.gold.items"),
    ({"gold": {"items": [" "]}}, "benefits.gold.items"),
    ({"gold": {"items": ["bell\x07"]}}, "benefits.gold.items"),
    ({"gold": {"items": [str(n) for n in range(MAX_ITEMS + 1)]}}, "benefits.gold.items"),
    ({"gold": {"discount": 5}}, "benefits.gold"),
    ({"gold": "20%"}, "benefits.gold"),
    ({"diamond": {}}, "benefits"),
    ({"mdf_period": "month"}, "benefits.mdf_period"),
    ("generous", "benefits"),
])
def test_a_bad_benefit_is_named_in_its_problem(raw, where):
    _benefits, problems = parsed(raw)
    assert [p.split(":")[0] for p in problems] == [where]
    program, program_problems = program_from_dict({"benefits": raw})
    assert program is None and program_problems == problems


def test_every_bad_benefit_is_reported_at_once():
    _benefits, problems = parsed({"bronze": {"margin_percent": 120},
                                  "platinum": {"mdf": -1, "support": "x"}})
    assert [p.split(":")[0] for p in problems] == [
        "benefits.bronze.margin_percent", "benefits.platinum.mdf", "benefits.platinum.support"]


def test_a_problem_points_at_its_line_of_program_toml():
    text = PROGRAM_FILE.read_text()
    lines = text.splitlines()
    assert lines[problem_line(text, "benefits.gold.mdf: x") - 1].startswith("mdf = 1_500_000")
    assert lines[problem_line(text, "benefits.platinum: x") - 1] == "[benefits.platinum]"
    assert lines[problem_line(text, "benefits.mdf_period: x") - 1].startswith("mdf_period")


# --- What the next tier adds ------------------------------------------------------------------


def test_the_next_tier_adds_what_is_better_and_what_is_new():
    silver = TierBenefits(15, 500_000, "standard", ("Finder listing", "Courses"))
    gold = TierBenefits(20, 1_500_000, "priority", ("Courses", "Leads", "Finder listing"))
    assert added(silver, gold) == TierBenefits(20, 1_500_000, "priority", ("Leads",))


def test_what_is_not_better_is_not_added():
    generous = TierBenefits(30, 2_000_000, "dedicated", ("A",))
    assert added(generous, TierBenefits(20, 1_000_000, "priority", ("A",))) == TierBenefits()
    assert added(generous, generous) == TierBenefits()
    assert added(TierBenefits(), TierBenefits(5, 1, "standard")) == TierBenefits(5, 1, "standard")


# --- Stored form ---------------------------------------------------------------------------

item_st = st.text(st.characters(categories=["L", "N", "P"]), min_size=1, max_size=40)
tier_benefits_st = st.builds(
    TierBenefits,
    st.one_of(st.none(), st.integers(0, 99).map(float), st.sampled_from([12.5, 0.25, 99.9])),
    st.one_of(st.none(), st.integers(1, 10**13)),
    st.one_of(st.none(), st.sampled_from(SUPPORT_LEVELS)),
    st.lists(item_st, max_size=MAX_ITEMS, unique=True).map(tuple))
benefits_st = st.builds(
    Benefits,
    st.dictionaries(st.sampled_from(TIERS), tier_benefits_st).map(
        lambda tiers: {tier: b for tier, b in tiers.items() if not b.empty}),
    st.sampled_from(MDF_PERIODS))


@PROPERTY
@given(benefits_st)
def test_benefits_round_trip_through_their_stored_json_form(benefits):
    stored = json.loads(json.dumps(benefits_to_dict(benefits)))
    assert parsed(stored) == (benefits, [])
    assert benefits_to_dict(parsed(stored)[0]) == stored


def test_a_program_stored_before_benefits_existed_has_none():
    program, problems = program_from_dict({"tiers": []})
    assert problems == [] and program is not None
    assert program.benefits == Benefits() and program.benefits.empty


# --- Pages -----------------------------------------------------------------------------------


@pytest.fixture
def program(app, certifications):
    service.seed_program(service.default_program())
    db.session.commit()
    return service.current_program()[0]


def test_a_partner_sees_what_its_tier_gives_and_what_the_next_would_add(app, program):
    org = make_org("sakura", tier=Tier.GOLD)
    publish("Company overview")
    publish("Gold playbook", min_tier=Tier.GOLD)
    publish("Platinum roadmap", min_tier=Tier.PLATINUM)
    client = signed_in(app, make_user(Role.MEMBER, org))

    html = client.get("/partners/sakura").get_data(as_text=True)

    assert "What Gold gives you" in html
    assert "20% margin on resale" in html
    assert "JPY 1,500,000 of market development funds a quarter" in html
    assert "2 assets in the sales library" in html  # Gold's and Bronze's; not Platinum's
    assert "What Platinum would add" in html
    assert "25% margin on resale <span class=\"muted small\">(now 20%)</span>" in html
    assert "A dedicated support engineer <span class=\"muted small\">(now Priority" in html
    assert "1 more asset in the sales library" in html
    assert "Early access to the product roadmap" in html
    # What Gold already gives is not listed again as something Platinum adds.
    added_part = html[html.index("What Platinum would add"):]
    assert "A named channel manager" not in added_part[:added_part.index("</section>")]


def test_a_manager_reads_a_partners_benefits_and_the_top_tier_adds_nothing(app, program):
    make_org("summit", tier=Tier.PLATINUM)
    client = signed_in(app, make_user(Role.MANAGER))
    html = client.get("/partners/summit").get_data(as_text=True)
    assert "What Platinum gives this partner" in html
    assert "would add" not in html


def test_another_partners_benefits_are_not_visible(app, program):
    make_org("sakura", tier=Tier.GOLD)
    client = signed_in(app, make_user(Role.MEMBER, make_org("kumo")))
    assert client.get("/partners/sakura").status_code == 404


def test_the_program_page_shows_every_tier_to_everyone_signed_in(app, program):
    client = signed_in(app, make_user(Role.MEMBER, make_org("kumo", tier=Tier.SILVER)))
    html = client.get("/program").get_data(as_text=True)
    assert "Your company is Silver." in html
    for text in ("10% margin on resale", "15% margin on resale", "20% margin on resale",
                 "JPY 4,000,000 of market development funds a quarter",
                 "None: every partner starts here.", "Won deals — at least 25"):
        assert text in html, text
    assert 'tier-silver" aria-current="true"' in html
    manager_html = signed_in(app, make_user(Role.MANAGER)).get("/program").get_data(
        as_text=True)
    assert "Your company" not in manager_html and "25% margin on resale" in manager_html
    assert app.test_client().get("/program").status_code == 302  # signed out: sign in first


def test_the_program_page_is_in_japanese_too(app, program):
    client = signed_in(app, make_user(Role.MEMBER, make_org("kumo"), locale="ja"))
    html = client.get("/program").get_data(as_text=True)
    assert "パートナープログラム" in html
    assert "market development funds" not in html  # the MDF line is translated


def test_an_admin_changes_a_tiers_benefits(app, program):
    client = signed_in(app, make_user(Role.ADMIN))
    data = _form_from(client.get("/admin/tiers/edit").get_data(as_text=True))
    assert data["gold_benefits-margin_percent"] == "20"
    assert data["mdf_period"] == "quarter"
    data.update({"gold_benefits-margin_percent": "22.5", "gold_benefits-mdf": "",
                 "gold_benefits-support": "dedicated", "mdf_period": "half_year",
                 "gold_benefits-items": "Leads passed on by the channel team\n\n  Joint webinars ",
                 "note": "Gold: more margin instead of MDF."})
    assert client.post("/admin/tiers/edit", data=data).status_code == 302

    gold = service.current_program()[0].benefits.of("gold")
    # The demo environment fields were left as they were: kept.
    assert gold == TierBenefits(22.5, None, "dedicated",
                                ("Leads passed on by the channel team", "Joint webinars"),
                                demo_environments=3, demo_auto_approve=True)
    stored = db.session.scalar(select(TierProgramVersion).where(TierProgramVersion.number == 2))
    assert stored.rules["benefits"]["gold"]["margin_percent"] == 22.5
    page = client.get("/admin/tiers").get_data(as_text=True)
    assert "22.5% margin on resale" in page
    assert "JPY 500,000 of market development funds every six months" in page  # Silver's
    # The earlier version keeps its benefits.
    assert "20% margin on resale" in client.get("/admin/tiers/versions/1").get_data(
        as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("gold_benefits-margin_percent", "100", "Number must be"),
    ("gold_benefits-margin_percent", "lots", "Not a valid decimal"),
    ("gold_benefits-margin_percent", "sNaN", "Enter a number."),
    ("gold_benefits-margin_percent", "Infinity", "Enter a number."),
    ("gold_benefits-mdf", "-5", "Number must be"),
    ("gold_benefits-support", "gold-plated", "Not a valid choice"),
    ("gold_benefits-items", "Same\nSame", "the same item is listed twice"),
    ("gold_benefits-items", "x" * 201, "each item is a line of 1 to 200"),
    ("mdf_period", "month", "Not a valid choice"),
])
def test_bad_benefits_are_refused_with_a_message_and_nothing_saved(app, program, field, value,
                                                                  message):
    client = signed_in(app, make_user(Role.ADMIN))
    data = _form_from(client.get("/admin/tiers/edit").get_data(as_text=True))
    data.update({field: value, "note": "change"})
    response = client.post("/admin/tiers/edit", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TierProgramVersion)) == 1


def test_only_admins_change_benefits(app, program):
    manager = signed_in(app, make_user(Role.MANAGER))
    response = manager.post("/admin/tiers/edit", data={"gold_benefits-margin_percent": "50",
                                                       "note": "x"})
    assert response.status_code == 403
    assert service.current_program()[0].benefits.of("gold").margin_percent == 20
