"""A value of the wrong TOML type anywhere in any content file is a `file:line: message`
problem, never a crash (issue 13): `audience = ["sales", "technical"]` used to end
`lms content check` with `TypeError: unhashable type: 'list'`.

The properties start from a small valid tree with every kind of content file (each file
holds every key its kind allows), replace the value of one key (hypothesis picks the file,
the key and the value), and load everything the way `lms content check` does: a value of
another TOML type must give a problem at the key's line; any value at all must give
well-formed problems and no exception.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.content import LoadedContent, load_folders
from lms.courses.loader import COURSE_KEYS, LESSON_KEYS, PATH_KEYS, load_content
from lms.credentials.loader import KEYS as CREDENTIAL_KEYS
from lms.quizzes.loader import QUESTION_KEYS, QUIZ_KEYS
from lms.tiers.benefits import TIER_KEYS as BENEFIT_KEYS
from lms.tiers.program import HEALTH_KEYS, PROGRAM_KEYS, REQUIREMENT_KEYS, WEIGHT_KEYS

REPO = Path(__file__).resolve().parents[1]
# Reproducible and quick: derandomized, so the examples change only with the project's code
# (hypothesis mixes in constants it reads there); no example database in .hypothesis/.
# Drawing is not under test: the first draws of a session can be slow while hypothesis
# reads those modules, which must not fail the test.
PROPERTY = settings(max_examples=1000, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
PROBLEM_RE = re.compile(r"^(?P<path>[^\n]+?):(?P<line>\d+): (?P<message>\S[^\n]*)$")

# --- A small valid tree: one dict per file, every key of every kind present ---------------

COURSE = {"title": "Alpha", "summary": "The alpha course.", "audience": "sales", "order": 1,
          "prerequisites": [], "locale": "en"}
COURSE_JA = {"title": "アルファ", "summary": "アルファ講座。", "audience": "all", "order": 2,
             "prerequisites": [], "locale": "ja", "translation_of": "alpha",
             "cover": "images/cover.svg"}
COURSE_BETA = {"title": "Beta", "summary": "After alpha.", "audience": "technical",
               "order": 3, "prerequisites": ["alpha"], "locale": "en"}
LESSON = {"title": "Welcome", "minutes": 5,
          "video": "https://www.youtube.com/watch?v=aqz-KE-bpKQ"}
PATHS = {"paths": [{"job_function": "sales", "title": "Sales onboarding",
                    "courses": ["alpha"], "ja": {"title": "営業オンボーディング"}},
                   {"job_function": "technical", "title": "Technical onboarding",
                    "courses": ["alpha", "beta"]}]}
QUIZ = {
    "title": "Alpha check", "kind": "exam", "course": "alpha", "pass_percent": 80,
    "max_attempts": 3, "cooldown_minutes": 10, "time_limit_minutes": 30, "draw": 4,
    "shuffle": True, "review": "after_pass", "ja": {"title": "アルファ確認"},
    "questions": [
        {"id": "q1", "type": "single", "prompt": "Pick B", "options": ["A", "B", "C"],
         "answer": "B", "points": 1, "explanation": "B it is."},
        {"id": "q2", "type": "multiple", "prompt": "Pick A and C", "options": ["A", "B", "C"],
         "answers": ["A", "C"], "points": 2, "explanation": "Both."},
        {"id": "q3", "type": "true_false", "prompt": "The sky is blue", "answer": True,
         "points": 1, "explanation": "Mostly."},
        {"id": "q4", "type": "numeric", "prompt": "Which port?", "answer": 8080,
         "tolerance": 0.5, "points": 1.5, "explanation": "HTTP alternate."},
        {"id": "q5", "type": "short", "prompt": "Which prefix?", "answers": ["co_", "co"],
         "points": 1, "explanation": "Custom objects."},
    ],
}
CREDENTIALS = {"credentials": [
    {"slug": "alpha-badge", "name": "Alpha badge", "kind": "badge",
     "description": "Knows alpha.", "criteria": "Complete alpha.", "image": "badges/a.svg",
     "courses": ["alpha"], "quizzes": [], "job_function": "sales"},
    {"slug": "alpha-cert", "name": "Alpha certification", "kind": "certification",
     "description": "Certified in alpha.", "criteria": "Pass the exam.",
     "image": "badges/a.svg", "courses": ["alpha"], "quizzes": ["alpha-exam"],
     "job_function": "technical", "validity_months": 24, "renewal_quiz": "alpha-exam",
     "ja": {"name": "アルファ認定", "description": "アルファの認定です。",
            "criteria": "試験に合格すること。"}},
]}
PROGRAM = {
    "currency": "JPY", "review_window_months": 12, "grace_period_days": 90,
    "exchange_rates": {"USD": 150, "EUR": 160.5},
    "tiers": [
        {"tier": "silver", "requirements": [
            {"kind": "won_deals", "min": 3},
            {"kind": "certified_people", "credential": "alpha-cert",
             "job_function": "sales", "min": 2},
            {"kind": "trained_people", "course": "alpha", "job_function": "technical",
             "min": 1}]},
        {"tier": "gold", "requirements": [
            {"kind": "won_deals", "min": 10},
            {"kind": "won_revenue", "min": 30_000_000},
            {"kind": "certified_won_deals", "min": 2, "credential": "alpha-cert"},
            {"kind": "manual", "name": "Signed reseller agreement",
             "item": "reseller-agreement", "min": 1}]},
    ],
    "health": {"weights": {"active": 0.4, "training": 0.3, "conversion": 0.3},
               "healthy_from": 70, "watch_from": 40},
    "benefits": {"mdf_period": "quarter",
                 "gold": {"margin_percent": 20, "mdf": 1_500_000, "support": "priority",
                          "demo_environments": 3, "demo_auto_approve": True,
                          "items": ["A named channel manager"]}},
}
LESSON_BODY = "\nHello.\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"></svg>\n'

# The file each kind is written to (relative to the tree) and its data.
FILES: dict[str, tuple[str, dict]] = {
    "course": ("content/alpha/course.toml", COURSE),
    "translation": ("content/alpha-ja/course.toml", COURSE_JA),
    "lesson": ("content/alpha/01-welcome.md", LESSON),
    "paths": ("content/paths.toml", PATHS),
    "quiz": ("quizzes/alpha-exam.toml", QUIZ),
    "credentials": ("content/credentials.toml", CREDENTIALS),
    "program": ("content/program.toml", PROGRAM),
}
# Keys that take any number, so an integer for a float (or the other way) is no wrong type.
NUMBER_KEYS = {"points", "tolerance", "answer", "USD", "EUR", *WEIGHT_KEYS}


# --- Writing TOML (the standard library only reads it) ---------------------------------------


def toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_value(value: object) -> str:
    """One value in TOML's inline syntax."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    raise TypeError(f"no TOML for {value!r}")


