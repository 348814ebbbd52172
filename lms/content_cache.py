"""The authored content every person sees alike, kept in each worker's memory.

Courses and lessons, learning paths, quiz and credential names, the tier program and the
library's languages change only when someone syncs content, saves a program or publishes
material, yet every page needs some of them. A
worker builds each such value once (`cached(name, build)`) and keeps it while the content
stays the same:

- Every transaction that changes a content table also writes a new random token to the one
  row of `content_version`: a flush listener does it (and another for bulk statements), so
  no writer can forget, `lms content sync` included, in any worker or process.
- A request reads that token once, with one primary-key query, before it uses any cached
  value; a worker whose copy carries another token drops it and builds again. The token is
  read before the content, so a copy is never labelled newer than what it holds: at worst
  the next request builds it once more.

Nothing of a person or a company is ever cached here (progress, attempts, deals): the values
are what every signed-in person of the portal sees the same, and are read per request.
Builders return plain immutable values (frozen dataclasses, tuples), never ORM objects,
which belong to one session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, cast

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import Connection, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from lms.clock import utcnow
from lms.extensions import db
from lms.models import (
    CONTENT_VERSION_ID,
    Asset,
    ContentVersion,
    Course,
    Credential,
    KbArticle,
    KbCategory,
    LearningPath,
    LearningPathStep,
    Lesson,
    Quiz,
    TermsVersion,
    TierProgramVersion,
)

# The tables whose rows the cached values are built from.
CONTENT_MODELS: tuple[type, ...] = (Course, Lesson, LearningPath, LearningPathStep, Quiz,
                                    Credential, TierProgramVersion, Asset, TermsVersion,
                                    KbCategory, KbArticle)

_EXTENSION = "lms.content_cache"
_CHECKED = "lms.content_token"  # the token this request read


class _Copy:
    """One worker's values of one content version (replaced whole, never shared half-built)."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.values: dict[str, Any] = {}


_TOKEN = select(ContentVersion.token).where(ContentVersion.id == CONTENT_VERSION_ID)


def current_token() -> str:
    """The content version in the database ("" before any content was written)."""
    return db.session.scalar(_TOKEN) or ""


def _copy() -> _Copy:
    """This app's copy for the current content version, checked once per request."""
    state = current_app.extensions.setdefault(_EXTENSION, {"copy": _Copy("\0")})
    memo = _memo()
    token = memo.get(_CHECKED)
    if token is None:
        token = memo[_CHECKED] = current_token()
    copy: _Copy = state["copy"]
    if copy.token != token:
        copy = state["copy"] = _Copy(token)
    return copy


def cached[T](name: str, build: Callable[[], T]) -> T:
    """The value `name` of the current content version, built by `build()` when missing.

    `build` reads the content in the request's session and returns an immutable value.
    """
    copy = _copy()
    if name not in copy.values:
        copy.values[name] = build()
    return cast(T, copy.values[name])


def _memo() -> dict:
    """Where a request keeps what it read: the request itself (tests run many requests in
    one app context) or, in a command, the app context."""
    if has_request_context():
        return request.environ
    return vars(g)


def forget() -> None:
    """Make this request read the content version again (after it changed it itself)."""
    _memo().pop(_CHECKED, None)


# --- Writers: a new token in the same transaction as any content change ---------------------


def _new_token(connection: Connection) -> None:
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    token, now = secrets.token_hex(16), utcnow()
    connection.execute(
        insert(ContentVersion).values(id=CONTENT_VERSION_ID, token=token, changed_at=now)
        .on_conflict_do_update(index_elements=["id"], set_={"token": token,
                                                            "changed_at": now}))
    # A later read in this request (a page after a sync) must see its own change.
    if has_app_context():
        forget()


def _changes_content(session: Session) -> bool:
    if any(isinstance(obj, CONTENT_MODELS) for obj in (*session.new, *session.deleted)):
        return True
    return any(isinstance(obj, CONTENT_MODELS) and session.is_modified(obj)
               for obj in session.dirty)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    # The lists still hold what this flush wrote (SQLAlchemy: "still in pre-flush state").
    if _changes_content(session):
        _new_token(session.connection())


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state: ORMExecuteState) -> Any:
    """`session.execute(insert(Course), rows)` and ORM bulk UPDATE/DELETE skip the flush."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    mapper = state.bind_mapper
    if mapper is None or not issubclass(mapper.class_, CONTENT_MODELS):
        return None
    result = state.invoke_statement()
    _new_token(state.session.connection())
    return result
