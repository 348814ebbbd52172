"""Badges and certifications over HTTP and through the services: awarding exactly once,
criteria, expiry, renewal, revocation, public verification, Open Badges 2.0 JSON, my
credentials and certificates, certifications expiring soon, and the credentials.toml checks."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask_babel import format_date
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from lms.content import load_all, sync_all
from lms.credentials import rules
from lms.credentials import service as credentials_service
from lms.extensions import db
from lms.models import (
    Attempt,
    AuditAction,
    AuditEvent,
    Award,
    Course,
    Credential,
    CredentialKind,
    JobFunction,
    Quiz,
    Role,
    User,
    utcnow,
)
from lms.quizzes import service as quiz_service
from lms.quizzes.service import QuizError
from tests.factories import login, make_org, make_user
from tests.factories.content import toml

BASE = "https://academy.example"
OB_CONTEXT = "https://w3id.org/openbadges/v2"
DAY = timedelta(days=1)
CODE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# The status as the pages show it (credentials/_status.html).
VALID = 'class="status status-ok">Valid<'
EXPIRED = 'class="status status-off">Expired<'
REVOKED = 'class="status status-revoked">Revoked<'

# --- The content tree ---------------------------------------------------------------------


def entry_lines(fields: dict) -> list[str]:
    return ["[[credentials]]", *(f"{key} = {toml(value)}" for key, value in fields.items())]


def credentials_text(entries: list[dict]) -> str:
    lines = ["# Credentials of the test site."]
    for fields in entries:
        lines += ["", *entry_lines(fields)]
    return "\n".join(lines) + "\n"


DEMO_BADGE = {
    "slug": "demo-badge", "name": "Demo Badge", "kind": "badge",
    "description": "The holder knows the demo product.",
    "criteria": "Complete the Demo Course and pass the demo quiz.",
    "image": "badges/demo.svg", "courses": ["demo-course"], "quizzes": ["demo-quiz"],
}
TECH_BADGE = {
    "slug": "tech-badge", "name": "Technical Badge", "kind": "badge",
    "description": "The holder passed the demo quiz in a technical role.",
    "criteria": "Pass the demo quiz. For people in a technical role.",
    "image": "badges/demo.svg", "quizzes": ["demo-quiz"], "job_function": "technical",
}
DEMO_CERT = {
    "slug": "demo-cert", "name": "Demo Certification", "kind": "certification",
    "description": "The holder passed the timed demo exam.",
    "criteria": "Pass the demo exam. Valid for 24 months; renew it in the last 90 days.",
    "image": "badges/cert.svg", "quizzes": ["demo-exam"], "validity_months": 24,
    "renewal_quiz": "demo-exam",
}
CREDENTIALS = [DEMO_BADGE, TECH_BADGE, DEMO_CERT]

SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
       '<circle cx="32" cy="32" r="30" fill="#1d4ed8"/></svg>\n')
EVIL_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
            '<script>alert(1)</script></svg>\n')
COURSE_TOML = 'title = "Demo Course"\nsummary = "Learn the demo."\naudience = "all"\norder = 1\n'
LESSON = '+++\ntitle = "Introduction"\nminutes = 5\n+++\n\nSome text about the demo.\n'


def quiz_file(title: str, kind: str) -> str:
    return (f'title = "{title}"\nkind = "{kind}"\nshuffle = false\n\n'
            '[[questions]]\nid = "t"\ntype = "true_false"\nprompt = "Is the demo easy?"\n'
            'answer = true\npoints = 1\n')


RIGHT = {"q-t": "true"}
WRONG = {"q-t": "false"}


@dataclass
class Site:
    app: object
    content_dir: Path
    quiz_dir: Path

    def write_credentials(self, text: str) -> None:
        (self.content_dir / "credentials.toml").write_text(text, encoding="utf-8")

    def sync(self) -> None:
        content = load_all()
        assert content.problems == [], [str(p) for p in content.problems]
        sync_all(content)
        db.session.commit()

    def client(self, user: User | None = None):
        client = self.app.test_client()
        if user is not None:
            response = login(client, user)
            assert response.status_code == 302, f"{user.email} could not sign in"
        return client


@pytest.fixture
def bare_site(make_app, tmp_path):
    """An app reading a small content tree in tmp_path (not synced); its context is pushed."""
    content_dir, quiz_dir = tmp_path / "content", tmp_path / "quizzes"
    (content_dir / "demo-course").mkdir(parents=True)
    (content_dir / "demo-course" / "course.toml").write_text(COURSE_TOML, encoding="utf-8")
    (content_dir / "demo-course" / "01-intro.md").write_text(LESSON, encoding="utf-8")
    (content_dir / "badges").mkdir()
    (content_dir / "badges" / "demo.svg").write_text(SVG, encoding="utf-8")
    (content_dir / "badges" / "cert.svg").write_text(SVG, encoding="utf-8")
    quiz_dir.mkdir()
    (quiz_dir / "demo-quiz.toml").write_text(quiz_file("Demo Quiz", "quiz"), encoding="utf-8")
    (quiz_dir / "demo-exam.toml").write_text(quiz_file("Demo Exam", "exam"), encoding="utf-8")
    app = make_app(LMS_CONTENT_DIR=str(content_dir), LMS_QUIZZES_DIR=str(quiz_dir),
                   LMS_BASE_URL=BASE)
    context = app.app_context()
    context.push()
    site = Site(app, content_dir, quiz_dir)
    site.write_credentials(credentials_text(CREDENTIALS))
    yield site
    context.pop()


@pytest.fixture
def site(bare_site) -> Site:
    bare_site.sync()
    return bare_site


# --- Helpers ------------------------------------------------------------------------------


def html_of(response) -> str:
    return response.get_data(as_text=True)


def credential(slug: str) -> Credential:
    return db.session.scalar(select(Credential).where(Credential.slug == slug))


def awards_of(user: User, slug: str | None = None) -> list[Award]:
    db.session.expire_all()
    stmt = select(Award).join(Credential).where(Award.user_id == user.id)
    if slug is not None:
        stmt = stmt.where(Credential.slug == slug)
    return list(db.session.scalars(stmt.order_by(Credential.slug, Award.period)))


def slugs_held(user: User) -> list[str]:
    return [a.credential.slug for a in awards_of(user)]


def complete_lesson(client) -> None:
    response = client.post("/courses/demo-course/intro/complete")
    assert response.status_code == 302, response.status_code


def take_quiz(client, slug: str, answers: dict) -> int:
    """Start and submit an attempt over HTTP; its id."""
    response = client.post(f"/quizzes/{slug}")
    location = response.headers.get("Location", "")
    assert response.status_code == 302 and location.startswith("/attempts/"), (
        response.status_code, location)
    attempt_id = int(location.rsplit("/", 1)[1])
    response = client.post(f"/attempts/{attempt_id}", data=answers)
    assert response.status_code == 302, response.status_code
    return attempt_id


def attempt_row(attempt_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def pass_at(user: User, quiz_slug: str, now: datetime, answers: dict | None = None) -> Attempt:
    """Take a quiz through the services at `now` (grading sends the awarding signal)."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == quiz_slug))
    attempt = quiz_service.start_attempt(user, quiz, now=now)
    form = {key: [value] for key, value in (answers or RIGHT).items()}
    graded = quiz_service.submit_attempt(user, attempt.id, form, now=now)
    db.session.commit()
    return graded


