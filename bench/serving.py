"""Serving a copy of the demo for the benchmarks, and reading the servers' logs.

`lms demo` builds the demo program in a SQLite file or a PostgreSQL database (`Postgres`:
dropped and recreated, never `postgres` or a template database); `Server` serves it with
gunicorn (or `lms run`) on a free port of 127.0.0.1, its output in a log file, sign-in
limits raised so a bench is not throttled; `summarise_log` folds that log into its distinct
warnings, errors, tracebacks and 5xx answers. bench/concurrency.py and bench/pages.py use it.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the published demo credential (DESIGN.md)
NO_LIMIT = "100000 per minute"


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def interrupt_on_signals() -> None:
    """Ctrl+C and a plain kill both raise KeyboardInterrupt, so the bench stops its servers and
    prints what was measured; a shell that starts the bench in the background leaves SIGINT
    ignored unless reset here."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class KeepEverything(urllib.request.HTTPErrorProcessor):
    """Hand every answer back as it is: no redirect followed, no exception for 4xx/5xx."""

    def http_response(self, request, response):
        return response

    https_response = http_response


# --- The demo and its servers ---------------------------------------------------------------


def postgresql_driver(url: str) -> str:
    """A PostgreSQL URL with psycopg 3 as its driver, as the portal uses (lms.config)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+psycopg://", url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str, uploads: Path) -> dict[str, str]:
    """The environment of `lms` and the servers: ours only, nothing inherited for the app."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LMS_", "FLASK_")) and k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update({
        "DATABASE_URL": database_url, "LMS_ENV": "development", "LMS_UPLOAD_DIR": str(uploads),
        "SECRET_KEY": secrets.token_urlsafe(48), "LMS_RATELIMIT_STORAGE_URI": "memory://",
        "LMS_LOGIN_LIMIT_ACCOUNT": NO_LIMIT, "LMS_LOGIN_LIMIT_DEVICE": NO_LIMIT,
        "LMS_LOGIN_LIMIT_ADDRESS": NO_LIMIT, "FLASK_SKIP_DOTENV": "1", "PYTHONUNBUFFERED": "1",
    })
    return env


def lms_command() -> list[str]:
    script = Path(sys.executable).parent / "lms"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "flask", "--app", "wsgi"]


def run_demo(database_url: str, uploads: Path, log: Path) -> None:
    """`lms demo` into `database_url`; RuntimeError with the log's tail when it fails."""
    start = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run([*lms_command(), "demo"], cwd=ROOT, stdout=out,  # noqa: S603
                              stderr=subprocess.STDOUT, env=server_env(database_url, uploads),
                              check=False)
    if done.returncode != 0:
        raise RuntimeError(f"lms demo failed ({done.returncode}); see {log}:\n{tail(log)}")
    print(f"lms demo: {time.perf_counter() - start:.1f} s ({redact(database_url)})")


def tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def redact(url: str) -> str:
    """The URL without its password, to print."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def _has_control_socket() -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any("--no-control-socket" in (s.cli or []) for s in KNOWN_SETTINGS)


class Server:
    """One server of the demo on 127.0.0.1, its output in a log file; always stopped at the end.

    `gunicorn -w <workers>` (sync workers) serving `app`, or with `dev_server` `lms run`
    (Flask's threaded development server)."""

    def __init__(self, name: str, database_url: str, uploads: Path, log: Path, *,
                 app: str = "wsgi:app", workers: int = 2, chdir: Path | None = None,
                 dev_server: bool = False) -> None:
        self.name, self.log, self.port = name, log, free_port()
        self.dev_server = dev_server
        self.base = f"http://127.0.0.1:{self.port}"
        if dev_server:
            command = [*lms_command(), "run", "--host", "127.0.0.1", "--port", str(self.port),
                       "--no-reload", "--no-debugger", "--with-threads", "--no-debug"]
        else:
            command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
                       f"127.0.0.1:{self.port}", "--graceful-timeout", "10"]
            if chdir is not None:
                command += ["--chdir", str(chdir)]
            if _has_control_socket():
                # gunicorn 27 opens a control socket at one path per user (~/.gunicorn): two
                # servers (or another bench) would fight over it.
                command.append("--no-control-socket")
            command.append(app)
        self._out = log.open("w")
        # A session of its own: Ctrl+C reaches the bench, which then stops the server itself.
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self._out,  # noqa: S603
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        env=server_env(database_url, uploads))

    def wait_ready(self, path: str = "/healthz", timeout: float = 60.0) -> None:
        """Wait until GET `path` answers 200; RuntimeError when the server exits or never does."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n"
                                   f"{tail(self.log)}")
            try:
                with opener.open(self.base + path, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer {path} in {timeout:.0f} s:\n"
                           f"{tail(self.log)}")

    def cpu_seconds(self) -> float | None:
        """CPU time of the server and its worker processes so far (Linux /proc), else None."""
        tick = os.sysconf("SC_CLK_TCK")
        total, found = 0.0, False
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat.parent.name == str(self.process.pid) or \
                    fields[1] == str(self.process.pid):  # fields[1]: the parent's pid
                total += (int(fields[11]) + int(fields[12])) / tick  # utime + stime
                found = True
        return total if found else None

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until the server has finished starting up (gunicorn's workers import the app
        after the first one answers): under a tenth of a core used over half a second."""
        end = time.monotonic() + timeout
        before = self.cpu_seconds()
        while before is not None and time.monotonic() < end:
            time.sleep(0.5)
            now = self.cpu_seconds()
            if now is None or now - before < 0.05:
                return
            before = now
        if before is None:
            time.sleep(3.0)

    def stop(self) -> None:
        if self.process.poll() is None:
            # gunicorn: TERM is the graceful stop; the dev server stops cleanly on INT.
            self.process.send_signal(signal.SIGINT if self.dev_server else signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the server and its workers
                self.process.wait()
        self._out.close()


@dataclass(frozen=True)
class Postgres:
    """A bench's PostgreSQL database, named by one URL, dropped and recreated for a run; a bench
    that serves several fresh copies keeps the demo in `<name>_template` and copies it."""

    url: str
    fallback_name: str = "bench"  # when the URL names no database

    def _with(self, name: str) -> str:
        parts = urllib.parse.urlsplit(
            re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", self.url))
        return urllib.parse.urlunsplit(parts._replace(path="/" + name))

    @property
    def name(self) -> str:
        return urllib.parse.urlsplit(self.url).path.lstrip("/") or self.fallback_name

    @property
    def template(self) -> str:
        return f"{self.name}_template"

    @property
    def run_url(self) -> str:
        return self._with(self.name)

    @property
    def template_url(self) -> str:
        return self._with(self.template)

    def execute(self, *statements: str) -> None:
        """Statements in the server's maintenance database `postgres` (autocommit)."""
        import psycopg

        with psycopg.connect(self._with("postgres"), autocommit=True,
                             connect_timeout=3) as conn:
            for statement in statements:
                conn.execute(statement)

    def problem(self) -> str | None:
        """None when the server answers, else why not."""
        if self.name in ("postgres", "template0", "template1"):
            return f"refusing to drop and recreate the database {self.name!r}"
        try:
            self.execute("SELECT 1")
        except Exception as error:
            return (str(error).strip() or repr(error)).splitlines()[0]
        return None

    def recreate(self, name: str | None = None, template: str | None = None) -> None:
        """Drop and create `name` (default: the bench's database), empty or a copy of
        `template`."""
        name = name or self.name
        source = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                     f'CREATE DATABASE "{name}"{source}')

    def drop(self, *names: str) -> None:
        """Drop these databases (default: the bench's database)."""
        self.execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
                       for name in names or (self.name,)))


