"""Browser tests: the demo program served on localhost, driven by Debian's headless Chromium.

`pytest tests/browser` runs them; `--screenshots` (or LMS_SCREENSHOTS=1) also writes the key
pages to docs/screenshots/. Without /usr/bin/chromium they are skipped, unless
LMS_BROWSER_REQUIRED=1 (CI) makes a missing browser a failure. No browser is ever downloaded.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from lms import create_app
from lms.extensions import db

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# Two slow cores, maybe shared with another suite: generous, but a real hang still fails.
ACTION_TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 30_000


def _unavailable(reason: str) -> None:
    """Skip, or fail when the environment says browser tests must run (CI)."""
    if os.environ.get("LMS_BROWSER_REQUIRED") == "1":
        pytest.fail(f"{reason} (LMS_BROWSER_REQUIRED=1 requires the browser tests)",
                    pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_available() -> None:
    """Checked before the (slow) server is built, so a skip costs nothing."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install Debian's chromium package "
                     "to run the browser tests")


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


def _buffered(app: Flask) -> WSGIApplication:
    """The app with each response read whole and closed before the server writes a byte.

    werkzeug's development server (3.1) drains the request after the response, and when the
    browser resets the connection during that drain (it does, navigating away while a
    favicon is in flight) the reset skips the response's close(): the static file stays
    open, is garbage-collected later with a ResourceWarning, and pytest fails whichever test
    is running. A closed list has nothing to leak; every test response is small.
    """

    def buffered(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return buffered


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request; errors are still logged by the app."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture(scope="session")
def live_server(browser_available, tmp_path_factory) -> Iterator[LiveServer]:
    """The app with the demo program on its own SQLite file, served in a background thread.

    Real forms: CSRF on. Sign-in rate limits off (many sign-ins from one address).
    """
    from lms import demo
    from lms.cli import sync_content_or_fail, upgrade_database

    folder = tmp_path_factory.mktemp("browser")
    app = create_app({
        "LMS_ENV": "test",
        "TESTING": False,
        "SECRET_KEY": "browser-tests-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(folder / "browser.db"),
        "LMS_UPLOAD_DIR": str(folder / "uploads"),
        "WTF_CSRF_ENABLED": True,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "LMS_SMTP_HOST": "",  # invitation links are shown to the inviter, never mailed
        "SERVER_NAME": None,
    })
    with app.app_context():
        upgrade_database()
        sync_content_or_fail()  # what `lms demo` does first; load_demo syncs nothing itself
        demo.load_demo()
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True,
                         request_handler=_QuietRequestHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    # Known only once the port is: credential and invitation links must point here.
    app.config["LMS_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url, app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="session")
def chromium(browser_available):
    """One headless Chromium for the session (Debian's, never a downloaded one)."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def open_page(chromium, live_server, tmp_path) -> Iterator[Callable[..., object]]:
    """`open_page()` -> a Page in a new browser context (its own cookies: a separate person).

    English unless the person chooses otherwise; every context is closed after the test.
    """
    contexts = []

    def factory(**options):
        settings = {"base_url": live_server.url, "locale": "en-US",
                    "timezone_id": "Asia/Tokyo", "viewport": {"width": 1280, "height": 900},
                    "accept_downloads": True} | options
        context = chromium.new_context(**settings)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    factory.contexts = contexts
    factory.failure_dir = tmp_path
    yield factory
    for context in contexts:
        context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """When a browser test fails, keep a picture of every page it had open (for CI logs)."""
    report = yield
    factory = getattr(item, "funcargs", {}).get("open_page")
    if report.when == "call" and report.failed and factory is not None:
        paths = []
        for n, context in enumerate(factory.contexts, start=1):
            for m, page in enumerate(context.pages, start=1):
                path = factory.failure_dir / f"failure-context{n}-page{m}.png"
                try:
                    page.screenshot(path=str(path), full_page=True, timeout=10_000)
                except Exception as error:  # the picture is a bonus, never a second failure
                    paths.append(f"{page.url}: no screenshot ({error.__class__.__name__})")
                else:
                    paths.append(f"{page.url}: {path}")
        if paths:
            report.sections.append(("browser pages at the failure", "\n".join(paths)))
    return report


@pytest.fixture(scope="session")
def screenshots_enabled(pytestconfig: pytest.Config) -> bool:
    # The option exists only when this conftest is loaded at start-up (tests/browser given
    # on the command line); the environment variable works however pytest is started.
    return bool(pytestconfig.getoption("screenshots", default=False)) or \
        os.environ.get("LMS_SCREENSHOTS") == "1"


@pytest.fixture
def screenshot(screenshots_enabled) -> Callable[..., None]:
    """`screenshot(page, "browser-x.png")`: the whole page (or, with `full_page=False`, the
    screen), only when screenshots are asked for."""

    def take(page, name: str, full_page: bool = True) -> None:
        if not screenshots_enabled:
            return
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), full_page=full_page,
                        animations="disabled", caret="hide")
        logging.getLogger(__name__).info("screenshot written: %s", SCREENSHOT_DIR / name)

    return take
