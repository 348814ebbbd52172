"""Item analysis of a quiz version (pure: no app, no database)."""

from __future__ import annotations

import math

import pytest

from lms.quizzes.stats import (
    EASY_ABOVE,
    HARD_BELOW,
    MIN_ATTEMPTS_FOR_FLAGS,
    WEAK_DISCRIMINATION_BELOW,
    AttemptOutcome,
    QuestionOutcome,
    QuestionStatistics,
    discrimination,
    flags_for,
    quiz_statistics,
)


def q(question_id: str, points: float, max_points: float = 1,
      chosen: tuple[str, ...] = ()) -> QuestionOutcome:
    return QuestionOutcome(question_id, points, max_points, chosen)


def attempt(*questions: QuestionOutcome, max_total: float | None = None,
            passed: bool | None = None) -> AttemptOutcome:
    """An attempt whose total is the sum of its questions (max_total likewise unless given)."""
    total = sum(o.points for o in questions)
    maximum = sum(o.max_points for o in questions) if max_total is None else max_total
    if passed is None:
        passed = maximum > 0 and total / maximum >= 0.6
    return AttemptOutcome(total=total, max_total=maximum, passed=passed, questions=questions)


def by_id(stats) -> dict[str, QuestionStatistics]:
    return {row.question_id: row for row in stats.questions}


# --- The hand-computed example ---------------------------------------------------------------
#
# 3 questions: q1 (1 point), q2 (2 points), q3 (1 point, single choice A/B/C, A is right).
#
#   attempt | q1 | q2 | q3      | total | percent | passed (>= 60%)
#   --------+----+----+---------+-------+---------+----------------
#      1    | 1  | 2  | 1 (A)   |   4   |  100    | yes
#      2    | 1  | 1  | 0 (B)   |   2   |   50    | no
#      3    | 0  | 2  | 1 (A)   |   3   |   75    | yes
#      4    | 0  | 0  | 0 (---) |   0   |    0    | no
#
# Quiz: mean percent = (100 + 50 + 75 + 0) / 4 = 225 / 4 = 56.25
#       median percent = sorted 0, 50, 75, 100 -> (50 + 75) / 2 = 62.5
#       pass rate = 100 * 2 / 4 = 50
#
# r = Σ dx·dy / sqrt(Σ dx² · Σ dy²), x = the question's points, y = rest = total - x.
#
# q1: x = 1, 1, 0, 0 -> facility = 100 * mean(1, 1, 0, 0) = 50
#     y = 4-1, 2-1, 3-0, 0-0 = 3, 1, 3, 0
#     mean x = 2/4 = 0.5; mean y = 7/4 = 1.75
#     dx = 0.5, 0.5, -0.5, -0.5; dy = 1.25, -0.75, 1.25, -1.75
#     dx·dy = 0.625, -0.375, -0.625, 0.875 -> Σ = 0.5
#     Σ dx² = 4 * 0.25 = 1; Σ dy² = 1.5625 + 0.5625 + 1.5625 + 3.0625 = 6.75
#     r = 0.5 / sqrt(1 * 6.75) = 0.5 / 2.598076 = 1 / sqrt(27) = 0.192450
#     discrimination = 19.2450 (below 20, but 4 attempts < 5: no flag)
#
# q2: x = 2, 1, 2, 0 of 2 -> facility = 100 * mean(1, 0.5, 1, 0) = 100 * 2.5 / 4 = 62.5
#     y = 4-2, 2-1, 3-2, 0-0 = 2, 1, 1, 0
#     mean x = 5/4 = 1.25; mean y = 4/4 = 1
#     dx = 0.75, -0.25, 0.75, -1.25; dy = 1, 0, 0, -1
#     dx·dy = 0.75, 0, 0, 1.25 -> Σ = 2
#     Σ dx² = 0.5625 + 0.0625 + 0.5625 + 1.5625 = 2.75; Σ dy² = 1 + 0 + 0 + 1 = 2
#     r = 2 / sqrt(2.75 * 2) = 2 / sqrt(5.5) = 2 / 2.345208 = 0.852803
#     discrimination = 85.2803
#
# q3: x = 1, 0, 1, 0 -> facility = 100 * 2 / 4 = 50
#     y = 4-1, 2-0, 3-1, 0-0 = 3, 2, 2, 0
#     mean x = 0.5; mean y = 7/4 = 1.75
#     dx = 0.5, -0.5, 0.5, -0.5; dy = 1.25, 0.25, 0.25, -1.75
#     dx·dy = 0.625, -0.125, 0.125, 0.875 -> Σ = 1.5
#     Σ dx² = 1; Σ dy² = 1.5625 + 0.0625 + 0.0625 + 3.0625 = 4.75
#     r = 1.5 / sqrt(4.75) = 1.5 / 2.179449 = 3 / sqrt(19) = 0.688247
#     discrimination = 68.8247
#     options: A chosen twice, B once, C never, one attempt unanswered
#     -> {"A": 2, "B": 1, "C": 0, "": 1}

