"""Deal notices (lms.deals.notices): a partner's registration to the active channel managers;
decisions, conflicts and coming expiries to the deal's registrant and partner admins; a CRM
import tells the partner side of its decisions but puts nothing before the managers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from lms.clock import local_date
from lms.deals.crm import import_deals, upsert_from_mapping
from lms.deals.notices import warn_expiring
from lms.deals.registration import change_status, edit_deal, register_deal
from lms.deals.rules import DealError
from lms.extensions import db
from lms.models import Deal, DealStatus, JobFunction, Organization, Role, User, utcnow
from tests.factories import make_org, make_user, signed_in
from tests.factories.deals import deal, register
from tests.notifications.test_kinds import (
    DAY,
    NOW,
    day_in,
    ids,
    in_both,
    notifications,
    only,
    recipients,
    says,
)

IMPORT_HEADER = "external_id,partner,customer,amount,currency,product,status,closed_on," \
                "rejection_reason"


@dataclass
class People:
    alpha: Organization
    beta: Organization
    alpha_sales: User
    alpha_admin: User
    alpha_engineer: User
    alpha_former_admin: User  # inactive
    beta_sales: User
    beta_admin: User
    manager: User
    other_manager: User
    former_manager: User  # inactive
    admin: User


@pytest.fixture
def people(app) -> People:
    alpha = make_org("alpha", name="Alpha Systems K.K.")
    beta = make_org("beta", name="Beta Solutions Inc.")
    return People(
        alpha=alpha, beta=beta,
        alpha_sales=make_user(Role.MEMBER, alpha, name="Aiko Sales"),
        alpha_admin=make_user(Role.PARTNER_ADMIN, alpha, name="Akira Admin"),
        alpha_engineer=make_user(Role.MEMBER, alpha, job=JobFunction.TECHNICAL),
        alpha_former_admin=make_user(Role.PARTNER_ADMIN, alpha, active=False),
        beta_sales=make_user(Role.MEMBER, beta, name="Ben Sales"),
        beta_admin=make_user(Role.PARTNER_ADMIN, beta, name="Bea Admin"),
        manager=make_user(Role.MANAGER, name="Mariko Manager"),
        other_manager=make_user(Role.MANAGER, name="Masato Manager"),
        former_manager=make_user(Role.MANAGER, active=False),
        admin=make_user(Role.ADMIN, name="Ada Admin"),
    )


def csv_file(*lines: str) -> bytes:
    return ("\n".join([IMPORT_HEADER, *lines]) + "\n").encode()


def deal_of(external_id: str) -> Deal:
    db.session.expire_all()
    return db.session.scalars(select(Deal).where(Deal.external_id == external_id)).one()


# --- Registered: the managers decide ----------------------------------------------------------


def test_a_partners_registration_over_http_goes_to_the_active_managers_only(app, people):
    client = signed_in(app, people.alpha_sales, through_form=False)

    response = client.post("/deals/new", data={
        "customer_name": "(株)サクラ商事", "amount": "30,000,000", "currency": "JPY",
        "product": "Nimbus CRM Enterprise", "description": "100 seats",
        "expected_close_on": "2027-03-31"})

    assert response.status_code == 302
    registered = db.session.scalars(select(Deal)).one()
    assert recipients() == ids(people.manager, people.other_manager)
    notice = only("deal_registered", people.manager)
    assert notice.key == f"deal-registered:{registered.id}" and notice.category == "deals"
    assert notice.params == {"deal": registered.id, "customer": "(株)サクラ商事",
                             "partner": "Alpha Systems K.K."}
    english, japanese = in_both(notice)
    assert english.title == "Alpha Systems K.K. registered a deal for (株)サクラ商事"
    assert "waits for your decision" in english.body
    assert english.path == japanese.path == f"/deals/{registered.id}"
    assert says(japanese, "Alpha Systems K.K.", "(株)サクラ商事")


def test_a_registration_through_the_service_is_put_before_the_managers(people):
    made = register(people.beta, people.beta_sales, "Initech", now=NOW)

    assert recipients("deal_registered") == ids(people.manager, people.other_manager)
    assert recipients() == ids(people.manager, people.other_manager)
    assert only("deal_registered", people.other_manager).params["partner"] == \
        "Beta Solutions Inc."
    assert only("deal_registered", people.manager).created_at == NOW
    assert made.id == only("deal_registered", people.manager).params["deal"]


# --- Decided: the registrant and the partner admins -------------------------------------------


def test_an_approval_tells_the_registrant_and_the_partner_admins_once(people):
    made = register(people.alpha, people.alpha_sales, "Globex K.K.", now=NOW - DAY)
    told_before = len(notifications())

    change_status(made, "approve", people.manager, now=NOW)
    db.session.commit()

    decided = notifications("deal_decided")
    assert [n.user_id for n in decided] == ids(people.alpha_sales, people.alpha_admin)
    assert len(notifications()) == told_before + 2
    notice = only("deal_decided", people.alpha_sales)
    assert notice.key == f"deal-decided:{made.id}:approved"
    assert notice.params == {"deal": made.id, "customer": "Globex K.K.",
                             "partner": "Alpha Systems K.K.", "status": "approved",
                             "reason": ""}
    english, japanese = in_both(notice)
    assert english.title == "Deal for Globex K.K. approved"
    assert "approved the deal registration for Globex K.K." in english.body
    assert english.path == f"/deals/{made.id}" and says(japanese, "Globex K.K.")

    with pytest.raises(DealError, match="already approved"):
        change_status(made, "approve", people.manager, now=NOW + DAY)
    db.session.rollback()
    assert recipients("deal_decided") == ids(people.alpha_sales, people.alpha_admin)


def test_a_partner_admin_who_registered_is_told_once(people):
    made = register(people.alpha, people.alpha_admin, "Globex K.K.", now=NOW - DAY)

    change_status(made, "approve", people.manager, now=NOW)
    db.session.commit()

    assert recipients("deal_decided") == [people.alpha_admin.id]


def test_a_rejection_carries_its_reason_to_the_partner_side(people, app):
    # Decided over HTTP, that is today: registered yesterday, so not expired.
    made = register(people.alpha, people.alpha_sales, "Globex K.K.", now=utcnow() - DAY)
    manager = signed_in(app, people.manager, through_form=False)

    response = manager.post(f"/deals/{made.id}/status", data={
        "action": "reject", "reason": "Customer already served directly"})

    assert response.status_code == 302
    assert recipients("deal_decided") == ids(people.alpha_sales, people.alpha_admin)
    notice = only("deal_decided", people.alpha_admin)
    assert notice.key == f"deal-decided:{made.id}:rejected"
    assert notice.params["status"] == "rejected"
    assert notice.params["reason"] == "Customer already served directly"
    english, japanese = in_both(notice)
    assert english.title == "Deal for Globex K.K. rejected"
    assert english.body.endswith("The reason: Customer already served directly")
    assert says(japanese, "Globex K.K.", "Customer already served directly")
    for outsider in (people.beta_admin, people.beta_sales, people.alpha_engineer,
                     people.admin):
        assert outsider.id not in recipients("deal_decided")


def test_won_and_lost_tell_no_one(people):
    made = register(people.alpha, people.alpha_sales, now=NOW - 2 * DAY)
    change_status(made, "approve", people.manager, now=NOW - DAY)
    db.session.commit()
    told = len(notifications())

    change_status(made, "won", people.manager, now=NOW)
    db.session.commit()

    assert len(notifications()) == told


# --- Conflicts --------------------------------------------------------------------------------


def test_a_conflicting_registration_tells_the_later_partners_side_once(people, app):
    # The second registration is made over HTTP, today: the first within the 90 days before.
    first = register(people.alpha, people.alpha_sales, "(株)サクラ商事",
                     now=utcnow() - 3 * DAY)
    beta = signed_in(app, people.beta_sales, through_form=False)

    beta.post("/deals/new", data={"customer_name": "サクラ商事株式会社", "amount": "1000",
                                  "currency": "JPY"})

    second = db.session.scalars(select(Deal).where(Deal.id != first.id)).one()
    assert second.conflict_with_id == first.id
    assert recipients("deal_conflict") == ids(people.beta_sales, people.beta_admin)
    notice = only("deal_conflict", people.beta_admin)
    assert notice.key == f"deal-conflict:{second.id}:{first.id}"
    assert notice.params == {"deal": second.id, "customer": "サクラ商事株式会社",
                             "partner": "Beta Solutions Inc."}
    english, japanese = in_both(notice)
    assert english.title == "Deal for サクラ商事株式会社 conflicts with another registration"
    assert "Alpha" not in english.title + english.body  # the other partner stays unnamed
    assert english.path == f"/deals/{second.id}" and says(japanese, "サクラ商事株式会社")
    # Both registrations went before the managers; the first partner hears of no conflict.
    assert recipients("deal_registered") == sorted(
        ids(people.manager, people.other_manager) * 2)
    for alpha_side in (people.alpha_sales, people.alpha_admin):
        assert alpha_side.id not in recipients("deal_conflict")

    # Approving the flagged deal tells of the approval, not of the conflict again.
    change_status(second, "approve", people.manager, now=None)
    db.session.commit()
    assert recipients("deal_conflict") == ids(people.beta_sales, people.beta_admin)


def test_renaming_a_deal_to_a_customer_taken_first_flags_it_to_its_side(people):
    first = register(people.alpha, people.alpha_sales, "Globex K.K.", now=NOW - 3 * DAY)
    renamed = register(people.beta, people.beta_sales, "Initech", now=NOW - 2 * DAY)
    assert notifications("deal_conflict") == []

    edit_deal(renamed, people.beta_sales, customer_name="GLOBEX", amount=1, currency="JPY",
              product="", description="", expected_close_on=None, now=NOW)
    db.session.commit()

    assert recipients("deal_conflict") == ids(people.beta_sales, people.beta_admin)
    assert only("deal_conflict", people.beta_sales).key == \
        f"deal-conflict:{renamed.id}:{first.id}"


# --- The vendor's CRM -------------------------------------------------------------------------


def test_a_crm_row_conflicting_with_a_partners_deal_is_flagged_to_its_admins(people):
    web = register(people.alpha, people.alpha_sales, "Globex K.K.", now=NOW - 5 * DAY)
    managers_told = recipients()

    import_deals(csv_file("CRM-1,beta,GLOBEX,100,,,,,"), people.manager, now=NOW)
    db.session.commit()

    crm = deal_of("CRM-1")
    assert crm.conflict_with_id == web.id
    assert recipients("deal_conflict") == [people.beta_admin.id]  # no registrant
    assert only("deal_conflict", people.beta_admin).key == f"deal-conflict:{crm.id}:{web.id}"
    assert recipients("deal_registered") == managers_told


def test_a_crm_import_puts_nothing_before_the_managers_but_tells_its_decisions(people):
    report = import_deals(csv_file("CRM-1,alpha,Globex K.K.,500,JPY,,,,",
                                   "CRM-2,beta,Initech,700,JPY,,,,"), people.manager, now=NOW)
    db.session.commit()
    assert report.applied and report.created == 2
    assert notifications() == []  # the CRM decides: the managers have nothing to do

    import_deals(csv_file("CRM-1,alpha,Globex K.K.,500,JPY,,approved,,",
                          "CRM-2,beta,Initech,700,JPY,,rejected,,Duplicate of CRM-1"),
                 people.manager, now=NOW + DAY)
    db.session.commit()

    # No registrant (the CRM registered them): the partner admins alone.
    approved, rejected = deal_of("CRM-1"), deal_of("CRM-2")
    assert recipients() == ids(people.alpha_admin, people.beta_admin)
    assert only("deal_decided", people.alpha_admin).params == {
        "deal": approved.id, "customer": "Globex K.K.", "partner": "Alpha Systems K.K.",
        "status": "approved", "reason": ""}
    notice = only("deal_decided", people.beta_admin)
    assert notice.params["status"] == "rejected"
    assert notice.params["reason"] == "Duplicate of CRM-1"
    assert notice.params["deal"] == rejected.id
    assert "The reason: Duplicate of CRM-1" in in_both(notice)[0].body

    # The same file again changes nothing and tells no one twice.
    import_deals(csv_file("CRM-1,alpha,Globex K.K.,500,JPY,,approved,,"), people.manager,
                 now=NOW + 2 * DAY)
    db.session.commit()
    assert recipients() == ids(people.alpha_admin, people.beta_admin)


def test_the_api_upsert_of_a_partners_deal_tells_its_registrant_of_the_decision(people):
    made = register_deal(people.alpha, people.alpha_sales, customer_name="Globex K.K.",
                         amount=100, external_id="SF-7", now=NOW - DAY)
    db.session.commit()
    managers_told = recipients()

    _deal, created, errors = upsert_from_mapping(
        "SF-7", {"partner": "alpha", "customer": "Globex K.K.", "amount": "100",
                 "status": "approved"}, actor=people.admin, now=NOW)
    db.session.commit()

    assert (created, errors) == (False, [])
    assert recipients("deal_decided") == ids(people.alpha_sales, people.alpha_admin)
    assert only("deal_decided", people.alpha_sales).params["deal"] == made.id
    assert recipients("deal_registered") == managers_told  # nothing new for the managers

    created_deal, created, _errors = upsert_from_mapping(
        "SF-8", {"partner": "beta", "customer": "Hooli", "amount": "5"}, now=NOW)
    db.session.commit()
    assert created and created_deal is not None
    assert recipients("deal_registered") == managers_told


# --- Expiring ---------------------------------------------------------------------------------


def test_an_open_registration_is_warned_14_days_before_it_expires_once(people):
    due = deal(people.alpha, registered_at=NOW - 77 * DAY, by=people.alpha_sales,
               customer="Globex K.K.")
    later_one = deal(people.alpha, registered_at=NOW - 75 * DAY, by=people.alpha_sales)
    deal(people.alpha, registered_at=NOW - 91 * DAY, by=people.alpha_sales)  # overdue
    deal(people.alpha, DealStatus.WON, registered_at=NOW - 77 * DAY, by=people.alpha_sales)
    approved = deal(people.beta, DealStatus.APPROVED, registered_at=NOW - 80 * DAY,
                    by=people.beta_sales, customer="Initech")
    db.session.commit()

    assert warn_expiring(NOW) == 4
    db.session.commit()
    assert warn_expiring(NOW) == 0
    db.session.commit()

    assert recipients("deal_expiring") == ids(people.alpha_sales, people.alpha_admin,
                                              people.beta_sales, people.beta_admin)
    assert len(notifications()) == 4
    notice = only("deal_expiring", people.alpha_admin)
    expires = local_date(due.registered_at + 90 * DAY)
    assert notice.params == {"deal": due.id, "customer": "Globex K.K.",
                             "partner": "Alpha Systems K.K.", "expires": expires.isoformat(),
                             "days": 13}
    english, japanese = in_both(notice)
    assert english.title == f"Deal registration for Globex K.K. expires on {day_in('en', expires)}"
    assert "expires in 13 days" in english.body
    assert english.path == f"/deals/{due.id}"
    assert says(japanese, "Globex K.K.", day_in("ja", expires))
    assert only("deal_expiring", people.beta_sales).params["deal"] == approved.id

    # A day later the 75-day-old registration is 76 days old: 14 days left, warned now; the
    # ones warned yesterday are not warned again.
    assert warn_expiring(NOW + DAY) == 2
    db.session.commit()
    later = [n for n in notifications("deal_expiring") if n.params["deal"] == later_one.id]
    assert sorted(n.user_id for n in later) == ids(people.alpha_sales, people.alpha_admin)
    assert later[0].params["days"] == 14
    assert len(notifications()) == 6


def test_the_expiry_window_follows_lms_deal_expiry_days(make_app):
    app = make_app(LMS_DEAL_EXPIRY_DAYS=30)
    with app.app_context():
        org = make_org()
        person = make_user(Role.MEMBER, org)
        deal(org, registered_at=NOW - 17 * DAY, by=person)  # 13 days left of 30
        deal(org, registered_at=NOW - 77 * DAY, by=person)  # long expired under 30 days
        db.session.commit()

        assert warn_expiring(NOW) == 1
        assert only("deal_expiring", person).params["days"] == 13


def test_the_expire_deals_job_warns_when_nothing_is_overdue(people):
    from lms import jobs

    deal(people.alpha, registered_at=utcnow() - 77 * DAY, by=people.alpha_sales)
    db.session.commit()
    expected = ids(people.alpha_sales, people.alpha_admin)  # run_job ends the session
    (job,) = [job for job in jobs.JOBS if job.name == "expire-deals"]

    assert jobs.run_job(job) == ("expired 0 deal registration(s), 2 notification(s) of "
                                 "registrations expiring within 14 days")
    assert recipients("deal_expiring") == expected


def test_the_expire_deals_job_warns_alongside_an_expiry(people):
    from lms import jobs

    deal(people.alpha, registered_at=utcnow() - 77 * DAY, by=people.alpha_sales)
    deal(people.beta, registered_at=utcnow() - 95 * DAY, by=people.beta_sales)  # expires now
    db.session.commit()
    expected = ids(people.alpha_sales, people.alpha_admin)  # run_job ends the session
    (job,) = [job for job in jobs.JOBS if job.name == "expire-deals"]

    assert jobs.run_job(job) == ("expired 1 deal registration(s), 2 notification(s) of "
                                 "registrations expiring within 14 days")
    assert recipients() == expected
