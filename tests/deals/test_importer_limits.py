"""The CSV reader's limits and broken encodings (issue 13): what a hostile or damaged file
gets is one clear error, found without work that grows faster than the file."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from lms.deals import importer
from lms.deals.crm import import_deals
from lms.deals.importer import MAX_COLUMNS, MAX_ROW_CHARS, decode, parse_csv
from lms.deals.validation import COLUMNS, MAX_LENGTHS
from lms.extensions import db
from tests.factories.deals import deal_count, html

TODAY = date(2026, 5, 15)
PARTNERS = {"alpha", "beta"}
HEADER = "external_id,partner,customer,amount,description"


def parse(data: bytes):
    return parse_csv(data, known_partners=PARTNERS, today=TODAY)


def where(parsed) -> list[tuple[int | None, str]]:
    return [(e.row, e.column) for e in parsed.errors]


def lines(*rows: str, header: str = HEADER) -> bytes:
    return "\r\n".join([header, *rows, ""]).encode()


@pytest.fixture
def csv_field_limit():
    """The csv module's field size limit (process-wide) set to MAX_ROW_CHARS for one test."""
    before = csv.field_size_limit(MAX_ROW_CHARS)
    yield
    csv.field_size_limit(before)


# --- Columns ------------------------------------------------------------------------------


def test_a_header_of_60000_columns_is_one_file_error_before_any_work_per_name(monkeypatch):
    class NoWorkPerName:
        def normalize(self, *args):
            raise AssertionError("a header over MAX_COLUMNS must be refused by its length")

    monkeypatch.setattr(importer, "unicodedata", NoWorkPerName())
    header = "external_id,partner,customer,amount," + ",".join(
        f"c{n}" for n in range(60_000 - 4))
    parsed = parse(lines("A-1,alpha,Sakura,100", header=header))
    assert where(parsed) == [(1, "")]
    assert "The header row has 60,000 columns; a deal file has at most 200." in (
        parsed.errors[0].reason)
    assert parsed.file_errors == parsed.errors and parsed.rows == []


def test_a_header_of_empty_columns_is_refused_too():
    parsed = parse(lines("A-1,alpha,Sakura,100", header="external_id,partner,customer,amount"
                                                        + "," * 50_000))
    assert where(parsed) == [(1, "")] and "50,004 columns" in parsed.errors[0].reason


def test_empty_columns_left_by_excel_are_fine_up_to_the_limit():
    header = "external_id,partner,customer,amount" + "," * (MAX_COLUMNS - 4)
    parsed = parse(lines("A-1,alpha,Sakura,100" + "," * (MAX_COLUMNS - 4), header=header))
    assert parsed.errors == [] and len(parsed.rows) == 1
    parsed = parse(lines("A-1,alpha,Sakura,100", header=header + ","))
    assert where(parsed) == [(1, "")]
    assert f"{MAX_COLUMNS + 1} columns" in parsed.errors[0].reason


def test_a_header_naming_many_columns_twice_lists_each_once():
    header = "external_id,partner,customer,amount," + ",".join(["product", "status"] * 90)
    parsed = parse(lines("A-1,alpha,Sakura,100", header=header))
    assert [e.reason for e in parsed.errors] == [
        "Column(s) given more than once: product, status."]


# --- Long rows ----------------------------------------------------------------------------


def test_a_200000_character_row_is_a_row_error_and_the_others_are_read(csv_field_limit):
    # With the csv module's field limit at MAX_ROW_CHARS, reading the long cell itself
    # would fail: the reader never gets the long text.
    parsed = parse(lines("A-1,alpha,Sakura,100,short",
                         "A-2,alpha,Sakura,100," + "x" * 200_000,
                         "A-3,alpha,Sakura,100,"))
    assert where(parsed) == [(3, "")]
    assert "Too long: this row has more than 20,000 characters." in parsed.errors[0].reason
    assert [r.external_id for r in parsed.rows] == ["A-1", "A-3"]
    assert parsed.row_count == 3 and parsed.bad_rows == {3}


def test_a_row_of_200000_commas_is_a_row_error_not_an_empty_row():
    parsed = parse(lines("A-1,alpha,Sakura,100,", "," * 200_000, "A-3,alpha,Sakura,100,"))
    assert where(parsed) == [(3, "")]
    assert "more than 20,000 characters" in parsed.errors[0].reason
    assert [r.external_id for r in parsed.rows] == ["A-1", "A-3"]


def test_a_long_quoted_cell_over_many_lines_is_one_row_error(csv_field_limit):
    description = '"' + "line\n" * 10_000 + '"'
    parsed = parse(lines(f"A-1,alpha,Sakura,100,{description}", "A-2,alpha,Sakura,100,ok"))
    assert where(parsed) == [(2, "")]
    assert [(r.row, r.external_id, r.description) for r in parsed.rows] == [(3, "A-2", "ok")]


def test_a_quote_never_closed_is_reported_not_swallowing_the_file_silently():
    rows = [f"A-{n},alpha,Sakura,100,fine" for n in range(2, 2000)]
    parsed = parse(lines('A-1,alpha,"Sakura,100,oops', *rows))
    assert parsed.rows == [] and parsed.errors
    assert parsed.errors[0].row == 2


