"""The admin pages of webhooks, through HTTP: adding an endpoint (its secret shown once),
addresses refused with a clear message and nothing saved, editing, the delivery log with its
Redeliver button, re-enabling; admins only; CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    AuditAction,
    AuditEvent,
    DeliveryState,
    Role,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from lms.webhooks import service
from tests.factories import csrf_token, make_user, signed_in

PUBLIC = "93.184.215.14"


@pytest.fixture
def admin(app):
    return make_user(Role.ADMIN, name="Ada Admin")


def endpoints() -> list[WebhookEndpoint]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def public_endpoint(admin, dns) -> tuple[WebhookEndpoint, str]:
    """A committed endpoint on a public address (with its secret), receiving every event."""
    dns["crm.sakura.test"] = [PUBLIC]
    created = service.create_endpoint(admin, service.EndpointData(
        "https://crm.sakura.test/in", "", None))
    db.session.commit()
    return created


def form(url: str, *events: str, **extra) -> dict:
    data = {"url": url, "description": "Salesforce", "enabled": "y", **extra}
    if events:
        data["event_types"] = list(events)
    else:
        data["all_events"] = "y"
    return data


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(app, admin, dns):
    dns["crm.sakura.test"] = [PUBLIC]
    client = signed_in(app, admin)

    response = client.post("/admin/webhooks/new", data=form(
        "https://crm.sakura.test/hooks", "deal.registered", "tier.changed"))

    assert response.status_code == 200
    (endpoint,) = endpoints()
    page = response.get_data(as_text=True)
    assert endpoint.secret in page and "shown only once" in page
    assert endpoint.url == "https://crm.sakura.test/hooks"
    assert endpoint.event_types == ["deal.registered", "tier.changed"]
    assert endpoint.enabled and endpoint.created_by_id == admin.id
    assert response.headers.get("Set-Cookie") is None or endpoint.secret not in \
        response.headers["Set-Cookie"]
    for path in ("/admin/webhooks", f"/admin/webhooks/{endpoint.id}"):
        shown = client.get(path).get_data(as_text=True)
        assert endpoint.secret not in shown
        assert endpoint.secret[:10] + "…" in shown
    (event,) = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.WEBHOOK_CREATED))
    assert event.actor_id == admin.id and event.detail["url"] == endpoint.url


@pytest.mark.parametrize(("url", "message"), [
    ("not a web address", "Enter a full web address"),
    ("https://user:secret@crm.sakura.test/", "no user name or password"),
    ("https://10.0.0.5/hooks", "loopback, private, link-local"),
    ("https://[::ffff:127.0.0.1]/hooks", "::ffff:127.0.0.1 is loopback"),
    ("https://169.254.169.254/latest/meta-data", "169.254.169.254 is link-local"),
    ("https://intranet.sakura.test/hooks", "10.1.2.3 is private"),
    ("https://nowhere.sakura.test/hooks", "could not be resolved"),
])
def test_an_address_that_may_not_receive_is_refused_and_nothing_is_saved(app, admin, dns,
                                                                         url, message):
    dns["intranet.sakura.test"] = ["10.1.2.3"]
    client = signed_in(app, admin)

    response = client.post("/admin/webhooks/new", data=form(url))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="url-error"' in page  # next to the field
    assert endpoints() == []


def test_plain_http_is_refused_outside_development(make_app, dns):
    dns["crm.sakura.test"] = [PUBLIC]
    # Secure cookies off (the test client speaks plain http), no second factor to set up.
    app = make_app(LMS_ENV="production", SESSION_COOKIE_SECURE=False,
                   LMS_REQUIRE_2FA=frozenset())
    with app.app_context():
        client = signed_in(app, make_user(Role.ADMIN))
        response = client.post("/admin/webhooks/new", data=form("http://crm.sakura.test/in"))
        assert response.status_code == 400
        assert "Use an https:// address" in response.get_data(as_text=True)
        assert endpoints() == []
        assert client.post("/admin/webhooks/new", data=form(
            "https://crm.sakura.test/in")).status_code == 200
        assert len(endpoints()) == 1


def test_choosing_no_event_is_refused(app, admin, dns):
    dns["crm.sakura.test"] = [PUBLIC]
    response = signed_in(app, admin).post("/admin/webhooks/new", data={
        "url": "https://crm.sakura.test/in", "enabled": "y"})
    assert response.status_code == 400
    assert "Choose the events to send, or every event." in response.get_data(as_text=True)
    assert endpoints() == []


def test_an_admin_edits_disables_and_enables_an_endpoint(app, admin, dns):
    endpoint, _secret = public_endpoint(admin, dns)
    client = signed_in(app, admin)
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert 'name="all_events" type="checkbox" value="y" checked' in page \
        or ('id="all_events"' in page and "checked" in page)

    response = client.post(f"/admin/webhooks/{endpoint.id}", data={
        "url": "https://crm.sakura.test/v2", "description": "CRM v2",
        "event_types": ["course.completed"]})  # "enabled" unticked

    assert response.status_code == 302
    (saved,) = endpoints()
    assert saved.url == "https://crm.sakura.test/v2" and saved.description == "CRM v2"
    assert saved.event_types == ["course.completed"]
    assert not saved.enabled and saved.disabled_reason == "Disabled by Ada Admin."
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "Disabled by Ada Admin." in page and "Enable again" in page

    assert client.post(f"/admin/webhooks/{endpoint.id}/enable").status_code == 302
    assert endpoints()[0].enabled
    # A private address on edit is refused as on creation, and the old one kept.
    response = client.post(f"/admin/webhooks/{endpoint.id}", data=form("https://10.0.0.9/"))
    assert response.status_code == 400 and endpoints()[0].url == "https://crm.sakura.test/v2"


def test_the_delivery_log_shows_each_delivery_and_redelivers_one(make_app, receiver):
    app = make_app(LMS_WEBHOOK_ALLOW_PRIVATE=True)
    with app.app_context():
        admin = make_user(Role.ADMIN)
        endpoint, secret = service.create_endpoint(admin, service.EndpointData(
            receiver.url, "", None))
        db.session.commit()
        receiver.secret, receiver.statuses = secret, [500]
        service.record("deal.registered", {"deal": {"id": 1}})
        db.session.commit()
        receiver.now = utcnow()
        service.deliver_due(receiver.now)
        (delivery,) = db.session.scalars(select(WebhookDelivery))
        delivery.state = DeliveryState.FAILED  # as after a day of failures
        db.session.commit()
        client = signed_in(app, admin)

        page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
        assert delivery.message_id in page and "HTTP 500" in page
        assert "receiver says no" in page and "Redeliver" in page
        listed = client.get("/admin/webhooks").get_data(as_text=True)
        assert endpoint.url in listed and 'status-warn">1<' in listed  # 1 failed attempt

        response = client.post(f"/admin/webhooks/deliveries/{delivery.id}/redeliver")
        assert response.status_code == 302
        assert response.location.endswith(f"/admin/webhooks/{endpoint.id}")
        db.session.expire_all()
        old, new = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        assert new.message_id == old.message_id and new.state == DeliveryState.PENDING
        assert new.requested_by_id == admin.id
        receiver.now = utcnow()
        assert service.deliver_due(receiver.now) == (1, 0)
        assert receiver.requests[-1].headers["webhook-id"] == old.message_id


def test_rotating_shows_the_new_secret_once(app, admin, dns):
    endpoint, old = public_endpoint(admin, dns)
    client = signed_in(app, admin)

    response = client.post(f"/admin/webhooks/{endpoint.id}/rotate")

    (rotated,) = endpoints()
    assert response.status_code == 200 and rotated.secret != old
    page = response.get_data(as_text=True)
    assert rotated.secret in page and "for 24 more hours" in page
    assert rotated.previous_secret == old


def test_deleting_an_endpoint_removes_its_log(app, admin, dns):
    endpoint, _secret = public_endpoint(admin, dns)
    service.record("tier.changed", {"partner": {"slug": "x"}})
    db.session.commit()

    response = signed_in(app, admin).post(f"/admin/webhooks/{endpoint.id}/delete")

    assert response.status_code == 302 and endpoints() == []
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 0


@pytest.mark.parametrize("role", [Role.MANAGER, Role.PARTNER_ADMIN, Role.MEMBER])
def test_only_admins_see_or_change_webhooks(app, admin, dns, role):
    endpoint, _secret = public_endpoint(admin, dns)
    client = signed_in(app, make_user(role))

    for path in ("/admin/webhooks", "/admin/webhooks/new", f"/admin/webhooks/{endpoint.id}"):
        assert client.get(path).status_code == 403, path
    for path in ("/admin/webhooks/new", f"/admin/webhooks/{endpoint.id}",
                 f"/admin/webhooks/{endpoint.id}/rotate", f"/admin/webhooks/{endpoint.id}/delete"):
        assert client.post(path, data=form("https://crm.sakura.test/x")).status_code == 403
    (unchanged,) = endpoints()
    assert unchanged.url == "https://crm.sakura.test/in"
    assert signed_in(app, None).get("/admin/webhooks").status_code == 302  # to sign in


def test_the_admin_page_links_to_webhooks(app, admin):
    page = signed_in(app, admin).get("/admin/").get_data(as_text=True)
    assert 'href="/admin/webhooks"' in page


def test_forms_need_their_csrf_token(make_app, dns):
    dns["crm.sakura.test"] = [PUBLIC]
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = signed_in(app, make_user(Role.ADMIN))
        refused = client.post("/admin/webhooks/new", data=form("https://crm.sakura.test/in"))
        assert refused.status_code == 400 and endpoints() == []

        token = csrf_token(client, "/admin/webhooks/new")
        accepted = client.post("/admin/webhooks/new", data={
            **form("https://crm.sakura.test/in"), "csrf_token": token})
        assert accepted.status_code == 200 and len(endpoints()) == 1
