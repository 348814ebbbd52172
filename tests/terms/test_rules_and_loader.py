"""The program terms without the app: which version is in force and which is coming, what a
company owes, and the files in content/terms/ with every problem as file:line."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lms.demo.terms import _owed
from lms.terms import rules
from lms.terms.loader import load_terms, terms_digest
from lms.terms.rules import VersionInfo
from tests.factories.terms import write_terms

APRIL = VersionInfo(1, "2026-04", date(2026, 4, 1), "a" * 64)
DECEMBER = VersionInfo(2, "2026-12", date(2026, 12, 1), "b" * 64)
NEXT = VersionInfo(3, "2027-06", date(2027, 6, 1), "c" * 64)
ALL = (APRIL, DECEMBER, NEXT)


# --- Which version --------------------------------------------------------------------------


def test_the_version_in_force_is_the_latest_started_one_from_its_first_day():
    assert rules.in_force(ALL, date(2026, 3, 31)) is None
    assert rules.in_force(ALL, date(2026, 4, 1)) == APRIL
    assert rules.in_force(ALL, date(2026, 11, 30)) == APRIL
    assert rules.in_force(ALL, date(2026, 12, 1)) == DECEMBER
    assert rules.in_force(ALL, date(2027, 6, 1)) == NEXT
    assert rules.in_force((NEXT, APRIL, DECEMBER), date(2027, 1, 1)) == DECEMBER  # any order


def test_a_coming_version_is_asked_for_with_the_one_in_force():
    assert rules.upcoming(ALL, date(2026, 12, 1)) == NEXT
    assert rules.upcoming(ALL, date(2027, 6, 1)) is None
    assert rules.to_accept(ALL, date(2026, 12, 5)) == (DECEMBER, NEXT)
    assert rules.to_accept(ALL, date(2026, 3, 1)) == (APRIL,)  # nothing in force yet
    assert rules.to_accept((), date(2026, 3, 1)) == ()


def test_only_the_version_in_force_blocks():
    assert rules.is_blocked(DECEMBER, set())
    assert not rules.is_blocked(DECEMBER, {DECEMBER.id})
    assert rules.is_blocked(DECEMBER, {APRIL.id, NEXT.id})  # accepting others is not enough
    assert not rules.is_blocked(None, set())  # nothing published: nothing to accept


def test_a_company_owes_the_version_it_joined_under_and_each_one_since():
    versions = [APRIL, DECEMBER]
    assert _owed(versions, date(2025, 1, 1), date(2026, 12, 7)) == [APRIL, DECEMBER]
    assert _owed(versions, date(2026, 6, 1), date(2026, 12, 7)) == [APRIL, DECEMBER]
    assert _owed(versions, date(2026, 12, 3), date(2026, 12, 7)) == [DECEMBER]
    assert _owed(versions, date(2026, 6, 1), date(2026, 11, 1)) == [APRIL]  # before December
    assert _owed(versions, date(2026, 6, 1), date(2026, 1, 1)) == []


# --- The files ------------------------------------------------------------------------------


def test_a_version_and_its_translation_load_together(tmp_path: Path):
    write_terms(tmp_path, "2026-12", date(2026, 12, 1), "## Deals\n\nRegister first.\n",
                ja="## 案件\n\n先に登録します。\n", changes="Deals are protected longer.")
    terms = load_terms(tmp_path)
    assert terms.problems == []
    [spec] = terms.versions
    assert (spec.version, spec.effective_on, spec.locale) == ("2026-12", date(2026, 12, 1),
                                                             "en")
    assert spec.titles == {"en": "Partner Program Terms", "ja": "パートナープログラム規約"}
    assert spec.bodies["ja"] == "## 案件\n\n先に登録します。\n"
    assert spec.changes == {"en": "Deals are protected longer."}
    assert spec.digest == terms_digest(spec.titles, spec.bodies)


def test_the_digest_covers_every_language_but_not_the_note_of_changes():
    titles, bodies = {"en": "T"}, {"en": "Body", "ja": "本文"}
    assert terms_digest(titles, bodies) != terms_digest(titles, {"en": "Body", "ja": "本文。"})
    assert terms_digest(titles, bodies) != terms_digest({"en": "T2"}, bodies)
    assert terms_digest(titles, bodies) == terms_digest(dict(titles), dict(bodies))


def test_no_folder_no_terms(tmp_path: Path):
    assert load_terms(tmp_path).versions == [] and load_terms(tmp_path).problems == []


def _problems(root: Path) -> list[str]:
    """As `lms content check` prints them, the content folder's name left out."""
    prefix = f"{root.name}/"
    problems = [str(p) for p in load_terms(root).problems]
    assert all(p.startswith(prefix) for p in problems), problems
    return [p.removeprefix(prefix) for p in problems]


