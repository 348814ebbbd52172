"""Taking the timed certification exam in a real browser: the time left stays in view while
scrolling (desktop and phone), the navigator counts answers as they are given, screen readers
hear the time at 5 and 1 minutes, leaving with unsaved answers asks first, and the exam works
without JavaScript. The page's clock is Playwright's, driven by the test: no test waits for
real minutes, and none depends on today's date."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from lms.database import start_write_transaction
from lms.extensions import db
from lms.models import Attempt, JobFunction, Organization, Quiz, Role, utcnow
from lms.quizzes import service
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

EXAM = "nimbus-certified-engineer-exam"  # 12 questions drawn from 30, 30 minutes
QUESTIONS = 12
PHONE = {"width": 390, "height": 844}


def exam_in_progress(live_server) -> tuple[str, int]:
    """A new Kumo Works engineer with the exam just started: (their email, the attempt's id).

    The attempt is opened directly (the rules for starting it are tested elsewhere), with the
    server's clock: it has its full 30 minutes when the page first loads.
    """
    with live_server.app.app_context():
        # The server may write meanwhile: each transaction here reads under the write lock.
        start_write_transaction()
        org = db.session.scalar(db.select(Organization).where(
            Organization.slug == "kumo-works"))
        user = make_user(Role.MEMBER, org, job=JobFunction.TECHNICAL, name="Exam Taker",
                         email=f"exam.{uuid.uuid4().hex[:10]}@kumo-works.example")
        start_write_transaction()
        quiz = db.session.scalar(db.select(Quiz).where(Quiz.slug == EXAM))
        version = service.current_version(quiz)
        now = utcnow()
        attempt = Attempt(
            user_id=user.id, quiz_id=quiz.id, quiz_version_id=version.id, number=1,
            started_at=now, deadline_at=now + timedelta(minutes=version.time_limit_minutes),
            questions=service.draw_questions(version.questions, version.draw, version.shuffle,
                                             random.Random(17)),
            answers={})
        db.session.add(attempt)
        db.session.commit()
        email, attempt_id = user.email, attempt.id
        db.session.remove()
    return email, attempt_id


def answer(question) -> None:
    """Give some answer (right or wrong does not matter here) to one question's fieldset."""
    choices = question.locator("input[type=radio], input[type=checkbox]")
    if choices.count():
        choices.first.check()
    else:
        question.get_by_role("textbox").fill("42")


def timer_left(page: Page) -> str:
    return page.locator(".countdown-value").inner_text()


def assert_in_view_and_on_top(page: Page, bar_selector: str = ".exam-bar") -> None:
    """The bar is entirely inside the viewport, at its top."""
    box = page.locator(bar_selector).bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert 0 <= box["y"] <= 2, box
    assert box["y"] + box["height"] <= viewport["height"], box


def test_the_time_left_and_the_answered_count_stay_in_view_and_are_announced(
        open_page, live_server, screenshot):
    email, attempt_id = exam_in_progress(live_server)
    page = open_page(reduced_motion="reduce")  # jumps to a question land at once
    page.clock.install()
    sign_in(page, email, PASSWORD)
    page.goto(f"/attempts/{attempt_id}")

    timer = page.get_by_role("timer")
    expect(timer).to_contain_text(re.compile(r"Time left:\s*(29:[0-5]\d|30:00)"))
    progress = page.locator(".exam-bar").get_by_role("link", name=re.compile("^Answered"))
    expect(progress).to_have_text(f"Answered 0 of {QUESTIONS}")
    navigator = page.get_by_role("navigation", name="All questions")
    expect(navigator.get_by_role("link")).to_have_count(QUESTIONS)
    # The site navigation stepped back: no main menu, one quiet way out.
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(page.get_by_role("banner").get_by_role("link")).to_have_text(["Leave for now"])
    screenshot(page, "browser-exam-taking.png")

    # Scrolled to the end of the exam, the bar with the clock is still at the top.
    page.get_by_role("button", name="Submit for grading").scroll_into_view_if_needed()
    page.mouse.wheel(0, 4000)
    expect(page.locator("fieldset.question").first).not_to_be_in_viewport()
    expect(timer).to_be_in_viewport()
    assert_in_view_and_on_top(page)

    # From the navigator (on the right, in view too) to question 7: shown below the bar.
    expect(navigator).to_be_in_viewport()
    navigator.get_by_role("link", name="Question 7: not answered").click()
    seventh = page.locator("fieldset.question").nth(6)
    legend = seventh.locator("legend")
    expect(legend).to_be_in_viewport()
    bar_bottom = page.locator(".exam-bar").evaluate("e => e.getBoundingClientRect().bottom")
    assert legend.evaluate("e => e.getBoundingClientRect().top") >= bar_bottom, \
        "the question jumped to is not hidden under the bar"

    answer(seventh)
    expect(progress).to_have_text(f"Answered 1 of {QUESTIONS}")
    expect(navigator.get_by_role("link", name="Question 7: answered")).to_be_visible()
    expect(page.locator(".exam-bar").get_by_text("Saved", exact=True)).to_be_visible()
    answer(page.locator("fieldset.question").nth(0))
    expect(progress).to_have_text(f"Answered 2 of {QUESTIONS}")

    # Screen readers: nothing said until 5 minutes are left, then once; then at 1 minute.
    announcer = page.locator(".exam-announcer")
    expect(announcer).to_have_attribute("aria-live", "assertive")
    announcer.evaluate("""region => {
        window.announced = [];
        new MutationObserver(() => window.announced.push(region.textContent))
            .observe(region, {childList: true, characterData: true, subtree: true});
    }""")
    page.clock.fast_forward("24:40")  # about 5:15 left
    expect(timer).to_contain_text(re.compile(r"5:[01]\d"))
    expect(announcer).to_have_text("")
    page.clock.run_for(20_000)
    expect(announcer).to_have_text("5 minutes left.")
    expect(timer).to_have_class(re.compile(r"\bexam-timer-warning\b"))
    page.clock.run_for(10_000)
    expect(announcer).to_have_text("5 minutes left.")  # not updated every second
    page.clock.fast_forward("03:50")  # about 1:05 left
    page.clock.run_for(10_000)
    expect(announcer).to_have_text(
        "1 minute left. What you have answered is submitted when the time is up.")
    expect(timer).to_have_class(re.compile(r"\bcountdown-urgent\b"))
    assert page.evaluate("window.announced") == [
        "5 minutes left.",
        "1 minute left. What you have answered is submitted when the time is up.",
    ], "the region changed twice in 29 minutes, never in between"
    page.evaluate("window.scrollTo(0, 0)")  # a whole-page picture shows the bar where it sits
    screenshot(page, "browser-exam-last-minute.png")

    # At zero the page submits what was answered.
    page.clock.fast_forward("01:10")
    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}/result$"))


