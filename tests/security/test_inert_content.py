"""What people type or upload never runs: their text is escaped on every page that shows it,
every cell of the deal export is formula-safe, downloads are inert attachments with safe names,
and active or disguised files are refused."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from lms.deals import registration as deals
from lms.extensions import db
from lms.models import Asset, Role
from tests.factories import make_user, signed_in
from tests.factories.assets import PDF, publish
from tests.factories.deals import register


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


# --- Text ------------------------------------------------------------------------------------


def test_user_text_is_escaped_everywhere_it_is_shown(app, two_partners):
    script = "<script>alert(1)</script>"
    deal = register(two_partners["alpha"], two_partners["alpha_sales"], script,
                    description="<img src=x onerror=alert(1)>")
    deals.change_status(deal, "reject", two_partners["manager"], reason=script)
    db.session.commit()
    asset = publish(script, description="<img src=x onerror=alert(2)> [a](javascript:alert(3))",
                    tags=["<b>bold</b>"])
    partner = signed_in(app, two_partners["alpha_sales"])
    for path in (f"/deals/{deal.id}", "/deals", f"/assets/{asset.slug}", "/assets"):
        html = partner.get(path).get_data(as_text=True)
        assert script not in html and "<img src=x onerror" not in html, path
        assert 'src="x" onerror' not in html and "<b>bold</b>" not in html, path
        assert 'href="javascript:' not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in partner.get(
        f"/deals/{deal.id}").get_data(as_text=True)
    admin = signed_in(app, make_user(Role.ADMIN))
    html = admin.post("/admin/api-tokens", data={"name": script}).get_data(as_text=True)
    assert script not in html and "&lt;script&gt;" in html


def test_every_cell_of_the_deal_export_is_formula_safe(app, two_partners):
    seller = make_user(Role.MEMBER, two_partners["alpha"], name="@SUM(A1:A9)")
    deal = register(two_partners["alpha"], seller, "=HYPERLINK(\"http://evil\")",
                    product="+cmd", description="-2+3", external_id="=1+1")
    deals.change_status(deal, "reject", two_partners["manager"], reason="=WEBSERVICE(\"x\")")
    db.session.commit()
    for viewer in (seller, two_partners["manager"]):
        [row] = csv_rows(signed_in(app, viewer).get("/deals.csv").get_data(as_text=True))
        assert row["customer"] == "'=HYPERLINK(\"http://evil\")"
        assert (row["product"], row["description"], row["external_id"]) == (
            "'+cmd", "'-2+3", "'=1+1")
        assert row["registered_by"] == "'@SUM(A1:A9)"
        assert row["rejection_reason"] == "'=WEBSERVICE(\"x\")"


# --- Files -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("filename", "fallback", "extended"), [
    ('say "hi"\r\nX-Injected: 1.pdf', 'filename="say _hi_X-Injected_ 1.pdf"', None),
    ("見積書.pdf", 'filename="quote-v1.pdf"', "filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf"),
    ("../../etc/passwd.pdf", 'filename="passwd.pdf"', None),
])
def test_downloads_are_inert_attachments_with_safe_names(app, filename, fallback, extended):
    asset = publish("Quote", filename=filename)
    client = signed_in(app, make_user(Role.MEMBER))
    response = client.get(f"/assets/{asset.slug}/download")
    assert response.get_data() == PDF
    response.close()
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ") and fallback in disposition
    assert "\r" not in disposition and "\n" not in disposition
    assert extended is None or extended in disposition
    assert "X-Injected" not in response.headers
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("content", "filename"), [
    (b"<!doctype html><script>alert(1)</script>", "brochure.pdf"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg"),
    (b"MZ\x90\x00", "setup.exe"),
])
def test_disguised_or_active_files_are_refused(app, content, filename):
    client = signed_in(app, make_user(Role.MANAGER))
    response = client.post("/assets/new", data={
        "title": "Evil", "category": "brochure", "audience": "all", "language": "en",
        "min_tier": "bronze", "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(select(Asset.id)) is None
