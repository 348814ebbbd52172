"""Question types and the scoring of answers, exactly as DESIGN.md says (pure: plain values
in and out, no Flask, no database).

- single, true_false, numeric, short: all or nothing;
- short answers compare after NFKC, case folding and whitespace collapsing;
- multiple: points x max(0, (right picked - wrong picked) / number right).

Points are `Fraction`s so that pass/fail never depends on float rounding. Every question type
is one class of `QUESTION_TYPES`: what the loader reads and checks, how an answer is cleaned
and scored, which partials the attempt and result pages include (see docs/question-types.md).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, ClassVar

from lms.text import strip_controls
from lms.tomltypes import Expected, is_boolean, is_number, is_text, is_text_list, needed

# An answer as the form sends it: one text (single, true_false, numeric, short) or several
# option texts (multiple); None when unanswered.
Answer = str | Sequence[str] | None
# How a question type's check reports a problem to the loader: (key, message).
Report = Callable[[str, str], None]
Pick = Callable[[Sequence[str]], str]
MAX_EXPONENT = 400  # beyond any float a quiz file can hold
OPTIONS = needed(is_text_list, "options must list at least two texts")


def normalize_text(value: str) -> str:
    """NFKC, case folding, whitespace collapsed: full-width and half-width agree."""
    # NFKC again after case folding: folding can produce text NFKC would still change.
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def parse_number(value: str) -> Decimal | None:
    """A typed number: full-width digits, thousands separators and spaces accepted."""
    text = unicodedata.normalize("NFKC", value).strip().replace(",", "").replace(" ", "")
    if not text or len(text) > 40:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # Bounded exponents keep exact comparison cheap (1e-999999999 is no one's answer).
    if not number.is_finite() or abs(number.adjusted()) > MAX_EXPONENT:
        return None
    return number


def is_finite(value: float) -> bool:
    """Not NaN or infinite (a whole number of any size is finite)."""
    return isinstance(value, int) or math.isfinite(value)


def _texts(values: list[str], least: int) -> bool:
    return len(values) >= least and all(value.strip() for value in values)


def _options(values: Mapping[str, Any], report: Report) -> tuple[str, ...]:
    """The options of a choice question: at least two texts, all different."""
    options = values.get("options")
    if options is None:
        return ()
    if not _texts(options, 2):
        report("options", OPTIONS.wrong)
        return ()
    if len(set(options)) != len(options):
        report("options", "options must be different from each other")
        return ()
    return tuple(options)


@dataclass(frozen=True)
class Question:
    """A question as an attempt's snapshot keeps it (the key included, server side only)."""

    id: str
    type: str
    points: Fraction
    options: tuple[str, ...] = ()
    answer: str | None = None          # single: option text; true_false: "true"/"false";
    #                                    numeric: the number as text
    answers: tuple[str, ...] = ()      # multiple: correct options; short: accepted texts
    tolerance: Decimal = Decimal(0)


class QuestionType:
    """One kind of question: its keys in a quiz file and their checks, how a form answer is
    read and scored, and the partials that show it (a new kind is one subclass, registered
    in QUESTION_TYPES)."""

    name: ClassVar[str]
    # The keys it reads besides the common ones, each with its TOML type check.
    keys: ClassVar[Mapping[str, Expected]] = {}
    has_options: ClassVar[bool] = False      # shows `options`, shuffled with the questions
    input_template: ClassVar[str]            # its inputs on the attempt page
    review_template: ClassVar[str]           # the answer given and the right one, at review

    @classmethod
    def check(cls, values: Mapping[str, Any], report: Report) -> dict[str, Any]:
        """The checks across its keys (`values`: those of the right TOML type); the
        QuestionSpec fields they give. Each problem goes to `report(key, message)`."""
        raise NotImplementedError

    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        """The form's raw values as a storable answer (None: unanswered)."""
        value = raw[0].strip() if raw else ""
        return value or None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        raise NotImplementedError

    @staticmethod
    def sample_answer(question: Question) -> list[str]:
        """A right answer as the attempt form posts it (its raw values)."""
        raise NotImplementedError

    @staticmethod
    def wrong_answer(question: Question, pick: Pick) -> list[str]:
        """A plausible wrong answer as the form posts it (demo data); `pick` chooses one of
        several (random.choice)."""
        raise NotImplementedError

    @staticmethod
    def right_option(question: Question, option: str) -> bool:
        """Whether `option` is (one of) the right answer(s), for the review."""
        return option == question.answer

    @staticmethod
    def choices(question: Question) -> tuple[str, ...]:
        """The answers item analysis counts even when nobody chose them."""
        return question.options


