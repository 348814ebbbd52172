"""What an uploaded file really is, from its name AND its leading bytes; safe display names.

Pure: no Flask, no database. The content type saved and served comes from `FILE_TYPES`,
never from the browser. Anything not listed (SVG, HTML, scripts, executables...) is refused,
and so is a listed extension whose bytes say otherwise (an HTML page renamed .pdf).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote

HEAD_SIZE = 16
MAX_FILENAME = 200
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_LOCAL = b"PK\x03\x04"
ZIP_EMPTY = b"PK\x05\x06"
OOXML_TYPES = "[Content_Types].xml"
# Characters Windows refuses in file names, and quotes/backslashes that break headers.
UNSAFE_NAME_CHARS = frozenset('<>:"|?*')
EXTENSION_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")


@dataclass(frozen=True)
class FileType:
    extension: str  # without the dot, lower case
    content_type: str
    label: str  # what people call it: "PDF", "Word"...


FILE_TYPES: dict[str, FileType] = {t.extension: t for t in (
    FileType("pdf", "application/pdf", "PDF"),
    FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "Word"),
    FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "Excel"),
    FileType("pptx",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "PowerPoint"),
    FileType("doc", "application/msword", "Word 97-2003"),
    FileType("xls", "application/vnd.ms-excel", "Excel 97-2003"),
    FileType("ppt", "application/vnd.ms-powerpoint", "PowerPoint 97-2003"),
    FileType("png", "image/png", "PNG"),
    FileType("jpg", "image/jpeg", "JPEG"),
    FileType("jpeg", "image/jpeg", "JPEG"),
    FileType("gif", "image/gif", "GIF"),
    FileType("webp", "image/webp", "WebP"),
    FileType("mp4", "video/mp4", "MP4"),
    FileType("m4v", "video/mp4", "MP4"),
    FileType("zip", "application/zip", "ZIP"),
)}
# What each file looks like in the library (its icon): document, spreadsheet, slides...
FAMILIES = {"pdf": "pdf", "docx": "doc", "doc": "doc", "xlsx": "sheet", "xls": "sheet",
            "pptx": "slides", "ppt": "slides", "png": "image", "jpg": "image",
            "jpeg": "image", "gif": "image", "webp": "image", "mp4": "video", "m4v": "video",
            "zip": "archive"}


def family_of(filename: str) -> str:
    """The icon family of a stored file's name; "file" for anything else."""
    return FAMILIES.get(extension_of(filename), "file")


# The folder an Office Open XML package of each kind must contain.
OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}


def allowed_extensions_text() -> str:
    """".pdf, .docx, ..." for messages and the file input's help."""
    return ", ".join(f".{ext}" for ext in FILE_TYPES)


class FileTypeError(ValueError):
    """The file may not be uploaded. `reason`: "extension" (type not allowed), "content" (the
    bytes are not what the extension says) or "empty"."""

    def __init__(self, reason: str, extension: str):
        super().__init__(f"{reason}: .{extension}")
        self.reason = reason
        self.extension = extension


def extension_of(filename: str) -> str:
    """The lower-case extension of a (sanitised) name, without the dot; "" when none."""
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def _bytes_match(extension: str, head: bytes) -> bool:
    if extension == "pdf":
        return head.startswith(b"%PDF-")
    if extension in {"doc", "xls", "ppt"}:
        return head.startswith(OLE2)
    if extension == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in {"jpg", "jpeg"}:
        return head.startswith(b"\xff\xd8\xff")
    if extension == "gif":
        return head.startswith((b"GIF87a", b"GIF89a"))
    if extension == "webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if extension in {"mp4", "m4v"}:
        return head[4:8] == b"ftyp"
    if extension == "zip":
        return head.startswith((ZIP_LOCAL, ZIP_EMPTY))
    if extension in OOXML_FOLDERS:
        return head.startswith(ZIP_LOCAL)
    return False


def _is_ooxml(extension: str, stream: BinaryIO) -> bool:
    """A ZIP package with [Content_Types].xml and the part folder of its kind."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as package:
            names = package.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    folder = OOXML_FOLDERS[extension]
    return OOXML_TYPES in names and any(n.startswith(folder) for n in names)


def detect(filename: str, stream: BinaryIO) -> FileType:
    """The type of a file named `filename` whose bytes are `stream` (seekable, any position).

    Raises FileTypeError when the extension is not allowed or the bytes do not match it."""
    extension = extension_of(filename)
    file_type = FILE_TYPES.get(extension)
    if file_type is None:
        raise FileTypeError("extension", extension)
    stream.seek(0)
    head = stream.read(HEAD_SIZE)
    if not head:
        raise FileTypeError("empty", extension)
    if not _bytes_match(extension, head):
        raise FileTypeError("content", extension)
    if extension in OOXML_FOLDERS and not _is_ooxml(extension, stream):
        raise FileTypeError("content", extension)
    stream.seek(0)
    return file_type


def sanitize_filename(name: str | None, default_extension: str = "bin") -> str:
    """The name to show and download under: last path component (/ and \\), no control or
    format characters (NUL, bidi overrides), NFC, trimmed, at most 200 characters keeping the
    extension; "download.<ext>" when no name is left. Never used as a path on disk."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        "_" if ch in UNSAFE_NAME_CHARS else ch
        for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    stem, dot, ext = name.rpartition(".")
    if not (dot and EXTENSION_RE.match(ext)):
        stem, ext = name, ""
    stem = stem.strip(" .")
    if not stem.strip("._- "):
        stem, ext = "download", ext or default_extension
    if not ext:
        return stem[:MAX_FILENAME].rstrip(" .")
    return stem[:MAX_FILENAME - len(ext) - 1].rstrip(" .") + "." + ext


def ascii_fallback(filename: str, fallback_stem: str) -> str:
    """An ASCII name for old clients (RFC 6266 `filename=`): accents dropped; when no letter
    or digit is left of the stem (a Japanese name), `fallback_stem` plus the extension."""
    simple = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    simple = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in simple)
    stem, dot, ext = simple.rpartition(".")
    if not dot:
        stem, ext = simple, ""
    if not any(ch.isalnum() for ch in stem):
        stem = fallback_stem
    ext = extension_of(filename) or ext
    return f"{stem}.{ext}" if ext else stem


def content_disposition(filename: str, fallback_stem: str) -> str:
    """`attachment` with an ASCII `filename` and, for other names, RFC 5987 `filename*`."""
    simple = ascii_fallback(filename, fallback_stem)
    header = f'attachment; filename="{simple}"'
    if simple != filename:
        header += "; filename*=UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")
    return header
