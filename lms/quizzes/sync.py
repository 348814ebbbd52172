"""Import validated quiz files: a new QuizVersion whenever a file's content changes."""

from __future__ import annotations

from lms.extensions import db
from lms.markup import render_markdown
from lms.models import Quiz, QuizKind, QuizVersion, ReviewPolicy, utcnow
from lms.quizzes.loader import QuestionSpec, QuizSet, QuizSpec
from lms.sync import SyncReport, archive_missing, set_changed


def question_snapshot(question: QuestionSpec) -> dict:
    """A question as stored in a version (and copied into attempts): key included."""
    return {
        "id": question.id,
        "type": question.type,
        "prompt_html": render_markdown(question.prompt),
        "points": str(question.points),
        "options": list(question.options),
        "answer": question.answer,
        "answers": list(question.answers),
        "tolerance": question.tolerance,
        "explanation_html": render_markdown(question.explanation),
    }


def _version(quiz: Quiz, number: int, spec: QuizSpec) -> QuizVersion:
    return QuizVersion(
        quiz_id=quiz.id, number=number, content_hash=spec.content_hash, title=spec.title,
        pass_percent=spec.pass_percent, max_attempts=spec.max_attempts,
        cooldown_minutes=spec.cooldown_minutes, time_limit_minutes=spec.time_limit_minutes,
        draw=spec.draw, shuffle=spec.shuffle, review=ReviewPolicy(spec.review),
        questions=[question_snapshot(q) for q in spec.questions],
    )


def sync_quizzes(quizzes: QuizSet, report: SyncReport) -> None:
    """Create, version or archive quizzes; flushes, the caller commits."""
    now = utcnow()
    existing = {q.slug: q for q in db.session.scalars(db.select(Quiz))}
    current_hash = dict(db.session.execute(
        db.select(QuizVersion.quiz_id, QuizVersion.content_hash)
        .join(Quiz, (Quiz.id == QuizVersion.quiz_id)
              & (Quiz.current_version_number == QuizVersion.number))
    ).all())
    for spec in quizzes.quizzes:
        quiz = existing.get(spec.slug)
        fields = {"title": spec.title, "titles": dict(spec.titles), "kind": QuizKind(spec.kind),
                  "course_slug": spec.course}
        if quiz is None:
            quiz = Quiz(slug=spec.slug, created_at=now, **fields)
            db.session.add(quiz)
            db.session.flush()
            report.created.append(f"quiz {spec.slug}")
        else:
            changed = set_changed(quiz, **fields)
            if quiz.archived_at is not None:
                quiz.archived_at = None
                report.restored.append(f"quiz {spec.slug}")
            elif changed and current_hash.get(quiz.id) == spec.content_hash:
                report.updated.append(f"quiz {spec.slug}")
        if current_hash.get(quiz.id) != spec.content_hash:
            quiz.current_version_number += 1
            db.session.add(_version(quiz, quiz.current_version_number, spec))
            if quiz.current_version_number > 1:
                report.updated.append(f"quiz {spec.slug} (version {quiz.current_version_number})")
        else:
            report.unchanged += 1
    archive_missing(existing, (spec.slug for spec in quizzes.quizzes), now, report, "quiz ")
    db.session.flush()
