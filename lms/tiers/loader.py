"""Read content/program.toml (no Flask, no database): the default tier program."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lms.problems import ContentProblem, toml_error_line
from lms.tiers.program import Program, program_from_dict

PROGRAM_FILE = "program.toml"
TABLE_RE = re.compile(r"\s*\[\[?\s*[\w.\"' -]+\s*\]\]?\s*(?:#.*)?$")  # [table], [[array]]


@dataclass
class ProgramFile:
    program: Program | None = None
    problems: list[ContentProblem] = field(default_factory=list)


def load_program(root: Path, credential_slugs: set[str] | None = None,
                 course_slugs: set[str] | None = None) -> ProgramFile:
    """The program of `root/program.toml`; a missing file is no program and no problem."""
    path = root / PROGRAM_FILE
    if not path.is_file():
        return ProgramFile()
    shown = f"{root.name}/{PROGRAM_FILE}"
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        return ProgramFile(problems=[ContentProblem(shown, 1, "not UTF-8 text")])
    except tomllib.TOMLDecodeError as error:
        return ProgramFile(problems=[ContentProblem(shown, toml_error_line(error),
                                                    f"invalid TOML: {error}")])
    program, problems = program_from_dict(data, credential_slugs, course_slugs)
    return ProgramFile(program, [ContentProblem(shown, problem_line(text, p), p)
                                 for p in problems])


def problem_line(text: str, problem: str) -> int:
    """The line a validation problem points at: its tier, its requirement, or its key."""
    lines = text.splitlines()
    where = problem.split(":", 1)[0]
    match = re.fullmatch(r"tiers\[(\d+)\](?:\.(\w+))?", where)
    if match:  # the n-th [[tiers]] table, or a key of it
        header = _nth_tier_table(lines, int(match.group(1)))
        if header is None:  # tiers = [...], not [[tiers]] tables
            return _line_of(lines, ["tiers"]) + 1
        keys = [match.group(2)] if match.group(2) else []
        return _line_of(lines, keys, header + 1, _table_end(lines, header + 1), header) + 1
    match = re.fullmatch(r"benefits\.(bronze|silver|gold|platinum)(?:\.(\w+))?", where)
    if match:  # [benefits.<tier>], or a key of it
        header = next((n for n, line in enumerate(lines) if re.match(
            rf"\s*\[\s*benefits\s*\.\s*{match.group(1)}\s*\]", line)), None)
        if header is None:
            return _line_of(lines, ["benefits"]) + 1
        keys = [match.group(2)] if match.group(2) else []
        return _line_of(lines, keys, header + 1, _table_end(lines, header + 1), header) + 1
    match = re.fullmatch(r"(silver|gold|platinum)(?:\.requirements\[(\d+)\](?:\.\w+)?)?",
                         where)
    if match:
        return _requirement_line(lines, match.group(1), match.group(2))
    return _line_of(lines, where.split(".")) + 1


def _nth_tier_table(lines: list[str], n: int) -> int | None:
    headers = [number for number, line in enumerate(lines)
               if re.match(r"\s*\[\[\s*tiers\s*\]\]", line)]
    return headers[n - 1] if n <= len(headers) else None


def _table_end(lines: list[str], start: int) -> int:
    """The index of the next [table] or [[array]] line from `start` (or the end)."""
    return next((n for n in range(start, len(lines)) if TABLE_RE.match(lines[n])), len(lines))


def _line_of(lines: list[str], keys: list[str], start: int = 0, end: int | None = None,
             found: int = 0) -> int:
    """The index of the line of a dotted key (`health.weights`) between `start` and `end`,
    each part inside the table of the one before; else of the last part found (`found`)."""
    end = len(lines) if end is None else end
    for key in keys:
        regex = re.compile(rf"^\s*(?:\[+\s*)?{re.escape(key)}\b")
        number = next((n for n in range(start, end) if regex.search(lines[n])), None)
        if number is None:
            break
        found, start, end = number, number + 1, _table_end(lines, number + 1)
    return found


def _requirement_line(lines: list[str], tier: str, index: str | None) -> int:
    """The line of a tier's `tier = "..."`, or of its n-th requirement: the n-th `kind = `
    after `requirements`, else the `requirements` line itself."""
    tier_line = next((n for n, line in enumerate(lines)
                      if re.search(rf'^\s*tier\s*=\s*["\']{tier}["\']', line)), None)
    if tier_line is None or not index:
        return 1 if tier_line is None else tier_line + 1
    start = max((n for n in range(tier_line) if TABLE_RE.match(lines[n])), default=0)
    end = _table_end(lines, tier_line)
    requirements = next((n for n in range(start, end)
                         if re.match(r"\s*requirements\s*=", lines[n])), None)
    if requirements is None:
        return tier_line + 1
    seen = 0
    for number in range(requirements, end):
        seen += len(re.findall(r"\bkind\s*=", lines[number]))
        if seen >= int(index):
            return number + 1
    return requirements + 1
