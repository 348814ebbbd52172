"""One date format everywhere: the locale's medium date, with the short time for moments, in
the reader's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import force_locale

from lms.dates import format_date, format_datetime

MOMENT = datetime(2027, 10, 21, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo


@pytest.mark.parametrize(("locale", "day", "moment"), [
    ("en", "Oct 21, 2027", "Oct 21, 2027, 9:30\u202fAM"),
    ("ja", "2027/10/21", "2027/10/21 9:30"),
])
def test_dates_and_moments_read_the_same_on_every_page(app, locale, day, moment):
    app.config["BABEL_DEFAULT_TIMEZONE"] = "Asia/Tokyo"
    with app.test_request_context(), force_locale(locale):
        assert format_date(date(2027, 10, 21)) == day
        assert format_date(MOMENT) == day
        assert format_datetime(MOMENT) == moment


def test_nothing_shows_as_nothing(app):
    with app.test_request_context():
        assert format_date(None) == "" and format_datetime(None) == ""


def test_no_template_asks_for_another_format():
    from pathlib import Path

    import lms

    templates = Path(lms.__file__).parent / "templates"
    for template in templates.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "format_datetime(" not in text and "format_date(" not in text, template
