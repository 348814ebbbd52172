"""How a demo environment is provisioned: an adapter per way of doing it.

- `ManualAdapter` ("manual"): a manager sets the system up and enters its address and
  sign-in details in the portal; expiry is a reminder for the channel team to remove it.
- `WebhookAdapter` ("webhook"): a signed POST (Standard Webhooks, as lms.webhooks signs) to
  the vendor's provisioning API, whose answer carries the address and sign-in details; at
  expiry another call removes it. Every call's answer is recorded (its status, and on
  failure the start of its body).

LMS_DEMO_ENV_ADAPTER chooses one for new approvals; an environment keeps the adapter it was
approved with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from flask import current_app

from lms.environments import rules
from lms.models import DemoEnvironment, Organization, User

PROVISION = "demo_environment.provision"
DEPROVISION = "demo_environment.deprovision"


@dataclass(frozen=True)
class CallResult:
    """What one call to a provisioning system brought back."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    body: str | None = None  # kept only when the call failed (a success carries secrets)
    provisioned: rules.Provisioned | None = None


class Adapter(Protocol):
    name: str
    automatic: bool  # provisions by itself; else a manager enters the details

    def provision(self, environment_id: int, data: dict, now: datetime
                  ) -> CallResult | None: ...

    def deprovision(self, environment_id: int, external_id: str | None,
                    ended_at: datetime | None, now: datetime) -> CallResult | None: ...


class ManualAdapter:
    name = "manual"
    automatic = False

    def provision(self, environment_id, data, now):
        return None  # a manager enters the address and sign-in details

    def deprovision(self, environment_id, external_id, ended_at, now):
        return None  # the channel team removes the system by hand


def _stamp(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class WebhookAdapter:
    name = "webhook"
    automatic = True

    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret

    def _call(self, event_type: str, message_id: str, data: dict, now: datetime
              ) -> CallResult:
        from lms.webhooks.service import payload_of, send_signed

        payload = payload_of(event_type, data, now).encode()
        outcome = send_signed(self.url, [self.secret], message_id, payload, now)
        if not outcome.ok:
            return CallResult(False, outcome.status_code, outcome.error,
                              (outcome.body or "")[:1000] or None)
        return CallResult(True, outcome.status_code, body=outcome.body)

    def provision(self, environment_id, data, now):
        # The same webhook-id for every attempt: a retry after a timeout is recognisable
        # to the API as the same request (Standard Webhooks' idempotency key).
        result = self._call(PROVISION, f"msg_env{environment_id}_provision", data, now)
        if not result.ok:
            return result
        try:
            provisioned = rules.parse_answer(result.body)
        except rules.AnswerError as error:
            # The body may hold secrets in a shape we do not read: it is not kept.
            return CallResult(False, result.status_code, str(error))
        return CallResult(True, result.status_code, provisioned=provisioned)

    def deprovision(self, environment_id, external_id, ended_at, now):
        result = self._call(DEPROVISION, f"msg_env{environment_id}_deprovision",
                            {"environment": environment_id, "id": external_id,
                             "expired_at": _stamp(ended_at)}, now)
        return CallResult(result.ok, result.status_code, result.error,
                          result.body if not result.ok else None)


def provision_data(environment: DemoEnvironment, organization: Organization,
                   requester: User | None) -> dict:
    """What the provisioning API is told of a request (read before the call, which is made
    outside any transaction)."""
    return {"environment": environment.id, "days": environment.days,
            "purpose": environment.purpose,
            "partner": {"slug": organization.slug, "name": organization.name},
            "requested_by": ({"name": requester.name, "email": requester.email}
                             if requester else None),
            "deal": environment.deal_id}


def adapter_named(name: str | None) -> Adapter:
    config = current_app.config
    if name == "webhook":
        return WebhookAdapter(config["LMS_DEMO_ENV_WEBHOOK_URL"],
                              config["LMS_DEMO_ENV_WEBHOOK_SECRET"])
    return ManualAdapter()


def configured() -> Adapter:
    """The adapter new approvals use (LMS_DEMO_ENV_ADAPTER)."""
    return adapter_named(current_app.config.get("LMS_DEMO_ENV_ADAPTER", "manual"))
