"""A deal's history: one DealEvent per change, with the fields changed as [old, new] text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from lms.clock import local_date
from lms.extensions import db
from lms.models import Deal, DealEvent, DealStatus, User


def change_text(value: object) -> str:
    """A value as the history shows it: dates as YYYY-MM-DD (moments as the program's day)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_date(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, DealStatus):
        return value.value
    return str(value)


def record_event(deal: Deal, actor: User | None, source: str, now: datetime, *,
                 from_status: DealStatus | None = None, to_status: DealStatus | None = None,
                 changes: Mapping[str, list[str]] | None = None, note: str = "") -> DealEvent:
    """Add one event to the deal's history (flushed by the caller)."""
    event = DealEvent(deal_id=deal.id, actor_id=actor.id if actor else None, source=source,
                      at=now, from_status=from_status, to_status=to_status,
                      changes=dict(changes or {}), note=note)
    db.session.add(event)
    return event


def set_field(deal: Deal, changes: dict[str, list[str]], name: str, value: object) -> None:
    """Set one attribute, noting [old, new] as text when it really changes."""
    old = getattr(deal, name)
    if old != value:
        changes[name] = [change_text(old), change_text(value)]
        setattr(deal, name, value)


def initial_changes(deal: Deal) -> dict[str, list[str]]:
    """The fields a new deal starts with, as changes from nothing."""
    names = ("customer_name", "amount", "currency", "product", "expected_close_on",
             "external_id")
    return {name: ["", change_text(getattr(deal, name))] for name in names
            if getattr(deal, name) not in (None, "")}
