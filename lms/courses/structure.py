"""The shape of the active training content, the same for everyone: courses with their
lessons, prerequisites and quiz, and the learning paths (cached per content version).

Built from four queries when the content changes (lms.content_cache), then read from
memory: the catalog, course, lesson and home pages read only the person's own progress.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from lms.content_cache import cached
from lms.extensions import db
from lms.models import (
    Audience,
    Course,
    LearningPath,
    LearningPathStep,
    Lesson,
    Quiz,
    course_prerequisites,
)


@dataclass(frozen=True)
class LessonInfo:
    id: int
    course_id: int
    slug: str
    position: int
    title: str
    minutes: int
    video_url: str | None
    body_html: str
    search_text: str


class Titled:
    """A title from content, with (locale, title) pairs of its translations."""

    title: str
    titles: tuple[tuple[str, str], ...]

    def title_in(self, locale: str) -> str:
        return dict(self.titles).get(locale) or self.title


@dataclass(frozen=True)
class QuizInfo(Titled):
    id: int
    slug: str
    title: str
    titles: tuple[tuple[str, str], ...] = ()  # (locale, title) of the translations


@dataclass(frozen=True)
class CourseInfo:
    id: int
    slug: str
    title: str
    summary: str
    audience: Audience
    position: int
    locale: str
    translation_of: str | None
    search_text: str
    cover: str | None = None  # an image of the course folder
    prerequisite_ids: tuple[int, ...] = ()
    lessons_total: int = 0
    minutes: int = 0
    # The quiz that must be passed to complete the course (DESIGN.md): the one of the
    # course itself or, preferred, of the course it translates. Archived quizzes count not.
    quiz: QuizInfo | None = None

    @property
    def group_slug(self) -> str:
        """The slug shared by a course and its translations."""
        return self.translation_of or self.slug


@dataclass(frozen=True)
class PathInfo(Titled):
    id: int
    job_function: str
    title: str
    steps: tuple[str, ...]  # course group slugs, in order
    titles: tuple[tuple[str, str], ...] = ()  # (locale, title) of the translations


@dataclass(frozen=True, eq=False)
class Structure:
    courses: tuple[CourseInfo, ...]  # active, in catalog order (position, slug)
    lessons: Mapping[int, tuple[LessonInfo, ...]]  # course id -> active lessons in order
    paths: Mapping[str, PathInfo]  # job function -> its path
    by_id: Mapping[int, CourseInfo] = field(default_factory=dict)
    by_slug: Mapping[str, CourseInfo] = field(default_factory=dict)
    lesson_by_id: Mapping[int, LessonInfo] = field(default_factory=dict)

    def prerequisites(self, course: CourseInfo) -> tuple[CourseInfo, ...]:
        """The active courses `course` asks for first (in the order they were created)."""
        return tuple(self.by_id[i] for i in course.prerequisite_ids if i in self.by_id)

    def versions(self, group_slug: str) -> tuple[CourseInfo, ...]:
        return tuple(c for c in self.courses if c.group_slug == group_slug)

    def quizzes(self) -> dict[int, int]:
        """{quiz id: course id} of the quizzes courses require."""
        return {c.quiz.id: c.id for c in self.courses if c.quiz is not None}


def structure() -> Structure:
    """The active courses, lessons and paths of the current content version."""
    return cached("courses.structure", build)


def build() -> Structure:
    lesson_rows = db.session.execute(
        select(Lesson.id, Lesson.course_id, Lesson.slug, Lesson.position, Lesson.title,
               Lesson.minutes, Lesson.video_url, Lesson.body_html, Lesson.search_text)
        .where(Lesson.archived_at.is_(None)).order_by(Lesson.course_id, Lesson.position))
    lessons: dict[int, list[LessonInfo]] = defaultdict(list)
    for lesson_row in lesson_rows:
        lessons[lesson_row.course_id].append(LessonInfo(*lesson_row))
    prerequisites: dict[int, list[int]] = defaultdict(list)
    for course_id, prerequisite_id in db.session.execute(
            select(course_prerequisites.c.course_id, course_prerequisites.c.prerequisite_id)
            .order_by(course_prerequisites.c.course_id, course_prerequisites.c.prerequisite_id)):
        prerequisites[course_id].append(prerequisite_id)
    quizzes = {slug: QuizInfo(id, slug_, title, tuple(sorted((titles or {}).items())))
               for id, slug, slug_, title, titles in db.session.execute(
                   select(Quiz.id, Quiz.course_slug, Quiz.slug, Quiz.title, Quiz.titles)
                   .where(Quiz.archived_at.is_(None), Quiz.course_slug.is_not(None))
                   .order_by(Quiz.id))}
    courses = []
    for row in db.session.execute(
            select(Course.id, Course.slug, Course.title, Course.summary, Course.audience,
                   Course.position, Course.locale, Course.translation_of, Course.search_text,
                   Course.cover)
            .where(Course.archived_at.is_(None)).order_by(Course.position, Course.slug)):
        own = lessons.get(row.id, [])
        courses.append(CourseInfo(
            row.id, row.slug, row.title, row.summary, row.audience, row.position, row.locale,
            row.translation_of, row.search_text, cover=row.cover,
            prerequisite_ids=tuple(prerequisites.get(row.id, ())),
            lessons_total=len(own), minutes=sum(lesson.minutes for lesson in own),
            quiz=quizzes.get(row.translation_of or "") or quizzes.get(row.slug)))
    return Structure(
        courses=tuple(courses),
        lessons={course_id: tuple(rows) for course_id, rows in lessons.items()},
        paths=_paths(),
        by_id={c.id: c for c in courses},
        by_slug={c.slug: c for c in courses},
        lesson_by_id={lesson.id: lesson for rows in lessons.values() for lesson in rows},
    )


def _paths() -> dict[str, PathInfo]:
    rows = db.session.execute(
        select(LearningPath.id, LearningPath.job_function, LearningPath.title,
               LearningPath.titles, LearningPathStep.course_slug)
        .outerjoin(LearningPathStep, LearningPathStep.path_id == LearningPath.id)
        .order_by(LearningPath.id, LearningPathStep.position)).all()
    steps: dict[str, list[str]] = defaultdict(list)
    heads: dict[str, tuple[int, str, dict]] = {}
    for path_id, job_function, title, titles, course_slug in rows:
        heads[job_function] = (path_id, title, titles or {})
        if course_slug is not None:
            steps[job_function].append(course_slug)
    return {job: PathInfo(path_id, job, title, tuple(steps[job]),
                          tuple(sorted(titles.items())))
            for job, (path_id, title, titles) in heads.items()}
