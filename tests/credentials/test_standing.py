"""The pure standing of a person on a credential's criteria (lms/credentials/standing.py):
each criterion's state, whether the credential can still be earned, the exam refusal, what
a graded attempt led to, and the holding shown on the quiz list. No app, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.credentials.rules import Criteria, criteria_met
from lms.credentials.standing import (
    CourseFacts,
    CredentialRef,
    HeldAward,
    HeldStatus,
    Kind,
    Outcome,
    PersonFacts,
    QuizFacts,
    State,
    best_holding,
    course_state,
    exam_refusal,
    job_state,
    latest_lapsed,
    outcome,
    quiz_state,
    standing_of,
)

NOW = datetime(2027, 5, 31, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)
EXAM = "engineer-exam"
COURSE = "implementation"
COURSE_QUIZ = "implementation-quiz"

CERTIFICATION = CredentialRef("cie", "Certified Implementation Engineer", "certification",
                              Criteria((COURSE,), (EXAM,), "technical"))
BADGE = CredentialRef("essentials", "Essentials", "badge", Criteria(("essentials",), ()))


def course(done: int = 0, total: int = 4, *, complete: bool = False,
           locked_by: tuple[tuple[str, str], ...] = (), quiz: QuizFacts | None = None
           ) -> CourseFacts:
    return CourseFacts(COURSE, "Implementation", COURSE, done, total, complete, locked_by,
                       quiz)


def exam(best: int | None = None, passed: bool = False) -> QuizFacts:
    return QuizFacts(EXAM, "Engineer exam", 75, best, passed)


def person(job: str | None = "technical", *, courses: dict | None = None,
           quizzes: dict | None = None, held: dict | None = None,
           partner: bool = True) -> PersonFacts:
    return PersonFacts(job, courses if courses is not None else {COURSE: course()},
                       quizzes if quizzes is not None else {EXAM: exam()}, held or {},
                       partner)


def award(*, period: int = 1, issued: datetime = NOW - 10 * DAY,
          expires: datetime | None = NOW + 700 * DAY, revoked: bool = False) -> HeldAward:
    return HeldAward(7, period, issued, expires, revoked, "code")


def states(standing) -> dict[Kind, State]:
    return {c.kind: c.state for c in standing.criteria}


# --- Each criterion ---------------------------------------------------------------------------


@pytest.mark.parametrize(("facts", "expected"), [
    (course(0), State.NOT_STARTED),
    (course(3), State.IN_PROGRESS),
    (course(0, locked_by=(("essentials", "Essentials"),)), State.LOCKED),
    (course(4, quiz=QuizFacts(COURSE_QUIZ, "Quiz", 80, 70)), State.QUIZ_PENDING),
    (course(4, complete=True), State.MET),
    (course(0, 0), State.NOT_STARTED),  # a course without lessons is never "all done"
])
def test_the_state_of_a_course(facts, expected):
    assert course_state(facts) == expected


def test_a_completed_course_is_met_even_if_it_lists_prerequisites_as_open():
    """Completed in another language, or before a prerequisite was added: complete wins."""
    assert course_state(course(4, complete=True, locked_by=(("x", "X"),))) == State.MET


@pytest.mark.parametrize(("facts", "expected"), [
    (exam(), State.NOT_TAKEN),
    (exam(70), State.FAILED),
    (exam(0), State.FAILED),  # zero is a score, not "not taken"
    (exam(91, passed=True), State.MET),
])
def test_the_state_of_a_quiz(facts, expected):
    assert quiz_state(facts) == expected


@pytest.mark.parametrize(("mine", "expected"), [
    ("technical", State.MET), ("sales", State.WRONG_JOB), (None, State.NO_JOB)])
def test_the_state_of_the_job_function(mine, expected):
    assert job_state("technical", mine) == expected


# --- A whole credential -----------------------------------------------------------------------


def test_criteria_come_in_order_courses_quizzes_then_job_function():
    standing = standing_of(CERTIFICATION, person())

    assert [c.kind for c in standing.criteria] == [Kind.COURSE, Kind.QUIZ, Kind.JOB_FUNCTION]
    assert [c.slug for c in standing.criteria[:2]] == [COURSE, EXAM]
    assert standing.criteria[2].job_function == "technical"


def test_exam_passed_course_missing_is_reachable_and_waits_for_the_course():
    standing = standing_of(CERTIFICATION, person(
        courses={COURSE: course(2)}, quizzes={EXAM: exam(91, passed=True)}))

    assert states(standing) == {Kind.COURSE: State.IN_PROGRESS, Kind.QUIZ: State.MET,
                                Kind.JOB_FUNCTION: State.MET}
    assert not standing.met
    assert standing.reachable
    assert [c.slug for c in standing.also_needed(EXAM)] == [COURSE]


def test_everything_met():
    standing = standing_of(CERTIFICATION, person(
        courses={COURSE: course(4, complete=True)}, quizzes={EXAM: exam(80, passed=True)}))

    assert standing.met and standing.reachable
    assert standing.open == () and standing.also_needed(EXAM) == ()


@pytest.mark.parametrize(("job", "state"), [("sales", State.WRONG_JOB), (None, State.NO_JOB)])
def test_a_job_function_the_person_lacks_makes_it_unreachable_whatever_else(job, state):
    standing = standing_of(CERTIFICATION, person(
        job, courses={COURSE: course(4, complete=True)},
        quizzes={EXAM: exam(100, passed=True)}))

    assert states(standing)[Kind.JOB_FUNCTION] == state
    assert not standing.met and not standing.reachable
    assert standing.criteria[2].never


def test_also_needed_leaves_out_the_quiz_itself_and_the_course_it_completes():
    quiz = QuizFacts(COURSE_QUIZ, "Course quiz", 80, 60)
    badge = CredentialRef("impl", "Implementation", "badge",
                          Criteria((COURSE,), (COURSE_QUIZ,), "technical"))
    standing = standing_of(badge, person(courses={COURSE: course(4, quiz=quiz)},
                                         quizzes={COURSE_QUIZ: quiz}))

    assert states(standing) == {Kind.COURSE: State.QUIZ_PENDING, Kind.QUIZ: State.FAILED,
                                Kind.JOB_FUNCTION: State.MET}
    assert standing.also_needed(COURSE_QUIZ) == ()  # passing it completes the course too
    assert [c.slug for c in standing.also_needed("another")] == [COURSE, COURSE_QUIZ]


def test_unknown_or_unpublished_criteria_stay_open_never_met():
    standing = standing_of(CERTIFICATION, person(courses={}, quizzes={}))

    course_criterion, quiz_criterion = standing.criteria[:2]
    assert course_criterion.state == State.NOT_STARTED
    assert course_criterion.course is not None and course_criterion.course.link_slug is None
    assert quiz_criterion.state == State.NOT_TAKEN
    assert quiz_criterion.quiz is not None and not quiz_criterion.quiz.available
    assert not standing.met


def test_the_held_award_is_the_persons_for_that_credential_only():
    held = award()
    standing = standing_of(CERTIFICATION, person(held={"cie": held}))

    assert standing.held is held
    assert standing_of(BADGE, person(held={"cie": held})).held is None


@given(done=st.sets(st.sampled_from(["a", "b", "c"])),
       passed=st.sets(st.sampled_from(["x", "y"])),
       job=st.sampled_from([None, "sales", "technical"]),
       required=st.sampled_from([None, "sales", "technical"]),
       courses=st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True),
       quizzes=st.lists(st.sampled_from(["x", "y"]), max_size=2, unique=True))
def test_met_is_exactly_what_the_awarding_rule_decides(done, passed, job, required, courses,
                                                      quizzes):
    criteria = Criteria(tuple(courses), tuple(quizzes), required)
    facts = PersonFacts(
        job,
        {c: CourseFacts(c, c, c, 1, 1, c in done) for c in "abc"},
        {q: QuizFacts(q, q, 80, 90 if q in passed else None, q in passed) for q in "xy"},
        {})

    standing = standing_of(CredentialRef("s", "S", "badge", criteria), facts)

    assert standing.met == criteria_met(criteria, job, done, passed)
    assert standing.met == (bool(courses or quizzes) and standing.open == ())


# --- Refusing an exam -------------------------------------------------------------------------


def test_an_exam_is_refused_when_no_credential_it_counts_toward_can_be_earned():
    sales = standing_of(CERTIFICATION, person("sales"))

    assert exam_refusal([sales]) is sales


@pytest.mark.parametrize("facts", [
    person("technical"),
    person("sales", held={"cie": award()}),  # held already (changed job later): renewals go on
    person("sales", held={"cie": award(revoked=True)}),
    person(None, partner=False),  # vendor staff preview exams
])
def test_an_exam_is_not_refused(facts):
    assert exam_refusal([standing_of(CERTIFICATION, facts)]) is None


def test_an_exam_toward_two_credentials_is_open_if_either_can_be_earned():
    for_sales = CredentialRef("ncsp", "Sales certification", "certification",
                              Criteria((), (EXAM,), "sales"))
    seller = person("sales")

    assert exam_refusal([standing_of(CERTIFICATION, seller),
                         standing_of(for_sales, seller)]) is None
    assert exam_refusal([]) is None


# --- What an attempt led to -------------------------------------------------------------------


def test_the_pass_that_awarded_it_is_earned_and_a_later_period_renewed():
    passed_at = NOW - DAY
    first = standing_of(CERTIFICATION, person(held={"cie": award(issued=passed_at)}))
    second = standing_of(CERTIFICATION, person(held={"cie": award(period=2,
                                                                  issued=passed_at)}))

    assert outcome(first, True, passed_at, NOW) == Outcome.EARNED
    assert outcome(second, True, passed_at, NOW) == Outcome.RENEWED
    # Another pass than the one that awarded it: held, no celebration.
    assert outcome(first, True, passed_at - DAY, NOW) == Outcome.HELD
    assert outcome(first, False, NOW, NOW) == Outcome.HELD


def test_a_pass_with_open_criteria_waits_and_one_out_of_reach_says_so():
    waiting = standing_of(CERTIFICATION, person(quizzes={EXAM: exam(91, True)}))
    seller = standing_of(CERTIFICATION, person("sales", quizzes={EXAM: exam(91, True)}))

    assert outcome(waiting, True, NOW, NOW) == Outcome.WAITING
    assert outcome(seller, True, NOW, NOW) == Outcome.OUT_OF_REACH
    assert outcome(waiting, False, NOW, NOW) == Outcome.NOT_PASSED


def test_revoked_expired_and_vendor_outcomes():
    revoked = standing_of(CERTIFICATION, person(held={"cie": award(revoked=True)}))
    expired = standing_of(CERTIFICATION, person(held={"cie": award(
        issued=NOW - 800 * DAY, expires=NOW - 70 * DAY)}))
    vendor = standing_of(CERTIFICATION, person(None, partner=False))

    assert outcome(revoked, True, NOW, NOW) == Outcome.REVOKED
    assert outcome(expired, False, NOW, NOW) == Outcome.EXPIRED
    assert expired.held_status(NOW) == HeldStatus.EXPIRED
    assert outcome(vendor, True, NOW, NOW) == Outcome.PREVIEW


def test_an_award_expires_at_its_expiry_moment():
    held = award(expires=NOW)

    assert held.status(NOW - timedelta(seconds=1)) == HeldStatus.VALID
    assert held.status(NOW) == HeldStatus.EXPIRED
    assert award(expires=None).status(NOW + 9000 * DAY) == HeldStatus.VALID


# --- The holding on the quiz list -------------------------------------------------------------


def test_the_holding_shown_is_the_valid_one_that_lasts_longest():
    short = award(expires=NOW + 10 * DAY)
    long = award(expires=NOW + 500 * DAY)
    forever = award(expires=None)
    lapsed = award(issued=NOW - 800 * DAY, expires=NOW - DAY)
    revoked = award(revoked=True, expires=NOW + 900 * DAY)

    assert best_holding([short, long, lapsed, revoked], NOW) is long
    assert best_holding([short, forever], NOW) is forever
    assert best_holding([lapsed, revoked], NOW) is None
    assert latest_lapsed([lapsed, revoked], NOW) is lapsed
    assert latest_lapsed([revoked, short], NOW) is None
