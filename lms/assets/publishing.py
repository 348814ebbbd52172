"""Publishing in the asset library: new assets, their metadata, archiving, new versions and
restored ones.

Services flush; the request (or the CLI) commits once. A file is stored before any row that
points to it, so a failed write can leave an unused file behind (harmless: files are
content-addressed) but never a row without its file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms import audit
from lms.assets import notices
from lms.assets.files import StoredUpload, Upload, store_upload
from lms.assets.metadata import (
    ASSET_LANGUAGES,
    AssetData,
    AssetError,
    pick_slug,
    search_text,
    slug_base,
    tags_column,
)
from lms.assets.storage import get_storage
from lms.database import escape_like, start_write_transaction
from lms.extensions import db
from lms.i18n import gettext as _
from lms.markup import render_markdown
from lms.models import Asset, AssetVersion, AuditAction, User, utcnow


def _validate(data: AssetData) -> None:
    if not data.title.strip():
        raise AssetError(_("Give the asset a title."), field="title")
    if data.language not in ASSET_LANGUAGES:
        raise AssetError(_("Choose one of the listed languages."), field="language")


def _apply(asset: Asset, data: AssetData) -> None:
    asset.title = data.title.strip()[:200]
    asset.description = data.description.strip()
    asset.description_html = render_markdown(asset.description)
    asset.category = data.category
    asset.tags = tags_column(data.tags)
    asset.audience = data.audience
    asset.language = data.language
    asset.min_tier = data.min_tier
    asset.search_text = search_text(asset.title, asset.description, data.tags)


def _taken_slugs(base: str) -> set[str]:
    stem = base or "asset"
    return set(db.session.scalars(select(Asset.slug).where(
        Asset.slug.like(f"{escape_like(stem)}%", escape="\\"))))


def _new_version(asset_id: int, number: int, upload: StoredUpload, actor: User | None,
                 change_note: str, now: datetime, restored_from: int | None = None
                 ) -> AssetVersion:
    return AssetVersion(asset_id=asset_id, number=number, filename=upload.filename,
                        content_type=upload.content_type, size=upload.size,
                        sha256=upload.sha256, change_note=change_note.strip()[:2000],
                        restored_from=restored_from,
                        uploaded_by_id=actor.id if actor else None, created_at=now)


def publish(actor: User | None, data: AssetData, upload: Upload, change_note: str = "",
            now: datetime | None = None) -> Asset:
    """A new asset with its file as version 1: the file is stored, then both rows."""
    now = now or utcnow()
    _validate(data)
    stored = store_upload(upload)
    start_write_transaction()
    base = slug_base(data.title)
    for _attempt in range(5):
        asset = Asset(slug=pick_slug(base, _taken_slugs(base)), current_version=1,
                      created_by_id=actor.id if actor else None, created_at=now,
                      updated_at=now)
        _apply(asset, data)
        try:
            with db.session.begin_nested():
                db.session.add(asset)
        except IntegrityError:
            continue  # the slug was taken by a concurrent publish: pick the next one
        break
    else:
        raise AssetError(_("Could not save the asset. Please try again."))
    db.session.add(_new_version(asset.id, 1, stored, actor, change_note, now))
    audit.record(AuditAction.ASSET_PUBLISHED, actor=actor, asset=asset.slug,
                 sha256=stored.sha256, filename=stored.filename)
    db.session.flush()
    return asset


def update_asset(actor: User, asset: Asset, data: AssetData) -> list[str]:
    """Change the metadata (the files and the slug stay); returns the changed fields."""
    _validate(data)
    before = {name: getattr(asset, name) for name in
              ("title", "description", "category", "tags", "audience", "language", "min_tier")}
    _apply(asset, data)
    changed = [name for name, value in before.items() if getattr(asset, name) != value]
    if changed:
        audit.record(AuditAction.ASSET_UPDATED, actor=actor, asset=asset.slug,
                     fields=", ".join(changed))
    db.session.flush()
    return changed


def set_archived(actor: User, asset: Asset, archived: bool, now: datetime | None = None
                 ) -> None:
    """Archive (hidden from partners) or bring back an asset."""
    if (asset.archived_at is not None) == archived:
        return
    asset.archived_at = (now or utcnow()) if archived else None
    audit.record(AuditAction.ASSET_UPDATED, actor=actor, asset=asset.slug,
                 archived="yes" if archived else "no")
    db.session.flush()


def _locked_asset(asset_id: int) -> Asset:
    """The asset row, re-read inside the write transaction (locked on PostgreSQL)."""
    return db.session.scalars(select(Asset).where(Asset.id == asset_id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def add_version(actor: User | None, asset: Asset, upload: Upload, change_note: str,
                now: datetime | None = None) -> AssetVersion:
    """Store a new file as the next version; the library serves it from now on."""
    now = now or utcnow()
    if not change_note.strip():
        raise AssetError(_("Say what changed in this version."), field="change_note")
    stored = store_upload(upload)
    asset_id = asset.id
    start_write_transaction()
    asset = _locked_asset(asset_id)
    number = asset.current_version + 1
    version = _new_version(asset.id, number, stored, actor, change_note, now)
    db.session.add(version)
    asset.current_version = number
    asset.updated_at = now
    audit.record(AuditAction.ASSET_VERSION_ADDED, actor=actor, asset=asset.slug, version=number,
                 sha256=stored.sha256, filename=stored.filename)
    db.session.flush()
    notices.version_added(asset, version, now)
    return version


def restore_version(actor: User, asset: Asset, number: int, now: datetime | None = None
                    ) -> AssetVersion:
    """Publish the file of an older version again, as a new version."""
    now = now or utcnow()
    asset_id = asset.id
    start_write_transaction()
    asset = _locked_asset(asset_id)
    source = db.session.scalar(select(AssetVersion).where(AssetVersion.asset_id == asset.id,
                                                          AssetVersion.number == number))
    if source is None:
        raise AssetError(_("This asset has no version %(n)d.", n=number))
    if number == asset.current_version:
        raise AssetError(_("Version %(n)d is already the current version.", n=number))
    if not get_storage().exists(source.sha256):
        raise AssetError(_("The file of version %(n)d is missing from the storage, so it "
                           "cannot be restored.", n=number))
    stored = StoredUpload(source.filename, source.content_type, source.sha256, source.size)
    new_number = asset.current_version + 1
    # Kept in English for exports; pages show a translated text from restored_from.
    version = _new_version(asset.id, new_number, stored, actor, f"Restored version {number}",
                           now, restored_from=number)
    db.session.add(version)
    asset.current_version = new_number
    asset.updated_at = now
    audit.record(AuditAction.ASSET_VERSION_ADDED, actor=actor, asset=asset.slug,
                 version=new_number, restored_from=number)
    db.session.flush()
    notices.version_added(asset, version, now)
    return version
