"""The TOML type of each key of a content file, checked before its value is used.

A value of the wrong type (`audience = ["sales"]`, `points = "2"`) is a problem its author
reads as file:line, never a crash; the checks after this one see only the right types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


def is_text(value: object) -> bool:
    return isinstance(value, str)


def is_whole(value: object) -> bool:
    """An integer (TOML's true and false are no numbers)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """An integer or a float (NaN and infinity included: their values are checked after)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_boolean(value: object) -> bool:
    return isinstance(value, bool)


def is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def is_table(value: object) -> bool:
    return isinstance(value, dict)


def is_table_list(value: object) -> bool:
    """An array of tables: `[[name]]` sections, or an array of inline tables."""
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


@dataclass(frozen=True)
class Expected:
    """What one key holds: a test of its TOML type and the problem when it fails."""

    test: Callable[[object], bool]
    wrong: str                   # the problem when the value has another type
    missing: str | None = None   # the problem when the key is left out; None: optional


def needed(test: Callable[[object], bool], problem: str) -> Expected:
    """A key that must be there: left out, it is the same problem as a wrong value."""
    return Expected(test, problem, missing=problem)


def check_types(data: Mapping, expected: Mapping[str, Expected]
                ) -> tuple[dict, list[tuple[str, str]]]:
    """(`data` without the values of a wrong type, [(key, problem)] for each of those and
    each required key left out). Keys `expected` does not name are kept as they are."""
    problems = []
    for key, rule in expected.items():
        if key not in data:
            if rule.missing is not None:
                problems.append((key, rule.missing))
        elif not rule.test(data[key]):
            problems.append((key, rule.wrong))
    wrong = {key for key, _problem in problems}
    return {key: value for key, value in data.items() if key not in wrong}, problems
