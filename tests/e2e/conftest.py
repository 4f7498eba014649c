"""Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) against live_server."""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make to set up data
# happen outside any coroutine, so Django's async guard would be a false alarm here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CMHUB_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


#: Runs in every document before its own scripts: a CSP violation (a blocked script, style, form target or
#: frame) becomes a console error, so it is caught even where Chromium would only fire the DOM event.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.fixture
def new_page(browser, live_server, request):
    """Opens a page in a browser context of its own (its own cookies: another person signed in), watched for
    problems: console errors, uncaught exceptions and CSP violations. `page.problems` lists them for
    assertions mid-journey, and any problem left at the end fails the test, so no page regresses silently.
    A test that provokes one on purpose takes it off the list (`page.problems.remove(...)`) once checked."""
    pages = []
    contexts = []

    def open_page(locale: str = "en-US"):
        context = browser.new_context(base_url=live_server.url, locale=locale)
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
        page.problems = problems
        pages.append(page)
        return page

    yield open_page
    left = [f"{page.url}: {problem}" for page in pages for problem in page.problems]
    for context in contexts:
        context.close()
    failed = getattr(request.node, "rep_call", None)
    if left and not (failed and failed.failed):  # a failing test already says what went wrong
        pytest.fail("Console errors or CSP violations in the browser:\n" + "\n".join(left), pytrace=False)


def pytest_collection_modifyitems(items):
    """Every test in this directory drives the browser: `make test-fast` leaves them out by this mark."""
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def send_worker():
    """A real Celery worker on the `send` queue, for journeys that watch a reply leave."""
    from tests.celery_workers import start_worker

    process = start_worker("send")
    yield process
    process.terminate()
    process.wait(timeout=20)
