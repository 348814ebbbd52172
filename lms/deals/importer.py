"""PURE: reading deal CSV files (`/deals/import`, `lms deals import`): the encoding, the size
limits, the header, then each row checked by `lms.deals.validation.validate_row` (the JSON
API checks its values with it too). No database: the caller passes the partner slugs that
exist.

CSV import format
-----------------

- Encoding: UTF-8, with or without a byte-order mark; Shift_JIS (cp932), as Japanese Excel
  saves "CSV", is accepted when the file is not valid UTF-8. A UTF-8 file with a few broken
  bytes (cut short, say) is read as UTF-8: each row with a broken byte is an error (the
  header row: an error for the file), the other rows can be imported.
- At most 20 MB, 50,000 rows and 200 columns (empty ones left by Excel included); a row is at
  most 20,000 characters, as written in the file (quotes and line breaks included) — a
  longer row is an error, often a quote (`"`) that is never closed.
- The first row is the header; columns may come in any order. Row numbers in the report are
  spreadsheet rows: the header is row 1, the first deal is row 2. Empty rows are ignored.
- Cells are trimmed. Control characters (NUL, escape...) are refused, except line breaks and
  tabs in `description`.

| column | required | content |
| --- | --- | --- |
| `external_id` | yes | the deal's id in the vendor's CRM: updated if known, else created |
| `partner` | yes | the partner company's short name (slug), e.g. `sakura-systems` |
| `customer` | yes | the customer company, e.g. `株式会社サクラ商事` |
| `amount` | yes | whole units: `30000000` or `30,000,000` (full-width digits too) |
| `currency` | no | `JPY` (default) or another code of `CURRENCIES` (lms/models/deals.py) |
| `product` | no | product or plan |
| `description` | no | free text |
| `expected_close` | no | `YYYY-MM-DD` |
| `status` | no | `registered` (default), approved, rejected, won, lost, expired |
| `registered_on` | no | `YYYY-MM-DD`, not in the future; default: today (new deal) |
| `closed_on` | won, lost | `YYYY-MM-DD`, not in the future nor before `registered_on` |
| `rejection_reason` | rejected | why the registration was rejected |

`closed_on` is only for won or lost deals, `rejection_reason` only for rejected ones.
Dates are days in the application's time zone (LMS_TIMEZONE, Asia/Tokyo by default).

A row describes the whole deal: an update sets every column (an empty `product` empties
it), except an empty `registered_on`, which keeps the registration date. Importing the same
file twice changes nothing the second time. The same `external_id` twice in a file is an
error on the later row; an unknown or missing column is one error for the file.

Nothing is written when any row is wrong, unless "skip bad rows" (`--skip-bad-rows`) is
asked for: then the good rows are imported and the bad ones listed. "Check only"
(`--dry-run`) reports what an import would do and writes nothing.
"""


from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date

from lms.deals.validation import (
    COLUMNS,
    MAX_LENGTHS,
    REQUIRED_COLUMNS,
    DealRow,
    FieldError,
    validate_row,
)
from lms.i18n import gettext as _
from lms.text import has_control_characters

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# Excel can leave a few empty columns after the 12 real ones; hundreds mean a wrong file.
MAX_COLUMNS = 200
# A row at every maximum of MAX_LENGTHS is about 6,700 characters, 13,500 if every
# character of its texts is a quote (written twice); still more is no deal.
MAX_ROW_CHARS = 20_000

REPLACEMENT = "\ufffd"  # what a byte that is not valid UTF-8 becomes
ASCII_BYTES = bytes(range(128))
# Characters real Shift_JIS text never has: C1 controls and private use (category Co).
NOT_SHIFT_JIS = re.compile("[\x80-\x9f\ue000-\uf8ff\U000f0000-\U000ffffd"
                           "\U00100000-\U0010fffd]")
# Runs of characters that do not shape a CSV row (not quotes, commas or line breaks).
PLAIN_RUN = re.compile(r'[^",\r\n]+')
# One line, as csv.reader expects them (io.StringIO(text, newline="") splits the same way).
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
# The text of a quoted cell up to its closing quote (a quote inside it is written twice).
QUOTED_TEXT = re.compile(r'[^"]*(?:""[^"]*)*')