HAND_ATTEMPTS = [
    attempt(q("q1", 1), q("q2", 2, 2), q("q3", 1, chosen=("A",))),
    attempt(q("q1", 1), q("q2", 1, 2), q("q3", 0, chosen=("B",))),
    attempt(q("q1", 0), q("q2", 2, 2), q("q3", 1, chosen=("A",))),
    attempt(q("q1", 0), q("q2", 0, 2), q("q3", 0)),
]


def test_hand_computed_quiz_figures():
    stats = quiz_statistics(HAND_ATTEMPTS, {"q3": ["A", "B", "C"]})

    assert stats.attempts == 4
    assert stats.mean_percent == pytest.approx(56.25)
    assert stats.median_percent == pytest.approx(62.5)
    assert stats.pass_rate == pytest.approx(50)
    assert [row.question_id for row in stats.questions] == ["q1", "q2", "q3"]


def test_hand_computed_question_figures():
    rows = by_id(quiz_statistics(HAND_ATTEMPTS, {"q3": ["A", "B", "C"]}))

    assert rows["q1"].attempts == 4
    assert rows["q1"].facility == pytest.approx(50)
    assert rows["q1"].discrimination == pytest.approx(19.2450, abs=1e-4)
    assert rows["q1"].discrimination == pytest.approx(100 / math.sqrt(27))
    assert rows["q1"].flags == ()  # weak, but only 4 attempts

    assert rows["q2"].facility == pytest.approx(62.5)
    assert rows["q2"].discrimination == pytest.approx(85.2803, abs=1e-4)
    assert rows["q2"].discrimination == pytest.approx(200 / math.sqrt(5.5))

    assert rows["q3"].facility == pytest.approx(50)
    assert rows["q3"].discrimination == pytest.approx(68.8247, abs=1e-4)
    assert rows["q3"].discrimination == pytest.approx(300 / math.sqrt(19))
    assert rows["q3"].option_counts == {"A": 2, "B": 1, "C": 0, "": 1}
    assert list(rows["q3"].option_counts) == ["A", "B", "C", ""]


def test_discrimination_function_matches_the_hand_computation():
    assert discrimination([1, 1, 0, 0], [3, 1, 3, 0]) == pytest.approx(100 / math.sqrt(27))


# --- Edge cases ------------------------------------------------------------------------------


def test_no_attempts():
    stats = quiz_statistics([])

    assert stats.attempts == 0
    assert stats.mean_percent is None
    assert stats.median_percent is None
    assert stats.pass_rate is None
    assert stats.questions == []


def test_no_attempts_lists_the_known_questions_with_no_figures():
    stats = quiz_statistics([], {"q1": ["A", "B"]})

    [row] = stats.questions
    assert row == QuestionStatistics("q1", 0, None, None, {"A": 0, "B": 0}, ())


def test_question_drawn_in_only_some_attempts():
    attempts = [
        attempt(q("q1", 1), q("q2", 1)),
        attempt(q("q1", 0), q("q3", 1)),
        attempt(q("q1", 1), q("q2", 0)),
        attempt(q("q1", 0), q("q3", 0)),
    ]
    rows = by_id(quiz_statistics(attempts))

    assert rows["q1"].attempts == 4
    assert rows["q2"].attempts == 2
    assert rows["q3"].attempts == 2
    assert rows["q2"].facility == pytest.approx(50)  # over the 2 attempts that drew it
    # q2 over attempts 1 and 3: x = 1, 0; rest = 1, 1 -> the rest has no variance.
    assert rows["q2"].discrimination is None
    # q3 over attempts 2 and 4: x = 1, 0; rest = 0, 0 -> no variance either.
    assert rows["q3"].discrimination is None
    assert [row.question_id for row in quiz_statistics(attempts).questions] == ["q1", "q2", "q3"]


