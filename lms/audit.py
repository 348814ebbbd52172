"""Recording security-relevant events in the audit log."""

from __future__ import annotations

from collections.abc import Mapping

from flask import has_request_context, request

from lms.extensions import db
from lms.models import AuditAction, AuditEvent, User


def record(
    action: AuditAction,
    *,
    actor: User | None = None,
    target: User | None = None,
    organization_id: int | None = None,
    email: str | None = None,
    changes: Mapping[str, object] | None = None,
    **detail: object,
) -> AuditEvent:
    """Add an audit event to the session; the caller's transaction commits it.

    Its detail is `changes` (a mapping built by the caller) and the other keyword arguments,
    each stored as text."""
    detail = {**(changes or {}), **detail}
    if organization_id is None and target is not None:
        organization_id = target.organization_id
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        target_user_id=target.id if target else None,
        organization_id=organization_id,
        email=email if email is not None else (target.email if target else None),
        ip_address=request.remote_addr if has_request_context() else None,
        detail={k: str(v) for k, v in detail.items()},
    )
    db.session.add(event)
    return event
