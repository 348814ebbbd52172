"""The demo people's learning: lesson progress, quiz and exam attempts, credential states."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, select

from lms.courses.service import progress_table
from lms.courses.structure import structure
from lms.credentials.service import revoke
from lms.demo.dates import morning
from lms.demo.people import (
    ADMIN_EMAIL,
    DEMO_DOMAIN,
    NAMED_PARTNERS,
    PARTNER_EMAILS,
    is_core_demo_person,
    partner_email,
    person,
)
from lms.extensions import db
from lms.models import Attempt, Award, Course, Lesson, LessonProgress, Quiz, User
from lms.quizzes.scoring import QUESTION_TYPES
from lms.quizzes.service import (
    QuizError,
    clean_answers,
    snapshot_question,
    start_attempt,
    submit_attempt,
)

# How far the named partners' people are: {email prefix@slug: {course: lessons completed}}.
# Lessons past the completed ones are left opened but unfinished, for "continue".
NAMED_PROGRESS = {
    "admin@sakura-systems": {"partner-program-essentials-ja": 5},
    "sales@sakura-systems": {"partner-program-essentials-ja": 5, "selling-nimbus-crm": 3},
    "engineer@sakura-systems": {"partner-program-essentials": 5,
                                "nimbus-crm-implementation": 5},
    "admin@aozora-consulting": {"partner-program-essentials": 2},
    "sales@aozora-consulting": {"partner-program-essentials": 5, "selling-nimbus-crm": 1},
    "engineer@aozora-consulting": {"partner-program-essentials": 5,
                                   "nimbus-crm-implementation": 2},
    "engineer@kumo-works": {"partner-program-essentials": 1},
}
JOB_COURSE = {"sales": "selling-nimbus-crm", "technical": "nimbus-crm-implementation"}

EXAM_OF_COURSE = {"nimbus-crm-implementation": "nimbus-certified-engineer-exam",
                  "selling-nimbus-crm": "nimbus-certified-sales-exam"}
# Named people whose exam story the demo tells: (attempts, last one passes).
NAMED_EXAMS = {partner_email("engineer", "sakura-systems"): (1, True),
               partner_email("engineer", "aozora-consulting"): (2, False)}


def _core_people(*conditions: ColumnElement[bool]) -> list[User]:
    """The three people of every demo partner, by email."""
    return sorted((u for u in db.session.scalars(select(User).where(
        User.email.like(PARTNER_EMAILS), *conditions)) if is_core_demo_person(u)),
        key=lambda u: u.email)


def seed_progress(today: date) -> int:
    """Lesson progress for the demo people (only rows that do not exist yet)."""
    lessons: dict[str, list[Lesson]] = {}
    for lesson, slug in db.session.execute(
        select(Lesson, Course.slug).join(Course).where(
            Lesson.archived_at.is_(None), Course.archived_at.is_(None))
        .order_by(Lesson.position)
    ):
        lessons.setdefault(slug, []).append(lesson)
    if not lessons:
        return 0
    existing = {tuple(row) for row in db.session.execute(
        select(LessonProgress.user_id, LessonProgress.lesson_id))}
    now = morning(today)
    created = 0
    for user in _core_people():
        key = user.email.removesuffix(f".{DEMO_DOMAIN}")
        # One generator per person: the plan never depends on what earlier runs created.
        rng = random.Random(user.email)  # noqa: S311 - reproducible demo data
        plan = NAMED_PROGRESS.get(key)
        if plan is None and user.job_function is not None and \
                key.split("@")[1] not in NAMED_PARTNERS:
            plan = {"partner-program-essentials": rng.choice([0, 2, 5, 5, 5])}
            if plan["partner-program-essentials"] == 5:
                plan[JOB_COURSE[user.job_function.value]] = rng.choice([0, 1, 3, 5])
        for course_slug, done in (plan or {}).items():
            course_lessons = lessons.get(course_slug, [])
            for index, lesson in enumerate(course_lessons[:done + 1]):
                if (user.id, lesson.id) in existing or (index >= done and done == 0):
                    continue
                when = now - timedelta(days=rng.randint(3, 60), minutes=index)
                db.session.add(LessonProgress(
                    user_id=user.id, lesson_id=lesson.id, started_at=when, last_viewed_at=when,
                    completed_at=when if index < done else None))
                created += 1
    db.session.flush()
    return created


def _demo_form(questions: list[dict], ability: float, rng: random.Random) -> dict:
    """The attempt form of a person who knows each right answer with probability `ability`
    (each question type says what a right and a plausible wrong answer are)."""
    form = {}
    for data in questions:
        question = snapshot_question(data)
        kind = QUESTION_TYPES[question.type]
        right = rng.random() < ability
        form[f"q-{question.id}"] = (kind.sample_answer(question) if right
                                    else kind.wrong_answer(question, rng.choice))
    return form


def _take(user: User, quiz: Quiz, when: datetime, ability: float, rng: random.Random) -> None:
    attempt = start_attempt(user, quiz, now=when, rng=rng)
    attempt.answers = clean_answers(attempt, _demo_form(attempt.questions, ability, rng))
    db.session.flush()
    submit_attempt(user, attempt.id, None, now=when + timedelta(minutes=rng.randint(6, 25)))


def seed_attempts(today: date) -> int:
    """Quiz and exam attempts of the demo people, so results and statistics show (once)."""
    quizzes = {q.slug: q for q in db.session.scalars(select(Quiz).where(
        Quiz.archived_at.is_(None)))}
    if not quizzes:
        return 0
    tried = {tuple(row) for row in db.session.execute(
        select(Attempt.user_id, Attempt.quiz_id).distinct())}
    people = _core_people(User.job_function.is_not(None))
    table = progress_table([u.id for u in people])
    now = morning(today)
    created = 0
    for user in people:
        rng = random.Random(user.email + "/quizzes")  # noqa: S311 - reproducible demo data
        ability = rng.uniform(0.65, 0.99)
        done_courses = set()
        for course in table.courses:
            facts = table.facts(user.id, course)
            if facts.lessons_total and facts.lessons_done >= facts.lessons_total:
                done_courses.add(course.group_slug)
        plan: list[tuple[Quiz, int, bool | None]] = []
        for quiz in quizzes.values():
            if quiz.course_slug in done_courses:
                plan.append((quiz, 1 if ability > 0.8 else 2, None))
        for course_slug, exam_slug in EXAM_OF_COURSE.items():
            if course_slug in done_courses and exam_slug in quizzes:
                times, last_passes = NAMED_EXAMS.get(user.email, (rng.choice([1, 1, 2]), None))
                plan.append((quizzes[exam_slug], times, last_passes))
        for quiz, times, last_passes in plan:
            if (user.id, quiz.id) in tried:
                continue
            for n in range(times):
                when = now - timedelta(days=40 - 3 * n, hours=rng.randint(0, 8))
                skill = ability
                if last_passes is not None and n == times - 1:
                    skill = 1.0 if last_passes else 0.45
                elif n < times - 1:
                    skill = min(ability, 0.5)
                try:
                    _take(user, quiz, when, skill, rng)
                    created += 1
                except QuizError:
                    break
    db.session.flush()
    return created


def seed_credential_states(today: date) -> None:
    """Make the demo show every credential state: expiring soon, expired, one revoked badge.

    Done once: skipped when any award is already revoked."""
    if db.session.scalar(select(Award.id).where(Award.revoked_at.is_not(None)).limit(1)):
        return
    now = morning(today)
    awards = [a for a in db.session.scalars(select(Award).order_by(Award.id))
              if a.user.organization and a.user.organization.slug not in NAMED_PARTNERS]
    certifications = [a for a in awards if a.expires_at is not None]
    # Two expiring within 60 days, one expired last month (issued two years before that).
    for award, days in zip(certifications[:3], (21, 45, -30), strict=False):
        award.expires_at = now + timedelta(days=days)
        award.issued_at = award.expires_at - timedelta(days=730)
    badge = next((a for a in awards if a.expires_at is None), None)
    admin = person(ADMIN_EMAIL)
    if badge is not None and admin is not None:
        revoke(admin, badge, "Issued in error: the quiz was taken on a shared account.")
    db.session.flush()


def complete_course(user: User, course_slug: str, when: datetime, rng: random.Random) -> None:
    """`user` completes every active lesson of the course on the days before `when`, then
    passes its quiz at `when` (the demo's trained staff)."""
    lessons = db.session.scalars(
        select(Lesson).join(Course).where(Course.slug == course_slug,
                                          Lesson.archived_at.is_(None))
        .order_by(Lesson.position)).all()
    for index, lesson in enumerate(lessons):
        day = when - timedelta(days=len(lessons) - index, minutes=rng.randint(0, 300))
        db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=day,
                                      last_viewed_at=day, completed_at=day))
    db.session.flush()
    course = structure().by_slug.get(course_slug)
    if course is not None and course.quiz is not None:  # the quiz that completes it
        _take(user, db.session.get_one(Quiz, course.quiz.id), when, 1.0, rng)
