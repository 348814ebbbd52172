"""Who hears of program terms to accept: each company's partner admins, once per version
(when it is published ahead of its day, or when it is in force and still not accepted; a
version published and in force the same day is told once)."""

from __future__ import annotations

from datetime import date, datetime

from lms.clock import program_today
from lms.database import start_write_transaction
from lms.extensions import db
from lms.models import TermsVersion, utcnow
from lms.notifications.service import Batch, partner_admins_of
from lms.terms import service

CATEGORY = "terms"


def remind_to_accept(today: date | None = None, now: datetime | None = None) -> int:
    """Notify the partner admins of every active company that has not accepted the version
    in force or the coming one; each person hears of a version once, and again once when
    it takes effect unaccepted."""
    today = today or program_today()
    now = now or utcnow()
    start_write_transaction()
    batch = Batch(now)
    for info in service.to_accept(today):
        stored = db.session.get(TermsVersion, info.id)
        if stored is None:
            continue
        in_force = info.effective_on <= today
        stage = "in-force" if in_force else "published"
        params = {"version": info.version, "effective": info.effective_on.isoformat(),
                  "title": stored.titles, "in_force": in_force}
        # A few queries whatever the number of companies: admins in one, those already
        # told in one, and one flush (lms.notifications.service.Batch).
        admins = partner_admins_of(service.pending_companies(info))
        for people in admins.values():
            batch.add(people, f"terms:{info.version}:{stage}", CATEGORY, "terms_to_accept",
                      params)
    return batch.write()
