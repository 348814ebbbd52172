"""Notifying people: the record in the event's transaction, the inbox, and mail delivery.

`notify()` adds a notification to the session of the change that causes it, so both commit
or neither does. `deliver_due()` (the worker, every minute) mails what is due: it claims a
row with a conditional UPDATE (so two workers never mail the same row), sends it, records the
result, and on failure schedules a retry with backoff (lms.notifications.rules). A person's
language decides the mail's; the inbox shows each notification in the reader's of the day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from lms.clock import local_date, program_zone
from lms.database import end_read_transaction, execute_dml, start_write_transaction
from lms.event_data import award_data
from lms.events import publish
from lms.extensions import db
from lms.i18n import gettext as _
from lms.mail import MailError, deliver
from lms.models import Award, MailState, Notification, NotificationSettings, Role, User, utcnow
from lms.notifications import rules
from lms.notifications.messages import CATEGORIES, CATEGORY_LABELS, Message, render

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
    notification = _new(user, key, category, kind, params, now or utcnow())
    try:
        with db.session.begin_nested():  # a racing twin inserted it first: told once
            db.session.add(notification)
    except IntegrityError:
        return None
    return notification


def _new(user: User, key: str, category: str, kind: str, params: dict,
         now: datetime) -> Notification:
    """The row of one notification: its mail due now, or none without an address."""
    return Notification(user_id=user.id, key=key, category=category, kind=kind,
                        params=params, created_at=now, mail_next_at=now,
                        mail_state=MailState.PENDING if user.email else MailState.NONE)


def partner_admins(organization_id: int | None) -> list[User]:
    """The active partner admins of a company (none for vendor staff)."""
    if organization_id is None:
        return []
    return list(db.session.scalars(select(User).where(
        User.organization_id == organization_id, User.role == Role.PARTNER_ADMIN,
        User.active.is_(True)).order_by(User.id)))


def partner_admins_of(organization_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active partner admins of many companies, in one query, by company."""
    ids = list(organization_ids)
    admins: dict[int, list[User]] = {}
    for start in range(0, len(ids), 500):
        for user in db.session.scalars(select(User).where(
                User.organization_id.in_(ids[start:start + 500]),
                User.role == Role.PARTNER_ADMIN, User.active.is_(True)).order_by(User.id)):
            if user.organization_id is not None:
                admins.setdefault(user.organization_id, []).append(user)
    return admins


def managers() -> list[User]:
    """The active channel managers: who decides on deals and tiers."""
    return list(db.session.scalars(select(User).where(
        User.role == Role.MANAGER, User.active.is_(True)).order_by(User.id)))


class Audience:
    """Who hears of events, each group looked up once per run (an import of thousands of
    deals asks for the same company's admins again and again)."""

    def __init__(self) -> None:
        self._admins: dict[int | None, list[User]] = {}
        self._managers: list[User] | None = None

    def partner_admins(self, organization_id: int | None) -> list[User]:
        if organization_id not in self._admins:
            self._admins[organization_id] = partner_admins(organization_id)
        return self._admins[organization_id]

    def managers(self) -> list[User]:
        if self._managers is None:
            self._managers = managers()
        return self._managers


def notify_all(users: Iterable[User | None], key: str, category: str, kind: str,
               params: dict, now: datetime | None = None) -> int:
    """`notify` each person once (a person named twice, or None, is skipped); how many were
    written."""
    seen: set[int] = set()
    written = 0
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        written += notify(user, key, category, kind, params, now) is not None
    return written


