"""The demo's sales-asset library for Nimbus CRM: a dozen real, openable files.

`seed_assets` publishes them through the library's services (some with several versions,
some Gold- or Platinum-only) and spreads downloads by the demo partners' people over the last
months, so the library and the usage report look alive. Idempotent: it does nothing when any
asset exists.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from sqlalchemy import select

from lms.assets.access import may_download
from lms.assets.metadata import AssetData, parse_tags
from lms.assets.publishing import add_version, publish
from lms.demo.files import (
    BRAND,
    WHITE,
    docx_document,
    logo_png,
    pdf_document,
    pipeline_png,
    xlsx_workbook,
    zip_archive,
)
from lms.demo.people import PARTNER_EMAILS
from lms.extensions import db
from lms.models import (
    Asset,
    AssetCategory,
    AssetDownload,
    AssetVersion,
    Audience,
    Organization,
    Tier,
    User,
)


@dataclass(frozen=True)
class DemoFile:
    days_ago: int
    filename: str
    make: Callable[[], bytes]
    note: str


@dataclass(frozen=True)
class DemoAsset:
    title: str
    description: str
    category: AssetCategory
    tags: str
    audience: Audience
    language: str
    min_tier: Tier
    files: tuple[DemoFile, ...]  # oldest first: version 1, 2...


def _overview(fy: str, connectors: bool) -> Callable[[], bytes]:
    body = [
        "# One CRM for Japanese and global sales teams",
        "Nimbus CRM gives mid-sized B2B companies one shared pipeline in Japanese and English: "
        "accounts, contacts, leads, opportunities and activities, with furigana sorting, "
        "corporate-number matching and Japanese address formats built in.",
        "# Why customers choose Nimbus",
        "Go live in 6 to 10 weeks with a certified partner. Email and meetings are logged "
        "automatically from Microsoft 365 or Google Workspace, so reps type less and managers "
        "see more. Data is hosted in Japan by default (Tokyo, with backup in Osaka).",
        "# Editions " + fy,
        "Starter - JPY 1,800 per user per month, 3 to 25 users.",
        "Professional - JPY 4,800 per user per month: custom objects, workflow automation, "
        "REST API and webhooks.",
        "Enterprise - JPY 9,800 per user per month: SAML single sign-on, territories, audit "
        "log, full-copy sandbox and 24/7 support for P1 incidents.",
    ]
    if connectors:
        body += ["# New: connectors for Japanese business tools",
                 "Professional and Enterprise now include the Kaikei Cloud accounting "
                 "connector, Kumiki no-code apps and Meishi Box business-card capture."]
    return lambda: pdf_document("Nimbus CRM - Product overview", body,
                                "The CRM built for how Japanese companies sell")


def _overview_ja() -> bytes:
    return pdf_document("Nimbus CRM 製品概要", [
        "# 日本の営業チームのためのCRM",
        "Nimbus CRMは、取引先・担当者・リード・商談・活動履歴を日本語と英語で一元管理できる"
        "中堅企業向けのクラウドCRMです。ふりがな順の並べ替え、法人番号による名寄せ、日本の住所"
        "形式に標準で対応しています。",
        "# 選ばれる理由",
        "認定パートナーによる導入で6〜10週間で本稼働。Microsoft 365やGoogle Workspaceのメール"
        "と予定を自動で記録するため、営業担当者の入力負担が減り、マネージャーは最新の商談状況を"
        "すぐに把握できます。データは標準で国内（東京、バックアップは大阪）に保管されます。",
        "# エディション",
        "Starter：1ユーザーあたり月額1,800円（3〜25ユーザー）",
        "Professional：月額4,800円。カスタムオブジェクト、ワークフロー、REST API",
        "Enterprise：月額9,800円。SAMLシングルサインオン、テリトリー管理、監査ログ",
    ], "日本の売り方に合わせて作られたCRM", japanese=True)


def _proposal(version: int) -> Callable[[], bytes]:
    paragraphs = [
        "# Proposal: Nimbus CRM Professional for [Customer name]",
        "Prepared by [Partner name], Nimbus CRM certified partner - [Date]",
        "## 1. Your situation",
        "[In the customer's own words: what is broken today, what it costs, and by when it "
        "must change. Reuse the notes from discovery.]",
        "## 2. Proposed solution",
        "Nimbus CRM Professional for [number] users, connected to [Microsoft 365 / Google "
        "Workspace] and [Kaikei Cloud].",
        "## 3. Implementation plan",
        "Week 1-2: workshops and design. Week 3-6: configuration and data migration "
        "rehearsal. Week 7-8: training and go-live.",
        "## 4. Investment",
        "Subscription: [users] x JPY 4,800 x 12 months = JPY [amount] (before consumption tax). "
        "Services are quoted separately by [Partner name].",
    ]
    if version >= 2:
        paragraphs += ["## 5. Why [Partner name]",
                       "[Certified people on the project, references in the same industry, "
                       "support in Japanese after go-live.]"]
    return lambda: docx_document(paragraphs)


def _roi() -> bytes:
    return xlsx_workbook("ROI", [
        ["Nimbus CRM ROI calculator", "Value"],
        ["Managers consolidating spreadsheets", 5],
        ["Hours per manager per week", 3],
        ["Loaded cost per hour (JPY)", 6000],
        ["Yearly cost of consolidation (JPY)", "=B2*B3*B4*48"],
        ["Nimbus CRM users", 40],
        ["Professional list price per user per month (JPY)", 4800],
        ["Yearly subscription at list (JPY)", "=B6*B7*12"],
        ["Saving in year one (JPY)", "=B5-B8"],
    ])


def _case_study() -> bytes:
    return pdf_document("Case study: Kaede Logistics leaves spreadsheets behind", [
        "# The customer",
        "Kaede Logistics runs 14 branches across Kanto and Kansai with 120 sales people. Every "
        "branch kept its own Excel pipeline; the weekly sales meeting took a manager half a "
        "day to prepare.",
        "# The project",
        "Partner Sakura Systems implemented Nimbus CRM Professional in eight weeks, migrated "
        "11,000 accounts with a rehearsal before cut-over, and connected Kaikei Cloud so "
        "closed-won deals become invoices without double entry.",
        "# The results after six months",
        "Weekly meeting preparation down from 4 hours to 20 minutes. Win rate up from 21% to "
        "27%. Customer history kept when two senior reps left.",
        '"For the first time, every branch looks at the same numbers." - Head of Sales',
    ], "Logistics - 120 users - Professional edition")


def _case_study_ja() -> bytes:
    return pdf_document("導入事例：さくら精機株式会社", [
        "# お客様",
        "さくら精機株式会社は、産業用ポンプを製造・販売する従業員350名の企業です。営業日報は"
        "紙とExcelで管理され、商談の進捗は週次会議でしか共有されていませんでした。",
        "# 導入の内容",
        "パートナーのあおぞらコンサルティングが、Nimbus CRM Professionalを7週間で導入。"
        "名刺管理のMeishi Boxと連携し、展示会で集めた名刺をその日のうちにリードとして登録"
        "できるようにしました。",
        "# 導入の効果",
        "商談化までの日数が平均18日から9日に短縮。営業会議の資料作成はほぼゼロになりました。",
    ], "製造業・80ユーザー・Professionalエディション", japanese=True)


def _battlecard(version: int) -> Callable[[], bytes]:
    body = [
        "# Their strengths",
        "Brand, a huge app ecosystem, very deep customisation, many certified consultants.",
        "# Where we win",
        "Faster go-live (6-10 weeks, not 4-9 months), lower total cost, native Japanese "
        "handling (furigana, corporate numbers, addresses), JPY invoicing, local support.",
        "# Questions to ask",
        "How many of your current licences are used every week? Who administers the system "
        "today, and what happens if they leave? What did your last upgrade project cost?",
        "# Avoid saying",
        '"They are too complicated." Say instead: "Nimbus is designed so your own team can '
        'run it."',
    ]
    if version >= 2:
        body += ["# Also in the deal: domestic SFA tools",
                 "Win with the REST API and webhooks, custom objects, English for international "
                 "teams and data residency outside Japan on Enterprise."]
    return lambda: pdf_document("Battlecard: Nimbus CRM vs. the big US CRMs", body,
                                "For partner sales people - do not share with customers")


def _price_list() -> bytes:
    return pdf_document("Nimbus CRM price list FY2026 (JPY)", [
        "# Editions (per user per month, annual contract, excluding consumption tax)",
        "Starter: JPY 1,800 (3-25 users). Month-to-month: JPY 2,200.",
        "Professional: JPY 4,800 (from 5 users).",
        "Enterprise: JPY 9,800 (from 20 users).",
        "# Add-ons",
        "Nimbus Insights: JPY 1,200 per user per month (Professional, Enterprise).",
        "Extra API capacity (+50,000 requests a day): JPY 30,000 per month.",
        "Premier Support: 15% of subscription value (Professional).",
        "# Multi-year",
        "3-year term, prepaid annually: a further 5% off list, funded by Nimbus.",
    ], "Effective 1 April 2026")


def _playbook() -> bytes:
    return pdf_document("Partner pricing and discount playbook", [
        "# Partner discounts",
        "Bronze 10% (15% with an approved registration), Silver 15% (20%), Gold 20% (25%), "
        "Platinum 25% (30%).",
        "# Discounts to customers",
        "Up to 15% off list at your discretion. From 15% to 30% through the Nimbus Deal Desk "
        "on an approved registration. More than 30% is not permitted.",
        "# Deal Desk requests that get approved",
        "A competing quote, a strategic logo, or a large user count. Attach the evidence to "
        "the registration.",
        "# Worked quote",
        "40 Professional users, one year: list JPY 2,304,000; Silver partner cost "
        "JPY 1,843,200; customer price at 10% off JPY 2,073,600; margin JPY 230,400.",
    ], "Platinum partners only - confidential")


def _demo_guide(version: int) -> Callable[[], bytes]:
    steps = [
        "# Before the demo (10 minutes)",
        "Sign in to your partner demo environment and reset the sample data. Load the "
        "customer's logo and three of their real account names.",
        "# The 20-minute story",
        "1. Morning view: today's meetings logged from the calendar. 2. The pipeline board by "
        "stage. 3. A business card captured with Meishi Box becomes a lead. 4. The manager's "
        "forecast with one click. 5. The mobile app before a customer visit.",
        "# Close",
        "Agree the next step while everyone is in the room: a pilot with one branch, or a "
        "workshop with your certified engineer.",
    ]
    if version >= 2:
        steps.insert(4, "Show furigana sorting on the account list: Japanese customers "
                        "notice it at once.")
    return lambda: pdf_document("Demo guide: the 20-minute Nimbus CRM demo", steps,
                                "Scripts and clicks for partner sales people")


def _sandbox_guide() -> bytes:
    return pdf_document("Demo environment setup for engineers", [
        "# Your sandboxes",
        "Professional includes one developer sandbox; Enterprise adds one full-copy and three "
        "developer sandboxes. Partners get a demo org with sample data from the partner "
        "portal.",
        "# Connect the integrations",
        "Register an API client, use OAuth 2.0 client credentials, and subscribe a webhook "
        "to opportunity.closed_won. The Bulk Import API loads the sample data in minutes.",
        "# Reset before each demo",
        "Run the reset script from the partner toolkit; it keeps your custom objects and "
        "restores the sample records.",
    ], "For partner technical staff")


def _logo_pack() -> bytes:
    return zip_archive([
        ("nimbus-crm-logo-256.png", logo_png(256)),
        ("nimbus-crm-logo-white-128.png", logo_png(128, WHITE, BRAND)),
        ("README.txt", b"Nimbus CRM logo pack for partners.\r\nUse the mark on a white or "
                       b"brand-blue background; keep clear space of a quarter of its width."
                       b"\r\nDo not stretch, recolour or combine it with your own logo.\r\n"),
    ])


DEMO_ASSETS = (
    DemoAsset("Nimbus CRM product overview",
              "The two-page overview to leave with a prospect after the first meeting: what "
              "Nimbus CRM does, why customers choose it, and the three editions.",
              AssetCategory.BROCHURE, "overview, editions, first meeting", Audience.ALL, "en",
              Tier.BRONZE,
              (DemoFile(170, "Nimbus CRM overview.pdf", _overview("FY2025", False),
                        "First edition."),
               DemoFile(75, "Nimbus CRM overview.pdf", _overview("FY2026", False),
                        "Prices and editions updated for FY2026."),
               DemoFile(12, "Nimbus CRM overview.pdf", _overview("FY2026", True),
                        "Added the Kaikei Cloud, Kumiki and Meishi Box connectors."))),
    DemoAsset("Nimbus CRM 製品概要",
              "初回訪問後にお客様へお渡しする製品概要（日本語版）。特長、選ばれる理由、"
              "エディションを2ページにまとめています。",
              AssetCategory.BROCHURE, "概要, エディション, overview", Audience.ALL, "ja",
              Tier.BRONZE,
              (DemoFile(60, "Nimbus_CRM_製品概要.pdf", _overview_ja, "初版"),)),
    DemoAsset("Proposal template: Nimbus CRM Professional",
              "A Word template for a **Professional edition** proposal: situation, solution, "
              "implementation plan and investment. Replace every `[placeholder]`.",
              AssetCategory.PROPOSAL_TEMPLATE, "proposal, professional, quote", Audience.SALES,
              "en", Tier.BRONZE,
              (DemoFile(140, "Nimbus CRM proposal template.docx", _proposal(1),
                        "First edition."),
               DemoFile(30, "Nimbus CRM proposal template.docx", _proposal(2),
                        "Added a 'Why us' section for the partner's references."))),
    DemoAsset("ROI calculator",
              "An Excel sheet that turns the customer's hours spent consolidating spreadsheets "
              "into a yearly cost, next to the subscription price.",
              AssetCategory.OTHER, "roi, business case, pricing", Audience.SALES, "en",
              Tier.SILVER,
              (DemoFile(95, "Nimbus CRM ROI calculator.xlsx", _roi, "First edition."),)),
    DemoAsset("Case study: Kaede Logistics leaves spreadsheets behind",
              "14 branches, 120 sales people, one pipeline. Weekly meeting preparation went "
              "from 4 hours to 20 minutes; win rate from 21% to 27%.",
              AssetCategory.CASE_STUDY, "logistics, spreadsheets, professional", Audience.ALL,
              "en", Tier.BRONZE,
              (DemoFile(110, "Case study - Kaede Logistics.pdf", _case_study,
                        "First edition."),)),
    DemoAsset("導入事例：さくら精機株式会社",
              "製造業のお客様が、名刺管理と連携したNimbus CRMで商談化までの日数を半分にした事例"
              "です。",
              AssetCategory.CASE_STUDY, "製造業, 名刺, manufacturing", Audience.ALL, "ja",
              Tier.BRONZE,
              (DemoFile(45, "導入事例_さくら精機.pdf", _case_study_ja, "初版"),)),
    DemoAsset("Battlecard: Nimbus CRM vs. the big US CRMs",
              "Their strengths, where we win, the questions that expose the difference, and "
              "what not to say. For partner sales people only.",
              AssetCategory.BATTLECARD, "competition, objections", Audience.SALES, "en",
              Tier.SILVER,
              (DemoFile(120, "Battlecard - big US CRMs.pdf", _battlecard(1), "First edition."),
               DemoFile(20, "Battlecard - big US CRMs.pdf", _battlecard(2),
                        "Added the domestic SFA tools section."))),
    DemoAsset("Price list FY2026 (JPY)",
              "List prices of the editions and add-ons from 1 April 2026, with the multi-year "
              "discount.",
              AssetCategory.PRICE_LIST, "pricing, jpy, fy2026", Audience.SALES, "en",
              Tier.GOLD,
              (DemoFile(50, "Nimbus CRM price list FY2026.pdf", _price_list,
                        "Prices from 1 April 2026."),)),
    DemoAsset("Partner pricing and discount playbook",
              "Partner discounts by tier, the Deal Desk rules and a worked quote. "
              "Confidential: Platinum partners only.",
              AssetCategory.PRICE_LIST, "pricing, discounts, deal desk", Audience.SALES, "en",
              Tier.PLATINUM,
              (DemoFile(40, "Partner pricing playbook.pdf", _playbook, "First edition."),)),
    DemoAsset("Demo guide: the 20-minute Nimbus CRM demo",
              "The demo story that wins first meetings, click by click, with what to prepare "
              "and how to close on a next step.",
              AssetCategory.DEMO_GUIDE, "demo, first meeting", Audience.SALES, "en",
              Tier.BRONZE,
              (DemoFile(130, "Nimbus CRM 20-minute demo guide.pdf", _demo_guide(1),
                        "First edition."),
               DemoFile(55, "Nimbus CRM 20-minute demo guide.pdf", _demo_guide(2),
                        "Added the furigana sorting step."))),
    DemoAsset("Demo environment setup for engineers",
              "Sandboxes, API clients, webhooks and the reset script: everything an engineer "
              "needs before a technical demo.",
              AssetCategory.DEMO_GUIDE, "sandbox, api, webhooks", Audience.TECHNICAL, "en",
              Tier.SILVER,
              (DemoFile(85, "Demo environment setup.pdf", _sandbox_guide, "First edition."),)),
    DemoAsset("Pipeline board screenshot",
              "A screenshot of the pipeline board for slides and proposals.",
              AssetCategory.OTHER, "screenshot, pipeline", Audience.ALL, "en", Tier.BRONZE,
              (DemoFile(65, "nimbus-pipeline-board.png", pipeline_png, "First edition."),)),
    DemoAsset("Nimbus CRM logo pack",
              "The Nimbus CRM mark in colour and white, with the usage rules. For co-branded "
              "material and your website's partner page.",
              AssetCategory.OTHER, "logo, brand, co-marketing", Audience.ALL, "en", Tier.BRONZE,
              (DemoFile(160, "nimbus-crm-logo-pack.zip", _logo_pack, "First edition."),)),
)


@dataclass
class DemoUpload:
    """A demo file handed to the library's services as an upload (lms.assets.files.Upload)."""

    filename: str | None
    stream: BinaryIO


