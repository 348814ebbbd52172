"""The pure rules of demo environments: an environment lives the days asked from when it is
ready, extensions keep it within 90 days in all (exactly 90 allowed, 91 refused), the
reminder falls in the last 3 days (from exactly 3 days before, never after the end), an
address is an http or https one, and what an answer of the provisioning API must hold."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from lms.environments import rules
from lms.environments.rules import AnswerError, Provisioned, parse_answer

READY = datetime(2027, 3, 10, 3, 0, tzinfo=UTC)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def test_an_environment_expires_the_days_asked_after_it_is_ready():
    assert rules.expiry(READY, 14) == datetime(2027, 3, 24, 3, 0, tzinfo=UTC)
    assert rules.expiry(datetime(2028, 2, 20, tzinfo=UTC), 10) == datetime(2028, 3, 1,
                                                                           tzinfo=UTC)


@pytest.mark.parametrize(("lived", "more", "fits"), [
    (30, 30, True), (60, 30, True), (85, 5, True), (89, 1, True),  # exactly 90 in all
    (61, 30, False), (85, 6, False), (90, 1, False),  # 91
    (10, 31, False),  # more than one request's 30 days at once
    (10, 0, False), (10, -3, False),
])
def test_an_extension_fits_up_to_exactly_90_days_in_all(lived, more, fits):
    assert rules.extension_fits(READY, READY + days(lived), more) is fits


@pytest.mark.parametrize(("lived", "most"), [
    (14, 30), (60, 30), (61, 29), (85, 5), (89, 1), (90, 0), (95, 0)])
def test_the_most_extension_days_is_what_reaches_90_and_never_over_30(lived, most):
    expires = READY + days(lived)
    assert rules.most_extension_days(READY, expires) == most
    if most:
        assert rules.extension_fits(READY, expires, most)
    assert not rules.extension_fits(READY, expires, most + 1)


def test_a_part_of_a_day_left_is_not_a_whole_day_more():
    expires = READY + days(89) + timedelta(hours=1)  # 23 hours left to 90 days
    assert rules.most_extension_days(READY, expires) == 0
    assert not rules.extension_fits(READY, expires, 1)


@pytest.mark.parametrize(("before_end", "due"), [
    (days(3) + timedelta(seconds=1), False),  # not yet
    (days(3), True),  # exactly 3 days before
    (days(1), True),
    (timedelta(seconds=1), True),
    (timedelta(0), False),  # at the end: it has ended
    (-timedelta(seconds=1), False),  # just after the end
    (-days(2), False),
])
def test_the_reminder_is_due_in_the_last_three_days_only(before_end, due):
    expires = READY + days(14)
    assert rules.reminder_due(expires, expires - before_end) is due


@pytest.mark.parametrize("url", [
    "https://demo-0142.nimbus-crm.example", "http://10.0.0.8:8080/login?tenant=42",
    "HTTPS://Demo.Example/", "https://demo.example/" + "a" * (rules.MAX_URL - 21)])
def test_web_addresses_are_http_or_https_with_a_host(url):
    assert rules.is_web_address(url)


@pytest.mark.parametrize("url", [
    "", "demo.example", "//demo.example", "ftp://demo.example", "javascript:alert(1)",
    "JavaScript://demo.example/%0Aalert(1)", "data:text/html,<script>", "https://",
    "https://demo example", "https://demo.example/\tx", " https://demo.example",
    "https://demo.example/\n", "mailto:ops@demo.example",
    "https://demo.example/" + "a" * (rules.MAX_URL - 20)])
def test_anything_else_is_not_a_web_address(url):
    assert not rules.is_web_address(url)


def answer(**data) -> str:
    return json.dumps(data)


def test_an_answer_with_credentials_and_a_text_id():
    got = parse_answer(answer(url="https://demo-7.example", credentials="  key: abc  ",
                              id="env-7"))
    assert got == Provisioned("https://demo-7.example", "key: abc", "env-7")


def test_an_answer_with_username_and_password_makes_the_credentials():
    got = parse_answer(answer(url="https://demo-7.example", username="demo",
                              password="s3cret!", id=42))
    assert got.credentials == "user: demo\npassword: s3cret!"
    assert got.external_id == "42"


def test_credentials_win_over_username_and_password_and_the_id_may_be_missing():
    got = parse_answer(answer(url="http://demo-7.example", credentials="token: t",
                              username="u", password="p"))
    assert (got.credentials, got.external_id) == ("token: t", None)
    assert parse_answer(answer(url="http://x.example", credentials="c", id=None)) \
        .external_id is None


def test_a_long_id_is_cut_to_the_stored_length():
    got = parse_answer(answer(url="https://x.example", credentials="c", id="i" * 500))
    assert got.external_id == "i" * rules.MAX_EXTERNAL_ID


@pytest.mark.parametrize(("body", "says"), [
    (None, "not JSON"), ("", "not JSON"), ("<html>502 Bad Gateway</html>", "not JSON"),
    ('{"url": "https://x.example", ', "not JSON"),
    ("[]", "not a JSON object"), ('"https://x.example"', "not a JSON object"),
    (answer(credentials="c"), "no url"),
    (answer(url="ftp://x.example", credentials="c"), "no url"),
    (answer(url="javascript:alert(1)", credentials="c"), "no url"),
    (answer(url=["https://x.example"], credentials="c"), "no url"),
    (answer(url="https://x.example"), "no credentials"),
    (answer(url="https://x.example", credentials="   "), "no credentials"),
    (answer(url="https://x.example", credentials={"user": "u"}), "no credentials"),
    (answer(url="https://x.example", username="u"), "no credentials"),
    (answer(url="https://x.example", username="u", password=7), "no credentials"),
    (answer(url="https://x.example", credentials="c" * (rules.MAX_CREDENTIALS + 1)),
     "no credentials"),
    (answer(url="https://x.example", username="u", password="p" * rules.MAX_CREDENTIALS),
     "no credentials"),
    (answer(url="https://x.example", credentials="c", id=True), "id"),
    (answer(url="https://x.example", credentials="c", id=False), "id"),
    (answer(url="https://x.example", credentials="c", id=1.5), "id"),
    (answer(url="https://x.example", credentials="c", id={"n": 1}), "id"),
])
def test_answers_that_do_not_say_where_the_environment_is_are_refused(body, says):
    with pytest.raises(AnswerError, match=says):
        parse_answer(body)


def test_credentials_of_exactly_the_most_characters_are_accepted():
    long = "c" * rules.MAX_CREDENTIALS
    assert parse_answer(answer(url="https://x.example", credentials=long)).credentials == long


def test_the_quota_left_is_never_negative():
    assert rules.Quota(2, 1, False).left == 1
    assert rules.Quota(1, 3, False).left == 0  # a tier lowered below what is held
    assert rules.Quota(0, 0, True).left == 0


def test_provisioning_is_retried_for_a_day_after_the_first_failed_call():
    failed = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert rules.retries_provisioning(failed, failed)
    assert rules.retries_provisioning(failed, failed + rules.PROVISION_RETRIES)
    assert not rules.retries_provisioning(
        failed, failed + rules.PROVISION_RETRIES + timedelta(microseconds=1))
    # No call has failed (the key was missing, the job did not run): it is still called.
    assert rules.retries_provisioning(None, failed + timedelta(days=30))
