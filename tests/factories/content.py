"""A small content tree on disk: one course with one lesson, one quiz with free-text
questions, a tier program; and its import into the database."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select

from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Quiz

COURSE_TOML = 'title = "Security course"\nsummary = "One lesson."\naudience = "all"\n'
LESSON_MD = '+++\ntitle = "Only lesson"\nminutes = 1\n+++\n\nRead this.\n'
QUIZ_TOML = """title = "Security check"
kind = "quiz"
pass_percent = 50
max_attempts = 0
shuffle = false
review = "after_submit"

[[questions]]
id = "phrase"
type = "short"
prompt = "Type the phrase"
answers = ["ok"]
points = 1

[[questions]]
id = "port"
type = "numeric"
prompt = "Which port?"
answer = 42
points = 1

[[questions]]
id = "colour"
type = "single"
prompt = "Pick a colour"
options = ["Red", "Green"]
answer = "Green"
points = 1
"""
PROGRAM_TOML = """currency = "JPY"
review_window_months = 12
grace_period_days = 90

[exchange_rates]
USD = 150

[[tiers]]
tier = "silver"
requirements = [{ kind = "won_deals", min = 3 }]

[[tiers]]
tier = "gold"
requirements = [{ kind = "won_deals", min = 10 }, { kind = "won_revenue", min = 30_000_000 }]
"""
COURSE = "security-course"
LESSON = "only-lesson"
QUIZ = "security-check"


def toml(value) -> str:
    """A TOML value written out (a quiz file built in a test)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(toml(v) for v in value) + "]"


def write_course_tree(root: Path, courses: int, lessons: int = 3,
                      translated: Callable[[int], bool] = lambda i: i == 0) -> None:
    """`courses` courses of `lessons` lessons under `root`: every odd one requires the one
    before, audiences rotate, course i is also in Japanese when `translated(i)`, a sales
    path of the first three, and a quiz of course-000 in `<root>-quizzes/`."""
    audiences = ["all", "sales", "technical"]
    for i in range(courses):
        slug = f"course-{i:03d}"
        folders = [(slug, f'prerequisites = ["course-{i - 1:03d}"]\n' if i % 2 else "")]
        if translated(i):
            folders.append((f"{slug}-ja", f'locale = "ja"\ntranslation_of = "{slug}"\n'))
        for folder, extra in folders:
            path = root / folder
            path.mkdir(parents=True)
            (path / "course.toml").write_text(
                f'title = "Course {folder}"\nsummary = "About {folder}"\n'
                f'audience = "{audiences[i % 3]}"\norder = {i}\n{extra}', encoding="utf-8")
            for position in range(1, lessons + 1):
                (path / f"{position:02d}-part-{position}.md").write_text(
                    f'+++\ntitle = "Part {position} of {folder}"\nminutes = 5\n+++\n\nText.\n',
                    encoding="utf-8")
    (root / "paths.toml").write_text(
        '[[paths]]\njob_function = "sales"\ntitle = "Sales"\n'
        'courses = ["course-000", "course-001", "course-002"]\n', encoding="utf-8")
    quizzes = root.parent / f"{root.name}-quizzes"
    quizzes.mkdir()
    (quizzes / "course-000-quiz.toml").write_text(
        'title = "Course 0 quiz"\nkind = "quiz"\ncourse = "course-000"\npass_percent = 50\n'
        'max_attempts = 0\nshuffle = false\nreview = "after_submit"\n\n'
        '[[questions]]\nid = "q"\ntype = "single"\nprompt = "Pick"\noptions = ["A", "B"]\n'
        'answer = "A"\npoints = 1\n', encoding="utf-8")


def write_content(root: Path) -> dict:
    """Write the content tree under `root`; the app settings that point at it."""
    course = root / "content" / COURSE
    course.mkdir(parents=True)
    (course / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
    (course / f"01-{LESSON}.md").write_text(LESSON_MD, encoding="utf-8")
    (root / "content" / "program.toml").write_text(PROGRAM_TOML, encoding="utf-8")
    quizzes = root / "quizzes"
    quizzes.mkdir()
    (quizzes / f"{QUIZ}.toml").write_text(QUIZ_TOML, encoding="utf-8")
    return {"LMS_CONTENT_DIR": str(root / "content"), "LMS_QUIZZES_DIR": str(quizzes)}


def sync_content() -> None:
    """Import the small content tree (course, quiz, tier program version 1) once."""
    if db.session.scalar(select(func.count()).select_from(Quiz)) == 0:
        sync_all(load_all())
        db.session.commit()
