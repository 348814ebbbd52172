"""Read and validate content/: courses, lessons and learning paths (no Flask, no database).

Every problem is reported as `file:line: what is wrong`, all of them at once, so an author
fixes a broken copy in one pass.
"""

from __future__ import annotations

import hashlib
import html
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from lms.markup import is_local_reference, video_embed_url
from lms.models.users import JOB_FUNCTIONS
from lms.problems import (
    ContentProblem,
    Reporter,
    key_line,
    table_chunks,
    table_key_line,
    toml_error_line,
)
from lms.tomltypes import (
    Expected,
    is_table,
    is_table_list,
    is_text,
    is_text_list,
    is_whole,
)

# Bump when rendering changes, so the next sync re-renders every lesson.
MARKUP_VERSION = "1"
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_FILE_RE = re.compile(r"^(\d{2,3})-(.+)\.md$")
# The credential images, the program terms (lms.terms), the knowledge base (lms.kb).
NOT_COURSES = {"badges", "terms", "kb"}
AUDIENCES = {"all", "sales", "technical"}
LOCALES = {"en", "ja"}
TITLE = Expected(is_text, "'title' must be a non-empty text", missing="missing 'title'")
VIDEO_RULE = "a YouTube or Vimeo link, or an .mp4/.webm file of the course"
MAX_ORDER = 1_000_000
COURSE_TYPES = {
    "title": TITLE,
    "summary": Expected(is_text, "'summary' must be a text"),
    "audience": Expected(is_text, f"'audience' must be one of {', '.join(sorted(AUDIENCES))} "
                                  "(a text)"),
    # Stored in an INTEGER column: a larger number would fail the sync, not the check.
    "order": Expected(lambda value: is_whole(value) and isinstance(value, int)
                      and abs(value) <= MAX_ORDER,
                      f"'order' must be a whole number from -{MAX_ORDER} to {MAX_ORDER}"),
    "prerequisites": Expected(is_text_list, "'prerequisites' must be a list of course slugs"),
    "locale": Expected(is_text, f"'locale' must be one of {', '.join(sorted(LOCALES))} "
                                "(a text)"),
    "translation_of": Expected(is_text, "'translation_of' must be a course slug (a text)"),
    "cover": Expected(is_text, "'cover' must be an image of the course folder, for example "
                               "\"images/cover.svg\" (a text)"),
}
COVER_SUFFIXES = {".svg", ".png", ".jpg", ".jpeg", ".webp"}
LESSON_TYPES = {
    "title": TITLE,
    "minutes": Expected(is_whole, "'minutes' must be a whole number from 1 to 600"),
    "video": Expected(is_text, f"'video' must be {VIDEO_RULE} (a text)"),
}
PATHS_TYPES = {"paths": Expected(is_table_list, "'paths' must be [[paths]] tables")}
PATH_TYPES = {
    "job_function": Expected(is_text, "'job_function' must be one of "
                                      f"{', '.join(sorted(JOB_FUNCTIONS))} (a text)",
                             missing="missing 'job_function'"),
    "title": Expected(is_text, "'title' must be a text", missing="missing 'title'"),
    "courses": Expected(is_text_list, "'courses' must be a list of course slugs"),
    "ja": Expected(is_table, "'ja' must be a [paths.ja] table with the Japanese 'title'"),
}
COURSE_KEYS, LESSON_KEYS, PATH_KEYS = set(COURSE_TYPES), set(LESSON_TYPES), set(PATH_TYPES)
VIDEO_FILE_SUFFIXES = {".mp4", ".webm"}
SVG_DANGER = re.compile(
    r"<\s*(?:[\w.-]+:)?(?:script|foreignobject|iframe|embed|object)\b|\son[a-z]+\s*="
    r"|javascript:|<!entity", re.IGNORECASE)
LINK_RE = re.compile(r"(!?)\[[^\]]*\]\(\s*<?([^)\s>]+)")
RAW_REF_RE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@dataclass(frozen=True)
class LessonSpec:
    slug: str
    position: int
    title: str
    minutes: int
    video: str | None
    body: str
    source_path: str
    content_hash: str


