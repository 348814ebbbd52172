"""The pure rules of learning progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lms.courses.progress import (
    CourseFacts,
    LessonState,
    catalog_rank,
    course_complete,
    percent,
    pick_version,
    resume_lesson,
    unmet_prerequisites,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def test_course_complete_needs_every_lesson():
    assert course_complete(CourseFacts(lessons_total=5, lessons_done=5))
    assert not course_complete(CourseFacts(lessons_total=5, lessons_done=4))


def test_course_without_lessons_is_never_complete():
    assert not course_complete(CourseFacts(lessons_total=0, lessons_done=0))


def test_required_quiz_must_be_passed():
    assert not course_complete(CourseFacts(5, 5, requirement_passed=False))
    assert course_complete(CourseFacts(5, 5, requirement_passed=True))
    assert not course_complete(CourseFacts(5, 4, requirement_passed=True))


def test_percent_rounds_down_and_handles_zero():
    assert percent(0, 0) == 0
    assert percent(1, 3) == 33
    assert percent(2, 3) == 66
    assert percent(999, 1000) == 99
    assert percent(3, 3) == 100
    assert percent(4, 3) == 100


def test_unmet_prerequisites_keep_their_order():
    assert unmet_prerequisites(["a", "b", "c"], {"b"}) == ["a", "c"]
    assert unmet_prerequisites([], set()) == []


def _state(lesson_id, position, completed=False, viewed_minutes_ago=None):
    viewed = None if viewed_minutes_ago is None else T0 - timedelta(minutes=viewed_minutes_ago)
    return LessonState(lesson_id, position, completed, viewed)


def test_resume_at_the_first_lesson_when_nothing_was_viewed():
    assert resume_lesson([_state(11, 2), _state(10, 1)]) == 10


def test_resume_at_the_last_viewed_unfinished_lesson():
    states = [_state(1, 1, True, 30), _state(2, 2, False, 5), _state(3, 3, False, 20)]
    assert resume_lesson(states) == 2


def test_resume_after_the_last_viewed_lesson_when_it_is_finished():
    states = [_state(1, 1, True, 30), _state(2, 2, True, 5), _state(3, 3), _state(4, 4)]
    assert resume_lesson(states) == 3


def test_resume_wraps_to_an_earlier_unfinished_lesson():
    states = [_state(1, 1), _state(2, 2, True, 5)]
    assert resume_lesson(states) == 1


def test_nothing_to_resume_when_all_done():
    assert resume_lesson([_state(1, 1, True, 3), _state(2, 2, True, 1)]) is None
    assert resume_lesson([]) is None


def test_catalog_rank_puts_the_job_function_then_the_language_first():
    courses = [
        ("technical", "en", 1, "impl"),
        ("sales", "ja", 3, "sell-ja"),
        ("all", "en", 2, "essentials"),
        ("sales", "en", 4, "sell"),
    ]
    ranked = sorted(courses, key=lambda c: catalog_rank(c[0], c[1], c[2], "sales", "en"))
    assert [c[3] for c in ranked] == ["essentials", "sell", "sell-ja", "impl"]


def test_catalog_rank_for_vendor_staff_without_job_function():
    assert catalog_rank("all", "en", 1, None, "en")[0] == 0
    assert catalog_rank("sales", "en", 1, None, "en")[0] == 1


def test_pick_version_prefers_the_person_language():
    versions = [("essentials", "en"), ("essentials-ja", "ja")]
    assert pick_version(versions, "ja", "essentials") == "essentials-ja"
    assert pick_version(versions, "en", "essentials") == "essentials"
    assert pick_version(versions, "fr", "essentials") == "essentials"
