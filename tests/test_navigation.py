"""The navigation shows each role only what it may open."""

import pytest
from markupsafe import escape

from lms.extensions import db
from lms.models import Role
from lms.navigation import navigation_for
from tests.factories import login, make_user, signed_in


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
        assert str(escape(str(item.label))) in html  # "Quizzes &amp; exams"


def test_signed_out_visitors_get_no_navigation():
    assert navigation_for(None) == []


def _path(client, endpoint: str) -> str:
    from flask import url_for

    with client.application.test_request_context():
        return url_for(endpoint)


def test_administration_page_lists_every_admin_tool_and_each_opens(client):
    from lms.navigation import ADMINISTRATION

    login(client, make_user(Role.ADMIN))
    html = client.get("/admin/").get_data(as_text=True)
    for item in ADMINISTRATION:
        assert str(escape(str(item.label))) in html  # "Quizzes &amp; exams"
        assert client.get(_path(client, item.endpoint)).status_code == 200, item.endpoint


@pytest.mark.parametrize("role", [Role.MEMBER, Role.PARTNER_ADMIN, Role.MANAGER])
def test_administration_page_is_for_admins_only(client, role):
    login(client, make_user(role))
    assert client.get("/admin/").status_code == 403


def test_each_reader_gets_the_menu_of_their_role_in_their_language(app):
    """The menus are translated once per language and role: never another's."""
    manager = make_user(Role.MANAGER)
    english, japanese = make_user(Role.MEMBER), make_user(Role.MEMBER)
    japanese.locale = "ja"
    db.session.commit()
    assert "Tier report" in signed_in(app, manager).get("/").get_data(as_text=True)
    page = signed_in(app, english).get("/").get_data(as_text=True)
    assert "Our tier" in page and "Tier report" not in page
    page = signed_in(app, japanese).get("/").get_data(as_text=True)
    assert "自社のティア" in page and "Our tier" not in page
    page = signed_in(app, english).get("/").get_data(as_text=True)
    assert "Our tier" in page and "自社のティア" not in page
