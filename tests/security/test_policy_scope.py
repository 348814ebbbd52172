"""lms.policy.own_or_company: what people ask of the vendor for their company (knowledge base
questions, demo environments) is seen by its asker, the company's partner admins and the
channel team, and by nobody else."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.models import KbQuestion, Role, User
from lms.policy import own_or_company
from tests.factories import make_org, make_user


def _seen_by(viewer) -> set[str]:
    stmt = own_or_company(select(KbQuestion.subject), KbQuestion.organization_id,
                          KbQuestion.asked_by_id, viewer)
    return set(db.session.scalars(stmt))


def test_asker_company_admin_and_vendor_see_it_nobody_else(app):
    alpha, beta = make_org(name="Alpha"), make_org(name="Beta")
    asker = make_user(Role.MEMBER, alpha)
    colleague = make_user(Role.MEMBER, alpha)
    admin = make_user(Role.PARTNER_ADMIN, alpha)
    other_admin = make_user(Role.PARTNER_ADMIN, beta)
    other = make_user(Role.MEMBER, beta)
    manager, administrator = make_user(Role.MANAGER), make_user(Role.ADMIN)
    db.session.add_all([
        KbQuestion(organization=alpha, asked_by=asker, subject="asker's"),
        KbQuestion(organization=alpha, asked_by=admin, subject="admin's"),
        KbQuestion(organization=alpha, asked_by=None, subject="a former colleague's"),
        KbQuestion(organization=beta, asked_by=other, subject="beta's"),
    ])
    db.session.commit()

    everything = {"asker's", "admin's", "a former colleague's", "beta's"}
    assert _seen_by(asker) == {"asker's"}
    assert _seen_by(colleague) == set()
    assert _seen_by(admin) == {"asker's", "admin's", "a former colleague's"}
    assert _seen_by(other_admin) == {"beta's"}
    assert _seen_by(other) == {"beta's"}
    assert _seen_by(manager) == _seen_by(administrator) == everything


def test_a_partner_person_without_a_company_sees_nothing(app):
    alpha = make_org()
    asker = make_user(Role.MEMBER, alpha)
    db.session.add(KbQuestion(organization=alpha, asked_by=asker, subject="asked"))
    db.session.commit()
    # The database refuses a partner role without a company; a person object that says so
    # anyway (made in code) is given no scope rather than everyone's.
    stray = User(id=asker.id, email="stray@example.test", name="Stray", role=Role.MEMBER,
                 organization_id=None)
    assert _seen_by(stray) == set()
