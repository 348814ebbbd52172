"""A quiz whose own reviews publish its answer key: a warning of `lms content check` (and of
every sync), never a problem. The rule is pure (answer_key_warning); the rest loads files."""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.content import load_folders
from lms.extensions import db
from lms.models import Quiz
from lms.problems import ContentWarning
from lms.quizzes.loader import QuestionSpec, QuizSpec, answer_key_warning, load_quiz_file

REPO = Path(__file__).resolve().parents[2]


def spec(**settings) -> QuizSpec:
    """A valid quiz of 8 questions: every attempt asks all 8, answers shown after each."""
    questions = tuple(QuestionSpec(id=f"q{n}", type="true_false", prompt=f"Statement {n}",
                                   points=Fraction(1), answer="true") for n in range(8))
    base = QuizSpec(slug="leaky-quiz", title="Leaky", kind="quiz", course=None,
                    pass_percent=80, max_attempts=3, cooldown_minutes=0,
                    time_limit_minutes=0, draw=0, shuffle=True, review="after_submit",
                    questions=questions, content_hash="0")
    return replace(base, **settings)


# --- The rule (pure) ---------------------------------------------------------------------


@pytest.mark.parametrize("settings", [
    {},                                                   # the issue: 3 attempts, all 8
    {"max_attempts": 0},                                  # unlimited
    {"max_attempts": 2},
    {"draw": 8},                                          # a draw of the whole pool
    {"shuffle": False},
    {"kind": "exam", "time_limit_minutes": 30, "cooldown_minutes": 1440},
], ids=["three-attempts", "unlimited", "two-attempts", "draw-whole-pool", "no-shuffle",
        "timed-exam"])
def test_answers_after_every_attempt_with_retakes_of_the_same_questions_warn(settings):
    message = answer_key_warning(spec(**settings))
    assert message is not None
    assert message.startswith('review = "after_submit" shows the correct answers')
    assert "asks the same 8 questions" in message


def test_the_warning_says_how_many_retakes_and_how_to_fix_it():
    assert "(up to 2 retakes)" in answer_key_warning(spec())
    assert "(up to 1 retake)" in answer_key_warning(spec(max_attempts=2))
    assert "(unlimited retakes)" in answer_key_warning(spec(max_attempts=0))
    assert 'Use review = "after_pass" or "score_only", max_attempts = 1, or draw part of a ' \
           "larger pool." in answer_key_warning(spec())


@pytest.mark.parametrize("settings", [
    {"draw": 5},                                  # each attempt draws anew from the pool
    {"draw": 7},
    {"max_attempts": 1},                          # no retake follows the review
    {"review": "after_pass"},                     # the key only once it no longer matters
    {"review": "score_only"},                     # how many were right, not which
    {"review": "never"},
    {"kind": "practice", "max_attempts": 0},      # practice: the review is the lesson
], ids=["draw-5-of-8", "draw-7-of-8", "one-attempt", "after-pass", "score-only", "never",
        "practice"])
def test_reviews_that_keep_the_key_from_an_attempt_still_to_pass_do_not_warn(settings):
    assert answer_key_warning(spec(**settings)) is None


def test_a_practice_quiz_that_earns_a_credential_warns():
    practice = spec(kind="practice", max_attempts=0)
    assert answer_key_warning(practice) is None
    assert answer_key_warning(practice, earns_credential=True) is not None


@pytest.mark.parametrize(("review", "max_attempts", "warns"), [
    ("after_pass", 1, True),      # the first pass shows the key; the renewal asks it again
    ("after_pass", 3, True),
    ("after_submit", 1, True),    # renewal attempts count afresh: one attempt is no limit
    ("score_only", 3, False),
    ("never", 1, False),
])
def test_a_renewal_quiz_asks_again_after_a_pass(review, max_attempts, warns):
    quiz = spec(kind="exam", review=review, max_attempts=max_attempts)
    message = answer_key_warning(quiz, renews_certification=True)
    assert (message is not None) is warns
    if message:
        assert "the renewal of a certification" in message
        assert 'Use review = "score_only", or draw part of a larger pool.' in message
        assert "max_attempts = 1" not in message  # it would not help a renewal
    assert answer_key_warning(replace(quiz, draw=5), renews_certification=True) is None


# --- Files: where the warning points, and what it is ------------------------------------------

