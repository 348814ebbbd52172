"""What events say about things: the JSON shapes webhooks carry (lms.events.publish).

Stable identifiers (ids, slugs, emails, verification codes) and ISO 8601 times in UTC, so a
receiving system can match them with the portal's API; display names are there for people
reading a log. The README lists each event with these shapes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app

from lms.extensions import db
from lms.models import Award, Deal, DealStatus, Organization, User


def moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def person_data(user: User | None) -> dict | None:
    if user is None:
        return None
    return {"id": user.id, "email": user.email, "name": user.name,
            "job_function": user.job_function.value if user.job_function else None}


def organization_data(organization: Organization | None) -> dict | None:
    if organization is None:
        return None
    return {"id": organization.id, "slug": organization.slug, "name": organization.name,
            "tier": organization.tier.value}


def award_data(award: Award) -> dict:
    holder = award.user
    return {
        "award_id": award.id, "credential": award.credential.slug,
        "credential_name": award.credential.name, "kind": award.credential.kind.value,
        "period": award.period, "issued_at": moment(award.issued_at),
        "expires_at": moment(award.expires_at),
        "verify_url": f"{current_app.config['LMS_BASE_URL']}/verify/{award.verification_code}",
        "holder": person_data(holder), "organization": organization_data(holder.organization)}


def deal_data(deal: Deal) -> dict:
    return {
        "deal_id": deal.id, "external_id": deal.external_id,
        "customer": deal.customer_name, "product": deal.product, "amount": deal.amount,
        "currency": deal.currency, "status": deal.status.value,
        "conflict_with": deal.conflict_with_id,
        "rejection_reason": deal.rejection_reason if deal.status == DealStatus.REJECTED
        else None,
        "registered_at": moment(deal.registered_at),
        "organization": organization_data(db.session.get(Organization, deal.organization_id)),
        "registered_by": person_data(db.session.get(User, deal.registered_by_id)
                                     if deal.registered_by_id else None)}
