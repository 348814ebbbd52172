"""Import validated content into the database: idempotent, one transaction, nothing deleted."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy.orm import selectinload

from lms.courses.loader import LESSON_FILE_RE, ContentSet, CourseSpec, LessonSpec
from lms.extensions import db
from lms.markup import plain_text, render_markdown
from lms.models import (
    Audience,
    Course,
    LearningPath,
    LearningPathStep,
    Lesson,
    utcnow,
)
from lms.sync import SyncReport, archive_missing, set_changed

COURSES_PREFIX = "/courses"


def lesson_url(course_slug: str, lesson_slug: str) -> str:
    return f"{COURSES_PREFIX}/{course_slug}/{lesson_slug}"


def course_file_url(course_slug: str, path: str) -> str:
    return f"{COURSES_PREFIX}/{course_slug}/files/{path}"


def make_resolver(course: CourseSpec) -> Callable[[str, bool], str | None]:
    """Turn a lesson's relative references into app URLs (validated by the loader)."""

    def resolve(url: str, is_media: bool) -> str | None:
        parts = urlsplit(url)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        target = parts.path
        if not target:
            return fragment or None
        if target.startswith("../"):
            _, other, name = target.split("/", 2)
            match = LESSON_FILE_RE.match(name)
            return lesson_url(other, match.group(2)) + fragment if match else None
        if target.endswith(".md") and not is_media:
            match = LESSON_FILE_RE.match(target)
            return lesson_url(course.slug, match.group(2)) + fragment if match else None
        if ".." in target.split("/"):
            return None
        return course_file_url(course.slug, target)

    return resolve


def _render(course: CourseSpec, lesson: LessonSpec) -> tuple[str, str]:
    return render_markdown(lesson.body, make_resolver(course)), plain_text(
        f"{lesson.title}\n\n{lesson.body}")


def sync_content(content: ContentSet, progress: Callable[[int], None] | None = None
                 ) -> SyncReport:
    """Bring the database in line with `content` (which must have no problems); flushes."""
    if content.problems:
        raise ValueError("content has problems; run `lms content check`")
    report = SyncReport()
    now = utcnow()
    existing = {
        c.slug: c for c in db.session.scalars(
            db.select(Course).options(selectinload(Course.lessons),
                                      selectinload(Course.prerequisites))
        )
    }
    for spec in content.courses:
        course = existing.get(spec.slug)
        fields = dict(title=spec.title, summary=spec.summary, audience=Audience(spec.audience),
                      position=spec.order, locale=spec.locale,
                      translation_of=spec.translation_of, cover=spec.cover,
                      content_hash=spec.content_hash,
                      search_text=plain_text(f"{spec.title}\n{spec.summary}"))
        if course is None:
            course = Course(slug=spec.slug, created_at=now, updated_at=now, **fields)
            course.lessons = []
            course.prerequisites = []
            db.session.add(course)
            existing[spec.slug] = course
            report.created.append(f"course {spec.slug}")
        elif course.archived_at is not None:
            set_changed(course, archived_at=None, updated_at=now, **fields)
            report.restored.append(f"course {spec.slug}")
        elif set_changed(course, **fields):
            course.updated_at = now
            report.updated.append(f"course {spec.slug}")
        else:
            report.unchanged += 1
        _sync_lessons(course, spec, report, now, progress)

    archive_missing(existing, (c.slug for c in content.courses), now, report, "course ")

    for spec in content.courses:
        course = existing[spec.slug]
        wanted = [existing[p] for p in spec.prerequisites]
        if {c.slug for c in course.prerequisites} != set(spec.prerequisites):
            course.prerequisites = wanted
            if f"course {spec.slug}" not in report.created:
                report.updated.append(f"prerequisites of {spec.slug}")
    _sync_paths(content, report)
    db.session.flush()
    return report


def _sync_lessons(course: Course, spec: CourseSpec, report: SyncReport, now,
                  progress: Callable[[int], None] | None) -> None:
    by_slug = {lesson.slug: lesson for lesson in course.lessons}
    for lesson_spec in spec.lessons:
        lesson = by_slug.get(lesson_spec.slug)
        name = f"lesson {spec.slug}/{lesson_spec.slug}"
        if lesson is None or lesson.content_hash != lesson_spec.content_hash \
                or lesson.archived_at is not None:
            body_html, search_text = _render(spec, lesson_spec)
            fields = dict(position=lesson_spec.position, title=lesson_spec.title,
                          minutes=lesson_spec.minutes, video_url=lesson_spec.video,
                          body_markdown=lesson_spec.body, body_html=body_html,
                          search_text=search_text, source_path=lesson_spec.source_path,
                          content_hash=lesson_spec.content_hash)
            if lesson is None:
                lesson = Lesson(slug=lesson_spec.slug, created_at=now, updated_at=now,
                                **fields)
                course.lessons.append(lesson)
                report.created.append(name)
            else:
                # Edited in place: learners' progress (keyed by the lesson row) is kept.
                restored = lesson.archived_at is not None
                set_changed(lesson, archived_at=None, updated_at=now, **fields)
                (report.restored if restored else report.updated).append(name)
        elif set_changed(lesson, position=lesson_spec.position):
            report.updated.append(name)
        else:
            report.unchanged += 1
        if progress:
            progress(1)
    archive_missing(by_slug, (lesson.slug for lesson in spec.lessons), now, report,
                    f"lesson {spec.slug}/")


def _sync_paths(content: ContentSet, report: SyncReport) -> None:
    paths = {p.job_function: p for p in db.session.scalars(db.select(LearningPath))}
    steps: dict[int, list[LearningPathStep]] = {}
    for step in db.session.scalars(db.select(LearningPathStep).order_by(
            LearningPathStep.position)):
        steps.setdefault(step.path_id, []).append(step)
    for spec in content.paths:
        path = paths.get(spec.job_function)
        titles = dict(spec.titles)
        if path is None:
            path = LearningPath(job_function=spec.job_function, title=spec.title,
                                titles=titles)
            db.session.add(path)
            db.session.flush()
            report.created.append(f"path {spec.job_function}")
        elif set_changed(path, title=spec.title, titles=titles):
            report.updated.append(f"path {spec.job_function}")
        current = [s.course_slug for s in steps.get(path.id, [])]
        if current != list(spec.courses):
            for step in steps.get(path.id, []):
                db.session.delete(step)
            db.session.flush()
            for position, slug in enumerate(spec.courses, start=1):
                db.session.add(LearningPathStep(path_id=path.id, position=position,
                                                course_slug=slug))
            if f"path {spec.job_function}" not in report.created:
                report.updated.append(f"steps of path {spec.job_function}")