class Batch:
    """Notifications of a bulk change (an import of thousands of deals), written together by
    `write()`: one query for those already told, one flush, instead of two per person. A
    racing twin makes the flush fail (IntegrityError): the bulk change is then retried."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or utcnow()
        self._pending: dict[tuple[int, str], Notification] = {}

    def add(self, users: Iterable[User | None], key: str, category: str, kind: str,
            params: dict) -> None:
        for user in users:
            if user is None or not user.active or (user.id, key) in self._pending:
                continue
            self._pending[(user.id, key)] = _new(user, key, category, kind, params, self.now)

    def write(self) -> int:
        """Add what is new to the session and flush; how many were written."""
        keys = sorted({key for _user, key in self._pending})
        told: set[tuple[int, str]] = set()
        for start in range(0, len(keys), 500):
            told.update((user_id, key) for user_id, key in db.session.execute(
                select(Notification.user_id, Notification.key)
                .where(Notification.key.in_(keys[start:start + 500]))))
        new = [n for pair, n in self._pending.items() if pair not in told]
        db.session.add_all(new)
        db.session.flush()
        self._pending.clear()
        return len(new)


def names_of(name: str, translations: dict | None) -> dict[str, str]:
    """A content name in every language it has: {"en": original, "ja": ...}."""
    return {"en": name, **{locale: fields["name"] for locale, fields in
                           (translations or {}).items()
                           if isinstance(fields, dict) and fields.get("name")}}


def message_of(notification: Notification, locale: str) -> Message:
    """What the notification says, in `locale` (forced, so gettext and dates follow)."""
    with force_locale(locale):
        return render(notification.kind, notification.params, locale)


# --- The inbox ------------------------------------------------------------------------------


def inbox_query(user: User):
    """The person's notifications, newest first (the inbox pages through it)."""
    return (select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


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
    audience = Audience()
    written = 0
    for reminder in due_reminders(now):
        award, holder = reminder.award, reminder.award.user
        credential = award.credential
        names = names_of(credential.name, credential.translations)
        expires = local_date(reminder.expires_at)
        params = {"award": award.id, "credential": names, "stage": reminder.days,
                  "days": (expires - local_date(now)).days, "expires": expires.isoformat()}
        key = f"credential-expiring:{award.id}:{reminder.days}"
        told = notify(holder, key, "credentials", "credential_expiring", params, now)
        if told is None:
            continue  # this stage was handled before (or the holder left)
        written += 1
        publish("credential.expiring", {**award_data(award), "days_left": params["days"]})
        written += notify_all(
            (admin for admin in audience.partner_admins(holder.organization_id)
             if admin.id != holder.id),
            key, "credentials", "credential_expiring", {**params, "holder_name": holder.name},
            now)
    db.session.flush()
    return written


# --- Preferences and unsubscribing -------------------------------------------------------


def settings_of(user: User) -> NotificationSettings:
    """The person's mail choices (defaults, not yet saved, when they never chose)."""
    found = db.session.get(NotificationSettings, user.id)
    return found or NotificationSettings(user_id=user.id, muted=[], digest=False)


def save_settings(user: User, muted: Iterable[str], digest: bool,
                  now: datetime | None = None) -> NotificationSettings:
    """Record the person's choices; unknown categories are refused (ValueError)."""
    muted = sorted(set(muted))
    unknown = [c for c in muted if c not in CATEGORIES and c != rules.ALL_CATEGORIES]
    if unknown:
        raise ValueError(f"unknown notification categories: {', '.join(unknown)}")
    start_write_transaction()
    settings = db.session.get(NotificationSettings, user.id, with_for_update=True)
    if settings is None:
        try:  # PostgreSQL: two first saves at once (a double click) both found no row
            with db.session.begin_nested():
                settings = NotificationSettings(user_id=user.id)
                db.session.add(settings)
        except IntegrityError:
            settings = db.session.get_one(NotificationSettings, user.id, with_for_update=True,
                                          populate_existing=True)
    settings.muted, settings.digest, settings.updated_at = muted, digest, now or utcnow()
    db.session.flush()
    return settings


def mute(user: User, category: str) -> NotificationSettings:
    """Stop the mail of one category (or of every one, rules.ALL_CATEGORIES)."""
    current = settings_of(user)
    muted = [*CATEGORIES] if category == rules.ALL_CATEGORIES else [*current.muted, category]
    return save_settings(user, muted, current.digest)


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="notifications-unsubscribe")


