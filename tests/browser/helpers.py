"""What a person does in the browser, step by step: sign in, finish a course, answer a quiz.

The quiz answers come from quizzes/*.toml: quizzes draw and shuffle their questions, so each
question is recognised by the prompt shown on the page.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

QUIZZES_DIR = Path(__file__).resolve().parents[2] / "quizzes"


@dataclass(frozen=True)
class Ui:
    """The words of the interface a step needs, in the language the person reads."""

    sign_in: str = "Sign in"
    start_course: str = "Start the course"
    mark_complete_and_continue: str = "Mark complete and continue"
    mark_complete: str = "Mark complete"
    all_lessons_done: str = "All lessons done: pass the course quiz to complete it."
    take_quiz: str = "Take the quiz"
    start_quiz: str = "Start"
    submit: str = "Submit for grading"
    saved: str = "Saved"
    passed: str = "Passed"
    course_completed: str = "You completed this course."
    true: str = "True"
    false: str = "False"


ENGLISH = Ui()
# lms/translations/ja/LC_MESSAGES/messages.po
JAPANESE = Ui(
    sign_in="サインイン",
    start_course="コースを開始",
    mark_complete_and_continue="完了にして次へ",
    mark_complete="完了にする",
    all_lessons_done="すべてのレッスンを終えました。コースのクイズに合格するとコース修了です。",
    take_quiz="クイズを受ける",
    start_quiz="開始",
    submit="提出して採点",
    saved="保存しました",
    passed="合格",
    course_completed="このコースを修了しました。",
    true="正しい",
    false="誤り",
)


def sign_in(page: Page, email: str, password: str, ui: Ui = ENGLISH) -> None:
    """Sign in from the sign-in page and wait until the signed-in layout shows."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name=ui.sign_in, exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def prompt_key(text: str) -> str:
    """A prompt reduced to its letters and digits: the TOML's Markdown and the page's
    rendered text of the same prompt give the same key."""
    return re.sub(r"\W+", "", text).casefold()


@cache
def quiz_questions(slug: str) -> dict[str, dict]:
    """The questions of quizzes/<slug>.toml by prompt key."""
    with (QUIZZES_DIR / f"{slug}.toml").open("rb") as handle:
        quiz = tomllib.load(handle)
    questions = {prompt_key(q["prompt"]): q for q in quiz["questions"]}
    assert len(questions) == len(quiz["questions"]), f"two prompts of {slug} look alike"
    return questions


def answer_correctly(page: Page, slug: str, ui: Ui) -> int:
    """Answer every question shown on the attempt page from the quiz file; returns how many."""
    known = quiz_questions(slug)
    shown = page.locator("fieldset.question")
    expect(shown.first).to_be_visible()
    for index in range(shown.count()):
        fieldset = shown.nth(index)
        prompt = fieldset.locator(".prose").inner_text()
        question = known.get(prompt_key(prompt))
        assert question is not None, f"the page asks a question {slug}.toml lacks: {prompt!r}"
        _answer(fieldset, question, ui)
    return shown.count()


def _answer(fieldset: Locator, question: dict, ui: Ui) -> None:
    kind = question["type"]
    if kind == "single":
        fieldset.get_by_role("radio", name=question["answer"], exact=True).check()
    elif kind == "multiple":
        for option in question["answers"]:
            fieldset.get_by_role("checkbox", name=option, exact=True).check()
    elif kind == "true_false":
        label = ui.true if question["answer"] else ui.false
        fieldset.get_by_role("radio", name=label, exact=True).check()
    elif kind == "numeric":
        fieldset.get_by_role("textbox").fill(str(question["answer"]))
    else:
        fieldset.get_by_role("textbox").fill(question["answers"][0])


def pass_quiz_from_its_page(page: Page, slug: str, ui: Ui) -> int:
    """On a quiz's page: start, answer everything right, submit, see "Passed"."""
    page.get_by_role("button", name=ui.start_quiz, exact=True).click()
    count = answer_correctly(page, slug, ui)
    expect(page.get_by_text(ui.saved, exact=True)).to_be_visible()  # saved as one goes
    page.get_by_role("button", name=ui.submit).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ui.passed)
    return count


def complete_lessons(page: Page, ui: Ui) -> int:
    """On a course's page: every lesson marked complete in order, back on the course page
    with its quiz still to pass; returns how many lessons."""
    titles = page.locator(".lesson-list a").all_inner_texts()
    assert titles, "the course page lists its lessons"
    page.get_by_role("link", name=ui.start_course).click()
    for number, title in enumerate(titles, start=1):
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        last = number == len(titles)
        button = ui.mark_complete if last else ui.mark_complete_and_continue
        page.get_by_role("button", name=button, exact=True).click()
    expect(page.get_by_text(ui.all_lessons_done)).to_be_visible()
    return len(titles)


def complete_course(page: Page, quiz_slug: str, ui: Ui) -> None:
    """On a course's page: every lesson marked complete in order, then its quiz passed."""
    course_url = page.url
    complete_lessons(page, ui)
    page.get_by_role("link", name=ui.take_quiz).click()
    pass_quiz_from_its_page(page, quiz_slug, ui)
    page.goto(course_url)
    expect(page.get_by_text(ui.course_completed)).to_be_visible()
