"""The CSV reader and the row checks: pure, no application or database."""

from __future__ import annotations

from datetime import date

import pytest

from lms.deals import importer
from lms.deals.importer import parse_csv
from lms.deals.validation import FieldError, parse_amount, validate_row
from lms.models import DealStatus

TODAY = date(2026, 5, 15)
PARTNERS = {"alpha", "beta"}
HEADER = "external_id,partner,customer,amount,currency,product,status,registered_on,closed_on"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode(encoding)


def parse(data: bytes):
    return parse_csv(data, known_partners=PARTNERS, today=TODAY)


def where(errors: list[FieldError]) -> list[tuple[int | None, str]]:
    return [(e.row, e.column) for e in errors]


def row(**values) -> dict:
    base = {"external_id": "CRM-1", "partner": "alpha", "customer": "株式会社サクラ",
            "amount": "1,000"}
    return base | values


def check(**values):
    return validate_row(row(**values), row=2, known_partners=PARTNERS, today=TODAY)


# --- Amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("30000000", 30_000_000), ("30,000,000", 30_000_000), ("３０００００", 300_000),
    ("３０，０００", 30_000), (" 1,234 ", 1234), ("1", 1), (1500, 1500), (1500.0, 1500),
    ("10000000000000", 10**13),
])
def test_amounts_accepted(text, expected):
    assert parse_amount(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("", "Enter the amount"), ("-5", "cannot be negative"), (-5, "cannot be negative"),
    ("1.5", "without decimals"), ("1,000.50", "without decimals"), (2.5, "without decimals"),
    ("1,00,000", "whole number"), ("12,34", "whole number"), ("¥1000", "whole number"),
    ("abc", "whole number"), ("1e6", "whole number"), ("10000000000001", "too large"),
    (True, "whole number"), ("0", "above zero"), (0, "above zero"), ("０", "above zero"),
])
def test_amounts_refused_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_amount(text)


# --- One row ------------------------------------------------------------------------------


def test_a_good_row_with_defaults():
    deal, errors = check()
    assert errors == []
    assert deal.external_id == "CRM-1" and deal.partner == "alpha"
    assert deal.customer == "株式会社サクラ" and deal.amount == 1000
    assert deal.currency == "JPY" and deal.status == DealStatus.REGISTERED
    assert deal.registered_on is None and deal.closed_on is None and deal.product == ""


def test_values_are_trimmed_and_normalised():
    deal, errors = check(customer="  Acme Inc. ", partner=" ALPHA ", currency=" usd ",
                         status=" Won ", closed_on="2026-05-01", amount=" ２，０００ ")
    assert errors == []
    assert (deal.customer, deal.partner, deal.currency, deal.status, deal.amount) == (
        "Acme Inc.", "alpha", "USD", DealStatus.WON, 2000)


def test_api_values_may_be_numbers_and_dates():
    deal, errors = validate_row(
        {"external_id": "X", "partner": "beta", "customer": "Acme", "amount": 2500,
         "expected_close": date(2026, 9, 30), "registered_on": None},
        row=None, known_partners=PARTNERS, today=TODAY)
    assert errors == []
    assert deal.amount == 2500 and deal.expected_close_on == date(2026, 9, 30)


@pytest.mark.parametrize(("values", "column", "reason"), [
    ({"external_id": ""}, "external_id", "Required"),
    ({"partner": ""}, "partner", "Required"),
    ({"partner": "gamma"}, "partner", "No partner company has the short name gamma"),
    ({"customer": "  "}, "customer", "Required"),
    ({"customer": "x" * 201}, "customer", "at most 200"),
    ({"amount": ""}, "amount", "Required"),
    ({"amount": "1.5"}, "amount", "without decimals"),
    ({"currency": "YEN"}, "currency", "Unknown currency YEN"),
    ({"expected_close": "30/09/2026"}, "expected_close", "YYYY-MM-DD"),
    ({"expected_close": "2026-02-30"}, "expected_close", "YYYY-MM-DD"),
    ({"status": "pending"}, "status", "Unknown status pending"),
    ({"registered_on": "2026-05-16"}, "registered_on", "cannot be in the future"),
    ({"status": "won"}, "closed_on", "Required for a won or lost deal"),
    ({"status": "lost", "closed_on": "2026-05-16"}, "closed_on", "cannot be in the future"),
    ({"status": "won", "closed_on": "2026-01-01", "registered_on": "2026-02-01"},
     "closed_on", "before the registration date"),
    ({"closed_on": "2026-05-01"}, "closed_on", "Only a won or lost deal"),
    ({"status": "rejected"}, "rejection_reason", "Required for a rejected deal"),
    ({"rejection_reason": "no"}, "rejection_reason", "Only a rejected deal"),
    ({"customer": "Acme\x00"}, "customer", "control character"),
    ({"product": "a\x1bb"}, "product", "control character"),
    ({"customer": "evil\u202ecorp"}, "customer", "control character"),
    ({"external_id": "x" * 101}, "external_id", "at most 100"),
])
def test_each_problem_names_its_column(values, column, reason):
    deal, errors = check(**values)
    assert deal is None
    assert [e.column for e in errors] == [column], errors
    assert errors[0].row == 2 and reason in errors[0].reason


