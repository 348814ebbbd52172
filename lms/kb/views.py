"""The knowledge base at /kb: categories and articles in the reader's language, search,
"was this helpful"; questions to the channel team, each a thread."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from lms.database import saving
from lms.extensions import db
from lms.formutil import page_arg
from lms.i18n import gettext as _
from lms.kb import bp, service
from lms.kb.forms import QuestionForm, ReplyForm, VoteForm
from lms.kb.service import QuestionError
from lms.markup import render_markdown
from lms.models import QuestionStatus
from lms.policy import vendor_required

QUESTIONS_PER_PAGE = 50


def _locale() -> str:
    return str(get_locale())


@bp.route("/kb")
@login_required
def index():
    query = request.args.get("q", "").strip()[:200]
    results = service.search(query) if query else None
    mine = [] if current_user.is_vendor else service.recent_questions(current_user)
    return render_template("kb/index.html", contents=service.contents(), query=query,
                           results=results, locale=_locale(), mine=mine,
                           open_count=service.open_count() if current_user.is_vendor
                           else 0)


@bp.route("/kb/<slug>")
@login_required
def article(slug: str):
    row = service.article(slug)
    if row is None:
        abort(404)
    title, body, language = service.text_of(row, _locale())
    category = next((c for c in service.contents() if c.id == row.category_id), None)
    votes = service.votes_of([row.id]).get(row.id, (0, 0)) \
        if current_user.is_vendor else None
    return render_template("kb/article.html", row=row, title=title, html=render_markdown(body),
                           language=language, category=category, locale=_locale(),
                           vote=service.vote_of(current_user, row), votes=votes,
                           form=VoteForm())


@bp.route("/kb/<slug>/vote", methods=["POST"])
@login_required
def vote(slug: str):
    row = service.article(slug)
    if row is None:
        abort(404)
    form = VoteForm()
    answer = request.form.get("helpful")
    if not form.validate_on_submit() or answer not in ("yes", "no"):
        abort(400)
    with saving():
        service.vote(current_user, row, answer == "yes")
    flash(_("Thank you: the channel team reads what helps."), "success")
    return redirect(url_for("kb.article", slug=slug))


# --- Questions ------------------------------------------------------------------------------


def _question_or_404(question_id: int):
    question = service.question_for(current_user, question_id)
    if question is None:
        abort(404)
    return question


@bp.route("/kb/questions")
@login_required
def questions():
    value = request.args.get("status")
    status = QuestionStatus(value) if value in {s.value for s in QuestionStatus} else None
    page = db.paginate(service.questions_query(current_user, status), page=page_arg(),
                       per_page=QUESTIONS_PER_PAGE, error_out=False)
    return render_template("kb/questions.html", page=page, questions=page.items,
                           status=status, vendor=current_user.is_vendor)


@bp.route("/kb/questions/new", methods=["GET", "POST"])
@login_required
def ask():
    if current_user.organization_id is None:
        abort(403)  # the channel team answers; it does not ask itself
    form = QuestionForm()
    if form.validate_on_submit():
        with saving(QuestionError, form=form) as saved:
            question = service.ask(current_user, form.subject.data, form.body.data)
        if saved.ok:
            flash(_("Sent to the channel team: you will be told when they answer."),
                  "success")
            return redirect(url_for("kb.question", question_id=question.id))
    status = 400 if request.method == "POST" else 200
    return render_template("kb/ask.html", form=form), status


@bp.route("/kb/questions/<int:question_id>")
@login_required
def question(question_id: int):
    row = _question_or_404(question_id)
    return render_template("kb/question.html", question=row,
                           messages=service.messages_of(row), form=ReplyForm(),
                           vendor=current_user.is_vendor)


@bp.route("/kb/questions/<int:question_id>/reply", methods=["POST"])
@login_required
def reply(question_id: int):
    row = _question_or_404(question_id)
    form = ReplyForm()
    if form.validate_on_submit():
        with saving(QuestionError, form=form) as saved:
            service.reply(current_user, row, form.body.data)
        if saved.ok:
            flash(_("Your message is in the thread."), "success")
            return redirect(url_for("kb.question", question_id=question_id))
    return render_template("kb/question.html", question=row,
                           messages=service.messages_of(row), form=form,
                           vendor=current_user.is_vendor), 400


@bp.route("/kb/questions/<int:question_id>/article.md")
@vendor_required
def article_draft(question_id: int):
    """The thread as a draft article for content/kb/ (a file to edit and commit)."""
    row = _question_or_404(question_id)
    text = service.article_draft(row, _locale())
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="question-{row.id}.md"'
    return response
