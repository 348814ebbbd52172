"""What managers read about a request or an extension: the days counted in words that agree
with the number, in English and Japanese."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from lms.notifications.messages import render


def _text(what: str, days: int, locale: str) -> str:
    params = {"environment": 7, "what": what, "partner": "Sakura Systems",
              "person": "Aiko Sato", "days": days}
    with force_locale(locale):
        return render("env_to_decide", params, locale).body


@pytest.mark.parametrize(("what", "days", "expected"), [
    ("request", 1, "Aiko Sato of Sakura Systems asks for a demo environment for 1 day."),
    ("request", 14, "Aiko Sato of Sakura Systems asks for a demo environment for 14 days."),
    ("extension", 1, "asks to keep a demo environment 1 more day."),
    ("extension", 30, "asks to keep a demo environment 30 more days."),
])
def test_the_days_are_counted_in_words_that_agree(app, what, days, expected):
    with app.test_request_context():
        assert expected in _text(what, days, "en")


@pytest.mark.parametrize("what", ["request", "extension"])
def test_japanese_managers_read_it_in_japanese(app, what):
    with app.test_request_context():
        text = _text(what, 3, "ja")
    assert "Sakura Systems" in text and "Aiko Sato" in text and "3" in text
    assert "asks" not in text and "day" not in text
