"""Demo environments: requests within the tier's quota, decisions, provisioning through
an adapter, the sign-in details shown once, extensions, expiry and reminders.

Services flush, never commit (lms.database.saving commits), except the calls to a
provisioning API (`provision`, `deprovision`), which end the transaction before the call
so no lock is held while the vendor's system answers, and write its answer in a new one.
Requests lock the company (lms.database.lock_row): two sent at once take turns, so the
quota holds on SQLite as on PostgreSQL. Every later step locks the environment's row and
re-reads it, so two managers (or a manager and the expiry job) never both act on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, Select, case, func, select, update
from sqlalchemy.orm import joinedload

from lms import secretbox
from lms.database import execute_dml, lock_row, start_write_transaction
from lms.environments import adapters, notices, rules
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import (
    HOLDING_QUOTA,
    Deal,
    DealStatus,
    DemoEnvironment,
    DemoEnvironmentEvent,
    EnvironmentStatus,
    Organization,
    Role,
    User,
    utcnow,
)
from lms.policy import own_or_company
from lms.tiers.service import program_in_force

MAX_PURPOSE = 2000
MAX_NOTE = 2000
OPEN_DEALS = (DealStatus.REGISTERED, DealStatus.APPROVED)  # what a request may name
# How long the job keeps asking the provisioning API to remove a system it has not confirmed.
REMOVAL_RETRIES = timedelta(days=7)


class DemoEnvError(ValueError):
    """A step on a demo environment that cannot be taken; the message is for people."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _box():
    return secretbox.current(current_app)


# --- Quotas ---------------------------------------------------------------------------------


def holding(organization_id: int, now: datetime | None = None) -> int:
    """The company's environments that take a place: requested, being set up, or in use and
    not past their end (the expiry job may not have run yet)."""
    return db.session.scalar(select(func.count(DemoEnvironment.id)).where(
        DemoEnvironment.organization_id == organization_id,
        DemoEnvironment.status.in_(HOLDING_QUOTA),
        (DemoEnvironment.status != EnvironmentStatus.READY)
        | (DemoEnvironment.expires_at > (now or utcnow())))) or 0


def quota_of(organization: Organization) -> rules.Quota:
    benefits = program_in_force().benefits.of(organization.tier.value)
    return rules.Quota(benefits.demo_environments or 0, holding(organization.id),
                       benefits.demo_auto_approve)


# --- Reading --------------------------------------------------------------------------------


def visible(user: User) -> Select:
    """The environments `user` may see: vendor staff all, a partner admin the company's,
    anyone else their own requests."""
    return own_or_company(select(DemoEnvironment), DemoEnvironment.organization_id,
                          DemoEnvironment.requested_by_id, user)


def environment_for(user: User, environment_id: int) -> DemoEnvironment | None:
    return db.session.scalar(visible(user).where(DemoEnvironment.id == environment_id).options(
        joinedload(DemoEnvironment.organization), joinedload(DemoEnvironment.requested_by),
        joinedload(DemoEnvironment.deal)))


def environments_query(user: User, status: EnvironmentStatus | None = None) -> Select:
    """Newest first; for the channel team, what waits for it first."""
    stmt = visible(user)
    if status is not None:
        stmt = stmt.where(DemoEnvironment.status == status)
    order: list[ColumnElement] = [DemoEnvironment.updated_at.desc(), DemoEnvironment.id.desc()]
    if user.is_vendor:
        order.insert(0, case(
            (DemoEnvironment.status.in_((EnvironmentStatus.REQUESTED,
                                         EnvironmentStatus.PROVISIONING)), 0),
            (DemoEnvironment.extension_days.is_not(None), 0), else_=1))
    return stmt.options(joinedload(DemoEnvironment.organization),
                        joinedload(DemoEnvironment.requested_by)).order_by(*order)


def waiting_count() -> int:
    """Requests, set-ups and extensions waiting for the channel team."""
    return db.session.scalar(select(func.count(DemoEnvironment.id)).where(
        DemoEnvironment.status.in_((EnvironmentStatus.REQUESTED,
                                    EnvironmentStatus.PROVISIONING))
        | DemoEnvironment.extension_days.is_not(None))) or 0


def events_of(environment: DemoEnvironment) -> list[DemoEnvironmentEvent]:
    return list(db.session.scalars(
        select(DemoEnvironmentEvent).where(DemoEnvironmentEvent.environment_id == environment.id)
        .options(joinedload(DemoEnvironmentEvent.actor))
        .order_by(DemoEnvironmentEvent.at, DemoEnvironmentEvent.id)))


