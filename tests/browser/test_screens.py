"""Every state unmissable on every screen, in every language (issue 10): the Chromium matrix.

Each state of tests/browser/scenarios.py (the gallery's too) is made through the real API on a
real server started with ``--at``, one server per language and group, and shown at 1920×1080
and 1080×1920 (the door display) and 390×844 (the phone's room page), in English, Arabic and
Chinese.  Each check asserts:

* the headline says the scenario's state (``data-say``), and the meeting shown large is the
  one it speaks of;
* no element overflows the viewport (the display; the phone scrolls, but never sideways) or
  its box, and no box clips its content, except the texts clamped on purpose (announcements,
  the programme's title, sub-lines: ``data-clamp``);
* the headline, the current title and the next title are wholly visible: inside the viewport
  and every clipping box, and not cut by line clamping either (scrollHeight ≤ clientHeight);
* on a display the headline is at least 56 px, the largest text after the room's name;
* announcements keep to their area, urgent ones first;
* in Arabic the page is right to left and every text from the programme or an override is
  ``dir="auto"`` (or isolated in a ``<bdi>``).

Offline, the display says since when, then that it shows the printed programme, and drops an
announcement when it expires, by its own clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.scenarios import (
    GROUPS,
    LANGUAGES,
    SCENARIOS,
    UNCONFIRMED_AFTER,
    VIEWPORTS,
    Group,
    Running,
    Scenario,
    kill,
    serve,
    settle,
    show,
    wait_until,
)

# Everything a check needs, measured by the browser.
MEASURE = """
({phone}) => {
  const W = window.innerWidth, H = window.innerHeight;
  const shown = (el) => {
    if (el.closest("template, [hidden], svg")) return false;
    const s = getComputedStyle(el);
    if (s.display === "none" || s.visibility === "hidden") return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 || r.height > 0;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className
      ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const clips = (s) => s.overflowX !== "visible" || s.overflowY !== "visible";
  const box = (el) => {
    // The nearest ancestor that has a box (display: contents has none).
    let p = el.parentElement;
    while (p && getComputedStyle(p).display === "contents") p = p.parentElement;
    return p;
  };
  const inside = (r, o, slack = 1) => r.left >= o.left - slack && r.right <= o.right + slack
    && r.top >= o.top - slack && r.bottom <= o.bottom + slack;
  const viewport = {left: 0, top: phone ? -1e9 : 0, right: W, bottom: phone ? 1e9 : H};
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el)) continue;
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (!inside(r, viewport)) {
      problems.push(`${name(el)} leaves the viewport: ${JSON.stringify(r)}`);
    }
    const clamped = el.closest("[data-clamp]");
    if (clips(s) && !clamped && el.tagName !== "PROGRESS"
        && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) {
      problems.push(`${name(el)} clips its content: ${el.scrollWidth}×${el.scrollHeight}`
        + ` in ${el.clientWidth}×${el.clientHeight}`);
    }
    const parent = box(el);
    if (parent && parent !== document.body && s.display !== "inline" && !clamped
        && s.position !== "fixed" && !inside(r, parent.getBoundingClientRect(), 2)) {
      problems.push(`${name(el)} overflows ${name(parent)}`);
    }
  }
  if (document.scrollingElement.scrollWidth > W) problems.push("the page scrolls sideways");
  if (!phone && document.scrollingElement.scrollHeight > H) problems.push("the page scrolls");
  // Wholly visible: shown, in the viewport and every clipping box, not cut by a clamp.
  const whole = (el) => {
    if (!el || !shown(el)) return false;
    const r = el.getBoundingClientRect();
    if (!inside(r, viewport) || el.scrollHeight > el.clientHeight + 1) return false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      if (clips(getComputedStyle(p)) && p !== document.body && p !== document.documentElement
          && !inside(r, p.getBoundingClientRect())) return false;
    }
    return true;
  };
  const root = document.querySelector("#display-now, #room-now");
  const status = root.querySelector(".status");
  const focus = root.querySelector("[data-focus]");
  const focusTitle = focus && focus.querySelector(".headline");
  const nextTitle = root.querySelector(".side .headline");
  const size = (el) => parseFloat(getComputedStyle(el).fontSize);
  // The largest text other than the room's name and the headline.
  let largest = 0, largestName = "";
  for (const el of document.body.querySelectorAll("*")) {
    if (!shown(el) || el.closest(".room-name, .status")) continue;
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    if (size(el) > largest) { largest = size(el); largestName = name(el); }
  }
  // Texts from the programme or an override, and whether they are isolated.
  const isolated = [...root.querySelectorAll(
    "[data-fit], .subline, .note, .banner .text, .gone-list .title, .pointer bdi")]
    .concat([...document.querySelectorAll(".display-head .meeting, .display-head .session")])
    .filter((el) => !el.closest("template"))
    .map((el) => [name(el), el.tagName === "BDI" || el.getAttribute("dir") === "auto"]);
  const banners = [...root.querySelectorAll(".banner")].filter(shown);
  return {
    problems,
    say: status.dataset.say,
    statusWhole: whole(status),
    statusSize: size(status),
    roomSize: size(document.querySelector(".room-name, h1")),
    largest, largestName,
    focus: focus ? focus.className : null,
    focusTitle: focusTitle ? whole(focusTitle) : null,
    nextTitle: nextTitle ? whole(nextTitle) : null,
    banners: banners.map((b) => b.classList.contains("banner-urgent") ? "urgent" : "normal"),
    isolated,
    dir: document.documentElement.dir,
    connection: document.documentElement.dataset.connection,
    mark: (() => { const m = document.querySelector(".connection");
      return m && shown(m) ? {text: m.textContent, whole: whole(m)} : null; })(),
  };
}
"""


def measure(page: Page, view: str) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(MEASURE, {"phone": view == "phone"})
    return result


def check(page: Page, view: str, scenario: Scenario, language: str) -> list[str]:
    """What is wrong with ``page`` showing ``scenario`` (nothing: an empty list)."""
    m = measure(page, view)
    where = f"{language} {scenario.name} {view}"
    problems = [f"{where}: {p}" for p in m["problems"]]
    if m["say"] != scenario.say:
        problems.append(f"{where}: the headline says {m['say']!r}, not {scenario.say!r}")
    if not m["statusWhole"]:
        problems.append(f"{where}: the headline is not wholly visible")
    if (m["focus"] or None) != scenario.focus:
        problems.append(
            f"{where}: the meeting shown large is {m['focus']!r}, not {scenario.focus!r}"
        )
    if m["focusTitle"] is False:
        problems.append(f"{where}: the current meeting's title is cut")
    if m["nextTitle"] is False:
        problems.append(f"{where}: the next meeting's title is cut")
    if view != "phone":
        if m["statusSize"] < 56:
            problems.append(f"{where}: the headline is {m['statusSize']} px (56 at least)")
        if not m["largest"] < m["statusSize"] < m["roomSize"]:
            problems.append(
                f"{where}: the headline ({m['statusSize']} px) is not the largest text after"
                f" the room's name ({m['roomSize']} px): {m['largestName']} is {m['largest']} px"
            )
    shown = m["banners"]
    if scenario.banners >= 0 and len(shown) != scenario.banners:
        problems.append(f"{where}: {len(shown)} announcements shown, not {scenario.banners}")
    if "urgent" in shown and shown[0] != "urgent":
        problems.append(f"{where}: an urgent announcement is not first: {shown}")
    if language == "ar":
        if m["dir"] != "rtl":
            problems.append(f"{where}: the page is not right to left")
        problems += [f"{where}: {el} is not dir=auto" for el, ok in m["isolated"] if not ok]
    return problems


@pytest.fixture(scope="module")
def pages(browser: Browser) -> Iterator[dict[str, Page]]:
    """One page per view, reused by every check of the module."""
    opened = {
        view: browser.new_page(viewport=size, is_mobile=view == "phone", has_touch=view == "phone")
        for view, size in VIEWPORTS.items()
    }
    yield opened
    for page in opened.values():
        page.close()


def check_group(
    pages: dict[str, Page], group: Group, language: str, folder: Path
) -> Iterator[tuple[Running, Scenario, list[str]]]:
    with serve(group, language, folder) as running:
        for scenario in group.scenarios:
            problems: list[str] = []
            for view, page in pages.items():
                show(page, running, scenario, view)
                problems += check(page, view, scenario, language)
            yield running, scenario, problems


ONLINE = [g for g in GROUPS if not g.offline]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("group", ONLINE, ids=[g.name for g in ONLINE])
def test_every_state_is_unmissable(
    pages: dict[str, Page], group: Group, language: str, tmp_path: Path
) -> None:
    problems = [p for _, _, found in check_group(pages, group, language, tmp_path) for p in found]
    assert not problems, "\n".join(problems)


OFFLINE = next(g for g in GROUPS if g.offline)


@pytest.mark.parametrize("language", LANGUAGES)
def test_offline_then_the_printed_programme(
    pages: dict[str, Page], language: str, tmp_path: Path
) -> None:
    # Its announcement expires meanwhile: counted apart.
    scenario = replace(OFFLINE.scenarios[0], banners=-1)
    displays = {view: page for view, page in pages.items() if view != "phone"}
    for running, _, problems in check_group(pages, OFFLINE, language, tmp_path):
        assert not problems, "\n".join(problems)
        assert measure(pages["landscape"], "landscape")["banners"] == ["normal"]
        kill(running)
        for mode in ("offline", "unconfirmed"):
            for view, page in displays.items():
                wait_until(
                    page,
                    f"() => document.documentElement.dataset.connection === '{mode}'",
                    UNCONFIRMED_AFTER * 4,
                )
                settle(page)
                found = check(page, view, scenario, language)
                m = measure(page, view)
                # The mark says so, wholly visible, covering nothing; the state goes on.
                assert m["mark"] is not None and m["mark"]["whole"], (mode, view, m["mark"])
                assert ("·" in m["mark"]["text"]) == (mode == "unconfirmed"), m["mark"]
                assert not found, "\n".join(found)
        # The announcement expires (11.00.30 a.m.) while the server is away: dropped all the same.
        for page in displays.values():
            wait_until(page, "() => !document.querySelector('.banner:not([hidden])')", 60)
            assert measure(page, "display")["banners"] == []


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [
        ("en", "Starts in 20 min", "Starts in 5 min"),
        ("ar", "تبدأ بعد 20 دقيقة", "تبدأ بعد 5 دقائق"),
    ],
)
def test_the_countdown_ticks_on_the_page_clock_offline_too(
    browser: Browser, tmp_path: Path, language: str, before: str, after: str
) -> None:
    """ "Starts in 20 min" counts down by the display's own clock, the server gone, in the
    plural form of the page's language (Arabic: 20 دقيقة, 5 دقائق)."""
    between = SCENARIOS["between"]
    group = Group("countdown", "2023-12-13T14:40:00", (between,))
    page = browser.new_page(viewport=VIEWPORTS["landscape"])
    page.clock.install()
    with serve(group, language, tmp_path) as running:
        show(page, running, between, "landscape")
        status = page.locator("#display-now .status")
        assert status.inner_text() == before
        kill(running)
        wait_until(page, "() => document.documentElement.dataset.connection === 'offline'")
        page.clock.fast_forward(15 * 60_000)
        wait_until(
            page, f"() => document.querySelector('#display-now .status').textContent === {after!r}"
        )
        # At 3 p.m. the meeting starts, by the page's own timeline: "Ends in ..." then.
        page.clock.fast_forward(5 * 60_000 + 2_000)
        wait_until(
            page,
            "() => document.querySelector('#display-now .status').dataset.say === 'in_session'",
        )
    page.close()
