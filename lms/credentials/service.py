"""Awarding, renewal, revocation, verification and Open Badges 2.0. Services flush."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lms import audit
from lms.courses.service import progress_table
from lms.credentials import rules
from lms.credentials.loader import CredentialSet
from lms.events import learning_progressed
from lms.extensions import db
from lms.models import (
    Attempt,
    AuditAction,
    Award,
    Credential,
    CredentialKind,
    CredentialStatus,
    Quiz,
    User,
    utcnow,
)
from lms.sync import SyncReport, archive_missing, set_changed

OPEN_BADGES_CONTEXT = "https://w3id.org/openbadges/v2"


# --- Sync ---------------------------------------------------------------------------------


def sync_credentials(specs: CredentialSet, report: SyncReport) -> None:
    """Create, update or archive credential definitions (awards are never touched)."""
    now = utcnow()
    existing = {c.slug: c for c in db.session.scalars(select(Credential))}
    for spec in specs.credentials:
        fields = dict(name=spec.name, kind=CredentialKind(spec.kind),
                      description=spec.description, criteria=spec.criteria, image=spec.image,
                      courses=list(spec.courses), quizzes=list(spec.quizzes),
                      job_function=spec.job_function, validity_months=spec.validity_months,
                      renewal_quiz=spec.renewal_quiz, content_hash=spec.content_hash)
        credential = existing.get(spec.slug)
        if credential is None:
            db.session.add(Credential(slug=spec.slug, created_at=now, **fields))
            report.created.append(f"credential {spec.slug}")
        elif credential.archived_at is not None:
            credential.archived_at = None
            set_changed(credential, **fields)
            report.restored.append(f"credential {spec.slug}")
        elif credential.content_hash != spec.content_hash:
            set_changed(credential, **fields)
            report.updated.append(f"credential {spec.slug}")
        else:
            report.unchanged += 1
    archive_missing(existing, (spec.slug for spec in specs.credentials), now, report,
                    "credential ")
    db.session.flush()


# --- Awarding -----------------------------------------------------------------------------


def _passes(user_ids: list[int]) -> dict[tuple[int, str], list[datetime]]:
    """{(user_id, quiz slug): times of passed attempts} in one query."""
    passes: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for user_id, slug, when in db.session.execute(
        select(Attempt.user_id, Quiz.slug, Attempt.submitted_at).join(Quiz)
        .where(Attempt.user_id.in_(user_ids), Attempt.passed.is_(True))
    ):
        if when is not None:  # a passed attempt is always submitted
            passes[(user_id, slug)].append(when)
    return passes


def award_earned(users: list[User], now: datetime | None = None) -> list[Award]:
    """Award every credential these people have earned and do not hold yet, and renew
    certifications whose renewal exam they passed in the window. Exactly once: the
    (user, credential, period) unique constraint stops a racing duplicate."""
    now = now or utcnow()
    users = [u for u in users if u is not None and u.is_partner]
    if not users:
        return []
    credentials = list(db.session.scalars(select(Credential).where(
        Credential.archived_at.is_(None))))
    if not credentials:
        return []
    user_ids = [u.id for u in users]
    table = progress_table(user_ids)
    passes = _passes(user_ids)
    latest: dict[tuple[int, int], Award] = {}
    for award in db.session.scalars(select(Award).where(Award.user_id.in_(user_ids))
                                    .order_by(Award.period)):
        latest[(award.user_id, award.credential_id)] = award
    created = []
    for user in users:
        completed = table.completed_groups(user.id)
        passed = {slug for (uid, slug) in passes if uid == user.id}
        job = user.job_function.value if user.job_function else None
        for credential in credentials:
            current = latest.get((user.id, credential.id))
            if current is None:
                criteria = rules.Criteria(tuple(credential.courses), tuple(credential.quizzes),
                                          credential.job_function)
                if rules.criteria_met(criteria, job, completed, passed):
                    issued, expires = rules.first_period(now, credential.validity_months)
                    created += _add_award(user, credential, 1, issued, expires)
            elif (credential.kind == CredentialKind.CERTIFICATION and current.revoked_at is None
                  and credential.renewal_quiz and credential.validity_months):
                when = rules.renewal_due(passes.get((user.id, credential.renewal_quiz), []),
                                         current.issued_at, current.expires_at)
                if when is not None and current.expires_at is not None:
                    issued, expires = rules.next_period(current.expires_at, when,
                                                        credential.validity_months)
                    created += _add_award(user, credential, current.period + 1, issued, expires)
    return created


def _add_award(user: User, credential: Credential, period: int, issued: datetime,
               expires: datetime | None) -> list[Award]:
    award = Award(user_id=user.id, credential_id=credential.id, period=period,
                  issued_at=issued, expires_at=expires)
    try:
        with db.session.begin_nested():
            db.session.add(award)
    except IntegrityError:
        return []  # awarded by a concurrent request: once is enough
    return [award]


@learning_progressed.connect
def _on_learning_progressed(user: User, now: datetime | None = None, **_extra) -> None:
    award_earned([user], now)


def award_all(now: datetime | None = None) -> int:
    """`lms credentials award`: award what everyone has earned (records before a definition)."""
    people = list(db.session.scalars(select(User).where(User.active.is_(True),
                                                        User.organization_id.is_not(None))))
    count = 0
    for start in range(0, len(people), 200):
        count += len(award_earned(people[start:start + 200], now))
    db.session.flush()
    return count


# --- Revocation ---------------------------------------------------------------------------


class CredentialError(ValueError):
    """A request about credentials that cannot be carried out; the message is for people."""


def revoke(actor: User, award: Award, reason: str) -> None:
    """Revoke an award with a reason (recorded in the audit log); revoking twice is refused."""
    from flask_babel import gettext as _

    reason = reason.strip()
    if not reason:
        raise CredentialError(_("Give the reason for the revocation."))
    if award.revoked_at is not None:
        raise CredentialError(_("This credential is already revoked."))
    award.revoked_at = utcnow()
    award.revoked_reason = reason[:1000]
    award.revoked_by_id = actor.id
    audit.record(AuditAction.CREDENTIAL_REVOKED, actor=actor, target=award.user,
                 credential=award.credential.slug, period=award.period, reason=reason[:200])
    db.session.flush()


# --- Reading ------------------------------------------------------------------------------


@dataclass
class HeldCredential:
    award: Award
    status: CredentialStatus
    expiring_soon: bool
    renewable: bool


def credentials_of(user: User, now: datetime | None = None) -> list[HeldCredential]:
    """The person's latest period of each credential, with its status."""
    now = now or utcnow()
    latest: dict[int, Award] = {}
    for award in db.session.scalars(select(Award).where(Award.user_id == user.id)
                                    .order_by(Award.period)):
        latest[award.credential_id] = award
    held = [HeldCredential(a, a.status(now), rules.expiring_soon(a.expires_at, now),
                           a.revoked_at is None and rules.renewal_open(a.expires_at, now))
            for a in latest.values()]
    return sorted(held, key=lambda h: (h.award.credential.kind.value, h.award.credential.name))


