"""Deal registration and decisions over HTTP: who may do what, what each viewer sees,
history, conflicts, the CSV download and the query budget."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.deals.registration import change_status, edit_deal, register_deal
from lms.extensions import db
from lms.models import Deal, DealStatus, Role, utcnow
from tests.factories import count_queries, csrf_token, login, make_org, make_user, signed_in
from tests.factories.deals import deal_count, events_of, fresh, html, register

CONFLICT_NOTICE = "Under review: another partner registered this customer first."


def post_deal(client, **values):
    data = {"customer_name": "(株)サクラ商事", "amount": "30,000,000", "currency": "JPY",
            "product": "Nimbus CRM Enterprise", "description": "100 seats",
            "expected_close_on": "2027-03-31"} | values
    return client.post("/deals/new", data=data)


# --- Registering --------------------------------------------------------------------------


def test_a_sales_member_registers_a_deal_with_separators(people, client_for):
    client = client_for(people.alpha_sales)
    form = html(client.get("/deals/new"))
    assert "<h1>Register a deal</h1>" in form and "<title>Register a deal · " in form
    response = post_deal(client)
    assert response.status_code == 302
    deal = db.session.scalar(select(Deal))
    assert response.headers["Location"] == f"/deals/{deal.id}"
    assert deal.organization_id == people.alpha.id
    assert deal.registered_by_id == people.alpha_sales.id
    assert (deal.customer_name, deal.customer_key) == ("(株)サクラ商事", "サクラ商事")
    assert (deal.amount, deal.currency, deal.status) == (30_000_000, "JPY", DealStatus.REGISTERED)
    assert deal.expected_close_on.isoformat() == "2027-03-31"
    assert deal.conflict_with_id is None and deal.registered_at is not None
    [event] = events_of(deal)
    assert (event.actor_id, event.source, event.from_status, event.to_status) == (
        people.alpha_sales.id, "web", None, DealStatus.REGISTERED)
    assert event.changes["amount"] == ["", "30000000"]
    assert event.changes["customer_name"] == ["", "(株)サクラ商事"]
    page = html(client.get(response.headers["Location"]))
    assert f"Deal #{deal.id} is registered" in page
    assert "30,000,000 JPY" in page and "Nimbus CRM Enterprise" in page


@pytest.mark.parametrize("amount", ["３０００００", "300000", "300,000"])
def test_amount_spellings(people, client_for, amount):
    response = post_deal(client_for(people.alpha_admin), amount=amount)
    assert response.status_code == 302
    assert db.session.scalar(select(Deal.amount)) == 300_000


@pytest.mark.parametrize(("values", "message"), [
    ({"amount": "30.5"}, "without decimals"),
    ({"amount": "thirty"}, "whole number, such as 30,000,000"),
    ({"amount": "-100"}, "cannot be negative"),
    ({"amount": ""}, "Enter the amount."),
    ({"amount": "99,999,999,999,999"}, "too large"),
    ({"customer_name": ""}, "This field is required."),
    ({"customer_name": "Acme\x1b"}, "Remove the control characters"),
    ({"currency": "XYZ"}, "Not a valid choice"),
    ({"expected_close_on": "31/03/2027"}, "Not a valid date"),
    # The same range as the CSV import and the API (validation.check_date).
    ({"expected_close_on": "0001-01-01"}, "Enter a date between 1990-01-01 and 2999-12-31."),
    ({"expected_close_on": "9999-12-31"}, "Enter a date between 1990-01-01 and 2999-12-31."),
    ({"amount": "0"}, "it must be above zero"),
    ({"product": "p" * 201}, "Field cannot be longer than 200 characters."),
])
def test_bad_input_is_explained_and_nothing_is_written(people, client_for, values, message):
    response = post_deal(client_for(people.alpha_sales), **values)
    assert response.status_code == 400
    assert message in html(response)
    assert 'aria-invalid="true"' in html(response)
    assert deal_count() == 0


def test_a_nul_character_is_refused_before_anything_reads_it(people, client_for):
    response = post_deal(client_for(people.alpha_sales), customer_name="Acme\x00")
    assert response.status_code == 400
    assert "contains a NUL character" in html(response)
    assert deal_count() == 0


def test_the_amount_typed_is_kept_when_the_form_comes_back(people, client_for):
    response = post_deal(client_for(people.alpha_sales), amount="30,000,000", customer_name="")
    assert response.status_code == 400
    assert 'value="30,000,000"' in html(response)


@pytest.mark.parametrize("who", ["alpha_engineer", "manager", "admin"])
def test_only_partner_sales_and_partner_admins_register(people, client_for, who):
    client = client_for(getattr(people, who))
    assert client.get("/deals/new").status_code == 403
    assert post_deal(client).status_code == 403
    assert deal_count() == 0


def test_signed_out_visitors_are_sent_to_sign_in(client):
    for path in ("/deals", "/deals/new", "/deals/1", "/deals.csv", "/deals/import"):
        assert client.get(path).status_code == 302


# --- Seeing -------------------------------------------------------------------------------


def test_a_partner_sees_only_its_company_deals(people, client_for):
    own = register(people.alpha, people.alpha_sales, "Own Customer K.K.")
    other = register(people.beta, people.beta_sales, "Secret Customer Inc.")
    for who in ("alpha_sales", "alpha_engineer", "alpha_admin"):
        client = client_for(getattr(people, who))
        page = html(client.get("/deals"))
        assert "Own Customer K.K." in page and "Secret Customer" not in page
        # Filters of vendor staff do not widen what a partner sees.
        page = html(client.get("/deals?partner=beta&q=Secret"))
        assert "Secret Customer" not in page
        assert client.get(f"/deals/{own.id}").status_code == 200
        assert client.get(f"/deals/{other.id}").status_code == 404
        assert client.get(f"/deals/{other.id}/edit").status_code == 404
        assert client.post(f"/deals/{other.id}/edit",
                           data={"customer_name": "Hijacked", "amount": "1"}).status_code == 404
        assert client.post(f"/deals/{other.id}/status",
                           data={"action": "approve"}).status_code == 404
    assert fresh(other).customer_name == "Secret Customer Inc."
    assert fresh(other).status == DealStatus.REGISTERED


def test_vendor_staff_see_every_deal_and_filter(people, client_for):
    register(people.alpha, people.alpha_sales, "Alpha Customer")
    won = register(people.beta, people.beta_sales, "Beta Customer")
    change_status(won, "won", people.manager)
    db.session.commit()
    client = client_for(people.manager)
    page = html(client.get("/deals"))
    assert "Alpha Customer" in page and "Beta Customer" in page
    page = html(client.get("/deals?partner=alpha"))
    assert "Alpha Customer" in page and "Beta Customer" not in page
    page = html(client.get("/deals?status=won"))
    assert "Alpha Customer" not in page and "Beta Customer" in page
    page = html(client.get("/deals?q=ＡＬＰＨＡ"))
    assert "Alpha Customer" in page and "Beta Customer" not in page
    page = html(client.get("/deals?q=%25"))
    assert "No deal matches these filters." in page


def test_the_list_is_newest_first_and_paginated(people, client_for):
    start = utcnow() - timedelta(days=30)
    for n in range(52):
        register_deal(people.alpha, people.alpha_sales, customer_name=f"Customer {n:02d}",
                      amount=n + 1, now=start + timedelta(minutes=n))
    db.session.commit()
    client = client_for(people.alpha_sales)
    page = html(client.get("/deals"))
    assert page.index("Customer 51") < page.index("Customer 50")
    assert "Customer 01" not in page and "Page 1 of 2" in page
    assert "Customer 01" in html(client.get("/deals?page=2"))


def test_technical_members_view_but_do_not_register_or_edit(people, client_for):
    deal = register(people.alpha, people.alpha_sales)
    client = client_for(people.alpha_engineer)
    page = html(client.get(f"/deals/{deal.id}"))
    assert "株式会社サクラ商事" in page and f"/deals/{deal.id}/edit" not in page
    assert "Register a deal" not in html(client.get("/deals"))
    assert client.get(f"/deals/{deal.id}/edit").status_code == 403


# --- Editing ------------------------------------------------------------------------------


def test_the_registering_company_edits_an_open_deal_with_history(people, client_for):
    deal = register(people.alpha, people.alpha_sales, "Acme Inc.", amount=1000)
    client = client_for(people.alpha_admin)
    form = html(client.get(f"/deals/{deal.id}/edit"))
    assert 'value="1,000"' in form and 'value="Acme Inc."' in form
    response = client.post(f"/deals/{deal.id}/edit", data={
        "customer_name": "Acme Inc.", "amount": "2,500", "currency": "USD", "product": "Pro",
        "description": "", "expected_close_on": ""})
    assert response.status_code == 302
    assert (fresh(deal).amount, fresh(deal).currency) == (2500, "USD")
    event = events_of(deal)[-1]
    assert event.actor_id == people.alpha_admin.id and event.to_status is None
    assert event.changes == {"amount": ["1000", "2500"], "currency": ["JPY", "USD"],
                             "product": ["", "Pro"]}
    page = html(client.get(response.headers["Location"]))
    assert "Saved." in page and "<del>1,000</del> → 2,500" in page
    assert f"<h1>Edit deal #{deal.id}</h1>" in html(client.get(f"/deals/{deal.id}/edit"))
    # The same values again: nothing recorded.
    client.post(f"/deals/{deal.id}/edit", data={
        "customer_name": "Acme Inc.", "amount": "2500", "currency": "USD", "product": "Pro"})
    assert len(events_of(deal)) == 2


def test_bad_edit_changes_nothing(people, client_for):
    deal = register(people.alpha, people.alpha_sales, "Acme Inc.", amount=1000)
    response = client_for(people.alpha_sales).post(f"/deals/{deal.id}/edit", data={
        "customer_name": "Acme Inc.", "amount": "1.000,50", "currency": "JPY"})
    assert response.status_code == 400 and "whole number" in html(response)
    assert fresh(deal).amount == 1000 and len(events_of(deal)) == 1


def test_a_closed_deal_is_no_longer_edited_by_the_partner(people, client_for):
    deal = register(people.alpha, people.alpha_sales, "Acme Inc.", amount=1000)
    change_status(deal, "won", people.manager)
    db.session.commit()
    client = client_for(people.alpha_sales)
    response = client.get(f"/deals/{deal.id}/edit")
    assert response.status_code == 302
    assert "can no longer be changed" in html(client.get(response.headers["Location"]))
    client.post(f"/deals/{deal.id}/edit", data={"customer_name": "X", "amount": "1"})
    assert fresh(deal).amount == 1000
    # Vendor staff correct closed deals.
    response = client_for(people.manager).post(f"/deals/{deal.id}/edit", data={
        "customer_name": "Acme Inc.", "amount": "1200", "currency": "JPY"})
    assert response.status_code == 302 and fresh(deal).amount == 1200


def test_a_new_customer_name_is_checked_for_conflicts_again(people, client_for):
    first = register(people.beta, people.beta_sales, "Globex Corp.",
                     now=utcnow() - timedelta(days=1))
    deal = register(people.alpha, people.alpha_sales, "Initech")
    assert deal.conflict_with_id is None
    client_for(people.alpha_sales).post(f"/deals/{deal.id}/edit", data={
        "customer_name": "GLOBEX, Inc.", "amount": "1000000", "currency": "JPY"})
    assert fresh(deal).conflict_with_id == first.id
    assert fresh(deal).customer_key == "globex"


def test_renaming_an_old_registration_to_a_taken_customer_is_flagged(app):
    alpha, beta = make_org("alpha"), make_org("beta")
    alpha_sales = make_user(Role.MEMBER, alpha)
    now = utcnow()
    placeholder = register(alpha, alpha_sales, "Placeholder K.K.", now=now - timedelta(days=60))
    real = register(beta, make_user(Role.MEMBER, beta), "株式会社サクラ商事",
                    now=now - timedelta(days=1))
    client = signed_in(app, alpha_sales)
    response = client.post(f"/deals/{placeholder.id}/edit", data={
        "customer_name": "サクラ商事", "amount": "1", "currency": "JPY"})
    assert response.status_code == 302
    assert fresh(placeholder).customer_key == fresh(real).customer_key
    assert (fresh(placeholder).conflict_with_id == real.id
            or fresh(real).conflict_with_id == placeholder.id)


# --- Decisions ----------------------------------------------------------------------------


def test_partners_cannot_decide(people, client_for):
    deal = register(people.alpha, people.alpha_sales)
    for who in ("alpha_sales", "alpha_admin"):
        client = client_for(getattr(people, who))
        assert client.post(f"/deals/{deal.id}/status",
                           data={"action": "approve"}).status_code == 403
        assert 'name="action"' not in html(client.get(f"/deals/{deal.id}"))
    assert fresh(deal).status == DealStatus.REGISTERED and len(events_of(deal)) == 1


def test_a_manager_approves_then_marks_won(people, client_for):
    deal = register(people.alpha, people.alpha_sales)
    client = client_for(people.manager)
    page = html(client.get(f"/deals/{deal.id}"))
    for action in ("approve", "reject", "won", "lost"):
        assert f'value="{action}"' in page
    response = client.post(f"/deals/{deal.id}/status", data={"action": "approve",
                                                             "reason": "Looks good"})
    assert response.status_code == 302
    approved = fresh(deal)
    assert approved.status == DealStatus.APPROVED and approved.approved_at is not None
    event = events_of(deal)[-1]
    assert (event.from_status, event.to_status, event.actor_id, event.note, event.source) == (
        DealStatus.REGISTERED, DealStatus.APPROVED, people.manager.id, "Looks good", "web")
    page = html(client.get(f"/deals/{deal.id}"))
    assert f"Deal #{deal.id} is now approved." in page
    assert 'value="approve"' not in page and 'value="reject"' not in page
    client.post(f"/deals/{deal.id}/status", data={"action": "won"})
    won = fresh(deal)
    assert won.status == DealStatus.WON and won.closed_at is not None
    assert [(e.from_status, e.to_status) for e in events_of(deal)] == [
        (None, DealStatus.REGISTERED), (DealStatus.REGISTERED, DealStatus.APPROVED),
        (DealStatus.APPROVED, DealStatus.WON)]
    page = html(client.get(f"/deals/{deal.id}"))
    assert "Registered → Approved" in page and "Approved → Won" in page
    assert "Mariko Manager" in page and 'name="action"' not in page


def test_rejecting_needs_a_reason(people, client_for):
    deal = register(people.alpha, people.alpha_sales)
    client = client_for(people.manager)
    response = client.post(f"/deals/{deal.id}/status", data={"action": "reject", "reason": " "})
    assert response.status_code == 302
    assert "Give the reason for the rejection" in html(client.get(f"/deals/{deal.id}"))
    assert fresh(deal).status == DealStatus.REGISTERED and len(events_of(deal)) == 1
    client.post(f"/deals/{deal.id}/status", data={"action": "reject",
                                                  "reason": "Customer already served directly"})
    rejected = fresh(deal)
    assert rejected.status == DealStatus.REJECTED and rejected.rejected_at is not None
    assert rejected.rejection_reason == "Customer already served directly"
    assert events_of(deal)[-1].note == "Customer already served directly"
    # The partner sees why.
    page = html(client_for(people.alpha_sales).get(f"/deals/{deal.id}"))
    assert "Customer already served directly" in page and "Rejected" in page


@pytest.mark.parametrize("action", ["won", "lost"])
def test_a_registered_deal_may_close_directly(people, client_for, action):
    deal = register(people.alpha, people.alpha_sales)
    client_for(people.admin).post(f"/deals/{deal.id}/status", data={"action": action})
    closed = fresh(deal)
    assert closed.status == DealStatus(action) and closed.closed_at is not None
    assert closed.approved_at is None


@pytest.mark.parametrize(("steps", "action", "message"), [
    (["approve"], "reject", "An approved deal can only be marked won or lost."),
    (["approve"], "approve", "This deal is already approved."),
    (["won"], "lost", "This deal is won: its status can no longer change."),
    (["reject"], "approve", "This deal is rejected: its status can no longer change."),
    (["lost"], "won", "This deal is lost: its status can no longer change."),
    ([], "reopen", "Choose approve, reject, won or lost"),
])
def test_a_disallowed_move_changes_nothing(people, client_for, steps, action, message):
    deal = register(people.alpha, people.alpha_sales)
    for step in steps:
        change_status(deal, step, people.manager, reason="because")
        db.session.commit()
    before = (fresh(deal).status, fresh(deal).closed_at, len(events_of(deal)))
    client = client_for(people.manager)
    response = client.post(f"/deals/{deal.id}/status", data={"action": action,
                                                             "reason": "x"})
    assert response.status_code == 302
    assert message in html(client.get(f"/deals/{deal.id}"))
    assert (fresh(deal).status, fresh(deal).closed_at, len(events_of(deal))) == before


def test_an_expired_deal_cannot_be_decided(people, client_for):
    deal = register(people.alpha, people.alpha_sales, now=utcnow() - timedelta(days=91))
    client = client_for(people.manager)
    client.post(f"/deals/{deal.id}/status", data={"action": "approve"})
    assert fresh(deal).status == DealStatus.EXPIRED
    assert "This deal is expired" in html(client.get(f"/deals/{deal.id}"))


def test_decisions_need_the_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        from lms.models import JobFunction
        from tests.factories import PASSWORD, make_org

        org = make_org()
        deal = register(org, make_user(Role.MEMBER, org, job=JobFunction.SALES))
        manager = make_user(Role.MANAGER)
        client = app.test_client()
        token = csrf_token(client, "/login")
        login(client, manager, PASSWORD, csrf_token=token)
        assert client.post(f"/deals/{deal.id}/status", data={"action": "won"}).status_code == 400
        assert fresh(deal).status == DealStatus.REGISTERED
        token = csrf_token(client, f"/deals/{deal.id}")
        response = client.post(f"/deals/{deal.id}/status", data={"action": "won",
                                                                 "csrf_token": token})
        assert response.status_code == 302 and fresh(deal).status == DealStatus.WON


# --- Conflicts ----------------------------------------------------------------------------


def test_the_second_partner_is_flagged_and_each_viewer_sees_what_they_may(people, client_for):
    alpha = client_for(people.alpha_sales)
    beta = client_for(people.beta_sales)
    post_deal(alpha, customer_name="(株)サクラ商事")
    response = post_deal(beta, customer_name="サクラ商事株式会社")
    first, second = db.session.scalars(select(Deal).order_by(Deal.id)).all()
    assert first.conflict_with_id is None
    assert second.conflict_with_id == first.id
    assert CONFLICT_NOTICE in html(beta.get(response.headers["Location"]))  # the flash

    flag = f"Possible conflict with #{first.id} (Alpha Systems K.K.)"
    manager = client_for(people.manager)
    assert flag in html(manager.get("/deals"))
    assert flag in html(manager.get(f"/deals/{second.id}"))
    assert "Possible conflict" not in html(manager.get(f"/deals/{first.id}"))
    conflicts = html(manager.get("/deals?conflicts=1"))
    assert "サクラ商事株式会社" in conflicts and "(株)サクラ商事" not in conflicts

    for page in (html(beta.get(f"/deals/{second.id}")), html(beta.get("/deals"))):
        assert "Alpha" not in page and f"#{first.id} " not in page
        assert "Possible conflict" not in page
    assert CONFLICT_NOTICE in html(beta.get(f"/deals/{second.id}"))
    assert "Under review" in html(beta.get("/deals"))
    for page in (html(alpha.get(f"/deals/{first.id}")), html(alpha.get("/deals"))):
        assert "Under review" not in page and "conflict" not in page.lower()


def test_the_first_registration_owns_the_customer(people):
    gamma_org = make_user(Role.MEMBER).organization
    start = utcnow() - timedelta(days=10)
    first = register(people.alpha, None, "ACME Inc.", now=start)
    second = register(people.beta, None, "acme, inc", now=start + timedelta(days=1))
    third = register(gamma_org, None, "ＡＣＭＥ Ｉｎｃ．", now=start + timedelta(days=2))
    assert second.conflict_with_id == first.id
    assert third.conflict_with_id == first.id


@pytest.mark.parametrize(("days", "flagged"), [(89, True), (90, True), (91, False)])
def test_only_registrations_of_the_last_90_days_conflict(people, days, flagged):
    start = utcnow() - timedelta(days=200)
    first = register(people.alpha, None, "Globex", now=start)
    later = register(people.beta, None, "Globex", now=start + timedelta(days=days))
    assert (later.conflict_with_id == first.id) is flagged


@pytest.mark.parametrize("closing", ["won", "lost", "reject"])
def test_a_closed_deal_does_not_conflict(people, closing):
    first = register(people.alpha, None, "Globex")
    change_status(first, closing, people.manager, reason="r")
    db.session.commit()
    assert register(people.beta, None, "Globex K.K.").conflict_with_id is None


def test_the_same_company_does_not_conflict_with_itself(people):
    register(people.alpha, people.alpha_sales, "Globex")
    assert register(people.alpha, people.alpha_admin, "GLOBEX").conflict_with_id is None


def test_different_customers_do_not_conflict(people):
    register(people.alpha, None, "Acme")
    assert register(people.beta, None, "Acme Holdings").conflict_with_id is None


# --- CSV download -------------------------------------------------------------------------


def rows_of(response) -> list[dict]:
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_csv_download_is_scoped_and_safe(people, client_for):
    register(people.alpha, people.alpha_sales, "=HYPERLINK(\"http://evil\")", amount=5,
             product="+cmd")
    register(people.beta, people.beta_sales, "Beta Secret", amount=7)
    rows = rows_of(client_for(people.alpha_engineer).get("/deals.csv"))
    assert len(rows) == 1
    assert rows[0]["customer"] == "'=HYPERLINK(\"http://evil\")"
    assert rows[0]["product"] == "'+cmd" and rows[0]["amount"] == "5"
    assert rows[0]["partner"] == "alpha" and "conflict_with" not in rows[0]
    rows = rows_of(client_for(people.manager).get("/deals.csv?partner=beta"))
    assert [r["customer"] for r in rows] == ["Beta Secret"]
    assert "conflict_with" in rows[0]
    assert len(rows_of(client_for(people.admin).get("/deals.csv"))) == 2


def test_the_csv_download_keeps_the_list_filters(people, client_for):
    register(people.alpha, people.alpha_sales, "Kept")
    gone = register(people.alpha, people.alpha_sales, "Gone")
    change_status(gone, "lost", people.manager)
    db.session.commit()
    client = client_for(people.alpha_sales)
    assert 'href="/deals.csv?status=registered"' in html(client.get("/deals?status=registered"))
    assert [r["customer"] for r in rows_of(client.get("/deals.csv?status=registered"))] == [
        "Kept"]


# --- Query budget -------------------------------------------------------------------------


def _seed(people, n: int) -> Deal:
    start = utcnow() - timedelta(days=20)
    target = None
    for i in range(n):
        org, user = ((people.alpha, people.alpha_sales) if i % 2
                     else (people.beta, people.beta_sales))
        deal = register_deal(org, user, customer_name="Same Customer" if i % 3 else
                             f"Customer {i}", amount=i + 1, now=start + timedelta(hours=i))
        if i % 4 == 0:
            change_status(deal, "approve", people.manager, now=start + timedelta(hours=i))
        if org is people.alpha:
            target = deal  # the partner's own deal, with a long history below
    db.session.commit()
    for n_edit in range(n):
        edit_deal(target, people.manager, customer_name="Same Customer",
                  amount=n_edit + 1, currency="JPY", product="", description="",
                  expected_close_on=None)
    db.session.commit()
    return target


def _queries(client, path: str) -> int:
    client.get(path)  # warm-up: sign-in bookkeeping
    with count_queries() as counter:
        assert client.get(path).status_code == 200
    return counter.n


@pytest.mark.parametrize("who", ["manager", "alpha_sales"])
def test_pages_run_a_fixed_number_of_queries(people, client_for, who):
    small_deal = _seed(people, 5)
    client = client_for(getattr(people, who))
    small = [_queries(client, "/deals"), _queries(client, "/deals?conflicts=1&q=same"),
             _queries(client, f"/deals/{small_deal.id}")]
    big_deal = _seed(people, 40)
    large = [_queries(client, "/deals"), _queries(client, "/deals?conflicts=1&q=same"),
             _queries(client, f"/deals/{big_deal.id}")]
    assert small == large
    assert max(large) <= 8


def test_pages_render_in_japanese(people, client_for):
    first = register(people.alpha, people.alpha_sales, "(株)サクラ商事")
    second = register(people.beta, people.beta_sales, "サクラ商事株式会社")
    change_status(second, "reject", people.manager, reason="先に登録あり")
    db.session.commit()
    for user, paths in ((people.manager, ["/deals", f"/deals/{second.id}", "/deals/import",
                                          f"/deals/{first.id}/edit"]),
                        (people.beta_sales, ["/deals", f"/deals/{second.id}", "/deals/new"])):
        client = client_for(user)
        for path in paths:
            response = client.get(path, headers={"Accept-Language": "ja"})
            assert response.status_code == 200, path
            assert '<html lang="ja">' in html(response)
