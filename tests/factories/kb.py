"""The knowledge base for tests: a category and an article synced from a folder."""

from __future__ import annotations

from pathlib import Path

from lms.extensions import db
from lms.kb import service
from lms.kb.loader import load_kb
from lms.sync import SyncReport


def publish_article(root: Path, slug: str = "protection", title: str = "How long?",
                    body: str = "120 days.\n") -> str:
    """`root/kb/` with the category "deals" and one article, synced and committed."""
    folder = root / "kb"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "categories.toml").write_text('[deals]\ntitle = "Deals"\n', encoding="utf-8")
    (folder / f"{slug}.md").write_text(f'+++\ntitle = "{title}"\ncategory = "deals"\n+++\n'
                                       f"{body}", encoding="utf-8")
    kb = load_kb(root)
    assert kb.problems == [], kb.problems
    service.sync_kb(kb, SyncReport())
    db.session.commit()
    return slug
