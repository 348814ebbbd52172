"""Benchmark: concurrent people through the real journeys, on real servers; no 500s allowed.

    .venv/bin/python bench/concurrency.py [--seconds 30] [--clients 16]
        [--database auto|sqlite|postgresql|both] [--database-url URL]
        [--servers gunicorn,lms-run] [--keep]

What it measures: whether the application answers every request of many people working at
the same time without a server error (5xx) or a dropped connection, on SQLite as on
PostgreSQL, and how long the requests take (p50 / p95) under that load.

How: `lms demo` builds the demo program once in a temporary folder (SQLite) and, when the
PostgreSQL server at 127.0.0.1:5432 answers, once in a fresh PostgreSQL database
(`bench_concurrency`, dropped and recreated; `--database-url` names another). Each server
mode then serves a fresh copy of it (a file copy; `CREATE DATABASE ... TEMPLATE` on
PostgreSQL), one after the other:

- `gunicorn -w 4 wsgi:app` (4 sync worker processes), and
- `lms run` (Flask's threaded development server).

Sign-in limits are raised so the bench is not throttled. Then `--clients` threads, each
signed in as a different demo person (`<admin|sales|engineer>@<partner>.demo.test`), loop
through a person's day until `--seconds` have passed:

    sign-in page   GET  /login                      (the csrf_token of the form)
    sign in        POST /login                      -> 302 /
    home           GET  /
    lesson         GET  /courses/<course>/<lesson>  (a course without prerequisites)
    mark complete  POST the lesson's completion form -> 302 (posted again when complete)
    quiz page      GET  /quizzes/<practice quiz>    (unlimited attempts)
    quiz start     POST /quizzes/<practice quiz>    -> 302 /attempts/<id>
    attempt page   GET  /attempts/<id>
    quiz submit    POST /attempts/<id>              -> 302 /attempts/<id>/result
                   (one answer per question, chosen at random from the form)
    quiz result    GET  /attempts/<id>/result
    deal form      GET  /deals/new                  (sales and partner admins only)
    deal submit    POST /deals/new                  -> 302 /deals/<id> (unique customer)
    deal page      GET  /deals/<id>
    sign out       POST /logout                     -> 302 /login

An error is a 5xx answer or a failed connection (refused, reset, timed out after 30 s).
Any other answer than the step's expected one (a 4xx, an unexpected redirect) is counted
apart as "other" and listed per step, so a broken journey shows even without errors. The
server's stderr goes to a log file; its distinct tracebacks and warnings are summarised.
Requests go to 127.0.0.1 only, no proxy, and stop at the deadline (or a request cap).
A server that does not start, or exits during its run, fails the bench. Ctrl+C stops the
servers and prints what was measured.

The last line is `concurrency: <requests> requests, <errors> errors` over everything run;
the exit status is 1 when there was any error or failed run.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import random
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

# Run as a script, sys.path[0] is bench/; loaded by its path, it may not be.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import serving  # bench/serving.py

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_concurrency"
REQUEST_TIMEOUT = 30.0  # s: above SQLite's busy timeout (10 s), like gunicorn's worker timeout
MAX_REQUESTS_PER_CLIENT_SECOND = 100  # cap on the request count, far above what 2 cores do
STEPS = ["sign-in page", "sign in", "home", "lesson", "mark complete", "quiz page",
         "quiz start", "attempt page", "quiz submit", "quiz result", "deal form",
         "deal submit", "deal page", "sign out"]
GUNICORN_WORKERS = 4
SERVERS = {"gunicorn": f"gunicorn -w {GUNICORN_WORKERS} (sync workers)",
           "lms-run": "lms run (threaded dev server)"}


# --- HTML forms ---------------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    id: str
    fields: list[dict] = field(default_factory=list)  # {name, type, value, checked, inputmode}

    def has(self, *names: str) -> bool:
        return all(any(f["name"] == n for f in self.fields) for n in names)

    def value(self, name: str) -> str | None:
        return next((f["value"] for f in self.fields if f["name"] == name), None)


class FormParser(HTMLParser):
    """The forms of a page, with their inputs, selects and textareas (what a browser posts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower(),
                              a.get("id", ""))
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            if tag == "option" and self._select is not None:
                self._option(a)
        elif tag == "input":
            self._form.fields.append({"name": a["name"], "type": a.get("type", "text"),
                                      "value": a.get("value", ""), "checked": "checked" in a,
                                      "inputmode": a.get("inputmode", "")})
        elif tag == "select":
            self._select = {"name": a["name"], "type": "select", "value": None,
                            "checked": True, "inputmode": ""}
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = {"name": a["name"], "type": "textarea", "value": "",
                              "checked": True, "inputmode": ""}
            self._form.fields.append(self._textarea)

    def _option(self, a: dict) -> None:
        if self._select["value"] is None or "selected" in a:
            self._select["value"] = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_forms(html: str) -> list[Form]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def attempt_answers(form: Form, rng: random.Random) -> list[tuple[str, str]]:
    """One answer per question of an attempt form, chosen at random among its options."""
    data = [("csrf_token", form.value("csrf_token") or "")]
    groups: dict[str, list[dict]] = {}
    for f in form.fields:
        if f["name"].startswith("q-"):
            groups.setdefault(f["name"], []).append(f)
    for name, inputs in groups.items():
        kind = inputs[0]["type"]
        if kind == "radio":
            data.append((name, rng.choice(inputs)["value"]))
        elif kind == "checkbox":
            picked = rng.sample(inputs, rng.randint(1, len(inputs)))
            data += [(name, f["value"]) for f in picked]
        elif inputs[0]["inputmode"] == "decimal":
            data.append((name, str(rng.randint(1, 100))))
        else:
            data.append((name, rng.choice(["Partner portal", "client credentials", "25"])))
    return data


