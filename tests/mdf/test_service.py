"""The MDF services: the allocation from the tier, requests against the balance, partial
approval, claims with proof files, payments, adjustments, deal attribution and the return,
each refusal leaving everything as it was."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lms.deals.registration import register_deal
from lms.deals.rules import DealError
from lms.extensions import db
from lms.mdf import service
from lms.mdf.rules import period_of
from lms.mdf.service import ClaimData, MdfError, RequestData
from lms.models import (
    Deal,
    DealStatus,
    MdfActivityType,
    MdfAllocation,
    MdfEvent,
    MdfProofFile,
    MdfRequest,
    MdfStatus,
    Role,
    Tier,
)
from tests.factories import make_org, make_user
from tests.factories.assets import PDF, stored_files, upload

TODAY = date(2026, 5, 12)  # in 2026-Q2; the program gives Gold 1,500,000 JPY a quarter
GOLD = 1_500_000


@pytest.fixture
def gold(app):
    org = make_org(tier=Tier.GOLD)
    return org, make_user(Role.PARTNER_ADMIN, org), make_user(Role.MANAGER)


def data(amount: int, planned: int | None = None, starts: int = 10, days: int = 2,
         title: str = "Seminar") -> RequestData:
    start = TODAY + timedelta(days=starts)
    return RequestData(MdfActivityType.EVENT, title, "", start,
                       start + timedelta(days=days - 1), planned or amount, amount, 20)


def submit(org, admin, amount: int, **kw) -> MdfRequest:
    request = service.submit(org, admin, data(amount, **kw), today=TODAY)
    db.session.commit()
    return request


def refused(call, field: str | None = None) -> MdfError:
    with pytest.raises(MdfError) as caught:
        call()
    db.session.rollback()
    if field is not None:
        assert caught.value.field == field, str(caught.value)
    return caught.value


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_first_request_opens_the_period_at_the_tiers_allocation(gold):
    org, admin, _manager = gold
    request = submit(org, admin, 400_000, planned=600_000)
    allocation = db.session.get(MdfAllocation, request.allocation_id)
    assert (allocation.period_start, allocation.period_end) == (date(2026, 4, 1),
                                                                date(2026, 6, 30))
    assert (allocation.base_amount, allocation.amount, allocation.tier, allocation.currency) \
        == (GOLD, GOLD, Tier.GOLD, "JPY")
    funds = service.funds_of(org, period_of(TODAY, "quarter"))
    assert (funds.balance.requested, funds.balance.available) == (400_000, 1_100_000)


def test_a_company_whose_tier_gives_no_mdf_has_nothing_to_request(app):
    org = make_org(tier=Tier.BRONZE)
    admin = make_user(Role.PARTNER_ADMIN, org)
    error = refused(lambda: service.submit(org, admin, data(1), today=TODAY),
                    "requested_amount")
    assert "0 JPY" in str(error)
    assert count(MdfRequest) == 0


def test_a_request_above_the_available_balance_is_refused(gold):
    org, admin, _manager = gold
    submit(org, admin, 1_000_000)
    error = refused(lambda: service.submit(org, admin, data(500_001), today=TODAY),
                    "requested_amount")
    assert "500,000 JPY" in str(error)
    assert count(MdfRequest) == 1
    submit(org, admin, 500_000)  # exactly what is left
    assert service.funds_of(org, period_of(TODAY, "quarter")).balance.available == 0


@pytest.mark.parametrize(("bad", "field"), [
    (dict(starts=-1), "starts_on"),
    (dict(days=367), "ends_on"),
    (dict(planned=1_000), "requested_amount"),  # asks for more than the activity costs
])
def test_requests_with_impossible_dates_or_amounts_are_refused(gold, bad, field):
    org, admin, _manager = gold
    refused(lambda: service.submit(org, admin, data(5_000, **bad), today=TODAY), field)
    assert count(MdfRequest) == count(MdfAllocation) == 0


def test_an_activity_ending_before_it_starts_is_refused(gold):
    org, admin, _manager = gold
    request = data(1_000)
    backwards = RequestData(request.activity_type, "x", "", request.starts_on,
                            request.starts_on - timedelta(days=1), 1_000, 1_000, 0)
    refused(lambda: service.submit(org, admin, backwards, today=TODAY), "ends_on")


def test_approval_in_part_needs_a_note_and_frees_the_rest(gold):
    org, admin, manager = gold
    request = submit(org, admin, 800_000)
    refused(lambda: service.decide(request, manager, 500_000, ""), "note")
    refused(lambda: service.decide(request, manager, 800_001, "more"), "amount")
    refused(lambda: service.decide(request, manager, 0, "nothing"), "amount")
    assert db.session.get(MdfRequest, request.id).status == MdfStatus.SUBMITTED
    service.decide(request, manager, 500_000, "Ads are funded up to 500,000.")
    db.session.commit()
    funds = service.funds_of(org, period_of(TODAY, "quarter"))
    assert (funds.balance.requested, funds.balance.approved, funds.balance.available) == \
        (0, 500_000, 1_000_000)
    assert request.decision_note == "Ads are funded up to 500,000."


def test_a_rejection_needs_a_reason_and_returns_the_funds(gold):
    org, admin, manager = gold
    request = submit(org, admin, 700_000)
    refused(lambda: service.decide(request, manager, None, "  "), "note")
    service.decide(request, manager, None, "Trade shows are funded centrally.")
    db.session.commit()
    assert request.status == MdfStatus.REJECTED
    assert service.funds_of(org, period_of(TODAY, "quarter")).balance.available == GOLD


def test_a_decision_on_a_request_decided_meanwhile_is_refused(gold):
    org, admin, manager = gold
    request = submit(org, admin, 100_000)
    service.decide(request, manager, 100_000, "")
    db.session.commit()
    refused(lambda: service.decide(request, manager, None, "no"))
    assert db.session.get(MdfRequest, request.id).status == MdfStatus.APPROVED


def approved(org, admin, manager, amount: int = 600_000) -> MdfRequest:
    request = submit(org, admin, amount)
    service.decide(request, manager, amount, "")
    db.session.commit()
    return request


AFTER = TODAY + timedelta(days=30)  # the activity (days 10-11) is over


def test_a_claim_above_the_approved_amount_or_the_actual_cost_is_refused(gold):
    org, admin, manager = gold
    request = approved(org, admin, manager)
    files = [upload(PDF, "invoice.pdf")]
    refused(lambda: service.claim(request, admin, ClaimData(900_000, 600_001, 10, ""), files,
                                  today=AFTER), "claimed_amount")
    refused(lambda: service.claim(request, admin, ClaimData(500_000, 500_001, 10, ""), files,
                                  today=AFTER), "claimed_amount")
    assert db.session.get(MdfRequest, request.id).status == MdfStatus.APPROVED
    assert count(MdfProofFile) == 0


def test_a_claim_comes_after_the_activity_with_proof(gold, app):
    org, admin, manager = gold
    request = approved(org, admin, manager)
    claim = ClaimData(650_000, 600_000, 31, "Invoices attached.")
    refused(lambda: service.claim(request, admin, claim, [upload(PDF, "i.pdf")],
                                  today=TODAY + timedelta(days=10)))  # still running
    refused(lambda: service.claim(request, admin, claim, [], today=AFTER), "files")
    error = refused(lambda: service.claim(request, admin, claim,
                                          [upload(b"MZ\x90\x00", "photos.exe")], today=AFTER),
                    "files")
    assert "photos.exe" in str(error)
    refused(lambda: service.claim(request, admin, claim,
                                  [upload(b"not a pdf at all", "fake.pdf")], today=AFTER),
            "files")
    assert stored_files(app.config["LMS_UPLOAD_DIR"]) == []  # a refused file is not kept
    service.claim(request, admin, claim, [upload(PDF, "invoice.pdf")], today=AFTER)
    db.session.commit()
    assert (request.status, request.claimed_amount, request.actual_cost,
            request.actual_leads) == (MdfStatus.CLAIMED, 600_000, 650_000, 31)
    assert [f.filename for f in service.proof_files(request)] == ["invoice.pdf"]


def test_an_approved_claim_is_paid_and_holds_only_what_is_paid(gold):
    org, admin, manager = gold
    request = approved(org, admin, manager)
    service.claim(request, admin, ClaimData(550_000, 550_000, None, ""),
                  [upload(PDF, "invoice.pdf")], today=AFTER)
    db.session.commit()
    refused(lambda: service.decide_claim(request, manager, 550_001, ""), "amount")
    refused(lambda: service.decide_claim(request, manager, 500_000, ""), "note")
    service.decide_claim(request, manager, 550_000, "")
    db.session.commit()
    refused(lambda: service.record_payment(request, manager, AFTER + timedelta(days=1),
                                           "TRF-1", today=AFTER), "paid_on")
    refused(lambda: service.record_payment(request, manager, AFTER, " ", today=AFTER),
            "reference")
    service.record_payment(request, manager, AFTER, "TRF-1", today=AFTER)
    db.session.commit()
    assert (request.status, request.paid_on, request.payment_reference) == \
        (MdfStatus.PAID, AFTER, "TRF-1")
    funds = service.funds_of(org, period_of(TODAY, "quarter"))
    assert (funds.balance.paid, funds.balance.available) == (550_000, GOLD - 550_000)
    steps = [e.to_status for e in service.events_of(request)]
    assert steps == [MdfStatus.SUBMITTED, MdfStatus.APPROVED, MdfStatus.CLAIMED,
                     MdfStatus.CLAIM_APPROVED, MdfStatus.PAID]


def test_a_returned_claim_can_be_sent_again(gold):
    org, admin, manager = gold
    request = approved(org, admin, manager)
    service.claim(request, admin, ClaimData(600_000, 600_000, None, ""),
                  [upload(PDF, "invoice.pdf")], today=AFTER)
    db.session.commit()
    refused(lambda: service.decide_claim(request, manager, None, ""), "note")
    service.decide_claim(request, manager, None, "The invoice is not addressed to you.")
    db.session.commit()
    assert request.status == MdfStatus.APPROVED
    # The file sent before is kept: the second claim may add none.
    service.claim(request, admin, ClaimData(600_000, 600_000, None, "Right invoice."),
                  [], today=AFTER)
    db.session.commit()
    assert request.status == MdfStatus.CLAIMED


def test_cancelling_returns_the_funds_and_a_claimed_request_cannot_be_cancelled(gold):
    org, admin, manager = gold
    request = approved(org, admin, manager, 300_000)
    service.cancel(request, admin)
    db.session.commit()
    assert service.funds_of(org, period_of(TODAY, "quarter")).balance.available == GOLD
    other = approved(org, admin, manager, 300_000)
    service.claim(other, admin, ClaimData(300_000, 300_000, None, ""),
                  [upload(PDF, "invoice.pdf")], today=AFTER)
    db.session.commit()
    refused(lambda: service.cancel(other, admin))


def test_an_adjustment_never_takes_the_allocation_below_what_is_held(gold):
    org, admin, manager = gold
    submit(org, admin, 1_000_000)
    period = period_of(TODAY, "quarter")
    refused(lambda: service.adjust(org, period, -500_001, "Budget cut", manager,
                                   today=TODAY), "delta")
    refused(lambda: service.adjust(org, period, 100, "", manager, today=TODAY), "note")
    service.adjust(org, period, -500_000, "Budget cut", manager, today=TODAY)
    service.adjust(org, period, 250_000, "Joint campaign", manager, today=TODAY)
    db.session.commit()
    funds = service.funds_of(org, period)
    assert (funds.allocation.base_amount, funds.balance.allocated,
            funds.balance.available) == (GOLD, 1_250_000, 250_000)
    assert [a.delta for a in service.adjustments(funds.allocation)] == [-500_000, 250_000]
    refused(lambda: service.adjust(org, period.previous(), 1_000, "Late", manager,
                                   today=TODAY))


def test_a_deal_is_credited_only_to_its_own_companys_approved_activity(gold):
    org, admin, manager = gold
    waiting = submit(org, admin, 100_000, title="Waiting")
    activity = approved(org, admin, manager, 200_000)
    other_org = make_org(tier=Tier.GOLD)
    other = approved(other_org, make_user(Role.PARTNER_ADMIN, other_org), manager, 100_000)
    for wrong in (waiting.id, other.id, 2**31 - 1):
        with pytest.raises(DealError):
            register_deal(org, admin, customer_name="Hanamaru Foods", amount=1,
                          mdf_request_id=wrong)
        db.session.rollback()
    deal = register_deal(org, admin, customer_name="Hanamaru Foods", amount=1,
                         mdf_request_id=activity.id)
    db.session.commit()
    assert deal.mdf_request_id == activity.id
    assert [r.id for r in service.attributable(org.id)] == [activity.id]


def test_the_return_counts_credited_deals_by_status_and_currency(gold, app):
    org, admin, manager = gold
    activity = approved(org, admin, manager, 400_000)
    for customer, amount, currency, status in (
            ("A", 3_000_000, "JPY", DealStatus.WON), ("B", 1_000_000, "JPY", DealStatus.WON),
            ("C", 2_000_000, "JPY", DealStatus.REGISTERED),
            ("D", 500_000, "JPY", DealStatus.APPROVED), ("E", 9_000_000, "JPY", DealStatus.LOST),
            ("F", 10_000, "USD", DealStatus.WON), ("G", 777, "XXX", DealStatus.WON)):
        db.session.add(Deal(organization_id=org.id, customer_name=customer,
                            customer_key=customer.lower(), amount=amount, currency=currency,
                            status=status, mdf_request_id=activity.id))
    db.session.commit()
    (item,) = service.returns(period_of(TODAY, "quarter"), org.id)
    rate = service.program_in_force().exchange_rates.get("USD")
    usd = round(10_000 * rate) if rate else 0
    # Won: 3,000,000 + 1,000,000 (+ the USD deal at the program's rate); open: 2,500,000.
    assert (item.result.spent, item.result.won, item.result.pipeline, item.result.deals) == \
        (400_000, 4_000_000 + usd, 2_500_000, 7)
    assert service.returns(period_of(TODAY, "quarter"), make_org().id) == []


def test_history_records_who_did_each_step(gold):
    org, admin, manager = gold
    request = submit(org, admin, 100_000)
    service.decide(request, manager, None, "No budget for print ads.")
    db.session.commit()
    events = db.session.scalars(select(MdfEvent).where(MdfEvent.request_id == request.id)
                                .order_by(MdfEvent.id)).all()
    assert [(e.actor_id, e.from_status, e.to_status, e.note) for e in events] == [
        (admin.id, None, MdfStatus.SUBMITTED, ""),
        (manager.id, MdfStatus.SUBMITTED, MdfStatus.REJECTED, "No budget for print ads.")]


def test_a_refused_file_leaves_none_of_the_claims_files_in_storage(gold, app):
    org, admin, manager = gold
    request = approved(org, admin, manager)
    refused(lambda: service.claim(request, admin, ClaimData(600_000, 600_000, None, ""),
                                  [upload(PDF, "invoice.pdf"), upload(b"MZ", "tool.exe")],
                                  today=AFTER), "files")
    assert stored_files(app.config["LMS_UPLOAD_DIR"]) == []


def test_a_new_period_length_opens_new_periods_and_never_reuses_an_old_one(gold, monkeypatch):
    # The program switches from quarters to half years in May: the half year opens at the
    # tier's allocation; the quarter's requests stay on the quarter.
    org, admin, _manager = gold
    quarter_request = submit(org, admin, 1_400_000)
    monkeypatch.setattr(service, "period_kind", lambda: "half_year")
    half = service.submit(org, admin, data(200_000), today=TODAY)
    db.session.commit()
    allocations = {(a.period_kind, a.period_start): a.id
                   for a in db.session.scalars(select(MdfAllocation))}
    assert allocations.keys() == {("quarter", date(2026, 4, 1)), ("half_year", date(2026, 1, 1))}
    assert quarter_request.allocation_id == allocations["quarter", date(2026, 4, 1)]
    assert half.allocation_id == allocations["half_year", date(2026, 1, 1)]
    funds = service.funds_of(org, period_of(TODAY, "half_year"), today=TODAY)
    assert (funds.balance.requested, funds.balance.available) == (200_000, GOLD - 200_000)
    assert [r.id for r in service.open_elsewhere(org.id, period_of(TODAY, "half_year"))] == \
        [quarter_request.id]


def test_the_note_shown_is_the_latest_decisions_own(gold):
    org, admin, manager = gold
    request = approved(org, admin, manager)
    service.claim(request, admin, ClaimData(600_000, 600_000, None, ""),
                  [upload(PDF, "invoice.pdf")], today=AFTER)
    service.decide_claim(request, manager, None, "Add the attendee list.")
    service.claim(request, admin, ClaimData(600_000, 600_000, None, ""), [], today=AFTER)
    service.decide_claim(request, manager, 600_000, "")
    db.session.commit()
    assert request.decision_note == ""  # "add the attendee list" is history, not the word now
    assert "Add the attendee list." in [e.note for e in service.events_of(request)]
