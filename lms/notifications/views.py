"""The inbox: a person's own notifications, newest first, each in the reader's language."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import update

from lms.auth.forms import ConfirmForm
from lms.database import saving, write_best_effort
from lms.i18n import gettext as _
from lms.models import Notification, utcnow
from lms.notifications import bp, service


@bp.route("/notifications")
@login_required
def inbox():
    locale = str(get_locale() or "en")
    items = [(n, service.message_of(n, locale)) for n in service.inbox(current_user)]
    return render_template("notifications/inbox.html", items=items, form=ConfirmForm())


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
