"""Read and validate quizzes/*.toml (no Flask, no database); problems as file:line."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from lms.problems import (
    ContentProblem,
    ContentWarning,
    key_line,
    table_chunks,
    table_key_line,
    toml_error_line,
    top_key_line,
)
from lms.quizzes.scoring import QUESTION_TYPES, QuestionType, is_finite
from lms.tomltypes import (
    Expected,
    check_types,
    is_boolean,
    is_number,
    is_table,
    is_table_list,
    is_text,
    is_whole,
    needed,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUESTION_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
KINDS = ("practice", "quiz", "exam")
REVIEWS = ("after_submit", "after_pass", "score_only", "never")
COUNTS = ("max_attempts", "cooldown_minutes", "time_limit_minutes", "draw")
MAX_COUNT = 100_000
MAX_POINTS = 1_000
Line = Callable[[str], int]  # the line of a key of the table being checked
NO_QUESTIONS = "a quiz needs at least one [[questions]] entry"

# The TOML type of every key, checked before the values are.
SETTING_TYPES = {
    "title": Expected(is_text, "title must be a text", missing="missing 'title'"),
    "kind": Expected(is_text, f"kind must be one of {', '.join(KINDS)} (a text)"),
    "course": Expected(is_text, "course must be a course slug"),
    "pass_percent": Expected(is_whole, "pass_percent must be a whole number 0-100"),
    **{key: Expected(is_whole, f"{key} must be a whole number, 0 or more") for key in COUNTS},
    "shuffle": Expected(is_boolean, "shuffle must be true or false"),
    "review": Expected(is_text, f"review must be one of {', '.join(REVIEWS)} (a text)"),
    "questions": Expected(is_table_list, "questions must be [[questions]] tables",
                          missing=NO_QUESTIONS),
    "ja": Expected(is_table, "ja must be a [ja] table with the Japanese 'title'"),
}
CHOICES = {"kind": ("unknown kind", KINDS), "review": ("unknown review policy", REVIEWS)}
RANGES = {"pass_percent": (0, 100), **dict.fromkeys(COUNTS, (0, MAX_COUNT))}
QUESTION_TYPE_NAMES = ", ".join(QUESTION_TYPES)
ID_PROBLEM = "each question needs an 'id' (letters, digits, . _ -)"
COMMON_TYPES = {
    "id": needed(is_text, ID_PROBLEM),
    "type": Expected(is_text, f"unknown type: it must be one of {QUESTION_TYPE_NAMES} "
                              "(a text)",
                     missing=f"missing 'type' (one of {QUESTION_TYPE_NAMES})"),
    "prompt": Expected(is_text, "prompt must be a text", missing="missing 'prompt'"),
    "points": Expected(is_number, "points must be a number above 0"),
    "explanation": Expected(is_text, "explanation must be text"),
}
QUIZ_KEYS = set(SETTING_TYPES)
# The common keys and those each question type reads (QuestionType.keys).
QUESTION_KEYS = set(COMMON_TYPES).union(*(kind.keys for kind in QUESTION_TYPES.values()))


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    type: str
    prompt: str
    points: Fraction
    options: tuple[str, ...] = ()
    answer: str | None = None
    answers: tuple[str, ...] = ()
    tolerance: str = "0"
    explanation: str = ""


@dataclass(frozen=True)
class QuizSpec:
    slug: str
    title: str
    kind: str
    course: str | None
    pass_percent: int
    max_attempts: int
    cooldown_minutes: int
    time_limit_minutes: int
    draw: int
    shuffle: bool
    review: str
    questions: tuple[QuestionSpec, ...]
    content_hash: str
    line_of_course: int = 1
    line_of_review: int = 1
    titles: tuple[tuple[str, str], ...] = ()  # (locale, title) of the translations


@dataclass
class QuizSet:
    quizzes: list[QuizSpec] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


class _File:
    def __init__(self, path: Path, shown: str, text: str):
        self.path, self.shown, self.text = path, shown, text
        self.problems: list[ContentProblem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(ContentProblem(self.shown, line, message))

    def typed(self, data: dict, expected: Mapping[str, Expected], line: Line) -> dict:
        """Report missing keys and values of a wrong TOML type; the values left to check."""
        typed, problems = check_types(data, expected)
        for key, message in problems:
            self.add(line(key), message)
        return typed


def _check_settings(f: _File, data: dict) -> dict:
    """The quiz settings, each problem reported; the values of the right type."""
    def line(key: str) -> int:
        return top_key_line(f.text, key) if key in data else 1

    for key in data:
        if key not in QUIZ_KEYS:
            f.add(line(key), f"unknown key '{key}' (allowed: {', '.join(sorted(QUIZ_KEYS))})")
    values = f.typed(data, SETTING_TYPES, line)
    _check_setting_values(f, values, line)
    return values


def _check_setting_values(f: _File, values: dict, line: Line) -> None:
    """The settings' values (of the right TOML type): texts, choices, ranges."""
    if "title" in values and not values["title"].strip():
        f.add(line("title"), "missing 'title'")
    ja = values.get("ja")
    if ja is not None and (set(ja) != {"title"} or not isinstance(ja["title"], str)
                           or not ja["title"].strip()):
        odd = sorted(set(ja) - {"title"}) or ["title"]
        f.add(table_key_line(f.text, "ja", odd[0]),
              "[ja] takes one key: the Japanese 'title' (a non-empty text)")
    for key, (unknown, choices) in CHOICES.items():
        if key in values and values[key] not in choices:
            f.add(line(key), f"{unknown} '{values[key]}' (one of {', '.join(choices)})")
    for key, (low, high) in RANGES.items():
        if not low <= values.get(key, low) <= high:
            f.add(line(key), SETTING_TYPES[key].wrong)
    if values.get("course") == "":
        f.add(line("course"), SETTING_TYPES["course"].wrong)
    if values.get("questions") == []:
        f.add(1, NO_QUESTIONS)