# --- Server logs --------------------------------------------------------------------------------

# gunicorn: "[2026-05-04 10:00:00 +0000] [123] [ERROR] ..."; the portal (lms.logs):
# "2026-05-04 10:00:00,123 ERROR [request id] lms: ..."; the access log of `lms run`:
# '127.0.0.1 - - [04/May/2026 10:00:00] "GET / HTTP/1.1" 500 -'
RECORD = re.compile(r"^(?:\[\d{4}-\d\d-\d\d [^\]]*\] \[\d+\] \[(?P<g>[A-Z]+)\]"
                    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (?P<l>[A-Z]+) \[[^\]]*\]"
                    r'|\d+\.\d+\.\d+\.\d+ - - \[[^\]]+\] "[^"]*" (?P<status>\d{3})) (?P<m>.*)$')
PROJECT_FRAME = re.compile(r'File "(?:[^"]*/)?((?:lms|bench)/[^"]+)", line (\d+), in (\w+)')
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the development server colours its access log
NOTABLE = {"WARNING", "ERROR", "CRITICAL"}


def _fold(text: str) -> str:
    text = re.sub(r"/(courses|verify|organizations)/\S+", r"/\1/<...>", text)
    text = re.sub(r"(?<![\w.])\d+(?![\w.])", "<n>", text)
    return text[:160]


def summarise_log(path: Path) -> list[tuple[int, str]]:
    """Distinct warnings, errors, tracebacks and 5xx answers of a server log: (count, what),
    most frequent first."""
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = ANSI.sub("", text).splitlines()
    found: Counter = Counter()
    i = 0
    while i < len(lines):
        record = RECORD.match(lines[i])
        level = (record.group("g") or record.group("l")) if record else None
        if record and (record.group("status") or "").startswith("5"):
            found["access log: a 5xx answer"] += 1
        block = [lines[i]]
        i += 1
        while i < len(lines) and not RECORD.match(lines[i]):
            block.append(lines[i])
            i += 1
        if not any(x.startswith("Traceback") for x in block) and level not in NOTABLE:
            continue
        head = f"{level} {_fold(record.group('m'))}" if level else "traceback"
        raised = [x for x in block[1:] if x and not x[0].isspace() and not x.startswith(
            ("Traceback", "During handling", "The above exception", "[SQL:", "[parameters:",
             "(Background"))]
        frames = [m.groups() for m in map(PROJECT_FRAME.search, block) if m]
        # The first and the last frame of the project: what the request ran, what failed.
        where = " [at " + " > ".join(dict.fromkeys(
            f"{f[0]}:{f[1]} {f[2]}" for f in (frames[0], frames[-1]))) + "]" if frames else ""
        sql = next((x[6:].strip().removesuffix("]")[:70] for x in block
                    if x.startswith("[SQL:")), "")
        found[head + (f": {raised[-1][:160]}" if raised else "") + where
              + (f" [SQL: {sql}]" if sql else "")] += 1
    return [(count, what) for what, count in found.most_common()]


def print_log_summary(server: Server, keep: bool) -> None:
    """The server log's distinct events, the most frequent first (12 at most)."""
    events = summarise_log(server.log)
    print(f"{server.name} log ({server.log if keep else server.log.name}): "
          + (f"{len(events)} distinct errors and warnings" if events else
             "no error or warning"))
    for count, what in events[:12]:
        print(f"  {count:>6} x {what}")
    if len(events) > 12:
        print(f"  ... {len(events) - 12} more distinct events")