def test_on_a_phone_the_bar_stays_small_and_in_view(open_page, live_server, screenshot):
    email, attempt_id = exam_in_progress(live_server)
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    sign_in(page, email, PASSWORD)
    page.goto(f"/attempts/{attempt_id}")
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"\d+:[0-5]\d"))
    screenshot(page, "browser-exam-phone.png")

    bar = page.locator(".exam-bar")
    height = bar.bounding_box()["height"]
    assert height <= 0.12 * PHONE["height"], f"the bar takes {height}px of the phone's screen"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        "nothing wider than the phone"

    last = page.locator("fieldset.question").last
    last.scroll_into_view_if_needed()
    answer(last)
    expect(bar).to_be_in_viewport()
    assert_in_view_and_on_top(page)
    expect(bar.get_by_role("link", name=f"Answered 1 of {QUESTIONS}")).to_be_visible()
    # Tabbing onto a field never leaves it under the bar.
    page.locator("fieldset.question").nth(3).locator("legend").scroll_into_view_if_needed()
    page.get_by_role("link", name="Question 6: not answered").focus()
    page.locator("fieldset.question").nth(2).locator("input").first.focus()
    focused_top = page.evaluate("document.activeElement.getBoundingClientRect().top")
    assert focused_top >= bar.evaluate("e => e.getBoundingClientRect().bottom")


def test_leaving_asks_first_only_while_answers_are_unsaved(open_page, live_server):
    email, attempt_id = exam_in_progress(live_server)
    page = open_page()
    page.clock.install()
    sign_in(page, email, PASSWORD)
    page.goto(f"/attempts/{attempt_id}")
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"\d+:[0-5]\d"))
    dialogs = []

    def stay(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    # The clock stands still: the autosave (a timer) cannot run before the person leaves.
    page_now = datetime.fromtimestamp(page.evaluate("Date.now()") / 1000, UTC)
    page.clock.pause_at(page_now + timedelta(seconds=1))
    answer(page.locator("fieldset.question").nth(1))
    page.get_by_role("link", name="Leave for now").click()
    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}$"))
    assert dialogs == ["beforeunload"], dialogs

    page.clock.resume()
    expect(page.get_by_text("Saved", exact=True)).to_be_visible()
    page.get_by_role("link", name="Leave for now").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    assert dialogs == ["beforeunload"], "saved answers: no question asked"


def test_the_exam_works_without_javascript(open_page, live_server, screenshot):
    email, attempt_id = exam_in_progress(live_server)
    page = open_page(java_script_enabled=False)
    sign_in(page, email, PASSWORD)
    page.goto(f"/attempts/{attempt_id}")

    # The server's time left and the deadline, in a bar that still stays on top.
    timer = page.get_by_role("timer")
    expect(timer).to_contain_text(re.compile(r"Time left:\s*(29|30) min\s*Ends at \d"))
    screenshot(page, "browser-exam-no-js.png")
    page.mouse.wheel(0, 3000)
    expect(timer).to_be_in_viewport()

    page.get_by_role("navigation", name="All questions").get_by_role(
        "link", name="Question 12: not answered").click()
    expect(page).to_have_url(re.compile(r"#question-12$"))
    answer(page.locator("fieldset.question").nth(11))
    page.get_by_role("button", name="Save answers").click()
    expect(page.get_by_text("Your answers are saved.")).to_be_visible()
    expect(page.locator(".exam-bar").get_by_role("link")).to_have_text(
        f"Answered 1 of {QUESTIONS}")
    expect(page.get_by_role("link", name="Question 12: answered")).to_be_visible()

    page.get_by_role("button", name="Submit for grading").click()
    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}/result$"))