def test_drawn_question_discrimination_uses_only_its_attempts():
    attempts = [
        attempt(q("a", 1), q("b", 1)),  # b: x=1, rest=1
        attempt(q("a", 0), q("b", 0)),  # b: x=0, rest=0
        attempt(q("a", 1), q("c", 0)),
        attempt(q("a", 0), q("c", 1)),
    ]
    rows = by_id(quiz_statistics(attempts))

    assert rows["b"].discrimination == pytest.approx(100)  # two points on a rising line


def test_order_follows_first_appearance_and_unseen_known_questions_come_last():
    attempts = [attempt(q("z", 1)), attempt(q("a", 1), q("z", 0), q("m", 1))]
    stats = quiz_statistics(attempts, {"m": [], "never": ["x"], "a": []})

    assert [row.question_id for row in stats.questions] == ["z", "a", "m", "never"]
    assert by_id(stats)["never"].attempts == 0
    assert by_id(stats)["never"].facility is None


def test_zero_variance_in_the_question_gives_no_discrimination():
    attempts = [
        attempt(q("q1", 1), q("q2", 1)),
        attempt(q("q1", 1), q("q2", 0)),
        attempt(q("q1", 1), q("q2", 1)),
    ]
    rows = by_id(quiz_statistics(attempts))

    assert rows["q1"].discrimination is None
    assert rows["q1"].facility == pytest.approx(100)


def test_zero_variance_despite_float_rounding():
    assert discrimination([0.1 + 0.2, 0.3, 0.3], [1, 2, 3]) is None
    assert discrimination([1, 0, 1], [0.1 + 0.2, 0.3, 0.3]) is None


def test_fewer_than_two_attempts_gives_no_discrimination():
    [row] = quiz_statistics([attempt(q("q1", 1))]).questions

    assert row.attempts == 1
    assert row.facility == pytest.approx(100)
    assert row.discrimination is None


def test_partial_points_count_towards_facility():
    attempts = [attempt(q("q1", 1.5, 3)), attempt(q("q1", 3, 3)), attempt(q("q1", 0, 3))]
    [row] = quiz_statistics(attempts).questions

    assert row.facility == pytest.approx(100 * (0.5 + 1 + 0) / 3)


def test_question_worth_no_points_has_no_facility():
    [row] = quiz_statistics([attempt(q("q1", 0, 0), max_total=0)]).questions

    assert row.facility is None


# --- Flags -----------------------------------------------------------------------------------


def _everyone_right(n: int) -> list[AttemptOutcome]:
    # q2 varies so that the quiz has some spread; q1 is right in every attempt.
    return [attempt(q("q1", 1), q("q2", i % 2)) for i in range(n)]


def test_question_everyone_gets_right_is_too_easy_with_enough_attempts():
    row = by_id(quiz_statistics(_everyone_right(5)))["q1"]

    assert row.facility == pytest.approx(100)
    assert row.discrimination is None  # everyone scored the same on it
    assert row.flags == ("too_easy",)


def test_no_flags_below_the_minimum_attempts():
    row = by_id(quiz_statistics(_everyone_right(4)))["q1"]

    assert row.facility == pytest.approx(100)
    assert row.flags == ()


def test_question_nobody_gets_right_is_too_hard():
    attempts = [attempt(q("q1", 0), q("q2", i % 2)) for i in range(5)]
    row = by_id(quiz_statistics(attempts))["q1"]

    assert row.facility == pytest.approx(0)
    assert row.flags == ("too_hard",)


def test_negative_discrimination_is_flagged_weak():
    # The strong candidates (3 of 3 elsewhere) miss q1; the weak ones (0-1 elsewhere) get it.
    attempts = [
        attempt(q("q1", 0), q("q2", 1), q("q3", 1), q("q4", 1)),
        attempt(q("q1", 0), q("q2", 1), q("q3", 1), q("q4", 1)),
        attempt(q("q1", 1), q("q2", 1), q("q3", 0), q("q4", 0)),
        attempt(q("q1", 1), q("q2", 0), q("q3", 0), q("q4", 0)),
        attempt(q("q1", 1), q("q2", 0), q("q3", 0), q("q4", 0)),
    ]
    row = by_id(quiz_statistics(attempts))["q1"]

    assert row.facility == pytest.approx(60)
    assert row.discrimination is not None
    assert row.discrimination < 0
    assert row.flags == ("weak_discrimination",)


