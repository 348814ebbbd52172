"""No 500 from lock conflicts: a request that writes takes the write lock before it reads what
it decides on (SQLite: BEGIN IMMEDIATE for every transaction of a POST), and the writes of a
page view are best-effort (lms.database.write_best_effort).

The race is reproduced with a second connection that holds SQLite's write lock while the
request runs, then commits: a deferred transaction that read before that commit could never
write afterwards ("database is locked", at once, whatever the busy timeout).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from lms import database
from lms.courses import service as courses
from lms.extensions import db
from lms.models import Lesson, LessonProgress, Role, User, utcnow
from tests.courses.test_views import lessons_of, member, sync_content
from tests.factories import make_user, signed_in


@pytest.fixture
def content(app, tmp_path):
    app.config["LMS_QUIZZES_DIR"] = str(tmp_path / "no-quizzes")
    sync_content()


def committed(statement):
    """Read what other connections committed (end this test's own snapshot first)."""
    db.session.commit()
    return db.session.scalar(statement)


def sqlite_only(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL locks rows")


class WriterHoldingTheLock:
    """Another connection that took the write lock, wrote a row, and commits after `hold` s."""

    def __init__(self, user: User | int, hold: float) -> None:
        self.user_id = user if isinstance(user, int) else user.id
        self.hold = hold
        self.started = threading.Event()
        self.error: BaseException | None = None

    def run(self, app: Flask) -> None:
        with app.app_context():
            connection = db.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("UPDATE users SET name = name || '' WHERE id = ?", (self.user_id,))
                self.started.set()
                time.sleep(self.hold)
                cursor.execute("COMMIT")
            except BaseException as error:  # reported by the test, never lost in the thread
                self.error = error
                self.started.set()
            finally:
                connection.close()

    def __enter__(self):
        from flask import current_app

        self.thread = threading.Thread(target=self.run, args=(current_app._get_current_object(),))
        self.thread.start()
        assert self.started.wait(5)
        return self

    def __exit__(self, *_exc):
        self.thread.join(10)
        assert self.error is None, self.error


def test_a_post_waits_for_the_write_lock_instead_of_failing(app):
    sqlite_only(app)
    user = make_user(Role.MEMBER)
    client = signed_in(app, user)
    with WriterHoldingTheLock(user, hold=0.3):
        response = client.post("/logout")  # reads the user, then rotates its session token
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # signed out: the write landed


def test_every_transaction_of_a_post_begins_immediate_and_a_get_deferred(app):
    sqlite_only(app)
    seen: list[tuple[str, bool]] = []

    @app.route("/_probe", methods=["GET", "POST"])
    def _probe():
        from flask import request

        db.session.execute(select(User.id)).all()
        seen.append((request.method, db.session.connection().info["write_lock"]))
        return "ok"

    client = app.test_client()
    client.get("/_probe")
    client.post("/_probe")
    assert seen == [("GET", False), ("POST", True)]


def test_a_get_that_writes_in_its_read_transaction_fails_the_tests(app):
    sqlite_only(app)
    user = make_user(Role.MEMBER)

    @app.route("/_sloppy")
    def _sloppy():
        db.session.execute(update(User).where(User.id == user.id).values(name="x"))
        row = db.session.get(User, user.id)
        row.name = "changed"
        db.session.flush()
        return "written"

    with pytest.raises(database.DeferredWriteError, match="GET /_sloppy writes in a deferred"):
        app.test_client().get("/_sloppy")


def test_a_lesson_page_records_the_view_after_a_concurrent_writer(app, content):
    sqlite_only(app)
    user = member()
    client = signed_in(app, user)
    lesson = lessons_of("partner-program-essentials")[0]
    with WriterHoldingTheLock(user, hold=0.3):
        response = client.get(f"/courses/partner-program-essentials/{lesson.slug}")
    assert response.status_code == 200
    row = committed(select(LessonProgress).where(LessonProgress.user_id == user.id))
    assert row is not None and row.last_viewed_at is not None


def test_a_lesson_page_never_fails_when_the_database_stays_busy(app, content, monkeypatch):
    sqlite_only(app)
    user = member()
    client = signed_in(app, user)
    path = f"/courses/partner-program-essentials/{lessons_of('partner-program-essentials')[0].slug}"
    user_id = user.id
    db.session.commit()
    db.session.close()
    db.engine.dispose()  # new connections pick up the short busy timeout
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 100)
    with WriterHoldingTheLock(user_id, hold=1.0):
        response = client.get(path)
    assert response.status_code == 200  # the view was not recorded, the page was shown
    assert committed(select(LessonProgress).where(LessonProgress.user_id == user_id)) is None


def test_lesson_views_are_written_at_most_once_per_resolution(app, content):
    user = member()
    lesson: Lesson = lessons_of("partner-program-essentials")[0]
    earlier = utcnow() - timedelta(minutes=1)
    courses.record_view(user, lesson, None)
    first = committed(select(LessonProgress.last_viewed_at))
    assert first is not None
    courses.record_view(user, lesson, earlier)  # viewed a minute ago: nothing written
    assert committed(select(LessonProgress.last_viewed_at)) == first
    courses.record_view(user, lesson, utcnow() - courses.LESSON_VIEW_RESOLUTION * 2)
    assert committed(select(LessonProgress.last_viewed_at)) > first
    assert committed(select(LessonProgress.started_at)) <= first
