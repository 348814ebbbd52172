"""Program terms over HTTP: a partner admin reads and accepts the version in force for the
company (who, when, from where recorded); until then its people cannot register deals or
download material; a new version asks again, and partner admins are told; the channel team
sees who has not accepted; a version a company accepted keeps its words; another company's
acceptance is never shown."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from lms.clock import program_today
from lms.extensions import db
from lms.models import (
    AuditAction,
    AuditEvent,
    Notification,
    Role,
    TermsAcceptance,
    TermsVersion,
)
from lms.sync import SyncRefused, SyncReport
from lms.terms import service
from lms.terms.loader import load_terms
from lms.terms.notices import remind_to_accept
from tests.factories import make_org, make_user, signed_in
from tests.factories.assets import publish as publish_asset
from tests.factories.deals import deal_count
from tests.factories.terms import accept_all, publish, sync_terms, write_terms


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def prefix_of(version: str) -> str:
    """Each version's form on the page has its own field names (v<id>-digest...)."""
    return f"v{db.session.scalar(select(TermsVersion.id).where(TermsVersion.version == version))}"


def digest_on(page: str, version: str = "v1") -> str:
    prefix = prefix_of(version)
    match = re.search(rf'name="{prefix}-digest" type="hidden" value="([0-9a-f]{{64}})"', page)
    assert match, "the accept form carries the digest of the text shown"
    return match.group(1)


def form_for(version: str, **values) -> dict:
    return {f"{prefix_of(version)}-{name}": value for name, value in values.items()}


def acceptances() -> list[TermsAcceptance]:
    db.session.expire_all()
    return list(db.session.scalars(select(TermsAcceptance).order_by(TermsAcceptance.id)))


@pytest.fixture
def site(app, tmp_path) -> Path:
    """A content folder with the version in force since 10 days ago (English and Japanese)."""
    root = tmp_path / "site"
    publish(root, "v1", program_today() - timedelta(days=10), "## Deals\n\nRegister first.\n",
            ja="## 案件\n\n先に登録します。\n", changes="First version.")
    return root


@pytest.fixture
def company(app):
    org = make_org(slug="alpha", name="Alpha Systems K.K.")
    return {"org": org, "admin": make_user(Role.PARTNER_ADMIN, org, name="Akira Admin"),
            "sales": make_user(Role.MEMBER, org, name="Sana Sales")}


def deal_form() -> dict:
    return {"customer_name": "(株)サクラ商事", "amount": "3,000,000", "currency": "JPY",
            "product": "Nimbus CRM", "description": "",
            "expected_close_on": (program_today() + timedelta(days=60)).isoformat()}


def accept(client, version: str = "v1", **data):
    page = client.get("/terms").get_data(as_text=True)
    values = {"digest": digest_on(page, version), "confirm": "y"} | data
    return client.post(f"/terms/{version}/accept", data=form_for(version, **values),
                       headers={"User-Agent": "Firefox/140"},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})


# --- Reading and accepting ----------------------------------------------------------------


def test_the_partner_admin_accepts_for_the_company_and_who_when_where_is_recorded(
        app, site, company):
    client = signed_in(app, company["admin"])
    page = text_of(client.get("/terms"))
    assert "Register first." in page and "First version." in page
    assert "Not accepted yet" in page and "Accept for Alpha Systems K.K." in page

    response = accept(client)

    assert response.status_code == 302 and response.headers["Location"] == "/terms"
    [row] = acceptances()
    version = db.session.scalar(select(TermsVersion))
    assert (row.organization_id, row.version_id, row.user_id, row.accepted_name,
            row.accepted_email, row.ip_address, row.user_agent, row.locale, row.digest) == (
        company["org"].id, version.id, company["admin"].id, "Akira Admin",
        company["admin"].email, "198.51.100.7", "Firefox/140", "en", version.digest)
    assert abs(row.accepted_at - db.session.scalar(select(func.max(AuditEvent.created_at))
                                                   )) < timedelta(seconds=5)
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == AuditAction.TERMS_ACCEPTED))
    assert event.organization_id == company["org"].id and event.detail["version"] == "v1"
    page = text_of(client.get("/terms"))
    assert "Accepted by your company" in page and "Accept for" not in page
    assert "Akira Admin" in page  # the company's history


def test_the_terms_are_shown_in_the_readers_language(app, site, company):
    company["sales"].locale = "ja"
    db.session.commit()
    page = text_of(signed_in(app, company["sales"]).get("/terms"))
    assert "先に登録します。" in page and "Register first." not in page
    assert 'lang="ja"' in page


