"""The navigation shows each role only what it may open."""

import pytest

from lms.models import Role
from lms.navigation import navigation_for
from tests.factories import login, make_user


@pytest.mark.parametrize("role", list(Role))
def test_every_navigation_entry_opens_for_its_role(client, role):
    user = make_user(role)
    login(client, user)
    items = navigation_for(user)
    assert items, "every role has at least the home page"
    html = client.get("/").get_data(as_text=True)
    for item in items:
        response = client.get(_path(client, item.endpoint))
        assert response.status_code == 200, (role, item.endpoint)
        assert str(item.label) in html


def test_signed_out_visitors_get_no_navigation():
    assert navigation_for(None) == []


def _path(client, endpoint: str) -> str:
    from flask import url_for

    with client.application.test_request_context():
        return url_for(endpoint)
