"""Links kept per worker (lms.urls): the same links as Flask builds, wherever it is mounted."""

from __future__ import annotations

import pytest
from flask import Flask, url_for

from lms.extensions import db
from lms.models import Role
from tests.factories import login, make_user

CALLS = [
    ("main.home", {}),
    ("static", {"filename": "css/app.css"}),
    ("courses.catalog", {}),
    ("courses.catalog", {"q": "a b&c", "page": 2}),
    ("courses.catalog", {"page": "2"}),
    ("courses.catalog", {"page": True}),
    ("courses.catalog", {"page": 1}),
    ("credentials.verify", {"code": "abc/def"}),
]


def _links(app) -> list[str]:
    return [url_for(endpoint, **values) for endpoint, values in CALLS]


def test_links_are_flasks_links_and_kept(app):
    with app.test_request_context("/"):
        first = _links(app)
        assert first == [Flask.url_for(app, e, **v) for e, v in CALLS]
        assert app._links  # kept
        assert _links(app) == first
    assert first[3] == "/courses?q=a+b%26c&page=2"
    assert first[4] == "/courses?page=2"
    assert first[5] == "/courses?page=True"  # True and 1 hash alike; kept apart by type


def test_a_portal_mounted_under_a_prefix_gets_prefixed_links(app):
    with app.test_request_context("/"):
        plain = _links(app)
    with app.test_request_context("/", base_url="http://localhost/academy"):
        mounted = _links(app)
    assert mounted == ["/academy" + link for link in plain]
    with app.test_request_context("/"):
        assert _links(app) == plain


def test_anchors_schemes_and_external_links_are_flasks(app):
    with app.test_request_context("/", base_url="https://portal.example"):
        url_for("main.home")
        assert url_for("main.home", _anchor="top") == "/#top"
        assert url_for("main.home", _external=True) == "https://portal.example/"
        assert url_for("main.home", _external=True, _scheme="http") == "http://portal.example/"
        assert url_for("courses.catalog", tag=["a", "b"]) == "/courses?tag=a&tag=b"


def test_a_link_that_does_not_build_fails_as_in_flask(app):
    from werkzeug.routing import BuildError

    with app.test_request_context("/"):
        with pytest.raises(BuildError):
            url_for("credentials.verify")
        with pytest.raises(BuildError):
            url_for("no.such_endpoint")


def test_the_memo_is_bounded(app, monkeypatch):
    monkeypatch.setattr("lms.urls.MAX_KEPT", 5)
    with app.test_request_context("/"):
        for n in range(1, 40):
            assert url_for("credentials.verify", code=f"c{n}") == f"/verify/c{n}"
        assert len(app._links) <= 5


def test_pages_link_as_before(client, app):
    user = make_user(Role.MEMBER)
    db.session.commit()
    login(client, user)
    for _ in range(2):  # built, then kept
        html = client.get("/courses").get_data(as_text=True)
        assert 'href="/static/css/app.css"' in html
        assert 'href="/courses"' in html


def test_links_are_not_kept_once_url_defaults_exist(app):
    app._links.clear()
    app.url_default_functions[None].append(lambda endpoint, values: values.setdefault("x", "1")
                                           if endpoint == "main.home" else None)
    with app.test_request_context("/"):
        assert url_for("main.home") == "/?x=1"
        assert not app._links
