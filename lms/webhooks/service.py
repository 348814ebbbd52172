"""Webhooks: endpoints admins register, the outbox of deliveries, and the worker sending them.

`record()` listens to lms.events.published: for each enabled endpoint that receives the event
it adds a delivery to the session of the change, so the webhook goes out if and only if the
change commits (no HTTP inside a request). `deliver_due()` (the worker, every minute) sends
what is due, as lms.notifications.service.deliver_due mails: it claims a row with a
conditional UPDATE, sends outside any transaction, logs the attempt, and retries with backoff
for a day (lms.webhooks.rules). An endpoint whose deliveries keep failing is disabled.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload

from lms.audit import record as audit
from lms.database import end_read_transaction, execute_dml, start_write_transaction
from lms.events import EVENT_TYPES, published
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import (
    AuditAction,
    DeliveryState,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from lms.webhooks import rules, transport

log = logging.getLogger(__name__)
DELIVERY_BATCH = 100
# A test message an admin sends from the endpoint's page; never subscribed to, never an event.
TEST_EVENT = "webhook.test"
# How long a rotated secret still signs deliveries beside the new one.
ROTATION_GRACE = timedelta(hours=24)
RECENT = timedelta(hours=24)


class WebhookError(ValueError):
    """A request about webhooks that cannot be carried out; the message is for people."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def url_problem_message(refused: rules.UrlRefused) -> str:
    """Why an address may not receive webhooks, in the reader's words."""
    problem = refused.problem
    if problem == rules.UrlProblem.TOO_LONG:
        return _("The address is too long (at most %(num)d characters).",
                 num=rules.MAX_URL_LENGTH)
    if problem == rules.UrlProblem.HTTPS_REQUIRED:
        return _("Use an https:// address: webhooks are sent only over HTTPS here.")
    if problem == rules.UrlProblem.CREDENTIALS:
        return _("Put no user name or password in the address: every delivery is signed "
                 "with the endpoint's secret instead.")
    if problem == rules.UrlProblem.FRAGMENT:
        return _("Remove the #fragment from the address: it is never sent.")
    if problem == rules.UrlProblem.UNRESOLVED:
        return _("The host name %(host)s could not be resolved: check the address.",
                 host=refused.detail)
    if problem == rules.UrlProblem.FORBIDDEN_ADDRESS:
        return _("Webhooks cannot be sent to a loopback, private, link-local or other "
                 "internal address (%(detail)s). Use the receiver's public address.",
                 detail=refused.detail)
    return _("Enter a full web address, such as https://crm.example.com/hooks/academy.")


def _settings() -> tuple[bool, bool, float]:
    config = current_app.config
    return (bool(config["LMS_WEBHOOK_ALLOW_HTTP"]), bool(config["LMS_WEBHOOK_ALLOW_PRIVATE"]),
            float(config["LMS_WEBHOOK_TIMEOUT"]))


def check_url(url: str) -> transport.Resolved:
    """Resolve and check an endpoint's address as the settings say; WebhookError (on the
    url field) when it may not receive webhooks."""
    allow_http, allow_private, _timeout = _settings()
    try:
        return transport.resolve(url, allow_http=allow_http, allow_private=allow_private)
    except rules.UrlRefused as refused:
        raise WebhookError(url_problem_message(refused), field="url") from None


# --- Endpoints (admins) --------------------------------------------------------------------


@dataclass(frozen=True)
class EndpointData:
    url: str
    description: str
    event_types: list[str] | None  # None: every event, also ones added later
    enabled: bool = True


def _checked(data: EndpointData) -> EndpointData:
    """The data with its address resolved and checked. The lookup may take seconds: the
    request's transaction is ended first, so no write lock is held meanwhile."""
    if data.event_types is not None:
        unknown = set(data.event_types) - set(EVENT_TYPES)
        if unknown:
            raise ValueError(f"unknown event types: {sorted(unknown)}")
        if not data.event_types:
            raise WebhookError(_("Choose the events to send, or every event."),
                               field="event_types")
    url = data.url.strip()
    end_read_transaction()
    check_url(url)
    start_write_transaction()
    chosen = None if data.event_types is None else [
        event for event in EVENT_TYPES if event in data.event_types]
    return EndpointData(url, data.description.strip(), chosen, data.enabled)


