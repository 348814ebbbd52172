"""Every role's pages fit a phone (390 px) and a laptop (1366 px), in English and Japanese:
nothing scrolls sideways, tables scroll inside their own box, the menu fits one row on a
laptop and folds away on a phone."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from lms.demo import DEMO_PASSWORD
from lms.extensions import db
from lms.models import Course, Lesson, User
from tests.browser.helpers import ENGLISH, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}

# Each role's pages: endpoints of the menu and what they lead to (a course and a lesson).
PAGES = {
    "member": ("sales@sakura-systems.demo.test",
               ["/", "/courses", "COURSE", "LESSON", "/quizzes", "/assets", "/deals",
                "/credentials", "/partners", "/account"]),
    "partner_admin": ("admin@sakura-systems.demo.test",
                      ["/", "/admin/users", "/progress", "/credentials/expiring", "/partners",
                       "/deals"]),
    "manager": ("manager@demo.test",
                ["/", "/partners", "/reports/tiers", "/reports/kpis", "/reports/health",
                 "/deals", "/reports/assets", "/admin/quizzes", "/credentials/expiring",
                 "/progress"]),
    "admin": ("admin@demo.test", ["/", "/admin/", "/admin/users", "/admin/organizations",
                                  "/admin/audit", "/admin/api-tokens"]),
}

# What overflows: the page itself, or an element sticking out of the screen (tables may
# scroll inside their .table-wrap; what is inside a scrolling box is not measured).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  if (document.documentElement.scrollWidth > width + 1) {
    wide.push(`page ${document.documentElement.scrollWidth}px`);
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.table-wrap, .chart-table, .prose table, pre')) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right > width + 1) {
      wide.push(`${el.tagName.toLowerCase()}.${el.className} right ${Math.round(box.right)}px`);
      if (wide.length > 5) break;
    }
  }
  return wide;
}"""

MENU_ROWS = """() => {
  const items = [...document.querySelectorAll('.main-nav > ul > li')];
  return new Set(items.map(li => Math.round(li.getBoundingClientRect().top))).size;
}"""


@contextmanager
def reading(app, email: str, locale: str):
    """The person reads `locale` for the test (their saved choice is put back after)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        saved, user.locale = user.locale, locale
        db.session.commit()
    try:
        yield
    finally:
        with app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            user.locale = saved
            db.session.commit()


def _paths(app, paths: list[str]) -> list[str]:
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug.like("partner-program%"))
                                   .order_by(Course.id))
        lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course.id)
                                   .order_by(Lesson.position))
        named = {"COURSE": f"/courses/{course.slug}",
                 "LESSON": f"/courses/{course.slug}/{lesson.slug}"}
    return [named.get(path, path) for path in paths]


@pytest.mark.parametrize("locale", ["en", "ja"])
@pytest.mark.parametrize("role", list(PAGES))
def test_no_page_scrolls_sideways_on_a_phone_or_a_laptop(open_page, live_server, role, locale):
    email, paths = PAGES[role]
    paths = _paths(live_server.app, paths)
    problems = []
    with reading(live_server.app, email, locale):
        for name, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
            page = open_page(viewport=viewport)
            sign_in(page, email, DEMO_PASSWORD, ENGLISH)
            for path in paths:
                response = page.goto(path)
                assert response.status == 200, (path, response.status)
                assert page.locator("html").get_attribute("lang") == locale
                wide = page.evaluate(OVERFLOW)
                if wide:
                    problems.append(f"{name} {path}: {wide}")
            if name == "laptop":
                for width in (1280, LAPTOP["width"]):
                    page.set_viewport_size({"width": width, "height": LAPTOP["height"]})
                    rows = page.evaluate(MENU_ROWS)
                    if rows != 1:
                        problems.append(f"menu of {role} in {locale} at {width} px: {rows} rows")
            page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", ["en", "ja"])
def test_the_phone_menu_folds_away_and_opens_without_javascript(open_page, live_server,
                                                                locale):
    page = open_page(viewport=PHONE, java_script_enabled=False)
    email = "manager@demo.test"
    with reading(live_server.app, email, locale):
        sign_in(page, email, DEMO_PASSWORD, ENGLISH)
        page.goto("/reports/kpis")
        header = page.locator(".site-header").bounding_box()
        assert header["height"] < 120  # of 844: the page starts on the first screen
        reports = page.locator(".main-nav a[href='/reports/tiers']")
        assert not reports.is_visible()
        page.locator(".menu-toggle").click()
        page.locator(".nav-group > details > summary").first.click()
        assert reports.is_visible()
        reports.click()
        assert page.url.endswith("/reports/tiers")


VISIBLE_IN_BOX = """([selector]) => {
  const cell = document.querySelector(selector);
  const box = cell.closest('.table-wrap').getBoundingClientRect();
  const rect = cell.getBoundingClientRect();
  return rect.left >= box.left - 1 && rect.right <= box.right + 1;
}"""


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_key_columns_are_in_view_without_scrolling_the_table(open_page, viewport):
    """Who, and where they stand: the tier report's partner and status, a deal's status."""
    page = open_page(viewport=viewport)
    sign_in(page, "manager@demo.test", DEMO_PASSWORD, ENGLISH)
    page.goto("/reports/tiers?tier=gold")
    for selector in ("thead th:first-child", "thead th.status-cell", "tbody td.status-cell"):
        assert page.evaluate(VISIBLE_IN_BOX, [".report-table " + selector]), selector
    page.goto("/deals")
    for selector in ("thead th:first-child", "thead th.status-cell", "tbody td.status-cell"):
        assert page.evaluate(VISIBLE_IN_BOX, [".table " + selector]), selector


def test_the_lesson_outline_stands_beside_the_lesson_on_a_laptop_and_folds_on_a_phone(
        open_page, live_server):
    lesson = _paths(live_server.app, ["LESSON"])[0]
    page = open_page(viewport=LAPTOP)
    sign_in(page, "sales@sakura-systems.demo.test", DEMO_PASSWORD, ENGLISH)
    page.goto(lesson)
    outline = page.locator(".lesson-outline .outline-list")
    assert outline.is_visible()
    assert not page.locator(".lesson-outline > summary").is_visible()
    beside = outline.bounding_box()
    article = page.locator("article.lesson").bounding_box()
    assert beside["x"] + beside["width"] <= article["x"]  # to its left, not above it
    assert page.locator(".lesson-pager-top a[rel=next]").is_visible()

    page.set_viewport_size(PHONE)
    assert not outline.is_visible()
    page.locator(".lesson-outline > summary").click()
    assert outline.is_visible()


def test_action_tiles_fit_a_phone(open_page):
    page = open_page(viewport=PHONE)
    sign_in(page, "manager@demo.test", DEMO_PASSWORD, ENGLISH)
    page.goto("/")
    tiles = page.locator(".action-tile")
    assert tiles.count() == 6
    for n in range(tiles.count()):
        box = tiles.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
