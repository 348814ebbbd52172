"""A person's real standing on credentials, over HTTP (issue 17): the criteria on the intro
page of every quiz and exam that counts toward a credential, the exam refused to someone who
could never earn it, the result page saying what happened and what comes next, the award
that follows by itself when the open criteria are met later, and the quiz list and home
reflecting what the person holds and what blocks them."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from lms.dates import format_datetime
from lms.extensions import db
from lms.models import (
    Attempt,
    Award,
    Credential,
    JobFunction,
    LessonProgress,
    Role,
    User,
    utcnow,
)
from tests.factories import count_queries, login, make_org, make_user
from tests.factories.certification import (
    CERTIFICATION,
    CERTIFICATION_NAME,
    CERTIFICATION_NAME_JA,
    ESSENTIALS,
    ESSENTIALS_BADGE,
    ESSENTIALS_JA,
    ESSENTIALS_QUIZ,
    EXAM,
    IMPLEMENTATION,
    IMPLEMENTATION_BADGE,
    IMPLEMENTATION_BADGE_NAME,
    IMPLEMENTATION_QUIZ,
    Walker,
    attempts_count,
    awards_of,
    sync_program,
    write_program,
)

BASE = "https://academy.example"


@pytest.fixture
def make_program(make_app, tmp_path):
    """An app on the demo-like program (synced), its context pushed while the test runs."""
    contexts = []

    def factory(**options):
        app = make_app(**write_program(tmp_path, **options), LMS_BASE_URL=BASE)
        context = app.app_context()
        context.push()
        contexts.append(context)
        sync_program()
        return app

    yield factory
    while contexts:
        contexts.pop().pop()


@pytest.fixture
def program(make_program):
    return make_program()


def engineer(**kw) -> User:
    return make_user(Role.MEMBER, job=JobFunction.TECHNICAL, **kw)


def walk(app, user: User) -> Walker:
    client = app.test_client()
    assert login(client, user).status_code == 302, user.email
    return Walker(client)


def criterion(html: str, kind: str, credential: str = CERTIFICATION) -> tuple[str, str]:
    """(state, text) of one criterion of one credential's card on a page."""
    card = re.search(rf'<section class="card credential-criteria" '
                     rf'aria-labelledby="criteria-{credential}">(.*?)</section>', html, re.S)
    assert card, f"no criteria of {credential}"
    item = re.search(rf'<li class="criterion [^"]*" data-criterion="{kind}" '
                     rf'data-state="([a-z_]+)">(.*?)</li>', card.group(1), re.S)
    assert item, f"no {kind} criterion of {credential}"
    body = item.group(2).split('<div class="criterion-body">', 1)[1]
    return item.group(1), text_of(body)


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&#39;", "'")


def also_needed(html: str) -> list[str]:
    block = re.search(r'<div class="also-needed">(.*?)</div>', html, re.S)
    return [text_of(li) for li in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] \
        if block else []


def counts() -> tuple[int, int, int]:
    """Attempts, awards and lesson progress rows: what a refused start must leave alone."""
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Attempt, Award, LessonProgress))


def shown_date(app, moment) -> str:
    with app.test_request_context():
        return format_date(moment)


def shown_datetime(app, moment) -> str:
    with app.test_request_context():
        return format_datetime(moment)


# --- The criteria on the intro page -----------------------------------------------------------


def test_the_exam_shows_every_criterion_of_its_certification_before_anything_is_done(program):
    html = walk(program, engineer()).html(f"/quizzes/{EXAM}")

    assert f"This exam counts toward {CERTIFICATION_NAME}" in html
    state, text = criterion(html, "course")
    assert state == "locked"
    assert "Complete the course CRM Implementation" in text
    assert "0 of 4 lessons" in text
    assert "Locked until you complete: Partner Program Essentials" in text
    assert f'<a href="/courses/{IMPLEMENTATION}">CRM Implementation</a>' in html
    assert f'<a href="/courses/{ESSENTIALS}">Partner Program Essentials</a>' in html
    assert criterion(html, "quiz") == ("not_taken", "Pass this exam Not taken yet · pass mark 75%")
    assert criterion(html, "job_function") == (
        "met", "Job function: Technical Yours is Technical.")
    assert also_needed(html) == ["to complete CRM Implementation (0 of 4 lessons)"]
    assert "Start the exam</button>" in html  # the exam itself may be sat first


