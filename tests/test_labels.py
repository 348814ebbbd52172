"""Durations and names shown to people."""

import pytest

from lms.labels import minutes_text


@pytest.mark.parametrize(("minutes", "text"), [
    (0, "0 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min"), (1440, "1 day"),
    (2880, "2 days"), (1500, "25 h"),
])
def test_minutes_text(app, minutes, text):
    with app.test_request_context():
        assert minutes_text(minutes) == text
