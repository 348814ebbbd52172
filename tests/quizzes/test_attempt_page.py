"""The page of an attempt being taken, as the server renders it (what works without JS):
the time left in a bar that stays in view, the spoken warnings' region, the navigator of the
questions, the site navigation stepping back, and never a correct answer."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from sqlalchemy import update

from lms.extensions import db
from lms.models import Attempt, Role, utcnow
from tests.factories import make_user
from tests.quizzes.test_attempts import (
    KEYS,
    PROMPTS,
    SECRETS,
    html_of,
    quiz_text,
    save_json,
    start,
)

QUESTION_COUNT = len(KEYS)


@pytest.fixture
def site(make_app, tmp_path):
    """An app with a timed exam and an untimed quiz (the KEYS questions, in file order)."""
    quiz_dir = tmp_path / "quizzes"
    quiz_dir.mkdir()
    (quiz_dir / "timed.toml").write_text(
        quiz_text(KEYS, title="Timed exam", kind="exam", time_limit_minutes=60), "utf-8")
    (quiz_dir / "untimed.toml").write_text(quiz_text(KEYS, title="Untimed quiz"), "utf-8")
    (tmp_path / "content").mkdir()
    app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(tmp_path / "content"))
    with app.app_context():
        from lms.content import load_all, sync_all

        content = load_all()
        assert content.problems == [], [str(p) for p in content.problems]
        sync_all(content)
        db.session.commit()
        yield app


def signed_in(app, locale: str = "en"):
    user = make_user(Role.MEMBER, locale=locale)
    client = app.test_client()
    response = client.post("/login", data={"email": user.email,
                                           "password": "correct-horse-battery"})
    assert response.status_code == 302
    return client


def set_deadline(attempt_id: int, left: timedelta) -> Attempt:
    """Move the attempt's deadline to `left` from now (the time left, whatever today is)."""
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(deadline_at=utcnow() + left))
    db.session.commit()
    return db.session.get(Attempt, attempt_id)


def element(html: str, css_class: str) -> str:
    """The first element whose class list holds `css_class`, up to its closing tag."""
    match = re.search(rf'<(\w+)\b[^>]*\bclass="[^"]*\b{re.escape(css_class)}\b[^"]*"[^>]*>'
                      r'(.*?)</\1>', html, re.S)
    assert match, f"no element .{css_class}"
    return match.group(0)


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


# --- Time left ----------------------------------------------------------------------------------


def test_the_timer_shows_the_time_left_the_server_counts_and_the_deadline(site):
    client = signed_in(site)
    attempt_id = start(client, "timed")
    attempt = set_deadline(attempt_id, timedelta(minutes=12, seconds=30))

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    timer = re.search(r'<p class="exam-timer countdown" role="timer"[^>]*>', html).group(0)
    seconds_left = int(re.search(r'data-seconds-left="(\d+)"', timer).group(1))
    assert 12 * 60 < seconds_left <= 12 * 60 + 30
    assert f'data-deadline="{attempt.deadline_at.isoformat()}"' in timer
    shown = text_of(element(html, "exam-timer"))
    ends = format_time(attempt.deadline_at.astimezone(ZoneInfo(site.config[
        "BABEL_DEFAULT_TIMEZONE"])), "short", locale="en")
    # Without JavaScript: the minutes left when the page was served, and the clock time.
    assert shown == text_of(f"Time left: 12 min Ends at {ends}")
    # The bar stays in view while scrolling; the timer is in it.
    assert html.index('<div class="exam-bar">') < html.index('role="timer"') < html.index(
        'id="attempt-form"')


def test_under_a_minute_left_is_said_in_words(site):
    client = signed_in(site)
    attempt_id = start(client, "timed")
    set_deadline(attempt_id, timedelta(seconds=40))

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    assert element(html, "countdown-value").endswith(">under a minute</strong>")


def test_an_untimed_quiz_has_no_timer_but_the_bar_and_the_navigator(site):
    client = signed_in(site)
    attempt_id = start(client, "untimed")

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    assert 'role="timer"' not in html and "data-seconds-left" not in html
    assert text_of(element(html, "exam-progress")) == f"Answered 0 of {QUESTION_COUNT}"
    assert "Saved answers are kept." in html
    assert "The clock keeps running." not in html


def test_the_warnings_region_is_assertive_empty_and_carries_its_words(site):
    client = signed_in(site)
    attempt_id = start(client, "timed")

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    regions = re.findall(r'<p [^>]*aria-live="assertive"[^>]*>(.*?)</p>', html, re.S)
    assert regions == [""], "one assertive region, empty until 5 minutes are left"
    region = re.search(r'<p [^>]*aria-live="assertive"[^>]*>', html).group(0)
    assert 'aria-atomic="true"' in region
    assert 'data-five-minutes="5 minutes left."' in region
    assert 'data-one-minute="1 minute left.' in region
    # The timer itself is never read out second by second.
    assert re.search(r'role="timer" aria-live="off"', html)


def test_the_warnings_are_in_the_readers_language(site):
    client = signed_in(site, locale="ja")
    attempt_id = start(client, "timed")

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    assert '<html lang="ja">' in html
    assert "残り時間" in text_of(element(html, "exam-timer"))


# --- Navigator ------------------------------------------------------------------------------------


