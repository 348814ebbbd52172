"""People's activity rolled up where it is written (lms.activity): each person's latest
moment and each company's active months, equal to what the events themselves say."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from lms import activity, create_app
from lms.cli import upgrade_database
from lms.extensions import db
from lms.models import (
    Attempt,
    Deal,
    Lesson,
    LessonProgress,
    OrganizationActivityMonth,
    Role,
    User,
)
from lms.quizzes import service as quizzes
from lms.reports import program_facts
from lms.reports.kpis import Activity
from tests.factories import make_org, make_user, signed_in
from tests.factories.deals import deal
from tests.factories.learning import attempt, lesson, progress, quiz
from tests.factories.reports import at

NOW = at("2026-11-27T09:00")  # the KPI period: Dec 2025 ... Nov 2026; before: Dec 2024 ...
BEFORE_THE_ROLLUP = "3da7ccd9aad0"  # the migration just before it


def rollup() -> tuple[dict[int, datetime | None], set[tuple[int, date]]]:
    """What the database holds: last activity per person, (company, month) pairs."""
    db.session.expire_all()
    people = dict(db.session.execute(select(User.id, User.last_active_at)).all())
    months = set(db.session.execute(select(OrganizationActivityMonth.organization_id,
                                           OrganizationActivityMonth.month)).all())
    return people, {(org, month) for org, month in months}


def months_of(org_id: int) -> set[date]:
    return {month for org, month in rollup()[1] if org == org_id}


@dataclass
class Event:
    user: User
    moment: datetime


def _random_program(rng: random.Random) -> list[Event]:
    """Three companies' people doing every kind of thing over three years, through the ORM
    the way the services and the demo do; returns every moment of activity written."""
    events: list[Event] = []
    the_quiz = quiz()
    companies = [make_org(name=f"Company {n}", signed_on=date(2023, 1, 1)) for n in range(3)]
    quiet = make_org(name="Nobody active", signed_on=date(2023, 1, 1))
    make_user(Role.MEMBER, quiet)
    make_user(Role.MANAGER, last_seen_at=NOW)  # vendor staff: nobody's company
    for company in companies:
        for n in range(4):
            seen = NOW - timedelta(days=rng.randint(0, 1000), hours=rng.randint(0, 23))
            person = make_user(Role.MEMBER, company, active=n != 3,
                               last_seen_at=seen if rng.random() < 0.6 else None)
            if person.last_seen_at is not None:
                events.append(Event(person, seen))
            for _ in range(rng.randint(0, 3)):
                start = NOW - timedelta(days=rng.randint(0, 1000), minutes=rng.randint(0, 900))
                done = start + timedelta(days=rng.randint(0, 9)) if rng.random() < 0.5 else None
                progress(person, lesson(), started_at=start, completed_at=done)
                events += [Event(person, start)] + ([Event(person, done)] if done else [])
            for number in range(rng.randint(0, 2)):
                start = NOW - timedelta(days=rng.randint(0, 1000), minutes=rng.randint(0, 900))
                # At most one open attempt per person and quiz (a unique index).
                submitted = (start + timedelta(minutes=30) if number or rng.random() < 0.7
                             else None)
                attempt(person, the_quiz, started_at=start, submitted_at=submitted)
                events += [Event(person, start)] + ([Event(person, submitted)]
                                                    if submitted else [])
            for _ in range(rng.randint(0, 2)):
                registered = NOW - timedelta(days=rng.randint(0, 1000), hours=rng.randint(0, 23))
                deal(company, registered_at=registered, by=person)
                events.append(Event(person, registered))
        deal(company, registered_at=NOW - timedelta(days=3))  # from the CRM: nobody's
    db.session.commit()
    return events


def _expected(events: list[Event], p) -> dict[int, Activity]:
    """The activity per company, straight from the events (what the pages used to compute)."""
    people: dict[int, list[User]] = {}
    for user in db.session.scalars(select(User).where(User.organization_id.is_not(None))):
        people.setdefault(user.organization_id, []).append(user)
    result = {}
    for org_id, members in people.items():
        last = {u.id: max((e.moment for e in events if e.user.id == u.id), default=None)
                for u in members}
        moments = [e.moment for e in events if e.user.organization_id == org_id]
        result[org_id] = Activity(
            people=sum(u.active for u in members),
            recent_people=sum(1 for u in members if u.active and last[u.id] is not None
                              and last[u.id] >= p.active_since),
            last_active_at=max((m for m in last.values() if m is not None), default=None),
            previous_period=any(p.previous_start <= m < p.start for m in moments),
            current_period=any(p.start <= m < p.end for m in moments))
    return result


def test_kpi_activity_from_the_rollup_equals_the_events(app):
    events: list[Event] = []
    for seed in (1, 2, 3):  # each adds three companies to those before
        events += _random_program(random.Random(seed))
        for months in (1, 3, 12):
            p = program_facts.period(months, NOW)
            assert program_facts.gather(p).activity == _expected(events, p), (seed, months)


def test_rebuilding_from_the_events_gives_what_the_writes_kept(app):
    _random_program(random.Random(4))
    kept = rollup()
    assert kept[1], "the program has active companies"
    with db.engine.begin() as connection:
        activity.rebuild(connection)
    assert rollup() == kept


def test_an_older_event_never_moves_the_last_activity_back(app):
    org = make_org()
    person = make_user(Role.MEMBER, org, last_seen_at=at("2026-11-20T09:00"))
    deal(org, registered_at=at("2026-03-01T09:00"), by=person)  # entered late, dated earlier
    db.session.commit()
    people, _ = rollup()
    assert people[person.id] == at("2026-11-20T09:00")
    assert months_of(org.id) == {date(2026, 11, 1), date(2026, 3, 1)}


def test_months_are_the_programs_local_months(app):
    """31 Oct 15:30 UTC is 1 Nov in Tokyo (the test program's time zone)."""
    org = make_org()
    person = make_user(Role.MEMBER, org)
    progress(person, lesson(), started_at=at("2026-10-31T15:30"))
    db.session.commit()
    assert months_of(org.id) == {date(2026, 11, 1)}


def test_signing_in_through_the_portal_records_the_person_and_the_company(app):
    org = make_org()
    person = make_user(Role.MEMBER, org)
    other = make_org()
    assert rollup()[0][person.id] is None
    client = signed_in(app, person)
    assert client.get("/").status_code == 200
    people, months = rollup()
    assert people[person.id] is not None
    assert (org.id, activity.month_of(people[person.id])) in months
    assert not months_of(other.id)  # nobody of the other company did anything


def test_a_page_view_in_a_new_month_records_that_month(app):
    """"Last seen" writes the company's month only when the last activity was another
    month's; a later page the same month writes the moment alone."""
    org = make_org()
    person = make_user(Role.MEMBER, org, last_seen_at=at("2025-01-10T09:00"))
    assert months_of(org.id) == {date(2025, 1, 1)}
    assert signed_in(app, person, through_form=False).get("/").status_code == 200
    people, _ = rollup()
    now_month = activity.month_of(people[person.id])
    assert months_of(org.id) == {date(2025, 1, 1), now_month}


def test_last_seen_writes_the_month_only_when_it_changes(app):
    person = User(id=7, last_active_at=at("2026-11-10T09:00"))
    assert len(activity.seen(person, at("2026-11-10T09:06"), "sqlite")) == 1
    assert len(activity.seen(person, at("2026-11-30T15:00"), "sqlite")) == 2  # 1 Dec, Tokyo
    assert len(activity.seen(User(id=8), at("2026-11-10T09:06"), "postgresql")) == 2


def test_a_timed_out_attempt_graded_by_the_server_is_activity(app):
    """Grading is a plain UPDATE the flush listener cannot see; it records its own."""
    org = make_org()
    person = make_user(Role.MEMBER, org)
    row = attempt(person, quiz(), started_at=at("2026-05-01T09:00"))
    row.deadline_at = at("2026-05-01T10:00")
    db.session.commit()
    assert quizzes.close_if_expired(row, now=at("2026-06-02T01:00"))
    db.session.commit()
    assert rollup()[0][person.id] == at("2026-06-02T01:00")
    assert months_of(org.id) == {date(2026, 5, 1), date(2026, 6, 1)}


def test_a_person_moved_to_another_company_takes_this_months_activity_along(app):
    old, new = make_org(name="Old"), make_org(name="New")
    person = make_user(Role.MEMBER, old, last_seen_at=at("2026-11-02T09:00"))
    person.organization_id = new.id
    db.session.commit()
    assert months_of(old.id) == {date(2026, 11, 1)}  # history stays where it happened
    assert months_of(new.id) == {date(2026, 11, 1)}  # "seen" this month finds it recorded


def _event_counts() -> list[int]:
    return [db.session.scalar(select(func.count()).select_from(model))
            for model in (LessonProgress, Attempt, Deal)]


def test_the_migration_fills_the_rollup_from_the_events_already_stored(tmp_path):
    app = create_app({"LMS_ENV": "test", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/upgrade.db",
                      "LMS_UPLOAD_DIR": str(tmp_path / "uploads")})
    with app.app_context():
        upgrade_database()
        events = _random_program(random.Random(5))
        kept = rollup()
        assert events and kept[1]
        counts = _event_counts()
        db.session.remove()
        downgrade(revision=BEFORE_THE_ROLLUP)
        upgrade()
        assert rollup() == kept
        # The way down kept the events (SQLite rebuilding "users" would have cascaded).
        assert _event_counts() == counts
        db.session.remove()
        db.engine.dispose()


def test_lms_activity_rebuild_counts_rows_loaded_around_the_portal(app, runner):
    org = make_org()
    person = make_user(Role.MEMBER, org)
    # A deal loaded with SQL: no flush, so nothing rolled up yet.
    db.session.execute(Deal.__table__.insert().values(
        organization_id=org.id, registered_by_id=person.id, customer_name="Loaded",
        customer_key="loaded", amount=1, currency="JPY", status="registered",
        registered_at=at("2026-02-03T03:00"), updated_at=at("2026-02-03T03:00")))
    db.session.commit()
    assert rollup()[0][person.id] is None

    result = runner.invoke(args=["activity", "rebuild"])

    assert result.exit_code == 0, result.output
    assert "1 person(s) with activity, 1 company month(s)" in result.output
    assert rollup()[0][person.id] == at("2026-02-03T03:00")
    assert months_of(org.id) == {date(2026, 2, 1)}


def test_two_people_first_active_in_a_month_at_once_both_succeed(app):
    """PostgreSQL: the second company-month insert waits for the first, then does nothing
    (ON CONFLICT), never a unique violation; SQLite writers never overlap."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: concurrent writers of the same company month")
    org = make_org()
    first, second = make_user(Role.MEMBER, org), make_user(Role.MEMBER, org)
    inserted = threading.Event()
    errors: list[BaseException] = []

    def sign_in_at(user_id: int, hold: bool) -> None:
        with app.app_context():
            try:
                db.session.get_one(User, user_id).last_seen_at = at("2026-04-02T03:00")
                db.session.flush()  # the month row is written, not yet committed
                if hold:
                    inserted.set()
                    time.sleep(0.5)
                db.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    holder = threading.Thread(target=sign_in_at, args=(first.id, True))
    holder.start()
    assert inserted.wait(5)
    other = threading.Thread(target=sign_in_at, args=(second.id, False))
    other.start()
    holder.join(10)
    other.join(10)
    assert errors == []
    people, _ = rollup()
    assert people[first.id] == people[second.id] == at("2026-04-02T03:00")
    assert months_of(org.id) == {date(2026, 4, 1)}


def test_the_expiry_job_and_a_request_of_the_same_company_never_deadlock(app, monkeypatch):
    """The job grades A (writing the company's month), then C; meanwhile C's own request
    writes C's activity and the same month. The job locks A and C before grading anyone, so
    C's request waits for the job instead of each waiting on the other (PostgreSQL)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL: row locks of concurrent transactions")
    org = make_org()
    a, c = make_user(Role.MEMBER, org), make_user(Role.MEMBER, org)
    for person in (a, c):
        row = attempt(person, quiz(), started_at=at("2026-04-30T09:00"))
        row.deadline_at = at("2026-04-30T10:00")
    the_lesson = lesson()
    db.session.commit()
    c_id, lesson_id = c.id, the_lesson.id
    graded_first = threading.Event()
    errors: list[BaseException] = []
    grade = quizzes.close_if_expired

    def grade_slowly(row, now=None):
        graded = grade(row, now)
        if not graded_first.is_set():
            graded_first.set()
            time.sleep(0.5)  # the request comes in between
        return graded

    monkeypatch.setattr(quizzes, "close_if_expired", grade_slowly)

    def job() -> None:
        with app.app_context():
            try:
                quizzes.close_expired_attempts(at("2026-05-02T01:00"))
                db.session.commit()
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
            finally:
                db.session.remove()

    def request() -> None:
        with app.app_context():
            try:
                assert graded_first.wait(5)
                progress(db.session.get_one(User, c_id), db.session.get_one(Lesson, lesson_id),
                         started_at=at("2026-05-02T00:30"))
                db.session.commit()
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=job), threading.Thread(target=request)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert months_of(org.id) == {date(2026, 4, 1), date(2026, 5, 1)}


def test_a_move_and_activity_in_one_transaction_mark_the_new_company(app):
    old, new = make_org(name="Old"), make_org(name="New")
    person = make_user(Role.MEMBER, old, last_seen_at=at("2026-10-02T09:00"))
    person.last_seen_at = at("2026-11-02T09:00")  # active in November...
    person.organization_id = new.id  # ...and moved, in the same flush
    db.session.commit()
    assert months_of(new.id) == {date(2026, 11, 1)}


def test_the_first_request_of_a_month_is_written_even_minutes_after_the_last(app, monkeypatch):
    """23:58 on 31 October, then 00:01 on 1 November in Tokyo: within "last seen"'s five
    minutes, but the company's November must be recorded (a lesson view then relies on it)."""
    from lms.auth import service as auth

    org = make_org()
    person = make_user(Role.MEMBER, org, last_seen_at=at("2026-10-31T14:58"))
    monkeypatch.setattr(auth, "utcnow", lambda: at("2026-10-31T15:01"))
    auth.touch_last_seen(person, timedelta(minutes=5))
    db.session.commit()
    assert months_of(org.id) == {date(2026, 10, 1), date(2026, 11, 1)}
    assert rollup()[0][person.id] == at("2026-10-31T15:01")
