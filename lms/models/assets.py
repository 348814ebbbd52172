"""The sales-asset library: assets, their file versions, and every download."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.models.base import Base, str_enum
from lms.models.courses import Audience
from lms.models.organizations import Tier


class AssetCategory(enum.StrEnum):
    BROCHURE = "brochure"
    PROPOSAL_TEMPLATE = "proposal_template"
    CASE_STUDY = "case_study"
    BATTLECARD = "battlecard"
    PRICE_LIST = "price_list"
    DEMO_GUIDE = "demo_guide"
    VIDEO = "video"
    OTHER = "other"


class Asset(Base):
    """One piece of sales material; its file is the latest of its versions."""

    __tablename__ = "assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[AssetCategory] = mapped_column(
        str_enum(AssetCategory, "asset_category", length=30))
    # Normalized tags, comma separated with a comma at each end (",pricing,smb,"), so one
    # tag matches with LIKE '%,tag,%'.
    tags: Mapped[str] = mapped_column(String(1000), default="")
    audience: Mapped[Audience] = mapped_column(str_enum(Audience, "audience"),
                                               default=Audience.ALL)
    language: Mapped[str] = mapped_column(String(10), default="en")
    min_tier: Mapped[Tier] = mapped_column(str_enum(Tier, "tier"), default=Tier.BRONZE)
    # NFKC + case-folded title, description and tags: what the library search looks in.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The newest version's number: the library always serves that one.
    current_version: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                 ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    archived_at: Mapped[datetime | None]

    versions: Mapped[list[AssetVersion]] = relationship(
        back_populates="asset", order_by="AssetVersion.number.desc()", lazy="raise_on_sql")

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    def __repr__(self) -> str:
        return f"<Asset {self.slug}>"


class AssetVersion(Base):
    """One uploaded file of an asset. The file is stored by the SHA-256 of its bytes."""

    __tablename__ = "asset_versions"
    __table_args__ = (UniqueConstraint("asset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"),
                                          index=True)
    number: Mapped[int]
    # The name people see and download under (sanitized); never used on disk.
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    change_note: Mapped[str] = mapped_column(Text, default="")
    # Set when this version re-publishes the file of an older one.
    restored_from: Mapped[int | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    asset: Mapped[Asset] = relationship(back_populates="versions", lazy="raise_on_sql")


class AssetDownload(Base):
    """Who downloaded which version, for which company, and when."""

    __tablename__ = "asset_downloads"
    __table_args__ = (
        Index("ix_asset_downloads_asset_id_at", "asset_id", "at"),
        Index("ix_asset_downloads_organization_id_asset_id", "organization_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("assets.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("asset_versions.id",
                                                       ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The downloader's company at the time (None for vendor staff).
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
