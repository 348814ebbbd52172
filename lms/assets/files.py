"""The files of asset versions: an upload checked by name and bytes and stored by its
SHA-256, and the check that every version's file is still in the storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol

from sqlalchemy import select

from lms.assets.filetypes import (
    FILE_TYPES,
    FileTypeError,
    allowed_extensions_text,
    detect,
    extension_of,
    sanitize_filename,
)
from lms.assets.metadata import AssetError
from lms.assets.storage import get_storage
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import Asset, AssetVersion


class Upload(Protocol):
    """What an upload needs to be: werkzeug's FileStorage is one."""

    filename: str | None
    stream: BinaryIO


@dataclass(frozen=True)
class StoredUpload:
    filename: str
    content_type: str
    sha256: str
    size: int


def _file_type_message(error: FileTypeError) -> str:
    allowed = _("Allowed types: %(types)s.", types=allowed_extensions_text())
    if error.reason == "empty":
        return _("The file is empty.")
    if error.reason == "content":
        return _("This file is not a real %(label)s file: its content does not match the "
                 "“.%(ext)s” extension, so it was refused.",
                 label=FILE_TYPES[error.extension].label, ext=error.extension) + " " + allowed
    if not error.extension:
        return _("The file name has no extension, so its type is unknown.") + " " + allowed
    return _("“.%(ext)s” files cannot be uploaded.", ext=error.extension) + " " + allowed


def check_upload(upload: Upload) -> None:
    """Check an upload's type by name and bytes without storing it (AssetError, field
    "file"); its stream is back at the start after."""
    filename = sanitize_filename(upload.filename)
    extension = extension_of(filename)
    try:
        if extension not in FILE_TYPES:
            raise FileTypeError("extension", extension)
        detect(filename, upload.stream)
    except FileTypeError as error:
        raise AssetError(_file_type_message(error), field="file") from error
    finally:
        upload.stream.seek(0)


def store_upload(upload: Upload) -> StoredUpload:
    """Check the upload's type by name and bytes, then store it by its SHA-256.

    Nothing is kept when the type is refused (AssetError, field "file")."""
    filename = sanitize_filename(upload.filename)
    extension = extension_of(filename)
    try:
        if extension not in FILE_TYPES:  # refused before a byte is written
            raise FileTypeError("extension", extension)
        stored, file_type = get_storage().save(upload.stream,
                                               lambda stream: detect(filename, stream))
    except FileTypeError as error:
        raise AssetError(_file_type_message(error), field="file") from error
    return StoredUpload(filename, file_type.content_type, stored.sha256, stored.size)


def missing_files() -> list[tuple[str, int, str]]:
    """(asset slug, version number, sha256) of every version whose file is not stored."""
    storage = get_storage()
    rows = db.session.execute(select(Asset.slug, AssetVersion.number, AssetVersion.sha256)
                              .join(Asset, Asset.id == AssetVersion.asset_id)
                              .order_by(Asset.slug, AssetVersion.number)).all()
    present: dict[str, bool] = {}
    missing = []
    for slug, number, sha256 in rows:
        if sha256 not in present:
            present[sha256] = storage.exists(sha256)
        if not present[sha256]:
            missing.append((slug, number, sha256))
    return missing
