"""Review of the sales-asset library, deals, tiers and reports, and the JSON API (issues 6, 7).

Each test of a bug found in the review states the correct behaviour (all fixed);
the other tests guard properties that were checked and hold.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from lms.api import tokens
from lms.assets import service as assets
from lms.deals import service as deals
from lms.extensions import db
from lms.models import ApiToken, Deal, JobFunction, Role, Tier, utcnow
from tests.assets.helpers import PDF, PDF_2, publish, upload
from tests.deals.helpers import fresh, register
from tests.factories import csrf_token, login, make_org, make_user

BIG = "99999999999999999999"  # more than a 64-bit integer


@pytest.fixture
def app500(make_app):
    """An app that answers an unexpected exception with its 500 page, as in production."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        yield app


def signed_in(app, user):
    client = app.test_client()
    extra = {}
    if app.config["WTF_CSRF_ENABLED"]:
        extra["csrf_token"] = csrf_token(client, "/login")
    assert login(client, user, **extra).status_code == 302
    return client


def read(response) -> str:
    """The body as text, the response closed (a served file stays open until then)."""
    text = response.get_data(as_text=True)
    response.close()
    return text


def api_headers(admin=None) -> dict:
    _token, plain = tokens.create_token("CRM sync", admin or make_user(Role.ADMIN))
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


