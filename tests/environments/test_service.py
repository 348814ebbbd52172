"""The demo environment services: a bad request is refused naming its field and stores
nothing; each tier's quota holds (also for requests racing in threads) and an ended
environment frees its place; Gold is approved at once and the managers are asked to set it
up; a decline needs a reason the requester reads; the details a manager enters are kept
encrypted and shown to the requester alone, once (again after they are replaced);
extensions wait for a manager on Silver, are granted at once on Gold, stop at 90 days in
all, one at a time; returning or withdrawing ends it and erases its details."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.environments import service
from lms.environments.service import DemoEnvError, RequestData
from lms.extensions import db
from lms.models import (
    DemoEnvironment,
    EnvironmentStatus,
    Organization,
    Role,
    Tier,
    User,
    utcnow,
)
from tests.deals.test_races import in_threads
from tests.environments.support import (
    PURPOSE,
    SECRET,
    URL,
    actions,
    approved,
    ask,
    environment_count,
    fresh,
    make_cast,
    notes_to,
    ready,
    refused,
    stored_text,
)
from tests.factories import make_user
from tests.factories.deals import deal

S = EnvironmentStatus


def quota_held(org: Organization) -> int:
    db.session.expire_all()
    return service.quota_of(db.session.get(Organization, org.id)).holding


# --- Requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("purpose", "days", "deal_of", "field", "says"), [
    ("", 14, None, "purpose", "Say what it is for"),
    ("  \n\t ", 14, None, "purpose", "Say what it is for"),
    ("x" * (service.MAX_PURPOSE + 1), 14, None, "purpose", "under 2000 characters"),
    (PURPOSE, 0, None, "days", "Ask for 1 to 30 days."),
    (PURPOSE, 31, None, "days", "Ask for 1 to 30 days."),
    (PURPOSE, -2, None, "days", "Ask for 1 to 30 days."),
    (PURPOSE, 14, "stranger", "deal_id", "Choose one of your company's deals."),
    (PURPOSE, 14, "nobody", "deal_id", "Choose one of your company's deals."),
])
def test_a_bad_request_is_refused_naming_its_field_and_stores_nothing(
        silver, purpose, days, deal_of, field, says):
    deal_id = None
    if deal_of == "stranger":
        deal_id = deal(db.session.get(Organization, silver.stranger.organization_id),
                       registered_at=utcnow()).id
        db.session.commit()
    elif deal_of == "nobody":
        deal_id = 987_654
    error = refused(lambda: service.request(silver.sales, RequestData(purpose, days, deal_id)),
                    field)
    assert says in str(error)
    assert environment_count() == 0
    assert notes_to(silver.manager, "env_to_decide") == []


def test_a_request_may_name_a_deal_of_the_company(silver):
    own = deal(silver.org, registered_at=utcnow())
    db.session.commit()
    environment = ask(silver.sales, deal_id=own.id)
    assert fresh(environment).deal_id == own.id


def test_vendor_staff_do_not_request_environments(silver):
    for person in (silver.manager, make_user(Role.ADMIN)):
        error = refused(lambda person=person: service.request(
            person, RequestData(PURPOSE, 14, None)))
        assert "for partner companies" in str(error)
    assert environment_count() == 0


def test_a_silver_request_waits_for_the_managers(silver):
    other_manager = make_user(Role.MANAGER, name="Moe Manager")
    now = utcnow()
    environment = ask(silver.sales, days=10, now=now)
    assert (environment.status, environment.auto_approved, environment.adapter) == \
        (S.REQUESTED, False, None)
    assert actions(environment) == ["requested"]
    for manager in (silver.manager, other_manager):
        (asked,) = notes_to(manager, "env_to_decide")
        assert asked == {"environment": environment.id, "what": "request",
                         "partner": "Alpha Systems K.K.", "person": "Sana Sales", "days": 10}


def test_gold_is_approved_at_once_and_the_managers_are_asked_to_set_it_up(gold):
    other_manager = make_user(Role.MANAGER, name="Moe Manager")
    environment = fresh(ask(gold.sales, days=20))
    assert environment.status == S.PROVISIONING
    assert environment.auto_approved and environment.adapter == "manual"
    assert environment.ready_at is None and environment.expires_at is None  # not yet running
    assert actions(environment) == ["requested", "auto_approved"]
    for manager in (gold.manager, other_manager):
        (asked,) = notes_to(manager, "env_to_decide")
        assert asked["what"] == "setup" and asked["environment"] == environment.id
    assert notes_to(gold.sales, "env_decided") == []  # told when it is ready


@pytest.mark.parametrize(("tier", "limit"), [(Tier.BRONZE, 1), (Tier.SILVER, 2),
                                             (Tier.GOLD, 3), (Tier.PLATINUM, 5)])
def test_each_tier_holds_its_number_of_environments_at_once(app, tier, limit):
    cast = make_cast(tier)
    for _ in range(limit):
        ask(cast.sales)
    error = refused(lambda: service.request(cast.admin, RequestData(PURPOSE, 14, None)))
    assert f"holds its {limit} demo environment(s) already" in str(error)
    assert environment_count() == limit == quota_held(cast.org)
    ask(cast.stranger)  # another company's quota is its own


@pytest.mark.parametrize("ending", ["withdrawn", "declined", "returned", "expired"])
def test_an_ended_environment_frees_its_place(bronze, ending):
    now = utcnow()
    if ending in ("returned", "expired"):
        first = ready(bronze.sales, bronze.manager, days=5, now=now)
    else:
        first = ask(bronze.sales)
    refused(lambda: service.request(bronze.sales, RequestData(PURPOSE, 14, None)))
    if ending == "withdrawn":
        service.end(first, bronze.sales)
    elif ending == "declined":
        service.decide(first, bronze.manager, False, "No capacity this week.")
    elif ending == "returned":
        service.end(first, bronze.sales, now=now + timedelta(days=1))
    else:
        assert service.expire_due(now + timedelta(days=5)) == [first.id]
    db.session.commit()
    assert fresh(first).status in (S.CANCELLED, S.DECLINED, S.EXPIRED)
    assert quota_held(bronze.org) == 0
    second = ask(bronze.sales)
    assert second.status == S.REQUESTED and quota_held(bronze.org) == 1


def test_two_requests_in_one_go_cannot_exceed_the_quota(bronze):
    service.request(bronze.sales, RequestData(PURPOSE, 14, None))  # not committed yet
    error = refused(lambda: service.request(bronze.admin, RequestData("Another", 7, None)))
    assert "holds its 1 demo environment(s)" in str(error)
    # The refusal rolled back the whole transaction: the first went too.
    assert environment_count() == 0


def test_requests_racing_in_threads_never_exceed_the_quota(make_app):
    app = make_app()
    with app.app_context():
        cast = make_cast(Tier.SILVER)
        ids = [cast.sales.id, cast.colleague.id, cast.admin.id, cast.sales.id]

    def work(index: int, barrier: threading.Barrier) -> int:
        user = db.session.get(User, ids[index])
        barrier.wait()
        return service.request(user, RequestData(f"Demo {index}", 7, None)).id

    results = in_threads(app, work, n=len(ids))
    made = [result for result in results if isinstance(result, int)]
    assert len(made) == 2, results
    assert all(isinstance(result, DemoEnvError) for result in results
               if not isinstance(result, int)), results
    with app.app_context():
        assert environment_count() == 2


# --- Decisions and details -------------------------------------------------------------------


def test_a_decline_needs_a_reason_and_the_requester_reads_it(silver):
    environment = ask(silver.sales)
    error = refused(lambda: service.decide(environment, silver.manager, False, "  \n "),
                    "note")
    assert "Give the reason" in str(error)
    environment = fresh(environment)
    assert environment.status == S.REQUESTED and environment.decision_note == ""
    assert actions(environment) == ["requested"]
    assert notes_to(silver.sales, "env_decided") == []

    service.decide(environment, silver.manager, False, "  No capacity this week.  ")
    db.session.commit()
    environment = fresh(environment)
    assert environment.status == S.DECLINED
    assert environment.decision_note == "No capacity this week."
    assert actions(environment) == ["requested", "declined"]
    (told,) = notes_to(silver.sales, "env_decided")
    assert (told["status"], told["note"]) == ("declined", "No capacity this week.")
    refused(lambda: service.decide(environment, silver.manager, True, ""))  # decided once


@pytest.mark.parametrize(("url", "credentials", "field"), [
    ("", SECRET, "url"), ("demo-0142.nimbus-crm.example", SECRET, "url"),
    ("ftp://demo.example", SECRET, "url"), ("javascript:alert(1)", SECRET, "url"),
    ("https://demo example", SECRET, "url"), (URL, "   ", "credentials"),
    (URL, "x" * 2001, "credentials"),
])
def test_details_need_a_web_address_and_sign_in_details(silver, url, credentials, field):
    environment = approved(silver.sales, silver.manager)
    refused(lambda: service.enter_details(environment, silver.manager, url, credentials),
            field)
    environment = fresh(environment)
    assert environment.status == S.PROVISIONING
    assert environment.url_box is None and environment.credentials_box is None


def test_approved_then_the_details_make_it_ready_for_the_days_asked(silver):
    environment = ask(silver.sales, days=14)
    service.decide(environment, silver.manager, True, "Enjoy")
    db.session.commit()
    environment = fresh(environment)
    assert (environment.status, environment.adapter, environment.auto_approved) == \
        (S.PROVISIONING, "manual", False)
    assert [n["what"] for n in notes_to(silver.manager, "env_to_decide")] == ["request",
                                                                            "setup"]
    now = utcnow()
    service.enter_details(environment, silver.manager, f"  {URL}  ", SECRET, now=now)
    db.session.commit()
    environment = fresh(environment)
    assert environment.status == S.READY
    assert (environment.ready_at, environment.expires_at) == (now, now + timedelta(days=14))
    assert service.url_of(environment, now) == URL
    assert actions(environment) == ["requested", "approved", "details_entered"]
    (told,) = notes_to(silver.sales, "env_decided")
    assert told["status"] == "ready"
    assert told["expires"] == (now + timedelta(days=14)).isoformat()


def test_only_the_requester_sees_the_sign_in_details_and_only_once(silver):
    environment = ready(silver.sales, silver.manager)
    for person in (silver.admin, silver.manager):
        error = refused(lambda person=person: service.reveal(environment, person))
        assert "Only the person who requested it" in str(error)
    assert fresh(environment).credentials_box is not None

    now = utcnow()
    assert service.reveal(environment, silver.sales, now=now) == SECRET
    db.session.commit()
    environment = fresh(environment)
    assert environment.credentials_box is None and environment.credentials_shown_at == now
    assert service.url_of(environment) == URL  # the address stays while it runs
    error = refused(lambda: service.reveal(environment, silver.sales))
    assert "shown once already" in str(error)
    assert actions(environment).count("credentials_shown") == 1


def test_the_database_never_holds_the_address_or_the_sign_in_details_in_clear(silver):
    environment = ready(silver.sales, silver.manager)
    service.ask_extension(environment, silver.sales, 5, "The bank wants another week")
    db.session.commit()
    stored = stored_text("demo_environments", "demo_environment_events", "notifications")
    assert fresh(environment).url_box in stored  # the scan reads what is there
    for clear in ("demo-0142", "nimbus-crm", "Tr0ub4dor", "demo-admin"):
        assert clear not in stored
    service.reveal(environment, silver.sales)
    db.session.commit()
    stored = stored_text("demo_environments", "demo_environment_events", "notifications")
    assert "Tr0ub4dor" not in stored and "demo-0142" not in stored


def test_replaced_details_are_shown_to_the_requester_once_more(silver):
    environment = ready(silver.sales, silver.manager)
    ends = environment.expires_at
    assert service.reveal(environment, silver.sales) == SECRET
    db.session.commit()
    service.enter_details(environment, silver.manager, "https://demo-0143.example",
                          "user: demo-admin\npassword: n3w-one")
    db.session.commit()
    environment = fresh(environment)
    assert environment.status == S.READY and environment.expires_at == ends
    assert environment.credentials_shown_at is None
    assert service.reveal(environment, silver.sales) == "user: demo-admin\npassword: n3w-one"
    db.session.commit()
    assert service.url_of(fresh(environment)) == "https://demo-0143.example"
    assert actions(environment)[-3:] == ["credentials_shown", "details_replaced",
                                         "credentials_shown"]
    refused(lambda: service.reveal(environment, silver.sales))


# --- Extensions ------------------------------------------------------------------------------


def test_a_silver_extension_waits_for_a_manager_who_moves_the_end(silver):
    now = utcnow()
    environment = ready(silver.sales, silver.manager, days=14, now=now)
    granted = service.ask_extension(environment, silver.sales, 7, "POC continues",
                                    now=now + timedelta(days=10))
    db.session.commit()
    assert granted is False
    environment = fresh(environment)
    assert (environment.extension_days, environment.extension_reason) == (7, "POC continues")
    assert environment.expires_at == now + timedelta(days=14)
    assert notes_to(silver.manager, "env_to_decide")[-1] == {
        "environment": environment.id, "what": "extension", "partner": "Alpha Systems K.K.",
        "person": "Sana Sales", "days": 7}

    service.decide_extension(environment, silver.manager, True, "",
                             now=now + timedelta(days=11))
    db.session.commit()
    environment = fresh(environment)
    assert environment.expires_at == now + timedelta(days=21)
    assert (environment.extension_days, environment.extensions) == (None, 1)
    assert actions(environment)[-2:] == ["extension_asked", "extended"]
    told = notes_to(silver.sales, "env_decided")[-1]
    assert told["status"] == "extended"
    assert told["expires"] == (now + timedelta(days=21)).isoformat()


def test_declining_an_extension_needs_a_reason_the_requester_reads(silver):
    environment = ready(silver.sales, silver.manager)
    ends = environment.expires_at
    service.ask_extension(environment, silver.sales, 7, "POC continues")
    db.session.commit()
    refused(lambda: service.decide_extension(environment, silver.manager, False, ""), "note")
    assert fresh(environment).extension_days == 7
    service.decide_extension(environment, silver.manager, False, "Budget is spent.")
    db.session.commit()
    environment = fresh(environment)
    assert (environment.extension_days, environment.expires_at, environment.extensions) == \
        (None, ends, 0)
    told = notes_to(silver.sales, "env_decided")[-1]
    assert (told["status"], told["note"]) == ("extension_declined", "Budget is spent.")
    refused(lambda: service.decide_extension(environment, silver.manager, True, ""))


def test_a_gold_extension_is_granted_at_once(gold):
    now = utcnow()
    environment = ready(gold.sales, gold.manager, days=14, now=now)
    granted = service.ask_extension(environment, gold.admin, 10, "Second workshop",
                                    now=now + timedelta(days=1))
    db.session.commit()
    assert granted is True
    environment = fresh(environment)
    assert environment.expires_at == now + timedelta(days=24)
    assert (environment.extension_days, environment.extensions) == (None, 1)
    assert actions(environment)[-2:] == ["extension_asked", "extended"]
    assert [n["what"] for n in notes_to(gold.manager, "env_to_decide")] == ["setup"]
    assert notes_to(gold.sales, "env_decided")[-1]["status"] == "extended"


def test_extensions_stop_at_90_days_in_all(gold):
    now = utcnow()
    environment = ready(gold.sales, gold.manager, days=30, now=now)
    for hour, more in ((1, 30), (2, 25)):
        assert service.ask_extension(environment, gold.sales, more, "More pilots",
                                     now=now + timedelta(hours=hour))
        db.session.commit()
    assert fresh(environment).expires_at == now + timedelta(days=85)
    error = refused(lambda: service.ask_extension(environment, gold.sales, 6, "More",
                                                  now=now + timedelta(hours=3)), "days")
    assert str(error) == ("It can be extended by 5 day(s) at most: a demo environment lives "
                          "90 days in all.")
    assert service.ask_extension(environment, gold.sales, 5, "Last one",
                                 now=now + timedelta(hours=4))  # exactly 90
    db.session.commit()
    assert fresh(environment).expires_at == now + timedelta(days=90)
    error = refused(lambda: service.ask_extension(environment, gold.sales, 1, "More",
                                                  now=now + timedelta(hours=5)), "days")
    assert "by 0 day(s) at most" in str(error)
    assert fresh(environment).extensions == 3


def test_one_extension_waits_at_a_time(silver):
    environment = ready(silver.sales, silver.manager)
    service.ask_extension(environment, silver.sales, 7, "POC continues")
    db.session.commit()
    error = refused(lambda: service.ask_extension(environment, silver.admin, 3, "Also"))
    assert "already waiting" in str(error)
    assert fresh(environment).extension_days == 7


def test_only_the_requester_and_the_partner_admins_extend_with_a_reason(silver):
    environment = ready(silver.sales, silver.manager)
    for person in (silver.colleague, silver.stranger):
        refused(lambda person=person: service.ask_extension(environment, person, 3, "Why"))
    refused(lambda: service.ask_extension(environment, silver.sales, 3, "  "), "reason")
    assert fresh(environment).extension_days is None
    assert service.ask_extension(environment, silver.admin, 3, "Workshop") is False


# --- Ending ----------------------------------------------------------------------------------


def test_returning_early_erases_the_details_and_frees_the_place(bronze):
    now = utcnow()
    environment = ready(bronze.sales, bronze.manager, days=14, now=now)
    assert service.end(environment, bronze.sales, now=now + timedelta(days=2)) is True
    db.session.commit()
    environment = fresh(environment)
    assert environment.status == S.EXPIRED
    assert environment.url_box is None and environment.credentials_box is None
    assert environment.expires_at == now + timedelta(days=2)
    assert actions(environment)[-1] == "returned"
    assert service.deprovision(environment.id) is None  # set up by hand: removed by hand
    assert quota_held(bronze.org) == 0
    assert ask(bronze.sales).status == S.REQUESTED


def test_withdrawing_a_request_cancels_it(silver):
    mine, approved_one = ask(silver.sales), approved(silver.sales, silver.manager)
    refused(lambda: service.end(mine, silver.stranger))
    assert service.end(mine, silver.sales) is False
    assert service.end(approved_one, silver.admin) is False  # the admin withdraws it too
    db.session.commit()
    assert [fresh(e).status for e in (mine, approved_one)] == [S.CANCELLED, S.CANCELLED]
    assert actions(mine) == ["requested", "cancelled"]
    error = refused(lambda: service.end(mine, silver.sales))
    assert "changed meanwhile" in str(error)
    assert quota_held(silver.org) == 0


def test_everything_of_an_environment_is_listed_newest_step_last(silver):
    environment = ready(silver.sales, silver.manager)
    service.reveal(environment, silver.sales)
    service.end(environment, silver.sales)
    db.session.commit()
    assert actions(environment) == ["requested", "approved", "details_entered",
                                    "credentials_shown", "returned"]
    events = service.events_of(environment)
    assert [e.actor.name for e in events] == ["Sana Sales", "Mina Manager", "Mina Manager",
                                              "Sana Sales", "Sana Sales"]
    assert [e.to_status for e in events] == [S.REQUESTED, S.PROVISIONING, S.READY, S.READY,
                                             S.EXPIRED]
    assert db.session.scalar(select(DemoEnvironment.status)) == S.EXPIRED
