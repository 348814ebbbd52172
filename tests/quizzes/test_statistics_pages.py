"""Quiz statistics pages: who may open them, what they show, the CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from lms.content import load_all, sync_all
from lms.csvutil import safe_cell
from lms.extensions import db
from lms.models import Attempt, Quiz, Role
from lms.quizzes import service
from tests.factories import login, make_user

QUIZ = """title = "Stats check"
kind = "quiz"
pass_percent = 50
shuffle = false

[[questions]]
id = "easy"
type = "true_false"
prompt = "Is this easy?"
answer = true
points = 1

[[questions]]
id = "pick"
type = "single"
prompt = "Pick B"
options = ["A", "B", "=HYPERLINK(\\"http://x\\")"]
answer = "B"
points = 1
"""


@pytest.fixture
def stats_app(make_app, tmp_path):
    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "stats-check.toml").write_text(QUIZ, encoding="utf-8")
    (tmp_path / "content").mkdir()
    app = make_app(LMS_QUIZZES_DIR=str(quizzes), LMS_CONTENT_DIR=str(tmp_path / "content"))
    with app.app_context():
        sync_all(load_all())
        db.session.commit()
        yield app


def _take(user, answers: dict) -> Attempt:
    quiz = db.session.scalar(db.select(Quiz).where(Quiz.slug == "stats-check"))
    attempt = service.start_attempt(user, quiz)
    db.session.commit()
    service.submit_attempt(user, attempt.id, {f"q-{k}": [v] for k, v in answers.items()})
    db.session.commit()
    return attempt


@pytest.mark.parametrize(("role", "status"), [
    (Role.MEMBER, 403), (Role.PARTNER_ADMIN, 403), (Role.MANAGER, 200), (Role.ADMIN, 200)])
def test_only_vendor_staff_open_statistics(stats_app, role, status):
    client = stats_app.test_client()
    login(client, make_user(role))
    for path in ("/admin/quizzes", "/admin/quizzes/stats-check",
                 "/admin/quizzes/stats-check.csv"):
        assert client.get(path).status_code == status, path


def test_statistics_of_hand_computed_attempts(stats_app):
    # Four people: easy right by all; pick right by the two strongest.
    people = [make_user(Role.MEMBER) for _ in range(4)]
    _take(people[0], {"easy": "true", "pick": "B"})
    _take(people[1], {"easy": "true", "pick": "B"})
    _take(people[2], {"easy": "true", "pick": "A"})
    _take(people[3], {"easy": "true"})
    quiz = db.session.scalar(db.select(Quiz).where(Quiz.slug == "stats-check"))
    report = service.version_statistics(quiz)
    s = report.statistics
    assert s.attempts == 4
    assert s.mean_percent == pytest.approx((100 + 100 + 50 + 50) / 4)
    assert s.pass_rate == pytest.approx(100.0)  # 50% passes a 50% quiz
    by_id = {q.question_id: q for q in s.questions}
    assert by_id["easy"].facility == pytest.approx(100.0)
    assert by_id["easy"].discrimination is None  # everyone scored the same
    assert by_id["pick"].facility == pytest.approx(50.0)
    assert by_id["pick"].option_counts["B"] == 2
    assert by_id["pick"].option_counts["A"] == 1
    assert by_id["pick"].option_counts[""] == 1

    manager = make_user(Role.MANAGER)
    client = stats_app.test_client()
    login(client, manager)
    page = client.get("/admin/quizzes/stats-check").get_data(as_text=True)
    assert "Pick B" in page and ">4<" in page
    response = client.get("/admin/quizzes/stats-check.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["question", "type", "attempts", "facility_percent",
                           "discrimination_index"]
    pick = next(r for r in rows if r[0] == "pick")
    assert pick[2:4] == ["4", "50.0"]
    assert "A: 1" in pick[6] and "B: 2" in pick[6]


def test_unknown_quiz_or_version_is_404(stats_app):
    client = stats_app.test_client()
    login(client, make_user(Role.MANAGER))
    assert client.get("/admin/quizzes/nope").status_code == 404
    assert client.get("/admin/quizzes/stats-check?version=9").status_code == 404


@pytest.mark.parametrize(("value", "expected"), [
    ("=SUM(A1)", "'=SUM(A1)"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("ok", "ok"),
    (12, 12), ("\tx", "'\tx")])
def test_csv_cells_never_start_a_formula(value, expected):
    assert safe_cell(value) == expected
