"""Signals between features: one feature announces, another reacts, neither imports the other."""

from blinker import Namespace

_signals = Namespace()

# Sent with the user (as sender) when a lesson is completed or an attempt is graded, inside the
# request's transaction: credentials react by awarding what the person has now earned.
learning_progressed = _signals.signal("learning-progressed")

# Sent when something happened that systems outside the portal may want to hear of (webhooks),
# inside the transaction of the change, as publish(event_type, data): `data` is JSON-able and
# names things by stable identifiers (ids, slugs, emails), never by display text alone.
published = _signals.signal("published")

EVENT_TYPES = (
    "credential.awarded", "credential.revoked", "credential.expiring",
    "deal.registered", "deal.status_changed",
    "tier.changed",
    "course.completed",
)


def publish(event_type: str, data: dict) -> None:
    """Announce an event of `EVENT_TYPES` in the current transaction: subscribers record what
    they will do about it in the same session, so it commits, or rolls back, with the change."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    published.send(event_type, data=data)