def test_a_course_in_progress_shows_its_lessons_done_of_all(program):
    walker = walk(program, engineer())
    walker.complete_course(ESSENTIALS)
    walker.complete_lessons(IMPLEMENTATION, 3)

    html = walker.html(f"/quizzes/{EXAM}")

    state, text = criterion(html, "course")
    assert state == "in_progress"
    assert "3 of 4 lessons · then its quiz CRM Implementation quiz" in text
    assert '<progress max="4" value="3"' in html
    assert also_needed(html) == ["to complete CRM Implementation (3 of 4 lessons)"]


def test_lessons_done_but_the_course_quiz_failed_says_so_with_the_score(program):
    walker = walk(program, engineer())
    walker.complete_course(ESSENTIALS)
    walker.complete_lessons(IMPLEMENTATION)
    walker.take(IMPLEMENTATION_QUIZ, right=2)

    html = walker.html(f"/quizzes/{EXAM}")

    state, text = criterion(html, "course")
    assert state == "quiz_pending"
    assert ("All 4 lessons done: pass the course quiz CRM Implementation quiz to complete "
            "it. Not passed: your best is 50%, the pass mark 80%.") in text


def test_a_failed_quiz_shows_the_best_score_against_the_pass_mark(program):
    walker = walk(program, engineer())
    walker.complete_course(ESSENTIALS)
    walker.complete_lessons(IMPLEMENTATION)
    walker.take(IMPLEMENTATION_QUIZ, right=2)
    walker.take(IMPLEMENTATION_QUIZ, right=3)
    walker.take(IMPLEMENTATION_QUIZ, right=1)

    html = walker.html(f"/quizzes/{IMPLEMENTATION_QUIZ}")

    assert f"This quiz counts toward {IMPLEMENTATION_BADGE_NAME}" in html
    assert criterion(html, "quiz", IMPLEMENTATION_BADGE) == (
        "failed", "Pass this quiz Not passed: your best is 75%, the pass mark 80%.")
    # Passing this quiz completes the course too: nothing else is needed.
    assert also_needed(html) == []


def test_a_failed_exam_shows_in_its_criteria_and_on_its_result(program):
    walker = walk(program, engineer())
    attempt_id = walker.take(EXAM, right=2)

    intro = walker.html(f"/quizzes/{EXAM}")
    result = walker.html(f"/attempts/{attempt_id}/result")

    assert criterion(intro, "quiz")[0] == "failed"
    assert "Not passed: your best is 50%, the pass mark 75%." in criterion(intro, "quiz")[1]
    assert "<h1>Not passed</h1>" in result
    assert "The pass mark is 75%; you scored 50%." in result
    submitted = db.session.get(Attempt, attempt_id).submitted_at
    retry = shown_datetime(program, submitted + timedelta(minutes=1440))
    assert f"You can take it again from {retry}." in result
    assert f"Pass this exam to earn {CERTIFICATION_NAME}." in text_of(result)


def test_the_result_of_a_failed_quiz_says_a_retake_is_possible_now(program):
    walker = walk(program, engineer())
    walker.complete_lessons(ESSENTIALS)
    attempt_id = walker.take(ESSENTIALS_QUIZ, right=3)

    result = walker.html(f"/attempts/{attempt_id}/result")

    assert "The pass mark is 80%; you scored 75%." in result
    assert "You can take it again now." in result
    assert f'href="/quizzes/{ESSENTIALS_QUIZ}">Retake the quiz</a>' in result


def test_the_exam_criteria_in_the_persons_language(program):
    walker = walk(program, engineer(locale="ja"))

    html = walker.html(f"/quizzes/{EXAM}")
    refused = walk(program, make_user(Role.MEMBER, job=JobFunction.SALES, locale="ja"))
    refused.client.post(f"/quizzes/{EXAM}")

    assert f'<a href="/courses/{ESSENTIALS_JA}">パートナープログラムの基本</a>' in html
    assert CERTIFICATION_NAME_JA in html and CERTIFICATION_NAME not in html
    flash = re.search(r'<p class="flash flash-error">([^<]*)</p>',
                      refused.html(f"/quizzes/{EXAM}"))
    assert flash and CERTIFICATION_NAME_JA in flash.group(1)


# --- Refused: a job function the person does not have -----------------------------------------


