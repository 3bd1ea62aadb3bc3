"""Browser tests: Playwright driving Debian's Chromium against Django's live server.

- Chromium comes from apt (`apt-get install -y chromium`); Playwright's own browser download
  cannot work here. If it is missing the tests fail and say how to install it.
- axe-core comes from npm (`npm ci`). It is added to every page as an init script, which the
  page's Content-Security-Policy does not block, so the tests see the real CSP: an inline
  script or style the policy refuses shows up as a console error and fails the test.
- Every page a test navigates to must be checked with axe-core (helpers.assert_accessible);
  an unchecked navigation, a JavaScript error, a CSP violation or a failed asset request
  fails the test when it ends.
- One screenshot per test is saved to test-results/browser/ (gitignored; BROWSER_SCREENSHOTS
  chooses another folder) for people to look at.

The tests use `live_server`, so they run in transactions that are flushed afterwards. They are
marked `serialized_rollback=True`: each test starts from the database as migrations left it
(with the role groups), and when the last browser test has finished that state is put back,
so tests running later in the session, and the next `--reuse-db` session, still find it.
"""

import os
import re
from pathlib import Path

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the sync Playwright API runs an event loop

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", BASE_DIR / "test-results" / "browser"))

CHROMIUM_MISSING = (
    f"Chromium is not installed at {CHROMIUM}; the browser tests need it.\n"
    "Install it with:  sudo apt-get install -y chromium\n"
    "(Playwright's own browser download does not work here.)"
)
AXE_MISSING = (
    f"axe-core is not installed at {AXE}; the browser tests check every page with it.\n"
    "Install the front-end packages with:  npm ci"
)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.report_call = report  # the page fixture's teardown reads it
    return report


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 800},
            "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture(scope="package", autouse=True)
def _database_as_migrations_left_it(django_db_setup, django_db_blocker):
    """Make `serialized_rollback` work under Playwright, and put the database back at the end.

    pytest-django serialises the database at start-up onto the connection object of the
    main thread. Once Playwright's sync API runs its event loop in that thread, asgiref hands
    out a different connection object (one per async context), which has no serialised copy:
    Django then silently skips the restore and each test would start from an empty database.
    So serialise again here, onto the connection the tests use. After the last browser test
    the database is empty (a transactional test ends with a flush): put it back, so later
    tests and the next `--reuse-db` session find the role groups."""
    from django.apps import apps
    from django.contrib.auth.models import Group
    from django.db import connections

    from housing.roles import ROLE_PERMISSIONS, sync_all_role_permissions

    with django_db_blocker.unblock():
        if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() < len(ROLE_PERMISSIONS):
            # an earlier, interrupted run left them out
            sync_all_role_permissions(apps)
        for connection in connections.all():
            connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        for connection in connections.all():
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)


class PageWatcher:
    """Records what happens on a page that the tests must hear about: navigations (each must
    be checked with axe-core), JavaScript errors, console errors such as CSP violations, and
    requests for the page's assets that failed."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.navigations: list[list] = []  # [url, checked]
        self.problems: list[str] = []
        page.on("framenavigated", self._navigated)
        page.on("pageerror", lambda error: self.problems.append(
            f"JavaScript error on {page.url}: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("requestfailed", self._request_failed)

    def checked(self) -> None:
        if self.navigations:
            self.navigations[-1][1] = True

    def unchecked(self) -> list[str]:
        return [url for url, checked in self.navigations if not checked]

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame and frame.url.startswith(self.base_url):
            self.navigations.append([frame.url, False])

    def _console(self, message) -> None:
        # Failed requests are reported by _response with their URL instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"Console error on {self.page.url}: {message.text}")

    def _response(self, response) -> None:
        # A page itself may answer 403 or 404 on purpose; its assets and htmx requests may not.
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(
                f"{response.request.method} {response.url} answered {response.status} "
                f"(a {response.request.resource_type} of {self.page.url})")

    def _request_failed(self, request) -> None:
        failure = request.failure or ""
        if "ERR_ABORTED" not in failure:  # requests cut short by leaving the page
            self.problems.append(f"{request.method} {request.url} failed: {failure}")


@pytest.fixture
def page(context, live_server, request):
    """Playwright's page, with axe-core loaded into every document and a PageWatcher."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction") and marker.kwargs.get(
            "serialized_rollback")):
        pytest.fail("Browser tests must be marked "
                    "pytest.mark.django_db(transaction=True, serialized_rollback=True)",
                    pytrace=False)
    if not AXE.exists():
        pytest.fail(AXE_MISSING, pytrace=False)
    context.add_init_script(path=str(AXE))
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.a11y = PageWatcher(page, live_server.url)
    yield page

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    except Exception:  # noqa: BLE001 - a screenshot is for people; never fail a test on it
        pass
    watcher = page.a11y
    call = getattr(request.node, "report_call", None)
    unchecked = watcher.unchecked() if call is not None and call.passed else []
    assert not unchecked, (
        "These pages were visited but never checked with axe-core "
        "(use helpers.visit/submit/login or call helpers.assert_accessible):\n"
        + "\n".join(f"- {url}" for url in unchecked))
    problems = list(dict.fromkeys(watcher.problems))  # each once, in order
    assert not problems, "Problems in the browser:\n" + "\n".join(
        f"- {problem}" for problem in problems)
