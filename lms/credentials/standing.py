"""Pure: a person's standing on each criterion of a credential (no Flask, no db).

The services gather plain facts (the person's courses, quiz scores, job function, awards);
these functions decide what each criterion's state is, whether the credential can still be
earned, and what a finished attempt led to. The pages only word the states.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from lms.credentials import rules


class State(enum.StrEnum):
    MET = "met"
    # A course
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    LOCKED = "locked"  # behind prerequisites not completed yet
    QUIZ_PENDING = "quiz_pending"  # every lesson done, the course's quiz not passed yet
    # A quiz or exam
    NOT_TAKEN = "not_taken"
    FAILED = "failed"  # taken, never passed
    # The job function: no learning can change it
    WRONG_JOB = "wrong_job"
    NO_JOB = "no_job"


NEVER = frozenset({State.WRONG_JOB, State.NO_JOB})


class Kind(enum.StrEnum):
    COURSE = "course"
    QUIZ = "quiz"
    JOB_FUNCTION = "job_function"


class HeldStatus(enum.StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Outcome(enum.StrEnum):
    """What a finished attempt means for one credential it counts toward."""

    EARNED = "earned"  # this pass awarded it (the first period)
    RENEWED = "renewed"  # this pass renewed it (a later period)
    HELD = "held"  # held (valid) already
    WAITING = "waiting"  # passed; other criteria are still open
    OUT_OF_REACH = "out_of_reach"  # passed, but the person can never earn it (job function)
    REVOKED = "revoked"  # the person's award was revoked: a pass does not restore it
    EXPIRED = "expired"  # held once, expired, and this attempt did not renew it
    NOT_PASSED = "not_passed"
    PREVIEW = "preview"  # vendor staff: never awarded, nothing to say


# --- Facts in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CredentialRef:
    slug: str
    name: str
    kind: str  # badge | certification
    criteria: rules.Criteria


@dataclass(frozen=True)
class QuizFacts:
    """One person on one quiz: its pass mark and their best graded attempt."""

    slug: str
    title: str
    pass_percent: int | None = None  # None: the quiz is not published (any more)
    best_percent: int | None = None  # None: never graded
    passed: bool = False
    available: bool = True


@dataclass(frozen=True)
class CourseFacts:
    """One person on one course (a course group: any language counts)."""

    slug: str  # the group slug (as credentials.toml names it)
    title: str  # in the person's language
    link_slug: str | None  # the version to open, in the person's language; None: archived
    lessons_done: int = 0
    lessons_total: int = 0
    complete: bool = False
    locked_by: tuple[tuple[str, str], ...] = ()  # (slug, title) of prerequisites still open
    quiz: QuizFacts | None = None  # the quiz that completes the course, if any


@dataclass(frozen=True)
class HeldAward:
    """The person's latest period of a credential."""

    award_id: int
    period: int
    issued_at: datetime
    expires_at: datetime | None
    revoked: bool
    verification_code: str = ""

    def status(self, now: datetime) -> HeldStatus:
        if self.revoked:
            return HeldStatus.REVOKED
        if self.expires_at is not None and now >= self.expires_at:
            return HeldStatus.EXPIRED
        return HeldStatus.VALID


@dataclass(frozen=True)
class PersonFacts:
    job_function: str | None
    courses: Mapping[str, CourseFacts]
    quizzes: Mapping[str, QuizFacts]
    held: Mapping[str, HeldAward]  # credential slug -> latest period
    partner: bool = True  # vendor staff preview: they are never awarded


# --- Standing out -------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    kind: Kind
    state: State
    course: CourseFacts | None = None
    quiz: QuizFacts | None = None
    job_function: str | None = None  # the one required (JOB_FUNCTION criteria)

    @property
    def met(self) -> bool:
        return self.state == State.MET

    @property
    def never(self) -> bool:
        return self.state in NEVER

    @property
    def slug(self) -> str | None:
        if self.course is not None:
            return self.course.slug
        return self.quiz.slug if self.quiz is not None else None