# --- Measurements ---------------------------------------------------------------------------


@dataclass
class StepStats:
    times_ms: list[float] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    other: Counter = field(default_factory=Counter)


class Stats:
    """Every request of one server run, by step; shared by the client threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: dict[str, StepStats] = {name: StepStats() for name in STEPS}
        self.journeys = Counter()

    def record(self, step: str, ms: float, error: str | None, other: str | None) -> None:
        with self.lock:
            s = self.steps[step]
            s.times_ms.append(ms)
            if error:
                s.errors[error] += 1
            elif other:
                s.other[other] += 1

    def note(self, step: str, other: str) -> None:
        """An answer of the expected status whose page lacks what the journey needs."""
        with self.lock:
            self.steps[step].other[other] += 1

    def journey(self, outcome: str) -> None:
        with self.lock:
            self.journeys[outcome] += 1

    @property
    def requests(self) -> int:
        return sum(len(s.times_ms) for s in self.steps.values())

    @property
    def errors(self) -> int:
        return sum(s.errors.total() for s in self.steps.values())

    @property
    def others(self) -> int:
        return sum(s.other.total() for s in self.steps.values())


def print_table(stats: Stats, seconds: float) -> None:
    print(f"{'step':<14} {'requests':>8} {'errors':>7} {'other':>6} {'p50 ms':>8} "
          f"{'p95 ms':>8}")
    every: list[float] = []
    for name, s in stats.steps.items():
        every += s.times_ms
        print(f"{name:<14} {len(s.times_ms):>8} {s.errors.total():>7} {s.other.total():>6} "
              f"{serving.percentile(s.times_ms, 50):>8.1f} "
              f"{serving.percentile(s.times_ms, 95):>8.1f}")
    print(f"{'total':<14} {len(every):>8} {stats.errors:>7} {stats.others:>6} "
          f"{serving.percentile(every, 50):>8.1f} {serving.percentile(every, 95):>8.1f}"
          f"   ({len(every) / seconds:.1f} requests/s)")
    done = stats.journeys
    print(f"journeys: {done['complete']} complete, {done['broken']} broken, "
          f"{done['cut by the deadline']} cut by the deadline")
    for title, attr in (("errors", "errors"), ("other answers", "other")):
        lines = [f"  {name}: {count} x {what}" for name, s in stats.steps.items()
                 for what, count in getattr(s, attr).most_common()]
        if lines:
            print(f"{title} by step:")
            print("\n".join(lines))


# --- One simulated person -------------------------------------------------------------------


class Deadline(Exception):
    """The run is over: no new request."""


class SessionLost(Exception):
    """The server sent the person back to the sign-in page: the journey starts again."""


@dataclass
class Person:
    email: str
    can_register_deals: bool


@dataclass
class Answer:
    status: int
    location: str  # path (and query) of a redirect, else ""
    body: str


class Client:
    """One browser: a cookie jar and a person's journeys, step after step, until the end."""

    def __init__(self, number: int, base: str, person: Person, lessons: list[str],
                 quiz: str, run: Run) -> None:
        self.number, self.base, self.person = number, base, person
        self.lessons, self.quiz, self.run = lessons, quiz, run
        self.rng = random.Random(number)
        self.deals = 0
        self.broken = False
        self._new_browser()

    def _new_browser(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar),
            serving.KeepEverything())

    def request(self, step: str, method: str, path: str, data=None, expect: int = 200,
                location: str | None = None) -> Answer | None:
        """Send one request; record it; the answer if it is the expected one, else None."""
        if not path.startswith("/"):
            raise ValueError(f"not a local path: {path}")
        if not self.run.may_send():
            raise Deadline
        body = urllib.parse.urlencode(data or [], doseq=True).encode() if method == "POST" \
            else None
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1:<port> only
            self.base + path, data=body, method=method)
        start = time.perf_counter()
        error = other = None
        answer = None
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as response:
                text = response.read().decode("utf-8", "replace")
                answer = Answer(response.status, _local(response.headers.get("Location")),
                                text)
        except (OSError, urllib.error.URLError, http.client.HTTPException) as failure:
            error = f"connection failed: {type(failure).__name__}: {failure}"[:160]
        ms = (time.perf_counter() - start) * 1000
        if error:
            time.sleep(0.2)  # no hammering of a server that is going away
        if answer is not None:
            if answer.status >= 500:
                error = f"{answer.status}"
            elif answer.status != expect or (
                    location is not None and not re.fullmatch(location, answer.location)):
                other = f"{answer.status}" + (f" -> {_shape(answer.location)}"
                                              if answer.location else "")
        self.run.stats.record(step, ms, error, other)
        if error or other:
            self.broken = True
            if answer is not None and answer.location.startswith("/login"):
                raise SessionLost
            return None
        return answer

    def _form(self, step: str, answer: Answer | None, wanted) -> Form | None:
        """The form the next step posts; a page without it is an other answer of `step`."""
        form = _form(answer, wanted)
        if answer is not None and form is None:
            self.run.stats.note(step, f"{answer.status} without the expected form")
            self.broken = True
        return form

    def run_until_deadline(self) -> None:
        while True:
            self.broken = False
            try:
                self.journey()
            except Deadline:
                self.run.stats.journey("cut by the deadline")
                return
            except SessionLost:
                pass
            self.run.stats.journey("broken" if self.broken else "complete")
            self._new_browser()

    def journey(self) -> None:
        page = self.request("sign-in page", "GET", "/login")
        form = self._form("sign-in page", page, lambda f: f.has("email", "csrf_token"))
        if form is None:
            return
        signed_in = self.request("sign in", "POST", "/login", [
            ("csrf_token", form.value("csrf_token")), ("email", self.person.email),
            ("password", serving.DEMO_PASSWORD)], expect=302, location="/")
        if signed_in is None:
            return
        home = self.request("home", "GET", "/")
        csrf = _csrf(home)

        lesson_path = self.rng.choice(self.lessons)
        lesson = self.request("lesson", "GET", lesson_path)
        if lesson is not None:
            csrf = _csrf(lesson) or csrf
            # The page shows the form until the lesson is complete; a second tab posts again.
            done = _form(lesson, lambda f: f.action.endswith("/complete"))
            self.request("mark complete", "POST", done.action if done else
                         lesson_path + "/complete", [("csrf_token", csrf)], expect=302)

        quiz_path = f"/quizzes/{self.quiz}"
        intro = self.request("quiz page", "GET", quiz_path)
        csrf = _csrf(intro) or csrf
        started = self.request("quiz start", "POST", quiz_path, [("csrf_token", csrf)],
                               expect=302, location=r"/attempts/\d+")
        if started is not None:
            attempt = self.request("attempt page", "GET", started.location)
            form = self._form("attempt page", attempt, lambda f: f.id == "attempt-form")
            if form is not None:
                csrf = form.value("csrf_token") or csrf
                submitted = self.request(
                    "quiz submit", "POST", started.location, attempt_answers(form, self.rng),
                    expect=302, location=re.escape(started.location) + "/result")
                if submitted is not None:
                    csrf = _csrf(self.request("quiz result", "GET", submitted.location)) or csrf

        if self.person.can_register_deals:
            page = self.request("deal form", "GET", "/deals/new")
            form = self._form("deal form", page, lambda f: f.has("customer_name", "amount"))
            if form is not None:
                csrf = form.value("csrf_token") or csrf
                self.deals += 1
                overrides = {
                    "customer_name": f"Bench {self.run.tag} client {self.number} deal "
                                     f"{self.deals}",
                    "amount": f"{self.rng.randint(10, 900) * 10_000:,}",
                    "product": "Nimbus CRM Professional",
                    "description": "Registered by bench/concurrency.py.",
                }
                data = [(f["name"], overrides.get(f["name"], f["value"] or ""))
                        for f in form.fields
                        if f["type"] not in ("checkbox", "radio") or f["checked"]]
                deal = self.request("deal submit", "POST", "/deals/new", data, expect=302,
                                    location=r"/deals/\d+")
                if deal is not None:
                    csrf = _csrf(self.request("deal page", "GET", deal.location)) or csrf

        self.request("sign out", "POST", "/logout", [("csrf_token", csrf)], expect=302,
                     location=r"/login")