def unsubscribe_token(user: User, category: str) -> str:
    """A token for a mail's unsubscribe link: it names the person and the category, and it
    never expires (a link in an old mail must still work)."""
    return _unsubscribe_serializer().dumps([user.id, category])


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The person and category of a valid token, None for anything else."""
    try:
        user_id, category = _unsubscribe_serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    if category not in CATEGORIES and category != rules.ALL_CATEGORIES:
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return (user, category) if user is not None else None


# --- Mail delivery (the outbox) -------------------------------------------------------------


def _claim(notification_id: int, now: datetime) -> bool:
    """Take the row for one delivery: False when another worker has it or it is done."""
    return execute_dml(update(Notification).where(
        Notification.id == notification_id, Notification.mail_state == MailState.PENDING,
        Notification.mail_next_at <= now).values(mail_next_at=now + rules.CLAIM)) == 1


def deliver_due(now: datetime | None = None) -> tuple[int, int]:
    """Mail every notification that is due, as its recipient chose (at once, in the daily
    digest, or not at all); (mails sent, failed this time). Each mail is committed on its
    own, so a crash mails at most the one in hand again."""
    now = now or utcnow()
    due = db.session.execute(select(Notification.id, Notification.user_id).where(
        Notification.mail_state == MailState.PENDING, Notification.mail_next_at <= now)
        .order_by(Notification.mail_next_at, Notification.id).limit(DELIVERY_BATCH)).all()
    end_read_transaction()
    by_user: dict[int, list[int]] = {}
    for notification_id, user_id in due:
        by_user.setdefault(user_id, []).append(notification_id)
    sent = failed = 0
    for ids in by_user.values():
        start_write_transaction()
        claimed = [i for i in ids if _claim(i, now)]
        db.session.commit()  # a claim holds while the mail server answers
        if not claimed:
            continue  # another worker has them, or has sent them
        held = list(db.session.scalars(select(Notification).where(
            Notification.id.in_(claimed)).order_by(Notification.created_at, Notification.id)))
        settings = settings_of(held[0].user)
        mails: list[list[Notification]] = []
        digest: list[Notification] = []
        for notification in held:
            choice = rules.mail_choice(notification.category, settings.muted, settings.digest)
            if choice == "muted":
                notification.mail_state, notification.mail_error = MailState.NONE, None
            elif choice == "digest" and not notification.mail_digest:
                notification.mail_digest = True  # held for the next digest
                notification.mail_next_at = rules.next_digest(now, program_zone())
            elif choice == "digest":
                digest.append(notification)
            else:
                mails.append([notification])
        db.session.commit()  # the muted and the held are settled; the rest are mailed
        for mail in [*mails, *([digest] if digest else [])]:
            ok = _send(mail, now)
            sent, failed = sent + ok, failed + (not ok)
            db.session.commit()
    return sent, failed


def _mail(user: User, notifications: list[Notification]) -> tuple[str, str, dict[str, str]]:
    """Subject, body and headers of one mail (a digest when several), in the recipient's
    language, with its unsubscribe links (RFC 8058 one-click in the headers)."""
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    base = current_app.config["LMS_BASE_URL"]
    categories = sorted({n.category for n in notifications})
    one = len(notifications) == 1
    stop = unsubscribe_token(user, categories[0] if one else rules.ALL_CATEGORIES)
    stop_url = f"{base}/notifications/unsubscribe/{stop}"
    with force_locale(locale):
        messages = [message_of(n, locale) for n in notifications]
        footer = _("You receive this because you have a Partner Academy account. All your "
                   "notifications: %(inbox)s\nChoose which mail you get: %(settings)s",
                   inbox=base + "/notifications", settings=base + "/notifications/settings")
        stops = "\n".join(
            _("Stop mail about %(category)s: %(link)s", category=CATEGORY_LABELS[category],
              link=f"{base}/notifications/unsubscribe/{unsubscribe_token(user, category)}")
            for category in categories)
        if one:
            subject = messages[0].title
            text = f"{messages[0].body}\n\n{base}{messages[0].path}"
        else:
            subject = _("Partner Academy: %(n)d new notifications", n=len(messages))
            text = "\n\n".join(f"* {m.title}\n  {base}{m.path}" for m in messages)
        body = f"{text}\n\n-- \n{footer}\n{stops}\n"
    key = notifications[0].key if one else f"digest:{notifications[0].id}"
    return subject, body, {"X-Partner-Academy-Notification": key,
                           "List-Unsubscribe": f"<{stop_url}>",
                           "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _send(notifications: list[Notification], now: datetime) -> bool:
    """Mail claimed notifications of one person (a digest when several), outside any
    transaction (a slow mail server holds no lock), then record the outcome on each in a
    write transaction the caller commits."""
    user = notifications[0].user
    subject, body, headers = _mail(user, notifications)
    address = user.email
    end_read_transaction()  # before the mail server is called: no lock held meanwhile
    error: MailError | None = None
    try:
        delivered = deliver(address, subject, body, headers)
    except MailError as failure:
        error, delivered = failure, False
    start_write_transaction()
    for notification in notifications:
        db.session.refresh(notification)
        notification.mail_attempts += 1
        if error is not None:
            notification.mail_error = str(error)[:1000]
            first = (rules.digest_first_tried(notification.created_at)
                     if notification.mail_digest else notification.created_at)
            retry = rules.next_attempt(first, notification.mail_attempts, now)
            if retry is None:
                notification.mail_state = MailState.FAILED
                log.warning("gave up mailing notification %s: %s", notification.id, error)
            else:
                notification.mail_next_at = retry
            continue
        notification.mail_state = MailState.SENT if delivered else MailState.NONE
        notification.mail_sent_at = now if delivered else None
        notification.mail_error = None
    return error is None
