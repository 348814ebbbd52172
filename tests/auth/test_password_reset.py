"""Password reset by email: single use, one hour, only a hash stored, one answer for every
address, rate limited, every session ends; administrators can send a link."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from lms.auth import reset as resets
from lms.auth.service import AccountError
from lms.extensions import db
from lms.models import AuditAction, AuditEvent, PasswordReset, Role, User
from tests.factories import PASSWORD, csrf_token, login, make_org, make_user, signed_in

NEW_PASSWORD = "a-brand-new-password"
LINK_RE = re.compile(r"(https?://[^/\s\"]+)/password/reset/([A-Za-z0-9_\-]+)")
SAME_ANSWER = "If an account exists for that address, we sent a link"
# A fixed moment, so no test depends on the day it runs.
MOMENT = datetime(2031, 3, 31, 23, 30, tzinfo=UTC)


@dataclass
class Mail:
    to: str
    subject: str
    body: str

    @property
    def token(self) -> str:
        match = LINK_RE.search(self.body)
        assert match, self.body
        return match.group(2)


@pytest.fixture
def outbox(app, monkeypatch) -> list[Mail]:
    """Mail is configured; what would go out over SMTP is kept here."""
    sent: list[Mail] = []

    def send_mail(to: str, subject: str, body: str) -> bool:
        sent.append(Mail(to, subject, body))
        return True

    app.config["LMS_SMTP_HOST"] = "smtp.example.test"
    monkeypatch.setattr("lms.auth.reset.send_mail", send_mail)
    return sent


def _forgot(client, email: str, address: str = "10.0.0.1", **kw):
    return client.post("/password/forgot", data={"email": email},
                       environ_base={"REMOTE_ADDR": address}, **kw)


def _reset(client, token: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(f"/password/reset/{token}", data={
        "password": password, "confirm": password if confirm is None else confirm})


def _fresh(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def _resets() -> list[PasswordReset]:
    db.session.expire_all()
    return list(db.session.scalars(select(PasswordReset).order_by(PasswordReset.id)))


def _events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- Asking for a link and using it -----------------------------------------------------------


def test_the_login_page_offers_the_reset(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in html
    assert client.get("/password/forgot").status_code == 200


def test_a_link_by_mail_sets_a_new_password_once(app, outbox):
    user = make_user(Role.MEMBER, email="aiko@example.test")
    client = app.test_client()
    response = _forgot(client, "  AIKO@Example.test ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/password/forgot/sent"
    assert SAME_ANSWER in client.get("/password/forgot/sent").get_data(as_text=True)
    [mail] = outbox
    assert mail.to == "aiko@example.test"
    assert "works once, for one hour" in mail.body

    page = client.get(f"/password/reset/{mail.token}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = _reset(client, mail.token)
    assert done.status_code == 302
    assert done.headers["Location"] == "/login"
    assert "Sign in with the new password" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302, "the reset does not sign anyone in"

    assert login(app.test_client(), user, PASSWORD).status_code == 200  # the old one is gone
    assert login(app.test_client(), user, NEW_PASSWORD).status_code == 302
    [used] = _resets()
    assert used.used_at is not None
    [event] = _events(AuditAction.PASSWORD_RESET)
    assert event.target_user_id == user.id

    # The second use fails, and changes nothing.
    hash_after_first = _fresh(user).password_hash
    again = app.test_client()
    invalid = again.get(f"/password/reset/{mail.token}")
    assert invalid.status_code == 404
    html = invalid.get_data(as_text=True)
    assert "invalid, has expired, or was already used" in html
    assert 'href="/password/forgot"' in html
    assert _reset(again, mail.token, "yet-another-password").status_code == 404
    assert _fresh(user).password_hash == hash_after_first


def test_unknown_inactive_and_known_addresses_get_the_same_answer(app, outbox):
    known = make_user(Role.MEMBER)
    inactive = make_user(Role.MEMBER, active=False)
    of_closed_company = make_user(Role.MEMBER, make_org(active=False))
    answers = []
    for email in (known.email, "nobody@example.test", inactive.email, of_closed_company.email):
        response = _forgot(app.test_client(), email)
        answers.append((response.status_code, response.headers["Location"],
                        response.get_data(as_text=True)))
    assert len(set(answers)) == 1
    assert [mail.to for mail in outbox] == [known.email], "only active people get a mail"
    assert [r.user_id for r in _resets()] == [known.id]


def test_a_malformed_address_is_a_form_error(app, outbox):
    response = _forgot(app.test_client(), "not-an-address")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert outbox == []


def test_only_the_hash_of_the_token_is_stored(app, outbox):
    user = make_user(Role.MEMBER)
    _forgot(app.test_client(), user.email)
    [mail] = outbox
    [stored] = _resets()
    assert stored.token_hash == hashlib.sha256(mail.token.encode()).hexdigest()
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                assert mail.token not in repr(tuple(row)), f"the plain token is in {table.name}"


def test_a_link_expires_after_one_hour(app, outbox):
    user = make_user(Role.MEMBER)
    client = app.test_client()
    with time_machine.travel(MOMENT, tick=False) as clock:
        _forgot(client, user.email)
        [mail] = outbox
        [stored] = _resets()
        assert stored.expires_at - stored.created_at == timedelta(hours=1)
        clock.shift(timedelta(minutes=59, seconds=59))
        assert client.get(f"/password/reset/{mail.token}").status_code == 200
        clock.shift(timedelta(seconds=1))
        assert client.get(f"/password/reset/{mail.token}").status_code == 404
        assert _reset(client, mail.token).status_code == 404
    assert _fresh(user).check_password(PASSWORD)


def test_a_new_link_makes_the_earlier_ones_unusable(app, outbox):
    user = make_user(Role.MEMBER)
    client = app.test_client()
    _forgot(client, user.email)
    _forgot(client, user.email)
    first, second = outbox
    assert client.get(f"/password/reset/{first.token}").status_code == 404
    assert client.get(f"/password/reset/{second.token}").status_code == 200


def test_setting_the_password_ends_every_other_session(app, outbox):
    user = make_user(Role.MEMBER)
    elsewhere = app.test_client()
    assert login(elsewhere, user, remember="y").status_code == 302
    remembered = elsewhere.get_cookie("lms_remember").value
    assert elsewhere.get("/").status_code == 200

    stranger = app.test_client()
    _forgot(stranger, user.email)
    assert _reset(stranger, outbox[0].token).status_code == 302

    assert elsewhere.get("/").status_code == 302, "the session signed in before has ended"
    cookie_only = app.test_client()
    cookie_only.set_cookie("lms_remember", remembered)
    assert cookie_only.get("/").status_code == 302, "and so has its remember-me cookie"


def test_a_signed_in_person_is_asked_to_sign_out_first(app, outbox):
    user = make_user(Role.MEMBER)
    client = signed_in(app, make_user(Role.MEMBER))
    _forgot(app.test_client(), user.email)
    token = outbox[0].token
    for response in (client.get(f"/password/reset/{token}"), _reset(client, token)):
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
    assert "Sign out first" in client.get("/").get_data(as_text=True)
    assert _fresh(user).check_password(PASSWORD)
    assert _resets()[0].used_at is None


@pytest.mark.parametrize(("password", "confirm", "message"), [
    ("a-long-password-1", "a-long-password-2", "The passwords differ."),
    ("short", "short", "Use at least 10 characters."),
    ("Person@Example.test", "Person@Example.test", "must not be your email address"),
])
def test_a_bad_new_password_is_refused_and_nothing_changes(app, outbox, password, confirm,
                                                           message):
    user = make_user(Role.MEMBER, email="person@example.test")
    before = _fresh(user)
    password_hash, session_token = before.password_hash, before.session_token
    client = app.test_client()
    _forgot(client, user.email)
    token = outbox[0].token
    response = _reset(client, token, password, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    after = _fresh(user)
    assert (after.password_hash, after.session_token) == (password_hash, session_token)
    assert _resets()[0].used_at is None
    assert _events(AuditAction.PASSWORD_RESET) == []
    assert _reset(client, token).status_code == 302, "the link still works"


def test_unknown_and_oversized_tokens_answer_404(client):
    assert client.get("/password/reset/not-a-real-token").status_code == 404
    assert client.get("/password/reset/" + "x" * 500).status_code == 404


def test_a_link_of_a_person_deactivated_since_does_not_work(app, outbox):
    user = make_user(Role.MEMBER)
    _forgot(app.test_client(), user.email)
    user.active = False
    db.session.commit()
    assert _reset(app.test_client(), outbox[0].token).status_code == 404
    assert _fresh(user).check_password(PASSWORD)


# --- Rate limits --------------------------------------------------------------------------------


def test_asking_is_limited_per_email_whatever_the_address(app, outbox):
    user = make_user(Role.MEMBER, email="target@example.test")
    client = app.test_client()
    for n in range(5):
        assert _forgot(client, "Target@example.test", address=f"10.2.0.{n}").status_code == 302
    limited = _forgot(client, "target@example.test", address="10.2.0.99")
    assert limited.status_code == 429
    assert "Too many attempts" in limited.get_data(as_text=True)
    assert len(outbox) == 5
    assert _forgot(client, "someone-else@example.test", address="10.2.0.99").status_code == 302
    assert len(_resets()) == 5 and {r.user_id for r in _resets()} == {user.id}


def test_asking_is_limited_per_address_known_or_not(app, outbox):
    client = app.test_client()
    for n in range(20):
        assert _forgot(client, f"guess{n}@example.test").status_code == 302
    assert _forgot(client, "guess99@example.test").status_code == 429
    assert _forgot(client, "guess99@example.test", address="10.0.0.2").status_code == 302


# --- Mail and its absence ---------------------------------------------------------------------


def test_the_link_uses_the_configured_address_not_the_host_header(make_app, monkeypatch):
    app = make_app(LMS_BASE_URL="https://academy.example", LMS_SMTP_HOST="smtp.example.test")
    sent = []
    monkeypatch.setattr("lms.auth.reset.send_mail",
                        lambda to, subject, body: sent.append(body) or True)
    with app.app_context():
        user = make_user(Role.MEMBER)
        _forgot(app.test_client(), user.email, base_url="http://evil.example")
    [body] = sent
    assert LINK_RE.search(body).group(1) == "https://academy.example"
    assert "evil.example" not in body


def test_without_mail_development_logs_the_link(app, caplog):
    user = make_user(Role.MEMBER)
    with caplog.at_level(logging.INFO, logger="lms"):
        response = _forgot(app.test_client(), user.email)
    assert response.headers["Location"] == "/password/forgot/sent"  # the same answer
    [record] = [r for r in caplog.records if "/password/reset/" in r.getMessage()]
    assert record.levelno == logging.INFO
    token = LINK_RE.search(record.getMessage()).group(2)
    assert _reset(app.test_client(), token).status_code == 302


def test_without_mail_production_warns_without_the_link(app, caplog):
    app.config["LMS_ENV"] = "production"
    user = make_user(Role.MEMBER)
    with caplog.at_level(logging.INFO, logger="lms"):
        response = _forgot(app.test_client(), user.email)
    assert response.headers["Location"] == "/password/forgot/sent"
    assert not [r for r in caplog.records if "/password/reset/" in r.getMessage()]
    assert [r for r in caplog.records
            if r.levelno == logging.WARNING and "could not be sent" in r.getMessage()]


# --- Administrators send a link ---------------------------------------------------------------


def test_an_admin_sends_a_reset_by_mail(app, outbox):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    person = make_user(Role.MEMBER)
    client = signed_in(app, admin)
    assert "Send a password reset" in client.get(f"/admin/users/{person.id}").get_data(
        as_text=True)
    response = client.post(f"/admin/users/{person.id}/password-reset")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"was mailed to {person.email}" in html
    assert "/password/reset/" not in html, "a mailed link is not shown"
    [mail] = outbox
    assert mail.to == person.email and "Ada Admin sent you a link" in mail.body
    [stored] = _resets()
    assert stored.requested_by_id == admin.id
    [event] = _events(AuditAction.PASSWORD_RESET_SENT)
    assert (event.actor_id, event.target_user_id) == (admin.id, person.id)
    assert _reset(app.test_client(), mail.token).status_code == 302
    assert login(app.test_client(), person, NEW_PASSWORD).status_code == 302


def test_without_mail_the_admin_is_shown_the_link_once(app):
    admin = make_user(Role.ADMIN)
    person = make_user(Role.MANAGER)
    client = signed_in(app, admin)
    html = client.post(f"/admin/users/{person.id}/password-reset").get_data(as_text=True)
    assert "No mail server is configured" in html
    token = LINK_RE.search(html).group(2)
    assert token not in client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert _reset(app.test_client(), token).status_code == 302


def test_a_partner_admin_sends_resets_to_their_own_people_by_mail_only(app, outbox):
    org = make_org()
    partner_admin = make_user(Role.PARTNER_ADMIN, org)
    colleague = make_user(Role.MEMBER, org, locale="ja")  # mailed in their language
    client = signed_in(app, partner_admin)
    response = client.post(f"/admin/users/{colleague.id}/password-reset")
    html = response.get_data(as_text=True)
    assert f"was mailed to {colleague.email}" in html
    assert "/password/reset/" not in html
    assert [mail.to for mail in outbox] == [colleague.email]

    # Without mail they get no link to hand over (with it they could sign in as them).
    app.config["LMS_SMTP_HOST"] = ""
    refused = client.post(f"/admin/users/{colleague.id}/password-reset")
    assert refused.status_code == 302
    assert "No mail server is configured" in client.get(refused.headers["Location"]).get_data(
        as_text=True)
    assert len(_resets()) == 1


def test_when_the_mail_fails_only_a_vendor_admin_is_shown_the_link(app, monkeypatch):
    app.config["LMS_SMTP_HOST"] = "smtp.example.test"
    monkeypatch.setattr("lms.auth.reset.send_mail", lambda to, subject, body: False)
    org = make_org()
    person = make_user(Role.MEMBER, org)
    admin = signed_in(app, make_user(Role.ADMIN))
    html = admin.post(f"/admin/users/{person.id}/password-reset").get_data(as_text=True)
    assert "The mail could not be sent" in html
    assert LINK_RE.search(html)
    partner_admin = signed_in(app, make_user(Role.PARTNER_ADMIN, org))
    html = partner_admin.post(f"/admin/users/{person.id}/password-reset").get_data(
        as_text=True)
    assert f"The mail to {person.email} could not be sent" in html
    assert not LINK_RE.search(html)


def test_a_partner_admin_cannot_reach_anyone_elses_people(app, outbox):
    partner_admin = make_user(Role.PARTNER_ADMIN)
    stranger = make_user(Role.MEMBER)  # of another company
    staff = make_user(Role.MANAGER)
    client = signed_in(app, partner_admin)
    for person in (stranger, staff):
        assert client.post(f"/admin/users/{person.id}/password-reset").status_code == 404
    member = signed_in(app, make_user(Role.MEMBER))
    assert member.post(f"/admin/users/{stranger.id}/password-reset").status_code == 403
    assert _resets() == [] and outbox == []


def test_no_reset_for_oneself_or_a_deactivated_person(app, outbox):
    admin = make_user(Role.ADMIN)
    inactive = make_user(Role.MEMBER, active=False)
    client = signed_in(app, admin)
    for person in (admin, inactive):
        assert client.post(f"/admin/users/{person.id}/password-reset").status_code == 302
    assert _resets() == [] and outbox == []


# --- CSRF -----------------------------------------------------------------------------------------


def test_every_reset_form_needs_the_csrf_token(make_app, monkeypatch):
    app = make_app(WTF_CSRF_ENABLED=True, LMS_SMTP_HOST="smtp.example.test")
    sent = []
    monkeypatch.setattr("lms.auth.reset.send_mail",
                        lambda to, subject, body: sent.append(body) or True)
    with app.app_context():
        user = make_user(Role.MEMBER)
        guest = app.test_client()
        assert guest.post("/password/forgot", data={"email": user.email}).status_code == 400
        assert sent == [] and _resets() == []
        token = csrf_token(guest, "/password/forgot")
        assert guest.post("/password/forgot", data={
            "email": user.email, "csrf_token": token}).status_code == 302
        link = LINK_RE.search(sent[0]).group(2)
        assert _reset(guest, link).status_code == 400
        assert _fresh(user).check_password(PASSWORD)

        admin = signed_in(app, make_user(Role.ADMIN))
        assert admin.post(f"/admin/users/{user.id}/password-reset").status_code == 400
        assert len(sent) == 1 and len(_resets()) == 1


def test_two_submissions_of_one_link_at_the_same_moment_set_one_password(app, outbox,
                                                                          monkeypatch):
    user = make_user(Role.MEMBER)
    _forgot(app.test_client(), user.email)
    token = outbox[0].token
    both_checked = threading.Barrier(2)
    real_hash = resets.generate_password_hash

    def slow_hash(password, method):
        # Both requests have found the link usable before either claims it.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_checked.wait(timeout=5)
        return real_hash(password, method=method)

    monkeypatch.setattr(resets, "generate_password_hash", slow_hash)
    answers: dict[str, int] = {}

    def submit(password: str) -> None:
        answers[password] = _reset(app.test_client(), token, password).status_code

    threads = [threading.Thread(target=submit, args=(f"password-number-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers.values()) == [302, 404], answers
    [winner] = [password for password, status in answers.items() if status == 302]
    assert _fresh(user).check_password(winner)
    assert len(_events(AuditAction.PASSWORD_RESET)) == 1


# --- The service --------------------------------------------------------------------------------


def test_the_service_claims_a_link_once_even_when_two_submissions_race(app, monkeypatch):
    user = make_user(Role.MEMBER)
    issued = resets.request_reset(user.email, now=MOMENT)
    db.session.commit()
    # Both submissions found the link usable; the first one commits before the second claims.
    stale = resets.find_usable_reset(issued.token, MOMENT)
    resets.reset_password(issued.token, NEW_PASSWORD, now=MOMENT + timedelta(minutes=1))
    db.session.commit()
    monkeypatch.setattr(resets, "find_usable_reset", lambda token, now=None: stale)
    with pytest.raises(AccountError, match="already used"):
        resets.reset_password(issued.token, "the-second-password", now=MOMENT
                              + timedelta(minutes=2))
    db.session.rollback()
    assert _fresh(user).check_password(NEW_PASSWORD)
    assert len(_events(AuditAction.PASSWORD_RESET)) == 1


def test_the_service_honours_the_hour_exactly(app):
    user = make_user(Role.MEMBER)
    issued = resets.request_reset(user.email, now=MOMENT)
    db.session.commit()
    assert resets.find_usable_reset(issued.token, MOMENT + timedelta(minutes=59)) is not None
    assert resets.find_usable_reset(issued.token, MOMENT + timedelta(hours=1)) is None
    with pytest.raises(AccountError):
        resets.reset_password(issued.token, NEW_PASSWORD, now=MOMENT + timedelta(hours=1))


def test_the_service_refuses_unknown_and_inactive_people(app):
    assert resets.request_reset("nobody@example.test") is None
    assert resets.request_reset(make_user(Role.MEMBER, active=False).email) is None
    assert _resets() == []
