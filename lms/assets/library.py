"""Reading the asset library: the filtered, searchable list of assets and one asset's page
with its versions. A fixed number of queries whatever the number of assets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, bindparam, func, select

from lms.assets.access import can_download
from lms.assets.downloads import download_counts
from lms.assets.metadata import ASSET_LANGUAGES, normalize_tag
from lms.assets.notices import OldCopies, old_copies
from lms.content_cache import cached
from lms.database import escape_like
from lms.extensions import db
from lms.markup import normalize_for_search
from lms.models import (
    Asset,
    AssetCategory,
    AssetDownload,
    AssetVersion,
    Audience,
    User,
    utcnow,
)

PAGE_SIZE = 24
MAX_QUERY_WORDS = 10


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


def _library_query(viewer: User, filters: LibraryFilters) -> Select[Asset]:
    stmt = select(Asset)
    if filters.archived and viewer.is_vendor:
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


# A version this recent marks its asset "new" (the first) or "updated" (a later one).
RECENT = timedelta(days=30)
NEW, UPDATED = "new", "updated"


def freshness(version: AssetVersion | None, now: datetime) -> str | None:
    """"new", "updated" or None: whether the current version came in the last 30 days."""
    if version is None or now - version.created_at > RECENT:
        return None
    return NEW if version.number == 1 else UPDATED


@dataclass
class LibraryItem:
    asset: Asset
    version: AssetVersion | None
    locked: bool
    downloads: int | None = None  # vendor staff only
    fresh: str | None = None  # see freshness()


@dataclass
class LibraryPage:
    items: list[LibraryItem]
    pagination: Pagination
    filters: LibraryFilters
    ignored: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)


# Built once (the hot list page binds only the ids): each asset's current version.
_CURRENT_VERSIONS = (
    select(AssetVersion)
    .join(Asset, and_(Asset.id == AssetVersion.asset_id,
                      Asset.current_version == AssetVersion.number))
    .where(AssetVersion.asset_id.in_(bindparam("ids", expanding=True))))


def current_versions(assets: list[Asset]) -> dict[int, AssetVersion]:
    """{asset id: its current version} in one query."""
    if not assets:
        return {}
    return {v.asset_id: v for v in db.session.scalars(_CURRENT_VERSIONS,
                                                      {"ids": [a.id for a in assets]})}


def live_languages() -> list[str]:
    """The languages of the live assets, for the filter (per content version: publishing
    and archiving change the content version, lms.content_cache)."""
    return cached("assets.languages", lambda: sorted(db.session.scalars(
        select(Asset.language).distinct().where(Asset.archived_at.is_(None)))))


def library(viewer: User, filters: LibraryFilters, page: int = 1,
            ignored: list[str] | None = None) -> LibraryPage:
    """One page of the library for this viewer: newest first, with lock state; a fixed number
    of queries whatever the number of assets."""
    pagination = db.paginate(_library_query(viewer, filters), page=max(page, 1),
                             per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)
    assets = list(pagination.items)
    versions = current_versions(assets)
    counts = download_counts([a.id for a in assets]) if viewer.is_vendor else {}
    now = utcnow()
    items = [LibraryItem(a, versions.get(a.id), not can_download(viewer, a),
                         counts.get(a.id, 0) if viewer.is_vendor else None,
                         freshness(versions.get(a.id), now)) for a in assets]
    return LibraryPage(items, pagination, filters, ignored or [], live_languages())


@dataclass
class AssetPage:
    asset: Asset
    versions: list[AssetVersion]  # newest first
    current: AssetVersion | None
    can_download: bool
    downloads: dict[int, int] = field(default_factory=dict)  # vendor: {version id: count}
    old_copies: list[OldCopies] = field(default_factory=list)  # vendor: per partner

    @property
    def total_downloads(self) -> int:
        return sum(self.downloads.values())


def asset_page(viewer: User, asset: Asset) -> AssetPage:
    """One asset with its versions (newest first); vendor staff also see downloads per
    version and the old copies in circulation per partner."""
    versions = list(db.session.scalars(select(AssetVersion).where(
        AssetVersion.asset_id == asset.id).order_by(AssetVersion.number.desc())))
    current = next((v for v in versions if v.number == asset.current_version), None)
    if not viewer.is_vendor:
        return AssetPage(asset, versions, current, can_download(viewer, asset))
    downloads = dict(db.session.execute(
        select(AssetDownload.version_id, func.count(AssetDownload.id))
        .where(AssetDownload.asset_id == asset.id).group_by(AssetDownload.version_id)).all())
    return AssetPage(asset, versions, current, can_download(viewer, asset), downloads,
                     old_copies(asset))


def find_version(asset: Asset, number: int | None = None) -> AssetVersion | None:
    """Version `number` of the asset, or its current one."""
    number = asset.current_version if number is None else number
    return db.session.scalar(select(AssetVersion).where(AssetVersion.asset_id == asset.id,
                                                        AssetVersion.number == number))
