"""The tier program in the database: rule versions, gathering a partner's facts (deals in the
review window, people holding a valid credential), standings, planning and applying
promotions, grace periods and demotions, and the history kept of every change."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import (
    AuditAction,
    AuditEvent,
    Award,
    Credential,
    CredentialKind,
    Deal,
    DealStatus,
    JobFunction,
    Organization,
    Role,
    Tier,
    TierChange,
    TierChangeKind,
    TierProgramVersion,
    User,
)
from lms.tiers import service
from lms.tiers.loader import load_program
from lms.tiers.program import Program, Requirement, TierRule, program_to_dict
from lms.tiers.rules import PartnerFacts, evaluate
from tests.factories import count_queries, make_org, make_user

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
TODAY = NOW.date()
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
NCIE = "ncie"
NCSP = "ncsp"

# Silver: 2 won deals and an engineer. Gold: 4 won deals, JPY 1,000,000 and 2 engineers.
PROGRAM = Program(
    tiers=(
        TierRule("silver", (Requirement("won_deals", 2),
                            Requirement("certified_people", 1, NCIE, "technical"))),
        TierRule("gold", (Requirement("won_deals", 4), Requirement("won_revenue", 1_000_000),
                          Requirement("certified_people", 2, NCIE, "technical"))),
        TierRule("platinum", (Requirement("won_deals", 50),)),
    ),
    currency="JPY", review_window_months=12, grace_period_days=90,
    exchange_rates={"USD": 150.0},
)


# --- Helpers --------------------------------------------------------------------------------


def make_credential(slug: str = NCIE) -> Credential:
    existing = db.session.scalar(select(Credential).where(Credential.slug == slug))
    if existing is not None:
        return existing
    credential = Credential(slug=slug, name=slug.upper(), kind=CredentialKind.CERTIFICATION,
                            image="badges/cert.svg", content_hash="0" * 64, validity_months=24)
    db.session.add(credential)
    db.session.commit()
    return credential


def give(user: User, slug: str = NCIE, *, issued: datetime = NOW - 100 * DAY,
         expires: datetime | None = NOW + 600 * DAY, period: int = 1,
         revoked: datetime | None = None) -> Award:
    award = Award(user_id=user.id, credential_id=make_credential(slug).id, period=period,
                  issued_at=issued, expires_at=expires, revoked_at=revoked)
    db.session.add(award)
    db.session.commit()
    return award


def person(org: Organization, job: JobFunction | None = JobFunction.TECHNICAL,
           role: Role = Role.MEMBER, **kw) -> User:
    return make_user(role, org, job=job, **kw)


def engineers(org: Organization, n: int, slug: str = NCIE) -> list[User]:
    people = [person(org) for _ in range(n)]
    for user in people:
        give(user, slug)
    return people


_deal_counter = iter(range(1, 1_000_000))


def won(org: Organization, amount: int = 100_000, currency: str = "JPY", *,
        closed: datetime = NOW - 30 * DAY, status: DealStatus = DealStatus.WON) -> Deal:
    n = next(_deal_counter)
    deal = Deal(organization_id=org.id, customer_name=f"Customer {n} K.K.",
                customer_key=f"customer {n}", amount=amount, currency=currency, status=status,
                closed_at=closed, registered_at=closed - 60 * DAY)
    db.session.add(deal)
    db.session.commit()
    return deal


def facts_of(org: Organization, now: datetime = NOW, program: Program = PROGRAM
             ) -> PartnerFacts:
    return service.gather_facts(now, program, [org.id])[org.id]


def install(program: Program = PROGRAM) -> TierProgramVersion:
    version = service.save_program(program, None, "test rules")
    db.session.commit()
    return version


def reload(org: Organization) -> Organization:
    db.session.expire_all()
    return db.session.get(Organization, org.id)


def changes_of(org: Organization) -> list[TierChange]:
    return list(db.session.scalars(select(TierChange).where(TierChange.organization_id == org.id)
                                   .order_by(TierChange.id)))


def change_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TierChange))


def apply_at(now: datetime, actor: User | None = None) -> list[TierChange]:
    changes = service.apply(actor, now=now)
    db.session.commit()
    return changes


def qualifies_for_silver(org: Organization) -> None:
    for _ in range(2):
        won(org)
    engineers(org, 1)


def qualifies_for_gold(org: Organization) -> None:
    for _ in range(4):
        won(org, 250_000)
    engineers(org, 2)


# --- Program versions -----------------------------------------------------------------------


def test_without_a_stored_version_the_file_program_is_in_force(app):
    program, version = service.current_program()

    assert version is None
    assert program == load_program(Path(app.config["LMS_CONTENT_DIR"])).program
    assert program.rule("gold").requirements  # the real file, not an empty program


def test_seed_program_seeds_only_once(app):
    assert service.seed_program(PROGRAM) is True
    db.session.commit()
    other = Program((TierRule("silver", (Requirement("won_deals", 99),)),))

    assert service.seed_program(other) is False
    db.session.commit()

    rows = list(db.session.scalars(select(TierProgramVersion)))
    assert [(v.number, v.source) for v in rows] == [(1, "file")]
    assert rows[0].rules == program_to_dict(PROGRAM)
    assert service.current_program() == (PROGRAM, rows[0])


def test_seed_program_does_nothing_once_admins_saved_rules(app):
    install()

    assert service.seed_program(Program(())) is False
    assert db.session.scalar(select(func.count()).select_from(TierProgramVersion)) == 1


def test_save_program_numbers_versions_and_keeps_the_old_ones(app):
    admin = make_user(Role.ADMIN)
    programs = [
        PROGRAM,
        Program(PROGRAM.tiers, grace_period_days=30),
        Program((TierRule("silver", (Requirement("won_deals", 7),)),), currency="USD"),
    ]

    saved = []
    for n, program in enumerate(programs, start=1):
        version = service.save_program(program, admin, f"change {n}")
        db.session.commit()
        saved.append((version.id, version.number))

    db.session.expire_all()
    rows = list(db.session.scalars(select(TierProgramVersion).order_by(TierProgramVersion.id)))
    assert [(v.id, v.number) for v in rows] == saved
    assert [v.number for v in rows] == [1, 2, 3]
    assert [v.rules for v in rows] == [program_to_dict(p) for p in programs]
    assert [(v.source, v.note, v.created_by_id) for v in rows] == [
        ("ui", f"change {n}", admin.id) for n in (1, 2, 3)]
    assert [service.program_of(v) for v in rows] == programs
    program, version = service.current_program()
    assert (program, version.number) == (programs[2], 3)
    assert [v.number for v in service.versions()] == [3, 2, 1]
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.TIER_RULES_CHANGED).order_by(AuditEvent.id)))
    assert [(e.actor_id, e.detail["version"]) for e in events] == [
        (admin.id, "1"), (admin.id, "2"), (admin.id, "3")]


def test_save_program_after_the_seed_is_version_two(app):
    service.seed_program(PROGRAM)
    db.session.commit()

    version = install(Program(PROGRAM.tiers, grace_period_days=0))

    assert version.number == 2
    assert service.current_program()[0].grace_period_days == 0
    first = db.session.scalar(select(TierProgramVersion).where(TierProgramVersion.number == 1))
    assert first.rules == program_to_dict(PROGRAM)


# --- Facts: won deals in the review window --------------------------------------------------


def test_won_deals_are_counted_and_summed_by_currency(app):
    org = make_org()
    won(org, 1_000_000)
    won(org, 500_000)
    won(org, 10_000, "USD")
    won(org, 7_000_000, "KRW")

    facts = facts_of(org)

    assert facts.won_deals == 4
    assert facts.won_revenue == {"JPY": 1_500_000, "USD": 10_000, "KRW": 7_000_000}
    evaluation = evaluate(facts, PROGRAM)
    revenue = evaluation.for_tier("gold").results[1]
    assert revenue.requirement.kind == "won_revenue"
    assert revenue.actual == 1_500_000 + 10_000 * 150
    assert evaluation.unconverted_currencies == ("KRW",)


@pytest.mark.parametrize("status", [s for s in DealStatus if s is not DealStatus.WON])
def test_only_won_deals_count(app, status):
    org = make_org()
    won(org, 123, status=status)

    assert facts_of(org) == PartnerFacts()


def test_deals_of_another_partner_do_not_count(app):
    org, other = make_org(), make_org()
    won(other, 5_000)

    assert facts_of(org) == PartnerFacts()
    assert facts_of(other) == PartnerFacts(1, {"JPY": 5_000}, {})


# The window starts at 00:00 on 10 March 2025 in Tokyo, 15:00 UTC on 9 March.
WINDOW_START = datetime(2025, 3, 9, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("closed", "counts"), [
    (WINDOW_START, True),                                   # exactly the window's start
    (WINDOW_START - SECOND, False),                         # a second before it
    (WINDOW_START - timedelta(microseconds=1), False),
    (NOW, True),                                            # closed right now
    (NOW + SECOND, False),                                  # in the future
    (NOW + 400 * DAY, False),
])
def test_the_review_window_edges(app, closed, counts):
    org = make_org()
    won(org, 1_000, closed=closed)

    facts = facts_of(org)

    assert facts.won_deals == (1 if counts else 0)
    assert facts.won_revenue == ({"JPY": 1_000} if counts else {})


def test_the_window_starts_at_midnight_in_the_program_zone_whatever_the_hour(app):
    """The window is counted in the program's days (Asia/Tokyo), like deals and KPIs."""
    org = make_org()
    # 00:00 JST on 10 March 2025 is 15:00 UTC on 9 March: the first moment of the window.
    won(org, 1, closed=datetime(2025, 3, 9, 15, 0, tzinfo=UTC))
    won(org, 10, closed=datetime(2025, 3, 9, 15, 0, tzinfo=UTC) - SECOND)

    early = facts_of(org, now=datetime(2026, 3, 9, 15, 0, tzinfo=UTC))   # 00:00 JST, 10 March
    late = facts_of(org, now=datetime(2026, 3, 10, 14, 59, tzinfo=UTC))  # 23:59 JST, 10 March
    next_day = facts_of(org, now=datetime(2026, 3, 10, 15, 0, tzinfo=UTC))  # 11 March in Tokyo

    assert late.won_revenue == early.won_revenue == {"JPY": 1}
    assert next_day.won_revenue == {}


