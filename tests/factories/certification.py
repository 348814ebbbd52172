"""A demo-like certification program on disk, as content/ ships it in small: Partner Program
Essentials (with its quiz, also in Japanese), the implementation course behind it (with its
quiz), the timed NCIE-like exam, the technical path, and the credentials they earn; helpers
to walk it over HTTP (complete lessons, take quizzes with a chosen number of right answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select

from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Attempt, Award, Credential
from tests.factories.content import toml

ESSENTIALS = "program-essentials"
ESSENTIALS_JA = "program-essentials-ja"
IMPLEMENTATION = "crm-implementation"
ESSENTIALS_QUIZ = "program-essentials-quiz"
IMPLEMENTATION_QUIZ = "crm-implementation-quiz"
EXAM = "certified-engineer-exam"
CERTIFICATION = "certified-engineer"
IMPLEMENTATION_BADGE = "implementation-badge"
ESSENTIALS_BADGE = "essentials-badge"
CERTIFICATION_NAME = "Certified Implementation Engineer (CIE)"
CERTIFICATION_NAME_JA = "認定導入エンジニア（CIE）"
IMPLEMENTATION_BADGE_NAME = "CRM Implementation"

LESSONS = {ESSENTIALS: ["tiers", "rules", "deals"],
           IMPLEMENTATION: ["data-model", "rest-api", "webhooks", "go-live"]}
COURSE_TITLES = {ESSENTIALS: "Partner Program Essentials",
                 IMPLEMENTATION: "CRM Implementation"}
# Four true/false questions whose answer is always true: n right answers score n x 25%.
QUESTIONS = 4


def _table(header: str, fields: dict) -> str:
    return "\n".join([header, *(f"{k} = {toml(v)}" for k, v in fields.items())])


def _quiz(title: str, **settings) -> str:
    head = {"title": title, "shuffle": False, "review": "after_submit"} | settings
    lines = [f"{k} = {toml(v)}" for k, v in head.items()]
    for n in range(1, QUESTIONS + 1):
        lines += ["", _table("[[questions]]", {"id": f"q{n}", "type": "true_false",
                                               "prompt": f"Statement {n} is true.",
                                               "answer": True, "points": 1})]
    return "\n".join(lines) + "\n"


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
       '<circle cx="32" cy="32" r="30" fill="#1d4ed8"/></svg>\n')


def _course(root: Path, slug: str, title: str, lessons: list[str], **extra) -> None:
    folder = root / slug
    folder.mkdir(parents=True)
    fields = {"title": title, "summary": f"About {title}.", "audience": "all"} | extra
    (folder / "course.toml").write_text(_table("", fields).lstrip() + "\n", encoding="utf-8")
    for number, lesson in enumerate(lessons, start=1):
        (folder / f"{number:02d}-{lesson}.md").write_text(
            f'+++\ntitle = "{lesson.replace("-", " ").title()}"\nminutes = 5\n+++\n\nText.\n',
            encoding="utf-8")


def write_program(root: Path, *, exam_settings: dict | None = None,
                  implementation_quiz: bool = True) -> dict:
    """The program under `root`; the app settings that point at it. Without
    `implementation_quiz` the implementation course is complete with its last lesson."""
    content, quizzes = root / "content", root / "quizzes"
    _course(content, ESSENTIALS, COURSE_TITLES[ESSENTIALS], LESSONS[ESSENTIALS], order=1)
    _course(content, ESSENTIALS_JA, "パートナープログラムの基本", LESSONS[ESSENTIALS], order=1,
            locale="ja", translation_of=ESSENTIALS)
    _course(content, IMPLEMENTATION, COURSE_TITLES[IMPLEMENTATION], LESSONS[IMPLEMENTATION],
            order=2, audience="technical", prerequisites=[ESSENTIALS])
    (content / "paths.toml").write_text(
        _table("[[paths]]", {"job_function": "technical", "title": "Technical onboarding",
                             "courses": [ESSENTIALS, IMPLEMENTATION]}) + "\n\n"
        + _table("[[paths]]", {"job_function": "sales", "title": "Sales onboarding",
                               "courses": [ESSENTIALS]}) + "\n", encoding="utf-8")
    (content / "badges").mkdir()
    (content / "badges" / "badge.svg").write_text(SVG, encoding="utf-8")
    credentials = [
        {"slug": ESSENTIALS_BADGE, "name": "Program Essentials", "kind": "badge",
         "description": "Knows the partner program.", "criteria": "Complete Essentials.",
         "image": "badges/badge.svg", "courses": [ESSENTIALS], "quizzes": [ESSENTIALS_QUIZ]},
        {"slug": IMPLEMENTATION_BADGE, "name": IMPLEMENTATION_BADGE_NAME, "kind": "badge",
         "description": "Knows the implementation.", "criteria": "Complete the course.",
         "image": "badges/badge.svg", "courses": [IMPLEMENTATION],
         "quizzes": [IMPLEMENTATION_QUIZ] if implementation_quiz else [],
         "job_function": "technical"},
        {"slug": CERTIFICATION, "name": CERTIFICATION_NAME, "kind": "certification",
         "description": "Passed the timed exam.", "criteria": "Course and exam.",
         "image": "badges/badge.svg", "courses": [IMPLEMENTATION], "quizzes": [EXAM],
         "job_function": "technical", "validity_months": 24, "renewal_quiz": EXAM},
    ]
    tables = [_table("[[credentials]]", c) for c in credentials]
    tables[-1] += "\n\n" + _table("[credentials.ja]", {"name": CERTIFICATION_NAME_JA})
    (content / "credentials.toml").write_text("\n\n".join(tables) + "\n", encoding="utf-8")
    quizzes.mkdir()
    (quizzes / f"{ESSENTIALS_QUIZ}.toml").write_text(
        _quiz("Program Essentials quiz", kind="quiz", course=ESSENTIALS, pass_percent=80,
              max_attempts=0), encoding="utf-8")
    if implementation_quiz:
        (quizzes / f"{IMPLEMENTATION_QUIZ}.toml").write_text(
            _quiz("CRM Implementation quiz", kind="quiz", course=IMPLEMENTATION,
                  pass_percent=80, max_attempts=0), encoding="utf-8")
    exam = {"kind": "exam", "pass_percent": 75, "max_attempts": 3, "cooldown_minutes": 1440,
            "time_limit_minutes": 30, "review": "score_only"} | (exam_settings or {})
    (quizzes / f"{EXAM}.toml").write_text(_quiz("Certified Engineer exam", **exam),
                                          encoding="utf-8")
    return {"LMS_CONTENT_DIR": str(content), "LMS_QUIZZES_DIR": str(quizzes)}


def sync_program() -> None:
    loaded = load_all()
    assert loaded.problems == [], [str(p) for p in loaded.problems]
    sync_all(loaded)
    db.session.commit()


@dataclass
class Walker:
    """One signed-in person walking the program over HTTP."""

    client: FlaskClient

    def complete_lessons(self, course: str, count: int | None = None) -> None:
        lessons = LESSONS[course.removesuffix("-ja")]
        for lesson in lessons[:len(lessons) if count is None else count]:
            response = self.client.post(f"/courses/{course}/{lesson}/complete")
            assert response.status_code == 302, (course, lesson, response.status_code)

    def start(self, quiz: str) -> int:
        response = self.client.post(f"/quizzes/{quiz}")
        location = response.headers.get("Location", "")
        assert response.status_code == 302 and location.startswith("/attempts/"), (
            response.status_code, location)
        return int(location.rsplit("/", 1)[1])

    def take(self, quiz: str, right: int = QUESTIONS) -> int:
        """Start and submit `quiz` with `right` of the four answers right; the attempt id."""
        attempt_id = self.start(quiz)
        answers = {f"q-q{n}": "true" if n <= right else "false"
                   for n in range(1, QUESTIONS + 1)}
        response = self.client.post(f"/attempts/{attempt_id}", data=answers)
        assert response.status_code == 302, response.status_code
        return attempt_id

    def complete_course(self, course: str) -> None:
        """Every lesson, then the course's quiz passed."""
        self.complete_lessons(course)
        self.take({ESSENTIALS: ESSENTIALS_QUIZ, ESSENTIALS_JA: ESSENTIALS_QUIZ,
                   IMPLEMENTATION: IMPLEMENTATION_QUIZ}[course])

    def html(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)


def awards_of(user_id: int, slug: str | None = None) -> list[Award]:
    db.session.expire_all()
    stmt = select(Award).join(Credential).where(Award.user_id == user_id)
    if slug is not None:
        stmt = stmt.where(Credential.slug == slug)
    return list(db.session.scalars(stmt.order_by(Credential.slug, Award.period)))


def attempts_count(user_id: int | None = None) -> int:
    db.session.expire_all()
    stmt = select(Attempt.id)
    if user_id is not None:
        stmt = stmt.where(Attempt.user_id == user_id)
    return len(list(db.session.scalars(stmt)))
