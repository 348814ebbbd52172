"""Every 500 is logged with its traceback and the id of its request; the id is in the
X-Request-Id header and on the error page, so a person's report leads to the log line."""

from __future__ import annotations

import logging

import pytest

from lms.config import ConfigError
from lms.logs import REQUEST_ID


@pytest.fixture
def crashing_app(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/_crash")
    def _crash():
        raise RuntimeError("the disk is on fire")

    return app


def test_a_500_is_logged_with_its_traceback_and_request_id(crashing_app, caplog):
    with caplog.at_level(logging.ERROR, logger="lms"):
        response = crashing_app.test_client().get("/_crash")
    assert response.status_code == 500
    reference = response.headers["X-Request-Id"]
    assert REQUEST_ID.match(reference)
    assert reference in response.get_data(as_text=True)  # shown on the page
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.name == "lms" and record.request_id == reference
    assert "the disk is on fire" in caplog.text and "Traceback" in caplog.text


def test_an_api_500_is_json_and_names_the_header(crashing_app):
    @crashing_app.route("/api/v1/_crash")
    def _api_crash():
        raise RuntimeError("boom")

    response = crashing_app.test_client().get("/api/v1/_crash")
    assert response.status_code == 500 and response.is_json
    assert "X-Request-Id" in response.json["error"]["message"]
    assert response.headers["X-Request-Id"]


def test_a_plain_request_id_from_a_proxy_is_kept_and_a_hostile_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-Id": "edge-7f3a9c01"})
    assert kept.headers["X-Request-Id"] == "edge-7f3a9c01"
    for hostile in ("x", "a b c d e f g h", "id;Set-Cookie=a", "<script>alert(1)</script>"):
        response = client.get("/healthz", headers={"X-Request-Id": hostile})
        assert response.headers["X-Request-Id"] != hostile
        assert REQUEST_ID.match(response.headers["X-Request-Id"])


def test_every_response_has_a_different_id(client):
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(3)}
    assert len(ids) == 3


def test_a_log_level_that_is_no_level_stops_start_up(make_app):
    with pytest.raises(ConfigError, match="LMS_LOG_LEVEL"):
        make_app(LMS_LOG_LEVEL="LOUD")
