"""Two-factor sign-in (issue 16): the pure TOTP and recovery-code functions, enrolment, the
code page after the password, enforcement by role, and the admin's lost-device reset.

The clock is frozen (time-machine) ten seconds into a TOTP time step, so the codes the tests
compute with pyotp are the ones the app expects, whatever day the suite runs.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlalchemy import func, update

from lms.auth import two_factor
from lms.extensions import db
from lms.models import AuditAction, AuditEvent, RecoveryCode, Role, User, utcnow
from tests.factories import PASSWORD, login, make_user, signed_in

MOMENT = datetime(2027, 6, 1, 3, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
RECOVERY = [f"abcd-efgh-{c}{c}" for c in "23456789ab"]


@pytest.fixture
def clock():
    with time_machine.travel(MOMENT, tick=False) as traveller:
        yield traveller


def code(at: datetime | None = None, secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(at or utcnow())


def with_two_factor(user: User, last_step: int | None = None) -> User:
    """`user` with the test secret enabled and the RECOVERY codes."""
    user.totp_secret = SECRET
    user.two_factor_enabled_at = utcnow() - timedelta(days=1)
    user.totp_last_step = last_step
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=two_factor.recovery_code_hash(c))
                       for c in RECOVERY)
    db.session.commit()
    return user


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def unused_codes(user: User) -> int:
    return db.session.scalar(db.select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def password_step(client, user, **extra):
    """POST the password; asserts the code page is next."""
    response = login(client, user, **extra)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/login/two-factor"
    return response


def enter(client, value: str):
    return client.post("/login/two-factor", data={"code": value})


def text(response) -> str:
    return response.get_data(as_text=True)


# --- Pure functions ----------------------------------------------------------------------


def test_time_steps_and_the_window_of_accepted_codes():
    step = two_factor.time_step(MOMENT)
    assert step == int(MOMENT.timestamp()) // 30
    totp = pyotp.TOTP(SECRET)
    assert two_factor.matching_step(SECRET, totp.at(MOMENT), MOMENT, None) == step
    # One step either side is accepted (a phone's clock a little off), two are not.
    assert two_factor.matching_step(SECRET, totp.generate_otp(step - 1), MOMENT, None) == step - 1
    assert two_factor.matching_step(SECRET, totp.generate_otp(step + 1), MOMENT, None) == step + 1
    assert two_factor.matching_step(SECRET, totp.generate_otp(step - 2), MOMENT, None) is None
    assert two_factor.matching_step(SECRET, totp.generate_otp(step + 2), MOMENT, None) is None
    # A code of a step already used, or older, never works again.
    assert two_factor.matching_step(SECRET, totp.at(MOMENT), MOMENT, step) is None
    assert two_factor.matching_step(SECRET, totp.generate_otp(step - 1), MOMENT, step - 1) is None
    assert two_factor.matching_step(SECRET, totp.at(MOMENT), MOMENT, step - 1) == step
    # Spaces as apps show them ("123 456") are fine; other text is not a code.
    spaced = totp.at(MOMENT)[:3] + " " + totp.at(MOMENT)[3:]
    assert two_factor.matching_step(SECRET, spaced, MOMENT, None) == step
    assert two_factor.matching_step(SECRET, "", MOMENT, None) is None


@pytest.mark.parametrize(("typed", "kind"), [
    ("123456", "totp"), (" 123 456 ", "totp"), ("123-456", "totp"),
    ("abcd-efgh-23", "recovery"), ("ABCD EFGH 23", "recovery"), ("abcdefgh23", "recovery"),
    ("", None), ("12345", None), ("1234567", None), ("12345x", None), ("１２３４５６", None),
    ("abcd-efgh-10", None),  # 1 and 0 are not in the alphabet
    ("abcd-efgh-2", None), (None, None),
])
def test_code_kinds(typed, kind):
    assert two_factor.code_kind(typed) == kind


def test_recovery_codes_are_easy_to_type_and_only_hashes_are_kept():
    codes = two_factor.new_recovery_codes()
    assert len(codes) == 10 and len(set(codes)) == 10
    for recovery in codes:
        assert re.fullmatch(r"[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{4}-[2-9a-hjkmnp-z]{2}", recovery)
        assert two_factor.code_kind(recovery) == "recovery"
    digest = two_factor.recovery_code_hash("abcd-efgh-23")
    assert digest == two_factor.recovery_code_hash(" ABCD EFGH 23 ")
    assert len(digest) == 64 and "abcd" not in digest


def test_provisioning_uri_and_qr_code():
    uri = two_factor.provisioning_uri(SECRET, "aiko@example.test", "Partner Academy")
    assert uri.startswith("otpauth://totp/Partner%20Academy:aiko%40example.test?")
    assert f"secret={SECRET}" in uri and "issuer=Partner%20Academy" in uri
    svg = two_factor.qr_svg(uri)
    assert svg.startswith("<svg") and "<script" not in svg
    assert two_factor.grouped_secret("ABCDEFGHIJ") == "ABCD EFGH IJ"


# --- Enrolment and signing in ------------------------------------------------------------


def test_enrol_then_sign_in_with_a_code(app, clock):
    user = make_user(Role.MEMBER, name="Aiko Suzuki")
    client = signed_in(app, user)
    page = client.get("/account")
    assert "/account/two-factor" in text(page)
    assert "Set up two-factor sign-in" in text(client.get("/account/two-factor"))

    assert client.post("/account/two-factor/setup").status_code == 302
    secret = reload(user).totp_secret
    assert secret and not reload(user).has_two_factor
    page = text(client.get("/account/two-factor"))
    assert "<svg" in page  # the QR code, inline
    assert two_factor.grouped_secret(secret) in page  # and the key, to type by hand

    wrong = client.post("/account/two-factor/confirm", data={"code-code": "000000"})
    assert wrong.status_code == 400
    assert "This code is not right" in text(wrong)
    assert not reload(user).has_two_factor

    done = client.post("/account/two-factor/confirm", data={"code-code": code(secret=secret)})
    assert done.status_code == 200
    shown = re.findall(r"<code>([a-z0-9-]+)</code>", text(done))
    assert len(shown) == 10
    user = reload(user)
    assert user.has_two_factor and user.totp_last_step == two_factor.time_step(MOMENT)
    stored = set(db.session.scalars(db.select(RecoveryCode.code_hash)
                                    .where(RecoveryCode.user_id == user.id)))
    assert stored == {two_factor.recovery_code_hash(c) for c in shown}  # hashes only
    assert len(events(AuditAction.TWO_FACTOR_ENABLED)) == 1
    assert "On since" in text(client.get("/account/two-factor"))

    client.post("/logout")
    browser = app.test_client()
    password_step(browser, user)
    assert browser.get("/").status_code == 302  # the password alone does not sign in
    assert "Enter your code" in text(browser.get("/login/two-factor"))
    # The code that confirmed the set-up was used; the next one signs in.
    clock.shift(30)
    response = enter(browser, code(secret=secret))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Aiko Suzuki" in text(browser.get("/"))
    assert browser.get_cookie("lms_device", path="/login") is not None


def test_wrong_code_is_refused_and_audited(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = app.test_client()
    password_step(client, user)
    response = enter(client, "000000" if code() != "000000" else "111111")
    assert response.status_code == 400
    assert "This code is not right" in text(response)
    assert client.get("/").status_code == 302
    failed = events(AuditAction.SIGN_IN_FAILED)
    assert [(e.target_user_id, e.detail["reason"]) for e in failed] == [(user.id,
                                                                          "second_factor")]
    assert not events(AuditAction.SIGN_IN)
    assert enter(client, code()).status_code == 302  # the pending sign-in goes on


def test_the_same_code_cannot_be_used_twice(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    first = app.test_client()
    password_step(first, user)
    used = code()
    assert enter(first, used).status_code == 302
    second = app.test_client()
    password_step(second, user)
    replay = enter(second, used)
    assert replay.status_code == 400
    assert "used already" in text(replay)
    assert second.get("/").status_code == 302
    clock.shift(30)
    assert enter(second, code()).status_code == 302


def test_two_concurrent_uses_of_a_code_cannot_both_pass(app, clock):
    """The guarded UPDATE decides: an object read before the other request moved the step
    still matches the code, but its UPDATE changes no row."""
    user = with_two_factor(make_user(Role.MEMBER))
    stale = db.session.get(User, user.id)
    assert stale.totp_last_step is None
    db.session.execute(update(User).where(User.id == user.id)
                       .values(totp_last_step=two_factor.time_step(MOMENT))
                       .execution_options(synchronize_session=False))
    assert two_factor.matching_step(SECRET, code(), MOMENT, stale.totp_last_step) is not None
    assert two_factor._use_totp(stale, code(), MOMENT) is False
    db.session.rollback()
    fresh = reload(user)
    assert two_factor._use_totp(fresh, code(), MOMENT) is True
    assert two_factor._use_totp(fresh, code(), MOMENT) is False


def test_concurrent_submissions_of_one_code_sign_in_once(make_app, clock):
    app = make_app()
    with app.app_context():
        user = with_two_factor(make_user(Role.MEMBER))
        clients = [app.test_client() for _ in range(4)]
        for client in clients:
            password_step(client, user)
        right = code()
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def submit(client) -> None:
        with app.app_context():
            start.wait()
            statuses.append(enter(client, right).status_code)

    threads = [threading.Thread(target=submit, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 400, 400, 400]
    with app.app_context():
        assert len(events(AuditAction.SIGN_IN)) == 1


def test_a_recovery_code_works_once_and_says_how_many_remain(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = app.test_client()
    password_step(client, user)
    response = enter(client, RECOVERY[0].upper().replace("-", " "))
    assert response.status_code == 302
    home = text(client.get("/"))
    assert "9 recovery codes are left." in home
    assert unused_codes(user) == 9
    [used] = events(AuditAction.RECOVERY_CODE_USED)
    assert used.actor_id == user.id and used.detail["left"] == "9"

    other = app.test_client()
    password_step(other, user)
    again = enter(other, RECOVERY[0])
    assert again.status_code == 400
    assert other.get("/").status_code == 302
    assert enter(other, RECOVERY[1]).status_code == 302
    assert unused_codes(user) == 8


def test_the_last_recovery_code_says_to_make_new_ones(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    db.session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                  RecoveryCode.code_hash != two_factor
                                                  .recovery_code_hash(RECOVERY[0]))
                       .values(used_at=utcnow()))
    db.session.commit()
    client = app.test_client()
    password_step(client, user)
    enter(client, RECOVERY[0])
    assert "no recovery codes left" in text(client.get("/"))


@pytest.mark.parametrize("typed", ["", "   ", "abcdef", "12345", "1234567", "１２３４５６",
                                   "x" * 50, "<script>"])
def test_bad_input_gets_a_clear_message_and_changes_nothing(app, clock, typed):
    user = with_two_factor(make_user(Role.MEMBER))
    client = app.test_client()
    password_step(client, user)
    for _ in range(two_factor.TRIES_PER_SIGN_IN + 1):  # never counted as a try
        response = enter(client, typed)
        assert response.status_code == 400
        assert re.search(r"Enter the (code|6-digit code)|cannot be longer", text(response))
        assert "<script>" not in text(response).split("<main", 1)[1].split('name="code"')[0]
    assert not events(AuditAction.SIGN_IN_FAILED)
    assert reload(user).totp_last_step is None
    assert unused_codes(user) == 10
    assert enter(client, code()).status_code == 302


def test_next_page_and_remember_me_survive_the_code_step(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = app.test_client()
    response = client.post("/login?next=/account", data={"email": user.email,
                                                          "password": PASSWORD,
                                                          "remember": "y"})
    assert response.headers["Location"] == "/login/two-factor"
    assert client.get_cookie("lms_remember") is None
    done = enter(client, code())
    assert done.headers["Location"] == "/account"
    assert client.get_cookie("lms_remember") is not None


def test_code_page_without_a_pending_sign_in_sends_to_the_password(app, clock):
    client = app.test_client()
    response = client.get("/login/two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.post("/login/two-factor", data={"code": "123456"}).status_code == 302
    assert not events(AuditAction.SIGN_IN)


def test_a_pending_sign_in_expires(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = app.test_client()
    password_step(client, user)
    clock.shift(two_factor.PENDING_LIFETIME + timedelta(seconds=1))
    response = enter(client, code())
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert "expired" in text(client.get("/login"))


def test_a_password_change_between_the_steps_voids_the_pending_sign_in(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    thief = app.test_client()
    password_step(thief, user)
    owner = signed_in(app, user, through_form=False)
    changed = owner.post("/account/password", data={"pw-current": PASSWORD,
                                                    "pw-password": "a-new-long-password",
                                                    "pw-confirm": "a-new-long-password"})
    assert changed.status_code == 302
    response = enter(thief, code())
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert thief.get("/").status_code == 302
    assert reload(user).totp_last_step is None  # the code was not even evaluated


def test_wrong_codes_are_limited_per_sign_in_and_per_account(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    wrong = "000000" if code() != "000000" else "111111"
    client = app.test_client()
    password_step(client, user)
    for _ in range(two_factor.TRIES_PER_SIGN_IN - 1):
        assert enter(client, wrong).status_code == 400
    last = enter(client, wrong)
    assert last.status_code == 302 and last.headers["Location"] == "/login"
    assert "Too many wrong codes" in text(client.get("/login"))
    # The pending sign-in is over: even the right code does not sign in now.
    assert enter(client, code()).headers["Location"] == "/login"
    assert client.get("/").status_code == 302

    # A new pending sign-in (the password again) meets the account's used-up budget.
    again = app.test_client()
    password_step(again, user)
    refused = enter(again, code())
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert again.get("/").status_code == 302
    assert reload(user).totp_last_step is None
    assert events(AuditAction.SIGN_IN_LOCKED)

    clock.shift(timedelta(minutes=15, seconds=30))
    later = app.test_client()
    password_step(later, user)
    assert enter(later, code()).status_code == 302


def test_right_codes_do_not_use_up_the_budget(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    for _ in range(7):
        client = app.test_client()
        password_step(client, user)
        assert enter(client, code()).status_code == 302
        client.post("/logout")
        clock.shift(30)


# --- Managing it on the account page -----------------------------------------------------


def test_new_recovery_codes_need_a_current_code_and_replace_the_old(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = signed_in(app, user, through_form=False)
    refused = client.post("/account/two-factor/recovery-codes", data={"code-code": "12"})
    assert refused.status_code == 400
    assert unused_codes(user) == 10
    response = client.post("/account/two-factor/recovery-codes", data={"code-code": code()})
    assert response.status_code == 200
    shown = re.findall(r"<code>([a-z0-9-]+)</code>", text(response))
    assert len(shown) == 10 and not set(shown) & set(RECOVERY)
    assert "earlier recovery codes no longer work" in text(response)
    hashes = set(db.session.scalars(db.select(RecoveryCode.code_hash)
                                    .where(RecoveryCode.user_id == user.id)))
    assert hashes == {two_factor.recovery_code_hash(c) for c in shown}


def test_a_member_can_turn_it_off_with_password_and_code(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = signed_in(app, user, through_form=False)
    bad = client.post("/account/two-factor/disable", data={"off-password": "wrong",
                                                           "off-code": code()})
    assert bad.status_code == 400 and "The password is wrong." in text(bad)
    assert reload(user).has_two_factor
    ok = client.post("/account/two-factor/disable", data={"off-password": PASSWORD,
                                                          "off-code": code()})
    assert ok.status_code == 302
    user = reload(user)
    assert not user.has_two_factor and user.totp_secret is None
    assert unused_codes(user) == 0
    assert len(events(AuditAction.TWO_FACTOR_DISABLED)) == 1
    client.post("/logout")
    assert login(app.test_client(), user).headers["Location"] == "/"


def test_a_stolen_session_cannot_guess_codes_for_new_recovery_codes(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = signed_in(app, user, through_form=False)
    for guess in ("000000", "111111", "222222", "333333", "444444"):
        assert client.post("/account/two-factor/recovery-codes",
                           data={"code-code": guess}).status_code == 400
    # The account's budget of wrong codes is used up: even the right code is not checked.
    refused = client.post("/account/two-factor/recovery-codes", data={"code-code": code()})
    assert refused.status_code == 400
    assert "Too many wrong codes" in text(refused)
    assert unused_codes(user) == 10


def test_a_stolen_session_cannot_guess_the_password_to_turn_it_off(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = signed_in(app, user, through_form=False)
    for n in range(10):
        wrong = client.post("/account/two-factor/disable",
                            data={"off-password": f"guess-{n}", "off-code": code()})
        assert "The password is wrong." in text(wrong)
    refused = client.post("/account/two-factor/disable",
                          data={"off-password": PASSWORD, "off-code": code()})
    assert refused.status_code == 400
    assert "Too many wrong passwords" in text(refused)
    assert reload(user).has_two_factor


def test_setting_up_again_is_refused_while_it_is_on(app, clock):
    user = with_two_factor(make_user(Role.MEMBER))
    client = signed_in(app, user, through_form=False)
    client.post("/account/two-factor/setup")
    assert reload(user).totp_secret == SECRET


# --- Required for some roles -------------------------------------------------------------


@pytest.fixture
def managers_must(make_app):
    app = make_app(LMS_REQUIRE_2FA="manager")
    with app.app_context():
        yield app


def test_the_setting_is_read_as_a_set_of_roles(managers_must, make_app):
    assert managers_must.config["LMS_REQUIRE_2FA"] == frozenset({"manager"})
    assert make_app().config["LMS_REQUIRE_2FA"] == frozenset()  # test and development


def test_a_manager_without_it_is_sent_to_set_it_up_from_every_page(managers_must, clock):
    app = managers_must
    manager = make_user(Role.MANAGER)
    client = signed_in(app, manager)
    for path in ("/", "/account", "/courses", "/reports/health", "/deals", "/partners",
                 "/assets", "/credentials", "/admin/api-tokens"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    assert client.post("/account", data={"name": "X"}).headers["Location"] == \
        "/account/two-factor"
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert "Your role requires two-factor sign-in." in text(page)
    # What stays open: static files, the liveness check, public pages, the language.
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    static.close()
    assert client.get("/healthz").status_code == 200
    assert client.get("/verify/no-such-code").status_code == 404
    # (English again: the checks below read English text.)
    assert client.post("/locale", data={"locale": "en", "next": "/"}).status_code == 302

    client.post("/account/two-factor/setup")
    secret = reload(manager).totp_secret
    assert client.post("/account/two-factor/confirm",
                       data={"code-code": code(secret=secret)}).status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/reports/health").status_code == 200
    # And it cannot be turned off.
    clock.shift(30)
    refused = client.post("/account/two-factor/disable", data={"off-password": PASSWORD,
                                                               "off-code": code(secret=secret)})
    assert refused.status_code == 400
    assert "Your role requires two-factor sign-in" in text(refused)
    assert reload(manager).has_two_factor
    assert client.post("/logout").status_code == 302


def test_members_and_admins_are_not_asked_when_only_managers_must(managers_must, clock):
    for role in (Role.MEMBER, Role.ADMIN):
        client = signed_in(managers_must, make_user(role))
        assert client.get("/").status_code == 200
        assert "Two-factor sign-in is off." in text(client.get("/account/two-factor"))


def test_a_person_whose_role_becomes_required_is_sent_to_set_it_up(make_app, clock):
    app = make_app(LMS_REQUIRE_2FA="partner_admin")
    with app.app_context():
        person = make_user(Role.MEMBER)
        client = signed_in(app, person)
        assert client.get("/").status_code == 200
        person.role = Role.PARTNER_ADMIN  # without signing them out
        db.session.commit()
        assert client.get("/").headers["Location"] == "/account/two-factor"


def test_the_json_api_is_not_redirected(managers_must, clock):
    manager = make_user(Role.MANAGER)
    client = signed_in(managers_must, manager)
    response = client.get("/api/v1/partners")
    assert response.status_code == 401 and response.is_json


# --- Lost device: the administrator's reset ----------------------------------------------


def test_an_admin_resets_a_lost_device_and_it_is_audited(managers_must, clock):
    app = managers_must
    admin = make_user(Role.ADMIN)
    manager = with_two_factor(make_user(Role.MANAGER))
    managers_phone = app.test_client()
    password_step(managers_phone, manager)
    assert enter(managers_phone, code()).status_code == 302
    assert managers_phone.get("/").status_code == 200

    console = signed_in(app, admin)
    page = text(console.get(f"/admin/users/{manager.id}"))
    assert "Reset two-factor (lost device)" in page
    response = console.post(f"/admin/users/{manager.id}/reset-two-factor")
    assert response.status_code == 302
    manager = reload(manager)
    assert (manager.totp_secret, manager.two_factor_enabled_at, manager.totp_last_step) == \
        (None, None, None)
    assert db.session.scalar(db.select(func.count(RecoveryCode.id))
                             .where(RecoveryCode.user_id == manager.id)) == 0
    [event] = events(AuditAction.TWO_FACTOR_RESET)
    assert (event.actor_id, event.target_user_id) == (admin.id, manager.id)
    assert managers_phone.get("/").status_code == 302  # signed out everywhere
    # They sign in with the password and must set it up again.
    fresh = app.test_client()
    assert login(fresh, manager).headers["Location"] == "/"
    assert fresh.get("/").headers["Location"] == "/account/two-factor"


@pytest.mark.parametrize("role", [Role.PARTNER_ADMIN, Role.MANAGER])
def test_partner_admins_and_managers_cannot_reset(app, clock, role):
    from tests.factories.people import make_people

    people = make_people()
    with_two_factor(people.sales)
    actor = people.partner_admin if role == Role.PARTNER_ADMIN else people.manager
    client = signed_in(app, actor)
    assert client.post(f"/admin/users/{people.sales.id}/reset-two-factor").status_code == 403
    assert reload(people.sales).has_two_factor
    assert not events(AuditAction.TWO_FACTOR_RESET)
    if role == Role.PARTNER_ADMIN:
        page = client.get(f"/admin/users/{people.sales.id}")
        assert page.status_code == 200
        assert "Reset two-factor" not in text(page)


def test_an_admin_cannot_reset_their_own(app, clock):
    admin = with_two_factor(make_user(Role.ADMIN))
    client = signed_in(app, admin, through_form=False)
    response = client.post(f"/admin/users/{admin.id}/reset-two-factor", follow_redirects=True)
    assert "Ask another administrator" in text(response)
    assert reload(admin).has_two_factor
    assert "Reset two-factor" not in text(client.get(f"/admin/users/{admin.id}"))


def test_reset_of_someone_without_it_says_so(app, clock):
    admin, member = make_user(Role.ADMIN), make_user(Role.MEMBER)
    client = signed_in(app, admin)
    response = client.post(f"/admin/users/{member.id}/reset-two-factor", follow_redirects=True)
    assert "has no two-factor sign-in to reset" in text(response)
    assert not events(AuditAction.TWO_FACTOR_RESET)
    assert client.post("/admin/users/999999/reset-two-factor").status_code == 404


def test_the_reset_needs_the_csrf_token(make_app, clock):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        admin = make_user(Role.ADMIN)
        member = with_two_factor(make_user(Role.MEMBER))
        client = signed_in(app, admin)
        assert client.post(f"/admin/users/{member.id}/reset-two-factor").status_code == 400
        assert reload(member).has_two_factor