def create_endpoint(actor: User, data: EndpointData,
                    now: datetime | None = None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown to the admin once). Caller commits."""
    data = _checked(data)
    endpoint = WebhookEndpoint(
        url=data.url, description=data.description, event_types=data.event_types,
        secret=rules.new_secret(), enabled=data.enabled, created_at=now or utcnow(),
        created_by_id=actor.id)
    if not data.enabled:
        endpoint.disabled_at, endpoint.disabled_reason = endpoint.created_at, _disabled_by(actor)
    db.session.add(endpoint)
    db.session.flush()
    audit(AuditAction.WEBHOOK_CREATED, actor=actor, webhook=endpoint.id, url=endpoint.url,
          events=_events_text(endpoint.event_types))
    return endpoint, endpoint.secret


def update_endpoint(actor: User, endpoint: WebhookEndpoint, data: EndpointData,
                    now: datetime | None = None) -> None:
    """Change an endpoint's address, description, events or state. Caller commits."""
    data = _checked(data)
    db.session.refresh(endpoint)
    changes = {}
    if data.url != endpoint.url:
        changes["url"] = f"{endpoint.url} -> {data.url}"
    if data.event_types != endpoint.event_types:
        changes["events"] = (f"{_events_text(endpoint.event_types)} -> "
                             f"{_events_text(data.event_types)}")
    endpoint.url, endpoint.description = data.url, data.description
    endpoint.event_types = data.event_types
    if data.enabled and not endpoint.enabled:
        _enable(endpoint)
        changes["enabled"] = "yes"
    elif endpoint.enabled and not data.enabled:
        endpoint.enabled, endpoint.disabled_at = False, now or utcnow()
        endpoint.disabled_reason = _disabled_by(actor)
        changes["enabled"] = "no"
    db.session.flush()
    audit(AuditAction.WEBHOOK_UPDATED, actor=actor, webhook=endpoint.id, changes=changes)


def _disabled_by(actor: User) -> str:
    return _("Disabled by %(name)s.", name=actor.name)


def _events_text(event_types: Sequence[str] | None) -> str:
    return "all" if event_types is None else " ".join(event_types)


def _enable(endpoint: WebhookEndpoint) -> None:
    endpoint.enabled, endpoint.consecutive_failures = True, 0
    endpoint.disabled_at = endpoint.disabled_reason = None


def enable_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Send to the endpoint again (after it was disabled); its failure count starts over.
    Its deliveries still pending are tried at once. Caller commits."""
    start_write_transaction()
    db.session.refresh(endpoint)
    if endpoint.enabled:
        return
    _enable(endpoint)
    audit(AuditAction.WEBHOOK_UPDATED, actor=actor, webhook=endpoint.id, enabled="yes")


def rotate_secret(actor: User, endpoint: WebhookEndpoint, now: datetime | None = None) -> str:
    """A new secret for the endpoint (shown once); the old one signs beside it for a day,
    so the receiver can switch without losing a message. Caller commits."""
    now = now or utcnow()
    start_write_transaction()
    db.session.refresh(endpoint)
    endpoint.previous_secret, endpoint.previous_secret_until = endpoint.secret, \
        now + ROTATION_GRACE
    endpoint.secret = rules.new_secret()
    audit(AuditAction.WEBHOOK_SECRET_ROTATED, actor=actor, webhook=endpoint.id)
    return endpoint.secret


def delete_endpoint(actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove the endpoint with its deliveries and their log. Caller commits."""
    start_write_transaction()
    audit(AuditAction.WEBHOOK_DELETED, actor=actor, webhook=endpoint.id, url=endpoint.url)
    db.session.delete(endpoint)
    db.session.flush()


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and a rotated one in grace."""
    found = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_until \
            and endpoint.previous_secret_until > now:
        found.append(endpoint.previous_secret)
    return found


@dataclass(frozen=True)
class EndpointRow:
    endpoint: WebhookEndpoint
    pending: int
    recent_failures: int  # failed attempts in the last 24 hours


def endpoint_rows(now: datetime | None = None) -> list[EndpointRow]:
    """Every endpoint with its pending deliveries and recent failed attempts (3 queries)."""
    since = (now or utcnow()) - RECENT
    endpoints = list(db.session.scalars(select(WebhookEndpoint).order_by(
        WebhookEndpoint.created_at, WebhookEndpoint.id)))
    pending = {endpoint_id: count for endpoint_id, count in db.session.execute(
        select(WebhookDelivery.endpoint_id, func.count(WebhookDelivery.id))
        .where(WebhookDelivery.state == DeliveryState.PENDING)
        .group_by(WebhookDelivery.endpoint_id))}
    failures = {endpoint_id: count for endpoint_id, count in db.session.execute(
        select(WebhookDelivery.endpoint_id, func.count(WebhookAttempt.id))
        .join(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
        .where(WebhookAttempt.at >= since, WebhookAttempt.ok.is_(False))
        .group_by(WebhookDelivery.endpoint_id))}
    return [EndpointRow(e, pending.get(e.id, 0), failures.get(e.id, 0)) for e in endpoints]


def deliveries_query(endpoint: WebhookEndpoint) -> Select:
    """The endpoint's deliveries, newest first (the log the admin pages through)."""
    return (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .options(joinedload(WebhookDelivery.requested_by))
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()))


