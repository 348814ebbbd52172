"""The demo library: a dozen real files, some locked by tier, downloads that make sense."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from sqlalchemy import func, select

from lms.assets.filetypes import detect
from lms.assets.storage import get_storage
from lms.demo.assets import seed_assets
from lms.extensions import db
from lms.models import Asset, AssetDownload, AssetVersion, Role, Tier
from tests.factories import make_org, make_user

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _demo_people():
    people = {}
    for slug, tier in (("sakura-systems", Tier.GOLD), ("aozora-consulting", Tier.SILVER),
                       ("kumo-works", Tier.BRONZE)):
        org = make_org(slug=slug, tier=tier)
        for prefix in ("admin", "sales", "engineer"):
            role = Role.PARTNER_ADMIN if prefix == "admin" else Role.MEMBER
            people[f"{prefix}@{slug}"] = make_user(role, org, email=f"{prefix}@{slug}.demo.test")
    return people


def test_seed_assets_publishes_a_believable_library_once(app):
    people = _demo_people()
    manager = make_user(Role.MANAGER, email="manager@demo.test")
    assert seed_assets(NOW, manager) is True
    db.session.commit()
    assets = list(db.session.scalars(select(Asset)))
    versions = list(db.session.scalars(select(AssetVersion)))
    downloads = list(db.session.scalars(select(AssetDownload)))
    assert len(assets) >= 12
    assert {a.min_tier for a in assets} >= {Tier.BRONZE, Tier.SILVER, Tier.GOLD, Tier.PLATINUM}
    assert sum(a.current_version > 1 for a in assets) >= 2
    assert any(a.language == "ja" and a.category.value == "case_study" for a in assets)
    assert any(v.filename == "導入事例_さくら精機.pdf" for v in versions)
    assert all(v.uploaded_by_id == manager.id for v in versions)
    assert downloads, "the usage report has something to show"

    storage = get_storage()
    for version in versions:  # every file is stored, openable and of its declared type
        with storage.open(version.sha256) as handle:
            content = handle.read()
        assert len(content) == version.size
        assert detect(version.filename, io.BytesIO(content)).content_type == \
            version.content_type
    logo_pack = next(v for v in versions if v.filename.endswith(".zip"))
    with storage.open(logo_pack.sha256) as handle:
        assert any(n.endswith(".png") for n in zipfile.ZipFile(handle).namelist())

    by_id = {a.id: a for a in assets}
    version_by_id = {v.id: v for v in versions}
    tiers = {u.id: u.organization.tier for u in people.values()}
    for download in downloads:
        asset = by_id[download.asset_id]
        assert tiers[download.user_id].rank >= asset.min_tier.rank
        assert version_by_id[download.version_id].created_at <= download.at <= NOW

    assert seed_assets(NOW, manager) is False
    db.session.commit()
    assert db.session.scalar(select(func.count(Asset.id))) == len(assets)
    assert db.session.scalar(select(func.count(AssetVersion.id))) == len(versions)
    assert db.session.scalar(select(func.count(AssetDownload.id))) == len(downloads)


def test_seed_assets_without_demo_people_or_uploader(app):
    seed_assets(NOW, None)
    db.session.commit()
    assert db.session.scalar(select(func.count(Asset.id))) >= 12
    assert db.session.scalar(select(func.count(AssetDownload.id))) == 0
