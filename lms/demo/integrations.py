"""The demo's integrations: the API tokens a vendor's admin would have made (their plain text
is never kept, so nobody can call the API with them), and a webhook endpoint with its log."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from lms.api import tokens
from lms.event_data import deal_data
from lms.extensions import db
from lms.models import (
    ApiToken,
    Deal,
    DeliveryState,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from lms.webhooks.rules import new_message_id, new_secret
from lms.webhooks.service import payload_of

# (name, scopes, lifetime in days, made this many days ago, last used this many hours ago)
DEMO_TOKENS = (
    ("Salesforce sync", ("deals:write", "partners:read"), 90, 20, 3),
    ("Website badge check", ("credentials:read",), 365, 120, 30),
    ("Quarterly BI export", ("partners:read",), 30, 45, None),  # expired: rotate or revoke
)


def seed_api_tokens(now: datetime, admin: User | None) -> int:
    """Create the demo tokens that are missing (by name); how many were created. Flushes."""
    if admin is None:
        return 0
    existing = set(db.session.scalars(select(ApiToken.name)))
    created = 0
    for name, scopes, lifetime, made_days_ago, used_hours_ago in DEMO_TOKENS:
        if name in existing:
            continue
        made = now - timedelta(days=made_days_ago)
        token, _plain = tokens.create_token(name, admin, scopes, lifetime, now=made)
        if used_hours_ago is not None:
            token.last_used_at = now - timedelta(hours=used_hours_ago)
        created += 1
    db.session.flush()
    return created


DEMO_WEBHOOK_URL = "https://crm-sandbox.nimbus-crm.example/hooks/partner-academy"
# (hours ago, HTTP answers of its attempts in order: a 503 first was retried a minute later)
DEMO_DELIVERIES = ((70, (200,)), (49, (503, 200)), (26, (200,)), (5, (200,)))


def seed_webhooks(now: datetime, admin: User | None) -> bool:
    """The CRM sandbox's endpoint with a few days of deliveries of the demo's latest deals,
    paused (the demo has no CRM to answer), once. False when any endpoint exists."""
    if admin is None or db.session.scalar(select(WebhookEndpoint.id).limit(1)) is not None:
        return False
    endpoint = WebhookEndpoint(
        url=DEMO_WEBHOOK_URL, description="Nimbus CRM sandbox: deal and tier updates",
        event_types=["deal.registered", "deal.status_changed", "tier.changed"],
        secret=new_secret(), enabled=False, disabled_at=now - timedelta(hours=1),
        disabled_reason="Paused for the demo: the sandbox address does not exist. Enable it "
                        "to see new events retried and logged.",
        created_at=now - timedelta(days=30), created_by_id=admin.id)
    db.session.add(endpoint)
    db.session.flush()
    deals = list(db.session.scalars(select(Deal).order_by(Deal.registered_at.desc())
                                    .limit(len(DEMO_DELIVERIES))))
    for deal, (hours_ago, answers) in zip(deals, DEMO_DELIVERIES, strict=False):
        sent = now - timedelta(hours=hours_ago)
        delivery = WebhookDelivery(
            endpoint_id=endpoint.id, message_id=new_message_id(), event_type="deal.registered",
            payload=payload_of("deal.registered", deal_data(deal), sent),
            state=DeliveryState.DELIVERED, attempts=len(answers), created_at=sent,
            delivered_at=sent + timedelta(minutes=len(answers) - 1),
            last_status_code=answers[-1])
        db.session.add(delivery)
        db.session.flush()
        db.session.add_all(WebhookAttempt(
            delivery_id=delivery.id, at=sent + timedelta(minutes=i), ok=code < 300,
            status_code=code, duration_ms=120 + 40 * i,
            response_body="" if code < 300 else "Service Unavailable")
            for i, code in enumerate(answers))
    db.session.flush()
    return True