class SingleChoice(QuestionType):
    name = "single"
    keys = {"options": OPTIONS,
            "answer": needed(is_text, "answer must be the text of one option")}
    has_options = True
    input_template = "quizzes/inputs/single.html"
    review_template = "quizzes/review/choices.html"

    @classmethod
    def check(cls, values: Mapping[str, Any], report: Report) -> dict[str, Any]:
        options = _options(values, report)
        answer = values.get("answer")
        if answer is not None and options and answer not in options:
            report("answer", f"answer '{answer}' is not among the options")
        return {"options": options, "answer": answer}

    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        value = raw[0] if raw else ""
        return value if value in question.options else None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        return question.points if answer is not None and answer == question.answer \
            else Fraction(0)

    @staticmethod
    def sample_answer(question: Question) -> list[str]:
        return [question.answer] if question.answer is not None else []

    @staticmethod
    def wrong_answer(question: Question, pick: Pick) -> list[str]:
        return [pick([option for option in question.options if option != question.answer])]


class MultipleChoice(QuestionType):
    name = "multiple"
    keys = {"options": OPTIONS,
            "answers": needed(is_text_list, "answers must list the correct options")}
    has_options = True
    input_template = "quizzes/inputs/multiple.html"
    review_template = "quizzes/review/choices.html"

    @classmethod
    def check(cls, values: Mapping[str, Any], report: Report) -> dict[str, Any]:
        options = _options(values, report)
        answers = values.get("answers")
        if answers is not None and not _texts(answers, 1):
            report("answers", cls.keys["answers"].wrong)
        for answer in answers or ():
            if options and answer not in options:
                report("answers", f"answer '{answer}' is not among the options")
        return {"options": options, "answers": tuple(answers or ())}

    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        picked = [value for value in question.options if value in set(raw)]
        return tuple(picked) or None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        if not answer or not question.answers:
            return Fraction(0)
        picked = set(answer) & set(question.options)
        right = len(picked & set(question.answers))
        wrong = len(picked - set(question.answers))
        share = Fraction(right - wrong, len(set(question.answers)))
        return question.points * max(Fraction(0), share)

    @staticmethod
    def sample_answer(question: Question) -> list[str]:
        return list(question.answers)

    @staticmethod
    def wrong_answer(question: Question, pick: Pick) -> list[str]:
        wrong = [option for option in question.options if option not in question.answers]
        # Every option right: leaving one out is the wrong answer.
        return [question.answers[0], pick(wrong)] if wrong else list(question.answers[:-1])

    @staticmethod
    def right_option(question: Question, option: str) -> bool:
        return option in question.answers


class TrueFalse(QuestionType):
    name = "true_false"
    keys = {"answer": needed(is_boolean, "answer must be true or false")}
    input_template = "quizzes/inputs/true_false.html"
    review_template = "quizzes/review/true_false.html"

    @classmethod
    def check(cls, values: Mapping[str, Any], report: Report) -> dict[str, Any]:
        answer = values.get("answer")
        return {"answer": None if answer is None else "true" if answer else "false"}

    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        value = (raw[0] if raw else "").strip().lower()
        return value if value in {"true", "false"} else None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        return question.points if answer is not None and answer == question.answer \
            else Fraction(0)

    @staticmethod
    def sample_answer(question: Question) -> list[str]:
        return [question.answer] if question.answer is not None else []

    @staticmethod
    def wrong_answer(question: Question, pick: Pick) -> list[str]:
        return ["false" if question.answer == "true" else "true"]

    @staticmethod
    def choices(question: Question) -> tuple[str, ...]:
        return ("true", "false")


