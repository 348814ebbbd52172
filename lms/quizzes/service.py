"""The attempt engine: start, save, submit, close at the deadline, standing, course hook.

Services flush; views commit. Starting and submitting decide on what they read, so they run
in a write transaction (BEGIN IMMEDIATE on SQLite, the person's row locked on PostgreSQL);
the database constraints on attempts stop whatever slips past.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import Update, select, update
from sqlalchemy.exc import IntegrityError

from lms import activity
from lms.courses.service import announce_completed, completed_groups_of
from lms.courses.structure import CourseInfo, structure
from lms.credentials import service as credentials
from lms.credentials import standing as credential_standing
from lms.database import execute_dml, start_write_transaction
from lms.dates import format_datetime
from lms.events import learning_progressed
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import Attempt, AttemptStatus, Quiz, QuizKind, QuizVersion, User, utcnow
from lms.quizzes import scoring
from lms.quizzes.review import ReviewLevel, review_level

_system_random = secrets.SystemRandom()


class QuizError(ValueError):
    """A start that the rules refuse; the message is for the person."""


# --- Reading ----------------------------------------------------------------------------------


def active_quiz(slug: str) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.slug == slug, Quiz.archived_at.is_(None),
                                                Quiz.current_version_number > 0))


def current_version(quiz: Quiz) -> QuizVersion | None:
    """The version new attempts are taken on (None for a quiz never synced)."""
    return db.session.scalar(select(QuizVersion).where(
        QuizVersion.quiz_id == quiz.id, QuizVersion.number == quiz.current_version_number))


def attempts_of(user: User, quiz: Quiz) -> list[Attempt]:
    return list(db.session.scalars(select(Attempt).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id).order_by(Attempt.number)))


def own_attempt(user: User, attempt_id: int) -> Attempt | None:
    """The attempt if it is this person's; another person's answers as if it did not exist."""
    return db.session.scalar(select(Attempt).where(Attempt.id == attempt_id,
                                                   Attempt.user_id == user.id))


def snapshot_question(data: Mapping) -> scoring.Question:
    return scoring.Question(
        id=data["id"], type=data["type"], points=Fraction(data["points"]),
        options=tuple(data.get("options") or ()), answer=data.get("answer"),
        answers=tuple(data.get("answers") or ()),
        tolerance=Decimal(data.get("tolerance") or "0"),
    )


def _changes_one_row(statement: Update) -> bool:
    """Run a guarded UPDATE of one row; whether it changed it (False: the guard failed)."""
    return execute_dml(statement.execution_options(synchronize_session=False)) == 1


# --- Deadlines ----------------------------------------------------------------------------


def is_past_deadline(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline_at is not None and now >= attempt.deadline_at


def _grade_into(attempt: Attempt, answers: Mapping, status: AttemptStatus, now: datetime
                ) -> bool:
    """Grade `attempt` once: a guarded UPDATE from open, so a second grading changes nothing."""
    questions = [snapshot_question(q) for q in attempt.questions]
    version = db.session.get_one(QuizVersion, attempt.quiz_version_id)
    grade = scoring.grade(questions, answers, version.pass_percent)
    user = db.session.get_one(User, attempt.user_id)
    # A course's quiz passed may complete the course: what was complete before, to compare.
    before = (completed_groups_of(user) if grade.passed
              and attempt.quiz_id in structure().quizzes() else None)
    graded = _changes_one_row(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.status == AttemptStatus.OPEN)
        .values(status=status, submitted_at=now, answers=dict(answers),
                points=float(grade.points), max_points=float(grade.max_points),
                percent=grade.percent, passed=grade.passed,
                results={r.question_id: str(r.points) for r in grade.results})
    )
    if graded:  # a plain UPDATE: the flush listener does not see it
        for statement in activity.recorded(user.id, now, db.session.get_bind().dialect.name):
            db.session.execute(statement)
    db.session.refresh(attempt)
    if graded and grade.passed:
        learning_progressed.send(user, now=now)
        if before is not None:
            announce_completed(user, before, now)
    return graded


def close_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close and grade an open attempt whose deadline has passed (saved answers only)."""
    now = now or utcnow()
    if not attempt.is_open or not is_past_deadline(attempt, now):
        return False
    start_write_transaction()
    _lock_person(attempt.user_id)
    db.session.refresh(attempt)
    if not attempt.is_open:
        return False
    return _grade_into(attempt, attempt.answers or {}, AttemptStatus.TIMED_OUT, now)


