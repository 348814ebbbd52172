"""The library marks what is new or updated in the last 30 days, and shows each file's type
as an icon beside its name in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from lms.assets import publishing
from lms.assets.filetypes import family_of
from lms.assets.library import freshness
from lms.extensions import db
from lms.models import AssetVersion, Role, utcnow
from tests.factories import make_user, signed_in
from tests.factories.assets import PDF, PDF_2, publish, upload

NOW = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)


def version(number: int, days_ago: float) -> AssetVersion:
    return AssetVersion(number=number, created_at=NOW - timedelta(days=days_ago))


@pytest.mark.parametrize(("number", "days_ago", "expected"), [
    (1, 0, "new"),
    (1, 30, "new"),  # the 30th day still counts
    (1, 30.01, None),
    (2, 3, "updated"),
    (7, 29.9, "updated"),
    (2, 45, None),
])
def test_freshness_is_the_current_versions_age(number, days_ago, expected):
    assert freshness(version(number, days_ago), NOW) == expected


def test_an_asset_without_a_version_is_not_fresh():
    assert freshness(None, NOW) is None


@pytest.mark.parametrize(("name", "family"), [
    ("deck.PPTX", "slides"), ("sheet.xls", "sheet"), ("brochure.pdf", "pdf"),
    ("photo.jpeg", "image"), ("demo.m4v", "video"), ("kit.zip", "archive"),
    ("proposal.docx", "doc"), ("notes", "file"), (".pdf", "file"),
])
def test_file_families(name, family):
    assert family_of(name) == family


def card_of(html: str, title: str) -> str:
    match = re.search(r'<article class="card asset-card[^"]*">(?:(?!</article>).)*?'
                      + re.escape(title) + r".*?</article>", html, re.S)
    assert match, title
    return match.group(0)


def test_the_library_marks_new_and_updated_assets_and_not_old_ones(app):
    fresh = publish("Fresh brochure")
    updated = publish("Updated battlecard")
    publishing.add_version(None, updated, upload(PDF_2, "battlecard.pdf"), "Added SFA tools.")
    db.session.commit()
    old = publish("Old price list", content=PDF)
    for row in db.session.scalars(db.select(AssetVersion).where(
            AssetVersion.asset_id == old.id)):
        row.created_at = utcnow() - timedelta(days=45)
    db.session.commit()
    client = signed_in(app, make_user(Role.MEMBER))

    html = client.get("/assets").get_data(as_text=True)

    assert '<span class="status status-new">New</span>' in card_of(html, fresh.title)
    updated_card = card_of(html, updated.title)
    assert '<span class="status status-new">Updated</span>' in updated_card
    assert "version 2" in updated_card and "Added SFA tools." in updated_card
    old_card = card_of(html, old.title)
    assert "status-new" not in old_card
    assert '<span class="file-icon file-pdf" aria-hidden="true">PDF</span>' in old_card
    assert "PDF, " in old_card  # the type in words too
