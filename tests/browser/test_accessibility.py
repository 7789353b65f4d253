"""Accessibility (issue 11): axe-core (tests/browser/axe.py, vendored) finds no violation of
WCAG 2.x A and AA, nor of its best practices, on every page, in English and in Arabic (right to
left), light and dark; and every action of the console can be reached by keyboard, with a
visible focus.

One server per language, at 11 a.m. on the Wednesday of the shipped programme (a meeting in
session), with overrides in force (a delay, an announcement) made through the real API, so that
the pages show their lists, their Undo buttons and their banners."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Literal

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests._staff import PASSWORD, accounts, bearer
from tests.conftest import make_config, spawn_server, stop_server

from .axe import AXE, VENDOR, describe, version, violations
from .conftest import Watched

NewPage = Callable[..., Watched]
DESK: ViewportSize = {"width": 1280, "height": 1000}
PHONE: ViewportSize = {"width": 390, "height": 844}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
AT = "2023-12-13T11:00:00"
LOGIN = {"en": "Log in", "ar": "تسجيل الدخول"}


@pytest.fixture(scope="module", params=["en", "ar"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(language, the server's URL): a secretariat account "sam", two overrides in force."""
    language: str = request.param
    folder = tmp_path_factory.mktemp(f"a11y-{language}")
    files = {"settings.toml": f'language = "{language}"\n'}
    config = make_config(folder / "config", files=files)
    data = folder / "data"
    staff = (("sam", "secretariat", None),)
    token = accounts(data, users=staff, tokens=(("t", "secretariat", None),))
    server = spawn_server(config, data, folder / "server.log", at=AT)
    try:
        for body in (
            {"kind": "pointer", "text": "Sub-item (c): confidence-building measures"},
            {"kind": "announce", "text": "Coffee is served in the lounge"},
            {"kind": "announce", "text": "Fire alarm test at 11.30 a.m.", "priority": "urgent"},
        ):
            response = httpx.post(
                f"{server.url}/api/overrides",
                headers=bearer(token["t"]),
                json={"room": "cr4", **body},
                timeout=30,
            )
            assert response.status_code == 201, response.text
        yield language, server.url
    finally:
        stop_server(server)


def test_the_vendored_axe_core_is_the_one_recorded() -> None:
    """axe.min.js is the file axe-core.txt names, by its sha256 and its banner (as
    ``bash scripts/vendor_axe.sh`` checks it), with its licence beside it."""
    record = dict(
        line.split(" = ", 1)
        for line in (VENDOR / "axe-core.txt").read_text(encoding="utf-8").splitlines()
        if " = " in line
    )
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == record["sha256"]
    assert AXE.read_text(encoding="utf-8").startswith(f"/*! axe v{version()}\n")
    assert "Mozilla Public License" in (VENDOR / "LICENSE.axe-core").read_text(encoding="utf-8")


