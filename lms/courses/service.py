"""Catalog, course and lesson pages, progress. Services flush; views commit.

The content's shape (courses, lessons, prerequisites, quizzes, paths) comes from memory
(lms.courses.structure); a page reads only progress: one query for one person's own pages,
one per kind of fact for many people, never course by course.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import CompoundSelect, Row, bindparam, func, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from lms.courses import progress as rules
from lms.courses.structure import (
    CourseInfo,
    LessonInfo,
    PathInfo,
    QuizInfo,
    Structure,
    structure,
)
from lms.database import write_best_effort
from lms.event_data import moment, organization_data, person_data
from lms.events import learning_progressed, publish
from lms.extensions import db
from lms.markup import normalize_for_search
from lms.models import (
    Attempt,
    Award,
    Lesson,
    LessonProgress,
    Organization,
    Role,
    User,
    utcnow,
)

# A lesson view is written at most this often per person and lesson ("continue where you
# left off" needs minutes, not every hit).
LESSON_VIEW_RESOLUTION = timedelta(minutes=5)


@dataclass
class CourseCard:
    course: CourseInfo
    lessons_total: int = 0
    minutes: int = 0
    lessons_done: int = 0
    complete: bool = False
    requirement_passed: bool | None = None
    locked_by: list[CourseInfo] = field(default_factory=list)
    other_versions: list[CourseInfo] = field(default_factory=list)
    for_job: bool = True
    # In the person's language, like `locked_by`.
    prerequisites: list[CourseInfo] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return rules.percent(self.lessons_done, self.lessons_total)

    @property
    def locked(self) -> bool:
        return bool(self.locked_by)

    @property
    def started(self) -> bool:
        return self.lessons_done > 0


# --- Progress: one person from one query, many people from two ---------------------------


@dataclass
class ProgressTable:
    """Completion of some people in all active courses."""

    content: Structure
    done: dict[tuple[int, int], int]  # (user id, course id) -> completed active lessons
    passed: set[tuple[int, int]]  # (user id, quiz id) of the quizzes passed

    @property
    def courses(self) -> tuple[CourseInfo, ...]:
        return self.content.courses

    def facts(self, user_id: int, course: CourseInfo) -> rules.CourseFacts:
        return rules.CourseFacts(
            lessons_total=course.lessons_total,
            lessons_done=self.done.get((user_id, course.id), 0),
            # A course tied to a quiz is complete only once that quiz is passed (DESIGN.md).
            requirement_passed=None if course.quiz is None
            else (user_id, course.quiz.id) in self.passed,
        )

    def completed_groups(self, user_id: int) -> set[str]:
        return {c.group_slug for c in self.courses
                if rules.course_complete(self.facts(user_id, c))}

    def group_percent(self, user_id: int, group: str) -> int:
        return max((rules.percent(f.lessons_done, f.lessons_total)
                    for c in self.courses if c.group_slug == group
                    for f in [self.facts(user_id, c)]), default=0)


def progress_table(user_ids: list[int]) -> ProgressTable:
    """Many people's completion: their completed lessons per course and their passed
    quizzes, one grouped query each."""
    content = structure()
    done = db.session.execute(
        select(LessonProgress.user_id, Lesson.course_id, func.count(LessonProgress.id))
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .where(LessonProgress.user_id.in_(user_ids), Lesson.archived_at.is_(None),
               LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.user_id, Lesson.course_id))
    from lms.quizzes.service import passed_pairs  # the quiz feature builds on this one

    return ProgressTable(content, {(u, c): n for u, c, n in done},
                         passed_pairs(user_ids, list(content.quizzes())))


@dataclass
class OwnProgress:
    """One person's state in every lesson they opened, and the quizzes they passed."""

    user_id: int
    table: ProgressTable
    lessons: dict[int, rules.LessonState]  # lesson id -> state, active lessons only

    def states(self, course: CourseInfo) -> list[rules.LessonState]:
        """The person's state of each active lesson of `course`, in order."""
        return [self.lessons.get(lesson.id)
                or rules.LessonState(lesson.id, lesson.position, False, None)
                for lesson in self.table.content.lessons.get(course.id, ())]


# Built once: a hot page only binds the person (SQLAlchemy caches the compiled form, but
# building the statement itself costs as much as running it on SQLite).
_OWN_PROGRESS: CompoundSelect = union_all(
    select(literal("lesson"), LessonProgress.lesson_id, LessonProgress.completed_at,
           LessonProgress.last_viewed_at)
    .where(LessonProgress.user_id == bindparam("user_id")),
    select(literal("quiz"), Attempt.quiz_id, func.max(Attempt.submitted_at), null())
    .where(Attempt.user_id == bindparam("user_id"), Attempt.passed.is_(True))
    .group_by(Attempt.quiz_id))