@dataclass(frozen=True)
class CourseSpec:
    slug: str
    title: str
    summary: str
    audience: str
    order: int
    prerequisites: tuple[str, ...]
    locale: str
    translation_of: str | None
    lessons: tuple[LessonSpec, ...]
    content_hash: str
    cover: str | None = None  # relative to the course folder

    @property
    def group_slug(self) -> str:
        return self.translation_of or self.slug


@dataclass(frozen=True)
class PathSpec:
    job_function: str
    title: str
    courses: tuple[str, ...]
    titles: tuple[tuple[str, str], ...] = ()  # (locale, title) of the translations


@dataclass
class ContentSet:
    courses: list[CourseSpec] = field(default_factory=list)
    paths: list[PathSpec] = field(default_factory=list)
    problems: list[ContentProblem] = field(default_factory=list)

    @property
    def lesson_count(self) -> int:
        return sum(len(c.lessons) for c in self.courses)


def _hash(*parts: bytes) -> str:
    digest = hashlib.sha256(MARKUP_VERSION.encode())
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def _title(report: Reporter, path: Path, text: str, data: dict, offset: int = 0) -> str:
    """The title (its type checked already); a blank one is a problem."""
    title = data.get("title", "").strip()
    if "title" in data and not title:
        report.add(path, key_line(text, "title", offset), TITLE.wrong)
    return title


def svg_is_dangerous(file: Path) -> bool:
    """Script, handlers, embedded documents or entity tricks in an SVG (raw or decoded)."""
    text = file.read_bytes().decode("utf-8", errors="replace")
    return any(SVG_DANGER.search(variant) for variant in (text, html.unescape(text)))


def _split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts) or None without +++ fences."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "+++":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "+++":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    return None


