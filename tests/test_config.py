"""Configuration from the environment."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from lms import create_app
from lms.config import ConfigError, from_environment, normalize_database_url
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