@dataclass
class ParsedFile:
    rows: list[DealRow] = field(default_factory=list)
    errors: list[FieldError] = field(default_factory=list)
    row_count: int = 0  # data rows read, good and bad

    @property
    def bad_rows(self) -> set[int]:
        return {e.row for e in self.errors if e.row is not None and e.row > 1}

    @property
    def file_errors(self) -> list[FieldError]:
        """Problems of the file as a whole (encoding, header, size): no row can be read."""
        return [e for e in self.errors if e.row is None or e.row <= 1]


# --- A whole file -------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, bool]:
    """The text (UTF-8, BOM dropped, else Shift_JIS/cp932) and whether bytes that are not
    valid UTF-8 were replaced by U+FFFD; ValueError when it is no text."""
    try:
        return data.decode("utf-8-sig"), False
    except UnicodeDecodeError:
        pass
    # A UTF-8 file cut short or with a stray byte: most of its non-ASCII characters are still
    # valid UTF-8, where in Shift_JIS text almost every character breaks UTF-8.
    text = data.decode("utf-8-sig", errors="replace")
    broken = text.count(REPLACEMENT) - data.count(REPLACEMENT.encode())
    ascii_chars = len(data) - len(data.translate(None, ASCII_BYTES))
    if len(text) - ascii_chars - broken > broken:
        return text, True
    message = _("The file is neither UTF-8 nor Shift_JIS text. Save it as \"CSV UTF-8\" "
                "and try again.")
    try:
        text = data.decode("cp932")
    except UnicodeDecodeError as error:
        raise ValueError(message) from error
    # cp932 maps almost any byte to something: a UTF-8 file with one broken byte would come
    # through as garbled text. Real Shift_JIS text has no private-use or C1 characters.
    if NOT_SHIFT_JIS.search(text):
        raise ValueError(message)
    return text, False


def _match_end(pattern: re.Pattern[str], text: str, start: int) -> int:
    """Where `pattern`, which matches the empty string too (so anywhere), ends from `start`."""
    match = pattern.match(text, start)
    assert match is not None  # LINE and QUOTED_TEXT match the empty string
    return match.end()


class _Lines(Iterator[str]):
    """The text's lines for csv.reader, measuring the row being read. Past MAX_ROW_CHARS the
    reader gets a stand-in for the rest of the row, as short as the row's shape allows: the
    text of a quoted cell that goes on from the line before is skipped, over any number of
    lines, and each run of other plain characters becomes one "x". The reader still finds
    where the row ends, its cells and its quoting errors; the long texts never reach it."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._position = 0
        self._row_chars = 0

    def __next__(self) -> str:
        text, start = self._text, self._position
        if start >= len(text):
            raise StopIteration
        continued = self._row_chars > 0
        end = _match_end(LINE, text, start)
        self._row_chars += end - start
        if self._row_chars > MAX_ROW_CHARS:
            if continued:
                # The reader asks for another line of a row only inside a quoted cell.
                start = _match_end(QUOTED_TEXT, text, start)
                end = _match_end(LINE, text, start)
            self._position = end
            return PLAIN_RUN.sub("x", text[start:end])
        self._position = end
        return text[start:end]

    def end_row(self) -> bool:
        """Whether the row just read was too long; the next line starts a new row."""
        too_long = self._row_chars > MAX_ROW_CHARS
        self._row_chars = 0
        return too_long


def _header(cells: list[str], *, too_long: bool = False, broken: bool = False
            ) -> tuple[list[str], list[FieldError]]:
    """The column names, or the header's problems (row 1: the file cannot be read)."""
    # Counted before any work per name: a header of 60,000 columns is refused at once.
    if len(cells) > MAX_COLUMNS:
        return [], [FieldError(1, "", _(
            "The header row has %(n)s columns; a deal file has at most %(max)s. Delete the "
            "columns after the last one you need (empty ones too) and try again.",
            n=format(len(cells), ","), max=format(MAX_COLUMNS, ",")))]
    if too_long:
        return [], [FieldError(1, "", _(
            "The header row is longer than %(n)s characters; it should only name the "
            "columns, such as external_id,partner,customer,amount. Check for a quote (\") "
            "that is never closed.", n=format(MAX_ROW_CHARS, ",")))]
    if broken and any(REPLACEMENT in c for c in cells):
        return [], [FieldError(1, "", _(
            "The header row has bytes that are not valid UTF-8. Save the file as \"CSV "
            "UTF-8\" and try again."))]
    names = [unicodedata.normalize("NFKC", c).strip().lower() for c in cells]
    counts = Counter(n for n in names if n)
    errors = []
    # Shown on a page and printed on a terminal: control characters become "?".
    unknown = ["".join("?" if has_control_characters(ch) else ch for ch in n)
               for n in names if n and n not in COLUMNS]
    if unknown:
        errors.append(FieldError(1, ", ".join(unknown), _(
            "Unknown column(s): %(names)s. The columns are: %(columns)s.",
            names=", ".join(unknown), columns=", ".join(COLUMNS))))
    missing = [c for c in REQUIRED_COLUMNS if c not in counts]
    if missing:
        errors.append(FieldError(1, ", ".join(missing), _(
            "Missing required column(s): %(names)s.", names=", ".join(missing))))
    repeated = sorted(n for n, count in counts.items() if count > 1)
    if repeated:
        errors.append(FieldError(1, ", ".join(repeated), _(
            "Column(s) given more than once: %(names)s.", names=", ".join(repeated))))
    return names, errors


