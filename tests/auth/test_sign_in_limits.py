"""Sign-in limits with device cookies (lms.auth.devices): guessing locks out unknown clients,
never the owner's browser; attempts are counted before they are evaluated."""

from __future__ import annotations

import hashlib
import threading

import pytest

from lms.auth import devices
from lms.extensions import db
from lms.models import AuditAction, AuditEvent, Role
from tests.factories import PASSWORD, make_user


def attempt(client, email: str, password: str = "wrong-password", address: str = "10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def trusted_browser(app, user, address: str = "10.0.0.1"):
    """A browser in which `user` signed in once (so it holds a device cookie), signed out."""
    browser = app.test_client()
    assert attempt(browser, user.email, PASSWORD, address).status_code == 302
    assert browser.get_cookie(devices.COOKIE_NAME, path=devices.COOKIE_PATH) is not None
    browser.post("/logout")
    return browser


def test_the_owner_signs_in_from_a_trusted_browser_while_the_attacker_is_locked_out(make_app):
    app = make_app(LMS_LOGIN_LIMIT_ACCOUNT="3 per 15 minutes")
    with app.app_context():
        owner = make_user(Role.MEMBER)
        browser = trusted_browser(app, owner)
        attacker = app.test_client()
        for n in range(3):
            assert attempt(attacker, owner.email, address=f"203.0.113.{n}").status_code == 200
        # Unknown clients are locked out, whatever their address, even with the password.
        refused = attempt(attacker, owner.email, PASSWORD, address="203.0.113.50")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert attacker.get("/").status_code == 302
        assert attempt(app.test_client(), owner.email, PASSWORD,
                       address="198.51.100.1").status_code == 429
        # The owner's browser has a budget of its own.
        assert attempt(browser, owner.email, PASSWORD).status_code == 302
        assert browser.get("/").status_code == 200


def test_concurrent_guesses_stop_at_the_limit(make_app):
    app = make_app(LMS_LOGIN_LIMIT_ACCOUNT="5 per 15 minutes",
                   LMS_LOGIN_LIMIT_ADDRESS="100 per 15 minutes")
    with app.app_context():
        user = make_user(Role.MEMBER)
        email = user.email
    start = threading.Barrier(8)
    statuses: list[int] = []

    def guess(n: int) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait()
            statuses.append(attempt(client, email, f"guess-{n}", f"10.2.0.{n}").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each guess is counted before its password is checked: only 5 were ever evaluated.
    assert sorted(statuses) == [200] * 5 + [429] * 3
    with app.app_context():
        evaluated = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == AuditAction.SIGN_IN_FAILED)).all()
        assert len(evaluated) == 5


def test_a_trusted_browser_that_keeps_failing_locks_only_itself(make_app):
    app = make_app(LMS_LOGIN_LIMIT_DEVICE="3 per 15 minutes")
    with app.app_context():
        owner = make_user(Role.MEMBER)
        stolen_laptop = trusted_browser(app, owner)
        for _ in range(3):
            assert attempt(stolen_laptop, owner.email).status_code == 200
        assert attempt(stolen_laptop, owner.email, PASSWORD).status_code == 429
        # The owner's other browser, and unknown clients, still have their budgets.
        assert attempt(app.test_client(), owner.email, PASSWORD,
                       address="10.0.0.7").status_code == 302


def test_a_shared_office_address_does_not_stop_people_who_signed_in_there(make_app):
    app = make_app(LMS_LOGIN_LIMIT_ADDRESS="3 per 15 minutes")
    with app.app_context():
        colleague = make_user(Role.MEMBER)
        browser = trusted_browser(app, colleague, address="192.0.2.10")
        guesser = app.test_client()
        for n in range(3):
            assert attempt(guesser, f"guess{n}@example.test",
                           address="192.0.2.10").status_code == 200
        assert attempt(guesser, "guess9@example.test", address="192.0.2.10").status_code == 429
        assert attempt(browser, colleague.email, PASSWORD, address="192.0.2.10").status_code == 302


def test_successful_sign_ins_give_their_attempt_back(make_app):
    # A training day: a whole office signs in for the first time through one address.
    app = make_app(LMS_LOGIN_LIMIT_ADDRESS="3 per 15 minutes")
    with app.app_context():
        people = [make_user(Role.MEMBER) for _ in range(6)]
        for person in people:
            assert attempt(app.test_client(), person.email, PASSWORD,
                           address="192.0.2.20").status_code == 302


