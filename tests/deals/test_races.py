"""Concurrent writers on deals, with real threads against the test database (SQLite WAL or
PostgreSQL): one owner of a customer, one decision, one expiry per deal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from lms.deals.expiry import expire_overdue
from lms.deals.registration import change_status, register_deal
from lms.deals.rules import DealError
from lms.extensions import db
from lms.models import Deal, DealEvent, DealStatus, Organization, Role, User, utcnow
from tests.factories import make_org, make_user

N = 6


def in_threads(app, work: Callable[[int, threading.Barrier], object], n: int = N) -> list:
    """work(i, barrier) in n threads, each with its own app context and session."""
    barrier = threading.Barrier(n, timeout=30)
    results: list = [None] * n

    def run(index: int) -> None:
        with app.app_context():
            try:
                results[index] = work(index, barrier)
                db.session.commit()
            except BaseException as error:  # handed to the test
                db.session.rollback()
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results


def test_partners_registering_one_customer_at_once_get_one_owner(make_app):
    app = make_app()
    with app.app_context():
        org_ids = [make_org().id for _ in range(N)]

    def work(index: int, barrier: threading.Barrier) -> int:
        org = db.session.get(Organization, org_ids[index])
        barrier.wait()
        name = ("Racing K.K.", "RACING Inc.", "ｒａｃｉｎｇ株式会社")[index % 3]
        return register_deal(org, None, customer_name=name, amount=index + 1).id

    results = in_threads(app, work)
    assert all(isinstance(r, int) for r in results), results
    with app.app_context():
        deals = list(db.session.scalars(select(Deal).order_by(Deal.registered_at, Deal.id)))
        owner = deals[0]
        assert owner.conflict_with_id is None
        assert [d.conflict_with_id for d in deals[1:]] == [owner.id] * (N - 1)


def test_one_decision_wins_when_managers_decide_at_once(make_app):
    app = make_app()
    with app.app_context():
        org = make_org()
        deal_id = register_deal(org, None, customer_name="Contested", amount=1).id
        db.session.commit()
        manager_ids = [make_user(Role.MANAGER).id for _ in range(N)]

    def work(index: int, barrier: threading.Barrier) -> str:
        deal = db.session.get(Deal, deal_id)
        manager = db.session.get(User, manager_ids[index])
        barrier.wait()
        change_status(deal, "approve" if index % 2 else "reject", manager,
                      reason="race")
        return "done"

    results = in_threads(app, work)
    assert results.count("done") == 1, results
    assert all(isinstance(r, DealError) for r in results if r != "done")
    with app.app_context():
        assert db.session.scalar(select(func.count(DealEvent.id)).where(
            DealEvent.deal_id == deal_id, DealEvent.from_status.is_not(None))) == 1


def test_concurrent_expiry_expires_each_deal_once(make_app):
    app = make_app()
    with app.app_context():
        org = make_org()
        for n in range(5):
            register_deal(org, None, customer_name=f"Old {n}", amount=n + 1,
                          now=utcnow() - timedelta(days=100))
        db.session.commit()

    def work(_index: int, barrier: threading.Barrier) -> int:
        barrier.wait()
        return expire_overdue()

    results = in_threads(app, work)
    assert sum(results) == 5, results
    with app.app_context():
        assert db.session.scalar(select(func.count(DealEvent.id)).where(
            DealEvent.to_status == DealStatus.EXPIRED)) == 5