def give(user: User, slug: str, *, issued: datetime, expires: datetime | None,
         period: int = 1) -> Award:
    """An award row made directly (for dates relative to the real clock)."""
    award = Award(user_id=user.id, credential_id=credential(slug).id, period=period,
                  issued_at=issued, expires_at=expires)
    db.session.add(award)
    db.session.commit()
    return award


def local_date(app, moment: datetime) -> str:
    """A date as the pages show it (the app's locale and time zone)."""
    with app.test_request_context():
        return format_date(moment)


def strip_base(url: str) -> str:
    assert url.startswith(BASE + "/"), url
    return url[len(BASE):]


def member(org=None, **kw) -> User:
    return make_user(Role.MEMBER, org, **kw)


# --- Sync ---------------------------------------------------------------------------------


def test_sync_creates_the_credentials_and_badges_is_not_a_course(site):
    cert = credential("demo-cert")
    badge = credential("demo-badge")

    assert {c.slug for c in db.session.scalars(select(Credential))} == {
        "demo-badge", "tech-badge", "demo-cert"}
    assert (cert.kind, cert.validity_months, cert.renewal_quiz, cert.quizzes) == (
        CredentialKind.CERTIFICATION, 24, "demo-exam", ["demo-exam"])
    assert (badge.kind, badge.validity_months, badge.courses, badge.image) == (
        CredentialKind.BADGE, None, ["demo-course"], "badges/demo.svg")
    assert credential("tech-badge").job_function == "technical"
    assert db.session.scalar(select(Course).where(Course.slug == "badges")) is None


def test_the_shipped_credentials_have_no_problems(app):
    content = load_all()

    assert [str(p) for p in content.credentials.problems] == []
    assert {c.slug for c in content.credentials.credentials} >= {
        "program-essentials", "nimbus-certified-sales-professional"}


# --- Awarding once ------------------------------------------------------------------------


def test_passing_awards_the_badge_exactly_once(site):
    user = member()
    client = site.client(user)
    complete_lesson(client)
    assert awards_of(user) == []

    attempt_id = take_quiz(client, "demo-quiz", RIGHT)

    awards = awards_of(user, "demo-badge")
    assert len(awards) == 1
    award = awards[0]
    assert (award.period, award.expires_at, award.revoked_at) == (1, None, None)
    assert award.issued_at == attempt_row(attempt_id).submitted_at

    second = take_quiz(client, "demo-quiz", RIGHT)

    assert attempt_row(second).passed is True
    assert [a.id for a in awards_of(user, "demo-badge")] == [award.id]
    assert db.session.scalar(select(func.count()).select_from(Award).where(
        Award.user_id == user.id, Award.credential_id == credential("demo-badge").id)) == 1


def test_completing_the_last_lesson_after_the_quiz_awards_the_badge(site):
    user = member()
    client = site.client(user)

    take_quiz(client, "demo-quiz", RIGHT)
    assert slugs_held(user) == []  # the lesson is not done yet

    complete_lesson(client)

    assert slugs_held(user) == ["demo-badge"]


