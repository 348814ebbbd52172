"""All authored content together (courses now; quizzes and credentials join here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from lms.courses.loader import ContentProblem, ContentSet, load_content
from lms.courses.sync import SyncReport, sync_content


@dataclass
class LoadedContent:
    courses: ContentSet

    @property
    def problems(self) -> list[ContentProblem]:
        return list(self.courses.problems)

    @property
    def size(self) -> int:
        """Units of work of a sync (for a progress bar)."""
        return self.courses.lesson_count


def load_all() -> LoadedContent:
    """Read and validate every content folder the configuration names."""
    return LoadedContent(courses=load_content(Path(current_app.config["LMS_CONTENT_DIR"])))


def sync_all(content: LoadedContent, progress: Callable[[int], None] | None = None
             ) -> SyncReport:
    """Import validated content; the caller commits (one transaction)."""
    return sync_content(content.courses, progress)
