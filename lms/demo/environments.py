"""Demo environments in every state, as the portal would have made them:

- Sakura Systems (Gold: three at once, approved at once): one ready whose sign-in details
  Haruto Sato has not opened yet (sign in as sales@sakura-systems to see them, once), one
  ending in two days (its engineer was reminded), one returned after its demo;
- Aozora Consulting (Silver: two, the channel team decides): one in use with an extension
  waiting for the channel team, one new request waiting for a decision;
- Kumo Works (Bronze: one): a request declined with the reason, then one approved and waiting
  for the channel team to set it up;
- Hoshino Digital: a request withdrawn before it was decided.

Addresses and sign-in details are encrypted with the instance's key like real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from lms import secretbox
from lms.clock import utcnow
from lms.demo.dates import morning
from lms.demo.people import MANAGER_EMAIL, partner_email, person
from lms.environments import notices
from lms.extensions import db
from lms.models import (
    DemoEnvironment,
    DemoEnvironmentEvent,
    EnvironmentStatus,
    Organization,
    User,
)

S = EnvironmentStatus


@dataclass(frozen=True)
class Story:
    company: str
    who: str  # role prefix of the requester
    purpose: str
    days: int
    asked: int  # days ago
    status: EnvironmentStatus
    ready: int | None = None  # days ago it became ready
    auto: bool = False
    shown: bool = False  # the requester has seen the sign-in details
    note: str = ""
    extension: tuple[int, str] | None = None  # pending: days, why
    returned: int | None = None  # days ago


STORIES = (
    Story("sakura-systems", "sales", "Live demo of the sales pipeline and forecasting for "
          "Hokkaido Dairy Cooperative's sales managers, then a week of hands-on trial.",
          14, 3, S.READY, ready=3, auto=True),
    Story("sakura-systems", "engineer", "Proof of concept: migrating 40,000 customer records "
          "from the customer's Excel ledgers and testing the import API.", 30, 28, S.READY,
          ready=28, auto=True, shown=True),
    Story("sakura-systems", "sales", "Executive demo at Kyushu Rail's head office.", 7, 40,
          S.EXPIRED, ready=39, auto=True, shown=True, returned=35),
    Story("aozora-consulting", "sales", "Two-week trial for Hokuriku Bank's branch "
          "managers (referred deal).", 14, 11, S.READY, ready=10, shown=True,
          extension=(7, "The bank's IT security review moved to next week: the branch "
                        "managers could not start the trial yet.")),
    Story("aozora-consulting", "engineer", "Workshop with Setouchi Logistics to design their "
          "service desk process in Nimbus.", 10, 0, S.REQUESTED),
    Story("kumo-works", "sales", "To learn the product ourselves before our first customer "
          "meeting.", 30, 9, S.DECLINED,
          note="For your own learning, use the training tenant that comes with the "
               "'Selling Nimbus CRM' course: demo environments are for customer demos. "
               "Ask again when you have a prospect."),
    Story("kumo-works", "engineer", "Demo of the service desk for Minami Clinic Group "
          "(deal registered last week).", 14, 1, S.PROVISIONING),
    Story("hoshino-digital", "sales", "Demo for a retail chain; the customer postponed the "
          "project.", 14, 6, S.CANCELLED, returned=5),
)


def _at(today: date, days_ago: int, hours: int, latest: datetime) -> datetime:
    return min(morning(today - timedelta(days=days_ago)) - timedelta(hours=hours), latest)


def seed_environments(today: date) -> int:
    """The stories above (once: skipped when any environment exists)."""
    if db.session.scalar(select(DemoEnvironment.id).limit(1)) is not None:
        return 0
    manager = person(MANAGER_EMAIL)
    if manager is None:
        return 0
    box = secretbox.current(current_app)
    latest = utcnow()
    written = 0
    for number, story in enumerate(STORIES, start=1):
        requester = person(partner_email(story.who, story.company))
        if requester is None or requester.organization_id is None:
            continue
        asked = _at(today, story.asked, 6, latest)
        environment = DemoEnvironment(
            organization_id=requester.organization_id, requested_by_id=requester.id,
            purpose=story.purpose, days=story.days, status=S.REQUESTED,
            auto_approved=story.auto, created_at=asked, updated_at=asked)
        db.session.add(environment)
        db.session.flush()
        _history(environment, story, requester, manager, box, number, today, latest)
        written += 1
    db.session.flush()
    return written


def _event(environment: DemoEnvironment, actor: User | None, before, action: str,
           at: datetime, note: str = "") -> None:
    environment.updated_at = at
    db.session.add(DemoEnvironmentEvent(
        environment_id=environment.id, actor_id=actor.id if actor else None, at=at,
        from_status=before, to_status=environment.status, action=action, note=note))


def _history(environment: DemoEnvironment, story: Story, requester: User, manager: User,
             box, number: int, today: date, latest: datetime) -> None:
    asked = environment.created_at
    organization = db.session.get(Organization, requester.organization_id)
    _event(environment, requester, None, "requested", asked)
    if story.status == S.REQUESTED:
        notices.to_decide(environment, organization, requester, "request", asked)
        return
    if story.status == S.CANCELLED:
        environment.status = S.CANCELLED
        _event(environment, requester, S.REQUESTED, "cancelled",
               _at(today, story.returned or 0, 3, latest))
        return
    if story.status == S.DECLINED:
        notices.to_decide(environment, organization, requester, "request", asked)
        environment.status, environment.decision_note = S.DECLINED, story.note
        _event(environment, manager, S.REQUESTED, "declined",
               _at(today, story.asked - 1, 5, latest), story.note)
        notices.decided(environment, "declined")
        return
    approved = asked + timedelta(minutes=1) if story.auto else \
        _at(today, story.asked, 2, latest)
    environment.status, environment.adapter = S.PROVISIONING, "manual"
    if not story.auto:
        notices.to_decide(environment, organization, requester, "request", asked)
    _event(environment, None if story.auto else manager, S.REQUESTED,
           "auto_approved" if story.auto else "approved", approved)
    notices.to_decide(environment, organization, None if story.auto else manager, "setup",
                      approved)
    if story.status == S.PROVISIONING:
        return
    ready = min(approved + timedelta(hours=2), latest)
    environment.url_box = secretbox.seal(box, f"https://demo-{number:04d}.nimbus-crm.example")
    environment.credentials_box = secretbox.seal(
        box, f"user: {requester.email}\npassword: Demo-{number:04d}-Kobe-Sakura!")
    environment.status, environment.ready_at = S.READY, ready
    environment.expires_at = ready + timedelta(days=story.days)
    _event(environment, manager, S.PROVISIONING, "details_entered", ready)
    notices.decided(environment, "ready")
    if story.shown:
        shown = min(ready + timedelta(hours=1), latest)
        environment.credentials_box, environment.credentials_shown_at = None, shown
        _event(environment, requester, S.READY, "credentials_shown", shown)
    now = latest
    if story.extension:
        days, why = story.extension
        environment.extension_days, environment.extension_reason = days, why
        at = _at(today, 1, 4, latest)
        _event(environment, requester, S.READY, "extension_asked", at, f"+{days}: {why}")
        notices.to_decide(environment, organization, requester, "extension", at)
    if story.returned is not None:
        ended = _at(today, story.returned, 3, latest)
        environment.status, environment.expires_at = S.EXPIRED, ended
        environment.url_box = environment.credentials_box = None
        _event(environment, requester, S.READY, "returned", ended)
    elif environment.expires_at and environment.expires_at - now <= timedelta(days=3):
        notices.expiring(environment, now)
