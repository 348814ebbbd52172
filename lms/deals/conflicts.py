"""Conflicts: an open deal of another partner for the same customer, registered first in the
90 days before, owns the customer; a later registration is flagged for review."""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, text

from lms.deals.rules import CHUNK, OPEN_STATUSES
from lms.extensions import db
from lms.models import Deal

# A registration conflicts with open deals of other partners registered this long before it.
CONFLICT_WINDOW = timedelta(days=90)


class ConflictIndex:
    """Open deals by customer key, loaded once for the keys at hand; new deals join it, so
    an import finds conflicts among its own rows too."""

    def __init__(self) -> None:
        self._by_key: dict[str, list[Deal]] = defaultdict(list)
        self._order: dict[int, int] = {}

    @classmethod
    def load(cls, keys: Iterable[str]) -> ConflictIndex:
        index = cls()
        keys = sorted(set(keys))
        for start in range(0, len(keys), CHUNK):
            for deal in db.session.scalars(select(Deal).where(
                    Deal.customer_key.in_(keys[start:start + CHUNK]),
                    Deal.status.in_(OPEN_STATUSES))):
                index.add(deal)
        return index

    def add(self, deal: Deal) -> None:
        if deal not in self._by_key[deal.customer_key]:
            self._by_key[deal.customer_key].append(deal)

    def _rank(self, deal: Deal) -> tuple[datetime, int]:
        # Deals not flushed yet have no id: they come after stored ones, in the order seen.
        if deal.id is not None:
            return deal.registered_at, deal.id
        return deal.registered_at, 2**62 + self._order.setdefault(id(deal), len(self._order))

    def first_for(self, deal: Deal, claimed_at: datetime | None = None) -> Deal | None:
        """The earliest open deal of another company for the same customer, registered in
        the 90 days before `deal` (or before `claimed_at`, when an existing deal is moved
        to this customer): the registration that owns the customer."""
        if claimed_at is not None:  # a rename claims the customer now, not at registration
            rank = (claimed_at, 2**63)
            oldest = claimed_at - CONFLICT_WINDOW
        else:
            rank = self._rank(deal)
            oldest = deal.registered_at - CONFLICT_WINDOW
        candidates = [
            other for other in self._by_key.get(deal.customer_key, ())
            if other is not deal and other.organization_id != deal.organization_id
            and other.status.is_open and other.customer_key == deal.customer_key
            and other.registered_at >= oldest and self._rank(other) < rank
        ]
        return min(candidates, key=self._rank, default=None)


def set_conflict(deal: Deal, other: Deal | None) -> None:
    """Flag `deal` as conflicting with `other` (None: clear the flag)."""
    if other is None:
        deal.conflict_with_id = None
    elif other.id is not None:
        deal.conflict_with_id = other.id
    else:
        deal.conflict_with = other  # both new: the flush orders the inserts


def lock_customer(key: str) -> None:
    """PostgreSQL: registrations of one customer take turns, so two partners registering it
    at once cannot both miss each other (SQLite's BEGIN IMMEDIATE already serialises)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": zlib.crc32(key.encode())})
