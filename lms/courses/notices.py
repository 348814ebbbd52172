"""Nudges about onboarding, found by the daily job (lms.jobs: nudge-learners).

- a person with an onboarding path who has not started a week after joining: the person,
  and their partner admins;
- a person whose unfinished onboarding has seen no learning for two weeks: their partner
  admins (once per stall: learning again and stalling again is a new one).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from lms.clock import local_date
from lms.courses.service import people_progress
from lms.database import start_write_transaction
from lms.extensions import db
from lms.models import Organization, utcnow
from lms.notifications.service import Audience, notify, notify_all

CATEGORY = "learning"


def nudge_learners(now: datetime | None = None) -> int:
    """Notify each not-started or stalled person's side once; how many were written."""
    now = now or utcnow()
    start_write_transaction()
    audience = Audience()
    written = 0
    for organization in db.session.scalars(select(Organization).where(
            Organization.active.is_(True)).order_by(Organization.id)):
        found = people_progress(organization, now)
        for person in found.people:
            onboarding = found.onboarding[person.id]
            if not onboarding.stalled:
                continue
            admins = [a for a in audience.partner_admins(organization.id) if a.id != person.id]
            about = {"person": person.id, "person_name": person.name}
            if onboarding.last_activity is None:
                key = f"learning-not-started:{person.id}"
                written += notify(person, key, CATEGORY, "learning_not_started", {},
                                  now) is not None
                written += notify_all(admins, key, CATEGORY, "learning_not_started", about, now)
            else:  # learned once, then nothing for progress.IDLE_FOR
                key = (f"onboarding-stalled:{person.id}:"
                       f"{local_date(onboarding.last_activity).isoformat()}")
                written += notify_all(admins, key, CATEGORY, "onboarding_stalled", about, now)
    db.session.flush()
    return written
