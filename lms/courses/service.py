"""Catalog, course and lesson pages, progress. Services flush; views commit.

Every page runs a fixed number of queries whatever the number of courses and lessons: the
figures of all courses are fetched by grouped queries, never course by course.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from lms.courses import progress as rules
from lms.database import write_best_effort
from lms.events import learning_progressed
from lms.extensions import db
from lms.markup import normalize_for_search
from lms.models import (
    Course,
    LearningPath,
    LearningPathStep,
    Lesson,
    LessonProgress,
    Organization,
    Quiz,
    Role,
    User,
    utcnow,
)

# A lesson view is written at most this often per person and lesson ("continue where you
# left off" needs minutes, not every hit).
LESSON_VIEW_RESOLUTION = timedelta(minutes=5)

# Extra completion requirements of a course (the quiz feature registers one): called with
# user ids and course ids, returns {(user_id, course_id): passed} for the courses it governs.
CompletionHook = Callable[[list[int], list[int]], dict[tuple[int, int], bool]]
completion_hooks: list[CompletionHook] = []


def register_completion_hook(hook: CompletionHook) -> CompletionHook:
    completion_hooks.append(hook)
    return hook


@dataclass
class CourseCard:
    course: Course
    lessons_total: int = 0
    minutes: int = 0
    lessons_done: int = 0
    complete: bool = False
    requirement_passed: bool | None = None
    locked_by: list[Course] = field(default_factory=list)
    other_versions: list[Course] = field(default_factory=list)
    for_job: bool = True

    @property
    def percent(self) -> int:
        return rules.percent(self.lessons_done, self.lessons_total)

    @property
    def locked(self) -> bool:
        return bool(self.locked_by)

    @property
    def started(self) -> bool:
        return self.lessons_done > 0


# --- Grouped figures (one query each) -----------------------------------------------------


def active_courses() -> list[Course]:
    return list(db.session.scalars(
        select(Course).where(Course.archived_at.is_(None))
        .options(selectinload(Course.prerequisites))
        .order_by(Course.position, Course.slug)
    ))


def _lesson_totals_subquery():
    return (select(Lesson.course_id, func.count(Lesson.id).label("lessons"),
                   func.coalesce(func.sum(Lesson.minutes), 0).label("minutes"))
            .where(Lesson.archived_at.is_(None)).group_by(Lesson.course_id).subquery())


def lesson_totals(course_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{course_id: (active lessons, minutes)}."""
    rows = db.session.execute(
        select(Lesson.course_id, func.count(Lesson.id), func.coalesce(func.sum(Lesson.minutes),
                                                                       0))
        .where(Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None))
        .group_by(Lesson.course_id)
    )
    return {course_id: (count, minutes) for course_id, count, minutes in rows}


def done_counts(user_ids: list[int], course_ids: list[int]) -> dict[tuple[int, int], int]:
    """{(user_id, course_id): completed active lessons}."""
    rows = db.session.execute(
        select(LessonProgress.user_id, Lesson.course_id, func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id.in_(user_ids), Lesson.course_id.in_(course_ids),
               Lesson.archived_at.is_(None), LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.user_id, Lesson.course_id)
    )
    return {(user_id, course_id): n for user_id, course_id, n in rows}


def requirement_status(user_ids: list[int], course_ids: list[int]
                       ) -> dict[tuple[int, int], bool]:
    status: dict[tuple[int, int], bool] = {}
    for hook in completion_hooks:
        for key, passed in hook(user_ids, course_ids).items():
            status[key] = status.get(key, True) and passed
    return status


@dataclass
class ProgressTable:
    """Completion of many people in all active courses, from four queries."""

    courses: list[Course]
    totals: dict[int, tuple[int, int]]
    done: dict[tuple[int, int], int]
    requirements: dict[tuple[int, int], bool]

    def facts(self, user_id: int, course: Course) -> rules.CourseFacts:
        return rules.CourseFacts(
            lessons_total=self.totals.get(course.id, (0, 0))[0],
            lessons_done=self.done.get((user_id, course.id), 0),
            requirement_passed=self.requirements.get((user_id, course.id)),
        )

    def completed_groups(self, user_id: int) -> set[str]:
        return {c.group_slug for c in self.courses
                if rules.course_complete(self.facts(user_id, c))}

    def group_percent(self, user_id: int, group: str) -> int:
        return max((rules.percent(f.lessons_done, f.lessons_total)
                    for c in self.courses if c.group_slug == group
                    for f in [self.facts(user_id, c)]), default=0)


