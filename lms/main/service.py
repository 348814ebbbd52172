"""What the home page shows each kind of person."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from lms.courses.service import NextStep
from lms.extensions import db
from lms.models import Attempt, AttemptStatus, Organization, Quiz, QuizVersion, User


@dataclass
class HomeSummary:
    organization: Organization | None = None
    people_count: int = 0


def home_summary(user: User) -> HomeSummary:
    """Figures for a partner's home page (one query; vendor staff see lms.main.today)."""
    if not user.role.is_partner:
        return HomeSummary()
    count = db.session.scalar(
        db.select(func.count(User.id)).where(
            User.organization_id == user.organization_id, User.active.is_(True)))
    return HomeSummary(organization=user.organization, people_count=count or 0)


@dataclass(frozen=True)
class QuizStep:
    """The course quiz that is all that stands between the person and their next course."""

    slug: str
    title: str
    pass_percent: int | None
    best_percent: int | None  # None: never graded

    @property
    def retake(self) -> bool:
        return self.best_percent is not None


def blocking_quiz(user: User, step: NextStep | None, locale: str = "en") -> QuizStep | None:
    """When every lesson of the next step's course is done but its quiz is not passed: that
    quiz, with the person's best score and the pass mark (one query, none otherwise)."""
    if step is None or step.card.locked or step.card.complete:
        return None
    card, quiz = step.card, step.card.course.quiz
    if quiz is None or card.requirement_passed is not False or \
            card.lessons_done < card.lessons_total:
        return None
    best = (select(func.max(Attempt.percent))
            .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id,
                   Attempt.status != AttemptStatus.OPEN).scalar_subquery())
    row = db.session.execute(
        select(QuizVersion.pass_percent, best)
        .join(Quiz, (Quiz.id == QuizVersion.quiz_id)
              & (QuizVersion.number == Quiz.current_version_number))
        .where(Quiz.id == quiz.id)).first()
    pass_percent, best_percent = (row[0], row[1]) if row is not None else (None, None)
    return QuizStep(quiz.slug, quiz.title_in(locale), pass_percent, best_percent)
