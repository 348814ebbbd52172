"""Fixtures: a fresh app per test on a schema built by the migrations, cleaned after each test.

The database comes from DATABASE_URL when set (PostgreSQL in CI), else a SQLite file in a
temporary folder. The schema is created once per run by `upgrade` and dropped at the end.

LMS_TEST_NOW=2028-02-29T12:00:00+09:00 runs the suite with the clock moved to that moment
(ticking from there, with time-machine): no test may depend on the day it runs. `.ci/run`
runs the date-sensitive suites at a month end, a leap day and New Year's Eve in Tokyo.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import text

from lms import create_app
from lms.config import normalize_database_url
from lms.extensions import db

_CLOCK = pytest.StashKey()


def pytest_configure(config: pytest.Config) -> None:
    moment = os.environ.get("LMS_TEST_NOW")
    if moment:
        import time_machine

        when = datetime.fromisoformat(moment)
        if when.tzinfo is None:
            raise pytest.UsageError("LMS_TEST_NOW needs a time zone, e.g. 2028-02-29T12:00+09:00")
        # Started here, before collection: module-level dates in tests see the moved clock.
        config.stash[_CLOCK] = time_machine.travel(when, tick=True)
        config.stash[_CLOCK].start()


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_CLOCK, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    moment = os.environ.get("LMS_TEST_NOW")
    return f"clock moved to {moment} (LMS_TEST_NOW)" if moment else None


def pytest_addoption(parser: pytest.Parser) -> None:
    # Here, not in tests/browser/conftest.py: pytest reads options only from the top-level
    # conftest, so `pytest --screenshots` works from the project root too.
    parser.addoption("--screenshots", action="store_true", default=False,
                     help="browser tests: write screenshots of key pages to docs/screenshots/")


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (own `g`, own database session), as in production.

    Without this, a request would reuse the app context the test pushed, and `g` (with
    Flask-Login's cached user) and the session's identity map would leak between requests.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            # End the test's own transaction: its snapshot (SQLite WAL) would hide what the
            # request committed, and its objects are expired so they reload fresh.
            db.session.commit()
        return response


def _base_config(database_url: str, tmp_path) -> dict:
    return {
        "TESTING": True,
        "LMS_ENV": "test",
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LMS_UPLOAD_DIR": str(tmp_path / "uploads"),
        # Made on first use in tests (lms.signing): never in the checkout's instance folder.
        "LMS_SIGNING_KEY_FILE": str(tmp_path / "signing-key.pem"),
        "LMS_SECRET_BOX_KEY_FILE": str(tmp_path / "secret-box.key"),
        "SERVER_NAME": None,
    }


def _drop_everything() -> None:
    db.drop_all()
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalize_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    from lms.cli import upgrade_database

    app = create_app(_base_config(database_url, tmp_path_factory.mktemp("schema")))
    with app.app_context():
        _drop_everything()
        upgrade_database()
        db.engine.dispose()
    yield
    with app.app_context():
        db.session.remove()
        _drop_everything()
        db.engine.dispose()


def _empty_tables() -> None:
    db.session.remove()
    tables = list(reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def make_app(_schema, database_url, tmp_path):
    """Build an app with extra settings; every app built is cleaned up after the test."""
    apps = []

    def factory(**overrides):
        app = create_app(_base_config(database_url, tmp_path) | overrides)
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            if app.config["SQLALCHEMY_DATABASE_URI"] == database_url:
                _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def app500(make_app):
    """An app that answers an unexpected exception with its 500 page, as in production.

    tests/security/ has its own, pointed at a small content tree."""
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