LEAKY_TOML = """\
title = "Leaky quiz"
kind = "quiz"
max_attempts = 3
draw = 0
review = "after_submit"

[[questions]]
id = "q1"
type = "true_false"
prompt = "Partners register deals"
answer = true
points = 1

[[questions]]
id = "q2"
type = "true_false"
prompt = "Gold is the top tier"
answer = false
points = 1
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def test_the_warning_points_at_the_review_line_and_never_blocks(tmp_path):
    write(tmp_path / "quizzes", "leaky-quiz.toml", LEAKY_TOML)
    (tmp_path / "content").mkdir()
    content = load_folders(tmp_path / "content", tmp_path / "quizzes")

    assert content.problems == []
    assert [q.slug for q in content.quizzes.quizzes] == ["leaky-quiz"]
    (warning,) = content.warnings
    assert isinstance(warning, ContentWarning)
    assert (warning.path, warning.line) == ("quizzes/leaky-quiz.toml", 5)
    assert str(warning).startswith(
        'quizzes/leaky-quiz.toml:5: warning: review = "after_submit" shows the correct answers')


def test_defaults_publish_the_key_and_warn_on_line_one(tmp_path):
    """Unset, review is after_submit, attempts unlimited and draw all: the warning shows."""
    text = LEAKY_TOML.replace("max_attempts = 3\ndraw = 0\nreview = \"after_submit\"\n", "")
    quiz, problems = load_quiz_file(write(tmp_path, "defaults.toml", text), "defaults.toml")
    assert problems == [] and quiz is not None
    assert "(unlimited retakes)" in answer_key_warning(quiz)
    assert quiz.line_of_review == 1


def test_a_renewal_exam_with_review_after_pass_warns_through_the_credentials(tmp_path):
    content_dir, quiz_dir = tmp_path / "content", tmp_path / "quizzes"
    write(content_dir / "demo-course", "course.toml",
          'title = "Demo"\nsummary = "A course."\naudience = "all"\n')
    write(content_dir / "demo-course", "01-first.md",
          '+++\ntitle = "First"\nminutes = 5\n+++\n\nHello.\n')
    write(content_dir / "badges", "cert.svg",
          '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>\n')
    write(content_dir, "credentials.toml", """\
[[credentials]]
slug = "demo-cert"
name = "Demo certification"
kind = "certification"
description = "Holds it."
criteria = "Pass the exam."
image = "badges/cert.svg"
quizzes = ["demo-exam"]
validity_months = 24
renewal_quiz = "demo-exam"
""")
    exam = LEAKY_TOML.replace('kind = "quiz"', 'kind = "exam"').replace(
        "max_attempts = 3", "max_attempts = 1").replace('"after_submit"', '"after_pass"')
    write(quiz_dir, "demo-exam.toml", exam)
    write(quiz_dir, "other-exam.toml", exam)  # renews nothing: one attempt, nothing leaks

    content = load_folders(content_dir, quiz_dir)

    assert [str(p) for p in content.problems] == []
    assert [(w.path, w.line) for w in content.warnings] == [("quizzes/demo-exam.toml", 5)]
    assert "the renewal of a certification asks the same 2 questions" in \
        content.warnings[0].message


# --- `lms content check` and `lms content sync` -----------------------------------------------


@pytest.fixture
def leaky_app(make_app, tmp_path):
    write(tmp_path / "quizzes", "leaky-quiz.toml", LEAKY_TOML)
    (tmp_path / "content").mkdir()
    return make_app(LMS_QUIZZES_DIR=str(tmp_path / "quizzes"),
                    LMS_CONTENT_DIR=str(tmp_path / "content"))


def test_content_check_lists_the_warning_and_still_passes(leaky_app):
    result = leaky_app.test_cli_runner().invoke(args=["content", "check"])

    assert result.exit_code == 0, result.output
    assert re.search(r'^quizzes/leaky-quiz\.toml:5: warning: review = "after_submit" shows the '
                     r"correct answers after every attempt, and every later attempt \(up to 2 "
                     r"retakes\) asks the same 2 questions", result.output, re.MULTILINE)
    assert "Content is valid: 0 courses, 0 lessons, 1 quizzes and exams" in result.output
    assert result.output.rstrip().endswith("1 warning(s) above.")


def test_content_check_strict_fails_on_a_warning(leaky_app):
    result = leaky_app.test_cli_runner().invoke(args=["content", "check", "--strict"])

    assert result.exit_code == 1
    assert "quizzes/leaky-quiz.toml:5: warning: " in result.output
    assert "1 warning(s) found (--strict)." in result.output
    assert "Content is valid" not in result.output


def test_problems_fail_the_check_and_warnings_are_listed_with_them(leaky_app, tmp_path):
    write(tmp_path / "quizzes", "broken-quiz.toml", LEAKY_TOML.replace("answer = false",
                                                                       'answer = "maybe"'))
    result = leaky_app.test_cli_runner().invoke(args=["content", "check"])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    problem = next(n for n, line in enumerate(lines) if line.startswith("quizzes/broken-quiz"))
    warning = next(n for n, line in enumerate(lines) if ": warning: " in line)
    assert problem < warning  # problems first: they are what must be fixed
    assert "1 problem(s) found." in result.output


def test_content_sync_shows_the_warning_and_imports_the_quiz(leaky_app):
    with leaky_app.app_context():
        result = leaky_app.test_cli_runner().invoke(args=["content", "sync"])

        assert result.exit_code == 0, result.output
        assert "quizzes/leaky-quiz.toml:5: warning: " in result.output
        assert db.session.scalar(select(func.count()).select_from(Quiz)) == 1


def test_the_real_content_publishes_no_answer_key(runner):
    content = load_folders(REPO / "content", REPO / "quizzes")
    assert [str(w) for w in content.warnings] == []
    by_slug = {q.slug: q for q in content.quizzes.quizzes}
    assert by_slug["selling-nimbus-crm-quiz"].review == "after_pass"

    result = runner.invoke(args=["content", "check", "--strict"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