def test_no_award_when_the_quiz_is_failed(site):
    user = member()
    client = site.client(user)
    complete_lesson(client)

    attempt_id = take_quiz(client, "demo-quiz", WRONG)
    exam_id = take_quiz(client, "demo-exam", WRONG)

    assert attempt_row(attempt_id).passed is False
    assert attempt_row(exam_id).passed is False
    assert awards_of(user) == []


def test_no_award_for_the_wrong_job_function(site):
    seller = member(job=JobFunction.SALES)
    engineer = member(job=JobFunction.TECHNICAL)

    take_quiz(site.client(seller), "demo-quiz", RIGHT)
    take_quiz(site.client(engineer), "demo-quiz", RIGHT)

    assert slugs_held(seller) == []
    assert slugs_held(engineer) == ["tech-badge"]


def test_a_course_quiz_that_completes_the_course_awards_the_badge(bare_site):
    (bare_site.quiz_dir / "demo-quiz.toml").write_text(
        quiz_file("Demo Quiz", "quiz").replace('shuffle = false', 'course = "demo-course"\n'
                                               'shuffle = false'), encoding="utf-8")
    bare_site.sync()
    user = member()
    client = bare_site.client(user)
    complete_lesson(client)
    assert slugs_held(user) == []  # the course is complete only once its quiz is passed

    take_quiz(client, "demo-quiz", RIGHT)

    assert slugs_held(user) == ["demo-badge"]


def test_awards_have_a_unique_user_credential_period_constraint(site):
    user = member()
    pass_at(user, "demo-exam", datetime(2026, 1, 5, 3, tzinfo=UTC))
    (award,) = awards_of(user, "demo-cert")

    uniques = inspect(db.engine).get_unique_constraints("awards")
    assert {"user_id", "credential_id", "period"} in [set(u["column_names"]) for u in uniques]
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Award(user_id=user.id, credential_id=award.credential_id, period=1,
                             issued_at=utcnow(), expires_at=None))
    db.session.rollback()
    # A racing second award of the same period is dropped, not raised.
    assert credentials_service._add_award(user, credential("demo-cert"), 1, utcnow(),
                                          None) == []
    db.session.commit()
    assert credentials_service.award_earned([user], now=utcnow()) == []
    db.session.commit()
    assert [a.id for a in awards_of(user)] == [award.id]


def test_vendor_staff_are_never_awarded(site):
    manager = make_user(Role.MANAGER)

    pass_at(manager, "demo-exam", datetime(2026, 1, 5, 3, tzinfo=UTC))

    assert credentials_service.award_earned([manager]) == []
    assert awards_of(manager) == []


# --- Expiry -------------------------------------------------------------------------------


def test_a_certification_expires_validity_months_after_issue(site):
    user = member()
    client = site.client(user)

    attempt_id = take_quiz(client, "demo-exam", RIGHT)

    (award,) = awards_of(user, "demo-cert")
    assert award.issued_at == attempt_row(attempt_id).submitted_at
    assert award.expires_at == rules.add_months(award.issued_at, 24)
    assert award.expires_at > utcnow() + timedelta(days=700)

    # Retaking the exam long before the renewal window is refused: it would renew nothing.
    response = client.post("/quizzes/demo-exam")
    assert response.headers["Location"].endswith("/quizzes/demo-exam")
    assert "can be renewed from" in client.get("/quizzes/demo-exam").get_data(as_text=True)
    assert [a.id for a in awards_of(user)] == [award.id]


@pytest.mark.parametrize(("passed_at", "expires"), [
    (datetime(2025, 6, 14, 3, tzinfo=UTC), datetime(2027, 6, 14, 3, tzinfo=UTC)),
    (datetime(2024, 2, 29, 3, tzinfo=UTC), datetime(2026, 2, 28, 3, tzinfo=UTC)),
])
def test_expiry_is_issue_plus_validity_months(site, passed_at, expires):
    user = member()

    pass_at(user, "demo-exam", passed_at)

    (award,) = awards_of(user, "demo-cert")
    assert (award.period, award.issued_at, award.expires_at) == (1, passed_at, expires)


# --- Renewal ------------------------------------------------------------------------------

ISSUED = datetime(2024, 3, 10, 3, tzinfo=UTC)
EXPIRES = datetime(2026, 3, 10, 3, tzinfo=UTC)


def certified(user: User) -> Award:
    pass_at(user, "demo-exam", ISSUED)
    (award,) = awards_of(user, "demo-cert")
    assert (award.issued_at, award.expires_at) == (ISSUED, EXPIRES)
    return award


@pytest.mark.parametrize("days_before", [30, 90, 1])
def test_passing_the_renewal_exam_in_the_window_extends_from_the_old_expiry(site, days_before):
    user = member()
    certified(user)
    renewed_at = EXPIRES - days_before * DAY

    pass_at(user, "demo-exam", renewed_at)

    first, second = awards_of(user, "demo-cert")
    assert (first.period, first.expires_at, first.revoked_at) == (1, EXPIRES, None)
    assert (second.period, second.issued_at, second.expires_at) == (
        2, renewed_at, datetime(2028, 3, 10, 3, tzinfo=UTC))
    assert second.verification_code != first.verification_code