def test_a_window_ending_at_a_month_end(app):
    org = make_org()
    one_month = Program(PROGRAM.tiers, review_window_months=1)
    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)  # 21:00 on 31 March in Tokyo
    february_28 = datetime(2026, 2, 27, 15, 0, tzinfo=UTC)  # 00:00 on 28 February in Tokyo
    won(org, 1, closed=february_28)
    won(org, 10, closed=february_28 - SECOND)
    won(org, 100, closed=datetime(2026, 3, 31, 11, 59, tzinfo=UTC))

    facts = facts_of(org, now=now, program=one_month)

    assert (facts.won_deals, facts.won_revenue) == (2, {"JPY": 101})


def test_a_longer_window_counts_older_deals(app):
    org = make_org()
    won(org, 1, closed=NOW - 400 * DAY)

    assert facts_of(org).won_deals == 0
    assert facts_of(org, program=Program((), review_window_months=24)).won_deals == 1


# --- Facts: certified people ----------------------------------------------------------------


def certified_count(org: Organization, now: datetime = NOW) -> dict:
    return dict(facts_of(org, now).certified)


def test_a_valid_credential_counts_under_the_persons_job_function(app):
    org = make_org()
    give(person(org, JobFunction.TECHNICAL))
    give(person(org, JobFunction.SALES))
    give(person(org, JobFunction.SALES), NCSP)
    give(person(org, None, Role.PARTNER_ADMIN))
    give(person(org, JobFunction.SALES), NCIE, expires=None)  # a badge never expires

    assert certified_count(org) == {(NCIE, "technical"): 1, (NCIE, "sales"): 2,
                                    (NCSP, "sales"): 1, (NCIE, None): 1}