def test_flags_for_thresholds():
    n = MIN_ATTEMPTS_FOR_FLAGS
    assert flags_for(EASY_ABOVE, 50, n) == ()
    assert flags_for(EASY_ABOVE + 0.01, 50, n) == ("too_easy",)
    assert flags_for(HARD_BELOW, 50, n) == ()
    assert flags_for(HARD_BELOW - 0.01, 50, n) == ("too_hard",)
    assert flags_for(50, WEAK_DISCRIMINATION_BELOW, n) == ()
    assert flags_for(50, WEAK_DISCRIMINATION_BELOW - 0.01, n) == ("weak_discrimination",)
    assert flags_for(95, -30, n) == ("too_easy", "weak_discrimination")
    assert flags_for(10, 5, n - 1) == ()


def test_flags_for_missing_figures():
    assert flags_for(None, None, 10) == ()
    assert flags_for(50, None, 10) == ()


# --- Options ---------------------------------------------------------------------------------


def test_option_counts_list_options_never_chosen_and_unanswered():
    attempts = [
        attempt(q("tf", 1, chosen=("true",))),
        attempt(q("tf", 0, chosen=())),
        attempt(q("tf", 1, chosen=("true",))),
    ]
    [row] = quiz_statistics(attempts, {"tf": ["true", "false"]}).questions

    assert row.option_counts == {"true": 2, "false": 0, "": 1}


def test_no_unanswered_key_when_everyone_answered():
    attempts = [attempt(q("tf", 1, chosen=("true",))), attempt(q("tf", 0, chosen=("false",)))]
    [row] = quiz_statistics(attempts, {"tf": ["true", "false"]}).questions

    assert row.option_counts == {"true": 1, "false": 1}
    assert "" not in row.option_counts


def test_multiple_choice_counts_each_chosen_option_once():
    attempts = [
        attempt(q("m", 1, chosen=("A", "C"))),
        attempt(q("m", 0.5, chosen=("A",))),
        attempt(q("m", 0, chosen=("B", "C", "D", "B"))),  # a repeated option counts once
    ]
    [row] = quiz_statistics(attempts, {"m": ["A", "B", "C", "D", "E"]}).questions

    assert row.option_counts == {"A": 2, "B": 1, "C": 2, "D": 1, "E": 0}


def test_typed_answers_are_counted_as_typed():
    attempts = [
        attempt(q("n", 1, chosen=("42",))),
        attempt(q("n", 0, chosen=("41",))),
        attempt(q("n", 1, chosen=("42",))),
        attempt(q("n", 0)),
    ]
    [row] = quiz_statistics(attempts).questions

    assert row.option_counts == {"42": 2, "41": 1, "": 1}
    assert list(row.option_counts)[-1] == ""


def test_answers_outside_the_known_options_still_count():
    attempts = [attempt(q("s", 0, chosen=("Old text",)))]
    [row] = quiz_statistics(attempts, {"s": ["New text"]}).questions

    assert row.option_counts == {"New text": 0, "Old text": 1}


# --- Quiz figures ----------------------------------------------------------------------------


def test_pass_rate_and_median_with_odd_count_and_different_maxima():
    attempts = [
        AttemptOutcome(total=9, max_total=10, passed=True, questions=()),  # 90 %
        AttemptOutcome(total=3, max_total=12, passed=False, questions=()),  # 25 %
        AttemptOutcome(total=6, max_total=8, passed=True, questions=()),  # 75 %
    ]
    stats = quiz_statistics(attempts)

    assert stats.pass_rate == pytest.approx(100 * 2 / 3)
    assert stats.median_percent == pytest.approx(75)
    assert stats.mean_percent == pytest.approx((90 + 25 + 75) / 3)


def test_pass_rate_nobody_passed():
    attempts = [AttemptOutcome(total=0, max_total=5, passed=False, questions=())] * 3

    assert quiz_statistics(attempts).pass_rate == 0


def test_attempt_without_max_points_is_left_out_of_the_percentages():
    attempts = [
        AttemptOutcome(total=0, max_total=0, passed=False, questions=()),
        AttemptOutcome(total=4, max_total=5, passed=True, questions=()),
    ]
    stats = quiz_statistics(attempts)

    assert stats.attempts == 2
    assert stats.mean_percent == pytest.approx(80)
    assert stats.median_percent == pytest.approx(80)
    assert stats.pass_rate == pytest.approx(50)


def test_only_attempts_without_max_points():
    stats = quiz_statistics([AttemptOutcome(total=0, max_total=0, passed=False, questions=())])

    assert stats.mean_percent is None
    assert stats.median_percent is None
    assert stats.pass_rate == 0
