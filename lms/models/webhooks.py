"""Webhooks: endpoints admins register, the deliveries of events to them, and every attempt.

A delivery is written in the same transaction as the change it announces (the outbox), so an
event is delivered if and only if its change committed. The worker sends it later, signed as
Standard Webhooks describes, retries it with backoff and logs each attempt. Its message id
(`webhook-id`) stays the same on every retry and on a redelivery by hand, so a receiver can
ignore a message it has already handled.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.users import User


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # waiting for the worker (again, after a failed attempt)
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # gave up: a day of failed attempts, or the endpoint is gone


class WebhookEndpoint(Base):
    """A receiver of events. Its secret signs every delivery; it is kept in plain (signing
    needs it), shown to admins once, and rotated with a grace period for the old one."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # The event types it receives (lms.events.EVENT_TYPES); None: all, also ones added later.
    event_types: Mapped[list[str] | None] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(100))  # "whsec_" + base64 of random bytes
    # After a rotation, deliveries are signed with both secrets until this moment.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_until: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    # Deliveries given up in a row since the last one delivered (lms.webhooks.rules).
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship(lazy="raise_on_sql")

    def receives(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types


class WebhookDelivery(Base):
    """One message to one endpoint, until it is delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "state", "next_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id",
                                                        ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40), index=True)  # webhook-id: "msg_..."
    event_type: Mapped[str] = mapped_column(String(60))
    # The JSON body, sent byte for byte the same on every attempt.
    payload: Mapped[str] = mapped_column(Text)
    state: Mapped[DeliveryState] = mapped_column(str_enum(DeliveryState, "delivery_state"),
                                                 default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_at: Mapped[datetime | None]  # due from then (also a claim's lease)
    delivered_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The admin who asked for it (a redelivery by hand, a test); None: an event.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))

    endpoint: Mapped[WebhookEndpoint] = relationship(lazy="raise_on_sql")
    requested_by: Mapped[User | None] = relationship(lazy="raise_on_sql")


class WebhookAttempt(Base):
    """One HTTP request of a delivery: what the receiver answered, or why there was no
    answer."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id",
                                                        ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(default=False)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(1000))
    duration_ms: Mapped[int] = mapped_column(default=0)
    response_body: Mapped[str | None] = mapped_column(String(1000))  # its start, for support
