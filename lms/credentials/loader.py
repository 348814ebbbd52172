"""Read and validate content/credentials.toml (no Flask, no database); file:line problems."""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lms.courses.loader import SLUG_RE, inside_folder, svg_is_dangerous
from lms.models.users import JOB_FUNCTIONS
from lms.problems import ContentProblem, key_line, table_chunks, toml_error_line
from lms.tomltypes import (
    Expected,
    check_types,
    is_table,
    is_table_list,
    is_text,
    is_text_list,
    is_whole,
    needed,
)

IMAGE_SUFFIXES = {".svg", ".png"}
# Languages a credential's name, description and criteria may be translated into (the
# original is English).
TRANSLATED_LOCALES = ("ja",)
TRANSLATED_FIELDS = ("name", "description", "criteria")
CREDENTIAL_KINDS = ("badge", "certification")
FILE_TYPES = {"credentials": Expected(is_table_list,
                                      "credentials must be [[credentials]] tables")}
# The TOML type of every key of a [[credentials]] table, checked before the values are.
CREDENTIAL_TYPES = {
    "slug": needed(is_text, "slug must be lower-case letters, digits and dashes"),
    "name": Expected(is_text, "'name' must be a text", missing="missing 'name'"),
    "kind": needed(is_text, "kind must be badge or certification"),
    "description": Expected(is_text, "'description' must be a text",
                            missing="missing 'description'"),
    "criteria": Expected(is_text, "'criteria' must be a text", missing="missing 'criteria'"),
    "image": needed(is_text, "image must be an .svg or .png file of the content folder"),
    "courses": Expected(is_text_list, "'courses' must be a list of slugs"),
    "quizzes": Expected(is_text_list, "'quizzes' must be a list of slugs"),
    "job_function": Expected(is_text, "job_function must be sales or technical"),
    "validity_months": Expected(is_whole, "validity_months must be a whole number of months "
                                          "(1-120)"),
    "renewal_quiz": Expected(is_text, "renewal_quiz must be the slug of a quiz"),
    # Other languages: [credentials.ja] with name, description, criteria.
    **{locale: Expected(is_table, f"[credentials.{locale}] must be a table of name, "
                                  "description and criteria")
       for locale in TRANSLATED_LOCALES},
}
KEYS = set(CREDENTIAL_TYPES)
# Reports a problem at the line of a key of the entry (None: the entry's first line).
Report = Callable[[str | None, str], None]


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
    translations: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class CredentialSet:
    credentials: list[CredentialSpec] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


def _check_image(report: Report, image: str | None, root: Path) -> None:
    if image is None:
        return
    file = inside_folder(root, image)
    if file is None or not file.is_file() or file.suffix.lower() not in IMAGE_SUFFIXES:
        report("image", CREDENTIAL_TYPES["image"].wrong)
    elif file.suffix.lower() == ".svg" and svg_is_dangerous(file):
        report("image", "image contains script or event handlers")


def _check_earned_by(report: Report, values: dict, wrong: set[str], course_slugs: set[str],
                     quiz_slugs: set[str]) -> None:
    """Courses and quizzes that earn the credential: they exist, and there is one at least."""
    for key, known, noun in (("courses", course_slugs, "course"),
                             ("quizzes", quiz_slugs, "quiz")):
        for slug in values.get(key, []):
            if slug not in known:
                report(key, f"{noun} '{slug}' does not exist")
    if not values.get("courses") and not values.get("quizzes") and \
            not wrong & {"courses", "quizzes"}:
        report(None, "a credential needs at least one course or quiz to earn it")


def _check_expiry(report: Report, values: dict, entry: dict, quiz_slugs: set[str]) -> None:
    """Certifications expire and are renewed by a quiz; badges never expire."""
    months, renewal = values.get("validity_months"), values.get("renewal_quiz")
    if values.get("kind") == "certification":
        if "validity_months" not in entry or (months is not None and not 1 <= months <= 120):
            report("validity_months", "a certification needs validity_months (1-120)")
        if "renewal_quiz" not in entry or (renewal is not None and renewal not in quiz_slugs):
            report("renewal_quiz", "a certification needs a renewal_quiz that exists")
    elif values.get("kind") == "badge" and (months is not None or renewal is not None):
        report("validity_months" if months is not None else "renewal_quiz",
               "badges do not expire: validity_months and renewal_quiz are for certifications")


