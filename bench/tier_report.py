"""Benchmark: the tier qualification report, the KPI report and the partner health report
over a large program.

    .venv/bin/python bench/tier_report.py [--partners 2000] [--people 40000] [--deals 200000]
        [--runs 5] [--activity] [--quick]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/bench_tiers]

Generates partners, people with certifications (some expired, some revoked) and deals spread
over 18 months, in a temporary SQLite file, or with `--database-url` in a schema of its own
in that PostgreSQL database (created for the run and dropped at the end with everything in
it: the database is left as it was, whatever else it holds; the tables are vacuumed and
analysed after loading, as autovacuum would have done by the time anyone reads a report).
`--activity` adds what people did, which the KPI and health pages read: sign-ins, about 2.5
lessons opened and one quiz attempt per person, approvals, and the person who registered
each deal (without it the data are those of issue 15's figures). `--quick` is a small
program, for the test that keeps this script working.

Then, each `--runs` times (medians are printed, with min and max):
- the tier report's build (`lms.reports.tiers.build`: facts, evaluation of every partner,
  sorting), and its own SQL statements, captured during one build (statement and
  parameters, from a `before_cursor_execute` listener), replayed on the bare DB-API
  connection: what the report costs beyond its SQL is the ratio of the two;
- with `--activity`, the build again with Gold also asking for 3 people who completed the
  bench course (the `trained_people` kind: one more part of the facts query, over every
  person's lesson progress and quiz passes), printed as "tier build + trained";
- the whole HTTP pages through the Flask test client, signed in as a channel manager: the
  tier report (HTML, CSV), the KPIs (HTML, CSV of the partners), partner health (HTML, CSV).

The last two lines read (medians, in seconds)
`pages: tiers <s> s, kpis <s> s, health <s> s; tier report build <s> s = <r>x its SQL
(<s> s, <n> statements)` (one line), then
`tier report: <partners> partners, <deals> deals, <seconds> s` (the build).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

QUICK = {"partners": 40, "people": 800, "deals": 4_000, "runs": 2}
# (label, URL) of the pages timed, all as the channel manager.
PAGES = (
    ("tier HTML", "/reports/tiers?tier=gold"),
    ("tier CSV", "/reports/tiers.csv?tier=gold"),
    ("KPI HTML", "/reports/kpis"),
    ("KPI CSV", "/reports/kpis.csv?table=partners"),
    ("health HTML", "/reports/health"),
    ("health CSV", "/reports/health.csv"),
    ("manager home", "/"),  # its tiles: moves per tier, health at risk, expiring, deals
)


def generate(partners: int, people: int, deals: int, rng: random.Random,
             activity: bool = False) -> None:
    """The program; with `activity`, what its people did (drawn from a generator of its own,
    so that partners, people, awards and deals are the same either way)."""
    from lms.activity import rebuild as rebuild_activity
    from lms.extensions import db
    from lms.models import Award, Credential, Deal, Organization, User

    now = datetime.now(UTC)
    acts = random.Random(11)
    tiers = ["bronze"] * 50 + ["silver"] * 30 + ["gold"] * 15 + ["platinum"] * 5
    db.session.execute(db.insert(Organization), [
        {"id": n, "name": f"Partner {n:05d} K.K.", "slug": f"partner-{n:05d}",
         "tier": rng.choice(tiers), "signed_on": date(2022, 1, 1) + timedelta(days=n % 900),
         "active": True, "created_at": now, "tier_since": date(2024, 1, 1)}
        for n in range(1, partners + 1)])
    db.session.execute(db.insert(Credential), [
        {"id": 1, "slug": "nimbus-certified-sales-professional", "name": "NCSP",
         "kind": "certification", "image": "x.svg", "courses": [], "quizzes": [],
         "content_hash": "x", "created_at": now, "description": "", "criteria": ""},
        {"id": 2, "slug": "nimbus-certified-implementation-engineer", "name": "NCIE",
         "kind": "certification", "image": "x.svg", "courses": [], "quizzes": [],
         "content_hash": "x", "created_at": now, "description": "", "criteria": ""}])
    users, awards = [], []
    for n in range(1, people + 1):
        technical = n % 3 == 0
        users.append({"id": n, "email": f"person{n}@bench.test", "name": f"Person {n}",
                      "role": "member", "organization_id": (n % partners) + 1,
                      "job_function": "technical" if technical else "sales",
                      "password_hash": "x", "session_token": f"t{n}", "active": n % 50 != 0,
                      "created_at": now, "last_seen_at": None})
        if rng.random() < 0.5:
            issued = now - timedelta(days=rng.randint(1, 900))
            awards.append({"user_id": n, "credential_id": 2 if technical else 1, "period": 1,
                           "issued_at": issued, "expires_at": issued + timedelta(days=730),
                           "verification_code": f"code{n}", "recipient_salt": "s",
                           "revoked_at": now if rng.random() < 0.02 else None})
        if activity and acts.random() < 0.8:
            users[-1]["last_seen_at"] = now - timedelta(days=acts.randint(0, 400))
    db.session.execute(db.insert(User), users)
    db.session.execute(db.insert(Award), awards)
    if activity:
        _learning(people, acts, now)
    statuses = ["won"] * 50 + ["lost"] * 20 + ["registered"] * 10 + ["approved"] * 10 + \
        ["rejected"] * 5 + ["expired"] * 5
    per_partner = people // partners  # a company's people: (n % partners) + 1 == its id
    batch = []
    for n in range(1, deals + 1):
        registered = now - timedelta(days=rng.randint(0, 548))
        status = rng.choice(statuses)
        closed = registered + timedelta(days=rng.randint(10, 90)) if status in (
            "won", "lost") else None
        if closed and closed > now:
            closed = now
        org_id = rng.randint(1, partners)
        deal = {"organization_id": org_id, "customer_name": f"C{n}",
                "customer_key": f"c{n}", "amount": rng.randint(5, 900) * 10_000,
                "currency": "JPY" if n % 20 else "USD", "product": "", "description": "",
                "status": status, "registered_at": registered, "closed_at": closed,
                "updated_at": now, "approved_at": None, "registered_by_id": None}
        if activity:
            if status in ("approved", "won", "lost"):
                deal["approved_at"] = min(now, registered + timedelta(days=acts.randint(1, 7)))
            if per_partner > 1:  # one of the company's people
                deal["registered_by_id"] = org_id - 1 + partners * acts.randint(
                    1, per_partner - 1)
        batch.append(deal)
        if len(batch) == 20_000:
            db.session.execute(db.insert(Deal), batch)
            batch = []
    if batch:
        db.session.execute(db.insert(Deal), batch)
    if activity:  # bulk inserts bypass the flush that keeps the activity rollup
        rebuild_activity(db.session.connection())
    db.session.commit()
    if db.engine.dialect.name == "sqlite":  # fold the bulk load's WAL into the database file
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    else:  # visibility maps and planner statistics, as autovacuum leaves them (our tables)
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {tables}")


def _learning(people: int, rng: random.Random, now: datetime) -> None:
    """One course of 5 lessons and a quiz: 0 to 5 lessons opened per person (70% of them
    completed), 0 to 2 quiz attempts (70% passed), over the last 18 months."""
    from lms.extensions import db
    from lms.models import (
        Attempt,
        AttemptStatus,
        Course,
        Lesson,
        LessonProgress,
        Quiz,
        QuizKind,
        QuizVersion,
        ReviewPolicy,
    )

    db.session.execute(db.insert(Course), [{
        "id": 1, "slug": "bench-course", "title": "Bench course", "content_hash": "x",
        "created_at": now, "updated_at": now}])
    db.session.execute(db.insert(Lesson), [{
        "id": n, "course_id": 1, "slug": f"lesson-{n}", "position": n, "title": f"L{n}",
        "body_markdown": "", "body_html": "", "source_path": f"{n}.md", "content_hash": "x",
        "created_at": now, "updated_at": now} for n in range(1, 6)])
    db.session.execute(db.insert(Quiz), [{
        "id": 1, "slug": "bench-quiz", "title": "Bench quiz", "kind": QuizKind.QUIZ,
        "current_version_number": 1, "created_at": now}])
    db.session.execute(db.insert(QuizVersion), [{
        "id": 1, "quiz_id": 1, "number": 1, "content_hash": "x", "title": "Bench quiz",
        "pass_percent": 70, "max_attempts": 3, "cooldown_minutes": 0,
        "time_limit_minutes": 0, "draw": 0, "shuffle": False, "review": ReviewPolicy.NEVER,
        "questions": [], "created_at": now}])
    progress, attempts = [], []
    for user_id in range(1, people + 1):
        for lesson_id in range(1, rng.randint(0, 5) + 1):
            started = now - timedelta(days=rng.randint(0, 548))
            completed = started + timedelta(minutes=20) if rng.random() < 0.7 else None
            progress.append({"user_id": user_id, "lesson_id": lesson_id,
                             "started_at": started, "last_viewed_at": completed or started,
                             "completed_at": completed})
        for number in range(1, rng.randint(0, 2) + 1):
            started = now - timedelta(days=rng.randint(0, 548))
            passed = rng.random() < 0.7
            attempts.append({"user_id": user_id, "quiz_id": 1, "quiz_version_id": 1,
                             "number": number, "status": AttemptStatus.SUBMITTED,
                             "started_at": started,
                             "submitted_at": started + timedelta(minutes=15),
                             "questions": [], "answers": {}, "percent": 80 if passed else 40,
                             "passed": passed})
    for rows, model in ((progress, LessonProgress), (attempts, Attempt)):
        for start in range(0, len(rows), 20_000):
            db.session.execute(db.insert(model), rows[start:start + 20_000])


# --- Measuring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    label: str
    times: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def line(self) -> str:
        return (f"{self.label:<12} median {self.median:.3f} s   min {min(self.times):.3f} s   "
                f"max {max(self.times):.3f} s   ({len(self.times)} runs)")


def timed(label: str, runs: int, action: Callable[[], object]) -> Timing:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return Timing(label, times)


def timed_with_trained_people(build: Callable[[], None], runs: int) -> Timing:
    """The build with Gold also asking for 3 people who completed the bench course; the
    program as it was afterwards."""
    from dataclasses import replace

    from lms.extensions import db
    from lms.tiers import service
    from lms.tiers.program import Requirement, TierRule

    program = service.current_program()[0]
    trained = Requirement("trained_people", 3, course="bench-course")
    service.save_program(replace(program, tiers=tuple(
        TierRule(rule.tier, (*rule.requirements, trained)) if rule.tier == "gold" else rule
        for rule in program.tiers)), None, "bench: trained people")
    db.session.commit()
    build()  # warm
    timing = timed("tier build + trained", runs, build)
    service.save_program(program, None, "bench: as it was")
    db.session.commit()
    return timing


def capture_statements(action: Callable[[], object]) -> list[tuple[str, object]]:
    """The SQL statements and their DB-API parameters `action` sends, in order."""
    from sqlalchemy import event

    from lms.extensions import db

    sent: list[tuple[str, object]] = []

    def on_execute(_conn, _cursor, statement, parameters, _context, executemany):
        assert not executemany, "a report reads, it does not write many rows"
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return sent


def replay(statements: Sequence[tuple[str, object]]) -> None:
    """The statements run on a bare DB-API connection of the pool, every row fetched."""
    from lms.extensions import db

    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            cursor.execute(statement, parameters)
            if cursor.description is not None:
                cursor.fetchall()
        cursor.close()
        raw.rollback()
    finally:
        raw.close()


# --- The database --------------------------------------------------------------------------


POSTGRESQL_URL = re.compile(r"^postgres(ql)?(\+psycopg)?://")


@dataclass(frozen=True)
class Scratch:
    """Where the bench writes: a SQLite file in a temporary folder, or a schema of its own in
    a PostgreSQL database (every connection's search_path), dropped at the end."""

    url: str
    schema: str | None = None

    def engine_options(self) -> dict:
        options: dict = {"pool_pre_ping": True}
        if self.schema:
            options["connect_args"] = {"options": f"-c search_path={self.schema}"}
        return options

    def _admin(self, statement: str) -> None:
        import psycopg

        url = POSTGRESQL_URL.sub("postgresql://", self.url)
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(statement)

    def create(self) -> None:
        if self.schema:
            self._admin(f'CREATE SCHEMA "{self.schema}"')

    def drop(self) -> None:
        if self.schema:
            self._admin(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')


def scratch_for(database_url: str | None, tmp: str) -> Scratch:
    if database_url is None:
        return Scratch(f"sqlite:///{tmp}/bench.db")
    if not POSTGRESQL_URL.match(database_url):
        raise SystemExit("--database-url takes a PostgreSQL URL (SQLite runs in a temporary "
                         "file)")
    from lms.config import normalize_database_url

    return Scratch(normalize_database_url(database_url), f"bench_tier_report_{os.getpid()}")


# --- The run ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=None, help="5 (--quick: 2)")
    parser.add_argument("--activity", action="store_true",
                        help="add people's sign-ins, lessons, quiz attempts, deal approvals and "
                             "registrants")
    parser.add_argument("--quick", action="store_true",
                        help=f"a small program: {QUICK} (the sizes given are ignored)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database to run in (in a schema of its own, "
                             "dropped at the end)")
    args = parser.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            if key != "runs" or args.runs is None:
                setattr(args, key, value)
    if args.runs is None:
        args.runs = 5
    if args.people < args.partners:
        parser.error("--people must be at least --partners")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    from lms import create_app
    from lms.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        scratch = scratch_for(args.database_url, tmp)
        scratch.create()
        try:
            app = create_app({
                "LMS_ENV": "development", "SQLALCHEMY_DATABASE_URI": scratch.url,
                "SQLALCHEMY_ENGINE_OPTIONS": scratch.engine_options(),
                "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                "LMS_UPLOAD_DIR": f"{tmp}/uploads"})
            run(app, args)
        finally:
            if "app" in locals():
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
            scratch.drop()


def run(app, args: argparse.Namespace) -> None:
    from lms.cli import upgrade_database
    from lms.extensions import db
    from lms.models import Role, User
    from lms.reports import tiers as tier_report

    with app.app_context():
        upgrade_database()
        start = time.perf_counter()
        generate(args.partners, args.people, args.deals, random.Random(7), args.activity)
        print(f"generated {args.partners} partners, {args.people} people, {args.deals} "
              f"deals{' and their activity' if args.activity else ''} in "
              f"{time.perf_counter() - start:.1f} s ({db.engine.dialect.name})")

        def build():
            db.session.remove()  # a fresh session, as a request has
            report = tier_report.build("gold")
            assert report.total == args.partners
            db.session.remove()

        build()  # warm: the program file read, the statements compiled and cached
        statements = capture_statements(build)
        builds = timed("tier build", args.runs, build)
        replay(statements)
        replays = timed("SQL replay", args.runs, lambda: replay(statements))
        extra = [timed_with_trained_people(build, args.runs)] if args.activity else []
        manager = User(id=args.people + 1, email="manager@bench.test", name="Manager",
                       role=Role.MANAGER)
        manager.set_password("bench-password-1")
        db.session.add(manager)
        db.session.commit()

    client = app.test_client()
    client.post("/login", data={"email": "manager@bench.test", "password": "bench-password-1"})

    def page(url: str) -> Callable[[], None]:
        def get() -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        return get

    pages = []
    for label, url in PAGES:
        page(url)()  # warm: templates compiled
        pages.append(timed(label, args.runs, page(url)))
    for timing in (builds, replays, *extra, *pages):
        print(timing.line())
    by_label = {t.label: t.median for t in pages}
    ratio = builds.median / replays.median
    print(f"pages: tiers {by_label['tier HTML']:.3f} s, kpis {by_label['KPI HTML']:.3f} s, "
          f"health {by_label['health HTML']:.3f} s, manager home {by_label['manager home']:.3f} s; "
          f"tier report build "
          f"{builds.median:.3f} s = {ratio:.1f}x its SQL ({replays.median:.3f} s, "
          f"{len(statements)} statements)")
    print(f"tier report: {args.partners} partners, {args.deals} deals, {builds.median:.3f} s")


if __name__ == "__main__":
    main()
