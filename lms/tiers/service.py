"""The tier program in the database: rule versions, partner facts, evaluation, applying.

Facts for every partner come from two aggregate queries (won deals by company and
currency; certified people by company, credential and job function), so the report costs a
fixed number of queries whatever the number of partners.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import joinedload

from lms.audit import record
from lms.clock import local_date, program_zone
from lms.content_cache import cached
from lms.courses.structure import structure
from lms.database import lock_row, start_write_transaction
from lms.extensions import db
from lms.models import (
    Attempt,
    AuditAction,
    Award,
    Credential,
    CredentialKind,
    Deal,
    DealStatus,
    Lesson,
    LessonProgress,
    ManualRequirementRecord,
    Organization,
    PartnerType,
    Tier,
    TierChange,
    TierChangeKind,
    TierHold,
    TierProgramVersion,
    User,
    utcnow,
)
from lms.models.base import UTCDateTime
from lms.notifications.service import Audience
from lms.tiers import notices, rules
from lms.tiers.program import Program, Requirement, program_from_dict, program_to_dict
from lms.tiers.rules import Evaluation, PartnerFacts

# --- Program versions ------------------------------------------------------------------


def current_version() -> TierProgramVersion | None:
    return db.session.scalar(select(TierProgramVersion)
                             .order_by(TierProgramVersion.number.desc()).limit(1))


def program_of(version: TierProgramVersion) -> Program:
    program, problems = program_from_dict(version.rules)
    if program is None:  # stored versions were validated; this means a bug, say so
        raise ValueError(f"tier program version {version.number} is invalid: {problems}")
    return program


def default_program() -> Program:
    """content/program.toml when it is valid, else a program without requirements."""
    from lms.tiers.loader import load_program

    loaded = load_program(Path(current_app.config["LMS_CONTENT_DIR"]))
    return loaded.program or Program(())


def current_program() -> tuple[Program, TierProgramVersion | None]:
    version = current_version()
    if version is None:
        return default_program(), None
    return program_of(version), version


def program_in_force() -> Program:
    """The program in force, parsed once per content version (lms.content_cache): what
    measuring partners needs, without the version's row."""
    return cached("tiers.program", lambda: current_program()[0])


def seed_program(program: Program) -> bool:
    """Store the file's program as version 1 when there is none yet (admins own it after)."""
    if db.session.scalar(select(func.count()).select_from(TierProgramVersion)):
        return False
    db.session.add(TierProgramVersion(number=1, rules=program_to_dict(program),
                                      source="file", note="content/program.toml"))
    return True


def save_program(program: Program, actor: User | None, note: str, source: str = "ui"
                 ) -> TierProgramVersion:
    """A new version in force from now; older versions stay as they were. Caller commits."""
    start_write_transaction()
    # PostgreSQL: serialise concurrent saves on the newest version row.
    db.session.execute(select(TierProgramVersion.id).order_by(
        TierProgramVersion.number.desc()).limit(1).with_for_update())
    latest = db.session.scalar(select(func.max(TierProgramVersion.number))) or 0
    version = TierProgramVersion(number=latest + 1, rules=program_to_dict(program),
                                 source=source, note=note, created_by_id=actor.id if actor
                                 else None)
    db.session.add(version)
    record(AuditAction.TIER_RULES_CHANGED, actor=actor, version=version.number, note=note)
    return version


def versions() -> list[TierProgramVersion]:
    return list(db.session.scalars(
        select(TierProgramVersion).order_by(TierProgramVersion.number.desc())
        .options(joinedload(TierProgramVersion.created_by))))


def courses_in_force() -> list[tuple[int, str]]:
    """(version number, course slug) of the courses the rules in force count completions
    of; none before any version is stored (the default program names none)."""
    version = current_version()
    if version is None:
        return []
    program, _problems = program_from_dict(version.rules)
    if program is None:
        return []
    return [(version.number, course) for course in sorted(program.courses)]


def credential_names() -> dict[str, str]:
    return dict(db.session.execute(select(Credential.slug, Credential.name)).all())


# --- Facts -----------------------------------------------------------------------------