def test_passing_more_than_90_days_before_expiry_renews_nothing(site):
    user = member()
    certified(user)

    # Before the window the renewal exam cannot even be started: nothing is wasted.
    with pytest.raises(QuizError, match="can be renewed from"):
        pass_at(user, "demo-exam", EXPIRES - 91 * DAY)
    db.session.rollback()
    assert [a.period for a in awards_of(user, "demo-cert")] == [1]
    assert credentials_service.award_earned([user], now=EXPIRES - 10 * DAY) == []
    db.session.commit()
    assert [a.period for a in awards_of(user, "demo-cert")] == [1]


def test_passing_after_expiry_starts_a_period_from_the_pass_date(site):
    user = member()
    certified(user)
    late = EXPIRES + 45 * DAY

    pass_at(user, "demo-exam", late)

    first, second = awards_of(user, "demo-cert")
    assert first.expires_at == EXPIRES
    assert (second.period, second.issued_at, second.expires_at) == (
        2, late, datetime(2028, 4, 24, 3, tzinfo=UTC))


def test_a_renewed_period_is_not_renewed_again_by_the_next_pass(site):
    user = member()
    certified(user)
    pass_at(user, "demo-exam", EXPIRES - 30 * DAY)

    # The new period's renewal window is far away: another attempt is refused.
    with pytest.raises(QuizError, match="can be renewed from"):
        pass_at(user, "demo-exam", EXPIRES - 20 * DAY)
    db.session.rollback()
    assert [a.period for a in awards_of(user, "demo-cert")] == [1, 2]


def test_a_badge_is_never_renewed(site):
    user = member()
    client = site.client(user)
    complete_lesson(client)
    pass_at(user, "demo-quiz", datetime(2024, 1, 10, 3, tzinfo=UTC))

    pass_at(user, "demo-quiz", datetime(2030, 1, 10, 3, tzinfo=UTC))

    assert [(a.period, a.expires_at) for a in awards_of(user, "demo-badge")] == [(1, None)]


def test_a_certification_earned_on_the_last_attempt_can_still_be_renewed(bare_site):
    (bare_site.quiz_dir / "demo-exam.toml").write_text(
        quiz_file("Demo Exam", "exam").replace('shuffle = false', 'max_attempts = 3\n'
                                               'cooldown_minutes = 1440\nshuffle = false'),
        encoding="utf-8")
    bare_site.sync()
    user = member()
    pass_at(user, "demo-exam", ISSUED - 2 * DAY, WRONG)
    pass_at(user, "demo-exam", ISSUED - DAY, WRONG)
    certified(user)

    pass_at(user, "demo-exam", EXPIRES - 30 * DAY)

    assert [a.period for a in awards_of(user, "demo-cert")] == [1, 2]


# --- Revocation ---------------------------------------------------------------------------


def test_an_admin_revokes_an_award_with_a_reason(site):
    org = make_org(name="Holder Partner K.K.")
    holder = member(org, name="Hana Holder")
    award = give(holder, "demo-cert", issued=utcnow() - 10 * DAY,
                 expires=utcnow() + 700 * DAY)
    admin = make_user(Role.ADMIN)
    client = site.client(admin)
    public = site.client()
    assert VALID in html_of(public.get(f"/verify/{award.verification_code}"))

    page = client.get(f"/admin/credentials/{award.id}/revoke")
    response = client.post(f"/admin/credentials/{award.id}/revoke",
                           data={"reason": "Exam answers were shared."})

    assert page.status_code == 200
    assert "Demo Certification" in html_of(page) and "Hana Holder" in html_of(page)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/credentials"
    db.session.expire_all()
    award = db.session.get(Award, award.id)
    assert award.revoked_at is not None
    assert award.revoked_reason == "Exam answers were shared."
    assert award.revoked_by_id == admin.id
    (event,) = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.CREDENTIAL_REVOKED))
    assert event.action.value == "credential_revoked"
    assert (event.actor_id, event.target_user_id, event.organization_id) == (
        admin.id, holder.id, org.id)
    assert event.detail["credential"] == "demo-cert"
    assert event.detail["reason"] == "Exam answers were shared."

    verify = public.get(f"/verify/{award.verification_code}")
    assert verify.status_code == 200
    assert REVOKED in html_of(verify)
    assert VALID not in html_of(verify)
    body = public.get(f"/verify/{award.verification_code}.json")
    assert body.status_code == 410
    assert body.get_json()["revoked"] is True
    assert body.get_json()["type"] == "Assertion"
    assert body.get_json()["id"] == f"{BASE}/verify/{award.verification_code}.json"
    assert "recipient" not in body.get_json()
    mine = html_of(site.client(holder).get("/credentials"))
    assert REVOKED in mine


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_a_revocation_without_a_reason_is_refused_and_changes_nothing(site, reason):
    award = give(member(), "demo-cert", issued=utcnow() - DAY, expires=utcnow() + 700 * DAY)
    client = site.client(make_user(Role.ADMIN))

    response = client.post(f"/admin/credentials/{award.id}/revoke", data={"reason": reason})

    assert response.status_code == 400
    html = html_of(response)
    assert 'class="field-error"' in html
    assert "This field is required." in html
    db.session.expire_all()
    award = db.session.get(Award, award.id)
    assert (award.revoked_at, award.revoked_reason, award.revoked_by_id) == (None, None, None)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.CREDENTIAL_REVOKED)) == 0
    verify = site.client().get(f"/verify/{award.verification_code}.json")
    assert verify.status_code == 200