def live(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("data-connection", "online")


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/chair")
    page.fill("#name", "sam")
    page.fill("#password", PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#console-cr4")).to_be_visible()
    live(page)
    expect(page.locator("#console-screens")).to_be_visible()
    page.locator("#other-action > summary").click()  # the form of every field, too


def test_every_page_has_no_accessibility_violation(
    site: tuple[str, str], new_page: NewPage
) -> None:
    """Each page in its states worth checking, light and dark (the displays are always dark),
    every violation listed at once."""
    language, url = site
    found: list[str] = []

    def check(
        watched: Watched,
        what: str,
        schemes: tuple[Literal["light", "dark"], ...] = ("light", "dark"),
    ) -> None:
        for scheme in schemes:
            watched.page.emulate_media(color_scheme=scheme)
            result = violations(watched.page)
            if result:
                found.append(describe(result, f"{what} ({language}, {scheme})"))
        watched.checked = True

    # One page for the staff's pages (log in, the console, the history), one for the others.
    staff = new_page(viewport=DESK)
    page = staff.page
    page.goto(f"{url}/chair")
    check(staff, "the login page")
    page.fill("#name", "sam")
    page.fill("#password", "wrong password")
    page.get_by_role("button", name=LOGIN[language]).click()
    expect(page.locator("p.error")).to_be_visible()
    check(staff, "the login page, after a wrong password")

    log_in(page, url)
    check(staff, "the console")
    page.select_option("#f-kind", "announce")
    page.fill("#f-text", "Lunch is served")
    page.locator("#override-form button[type=button]").click()  # the preview
    expect(page.locator("#console-preview .preview")).to_be_visible()
    page.locator("#override-form button[type=submit]").click()
    expect(page.locator("#console-message .ok")).to_be_visible()
    check(staff, "the console, with a preview and a message")

    page.goto(f"{url}/chair/history?room=cr4")
    expect(page.locator("table.history")).to_be_visible()
    check(staff, "the history")

    # A reader whose phone asks for the server's language (phones follow Accept-Language).
    public = new_page(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        extra_http_headers={"Accept-Language": language},
    )
    for path in ("/", "/rooms/cr4"):
        public.page.goto(url + path)
        live(public.page)
        check(public, f"the phone page {path}")

    public.page.goto(f"{url}/display/cr4")
    live(public.page)
    for viewport in (LANDSCAPE, PORTRAIT):
        public.page.set_viewport_size(viewport)
        expect(public.page.locator("#display-now .banner").first).to_be_visible()
        size = f"{viewport['width']}×{viewport['height']}"
        check(public, f"the display /display/cr4 ({size})", ("dark",))  # always dark

    public.page.set_viewport_size(DESK)
    for path in ("/display/", "/rooms/nowhere"):
        public.page.goto(url + path)
        check(public, f"the page {path}")

    assert not found, "\n\n".join(found)


# --- the keyboard -------------------------------------------------------------------------------

# What a person can act on: each must be reached by Tab, and show where the focus is.
INTERACTIVE = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary,"
    " [tabindex]:not([tabindex='-1']), [contenteditable]"
)
# htmx acts on a click by default: any element with a request and no other trigger.
CLICKED = "[hx-get]:not([hx-trigger]), [hx-post]:not([hx-trigger])"
NATIVE = {"A", "BUTTON", "INPUT", "SELECT", "TEXTAREA", "FORM"}

MARK = """
(selector) => {
  // The content of a closed <details> is not shown (its summary is).
  const folded = (el) => {
    const closed = el.closest("details:not([open])");
    return closed !== null && !(el.tagName === "SUMMARY" && el.parentElement === closed);
  };
  const shown = (el) => !el.disabled && el.getClientRects().length > 0 && !folded(el)
    && getComputedStyle(el).visibility !== "hidden" && !el.closest("[inert], [hidden], template");
  const els = [...document.querySelectorAll(selector)].filter(shown);
  els.forEach((el, i) => { el.dataset.kbd = String(i); });
  return els.map((el) => el.outerHTML.slice(0, 100));
}
"""
# The focus ring as computed: outline and box-shadow, and the outline's contrast with the
# background the element sits on (WCAG 1.4.11: 3:1).
RING = """
(kbd) => {
  const el = kbd === null ? document.activeElement : document.querySelector(`[data-kbd="${kbd}"]`);
  if (!el || !el.dataset || el.dataset.kbd === undefined) return null;
  const s = getComputedStyle(el);
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let bg = [255, 255, 255];
  for (let node = el.parentElement; node; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) { bg = c; break; }
  }
  const [a, b] = [luminance(rgb(s.outlineColor)), luminance(bg)].sort((x, y) => y - x);
  return {
    kbd: el.dataset.kbd, style: s.outlineStyle, width: parseFloat(s.outlineWidth),
    look: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor} ${s.boxShadow}`,
    contrast: (a + 0.05) / (b + 0.05),
  };
}
"""


def tab_through(page: Page) -> list[str]:
    """Tab from the top of ``page`` through every interactive element: each is reached, with an
    outline of 2 px or more, unlike its look unfocused, at 3:1 against what is behind it.
    The problems found (none: an empty list)."""
    problems = []
    clicked = page.eval_on_selector_all(CLICKED, "(els) => els.map((el) => el.tagName)")
    problems += [
        f"a {tag} acts on a click but is no control" for tag in clicked if tag not in NATIVE
    ]
    elements: list[str] = page.evaluate(MARK, INTERACTIVE)
    assert elements, "nothing to tab to"
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    unfocused = [page.evaluate(RING, str(i))["look"] for i in range(len(elements))]
    reached: dict[str, dict[str, object]] = {}
    # A date-and-time field takes several Tabs (day, month, year, hours...).
    for _ in range(8 * len(elements) + 8):
        page.keyboard.press("Tab")
        ring = page.evaluate(RING, None)
        if ring is not None:
            reached.setdefault(str(ring["kbd"]), ring)
        if len(reached) == len(elements):
            break
    for i, html in enumerate(elements):
        ring = reached.get(str(i))
        if ring is None:
            problems.append(f"never reached by Tab: {html}")
        elif ring["style"] == "none" or float(str(ring["width"])) < 2:
            problems.append(f"no visible focus ({ring['look']}): {html}")
        elif ring["look"] == unfocused[i]:
            problems.append(f"looks the same focused: {html}")
        elif float(str(ring["contrast"])) < 3:
            problems.append(f"focus ring at {float(str(ring['contrast'])):.2f}:1: {html}")
    return problems


def test_every_action_is_reached_by_keyboard_with_a_visible_focus(
    site: tuple[str, str], new_page: NewPage
) -> None:
    """The console (a secretariat's: the revision form too), light and dark, on a desk and on a
    phone; the history; the phone pages.  And the keyboard acts: Enter on an Undo undoes."""
    _, url = site
    problems: list[str] = []
    console = new_page(viewport=DESK)
    page = console.page
    log_in(page, url)
    # Every action's small form open: each of their fields checked too.
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    looks: list[tuple[ViewportSize, Literal["light", "dark"]]] = [
        (DESK, "light"),
        (DESK, "dark"),
        (PHONE, "light"),
    ]
    for viewport, scheme in looks:
        page.set_viewport_size(viewport)
        page.emulate_media(color_scheme=scheme)
        found = tab_through(page)
        problems += [f"console {viewport['width']} px, {scheme}: {p}" for p in found]
    console.checked = True  # by the other test
    history = new_page(viewport=DESK, extra_http_headers={"Accept-Language": site[0]})
    history.page.context.add_cookies(page.context.cookies())
    for path in ("/chair/history?room=cr4", "/", "/rooms/cr4"):
        history.page.goto(url + path)
        problems += [f"{path}: {p}" for p in tab_through(history.page)]
    history.checked = True
    assert not problems, "\n".join(problems)

    # Enter on the console's first Undo (found by Tab alone) takes the override back.
    page.goto(f"{url}/chair")
    live(page)
    undo = page.locator("#console-cr4 button.undo")
    before = undo.count()
    assert before > 0
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('undo')"):
            break
    else:
        pytest.fail("Tab never reached an Undo button")
    page.keyboard.press("Enter")
    expect(page.locator("#console-message .ok")).to_be_visible()
    expect(undo).to_have_count(before - 1)