def progress_table(user_ids: list[int], courses: list[Course] | None = None) -> ProgressTable:
    courses = active_courses() if courses is None else courses
    ids = [c.id for c in courses]
    return ProgressTable(courses, lesson_totals(ids), done_counts(user_ids, ids),
                         requirement_status(user_ids, ids))


def own_progress_table(user: User) -> ProgressTable:
    """One person's table from two queries: the active courses with their prerequisites,
    lesson totals and the person's completed lessons in one, the completion hooks' in the
    other (the hot pages: catalog, course, lesson, home)."""
    totals = _lesson_totals_subquery()
    done = (select(Lesson.course_id, func.count(LessonProgress.id).label("done"))
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.user_id == user.id, LessonProgress.completed_at.is_not(None),
                   Lesson.archived_at.is_(None))
            .group_by(Lesson.course_id).subquery())
    rows = db.session.execute(
        select(Course, totals.c.lessons, totals.c.minutes, done.c.done)
        .outerjoin(totals, totals.c.course_id == Course.id)
        .outerjoin(done, done.c.course_id == Course.id)
        .where(Course.archived_at.is_(None))
        .options(joinedload(Course.prerequisites))
        .order_by(Course.position, Course.slug)
    ).unique().all()
    courses = [course for course, *_ in rows]
    totals_of = {course.id: (lessons, minutes) for course, lessons, minutes, _ in rows
                 if lessons is not None}
    done_of = {(user.id, course.id): n for course, _, _, n in rows if n is not None}
    return ProgressTable(courses, totals_of, done_of,
                         requirement_status([user.id], [c.id for c in courses]))


# --- Catalog ------------------------------------------------------------------------------


def _versions(table: ProgressTable) -> dict[str, list[Course]]:
    groups: dict[str, list[Course]] = defaultdict(list)
    for course in table.courses:
        groups[course.group_slug].append(course)
    return groups


def _in_language(course: Course, groups: dict[str, list[Course]], locale: str) -> Course:
    """The version of `course`'s group in the person's language (for links and names)."""
    versions = groups.get(course.group_slug, [course])
    slug = rules.pick_version([(c.slug, c.locale) for c in versions], locale, course.group_slug)
    return next((c for c in versions if c.slug == slug), course)


def _card(user: User, course: Course, groups: dict[str, list[Course]], table: ProgressTable,
          completed: set[str], locale: str) -> CourseCard:
    job = user.job_function.value if user.job_function else None
    facts = table.facts(user.id, course)
    total, minutes = table.totals.get(course.id, (0, 0))
    complete = course.group_slug in completed
    # Vendor staff preview everything; partners see what unlocks a course.
    unmet = [] if user.is_vendor else rules.unmet_prerequisites(
        [p.group_slug for p in course.prerequisites], completed)
    versions = groups.get(course.group_slug, [course])
    return CourseCard(
        course=course, lessons_total=total, minutes=minutes,
        # Completed in another language: this version reads as done too.
        lessons_done=total if complete else facts.lessons_done, complete=complete,
        requirement_passed=facts.requirement_passed,
        locked_by=[_in_language(p, groups, locale) for p in course.prerequisites
                   if p.group_slug in unmet],
        other_versions=[c for c in versions if c is not course],
        for_job=rules.catalog_rank(course.audience.value, course.locale, 0, job,
                                   locale)[0] == 0,
    )


def _cards(user: User, locale: str, table: ProgressTable) -> list[CourseCard]:
    """One card per course group, in the person's language where a translation exists."""
    completed = table.completed_groups(user.id)
    job = user.job_function.value if user.job_function else None
    cards = []
    groups = _versions(table)
    for versions in groups.values():
        course = _in_language(versions[0], groups, locale)
        cards.append(_card(user, course, groups, table, completed, locale))
    cards.sort(key=lambda card: rules.catalog_rank(
        card.course.audience.value, card.course.locale, card.course.position, job, locale))
    return cards


@dataclass
class LessonHit:
    course: Course
    lesson: Lesson


@dataclass
class Catalog:
    cards: list[CourseCard]
    query: str = ""
    lesson_hits: list[LessonHit] = field(default_factory=list)


