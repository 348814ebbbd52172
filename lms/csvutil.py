"""CSV downloads that spreadsheets open safely (no formula injection) and in Japanese.

Every CSV the portal writes goes through `csv_response`, so every cell through `safe_cell`
(tests/test_csvutil.py checks that no other module writes CSV).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence

from flask import Response

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What starts a formula once a spreadsheet has trimmed the cell (OWASP's list without the
# tab and carriage return, which are whitespace and trimmed themselves).
FORMULA_STARTS = ("=", "+", "-", "@")


def starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet may read `text` as a formula: as written, or after Unicode NFKC
    normalization (Japanese input methods type the full-width `＝ ＋ － ＠`, which spreadsheets
    may take for `= + - @`); in both, also after leading whitespace (spaces, the ideographic
    space U+3000, line breaks). Excel keeps " =1+1" as text, but imports that trim cells
    first (LibreOffice's "Trim spaces", for one) do not; quoting a text that only looked like
    a formula costs one visible apostrophe.
    """
    if text.startswith(FORMULA_PREFIXES) or text.lstrip().startswith(FORMULA_STARTS):
        return True
    # ASCII is its own NFKC form: most cells of a large report skip the normalization.
    return not text.isascii() and unicodedata.normalize("NFKC", text).lstrip().startswith(
        FORMULA_STARTS)


def safe_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula is prefixed with a quote; numbers stay."""
    if isinstance(value, str) and starts_a_formula(value):
        return "'" + value
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
                 ) -> Response:
    """A UTF-8 CSV attachment with a BOM, so Excel shows Japanese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    response = Response("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
