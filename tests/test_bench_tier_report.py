"""bench/tier_report.py runs end to end on a small program (--quick), prints the figures it
promises, and leaves a PostgreSQL database as it found it."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

BENCH = Path(__file__).resolve().parent.parent / "bench" / "tier_report.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_tier_report", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _figures(output: str) -> tuple[str, str]:
    lines = output.strip().splitlines()
    return lines[-2], lines[-1]


def test_quick_run_with_activity_prints_every_page_and_the_ratio(bench, capsys):
    bench.main(["--quick", "--activity", "--runs", "1"])
    output = capsys.readouterr().out
    for label, _url in bench.PAGES:
        assert re.search(rf"^{label} +median \d+\.\d{{3}} s", output, re.MULTILINE), label
    pages, last = _figures(output)
    assert re.fullmatch(r"pages: tiers \d+\.\d{3} s, kpis \d+\.\d{3} s, health \d+\.\d{3} s, "
                        r"manager home \d+\.\d{3} s; "
                        r"tier report build \d+\.\d{3} s = \d+\.\dx its SQL "
                        r"\(\d+\.\d{3} s, \d+ statements\)", pages), pages
    assert re.fullmatch(r"tier report: 40 partners, 4000 deals, \d+\.\d{3} s", last), last


def test_replayed_statements_are_those_of_the_build(bench, app):
    """The replay runs what the report sent, parameters included, on the bare connection."""
    from lms.reports import tiers as tier_report
    from tests.factories import make_org

    make_org(name="Replayed")
    statements = bench.capture_statements(lambda: tier_report.build("gold"))
    assert any("FROM organizations" in statement for statement, _params in statements)
    bench.replay(statements)  # fails on a statement that needs the session's parameters


def test_postgresql_run_drops_its_own_schema_only(bench, database_url, capsys):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only (DATABASE_URL)")
    engine = create_engine(database_url)
    schemas = "SELECT schema_name FROM information_schema.schemata ORDER BY 1"
    try:
        with engine.connect() as conn:
            before = conn.execute(text(schemas)).scalars().all()
        bench.main(["--quick", "--runs", "1", "--database-url", database_url])
        with engine.connect() as conn:
            after = conn.execute(text(schemas)).scalars().all()
    finally:
        engine.dispose()
    assert "tier report: 40 partners" in capsys.readouterr().out
    assert after == before
