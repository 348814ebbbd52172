"""Background jobs (lms/jobs.py): the schedule, the queue on SQLite and on Redis, the worker
running what the scheduler queued, and `lms jobs run` for cron."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import select

from lms import jobs
from lms.config import ConfigError
from lms.database import start_write_transaction
from lms.extensions import db
from lms.models import Deal, DealStatus, Organization, utcnow
from tests.factories import make_org
from tests.factories.deals import deal

REDIS = ("127.0.0.1", 6379)


def redis_running() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def memory_queue():
    """The module's queue, back on memory after the test (other tests never share a file)."""
    yield jobs.queue
    jobs.queue.storage.close()
    jobs.queue.storage = MemoryStorage(jobs.QUEUE_NAME)


def overdue_deal() -> int:
    """An open registration past its 90 days: what `expire-deals` closes."""
    row = deal(make_org(), DealStatus.REGISTERED, registered_at=utcnow() - timedelta(days=91))
    db.session.commit()
    return row.id


def status_of(deal_id: int) -> DealStatus:
    db.session.expire_all()
    return db.session.scalar(select(Deal.status).where(Deal.id == deal_id))


# --- The schedule (Huey hands the scheduler naive UTC times) ---------------------------------


def test_the_five_minute_job_is_due_on_every_fifth_minute():
    due = jobs.every_minutes(5)
    assert due(datetime(2027, 1, 31, 23, 55))
    assert due(datetime(2027, 2, 1, 0, 0))
    assert not due(datetime(2027, 2, 1, 0, 3))


def test_daily_jobs_run_after_midnight_in_the_programs_time_zone(app):
    # Asia/Tokyo is UTC+9: 00:15 there is 15:15 UTC of the day before.
    assert jobs.daily_at(0, 15)(datetime(2027, 1, 31, 15, 15))
    assert not jobs.daily_at(0, 15)(datetime(2027, 1, 31, 0, 15))
    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    assert jobs.daily_at(0, 15)(datetime(2027, 1, 31, 0, 15))


def test_the_scheduler_queues_each_job_when_it_is_due(app):
    names = {moment: sorted(task.name for task in jobs.queue.read_periodic(moment))
             for moment in (datetime(2027, 1, 31, 15, 15), datetime(2027, 1, 31, 15, 30),
                            datetime(2027, 1, 31, 15, 31))}
    every = ["deliver-notifications", "deliver-webhooks"]
    assert names == {
        datetime(2027, 1, 31, 15, 15): ["close-expired-attempts", *every, "demo-environments",
                                        "expire-deals"],
        datetime(2027, 1, 31, 15, 30): ["close-expired-attempts", *every, "demo-environments",
                                        "review-tiers"],
        datetime(2027, 1, 31, 15, 31): every,
    }
    assert sorted(task.name for task in jobs.queue.read_periodic(datetime(2027, 2, 1, 0, 0))) \
        == ["close-expired-attempts", *every, "demo-environments",
            "remind-credentials"]  # 09:00 in Tokyo
    assert sorted(task.name for task in jobs.queue.read_periodic(datetime(2027, 2, 1, 0, 5))) \
        == ["close-expired-attempts", *every, "nudge-learners"]  # 09:05 in Tokyo
    assert sorted(task.name for task in jobs.queue.read_periodic(datetime(2027, 2, 1, 0, 10))) \
        == ["close-expired-attempts", *every, "warn-mdf-expiring"]  # 09:10 in Tokyo
    assert sorted(task.name for task in jobs.queue.read_periodic(datetime(2027, 2, 1, 0, 15))) \
        == ["close-expired-attempts", *every, "demo-environments",
            "remind-terms"]  # 09:15 in Tokyo


# --- Where the queue lives -------------------------------------------------------------------


def test_the_queue_url_chooses_the_storage(tmp_path):
    sqlite = jobs.storage_for(f"sqlite:///{tmp_path}/q/jobs.db")
    assert isinstance(sqlite, SqliteStorage)
    assert (tmp_path / "q" / "jobs.db").exists()
    sqlite.close()
    assert isinstance(jobs.storage_for("redis://127.0.0.1:6379/15"), RedisStorage)
    assert isinstance(jobs.storage_for("memory://"), MemoryStorage)
    with pytest.raises(ConfigError, match="LMS_QUEUE_URL"):
        jobs.storage_for("amqp://localhost")


