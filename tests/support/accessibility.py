"""axe-core in the browser tests: every page state a test reaches is checked for critical and
serious WCAG violations.

The file is vendored from npm (tests/support/axe/README.md) and evaluated through the DevTools
protocol, which the site's Content-Security-Policy does not govern, so the policy stays as strict
in the tests as in production.
"""
from __future__ import annotations

from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_SOURCE = (Path(__file__).resolve().parent / "axe" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = ("critical", "serious")


def axe_violations(page, *, impacts=BLOCKING) -> list[str]:
    """One line per violation of the given impacts on the page as it is now: rule, impact, targets."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    results = page.evaluate("""() => window.axe.run(document, {resultTypes: ['violations']})
        .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                         targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))})))""")
    return [f"{v['impact']}: {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
            for v in results if v["impact"] in impacts]


def assert_accessible(page, state: str = "") -> None:
    """Fail with axe's own words when the page has a critical or serious violation."""
    found = axe_violations(page)
    where = state or page.url
    assert not found, f"axe-core {AXE_VERSION} on {where}:\n" + "\n".join(found)


def assert_accessible_without_javascript(page, checker, state: str) -> None:
    """axe-core for a page opened with JavaScript off.

    axe needs timers, which do not run in such a page, so its HTML is copied into `checker` (a
    page with JavaScript on) with the scripts left out and <noscript> content made ordinary
    markup, as the no-JS browser showed it; styles load from the same site through <base>.
    """
    import re

    origin = re.match(r"https?://[^/]+", page.url).group(0)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
    markup = re.sub(r"<(/?)noscript>", r"<\1div>", markup, flags=re.I)
    markup = re.sub(r"<head>", f'<head><base href="{page.url}">', markup, count=1, flags=re.I)
    assert markup.count("<base ") >= 1, origin
    checker.set_content(markup, wait_until="load")
    assert_accessible(checker, f"{state} (without JavaScript)")