def attempts_of(deliveries: Sequence[WebhookDelivery]) -> dict[int, list[WebhookAttempt]]:
    """The attempts of these deliveries, oldest first, in one query."""
    found: dict[int, list[WebhookAttempt]] = {delivery.id: [] for delivery in deliveries}
    if found:
        for attempt in db.session.scalars(
                select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(found))
                .order_by(WebhookAttempt.at, WebhookAttempt.id)):
            found[attempt.delivery_id].append(attempt)
    return found


# --- Recording events (in the transaction of the change) ------------------------------------


def payload_of(event_type: str, data: dict, now: datetime) -> str:
    """The JSON body of an event: {"type", "timestamp" (ISO 8601, UTC), "data"}."""
    stamp = now.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": stamp, "data": data},
                      ensure_ascii=False, separators=(",", ":"))


def _queue(endpoints: Sequence[WebhookEndpoint], event_type: str, payload: str, now: datetime,
           message_id: str | None = None, requested_by: User | None = None,
           flush: bool = True) -> list[WebhookDelivery]:
    message_id = message_id or rules.new_message_id()
    deliveries = [WebhookDelivery(
        endpoint_id=endpoint.id, message_id=message_id, event_type=event_type, payload=payload,
        state=DeliveryState.PENDING, created_at=now, next_at=now,
        requested_by_id=requested_by.id if requested_by else None) for endpoint in endpoints]
    if deliveries:
        db.session.add_all(deliveries)
        if flush:
            db.session.flush()
    return deliveries


def record(event_type: str, data: dict, now: datetime | None = None) -> list[WebhookDelivery]:
    """Queue the event for every enabled endpoint that receives it, in the current session
    (one message id for all of them). Nothing is sent here."""
    now = now or utcnow()
    payload = payload_of(event_type, data, now)  # always: data that is not JSON fails here
    endpoints = [e for e in _enabled_endpoints() if e.receives(event_type)]
    return _queue(endpoints, event_type, payload, now, flush=False)


def _enabled_endpoints() -> list[WebhookEndpoint]:
    """The enabled endpoints, read once per transaction: an import of thousands of deals
    publishes thousands of events (the cache goes with the transaction that read it)."""
    transaction = db.session().get_transaction()
    cached = db.session.info.get("webhook_endpoints")
    if cached is not None and cached[0] is transaction:
        return cached[1]
    with db.session.no_autoflush:
        endpoints = list(db.session.scalars(select(WebhookEndpoint).where(
            WebhookEndpoint.enabled.is_(True)).order_by(WebhookEndpoint.id)))
    db.session.info["webhook_endpoints"] = (transaction, endpoints)
    return endpoints


@published.connect
def _on_published(event_type: str, data: dict, **_extra) -> None:
    record(event_type, data)


def redeliver(actor: User, delivery: WebhookDelivery,
              now: datetime | None = None) -> WebhookDelivery:
    """Send a message again, by hand: a new delivery of the same message (same webhook-id and
    body) with a day of retries of its own. Caller commits."""
    start_write_transaction()
    db.session.refresh(delivery)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    assert endpoint is not None
    if not endpoint.enabled:
        raise WebhookError(_("The endpoint is disabled: enable it first."))
    if delivery.state == DeliveryState.PENDING:
        raise WebhookError(_("This message is still being delivered."))
    (again,) = _queue([endpoint], delivery.event_type, delivery.payload, now or utcnow(),
                      delivery.message_id, actor)
    return again


def send_test(actor: User, endpoint: WebhookEndpoint,
              now: datetime | None = None) -> WebhookDelivery:
    """Queue a test message (type webhook.test) to this endpoint. Caller commits."""
    now = now or utcnow()
    start_write_transaction()
    db.session.refresh(endpoint)
    if not endpoint.enabled:
        raise WebhookError(_("The endpoint is disabled: enable it first."))
    payload = payload_of(TEST_EVENT, {"endpoint": endpoint.id}, now)
    (delivery,) = _queue([endpoint], TEST_EVENT, payload, now, requested_by=actor)
    return delivery


