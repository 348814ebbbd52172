"""Market development funds over HTTP: who sees and does what at /mdf, the whole life of a
request (request, decision, claim with proof, claim decision, payment) with the balance the
pages show, bad input refused with nothing written, proof downloads, deal attribution and
the return on MDF, and the CSV exports.

Dates never depend on the day the suite runs: activities are placed from program_today() at
test time, and an activity that has already taken place is written to the database (or moved
into the past there) rather than waited for.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.assets.files import store_upload
from lms.clock import program_today
from lms.extensions import db
from lms.mdf import service
from lms.models import (
    Deal,
    DealStatus,
    MdfActivityType,
    MdfAdjustment,
    MdfAllocation,
    MdfEvent,
    MdfProofFile,
    MdfRequest,
    MdfStatus,
    Notification,
    Organization,
    Role,
    Tier,
    User,
    utcnow,
)
from tests.factories import make_org, make_user, signed_in
from tests.factories.assets import PDF, PNG, upload

GOLD_MDF, SILVER_MDF = 1_500_000, 500_000  # content/program.toml, per quarter

# --- The people and their funds ------------------------------------------------------------


@dataclass
class World:
    alpha: Organization  # gold
    beta: Organization  # gold
    alpha_admin: User
    alpha_sales: User  # a member
    beta_admin: User
    manager: User
    admin: User


@pytest.fixture
def world(app) -> World:
    alpha = make_org("alpha", tier=Tier.GOLD, name="Alpha Systems K.K.")
    beta = make_org("beta", tier=Tier.GOLD, name="Beta Solutions Inc.")
    return World(
        alpha=alpha, beta=beta,
        alpha_admin=make_user(Role.PARTNER_ADMIN, alpha, name="Akira Admin"),
        alpha_sales=make_user(Role.MEMBER, alpha, name="Aiko Sales"),
        beta_admin=make_user(Role.PARTNER_ADMIN, beta, name="Ben Admin"),
        manager=make_user(Role.MANAGER, name="Mariko Manager"),
        admin=make_user(Role.ADMIN, name="Ada Admin"),
    )


def client_of(app, user: User):
    return signed_in(app, user, through_form=False)


def today() -> date:
    return program_today()


def funded(org: Organization, by: User, title: str = "Osaka seminar", *,
           status: MdfStatus = MdfStatus.APPROVED, requested: int | None = None,
           approved: int | None = 400_000, days_ago: int | None = 1,
           claimed: int | None = None, payable: int | None = None,
           activity: MdfActivityType = MdfActivityType.EVENT) -> MdfRequest:
    """A request written to the database on the company's current allocation: an activity
    that ended `days_ago` days ago (None: one that starts next week)."""
    requested = requested or max(600_000, approved or 0)
    allocation = service.open_allocation(org, service.current_period())
    if days_ago is None:
        starts = ends = today() + timedelta(days=7)
    else:
        ends = today() - timedelta(days=days_ago)
        starts = ends - timedelta(days=1)
    now = utcnow()
    request = MdfRequest(
        organization_id=org.id, allocation_id=allocation.id, requested_by_id=by.id,
        activity_type=activity, title=title, description="", starts_on=starts, ends_on=ends,
        planned_cost=max(requested, 800_000), requested_amount=requested,
        expected_leads=20, status=status,
        approved_amount=approved if status != MdfStatus.SUBMITTED else None,
        actual_cost=claimed, claimed_amount=claimed, payable_amount=payable,
        created_at=now, updated_at=now)
    db.session.add(request)
    db.session.flush()
    db.session.add(MdfEvent(request_id=request.id, actor_id=by.id, at=now,
                            to_status=status, amount=requested))
    db.session.commit()
    return request


def with_proof(request: MdfRequest, content: bytes = PDF,
               filename: str = "invoice.pdf") -> MdfProofFile:
    stored = store_upload(upload(content, filename))
    proof = MdfProofFile(request_id=request.id, filename=stored.filename,
                         content_type=stored.content_type, size=stored.size,
                         sha256=stored.sha256, uploaded_by_id=request.requested_by_id,
                         uploaded_at=utcnow())
    db.session.add(proof)
    db.session.commit()
    return proof


def fresh(request: MdfRequest) -> MdfRequest:
    db.session.expire_all()
    return db.session.get(MdfRequest, request.id)


# --- Reading pages ------------------------------------------------------------------------

TAG = re.compile(r"<[^>]+>")
FACT = re.compile(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", re.S)


def page_of(response) -> str:
    """The page as text a person reads (entities decoded)."""
    return html_lib.unescape(response.get_data(as_text=True))


def plain(fragment: str) -> str:
    return " ".join(html_lib.unescape(TAG.sub(" ", fragment)).split())


def balance_shown(response_or_page) -> dict[str, str]:
    """The balance box of a partner's MDF page: {"Allocated": "1,500,000 JPY", ...}."""
    markup = response_or_page if isinstance(response_or_page, str) else \
        response_or_page.get_data(as_text=True)
    assert '<dl class="facts mdf-balance">' in markup, "no balance on the page"
    block = markup.split('<dl class="facts mdf-balance">', 1)[1].split("</dl>", 1)[0]
    return {plain(term): plain(value) for term, value in FACT.findall(block)}


def status_shown(response) -> str:
    """The status pill next to a request's title."""
    markup = response.get_data(as_text=True)
    head = markup.split('<div class="page-head">', 1)[1].split("</div>", 1)[0]
    match = re.search(r'<span class="status[^"]*">([^<]*)</span>', head)
    assert match, "no status on the page"
    return plain(match.group(1))


