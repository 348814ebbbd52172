"""Notifying people: the record in the event's transaction, the inbox, and mail delivery.

`notify()` adds a notification to the session of the change that causes it, so both commit
or neither does. `deliver_due()` (the worker, every minute) mails what is due: it claims a
row with a conditional UPDATE (so two workers never mail the same row), sends it, records the
result, and on failure schedules a retry with backoff (lms.notifications.rules). A person's
language decides the mail's; the inbox shows each notification in the reader's of the day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from lms.clock import local_date
from lms.database import end_read_transaction, execute_dml, start_write_transaction
from lms.extensions import db
from lms.i18n import gettext as _
from lms.mail import MailError, deliver
from lms.models import Award, MailState, Notification, Role, User, utcnow
from lms.notifications import rules
from lms.notifications.messages import Message, render

log = logging.getLogger(__name__)
DELIVERY_BATCH = 100


def notify(user: User, key: str, category: str, kind: str, params: dict,
           now: datetime | None = None) -> Notification | None:
    """Record a notification for `user` in the current transaction, once per `key`: None
    when they were already told (or have no way to be: an inactive account)."""
    if not user.active:
        return None
    exists = db.session.scalar(select(Notification.id).where(
        Notification.user_id == user.id, Notification.key == key))
    if exists is not None:
        return None
    now = now or utcnow()
    notification = Notification(
        user_id=user.id, key=key, category=category, kind=kind, params=params,
        created_at=now, mail_next_at=now,
        mail_state=MailState.PENDING if user.email else MailState.NONE)
    try:
        with db.session.begin_nested():  # a racing twin inserted it first: told once
            db.session.add(notification)
    except IntegrityError:
        return None
    return notification


def message_of(notification: Notification, locale: str) -> Message:
    """What the notification says, in `locale` (forced, so gettext and dates follow)."""
    with force_locale(locale):
        return render(notification.kind, notification.params, locale)


# --- The inbox ------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(user: User, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def own(user: User, notification_id: int) -> Notification | None:
    """The notification, if it is `user`'s (anyone else's is as if it did not exist)."""
    return db.session.scalar(select(Notification).where(
        Notification.id == notification_id, Notification.user_id == user.id))


def mark_all_read(user: User, now: datetime | None = None) -> int:
    return execute_dml(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()))


# --- Events found by looking: certifications about to expire --------------------------------


@dataclass(frozen=True)
class Reminder:
    award: Award
    expires_at: datetime
    days: int  # the stage: 90, 60, 30 or 7


def due_reminders(now: datetime) -> list[Reminder]:
    """Valid, unrenewed certifications of active people with a reminder stage due now."""
    from lms.credentials.service import expiring_awards

    return [Reminder(award, award.expires_at, stage)
            for award in expiring_awards(now, rules.REMINDER_DAYS[0])
            if award.expires_at is not None
            and (stage := rules.reminder_stage(award.expires_at, now)) is not None]


def remind_expiring_credentials(now: datetime | None = None) -> int:
    """Notify holders and their partner admins of certifications entering a reminder stage
    (90, 60, 30, 7 days); how many notifications were written. Safe to run again."""
    now = now or utcnow()
    start_write_transaction()
    admins_of: dict[int, list[User]] = {}
    written = 0
    for reminder in due_reminders(now):
        award, holder = reminder.award, reminder.award.user
        credential = award.credential
        names = {"en": credential.name, **{
            locale: fields["name"] for locale, fields in (credential.translations or {}).items()
            if isinstance(fields, dict) and fields.get("name")}}
        expires = local_date(reminder.expires_at)
        params = {"award": award.id, "credential": names, "stage": reminder.days,
                  "days": (expires - local_date(now)).days, "expires": expires.isoformat()}
        key = f"credential-expiring:{award.id}:{reminder.days}"
        written += notify(holder, key, "credentials", "credential_expiring", params,
                          now) is not None
        if holder.organization_id is None:
            continue
        if holder.organization_id not in admins_of:
            admins_of[holder.organization_id] = list(db.session.scalars(select(User).where(
                User.organization_id == holder.organization_id,
                User.role == Role.PARTNER_ADMIN, User.active.is_(True))))
        for admin in admins_of[holder.organization_id]:
            if admin.id != holder.id:
                written += notify(admin, key, "credentials", "credential_expiring",
                                  {**params, "holder_name": holder.name}, now) is not None
    db.session.flush()
    return written


# --- Mail delivery (the outbox) -------------------------------------------------------------


def _claim(notification_id: int, now: datetime) -> bool:
    """Take the row for one delivery: False when another worker has it or it is done."""
    return execute_dml(update(Notification).where(
        Notification.id == notification_id, Notification.mail_state == MailState.PENDING,
        Notification.mail_next_at <= now).values(mail_next_at=now + rules.CLAIM)) == 1


def deliver_due(now: datetime | None = None) -> tuple[int, int]:
    """Mail every notification that is due; (sent, failed this time). Each is committed on
    its own, so a crash mails at most the one in hand again."""
    now = now or utcnow()
    due = list(db.session.scalars(select(Notification.id).where(
        Notification.mail_state == MailState.PENDING, Notification.mail_next_at <= now)
        .order_by(Notification.mail_next_at, Notification.id).limit(DELIVERY_BATCH)))
    end_read_transaction()
    sent = failed = 0
    for notification_id in due:
        start_write_transaction()
        claimed = _claim(notification_id, now)
        db.session.commit()  # a claim holds while the mail server answers
        if not claimed:
            continue  # another worker has it, or has sent it
        notification = db.session.get(Notification, notification_id)
        assert notification is not None
        ok = _send(notification, now)
        sent, failed = sent + ok, failed + (not ok)
        db.session.commit()
    return sent, failed


def _send(notification: Notification, now: datetime) -> bool:
    """Mail one claimed notification, outside any transaction (a slow mail server holds no
    lock), then record the outcome in a write transaction the caller commits."""
    user = notification.user
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    message = message_of(notification, locale)
    base = current_app.config["LMS_BASE_URL"]
    with force_locale(locale):
        body = _("%(body)s\n\n%(link)s\n\nYou receive this because you have a Partner "
                 "Academy account. All your notifications: %(inbox)s\n",
                 body=message.body, link=base + message.path, inbox=base + "/notifications")
    address, key = user.email, notification.key
    end_read_transaction()  # before the mail server is called: no lock held meanwhile
    error: MailError | None = None
    try:
        delivered = deliver(address, message.title, body,
                            {"X-Partner-Academy-Notification": key})
    except MailError as failure:
        error, delivered = failure, False
    start_write_transaction()
    db.session.refresh(notification)
    notification.mail_attempts += 1
    if error is not None:
        notification.mail_error = str(error)[:1000]
        retry = rules.next_attempt(notification.created_at, notification.mail_attempts, now)
        if retry is None:
            notification.mail_state = MailState.FAILED
            log.warning("gave up mailing notification %s: %s", notification.id, error)
        else:
            notification.mail_next_at = retry
        return False
    notification.mail_state = MailState.SENT if delivered else MailState.NONE
    notification.mail_sent_at = now if delivered else None
    notification.mail_error = None
    return True
