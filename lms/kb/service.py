"""The knowledge base: articles synced from content/kb/, search, "was this helpful", and
partners' questions to the channel team.

Who sees a question: the person who asked it, their company's partner admins, and the
channel team (managers and admins); anyone else gets 404, as for every partner object.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from lms.clock import utcnow
from lms.content_cache import cached
from lms.database import escape_like, lock_row
from lms.extensions import db
from lms.i18n import gettext as _
from lms.kb.loader import KbSet
from lms.markup import normalize_for_search, plain_text
from lms.models import (
    KbArticle,
    KbCategory,
    KbMessage,
    KbQuestion,
    KbVote,
    QuestionStatus,
    User,
)
from lms.policy import own_or_company
from lms.sync import SyncReport, archive_missing, set_changed, update_synced

SUBJECT_MAX = 200
BODY_MAX = 5000
SEARCH_WORDS_MAX = 8


class QuestionError(Exception):
    """A refusal the person can act on; nothing was stored."""


# --- Sync -------------------------------------------------------------------------------


def _search_text(titles: dict[str, str], bodies: dict[str, str]) -> str:
    return plain_text("\n\n".join([*titles.values(), *bodies.values()]))


def sync_kb(kb: KbSet, report: SyncReport, now: datetime | None = None) -> None:
    """Create, update, archive and restore categories and articles as the files say (the
    caller commits)."""
    now = now or utcnow()
    categories = {c.slug: c for c in db.session.scalars(select(KbCategory))}
    for category in kb.categories:
        stored = categories.get(category.slug)
        if stored is None:
            categories[category.slug] = KbCategory(slug=category.slug, titles=category.titles,
                                                   position=category.position)
            db.session.add(categories[category.slug])
            report.created.append(f"kb category {category.slug}")
        elif set_changed(stored, titles=category.titles, position=category.position,
                         archived_at=None):
            report.updated.append(f"kb category {category.slug}")
        else:
            report.unchanged += 1
    db.session.flush()
    articles = {a.slug: a for a in db.session.scalars(select(KbArticle))}
    for spec in kb.articles:
        values = {"category_id": categories[spec.category].id, "position": spec.position,
                  "titles": spec.titles, "bodies": spec.bodies, "source": spec.source,
                  "search_text": _search_text(spec.titles, spec.bodies)}
        row = articles.get(spec.slug)
        if row is None:
            db.session.add(KbArticle(slug=spec.slug, updated_at=now, **values))
            report.created.append(f"kb {spec.slug}")
        else:
            update_synced(row, values, now, report, f"kb {spec.slug}")
    archive_missing(articles, [spec.slug for spec in kb.articles], now, report, "kb ")
    archive_missing(categories, [c.slug for c in kb.categories], now, report, "kb category ")


# --- Reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleInfo:
    id: int
    slug: str
    category_id: int
    position: int
    titles: dict[str, str]

    def title(self, locale: str) -> str:
        return self.titles.get(locale) or next(iter(self.titles.values()), self.slug)


@dataclass(frozen=True)
class CategoryInfo:
    id: int
    slug: str
    titles: dict[str, str]
    articles: tuple[ArticleInfo, ...]

    def title(self, locale: str) -> str:
        return self.titles.get(locale) or self.titles.get("en", self.slug)


def _contents() -> tuple[CategoryInfo, ...]:
    articles = [ArticleInfo(*row) for row in db.session.execute(
        select(KbArticle.id, KbArticle.slug, KbArticle.category_id, KbArticle.position,
               KbArticle.titles)
        .where(KbArticle.archived_at.is_(None))
        .order_by(KbArticle.position, KbArticle.slug))]
    return tuple(
        CategoryInfo(c.id, c.slug, c.titles,
                     tuple(a for a in articles if a.category_id == c.id))
        for c in db.session.scalars(select(KbCategory).where(KbCategory.archived_at.is_(None))
                                    .order_by(KbCategory.position)))


def contents() -> tuple[CategoryInfo, ...]:
    """Every category with its articles, in order (kept per content version)."""
    return cached("kb.contents", _contents)


def search(query: str) -> list[ArticleInfo]:
    """Articles holding every word of `query` in a title or text of any language (NFKC,
    case-folded: full-width and half-width agree)."""
    words = normalize_for_search(query).split()[:SEARCH_WORDS_MAX]
    if not words:
        return []
    stmt = select(KbArticle.id).where(KbArticle.archived_at.is_(None))
    for word in words:
        stmt = stmt.where(KbArticle.search_text.like(f"%{escape_like(word)}%", escape="\\"))
    found = set(db.session.scalars(stmt))
    return [a for c in contents() for a in c.articles if a.id in found]


def article(slug: str) -> KbArticle | None:
    return db.session.scalar(select(KbArticle).where(KbArticle.slug == slug,
                                                     KbArticle.archived_at.is_(None)))


def text_of(row: KbArticle, locale: str) -> tuple[str, str, str]:
    """(title, Markdown, language shown): the reader's language, else the original."""
    shown = locale if locale in row.bodies else next(iter(row.bodies))
    return row.titles.get(shown, row.slug), row.bodies[shown], shown


# --- Was this helpful -------------------------------------------------------------------


