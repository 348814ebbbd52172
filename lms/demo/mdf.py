"""Demo market development funds: last period's history at Sakura Systems (a seminar paid
and credited with deals, search ads approved in part and claimed, a trade show rejected,
what was not used expired), this period's requests (approved, waiting), an adjustment,
and a Platinum partner's paid webinar."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from lms.assets.files import store_upload
from lms.demo.assets import DemoUpload
from lms.demo.dates import morning
from lms.demo.files import pdf_document, xlsx_workbook
from lms.demo.people import MANAGER_EMAIL, partner_email, person
from lms.extensions import db
from lms.mdf import rules
from lms.models import (
    Deal,
    DealStatus,
    MdfActivityType,
    MdfAdjustment,
    MdfAllocation,
    MdfEvent,
    MdfProofFile,
    MdfRequest,
    MdfStatus,
    Organization,
    Tier,
    User,
)
from lms.tiers.service import program_in_force


@dataclass(frozen=True)
class Story:
    """One demo request: when (days from the period's start, or before today for this
    period's), what, and how far it went."""

    title: str
    kind: MdfActivityType
    start: int
    days: int
    planned: int
    requested: int
    approved: int | None = None
    decision: str = ""
    claimed: int | None = None
    actual: int | None = None
    leads: tuple[int, int | None] = (0, None)  # expected, generated
    payable: int | None = None
    reference: str | None = None
    status: MdfStatus = MdfStatus.SUBMITTED
    description: str = ""


SAKURA_LAST = (
    Story("Nimbus CRM seminar for Osaka manufacturers", MdfActivityType.EVENT, 20, 1,
          800_000, 600_000, 600_000, "", 580_000, 790_000, (40, 52), 580_000,
          "TRF-SAKURA-0917", MdfStatus.PAID,
          "Half-day seminar at the Grand Front Osaka conference rooms with a live demo of "
          "the manufacturing templates; 60 seats, invitations to our customer list."),
    Story("Search ads: Nimbus CRM for SMB", MdfActivityType.DIGITAL_ADS, 10, 45, 400_000,
          400_000, 250_000, "We fund search ads up to 250,000 a quarter; the rest is yours.",
          250_000, 310_000, (25, 18), None, None, MdfStatus.CLAIMED,
          "Six weeks of search ads on Nimbus CRM keywords, landing on our trial page."),
    Story("Booth at the Tokyo IT Week trade show", MdfActivityType.EVENT, 30, 3, 2_400_000,
          900_000, None, "Trade shows are funded centrally this year: join the Nimbus "
          "booth instead (ask your channel manager).", status=MdfStatus.REJECTED),
)
SAKURA_NOW = (
    Story("Year-end webinar series: CRM for finance teams", MdfActivityType.WEBINAR, 6, 21,
          300_000, 300_000, 300_000, status=MdfStatus.APPROVED, leads=(30, None),
          description="Three webinars in December with a Nimbus solution engineer."),
    Story("Customer case study video (Hanamaru Foods)", MdfActivityType.CONTENT, 20, 30,
          900_000, 450_000, status=MdfStatus.SUBMITTED, leads=(10, None),
          description="A three-minute video with Hanamaru Foods on their Nimbus rollout."),
)
PLATINUM_LAST = (
    Story("Nimbus partner summit webinar", MdfActivityType.WEBINAR, 15, 1, 1_200_000,
          1_200_000, 1_200_000, "", 1_150_000, 1_150_000, (120, 164), 1_150_000,
          "TRF-PLAT-0815", MdfStatus.PAID, "A live webinar for 300 registrants."),
)


def seed_mdf(today: date) -> None:
    """Create the demo funds once (nothing when any allocation exists)."""
    if db.session.scalar(select(MdfAllocation.id).limit(1)) is not None:
        return
    benefits = program_in_force().benefits
    if not benefits.of("gold").mdf:
        return
    period = rules.period_of(today, benefits.mdf_period)
    last = period.previous()
    manager = person(MANAGER_EMAIL)
    sakura = db.session.scalar(select(Organization).where(
        Organization.slug == "sakura-systems"))
    if sakura is None or manager is None:
        return
    admin = person(partner_email("admin", sakura.slug))
    allocation = _allocation(sakura, last, benefits.of(sakura.tier.value).mdf or 0)
    seminar, ads, _booth = (
        _request(sakura, allocation, story, last.start + timedelta(days=story.start), admin,
                 manager, today) for story in SAKURA_LAST)
    _credit_deals(sakura, seminar, won=2, open_=1)
    _credit_deals(sakura, ads, won=1, open_=1)
    current = _allocation(sakura, period, benefits.of(sakura.tier.value).mdf or 0)
    db.session.add(MdfAdjustment(
        allocation_id=current.id, delta=500_000, actor_id=manager.id, at=morning(
            max(period.start, today - timedelta(days=1))),
        note="Extra funds for the joint year-end campaign with the Nimbus marketing team."))
    current.amount += 500_000
    for story in SAKURA_NOW:
        _request(sakura, current, story, today + timedelta(days=story.start), admin, manager,
                 today, created=max(period.start, today - timedelta(days=3)))
    platinum = db.session.scalar(select(Organization).where(
        Organization.tier == Tier.PLATINUM, Organization.active.is_(True))
        .order_by(Organization.id).limit(1))
    if platinum is not None:
        platinum_admin = person(partner_email("admin", platinum.slug))
        allocation = _allocation(platinum, last, benefits.of("platinum").mdf or 0)
        for story in PLATINUM_LAST:
            webinar = _request(platinum, allocation, story,
                               last.start + timedelta(days=story.start), platinum_admin,
                               manager, today)
            _credit_deals(platinum, webinar, won=3, open_=2)
    db.session.flush()


def _proof(request: MdfRequest, story: Story, admin: User | None, at) -> None:
    """An invoice (PDF) and the attendee or results list (Excel), stored as uploads are."""
    invoice = pdf_document(f"Invoice: {story.title}", [
        f"# {story.title}", f"Total: {story.actual or 0:,} JPY (tax included).",
        "Paid by bank transfer. Itemised costs: venue, catering, printing, advertising."],
        subtitle="Invoice")
    results = xlsx_workbook("Results", [
        ["Company", "Contact", "Attended", "Follow-up"],
        ["Hanamaru Foods", "Sato", "yes", "Demo booked"],
        ["Kansai Precision", "Tanaka", "yes", "Proposal sent"],
        ["Umeda Logistics", "Kimura", "no", "Recording sent"]])
    for filename, data in ((f"invoice-{request.id}.pdf", invoice),
                           (f"results-{request.id}.xlsx", results)):
        stored = store_upload(DemoUpload(filename, io.BytesIO(data)))
        db.session.add(MdfProofFile(request_id=request.id, filename=stored.filename,
                                    content_type=stored.content_type, size=stored.size,
                                    sha256=stored.sha256,
                                    uploaded_by_id=admin.id if admin else None,
                                    uploaded_at=at))


def _credit_deals(org: Organization, request: MdfRequest, won: int, open_: int) -> None:
    """Credit the company's deals registered after the activity to it: won ones, open ones."""
    for status, count in ((DealStatus.WON, won), (DealStatus.REGISTERED, open_),
                          (DealStatus.APPROVED, open_)):
        if count <= 0:
            continue
        for deal in db.session.scalars(
                select(Deal).where(Deal.organization_id == org.id, Deal.status == status,
                                   Deal.mdf_request_id.is_(None),
                                   Deal.registered_at >= morning(request.starts_on))
                .order_by(Deal.registered_at.desc()).limit(count)):
            deal.mdf_request_id = request.id


def _allocation(org: Organization, period: rules.Period, amount: int) -> MdfAllocation:
    allocation = MdfAllocation(organization_id=org.id, period_kind=period.kind,
                               period_start=period.start, period_end=period.end,
                               tier=org.tier, base_amount=amount, amount=amount,
                               currency=program_in_force().currency,
                               created_at=morning(period.start))
    db.session.add(allocation)
    db.session.flush()
    return allocation


def _request(org: Organization, allocation: MdfAllocation, story: Story, starts: date,
             admin: User | None, manager: User, today: date,
             created: date | None = None) -> MdfRequest:
    created = created or max(allocation.period_start, starts - timedelta(days=12))
    ends = starts + timedelta(days=story.days - 1)
    request = MdfRequest(
        organization_id=org.id, allocation_id=allocation.id,
        requested_by_id=admin.id if admin else None, activity_type=story.kind,
        title=story.title, description=story.description, starts_on=starts, ends_on=ends,
        planned_cost=story.planned, requested_amount=story.requested,
        expected_leads=story.leads[0], actual_leads=story.leads[1], status=story.status,
        approved_amount=story.approved, decision_note=story.decision,
        actual_cost=story.actual, claimed_amount=story.claimed,
        payable_amount=story.payable, created_at=morning(created),
        updated_at=morning(min(today, ends + timedelta(days=10))))
    db.session.add(request)
    db.session.flush()
    steps: list[tuple[date, MdfStatus, User | None, int | None, str]] = [
        (created, MdfStatus.SUBMITTED, admin, story.requested, "")]
    decided = min(created + timedelta(days=2), today)  # never a decision from the future
    if story.status == MdfStatus.REJECTED:
        steps.append((decided, MdfStatus.REJECTED, manager, None, story.decision))
    if story.approved is not None:
        steps.append((decided, MdfStatus.APPROVED, manager, story.approved, story.decision))
    if story.claimed is not None:
        claimed = min(today, ends + timedelta(days=5))
        steps.append((claimed, MdfStatus.CLAIMED, admin, story.claimed, ""))
        request.claim_note = "Invoices and the attendee list attached."
        _proof(request, story, admin, morning(claimed))
    if story.payable is not None:
        paid = min(today, ends + timedelta(days=20))
        steps.append((paid - timedelta(days=6), MdfStatus.CLAIM_APPROVED, manager,
                      story.payable, ""))
        steps.append((paid, MdfStatus.PAID, manager, story.payable, story.reference or ""))
        request.paid_on, request.payment_reference = paid, story.reference
    request.updated_at = morning(steps[-1][0])
    for day, status, actor, amount, note in steps:
        db.session.add(MdfEvent(request_id=request.id, actor_id=actor.id if actor else None,
                                at=morning(day), to_status=status, amount=amount, note=note))
    return request
