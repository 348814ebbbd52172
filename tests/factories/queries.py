"""What a block sends to the database: how many statements (N+1 guards), which parameters."""

from __future__ import annotations

import contextlib

from sqlalchemy import event

from lms.extensions import db


class QueryCount:
    """`with count_queries() as q: ...` then `q.n`: the SQL statements run inside the block."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def n(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_queries():
    counter = QueryCount()

    def on_execute(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            counter.statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)


class DatabaseParameters:
    """`with DatabaseParameters() as sent: ...`: every parameter value sent to the database
    inside the block."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def _collect(self, params) -> None:
        if isinstance(params, dict):
            for value in params.values():
                self._collect(value)
        elif isinstance(params, list | tuple):
            for value in params:
                self._collect(value)
        else:
            self.values.append(params)

    def __enter__(self):
        def listener(_conn, _cursor, _statement, parameters, _context, _many):
            self._collect(parameters)

        self._listener = listener
        event.listen(db.engine, "before_cursor_execute", listener)
        return self

    def __exit__(self, *_exc):
        event.remove(db.engine, "before_cursor_execute", self._listener)

    def with_nul(self) -> list[str]:
        return [v for v in self.values if isinstance(v, str) and "\x00" in v]
