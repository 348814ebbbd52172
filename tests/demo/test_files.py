"""The demo library's files: each opens in the library that reads its format, and passes the
upload checks of the asset library (pure: no app)."""

from __future__ import annotations

import base64
import io
import re
import zipfile
import zlib

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from lms.assets.filetypes import detect
from lms.demo.assets import DEMO_ASSETS
from lms.demo.files import (
    BRAND,
    JAPANESE_FONT,
    WHITE,
    docx_document,
    logo_png,
    pdf_document,
    pipeline_png,
    png_image,
    xlsx_workbook,
    zip_archive,
)

DEMO_FILES = [demo_file for asset in DEMO_ASSETS for demo_file in asset.files]


def page_contents(pdf: bytes) -> list[bytes]:
    """The drawing operators of each page (reportlab writes them ASCII85 and Flate encoded)."""
    streams = re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.DOTALL)
    return [zlib.decompress(base64.a85decode(s.strip(), adobe=True)) for s in streams]


@pytest.mark.parametrize("demo_file", DEMO_FILES, ids=lambda f: f.filename)
def test_every_demo_file_passes_the_upload_checks(demo_file):
    content = demo_file.make()

    file_type = detect(demo_file.filename, io.BytesIO(content))

    assert file_type.extension == demo_file.filename.rsplit(".", 1)[1]


def test_a_brochure_is_a_pdf_with_its_title_and_numbered_pages():
    body = ["# Why customers choose Nimbus", "Go live in 6 to 10 weeks. " * 40] * 6

    content = pdf_document("Nimbus CRM - Product overview", body, "For partners")

    assert content.startswith(b"%PDF-")
    assert b"/Title (Nimbus CRM - Product overview)" in content
    first, second = page_contents(content)
    assert b"(Nimbus CRM - Product overview)" in first
    assert b"(Confidential - for Nimbus CRM partners    1/2)" in first
    assert b"(Confidential - for Nimbus CRM partners    2/2)" in second
    assert pdf_document("Nimbus CRM - Product overview", body, "For partners") == content


def test_a_japanese_brochure_uses_the_standard_japanese_font():
    content = pdf_document("Nimbus CRM 製品概要", ["# 選ばれる理由", "認定パートナーによる導入"],
                           japanese=True)

    assert f"/BaseFont /{JAPANESE_FONT}".encode() in content
    assert b"/Encoding /UniJIS-UCS2-HW-H" in content
    assert b"/FontFile" not in content  # not embedded: every PDF reader has it


def test_a_proposal_template_has_a_title_headings_and_paragraphs():
    content = docx_document(["# Proposal: Nimbus CRM", "Prepared by [Partner name]",
                             "## 1. Your situation", "[What is broken today]"])

    document = Document(io.BytesIO(content))
    assert [(p.style.name, p.text) for p in document.paragraphs] == [
        ("Title", "Proposal: Nimbus CRM"), ("Normal", "Prepared by [Partner name]"),
        ("Heading 1", "1. Your situation"), ("Normal", "[What is broken today]")]
    assert document.core_properties.title == "Proposal: Nimbus CRM"


def test_a_workbook_has_a_bold_header_values_and_formulas():
    content = xlsx_workbook("ROI", [["Item", "Value"], ["Users", 40],
                                    ["Price (JPY)", 4800], ["Yearly", "=B2*B3*12"]])

    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "ROI"
    assert [c.value for c in sheet[1]] == ["Item", "Value"]
    assert all(c.font.b for c in sheet[1])
    assert [row for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        ("Users", 40), ("Price (JPY)", 4800), ("Yearly", "=B2*B3*12")]
    assert sheet["B4"].number_format == "#,##0"


def test_png_image_paints_every_pixel():
    image = Image.open(io.BytesIO(png_image(4, 3, lambda x, y: (x * 60, y * 80, 200))))

    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (4, 3))
    assert image.getpixel((3, 2)) == (180, 160, 200)


def test_the_logo_is_a_cloud_on_a_rounded_square():
    image = Image.open(io.BytesIO(logo_png(128)))

    assert image.size == (128, 128)
    assert image.getpixel((0, 0)) == WHITE  # outside the rounded corner
    assert image.getpixel((64, 10)) == BRAND
    assert image.getpixel((64, 64)) == WHITE  # the cloud


def test_the_pipeline_screenshot_shows_four_stages():
    image = Image.open(io.BytesIO(pipeline_png()))

    assert image.size == (480, 270)
    assert image.getpixel((240, 10)) == BRAND  # the app's top bar
    assert image.getpixel((20, 57)) == (22, 163, 74)  # the first stage's first card


def test_zip_archive_always_makes_the_same_bytes():
    members = [("README.txt", b"Nimbus CRM logo pack"), ("logo.png", logo_png(16))]

    content = zip_archive(members)

    assert zip_archive(members) == content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["README.txt", "logo.png"]
        assert archive.read("README.txt") == b"Nimbus CRM logo pack"
