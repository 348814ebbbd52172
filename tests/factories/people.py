"""Partner companies and people, signing them in, and API tokens."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from lms.api import tokens
from lms.extensions import db
from lms.models import ApiToken, JobFunction, Organization, Role, Tier, User
from lms.models.users import PASSWORD_METHOD

PASSWORD = "correct-horse-battery"


@functools.cache
def hashed(password: str) -> str:
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
    user.password_hash = hashed(password)
    db.session.add(user)
    db.session.commit()
    return user


@dataclass
class People:
    alpha: Organization
    sales: User  # member (sales) of alpha
    engineer: User  # member (technical) of alpha
    partner_admin: User  # partner admin of alpha
    manager: User
    admin: User


def make_people() -> People:
    """A partner company and one person of every kind, in one transaction."""
    alpha = Organization(slug="alpha", name="Alpha Systems K.K.", tier=Tier.SILVER,
                         signed_on=date(2025, 4, 1))
    db.session.add(alpha)

    def person(key: str, name: str, role: Role, job: JobFunction | None = None) -> User:
        user = User(email=f"{key}@security.test", name=name, role=role,
                    organization=alpha if role.is_partner else None, job_function=job)
        user.password_hash = hashed(PASSWORD)
        db.session.add(user)
        return user

    people = People(
        alpha=alpha,
        sales=person("sales", "Aiko Sales", Role.MEMBER, JobFunction.SALES),
        engineer=person("engineer", "Ami Engineer", Role.MEMBER, JobFunction.TECHNICAL),
        partner_admin=person("partner-admin", "Akira Admin", Role.PARTNER_ADMIN),
        manager=person("manager", "Mariko Manager", Role.MANAGER),
        admin=person("admin", "Ada Admin", Role.ADMIN),
    )
    db.session.commit()
    return people


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


def signed_in(app, user: User | None, *, through_form: bool = True) -> FlaskClient:
    """A new client signed in as `user` (None: a signed-out client).

    Through the sign-in form by default, with the form's CSRF token when the app checks one,
    and asserted to succeed. `through_form=False` skips the cost of the password check: the
    session gets what Flask-Login's own sign-in stores, the user id with the user's session
    token, so signing out or rotating the token ends this session as any other.
    """
    client = app.test_client()
    if user is None:
        return client
    if not through_form:
        db.session.refresh(user)
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return client
    extra = {}
    if app.config["WTF_CSRF_ENABLED"]:
        extra["csrf_token"] = csrf_token(client, "/login")
    response = login(client, user, **extra)
    assert response.status_code == 302, f"{user.email} could not sign in"
    return client


def api_token(admin: User | None = None, scopes: Iterable[str] = tokens.SCOPES, *,
              lifetime_days: int = tokens.DEFAULT_LIFETIME_DAYS, name: str = "CRM sync",
              now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new API token (row, plain text) of `admin` (by default a new administrator) with
    `scopes` (by default every one), committed."""
    token, plain = tokens.create_token(name, admin or make_user(Role.ADMIN), scopes,
                                       lifetime_days, now=now)
    db.session.commit()
    return token, plain


def api_headers(admin: User | None = None, scopes: Iterable[str] = tokens.SCOPES) -> dict:
    """Request headers with a new API token of `admin` (by default a new administrator)
    holding `scopes` (by default every one)."""
    _token, plain = api_token(admin, scopes)
    return bearer(plain)


def bearer(plain: str) -> dict:
    """The Authorization header of a call with the API token `plain`."""
    return {"Authorization": f"Bearer {plain}"}
