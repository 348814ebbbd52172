"""Sharing a credential in a real browser: "Copy link" copies the public link and says so to
screen readers, without JavaScript the link is simply shown, the baked badge downloads with
the assertion inside, and the public page lists what the credential takes in Japanese."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.credentials import baking, rules
from lms.extensions import db
from lms.models import Award, Credential, JobFunction, Organization, Role, utcnow
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser

NCIE = "Nimbus Certified Implementation Engineer (NCIE)"


def certified_engineer(live_server) -> tuple[str, dict[str, str]]:
    """A new Kumo Works engineer holding NCIE and the program badge: (email, their
    verification codes by credential slug)."""
    with live_server.app.app_context():
        org = db.session.scalar(db.select(Organization).where(
            Organization.slug == "kumo-works"))
        user = make_user(Role.MEMBER, org, job=JobFunction.TECHNICAL, name="Sharing Engineer",
                         email=f"share.{uuid.uuid4().hex[:10]}@kumo-works.example")
        issued = utcnow() - timedelta(days=20)
        codes = {}
        for slug in ("nimbus-certified-implementation-engineer", "program-essentials"):
            credential = db.session.scalar(db.select(Credential).where(Credential.slug == slug))
            award = Award(user_id=user.id, credential_id=credential.id, issued_at=issued,
                          expires_at=rules.add_months(issued, credential.validity_months)
                          if credential.validity_months else None)
            db.session.add(award)
            db.session.flush()
            codes[slug] = award.verification_code
        db.session.commit()
        email = user.email
        db.session.remove()
    return email, codes


def test_the_holder_copies_the_link_downloads_the_badge_and_anyone_reads_the_criteria(
        open_page, live_server, screenshot, tmp_path):
    email, codes = certified_engineer(live_server)
    code = codes["nimbus-certified-implementation-engineer"]
    page = open_page(permissions=["clipboard-read", "clipboard-write"])
    sign_in(page, email, PASSWORD)
    page.goto("/credentials")
    card = page.locator("article").filter(has=page.get_by_role("heading", name=NCIE))
    share = card.get_by_role("region", name="Share")

    linkedin = share.get_by_role("link", name="Add to LinkedIn profile")
    expect(linkedin).to_have_attribute("target", "_blank")
    assert linkedin.get_attribute("href").startswith(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&")
    link = share.get_by_label("Public link for anyone to verify it")
    expect(link).to_have_value(f"{live_server.url}/verify/{code}")
    share.get_by_role("button", name="Copy link").click()
    expect(share.get_by_role("status")).to_have_text("Link copied")
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/verify/{code}"
    screenshot(page, "browser-credentials-share.png")

    with page.expect_download() as info:
        share.get_by_role("link", name="Download badge image").click()
    download = info.value
    assert download.suggested_filename == "nimbus-certified-implementation-engineer.svg"
    saved = Path(tmp_path / download.suggested_filename)
    download.save_as(saved)
    public = page.request.get(f"/verify/{code}.json").json()
    assert json.loads(baking.read_svg(saved.read_bytes())) == public

    # Anyone, signed out, reading Japanese: the criteria in their language where the content
    # has it (the course's Japanese version, the job function, the validity).
    visitor = open_page(locale="ja-JP")
    visitor.goto(f"/verify/{code}")
    criteria = visitor.get_by_role("region", name="取得条件")  # "How it is earned"
    for shown in ("Nimbus Certified Implementation Engineer", "職種", "技術", "24か月"):
        expect(criteria).to_contain_text(shown)
    expect(visitor.get_by_role("link", name="Add to LinkedIn profile")).to_have_count(0)
    screenshot(visitor, "browser-verify-criteria-ja.png")
    visitor.goto(f"/verify/{codes['program-essentials']}")
    expect(visitor.get_by_role("region", name="取得条件")).to_contain_text(
        "パートナープログラムの基本")


def test_without_javascript_the_link_is_shown_to_copy_by_hand(open_page, live_server):
    email, codes = certified_engineer(live_server)
    code = codes["nimbus-certified-implementation-engineer"]
    page = open_page(java_script_enabled=False)
    sign_in(page, email, PASSWORD)
    page.goto("/credentials")
    card = page.locator("article").filter(has=page.get_by_role("heading", name=NCIE))

    expect(card.get_by_label("Public link for anyone to verify it")).to_have_value(
        f"{live_server.url}/verify/{code}")
    expect(card.get_by_role("button", name="Copy link")).to_be_hidden()
    expect(card.get_by_role("link", name="Download badge image")).to_be_visible()
