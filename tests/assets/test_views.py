"""The asset library over HTTP: publishing, tiers, disguised and oversize uploads, path
tricks, versions, downloads and their headers, search, archive, usage report and CSV."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.assets import library, publishing
from lms.assets.downloads import usage_report
from lms.extensions import db
from lms.models import (
    Asset,
    AssetCategory,
    AssetDownload,
    AssetVersion,
    Audience,
    AuditEvent,
    Role,
    Tier,
    utcnow,
)
from tests.factories import PASSWORD, count_queries, csrf_token, login, make_org, make_user
from tests.factories.assets import PDF, PDF_2, PNG, SAMPLES, publish, stored_files, upload

SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><script>fetch('/account')</script></html>"


def form(filename: str = "overview.pdf", content: bytes = PDF, **fields) -> dict:
    values = {"title": "Nimbus CRM overview", "description": "The **overview**.",
              "category": "brochure", "tags": "overview, smb", "audience": "all",
              "language": "en", "min_tier": "bronze", "change_note": "First edition."}
    values.update(fields)
    values["file"] = (io.BytesIO(content), filename, "text/html")  # the browser's type: ignored
    return values


def signed_in(client, role: Role = Role.MEMBER, tier: Tier = Tier.BRONZE, org=None):
    org = org if org is not None else (make_org(tier=tier) if role.is_partner else None)
    user = make_user(role, org)
    login(client, user)
    return user


def fetch(client, path: str, method: str = "get"):
    """A response read in full and closed (a served file stays open until then)."""
    response = getattr(client, method)(path)
    response.get_data()
    response.close()
    return response


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# --- Publishing -------------------------------------------------------------------------------


def test_a_manager_publishes_an_asset(client, upload_dir):
    signed_in(client, Role.MANAGER)
    assert "multipart/form-data" in client.get("/assets/new").get_data(as_text=True)
    response = client.post("/assets/new", data=form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/assets/nimbus-crm-overview")
    asset = db.session.scalar(select(Asset))
    version = db.session.scalar(select(AssetVersion))
    assert (asset.title, asset.tags, asset.category, asset.current_version) == (
        "Nimbus CRM overview", ",overview,smb,", AssetCategory.BROCHURE, 1)
    assert version.content_type == "application/pdf"  # from the type map, not the browser
    assert stored_files(upload_dir) == [upload_dir / version.sha256[:2] / version.sha256]
    page = client.get("/assets/nimbus-crm-overview").get_data(as_text=True)
    assert "<strong>overview</strong>" in page and "First edition." in page


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN])
def test_partners_cannot_publish_or_manage(client, role):
    asset = publish()
    signed_in(client, role, Tier.PLATINUM)
    assert client.get("/assets/new").status_code == 403
    assert client.post("/assets/new", data=form()).status_code == 403
    for path in (f"/assets/{asset.slug}/edit", f"/assets/{asset.slug}/versions/new",
                 "/reports/assets", "/reports/assets.csv"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/assets/{asset.slug}/versions/1/restore").status_code == 403
    assert count(Asset) == 1 and count(AssetVersion) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client):
    asset = publish()
    for path in ("/assets", f"/assets/{asset.slug}", f"/assets/{asset.slug}/download"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_form_error_stores_nothing(client, upload_dir):
    signed_in(client, Role.MANAGER)
    response = client.post("/assets/new", data=form(title=""))
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    response = client.post("/assets/new", data={k: v for k, v in form().items() if k != "file"})
    assert response.status_code == 400
    assert "Choose a file to upload." in response.get_data(as_text=True)
    assert count(Asset) == 0 and stored_files(upload_dir) == []


@pytest.mark.parametrize(("filename", "content", "message"), [
    ("brochure.pdf", HTML, "This file is not a real PDF file"),
    ("logo.svg", SVG_WITH_SCRIPT, "“.svg” files cannot be uploaded."),
    ("photo.png", b"MZ\x90\x00" + b"\x00" * 60, "This file is not a real PNG file"),
    ("proposal.docx", SAMPLES["zip"], "This file is not a real Word file"),
    ("readme", PDF, "The file name has no extension"),
])
def test_disguised_uploads_are_refused_and_nothing_is_stored(client, upload_dir, filename,
                                                             content, message):
    signed_in(client, Role.MANAGER)
    response = client.post("/assets/new", data=form(filename, content))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "Allowed types: .pdf, .docx" in html
    assert 'id="file-error"' in html  # shown next to the file field
    assert count(Asset) == 0 and count(AssetVersion) == 0
    assert stored_files(upload_dir) == []


def test_an_oversize_upload_gets_413_and_leaves_nothing(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2048)
    with app.app_context():
        upload_dir = app.config["LMS_UPLOAD_DIR"]
        client = app.test_client()
        signed_in(client, Role.MANAGER)
        big = PDF + b"%" + b"x" * 4096
        response = client.post("/assets/new", data=form("big.pdf", big))
        assert response.status_code == 413
        html = response.get_data(as_text=True)
        assert "File too large" in html
        assert "larger than the upload limit of 2 KB, so nothing was saved" in html
        assert count(Asset) == 0 and count(AssetVersion) == 0
        assert stored_files(upload_dir) == []
        # A new version that is too large is refused the same way.
        asset = publish()
        before = stored_files(upload_dir)
        response = client.post(f"/assets/{asset.slug}/versions/new",
                               data={"file": (io.BytesIO(big), "big.pdf"), "change_note": "x"})
        assert response.status_code == 413
        assert count(AssetVersion) == 1 and stored_files(upload_dir) == before


def test_an_oversize_upload_gets_413_before_the_csrf_check_too(make_app):
    app = make_app(MAX_CONTENT_LENGTH=2048, WTF_CSRF_ENABLED=True)
    with app.app_context():
        manager = make_user(Role.MANAGER)
        client = app.test_client()
        client.post("/login", data={"email": manager.email, "password": PASSWORD,
                                    "csrf_token": csrf_token(client, "/login")})
        fields = form("big.pdf", PDF + b"x" * 4096, csrf_token=csrf_token(client, "/assets/new"))
        response = client.post("/assets/new", data=fields)
        assert response.status_code == 413
        assert "upload limit of 2 KB" in response.get_data(as_text=True)
        assert count(Asset) == 0 and stored_files(app.config["LMS_UPLOAD_DIR"]) == []


@pytest.mark.parametrize(("raw", "shown"), [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    # Backslashes are escaped in the multipart header: the server reads ..\x.pdf
    ("..\\\\x.pdf", "x.pdf"),
    ("/etc/cron.d/evil.pdf", "evil.pdf"),
    ("C:\\\\Windows\\\\System32\\\\evil.pdf", "evil.pdf"),
    ("C:\\Windows\\evil.pdf", "C_Windowsevil.pdf"),  # unescaped: no separator survives
    ("evil\x00.pdf", "evil.pdf"),
])
def test_path_tricks_in_file_names_change_nothing(client, app, tmp_path, upload_dir, raw,
                                                  shown):
    signed_in(client, Role.MANAGER)
    before = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    response = client.post("/assets/new", data=form(raw))
    assert response.status_code == 302
    version = db.session.scalar(select(AssetVersion))
    assert version.filename == shown
    sha = hashlib.sha256(PDF).hexdigest()
    assert stored_files(upload_dir) == [upload_dir / sha[:2] / sha]
    after = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert [p for p in after if p not in before] == [upload_dir / sha[:2] / sha]
    download = fetch(client, "/assets/nimbus-crm-overview/download")
    assert download.data == PDF
    assert f'filename="{shown}"' in download.headers["Content-Disposition"]


# --- Tiers and downloads ----------------------------------------------------------------------


def test_a_bronze_partner_cannot_download_a_gold_asset_and_a_gold_partner_can(make_app):
    app = make_app()
    with app.app_context():
        asset = publish("Price list FY2026", filename="価格表.pdf", min_tier=Tier.GOLD)
        bronze = app.test_client()
        signed_in(bronze, Role.MEMBER, Tier.BRONZE)
        response = fetch(bronze, f"/assets/{asset.slug}/download")
        assert response.status_code == 403
        assert "This asset is for Gold partners and above." in response.get_data(as_text=True)

        gold = app.test_client()
        signed_in(gold, Role.MEMBER, Tier.GOLD)
        response = fetch(gold, f"/assets/{asset.slug}/download")
        assert response.status_code == 200
        assert response.data == PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Length"] == str(len(PDF))
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response.headers["Cache-Control"] == "private, no-store"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="price-list-fy2026-v1.pdf"')
        assert disposition.endswith("; filename*=UTF-8''%E4%BE%A1%E6%A0%BC%E8%A1%A8.pdf")
        assert count(AssetDownload) == 1  # the refused one was not counted


def test_the_platinum_tier_and_vendor_staff(client):
    asset = publish("Playbook", min_tier=Tier.PLATINUM)
    signed_in(client, Role.PARTNER_ADMIN, Tier.GOLD)
    assert fetch(client, f"/assets/{asset.slug}/download").status_code == 403
    app = client.application
    for role, tier in ((Role.MEMBER, Tier.PLATINUM), (Role.MANAGER, None), (Role.ADMIN, None)):
        other = app.test_client()
        signed_in(other, role, tier or Tier.BRONZE)
        assert fetch(other, f"/assets/{asset.slug}/download").status_code == 200, role
    rows = list(db.session.scalars(select(AssetDownload).order_by(AssetDownload.id)))
    assert [r.organization_id is None for r in rows] == [False, True, True]


def test_a_locked_asset_is_listed_with_the_tier_that_unlocks_it(client):
    gold = publish("Price list FY2026", min_tier=Tier.GOLD)
    publish("Product overview")
    signed_in(client, Role.MEMBER, Tier.SILVER)
    html = client.get("/assets").get_data(as_text=True)
    assert "Price list FY2026" in html and "Product overview" in html
    assert "Unlocks at Gold." in html
    assert f"/assets/{gold.slug}/download" not in html
    assert "/assets/product-overview/download" in html
    detail = client.get(f"/assets/{gold.slug}").get_data(as_text=True)
    assert "Unlocks at Gold." in detail and "Your company is at Silver." in detail
    assert f"/assets/{gold.slug}/download" not in detail
    assert "Version history" in detail


def test_a_missing_file_is_not_counted(client, upload_dir):
    asset = publish()
    sha = hashlib.sha256(PDF).hexdigest()
    (upload_dir / sha[:2] / sha).unlink()
    signed_in(client)
    response = fetch(client, f"/assets/{asset.slug}/download")
    assert response.status_code == 404
    assert "cannot be found right now" in response.get_data(as_text=True)
    assert count(AssetDownload) == 0


def test_a_head_request_is_not_a_download(client):
    asset = publish()
    signed_in(client)
    assert fetch(client, f"/assets/{asset.slug}/download", "head").status_code == 200
    assert count(AssetDownload) == 0


# --- Versions ---------------------------------------------------------------------------------


def test_a_new_version_becomes_the_download_and_the_old_one_stays_listed(client, upload_dir):
    asset = publish(filename="overview.pdf")
    signed_in(client, Role.MANAGER)
    page = client.get(f"/assets/{asset.slug}/versions/new").get_data(as_text=True)
    assert "Partners now download version 1" in page
    response = client.post(f"/assets/{asset.slug}/versions/new", data={
        "file": (io.BytesIO(PDF_2), "overview 2026.pdf"), "change_note": ""})
    assert response.status_code == 400
    assert "Say what changed in this version." in response.get_data(as_text=True)
    assert len(stored_files(upload_dir)) == 1
    response = client.post(f"/assets/{asset.slug}/versions/new", data={
        "file": (io.BytesIO(PDF_2), "overview 2026.pdf"), "change_note": "Prices for FY2026."})
    assert response.status_code == 302
    download = fetch(client, f"/assets/{asset.slug}/download")
    assert download.data == PDF_2
    assert 'filename="overview 2026.pdf"' in download.headers["Content-Disposition"]
    assert fetch(client, f"/assets/{asset.slug}/versions/1/download").data == PDF
    assert fetch(client, f"/assets/{asset.slug}/versions/9/download").status_code == 404
    html = client.get(f"/assets/{asset.slug}").get_data(as_text=True)
    assert "Prices for FY2026." in html and "First." in html
    assert f"/assets/{asset.slug}/versions/1/restore" in html
    assert f"/assets/{asset.slug}/versions/2/restore" not in html  # the current one

    response = client.post(f"/assets/{asset.slug}/versions/1/restore")
    assert response.status_code == 302
    versions = list(db.session.scalars(select(AssetVersion).order_by(AssetVersion.number)))
    assert [(v.number, v.restored_from) for v in versions] == [(1, None), (2, None), (3, 1)]
    assert versions[2].sha256 == versions[0].sha256
    assert fetch(client, f"/assets/{asset.slug}/download").data == PDF
    assert "Restored version 1" in client.get(f"/assets/{asset.slug}").get_data(as_text=True)
    assert len(stored_files(upload_dir)) == 2
    assert db.session.scalar(select(func.count(AuditEvent.id))) >= 3


def test_a_partner_sees_the_history_but_not_old_files(client):
    asset = publish()
    publishing.add_version(None, asset, upload(PDF_2, "overview.pdf"), "Prices for FY2026.")
    db.session.commit()
    signed_in(client)
    html = client.get(f"/assets/{asset.slug}").get_data(as_text=True)
    assert "Prices for FY2026." in html and "First." in html
    assert "/versions/1/download" not in html and "/restore" not in html
    assert fetch(client, f"/assets/{asset.slug}/versions/1/download").status_code == 403
    assert client.post(f"/assets/{asset.slug}/versions/1/restore").status_code == 403
    assert fetch(client, f"/assets/{asset.slug}/download").data == PDF_2


def test_restoring_needs_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        asset = publish()
        publishing.add_version(None, asset, upload(PDF_2, "b.pdf"), "Second.")
        db.session.commit()
        manager = make_user(Role.MANAGER)
        client = app.test_client()
        token = csrf_token(client, "/login")
        client.post("/login", data={"email": manager.email, "password": PASSWORD,
                                    "csrf_token": token})
        assert client.post(f"/assets/{asset.slug}/versions/1/restore").status_code == 400
        assert count(AssetVersion) == 2
        token = csrf_token(client, f"/assets/{asset.slug}")
        response = client.post(f"/assets/{asset.slug}/versions/1/restore",
                               data={"csrf_token": token})
        assert response.status_code == 302 and count(AssetVersion) == 3


# --- Editing and archiving --------------------------------------------------------------------


def test_editing_the_metadata_keeps_the_file_and_the_address(client):
    asset = publish()
    signed_in(client, Role.MANAGER)
    page = client.get(f"/assets/{asset.slug}/edit").get_data(as_text=True)
    assert 'value="Nimbus CRM overview"' in page
    fields = {k: v for k, v in form(title="Overview FY2026", tags="fy2026",
                                    min_tier="silver").items() if k != "file"}
    response = client.post(f"/assets/{asset.slug}/edit", data=fields)
    assert response.status_code == 302
    db.session.refresh(asset)
    assert (asset.slug, asset.title, asset.tags, asset.min_tier, asset.current_version) == (
        "nimbus-crm-overview", "Overview FY2026", ",fy2026,", Tier.SILVER, 1)


def test_archived_assets_are_hidden_from_partners(client, app):
    asset = publish("Old brochure")
    manager = app.test_client()
    signed_in(manager, Role.MANAGER)
    assert manager.post(f"/assets/{asset.slug}/edit", data={"action": "archive"}
                        ).status_code == 302
    signed_in(client)
    assert "Old brochure" not in client.get("/assets").get_data(as_text=True)
    assert client.get(f"/assets/{asset.slug}").status_code == 404
    assert fetch(client, f"/assets/{asset.slug}/download").status_code == 404
    assert _titles(manager, "") == []
    assert _titles(manager, "?archived=1") == ["Old brochure"]
    assert "Archived" in manager.get("/assets?archived=1").get_data(as_text=True)
    assert _titles(client, "?archived=1") == []
    assert manager.get(f"/assets/{asset.slug}").status_code == 200
    manager.post(f"/assets/{asset.slug}/edit", data={"action": "unarchive"})
    assert client.get(f"/assets/{asset.slug}").status_code == 200


# --- Browsing ---------------------------------------------------------------------------------


def _titles(client, query: str) -> list[str]:
    html = client.get("/assets" + query).get_data(as_text=True)
    return re.findall(r'class="asset-title"[^>]*><a href="[^"]+">([^<]+)</a>', html)


def test_search_and_filters(client):
    publish("Battlecard vs the big US CRMs", category=AssetCategory.BATTLECARD,
            tags=["competition"], audience=Audience.SALES,
            description="Where we win: faster go-live and JPY invoicing (100% local).")
    publish("Nimbus CRM 製品概要", language="ja", description="ｹｰｽｽﾀﾃﾞｨ付きのPDF資料です。")
    publish("Implementation guide", category=AssetCategory.DEMO_GUIDE,
            audience=Audience.TECHNICAL, tags=["api"])
    publish("Logo pack", tags=["brand", "competition_free"])
    signed_in(client)
    assert _titles(client, "") == ["Logo pack", "Implementation guide", "Nimbus CRM 製品概要",
                                   "Battlecard vs the big US CRMs"]  # newest first
    assert _titles(client, "?q=ＢＡＴＴＬＥＣＡＲＤ") == ["Battlecard vs the big US CRMs"]
    assert _titles(client, "?q=ケース") == ["Nimbus CRM 製品概要"]  # half-width kana stored
    assert _titles(client, "?q=ｐｄｆ 製品") == ["Nimbus CRM 製品概要"]
    assert _titles(client, "?q=jpy invoicing") == ["Battlecard vs the big US CRMs"]
    assert _titles(client, "?q=jpy logo") == []  # every word must match
    assert _titles(client, "?q=100%25") == ["Battlecard vs the big US CRMs"]
    assert _titles(client, "?q=%25") == ["Battlecard vs the big US CRMs"]
    assert _titles(client, "?q=_") == ["Logo pack"]  # "_" is a character, not a wildcard
    assert _titles(client, "?q=api") == ["Implementation guide"]  # tags are searched
    assert _titles(client, "?category=battlecard") == ["Battlecard vs the big US CRMs"]
    assert set(_titles(client, "?audience=technical")) == {
        "Implementation guide", "Logo pack", "Nimbus CRM 製品概要"}  # + material for all
    assert set(_titles(client, "?audience=all")) == {"Logo pack", "Nimbus CRM 製品概要"}
    assert _titles(client, "?language=ja") == ["Nimbus CRM 製品概要"]
    assert _titles(client, "?tag=competition") == ["Battlecard vs the big US CRMs"]
    assert _titles(client, "?tag=Competition&category=battlecard") == [
        "Battlecard vs the big US CRMs"]
    html = client.get("/assets?tag=competition").get_data(as_text=True)
    assert "Remove this tag" in html


@pytest.mark.parametrize("query", ["?category=nope", "?audience=robots", "?language=../../x",
                                   "?page=abc", "?page=-4", "?page=99999", "?q=" + "x" * 500,
                                   "?days=1"])
def test_bad_filter_values_never_fail(client, query):
    publish()
    signed_in(client)
    response = client.get("/assets" + query)
    assert response.status_code == 200
    if "category" in query:
        assert "The category in the address does not exist" in response.get_data(as_text=True)


def test_the_library_runs_a_fixed_number_of_queries(make_app):
    app = make_app()
    with app.app_context():
        for n in range(5):
            publish(f"Asset {n}", min_tier=Tier.GOLD if n % 2 else Tier.BRONZE)
        partner = app.test_client()
        signed_in(partner, Role.MEMBER, Tier.SILVER)
        manager = app.test_client()
        signed_in(manager, Role.MANAGER)
        for client in (partner, manager):
            client.get("/assets")  # first request of the session: last-seen update
        counts = {}
        for label, client in (("partner", partner), ("manager", manager)):
            with count_queries() as few:
                assert client.get("/assets").status_code == 200
            counts[label] = few.n
        for n in range(5, 30):
            asset = publish(f"Asset {n}", content=PDF + str(n).encode())
            db.session.add(AssetDownload(asset_id=asset.id, version_id=library.find_version(
                asset).id, at=utcnow()))
            db.session.commit()
        for label, client in (("partner", partner), ("manager", manager)):
            client.get("/assets")  # publishing changed the content: the worker's copy reloads
            with count_queries() as many:
                html = client.get("/assets").get_data(as_text=True)
            assert many.n == counts[label], label
            assert html.count('class="card asset-card') == library.PAGE_SIZE
        with count_queries() as page_two:
            html = partner.get("/assets?page=2").get_data(as_text=True)
        assert page_two.n == counts["partner"]
        assert html.count('class="card asset-card') == 30 - library.PAGE_SIZE


# --- Usage ------------------------------------------------------------------------------------


def test_download_counts_add_up_in_the_report_and_the_csv(client, app):
    overview = publish("Product overview")
    battlecard = publish("Battlecard", content=PNG, filename="battlecard.png")
    sakura, aozora = make_org(name="Sakura Systems"), make_org(name="Aozora Consulting")
    people = {"a1": make_user(org=sakura), "a2": make_user(org=sakura),
              "b1": make_user(org=aozora)}
    plan = [("a1", overview, 2), ("a2", overview, 1), ("b1", overview, 3), ("b1", battlecard, 1)]
    for key, asset, times in plan:
        person = app.test_client()
        login(person, people[key])
        for _ in range(times):
            assert fetch(person, f"/assets/{asset.slug}/download").status_code == 200
    manager = make_user(Role.MANAGER)
    login(client, manager)
    assert fetch(client, f"/assets/{overview.slug}/download").status_code == 200
    # An old download outside the period.
    db.session.add(AssetDownload(asset_id=overview.id,
                                 version_id=library.find_version(overview).id,
                                 user_id=people["a1"].id, organization_id=sakura.id,
                                 at=utcnow() - timedelta(days=120)))
    db.session.commit()

    downloads = list(db.session.scalars(select(AssetDownload)))
    assert len(downloads) == 9
    assert all(d.version_id == library.find_version(overview).id for d in downloads
               if d.asset_id == overview.id)

    report = usage_report(90)
    assert [(a.title, a.downloads, a.partners, a.people) for a in report.assets] == [
        ("Product overview", 6, 2, 3), ("Battlecard", 1, 1, 1)]
    assert report.total_downloads == 7 == sum(p.downloads for p in report.partners)
    assert (report.partner_count, report.vendor_downloads) == (2, 1)
    assert [(p.organization_name, p.asset_title, p.downloads) for p in report.partners] == [
        ("Aozora Consulting", "Product overview", 3), ("Aozora Consulting", "Battlecard", 1),
        ("Sakura Systems", "Product overview", 3)]
    assert usage_report(365).total_downloads == 8

    html = client.get("/reports/assets").get_data(as_text=True)
    assert "Most used assets" in html and "Sakura Systems" in html
    assert re.search(r'<span class="stat-value">7</span>', html)
    response = client.get("/reports/assets.csv?days=365")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:6] == ["partner", "partner_slug", "tier", "asset", "asset_slug",
                           "downloads"]
    assert sorted((r[0], r[3], int(r[5])) for r in rows[1:]) == [
        ("Aozora Consulting", "Battlecard", 1), ("Aozora Consulting", "Product overview", 3),
        ("Sakura Systems", "Product overview", 4)]
    assert sum(int(r[5]) for r in rows[1:]) == 8
    detail = client.get(f"/assets/{overview.slug}").get_data(as_text=True)
    assert re.search(r"<dt>Downloads</dt><dd>8 ", detail)


def test_usage_report_period_and_fixed_queries(client):
    asset = publish()
    org = make_org()
    login(client, make_user(Role.MANAGER))
    client.get("/reports/assets")
    with count_queries() as few:
        client.get("/reports/assets?days=30")
    version = library.find_version(asset)
    for _ in range(20):
        other = make_org()
        db.session.add_all([AssetDownload(asset_id=asset.id, version_id=version.id,
                                          organization_id=o.id, at=utcnow()) for o in (org,
                                                                                     other)])
    db.session.commit()
    with count_queries() as many:
        html = client.get("/reports/assets?days=30").get_data(as_text=True)
    assert many.n == few.n
    assert '<option value="30" selected>' in html
    assert "showing 90 days" in client.get("/reports/assets?days=7").get_data(as_text=True)


def test_csv_cells_that_look_like_formulas_are_made_safe(client):
    asset = publish("=HYPERLINK(\"http://evil.test\",\"x\")")
    org = make_org(name="+cmd|' /C calc'!A0")
    person = make_user(org=org)
    partner = client.application.test_client()
    login(partner, person)
    fetch(partner, f"/assets/{asset.slug}/download")
    login(client, make_user(Role.ADMIN))
    text = client.get("/reports/assets.csv").get_data(as_text=True)
    row = next(csv.reader(io.StringIO(text.lstrip("\ufeff").splitlines()[1])))
    assert row[0] == "'+cmd|' /C calc'!A0"
    assert row[3] == "'=HYPERLINK(\"http://evil.test\",\"x\")"
