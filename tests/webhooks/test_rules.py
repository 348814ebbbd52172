"""Pure rules of webhooks: signatures (against the Standard Webhooks reference libraries'
test vector and an independent computation), backoff at its edges, disabling, and which
addresses may receive (every address class, IPv6 and IPv4-mapped included)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from lms.webhooks import rules
from lms.webhooks.rules import UrlProblem, UrlRefused

# The test vector of the reference libraries (standard-webhooks, libraries/*/ tests).
REFERENCE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
REFERENCE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
REFERENCE_TIMESTAMP = 1614265330
REFERENCE_BODY = b'{"test": 2432232314}'
REFERENCE_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
AT_REFERENCE = datetime.fromtimestamp(REFERENCE_TIMESTAMP, UTC)
T0 = datetime(2027, 1, 31, 15, 0, tzinfo=UTC)


def reference_headers(signature: str = REFERENCE_SIGNATURE) -> dict[str, str]:
    return {"webhook-id": REFERENCE_ID, "webhook-timestamp": str(REFERENCE_TIMESTAMP),
            "webhook-signature": signature}


# --- Signing ---------------------------------------------------------------------------------


def test_the_signature_of_the_reference_example():
    assert rules.sign(REFERENCE_SECRET, REFERENCE_ID, REFERENCE_TIMESTAMP, REFERENCE_BODY) \
        == REFERENCE_SIGNATURE
    # The prefix is optional for the key, as in the reference libraries.
    assert rules.sign(REFERENCE_SECRET.removeprefix("whsec_"), REFERENCE_ID,
                      REFERENCE_TIMESTAMP, REFERENCE_BODY) == REFERENCE_SIGNATURE


def test_a_new_secret_signs_as_an_independent_hmac_computes():
    secret = rules.new_secret()
    key = base64.b64decode(secret.removeprefix("whsec_"))
    assert secret.startswith("whsec_") and len(key) == rules.SECRET_BYTES
    assert rules.new_secret() != secret
    body = '{"type":"deal.registered","data":{"name":"商談"}}'.encode()
    expected = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert rules.sign(secret, "msg_1", 1700000000, body) == \
        "v1," + base64.b64encode(expected).decode()


def test_headers_carry_one_signature_per_secret():
    old, new = rules.new_secret(), rules.new_secret()
    sent = rules.headers([new, old], "msg_2", REFERENCE_TIMESTAMP, REFERENCE_BODY)
    assert sent["webhook-id"] == "msg_2"
    assert sent["webhook-timestamp"] == str(REFERENCE_TIMESTAMP)
    assert sent["webhook-signature"].split(" ") == [
        rules.sign(new, "msg_2", REFERENCE_TIMESTAMP, REFERENCE_BODY),
        rules.sign(old, "msg_2", REFERENCE_TIMESTAMP, REFERENCE_BODY)]
    # A receiver with either secret accepts the message.
    for secret in (old, new):
        assert rules.verify(secret, sent, REFERENCE_BODY, AT_REFERENCE) == "msg_2"


def test_verify_accepts_the_reference_request_in_any_header_case():
    headers = {name.upper(): value for name, value in reference_headers().items()}
    assert rules.verify(REFERENCE_SECRET, headers, REFERENCE_BODY, AT_REFERENCE) \
        == REFERENCE_ID
    # Among other signatures and versions, as the reference libraries accept it.
    several = f"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,xyz {REFERENCE_SIGNATURE}"
    assert rules.verify(REFERENCE_SECRET, reference_headers(several), REFERENCE_BODY,
                        AT_REFERENCE) == REFERENCE_ID


@pytest.mark.parametrize(("change", "reason"), [
    ({"body": b'{"test": 2432232315}'}, "no signature matches"),
    ({"secret": rules.new_secret()}, "no signature matches"),
    ({"signature": "v1,dawfeoifkpqwoekfpqoekf"}, "no signature matches"),
    ({"signature": REFERENCE_SIGNATURE[:8]}, "no signature matches"),
    ({"signature": "v2," + REFERENCE_SIGNATURE[3:]}, "no signature matches"),
    ({"now": AT_REFERENCE + timedelta(minutes=5, seconds=1)}, "too far from now"),
    ({"now": AT_REFERENCE - timedelta(minutes=5, seconds=1)}, "too far from now"),
    ({"timestamp": "hello"}, "not a number"),
    ({"drop": "webhook-id"}, "missing"),
    ({"drop": "webhook-signature"}, "missing"),
])
def test_verify_refuses_what_a_receiver_must_refuse(change, reason):
    headers = reference_headers(change.get("signature", REFERENCE_SIGNATURE))
    if "timestamp" in change:
        headers["webhook-timestamp"] = change["timestamp"]
    headers.pop(change.get("drop", ""), None)
    with pytest.raises(rules.SignatureError, match=reason):
        rules.verify(change.get("secret", REFERENCE_SECRET), headers,
                     change.get("body", REFERENCE_BODY), change.get("now", AT_REFERENCE))


def test_verify_allows_five_minutes_either_way():
    for drift in (timedelta(minutes=5), -timedelta(minutes=5)):
        assert rules.verify(REFERENCE_SECRET, reference_headers(), REFERENCE_BODY,
                            AT_REFERENCE + drift) == REFERENCE_ID


def test_message_ids_and_masked_secrets():
    first, second = rules.new_message_id(), rules.new_message_id()
    assert first.startswith("msg_") and first != second and len(first) <= 40
    secret = rules.new_secret()
    assert rules.masked(secret) == secret[:10] + "…"
    with pytest.raises(ValueError, match="whsec_"):
        rules.secret_key("whsec_not base64!")


# --- Backoff and disabling -------------------------------------------------------------------


def test_retries_double_from_a_minute_up_to_two_hours():
    assert [rules.retry_delay(n) for n in (1, 2, 3, 7, 8, 9, 200)] == [
        timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4),
        timedelta(minutes=64), timedelta(hours=2), timedelta(hours=2), timedelta(hours=2)]
    with pytest.raises(ValueError):
        rules.retry_delay(0)


def test_the_last_retry_falls_on_the_days_end_and_then_the_delivery_is_given_up():
    assert rules.next_attempt(T0, 1, T0) == T0 + timedelta(minutes=1)
    late = T0 + timedelta(hours=23)
    assert rules.next_attempt(T0, 12, late) == T0 + timedelta(days=1)  # not late + 2 h
    assert rules.next_attempt(T0, 13, T0 + timedelta(days=1) - timedelta(seconds=1)) \
        == T0 + timedelta(days=1)
    assert rules.next_attempt(T0, 13, T0 + timedelta(days=1)) is None
    assert rules.next_attempt(T0, 2, T0 + timedelta(days=3)) is None


def test_a_day_of_failures_makes_about_eighteen_attempts():
    moment, attempts = T0, 1
    while (moment := rules.next_attempt(T0, attempts, moment)) is not None:
        attempts += 1
    assert 15 <= attempts <= 20


def test_an_endpoint_is_disabled_after_five_given_up_deliveries_or_at_once_when_gone():
    assert not rules.should_disable(4, 500)
    assert rules.should_disable(5, 500)
    assert rules.should_disable(5, None)
    assert rules.should_disable(1, 410)


# --- Which addresses may receive ------------------------------------------------------------


def test_a_url_is_parsed_into_its_target():
    assert rules.parse_url(" https://crm.example.com/hooks?a=1 ", allow_http=False) == \
        rules.Target("https", "crm.example.com", 443, "/hooks?a=1")
    assert rules.parse_url("http://[2001:db8::1]:8080", allow_http=True) == \
        rules.Target("http", "2001:db8::1", 8080, "/")


@pytest.mark.parametrize(("url", "problem"), [
    ("crm.example.com/hooks", UrlProblem.MALFORMED),
    ("https://", UrlProblem.MALFORMED),
    ("https://crm.example.com:99999/", UrlProblem.MALFORMED),
    ("https://crm.example.com/a b", UrlProblem.MALFORMED),
    ("ftp://crm.example.com/", UrlProblem.SCHEME),
    ("javascript:alert(1)", UrlProblem.SCHEME),
    ("http://crm.example.com/", UrlProblem.HTTPS_REQUIRED),
    ("https://user:pass@crm.example.com/", UrlProblem.CREDENTIALS),
    ("https://crm.example.com/#part", UrlProblem.FRAGMENT),
    ("https://crm.example.com/" + "a" * 2000, UrlProblem.TOO_LONG),
])
def test_urls_refused_before_any_lookup(url, problem):
    with pytest.raises(UrlRefused) as refused:
        rules.parse_url(url, allow_http=False)
    assert refused.value.problem == problem


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("0.0.0.0", "unspecified"),  # noqa: S104
    ("224.0.0.1", "multicast"), ("239.1.1.1", "multicast"),
    ("240.0.0.1", "private"), ("255.255.255.255", "private"),  # reserved, broadcast
    ("100.64.0.1", "not globally reachable"),  # carrier-grade NAT
    ("192.0.2.10", "private"), ("198.18.0.1", "private"),  # documentation, benchmarking
    ("::1", "loopback"), ("::", "unspecified"),
    ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"), ("fd12:3456::1", "private"),  # unique local
    ("fec0::1", "site-local"), ("ff02::1", "multicast"),
    ("2001:db8::1", "private"),  # documentation
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"),  # IPv4-mapped
    ("::ffff:169.254.169.254", "link-local"),
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("::127.0.0.1", "reserved"),  # IPv4-compatible (deprecated)
])
def test_internal_addresses_are_refused(address, kind):
    assert rules.forbidden_kind(address) == kind
    with pytest.raises(UrlRefused) as refused:
        rules.check_addresses([address], allow_private=False)
    assert refused.value.problem == UrlProblem.FORBIDDEN_ADDRESS
    assert rules.check_addresses([address], allow_private=True) == [address]


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2001:4860:4860::8888",
                                     "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses_may_receive(address):
    assert rules.forbidden_kind(address) is None
    assert rules.check_addresses([address, address], allow_private=False) == [address]


def test_one_internal_address_among_public_ones_refuses_the_name():
    with pytest.raises(UrlRefused, match=r"10\.0\.0\.1 is private"):
        rules.check_addresses(["8.8.8.8", "10.0.0.1"], allow_private=False)
    with pytest.raises(UrlRefused) as refused:
        rules.check_addresses([], allow_private=True)
    assert refused.value.problem == UrlProblem.UNRESOLVED
