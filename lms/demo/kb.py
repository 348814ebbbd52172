"""Demo questions to the channel team, and what readers said of the articles: one answered
thread from Sakura, one follow-up waiting after an answer (Kumo Works), one new question from
Aozora waiting for the channel team."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import select

from lms.clock import utcnow
from lms.demo.dates import morning
from lms.demo.people import MANAGER_EMAIL, partner_email, person
from lms.extensions import db
from lms.kb import notices
from lms.models import KbArticle, KbMessage, KbQuestion, KbVote, QuestionStatus, User

# (company, who asks, subject, [(from the channel team, days ago, text)], status)
THREADS = (
    ("sakura-systems", "sales", "Can we resell Nimbus CRM to a prefectural government?",
     [(False, 12, "A prefecture in Kyushu asked us for a proposal (about 300 seats). Are "
                  "public-sector customers in the program, and is there a government price?"),
      (True, 11, "Yes: public-sector customers are in the program like any other. Register the "
                 "deal as usual; for 100 seats or more, ask us for the public-sector price "
                 "list (about 15% below list) before you quote. Tenders often need our ISMS "
                 "certificate: it is in the library under Security.")],
     QuestionStatus.ANSWERED),
    ("kumo-works", "engineer", "API rate limits in the demo tenant",
     [(False, 6, "During our proof of concept the demo tenant answers 429 after about 100 "
                 "requests a minute. Is the production limit the same?"),
      (True, 5, "Demo tenants are limited to 100 requests a minute; production tenants start at "
                "1,000 and the customer can buy more. Batch endpoints count one request per "
                "call, up to 200 records."),
      (False, 1, "Thank you. Can the limit of our demo tenant be raised for a two-week load "
                 "test with the customer?")],
     QuestionStatus.OPEN),
    ("aozora-consulting", "admin", "Referral fee for a deal closed by Nimbus directly",
     [(False, 0, "We referred Hokuriku Bank in March (registered and approved). Nimbus's own "
                 "team closed it last week. How is the referral fee calculated, and when is "
                 "it paid?")],
     QuestionStatus.OPEN),
)


def seed_kb(today: date) -> int:
    """The threads and votes (once: skipped when any question exists)."""
    if db.session.scalar(select(KbQuestion.id).limit(1)) is not None:
        return 0
    manager = person(MANAGER_EMAIL)
    written = 0
    latest = utcnow()  # never a message from the future (a demo loaded before 09:00 UTC)
    for slug, prefix, subject, messages, status in THREADS:
        asker = person(partner_email(prefix, slug))
        if asker is None or asker.organization_id is None or manager is None:
            continue
        first = min(morning(today - timedelta(days=messages[0][1])) - timedelta(hours=4),
                    latest)
        last = min(morning(today - timedelta(days=messages[-1][1])) - timedelta(hours=1),
                   latest)
        question = KbQuestion(organization_id=asker.organization_id, asked_by_id=asker.id,
                              subject=subject, status=status, created_at=first,
                              updated_at=last)
        db.session.add(question)
        db.session.flush()
        for index, (vendor, days, body) in enumerate(messages):
            author: User = manager if vendor else asker
            at = min(morning(today - timedelta(days=days)) - timedelta(hours=1), latest)
            db.session.add(KbMessage(
                question_id=question.id, author_id=author.id, author_name=author.name,
                from_vendor=vendor, body=body, created_at=at))
            # Who was told, as the portal would have told them.
            if index == 0:
                notices.asked(question, author, at)
            else:
                notices.replied(question, author, vendor, at)
        written += 1
    if written:  # with the threads, once
        _votes(today, latest)
    db.session.flush()
    return written


def _votes(today: date, latest: datetime) -> None:
    """Partner people said whether articles helped: mostly yes, a few no."""
    rng = random.Random(7)  # noqa: S311 - reproducible demo data, not security
    articles = list(db.session.scalars(select(KbArticle.id).where(
        KbArticle.archived_at.is_(None)).order_by(KbArticle.id)))
    people = list(db.session.scalars(select(User.id).where(
        User.organization_id.is_not(None), User.active.is_(True)).order_by(User.id).limit(60)))
    for article_id in articles:
        for user_id in rng.sample(people, min(len(people), rng.randint(3, 14))):
            db.session.add(KbVote(article_id=article_id, user_id=user_id,
                                  helpful=rng.random() < 0.8,
                                  voted_at=min(morning(today - timedelta(
                                      days=rng.randint(1, 60))), latest)))