@pytest.mark.parametrize(("expires", "counts"), [
    (NOW, False),            # expires exactly now: expired
    (NOW - SECOND, False),
    (NOW + SECOND, True),    # a second later: still valid
    (None, True),
])
def test_expired_credentials_do_not_count(app, expires, counts):
    org = make_org()
    give(person(org), issued=NOW - 700 * DAY, expires=expires)

    assert certified_count(org) == ({(NCIE, "technical"): 1} if counts else {})


def test_a_revoked_credential_never_counts(app):
    org = make_org()
    give(person(org), revoked=NOW - DAY)
    give(person(org), revoked=NOW + DAY)  # revoked_at set: revoked, whatever its date
    give(person(org), expires=None, revoked=NOW - 400 * DAY)

    assert certified_count(org) == {}


def test_a_credential_issued_after_now_does_not_count_yet(app):
    org = make_org()
    give(person(org), issued=NOW + SECOND, expires=NOW + 700 * DAY)

    assert certified_count(org) == {}
    assert certified_count(org, NOW + DAY) == {(NCIE, "technical"): 1}


def test_a_deactivated_person_never_counts(app):
    org = make_org()
    give(person(org, active=False))
    give(person(org, active=False), expires=None)

    assert certified_count(org) == {}


def test_a_person_of_another_company_never_counts(app):
    org, other = make_org(), make_org()
    give(person(other))

    assert certified_count(org) == {}
    assert certified_count(other) == {(NCIE, "technical"): 1}


