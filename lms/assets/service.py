"""The sales-asset library: publishing, versions, access by tier, downloads, usage.

Services flush; the request (or the CLI) commits once. A file is stored before any row that
points to it, so a failed write can leave an unused file behind (harmless: files are
content-addressed) but never a row without its file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import BinaryIO, Protocol

from flask_babel import gettext as _
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, case, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from lms import audit
from lms.assets.filetypes import (
    FILE_TYPES,
    FileTypeError,
    allowed_extensions_text,
    detect,
    extension_of,
    sanitize_filename,
)
from lms.assets.storage import get_storage
from lms.database import start_write_transaction, write_best_effort
from lms.extensions import db
from lms.markup import normalize_for_search, plain_text, render_markdown
from lms.models import (
    Asset,
    AssetCategory,
    AssetDownload,
    AssetVersion,
    Audience,
    AuditAction,
    Organization,
    Tier,
    User,
    utcnow,
)
from lms.policy import VENDOR_ROLES

PAGE_SIZE = 24
RESERVED_SLUGS = frozenset({"new"})
MAX_SLUG = 80
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
MAX_QUERY_WORDS = 10
# Languages an asset can be written in (names in their own language, never translated).
ASSET_LANGUAGES = {"en": "English", "ja": "日本語", "zh": "中文", "ko": "한국어"}
USAGE_PERIODS = (30, 90, 365)
DEFAULT_USAGE_DAYS = 90
USAGE_PAGE_ROWS = 500
TAG_SEPARATORS = re.compile(r"[,、\n]")


class AssetError(ValueError):
    """A request about an asset that cannot be carried out; the message is for people.
    `field` names the form field it belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Upload(Protocol):
    """What an upload needs to be: werkzeug's FileStorage is one."""

    filename: str | None
    stream: BinaryIO


@dataclass
class AssetData:
    title: str
    description: str
    category: AssetCategory
    tags: list[str]
    audience: Audience
    language: str
    min_tier: Tier


@dataclass(frozen=True)
class StoredUpload:
    filename: str
    content_type: str
    sha256: str
    size: int


# --- Pure helpers ---------------------------------------------------------------------------


def normalize_tag(tag: str) -> str:
    """NFKC, case-folded, one space, no commas, at most 40 characters."""
    return normalize_for_search(tag.replace(",", " "))[:MAX_TAG_LENGTH].strip()


def parse_tags(raw: str) -> list[str]:
    """Tags typed as "Pricing, SMB、ｆｉｎａｎｃｅ" -> ["pricing", "smb", "finance"] (unique)."""
    tags: list[str] = []
    for part in TAG_SEPARATORS.split(unicodedata.normalize("NFKC", raw or "")):
        tag = normalize_tag(part)
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def tags_column(tags: list[str]) -> str:
    """The stored form: ",tag1,tag2," (so one tag matches LIKE '%,tag,%'); "" for none."""
    return f",{','.join(tags)}," if tags else ""


def slug_base(title: str) -> str:
    """ASCII slug of a title ("Nimbus CRM — Overview" -> "nimbus-crm-overview"); "" when
    nothing ASCII is left (a Japanese title)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-")


def pick_slug(base: str, taken: set[str]) -> str:
    """`base`, else base-2, base-3...; "asset-1", "asset-2"... when base is empty."""
    if base and base not in taken and base not in RESERVED_SLUGS:
        return base
    stem, n = (base, 2) if base else ("asset", 1)
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


def may_download(is_vendor: bool, organization_tier: Tier | None, min_tier: Tier) -> bool:
    """Vendor staff download everything; a partner from the asset's minimum tier upwards."""
    if is_vendor:
        return True
    return organization_tier is not None and organization_tier.rank >= min_tier.rank


def search_text(title: str, description: str, tags: list[str]) -> str:
    """What the library search looks in: title, description as plain text, and tags."""
    return " ".join(p for p in (normalize_for_search(title), plain_text(description),
                                " ".join(tags)) if p)


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- Access -----------------------------------------------------------------------------------


def is_vendor(viewer: User) -> bool:
    return viewer.role in VENDOR_ROLES


def can_download(viewer: User, asset: Asset) -> bool:
    if asset.archived_at is not None and not is_vendor(viewer):
        return False
    tier = viewer.organization.tier if viewer.organization is not None else None
    return may_download(is_vendor(viewer), tier, asset.min_tier)


def visible_asset(viewer: User, slug: str) -> Asset | None:
    """The asset `slug` as this viewer may see it: archived ones only for vendor staff."""
    if not slug or len(slug) > 100:
        return None
    asset = db.session.scalar(select(Asset).where(Asset.slug == slug))
    if asset is None or (asset.archived_at is not None and not is_vendor(viewer)):
        return None
    return asset


# --- Files -----------------------------------------------------------------------------------


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


# --- Writing --------------------------------------------------------------------------------


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
    return db.session.scalar(select(Asset).where(Asset.id == asset_id).with_for_update()
                             .execution_options(populate_existing=True))


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
    return version


