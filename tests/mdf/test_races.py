"""Partners and managers moving one company's funds at once, with real threads against the
test database (SQLite WAL or PostgreSQL): the balance never goes negative, a period opens
once, a request is decided once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from lms.extensions import db
from lms.mdf import service
from lms.mdf.rules import period_of
from lms.mdf.service import MdfError
from lms.models import (
    MdfAllocation,
    MdfEvent,
    MdfRequest,
    MdfStatus,
    Organization,
    Role,
    Tier,
    User,
)
from tests.deals.test_races import in_threads
from tests.factories import make_org, make_user
from tests.mdf.test_service import GOLD, TODAY, data

N = 6


def _company(app) -> tuple[int, int, int]:
    with app.app_context():
        org = make_org(tier=Tier.GOLD)
        return org.id, make_user(Role.PARTNER_ADMIN, org).id, make_user(Role.MANAGER).id


def test_simultaneous_requests_never_take_the_balance_below_zero(make_app):
    app = make_app()
    org_id, admin_id, _manager_id = _company(app)

    def work(index: int, barrier: threading.Barrier) -> int:
        org = db.session.get(Organization, org_id)
        admin = db.session.get(User, admin_id)
        barrier.wait()
        return service.submit(org, admin, data(400_000, title=f"Event {index}"),
                              today=TODAY).id

    results = in_threads(app, work)
    made = [r for r in results if isinstance(r, int)]
    assert len(made) == GOLD // 400_000 == 3, results
    assert all(isinstance(r, MdfError) for r in results if not isinstance(r, int)), results
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MdfAllocation)) == 1
        funds = service.funds_of(db.session.get(Organization, org_id),
                                 period_of(TODAY, "quarter"))
        assert funds.balance.requested == 1_200_000
        assert funds.balance.available == 300_000


def test_an_adjustment_racing_requests_never_leaves_more_held_than_allocated(make_app):
    app = make_app()
    org_id, admin_id, manager_id = _company(app)

    def work(index: int, barrier: threading.Barrier) -> str:
        org = db.session.get(Organization, org_id)
        barrier.wait()
        if index == 0:
            service.adjust(org, period_of(TODAY, "quarter"), -1_000_000, "Budget cut",
                           db.session.get(User, manager_id), today=TODAY)
            return "cut"
        service.submit(org, db.session.get(User, admin_id), data(250_000), today=TODAY)
        return "requested"

    results = in_threads(app, work)
    with app.app_context():
        funds = service.funds_of(db.session.get(Organization, org_id),
                                 period_of(TODAY, "quarter"))
        assert funds.balance.held <= funds.balance.allocated, results
        assert funds.balance.requested == 250_000 * results.count("requested")
        assert funds.balance.allocated == GOLD - (1_000_000 if "cut" in results else 0)


def test_two_managers_deciding_one_request_at_once_decide_it_once(make_app):
    app = make_app()
    org_id, admin_id, manager_id = _company(app)
    with app.app_context():
        request_id = service.submit(db.session.get(Organization, org_id),
                                    db.session.get(User, admin_id), data(100_000),
                                    today=TODAY).id
        db.session.commit()
        managers = [manager_id] + [make_user(Role.MANAGER).id for _ in range(N - 1)]

    def work(index: int, barrier: threading.Barrier) -> str:
        request = db.session.get(MdfRequest, request_id)
        barrier.wait()
        service.decide(request, db.session.get(User, managers[index]),
                       100_000 if index % 2 else None, "race")
        return "done"

    results = in_threads(app, work)
    assert results.count("done") == 1, results
    with app.app_context():
        decided = db.session.scalar(select(func.count()).select_from(MdfEvent).where(
            MdfEvent.request_id == request_id, MdfEvent.from_status.is_not(None)))
        assert decided == 1
        assert db.session.get(MdfRequest, request_id).status in (MdfStatus.APPROVED,
                                                                  MdfStatus.REJECTED)


def test_the_activity_dates_of_racing_requests_do_not_matter(make_app):
    # The first requests of a new period race to open it: one allocation, whatever wins.
    app = make_app()
    org_id, admin_id, _manager_id = _company(app)

    def work(index: int, barrier: threading.Barrier) -> int:
        org = db.session.get(Organization, org_id)
        barrier.wait()
        return service.submit(org, db.session.get(User, admin_id),
                              data(10_000, starts=index + 1), today=TODAY).id

    results = in_threads(app, work)
    assert all(isinstance(r, int) for r in results), results
    with app.app_context():
        allocations = db.session.scalars(select(MdfAllocation)).all()
        assert len(allocations) == 1
        assert allocations[0].period_start == period_of(TODAY, "quarter").start
        starts = sorted(db.session.scalars(select(MdfRequest.starts_on)))
        assert starts == [TODAY + timedelta(days=n + 1) for n in range(N)]


def test_a_deal_is_never_credited_to_an_activity_cancelled_before_it_was_registered(make_app):
    # Partners crediting new deals to an activity while its owner cancels it: a deal either
    # came first (credited) or is refused; none is credited after the cancellation.
    from lms.deals.registration import DealError, register_deal
    from lms.models import Deal

    app = make_app()
    org_id, admin_id, manager_id = _company(app)
    with app.app_context():
        request = service.submit(db.session.get(Organization, org_id),
                                 db.session.get(User, admin_id), data(100_000), today=TODAY)
        service.decide(request, db.session.get(User, manager_id), 100_000, "")
        db.session.commit()
        request_id = request.id

    def work(index: int, barrier: threading.Barrier) -> str:
        org = db.session.get(Organization, org_id)
        admin = db.session.get(User, admin_id)
        request = db.session.get(MdfRequest, request_id)
        barrier.wait()
        if index == 0:
            service.cancel(request, admin)
            return "cancelled"
        try:
            register_deal(org, admin, customer_name=f"Race {index} K.K.", amount="1000000",
                          mdf_request_id=request_id)
        except DealError:
            return "refused"
        return "credited"

    results = in_threads(app, work)
    assert results[0] == "cancelled", results
    with app.app_context():
        cancelled_at = db.session.scalar(select(MdfEvent.at).where(
            MdfEvent.request_id == request_id, MdfEvent.to_status == MdfStatus.CANCELLED))
        credited = db.session.scalars(select(Deal.registered_at).where(
            Deal.mdf_request_id == request_id)).all()
        assert len(credited) == results.count("credited")
        assert all(at < cancelled_at for at in credited), (credited, cancelled_at)
