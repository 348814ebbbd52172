"""Quiz files: validation with file:line problems (pure), `lms content check`, and sync
(versions, snapshots kept by attempts, archiving)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from lms.content import load_all, sync_all
from lms.courses.loader import load_content
from lms.extensions import db
from lms.models import Attempt, Quiz, QuizVersion
from lms.quizzes import service
from lms.quizzes.loader import load_quiz_file, load_quizzes
from tests.factories import login, make_user

REPO = Path(__file__).resolve().parents[2]
MARK = "# <-"

# A valid quiz with every question type; the cases below change one piece of it and put
# MARK on the line where the problem must be reported.
VALID = """\
title = "Partner basics"
kind = "quiz"
pass_percent = 80
review = "after_submit"

[[questions]]
id = "q1"
type = "single"
prompt = "Pick B"
options = ["A", "B", "C"]
answer = "B"
points = 1

[[questions]]
id = "q2"
type = "multiple"
prompt = "Pick A and C"
options = ["A", "B", "C"]
answers = ["A", "C"]
points = 2

[[questions]]
id = "q3"
type = "true_false"
prompt = "The sky is blue"
answer = true
points = 1

[[questions]]
id = "q4"
type = "numeric"
prompt = "Which port?"
answer = 8080
tolerance = 0
points = 1

