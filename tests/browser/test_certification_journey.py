"""The certification promise, kept in a real browser (issue 17): a Kumo Works engineer sees
up front what NCIE takes, passes the exam before the course, is told "Passed — complete
<course> to receive <credential>", follows the link, completes the course, and the award
follows by itself: celebrated, shareable from My credentials, and valid with its criteria on
the public page. A salesperson is refused the exam with the reason.

The real program (the demo content the live server syncs). The exam and quiz answers come
from quizzes/*.toml, never from the page. Dates are read from the award, never from today.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from lms.clock import local_date, utcnow
from lms.credentials import baking
from lms.credentials.service import recipient_identity
from lms.database import start_write_transaction
from lms.extensions import db
from lms.models import (
    Award,
    Course,
    Credential,
    JobFunction,
    Lesson,
    LessonProgress,
    Organization,
    Quiz,
    Role,
    User,
)
from lms.quizzes.scoring import QUESTION_TYPES
from lms.quizzes.service import clean_answers, snapshot_question, start_attempt, submit_attempt
from tests.browser.helpers import (
    ENGLISH,
    answer_correctly,
    complete_lessons,
    pass_quiz_from_its_page,
    sign_in,
)
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

NCIE = "Nimbus Certified Implementation Engineer (NCIE)"
NCIE_SLUG = "nimbus-certified-implementation-engineer"
EXAM = "nimbus-certified-engineer-exam"
EXAM_TITLE = "Nimbus Certified Implementation Engineer"  # the exam's title in its TOML
COURSE = "Nimbus CRM Implementation"
COURSE_SLUG = "nimbus-crm-implementation"
COURSE_QUIZ = "nimbus-crm-implementation-quiz"
COURSE_BADGE = "Nimbus CRM Implementation"  # the badge the course and its quiz earn
PREREQUISITE = "partner-program-essentials"
PREREQUISITE_QUIZ = "partner-program-essentials-quiz"


def _lessons_of(course_slug: str) -> list[Lesson]:
    return list(db.session.scalars(
        db.select(Lesson).join(Course).where(Course.slug == course_slug,
                                             Lesson.archived_at.is_(None))
        .order_by(Lesson.position)))


def kumo_works_person(live_server, job: JobFunction, prefix: str) -> str:
    """A new member of Kumo Works with `job`; their email."""
    with live_server.app.app_context():
        start_write_transaction()  # the server may write meanwhile
        org = db.session.scalar(db.select(Organization).where(
            Organization.slug == "kumo-works"))
        user = make_user(Role.MEMBER, org, job=job, name=f"{prefix.title()} Journey",
                         email=f"{prefix}.{uuid.uuid4().hex[:10]}@kumo-works.example")
        email = user.email
        db.session.remove()
    return email


def engineer_past_the_prerequisite(live_server) -> tuple[str, int]:
    """A new Kumo Works engineer who completed Partner Program Essentials a week ago (its
    lessons, and its quiz passed through the quiz service, which awards its badge), so the
    implementation course is open to them: (their email, the lessons of that course)."""
    email = kumo_works_person(live_server, JobFunction.TECHNICAL, "engineer")
    with live_server.app.app_context():
        start_write_transaction()
        user = db.session.scalar(db.select(User).where(User.email == email))
        week_ago = utcnow() - timedelta(days=7)
        for index, lesson in enumerate(_lessons_of(PREREQUISITE)):
            when = week_ago + timedelta(minutes=index)
            db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=when,
                                          last_viewed_at=when, completed_at=when))
        db.session.commit()
        quiz = db.session.scalar(db.select(Quiz).where(Quiz.slug == PREREQUISITE_QUIZ))
        attempt = start_attempt(user, quiz, now=week_ago + timedelta(hours=1),
                                rng=random.Random(17))
        right = {}
        for data in attempt.questions:
            question = snapshot_question(data)
            right[f"q-{question.id}"] = QUESTION_TYPES[question.type].sample_answer(question)
        attempt.answers = clean_answers(attempt, right)
        submitted = submit_attempt(user, attempt.id, None,
                                   now=week_ago + timedelta(hours=1, minutes=10))
        assert submitted is not None and submitted.passed, "the prerequisite's quiz is passed"
        db.session.commit()
        lessons = len(_lessons_of(COURSE_SLUG))
        db.session.remove()
    assert lessons, f"the content has the course {COURSE_SLUG}"
    return email, lessons


def ncie_award(live_server, email: str) -> Award | None:
    """The engineer's NCIE award, read afresh (detached), or None."""
    with live_server.app.app_context():
        award = db.session.scalar(
            db.select(Award).join(Credential).join(User, Award.user_id == User.id)
            .where(User.email == email, Credential.slug == NCIE_SLUG))
        if award is not None:
            db.session.expunge(award)
        db.session.remove()
    return award


