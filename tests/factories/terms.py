"""Program terms for tests: versions written to a content folder and synced, and a company's
acceptance of them (as rows: tests/terms goes through the page)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lms.extensions import db
from lms.models import Organization, TermsAcceptance, User, utcnow
from lms.sync import SyncReport
from lms.terms import service
from lms.terms.loader import load_terms


def write_terms(root: Path, version: str, effective: date, body: str = "You agree.\n", *,
                title: str = "Partner Program Terms", ja: str | None = None,
                changes: str = "") -> Path:
    folder = root / "terms"
    folder.mkdir(parents=True, exist_ok=True)
    extra = f'changes = "{changes}"\n' if changes else ""
    path = folder / f"{version}.md"
    path.write_text(f'+++\ntitle = "{title}"\neffective = {effective.isoformat()}\n{extra}'
                    f"+++\n{body}", encoding="utf-8")
    if ja is not None:
        (folder / f"{version}.ja.md").write_text(
            f'+++\ntitle = "パートナープログラム規約"\n+++\n{ja}', encoding="utf-8")
    return path


def sync_terms(root: Path) -> SyncReport:
    """Import `root/terms/` as `lms content sync` would; committed."""
    terms = load_terms(root)
    assert not terms.problems, terms.problems
    report = SyncReport()
    service.sync_terms(terms, report)
    db.session.commit()
    return report


def publish(root: Path, version: str, effective: date, body: str = "You agree.\n", **kw
            ) -> SyncReport:
    write_terms(root, version, effective, body, **kw)
    return sync_terms(root)


def accept_all(org: Organization, by: User | None = None) -> None:
    """The company accepts every version it is asked to (rows, committed)."""
    for info in service.to_accept():
        db.session.add(TermsAcceptance(
            organization_id=org.id, version_id=info.id, user_id=by.id if by else None,
            accepted_name=by.name if by else "Test", accepted_email=by.email if by else "t@t",
            accepted_at=utcnow(), ip_address="192.0.2.1", user_agent="test", locale="en",
            digest=info.digest))
    db.session.commit()
