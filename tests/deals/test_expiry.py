"""Registrations that nobody approved or closed in time expire: the cron command, the
service, and lazily when the pages are opened."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.deals.expiry import expire_overdue
from lms.deals.registration import change_status
from lms.deals.rules import DealError
from lms.extensions import db
from lms.models import DealStatus, utcnow
from tests.factories.deals import events_of, fresh, html, register

NOW = utcnow()


@pytest.mark.parametrize(("age", "expired"), [
    (timedelta(days=89), False),
    (timedelta(days=90), False),
    (timedelta(days=90, seconds=1), True),
    (timedelta(days=91), True),
])
def test_open_deals_expire_after_90_days(people, age, expired):
    deal = register(people.alpha, people.alpha_sales, now=NOW - age)
    assert expire_overdue(NOW) == int(expired)
    db.session.commit()
    deal = fresh(deal)
    if expired:
        assert deal.status == DealStatus.EXPIRED and deal.expired_at == NOW
        event = events_of(deal)[-1]
        assert (event.source, event.actor_id, event.from_status, event.to_status) == (
            "system", None, DealStatus.REGISTERED, DealStatus.EXPIRED)
    else:
        assert deal.status == DealStatus.REGISTERED and deal.expired_at is None


def test_approved_deals_expire_too_and_closed_ones_never(people):
    old = NOW - timedelta(days=120)
    approved = register(people.alpha, None, "A", now=old)
    change_status(approved, "approve", people.manager, now=old)
    closed = {}
    for action in ("won", "lost", "reject"):
        closed[action] = register(people.alpha, None, action, now=old)
        change_status(closed[action], action, people.manager, reason="r", now=old)
    db.session.commit()
    assert expire_overdue(NOW) == 1
    db.session.commit()
    assert fresh(approved).status == DealStatus.EXPIRED
    assert events_of(approved)[-1].from_status == DealStatus.APPROVED
    assert [fresh(d).status.value for d in closed.values()] == ["won", "lost", "rejected"]
    assert expire_overdue(NOW) == 0


def test_the_period_is_configurable(people, app):
    app.config["LMS_DEAL_EXPIRY_DAYS"] = 30
    deal = register(people.alpha, None, now=NOW - timedelta(days=31))
    assert expire_overdue(NOW) == 1
    db.session.commit()
    assert fresh(deal).status == DealStatus.EXPIRED


def test_the_cron_command(people, runner):
    register(people.alpha, None, "Old", now=NOW - timedelta(days=100))
    register(people.beta, None, "Older", now=NOW - timedelta(days=200))
    register(people.beta, None, "New")
    result = runner.invoke(args=["deals", "expire"])
    assert result.exit_code == 0 and "2 deal(s) expired." in result.output
    result = runner.invoke(args=["deals", "expire"])
    assert "0 deal(s) expired." in result.output


def test_pages_expire_overdue_deals_before_showing_them(people, client_for):
    deal = register(people.alpha, people.alpha_sales, "Forgotten K.K.",
                    now=NOW - timedelta(days=95))
    client = client_for(people.alpha_sales)
    page = html(client.get("/deals"))
    assert "Forgotten K.K." in page and "Expired" in page
    assert fresh(deal).status == DealStatus.EXPIRED
    page = html(client.get(f"/deals/{deal.id}"))
    assert "Automatic" in page and "Registered → Expired" in page
    assert f"/deals/{deal.id}/edit" not in page


def test_an_overdue_deal_cannot_be_approved_through_the_service(people):
    deal = register(people.alpha, None, now=NOW - timedelta(days=95))
    with pytest.raises(DealError, match="has expired"):
        change_status(deal, "approve", people.manager, now=NOW)
    db.session.rollback()
    assert fresh(deal).status == DealStatus.REGISTERED