def read_front_matter(report: Reporter, path: Path, raw: bytes, keys: str
                      ) -> tuple[str, dict, str, int] | None:
    """(front matter, its TOML, body, line where the body starts) of a Markdown file that
    starts with TOML between +++ lines; None, with the problem reported, when it does not.
    `keys` names what the front matter holds, for the message."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        report.add(path, 1, "not UTF-8 text")
        return None
    split = _split_front_matter(text.replace("\r\n", "\n"))
    if split is None:
        report.add(path, 1, "missing front matter: the file starts with a +++ line, then "
                            f"TOML ({keys}), then a closing +++ line")
        return None
    front, body, body_line = split
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as error:
        report.add(path, toml_error_line(error, 1), f"front matter is not valid TOML: {error}")
        return None
    return front, data, body, body_line


def typed_titled(report: Reporter, path: Path, front: str, data: dict, types: dict
                 ) -> dict | None:
    """The front matter checked against `types`, with a title that is not blank; None (the
    problems reported) when anything is wrong."""
    before = len(report.problems)
    typed = report.typed(path, front, data, types, 1)
    if "title" in typed and not typed["title"].strip():
        report.add(path, key_line(front, "title", 1), types["title"].wrong)
    return typed if len(report.problems) == before else None


def typed_translation(report: Reporter, path: Path, front: str, data: dict, types: dict, *,
                      what: str, name: str, folder: str, locale: str,
                      original_locale: str | None) -> dict | None:
    """A translation `<name>.<locale>.md` checked against its original `<name>.md` (whose
    language is `original_locale`, None when it is missing or has problems) and `types`;
    None (the problem reported) when it cannot be used."""
    if original_locale is None:
        report.add(path, 1, f"a translation of the {what} {name!r}, whose original "
                            f"{folder}/{name}.md is missing or has problems")
        return None
    if locale not in LOCALES or locale == original_locale:
        others = sorted(LOCALES - {original_locale})
        report.add(path, 1, f"a translation's language is one of {', '.join(others)} "
                            f"(the original is in {original_locale!r})")
        return None
    return typed_titled(report, path, front, data, types)


def inside_folder(folder: Path, relative: str) -> Path | None:
    """The file `relative` names inside `folder`, or None when it would leave the folder."""
    pure = PurePosixPath(unquote(relative))
    if pure.is_absolute() or ".." in pure.parts:
        return None
    return folder.joinpath(*pure.parts)


def _check_references(report: Reporter, path: Path, body: str, body_line: int,
                      course_dir: Path, lesson_files: set[str], course_dirs: dict[str, Path]
                      ) -> None:
    for index, line in enumerate(body.split("\n")):
        refs = [(m.group(2), m.group(1) == "!") for m in LINK_RE.finditer(line)]
        refs += [(m.group(1), True) for m in RAW_REF_RE.finditer(line)]
        for url, is_media in refs:
            if not is_local_reference(url):
                continue
            target = urlsplit(url).path
            line_no = body_line + index
            if not target:
                continue
            if target.startswith("../") and is_media:
                report.add(path, line_no, f"broken image '{url}': images come from the "
                                          "course's own folder")
                continue
            if target.startswith("../"):
                parts = PurePosixPath(target).parts
                other = course_dirs.get(parts[1]) if len(parts) == 3 else None
                if other is None or not (other / parts[2]).is_file() or not \
                        LESSON_FILE_RE.match(parts[2]):
                    report.add(path, line_no, f"broken link to '{url}': no such lesson")
                continue
            if target.endswith(".md") and not is_media:
                if target not in lesson_files:
                    report.add(path, line_no, f"broken link to '{url}': no such lesson")
                continue
            file = inside_folder(course_dir, target)
            if file is None or not file.is_file():
                kind = "image" if is_media else "file"
                report.add(path, line_no, f"broken {kind} '{url}': not in the course folder")
            elif file.suffix.lower() == ".svg" and svg_is_dangerous(file):
                report.add(path, line_no, f"image '{url}' contains script or event handlers")


def _check_video(report: Reporter, path: Path, front: str, video: str, course_dir: Path
                 ) -> None:
    if video_embed_url(video) is not None:
        return
    local = inside_folder(course_dir, video) if is_local_reference(video) else None
    if local is None or local.suffix.lower() not in VIDEO_FILE_SUFFIXES:
        report.add(path, key_line(front, "video", 1), f"video must be {VIDEO_RULE}")
    elif not local.is_file():
        report.add(path, key_line(front, "video", 1),
                   f"video file '{video}' is not in the course folder")


def _load_lesson(report: Reporter, path: Path, course_dir: Path, lesson_files: set[str],
                 course_dirs: dict[str, Path]) -> LessonSpec | None:
    match = LESSON_FILE_RE.match(path.name)
    if match is None or not SLUG_RE.match(match.group(2)):
        report.add(path, 1, "lesson files are named NN-lesson-slug.md (lower-case, digits, "
                            "dashes)")
        return None
    raw = path.read_bytes()
    read = read_front_matter(report, path, raw, "title, minutes")
    if read is None:
        return None
    front, data, body, body_line = read
    count_before = len(report.problems)
    data = report.typed(path, front, data, LESSON_TYPES, 1)
    title = _title(report, path, front, data, 1)
    minutes = data.get("minutes", 5)
    if not 1 <= minutes <= 600:
        report.add(path, key_line(front, "minutes", 1), LESSON_TYPES["minutes"].wrong)
    video = data["video"].strip() if "video" in data else None
    if video is not None:
        _check_video(report, path, front, video, course_dir)
    _check_references(report, path, body, body_line, course_dir, lesson_files, course_dirs)
    if len(report.problems) > count_before:
        return None
    return LessonSpec(
        slug=match.group(2), position=int(match.group(1)), title=title, minutes=minutes,
        video=video, body=body, source_path=f"{course_dir.name}/{path.name}",
        content_hash=_hash(raw),
    )


def _load_lessons(report: Reporter, course_dir: Path, course_dirs: dict[str, Path]
                  ) -> list[LessonSpec]:
    """The course's lessons without problems; no lessons at all is a problem."""
    lesson_paths = sorted(p for p in course_dir.glob("*.md") if p.is_file())
    lesson_files = {p.name for p in lesson_paths}
    lessons: list[LessonSpec] = []
    seen_slugs: dict[str, str] = {}
    seen_positions: dict[int, str] = {}
    for path in lesson_paths:
        lesson = _load_lesson(report, path, course_dir, lesson_files, course_dirs)
        if lesson is None:
            continue
        if lesson.slug in seen_slugs:
            report.add(path, 1, f"duplicate lesson slug '{lesson.slug}' (also "
                                f"{seen_slugs[lesson.slug]})")
            continue
        if lesson.position in seen_positions:
            report.add(path, 1, f"duplicate lesson number {lesson.position:02d} (also "
                                f"{seen_positions[lesson.position]})")
            continue
        seen_slugs[lesson.slug] = path.name
        seen_positions[lesson.position] = path.name
        lessons.append(lesson)
    if not lesson_paths:
        report.add(course_dir / "course.toml", 1,
                   "the course has no lessons (NN-lesson-slug.md files)")
    return lessons


