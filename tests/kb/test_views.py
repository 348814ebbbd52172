"""The knowledge base over HTTP: articles in the reader's language, search that folds
full-width and case, "was this helpful" (one answer per person, changeable), and questions to
the channel team, readable only by the asker, their partner admins and the channel team."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.kb.loader import load_kb
from lms.kb.service import sync_kb
from lms.models import (
    KbMessage,
    KbQuestion,
    KbVote,
    Notification,
    QuestionStatus,
    Role,
)
from lms.sync import SyncReport
from tests.factories import make_org, make_user, signed_in
from tests.kb.test_loader import CATEGORIES, write


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def sync(root: Path) -> SyncReport:
    kb = load_kb(root)
    assert kb.problems == []
    report = SyncReport()
    sync_kb(kb, report)
    db.session.commit()
    return report


@pytest.fixture
def articles(app, tmp_path) -> Path:
    root = tmp_path / "site"
    write(root, "categories.toml", CATEGORIES)
    write(root, "protection.md", '+++\ntitle = "How long is a registration protected?"\n'
                                 'category = "deals"\n+++\nAn approved **registration** '
                                 "protects you for 120 days.\n\n<script>alert(1)</script>\n")
    write(root, "protection.ja.md", '+++\ntitle = "登録の保護期間は？"\n+++\n'
                                    "承認された登録は 120 日間保護されます。\n")
    write(root, "next-tier.md", '+++\ntitle = "What do we need for Gold?"\ncategory = "tiers"'
                                '\n+++\nSee the scorecard.\n')
    sync(root)
    return root


@pytest.fixture
def alpha(app):
    org = make_org(slug="alpha", name="Alpha Systems K.K.")
    return {"org": org, "sales": make_user(Role.MEMBER, org, name="Sana Sales"),
            "colleague": make_user(Role.MEMBER, org, name="Coco Colleague"),
            "admin": make_user(Role.PARTNER_ADMIN, org, name="Akira Admin")}


# --- Reading and searching ------------------------------------------------------------------


def test_articles_are_listed_by_category_and_shown_safely(app, articles, alpha):
    client = signed_in(app, alpha["sales"])
    index = text_of(client.get("/kb"))
    assert index.index("Deal registration") < index.index("Tiers")
    assert "How long is a registration protected?" in index
    page = client.get("/kb/protection").get_data(as_text=True)
    assert "<strong>registration</strong>" in page and "<script>alert" not in page
    assert client.get("/kb/nope").status_code == 404


def test_the_reader_reads_their_language(app, articles, alpha):
    alpha["sales"].locale = "ja"
    db.session.commit()
    client = signed_in(app, alpha["sales"])
    assert "登録の保護期間は？" in text_of(client.get("/kb"))
    page = text_of(client.get("/kb/protection"))
    assert "120 日間保護されます" in page and 'lang="ja"' in page
    # An article without a translation is shown in its original.
    assert "See the scorecard." in text_of(client.get("/kb/next-tier"))


@pytest.mark.parametrize(("query", "found"), [
    ("REGISTRATION protected", ["How long is a registration protected?"]),
    ("ＲＥＧＩＳＴＲＡＴＩＯＮ", ["How long is a registration protected?"]),  # full-width
    ("保護", ["How long is a registration protected?"]),  # any language's text
    ("scorecard", ["What do we need for Gold?"]),
    ("120 gold", []),  # every word must match
    ("100%_", []),  # LIKE wildcards are plain characters
])
def test_search_folds_width_and_case_and_needs_every_word(app, articles, alpha, query, found):
    page = text_of(signed_in(app, alpha["sales"]).get("/kb", query_string={"q": query}))
    titles = ["How long is a registration protected?", "What do we need for Gold?"]
    results = page.split("Your questions")[0].split("Deal registration")[0]
    assert [t for t in titles if t in results] == found
    if not found:
        assert "Nothing matches every word" in page


def test_an_article_whose_file_is_gone_is_archived_and_not_shown(app, articles, alpha):
    (articles / "kb" / "next-tier.md").unlink()
    assert sync(articles).archived == ["kb next-tier"]
    client = signed_in(app, alpha["sales"])
    assert client.get("/kb/next-tier").status_code == 404
    assert "What do we need for Gold?" not in text_of(client.get("/kb"))


# --- Was this helpful -----------------------------------------------------------------------


def votes() -> list[tuple[int, bool]]:
    db.session.expire_all()
    return [(v.user_id, v.helpful) for v in db.session.scalars(select(KbVote))]


def test_one_answer_per_person_which_they_can_change(app, articles, alpha):
    client = signed_in(app, alpha["sales"])
    assert client.post("/kb/protection/vote", data={"helpful": "yes"}).status_code == 302
    assert votes() == [(alpha["sales"].id, True)]
    client.post("/kb/protection/vote", data={"helpful": "no"})
    assert votes() == [(alpha["sales"].id, False)]
    assert 'value="no" class="button button-primary" aria-pressed="true"' in \
        client.get("/kb/protection").get_data(as_text=True)
    assert client.post("/kb/protection/vote", data={"helpful": "maybe"}).status_code == 400
    assert client.post("/kb/nope/vote", data={"helpful": "yes"}).status_code == 404
    assert votes() == [(alpha["sales"].id, False)]


def test_the_channel_team_sees_what_helped(app, articles, alpha):
    signed_in(app, alpha["sales"]).post("/kb/protection/vote", data={"helpful": "yes"})
    signed_in(app, alpha["admin"]).post("/kb/protection/vote", data={"helpful": "no"})
    assert "1 found it helpful, 1 did not." in text_of(
        signed_in(app, make_user(Role.MANAGER)).get("/kb/protection"))
    assert "found it helpful" not in text_of(
        signed_in(app, alpha["sales"]).get("/kb/protection"))


# --- Questions ------------------------------------------------------------------------------


def ask(client, subject="Public-sector price?", body="A prefecture asked for 300 seats."):
    return client.post("/kb/questions/new", data={"subject": subject, "body": body})


def test_a_partner_asks_and_the_channel_team_is_told(app, articles, alpha):
    manager = make_user(Role.MANAGER)
    response = ask(signed_in(app, alpha["sales"]))
    question = db.session.scalar(select(KbQuestion))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/kb/questions/{question.id}"
    assert (question.organization_id, question.asked_by_id, question.status) == (
        alpha["org"].id, alpha["sales"].id, QuestionStatus.OPEN)
    [message] = db.session.scalars(select(KbMessage)).all()
    assert (message.body, message.from_vendor) == ("A prefecture asked for 300 seats.", False)
    [notice] = db.session.scalars(select(Notification)).all()
    assert (notice.user_id, notice.kind) == (manager.id, "kb_asked")
    assert "Public-sector price?" in text_of(signed_in(app, manager).get("/kb/questions"))


@pytest.mark.parametrize(("subject", "body", "message"), [
    ("", "Body", "Say what it is about."),
    ("Subject", "   ", "Write your question."),
    ("x" * 201, "Body", "Field cannot be longer than 200 characters."),
    ("Subject", "bad\x07char", "Remove the control characters"),
])
def test_a_question_without_its_parts_stores_nothing(app, articles, alpha, subject, body,
                                                     message):
    response = ask(signed_in(app, alpha["sales"]), subject, body)
    assert response.status_code == 400 and message in text_of(response)
    assert db.session.scalars(select(KbQuestion)).all() == []


def test_vendor_staff_answer_rather_than_ask(app, articles):
    assert ask(signed_in(app, make_user(Role.MANAGER))).status_code == 403
    assert db.session.scalars(select(KbQuestion)).all() == []


def test_an_answer_tells_the_asker_and_a_follow_up_tells_the_channel_team(app, articles,
                                                                           alpha):
    manager = make_user(Role.MANAGER, name="Mariko Manager")
    asker = signed_in(app, alpha["sales"])
    ask(asker)
    question = db.session.scalar(select(KbQuestion))
    staff = signed_in(app, manager)
    response = staff.post(f"/kb/questions/{question.id}/reply",
                          data={"body": "Yes: about 15% below list."})
    assert response.status_code == 302
    db.session.expire_all()
    assert question.status == QuestionStatus.ANSWERED
    answered = db.session.scalar(select(Notification).where(Notification.kind == "kb_answered"))
    assert answered.user_id == alpha["sales"].id
    page = text_of(asker.get(f"/kb/questions/{question.id}"))
    assert "Yes: about 15% below list." in page
    assert "<strong>Mariko Manager</strong> · channel team" in page

    asker.post(f"/kb/questions/{question.id}/reply", data={"body": "Thanks. And for 50?"})
    db.session.expire_all()
    assert question.status == QuestionStatus.OPEN
    assert len(db.session.scalars(select(Notification).where(
        Notification.kind == "kb_asked", Notification.user_id == manager.id)).all()) == 2
    staff_page = text_of(staff.get(f"/kb/questions/{question.id}"))
    assert "Alpha Systems K.K." in staff_page and "Download as a draft article" in staff_page
    empty = staff.post(f"/kb/questions/{question.id}/reply", data={"body": " "})
    assert empty.status_code == 400 and "Write your message." in text_of(empty)
    assert len(db.session.scalars(select(KbMessage)).all()) == 3


def test_another_companys_or_colleagues_question_is_not_there(app, articles, alpha):
    ask(signed_in(app, alpha["sales"]))
    question = db.session.scalar(select(KbQuestion))
    url = f"/kb/questions/{question.id}"
    other = make_user(Role.PARTNER_ADMIN, make_org(slug="beta"))
    for person in (other, alpha["colleague"]):
        client = signed_in(app, person)
        assert client.get(url).status_code == 404
        assert client.post(f"{url}/reply", data={"body": "Hijack"}).status_code == 404
        assert "Public-sector price?" not in text_of(client.get("/kb/questions"))
        assert client.get(f"{url}/article.md").status_code == 403
    assert len(db.session.scalars(select(KbMessage)).all()) == 1
    # The company's partner admin follows its people's questions.
    assert signed_in(app, alpha["admin"]).get(url).status_code == 200
    assert "Public-sector price?" in text_of(signed_in(app, alpha["admin"]).get("/kb/questions"))


def test_the_channel_team_turns_an_answer_into_a_draft_article(app, articles, alpha):
    ask(signed_in(app, alpha["sales"]), subject='The "public" price?')
    question = db.session.scalar(select(KbQuestion))
    staff = signed_in(app, make_user(Role.MANAGER))
    staff.post(f"/kb/questions/{question.id}/reply", data={"body": "About 15% below list."})
    response = staff.get(f"/kb/questions/{question.id}/article.md")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="question-{question.id}.md"'
    draft = response.get_data(as_text=True)
    assert draft.startswith('+++\ntitle = "The \\"public\\" price?"\n')
    assert "About 15% below list." in draft and "prefecture" not in draft
    # The draft is a valid article once its category is filled in.
    write(articles, "public-price.md", draft.replace('category = ""', 'category = "deals"'))
    assert [a.slug for a in load_kb(articles).articles if a.slug == "public-price"] == [
        "public-price"]


def test_the_channel_teams_list_pages_through_every_question(app, articles, alpha):
    from lms.kb import service
    from lms.kb.views import QUESTIONS_PER_PAGE

    for n in range(QUESTIONS_PER_PAGE + 1):
        service.ask(alpha["sales"], f"Question {n:03d}", "Text.")
    db.session.commit()
    staff = signed_in(app, make_user(Role.MANAGER))
    first, second = (text_of(staff.get("/kb/questions", query_string={"page": n}))
                     for n in (1, 2))
    assert "Page 1 of 2" in first and "Question 050" in first and "Question 000" not in first
    assert "Question 000" in second
    assert "Question 000" not in text_of(staff.get("/kb/questions?status=answered"))