def own_progress(user: User) -> OwnProgress:
    """The person's own progress from one query (the hot pages: catalog, course, lesson,
    home): their lesson rows and their passed quizzes, folded onto the cached content."""
    content = structure()
    user_id = user.id  # once: `user` is often Flask-Login's proxy
    rows: Iterable[Row] = db.session.execute(_OWN_PROGRESS, {"user_id": user_id})
    done: dict[tuple[int, int], int] = defaultdict(int)
    passed: set[tuple[int, int]] = set()
    states: dict[int, rules.LessonState] = {}
    for kind, item_id, completed_at, last_viewed_at in rows:
        if kind == "quiz":
            passed.add((user_id, item_id))
            continue
        lesson = content.lesson_by_id.get(item_id)
        if lesson is None:  # an archived lesson
            continue
        if completed_at is not None:
            done[(user_id, lesson.course_id)] += 1
        states[item_id] = rules.LessonState(item_id, lesson.position, completed_at is not None,
                                            last_viewed_at)
    return OwnProgress(user_id, ProgressTable(content, dict(done), passed), states)


# --- Catalog ------------------------------------------------------------------------------


def _in_language(course: CourseInfo, content: Structure, locale: str) -> CourseInfo:
    """The version of `course`'s group in the person's language (for links and names)."""
    versions = content.versions(course.group_slug) or (course,)
    slug = rules.pick_version([(c.slug, c.locale) for c in versions], locale, course.group_slug)
    return next((c for c in versions if c.slug == slug), course)


def _card(user: User, course: CourseInfo, table: ProgressTable, completed: set[str],
          locale: str) -> CourseCard:
    job = user.job_function.value if user.job_function else None
    facts = table.facts(user.id, course)
    complete = course.group_slug in completed
    prerequisites = table.content.prerequisites(course)
    # Vendor staff preview everything; partners see what unlocks a course.
    unmet = [] if user.is_vendor else rules.unmet_prerequisites(
        [p.group_slug for p in prerequisites], completed)
    return CourseCard(
        course=course, lessons_total=course.lessons_total, minutes=course.minutes,
        # Completed in another language: this version reads as done too.
        lessons_done=course.lessons_total if complete else facts.lessons_done,
        complete=complete, requirement_passed=facts.requirement_passed,
        locked_by=[_in_language(p, table.content, locale) for p in prerequisites
                   if p.group_slug in unmet],
        other_versions=[c for c in table.content.versions(course.group_slug) if c != course],
        for_job=rules.catalog_rank(course.audience.value, course.locale, 0, job,
                                   locale)[0] == 0,
        prerequisites=[_in_language(p, table.content, locale) for p in prerequisites],
    )


def _cards(user: User, locale: str, table: ProgressTable) -> list[CourseCard]:
    """One card per course group, in the person's language where a translation exists."""
    completed = table.completed_groups(user.id)
    job = user.job_function.value if user.job_function else None
    groups = dict.fromkeys(c.group_slug for c in table.courses)
    cards = [_card(user, _in_language(table.content.versions(group)[0], table.content, locale),
                   table, completed, locale) for group in groups]
    cards.sort(key=lambda card: rules.catalog_rank(
        card.course.audience.value, card.course.locale, card.course.position, job, locale))
    return cards


@dataclass
class LessonHit:
    course: CourseInfo
    lesson: LessonInfo


@dataclass
class Catalog:
    cards: list[CourseCard]
    query: str = ""
    lesson_hits: list[LessonHit] = field(default_factory=list)


# Lessons listed under a search (the matching courses are all shown).
MAX_LESSON_HITS = 50


def catalog(user: User, locale: str, query: str = "") -> Catalog:
    """The courses this person sees, their progress, and search results for `query`."""
    table = own_progress(user).table
    cards = _cards(user, locale, table)
    query = query.strip()[:100]
    if not query:
        return Catalog(cards)
    needle = normalize_for_search(query)
    content = table.content
    lesson_hits = [LessonHit(content.by_id[course_id], lesson)
                   for course_id in sorted(content.lessons) if course_id in content.by_id
                   for lesson in content.lessons[course_id] if needle in lesson.search_text]
    matching = {c.group_slug for c in content.courses if needle in c.search_text}
    matching |= {hit.course.group_slug for hit in lesson_hits}
    return Catalog([c for c in cards if c.course.group_slug in matching], query,
                   lesson_hits[:MAX_LESSON_HITS])


