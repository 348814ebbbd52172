"""The public verification page: what the credential means and what it takes (the definition,
never the holder's progress), in the reader's language, its state in plain words, and links
to the machine-readable records without jargon."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from lms.extensions import db
from lms.models import JobFunction, utcnow
from tests.credentials.sharing_site import CERT, build_site, member
from tests.factories import count_queries

DAY = timedelta(days=1)


@pytest.fixture
def site(make_app, tmp_path):
    site = build_site(make_app, tmp_path)
    with site.app.app_context():
        yield site


def section(text: str, heading_id: str) -> str:
    match = re.search(rf'<section class="verify-section" aria-labelledby="{heading_id}">'
                      r".*?</section>", text, re.S)
    assert match, f"no section {heading_id}"
    return match.group(0)


def flat(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def cert_page(site, language: str | None = None, **give) -> tuple[str, object]:
    holder = member(name="Hana Holder", job=JobFunction.TECHNICAL)
    award = site.give(holder, "demo-cert", validity_months=24,
                      **({"issued": utcnow() - 40 * DAY} | give))
    response = site.client(language=language).get(f"/verify/{award.verification_code}")
    assert response.status_code == 200
    return response.get_data(as_text=True), award


def test_the_page_says_what_the_credential_means_and_takes(site):
    text, _award = cert_page(site)

    meaning = flat(section(text, "verify-meaning"))
    criteria = flat(section(text, "verify-criteria"))
    assert CERT["description"] in meaning
    assert criteria == ("How it is earned Every holder has met all of these: "
                        "Courses Demo Course Quizzes & exams Demo Exam "
                        "Job function Technical Validity 24 months "
                        "Renewal Pass Demo Exam again in the last 90 days before it expires.")
    assert "Nimbus CRM Partner Program confirms that Hana Holder holds this credential." in text


def test_the_page_speaks_japanese_to_a_japanese_reader(site):
    text, _award = cert_page(site, language="ja")

    criteria = section(text, "verify-criteria")
    assert '<html lang="ja">' in text
    assert '<li lang="ja">デモコース</li>' in criteria  # the course's Japanese version
    assert "Demo Course" not in text
    flat_criteria = flat(criteria)
    for shown in ("コース デモコース", "クイズと試験 Demo Exam", "職種 技術", "24か月"):
        assert shown in flat_criteria, shown
    assert "有効" in text and "資格の確認" in text


def test_a_badge_lists_only_what_it_takes(site):
    award = site.give(member(), "demo-badge", issued=utcnow() - DAY)

    text = site.client().get(f"/verify/{award.verification_code}").get_data(as_text=True)

    criteria = flat(section(text, "verify-criteria"))
    assert "Courses Demo Course Quizzes & exams Demo Quiz" in criteria
    for absent in ("Job function", "Validity", "Renewal"):
        assert absent not in criteria, absent
    assert "Badge" in text and "Valid until" not in text


def test_the_criteria_are_the_definition_not_the_holders_progress(site):
    text, _award = cert_page(site)

    for absent in ("%", "Not started", "Completed", "Passed", "progress"):
        assert absent not in flat(section(text, "verify-criteria")), absent


def test_the_machine_readable_records_are_named_in_plain_words(site):
    text, award = cert_page(site)

    assert "Open Badges assertion" not in text
    assert (f'<a href="/verify/{award.verification_code}.json">'
            "machine-readable record (Open Badges 2.0)</a>") in text
    assert (f'<a href="/verify/{award.verification_code}.jwt">'
            "signed digital credential (Open Badges 3.0)</a>") in text
    assert "Published by Nimbus CRM Partner Program." in text


def test_an_expired_credential_says_so_plainly(site):
    issued = utcnow() - 800 * DAY
    text, _award = cert_page(site, issued=issued)

    assert 'class="status status-off">Expired<' in text
    assert re.search(r"This credential expired on .+ and no longer counts as held\. "
                     r"It was valid from .+\.", text)
    assert "holds this credential" not in text
    assert section(text, "verify-criteria")  # what it took is still worth knowing


def test_a_revoked_credential_says_so_and_offers_no_share_actions(site):
    text, award = cert_page(site)
    award.revoked_at, award.revoked_reason = utcnow(), "Private reason."
    db.session.commit()

    text = site.client().get(f"/verify/{award.verification_code}").get_data(as_text=True)

    assert 'class="status status-revoked">Revoked<' in text
    assert re.search(r"Nimbus CRM Partner Program revoked this credential on .+\. "
                     r"It is not valid and does not count as held\.", text)
    for absent in ("Valid until", "holds this credential", "Private reason", "linkedin",
                   'class="share"', "/badge."):
        assert absent not in text, absent


def test_the_public_page_has_no_share_actions_and_no_personal_data(site):
    text, _award = cert_page(site)

    for absent in ("linkedin", 'class="share"', "/badge.", "share.js", "@example.test"):
        assert absent not in text, absent


def test_the_page_costs_a_bounded_number_of_queries(site):
    _text, award = cert_page(site)
    path, client = f"/verify/{award.verification_code}", site.client()
    client.get(path)  # the content cache is warm

    with count_queries() as queries:
        response = client.get(path)

    assert response.status_code == 200
    # The content version, the award with its credential and holder, the quizzes' titles.
    assert queries.n <= 3, queries.statements