# --- Delivery (the worker) ------------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the row for one attempt: False when another worker has it, it is done, or its
    endpoint is disabled."""
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
    return execute_dml(update(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.state == DeliveryState.PENDING,
        WebhookDelivery.next_at <= now, WebhookDelivery.endpoint_id.in_(enabled))
        .values(next_at=now + rules.CLAIM)) == 1


def deliver_due(now: datetime | None = None) -> tuple[int, int]:
    """Send every delivery that is due to an enabled endpoint; (delivered, failed this time).
    Each is committed on its own, so a crash sends at most the one in hand again (a receiver
    recognises it by its webhook-id). Without `now`, each is signed at its own moment."""
    due = list(db.session.scalars(
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(WebhookDelivery.state == DeliveryState.PENDING,
               WebhookDelivery.next_at <= (now or utcnow()), WebhookEndpoint.enabled.is_(True))
        .order_by(WebhookDelivery.next_at, WebhookDelivery.id).limit(DELIVERY_BATCH)))
    end_read_transaction()
    delivered = failed = 0
    for delivery_id in due:
        moment = now or utcnow()
        start_write_transaction()
        claimed = _claim(delivery_id, moment)
        db.session.commit()  # a claim holds while the receiver answers
        if not claimed:
            continue  # another worker has it, or has sent it
        ok = _attempt(delivery_id, moment)
        db.session.commit()
        if ok is not None:
            delivered, failed = delivered + ok, failed + (not ok)
    return delivered, failed


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    body: str | None


def send_signed(url: str, secrets_: list[str], message_id: str, payload: bytes,
                now: datetime) -> Outcome:
    """One signed POST; the address is resolved and checked again (it may have changed).
    Its answer's body is what transport.post read (at most rules.MAX_RESPONSE_BYTES)."""
    allow_http, allow_private, timeout = _settings()
    try:
        resolved = transport.resolve(url, allow_http=allow_http, allow_private=allow_private)
    except rules.UrlRefused as refused:
        return Outcome(False, None, f"address refused: {refused}", 0, None)
    headers = rules.headers(secrets_, message_id, int(now.timestamp()), payload)
    try:
        answer = transport.post(resolved, headers, payload, timeout)
    except transport.TransportError as failure:
        return Outcome(False, None, str(failure), failure.duration_ms, None)
    body = answer.body.decode("utf-8", "replace") or None
    ok = 200 <= answer.status < 300
    return Outcome(ok, answer.status, None if ok else f"HTTP {answer.status}",
                    answer.duration_ms, body)


def _attempt(delivery_id: int, now: datetime) -> bool | None:
    """Send one claimed delivery outside any transaction (a slow receiver holds no lock),
    then record the outcome in a write transaction the caller commits. None when its
    endpoint was deleted meanwhile (with its deliveries): nothing to record."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return None
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None:
        return None
    url, secrets_ = endpoint.url, signing_secrets(endpoint, now)
    message_id, payload = delivery.message_id, delivery.payload.encode("utf-8")
    end_read_transaction()  # before the receiver is called: no lock held meanwhile
    outcome = send_signed(url, secrets_, message_id, payload, now)
    start_write_transaction()
    found = db.session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if found is None:
        return None
    delivery = found
    delivery.attempts += 1
    delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
    db.session.add(WebhookAttempt(
        delivery_id=delivery.id, at=now, ok=outcome.ok, status_code=outcome.status_code,
        error=outcome.error and outcome.error[:1000], duration_ms=outcome.duration_ms,
        response_body=outcome.body[:1000] if outcome.body else None))
    if outcome.ok:
        delivery.state, delivery.delivered_at, delivery.next_at = \
            DeliveryState.DELIVERED, now, None
        execute_dml(update(WebhookEndpoint).where(WebhookEndpoint.id == delivery.endpoint_id)
                    .values(consecutive_failures=0))
        return True
    retry = None if outcome.status_code == rules.GONE else rules.next_attempt(
        delivery.created_at, delivery.attempts, now)
    if retry is not None:
        delivery.next_at = retry
        return False
    delivery.state, delivery.next_at = DeliveryState.FAILED, None
    log.warning("gave up delivering webhook %s (%s) to endpoint %s: %s", delivery.id,
                message_id, delivery.endpoint_id, outcome.error)
    _count_failure(delivery.endpoint_id, outcome.status_code, outcome.error, now)
    return False


def _count_failure(endpoint_id: int, status_code: int | None, error: str | None,
                   now: datetime) -> None:
    """One more delivery given up in a row; the endpoint is disabled when rules say so."""
    execute_dml(update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                .values(consecutive_failures=WebhookEndpoint.consecutive_failures + 1))
    endpoint = db.session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
    if endpoint is None or not endpoint.enabled:
        return
    if not rules.should_disable(endpoint.consecutive_failures, status_code):
        return
    if status_code == rules.GONE:
        reason = _("The receiver answered 410 Gone: it no longer accepts webhooks.")
    else:
        reason = _("%(num)d deliveries in a row failed for a day each; the last: %(error)s.",
                   num=endpoint.consecutive_failures, error=error or "?")
    endpoint.enabled, endpoint.disabled_at, endpoint.disabled_reason = False, now, reason[:500]
    log.warning("disabled webhook endpoint %s: %s", endpoint_id, reason)
