"""customer_key: the spellings of one customer agree; different customers do not."""

from __future__ import annotations

import pytest

from lms.deals.customers import customer_key

SAKURA = [
    "株式会社サクラ", "サクラ株式会社", "ｻｸﾗ(株)", "ｻｸﾗ（株）", "㈱サクラ", "（株）サクラ",
    "(株)サクラ", "サクラ ㈱", "株式会社 サクラ", "㍿サクラ", " サクラ ", "サクラ",
    "株式会社　サクラ",  # ideographic space
]
SAKURA_SHOJI = ["(株)サクラ商事", "サクラ商事株式会社", "株式会社サクラ商事", "ｻｸﾗ商事㈱",
                "サクラ商事"]
ACME = [
    "ACME Inc.", "acme, inc", "ＡＣＭＥ Ｉｎｃ．", "Acme Incorporated", "Acme Corp.",
    "Acme Corporation", "ACME Co., Ltd.", "Acme Co.,Ltd.", "Acme Co.Ltd.", "Acme Co Ltd",
    "Acme Ltd", "Acme Limited", "Acme LLC", "Acme L.L.C.", "Acme GmbH", "ACME AG",
    "Acme K.K.", "Acme KK", "Acme plc", "Acme S.A.", "Acme Pte. Ltd.", "Acme (Pty) Ltd",
    "  acme   inc  ", "ACME", "Acme Inc. Ltd.", "株式会社ACME", "ACME株式会社", "K.K. Acme",
]


@pytest.mark.parametrize("name", SAKURA)
def test_spellings_of_sakura_agree(name):
    assert customer_key(name) == "サクラ"


@pytest.mark.parametrize("name", SAKURA_SHOJI)
def test_spellings_of_sakura_shoji_agree(name):
    assert customer_key(name) == "サクラ商事"


@pytest.mark.parametrize("name", ACME)
def test_spellings_of_acme_agree(name):
    assert customer_key(name) == "acme"


@pytest.mark.parametrize("name", ["有限会社ミドリ", "ミドリ合同会社", "合資会社ミドリ",
                                  "合名会社ミドリ", "ミドリ(有)", "㈲ミドリ", "(同)ミドリ"])
def test_other_japanese_legal_forms(name):
    assert customer_key(name) == "ミドリ"


@pytest.mark.parametrize(("one", "other"), [
    ("Acme Holdings", "Acme"),
    ("Acme Japan K.K.", "Acme K.K."),
    ("サクラ商事", "サクラ"),
    ("サクラ銀行株式会社", "サクラ株式会社"),
    ("Cohen Ltd", "Hen Ltd"),
    ("Agfa", "Fa"),
    ("Beta Systems", "Alpha Systems"),
])
def test_different_customers_differ(one, other):
    assert customer_key(one) != customer_key(other)


def test_legal_forms_are_whole_words_not_parts_of_words():
    assert customer_key("Cohen Ltd") == "cohen"
    assert customer_key("Incubate Inc") == "incubate"
    assert customer_key("Agco AG") == "agco"
    assert customer_key("Co-op Sapporo") == "coopsapporo"


def test_punctuation_and_spaces_are_dropped():
    assert customer_key("A.B.C. Trading, Inc.") == "abctrading"
    assert customer_key("サクラ・システムズ株式会社") == "サクラシステムズ"
    assert customer_key("Ｎｉｍｂｕｓ－ＣＲＭ") == "nimbuscrm"


def test_case_folding_beyond_ascii():
    assert customer_key("STRASSE GmbH") == customer_key("straße gmbh")


def test_a_name_that_is_only_a_legal_form_keeps_it():
    assert customer_key("株式会社") == "株式会社"
    assert customer_key("Inc.") == "inc"
    assert customer_key("Co., Ltd.") != ""
    assert customer_key("(株)") != ""


def test_a_name_of_punctuation_only_is_not_empty():
    assert customer_key("...") != ""


def test_the_key_fits_the_column():
    assert len(customer_key("ア" * 500)) == 200
