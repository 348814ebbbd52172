"""Pure item analysis of a quiz version, as Moodle's quiz statistics: facility, discrimination.

No Flask, no database: the caller gathers the attempts' outcomes, this module does the figures.
Nothing is rounded here; the page formats.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

EASY_ABOVE = 90
HARD_BELOW = 20
WEAK_DISCRIMINATION_BELOW = 20
MIN_ATTEMPTS_FOR_FLAGS = 5

UNANSWERED = ""  # the option_counts key for attempts that left the question unanswered

# Values closer together than this (relative to their size) count as one value: variance 0.
_SPREAD_TOLERANCE = 1e-9


@dataclass(frozen=True)
class QuestionOutcome:
    """One question as drawn and answered in one attempt."""

    question_id: str
    points: float  # points scored on this question in this attempt
    max_points: float  # the question's points
    # Options chosen (option texts, or "true"/"false"); for numeric/short the answer as typed
    # (one element); () when unanswered.
    chosen: tuple[str, ...] = ()


@dataclass(frozen=True)
class AttemptOutcome:
    """One finished attempt: its score and the questions drawn for it."""

    total: float  # points of the attempt
    max_total: float  # max points of the attempt (draws differ per attempt)
    passed: bool
    questions: tuple[QuestionOutcome, ...] = ()


@dataclass(frozen=True)
class QuestionStatistics:
    """The item analysis of one question."""

    question_id: str
    attempts: int  # attempts in which the question appeared
    facility: float | None  # 100 * mean(points / max_points); None without data
    discrimination: float | None  # 100 * Pearson r of points vs the rest of the test
    option_counts: dict[str, int] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuizStatistics:
    """The figures of a whole quiz version."""

    attempts: int
    mean_percent: float | None
    median_percent: float | None
    pass_rate: float | None
    questions: list[QuestionStatistics] = field(default_factory=list)


def flags_for(facility: float | None, discrimination: float | None,
              attempts: int) -> tuple[str, ...]:
    """The warnings for a question's figures; none below MIN_ATTEMPTS_FOR_FLAGS attempts."""
    if attempts < MIN_ATTEMPTS_FOR_FLAGS:
        return ()
    flags: list[str] = []
    if facility is not None and facility > EASY_ABOVE:
        flags.append("too_easy")
    if facility is not None and facility < HARD_BELOW:
        flags.append("too_hard")
    if discrimination is not None and discrimination < WEAK_DISCRIMINATION_BELOW:
        flags.append("weak_discrimination")
    return tuple(flags)


def facility(outcomes: Sequence[QuestionOutcome]) -> float | None:
    """100 * mean share of the points scored; questions worth 0 points are left out."""
    shares = [o.points / o.max_points for o in outcomes if o.max_points > 0]
    if not shares:
        return None
    return 100 * statistics.fmean(shares)


def discrimination(points: Sequence[float], rest: Sequence[float]) -> float | None:
    """100 * Pearson correlation of a question's points with the rest of the test."""
    if len(points) != len(rest) or len(points) < 2:
        return None
    if _spread_is_zero(points) or _spread_is_zero(rest):
        return None
    mean_x = statistics.fmean(points)
    mean_y = statistics.fmean(rest)
    dx = [x - mean_x for x in points]
    dy = [y - mean_y for y in rest]
    sxy = math.fsum(a * b for a, b in zip(dx, dy, strict=True))
    sxx = math.fsum(a * a for a in dx)
    syy = math.fsum(b * b for b in dy)
    denominator = math.sqrt(sxx * syy)
    if denominator == 0:
        return None
    r = max(-1.0, min(1.0, sxy / denominator))
    return 100 * r


def option_counts(outcomes: Sequence[QuestionOutcome],
                  options: Sequence[str] = ()) -> dict[str, int]:
    """How often each option or typed answer was chosen, "" for unanswered; known options first."""
    counts: dict[str, int] = dict.fromkeys(options, 0)
    unanswered = 0
    for outcome in outcomes:
        if not outcome.chosen:
            unanswered += 1
            continue
        for choice in dict.fromkeys(outcome.chosen):  # each option once per attempt
            counts[choice] = counts.get(choice, 0) + 1
    if unanswered:
        counts.pop(UNANSWERED, None)
        counts[UNANSWERED] = unanswered + counts.get(UNANSWERED, 0)
    return counts


def question_statistics(question_id: str, attempts: Sequence[AttemptOutcome],
                        options: Sequence[str] = ()) -> QuestionStatistics:
    """The item analysis of one question over the attempts that drew it."""
    outcomes: list[QuestionOutcome] = []
    rest: list[float] = []
    for attempt in attempts:
        for outcome in attempt.questions:
            if outcome.question_id == question_id:
                outcomes.append(outcome)
                rest.append(attempt.total - outcome.points)
    fac = facility(outcomes)
    disc = discrimination([o.points for o in outcomes], rest)
    return QuestionStatistics(
        question_id=question_id,
        attempts=len(outcomes),
        facility=fac,
        discrimination=disc,
        option_counts=option_counts(outcomes, options),
        flags=flags_for(fac, disc, len(outcomes)),
    )


def quiz_statistics(attempts: Sequence[AttemptOutcome],
                    options: Mapping[str, Sequence[str]] | None = None) -> QuizStatistics:
    """Item analysis of a quiz version: overall figures and one row per question."""
    options = options or {}
    percents = [100 * a.total / a.max_total for a in attempts if a.max_total > 0]
    count = len(attempts)

    question_ids: list[str] = []
    seen: set[str] = set()
    for attempt in attempts:
        for outcome in attempt.questions:
            if outcome.question_id not in seen:
                seen.add(outcome.question_id)
                question_ids.append(outcome.question_id)
    # Questions of the version nobody drew yet still get a row (0 attempts), after the others.
    question_ids.extend(qid for qid in options if qid not in seen)

    return QuizStatistics(
        attempts=count,
        mean_percent=statistics.fmean(percents) if percents else None,
        median_percent=statistics.median(percents) if percents else None,
        pass_rate=100 * sum(1 for a in attempts if a.passed) / count if count else None,
        questions=[
            question_statistics(qid, attempts, options.get(qid, ())) for qid in question_ids
        ],
    )


def _spread_is_zero(values: Sequence[float]) -> bool:
    """Whether all values are equal, allowing for float rounding (e.g. 0.1 + 0.2 vs 0.3)."""
    low, high = min(values), max(values)
    scale = max(1.0, abs(low), abs(high))
    return high - low <= _SPREAD_TOLERANCE * scale
