"""Taking quizzes and exams over HTTP: no key before submitting, grading, resuming, the time
limit, attempt rules, review policies, draw and shuffle, course quizzes, the quiz list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Attempt, AttemptStatus, Quiz, Role, User, utcnow
from lms.quizzes import service
from tests.factories import csrf_token, login, make_user
from tests.factories.content import toml
from tests.factories.learning import attempts_of

SECRETS = ("zebra-key-42", "31337", "EXPLANATION-SECRET")


# --- Quiz files ------------------------------------------------------------------------------


def question(qid: str, qtype: str, prompt: str | None = None, points: float = 1, **fields
             ) -> dict:
    return {"id": qid, "type": qtype, "prompt": prompt or f"Prompt of {qid}",
            "points": points, **fields}


def quiz_text(questions: list[dict], title: str = "Check quiz", **settings) -> str:
    """A quiz file; shuffle is off unless asked, so pages list questions in file order."""
    settings = {"shuffle": False} | settings
    lines = [f"title = {toml(title)}", *(f"{k} = {toml(v)}" for k, v in settings.items())]
    for entry in questions:
        lines += ["", "[[questions]]", *(f"{k} = {toml(v)}" for k, v in entry.items())]
    return "\n".join(lines) + "\n"


# Every question type; the short and numeric keys and the explanation are distinctive strings
# that must never reach the browser before the attempt is submitted.
KEYS = [
    question("short", "short", "Type the access phrase", answers=["zebra-key-42"],
             explanation="EXPLANATION-SECRET"),
    question("port", "numeric", "Which port does the service use?", answer=31337,
             explanation="EXPLANATION-SECRET"),
    question("colour", "single", "Which colour is the logo?", options=["Red", "Green", "Blue"],
             answer="Green"),
    question("scopes", "multiple", "Which scopes exist?",
             options=["crm.read", "bulk.write", "admin.all"], answers=["crm.read", "bulk.write"]),
    question("sky", "true_false", "The sky is blue on a clear day.", answer=True),
]
PROMPTS = [q["prompt"] for q in KEYS]
RIGHT = {"q-short": "zebra-key-42", "q-port": "31337", "q-colour": "Green",
         "q-scopes": ["crm.read", "bulk.write"], "q-sky": "true"}
# Three of five right: the short and numeric answers are wrong.
THREE_RIGHT = RIGHT | {"q-short": "horse", "q-port": "12"}

# Four one-point questions (for a 3/4 score) and one true/false question.
FOUR = [
    question("a", "single", options=["x", "y"], answer="x"),
    question("b", "true_false", answer=False),
    question("c", "numeric", answer=42),
    question("d", "short", answers=["ok"]),
]
ONE = [question("t", "true_false", "Is water wet?", answer=True)]


COURSE_TOML = 'title = "Demo Course"\nsummary = "Learn the demo."\naudience = "all"\norder = 1\n'


def lesson_text(title: str) -> str:
    return f'+++\ntitle = "{title}"\nminutes = 5\n+++\n\nSome text about {title}.\n'


# --- The site --------------------------------------------------------------------------------


@dataclass
class Site:
    app: object
    quiz_dir: Path
    content_dir: Path

    def add_quiz(self, slug: str, questions: list[dict], **settings) -> None:
        (self.quiz_dir / f"{slug}.toml").write_text(quiz_text(questions, **settings),
                                                    encoding="utf-8")

    def add_course(self, slug: str, lessons: list[str]) -> None:
        folder = self.content_dir / slug
        folder.mkdir()
        (folder / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
        for number, lesson in enumerate(lessons, start=1):
            (folder / f"{number:02d}-{lesson}.md").write_text(lesson_text(lesson),
                                                              encoding="utf-8")

    def sync(self) -> None:
        content = load_all()
        assert content.problems == [], [str(p) for p in content.problems]
        sync_all(content)
        db.session.commit()

    def client(self, user: User, **extra):
        client = self.app.test_client()
        response = login(client, user, **extra)
        assert response.status_code == 302, f"{user.email} could not sign in"
        return client


@pytest.fixture
def make_site(make_app, tmp_path):
    """An app reading quizzes and courses from tmp_path; its app context stays pushed."""
    contexts = []

    def factory(**config) -> Site:
        quiz_dir, content_dir = tmp_path / "quizzes", tmp_path / "content"
        quiz_dir.mkdir(exist_ok=True)
        content_dir.mkdir(exist_ok=True)
        app = make_app(LMS_QUIZZES_DIR=str(quiz_dir), LMS_CONTENT_DIR=str(content_dir),
                       **config)
        context = app.app_context()
        context.push()
        contexts.append(context)
        return Site(app, quiz_dir, content_dir)

    yield factory
    while contexts:
        contexts.pop().pop()


@pytest.fixture
def site(make_site) -> Site:
    return make_site()


def member() -> User:
    return make_user(Role.MEMBER)


# --- HTTP helpers ----------------------------------------------------------------------------


def html_of(response) -> str:
    return response.get_data(as_text=True)


def start(client, slug: str) -> int:
    """POST the intro page; the attempt it opens (or resumes)."""
    response = client.post(f"/quizzes/{slug}")
    location = response.headers.get("Location", "")
    assert response.status_code == 302 and location.startswith("/attempts/"), (
        response.status_code, location)
    return int(location.rsplit("/", 1)[1])


def start_with_token(client, slug: str) -> int:
    """start() for an app with CSRF protection on."""
    token = csrf_token(client, f"/quizzes/{slug}")
    response = client.post(f"/quizzes/{slug}", data={"csrf_token": token})
    assert response.status_code == 302, response.status_code
    return int(response.headers["Location"].rsplit("/", 1)[1])


def refused_start(client, slug: str) -> str:
    """POST the intro page expecting a refusal; the intro page shown afterwards."""
    response = client.post(f"/quizzes/{slug}")
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"] == f"/quizzes/{slug}"
    return html_of(client.get(f"/quizzes/{slug}"))


def submit(client, attempt_id: int, answers: dict | None = None) -> str:
    """Submit the attempt; the HTML of its result page."""
    response = client.post(f"/attempts/{attempt_id}", data=answers or {})
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"] == f"/attempts/{attempt_id}/result"
    result = client.get(f"/attempts/{attempt_id}/result")
    assert result.status_code == 200
    return html_of(result)


def save_json(client, attempt_id: int, answers: dict):
    return client.post(f"/attempts/{attempt_id}/answers", data=answers,
                       headers={"Accept": "application/json"})


def row(attempt_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def quiz_by_slug(slug: str) -> Quiz:
    return db.session.scalar(select(Quiz).where(Quiz.slug == slug))


def move_deadline_to_the_past(attempt_id: int) -> None:
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(deadline_at=utcnow() - timedelta(seconds=5)))
    db.session.commit()


def hidden_inputs(html: str) -> list[str]:
    tags = [tag for tag in re.findall(r"<input\b[^>]*>", html) if 'type="hidden"' in tag]
    return [re.search(r'name="([^"]*)"', tag).group(1) for tag in tags]


def radio_values(html: str, qid: str) -> list[str]:
    return re.findall(rf'name="q-{re.escape(qid)}" value="([^"]*)"', html)


def question_ids_on_page(html: str, ids: list[str]) -> list[str]:
    """The ids of `ids` in the order their inputs appear on the page."""
    found = {qid: html.find(f'name="q-{qid}"') for qid in ids}
    return sorted((qid for qid, at in found.items() if at >= 0), key=found.get)


# --- The key never reaches the browser ------------------------------------------------------


def test_an_open_attempt_never_shows_the_key(make_site):
    site = make_site(WTF_CSRF_ENABLED=True)
    site.add_quiz("keys", KEYS, review="after_submit")
    site.sync()
    user = member()
    client = site.app.test_client()
    login(client, user, csrf_token=csrf_token(client, "/login"))

    intro = client.get("/quizzes/keys")
    token = csrf_token(client, "/quizzes/keys")
    attempt_id = start_with_token(client, "keys")
    page = client.get(f"/attempts/{attempt_id}")
    saved = save_json(client, attempt_id, {"csrf_token": token, "q-short": "horse",
                                           "q-port": "12"})
    page_after_save = client.get(f"/attempts/{attempt_id}")

    assert intro.status_code == page.status_code == page_after_save.status_code == 200
    assert saved.status_code == 200
    assert saved.get_json() == {"saved": True}
    for response in (intro, page, saved, page_after_save):
        body = html_of(response)
        for secret in SECRETS:
            assert secret not in body, (response.request.path, secret)
    html = html_of(page)
    for prompt in PROMPTS:
        assert prompt in html
    form = re.search(r'<form [^>]*id="attempt-form".*?</form>', html, re.S).group(0)
    assert hidden_inputs(form) == ["csrf_token"]
    # Elsewhere only the layout's forms (sign out, language) with their own hidden fields.
    assert set(hidden_inputs(html)) <= {"csrf_token", "next"}
    assert "data-answer" not in html.lower()
    assert " checked" not in html, "nothing is pre-selected in a fresh attempt"
    assert 'value="horse"' in html_of(page_after_save)
    assert page.headers["Cache-Control"] == "private, no-store"


def test_every_attempt_post_needs_the_csrf_token(make_site):
    site = make_site(WTF_CSRF_ENABLED=True)
    site.add_quiz("one", ONE)
    site.sync()
    user = member()
    client = site.app.test_client()
    login(client, user, csrf_token=csrf_token(client, "/login"))

    assert client.post("/quizzes/one").status_code == 400
    assert attempts_of(user) == []
    attempt_id = start_with_token(client, "one")
    assert client.post(f"/attempts/{attempt_id}/answers", data={"q-t": "true"}).status_code == 400
    assert client.post(f"/attempts/{attempt_id}", data={"q-t": "true"}).status_code == 400

    attempt = row(attempt_id)
    assert attempt.is_open
    assert attempt.answers == {}


def test_anonymous_people_are_sent_to_sign_in(site):
    site.add_quiz("one", ONE)
    site.sync()
    client = site.app.test_client()

    for method, path in (("get", "/quizzes"), ("get", "/quizzes/one"), ("post", "/quizzes/one"),
                         ("get", "/attempts/1"), ("post", "/attempts/1"),
                         ("post", "/attempts/1/answers"), ("get", "/attempts/1/result")):
        response = getattr(client, method)(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


# --- Grading ---------------------------------------------------------------------------------


def test_right_answers_give_100_percent_and_passed(site):
    site.add_quiz("keys", KEYS)
    site.sync()
    user = member()
    client = site.client(user)
    attempt_id = start(client, "keys")

    html = submit(client, attempt_id, RIGHT)

    attempt = row(attempt_id)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert (attempt.points, attempt.max_points, attempt.percent, attempt.passed) == (
        5, 5, 100, True)
    assert attempt.submitted_at is not None
    assert "<h1>Passed</h1>" in html
    assert "100%" in html
    assert "5 of 5 points" in html


def test_three_of_four_right_shows_75_percent_and_not_passed(site):
    site.add_quiz("four", FOUR, pass_percent=80)
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "four")

    html = submit(client, attempt_id, {"q-a": "x", "q-b": "false", "q-c": "41", "q-d": "OK"})

    attempt = row(attempt_id)
    assert (attempt.points, attempt.percent, attempt.passed) == (3, 75, False)
    assert attempt.results == {"a": "1", "b": "1", "c": "0", "d": "1"}
    assert "75%" in html
    assert "<h1>Not passed</h1>" in html
    assert "3 of 4 points" in html
    assert "3 of 4 questions right." in html


def test_exactly_the_pass_mark_passes(site):
    site.add_quiz("four", FOUR, pass_percent=75)
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "four")

    html = submit(client, attempt_id, {"q-a": "x", "q-b": "false", "q-c": "42"})

    assert (row(attempt_id).percent, row(attempt_id).passed) == (75, True)
    assert "<h1>Passed</h1>" in html


def test_a_second_submit_changes_nothing(site):
    site.add_quiz("keys", KEYS)
    site.sync()
    user = member()
    client = site.client(user)
    attempt_id = start(client, "keys")
    submit(client, attempt_id, THREE_RIGHT)
    first = row(attempt_id)
    before = (first.status, first.points, first.percent, first.submitted_at, first.answers,
              first.results)

    submit(client, attempt_id, RIGHT)

    again = row(attempt_id)
    assert (again.status, again.points, again.percent, again.submitted_at, again.answers,
            again.results) == before
    assert again.points == 3
    graded = [a for a in attempts_of(user) if a.status != AttemptStatus.OPEN]
    assert [a.id for a in graded] == [attempt_id]


def test_saving_after_submitting_is_refused_and_changes_nothing(site):
    site.add_quiz("keys", KEYS)
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "keys")
    submit(client, attempt_id, RIGHT)

    response = save_json(client, attempt_id, {"q-short": "horse"})

    assert response.status_code == 409
    assert response.get_json() == {"saved": False}
    assert row(attempt_id).answers["short"] == "zebra-key-42"
    assert row(attempt_id).percent == 100


def test_starting_twice_resumes_the_same_attempt(site):
    site.add_quiz("keys", KEYS)
    site.sync()
    user = member()
    client = site.client(user)

    first = start(client, "keys")
    save_json(client, first, {"q-short": "horse"})
    second = start(client, "keys")
    intro = html_of(client.get("/quizzes/keys"))

    assert first == second
    assert [a.id for a in attempts_of(user)] == [first]
    assert row(first).answers == {"short": "horse"}
    assert "You have an attempt in progress" in intro


def test_saved_answers_are_kept_and_shown_again(site):
    site.add_quiz("keys", KEYS)
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "keys")

    response = client.post(f"/attempts/{attempt_id}/answers",
                           data={"q-short": "  zebra  ", "q-colour": "Purple",
                                 "q-scopes": ["bulk.write", "crm.read", "nope"], "q-sky": "false",
                                 "q-unknown": "x", "other": "y"})
    page = html_of(client.get(f"/attempts/{attempt_id}"))

    assert response.status_code == 302
    assert response.headers["Location"] == f"/attempts/{attempt_id}"
    assert row(attempt_id).answers == {"short": "zebra", "scopes": ["crm.read", "bulk.write"],
                                       "sky": "false"}
    assert row(attempt_id).is_open
    assert 'value="zebra"' in page
    assert re.search(r'name="q-scopes" value="crm.read" checked', page)
    assert re.search(r'name="q-sky" value="false" checked', page)
    assert not re.search(r'name="q-colour" value="[^"]*" checked', page)


@pytest.mark.parametrize(("picked", "points"), [
    (["A", "B", "C"], 3),       # all right
    (["A", "B"], 2),            # 2 right of 3
    (["C"], 1),                 # 1 right of 3
    (["A", "B", "D"], 1),       # (2 - 1) / 3
    (["A", "B", "C", "D"], 2),  # (3 - 1) / 3
    (["A", "B", "C", "D", "E"], 1),  # (3 - 2) / 3
    (["A", "D", "E"], 0),       # (1 - 2) / 3, never below 0
    (["D"], 0),
    ([], 0),
    (["A", "Z"], 1),            # a value that is not an option is ignored
])
def test_multiple_choice_gives_partial_credit(site, picked, points):
    site.add_quiz("multi", [question("m", "multiple", options=["A", "B", "C", "D", "E"],
                                     answers=["A", "B", "C"], points=3)])
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "multi")

    submit(client, attempt_id, {"q-m": picked})

    attempt = row(attempt_id)
    assert attempt.points == pytest.approx(points)
    assert attempt.max_points == 3
    assert attempt.answers.get("m", []) == [v for v in ["A", "B", "C", "D", "E"] if v in picked]


def test_full_width_answers_match(site):
    site.add_quiz("keys", KEYS)
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "keys")

    full_width = {"q-short": "ＺＥＢＲＡ-ＫＥＹ-４２", "q-port": "３１３３７"}
    submit(client, attempt_id, RIGHT | full_width)

    attempt = row(attempt_id)
    assert attempt.results["short"] == "1"
    assert attempt.results["port"] == "1"
    assert attempt.percent == 100


def test_short_answers_ignore_case_and_spacing(site):
    site.add_quiz("keys", KEYS)
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "keys")

    submit(client, attempt_id, RIGHT | {"q-short": "  Zebra-KEY-42 ", "q-port": "31,337"})

    assert row(attempt_id).percent == 100


def test_fractional_points_are_shown_as_they_are(site):
    site.add_quiz("parts", [
        question("three", "multiple", options=["A", "B", "C", "D"], answers=["A", "B", "C"]),
        question("four", "multiple", options=["A", "B", "C", "D", "E"],
                 answers=["A", "B", "C", "D"]),
    ])
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "parts")

    html = submit(client, attempt_id, {"q-three": ["A"], "q-four": ["A", "B", "C"]})

    assert row(attempt_id).points == pytest.approx(1 / 3 + 3 / 4)
    assert "54%" in html
    assert "1.08 of 2 points" in html


def test_a_quiz_that_could_not_be_graded_never_loads(site):
    site.add_quiz("nan", [question("n", "numeric", answer=3, tolerance=float("nan"))])
    problems = [str(p) for p in load_all().problems]
    assert any("tolerance must be a number" in p for p in problems), problems


# --- The time limit --------------------------------------------------------------------------


def timed_site(site: Site, **settings) -> None:
    site.add_quiz("timed", [question("q1", "true_false", "Timed one", answer=True),
                            question("q2", "true_false", "Timed two", answer=False)],
                  time_limit_minutes=1, **settings)
    site.sync()


def test_a_timed_attempt_has_a_deadline_on_the_server(site):
    timed_site(site)
    client = site.client(member())

    attempt_id = start(client, "timed")

    attempt = row(attempt_id)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=1)
    page = html_of(client.get(f"/attempts/{attempt_id}"))
    assert f'data-deadline="{attempt.deadline_at.isoformat()}"' in page
    assert "It closes at" in html_of(client.get("/quizzes/timed"))


def test_saving_after_the_deadline_is_refused_and_changes_nothing(site):
    timed_site(site)
    client = site.client(member())
    attempt_id = start(client, "timed")
    assert save_json(client, attempt_id, {"q-q1": "true"}).get_json() == {"saved": True}
    move_deadline_to_the_past(attempt_id)

    response = save_json(client, attempt_id, {"q-q1": "false", "q-q2": "false"})

    assert response.status_code == 409
    assert response.get_json() == {"saved": False}
    attempt = row(attempt_id)
    assert attempt.answers == {"q1": "true"}
    assert attempt.status == AttemptStatus.TIMED_OUT
    assert attempt.points == 1


def test_saving_after_the_deadline_without_json_goes_to_the_result(site):
    timed_site(site)
    client = site.client(member())
    attempt_id = start(client, "timed")
    move_deadline_to_the_past(attempt_id)

    response = client.post(f"/attempts/{attempt_id}/answers", data={"q-q1": "true"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/attempts/{attempt_id}/result"
    assert row(attempt_id).answers == {}


def test_submitting_after_the_deadline_grades_the_saved_answers_only(site):
    timed_site(site)
    client = site.client(member())
    attempt_id = start(client, "timed")
    save_json(client, attempt_id, {"q-q1": "true"})
    move_deadline_to_the_past(attempt_id)

    html = submit(client, attempt_id, {"q-q1": "true", "q-q2": "false"})

    attempt = row(attempt_id)
    assert attempt.status == AttemptStatus.TIMED_OUT
    assert attempt.answers == {"q1": "true"}
    assert (attempt.points, attempt.max_points, attempt.percent) == (1, 2, 50)
    assert "Time ran out" in html


def test_submitting_after_the_deadline_through_the_service_ignores_the_form(site):
    timed_site(site)
    user = member()
    attempt = service.start_attempt(user, quiz_by_slug("timed"))
    db.session.commit()
    attempt_id = attempt.id
    service.save_answers(attempt, {"q-q2": ["false"]})
    db.session.commit()
    move_deadline_to_the_past(attempt_id)

    service.submit_attempt(user, attempt_id, {"q-q1": ["true"], "q-q2": ["false"]})
    db.session.commit()

    attempt = row(attempt_id)
    assert attempt.status == AttemptStatus.TIMED_OUT
    assert attempt.answers == {"q2": "false"}
    assert attempt.points == 1


def test_opening_an_expired_attempt_closes_and_grades_it(site):
    timed_site(site)
    client = site.client(member())
    attempt_id = start(client, "timed")
    save_json(client, attempt_id, {"q-q1": "true", "q-q2": "false"})
    move_deadline_to_the_past(attempt_id)

    response = client.get(f"/attempts/{attempt_id}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/attempts/{attempt_id}/result"
    attempt = row(attempt_id)
    assert attempt.status == AttemptStatus.TIMED_OUT
    assert attempt.submitted_at is not None
    assert (attempt.points, attempt.percent, attempt.passed) == (2, 100, True)


def test_the_intro_page_closes_an_expired_attempt(site):
    timed_site(site)
    client = site.client(member())
    attempt_id = start(client, "timed")
    move_deadline_to_the_past(attempt_id)

    html = html_of(client.get("/quizzes/timed"))

    assert row(attempt_id).status == AttemptStatus.TIMED_OUT
    assert "time ran out" in html
    assert start(client, "timed") != attempt_id


def test_lms_quizzes_close_expired_closes_only_expired_attempts(site):
    timed_site(site)
    site.add_quiz("untimed", ONE)
    site.sync()
    people = [member() for _ in range(4)]
    attempts = [service.start_attempt(people[0], quiz_by_slug("timed")),
                service.start_attempt(people[1], quiz_by_slug("timed")),
                service.start_attempt(people[2], quiz_by_slug("timed")),
                service.start_attempt(people[3], quiz_by_slug("untimed"))]
    db.session.commit()
    ids = [a.id for a in attempts]
    service.save_answers(row(ids[0]), {"q-q1": ["true"]})
    db.session.commit()
    move_deadline_to_the_past(ids[0])
    move_deadline_to_the_past(ids[1])
    runner = site.app.test_cli_runner()

    result = runner.invoke(args=["quizzes", "close-expired"])

    assert result.exit_code == 0, result.output
    assert "Closed 2 expired attempt(s)." in result.output
    assert [row(i).status for i in ids] == [AttemptStatus.TIMED_OUT, AttemptStatus.TIMED_OUT,
                                            AttemptStatus.OPEN, AttemptStatus.OPEN]
    assert (row(ids[0]).points, row(ids[1]).points) == (1, 0)
    assert "Closed 0 expired attempt(s)." in runner.invoke(
        args=["quizzes", "close-expired"]).output


# --- Attempt rules ---------------------------------------------------------------------------


def test_max_attempts_allows_exactly_that_many(site):
    site.add_quiz("twice", ONE, max_attempts=2)
    site.sync()
    user = member()
    client = site.client(user)
    for _ in range(2):
        submit(client, start(client, "twice"), {"q-t": "false"})

    intro = refused_start(client, "twice")

    assert "You have used all 2 attempts." in intro
    assert "2 of 2 used" in intro
    assert "Start</button>" not in intro
    assert len(attempts_of(user)) == 2


def test_the_cooldown_refuses_a_new_start_until_it_has_passed(site):
    site.add_quiz("cool", ONE, cooldown_minutes=60)
    site.sync()
    user = member()
    client = site.client(user)
    first = start(client, "cool")
    submit(client, first, {"q-t": "false"})

    intro = refused_start(client, "cool")
    assert "You can try again from" in intro
    assert len(attempts_of(user)) == 1

    db.session.execute(update(Attempt).where(Attempt.id == first)
                       .values(submitted_at=utcnow() - timedelta(minutes=59)))
    db.session.commit()
    refused_start(client, "cool")
    assert len(attempts_of(user)) == 1

    db.session.execute(update(Attempt).where(Attempt.id == first)
                       .values(submitted_at=utcnow() - timedelta(minutes=61)))
    db.session.commit()
    second = start(client, "cool")
    assert second != first
    assert [a.number for a in attempts_of(user)] == [1, 2]


def test_another_persons_attempt_is_not_found_and_not_changed(site):
    timed_site(site)
    owner, stranger = member(), member()
    owner_client, stranger_client = site.client(owner), site.client(stranger)
    attempt_id = start(owner_client, "timed")
    save_json(owner_client, attempt_id, {"q-q1": "true"})
    move_deadline_to_the_past(attempt_id)

    responses = [
        stranger_client.get(f"/attempts/{attempt_id}"),
        stranger_client.post(f"/attempts/{attempt_id}", data={"q-q1": "false"}),
        stranger_client.post(f"/attempts/{attempt_id}/answers", data={"q-q1": "false"}),
        save_json(stranger_client, attempt_id, {"q-q1": "false"}),
        stranger_client.get(f"/attempts/{attempt_id}/result"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    attempt = row(attempt_id)
    assert attempt.status == AttemptStatus.OPEN, "a stranger's request must not close it"
    assert attempt.answers == {"q1": "true"}
    assert attempt.submitted_at is None
    assert attempts_of(stranger) == []
    # Once graded, the result stays the owner's alone.
    assert owner_client.get(f"/attempts/{attempt_id}").status_code == 302
    assert stranger_client.get(f"/attempts/{attempt_id}/result").status_code == 404
    assert owner_client.get(f"/attempts/{attempt_id}/result").status_code == 200


# --- Review policies -------------------------------------------------------------------------


def reviewed_site(site: Site, review: str, **settings) -> tuple[object, int, str]:
    """Submit THREE_RIGHT (3 of 5) on a KEYS quiz with `review`; client, attempt, result."""
    site.add_quiz("keys", KEYS, review=review, **settings)
    site.sync()
    client = site.client(member())
    attempt_id = start(client, "keys")
    return client, attempt_id, submit(client, attempt_id, THREE_RIGHT)


def test_after_submit_shows_the_correct_answers_and_explanations(site):
    _client, _attempt_id, html = reviewed_site(site, "after_submit")

    assert "60%" in html
    assert "3 of 5 questions right." in html
    for prompt in PROMPTS:
        assert prompt in html
    assert "zebra-key-42" in html
    assert "31337" in html
    assert "EXPLANATION-SECRET" in html
    assert "Green — <span class=\"status status-ok\">correct</span>" in html
    assert "<strong>Your answer:</strong> horse" in html
    # A true/false answer in words, as the correct one is (never the raw "true").
    assert "<strong>Your answer:</strong> True</p>" in html


def test_score_only_shows_the_score_and_how_many_were_right(site):
    _client, _attempt_id, html = reviewed_site(site, "score_only")

    assert "60%" in html
    assert "3 of 5 questions right." in html
    for hidden in (*PROMPTS, *SECRETS, "Correct answer", "Green", "Your answer"):
        assert hidden not in html, hidden


def test_never_shows_only_the_score(site):
    _client, _attempt_id, html = reviewed_site(site, "never")

    assert "60%" in html
    assert "3 of 5 points" in html
    assert "questions right" not in html
    for hidden in (*PROMPTS, *SECRETS, "Correct answer", "Green", "Your answer"):
        assert hidden not in html, hidden


def test_after_pass_shows_the_review_once_the_person_has_passed(site):
    client, failed_id, html = reviewed_site(site, "after_pass", pass_percent=100)

    assert "3 of 5 questions right." in html
    for hidden in (*PROMPTS, *SECRETS, "Correct answer"):
        assert hidden not in html, hidden

    passed_id = start(client, "keys")
    passed = submit(client, passed_id, RIGHT)
    failed_again = html_of(client.get(f"/attempts/{failed_id}/result"))

    for page in (passed, failed_again):
        assert "EXPLANATION-SECRET" in page
        assert "zebra-key-42" in page
        for prompt in PROMPTS:
            assert prompt in page


def test_an_exam_past_its_deadline_shows_nothing_of_its_questions(site):
    prompts = ["PROMPT-ALPHA", "PROMPT-BRAVO", "PROMPT-CHARLIE"]
    site.add_quiz("exam", [question("e1", "true_false", prompts[0], answer=True),
                           question("e2", "true_false", prompts[1], answer=False),
                           question("e3", "short", prompts[2], answers=["delta"])],
                  kind="exam", time_limit_minutes=30, review="score_only", max_attempts=1)
    site.sync()
    client = site.client(member())
    intro = html_of(client.get("/quizzes/exam"))
    attempt_id = start(client, "exam")
    open_page = html_of(client.get(f"/attempts/{attempt_id}"))
    save_json(client, attempt_id, {"q-e1": "true"})
    move_deadline_to_the_past(attempt_id)

    after = client.get(f"/attempts/{attempt_id}")
    result = client.get(f"/attempts/{attempt_id}/result")

    assert "Start the exam" in intro
    assert all(p in open_page for p in prompts)
    assert after.status_code == 302
    assert after.headers["Location"] == f"/attempts/{attempt_id}/result"
    assert result.status_code == 200
    for page in (intro, html_of(after), html_of(result)):
        for prompt in prompts:
            assert prompt not in page
    assert "delta" not in html_of(result)
    assert "Time ran out" in html_of(result)
    assert "1 of 3 questions right." in html_of(result)
    assert row(attempt_id).status == AttemptStatus.TIMED_OUT


# --- Draw and shuffle ------------------------------------------------------------------------


POOL = [question(f"d{n}", "true_false", f"Pool question {n}", answer=True) for n in range(1, 7)]


def test_draw_gives_each_attempt_that_many_questions_of_the_pool(site):
    site.add_quiz("drawn", POOL, draw=3)
    site.sync()
    user = member()
    client = site.client(user)
    assert "<dt>Questions</dt><dd>3</dd>" in html_of(client.get("/quizzes/drawn"))

    for _ in range(4):
        attempt_id = start(client, "drawn")
        page = html_of(client.get(f"/attempts/{attempt_id}"))
        ids = [q["id"] for q in row(attempt_id).questions]
        assert len(ids) == len(set(ids)) == 3
        assert set(ids) <= {q["id"] for q in POOL}
        assert page.count('<fieldset class="card question">') == 3
        assert "Question 3 of 3" in page
        assert question_ids_on_page(page, [q["id"] for q in POOL]) == ids
        result = submit(client, attempt_id, {f"q-{qid}": "true" for qid in ids})
        assert "3 of 3 points" in result


def test_draw_without_shuffle_keeps_the_file_order(site):
    site.add_quiz("drawn", POOL, draw=4, shuffle=False)
    site.sync()
    client = site.client(member())

    for _ in range(3):
        attempt_id = start(client, "drawn")
        ids = [q["id"] for q in row(attempt_id).questions]
        assert ids == sorted(ids, key=lambda qid: int(qid[1:]))
        submit(client, attempt_id)


SHUFFLED = [
    question("pick", "single", options=["O1", "O2", "O3", "O4", "O5", "O6"], answer="O3"),
    question("many", "multiple", options=["M1", "M2", "M3", "M4", "M5"], answers=["M1", "M2"]),
    question("tf", "true_false", answer=True),
    question("num", "numeric", answer=7),
]


def test_shuffle_permutes_questions_and_options(site):
    site.add_quiz("shuffled", SHUFFLED, shuffle=True)
    site.sync()
    client = site.client(member())
    orders, question_orders = [], []

    for _ in range(8):
        attempt_id = start(client, "shuffled")
        page = html_of(client.get(f"/attempts/{attempt_id}"))
        snapshot = {q["id"]: q for q in row(attempt_id).questions}
        for qid in ("pick", "many"):
            shown = radio_values(page, qid)
            original = next(q["options"] for q in SHUFFLED if q["id"] == qid)
            assert sorted(shown) == sorted(original)
            assert shown == snapshot[qid]["options"]
        orders.append(tuple(radio_values(page, "pick")))
        question_orders.append(tuple(question_ids_on_page(page, list(snapshot))))
        assert sorted(question_orders[-1]) == sorted(q["id"] for q in SHUFFLED)
        submit(client, attempt_id, {"q-pick": "O3", "q-many": ["M1", "M2"], "q-tf": "true",
                                    "q-num": "7"})
        assert row(attempt_id).percent == 100

    # 8 attempts all in the file's order would be a 1 in 720**8 chance.
    assert set(orders) != {("O1", "O2", "O3", "O4", "O5", "O6")}
    assert set(question_orders) != {("pick", "many", "tf", "num")}


def test_without_shuffle_the_order_is_the_files(site):
    site.add_quiz("ordered", SHUFFLED, shuffle=False)
    site.sync()
    client = site.client(member())

    for _ in range(3):
        attempt_id = start(client, "ordered")
        page = html_of(client.get(f"/attempts/{attempt_id}"))
        assert radio_values(page, "pick") == ["O1", "O2", "O3", "O4", "O5", "O6"]
        assert radio_values(page, "many") == ["M1", "M2", "M3", "M4", "M5"]
        assert question_ids_on_page(page, ["pick", "many", "tf", "num"]) == [
            "pick", "many", "tf", "num"]
        submit(client, attempt_id)


# --- A quiz tied to a course -----------------------------------------------------------------


def course_card(html: str, slug: str) -> str:
    for card in re.findall(r'<article class="card course-card[^"]*">(.*?)</article>', html,
                           re.S):
        if f'href="/courses/{slug}"' in card:
            return card
    raise AssertionError(f"no card for {slug}")


def card_status(html: str, slug: str) -> str:
    card = course_card(html, slug)
    return re.search(r'<div class="progress-label"><span>([^<]*)</span>', card).group(1)


HINT = "All lessons done: pass the course quiz to complete it."


@pytest.fixture
def course_site(site) -> Site:
    site.add_course("demo-course", ["first-steps", "next-steps"])
    site.add_quiz("demo-quiz", ONE, course="demo-course", pass_percent=100)
    site.sync()
    return site


def test_a_course_quiz_needs_the_course_lessons_first(course_site):
    user = member()
    client = course_site.client(user)

    intro = refused_start(client, "demo-quiz")
    assert "Complete the lessons of Demo Course first." in intro
    assert attempts_of(user) == []

    client.post("/courses/demo-course/first-steps/complete")
    refused_start(client, "demo-quiz")
    assert attempts_of(user) == []

    client.post("/courses/demo-course/next-steps/complete")
    attempt_id = start(client, "demo-quiz")
    assert [a.id for a in attempts_of(user)] == [attempt_id]


def test_the_course_completes_only_once_its_quiz_is_passed(course_site):
    client = course_site.client(member())
    for lesson in ("first-steps", "next-steps"):
        assert client.post(f"/courses/demo-course/{lesson}/complete").status_code == 302

    catalog = html_of(client.get("/courses"))
    assert card_status(catalog, "demo-course") != "Complete"
    assert HINT in course_card(catalog, "demo-course")

    submit(client, start(client, "demo-quiz"), {"q-t": "false"})
    catalog = html_of(client.get("/courses"))
    assert card_status(catalog, "demo-course") != "Complete"
    assert HINT in course_card(catalog, "demo-course")

    submit(client, start(client, "demo-quiz"), {"q-t": "true"})
    catalog = html_of(client.get("/courses"))
    assert card_status(catalog, "demo-course") == "Complete"
    assert HINT not in course_card(catalog, "demo-course")


def test_one_persons_pass_completes_the_course_for_that_person_only(course_site):
    user = member()
    client = course_site.client(user)
    client.post("/courses/demo-course/first-steps/complete")
    client.post("/courses/demo-course/next-steps/complete")
    submit(client, start(client, "demo-quiz"), {"q-t": "true"})
    other = member()
    other_client = course_site.client(other)

    catalog = html_of(other_client.get("/courses"))

    assert card_status(catalog, "demo-course") == "Not started"
    assert card_status(html_of(client.get("/courses")), "demo-course") == "Complete"


# --- The quiz list ---------------------------------------------------------------------------


def list_rows(html: str) -> dict[str, tuple[str, str]]:
    rows = re.findall(r'<td><a href="/quizzes/([^"]+)">[^<]*</a></td>\s*<td>(.*?)</td>\s*'
                      r"<td>(.*?)</td>", html, re.S)
    return {slug: (best, re.sub(r"<[^>]+>", "", status)) for slug, best, status in rows}


def test_the_quiz_list_shows_each_quiz_with_the_persons_best_score(site):
    site.add_quiz("alpha-quiz", FOUR, title="Alpha quiz", pass_percent=75)
    site.add_quiz("beta-quiz", FOUR, title="Beta quiz", pass_percent=75)
    site.add_quiz("gamma-practice", ONE, title="Gamma practice", kind="practice")
    site.sync()
    user, other = member(), member()
    client, other_client = site.client(user), site.client(other)
    for answers in ({"q-a": "x", "q-b": "false"},
                    {"q-a": "x", "q-b": "false", "q-c": "42", "q-d": "ok"},
                    {}):
        submit(client, start(client, "alpha-quiz"), answers)
    submit(client, start(client, "beta-quiz"), {"q-a": "x", "q-b": "false"})
    submit(other_client, start(other_client, "beta-quiz"),
           {"q-a": "x", "q-b": "false", "q-c": "42", "q-d": "ok"})

    rows = list_rows(html_of(client.get("/quizzes")))

    assert rows == {
        "alpha-quiz": ("100%", "Passed"),
        "beta-quiz": ("50%", "Not passed yet"),
        "gamma-practice": ("—", "Not taken"),
    }
    assert list_rows(html_of(other_client.get("/quizzes")))["beta-quiz"] == ("100%", "Passed")


def test_an_open_attempt_is_not_a_score_on_the_list(site):
    site.add_quiz("alpha-quiz", FOUR, title="Alpha quiz")
    site.sync()
    client = site.client(member())
    start(client, "alpha-quiz")

    assert list_rows(html_of(client.get("/quizzes")))["alpha-quiz"] == ("—", "Not taken")


def test_attempts_are_numbered_in_order(site):
    site.add_quiz("alpha-quiz", FOUR, title="Alpha quiz")
    site.sync()
    user = member()
    client = site.client(user)
    for _ in range(3):
        submit(client, start(client, "alpha-quiz"))

    numbers = db.session.scalars(select(Attempt.number).where(Attempt.user_id == user.id)
                                 .order_by(Attempt.number)).all()
    assert numbers == [1, 2, 3]
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.status == AttemptStatus.OPEN)) == 0
