"""Courses over HTTP with the real content synced: catalog, search, course and lesson pages,
locks, completion, resuming, translations, course files, the home page's next step, people's
progress, and fixed query counts."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func

from lms.content import load_all, sync_all
from lms.extensions import db
from lms.models import Course, JobFunction, Lesson, LessonProgress, Role, User, utcnow
from tests.factories import count_queries, login, make_org, make_user, signed_in
from tests.factories.content import write_course_tree

PPE = "partner-program-essentials"
PPE_JA = "partner-program-essentials-ja"
SELLING = "selling-nimbus-crm"
IMPLEMENTATION = "nimbus-crm-implementation"
PPE_LESSONS = ["program-overview", "rules-of-engagement", "deal-registration", "earning-gold",
               "certifications-and-renewal"]
CARD_TITLE_RE = re.compile(r'<h3><a href="/courses/([^"]+)">([^<]+)</a></h3>')


# --- Helpers ------------------------------------------------------------------------------


def sync_content() -> None:
    sync_all(load_all())
    db.session.commit()


@pytest.fixture
def content(app, tmp_path):
    """The real courses, without quizzes: course mechanics alone (tests/quizzes cover the
    quiz a course may require)."""
    app.config["LMS_QUIZZES_DIR"] = str(tmp_path / "no-quizzes")
    sync_content()


def member(job: JobFunction = JobFunction.SALES, org=None, **kw) -> User:
    return make_user(Role.MEMBER, org, job=job, **kw)


def html_of(response) -> str:
    return response.get_data(as_text=True)


def course(slug: str) -> Course:
    return db.session.scalar(db.select(Course).where(Course.slug == slug))


def lessons_of(slug: str) -> list[Lesson]:
    return list(db.session.scalars(db.select(Lesson).join(Course).where(Course.slug == slug)
                                   .order_by(Lesson.position)))


def progress_rows(user: User) -> list[LessonProgress]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(LessonProgress).where(
        LessonProgress.user_id == user.id)))


def completed_count(user: User) -> int:
    return sum(1 for row in progress_rows(user) if row.completed_at is not None)


def complete_over_http(client, slug: str, lesson_slugs: list[str] | None = None) -> list:
    slugs = lesson_slugs or [lesson.slug for lesson in lessons_of(slug)]
    return [client.post(f"/courses/{slug}/{lesson}/complete") for lesson in slugs]


def complete_directly(user: User, slug: str, count: int | None = None) -> None:
    """Record completed lessons without HTTP (set-up of other people's progress)."""
    now = utcnow()
    for lesson in lessons_of(slug)[:count]:
        db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id, started_at=now,
                                      last_viewed_at=now, completed_at=now))
    db.session.commit()


def catalog_sections(html: str) -> dict[str, list[str]]:
    """Card titles of the "For your role" and "More courses" sections."""
    sections = {}
    for name in ("for-you", "more-courses"):
        match = re.search(rf'<section aria-labelledby="{name}">(.*?)</section>', html, re.S)
        sections[name] = [t for _, t in CARD_TITLE_RE.findall(match.group(1))] if match else []
    return sections


def card_titles(html: str) -> list[str]:
    return [title for _, title in CARD_TITLE_RE.findall(html)]


def lesson_hits(html: str) -> list[str]:
    match = re.search(r'<section class="card" aria-labelledby="lesson-hits">(.*?)</section>',
                      html, re.S)
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', match.group(1)) if match else []


def redirects_to(response, path: str) -> bool:
    return response.status_code == 302 and response.headers["Location"] == path