def vote(user: User, row: KbArticle, helpful: bool) -> None:
    """Record or change `user`'s answer for the article (one row per person, whatever the
    concurrency: an upsert)."""
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    db.session.execute(
        insert(KbVote).values(article_id=row.id, user_id=user.id, helpful=helpful, voted_at=now)
        .on_conflict_do_update(index_elements=["article_id", "user_id"],
                               set_={"helpful": helpful, "voted_at": now}))


def vote_of(user: User, row: KbArticle) -> bool | None:
    return db.session.scalar(select(KbVote.helpful).where(KbVote.article_id == row.id,
                                                          KbVote.user_id == user.id))


def votes_of(article_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(helpful, not helpful) per article, for the channel team."""
    ids = list(article_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(KbVote.article_id, func.sum(case((KbVote.helpful.is_(True), 1), else_=0)),
               func.sum(case((KbVote.helpful.is_(False), 1), else_=0)))
        .where(KbVote.article_id.in_(ids)).group_by(KbVote.article_id))
    return {article_id: (int(yes or 0), int(no or 0)) for article_id, yes, no in rows}


# --- Questions --------------------------------------------------------------------------


def visible_questions(user: User):
    """The questions `user` may read, as a statement."""
    return own_or_company(select(KbQuestion), KbQuestion.organization_id,
                          KbQuestion.asked_by_id, user)


def question_for(user: User, question_id: int) -> KbQuestion | None:
    return db.session.scalar(visible_questions(user).options(
        joinedload(KbQuestion.organization)).where(KbQuestion.id == question_id))


def questions_query(user: User, status: QuestionStatus | None = None):
    """The questions `user` may read, newest activity first (for the channel team, waiting
    ones first), with company and asker loaded: a statement to page through."""
    stmt = visible_questions(user)
    if status is not None:
        stmt = stmt.where(KbQuestion.status == status)
    order = [KbQuestion.updated_at.desc(), KbQuestion.id.desc()]
    if user.is_vendor:
        order.insert(0, case((KbQuestion.status == QuestionStatus.OPEN, 0), else_=1))
    return stmt.options(joinedload(KbQuestion.organization),
                        joinedload(KbQuestion.asked_by)).order_by(*order)


def recent_questions(user: User, limit: int = 5) -> list[KbQuestion]:
    return list(db.session.scalars(questions_query(user).limit(limit)))


def open_count() -> int:
    return db.session.scalar(select(func.count(KbQuestion.id)).where(
        KbQuestion.status == QuestionStatus.OPEN)) or 0


def messages_of(question: KbQuestion) -> list[KbMessage]:
    return list(db.session.scalars(select(KbMessage).where(
        KbMessage.question_id == question.id).order_by(KbMessage.created_at, KbMessage.id)))


def _clean(text: str, limit: int, empty: str) -> str:
    text = (text or "").strip()
    if not text:
        raise QuestionError(empty)
    if len(text) > limit:
        raise QuestionError(_("Keep it under %(n)d characters.", n=limit))
    return text


def ask(user: User, subject: str, body: str) -> KbQuestion:
    """A partner person opens a thread with the channel team (who are notified)."""
    if user.organization_id is None or user.is_vendor:
        raise QuestionError(_("Questions come from partner companies."))
    subject = " ".join(_clean(subject, SUBJECT_MAX, _("Say what it is about.")).split())
    body = _clean(body, BODY_MAX, _("Write your question."))
    now = utcnow()
    question = KbQuestion(organization_id=user.organization_id, asked_by_id=user.id,
                          subject=subject, status=QuestionStatus.OPEN, created_at=now,
                          updated_at=now)
    db.session.add(question)
    db.session.flush()
    db.session.add(KbMessage(question_id=question.id, author_id=user.id,
                             author_name=user.name, from_vendor=False, body=body,
                             created_at=now))
    from lms.kb import notices

    notices.asked(question, user, now)
    db.session.flush()
    return question


def reply(user: User, question: KbQuestion, body: str) -> KbMessage:
    """A message in the thread: from the channel team it answers the question (the asker is
    told); from the partner side it opens it again (the channel team is told)."""
    body = _clean(body, BODY_MAX, _("Write your message."))
    lock_row(KbQuestion, question.id)  # two replies at once: both kept, in order
    db.session.refresh(question)
    now = utcnow()
    vendor = user.is_vendor
    message = KbMessage(question_id=question.id, author_id=user.id, author_name=user.name,
                        from_vendor=vendor, body=body, created_at=now)
    db.session.add(message)
    question.status = QuestionStatus.ANSWERED if vendor else QuestionStatus.OPEN
    question.updated_at = now
    db.session.flush()
    from lms.kb import notices

    notices.replied(question, user, vendor, now)
    return message


def article_draft(question: KbQuestion, locale: str) -> str:
    """A draft article for content/kb/ from the thread: the question as its title, the
    channel team's answers as its text, for a writer to edit and commit."""
    answers = [m.body for m in messages_of(question) if m.from_vendor]
    body = "\n\n".join(answers) or _("(No answer yet.)")
    title = question.subject.replace("\\", "\\\\").replace('"', '\\"')
    return (f'+++\ntitle = "{title}"\ncategory = ""  # a category of kb/categories.toml\n'
            f'locale = "{locale}"\n+++\n{body}\n')