def needle_in(haystack: str, query: str) -> bool:
    return normalize_for_search(query) in haystack


# --- Course and lesson pages --------------------------------------------------------------


@dataclass
class CoursePage:
    card: CourseCard
    lessons: tuple[LessonInfo, ...]
    completed_lesson_ids: set[int]
    resume_lesson: LessonInfo | None
    started: bool = False
    last_viewed: dict[int, datetime] = field(default_factory=dict)  # lesson id -> when

    @property
    def quiz(self) -> QuizInfo | None:
        return self.card.course.quiz


def _resume(content: Structure, states: list[rules.LessonState]) -> LessonInfo | None:
    resume_id = rules.resume_lesson(states)
    return content.lesson_by_id.get(resume_id) if resume_id is not None else None


def course_page(user: User, slug: str, locale: str) -> CoursePage | None:
    """The course `slug` with this person's progress; None if it does not exist."""
    progress = own_progress(user)
    table = progress.table
    course = table.content.by_slug.get(slug)
    if course is None:
        return None
    card = _card(user, course, table, table.completed_groups(user.id), locale)
    states = progress.states(course)
    started = card.started or any(s.last_viewed_at is not None for s in states)
    return CoursePage(
        card, table.content.lessons.get(course.id, ()),
        completed_lesson_ids={s.lesson_id for s in states if s.completed},
        resume_lesson=_resume(table.content, states), started=started,
        last_viewed={s.lesson_id: s.last_viewed_at for s in states if s.last_viewed_at})


def _progress_row(user: User, lesson: LessonInfo) -> LessonProgress:
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


def record_view(user: User, lesson: LessonInfo, last_viewed_at: datetime | None) -> None:
    """Remember that the person opened `lesson` now (for "continue where you left off").

    At most once per LESSON_VIEW_RESOLUTION, and best-effort: a page view never waits long
    for, or fails on, a busy database. One statement, safe when two tabs race (upsert).
    The person's activity is the request's "last seen" (lms.activity.seen), not this.
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


def mark_complete(user: User, lesson: LessonInfo) -> bool:
    """Complete `lesson` for the person; False when it already was (nothing changes)."""
    row = _progress_row(user, lesson)
    if row.completed_at is not None:
        return False
    before = completed_groups_of(user)
    row.completed_at = utcnow()
    row.last_viewed_at = row.completed_at
    db.session.flush()
    learning_progressed.send(user)
    announce_completed(user, before, row.completed_at)
    return True


def completed_groups_of(user: User) -> set[str]:
    """The courses (translations merged) the person has completed (two queries)."""
    return progress_table([user.id]).completed_groups(user.id)


def announce_completed(user: User, before: set[str], now: datetime) -> None:
    """Publish `course.completed` for each course completed since `before` was read."""
    content = structure()
    for group in sorted(completed_groups_of(user) - before):
        course = content.by_slug.get(group)
        publish("course.completed", {
            "course": group, "course_title": course.title if course else group,
            "person": person_data(user), "organization": organization_data(user.organization),
            "completed_at": moment(now)})


# --- Learning paths -----------------------------------------------------------------------


@dataclass
class NextStep:
    path: PathInfo
    position: int
    steps_total: int
    card: CourseCard
    resume_lesson: LessonInfo | None


def next_step(user: User, locale: str) -> NextStep | None:
    """The first course of the person's onboarding path not completed yet."""
    if user.job_function is None:
        return None
    content = structure()
    path = content.paths.get(user.job_function.value)
    if path is None:
        return None
    progress = own_progress(user)
    cards = {card.course.group_slug: card for card in _cards(user, locale, progress.table)}
    for position, slug in enumerate(path.steps, start=1):
        card = cards.get(slug)
        if card is not None and not card.complete:
            resume = _resume(content, progress.states(card.course))
            return NextStep(path, position, len(path.steps), card, resume)
    return None



@dataclass(frozen=True)
class Handoff:
    """Where a person goes once every lesson of a course is done: the course's quiz still to
    pass, else the next course of their path (None: the path is done, or they have none)."""

    quiz: QuizInfo | None
    step: NextStep | None


def handoff(user: User, page: CoursePage, locale: str) -> Handoff | None:
    """None while lessons of the course remain."""
    card = page.card
    if card.lessons_total == 0 or card.lessons_done < card.lessons_total:
        return None
    if page.quiz is not None and card.requirement_passed is False:
        return Handoff(page.quiz, None)
    return Handoff(None, next_step(user, locale))

# --- Progress of people (partner admins, managers) ----------------------------------------