def test_every_problem_of_a_row_is_reported():
    deal, errors = check(partner="gamma", amount="x", currency="ABC", status="won")
    assert deal is None
    assert [e.column for e in errors] == ["partner", "amount", "currency", "closed_on"]


def test_line_breaks_are_allowed_in_the_description_only():
    deal, errors = check(description="line one\nline two\ttabbed")
    assert errors == [] and deal.description == "line one\nline two\ttabbed"
    _deal, errors = check(customer="two\nlines")
    assert where(errors) == [(2, "customer")]


def test_a_rejected_row_carries_its_reason():
    deal, errors = check(status="rejected", rejection_reason="Duplicate of CRM-0")
    assert errors == [] and deal.rejection_reason == "Duplicate of CRM-0"


# --- Whole files --------------------------------------------------------------------------


def test_a_good_file():
    parsed = parse(csv_bytes("A-1,alpha,(株)サクラ商事,\"30,000,000\",JPY,CRM Pro,,,",
                             "A-2,beta,Acme Inc.,5000,USD,,won,2026-04-01,2026-05-10"))
    assert parsed.errors == []
    assert parsed.row_count == 2
    assert [(r.row, r.external_id, r.amount) for r in parsed.rows] == [
        (2, "A-1", 30_000_000), (3, "A-2", 5000)]
    assert parsed.rows[1].closed_on == date(2026, 5, 10)


def test_rows_are_spreadsheet_rows_and_bad_rows_are_listed():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,100,,,,,",
                             "A-2,alpha,Sakura,ten,,,,,",
                             "A-3,gamma,Sakura,100,,,,,"))
    assert where(parsed.errors) == [(3, "amount"), (4, "partner")]
    assert parsed.bad_rows == {3, 4}
    assert [r.external_id for r in parsed.rows] == ["A-1"]


def test_a_quoted_cell_with_a_line_break_is_one_row():
    parsed = parse_csv(
        b'external_id,partner,customer,amount,description\n'
        b'A-1,alpha,Sakura,100,"first line\nsecond line"\nA-2,alpha,Sakura,x,\n',
        known_partners=PARTNERS, today=TODAY)
    assert where(parsed.errors) == [(3, "amount")]
    assert parsed.rows[0].description == "first line\nsecond line"


def test_a_utf8_bom_is_ignored():
    parsed = parse(b"\xef\xbb\xbf" + csv_bytes("A-1,alpha,サクラ,100,,,,,"))
    assert parsed.errors == [] and parsed.rows[0].customer == "サクラ"


def test_shift_jis_from_excel_is_read():
    parsed = parse(csv_bytes("A-1,alpha,株式会社サクラ商事,１００,,,,,", encoding="cp932"))
    assert parsed.errors == []
    assert parsed.rows[0].customer == "株式会社サクラ商事" and parsed.rows[0].amount == 100


def test_bytes_that_are_no_text_are_one_file_error():
    parsed = parse(b"\xff\xfe\x00\x81\x00" * 10)
    assert len(parsed.errors) == 1 and parsed.errors[0].row is None
    assert "UTF-8" in parsed.errors[0].reason
    assert parsed.file_errors == parsed.errors


def test_an_empty_file():
    parsed = parse(b"")
    assert where(parsed.errors) == [(1, "")]
    assert "empty" in parsed.errors[0].reason


def test_unknown_columns_are_one_error_naming_them():
    parsed = parse(csv_bytes("A-1,alpha,x,1,2,3", header="external_id,partner,customer,amount,"
                                                         "Owner,Region"))
    assert len(parsed.errors) == 1
    assert parsed.errors[0].row == 1 and parsed.errors[0].column == "owner, region"
    assert "Unknown column(s): owner, region" in parsed.errors[0].reason
    assert parsed.rows == []


