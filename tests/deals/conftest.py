"""Shared set-up of the deal tests: two partner companies, their people, vendor staff."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from lms.models import JobFunction, Organization, Role, User
from tests.factories import login, make_org, make_user


@dataclass
class People:
    alpha: Organization
    beta: Organization
    alpha_sales: User
    alpha_admin: User
    alpha_engineer: User
    beta_sales: User
    manager: User
    admin: User


@pytest.fixture
def people(app) -> People:
    alpha = make_org("alpha", name="Alpha Systems K.K.")
    beta = make_org("beta", name="Beta Solutions Inc.")
    return People(
        alpha=alpha, beta=beta,
        alpha_sales=make_user(Role.MEMBER, alpha, name="Aiko Sales", job=JobFunction.SALES),
        alpha_admin=make_user(Role.PARTNER_ADMIN, alpha, name="Akira Admin"),
        alpha_engineer=make_user(Role.MEMBER, alpha, name="Ami Engineer",
                                 job=JobFunction.TECHNICAL),
        beta_sales=make_user(Role.MEMBER, beta, name="Ben Sales", job=JobFunction.SALES),
        manager=make_user(Role.MANAGER, name="Mariko Manager"),
        admin=make_user(Role.ADMIN, name="Ada Admin"),
    )


@pytest.fixture
def client_for(app):
    """A signed-in client per person: `client_for(user)`."""

    def make(user: User):
        client = app.test_client()
        response = login(client, user)
        assert response.status_code == 302, f"{user.email} could not sign in"
        return client

    return make