def company_deals(organization_id: int, limit: int = 200) -> list[Deal]:
    """The company's open deals a request can name, newest first."""
    return list(db.session.scalars(
        select(Deal).where(Deal.organization_id == organization_id,
                           Deal.status.in_(OPEN_DEALS))
        .order_by(Deal.registered_at.desc(), Deal.id.desc()).limit(limit)))


def url_of(environment: DemoEnvironment, now: datetime | None = None) -> str | None:
    """The system's address while the environment is in use."""
    if environment.status != EnvironmentStatus.READY or environment.url_box is None \
            or is_past(environment, now):
        return None
    return secretbox.open_sealed(_box(), environment.url_box)


def is_past(environment: DemoEnvironment, now: datetime | None = None) -> bool:
    """In use no more, even before the expiry job has run."""
    return environment.expires_at is not None and environment.expires_at <= (now or utcnow())


def may_manage(user: User, environment: DemoEnvironment) -> bool:
    """The requester and the company's partner admins act on it (extend, return)."""
    return environment.organization_id == user.organization_id and (
        user.id == environment.requested_by_id or user.role == Role.PARTNER_ADMIN)


# --- Steps ----------------------------------------------------------------------------------


def _event(environment: DemoEnvironment, actor: User | None, before: EnvironmentStatus | None,
           action: str, note: str = "", result: adapters.CallResult | None = None,
           now: datetime | None = None) -> None:
    db.session.add(DemoEnvironmentEvent(
        environment_id=environment.id, actor_id=actor.id if actor else None,
        at=now or environment.updated_at, from_status=before, to_status=environment.status,
        action=action, note=note,
        answer_status=result.status_code if result else None,
        answer_body=(result.body or result.error) if result and not result.ok else None))


def _lock(environment: DemoEnvironment, allowed: Iterable[EnvironmentStatus],
          now: datetime | None = None) -> EnvironmentStatus:
    lock_row(DemoEnvironment, environment.id)
    db.session.refresh(environment)
    if environment.status not in tuple(allowed):
        raise DemoEnvError(_("This demo environment has changed meanwhile: reload the page "
                             "and look again."))
    environment.updated_at = now or utcnow()
    return environment.status


@dataclass(frozen=True)
class RequestData:
    purpose: str
    days: int
    deal_id: int | None


def request(user: User, data: RequestData, now: datetime | None = None) -> DemoEnvironment:
    """A partner person asks for an environment; approved at once where the tier says so."""
    if user.is_vendor or user.organization_id is None:
        raise DemoEnvError(_("Demo environments are for partner companies."))
    purpose = (data.purpose or "").strip()
    if not purpose:
        raise DemoEnvError(_("Say what it is for: the channel team reads it."), "purpose")
    if len(purpose) > MAX_PURPOSE:
        raise DemoEnvError(_("Keep it under %(n)d characters.", n=MAX_PURPOSE), "purpose")
    if not 1 <= data.days <= rules.MAX_DAYS:
        raise DemoEnvError(_("Ask for 1 to %(n)d days.", n=rules.MAX_DAYS), "days")
    if data.deal_id is not None and db.session.scalar(select(Deal.id).where(
            Deal.id == data.deal_id, Deal.organization_id == user.organization_id,
            Deal.status.in_(OPEN_DEALS))) is None:
        raise DemoEnvError(_("Choose one of your company's deals."), "deal_id")
    lock_row(Organization, user.organization_id)
    organization = db.session.get(Organization, user.organization_id)
    assert organization is not None
    quota = quota_of(organization)
    if quota.limit == 0:
        raise DemoEnvError(_("Your company's tier gives no demo environments."))
    if quota.left == 0:
        raise DemoEnvError(_("Your company holds its %(n)d demo environment(s) already: "
                             "return one that is no longer needed first.", n=quota.limit))
    now = now or utcnow()
    environment = DemoEnvironment(
        organization_id=organization.id, requested_by_id=user.id, deal_id=data.deal_id,
        purpose=purpose, days=data.days, status=EnvironmentStatus.REQUESTED,
        created_at=now, updated_at=now)
    db.session.add(environment)
    db.session.flush()
    _event(environment, user, None, "requested")
    if quota.auto_approve:
        _approve(environment, None, "", auto=True)
    else:
        notices.to_decide(environment, organization, user, "request", now)
    return environment


