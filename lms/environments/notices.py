"""Who hears of demo environment steps:

- a request waits for a decision, an approved one for a manager to set it up, an extension
  for a decision: the channel managers;
- an environment is ready, declined, extended or its extension declined: the requester;
- an environment ends within rules.REMIND_BEFORE: the requester, once per expiry moment.

Called inside the transaction of the change, so the notifications commit with it.
"""

from __future__ import annotations

from datetime import datetime

from lms.extensions import db
from lms.models import DemoEnvironment, Organization, User, utcnow
from lms.notifications.service import managers, notify_all

CATEGORY = "environments"


def _requester(environment: DemoEnvironment) -> User | None:
    if environment.requested_by_id is None:
        return None
    user = db.session.get(User, environment.requested_by_id)
    if user is None or user.organization_id != environment.organization_id:
        return None  # moved to another company since: no longer theirs to hear of
    return user


def to_decide(environment: DemoEnvironment, organization: Organization | None,
              person: User | None, what: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    notify_all(managers(), f"env:{environment.id}:{what}:{now.isoformat()}", CATEGORY,
               "env_to_decide",
               {"environment": environment.id, "what": what,
                "partner": organization.name if organization else "",
                "person": person.name if person else "",
                "days": environment.extension_days if what == "extension"
                else environment.days}, now)


def decided(environment: DemoEnvironment, status: str, note: str | None = None) -> None:
    now = environment.updated_at or utcnow()
    notify_all([_requester(environment)], f"env:{environment.id}:{status}:{now.isoformat()}",
               CATEGORY, "env_decided",
               {"environment": environment.id, "status": status,
                "note": environment.decision_note if note is None else note,
                "expires": environment.expires_at.isoformat()
                if environment.expires_at else None}, now)


def expiring(environment: DemoEnvironment, now: datetime) -> int:
    assert environment.expires_at is not None
    return notify_all([_requester(environment)],
                      f"env-expiring:{environment.id}:{environment.expires_at.isoformat()}",
                      CATEGORY, "env_expiring",
                      {"environment": environment.id,
                       "expires": environment.expires_at.isoformat()}, now)
