"""PURE: the normalised customer name on which deal registrations of partners are compared.

"株式会社サクラ", "サクラ株式会社", "ｻｸﾗ(株)" and "㈱サクラ" are one customer; so are
"ACME Inc.", "acme, inc" and "ＡＣＭＥ Ｉｎｃ．". "Acme Holdings" and "Acme" are not.
"""

from __future__ import annotations

import re
import unicodedata

# Japanese legal forms, matched as a prefix or a suffix of the name (no spaces around them in
# Japanese). NFKC has already turned ㈱/（株） into (株), ㈲ into (有), ㍿ into 株式会社.
JAPANESE_FORMS = (
    "株式会社", "有限会社", "合同会社", "合資会社", "合名会社",
    "(株)", "(有)", "(同)", "(資)", "(名)",
)
# Latin-script legal forms, matched as whole words at the start or the end of the name,
# compared without their dots and parentheses ("K.K." = "kk", "(Pty)" = "pty").
LATIN_FORMS = frozenset({
    "inc", "incorporated", "corp", "corporation", "co", "coltd", "ltd", "limited", "llc",
    "gmbh", "ag", "kk", "plc", "sa", "pte", "pty",
})
WORD_SEPARATORS = re.compile(r"[\s,、，]+")
MAX_KEY_LENGTH = 200


def _dotless(word: str) -> str:
    return word.replace(".", "").strip("()")


def _strip_legal_forms(name: str) -> str:
    """Drop legal forms at both ends, repeatedly ("Acme Co., Ltd." -> "acme")."""
    while True:
        before = name
        for form in JAPANESE_FORMS:
            if name.startswith(form) and _compact(name[len(form):]):
                name = name[len(form):].strip()
            if name.endswith(form) and _compact(name[: -len(form)]):
                name = name[: -len(form)].strip()
        words = [w for w in WORD_SEPARATORS.split(name) if w]
        # A name that is only a legal form keeps it: it never matches every other such name.
        while len(words) > 1 and _dotless(words[-1]) in LATIN_FORMS:
            words.pop()
        while len(words) > 1 and _dotless(words[0]) in LATIN_FORMS:
            words.pop(0)
        name = " ".join(words)
        if name == before:
            return name


def _compact(text: str) -> str:
    """Without punctuation, symbols, separators or control characters."""
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def customer_key(name: str) -> str:
    """The comparison key of a customer name: NFKC, case-folded, legal forms (株式会社, (株),
    Inc., Co., Ltd., GmbH...) dropped at either end, punctuation and whitespace removed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    key = _compact(_strip_legal_forms(folded.strip()))
    return (key or _compact(folded) or folded.strip())[:MAX_KEY_LENGTH]
