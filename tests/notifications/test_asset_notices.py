"""Asset notices (lms.assets.notices): a new version of an asset is told, once and with its
change note, to the partner people whose last download is older and who may still download
it; vendor staff see per partner how many such old copies are in circulation."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from lms.assets import publishing
from lms.assets.downloads import record_download
from lms.assets.library import find_version
from lms.assets.notices import version_added
from lms.extensions import db
from lms.models import Asset, Organization, Role, Tier, User
from tests.factories import make_org, make_user, signed_in
from tests.factories.assets import PDF_2, publish, upload
from tests.notifications.test_kinds import ids, in_both, notifications, only, recipients, says

NOTE = "Prices for FY2026."


@dataclass
class Library:
    asset: Asset
    ours: Organization  # Silver: may download the asset
    fallen: Organization  # was Gold, now Bronze: may no longer
    downloaded: User  # A: downloaded v1
    colleague: User  # B: downloaded nothing
    former_holder: User  # C: downloaded v1 while the company was Gold
    manager: User


def download(app, user: User, asset: Asset) -> None:
    response = signed_in(app, user, through_form=False).get(f"/assets/{asset.slug}/download")
    response.get_data()
    response.close()
    assert response.status_code == 200, (user.email, response.status_code)


@pytest.fixture
def library(app) -> Library:
    asset = publish("Price list", min_tier=Tier.SILVER)
    ours = make_org(name="Sakura Systems K.K.", tier=Tier.SILVER)
    fallen = make_org(name="Fuji Partners K.K.", tier=Tier.GOLD)
    made = Library(asset, ours, fallen,
                   downloaded=make_user(Role.MEMBER, ours, name="Aiko Holder"),
                   colleague=make_user(Role.MEMBER, ours, name="Ben Nothing"),
                   former_holder=make_user(Role.MEMBER, fallen, name="Chie Former"),
                   manager=make_user(Role.MANAGER))
    download(app, made.downloaded, asset)
    download(app, made.former_holder, asset)
    download(app, made.manager, asset)  # vendor staff: no company, never an old copy
    fallen.tier = Tier.BRONZE
    db.session.commit()
    return made


def add_version(library: Library, note: str = NOTE):
    # Each version a different file (the same file again is no news: see the restore test).
    content = PDF_2 + f"\n% {note}\n".encode()
    version = publishing.add_version(library.manager, library.asset,
                                     upload(content, "price-list.pdf"), note)
    db.session.commit()
    return version


def test_a_new_version_is_told_once_to_who_holds_an_old_copy_and_may_download(library):
    version = add_version(library)

    assert version.number == 2
    assert recipients() == [library.downloaded.id]
    notice = only("asset_updated", library.downloaded)
    asset = library.asset
    assert notice.key == f"asset-updated:{asset.id}:2" and notice.category == "assets"
    assert notice.params == {"asset": asset.id, "slug": asset.slug, "title": "Price list",
                             "version": 2, "note": NOTE}
    english, japanese = in_both(notice)
    assert english.title == "Price list has a new version"
    assert f"What changed: {NOTE}" in english.body
    assert english.path == japanese.path == f"/assets/{asset.slug}"
    assert says(japanese, "Price list", NOTE)

    # Told already: the same version again writes nothing.
    assert version_added(asset, version) == 0
    db.session.commit()
    assert recipients() == [library.downloaded.id]


def test_whoever_fetched_the_current_version_is_not_told_of_it_again(library, app):
    add_version(library)
    download(app, library.colleague, library.asset)  # B fetches v2
    download(app, library.downloaded, library.asset)  # A too, now up to date

    add_version(library, "Typo fixed.")

    third = [n for n in notifications("asset_updated") if n.params["version"] == 3]
    assert sorted(n.user_id for n in third) == ids(library.downloaded, library.colleague)


def test_a_download_recorded_by_the_service_counts_as_well(library):
    late = make_user(Role.PARTNER_ADMIN, library.ours)
    record_download(late, library.asset, find_version(library.asset))
    db.session.commit()

    add_version(library)

    assert recipients() == ids(library.downloaded, late)


# --- Old copies in circulation ----------------------------------------------------------------


def old_copies_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="old-copies">(.*?)</section>', html, re.S)
    assert match, "no old copies section"
    return match.group(1)


def test_vendor_staff_see_the_old_copies_per_partner_and_partners_do_not(library, app):
    add_version(library)
    slug = library.asset.slug

    page = signed_in(app, library.manager, through_form=False).get(f"/assets/{slug}")

    html = page.get_data(as_text=True)
    assert "Old copies in circulation" in html
    section = old_copies_section(html)
    row = re.search(r"<tr><td><a [^>]*>Sakura Systems K\.K\.</a></td>"
                    r'<td class="num">(\d+)</td></tr>', section)
    assert row and row.group(1) == "1"  # A alone: B never downloaded it
    partner = signed_in(app, library.downloaded, through_form=False).get(f"/assets/{slug}")
    assert partner.status_code == 200
    assert "Old copies in circulation" not in partner.get_data(as_text=True)


def test_before_a_second_version_there_is_no_old_copies_section(library, app):
    html = signed_in(app, library.manager, through_form=False).get(
        f"/assets/{library.asset.slug}").get_data(as_text=True)

    assert "Old copies in circulation" not in html