def criteria_card(page: Page):
    return page.get_by_role("region", name=f"This exam counts toward {NCIE}")


def open_the_exam(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Quizzes & exams").click()
    page.get_by_role("link", name=EXAM_TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(EXAM_TITLE)


def test_an_engineer_passes_the_exam_then_completes_the_course_and_the_award_follows(
        open_page, live_server, screenshot, tmp_path):
    email, lessons = engineer_past_the_prerequisite(live_server)
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, email, PASSWORD)

    # The exam says up front what NCIE takes, with the engineer's standing on each criterion.
    open_the_exam(page)
    criteria = criteria_card(page)
    expect(criteria).to_contain_text("To earn it, meet every criterion:")
    course = criteria.locator("li[data-criterion=course]")
    expect(course).to_have_attribute("data-state", "not_started")
    expect(course).to_contain_text(f"Complete the course {COURSE}")
    expect(course).to_contain_text(f"0 of {lessons} lessons")
    exam = criteria.locator("li[data-criterion=quiz]")
    expect(exam).to_contain_text("Pass this exam")
    expect(exam).to_contain_text("Not taken yet · pass mark 75%")
    job = criteria.locator("li[data-criterion=job_function]")
    expect(job).to_have_attribute("data-state", "met")
    expect(job).to_contain_text("Job function: Technical")
    expect(job).to_contain_text("Yours is Technical.")
    also = criteria.locator(".also-needed")
    expect(also.get_by_role("heading", name="You will also need")).to_be_visible()
    expect(also.get_by_role("listitem")).to_have_text(
        [f"to complete {COURSE} (0 of {lessons} lessons)"])
    expect(also.get_by_role("link", name=COURSE)).to_have_attribute(
        "href", f"/courses/{COURSE_SLUG}")
    start = page.get_by_role("button", name="Start the exam")
    expect(start).to_be_visible()  # not refused: what is missing can still be done
    screenshot(page, "browser-exam-criteria.png")

    # Sits the exam before the course and passes it: told what is missing, with the link.
    start.click()
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"Time left:\s*\d+:[0-5]\d"))
    assert answer_correctly(page, EXAM, ENGLISH) == 12
    expect(page.get_by_text(ENGLISH.saved, exact=True)).to_be_visible()
    page.get_by_role("button", name=ENGLISH.submit).click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+/result$"))
    exam_result_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH.passed)
    expect(page.get_by_role("main")).to_contain_text("100%")
    waiting = page.get_by_role(
        "heading", name=f"Passed — complete {COURSE} to receive {NCIE}")
    expect(waiting).to_be_visible()
    expect(page.locator(".outcome[data-outcome=waiting]")).to_contain_text(
        f"0 of {lessons} lessons done. The credential is awarded by itself as soon as the "
        "course is complete.")
    expect(page.locator(".celebration")).to_have_count(0)
    screenshot(page, "browser-exam-passed-course-missing.png")
    assert ncie_award(live_server, email) is None, "nothing awarded before the course"

    # Follows the link to the course (open: its prerequisite is done) and does its lessons.
    waiting.get_by_role("link", name=COURSE).click()
    expect(page).to_have_url(re.compile(rf"/courses/{COURSE_SLUG}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.get_by_text("Locked.")).to_have_count(0)
    assert complete_lessons(page, ENGLISH) == lessons
    assert ncie_award(live_server, email) is None, "the course needs its quiz passed too"

    # Its quiz completes the course, and that awards NCIE by itself: celebrated on the spot.
    page.get_by_role("link", name=ENGLISH.take_quiz).click()
    pass_quiz_from_its_page(page, COURSE_QUIZ, ENGLISH)
    award = ncie_award(live_server, email)
    assert award is not None, "completing the course awards NCIE (the exam was passed)"
    assert award.revoked_at is None and award.period == 1
    code = award.verification_code
    celebration = page.locator(".celebration").filter(
        has=page.get_by_role("heading", name=f"You earned {NCIE}"))
    expect(celebration).to_be_visible()
    expect(celebration).to_contain_text(re.compile(r"Valid until .+\."))
    expect(celebration.get_by_role("link", name="Public verification page")).to_have_attribute(
        "href", f"/verify/{code}")
    expect(page.get_by_role("heading", name=f"You earned {COURSE_BADGE}")).to_be_visible()
    screenshot(page, "browser-result-earned.png")

    # The exam's pages now say it is held; the quiz list says until when.
    page.goto(exam_result_url)
    expect(page.locator(".outcome[data-outcome=held]")).to_contain_text(
        re.compile(rf"You hold {re.escape(NCIE)}, valid until .+\."))
    expect(page.get_by_role("heading", name=re.compile("^Passed — complete"))).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Quizzes & exams").click()
    exam_row = page.get_by_role("row").filter(
        has=page.get_by_role("link", name=EXAM_TITLE, exact=True))
    expect(exam_row).to_contain_text(re.compile(rf"Held until .+{re.escape(NCIE)}"))

    # My credentials: NCIE valid, with its share actions.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="My credentials").click()
    card = page.locator("article").filter(has=page.get_by_role("heading", name=NCIE))
    expect(card.get_by_text("Valid", exact=True)).to_be_visible()
    share = card.get_by_role("region", name="Share")
    verify_url = f"{live_server.url}/verify/{code}"

    linkedin = share.get_by_role("link", name="Add to LinkedIn profile")
    expect(linkedin).to_have_attribute("target", "_blank")
    href = linkedin.get_attribute("href")
    parts = urlsplit(href)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https", "www.linkedin.com", "/profile/add"), href
    with live_server.app.app_context():  # the days in the program's time zone
        issued, expires = local_date(award.issued_at), local_date(award.expires_at)
    assert parse_qs(parts.query, strict_parsing=True) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": [NCIE],
        "organizationName": [live_server.app.config["LMS_ISSUER_NAME"]],
        "issueYear": [str(issued.year)], "issueMonth": [str(issued.month)],
        "expirationYear": [str(expires.year)], "expirationMonth": [str(expires.month)],
        "certUrl": [verify_url],
        "certId": [code],
    }, href

    expect(share.get_by_label("Public link for anyone to verify it")).to_have_value(verify_url)
    share.get_by_role("button", name="Copy link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == verify_url

    with page.expect_download() as info:
        share.get_by_role("link", name="Download badge image").click()
    download = info.value
    assert download.suggested_filename == f"{NCIE_SLUG}.svg"
    saved = Path(tmp_path / download.suggested_filename)
    download.save_as(saved)
    baked = json.loads(baking.read_svg(saved.read_bytes()))
    assert baked == page.request.get(f"/verify/{code}.json").json()
    assert baked["badge"] == f"{live_server.url}/badges/{NCIE_SLUG}.json"
    assert baked["recipient"]["identity"] == recipient_identity(
        email, baked["recipient"]["salt"]), "the baked badge names this engineer"

    # Anyone, signed out, opens the public link: valid, with what it means and takes.
    visitor = open_page()
    visitor.goto(verify_url)
    expect(visitor.get_by_role("heading", level=1)).to_have_text(NCIE)
    expect(visitor.get_by_role("button", name="Sign out")).to_have_count(0)
    main = visitor.get_by_role("main")
    expect(main.get_by_text("Valid", exact=True)).to_be_visible()
    expect(main).to_contain_text(
        f"{live_server.app.config['LMS_ISSUER_NAME']} confirms that Engineer Journey holds "
        "this credential.")
    expect(visitor.get_by_role("region", name="What this credential means")).to_contain_text(
        "passing a timed, closed-book exam")
    earned_by = visitor.get_by_role("region", name="How it is earned")
    for shown in (COURSE, EXAM_TITLE, "Technical", "24 months"):
        expect(earned_by).to_contain_text(shown)


def test_a_salesperson_is_refused_the_engineers_exam_with_the_reason(
        open_page, live_server, screenshot):
    email = kumo_works_person(live_server, JobFunction.SALES, "seller")
    page = open_page()
    sign_in(page, email, PASSWORD)
    open_the_exam(page)

    expect(page.get_by_role("heading", name="Not open to you")).to_be_visible()
    expect(page.locator(".lock-note")).to_have_text(
        f"{NCIE} is only for people whose job function is Technical; yours is Sales, so "
        "passing this exam could not earn it. If your job function is wrong, ask your "
        "company's partner admin to change it.")
    expect(page.get_by_role("button", name="Start the exam")).to_have_count(0)
    criteria = criteria_card(page)
    expect(criteria).to_contain_text(f"You cannot earn {NCIE} with your job function: see below.")
    job = criteria.locator("li[data-criterion=job_function]")
    expect(job).to_have_attribute("data-state", "wrong_job")
    expect(job).to_contain_text("Yours is Sales. Your company's partner admin can change it "
                                "if it is wrong.")
    expect(criteria.get_by_role("heading", name="You will also need")).to_have_count(0)
    screenshot(page, "browser-exam-refused-sales.png")