def _check_entry(report: Report, entry: dict, root: Path, course_slugs: set[str],
                 quiz_slugs: set[str], seen: set[str]) -> dict:
    """Every problem of one [[credentials]] table reported; its values of the right type."""
    for key in entry:
        if key not in KEYS:
            report(key, f"unknown key '{key}' (allowed: {', '.join(sorted(KEYS))})")
    values, problems = check_types(entry, CREDENTIAL_TYPES)
    for key, message in problems:
        report(key, message)
    slug = values.get("slug")
    if slug is not None and not SLUG_RE.match(slug):
        report("slug", CREDENTIAL_TYPES["slug"].wrong)
    elif slug in seen:
        report("slug", f"duplicate credential slug '{slug}'")
    elif slug is not None:
        seen.add(slug)
    for key in ("name", "description", "criteria"):
        if key in values and not values[key].strip():
            report(key, f"missing '{key}'")
    if values.get("kind", "badge") not in CREDENTIAL_KINDS:
        report("kind", CREDENTIAL_TYPES["kind"].wrong)
    _check_image(report, values.get("image"), root)
    _check_earned_by(report, values, {key for key, _ in problems}, course_slugs, quiz_slugs)
    if values.get("job_function", "sales") not in JOB_FUNCTIONS:
        report("job_function", CREDENTIAL_TYPES["job_function"].wrong)
    _check_expiry(report, values, entry, quiz_slugs)
    for locale in TRANSLATED_LOCALES:
        _check_translation(report, locale, values.get(locale))
    return values


def _check_translation(report: Report, locale: str, table: dict | None) -> None:
    """A [credentials.<locale>] table: known fields, each a text that is not empty."""
    for key, value in (table or {}).items():
        if key not in TRANSLATED_FIELDS:
            report(locale, f"unknown key '{key}' in [credentials.{locale}] (allowed: "
                           f"{', '.join(TRANSLATED_FIELDS)})")
        elif not isinstance(value, str) or not value.strip():
            report(locale, f"'{key}' of [credentials.{locale}] must be a text")


def _spec(values: dict, entry: dict) -> CredentialSpec:
    return CredentialSpec(
        slug=values["slug"], name=values["name"].strip(), kind=values["kind"],
        description=values["description"].strip(), criteria=values["criteria"].strip(),
        image=values["image"], courses=tuple(values.get("courses", [])),
        quizzes=tuple(values.get("quizzes", [])), job_function=values.get("job_function"),
        validity_months=values.get("validity_months"),
        renewal_quiz=values.get("renewal_quiz"),
        content_hash=hashlib.sha256(repr(sorted(entry.items())).encode()).hexdigest(),
        translations={locale: {key: text.strip() for key, text in values[locale].items()}
                      for locale in TRANSLATED_LOCALES if values.get(locale)},
    )


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
        if key not in FILE_TYPES:
            add(key_line(text, key), f"unknown key '{key}': entries are [[credentials]] tables")
    data, problems = check_types(data, FILE_TYPES)
    for key, message in problems:
        add(key_line(text, key), message)
    chunks = table_chunks(text, "credentials")
    seen: set[str] = set()
    for index, entry in enumerate(data.get("credentials", [])):
        offset, chunk = chunks[index] if index < len(chunks) else (0, text)

        def report(key: str | None, message: str, entry=entry, chunk=chunk, offset=offset
                   ) -> None:
            add(key_line(chunk, key, offset) if key is not None and key in entry
                else offset + 1, message)

        before = len(result.problems)
        values = _check_entry(report, entry, root, course_slugs, quiz_slugs, seen)
        if len(result.problems) == before:
            result.credentials.append(_spec(values, entry))
    return result