def catalog(user: User, locale: str, query: str = "") -> Catalog:
    """The courses this person sees, their progress, and search results for `query`."""
    table = own_progress_table(user)
    cards = _cards(user, locale, table)
    query = query.strip()[:100]
    if not query:
        return Catalog(cards)
    needle = f"%{_escape_like(normalize_for_search(query))}%"
    lesson_rows = db.session.execute(
        select(Lesson.id, Lesson.course_id)
        .where(Lesson.archived_at.is_(None), Lesson.search_text.like(needle, escape="\\"))
        .order_by(Lesson.course_id, Lesson.position)
    ).all()
    course_ids = {c.id for c in table.courses if needle_in(c.search_text, query)}
    course_ids |= {course_id for _, course_id in lesson_rows}
    by_id = {c.id: c for c in table.courses}
    lessons = {lesson.id: lesson for lesson in db.session.scalars(
        select(Lesson).where(Lesson.id.in_([i for i, _ in lesson_rows[:50]])))}
    hits = [LessonHit(by_id[cid], lessons[lid]) for lid, cid in lesson_rows[:50]
            if cid in by_id and lid in lessons]
    matching_groups = {by_id[cid].group_slug for cid in course_ids if cid in by_id}
    return Catalog([c for c in cards if c.course.group_slug in matching_groups], query, hits)


def needle_in(haystack: str, query: str) -> bool:
    return normalize_for_search(query) in haystack


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- Course and lesson pages --------------------------------------------------------------


@dataclass
class CoursePage:
    card: CourseCard
    lessons: list[Lesson]
    completed_lesson_ids: set[int]
    resume_lesson: Lesson | None
    started: bool = False
    quiz: Quiz | None = None
    last_viewed: dict[int, datetime] = field(default_factory=dict)  # lesson id -> when


def course_page(user: User, slug: str, locale: str, with_quiz: bool = True
                ) -> CoursePage | None:
    """The course `slug` with this person's progress; None if it does not exist.

    `with_quiz=False` leaves out the course's quiz (the lesson page does not show it).
    """
    table = own_progress_table(user)
    course = next((c for c in table.courses if c.slug == slug), None)
    if course is None:
        return None
    card = _card(user, course, _versions(table), table, table.completed_groups(user.id),
                 locale)
    lessons, states = _lessons_with_states(user, course)
    completed = {s.lesson_id for s in states if s.completed}
    resume_id = rules.resume_lesson(states)
    resume = next((lesson for lesson in lessons if lesson.id == resume_id), None)
    started = card.started or any(s.last_viewed_at is not None for s in states)
    quiz = db.session.scalar(select(Quiz).where(
        Quiz.course_slug == course.group_slug, Quiz.archived_at.is_(None))) if with_quiz else None
    last_viewed = {s.lesson_id: s.last_viewed_at for s in states if s.last_viewed_at}
    return CoursePage(card, lessons, completed, resume, started, quiz, last_viewed)


def _lessons_with_states(user: User, course: Course
                         ) -> tuple[list[Lesson], list[rules.LessonState]]:
    """The active lessons of `course` in order, with this person's state of each (one
    query)."""
    rows = db.session.execute(
        select(Lesson, LessonProgress.completed_at, LessonProgress.last_viewed_at)
        .outerjoin(LessonProgress, (LessonProgress.lesson_id == Lesson.id)
                   & (LessonProgress.user_id == user.id))
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .order_by(Lesson.position)
    ).all()
    lessons = [lesson for lesson, _, _ in rows]
    states = [rules.LessonState(lesson.id, lesson.position, completed_at is not None,
                                last_viewed_at)
              for lesson, completed_at, last_viewed_at in rows]
    return lessons, states


def _progress_row(user: User, lesson: Lesson) -> LessonProgress:
    """This person's progress row of `lesson`, created if missing (safe against a race)."""
    stmt = select(LessonProgress).where(LessonProgress.user_id == user.id,
                                        LessonProgress.lesson_id == lesson.id)
    row = db.session.scalar(stmt)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = LessonProgress(user_id=user.id, lesson_id=lesson.id)
            db.session.add(row)
    except IntegrityError:  # a concurrent request created it first
        row = db.session.scalars(stmt).one()
    return row


