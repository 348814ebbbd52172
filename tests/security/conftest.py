"""Shared set-up of the security tests: the app as production runs it on a small content
tree, the people of a partner program, two partner companies, and the checks that a page is
inert and a CSV is formula-safe.

The apps built here answer an unexpected exception with the 500 page, as in production
(PROPAGATE_EXCEPTIONS=False), so a crash is seen as a status code next to the request that
caused it.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import func, select

from lms.extensions import db
from lms.models import JobFunction, Role, Tier
from tests.factories.content import write_content
from tests.factories.people import People, make_org, make_people, make_user

# --- The app, on a small content tree (tests/factories/content.py) --------------------------


@pytest.fixture
def content_settings(tmp_path) -> dict:
    return write_content(tmp_path / "site")


class SharedTemplateCache(BytecodeCache):
    """Compiled templates kept for the whole run: every test builds a fresh app, and
    recompiling the same templates for each one would be most of the suite's time."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedTemplateCache()


def build_app(make_app, **settings):
    """make_app(...) with the shared template cache."""
    app = make_app(**settings)
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture
def app500(make_app, content_settings):
    """The app as production runs it (a crash is a 500 page), pointed at the small content
    (synced on demand by `sync_content`)."""
    app = build_app(make_app, PROPAGATE_EXCEPTIONS=False, **content_settings)
    with app.app_context():
        yield app


# --- People (tests/factories/people.py) -----------------------------------------------------


@pytest.fixture
def people(app500) -> People:
    return make_people()


@pytest.fixture
def two_partners(app) -> dict:
    """Two silver partner companies, alpha with a person of every partner kind, beta with a
    sales member, and a channel manager."""
    alpha = make_org("alpha", name="Alpha K.K.", tier=Tier.SILVER)
    beta = make_org("beta", name="Beta Inc.", tier=Tier.SILVER)
    return {
        "alpha": alpha, "beta": beta,
        "alpha_sales": make_user(Role.MEMBER, alpha, job=JobFunction.SALES),
        "alpha_admin": make_user(Role.PARTNER_ADMIN, alpha),
        "alpha_engineer": make_user(Role.MEMBER, alpha, job=JobFunction.TECHNICAL),
        "beta_sales": make_user(Role.MEMBER, beta, job=JobFunction.SALES),
        "manager": make_user(Role.MANAGER),
    }


# --- Reading responses and rows -------------------------------------------------------------


def text_of(response) -> str:
    """The body as text, the response closed (served files stay open until then)."""
    body = response.get_data(as_text=True)
    response.close()
    return body


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# --- Is a page inert? ----------------------------------------------------------------------

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "data",
                            "xlink:href", "background", "cite", "longdesc", "ping"})
# Attributes whose value is only ever text for the browser (nothing runs from them).
TEXT_ATTRIBUTES = frozenset({"value", "title", "alt", "placeholder", "aria-label", "label",
                             "content", "datetime", "name", "id", "for", "lang"})
BAD_SCHEMES = ("javascript", "vbscript", "data", "livescript", "mocha")
NEVER_FROM_DATA = frozenset({"script", "style", "iframe", "frame", "frameset", "object",
                             "embed", "applet", "base", "svg", "math", "link", "meta",
                             "template", "noscript", "portal"})


class _Collector(HTMLParser):
    """Start tags (attribute values decoded), text outside scripts, and inline script text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag in ("script", "style"):
            self._in_script = True

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_script = False

    def handle_data(self, data):
        (self.script_text if self._in_script else self.text).append(data)


@dataclass
class Page:
    tags: list[tuple[str, list[tuple[str, str | None]]]] = field(default_factory=list)
    text: str = ""
    script_text: str = ""

    def attribute_values(self) -> list[str]:
        return [value for _tag, attrs in self.tags for _name, value in attrs if value]


def parse_page(markup: str) -> Page:
    collector = _Collector()
    collector.feed(markup)
    collector.close()
    return Page(collector.tags, "".join(collector.text), "".join(collector.script_text))


def _as_browser_reads(url: str) -> str:
    """A URL as a browser resolves it: whitespace and control characters dropped."""
    return "".join(ch for ch in html_lib.unescape(url)
                   if ch > " " and unicodedata.category(ch)[0] != "C").lower()


def inert_problems(markup: str | Page, marker: str | None = None) -> list[str]:
    """Everything in the page that could run: scripts with inline code, event handlers,
    script URLs, and (with `marker`) any element or attribute that carries the marker as
    markup rather than as text."""
    page = markup if isinstance(markup, Page) else parse_page(markup)
    problems = []
    for tag, attrs in page.tags:
        names = {name for name, _value in attrs}
        if tag == "script" and not any(n == "src" for n in names):
            problems.append("inline <script>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                problems.append(f"script from {src!r}")
        if tag == "meta" and any(n == "http-equiv" for n in names):
            problems.append("<meta http-equiv>")
        if tag == "base":
            problems.append("<base>")
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...> event handler")
            if name in ("style", "srcdoc") and marker and value and marker in value:
                problems.append(f"<{tag} {name}> from data")
            if name in URL_ATTRIBUTES and value:
                scheme = urlsplit(_as_browser_reads(value)).scheme
                if scheme in BAD_SCHEMES or _as_browser_reads(value).startswith(BAD_SCHEMES):
                    problems.append(f"<{tag} {name}={value!r}>")
            if marker and value and marker in value and name not in TEXT_ATTRIBUTES \
                    and name not in URL_ATTRIBUTES and not name.startswith(("data-", "aria-")):
                problems.append(f"<{tag} {name}> carries the payload")
            if marker and marker in name:
                problems.append(f"attribute name {name!r} from data")
        if marker and (marker in tag or (tag in NEVER_FROM_DATA and any(
                marker in (value or "") for _name, value in attrs))):
            problems.append(f"<{tag}> from data")
    if page.script_text.strip():
        problems.append(f"inline script or style text: {page.script_text.strip()[:80]!r}")
    return problems


def assert_inert(markup: str | Page, marker: str | None = None, where: str = "") -> None:
    problems = inert_problems(markup, marker)
    assert not problems, f"{where}: {problems}"


def shows(markup: str | Page, text: str) -> bool:
    """Whether the page shows `text` literally: in its text or in a form field's value."""
    page = markup if isinstance(markup, Page) else parse_page(markup)
    squeeze = " ".join
    return (text in page.text or squeeze(text.split()) in squeeze(page.text.split())
            or any(text in value for value in page.attribute_values()))


# --- Forms as the page fills them ------------------------------------------------------------


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "fields": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields[name] = a.get("value") or "y"
            elif kind not in ("submit", "button", "file"):
                fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            fields[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.forms[-1]["fields"][self._textarea] = "".join(self._text).lstrip("\n")
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_values(markup: str, having: str) -> dict[str, str]:
    """The values of the page's form that has a field named `having`, as the page filled it."""
    reader = _FormReader()
    reader.feed(markup)
    reader.close()
    for form in reader.forms:
        if having in form["fields"]:
            values = dict(form["fields"])
            values.pop("csrf_token", None)
            return values
    raise AssertionError(f"no form with a field {having!r}")


# --- Is a CSV export formula-safe? ----------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def csv_cells(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.lstrip("\ufeff"), newline="")))


def formula_cells(body: str) -> list[str]:
    """Cells a spreadsheet would evaluate: starting with a formula prefix, not a number."""
    return [cell for row in csv_cells(body) for cell in row
            if cell.startswith(FORMULA_PREFIXES) and not NUMBER.match(cell)]