def test_each_problem_names_its_file_and_line(tmp_path: Path):
    folder = tmp_path / "terms"
    folder.mkdir()
    (folder / "Bad Name.md").write_text("+++\ntitle = 'x'\n+++\nx", encoding="utf-8")
    (folder / "2026-01.md").write_text("no front matter", encoding="utf-8")
    (folder / "2026-02.md").write_text('+++\ntitle = "T"\neffective = "soon"\n+++\nx',
                                       encoding="utf-8")
    (folder / "2026-03.md").write_text('+++\ntitle = "T"\neffective = 2026-03-01\n+++\n  \n',
                                       encoding="utf-8")
    (folder / "2026-05.md").write_text(
        '+++\ntitle = "T"\neffective = 2026-05-01\ncolour = "red"\n+++\nx', encoding="utf-8")
    (folder / "2026-06.ja.md").write_text('+++\ntitle = "規約"\n+++\n本文', encoding="utf-8")
    (folder / "acceptances.md").write_text('+++\ntitle = "T"\neffective = 2026-07-01\n+++\nx',
                                           encoding="utf-8")
    assert sorted(_problems(tmp_path)) == sorted([
        "terms/Bad Name.md:1: terms files are named <version>.md, or <version>.<language>.md "
        "for a translation (lower-case letters, digits, dashes)",
        "terms/2026-01.md:1: missing front matter: the file starts with a +++ line, then TOML "
        "(title, effective), then a closing +++ line",
        "terms/2026-02.md:3: effective must be a TOML date, e.g. effective = 2026-12-01",
        "terms/2026-03.md:5: the terms' text is empty: write it after the closing +++",
        "terms/2026-05.md:4: unknown key 'colour' (allowed: changes, effective, locale, title)",
        "terms/2026-06.ja.md:1: a translation of the version '2026-06', whose original "
        "terms/2026-06.md is missing or has problems",
        "terms/acceptances.md:1: 'acceptances' is the name of a terms page: name the version "
        "otherwise",
    ])
    assert load_terms(tmp_path).versions == []


def test_two_versions_cannot_take_effect_the_same_day(tmp_path: Path):
    write_terms(tmp_path, "2026-12", date(2026, 12, 1))
    write_terms(tmp_path, "2026-12b", date(2026, 12, 1))
    assert _problems(tmp_path) == [
        "terms/2026-12b.md:3: the version '2026-12' takes effect on 2026-12-01 too: each "
        "version needs a day of its own"]


def test_a_translation_in_the_originals_language_or_an_unknown_one_is_refused(tmp_path: Path):
    write_terms(tmp_path, "2026-12", date(2026, 12, 1))
    (tmp_path / "terms" / "2026-12.en.md").write_text('+++\ntitle = "T"\n+++\nx',
                                                      encoding="utf-8")
    (tmp_path / "terms" / "2026-12.fr.md").write_text('+++\ntitle = "T"\n+++\nx',
                                                      encoding="utf-8")
    assert _problems(tmp_path) == [
        "terms/2026-12.en.md:1: a translation's language is one of ja (the original is in "
        "'en')",
        "terms/2026-12.fr.md:1: a translation's language is one of ja (the original is in "
        "'en')"]
    assert [v.bodies.keys() for v in load_terms(tmp_path).versions] == [{"en": 1}.keys()]


def test_the_shipped_terms_load_in_both_languages():
    terms = load_terms(Path(__file__).resolve().parents[2] / "content")
    assert terms.problems == []
    assert [v.version for v in terms.versions] == ["2026-04", "2026-12"]
    assert all(set(v.bodies) == {"en", "ja"} and v.changes for v in terms.versions)
