"""All authored content together: courses and learning paths, quizzes and exams."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from lms.courses.loader import ContentSet, load_content
from lms.courses.sync import sync_content
from lms.credentials.loader import CredentialSet, load_credentials
from lms.kb.loader import KbSet, load_kb
from lms.problems import ContentProblem, ContentWarning
from lms.quizzes.loader import QuizSet, load_quizzes, quiz_warnings
from lms.quizzes.sync import sync_quizzes
from lms.sync import SyncReport
from lms.terms.loader import TermsSet, load_terms
from lms.tiers.loader import ProgramFile, load_program


@dataclass
class LoadedContent:
    courses: ContentSet
    quizzes: QuizSet
    credentials: CredentialSet
    program: ProgramFile
    terms: TermsSet = field(default_factory=TermsSet)
    kb: KbSet = field(default_factory=KbSet)
    # Shown by `lms content check` and every sync; they never block one (problems do).
    warnings: list[ContentWarning] = field(default_factory=list)

    @property
    def problems(self) -> list[ContentProblem]:
        return [*self.courses.problems, *self.quizzes.problems, *self.credentials.problems,
                *self.program.problems, *self.terms.problems,
                *self.kb.problems]

    @property
    def size(self) -> int:
        """Units of work of a sync (for a progress bar)."""
        return self.courses.lesson_count + len(self.quizzes.quizzes)


def load_all() -> LoadedContent:
    """Read and validate every content folder the configuration names, and check that the
    tier rules in force still find the courses they count."""
    content_dir = Path(current_app.config["LMS_CONTENT_DIR"])
    content = load_folders(content_dir, Path(current_app.config["LMS_QUIZZES_DIR"]))
    content.program.problems.extend(_courses_the_rules_need(content, content_dir))
    content.terms.problems.extend(_terms_accepted_as_they_were(content, content_dir))
    return content


def _terms_accepted_as_they_were(content: LoadedContent, content_dir: Path
                                 ) -> list[ContentProblem]:
    """A terms version a company accepted cannot change or go (lms.terms.service)."""
    from sqlalchemy import inspect

    from lms.extensions import db
    from lms.terms.service import sync_problems

    if not inspect(db.engine).has_table("terms_acceptances"):  # before the database exists
        return []
    return sync_problems(content.terms, content_dir.name)


def _courses_the_rules_need(content: LoadedContent, content_dir: Path) -> list[ContentProblem]:
    """A course the tier rules in force count completions of ("trained_people") cannot be
    removed: syncing would archive it and every partner would count 0 for it overnight. The
    rules change first (the editor, /admin/tiers/edit), then the content."""
    from sqlalchemy import inspect

    from lms.extensions import db
    from lms.tiers.service import courses_in_force

    if not inspect(db.engine).has_table("tier_program_versions"):  # `lms content check`
        return []  # before the database exists
    here = {c.group_slug for c in content.courses.courses}
    if content_dir.is_dir():  # a course folder with problems of its own still exists
        here |= {p.name for p in content_dir.iterdir() if (p / "course.toml").is_file()}
    return [ContentProblem(f"{content_dir.name}/{slug}/course.toml", 1,
                           f"the tier rules in force (version {number}) count people who "
                           f"completed the course {slug!r}: change the rules at "
                           "/admin/tiers/edit before removing it")
            for number, slug in courses_in_force() if slug not in here]


def load_folders(content_dir: Path, quiz_dir: Path) -> LoadedContent:
    """Read and validate a content folder and a quizzes folder (no app needed)."""
    courses = load_content(content_dir)
    originals = {c.slug for c in courses.courses if not c.translation_of}
    # A course folder with problems of its own still counts as existing for quiz files.
    if content_dir.is_dir():
        originals |= {p.name for p in content_dir.iterdir() if (p / "course.toml").is_file()
                      and p.name not in {c.slug for c in courses.courses}}
    quizzes = load_quizzes(quiz_dir, originals)
    quiz_slugs = {q.slug for q in quizzes.quizzes}
    if quiz_dir.is_dir():  # a quiz file with problems still exists (reported on its own)
        quiz_slugs |= {p.stem for p in quiz_dir.glob("*.toml")}
    credentials = load_credentials(content_dir, originals, quiz_slugs)
    program = load_program(content_dir, {c.slug for c in credentials.credentials}, originals)
    warnings = quiz_warnings(
        quizzes.quizzes, quiz_dir.name,
        earning={slug for c in credentials.credentials for slug in c.quizzes},
        renewing={c.renewal_quiz for c in credentials.credentials if c.renewal_quiz})
    return LoadedContent(courses=courses, quizzes=quizzes, credentials=credentials,
                         program=program, terms=load_terms(content_dir),
                         kb=load_kb(content_dir), warnings=warnings)


def sync_all(content: LoadedContent, progress: Callable[[int], None] | None = None
             ) -> SyncReport:
    """Import validated content; the caller commits (one transaction)."""
    report = sync_content(content.courses, progress)
    sync_quizzes(content.quizzes, report)
    from lms.credentials.service import sync_credentials

    sync_credentials(content.credentials, report)
    if content.program.program is not None:
        from lms.tiers.service import seed_program

        if seed_program(content.program.program):
            report.created.append("tier program (content/program.toml)")
    from lms.terms.service import sync_terms

    sync_terms(content.terms, report)
    from lms.kb.service import sync_kb

    sync_kb(content.kb, report)
    if progress:
        progress(len(content.quizzes.quizzes))
    return report
