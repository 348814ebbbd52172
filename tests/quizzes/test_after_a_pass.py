"""The intro page after a pass (issue 17): it says "Passed" with the score and the result,
never "Not available now" with a date to try again; a passed exam is not started again,
a passed quiz may be (practice), and a failed one keeps its cooldown."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Attempt, Role
from tests.factories import login, make_user
from tests.factories.content import toml

QUESTION = ('\n[[questions]]\nid = "t"\ntype = "true_false"\nprompt = "Is water wet?"\n'
            "answer = true\npoints = 1\n")
PASSED = '<h2><span class="status status-ok">Passed</span></h2>'


def quiz_file(kind: str, **settings) -> str:
    fields = {"title": f"A {kind}", "kind": kind, "shuffle": False} | settings
    return "\n".join(f"{k} = {toml(v)}" for k, v in fields.items()) + "\n" + QUESTION


@pytest.fixture
def site(make_app, tmp_path):
    quizzes, content = tmp_path / "quizzes", tmp_path / "content"
    quizzes.mkdir()
    content.mkdir()
    (quizzes / "exam.toml").write_text(quiz_file("exam", max_attempts=3,
                                                 cooldown_minutes=1440), encoding="utf-8")
    (quizzes / "quiz.toml").write_text(quiz_file("quiz", cooldown_minutes=60),
                                       encoding="utf-8")
    (quizzes / "practice.toml").write_text(quiz_file("practice"), encoding="utf-8")
    app = make_app(LMS_QUIZZES_DIR=str(quizzes), LMS_CONTENT_DIR=str(content))
    with app.app_context():
        sync_all(load_all())
        db.session.commit()
        client = app.test_client()
        assert login(client, make_user(Role.MEMBER)).status_code == 302
        yield client


def take(client, slug: str, answer: str) -> int:
    response = client.post(f"/quizzes/{slug}")
    assert response.status_code == 302, response.status_code
    attempt_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/attempts/{attempt_id}", data={"q-t": answer}).status_code == 302
    return attempt_id


def attempts() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Attempt))


def test_a_passed_exam_says_passed_and_is_not_started_again(site):
    attempt_id = take(site, "exam", "true")

    intro = site.get("/quizzes/exam").get_data(as_text=True)
    response = site.post("/quizzes/exam")

    assert PASSED in intro
    assert "Your best: 100%" in intro
    assert f'href="/attempts/{attempt_id}/result">See the result</a>' in intro
    assert "Not available now" not in intro
    assert "try again" not in intro
    assert "Start the exam</button>" not in intro and "Take it again" not in intro
    assert response.status_code == 302 and response.headers["Location"] == "/quizzes/exam"
    assert attempts() == 1


def test_a_failed_exam_still_waits_for_its_cooldown(site):
    take(site, "exam", "false")

    intro = site.get("/quizzes/exam").get_data(as_text=True)

    assert "<h2>Not available now</h2>" in intro
    assert "You can try again from" in intro
    assert PASSED not in intro


def test_a_passed_quiz_in_its_cooldown_says_passed_and_when_it_can_be_taken_again(site):
    take(site, "quiz", "true")

    intro = site.get("/quizzes/quiz").get_data(as_text=True)

    assert PASSED in intro
    assert "Not available now" not in intro
    assert '<p class="muted small">You can try again from' in intro
    assert "Take it again</button>" not in intro


def test_a_passed_practice_quiz_can_be_taken_again(site):
    take(site, "practice", "true")

    intro = site.get("/quizzes/practice").get_data(as_text=True)

    assert PASSED in intro
    assert "Take it again</button>" in intro
    take(site, "practice", "true")
    assert attempts() == 2