def _question_type(f: _File, common: dict, line: Line) -> type[QuestionType] | None:
    """The registered type the question names (None if it names none or another)."""
    name = common.get("type")
    if name is not None and name not in QUESTION_TYPES:
        f.add(line("type"), f"unknown type '{name}' (one of {QUESTION_TYPE_NAMES})")
    return QUESTION_TYPES.get(name) if name is not None else None


def _question_keys(f: _File, entry: dict, kind: type[QuestionType] | None, line: Line
                   ) -> None:
    """Unknown keys, and keys of other question types (when the type is known)."""
    for key in entry:
        if key not in QUESTION_KEYS:
            f.add(line(key), f"unknown key '{key}' in a question")
        elif kind and key not in COMMON_TYPES and key not in kind.keys:
            f.add(line(key), f"'{key}' is not used by {kind.name} questions")


def _question_id(f: _File, qid: str | None, line: Line, seen: set[str]) -> None:
    if qid is None:
        return
    if not QUESTION_ID_RE.match(qid):
        f.add(line("id"), ID_PROBLEM)
    elif qid in seen:
        f.add(line("id"), f"duplicate question id '{qid}'")
    else:
        seen.add(qid)


def _points(f: _File, common: dict, line: Line, entry: dict) -> None:
    points = common.get("points")
    if "points" not in entry:
        f.add(line("points"), f"missing points in question '{common.get('id')}'")
    elif points is not None and (not is_finite(points) or points <= 0):
        f.add(line("points"), COMMON_TYPES["points"].wrong)
    elif points is not None and points > MAX_POINTS:
        # Scores are stored as floats: a sum of huge points would not fit one.
        f.add(line("points"), f"points must be at most {MAX_POINTS}")


def _check_question(f: _File, entry: dict, chunk: str, offset: int, seen: set[str]
                    ) -> QuestionSpec | None:
    before = len(f.problems)

    def line(key: str) -> int:
        return key_line(chunk, key, offset) if key in entry else offset + 1

    common = f.typed(entry, COMMON_TYPES, line)
    kind = _question_type(f, common, line)
    _question_keys(f, entry, kind, line)
    _question_id(f, common.get("id"), line, seen)
    if kind is None:
        return None
    if "prompt" in common and not common["prompt"].strip():
        f.add(line("prompt"), "missing 'prompt'")
    _points(f, common, line, entry)
    fields = kind.check(f.typed(entry, kind.keys, line),
                        lambda key, message: f.add(line(key), message))
    if len(f.problems) > before:
        return None
    return QuestionSpec(id=common["id"], type=kind.name, prompt=common["prompt"],
                        points=Fraction(str(common["points"])),
                        explanation=common.get("explanation", ""), **fields)