def _approve(environment: DemoEnvironment, actor: User | None, note: str, auto: bool) -> None:
    adapter = adapters.configured()
    environment.status = EnvironmentStatus.PROVISIONING
    environment.adapter = adapter.name
    environment.auto_approved = auto
    environment.decision_note = note
    _event(environment, actor, EnvironmentStatus.REQUESTED,
           "auto_approved" if auto else "approved", note)
    if not adapter.automatic:  # a manager sets it up and enters the details
        organization = db.session.get(Organization, environment.organization_id)
        notices.to_decide(environment, organization, actor, "setup", environment.updated_at)


def decide(environment: DemoEnvironment, actor: User, approve: bool, note: str) -> None:
    note = (note or "").strip()[:MAX_NOTE]
    _lock(environment, (EnvironmentStatus.REQUESTED,))
    if approve:
        _approve(environment, actor, note, auto=False)
        return
    if not note:
        raise DemoEnvError(_("Give the reason: the partner reads it."), "note")
    environment.status = EnvironmentStatus.DECLINED
    environment.decision_note = note
    _event(environment, actor, EnvironmentStatus.REQUESTED, "declined", note)
    notices.decided(environment, "declined")


def _make_ready(environment: DemoEnvironment, url: str, credentials: str, now: datetime
                ) -> None:
    box = _box()
    environment.url_box = secretbox.seal(box, url)
    environment.credentials_box = secretbox.seal(box, credentials)
    environment.credentials_shown_at = None
    if environment.status == EnvironmentStatus.PROVISIONING:
        environment.status = EnvironmentStatus.READY
        environment.ready_at = now
        environment.expires_at = rules.expiry(now, environment.days)


def enter_details(environment: DemoEnvironment, actor: User, url: str, credentials: str,
                  now: datetime | None = None) -> None:
    """A manager's address and sign-in details: the environment is ready (or, when it was,
    its details are replaced and shown to the requester once more)."""
    url, credentials = (url or "").strip(), (credentials or "").strip()
    if not rules.is_web_address(url):
        raise DemoEnvError(_("Enter the address, starting with https://."), "url")
    if not credentials or len(credentials) > rules.MAX_CREDENTIALS:
        raise DemoEnvError(_("Enter the sign-in details (at most %(n)d characters).",
                             n=rules.MAX_CREDENTIALS), "credentials")
    now = now or utcnow()
    before = _lock(environment, (EnvironmentStatus.PROVISIONING, EnvironmentStatus.READY), now)
    if before == EnvironmentStatus.READY and is_past(environment, now):
        raise DemoEnvError(_("This demo environment has expired."))
    _make_ready(environment, url, credentials, now)
    _event(environment, actor, before, "details_entered" if before !=
           EnvironmentStatus.READY else "details_replaced")
    notices.decided(environment, "ready")


def _claim_provisioning(environment_id: int, now: datetime) -> bool:
    """Whether this caller makes the provisioning call: one at a time per environment (the
    page right after an approval, the job, a second manager's click), and again only once
    a call's claim has lapsed (rules.PROVISION_CLAIM, longer than any call may take)."""
    start_write_transaction()
    claimed = execute_dml(
        update(DemoEnvironment)
        .where(DemoEnvironment.id == environment_id,
               DemoEnvironment.status == EnvironmentStatus.PROVISIONING,
               DemoEnvironment.adapter == "webhook",
               DemoEnvironment.provision_claimed_at.is_(None)
               | (DemoEnvironment.provision_claimed_at < now - rules.PROVISION_CLAIM))
        .values(provision_claimed_at=now))
    return claimed == 1


