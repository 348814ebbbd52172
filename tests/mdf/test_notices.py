"""Who hears of MDF steps: managers of what they decide, the requester and the partner
admins of decisions, partner admins once per period of funds about to expire."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lms.extensions import db
from lms.mdf import notices, service
from lms.mdf.service import ClaimData
from lms.models import Notification, Role, Tier
from lms.notifications.service import message_of
from tests.factories import make_org, make_user
from tests.factories.assets import PDF, upload
from tests.mdf.test_service import TODAY, data


def kinds_of(user) -> list[tuple[str, str]]:
    return [(n.kind, n.params.get("status", "")) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]


def test_each_step_reaches_whoever_acts_next_and_nobody_else(app):
    org = make_org(tier=Tier.GOLD)
    requester = make_user(Role.PARTNER_ADMIN, org)
    colleague = make_user(Role.PARTNER_ADMIN, org)
    member = make_user(Role.MEMBER, org)
    stranger = make_user(Role.PARTNER_ADMIN, make_org(tier=Tier.GOLD))
    manager = make_user(Role.MANAGER)
    request = service.submit(org, requester, data(300_000), today=TODAY)
    db.session.commit()
    assert kinds_of(manager) == [("mdf_to_decide", "submitted")]
    assert kinds_of(requester) == []
    service.decide(request, manager, 200_000, "Catering is not funded.")
    service.claim(request, requester, ClaimData(250_000, 200_000, 12, ""),
                  [upload(PDF, "invoice.pdf")], today=TODAY + timedelta(days=30))
    service.decide_claim(request, manager, None, "The invoice is for another event.")
    db.session.commit()
    assert kinds_of(manager) == [("mdf_to_decide", "submitted"), ("mdf_to_decide", "claimed")]
    expected = [("mdf_decided", "approved"), ("mdf_decided", "returned")]
    assert kinds_of(requester) == kinds_of(colleague) == expected
    assert kinds_of(member) == kinds_of(stranger) == []
    returned = db.session.scalars(select(Notification).where(
        Notification.user_id == colleague.id).order_by(Notification.id.desc())).first()
    message = message_of(returned, "en")
    assert "The invoice is for another event." in message.body
    assert message.path == f"/mdf/requests/{request.id}"


def test_partners_with_unused_funds_are_warned_once_in_the_last_two_weeks(app):
    unused = make_org(tier=Tier.GOLD)
    unused_admin = make_user(Role.PARTNER_ADMIN, unused)
    spent = make_org(tier=Tier.SILVER)
    spent_admin = make_user(Role.PARTNER_ADMIN, spent)
    bronze_admin = make_user(Role.PARTNER_ADMIN, make_org(tier=Tier.BRONZE))
    service.submit(spent, spent_admin, data(500_000), today=TODAY)  # all of Silver's
    db.session.commit()
    early, late = date(2026, 6, 16), date(2026, 6, 17)  # 15 and 14 days before July
    assert notices.warn_expiring(early) == 0
    assert notices.warn_expiring(late) == 1
    assert notices.warn_expiring(late + timedelta(days=3)) == 0  # once per period
    db.session.commit()
    assert kinds_of(unused_admin) == [("mdf_expiring", "")]
    assert kinds_of(spent_admin) == kinds_of(bronze_admin) == []
    (warning,) = db.session.scalars(select(Notification).where(
        Notification.user_id == unused_admin.id))
    assert warning.params["amount"] == 1_500_000
    assert "1,500,000 JPY" in message_of(warning, "en").body


def test_a_requester_who_moved_to_another_company_is_not_told(app):
    org, elsewhere = make_org(tier=Tier.GOLD), make_org(tier=Tier.GOLD)
    requester = make_user(Role.PARTNER_ADMIN, org)
    manager = make_user(Role.MANAGER)
    request = service.submit(org, requester, data(300_000), today=TODAY)
    requester.organization_id = elsewhere.id
    db.session.commit()
    service.decide(request, manager, None, "Not in the plan.")
    db.session.commit()
    assert kinds_of(requester) == []
