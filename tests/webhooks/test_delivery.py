"""Deliveries to a real HTTP receiver on loopback: recorded in the transaction of the event,
signed (the receiver verifies each request twice), retried with the same webhook-id, given
up after a day, the endpoint disabled after repeated failure, redelivered by hand, the host
resolved and pinned at delivery time, and the worker's job run through the queue on SQLite
and on Redis."""

from __future__ import annotations

import json
import re
import ssl
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from lms import jobs
from lms.events import publish
from lms.extensions import db
from lms.models import (
    AuditAction,
    AuditEvent,
    DeliveryState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from lms.webhooks import rules, service
from lms.webhooks.service import deliver_due
from tests.test_jobs import memory_queue, queue_url  # noqa: F401  (the fixture is used)
from tests.webhooks.conftest import endpoint_for, serving

DEAL = {"deal": {"id": 7, "external_id": "CRM-7"}, "partner": {"slug": "sakura"}}


def deliveries() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(db.session.scalars(select(WebhookAttempt).where(
        WebhookAttempt.delivery_id == delivery.id).order_by(WebhookAttempt.id)))


def fresh(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    db.session.expire_all()
    found = db.session.get(WebhookEndpoint, endpoint.id)
    assert found is not None
    return found


def test_a_committed_event_is_delivered_once_signed(hook_app, receiver, admin):
    endpoint = endpoint_for(receiver, admin)
    publish("deal.registered", DEAL)
    db.session.commit()
    now = receiver.now = utcnow()

    assert deliver_due(now) == (1, 0)
    assert deliver_due(now + timedelta(hours=1)) == (0, 0)  # never twice

    (got,) = receiver.requests
    assert got.path == "/hooks/academy"
    assert got.verified_id is not None and got.verified_id.startswith("msg_")
    assert got.independently_verified
    assert got.headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert got.headers["content-type"] == "application/json"
    body = json.loads(got.body)
    assert body["type"] == "deal.registered" and body["data"] == DEAL
    assert body["timestamp"].endswith("Z")
    (delivery,) = deliveries()
    assert delivery.endpoint_id == endpoint.id and delivery.message_id == got.verified_id
    assert delivery.state == DeliveryState.DELIVERED and delivery.attempts == 1
    assert delivery.delivered_at == now and delivery.last_status_code == 200
    (attempt,) = attempts_of(delivery)
    assert attempt.ok and attempt.status_code == 200 and attempt.error is None
    assert attempt.response_body == '{"ok": true}' and attempt.duration_ms >= 0


def test_a_rolled_back_change_delivers_nothing(hook_app, receiver, admin):
    endpoint_for(receiver, admin)
    publish("deal.registered", DEAL)
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1  # in the change
    db.session.rollback()

    assert deliveries() == []
    assert deliver_due(utcnow()) == (0, 0)
    assert receiver.requests == []


def test_only_enabled_endpoints_that_receive_the_event_get_it(hook_app, receiver, admin):
    deals = endpoint_for(receiver, admin, ["deal.registered", "deal.status_changed"])
    courses = endpoint_for(receiver, admin, ["course.completed"])
    everything = endpoint_for(receiver, admin)
    off = endpoint_for(receiver, admin)
    off.enabled = False
    db.session.commit()

    publish("deal.registered", DEAL)
    db.session.commit()

    queued = deliveries()
    assert {d.endpoint_id for d in queued} == {deals.id, everything.id}
    assert courses.id not in {d.endpoint_id for d in queued}
    assert len({d.message_id for d in queued}) == 1  # one message, to each endpoint
    with pytest.raises(ValueError, match="unknown event type"):
        publish("deal.deleted", DEAL)


def test_a_failing_receiver_gets_the_same_message_again_until_it_answers(
        hook_app, receiver, admin):
    endpoint_for(receiver, admin)
    receiver.statuses = [500]
    publish("deal.registered", DEAL)
    db.session.commit()
    now = receiver.now = utcnow()

    assert deliver_due(now) == (0, 1)
    (waiting,) = deliveries()
    assert waiting.state == DeliveryState.PENDING and waiting.attempts == 1
    assert waiting.next_at == now + timedelta(minutes=1)
    assert waiting.last_status_code == 500 and waiting.last_error == "HTTP 500"
    assert deliver_due(now + timedelta(seconds=30)) == (0, 0)  # not due yet

    later = receiver.now = now + timedelta(minutes=1)
    assert deliver_due(later) == (1, 0)

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    assert second.verified_id and second.independently_verified
    (delivered,) = deliveries()
    assert delivered.state == DeliveryState.DELIVERED and delivered.attempts == 2
    assert delivered.last_error is None
    assert [(a.ok, a.status_code) for a in attempts_of(delivered)] == [(False, 500),
                                                                        (True, 200)]
    assert attempts_of(delivered)[0].response_body == "receiver says no"


def test_no_receiver_listening_is_a_failed_attempt(hook_app, receiver, admin):
    endpoint_for(receiver, admin, url="http://127.0.0.1:9/nothing-listens")
    publish("tier.changed", {"partner": {"slug": "sakura"}})
    db.session.commit()

    assert deliver_due(utcnow()) == (0, 1)
    (waiting,) = deliveries()
    assert waiting.last_status_code is None
    assert "ConnectionRefusedError" in waiting.last_error


def test_after_a_day_of_failures_a_delivery_is_given_up_and_after_five_the_endpoint_is_off(
        hook_app, receiver, admin):
    endpoint = endpoint_for(receiver, admin)
    receiver.default = 503
    for number in range(5):
        publish("course.completed", {"course": {"slug": f"course-{number}"}})
    db.session.commit()
    now = receiver.now = utcnow()
    assert deliver_due(now) == (0, 5)
    assert fresh(endpoint).consecutive_failures == 0  # failed attempts, nothing given up

    day_later = receiver.now = now + timedelta(days=1)
    assert deliver_due(day_later) == (0, 5)

    assert {(d.state, d.attempts) for d in deliveries()} == {(DeliveryState.FAILED, 2)}
    off = fresh(endpoint)
    assert not off.enabled and off.disabled_at == day_later
    assert off.consecutive_failures == 5
    assert "5 deliveries in a row failed" in off.disabled_reason
    assert "HTTP 503" in off.disabled_reason
    # Disabled: new events are not queued for it.
    publish("course.completed", {"course": {"slug": "later"}})
    db.session.commit()
    assert len(deliveries()) == 5


def test_a_delivered_message_resets_the_count_of_failures(hook_app, receiver, admin):
    endpoint = endpoint_for(receiver, admin)
    endpoint.consecutive_failures = 4
    db.session.commit()
    publish("tier.changed", {"partner": {"slug": "sakura"}})
    db.session.commit()
    receiver.now = utcnow()
    assert deliver_due(receiver.now) == (1, 0)
    assert fresh(endpoint).consecutive_failures == 0


def test_a_receiver_answering_410_gone_disables_the_endpoint_at_once(hook_app, receiver,
                                                                     admin):
    endpoint = endpoint_for(receiver, admin)
    receiver.statuses = [410]
    publish("tier.changed", {"partner": {"slug": "sakura"}})
    publish("tier.changed", {"partner": {"slug": "kaede"}})
    db.session.commit()
    now = receiver.now = utcnow()

    assert deliver_due(now) == (0, 1)  # the second is not sent to a disabled endpoint
    gone = fresh(endpoint)
    assert not gone.enabled and "410 Gone" in gone.disabled_reason
    states = [d.state for d in deliveries()]
    assert states == [DeliveryState.FAILED, DeliveryState.PENDING]
    assert len(receiver.requests) == 1

    # Enabled again by an admin: what waited is sent at once, the count starts over.
    service.enable_endpoint(admin, gone)
    db.session.commit()
    assert fresh(endpoint).enabled and fresh(endpoint).disabled_reason is None
    assert deliver_due(now + timedelta(minutes=1)) == (1, 0)


def test_a_message_is_redelivered_by_hand_with_the_same_id(hook_app, receiver, admin):
    endpoint_for(receiver, admin)
    receiver.default = 500
    publish("credential.awarded", {"award": {"code": "ABC"}})
    db.session.commit()
    now = receiver.now = utcnow()
    deliver_due(now)
    receiver.now = now + timedelta(days=1)
    deliver_due(now + timedelta(days=1))
    (failed,) = deliveries()
    assert failed.state == DeliveryState.FAILED

    receiver.default = 200
    later = receiver.now = now + timedelta(days=2)
    again = service.redeliver(admin, failed, now=later)
    db.session.commit()
    assert deliver_due(later) == (1, 0)

    old, new = deliveries()
    assert (old.id, new.id) == (failed.id, again.id)
    assert old.state == DeliveryState.FAILED and new.state == DeliveryState.DELIVERED
    assert new.message_id == old.message_id and new.payload == old.payload
    assert new.requested_by_id == admin.id and new.attempts == 1
    assert {r.headers["webhook-id"] for r in receiver.requests} == {old.message_id}
    assert receiver.requests[-1].verified_id == old.message_id
    # A message still on its way is not queued twice.
    on_its_way = service.send_test(admin, db.session.get(WebhookEndpoint, old.endpoint_id))
    with pytest.raises(service.WebhookError, match="still being delivered"):
        service.redeliver(admin, on_its_way)


def test_a_test_message_goes_to_its_endpoint_only(hook_app, receiver, admin):
    endpoint_for(receiver, admin)
    endpoint = endpoint_for(receiver, admin, ["deal.registered"])
    service.send_test(admin, endpoint)
    db.session.commit()
    receiver.now = utcnow()
    assert deliver_due(receiver.now) == (1, 0)
    (got,) = receiver.requests
    assert json.loads(got.body)["type"] == "webhook.test"
    assert json.loads(got.body)["data"] == {"endpoint": endpoint.id}


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(hook_app, receiver, admin):
    endpoint = endpoint_for(receiver, admin)
    old = receiver.secret
    now = utcnow()
    new = service.rotate_secret(admin, endpoint, now=now)
    db.session.commit()
    assert new != old and new.startswith("whsec_")
    assert (db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == AuditAction.WEBHOOK_SECRET_ROTATED))) == 1

    publish("tier.changed", {"partner": {"slug": "sakura"}})
    publish("tier.changed", {"partner": {"slug": "kaede"}})
    db.session.commit()
    receiver.now = utcnow()
    deliver_due(receiver.now)
    both = receiver.requests[0]
    assert len(both.headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):  # the receiver may still have either
        assert rules.verify(secret, both.headers, both.body, receiver.now)

    receiver.secret = new
    after_grace = receiver.now = now + timedelta(days=1, minutes=1)
    publish("tier.changed", {"partner": {"slug": "later"}})
    db.session.commit()
    deliver_due(after_grace)
    last = receiver.requests[-1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    assert last.verified_id
    with pytest.raises(rules.SignatureError):
        rules.verify(old, last.headers, last.body, after_grace)


# --- The address, resolved again at delivery time -----------------------------------------


def test_a_host_name_is_resolved_and_the_request_goes_to_the_address_checked(
        hook_app, receiver, admin, dns):
    dns["hooks.sakura.test"] = ["127.0.0.1"]
    endpoint_for(receiver, admin, url=f"http://hooks.sakura.test:{receiver.port}/in")
    publish("tier.changed", {"partner": {"slug": "sakura"}})
    db.session.commit()
    receiver.now = utcnow()

    assert deliver_due(receiver.now) == (1, 0)
    (got,) = receiver.requests
    assert got.headers["host"] == f"hooks.sakura.test:{receiver.port}"  # the name, not the IP
    assert got.path == "/in" and got.verified_id


def test_a_name_that_resolves_to_a_private_address_at_delivery_time_is_refused(
        make_app, receiver, dns):
    """DNS rebinding: registered while the name pointed to a public address; when it points
    to loopback later, nothing is sent there."""
    from lms.models import Role
    from tests.factories import make_user

    app = make_app()  # LMS_WEBHOOK_ALLOW_PRIVATE off
    with app.app_context():
        admin = make_user(Role.ADMIN)
        dns["hooks.sakura.test"] = ["93.184.215.14"]
        endpoint_for(receiver, admin, url=f"http://hooks.sakura.test:{receiver.port}/in")
        dns["hooks.sakura.test"] = ["127.0.0.1"]
        publish("tier.changed", {"partner": {"slug": "sakura"}})
        db.session.commit()

        assert deliver_due(utcnow()) == (0, 1)
        (refused,) = deliveries()
        assert refused.last_error == "address refused: forbidden_address: 127.0.0.1 is loopback"
        assert receiver.requests == []


# --- The worker's job, through the queue -----------------------------------------------------


@pytest.mark.usefixtures("memory_queue")
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_the_deliver_webhooks_job_runs_through_the_queue(hook_app, receiver, admin, tmp_path,
                                                          kind):
    hook_app.config["LMS_QUEUE_URL"] = queue_url(kind, tmp_path)
    queue = jobs.use_storage(hook_app)
    queue.flush()
    endpoint_for(receiver, admin)
    publish("credential.revoked", {"award": {"code": "XYZ"}})
    db.session.commit()

    jobs.TASKS["deliver-webhooks"]()  # the scheduler queues the job when it is due
    assert queue.pending_count() == 1
    assert receiver.requests == []  # nothing sent before a worker runs it
    queue.execute(queue.dequeue())  # a worker thread runs it

    assert queue.pending_count() == 0
    (got,) = receiver.requests
    assert got.verified_id and got.independently_verified
    assert json.loads(got.body)["type"] == "credential.revoked"
    assert [d.state for d in deliveries()] == [DeliveryState.DELIVERED]


def test_resolving_checks_every_address_a_name_has(hook_app, dns):
    from lms.webhooks import transport

    dns["public.partner.test"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    dns["internal.partner.test"] = ["10.0.0.7"]
    dns["mixed.partner.test"] = ["93.184.215.14", "::ffff:192.168.0.1"]
    resolved = transport.resolve("https://public.partner.test/in", allow_http=False,
                                 allow_private=False)
    assert resolved.addresses == dns["public.partner.test"]
    assert resolved.target == rules.Target("https", "public.partner.test", 443, "/in")
    for name, problem in (("internal", "forbidden_address: 10.0.0.7 is private"),
                          ("mixed", "forbidden_address: ::ffff:192.168.0.1 is private"),
                          ("unknown", "unresolved: unknown.partner.test")):
        with pytest.raises(rules.UrlRefused, match=re.escape(problem)):
            transport.resolve(f"https://{name}.partner.test/in", allow_http=False,
                              allow_private=False)
    assert transport.resolve("https://internal.partner.test/in", allow_http=False,
                             allow_private=True).addresses == ["10.0.0.7"]


def test_an_endpoint_deleted_while_its_message_is_in_flight_is_left_alone(
        hook_app, receiver, admin, monkeypatch):
    endpoint = endpoint_for(receiver, admin)
    publish("tier.changed", {"partner": {"slug": "sakura"}})
    db.session.commit()
    send = service.send_signed

    def deleted_meanwhile(*args):
        with db.engine.begin() as connection:  # an admin deletes it while the request runs
            connection.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id))
        return send(*args)

    monkeypatch.setattr(service, "send_signed", deleted_meanwhile)
    receiver.now = utcnow()
    assert deliver_due(receiver.now) == (0, 0)
    assert deliveries() == [] and len(receiver.requests) == 1


