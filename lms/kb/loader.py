"""The knowledge base authored in `content/kb/` (no Flask, no database).

    content/kb/categories.toml          the categories, in the order they are listed
        [deal-registration]
        title = "Deal registration"
        title_ja = "案件登録"               # optional

    content/kb/<slug>.md                an article, in its original language
        +++
        title = "How long does a registration protect my deal?"
        category = "deal-registration"
        order = 10                       # optional: its place in the category (default 100)
        locale = "en"                    # optional: the original's language ("en" or "ja")
        +++
        Markdown (the lessons' safe renderer: no script, no raw HTML that could run).

    content/kb/<slug>.ja.md             its translation: title, then the Japanese text

Every problem is reported as `file:line: what is wrong`, as for courses and quizzes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lms.courses.loader import (
    LOCALES,
    SLUG_RE,
    read_front_matter,
    typed_titled,
    typed_translation,
)
from lms.problems import ContentProblem, Reporter, key_line, toml_error_line
from lms.tomltypes import Expected, is_text, is_whole, needed

FOLDER = "kb"
CATEGORIES_FILE = "categories.toml"
FILE_RE = re.compile(r"^(?P<slug>[^.]+)(?:\.(?P<locale>[a-z]{2}))?\.md$")
DEFAULT_ORDER = 100
# Taken by the knowledge base's own pages (/kb/questions).
RESERVED = {"questions"}

CATEGORY_TYPES = {
    "title": needed(is_text, "title must be text (the category's name)"),
    "title_ja": Expected(is_text, "title_ja must be text (the name in Japanese)"),
}
ARTICLE_TYPES = {
    "title": needed(is_text, "title must be text (the question the article answers)"),
    "category": needed(is_text, "category must be text: a category of kb/categories.toml"),
    "order": Expected(is_whole, "order must be a whole number (its place in the category)"),
    "locale": Expected(lambda v: v in LOCALES,
                       f"locale must be one of {', '.join(sorted(LOCALES))}"),
}
TRANSLATION_TYPES = {
    "title": needed(is_text, "title must be text (the question the article answers)"),
}


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    titles: dict[str, str]
    position: int


@dataclass(frozen=True)
class ArticleSpec:
    slug: str
    category: str
    position: int
    locale: str  # the original's language
    titles: dict[str, str]
    bodies: dict[str, str]  # Markdown per language
    source: str  # "kb/<slug>.md"
    line: int = 1  # where the body starts in the original, for rendering problems


@dataclass
class KbSet:
    categories: list[CategorySpec] = field(default_factory=list)
    articles: list[ArticleSpec] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)


def _categories(report: Reporter, folder: Path) -> list[CategorySpec]:
    path = folder / CATEGORIES_FILE
    if not path.is_file():
        report.add(path, 1, "the knowledge base needs its categories: a [slug] table with a "
                            "title for each")
        return []
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        report.add(path, toml_error_line(error), f"not valid TOML: {error}")
        return []
    categories = []
    for position, (slug, table) in enumerate(data.items()):
        line = key_line(text, slug)
        if not isinstance(table, dict):
            report.add(path, line, f"{slug!r} must be a table: [{slug}] with a title")
            continue
        if not SLUG_RE.match(slug):
            report.add(path, line, f"category {slug!r}: lower-case letters, digits and dashes")
            continue
        before = len(report.problems)
        section = text[text.find(f"[{slug}]"):]
        typed = report.typed(path, section, table, CATEGORY_TYPES, line - 1)
        if len(report.problems) > before:
            continue
        titles = {"en": typed["title"].strip()}
        if typed.get("title_ja", "").strip():
            titles["ja"] = typed["title_ja"].strip()
        categories.append(CategorySpec(slug, titles, position))
    return categories


def load_kb(content_dir: Path) -> KbSet:
    """Every category and article in `content_dir/kb/` (none when the folder is missing)."""
    folder = content_dir / FOLDER
    result = KbSet()
    if not folder.is_dir():
        return result
    report = Reporter(content_dir)
    result.categories = _categories(report, folder)
    known = {c.slug for c in result.categories}
    entries: dict[str, dict] = {}
    translations = []
    for path in sorted(folder.glob("*.md")):
        match = FILE_RE.match(path.name)
        if match is None or not SLUG_RE.match(match.group("slug")):
            report.add(path, 1, "articles are named <slug>.md, or <slug>.<language>.md for a "
                                "translation (lower-case letters, digits, dashes)")
            continue
        if match.group("slug") in RESERVED:
            report.add(path, 1, f"{match.group('slug')!r} is the name of a knowledge base "
                                "page: name the article otherwise")
            continue
        read = read_front_matter(report, path, path.read_bytes(), "title, category")
        if read is None:
            continue
        front, data, body, body_line = read
        if not body.strip():
            report.add(path, body_line, "the article is empty: write it after the closing +++")
            continue
        if match.group("locale"):
            translations.append((match.group("slug"), match.group("locale"), path, front, data,
                                 body))
            continue
        typed = typed_titled(report, path, front, data, ARTICLE_TYPES)
        if typed is None:
            continue
        if typed["category"] not in known:
            report.add(path, key_line(front, "category", 1),
                       f"unknown category {typed['category']!r} (kb/{CATEGORIES_FILE} has: "
                       f"{', '.join(sorted(known)) or 'none'})")
            continue
        locale = typed.get("locale", "en")
        entries[match.group("slug")] = {
            "category": typed["category"], "position": typed.get("order", DEFAULT_ORDER),
            "locale": locale, "titles": {locale: typed["title"].strip()},
            "bodies": {locale: body.strip() + "\n"}, "line": body_line}
    for slug, locale, path, front, data, body in translations:
        entry = entries.get(slug)
        typed = typed_translation(report, path, front, data, TRANSLATION_TYPES,
                                  what="article", name=slug, folder=FOLDER, locale=locale,
                                  original_locale=entry["locale"] if entry else None)
        if entry is None or typed is None:
            continue
        entry["titles"][locale] = typed["title"].strip()
        entry["bodies"][locale] = body.strip() + "\n"
    result.articles = [
        ArticleSpec(slug=slug, category=e["category"], position=e["position"],
                    locale=e["locale"], titles=e["titles"], bodies=e["bodies"],
                    source=f"{FOLDER}/{slug}.md", line=e["line"])
        for slug, e in sorted(entries.items())]
    result.problems = report.problems
    return result
