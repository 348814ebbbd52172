"""Read and validate content/credentials.toml (no Flask, no database); file:line problems."""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lms.courses.loader import (
    SLUG_RE,
    ContentProblem,
    inside_folder,
    key_line,
    svg_is_dangerous,
    toml_error_line,
)

KEYS = {"slug", "name", "kind", "description", "criteria", "image", "courses", "quizzes",
        "job_function", "validity_months", "renewal_quiz"}
IMAGE_SUFFIXES = {".svg", ".png"}


@dataclass(frozen=True)
class CredentialSpec:
    slug: str
    name: str
    kind: str
    description: str
    criteria: str
    image: str
    courses: tuple[str, ...]
    quizzes: tuple[str, ...]
    job_function: str | None
    validity_months: int | None
    renewal_quiz: str | None
    content_hash: str


@dataclass
class CredentialSet:
    credentials: list[CredentialSpec] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


def _table_line(text: str, name: str) -> int:
    match = re.search(rf"^[ \t]*\[+[ \t]*{re.escape(name)}[ \t]*\]+", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def load_credentials(root: Path, course_slugs: set[str], quiz_slugs: set[str]
                     ) -> CredentialSet:
    """content/credentials.toml, checked against the courses and quizzes that exist."""
    path = root / "credentials.toml"
    result = CredentialSet()
    if not path.is_file():
        return result
    shown = f"{root.name}/credentials.toml"
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")

    def add(line: int, message: str) -> None:
        result.problems.append(ContentProblem(shown, line, message))

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        add(toml_error_line(error), f"not valid TOML: {error}")
        return result
    for key in data:
        if key != "credentials":
            add(key_line(text, key) if re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text,
                                                 re.MULTILINE) else _table_line(text, key),
                f"unknown key '{key}': entries are [[credentials]] tables")
    entries = data.get("credentials", [])
    if not isinstance(entries, list):
        add(_table_line(text, "credentials"), "credentials must be [[credentials]] tables")
    starts = [m.start() for m in re.finditer(r"^[ \t]*\[\[[ \t]*credentials[ \t]*\]\]", text,
                                             re.MULTILINE)]
    seen: set[str] = set()
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        offset = text.count("\n", 0, starts[index]) if index < len(starts) else 0
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        chunk = text[starts[index]:end] if index < len(starts) else text
        before = len(result.problems)

        def line(key: str, entry=entry, chunk=chunk, offset=offset) -> int:
            return key_line(chunk, key, offset) if key in entry else offset + 1

        if not isinstance(entry, dict):
            add(offset + 1, "each [[credentials]] entry is a table")
            continue
        for key in entry:
            if key not in KEYS:
                add(line(key), f"unknown key '{key}' (allowed: {', '.join(sorted(KEYS))})")
        slug = entry.get("slug")
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            add(line("slug"), "slug must be lower-case letters, digits and dashes")
        elif slug in seen:
            add(line("slug"), f"duplicate credential slug '{slug}'")
        else:
            seen.add(slug)
        for key in ("name", "description", "criteria"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                add(line(key), f"missing '{key}'")
        kind = entry.get("kind")
        if kind not in {"badge", "certification"}:
            add(line("kind"), "kind must be badge or certification")
        image = entry.get("image")
        file = inside_folder(root, image) if isinstance(image, str) else None
        if file is None or not file.is_file() or file.suffix.lower() not in IMAGE_SUFFIXES:
            add(line("image"), "image must be an .svg or .png file of the content folder")
        elif file.suffix.lower() == ".svg" and svg_is_dangerous(file):
            add(line("image"), "image contains script or event handlers")
        courses = entry.get("courses", [])
        quizzes = entry.get("quizzes", [])
        for key, values, known, noun in (("courses", courses, course_slugs, "course"),
                                         ("quizzes", quizzes, quiz_slugs, "quiz")):
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                add(line(key), f"'{key}' must be a list of slugs")
                continue
            for value in values:
                if value not in known:
                    add(line(key), f"{noun} '{value}' does not exist")
        if isinstance(courses, list) and isinstance(quizzes, list) and not courses + quizzes:
            add(offset + 1, "a credential needs at least one course or quiz to earn it")
        job = entry.get("job_function")
        if job is not None and job not in {"sales", "technical"}:
            add(line("job_function"), "job_function must be sales or technical")
        months = entry.get("validity_months")
        renewal = entry.get("renewal_quiz")
        if kind == "certification":
            if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= 120:
                add(line("validity_months"), "a certification needs validity_months (1-120)")
            if not isinstance(renewal, str) or renewal not in quiz_slugs:
                add(line("renewal_quiz"), "a certification needs a renewal_quiz that exists")
        elif kind == "badge" and (months is not None or renewal is not None):
            add(line("validity_months" if months is not None else "renewal_quiz"),
                "badges do not expire: validity_months and renewal_quiz are for certifications")
        if len(result.problems) > before:
            continue
        result.credentials.append(CredentialSpec(
            slug=slug, name=entry["name"].strip(), kind=kind,
            description=entry["description"].strip(), criteria=entry["criteria"].strip(),
            image=image, courses=tuple(courses), quizzes=tuple(quizzes), job_function=job,
            validity_months=months, renewal_quiz=renewal,
            content_hash=hashlib.sha256(repr(sorted(entry.items())).encode()).hexdigest(),
        ))
    return result
