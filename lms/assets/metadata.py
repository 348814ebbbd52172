"""What describes an asset, checked and normalised (pure): title, tags, language, slug.

Also the two types every asset service shares: `AssetData`, the metadata a form or the demo
hands in, and `AssetError`, a refusal whose message is for people.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from lms.markup import normalize_for_search, plain_text
from lms.models import AssetCategory, Audience, Tier

RESERVED_SLUGS = frozenset({"new"})
MAX_SLUG = 80
MAX_TAGS = 20
MAX_TAG_LENGTH = 40
# Languages an asset can be written in (names in their own language, never translated).
ASSET_LANGUAGES = {"en": "English", "ja": "日本語", "zh": "中文", "ko": "한국어"}
TAG_SEPARATORS = re.compile(r"[,、\n]")


class AssetError(ValueError):
    """A request about an asset that cannot be carried out; the message is for people.
    `field` names the form field it belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass
class AssetData:
    title: str
    description: str
    category: AssetCategory
    tags: list[str]
    audience: Audience
    language: str
    min_tier: Tier


def normalize_tag(tag: str) -> str:
    """NFKC, case-folded, one space, no commas, at most 40 characters."""
    return normalize_for_search(tag.replace(",", " "))[:MAX_TAG_LENGTH].strip()


def parse_tags(raw: str) -> list[str]:
    """Tags typed as "Pricing, SMB、ｆｉｎａｎｃｅ" -> ["pricing", "smb", "finance"] (unique)."""
    tags: list[str] = []
    for part in TAG_SEPARATORS.split(unicodedata.normalize("NFKC", raw or "")):
        tag = normalize_tag(part)
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def tags_column(tags: list[str]) -> str:
    """The stored form: ",tag1,tag2," (so one tag matches LIKE '%,tag,%'); "" for none."""
    return f",{','.join(tags)}," if tags else ""


def slug_base(title: str) -> str:
    """ASCII slug of a title ("Nimbus CRM — Overview" -> "nimbus-crm-overview"); "" when
    nothing ASCII is left (a Japanese title)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:MAX_SLUG].rstrip("-")


def pick_slug(base: str, taken: set[str]) -> str:
    """`base`, else base-2, base-3...; "asset-1", "asset-2"... when base is empty."""
    if base and base not in taken and base not in RESERVED_SLUGS:
        return base
    stem, n = (base, 2) if base else ("asset", 1)
    while f"{stem}-{n}" in taken:
        n += 1
    return f"{stem}-{n}"


def search_text(title: str, description: str, tags: list[str]) -> str:
    """What the library search looks in: title, description as plain text, and tags."""
    return " ".join(p for p in (normalize_for_search(title), plain_text(description),
                                " ".join(tags)) if p)
