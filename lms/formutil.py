"""Small helpers shared by the feature forms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import request
from flask_wtf import FlaskForm
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms.fields import FileField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from lms.i18n import lazy_gettext as _l
from lms.text import has_control_characters


class PortalForm(FlaskForm):
    """Every form of the portal: Flask-WTF's, except that an uploaded file reaches only a
    file field. Flask-WTF offers every field the request's files too, so a file posted
    under a text field's name (a crafted request) became that field's value and its
    validators failed on it (a 500); now the text field is simply not filled."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            data = super().wrap_formdata(form, formdata)
            if not isinstance(data, CombinedMultiDict):
                return data
            uploads = {name for name, field in form._fields.items()
                       if isinstance(field, FileField)}
            files = MultiDict([(key, value) for key, value in request.files.items(multi=True)
                               if key in uploads])
            return CombinedMultiDict((files, request.form))


def choices(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(str(value), label) for value, label in pairs]


def email_is_valid(value: str) -> bool:
    """Syntax check only (no DNS); the reserved `.test` domain of the demo is accepted."""
    try:
        validate_email(value.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


class EmailAddress:
    """WTForms validator built on `email_is_valid`."""

    def __call__(self, _form, field) -> None:
        if field.data and not email_is_valid(field.data):
            raise ValidationError(_l("Enter a valid email address."))


MAX_PAGE = 100_000
# The largest id a table holds: ids are INTEGER columns, 32-bit on PostgreSQL. A larger id in
# a URL or a query string is "not found", never a query the database refuses.
MAX_ID = 2**31 - 1


def page_arg(name: str = "page") -> int:
    """The ?page= of a list, clamped to 1..MAX_PAGE (junk is page 1): an OFFSET computed
    from it can never overflow the database's integers."""
    from flask import request

    value = request.args.get(name, 1, type=int) or 1
    return min(max(value, 1), MAX_PAGE)


@dataclass(frozen=True)
class ListPage[T]:
    """One page of a list computed in memory, with the attributes of Flask-SQLAlchemy's
    Pagination that the `pager` macro reads."""

    items: Sequence[T]
    page: int
    pages: int
    total: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_of[T](rows: Sequence[T], size: int) -> ListPage[T]:
    """The page of `rows` that ?page= asks for (clamped to the last page)."""
    pages = max(1, -(-len(rows) // size))
    page = min(page_arg(), pages)
    return ListPage(rows[(page - 1) * size:page * size], page, pages, len(rows))


def parse_id(value: object) -> int | None:
    """An id typed as text: an int from 1 to MAX_ID, else None (junk, "²", 2**40)."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def id_arg(name: str) -> int | None:
    """The ?name= id of a filter (see parse_id)."""
    from flask import request

    return parse_id(request.args.get(name))


class NoControlCharacters:
    """WTForms validator: refuse invisible control characters with a clear message."""

    def __init__(self, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, _form, field) -> None:
        if isinstance(field.data, str) and has_control_characters(field.data, self.multiline):
            raise ValidationError(_l(
                "Remove the control characters (such as escape codes or text-direction "
                "overrides) from this text."))
