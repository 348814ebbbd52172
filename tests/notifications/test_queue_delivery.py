"""Every kind of notification, mailed by the worker's job run through the real queue (Huey
on SQLite and on Redis) to a real SMTP server on loopback: one mail per notification and
person, in each one's language, and never a second time."""

from __future__ import annotations

import re

import pytest

from lms import jobs
from lms.extensions import db
from lms.models import MailState, Role, User
from lms.notifications.messages import KINDS
from lms.notifications.service import notify
from tests.factories import make_org, make_user
from tests.notifications.mailbox import notifications_of, start_smtp
from tests.test_jobs import memory_queue, queue_url  # noqa: F401  (the fixture is used)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
NAMES = {"en": "Nimbus Certified Engineer", "ja": "Nimbus認定エンジニア"}

# What each kind's feature stores: the parameters the messages read.
PARAMS: dict[str, dict] = {
    "credential_expiring": {"award": 1, "credential": NAMES, "stage": 30, "days": 21,
                            "expires": "2027-03-22"},
    "credential_earned": {"award": 1, "credential": NAMES, "code": "V-abc", "image": "",
                          "issued": "2027-03-01", "expires": "2029-03-01", "renewal": False},
    "deal_registered": {"deal": 7, "customer": "Sakura Trading", "partner": "Aozora"},
    "deal_decided": {"deal": 7, "customer": "Sakura Trading", "partner": "Aozora",
                     "status": "rejected", "reason": "Registered by another partner first."},
    "deal_conflict": {"deal": 7, "customer": "Sakura Trading", "partner": "Aozora"},
    "deal_expiring": {"deal": 7, "customer": "Sakura Trading", "partner": "Aozora",
                      "expires": "2027-03-15", "days": 14},
    "tier_changed": {"partner": "Aozora", "path": "/partners/aozora", "from": "silver",
                     "to": "gold", "kind": "promotion"},
    "tier_at_risk": {"partner": "Aozora", "path": "/partners/aozora", "from": "gold",
                     "to": "gold", "kind": "at_risk", "tier": "gold", "demotion": "2027-06-01"},
    "tier_recovered": {"partner": "Aozora", "path": "/partners/aozora", "from": "gold",
                       "to": "gold", "kind": "recovered", "tier": "gold"},
    "tier_held": {"partner": "Aozora", "path": "/partners/aozora", "from": "silver",
                  "to": "gold", "kind": "promotion", "reason": "Agreement not signed yet."},
    "tier_promotion_due": {"partner": "Aozora", "path": "/partners/aozora", "to": "gold"},
    "tier_lapse": {"partner": "Aozora", "path": "/partners/aozora", "tier": "gold",
                   "date": "2027-02-10", "actual": 3, "required": 4, "job_function": "sales",
                   "credential": NAMES},
    "learning_not_started": {"person": 3, "person_name": "Haruto Sato"},
    "onboarding_stalled": {"person": 3, "person_name": "Haruto Sato"},
    "asset_updated": {"asset": 1, "slug": "price-list", "title": "Price list", "version": 2,
                      "note": "2027 prices."},
    "mdf_to_decide": {"request": 4, "title": "Osaka seminar", "partner": "Aozora",
                      "currency": "JPY", "status": "submitted", "amount": 600_000},
    "mdf_decided": {"request": 4, "title": "Osaka seminar", "partner": "Aozora",
                    "currency": "JPY", "status": "approved", "amount": 500_000,
                    "note": "Catering is not funded."},
    "mdf_expiring": {"amount": 670_000, "currency": "JPY", "period": "2027-Q1",
                     "ends": "2027-03-31"},
    "terms_to_accept": {"version": "2027-04", "effective": "2027-04-01",
                        "title": {"en": "Partner Program Terms", "ja": "パートナープログラム規約"},
                        "in_force": False},
    "kb_asked": {"question": 5, "subject": "Public-sector price?", "author": "Haruto Sato"},
    "kb_answered": {"question": 5, "subject": "Public-sector price?", "author": "Mariko Ono"},
    "env_to_decide": {"environment": 3, "what": "request", "partner": "Sakura Solutions",
                      "person": "Haruto Sato", "days": 14},
    "env_decided": {"environment": 3, "status": "ready", "note": "",
                    "expires": "2026-12-20T03:00:00+00:00"},
    "env_expiring": {"environment": 3, "expires": "2026-12-20T03:00:00+00:00"},
}


def test_every_kind_has_its_example_here():
    assert sorted(PARAMS) == sorted(KINDS)


@pytest.mark.usefixtures("memory_queue")
@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_each_kind_is_mailed_once_to_each_person_in_their_language(mail_app, smtp_port,
                                                                   tmp_path, kind):
    org = make_org(slug="aozora")
    english = make_user(Role.PARTNER_ADMIN, org, email="en@aozora.test", locale="en")
    japanese = make_user(Role.PARTNER_ADMIN, org, email="ja@aozora.test", locale="ja")
    db.session.commit()
    people = [english.id, japanese.id]
    for name, params in PARAMS.items():
        for person in (english, japanese):
            notify(person, f"example:{name}", "deals", name, params)
    db.session.commit()
    mail_app.config["LMS_QUEUE_URL"] = queue_url(kind, tmp_path)
    queue = jobs.use_storage(mail_app)
    queue.flush()

    controller, inbox = start_smtp(smtp_port)
    try:
        jobs.TASKS["deliver-notifications"]()  # the scheduler queues the job when it is due
        assert queue.pending_count() == 1
        queue.execute(queue.dequeue())  # a worker thread runs it
        jobs.TASKS["deliver-notifications"]()  # a minute later: nothing left to send
        queue.execute(queue.dequeue())
    finally:
        controller.stop()

    by_person: dict[str, list[str]] = {}
    for mail in inbox.messages:
        by_person.setdefault(mail["To"], []).append(mail["X-Partner-Academy-Notification"])
    expected = sorted(f"example:{name}" for name in PARAMS)
    assert sorted(by_person["en@aozora.test"]) == expected
    assert sorted(by_person["ja@aozora.test"]) == expected
    for mail in inbox.messages:
        japanese_subject = bool(JAPANESE.search(mail["Subject"]))
        assert japanese_subject == (mail["To"] == "ja@aozora.test"), mail["Subject"]
    for person in people:  # the job's session is gone: read them again
        assert {n.mail_state for n in notifications_of(db.session.get(User, person))} \
            == {MailState.SENT}
