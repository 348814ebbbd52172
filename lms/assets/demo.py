"""Demo sales material for Nimbus CRM: real, openable files made in pure Python.

`seed_assets` publishes a dozen assets through the library's services (some with several
versions, some Gold- or Platinum-only) and spreads downloads by the demo partners' people
over the last months, so the library and the usage report look alive. Idempotent: it does
nothing when any asset exists.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from lms.assets import service
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

# --- PDF --------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56
BRAND_RGB = "0.11 0.31 0.85"
JAPANESE_FONT = "HeiseiKakuGo-W5"  # one of the standard Japanese fonts every PDF reader has


def _pdf_text(text: str, japanese: bool) -> str:
    if japanese:
        return "<" + text.encode("utf-16-be").hex().upper() + ">"
    raw = text.encode("cp1252", errors="replace").decode("latin-1")
    return "(" + raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _text_width(text: str, size: float, japanese: bool) -> float:
    if japanese:
        return sum(0.5 if ord(ch) < 128 else 1.0 for ch in text) * size
    return len(text) * size * 0.5


def _wrap(text: str, size: float, japanese: bool) -> list[str]:
    width = PAGE_WIDTH - 2 * MARGIN
    lines: list[str] = []
    current = ""
    tokens = list(text) if japanese else text.split(" ")
    joiner = "" if japanese else " "
    for token in tokens:
        candidate = f"{current}{joiner}{token}" if current else token
        if current and _text_width(candidate, size, japanese) > width:
            lines.append(current)
            current = token.lstrip() if japanese else token
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


def pdf_document(title: str, body: list[str], subtitle: str = "",
                 japanese: bool = False) -> bytes:
    """A real PDF: a brand header, then the body ("# " lines are headings), flowing over
    as many A4 pages as needed; Helvetica, or a standard Japanese font."""
    regular, bold = ("/F3", "/F3") if japanese else ("/F1", "/F2")
    pages: list[list[str]] = []
    ops: list[str] = []
    y = 0.0

    def new_page() -> None:
        nonlocal ops, y
        ops = [f"q {BRAND_RGB} rg 0 {PAGE_HEIGHT - 96} {PAGE_WIDTH} 96 re f Q"]
        header = _pdf_text("Nimbus CRM Partner Program", False)
        ops.append(f"BT /F2 9 Tf 1 1 1 rg {MARGIN} {PAGE_HEIGHT - 30} Td {header} Tj ET")
        pages.append(ops)
        y = PAGE_HEIGHT - 130

    def line(text: str, font: str, size: float, gap: float, rgb: str = "0.12 0.12 0.14"
             ) -> None:
        nonlocal y
        if y < MARGIN + 40:
            new_page()
        ops.append(f"BT {font} {size} Tf {rgb} rg {MARGIN} {y:.1f} Td "
                   f"{_pdf_text(text, japanese)} Tj ET")
        y -= gap

    new_page()
    title_lines = _wrap(title, 20, japanese)
    ty = PAGE_HEIGHT - 58
    for text in title_lines[:2]:
        ops.append(f"BT {bold} 20 Tf 1 1 1 rg {MARGIN} {ty} Td {_pdf_text(text, japanese)} "
                   "Tj ET")
        ty -= 24
    if subtitle:
        for text in _wrap(subtitle, 11, japanese):
            line(text, regular, 11, 16, "0.35 0.38 0.45")
        y -= 10
    for paragraph in body:
        if paragraph.startswith("# "):
            y -= 6
            for text in _wrap(paragraph[2:], 14, japanese):
                line(text, bold, 14, 20, "0.07 0.2 0.55")
            continue
        for text in _wrap(paragraph, 10.5, japanese):
            line(text, regular, 10.5, 15)
        y -= 7
    for number, page_ops in enumerate(pages, start=1):
        footer = _pdf_text(f"Confidential - for Nimbus CRM partners    {number}/{len(pages)}",
                           False)
        page_ops.append(f"BT /F1 8 Tf 0.45 0.45 0.5 rg {MARGIN} 28 Td {footer} Tj ET")

    objects: list[bytes] = []

    def add(body_bytes: bytes) -> int:
        objects.append(body_bytes)
        return len(objects)

    catalog = add(b"")  # filled in below, once the page tree's number is known
    fonts = [add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                 b"/Encoding /WinAnsiEncoding >>"),
             add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
                 b"/Encoding /WinAnsiEncoding >>")]
    font_refs = f"/F1 {fonts[0]} 0 R /F2 {fonts[1]} 0 R"
    if japanese:
        descriptor = add(f"<< /Type /FontDescriptor /FontName /{JAPANESE_FONT} /Flags 4 "
                         "/FontBBox [-92 -250 1010 922] /ItalicAngle 0 /Ascent 752 "
                         "/Descent -221 /CapHeight 737 /StemV 114 >>".encode())
        cid_font = add(f"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /{JAPANESE_FONT} "
                       "/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 "
                       f">> /FontDescriptor {descriptor} 0 R /DW 1000 /W [231 325 500] >>"
                       .encode())
        type0 = add(f"<< /Type /Font /Subtype /Type0 /BaseFont /{JAPANESE_FONT} "
                    f"/Encoding /UniJIS-UCS2-HW-H /DescendantFonts [{cid_font} 0 R] >>"
                    .encode())
        font_refs += f" /F3 {type0} 0 R"
    pages_id = len(objects) + 1 + 2 * len(pages)
    kids = []
    for page_ops in pages:
        stream = "\n".join(page_ops).encode("latin-1")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(add(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_WIDTH} "
                        f"{PAGE_HEIGHT}] /Resources << /Font << {font_refs} >> >> "
                        f"/Contents {content} 0 R >>".encode()))
    add(f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
               f"/Count {len(kids)} >>".encode())  # object number pages_id
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode()
    info = add(b"<< /Title <FEFF" + title.encode("utf-16-be").hex().upper().encode()
               + b"> /Producer (Partner Academy demo) >>")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body_bytes + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, catalog, info, xref))
    return bytes(out)


# --- PNG --------------------------------------------------------------------------------------

Pixel = tuple[int, int, int]


def png_image(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGB PNG whose colour at (x, y) is pixel(x, y)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


BRAND = (29, 78, 216)
WHITE = (255, 255, 255)


def _in_cloud(x: float, y: float) -> bool:
    """A cloud shape in the unit square."""
    circles = ((0.36, 0.56, 0.17), (0.55, 0.45, 0.22), (0.71, 0.6, 0.14))
    if any((x - cx) ** 2 + (y - cy) ** 2 <= r * r for cx, cy, r in circles):
        return True
    return 0.36 <= x <= 0.71 and 0.56 <= y <= 0.74


def logo_png(size: int, background: Pixel = BRAND, foreground: Pixel = WHITE) -> bytes:
    """The Nimbus CRM mark: a white cloud on a rounded square."""
    radius = size * 0.2

    def pixel(x: int, y: int) -> Pixel:
        dx = max(radius - x, 0, x - (size - 1 - radius))
        dy = max(radius - y, 0, y - (size - 1 - radius))
        if dx * dx + dy * dy > radius * radius:
            return WHITE if background != WHITE else (240, 244, 250)
        return foreground if _in_cloud(x / size, y / size) else background

    return png_image(size, size, pixel)


def pipeline_png(width: int = 480, height: int = 270) -> bytes:
    """A screenshot-like picture of the pipeline board: four stages of deal cards."""
    columns = 4
    column_width = (width - 50) // columns

    def pixel(x: int, y: int) -> Pixel:
        if y < 28:
            return BRAND
        column, offset = divmod(x - 10, column_width + 10)
        if x < 10 or column >= columns or offset >= column_width:
            return (243, 244, 246)
        if y < 48:
            return (219, 234, 254)
        card, card_offset = divmod(y - 56, 44)
        if card < 4 - column // 2 and card_offset < 36:
            if card_offset < 4:
                return ((22, 163, 74), (217, 119, 6), BRAND, (124, 58, 237))[column]
            return WHITE
        return (229, 231, 235)

    return png_image(width, height, pixel)


# --- Office Open XML and ZIP ------------------------------------------------------------------

ZIP_TIME = (2026, 1, 5, 9, 0, 0)  # fixed, so the same document always has the same bytes
CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
                 '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                 '{overrides}</Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/{kind}" Target="{target}"/></Relationships>')


def zip_archive(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, ZIP_TIME), data,
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_document(paragraphs: list[str]) -> bytes:
    """A minimal valid Word document: "# " is the title, "## " a heading, others paragraphs."""
    body = []
    for text in paragraphs:
        size, bold = (36, True) if text.startswith("# ") else (
            (28, True) if text.startswith("## ") else (22, False))
        text = text.lstrip("# ")
        run = f'<w:rPr>{"<w:b/>" if bold else ""}<w:sz w:val="{size}"/></w:rPr>'
        body.append(f'<w:p><w:r>{run}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>')
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                'main"><w:body>' + "".join(body) +
                '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" '
                'w:right="1440" w:bottom="1440" w:left="1440" w:header="708" w:footer="708" '
                'w:gutter="0"/></w:sectPr></w:body></w:document>')
    overrides = ('<Override PartName="/word/document.xml" ContentType="application/vnd.'
                 'openxmlformats-officedocument.wordprocessingml.document.main+xml"/>')
    return zip_archive([
        ("[Content_Types].xml", CONTENT_TYPES.format(overrides=overrides).encode()),
        ("_rels/.rels", RELS.format(kind="officeDocument", target="word/document.xml").encode()),
        ("word/document.xml", document.encode()),
    ])


def xlsx_workbook(sheet_name: str, rows: list[list[str | int | float]]) -> bytes:
    """A minimal valid Excel workbook; a string starting with "=" is a formula."""
    xml_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{chr(ord('A') + c)}{r}"
            if isinstance(value, str) and value.startswith("="):
                cells.append(f'<c r="{ref}"><f>{escape(value[1:])}</f></c>')
            elif isinstance(value, str):
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
             f'xmlns="{main}"><sheetData>{"".join(xml_rows)}</sheetData></worksheet>')
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook '
                f'xmlns="{main}" xmlns:r="{relationships}"><sheets><sheet '
                f'name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets>'
                '<calcPr fullCalcOnLoad="1"/></workbook>')
    overrides = ('<Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
                 'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                 'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
    return zip_archive([
        ("[Content_Types].xml", CONTENT_TYPES.format(overrides=overrides).encode()),
        ("_rels/.rels", RELS.format(kind="officeDocument", target="xl/workbook.xml").encode()),
        ("xl/workbook.xml", workbook.encode()),
        ("xl/_rels/workbook.xml.rels",
         RELS.format(kind="worksheet", target="worksheets/sheet1.xml").encode()),
        ("xl/worksheets/sheet1.xml", sheet.encode()),
    ])


# --- The demo library -------------------------------------------------------------------------


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


def _upload(demo_file: DemoFile) -> FileStorage:
    return FileStorage(stream=io.BytesIO(demo_file.make()), filename=demo_file.filename)


def seed_assets(now: datetime, uploader: User | None) -> None:
    """Publish the demo library and its download history, once (skipped when any asset
    exists). Flushes; the caller commits."""
    if db.session.scalar(select(Asset.id).limit(1)) is not None:
        return
    for spec in DEMO_ASSETS:
        first, *later = spec.files
        data = service.AssetData(title=spec.title, description=spec.description,
                                 category=spec.category, tags=service.parse_tags(spec.tags),
                                 audience=spec.audience, language=spec.language,
                                 min_tier=spec.min_tier)
        asset = service.publish(uploader, data, _upload(first), first.note,
                                now=now - timedelta(days=first.days_ago))
        for demo_file in later:
            service.add_version(uploader, asset, _upload(demo_file), demo_file.note,
                                now=now - timedelta(days=demo_file.days_ago))
    _seed_downloads(now)
    db.session.flush()


NAMED_PARTNERS = {"sakura-systems": 3.0, "aozora-consulting": 2.0, "kumo-works": 1.0}


def _seed_downloads(now: datetime) -> None:
    """Downloads by the demo partners' people over the last six months, each of a version
    that was current then and of an asset their tier unlocks (one flush)."""
    people = db.session.execute(
        select(User, Organization.slug, Organization.tier)
        .join(Organization, Organization.id == User.organization_id)
        .where(User.email.like("%.demo.test")).order_by(User.email)).all()
    if not people:
        return
    assets = list(db.session.scalars(select(Asset).order_by(Asset.id)))
    versions: dict[int, list[AssetVersion]] = {}
    for version in db.session.scalars(select(AssetVersion).order_by(AssetVersion.number)):
        versions.setdefault(version.asset_id, []).append(version)
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data, not security
    rows = []
    for user, org_slug, tier in people:
        activity = NAMED_PARTNERS.get(org_slug, rng.choice([0.0, 0.3, 0.6, 1.0, 1.5]))
        prefix = user.email.split("@", 1)[0]
        for asset in assets:
            if not service.may_download(False, tier, asset.min_tier):
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
