"""The partner program's terms: versions authored in content/terms/, and each company's
acceptance of a version (by its partner admin, who accepts for the whole company).

A version's text never changes once a company has accepted it (`lms content sync` refuses):
what a company accepted can always be shown as it was. A change is a new version, which every
company accepts again.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base
from lms.models.organizations import Organization
from lms.models.users import User


class TermsVersion(Base):
    __tablename__ = "terms_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The file's name without ".md": "2026-12" for content/terms/2026-12.md.
    version: Mapped[str] = mapped_column(String(60), unique=True)
    # In force from this day (program time zone) until a later version's day.
    effective_on: Mapped[date]
    # Per language ("en", "ja"); the original's language under "en" when it has no other.
    titles: Mapped[dict] = mapped_column(JSON, default=dict)
    bodies: Mapped[dict] = mapped_column(JSON, default=dict)  # Markdown
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # what changed, a paragraph
    # sha256 of every language's title and body together: what a company accepted.
    digest: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(300), default="")  # the file, for messages
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    archived_at: Mapped[datetime | None]  # its file left content/terms/


class TermsAcceptance(Base):
    __tablename__ = "terms_acceptances"
    __table_args__ = (UniqueConstraint("organization_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"))  # the unique key's first column
    version_id: Mapped[int] = mapped_column(ForeignKey("terms_versions.id"), index=True)
    # Who, kept as written even if the account is removed later.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_name: Mapped[str] = mapped_column(String(200))  # as User.name
    accepted_email: Mapped[str] = mapped_column(String(254))
    accepted_at: Mapped[datetime] = mapped_column(default=utcnow)
    # From where: the client's address (as the proxy configuration trusts it) and browser.
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    locale: Mapped[str] = mapped_column(String(10))  # the language the text was read in
    digest: Mapped[str] = mapped_column(String(64))  # the version's digest when accepted

    organization: Mapped[Organization] = relationship(lazy="raise_on_sql")
    version: Mapped[TermsVersion] = relationship(lazy="raise_on_sql")
    user: Mapped[User | None] = relationship(lazy="raise_on_sql")