[[questions]]
id = "q5"
type = "short"
prompt = "Which prefix?"
answers = ["co_"]
points = 1
explanation = "Custom objects start with `co_`."
"""

COURSE_TOML = 'title = "Demo Course"\nsummary = "A course."\naudience = "all"\n'
LESSON = '+++\ntitle = "First steps"\nminutes = 5\n+++\n\nHello.\n'


def mutate(*changes: tuple[str, str], text: str = VALID) -> str:
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} is not unique in the quiz text"
        text = text.replace(old, new)
    return text


def marked_line(text: str) -> int:
    lines = [n for n, line in enumerate(text.split("\n"), start=1) if MARK in line]
    assert len(lines) == 1, "mark exactly one line"
    return lines[0]


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str, name: str = "bad-quiz.toml") -> list[str]:
    spec, problems = load_quiz_file(write(tmp_path / "quizzes", name, text), f"quizzes/{name}")
    if problems:
        assert spec is None, "a file with problems gives no quiz"
    return [str(p) for p in problems]


def write_course(content_dir: Path, slug: str) -> None:
    write(content_dir / slug, "course.toml", COURSE_TOML)
    write(content_dir / slug, "01-first-steps.md", LESSON)


# --- The real quizzes ------------------------------------------------------------------------


def test_the_real_quizzes_load_without_problems():
    courses = load_content(REPO / "content")
    originals = {c.slug for c in courses.courses if not c.translation_of}

    quizzes = load_quizzes(REPO / "quizzes", originals)

    assert [str(p) for p in quizzes.problems] == []
    assert len(quizzes.quizzes) == 6
    assert {q.kind for q in quizzes.quizzes} == {"practice", "quiz", "exam"}
    for quiz in quizzes.quizzes:
        assert quiz.draw <= len(quiz.questions), quiz.slug


def test_lms_content_check_passes_on_the_real_content(runner):
    result = runner.invoke(args=["content", "check"])

    assert result.exit_code == 0, result.output
    assert "6 quizzes and exams" in result.output


def test_a_valid_file_gives_its_quiz(tmp_path):
    spec, problems = load_quiz_file(write(tmp_path, "partner-basics.toml", VALID),
                                    "quizzes/partner-basics.toml")

    assert problems == []
    assert spec.slug == "partner-basics"
    assert [q.id for q in spec.questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert spec.questions[2].answer == "true"
    assert spec.questions[3].answer == "8080"
    assert (spec.max_attempts, spec.draw, spec.shuffle) == (0, 0, True)


def test_a_quiz_may_carry_its_japanese_title(tmp_path):
    text = VALID.replace('review = "after_submit"\n',
                         'review = "after_submit"\n\n[ja]\ntitle = "パートナーの基本"\n')
    spec, problems = load_quiz_file(write(tmp_path, "partner-basics.toml", text),
                                    "quizzes/partner-basics.toml")

    assert problems == []
    assert spec.titles == (("ja", "パートナーの基本"),)


# --- Problems, as file:line ------------------------------------------------------------------


CASES = {
    "unknown question type": (
        [('type = "single"', f'type = "essay"  {MARK}')], "unknown type 'essay'"),
    "single answer not an option": (
        [('answer = "B"', f'answer = "D"  {MARK}')], "answer 'D' is not among the options"),
    "multiple answer not an option": (
        [('answers = ["A", "C"]', f'answers = ["A", "Z"]  {MARK}')],
        "answer 'Z' is not among the options"),
    "draw larger than the pool": (
        [('review = "after_submit"', f'review = "after_submit"\ndraw = 6  {MARK}')],
        "draw 6 is larger than the pool of 5 questions"),
    "missing points": (
        [('[[questions]]\nid = "q2"', f'[[questions]]  {MARK}\nid = "q2"'),
         ('answers = ["A", "C"]\npoints = 2\n', 'answers = ["A", "C"]\n')],
        "missing points in question 'q2'"),
    "points 0": (
        [("answers = [\"A\", \"C\"]\npoints = 2", f'answers = ["A", "C"]\npoints = 0  {MARK}')],
        "points must be a number above 0"),
    "negative points": (
        [("answers = [\"A\", \"C\"]\npoints = 2", f'answers = ["A", "C"]\npoints = -1.5  {MARK}')],
        "points must be a number above 0"),
    "duplicate question id": (
        [('id = "q3"', f'id = "q1"  {MARK}')], "duplicate question id 'q1'"),
    "unknown top-level key": (
        [("pass_percent = 80", f"pass_percent = 80\nattempts = 3  {MARK}")],
        "unknown key 'attempts'"),
    "unknown question key": (
        [('prompt = "Which port?"', f'prompt = "Which port?"\nhint = "proxies"  {MARK}')],
        "unknown key 'hint' in a question"),
    "unknown kind": (
        [('kind = "quiz"', f'kind = "survey"  {MARK}')], "unknown kind 'survey'"),
    "unknown review policy": (
        [('review = "after_submit"', f'review = "sometimes"  {MARK}')],
        "unknown review policy 'sometimes'"),
    "pass_percent 120": (
        [("pass_percent = 80", f"pass_percent = 120  {MARK}")],
        "pass_percent must be a whole number 0-100"),
    "options on a numeric question": (
        [("answer = 8080", f'answer = 8080\noptions = ["8080", "80"]  {MARK}')],
        "'options' is not used by numeric questions"),
    "true_false answer not a boolean": (
        [("answer = true", f'answer = "yes"  {MARK}')], "answer must be true or false"),
    "invalid TOML": (
        [('prompt = "Pick B"', f'prompt = "Pick B  {MARK}')], "not valid TOML"),
    "a [ja] table without a title": (
        [('review = "after_submit"\n', f'review = "after_submit"\n\n[ja]  {MARK}\nname = "x"\n')],
        "[ja] takes one key: the Japanese 'title'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_problem_names_the_file_and_line(tmp_path, case):
    changes, message = CASES[case]
    text = mutate(*changes)

    problems = problems_of(tmp_path, text)

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"quizzes/bad-quiz.toml:{marked_line(text)}: "), problems
    assert message in problems[0]


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    text = mutate(('kind = "quiz"', 'kind = "survey"'), ('answer = "B"', 'answer = "D"'),
                  ('id = "q3"', 'id = "q1"'), ("answer = true", 'answer = "yes"'))

    problems = problems_of(tmp_path, text)

    assert [p.split(": ", 1)[0] for p in problems] == [
        "quizzes/bad-quiz.toml:2", "quizzes/bad-quiz.toml:11", "quizzes/bad-quiz.toml:23",
        "quizzes/bad-quiz.toml:26"]


def test_a_file_name_that_is_not_a_slug_is_a_problem(tmp_path):
    problems = problems_of(tmp_path, VALID, name="Bad_Name.toml")

    assert problems == ["quizzes/Bad_Name.toml:1: quiz files are named <slug>.toml "
                        "(lower-case letters, digits, dashes)"]


@pytest.mark.parametrize("value", ["inf", "nan"])
def test_points_that_are_not_finite_are_a_problem(tmp_path, value):
    text = mutate(("answers = [\"A\", \"C\"]\npoints = 2",
                   f'answers = ["A", "C"]\npoints = {value}  {MARK}'))

    problems = problems_of(tmp_path, text)

    assert problems == [f"quizzes/bad-quiz.toml:{marked_line(text)}: points must be a number "
                        "above 0"]


@pytest.mark.parametrize("change", [("tolerance = 0", "tolerance = nan"),
                                    ("tolerance = 0", "tolerance = inf"),
                                    ("answer = 8080", "answer = nan"),
                                    ("answer = 8080", "answer = inf")])
def test_numeric_values_that_are_not_finite_are_a_problem(tmp_path, change):
    old, new = change
    text = mutate((old, f"{new}  {MARK}"))

    problems = problems_of(tmp_path, text)

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"quizzes/bad-quiz.toml:{marked_line(text)}: ")


def test_a_question_type_that_is_not_text_is_a_problem(tmp_path):
    text = mutate(('type = "single"', f'type = ["single"]  {MARK}'))

    problems = problems_of(tmp_path, text)

    assert len(problems) == 1, problems
    assert problems[0].startswith(f"quizzes/bad-quiz.toml:{marked_line(text)}: unknown type")


def test_problems_under_a_spaced_table_header_keep_their_line(tmp_path):
    text = mutate(('[[questions]]\nid = "q2"', f'[[ questions ]]  {MARK}\nid = "q2"'),
                  ('answers = ["A", "C"]\npoints = 2\n', 'answers = ["A", "C"]\n'))
    text = text.replace("[[questions]]", "[[ questions ]]")

    problems = problems_of(tmp_path, text)

    assert problems == [f"quizzes/bad-quiz.toml:{marked_line(text)}: missing points in "
                        "question 'q2'"]


# --- Courses: through load_all and `lms content check` ---------------------------------------


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    quiz_dir, content_dir = tmp_path / "quizzes", tmp_path / "content"
    quiz_dir.mkdir()
    content_dir.mkdir()
    write_course(content_dir, "demo-course")
    return quiz_dir, content_dir


def tied_to(course: str) -> str:
    return mutate(('kind = "quiz"', f'kind = "quiz"\ncourse = "{course}"'))


def test_a_quiz_tied_to_an_existing_course_loads(make_app, folders):
    quiz_dir, content_dir = folders
    write(quiz_dir, "demo-quiz.toml", tied_to("demo-course"))
    app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir))

    with app.app_context():
        content = load_all()

    assert content.problems == []
    assert [q.course for q in content.quizzes.quizzes] == ["demo-course"]


def test_a_course_that_does_not_exist_is_a_problem(make_app, folders):
    quiz_dir, content_dir = folders
    write(quiz_dir, "demo-quiz.toml", tied_to("no-such-course"))
    app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir))

    with app.app_context():
        content = load_all()

    assert [str(p) for p in content.problems] == [
        "quizzes/demo-quiz.toml:3: course 'no-such-course' does not exist"]
    assert content.quizzes.quizzes == []


def test_two_quizzes_tied_to_one_course_is_a_problem(make_app, folders):
    quiz_dir, content_dir = folders
    write(quiz_dir, "a-quiz.toml", tied_to("demo-course"))
    write(quiz_dir, "b-quiz.toml", tied_to("demo-course"))
    app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir))

    with app.app_context():
        content = load_all()

    assert [str(p) for p in content.problems] == [
        "quizzes/b-quiz.toml:3: course 'demo-course' already has a quiz (a-quiz)"]


def test_lms_content_check_fails_listing_every_problem(make_app, folders):
    quiz_dir, content_dir = folders
    write(quiz_dir, "a-quiz.toml", tied_to("demo-course"))
    write(quiz_dir, "b-quiz.toml", tied_to("demo-course"))
    write(quiz_dir, "c-quiz.toml", tied_to("no-such-course"))
    write(quiz_dir, "d-quiz.toml", mutate(('answer = "B"', 'answer = "D"')))
    write(quiz_dir, "e-quiz.toml", mutate(("pass_percent = 80", "pass_percent = 120")))
    app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir))

    result = app.test_cli_runner().invoke(args=["content", "check"])

    assert result.exit_code == 1, result.output
    for problem in ("quizzes/b-quiz.toml:3: course 'demo-course' already has a quiz (a-quiz)",
                    "quizzes/c-quiz.toml:3: course 'no-such-course' does not exist",
                    "quizzes/d-quiz.toml:11: answer 'D' is not among the options",
                    "quizzes/e-quiz.toml:3: pass_percent must be a whole number 0-100"):
        assert problem in result.output
    assert "4 problem(s) found." in result.output


def test_lms_content_sync_imports_nothing_when_a_quiz_has_problems(make_app, folders):
    quiz_dir, content_dir = folders
    write(quiz_dir, "good-quiz.toml", VALID)
    write(quiz_dir, "bad-quiz.toml", mutate(('answer = "B"', 'answer = "D"')))
    app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir))

    result = app.test_cli_runner().invoke(args=["content", "sync"])

    assert result.exit_code == 1, result.output
    assert "quizzes/bad-quiz.toml:11: answer 'D' is not among the options" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Quiz)) == 0


# --- Sync ------------------------------------------------------------------------------------


@pytest.fixture
def synced(make_app, folders):
    """An app whose quiz folder holds partner-basics (VALID), synced; context pushed."""
    quiz_dir, content_dir = folders
    write(quiz_dir, "partner-basics.toml", VALID)
    app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir))
    with app.app_context():
        sync()
        yield app, quiz_dir


def sync():
    report = sync_all(load_all())
    db.session.commit()
    return report


def quiz_row(slug: str = "partner-basics") -> Quiz:
    db.session.expire_all()
    return db.session.scalar(select(Quiz).where(Quiz.slug == slug))


def versions_of(quiz: Quiz) -> list[QuizVersion]:
    return list(db.session.scalars(select(QuizVersion).where(QuizVersion.quiz_id == quiz.id)
                                   .order_by(QuizVersion.number)))


@pytest.mark.usefixtures("synced")
def test_sync_creates_the_quiz_with_version_1():
    quiz = quiz_row()

    assert (quiz.title, quiz.kind.value, quiz.current_version_number) == (
        "Partner basics", "quiz", 1)
    [version] = versions_of(quiz)
    assert version.number == 1
    assert [q["id"] for q in version.questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert version.questions[4]["explanation_html"] == (
        "<p>Custom objects start with <code>co_</code>.</p>")


@pytest.mark.usefixtures("synced")
def test_a_second_sync_writes_nothing():
    writes = []

    def count_writes(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_writes)
    try:
        report = sync()
    finally:
        event.remove(db.engine, "before_cursor_execute", count_writes)

    assert writes == []
    assert not report.changed
    assert report.unchanged == 3  # the course, its lesson and the quiz
    assert len(versions_of(quiz_row())) == 1


def test_editing_a_file_makes_version_2_and_attempts_keep_their_snapshot(synced):
    _app, quiz_dir = synced
    user = make_user()
    attempt = service.start_attempt(user, quiz_row())
    db.session.commit()
    attempt_id = attempt.id
    version_1 = versions_of(quiz_row())[0]
    before = [dict(q) for q in attempt.questions]
    single = next(q for q in before if q["id"] == "q1")
    assert (sorted(single["options"]), single["answer"], single["points"]) == (
        ["A", "B", "C"], "B", "1")

    write(quiz_dir, "partner-basics.toml", mutate(
        ('prompt = "Pick B"', 'prompt = "Pick Z now"'),
        ('options = ["A", "B", "C"]\nanswer = "B"\npoints = 1',
         'options = ["X", "Y", "Z"]\nanswer = "Z"\npoints = 5')))
    report = sync()

    quiz = quiz_row()
    assert quiz.current_version_number == 2
    assert [v.number for v in versions_of(quiz)] == [1, 2]
    assert "quiz partner-basics (version 2)" in report.updated
    version_2 = versions_of(quiz)[1]
    assert next(q for q in version_2.questions if q["id"] == "q1")["answer"] == "Z"
    old = db.session.get(Attempt, attempt_id)
    assert old.quiz_version_id == version_1.id
    assert old.questions == before
    assert next(q for q in old.questions if q["id"] == "q1")["prompt_html"] == (
        "<p>Pick B</p>")
    # The old attempt is graded on its own snapshot: the old key still scores.
    graded = service.submit_attempt(user, attempt_id, {"q-q1": ["B"]})
    db.session.commit()
    assert graded.results["q1"] == "1"
    # A new attempt is taken on version 2.
    new = service.start_attempt(user, quiz_row())
    db.session.commit()
    assert new.quiz_version_id == version_2.id
    assert set(next(q for q in new.questions if q["id"] == "q1")["options"]) == {"X", "Y", "Z"}


def test_removing_a_file_archives_the_quiz(synced):
    app, quiz_dir = synced
    user = make_user()
    client = app.test_client()
    login(client, user)
    assert client.get("/quizzes/partner-basics").status_code == 200

    (quiz_dir / "partner-basics.toml").unlink()
    report = sync()

    assert report.archived == ["quiz partner-basics"]
    assert quiz_row().archived_at is not None
    assert client.get("/quizzes/partner-basics").status_code == 404
    assert client.post("/quizzes/partner-basics").status_code == 404
    assert "partner-basics" not in client.get("/quizzes").get_data(as_text=True)


def test_restoring_a_removed_file_brings_the_quiz_back_without_a_new_version(synced):
    _app, quiz_dir = synced
    (quiz_dir / "partner-basics.toml").unlink()
    sync()

    write(quiz_dir, "partner-basics.toml", VALID)
    report = sync()

    quiz = quiz_row()
    assert report.restored == ["quiz partner-basics"]
    assert quiz.archived_at is None
    assert quiz.current_version_number == 1
