"""Pure rules of learning progress: completion, locks, resuming, catalog order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class CourseFacts:
    """What is known of one person in one course version."""

    lessons_total: int
    lessons_done: int
    # None: no extra requirement; True/False: a required quiz (or other hook) is passed or not.
    requirement_passed: bool | None = None


def course_complete(facts: CourseFacts) -> bool:
    """All lessons complete and, where a quiz is tied to the course, that quiz passed."""
    lessons_ok = facts.lessons_total > 0 and facts.lessons_done >= facts.lessons_total
    return lessons_ok and facts.requirement_passed is not False


def percent(done: int, total: int) -> int:
    """Whole percent, rounded down so 99.9% never shows as 100%."""
    if total <= 0:
        return 0
    return min(100, done * 100 // total)


def unmet_prerequisites(prerequisites: Iterable[str], completed_groups: set[str]) -> list[str]:
    """The prerequisite course groups not completed yet, in their given order."""
    return [slug for slug in prerequisites if slug not in completed_groups]


@dataclass(frozen=True)
class LessonState:
    lesson_id: int
    position: int
    completed: bool
    last_viewed_at: datetime | None


def resume_lesson(lessons: Sequence[LessonState]) -> int | None:
    """Where to continue: the last lesson viewed if not finished, else the first unfinished.

    None when every lesson is complete (or there are none).
    """
    ordered = sorted(lessons, key=lambda s: s.position)
    viewed = [(s.last_viewed_at, s) for s in ordered if s.last_viewed_at is not None]
    if viewed:
        _viewed_at, last = max(viewed, key=lambda pair: pair[0])
        if not last.completed:
            return last.lesson_id
        after = [s for s in ordered if s.position > last.position and not s.completed]
        if after:
            return after[0].lesson_id
    unfinished = [s for s in ordered if not s.completed]
    return unfinished[0].lesson_id if unfinished else None


def catalog_rank(audience: str, locale: str, position: int, job_function: str | None,
                 person_locale: str) -> tuple:
    """Sort key: courses for the person's job function first, then their language, then order."""
    for_job = audience == "all" or (job_function is not None and audience == job_function)
    return (0 if for_job else 1, 0 if locale == person_locale else 1, position)


def pick_version(versions: Sequence[tuple[str, str]], person_locale: str, original: str) -> str:
    """Of a course group's (slug, locale) versions, the one in the person's language."""
    for slug, locale in versions:
        if locale == person_locale:
            return slug
    return original


# Onboarding is stalled when a person whose path is unfinished has not started within a week
# of joining, or has not learned anything for two weeks (the partner admin's home says who).
NOT_STARTED_AFTER = timedelta(days=7)
IDLE_FOR = timedelta(days=14)


def onboarding_stalled(path_done: bool, last_activity: datetime | None, joined: datetime,
                       now: datetime) -> bool:
    """Whether a person with an onboarding path is stuck on it at `now`."""
    if path_done:
        return False
    if last_activity is None:
        return now - joined >= NOT_STARTED_AFTER
    return now - last_activity >= IDLE_FOR
