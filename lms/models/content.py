"""The version of the authored content, for the workers' in-memory copies of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.models.base import Base

# The one row's id: there is a single content version for the whole portal.
CONTENT_VERSION_ID = 1


class ContentVersion(Base):
    """One row whose token changes in every transaction that changes authored content
    (courses, lessons, paths, quizzes, credentials, the tier program): lms.content_cache
    compares it with the token of the copy a worker holds. No row yet reads as "".

    A random token, not a counter: a rolled-back change can never hand its number to the
    next one, so a copy built from uncommitted content never matches committed content.
    """

    __tablename__ = "content_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
