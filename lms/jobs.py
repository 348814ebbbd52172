"""Background jobs on Huey: the periodic jobs of the portal, without cron.

`lms worker` runs Huey's consumer: its scheduler puts each periodic job on the queue when it
is due, and its worker threads run them. `lms jobs run` runs every periodic job once, now,
in the calling process (for cron, or to catch up), and exits.

The queue lives where LMS_QUEUE_URL says: `sqlite:///<file>` (embedded, the default: a file
beside the database, no server), `redis://host:port/db` (production: several workers on
several machines share it), or `memory://` (one process; tests). What a job changes is in
the portal's database, each job in its own transaction: the queue only says when to run it,
so a lost queue loses no data, and every job is safe to run twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from flask import Flask
from huey import Huey
from huey.storage import BaseStorage, MemoryStorage, RedisStorage, SqliteStorage

from lms.config import ConfigError

log = logging.getLogger(__name__)
QUEUE_NAME = "partner-academy"


def storage_for(url: str) -> BaseStorage:
    """The queue's storage for an LMS_QUEUE_URL."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteStorage(QUEUE_NAME, filename=str(path))
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(QUEUE_NAME, url=url)
    if url == "memory://":
        return MemoryStorage(QUEUE_NAME)
    raise ConfigError(f"LMS_QUEUE_URL must start with sqlite:///, redis:// or be memory://, "
                      f"not {url!r}")


# The decorators below need the queue when this module is imported; its storage is chosen
# from the configuration by use_storage(), before a consumer starts or a job is queued.
queue = Huey(QUEUE_NAME, storage_class=MemoryStorage, utc=True)
_app: Flask | None = None


def init_app(app: Flask) -> None:
    """Remember the app the jobs run in (its configuration, database and translations)."""
    global _app
    _app = app


def use_storage(app: Flask) -> Huey:
    """Point the queue at the app's LMS_QUEUE_URL (a consumer, or code that enqueues)."""
    init_app(app)
    queue.storage = storage_for(app.config["LMS_QUEUE_URL"])
    return queue


# --- When a periodic job is due: in the program's time zone (Asia/Tokyo by default) ---------


def every_minutes(minutes: int) -> Callable[[datetime], bool]:
    def due(moment: datetime) -> bool:
        return (moment.hour * 60 + moment.minute) % minutes == 0
    return due


def daily_at(hour: int, minute: int) -> Callable[[datetime], bool]:
    """Due once a day at hour:minute of the program's clock. Huey passes a naive UTC time."""
    def due(moment: datetime) -> bool:
        from datetime import UTC

        from lms.clock import program_zone

        with _app_context():
            local = moment.replace(tzinfo=UTC).astimezone(program_zone())
        return (local.hour, local.minute) == (hour, minute)
    return due


def _app_context():
    if _app is None:
        raise RuntimeError("lms.jobs has no app: call init_app(app) first")
    return _app.app_context()


# --- The jobs ---------------------------------------------------------------------------------
# Each runs in an app and request context and says what it did; run_job commits its work.


def close_expired_attempts() -> str:
    from lms.quizzes.service import close_expired_attempts as close

    return f"closed {close()} expired attempt(s)"


def expire_deals() -> str:
    from lms.deals.expiry import expire_overdue
    from lms.deals.notices import warn_expiring

    expired = expire_overdue()
    return (f"expired {expired} deal registration(s), {warn_expiring()} notification(s) of "
            f"registrations expiring within 14 days")


def review_tiers() -> str:
    from flask import current_app

    from lms.tiers import service

    if current_app.config.get("LMS_TIER_REVIEW") == "manual":
        from lms.tiers.notices import promotions_due

        return (f"LMS_TIER_REVIEW=manual: managers apply changes with Tier review; "
                f"{promotions_due()} notification(s) of promotions due")
    return f"applied {len(service.apply())} tier change(s)"


def remind_credentials() -> str:
    from lms.notifications.service import remind_expiring_credentials
    from lms.tiers.notices import lapses_ahead

    reminders = remind_expiring_credentials()
    return (f"{reminders} certification reminder(s), {lapses_ahead()} warning(s) of tier "
            f"requirements they would break")


def nudge_learners() -> str:
    from lms.courses.notices import nudge_learners as nudge

    return f"{nudge()} notification(s) of onboarding not started or stalled"


def warn_mdf_expiring() -> str:
    from lms.mdf.notices import warn_expiring

    return f"{warn_expiring()} notification(s) of unused MDF about to expire"


def remind_terms() -> str:
    from lms.terms.notices import remind_to_accept

    return f"{remind_to_accept()} notification(s) of program terms to accept"


def demo_environments() -> str:
    from lms.environments.service import run_jobs

    return run_jobs()


def deliver_notifications() -> str:
    from lms.notifications.service import deliver_due

    sent, failed = deliver_due()
    return f"mailed {sent} notification(s), {failed} to retry"


def deliver_webhooks() -> str:
    from lms.webhooks.service import deliver_due

    delivered, failed = deliver_due()
    return f"delivered {delivered} webhook(s), {failed} to retry"


@dataclass(frozen=True)
class Job:
    name: str
    due: Callable[[datetime], bool]  # the scheduler's test, for a naive UTC minute
    when: str  # the same, for people: README, `lms jobs list`
    run: Callable[[], str]


JOBS = (
    Job("close-expired-attempts", every_minutes(5), "every 5 minutes", close_expired_attempts),
    Job("expire-deals", daily_at(0, 15), "daily at 00:15", expire_deals),
    Job("review-tiers", daily_at(0, 30), "daily at 00:30", review_tiers),
    Job("remind-credentials", daily_at(9, 0), "daily at 09:00", remind_credentials),
    Job("nudge-learners", daily_at(9, 5), "daily at 09:05", nudge_learners),
    Job("warn-mdf-expiring", daily_at(9, 10), "daily at 09:10", warn_mdf_expiring),
    Job("remind-terms", daily_at(9, 15), "daily at 09:15", remind_terms),
    # Ends environments whose time is up (and tells the provisioning API), retries failed
    # provisioning calls, reminds requesters three days ahead.
    Job("demo-environments", every_minutes(15), "every 15 minutes", demo_environments),
    # Last: `lms jobs run` delivers what the jobs before it have just written.
    Job("deliver-notifications", every_minutes(1), "every minute", deliver_notifications),
    Job("deliver-webhooks", every_minutes(1), "every minute", deliver_webhooks),
)


def run_job(job: Job) -> str:
    """Run one job in the app, in a request context (links and translations need one), and
    commit its work; a failure is logged and rolled back."""
    from lms.extensions import db

    assert _app is not None, "init_app(app) first"
    started = time.perf_counter()
    with _app.test_request_context("/", base_url=_app.config["LMS_BASE_URL"] or None):
        try:
            said = job.run()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.name)
            raise
        finally:
            db.session.remove()
    log.info("job %s: %s (%.2f s)", job.name, said, time.perf_counter() - started)
    return said


def run_all() -> list[tuple[str, str]]:
    """Every periodic job once, now: (name, what it did or why it failed)."""
    done = []
    for job in JOBS:
        try:
            done.append((job.name, run_job(job)))
        except Exception as error:  # logged by run_job; the next job still runs
            done.append((job.name, f"failed: {error.__class__.__name__}: {error}"))
    return done


# The consumer's scheduler queues each job when it is due; a worker thread runs it.
TASKS = {job.name: queue.periodic_task(job.due, name=job.name)(partial(run_job, job))
         for job in JOBS}
