"""What each role sees and may open, the page shown when something is refused, and the staff
pages on a 320-pixel-wide phone."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import follow, login, path_of, visit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The heading of the 403 page (templates/403.html).
REFUSED_HEADING = "You do not have access to this page"


def _main_menu(page):
    return page.get_by_role("navigation", name="Main menu")


@pytest.mark.parametrize(("persona", "expected", "opens", "heading"), [
    ("officer", ["Properties", "Tenancies", "Reports"], "Tenancies", "Tenancies"),
    ("income_officer", ["Tenancies", "Rents", "Reports"], "Rents", "Rents"),
    # Council Tax's Voids are the occupancy changes it is told of.
    ("council_tax", ["Properties", "Voids"], "Voids", "Occupancy changes for Council Tax"),
])
def test_each_role_sees_and_opens_its_own_modules(
        request, page, live_server, password, persona, expected, opens, heading):
    user = request.getfixturevalue(persona)
    login(page, live_server, user, password)
    assert path_of(page) == "/"

    labels = [text.strip() for text in _main_menu(page).get_by_role("link").all_inner_texts()]
    assert labels == expected

    link = _main_menu(page).get_by_role("link", name=opens, exact=True)
    follow(page, link)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(_main_menu(page).get_by_role("link", name=opens, exact=True)) \
        .to_have_attribute("aria-current", "page")


def test_a_tenant_is_refused_a_staff_page(page, live_server, tenant, password):
    login(page, live_server, tenant, password)
    assert path_of(page) == "/portal/"

    response = visit(page, live_server, "/rents/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(REFUSED_HEADING)
    expect(page.get_by_role("navigation", name="Main menu")).to_have_count(0)


def test_council_tax_is_refused_the_sample_job(page, live_server, council_tax, password):
    from housing.models import BackgroundJob

    login(page, live_server, council_tax, password)
    response = visit(page, live_server, "/jobs/sample/new/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(REFUSED_HEADING)
    expect(page.get_by_role("button", name="Start the job")).to_have_count(0)
    assert BackgroundJob.objects.count() == 0


@pytest.mark.browser_context_args(viewport={"width": 320, "height": 640})
def test_home_page_fits_a_320_pixel_phone_and_works_by_keyboard(
        page, live_server, officer, password):
    login(page, live_server, officer, password)
    assert path_of(page) == "/"

    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"The page is {scroll_width}px wide: it scrolls sideways"

    # Tab from the top of the page to the first link of the main menu. On a phone the menu
    # sits behind a "Menu" button (its links hidden until it is opened): open it with the
    # keyboard on the way.
    menu_button = _main_menu(page).get_by_role("button", name="Menu", exact=True)
    expect(menu_button).to_be_visible()
    expect(menu_button).to_have_attribute("aria-expanded", "false")
    first_link = _main_menu(page).get_by_role("link", include_hidden=True).first
    expect(first_link).to_have_text("Properties")
    expect(first_link).to_be_hidden()
    for _ in range(25):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => {
            const el = document.activeElement;
            return {text: (el.innerText || el.value || "").trim(), tag: el.tagName,
                    expanded: el.getAttribute("aria-expanded")};
        }""")
        if first_link.evaluate("el => el === document.activeElement"):
            break
        if focused["tag"] == "BUTTON" and focused["expanded"] == "false" \
                and focused["text"].lower().startswith("menu"):
            page.keyboard.press("Enter")
    else:
        raise AssertionError("Tabbing through the page never reached the main menu's first link")
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(first_link).to_be_visible()
    expect(first_link).to_be_focused()

    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"With the menu open the page is {scroll_width}px wide"