@pytest.mark.parametrize(("job", "reason"), [
    (JobFunction.SALES, f"{CERTIFICATION_NAME} is only for people whose job function is "
                        "Technical; yours is Sales, so passing this exam could not earn it."),
    (None, f"{CERTIFICATION_NAME} is only for people whose job function is Technical, and "
           "your profile has no job function: passing this exam could not earn it."),
])
def test_an_exam_the_person_could_never_earn_from_is_refused_with_the_reason(program, job,
                                                                            reason):
    person = make_user(Role.MEMBER, job=job)
    walker = walk(program, person)
    intro = walker.html(f"/quizzes/{EXAM}")
    before = counts()

    response = walker.client.post(f"/quizzes/{EXAM}")
    after = walker.html(f"/quizzes/{EXAM}")

    assert counts() == before  # nothing created, nothing changed
    assert attempts_count(person.id) == 0
    assert response.status_code == 302
    assert response.headers["Location"] == f"/quizzes/{EXAM}"
    flash = re.search(r'<p class="flash flash-error">([^<]*)</p>', after)
    assert flash and reason in text_of(flash.group(1))
    for page in (intro, after):
        assert "<h2>Not open to you</h2>" in page
        assert reason in text_of(page)
        assert "Start the exam</button>" not in page
        assert criterion(page, "job_function")[0] == ("wrong_job" if job else "no_job")
        assert also_needed(page) == []  # nothing else would help


def test_the_wording_for_no_job_function_and_a_wrong_one(program):
    none = walk(program, make_user(Role.MEMBER, job=None)).html(f"/quizzes/{EXAM}")
    sales = walk(program, make_user(Role.MEMBER, job=JobFunction.SALES)).html(
        f"/quizzes/{EXAM}")

    assert criterion(none, "job_function")[1] == (
        "Job function: Technical Your profile has no job function. Your company's partner "
        "admin can set it.")
    assert criterion(sales, "job_function")[1] == (
        "Job function: Technical Yours is Sales. Your company's partner admin can change it "
        "if it is wrong.")


def test_a_course_quiz_of_a_job_badge_stays_open_to_other_job_functions(program):
    """Quizzes are for learning: only certification exams are refused."""
    seller = walk(program, make_user(Role.MEMBER, job=JobFunction.SALES))
    seller.complete_course(ESSENTIALS)
    seller.complete_lessons(IMPLEMENTATION)

    html = seller.html(f"/quizzes/{IMPLEMENTATION_QUIZ}")

    assert criterion(html, "job_function", IMPLEMENTATION_BADGE)[0] == "wrong_job"
    assert "Start</button>" in html
    seller.take(IMPLEMENTATION_QUIZ)


def test_a_new_job_function_earns_what_was_already_done(program):
    """A seller who did the implementation work becomes an engineer: the badge follows."""
    seller_user = make_user(Role.MEMBER, job=JobFunction.SALES)
    seller = walk(program, seller_user)
    seller.complete_course(ESSENTIALS)
    seller.complete_course(IMPLEMENTATION)
    assert awards_of(seller_user.id, IMPLEMENTATION_BADGE) == []
    partner_admin = walk(program, make_user(Role.PARTNER_ADMIN, seller_user.organization))

    saved = partner_admin.client.post(f"/admin/users/{seller_user.id}",
                                      data={"job_function": "technical"})

    assert saved.status_code == 302
    assert [a.credential.slug for a in awards_of(seller_user.id, IMPLEMENTATION_BADGE)] == [
        IMPLEMENTATION_BADGE]
    assert IMPLEMENTATION_BADGE_NAME in seller.html("/credentials")


def test_vendor_staff_see_the_criteria_without_a_standing_and_are_not_refused(program):
    manager = walk(program, make_user(Role.MANAGER))

    html = manager.html(f"/quizzes/{EXAM}")

    assert "Credentials are awarded to the people of partner companies." in html
    assert 'data-state="preview"' in html
    assert "Your profile has no job function" not in html
    assert "Start the exam</button>" in html


# --- Everything met: earned, with a moment of celebration -------------------------------------


