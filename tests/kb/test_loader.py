"""The knowledge base's files without the app: categories, articles and their translations,
and every problem as file:line."""

from __future__ import annotations

from pathlib import Path

from lms.kb.loader import load_kb


def write(root: Path, name: str, text: str) -> None:
    folder = root / "kb"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


CATEGORIES = ('[deals]\ntitle = "Deal registration"\ntitle_ja = "案件登録"\n\n'
              '[tiers]\ntitle = "Tiers"\n')


def problems(root: Path) -> list[str]:
    prefix = f"{root.name}/"
    found = [str(p) for p in load_kb(root).problems]
    assert all(p.startswith(prefix) for p in found), found
    return [p.removeprefix(prefix) for p in found]


def test_categories_and_an_article_with_its_translation(tmp_path: Path):
    write(tmp_path, "categories.toml", CATEGORIES)
    write(tmp_path, "protection.md", '+++\ntitle = "How long?"\ncategory = "deals"\n'
                                     'order = 5\n+++\n120 days.\n')
    write(tmp_path, "protection.ja.md", '+++\ntitle = "どのくらい？"\n+++\n120 日です。\n')
    kb = load_kb(tmp_path)
    assert kb.problems == []
    assert [(c.slug, c.titles, c.position) for c in kb.categories] == [
        ("deals", {"en": "Deal registration", "ja": "案件登録"}, 0),
        ("tiers", {"en": "Tiers"}, 1)]
    [article] = kb.articles
    assert (article.slug, article.category, article.position, article.locale) == (
        "protection", "deals", 5, "en")
    assert article.titles == {"en": "How long?", "ja": "どのくらい？"}
    assert article.bodies == {"en": "120 days.\n", "ja": "120 日です。\n"}


def test_no_folder_no_knowledge_base(tmp_path: Path):
    kb = load_kb(tmp_path)
    assert (kb.categories, kb.articles, kb.problems) == ([], [], [])


def test_each_problem_names_its_file_and_line(tmp_path: Path):
    write(tmp_path, "categories.toml", CATEGORIES + '\n[Bad_Slug]\ntitle = "x"\n')
    write(tmp_path, "no-category.md", '+++\ntitle = "T"\ncategory = "nope"\n+++\nText.\n')
    write(tmp_path, "empty.md", '+++\ntitle = "T"\ncategory = "deals"\n+++\n\n')
    write(tmp_path, "Bad Name.md", '+++\ntitle = "T"\ncategory = "deals"\n+++\nText.\n')
    write(tmp_path, "orphan.ja.md", '+++\ntitle = "T"\n+++\n本文\n')
    write(tmp_path, "typed.md", '+++\ntitle = "T"\ncategory = "deals"\norder = "1"\n+++\nx\n')
    write(tmp_path, "questions.md", '+++\ntitle = "T"\ncategory = "deals"\n+++\nx\n')
    assert sorted(problems(tmp_path)) == sorted([
        "kb/categories.toml:8: category 'Bad_Slug': lower-case letters, digits and dashes",
        "kb/no-category.md:3: unknown category 'nope' (kb/categories.toml has: deals, tiers)",
        "kb/empty.md:5: the article is empty: write it after the closing +++",
        "kb/Bad Name.md:1: articles are named <slug>.md, or <slug>.<language>.md for a "
        "translation (lower-case letters, digits, dashes)",
        "kb/orphan.ja.md:1: a translation of the article 'orphan', whose original kb/orphan.md "
        "is missing or has problems",
        "kb/typed.md:4: order must be a whole number (its place in the category)",
        "kb/questions.md:1: 'questions' is the name of a knowledge base page: name the "
        "article otherwise",
    ])
    assert load_kb(tmp_path).articles == []


def test_articles_need_the_categories_file(tmp_path: Path):
    write(tmp_path, "a.md", '+++\ntitle = "T"\ncategory = "deals"\n+++\nText.\n')
    assert problems(tmp_path)[0] == ("kb/categories.toml:1: the knowledge base needs its "
                                     "categories: a [slug] table with a title for each")


def test_the_shipped_articles_load_in_both_languages():
    kb = load_kb(Path(__file__).resolve().parents[2] / "content")
    assert kb.problems == []
    assert len(kb.articles) >= 12
    assert all(set(a.bodies) == {"en", "ja"} for a in kb.articles)
    assert {a.category for a in kb.articles} == {c.slug for c in kb.categories}