def test_vendor_staff_never_count(app):
    org = make_org()
    give(make_user(Role.MANAGER))
    give(make_user(Role.ADMIN))

    assert service.gather_facts(NOW, PROGRAM) == {}
    assert certified_count(org) == {}


def test_two_periods_of_a_credential_count_once(app):
    org = make_org()
    user = person(org)
    give(user, issued=NOW - 700 * DAY, expires=NOW + 10 * DAY, period=1)
    give(user, issued=NOW - 5 * DAY, expires=NOW + 720 * DAY, period=2)
    other = person(org)
    give(other, issued=NOW - 800 * DAY, expires=NOW - 70 * DAY, period=1)  # expired period
    give(other, issued=NOW - 70 * DAY, expires=NOW + 660 * DAY, period=2)

    assert certified_count(org) == {(NCIE, "technical"): 2}


def test_two_credentials_of_one_person_count_for_each(app):
    org = make_org()
    user = person(org)
    give(user, NCIE)
    give(user, NCSP)

    assert certified_count(org) == {(NCIE, "technical"): 1, (NCSP, "technical"): 1}


def test_certified_people_requirement_with_and_without_job_function(app):
    org = make_org()
    for job in (JobFunction.TECHNICAL, JobFunction.TECHNICAL, JobFunction.SALES, None):
        give(person(org, job, Role.MEMBER if job else Role.PARTNER_ADMIN))
    program = Program((TierRule("silver", (
        Requirement("certified_people", 2, NCIE, "technical"),
        Requirement("certified_people", 2, NCIE, "sales"),
        Requirement("certified_people", 4, NCIE))),))

    results = evaluate(facts_of(org, program=program), program).for_tier("silver").results

    assert [(r.actual, r.met) for r in results] == [(2, True), (1, False), (4, True)]


# --- Facts for many partners ----------------------------------------------------------------


