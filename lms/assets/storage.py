"""Where asset files live: content-addressed by SHA-256, never by the uploaded name.

`Storage` is the whole interface the library needs, small enough for an S3-compatible store
to implement later (save = upload to a temporary key then copy to the sha key; open = a
streaming GET). `LocalStorage` keeps files under LMS_UPLOAD_DIR, outside the static folder.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, TypeVar

from flask import Response, current_app, send_file

CHUNK_SIZE = 1024 * 1024
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
TEMP_PREFIX = ".incoming-"
T = TypeVar("T")


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int


class Storage(Protocol):
    def save(self, source: BinaryIO, check: Callable[[BinaryIO], T]) -> tuple[StoredFile, T]:
        """Copy `source` into the store. `check` reads the complete copy first (seekable);
        when it raises, nothing is kept and the exception propagates."""

    def open(self, sha256: str) -> BinaryIO:
        """The stored bytes for reading; FileNotFoundError when missing."""

    def exists(self, sha256: str) -> bool:
        """Whether the file is stored."""


class LocalStorage:
    """Files at root/<sha[:2]>/<sha>; uploads are written to a temporary file in root first,
    so the final rename is atomic and a failure leaves nothing behind."""

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not SHA256_RE.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def save(self, source: BinaryIO, check: Callable[[BinaryIO], T]) -> tuple[StoredFile, T]:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)
        temp = Path(temp_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "w+b") as out:
                while chunk := source.read(CHUNK_SIZE):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                result = check(out)
                os.fsync(out.fileno())
            stored = StoredFile(digest.hexdigest(), size)
            final = self._path(stored.sha256)
            final.parent.mkdir(exist_ok=True)
            if final.exists():
                temp.unlink()  # identical content is stored once
            else:
                os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return stored, result

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()


# A downloaded file never runs in the portal's origin, whatever its bytes say.
DOWNLOAD_CSP = "default-src 'none'; sandbox"


def attachment(sha256: str, content_type: str, size: int, filename: str, fallback: str
               ) -> Response:
    """The stored file as a download that cannot run in the browser (attachment, nosniff,
    a sandboxing CSP, never cached); `fallback` names it for old clients when `filename` is
    not ASCII. FileNotFoundError when the storage lost it."""
    from lms.assets.filetypes import content_disposition

    handle = get_storage().open(sha256)
    try:
        response = send_file(handle, mimetype=content_type, as_attachment=True,
                             download_name=filename, conditional=False, etag=False)
    except BaseException:
        handle.close()
        raise
    response.content_length = size
    response.headers["Content-Disposition"] = content_disposition(filename, fallback)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


def get_storage() -> Storage:
    """The store configured for this application (LMS_UPLOAD_DIR)."""
    return LocalStorage(current_app.config["LMS_UPLOAD_DIR"])
