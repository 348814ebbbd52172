"""Read content/program.toml (no Flask, no database): the default tier program."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lms.courses.loader import ContentProblem, toml_error_line
from lms.tiers.rules import Program, program_from_dict

PROGRAM_FILE = "program.toml"


@dataclass
class ProgramFile:
    program: Program | None = None
    problems: list[ContentProblem] = field(default_factory=list)


def load_program(root: Path, credential_slugs: set[str] | None = None) -> ProgramFile:
    """The program of `root/program.toml`; a missing file is no program and no problem."""
    path = root / PROGRAM_FILE
    if not path.is_file():
        return ProgramFile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return ProgramFile(problems=[ContentProblem(PROGRAM_FILE, 1, "not UTF-8 text")])
    except tomllib.TOMLDecodeError as error:
        return ProgramFile(problems=[ContentProblem(PROGRAM_FILE, toml_error_line(error),
                                                    f"invalid TOML: {error}")])
    text = path.read_text(encoding="utf-8")
    program, problems = program_from_dict(data, credential_slugs)
    shown = f"{root.name}/{PROGRAM_FILE}"
    return ProgramFile(program, [ContentProblem(shown, problem_line(text, p), p)
                                 for p in problems])


def problem_line(text: str, problem: str) -> int:
    """The line a validation problem points at: its tier, its requirement, or its key."""
    lines = text.splitlines()

    def first(pattern: str, start: int = 0) -> int | None:
        regex = re.compile(pattern)
        for number in range(start, len(lines)):
            if regex.search(lines[number]):
                return number
        return None

    match = re.match(r"tiers\[(\d+)\]", problem)
    if match:  # the n-th [[tiers]] table
        seen = 0
        for number, line in enumerate(lines):
            if re.match(r"\s*\[\[\s*tiers\s*\]\]", line):
                seen += 1
                if seen == int(match.group(1)):
                    return number + 1
        return 1
    match = re.match(r"(silver|gold|platinum)(?:\.requirements\[(\d+)\])?", problem)
    if match:
        tier_line = first(rf'^\s*tier\s*=\s*["\']{match.group(1)}["\']')
        if tier_line is None:
            return 1
        if match.group(2):  # the n-th requirement after its tier
            seen = 0
            for number in range(tier_line, len(lines)):
                seen += len(re.findall(r"\bkind\s*=", lines[number]))
                if seen >= int(match.group(2)):
                    return number + 1
        return tier_line + 1
    key = re.match(r"([a-z_]+)", problem)
    if key:
        found = first(rf"^\s*(\[)?\s*{key.group(1)}\b")
        if found is not None:
            return found + 1
    return 1
