"""Browser tests: Debian's chromium (never a downloaded one), driven by Playwright's sync API,
against real ``dashboard serve`` processes (``start_server`` from tests/conftest.py).

Every page opened through ``new_page`` is watched: console errors, uncaught script errors and
Content-Security-Policy violations are collected, and ``Watched.assert_clean()`` fails on any.
And every such page is checked for accessibility when its test has passed: axe-core
(tests/browser/axe.py) runs on the page as the test left it, and any violation fails the test
(at teardown).  A test that checks its pages itself sets ``Watched.checked``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from tests.conftest import ARTIFACTS

from .axe import describe, violations

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Runs in every page before its own scripts (injected by the browser, so the CSP does not
# apply to it): report each CSP violation to Python through an exposed binding.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (e) => {
  const blocked = e.blockedURI || "inline";
  window.__reportCsp(`${e.violatedDirective} blocked ${blocked} at ${e.documentURI}`);
});
"""


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One chromium for all the browser tests.

    Package-scoped rather than session-scoped on purpose: while the sync API is alive its event
    loop counts as running in this thread, which breaks every pytest-asyncio test collected after
    this package.  Package scope still launches chromium once, and closes it when the package ends.
    """
    if not CHROMIUM.exists():
        # Failing, not skipping: a browser test that silently does not run cannot fail.
        pytest.fail(
            f"{CHROMIUM} not found: run `bash scripts/install.sh --test` (Debian's chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        # The first page of a fresh browser is slow to open; the boundary tests have about a
        # second between the server starting and the boundary, so pay that cost here.
        warm = browser.new_page()
        warm.goto("about:blank")
        warm.close()
        yield browser
        browser.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (``DASHBOARD_ARTIFACTS``, default ./artifacts)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@dataclass
class Watched:
    """A page and everything it complained about."""

    page: Page
    problems: list[str] = field(default_factory=list)
    navigations: int = 0
    checked: bool = False  # for accessibility, by the test itself: not again at teardown

    def assert_clean(self, allow: Callable[[str], bool] = lambda problem: False) -> None:
        """Fail on any console error, script error or CSP violation not ``allow``-ed."""
        unexpected = [p for p in self.problems if not allow(p)]
        assert not unexpected, "the page reported problems:\n" + "\n".join(unexpected)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Each phase's report kept on the test (``item.stash[PASSED]``), for the fixtures'
    teardown to know whether the test's body passed."""
    report = yield
    if report.when == "call":
        item.stash[PASSED] = report.passed
    return report


PASSED = pytest.StashKey[bool]()


def check_accessibility(pages: list[Watched]) -> None:
    """axe on each page still open on a page of ours, as the test left it."""
    found = []
    for watched in pages:
        page = watched.page
        if watched.checked or page.is_closed() or not page.url.startswith("http"):
            continue
        result = violations(page)
        if result:
            found.append(describe(result, page.url))
    assert not found, "\n\n".join(found)


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Callable[..., Watched]]:
    """``new_page(viewport=..., is_mobile=..., color_scheme=...)``: a page in a fresh context
    (the keyword arguments are ``Browser.new_context``'s), watched for problems, and checked
    for accessibility at the end of a test that passed."""
    contexts: list[BrowserContext] = []
    pages: list[Watched] = []

    def open_page(**options: Any) -> Watched:
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                watched.problems.append(f"console: {message.text} ({message.location['url']})")

        def on_navigation(frame: Any) -> None:
            if frame == page.main_frame:
                watched.navigations += 1

        page.on("console", on_console)
        page.on("pageerror", lambda error: watched.problems.append(f"script error: {error}"))
        page.on("framenavigated", on_navigation)
        context.expose_function("__reportCsp", lambda text: watched.problems.append(f"CSP: {text}"))
        context.add_init_script(REPORT_CSP)
        pages.append(watched)
        return watched

    yield open_page
    try:
        if request.node.stash.get(PASSED, False):
            check_accessibility(pages)
    finally:
        for context in contexts:
            context.close()


LAYOUT = """
(selectors) => {
  const root = document.scrollingElement;
  const boxes = {};
  for (const selector of selectors) {
    const el = document.querySelector(selector);
    if (!el) { boxes[selector] = null; continue; }
    const r = el.getBoundingClientRect();
    boxes[selector] = {top: r.top, left: r.left, bottom: r.bottom, right: r.right};
  }
  return {
    scrollHeight: root.scrollHeight, scrollWidth: root.scrollWidth,
    width: window.innerWidth, height: window.innerHeight, boxes,
  };
}
"""


def assert_fits(page: Page, selectors: list[str]) -> None:
    """No scrolling either way, and each of ``selectors`` wholly inside the viewport."""
    layout = page.evaluate(LAYOUT, selectors)
    width, height = layout["width"], layout["height"]
    assert layout["scrollHeight"] <= height, f"vertical scrolling: {layout}"
    assert layout["scrollWidth"] <= width, f"horizontal scrolling: {layout}"
    for selector, box in layout["boxes"].items():
        assert box is not None, f"{selector} is missing"
        inside = box["top"] >= 0 and box["left"] >= 0
        inside = inside and box["bottom"] <= height + 0.5 and box["right"] <= width + 0.5
        assert inside, f"{selector} is not wholly on a {width}×{height} screen: {box}"


CONTRAST = """
(selector) => {
  const rgba = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const el = document.querySelector(selector);
  if (!el) return null;
  const fg = rgba(getComputedStyle(el).color);
  let bg = [255, 255, 255];
  for (let node = el; node; node = node.parentElement) {
    const c = rgba(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { bg = c; break; }
  }
  const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}
"""


def contrast(page: Page, selector: str) -> float:
    """The WCAG contrast ratio of an element's text against the first opaque background behind
    it, as the browser computed them."""
    ratio = page.evaluate(CONTRAST, selector)
    assert ratio is not None, f"{selector} is missing"
    return float(ratio)
