"""Scoring of quiz answers, exactly as DESIGN.md says (pure: plain values in and out).

- single, true_false, numeric, short: all or nothing;
- short answers compare after NFKC, case folding and whitespace collapsing;
- multiple: points x max(0, (right picked - wrong picked) / number right).

Points are `Fraction`s so that pass/fail never depends on float rounding.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from lms.text import strip_controls

# An answer as the form sends it: one text (single, true_false, numeric, short) or several
# option texts (multiple); None when unanswered.
Answer = str | Sequence[str] | None
MAX_EXPONENT = 400  # beyond any float a quiz file can hold


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
    """One kind of question: how to read a form answer and how to score it."""

    multiple_values = False

    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        value = raw[0].strip() if raw else ""
        return value or None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        raise NotImplementedError


class SingleChoice(QuestionType):
    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        value = raw[0] if raw else ""
        return value if value in question.options else None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        return question.points if answer is not None and answer == question.answer \
            else Fraction(0)


class MultipleChoice(QuestionType):
    multiple_values = True

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


class TrueFalse(QuestionType):
    @staticmethod
    def clean(question: Question, raw: Sequence[str]) -> Answer:
        value = (raw[0] if raw else "").strip().lower()
        return value if value in {"true", "false"} else None

    @staticmethod
    def score(question: Question, answer: Answer) -> Fraction:
        return question.points if answer is not None and answer == question.answer \
            else Fraction(0)


class Numeric(QuestionType):
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


class ShortAnswer(QuestionType):
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


QUESTION_TYPES: dict[str, type[QuestionType]] = {
    "single": SingleChoice,
    "multiple": MultipleChoice,
    "true_false": TrueFalse,
    "numeric": Numeric,
    "short": ShortAnswer,
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

