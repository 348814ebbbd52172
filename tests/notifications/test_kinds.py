"""Each kind of notification, written once to the people who act on it and to no one else,
rendered in English and (without asserting wording) Japanese: what credentials and courses
announce when they are earned and completed, and the inbox opening where a notice points.

The kinds of deals, tiers, learning and assets are in test_deal_notices.py,
test_tier_notices.py, test_learning_notices.py and test_asset_notices.py; the helpers they
share are here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.content import load_all, sync_all
from lms.dates import format_date
from lms.deals.registration import change_status
from lms.events import published
from lms.extensions import db
from lms.models import (
    Course,
    Credential,
    CredentialKind,
    JobFunction,
    Lesson,
    Notification,
    Role,
    User,
)
from lms.notifications.messages import Message
from lms.notifications.service import message_of
from tests.factories import make_org, make_user, signed_in
from tests.factories.deals import register

# 12:00 in Tokyo (the program's time zone): local dates are the UTC dates.
NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
DAY = timedelta(days=1)
BASE = "https://academy.example.test"
PPE = "partner-program-essentials"
# The suite runs on SQLite unless DATABASE_URL names another database (tests/conftest.py).
ON_SQLITE = os.environ.get("DATABASE_URL", "sqlite").startswith("sqlite")
SELLING = "selling-nimbus-crm"


# --- Shared helpers ---------------------------------------------------------------------------


def notifications(kind: str | None = None) -> list[Notification]:
    """Every notification (of `kind`), by recipient, read afresh."""
    db.session.expire_all()
    stmt = select(Notification).order_by(Notification.user_id, Notification.id)
    if kind is not None:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def recipients(kind: str | None = None) -> list[int]:
    """The user id of each notification (of `kind`): a person told twice appears twice."""
    return [n.user_id for n in notifications(kind)]


def ids(*users: User) -> list[int]:
    return sorted(u.id for u in users)


def only(kind: str, user: User) -> Notification:
    """The one notification of `kind` that `user` got."""
    (found,) = [n for n in notifications(kind) if n.user_id == user.id]
    return found


def in_both(notification: Notification) -> tuple[Message, Message]:
    """The message in English and in Japanese (rendering must not fail in either)."""
    return message_of(notification, "en"), message_of(notification, "ja")


def day_in(locale: str, day: date) -> str:
    """A date as the messages show it to a reader of `locale`."""
    with force_locale(locale):
        return format_date(day)


def says(message: Message, *texts: str) -> bool:
    """Whether every text is in the title or the body."""
    whole = f"{message.title}\n{message.body}"
    return all(text in whole for text in texts)


@contextmanager
def events() -> Iterator[list[tuple[str, dict]]]:
    """The (event type, data) of every lms.events.publish while the block runs."""
    seen: list[tuple[str, dict]] = []

    def receiver(event_type: str, data: dict) -> None:
        seen.append((event_type, data))

    with published.connected_to(receiver):
        yield seen


def sync_content() -> None:
    sync_all(load_all())
    db.session.commit()


def synced_site(make_app, tmp_path) -> Iterator:
    """An app with the real courses synced (without quizzes: a course is complete once its
    lessons are) and a known base URL, its context pushed while the generator runs."""
    app = make_app(LMS_BASE_URL=BASE, LMS_QUIZZES_DIR=str(tmp_path / "no-quizzes"))
    with app.app_context():
        sync_content()
        yield app


@pytest.fixture
def site(make_app, tmp_path):
    yield from synced_site(make_app, tmp_path)


def lessons_of(slug: str) -> list[Lesson]:
    return list(db.session.scalars(select(Lesson).join(Course).where(Course.slug == slug)
                                   .order_by(Lesson.position)))


def complete(client, slug: str, lessons: list[Lesson]) -> None:
    for lesson in lessons:
        response = client.post(f"/courses/{slug}/{lesson.slug}/complete")
        assert response.status_code == 302, (lesson.slug, response.status_code)


# --- Credentials and courses ------------------------------------------------------------------


@pytest.fixture
def essentials_badge(site) -> Credential:
    """A badge earned by completing Partner Program Essentials alone."""
    badge = Credential(slug="essentials-read", name="Essentials Read", kind=CredentialKind.BADGE,
                       image="badges/program-essentials.svg", content_hash="x",
                       courses=[PPE], quizzes=[], translations={"ja": {"name": "基本を読了"}})
    db.session.add(badge)
    db.session.commit()
    return badge


def test_earning_a_credential_congratulates_the_holder_with_the_share_links(
        site, essentials_badge):
    org = make_org(name="Sakura Systems K.K.")
    holder = make_user(Role.MEMBER, org, name="Haruto Sato", job=JobFunction.SALES)
    colleague = make_user(Role.MEMBER, org, job=JobFunction.SALES)
    admin = make_user(Role.PARTNER_ADMIN, org, job=None)
    outsider = make_user(Role.PARTNER_ADMIN, make_org(), job=None)
    client = signed_in(site, holder, through_form=False)

    with events() as seen:
        complete(client, PPE, lessons_of(PPE))

    awarded = [data for kind, data in seen if kind == "credential.awarded"]
    (data,) = [d for d in awarded if d["credential"] == "essentials-read"]
    (earned,) = notifications("credential_earned")
    assert earned.user_id == holder.id
    code = earned.params["code"]
    assert data["verify_url"] == f"{BASE}/verify/{code}"
    assert data["holder"]["email"] == holder.email and data["award_id"] == earned.params["award"]
    assert earned.key == f"credential-earned:{data['award_id']}"
    assert earned.params["credential"] == {"en": "Essentials Read", "ja": "基本を読了"}
    for someone in (colleague, admin, outsider):
        assert someone.id not in recipients()

    english, japanese = in_both(earned)
    assert english.title == "You earned Essentials Read"
    assert f"{BASE}/verify/{code}" in english.body
    assert re.search(r"https://www\.linkedin\.com/\S+", english.body)
    assert english.path == "/credentials"
    assert f"{BASE}/verify/{code}" in japanese.body and "linkedin.com" in japanese.body
    assert "基本を読了" in japanese.title + japanese.body

    # Completing a lesson again earns nothing new and tells no one anything.
    with events() as again:
        client.post(f"/courses/{PPE}/{lessons_of(PPE)[0].slug}/complete")
    assert again == [] and len(notifications()) == 1


def test_completing_the_last_lesson_announces_the_course_once(site):
    person = make_user(Role.MEMBER, make_org(), job=JobFunction.SALES)
    client = signed_in(site, person, through_form=False)
    lessons = lessons_of(PPE)
    assert len(lessons) >= 2

    with events() as seen:
        complete(client, PPE, lessons[:-1])
        assert [kind for kind, _data in seen if kind == "course.completed"] == []
        complete(client, PPE, lessons[-1:])
    completed = [data for kind, data in seen if kind == "course.completed"]
    (data,) = completed
    assert data["course"] == PPE and data["person"]["email"] == person.email
    assert data["organization"]["id"] == person.organization_id

    # A lesson of the complete course again, and a lesson of another course: nothing new.
    with events() as later:
        complete(client, PPE, lessons[:1])
        complete(client, SELLING, lessons_of(SELLING)[:1])
    assert [kind for kind, _data in later if kind == "course.completed"] == []


# --- The inbox --------------------------------------------------------------------------------


def test_a_rejected_registrant_finds_it_in_the_inbox_and_opening_it_leads_to_the_deal(app):
    org = make_org(slug="alpha", name="Alpha Systems K.K.")
    registrant = make_user(Role.MEMBER, org, name="Aiko Sales")
    stranger = make_user(Role.MEMBER, org)
    manager = make_user(Role.MANAGER)
    deal = register(org, registrant, "Globex K.K.", now=NOW - DAY)
    change_status(deal, "reject", manager, reason="Served directly", now=NOW)
    db.session.commit()
    notice = only("deal_decided", registrant)
    client = signed_in(app, registrant, through_form=False)

    page = client.get("/notifications").get_data(as_text=True)

    assert "Deal for Globex K.K. rejected" in page and "Served directly" in page
    assert f'href="/notifications/{notice.id}"' in page
    assert signed_in(app, stranger, through_form=False).get(
        f"/notifications/{notice.id}").status_code == 404
    response = client.get(f"/notifications/{notice.id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/deals/{deal.id}"
    assert only("deal_decided", registrant).read_at is not None