@dataclass(frozen=True)
class Onboarding:
    """A person's onboarding path: steps done, when they last learned, whether stalled."""

    steps_done: int
    steps_total: int
    last_activity: datetime | None
    stalled: bool


@dataclass
class PeopleProgress:
    organization: Organization
    people: list[User]
    groups: list[CourseInfo]
    table: ProgressTable
    onboarding: dict[int, Onboarding] = field(default_factory=dict)  # user id -> path
    credentials: dict[int, int] = field(default_factory=dict)  # user id -> valid ones

    def percent(self, user: User, group: CourseInfo) -> int:
        return self.table.group_percent(user.id, group.group_slug)

    def complete(self, user: User, group: CourseInfo) -> bool:
        return group.group_slug in self.table.completed_groups(user.id)

    @property
    def stalled(self) -> list[User]:
        return [p for p in self.people if self.onboarding[p.id].stalled]


def _originals(courses: tuple[CourseInfo, ...]) -> list[CourseInfo]:
    return [c for c in courses if c.translation_of is None]


def last_learning(user_ids: list[int]) -> dict[int, datetime]:
    """When each person last opened a lesson or started a quiz (one query)."""
    lessons = (select(LessonProgress.user_id.label("user_id"),
                      func.max(LessonProgress.last_viewed_at).label("at"))
               .where(LessonProgress.user_id.in_(user_ids)).group_by(LessonProgress.user_id))
    attempts = (select(Attempt.user_id.label("user_id"), func.max(Attempt.started_at).label("at"))
                .where(Attempt.user_id.in_(user_ids)).group_by(Attempt.user_id))
    latest: dict[int, datetime] = {}
    for user_id, at in db.session.execute(union_all(lessons, attempts)):
        if at is not None and (user_id not in latest or at > latest[user_id]):
            latest[user_id] = at
    return latest


def _valid_credentials(user_ids: list[int], now: datetime) -> dict[int, int]:
    rows = db.session.execute(
        select(Award.user_id, func.count(Award.id))
        .where(Award.user_id.in_(user_ids), Award.revoked_at.is_(None),
               Award.expires_at.is_(None) | (Award.expires_at > now))
        .group_by(Award.user_id))
    return {user_id: count for user_id, count in rows}


def _active_people(organization: Organization) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.organization_id == organization.id, User.active.is_(True)).order_by(User.name)))


def _onboarding(people: list[User], table: ProgressTable, now: datetime
                ) -> dict[int, Onboarding]:
    """Each person's onboarding path from their progress (one query: their last learning)."""
    latest = last_learning([p.id for p in people])
    onboarding = {}
    for person in people:
        path = (table.content.paths.get(person.job_function.value)
                if person.job_function is not None else None)
        steps = path.steps if path is not None else ()
        done = len(set(steps) & table.completed_groups(person.id))
        at = latest.get(person.id)
        onboarding[person.id] = Onboarding(
            done, len(steps), at,
            bool(steps) and rules.onboarding_stalled(done == len(steps), at,
                                                     person.created_at, now))
    return onboarding


def people_progress(organization: Organization, now: datetime | None = None) -> PeopleProgress:
    """Each active person of `organization` against each course (translations merged), with
    their onboarding path, last learning and valid credentials (five queries)."""
    now = now or utcnow()
    people = _active_people(organization)
    ids = [p.id for p in people]
    table = progress_table(ids)
    return PeopleProgress(organization, people, _originals(table.courses), table,
                          _onboarding(people, table, now), _valid_credentials(ids, now))


def stalled_people(organization: Organization, now: datetime | None = None) -> list[User]:
    """The active people of `organization` stalled in onboarding (as /progress?stalled=1)."""
    now = now or utcnow()
    people = _active_people(organization)
    onboarding = _onboarding(people, progress_table([p.id for p in people]), now)
    return [p for p in people if onboarding[p.id].stalled]


@dataclass
class PartnerRow:
    organization: Organization
    people: int
    completed: dict[str, int]


def partners_progress() -> tuple[list[CourseInfo], list[PartnerRow]]:
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


def find_lesson(page: CoursePage, lesson_slug: str
                ) -> tuple[LessonInfo, LessonInfo | None, LessonInfo | None] | None:
    """The lesson with its previous and next active lessons; None if it does not exist."""
    lessons = page.lessons
    for index, lesson in enumerate(lessons):
        if lesson.slug == lesson_slug:
            previous = lessons[index - 1] if index > 0 else None
            following = lessons[index + 1] if index + 1 < len(lessons) else None
            return lesson, previous, following
    return None
