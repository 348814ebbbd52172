"""Old copies: who holds an outdated version of an asset, told when a new one is out, and how
many such copies vendor staff see per partner.

A person holds an old copy when the last version of the asset they downloaded is older than
the current one. When a version is added (or an older one restored as new), each such person
who may still download the asset is told once, with the change note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from lms.assets.access import can_download, may_download
from lms.extensions import db
from lms.models import Asset, AssetDownload, AssetVersion, Organization, User, utcnow
from lms.notifications.service import notify

CATEGORY = "assets"


def _last_versions(asset: Asset):
    """(user id, organization id, the newest version number they downloaded) per active
    partner person."""
    return (select(AssetDownload.user_id, AssetDownload.organization_id,
                   func.max(AssetVersion.number).label("number"))
            .join(AssetVersion, AssetVersion.id == AssetDownload.version_id)
            .join(User, User.id == AssetDownload.user_id)
            .where(AssetDownload.asset_id == asset.id, User.active.is_(True),
                   AssetDownload.organization_id.is_not(None))
            .group_by(AssetDownload.user_id, AssetDownload.organization_id))


def holders_of_old_copies(asset: Asset) -> list[tuple[User, int]]:
    """Active partner people whose last download of `asset` is older than its current
    version, with the version they hold."""
    last = _last_versions(asset).subquery()
    return [(user, number) for user, number in db.session.execute(
        select(User, last.c.number).join(last, last.c.user_id == User.id)
        .where(last.c.number < asset.current_version).order_by(User.id))]


def version_added(asset: Asset, version: AssetVersion, now: datetime | None = None) -> int:
    """Tell the holders of old copies that `version` is out; how many were told. Who holds
    the very same file (a restored version) or may no longer download the asset is not."""
    now = now or utcnow()
    files = {number: sha256 for number, sha256 in db.session.execute(
        select(AssetVersion.number, AssetVersion.sha256).where(
            AssetVersion.asset_id == asset.id))}
    params = {"asset": asset.id, "slug": asset.slug, "title": asset.title,
              "version": version.number, "note": version.change_note or ""}
    written = 0
    for person, held in holders_of_old_copies(asset):
        if files.get(held) == version.sha256 or not can_download(person, asset):
            continue
        written += notify(person, f"asset-updated:{asset.id}:{version.number}", CATEGORY,
                          "asset_updated", params, now) is not None
    return written


@dataclass(frozen=True)
class OldCopies:
    organization_name: str
    organization_slug: str
    people: int


def old_copies(asset: Asset) -> list[OldCopies]:
    """Per partner company whose tier still opens the asset, how many of its active people
    last downloaded an older version (most first)."""
    last = _last_versions(asset).subquery()
    people = func.count(last.c.user_id)
    rows = db.session.execute(
        select(Organization.name, Organization.slug, Organization.tier, people)
        .join(last, last.c.organization_id == Organization.id)
        .where(last.c.number < asset.current_version)
        .group_by(Organization.id, Organization.name, Organization.slug, Organization.tier)
        .order_by(people.desc(), Organization.name))
    return [OldCopies(name, slug, count) for name, slug, tier, count in rows
            if may_download(False, tier, asset.min_tier)]
