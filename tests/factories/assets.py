"""The asset library: real small files of every allowed type, and assets published through
the service."""

from __future__ import annotations

import io
from pathlib import Path

from werkzeug.datastructures import FileStorage

from lms.assets import metadata, publishing
from lms.demo.files import docx_document, pdf_document, png_image, xlsx_workbook, zip_archive
from lms.extensions import db
from lms.models import AssetCategory, Audience, Tier

PDF = pdf_document("Nimbus CRM overview", ["A real one-page PDF."])
PDF_2 = pdf_document("Nimbus CRM overview", ["The second edition of the PDF."])
PNG = png_image(4, 3, lambda x, y: (x * 60, y * 80, 200))
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
SAMPLES = {
    "pdf": PDF,
    "docx": docx_document(["# Proposal", "Hello"]),
    "xlsx": xlsx_workbook("ROI", [["a", 1]]),
    "pptx": zip_archive([("[Content_Types].xml", b"<Types/>"),
                         ("ppt/presentation.xml", b"<p:presentation/>")]),
    "doc": OLE2,
    "xls": OLE2,
    "ppt": OLE2,
    "png": PNG,
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
    "jpeg": b"\xff\xd8\xff\xdb" + b"\x00" * 20,
    "gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;",
    "webp": b"RIFF\x1a\x00\x00\x00WEBPVP8 " + b"\x00" * 14,
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    "m4v": b"\x00\x00\x00\x18ftypM4V \x00\x00\x00\x00M4V mp42",
    "zip": zip_archive([("logo.png", PNG)]),
}
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18


def upload(content: bytes, filename: str) -> FileStorage:
    return FileStorage(stream=io.BytesIO(content), filename=filename)


def data(title: str = "Nimbus CRM overview", **kw) -> metadata.AssetData:
    values = dict(title=title, description="", category=AssetCategory.BROCHURE, tags=[],
                  audience=Audience.ALL, language="en", min_tier=Tier.BRONZE)
    return metadata.AssetData(**(values | kw))


def publish(title: str = "Nimbus CRM overview", content: bytes = PDF,
            filename: str = "overview.pdf", actor=None, **kw):
    """An asset published through the service, committed."""
    asset = publishing.publish(actor, data(title, **kw), upload(content, filename), "First.")
    db.session.commit()
    return asset


def stored_files(root: Path) -> list[Path]:
    """Every file under the upload folder (temporary ones included)."""
    return sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).exists() \
        else []
