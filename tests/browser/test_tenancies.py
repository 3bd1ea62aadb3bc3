"""An officer finds a tenant by a misspelt surname, opens their tenancy, records a change of
name and sees it in the tenancy's history."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from tenancies import services
from tests.browser.helpers import assert_accessible, follow, login, submit
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_find_a_tenant_by_a_misspelt_surname_and_record_a_change_of_name(
        page, live_server, officer, north, password):
    home = PropertyFactory(estate__patch=north, address_line_1="14 Cowick Street",
                           postcode="EX4 1AW")
    tenant = PersonFactory(first_name="Margaret", last_name="Thistlewood",
                           date_of_birth=date(1950, 3, 4))
    tenancy = services.sign_up(property_id=home.pk, tenancy_type="secure",
                               start_date=date(2019, 4, 1), tenant_ids=[tenant.pk], by=None,
                               at=datetime(2019, 4, 1, 9, tzinfo=UTC))
    login(page, live_server, officer, password)

    page.get_by_label("Search homes, people and tenancies").fill("Thistlewod")
    result = page.locator("#search-results").get_by_role("link", name="Margaret Thistlewood")
    expect(result).to_be_visible()
    assert_accessible(page)  # the live results, swapped in by htmx
    follow(page, result)
    expect(page.get_by_role("heading", level=1)).to_have_text("Margaret Thistlewood")

    follow(page, page.get_by_role("link", name=tenancy.reference))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Tenancy {tenancy.reference}")
    follow(page, page.get_by_role("link", name="Record a change of name"))

    expect(page.get_by_label("Margaret Thistlewood")).to_be_checked()  # the sole tenant
    page.get_by_label("New first name").fill("Maggie")
    page.get_by_label("New last name").fill("Rowe")
    page.get_by_label("Date of the change").fill("2026-10-01")
    submit(page, page.get_by_role("button", name="Record the change of name"))
    # A missing field is refused and what was typed is kept.
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("New first name")).to_have_value("Maggie")

    page.get_by_label("Evidence seen").fill("Marriage certificate")
    submit(page, page.get_by_role("button", name="Record the change of name"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Tenancy {tenancy.reference}")
    history = page.locator("main")
    expect(history.get_by_role("heading", name="Change of name")).to_be_visible()
    expect(history).to_contain_text("Margaret Thistlewood changed their name to Maggie Rowe")
    tenant.refresh_from_db()
    assert (tenant.first_name, tenant.last_name) == ("Maggie", "Rowe")
