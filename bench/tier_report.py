"""Benchmark: the tier qualification report over a large program, in a SQLite file.

    python bench/tier_report.py [--partners 2000] [--people 40000] [--deals 200000]
                                [--database-url URL] [--runs 5]

Generates partners, people with certifications (some expired, some revoked) and deals
spread over 18 months, then times the report's query path (facts in two aggregate
queries, evaluation of every partner, sorting) and the whole HTTP page and CSV, each
several times in one run. The last line is the median of the query path:
`tier report: <partners> partners, <deals> deals, <seconds> s`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta


def generate(partners: int, people: int, deals: int, rng: random.Random) -> None:
    from lms.extensions import db
    from lms.models import Award, Credential, Deal, Organization, User

    now = datetime.now(UTC)
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
                      "created_at": now})
        if rng.random() < 0.5:
            issued = now - timedelta(days=rng.randint(1, 900))
            awards.append({"user_id": n, "credential_id": 2 if technical else 1, "period": 1,
                           "issued_at": issued, "expires_at": issued + timedelta(days=730),
                           "verification_code": f"code{n}", "recipient_salt": "s",
                           "revoked_at": now if rng.random() < 0.02 else None})
    db.session.execute(db.insert(User), users)
    db.session.execute(db.insert(Award), awards)
    statuses = ["won"] * 50 + ["lost"] * 20 + ["registered"] * 10 + ["approved"] * 10 + \
        ["rejected"] * 5 + ["expired"] * 5
    batch = []
    for n in range(1, deals + 1):
        registered = now - timedelta(days=rng.randint(0, 548))
        status = rng.choice(statuses)
        closed = registered + timedelta(days=rng.randint(10, 90)) if status in (
            "won", "lost") else None
        if closed and closed > now:
            closed = now
        batch.append({"organization_id": rng.randint(1, partners), "customer_name": f"C{n}",
                      "customer_key": f"c{n}", "amount": rng.randint(5, 900) * 10_000,
                      "currency": "JPY" if n % 20 else "USD", "product": "", "description": "",
                      "status": status, "registered_at": registered, "closed_at": closed,
                      "updated_at": now})
        if len(batch) == 20_000:
            db.session.execute(db.insert(Deal), batch)
            batch = []
    if batch:
        db.session.execute(db.insert(Deal), batch)
    db.session.commit()
    if db.engine.dialect.name == "sqlite":  # fold the bulk load's WAL into the database file
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def timed(runs: int, action) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=2000)
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    os.environ.setdefault("LMS_ENV", "development")
    from lms import create_app
    from lms.cli import upgrade_database
    from lms.extensions import db
    from lms.models import Role, User
    from lms.reports import tiers as tier_report

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                          "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade_database()
            start = time.perf_counter()
            generate(args.partners, args.people, args.deals, random.Random(7))
            print(f"generated {args.partners} partners, {args.people} people, {args.deals} "
                  f"deals in {time.perf_counter() - start:.1f} s ({db.engine.dialect.name})")

            def query_path():
                db.session.expire_all()
                report = tier_report.build("gold")
                assert report.total == args.partners
                db.session.rollback()

            path = timed(args.runs, query_path)
            manager = User(id=args.people + 1, email="manager@bench.test", name="Manager",
                           role=Role.MANAGER)
            manager.set_password("bench-password-1")
            db.session.add(manager)
            db.session.commit()

        client = app.test_client()
        client.post("/login", data={"email": "manager@bench.test",
                                    "password": "bench-password-1"})

        def page():
            assert client.get("/reports/tiers?tier=gold").status_code == 200

        def csv_file():
            assert client.get("/reports/tiers.csv?tier=gold").status_code == 200

        page_times = timed(args.runs, page)
        csv_times = timed(args.runs, csv_file)
        for label, times in (("query path", path), ("HTML page", page_times),
                             ("CSV", csv_times)):
            print(f"{label:<12} median {statistics.median(times):.3f} s   "
                  f"min {min(times):.3f} s   max {max(times):.3f} s   ({args.runs} runs)")
        with app.app_context():
            if args.database_url:  # leave a shared database as it was
                db.session.remove()
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.engine.dispose()
        print(f"tier report: {args.partners} partners, {args.deals} deals, "
              f"{statistics.median(path):.3f} s")


if __name__ == "__main__":
    main()
