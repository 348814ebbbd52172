"""The webhook adapter against a real provisioning API on loopback: a Gold request is
provisioned at once through a signed call (checked with lms.webhooks.rules.verify), the
answer's address and sign-in details are kept encrypted and never stored in clear, nor is a
successful answer's body; a failed or unreadable answer leaves the environment being set
up, recorded with its HTTP status (and a failure's body); the job retries until the API
answers well; at expiry the API is told to remove it, with its id, and its answer is
recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from lms.config import ConfigError
from lms.environments import adapters, service
from lms.extensions import db
from lms.models import DemoEnvironment, EnvironmentStatus, Tier, User, utcnow
from lms.webhooks import rules as webhook_rules
from tests.environments.support import (
    Call,
    Cast,
    ProvisioningApi,
    actions,
    approved,
    ask,
    fresh,
    last_event,
    make_cast,
    notes_to,
    provisioning_api,
    stored_text,
    words,
)
from tests.factories import signed_in

S = EnvironmentStatus
API_URL = "https://demo-7f3a.sandbox.nimbus-crm.example/login"
API_PASSWORD = "Sup3r-S3cret-from-the-API"
ANSWER = json.dumps({"url": API_URL, "credentials": f"user: admin\npassword: {API_PASSWORD}",
                     "id": "env-7f3a"})
TABLES = ("demo_environments", "demo_environment_events", "notifications",
          "webhook_deliveries", "webhook_attempts")


@dataclass
class Hook:
    app: Flask
    api: ProvisioningApi
    secret: str
    cast: Cast


@pytest.fixture
def hook(make_app):
    with provisioning_api() as api:
        secret = webhook_rules.new_secret()
        app = make_app(LMS_DEMO_ENV_ADAPTER="webhook", LMS_DEMO_ENV_WEBHOOK_URL=api.url,
                       LMS_DEMO_ENV_WEBHOOK_SECRET=secret, LMS_WEBHOOK_ALLOW_HTTP=True,
                       LMS_WEBHOOK_ALLOW_PRIVATE=True)
        api.default = (200, ANSWER)
        with app.app_context():
            yield Hook(app, api, secret, make_cast(Tier.GOLD))


def verified(hook: Hook, call: Call, now=None) -> dict:
    """The call's payload, after checking its signature as the API does."""
    assert webhook_rules.verify(hook.secret, call.headers, call.body, now or utcnow())
    assert call.headers["content-type"] == "application/json"
    return call.payload


def test_a_gold_request_is_provisioned_at_once_through_a_signed_call(hook):
    cast = hook.cast
    sales = signed_in(hook.app, cast.sales)
    response = sales.post("/environments/new", data={"purpose": "Demo for Hokuriku Bank",
                                                     "days": 10, "deal_id": ""})
    assert response.status_code == 302
    environment = db.session.scalar(select(DemoEnvironment))
    (call,) = hook.api.calls
    assert call.path == "/provisioning"
    payload = verified(hook, call)
    assert payload["type"] == adapters.PROVISION == "demo_environment.provision"
    assert payload["data"]["environment"] == environment.id
    assert payload["data"]["partner"] == {"slug": "alpha", "name": "Alpha Systems K.K."}
    assert payload["data"]["days"] == 10
    assert payload["data"]["requested_by"]["email"] == cast.sales.email

    assert environment.status == S.READY and environment.adapter == "webhook"
    assert environment.external_id == "env-7f3a"
    assert environment.expires_at - environment.ready_at == timedelta(days=10)
    assert actions(environment) == ["requested", "auto_approved", "provisioned"]
    provisioned = last_event(environment, "provisioned")
    assert (provisioned.answer_status, provisioned.answer_body) == (200, None)
    assert notes_to(cast.sales, "env_decided")[-1]["status"] == "ready"
    assert notes_to(cast.manager, "env_to_decide") == []  # nothing to set up by hand
    assert service.url_of(environment) == API_URL
    shown = sales.post(f"/environments/{environment.id}/reveal")
    assert API_PASSWORD in shown.get_data(as_text=True)


def test_an_answer_with_username_and_password_is_enough(hook):
    now = utcnow()
    hook.api.default = (201, json.dumps({"url": "http://10.1.2.3:8080/", "username": "demo",
                                         "password": "pw-" + API_PASSWORD, "id": 7731}))
    environment = ask(hook.cast.sales, days=5, now=now)
    assert service.provision(environment.id, now=now) is True
    db.session.commit()
    verified(hook, hook.api.calls[0], now)
    environment = fresh(environment)
    assert (environment.status, environment.external_id) == (S.READY, "7731")
    assert service.reveal(environment, hook.cast.sales) == \
        f"user: demo\npassword: pw-{API_PASSWORD}"
    assert last_event(environment, "provisioned").answer_status == 201


