"""Benchmark: what each page of the portal costs, against a minimal Flask page on the same stack.

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 16] [--pages lesson,home,...]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/bench_pages]
        [--client auto|wrk|python] [--quick] [--keep]

What it measures: requests per second, p50 and p99 latency of one page at a time under
`--connections` concurrent connections, for the portal's main pages and for a yardstick: a
"minimal page" app defined below (Flask, Flask-SQLAlchemy and Jinja; one organization read by
primary key from the portal's own database, rendered by a small template). The ratio of a
page's requests per second to the minimal page's says how far the portal is from what the
stack itself costs, on this machine, at this moment.

How: `lms demo` builds the demo program in a temporary SQLite file, or, with `--database-url`,
in that PostgreSQL database (dropped and recreated; dropped again at the end unless `--keep`).
Two servers run on it at the same time, each `gunicorn -w 2` (2 sync worker processes): the
portal (`wsgi:app`) and the minimal app (`pages:minimal_app()`). Sign-in limits are raised.

The bench signs in through the login form (csrf_token of the form, the session cookie kept)
as a partner's sales person (`--member`, default sales@sakura-systems.demo.test) for the
partner pages and as the channel manager (`--manager`, default manager@demo.test) for the
reports, and opens every page once with that session (it must answer 200, not a redirect)
before the load. The pages (`--pages` chooses among them; the minimal page always runs, it is
the yardstick):

    minimal  /organizations/<member's company id>  (the minimal app; no session)
    verify   /verify/<code>         a valid award's verification code (public; no session)
    lesson   /courses/<c>/<l>       the first lesson the member can open, courses in the
                                    member's language first (locked ones answer a redirect)
    home     /                      member
    catalog  /courses               member
    course   /courses/<c>           the lesson's course, member
    assets   /assets                member
    tiers    /reports/tiers?tier=gold   manager
    kpis     /reports/kpis          manager

Each page gets a short warm-up (both workers compile their templates), then `--seconds` of
load from `wrk` (Debian's package; the cookie goes in a `Cookie:` header, and a Lua script
counts the status codes) or, when wrk is not installed, from Python threads with http.client
(the client then shares the CPU with the servers far more than wrk does: compare figures of
one client only). "server cpu" is the CPU the page's server used during the run, in cores;
"host cpu" what the whole machine used (server, client and anything else running): the
figures hold only for a machine otherwise idle.

The last line is `pages: lesson <r>x, home <r>x, catalog <r>x, assets <r>x, tiers <r>x of the
minimal page` (r: the page's requests/s over the minimal page's; "-" for a page not run). The
exit status is 1 when any answer was not a 2xx (a 4xx or 5xx, or a 3xx: the page redirected,
so its figures are not the page's) or a connection failed, and the servers' distinct errors
and tracebacks are listed; 130 on Ctrl+C, which stops the servers and prints what was
measured. Servers, the client and temporary files never outlive the bench.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, abort, render_template
from flask_sqlalchemy import SQLAlchemy
from jinja2 import DictLoader
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Run as a script, sys.path[0] is bench/; loaded by its path (the tests), it may not be.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving  # bench/serving.py

MEMBER = "sales@sakura-systems.demo.test"
MANAGER = "manager@demo.test"
WORKERS = 2
REQUEST_TIMEOUT = 30.0  # s: gunicorn's worker timeout; a slower answer is a failed request
WARM_UP_SECONDS = 0.5
USER_AGENT = "bench-pages/1"  # the same at sign-in and under load (Flask-Login's session id)
PAGE_NAMES = ["minimal", "verify", "lesson", "home", "catalog", "course", "assets", "tiers",
              "kpis"]
MANAGER_PAGES = {"tiers", "kpis"}
HEADLINE = ["lesson", "home", "catalog", "assets", "tiers"]  # the last line, in this order


# --- The minimal page (served by gunicorn as `pages:minimal_app()`) ---------------------------


class MinimalBase(DeclarativeBase):
    pass


minimal_db = SQLAlchemy(model_class=MinimalBase)


class MinimalOrganization(MinimalBase):
    """The columns of the portal's `organizations` the minimal page shows."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80))
    tier: Mapped[str] = mapped_column(String(20))


