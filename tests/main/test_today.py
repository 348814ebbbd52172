"""Each role's home says what needs doing today: tiles whose count is the length of the list
they link to, scoped to what the viewer may see; and the pure rules behind them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from lms.content import load_all, sync_all
from lms.courses.progress import onboarding_stalled
from lms.extensions import db
from lms.main.today import tier_moves
from lms.models import (
    Award,
    Credential,
    CredentialKind,
    DealStatus,
    JobFunction,
    Role,
    Tier,
    utcnow,
)
from lms.tiers import rules
from tests.factories import make_org, make_user, signed_in
from tests.factories.deals import deal
from tests.tiers.test_views import NCIE, NCSP, gold_ready, won_deals

TILE_RE = re.compile(
    r'<a class="action-tile-link" href="([^"]+)">\s*<span class="action-tile-count">([^<]+)'
    r'</span>\s*<span class="action-tile-title">([^<]+)</span>')


def tiles(html: str) -> dict[str, tuple[int, str]]:
    """Title -> (count, link) of every action tile."""
    return {title: (int(count.replace(",", "")), href.replace("&amp;", "&"))
            for href, count, title in TILE_RE.findall(html)}


def listed_rows(html: str) -> int:
    """Rows of the page's last table body, the "nothing here" row not counted."""
    body = re.findall(r"<tbody>(.*?)</tbody>", html, re.S)[-1]
    return len(re.findall(r"<tr>", body)) - len(re.findall(r'class="empty"', body))


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def certifications(app):
    made = {}
    for slug, name, job in ((NCSP, "NCSP", "sales"), (NCIE, "NCIE", "technical")):
        made[slug] = Credential(slug=slug, name=name, kind=CredentialKind.CERTIFICATION,
                                image="badges/x.svg", content_hash="x", job_function=job,
                                validity_months=24, courses=[], quizzes=[])
        db.session.add(made[slug])
    db.session.commit()
    return made


def expiring_award(person, credential, days: int) -> None:
    now = utcnow()
    db.session.add(Award(user_id=person.id, credential_id=credential.id,
                         issued_at=now - timedelta(days=700),
                         expires_at=now + timedelta(days=days)))
    db.session.commit()


# --- Pure rules ---------------------------------------------------------------------------


def test_tier_moves_count_each_partner_once_in_all_and_in_every_list_that_shows_it():
    moves = tier_moves([("bronze", "gold"), ("silver", "gold"), ("gold", "gold"),
                        ("gold", "silver"), ("platinum", "bronze"), ("bronze", "bronze")])

    assert moves.promotions_total == 2
    assert moves.at_risk_total == 2
    # The Bronze partner reaching Gold is in the Silver and in the Gold list.
    assert moves.promotions == {"gold": 2, "silver": 1}
    assert list(moves.promotions) == ["gold", "silver"]  # highest first
    assert moves.at_risk == {"platinum": 1, "gold": 1}


def test_tier_moves_of_nobody_are_empty():
    moves = tier_moves([])
    assert (moves.promotions_total, moves.at_risk_total, moves.promotions,
            moves.at_risk) == (0, 0, {}, {})


def test_per_tier_counts_agree_with_the_reports_own_status():
    pairs = [(current, qualified) for current in rules.TIERS for qualified in rules.TIERS]
    moves = tier_moves(pairs)
    for target in rules.TIERS[1:]:
        due = sum(rules.status_for(c, q, target) == rules.PROMOTION_DUE for c, q in pairs)
        risk = sum(rules.status_for(c, q, target) == rules.AT_RISK and c == target
                   for c, q in pairs)
        assert moves.promotions.get(target, 0) == due
        assert moves.at_risk.get(target, 0) == risk


JOINED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("done", "last", "now", "stalled"), [
    (False, None, JOINED + timedelta(days=6, hours=23), False),  # a week not over yet
    (False, None, JOINED + timedelta(days=7), True),  # not started a week after joining
    (True, None, JOINED + timedelta(days=30), False),  # done (elsewhere, or by transfer)
    (False, JOINED + timedelta(days=1), JOINED + timedelta(days=14, hours=23), False),
    (False, JOINED + timedelta(days=1), JOINED + timedelta(days=15), True),  # 14 idle days
    (True, JOINED + timedelta(days=1), JOINED + timedelta(days=90), False),
])
def test_onboarding_is_stalled_after_a_week_unstarted_or_two_idle_weeks(done, last, now,
                                                                        stalled):
    assert onboarding_stalled(done, last, JOINED, now) is stalled


# --- The channel manager's home ------------------------------------------------------------


