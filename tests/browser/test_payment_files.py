"""An income officer uploads a payments file with one unknown reference, sees it imported, then
allocates the payment in suspense to the right account after checking its address. Every page
is checked with axe-core (see conftest)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone
from playwright.sync_api import expect

from rents.models import RentAccount, Transfer
from tenancies import services as tenancy_services
from tests.browser.helpers import follow, login, submit
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _account(patch, address: str, surname: str) -> RentAccount:
    tenancy = tenancy_services.sign_up(
        property_id=PropertyFactory(estate__patch=patch, address_line_1=address).pk,
        tenancy_type="secure", start_date=date(2023, 5, 1),
        tenant_ids=[PersonFactory(first_name="Ada", last_name=surname).pk], by=None,
        at=datetime(2023, 5, 1, tzinfo=UTC))
    return RentAccount.objects.get(tenancy=tenancy)


def _balance(account) -> int:
    return account.transactions.aggregate(s=Sum("amount_pence"))["s"] or 0


def test_import_a_file_and_allocate_its_unknown_payment(page, live_server, income_officer,
                                                       north, password):
    known = _account(north, "9 Polsloe Road", "Penhallow")
    right = _account(north, "14 Cowick Street", "Trelawny")
    received = (timezone.localdate() - timedelta(days=1)).isoformat()
    content = (
        "payment_reference,amount,date_received,method,payer_reference\n"
        f"{known.payment_reference},42.50,{received},card,RCPT 881\n"
        f"T9999999,18.75,{received},bank_transfer,A TRELAWNY RENT\n"
        "CONTROL,2,61.25\n")

    login(page, live_server, income_officer, password)
    follow(page, page.get_by_role("navigation", name="Main menu").get_by_role("link",
                                                                              name="Rents"))
    follow(page, page.get_by_role("link", name="Payment files", exact=True))
    follow(page, page.get_by_role("button", name="Upload a payment file"))
    page.get_by_role("radio", name="Payments CSV (this system's layout)").check()
    page.get_by_label("Upload the file").set_input_files(
        files=[{"name": "bank-december.csv", "mimeType": "text/csv",
                "buffer": content.encode()}])
    submit(page, page.get_by_role("button", name="Upload and import"))

    expect(page.get_by_role("heading", name="File imported")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("bank-december.csv: 2 payments imported, £61.25 in all; 1 with "
                                 "an unknown reference went to suspense.")
    assert _balance(known) == -4250

    follow(page, page.get_by_role("link", name="Allocate them from suspense"))
    expect(page.locator("#suspense-items")).to_contain_text("A TRELAWNY RENT")
    expect(page.locator("#suspense-items")).to_contain_text("£18.75")
    follow(page, page.locator("#suspense-items").get_by_role("link", name="Allocate"))

    page.get_by_label("Payment reference or tenancy reference of the right account").fill(
        right.payment_reference)
    page.get_by_label("Why does the payment belong to this account?").fill(
        "Reference mistyped; Ms Trelawny phoned")
    submit(page, page.get_by_role("button", name="Find the account"))
    target = page.locator("#allocation-target")
    expect(target).to_contain_text("14 Cowick Street")
    expect(target).to_contain_text("Ada Trelawny")
    submit(page, page.get_by_role("button", name="Allocate £18.75 to this account"))

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"£18.75 allocated to {right.payment_reference}")
    expect(page.locator("main")).to_contain_text("Nothing in suspense")
    history = page.locator("#suspense-history")
    expect(history).to_contain_text(right.payment_reference)
    expect(history).to_contain_text("14 Cowick Street")
    expect(history).to_contain_text(income_officer.display_name)
    assert _balance(right) == -1875
    assert Transfer.objects.get().created_by == income_officer
