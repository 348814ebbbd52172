"""Pure rules of the library (tags, slugs, access by tier, filters) and the services that
publish, version and restore."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from lms.assets import access, downloads, library, metadata, publishing
from lms.extensions import db
from lms.models import (
    Asset,
    AssetCategory,
    AssetVersion,
    Audience,
    AuditAction,
    AuditEvent,
    Role,
    Tier,
)
from tests.factories import make_user
from tests.factories.assets import PDF, PDF_2, PNG, data, publish, stored_files, upload

# --- Pure helpers -----------------------------------------------------------------------------


def test_parse_tags_normalizes_and_deduplicates():
    assert metadata.parse_tags("Pricing, SMB、ｆｉｎａｎｃｅ,, pricing ,  Case  Study") == [
        "pricing", "smb", "finance", "case study"]
    assert metadata.parse_tags("") == []
    assert len(metadata.parse_tags(",".join(f"t{n}" for n in range(50)))) == metadata.MAX_TAGS
    assert metadata.tags_column(["a", "b"]) == ",a,b,"
    assert metadata.tags_column([]) == ""


@pytest.mark.parametrize(("title", "slug"), [
    ("Nimbus CRM — Product overview", "nimbus-crm-product-overview"),
    ("Café & Co. price list 2026", "cafe-co-price-list-2026"),
    ("導入事例：さくら精機", ""),
    ("Nimbus CRM 製品概要", "nimbus-crm"),
])
def test_slug_base(title, slug):
    assert metadata.slug_base(title) == slug


def test_pick_slug_is_unique_and_never_reserved():
    assert metadata.pick_slug("overview", set()) == "overview"
    assert metadata.pick_slug("overview", {"overview", "overview-2"}) == "overview-3"
    assert metadata.pick_slug("new", set()) == "new-2"
    assert metadata.pick_slug("", set()) == "asset-1"
    assert metadata.pick_slug("", {"asset-1"}) == "asset-2"


@pytest.mark.parametrize(("vendor", "tier", "minimum", "allowed"), [
    (False, Tier.BRONZE, Tier.GOLD, False),
    (False, Tier.SILVER, Tier.GOLD, False),
    (False, Tier.GOLD, Tier.GOLD, True),
    (False, Tier.PLATINUM, Tier.GOLD, True),
    (False, Tier.BRONZE, Tier.BRONZE, True),
    (False, None, Tier.BRONZE, False),
    (True, None, Tier.PLATINUM, True),
])
def test_may_download(vendor, tier, minimum, allowed):
    assert access.may_download(vendor, tier, minimum) is allowed


def test_parse_filters_ignores_what_it_does_not_know():
    filters, ignored = library.parse_filters({"q": "  price   list ", "category": "price_list",
                                              "audience": "nobody", "language": "xx",
                                              "tag": " Pricing ", "archived": "1"})
    assert filters.q == "price list"
    assert filters.category == AssetCategory.PRICE_LIST
    assert filters.audience is None and filters.language is None
    assert filters.tag == "pricing" and filters.archived
    assert ignored == ["audience", "language"]
    assert filters.args() == {"q": "price list", "category": "price_list", "tag": "pricing",
                              "archived": "1"}
    assert library.parse_filters({})[0].active is False


def test_usage_days():
    assert [downloads.usage_days(v) for v in ("30", "90", "365", None, "7", "abc", "-1")] == [
        30, 90, 365, 90, 90, 90, 90]


def test_search_text_holds_title_description_and_tags():
    text = metadata.search_text("Ｎｉｍｂｕｓ Overview", "**Bold** [link](https://x.test) &amp;",
                               ["smb"])
    assert text == "nimbus overview bold link & smb"


# --- Services ---------------------------------------------------------------------------------


def test_publish_stores_the_file_and_both_rows(app, upload_dir):
    manager = make_user(Role.MANAGER)
    asset = publishing.publish(manager, data("Price list", description="<script>x</script>**Hi**",
                                          tags=["pricing"]),
                            upload(PDF, "../../Price list.pdf"), "First edition.")
    db.session.commit()
    assert asset.slug == "price-list" and asset.current_version == 1
    assert "<script>" not in asset.description_html and "<strong>Hi</strong>" in \
        asset.description_html
    version = db.session.scalar(select(AssetVersion).where(AssetVersion.asset_id == asset.id))
    sha = hashlib.sha256(PDF).hexdigest()
    assert (version.number, version.filename, version.content_type, version.size,
            version.sha256, version.change_note, version.uploaded_by_id) == (
        1, "Price list.pdf", "application/pdf", len(PDF), sha, "First edition.", manager.id)
    assert stored_files(upload_dir) == [upload_dir / sha[:2] / sha]
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == AuditAction.ASSET_PUBLISHED))
    assert event.actor_id == manager.id and event.detail["asset"] == "price-list"


def test_a_refused_upload_stores_nothing(app, upload_dir):
    with pytest.raises(metadata.AssetError) as caught:
        publishing.publish(None, data(), upload(b"<html><script></script></html>", "x.pdf"))
    db.session.rollback()
    assert caught.value.field == "file"
    assert "not a real PDF file" in str(caught.value) and ".docx" in str(caught.value)
    assert db.session.scalar(select(func.count(Asset.id))) == 0
    assert stored_files(upload_dir) == []


def test_slugs_are_unique_and_japanese_titles_get_a_number(app):
    assert publish("Overview").slug == "overview"
    assert publish("Overview").slug == "overview-2"
    assert publish("導入事例").slug == "asset-1"
    assert publish("製品概要").slug == "asset-2"
    assert publish("New").slug == "new-2"


def test_versions_and_restore(app, upload_dir):
    manager = make_user(Role.MANAGER)
    asset = publish()
    second = publishing.add_version(manager, asset, upload(PDF_2, "overview v2.pdf"),
                                 "Prices for FY2026.")
    db.session.commit()
    assert (second.number, asset.current_version) == (2, 2)
    with pytest.raises(metadata.AssetError, match="already the current"):
        publishing.restore_version(manager, asset, 2)
    db.session.rollback()
    with pytest.raises(metadata.AssetError, match="no version 7"):
        publishing.restore_version(manager, asset, 7)
    db.session.rollback()
    third = publishing.restore_version(manager, asset, 1)
    db.session.commit()
    first = library.find_version(asset, 1)
    assert (third.number, third.restored_from, third.sha256, third.filename) == (
        3, 1, first.sha256, first.filename)
    assert third.change_note == "Restored version 1"
    assert library.find_version(asset).id == third.id
    assert len(stored_files(upload_dir)) == 2  # the restored file is not copied


def test_a_version_needs_a_change_note(app, upload_dir):
    asset = publish()
    with pytest.raises(metadata.AssetError) as caught:
        publishing.add_version(None, asset, upload(PNG, "logo.png"), "  ")
    assert caught.value.field == "change_note"
    assert len(stored_files(upload_dir)) == 1


def test_restoring_a_version_whose_file_is_gone_is_refused(app, upload_dir):
    asset = publish()
    publishing.add_version(None, asset, upload(PDF_2, "b.pdf"), "Second.")
    db.session.commit()
    sha = hashlib.sha256(PDF).hexdigest()
    (upload_dir / sha[:2] / sha).unlink()
    with pytest.raises(metadata.AssetError, match="missing from the storage"):
        publishing.restore_version(None, asset, 1)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AssetVersion.id))) == 2


def test_update_and_archive(app):
    manager = make_user(Role.MANAGER)
    asset = publish()
    changed = publishing.update_asset(manager, asset, data("Nimbus overview 2026", tags=["fy2026"],
                                                        audience=Audience.SALES))
    db.session.commit()
    assert set(changed) == {"title", "tags", "audience"}
    assert asset.slug == "nimbus-crm-overview"  # links keep working
    assert "fy2026" in asset.search_text and "2026" in asset.search_text
    publishing.set_archived(manager, asset, True)
    db.session.commit()
    assert asset.archived_at is not None
    assert access.visible_asset(make_user(Role.MEMBER), asset.slug) is None
    assert access.visible_asset(manager, asset.slug) is not None
