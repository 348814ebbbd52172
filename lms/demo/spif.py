"""Demo SPIF campaigns: one running (a bonus per won deal with a new customer, for Silver and
Gold partners), one ended (Enterprise deals, every tier) and one coming (the Service Cloud
add-on), so the campaigns page shows each state and what partners earned."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lms.demo.dates import morning
from lms.demo.people import MANAGER_EMAIL, person
from lms.extensions import db
from lms.models import SpifCampaign, SpifRule
from lms.tiers.service import program_in_force

# (name, rule, product, bonus, first day and last day from today, tiers, description)
CAMPAIGNS: tuple[tuple[str, SpifRule, str, int, int, int, list[str], str], ...] = (
    ("New-logo bonus", SpifRule.NEW_CUSTOMER, "", 50_000, -60, 30, ["silver", "gold"],
     "JPY 50,000 for every deal won with a customer your company has never won before. "
     "Silver and Gold partners; paid with the quarter's rebate statement."),
    ("Enterprise push", SpifRule.WON_DEAL, "Enterprise", 100_000, -200, -110, [],
     "JPY 100,000 per won Nimbus CRM Enterprise deal, every tier."),
    ("Service Cloud add-on launch", SpifRule.WON_DEAL, "Service Cloud", 30_000, 14, 104, [],
     "JPY 30,000 per won deal of the Nimbus Service Cloud add-on."),
)


def seed_spif(today: date) -> int:
    """The demo campaigns (once: skipped when any campaign exists)."""
    if db.session.scalar(select(SpifCampaign.id).limit(1)) is not None:
        return 0
    manager = person(MANAGER_EMAIL)
    currency = program_in_force().currency
    for name, rule, product, bonus, first, last, tiers, description in CAMPAIGNS:
        created = min(morning(today + timedelta(days=first - 14)), morning(today))
        db.session.add(SpifCampaign(
            name=name, rule=rule, product=product, bonus=bonus, currency=currency,
            starts_on=today + timedelta(days=first), ends_on=today + timedelta(days=last),
            tiers=tiers, description=description,
            created_by_id=manager.id if manager else None, created_at=created,
            updated_at=created))
    db.session.flush()
    return len(CAMPAIGNS)
