"""Quizzes and exams: list, intro, taking an attempt, result."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required

from lms.auth.forms import ConfirmForm
from lms.credentials import service as credentials
from lms.credentials.standing import HeldStatus
from lms.csvutil import csv_response
from lms.database import saving
from lms.extensions import db
from lms.formutil import parse_id
from lms.i18n import gettext as _
from lms.i18n import lazy_gettext as _l
from lms.models import Quiz, QuizKind, utcnow
from lms.policy import vendor_required
from lms.quizzes import bp, service
from lms.quizzes.scoring import QUESTION_TYPES

FLAG_LABELS = {"too_easy": _l("too easy"), "too_hard": _l("too hard"),
               "weak_discrimination": _l("does not discriminate")}


def _locale() -> str:
    return str(get_locale() or "en")


def _form_values() -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form if key.startswith("q-")}


@bp.route("/quizzes")
@login_required
def quiz_list():
    quizzes = list(db.session.scalars(db.select(Quiz).where(
        Quiz.archived_at.is_(None), Quiz.current_version_number > 0).order_by(Quiz.kind,
                                                                               Quiz.title)))
    best = service.best_attempts([current_user.id], [q.id for q in quizzes])
    passed = service.passed_pairs([current_user.id], [q.id for q in quizzes])
    return render_template("quizzes/list.html", quizzes=quizzes, best=best, passed=passed,
                           kinds=list(QuizKind),
                           holdings=credentials.holdings_by_quiz(current_user,
                                                                 locale=_locale()))


@bp.route("/quizzes/<slug>", methods=["GET", "POST"])
@login_required
def quiz(slug: str):
    quiz = service.active_quiz(slug)
    if quiz is None:
        abort(404)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        with saving(service.QuizError) as saved:
            attempt = service.start_attempt(current_user, quiz)
        if not saved.ok:
            return redirect(url_for("quizzes.quiz", slug=slug))
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    now = utcnow()
    attempts = service.attempts_of(current_user, quiz)
    expired = [a for a in attempts if a.is_open and service.is_past_deadline(a, now)]
    if expired:
        with saving():
            for overdue in expired:
                service.close_if_expired(overdue, now)
    version = service.current_version(quiz)
    if version is None:
        abort(404)
    standings = credentials.quiz_standings(current_user, quiz.slug, _locale())
    info = service.availability(current_user, quiz, version, attempts, now, standings)
    return render_template(
        "quizzes/quiz.html", quiz=quiz, version=version, attempts=attempts, form=form,
        info=info, standings=standings, now=now,
        holding=next((s for s in standings
                      if s.held_status(now) == HeldStatus.VALID), None),
        outcomes=service.after_pass(standings, now) if info.passed else [],
        question_count=min(version.draw or len(version.questions), len(version.questions)),
    )


def _own_attempt_or_404(attempt_id: int):
    attempt = service.own_attempt(current_user, attempt_id)
    if attempt is None:
        abort(404)
    if attempt.is_open and service.is_past_deadline(attempt, utcnow()):
        with saving():
            service.close_if_expired(attempt)
    return attempt


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    attempt = _own_attempt_or_404(attempt_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        with saving():
            service.submit_attempt(current_user, attempt_id, _form_values())
        return redirect(url_for("quizzes.result", attempt_id=attempt_id))
    if not attempt.is_open:
        return redirect(url_for("quizzes.result", attempt_id=attempt_id))
    # The time left as the server counts it: the page's clock does not depend on the device's.
    seconds_left = None if attempt.deadline_at is None else max(
        0, int((attempt.deadline_at - utcnow()).total_seconds()))
    return render_template("quizzes/attempt.html", attempt=attempt, form=ConfirmForm(),
                           answers=attempt.answers or {}, question_types=QUESTION_TYPES,
                           seconds_left=seconds_left)


@bp.route("/attempts/<int:attempt_id>/answers", methods=["POST"])
@login_required
def save_answers(attempt_id: int):
    attempt = _own_attempt_or_404(attempt_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    with saving():
        stored = service.save_answers(attempt, _form_values())
    if request.accept_mimetypes.best == "application/json":
        return jsonify(saved=stored), 200 if stored else 409
    if stored:
        flash(_("Your answers are saved."), "success")
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    flash(_("This attempt is closed: nothing more can be saved."), "error")
    return redirect(url_for("quizzes.result", attempt_id=attempt_id))


@bp.route("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = _own_attempt_or_404(attempt_id)
    if attempt.is_open:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt_id))
    now = utcnow()
    return render_template("quizzes/result.html", now=now,
                           result=service.result_of(current_user, attempt, now, _locale()))


# --- Statistics for managers and admins ---------------------------------------------------


@bp.route("/admin/quizzes")
@vendor_required
def statistics_list():
    quizzes = list(db.session.scalars(db.select(Quiz).order_by(Quiz.kind, Quiz.title)))
    return render_template("quizzes/statistics_list.html", quizzes=quizzes)


def _statistics_or_404(slug: str):
    quiz = db.session.scalar(db.select(Quiz).where(Quiz.slug == slug))
    asked = request.args.get("version")
    version = parse_id(asked)
    result = service.version_statistics(quiz, version) if quiz and not (
        asked and version is None) else None
    if result is None:
        abort(404)
    return result


@bp.route("/admin/quizzes/<slug>")
@vendor_required
def statistics(slug: str):
    return render_template("quizzes/statistics.html", report=_statistics_or_404(slug),
                           flag_labels=FLAG_LABELS)


@bp.route("/admin/quizzes/<slug>.csv")
@vendor_required
def statistics_csv(slug: str):
    report = _statistics_or_404(slug)
    rows = []
    for q in report.statistics.questions:
        text = report.questions.get(q.question_id, {})
        rows.append([
            q.question_id, text.get("type", ""), q.attempts,
            "" if q.facility is None else f"{q.facility:.1f}",
            "" if q.discrimination is None else f"{q.discrimination:.1f}",
            " ".join(q.flags),
            "; ".join(f"{option or '(no answer)'}: {count}"
                      for option, count in q.option_counts.items()),
        ])
    return csv_response(
        f"{report.quiz.slug}-v{report.version.number}-statistics.csv",
        ["question", "type", "attempts", "facility_percent", "discrimination_index", "flags",
         "answers_chosen"], rows)
