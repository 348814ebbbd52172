"""People's activity, rolled up where it happens: each person's latest activity and the local
months in which each company was active.

The KPI, health and home pages ask, per company: how many people were active lately, when
was anyone last active, was anyone active in this period and the one before. Answering that
from the events themselves (lesson progress, attempts, deals registered, sign-ins) reduced
every event row to one row per person on each page view: 170-300 ms at 40,000 people and
200,000 deals. Instead every write of such an event also keeps

- `users.last_active_at`: the latest of all of them (only ever moved forward), and
- `organization_activity_months`: one row per company and local month with any activity
  (of the company the person belonged to then),

so the pages read one row per person and at most one per company and month.

Events written through the ORM are seen by a flush listener (`_record_flushed`): every
writer, the demo's and the tests' included, keeps the rollup without knowing about it. The
few writes made as plain statements add theirs: a request's "last seen" (`seen`; it also
stands for what the request does, so a lesson view, written as a plain upsert, is never
more than that write's few minutes later than the person's last activity) and grading an
attempt (`recorded`). `rebuild()` recomputes both from the events, for data loaded around
the ORM (the benchmark's bulk inserts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from flask_sqlalchemy.session import Session
from sqlalchemy import Date, Table, bindparam, case, event, inspect, or_, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable

from lms.clock import local_date
from lms.models import Attempt, Deal, LessonProgress, OrganizationActivityMonth, User

USERS: Table = User.__table__  # type: ignore[assignment]
MONTHS: Table = OrganizationActivityMonth.__table__  # type: ignore[assignment]

# What counts as activity: the moments of each kind of event, and whose they are.
_MOMENTS: dict[type, tuple[str, ...]] = {
    User: ("last_seen_at",),
    LessonProgress: ("started_at", "last_viewed_at", "completed_at"),
    Attempt: ("started_at", "submitted_at"),
    Deal: ("registered_at",),
}


def month_of(at: datetime) -> date:
    """The local month (its first day) of a moment, in the program's time zone."""
    return local_date(at).replace(day=1)


def _advance_statement(user_id: int | None = None, at: datetime | None = None):
    """Move a person's last activity forward (never back: a late writer cannot undo it).
    Without values: parameters "uid" and "at", for one executemany."""
    moment = bindparam("at", at, type_=USERS.c.last_active_at.type)
    return (USERS.update()
            .where(USERS.c.id == bindparam("uid", user_id),
                   or_(USERS.c.last_active_at.is_(None), USERS.c.last_active_at < moment))
            .values(last_active_at=moment))


