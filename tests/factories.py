"""Test data factories (CTFd-style generators instead of fixture files) and HTTP helpers."""

from __future__ import annotations

import contextlib
import functools
import re
from datetime import date

from werkzeug.security import generate_password_hash

from lms.extensions import db
from lms.models import JobFunction, Organization, Role, Tier, User
from lms.models.users import PASSWORD_METHOD

PASSWORD = "correct-horse-battery"


@functools.cache
def _hashed(password: str) -> str:
    """The same scrypt hash the app makes, computed once per password to keep tests fast."""
    return generate_password_hash(password, method=PASSWORD_METHOD)

_counter = iter(range(1, 1_000_000))


def make_org(slug: str | None = None, tier: Tier = Tier.BRONZE, **kw) -> Organization:
    n = next(_counter)
    org = Organization(
        slug=slug or f"partner-{n}", name=kw.pop("name", f"Partner {n} K.K."), tier=tier,
        signed_on=kw.pop("signed_on", date(2025, 4, 1)), **kw,
    )
    db.session.add(org)
    db.session.commit()
    return org


def make_user(role: Role = Role.MEMBER, org: Organization | None = None, *,
              email: str | None = None, job: JobFunction | None = JobFunction.SALES,
              password: str = PASSWORD, **kw) -> User:
    n = next(_counter)
    if role.is_partner and org is None:
        org = make_org()
    user = User(
        email=email or f"person{n}@example.test", name=kw.pop("name", f"Person {n}"),
        role=role, organization=org if role.is_partner else None,
        job_function=job if role.is_partner else None, **kw,
    )
    user.password_hash = _hashed(password)
    db.session.add(user)
    db.session.commit()
    return user


def login(client, user_or_email, password: str = PASSWORD, **extra):
    email = user_or_email if isinstance(user_or_email, str) else user_or_email.email
    return client.post("/login", data={"email": email, "password": password, **extra})


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form on `path` (for apps with CSRF enabled)."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html) or re.search(r'id="csrf_token" name="csrf_token" '
                                              r'type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class QueryCount:
    """`with count_queries() as q: ...` then `q.n`: the SQL statements run inside the block."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def n(self) -> int:
        return len(self.statements)


@contextlib.contextmanager
def count_queries():
    from sqlalchemy import event

    counter = QueryCount()

    def on_execute(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            counter.statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
