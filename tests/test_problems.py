"""Lines of keys in TOML texts, for `file:line: message` problems of content files."""

from __future__ import annotations

from lms.problems import key_line, table_key_line, top_key_line

QUIZ = '''title = "Alpha check"
kind = "exam"

[ja]
title = "アルファ確認"

[[questions]]
id = "q1"
'''


def test_a_top_level_key_is_not_confused_with_a_key_of_a_table():
    assert top_key_line(QUIZ, "title") == 1
    assert top_key_line(QUIZ, "kind") == 2
    assert top_key_line(QUIZ, "questions") == 7  # an array of tables: its first header
    assert top_key_line(QUIZ, "ja") == 4
    assert top_key_line(QUIZ, "id") == 1  # only inside a table: not a top-level key
    # What the plain search would have said: the first "title =" of the text.
    assert key_line(QUIZ.replace('title = "Alpha check"\n', ""), "title") == 4


def test_a_top_level_key_written_after_a_table_header_is_found_as_a_table():
    text = 'kind = "exam"\n\n[ja]\ntitle = "x"\n\n[[title]]\nx = 1\n'
    assert top_key_line(text, "title") == 6


def test_a_key_of_a_table_is_found_under_its_header_or_on_its_inline_line():
    paths = ('[[paths]]\ntitle = "Sales"\n\n[paths.ja]\nname = "x"\ntitle = ""\n\n'
             '[[paths]]\ntitle = "Tech"\n')
    assert table_key_line(paths, "paths.ja", "title") == 6
    assert table_key_line(paths, "paths.ja", "name") == 5
    assert table_key_line(paths, "paths.ja", "title", offset=10) == 16
    inline = '[[paths]]\ntitle = "Sales"\nja = { title = "" }\n'
    assert table_key_line(inline, "paths.ja", "title") == 3
    # A key missing from its table: the table's header.
    assert table_key_line('[ja]\nname = "x"\n', "ja", "title") == 1