def test_gather_facts_for_every_partner_or_the_given_ones(app):
    a, b, c = make_org(), make_org(), make_org()
    won(a, 10)
    give(person(b))

    everyone = service.gather_facts(NOW, PROGRAM)
    chosen = service.gather_facts(NOW, PROGRAM, [a.id, c.id])

    assert everyone == {a.id: PartnerFacts(1, {"JPY": 10}, {}),
                        b.id: PartnerFacts(0, {}, {(NCIE, "technical"): 1})}
    assert chosen == {a.id: PartnerFacts(1, {"JPY": 10}, {}), c.id: PartnerFacts()}


def partners_with_activity(n: int) -> list[Organization]:
    orgs = []
    for i in range(n):
        org = make_org()
        won(org, 1_000 * (i + 1))
        won(org, 10, "USD")
        give(person(org))
        give(person(org, JobFunction.SALES), NCSP)
        orgs.append(org)
    return orgs


def test_gather_facts_costs_one_query_for_3_or_30_partners(app):
    counts = []
    for n in (3, 30):
        orgs = partners_with_activity(n)
        ids = [o.id for o in orgs]
        db.session.commit()
        # New credentials changed the content: its version is read again, once (not counted).
        service.gather_facts(NOW, PROGRAM)
        with count_queries() as all_partners:
            everyone = service.gather_facts(NOW, PROGRAM)
        with count_queries() as some_partners:
            chosen = service.gather_facts(NOW, PROGRAM, ids)
        counts.append((all_partners.n, some_partners.n))
        assert set(ids) <= set(everyone)
        assert set(chosen) == set(ids)
        assert all(chosen[i].won_deals == 2 and chosen[i].certified == {
            (NCIE, "technical"): 1, (NCSP, "sales"): 1} for i in ids)

    assert counts == [(1, 1), (1, 1)]


def test_standings_cost_the_same_for_3_or_30_partners(app):
    install()
    counts = []
    for n in (3, 30):
        partners_with_activity(n)
        db.session.commit()
        db.session.expire_all()
        service.program_in_force()  # the worker's copy of the program (content), not counted
        with count_queries() as queries:
            rows = service.standings(NOW)
            statuses = [(row.current, row.qualified, row.status()) for row in rows]
        counts.append(queries.n)
        assert len(statuses) == (3 if n == 3 else 33)
        assert set(statuses) == {("bronze", "silver", "promotion_due")}

    assert counts[0] == counts[1]


def test_the_tier_report_reads_two_statements_for_3_or_30_partners(app):
    from lms.reports import tiers as tier_report

    install()
    for n in (3, 30):
        partners_with_activity(n)
        db.session.commit()
        db.session.expire_all()
        service.program_in_force()  # the worker's copy of the program (content), not counted
        with count_queries() as queries:
            report = tier_report.build("silver", now=NOW)
        # The partners, then their facts (won deals, certified people) in one query.
        assert queries.n == 2, queries.statements
        assert report.total == (3 if n == 3 else 33)
        assert report.counts["promotion_due"] == report.total


def test_standings_of_active_partners(app):
    install()
    gold, silver, idle = make_org(name="A Gold"), make_org(name="B Silver"), make_org(name="C")
    make_org(name="D gone", active=False)
    qualifies_for_gold(gold)
    qualifies_for_silver(silver)

    rows = service.standings(NOW)

    assert [(r.organization.id, r.current, r.qualified, r.status(), r.status("gold"))
            for r in rows] == [
        (gold.id, "bronze", "gold", "promotion_due", "promotion_due"),
        (silver.id, "bronze", "silver", "promotion_due", "below"),
        (idle.id, "bronze", "bronze", "holds", "below"),
    ]
    standing, program = service.standing_of(silver, NOW)
    assert (standing.qualified, standing.next_tier, program) == ("silver", "silver", PROGRAM)


# --- plan and apply: promotion --------------------------------------------------------------


