"""Real, openable files for the demo library, written by the libraries that know the formats:
reportlab (PDF), python-docx (Word), openpyxl (Excel), Pillow (PNG) and zipfile (ZIP)."""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Callable
from datetime import datetime
from xml.sax.saxutils import escape

from docx import Document
from docx.shared import Mm
from openpyxl import Workbook
from openpyxl.styles import Font
from PIL import Image, ImageDraw
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

Pixel = tuple[int, int, int]
BRAND = (29, 78, 216)
WHITE = (255, 255, 255)
AUTHOR = "Nimbus CRM Partner Program"

# --- PDF --------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 56
BAND = 96  # height of the brand band at the top of every page
PDF_BRAND = Color(*(c / 255 for c in BRAND))
JAPANESE_FONT = "HeiseiKakuGo-W5"  # one of the standard Japanese fonts every PDF reader has


@functools.cache
def _fonts(japanese: bool) -> tuple[str, str]:
    """(regular, bold): Helvetica, or the standard Japanese font with half-width Latin
    letters (not embedded: the reader has it), registered on first use."""
    if not japanese:
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFont(UnicodeCIDFont(JAPANESE_FONT, isHalfWidth=True))
    return JAPANESE_FONT, JAPANESE_FONT


def _styles(japanese: bool) -> dict[str, ParagraphStyle]:
    regular, bold = _fonts(japanese)
    wrap = "CJK" if japanese else None  # Japanese breaks between any two characters
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=20, leading=24,
                                textColor=Color(1, 1, 1), wordWrap=wrap),
        "subtitle": ParagraphStyle("subtitle", fontName=regular, fontSize=11, leading=16,
                                   textColor=Color(0.35, 0.38, 0.45), spaceAfter=10,
                                   wordWrap=wrap),
        "heading": ParagraphStyle("heading", fontName=bold, fontSize=14, leading=20,
                                  textColor=Color(0.07, 0.2, 0.55), spaceBefore=6,
                                  wordWrap=wrap),
        "body": ParagraphStyle("body", fontName=regular, fontSize=10.5, leading=15,
                               textColor=Color(0.12, 0.12, 0.14), spaceAfter=7, wordWrap=wrap),
    }


def _story(body: list[str], subtitle: str, styles: dict[str, ParagraphStyle]) -> list[Paragraph]:
    story = [Paragraph(escape(subtitle), styles["subtitle"])] if subtitle else []
    for paragraph in body:
        if paragraph.startswith("# "):
            story.append(Paragraph(escape(paragraph[2:]), styles["heading"]))
        else:
            story.append(Paragraph(escape(paragraph), styles["body"]))
    return story


def _draw_page(canvas: Canvas, title: Paragraph | None, page: int, pages: int) -> None:
    """The brand band (with the title on the first page) and the numbered footer."""
    canvas.saveState()
    canvas.setFillColor(PDF_BRAND)
    canvas.rect(0, PAGE_HEIGHT - BAND, PAGE_WIDTH, BAND, stroke=0, fill=1)
    canvas.setFillColor(Color(1, 1, 1))
    canvas.setFont("Helvetica-Bold", 9)
    canvas.drawString(MARGIN, PAGE_HEIGHT - 30, "Nimbus CRM Partner Program")
    if title is not None:
        _, height = title.wrap(PAGE_WIDTH - 2 * MARGIN, BAND)
        title.drawOn(canvas, MARGIN, PAGE_HEIGHT - 40 - height)
    canvas.setFillColor(Color(0.45, 0.45, 0.5))
    canvas.setFont("Helvetica", 8)
    canvas.drawString(MARGIN, 28, f"Confidential - for Nimbus CRM partners    {page}/{pages}")
    canvas.restoreState()


def pdf_document(title: str, body: list[str], subtitle: str = "",
                 japanese: bool = False) -> bytes:
    """A real PDF: a brand band with the title, then the body ("# " lines are headings),
    flowing over as many A4 pages as needed, numbered "n/N"; Helvetica, or a standard
    Japanese font. The same arguments always make the same bytes."""
    styles = _styles(japanese)

    def render(pages: int) -> tuple[bytes, int]:
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
            topMargin=BAND + 30, bottomMargin=MARGIN, title=title, author=AUTHOR,
            creator="Partner Academy demo", invariant=True)
        document.build(
            _story(body, subtitle, styles),
            onFirstPage=lambda canvas, doc: _draw_page(
                canvas, Paragraph(escape(title), styles["title"]), doc.page, pages),
            onLaterPages=lambda canvas, doc: _draw_page(canvas, None, doc.page, pages))
        return buffer.getvalue(), document.page

    # The footer says how many pages there are: lay out once to count them, then for real.
    _, pages = render(0)
    return render(pages)[0]