# --- Catalog ------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client, content):
    for path in ("/courses", f"/courses/{PPE}", f"/courses/{PPE}/program-overview",
                 f"/courses/{PPE}/files/images/tier-ladder.svg", "/progress"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path


def test_a_sales_member_sees_their_courses_first(app, content):
    client = signed_in(app, member(JobFunction.SALES))

    response = client.get("/courses")

    assert response.status_code == 200
    html = html_of(response)
    assert html.index("For your role") < html.index("More courses")
    sections = catalog_sections(html)
    assert sections["for-you"] == ["Partner Program Essentials", "Selling Nimbus CRM"]
    assert sections["more-courses"] == ["Nimbus CRM Implementation"]
    # One card per course group: the Japanese version is linked, not a card of its own.
    assert "パートナープログラムの基本" not in card_titles(html)
    assert f'href="/courses/{PPE_JA}"' in html


def test_a_technical_member_gets_the_implementation_course_for_their_role(app, content):
    client = signed_in(app, member(JobFunction.TECHNICAL))

    sections = catalog_sections(html_of(client.get("/courses")))

    assert sections["for-you"] == ["Partner Program Essentials", "Nimbus CRM Implementation"]
    assert sections["more-courses"] == ["Selling Nimbus CRM"]


def test_a_japanese_speaker_sees_the_japanese_version(app, content):
    client = signed_in(app, member(JobFunction.SALES, locale="ja"))

    html = html_of(client.get("/courses"))

    titles = card_titles(html)
    assert "パートナープログラムの基本" in titles
    assert "Partner Program Essentials" not in titles
    assert f'<h3><a href="/courses/{PPE_JA}">' in html
    sections = catalog_sections(html)
    assert sections["for-you"] == ["パートナープログラムの基本", "Selling Nimbus CRM"]
    assert "あなたの職種向け" in html


def test_a_japanese_speakers_lock_note_names_the_japanese_version(app, content):
    client = signed_in(app, member(JobFunction.SALES, locale="ja"))

    html = html_of(client.get("/courses"))

    notes = re.findall(r'class="lock-note">.*?</p>', html, re.S)
    assert notes
    assert all(f'href="/courses/{PPE_JA}">パートナープログラムの基本</a>' in note for note in notes)


def test_the_catalog_shows_lessons_minutes_and_progress(app, content):
    user = member()
    client = signed_in(app, user)
    complete_over_http(client, PPE, PPE_LESSONS[:2])

    html = html_of(client.get("/courses"))

    card = re.search(r'<article class="card course-card with-cover">\s*<img class="course-cover" '
                     rf'src="/courses/{PPE}/cover".*?</article>', html, re.S).group(0)
    assert "5 lessons" in card and "39 min" in card
    assert "In progress" in card and "40%" in card


# --- Search -------------------------------------------------------------------------------


def test_search_finds_courses_and_lessons(app, content):
    client = signed_in(app, member())

    html = html_of(client.get("/courses", query_string={"q": "webhook"}))

    assert "Nimbus CRM Implementation" in card_titles(html)
    assert "Partner Program Essentials" not in card_titles(html)
    hits = lesson_hits(html)
    assert "Integrations and webhooks" in hits
    assert "Rules of engagement" not in hits
    assert f'href="/courses/{IMPLEMENTATION}/integrations-and-webhooks"' in html


def test_full_width_search_finds_the_same(app, content):
    client = signed_in(app, member())

    half = html_of(client.get("/courses", query_string={"q": "webhook"}))
    full = html_of(client.get("/courses", query_string={"q": "ＷＥＢＨＯＯＫ"}))

    assert card_titles(full) == card_titles(half)
    assert lesson_hits(full) == lesson_hits(half)
    assert "Integrations and webhooks" in lesson_hits(full)


def test_a_search_without_results(app, content):
    client = signed_in(app, member())

    html = html_of(client.get("/courses", query_string={"q": "zzzznotfound"}))

    assert card_titles(html) == []
    assert lesson_hits(html) == []
    assert "No course matches your search." in html


@pytest.mark.parametrize("query", ["%%%%", "____________", "%zzzz%"])
def test_like_wildcards_in_a_search_are_taken_literally(app, content, query):
    client = signed_in(app, member())

    html = html_of(client.get("/courses", query_string={"q": query}))

    assert card_titles(html) == []
    assert lesson_hits(html) == []


def test_a_percent_sign_matches_only_lessons_that_contain_one(app, content):
    client = signed_in(app, member())
    with_percent = {lesson.title for lesson in db.session.scalars(db.select(Lesson))
                    if "%" in lesson.search_text}
    assert 0 < len(with_percent) < 20

    html = html_of(client.get("/courses", query_string={"q": "%"}))

    hits = lesson_hits(html)
    assert set(hits) == with_percent
    assert "Rules of engagement" not in hits
    assert len(hits) < 20


# --- Course page, locks, completion -------------------------------------------------------


def test_a_course_page_lists_its_lessons_with_minutes(app, content):
    client = signed_in(app, member())

    response = client.get(f"/courses/{PPE}")

    assert response.status_code == 200
    html = html_of(response)
    items = re.findall(r'<li class="[^"]*">\s*<a href="/courses/[^/]+/([^"]+)"[^>]*>([^<]+)</a>'
                       r'\s*<span class="muted small">(\d+) min', html)
    assert items == [
        ("program-overview", "Program overview and tiers", "8"),
        ("rules-of-engagement", "Rules of engagement", "7"),
        ("deal-registration", "Deal registration step by step", "9"),
        ("earning-gold", "How to earn Gold: a worked example", "8"),
        ("certifications-and-renewal", "Certifications and renewal", "7"),
    ]
    assert "Start the course" in html
    assert f'href="/courses/{PPE}/program-overview"' in html


def test_a_locked_course_says_what_unlocks_it(app, content):
    user = member()
    client = signed_in(app, user)

    html = html_of(client.get(f"/courses/{SELLING}"))

    assert "This course unlocks when you complete:" in html
    assert f'<a href="/courses/{PPE}">Partner Program Essentials</a>' in html
    # Lessons are listed but not linked.
    assert f'href="/courses/{SELLING}/discovery-and-qualification"' not in html
    catalog = html_of(client.get("/courses"))
    assert 'course-card locked' in catalog


def test_a_lesson_of_a_locked_course_redirects_to_the_course(app, content):
    user = member()
    client = signed_in(app, user)

    response = client.get(f"/courses/{SELLING}/discovery-and-qualification")

    assert redirects_to(response, f"/courses/{SELLING}")
    assert progress_rows(user) == []


def test_completing_a_lesson_of_a_locked_course_is_refused(app, content):
    user = member()
    client = signed_in(app, user)

    response = client.post(f"/courses/{SELLING}/discovery-and-qualification/complete")

    assert response.status_code == 403
    assert progress_rows(user) == []


def test_vendor_staff_preview_locked_courses(app, content):
    client = signed_in(app, make_user(Role.MANAGER))

    assert client.get(f"/courses/{SELLING}/discovery-and-qualification").status_code == 200


def test_mark_complete_goes_to_the_next_lesson_then_back_to_the_course(app, content):
    user = member()
    client = signed_in(app, user)

    responses = complete_over_http(client, PPE, PPE_LESSONS)

    for response, following in zip(responses, PPE_LESSONS[1:], strict=False):
        assert redirects_to(response, f"/courses/{PPE}/{following}")
    assert redirects_to(responses[-1], f"/courses/{PPE}")
    assert completed_count(user) == 5
    html = html_of(client.get(f"/courses/{PPE}"))
    assert "You completed this course." in html
    assert "You finished the last lesson of Partner Program Essentials." in html


def test_completing_the_first_course_unlocks_the_next(app, content):
    client = signed_in(app, member())
    complete_over_http(client, PPE, PPE_LESSONS[:4])
    assert "This course unlocks" in html_of(client.get(f"/courses/{SELLING}"))

    complete_over_http(client, PPE, PPE_LESSONS[4:])

    html = html_of(client.get(f"/courses/{SELLING}"))
    assert "This course unlocks" not in html
    assert f'href="/courses/{SELLING}/discovery-and-qualification"' in html
    assert client.get(f"/courses/{SELLING}/discovery-and-qualification").status_code == 200
    response = client.post(f"/courses/{SELLING}/discovery-and-qualification/complete")
    assert redirects_to(response, f"/courses/{SELLING}/handling-objections")


def test_completing_twice_changes_nothing(app, content):
    user = member()
    client = signed_in(app, user)
    client.post(f"/courses/{PPE}/rules-of-engagement/complete")
    (first,) = progress_rows(user)
    completed_at = first.completed_at

    response = client.post(f"/courses/{PPE}/rules-of-engagement/complete")

    assert redirects_to(response, f"/courses/{PPE}/deal-registration")
    (row,) = progress_rows(user)
    assert row.id == first.id
    assert row.completed_at == completed_at


def test_the_course_page_offers_to_continue_where_you_left_off(app, content):
    client = signed_in(app, member())
    client.post(f"/courses/{PPE}/program-overview/complete")
    assert client.get(f"/courses/{PPE}/earning-gold").status_code == 200
    assert client.get(f"/courses/{PPE}/deal-registration").status_code == 200

    html = html_of(client.get(f"/courses/{PPE}"))

    assert "Continue: Deal registration step by step" in html
    assert f'href="/courses/{PPE}/deal-registration"' in html


def test_viewing_lessons_alone_offers_to_continue(app, content):
    client = signed_in(app, member())
    client.get(f"/courses/{PPE}/program-overview")
    client.get(f"/courses/{PPE}/rules-of-engagement")

    html = html_of(client.get(f"/courses/{PPE}"))

    assert f'href="/courses/{PPE}/rules-of-engagement"' in html
    assert "Continue: Rules of engagement" in html


def test_completing_the_translation_counts_for_the_original(app, content):
    user = member(locale="ja")
    client = signed_in(app, user)
    locked = client.get(f"/courses/{SELLING}/discovery-and-qualification")
    assert redirects_to(locked, f"/courses/{SELLING}")

    responses = complete_over_http(client, PPE_JA, PPE_LESSONS)

    assert redirects_to(responses[-1], f"/courses/{PPE_JA}")
    assert client.get(f"/courses/{SELLING}/discovery-and-qualification").status_code == 200
    assert client.get(f"/courses/{IMPLEMENTATION}/data-model").status_code == 200
    ja_lesson_ids = {lesson.id for lesson in lessons_of(PPE_JA)}
    completed = [row for row in progress_rows(user) if row.completed_at is not None]
    assert {row.lesson_id for row in completed} == ja_lesson_ids
    assert len(completed) == 5


def test_an_english_speaker_who_completed_the_japanese_version_is_unlocked(app, content):
    client = signed_in(app, member())

    complete_over_http(client, PPE_JA, PPE_LESSONS)

    assert client.get(f"/courses/{SELLING}/discovery-and-qualification").status_code == 200
    html = html_of(client.get(f"/courses/{PPE}"))
    assert "You completed this course." in html


def test_the_original_shows_full_progress_when_the_translation_is_complete(app, content):
    client = signed_in(app, member())
    complete_over_http(client, PPE_JA, PPE_LESSONS)

    page = html_of(client.get(f"/courses/{PPE}"))

    assert "You completed this course." in page
    assert "0 of 5 lessons" not in page
    assert ">0%<" not in page


# --- Lesson page --------------------------------------------------------------------------


def test_a_lesson_page_renders_the_lesson(app, content):
    client = signed_in(app, member())

    response = client.get(f"/courses/{PPE}/program-overview")

    assert response.status_code == 200
    html = html_of(response)
    assert "<h1>Program overview and tiers</h1>" in html
    assert "Lesson 1 of 5" in html and "8 min" in html
    assert "<table>" in html and "<th>Requirement (rolling 12 months)</th>" in html
    assert f'<img alt="The four partner tiers and their requirements" src="/courses/{PPE}' \
           '/files/images/tier-ladder.svg"' in html
    assert '<iframe src="https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ"' in html
    assert "www.youtube.com/watch" not in html
    assert 'rel="prev"' not in html
    assert f'action="/courses/{PPE}/program-overview/complete"' in html
    assert "Mark complete and continue" in html
    csp = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com" in csp


def test_a_lesson_page_links_to_the_previous_and_next_lessons(app, content):
    client = signed_in(app, member())
    client.post(f"/courses/{PPE}/rules-of-engagement/complete")

    html = html_of(client.get(f"/courses/{PPE}/rules-of-engagement"))

    assert f'rel="prev" href="/courses/{PPE}/program-overview"' in html
    assert f'rel="next" href="/courses/{PPE}/deal-registration"' in html
    assert "Completed" in html
    assert "<iframe" not in html
    # Links between lessons are rewritten to app URLs.
    assert f'<a href="/courses/{PPE}/deal-registration">deal registration</a>' in html


def test_the_last_lesson_has_no_next_link(app, content):
    client = signed_in(app, member())
    client.post(f"/courses/{PPE}/certifications-and-renewal/complete")

    html = html_of(client.get(f"/courses/{PPE}/certifications-and-renewal"))

    assert f'rel="prev" href="/courses/{PPE}/earning-gold"' in html
    assert 'rel="next"' not in html


def test_viewing_a_lesson_records_it_without_completing_it(app, content):
    user = member()
    client = signed_in(app, user)

    client.get(f"/courses/{PPE}/earning-gold")
    client.get(f"/courses/{PPE}/earning-gold")

    (row,) = progress_rows(user)
    assert row.completed_at is None and row.last_viewed_at is not None


# --- Course files -------------------------------------------------------------------------


def test_a_course_image_is_served_sandboxed(app, content):
    client = signed_in(app, member())

    response = client.get(f"/courses/{PPE}/files/images/tier-ladder.svg")

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    assert response.data.startswith(b"<svg")
    response.close()


@pytest.mark.parametrize("path", [
    f"/courses/{PPE}/files/../course.toml",
    f"/courses/{PPE}/files/..%2Fcourse.toml",
    f"/courses/{PPE}/files/course.toml",
    f"/courses/{PPE}/files/01-program-overview.md",
    f"/courses/{PPE}/files/images/../../{PPE_JA}/images/tier-ladder.svg",
    f"/courses/{PPE}/files/..%2F{PPE_JA}%2Fimages%2Ftier-ladder.svg",
    f"/courses/{PPE}/files/images/missing.svg",
    "/courses/nope/files/images/tier-ladder.svg",
])
def test_other_files_are_not_served(app, content, path):
    client = signed_in(app, member())

    response = client.get(path)

    assert response.status_code == 404
    response.close()


def test_files_of_a_locked_course_are_not_served_to_partners(app):
    sync_all(load_all())
    db.session.commit()
    client = app.test_client()
    login(client, make_user(Role.MEMBER, job=JobFunction.TECHNICAL))
    path = "/courses/nimbus-crm-implementation/files/images/data-model.svg"
    assert client.get(path).status_code == 403
    vendor = app.test_client()
    login(vendor, make_user(Role.MANAGER))
    response = vendor.get(path)
    assert response.status_code == 200
    response.close()


# --- Not found, archived ------------------------------------------------------------------


def test_unknown_courses_and_lessons_answer_404(app, content):
    client = signed_in(app, member())

    assert client.get("/courses/nope").status_code == 404
    assert client.get(f"/courses/{PPE}/nope").status_code == 404
    assert client.get("/courses/nope/program-overview").status_code == 404
    assert client.post(f"/courses/{PPE}/nope/complete").status_code == 404
    assert client.post("/courses/nope/program-overview/complete").status_code == 404


def test_archived_lessons_are_not_shown(app, content):
    lesson = next(x for x in lessons_of(PPE) if x.slug == "earning-gold")
    lesson.archived_at = utcnow()
    db.session.commit()
    user = member()
    client = signed_in(app, user)

    html = html_of(client.get(f"/courses/{PPE}"))
    assert "How to earn Gold" not in html
    assert "4 lessons" in html
    assert client.get(f"/courses/{PPE}/earning-gold").status_code == 404
    assert client.post(f"/courses/{PPE}/earning-gold/complete").status_code == 404
    search = html_of(client.get("/courses", query_string={"q": "30,616,000"}))
    # Only the Japanese version of the lesson (not archived) is still found.
    assert lesson_hits(search) == ["ゴールド取得への道：実例で学ぶ"]
    # The previous lesson now leads straight to the one after the archived one.
    response = client.post(f"/courses/{PPE}/deal-registration/complete")
    assert redirects_to(response, f"/courses/{PPE}/certifications-and-renewal")
    # Four lessons complete the course.
    complete_over_http(client, PPE, ["program-overview", "rules-of-engagement",
                                     "certifications-and-renewal"])
    assert client.get(f"/courses/{SELLING}/discovery-and-qualification").status_code == 200


def test_archived_courses_are_not_shown(app, content):
    course(IMPLEMENTATION).archived_at = utcnow()
    db.session.commit()
    client = signed_in(app, member(JobFunction.TECHNICAL))

    assert "Nimbus CRM Implementation" not in card_titles(html_of(client.get("/courses")))
    assert client.get(f"/courses/{IMPLEMENTATION}").status_code == 404
    assert client.get(f"/courses/{IMPLEMENTATION}/data-model").status_code == 404
    response = client.get(f"/courses/{IMPLEMENTATION}/files/images/data-model.svg")
    assert response.status_code == 404
    response.close()


# --- Home page ----------------------------------------------------------------------------


def next_step_title(html: str) -> str | None:
    match = re.search(r'<section class="card next-step">.*?<h3><a href="[^"]+">([^<]+)</a>',
                      html, re.S)
    return match.group(1) if match else None


def test_the_home_page_shows_the_next_step_of_the_path(app, content):
    client = signed_in(app, member(JobFunction.SALES))

    html = html_of(client.get("/"))
    assert "Your next step" in html
    assert next_step_title(html) == "Partner Program Essentials"
    assert "step 1 of 2" in html

    complete_over_http(client, PPE)

    html = html_of(client.get("/"))
    assert next_step_title(html) == "Selling Nimbus CRM"
    assert "step 2 of 2" in html

    complete_over_http(client, SELLING)

    assert "Your next step" not in html_of(client.get("/"))


def test_the_technical_path_leads_to_the_implementation_course(app, content):
    user = member(JobFunction.TECHNICAL)
    complete_directly(user, PPE)
    client = signed_in(app, user)

    assert next_step_title(html_of(client.get("/"))) == "Nimbus CRM Implementation"


# --- Progress of people -------------------------------------------------------------------


@pytest.fixture
def two_companies(app, content):
    ours = make_org(name="Sakura Systems K.K.")
    theirs = make_org(name="Fuji Partners K.K.")
    admin = make_user(Role.PARTNER_ADMIN, ours, name="Aoi Admin")
    done = member(org=ours, name="Ren Finished")
    halfway = member(JobFunction.TECHNICAL, org=ours, name="Mei Halfway")
    stranger = member(org=theirs, name="Kenji Elsewhere")
    complete_directly(done, PPE)
    complete_directly(halfway, PPE, 2)
    complete_directly(stranger, PPE)
    return {"ours": ours, "theirs": theirs, "admin": admin, "done": done,
            "halfway": halfway, "stranger": stranger}


def row_of(html: str, name: str) -> str:
    match = re.search(rf'<tr>\s*<th scope="row">(?:<a [^>]+>)?{re.escape(name)}.*?</tr>',
                      html, re.S)
    assert match, f"no row for {name}"
    return match.group(0)


def test_a_partner_admin_sees_their_company_only(app, two_companies):
    client = signed_in(app, two_companies["admin"])

    response = client.get("/progress")

    assert response.status_code == 200
    html = html_of(response)
    assert "Progress at Sakura Systems K.K." in html
    assert "Ren Finished" in html and "Mei Halfway" in html and "Aoi Admin" in html
    assert "Kenji Elsewhere" not in html and "Fuji Partners" not in html
    assert "Complete" in row_of(html, "Ren Finished")
    assert "40%" in row_of(html, "Mei Halfway")
    # Translations are merged into their original: one column per course group (and one
    # for valid credentials).
    assert html.count('<th scope="col" class="num">') == 3 + 1
    assert "パートナープログラムの基本" not in html


def test_a_partner_admin_reaches_only_their_own_company_page(app, two_companies):
    client = signed_in(app, two_companies["admin"])

    assert client.get(f"/progress/{two_companies['theirs'].slug}").status_code == 404
    assert client.get("/progress/no-such-company").status_code == 404
    response = client.get(f"/progress/{two_companies['ours'].slug}")
    assert response.status_code == 200
    assert "Ren Finished" in html_of(response)


def test_a_member_may_not_see_progress(app, two_companies):
    client = signed_in(app, two_companies["done"])

    assert client.get("/progress").status_code == 403
    assert client.get(f"/progress/{two_companies['ours'].slug}").status_code == 403


def test_a_manager_sees_every_active_partner(app, two_companies):
    inactive = make_org(name="Closed Partner K.K.", active=False)
    client = signed_in(app, make_user(Role.MANAGER))

    response = client.get("/progress")

    assert response.status_code == 200
    html = html_of(response)
    assert "Closed Partner" not in html
    ours = row_of(html, "Sakura Systems K.K.")
    theirs = row_of(html, "Fuji Partners K.K.")
    # Columns: Partner Program Essentials, Selling Nimbus CRM, Nimbus CRM Implementation.
    assert re.findall(r"(\d+) / (\d+)", ours) == [("1", "3"), ("0", "3"), ("0", "3")]
    assert re.findall(r"(\d+) / (\d+)", theirs) == [("1", "1"), ("0", "1"), ("0", "1")]
    for org in (two_companies["ours"], two_companies["theirs"]):
        page = client.get(f"/progress/{org.slug}")
        assert page.status_code == 200
    assert "Kenji Elsewhere" in html_of(client.get(f"/progress/{two_companies['theirs'].slug}"))
    assert client.get(f"/progress/{inactive.slug}").status_code == 200


# --- Query counts -------------------------------------------------------------------------


PAGES = ["/courses", "/courses/course-001", "/courses/course-000/part-2", "/"]


def test_pages_run_the_same_number_of_queries_whatever_the_number_of_courses(make_app,
                                                                             tmp_path):
    counts: dict[int, dict[str, int]] = {}
    email = None
    for n in (5, 50):
        root = tmp_path / f"content-{n}"
        write_course_tree(root, n, translated=lambda i: i % 4 == 0)
        app = make_app(LMS_CONTENT_DIR=str(root), LMS_QUIZZES_DIR=str(root / "no-quizzes"))
        with app.app_context():
            assert load_all().problems == []
            sync_content()
            assert db.session.scalar(db.select(func.count(Course.id))) == n + (n + 3) // 4
            if email is None:
                email = member(JobFunction.SALES).email
            client = app.test_client()
            assert login(client, email).status_code == 302
            assert client.post("/courses/course-000/part-1/complete").status_code == 302
            counts[n] = {}
            for page in PAGES:
                assert client.get(page).status_code == 200, page  # warm up
                with count_queries() as queries:
                    response = client.get(page)
                assert response.status_code == 200, page
                counts[n][page] = queries.n

    assert counts[5] == counts[50]


def test_the_progress_page_shows_onboarding_last_learning_and_credentials(app, two_companies):
    client = signed_in(app, two_companies["admin"])

    html = html_of(client.get("/progress"))

    # Ren finished the first of the two steps of the sales path, today.
    ren = row_of(html, "Ren Finished")
    assert "1 of 2" in ren and "never" not in ren and "Stalled" not in ren
    assert "a course at 100% still waits for its quiz" in html


def test_people_stalled_in_onboarding_are_listed_on_their_own(app, two_companies):
    now = utcnow()
    ours = two_companies["ours"]
    member(org=ours, name="Sora Silent", created_at=now - timedelta(days=8))
    idle = member(org=ours, name="Ida Idle", created_at=now - timedelta(days=60))
    complete_directly(idle, PPE, 1)
    db.session.query(LessonProgress).filter_by(user_id=idle.id).update(
        {"last_viewed_at": now - timedelta(days=20)})
    db.session.commit()
    member(org=two_companies["theirs"], name="Theo Theirs", created_at=now - timedelta(days=9))
    client = signed_in(app, two_companies["admin"])

    html = html_of(client.get("/progress?stalled=1"))

    assert "Stalled in onboarding (2)" in html
    assert "Sora Silent" in html and "Ida Idle" in html
    assert "Ren Finished" not in html and "Theo Theirs" not in html
    assert "Stalled" in row_of(html, "Ida Idle")


def test_the_progress_csv_has_every_person_of_the_company_only(app, two_companies):
    client = signed_in(app, two_companies["admin"])

    response = client.get("/progress.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, people = rows[0], {row[0]: row for row in rows[1:]}
    assert header[:8] == ["Person", "Email", "Job function", "Onboarding steps done",
                          "Onboarding steps", "Onboarding stalled", "Last learning",
                          "Valid credentials"]
    assert set(people) == {"Aoi Admin", "Ren Finished", "Mei Halfway"}
    assert people["Ren Finished"][header.index("Partner Program Essentials")] == "Complete"
    assert people["Mei Halfway"][header.index("Partner Program Essentials")] == "40%"
    assert people["Ren Finished"][3:5] == ["1", "2"]
    theirs = two_companies["theirs"].slug
    assert client.get(f"/progress/{theirs}.csv").status_code == 404


def test_managers_download_the_partners_progress_and_one_companys(app, two_companies):
    client = signed_in(app, make_user(Role.MANAGER))
    page = client.get("/progress").get_data(as_text=True)
    assert 'href="/progress.csv"' in page  # the download is offered where the grid is

    partners = client.get("/progress.csv").get_data(as_text=True)
    company = client.get(f"/progress/{two_companies['theirs'].slug}.csv").get_data(as_text=True)

    assert "Sakura Systems K.K." in partners and "Fuji Partners K.K." in partners
    assert "Kenji Elsewhere" in company and "Ren Finished" not in company
    member_client = signed_in(app, two_companies["done"])
    assert member_client.get("/progress.csv").status_code == 403


# --- Lesson outline and hand-off ------------------------------------------------------------


def test_the_lesson_page_has_the_outline_with_done_marks_and_the_current_lesson(app, content):
    client = signed_in(app, member())
    complete_over_http(client, PPE, PPE_LESSONS[:2])

    html = html_of(client.get(f"/courses/{PPE}/deal-registration"))

    outline = re.search(r'<details class="lesson-outline">(.*?)</details>', html, re.S).group(1)
    assert "2 of 5 lessons done" in outline
    assert outline.count('class="outline-done"') == 2
    assert outline.count('class="outline-open"') == 3
    assert re.search(rf'href="/courses/{PPE}/deal-registration"[^>]*aria-current="page"',
                     outline)
    # Previous and next at the top and at the bottom.
    assert html.count(f'rel="prev" href="/courses/{PPE}/rules-of-engagement"') == 2
    assert html.count(f'rel="next" class="lesson-pager-next" href="/courses/{PPE}/earning-gold"') \
        == 2


def test_the_last_lesson_hands_off_to_the_next_course_of_the_path(app, content):
    client = signed_in(app, member())
    complete_over_http(client, PPE, PPE_LESSONS)

    html = html_of(client.get(f"/courses/{PPE}/certifications-and-renewal"))

    assert "Next in your path" in html
    assert f'<a href="/courses/{SELLING}" lang="en">Selling Nimbus CRM</a>' in html
    assert f'href="/courses/{SELLING}/discovery-and-qualification">Start the course' in html
    # The course page says the same once the course is complete.
    assert "Next in your path" in html_of(client.get(f"/courses/{PPE}"))


def test_no_hand_off_while_lessons_remain(app, content):
    client = signed_in(app, member())
    complete_over_http(client, PPE, PPE_LESSONS[:3])

    last = html_of(client.get(f"/courses/{PPE}/certifications-and-renewal"))
    assert "Next in your path" not in last
    assert "Next in your path" not in html_of(client.get(f"/courses/{PPE}"))


def test_the_end_of_the_path_points_to_the_catalog(app, content):
    client = signed_in(app, member())
    complete_over_http(client, PPE, PPE_LESSONS)
    complete_over_http(client, SELLING)

    last = lessons_of(SELLING)[-1].slug
    html = html_of(client.get(f"/courses/{SELLING}/{last}"))

    assert "Course complete" in html and "Nothing left on your path" in html
    assert 'href="/courses">Browse courses' in html


# --- Covers and translated titles -----------------------------------------------------------


def test_a_locked_course_still_shows_its_cover(app, content):
    client = signed_in(app, member())
    catalog = html_of(client.get("/courses"))
    assert f'src="/courses/{SELLING}/cover"' in catalog

    response = client.get(f"/courses/{SELLING}/cover")  # locked until PPE is complete
    response.get_data()
    response.close()

    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert client.get(f"/courses/{SELLING}/files/images/cover.svg").status_code == 403


def test_a_course_without_a_cover_answers_404(app, tmp_path):
    root = tmp_path / "content"
    write_course_tree(root, 3)
    app.config.update(LMS_CONTENT_DIR=str(root), LMS_QUIZZES_DIR=str(tmp_path / "content-quizzes"))
    sync_content()
    client = signed_in(app, member())

    assert client.get("/courses/course-000/cover").status_code == 404
    assert client.get("/courses/no-such-course/cover").status_code == 404
    assert 'class="course-cover"' not in html_of(client.get("/courses"))


def test_a_japanese_reader_sees_path_and_quiz_titles_in_japanese(app):
    sync_content()  # the real courses, paths and quizzes
    client = signed_in(app, member(locale="ja"))

    home = html_of(client.get("/"))
    quizzes = html_of(client.get("/quizzes"))

    assert "営業オンボーディング" in home and "Sales onboarding" not in home
    assert "「パートナープログラムの基本」確認テスト" in quizzes
    assert "Partner Program Essentials quiz" not in quizzes
    english = signed_in(app, member())
    assert "Partner Program Essentials quiz" in html_of(english.get("/quizzes"))
