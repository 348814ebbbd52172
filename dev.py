#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python 3.12 or newer.

    python3 dev.py demo          set up, load the demo program, serve it on http://127.0.0.1:5000
    python3 dev.py test [ARGS]   set up, lint, type-check, run the test suite (ARGS go to pytest)
    python3 dev.py translations  extract, update and compile the message catalogs

"Set up" means: a virtual environment in .venv with the project and its dev extra installed,
pinned by constraints.txt, redone only when pyproject.toml or constraints.txt changes.

Started by an older Python (Debian's or pyenv's `python3` may be 3.11, whose heap SQLAlchemy's
session teardown corrupts), it looks for python3.13 or python3.12 on the PATH and under pyenv
and runs itself again with the first that works, or says what to install.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".partner-academy-installed"
MINIMUM = (3, 12)
PREFERRED = ("3.13", "3.12")


def _answers(python: str) -> bool:
    """True when `python` runs and is new enough (a pyenv shim may exist yet refuse to run)."""
    check = f"import sys; sys.exit(0 if sys.version_info >= {MINIMUM} else 1)"
    try:
        return subprocess.run([python, "-c", check], capture_output=True,
                              timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_python() -> str | None:
    """A Python >= 3.12 on this machine: on the PATH first, then pyenv's versions."""
    candidates = [shutil.which(f"python{v}") for v in PREFERRED]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for version in PREFERRED:
        found = sorted(glob.glob(os.path.join(pyenv_root, "versions", f"{version}.*", "bin",
                                              f"python{version}")), reverse=True)
        candidates.extend(found)
    return next((c for c in candidates if c and _answers(c)), None)


def ensure_python() -> None:
    """Re-run this script with a new enough Python, or stop with what to install."""
    if sys.version_info >= MINIMUM:
        return
    python = find_python()
    if python is None:
        sys.exit(f"Partner Academy needs Python {MINIMUM[0]}.{MINIMUM[1]} or newer; this is "
                 f"{sys.version.split()[0]}. Install python3.13 or python3.12 (for example "
                 "`pyenv install 3.13` or your system's package) and run this again.")
    print(f"Python {sys.version.split()[0]} is too old; running again with {python}",
          flush=True)
    os.execv(python, [python, str(Path(__file__).resolve()), *sys.argv[1:]])


def run(*args: str | Path, env: dict | None = None) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def _this_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def _venv_version() -> str:
    """The major.minor of the Python that .venv was made with (from pyvenv.cfg)."""
    try:
        for line in (VENV / "pyvenv.cfg").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info"):
                return ".".join(value.strip().split(".")[:2])
    except OSError:
        pass
    return ""


def setup() -> None:
    """Create .venv and install the project (editable, with the dev extra) when needed."""
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        path = ROOT / name
        digest.update(path.read_bytes() if path.exists() else b"")
    wanted = f"{_this_version()} {digest.hexdigest()}"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if (BIN / "python").exists() and _venv_version() != _this_version():
        print("Recreating .venv for Python " + _this_version() + " ...", flush=True)
        shutil.rmtree(VENV)
    if not (BIN / "python").exists():
        print(f"Creating the virtual environment in .venv (Python "
              f"{sys.version.split()[0]}) ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Partner Academy and its dependencies ...", flush=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    constraints = ["-c", "constraints.txt"] if (ROOT / "constraints.txt").exists() else []
    run(BIN / "python", "-m", "pip", "install", "--quiet", *constraints, "-e", ".[dev]")
    STAMP.write_text(wanted)


def development_env() -> dict:
    env = dict(os.environ)
    env.setdefault("LMS_ENV", "development")
    return env


def demo(args: list[str]) -> None:
    setup()
    env = development_env()
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    # Verification links, badges and invitations point where the demo actually serves.
    shown = "localhost" if host in ("0.0.0.0", "::") else host  # noqa: S104 (a comparison)
    env.setdefault("LMS_BASE_URL", f"http://{shown}:{port}")
    run(BIN / "lms", "demo", env=env)
    # The background jobs run beside the server, on the embedded queue (instance/jobs.db).
    worker = subprocess.Popen([str(BIN / "lms"), "worker"], env=env)
    try:
        print(f"\nServing the demo portal on http://{host}:{port}, with the background "
              f"worker (Ctrl+C to stop)", flush=True)
        run(BIN / "lms", "run", "--host", host, "--port", port, *args, env=env)
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test(args: list[str]) -> None:
    setup()
    run(BIN / "ruff", "check", ".")
    run(BIN / "mypy")  # lms/, configured in pyproject.toml
    env = dict(os.environ)
    env.pop("LMS_ENV", None)
    run(BIN / "python", "-m", "pytest", *args, env=env)


def translations(_args: list[str]) -> None:
    setup()
    pot = ROOT / "lms" / "translations" / "messages.pot"
    run(BIN / "pybabel", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext",
        "--no-location", "--sort-output", "--project", "Partner Academy", "-o", pot, ".")
    run(BIN / "pybabel", "update", "-i", pot, "-d", ROOT / "lms" / "translations",
        "--no-fuzzy-matching", "--ignore-obsolete")
    run(BIN / "pybabel", "compile", "-d", ROOT / "lms" / "translations", "--statistics")


COMMANDS = {"demo": demo, "test": test, "translations": translations}


def main() -> None:
    ensure_python()
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
