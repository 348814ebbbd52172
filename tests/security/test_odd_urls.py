"""Odd addresses: a huge page or id, odd filters, a NUL in the path or the query. Never a 500,
and never a NUL sent to the database (PostgreSQL refuses them in text)."""

from __future__ import annotations

import pytest

from lms.models import Role
from tests.factories import make_org, make_user, signed_in
from tests.factories.assets import publish
from tests.factories.queries import DatabaseParameters
from tests.security.conftest import text_of

BIG = "99999999999999999999"  # more than a 64-bit integer

# --- Numbers too large for the database ------------------------------------------------------


@pytest.mark.parametrize("page", [BIG, "1000000000000000000"])
def test_a_huge_page_of_the_asset_library_is_not_a_500(app500, page):
    publish()
    client = signed_in(app500, make_user(Role.MEMBER))
    assert client.get(f"/assets?page={page}").status_code in (200, 404)


def test_a_huge_page_of_the_deal_list_is_not_a_500(app500):
    org = make_org()
    client = signed_in(app500, make_user(Role.MEMBER, org))
    assert client.get(f"/deals?page={BIG}").status_code in (200, 404)


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/deals/{big}"),
    ("get", "/deals/{big}/edit"),
    ("post", "/deals/{big}/status"),
    ("get", "/assets/{slug}/versions/{big}/download"),
    ("post", "/assets/{slug}/versions/{big}/restore"),
    ("get", "/admin/tiers/versions/{big}"),
    ("post", "/admin/api-tokens/{big}/revoke"),
    ("post", "/admin/api-tokens/{big}/rotate"),
    ("post", "/admin/users/{big}/reset-two-factor"),
    ("post", "/admin/users/{big}/password-reset"),
])
def test_a_huge_id_in_the_url_is_a_404(app500, method, path):
    asset = publish()
    client = signed_in(app500, make_user(Role.ADMIN))
    response = getattr(client, method)(path.format(big=BIG, slug=asset.slug),
                                       data={"action": "approve"})
    text_of(response)
    assert response.status_code == 404


@pytest.mark.parametrize("path", [
    "/assets?page=-1", "/assets?page=abc", "/assets?category=x&audience=y&language=z",
    "/deals?status=nope&q=" + "株" * 500, "/reports/tiers?tier=../x&page=-5&sort=x&dir=z",
    "/reports/tiers?page=99999999999999999999",
    "/reports/assets?days=x", "/reports/assets.csv?days=-1", "/assets/" + "a" * 3000,
    "/partners/" + "a" * 3000,
])
def test_odd_query_strings_do_not_break_pages(app500, path):
    client = signed_in(app500, make_user(Role.MANAGER))
    assert client.get(path).status_code in (200, 404)


# --- NUL characters --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/assets?q=a%00b", "/assets?tag=a%00b", "/assets/a%00b",
                                  "/deals?q=a%00b", "/deals.csv?q=a%00b", "/partners/a%00b"])
def test_a_nul_in_the_url_never_reaches_the_database(app500, path):
    org = make_org()
    client = signed_in(app500, make_user(Role.MEMBER, org))
    with DatabaseParameters() as sent:
        response = client.get(path)
    assert response.status_code < 500
    assert sent.with_nul() == []


def test_a_nul_anywhere_in_the_query_is_a_clear_400(app500):
    client = signed_in(app500, make_user(Role.MANAGER))
    response = client.get("/reports/tiers.csv?tier=platinum%00")
    assert response.status_code == 400
    assert "contains a NUL character" in response.get_data(as_text=True)
