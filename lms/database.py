"""Engine set-up: SQLite made safe for a web server, and the liveness check."""

from __future__ import annotations

from contextvars import ContextVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from lms.extensions import db

SQLITE_BUSY_TIMEOUT_MS = 5000
_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


def configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and real transactions (BEGIN emitted by us).

    pysqlite opens transactions lazily and commits before DDL on its own; taking over BEGIN
    (the SQLAlchemy-documented recipe) gives SQLite the same transaction semantics as
    PostgreSQL, which concurrency-sensitive writes rely on.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A service that reads then writes asks for IMMEDIATE to take the write lock first.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")


def start_write_transaction() -> None:
    """Begin a transaction that may read, decide, then write without a race.

    Any read-only transaction the request has open is ended first (it holds no changes).
    SQLite: BEGIN IMMEDIATE takes the write lock now, so concurrent deciders queue up
    (waiting up to the busy timeout). PostgreSQL: the caller locks the rows it decides on
    with SELECT ... FOR UPDATE.
    """
    session = db.session()
    if session.in_transaction():
        if session.info.get("write_transaction") is session.get_transaction():
            return  # already deciding inside a write transaction
        session.commit()
    token = _begin_immediate.set(True)
    try:
        session.connection()
    finally:
        _begin_immediate.reset(token)
    session.info["write_transaction"] = session.get_transaction()


def database_is_reachable() -> bool:
    """True when a trivial query succeeds."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        return False