def test_revoking_twice_is_refused(site):
    award = give(member(), "demo-cert", issued=utcnow() - DAY, expires=utcnow() + 700 * DAY)
    client = site.client(make_user(Role.ADMIN))
    assert client.post(f"/admin/credentials/{award.id}/revoke",
                       data={"reason": "First reason."}).status_code == 302

    response = client.post(f"/admin/credentials/{award.id}/revoke",
                           data={"reason": "Second reason."})

    assert response.status_code == 400
    assert "already revoked" in html_of(response)
    db.session.expire_all()
    assert db.session.get(Award, award.id).revoked_reason == "First reason."
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.CREDENTIAL_REVOKED)) == 1


def test_only_admins_may_revoke(site):
    org = make_org()
    holder = member(org)
    award = give(holder, "demo-cert", issued=utcnow() - DAY, expires=utcnow() + 700 * DAY)
    people = [holder, make_user(Role.PARTNER_ADMIN, org), make_user(Role.MANAGER)]

    for person in people:
        client = site.client(person)
        path = f"/admin/credentials/{award.id}/revoke"
        assert client.get(path).status_code == 403, person.role
        assert client.post(path, data={"reason": "Not allowed."}).status_code == 403, (
            person.role)
        assert client.get("/admin/credentials").status_code == 403, person.role
    anonymous = site.client().post(f"/admin/credentials/{award.id}/revoke",
                                   data={"reason": "Not allowed."})
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")

    db.session.expire_all()
    assert db.session.get(Award, award.id).revoked_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.CREDENTIAL_REVOKED)) == 0


def test_revoking_an_unknown_award_is_404(site):
    client = site.client(make_user(Role.ADMIN))

    assert client.get("/admin/credentials/999999/revoke").status_code == 404
    assert client.post("/admin/credentials/999999/revoke",
                       data={"reason": "Gone."}).status_code == 404


# --- Public verification ------------------------------------------------------------------


def test_an_unknown_code_is_404_for_the_page_and_the_json(site):
    client = site.client()
    give(member(), "demo-badge", issued=utcnow(), expires=None)

    for code in ("no-such-code", "A" * 32, "x" * 80):
        assert client.get(f"/verify/{code}").status_code == 404
        response = client.get(f"/verify/{code}.json")
        assert response.status_code == 404
        assert "recipient" not in (response.get_json() or {})


def test_the_verification_page_is_public_and_shows_only_the_credential(site):
    org = make_org(slug="secret-partner", name="Secret Partner K.K.")
    holder = member(org, name="Hana Holder", email="hana.holder@secret-partner.example")
    colleague = member(org, name="Colin Colleague", email="colin@secret-partner.example")
    # Issued 40 days ago, whatever the day: a fixed date would make this award expire, and
    # the test fail, 24 months after it was written.
    issued = (utcnow() - timedelta(days=40)).replace(microsecond=0)
    award = give(holder, "demo-cert", issued=issued, expires=rules.add_months(issued, 24))
    give(colleague, "demo-badge", issued=issued, expires=None)

    response = site.client().get(f"/verify/{award.verification_code}")

    assert response.status_code == 200
    html = html_of(response)
    for shown in ("Hana Holder", "Demo Certification", "Nimbus CRM Partner Program",
                  local_date(site.app, issued), local_date(site.app, award.expires_at),
                  VALID, "Valid until"):
        assert shown in html, shown
    for hidden in ("hana.holder", "secret-partner.example", "Secret Partner",
                   "secret-partner", "Colin", "colin", "Demo Badge"):
        assert hidden not in html, hidden


def test_an_expired_award_still_verifies_with_its_past_expiry(site):
    issued = datetime(2020, 5, 4, 3, tzinfo=UTC)
    award = give(member(name="Olga Older"), "demo-cert", issued=issued,
                 expires=rules.add_months(issued, 24))
    client = site.client()

    page = client.get(f"/verify/{award.verification_code}")
    response = client.get(f"/verify/{award.verification_code}.json")

    assert page.status_code == 200
    assert EXPIRED in html_of(page) and "Olga Older" in html_of(page)
    assert response.status_code == 200
    body = response.get_json()
    assert body["expires"] == "2022-05-04T03:00:00Z"
    assert datetime.fromisoformat(body["expires"]) < utcnow()
    assert "revoked" not in body


# --- Open Badges 2.0 ----------------------------------------------------------------------


def test_the_assertion_of_a_certification_has_every_required_field(site):
    user = member(email="ada.lovelace@example.test")
    pass_at(user, "demo-exam", datetime(2026, 2, 3, 4, 5, 6, 789000, tzinfo=UTC))
    (award,) = awards_of(user, "demo-cert")

    response = site.client().get(f"/verify/{award.verification_code}.json")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["@context"] == OB_CONTEXT
    assert body["type"] == "Assertion"
    assert body["id"] == f"{BASE}/verify/{award.verification_code}.json"
    recipient = body["recipient"]
    assert recipient["type"] == "email"
    assert recipient["hashed"] is True
    salt = recipient["salt"]
    assert isinstance(salt, str) and len(salt) >= 16
    expected = "sha256$" + hashlib.sha256((user.email + salt).encode()).hexdigest()
    assert recipient["identity"] == expected
    assert user.email not in json.dumps(body)
    assert body["badge"] == f"{BASE}/badges/demo-cert.json"
    assert body["verification"] == {"type": "hosted"}
    assert body["issuedOn"] == "2026-02-03T04:05:06Z"
    assert datetime.fromisoformat(body["issuedOn"]) == datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert body["expires"] == "2028-02-03T04:05:06Z"
    for key in ("id", "badge"):
        assert body[key].startswith(BASE + "/")