def test_accepting_twice_keeps_the_first_acceptance(app, site, company):
    client = signed_in(app, company["admin"])
    accept(client)
    first = acceptances()
    page = client.get("/terms").get_data(as_text=True)
    assert '-digest"' not in page  # nothing left to accept
    version = db.session.scalar(select(TermsVersion))
    client.post("/terms/v1/accept", data=form_for("v1", digest=version.digest, confirm="y"))
    assert [(a.id, a.accepted_at) for a in acceptances()] == [
        (a.id, a.accepted_at) for a in first]


@pytest.mark.parametrize(("data", "message"), [
    ({"confirm": ""}, "Tick the box to accept the terms for your company."),
    ({"digest": "f" * 64}, "The terms changed while you were reading them"),
    ({"digest": "short"}, "The terms changed while you were reading them"),
    ({"digest": ""}, "The terms changed while you were reading them"),
])
def test_an_acceptance_that_is_not_one_stores_nothing(app, site, company, data, message):
    client = signed_in(app, company["admin"])
    response = accept(client, **data)
    assert response.status_code == 302
    assert message in text_of(client.get("/terms"))
    assert acceptances() == []


def test_an_old_or_unknown_version_cannot_be_accepted(app, site, company):
    publish(site, "v2", program_today() - timedelta(days=1), "New words.\n")
    client = signed_in(app, company["admin"])
    old = db.session.scalar(select(TermsVersion).where(TermsVersion.version == "v1"))
    client.post("/terms/v1/accept", data=form_for("v1", digest=old.digest, confirm="y"))
    client.post("/terms/nope/accept", data={"digest": old.digest, "confirm": "y"})
    assert "is not the one to accept" in text_of(client.get("/terms"))
    assert acceptances() == []


def test_only_the_partner_admin_accepts(app, site, company):
    version = db.session.scalar(select(TermsVersion))
    for user in (company["sales"], make_user(Role.MANAGER), make_user(Role.ADMIN)):
        client = signed_in(app, user)
        response = client.post("/terms/v1/accept", data=form_for(
            "v1", digest=version.digest, confirm="y"))
        assert response.status_code == 403
    assert acceptances() == []
    page = text_of(signed_in(app, company["sales"]).get("/terms"))
    assert "partner admin accepts the terms for everyone" in page and "Accept for" not in page


def test_a_text_changed_between_reading_and_accepting_is_refused(app, site, company):
    client = signed_in(app, company["admin"])
    page = client.get("/terms").get_data(as_text=True)
    publish(site, "v1", program_today() - timedelta(days=10), "Other words.\n")
    client.post("/terms/v1/accept", data=form_for("v1", digest=digest_on(page), confirm="y"))
    assert acceptances() == []


# --- The gate -------------------------------------------------------------------------------


def test_until_the_company_accepts_its_people_cannot_register_deals_or_download(
        app, site, company):
    asset = publish_asset("Overview")
    sales = signed_in(app, company["sales"])
    page = sales.get("/deals/new")
    assert page.status_code == 403
    assert "Program terms not accepted" in text_of(page) and "Akira Admin" in text_of(page)
    assert sales.post("/deals/new", data=deal_form()).status_code == 403
    assert deal_count() == 0
    download = sales.get(f"/assets/{asset.slug}/download")
    assert download.status_code == 403 and "attachment" not in download.headers.get(
        "Content-Disposition", "")
    admin = signed_in(app, company["admin"])
    assert 'href="/terms"' in text_of(admin.get("/deals/new"))

    accept(admin)

    assert sales.get("/deals/new").status_code == 200
    assert sales.post("/deals/new", data=deal_form()).status_code == 302
    assert deal_count() == 1
    with sales.get(f"/assets/{asset.slug}/download") as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF-")


def test_without_published_terms_nothing_is_gated(app, company):
    assert service.in_force() is None
    assert signed_in(app, company["sales"]).get("/deals/new").status_code == 200


def test_vendor_staff_are_never_gated(app, site):
    manager = make_user(Role.MANAGER)
    asset = publish_asset("Overview")
    assert service.blocking_version(manager) is None
    with signed_in(app, manager).get(f"/assets/{asset.slug}/download") as download:
        assert download.status_code == 200


