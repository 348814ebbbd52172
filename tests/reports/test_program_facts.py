"""The facts of the KPI pages from the database: months in Tokyo, activity, training,
certifications, and a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lms.extensions import db
from lms.models import CredentialKind, DealStatus, Role
from lms.reports import kpis, program_facts
from lms.reports.kpis import Activity, DealTally, Training
from tests.factories import count_queries, make_org, make_user
from tests.factories.deals import deal
from tests.factories.learning import attempt, award, credential, lesson, progress, quiz
from tests.factories.reports import at, busy_partners

NOW = at("2026-11-27T09:00")  # months of the period: Dec 2025 (0) ... Nov 2026 (11)


@pytest.fixture
def program(app):
    """Two partners and one that left, with hand-placed events (see each test)."""
    a = make_org(name="Alpha", signed_on=date(2026, 3, 1))
    b = make_org(name="Beta", signed_on=date(2020, 1, 1))
    c = make_org(name="Gone", signed_on=date(2020, 1, 1), active=False)
    a1 = make_user(Role.PARTNER_ADMIN, a, last_seen_at=NOW - timedelta(days=5))
    a2 = make_user(Role.MEMBER, a)
    a3 = make_user(Role.MEMBER, a, active=False)
    b1 = make_user(Role.MEMBER, b, last_seen_at=NOW - timedelta(days=200))
    b2 = make_user(Role.MEMBER, b)
    make_user(Role.MANAGER, last_seen_at=NOW)  # vendor staff are nobody's activity

    # Alpha: registered 31 Oct 15:30 UTC = 1 Nov in Tokyo; won 31 Oct 14:00 UTC = 31 Oct.
    deal(a, registered_at=at("2026-10-31T15:30"), by=a1)
    deal(a, DealStatus.WON, registered_at=at("2026-09-01T03:00"),
         approved_at=at("2026-09-03T03:00"), closed_at=at("2026-10-31T14:00"),
         amount=2_000_000)
    deal(a, DealStatus.WON, registered_at=at("2026-10-01T03:00"),
         closed_at=at("2026-11-05T03:00"), amount=1_000, currency="USD")
    deal(a, DealStatus.LOST, registered_at=at("2026-05-01T03:00"),
         closed_at=at("2026-06-10T03:00"))
    # Beta: a deal won long ago, one lost this year registered by b1.
    deal(b, DealStatus.WON, registered_at=at("2024-05-01T03:00"),
         closed_at=at("2024-06-01T03:00"))
    deal(b, DealStatus.LOST, registered_at=at("2025-12-20T03:00"),
         closed_at=at("2026-01-15T03:00"), by=b1)
    deal(c, DealStatus.WON, registered_at=at("2026-01-10T03:00"),
         closed_at=at("2026-02-01T03:00"))

    the_quiz = quiz()
    attempt(a1, the_quiz, started_at=NOW - timedelta(days=20),
            submitted_at=NOW - timedelta(days=20), passed=True)
    attempt(a1, the_quiz, started_at=NOW - timedelta(days=19),
            submitted_at=NOW - timedelta(days=19), passed=False)
    attempt(a2, the_quiz, started_at=NOW - timedelta(days=100))  # still open: not counted
    attempt(b2, the_quiz, started_at=NOW - timedelta(days=400),
            submitted_at=NOW - timedelta(days=400), passed=True)  # the period before
    progress(a3, lesson(), started_at=NOW - timedelta(days=10))

    cert = credential()
    badge = credential(CredentialKind.BADGE)
    award(a1, cert, issued_at=at("2026-01-15T00:00"))
    award(a1, badge, issued_at=at("2026-01-15T00:00"))
    award(a2, cert, issued_at=at("2024-08-01T00:00"), expires_at=at("2026-08-01T00:00"))
    award(a3, cert, issued_at=at("2025-06-01T00:00"))
    award(b1, cert, issued_at=at("2025-01-01T00:00"), revoked_at=at("2026-10-10T00:00"))
    db.session.commit()
    return {"a": a, "b": b, "c": c}


def test_deals_go_to_their_month_in_tokyo(program):
    a, b, c = program["a"].id, program["b"].id, program["c"].id
    facts = program_facts.gather(program_facts.period(12, NOW))
    # Every company's deals, month by month: Alpha's deal registered 31 Oct 15:30 UTC is
    # November's, its deal won 31 Oct 14:00 UTC October's.
    nothing = DealTally()
    assert facts.months == (
        DealTally(registered=1),  # Dec: Beta
        DealTally(registered=1, lost=1),  # Jan: Gone registers, Beta loses
        DealTally(won=1, won_revenue={"JPY": 1_000_000}),  # Feb: Gone wins
        nothing, nothing,
        DealTally(registered=1),  # May: Alpha
        DealTally(lost=1),  # Jun: Alpha
        nothing, nothing,
        DealTally(registered=1, approved=1),  # Sep: Alpha
        DealTally(registered=1, won=1, won_revenue={"JPY": 2_000_000}),  # Oct: Alpha
        DealTally(registered=1, won=1, won_revenue={"USD": 1_000}),  # Nov: Alpha
    )
    # Each company's deals of the whole period.
    assert facts.deals == {
        a: DealTally(registered=4, approved=1, won=2, lost=1,
                     won_revenue={"USD": 1_000, "JPY": 2_000_000}),
        b: DealTally(registered=1, lost=1),
        c: DealTally(registered=1, won=1, won_revenue={"JPY": 1_000_000}),
    }
    assert facts.first_won_on == {a: date(2026, 10, 31), b: date(2024, 6, 1),
                                  c: date(2026, 2, 1)}


def test_activity_of_people_by_company(program):
    a, b = program["a"].id, program["b"].id
    facts = program_facts.gather(program_facts.period(12, NOW))
    # Alpha: a1 and a2 are active people (a3 is deactivated); a1 was seen 5 days ago.
    assert facts.activity[a] == Activity(people=2, recent_people=1,
                                         last_active_at=NOW - timedelta(days=5),
                                         previous_period=False, current_period=True)
    # Beta: b1 seen 200 days ago; b2's attempt 400 days ago is in the period before.
    assert facts.activity[b] == Activity(people=2, recent_people=0,
                                         last_active_at=NOW - timedelta(days=200),
                                         previous_period=True, current_period=True)
    assert program["c"].id not in facts.activity  # nobody there


def test_training_certified_people_and_certifications_over_time(program):
    a = program["a"].id
    facts = program_facts.gather(program_facts.period(12, NOW))
    assert facts.training == {a: Training(submitted=2, passed=1)}
    # a1 only: a2's expired, a3 is deactivated, b1's was revoked, badges do not count.
    assert facts.certified == {a: 1}
    # End of Dec: a2, a3, b1; a1 from January; a2 expires 1 Aug; b1 revoked 10 Oct.
    assert facts.certifications == (3, 4, 4, 4, 4, 4, 4, 4, 3, 3, 2, 2)


def test_the_figures_of_the_program(program):
    from lms.tiers.program import Program

    figures = kpis.program_figures(program_facts.gather(program_facts.period(12, NOW)),
                                   Program((), exchange_rates={"USD": 150}))
    assert (figures.deals.registered, figures.deals.won, figures.deals.lost) == (6, 3, 2)
    assert figures.deals.revenue == 3_150_000
    assert figures.deals.win_rate == 0.6
    assert figures.ttfd.median_days == (date(2026, 10, 31) - date(2026, 3, 1)).days
    assert (figures.active_partners, figures.partner_count) == (1, 2)
    assert (figures.retention.previously_active, figures.retention.retained) == (1, 1)


def test_one_company_only(program):
    a = program["a"].id
    facts = program_facts.gather(program_facts.period(12, NOW), [a])
    assert [p.id for p in facts.partners] == [a]
    assert set(facts.deals) == {a}
    assert set(facts.activity) == {a}
    assert facts.certifications == (2, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2)


def test_a_short_period_and_the_one_before(program):
    facts = program_facts.gather(program_facts.period(3, NOW))  # Sep, Oct, Nov 2026
    b = program["b"].id
    assert b not in facts.deals
    # Beta: b1 was seen on 11 May, before both September-November and June-August.
    assert facts.activity[b].previous_period is False
    assert facts.activity[b].current_period is False


@pytest.mark.parametrize("partners", [3, 25])
def test_gathering_takes_a_fixed_number_of_queries(app, partners):
    """Partners (with their first won deal), their deals, the months' deals, activity,
    training, certified people, certifications over time; a company's own page needs neither
    the months nor the certifications over time; health needs no certified people either."""
    first = busy_partners(partners, NOW)[0].id
    p = program_facts.period(12, NOW)
    with count_queries() as queries:
        program_facts.gather(p)
    with count_queries() as health:
        program_facts.gather(p, for_health=True)
    with count_queries() as one_company:
        program_facts.gather(p, [first], program_wide=False)
    assert (queries.n, health.n, one_company.n) == (7, 4, 5)


def test_statements_are_built_once_and_bound_to_each_call(app, program):
    """The statements are kept per shape; the period and the companies of one call never
    leak into the next (a company's own figures, then everyone's, then another month)."""
    alpha, beta = program["a"].id, program["b"].id
    whole = program_facts.gather(program_facts.period(12, NOW))
    only_alpha = program_facts.gather(program_facts.period(12, NOW), [alpha])
    built = program_facts._deals_by_month_statement.cache_info()
    again = program_facts.gather(program_facts.period(12, NOW))
    after = program_facts._deals_by_month_statement.cache_info()
    assert (after.misses, after.hits) == (built.misses, built.hits + 1)
    assert set(only_alpha.deals) == {alpha}
    assert only_alpha.deals[alpha] == whole.deals[alpha]
    assert again == whole
    # Three months ending a year later: Alpha's deals of October-November 2026 left it.
    later = program_facts.gather(program_facts.period(3, NOW + timedelta(days=365)))
    assert later.deals == {} and sum(m.registered for m in later.months) == 0
    assert beta in whole.activity and len(later.months) == 3


@pytest.mark.parametrize("partners", [3, 25])
def test_health_from_its_own_facts_equals_health_from_every_fact(app, partners):
    """The health report gathers less (no certified people, no first won deals, nothing of
    the whole program): each partner's score, band and reasons are those the KPI page's full
    facts give, and the facts it left out are the only difference."""
    from lms.tiers.service import program_in_force

    busy_partners(partners, NOW)
    p = program_facts.period(program_facts.HEALTH_MONTHS, NOW)
    program = program_in_force()
    full = program_facts.gather(p)
    expected = program_facts.health_rows(kpis.program_figures(full, program).partners, program)
    report = program_facts.health_report(NOW)
    assert [(r.partner, r.health) for r in report.rows] == \
        [(r.partner, r.health) for r in expected]
    assert sum(report.counts.values()) == len(expected) == partners
    health_facts = program_facts.gather(p, for_health=True)
    assert health_facts.certified == {} and health_facts.first_won_on == {}
    assert full.first_won_on and full.certified
    assert (health_facts.partners, health_facts.training) == (full.partners, full.training)
    assert {k: (a.people, a.recent_people, a.last_active_at)
            for k, a in health_facts.activity.items()} == \
        {k: (a.people, a.recent_people, a.last_active_at) for k, a in full.activity.items()}