def nav_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="exam-nav" id="exam-nav".*?</nav>', html, re.S).group(0)
    return re.findall(r'<a class="exam-nav-link[^"]*" href="([^"]+)">(.*?)</a>', nav, re.S)


def test_the_navigator_has_one_link_per_question_to_its_anchor(site):
    client = signed_in(site)
    attempt_id = start(client, "timed")

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    links = nav_links(html)
    assert [href for href, _ in links] == [f"#question-{n}"
                                          for n in range(1, QUESTION_COUNT + 1)]
    for number, (href, _) in enumerate(links, start=1):
        assert html.count(f'id="{href[1:]}"') == 1, f"{href} is the target of one element"
        # The anchor is the question's legend ("Question n of total"), inside the form.
        assert re.search(rf'<legend class="question-number" id="{href[1:]}">Question '
                         rf"{number} of {QUESTION_COUNT}</legend>", html)
    assert 'href="#exam-nav"' in element(html, "exam-progress"), \
        "the count in the bar leads to the navigator"


def test_the_navigator_marks_what_is_answered_and_counts_it(site):
    client = signed_in(site)
    attempt_id = start(client, "timed")
    assert save_json(client, attempt_id, {"q-colour": "Red", "q-sky": "false"}).status_code == 200

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    states = {}
    for href, inner in nav_links(html):
        yes = re.search(r'class="visually-hidden exam-nav-yes"( hidden)?>([^<]*)<', inner)
        no = re.search(r'class="visually-hidden exam-nav-no"( hidden)?>([^<]*)<', inner)
        states[href] = (yes.group(1) is None, no.group(1) is None)
        number = href.removeprefix("#question-")
        assert yes.group(2) == f"Question {number}: answered"
        assert no.group(2) == f"Question {number}: not answered"
    # KEYS in file order: short, port, colour, scopes, sky.
    answered = {"#question-3", "#question-5"}
    assert {href for href, (yes, no) in states.items() if yes and not no} == answered
    assert {href for href, (yes, no) in states.items() if no and not yes} == \
        set(states) - answered
    classes = re.findall(r'<a class="(exam-nav-link[^"]*)" href="(#question-\d)"', html)
    assert {href for cls, href in classes if "is-answered" in cls.split()} == answered
    counts = [text_of(m) for m in re.findall(r'<p class="exam-progress[^"]*">(.*?)</p>', html,
                                             re.S)]
    assert counts == [f"Answered 2 of {QUESTION_COUNT}"] * 2, "in the bar and by the buttons"


# --- The site navigation steps back -----------------------------------------------------------


def header_of(html: str) -> str:
    return re.search(r'<header class="site-header">.*?</header>', html, re.S).group(0)


def test_the_site_navigation_steps_back_during_the_attempt(site):
    client = signed_in(site)
    intro = header_of(html_of(client.get("/quizzes/timed")))
    assert 'class="main-nav"' in intro and "Sign out" in intro  # the usual header
    attempt_id = start(client, "timed")

    header = header_of(html_of(client.get(f"/attempts/{attempt_id}")))

    assert "<nav" not in header and "Sign out" not in header
    links = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]*)</a>', header)
    assert links == [("/quizzes/timed", "Leave for now")], "one quiet way out, to the intro"
    assert "Partner Academy" in header, "the logo stays, without a link"
    assert "The clock keeps running." in header


# --- Without JavaScript, and never the key ------------------------------------------------------


def test_without_javascript_nothing_needed_is_hidden_and_the_form_posts(site):
    client = signed_in(site)
    attempt_id = start(client, "timed")

    html = html_of(client.get(f"/attempts/{attempt_id}"))

    # The only hidden elements are the navigator's words for the state a question is not in.
    hidden = re.findall(r"<\w+\b[^>]*\shidden[\s>]", html)
    assert len(hidden) == QUESTION_COUNT
    assert all("exam-nav-" in tag for tag in hidden)
    form = re.search(r'<form method="post" action="/attempts/(\d+)" id="attempt-form"', html)
    assert form and int(form.group(1)) == attempt_id
    buttons = re.findall(r"<button [^>]*>[^<]*</button>", html.split("</header>")[1])
    buttons = [b for b in buttons if "Sign out" not in b and "Switch" not in b]
    assert len(buttons) == 2 and all('form="attempt-form"' in b for b in buttons)
    assert f'formaction="/attempts/{attempt_id}/answers"' in buttons[0]  # "Save answers"
    assert buttons[1].endswith(">Submit for grading</button>")
    assert "<script" in html and 'src="/static/js/attempt.js' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script (CSP)"


def test_the_page_never_holds_a_correct_answer(site):
    client = signed_in(site)
    attempt_id = start(client, "timed")
    first = html_of(client.get(f"/attempts/{attempt_id}"))
    save_json(client, attempt_id, {"q-short": "horse", "q-port": "12", "q-colour": "Red"})
    again = html_of(client.get(f"/attempts/{attempt_id}"))

    for html in (first, again):
        for prompt in PROMPTS:
            assert prompt in html
        for secret in SECRETS:
            assert secret not in html
        assert "data-answer" not in html.lower()
        # Options are listed, never marked: no attribute tells the right one apart.
        assert not re.search(r"\b(correct|is-right|right-answer)\b", html, re.I)