def _month_statement(dialect: str, user_id: int | None = None, month: date | None = None):
    """The person's company was active in the month (nothing when it is known already).
    Without values: parameters "uid" and "month", for one executemany."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # Not CAST(... AS DATE): SQLite would make a number of it.
    company_month = select(USERS.c.organization_id, bindparam("month", month, type_=Date())
                           ).where(USERS.c.id == bindparam("uid", user_id),
                                   USERS.c.organization_id.is_not(None))
    return (insert(MONTHS).from_select(["organization_id", "month"], company_month)
            .on_conflict_do_nothing())


def recorded(user_id: int, at: datetime, dialect: str) -> tuple[Executable, Executable]:
    """The two statements that record an activity of `user_id` at `at`, ready to execute
    with the write that made it (for writes that bypass the ORM)."""
    return (_advance_statement(user_id, at), _month_statement(dialect, user_id, month_of(at)))


def seen(user: User, at: datetime, dialect: str) -> tuple[Executable, ...]:
    """Statements for "`user` is here at `at`" (a request's "last seen", written at most every
    few minutes): one UPDATE of both moments, and the company's month only when the person's
    last activity was in another month (it is recorded with that activity otherwise)."""
    latest = case((or_(USERS.c.last_active_at.is_(None), USERS.c.last_active_at < at), at),
                  else_=USERS.c.last_active_at)
    update = (USERS.update().where(USERS.c.id == user.id)
              .values(last_seen_at=at, last_active_at=latest))
    if user.last_active_at is not None and month_of(user.last_active_at) == month_of(at):
        return (update,)
    return update, _month_statement(dialect, user.id, month_of(at))


def _keep_latest(latest: dict[int, datetime], user_id: int, at: datetime) -> None:
    if user_id not in latest or latest[user_id] < at:
        latest[user_id] = at


def _write(connection: Connection, latest: dict[int, datetime],
           months: set[tuple[int, date]]) -> None:
    if latest:  # in one order (of people), as every writer locks them
        connection.execute(_advance_statement(),
                           [{"uid": uid, "at": at} for uid, at in sorted(latest.items())])
    if months:
        connection.execute(_month_statement(connection.dialect.name),
                           [{"uid": uid, "month": month} for uid, month in sorted(months)])


def _events(obj: Any, new: bool) -> Iterator[tuple[int, datetime]]:
    """(person, moment) of each activity the flush of `obj` (`new`: inserted) writes.

    Moments must be Python datetimes (every writer here sets them so): one set as an SQL
    expression (func.now()) is not known until read back, and is not recorded."""
    names = _MOMENTS.get(type(obj))
    if names is None:
        return
    user_id: int | None
    if isinstance(obj, User):
        user_id = obj.id
    elif isinstance(obj, Deal):
        user_id = obj.registered_by_id  # None: a deal from the CRM, nobody's activity
    else:
        user_id = obj.user_id
    if user_id is None:
        return
    state = inspect(obj)
    for name in names:
        if new:  # its values as inserted, column defaults included
            values: Iterable[Any] = (state.dict.get(name),)
        else:
            values = state.attrs[name].history.added or ()
        for value in values:
            if isinstance(value, datetime):
                yield user_id, value


def _moved(obj: Any) -> bool:
    return isinstance(obj, User) and inspect(obj).attrs.organization_id.history.has_changes()


@event.listens_for(Session, "after_flush")
def _record_flushed(session: Session, _context) -> None:
    latest: dict[int, datetime] = {}
    months: set[tuple[int, date]] = set()
    for new, objects in ((True, session.new), (False, session.dirty)):
        for obj in objects:
            for user_id, at in _events(obj, new):
                _keep_latest(latest, user_id, at)
                months.add((user_id, month_of(at)))
    moved = sorted(obj.id for obj in session.dirty if _moved(obj))
    if not (latest or moved):
        return
    connection = session.connection()
    _write(connection, latest, months)
    if moved:
        # A person moved to another company: their last activity's month becomes the new
        # company's too (`seen` takes a person active this month as recorded this month).
        # Read from the table: the session's copy may predate a write by another request.
        lasts = connection.execute(select(USERS.c.id, USERS.c.last_active_at).where(
            USERS.c.id.in_(moved), USERS.c.last_active_at.is_not(None)))
        _write(connection, {}, {(uid, month_of(last)) for uid, last in lasts})


def _event_moments():
    """Every (person, moment) of activity, as one statement."""
    parts = [select(USERS.c.id, USERS.c.last_seen_at).where(USERS.c.last_seen_at.is_not(None))]
    for model, names in _MOMENTS.items():
        if model is User:
            continue
        owner = Deal.registered_by_id if model is Deal else model.user_id
        for name in names:
            column = getattr(model, name)
            parts.append(select(owner, column).where(owner.is_not(None), column.is_not(None)))
    return union_all(*parts)


def rebuild(connection: Connection) -> None:
    """Recompute the rollup from the events (after loading events around the ORM).

    Reads each event moment once; fine for a migration or a benchmark, never for a page."""
    company = dict(connection.execute(select(USERS.c.id, USERS.c.organization_id)).all())
    latest: dict[int, datetime] = {}
    months: set[tuple[int, date]] = set()
    for user_id, at in connection.execute(_event_moments()):
        _keep_latest(latest, user_id, at)
        if company.get(user_id) is not None:
            months.add((company[user_id], month_of(at)))
    connection.execute(USERS.update().values(last_active_at=None))
    connection.execute(MONTHS.delete())
    _write(connection, latest, set())
    if months:
        connection.execute(MONTHS.insert(), [{"organization_id": org, "month": month}
                                             for org, month in sorted(months)])