def test_plan_writes_nothing(app):
    install()
    org = make_org(tier=Tier.SILVER, tier_since=date(2025, 1, 1))
    promoted = make_org()
    qualifies_for_gold(promoted)
    db.session.commit()

    with count_queries() as queries:
        planned, program, version = service.plan(NOW)

    assert program == PROGRAM and version.number == 1
    assert {(p.standing.organization.id, p.decision.kind, p.decision.tier) for p in planned} == {
        (org.id, "at_risk", "silver"), (promoted.id, "promotion", "gold")}
    assert not [s for s in queries.statements
                if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert not (db.session.new or db.session.dirty or db.session.deleted)
    db.session.commit()
    assert change_count() == 0
    org, promoted = reload(org), reload(promoted)
    assert (org.tier, org.at_risk_since, promoted.tier) == (Tier.SILVER, None, Tier.BRONZE)


def test_promotion_is_immediate_with_its_evidence(app):
    version = install()
    admin = make_user(Role.ADMIN)
    org = make_org(tier_since=date(2025, 4, 1))
    qualifies_for_gold(org)

    changes = apply_at(NOW, admin)

    assert len(changes) == 1
    org = reload(org)
    assert (org.tier, org.tier_since, org.at_risk_since) == (Tier.GOLD, TODAY, None)
    [change] = changes_of(org)
    assert (change.kind, change.from_tier, change.to_tier) == (
        TierChangeKind.PROMOTION, Tier.BRONZE, Tier.GOLD)
    assert (change.program_version_id, change.actor_id, change.at) == (version.id, admin.id, NOW)
    evidence = change.evidence
    assert (evidence["qualified"], evidence["current"]) == ("gold", "bronze")
    assert [(r["requirement"], r["actual"], r["required"], r["met"])
            for r in evidence["tiers"]["gold"]] == [
        ("won_deals", 4, 4, True),
        ("won_revenue", 1_000_000, 1_000_000, True),
        (f"certified_people:{NCIE}:technical", 2, 2, True),
    ]
    assert [(r["actual"], r["required"], r["met"]) for r in evidence["tiers"]["platinum"]] == [
        (4, 50, False)]
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == AuditAction.TIER_CHANGED)))
    assert [(e.organization_id, e.actor_id, e.detail["from_tier"], e.detail["to_tier"])
            for e in events] == [(org.id, admin.id, "bronze", "gold")]


def test_promotion_one_tier_up(app):
    install()
    org = make_org(tier=Tier.SILVER, tier_since=date(2025, 4, 1))
    qualifies_for_gold(org)

    [change] = apply_at(NOW)

    assert (change.from_tier, change.to_tier, change.actor_id) == (Tier.SILVER, Tier.GOLD, None)
    assert (reload(org).tier, reload(org).tier_since) == (Tier.GOLD, TODAY)


def test_apply_twice_records_nothing_the_second_time(app):
    install()
    promoted = make_org()
    qualifies_for_silver(promoted)
    at_risk = make_org(tier=Tier.GOLD)
    recovering = make_org(tier=Tier.SILVER, at_risk_since=TODAY - 10 * DAY)
    qualifies_for_silver(recovering)
    make_org()  # holds bronze

    first = service.apply(now=NOW)
    second = service.apply(now=NOW)  # in the same transaction
    db.session.commit()
    third = apply_at(NOW)            # and after committing

    assert sorted((c.organization_id, c.kind.value) for c in first) == sorted([
        (promoted.id, "promotion"), (at_risk.id, "at_risk"), (recovering.id, "recovered")])
    assert second == third == []
    assert change_count() == 3
    assert service.plan(NOW)[0] == []


def test_apply_without_a_stored_version_uses_the_file_and_no_version(app):
    org = make_org(tier=Tier.GOLD)  # nothing achieved: short of the file's gold

    [change] = apply_at(NOW)

    assert (change.kind, change.program_version_id) == (TierChangeKind.AT_RISK, None)
    assert change.evidence["tiers"]["gold"][0]["required"] == 10
    assert reload(org).at_risk_since == TODAY