def _local(location: str | None) -> str:
    """The path and query of a redirect target: requests only ever go to our server."""
    if not location:
        return ""
    parts = urllib.parse.urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _shape(path: str) -> str:
    """A redirect target with its ids and query values folded, to count alike ones together."""
    return re.sub(r"=[^&]*", "=...", re.sub(r"/\d+", "/<id>", path))


def _form(answer: Answer | None, wanted) -> Form | None:
    if answer is None:
        return None
    return next((f for f in parse_forms(answer.body) if wanted(f)), None)


def _csrf(answer: Answer | None) -> str | None:
    if answer is None:
        return None
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', answer.body)
    return match.group(1) if match else None


# --- Servers and databases --------------------------------------------------------------------


@dataclass
class Run:
    """One server mode on one database: the clients' shared clock, request cap and stats."""

    tag: str
    deadline: float
    cap: int
    stop: threading.Event
    stats: Stats = field(default_factory=Stats)
    sent: int = 0
    halted: str = ""  # why the run ended early (the server went away)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def may_send(self) -> bool:
        with self.lock:
            if self.stop.is_set() or self.halted or time.monotonic() >= self.deadline \
                    or self.sent >= self.cap:
                return False
            self.sent += 1
            return True


@dataclass
class Database:
    name: str  # sqlite | postgresql
    template: Path | None = None  # SQLite: the demo database file built once
    postgres: serving.Postgres | None = None

    def fresh_copy(self, tmp: Path, label: str) -> str:
        """A fresh copy of the demo database for one server run; its URL."""
        if self.postgres is not None:
            self.postgres.recreate(self.postgres.name, self.postgres.template)
            return self.postgres.run_url
        target = tmp / f"{label}.db"
        for suffix in ("", "-wal"):  # no -wal is left once `lms demo` has exited; in case
            source = Path(f"{self.template}{suffix}")
            if source.exists():
                shutil.copyfile(source, Path(f"{target}{suffix}"))
        return f"sqlite:///{target}"