def test_the_assertion_of_a_badge_has_no_expiry(site):
    award = give(member(), "demo-badge", issued=datetime(2026, 2, 3, 3, tzinfo=UTC),
                 expires=None)

    body = site.client().get(f"/verify/{award.verification_code}.json").get_json()

    assert body["type"] == "Assertion"
    assert body["badge"] == f"{BASE}/badges/demo-badge.json"
    assert body["issuedOn"] == "2026-02-03T03:00:00Z"
    assert "expires" not in body


def test_the_badge_class_and_its_image(site):
    client = site.client()

    response = client.get("/badges/demo-cert.json")

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.get_json()
    assert body["@context"] == OB_CONTEXT
    assert body["type"] == "BadgeClass"
    assert body["id"] == f"{BASE}/badges/demo-cert.json"
    assert body["name"] == "Demo Certification"
    assert body["description"] == DEMO_CERT["description"]
    assert body["criteria"] == {"narrative": DEMO_CERT["criteria"]}
    assert body["issuer"] == f"{BASE}/issuer.json"
    assert body["image"] == f"{BASE}/badges/demo-cert/image"
    image = client.get(strip_base(body["image"]))
    data = image.get_data(as_text=True)
    image.close()  # a file response
    assert image.status_code == 200
    assert image.mimetype == "image/svg+xml"
    assert data == SVG
    csp = image.headers["Content-Security-Policy"]
    assert "sandbox" in csp
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    issuer = client.get(strip_base(body["issuer"]))
    assert issuer.status_code == 200
    assert issuer.get_json()["type"] == "Issuer"


def test_an_unknown_badge_is_404(site):
    client = site.client()

    assert client.get("/badges/no-such-badge.json").status_code == 404
    assert client.get("/badges/no-such-badge/image").status_code == 404


def test_the_issuer_profile(site):
    response = site.client().get("/issuer.json")

    assert response.status_code == 200
    body = response.get_json()
    assert body == {
        "@context": OB_CONTEXT,
        "type": "Issuer",
        "id": f"{BASE}/issuer.json",
        "name": "Nimbus CRM Partner Program",
        "url": BASE,
        "email": "partners@nimbus-crm.example",
    }


def test_every_open_badges_id_is_absolute_under_the_base_url(site):
    award = give(member(), "demo-cert", issued=utcnow() - DAY, expires=utcnow() + 700 * DAY)
    client = site.client()

    assertion = client.get(f"/verify/{award.verification_code}.json").get_json()
    badge = client.get(strip_base(assertion["badge"])).get_json()
    issuer = client.get(strip_base(badge["issuer"])).get_json()

    urls = [assertion["id"], assertion["badge"], badge["id"], badge["image"], badge["issuer"],
            issuer["id"], issuer["url"]]
    for url in urls:
        assert url.startswith(BASE), url
    assert assertion["badge"] == badge["id"]
    assert badge["issuer"] == issuer["id"]
    for url in (assertion["id"], badge["id"], badge["image"], issuer["id"]):
        response = client.get(strip_base(url))
        response.close()
        assert response.status_code == 200, url


# --- My credentials and certificates ------------------------------------------------------


def test_my_credentials_lists_mine_with_status_and_expiry_and_never_anothers(site):
    org = make_org()
    me = member(org)
    other = member(org, name="Otto Other")
    issued = utcnow() - 30 * DAY
    cert = give(me, "demo-cert", issued=issued, expires=rules.add_months(issued, 24))
    old = datetime(2020, 1, 15, 3, tzinfo=UTC)
    badge = give(me, "demo-badge", issued=old, expires=None)
    theirs = give(other, "tech-badge", issued=issued, expires=None)

    response = site.client(me).get("/credentials")

    assert response.status_code == 200
    html = html_of(response)
    assert "Demo Certification" in html and "Demo Badge" in html
    assert html.count(VALID) == 2
    assert local_date(site.app, cert.expires_at) in html
    assert local_date(site.app, old) in html
    assert f"/credentials/{cert.id}/certificate" in html
    assert f"/verify/{badge.verification_code}" in html
    assert "Technical Badge" not in html
    assert theirs.verification_code not in html
    assert f"/credentials/{theirs.id}/certificate" not in html
    assert "Otto Other" not in html


def test_my_credentials_shows_an_expired_certification_and_only_its_latest_period(site):
    me = member()
    issued = utcnow() - 800 * DAY
    expired = give(me, "demo-cert", issued=issued, expires=rules.add_months(issued, 24))

    html = html_of(site.client(me).get("/credentials"))

    assert EXPIRED in html
    assert local_date(site.app, expired.expires_at) in html
    renewed = give(me, "demo-cert", issued=utcnow() - DAY,
                   expires=rules.add_months(utcnow(), 24), period=2)
    html = html_of(site.client(me).get("/credentials"))
    assert VALID in html and EXPIRED not in html
    assert renewed.verification_code in html
    assert expired.verification_code not in html


