"""Demo environments over HTTP: a request within the tier's quota, the manager's decision,
the details entered by hand and kept encrypted, shown once to the requester."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from lms.extensions import db
from lms.models import DemoEnvironment, EnvironmentStatus, Notification, Role, Tier
from tests.factories import make_org, make_user, signed_in

SECRET = "user: demo-admin\npassword: Tr0ub4dor&3-unique"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def people(app):
    org = make_org(slug="alpha", name="Alpha Systems K.K.", tier=Tier.SILVER)
    other = make_org(slug="beta", name="Beta Works K.K.", tier=Tier.SILVER)
    return {"org": org, "sales": make_user(Role.MEMBER, org, name="Sana Sales"),
            "colleague": make_user(Role.MEMBER, org, name="Coco Colleague"),
            "admin": make_user(Role.PARTNER_ADMIN, org, name="Akira Admin"),
            "stranger": make_user(Role.PARTNER_ADMIN, other, name="Sam Stranger"),
            "manager": make_user(Role.MANAGER, name="Mina Manager")}


def request_one(client, purpose="Demo for Hokuriku Bank", days=14):
    return client.post("/environments/new", data={"purpose": purpose, "days": days,
                                                  "deal_id": ""})


def test_request_decide_enter_details_and_show_them_once(app, people):
    sales = signed_in(app, people["sales"])
    response = request_one(sales)
    assert response.status_code == 302
    environment = db.session.scalar(select(DemoEnvironment))
    assert environment.status == EnvironmentStatus.REQUESTED
    assert db.session.scalar(select(Notification).where(
        Notification.user_id == people["manager"].id, Notification.kind == "env_to_decide"))

    manager = signed_in(app, people["manager"])
    path = f"/environments/{environment.id}"
    assert manager.post(f"{path}/decision", data={"action": "approve"}).status_code == 302
    response = manager.post(f"{path}/details", data={
        "details-url": "https://demo-0142.nimbus-crm.example", "details-credentials": SECRET})
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()
    environment = db.session.get(DemoEnvironment, environment.id)
    assert environment.status == EnvironmentStatus.READY
    assert (environment.expires_at - environment.ready_at).days == 14
    # Nothing of the address or the secret is in the database in clear.
    rows = db.session.execute(text("SELECT * FROM demo_environments")).all()
    flat = " ".join(str(value) for row in rows for value in row)
    assert environment.url_box and environment.url_box in flat
    assert "Tr0ub4dor" not in flat and "demo-0142" not in flat

    page = text_of(sales.get(path))
    assert "https://demo-0142.nimbus-crm.example" in page and "Tr0ub4dor" not in page
    shown = text_of(sales.post(f"{path}/reveal"))
    assert "Tr0ub4dor&amp;3-unique" in shown
    again = sales.post(f"{path}/reveal", follow_redirects=True)
    assert "Tr0ub4dor" not in text_of(again) and "shown once already" in text_of(again)
    db.session.expire_all()
    assert db.session.get(DemoEnvironment, environment.id).credentials_box is None


def test_another_company_and_a_colleague_get_404(app, people):
    request_one(signed_in(app, people["sales"]))
    environment = db.session.scalar(select(DemoEnvironment))
    path = f"/environments/{environment.id}"
    for who in ("stranger", "colleague"):
        client = signed_in(app, people[who])
        assert client.get(path).status_code == 404
        assert client.post(f"{path}/end").status_code == 404
    assert signed_in(app, people["admin"]).get(path).status_code == 200


def test_the_quota_of_the_tier_holds(app, people):
    sales = signed_in(app, people["sales"])
    assert request_one(sales).status_code == 302
    assert request_one(sales).status_code == 302
    refused = request_one(sales)  # Silver: two at once
    assert refused.status_code == 400
    assert "holds its 2 demo environment" in text_of(refused)
    assert len(db.session.scalars(select(DemoEnvironment)).all()) == 2
