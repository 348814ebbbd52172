"""Sharing a credential: LinkedIn's "Add to profile" link (pure), and the share actions of
"My credentials" (LinkedIn, copy link, baked badge download) for valid awards only."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from lms.clock import local_date
from lms.credentials.sharing import (
    Certification,
    Named,
    PublicCriteria,
    ShareLinks,
    linkedin_add_url,
    public_criteria,
    share_links,
)
from lms.extensions import db
from lms.models import Award, JobFunction, Role, utcnow
from tests.credentials.sharing_site import BASE, build_site, member
from tests.factories import make_user

DAY = timedelta(days=1)


# --- LinkedIn's add-certification link (pure) ---------------------------------------------


def certification(**changes) -> Certification:
    fields = dict(name="Nimbus Certified Implementation Engineer (NCIE)",
                  organization_name="Nimbus CRM Partner Program", issued_on=date(2026, 3, 31),
                  expires_on=date(2028, 3, 31), url="https://academy.example/verify/abc_-123",
                  credential_id="abc_-123")
    return Certification(**(fields | changes))


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def test_the_linkedin_link_fills_in_every_field_of_the_certification_form():
    url = linkedin_add_url(certification())

    assert url.startswith("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&")
    assert params(url) == [
        ("startTask", "CERTIFICATION_NAME"),
        ("name", "Nimbus Certified Implementation Engineer (NCIE)"),
        ("organizationName", "Nimbus CRM Partner Program"),
        ("issueYear", "2026"), ("issueMonth", "3"),
        ("expirationYear", "2028"), ("expirationMonth", "3"),
        ("certUrl", "https://academy.example/verify/abc_-123"),
        ("certId", "abc_-123"),
    ]


def test_the_linkedin_link_encodes_every_value():
    url = linkedin_add_url(certification(name="Sales & Marketing 認定 #1",
                                         organization_name="Nimbus K.K. / Japan",
                                         url="https://academy.example/verify/a?b=c&d"))

    query = urlsplit(url).query
    assert " " not in url and "認" not in url
    assert "name=Sales%20%26%20Marketing%20%E8%AA%8D%E5%AE%9A%20%231&" in query
    assert "organizationName=Nimbus%20K.K.%20%2F%20Japan&" in query
    assert dict(params(url))["certUrl"] == "https://academy.example/verify/a?b=c&d"
    assert dict(params(url))["name"] == "Sales & Marketing 認定 #1"


def test_a_badge_that_never_expires_has_no_expiration_fields():
    keys = [key for key, _ in params(linkedin_add_url(certification(expires_on=None)))]

    assert keys == ["startTask", "name", "organizationName", "issueYear", "issueMonth",
                    "certUrl", "certId"]


def test_the_issuers_linkedin_page_replaces_its_name():
    values = dict(params(linkedin_add_url(certification(organization_id="1337"))))

    assert values["organizationId"] == "1337"
    assert "organizationName" not in values


def test_the_share_links_of_an_award():
    links = share_links(name="Demo", image="badges/demo.PNG", verification_code="c0de",
                        issued_on=date(2026, 1, 2), expires_on=None,
                        base_url="https://academy.example", issuer="Issuer",
                        issuer_linkedin_id="42")

    assert links == ShareLinks(
        "https://academy.example/verify/c0de",
        linkedin_add_url(Certification("Demo", "Issuer", date(2026, 1, 2), None,
                                       "https://academy.example/verify/c0de", "c0de", "42")),
        "png")


def test_public_criteria_name_the_courses_and_quizzes():
    criteria = public_criteria(
        ["course-a", "retired-course"], ["exam-a"], "technical", 24, "exam-a",
        {"course-a": Named("コースA", "ja")}, {"exam-a": "Exam A"})

    assert criteria == PublicCriteria(
        courses=(Named("コースA", "ja"), Named("retired-course")), quizzes=("Exam A",),
        job_function="technical", validity_months=24, renewal_quiz="Exam A")


def test_public_criteria_of_a_badge_have_no_validity_or_renewal():
    criteria = public_criteria([], ["quiz"], None, None, "quiz", {}, {"quiz": "Quiz"})

    assert (criteria.courses, criteria.quizzes) == ((), ("Quiz",))
    assert (criteria.job_function, criteria.validity_months, criteria.renewal_quiz) == (
        None, None, None)


# --- The share actions of "My credentials" ------------------------------------------------


@pytest.fixture
def site(make_app, tmp_path):
    site = build_site(make_app, tmp_path)
    with site.app.app_context():
        yield site


def page(site, user) -> str:
    response = site.client(user).get("/credentials")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def share_section(text: str, award: Award) -> str:
    match = re.search(rf'<section class="share" aria-labelledby="share-title-{award.id}">'
                      r".*?</section>", text, re.S)
    assert match, f"no share actions for award {award.id}"
    return match.group(0)


def expected_linkedin(site, award: Award, name: str) -> str:
    with site.app.app_context():
        issued, expires = local_date(award.issued_at), (
            local_date(award.expires_at) if award.expires_at else None)
    return linkedin_add_url(Certification(
        name=name, organization_name="Nimbus CRM Partner Program", issued_on=issued,
        expires_on=expires, url=f"{BASE}/verify/{award.verification_code}",
        credential_id=award.verification_code))


def test_the_holder_sees_linkedin_copy_link_and_download_for_each_valid_award(site):
    me = member(job=JobFunction.TECHNICAL)
    issued = (utcnow() - 40 * DAY).replace(microsecond=0)
    badge = site.give(me, "demo-badge", issued=issued)
    cert = site.give(me, "demo-cert", issued=issued, validity_months=24)

    text = page(site, me)

    for award, name, image in ((badge, "Demo Badge", "svg"),
                               (cert, "Demo Certified Engineer", "png")):
        section = share_section(text, award)
        linkedin = expected_linkedin(site, award, name)
        assert f'href="{html.escape(linkedin)}" target="_blank" rel="noopener"' in section
        assert f'href="/credentials/{award.id}/badge.{image}" download' in section
        verify_url = f"{BASE}/verify/{award.verification_code}"
        assert re.search(rf'<input class="share-url" id="share-url-{award.id}" type="text" '
                         rf'value="{re.escape(verify_url)}" readonly', section)
        assert f'<label class="share-label" for="share-url-{award.id}">' in section
        # The copy button is the script's to show; without it the link stays selectable.
        assert re.search(rf'<button [^>]*data-copy="share-url-{award.id}" '
                         r'data-copied="Link copied" hidden>Copy link</button>', section)
        assert '<p class="share-status small" role="status"></p>' in section
    params_of_cert = dict(params(html.unescape(re.search(
        r'href="(https://www\.linkedin\.com[^"]+)"', share_section(text, cert)).group(1))))
    assert params_of_cert["certId"] == cert.verification_code
    assert params_of_cert["expirationYear"] == str(local_date_of(site, cert.expires_at).year)
    assert "expirationYear" not in html.unescape(share_section(text, badge))
    assert '<script src="/static/js/share.js" defer></script>' in text


def local_date_of(site, moment) -> date:
    with site.app.app_context():
        return local_date(moment)


def test_the_linkedin_month_is_the_month_the_pages_show(site):
    # 20:00 UTC on the last day of a month is already the next month in Tokyo, where the
    # program runs (and where the pages date it).
    me = member()
    last_year = utcnow().year - 1
    award = site.give(me, "demo-badge", issued=utcnow().replace(
        year=last_year, month=1, day=31, hour=20, minute=0, second=0, microsecond=0))

    values = dict(params(html.unescape(re.search(
        r'href="(https://www\.linkedin\.com[^"]+)"', page(site, me)).group(1))))

    assert (values["issueYear"], values["issueMonth"]) == (str(last_year), "2")
    assert site.local_date(award.issued_at) == f"Feb 1, {last_year}"


def test_share_js_is_served_by_the_app_and_the_page_loads_nothing_from_elsewhere(site):
    me = member()
    site.give(me, "demo-badge", issued=utcnow() - DAY)
    client = site.client(me)

    text = client.get("/credentials").get_data(as_text=True)
    script = client.get("/static/js/share.js")

    assert script.status_code == 200
    assert "navigator.clipboard" in script.get_data(as_text=True)
    script.close()
    sources = re.findall(r'<(?:script|link|img)\b[^>]*(?:src|href)="([^"]+)"', text)
    assert sources and all(s.startswith("/") for s in sources), sources


def test_an_expired_or_revoked_award_offers_nothing_to_share(site):
    me = member(job=JobFunction.TECHNICAL)
    site.give(me, "demo-cert", issued=utcnow() - 800 * DAY, validity_months=24)  # expired
    revoked = site.give(me, "demo-badge", issued=utcnow() - DAY)
    revoked.revoked_at, revoked.revoked_reason = utcnow(), "Shared exam answers."
    db.session.commit()

    text = page(site, me)

    assert 'class="status status-off">Expired<' in text
    assert 'class="status status-revoked">Revoked<' in text
    for absent in ('class="share"', "linkedin.com", "/badge.", "share.js", "Copy link"):
        assert absent not in text, absent


def test_nobody_sees_anothers_share_actions(site):
    holder, colleague = member(), member()
    award = site.give(holder, "demo-badge", issued=utcnow() - DAY)
    admin = make_user(Role.ADMIN)

    for viewer in (colleague, admin):
        text = page(site, viewer)
        assert award.verification_code not in text
        assert 'class="share"' not in text
    assert db.session.scalar(select(Award.user_id).where(Award.id == award.id)) == holder.id