# --- PNG --------------------------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def png_image(width: int, height: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """An RGB PNG whose colour at (x, y) is pixel(x, y)."""
    image = Image.new("RGB", (width, height))
    image.putdata([pixel(x, y) for y in range(height) for x in range(width)])
    return _png(image)


# A cloud in the unit square: three circles (centre x, centre y, radius) on a flat base.
CLOUD = ((0.36, 0.56, 0.17), (0.55, 0.45, 0.22), (0.71, 0.6, 0.14))
CLOUD_BASE = (0.36, 0.56, 0.71, 0.74)


def logo_png(size: int, background: Pixel = BRAND, foreground: Pixel = WHITE) -> bytes:
    """The Nimbus CRM mark: a cloud on a rounded square."""
    corner = WHITE if background != WHITE else (240, 244, 250)
    image = Image.new("RGB", (size, size), corner)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=size * 0.2, fill=background)
    for x, y, r in CLOUD:
        draw.ellipse(((x - r) * size, (y - r) * size, (x + r) * size, (y + r) * size),
                     fill=foreground)
    left, top, right, bottom = CLOUD_BASE
    draw.rectangle((left * size, top * size, right * size, bottom * size), fill=foreground)
    return _png(image)


STAGE_COLOURS = ((22, 163, 74), (217, 119, 6), BRAND, (124, 58, 237))


def pipeline_png(width: int = 480, height: int = 270) -> bytes:
    """A screenshot-like picture of the pipeline board: four stages of deal cards."""
    column_width = (width - 50) // len(STAGE_COLOURS)
    image = Image.new("RGB", (width, height), (243, 244, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, 27), fill=BRAND)  # the app's top bar
    for column, colour in enumerate(STAGE_COLOURS):
        left = 10 + column * (column_width + 10)
        right = left + column_width - 1
        draw.rectangle((left, 28, right, height - 1), fill=(229, 231, 235))
        draw.rectangle((left, 28, right, 47), fill=(219, 234, 254))  # the stage's name
        for card in range(4 - column // 2):  # fewer deals in the later stages
            top = 56 + card * 44
            draw.rectangle((left, top, right, top + 35), fill=WHITE)
            draw.rectangle((left, top, right, top + 3), fill=colour)
    return _png(image)


# --- ZIP, Word and Excel ----------------------------------------------------------------------

# When the demo's documents were written (their metadata says so); fixed, so the same ZIP
# members always make the same bytes.
WRITTEN_AT = datetime(2026, 1, 5, 9, 0)


def zip_archive(members: list[tuple[str, bytes]]) -> bytes:
    """A ZIP archive of (name, content) members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            member = zipfile.ZipInfo(name, WRITTEN_AT.timetuple()[:6])
            archive.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docx_document(paragraphs: list[str]) -> bytes:
    """A Word document on A4: "# " is the title, "## " a heading, others paragraphs."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for text in paragraphs:
        if text.startswith("# "):
            document.add_heading(text[2:], level=0)
            document.core_properties.title = text[2:]
        elif text.startswith("## "):
            document.add_heading(text[3:], level=1)
        else:
            document.add_paragraph(text)
    properties = document.core_properties
    properties.author, properties.comments = AUTHOR, ""  # not "generated by python-docx"
    properties.created = properties.modified = WRITTEN_AT
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_workbook(sheet_name: str, rows: list[list[str | int | float]]) -> bytes:
    """An Excel workbook of one sheet: the first row is the header; a string starting with
    "=" is a formula (Excel calculates it on opening); whole numbers and formulas show
    thousands separators."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        labels = [cell.value for cell in column if isinstance(cell.value, str)
                  and not cell.value.startswith("=")]
        sheet.column_dimensions[column[0].column_letter].width = max(
            [12, *(len(label) + 2 for label in labels)])
        for cell in column[1:]:
            if isinstance(cell.value, int) or str(cell.value).startswith("="):
                cell.number_format = "#,##0"
    workbook.properties.creator = AUTHOR
    workbook.properties.created = WRITTEN_AT  # openpyxl stamps `modified` when saving
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