def record_view(user: User, lesson: Lesson, last_viewed_at: datetime | None) -> None:
    """Remember that the person opened `lesson` now (for "continue where you left off").

    At most once per LESSON_VIEW_RESOLUTION, and best-effort: a page view never waits long
    for, or fails on, a busy database. One statement, safe when two tabs race (upsert).
    """
    now = utcnow()
    if last_viewed_at is not None and now - last_viewed_at < LESSON_VIEW_RESOLUTION:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(LessonProgress).values(user_id=user.id, lesson_id=lesson.id,
                                              started_at=now, last_viewed_at=now)
    write_best_effort(statement.on_conflict_do_update(
        index_elements=["user_id", "lesson_id"], set_={"last_viewed_at": now}))


def mark_complete(user: User, lesson: Lesson) -> bool:
    """Complete `lesson` for the person; False when it already was (nothing changes)."""
    row = _progress_row(user, lesson)
    if row.completed_at is not None:
        return False
    row.completed_at = utcnow()
    row.last_viewed_at = row.completed_at
    db.session.flush()
    learning_progressed.send(user)
    return True


# --- Learning paths -----------------------------------------------------------------------


@dataclass
class NextStep:
    path: LearningPath
    position: int
    steps_total: int
    card: CourseCard
    resume_lesson: Lesson | None


def next_step(user: User, locale: str) -> NextStep | None:
    """The first course of the person's onboarding path not completed yet."""
    if user.job_function is None:
        return None
    rows = db.session.execute(
        select(LearningPath, LearningPathStep.course_slug)
        .outerjoin(LearningPathStep, LearningPathStep.path_id == LearningPath.id)
        .where(LearningPath.job_function == user.job_function.value)
        .order_by(LearningPathStep.position)
    ).all()
    if not rows:
        return None
    path = rows[0][0]
    steps = [slug for _path, slug in rows if slug is not None]
    table = own_progress_table(user)
    cards = {card.course.group_slug: card for card in _cards(user, locale, table)}
    for position, slug in enumerate(steps, start=1):
        card = cards.get(slug)
        if card is not None and not card.complete:
            lessons, states = _lessons_with_states(user, card.course)
            resume_id = rules.resume_lesson(states)
            resume = next((lesson for lesson in lessons if lesson.id == resume_id), None)
            return NextStep(path, position, len(steps), card, resume)
    return None


# --- Progress of people (partner admins, managers) ----------------------------------------


@dataclass
class PeopleProgress:
    organization: Organization
    people: list[User]
    groups: list[Course]
    table: ProgressTable

    def percent(self, user: User, group: Course) -> int:
        return self.table.group_percent(user.id, group.group_slug)

    def complete(self, user: User, group: Course) -> bool:
        return group.group_slug in self.table.completed_groups(user.id)


def _originals(courses: list[Course]) -> list[Course]:
    return [c for c in courses if c.translation_of is None]


def people_progress(organization: Organization) -> PeopleProgress:
    """Each active person of `organization` against each course (translations merged)."""
    people = list(db.session.scalars(select(User).where(
        User.organization_id == organization.id, User.active.is_(True)).order_by(User.name)))
    table = progress_table([p.id for p in people])
    return PeopleProgress(organization, people, _originals(table.courses), table)


@dataclass
class PartnerRow:
    organization: Organization
    people: int
    completed: dict[str, int]


def partners_progress() -> tuple[list[Course], list[PartnerRow]]:
    """For managers: per partner, how many active people completed each course."""
    people = db.session.execute(
        select(User.id, User.organization_id).where(
            User.active.is_(True), User.role.in_((Role.MEMBER, Role.PARTNER_ADMIN)))
    ).all()
    organizations = list(db.session.scalars(select(Organization).where(
        Organization.active.is_(True)).order_by(Organization.name)))
    table = progress_table([user_id for user_id, _ in people])
    groups = _originals(table.courses)
    rows = {org.id: PartnerRow(org, 0, {g.slug: 0 for g in groups}) for org in organizations}
    for user_id, org_id in people:
        row = rows.get(org_id) if org_id is not None else None
        if row is None:
            continue
        row.people += 1
        for group in table.completed_groups(user_id):
            if group in row.completed:
                row.completed[group] += 1
    return groups, list(rows.values())


def find_lesson(page: CoursePage, lesson_slug: str) -> tuple[Lesson, Lesson | None,
                                                             Lesson | None] | None:
    """The lesson with its previous and next active lessons; None if it does not exist."""
    lessons = page.lessons
    for index, lesson in enumerate(lessons):
        if lesson.slug == lesson_slug:
            previous = lessons[index - 1] if index > 0 else None
            following = lessons[index + 1] if index + 1 < len(lessons) else None
            return lesson, previous, following
    return None
