"""The workers' copies of the authored content (lms.content_cache): every change of content
in any worker reaches every other at its next request; nothing else invalidates them."""

from __future__ import annotations

from datetime import date

import pytest

from lms.content import load_all, sync_all
from lms.content_cache import cached, current_token
from lms.courses.structure import structure
from lms.extensions import db
from lms.models import (
    Course,
    Credential,
    CredentialKind,
    JobFunction,
    Lesson,
    LessonProgress,
    Organization,
    Role,
    utcnow,
)
from lms.tiers.program import Program
from lms.tiers.service import program_in_force, save_program
from tests.factories import count_queries, make_user, signed_in
from tests.factories.content import write_course_tree

LESSON = "/courses/course-000/part-1"


@pytest.fixture
def workers(make_app, tmp_path):
    """Two apps on one database and one content folder: two workers of one portal."""
    root = tmp_path / "content"
    write_course_tree(root, 3, 2)
    settings = {"LMS_CONTENT_DIR": str(root), "LMS_QUIZZES_DIR": str(tmp_path / "content-quizzes")}
    first, second = make_app(**settings), make_app(**settings)
    with first.app_context():
        sync_all(load_all())
        db.session.commit()
    return first, second, root


def _sync(app) -> None:
    with app.app_context():
        assert load_all().problems == []
        sync_all(load_all())
        db.session.commit()


def test_a_sync_in_another_worker_shows_at_the_next_request(workers):
    first, second, root = workers
    with first.app_context():
        client = signed_in(first, make_user(Role.MEMBER, job=JobFunction.SALES))
    assert "Part 1 of course-000" in client.get(LESSON).get_data(as_text=True)

    lesson = root / "course-000" / "01-part-1.md"
    lesson.write_text(lesson.read_text().replace("Part 1 of course-000", "Renamed lesson"))
    _sync(second)

    page = client.get(LESSON).get_data(as_text=True)
    assert "Renamed lesson" in page
    assert "Part 1 of course-000" not in page


def test_a_lesson_removed_in_another_worker_is_gone_at_once(workers):
    first, second, root = workers
    with first.app_context():
        client = signed_in(first, make_user(Role.MEMBER, job=JobFunction.SALES))
    assert client.get("/courses/course-000/part-2").status_code == 200

    (root / "course-000" / "02-part-2.md").unlink()
    _sync(second)

    assert client.get("/courses/course-000/part-2").status_code == 404
    assert "1 lesson" in client.get("/courses/course-000").get_data(as_text=True)


def test_a_new_tier_program_counts_at_the_next_request(workers):
    first, second, _root = workers
    with first.app_context():
        program = program_in_force()
        assert cached("tiers.program", lambda: None) is program  # kept, not built again
    with second.app_context():
        save_program(Program((), currency="USD"), None, "switch to dollars")
        db.session.commit()
    with first.app_context():
        assert program_in_force().currency == "USD"


def test_a_page_reads_the_content_version_once_and_no_content(workers):
    first, _second, _root = workers
    with first.app_context():
        client = signed_in(first, make_user(Role.MEMBER, job=JobFunction.SALES))
    pages = (LESSON, "/courses", "/courses/course-000", "/")
    for page in pages:  # this worker builds its copy of what each page shows
        client.get(page)
    for page in pages:
        with first.app_context(), count_queries() as queries:
            assert client.get(page).status_code == 200
        read = [s for s in queries.statements if "content_version" in s]
        assert len(read) == 1, page
        assert not [s for s in queries.statements if "FROM lessons" in s or "FROM courses" in s
                    or "FROM learning_paths" in s or "FROM tier_program_versions" in s], page


def test_progress_and_people_leave_the_content_version_alone(workers):
    first, _second, _root = workers
    with first.app_context():
        before = current_token()
        person = make_user(Role.MEMBER)
        lesson = db.session.scalar(db.select(Lesson))
        db.session.add(LessonProgress(user_id=person.id, lesson_id=lesson.id,
                                      completed_at=utcnow()))
        db.session.add(Organization(name="Another K.K.", slug="another",
                                    signed_on=date(2026, 1, 1)))
        db.session.commit()
        assert current_token() == before != ""


def test_every_way_of_writing_content_changes_the_version(app):
    tokens = [current_token()]
    # The unit of work (what the syncs use) ...
    db.session.add(Credential(slug="c", name="C", kind=CredentialKind.BADGE, image="c.svg",
                              courses=[], quizzes=[], content_hash="x"))
    db.session.commit()
    tokens.append(current_token())
    # ... a bulk statement through the session ...
    db.session.execute(db.update(Credential).values(name="Renamed"))
    db.session.commit()
    tokens.append(current_token())
    # ... and a bulk insert.
    db.session.execute(db.insert(Course), [{"slug": "bulk", "title": "Bulk", "content_hash": "x",
                                            "locale": "en"}])
    db.session.commit()
    tokens.append(current_token())
    assert len(set(tokens)) == len(tokens)


def test_a_rolled_back_change_leaves_no_copy_behind(workers):
    first, _second, _root = workers
    with first.test_request_context(method="POST"):  # a GET may not write
        original = structure().by_slug["course-000"].title
        course = db.session.scalar(db.select(Course).where(Course.slug == "course-000"))
        course.title = "Draft title"
        db.session.flush()
        assert structure().by_slug["course-000"].title == "Draft title"  # its own change
        db.session.rollback()
    with first.test_request_context():
        assert structure().by_slug["course-000"].title == original