def demo_data(database_url: str) -> tuple[list[Person], list[str], str]:
    """The demo people, the lessons anyone may open, and a quiz anyone may take any time."""
    from sqlalchemy import create_engine, text

    engine = create_engine(serving.postgresql_driver(database_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT u.email, o.slug FROM users u JOIN organizations o "
                "ON o.id = u.organization_id WHERE u.active AND o.active "
                "ORDER BY o.id, u.id")).all()
            lessons = [f"/courses/{c}/{lesson}" for c, lesson in conn.execute(text(
                "SELECT c.slug, l.slug FROM lessons l JOIN courses c ON c.id = l.course_id "
                "WHERE l.archived_at IS NULL AND c.archived_at IS NULL AND NOT EXISTS "
                "(SELECT 1 FROM course_prerequisites p WHERE p.course_id = c.id) "
                "ORDER BY c.position, l.position"))]
            quiz = conn.execute(text(
                "SELECT slug FROM quizzes WHERE kind = 'practice' AND archived_at IS NULL "
                "AND current_version_number > 0 ORDER BY slug")).scalar()
    finally:
        engine.dispose()
    by_role: dict[str, list[Person]] = {"sales": [], "admin": [], "engineer": []}
    for email, slug in rows:
        role = email.partition("@")[0]
        if role in by_role and email == f"{role}@{slug}.demo.test":
            by_role[role].append(Person(email, can_register_deals=role != "engineer"))
    # Sales, partner admin, engineer in turn, each from another company while there are
    # companies left: the first 16 clients are 16 people of 16 companies.
    companies = min(len(group) for group in by_role.values())
    step = max(1, companies // 3)
    people = [group[(i + r * step) % companies] for i in range(companies)
              for r, group in enumerate(by_role.values())]
    if not people or not lessons or quiz is None:
        sys.exit("the demo database lacks people, open lessons or a practice quiz")
    return people, lessons, quiz


# --- Main ---------------------------------------------------------------------------------------


def run_one(mode: str, database: Database, args, tmp: Path,
            stop: threading.Event) -> tuple[Stats, str]:
    """Serve a fresh copy of the demo database with `mode` and drive the clients at it: the
    figures, and why the run failed as a whole ("" when it did not)."""
    label = f"{mode}-{database.name}"
    url = database.fresh_copy(tmp, label)
    people, lessons, quiz = demo_data(url)
    print(f"\n== {SERVERS[mode]} on {database.name}: {args.clients} clients, "
          f"{args.seconds:g} s")
    if args.clients > len(people):
        print(f"note: {len(people)} demo people for {args.clients} clients: some share a "
              "person, and one's sign-out ends the other's session (other answers).")
    log = tmp / f"{label}.log"
    server = serving.Server(mode, url, tmp / "uploads", log, workers=GUNICORN_WORKERS,
                    dev_server=mode == "lms-run")
    run = Run(tag=f"{label}-{secrets.token_hex(3)}", deadline=0.0,
              cap=int(args.clients * args.seconds * MAX_REQUESTS_PER_CLIENT_SECOND), stop=stop)
    elapsed = 0.0
    try:
        booting = time.monotonic()
        server.wait_ready()
        server.wait_idle()
        if server.process.poll() is not None:
            raise RuntimeError(f"{mode} exited ({server.process.returncode}) while starting:"
                               f"\n{serving.tail(log)}")
        print(f"{server.base} answered /healthz and went idle in "
              f"{time.monotonic() - booting:.1f} s")
        clients = [Client(n, server.base, people[n % len(people)], lessons, quiz, run)
                   for n in range(args.clients)]
        threads = [threading.Thread(target=c.run_until_deadline, daemon=True,
                                    name=f"client-{c.number}") for c in clients]
        started = time.monotonic()
        run.deadline = started + args.seconds
        for t in threads:
            t.start()
        try:
            while any(t.is_alive() for t in threads):
                time.sleep(0.5)
                if server.process.poll() is not None and not run.halted:
                    run.halted = (f"the server exited ({server.process.returncode}) during "
                                  "the run")
        except KeyboardInterrupt:
            stop.set()  # no new request; the ones under way end within their timeout
            print("\ninterrupted: finishing the requests under way, then stopping the server")
            end = time.monotonic() + REQUEST_TIMEOUT + 1
            for t in threads:
                t.join(max(0.0, end - time.monotonic()))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    print_table(run.stats, max(elapsed, 1e-9))
    if run.halted:
        print(f"RUN FAILED: {run.halted}; see the server log below")
    serving.print_log_summary(server, args.keep)
    return run.stats, run.halted


def main() -> int:
    serving.interrupt_on_signals()
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="load per server run")
    parser.add_argument("--clients", type=int, default=16, help="concurrent people")
    parser.add_argument("--database", choices=["auto", "sqlite", "postgresql", "both"],
                        default="auto", help="auto: both when PostgreSQL answers, else SQLite")
    parser.add_argument("--database-url", default=None,
                        help=f"the PostgreSQL database to DROP and recreate ({DEFAULT_PG_URL});"
                             " giving it requires PostgreSQL")
    parser.add_argument("--servers", default="gunicorn,lms-run",
                        help="comma-separated: gunicorn, lms-run")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (databases, server logs) and the "
                             "PostgreSQL bench databases")
    args = parser.parse_args()
    modes = [m.strip() for m in args.servers.split(",") if m.strip()]
    if not modes or any(m not in SERVERS for m in modes):
        parser.error(f"--servers takes {', '.join(SERVERS)}")
    if args.clients < 1 or args.seconds <= 0:
        parser.error("--clients and --seconds must be positive")

    postgres = serving.Postgres(args.database_url or DEFAULT_PG_URL,
                                fallback_name="bench_concurrency")
    wanted = "both" if args.database == "auto" and args.database_url else args.database
    names = {"sqlite": ["sqlite"], "postgresql": ["postgresql"]}.get(
        wanted, ["sqlite", "postgresql"])
    if "postgresql" in names:
        problem = postgres.problem()
        if problem and wanted == "auto":
            print(f"PostgreSQL ({serving.redact(postgres.url)}) does not answer: {problem}. "
                  "Running on SQLite only.")
            names = ["sqlite"]
        elif problem:
            sys.exit(f"PostgreSQL ({serving.redact(postgres.url)}): {problem}")

    tmp = Path(tempfile.mkdtemp(prefix="bench-concurrency-"))
    stop = threading.Event()
    totals: list[tuple[str, Stats]] = []
    failed: list[str] = []
    try:
        databases = []
        for name in names:
            if name == "sqlite":
                template = tmp / "demo.db"
                serving.run_demo(f"sqlite:///{template}", tmp / "uploads",
                                 tmp / "demo-sqlite.log")
                databases.append(Database("sqlite", template=template))
            else:
                postgres.recreate(postgres.template)
                serving.run_demo(postgres.template_url, tmp / "uploads",
                                 tmp / "demo-postgresql.log")
                databases.append(Database("postgresql", postgres=postgres))
        for database in databases:
            for mode in modes:
                if stop.is_set():
                    break
                label = f"{SERVERS[mode]} on {database.name}"
                try:
                    stats, problem = run_one(mode, database, args, tmp, stop)
                except RuntimeError as error:  # the server did not start
                    print(f"\n== {label}: FAILED\n{error}")
                    failed.append(f"{label}: did not start")
                    continue
                totals.append((label, stats))
                if problem:
                    failed.append(f"{label}: {problem}")
    except KeyboardInterrupt:
        stop.set()
        print("\ninterrupted")
    except RuntimeError as error:  # lms demo failed
        failed.append(str(error))
    finally:
        if "postgresql" in names and not args.keep:
            try:
                postgres.drop(postgres.name, postgres.template)
            except Exception as error:
                print(f"could not drop the PostgreSQL bench databases: {error}")
        if args.keep:
            print(f"\nkept: {tmp}" + (f" and the PostgreSQL databases {postgres.name}, "
                                      f"{postgres.template}" if "postgresql" in names else ""))
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("\n== totals")
    for label, stats in totals:
        print(f"{label:<48} {stats.requests:>7} requests {stats.errors:>6} errors "
              f"{stats.others:>6} other")
    for problem in failed:
        print(f"FAILED: {problem}")
    if stop.is_set():
        print("(interrupted: partial figures)")
    requests = sum(s.requests for _, s in totals)
    errors = sum(s.errors for _, s in totals)
    print(f"concurrency: {requests} requests, {errors} errors")
    if stop.is_set():
        return 130
    return 1 if errors or failed else 0


if __name__ == "__main__":
    sys.exit(main())