def close_expired_attempts(now: datetime | None = None) -> int:
    """Close every open attempt past its deadline (the `lms quizzes close-expired` job)."""
    now = now or utcnow()
    start_write_transaction()
    expired = list(db.session.scalars(select(Attempt).where(
        Attempt.status == AttemptStatus.OPEN, Attempt.deadline_at.is_not(None),
        Attempt.deadline_at <= now).order_by(Attempt.user_id, Attempt.id)))
    # Every person first, in one order: grading records their activity (their company's
    # month too), and a person's request that wrote that month must never wait on this job
    # while the job waits on the person.
    for user_id in sorted({attempt.user_id for attempt in expired}):
        _lock_person(user_id)
    closed = 0
    for attempt in expired:
        closed += close_if_expired(attempt, now)
    db.session.flush()
    return closed


# --- Starting -------------------------------------------------------------------------------


@dataclass
class Availability:
    """Whether the person may start now, and if not, why and when."""

    open_attempt: Attempt | None = None
    reason: str | None = None
    retry_at: datetime | None = None
    attempts_used: int = 0
    attempts_left: int | None = None  # None: unlimited
    # The best passed attempt that counts now (a renewal counts from the latest period).
    passed: Attempt | None = None
    # Refused because no credential the exam counts toward can be earned by the person.
    out_of_reach: bool = False

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and self.reason is None


def course_lessons_done(user: User, quiz: Quiz) -> CourseInfo | None:
    """The course this quiz completes, if its lessons are not all complete yet."""
    if not quiz.course_slug:
        return None
    from lms.courses.service import progress_table

    table = progress_table([user.id])
    versions = [c for c in table.courses if c.group_slug == quiz.course_slug]
    for course in versions:
        facts = table.facts(user.id, course)
        if facts.lessons_total and facts.lessons_done >= facts.lessons_total:
            return None
    return next((c for c in versions if c.slug == quiz.course_slug), None)


def _renewal_period(user: User, quiz: Quiz) -> tuple[datetime | None, datetime | None]:
    """For a person holding a certification this quiz renews: (start of the latest period,
    when its renewal window opens); (None, None) otherwise."""
    from lms.credentials.rules import RENEWAL_WINDOW
    from lms.models import Award, Credential

    latest = db.session.scalar(
        select(Award).join(Credential).where(
            Award.user_id == user.id, Credential.renewal_quiz == quiz.slug,
            Award.revoked_at.is_(None), Award.expires_at.is_not(None))
        .order_by(Award.issued_at.desc()).limit(1))
    if latest is None or latest.expires_at is None:
        return None, None
    return latest.issued_at, latest.expires_at - RENEWAL_WINDOW


def availability(user: User, quiz: Quiz, version: QuizVersion, attempts: Sequence[Attempt],
                 now: datetime,
                 standings: Sequence[credential_standing.Standing] | None = None
                 ) -> Availability:
    """Apply the rules: one open attempt, an exam only toward a credential the person can
    earn, lessons first, an exam passed once, max_attempts, cooldown. `standings`: the
    person's standing on the credentials the quiz counts toward, if the caller has them."""
    since, renewal_opens = _renewal_period(user, quiz)
    if since is not None:
        # A renewal exam: the attempt limit counts from the certification's latest period.
        attempts = [a for a in attempts if a.started_at > since]
    used = len(attempts)
    left = None if version.max_attempts == 0 else max(0, version.max_attempts - used)
    info = Availability(attempts_used=used, attempts_left=left)
    passes = [a for a in attempts if a.passed]
    info.passed = max(passes, key=lambda a: (a.percent or 0, a.number)) if passes else None
    open_attempt = next((a for a in attempts if a.is_open), None)
    if open_attempt is not None:
        info.open_attempt = open_attempt
        return info
    if quiz.kind == QuizKind.EXAM and user.is_partner:
        if standings is None:
            standings = credentials.quiz_standings(user, quiz.slug)
        refusal = credentials.exam_refusal(standings)
        if refusal is not None:
            info.reason, info.out_of_reach = refusal, True
            return info
    unfinished = course_lessons_done(user, quiz)
    if unfinished is not None:
        info.reason = _("Complete the lessons of %(course)s first.", course=unfinished.title)
        return info
    if renewal_opens is not None and now < renewal_opens:
        info.reason = _("Your certification can be renewed from %(when)s.",
                        when=format_datetime(renewal_opens))
        return info
    if quiz.kind == QuizKind.EXAM and info.passed is not None \
            and info.passed.submitted_at is not None:
        # The pass counts: another attempt could only use up one (the bug of issue 17).
        info.reason = _("You passed this exam on %(when)s: there is no need to take it again.",
                        when=format_datetime(info.passed.submitted_at))
        return info
    if left == 0:
        info.reason = _("You have used all %(n)d attempts.", n=version.max_attempts)
        return info
    finished = [a.submitted_at for a in attempts if a.submitted_at is not None]
    if version.cooldown_minutes and finished:
        retry_at = max(finished) + timedelta(minutes=version.cooldown_minutes)
        if now < retry_at:
            info.reason = _("You can try again from %(when)s.",
                            when=format_datetime(retry_at))
            info.retry_at = retry_at
    return info


