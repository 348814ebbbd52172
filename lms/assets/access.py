"""Who may see and download which asset: vendor staff everything, partners by tier."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.models import Asset, Tier, User


def may_download(is_vendor: bool, organization_tier: Tier | None, min_tier: Tier) -> bool:
    """Vendor staff download everything; a partner from the asset's minimum tier upwards."""
    if is_vendor:
        return True
    return organization_tier is not None and organization_tier.rank >= min_tier.rank


def can_download(viewer: User, asset: Asset) -> bool:
    if asset.archived_at is not None and not viewer.is_vendor:
        return False
    tier = viewer.organization.tier if viewer.organization is not None else None
    return may_download(viewer.is_vendor, tier, asset.min_tier)


def visible_asset(viewer: User, slug: str) -> Asset | None:
    """The asset `slug` as this viewer may see it: archived ones only for vendor staff."""
    if not slug or len(slug) > 100:
        return None
    asset = db.session.scalar(select(Asset).where(Asset.slug == slug))
    if asset is None or (asset.archived_at is not None and not viewer.is_vendor):
        return None
    return asset
