"""Who hears of questions to the channel team: the managers when a partner asks or follows
up; the person who asked when the channel team answers. Called inside the transaction of the
message, so the notification commits with it."""

from __future__ import annotations

from datetime import datetime

from lms.extensions import db
from lms.models import KbQuestion, User
from lms.notifications.service import Audience, notify, notify_all

CATEGORY = "kb"


def _params(question: KbQuestion, author: User) -> dict:
    return {"question": question.id, "subject": question.subject, "author": author.name}


def asked(question: KbQuestion, author: User, now: datetime) -> None:
    notify_all(Audience().managers(), f"kb:{question.id}:asked", CATEGORY, "kb_asked",
               _params(question, author), now)


def replied(question: KbQuestion, author: User, from_vendor: bool, now: datetime) -> None:
    key = f"kb:{question.id}:{now.isoformat()}"
    if from_vendor:
        asker = db.session.get(User, question.asked_by_id) if question.asked_by_id else None
        if asker is not None and asker.active and asker.organization_id == question.organization_id:
            notify(asker, key, CATEGORY, "kb_answered", _params(question, author), now)
        return
    notify_all(Audience().managers(), key, CATEGORY, "kb_asked",
               _params(question, author) | {"follow_up": True}, now)
