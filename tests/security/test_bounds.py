"""Numbers from the address bar never reach the database unchecked: an id beyond what an
INTEGER column holds (32-bit on PostgreSQL) is "not found", and a huge ?page, ?org or
?version is clamped or refused, on every route, never a 500 (CI runs this on PostgreSQL)."""

from __future__ import annotations

import pytest

from lms import BoundedIntConverter
from lms.formutil import MAX_ID, parse_id
from tests.factories import signed_in
from tests.factories.content import sync_content

TOO_LARGE = (2**31, 2**63 - 1, 2**63, 10**30)


def _paths_with_ids(app, value: int) -> list[tuple[str, str]]:
    """(method, path) of every route with an <int:...> part, that part set to `value`."""
    found = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # werkzeug keeps them private; read-only use
        if not any(isinstance(c, BoundedIntConverter) for c in converters.values()):
            continue
        values = {name: value if isinstance(c, BoundedIntConverter) else "x"
                  for name, c in converters.items()}
        _domain, path = rule.build(values, append_unknown=False)
        found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize("value", TOO_LARGE)
def test_ids_beyond_an_integer_column_are_not_found_everywhere(app500, people, value):
    client = signed_in(app500, people.admin, through_form=False)
    paths = _paths_with_ids(app500, value)
    assert len(paths) > 10  # deals, attempts, users, organizations, tier versions, ...
    for method, path in paths:
        response = client.open(path, method=method)
        assert response.status_code == 404, f"{method} {path} -> {response.status_code}"


def test_the_largest_id_a_column_holds_is_still_a_plain_not_found(app500, people):
    client = signed_in(app500, people.admin, through_form=False)
    for method, path in _paths_with_ids(app500, MAX_ID):
        response = client.open(path, method=method)
        assert response.status_code < 500, f"{method} {path} -> {response.status_code}"


@pytest.mark.parametrize("query", [
    "page=99999999999999999999", "page=-5", "page=x", "page=２",
    "org=99999999999999999999", "org=²", "org=-1", "version=99999999999999999999",
    "version=²", "page=1000000&org=3000000000",
])
def test_huge_or_odd_numbers_in_query_strings_never_fail(app500, people, query):
    sync_content()
    client = signed_in(app500, people.admin, through_form=False)
    for path in ("/admin/users", "/admin/organizations", "/admin/credentials", "/admin/audit",
                 "/admin/quizzes/security-check", "/deals", "/assets", "/reports/kpis"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 404), f"{path}?{query} -> {response.status_code}"


def test_a_version_that_cannot_exist_is_not_found(app500, people):
    sync_content()
    client = signed_in(app500, people.admin, through_form=False)
    assert client.get("/admin/quizzes/security-check").status_code == 200
    assert client.get("/admin/quizzes/security-check?version=1").status_code == 200
    assert client.get("/admin/quizzes/security-check?version=3000000000").status_code == 404


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 7 ", 7), ("0", None), ("-3", None), ("²", None), ("１２", None),
    (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None), ("", None), (None, None), ("1e3", None),
])
def test_parse_id(text, expected):
    assert parse_id(text) == expected