def _upload(demo_file: DemoFile) -> DemoUpload:
    return DemoUpload(filename=demo_file.filename, stream=io.BytesIO(demo_file.make()))


def seed_assets(now: datetime, uploader: User | None) -> bool:
    """Publish the demo library and its download history, once: False (and nothing done)
    when any asset exists. Flushes; the caller commits."""
    if db.session.scalar(select(Asset.id).limit(1)) is not None:
        return False
    for spec in DEMO_ASSETS:
        first, *later = spec.files
        data = AssetData(title=spec.title, description=spec.description,
                         category=spec.category, tags=parse_tags(spec.tags),
                         audience=spec.audience, language=spec.language,
                         min_tier=spec.min_tier)
        asset = publish(uploader, data, _upload(first), first.note,
                        now=now - timedelta(days=first.days_ago))
        for demo_file in later:
            add_version(uploader, asset, _upload(demo_file), demo_file.note,
                        now=now - timedelta(days=demo_file.days_ago))
    _seed_downloads(now)
    db.session.flush()
    return True


# How much the named partners download (others draw it at random).
DOWNLOAD_ACTIVITY = {"sakura-systems": 3.0, "aozora-consulting": 2.0, "kumo-works": 1.0}


def _seed_downloads(now: datetime) -> None:
    """Downloads by the demo partners' people over the last six months, each of a version
    that was current then and of an asset their tier unlocks (one flush)."""
    people = db.session.execute(
        select(User, Organization.slug, Organization.tier)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.email.like(PARTNER_EMAILS)).order_by(User.email)).all()
    if not people:
        return
    assets = list(db.session.scalars(select(Asset).order_by(Asset.id)))
    versions: dict[int, list[AssetVersion]] = {}
    for version in db.session.scalars(select(AssetVersion).order_by(AssetVersion.number)):
        versions.setdefault(version.asset_id, []).append(version)
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security
    rows = []
    for user, org_slug, tier in people:
        activity = DOWNLOAD_ACTIVITY.get(org_slug, rng.choice([0.0, 0.3, 0.6, 1.0, 1.5]))
        prefix = user.email.split("@", 1)[0]
        for asset in assets:
            if not may_download(False, tier, asset.min_tier):
                continue
            relevant = asset.audience == Audience.ALL or (
                (asset.audience == Audience.TECHNICAL) == (prefix == "engineer"))
            if not relevant or rng.random() > 0.25 + 0.2 * activity:
                continue
            for _ in range(rng.randint(1, 1 + round(activity * 1.5))):
                at = now - timedelta(days=rng.uniform(0, 180), minutes=rng.randint(0, 600))
                current = [v for v in versions[asset.id] if v.created_at <= at]
                if not current:
                    continue
                rows.append(AssetDownload(asset_id=asset.id, version_id=current[-1].id,
                                          user_id=user.id, organization_id=user.organization_id,
                                          at=at))
    db.session.add_all(rows)