def test_my_credentials_needs_sign_in(site):
    response = site.client().get("/credentials")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_the_certificate_has_the_verification_url_and_a_qr_code(site):
    me = member(name="Cera Certified")
    issued = utcnow() - DAY
    award = give(me, "demo-cert", issued=issued, expires=rules.add_months(issued, 24))

    response = site.client(me).get(f"/credentials/{award.id}/certificate")

    assert response.status_code == 200
    html = html_of(response)
    assert f"{BASE}/verify/{award.verification_code}" in html
    assert re.search(r'<div class="qr"[^>]*>\s*<svg', html), "no inline QR code"
    assert "Cera Certified" in html and "Demo Certification" in html
    assert local_date(site.app, award.expires_at) in html


def test_the_certificate_of_a_revoked_award_does_not_pass_for_a_valid_one(site):
    me = member()
    award = give(me, "demo-cert", issued=utcnow() - DAY, expires=utcnow() + 700 * DAY)
    admin = site.client(make_user(Role.ADMIN))
    assert admin.post(f"/admin/credentials/{award.id}/revoke",
                      data={"reason": "Cheating."}).status_code == 302

    response = site.client(me).get(f"/credentials/{award.id}/certificate")

    assert response.status_code == 404 or "Revoked" in html_of(response)


def test_another_persons_certificate_is_404(site):
    org = make_org()
    me, colleague = member(org), member(org)
    theirs = give(colleague, "demo-cert", issued=utcnow() - DAY, expires=utcnow() + 700 * DAY)
    partner_admin = make_user(Role.PARTNER_ADMIN, org)

    assert site.client(me).get(f"/credentials/{theirs.id}/certificate").status_code == 404
    assert site.client(partner_admin).get(
        f"/credentials/{theirs.id}/certificate").status_code == 404
    assert site.client(me).get("/credentials/999999/certificate").status_code == 404
    anonymous = site.client().get(f"/credentials/{theirs.id}/certificate")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")


def test_verification_codes_are_long_random_and_distinct(site):
    people = [member() for _ in range(4)]
    awards = [give(p, slug, issued=utcnow(), expires=None)
              for p in people for slug in ("demo-badge", "tech-badge")]
    awards += [give(people[0], "demo-cert", issued=utcnow(), expires=utcnow() + 700 * DAY)]

    codes = [a.verification_code for a in awards]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) >= 22, code  # 22 URL-safe characters carry 132 bits
        assert CODE_RE.match(code), code
    salts = [a.recipient_salt for a in awards]
    assert len(set(salts)) == len(salts)


# --- Expiring soon ------------------------------------------------------------------------


@pytest.fixture
def expiring(site):
    """Two companies: A with one certification expiring in 30 days and one valid for long,
    B with one expiring in 20 days; plus awards that must not be listed."""
    now = utcnow()
    org_a = make_org(name="Alpha Partner K.K.")
    org_b = make_org(name="Beta Partner K.K.")
    alice = member(org_a, name="Alice Expiring")
    bob = member(org_a, name="Bob Lasting")
    carol = member(org_a, name="Carol Renewed")
    dave = member(org_b, name="Dave Expiring")
    erin = member(org_a, name="Erin Later")
    give(alice, "demo-cert", issued=now - 700 * DAY, expires=now + 30 * DAY)
    give(bob, "demo-cert", issued=now - 300 * DAY, expires=now + 400 * DAY)
    give(carol, "demo-cert", issued=now - 700 * DAY, expires=now + 200 * DAY)  # not soon
    give(dave, "demo-cert", issued=now - 700 * DAY, expires=now + 20 * DAY)
    give(erin, "demo-cert", issued=now - 800 * DAY, expires=now - 5 * DAY)  # already lapsed
    give(alice, "demo-badge", issued=now - 700 * DAY, expires=None)
    return org_a, org_b


def expiring_rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_a_partner_admin_sees_their_companys_expiring_certifications(site, expiring):
    org_a, _org_b = expiring
    partner_admin = make_user(Role.PARTNER_ADMIN, org_a)

    response = site.client(partner_admin).get("/credentials/expiring")

    assert response.status_code == 200
    rows = expiring_rows(html_of(response))
    assert len(rows) == 1, rows
    assert "Alice Expiring" in rows[0]
    assert "Demo Certification" in rows[0]
    assert rows[0].endswith("3 → 2"), rows[0]  # Alice, Bob and Carol hold it now
    html = html_of(response)
    for hidden in ("Dave Expiring", "Beta Partner", "Bob Lasting", "Carol Renewed",
                   "Erin Later", "Demo Badge"):
        assert hidden not in html, hidden


def test_the_holder_counts_of_a_company_with_two_holders(site):
    now = utcnow()
    org = make_org()
    expiring_one = member(org, name="Ivy Expiring")
    lasting_one = member(org, name="Lou Lasting")
    give(expiring_one, "demo-cert", issued=now - 700 * DAY, expires=now + 59 * DAY)
    give(lasting_one, "demo-cert", issued=now - 100 * DAY, expires=now + 600 * DAY)

    html = html_of(site.client(make_user(Role.PARTNER_ADMIN, org)).get("/credentials/expiring"))

    rows = expiring_rows(html)
    assert len(rows) == 1, rows
    assert "Ivy Expiring" in rows[0]
    assert rows[0].endswith("2 → 1"), rows[0]


