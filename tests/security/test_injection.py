"""Hostile input through every form, import and API call: nothing executes, nothing is stored
half, every refusal is a clear message, and every CSV export is formula-safe.

Each form is driven over HTTP like a browser would (the service layer is only used to set up
the objects a form needs). Pages are parsed with the standard library's html.parser: a page
is inert when no element or attribute carries the payload as markup (no `<script>` from data,
no event handler, no `javascript:` URL), whatever the payload looked like.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.api import tokens
from lms.assets.library import find_version
from lms.auth import service as accounts
from lms.extensions import db
from lms.models import (
    ApiToken,
    Asset,
    AssetVersion,
    Attempt,
    Award,
    Credential,
    CredentialKind,
    Deal,
    DealStatus,
    Invitation,
    JobFunction,
    Organization,
    Quiz,
    Role,
    SpifCampaign,
    SpifRule,
    TermsAcceptance,
    TermsVersion,
    TierProgramVersion,
    User,
    utcnow,
)
from lms.quizzes import service as quizzes
from tests.factories import signed_in
from tests.factories.assets import PDF, PDF_2, publish
from tests.factories.content import QUIZ, sync_content
from tests.factories.deals import register
from tests.factories.people import People
from tests.security.conftest import (
    assert_inert,
    count,
    csv_cells,
    form_values,
    formula_cells,
    parse_page,
    shows,
    text_of,
)

# --- Payloads --------------------------------------------------------------------------------

# Each carries a marker ("xss1"...) so a page can be searched for it as markup. All are under
# 100 characters, so every field (the shortest is an API token name) accepts them.
MARKUP_PAYLOADS = [
    pytest.param("<script>alert('xss1')</script><img src=x onerror=alert('xss1')>", "xss1",
                 id="script-and-event-handler"),
    pytest.param("\"><svg onload=alert('xss2')>' onmouseover='alert(`xss2`)' x=\"", "xss2",
                 id="attribute-breakout"),
    pytest.param("[x](javascript:alert('xss3')) <a href=\"javascript:alert('xss3')\">y</a>",
                 "xss3", id="javascript-url"),
    pytest.param("</textarea></title><iframe src=javascript:alert('xss4')>{{7*7}}${7*7}",
                 "xss4", id="breakout-and-template"),
]


# --- The site: people and the objects the forms work on -------------------------------------


class Site:
    """The app, its people, and objects made on demand; one signed-in client per person."""

    def __init__(self, app, people: People):
        self.app = app
        self.people = people
        self._clients: dict[int | None, object] = {}
        self._deal_id: int | None = None
        self._asset_slug: str | None = None
        self._award_id: int | None = None
        self._attempt_id: int | None = None
        self.api_headers: dict | None = None

    def client(self, user: User | None):
        key = user.id if user is not None else None
        if key not in self._clients:
            self._clients[key] = signed_in(self.app, user, through_form=False)
        return self._clients[key]

    def as_(self, who: str):
        return self.client(None if who == "anonymous" else getattr(self.people, who))

    # Objects ----------------------------------------------------------------------------

    def deal(self) -> Deal:
        if self._deal_id is None:
            self._deal_id = register(self.people.alpha, self.people.sales, "Plain Customer",
                                     product="Plain product").id
        return db.session.get(Deal, self._deal_id)

    def asset(self) -> Asset:
        if self._asset_slug is None:
            self._asset_slug = publish("Plain brochure").slug
        return db.session.scalar(select(Asset).where(Asset.slug == self._asset_slug))

    def award(self) -> Award:
        if self._award_id is None:
            credential = Credential(slug="sec-cert", name="Security Certification",
                                    kind=CredentialKind.CERTIFICATION, image="badges/x.svg",
                                    content_hash="x", courses=[], quizzes=[],
                                    validity_months=24)
            db.session.add(credential)
            db.session.flush()
            award = Award(user_id=self.people.sales.id, credential_id=credential.id,
                          issued_at=utcnow() - timedelta(days=1),
                          expires_at=utcnow() + timedelta(days=700))
            db.session.add(award)
            db.session.commit()
            self._award_id = award.id
        return db.session.get(Award, self._award_id)

    def attempt(self) -> Attempt:
        """An open attempt of the security quiz by the sales member, started over HTTP."""
        if self._attempt_id is None:
            sync_content()
            response = self.as_("sales").post(f"/quizzes/{QUIZ}")
            assert response.status_code == 302, response.status_code
            self._attempt_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        db.session.expire_all()
        return db.session.get(Attempt, self._attempt_id)

    def api(self) -> dict:
        if self.api_headers is None:
            _token, plain = tokens.create_token("CRM sync", self.people.admin)
            db.session.commit()
            self.api_headers = {"Authorization": f"Bearer {plain}"}
        return self.api_headers

    def invitation_token(self) -> str:
        issued = accounts.create_invitation(self.people.admin, "newcomer@alpha.test",
                                            Role.MEMBER, JobFunction.SALES, self.people.alpha, 7)
        db.session.commit()
        return issued.token


@pytest.fixture
def site(app500, people) -> Site:
    return Site(app500, people)


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def only(stmt):
    db.session.expire_all()
    return db.session.scalar(stmt)


def latest_deal() -> Deal | None:
    return only(select(Deal).order_by(Deal.id.desc()).limit(1))


def browser_filename(name: str) -> str:
    """A file name as browsers send it in multipart bodies (quotes and breaks encoded)."""
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def drain(response) -> bytes:
    """The body of a served file, the response closed."""
    body = response.get_data()
    response.close()
    return body


def csv_file(text: str, name: str = "deals.csv") -> tuple:
    return io.BytesIO(text.encode("utf-8")), name


def csv_line(*cells: str) -> str:
    """One CSV line with every cell quoted (payloads hold commas and quotes)."""
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells) + "\n"


# --- Every form and import that takes text ---------------------------------------------------

Pages = list[tuple[str, str | Callable[[Site], str], bool]]


@dataclass(frozen=True)
class Form:
    """How to send a value through one form, where it is kept, and every page that shows it.

    `pages`: (who looks, path, whether the value must be visible there as text)."""

    submit: Callable[[Site, str], object]
    stored: Callable[[Site], list[str]]
    pages: Pages
    accepted: tuple[int, ...] = (302,)


def _admin_edits_name(site: Site, value: str):
    p = site.people
    return site.as_("admin").post(f"/admin/users/{p.sales.id}", data={
        "name": value, "role": "member", "job_function": "sales",
        "organization_id": str(p.alpha.id), "locale": ""})


def _account_name(site: Site, value: str):
    return site.as_("sales").post("/account", data={"name": value, "locale": ""})


def _sales_name(site: Site) -> list[str]:
    return [fresh(User, site.people.sales.id).name]


PERSON_PAGES: Pages = [
    ("admin", "/admin/users", True),
    ("admin", lambda s: f"/admin/users/{s.people.sales.id}", True),
    ("partner_admin", "/admin/users", True),
    ("sales", "/", True),
    ("sales", "/account", True),
    ("manager", "/progress/alpha", True),
    ("manager", lambda s: f"/deals/{s.deal().id}", True),
    ("anonymous", lambda s: f"/verify/{s.award().verification_code}", True),
]


def _accept_invitation(site: Site, value: str):
    token = site.invitation_token()
    return site.app.test_client().post(f"/invitations/{token}", data={
        "name": value, "password": "a-long-new-password", "confirm": "a-long-new-password"})


def _invited_name(site: Site) -> list[str]:
    return [name for name in [only(select(User.name).where(User.email == "newcomer@alpha.test"))]
            if name is not None]


def _new_organization(site: Site, value: str):
    return site.as_("admin").post("/admin/organizations/new", data={
        "name": value, "slug": "gamma", "tier": "bronze", "signed_on": "2025-04-01",
        "active": "y"})


def _gamma_name(site: Site) -> list[str]:
    return [name for name in [only(select(Organization.name).where(
        Organization.slug == "gamma"))] if name is not None]


def _gamma_id(site: Site) -> int:
    return only(select(Organization.id).where(Organization.slug == "gamma"))


def _edit_organization(site: Site, value: str):
    return site.as_("admin").post(f"/admin/organizations/{site.people.alpha.id}", data={
        "name": value, "slug": "alpha", "tier": "silver", "signed_on": "2025-04-01",
        "active": "y"})


def _alpha_name(site: Site) -> list[str]:
    return [fresh(Organization, site.people.alpha.id).name]


def _new_deal(site: Site, value: str):
    return site.as_("sales").post("/deals/new", data={
        "customer_name": value, "amount": "1,000,000", "currency": "JPY", "product": value,
        "description": value})


def _edit_deal(site: Site, value: str):
    deal_id = site.deal().id
    return site.as_("sales").post(f"/deals/{deal_id}/edit", data={
        "customer_name": value, "amount": "1,000,000", "currency": "JPY", "product": value,
        "description": value})


def _deal_texts(site: Site) -> list[str]:
    deal = latest_deal()
    return [] if deal is None else [deal.customer_name, deal.product, deal.description]


DEAL_PAGES: Pages = [
    ("sales", "/deals", True),
    ("sales", lambda s: f"/deals/{latest_deal().id}", True),
    ("sales", lambda s: f"/deals/{latest_deal().id}/edit", True),
    ("manager", "/deals", True),
    ("manager", lambda s: f"/deals/{latest_deal().id}", True),
    ("manager", "/partners/alpha", False),
]
# A rejected deal cannot be edited any more: its edit page is not there to see.
CLOSED_DEAL_PAGES: Pages = [page for page in DEAL_PAGES if page[0:2] != DEAL_PAGES[2][0:2]]


def _reject_deal(site: Site, value: str):
    deal_id = site.deal().id
    return site.as_("manager").post(f"/deals/{deal_id}/status",
                                    data={"action": "reject", "reason": value})


def _rejection_reason(site: Site) -> list[str]:
    deal = latest_deal()
    return [deal.rejection_reason] if deal and deal.rejection_reason else []


def _import_deals(site: Site, value: str):
    text = csv_line("external_id", "partner", "customer", "amount", "product", "description",
                    "status", "rejection_reason")
    text += csv_line("crm-1", "alpha", value, "1000", value, value, "rejected", value)
    return site.as_("manager").post("/deals/import", data={"file": csv_file(text)},
                                    content_type="multipart/form-data")


def _imported_texts(site: Site) -> list[str]:
    deal = latest_deal()
    return [] if deal is None else [t for t in (deal.customer_name, deal.product,
                                                deal.description, deal.rejection_reason) if t]


def _import_report(site: Site, value: str):
    """A file whose header and cells are refused: the report quotes them back."""
    manager = site.as_("manager")
    bad_header = csv_line("external_id", "partner", "customer", "amount", value)
    first = manager.post("/deals/import", data={"file": csv_file(bad_header)},
                         content_type="multipart/form-data")
    bad_cells = csv_line("external_id", "partner", "customer", "amount", "currency", "status")
    bad_cells += csv_line("crm-1", value, "Acme", "1", value, value)
    second = manager.post("/deals/import", data={"file": csv_file(bad_cells)},
                          content_type="multipart/form-data")
    for response in (first, second):
        assert response.status_code in (200, 400), response.status_code
    return first, second


def _api_deal(site: Site, value: str):
    return site.app.test_client().put("/api/v1/deals/crm-1", headers=site.api(), json={
        "partner": "alpha", "customer": value, "amount": 1000, "product": value,
        "description": value})


def _publish_asset(site: Site, value: str):
    return site.as_("manager").post("/assets/new", data={
        "title": value, "description": value, "category": "brochure", "tags": value,
        "audience": "all", "language": "en", "min_tier": "bronze", "change_note": value,
        "file": (io.BytesIO(PDF), browser_filename(value) + ".pdf")},
        content_type="multipart/form-data")


def _edit_asset(site: Site, value: str):
    slug = site.asset().slug
    return site.as_("manager").post(f"/assets/{slug}/edit", data={
        "title": value, "description": value, "category": "brochure", "tags": value,
        "audience": "all", "language": "en", "min_tier": "bronze"})


def _latest_asset() -> Asset | None:
    return only(select(Asset).order_by(Asset.id.desc()).limit(1))


def _asset_texts(site: Site) -> list[str]:
    asset = _latest_asset()
    return [] if asset is None else [asset.title, asset.description]


def _asset_path(suffix: str = "") -> Callable[[Site], str]:
    return lambda s: f"/assets/{_latest_asset().slug}{suffix}"


def _downloaded_asset_usage(site: Site) -> str:
    """The usage report, once a partner has downloaded the asset (so it is listed)."""
    drain(site.as_("sales").get(f"/assets/{_latest_asset().slug}/download"))
    return "/reports/assets"


ASSET_PAGES: Pages = [
    ("manager", "/assets", True),
    ("manager", _asset_path(), False),  # the description is Markdown, rendered
    ("manager", _asset_path("/edit"), True),
    ("manager", _asset_path("/versions/new"), True),
    ("sales", "/assets", True),
    ("sales", _asset_path(), False),
    ("manager", _downloaded_asset_usage, True),
    ("admin", "/admin/audit", False),
]


def _new_version(site: Site, value: str):
    slug = site.asset().slug
    return site.as_("manager").post(f"/assets/{slug}/versions/new", data={
        "change_note": value, "file": (io.BytesIO(PDF_2), browser_filename(value) + ".pdf")},
        content_type="multipart/form-data")


def _change_note(site: Site) -> list[str]:
    version = only(select(AssetVersion).order_by(AssetVersion.id.desc()).limit(1))
    return [version.change_note] if version and version.number > 1 else []


def _tier_note(site: Site, value: str):
    sync_content()
    admin = site.as_("admin")
    data = form_values(admin.get("/admin/tiers/edit").get_data(as_text=True), having="note")
    data["grace_period_days"] = str(int(data["grace_period_days"]) + 1)
    data["note"] = value
    return admin.post("/admin/tiers/edit", data=data)


def _latest_note(site: Site) -> list[str]:
    version = only(select(TierProgramVersion).order_by(TierProgramVersion.number.desc())
                   .limit(1))
    return [version.note] if version and version.number > 1 else []


def _token_name(site: Site, value: str):
    return site.as_("admin").post("/admin/api-tokens", data={"name": value,
                                                             "scopes": "partners:read"})


def _token_names(site: Site) -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(ApiToken.name)))


def _revoke(site: Site, value: str):
    award_id = site.award().id
    return site.as_("admin").post(f"/admin/credentials/{award_id}/revoke",
                                  data={"reason": value})


def _revoked_reason(site: Site) -> list[str]:
    award = fresh(Award, site.award().id)
    return [award.revoked_reason] if award.revoked_reason else []


def _submit_answers(site: Site, value: str):
    attempt_id = site.attempt().id
    return site.as_("sales").post(f"/attempts/{attempt_id}", data={
        "q-phrase": value, "q-port": value, "q-colour": value})


def _save_answers(site: Site, value: str):
    attempt_id = site.attempt().id
    return site.as_("sales").post(f"/attempts/{attempt_id}/answers", data={
        "q-phrase": value, "q-port": value, "q-colour": value})


def _answers(site: Site) -> list[str]:
    answers = site.attempt().answers or {}
    return [answers[q] for q in ("phrase", "port") if q in answers]


FORMS: dict[str, Form] = {
    "admin-edits-a-person": Form(_admin_edits_name, _sales_name, PERSON_PAGES),
    "account-name": Form(_account_name, _sales_name, PERSON_PAGES),
    "invitation-name": Form(_accept_invitation, _invited_name, [
        ("admin", "/admin/users", True), ("partner_admin", "/admin/users", True)]),
    "organization-new": Form(_new_organization, _gamma_name, [
        ("admin", "/admin/organizations", True),
        ("admin", lambda s: f"/admin/organizations/{_gamma_id(s)}", True),
        ("admin", "/admin/users", True),
        ("admin", "/admin/users/invite", True),
        ("manager", "/partners", True),
        ("manager", "/partners/gamma", True),
        ("manager", "/reports/tiers", True),
        ("manager", "/deals", True),
        ("manager", "/progress", True),
    ]),
    "organization-edit": Form(_edit_organization, _alpha_name, [
        ("sales", "/", True),
        ("sales", "/partners/alpha", True),
        ("partner_admin", "/admin/users", False),
        ("manager", "/partners", True),
        ("manager", lambda s: f"/deals/{s.deal().id}", True),
        ("manager", "/reports/tiers?tier=gold", True),
        ("manager", "/reports/health", True),
        ("manager", "/reports/kpis", False),
    ]),
    "deal-new": Form(_new_deal, _deal_texts, DEAL_PAGES),
    "deal-edit": Form(_edit_deal, _deal_texts, DEAL_PAGES),
    "deal-rejection-reason": Form(_reject_deal, _rejection_reason, [
        ("sales", lambda s: f"/deals/{s.deal().id}", True),
        ("manager", lambda s: f"/deals/{s.deal().id}", True),
    ]),
    "deal-csv-import": Form(_import_deals, _imported_texts, CLOSED_DEAL_PAGES,
                            accepted=(200,)),
    "deal-api-upsert": Form(_api_deal, _deal_texts, DEAL_PAGES, accepted=(201,)),
    "asset-publish": Form(_publish_asset, _asset_texts, ASSET_PAGES),
    "asset-edit": Form(_edit_asset, _asset_texts, ASSET_PAGES),
    "asset-new-version": Form(_new_version, _change_note, [
        ("manager", _asset_path(), True), ("sales", _asset_path(), True),
        ("admin", "/admin/audit", False)]),
    "tier-rules-note": Form(_tier_note, _latest_note, [
        ("admin", "/admin/tiers", True), ("admin", "/admin/tiers/versions/2", True),
        ("admin", "/admin/audit", True)]),
    "api-token-name": Form(_token_name, _token_names, [
        ("admin", "/admin/api-tokens", True), ("admin", "/admin/audit", True)],
        accepted=(200,)),
    "credential-revoke-reason": Form(_revoke, _revoked_reason, [
        ("anonymous", lambda s: f"/verify/{s.award().verification_code}", False),
        ("admin", "/admin/credentials", False),
        ("sales", "/credentials", False),
        ("admin", "/admin/audit", True)]),
    "quiz-answers-submitted": Form(_submit_answers, _answers, [
        ("sales", lambda s: f"/attempts/{s.attempt().id}/result", True),
        ("manager", f"/admin/quizzes/{QUIZ}", True)]),
    "quiz-answers-saved": Form(_save_answers, _answers, [
        ("sales", lambda s: f"/attempts/{s.attempt().id}", True)]),
}


def _path(site: Site, path) -> str:
    return path(site) if callable(path) else path


# Pages of later versions: checked when the app has them.
OPTIONAL_PAGES = {"/reports/health", "/reports/kpis"}


def check_pages(site: Site, pages: Pages, value: str, marker: str | None) -> None:
    rules = {rule.rule for rule in site.app.url_map.iter_rules()}
    for who, path, visible in pages:
        url = _path(site, path)
        if url in OPTIONAL_PAGES and url not in rules:
            continue
        response = site.as_(who).get(url)
        page = parse_page(text_of(response))
        assert response.status_code == 200, (who, url, response.status_code)
        assert_inert(page, marker, where=f"{who} {url}")
        if visible:
            assert shows(page, value), f"{who} {url} does not show the text"


@pytest.mark.parametrize("name", list(FORMS))
@pytest.mark.parametrize(("payload", "marker"), MARKUP_PAYLOADS)
def test_hostile_markup_is_kept_as_text_and_never_runs(site, name, payload, marker):
    form = FORMS[name]
    response = form.submit(site, payload)
    assert response.status_code in form.accepted, response.status_code
    if response.mimetype == "text/html":
        assert_inert(text_of(response), marker, where="the answer to the post")
    stored = form.stored(site)
    assert stored, "nothing was stored"
    if name.startswith("quiz-answers"):
        # The numeric answer is kept to 40 characters, as typed.
        assert stored == [payload, payload[:40]]
    else:
        assert set(stored) == {payload}
    check_pages(site, form.pages, payload, marker)


@pytest.mark.parametrize(("payload", "marker"), MARKUP_PAYLOADS)
def test_the_import_report_quotes_refused_headers_and_cells_as_text(site, payload, marker):
    for response in _import_report(site, payload):
        body = text_of(response)
        assert_inert(body, marker, where="import report")
        assert shows(body, payload.lower()) or shows(body, payload)
    assert count(Deal) == 0


@pytest.mark.parametrize(("payload", "marker"), MARKUP_PAYLOADS)
def test_open_badges_and_api_json_carry_the_text_exactly(site, payload, marker):
    site.as_("sales").post("/account", data={"name": payload, "locale": ""})
    assert _revoke(site, payload).status_code == 302
    code = site.award().verification_code
    assertion = site.app.test_client().get(f"/verify/{code}.json")
    assert assertion.status_code == 410
    assert assertion.mimetype == "application/json"
    assert assertion.headers["X-Content-Type-Options"] == "nosniff"
    assert assertion.get_json()["revocationReason"] == payload
    api = site.app.test_client().get(f"/api/v1/credentials/{code}", headers=site.api())
    assert api.mimetype == "application/json"
    assert (api.get_json()["recipient"], api.get_json()["revoked_reason"]) == (payload, payload)


@pytest.mark.parametrize(("payload", "marker"), MARKUP_PAYLOADS)
def test_a_hostile_invitation_email_is_refused_and_shown_back_as_text(site, payload, marker):
    for who in ("admin", "partner_admin"):
        response = site.as_(who).post("/admin/users/invite", data={
            "email": f"{payload}@example.test", "role": "member", "job_function": "sales",
            "organization_id": str(site.people.alpha.id)})
        body = text_of(response)
        assert response.status_code in (200, 400)
        assert "Enter a valid email address." in body
        assert_inert(body, marker, where=f"{who} invite")
    assert count(Invitation) == 0


# --- Very long text ---------------------------------------------------------------------------

LONG = "長い名前" * 2500 + "!"  # 10,001 characters (30 KB of UTF-8)


@dataclass(frozen=True)
class Limit:
    """A form sent a 10,001-character value: the answer it must give and a word of the
    message it shows; what it keeps must not change."""

    submit: Callable[[Site, str], object]
    stored: Callable[[Site], list[str]]
    status: tuple[int, ...] = (400,)
    message: str = "longer than"


LIMITS: dict[str, Limit] = {
    "admin-edits-a-person": Limit(_admin_edits_name, _sales_name),
    # These two re-show the form with 200 (pinned by tests/test_i18n.py); see the report.
    "account-name": Limit(_account_name, _sales_name, status=(200, 400)),
    "invitation-name": Limit(_accept_invitation, _invited_name, status=(200, 400)),
    "organization-new": Limit(_new_organization, _gamma_name),
    "organization-edit": Limit(_edit_organization, _alpha_name),
    "deal-new": Limit(_new_deal, _deal_texts),
    "deal-edit": Limit(_edit_deal, _deal_texts),
    "deal-rejection-reason": Limit(_reject_deal, _rejection_reason, status=(302,),
                                   message="1,000 characters"),
    "deal-csv-import": Limit(_import_deals, _imported_texts, status=(200,),
                             message="Too long"),
    "deal-api-upsert": Limit(_api_deal, _deal_texts, status=(422,), message="Too long"),
    "asset-publish": Limit(_publish_asset, _asset_texts),
    "asset-edit": Limit(_edit_asset, _asset_texts),
    "asset-new-version": Limit(_new_version, _change_note),
    "tier-rules-note": Limit(_tier_note, _latest_note),
    "api-token-name": Limit(_token_name, _token_names),
    "credential-revoke-reason": Limit(_revoke, _revoked_reason),
}


def _unchanged(name: str, site: Site, before: list[str]) -> None:
    after = LIMITS[name].stored(site)
    assert after == before, "the refused value was (partly) stored"
    assert not any(LONG[:50] in text for text in after)


@pytest.mark.parametrize("name", list(LIMITS))
def test_a_very_long_value_is_refused_with_a_message_and_nothing_is_stored(site, name):
    limit = LIMITS[name]
    if name in ("deal-edit", "deal-rejection-reason"):
        site.deal()
    if name in ("asset-edit", "asset-new-version"):
        site.asset()
    if name == "credential-revoke-reason":
        site.award()
    before = limit.stored(site)
    deals_before, assets_before = count(Deal), count(Asset)
    response = limit.submit(site, LONG)
    assert response.status_code in limit.status, response.status_code
    if response.status_code == 302:  # the message is on the page it leads to
        body = text_of(site.as_("manager").get(response.headers["Location"]))
    else:
        body = text_of(response)
    assert limit.message in body
    assert_inert(body)
    _unchanged(name, site, before)
    assert (count(Deal), count(Asset)) == (deals_before, assets_before)


def test_a_long_markdown_description_within_the_limit_is_kept_whole_and_inert(site):
    description = ("<img src=x onerror=alert('xss')> [a](javascript:alert(1)) **bold** " * 150)
    assert 10_000 < len(description) <= 20_000
    response = _publish_asset(site, "Long description")
    slug = _latest_asset().slug
    response = site.as_("manager").post(f"/assets/{slug}/edit", data={
        "title": "Long description", "description": description, "category": "brochure",
        "tags": "", "audience": "all", "language": "en", "min_tier": "bronze"})
    assert response.status_code == 302
    assert _latest_asset().description == description.strip()
    for who in ("manager", "sales"):
        body = text_of(site.as_(who).get(f"/assets/{slug}"))
        assert_inert(body, "xss")
        assert body.count("<strong>bold</strong>") == 150


def test_a_very_long_answer_is_cut_to_its_field_not_refused(site):
    response = _submit_answers(site, LONG)
    assert response.status_code == 302
    assert _answers(site) == [LONG[:500], LONG[:40]]
    body = text_of(site.as_("sales").get(f"/attempts/{site.attempt().id}/result"))
    assert shows(body, LONG[:500])


def test_a_very_long_external_id_or_email_is_a_clear_refusal(site):
    response = site.app.test_client().put("/api/v1/deals/" + "x" * 10_001, headers=site.api(),
                                          json={"partner": "alpha", "customer": "A",
                                                "amount": 1})
    assert response.status_code == 400
    assert "external id" in response.get_json()["error"]["message"]
    response = site.app.test_client().post("/login", data={"email": LONG + "@x.test",
                                                           "password": "whatever"})
    assert response.status_code == 200
    assert "longer than" in text_of(response)
    assert count(Deal) == 0


# --- Refusals and changes answer clearly, never with a 500 ---------------------------------


@pytest.mark.parametrize("move", ["to-another-company", "to-vendor-staff"])
def test_an_admin_moves_a_person_to_another_company_without_a_500(site, move):
    beta = Organization(slug="beta", name="Beta Inc.", signed_on=utcnow().date())
    db.session.add(beta)
    db.session.commit()
    p = site.people
    data = {"name": p.sales.name, "role": "member", "job_function": "sales",
            "organization_id": str(beta.id), "locale": ""}
    if move == "to-vendor-staff":
        data |= {"role": "manager", "job_function": "", "organization_id": ""}
    response = site.as_("admin").post(f"/admin/users/{p.sales.id}", data=data)
    assert response.status_code == 302
    moved = fresh(User, p.sales.id)
    assert moved.organization_id == (beta.id if move == "to-another-company" else None)


# --- Control characters and bidirectional overrides -----------------------------------------

# An escape sequence and a right-to-left override: "Invoice \u202etxt.exe" reads as
# "Invoice exe.txt"; NUL is tested on its own below.
CONTROLS = "Name\x1b[31m red \u202etxt.exe"
FORBIDDEN = ("\x00", "\x1b", "\u202e")

TEXT_FORMS = [name for name in FORMS if name not in ("quiz-answers-saved",)]

# NUL is refused for every form by the app-wide guard (lms/__init__.py _refuse_nul); escapes
# and text-direction overrides are refused by every free-text field (lms.formutil
# NoControlCharacters) and removed from quiz answers, so a name, title or reason cannot be
# made to read as something else in pages, the audit log or CSV exports.


def _control_params():
    params = []
    for name in TEXT_FORMS:
        params.append(pytest.param(name, id=name))
    return params


REFUSAL_WORDS = ("control character", "NUL character", "not allowed")


def _refused_or_clean(site: Site, name: str, value: str) -> None:
    form = FORMS[name]
    if name in ("deal-edit", "deal-rejection-reason"):
        site.deal()
    if name in ("asset-edit", "asset-new-version"):
        site.asset()
    before = form.stored(site)
    response = form.submit(site, value)
    assert response.status_code < 500, (name, "a server error")
    stored = form.stored(site)
    assert not any(ch in text for text in stored for ch in FORBIDDEN), (name, stored)
    if stored == before:  # refused: it says so
        if response.status_code == 302:
            body = text_of(site.as_("manager" if "deal" in name else "admin").get(
                response.headers["Location"]))
        else:
            body = text_of(response)
        assert any(word in body for word in REFUSAL_WORDS), (name, response.status_code)


@pytest.mark.parametrize("name", _control_params())
def test_escapes_and_bidi_overrides_are_refused_or_removed(site, name):
    _refused_or_clean(site, name, CONTROLS)


def test_a_nul_is_refused_by_every_form_never_stored_or_a_500(site):
    for name in TEXT_FORMS:
        _refused_or_clean(site, name, "Name\x00with NUL")


@pytest.mark.parametrize("value", ["user\x00@example.test", "user\x1b@example.test"])
def test_a_control_character_in_the_sign_in_email_is_a_clear_refusal(site, value):
    client = site.app.test_client()
    response = client.post("/login", data={"email": value, "password": "x"})
    assert response.status_code in (200, 400)
    body = text_of(response)
    assert "Wrong email or password" in body or "NUL character" in body
    assert client.get("/").status_code == 302


# --- Invalid UTF-8 --------------------------------------------------------------------------

RAW = b"\xff\xfe\xc3\x28\xed\xa0\x80\xf8\x88\x80\x80\x80"  # no UTF-8 at all, and a surrogate


def _raw_form(site: Site, who: str, path: str, fields: dict[str, bytes]):
    body = b"&".join(name.encode() + b"=" + value for name, value in fields.items())
    return site.as_(who).post(path, data=body,
                              content_type="application/x-www-form-urlencoded")


def _sane(texts: list[str]) -> bool:
    """Stored text is real Unicode: no lone surrogates, no undecoded bytes."""
    return all(isinstance(t, str) and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in t)
               for t in texts)


@pytest.mark.parametrize("encoded", [pytest.param(RAW, id="raw-bytes"),
                                     pytest.param(b"%FF%FE%C3%28%ED%A0%80", id="percent")])
def test_invalid_utf8_in_form_posts_is_never_a_500(site, encoded):
    p = site.people
    answers = [
        _raw_form(site, "sales", "/account", {"name": b"A" + encoded, "locale": b""}),
        _raw_form(site, "admin", f"/admin/users/{p.sales.id}", {
            "name": encoded, "role": b"member", "job_function": b"sales",
            "organization_id": str(p.alpha.id).encode(), "locale": b""}),
        _raw_form(site, "admin", "/admin/organizations/new", {
            "name": encoded, "slug": b"gamma", "tier": b"bronze",
            "signed_on": b"2025-04-01"}),
        _raw_form(site, "sales", "/deals/new", {
            "customer_name": encoded, "amount": b"1" + encoded, "currency": encoded,
            "description": encoded}),
        _raw_form(site, "admin", "/admin/api-tokens", {"name": encoded,
                                                       "scopes": b"partners:read"}),
        _raw_form(site, "manager", f"/deals/{site.deal().id}/status", {
            "action": b"reject", "reason": encoded}),
        _raw_form(site, "anonymous", "/login", {"email": encoded, "password": encoded}),
        _raw_form(site, "anonymous", "/locale", {"locale": encoded, "next": encoded}),
    ]
    for response in answers:
        assert response.status_code < 500, response.request.path
        text_of(response)
    db.session.expire_all()
    assert _sane(list(db.session.scalars(select(User.name))))
    assert _sane(list(db.session.scalars(select(Organization.name))))
    assert _sane(list(db.session.scalars(select(Deal.customer_name))))
    assert _sane(list(db.session.scalars(select(ApiToken.name))))


def test_invalid_utf8_in_a_multipart_upload_is_never_a_500(site):
    boundary = "sec-boundary"
    parts = []
    for name, value in (("title", b"Title " + RAW), ("description", RAW),
                        ("category", b"brochure"), ("tags", RAW), ("audience", b"all"),
                        ("language", b"en"), ("min_tier", b"bronze"), ("change_note", RAW)):
        parts.append(b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\""
                     + name.encode() + b"\"\r\n\r\n" + value + b"\r\n")
    parts.append(b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"file\";"
                 b" filename=\"" + RAW + b".pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
                 + PDF + b"\r\n")
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    response = site.as_("manager").post(
        "/assets/new", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (302, 400), response.status_code
    asset = _latest_asset()
    if asset is not None:
        version = find_version(asset)
        assert _sane([asset.title, asset.description, asset.tags, version.filename,
                      version.change_note])
        body = text_of(site.as_("sales").get(f"/assets/{asset.slug}"))
        assert_inert(body)
        download = site.as_("sales").get(f"/assets/{asset.slug}/download")
        disposition = download.headers["Content-Disposition"]
        drain(download)
        assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition


def test_invalid_utf8_in_the_api_body_is_a_400(site):
    response = site.app.test_client().put(
        "/api/v1/deals/crm-1", headers=site.api(), content_type="application/json",
        data=b'{"partner": "alpha", "customer": "' + RAW + b'", "amount": 1}')
    assert response.status_code in (400, 422)
    assert response.get_json()["error"]["status"] == response.status_code
    assert count(Deal) == 0


@pytest.mark.parametrize("data", [
    pytest.param(b"external_id,partner,customer,amount\ncrm-1,alpha,ok,1\n"
                 b"crm-2,alpha,\xef\xbb,1\n", id="truncated-utf8"),
    pytest.param(b"external_id,partner,customer,amount\ncrm-1,alpha,ok\x80,1\n",
                 id="c1-control-byte"),
    pytest.param("external_id,partner,customer,amount,description\n"
                 "crm-1,alpha,東京都,1000,note".encode() + b"\xff\n", id="utf8-with-a-stray-byte"),
    pytest.param(b"external_id,partner,customer,amount\ncrm-1,alpha,\xff\xfe\xfd,1\n",
                 id="bytes-that-are-no-text"),
])
def test_an_upload_that_is_not_text_writes_nothing_on_the_web_and_the_cli(site, data, tmp_path):
    response = site.as_("manager").post("/deals/import", data={"file": (io.BytesIO(data),
                                                                        "deals.csv")},
                                        content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    body = text_of(response)
    assert ("neither UTF-8 nor Shift_JIS" in body or "control character" in body
            or "not valid UTF-8" in body)
    assert count(Deal) == 0
    path = tmp_path / "deals.csv"
    path.write_bytes(data)
    result = site.app.test_cli_runner().invoke(args=["deals", "import", str(path)])
    assert result.exit_code == 1
    assert "othing was written" in result.output
    assert count(Deal) == 0


# --- The command line import echoes nothing that drives a terminal ---------------------------


def test_the_cli_import_report_carries_no_terminal_control_characters(site, tmp_path):
    hostile = "\x1b]0;owned\x07\x1b[2J\x1b[31mred"
    path = tmp_path / "deals.csv"
    path.write_text(csv_line("external_id", "partner", "customer", "amount", hostile)
                    + csv_line("crm-1", hostile, hostile, "1", "x"), encoding="utf-8")
    result = site.app.test_cli_runner().invoke(args=["deals", "import", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert count(Deal) == 0


def test_the_cli_import_report_of_bad_cells_carries_no_control_characters(site, tmp_path):
    hostile = "\x1b]0;owned\x07\x1b[2J"
    path = tmp_path / "deals.csv"
    path.write_text(csv_line("external_id", "partner", "customer", "amount", "currency", "status")
                    + csv_line("crm-1", hostile, hostile, hostile, hostile, hostile),
                    encoding="utf-8")
    result = site.app.test_cli_runner().invoke(args=["deals", "import", str(path)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "row 2, partner: Contains a control character" in result.output
    assert count(Deal) == 0


# --- Nothing is stored half -----------------------------------------------------------------


def test_an_import_with_one_hostile_row_writes_nothing_on_the_web_and_the_cli(site, tmp_path):
    text = csv_line("external_id", "partner", "customer", "amount", "description")
    text += csv_line("crm-1", "alpha", "=HYPERLINK(\"http://x\")", "1", "<script>x</script>")
    text += csv_line("crm-2", "alpha", "Bad\x00Customer", "2", "ok")
    text += csv_line("crm-3", "alpha", "Acme", "3", "a" * 5001)
    response = site.as_("manager").post("/deals/import", data={"file": csv_file(text)},
                                        content_type="multipart/form-data")
    body = text_of(response)
    assert "row 3" in body.lower() or ">3<" in body
    assert count(Deal) == 0
    path = tmp_path / "deals.csv"
    path.write_text(text, encoding="utf-8")
    result = site.app.test_cli_runner().invoke(args=["deals", "import", str(path)])
    assert result.exit_code == 1
    assert "row 3, customer: Contains a control character" in result.output
    assert "row 4, description: Too long" in result.output
    assert count(Deal) == 0


def test_a_refused_api_upsert_leaves_the_stored_deal_as_it_was(site):
    client = site.app.test_client()
    good = {"partner": "alpha", "customer": "Acme", "amount": 5, "product": "CRM"}
    assert client.put("/api/v1/deals/crm-1", headers=site.api(), json=good).status_code == 201
    for bad in ({**good, "customer": "A\x00B", "product": "changed"},
                {**good, "description": "x" * 5001, "product": "changed"},
                {**good, "product": "changed", "amount": "1e9"},
                {**good, "product": "changed", "status": "<script>"}):
        response = client.put("/api/v1/deals/crm-1", headers=site.api(), json=bad)
        assert response.status_code == 422
        assert response.get_json()["error"]["fields"]
    deal = latest_deal()
    assert (deal.customer_name, deal.product, deal.amount) == ("Acme", "CRM", 5)


# --- CSV exports are formula-safe -----------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1"]


def _hostile_program(site: Site) -> None:
    """Every kind of formula in every text the exports carry: through the forms and the API
    where they accept it, directly in the database for tabs and carriage returns (forms may
    rightly refuse those as control characters)."""
    admin, manager, sales = site.as_("admin"), site.as_("manager"), site.as_("sales")
    assert _edit_organization(site, "=HYPERLINK(\"http://evil.example\")").status_code == 302
    for n, name in enumerate(("\t=1+1", "\r=1+1")):
        db.session.add(Organization(slug=f"tab-{n}", name=name, signed_on=utcnow().date()))
    db.session.commit()
    assert sales.post("/account", data={"name": "@SUM(A1:A9)", "locale": ""}).status_code == 302
    for n, formula in enumerate(FORMULAS[:4]):
        response = site.app.test_client().put(
            f"/api/v1/deals/{formula[:3]}{n}", headers=site.api(), json={
                "partner": "alpha", "customer": f"{formula} {n}", "amount": 1,
                "product": formula, "description": formula})
        assert response.status_code == 201, response.get_json()
    response = sales.post("/deals/new", data={"customer_name": "-cmd|' /C calc'!A0",
                                              "amount": "1", "currency": "JPY",
                                              "product": "+x", "description": "=x"})
    assert response.status_code == 302
    manager.post(f"/deals/{latest_deal().id}/status",
                 data={"action": "reject", "reason": "=WEBSERVICE(\"http://x\")"})
    assert _publish_asset(site, "=HYPERLINK(\"http://evil.example\")").status_code == 302
    drain(sales.get(f"/assets/{_latest_asset().slug}/download"))
    assert _submit_answers(site, "=cmd|' /C calc'!A0").status_code == 302
    # A SPIF campaign named like a formula, earned by a won deal with a hostile customer.
    won = latest_deal()
    won.status, won.closed_at = DealStatus.WON, utcnow()
    db.session.add(SpifCampaign(name="=HYPERLINK(\"http://evil.example\")",
                                rule=SpifRule.WON_DEAL, bonus=1, currency="JPY",
                                starts_on=utcnow().date() - timedelta(days=1),
                                ends_on=utcnow().date() + timedelta(days=1), tiers=[]))
    db.session.commit()
    assert admin.get("/").status_code == 200
    # Program terms accepted by someone whose name and browser read like formulas.
    import tempfile

    from lms.clock import program_today
    from tests.factories.terms import publish as publish_terms

    with tempfile.TemporaryDirectory() as folder:
        publish_terms(Path(folder), "2026-04", program_today() - timedelta(days=1))
    version = only(select(TermsVersion))
    db.session.add(TermsAcceptance(
        organization_id=site.people.alpha.id, version_id=version.id, user_id=None,
        accepted_name="@SUM(A1:A9)", accepted_email="a@example.test",
        ip_address="192.0.2.1", user_agent="-cmd|' /C calc'!A0", locale="en",
        digest=version.digest))
    db.session.commit()


CSV_EXPORTS = {
    "/deals.csv": ("manager", "sales"),
    "/reports/tiers.csv": ("manager",),
    "/reports/assets.csv": ("manager",),
    "/admin/quizzes/<slug>.csv": ("manager",),
    "/reports/kpis.csv": ("manager",),
    "/reports/health.csv": ("manager",),
    "/progress.csv": ("manager", "partner_admin"),
    "/progress/<org_slug>.csv": ("manager",),
    "/mdf/requests.csv": ("manager", "partner_admin"),
    "/mdf/returns.csv": ("manager", "partner_admin"),
    "/spif/<int:campaign_id>.csv": ("manager", "sales"),
    "/terms/acceptances.csv": ("manager",),
}


def _export_urls(rule: str) -> list[str]:
    if rule == "/admin/quizzes/<slug>.csv":
        return [f"/admin/quizzes/{QUIZ}.csv"]
    if rule == "/reports/tiers.csv":
        return [f"/reports/tiers.csv?tier={t}" for t in ("silver", "gold", "platinum")]
    if rule == "/progress/<org_slug>.csv":
        return ["/progress/alpha.csv"]
    if rule == "/spif/<int:campaign_id>.csv":
        return [f"/spif/{campaign_id}.csv" for campaign_id in db.session.scalars(
            select(SpifCampaign.id))]
    return [rule]


def test_every_csv_export_is_in_this_test(app500):
    rules = {r.rule for r in app500.url_map.iter_rules() if r.rule.endswith(".csv")}
    assert rules - set(CSV_EXPORTS) == set(), "a CSV export this test does not check"


def test_every_csv_export_neutralises_formula_prefixes(site):
    _hostile_program(site)
    rules = {r.rule for r in site.app.url_map.iter_rules()}
    checked = []
    for rule, viewers in CSV_EXPORTS.items():
        if rule not in rules:
            continue  # /reports/kpis.csv and /reports/health.csv exist only in later versions
        for who in viewers:
            for url in _export_urls(rule):
                response = site.as_(who).get(url)
                body = text_of(response)
                assert response.status_code == 200, (who, url)
                assert response.mimetype == "text/csv"
                assert response.headers["Content-Disposition"].startswith("attachment")
                assert formula_cells(body) == [], (who, url)
                checked.append((url, body))
    everything = "\n".join(body for _url, body in checked)
    # The hostile texts really are in the exports, quoted.
    for text in ("'=HYPERLINK(\"\"http://evil.example\"\")", "'\t=1+1", "'\r=1+1",
                 "'@SUM(A1:A9)", "'+1+1", "'-2+3", "'=WEBSERVICE(", "'-cmd|"):
        assert text in everything, text
    stats = next(body for url, body in checked if url.startswith("/admin/quizzes/"))
    assert any(cell.startswith("'=cmd|") for row in csv_cells(stats) for cell in row)


def test_the_quiz_statistics_page_shows_typed_answers_as_text(site):
    sync_content()
    for payload in ("<script>alert('xss')</script>", "<img src=x onerror=alert('xss')>"):
        quiz = only(select(Quiz).where(Quiz.slug == QUIZ))
        attempt = quizzes.start_attempt(site.people.engineer, quiz)
        db.session.commit()
        quizzes.submit_attempt(site.people.engineer, attempt.id, {"q-phrase": [payload]})
        db.session.commit()
    body = text_of(site.as_("manager").get(f"/admin/quizzes/{QUIZ}"))
    assert_inert(body, "xss")
    assert shows(body, "<script>alert('xss')</script>")


def test_json_answers_are_never_html(site):
    """The autosave answers JSON; a hostile answer stays data in a JSON body."""
    attempt_id = site.attempt().id
    response = site.as_("sales").post(f"/attempts/{attempt_id}/answers",
                                      data={"q-phrase": "<script>alert(1)</script>"},
                                      headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data(as_text=True)) == {"saved": True}