def test_inactive_partners_are_left_alone(app):
    install()
    org = make_org(tier=Tier.PLATINUM, active=False)

    assert apply_at(NOW) == []
    assert (reload(org).tier, reload(org).at_risk_since) == (Tier.PLATINUM, None)


# --- apply: grace period and demotion -------------------------------------------------------


def test_a_first_shortfall_starts_the_grace_period(app):
    version = install()
    org = make_org(tier=Tier.GOLD, tier_since=date(2024, 6, 1))
    qualifies_for_silver(org)

    [change] = apply_at(NOW)

    org = reload(org)
    assert (org.tier, org.tier_since, org.at_risk_since) == (Tier.GOLD, date(2024, 6, 1), TODAY)
    assert (change.kind, change.from_tier, change.to_tier, change.program_version_id) == (
        TierChangeKind.AT_RISK, Tier.GOLD, Tier.GOLD, version.id)
    assert change.evidence["qualified"] == "silver"
    assert [r["met"] for r in change.evidence["tiers"]["gold"]] == [False, False, False]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == AuditAction.TIER_CHANGED)) == 0


def test_still_short_before_the_grace_period_ends_changes_nothing(app):
    install()
    since = TODAY - 89 * DAY
    org = make_org(tier=Tier.GOLD, tier_since=date(2024, 6, 1), at_risk_since=since)
    qualifies_for_silver(org)

    assert apply_at(NOW) == []

    org = reload(org)
    assert (org.tier, org.at_risk_since, change_count()) == (Tier.GOLD, since, 0)


def test_recovery_ends_the_grace_period(app):
    install()
    org = make_org(tier=Tier.GOLD, tier_since=date(2024, 6, 1), at_risk_since=TODAY - 60 * DAY)
    qualifies_for_gold(org)

    [change] = apply_at(NOW)

    org = reload(org)
    assert (org.tier, org.tier_since, org.at_risk_since) == (Tier.GOLD, date(2024, 6, 1), None)
    assert (change.kind, change.from_tier, change.to_tier) == (
        TierChangeKind.RECOVERED, Tier.GOLD, Tier.GOLD)
    assert all(r["met"] for r in change.evidence["tiers"]["gold"])


def test_demotion_after_exactly_the_grace_period(app):
    install()
    org = make_org(tier=Tier.GOLD, tier_since=date(2024, 6, 1), at_risk_since=TODAY - 90 * DAY)
    qualifies_for_silver(org)

    [change] = apply_at(NOW)

    org = reload(org)
    assert (org.tier, org.tier_since, org.at_risk_since) == (Tier.SILVER, TODAY, None)
    assert (change.kind, change.from_tier, change.to_tier) == (
        TierChangeKind.DEMOTION, Tier.GOLD, Tier.SILVER)
    assert (change.evidence["current"], change.evidence["qualified"]) == ("gold", "silver")
    assert [c.kind for c in service.history(org)] == [TierChangeKind.DEMOTION]


def test_the_grace_period_over_time(app):
    install()
    org = make_org(tier=Tier.PLATINUM, tier_since=date(2024, 6, 1))
    start = NOW - 200 * DAY
    # Silver all along: the deals and the engineer's credential stay valid throughout.
    won(org, closed=start - 5 * DAY)
    won(org, closed=start - 4 * DAY)
    give(person(org), issued=start - 30 * DAY, expires=None)

    assert [c.kind for c in apply_at(start)] == [TierChangeKind.AT_RISK]
    assert apply_at(start + DAY) == []
    assert apply_at(start + 89 * DAY) == []
    assert reload(org).tier == Tier.PLATINUM
    assert [(c.kind, c.to_tier) for c in apply_at(start + 90 * DAY)] == [
        (TierChangeKind.DEMOTION, Tier.SILVER)]
    assert apply_at(start + 91 * DAY) == []

    org = reload(org)
    assert (org.tier, org.tier_since, org.at_risk_since) == (
        Tier.SILVER, (start + 90 * DAY).date(), None)
    history = service.history(org)
    assert [(c.kind, c.from_tier, c.to_tier, c.at) for c in history] == [
        (TierChangeKind.DEMOTION, Tier.PLATINUM, Tier.SILVER, start + 90 * DAY),
        (TierChangeKind.AT_RISK, Tier.PLATINUM, Tier.PLATINUM, start),
    ]


