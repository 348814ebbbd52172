"""Racing starts and submits with real threads against the test database (SQLite file in WAL
mode with a busy timeout, or PostgreSQL): one open attempt, one grading, max_attempts held.

Every thread works in its own app context (own session, own connection), waits at a barrier,
then acts; the database decides who wins.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import IntegrityError

from lms.config import normalize_database_url
from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Attempt, AttemptStatus, Quiz, Role, User, utcnow
from lms.quizzes import service
from lms.quizzes.service import QuizError
from tests.factories import login, make_user
from tests.factories.learning import attempts_of

N = 8
ON_SQLITE = normalize_database_url(os.environ.get("DATABASE_URL") or "sqlite://").startswith(
    "sqlite")

QUIZ = """\
title = "Race quiz"
shuffle = false
pass_percent = 50
{settings}

[[questions]]
id = "q1"
type = "true_false"
prompt = "Is water wet?"
answer = true
points = 1

[[questions]]
id = "q2"
type = "single"
prompt = "Pick B"
options = ["A", "B", "C"]
answer = "B"
points = 1
"""
RIGHT = {"q-q1": ["true"], "q-q2": ["B"]}
WRONG = {"q-q1": ["false"], "q-q2": ["A"]}


@pytest.fixture
def race_app(make_app, tmp_path):
    """Build an app with the race quiz (extra settings as TOML lines), synced; ids of a member
    and the quiz."""

    def factory(*settings: str):
        quiz_dir, content_dir = tmp_path / "quizzes", tmp_path / "content"
        quiz_dir.mkdir()
        content_dir.mkdir()
        (quiz_dir / "race.toml").write_text(QUIZ.format(settings="\n".join(settings)),
                                            encoding="utf-8")
        app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir))
        with app.app_context():
            sync_all(load_all())
            db.session.commit()
            user_id = make_user(Role.MEMBER).id
            quiz_id = db.session.scalar(select(Quiz.id).where(Quiz.slug == "race"))
        return app, user_id, quiz_id

    return factory


def in_threads(app, work: Callable[[int, threading.Barrier], object], n: int = N) -> list:
    """Run work(i, barrier) in n threads, each in its own app context; their results (or the
    exception each raised)."""
    barrier = threading.Barrier(n, timeout=30)
    results: list = [None] * n

    def run(index: int) -> None:
        with app.app_context():
            try:
                results[index] = work(index, barrier)
            except BaseException as error:  # handed to the test, which shows it
                barrier.abort()
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def no_errors(results: list, allowed: tuple[type[BaseException], ...] = ()) -> None:
    errors = [r for r in results if isinstance(r, BaseException) and not isinstance(r, allowed)]
    assert not errors, errors


@contextmanager
def grading_updates(app) -> Iterator[list[int]]:
    """Attempt ids of every UPDATE that graded (moved out of 'open') a row, while inside."""
    graded: list[int] = []
    lock = threading.Lock()
    with app.app_context():
        engine = db.engine

    def after(_conn, cursor, statement, parameters, _context, _executemany):
        if statement.startswith("UPDATE attempts SET status") and cursor.rowcount > 0:
            with lock:
                graded.append(cursor.rowcount)

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield graded
    finally:
        event.remove(engine, "after_cursor_execute", after)


def started(app, user_id: int, quiz_id: int, *, submit: dict | None = None) -> int:
    """Open an attempt (and submit it with `submit`) outside the race; its id."""
    with app.app_context():
        user = db.session.get(User, user_id)
        attempt = service.start_attempt(user, db.session.get(Quiz, quiz_id))
        db.session.commit()
        attempt_id = attempt.id
        if submit is not None:
            service.submit_attempt(user, attempt_id, submit)
            db.session.commit()
        return attempt_id


def racing_starts(app, user_id: int, quiz_id: int) -> list:
    def work(_index: int, barrier: threading.Barrier):
        user = db.session.get(User, user_id)
        quiz = db.session.get(Quiz, quiz_id)
        barrier.wait()
        try:
            attempt = service.start_attempt(user, quiz)
            db.session.commit()
        except QuizError as error:
            db.session.rollback()
            return error
        return attempt.id

    return in_threads(app, work)


# --- Starting --------------------------------------------------------------------------------


def test_racing_starts_open_exactly_one_attempt(race_app):
    app, user_id, quiz_id = race_app()

    results = racing_starts(app, user_id, quiz_id)

    no_errors(results)
    attempts = attempts_of(user_id, app)
    assert len(attempts) == 1
    assert results == [attempts[0].id] * N
    assert attempts[0].status == AttemptStatus.OPEN and attempts[0].number == 1


def test_racing_starts_after_a_submitted_attempt_respect_max_attempts_2(race_app):
    app, user_id, quiz_id = race_app("max_attempts = 2")
    first = started(app, user_id, quiz_id, submit=WRONG)

    results = racing_starts(app, user_id, quiz_id)

    no_errors(results)
    attempts = attempts_of(user_id, app)
    assert [a.number for a in attempts] == [1, 2]
    assert attempts[0].id == first
    assert results == [attempts[1].id] * N
    assert attempts[1].status == AttemptStatus.OPEN


def test_racing_starts_when_every_attempt_is_used_open_nothing(race_app):
    app, user_id, quiz_id = race_app("max_attempts = 1")
    started(app, user_id, quiz_id, submit=WRONG)

    results = racing_starts(app, user_id, quiz_id)

    no_errors(results, allowed=(QuizError,))
    assert all(isinstance(r, QuizError) for r in results), results
    assert "You have used all 1 attempts." in str(results[0])
    assert len(attempts_of(user_id, app)) == 1


def test_racing_start_and_submit_never_exceeds_max_attempts(race_app):
    app, user_id, quiz_id = race_app("max_attempts = 2")

    def work(index: int, barrier: threading.Barrier):
        user = db.session.get(User, user_id)
        quiz = db.session.get(Quiz, quiz_id)
        barrier.wait()
        try:
            attempt = service.start_attempt(user, quiz)
            db.session.commit()
        except QuizError:
            db.session.rollback()
            return None
        attempt_id = attempt.id
        service.submit_attempt(user, attempt_id, RIGHT if index % 2 else WRONG)
        db.session.commit()
        return attempt_id

    results = in_threads(app, work)

    no_errors(results)
    attempts = attempts_of(user_id, app)
    assert 1 <= len(attempts) <= 2
    assert [a.number for a in attempts] == list(range(1, len(attempts) + 1))
    assert all(a.status == AttemptStatus.SUBMITTED for a in attempts)
    assert {r for r in results if r is not None} == {a.id for a in attempts}


# --- Submitting ------------------------------------------------------------------------------


def test_racing_submits_grade_the_attempt_once(race_app):
    app, user_id, quiz_id = race_app()
    attempt_id = started(app, user_id, quiz_id)

    def work(index: int, barrier: threading.Barrier):
        user = db.session.get(User, user_id)
        barrier.wait()
        attempt = service.submit_attempt(user, attempt_id, RIGHT if index % 2 else WRONG)
        db.session.commit()
        return (attempt.status, attempt.submitted_at, attempt.points, attempt.answers)

    with grading_updates(app) as graded:
        results = in_threads(app, work)

    no_errors(results)
    assert graded == [1], "exactly one UPDATE graded the attempt"
    assert len(set(map(repr, results))) == 1, "every thread saw the same grading"
    [attempt] = attempts_of(user_id, app)
    assert (attempt.status, attempt.submitted_at, attempt.points, attempt.answers) == results[0]
    assert attempt.submitted_at is not None
    # The points are those of the answers kept: whichever submit won, not a mix.
    expected = {"q1": "true", "q2": "B"} if attempt.points == 2 else {"q1": "false", "q2": "A"}
    assert attempt.points in (0, 2)
    assert attempt.answers == expected


def test_racing_submits_after_the_deadline_grade_the_saved_answers_once(race_app):
    app, user_id, quiz_id = race_app("time_limit_minutes = 5")
    attempt_id = started(app, user_id, quiz_id)
    with app.app_context():
        service.save_answers(db.session.get(Attempt, attempt_id), RIGHT)
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                           .values(deadline_at=utcnow()))
        db.session.commit()

    def work(index: int, barrier: threading.Barrier):
        user = db.session.get(User, user_id)
        barrier.wait()
        service.submit_attempt(user, attempt_id, WRONG)
        db.session.commit()
        return index

    with grading_updates(app) as graded:
        results = in_threads(app, work)

    no_errors(results)
    assert graded == [1]
    [attempt] = attempts_of(user_id, app)
    assert attempt.status == AttemptStatus.TIMED_OUT
    assert attempt.answers == {"q1": "true", "q2": "B"}
    assert attempt.points == 2


# --- Through HTTP, one test client per thread ------------------------------------------------


def signed_in_clients(app, user_id: int, n: int = N) -> list:
    with app.app_context():
        user = db.session.get(User, user_id)
        clients = []
        for _ in range(n):
            client = app.test_client()
            assert login(client, user).status_code == 302
            clients.append(client)
        db.session.remove()
    return clients


def http_race(app, clients: list, request: Callable) -> list:
    def work(index: int, barrier: threading.Barrier):
        barrier.wait()
        response = request(clients[index], index)
        return response.status_code, response.headers.get("Location")

    return in_threads(app, work, len(clients))


def test_racing_start_requests_open_one_attempt(race_app):
    app, user_id, _quiz_id = race_app()
    clients = signed_in_clients(app, user_id)

    results = http_race(app, clients, lambda client, _i: client.post("/quizzes/race"))

    no_errors(results)
    [attempt] = attempts_of(user_id, app)
    assert results == [(302, f"/attempts/{attempt.id}")] * N


def test_racing_submit_requests_grade_once(race_app):
    app, user_id, quiz_id = race_app()
    attempt_id = started(app, user_id, quiz_id)
    clients = signed_in_clients(app, user_id)

    def submit(client, index):
        answers = {"q-q1": "true", "q-q2": "B"} if index % 2 else {"q-q1": "false"}
        return client.post(f"/attempts/{attempt_id}", data=answers)

    with grading_updates(app) as graded:
        results = http_race(app, clients, submit)

    no_errors(results)
    assert results == [(302, f"/attempts/{attempt_id}/result")] * N
    assert graded == [1]
    [attempt] = attempts_of(user_id, app)
    assert attempt.status == AttemptStatus.SUBMITTED
    # One submit's answers and their points, never a mix of two.
    assert (attempt.answers, attempt.points) in (({"q1": "true", "q2": "B"}, 2),
                                                 ({"q1": "false"}, 0))
    pages = {clients[0].get(f"/attempts/{attempt_id}/result").status_code for _ in range(2)}
    assert pages == {200}


# --- A write between a request's first read and its own write ------------------------------


def run_in_other_thread(app, action: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                action()
                db.session.commit()
            except BaseException as error:
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    assert not errors, errors


@contextmanager
def meanwhile(app, action: Callable[[], None]) -> Iterator[list]:
    """Run `action` in another connection (committed) just after this thread's first read of
    the attempts table: a concurrent request landing between a read and a write."""
    main = threading.get_ident()
    fired: list = []
    with app.app_context():
        engine = db.engine

    def after(_conn, _cursor, statement, *_args):
        if not fired and threading.get_ident() == main and statement.startswith("SELECT") \
                and "FROM attempts" in statement:
            fired.append(statement)
            run_in_other_thread(app, action)

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield fired
    finally:
        event.remove(engine, "after_cursor_execute", after)


def expired_attempt(app, user_id: int, quiz_id: int, answers: dict | None = None) -> int:
    attempt_id = started(app, user_id, quiz_id)
    with app.app_context():
        if answers:
            service.save_answers(db.session.get(Attempt, attempt_id), answers)
        db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                           .values(deadline_at=utcnow()))
        db.session.commit()
    return attempt_id


def close_expired() -> None:
    service.close_expired_attempts()


@pytest.mark.parametrize(("path", "status", "location"), [
    ("/attempts/{id}", 302, "/attempts/{id}/result"),
    ("/attempts/{id}/result", 200, None),
    ("/quizzes/race", 200, None),
])
def test_opening_an_expired_attempt_while_the_expiry_job_closes_it(race_app, path, status,
                                                                   location):
    app, user_id, quiz_id = race_app("time_limit_minutes = 5")
    attempt_id = expired_attempt(app, user_id, quiz_id, RIGHT)
    [client] = signed_in_clients(app, user_id, 1)

    with meanwhile(app, close_expired) as fired:
        response = client.get(path.format(id=attempt_id))

    assert fired
    assert response.status_code == status
    assert response.headers.get("Location") == (location and location.format(id=attempt_id))
    [attempt] = attempts_of(user_id, app)
    assert attempt.status == AttemptStatus.TIMED_OUT and attempt.points == 2


def test_saving_while_another_request_submits_answers_409(race_app):
    app, user_id, quiz_id = race_app()
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite: a POST holds the write lock from its first read, so no write "
                        "lands between its read and its write (tests/test_concurrency.py)")
    attempt_id = started(app, user_id, quiz_id)
    [client] = signed_in_clients(app, user_id, 1)

    def submit_elsewhere() -> None:
        service.submit_attempt(db.session.get(User, user_id), attempt_id, RIGHT)

    with meanwhile(app, submit_elsewhere) as fired:
        response = client.post(f"/attempts/{attempt_id}/answers", data={"q-q1": "false"},
                               headers={"Accept": "application/json"})

    assert fired
    assert response.status_code == 409
    [attempt] = attempts_of(user_id, app)
    assert attempt.answers == {"q1": "true", "q2": "B"}
    assert attempt.points == 2


def test_the_expiry_job_and_a_late_submit_grade_once(race_app):
    """The job holds the write lock from its first read, so a submit arriving meanwhile
    waits for it instead of slipping in between; either way the attempt is graded once."""
    app, user_id, quiz_id = race_app("time_limit_minutes = 5")
    attempt_id = expired_attempt(app, user_id, quiz_id, RIGHT)
    barrier = threading.Barrier(2)
    errors: list = []
    results: list = []

    def job() -> None:
        barrier.wait()
        results.append(app.test_cli_runner().invoke(args=["quizzes", "close-expired"]))

    def late_submit() -> None:
        with app.app_context():
            try:
                barrier.wait()
                service.submit_attempt(db.session.get(User, user_id), attempt_id, WRONG)
                db.session.commit()
            except Exception as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=job), threading.Thread(target=late_submit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert results[0].exit_code == 0, results[0].output
    [attempt] = attempts_of(user_id, app)
    assert attempt.status == AttemptStatus.TIMED_OUT and attempt.points == 2


def test_no_attempt_is_left_open_twice(race_app):
    """The database itself refuses a second open attempt (what slips past the services)."""
    app, user_id, quiz_id = race_app()
    first = started(app, user_id, quiz_id)
    with app.app_context():
        original = db.session.get(Attempt, first)
        duplicate = Attempt(user_id=user_id, quiz_id=quiz_id,
                            quiz_version_id=original.quiz_version_id, number=2,
                            started_at=utcnow(), questions=original.questions, answers={})
        db.session.add(duplicate)
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
