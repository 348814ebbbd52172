"""Demo environments over HTTP: a bad request answers 400 with the message under its field
and stores nothing; vendor staff cannot request; another company and a colleague who did
not request it get 404 on the page and every action, a partner 403 on the channel team's
actions; the sign-in details go to the requester alone (never cached); a decline without a
reason and an address that is not http(s) are refused next to their field; extensions and
returns over the forms; each list shows only what its reader may see, the channel team's
with what waits for it first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.environments import service
from lms.extensions import db
from lms.models import (
    DealStatus,
    DemoEnvironment,
    EnvironmentStatus,
    Organization,
    Role,
    User,
    utcnow,
)
from tests.environments.support import (
    PURPOSE,
    SECRET,
    URL,
    actions,
    approved,
    ask,
    badges,
    environment_count,
    field_error,
    fresh,
    listed_ids,
    page_text,
    ready,
    words,
)
from tests.factories import make_user, signed_in
from tests.factories.deals import deal

S = EnvironmentStatus


def path_of(environment: DemoEnvironment) -> str:
    return f"/environments/{environment.id}"


def post_request(client, purpose: str = PURPOSE, days: object = 14, deal_id: object = ""):
    return client.post("/environments/new", data={"purpose": purpose, "days": days,
                                                  "deal_id": deal_id})


# --- Requests --------------------------------------------------------------------------------


def test_a_request_over_http_lists_the_companys_open_deals_and_keeps_the_chosen_one(app, silver):
    own = deal(silver.org, registered_at=utcnow(), customer="Hokuriku Bank")
    deal(db.session.get(Organization, silver.stranger.organization_id),
         registered_at=utcnow(), customer="Rival Customer")
    deal(silver.org, DealStatus.LOST, registered_at=utcnow(), customer="Closed Customer")
    db.session.commit()
    client = signed_in(app, silver.sales)
    form = page_text(client.get("/environments/new"))
    assert f'value="{own.id}"' in form and "Hokuriku Bank" in form
    assert "Rival Customer" not in form and "Closed Customer" not in form
    response = post_request(client, deal_id=own.id)
    assert response.status_code == 302
    environment = db.session.scalar(select(DemoEnvironment))
    assert response.headers["Location"].endswith(path_of(environment))
    assert environment.deal_id == own.id and environment.requested_by_id == silver.sales.id


def test_a_closed_deal_of_the_company_cannot_be_named(app, silver):
    won = deal(silver.org, DealStatus.WON, registered_at=utcnow(), customer="Won Customer")
    db.session.commit()
    response = post_request(signed_in(app, silver.sales), deal_id=won.id)
    assert response.status_code == 400
    assert "Choose one of your company&#39;s deals." in (field_error(response, "deal_id") or "")
    assert environment_count() == 0


@pytest.mark.parametrize(("data", "field", "says"), [
    ({"purpose": ""}, "purpose", "Say what it is for"),
    ({"purpose": "   "}, "purpose", "Say what it is for"),
    ({"days": 0}, "days", "Ask for 1 to 30 days."),
    ({"days": 31}, "days", "Ask for 1 to 30 days."),
    ({"days": "many"}, "days", "Not a valid integer value."),
    ({"deal_id": "other"}, "deal_id", "Choose one of your company&#39;s deals."),  # another's
    ({"deal_id": "x1"}, "deal_id", "Choose one of your company&#39;s deals."),  # not an id
])
def test_a_bad_request_answers_400_with_the_message_under_its_field(app, silver, data, field,
                                                                   says):
    if data.get("deal_id") == "other":
        data = {"deal_id": deal(db.session.get(Organization, silver.stranger.organization_id),
                                registered_at=utcnow()).id}
        db.session.commit()
    response = post_request(signed_in(app, silver.sales), **data)
    assert response.status_code == 400
    message = field_error(response, field)
    assert message and says in message, page_text(response)
    assert environment_count() == 0


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_vendor_staff_get_403_on_the_request_page(app, silver, role):
    client = signed_in(app, make_user(role))
    assert client.get("/environments/new").status_code == 403
    assert post_request(client).status_code == 403
    assert environment_count() == 0


def test_a_gold_request_over_http_is_approved_at_once(app, gold):
    response = post_request(signed_in(app, gold.sales), days=7)
    assert response.status_code == 302
    environment = db.session.scalar(select(DemoEnvironment))
    assert (environment.status, environment.adapter) == (S.PROVISIONING, "manual")
    page = page_text(signed_in(app, gold.sales).get(path_of(environment)))
    assert "Being set up" in page and "approved at once by the tier" in page


# --- Who reaches what ------------------------------------------------------------------------

PARTNER_ROUTES = {"reveal": {}, "extension": {"extension-days": 3, "extension-reason": "x"},
                  "end": {}}
VENDOR_ROUTES = {"decision": {"action": "approve"},
                 "details": {"details-url": "https://evil.example",
                             "details-credentials": "stolen"},
                 "extension/decision": {"action": "approve"}}


def test_another_company_and_a_colleague_reach_nothing_of_an_environment(app, silver):
    environment = ready(silver.sales, silver.manager)
    service.ask_extension(environment, silver.sales, 5, "Pilot")
    db.session.commit()
    path = path_of(environment)
    before = actions(environment)
    for person in (silver.stranger, silver.colleague):
        client = signed_in(app, person)
        assert client.get(path).status_code == 404
        assert client.get("/environments/999999").status_code == 404
        for route, data in PARTNER_ROUTES.items():
            assert client.post(f"{path}/{route}", data=data).status_code == 404, route
        for route, data in VENDOR_ROUTES.items():
            # The channel team's actions answer 403 before looking: the same as for an
            # environment that does not exist, so nothing is revealed.
            assert client.post(f"{path}/{route}", data=data).status_code == 403, route
            assert client.post(f"/environments/999999/{route}", data=data).status_code == 403
    environment = fresh(environment)
    assert actions(environment) == before
    assert environment.credentials_box is not None and environment.extension_days == 5
    assert service.url_of(environment) == URL


def test_a_partner_gets_403_on_the_channel_teams_actions_of_their_own_environment(app, silver):
    waiting = ask(silver.sales)
    running = ready(silver.sales, silver.manager)
    service.ask_extension(running, silver.sales, 5, "Pilot")
    db.session.commit()
    for person in (silver.sales, silver.admin):
        client = signed_in(app, person)
        assert client.post(f"{path_of(waiting)}/decision",
                           data={"action": "approve"}).status_code == 403
        for route, data in VENDOR_ROUTES.items():
            assert client.post(f"{path_of(running)}/{route}", data=data).status_code == 403
    assert fresh(waiting).status == S.REQUESTED
    running = fresh(running)
    assert running.extension_days == 5 and service.url_of(running) == URL


def test_the_sign_in_details_go_to_the_requester_alone_and_are_never_cached(app, silver):
    environment = ready(silver.sales, silver.manager)
    path = path_of(environment)
    for person in (silver.admin, silver.manager):
        client = signed_in(app, person)
        page = client.get(path)
        assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
        assert URL in page_text(page) and "Tr0ub4dor" not in page_text(page)
        assert "Show the sign-in details" not in page_text(page)
        refused = client.post(f"{path}/reveal", follow_redirects=True)
        assert "Only the person who requested it" in page_text(refused)
        assert "Tr0ub4dor" not in page_text(refused)
    assert fresh(environment).credentials_box is not None

    sales = signed_in(app, silver.sales)
    assert "Show the sign-in details (once)" in page_text(sales.get(path))
    shown = sales.post(f"{path}/reveal")
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert "Tr0ub4dor&amp;3-unique" in shown.get_data(as_text=True)
    assert "Tr0ub4dor" not in page_text(sales.get(path))
    manager_page = page_text(signed_in(app, silver.manager).get(path))
    assert "Shown to the requester on" in manager_page


# --- The channel team's forms ----------------------------------------------------------------


def test_a_decline_without_a_reason_is_400_and_changes_nothing(app, silver):
    environment = ask(silver.sales)
    manager = signed_in(app, silver.manager)
    response = manager.post(f"{path_of(environment)}/decision",
                            data={"action": "decline", "decision-note": " "})
    assert response.status_code == 400
    assert "Give the reason" in field_error(response, "decision-note")
    assert fresh(environment).status == S.REQUESTED
    assert actions(environment) == ["requested"]
    assert manager.post(f"{path_of(environment)}/decision",
                        data={"action": "maybe"}).status_code == 400
    response = manager.post(f"{path_of(environment)}/decision",
                            data={"action": "decline", "decision-note": "Not this quarter"})
    assert response.status_code == 302
    assert fresh(environment).status == S.DECLINED
    page = words(signed_in(app, silver.sales).get(path_of(environment)))
    assert "From the channel team: Not this quarter" in page


@pytest.mark.parametrize("url", ["ftp://demo.example", "javascript:alert(1)",
                                 "demo.example/login"])
def test_details_whose_address_is_not_http_or_https_are_400_under_the_field(app, silver, url):
    environment = approved(silver.sales, silver.manager)
    response = signed_in(app, silver.manager).post(
        f"{path_of(environment)}/details",
        data={"details-url": url, "details-credentials": SECRET})
    assert response.status_code == 400
    assert "starting with https://" in field_error(response, "details-url")
    environment = fresh(environment)
    assert environment.status == S.PROVISIONING and environment.url_box is None


def test_an_extension_over_the_forms_waits_then_a_manager_extends_it(app, silver):
    environment = ready(silver.sales, silver.manager, days=14)
    ends = environment.expires_at
    sales = signed_in(app, silver.sales)
    path = path_of(environment)
    too_many = sales.post(f"{path}/extension",
                          data={"extension-days": 31, "extension-reason": "Longer"})
    assert too_many.status_code == 400 and field_error(too_many, "extension-days")
    asked = sales.post(f"{path}/extension",
                       data={"extension-days": 7, "extension-reason": "POC continues"})
    assert asked.status_code == 302
    assert fresh(environment).extension_days == 7
    manager = signed_in(app, silver.manager)
    assert "Extension asked" in page_text(manager.get(path))
    declined = manager.post(f"{path}/extension/decision", data={"action": "decline"})
    assert declined.status_code == 400 and "Give the reason" in field_error(
        declined, "extdecision-note")
    assert manager.post(f"{path}/extension/decision",
                        data={"action": "approve"}).status_code == 302
    environment = fresh(environment)
    assert environment.expires_at == ends + timedelta(days=7)
    assert environment.extension_days is None


def test_returning_and_withdrawing_over_the_forms(app, bronze):
    environment = ready(bronze.sales, bronze.manager)
    sales = signed_in(app, bronze.sales)
    assert "Return it now" in page_text(sales.get(path_of(environment)))
    assert sales.post(f"{path_of(environment)}/end").status_code == 302
    environment = fresh(environment)
    assert environment.status == S.EXPIRED and environment.url_box is None
    assert environment.credentials_box is None
    assert "Request a demo environment" in page_text(sales.get("/environments"))
    assert post_request(sales).status_code == 302
    waiting = db.session.scalars(select(DemoEnvironment).where(
        DemoEnvironment.status == S.REQUESTED)).one()
    assert "Withdraw the request" in page_text(sales.get(path_of(waiting)))
    assert sales.post(f"{path_of(waiting)}/end").status_code == 302
    assert fresh(waiting).status == S.CANCELLED


# --- Lists -----------------------------------------------------------------------------------


def test_a_partner_lists_their_own_an_admin_the_companys_never_another_companys(app, silver):
    mine = ask(silver.sales, purpose="Mine")
    colleagues = ask(silver.colleague, purpose="The colleague's")
    theirs = ask(silver.stranger, purpose="Another company's")

    def seen(user: User, query: str = "") -> list[int]:
        response = signed_in(app, user).get(f"/environments{query}")
        assert response.status_code == 200
        return sorted(listed_ids(response))

    assert seen(silver.sales) == [mine.id]
    assert seen(silver.colleague) == [colleagues.id]
    assert seen(silver.admin) == sorted([mine.id, colleagues.id])
    assert seen(silver.stranger) == [theirs.id]
    assert seen(silver.stranger, "?status=requested") == [theirs.id]
    assert seen(silver.admin, "?status=ready") == []


def test_the_channel_team_lists_all_with_what_waits_first_and_filters_by_status(app, silver):
    now = utcnow()
    in_use = ready(silver.sales, silver.manager, now=now - timedelta(days=1))
    declined = ask(silver.stranger, purpose="Declined one")
    service.decide(declined, silver.manager, False, "No")
    db.session.commit()
    waiting = ask(silver.colleague, now=now - timedelta(days=3))  # the oldest change
    in_use_later = ready(silver.stranger, silver.manager, now=now)
    service.ask_extension(in_use, silver.sales, 3, "More")  # waits for the team again
    db.session.commit()

    manager = signed_in(app, silver.manager)
    response = manager.get("/environments")
    order = listed_ids(response)
    assert sorted(order) == sorted([in_use.id, declined.id, waiting.id, in_use_later.id])
    assert set(order[:2]) == {in_use.id, waiting.id}  # a request and an extension wait
    assert "2 wait for the channel team" in page_text(response)
    assert "Alpha Systems K.K." in page_text(response) and "Beta Works K.K." in page_text(
        response)
    assert listed_ids(manager.get("/environments?status=ready")) == [in_use.id,
                                                                     in_use_later.id]
    assert listed_ids(manager.get("/environments?status=declined")) == [declined.id]
    assert sorted(listed_ids(manager.get("/environments?status=nonsense"))) == sorted(order)


# --- Time ------------------------------------------------------------------------------------


def past_environment(cast) -> DemoEnvironment:
    """Ready 20 days ago for 14 days: its time is up, the expiry job has not run."""
    return ready(cast.sales, cast.manager, days=14, now=utcnow() - timedelta(days=20))


def test_an_environment_whose_time_is_up_is_shown_ended_before_the_job_runs(app, silver):
    environment = past_environment(silver)
    assert environment.status == S.READY and service.is_past(environment)
    path = path_of(environment)
    sales = signed_in(app, silver.sales)
    page = page_text(sales.get(path))
    assert "Ended" in page and URL not in page
    assert "Show the sign-in details" not in page and "Ask for more days" not in page
    refused = sales.post(f"{path}/reveal", follow_redirects=True)
    assert "has expired" in page_text(refused) and "Tr0ub4dor" not in page_text(refused)
    asked = sales.post(f"{path}/extension",
                       data={"extension-days": 3, "extension-reason": "More"})
    assert asked.status_code == 400 and "has expired" in page_text(asked)
    manager = signed_in(app, silver.manager)
    assert "Replace the sign-in details" not in page_text(manager.get(path))
    assert fresh(environment).credentials_box is not None  # the job erases it


def test_the_status_of_an_environment_whose_time_is_up_does_not_say_in_use(app, silver):
    environment = past_environment(silver)
    sales = signed_in(app, silver.sales)
    assert badges(sales.get("/environments")) == badges(sales.get(path_of(environment))) \
        == ["Ended"]


@pytest.mark.parametrize("status", list(S))
def test_the_page_of_every_status_opens_for_the_requester_and_the_manager(app, silver, status):
    if status == S.READY:
        environment = ready(silver.sales, silver.manager)
    elif status == S.EXPIRED:
        environment = ready(silver.sales, silver.manager)
        service.end(environment, silver.sales)
    elif status == S.PROVISIONING:
        environment = approved(silver.sales, silver.manager)
    else:
        environment = ask(silver.sales)
        if status == S.DECLINED:
            service.decide(environment, silver.manager, False, "No")
        elif status == S.CANCELLED:
            service.end(environment, silver.sales)
    db.session.commit()
    assert fresh(environment).status == status
    for person in (silver.sales, silver.manager):
        response = signed_in(app, person).get(path_of(environment))
        assert response.status_code == 200
        assert f"Demo environment #{environment.id}" in page_text(response)