def test_neither_the_answer_nor_what_it_holds_is_stored_in_clear(hook):
    now = utcnow()
    environment = ask(hook.cast.sales, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    environment = fresh(environment)
    assert environment.status == S.READY
    stored = stored_text(*TABLES)
    assert environment.credentials_box in stored
    for clear in (API_PASSWORD, "demo-7f3a", "nimbus-crm", ANSWER[:20]):
        assert clear not in stored


@pytest.mark.parametrize(("status", "body", "recorded"), [
    (500, "upstream exploded: no capacity in region ap-1", "upstream exploded: no capacity"),
    (503, "E" * 3000, "E" * 1000),  # the start of a long body only
    (200, "not json {password: " + API_PASSWORD, "the answer is not JSON"),
    (200, json.dumps({"url": "ftp://demo.example", "credentials": API_PASSWORD}),
     "the answer has no url (http or https)"),
    (200, json.dumps({"url": "https://demo.example", "token": API_PASSWORD}),
     "the answer has no credentials (or username and password)"),
])
def test_a_failed_or_unreadable_answer_leaves_it_being_set_up(hook, status, body, recorded):
    now = utcnow()
    hook.api.default = (status, body)
    environment = ask(hook.cast.sales, now=now)
    assert service.provision(environment.id, now=now) is False
    db.session.commit()
    environment = fresh(environment)
    assert environment.status == S.PROVISIONING
    assert (environment.url_box, environment.credentials_box, environment.ready_at) == \
        (None, None, None)
    failed = last_event(environment, "provision_failed")
    assert failed.answer_status == status
    assert failed.answer_body.startswith(recorded) and len(failed.answer_body) <= 1000
    assert failed.to_status == S.PROVISIONING and failed.at == now
    if status == 200:  # a body that may hold secrets in a shape not read: not kept
        assert API_PASSWORD not in stored_text(*TABLES)
    assert notes_to(hook.cast.sales, "env_decided") == []


def test_the_apis_answers_are_shown_to_the_channel_team_only(hook):
    now = utcnow()
    hook.api.default = (500, "upstream exploded: tenant pool empty")
    environment = ask(hook.cast.sales, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    path = f"/environments/{environment.id}"
    manager_page = words(signed_in(hook.app, hook.cast.manager).get(path))
    assert "HTTP 500" in manager_page and "tenant pool empty" in manager_page
    assert "the provisioning system did not set it up" in manager_page
    partner_page = words(signed_in(hook.app, hook.cast.sales).get(path))
    assert "By the vendor's provisioning system" in partner_page
    assert "tenant pool empty" not in partner_page  # the answer's body: the team's only


def test_the_job_retries_until_the_api_answers_well(hook):
    now = utcnow()
    hook.api.answers = [(503, "busy"), (502, "still busy")]
    environment = ask(hook.cast.sales, days=7, now=now)
    assert service.provision(environment.id, now=now) is False
    db.session.commit()
    later = now + timedelta(minutes=15)
    assert service.run_jobs(later).startswith("expired 0 demo environment(s), provisioned 0 "
                                              "of 1 waiting")
    db.session.commit()
    latest = now + timedelta(minutes=30)
    assert service.run_jobs(latest).startswith("expired 0 demo environment(s), provisioned 1 "
                                               "of 1 waiting")
    db.session.commit()
    assert len(hook.api.calls) == 3
    verified(hook, hook.api.calls[-1], latest)
    environment = fresh(environment)
    assert environment.status == S.READY
    assert (environment.ready_at, environment.expires_at) == (latest,
                                                             latest + timedelta(days=7))
    assert actions(environment) == ["requested", "auto_approved", "provision_failed",
                                    "provision_failed", "provisioned"]
    assert service.run_jobs(latest + timedelta(minutes=15)).startswith(
        "expired 0 demo environment(s), provisioned 0 of 0 waiting")
    assert len(hook.api.calls) == 3


def test_a_manager_may_enter_the_details_by_hand_while_the_api_fails(hook):
    now = utcnow()
    hook.api.default = (500, "down")
    environment = ask(hook.cast.sales, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    service.enter_details(environment, hook.cast.manager, "https://by-hand.example", "pw")
    db.session.commit()
    assert fresh(environment).status == S.READY
    hook.api.default = (200, ANSWER)
    assert service.run_jobs(now + timedelta(minutes=15)).startswith(
        "expired 0 demo environment(s), provisioned 0 of 0 waiting")
    assert len(hook.api.calls) == 1
    assert service.url_of(fresh(environment)) == "https://by-hand.example"


@pytest.mark.parametrize(("status", "action"), [(200, "deprovisioned"),
                                                (500, "deprovision_failed")])
def test_at_expiry_the_api_is_told_to_remove_it_and_its_answer_recorded(hook, status,
                                                                        action):
    now = utcnow()
    environment = ask(hook.cast.sales, days=7, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    hook.api.default = (status, "removed" if status == 200 else "cannot remove: locked")
    end = now + timedelta(days=7)
    assert service.run_jobs(end).startswith("expired 1 demo environment(s)")
    db.session.commit()
    provision_call, removal = hook.api.calls
    payload = verified(hook, removal, end)
    assert payload["type"] == adapters.DEPROVISION == "demo_environment.deprovision"
    assert payload["data"] == {"environment": environment.id, "id": "env-7f3a",
                               "expired_at": adapters._stamp(end)}
    assert payload["data"]["expired_at"].endswith("Z")
    environment = fresh(environment)
    assert environment.status == S.EXPIRED and environment.url_box is None
    recorded = last_event(environment, action)
    assert recorded.answer_status == status
    assert recorded.answer_body == (None if status == 200 else "cannot remove: locked")
    assert actions(environment)[-2:] == ["expired", action]
    assert provision_call.payload["type"] == adapters.PROVISION


def test_a_failed_removal_is_asked_again_until_the_api_confirms_it_for_a_week(hook):
    now = utcnow()
    environment = ask(hook.cast.sales, days=7, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    hook.api.default = (503, "maintenance")
    end = now + timedelta(days=7)
    service.run_jobs(end)
    db.session.commit()
    service.run_jobs(end + timedelta(minutes=15))  # still failing: asked again
    db.session.commit()
    hook.api.default = (200, "removed")
    service.run_jobs(end + timedelta(minutes=30))
    db.session.commit()
    service.run_jobs(end + timedelta(minutes=45))  # confirmed: never asked again
    db.session.commit()
    removals = [c for c in hook.api.calls if c.payload["type"] == adapters.DEPROVISION]
    assert len(removals) == 3
    assert actions(fresh(environment))[-3:] == ["deprovision_failed", "deprovision_failed",
                                                "deprovisioned"]
    assert fresh(environment).removal_due is False


def test_a_removal_never_confirmed_is_left_to_the_channel_team_after_a_week(hook):
    now = utcnow()
    environment = ask(hook.cast.sales, days=7, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    hook.api.default = (500, "gone wrong")
    end = now + timedelta(days=7)
    service.run_jobs(end)
    db.session.commit()
    calls = len(hook.api.calls)
    service.run_jobs(end + timedelta(days=8))
    db.session.commit()
    assert len(hook.api.calls) == calls  # a week later: no more asking
    assert last_event(fresh(environment), "deprovision_failed").answer_status == 500


def test_returning_it_early_tells_the_api_at_once(hook):
    now = utcnow()
    environment = ask(hook.cast.sales, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    sales = signed_in(hook.app, hook.cast.sales)
    assert sales.post(f"/environments/{environment.id}/end").status_code == 302
    (_, removal) = hook.api.calls
    assert verified(hook, removal)["data"]["id"] == "env-7f3a"
    assert actions(environment)[-2:] == ["returned", "deprovisioned"]


def test_a_managers_approval_on_silver_is_provisioned_at_once(hook):
    cast = hook.cast
    cast.org.tier = Tier.SILVER
    db.session.commit()
    environment = ask(cast.sales)
    assert environment.status == S.REQUESTED and hook.api.calls == []
    manager = signed_in(hook.app, cast.manager)
    assert manager.post(f"/environments/{environment.id}/decision",
                        data={"action": "approve"}).status_code == 302
    assert len(hook.api.calls) == 1
    environment = fresh(environment)
    assert environment.status == S.READY and not environment.auto_approved
    assert actions(environment) == ["requested", "approved", "provisioned"]


def test_an_environment_keeps_the_adapter_it_was_approved_with(hook):
    environment = approved(hook.cast.sales, hook.cast.manager)
    assert fresh(environment).adapter == "webhook"
    # Approved before the adapter was switched to the webhook: a manager sets it up.
    db.session.execute(update(DemoEnvironment).values(adapter="manual")
                       .where(DemoEnvironment.id == environment.id))
    db.session.commit()
    assert service.provision(environment.id) is None
    assert service.run_jobs().startswith("expired 0 demo environment(s), provisioned 0 of 0")
    assert hook.api.calls == []
    assert fresh(environment).status == S.PROVISIONING


@pytest.mark.parametrize(("settings", "says"), [
    ({"LMS_DEMO_ENV_WEBHOOK_URL": ""}, "needs LMS_DEMO_ENV_WEBHOOK_URL"),
    ({"LMS_DEMO_ENV_WEBHOOK_SECRET": ""}, "needs LMS_DEMO_ENV_WEBHOOK_SECRET"),
    ({"LMS_DEMO_ENV_WEBHOOK_SECRET": "whsec_dG9vc2hvcnQ="}, "24 to 64 random bytes"),
    ({"LMS_DEMO_ENV_ADAPTER": "terraform"}, "must be manual or webhook"),
])
def test_the_webhook_adapter_needs_an_address_and_a_strong_secret(make_app, settings, says):
    base = {"LMS_DEMO_ENV_ADAPTER": "webhook",
            "LMS_DEMO_ENV_WEBHOOK_URL": "https://provisioning.example/hook",
            "LMS_DEMO_ENV_WEBHOOK_SECRET": webhook_rules.new_secret()}
    with pytest.raises(ConfigError, match=says):
        make_app(**(base | settings))


def test_a_system_set_up_for_a_request_withdrawn_meanwhile_is_removed(hook):
    now = utcnow()
    environment_id = ask(hook.cast.sales, now=now).id
    sales_id = hook.cast.sales.id

    def withdraw(call: Call) -> None:
        if call.payload["type"] != adapters.PROVISION:
            return  # the removal that follows: the request is withdrawn already
        with hook.app.app_context():
            service.end(db.session.get(DemoEnvironment, environment_id),
                        db.session.get(User, sales_id))
            db.session.commit()
            db.session.remove()

    hook.api.while_busy = withdraw
    assert service.provision(environment_id, now=now) is None
    db.session.commit()
    hook.api.while_busy = None
    assert hook.api.errors == []
    assert db.session.get(DemoEnvironment, environment_id).status == S.CANCELLED
    service.run_jobs(now + timedelta(days=1))
    db.session.commit()
    removals = [c.payload["data"] for c in hook.api.calls
                if c.payload["type"] == adapters.DEPROVISION]
    assert [data["id"] for data in removals] == ["env-7f3a"]


def test_one_provisioning_call_at_a_time_and_the_same_webhook_id_on_a_retry(hook):
    now = utcnow()
    hook.api.default = (503, "busy")
    environment = ask(hook.cast.sales, now=now)  # Gold: approved at once
    assert service.provision(environment.id, now=now) is False
    db.session.commit()
    # A call under way (the page, the job, a second click) keeps every other one out...
    assert service._claim_provisioning(environment.id, now + timedelta(minutes=1))
    db.session.commit()
    assert service.provision(environment.id, now=now + timedelta(minutes=2)) is None
    db.session.commit()
    assert len(hook.api.calls) == 1
    # ...until its claim lapses (a call that never came back).
    hook.api.default = (200, ANSWER)
    assert service.provision(environment.id, now=now + timedelta(minutes=7)) is True
    db.session.commit()
    first, retry = hook.api.calls
    assert first.headers["webhook-id"] == retry.headers["webhook-id"] \
        == f"msg_env{environment.id}_provision"
    assert fresh(environment).status == S.READY


def test_a_refused_approval_calls_no_provisioning_api(hook):
    cast = hook.cast
    cast.org.tier = Tier.SILVER  # approval by a manager
    db.session.commit()
    environment = ask(cast.sales)
    service.decide(environment, cast.manager, False, "No capacity this month.")
    db.session.commit()
    manager = signed_in(hook.app, cast.manager)
    response = manager.post(f"/environments/{environment.id}/decision",
                            data={"action": "approve"})
    assert response.status_code == 400  # the request has changed meanwhile: said on its page
    assert "changed meanwhile" in words(response)
    assert hook.api.calls == []
    assert fresh(environment).status == S.DECLINED


def test_after_a_day_of_failures_the_channel_team_is_told_once_to_set_it_up(hook):
    """The job calls again for a day after the first failed call; then no more calls, one
    history line and one notice to the managers (set it up by hand), which they can still
    do; the job no longer counts it as waiting."""
    now = utcnow()
    hook.api.default = (503, "down")
    environment = ask(hook.cast.sales, days=7, now=now)
    service.provision(environment.id, now=now)
    db.session.commit()
    before = len(notes_to(hook.cast.manager, "env_to_decide"))
    last_try = now + timedelta(hours=23, minutes=59)
    assert "provisioned 0 of 1 waiting" in service.run_jobs(last_try)
    db.session.commit()
    assert len(hook.api.calls) == 2
    for later in (now + timedelta(days=1, minutes=1), now + timedelta(days=1, minutes=16),
                  now + timedelta(days=3)):
        service.run_jobs(later)
        db.session.commit()
    assert len(hook.api.calls) == 2
    assert "provisioned 0 of 0 waiting" in service.run_jobs(now + timedelta(days=4))
    environment = fresh(environment)
    assert environment.status == S.PROVISIONING
    assert actions(environment) == ["requested", "auto_approved", "provision_failed",
                                    "provision_failed", "provision_stopped"]
    told = notes_to(hook.cast.manager, "env_to_decide")[before:]
    assert [n["what"] for n in told] == ["setup"]
    service.enter_details(environment, hook.cast.manager, "https://by-hand.example", "pw")
    db.session.commit()
    assert fresh(environment).status == S.READY
