"""Read and validate quizzes/*.toml (no Flask, no database); problems as file:line."""

from __future__ import annotations

import hashlib
import math
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from lms.courses.loader import ContentProblem, key_line, toml_error_line
from lms.quizzes.scoring import QUESTION_TYPES

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
QUESTION_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
QUIZ_KEYS = {"title", "kind", "course", "pass_percent", "max_attempts", "cooldown_minutes",
             "time_limit_minutes", "draw", "shuffle", "review", "questions"}
QUESTION_KEYS = {"id", "type", "prompt", "options", "answer", "answers", "tolerance", "points",
                 "explanation"}
KEYS_BY_TYPE = {
    "single": {"options", "answer"},
    "multiple": {"options", "answers"},
    "true_false": {"answer"},
    "numeric": {"answer", "tolerance"},
    "short": {"answers"},
}
KINDS = ("practice", "quiz", "exam")
REVIEWS = ("after_submit", "after_pass", "score_only", "never")


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


def _whole(value, low: int, high: int | None = None) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low and (
        high is None or value <= high)


def _check_settings(f: _File, data: dict) -> None:
    for key in data:
        if key not in QUIZ_KEYS:
            f.add(key_line(f.text, key), f"unknown key '{key}' (allowed: "
                                          f"{', '.join(sorted(QUIZ_KEYS))})")
    if not isinstance(data.get("title"), str) or not data.get("title", "").strip():
        f.add(key_line(f.text, "title") if "title" in data else 1, "missing 'title'")
    if data.get("kind", "quiz") not in KINDS:
        f.add(key_line(f.text, "kind"), f"unknown kind '{data.get('kind')}' (one of "
                                         f"{', '.join(KINDS)})")
    if data.get("review", "after_submit") not in REVIEWS:
        f.add(key_line(f.text, "review"), f"unknown review policy '{data.get('review')}' "
                                           f"(one of {', '.join(REVIEWS)})")
    if not _whole(data.get("pass_percent", 80), 0, 100):
        f.add(key_line(f.text, "pass_percent"), "pass_percent must be a whole number 0-100")
    for key in ("max_attempts", "cooldown_minutes", "time_limit_minutes", "draw"):
        if not _whole(data.get(key, 0), 0, 100_000):
            f.add(key_line(f.text, key), f"{key} must be a whole number, 0 or more")
    if not isinstance(data.get("shuffle", True), bool):
        f.add(key_line(f.text, "shuffle"), "shuffle must be true or false")
    if "course" in data and not (isinstance(data["course"], str) and data["course"]):
        f.add(key_line(f.text, "course"), "course must be a course slug")


