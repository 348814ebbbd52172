"""What a result page may show, by review policy (pure)."""

from __future__ import annotations

import enum


class ReviewLevel(enum.StrEnum):
    FULL = "full"      # each question, the answer given, the right answer, the explanation
    MARKS = "marks"    # how many questions were right, nothing of the questions
    SCORE = "score"    # points, percentage, pass or fail


def review_level(policy: str, passed_quiz: bool) -> ReviewLevel:
    """The review a submitted attempt allows under `policy` ("after_submit", "after_pass",
    "score_only", "never"); `passed_quiz`: the person has passed this quiz at least once."""
    if policy == "after_submit":
        return ReviewLevel.FULL
    if policy == "after_pass":
        return ReviewLevel.FULL if passed_quiz else ReviewLevel.MARKS
    if policy == "score_only":
        return ReviewLevel.MARKS
    return ReviewLevel.SCORE