MINIMAL_TEMPLATE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ organization.name }}</title></head>
<body>
<h1>{{ organization.name }}</h1>
<p>{{ organization.slug }} is a {{ organization.tier|title }} partner.</p>
</body>
</html>
"""


def minimal_app(database_url: str | None = None) -> Flask:
    """The yardstick: one query by primary key and a small template, on Flask, Flask-SQLAlchemy
    and Jinja as the portal has them; the database is DATABASE_URL unless given."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = serving.postgresql_driver(
        database_url or os.environ["DATABASE_URL"])
    app.jinja_loader = DictLoader({"organization.html": MINIMAL_TEMPLATE})
    minimal_db.init_app(app)

    @app.route("/organizations/<int:organization_id>")
    def organization(organization_id: int):
        found = minimal_db.session.get(MinimalOrganization, organization_id)
        if found is None:
            abort(404)
        return render_template("organization.html", organization=found)

    return app


# --- Measurements -------------------------------------------------------------------------------


@dataclass
class Result:
    """One page under load: what the client counted."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # connect, read, write, timeout
    server_cores: float | None = None
    host_cores: float | None = None  # the whole machine: server, client and anything else

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def not_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def failures(self) -> int:
        """Answers that are not a 2xx (the page was not what ran) and failed connections."""
        return self.not_2xx + self.errors.total()


def ratio(result: Result | None, yardstick: Result | None) -> str:
    if result is None or yardstick is None or yardstick.rate <= 0:
        return "-"
    return f"{result.rate / yardstick.rate:.2f}x"


def headline(results: dict[str, Result]) -> str:
    parts = ", ".join(f"{name} {ratio(results.get(name), results.get('minimal'))}"
                      for name in HEADLINE)
    return f"pages: {parts} of the minimal page"


def print_table(pages: list[Page], results: dict[str, Result]) -> None:
    header = ["page", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx", "errors",
              "server cpu", "host cpu", "vs minimal", "path"]
    rows = []
    for page in pages:
        r = results.get(page.name)
        if r is None:
            continue
        cores = [f"{c:.2f}" if c is not None else "?" for c in (r.server_cores, r.host_cores)]
        rows.append([page.name, f"{r.rate:.1f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
                     str(r.requests), str(r.not_2xx), str(r.errors.total()), *cores,
                     ratio(r, results.get("minimal")), page.label])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1], strict=True)]
        print("  ".join([*cells, row[-1]]).rstrip())


# --- Load: wrk, or Python threads --------------------------------------------------------------

WRK_SCRIPT = """
local threads = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format("%d:%d", status, n))
  end
  local e = summary.errors
  io.write(string.format(
    "bench-pages: requests=%.0f duration_us=%.0f p50_us=%.0f p99_us=%.0f connect=%.0f " ..
    "read=%.0f write=%.0f timeout=%.0f statuses=%s\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
"""


def parse_wrk(output: str) -> Result | None:
    """The result line our Lua script prints at the end of a wrk run, else None."""
    line = next((x for x in output.splitlines() if x.startswith("bench-pages: ")), None)
    if line is None:
        return None
    values = dict(item.split("=", 1) for item in line.removeprefix("bench-pages: ").split())
    statuses = Counter({int(s): int(n) for s, n in (
        pair.split(":") for pair in values["statuses"].split(",") if pair)})
    errors = Counter({kind: int(values[kind]) for kind in ("connect", "read", "write", "timeout")
                      if int(values[kind])})
    return Result(requests=int(values["requests"]),
                  seconds=int(values["duration_us"]) / 1e6,
                  p50_ms=int(values["p50_us"]) / 1000, p99_ms=int(values["p99_us"]) / 1000,
                  statuses=statuses, errors=errors)


def wrk_load(wrk: str, url: str, headers: dict[str, str], connections: int, seconds: int,
             script: Path) -> Result:
    command = [wrk, "-t", str(max(1, min(connections, os.cpu_count() or 1))),
               "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", f"{REQUEST_TIMEOUT:.0f}s", "-s", str(script)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    # A session of its own, like the servers: the bench stops it, also on Ctrl+C.
    process = subprocess.Popen([*command, url], stdout=subprocess.PIPE,  # noqa: S603
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=seconds + REQUEST_TIMEOUT + 30)
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"wrk did not finish in {error.timeout:.0f} s") from error
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    result = parse_wrk(out)
    if process.returncode != 0 or result is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {(err or out).strip()[-500:]}")
    return result


def python_load(url: str, headers: dict[str, str], connections: int, seconds: float,
                stop: threading.Event) -> Result:
    """`connections` threads, each with one http.client connection (kept alive when the server
    keeps it), sending GET `url` until `seconds` have passed."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lock = threading.Lock()
    times_ms: list[float] = []
    statuses: Counter = Counter()
    errors: Counter = Counter()

    def client() -> None:
        mine: list[float] = []
        seen: Counter = Counter()
        failed: Counter = Counter()
        connection: http.client.HTTPConnection | None = None
        while not stop.is_set() and time.monotonic() < deadline:
            if connection is None:
                connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port,
                                                        timeout=REQUEST_TIMEOUT)
            start = time.perf_counter()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
            except TimeoutError:
                failed["timeout"] += 1
            except ConnectionRefusedError:
                failed["connect"] += 1
            except (OSError, http.client.HTTPException):
                failed["read"] += 1
            else:
                mine.append((time.perf_counter() - start) * 1000)
                seen[response.status] += 1
                if not response.will_close:
                    continue
            connection.close()
            connection = None
        if connection is not None:
            connection.close()
        with lock:
            times_ms.extend(mine)
            statuses.update(seen)
            errors.update(failed)

    threads = [threading.Thread(target=client, daemon=True, name=f"client-{n}")
               for n in range(connections)]
    started = time.monotonic()
    deadline = started + seconds
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(requests=len(times_ms), seconds=time.monotonic() - started,
                  p50_ms=serving.percentile(times_ms, 50),
                  p99_ms=serving.percentile(times_ms, 99),
                  statuses=statuses, errors=errors)


# --- Pages ----------------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    server: str  # portal | minimal
    path: str
    person: str | None  # the login whose session cookie the requests carry; None: anonymous

    @property
    def label(self) -> str:
        who = f" ({self.person})" if self.person else ""
        return f"{self.path}{' (minimal app)' if self.server == 'minimal' else who}"


@dataclass
class DemoFacts:
    organization_id: int
    locale: str
    verification_code: str
    lessons: list[tuple[str, str]]  # (course slug, lesson slug), the member's language first


def demo_facts(database_url: str, member: str) -> DemoFacts:
    """What the pages are made of, read from the demo database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(serving.postgresql_driver(database_url))
    try:
        with engine.connect() as conn:
            person = conn.execute(text(
                "SELECT organization_id, locale FROM users WHERE email = :email AND active"),
                {"email": member}).first()
            if person is None or person.organization_id is None:
                raise RuntimeError(f"{member} is not an active partner person of the demo")
            code = conn.execute(text(
                "SELECT verification_code FROM awards WHERE revoked_at IS NULL "
                "ORDER BY expires_at IS NULL DESC, expires_at DESC, id")).scalar()
            locale = person.locale or "en"
            lessons = [tuple(row) for row in conn.execute(text(
                "SELECT c.slug, l.slug FROM lessons l JOIN courses c ON c.id = l.course_id "
                "WHERE l.archived_at IS NULL AND c.archived_at IS NULL "
                "ORDER BY CASE WHEN c.locale = :locale THEN 0 ELSE 1 END, c.position, c.slug, "
                "l.position"), {"locale": locale})]
    finally:
        engine.dispose()
    if code is None or not lessons:
        raise RuntimeError("the demo database lacks a valid award or lessons")
    return DemoFacts(person.organization_id, locale, code, lessons)


class Browser:
    """One signed-in person (or nobody): a cookie jar, and the headers load requests send."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar),
            serving.KeepEverything())
        self.opener.addheaders = [("User-Agent", USER_AGENT), ("Accept-Language", "en")]

    def get(self, path: str, data: list[tuple[str, str]] | None = None) -> tuple[int, str, str]:
        """Status, Location and body of one request (a POST when `data` is given)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)  # noqa: S310 - 127.0.0.1
        with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
            return (response.status, response.headers.get("Location") or "",
                    response.read().decode("utf-8", "replace"))

    def sign_in(self, email: str) -> None:
        status, _, body = self.get("/login")
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
        if status != 200 or match is None:
            raise RuntimeError(f"GET /login answered {status} without a csrf_token")
        status, location, _ = self.get("/login", [("csrf_token", match.group(1)),
                                                   ("email", email),
                                                   ("password", serving.DEMO_PASSWORD)])
        if status != 302 or urllib.parse.urlsplit(location).path != "/":
            raise RuntimeError(f"signing in as {email} answered {status} -> {location or '-'}")

    def headers(self) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "en"}
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        if cookies:
            headers["Cookie"] = cookies
        return headers


def choose_pages(names: list[str], facts: DemoFacts, browsers: dict[str | None, Browser],
                 member: str, manager: str) -> list[Page]:
    """The pages to drive, each opened once with its session: it must answer 200."""
    pages = [Page("minimal", "minimal", f"/organizations/{facts.organization_id}", None)]
    wanted = set(names)
    if "verify" in wanted:
        pages.append(Page("verify", "portal", f"/verify/{facts.verification_code}", None))
    lesson = None
    if wanted & {"lesson", "course"}:
        tried = set()
        for course, slug in facts.lessons:
            if course in tried:
                continue
            tried.add(course)  # a course's first lesson answers as every other one does
            status, _, _ = browsers[member].get(f"/courses/{course}/{slug}")
            if status == 200:
                lesson = (course, slug)
                break
        if lesson is None:
            raise RuntimeError(f"{member} can open no lesson (tried {', '.join(sorted(tried))})")
    paths = {
        "lesson": (f"/courses/{lesson[0]}/{lesson[1]}" if lesson else "", member),
        "home": ("/", member),
        "catalog": ("/courses", member),
        "course": (f"/courses/{lesson[0]}" if lesson else "", member),
        "assets": ("/assets", member),
        "tiers": ("/reports/tiers?tier=gold", manager),
        "kpis": ("/reports/kpis", manager),
    }
    for name in PAGE_NAMES:
        if name in wanted and name in paths:
            path, person = paths[name]
            pages.append(Page(name, "portal", path, person))
    for page in pages:
        if page.server != "portal":
            continue
        status, location, _ = browsers[page.person].get(page.path)
        if status != 200:
            raise RuntimeError(f"{page.name}: GET {page.path} as {page.person or 'nobody'} "
                               f"answered {status}{' -> ' + location if location else ''}")
    return pages


# --- Main -----------------------------------------------------------------------------------------


def host_busy() -> tuple[float, float] | None:
    """CPU time the whole machine has been busy and in all (s), from /proc/stat, else None."""
    try:
        ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - ticks[3] - ticks[4]) / tick, sum(ticks) / tick  # idle, iowait


def _git_commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
                              cwd=serving.ROOT, capture_output=True, text=True, timeout=5,
                              check=False)
    except OSError:
        return "?"
    return done.stdout.strip() or "?"


def run_pages(pages: list[Page], servers: dict[str, serving.Server],
              browsers: dict[str | None, Browser], args, tmp: Path, stop: threading.Event,
              results: dict[str, Result]) -> None:
    """Warm each page up, then load it for --seconds; the figures go into `results`."""
    wrk = None if args.client == "python" else shutil.which("wrk")
    script = tmp / "count-statuses.lua"
    script.write_text(WRK_SCRIPT)
    for page in pages:
        server = servers[page.server]
        url = server.base + page.path
        headers = browsers[page.person].headers() if page.person else {
            "User-Agent": USER_AGENT, "Accept-Language": "en"}
        python_load(url, headers, min(4, args.connections), WARM_UP_SECONDS, stop)
        before, host_before = server.cpu_seconds(), host_busy()
        if wrk:
            result = wrk_load(wrk, url, headers, args.connections, args.seconds, script)
        else:
            result = python_load(url, headers, args.connections, args.seconds, stop)
        after, host_after = server.cpu_seconds(), host_busy()
        if before is not None and after is not None:
            result.server_cores = (after - before) / result.seconds
        if host_before is not None and host_after is not None:
            busy, total = (b - a for a, b in zip(host_before, host_after, strict=True))
            result.host_cores = busy / total * (os.cpu_count() or 1) if total else None
        results[page.name] = result
        statuses = ", ".join(f"{s} x {n}" for s, n in sorted(result.statuses.items()))
        print(f"  {page.name:<8} {result.rate:>8.1f} req/s  ({statuses or 'no answer'})")
        if server.process.poll() is not None:
            raise RuntimeError(f"the {server.name} server exited "
                               f"({server.process.returncode}) during the {page.name} run")


def main() -> int:
    serving.interrupt_on_signals()
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="load per page (10)")
    parser.add_argument("--connections", type=int, default=16,
                        help="concurrent connections (16)")
    parser.add_argument("--pages", default=",".join(PAGE_NAMES),
                        help="comma-separated, among: " + ", ".join(PAGE_NAMES)
                        + " (the minimal page always runs: it is the yardstick)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL database to DROP, recreate and load with the demo "
                             "(postgresql+psycopg://postgres@127.0.0.1/bench_pages); "
                             "default: a temporary SQLite file")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto",
                        help="auto: wrk when installed, else Python threads")
    parser.add_argument("--member", default=MEMBER, help=f"the partner login ({MEMBER})")
    parser.add_argument("--manager", default=MANAGER, help=f"the manager login ({MANAGER})")
    parser.add_argument("--quick", action="store_true", help="a 2-second smoke run per page")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (database, server logs) and the "
                             "PostgreSQL database")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2
    names = [n.strip() for n in args.pages.split(",") if n.strip()]
    if not names or any(n not in PAGE_NAMES for n in names):
        parser.error(f"--pages takes {', '.join(PAGE_NAMES)}")
    if args.seconds < 1 or args.connections < 1:
        parser.error("--seconds and --connections must be positive")
    if args.client == "wrk" and not shutil.which("wrk"):
        parser.error("--client wrk: wrk is not installed (apt-get install wrk)")
    postgres = None
    if args.database_url:
        if not re.match(r"^postgres(ql)?(\+psycopg)?://", args.database_url):
            parser.error("--database-url takes a PostgreSQL URL")
        postgres = serving.Postgres(args.database_url, fallback_name="bench_pages")
        problem = postgres.problem()
        if problem:
            sys.exit(f"PostgreSQL ({serving.redact(postgres.url)}): {problem}")

    client = "wrk" if args.client != "python" and shutil.which("wrk") else "python threads"
    print(f"bench/pages.py at {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC "
          f"({datetime.now().astimezone():%H:%M %Z}), commit {_git_commit()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    stop = threading.Event()
    servers: dict[str, serving.Server] = {}
    pages: list[Page] = []
    results: dict[str, Result] = {}
    failed: list[str] = []
    try:
        if postgres is not None:
            postgres.recreate()
            url = postgres.run_url
        else:
            url = f"sqlite:///{tmp / 'demo.db'}"
        serving.run_demo(url, tmp / "uploads", tmp / "demo.log")
        facts = demo_facts(url, args.member)
        servers["portal"] = serving.Server("portal", url, tmp / "uploads", tmp / "portal.log",
                                           workers=WORKERS)
        servers["minimal"] = serving.Server("minimal", url, tmp / "uploads",
                                            tmp / "minimal.log", app="pages:minimal_app()",
                                            workers=WORKERS, chdir=serving.ROOT / "bench")
        booting = time.monotonic()
        servers["portal"].wait_ready("/healthz")
        servers["minimal"].wait_ready(f"/organizations/{facts.organization_id}")
        for server in servers.values():
            server.wait_idle()
        database = "postgresql" if postgres else "sqlite"
        print(f"servers ready in {time.monotonic() - booting:.1f} s: gunicorn -w {WORKERS} "
              f"(sync workers), portal and minimal app, on {database}")

        portal = Browser(servers["portal"].base)
        browsers: dict[str | None, Browser] = {None: portal}
        if set(names) - MANAGER_PAGES - {"minimal", "verify"}:
            browsers[args.member] = Browser(portal.base)
            browsers[args.member].sign_in(args.member)
        if set(names) & MANAGER_PAGES:
            browsers[args.manager] = Browser(portal.base)
            browsers[args.manager].sign_in(args.manager)
        pages = choose_pages(names, facts, browsers, args.member, args.manager)
        print(f"\n== {len(pages)} pages on {database}, {args.connections} connections, "
              f"{args.seconds} s each, client {client}")
        run_pages(pages, servers, browsers, args, tmp, stop, results)
    except KeyboardInterrupt:
        stop.set()
        print("\ninterrupted: stopping the servers")
    except RuntimeError as error:
        failed.append(str(error))
    finally:
        for server in servers.values():
            server.stop()
        if postgres is not None and not args.keep:
            try:
                postgres.drop()
            except Exception as error:
                print(f"could not drop the PostgreSQL database {postgres.name}: {error}")

    if results:
        print(f"\n== results (load average {os.getloadavg()[0]:.2f} at the end)")
        print_table(pages, results)
    for server in servers.values():
        serving.print_log_summary(server, args.keep)
    if args.keep:
        print(f"kept: {tmp}" + (f" and the PostgreSQL database {postgres.name}"
                                if postgres is not None else ""))
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    for name, result in results.items():
        if result.failures:
            what = ", ".join([f"{s} x {n}" for s, n in sorted(result.statuses.items())
                              if not 200 <= s < 300]
                             + [f"{kind} error x {n}" for kind, n in result.errors.items()])
            failed.append(f"{name}: {result.failures} of {result.requests + result.errors.total()}"
                          f" requests failed ({what})")
    for problem in failed:
        print(f"FAILED: {problem}")
    if stop.is_set():
        print("(interrupted: partial figures)")
    print(headline(results))
    if stop.is_set():
        return 130
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
