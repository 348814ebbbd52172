"""Syncing content into the database: idempotent, one transaction, progress kept."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event, func

from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Course, LearningPathStep, Lesson, LessonProgress, Role
from tests.factories import make_user


def write_course(root: Path, slug: str, lessons: dict[str, str], **course) -> Path:
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    fields = {"title": slug.title(), "summary": "About " + slug, **course}
    lines = [f"{key} = {value!r}".replace("'", '"') for key, value in fields.items()]
    (folder / "course.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, body in lessons.items():
        title = name.split("-", 1)[1].replace("-", " ").title()
        (folder / f"{name}.md").write_text(
            f'+++\ntitle = "{title}"\nminutes = 5\n+++\n\n{body}\n', encoding="utf-8")
    return folder


@contextmanager
def count_writes():
    """Count INSERT/UPDATE/DELETE statements sent to the database."""
    writes: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def content_app(make_app, tmp_path):
    root = tmp_path / "content"
    write_course(root, "basics", {"01-welcome": "# Welcome\n\nHello.",
                                  "02-tiers": "See [welcome](01-welcome.md)."})
    write_course(root, "advanced", {"01-deep-dive": "Deep."}, prerequisites=["basics"])
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales"\ncourses = ["basics", '
        '"advanced"]\n', encoding="utf-8")
    app = make_app(LMS_CONTENT_DIR=str(root), LMS_QUIZZES_DIR=str(root / "no-quizzes"))
    with app.app_context():
        yield app, root


def _sync():
    report = sync_all(load_all())
    db.session.commit()
    return report


def test_first_sync_imports_courses_lessons_prerequisites_and_paths(content_app):
    report = _sync()
    assert report.changed
    courses = {c.slug: c for c in db.session.scalars(db.select(Course))}
    assert set(courses) == {"basics", "advanced"}
    lessons = list(db.session.scalars(db.select(Lesson).order_by(Lesson.position)))
    assert len(lessons) == 3
    tiers = db.session.scalar(db.select(Lesson).where(Lesson.slug == "tiers"))
    assert '<a href="/courses/basics/welcome">welcome</a>' in tiers.body_html
    assert len(tiers.content_hash) == 64
    advanced = db.session.scalar(db.select(Course).where(Course.slug == "advanced"))
    db.session.refresh(advanced, ["prerequisites"])
    assert [p.slug for p in advanced.prerequisites] == ["basics"]
    steps = db.session.scalars(db.select(LearningPathStep.course_slug).order_by(
        LearningPathStep.position)).all()
    assert steps == ["basics", "advanced"]


def test_second_sync_writes_nothing_and_says_so(content_app):
    _sync()
    with count_writes() as writes:
        report = _sync()
    assert writes == []
    assert not report.changed
    assert report.summary().startswith("Nothing to do")


def test_editing_a_lesson_keeps_progress(content_app):
    _app, root = content_app
    _sync()
    user = make_user(Role.MEMBER)
    welcome = db.session.scalar(db.select(Lesson).where(Lesson.slug == "welcome"))
    db.session.add(LessonProgress(user_id=user.id, lesson_id=welcome.id,
                                  completed_at=welcome.created_at))
    db.session.commit()
    old_hash = welcome.content_hash

    (root / "basics" / "01-welcome.md").write_text(
        '+++\ntitle = "Welcome!"\nminutes = 6\n+++\n\nEdited text.\n', encoding="utf-8")
    report = _sync()
    assert report.updated == ["lesson basics/welcome"]
    db.session.expire_all()
    welcome = db.session.get(Lesson, welcome.id)
    assert (welcome.title, welcome.minutes) == ("Welcome!", 6)
    assert "Edited text." in welcome.body_html
    assert welcome.content_hash != old_hash
    progress = db.session.scalar(db.select(LessonProgress).where(
        LessonProgress.lesson_id == welcome.id))
    assert progress is not None and progress.completed_at is not None


def test_a_removed_lesson_is_archived_not_deleted_and_comes_back(content_app):
    _app, root = content_app
    _sync()
    user = make_user(Role.MEMBER)
    tiers = db.session.scalar(db.select(Lesson).where(Lesson.slug == "tiers"))
    db.session.add(LessonProgress(user_id=user.id, lesson_id=tiers.id))
    db.session.commit()
    saved = (root / "basics" / "02-tiers.md").read_text(encoding="utf-8")
    (root / "basics" / "02-tiers.md").unlink()

    report = _sync()
    assert report.archived == ["lesson basics/tiers"]
    db.session.expire_all()
    tiers = db.session.get(Lesson, tiers.id)
    assert tiers.archived_at is not None
    assert db.session.scalar(db.select(func.count(LessonProgress.id))) == 1

    (root / "basics" / "02-tiers.md").write_text(saved, encoding="utf-8")
    report = _sync()
    assert report.restored == ["lesson basics/tiers"]
    db.session.expire_all()
    assert db.session.get(Lesson, tiers.id).archived_at is None


def test_a_removed_course_is_archived(content_app):
    _app, root = content_app
    _sync()
    for file in (root / "advanced").iterdir():
        file.unlink()
    (root / "advanced").rmdir()
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales"\ncourses = ["basics"]\n',
        encoding="utf-8")
    report = _sync()
    assert "course advanced" in report.archived
    advanced = db.session.scalar(db.select(Course).where(Course.slug == "advanced"))
    assert advanced.archived_at is not None


def test_sync_with_a_problem_imports_nothing(content_app):
    app, root = content_app
    write_course(root, "broken", {"01-x": "[missing](09-nope.md)"})
    result = app.test_cli_runner().invoke(args=["content", "sync"])
    assert result.exit_code != 0, result.output
    assert "broken/01-x.md:6: broken link to '09-nope.md'" in result.output
    assert "nothing was imported" in result.output
    assert db.session.scalar(db.select(func.count(Course.id))) == 0


def test_cli_sync_twice(content_app):
    app, _root = content_app
    runner = app.test_cli_runner()
    first = runner.invoke(args=["content", "sync"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    second = runner.invoke(args=["content", "sync"])
    assert second.exit_code == 0
    assert "Nothing to do" in second.output


def test_large_content_shows_a_progress_bar(make_app, tmp_path):
    root = tmp_path / "big"
    for n in range(6):
        write_course(root, f"course-{n}", {f"{i:02d}-lesson-{i}": f"Body {i}"
                                           for i in range(1, 11)})
    app = make_app(LMS_CONTENT_DIR=str(root), LMS_QUIZZES_DIR=str(root / "no-quizzes"))
    result = app.test_cli_runner().invoke(args=["content", "sync"])
    assert result.exit_code == 0, result.output
    assert "Syncing content" in result.output
    assert "66 created" in result.output