def test_a_new_version_asks_again_and_one_accepted_ahead_keeps_people_working(
        app, site, company):
    accept_all(company["org"])
    publish(site, "v2", program_today(), "Changed.\n")
    sales = signed_in(app, company["sales"])
    assert sales.get("/deals/new").status_code == 403  # v2 is in force today

    accept(signed_in(app, company["admin"]), "v2")
    coming = program_today() + timedelta(days=20)
    publish(site, "v3", coming, "Changed again.\n")
    page = text_of(signed_in(app, company["admin"]).get("/terms"))
    assert "takes effect on" in page
    accept(signed_in(app, company["admin"]), "v3")
    assert sales.get("/deals/new").status_code == 200
    with time_machine.travel(coming + timedelta(days=1), tick=True):
        assert service.blocking_version(company["sales"]) is None
    assert [a.version_id for a in acceptances()] == [
        v.id for v in db.session.scalars(select(TermsVersion).order_by(TermsVersion.id))]


def test_the_partner_admins_home_asks_for_the_terms_until_they_are_accepted(
        app, site, company):
    admin = signed_in(app, company["admin"])
    home = text_of(admin.get("/"))
    assert "Program terms to accept" in home
    assert "Until you accept them, your people cannot register deals" in home
    assert "Program terms to accept" not in text_of(signed_in(app, company["sales"]).get("/"))
    accept(admin)
    assert "Program terms to accept" not in text_of(admin.get("/"))
    publish(site, "v2", program_today() + timedelta(days=30), "Coming.\n")
    home = text_of(admin.get("/"))
    assert "Program terms to accept" in home and "A new version takes effect on" in home


def test_accepting_only_the_coming_version_says_the_one_in_force_still_waits(
        app, site, company):
    publish(site, "v2", program_today() + timedelta(days=20), "Coming.\n")
    admin = signed_in(app, company["admin"])
    page = admin.get("/terms").get_data(as_text=True)
    # Two forms, each with its own field ids.
    assert page.count('id="v') >= 4 and len(set(re.findall(r'id="(v\d+-\w+)"', page))) == len(
        re.findall(r'id="(v\d+-\w+)"', page))
    accept(admin, "v2")
    assert "The version in force still needs your acceptance." in text_of(admin.get("/terms"))
    assert signed_in(app, company["sales"]).get("/deals/new").status_code == 403


# --- Reminders ------------------------------------------------------------------------------


def test_partner_admins_of_companies_that_have_not_accepted_are_told_once(app, site, company):
    other = make_org(slug="beta")
    done_admin = make_user(Role.PARTNER_ADMIN, other)
    accept_all(other)

    assert remind_to_accept() == 1
    db.session.commit()
    assert remind_to_accept() == 0  # once per version and stage
    db.session.commit()
    [notice] = db.session.scalars(select(Notification)).all()
    assert notice.user_id == company["admin"].id and notice.kind == "terms_to_accept"
    assert done_admin.id != notice.user_id
    inbox = text_of(signed_in(app, company["admin"]).get("/notifications"))
    assert "Accept the program terms: Partner Program Terms" in inbox

    publish(site, "v2", program_today() + timedelta(days=30), "Coming.\n")
    assert remind_to_accept() == 2  # both companies: v2 is published ahead of its day
    db.session.commit()
    assert "New program terms from" in text_of(
        signed_in(app, done_admin).get("/notifications"))


# --- The channel team -----------------------------------------------------------------------


def test_managers_see_who_has_not_accepted_with_csv(app, site, company):
    other = make_org(slug="beta", name="Beta Cloud")
    make_user(Role.PARTNER_ADMIN, other)
    accept(signed_in(app, company["admin"]))
    manager = signed_in(app, make_user(Role.MANAGER))

    page = text_of(manager.get("/terms/acceptances"))
    assert page.index("Beta Cloud") < page.index("Alpha Systems K.K.")  # not accepted first
    assert "1 company has not accepted it." in page and "198.51.100.7" in page
    pending = text_of(manager.get("/terms/acceptances?status=pending"))
    assert "Beta Cloud" in pending and "Alpha Systems" not in pending
    accepted = text_of(manager.get("/terms/acceptances?status=accepted"))
    assert "Alpha Systems" in accepted and "Beta Cloud" not in accepted

    csv = manager.get("/terms/acceptances.csv").get_data(as_text=True).lstrip("\ufeff")
    lines = csv.splitlines()
    assert lines[0].startswith("Company,Partner type,Tier,Terms version,Accepted")
    assert any(line.startswith("Alpha Systems K.K.,Resale,Bronze,v1,") and "198.51.100.7" in
               line and "Firefox/140" in line for line in lines)
    assert any(line.startswith("Beta Cloud,Resale,Bronze,v1,,") for line in lines)
    assert manager.get("/terms/acceptances?version=nope").status_code == 404


