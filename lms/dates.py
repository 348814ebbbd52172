"""One way to show a moment everywhere: the locale's medium date and short time.

"Oct 21, 2027" and "Oct 21, 2027, 9:00 AM" in English, "2027/10/21" and "2027/10/21 9:00" in
Japanese, in the reader's time zone (Flask-Babel's), never "7/23/27" on one page and
"Jul 23, 2027, 9:00:00 AM" on the next.
"""

from __future__ import annotations

from datetime import date, datetime

import flask_babel


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return flask_babel.format_date(value, "medium")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    locale = flask_babel.get_locale()
    pattern = locale.datetime_formats.get("medium", "{1} {0}") if locale else "{1} {0}"
    return str(pattern).format(flask_babel.format_time(value, "short"),
                               flask_babel.format_date(value, "medium"))
