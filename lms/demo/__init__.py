"""The demo program behind `lms demo`: believable partners and people, created once.

Each step creates only what is missing, so a second run changes nothing:
people.py (partners and people), learning.py (progress, attempts, credentials), tiers.py
(deals, certified staff, tier history), assets.py (the sales-asset library, files from
files.py), activity.py (signing dates, lost deals, when people were last seen) and
integrations.py (the admin's API tokens) and inbox.py (what notifications said).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lms.clock import program_today, utcnow
from lms.credentials.service import award_all
from lms.demo.activity import seed_activity
from lms.demo.applications import seed_applications
from lms.demo.assets import seed_assets
from lms.demo.dates import morning
from lms.demo.environments import seed_environments
from lms.demo.inbox import seed_inbox
from lms.demo.integrations import seed_api_tokens, seed_webhooks
from lms.demo.kb import seed_kb
from lms.demo.learning import seed_attempts, seed_credential_states, seed_progress
from lms.demo.mdf import seed_mdf
from lms.demo.people import ADMIN_EMAIL, DEMO_PASSWORD, MANAGER_EMAIL, person, seed_people
from lms.demo.spif import seed_spif
from lms.demo.terms import seed_terms
from lms.demo.tiers import seed_manual_requirement, seed_tier_story

__all__ = ["DEMO_PASSWORD", "DemoReport", "load_demo"]


@dataclass
class DemoReport:
    created: int = 0  # partner companies and people
    existing: int = 0
    progress_created: int = 0
    attempts_created: int = 0
    deals_created: int = 0
    assets_created: bool = False
    logins: list[tuple[str, str]] = field(default_factory=list)


def load_demo(today: date | None = None) -> DemoReport:
    """Create whatever of the demo program is missing; never duplicates, never overwrites.
    Flushes; the caller commits."""
    today = today or program_today()
    people = seed_people(today)
    report = DemoReport(created=people.created, existing=people.existing,
                        logins=people.logins)
    report.progress_created = seed_progress(today)
    report.attempts_created = seed_attempts(today)
    award_all()
    seed_credential_states(today)
    report.deals_created, staff = seed_tier_story(today)
    seed_manual_requirement(today)
    report.created += staff
    report.assets_created = seed_assets(morning(today), person(MANAGER_EMAIL))
    report.deals_created += seed_activity(today)
    seed_mdf(today)
    seed_spif(today)
    seed_applications(today)
    seed_terms(today)
    seed_kb(today)
    seed_environments(today)
    seed_api_tokens(morning(today), person(ADMIN_EMAIL))
    latest = min(morning(today), utcnow())  # never a notice or delivery from the future
    seed_webhooks(latest, person(ADMIN_EMAIL))
    seed_inbox(latest)
    report.logins.append(("<role>@<partner-slug>.demo.test",
                          "admin / sales / engineer at every other demo partner"))
    return report
