"""What partner people may not see or do: another company's deals, vendor and admin actions,
other companies' profiles, reports, tier-locked old versions and archived assets.
(test_access_matrix.py checks every route for every kind of visitor; these follow one
company's objects through every page that could leak them.)"""

from __future__ import annotations

from sqlalchemy import select

from lms.assets.publishing import add_version, set_archived
from lms.extensions import db
from lms.models import ApiToken, Deal, Tier
from tests.factories import signed_in
from tests.factories.assets import PDF_2, publish, upload
from tests.factories.deals import fresh, register


def test_another_companys_deal_is_invisible_and_untouchable(app, two_partners):
    theirs = register(two_partners["beta"], two_partners["beta_sales"], "Secret Customer")
    mine = register(two_partners["alpha"], two_partners["alpha_sales"], "Own Customer")
    for who in ("alpha_sales", "alpha_admin", "alpha_engineer"):
        client = signed_in(app, two_partners[who])
        assert client.get(f"/deals/{theirs.id}").status_code == 404
        assert client.get(f"/deals/{theirs.id}/edit").status_code == 404
        assert client.post(f"/deals/{theirs.id}/edit", data={
            "customer_name": "Taken", "amount": "1", "currency": "JPY"}).status_code == 404
        assert client.post(f"/deals/{theirs.id}/status",
                           data={"action": "reject", "reason": "x"}).status_code == 404
        for path in ("/deals", "/deals.csv", "/deals?q=Secret", "/deals?partner=beta"):
            assert "Secret Customer" not in client.get(path).get_data(as_text=True)
        # Partners never decide, not even on their own company's deal.
        assert client.post(f"/deals/{mine.id}/status",
                           data={"action": "approve"}).status_code == 403
    assert fresh(theirs).customer_name == "Secret Customer"
    assert fresh(theirs).status.value == "registered"


def test_partner_roles_are_refused_vendor_and_admin_posts(app, two_partners):
    asset = publish()
    add_version(None, asset, upload(PDF_2, "v2.pdf"), "Second.")
    db.session.commit()
    for who in ("alpha_sales", "alpha_admin"):
        client = signed_in(app, two_partners[who])
        for path, data in [
            ("/assets/new", {"title": "x"}),
            (f"/assets/{asset.slug}/edit", {"action": "archive"}),
            (f"/assets/{asset.slug}/versions/new", {"change_note": "x"}),
            (f"/assets/{asset.slug}/versions/1/restore", {}),
            ("/deals/import", {}),
            ("/reports/tiers/review", {}),
            ("/admin/tiers/edit", {"note": "x"}),
            ("/admin/api-tokens", {"name": "mine"}),
        ]:
            assert client.post(path, data=data).status_code == 403, path
    # Vendor staff that are not admins cannot change the rules nor make API tokens.
    manager = signed_in(app, two_partners["manager"])
    assert manager.post("/admin/tiers/edit", data={"note": "x"}).status_code == 403
    assert manager.post("/admin/api-tokens", data={"name": "mine"}).status_code == 403
    assert db.session.scalar(select(ApiToken.id)) is None
    # Technical members do not register deals.
    engineer = signed_in(app, two_partners["alpha_engineer"])
    assert engineer.post("/deals/new", data={"customer_name": "A", "amount": "1",
                                             "currency": "JPY"}).status_code == 403
    assert db.session.scalar(select(Deal.id)) is None


def test_partners_see_only_their_own_profile_and_no_reports(app, two_partners):
    client = signed_in(app, two_partners["alpha_admin"])
    assert client.get("/partners/alpha").status_code == 200
    assert client.get("/partners/beta").status_code == 404
    assert "Beta Inc." not in client.get("/partners").get_data(as_text=True)
    for path in ("/reports/tiers", "/reports/tiers.csv?tier=gold", "/reports/tiers/review",
                 "/reports/assets", "/reports/assets.csv", "/admin/tiers"):
        assert client.get(path).status_code == 403, path


def test_tier_locks_old_versions_and_archives_hold_for_partners(app, two_partners):
    gold = publish("Gold battlecard", min_tier=Tier.GOLD)
    silver = publish("Silver brochure", min_tier=Tier.SILVER)
    add_version(None, silver, upload(PDF_2, "v2.pdf"), "Second.")
    archived = publish("Old price list")
    set_archived(two_partners["manager"], archived, True)
    db.session.commit()
    client = signed_in(app, two_partners["alpha_sales"])
    locked = client.get(f"/assets/{gold.slug}/download")
    assert locked.status_code == 403
    assert client.head(f"/assets/{gold.slug}/download").status_code == 403
    assert client.get(f"/assets/{silver.slug}/versions/1/download").status_code == 403
    current = client.get(f"/assets/{silver.slug}/download")
    assert current.status_code == 200 and current.get_data() == PDF_2
    current.close()
    assert client.get(f"/assets/{archived.slug}").status_code == 404
    assert client.get(f"/assets/{archived.slug}/download").status_code == 404
    assert "Old price list" not in client.get("/assets?archived=1").get_data(as_text=True)