def test_all_criteria_met_then_the_exam_earns_the_certification(program):
    person = engineer()
    walker = walk(program, person)
    walker.complete_course(ESSENTIALS)
    walker.complete_course(IMPLEMENTATION)
    intro = walker.html(f"/quizzes/{EXAM}")

    attempt_id = walker.take(EXAM)
    result = walker.html(f"/attempts/{attempt_id}/result")

    assert criterion(intro, "course")[0] == "met"
    assert also_needed(intro) == []
    (award,) = awards_of(person.id, CERTIFICATION)
    assert award.issued_at == db.session.get(Attempt, attempt_id).submitted_at
    assert "<h1>Passed</h1>" in result
    assert '<section class="card celebration">' in result
    assert f"You earned {CERTIFICATION_NAME}" in result
    assert f"Valid until {shown_date(program, award.expires_at)}." in result
    assert 'href="/credentials"' in result
    assert f'href="/verify/{award.verification_code}"' in result
    assert CERTIFICATION_NAME in walker.html("/credentials")


def test_the_course_quiz_that_completes_the_course_announces_every_credential_it_earned(
        program):
    person = engineer()
    walker = walk(program, person)
    walker.take(EXAM)
    walker.complete_course(ESSENTIALS)
    walker.complete_lessons(IMPLEMENTATION)

    attempt_id = walker.take(IMPLEMENTATION_QUIZ)
    result = walker.html(f"/attempts/{attempt_id}/result")

    assert f"You earned {IMPLEMENTATION_BADGE_NAME}" in result
    assert f"You earned {CERTIFICATION_NAME}" in result  # through the course it completed
    assert result.count('<section class="card celebration">') == 2


def test_the_celebration_is_css_only_and_still_when_motion_is_reduced(program):
    walker = walk(program, engineer())
    walker.complete_course(ESSENTIALS)
    walker.complete_course(IMPLEMENTATION)
    result = walker.html(f"/attempts/{walker.take(EXAM)}/result")
    css = (Path(program.static_folder) / "css" / "standing.css").read_text(encoding="utf-8")

    assert '<link rel="stylesheet" href="/static/css/standing.css">' in result
    celebration = result.split('<section class="card celebration">', 1)[1].split(
        "</section>", 1)[0]
    assert "<script" not in celebration and "style=" not in celebration
    assert "@keyframes" in css
    reduced = css.split("@media (prefers-reduced-motion: reduce)", 1)[1]
    assert "animation: none" in reduced


# --- Passed, course missing: the award follows by itself --------------------------------------


@pytest.mark.parametrize("course_quiz", [False, True])
def test_passed_exam_then_the_course_completed_later_awards_by_itself(make_program,
                                                                      course_quiz):
    app = make_program(implementation_quiz=course_quiz)
    person = engineer()
    walker = walk(app, person)

    attempt_id = walker.take(EXAM, right=4)
    result = walker.html(f"/attempts/{attempt_id}/result")
    intro = walker.html(f"/quizzes/{EXAM}")

    assert awards_of(person.id) == []
    assert "No badges or certifications yet" in walker.html("/credentials")
    assert (f"Passed — complete CRM Implementation to receive {CERTIFICATION_NAME}"
            in text_of(result))
    assert f'<a href="/courses/{IMPLEMENTATION}">CRM Implementation</a>' in result
    # The bug of issue 17: right after a pass, the exam said "Not available now".
    assert "Not available now" not in intro
    assert "try again" not in intro
    assert '<h2><span class="status status-ok">Passed</span></h2>' in intro
    assert (f"Passed — complete CRM Implementation to receive {CERTIFICATION_NAME}"
            in text_of(intro))

    walker.complete_course(ESSENTIALS)
    walker.complete_lessons(IMPLEMENTATION, 3)
    assert awards_of(person.id, CERTIFICATION) == []
    walker.complete_lessons(IMPLEMENTATION)  # the last lesson
    if course_quiz:
        assert awards_of(person.id, CERTIFICATION) == []  # its quiz completes the course
        walker.take(IMPLEMENTATION_QUIZ)

    (award,) = awards_of(person.id, CERTIFICATION)
    mine = walker.html("/credentials")
    assert CERTIFICATION_NAME in mine
    assert f'/verify/{award.verification_code}' in mine
    until = shown_date(app, award.expires_at)
    assert (f"You hold {CERTIFICATION_NAME}, valid until {until}."
            in walker.html(f"/attempts/{attempt_id}/result"))
    assert f"You hold {CERTIFICATION_NAME}, valid until {until}." in walker.html(
        f"/quizzes/{EXAM}")


