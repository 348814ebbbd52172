"""Problems found in content files, each reported as `file:line: what is wrong` (no Flask,
no database): the line of a TOML key or table, and the report the course loader fills.

The loaders of credentials, quizzes and the tier program use the same helpers, so every
content problem reads alike.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lms.text import BIDI_CONTROLS
from lms.tomltypes import Expected, check_types

TOML_LINE_RE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class ContentProblem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{_one_line(self.path)}:{self.line}: {_one_line(self.message)}"


@dataclass(frozen=True)
class ContentWarning(ContentProblem):
    """Content that loads and syncs but likely works against its author's intent: reported
    as `file:line: warning: ...` (the compilers' form editors jump to), never blocking."""

    def __str__(self) -> str:
        return f"{_one_line(self.path)}:{self.line}: warning: {_one_line(self.message)}"


def _one_line(text: str) -> str:
    """Line breaks, control and bidi characters escaped: a value quoted from a file cannot
    split a problem over lines or rearrange the terminal."""
    return "".join(ascii(ch)[1:-1] if ch in BIDI_CONTROLS or unicodedata.category(ch) in
                   {"Cc", "Zl", "Zp"} else ch for ch in text)


def key_line(text: str, key: str, offset: int = 0) -> int:
    """The line (1-based) where `key = ...` or a `[key]` or `[[key]]` table is written, else
    the first line."""
    name = re.escape(key)
    pattern = re.compile(rf"^[ \t]*(?:{name}[ \t]*=|\[\[?[ \t]*{name}[ \t]*\]\]?)",
                         re.MULTILINE)
    match = pattern.search(text)
    return offset + (text.count("\n", 0, match.start()) + 1 if match else 1)


def top_key_line(text: str, key: str) -> int:
    """The line of a top-level `key = ...` (written before the first table) or of a `[key]`
    or `[[key]]` table, not of a key of the same name inside another table; else 1."""
    first_table = re.search(r"^[ \t]*\[", text, re.MULTILINE)
    head = text[:first_table.start()] if first_table else text
    if re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", head, re.MULTILINE):
        return key_line(head, key)
    table = re.search(rf"^[ \t]*\[\[?[ \t]*{re.escape(key)}[ \t]*\]\]?", text, re.MULTILINE)
    return text.count("\n", 0, table.start()) + 1 if table else 1


def table_key_line(text: str, table: str, key: str, offset: int = 0) -> int:
    """The line of `key` inside the table `table` (`[table]` and the keys under it, or an
    inline `table = { key = ... }` on one line), else of the table, else the first line."""
    header = re.search(rf"^[ \t]*\[[ \t]*{re.escape(table)}[ \t]*\][ \t]*$", text, re.MULTILINE)
    if header is None:
        return key_line(text, table.rpartition(".")[2], offset)
    before = text.count("\n", 0, header.start())
    section = text[header.start():]
    following = re.search(r"^[ \t]*\[", section[1:], re.MULTILINE)  # the next table
    if following is not None:
        section = section[:following.start() + 1]
    return key_line(section, key, offset + before)


def table_chunks(text: str, name: str) -> list[tuple[int, str]]:
    """(lines before it, its text) of each `[[name]]` table of a TOML text, in order."""
    starts = [m.start() for m in re.finditer(
        rf"^[ \t]*\[\[[ \t]*{re.escape(name)}[ \t]*\]\]", text, re.MULTILINE)]
    ends = [*starts[1:], len(text)]
    return [(text.count("\n", 0, start), text[start:end]) for start, end in
            zip(starts, ends, strict=False)]


def toml_error_line(error: tomllib.TOMLDecodeError, offset: int = 0) -> int:
    match = TOML_LINE_RE.search(str(error))
    return offset + (int(match.group(1)) if match else 1)


class Reporter:
    """The problems of a content folder, with paths shown relative to its parent."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[ContentProblem] = []

    def add(self, path: Path, line: int, message: str) -> None:
        try:
            shown = path.relative_to(self.root.parent)
        except ValueError:
            shown = path
        self.problems.append(ContentProblem(str(shown), line, message))

    def typed(self, path: Path, text: str, data: dict, expected: dict[str, Expected],
              offset: int = 0) -> dict:
        """Report unknown keys, missing ones and values of a wrong TOML type; the values
        left to check (each of the type `expected` says)."""
        self.unknown_keys(path, text, data, set(expected), offset)
        typed, problems = check_types(data, expected)
        for key, message in problems:
            self.add(path, key_line(text, key, offset) if key in data else offset + 1, message)
        return typed

    def unknown_keys(self, path: Path, text: str, data: dict, allowed: set[str],
                     offset: int = 0) -> None:
        for key in data:
            if key not in allowed:
                self.add(path, key_line(text, key, offset),
                         f"unknown key '{key}' (allowed: {', '.join(sorted(allowed))})")
