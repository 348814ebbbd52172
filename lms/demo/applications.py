"""Demo partner applications: two waiting for the channel team (a Japanese integrator with its
corporate number, a Singapore software house without one), one declined with its reason, and
Kumo Works' own, approved a month ago, which created the company the demo shows."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lms.applications.rules import check_digit
from lms.demo.dates import morning
from lms.demo.people import MANAGER_EMAIL, person
from lms.extensions import db
from lms.models import ApplicationStatus, Organization, PartnerApplication, PartnerType


def _corporate_number(base: str) -> str:
    return f"{check_digit(base)}{base}"


def seed_applications(today: date) -> int:
    """The demo applications (once: skipped when any application exists)."""
    if db.session.scalar(select(PartnerApplication.id).limit(1)) is not None:
        return 0
    manager = person(MANAGER_EMAIL)
    manager_id = manager.id if manager else None
    kumo = db.session.scalar(select(Organization).where(Organization.slug == "kumo-works"))
    rows = [
        PartnerApplication(
            company_name="Shirakawa Cloud Integration K.K.",
            corporate_number=_corporate_number("120001234567"),
            contact_name="白川 直樹", contact_email="n.shirakawa@shirakawa-cloud.example",
            contact_phone="06-4560-1200", partner_type=PartnerType.RESALE, region="kansai",
            products="Salesforce と kintone の導入支援、関西の中堅製造業向けに年間40件ほど。"
                     "CRM の乗り換え案件が増えており、Nimbus CRM を提案に加えたい。",
            message="来月の展示会で Nimbus CRM のデモを行いたいので、早めのご検討をお願いします。",
            locale="ja", created_at=morning(today - timedelta(days=2))),
        PartnerApplication(
            company_name="Lumen Analytics Pte. Ltd.", corporate_number=None,
            contact_name="Priya Raman", contact_email="priya@lumen-analytics.example",
            contact_phone="+65 6800 1234", partner_type=PartnerType.OEM, region="asia-pacific",
            products="A revenue forecasting product for B2B sales teams (120 customers in "
                     "Singapore and Australia). We would embed Nimbus CRM's pipeline data.",
            message="We opened a Tokyo office in October and have two Japanese customers.",
            locale="en", created_at=morning(today - timedelta(days=5))),
        PartnerApplication(
            company_name="Quick Leads Marketing", corporate_number=_corporate_number(
                "011001099999"),
            contact_name="Kenji Arai", contact_email="arai@quickleads.example",
            partner_type=PartnerType.REFERRAL, region="nationwide",
            products="Lead lists and cold-calling campaigns for software vendors.",
            locale="en", status=ApplicationStatus.DECLINED,
            decline_reason="The program works with companies that sell to and support their "
                           "own customers; lead-generation agencies are outside it. Our "
                           "marketing team may still be interested: marketing@nimbus.example.",
            decided_by_id=manager_id, decided_at=morning(today - timedelta(days=16)),
            created_at=morning(today - timedelta(days=20))),
    ]
    if kumo is not None:
        rows.append(PartnerApplication(
            company_name=kumo.name, corporate_number=_corporate_number("010401234560"),
            contact_name="Kumo Works partner admin", contact_email="admin@kumo-works.demo.test",
            partner_type=kumo.partner_type, region="kanto",
            products="Small-business IT support in Tokyo; we resell Microsoft 365 today.",
            locale="en", status=ApplicationStatus.APPROVED, organization_id=kumo.id,
            decided_by_id=manager_id, decided_at=morning(kumo.signed_on),
            created_at=morning(kumo.signed_on - timedelta(days=6))))
    db.session.add_all(rows)
    db.session.flush()
    return len(rows)
