"""What the browser tests do to a page: visit it, submit a form, sign in, and check every page
they see with axe-core.

Every navigation is recorded on the page (see `conftest.page`); a navigation that no
`assert_accessible()` call looked at fails the test at teardown, so a check cannot be
forgotten. `visit()`, `submit()` and `login()` check the page they land on themselves; call
`assert_accessible(page)` yourself only after something changes the page without a
navigation (htmx) or after a click you did not make through `submit()`.
"""

import re
import time
from urllib.parse import urlsplit

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

# WCAG 2.2 AA and axe's best practices. Any violation fails the test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_AXE_RUN = """async (tags) => {
  if (typeof axe === "undefined") { return null; }
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.join(" "),
      html: n.html,
      summary: n.failureSummary || "",
    })),
  }));
}"""


def path_of(page) -> str:
    """The path (and query) of the page's current URL."""
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:10]:
            html = re.sub(r"\s+", " ", node["html"])[:200]
            summary = re.sub(r"\s+", " ", node["summary"])[:300]
            lines.append(f"    at {node['target']}: {html}")
            if summary:
                lines.append(f"       {summary}")
        if len(violation["nodes"]) > 10:
            lines.append(f"    ... and {len(violation['nodes']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Run axe-core on the page as it is now; fail with a readable list of violations."""
    page.wait_for_load_state("load")
    violations = page.evaluate(_AXE_RUN, AXE_TAGS)
    if violations is None:
        raise AssertionError(f"axe-core was not loaded in {page.url} (see conftest.page)")
    tracker = getattr(page, "a11y", None)
    if tracker is not None:
        tracker.checked()
    if violations:
        raise AssertionError(format_violations(page.url, violations))


def visit(page, live_server, path: str):
    """Open `path` on the live server, wait for it to load and check it with axe-core.
    Returns the response of the (last) navigation."""
    response = page.goto(live_server.url + path)
    assert_accessible(page)
    return response


def follow(page, target) -> None:
    """Click a link or button (a locator) that leads to another page, wait for that page to
    load and check it with axe-core."""
    with page.expect_navigation(wait_until="load"):
        target.click()
    assert_accessible(page)


def submit(page, button) -> None:
    """Click a button (a locator) that submits a form; then as `follow`."""
    follow(page, button)


def form_with(page, field_name: str):
    """The form that holds the field called `field_name`."""
    return page.locator("form").filter(has=page.locator(f'[name="{field_name}"]'))


def submit_button(form):
    return form.locator('button[type="submit"], input[type="submit"], button:not([type])').first


def login(page, live_server, user, password: str) -> None:
    """Sign in on /accounts/login/ with email and password, as a person would. Leaves the page
    wherever the service sends them (home, a portal, or the MFA code page)."""
    visit(page, live_server, "/accounts/login/")
    form = form_with(page, "password")
    form.locator('[name="login"]').fill(user.email)
    form.locator('[name="password"]').fill(password)
    submit(page, submit_button(form))


def sign_out(page) -> None:
    """Press the "Sign out" button the service shows to signed-in users."""
    submit(page, page.locator("header").get_by_role("button", name="Sign out", exact=True))


# --- TOTP ------------------------------------------------------------------------------------

TOTP_PERIOD = 30


def totp_code(secret: str, *, margin: float = 3.0) -> str:
    """The code an authenticator app would show now. If the current 30-second window ends in
    under `margin` seconds, wait for the next one, so the code is still valid when the
    server checks it (allauth's MFA_TOTP_TOLERANCE is 0)."""
    now = time.time()
    left = TOTP_PERIOD - (now % TOTP_PERIOD)
    if left < margin:
        time.sleep(left + 0.1)
        now = time.time()
    return format_hotp_value(hotp_value(secret, int(now) // TOTP_PERIOD))


def wrong_code(right: str) -> str:
    """A six-digit code that is certainly not `right`."""
    return f"{(int(right) + 1) % 1_000_000:06d}"