class Numeric(QuestionType):
    name = "numeric"
    keys = {"answer": needed(is_number, "answer must be a number"),
            "tolerance": Expected(is_number, "tolerance must be a number, 0 or more")}
    input_template = "quizzes/inputs/numeric.html"
    review_template = "quizzes/review/numeric.html"

    @classmethod
    def check(cls, values: Mapping[str, Any], report: Report) -> dict[str, Any]:
        answer = values.get("answer")
        if answer is not None and not is_finite(answer):
            report("answer", cls.keys["answer"].wrong)
        tolerance = values.get("tolerance", 0)
        if not is_finite(tolerance) or tolerance < 0:
            report("tolerance", cls.keys["tolerance"].wrong)
        return {"answer": None if answer is None else str(answer), "tolerance": str(tolerance)}

    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        value = strip_controls(raw[0] if raw else "").strip()[:40]
        return value or None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        if not isinstance(answer, str) or question.answer is None:
            return Fraction(0)
        given, expected = parse_number(answer), parse_number(question.answer)
        if given is None or expected is None:
            return Fraction(0)
        # Exact arithmetic: no rounding or underflow decides a right or wrong answer.
        difference = abs(Fraction(given) - Fraction(expected))
        return question.points if difference <= Fraction(question.tolerance) else Fraction(0)

    @staticmethod
    def sample_answer(question: Question) -> list[str]:
        return [question.answer] if question.answer is not None else []

    @staticmethod
    def wrong_answer(question: Question, pick: Pick) -> list[str]:
        right = Decimal(question.answer or 0)
        return [str(right + abs(right) + question.tolerance * 2 + 1)]  # beyond the tolerance


class ShortAnswer(QuestionType):
    name = "short"
    keys = {"answers": needed(is_text_list, "answers must list the accepted texts")}
    input_template = "quizzes/inputs/short.html"
    review_template = "quizzes/review/short.html"

    @classmethod
    def check(cls, values: Mapping[str, Any], report: Report) -> dict[str, Any]:
        answers = values.get("answers")
        if answers is not None and not _texts(answers, 1):
            report("answers", cls.keys["answers"].wrong)
        return {"answers": tuple(answers or ())}

    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        value = strip_controls(raw[0] if raw else "").strip()[:500]
        return value or None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        if not isinstance(answer, str):
            return Fraction(0)
        accepted = {normalize_text(text) for text in question.answers}
        return question.points if normalize_text(answer) in accepted else Fraction(0)

    @staticmethod
    def sample_answer(question: Question) -> list[str]:
        return list(question.answers[:1])

    @staticmethod
    def wrong_answer(question: Question, pick: Pick) -> list[str]:
        return ["not sure"]


QUESTION_TYPES: dict[str, type[QuestionType]] = {
    kind.name: kind for kind in (SingleChoice, MultipleChoice, TrueFalse, Numeric, ShortAnswer)
}


@dataclass(frozen=True)
class QuestionResult:
    question_id: str
    points: Fraction
    max_points: Fraction

    @property
    def correct(self) -> bool:
        return self.points == self.max_points


@dataclass(frozen=True)
class Grade:
    points: Fraction
    max_points: Fraction
    passed: bool
    results: tuple[QuestionResult, ...]

    @property
    def percent(self) -> int:
        """Whole percent, rounded down, so the shown figure never overstates the score."""
        if self.max_points == 0:
            return 0
        return int(self.points * 100 // self.max_points)


def clean_answer(question: Question, raw: Sequence[str]) -> Answer:
    """The form's raw values for one question as a storable answer (None: unanswered)."""
    return QUESTION_TYPES[question.type].clean(question, raw)


def score_question(question: Question, answer: Answer) -> Fraction:
    return QUESTION_TYPES[question.type].score(question, answer)


def grade(questions: Sequence[Question], answers: Mapping[str, Answer],
          pass_percent: int) -> Grade:
    """Score every question; passed when points / max >= pass_percent / 100 (exactly)."""
    results = tuple(
        QuestionResult(q.id, score_question(q, answers.get(q.id)), q.points) for q in questions
    )
    points = sum((r.points for r in results), Fraction(0))
    max_points = sum((q.points for q in questions), Fraction(0))
    passed = max_points > 0 and points * 100 >= max_points * pass_percent
    return Grade(points, max_points, passed, results)