# Every part of the facts query answers the same columns: which part, the company, two keys
# (a currency, a credential or course slug, a job function...), a count and a sum.
_NO_KEY = null()


def _deal_parts(limited: bool) -> list[Select]:
    """Won deals and their revenue per currency, and people holding a valid credential per
    slug and job function."""
    start, now = bindparam("start", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime())
    deals = (select(literal("won", String(20)), Deal.organization_id, Deal.currency, _NO_KEY,
                    func.count(), func.sum(Deal.amount))
             .where(Deal.status == DealStatus.WON, Deal.closed_at >= start,
                    Deal.closed_at <= now)
             .group_by(Deal.organization_id, Deal.currency))
    people = (select(literal("certified", String(20)), User.organization_id, Credential.slug,
                     type_coerce(User.job_function, String(20)),
                     func.count(func.distinct(User.id)), _NO_KEY)
              .select_from(Award).join(User, Award.user_id == User.id)
              .join(Credential, Award.credential_id == Credential.id)
              .where(User.active.is_(True), User.organization_id.is_not(None),
                     Award.revoked_at.is_(None), Award.issued_at <= now,
                     (Award.expires_at.is_(None)) | (Award.expires_at > now))
              .group_by(User.organization_id, Credential.slug, User.job_function))
    if limited:
        companies: BindParameter[list[int]] = bindparam("ids", expanding=True)
        deals = deals.where(Deal.organization_id.in_(companies))
        people = people.where(User.organization_id.in_(companies))
    return [deals, people]


# Kinds that count deals registered or approved in the window (whatever became of them).
PIPELINE_KINDS = {"registered_deals": Deal.registered_at, "approved_deals": Deal.approved_at}


def _pipeline_parts(limited: bool) -> list[Select]:
    """Each company's deals registered, and approved, in the window: a grouped count over an
    index range each (the deal indexes on registered_at and on approved_at)."""
    start, now = bindparam("start", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime())
    selects = []
    for kind, column in PIPELINE_KINDS.items():
        stmt = (select(literal("pipeline", String(20)), Deal.organization_id,
                       literal(kind, String(20)), _NO_KEY, func.count(), _NO_KEY)
                .where(column >= start, column <= now).group_by(Deal.organization_id))
        if limited:
            stmt = stmt.where(Deal.organization_id.in_(bindparam("ids", expanding=True)))
        selects.append(stmt)
    return selects


def _certified_won_parts(limited: bool) -> list[Select]:
    """Each company's won deals of the window registered by someone who then held a valid
    credential: per credential slug, and ("") per any certification. A credential revoked
    since never counts, as for certified people."""
    start, now = bindparam("start", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime())
    held = (select(Deal.organization_id.label("organization_id"), Deal.id.label("deal_id"),
                   Credential.slug.label("slug"), Credential.kind.label("kind"))
            .join(Award, Award.user_id == Deal.registered_by_id)
            .join(Credential, Award.credential_id == Credential.id)
            .where(Deal.status == DealStatus.WON, Deal.closed_at >= start, Deal.closed_at <= now,
                   Award.revoked_at.is_(None), Award.issued_at <= Deal.registered_at,
                   Award.expires_at.is_(None) | (Award.expires_at > Deal.registered_at)))
    if limited:
        held = held.where(Deal.organization_id.in_(bindparam("ids", expanding=True)))
    rows = held.subquery()
    deals = func.count(func.distinct(rows.c.deal_id))
    part = literal("certified_won", String(20))
    by_slug = (select(part, rows.c.organization_id, rows.c.slug, _NO_KEY, deals, _NO_KEY)
               .group_by(rows.c.organization_id, rows.c.slug))
    any_certification = (select(part, rows.c.organization_id, literal("", String(100)),
                                _NO_KEY, deals, _NO_KEY)
                         .where(rows.c.kind == CredentialKind.CERTIFICATION)
                         .group_by(rows.c.organization_id))
    return [by_slug, any_certification]


