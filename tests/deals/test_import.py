"""Importing deals from the vendor's CRM: the CSV upload, `lms deals import`, and the
upsert the JSON API uses. One transaction; a bad row stops everything unless skipped."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lms.clock import local_date
from lms.deals.crm import import_deals, upsert_from_mapping
from lms.extensions import db
from lms.models import AuditAction, AuditEvent, Deal, DealStatus, Role, utcnow
from tests.factories import make_org, make_user, signed_in
from tests.factories.deals import deal_count, events_of, fresh, html, register

HEADER = "external_id,partner,customer,amount,currency,product,status,closed_on," \
         "rejection_reason"
GOOD = [
    'CRM-1,alpha,(株)サクラ商事,"30,000,000",JPY,Enterprise,,,',
    "CRM-2,beta,Acme Inc.,12000,USD,,approved,,",
    "CRM-3,alpha,Globex,500,,,won,2026-01-15,",
]


def csv_file(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode(encoding)


def upload(client, data: bytes, *, skip: bool = False, check: bool = False,
           filename: str = "deals.csv"):
    form = {"file": (io.BytesIO(data), filename)}
    if skip:
        form["skip_bad_rows"] = "y"
    form["check" if check else "submit"] = "1"
    return client.post("/deals/import", data=form, content_type="multipart/form-data")


def deals_by_external_id() -> dict[str, Deal]:
    db.session.expire_all()
    return {d.external_id: d for d in db.session.scalars(select(Deal))}


# --- Over HTTP ----------------------------------------------------------------------------


def test_only_vendor_staff_import(people, client_for):
    for who in ("alpha_sales", "alpha_admin"):
        client = client_for(getattr(people, who))
        assert client.get("/deals/import").status_code == 403
        assert upload(client, csv_file(*GOOD)).status_code == 403
    assert deal_count() == 0
    page = html(client_for(people.manager).get("/deals/import"))
    assert "external_id" in page and "Skip bad rows" in page and "Check only" in page


def test_a_good_file_is_imported_with_history_and_audit(people, client_for):
    response = upload(client_for(people.manager), csv_file(*GOOD))
    assert response.status_code == 200
    page = html(response)
    assert "Imported." in page
    deals = deals_by_external_id()
    assert set(deals) == {"CRM-1", "CRM-2", "CRM-3"}
    sakura, acme, globex = deals["CRM-1"], deals["CRM-2"], deals["CRM-3"]
    assert (sakura.organization_id, sakura.amount, sakura.customer_key, sakura.product) == (
        people.alpha.id, 30_000_000, "サクラ商事", "Enterprise")
    assert sakura.status == DealStatus.REGISTERED and sakura.registered_by_id is None
    assert acme.status == DealStatus.APPROVED and acme.approved_at is not None
    assert (acme.currency, acme.organization_id) == ("USD", people.beta.id)
    assert globex.status == DealStatus.WON
    assert local_date(globex.closed_at) == date(2026, 1, 15)
    [event] = events_of(globex)
    assert (event.source, event.actor_id, event.to_status) == ("import", people.manager.id,
                                                               DealStatus.WON)
    assert event.changes["closed_at"] == ["", "2026-01-15"]
    audit = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == AuditAction.DEALS_IMPORTED))
    assert audit.actor_id == people.manager.id
    assert audit.detail["created"] == "3" and audit.detail["bad_rows"] == "0"


def test_one_bad_row_writes_nothing_and_is_reported(people, client_for):
    response = upload(client_for(people.manager), csv_file(GOOD[0], "CRM-9,alpha,Bad,ten,,,,,",
                                                            GOOD[1]))
    assert response.status_code == 200
    page = html(response)
    assert "Nothing was imported: 1 row has errors." in page
    assert ('<tr><td class="num">3</td><td><code>amount</code></td><td>Enter the amount as a '
            'whole number') in page
    assert deal_count() == 0
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == AuditAction.DEALS_IMPORTED)) is None


def test_skip_bad_rows_imports_the_good_ones(people, client_for):
    response = upload(client_for(people.manager),
                      csv_file(GOOD[0], "CRM-9,alpha,Bad,ten,,,,,", "CRM-8,nobody,X,1,,,,,",
                               GOOD[1]), skip=True)
    page = html(response)
    assert "2 bad rows were skipped." in page
    assert '<td class="num">4</td><td><code>partner</code></td>' in page
    assert set(deals_by_external_id()) == {"CRM-1", "CRM-2"}
    page = html(upload(client_for(people.manager), csv_file("CRM-7,alpha,Bad,ten,,,,,"),
                       skip=True))
    assert "Nothing was imported: every row has errors." in page


def test_check_only_reports_and_writes_nothing(people, client_for):
    client = client_for(people.manager)
    page = html(upload(client, csv_file(*GOOD), check=True))
    assert "Check of the file (nothing written)" in page
    assert "The file is valid." in page and "to create" in page
    assert deal_count() == 0
    page = html(upload(client, csv_file(GOOD[0], "CRM-9,alpha,Bad,ten,,,,,"), check=True,
                       skip=True))
    assert "Enter the amount as a whole number" in page
    assert deal_count() == 0


def test_importing_the_same_file_again_changes_nothing(people, client_for):
    client = client_for(people.manager)
    upload(client, csv_file(*GOOD))
    before = {key: (d.updated_at, len(events_of(d))) for key, d in deals_by_external_id().items()}
    report = import_deals(csv_file(*GOOD), people.manager)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    page = html(upload(client, csv_file(*GOOD)))
    assert "Imported." in page
    after = {key: (d.updated_at, len(events_of(d))) for key, d in deals_by_external_id().items()}
    assert after == before


def test_an_update_by_external_id_changes_status_and_records_history(people, client_for):
    client = client_for(people.manager)
    upload(client, csv_file(*GOOD))
    # The CRM closed it in February: it also says when it was registered (a deal is never
    # closed before its registration; without registered_on the row would be refused).
    response = upload(client, csv_file(
        'CRM-1,alpha,(株)サクラ商事,"31,000,000",JPY,Enterprise,won,2026-02-01,,2026-01-05',
        "CRM-2,beta,Acme Inc.,12000,USD,,rejected,,Duplicate of CRM-7,",
        header=HEADER + ",registered_on"))
    assert "Imported." in html(response)
    deals = deals_by_external_id()
    sakura, acme = deals["CRM-1"], deals["CRM-2"]
    assert sakura.status == DealStatus.WON and sakura.amount == 31_000_000
    assert local_date(sakura.closed_at) == date(2026, 2, 1)
    event = events_of(sakura)[-1]
    assert (event.from_status, event.to_status, event.source) == (
        DealStatus.REGISTERED, DealStatus.WON, "import")
    assert event.changes["amount"] == ["30000000", "31000000"]
    assert event.changes["closed_at"] == ["", "2026-02-01"]
    assert event.changes["registered_at"][1] == "2026-01-05"
    assert acme.status == DealStatus.REJECTED and acme.rejected_at is not None
    assert acme.rejection_reason == "Duplicate of CRM-7"
    assert events_of(acme)[-1].note == "Duplicate of CRM-7"
    # The history shows it to the partner too.
    page = html(client_for(people.alpha_sales).get(f"/deals/{sakura.id}"))
    assert "CSV import" in page and "Registered → Won" in page


def test_a_deal_cannot_move_to_another_partner(people, client_for):
    register(people.alpha, people.alpha_sales, external_id="CRM-1")
    page = html(upload(client_for(people.manager),
                       csv_file("CRM-1,beta,Sakura,100,,,,,")))
    assert "belongs to another partner company" in page
    assert deals_by_external_id()["CRM-1"].organization_id == people.alpha.id


def test_a_file_that_cannot_be_read(people, client_for):
    client = client_for(people.manager)
    page = html(upload(client, csv_file("CRM-1,alpha,x,1", header="id,partner,customer,amount")))
    assert "Unknown column(s): id" in page and "Missing required column(s): external_id" in page
    assert "The file cannot be imported; nothing was written." in page
    page = html(upload(client, b"\xff\xfe\x81\x00" * 8))
    assert "neither UTF-8 nor Shift_JIS" in page


def test_shift_jis_upload(people, client_for):
    upload(client_for(people.manager), csv_file(GOOD[0], encoding="cp932"))
    assert deals_by_external_id()["CRM-1"].customer_name == "(株)サクラ商事"


def test_no_file_chosen(people, client_for):
    response = client_for(people.manager).post("/deals/import", data={"submit": "1"})
    assert response.status_code == 400
    assert "Choose the CSV file to import." in html(response)


def test_imported_rows_are_checked_for_conflicts(people, client_for):
    web = register(people.alpha, people.alpha_sales, "Globex K.K.",
                   now=utcnow() - timedelta(days=5))
    upload(client_for(people.manager), csv_file(
        "CRM-1,beta,GLOBEX,100,,,,,", "CRM-2,alpha,Initech,100,,,,,",
        "CRM-3,beta,initech inc,100,,,,,"))
    deals = deals_by_external_id()
    assert deals["CRM-1"].conflict_with_id == web.id
    assert deals["CRM-2"].conflict_with_id is None
    # Rows of one file conflict with each other too: the earlier row owns the customer.
    assert deals["CRM-3"].conflict_with_id == deals["CRM-2"].id


def test_a_back_dated_registration(people, client_for):
    upload(client_for(people.manager), csv_file(
        "CRM-1,alpha,Sakura,100,2026-01-10", header="external_id,partner,customer,amount,"
                                                   "registered_on"))
    deal = deals_by_external_id()["CRM-1"]
    assert local_date(deal.registered_at) == date(2026, 1, 10)


def test_a_year_one_date_in_a_csv_import_is_a_row_error(app500):
    make_org("alpha")
    client = signed_in(app500, make_user(Role.MANAGER))
    data = b"external_id,partner,customer,amount,registered_on\nx1,alpha,Acme,1,0001-01-01\n"
    response = client.post("/deals/import", data={"file": (io.BytesIO(data), "deals.csv")},
                           content_type="multipart/form-data")
    assert response.status_code in (200, 400)
    assert db.session.scalar(select(Deal.id)) is None


# --- The command line ---------------------------------------------------------------------


@pytest.fixture
def write(tmp_path):
    def make(data: bytes):
        path = tmp_path / "deals.csv"
        path.write_bytes(data)
        return str(path)

    return make


def test_cli_import(people, runner, write):
    result = runner.invoke(args=["deals", "import", write(csv_file(*GOOD))])
    assert result.exit_code == 0, result.output
    assert "Imported: 3 created, 0 updated, 0 unchanged." in result.output
    assert len(deals_by_external_id()) == 3
    assert events_of(deals_by_external_id()["CRM-1"])[0].actor_id is None
    result = runner.invoke(args=["deals", "import", write(csv_file(*GOOD))])
    assert "Imported: 0 created, 0 updated, 3 unchanged." in result.output


def test_cli_refuses_a_file_with_a_bad_row(people, runner, write):
    result = runner.invoke(args=["deals", "import",
                                 write(csv_file(GOOD[0], "CRM-9,alpha,Bad,ten,,,,,"))])
    assert result.exit_code == 1
    assert "row 3, amount: Enter the amount as a whole number" in result.output
    assert "Nothing was written: 1 row(s) have errors." in result.output
    assert deal_count() == 0


def test_cli_dry_run(people, runner, write):
    path = write(csv_file(*GOOD))
    result = runner.invoke(args=["deals", "import", "--dry-run", path])
    assert result.exit_code == 0
    assert "Check only, nothing written: 3 created" in result.output
    assert deal_count() == 0
    result = runner.invoke(args=["deals", "import", "--dry-run",
                                 write(csv_file(GOOD[0], "CRM-1,alpha,Bad,1,,,,,"))])
    assert result.exit_code == 1 and "already on row 2" in result.output


def test_cli_skip_bad_rows(people, runner, write):
    result = runner.invoke(args=["deals", "import", "--skip-bad-rows",
                                 write(csv_file(GOOD[0], "CRM-9,alpha,Bad,ten,,,,,"))])
    assert result.exit_code == 0
    assert "1 bad row(s) skipped" in result.output
    assert set(deals_by_external_id()) == {"CRM-1"}


def test_cli_skip_bad_rows_when_every_row_is_bad(people, runner, write):
    result = runner.invoke(args=["deals", "import", "--skip-bad-rows",
                                 write(csv_file("CRM-9,alpha,Bad,ten,,,,,"))])
    assert result.exit_code == 1
    assert "Nothing was written: every row has errors." in result.output


def test_cli_unreadable_file(people, runner, write):
    result = runner.invoke(args=["deals", "import", write(b"")])
    assert result.exit_code == 1 and "The file is empty" in result.output


# --- upsert_from_mapping (the JSON API) ---------------------------------------------------


def test_upsert_creates_then_updates_then_leaves_alone(people):
    deal, created, errors = upsert_from_mapping(
        "SF-1", {"partner": "alpha", "customer": "Acme Inc.", "amount": 2_000_000,
                 "currency": "usd", "expected_close": "2027-01-31"}, actor=people.manager)
    db.session.commit()
    assert (created, errors) == (True, [])
    deal = fresh(deal)
    assert (deal.external_id, deal.amount, deal.currency, deal.organization_id) == (
        "SF-1", 2_000_000, "USD", people.alpha.id)
    assert events_of(deal)[0].source == "api"

    again, created, errors = upsert_from_mapping(
        "SF-1", {"partner": "alpha", "customer": "Acme Inc.", "amount": "2,000,000",
                 "currency": "USD", "expected_close": "2027-01-31"})
    db.session.commit()
    assert (again.id, created, errors) == (deal.id, False, [])
    assert len(events_of(deal)) == 1

    _same, created, errors = upsert_from_mapping(
        "SF-1", {"partner": "alpha", "customer": "Acme Inc.", "amount": 2_500_000,
                 "currency": "USD", "status": "approved"})
    db.session.commit()
    assert not created and errors == []
    deal = fresh(deal)
    assert deal.status == DealStatus.APPROVED and deal.amount == 2_500_000
    event = events_of(deal)[-1]
    assert event.changes == {"amount": ["2000000", "2500000"],
                             "expected_close_on": ["2027-01-31", ""]}
    assert (event.from_status, event.to_status) == (DealStatus.REGISTERED, DealStatus.APPROVED)


def test_upsert_errors_write_nothing(people):
    deal, created, errors = upsert_from_mapping(
        "SF-2", {"partner": "nobody", "customer": "", "amount": -1})
    assert (deal, created) == (None, False)
    assert [(e.row, e.column) for e in errors] == [
        (None, "partner"), (None, "customer"), (None, "amount")]
    db.session.commit()
    assert deal_count() == 0


def test_upsert_refuses_to_move_a_deal_to_another_partner(people):
    register(people.alpha, None, external_id="SF-3")
    deal, _created, errors = upsert_from_mapping(
        "SF-3", {"partner": "beta", "customer": "Acme", "amount": 1})
    assert deal is None and [e.column for e in errors] == ["partner"]


def test_closing_an_existing_deal_before_its_registration_is_a_row_error(people, client_for):
    client = client_for(people.manager)
    upload(client, csv_file(*GOOD))  # CRM-1 registered today
    response = upload(client, csv_file(
        'CRM-1,alpha,(株)サクラ商事,"31,000,000",JPY,Enterprise,won,2026-02-01,'))
    page = html(response)
    assert "The close date is before the registration date" in page
    assert deals_by_external_id()["CRM-1"].status == DealStatus.REGISTERED


def test_a_new_deal_closed_in_the_past_is_registered_no_later_than_it_closed(people,
                                                                             client_for):
    upload(client_for(people.manager), csv_file("CRM-9,alpha,Initech,900,,,won,2026-01-15,"))
    deal = deals_by_external_id()["CRM-9"]
    assert deal.registered_at <= deal.closed_at
    assert local_date(deal.registered_at) == date(2026, 1, 15)