class DatabaseParameters:
    """Every parameter value sent to the database inside the block."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def _collect(self, params) -> None:
        if isinstance(params, dict):
            for value in params.values():
                self._collect(value)
        elif isinstance(params, list | tuple):
            for value in params:
                self._collect(value)
        else:
            self.values.append(params)

    def __enter__(self):
        def listener(_conn, _cursor, _statement, parameters, _context, _many):
            self._collect(parameters)

        self._listener = listener
        event.listen(db.engine, "before_cursor_execute", listener)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._listener)

    def with_nul(self) -> list[str]:
        return [v for v in self.values if isinstance(v, str) and "\x00" in v]


# =============================================================================================
# Bugs
# =============================================================================================

# --- API: odd JSON ---------------------------------------------------------------------------


def test_deeply_nested_json_is_a_400_not_a_500(app500):
    make_org("alpha")
    response = app500.test_client().put(
        "/api/v1/deals/crm-1", data="[" * 100_000 + "]" * 100_000,
        content_type="application/json", headers=api_headers())
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400


def test_a_lone_surrogate_in_a_json_string_is_a_422_not_a_500(app500):
    make_org("alpha")
    response = app500.test_client().put(
        "/api/v1/deals/crm-1", data=b'{"partner": "alpha", "customer": "\\ud800", "amount": 1}',
        content_type="application/json", headers=api_headers())
    assert response.status_code == 422
    assert db.session.scalar(select(Deal.id)) is None


# --- Dates the program time zone cannot hold ------------------------------------------------


def test_a_year_one_registration_date_from_the_api_is_refused(app500):
    make_org("alpha")
    response = app500.test_client().put(
        "/api/v1/deals/crm-1", json={"partner": "alpha", "customer": "Acme", "amount": 1,
                                     "registered_on": "0001-01-01"}, headers=api_headers())
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"][0]["field"] == "registered_on"


def test_a_year_one_date_in_a_csv_import_is_a_row_error(app500):
    make_org("alpha")
    client = signed_in(app500, make_user(Role.MANAGER))
    data = b"external_id,partner,customer,amount,registered_on\nx1,alpha,Acme,1,0001-01-01\n"
    response = client.post("/deals/import", data={"file": (io.BytesIO(data), "deals.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    assert db.session.scalar(select(Deal.id)) is None


def test_a_deal_is_never_closed_before_it_was_registered(app):
    make_org("alpha")
    response = app.test_client().put(
        "/api/v1/deals/crm-1", json={"partner": "alpha", "customer": "Acme", "amount": 1,
                                     "status": "won", "closed_on": "2020-01-01"},
        headers=api_headers())
    if response.status_code != 422:
        deal = db.session.scalar(select(Deal))
        assert deal.closed_at >= deal.registered_at


# --- Numbers too large for the database ------------------------------------------------------


@pytest.mark.parametrize("page", [BIG, "1000000000000000000"])
def test_a_huge_page_of_the_asset_library_is_not_a_500(app500, page):
    publish()
    client = signed_in(app500, make_user(Role.MEMBER))
    assert client.get(f"/assets?page={page}").status_code in (200, 404)


def test_a_huge_page_of_the_deal_list_is_not_a_500(app500):
    org = make_org()
    client = signed_in(app500, make_user(Role.MEMBER, org))
    assert client.get(f"/deals?page={BIG}").status_code in (200, 404)


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/deals/{big}"),
    ("get", "/deals/{big}/edit"),
    ("post", "/deals/{big}/status"),
    ("get", "/assets/{slug}/versions/{big}/download"),
    ("post", "/assets/{slug}/versions/{big}/restore"),
    ("get", "/admin/tiers/versions/{big}"),
    ("post", "/admin/api-tokens/{big}/revoke"),
])
def test_a_huge_id_in_the_url_is_a_404(app500, method, path):
    asset = publish()
    client = signed_in(app500, make_user(Role.ADMIN))
    response = getattr(client, method)(path.format(big=BIG, slug=asset.slug),
                                       data={"action": "approve"})
    read(response)
    assert response.status_code == 404


# --- NUL characters (PostgreSQL refuses them in text: every such request is a 500 there) ------


@pytest.mark.parametrize("path", ["/assets?q=a%00b", "/assets?tag=a%00b", "/assets/a%00b",
                                  "/deals?q=a%00b", "/deals.csv?q=a%00b", "/partners/a%00b"])
def test_a_nul_in_the_url_never_reaches_the_database(app500, path):
    org = make_org()
    client = signed_in(app500, make_user(Role.MEMBER, org))
    with DatabaseParameters() as sent:
        response = client.get(path)
    assert response.status_code < 500
    assert sent.with_nul() == []


def test_a_nul_in_the_api_partner_never_reaches_the_database(app500):
    make_org("alpha")
    headers = api_headers()
    with DatabaseParameters() as sent:
        response = app500.test_client().put(
            "/api/v1/deals/crm-1", json={"partner": "al\x00pha", "customer": "A", "amount": 1},
            headers=headers)
    assert response.status_code == 422
    assert sent.with_nul() == []


# --- Deal conflicts --------------------------------------------------------------------------


def test_renaming_an_old_registration_to_a_taken_customer_is_flagged(app):
    alpha, beta = make_org("alpha"), make_org("beta")
    alpha_sales = make_user(Role.MEMBER, alpha)
    now = utcnow()
    placeholder = register(alpha, alpha_sales, "Placeholder K.K.", now=now - timedelta(days=60))
    real = register(beta, make_user(Role.MEMBER, beta), "株式会社サクラ商事",
                    now=now - timedelta(days=1))
    client = signed_in(app, alpha_sales)
    response = client.post(f"/deals/{placeholder.id}/edit", data={
        "customer_name": "サクラ商事", "amount": "1", "currency": "JPY"})
    assert response.status_code == 302
    assert fresh(placeholder).customer_key == fresh(real).customer_key
    assert (fresh(placeholder).conflict_with_id == real.id
            or fresh(real).conflict_with_id == placeholder.id)


# --- Scorecard links ------------------------------------------------------------------------


def test_a_technical_member_is_not_offered_a_link_that_refuses_them(app):
    engineer = make_user(Role.MEMBER, make_org("alpha"), job=JobFunction.TECHNICAL)
    client = signed_in(app, engineer)
    assert client.get("/deals/new").status_code == 403
    page = client.get("/partners/alpha").get_data(as_text=True)
    assert 'href="/deals/new"' not in page


# =============================================================================================
# Guards: properties verified in the review
# =============================================================================================


@pytest.fixture
def two_partners(app):
    alpha = make_org("alpha", name="Alpha K.K.", tier=Tier.SILVER)
    beta = make_org("beta", name="Beta Inc.", tier=Tier.SILVER)
    return {
        "alpha": alpha, "beta": beta,
        "alpha_sales": make_user(Role.MEMBER, alpha, job=JobFunction.SALES),
        "alpha_admin": make_user(Role.PARTNER_ADMIN, alpha),
        "alpha_engineer": make_user(Role.MEMBER, alpha, job=JobFunction.TECHNICAL),
        "beta_sales": make_user(Role.MEMBER, beta, job=JobFunction.SALES),
        "manager": make_user(Role.MANAGER),
    }


def test_another_companys_deal_is_invisible_and_untouchable(app, two_partners):
    theirs = register(two_partners["beta"], two_partners["beta_sales"], "Secret Customer")
    mine = register(two_partners["alpha"], two_partners["alpha_sales"], "Own Customer")
    for who in ("alpha_sales", "alpha_admin", "alpha_engineer"):
        client = signed_in(app, two_partners[who])
        assert client.get(f"/deals/{theirs.id}").status_code == 404
        assert client.get(f"/deals/{theirs.id}/edit").status_code == 404
        assert client.post(f"/deals/{theirs.id}/edit", data={
            "customer_name": "Taken", "amount": "1", "currency": "JPY"}).status_code == 404
        assert client.post(f"/deals/{theirs.id}/status",
                           data={"action": "reject", "reason": "x"}).status_code == 404
        for path in ("/deals", "/deals.csv", "/deals?q=Secret", "/deals?partner=beta"):
            assert "Secret Customer" not in client.get(path).get_data(as_text=True)
        # Partners never decide, not even on their own company's deal.
        assert client.post(f"/deals/{mine.id}/status",
                           data={"action": "approve"}).status_code == 403
    assert fresh(theirs).customer_name == "Secret Customer"
    assert fresh(theirs).status.value == "registered"


def test_partner_roles_are_refused_vendor_and_admin_posts(app, two_partners):
    asset = publish()
    assets.add_version(None, asset, upload(PDF_2, "v2.pdf"), "Second.")
    db.session.commit()
    for who in ("alpha_sales", "alpha_admin"):
        client = signed_in(app, two_partners[who])
        for path, data in [
            ("/assets/new", {"title": "x"}),
            (f"/assets/{asset.slug}/edit", {"action": "archive"}),
            (f"/assets/{asset.slug}/versions/new", {"change_note": "x"}),
            (f"/assets/{asset.slug}/versions/1/restore", {}),
            ("/deals/import", {}),
            ("/reports/tiers/review", {}),
            ("/admin/tiers/edit", {"note": "x"}),
            ("/admin/api-tokens", {"name": "mine"}),
        ]:
            assert client.post(path, data=data).status_code == 403, path
    # Vendor staff that are not admins cannot change the rules nor make API tokens.
    manager = signed_in(app, two_partners["manager"])
    assert manager.post("/admin/tiers/edit", data={"note": "x"}).status_code == 403
    assert manager.post("/admin/api-tokens", data={"name": "mine"}).status_code == 403
    assert db.session.scalar(select(ApiToken.id)) is None
    # Technical members do not register deals.
    engineer = signed_in(app, two_partners["alpha_engineer"])
    assert engineer.post("/deals/new", data={"customer_name": "A", "amount": "1",
                                             "currency": "JPY"}).status_code == 403
    assert db.session.scalar(select(Deal.id)) is None


def test_partners_see_only_their_own_profile_and_no_reports(app, two_partners):
    client = signed_in(app, two_partners["alpha_admin"])
    assert client.get("/partners/alpha").status_code == 200
    assert client.get("/partners/beta").status_code == 404
    assert "Beta Inc." not in client.get("/partners").get_data(as_text=True)
    for path in ("/reports/tiers", "/reports/tiers.csv?tier=gold", "/reports/tiers/review",
                 "/reports/assets", "/reports/assets.csv", "/admin/tiers"):
        assert client.get(path).status_code == 403, path


def test_tier_locks_old_versions_and_archives_hold_for_partners(app, two_partners):
    gold = publish("Gold battlecard", min_tier=Tier.GOLD)
    silver = publish("Silver brochure", min_tier=Tier.SILVER)
    assets.add_version(None, silver, upload(PDF_2, "v2.pdf"), "Second.")
    archived = publish("Old price list")
    assets.set_archived(two_partners["manager"], archived, True)
    db.session.commit()
    client = signed_in(app, two_partners["alpha_sales"])
    locked = client.get(f"/assets/{gold.slug}/download")
    assert locked.status_code == 403
    assert client.head(f"/assets/{gold.slug}/download").status_code == 403
    assert client.get(f"/assets/{silver.slug}/versions/1/download").status_code == 403
    current = client.get(f"/assets/{silver.slug}/download")
    assert current.status_code == 200 and current.get_data() == PDF_2
    current.close()
    assert client.get(f"/assets/{archived.slug}").status_code == 404
    assert client.get(f"/assets/{archived.slug}/download").status_code == 404
    assert "Old price list" not in client.get("/assets?archived=1").get_data(as_text=True)


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
    assert db.session.scalar(select(assets.Asset.id)) is None


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


def test_the_api_needs_a_live_token_never_the_session(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_org("alpha")
        admin = make_user(Role.ADMIN)
        headers = api_headers(admin)
        body = {"partner": "alpha", "customer": "Acme", "amount": 1}
        # A signed-in admin's session cookie is not an API credential.
        session = signed_in(app, admin)
        for response in (session.put("/api/v1/deals/crm-1", json=body),
                         session.get("/api/v1/partners")):
            assert response.status_code == 401
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        # Only the hash is stored; the plain token works without a CSRF token.
        plain = headers["Authorization"].split()[1]
        stored = db.session.scalar(select(ApiToken))
        assert stored.token_hash == tokens.hash_token(plain) and plain not in stored.token_hash
        client = app.test_client()
        assert client.put("/api/v1/deals/crm-1", json=body, headers=headers).status_code == 201
        assert client.get("/api/v1/partners",
                          headers={"Authorization": "Bearer " + plain[:-1]}).status_code == 401
        tokens.revoke_token(stored, admin)
        db.session.commit()
        assert client.get("/api/v1/partners", headers=headers).status_code == 401


def test_api_errors_are_json(app):
    client = app.test_client()
    headers = api_headers()
    for response, status in ((client.get("/api/v1/nothing", headers=headers), 404),
                             (client.get("/api/v1/deals/crm-1", headers=headers), 405),
                             (client.put("/api/v1/deals/crm-1", data="not json",
                                         headers=headers), 400),
                             (client.put("/api/v1/deals/crm-1", json={"partner": 1, "x": 2},
                                         headers=headers), 422)):
        assert response.status_code == status
        assert response.is_json and response.get_json()["error"]["status"] == status


def test_forms_of_the_new_features_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        org = make_org("alpha")
        deal = register(org, make_user(Role.MEMBER, org))
        asset = publish()
        assets.add_version(None, asset, upload(PDF_2, "v2.pdf"), "Second.")
        db.session.commit()
        client = signed_in(app, make_user(Role.ADMIN))
        for path, data in [
            (f"/deals/{deal.id}/status", {"action": "approve"}),
            (f"/assets/{asset.slug}/versions/1/restore", {}),
            (f"/assets/{asset.slug}/edit", {"action": "archive"}),
            ("/reports/tiers/review", {}),
            ("/admin/api-tokens", {"name": "forged"}),
        ]:
            response = client.post(path, data=data)
            assert response.status_code in (302, 400), path
        assert fresh(deal).status.value == "registered"
        assert db.session.scalar(select(ApiToken.id)) is None
        db.session.expire_all()
        assert assets.find_version(asset).number == 2
        assert db.session.get(assets.Asset, asset.id).archived_at is None
        # With the token, the same decision goes through.
        token = csrf_token(client, f"/deals/{deal.id}")
        client.post(f"/deals/{deal.id}/status", data={"action": "approve", "csrf_token": token})
        assert fresh(deal).status.value == "approved"


@pytest.mark.parametrize("path", [
    "/assets?page=-1", "/assets?page=abc", "/assets?category=x&audience=y&language=z",
    "/deals?status=nope&q=" + "株" * 500, "/reports/tiers?tier=../x&page=-5&sort=x&dir=z",
    "/reports/tiers?page=99999999999999999999",
    "/reports/assets?days=x", "/reports/assets.csv?days=-1", "/assets/" + "a" * 3000,
    "/partners/" + "a" * 3000,
])
def test_odd_query_strings_do_not_break_pages(app500, path):
    client = signed_in(app500, make_user(Role.MANAGER))
    assert client.get(path).status_code in (200, 404)


def test_a_nul_anywhere_in_the_query_is_a_clear_400(app500):
    client = signed_in(app500, make_user(Role.MANAGER))
    response = client.get("/reports/tiers.csv?tier=platinum%00")
    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)