def record_download(viewer: User, asset: Asset, version: AssetVersion,
                    at: datetime | None = None) -> bool:
    """One served file: who, for which company (None for vendor staff), which version.

    Written on a GET, so best-effort (lms.database): a busy database never fails the
    download; False (logged) when the row could not be written.
    """
    return write_best_effort(insert(AssetDownload).values(
        asset_id=asset.id, version_id=version.id, user_id=viewer.id,
        organization_id=viewer.organization_id, at=at or utcnow()))


# --- Reading: the library -------------------------------------------------------------------


@dataclass
class LibraryFilters:
    q: str = ""
    category: AssetCategory | None = None
    audience: Audience | None = None
    language: str | None = None
    tag: str | None = None
    archived: bool = False  # vendor staff: the archived assets instead of the live ones

    def args(self) -> dict[str, str]:
        """The query string that reproduces these filters (for links and the pager)."""
        values = {"q": self.q, "category": self.category.value if self.category else "",
                  "audience": self.audience.value if self.audience else "",
                  "language": self.language or "", "tag": self.tag or "",
                  "archived": "1" if self.archived else ""}
        return {k: v for k, v in values.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.args())


def parse_filters(args: Mapping[str, str]) -> tuple[LibraryFilters, list[str]]:
    """Filters from the query string, and the names of those whose value was not understood
    (ignored, never an error)."""
    filters = LibraryFilters(q=" ".join(str(args.get("q", "")).split())[:100])
    ignored = []
    category = args.get("category", "")
    if category in AssetCategory._value2member_map_:
        filters.category = AssetCategory(category)
    elif category:
        ignored.append("category")
    audience = args.get("audience", "")
    if audience in Audience._value2member_map_:
        filters.audience = Audience(audience)
    elif audience:
        ignored.append("audience")
    language = args.get("language", "")
    if language in ASSET_LANGUAGES:
        filters.language = language
    elif language:
        ignored.append("language")
    tag = normalize_tag(str(args.get("tag", "")))
    filters.tag = tag or None
    filters.archived = args.get("archived") == "1"
    return filters, ignored


def _library_query(viewer: User, filters: LibraryFilters):
    stmt = select(Asset)
    if filters.archived and is_vendor(viewer):
        stmt = stmt.where(Asset.archived_at.is_not(None))
    else:
        stmt = stmt.where(Asset.archived_at.is_(None))
    if filters.category:
        stmt = stmt.where(Asset.category == filters.category)
    if filters.audience == Audience.ALL:
        stmt = stmt.where(Asset.audience == Audience.ALL)
    elif filters.audience:
        # Material for everyone is material for sales (and technical) people too.
        stmt = stmt.where(Asset.audience.in_([filters.audience, Audience.ALL]))
    if filters.language:
        stmt = stmt.where(Asset.language == filters.language)
    if filters.tag:
        stmt = stmt.where(Asset.tags.like(f"%,{escape_like(filters.tag)},%", escape="\\"))
    for word in normalize_for_search(filters.q).split()[:MAX_QUERY_WORDS]:
        stmt = stmt.where(Asset.search_text.like(f"%{escape_like(word)}%", escape="\\"))
    return stmt.order_by(Asset.updated_at.desc(), Asset.id.desc())


@dataclass
class LibraryItem:
    asset: Asset
    version: AssetVersion | None
    locked: bool
    downloads: int | None = None  # vendor staff only


@dataclass
class LibraryPage:
    items: list[LibraryItem]
    pagination: Pagination
    filters: LibraryFilters
    ignored: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


def current_versions(assets: list[Asset]) -> dict[int, AssetVersion]:
    """{asset id: its current version} in one query."""
    if not assets:
        return {}
    wanted = [and_(AssetVersion.asset_id == a.id, AssetVersion.number == a.current_version)
              for a in assets]
    return {v.asset_id: v for v in db.session.scalars(select(AssetVersion).where(or_(*wanted)))}


def download_counts(asset_ids: list[int]) -> dict[int, int]:
    """{asset id: downloads ever} in one query."""
    if not asset_ids:
        return {}
    return dict(db.session.execute(
        select(AssetDownload.asset_id, func.count(AssetDownload.id))
        .where(AssetDownload.asset_id.in_(asset_ids)).group_by(AssetDownload.asset_id)).all())


def library(viewer: User, filters: LibraryFilters, page: int = 1,
            ignored: list[str] | None = None) -> LibraryPage:
    """One page of the library for this viewer: newest first, with lock state; a fixed number
    of queries whatever the number of assets."""
    pagination = db.paginate(_library_query(viewer, filters), page=max(page, 1),
                             per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)
    assets = list(pagination.items)
    versions = current_versions(assets)
    counts = download_counts([a.id for a in assets]) if is_vendor(viewer) else {}
    items = [LibraryItem(a, versions.get(a.id), not can_download(viewer, a),
                         counts.get(a.id, 0) if is_vendor(viewer) else None) for a in assets]
    languages = sorted(db.session.scalars(select(Asset.language).distinct().where(
        Asset.archived_at.is_(None))))
    return LibraryPage(items, pagination, filters, ignored or [], languages)