def _finite_number(value) -> bool:
    """An int or float that is not a bool, NaN or infinite."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _text_list(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)


def _check_question(f: _File, entry: dict, chunk: str, offset: int, seen: set[str]
                    ) -> QuestionSpec | None:
    before = len(f.problems)

    def line(key: str) -> int:
        return key_line(chunk, key, offset) if key in entry else offset + 1

    for key in entry:
        if key not in QUESTION_KEYS:
            f.add(line(key), f"unknown key '{key}' in a question")
    qid = entry.get("id")
    if not isinstance(qid, str) or not QUESTION_ID_RE.match(qid):
        f.add(line("id"), "each question needs an 'id' (letters, digits, . _ -)")
    elif qid in seen:
        f.add(line("id"), f"duplicate question id '{qid}'")
    else:
        seen.add(qid)
    qtype = entry.get("type")
    if not isinstance(qtype, str) or qtype not in QUESTION_TYPES:
        f.add(line("type"), f"unknown type '{qtype}' (one of {', '.join(QUESTION_TYPES)})")
        return None
    if not isinstance(entry.get("prompt"), str) or not entry["prompt"].strip():
        f.add(line("prompt"), "missing 'prompt'")
    points = entry.get("points")
    if points is None:
        f.add(offset + 1, f"missing points in question '{qid}'")
    elif not _finite_number(points) or points <= 0:
        f.add(line("points"), "points must be a number above 0")
    for key in ("options", "answer", "answers", "tolerance"):
        if key in entry and key not in KEYS_BY_TYPE[qtype]:
            f.add(line(key), f"'{key}' is not used by {qtype} questions")

    options: tuple[str, ...] = ()
    answer: str | None = None
    answers: tuple[str, ...] = ()
    tolerance = "0"
    if qtype in {"single", "multiple"}:
        raw = entry.get("options")
        if not _text_list(raw) or len(raw) < 2:
            f.add(line("options"), "options must list at least two texts")
        elif len(set(raw)) != len(raw):
            f.add(line("options"), "options must be different from each other")
        else:
            options = tuple(raw)
    if qtype == "single":
        answer = entry.get("answer")
        if not isinstance(answer, str):
            f.add(line("answer"), "answer must be the text of one option")
        elif options and answer not in options:
            f.add(line("answer"), f"answer '{answer}' is not among the options")
    elif qtype == "multiple":
        raw = entry.get("answers")
        if not _text_list(raw) or not raw:
            f.add(line("answers"), "answers must list the correct options")
        else:
            for value in raw:
                if options and value not in options:
                    f.add(line("answers"), f"answer '{value}' is not among the options")
            answers = tuple(raw)
    elif qtype == "true_false":
        value = entry.get("answer")
        if not isinstance(value, bool):
            f.add(line("answer"), "answer must be true or false")
        else:
            answer = "true" if value else "false"
    elif qtype == "numeric":
        value = entry.get("answer")
        if not _finite_number(value):
            f.add(line("answer"), "answer must be a number")
        else:
            answer = str(value)
        tol = entry.get("tolerance", 0)
        if not _finite_number(tol) or tol < 0:
            f.add(line("tolerance"), "tolerance must be a number, 0 or more")
        else:
            tolerance = str(tol)
    elif qtype == "short":
        raw = entry.get("answers")
        if not _text_list(raw) or not raw:
            f.add(line("answers"), "answers must list the accepted texts")
        else:
            answers = tuple(raw)
    explanation = entry.get("explanation", "")
    if not isinstance(explanation, str):
        f.add(line("explanation"), "explanation must be text")
    if len(f.problems) > before:
        return None
    return QuestionSpec(id=qid, type=qtype, prompt=entry["prompt"],
                        points=Fraction(str(points)), options=options, answer=answer,
                        answers=answers, tolerance=tolerance, explanation=explanation)


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
    _check_settings(f, data)
    entries = data.get("questions", [])
    if not isinstance(entries, list) or not entries:
        f.add(1, "a quiz needs at least one [[questions]] entry")
        entries = []
    starts = [m.start() for m in re.finditer(r"^[ \t]*\[\[[ \t]*questions[ \t]*\]\]", text,
                                             re.MULTILINE)]
    questions = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        offset = text.count("\n", 0, starts[index]) if index < len(starts) else 0
        chunk = text[starts[index]:starts[index + 1]] if index + 1 < len(starts) else \
            text[starts[index]:] if index < len(starts) else text
        if not isinstance(entry, dict):
            f.add(offset + 1, "each [[questions]] entry is a table")
            continue
        question = _check_question(f, entry, chunk, offset, seen)
        if question is not None:
            questions.append(question)
    draw = data.get("draw", 0)
    if _whole(draw, 0) and entries and draw > len(entries):
        f.add(key_line(text, "draw"), f"draw {draw} is larger than the pool of "
                                       f"{len(entries)} questions")
    if f.problems:
        return None, f.problems
    spec = QuizSpec(
        slug=path.stem, title=data["title"].strip(), kind=data.get("kind", "quiz"),
        course=data.get("course"), pass_percent=data.get("pass_percent", 80),
        max_attempts=data.get("max_attempts", 0),
        cooldown_minutes=data.get("cooldown_minutes", 0),
        time_limit_minutes=data.get("time_limit_minutes", 0), draw=draw,
        shuffle=data.get("shuffle", True), review=data.get("review", "after_submit"),
        questions=tuple(questions), content_hash=hashlib.sha256(raw).hexdigest(),
        line_of_course=key_line(text, "course"),
    )
    return spec, []


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