def test_a_device_cookie_of_another_account_or_a_forged_one_is_not_trusted(make_app):
    app = make_app(LMS_LOGIN_LIMIT_ACCOUNT="2 per 15 minutes")
    with app.app_context():
        victim = make_user(Role.MEMBER)
        attacker_account = make_user(Role.MEMBER)
        attacker = trusted_browser(app, attacker_account)
        attacker.set_cookie(devices.COOKIE_NAME + "-x", "noise")
        for _ in range(2):
            assert attempt(attacker, victim.email).status_code == 200
        assert attempt(attacker, victim.email, PASSWORD).status_code == 429
        forged = app.test_client()
        forged.set_cookie(devices.COOKIE_NAME, "not-signed", path=devices.COOKIE_PATH)
        assert attempt(forged, victim.email, PASSWORD).status_code == 429


def test_locking_out_unknown_clients_is_audited_once(make_app):
    app = make_app(LMS_LOGIN_LIMIT_ACCOUNT="2 per 15 minutes")
    with app.app_context():
        user = make_user(Role.MEMBER)
        client = app.test_client()
        for _ in range(4):
            attempt(client, user.email)
        locked = db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action == AuditAction.SIGN_IN_LOCKED)).all()
        assert [event.target_user_id for event in locked] == [user.id]


def test_one_browser_is_trusted_for_the_few_accounts_signed_in_last(make_app):
    app = make_app()
    with app.app_context():
        people = [make_user(Role.MEMBER) for _ in range(devices.MAX_ACCOUNTS + 1)]
        browser = app.test_client()
        for person in people:
            assert attempt(browser, person.email, PASSWORD).status_code == 302
            browser.post("/logout")
        with app.test_request_context(headers={
                "Cookie": f"{devices.COOKIE_NAME}="
                          f"{browser.get_cookie(devices.COOKIE_NAME, path='/login').value}"}):
            trusted = devices.trusted_accounts()
        assert set(trusted) == {devices.account_hash(p.email) for p in people[1:]}


@pytest.mark.parametrize("email", ["Someone@Example.test", "  someone@example.test "])
def test_an_account_has_one_name_however_its_email_is_spelled(app, email):
    assert devices.account_hash(email) == devices.account_hash("someone@example.test")
    assert "someone" not in devices.account_hash(email)
    # Keyed: the plain SHA-256 of a guessed email does not match it.
    assert devices.account_hash(email) not in hashlib.sha256(b"someone@example.test").hexdigest()


def test_a_slow_attack_spread_over_addresses_stops_within_the_day(make_app):
    app = make_app(LMS_LOGIN_LIMIT_ACCOUNT="100 per 15 minutes; 4 per day",
                   LMS_LOGIN_LIMIT_ADDRESS="100 per 15 minutes")
    with app.app_context():
        owner = make_user(Role.MEMBER)
        browser = trusted_browser(app, owner)
        attacker = app.test_client()
        for n in range(4):
            assert attempt(attacker, owner.email, address=f"198.51.100.{n}").status_code == 200
        assert attempt(attacker, owner.email, PASSWORD, address="198.51.100.9").status_code == 429
        assert attempt(browser, owner.email, PASSWORD).status_code == 302


def test_guesses_of_the_current_password_count_per_account_from_any_address(make_app):
    app = make_app()
    with app.app_context():
        user = make_user(Role.MEMBER)
        client = app.test_client()
        assert attempt(client, user.email, PASSWORD).status_code == 302
        change = {"pw-password": "a-new-password-1", "pw-confirm": "a-new-password-1"}
        for n in range(10):
            response = client.post("/account/password", data={"pw-current": f"guess-{n}",
                                                               **change},
                                   environ_base={"REMOTE_ADDR": f"10.3.0.{n}"})
            assert response.status_code == 400
        refused = client.post("/account/password", data={"pw-current": PASSWORD, **change},
                              environ_base={"REMOTE_ADDR": "10.3.0.99"})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        db.session.refresh(user)
        assert user.check_password(PASSWORD)
