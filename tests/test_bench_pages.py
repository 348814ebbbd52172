"""bench/pages.py: its minimal page reads the portal's database, and its figures are read and
judged right (the load itself runs only in the bench)."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.factories import make_org

BENCH = Path(__file__).resolve().parent.parent / "bench" / "pages.py"


@pytest.fixture(scope="module")
def pages():
    spec = importlib.util.spec_from_file_location("bench_pages", BENCH)
    module = importlib.util.module_from_spec(spec)
    # SQLAlchemy reads the string annotations of the models in the module's namespace.
    sys.modules[spec.name] = module
    path = list(sys.path)
    try:
        spec.loader.exec_module(module)  # puts bench/ on sys.path, imports bench/serving.py
        yield module
    finally:
        del sys.modules[spec.name]
        sys.modules.pop("serving", None)
        sys.path[:] = path


@pytest.fixture(scope="module")
def serving(pages):
    """bench/serving.py, as bench/pages.py imported it."""
    return pages.serving


def test_minimal_page_shows_an_organization_of_the_portals_database(app, database_url, pages):
    org = make_org(name="Sakura <Systems>")
    minimal = pages.minimal_app(database_url)
    try:
        client = minimal.test_client()
        found = client.get(f"/organizations/{org.id}")
        missing = client.get(f"/organizations/{org.id + 1000}")
    finally:
        with minimal.app_context():
            pages.minimal_db.engine.dispose()
    assert found.status_code == 200
    assert "Sakura &lt;Systems&gt;" in found.get_data(as_text=True)
    assert missing.status_code == 404


def test_the_wrk_result_line_is_read(pages):
    output = ("Running 2s test @ http://127.0.0.1:1/\n"
              "bench-pages: requests=1810 duration_us=2004000 p50_us=14600 p99_us=39200 "
              "connect=0 read=2 write=0 timeout=1 statuses=200:1805,500:3,302:2\n")
    result = pages.parse_wrk(output)
    assert result.requests == 1810
    assert result.p50_ms == 14.6 and result.p99_ms == 39.2
    assert result.statuses == Counter({200: 1805, 500: 3, 302: 2})
    assert result.errors == Counter({"read": 2, "timeout": 1})
    assert result.not_2xx == 5  # a redirect is not the page either
    assert result.failures == 8
    assert pages.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused") is None


def test_the_last_line_gives_each_page_against_the_minimal_one(pages):
    def result(requests):
        return pages.Result(requests=requests, seconds=10.0, p50_ms=1.0, p99_ms=2.0)

    results = {"minimal": result(9000), "lesson": result(1000), "home": result(450),
               "catalog": result(900), "tiers": result(3000)}
    assert pages.headline(results) == ("pages: lesson 0.11x, home 0.05x, catalog 0.10x, "
                                       "assets -, tiers 0.33x of the minimal page")


def test_server_errors_are_summarised_with_where_they_were_raised(serving, tmp_path):
    log = tmp_path / "portal.log"
    log.write_text(
        "[2026-05-04 10:00:00 +0000] [12] [INFO] Booting worker with pid: 12\n"
        "2026-05-04 10:00:01,123 ERROR [abc123] lms: Exception on /courses/a/b [GET]\n"
        "Traceback (most recent call last):\n"
        '  File "/work/main/lms/courses/views.py", line 70, in lesson\n'
        "    page, found = _lesson_or_404(course_slug, lesson_slug)\n"
        "sqlite3.OperationalError: database is locked\n"
        "2026-05-04 10:00:02,456 ERROR [def456] lms: Exception on /courses/c/d [GET]\n"
        "Traceback (most recent call last):\n"
        '  File "/work/main/lms/courses/views.py", line 70, in lesson\n'
        "sqlite3.OperationalError: database is locked\n"
        "[2026-05-04 10:00:03 +0000] [12] [WARNING] Worker with pid 12 was terminated\n")
    assert serving.summarise_log(log) == [
        (2, "ERROR lms: Exception on /courses/<...> [GET]: sqlite3.OperationalError: "
            "database is locked [at lms/courses/views.py:70 lesson]"),
        (1, "WARNING Worker with pid <n> was terminated"),
    ]


def test_5xx_answers_of_the_development_servers_access_log_are_counted(serving, tmp_path):
    log = tmp_path / "lms-run.log"
    log.write_text(
        '127.0.0.1 - - [04/May/2026 10:00:00] "GET / HTTP/1.1" 200 -\n'
        '127.0.0.1 - - [04/May/2026 10:00:01] "GET /courses HTTP/1.1" '
        "\x1b[1m\x1b[35m500\x1b[0m -\n")
    assert serving.summarise_log(log) == [(1, "access log: a 5xx answer")]
