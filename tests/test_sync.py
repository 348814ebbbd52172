"""What every content sync shares (lms/sync.py): assign only what differs, archive what left
the files, and say so in the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lms.sync import SyncReport, archive_missing, set_changed

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
EARLIER = datetime(2026, 1, 5, tzinfo=UTC)


@dataclass
class Item:
    title: str = "Old"
    position: int = 1
    archived_at: datetime | None = None


def test_set_changed_assigns_only_what_differs():
    item = Item()

    assert set_changed(item, title="Old", position=1) is False
    assert set_changed(item, title="New", position=1) is True
    assert (item.title, item.position) == ("New", 1)


def test_archive_missing_archives_what_left_the_files_once():
    kept, gone, already = Item(), Item(), Item(archived_at=EARLIER)
    report = SyncReport()

    archive_missing({"kept": kept, "gone": gone, "already": already}, ["kept"], NOW, report,
                    "lesson basics/")

    assert (kept.archived_at, gone.archived_at, already.archived_at) == (None, NOW, EARLIER)
    assert report.archived == ["lesson basics/gone"]
    assert report.changed and "1 archived" in report.summary()


def test_a_report_without_changes_says_nothing_to_do():
    report = SyncReport(unchanged=3)

    assert not report.changed
    assert report.summary() == "Nothing to do: content is up to date (3 items unchanged)."