def draw_questions(pool: Sequence[Mapping], draw: int, shuffle: bool,
                   rng: random.Random) -> list[dict]:
    """The questions of one attempt: `draw` of the pool (0 = all), shuffled if asked."""
    chosen = list(pool) if not draw or draw >= len(pool) else rng.sample(list(pool), draw)
    if not shuffle and draw:
        order = {q["id"]: i for i, q in enumerate(pool)}
        chosen.sort(key=lambda q: order[q["id"]])
    questions = [dict(q) for q in chosen]
    if shuffle:
        rng.shuffle(questions)
        for question in questions:
            if scoring.QUESTION_TYPES[question["type"]].has_options:
                options = list(question["options"])
                rng.shuffle(options)
                question["options"] = options
    return questions


def _lock_person(user: User | int) -> None:
    """Take the person's row first: every path that grades locks the person, then the
    attempt (grading also moves the person's last activity), so two never wait on each other
    in opposite orders."""
    if db.session.get_bind().dialect.name == "postgresql":
        user_id = user if isinstance(user, int) else user.id
        db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


def start_attempt(user: User, quiz: Quiz, now: datetime | None = None,
                  rng: random.Random | None = None) -> Attempt:
    """Resume the open attempt, or open a new one if the rules allow (QuizError if not)."""
    now = now or utcnow()
    start_write_transaction()
    _lock_person(user)
    attempts = attempts_of(user, quiz)
    for attempt in attempts:
        close_if_expired(attempt, now)
    version = current_version(quiz)
    if version is None:
        raise QuizError(_("Not available now"))
    info = availability(user, quiz, version, attempts, now)
    if info.open_attempt is not None:
        return info.open_attempt
    if info.reason:
        raise QuizError(info.reason)
    attempt = Attempt(
        user_id=user.id, quiz_id=quiz.id, quiz_version_id=version.id,
        number=max((a.number for a in attempts), default=0) + 1, started_at=now,
        deadline_at=now + timedelta(minutes=version.time_limit_minutes)
        if version.time_limit_minutes else None,
        questions=draw_questions(version.questions, version.draw, version.shuffle,
                                 rng or _system_random),
        answers={},
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Another request opened one first: resume it rather than opening a second.
        existing = db.session.scalar(select(Attempt).where(
            Attempt.user_id == user.id, Attempt.quiz_id == quiz.id,
            Attempt.status == AttemptStatus.OPEN))
        if existing is None:
            raise QuizError(_("Please try again.")) from None
        return existing
    return attempt


# --- Answering and submitting ---------------------------------------------------------------


def clean_answers(attempt: Attempt, form: Mapping[str, Sequence[str]]) -> dict:
    """The attempt's answers from form fields named q-<question id> (unknown fields ignored)."""
    answers = {}
    for data in attempt.questions:
        raw = form.get(f"q-{data['id']}", [])
        value = scoring.clean_answer(snapshot_question(data), raw)
        if value is not None:
            answers[data["id"]] = list(value) if isinstance(value, tuple) else value
    return answers


def save_answers(attempt: Attempt, form: Mapping[str, Sequence[str]],
                 now: datetime | None = None) -> bool:
    """Save the answers so far; False (nothing saved) once submitted or past the deadline."""
    now = now or utcnow()
    answers = clean_answers(attempt, form)
    start_write_transaction()
    condition = [Attempt.id == attempt.id, Attempt.status == AttemptStatus.OPEN]
    if attempt.deadline_at is not None:
        condition.append(Attempt.deadline_at > now)
    saved = _changes_one_row(update(Attempt).where(*condition).values(answers=answers))
    db.session.refresh(attempt)
    return saved


def submit_attempt(user: User, attempt_id: int, form: Mapping[str, Sequence[str]] | None,
                   now: datetime | None = None) -> Attempt | None:
    """Grade the attempt once; a second submit, or one after grading, changes nothing.

    Past the deadline the form is ignored and the answers saved in time are graded.
    """
    now = now or utcnow()
    start_write_transaction()
    _lock_person(user)
    attempt = own_attempt(user, attempt_id)
    if attempt is None or not attempt.is_open:
        return attempt
    if is_past_deadline(attempt, now):
        _grade_into(attempt, attempt.answers or {}, AttemptStatus.TIMED_OUT, now)
    else:
        answers = clean_answers(attempt, form) if form is not None else attempt.answers or {}
        _grade_into(attempt, answers, AttemptStatus.SUBMITTED, now)
    return attempt


# --- Results and standing -------------------------------------------------------------------


@dataclass
class QuestionReview:
    number: int
    question: dict
    given: object
    points: Fraction
    max_points: Fraction

    @property
    def correct(self) -> bool:
        return self.points == self.max_points

    @property
    def kind(self) -> type[scoring.QuestionType]:
        return scoring.QUESTION_TYPES[self.question["type"]]

    def chosen(self, option: str) -> bool:
        return option in self.given if isinstance(self.given, list) else option == self.given

    def right(self, option: str) -> bool:
        return self.kind.right_option(snapshot_question(self.question), option)


@dataclass(frozen=True)
class CredentialOutcome:
    """A credential the quiz counts toward, and what the attempt led to for it."""

    standing: credential_standing.Standing
    outcome: credential_standing.Outcome


@dataclass
class Result:
    attempt: Attempt
    level: ReviewLevel
    right_count: int = 0
    questions: list[QuestionReview] = field(default_factory=list)
    pass_percent: int = 0  # of the version the attempt was taken on
    credentials: list[CredentialOutcome] = field(default_factory=list)
    # For an attempt not passed: whether (and when) the person may try again.
    next_attempt: Availability | None = None

    @property
    def earned(self) -> list[CredentialOutcome]:
        """The credentials this very attempt awarded or renewed."""
        return [c for c in self.credentials if c.outcome in (
            credential_standing.Outcome.EARNED, credential_standing.Outcome.RENEWED)]


def has_passed(user: User, quiz: Quiz) -> bool:
    return db.session.scalar(select(Attempt.id).where(
        Attempt.user_id == user.id, Attempt.quiz_id == quiz.id,
        Attempt.passed.is_(True)).limit(1)) is not None


def after_pass(found: Sequence[credential_standing.Standing], now: datetime
               ) -> list[CredentialOutcome]:
    """For a person who passed the quiz earlier: where each credential it counts toward
    stands now (held, waiting for other criteria, out of reach)."""
    outcomes = [CredentialOutcome(s, credential_standing.outcome(s, True, None, now))
                for s in found]
    return [o for o in outcomes if o.outcome != credential_standing.Outcome.PREVIEW]


def result_of(user: User, attempt: Attempt, now: datetime | None = None,
              locale: str = "en") -> Result:
    """What the result page shows, as the quiz version's review policy allows: the score,
    what it means for each credential the quiz counts toward, and when a retake is possible."""
    now = now or utcnow()
    version = db.session.get_one(QuizVersion, attempt.quiz_version_id)
    level = review_level(version.review.value, has_passed(user, attempt.quiz))
    results = attempt.results or {}
    right = sum(1 for q in attempt.questions
                if Fraction(results.get(q["id"], "0")) == Fraction(q["points"]))
    result = Result(attempt, level, right, pass_percent=version.pass_percent)
    content = credentials.credential_content()
    tied = {c.ref.slug for c in content.counting_toward(attempt.quiz.slug)}
    found = []
    # Every credential, in the same three queries: a course quiz that completes a course
    # can earn a credential it does not count toward directly; that is news too.
    for s in credentials.standings(user, content.credentials, locale):
        outcome = credential_standing.outcome(s, bool(attempt.passed), attempt.submitted_at,
                                              now)
        if s.credential.slug in tied:
            found.append(s)
        news = s.credential.slug in tied or outcome in (credential_standing.Outcome.EARNED,
                                                        credential_standing.Outcome.RENEWED)
        if news and outcome != credential_standing.Outcome.PREVIEW:
            result.credentials.append(CredentialOutcome(s, outcome))
    current = current_version(attempt.quiz)
    if not attempt.passed and current is not None:
        result.next_attempt = availability(user, attempt.quiz, current,
                                           attempts_of(user, attempt.quiz), now, found)
    if level == ReviewLevel.FULL:
        result.questions = [
            QuestionReview(n, q, (attempt.answers or {}).get(q["id"]),
                           Fraction(results.get(q["id"], "0")), Fraction(q["points"]))
            for n, q in enumerate(attempt.questions, start=1)
        ]
    return result


def best_attempts(user_ids: Sequence[int], quiz_ids: Sequence[int]) -> dict[tuple[int, int],
                                                                            Attempt]:
    """Standing: each person's best graded attempt per quiz (one query)."""
    best: dict[tuple[int, int], Attempt] = {}
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.user_id.in_(user_ids), Attempt.quiz_id.in_(quiz_ids),
            Attempt.status != AttemptStatus.OPEN)):
        key = (attempt.user_id, attempt.quiz_id)
        current = best.get(key)
        if current is None or (attempt.percent or 0) > (current.percent or 0):
            best[key] = attempt
    return best