def test_partners_see_only_their_own_companys_acceptance(app, site, company):
    accept(signed_in(app, company["admin"]))
    other_admin = make_user(Role.PARTNER_ADMIN, make_org(slug="beta"))
    page = text_of(signed_in(app, other_admin).get("/terms"))
    assert "Not accepted yet" in page
    assert "Akira Admin" not in page and "198.51.100.7" not in page
    for url in ("/terms/acceptances", "/terms/acceptances.csv"):
        assert signed_in(app, other_admin).get(url).status_code == 403
        assert signed_in(app, company["sales"]).get(url).status_code == 403


# --- Versions keep their words --------------------------------------------------------------


def test_an_accepted_version_cannot_change_or_go_but_an_unaccepted_one_can(
        app, site, company, tmp_path):
    publish(site, "v2", program_today() + timedelta(days=30), "Draft.\n")
    accept(signed_in(app, company["admin"]))
    from lms.content import load_folders

    write_terms(site, "v1", program_today() - timedelta(days=10), "Quietly changed.\n",
                ja="## 案件\n\n先に登録します。\n", changes="First version.")
    problems = service.sync_problems(load_folders(site, tmp_path / "q").terms, "site")
    assert [str(p) for p in problems] == [
        "site/terms/v1.md:1: 1 partner(s) accepted the terms version 'v1' as it was: its "
        "title and text cannot change; publish the change as a new version (a new file with "
        "a later effective day)"]
    (site / "terms" / "v1.md").unlink()
    (site / "terms" / "v1.ja.md").unlink()
    problems = service.sync_problems(load_folders(site, tmp_path / "q").terms, "site")
    assert "its file cannot be removed" in str(problems[0])

    write_terms(site, "v2", program_today() + timedelta(days=30), "Final.\n")
    assert service.sync_problems(load_folders(site, tmp_path / "q").terms, "site")[1:] == []
    assert service.sync_problems(load_folders(site, tmp_path / "q").terms, "site")[0] \
        == problems[0]  # only v1 (gone) is refused, v2 may change
    with pytest.raises(SyncRefused):  # the sync itself refuses too, should it be reached
        sync_terms(site)
    db.session.rollback()
    write_terms(site, "v1", program_today() - timedelta(days=10), "## Deals\n\nRegister first.\n",
                ja="## 案件\n\n先に登録します。\n", changes="First version.")
    report = sync_terms(site)
    assert report.updated == ["terms v2"] and report.archived == []
    # The version a company accepted stays readable; an unknown one is not there.
    client = signed_in(app, company["admin"])
    assert "Register first." in text_of(client.get("/terms/v1"))
    assert client.get("/terms/v9").status_code == 404


def test_an_acceptance_landing_during_a_sync_stops_the_sync(app, site, company):
    """The check before a sync (sync_problems) and the sync itself are apart: a company
    accepting in between is caught under the version's lock, and nothing is imported."""
    accept_all(company["org"])
    write_terms(site, "v1", program_today() - timedelta(days=10), "Changed under it.\n")
    with pytest.raises(SyncRefused, match="accepted the terms version 'v1' while"):
        service.sync_terms(load_terms(site), SyncReport())
    db.session.rollback()
    assert db.session.scalar(select(TermsVersion.bodies))["en"].startswith("## Deals")


def test_content_sync_refuses_to_change_an_accepted_version(make_app, tmp_path):
    site, quizzes = tmp_path / "site", tmp_path / "quizzes"
    quizzes.mkdir()
    app = make_app(LMS_CONTENT_DIR=str(site), LMS_QUIZZES_DIR=str(quizzes))
    with app.app_context():
        day = program_today() - timedelta(days=3)
        write_terms(site, "v1", day, "Words.\n")
        runner = app.test_cli_runner()
        first = runner.invoke(args=["content", "sync"])
        assert first.exit_code == 0, first.output
        accept_all(make_org())
        write_terms(site, "v1", day, "Other words.\n")

        result = runner.invoke(args=["content", "sync"])

        assert result.exit_code != 0
        assert "its title and text cannot change" in result.output
        db.session.expire_all()
        assert db.session.scalar(select(TermsVersion.bodies)) == {"en": "Words.\n"}
