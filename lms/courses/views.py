"""Catalog, course, lesson, course files, and people's progress."""

from __future__ import annotations

from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_required

from lms.auth.forms import ConfirmForm
from lms.courses import bp, service
from lms.csvutil import csv_response
from lms.database import saving
from lms.extensions import db
from lms.i18n import gettext as _
from lms.labels import JOB_LABELS, TIER_LABELS
from lms.markup import video_embed_url
from lms.models import Organization, Role
from lms.policy import roles_required

COURSE_FILE_TYPES = {".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".mp4", ".webm", ".pdf"}
# Course files are the authors' own, but an SVG opened directly must still run nothing.
COURSE_FILE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src " \
                  "'unsafe-inline'; sandbox"


def _locale() -> str:
    return str(get_locale() or "en")


def _person():
    """The signed-in person, unwrapped once: the services read many of their attributes,
    and each read through Flask-Login's proxy looks the person up again."""
    return current_user._get_current_object()


@bp.route("/courses")
@login_required
def catalog():
    result = service.catalog(_person(), _locale(), request.args.get("q", ""))
    return render_template("courses/catalog.html", catalog=result)


@bp.route("/courses/<course_slug>")
@login_required
def course(course_slug: str):
    page = service.course_page(_person(), course_slug, _locale())
    if page is None:
        abort(404)
    return render_template("courses/course.html", page=page, card=page.card,
                           handoff=service.handoff(_person(), page, _locale()))


def _lesson_or_404(course_slug: str, lesson_slug: str):
    """The viewer's course page and the lesson (with its neighbours), or 404."""
    page = service.course_page(_person(), course_slug, _locale())
    if page is None:
        abort(404)
    found = service.find_lesson(page, lesson_slug)
    if found is None:
        abort(404)
    return page, found


@bp.route("/courses/<course_slug>/<lesson_slug>")
@login_required
def lesson(course_slug: str, lesson_slug: str):
    page, found = _lesson_or_404(course_slug, lesson_slug)
    if page.card.locked:
        flash(_("This course unlocks when you complete its prerequisites."), "info")
        return redirect(url_for("courses.course", course_slug=course_slug))
    current, previous, following = found
    service.record_view(current_user, current, page.last_viewed.get(current.id))
    video = current.video_url
    return render_template(
        "courses/lesson.html", page=page, lesson=current, previous=previous,
        following=following, completed=current.id in page.completed_lesson_ids,
        # Only on the last lesson: where to go once the course's lessons are done.
        handoff=service.handoff(_person(), page, _locale()) if following is None else None,
        video_embed=video_embed_url(video) if video else None,
        video_file=url_for("courses.course_file", course_slug=course_slug, filename=video)
        if video and not video_embed_url(video) else None,
        form=ConfirmForm(),
    )


@bp.route("/courses/<course_slug>/<lesson_slug>/complete", methods=["POST"])
@login_required
def complete_lesson(course_slug: str, lesson_slug: str):
    page, found = _lesson_or_404(course_slug, lesson_slug)
    if page.card.locked:
        abort(403)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    current, _previous, following = found
    with saving():
        service.mark_complete(current_user, current)
    if following is not None:
        return redirect(url_for("courses.lesson", course_slug=course_slug,
                                lesson_slug=following.slug))
    flash(_("You finished the last lesson of %(course)s.", course=page.card.course.title),
          "success")
    return redirect(url_for("courses.course", course_slug=course_slug))


@bp.route("/courses/<course_slug>/files/<path:filename>")
@login_required
def course_file(course_slug: str, filename: str):
    page = service.course_page(_person(), course_slug, _locale())
    if page is None:
        abort(404)
    if page.card.locked:
        abort(403)
    if Path(filename).suffix.lower() not in COURSE_FILE_TYPES:
        abort(404)
    folder = Path(current_app.config["LMS_CONTENT_DIR"]) / course_slug
    response = send_from_directory(folder, filename, max_age=3600,
                                   as_attachment=filename.lower().endswith(".pdf"))
    response.headers["Content-Security-Policy"] = COURSE_FILE_CSP
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.route("/courses/<course_slug>/cover")
@login_required
def course_cover(course_slug: str):
    """The course's cover image: shown on the catalog card even while the course is locked
    (it is a picture of the course, not its content), with the course files' headers."""
    course = service.structure().by_slug.get(course_slug)
    if course is None or course.cover is None:
        abort(404)
    folder = Path(current_app.config["LMS_CONTENT_DIR"]) / course_slug
    response = send_from_directory(folder, course.cover, max_age=3600)
    response.headers["Content-Security-Policy"] = COURSE_FILE_CSP
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _company(org_slug: str) -> Organization:
    org = db.session.scalar(db.select(Organization).where(Organization.slug == org_slug))
    # A partner admin reaches only their own company; any other answers as if it did not exist.
    if org is None or (current_user.role == Role.PARTNER_ADMIN
                       and org.id != current_user.organization_id):
        abort(404)
    return org


def _people_page(org: Organization):
    report = service.people_progress(org)
    stalled_only = request.args.get("stalled") == "1"
    return render_template("courses/people_progress.html", report=report,
                           people=report.stalled if stalled_only else report.people,
                           stalled_only=stalled_only)


def _people_csv(org: Organization):
    report = service.people_progress(org)
    header = [_("Person"), _("Email"), _("Job function"), _("Onboarding steps done"),
              _("Onboarding steps"), _("Onboarding stalled"), _("Last learning"),
              _("Valid credentials")]
    header += [group.title for group in report.groups]
    rows = []
    for person in report.people:
        path = report.onboarding[person.id]
        row: list[object] = [
            person.name, person.email,
            str(JOB_LABELS[person.job_function.value]) if person.job_function else "",
            path.steps_done, path.steps_total, _("yes") if path.stalled else "",
            path.last_activity.date().isoformat() if path.last_activity else "",
            report.credentials.get(person.id, 0)]
        row += [_("Complete") if report.complete(person, group)
                else f"{report.percent(person, group)}%" for group in report.groups]
        rows.append(row)
    return csv_response(f"progress-{org.slug}.csv", header, rows)


@bp.route("/progress")
@roles_required(Role.PARTNER_ADMIN, Role.MANAGER, Role.ADMIN)
def progress():
    if current_user.role == Role.PARTNER_ADMIN:
        return _people_page(current_user.organization)
    groups, rows = service.partners_progress()
    return render_template("courses/partners_progress.html", groups=groups, rows=rows)


@bp.route("/progress.csv")
@roles_required(Role.PARTNER_ADMIN, Role.MANAGER, Role.ADMIN)
def progress_csv():
    if current_user.role == Role.PARTNER_ADMIN:
        return _people_csv(current_user.organization)
    groups, rows = service.partners_progress()
    header = [_("Partner"), _("Slug"), _("Tier"), _("People")]
    header += [_("%(course)s: completed", course=group.title) for group in groups]
    return csv_response("progress-partners.csv", header, [
        [row.organization.name, row.organization.slug,
         str(TIER_LABELS[row.organization.tier.value]), row.people,
         *(row.completed[group.slug] for group in groups)] for row in rows])


@bp.route("/progress/<org_slug>")
@roles_required(Role.PARTNER_ADMIN, Role.MANAGER, Role.ADMIN)
def organization_progress(org_slug: str):
    return _people_page(_company(org_slug))


@bp.route("/progress/<org_slug>.csv")
@roles_required(Role.PARTNER_ADMIN, Role.MANAGER, Role.ADMIN)
def organization_progress_csv(org_slug: str):
    return _people_csv(_company(org_slug))