def test_a_certification_renewed_early_is_not_listed(site):
    now = utcnow()
    org = make_org()
    person = member(org, name="Rita Renewer")
    give(person, "demo-cert", issued=now - 700 * DAY, expires=now + 30 * DAY)
    give(person, "demo-cert", issued=now - DAY, expires=now + 760 * DAY, period=2)

    html = html_of(site.client(make_user(Role.PARTNER_ADMIN, org)).get("/credentials/expiring"))

    assert "Rita Renewer" not in html
    assert "Nothing expires in the next 60 days." in html


def test_a_manager_sees_every_companys_expiring_certifications(site, expiring):
    response = site.client(make_user(Role.MANAGER)).get("/credentials/expiring")

    assert response.status_code == 200
    rows = expiring_rows(html_of(response))
    assert len(rows) == 2, rows
    dave, alice = rows  # the soonest first
    assert "Dave Expiring" in dave and "Beta Partner K.K." in dave and dave.endswith("1 → 0")
    assert "Alice Expiring" in alice and "Alpha Partner K.K." in alice
    assert alice.endswith("3 → 2")


def test_a_member_may_not_see_expiring_certifications(site, expiring):
    org_a, _org_b = expiring
    client = site.client(member(org_a))

    assert client.get("/credentials/expiring").status_code == 403
    anonymous = site.client().get("/credentials/expiring")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login")


# --- credentials.toml checks --------------------------------------------------------------


def line_of(text: str, needle: str, start_line: int) -> int:
    """The 1-based line number of the first line from `start_line` that starts with needle."""
    lines = text.split("\n")
    for number in range(start_line, len(lines) + 1):
        if lines[number - 1].startswith(needle):
            return number
    raise AssertionError(f"{needle!r} not found")


CERT_FIELDS = {key: value for key, value in DEMO_CERT.items()
               if key not in {"validity_months", "renewal_quiz"}}


@pytest.mark.parametrize(("fields", "where", "message"), [
    (DEMO_BADGE | {"colour": "blue"}, "colour =", "unknown key 'colour'"),
    (DEMO_BADGE | {"courses": ["demo-course", "no-such-course"]}, "courses =",
     "course 'no-such-course' does not exist"),
    (DEMO_BADGE | {"quizzes": ["no-such-quiz"]}, "quizzes =", "'no-such-quiz' does not exist"),
    (CERT_FIELDS | {"renewal_quiz": "demo-exam"}, "[[credentials]]",
     "a certification needs validity_months"),
    (CERT_FIELDS | {"validity_months": 24}, "[[credentials]]",
     "a certification needs a renewal_quiz"),
    (CERT_FIELDS | {"validity_months": 24, "renewal_quiz": "no-such-quiz"}, "renewal_quiz =",
     "a certification needs a renewal_quiz"),
    (DEMO_BADGE | {"validity_months": 12}, "validity_months =", "badges do not expire"),
    (DEMO_BADGE | {"image": "badges/missing.svg"}, "image =", "image must be an .svg or .png"),
    (DEMO_BADGE | {"image": "../outside.svg"}, "image =", "image must be an .svg or .png"),
    (DEMO_BADGE | {"image": "badges/evil.svg"}, "image =",
     "image contains script or event handlers"),
], ids=["unknown-key", "unknown-course", "unknown-quiz", "no-validity", "no-renewal-quiz",
        "unknown-renewal-quiz", "badge-validity", "missing-image", "image-outside",
        "svg-script"])
def test_credentials_toml_problems_are_reported_as_file_and_line(bare_site, fields, where,
                                                                 message):
    (bare_site.content_dir / "badges" / "evil.svg").write_text(EVIL_SVG, encoding="utf-8")
    (bare_site.content_dir.parent / "outside.svg").write_text(SVG, encoding="utf-8")
    broken = fields | {"slug": "broken"}
    text = credentials_text([TECH_BADGE, broken])
    bare_site.write_credentials(text)
    second_entry = line_of(text, "[[credentials]]", line_of(text, "[[credentials]]", 1) + 1)
    expected_line = (second_entry if where == "[[credentials]]"
                     else line_of(text, where, second_entry))

    content = load_all()

    problems = [str(p) for p in content.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"content/credentials.toml:{expected_line}: "), problems
    assert message in problems[0], problems
    assert [c.slug for c in content.credentials.credentials] == ["tech-badge"]


def test_a_valid_credentials_toml_has_no_problems(bare_site):
    content = load_all()

    assert content.problems == []
    assert [c.slug for c in content.credentials.credentials] == [
        "demo-badge", "tech-badge", "demo-cert"]


def test_an_unknown_quiz_is_reported_in_plain_words(bare_site):
    bare_site.write_credentials(credentials_text([DEMO_BADGE | {"quizzes": ["no-such-quiz"]}]))

    problems = [str(p) for p in load_all().problems]

    assert len(problems) == 1, problems
    assert problems[0].endswith(": quiz 'no-such-quiz' does not exist"), problems


@pytest.mark.parametrize("header", ["[[credential]]", "[credentials]"])
def test_a_misspelt_credentials_table_is_reported(bare_site, header):
    text = credentials_text([DEMO_BADGE]).replace("[[credentials]]", header)
    bare_site.write_credentials(text)

    problems = [str(p) for p in load_all().problems]

    assert problems, "nothing reported"
    assert problems[0].startswith("content/credentials.toml:"), problems
