"""Configuration from the environment."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lms import create_app
from lms.config import (
    DEV_BASE_URL,
    DEV_SECRET_KEY,
    MIN_SECRET_KEY_LENGTH,
    ConfigError,
    check,
    from_environment,
    normalize_database_url,
)
from lms.database import SQLITE_BUSY_TIMEOUT_MS
from lms.extensions import db


def test_missing_secret_key_outside_development_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app()


def test_development_runs_without_a_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_ENV", "development")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dev.db"})
    assert app.config["SECRET_KEY"]
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path):
    config = from_environment(str(tmp_path), env={})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/partner-academy.db"
    assert config["LMS_ENV"] == "production"


def test_environment_overrides(tmp_path):
    config = from_environment(str(tmp_path), env={
        "DATABASE_URL": "postgres://u@db/lms", "LMS_BASE_URL": "https://academy.example/",
        "LMS_UPLOAD_DIR": "/srv/uploads", "LMS_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    })
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/lms"
    assert config["LMS_BASE_URL"] == "https://academy.example"
    assert config["LMS_UPLOAD_DIR"] == "/srv/uploads"
    assert config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://a@b/c", "postgresql+psycopg://a@b/c"),
    ("postgresql+psycopg://a@b/c", "postgresql+psycopg://a@b/c"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_normalize_database_url(url, expected):
    assert normalize_database_url(url) == expected


def test_sqlite_runs_with_foreign_keys_wal_and_busy_timeout(tmp_path):
    app = create_app({"LMS_ENV": "test", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/pragmas.db"})
    with app.app_context():
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
        db.engine.dispose()


# --- Production refuses a weak SECRET_KEY and a missing LMS_BASE_URL -------------------------

STRONG_KEY = "k" * MIN_SECRET_KEY_LENGTH
PRODUCTION = {"LMS_ENV": "production", "SECRET_KEY": STRONG_KEY,
              "LMS_BASE_URL": "https://academy.example.com"}


def production_config(tmp_path, **env: str) -> dict:
    """The configuration production builds from this environment (nothing else read)."""
    return from_environment(str(tmp_path), env={k: v for k, v in (PRODUCTION | env).items()
                                                if v is not None})


def test_production_starts_with_a_long_key_and_a_base_url(monkeypatch, tmp_path):
    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LMS_BASE_URL", "https://academy.example.com/")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/prod.db"})
    try:
        assert app.config["LMS_BASE_URL"] == "https://academy.example.com"
        assert app.config["SECRET_KEY"] == STRONG_KEY
    finally:
        with app.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("length", [1, 16, MIN_SECRET_KEY_LENGTH - 1])
def test_production_refuses_a_short_secret_key_saying_how_to_make_one(tmp_path, length):
    config = production_config(tmp_path, SECRET_KEY="§" * length)
    with pytest.raises(ConfigError) as refused:
        check(config)
    message = str(refused.value)
    assert f"SECRET_KEY is too short ({length} characters)" in message
    assert f"at least {MIN_SECRET_KEY_LENGTH}" in message
    assert "secrets.token_urlsafe(48)" in message
    assert "§" not in message  # the key itself is never shown


def test_a_key_of_exactly_the_minimum_length_is_enough(tmp_path):
    config = production_config(tmp_path, SECRET_KEY="x" * MIN_SECRET_KEY_LENGTH)
    check(config)
    assert config["SECRET_KEY"] == "x" * MIN_SECRET_KEY_LENGTH


@pytest.mark.parametrize("key", ["", "   ", DEV_SECRET_KEY, DEV_SECRET_KEY.ljust(40),
                                 " " * 20 + "x" * (MIN_SECRET_KEY_LENGTH - 1) + "\n"])
def test_production_refuses_no_key_the_public_development_key_and_padding(tmp_path, key):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        check(production_config(tmp_path, SECRET_KEY=key))


@pytest.mark.parametrize("url", [None, "", "  "])
def test_production_refuses_a_missing_base_url_saying_what_to_set(tmp_path, url):
    with pytest.raises(ConfigError) as refused:
        check(production_config(tmp_path, LMS_BASE_URL=url))
    message = str(refused.value)
    assert message.startswith("LMS_BASE_URL is not set.")
    assert "LMS_BASE_URL=https://academy.example.com" in message
    assert "Open Badges" in message and "LMS_ENV=development" in message


@pytest.mark.parametrize("url", ["academy.example.com", "/academy", "ftp://academy.example.com",
                                 "https://", "https://academy.example.com/?a=1"])
def test_production_refuses_a_base_url_that_is_not_an_absolute_web_address(tmp_path, url):
    with pytest.raises(ConfigError, match="LMS_BASE_URL must be an absolute http or https"):
        check(production_config(tmp_path, LMS_BASE_URL=url))


def test_production_lists_every_problem_at_once(tmp_path):
    with pytest.raises(ConfigError) as refused:
        check(production_config(tmp_path, SECRET_KEY="short", LMS_BASE_URL=None))
    assert str(refused.value).splitlines()[0].startswith("SECRET_KEY is too short (5")
    assert str(refused.value).splitlines()[1].startswith("LMS_BASE_URL is not set.")


def test_the_lms_command_shows_the_message_instead_of_a_traceback(monkeypatch):
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    from lms.cli import _create_app

    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "too-short")
    monkeypatch.delenv("LMS_BASE_URL", raising=False)
    cli = FlaskGroup(create_app=_create_app)
    result = CliRunner().invoke(cli, ["routes"])
    assert result.exit_code != 0
    assert "SECRET_KEY is too short (9 characters)" in result.output
    assert "LMS_BASE_URL is not set." in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("environment", ["development", "test"])
def test_development_and_tests_need_neither_setting(monkeypatch, tmp_path, environment):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("LMS_BASE_URL", raising=False)
    monkeypatch.setenv("LMS_ENV", environment)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/dev.db"})
    try:
        assert app.config["LMS_BASE_URL"] == DEV_BASE_URL
        assert app.config["SECRET_KEY"] == DEV_SECRET_KEY
    finally:
        with app.app_context():
            db.engine.dispose()


def test_a_short_key_is_fine_in_development(tmp_path):
    config = production_config(tmp_path, LMS_ENV="development", SECRET_KEY="dev",
                               LMS_BASE_URL="http://127.0.0.1:8000/")
    check(config)
    assert config["LMS_BASE_URL"] == "http://127.0.0.1:8000"


# --- Webhooks: https only outside development, internal addresses only when allowed ----------


@pytest.mark.parametrize(("environment", "allow_http"), [("production", False),
                                                         ("development", True),
                                                         ("test", True)])
def test_webhooks_default_to_https_and_public_addresses(tmp_path, environment, allow_http):
    config = production_config(tmp_path, LMS_ENV=environment)
    check(config)
    assert config["LMS_WEBHOOK_ALLOW_HTTP"] is allow_http
    assert config["LMS_WEBHOOK_ALLOW_PRIVATE"] is False  # in development too
    assert config["LMS_WEBHOOK_TIMEOUT"] == 10.0


def test_webhook_settings_from_the_environment(tmp_path):
    config = production_config(tmp_path, LMS_WEBHOOK_ALLOW_HTTP="1",
                               LMS_WEBHOOK_ALLOW_PRIVATE="yes", LMS_WEBHOOK_TIMEOUT="2.5")
    check(config)
    assert config["LMS_WEBHOOK_ALLOW_HTTP"] is True
    assert config["LMS_WEBHOOK_ALLOW_PRIVATE"] is True
    assert config["LMS_WEBHOOK_TIMEOUT"] == 2.5
    development = production_config(tmp_path, LMS_ENV="development",
                                    LMS_WEBHOOK_ALLOW_HTTP="0")
    check(development)
    assert development["LMS_WEBHOOK_ALLOW_HTTP"] is False


@pytest.mark.parametrize("timeout", ["0", "0.5", "61", "ten", "nan"])
def test_a_webhook_timeout_out_of_range_is_refused(tmp_path, timeout):
    with pytest.raises(ConfigError, match="LMS_WEBHOOK_TIMEOUT must be a number of seconds "
                                          "from 1 to 60"):
        check(production_config(tmp_path, LMS_WEBHOOK_TIMEOUT=timeout))
