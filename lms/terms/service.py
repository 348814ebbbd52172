"""Program terms: the versions synced from content/terms/, a company's acceptance of them,
the gate on registering deals and downloading material, and who has not accepted yet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload

from lms import audit
from lms.clock import program_today, utcnow
from lms.content_cache import cached
from lms.database import lock_row
from lms.extensions import db
from lms.i18n import gettext as _
from lms.models import (
    AuditAction,
    Organization,
    PartnerType,
    Role,
    TermsAcceptance,
    TermsVersion,
    User,
)
from lms.problems import ContentProblem
from lms.sync import SyncRefused, SyncReport, archive_missing, update_synced
from lms.terms import rules
from lms.terms.loader import FOLDER, TermsSet
from lms.terms.rules import VersionInfo


class TermsError(Exception):
    """A refusal the person can act on; nothing was stored."""


def _changed_while_reading() -> str:
    return _("The terms changed while you were reading them: read them again before "
             "accepting.")


# --- Sync -------------------------------------------------------------------------------


def _accepted_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(TermsVersion.version, func.count(TermsAcceptance.id))
        .join(TermsAcceptance, TermsAcceptance.version_id == TermsVersion.id)
        .group_by(TermsVersion.version)).all()
    return {version: count for version, count in rows}


def sync_problems(terms: TermsSet, content_dir_name: str) -> list[ContentProblem]:
    """A version a company has accepted keeps its words: what was accepted must read as it
    was. Changing or removing its file is refused; a new version is the way to change them."""
    accepted = _accepted_counts()
    if not accepted:
        return []
    stored = {v.version: v for v in db.session.scalars(select(TermsVersion))}
    files = {spec.version: spec for spec in terms.versions}
    problems = []
    for version, count in sorted(accepted.items()):
        spec = files.get(version)
        source = f"{content_dir_name}/{FOLDER}/{version}.md"
        if spec is None:
            problems.append(ContentProblem(
                source, 1, f"{count} partner(s) accepted the terms version {version!r}: its "
                           "file cannot be removed (what they accepted must stay readable)"))
        elif spec.digest != stored[version].digest:
            problems.append(ContentProblem(
                source, 1, f"{count} partner(s) accepted the terms version {version!r} as it "
                           "was: its title and text cannot change; publish the change as a new "
                           "version (a new file with a later effective day)"))
        elif spec.effective_on != stored[version].effective_on:
            problems.append(ContentProblem(
                source, 1, f"{count} partner(s) accepted the terms version {version!r}: its "
                           "effective day cannot move"))
    return problems


def sync_terms(terms: TermsSet, report: SyncReport, now: datetime | None = None) -> None:
    """Create, update, archive and restore versions as the files say (the caller commits)."""
    now = now or utcnow()
    existing = {v.version: v for v in db.session.scalars(select(TermsVersion))}
    for spec in terms.versions:
        row = existing.get(spec.version)
        values = {"effective_on": spec.effective_on, "titles": spec.titles,
                  "bodies": spec.bodies, "changes": spec.changes, "digest": spec.digest,
                  "source": spec.source}
        if row is None:
            db.session.add(TermsVersion(version=spec.version, created_at=now, updated_at=now,
                                        **values))
            report.created.append(f"terms {spec.version}")
        else:
            if (row.digest, row.effective_on) != (spec.digest, spec.effective_on):
                _refuse_if_accepted(row)
            update_synced(row, values, now, report, f"terms {spec.version}")
    wanted = {spec.version for spec in terms.versions}
    for version, row in existing.items():
        if version not in wanted and row.archived_at is None:
            _refuse_if_accepted(row)
    archive_missing(existing, wanted, now, report, "terms ")


def _refuse_if_accepted(row: TermsVersion) -> None:
    """Checked again under the version's lock: a company may have accepted it since the
    content was checked (`sync_problems`); accepting takes the same lock."""
    db.session.execute(select(TermsVersion.id).where(TermsVersion.id == row.id)
                       .with_for_update())
    if db.session.scalar(select(TermsAcceptance.id).where(
            TermsAcceptance.version_id == row.id).limit(1)) is not None:
        raise SyncRefused(f"a partner accepted the terms version {row.version!r} while "
                          "the content was synced: its words cannot change; nothing was "
                          "imported")


# --- Versions ---------------------------------------------------------------------------


def _published() -> tuple[VersionInfo, ...]:
    rows = db.session.execute(
        select(TermsVersion.id, TermsVersion.version, TermsVersion.effective_on,
               TermsVersion.digest)
        .where(TermsVersion.archived_at.is_(None))
        .order_by(TermsVersion.effective_on)).all()
    return tuple(VersionInfo(*row) for row in rows)


def published() -> tuple[VersionInfo, ...]:
    """Every version whose file is in content/terms/, oldest first (kept per content
    version, as courses are)."""
    return cached("terms.published", _published)


def in_force(today: date | None = None) -> VersionInfo | None:
    return rules.in_force(published(), today or program_today())


def to_accept(today: date | None = None) -> tuple[VersionInfo, ...]:
    return rules.to_accept(published(), today or program_today())


def version_named(name: str) -> TermsVersion | None:
    """A version to read: a published one, or an archived one some company accepted."""
    row = db.session.scalar(select(TermsVersion).where(TermsVersion.version == name))
    if row is None or (row.archived_at is not None and not db.session.scalar(
            select(TermsAcceptance.id).where(TermsAcceptance.version_id == row.id).limit(1))):
        return None
    return row


def text_of(version: TermsVersion, locale: str) -> tuple[str, str, str, str]:
    """(title, Markdown, what changed, the language shown): the reader's language when the
    version has it, else its original."""
    shown = locale if locale in version.bodies else next(iter(version.bodies))
    return (version.titles.get(shown, ""), version.bodies[shown],
            version.changes.get(shown, ""), shown)


# --- A company's acceptance -------------------------------------------------------------


def accepted_ids(organization_id: int, version_ids: Iterable[int]) -> set[int]:
    ids = list(version_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(TermsAcceptance.version_id)
        .where(TermsAcceptance.organization_id == organization_id,
               TermsAcceptance.version_id.in_(ids))))


def acceptances_of(organization_id: int) -> list[TermsAcceptance]:
    """Every version the company accepted, newest first, with the version loaded."""
    return list(db.session.scalars(
        select(TermsAcceptance).options(joinedload(TermsAcceptance.version))
        .where(TermsAcceptance.organization_id == organization_id)
        .order_by(TermsAcceptance.accepted_at.desc())))


def blocking_version(user: User) -> VersionInfo | None:
    """The version in force that `user`'s company has not accepted, which keeps its people
    from registering deals and downloading material; None when nothing blocks them (vendor
    staff are never blocked)."""
    if user.organization_id is None:
        return None
    current = in_force()
    if current is None:
        return None
    if rules.is_blocked(current, accepted_ids(user.organization_id, [current.id])):
        return current
    return None


@dataclass(frozen=True)
class Acceptance:
    ip_address: str
    user_agent: str
    locale: str


def accept(user: User, version_name: str, digest: str, where: Acceptance) -> TermsAcceptance:
    """`user` accepts the version for their whole company. Only a partner admin may; only a
    version in force or coming; only the text they were shown (`digest`). Accepting twice
    returns the first acceptance unchanged."""
    if user.role != Role.PARTNER_ADMIN or user.organization_id is None:
        raise TermsError(_("Only your company's partner admin can accept the program terms."))
    wanted = next((v for v in to_accept() if v.version == version_name), None)
    if wanted is None:
        raise TermsError(_("This version of the program terms is not the one to accept: "
                           "read the current terms and accept those."))
    if wanted.digest != digest:
        raise TermsError(_changed_while_reading())
    # One acceptance per company and version: two admins clicking together take turns.
    lock_row(Organization, user.organization_id)
    existing = db.session.scalar(select(TermsAcceptance).where(
        TermsAcceptance.organization_id == user.organization_id,
        TermsAcceptance.version_id == wanted.id))
    if existing is not None:
        return existing
    # Under the version's lock, as a sync changing it takes (see _refuse_if_accepted).
    stored = db.session.scalar(select(TermsVersion).where(TermsVersion.id == wanted.id)
                               .with_for_update().execution_options(populate_existing=True))
    if stored is None or stored.digest != digest or stored.archived_at is not None:
        raise TermsError(_changed_while_reading())
    acceptance = TermsAcceptance(
        organization_id=user.organization_id, version_id=wanted.id, user_id=user.id,
        accepted_name=user.name, accepted_email=user.email, accepted_at=utcnow(),
        ip_address=where.ip_address[:45], user_agent=where.user_agent[:300],
        locale=where.locale[:10], digest=digest)
    db.session.add(acceptance)
    audit.record(AuditAction.TERMS_ACCEPTED, actor=user, organization_id=user.organization_id,
                 version=wanted.version)
    db.session.flush()
    return acceptance


# --- The channel team's view ------------------------------------------------------------


@dataclass(frozen=True)
class PartnerStatus:
    id: int
    name: str
    slug: str
    tier: str
    partner_type: PartnerType
    acceptance: TermsAcceptance | None


STATUSES = ("all", "pending", "accepted")


def partner_statuses(version: VersionInfo, status: str = "all") -> list[PartnerStatus]:
    """Every active partner company and its acceptance of `version` (not accepted first)."""
    stmt = (select(Organization.id, Organization.name, Organization.slug, Organization.tier,
                   Organization.partner_type, TermsAcceptance)
            .outerjoin(TermsAcceptance,
                       and_(TermsAcceptance.organization_id == Organization.id,
                            TermsAcceptance.version_id == version.id))
            .where(Organization.active.is_(True)))
    if status == "pending":
        stmt = stmt.where(TermsAcceptance.id.is_(None))
    elif status == "accepted":
        stmt = stmt.where(TermsAcceptance.id.is_not(None))
    rows = [PartnerStatus(id_, name, slug, tier.value, kind, acceptance)
            for id_, name, slug, tier, kind, acceptance in db.session.execute(stmt).all()]
    rows.sort(key=lambda r: (r.acceptance is not None, r.name.casefold()))
    return rows


def pending_companies(version: VersionInfo) -> list[int]:
    """Active companies that have not accepted `version` (for the reminders)."""
    return list(db.session.scalars(
        select(Organization.id)
        .outerjoin(TermsAcceptance,
                   and_(TermsAcceptance.organization_id == Organization.id,
                        TermsAcceptance.version_id == version.id))
        .where(Organization.active.is_(True), TermsAcceptance.id.is_(None))
        .order_by(Organization.id)))