def parse_csv(data: bytes, *, known_partners: Collection[str], today: date) -> ParsedFile:
    """Read and check a whole CSV file: the good rows and every problem, by row and column."""
    parsed = ParsedFile()
    if len(data) > MAX_BYTES:
        parsed.errors.append(FieldError(None, "", _(
            "The file is larger than %(mb)d MB; split it into smaller files.",
            mb=MAX_BYTES // (1024 * 1024))))
        return parsed
    try:
        text, broken = decode(data)
    except ValueError as problem:
        parsed.errors.append(FieldError(None, "", str(problem)))
        return parsed
    lines = _Lines(text)
    reader = csv.reader(lines, strict=True)
    seen: dict[str, int] = {}
    names: list[str] | None = None
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            too_long = lines.end_row()
            if names is None:
                names, header_errors = _header(cells, too_long=too_long, broken=broken)
                if header_errors:
                    parsed.errors.extend(header_errors)
                    return parsed
                continue
            if not too_long and not any(c.strip() for c in cells):
                continue
            parsed.row_count += 1
            if parsed.row_count > MAX_ROWS:
                parsed.errors.append(FieldError(None, "", _(
                    "The file has more than %(n)s rows; split it into smaller files.",
                    n=format(MAX_ROWS, ","))))
                parsed.rows.clear()
                return parsed
            if too_long:
                parsed.errors.append(FieldError(number, "", _(
                    "Too long: this row has more than %(n)s characters. Shorten its texts (a "
                    "description has at most %(description)s characters), or check for a "
                    "quote (\") that is never closed.", n=format(MAX_ROW_CHARS, ","),
                    description=format(MAX_LENGTHS['description'], ","))))
                continue
            if broken and any(REPLACEMENT in c for c in cells):
                parsed.errors.append(FieldError(number, "", _(
                    "This row has bytes that are not valid UTF-8, so some of its characters "
                    "cannot be read. Save the file as \"CSV UTF-8\" and import it again.")))
                continue
            if any(c.strip() for c in cells[len(names):]):
                parsed.errors.append(FieldError(number, "", _(
                    "This row has %(cells)d cells; the header has %(columns)d.",
                    cells=len(cells), columns=len(names))))
                continue
            # Excel leaves empty unnamed columns behind: ignored while they stay empty.
            if any(c.strip() for name, c in zip(names, cells, strict=False) if not name):
                parsed.errors.append(FieldError(number, "", _(
                    "A cell is filled under a column with no name in the header row.")))
                continue
            values = {name: cell for name, cell in zip(names, cells, strict=False) if name}
            deal, errors = validate_row(values, row=number, known_partners=known_partners,
                                        today=today)
            external_id = values.get("external_id", "").strip()
            if external_id in seen:
                errors.insert(0, FieldError(number, "external_id", _(
                    "The external id %(id)s is already on row %(row)d.",
                    id=external_id, row=seen[external_id])))
                deal = None
            elif external_id:
                seen[external_id] = number
            if deal is None:
                parsed.errors.extend(errors)
            else:
                parsed.rows.append(deal)
    except csv.Error as problem:
        parsed.errors.append(FieldError(number + 1, "", _(
            "The file cannot be read as CSV here (%(problem)s).", problem=str(problem))))
        return parsed
    if names is None:
        parsed.errors.append(FieldError(1, "", _("The file is empty: the first row must name "
                                                 "the columns.")))
    return parsed
