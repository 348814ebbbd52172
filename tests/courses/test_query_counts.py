"""How many SQL statements the hot pages run (issue 15): a number that does not grow with
the number of courses, lessons, people or progress rows; lesson and home pages in at most
six. The content's shape comes from the worker's copy (lms.content_cache), so a page reads
the person, the content version and the person's own progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import JobFunction, Lesson, LessonProgress, Quiz, QuizVersion, Role, utcnow
from tests.factories import count_queries, make_org, make_user, signed_in
from tests.factories.content import write_course_tree
from tests.factories.learning import attempt

# The person with their company, the content version, the person's lessons and quizzes.
LESSON_PAGE_MAX = CATALOG_MAX = COURSE_PAGE_MAX = 3
# Home adds the company's tier facts (won deals, certified people) and its people count; a
# partner admin's home also shows the company's KPIs and health (13), and what needs them
# today: people stalled in onboarding (their completed lessons, passed quizzes and last
# learning), certifications expiring and deals waiting, one aggregate each (17).
HOME_MAX = {Role.MEMBER: 6, Role.PARTNER_ADMIN: 17}
# A person's first view of a lesson also writes "last seen" and the lesson view.
FIRST_LESSON_VIEW_MAX = LESSON_PAGE_MAX + 2


def _progress(user, completed: int, viewed: int) -> None:
    """`completed` lessons completed and `viewed` more opened, over all courses."""
    now = utcnow()
    lessons = list(db.session.scalars(db.select(Lesson).order_by(Lesson.course_id,
                                                                 Lesson.position)))
    for n, lesson in enumerate(lessons[:completed + viewed]):
        db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=now,
                                      last_viewed_at=now,
                                      completed_at=now if n < completed else None))
    db.session.commit()


def _passed_quiz(user) -> None:
    quiz = db.session.scalar(db.select(Quiz))
    version = db.session.scalar(db.select(QuizVersion).where(QuizVersion.quiz_id == quiz.id))
    attempt(user, (quiz, version), started_at=utcnow(), submitted_at=utcnow(), passed=True)
    db.session.commit()


def _counts(make_app, root: Path, courses: int, lessons: int, others: int,
            role: Role) -> dict[str, int]:
    write_course_tree(root, courses, lessons)
    app = make_app(LMS_CONTENT_DIR=str(root),
                   LMS_QUIZZES_DIR=str(root.parent / f"{root.name}-quizzes"))
    with app.app_context():
        assert load_all().problems == []
        sync_all(load_all())
        db.session.commit()
        org = make_org()
        person = make_user(role, org, job=JobFunction.SALES)
        _progress(person, completed=lessons + 2, viewed=3)  # course 0 done, course 1 begun
        _passed_quiz(person)
        # Other people of the same and another company, with progress of their own.
        elsewhere = make_org()
        for n in range(others):
            other = make_user(Role.MEMBER, org if n % 2 else elsewhere, job=JobFunction.SALES)
            _progress(other, completed=n % (2 * lessons), viewed=1)
        client = signed_in(app, person)
        pages = {"lesson": "/courses/course-001/part-2", "home": "/",
                 "catalog": "/courses", "course": "/courses/course-001"}
        counts = {}
        for name, page in pages.items():
            assert client.get(page).status_code == 200, page  # the once-in-5-minutes writes
            with count_queries() as queries:
                response = client.get(page)
            assert response.status_code == 200, page
            counts[name] = queries.n
        return counts


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN])
def test_hot_pages_run_few_queries_whatever_the_data_size(make_app, tmp_path, role):
    small = _counts(make_app, tmp_path / "small", courses=3, lessons=5, others=2, role=role)
    large = _counts(make_app, tmp_path / "large", courses=10, lessons=20, others=30,
                    role=role)
    assert small == large
    assert large["lesson"] <= LESSON_PAGE_MAX
    assert large["catalog"] <= CATALOG_MAX
    assert large["course"] <= COURSE_PAGE_MAX
    assert large["home"] <= HOME_MAX[role]


def test_a_first_lesson_view_with_its_writes_stays_within_five_queries(make_app, tmp_path):
    """The first view writes "last seen" and the lesson view (best-effort)."""
    root = tmp_path / "content"
    write_course_tree(root, 3, 5)
    app = make_app(LMS_CONTENT_DIR=str(root), LMS_QUIZZES_DIR=str(tmp_path / "content-quizzes"))
    with app.app_context():
        sync_all(load_all())
        db.session.commit()
        person = make_user(Role.MEMBER, job=JobFunction.SALES)
        _progress(person, completed=5, viewed=0)
        _passed_quiz(person)
        # Another person's page loaded the worker's copy of the content.
        assert signed_in(app, make_user(Role.MEMBER)).get("/courses").status_code == 200
        client = signed_in(app, person, through_form=False)
        with count_queries() as queries:
            response = client.get("/courses/course-001/part-2")
        assert response.status_code == 200
        writes = [s for s in queries.statements
                  if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
        assert len(writes) == 2, queries.statements  # last seen, lesson view
        assert queries.n <= FIRST_LESSON_VIEW_MAX, queries.statements
