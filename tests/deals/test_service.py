"""The service API the JSON API and the demo data call: register_deal, change_status,
edit_deal, and the timezone of CSV dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lms.clock import day_start, local_date
from lms.deals.expiry import expire_overdue
from lms.deals.permissions import allowed_actions, can_edit, can_register
from lms.deals.registration import change_status, edit_deal, register_deal
from lms.deals.rules import DealError
from lms.extensions import db
from lms.models import DealStatus, utcnow
from tests.factories.deals import deal_count, events_of, fresh, register


@pytest.mark.parametrize(("values", "message"), [
    ({"customer_name": " "}, "Enter the customer company."),
    ({"amount": "12.5"}, "without decimals"),
    ({"amount": -1}, "cannot be negative"),
    ({"currency": "ABC"}, "Unknown currency ABC"),
    ({"product": "p" * 201}, "at most 200"),
    ({"customer_name": "Acme\x07"}, "control characters"),
])
def test_register_deal_refuses_bad_values(people, values, message):
    arguments = {"customer_name": "Acme", "amount": 100} | values
    with pytest.raises(DealError, match=message):
        register_deal(people.alpha, people.alpha_sales, **arguments)
    db.session.rollback()
    assert deal_count() == 0


def test_register_deal_with_everything(people):
    when = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    deal = register(people.alpha, people.alpha_sales, "  ACME Inc. ", amount="1,500",
                    currency="eur", product="Pro", description="Two\nlines",
                    expected_close_on=date(2026, 6, 30), external_id="SF-9", now=when,
                    source="api")
    deal = fresh(deal)
    assert (deal.customer_name, deal.customer_key, deal.amount, deal.currency) == (
        "ACME Inc.", "acme", 1500, "EUR")
    assert deal.registered_at == when and deal.external_id == "SF-9"
    [event] = events_of(deal)
    assert event.source == "api" and event.at == when
    assert event.changes["external_id"] == ["", "SF-9"]


def test_an_external_id_is_used_once(people):
    register(people.alpha, None, external_id="SF-1")
    with pytest.raises(DealError, match="exists already"):
        register_deal(people.beta, None, customer_name="X", amount=1,
                      external_id="SF-1")
    db.session.rollback()


def test_a_system_registration_without_a_person(people):
    deal = register(people.alpha, None)
    assert deal.registered_by_id is None
    assert events_of(deal)[0].actor_id is None


def test_change_status_records_timestamps(people):
    when = datetime(2026, 4, 1, tzinfo=UTC)
    deal = register(people.alpha, None, now=when - timedelta(days=3))
    change_status(deal, "approve", people.manager, now=when)
    change_status(deal, "lost", people.manager, reason="Budget cut",
                  now=when + timedelta(days=1))
    db.session.commit()
    deal = fresh(deal)
    assert deal.approved_at == when and deal.closed_at == when + timedelta(days=1)
    assert deal.updated_at == when + timedelta(days=1)
    assert events_of(deal)[-1].note == "Budget cut"


def test_change_status_refuses_unknown_actions(people):
    deal = register(people.alpha, None)
    with pytest.raises(DealError, match="Unknown decision"):
        change_status(deal, "reopen", people.manager)


def test_a_reason_has_a_limit(people):
    deal = register(people.alpha, None)
    with pytest.raises(DealError, match="too long"):
        change_status(deal, "reject", people.manager, reason="x" * 1001)


def test_edit_deal_refuses_a_partner_on_a_closed_deal(people):
    deal = register(people.alpha, people.alpha_sales)
    change_status(deal, "won", people.manager)
    db.session.commit()
    with pytest.raises(DealError, match="can no longer be changed"):
        edit_deal(deal, people.alpha_sales, customer_name="X", amount=1,
                  currency="JPY", product="", description="", expected_close_on=None)
    db.session.rollback()
    assert fresh(deal).customer_name == "株式会社サクラ商事"


def test_who_may_do_what(people):
    deal = register(people.alpha, people.alpha_sales)
    assert can_register(people.alpha_sales) and can_register(people.alpha_admin)
    assert not can_register(people.alpha_engineer)
    assert not can_register(people.manager)
    assert can_edit(people.alpha_admin, deal) and can_edit(people.admin, deal)
    assert not can_edit(people.beta_sales, deal)
    assert not can_edit(people.alpha_engineer, deal)
    assert allowed_actions(people.manager, deal) == ["approve", "reject", "won", "lost"]
    assert allowed_actions(people.alpha_admin, deal) == []
    change_status(deal, "approve", people.manager)
    assert allowed_actions(people.manager, deal) == ["won", "lost"]


def test_csv_dates_are_days_of_the_program_timezone(app):
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Tokyo"
    start = day_start(date(2026, 4, 1))
    assert start == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert local_date(start) == date(2026, 4, 1)
    assert local_date(start - timedelta(seconds=1)) == date(2026, 3, 31)


def test_expiry_leaves_recent_deals_alone(people):
    register(people.alpha, None)
    assert expire_overdue(utcnow()) == 0
    assert fresh(register(people.beta, None, "Other")).status == DealStatus.REGISTERED