def load_quiz_file(path: Path, shown: str) -> tuple[QuizSpec | None, list[ContentProblem]]:
    """One quiz file: its spec (None if it has problems) and every problem found."""
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    f = _File(path, shown, text)
    if not SLUG_RE.match(path.stem):
        f.add(1, "quiz files are named <slug>.toml (lower-case letters, digits, dashes)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        f.add(toml_error_line(error), f"not valid TOML: {error}")
        return None, f.problems
    data = _check_settings(f, data)
    entries = data.get("questions", [])
    chunks = table_chunks(text, "questions")
    questions = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        offset, chunk = chunks[index] if index < len(chunks) else (0, text)
        question = _check_question(f, entry, chunk, offset, seen)
        if question is not None:
            questions.append(question)
    draw = data.get("draw", 0)
    if entries and draw > len(entries):
        f.add(key_line(text, "draw"), f"draw {draw} is larger than the pool of "
                                       f"{len(entries)} questions")
    if f.problems:
        return None, f.problems
    spec = QuizSpec(
        slug=path.stem, title=data["title"].strip(), kind=data.get("kind", "quiz"),
        titles=(("ja", data["ja"]["title"].strip()),) if "ja" in data else (),
        course=data.get("course"), pass_percent=data.get("pass_percent", 80),
        max_attempts=data.get("max_attempts", 0),
        cooldown_minutes=data.get("cooldown_minutes", 0),
        time_limit_minutes=data.get("time_limit_minutes", 0), draw=draw,
        shuffle=data.get("shuffle", True), review=data.get("review", "after_submit"),
        questions=tuple(questions), content_hash=hashlib.sha256(raw).hexdigest(),
        line_of_course=key_line(text, "course"),
        line_of_review=key_line(text, "review"),
    )
    return spec, []


def answer_key_warning(spec: QuizSpec, *, earns_credential: bool = False,
                       renews_certification: bool = False) -> str | None:
    """Why the quiz's own reviews give away the answers of attempts still to be passed (None:
    they do not); pure, from the spec and what the credentials make of the quiz.

    A review shows the correct answers after every attempt (`after_submit`) or once the
    person has passed (`after_pass`); `score_only` and `never` show none (lms.quizzes.review).
    The key leaks when every attempt asks the whole pool (draw 0, or a draw of the whole
    pool) and an attempt that must still be passed can follow such a review: a retake
    (max_attempts 0 or more than 1), or the renewal of a certification, whose attempts count
    afresh and which a person takes after having passed. A practice quiz that earns nothing
    is left alone: its review is the lesson.
    """
    pool = len(spec.questions)
    if spec.draw and spec.draw < pool:
        return None  # each attempt draws anew (a partial overlap is the author's trade-off)
    if spec.kind == "practice" and not (earns_credential or renews_certification):
        return None
    later = []  # the attempts that can follow a first one
    if spec.max_attempts == 0:
        later.append("unlimited retakes")
    elif spec.max_attempts > 1:
        retakes = spec.max_attempts - 1
        later.append(f"up to {retakes} retake{'s' if retakes > 1 else ''}")
    if renews_certification:
        later.append("the renewal of a certification")
    # A renewal follows a pass: only a review that shows nothing then keeps its questions.
    fixes = ('review = "score_only"' if renews_certification else
             'review = "after_pass" or "score_only", max_attempts = 1')
    if spec.review == "after_submit" and later:
        return (f'review = "after_submit" shows the correct answers after every attempt, and '
                f"every later attempt ({', '.join(later)}) asks the same {pool} questions: "
                f"the first review gives away the answers to the next. Use {fixes}, or draw "
                "part of a larger pool.")
    if spec.review == "after_pass" and renews_certification:
        return (f'review = "after_pass" shows the correct answers once passed, and the '
                f"renewal of a certification asks the same {pool} questions again: the first "
                f"pass gives away the answers to the renewal. Use {fixes}, or draw part of a "
                "larger pool.")
    return None


def quiz_warnings(quizzes: list[QuizSpec], folder: str, earning: set[str],
                  renewing: set[str]) -> list[ContentWarning]:
    """The warnings of valid quizzes (quizzes/<slug>.toml:line): `earning` and `renewing` are
    the slugs of the quizzes credentials are earned by and certifications are renewed with."""
    warnings = []
    for spec in quizzes:
        message = answer_key_warning(spec, earns_credential=spec.slug in earning,
                                     renews_certification=spec.slug in renewing)
        if message:
            warnings.append(ContentWarning(f"{folder}/{spec.slug}.toml", spec.line_of_review,
                                           message))
    return warnings


def load_quizzes(root: Path, course_slugs: set[str] | None = None) -> QuizSet:
    """Every quizzes/*.toml; `course_slugs` (original courses) checks `course = ...`."""
    result = QuizSet()
    if not root.is_dir():
        return result
    for path in sorted(root.glob("*.toml")):
        shown = f"{root.name}/{path.name}"
        spec, problems = load_quiz_file(path, shown)
        result.problems.extend(problems)
        if spec is None:
            continue
        if course_slugs is not None and spec.course and spec.course not in course_slugs:
            result.problems.append(ContentProblem(
                shown, spec.line_of_course, f"course '{spec.course}' does not exist"))
            continue
        result.quizzes.append(spec)
    tied: dict[str, str] = {}
    for spec in result.quizzes:
        if spec.course and spec.course in tied:
            result.problems.append(ContentProblem(
                f"{root.name}/{spec.slug}.toml", spec.line_of_course,
                f"course '{spec.course}' already has a quiz ({tied[spec.course]})"))
        elif spec.course:
            tied[spec.course] = spec.slug
    return result