def queue_url(kind: str, tmp_path) -> str:
    if kind == "redis":
        if not redis_running():
            pytest.skip("Redis is not running on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/15"
    return f"sqlite:///{tmp_path}/jobs.db"


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_queued_job_is_run_by_a_worker_through_the_queue(app, tmp_path, memory_queue, kind):
    app.config["LMS_QUEUE_URL"] = queue_url(kind, tmp_path)
    queue = jobs.use_storage(app)
    queue.flush()
    deal_id = overdue_deal()

    jobs.TASKS["expire-deals"]()  # what the scheduler does when the job is due: queue it

    assert queue.pending_count() == 1
    assert status_of(deal_id) == DealStatus.REGISTERED  # nothing ran yet
    queue.execute(queue.dequeue())  # what a worker thread does
    assert queue.pending_count() == 0
    assert status_of(deal_id) == DealStatus.EXPIRED


def test_a_failing_job_is_rolled_back_and_the_others_still_run(app, monkeypatch):
    deal_id = overdue_deal()

    def broken() -> str:
        start_write_transaction()
        db.session.add(Organization(slug="half-done", name="Half Done K.K.",
                                    signed_on=utcnow().date()))
        db.session.flush()
        raise RuntimeError("the CRM is down")

    failing = jobs.Job("close-expired-attempts", jobs.every_minutes(5), "every 5 minutes",
                       broken)
    monkeypatch.setattr(jobs, "JOBS", (failing, *jobs.JOBS[1:]))

    done = dict(jobs.run_all())

    assert done["close-expired-attempts"] == "failed: RuntimeError: the CRM is down"
    assert done["expire-deals"].startswith("expired 1 deal registration(s), ")
    assert status_of(deal_id) == DealStatus.EXPIRED
    assert db.session.scalar(select(Organization).where(Organization.slug == "half-done")) \
        is None


def test_jobs_run_runs_every_job_once_and_says_what_each_did(app):
    deal_id = overdue_deal()

    result = app.test_cli_runner().invoke(args=["jobs", "run"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "close-expired-attempts: closed 0 expired attempt(s)"
    assert lines[1] == ("expire-deals: expired 1 deal registration(s), 0 notification(s) of "
                        "registrations expiring within 14 days")
    assert lines[2].startswith("review-tiers: applied ")
    assert lines[3] == ("remind-credentials: 0 certification reminder(s), 0 warning(s) of tier "
                        "requirements they would break")
    assert lines[4] == "nudge-learners: 0 notification(s) of onboarding not started or stalled"
    assert lines[5] == "warn-mdf-expiring: 0 notification(s) of unused MDF about to expire"
    assert lines[6] == "remind-terms: 0 notification(s) of program terms to accept"
    assert lines[7] == ("demo-environments: expired 0 demo environment(s), provisioned 0 of 0 "
                        "waiting, 0 reminder(s)")
    assert lines[8] == "deliver-notifications: mailed 0 notification(s), 0 to retry"
    assert lines[9].startswith("deliver-webhooks: ")
    assert status_of(deal_id) == DealStatus.EXPIRED
    again = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert "expire-deals: expired 0 deal registration(s)" in again.output  # safe to rerun


def test_jobs_list_says_when_each_job_runs(app):
    result = app.test_cli_runner().invoke(args=["jobs", "list"])
    assert result.output.splitlines() == ["close-expired-attempts: every 5 minutes",
                                          "expire-deals: daily at 00:15",
                                          "review-tiers: daily at 00:30",
                                          "remind-credentials: daily at 09:00",
                                          "nudge-learners: daily at 09:05",
                                          "warn-mdf-expiring: daily at 09:10",
                                          "remind-terms: daily at 09:15",
                                          "demo-environments: every 15 minutes",
                                          "deliver-notifications: every minute",
                                          "deliver-webhooks: every minute"]


def test_with_manual_tier_review_the_job_leaves_changes_to_the_managers(make_app):
    app = make_app(LMS_TIER_REVIEW="manual")
    with app.app_context():
        (review,) = [job for job in jobs.JOBS if job.name == "review-tiers"]
        assert jobs.run_job(review).startswith("LMS_TIER_REVIEW=manual: managers apply")
    with pytest.raises(ConfigError, match="LMS_TIER_REVIEW must be daily or manual"):
        make_app(LMS_TIER_REVIEW="weekly")
