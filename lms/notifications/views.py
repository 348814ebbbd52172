"""The inbox: a person's own notifications, newest first, each in the reader's language."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import update

from lms.auth.forms import ConfirmForm
from lms.database import saving, write_best_effort
from lms.extensions import csrf, db
from lms.formutil import page_arg
from lms.i18n import gettext as _
from lms.models import Notification, utcnow
from lms.notifications import bp, service
from lms.notifications.forms import SettingsForm
from lms.notifications.messages import CATEGORIES, CATEGORY_LABELS

PAGE_SIZE = 25


@bp.route("/notifications")
@login_required
def inbox():
    locale = str(get_locale() or "en")
    page = db.paginate(service.inbox_query(current_user), page=page_arg(), per_page=PAGE_SIZE,
                       max_per_page=PAGE_SIZE)
    items = [(n, service.message_of(n, locale)) for n in page.items]
    return render_template("notifications/inbox.html", items=items, page=page,
                           form=ConfirmForm())


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    """Marks it read and goes where it asks to act; someone else's is not found."""
    notification = service.own(current_user, notification_id)
    if notification is None:
        abort(404)
    message = service.message_of(notification, str(get_locale() or "en"))
    if notification.read_at is None:
        write_best_effort(update(Notification).where(Notification.id == notification.id,
                                                     Notification.read_at.is_(None))
                          .values(read_at=utcnow()))
    return redirect(message.path)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read():
    form = ConfirmForm()
    if form.validate_on_submit():
        with saving() as saved:
            service.mark_all_read(current_user)
        if saved.ok:
            flash(_("Every notification is marked read."), "success")
    return redirect(url_for("notifications.inbox"))


# --- Mail choices and unsubscribing ---------------------------------------------------------


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = SettingsForm()
    if form.validate_on_submit():
        muted = [c for c in CATEGORIES if not form[c].data]
        with saving() as saved:
            service.save_settings(current_user, muted, form.delivery.data == "digest")
        if saved.ok:
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.settings"))
    elif not form.is_submitted():
        chosen = service.settings_of(current_user)
        for category in CATEGORIES:
            form[category].data = category not in chosen.muted
        form.delivery.data = "digest" if chosen.digest else "now"
    return render_template("notifications/settings.html", form=form), \
        400 if form.errors else 200


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # the signed token is the authority: a mail client's one-click POST has no form
def unsubscribe(token: str):
    """A mail's unsubscribe link: GET asks (link checkers must not unsubscribe anyone),
    POST stops that category's mail, from the page or a mail client (RFC 8058)."""
    found = service.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    person, category = found
    done = False
    if request.method == "POST":
        with saving() as saved:
            service.mute(person, category)
        done = saved.ok
    return render_template("notifications/unsubscribe.html", token=token, done=done,
                           category=CATEGORY_LABELS[category], email=person.email)
