"""The program terms authored in `content/terms/` (no Flask, no database).

One Markdown file per version, named after it, with TOML front matter between `+++` lines:

    content/terms/2026-12.md       the version "2026-12" in its original language
    +++
    title = "Nimbus Partner Program Agreement"
    effective = 2026-12-01         # in force from this day (program time zone)
    changes = "What is new since the version before, in a paragraph (optional)."
    locale = "en"                  # the original's language (optional, "en" or "ja")
    +++
    The terms, in Markdown.

    content/terms/2026-12.ja.md    its translation: title, changes; the same day applies

Every problem is reported as `file:line: what is wrong`, as for courses and quizzes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lms.courses.loader import LOCALES, read_front_matter, typed_titled, typed_translation
from lms.problems import ContentProblem, Reporter, key_line
from lms.tomltypes import Expected, is_text, needed

FOLDER = "terms"
# "2026-12.md" or "2026-12.ja.md": a version is lower-case letters, digits and dashes.
FILE_RE = re.compile(r"^(?P<version>[0-9a-z][0-9a-z-]{0,59})(?:\.(?P<locale>[a-z]{2}))?\.md$")

# Taken by the terms' own pages (/terms/acceptances).
RESERVED = {"acceptances"}

ORIGINAL_TYPES = {
    "title": needed(is_text, "title must be text (the name of the agreement)"),
    "effective": needed(lambda v: isinstance(v, date) and not hasattr(v, "hour"),
                        "effective must be a TOML date, e.g. effective = 2026-12-01"),
    "changes": Expected(is_text, "changes must be text (what is new in this version)"),
    "locale": Expected(lambda v: v in LOCALES,
                       f"locale must be one of {', '.join(sorted(LOCALES))}"),
}
TRANSLATION_TYPES = {
    "title": needed(is_text, "title must be text (the name of the agreement)"),
    "changes": Expected(is_text, "changes must be text (what is new in this version)"),
}


@dataclass(frozen=True)
class TermsSpec:
    version: str
    effective_on: date
    locale: str  # the original's language
    titles: dict[str, str]
    bodies: dict[str, str]
    changes: dict[str, str]
    source: str  # "terms/2026-12.md"

    @property
    def digest(self) -> str:
        return terms_digest(self.titles, self.bodies)


def terms_digest(titles: dict[str, str], bodies: dict[str, str]) -> str:
    """What a company accepts: every language's title and text (not the "changes" note)."""
    payload = json.dumps([titles, bodies], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class TermsSet:
    versions: list[TermsSpec] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _File:
    path: Path
    front: str
    data: dict
    body: str


def _read(report: Reporter, path: Path) -> _File | None:
    read = read_front_matter(report, path, path.read_bytes(), "title, effective")
    if read is None:
        return None
    front, data, body, body_line = read
    if not body.strip():
        report.add(path, body_line, "the terms' text is empty: write it after the closing +++")
        return None
    return _File(path, front, data, body.strip() + "\n")


def load_terms(content_dir: Path) -> TermsSet:
    """Every version in `content_dir/terms/` (none when the folder does not exist)."""
    folder = content_dir / FOLDER
    result = TermsSet()
    if not folder.is_dir():
        return result
    report = Reporter(content_dir)
    originals: dict[str, tuple[_File, dict]] = {}
    translations: list[tuple[str, str, _File]] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() or path.name.startswith("."):
            continue
        match = FILE_RE.match(path.name)
        if match is None:
            report.add(path, 1, "terms files are named <version>.md, or <version>.<language>.md "
                                "for a translation (lower-case letters, digits, dashes)")
            continue
        if match.group("version") in RESERVED:
            report.add(path, 1, f"{match.group('version')!r} is the name of a terms page: "
                                "name the version otherwise")
            continue
        read = _read(report, path)
        if read is None:
            continue
        if match.group("locale"):
            translations.append((match.group("version"), match.group("locale"), read))
            continue
        typed = typed_titled(report, path, read.front, read.data, ORIGINAL_TYPES)
        if typed is not None:
            originals[match.group("version")] = (read, typed)

    by_version: dict[str, dict] = {}
    for version, (read, typed) in originals.items():
        locale = typed.get("locale", "en")
        by_version[version] = {
            "spec": read, "effective": typed["effective"], "locale": locale,
            "titles": {locale: typed["title"].strip()}, "bodies": {locale: read.body},
            "changes": {locale: typed["changes"].strip()} if typed.get("changes") else {}}
    for version, locale, read in translations:
        entry = by_version.get(version)
        typed = typed_translation(report, read.path, read.front, read.data, TRANSLATION_TYPES,
                                  what="version", name=version, folder=FOLDER, locale=locale,
                                  original_locale=entry["locale"] if entry else None)
        if entry is None or typed is None:
            continue
        entry["titles"][locale] = typed["title"].strip()
        entry["bodies"][locale] = read.body
        if typed.get("changes"):
            entry["changes"][locale] = typed["changes"].strip()

    seen_days: dict[date, str] = {}
    for version in sorted(by_version, key=lambda v: (by_version[v]["effective"], v)):
        entry = by_version[version]
        day = entry["effective"]
        if day in seen_days:
            path = entry["spec"].path
            report.add(path, key_line(entry["spec"].front, "effective", 1),
                       f"the version {seen_days[day]!r} takes effect on {day.isoformat()} "
                       "too: each version needs a day of its own")
            continue
        seen_days[day] = version
        result.versions.append(TermsSpec(
            version=version, effective_on=day, locale=entry["locale"],
            titles=entry["titles"], bodies=entry["bodies"], changes=entry["changes"],
            source=f"{FOLDER}/{version}.md"))
    result.problems = report.problems
    return result
