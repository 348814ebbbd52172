"""Reading deals: the filtered list, one deal's page, and the CSV download."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from lms.clock import local_date
from lms.deals.customers import customer_key
from lms.deals.permissions import allowed_actions, can_edit
from lms.extensions import db
from lms.models import Deal, DealEvent, DealStatus, Organization, User
from lms.policy import scope


@dataclass(frozen=True)
class DealFilters:
    """The list's filters; partners get status and search, vendor staff all of them."""

    status: DealStatus | None = None
    partner: str = ""
    conflicts_only: bool = False
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str], viewer: User) -> DealFilters:
        status = args.get("status", "")
        vendor = viewer.is_vendor
        return cls(
            status=DealStatus(status) if status in DealStatus._value2member_map_ else None,
            partner=args.get("partner", "").strip().lower()[:80] if vendor else "",
            conflicts_only=vendor and args.get("conflicts") in {"1", "on", "y"},
            q=args.get("q", "").strip()[:100],
        )

    def as_args(self) -> dict[str, str]:
        """The filters set, as query-string values (pager links, CSV link)."""
        args = {"status": self.status.value if self.status else "", "partner": self.partner,
                "conflicts": "1" if self.conflicts_only else "", "q": self.q}
        return {name: value for name, value in args.items() if value}


def deals_query(viewer: User, filters: DealFilters) -> Select:
    """The deals `viewer` may see, filtered, newest first, with what the list shows."""
    stmt = select(Deal).options(joinedload(Deal.organization), joinedload(Deal.registered_by))
    if viewer.is_vendor:
        stmt = stmt.options(joinedload(Deal.conflict_with).joinedload(Deal.organization))
    stmt = scope(stmt, Deal.organization_id, viewer)
    if filters.status is not None:
        stmt = stmt.where(Deal.status == filters.status)
    if filters.partner:
        stmt = stmt.where(Deal.organization.has(Organization.slug == filters.partner))
    if filters.conflicts_only:
        stmt = stmt.where(Deal.conflict_with_id.is_not(None))
    if filters.q:
        key = customer_key(filters.q)
        stmt = stmt.where(Deal.customer_key.contains(key, autoescape=True)
                          | Deal.customer_name.icontains(filters.q, autoescape=True)
                          | Deal.external_id.icontains(filters.q, autoescape=True))
    return stmt.order_by(Deal.registered_at.desc(), Deal.id.desc())


def partner_options() -> list[tuple[str, str]]:
    """(slug, name) of every partner company, for the vendor's filter."""
    return [(slug, name) for slug, name in db.session.execute(
        select(Organization.slug, Organization.name).order_by(Organization.name))]


@dataclass
class DealPage:
    deal: Deal
    events: list[DealEvent]
    can_edit: bool
    actions: list[str]
    # The flag as this viewer may see it: vendor staff the other deal, partners only a notice.
    conflict: Deal | None
    under_review: bool


def deal_page(deal: Deal, viewer: User) -> DealPage:
    """One deal with its people, its conflict and its history, in two queries."""
    options = [joinedload(Deal.organization), joinedload(Deal.registered_by)]
    if viewer.is_vendor:
        options.append(joinedload(Deal.conflict_with).joinedload(Deal.organization))
    deal = db.session.scalars(select(Deal).options(*options).where(Deal.id == deal.id)
                              .execution_options(populate_existing=True)).one()
    events = list(db.session.scalars(
        select(DealEvent).options(joinedload(DealEvent.actor)).where(DealEvent.deal_id == deal.id)
        .order_by(DealEvent.at, DealEvent.id)))
    flagged = deal.conflict_with_id is not None
    return DealPage(
        deal=deal, events=events, can_edit=can_edit(viewer, deal),
        actions=allowed_actions(viewer, deal),
        conflict=deal.conflict_with if flagged and viewer.is_vendor else None,
        under_review=flagged and not viewer.is_vendor,
    )


EXPORT_COLUMNS = ("id", "external_id", "partner", "partner_name", "customer", "amount",
                  "currency", "product", "description", "expected_close", "status",
                  "registered_on", "registered_by", "approved_on", "rejected_on", "closed_on",
                  "expired_on", "rejection_reason")


def export_rows(viewer: User, filters: DealFilters) -> tuple[list[str], Iterable[list]]:
    """Header and rows of the CSV download: what the viewer may see, filtered."""
    header = list(EXPORT_COLUMNS)
    vendor = viewer.is_vendor
    header.append("conflict_with" if vendor else "under_review")

    def day(moment: datetime | None) -> str:
        return local_date(moment).isoformat() if moment else ""

    def rows() -> Iterator[list]:
        for deal in db.session.scalars(deals_query(viewer, filters)
                                       .execution_options(yield_per=1000)):
            yield [deal.id, deal.external_id or "", deal.organization.slug,
                   deal.organization.name, deal.customer_name, deal.amount, deal.currency,
                   deal.product, deal.description,
                   deal.expected_close_on.isoformat() if deal.expected_close_on else "",
                   deal.status.value, day(deal.registered_at),
                   deal.registered_by.name if deal.registered_by else "", day(deal.approved_at),
                   day(deal.rejected_at), day(deal.closed_at), day(deal.expired_at),
                   deal.rejection_reason or "",
                   (deal.conflict_with_id or "") if vendor
                   else ("yes" if deal.conflict_with_id else "")]

    return header, rows()