def award_by_code(code: str) -> Award | None:
    if not code or len(code) > 64:
        return None
    return db.session.scalar(select(Award).where(Award.verification_code == code))


@dataclass
class ExpiringCredential:
    award: Award
    organization_valid_before: int
    organization_valid_after: int


def expiring_for(organization_id: int | None, now: datetime | None = None
                 ) -> list[ExpiringCredential]:
    """Certifications expiring in the next 60 days (one company, or all when None), with how
    many valid holders of that certification the company keeps after the lapse."""
    now = now or utcnow()
    later = aliased(Award)
    renewed = select(later.id).where(later.user_id == Award.user_id,
                                     later.credential_id == Award.credential_id,
                                     later.period > Award.period).exists()
    stmt = select(Award).join(User, User.id == Award.user_id).where(
        Award.revoked_at.is_(None), Award.expires_at > now,
        Award.expires_at <= now + rules.EXPIRING_SOON, User.active.is_(True), ~renewed)
    if organization_id is not None:
        stmt = stmt.where(User.organization_id == organization_id)
    expiring = list(db.session.scalars(stmt.order_by(Award.expires_at)))
    counts = dict(((org, cred), n) for org, cred, n in db.session.execute(
        select(User.organization_id, Award.credential_id, func.count(func.distinct(User.id)))
        .join(User, User.id == Award.user_id)
        .where(Award.revoked_at.is_(None), (Award.expires_at.is_(None))
               | (Award.expires_at > now), User.active.is_(True))
        .group_by(User.organization_id, Award.credential_id)))
    result = []
    for award in expiring:
        before = counts.get((award.user.organization_id, award.credential_id), 0)
        result.append(ExpiringCredential(award, before, max(0, before - 1)))
    return result


# --- Open Badges 2.0 ----------------------------------------------------------------------


def _base() -> str:
    return current_app.config["LMS_BASE_URL"]


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def issuer_profile() -> dict:
    config = current_app.config
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Issuer",
        "id": f"{_base()}/issuer.json",
        "name": config["LMS_ISSUER_NAME"],
        "url": config["LMS_ISSUER_URL"] or _base(),
        "email": config["LMS_ISSUER_EMAIL"],
    }


def badge_class(credential: Credential) -> dict:
    return {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "BadgeClass",
        "id": f"{_base()}/badges/{credential.slug}.json",
        "name": credential.name,
        "description": credential.description,
        "image": f"{_base()}/badges/{credential.slug}/image",
        "criteria": {"narrative": credential.criteria},
        "issuer": f"{_base()}/issuer.json",
    }


def recipient_identity(email: str, salt: str) -> str:
    """Open Badges hashed identity: sha256$ + hex SHA-256 of the email and the salt."""
    return "sha256$" + hashlib.sha256((email.lower() + salt).encode()).hexdigest()


def assertion(award: Award) -> dict:
    """The hosted Assertion; a revoked one carries only what the spec asks for."""
    url = f"{_base()}/verify/{award.verification_code}.json"
    if award.revoked_at is not None:
        return {"@context": OPEN_BADGES_CONTEXT, "type": "Assertion", "id": url,
                "revoked": True, "revocationReason": award.revoked_reason or ""}
    body = {
        "@context": OPEN_BADGES_CONTEXT,
        "type": "Assertion",
        "id": url,
        "recipient": {"type": "email", "hashed": True, "salt": award.recipient_salt,
                      "identity": recipient_identity(award.user.email, award.recipient_salt)},
        "badge": f"{_base()}/badges/{award.credential.slug}.json",
        "verification": {"type": "hosted"},
        "issuedOn": _iso(award.issued_at),
    }
    if award.expires_at is not None:
        body["expires"] = _iso(award.expires_at)
    return body