@dataclass(frozen=True)
class Standing:
    credential: CredentialRef
    criteria: tuple[Criterion, ...]
    held: HeldAward | None
    person_job: str | None
    partner: bool
    met: bool  # every criterion met (as the awarding rule decides)

    @property
    def reachable(self) -> bool:
        """Learning alone can still earn it (no criterion the person can never meet)."""
        return self.partner and not any(c.never for c in self.criteria)

    @property
    def open(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if not c.met)

    def also_needed(self, quiz_slug: str) -> tuple[Criterion, ...]:
        """The open criteria besides passing the quiz `quiz_slug` itself (a course whose
        lessons are done and whose own quiz it is would be complete by that pass too)."""
        return tuple(c for c in self.open if not (
            (c.kind == Kind.QUIZ and c.slug == quiz_slug)
            or (c.state == State.QUIZ_PENDING and c.course is not None
                and c.course.quiz is not None and c.course.quiz.slug == quiz_slug)))

    def held_status(self, now: datetime) -> HeldStatus | None:
        return self.held.status(now) if self.held is not None else None


def course_state(course: CourseFacts) -> State:
    if course.complete:
        return State.MET
    if course.locked_by:
        return State.LOCKED
    if course.lessons_total and course.lessons_done >= course.lessons_total:
        return State.QUIZ_PENDING
    return State.IN_PROGRESS if course.lessons_done else State.NOT_STARTED


def quiz_state(quiz: QuizFacts) -> State:
    if quiz.passed:
        return State.MET
    return State.FAILED if quiz.best_percent is not None else State.NOT_TAKEN


def job_state(required: str, person_job: str | None) -> State:
    if person_job == required:
        return State.MET
    return State.NO_JOB if person_job is None else State.WRONG_JOB


def standing_of(credential: CredentialRef, person: PersonFacts) -> Standing:
    """Each criterion of `credential` with the person's state on it, in the order the
    credential names them: courses, quizzes, then the job function."""
    criteria: list[Criterion] = []
    for slug in credential.criteria.courses:
        course = person.courses.get(slug) or CourseFacts(slug, slug, None)
        criteria.append(Criterion(Kind.COURSE, course_state(course), course=course))
    for slug in credential.criteria.quizzes:
        quiz = person.quizzes.get(slug) or QuizFacts(slug, slug, available=False)
        criteria.append(Criterion(Kind.QUIZ, quiz_state(quiz), quiz=quiz))
    required = credential.criteria.job_function
    if required:
        criteria.append(Criterion(Kind.JOB_FUNCTION, job_state(required, person.job_function),
                                  job_function=required))
    completed = {c.course.slug for c in criteria if c.course is not None and c.met}
    passed = {c.quiz.slug for c in criteria if c.quiz is not None and c.met}
    return Standing(credential, tuple(criteria), person.held.get(credential.slug),
                    person.job_function, person.partner,
                    rules.criteria_met(credential.criteria, person.job_function, completed,
                                       passed))


# --- Decisions ----------------------------------------------------------------------------


def exam_refusal(standings: Sequence[Standing]) -> Standing | None:
    """For an exam that counts toward `standings`: the standing that makes starting it
    pointless, or None. Refused only when no credential it counts toward can ever be earned
    by this person (a job function they do not have) and they hold none of them."""
    if not standings:
        return None
    for standing in standings:
        if not standing.partner or standing.reachable or standing.held is not None:
            return None
    return standings[0]


def outcome(standing: Standing, passed: bool, submitted_at: datetime | None,
            now: datetime) -> Outcome:
    """What a graded attempt of a quiz that counts toward `standing` led to."""
    if not standing.partner:
        return Outcome.PREVIEW
    status = standing.held_status(now)
    held = standing.held
    if held is not None and status == HeldStatus.REVOKED:
        return Outcome.REVOKED
    if passed and held is not None and submitted_at is not None and \
            held.issued_at == submitted_at and status == HeldStatus.VALID:
        return Outcome.EARNED if held.period == 1 else Outcome.RENEWED
    if status == HeldStatus.VALID:
        return Outcome.HELD
    if status == HeldStatus.EXPIRED:
        return Outcome.EXPIRED
    if not passed:
        return Outcome.NOT_PASSED
    if not standing.reachable:
        return Outcome.OUT_OF_REACH
    return Outcome.WAITING


def best_holding(held: Iterable[HeldAward], now: datetime) -> HeldAward | None:
    """Of some awards, the valid one that lasts longest (one that never expires first)."""
    valid = [h for h in held if h.status(now) == HeldStatus.VALID]
    if not valid:
        return None
    return max(valid, key=lambda h: (h.expires_at is None, h.expires_at or h.issued_at))


def latest_lapsed(held: Iterable[HeldAward], now: datetime) -> HeldAward | None:
    """Of some awards none of which is valid, the one that expired last (revoked ones aside)."""
    expired = [h for h in held if h.status(now) == HeldStatus.EXPIRED]
    return max(expired, key=lambda h: h.expires_at or h.issued_at) if expired else None
