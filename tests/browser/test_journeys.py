"""Journeys through the demo program in a real browser, as the people of DESIGN.md make them."""

from __future__ import annotations

import codecs
import csv
import io
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.demo import DEMO_PASSWORD
from tests.browser.helpers import (
    JAPANESE,
    answer_correctly,
    complete_course,
    sign_in,
)

pytestmark = pytest.mark.browser

NCIE = "Nimbus Certified Implementation Engineer (NCIE)"
NCIE_JA = "Nimbus 認定導入エンジニア（NCIE）"  # its [credentials.ja] name
EXAM = "nimbus-certified-engineer-exam"
EXAM_JA = "Nimbus 認定導入エンジニア（NCIE）試験"  # the exam's [ja] title
# The main navigation of a partner member, in Japanese (messages.po).
MEMBER_NAV_JA = ["ホーム", "コース", "クイズと試験", "ライブラリ", "案件", "マイ資格"]
# Under "プログラム" (a menu that opens): the company's tier, its funds, the SPIF campaigns, the
# program terms, the knowledge base, demo environments.
MEMBER_PROGRAM_JA = ["自社のティア", "マーケティング開発資金（MDF）", "SPIFキャンペーン",
                     "プログラム規約", "ナレッジベースと質問", "デモ環境"]


def test_invited_engineer_trains_in_japanese_and_earns_a_verifiable_certification(
        open_page, live_server, screenshot):
    email = f"hana.{uuid.uuid4().hex[:10]}@kumo-works.example"
    name = "Hana Kobayashi"
    password = "Kumo-works-2026-engineer"

    # Kumo Works' partner admin invites a new engineer; no mail server: the link is shown.
    admin = open_page()
    sign_in(admin, "admin@kumo-works.demo.test", DEMO_PASSWORD)
    main_menu = admin.get_by_role("navigation", name="Main")
    main_menu.get_by_text("Team", exact=True).click()  # the group of the admin's pages
    main_menu.get_by_role("link", name="People").click()
    admin.get_by_role("link", name="Invite someone").click()
    admin.get_by_label("Email").fill(email)
    admin.get_by_label("Role").select_option(label="Member")
    admin.get_by_label("Job function").select_option(label="Technical")
    admin.get_by_role("button", name="Create invitation").click()
    expect(admin.get_by_role("heading", name="Invitation created")).to_be_visible()
    link = admin.get_by_label("Invitation link (shown only now)").input_value()
    assert link.startswith(f"{live_server.url}/invitations/"), link

    # The engineer opens the link in their own browser and sets up the account.
    engineer = open_page()
    engineer.goto(link)
    expect(engineer.get_by_role("heading", name="Set up your account")).to_be_visible()
    expect(engineer.get_by_role("main")).to_contain_text(
        f"You are invited to Partner Academy as {email}, at Kumo Works.")
    screenshot(engineer, "browser-invitation.png")
    engineer.get_by_label("Your name").fill(name)
    engineer.get_by_label("Password", exact=True).fill(password)
    engineer.get_by_label("Repeat the password").fill(password)
    engineer.get_by_role("button", name="Create my account").click()
    expect(engineer.get_by_text(f"Welcome to Partner Academy, {name}.")).to_be_visible()

    # Signs out, and back in with the new password.
    engineer.get_by_role("button", name="Sign out").click()
    expect(engineer.get_by_text("You are signed out.")).to_be_visible()
    sign_in(engineer, email, password)
    expect(engineer.get_by_role("link", name=name)).to_be_visible()

    # Chooses Japanese on the account page: the whole interface follows.
    engineer.get_by_role("link", name=name).click()
    expect(engineer.get_by_role("heading", name="Your account")).to_be_visible()
    engineer.get_by_role("main").get_by_label("Language").select_option(label="日本語")
    engineer.get_by_role("main").get_by_role("button", name="Save").click()
    expect(engineer.get_by_text("プロフィールを保存しました。")).to_be_visible()
    expect(engineer.locator("html")).to_have_attribute("lang", "ja")
    nav = engineer.get_by_role("navigation", name="メイン")
    expect(nav.get_by_role("link")).to_have_text(MEMBER_NAV_JA)
    nav.get_by_text("プログラム", exact=True).click()
    expect(nav.get_by_role("link")).to_have_text(MEMBER_NAV_JA + MEMBER_PROGRAM_JA)
    nav.get_by_text("プログラム", exact=True).click()

    # The implementation course is locked until Partner Program Essentials (here in its
    # Japanese version, which counts for the original) is complete, with its quiz.
    nav.get_by_role("link", name="コース").click()
    implementation = engineer.locator("article").filter(
        has=engineer.get_by_role("heading", name="Nimbus CRM Implementation", exact=True))
    expect(implementation).to_contain_text("ロック中。")
    engineer.get_by_role("heading", name="パートナープログラムの基本").get_by_role("link").click()
    complete_course(engineer, "partner-program-essentials-quiz", JAPANESE)

    nav.get_by_role("link", name="コース").click()
    expect(implementation).not_to_contain_text("ロック中。")
    implementation.get_by_role("heading").get_by_role("link").click()
    complete_course(engineer, "nimbus-crm-implementation-quiz", JAPANESE)

    # The timed certification exam: 12 questions drawn from 30, the clock running.
    nav.get_by_role("link", name="クイズと試験").click()
    engineer.get_by_role("link", name=EXAM_JA, exact=True).click()
    expect(engineer.get_by_role("main")).to_contain_text("30分")
    engineer.get_by_role("button", name="試験を開始").click()
    # The countdown runs in the page (the server renders only the deadline).
    expect(engineer.get_by_role("timer")).to_contain_text(re.compile(r"残り時間:\s*\d+:[0-5]\d"))
    assert answer_correctly(engineer, EXAM, JAPANESE) == 12
    expect(engineer.locator("fieldset.question legend").first).to_have_text("設問1 / 12")
    expect(engineer.get_by_text(JAPANESE.saved, exact=True)).to_be_visible()
    screenshot(engineer, "browser-exam-ja.png")
    engineer.get_by_role("button", name=JAPANESE.submit).click()
    expect(engineer.get_by_role("heading", level=1)).to_have_text(JAPANESE.passed)
    expect(engineer.get_by_role("main")).to_contain_text("100%")

    # The certification is on "My credentials", valid, with its certificate.
    nav.get_by_role("link", name="マイ資格").click()
    certification = engineer.locator("article").filter(
        has=engineer.get_by_role("heading", name=NCIE_JA, exact=True))
    expect(certification.get_by_text("有効", exact=True)).to_be_visible()  # not 有効期限
    expect(certification).to_contain_text("認定資格")
    public_path = certification.get_by_role("link", name="公開確認ページ").get_attribute("href")
    assert public_path and public_path.startswith("/verify/"), public_path
    screenshot(engineer, "browser-credential-ja.png")
    certification.get_by_role("link", name="認定証").click()
    # (Playwright writes the pattern between slashes: a slash in it must be escaped.)
    verify_link = engineer.get_by_role("link", name=re.compile(r"\/verify\/"))
    verify_url = verify_link.get_attribute("href")
    assert verify_url == live_server.url + public_path

    # Anyone, signed out, checks it from the published link.
    visitor = open_page()
    visitor.goto(verify_url)
    expect(visitor.get_by_role("heading", name=NCIE)).to_be_visible()
    card = visitor.get_by_role("main")
    expect(card).to_contain_text("Credential verification")
    expect(card.get_by_text("Valid", exact=True)).to_be_visible()  # the status, not "Valid until"
    expect(card).to_contain_text(name)
    expect(card).to_contain_text("Nimbus CRM Partner Program")
    expect(visitor.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(visitor, "browser-verify.png")


def test_manager_downloads_who_qualifies_for_gold_as_csv(open_page, screenshot):
    page = open_page()
    sign_in(page, "manager@demo.test", DEMO_PASSWORD)
    main_menu = page.get_by_role("navigation", name="Main")
    main_menu.get_by_text("Reports", exact=True).click()
    main_menu.get_by_role("link", name="Tier report").click()
    page.get_by_role("navigation", name="Tier", exact=True).get_by_role(
        "link", name="Gold", exact=True).click()
    expect(page).to_have_url(re.compile(r"/reports/tiers\?tier=gold(&|$)"))
    expect(page.get_by_role("heading", name="Who qualifies for Gold")).to_be_visible()
    aozora = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Aozora Consulting"))
    expect(aozora).to_contain_text("Qualifies — promotion due")
    fuji = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Fuji CRM Lab"))
    expect(fuji).to_contain_text("At risk since")
    all_partners = page.get_by_role("link", name=re.compile(r"^All partners \(\d+\)$"))
    partner_count = int(re.search(r"\d+", all_partners.inner_text()).group())
    screenshot(page, "browser-gold-report.png")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == "tier-report-gold.csv"
    data = Path(download.path()).read_bytes()
    assert data.startswith(codecs.BOM_UTF8), "Excel needs the BOM to read Japanese text"
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    requirements = ["Won deals", "Won revenue (JPY)",
                    "Certified sales people: Nimbus Certified Sales Professional (NCSP)",
                    f"Certified engineers: {NCIE}"]
    assert header == [
        "Partner", "Slug", "Current tier", "Qualifies for", "Status", "At risk since",
        "Demotion on",
        *[f"{r}: {what}" for r in requirements for what in ("actual", "required")],
        "Gap", "Partner type",
    ]
    assert len(rows) == partner_count
    by_slug = {row[1]: row for row in rows}
    assert by_slug["aozora-consulting"][:5] == [
        "Aozora Consulting", "aozora-consulting", "Silver", "Gold", "Qualifies — promotion due"]
    assert by_slug["sakura-systems"][2:5] == ["Gold", "Gold", "Holds"]
    assert by_slug["fuji-crm-lab"][4] == "At risk"
    assert by_slug["fuji-crm-lab"][5], "the CSV says since when it is at risk"


@pytest.mark.parametrize(("title", "filename"), [
    ("Nimbus CRM product overview", "Nimbus CRM overview.pdf"),
    ("Nimbus CRM 製品概要", "Nimbus_CRM_製品概要.pdf"),
])
def test_partner_downloads_a_brochure_from_the_library(open_page, screenshot, title, filename):
    page = open_page()
    sign_in(page, "sales@kumo-works.demo.test", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", name="Sales assets")).to_be_visible()
    # Kumo Works is Bronze: Gold material is listed, but locked.
    price_list = page.locator("article").filter(
        has=page.get_by_role("heading", name="Price list FY2026 (JPY)"))
    expect(price_list).to_contain_text("Locked. Unlocks at Gold.")

    page.get_by_role("heading", name=title, exact=True).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("main")).to_contain_text(f"{filename} · PDF")
    if filename.isascii():
        screenshot(page, "browser-asset.png")

    with page.expect_download() as download_info:
        page.get_by_role("main").get_by_role("link", name="Download", exact=True).click()
    download = download_info.value
    assert download.suggested_filename == filename
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")
