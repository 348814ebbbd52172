"""Demo environments and the clock, moved through the services' `now` (never frozen): an
environment whose time is up is over at once (no address, no sign-in details, no
extension) even before the job runs; the job ends it, erases its details and frees its
place; the requester is reminded once per expiry moment, in the last three days only (again
after an extension moved the end); and the "demo-environments" job of lms.jobs does all of
it, committed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms import jobs
from lms.environments import service
from lms.environments.service import RequestData
from lms.extensions import db
from lms.models import DemoEnvironment, EnvironmentStatus, Organization, User, utcnow
from tests.environments.support import (
    PURPOSE,
    URL,
    actions,
    ask,
    fresh,
    last_event,
    notes_to,
    ready,
    refused,
)

S = EnvironmentStatus
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def test_an_environment_is_over_at_its_end_even_before_the_job_runs(silver):
    start = utcnow()
    environment = ready(silver.sales, silver.manager, days=14, now=start)
    end = start + 14 * DAY
    assert not service.is_past(environment, end - SECOND)
    assert service.url_of(environment, end - SECOND) == URL
    assert service.is_past(environment, end)
    assert service.url_of(environment, end) is None
    for attempt in (
            lambda: service.reveal(environment, silver.sales, now=end),
            lambda: service.ask_extension(environment, silver.sales, 3, "More", now=end),
            lambda: service.enter_details(environment, silver.manager, URL, "new", now=end)):
        assert "has expired" in str(refused(attempt))
    environment = fresh(environment)
    assert environment.status == S.READY and environment.credentials_box is not None


def test_an_extension_waiting_at_the_end_can_no_longer_be_granted(silver):
    start = utcnow()
    environment = ready(silver.sales, silver.manager, days=14, now=start)
    service.ask_extension(environment, silver.sales, 7, "More", now=start + 13 * DAY)
    db.session.commit()
    error = refused(lambda: service.decide_extension(environment, silver.manager, True, "",
                                                     now=start + 14 * DAY))
    assert "has expired" in str(error)
    assert fresh(environment).expires_at == start + 14 * DAY


def test_expire_due_ends_what_is_due_erasing_its_details_and_freeing_its_place(silver):
    start = utcnow()
    short = ready(silver.sales, silver.manager, days=14, now=start)
    service.ask_extension(short, silver.sales, 5, "More", now=start + DAY)
    db.session.commit()
    longer = ready(silver.stranger, silver.manager, days=20, now=start)
    waiting = ask(silver.admin, now=start)

    assert service.expire_due(start + 14 * DAY - SECOND) == []
    assert service.expire_due(start + 14 * DAY) == [short.id]
    db.session.commit()
    short = fresh(short)
    assert short.status == S.EXPIRED
    assert (short.url_box, short.credentials_box, short.extension_days) == (None, None, None)
    expired = last_event(short, "expired")
    assert (expired.at, expired.actor_id, expired.from_status, expired.to_status) == \
        (start + 14 * DAY, None, S.READY, S.EXPIRED)
    assert fresh(longer).status == S.READY and fresh(waiting).status == S.REQUESTED
    assert service.expire_due(start + 15 * DAY) == []  # once
    db.session.commit()
    assert actions(short).count("expired") == 1
    organization = db.session.get(Organization, silver.org.id)
    assert service.quota_of(organization).holding == 1  # the request still waiting
    service.request(silver.sales, RequestData(PURPOSE, 7, None), now=start + 15 * DAY)


def test_the_reminder_goes_once_per_end_and_again_after_an_extension(silver):
    start = utcnow()
    environment = ready(silver.sales, silver.manager, days=14, now=start)
    end = start + 14 * DAY
    assert service.remind_expiring(end - 3 * DAY - SECOND) == 0  # not yet
    assert service.remind_expiring(end - 3 * DAY) == 1  # exactly three days before
    db.session.commit()
    assert service.remind_expiring(end - 3 * DAY + timedelta(hours=1)) == 0
    assert service.remind_expiring(end - SECOND) == 0
    db.session.commit()
    assert notes_to(silver.sales, "env_expiring") == [
        {"environment": environment.id, "expires": end.isoformat()}]

    service.ask_extension(environment, silver.sales, 7, "More", now=end - 2 * DAY)
    service.decide_extension(environment, silver.manager, True, "", now=end - DAY)
    db.session.commit()
    assert service.remind_expiring(end - DAY) == 0  # the end is a week away now
    new_end = end + 7 * DAY
    assert service.remind_expiring(new_end - 2 * DAY) == 1
    db.session.commit()
    assert [n["expires"] for n in notes_to(silver.sales, "env_expiring")] == [
        end.isoformat(), new_end.isoformat()]
    assert service.remind_expiring(new_end) == 0  # at its end it is over: no reminder


def test_no_reminder_further_than_three_days_from_the_end_nor_for_ended_ones(silver):
    start = utcnow()
    far = ready(silver.sales, silver.manager, days=30, now=start)
    returned = ready(silver.stranger, silver.manager, days=14, now=start)
    service.end(returned, silver.stranger, now=start + DAY)
    db.session.commit()
    assert service.remind_expiring(start + 12 * DAY) == 0
    assert service.remind_expiring(start + 26 * DAY - SECOND) == 0
    db.session.commit()
    assert notes_to(silver.sales, "env_expiring") == []
    assert notes_to(silver.stranger, "env_expiring") == []
    assert service.remind_expiring(start + 27 * DAY) == 1
    db.session.commit()
    assert notes_to(silver.sales, "env_expiring")[0]["environment"] == far.id


def test_run_jobs_expires_and_reminds_in_one_go(silver):
    start = utcnow()
    ending = ready(silver.sales, silver.manager, days=7, now=start)
    soon = ready(silver.stranger, silver.manager, days=9, now=start)
    said = service.run_jobs(start + 7 * DAY)
    db.session.commit()
    assert said == ("expired 1 demo environment(s), provisioned 0 of 0 waiting, "
                    "1 reminder(s)")
    assert fresh(ending).status == S.EXPIRED and fresh(ending).url_box is None
    assert notes_to(silver.stranger, "env_expiring")[0]["environment"] == soon.id
    assert service.run_jobs(start + 7 * DAY + timedelta(minutes=15)) == (
        "expired 0 demo environment(s), provisioned 0 of 0 waiting, 0 reminder(s)")


def test_the_demo_environments_job_of_the_worker_commits_its_work(app, silver):
    now = utcnow()
    stranger = silver.stranger.id
    over = ready(silver.sales, silver.manager, days=14, now=now - 20 * DAY).id
    ending = ready(silver.stranger, silver.manager, days=14, now=now - 12 * DAY).id
    (job,) = [job for job in jobs.JOBS if job.name == "demo-environments"]
    assert jobs.run_job(job) == ("expired 1 demo environment(s), provisioned 0 of 0 "
                                 "waiting, 1 reminder(s)")
    db.session.rollback()  # nothing of it waits in this session: it is committed
    statuses = {row.id: row.status for row in db.session.execute(
        select(DemoEnvironment.id, DemoEnvironment.status))}
    assert statuses == {over: S.EXPIRED, ending: S.READY}
    assert len(notes_to(db.session.get(User, stranger), "env_expiring")) == 1
    assert jobs.run_job(job).startswith("expired 0 demo environment(s)")
    assert len(notes_to(db.session.get(User, stranger), "env_expiring")) == 1  # once


def test_an_environment_whose_time_is_up_frees_its_place_before_the_job_runs(bronze):
    ready(bronze.sales, bronze.manager, days=7, now=utcnow() - 8 * DAY)
    environment = ask(bronze.sales)
    assert environment.status == S.REQUESTED
