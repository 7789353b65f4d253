"""axe-core in a Playwright page: ``assert_accessible(page)`` fails with a readable list of the
page's accessibility violations (WCAG 2.0, 2.1 and 2.2 A and AA, plus axe's best practices:
landmarks, headings, regions).

axe-core is a test dependency, vendored in tests/browser/vendor/ (version and sha256 in
axe-core.txt; ``bash scripts/vendor_axe.sh`` checks it, ``--fetch`` refreshes it): the tests never
reach the network.  It is put into the page only when a check runs, by Playwright's evaluate,
which runs in the page's main world through the DevTools protocol: the pages' strict CSP
(``script-src 'self'``, no inline script, no eval) does not apply to it, where
``page.add_script_tag(content=...)`` would be refused.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

VENDOR = Path(__file__).resolve().parent / "vendor"
AXE = VENDOR / "axe.min.js"
# The rules run: every WCAG A and AA success criterion axe checks, and its best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
NODES_SHOWN = 8  # per rule, in the failure message

RUN = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}
"""


@cache
def source() -> str:
    return AXE.read_text(encoding="utf-8")


def version() -> str:
    for line in (VENDOR / "axe-core.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("version = "):
            return line.removeprefix("version = ")
    raise AssertionError("axe-core.txt names no version")


def inject(page: Page) -> None:
    """axe-core in ``page``'s main world (once per document)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # An expression, not a function: evaluated as a script would be, defining window.axe.
        page.evaluate(source() + "\n;void 0")


def violations(page: Page, tags: list[str] = TAGS) -> list[dict[str, Any]]:
    """axe's violations on ``page`` as it is now."""
    inject(page)
    result: list[dict[str, Any]] = page.evaluate(RUN, tags)
    return result


def describe(found: list[dict[str, Any]], where: str = "") -> str:
    """One paragraph a rule: its id, impact and help, then each element (its selector and what
    to fix)."""
    lines = [f"{len(found)} accessibility rule(s) violated{f' on {where}' if where else ''}:"]
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:NODES_SHOWN]:
            target = " ".join(" >> ".join(t) if isinstance(t, list) else t for t in node["target"])
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {target}: {summary}")
        if len(v["nodes"]) > NODES_SHOWN:
            lines.append(f"    …and {len(v['nodes']) - NODES_SHOWN} more")
    return "\n".join(lines)


def assert_accessible(page: Page, tags: list[str] = TAGS) -> None:
    """Fail unless axe finds no violation on ``page`` as it is now."""
    found = violations(page, tags)
    assert not found, describe(found, page.url)