def passed_pairs(user_ids: Sequence[int], quiz_ids: Sequence[int]) -> set[tuple[int, int]]:
    """(user_id, quiz_id) of every quiz each person has passed (one query)."""
    return {(user_id, quiz_id) for user_id, quiz_id in db.session.execute(
            select(Attempt.user_id, Attempt.quiz_id)
            .where(Attempt.user_id.in_(user_ids), Attempt.quiz_id.in_(quiz_ids),
                   Attempt.passed.is_(True)).distinct())}


# --- Statistics -----------------------------------------------------------------------------


@dataclass
class VersionStatistics:
    quiz: Quiz
    version: QuizVersion
    versions: list[int]
    statistics: object  # stats.QuizStatistics
    questions: dict[str, dict]


def _chosen(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (str(value),)


def version_statistics(quiz: Quiz, number: int | None = None) -> VersionStatistics | None:
    """Item analysis of one version of `quiz` (the current one by default), two queries."""
    from lms.quizzes import stats

    number = number or quiz.current_version_number
    version = db.session.scalar(select(QuizVersion).where(QuizVersion.quiz_id == quiz.id,
                                                          QuizVersion.number == number))
    if version is None:
        return None
    versions = list(db.session.scalars(select(QuizVersion.number).where(
        QuizVersion.quiz_id == quiz.id).order_by(QuizVersion.number)))
    outcomes = []
    for attempt in db.session.scalars(select(Attempt).where(
            Attempt.quiz_version_id == version.id, Attempt.status != AttemptStatus.OPEN)):
        results = attempt.results or {}
        answers = attempt.answers or {}
        outcomes.append(stats.AttemptOutcome(
            total=attempt.points or 0.0, max_total=attempt.max_points or 0.0,
            passed=bool(attempt.passed),
            questions=tuple(stats.QuestionOutcome(
                question_id=q["id"], points=float(Fraction(results.get(q["id"], "0"))),
                max_points=float(Fraction(q["points"])), chosen=_chosen(answers.get(q["id"])))
                for q in attempt.questions),
        ))
    options = {q["id"]: list(scoring.QUESTION_TYPES[q["type"]].choices(snapshot_question(q)))
               for q in version.questions}
    return VersionStatistics(quiz, version, versions,
                             stats.quiz_statistics(outcomes, options),
                             {q["id"]: q for q in version.questions})