def test_a_passed_exam_is_not_started_again(program):
    person = engineer()
    walker = walk(program, person)
    attempt_id = walker.take(EXAM)
    before = counts()

    response = walker.client.post(f"/quizzes/{EXAM}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/quizzes/{EXAM}"
    assert counts() == before
    passed_at = db.session.get(Attempt, attempt_id).submitted_at
    assert (f"You passed this exam on {shown_datetime(program, passed_at)}: there is no need "
            "to take it again.") in walker.html(f"/quizzes/{EXAM}")


def test_a_passed_quiz_can_be_taken_again(program):
    walker = walk(program, engineer())
    walker.complete_lessons(ESSENTIALS)
    walker.take(ESSENTIALS_QUIZ)

    html = walker.html(f"/quizzes/{ESSENTIALS_QUIZ}")

    assert '<h2><span class="status status-ok">Passed</span></h2>' in html
    assert "Take it again</button>" in html
    walker.take(ESSENTIALS_QUIZ)


# --- The quiz list and home -------------------------------------------------------------------


def list_status(html: str, slug: str) -> str:
    row = re.search(rf'<td><a href="/quizzes/{slug}">[^<]*</a></td>\s*<td>.*?</td>\s*'
                    r"<td>(.*?)</td>", html, re.S)
    assert row, slug
    return text_of(row.group(1))


def give(user: User, slug: str, **fields) -> Award:
    credential = db.session.scalar(select(Credential).where(Credential.slug == slug))
    award = Award(user_id=user.id, credential_id=credential.id, period=1, **fields)
    db.session.add(award)
    db.session.commit()
    return award


def test_the_quiz_list_shows_held_until_for_a_valid_credential_not_not_taken(program):
    person = engineer()
    now = utcnow()
    # Certified before the portal recorded attempts (an import): no attempt at all.
    award = give(person, CERTIFICATION, issued_at=now - timedelta(days=30),
                 expires_at=now + timedelta(days=700))
    walker = walk(program, person)

    html = walker.html("/quizzes")

    assert list_status(html, EXAM) == (
        f"Held until {shown_date(program, award.expires_at)} {CERTIFICATION_NAME}")
    assert list_status(html, ESSENTIALS_QUIZ) == "Not taken"


def test_the_quiz_list_shows_a_badge_held_and_an_expired_certification(program):
    person = engineer()
    now = utcnow()
    expired = give(person, CERTIFICATION, issued_at=now - timedelta(days=800),
                   expires_at=now - timedelta(days=70))
    give(person, ESSENTIALS_BADGE, issued_at=now - timedelta(days=5))

    html = walk(program, person).html("/quizzes")

    assert list_status(html, EXAM) == (
        f"Expired on {shown_date(program, expired.expires_at)} {CERTIFICATION_NAME}")
    assert list_status(html, ESSENTIALS_QUIZ) == "Held Program Essentials"


def test_a_revoked_credential_is_not_shown_as_held(program):
    person = engineer()
    now = utcnow()
    give(person, CERTIFICATION, issued_at=now - timedelta(days=5),
         expires_at=now + timedelta(days=700), revoked_at=now, revoked_reason="error")

    assert list_status(walk(program, person).html("/quizzes"), EXAM) == "Not taken"


def next_step(html: str) -> str:
    card = re.search(r'<section class="card next-step">(.*?)</section>', html, re.S)
    assert card, "no next step"
    return card.group(1)


def test_home_says_retake_the_quiz_when_a_failed_quiz_is_the_blocker(program):
    walker = walk(program, engineer())
    walker.complete_lessons(ESSENTIALS)
    walker.take(ESSENTIALS_QUIZ, right=2)

    card = next_step(walker.html("/"))

    assert (f'<a class="button button-primary" href="/quizzes/{ESSENTIALS_QUIZ}">'
            "Retake the quiz</a>") in card
    assert "Your best on Program Essentials quiz is 50%; the pass mark is 80%." in card
    assert "Open the course" not in card


def test_home_says_take_the_quiz_when_only_the_quiz_is_left(program):
    walker = walk(program, engineer())
    walker.complete_lessons(ESSENTIALS)

    card = next_step(walker.html("/"))

    assert f'href="/quizzes/{ESSENTIALS_QUIZ}">Take the quiz</a>' in card
    assert "Retake" not in card and "Open the course" not in card


def test_home_continues_the_course_while_lessons_are_left(program):
    walker = walk(program, engineer())
    walker.complete_lessons(ESSENTIALS, 1)

    card = next_step(walker.html("/"))

    assert "Continue: Rules" in card
    assert "quiz" not in card.lower()


def test_a_holder_in_the_renewal_window_may_sit_the_exam_again(program):
    person = engineer()
    now = utcnow()
    walker = walk(program, person)
    walker.take(EXAM)  # certified by this pass long ago (moved back below), course aside
    award = give(person, CERTIFICATION, issued_at=now - timedelta(days=700),
                 expires_at=now + timedelta(days=30))
    db.session.execute(Attempt.__table__.update().values(
        started_at=now - timedelta(days=701), submitted_at=now - timedelta(days=700)))
    db.session.commit()

    html = walker.html(f"/quizzes/{EXAM}")

    assert (f"You hold {CERTIFICATION_NAME}, valid until "
            f"{shown_date(program, award.expires_at)}.") in html
    assert "Start the exam</button>" in html
    walker.start(EXAM)


def test_a_holder_before_the_renewal_window_is_told_when_it_opens(program):
    person = engineer()
    now = utcnow()
    give(person, CERTIFICATION, issued_at=now - timedelta(days=30),
         expires_at=now + timedelta(days=700))

    html = walk(program, person).html(f"/quizzes/{EXAM}")

    assert '<h2><span class="status status-ok">Held</span></h2>' in html
    assert "Your certification can be renewed from" in html
    assert "Not available now" not in html
    assert f"You hold {CERTIFICATION_NAME}" in html
    # What earned it, without "still open" marks for what the holder never needs again.
    assert "What earns it:" in html and "Still open:" not in html
    assert "Start the exam</button>" not in html


# --- One person's standing never shows another's ----------------------------------------------


def test_each_person_sees_only_their_own_standing(program):
    org = make_org()
    first, second = engineer(org=org), engineer(org=org)
    mine = walk(program, first)
    mine.complete_course(ESSENTIALS)
    mine.complete_course(IMPLEMENTATION)
    attempt_id = mine.take(EXAM)
    assert mine.html(f"/quizzes/{EXAM}").count("You hold") == 1  # the worker's copy is built

    theirs = walk(program, second)
    intro = theirs.html(f"/quizzes/{EXAM}")
    listing = theirs.html("/quizzes")
    home = theirs.html("/")

    assert criterion(intro, "quiz")[0] == "not_taken"
    assert criterion(intro, "course")[0] == "locked"
    assert "You hold" not in intro and "Passed" not in intro
    assert list_status(listing, EXAM) == "Not taken"
    assert "Held" not in listing
    assert "Partner Program Essentials" in next_step(home)
    assert theirs.client.get(f"/attempts/{attempt_id}/result").status_code == 404
    assert awards_of(second.id) == []


# --- Few queries, whatever the data -----------------------------------------------------------


def _intro_queries(app, people: int) -> int:
    for _ in range(people):  # others' progress, attempts and awards must not be read
        other = walk(app, engineer())
        other.complete_course(ESSENTIALS)
        other.take(EXAM)
    walker = walk(app, engineer())
    walker.complete_course(ESSENTIALS)
    walker.complete_lessons(IMPLEMENTATION, 2)
    walker.take(EXAM, right=1)
    walker.html(f"/quizzes/{EXAM}")  # the worker's copy of the content
    with count_queries() as queries:
        walker.html(f"/quizzes/{EXAM}")
    return queries.n


def test_the_exam_intro_reads_the_persons_standing_in_few_queries(program):
    few = _intro_queries(program, 0)
    many = _intro_queries(program, 4)

    assert few == many, (few, many)
    # The person, the quiz, its version, the person's attempts, the renewal period, the
    # content version; the standing: lessons and passes, best scores, awards.
    assert many <= 9


def test_home_with_a_failed_quiz_as_the_blocker_adds_one_query(program):
    blocked = walk(program, engineer())
    blocked.complete_lessons(ESSENTIALS)
    blocked.take(ESSENTIALS_QUIZ, right=2)
    going = walk(program, engineer())
    going.complete_lessons(ESSENTIALS, 2)
    for walker in (blocked, going):
        walker.html("/")

    measured = []
    for walker in (going, blocked):
        with count_queries() as queries:
            walker.html("/")
        measured.append(queries.n)

    assert measured[1] == measured[0] + 1
