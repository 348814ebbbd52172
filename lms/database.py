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

How a request saves (docs/architecture.md, "Transactions"): services change objects and
flush, never commit; the view wraps the service calls that make one change in
`with saving(SomeError) as saved:`, which commits them together or rolls all of them back,
and reports a refusal (the service's error, a rule the user broke) as a message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import cast

from flask import current_app, flash, g, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable
from wtforms import Field, Form

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

    What it commits: the transaction the request has open, if any, is committed first, with
    whatever the request changed so far (usually nothing: a request that read before it
    decides). So call it before the change it protects, not in the middle of one.
    SQLite: BEGIN IMMEDIATE takes the write lock now, so concurrent deciders queue up
    (waiting up to the busy timeout). PostgreSQL: the caller locks the rows it decides on
    with SELECT ... FOR UPDATE. Inside a write transaction already, it does nothing.
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


def lock_row(model, ident: int) -> None:
    """Decide alone on what hangs from one row (a company's tier records, its funds): two
    writers take turns. PostgreSQL locks the row (SELECT ... FOR UPDATE); SQLite's write lock
    (start_write_transaction) already serializes every writer."""
    start_write_transaction()
    db.session.execute(db.select(model.id).where(model.id == ident).with_for_update())


def end_read_transaction() -> None:
    """End the request's transaction before slow work (a password hash), so a POST does not
    hold SQLite's write lock meanwhile. Only for a transaction that has changed nothing."""
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("end_read_transaction() would commit unsaved changes")
    session.commit()


def _report(error: Exception, field: Field | None, form: Form | None) -> None:
    named = getattr(error, "field", None)
    if field is None and form is not None and named and named in form:
        field = form[named]
    if field is not None:
        field.errors = [*field.errors, str(error)]
    else:
        flash(str(error), "error")


@dataclass
class Saved:
    """What `saving()` did: `ok` when the changes are committed, else the refusal."""

    ok: bool = False
    error: Exception | None = None
    discarded: bool = False

    def discard(self) -> None:
        """Roll back instead of committing when the block ends (a dry run, a refused file)."""
        self.discarded = True


@contextmanager
def saving(*refusals: type[Exception], field: Field | None = None,
           form: Form | None = None) -> Iterator[Saved]:
    """Commit the changes the block makes together, or roll all of them back.

    A refusal (an exception of `refusals`: a service saying no, its message written for the
    user) rolls back and is reported next to a form field: `field`, or the field of `form`
    the error names (its `field` attribute); else as a flashed error. The caller reads
    `saved.ok`. Any other exception rolls back and propagates (the error handlers log it).
    """
    saved = Saved()
    try:
        yield saved
    except refusals as error:
        db.session.rollback()
        saved.error = error
        _report(error, field, form)
        return
    except BaseException:
        db.session.rollback()
        raise
    if saved.discarded:
        db.session.rollback()
        return
    db.session.commit()
    saved.ok = True


def escape_like(value: str) -> str:
    """`value` matched literally by LIKE ... ESCAPE '\\' (no wildcards of its own)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


def execute_dml(statement: Executable) -> int:
    """Run an UPDATE or DELETE in the request's transaction; how many rows it changed (a
    conditional UPDATE that changed none lost a race)."""
    result = db.session.execute(statement)
    return cast(CursorResult, result).rowcount


def database_is_reachable() -> bool:
    """True when a trivial query succeeds."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:
        db.session.rollback()
        return False