def _load_course(report: Reporter, course_dir: Path, course_dirs: dict[str, Path]
                 ) -> CourseSpec | None:
    toml_path = course_dir / "course.toml"
    if not SLUG_RE.match(course_dir.name):
        report.add(course_dir, 1, "course folder names are lower-case letters, digits and "
                                  "dashes")
        return None
    if not toml_path.is_file():
        report.add(toml_path, 1, "missing course.toml")
        return None
    raw = toml_path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        report.add(toml_path, toml_error_line(error), f"not valid TOML: {error}")
        return None
    count_before = len(report.problems)
    data = report.typed(toml_path, text, data, COURSE_TYPES)
    title = _title(report, toml_path, text, data)
    audience = data.get("audience", "all")
    if audience not in AUDIENCES:
        report.add(toml_path, key_line(text, "audience"),
                   f"audience must be one of {', '.join(sorted(AUDIENCES))}")
    locale = data.get("locale", "en")
    if locale not in LOCALES:
        report.add(toml_path, key_line(text, "locale"),
                   f"locale must be one of {', '.join(sorted(LOCALES))}")
    cover = _check_cover(report, toml_path, text, course_dir, data.get("cover"))
    lessons = _load_lessons(report, course_dir, course_dirs)
    if len(report.problems) > count_before:
        return None
    return CourseSpec(
        slug=course_dir.name, title=title, summary=data.get("summary", "").strip(),
        audience=audience, order=data.get("order", 100),
        prerequisites=tuple(data.get("prerequisites", [])), locale=locale,
        translation_of=data.get("translation_of", "").strip() or None,
        lessons=tuple(lessons), content_hash=_hash(raw), cover=cover,
    )


def _check_cover(report: Reporter, toml_path: Path, text: str, course_dir: Path,
                 cover: str | None) -> str | None:
    """The cover image named in course.toml: a safe image file of the course folder."""
    if cover is None:
        return None
    cover = cover.strip()
    file = inside_folder(course_dir, cover)
    line = key_line(text, "cover")
    if file is None or not file.is_file():
        report.add(toml_path, line, f"cover '{cover}' is not a file of the course folder")
    elif file.suffix.lower() not in COVER_SUFFIXES:
        report.add(toml_path, line, f"cover '{cover}' must be an image: "
                                    f"{', '.join(sorted(COVER_SUFFIXES))}")
    elif file.suffix.lower() == ".svg" and svg_is_dangerous(file):
        report.add(toml_path, line, f"cover '{cover}' contains script or event handlers")
    else:
        return PurePosixPath(cover).as_posix()
    return None


def _check_course_links(report: Reporter, root: Path, courses: list[CourseSpec],
                        folders: set[str]) -> None:
    """Prerequisites and translations must name course folders (broken ones were reported)."""
    by_slug = {c.slug: c for c in courses}
    for course in courses:
        toml_path = root / course.slug / "course.toml"
        text = toml_path.read_text(encoding="utf-8", errors="replace")
        for prerequisite in course.prerequisites:
            if prerequisite == course.slug:
                report.add(toml_path, key_line(text, "prerequisites"),
                           "a course cannot be its own prerequisite")
            elif prerequisite not in folders:
                report.add(toml_path, key_line(text, "prerequisites"),
                           f"prerequisite '{prerequisite}' does not exist")
        if course.translation_of:
            original = by_slug.get(course.translation_of)
            if original is None and course.translation_of in folders:
                pass  # the original has problems of its own, reported there
            elif original is None:
                report.add(toml_path, key_line(text, "translation_of"),
                           f"translation_of '{course.translation_of}' does not exist")
            elif original.translation_of:
                report.add(toml_path, key_line(text, "translation_of"),
                           "translation_of must name the original course, not a translation")
            elif original.locale == course.locale:
                report.add(toml_path, key_line(text, "locale"),
                           "a translation needs a locale other than its original's")
    # Prerequisite cycles would lock every course of the cycle forever.
    graph = {c.slug: [p for p in c.prerequisites if p in by_slug and p != c.slug]
             for c in courses}
    state: dict[str, int] = {}

    def visit(slug: str, trail: list[str]) -> None:
        state[slug] = 1
        for nxt in graph[slug]:
            if state.get(nxt) == 1:
                cycle = " -> ".join([*trail[trail.index(nxt):], nxt]) if nxt in trail \
                    else f"{slug} -> {nxt}"
                path = root / slug / "course.toml"
                report.add(path, key_line(path.read_text(encoding="utf-8"), "prerequisites"),
                           f"prerequisites form a cycle: {cycle}")
            elif state.get(nxt) is None:
                visit(nxt, [*trail, nxt])
        state[slug] = 2

    for slug in sorted(graph):
        if slug not in state:
            visit(slug, [slug])


