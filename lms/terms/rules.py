"""Which version of the program terms is in force, and which one is coming (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class VersionInfo:
    """What every page needs to know of a version (its text is read only where shown)."""

    id: int
    version: str
    effective_on: date
    digest: str


def in_force(versions: Sequence[VersionInfo], today: date) -> VersionInfo | None:
    """The version with the latest day on or before `today`; None before the first one."""
    started = [v for v in versions if v.effective_on <= today]
    return max(started, key=lambda v: v.effective_on, default=None)


def upcoming(versions: Sequence[VersionInfo], today: date) -> VersionInfo | None:
    """The next version to take effect after `today` (published ahead, accepted early)."""
    ahead = [v for v in versions if v.effective_on > today]
    return min(ahead, key=lambda v: v.effective_on, default=None)


def to_accept(versions: Sequence[VersionInfo], today: date) -> tuple[VersionInfo, ...]:
    """The versions a company is asked to accept today: the one in force, then the coming
    one (accepting it early keeps its people working on the day it takes effect)."""
    return tuple(v for v in (in_force(versions, today), upcoming(versions, today))
                 if v is not None)


def is_blocked(current: VersionInfo | None, accepted_ids: frozenset[int] | set[int]) -> bool:
    """A company's people may register deals and download material once the version in
    force is accepted (no version published: nothing to accept)."""
    return current is not None and current.id not in accepted_ids
