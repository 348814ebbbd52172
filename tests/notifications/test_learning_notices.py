"""Learning nudges (lms.courses.notices.nudge_learners): a person with an onboarding path who
has not started a week after joining hears of it, as do their partner admins; an onboarding
stalled for two weeks goes to the partner admins alone. Each once."""

from __future__ import annotations

from datetime import datetime

import pytest

from lms.courses.notices import nudge_learners
from lms.extensions import db
from lms.models import JobFunction, LessonProgress, Role, User, utcnow
from tests.factories import make_org, make_user
from tests.notifications.test_kinds import (
    DAY,
    NOW,
    PPE,
    SELLING,
    ids,
    in_both,
    lessons_of,
    notifications,
    only,
    recipients,
    says,
    synced_site,
)


def learned(user: User, slug: str, at: datetime, count: int | None = None,
            skip: int = 0) -> None:
    """Lessons of `slug` (`count` of them, after the first `skip`) completed at `at`."""
    for lesson in lessons_of(slug)[skip:][:count]:
        db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=at,
                                      last_viewed_at=at, completed_at=at))
    db.session.commit()


def joined(org, name: str, days_ago: int, now: datetime = NOW,
           job: JobFunction | None = JobFunction.SALES, role: Role = Role.MEMBER) -> User:
    return make_user(role, org, name=name, job=job, created_at=now - days_ago * DAY)


@pytest.fixture
def site(make_app, tmp_path):
    yield from synced_site(make_app, tmp_path)


@pytest.fixture
def sakura(site):
    """A company with an admin (no onboarding path of their own) and people at each stage,
    and another company whose people are all fine."""
    ours = make_org(name="Sakura Systems K.K.")
    theirs = make_org(name="Fuji Partners K.K.")
    people = {
        "admin": joined(ours, "Aoi Admin", 400, job=None, role=Role.PARTNER_ADMIN),
        "second_admin": joined(ours, "Kai Admin", 400, job=None, role=Role.PARTNER_ADMIN),
        "silent": joined(ours, "Sora Silent", 8),
        "new": joined(ours, "Nao New", 6),
        "idle": joined(ours, "Ida Idle", 60, job=JobFunction.TECHNICAL),
        "busy": joined(ours, "Bo Busy", 60),
        "done": joined(ours, "Ren Finished", 90),
        "left": make_user(Role.MEMBER, ours, active=False, created_at=NOW - 30 * DAY),
        "their_admin": joined(theirs, "Fumi Admin", 400, job=None, role=Role.PARTNER_ADMIN),
        "their_new": joined(theirs, "Kenji New", 2),
        "manager": make_user(Role.MANAGER),
    }
    learned(people["idle"], PPE, NOW - 15 * DAY, count=2)
    learned(people["busy"], PPE, NOW - 3 * DAY, count=1)
    learned(people["done"], PPE, NOW - 40 * DAY)
    learned(people["done"], SELLING, NOW - 30 * DAY)
    return people


def test_not_started_and_stalled_people_are_nudged_to_the_right_people_once(sakura):
    admins = (sakura["admin"], sakura["second_admin"])

    assert nudge_learners(NOW) == 5
    db.session.commit()
    assert nudge_learners(NOW) == 0
    assert nudge_learners(NOW + DAY / 2) == 0  # Nao is 6.5 days in: still too early
    db.session.commit()

    # Sora (joined 8 days ago, nothing learned): Sora and both admins.
    assert recipients("learning_not_started") == ids(sakura["silent"], *admins)
    to_sora = only("learning_not_started", sakura["silent"])
    assert to_sora.key == f"learning-not-started:{sakura['silent'].id}"
    assert to_sora.params == {} and to_sora.category == "learning"
    to_admin = only("learning_not_started", sakura["admin"])
    assert to_admin.params == {"person": sakura["silent"].id, "person_name": "Sora Silent"}
    # Ida (learned 15 days ago, path unfinished): the admins only.
    assert recipients("onboarding_stalled") == ids(*admins)
    stalled = only("onboarding_stalled", sakura["second_admin"])
    assert stalled.params == {"person": sakura["idle"].id, "person_name": "Ida Idle"}
    assert stalled.key == (f"onboarding-stalled:{sakura['idle'].id}:"
                           f"{(NOW - 15 * DAY).date().isoformat()}")
    # Nobody else: not Nao (6 days), Bo (learning), Ren (done), the other company, staff.
    assert len(notifications()) == 5

    english, japanese = in_both(to_sora)
    assert english.title == "Your onboarding is waiting" and english.path == "/"
    assert japanese.path == "/"
    english, japanese = in_both(to_admin)
    assert english.title == "Sora Silent has not started onboarding"
    assert english.path == "/progress?stalled=1" and says(japanese, "Sora Silent")
    english, japanese = in_both(stalled)
    assert english.title == "Ida Idle's onboarding has stalled"
    assert "two weeks" in english.body and says(japanese, "Ida Idle")


def test_a_week_after_joining_and_two_weeks_after_learning_are_the_thresholds(sakura):
    # Two days earlier Sora had joined 6 days before, and Ida had learned 13 days before.
    assert nudge_learners(NOW - 2 * DAY) == 0
    # A day later: exactly 7 and 14 days.
    assert nudge_learners(NOW - DAY) == 5
    db.session.commit()
    assert sorted(n.kind for n in notifications()) == [
        *["learning_not_started"] * 3, *["onboarding_stalled"] * 2]


def test_learning_again_then_stalling_again_is_a_new_stall(sakura):
    assert nudge_learners(NOW) == 5
    db.session.commit()
    learned(sakura["idle"], PPE, NOW + DAY, count=1, skip=2)

    def about_ida() -> list[str]:
        return sorted(n.key for n in notifications("onboarding_stalled")
                      if n.params["person"] == sakura["idle"].id)

    first = about_ida()
    nudge_learners(NOW + 10 * DAY)  # learning again: not stalled
    db.session.commit()
    assert about_ida() == first
    nudge_learners(NOW + 15 * DAY)  # 14 days after learning again: the admins hear again
    db.session.commit()
    again = f"onboarding-stalled:{sakura['idle'].id}:{(NOW + DAY).date().isoformat()}"
    assert about_ida() == sorted([*first, again, again])
    assert sorted(n.user_id for n in notifications("onboarding_stalled")
                  if n.key == again) == ids(sakura["admin"], sakura["second_admin"])


def test_the_nudge_learners_job_writes_the_nudges(site):
    from lms import jobs

    now = utcnow()
    org = make_org()
    silent = joined(org, "Sora Silent", 8, now=now)
    admin = joined(org, "Aoi Admin", 400, now=now, job=None, role=Role.PARTNER_ADMIN)
    expected = ids(silent, admin)  # run_job ends the session
    (job,) = [job for job in jobs.JOBS if job.name == "nudge-learners"]

    assert jobs.run_job(job) == "2 notification(s) of onboarding not started or stalled"
    assert recipients("learning_not_started") == expected
