"""The demo's integrations: the API tokens a vendor's admin would have made (their plain text
is never kept, so nobody can call the API with them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from lms.api import tokens
from lms.extensions import db
from lms.models import ApiToken, User

# (name, scopes, lifetime in days, made this many days ago, last used this many hours ago)
DEMO_TOKENS = (
    ("Salesforce sync", ("deals:write", "partners:read"), 90, 20, 3),
    ("Website badge check", ("credentials:read",), 365, 120, 30),
    ("Quarterly BI export", ("partners:read",), 30, 45, None),  # expired: rotate or revoke
)


def seed_api_tokens(now: datetime, admin: User | None) -> int:
    """Create the demo tokens that are missing (by name); how many were created. Flushes."""
    if admin is None:
        return 0
    existing = set(db.session.scalars(select(ApiToken.name)))
    created = 0
    for name, scopes, lifetime, made_days_ago, used_hours_ago in DEMO_TOKENS:
        if name in existing:
            continue
        made = now - timedelta(days=made_days_ago)
        token, _plain = tokens.create_token(name, admin, scopes, lifetime, now=made)
        if used_hours_ago is not None:
            token.last_used_at = now - timedelta(hours=used_hours_ago)
        created += 1
    db.session.flush()
    return created