def provision(environment_id: int, now: datetime | None = None) -> bool | None:
    """Call the provisioning API of an approved environment whose adapter provisions by
    itself; True when it is ready, False when the call failed (recorded; the job tries
    again, a manager may enter the details by hand), None when there was nothing to do (or
    another call is under way). Commits what came before: the call is made outside any
    transaction, with plain values read before it."""
    now = now or utcnow()
    environment = db.session.get(DemoEnvironment, environment_id)
    if environment is None or environment.status != EnvironmentStatus.PROVISIONING:
        return None
    adapter = adapters.adapter_named(environment.adapter)
    if not adapter.automatic:
        return None
    _box()  # no key to keep what the API answers: refuse before it makes a system
    if not _claim_provisioning(environment_id, now):
        db.session.rollback()
        return None
    organization, requester = _parties(environment)
    assert organization is not None
    data = adapters.provision_data(environment, organization, requester)
    db.session.commit()  # the call below uses plain values: no transaction while it runs
    result = adapter.provision(environment_id, data, now)
    assert result is not None
    start_write_transaction()
    lock_row(DemoEnvironment, environment_id)
    environment = db.session.get(DemoEnvironment, environment_id, populate_existing=True)
    if environment is None:
        return None
    if environment.status != EnvironmentStatus.PROVISIONING:
        # Withdrawn, or set up by hand, while the API was setting it up: the system it made
        # is nobody's, so it is removed (now, and by the job until the API confirms).
        if result.ok and result.provisioned is not None:
            _made_too_late(environment, result.provisioned.external_id, result, now)
        return None
    environment.updated_at = now
    if not result.ok or result.provisioned is None:
        environment.provision_claimed_at = None  # the job may try again
        _event(environment, None, EnvironmentStatus.PROVISIONING, "provision_failed",
               result.error or "", result, now)
        return False
    environment.external_id = result.provisioned.external_id
    environment.removal_due = True
    _make_ready(environment, result.provisioned.url, result.provisioned.credentials, now)
    _event(environment, None, EnvironmentStatus.PROVISIONING, "provisioned", "", result, now)
    notices.decided(environment, "ready")
    return True


def _parties(environment: DemoEnvironment) -> tuple[Organization | None, User | None]:
    """The environment's company and the person who asked for it (None once removed)."""
    requester = db.session.get(User, environment.requested_by_id) \
        if environment.requested_by_id else None
    return db.session.get(Organization, environment.organization_id), requester


def _stop_retrying(environment_id: int, now: datetime) -> None:
    """A day of failed provisioning calls (from the first): the channel team is told, once, to
    set it up by hand (the page's form for the address and sign-in details); the job calls
    no more."""
    start_write_transaction()
    lock_row(DemoEnvironment, environment_id)
    environment = db.session.get(DemoEnvironment, environment_id, populate_existing=True)
    if environment is None or environment.status != EnvironmentStatus.PROVISIONING:
        return
    if db.session.scalar(select(DemoEnvironmentEvent.id).where(
            DemoEnvironmentEvent.environment_id == environment_id,
            DemoEnvironmentEvent.action == "provision_stopped").limit(1)) is not None:
        return
    _event(environment, None, EnvironmentStatus.PROVISIONING, "provision_stopped", now=now)
    notices.to_decide(environment, *_parties(environment), "setup", now)


def _made_too_late(environment: DemoEnvironment, external_id: str | None,
                   result: adapters.CallResult, now: datetime) -> None:
    environment.updated_at = now
    status = environment.status
    _event(environment, None, status, "provisioned_too_late", external_id or "", result, now)
    if status == EnvironmentStatus.READY:  # set up by hand: the API's system goes at once
        adapter = adapters.adapter_named(environment.adapter)
        environment_id = environment.id
        db.session.commit()
        removal = adapter.deprovision(environment_id, external_id, now, now)
        if removal is not None:
            start_write_transaction()
            found = db.session.get(DemoEnvironment, environment_id, populate_existing=True)
            if found is not None:
                _event(found, None, found.status, "deprovisioned" if removal.ok
                       else "deprovision_failed", removal.error or "", removal, now)
        return
    environment.external_id, environment.removal_due = external_id, True
    environment_id = environment.id
    db.session.commit()
    deprovision(environment_id, now)


def reveal(environment: DemoEnvironment, user: User, now: datetime | None = None) -> str:
    """The sign-in details, to the requester, once: they are erased as they are shown."""
    now = now or utcnow()
    if user.id != environment.requested_by_id:
        raise DemoEnvError(_("Only the person who requested it sees its sign-in details."))
    _lock(environment, (EnvironmentStatus.READY,), now)
    if is_past(environment, now):
        raise DemoEnvError(_("This demo environment has expired."))
    if environment.credentials_box is None:
        raise DemoEnvError(_("The sign-in details were shown once already. Ask the channel "
                             "team for new ones if they are lost."))
    credentials = secretbox.open_sealed(_box(), environment.credentials_box)
    environment.credentials_box = None
    environment.credentials_shown_at = now
    _event(environment, user, EnvironmentStatus.READY, "credentials_shown")
    return credentials