def field_error(response, name: str) -> str:
    match = re.search(rf'<p class="field-error" id="{name}-error">(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    return plain(match.group(1)) if match else ""


def flashed_errors(response) -> list[str]:
    return [plain(m) for m in re.findall(r'<p class="flash flash-error">(.*?)</p>',
                                         response.get_data(as_text=True), re.S)]


def options_of(response, name: str) -> list[tuple[str, str]]:
    markup = response.get_data(as_text=True)
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', markup, re.S)
    assert match, f"no <select name={name}> on the page"
    return [(value, plain(label)) for value, label in
            re.findall(r'<option[^>]*value="([^"]*)"[^>]*>(.*?)</option>', match.group(1),
                       re.S)]


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def fetch(client, path: str):
    """A response read in full and closed (a served file stays open until then)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


MDF_TABLES = (MdfAllocation, MdfAdjustment, MdfRequest, MdfEvent, MdfProofFile, Deal,
              Notification)


def stored_rows() -> dict[str, list[tuple]]:
    """Every row of the MDF tables, the deals and the notifications, as stored."""
    db.session.expire_all()
    return {model.__tablename__: [tuple(row) for row in db.session.execute(
        select(*model.__table__.columns).order_by(model.id))] for model in MDF_TABLES}


def request_form(**values) -> dict[str, str]:
    """The request form as a partner admin fills it: an event next week."""
    start = today() + timedelta(days=7)
    return {"activity_type": "event", "title": "Nimbus CRM seminar in Osaka",
            "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=1)).isoformat(),
            "planned_cost": "800,000", "requested_amount": "600,000", "expected_leads": "40",
            "description": "Half-day seminar, 60 seats."} | values


def claim_form(**values) -> dict:
    return {"actual_cost": "380,000", "claimed_amount": "350,000", "actual_leads": "52",
            "note": "Invoice attached.",
            "files": [(io.BytesIO(PDF), "invoice.pdf")]} | values


def post_claim(client, request_id: int, **values):
    return client.post(f"/mdf/requests/{request_id}/claim", data=claim_form(**values),
                       content_type="multipart/form-data")


# --- Who sees what --------------------------------------------------------------------------


def test_a_partner_admin_sees_only_its_own_companys_funds(app, world):
    mine = funded(world.alpha, world.alpha_admin, "Alpha seminar", approved=400_000)
    theirs = funded(world.beta, world.beta_admin, "Beta roadshow", approved=700_000)
    proof = with_proof(theirs)
    client = client_of(app, world.alpha_admin)

    response = client.get("/mdf")
    assert response.status_code == 200
    page = page_of(response)
    assert "MDF of Alpha Systems K.K." in page and "Alpha seminar" in page
    assert "Beta" not in page
    assert balance_shown(response)["Approved"] == "400,000 JPY"
    assert "Request funds" in page

    assert client.get("/mdf/partners/alpha").status_code == 200
    assert client.get("/mdf/partners/beta").status_code == 404
    assert client.get(f"/mdf/requests/{mine.id}").status_code == 200
    assert client.get(f"/mdf/requests/{theirs.id}").status_code == 404
    assert fetch(client, f"/mdf/requests/{theirs.id}/files/{proof.id}").status_code == 404
    # Another request's file through one's own request is no way round.
    assert fetch(client, f"/mdf/requests/{mine.id}/files/{proof.id}").status_code == 404
    assert "Beta roadshow" not in page_of(client.get("/mdf/returns"))

    before = stored_rows()
    for path, data in ((f"/mdf/requests/{theirs.id}/cancel", {}),
                       (f"/mdf/requests/{theirs.id}/claim", claim_form()),
                       (f"/mdf/requests/{theirs.id}/decision", {"action": "reject",
                                                                 "note": "x"})):
        assert client.post(path, data=data).status_code == 404, path
    assert stored_rows() == before


def test_members_read_their_funds_but_cannot_spend_them(app, world):
    request = funded(world.alpha, world.alpha_admin, "Alpha seminar",
                     status=MdfStatus.SUBMITTED)
    client = client_of(app, world.alpha_sales)
    response = client.get("/mdf")
    assert response.status_code == 200
    page = page_of(response)
    assert "MDF of Alpha Systems K.K." in page and "Alpha seminar" in page
    assert balance_shown(response)["Waiting for a decision"] == "600,000 JPY"
    assert "Request funds" not in page
    assert client.get(f"/mdf/requests/{request.id}").status_code == 200
    assert "Cancel this request" not in page_of(client.get(f"/mdf/requests/{request.id}"))

    before = stored_rows()
    assert client.get("/mdf/requests/new").status_code == 403
    assert client.post("/mdf/requests/new", data=request_form()).status_code == 403
    assert client.post(f"/mdf/requests/{request.id}/cancel").status_code == 403
    assert post_claim(client, request.id).status_code == 403
    assert client.post(f"/mdf/requests/{request.id}/decision", data={
        "action": "approve", "amount": "600,000"}).status_code == 403
    assert stored_rows() == before


def test_partners_cannot_take_the_channel_teams_decisions(app, world):
    submitted = funded(world.alpha, world.alpha_admin, "Waiting", status=MdfStatus.SUBMITTED)
    claimed = funded(world.alpha, world.alpha_admin, "Claimed", status=MdfStatus.CLAIMED,
                     claimed=350_000)
    payable = funded(world.alpha, world.alpha_admin, "Payable",
                     status=MdfStatus.CLAIM_APPROVED, claimed=350_000, payable=350_000)
    before = stored_rows()
    for user in (world.alpha_admin, world.alpha_sales):
        client = client_of(app, user)
        for path, data in (
                (f"/mdf/requests/{submitted.id}/decision", {"action": "approve",
                                                            "amount": "600,000"}),
                (f"/mdf/requests/{claimed.id}/claim-decision", {"action": "approve",
                                                                "amount": "350,000"}),
                (f"/mdf/requests/{payable.id}/payment", {
                    "paid_on": today().isoformat(), "reference": "TRF-1"}),
                ("/mdf/partners/alpha/adjust", {"delta": "+5,000,000", "note": "Mine."})):
            assert client.post(path, data=data).status_code == 403, (user.email, path)
    assert stored_rows() == before
    partner = client_of(app, world.alpha_admin)
    for request in (submitted, claimed, payable):
        page = page_of(partner.get(f"/mdf/requests/{request.id}"))
        assert not re.search(r'action="[^"]*/(decision|claim-decision|payment)"', page)
    assert "/adjust" not in page_of(partner.get("/mdf"))
    manager = page_of(client_of(app, world.manager).get(f"/mdf/requests/{submitted.id}"))
    assert f'action="/mdf/requests/{submitted.id}/decision"' in manager


def test_vendor_staff_see_every_partner_and_request_nothing(app, world):
    funded(world.alpha, world.alpha_admin, "Alpha seminar", status=MdfStatus.SUBMITTED)
    beta_request = funded(world.beta, world.beta_admin, "Beta roadshow", approved=700_000)
    for user in (world.manager, world.admin):
        client = client_of(app, user)
        response = client.get("/mdf")
        assert response.status_code == 200
        page = page_of(response)
        assert "Alpha Systems K.K." in page and "Beta Solutions Inc." in page
        # What waits for the channel team: Alpha's request, not Beta's approved one.
        waiting = page.split('id="waiting"', 1)[1].split('id="partners"', 1)[0]
        assert "Alpha seminar" in waiting and "Beta roadshow" not in waiting
        beta = client.get("/mdf/partners/beta")
        assert beta.status_code == 200 and "Beta roadshow" in page_of(beta)
        assert balance_shown(beta)["Available"] == "800,000 JPY"
        assert client.get(f"/mdf/requests/{beta_request.id}").status_code == 200
        assert client.get("/mdf/requests/new").status_code == 403
        assert client.post("/mdf/requests/new", data=request_form()).status_code == 403


def test_a_request_opens_for_the_channel_team_after_its_submitter_changed_company(app, world):
    """The page names the request's company; nothing else on it need load that company."""
    request = funded(world.alpha, world.alpha_admin, "Alpha seminar")
    world.alpha_admin.organization = world.beta  # an admin moved the person (admin.edit_user)
    db.session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 page, as in production
    for user in (world.manager, world.alpha_sales):
        response = client_of(app, user).get(f"/mdf/requests/{request.id}")
        assert response.status_code == 200, (user.email, response.status_code)
        assert "MDF of Alpha Systems K.K." in page_of(response)


def test_the_allocation_comes_from_the_tiers_mdf_benefit(app, world):
    silver = make_org("silver-co", tier=Tier.SILVER, name="Silver Co.")
    bronze = make_org("bronze-co", tier=Tier.BRONZE, name="Bronze Co.")
    expected = {world.alpha_admin: "1,500,000 JPY",
                make_user(Role.PARTNER_ADMIN, silver): "500,000 JPY"}
    for user, amount in expected.items():
        response = client_of(app, user).get("/mdf")
        shown = balance_shown(response)
        assert shown["Allocated"] == amount and shown["Available"] == amount
    bronze_admin = make_user(Role.PARTNER_ADMIN, bronze)
    client = client_of(app, bronze_admin)
    page = page_of(client.get("/mdf"))
    assert "The Bronze tier gives no MDF allocation in this period." in page
    assert 'class="facts mdf-balance"' not in page
    response = client.post("/mdf/requests/new", data=request_form())
    assert response.status_code == 400
    assert field_error(response, "requested_amount") == "Only 0 JPY is available this period."
    assert db.session.scalar(select(MdfRequest.id)) is None
    managers = page_of(client_of(app, world.manager).get("/mdf"))
    row = managers.split("Silver Co.", 1)[1].split("</tr>", 1)[0]
    assert "500,000" in row


# --- The whole life of a request ----------------------------------------------------------


def test_request_decision_claim_and_payment_over_http(app, world):
    partner = client_of(app, world.alpha_admin)
    manager = client_of(app, world.manager)

    form = partner.get("/mdf/requests/new")
    assert form.status_code == 200
    assert f"Available in {service.current_period().key}: 1,500,000 JPY" in plain(
        form.get_data(as_text=True))
    response = partner.post("/mdf/requests/new", data=request_form())
    assert response.status_code == 302
    request = db.session.scalar(select(MdfRequest))
    assert response.headers["Location"] == f"/mdf/requests/{request.id}"
    assert (request.organization_id, request.requested_by_id) == (world.alpha.id,
                                                                  world.alpha_admin.id)
    assert (request.status, request.planned_cost, request.requested_amount) == (
        MdfStatus.SUBMITTED, 800_000, 600_000)
    allocation = db.session.get(MdfAllocation, request.allocation_id)
    assert (allocation.base_amount, allocation.amount, allocation.currency) == (
        GOLD_MDF, GOLD_MDF, "JPY")
    assert allocation.period_start == service.current_period().start
    detail = partner.get(response.headers["Location"])
    assert "Your request is sent to the channel team." in page_of(detail)
    assert status_shown(detail) == "Waiting for a decision"
    shown = balance_shown(partner.get("/mdf"))
    assert (shown["Allocated"], shown["Waiting for a decision"], shown["Available"]) == (
        "1,500,000 JPY", "600,000 JPY", "900,000 JPY")
    assert "Nimbus CRM seminar in Osaka" in page_of(manager.get("/mdf"))

    # The channel team approves 400,000 of the 600,000 asked, and says why.
    note = "We fund seminars up to 400,000 a quarter."
    response = manager.post(f"/mdf/requests/{request.id}/decision", data={
        "action": "approve", "amount": "400,000", "note": note})
    assert response.status_code == 302
    assert "Approved." in page_of(manager.get(response.headers["Location"]))
    request = fresh(request)
    assert (request.status, request.approved_amount, request.decision_note) == (
        MdfStatus.APPROVED, 400_000, note)
    detail = partner.get(f"/mdf/requests/{request.id}")
    assert status_shown(detail) == "Approved" and note in page_of(detail)
    shown = balance_shown(partner.get("/mdf"))
    assert (shown["Waiting for a decision"], shown["Approved"], shown["Available"]) == (
        "0 JPY", "400,000 JPY", "1,100,000 JPY")
    # Before the activity, there is nothing to claim yet.
    assert "Claim once the activity is over" in page_of(detail)
    assert "Send the claim" not in page_of(detail)

    # The activity takes place (moved into the past rather than waited for).
    request.starts_on, request.ends_on = today() - timedelta(days=3), today() - timedelta(days=1)
    db.session.commit()
    assert "Send the claim" in page_of(partner.get(f"/mdf/requests/{request.id}"))
    response = post_claim(partner, request.id)
    assert response.status_code == 302
    assert "Your claim is sent to the channel team." in page_of(
        partner.get(response.headers["Location"]))
    request = fresh(request)
    assert (request.status, request.actual_cost, request.claimed_amount,
            request.actual_leads) == (MdfStatus.CLAIMED, 380_000, 350_000, 52)
    [proof] = db.session.scalars(select(MdfProofFile)).all()
    assert (proof.request_id, proof.filename, proof.content_type, proof.size) == (
        request.id, "invoice.pdf", "application/pdf", len(PDF))
    detail = manager.get(f"/mdf/requests/{request.id}")
    assert status_shown(detail) == "Claim sent"
    assert "invoice.pdf" in page_of(detail) and "Approve the claim" in page_of(detail)
    assert balance_shown(partner.get("/mdf"))["Approved"] == "400,000 JPY"

    response = manager.post(f"/mdf/requests/{request.id}/claim-decision", data={
        "action": "approve", "amount": "350,000", "note": ""})
    assert response.status_code == 302
    request = fresh(request)
    assert (request.status, request.payable_amount) == (MdfStatus.CLAIM_APPROVED, 350_000)
    assert status_shown(partner.get(f"/mdf/requests/{request.id}")) == "Claim approved"
    shown = balance_shown(partner.get("/mdf"))
    assert (shown["Approved"], shown["Payable"], shown["Paid"], shown["Available"]) == (
        "0 JPY", "350,000 JPY", "0 JPY", "1,150,000 JPY")

    response = manager.post(f"/mdf/requests/{request.id}/payment", data={
        "paid_on": today().isoformat(), "reference": "TRF-2026-0042"})
    assert response.status_code == 302
    assert "The payment is recorded." in page_of(manager.get(response.headers["Location"]))
    request = fresh(request)
    assert (request.status, request.paid_on, request.payment_reference) == (
        MdfStatus.PAID, today(), "TRF-2026-0042")
    detail = partner.get(f"/mdf/requests/{request.id}")
    assert status_shown(detail) == "Paid" and "TRF-2026-0042" in page_of(detail)
    shown = balance_shown(partner.get("/mdf"))
    assert (shown["Allocated"], shown["Payable"], shown["Paid"], shown["Available"]) == (
        "1,500,000 JPY", "0 JPY", "350,000 JPY", "1,150,000 JPY")
    history = [event.to_status for event in db.session.scalars(
        select(MdfEvent).where(MdfEvent.request_id == request.id).order_by(MdfEvent.id))]
    assert history == [MdfStatus.SUBMITTED, MdfStatus.APPROVED, MdfStatus.CLAIMED,
                       MdfStatus.CLAIM_APPROVED, MdfStatus.PAID]


def test_an_empty_requested_amount_asks_for_the_whole_planned_cost(app, world):
    response = client_of(app, world.alpha_admin).post(
        "/mdf/requests/new", data=request_form(requested_amount=""))
    assert response.status_code == 302
    assert db.session.scalar(select(MdfRequest.requested_amount)) == 800_000


def test_a_rejection_and_a_cancellation_give_the_funds_back(app, world):
    partner = client_of(app, world.alpha_admin)
    rejected = funded(world.alpha, world.alpha_admin, "Trade show", status=MdfStatus.SUBMITTED,
                      requested=900_000, days_ago=None)
    cancelled = funded(world.alpha, world.alpha_admin, "Webinar", approved=300_000,
                       days_ago=None)
    assert balance_shown(partner.get("/mdf"))["Available"] == "300,000 JPY"
    reason = "Trade shows are funded centrally this year."
    response = client_of(app, world.manager).post(
        f"/mdf/requests/{rejected.id}/decision", data={"action": "reject", "note": reason})
    assert response.status_code == 302
    assert fresh(rejected).status == MdfStatus.REJECTED
    detail = partner.get(f"/mdf/requests/{rejected.id}")
    assert status_shown(detail) == "Rejected" and reason in page_of(detail)
    response = partner.post(f"/mdf/requests/{cancelled.id}/cancel")
    assert response.status_code == 302
    assert fresh(cancelled).status == MdfStatus.CANCELLED
    assert balance_shown(partner.get("/mdf"))["Available"] == "1,500,000 JPY"


def test_a_returned_claim_can_be_sent_again_with_its_files(app, world):
    request = funded(world.alpha, world.alpha_admin, status=MdfStatus.CLAIMED,
                     claimed=350_000)
    with_proof(request)
    response = client_of(app, world.manager).post(
        f"/mdf/requests/{request.id}/claim-decision",
        data={"action": "return", "note": "Add the attendee list."})
    assert response.status_code == 302
    assert fresh(request).status == MdfStatus.APPROVED
    partner = client_of(app, world.alpha_admin)
    assert "Add the attendee list." in page_of(partner.get(f"/mdf/requests/{request.id}"))
    response = post_claim(partner, request.id, files=[(io.BytesIO(PNG), "attendees.png")])
    assert response.status_code == 302
    assert fresh(request).status == MdfStatus.CLAIMED
    assert sorted(db.session.scalars(select(MdfProofFile.filename))) == [
        "attendees.png", "invoice.pdf"]


# --- Bad input: explained on the page, nothing written -------------------------------------


def refused(response, before, status: int = 400) -> str:
    assert response.status_code == status
    assert stored_rows() == before, "a refused form changed the database"
    return page_of(response)


@pytest.mark.parametrize(("values", "name", "message"), [
    ({"planned_cost": "2,000,000", "requested_amount": "1,600,000"}, "requested_amount",
     "Only 1,500,000 JPY is available this period."),
    ({"requested_amount": "900,000"}, "requested_amount",
     "Ask for at least 1 and at most the planned cost."),
    ({"starts_on": "2000-01-01"}, "starts_on",
     "Request funds before the activity: it cannot start in the past."),
    ({"ends_on": "2000-01-01"}, "ends_on", "The activity cannot end before it starts."),
    ({"planned_cost": ""}, "planned_cost", "This field is required."),
    ({"planned_cost": "0"}, "planned_cost", "Enter an amount above zero."),
    ({"planned_cost": "-5"}, "planned_cost", "The amount cannot be negative."),
    ({"title": ""}, "title", "This field is required."),
    ({"activity_type": "party"}, "activity_type", "Not a valid choice."),
])
def test_a_bad_request_is_explained_and_nothing_is_written(app, world, values, name,
                                                           message):
    client = client_of(app, world.alpha_admin)
    before = stored_rows()
    response = client.post("/mdf/requests/new", data=request_form(**values))
    refused(response, before)
    assert message in field_error(response, name)


def test_a_request_above_what_earlier_requests_left_is_refused(app, world):
    funded(world.alpha, world.alpha_admin, status=MdfStatus.SUBMITTED, requested=1_000_000,
           days_ago=None)
    before = stored_rows()
    response = client_of(app, world.alpha_admin).post("/mdf/requests/new", data=request_form(
        planned_cost="800,000", requested_amount="600,000"))
    refused(response, before)
    assert field_error(response, "requested_amount") == \
        "Only 500,000 JPY is available this period."


@pytest.mark.parametrize(("values", "name", "message"), [
    ({"action": "approve", "amount": "700,000", "note": "More."}, "amount",
     "Approve from 1 up to the 600,000 JPY requested."),
    ({"action": "approve", "amount": "", "note": ""}, "amount",
     "Enter the amount to approve."),
    ({"action": "approve", "amount": "400,000", "note": ""}, "note",
     "Say why you approve less than was asked: the partner reads it."),
    ({"action": "reject", "note": "  "}, "note",
     "Give the reason for the rejection: the partner reads it."),
])
def test_a_bad_decision_is_explained_and_nothing_is_written(app, world, values, name,
                                                            message):
    request = funded(world.alpha, world.alpha_admin, status=MdfStatus.SUBMITTED,
                     days_ago=None)
    before = stored_rows()
    response = client_of(app, world.manager).post(f"/mdf/requests/{request.id}/decision",
                                                  data=values)
    page = refused(response, before)
    assert message in field_error(response, name) or message in page
    assert status_shown(response) == "Waiting for a decision"


def test_a_forged_decision_changes_nothing(app, world):
    request = funded(world.alpha, world.alpha_admin, status=MdfStatus.SUBMITTED,
                     days_ago=None)
    before = stored_rows()
    manager = client_of(app, world.manager)
    for path, data in ((f"/mdf/requests/{request.id}/decision", {"action": "maybe",
                                                                 "amount": "600,000"}),
                       (f"/mdf/requests/{request.id}/claim-decision", {"action": "pay"})):
        refused(manager.post(path, data=data), before)


@pytest.mark.parametrize(("values", "name", "message"), [
    ({"actual_cost": "900,000", "claimed_amount": "450,000"}, "claimed_amount",
     "Claim at most the 400,000 JPY approved."),
    ({"actual_cost": "300,000", "claimed_amount": "350,000"}, "claimed_amount",
     "Claim at most what the activity actually cost."),
    ({"files": []}, "files",
     "Attach the proof of performance: invoices, photos, the attendee list."),
    ({"files": [(io.BytesIO(b"MZ\x90\x00" + b"\x00" * 60), "invoice.exe")]}, "files",
     "invoice.exe: “.exe” files cannot be uploaded."),
    ({"files": [(io.BytesIO(b"<html><script>alert(1)</script></html>"), "invoice.pdf")]},
     "files", "invoice.pdf: This file is not a real PDF file"),
    ({"files": [(io.BytesIO(b""), "empty.pdf")]}, "files", "The file is empty."),
    ({"claimed_amount": ""}, "claimed_amount", "This field is required."),
    ({"files": [(io.BytesIO(PDF), f"invoice-{n}.pdf") for n in range(11)]}, "files",
     "Attach at most 10 files."),
])
def test_a_bad_claim_is_explained_and_nothing_is_written(app, world, values, name, message):
    request = funded(world.alpha, world.alpha_admin, approved=400_000)
    before = stored_rows()
    response = post_claim(client_of(app, world.alpha_admin), request.id, **values)
    refused(response, before)
    assert message in field_error(response, name)
    assert status_shown(response) == "Approved"


def test_a_claim_before_the_activity_is_over_is_refused(app, world):
    request = funded(world.alpha, world.alpha_admin, approved=400_000, days_ago=None)
    before = stored_rows()
    response = post_claim(client_of(app, world.alpha_admin), request.id)
    refused(response, before)
    assert flashed_errors(response) == [
        f"Claim once the activity is over (it ends on {request.ends_on.isoformat()})."]


@pytest.mark.parametrize(("values", "name", "message"), [
    ({"action": "approve", "amount": "400,000", "note": ""}, "amount",
     "Approve at most the 350,000 JPY claimed."),
    ({"action": "approve", "amount": "300,000", "note": ""}, "note",
     "Say why less than the claim will be paid: the partner reads it."),
    ({"action": "return", "note": ""}, "note", "Say what the partner should fix in the claim."),
])
def test_a_bad_claim_decision_is_explained_and_nothing_is_written(app, world, values, name,
                                                                  message):
    request = funded(world.alpha, world.alpha_admin, status=MdfStatus.CLAIMED,
                     claimed=350_000)
    before = stored_rows()
    response = client_of(app, world.manager).post(
        f"/mdf/requests/{request.id}/claim-decision", data=values)
    refused(response, before)
    assert message in field_error(response, name)


@pytest.mark.parametrize(("when", "reference", "name", "message"), [
    (1, "TRF-1", "paid_on",
     "Record a payment once it is made: the date cannot be in the future."),
    (-30, "TRF-1", "paid_on", "The payment cannot be dated before the activity."),
    (0, "", "reference", "This field is required."),
])
def test_a_bad_payment_is_explained_and_nothing_is_written(app, world, when, reference, name,
                                                           message):
    request = funded(world.alpha, world.alpha_admin, status=MdfStatus.CLAIM_APPROVED,
                     claimed=350_000, payable=350_000)
    before = stored_rows()
    response = client_of(app, world.manager).post(f"/mdf/requests/{request.id}/payment", data={
        "paid_on": (today() + timedelta(days=when)).isoformat(), "reference": reference})
    refused(response, before)
    assert message in field_error(response, name)


def test_a_step_the_status_does_not_allow_is_refused(app, world):
    request = funded(world.alpha, world.alpha_admin, approved=400_000)
    before = stored_rows()
    manager = client_of(app, world.manager)
    response = manager.post(f"/mdf/requests/{request.id}/payment", data={
        "paid_on": today().isoformat(), "reference": "TRF-1"})
    # The page as the request is now (no payment form for an approved request), and why.
    refused(response, before, status=302)
    assert response.headers["Location"].endswith(f"/mdf/requests/{request.id}")
    page = manager.get(f"/mdf/requests/{request.id}")
    assert flashed_errors(page) == [
        "This request has changed meanwhile: reload the page and look again."]
    assert "Record the payment" not in page_of(page)


def test_an_adjustment_changes_the_allocation_with_its_note(app, world):
    funded(world.alpha, world.alpha_admin, status=MdfStatus.SUBMITTED, requested=600_000,
           days_ago=None)
    manager = client_of(app, world.manager)
    key = service.current_period().key
    response = manager.post(f"/mdf/partners/alpha/adjust?period={key}", data={
        "delta": "+500,000", "note": "Joint year-end campaign."})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/mdf/partners/alpha?period={key}"
    allocation = db.session.scalar(select(MdfAllocation))
    assert (allocation.base_amount, allocation.amount) == (GOLD_MDF, 2_000_000)
    page = client_of(app, world.alpha_admin).get("/mdf")
    assert balance_shown(page)["Allocated"] == "2,000,000 JPY (tier: 1,500,000)"
    assert balance_shown(page)["Available"] == "1,400,000 JPY"
    assert "+500,000 JPY" in page_of(page) and "Joint year-end campaign." in page_of(page)
    response = manager.post("/mdf/partners/alpha/adjust", data={
        "delta": "-1,400,000", "note": "Unused funds go to the summit."})
    assert response.status_code == 302
    assert balance_shown(client_of(app, world.alpha_admin).get("/mdf"))["Available"] == \
        "0 JPY"


@pytest.mark.parametrize(("values", "name", "message"), [
    ({"delta": "-1,000,000", "note": "Budget cut."}, "delta",
     "The allocation cannot go below what requests already hold (600,000 JPY)."),
    ({"delta": "+500,000", "note": ""}, "note", "This field is required."),
    ({"delta": "0", "note": "Nothing."}, "delta", "Enter an amount above zero."),
    ({"delta": "a lot", "note": "More."}, "delta", "Enter the amount as a whole number"),
])
def test_a_bad_adjustment_is_explained_and_nothing_is_written(app, world, values, name,
                                                              message):
    funded(world.alpha, world.alpha_admin, status=MdfStatus.SUBMITTED, requested=600_000,
           days_ago=None)
    before = stored_rows()
    response = client_of(app, world.manager).post("/mdf/partners/alpha/adjust", data=values)
    refused(response, before)
    assert message in field_error(response, name)


def test_a_past_periods_allocation_cannot_change(app, world):
    past = service.current_period().previous()
    before = stored_rows()
    response = client_of(app, world.manager).post(
        f"/mdf/partners/alpha/adjust?period={past.key}",
        data={"delta": "+500,000", "note": "Late."})
    refused(response, before)
    assert flashed_errors(response) == [
        "Only the running period's allocation can change: a period that has ended is closed, "
        "one to come opens at its tier's allocation."]


def test_a_period_to_come_cannot_be_adjusted_before_it_opens(app, world):
    following = service.current_period().next()
    before = stored_rows()
    manager = client_of(app, world.manager)
    response = manager.post(f"/mdf/partners/alpha/adjust?period={following.key}",
                            data={"delta": "+100,000", "note": "Early."})
    refused(response, before)
    assert "Adjust the allocation" not in page_of(
        manager.get(f"/mdf/partners/alpha?period={following.key}"))


JUNK_PERIODS = ["junk", "2026-Q5", "2026-Q0", "2026-H1", "1999-Q1", "26-Q1", "2026-Q1x",
                "2026", "-Q1", "２０２６-Q1", "0000-Q1", "%", "2026-Q1-Q2", " 2026-Q1"]


@pytest.mark.parametrize("key", JUNK_PERIODS)
def test_junk_periods_fall_back_to_the_current_one(app, world, key):
    current = service.current_period()
    for user, path in ((world.alpha_admin, "/mdf"), (world.manager, "/mdf"),
                       (world.manager, "/mdf/partners/alpha"),
                       (world.alpha_admin, "/mdf/returns")):
        response = client_of(app, user).get(path, query_string={"period": key})
        assert response.status_code == 200, (path, key)
        assert f"{current.key}: " in page_of(response), (path, key)
    response = client_of(app, world.alpha_admin).get("/mdf/requests.csv",
                                                     query_string={"period": key})
    assert response.status_code == 200
    assert f'filename="mdf-requests-{current.key}.csv"' in \
        response.headers["Content-Disposition"]


@pytest.mark.parametrize("key", ["9999-Q4", "9999-Q3", "9998-Q1", "9997-Q4"])
def test_the_last_periods_of_the_calendar_do_not_crash_the_pages(app, world, key):
    """The pages link to the period after the one shown: the calendar ends at 9999-12-31."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash is a 500 page, as in production
    for user, path in ((world.alpha_admin, "/mdf"), (world.manager, "/mdf"),
                       (world.alpha_admin, "/mdf/returns"),
                       (world.alpha_admin, "/mdf/requests.csv")):
        response = client_of(app, user).get(path, query_string={"period": key})
        assert response.status_code == 200, (path, key, response.status_code)


def test_another_period_is_shown_when_asked_for(app, world):
    funded(world.alpha, world.alpha_admin, "This quarter's seminar")
    client = client_of(app, world.alpha_admin)
    following = service.current_period().next()
    response = client.get("/mdf", query_string={"period": following.key})
    page = page_of(response)
    assert f"{following.key}: " in page
    assert "This period has not started yet" in page
    assert "Request funds" not in page  # only in the current period
    requests = page.split('id="requests"', 1)[1].split("</section>", 1)[0]
    assert "No requests in this period." in requests
    # The approved activity is still to be claimed: shown apart, as another period's.
    elsewhere = page.split('id="elsewhere"', 1)[1]
    assert "This quarter's seminar" in elsewhere
    previous = service.current_period().previous()
    page = page_of(client.get("/mdf", query_string={"period": previous.key}))
    assert f"{previous.key}: " in page
    assert "No requests in this period." in page.split('id="requests"', 1)[1]


# --- Proof files ---------------------------------------------------------------------------


def test_a_proof_file_downloads_as_an_inert_attachment(app, world):
    request = funded(world.alpha, world.alpha_admin, status=MdfStatus.CLAIMED,
                     claimed=350_000)
    proof = with_proof(request, PDF, "請求書.pdf")
    for user in (world.alpha_admin, world.alpha_sales, world.manager):
        response = fetch(client_of(app, user),
                         f"/mdf/requests/{request.id}/files/{proof.id}")
        assert response.status_code == 200, user.email
        assert response.data == PDF
        assert response.mimetype == "application/pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert response.headers["Cache-Control"] == "private, no-store"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith(
            f'attachment; filename="mdf-{request.id}-proof-{proof.id}.pdf"')
        assert disposition.endswith("filename*=UTF-8''%E8%AB%8B%E6%B1%82%E6%9B%B8.pdf")
    assert fetch(client_of(app, world.beta_admin),
                 f"/mdf/requests/{request.id}/files/{proof.id}").status_code == 404
    assert fetch(client_of(app, world.alpha_admin),
                 f"/mdf/requests/{request.id}/files/{proof.id + 1}").status_code == 404


def test_a_proof_file_lost_by_the_storage_is_a_404_page(app, world):
    request = funded(world.alpha, world.alpha_admin, status=MdfStatus.CLAIMED,
                     claimed=350_000)
    proof = with_proof(request)
    proof.sha256 = "0" * 64
    db.session.commit()
    response = fetch(client_of(app, world.alpha_admin),
                     f"/mdf/requests/{request.id}/files/{proof.id}")
    assert response.status_code == 404
    assert "This file cannot be found right now." in page_of(response)


# --- Deals credited to an activity, and the return ----------------------------------------


def deal_form(**values) -> dict[str, str]:
    return {"customer_name": "Hanamaru Foods K.K.", "amount": "2,000,000", "currency": "JPY",
            "product": "Nimbus CRM", "description": "", "expected_close_on": ""} | values


def test_the_deal_form_offers_only_the_companys_approved_activities(app, world):
    approved = funded(world.alpha, world.alpha_admin, "Osaka seminar")
    claimed = funded(world.alpha, world.alpha_admin, "Search ads", status=MdfStatus.CLAIMED,
                     claimed=350_000, activity=MdfActivityType.DIGITAL_ADS)
    funded(world.alpha, world.alpha_admin, "Waiting", status=MdfStatus.SUBMITTED,
           days_ago=None)
    funded(world.alpha, world.alpha_admin, "Cancelled", status=MdfStatus.CANCELLED)
    funded(world.alpha, world.alpha_admin, "Rejected", status=MdfStatus.REJECTED,
           approved=None)
    funded(world.beta, world.beta_admin, "Beta roadshow")
    response = client_of(app, world.alpha_sales).get("/deals/new")
    assert response.status_code == 200
    assert sorted(options_of(response, "mdf_request")) == sorted([
        ("", "None"), (str(approved.id), f"#{approved.id} Osaka seminar"),
        (str(claimed.id), f"#{claimed.id} Search ads")])


def test_a_company_without_approved_activities_is_not_offered_the_field(app, world):
    funded(world.alpha, world.alpha_admin, "Waiting", status=MdfStatus.SUBMITTED,
           days_ago=None)
    page = page_of(client_of(app, world.alpha_sales).get("/deals/new"))
    assert 'name="mdf_request"' not in page and "MDF activity" not in page
    response = client_of(app, world.alpha_sales).post("/deals/new", data=deal_form())
    assert response.status_code == 302
    assert db.session.scalar(select(Deal.mdf_request_id)) is None


@pytest.mark.parametrize("own_activity", [True, False])
def test_another_companys_activity_cannot_be_credited(app, world, own_activity):
    if own_activity:
        funded(world.alpha, world.alpha_admin, "Osaka seminar")
    theirs = funded(world.beta, world.beta_admin, "Beta roadshow")
    before = stored_rows()
    response = client_of(app, world.alpha_sales).post(
        "/deals/new", data=deal_form(mdf_request=str(theirs.id)))
    page = refused(response, before)
    assert "Beta roadshow" not in page
    # The refusal is explained, whether or not the company has activities of its own.
    assert field_error(response, "mdf_request") or flashed_errors(response), \
        "the deal was refused without a word"


def test_an_activity_cancelled_while_the_deal_form_was_open_is_explained(app, world):
    activity = funded(world.alpha, world.alpha_admin, "Osaka seminar", days_ago=None)
    sales = client_of(app, world.alpha_sales)
    assert (str(activity.id), f"#{activity.id} Osaka seminar") in options_of(
        sales.get("/deals/new"), "mdf_request")
    response = client_of(app, world.alpha_admin).post(f"/mdf/requests/{activity.id}/cancel")
    assert response.status_code == 302
    before = stored_rows()
    response = sales.post("/deals/new", data=deal_form(mdf_request=str(activity.id)))
    refused(response, before)
    assert field_error(response, "mdf_request") or flashed_errors(response), \
        "the deal was refused without a word"


def test_an_activity_not_approved_cannot_be_credited(app, world):
    funded(world.alpha, world.alpha_admin, "Osaka seminar")
    waiting = funded(world.alpha, world.alpha_admin, "Waiting", status=MdfStatus.SUBMITTED,
                     days_ago=None)
    before = stored_rows()
    response = client_of(app, world.alpha_sales).post(
        "/deals/new", data=deal_form(mdf_request=str(waiting.id)))
    refused(response, before)
    assert field_error(response, "mdf_request")


def test_a_deals_activity_is_changed_on_its_edit_page(app, world):
    seminar = funded(world.alpha, world.alpha_admin, "Osaka seminar")
    ads = funded(world.alpha, world.alpha_admin, "Search ads")
    theirs = funded(world.beta, world.beta_admin, "Beta roadshow")
    sales = client_of(app, world.alpha_sales)
    assert sales.post("/deals/new", data=deal_form(
        mdf_request=str(seminar.id))).status_code == 302
    deal = db.session.scalar(select(Deal))
    form = sales.get(f"/deals/{deal.id}/edit").get_data(as_text=True)
    choice = form.split('name="mdf_request"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option selected value="([^"]*)"', choice) == [str(seminar.id)]

    before = stored_rows()
    response = sales.post(f"/deals/{deal.id}/edit", data=deal_form(mdf_request=str(theirs.id)))
    refused(response, before)
    assert field_error(response, "mdf_request")
    response = sales.post(f"/deals/{deal.id}/edit", data=deal_form(mdf_request=str(ads.id)))
    assert response.status_code == 302
    assert db.session.get(Deal, deal.id).mdf_request_id == ads.id
    history = page_of(sales.get(f"/deals/{deal.id}"))
    assert "MDF activity" in history
    response = sales.post(f"/deals/{deal.id}/edit", data=deal_form(mdf_request=""))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Deal, deal.id).mdf_request_id is None


def test_a_won_deal_credited_to_an_activity_counts_in_the_return(app, world):
    activity = funded(world.alpha, world.alpha_admin, "Osaka seminar", status=MdfStatus.PAID,
                      claimed=350_000, payable=350_000)
    beta_activity = funded(world.beta, world.beta_admin, "Beta roadshow", approved=700_000)
    sales = client_of(app, world.alpha_sales)
    response = sales.post("/deals/new", data=deal_form(mdf_request=str(activity.id)))
    assert response.status_code == 302
    deal = db.session.scalar(select(Deal))
    assert (deal.organization_id, deal.mdf_request_id) == (world.alpha.id, activity.id)
    response = sales.post("/deals/new", data=deal_form(
        customer_name="Umeda Logistics", amount="1,000,000", mdf_request=str(activity.id)))
    assert response.status_code == 302
    detail = page_of(sales.get(f"/mdf/requests/{activity.id}"))
    assert "Hanamaru Foods K.K." in detail and "Umeda Logistics" in detail
    manager = client_of(app, world.manager)
    for action in ("approve", "won"):
        response = manager.post(f"/deals/{deal.id}/status", data={"action": action})
        assert response.status_code == 302
    assert db.session.get(Deal, deal.id).status == DealStatus.WON

    response = sales.get("/mdf/returns")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Beta roadshow" not in page
    row = page.split(f'href="/mdf/requests/{activity.id}"', 1)[1].split("</tr>", 1)[0]
    cells = [plain(cell) for cell in re.findall(r'<td class="num">(.*?)</td>', row, re.S)]
    # Spent, deals, pipeline, won, won per unit spent.
    assert cells == ["350,000", "2", "1,000,000", "2,000,000", "5.7"]
    total = page.split("<tfoot>", 1)[1]
    assert [plain(cell) for cell in re.findall(r'<td class="num">(.*?)</td>', total,
                                               re.S)] == cells

    rows = csv_rows(sales.get("/mdf/returns.csv"))
    assert [(r["request"], r["spent"], r["deals"], r["pipeline"], r["won"],
             r["won_per_unit_spent"]) for r in rows] == [
        (str(activity.id), "350000", "2", "1000000", "2000000", "5.71")]
    everyone = csv_rows(manager.get("/mdf/returns.csv"))
    assert sorted(r["request"] for r in everyone) == sorted([str(activity.id),
                                                              str(beta_activity.id)])


# --- CSV exports ------------------------------------------------------------------------------


def test_the_request_csv_is_scoped_to_the_partners_company(app, world):
    mine = funded(world.alpha, world.alpha_admin, "Alpha seminar", status=MdfStatus.PAID,
                  claimed=350_000, payable=350_000)
    theirs = funded(world.beta, world.beta_admin, "Beta roadshow", approved=700_000)
    period = service.current_period()
    for user in (world.alpha_admin, world.alpha_sales):
        response = client_of(app, user).get("/mdf/requests.csv")
        assert f'filename="mdf-requests-{period.key}.csv"' in \
            response.headers["Content-Disposition"]
        rows = csv_rows(response)
        assert [(r["partner"], r["request"], r["title"], r["status"], r["approved"],
                 r["payable"]) for r in rows] == [
            ("Alpha Systems K.K.", str(mine.id), "Alpha seminar", "paid", "400000", "350000")]
        assert all(r["period"] == period.key for r in rows)
    rows = csv_rows(client_of(app, world.beta_admin).get("/mdf/requests.csv"))
    assert [r["request"] for r in rows] == [str(theirs.id)]
    rows = csv_rows(client_of(app, world.manager).get("/mdf/requests.csv"))
    assert sorted(r["partner"] for r in rows) == ["Alpha Systems K.K.", "Beta Solutions Inc."]


def test_the_return_csv_is_scoped_to_the_partners_company(app, world):
    mine = funded(world.alpha, world.alpha_admin, "Alpha seminar")
    funded(world.beta, world.beta_admin, "Beta roadshow", approved=700_000)
    for user in (world.alpha_admin, world.alpha_sales):
        rows = csv_rows(client_of(app, user).get("/mdf/returns.csv"))
        assert [(r["partner"], r["request"], r["spent"]) for r in rows] == [
            ("Alpha Systems K.K.", str(mine.id), "400000")]


def test_csv_cells_cannot_run_as_formulas(app, world):
    funded(world.alpha, world.alpha_admin, "=HYPERLINK(\"https://evil.test\")")
    for path in ("/mdf/requests.csv", "/mdf/returns.csv"):
        rows = csv_rows(client_of(app, world.alpha_admin).get(path))
        assert [r["title"] for r in rows] == ["'=HYPERLINK(\"https://evil.test\")"], path