# --- Reading: one asset ---------------------------------------------------------------------


@dataclass
class AssetPage:
    asset: Asset
    versions: list[AssetVersion]  # newest first
    current: AssetVersion | None
    can_download: bool
    downloads: dict[int, int] = field(default_factory=dict)  # vendor: {version id: count}

    @property
    def total_downloads(self) -> int:
        return sum(self.downloads.values())


def asset_page(viewer: User, asset: Asset) -> AssetPage:
    versions = list(db.session.scalars(select(AssetVersion).where(
        AssetVersion.asset_id == asset.id).order_by(AssetVersion.number.desc())))
    current = next((v for v in versions if v.number == asset.current_version), None)
    downloads = {}
    if is_vendor(viewer):
        downloads = dict(db.session.execute(
            select(AssetDownload.version_id, func.count(AssetDownload.id))
            .where(AssetDownload.asset_id == asset.id).group_by(AssetDownload.version_id)).all())
    return AssetPage(asset, versions, current, can_download(viewer, asset), downloads)


def find_version(asset: Asset, number: int | None = None) -> AssetVersion | None:
    """Version `number` of the asset, or its current one."""
    number = asset.current_version if number is None else number
    return db.session.scalar(select(AssetVersion).where(AssetVersion.asset_id == asset.id,
                                                        AssetVersion.number == number))


# --- Reading: usage -------------------------------------------------------------------------


@dataclass
class AssetUsage:
    slug: str
    title: str
    downloads: int
    partners: int
    people: int
    last_at: datetime


@dataclass
class PartnerUsage:
    organization_name: str
    organization_slug: str
    tier: Tier
    asset_slug: str
    asset_title: str
    downloads: int
    people: int
    last_at: datetime


@dataclass
class UsageReport:
    days: int
    since: datetime
    assets: list[AssetUsage]
    partners: list[PartnerUsage]
    partners_truncated: bool
    partner_count: int  # partner companies that downloaded anything
    vendor_downloads: int  # by vendor staff: not counted in the tables

    @property
    def total_downloads(self) -> int:
        return sum(a.downloads for a in self.assets)


def usage_days(value: str | None) -> int:
    """The report period from ?days=: one of 30, 90, 365; 90 for anything else."""
    return int(value) if value in {str(d) for d in USAGE_PERIODS} else DEFAULT_USAGE_DAYS


def partner_usage(since: datetime, limit: int | None = None) -> list[PartnerUsage]:
    """Downloads by partner company and asset since `since`, partners by name (one query);
    the rows of the CSV export."""
    downloads = func.count(AssetDownload.id)
    stmt = (
        select(Organization.name, Organization.slug, Organization.tier, Asset.slug, Asset.title,
               downloads, func.count(func.distinct(AssetDownload.user_id)),
               func.max(AssetDownload.at))
        .join(Organization, Organization.id == AssetDownload.organization_id)
        .join(Asset, Asset.id == AssetDownload.asset_id)
        .where(AssetDownload.at >= since)
        .group_by(Organization.id, Organization.name, Organization.slug, Organization.tier,
                  Asset.id, Asset.slug, Asset.title)
        .order_by(Organization.name, Organization.id, downloads.desc(), Asset.title)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [PartnerUsage(*row) for row in db.session.execute(stmt)]


def usage_since(days: int, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=days)


def usage_report(days: int = DEFAULT_USAGE_DAYS, now: datetime | None = None) -> UsageReport:
    """Partner downloads over the last `days`: by asset (most used first) and by partner and
    asset. Three queries whatever the number of downloads."""
    since = usage_since(days, now)
    downloads = func.count(AssetDownload.id)
    assets = [AssetUsage(*row) for row in db.session.execute(
        select(Asset.slug, Asset.title, downloads,
               func.count(func.distinct(AssetDownload.organization_id)),
               func.count(func.distinct(AssetDownload.user_id)), func.max(AssetDownload.at))
        .join(Asset, Asset.id == AssetDownload.asset_id)
        .where(AssetDownload.at >= since, AssetDownload.organization_id.is_not(None))
        .group_by(Asset.id, Asset.slug, Asset.title)
        .order_by(downloads.desc(), Asset.title))]
    partners = partner_usage(since, limit=USAGE_PAGE_ROWS + 1)
    partner_count, vendor = db.session.execute(
        select(func.count(func.distinct(AssetDownload.organization_id)),
               func.coalesce(func.sum(case((AssetDownload.organization_id.is_(None), 1),
                                           else_=0)), 0))
        .where(AssetDownload.at >= since)).one()
    return UsageReport(days, since, assets, partners[:USAGE_PAGE_ROWS],
                       len(partners) > USAGE_PAGE_ROWS, partner_count, int(vendor))


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