def ask_extension(environment: DemoEnvironment, user: User, days: int, reason: str,
                  now: datetime | None = None) -> bool:
    """The requester or a partner admin asks for more days; granted at once where the tier
    approves requests at once. Whether it was granted."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not may_manage(user, environment):
        raise DemoEnvError(_("Only the requester and the company's partner admins extend it."))
    if not reason:
        raise DemoEnvError(_("Say why it needs longer."), "reason")
    if len(reason) > MAX_NOTE:
        raise DemoEnvError(_("Keep it under %(n)d characters.", n=MAX_NOTE), "reason")
    _lock(environment, (EnvironmentStatus.READY,), now)
    if is_past(environment, now):
        raise DemoEnvError(_("This demo environment has expired: request a new one."))
    if environment.extension_days is not None:
        raise DemoEnvError(_("An extension is already waiting for the channel team."))
    assert environment.ready_at is not None and environment.expires_at is not None
    if not rules.extension_fits(environment.ready_at, environment.expires_at, days):
        most = rules.most_extension_days(environment.ready_at, environment.expires_at)
        raise DemoEnvError(_("It can be extended by %(n)d day(s) at most: a demo environment "
                             "lives %(total)d days in all.", n=most,
                             total=rules.MAX_TOTAL_DAYS), "days")
    environment.extension_days, environment.extension_reason = days, reason
    _event(environment, user, EnvironmentStatus.READY, "extension_asked",
           f"+{days}: {reason}")
    organization = db.session.get(Organization, environment.organization_id)
    assert organization is not None
    if quota_of(organization).auto_approve:
        _extend(environment, None, "", now)
        return True
    notices.to_decide(environment, organization, user, "extension", now)
    return False


def _extend(environment: DemoEnvironment, actor: User | None, note: str, now: datetime
            ) -> None:
    assert environment.expires_at is not None and environment.extension_days is not None
    days = environment.extension_days
    environment.expires_at = rules.expiry(environment.expires_at, days)
    environment.extensions += 1
    environment.extension_days, environment.extension_reason = None, ""
    _event(environment, actor, EnvironmentStatus.READY, "extended", f"+{days} {note}".strip(),
           now=now)
    notices.decided(environment, "extended", note)


def decide_extension(environment: DemoEnvironment, actor: User, approve: bool, note: str,
                     now: datetime | None = None) -> None:
    now = now or utcnow()
    note = (note or "").strip()[:MAX_NOTE]
    _lock(environment, (EnvironmentStatus.READY,), now)
    if environment.extension_days is None:
        raise DemoEnvError(_("This demo environment has changed meanwhile: reload the page "
                             "and look again."))
    if approve:
        if is_past(environment, now):
            raise DemoEnvError(_("This demo environment has expired."))
        _extend(environment, actor, note, now)
        return
    if not note:
        raise DemoEnvError(_("Give the reason: the partner reads it."), "note")
    environment.extension_days, environment.extension_reason = None, ""
    _event(environment, actor, EnvironmentStatus.READY, "extension_declined", note)
    notices.decided(environment, "extension_declined", note)


def _erase(environment: DemoEnvironment) -> None:
    environment.url_box = environment.credentials_box = None
    environment.extension_days, environment.extension_reason = None, ""


def end(environment: DemoEnvironment, user: User, now: datetime | None = None) -> bool:
    """Withdraw a request, or return an environment in use (its details are erased and the
    adapter removes it); True when a running one was returned (deprovision next)."""
    now = now or utcnow()
    if not (user.is_vendor or may_manage(user, environment)):
        raise DemoEnvError(_("Only the requester and the company's partner admins return it."))
    before = _lock(environment, HOLDING_QUOTA, now)
    running = before == EnvironmentStatus.READY
    environment.status = EnvironmentStatus.EXPIRED if running else EnvironmentStatus.CANCELLED
    if running and (environment.expires_at is None or environment.expires_at > now):
        environment.expires_at = now
    _erase(environment)
    _event(environment, user, before, "returned" if running else "cancelled")
    return running


def deprovision(environment_id: int, now: datetime | None = None) -> bool | None:
    """Tell the provisioning API that the system of an environment that has ended (or was
    withdrawn after the API set it up) can go; its answer is recorded, and until it confirms
    the job asks again. None when there is nothing to remove. Commits first."""
    now = now or utcnow()
    environment = db.session.get(DemoEnvironment, environment_id)
    if environment is None or not environment.removal_due \
            or environment.status in HOLDING_QUOTA:
        return None
    adapter = adapters.adapter_named(environment.adapter)
    external_id, ended = environment.external_id, environment.expires_at or now
    db.session.commit()
    result = adapter.deprovision(environment_id, external_id, ended, now)
    if result is None:
        return None
    start_write_transaction()
    environment = db.session.get(DemoEnvironment, environment_id, populate_existing=True)
    if environment is None:
        return None
    if result.ok:
        environment.removal_due = False
    _event(environment, None, environment.status,
           "deprovisioned" if result.ok else "deprovision_failed", result.error or "", result,
           now)
    return result.ok


# --- Jobs -----------------------------------------------------------------------------------


def expire_due(now: datetime | None = None) -> list[int]:
    """Environments whose time is up: expired, their details erased. Their ids."""
    now = now or utcnow()
    start_write_transaction()
    due = list(db.session.scalars(select(DemoEnvironment).where(
        DemoEnvironment.status == EnvironmentStatus.READY,
        DemoEnvironment.expires_at <= now).with_for_update()))
    for environment in due:
        environment.status = EnvironmentStatus.EXPIRED
        environment.updated_at = now
        _erase(environment)
        _event(environment, None, EnvironmentStatus.READY, "expired", now=now)
    db.session.flush()
    return [environment.id for environment in due]


def remind_expiring(now: datetime | None = None) -> int:
    """Tell requesters, once per expiry moment, that their environment ends within
    rules.REMIND_BEFORE (an extension moves the moment: a new reminder then)."""
    now = now or utcnow()
    written = 0
    for environment in db.session.scalars(select(DemoEnvironment).where(
            DemoEnvironment.status == EnvironmentStatus.READY,
            DemoEnvironment.expires_at > now,
            DemoEnvironment.expires_at <= now + rules.REMIND_BEFORE)):
        written += notices.expiring(environment, now)
    return written


def run_jobs(now: datetime | None = None) -> str:
    """The periodic work: expire, tell the API, retry failed provisioning, remind."""
    now = now or utcnow()
    expired = expire_due(now)
    db.session.commit()
    # Systems to remove: those that have just ended, and those whose removal the API has
    # not confirmed yet (for a week; then the history shows it to the channel team).
    for environment_id in db.session.scalars(select(DemoEnvironment.id).where(
            DemoEnvironment.removal_due.is_(True),
            DemoEnvironment.status.not_in(HOLDING_QUOTA),
            DemoEnvironment.updated_at >= now - REMOVAL_RETRIES)).all():
        deprovision(environment_id, now)
        db.session.commit()
    def history(action: str):
        return (select(func.min(DemoEnvironmentEvent.at))
                .where(DemoEnvironmentEvent.environment_id == DemoEnvironment.id,
                       DemoEnvironmentEvent.action == action)
                .correlate(DemoEnvironment).scalar_subquery())

    # Those the job has stopped calling are the channel team's to set up: left out.
    waiting = db.session.execute(
        select(DemoEnvironment.id, history("provision_failed")).where(
            DemoEnvironment.status == EnvironmentStatus.PROVISIONING,
            DemoEnvironment.adapter == "webhook",
            history("provision_stopped").is_(None))).all()
    provisioned = 0
    for environment_id, first_failed in waiting:
        if rules.retries_provisioning(first_failed, now):
            provisioned += bool(provision(environment_id, now))
        else:
            _stop_retrying(environment_id, now)
        db.session.commit()
    start_write_transaction()
    reminded = remind_expiring(now)
    return (f"expired {len(expired)} demo environment(s), provisioned {provisioned} of "
            f"{len(waiting)} waiting, {reminded} reminder(s)")


def rotate_secrets() -> int:
    """Re-encrypt every stored secret with the first key (after a new key was put first)."""
    box = _box()
    count = 0
    start_write_transaction()
    for environment in db.session.scalars(select(DemoEnvironment).where(
            DemoEnvironment.url_box.is_not(None) | DemoEnvironment.credentials_box.is_not(None))):
        if environment.url_box:
            environment.url_box = secretbox.rotated(box, environment.url_box)
            count += 1
        if environment.credentials_box:
            environment.credentials_box = secretbox.rotated(box, environment.credentials_box)
            count += 1
    db.session.flush()
    return count
