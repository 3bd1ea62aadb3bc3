"""An income officer runs a week's rent from the Rents page and reads its summary, then
opens the account and sees the charge."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from rents.models import Charge, ChargeType, RentAccount
from tenancies import services as tenancy_services
from tests.browser.helpers import follow, login, submit, visit
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_run_the_rent_and_see_the_summary_and_the_account(page, live_server, income_officer,
                                                          north, password):
    home = PropertyFactory(estate__patch=north, address_line_1="9 Polsloe Road")
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=10450, start_date=date(2024, 4, 1))
    tenancy = tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                       start_date=date(2021, 5, 3),
                                       tenant_ids=[PersonFactory().pk], by=None,
                                       at=datetime(2021, 5, 3, tzinfo=UTC))
    login(page, live_server, income_officer, password)
    follow(page, page.get_by_role("navigation", name="Main menu").get_by_role("link",
                                                                              name="Rents"))
    follow(page, page.get_by_role("link", name="Run the rent for a week"))
    submit(page, page.get_by_role("button", name="Run the rent"))
    expect(page.get_by_role("heading", name="Rent run finished")).to_be_visible()
    expect(page.locator("main")).to_contain_text("£104.50")

    account = RentAccount.objects.get(tenancy=tenancy)
    visit(page, live_server, f"/rents/accounts/{account.pk}/")
    expect(page.locator("main")).to_contain_text("£104.50 in arrears")