def test_a_promotion_ends_the_grace_period(app):
    install()
    org = make_org(tier=Tier.SILVER, at_risk_since=TODAY - 30 * DAY)
    qualifies_for_gold(org)

    [change] = apply_at(NOW)

    org = reload(org)
    assert (change.kind, org.tier, org.at_risk_since) == (TierChangeKind.PROMOTION, Tier.GOLD,
                                                          None)


def test_no_grace_period_demotes_at_once(app):
    install(Program(PROGRAM.tiers, grace_period_days=0))
    org = make_org(tier=Tier.GOLD, tier_since=date(2024, 6, 1))

    [change] = apply_at(NOW)

    org = reload(org)
    assert (org.tier, org.tier_since, org.at_risk_since) == (Tier.BRONZE, TODAY, None)
    assert (change.kind, change.from_tier, change.to_tier) == (
        TierChangeKind.DEMOTION, Tier.GOLD, Tier.BRONZE)


def test_a_shorter_grace_period_demotes_a_partner_already_at_risk(app):
    install(Program(PROGRAM.tiers, grace_period_days=30))
    org = make_org(tier=Tier.GOLD, at_risk_since=TODAY - 30 * DAY)
    qualifies_for_silver(org)

    [change] = apply_at(NOW)

    assert (change.kind, reload(org).tier) == (TierChangeKind.DEMOTION, Tier.SILVER)


def test_concurrent_applies_record_a_change_once(app, request):
    """Cron and a manager's click at the same moment: the second run must see the first."""
    install()
    org = make_org()
    qualifies_for_silver(org)
    outcome: dict[str, object] = {}

    def other_run() -> None:
        with app.app_context():
            try:
                outcome["changes"] = len(service.apply(now=NOW))
                db.session.commit()
            except Exception as error:  # reported by the main thread
                outcome["error"] = error
                db.session.rollback()

    first = service.apply(now=NOW)  # not committed yet: the other run starts meanwhile
    thread = threading.Thread(target=other_run)
    thread.start()
    thread.join(timeout=1.0)
    db.session.commit()
    thread.join(timeout=10.0)

    assert not thread.is_alive()
    assert "error" not in outcome, outcome
    assert len(first) == 1
    assert outcome["changes"] == 0
    assert [c.kind for c in changes_of(org)] == [TierChangeKind.PROMOTION]


# --- history --------------------------------------------------------------------------------


def test_history_is_newest_first_and_limited(app):
    install()
    org, other = make_org(), make_org(tier=Tier.GOLD)
    qualifies_for_silver(org)
    apply_at(NOW - 20 * DAY)                       # promotion to silver
    org_row = reload(org)
    org_row.tier, org_row.tier_since = Tier.GOLD, TODAY - 10 * DAY  # set by hand: now short
    db.session.commit()
    apply_at(NOW - 10 * DAY)                       # at risk

    history = service.history(org)

    assert [(c.kind, c.at) for c in history] == [
        (TierChangeKind.AT_RISK, NOW - 10 * DAY), (TierChangeKind.PROMOTION, NOW - 20 * DAY)]
    assert [c.kind for c in service.history(org, limit=1)] == [TierChangeKind.AT_RISK]
    assert all(c.actor is None for c in history)  # loaded with the change, no extra query
    # Still inside its grace period at the second run: one change only.
    assert [(c.organization_id, c.kind) for c in service.history(other)] == [
        (other.id, TierChangeKind.AT_RISK)]