# --- HTTPS to the checked address, verified against the name -------------------------------


def self_signed(tmp_path, name: str) -> tuple[str, str]:
    """A certificate for `name` signed by its own key: (certificate file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    # OpenSSL checks validity against the real clock, which LMS_TEST_NOW does not move: valid
    # from long before to long after any moment a test may run at.
    now = utcnow()
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=3650)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, False, False,
                                     False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_https_goes_to_the_checked_address_and_verifies_the_certificate_of_the_name(
        hook_app, dns, tmp_path):
    from lms.webhooks import transport

    cert, key = self_signed(tmp_path, "hooks.sakura.test")
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    trusting = ssl.create_default_context(cafile=cert)
    dns["hooks.sakura.test"] = dns["other.sakura.test"] = ["127.0.0.1"]
    body = b'{"type":"webhook.test"}'
    with serving(server_side) as tls:
        tls.secret = rules.new_secret()
        tls.now = utcnow()
        signed = rules.headers([tls.secret], "msg_tls", int(tls.now.timestamp()), body)
        resolved = transport.resolve(f"https://hooks.sakura.test:{tls.port}/in",
                                     allow_http=False, allow_private=True)

        answer = transport.post(resolved, signed, body, 5, context=trusting)

        assert answer.status == 200 and answer.body == b'{"ok": true}'
        (got,) = tls.requests
        assert got.headers["host"] == f"hooks.sakura.test:{tls.port}"
        assert got.verified_id == "msg_tls"
        # The same address under a name the certificate is not for: refused by TLS.
        wrong = transport.resolve(f"https://other.sakura.test:{tls.port}/in",
                                  allow_http=False, allow_private=True)
        with pytest.raises(transport.TransportError, match="CERTIFICATE_VERIFY_FAILED"):
            transport.post(wrong, signed, body, 5, context=trusting)
        assert len(tls.requests) == 1