def _manual_parts(limited: bool) -> list[Select]:
    """The manual requirements recorded as met, per company."""
    records = (select(literal("manual", String(20)), ManualRequirementRecord.organization_id,
                      ManualRequirementRecord.item, _NO_KEY, func.count(), _NO_KEY)
               .group_by(ManualRequirementRecord.organization_id, ManualRequirementRecord.item))
    if limited:
        records = records.where(ManualRequirementRecord.organization_id.in_(
            bindparam("ids", expanding=True)))
    return [records]


def _trained_parts(groups: tuple[str, ...], limited: bool) -> list[Select]:
    """Active people of each company who completed the courses `groups` names, as the
    course pages count it (lms.courses.progress): every active lesson of a language version
    done, and its quiz passed where it has one; a person who completed two versions counts
    once. Counted by the database: 40,000 people's progress never reaches Python. No part
    when no such course has a lesson."""
    versions = [c for c in structure().courses
                if c.group_slug in groups and c.lessons_total > 0]
    if not versions:
        return []
    now = bindparam("now", type_=UTCDateTime())
    lessons_of = {c.id: c.lessons_total for c in versions}
    done = (select(LessonProgress.user_id, Lesson.course_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(Lesson.course_id.in_(list(lessons_of)), Lesson.archived_at.is_(None),
                   LessonProgress.completed_at <= now)
            .group_by(LessonProgress.user_id, Lesson.course_id)
            .having(func.count() >= case(lessons_of, value=Lesson.course_id))
            .subquery())
    quiz_of = {c.id: c.quiz.id for c in versions if c.quiz is not None}
    completed = select(done.c.user_id, case({c.id: c.group_slug for c in versions},
                                            value=done.c.course_id).label("course"))
    if quiz_of:  # a version with a quiz is complete once it is passed
        quiz = case(quiz_of, value=done.c.course_id)
        completed = completed.where(or_(quiz.is_(None), exists().where(
            Attempt.user_id == done.c.user_id, Attempt.quiz_id == quiz,
            Attempt.passed.is_(True), Attempt.submitted_at <= now)))
    people = completed.subquery()
    counts = (select(literal("trained", String(20)), User.organization_id, people.c.course,
                     type_coerce(User.job_function, String(20)),
                     func.count(func.distinct(User.id)), _NO_KEY)
              .join(User, User.id == people.c.user_id)
              .where(User.active.is_(True), User.organization_id.is_not(None))
              .group_by(User.organization_id, people.c.course, User.job_function))
    if limited:
        counts = counts.where(User.organization_id.in_(bindparam("ids", expanding=True)))
    return [counts]


def _facts_statement(kinds: frozenset[str], groups: tuple[str, ...], limited: bool
                     ) -> CompoundSelect:
    """The one query of gather_facts: the parts the program's requirement kinds need, as one
    UNION ALL. Building it costs more than running it on a partner's home page, so it is
    built once per content version (the trained part reads the course structure) and kept in
    the content cache, its moments and companies bound."""
    def build() -> CompoundSelect:
        parts = _deal_parts(limited)
        if kinds & set(PIPELINE_KINDS):
            parts += _pipeline_parts(limited)
        if "certified_won_deals" in kinds:
            parts += _certified_won_parts(limited)
        if "manual" in kinds:
            parts += _manual_parts(limited)
        if groups:
            parts += _trained_parts(groups, limited)
        return union_all(*parts)
    return cached(f"tiers.facts:{limited}:{sorted(kinds)}:{groups}", build)


def gather_facts(now: datetime, program: Program,
                 organization_ids: Iterable[int] | None = None) -> dict[int, PartnerFacts]:
    """Facts of every partner (or of the given ones) at `now`, in one query."""
    start = rules.window_start(local_date(now), program.review_window_months, program_zone())
    ids = list(organization_ids) if organization_ids is not None else None
    params: dict[str, object] = {"start": start, "now": now}
    if ids is not None:
        params["ids"] = ids
    # Only the facts a tier asks for: most programs need no more than deals and credentials.
    kinds = frozenset(r.kind for rule in program.tiers for r in rule.requirements)
    statement = _facts_statement(kinds, tuple(sorted(program.courses)), ids is not None)

    won: dict[int, int] = defaultdict(int)
    revenue: dict[int, dict[str, int]] = defaultdict(dict)
    certified: dict[int, dict[tuple[str, str | None], int]] = defaultdict(dict)
    pipeline: dict[int, dict[str, int]] = defaultdict(dict)
    certified_won: dict[int, dict[str, int]] = defaultdict(dict)
    manual: dict[int, set[str]] = defaultdict(set)
    trained: dict[int, dict[tuple[str, str | None], int]] = defaultdict(dict)
    # Columns only, for every partner: executed by Core, without the ORM's result layer.
    for part, org_id, key, job, count, total in (
            db.session.connection().execute(statement, params).all()):
        if part == "won":
            won[org_id] += count
            revenue[org_id][key] = int(total or 0)
        elif part == "certified":
            held = certified[org_id]
            held[key, job] = held.get((key, job), 0) + count
        elif part == "pipeline":
            pipeline[org_id][key] = count
        elif part == "certified_won":
            certified_won[org_id][key] = count
        elif part == "manual":
            manual[org_id].add(key)
        else:  # trained
            trained[org_id][key, job] = count

    keys = ids if ids is not None else (set(won) | set(revenue) | set(certified)
                                        | set(pipeline) | set(manual) | set(trained))
    empty: dict[str, int] = {}
    return {org_id: PartnerFacts(won.get(org_id, 0), revenue.get(org_id, {}),
                                 certified.get(org_id, {}),
                                 pipeline.get(org_id, empty).get("registered_deals", 0),
                                 pipeline.get(org_id, empty).get("approved_deals", 0),
                                 certified_won.get(org_id, empty),
                                 frozenset(manual.get(org_id, ())),
                                 trained.get(org_id, {}))
            for org_id in keys}


# --- Evaluating partners ---------------------------------------------------------------


class PartnerRow(NamedTuple):
    """An active partner as the tier pages list it: the company's own columns as plain values
    (reading 2,000 of them as ORM objects cost more than measuring them)."""

    id: int
    name: str
    slug: str
    tier: Tier
    tier_since: date | None
    at_risk_since: date | None
    partner_type: PartnerType


@dataclass(frozen=True)
class PartnerStanding:
    # A PartnerRow when every partner is listed; the ORM object when one was given.
    organization: Organization | PartnerRow
    evaluation: Evaluation

    @property
    def current(self) -> str:
        return self.organization.tier.value

    @property
    def qualified(self) -> str:
        return self.evaluation.qualified

    def status(self, target: str | None = None) -> str:
        return rules.status_for(self.current, self.qualified, target)

    @property
    def next_tier(self) -> str | None:
        return rules.next_tier(self.current)


_ACTIVE_PARTNERS = (select(Organization.id, Organization.name, Organization.slug,
                           Organization.tier, Organization.tier_since,
                           Organization.at_risk_since, Organization.partner_type)
                    .where(Organization.active.is_(True)).order_by(Organization.name))


def active_partners() -> list[PartnerRow]:
    rows = db.session.connection().execute(_ACTIVE_PARTNERS).all()  # Core: columns only
    return [PartnerRow._make(row) for row in rows]


def standings(now: datetime | None = None, program: Program | None = None,
              organizations: list[Organization] | None = None,
              results_for: Collection[str] | None = None) -> list[PartnerStanding]:
    """Every active partner (or the given ones) measured against the program
    (`results_for`: the tiers whose requirement results are read, see rules.evaluate)."""
    now = now or utcnow()
    if program is None:
        program = program_in_force()
    orgs: Sequence[Organization | PartnerRow] = (
        organizations if organizations is not None else active_partners())
    facts = gather_facts(now, program, [o.id for o in orgs] if organizations is not None
                         else None)
    empty = PartnerFacts()
    evaluations = rules.evaluate_many((facts.get(org.id, empty) for org in orgs), program,
                                      results_for)
    return [PartnerStanding(org, evaluation)
            for org, evaluation in zip(orgs, evaluations, strict=True)]


def standing_of(organization: Organization, now: datetime | None = None
                ) -> tuple[PartnerStanding, Program]:
    program = program_in_force()
    return standings(now, program, [organization])[0], program


@dataclass(frozen=True)
class PartnerProfile:
    """What a partner's page lists besides its tier: people and their valid credentials,
    and deals by status (four queries whatever the size)."""

    people: list[User]
    held: dict[int, set[str]]  # user id -> names of valid credentials
    deal_counts: dict[DealStatus, int]


def partner_profile(organization: Organization, now: datetime | None = None) -> PartnerProfile:
    now = now or utcnow()
    people = list(db.session.scalars(
        select(User).where(User.organization_id == organization.id, User.active.is_(True))
        .order_by(User.name)))
    held: dict[int, set[str]] = {}
    for user_id, name in db.session.execute(
            select(Award.user_id, Credential.name)
            .join(User, Award.user_id == User.id)
            .join(Credential, Award.credential_id == Credential.id)
            .where(User.organization_id == organization.id, Award.revoked_at.is_(None),
                   (Award.expires_at.is_(None)) | (Award.expires_at > now))):
        held.setdefault(user_id, set()).add(name)
    deal_counts = dict(db.session.execute(
        select(Deal.status, func.count()).where(Deal.organization_id == organization.id)
        .group_by(Deal.status)).all())
    return PartnerProfile(people, held, deal_counts)


# --- Applying --------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedChange:
    standing: PartnerStanding
    decision: rules.Decision
    # A manager held this very change back (and nothing was recorded since): the hold.
    held: TierHold | None = None
    # The company's latest recorded change, and whether its tier was set by hand.
    last_change_id: int | None = None
    overridden: bool = False

    @property
    def by_hand_only(self) -> bool:
        """Whether only a manager applies it (the scheduled review and the CLI leave it):
        a change held back, or a tier change undoing a tier a manager set by hand (its
        grace period still starts and ends on its own)."""
        return self.held is not None or (
            self.overridden and self.decision.kind in ("promotion", "demotion"))


def plan(now: datetime | None = None) -> tuple[list[PlannedChange], Program,
                                                TierProgramVersion | None]:
    """What applying would change today (nothing is written), with the managers' decisions
    on the companies concerned (two queries over those companies only)."""
    now = now or utcnow()
    program, version = current_program()
    proposed = []
    for standing in standings(now, program):
        org = standing.organization
        decision = rules.decide(org.tier.value, standing.qualified, org.at_risk_since,
                                local_date(now), program.grace_period_days)
        if decision.changes:
            proposed.append((standing, decision))
    ids = [standing.organization.id for standing, _decision in proposed]
    last_change: dict[int, tuple[int, datetime]] = {}
    set_by_hand: dict[int, bool] = {}
    last_hold: dict[int, TierHold] = {}
    if ids:
        for org_id, change_id, at, reason, kind in db.session.execute(
                select(TierChange.organization_id, TierChange.id, TierChange.at,
                       TierChange.reason, TierChange.kind)
                .where(TierChange.organization_id.in_(ids)).order_by(TierChange.id.desc())):
            last_change.setdefault(org_id, (change_id, at))
            # Whether the tier in force was set by hand: its latest promotion or demotion.
            if kind in (TierChangeKind.PROMOTION, TierChangeKind.DEMOTION):
                set_by_hand.setdefault(org_id, reason is not None)
        for row in db.session.scalars(select(TierHold).where(TierHold.organization_id.in_(ids))
                                      .order_by(TierHold.id.desc())
                                      .options(joinedload(TierHold.actor))):
            last_hold.setdefault(row.organization_id, row)
    planned = []
    for standing, decision in proposed:
        org = standing.organization
        change = last_change.get(org.id)
        hold = last_hold.get(org.id)
        # The hold stands for this very change, and only until a change is recorded.
        if hold is not None and not (
                hold.kind.value == decision.kind and hold.to_tier.value == decision.tier
                and hold.from_tier == org.tier and (change is None or hold.at >= change[1])):
            hold = None
        planned.append(PlannedChange(standing, decision, hold, change[0] if change else None,
                                     set_by_hand.get(org.id, False)))
    return planned, program, version


def proposal(item: PlannedChange) -> str:
    """What a review proposes for one partner and what it rests on, as the review page
    showed it: the change, the company's tier and grace period, and the latest change and
    hold recorded (another manager's decision meanwhile makes it differ)."""
    org = item.standing.organization
    return ":".join(str(part) for part in (
        item.decision.kind, item.decision.tier, org.tier.value, org.at_risk_since or "",
        item.last_change_id or "", item.held.id if item.held else ""))


@dataclass(frozen=True)
class ReviewDecision:
    """A manager's decision on one proposed change: apply it (the default), hold it back, or
    set another tier ("override"); holding and overriding say why."""

    action: str = "apply"  # apply | hold | override | leave (nothing recorded)
    reason: str = ""
    tier: str | None = None  # the tier an override sets


class ReviewChanged(Exception):
    """The proposals are no longer those the manager decided on (a deal was won meanwhile,
    or another review ran): nothing was applied."""


@dataclass
class ReviewOutcome:
    changes: list[TierChange]
    holds: list[TierHold]


def apply(actor: User | None = None, now: datetime | None = None) -> list[TierChange]:
    """Apply every promotion, demotion and grace-period change, each with its evidence, but
    those a manager decided on by hand (`PlannedChange.by_hand_only`): the scheduled review
    and `lms tiers evaluate --apply`. One transaction; the caller commits."""
    return review(actor, now=now, scheduled=True).changes


def review(actor: User | None = None, decisions: Mapping[int, ReviewDecision] | None = None,
           shown: Mapping[int, str] | None = None, now: datetime | None = None,
           scheduled: bool = False) -> ReviewOutcome:
    """Apply the review, partner by partner as decided (`decisions` by company id; the others
    are applied). With `shown` (the proposals the manager saw, by company id), a review whose
    proposals changed since raises ReviewChanged before anything is written. One transaction;
    the caller commits."""
    decisions = decisions or {}
    start_write_transaction()
    # PostgreSQL: a second review at the same time waits here, then sees this one's result
    # (SQLite: BEGIN IMMEDIATE above already serialises writers).
    db.session.execute(select(Organization.id).where(Organization.active.is_(True))
                       .with_for_update())
    # Taken once the lock is held: what one review records is dated after what the review
    # it waited for recorded (a hold stands only until a later change).
    now = now or utcnow()
    planned, program, version = plan(now)
    if scheduled:
        planned = [item for item in planned if not item.by_hand_only]
    if shown is not None and {item.standing.organization.id: proposal(item)
                              for item in planned} != dict(shown):
        raise ReviewChanged
    unknown = set(decisions) - {item.standing.organization.id for item in planned}
    if unknown:
        raise ReviewChanged
    audience = Audience()
    # The companies that change, as ORM objects to write (plan() read plain rows).
    ids = [item.standing.organization.id for item in planned]
    changing = {org.id: org for org in db.session.scalars(
        select(Organization).where(Organization.id.in_(ids)))} if ids else {}
    outcome = ReviewOutcome([], [])
    for item in planned:
        org = changing[item.standing.organization.id]
        decided = decisions.get(org.id, ReviewDecision())
        if decided.action == "leave":
            continue  # left for another day: nothing recorded
        decision = item.decision
        assert decision.kind is not None  # plan() keeps only the decisions that change
        evidence = rules.evaluation_to_dict(item.standing.evaluation, org.tier.value)
        if decided.action == "hold":
            hold = TierHold(organization_id=org.id, kind=TierChangeKind(decision.kind),
                            from_tier=org.tier, to_tier=Tier(decision.tier),
                            reason=decided.reason, evidence=evidence,
                            program_version_id=version.id if version else None,
                            actor_id=actor.id if actor else None, at=now)
            db.session.add(hold)
            record(AuditAction.TIER_HELD, actor=actor, organization_id=org.id,
                   kind=decision.kind, to_tier=decision.tier, reason=decided.reason)
            notices.held(org, hold, audience, now)
            outcome.holds.append(hold)
            continue
        kind, tier, at_risk_since, reason = (decision.kind, decision.tier,
                                             decision.at_risk_since, None)
        if decided.action == "override":
            if decided.tier is None or decided.tier == org.tier.value:
                raise ReviewChanged  # the tier was set to it meanwhile
            kind = ("promotion" if rules.rank(decided.tier) > rules.rank(org.tier.value)
                    else "demotion")
            tier, at_risk_since, reason = decided.tier, None, decided.reason
        change = TierChange(
            organization_id=org.id, kind=TierChangeKind(kind),
            from_tier=org.tier, to_tier=Tier(tier),
            program_version_id=version.id if version else None, evidence=evidence,
            actor_id=actor.id if actor else None, at=now, reason=reason)
        db.session.add(change)
        if tier != org.tier.value:
            org.tier = Tier(tier)
            org.tier_since = local_date(now)
            record(AuditAction.TIER_CHANGED, actor=actor, organization_id=org.id,
                   changes={"reason": reason} if reason else None, kind=kind,
                   from_tier=change.from_tier.value, to_tier=tier)
        org.at_risk_since = at_risk_since
        notices.applied(org, change, program, audience, now)
        outcome.changes.append(change)
    return outcome


def manual_requirements(program: Program) -> list[Requirement]:
    """The program's manual requirements, once each (a tier above repeats the one below)."""
    seen: dict[str, Requirement] = {}
    for rule in program.tiers:
        for requirement in rule.requirements:
            if requirement.kind == "manual" and requirement.item not in seen:
                seen[requirement.item or ""] = requirement
    return list(seen.values())


def _lock_company(organization: Organization) -> None:
    """Decide on the company's records alone: two managers recording at once take turns,
    as a tier review does."""
    lock_row(Organization, organization.id)


def manual_records(organization: Organization) -> dict[str, ManualRequirementRecord]:
    """What managers recorded as met for the company, by item."""
    return {record.item: record for record in db.session.scalars(
        select(ManualRequirementRecord).where(
            ManualRequirementRecord.organization_id == organization.id)
        .options(joinedload(ManualRequirementRecord.recorded_by)))}


def _manual_record(organization: Organization, item: str) -> ManualRequirementRecord | None:
    return db.session.scalar(select(ManualRequirementRecord).where(
        ManualRequirementRecord.organization_id == organization.id,
        ManualRequirementRecord.item == item))


def record_manual(organization: Organization, item: str, met_on: date, evidence: str,
                  actor: User) -> ManualRequirementRecord:
    """Record a manual requirement as met (or correct the record); the caller commits."""
    _lock_company(organization)
    record_row = _manual_record(organization, item)
    if record_row is None:
        record_row = ManualRequirementRecord(organization_id=organization.id, item=item)
        db.session.add(record_row)
    record_row.met_on, record_row.evidence = met_on, evidence
    record_row.recorded_by_id, record_row.recorded_at = actor.id, utcnow()
    record(AuditAction.REQUIREMENT_RECORDED, actor=actor, organization_id=organization.id,
           item=item, met_on=met_on.isoformat(), evidence=evidence)
    return record_row


def withdraw_manual(organization: Organization, item: str, actor: User) -> bool:
    """Withdraw a manual requirement's record (no longer met); whether there was one."""
    _lock_company(organization)
    row = _manual_record(organization, item)
    if row is None:
        return False
    db.session.delete(row)
    record(AuditAction.REQUIREMENT_WITHDRAWN, actor=actor, organization_id=organization.id,
           item=item)
    return True


def holds(organization: Organization, limit: int = 20) -> list[TierHold]:
    """The changes managers held back for the company, newest first."""
    return list(db.session.scalars(
        select(TierHold).where(TierHold.organization_id == organization.id)
        .options(joinedload(TierHold.actor)).order_by(TierHold.at.desc(), TierHold.id.desc())
        .limit(limit)))


def history(organization: Organization, limit: int = 20) -> list[TierChange]:
    return list(db.session.scalars(
        select(TierChange).where(TierChange.organization_id == organization.id)
        .order_by(TierChange.at.desc(), TierChange.id.desc()).limit(limit)
        .options(joinedload(TierChange.actor))))