@pytest.fixture
def program_with_work(app, certifications):
    now = utcnow()
    ready = make_org(name="Aozora Consulting", tier=Tier.SILVER)
    gold_ready(ready, certifications)
    risky = make_org(name="Fuji CRM Lab", tier=Tier.GOLD)
    won_deals(risky, 7, 3_000_000)
    make_org(name="Quiet Partner K.K.")
    first = deal(ready, registered_at=now - timedelta(days=20), customer="Hokuto Bank")
    deal(risky, registered_at=now - timedelta(days=5), customer="Hokuto Bank").conflict_with_id \
        = first.id
    deal(risky, registered_at=now - timedelta(days=3))
    deal(risky, DealStatus.APPROVED, registered_at=now - timedelta(days=30),
         approved_at=now - timedelta(days=29))
    holder = make_user(Role.MEMBER, risky, job=JobFunction.TECHNICAL)
    expiring_award(holder, certifications[NCIE], 30)
    expiring_award(holder, certifications[NCSP], 120)  # later than the 60 days
    db.session.commit()
    return {"ready": ready, "risky": risky}


def test_the_managers_home_counts_what_its_tiles_link_to(app, program_with_work):
    client = signed_in(app, make_user(Role.MANAGER))

    found = tiles(page(client, "/"))

    assert found["Promotions due"][0] == 1
    assert found["Tiers at risk"][0] == 1
    assert found["Certifications expiring"][0] == 1
    assert found["Deals awaiting a decision"][0] == 3
    assert found["Conflicts to resolve"][0] == 1
    for title, (count, link) in found.items():
        if title == "Promotions due":  # the review page lists every change, not a table
            continue
        assert listed_rows(page(client, link)) == count, title


def test_the_managers_tiles_link_to_the_partners_they_count(app, program_with_work):
    client = signed_in(app, make_user(Role.MANAGER))
    html = page(client, "/")

    assert 'href="/reports/tiers?tier=gold&amp;show=qualifies">Gold: 1</a>' in html
    risky = page(client, tiles(html)["Tiers at risk"][1])
    assert "Fuji CRM Lab" in risky and "Aozora Consulting" not in risky
    promoted = page(client, "/reports/tiers?tier=gold&show=qualifies")
    assert "Aozora Consulting" in promoted and "Fuji CRM Lab" not in promoted
    assert "Needs attention" in html


def test_a_new_program_says_there_is_nothing_to_do(app):
    client = signed_in(app, make_user(Role.MANAGER))

    html = page(client, "/")

    assert {count for count, _link in tiles(html).values()} == {0}
    assert html.count("Nothing to do") == 6
    assert "Needs attention" not in html


def test_a_member_sees_no_action_tiles(app, program_with_work):
    member = make_user(Role.MEMBER, program_with_work["risky"])
    assert tiles(page(signed_in(app, member), "/")) == {}


# --- The partner admin's home ---------------------------------------------------------------


def test_the_partner_admins_home_counts_only_its_own_company(app, program_with_work,
                                                              certifications, tmp_path):
    app.config["LMS_QUIZZES_DIR"] = str(tmp_path / "no-quizzes")
    sync_all(load_all())  # the onboarding paths
    db.session.commit()
    now = utcnow()
    risky, ready = program_with_work["risky"], program_with_work["ready"]
    admin = make_user(Role.PARTNER_ADMIN, risky, created_at=now - timedelta(days=3))
    # Stalled: joined 10 days ago and never started; the other company's likewise.
    make_user(Role.MEMBER, risky, name="Sora Stalled", created_at=now - timedelta(days=10))
    make_user(Role.MEMBER, ready, name="Elsewhere Stalled",
              created_at=now - timedelta(days=10))
    make_user(Role.MEMBER, risky, name="New Joiner", created_at=now - timedelta(days=2))
    other = make_user(Role.MEMBER, ready, job=JobFunction.SALES)
    expiring_award(other, certifications[NCSP], 20)  # another company's
    client = signed_in(app, admin)

    found = tiles(page(client, "/"))

    assert found["Gold at risk"][0] >= 1
    assert found["Stalled in onboarding"][0] == 1
    assert found["Certifications expiring"][0] == 1
    assert found["Deals awaiting the vendor"][0] == 2
    stalled = page(client, found["Stalled in onboarding"][1])
    assert "Sora Stalled" in stalled
    assert "Elsewhere Stalled" not in stalled and "New Joiner" not in stalled
    for title in ("Stalled in onboarding", "Certifications expiring",
                  "Deals awaiting the vendor"):
        count, link = found[title]
        assert listed_rows(page(client, link)) == count, title


def test_deals_about_to_expire_are_called_out(app, program_with_work):
    now = utcnow()
    risky = program_with_work["risky"]
    days = app.config.get("LMS_DEAL_EXPIRY_DAYS", 90)
    deal(risky, registered_at=now - timedelta(days=days - 5))
    db.session.commit()
    client = signed_in(app, make_user(Role.PARTNER_ADMIN, risky))

    html = page(client, "/")

    assert "1 expires within 14 days." in html
