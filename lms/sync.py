"""What every content sync shares (courses and lessons, quizzes, credentials): the report of
what changed, assigning only what differs, and archiving what left the files."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived or self.restored)

    def summary(self) -> str:
        if not self.changed:
            return f"Nothing to do: content is up to date ({self.unchanged} items unchanged)."
        return (f"{len(self.created)} created, {len(self.updated)} updated, "
                f"{len(self.archived)} archived, {len(self.restored)} restored, "
                f"{self.unchanged} unchanged.")


class SyncRefused(Exception):
    """A change the sync found unsafe once it held its locks (content changed under it): the
    whole sync is rolled back, and the message says why."""


class Archivable(Protocol):
    archived_at: Any


def set_changed(obj: object, **values: object) -> bool:
    """Assign only what differs; True when anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


class Dated(Archivable, Protocol):
    updated_at: Any


def update_synced(row: Dated, values: dict[str, object], now: datetime, report: SyncReport,
                  label: str) -> None:
    """A row the files still have: restored if it was archived, updated where it differs
    (its updated_at then moves), and reported as restored, updated or unchanged."""
    restored = row.archived_at is not None
    if restored:
        row.archived_at = None
        report.restored.append(label)
    if set_changed(row, **values):
        row.updated_at = now
        if not restored:
            report.updated.append(label)
    elif not restored:
        report.unchanged += 1


def archive_missing(existing: Mapping[str, Archivable], wanted: Iterable[str], now: datetime,
                    report: SyncReport, prefix: str) -> None:
    """Archive what the database has and the files no longer do; the report names each as
    `prefix` + slug ("quiz " + "ncsp-exam")."""
    keep = set(wanted)
    for slug, item in existing.items():
        if slug not in keep and item.archived_at is None:
            item.archived_at = now
            report.archived.append(prefix + slug)
