"""The registry of question types (lms.quizzes.scoring.QUESTION_TYPES): each type is one
class, and the loader, the attempt page, the result page and scoring all go through it.

Adding a type: add its example below (and its strategy to BUILDERS in test_scoring.py);
these tests then check its keys, its partials and its sample answer.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from flask import render_template
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import lms
from lms.quizzes.loader import COMMON_TYPES, QUESTION_KEYS, QuestionSpec, load_quiz_file
from lms.quizzes.scoring import QUESTION_TYPES, Question, QuestionType
from lms.quizzes.service import QuestionReview
from lms.quizzes.sync import question_snapshot
from tests.factories.content import toml
from tests.quizzes.test_scoring import BUILDERS, questions_of

TEMPLATES = Path(lms.__file__).parent / "templates"
PROPERTY = settings(max_examples=100, deadline=None, database=None, derandomize=True)
# The answer keys of a valid question of each type, as a quiz file gives them.
EXAMPLES: dict[str, dict] = {
    "single": {"options": ["Red", "Green", "Blue"], "answer": "Green"},
    "multiple": {"options": ["crm.read", "bulk.write", "admin.all"],
                 "answers": ["crm.read", "admin.all"]},
    "true_false": {"answer": False},
    "numeric": {"answer": 3.5, "tolerance": 0.25},
    "short": {"answers": ["Tokyo", "東京"]},
}
KINDS = list(QUESTION_TYPES.values())
NAMES = list(QUESTION_TYPES)


def quiz_text(name: str, keys: dict) -> str:
    lines = ['title = "Types"', "", "[[questions]]", 'id = "q1"', f'type = "{name}"',
             'prompt = "Answer me"', "points = 2"]
    return "\n".join([*lines, *(f"{key} = {toml(value)}" for key, value in keys.items())]) + "\n"


def load(tmp_path: Path, text: str) -> tuple[QuestionSpec | None, list[str]]:
    path = tmp_path / "types.toml"
    path.write_text(text, encoding="utf-8")
    spec, problems = load_quiz_file(path, "quizzes/types.toml")
    return (spec.questions[0] if spec else None), [str(p) for p in problems]


def question_of(spec: QuestionSpec) -> Question:
    """The question as an attempt scores it, from what the loader gives."""
    return Question(spec.id, spec.type, spec.points, options=spec.options, answer=spec.answer,
                    answers=spec.answers, tolerance=Decimal(spec.tolerance))


def stored(kind: type[QuestionType], question: Question, raw: list[str]):
    """A form answer as the attempt keeps it (lists, not tuples: JSON)."""
    value = kind.clean(question, raw)
    return list(value) if isinstance(value, tuple) else value


# --- The registry -----------------------------------------------------------------------------


def test_each_type_is_registered_under_its_own_name():
    assert NAMES == ["single", "multiple", "true_false", "numeric", "short"]
    assert all(kind.name == name for name, kind in QUESTION_TYPES.items())


def test_every_type_has_an_example_and_a_scoring_strategy():
    assert set(EXAMPLES) == set(QUESTION_TYPES)
    assert set(BUILDERS) == set(QUESTION_TYPES)


@pytest.mark.parametrize("kind", KINDS, ids=NAMES)
def test_every_type_has_its_partials(kind):
    assert kind.input_template == f"quizzes/inputs/{kind.name}.html"
    assert (TEMPLATES / kind.input_template).is_file()
    assert (TEMPLATES / kind.review_template).is_file()


@pytest.mark.parametrize("kind", KINDS, ids=NAMES)
def test_a_type_shows_options_exactly_when_it_reads_them(kind):
    assert kind.has_options == ("options" in kind.keys)


def test_the_loader_knows_the_keys_of_every_type():
    for kind in KINDS:
        assert set(kind.keys) <= QUESTION_KEYS
        assert not set(kind.keys) & set(COMMON_TYPES)


# --- The loader through the registry ----------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_example_of_each_type_loads(tmp_path, name):
    spec, problems = load(tmp_path, quiz_text(name, EXAMPLES[name]))

    assert problems == []
    assert spec is not None and spec.type == name and spec.points == 2


@pytest.mark.parametrize(("name", "key", "other"), [
    (name, key, other) for name in NAMES for other in NAMES
    for key in QUESTION_TYPES[other].keys if key not in QUESTION_TYPES[name].keys])
def test_the_loader_rejects_the_keys_of_another_type(tmp_path, name, key, other):
    text = quiz_text(name, EXAMPLES[name] | {key: EXAMPLES[other][key]})

    spec, problems = load(tmp_path, text)

    line = text.split("\n").index(f"{key} = {toml(EXAMPLES[other][key])}") + 1
    assert spec is None
    assert problems == [f"quizzes/types.toml:{line}: '{key}' is not used by {name} questions"]


@pytest.mark.parametrize(("name", "key"), [
    (name, key) for name in NAMES for key, rule in QUESTION_TYPES[name].keys.items()
    if rule.missing is not None])
def test_a_required_key_left_out_is_its_types_problem(tmp_path, name, key):
    keys = {k: v for k, v in EXAMPLES[name].items() if k != key}

    spec, problems = load(tmp_path, quiz_text(name, keys))

    assert spec is None
    assert problems == [f"quizzes/types.toml:3: {QUESTION_TYPES[name].keys[key].missing}"]


# --- Sample answers, the review and the item analysis -----------------------------------------


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_a_sample_answer_scores_full_marks(name, data):
    question = data.draw(questions_of(name))
    kind = QUESTION_TYPES[name]

    answer = kind.clean(question, kind.sample_answer(question))

    assert kind.score(question, answer) == question.points


@pytest.mark.parametrize("name", NAMES)
@PROPERTY
@given(data=st.data())
def test_a_wrong_answer_scores_less_than_full_marks(name, data):
    question = data.draw(questions_of(name))
    kind = QUESTION_TYPES[name]
    pick = data.draw(st.sampled_from([lambda items: items[0], lambda items: items[-1]]))
    assume(name != "short" or "not sure" not in question.answers)

    answer = kind.clean(question, kind.wrong_answer(question, pick))

    assert kind.score(question, answer) < question.points


@pytest.mark.parametrize("name", NAMES)
def test_the_sample_answer_of_a_loaded_question_scores_full_marks(tmp_path, name):
    spec, _problems = load(tmp_path, quiz_text(name, EXAMPLES[name]))
    question = question_of(spec)
    kind = QUESTION_TYPES[name]

    assert kind.score(question, kind.clean(question, kind.sample_answer(question))) == 2


@pytest.mark.parametrize("name", ["single", "multiple"])
def test_the_right_options_are_those_of_the_sample_answer(tmp_path, name):
    spec, _problems = load(tmp_path, quiz_text(name, EXAMPLES[name]))
    question = question_of(spec)
    kind = QUESTION_TYPES[name]

    right = [option for option in question.options if kind.right_option(question, option)]

    assert right == kind.sample_answer(question)


@pytest.mark.parametrize(("name", "choices"), [
    ("single", ("Red", "Green", "Blue")), ("multiple", ("crm.read", "bulk.write", "admin.all")),
    ("true_false", ("true", "false")), ("numeric", ()), ("short", ())])
def test_item_analysis_counts_the_choices_of_each_type(tmp_path, name, choices):
    spec, _problems = load(tmp_path, quiz_text(name, EXAMPLES[name]))

    assert QUESTION_TYPES[name].choices(question_of(spec)) == choices


# --- The partials, rendered -------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_input_partial_shows_the_saved_answer_under_the_field_name(app, tmp_path, name):
    spec, _problems = load(tmp_path, quiz_text(name, EXAMPLES[name]))
    question, kind = question_of(spec), QUESTION_TYPES[name]
    sample = kind.sample_answer(question)

    with app.test_request_context():
        html = render_template(kind.input_template, q=question_snapshot(spec), name="q-q1",
                               given=stored(kind, question, sample))

    assert 'name="q-q1"' in html
    for value in sample:
        assert f'value="{value}"' in html


@pytest.mark.parametrize("name", NAMES)
def test_the_review_partial_shows_the_answer_given(app, tmp_path, name):
    spec, _problems = load(tmp_path, quiz_text(name, EXAMPLES[name]))
    question, kind = question_of(spec), QUESTION_TYPES[name]
    sample = kind.sample_answer(question)
    review = QuestionReview(1, question_snapshot(spec), stored(kind, question, sample),
                            Fraction(2), Fraction(2))

    with app.test_request_context():
        html = render_template(review.kind.review_template, r=review)

    assert "Your answer:" in html
    # True/false answers are shown in words, like the correct answer.
    shown = {"true": "True", "false": "False"} if name == "true_false" else {}
    for value in sample:
        assert shown.get(value, value) in html
