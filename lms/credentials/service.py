"""Awarding, renewal, revocation, verification and Open Badges 2.0. Services flush."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lms import audit
from lms.clock import local_date
from lms.content_cache import cached
from lms.courses.progress import percent, pick_version
from lms.courses.service import ProgressTable, own_progress, progress_table
from lms.courses.structure import CourseInfo
from lms.credentials import rules, standing
from lms.credentials.loader import CredentialSet
from lms.event_data import award_data, moment
from lms.events import learning_progressed, publish
from lms.extensions import db
from lms.i18n import gettext as _
from lms.labels import JOB_LABELS
from lms.models import (
    Attempt,
    AttemptStatus,
    AuditAction,
    Award,
    Credential,
    CredentialKind,
    CredentialStatus,
    Quiz,
    QuizKind,
    QuizVersion,
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
                      renewal_quiz=spec.renewal_quiz, translations=spec.translations,
                      content_hash=spec.content_hash)
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
    _announce_award(award, user, credential)
    return [award]


def _announce_award(award: Award, user: User, credential: Credential) -> None:
    """Webhooks hear of every award; the holder is congratulated, with the share links."""
    from lms.notifications.service import names_of, notify

    award.user, award.credential = user, credential
    publish("credential.awarded", award_data(award))
    notify(user, f"credential-earned:{award.id}", "credentials", "credential_earned", {
        "award": award.id, "credential": names_of(credential.name, credential.translations),
        "code": award.verification_code, "image": credential.image,
        "renewal": award.period > 1,
        "issued": local_date(award.issued_at).isoformat(),
        "expires": local_date(award.expires_at).isoformat() if award.expires_at else None,
    }, min(award.issued_at, utcnow()))  # when it was earned (a backdated award: then)


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
    publish("credential.revoked", {**award_data(award), "reason": award.revoked_reason,
                                   "revoked_at": moment(award.revoked_at)})
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


def _expiring(organization_id: int | None, now: datetime,
              within: timedelta = rules.EXPIRING_SOON) -> list:
    """Conditions on Award joined to User: expiring within `within`, not renewed, held by an
    active person (of one company)."""
    later = aliased(Award)
    renewed = select(later.id).where(later.user_id == Award.user_id,
                                     later.credential_id == Award.credential_id,
                                     later.period > Award.period).exists()
    conditions = [Award.revoked_at.is_(None), Award.expires_at > now,
                  Award.expires_at <= now + within, User.active.is_(True),
                  ~renewed]
    if organization_id is not None:
        conditions.append(User.organization_id == organization_id)
    return conditions


def expiring_awards(now: datetime, within_days: int) -> list[Award]:
    """Every company's certifications expiring within `within_days` days, not renewed, of
    active people (the reminders' candidates), soonest first, with holder and credential."""
    return list(db.session.scalars(
        select(Award).join(User, User.id == Award.user_id)
        .where(*_expiring(None, now, timedelta(days=within_days)))
        .order_by(Award.expires_at, Award.id)))


def expiring_count(organization_id: int | None, now: datetime | None = None) -> int:
    """How many certifications `expiring_for` lists, in one query."""
    return db.session.scalar(select(func.count(Award.id)).join(User, User.id == Award.user_id)
                             .where(*_expiring(organization_id, now or utcnow()))) or 0


def expiring_for(organization_id: int | None, now: datetime | None = None
                 ) -> list[ExpiringCredential]:
    """Certifications expiring in the next 60 days (one company, or all when None), with how
    many valid holders of that certification the company keeps after the lapse."""
    now = now or utcnow()
    stmt = select(Award).join(User, User.id == Award.user_id).where(
        *_expiring(organization_id, now))
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


# --- Standing: a person on a credential's criteria --------------------------------------


@dataclass(frozen=True)
class CredentialInfo:
    id: int
    ref: standing.CredentialRef  # named in the original language
    validity_months: int | None
    renewal_quiz: str | None
    names: tuple[tuple[str, str], ...] = ()  # (locale, name) of the translations

    def named(self, locale: str) -> standing.CredentialRef:
        """The reference with the credential's name in `locale` (else the original)."""
        name = dict(self.names).get(locale)
        return replace(self.ref, name=name) if name else self.ref


@dataclass(frozen=True)
class QuizRef:
    id: int
    slug: str
    title: str
    kind: QuizKind
    pass_percent: int


@dataclass(frozen=True, eq=False)
class CredentialContent:
    """The active credentials and published quizzes, the same for everyone (cached)."""

    credentials: tuple[CredentialInfo, ...]  # certifications first, then by name
    quizzes: Mapping[str, QuizRef]  # by slug

    def counting_toward(self, quiz_slug: str) -> tuple[CredentialInfo, ...]:
        """The credentials that name `quiz_slug` among their criteria."""
        return tuple(c for c in self.credentials if quiz_slug in c.ref.criteria.quizzes)


def credential_content() -> CredentialContent:
    return cached("credentials.content", _build_content)


def _build_content() -> CredentialContent:
    credentials = tuple(
        CredentialInfo(row.id, standing.CredentialRef(
            row.slug, row.name, row.kind.value,
            rules.Criteria(tuple(row.courses or ()), tuple(row.quizzes or ()),
                           row.job_function or None)), row.validity_months, row.renewal_quiz,
            tuple(sorted((locale, texts["name"]) for locale, texts
                         in (row.translations or {}).items() if texts.get("name"))))
        for row in db.session.execute(
            select(Credential.id, Credential.slug, Credential.name, Credential.kind,
                   Credential.courses, Credential.quizzes, Credential.job_function,
                   Credential.validity_months, Credential.renewal_quiz,
                   Credential.translations)
            .where(Credential.archived_at.is_(None)).order_by(Credential.slug)))
    order = {CredentialKind.CERTIFICATION.value: 0, CredentialKind.BADGE.value: 1}
    credentials = tuple(sorted(credentials, key=lambda c: (order.get(c.ref.kind, 2),
                                                             c.ref.name, c.ref.slug)))
    quizzes = {row.slug: QuizRef(row.id, row.slug, row.title, row.kind, row.pass_percent)
               for row in db.session.execute(
                   select(Quiz.id, Quiz.slug, Quiz.title, Quiz.kind, QuizVersion.pass_percent)
                   .join(QuizVersion, (QuizVersion.quiz_id == Quiz.id)
                         & (QuizVersion.number == Quiz.current_version_number))
                   .where(Quiz.archived_at.is_(None)))}
    return CredentialContent(credentials, quizzes)


def _best_scores(user_id: int, quiz_ids: Sequence[int]) -> dict[int, tuple[int | None, bool]]:
    """{quiz id: (best percent, passed ever)} of one person's graded attempts (one query)."""
    if not quiz_ids:
        return {}
    rows = db.session.execute(
        select(Attempt.quiz_id, func.max(Attempt.percent),
               func.max(case((Attempt.passed.is_(True), 1), else_=0)))
        .where(Attempt.user_id == user_id, Attempt.quiz_id.in_(quiz_ids),
               Attempt.status != AttemptStatus.OPEN)
        .group_by(Attempt.quiz_id))
    return {quiz_id: (best, bool(passed)) for quiz_id, best, passed in rows}


def _held(user_id: int, credential_ids: Sequence[int]) -> dict[int, standing.HeldAward]:
    """{credential id: the person's latest period} (one query)."""
    if not credential_ids:
        return {}
    latest: dict[int, standing.HeldAward] = {}
    for row in db.session.execute(
            select(Award.id, Award.credential_id, Award.period, Award.issued_at,
                   Award.expires_at, Award.revoked_at, Award.verification_code)
            .where(Award.user_id == user_id, Award.credential_id.in_(credential_ids))
            .order_by(Award.period)):
        latest[row.credential_id] = standing.HeldAward(
            row.id, row.period, row.issued_at, row.expires_at, row.revoked_at is not None,
            row.verification_code)
    return latest


def _quiz_facts(ref: QuizRef | None, slug: str, title: str,
                scores: Mapping[int, tuple[int | None, bool]]) -> standing.QuizFacts:
    if ref is None:
        return standing.QuizFacts(slug, title, available=False)
    best, passed = scores.get(ref.id, (None, False))
    return standing.QuizFacts(ref.slug, ref.title, ref.pass_percent, best, passed)


def _course_facts(group: str, user_id: int, table: ProgressTable, completed: set[str],
                  locale: str, content: CredentialContent,
                  scores: Mapping[int, tuple[int | None, bool]]) -> standing.CourseFacts:
    versions = table.content.versions(group)
    if not versions:
        return standing.CourseFacts(group, group, None)
    shown_slug = pick_version([(c.slug, c.locale) for c in versions], locale, group)
    shown = next((c for c in versions if c.slug == shown_slug), versions[0])
    complete = group in completed
    # The version the person went furthest in (any language counts).
    best = max(versions, key=lambda c: (percent(table.facts(user_id, c).lessons_done,
                                                c.lessons_total), c.slug == shown.slug))
    done = best.lessons_total if complete else min(table.facts(user_id, best).lessons_done,
                                                   best.lessons_total)
    locked_by: list[tuple[str, str]] = []
    if not complete:
        for prerequisite in table.content.prerequisites(shown):
            if prerequisite.group_slug not in completed:
                named = _in_language(prerequisite, table, locale)
                locked_by.append((named.slug, named.title))
    quiz = None
    if shown.quiz is not None:
        quiz = _quiz_facts(content.quizzes.get(shown.quiz.slug), shown.quiz.slug,
                           shown.quiz.title, scores)
    return standing.CourseFacts(group, shown.title, shown.slug, done, best.lessons_total,
                                complete, tuple(locked_by), quiz)


def _in_language(course: CourseInfo, table: ProgressTable, locale: str) -> CourseInfo:
    versions = table.content.versions(course.group_slug) or (course,)
    slug = pick_version([(c.slug, c.locale) for c in versions], locale, course.group_slug)
    return next((c for c in versions if c.slug == slug), course)


def person_facts(user: User, credentials: Sequence[CredentialInfo], locale: str = "en"
                 ) -> standing.PersonFacts:
    """What the criteria of `credentials` need to know of this person only: their courses,
    quiz scores, job function and awards, in three queries whatever the number."""
    content = credential_content()
    user_id = user.id
    progress = own_progress(user)
    table = progress.table
    completed = table.completed_groups(user_id)
    groups = list(dict.fromkeys(s for c in credentials for s in c.ref.criteria.courses))
    quiz_slugs = {s for c in credentials for s in c.ref.criteria.quizzes}
    for group in groups:
        quiz_slugs |= {v.quiz.slug for v in table.content.versions(group) if v.quiz}
    scores = _best_scores(user_id, sorted(content.quizzes[s].id for s in quiz_slugs
                                          if s in content.quizzes))
    courses = {g: _course_facts(g, user_id, table, completed, locale, content, scores)
               for g in groups}
    quizzes = {s: _quiz_facts(content.quizzes.get(s), s, s, scores) for s in quiz_slugs}
    by_id = {c.id: c.ref.slug for c in credentials}
    held = {by_id[cid]: award for cid, award in _held(user_id, list(by_id)).items()}
    job = user.job_function.value if user.job_function else None
    return standing.PersonFacts(job, courses, quizzes, held, partner=user.is_partner)


def standings(user: User, credentials: Sequence[CredentialInfo], locale: str | None = None
              ) -> list[standing.Standing]:
    """The person's standing on each of `credentials` (three queries, none if no credential),
    named in `locale` (default: the request's language)."""
    if not credentials:
        return []
    locale = locale or str(get_locale() or "en")
    person = person_facts(user, credentials, locale)
    return [standing.standing_of(c.named(locale), person) for c in credentials]


def quiz_standings(user: User, quiz_slug: str, locale: str | None = None
                   ) -> list[standing.Standing]:
    """The person's standing on every credential the quiz `quiz_slug` counts toward."""
    return standings(user, credential_content().counting_toward(quiz_slug), locale)


def exam_refusal(found: Sequence[standing.Standing]) -> str | None:
    """Why an exam counting toward `found` may not be started by this person, or None."""
    refused = standing.exam_refusal(found)
    if refused is None:
        return None
    job = next(c for c in refused.criteria if c.never)
    required = JOB_LABELS.get(job.job_function or "", job.job_function)
    if job.state == standing.State.NO_JOB:
        return _("%(credential)s is only for people whose job function is %(job)s, and your "
                 "profile has no job function: passing this exam could not earn it. Ask your "
                 "company's partner admin to set your job function.",
                 credential=refused.credential.name, job=required)
    return _("%(credential)s is only for people whose job function is %(job)s; yours is "
             "%(yours)s, so passing this exam could not earn it. If your job function is "
             "wrong, ask your company's partner admin to change it.",
             credential=refused.credential.name, job=required,
             yours=JOB_LABELS.get(refused.person_job or "", refused.person_job))


@dataclass(frozen=True)
class QuizHolding:
    """A credential a quiz counts toward, as the person holds it."""

    credential: standing.CredentialRef
    held: standing.HeldAward
    status: standing.HeldStatus


def holdings_by_quiz(user: User, now: datetime | None = None, locale: str = "en"
                     ) -> dict[str, QuizHolding]:
    """{quiz slug: the credential it counts toward that the person holds: the valid one that
    lasts longest, else the one that expired last}; one query."""
    now = now or utcnow()
    content = credential_content()
    held = _held(user.id, [c.id for c in content.credentials])
    of_quiz: dict[str, list[tuple[standing.CredentialRef, standing.HeldAward]]] = \
        defaultdict(list)
    for credential in content.credentials:
        award = held.get(credential.id)
        if award is not None:
            for quiz_slug in credential.ref.criteria.quizzes:
                of_quiz[quiz_slug].append((credential.named(locale), award))
    result = {}
    for quiz_slug, pairs in of_quiz.items():
        awards = [award for _ref, award in pairs]
        chosen = standing.best_holding(awards, now) or standing.latest_lapsed(awards, now)
        if chosen is not None:
            ref = next(ref for ref, award in pairs if award is chosen)
            result[quiz_slug] = QuizHolding(ref, chosen, chosen.status(now))
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