def _path_course_problem(slug: str, courses: list[CourseSpec], folders: set[str]
                         ) -> str | None:
    """What is wrong with a course a learning path names, if anything."""
    translations = {c.slug: c.translation_of for c in courses if c.translation_of}
    if slug in translations:
        return f"path course '{slug}' is a translation: name '{translations[slug]}'"
    if slug not in folders:
        return f"path course '{slug}' does not exist"
    return None


def _load_paths(report: Reporter, root: Path, courses: list[CourseSpec],
                folders: set[str]) -> list[PathSpec]:
    path = root / "paths.toml"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        report.add(path, toml_error_line(error), f"not valid TOML: {error}")
        return []
    data = report.typed(path, text, data, PATHS_TYPES)
    chunks = table_chunks(text, "paths")
    paths: list[PathSpec] = []
    for index, entry in enumerate(data.get("paths", [])):
        offset, chunk = chunks[index] if index < len(chunks) else (0, text)
        entry = report.typed(path, chunk, entry, PATH_TYPES, offset)
        if "title" in entry and not entry["title"].strip():
            report.add(path, offset + 1, "missing 'title'")
        for slug in entry.get("courses", []):
            problem = _path_course_problem(slug, courses, folders)
            if problem:
                report.add(path, key_line(chunk, "courses", offset), problem)
        job = entry.get("job_function")
        if job is None:
            continue
        if job not in JOB_FUNCTIONS:
            report.add(path, key_line(chunk, "job_function", offset),
                       f"job_function must be one of {', '.join(sorted(JOB_FUNCTIONS))}")
        elif job in {p.job_function for p in paths}:
            report.add(path, key_line(chunk, "job_function", offset),
                       f"a second path for '{job}'")
        else:
            paths.append(PathSpec(job_function=job, title=entry.get("title", "").strip(),
                                  courses=tuple(entry.get("courses", [])),
                                  titles=_path_titles(report, path, chunk, offset, entry)))
    return paths


def _path_titles(report: Reporter, path: Path, chunk: str, offset: int, entry: dict
                 ) -> tuple[tuple[str, str], ...]:
    """The [paths.ja] title, checked: only a non-empty 'title' text."""
    table = entry.get("ja")
    if table is None:
        return ()
    unknown = sorted(set(table) - {"title"})
    title = table.get("title")
    if unknown:
        report.add(path, table_key_line(chunk, "paths.ja", unknown[0], offset),
                   f"[paths.ja] knows only 'title', not {', '.join(unknown)}")
    elif not isinstance(title, str) or not title.strip():
        report.add(path, table_key_line(chunk, "paths.ja", "title", offset),
                   "[paths.ja] needs a non-empty 'title' text")
    else:
        return (("ja", title.strip()),)
    return ()


def load_content(root: Path) -> ContentSet:
    """Read every course folder and paths.toml under `root`, validating all of it."""
    report = Reporter(root)
    if not root.is_dir():
        report.add(root, 1, "content folder does not exist")
        return ContentSet(problems=report.problems)
    course_dirs = {
        p.name: p for p in sorted(root.iterdir())
        if p.is_dir() and not p.name.startswith((".", "_")) and p.name not in NOT_COURSES
    }
    courses = [c for d in course_dirs.values() if (c := _load_course(report, d, course_dirs))]
    _check_course_links(report, root, courses, set(course_dirs))
    paths = _load_paths(report, root, courses, set(course_dirs))
    return ContentSet(courses=courses, paths=paths, problems=report.problems)
