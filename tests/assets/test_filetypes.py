"""Pure checks of uploads: type by extension AND leading bytes, safe names, RFC 6266."""

from __future__ import annotations

import io

import pytest

from lms.assets.filetypes import (
    FILE_TYPES,
    FileTypeError,
    ascii_fallback,
    content_disposition,
    detect,
    extension_of,
    sanitize_filename,
)
from lms.demo.files import zip_archive
from tests.factories.assets import EMPTY_ZIP, PDF, PNG, SAMPLES

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
       b"<script>alert(1)</script></svg>")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


@pytest.mark.parametrize("extension", sorted(FILE_TYPES))
def test_every_allowed_type_is_accepted(extension):
    found = detect(f"sample.{extension}", io.BytesIO(SAMPLES[extension]))
    assert found is FILE_TYPES[extension]


def test_upper_case_extensions_and_empty_zip_are_accepted():
    assert detect("SCAN.PDF", io.BytesIO(PDF)).content_type == "application/pdf"
    assert detect("nothing.zip", io.BytesIO(EMPTY_ZIP)).extension == "zip"


def test_the_content_type_comes_from_the_map():
    assert FILE_TYPES["docx"].content_type.endswith("wordprocessingml.document")
    assert FILE_TYPES["png"].content_type == "image/png"
    assert "svg" not in FILE_TYPES and "html" not in FILE_TYPES


@pytest.mark.parametrize(("filename", "content", "reason"), [
    ("brochure.pdf", HTML, "content"),              # HTML renamed .pdf
    ("logo.svg", SVG, "extension"),                 # SVG with a script
    ("logo.svg", PNG, "extension"),                 # SVG refused whatever its bytes
    ("photo.png", EXE, "content"),                  # an executable renamed .png
    ("setup.exe", EXE, "extension"),
    ("page.html", HTML, "extension"),
    ("notes", PDF, "extension"),                    # no extension
    ("empty.pdf", b"", "empty"),
    ("image.jpg", PNG, "content"),                  # real image, wrong extension
    ("deck.pptx", SAMPLES["docx"], "content"),      # a Word package is not PowerPoint
    ("video.mp4", b"\x00\x00\x00\x18moov" + b"\x00" * 8, "content"),
    ("clip.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "content"),
])
def test_refused_uploads(filename, content, reason):
    with pytest.raises(FileTypeError) as caught:
        detect(filename, io.BytesIO(content))
    assert caught.value.reason == reason


def test_a_zip_renamed_docx_without_content_types_is_refused():
    plain_zip = zip_archive([("word/document.xml", b"<w:document/>")])
    with pytest.raises(FileTypeError) as caught:
        detect("proposal.docx", io.BytesIO(plain_zip))
    assert caught.value.reason == "content"
    # ...and a corrupt package with the right first bytes too.
    with pytest.raises(FileTypeError):
        detect("proposal.docx", io.BytesIO(b"PK\x03\x04garbage" + b"\x00" * 40))


def test_detect_leaves_the_stream_at_the_start():
    stream = io.BytesIO(SAMPLES["xlsx"])
    stream.seek(10)
    detect("roi.xlsx", stream)
    assert stream.tell() == 0


@pytest.mark.parametrize(("raw", "clean"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\x.pdf", "x.pdf"),
    ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
    ("/etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\mika\\提案書.docx", "提案書.docx"),
    ("a\x00b.pdf", "ab.pdf"),
    ("evil.html\x00.pdf", "evil.html.pdf"),
    ("report\r\n.pdf", "report.pdf"),
    ("\u202efdp.exe", "fdp.exe"),                   # right-to-left override dropped
    ('say "hi" <now>.pdf', "say _hi_ _now_.pdf"),
    ("  spaced   out  .pdf ", "spaced out.pdf"),
    (".pdf", "download.pdf"),
    ("..", "download.bin"),
    ("", "download.bin"),
    (None, "download.bin"),
    ("folder/", "download.bin"),
])
def test_sanitize_filename(raw, clean):
    assert sanitize_filename(raw) == clean


def test_sanitize_filename_normalizes_and_caps_keeping_the_extension():
    decomposed = "\u304b\u3099"  # か + combining dakuten -> が
    assert sanitize_filename(decomposed + ".pdf") == "\u304c.pdf"
    long_name = sanitize_filename("x" * 500 + ".pptx")
    assert len(long_name) == 200 and long_name.endswith("x.pptx")
    assert sanitize_filename("y" * 300) == "y" * 200


def test_extension_of():
    assert extension_of("a.PDF") == "pdf"
    assert extension_of("archive.tar.gz") == "gz"
    assert extension_of(".pdf") == "" and extension_of("readme") == ""


def test_content_disposition_keeps_japanese_names_with_an_ascii_fallback():
    header = content_disposition("導入事例_さくら精機.pdf", "case-study-v1")
    assert header.startswith('attachment; filename="case-study-v1.pdf"; ')
    assert ("filename*=UTF-8''%E5%B0%8E%E5%85%A5%E4%BA%8B%E4%BE%8B_"
            "%E3%81%95%E3%81%8F%E3%82%89%E7%B2%BE%E6%A9%9F.pdf") in header
    assert content_disposition("plain.pdf", "x") == 'attachment; filename="plain.pdf"'
    assert ascii_fallback("Café menu.pdf", "x") == "Cafe menu.pdf"
    assert ascii_fallback('quote"back\\slash.pdf', "x") == "quote_back_slash.pdf"
