"""Downloads of assets: each served file recorded, counted, and the usage report of vendor
staff (by asset, and by partner and asset) built from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, insert, select

from lms.database import write_best_effort
from lms.extensions import db
from lms.models import Asset, AssetDownload, AssetVersion, Organization, Tier, User, utcnow

USAGE_PERIODS = (30, 90, 365)
DEFAULT_USAGE_DAYS = 90
USAGE_PAGE_ROWS = 500


def record_download(viewer: User, asset: Asset, version: AssetVersion,
                    at: datetime | None = None) -> bool:
    """One served file: who, for which company (None for vendor staff), which version.

    Written on a GET, so best-effort (lms.database): a busy database never fails the
    download; False (logged) when the row could not be written.
    """
    return write_best_effort(insert(AssetDownload).values(
        asset_id=asset.id, version_id=version.id, user_id=viewer.id,
        organization_id=viewer.organization_id, at=at or utcnow()))


def download_counts(asset_ids: list[int]) -> dict[int, int]:
    """{asset id: downloads ever} in one query."""
    if not asset_ids:
        return {}
    return dict(db.session.execute(
        select(AssetDownload.asset_id, func.count(AssetDownload.id))
        .where(AssetDownload.asset_id.in_(asset_ids)).group_by(AssetDownload.asset_id)).all())


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
