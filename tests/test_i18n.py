"""Japanese and English: locale choice, rendering, and a complete Japanese catalog."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from lms.extensions import db
from lms.models import Role
from tests.factories import login, make_user

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "lms" / "translations" / "ja" / "LC_MESSAGES"


def test_layout_renders_in_japanese_for_a_japanese_browser(client):
    html = client.get("/login", headers={"Accept-Language": "ja,en;q=0.5"}).get_data(
        as_text=True)
    assert '<html lang="ja">' in html
    assert "サインイン" in html
    assert "Sign in to Partner Academy" not in html


def test_english_is_the_default(client):
    html = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Sign in to Partner Academy" in html


def test_saved_locale_wins_over_the_browser(client):
    user = make_user(Role.MEMBER, locale="ja")
    login(client, user)
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ja">' in html
    assert "ホーム" in html


def test_locale_switch_on_account_is_saved(client):
    user = make_user(Role.MEMBER, name="Mika Ito")
    login(client, user)
    response = client.post("/account", data={"name": "Mika Ito", "locale": "ja"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.locale == "ja"
    assert '<html lang="ja">' in client.get("/account").get_data(as_text=True)


def test_account_rejects_an_unknown_locale(client):
    user = make_user(Role.MEMBER)
    login(client, user)
    response = client.post("/account", data={"name": user.name, "locale": "xx"})
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.locale is None


def test_signed_out_visitors_can_switch_language(client):
    client.post("/locale", data={"locale": "ja", "next": "/login"})
    html = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ja">' in html


def test_a_newline_in_next_is_ignored_not_an_error(client):
    response = client.post("/locale", data={"locale": "ja", "next": "/a\r\nX-Injected: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "X-Injected" not in response.headers


def _source_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
                "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_japanese_catalog_is_complete_and_compiled():
    with open(CATALOG / "messages.po", "rb") as po_file:
        po = read_po(po_file)
    translated = {_singular(m.id): _strings(m.string) for m in po
                  if m.id and _complete(m.string)}
    missing = sorted(m for m in _source_messages() if m not in translated)
    assert missing == [], f"untranslated: {missing[:10]}"
    with open(CATALOG / "messages.mo", "rb") as mo_file:
        mo = read_mo(mo_file)
    compiled = {_singular(m.id): _strings(m.string) for m in mo if m.id}
    assert compiled == translated, "messages.mo is stale: run `python dev.py translations`"


JAPANESE = "[\u3040-\u30ff\u4e00-\u9fff]"
# A half-width space between Japanese text and an inserted value, a number or a Latin word
# ("シルバー 以上"), and ASCII punctuation closing a Japanese phrase ("取得条件:").
STRAY_SPACE = re.compile(rf"{JAPANESE} +(?:%\(\w+\)[sd]|[A-Za-z0-9])"
                         rf"|(?:%\(\w+\)[sd]|[A-Za-z0-9]) +{JAPANESE}")
ASCII_PUNCTUATION = re.compile(rf"{JAPANESE}[:;?!]")


def test_japanese_reads_as_japanese():
    with open(CATALOG / "messages.po", "rb") as po_file:
        po = read_po(po_file)
    bad = [string for m in po if m.id
           for string in (m.string if isinstance(m.string, list | tuple) else (m.string,))
           if STRAY_SPACE.search(string) or ASCII_PUNCTUATION.search(string)]
    assert bad == [], bad[:5]


def _singular(message_id):
    return message_id[0] if isinstance(message_id, list | tuple) else message_id


def _strings(string):
    return tuple(string) if isinstance(string, list | tuple) else string


def _complete(string) -> bool:
    """Translated, including every plural form."""
    return all(string) if isinstance(string, list | tuple) else bool(string)


def test_the_fast_gettext_says_what_flask_babel_says(app):
    import flask_babel

    from lms import i18n

    with (CATALOG / "messages.po").open("rb") as po:
        catalog = read_po(po)
    singles = [m.id for m in catalog if m.id and isinstance(m.id, str)][:300]
    assert len(singles) > 100
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert [i18n.gettext(s) for s in singles] == [flask_babel.gettext(s) for s in singles]
        assert i18n.gettext("Sign out") != "Sign out"  # the Japanese catalog is in use
        with flask_babel.force_locale("en"):  # mail in the recipient's language
            assert i18n.gettext("Sign out") == "Sign out"
        assert i18n.gettext("Sign out") == flask_babel.gettext("Sign out")
        assert i18n.ngettext("%(num)d download", "%(num)d downloads", 3) == \
            flask_babel.ngettext("%(num)d download", "%(num)d downloads", 3)
        assert str(i18n.lazy_gettext("Sign out")) == flask_babel.gettext("Sign out")
        assert i18n.gettext("%(n)d bytes", n=5) == flask_babel.gettext("%(n)d bytes", n=5)
        assert "5" in i18n.gettext("%(n)d bytes", n=5)


def test_templates_translate_as_jinjas_newstyle_gettext_does(app):
    """The templates' one-call _(), ngettext() and pgettext() give what Jinja's newstyle
    callables give: the translation marked safe, its variables escaped, %% always formatted."""
    from jinja2 import Environment

    from lms import i18n

    jinja = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    jinja.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: i18n.translations().ugettext(s),
        ngettext=lambda s, p, n: i18n.translations().ungettext(s, p, n),
        pgettext=lambda c, s: i18n.translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: i18n.translations().unpgettext(c, s, p, n),
        newstyle=True)
    sources = [
        '{{ _("Sign out") }}',
        '{{ _("Hello %(name)s", name="<b>Kim</b>") }}',
        '{{ _("100%% done") }}',
        '{{ gettext("Language") }}',
        '{{ ngettext("%(num)d download", "%(num)d downloads", 1) }}',
        '{{ ngettext("%(num)d download", "%(num)d downloads", 3) }}',
        '{{ ngettext("%(num)d of %(what)s", "%(num)d of %(what)s", 2, what="<i>") }}',
        '{{ pgettext("menu", "Home") }}',
        '{{ npgettext("files", "%(num)d file", "%(num)d files", 4) }}',
    ]
    for locale in ("ja", "en"):
        with app.test_request_context("/", headers={"Accept-Language": locale}):
            ours = [app.jinja_env.from_string(s).render() for s in sources]
            theirs = [jinja.from_string(s).render() for s in sources]
            assert ours == theirs
            assert "&lt;b&gt;Kim&lt;/b&gt;" in ours[1]
            assert ours[2] == "100% done"
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        assert app.jinja_env.from_string('{{ _("Sign out") }}').render() != "Sign out"
