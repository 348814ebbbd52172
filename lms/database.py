"""Engine set-up: SQLite made safe for a web server, writes that never fail on a lock, the
liveness check.

The rule every request keeps, on SQLite as on PostgreSQL: a request that writes takes the
write lock before it reads what it decides on, or its write is best-effort.

SQLite in WAL mode refuses at once (SQLITE_BUSY, "database is locked") to turn a transaction
that has read into one that writes when another connection has written since the read began:
the busy timeout never applies to that upgrade. So on SQLite the first transaction of a request
whose method may write (POST, PUT, PATCH, DELETE) begins with BEGIN IMMEDIATE, which takes the
write lock first and waits for it up to the busy timeout; a later transaction of that request
(after a commit) writes only after start_write_transaction(). Safe methods (GET, HEAD) begin
deferred transactions and only write through `write_best_effort()` (a lesson view, "last
seen"), which takes the lock first too and never fails the page.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from flask import current_app, g, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lms.extensions import db

log = logging.getLogger(__name__)

# Below gunicorn's 30 s worker timeout; a writer waits in line rather than failing.
SQLITE_BUSY_TIMEOUT_MS = 10_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=False)


class DeferredWriteError(RuntimeError):
    """A request wrote inside a deferred SQLite transaction (raised in tests only)."""


def _wants_write_lock() -> bool:
    """IMMEDIATE when asked for, and for the first transaction of a request that may write.

    Later transactions of the request (after a commit: reloading what it shows, or the
    redirect) begin deferred; one that writes again calls start_write_transaction() first
    (tests fail on a forgotten one, see _refuse_deferred_writes).
    """
    if _begin_immediate.get():
        return True
    if not has_request_context() or request.method in SAFE_METHODS or g.get("_began_write"):
        return False
    g._began_write = True
    return True


def configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and real transactions (BEGIN emitted by us).

    pysqlite opens transactions lazily and commits before DDL on its own; taking over BEGIN
    (the SQLAlchemy-documented recipe) gives SQLite the same transaction semantics as
    PostgreSQL, and lets us choose IMMEDIATE where the transaction may write.
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
        immediate = _wants_write_lock()
        connection.info["write_lock"] = immediate
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    event.listen(engine, "before_cursor_execute", _refuse_deferred_writes)


WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _refuse_deferred_writes(connection, _cursor, statement, *_args) -> None:
    """A request that writes in a deferred SQLite transaction has the pattern that answers
    500 under concurrency: tests fail on it, production logs it."""
    if connection.info.get("write_lock") or not has_request_context():
        return
    if not statement.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
        return
    message = (f"{request.method} {request.path} writes in a deferred SQLite transaction: "
               "call lms.database.start_write_transaction() before reading what it decides "
               "on, or use write_best_effort()")
    if current_app.testing:
        raise DeferredWriteError(message)
    log.warning(message)


def _holds_write_lock(session: Session) -> bool:
    if not session.in_transaction():
        return False
    if session.info.get("write_transaction") is session.get_transaction():
        return True
    return db.engine.dialect.name == "sqlite" and bool(
        session.connection().info.get("write_lock"))


def start_write_transaction() -> None:
    """Begin a transaction that may read, decide, then write without a race.

    Any read-only transaction the request has open is ended first (it holds no changes).
    SQLite: BEGIN IMMEDIATE takes the write lock now, so concurrent deciders queue up
    (waiting up to the busy timeout). PostgreSQL: the caller locks the rows it decides on
    with SELECT ... FOR UPDATE.
    """
    session = db.session()
    if _holds_write_lock(session):
        return  # already deciding inside a write transaction
    if session.in_transaction():
        session.commit()
    token = _begin_immediate.set(True)
    try:
        session.connection()
    finally:
        _begin_immediate.reset(token)
    session.info["write_transaction"] = session.get_transaction()


def write_best_effort(*statements) -> bool:
    """Execute small writes the page does not depend on (a lesson view, "last seen"); False
    when the database was too busy (logged), never an exception to the caller.

    Inside a request's write transaction they join it (in a savepoint); otherwise they run in
    a short transaction of their own on another connection (BEGIN IMMEDIATE on SQLite), so
    the request's objects are not expired and its reads go on undisturbed.
    """
    session = db.session()
    try:
        if _holds_write_lock(session):
            with session.begin_nested():
                for statement in statements:
                    session.execute(statement)
            return True
        token = _begin_immediate.set(True)
        try:
            with db.engine.begin() as connection:
                for statement in statements:
                    connection.execute(statement)
        finally:
            _begin_immediate.reset(token)
        return True
    except DBAPIError as error:  # locked, timed out, deadlock, serialization: skip this time
        log.warning("best-effort write skipped: %s", error.orig)
        return False


def database_is_reachable() -> bool:
    """True when a trivial query succeeds."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        return False
