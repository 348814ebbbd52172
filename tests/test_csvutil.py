"""CSV downloads: no cell a spreadsheet would run as a formula, full-width ones included."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from lms.csvutil import FORMULA_STARTS, safe_cell
from lms.models import JobFunction, Role
from tests.factories import login, make_org, make_user

LMS = Path(__file__).resolve().parents[1] / "lms"


@pytest.mark.parametrize(("value", "expected"), [
    ("＝1+1", "'＝1+1"),                    # full-width equals sign (U+FF1D)
    ("＋81 3 1234 5678", "'＋81 3 1234 5678"),
    ("－5", "'－5"),
    ("＠SUM(A1:A9)", "'＠SUM(A1:A9)"),
    ("﹦1+1", "'﹦1+1"),                     # small equals sign (U+FE66), also NFKC "="
    (" =1+1", "' =1+1"),                    # leading space: trimmed by some imports
    ("\u3000＝1+1", "'\u3000＝1+1"),         # ideographic space, as a Japanese IME types it
    ("\n=1+1", "'\n=1+1"),
    ("\u00a0@x", "'\u00a0@x"),
    ("\t", "'\t"), ("\r\n", "'\r\n"),       # tab and CR stay quoted on their own
    ("株式会社＝サクラ", "株式会社＝サクラ"),   # a sign inside the text is no formula
    ("Ａcme", "Ａcme"), ("", ""), ("  ", "  "), ("'=x", "'=x"),
    (-5, -5), (3.5, 3.5), (None, None),       # numbers stay numbers
])
def test_formula_starts_are_quoted_after_normalization_and_leading_space(value, expected):
    assert safe_cell(value) == expected


@given(st.text())
@example("＝1+1")
@example("=\u0338")  # "=" + combining overlay: NFKC makes it "≠", the cell still starts "="
@example("\u3000＋1")
def test_no_quoted_cell_starts_a_formula_in_any_form(text):
    cell = safe_cell(text)
    assert cell in (text, "'" + text)
    for form in (cell, unicodedata.normalize("NFKC", cell)):
        assert not form.lstrip().startswith(FORMULA_STARTS)
    assert not cell.startswith(("\t", "\r"))
    assert safe_cell(cell) == cell  # quoting once is enough


@given(st.text(min_size=1).filter(lambda text: text[0].isalnum()))
@example("Ａcme ＝ 1")
@example("株式会社サクラ商事")
def test_text_starting_with_a_letter_or_digit_is_left_alone(text):
    assert safe_cell(text) == text


def test_every_csv_the_portal_writes_goes_through_csv_response():
    """Only lms/csvutil.py writes CSV, so every cell passes safe_cell."""
    writers = re.compile(r"csv\.(writer|DictWriter)\b|\bDictWriter\(|\bwriterows?\(")
    found = [str(path.relative_to(LMS.parent)) for path in sorted(LMS.rglob("*.py"))
             if writers.search(path.read_text(encoding="utf-8"))]
    assert found == ["lms/csvutil.py"]


def test_a_full_width_formula_typed_as_a_customer_is_quoted_in_the_deals_csv(app, client):
    alpha = make_org("alpha", name="Alpha Systems K.K.")
    seller = make_user(Role.MEMBER, alpha, job=JobFunction.SALES)
    manager = make_user(Role.MANAGER)
    login(client, seller)
    response = client.post("/deals/new", data={
        "customer_name": "＝1+1", "amount": "1,000", "currency": "JPY",
        "product": "＠SUM(A1)", "description": "－cmd|' /C calc'!A0"})
    assert response.status_code == 302, response.get_data(as_text=True)
    client.post("/logout")
    login(client, manager)

    response = client.get("/deals.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.get_data(as_text=True).lstrip("\ufeff")
    (row,) = csv.DictReader(io.StringIO(body, newline=""))
    assert row["customer"] == "'＝1+1"
    assert row["product"] == "'＠SUM(A1)"
    assert row["description"] == "'－cmd|' /C calc'!A0"
    assert row["amount"] == "1000"