def inner_paths(value: object, path: tuple) -> list[tuple]:
    """The paths of everything inside a table or an array."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    return [inner for key, item in items
            for inner in [(*path, key), *inner_paths(item, (*path, key))]]


def toml_document(data: dict) -> tuple[str, dict[tuple, int]]:
    """The TOML text (plain keys first, then [tables], then [[arrays of tables]], as authors
    write them) and the line of every key; keys inside an inline value are on its line."""
    lines: list[str] = []
    key_lines: dict[tuple, int] = {}

    def header(text: str, *paths: tuple) -> None:
        lines.extend(["", text])
        for path in paths:
            key_lines.setdefault(path, len(lines))

    def put(path: tuple, value: object) -> None:
        lines.append(f"{toml_key(path[-1])} = {toml_value(value)}")
        for inner in [path, *inner_paths(value, path)]:
            key_lines[inner] = len(lines)

    tables = {key: value for key, value in data.items() if isinstance(value, dict)}
    arrays = {key: value for key, value in data.items()
              if isinstance(value, list) and value and all(isinstance(v, dict) for v in value)}
    for key, value in data.items():
        if key not in tables and key not in arrays:
            put((key,), value)
    for key, table in tables.items():
        header(f"[{toml_key(key)}]", (key,))
        for inner, value in table.items():
            put((key, inner), value)
    for key, entries in arrays.items():
        for index, entry in enumerate(entries):
            header(f"[[{toml_key(key)}]]", (key,), (key, index))
            for inner, value in entry.items():
                put((key, index, inner), value)
    return "\n".join(lines) + "\n", key_lines


def written(kind: str, data: dict) -> tuple[str, dict[tuple, int]]:
    """The file of `kind` holding `data`, and the line of each of its keys."""
    text, key_lines = toml_document(data)
    if kind == "lesson":
        return f"+++\n{text}+++\n{LESSON_BODY}", {k: n + 1 for k, n in key_lines.items()}
    return text, key_lines


def file_text(kind: str, data: dict) -> str:
    return written(kind, data)[0]


def write_tree(root: Path) -> None:
    """The valid tree under `root`: FILES, plus a second course, lessons and a badge image."""
    for kind, (relative, data) in FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text(kind, data), encoding="utf-8")
    beta = root / "content" / "beta"
    beta.mkdir(parents=True, exist_ok=True)
    (beta / "course.toml").write_text(file_text("course", COURSE_BETA), encoding="utf-8")
    (beta / "01-start.md").write_text(file_text("lesson", LESSON), encoding="utf-8")
    (root / "content/alpha-ja/01-welcome.md").write_text(file_text("lesson", LESSON),
                                                         encoding="utf-8")
    (root / "content/badges").mkdir(exist_ok=True)
    (root / "content/badges/a.svg").write_text(SVG, encoding="utf-8")
    (root / "content/alpha-ja/images").mkdir(exist_ok=True)
    (root / "content/alpha-ja/images/cover.svg").write_text(SVG, encoding="utf-8")


def load_tree(root: Path) -> LoadedContent:
    return load_folders(root / "content", root / "quizzes")


# --- Which keys there are, and which values are of a wrong type ------------------------------


def key_paths(data: dict, prefix: tuple = ()) -> list[tuple]:
    """Every key, at the top and inside tables and arrays of tables, as a path."""
    paths = []
    for key, value in data.items():
        paths.append((*prefix, key))
        if isinstance(value, dict):
            paths.extend(key_paths(value, (*prefix, key)))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for index, entry in enumerate(value):
                paths.extend(key_paths(entry, (*prefix, key, index)))
    return paths


def value_at(data: object, path: tuple) -> object:
    for step in path:
        data = data[step]
    return data


def replaced(data: object, path: tuple, value: object) -> object:
    """A copy of `data` with the value at `path` replaced."""
    if not path:
        return value
    if isinstance(data, dict):
        return {k: replaced(v, path[1:], value) if k == path[0] else v
                for k, v in data.items()}
    return [replaced(v, path[1:], value) if i == path[0] else v for i, v in enumerate(data)]


def toml_type(value: object) -> str:
    """The TOML type of a value; arrays by what they hold."""
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "array of texts"
        if all(isinstance(v, dict) for v in value):
            return "array of tables"
        return "array of other things"
    if isinstance(value, datetime | date | time):
        return "date or time"
    return {bool: "boolean", int: "integer", float: "float", str: "text",
            dict: "table"}[type(value)]


def right_types(path: tuple, original: object) -> set[str]:
    """The TOML types the key at `path` takes: the type of its valid value."""
    right = {toml_type(original)}
    if path[-1] in NUMBER_KEYS and right & {"integer", "float"}:
        right |= {"integer", "float"}
    return right


texts = st.text(max_size=12)
# TOML integers have 64 bits, but tomllib reads any size: an author can write a larger one.
integers = st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1),
                     st.sampled_from([2**63, 10**400, -(10**400)]))
dates_and_times = st.one_of(
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=9))])),
    st.times(),
)
scalars = st.one_of(texts, integers, st.floats(), st.booleans(), dates_and_times)
inline_tables = st.dictionaries(texts, scalars, min_size=1, max_size=3)
VALUES_BY_TYPE = {
    "text": texts,
    "integer": integers,
    "float": st.floats(),
    "boolean": st.booleans(),
    "date or time": dates_and_times,
    "table": inline_tables,
    "array of texts": st.lists(texts, min_size=1, max_size=4),
    "array of tables": st.lists(inline_tables, min_size=1, max_size=3),
    "array of other things": st.lists(st.one_of(scalars, inline_tables), min_size=1,
                                      max_size=4).filter(
        lambda value: toml_type(value) == "array of other things"),
}
# Every key of every kind of file: (kind, path of the key).
ALL_KEYS = [(kind, path) for kind, (_relative, data) in FILES.items()
            for path in key_paths(data)]


@st.composite
def mutations(draw, wrong_type: bool = True) -> tuple[str, tuple, object]:
    """(kind of file, path of one of its keys, a new value: of another type than the valid
    one, or of any type)."""
    kind, path = draw(st.sampled_from(ALL_KEYS))
    right = right_types(path, value_at(FILES[kind][1], path)) if wrong_type else set()
    name = draw(st.sampled_from([name for name in VALUES_BY_TYPE if name not in right]))
    return kind, path, draw(VALUES_BY_TYPE[name])


def assert_well_formed(content: LoadedContent, root: Path) -> None:
    for problem in content.problems:
        match = PROBLEM_RE.match(str(problem))
        assert match, str(problem)
        assert problem.line >= 1, str(problem)
        lines = (root / problem.path).read_text(encoding="utf-8").count("\n") + 1
        assert problem.line <= lines, f"{problem} (the file has {lines} lines)"


# --- The property ------------------------------------------------------------------------------


def test_the_valid_tree_has_no_problems_and_every_key(tmp_path):
    write_tree(tmp_path)

    content = load_tree(tmp_path)

    assert [str(p) for p in content.problems] == []
    assert content.program.program is not None
    assert len(content.credentials.credentials) == 2
    assert {path[-1] for path in key_paths(COURSE_JA)} == COURSE_KEYS
    assert {path[-1] for path in key_paths(LESSON)} == LESSON_KEYS
    assert {path[-1] for path in key_paths(PATHS)} == {"paths", *PATH_KEYS}
    assert {path[-1] for path in key_paths(QUIZ) if not isinstance(path[-1], int)} == (
        QUIZ_KEYS | QUESTION_KEYS)
    assert {path[-1] for path in key_paths(CREDENTIALS)} == {"credentials", *CREDENTIAL_KEYS}
    assert {path[-1] for path in key_paths(PROGRAM)} == (
        PROGRAM_KEYS | HEALTH_KEYS | set(WEIGHT_KEYS) | REQUIREMENT_KEYS | BENEFIT_KEYS
        | {"USD", "EUR", "tier", "requirements", "mdf_period", "gold"})


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """The valid tree, written once; each example changes one file and puts it back."""
    root = tmp_path_factory.mktemp("tree")
    write_tree(root)
    return root


@contextmanager
def changed(root: Path, kind: str, data: dict) -> Iterator[None]:
    """The file of `kind` holds `data` for the duration of the block."""
    relative, original = FILES[kind]
    try:
        (root / relative).write_text(file_text(kind, data), encoding="utf-8")
        yield
    finally:
        (root / relative).write_text(file_text(kind, original), encoding="utf-8")


def lines_of_key(kind: str, data: dict, path: tuple) -> set[int]:
    """Where a problem with the key at `path` points: its line. program.toml names tables and
    requirements in its problems, so there the line of a table that holds the key will do."""
    key_lines = written(kind, data)[1]
    if kind != "program":
        return {key_lines[path]}
    return {key_lines[path[:n]] for n in range(1, len(path) + 1) if path[:n] in key_lines}


@PROPERTY
@given(mutation=mutations())
def test_a_value_of_the_wrong_type_is_a_problem_not_a_crash(tree, mutation):
    kind, path, value = mutation
    relative, original = FILES[kind]
    data = replaced(original, path, value)

    with changed(tree, kind, data):
        content = load_tree(tree)

        assert_well_formed(content, tree)
        lines = lines_of_key(kind, data, path)
        here = [str(p) for p in content.problems if p.path == relative]
        assert any(p.path == relative and p.line in lines for p in content.problems), (
            f"no problem at line {sorted(lines)} of {relative}: {here}")


@PROPERTY
@given(mutation=mutations(wrong_type=False))
def test_any_value_of_any_key_is_never_a_crash(tree, mutation):
    """Values of the right type too: out of range, huge, NaN, odd texts."""
    kind, path, value = mutation

    with changed(tree, kind, replaced(FILES[kind][1], path, value)):
        content = load_tree(tree)

        assert_well_formed(content, tree)


# Found by the properties above (each crashed `lms content check` or slipped through).
FOUND = [
    # TypeError: unhashable type (issue 13), in four loaders
    pytest.param("course", ("audience",), ["sales", "technical"], id="audience-array"),
    pytest.param("translation", ("locale",), {"code": "ja"}, id="locale-table"),
    pytest.param("paths", ("paths", 1, "job_function"), ["technical"], id="path-job-array"),
    pytest.param("credentials", ("credentials", 0, "kind"), ["badge"], id="kind-array"),
    pytest.param("credentials", ("credentials", 1, "job_function"), {"a": 1},
                 id="credential-job-table"),
    # ignored without a word
    pytest.param("paths", ("paths",), "sales", id="paths-text"),
    # OverflowError: int too large to convert to float
    pytest.param("quiz", ("questions", 0, "points"), 10**400, id="huge-points"),
    pytest.param("program", ("health", "weights", "active"), 10**400, id="huge-weight"),
    # accepted, and every health score NaN
    pytest.param("program", ("health", "weights", "training"), math.nan, id="nan-weight"),
    # OverflowError: a huge margin compared as a float before its range was checked
    pytest.param("program", ("benefits", "gold", "margin_percent"), 10**400, id="huge-margin"),
    # ValueError: Invalid IPv6 URL
    pytest.param("lesson", ("video",), "https://[www.youtube.com", id="unparseable-video"),
    # the problem came out over two lines
    pytest.param("quiz", ("kind",), "exam\nquiz", id="line-break-in-value"),
    # passed the check, then failed the sync (an INTEGER column)
    pytest.param("course", ("order",), 2**63, id="order-beyond-integer"),
]


@pytest.mark.parametrize(("kind", "path", "value"), FOUND)
def test_values_that_crashed_or_slipped_through_are_problems(tree, kind, path, value):
    relative, original = FILES[kind]

    with changed(tree, kind, replaced(original, path, value)):
        content = load_tree(tree)

        assert_well_formed(content, tree)
        assert any(p.path == relative for p in content.problems)


# --- The reported case: audience = ["sales", "technical"] --------------------------------------

AUDIENCE_PROBLEM = ("content/partner-program-essentials/course.toml:3: 'audience' must be "
                    "one of all, sales, technical (a text)")
QUIZ_PROBLEM = ("quizzes/partner-program-practice.toml:3: pass_percent must be a whole "
                "number 0-100")


@pytest.fixture
def real_copy(tmp_path) -> Path:
    """The real content and quizzes, audience a list in one course and a quiz broken too."""
    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copytree(REPO / "quizzes", tmp_path / "quizzes")
    course = tmp_path / "content/partner-program-essentials/course.toml"
    text = course.read_text(encoding="utf-8")
    course.write_text(text.replace('audience = "all"', 'audience = ["sales", "technical"]'),
                      encoding="utf-8")
    quiz = tmp_path / "quizzes/partner-program-practice.toml"
    text = quiz.read_text(encoding="utf-8")
    quiz.write_text(text.replace("pass_percent = 60", 'pass_percent = "60"'), encoding="utf-8")
    return tmp_path


def test_audience_as_an_array_is_a_problem_of_the_course_loader(real_copy):
    content = load_content(real_copy / "content")

    assert [str(p) for p in content.problems] == [AUDIENCE_PROBLEM]
    assert "partner-program-essentials" not in {c.slug for c in content.courses}
    assert len(content.courses) == 3


def test_every_other_file_is_still_checked(real_copy):
    content = load_tree(real_copy)

    assert [str(p) for p in content.problems] == [AUDIENCE_PROBLEM, QUIZ_PROBLEM]
    assert len(content.quizzes.quizzes) == 5


def test_content_check_prints_the_problem_and_fails_without_a_traceback(make_app, real_copy):
    app = make_app(LMS_CONTENT_DIR=str(real_copy / "content"),
                   LMS_QUIZZES_DIR=str(real_copy / "quizzes"))

    result = app.test_cli_runner().invoke(args=["content", "check"])

    assert result.exit_code != 0
    assert type(result.exception) is SystemExit, result.exception
    assert "Traceback" not in result.output
    assert re.search(rf"^{re.escape(AUDIENCE_PROBLEM)}$", result.output, re.MULTILINE)
    assert re.search(rf"^{re.escape(QUIZ_PROBLEM)}$", result.output, re.MULTILINE)
    assert "2 problem(s) found." in result.output
