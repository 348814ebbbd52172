#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python 3.11.

    python3 dev.py demo          set up, load the demo program, serve it on http://127.0.0.1:5000
    python3 dev.py test [ARGS]   set up, lint, run the test suite (ARGS go to pytest)
    python3 dev.py translations  extract, update and compile the message catalogs

"Set up" means: a virtual environment in .venv with the project and its dev extra installed,
redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".partner-academy-installed"


def run(*args: str | Path, env: dict | None = None) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def setup() -> None:
    """Create .venv and install the project (editable, with the dev extra) when needed."""
    if sys.version_info < (3, 11):
        sys.exit("Partner Academy needs Python 3.11 or newer.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing Partner Academy and its dependencies ...", flush=True)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def development_env() -> dict:
    env = dict(os.environ)
    env.setdefault("LMS_ENV", "development")
    return env


def demo(args: list[str]) -> None:
    setup()
    env = development_env()
    run(BIN / "lms", "demo", env=env)
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "5000")
    print(f"\nServing the demo portal on http://{host}:{port} (Ctrl+C to stop)", flush=True)
    run(BIN / "lms", "run", "--host", host, "--port", port, *args, env=env)


def test(args: list[str]) -> None:
    setup()
    run(BIN / "ruff", "check", ".")
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
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