def test_a_legitimate_row_at_every_maximum_is_read():
    quotes = '"' * MAX_LENGTHS["description"]
    reason = '"' * MAX_LENGTHS["rejection_reason"]
    cell = '"' + quotes.replace('"', '""') + '"'
    row = ",".join([
        "E" * 100, "alpha", "C" * 200, '"10,000,000,000,000"', "JPY", "P" * 200, cell,
        "2026-12-31", "rejected", "2026-01-01", "", '"' + reason.replace('"', '""') + '"'])
    assert len(row) < MAX_ROW_CHARS
    parsed = parse(lines(row, header=",".join(COLUMNS)))
    assert parsed.errors == []
    assert parsed.rows[0].description == quotes


def test_a_too_long_description_under_the_row_limit_is_a_cell_error():
    parsed = parse(lines("A-1,alpha,Sakura,100," + "x" * 6000))
    assert where(parsed) == [(2, "description")]
    assert "at most 5000" in parsed.errors[0].reason


def test_a_too_long_header_is_a_file_error():
    parsed = parse(lines("A-1,alpha,Sakura,100", header="external_id,partner,customer,amount,"
                                                        + "x" * 200_000))
    assert where(parsed) == [(1, "")]
    assert "The header row is longer than 20,000 characters" in parsed.errors[0].reason


# --- Broken UTF-8 -------------------------------------------------------------------------


def test_a_utf8_file_cut_short_is_not_read_as_shift_jis():
    data = "external_id,partner,customer,amount\r\nx1,alpha,株式会社サクラ".encode() + b"\xe3\x81"
    parsed = parse(data)
    assert parsed.rows == []
    assert where(parsed) == [(2, "")]
    assert "This row has bytes that are not valid UTF-8" in parsed.errors[0].reason
    assert '"CSV UTF-8"' in parsed.errors[0].reason
    assert decode(data) == ("external_id,partner,customer,amount\r\nx1,alpha,株式会社サクラ\ufffd",
                            True)


def test_only_the_rows_with_broken_bytes_are_refused():
    good, bad = "株式会社サクラ".encode(), "サクラ商事".encode()[:-1]
    data = (b"external_id,partner,customer,amount\n" + b"A-1,alpha," + good + b",100\n"
            + b"A-2,alpha," + bad + b",100\nA-3,beta," + good + b",200\n")
    parsed = parse(data)
    assert where(parsed) == [(3, "")] and parsed.bad_rows == {3}
    assert [(r.external_id, r.customer) for r in parsed.rows] == [
        ("A-1", "株式会社サクラ"), ("A-3", "株式会社サクラ")]


def test_a_broken_byte_in_the_header_is_a_file_error():
    data = ("external_id,partner,customer,amount,説明".encode()[:-1]
            + "\nA-1,alpha,サクラ,1\n".encode())
    parsed = parse(data)
    assert where(parsed) == [(1, "")]
    assert "The header row has bytes that are not valid UTF-8" in parsed.errors[0].reason
    assert parsed.file_errors == parsed.errors


@pytest.mark.parametrize("customer", ["株式会社サクラ", "ﾃｽﾄ", "ｻｸﾗｼｽﾃﾑｽﾞ", "髙﨑①㈱",
                                      "エンタープライズ・プラン（年間）"])
def test_shift_jis_is_still_read_as_shift_jis(customer):
    data = f"external_id,partner,customer,amount\r\nx1,alpha,{customer},100\r\n".encode("cp932")
    parsed = parse(data)
    assert parsed.errors == []
    assert parsed.rows[0].customer == customer
    assert decode(data)[1] is False


def test_a_valid_utf8_file_keeps_a_replacement_character_it_contains():
    parsed = parse("external_id,partner,customer,amount\nA-1,alpha,Sakura\ufffd,1\n".encode())
    assert parsed.errors == [] and parsed.rows[0].customer == "Sakura\ufffd"


def test_skip_bad_rows_imports_the_rows_without_broken_bytes(people):
    data = (b"external_id,partner,customer,amount\n"
            + "CRM-1,alpha,株式会社サクラ,100\nCRM-2,beta,".encode() + b"\xe6\xa0"
            + ",200\nCRM-3,beta,グローブ,300\n".encode())
    report = import_deals(data, people.manager)
    assert report.refused and report.bad_rows == 1
    db.session.rollback()
    assert deal_count() == 0
    report = import_deals(data, people.manager, skip_bad_rows=True)
    db.session.commit()
    assert (report.created, report.bad_rows, report.applied) == (2, 1, True)
    assert deal_count() == 2


def test_the_page_and_the_cli_name_the_row_with_a_stray_byte(people, client_for, runner,
                                                             tmp_path):
    data = ("external_id,partner,customer,amount,description\n"
            "crm-1,alpha,東京都,1000,note".encode() + b"\xff\n")
    response = client_for(people.manager).post(
        "/deals/import", data={"file": (io.BytesIO(data), "deals.csv"), "submit": "1"},
        content_type="multipart/form-data")
    assert response.status_code == 200
    assert "This row has bytes that are not valid UTF-8" in html(response)
    assert deal_count() == 0
    path = tmp_path / "deals.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["deals", "import", str(path)])
    assert result.exit_code == 1
    assert "row 2: This row has bytes that are not valid UTF-8" in result.output
    assert "Nothing was written" in result.output and deal_count() == 0