def test_missing_required_columns_are_one_error():
    parsed = parse(csv_bytes("Sakura,1", header="customer,amount"))
    assert len(parsed.errors) == 1
    assert "Missing required column(s): external_id, partner" in parsed.errors[0].reason


def test_a_column_given_twice():
    parsed = parse(csv_bytes("A,alpha,x,1,2", header="external_id,partner,customer,amount,"
                                                      "amount"))
    assert "more than once: amount" in parsed.errors[0].reason


def test_header_names_are_trimmed_and_case_insensitive_in_any_order():
    parsed = parse(csv_bytes("1000,Sakura,alpha,A-1", header=" Amount ,CUSTOMER,partner,"
                                                             "External_ID"))
    assert parsed.errors == [] and parsed.rows[0].amount == 1000


def test_duplicate_external_ids_are_an_error_on_the_later_row():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,100,,,,,", "A-2,alpha,Acme,100,,,,,",
                             "A-1,beta,Other,200,,,,,"))
    assert where(parsed.errors) == [(4, "external_id")]
    assert "already on row 2" in parsed.errors[0].reason
    assert [r.external_id for r in parsed.rows] == ["A-1", "A-2"]


def test_a_duplicate_of_a_bad_row_is_still_a_duplicate():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,bad,,,,,", "A-1,alpha,Sakura,100,,,,,"))
    assert where(parsed.errors) == [(2, "amount"), (3, "external_id")]
    assert parsed.rows == []


def test_empty_rows_are_skipped_but_counted_in_row_numbers():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,100,,,,,", ",,,,,,,,", "",
                             "A-2,alpha,Sakura,bad,,,,,"))
    assert where(parsed.errors) == [(5, "amount")]
    assert parsed.row_count == 2


def test_a_row_with_more_cells_than_the_header():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,100,,,,,,surprise"))
    assert where(parsed.errors) == [(2, "")]
    assert "10 cells; the header has 9" in parsed.errors[0].reason


def test_a_short_row_reads_missing_cells_as_empty():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,100"))
    assert parsed.errors == [] and parsed.rows[0].currency == "JPY"


def test_empty_unnamed_columns_left_by_excel_are_ignored():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,100,,", "A-2,alpha,Sakura,100,,x",
                             header="external_id,partner,customer,amount,,"))
    assert where(parsed.errors) == [(3, "")]
    assert len(parsed.rows) == 1


def test_a_nul_character_is_refused_in_its_cell():
    parsed = parse(csv_bytes("A-1,alpha,Sak\x00ura,100,,,,,"))
    assert where(parsed.errors) == [(2, "customer")]


def test_broken_quoting_stops_with_the_row_number():
    parsed = parse(csv_bytes("A-1,alpha,Sakura,100,,,,,", 'A-2,alpha,"Sak"ura,100,,,,,'))
    assert [e.row for e in parsed.errors] == [3]
    assert "cannot be read as CSV" in parsed.errors[0].reason


def test_status_rules_in_a_file():
    parsed = parse(csv_bytes("A-1,alpha,S,1,,,won,,",
                             "A-2,alpha,S,1,,,lost,,2026-05-01",
                             "A-3,alpha,S,1,,,expired,,",
                             "A-4,alpha,S,1,,,approved,,2026-05-01"))
    assert where(parsed.errors) == [(2, "closed_on"), (5, "closed_on")]
    assert [r.status for r in parsed.rows] == [DealStatus.LOST, DealStatus.EXPIRED]


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(importer, "MAX_ROWS", 3)
    parsed = parse(csv_bytes(*(f"A-{n},alpha,S,1,,,,," for n in range(4))))
    assert parsed.rows == [] and len(parsed.errors) == 1
    assert "more than 3 rows" in parsed.errors[0].reason


def test_too_large(monkeypatch):
    monkeypatch.setattr(importer, "MAX_BYTES", 100)
    parsed = parse(csv_bytes(*(f"A-{n},alpha,S,1,,,,," for n in range(10))))
    assert parsed.rows == [] and parsed.errors[0].row is None
    assert "larger than" in parsed.errors[0].reason


def test_errors_read_well_as_text():
    assert str(FieldError(3, "amount", "Enter the amount.")) == "row 3, amount: Enter the amount."
    assert str(FieldError(None, "", "Not CSV.")) == "file: Not CSV."
    assert str(FieldError(4, "", "Too many cells.")) == "row 4: Too many cells."
    assert str(FieldError(None, "amount", "Too large.")) == "amount: Too large."
