"""An income officer opens a rent account, asks for a statement for a date range (first
getting the dates the wrong way round), and downloads the PDF; and runs a rent report from the
Rents page and reads its figures."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from rents.models import RentAccount, Transaction
from tenancies import services as tenancy_services
from tests.browser.helpers import follow, login, submit, visit
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _fill(page, prefix: str, day: date) -> None:
    fieldset = page.get_by_role("group", name="From" if prefix == "start" else "To")
    fieldset.get_by_label("Day").fill(str(day.day))
    fieldset.get_by_label("Month").fill(str(day.month))
    fieldset.get_by_label("Year").fill(str(day.year))


def test_download_a_statement(page, live_server, income_officer, north, password, tmp_path):
    today = date.today()
    home = PropertyFactory(estate__patch=north, address_line_1="9 Polsloe Road")
    tenancy = tenancy_services.sign_up(
        property_id=home.pk, tenancy_type="secure", start_date=date(2021, 5, 3),
        tenant_ids=[PersonFactory(title="", first_name="Ada", last_name="Quick").pk],
        by=None, at=datetime(2021, 5, 3, tzinfo=UTC))
    account = RentAccount.objects.get(tenancy=tenancy)
    # 100.00 owed before the period; in it a payment of 30.00 then a charge of 100.00.
    for days_ago, kind, pence in [(20, "adjustment", 10000), (10, "payment", -3000),
                                  (5, "adjustment", 10000)]:
        Transaction.objects.create(account=account, posted_on=today - timedelta(days=days_ago),
                                   kind=kind, method="card" if kind == "payment" else "",
                                   amount_pence=pence, source="officer",
                                   created_at=datetime.now(UTC))

    login(page, live_server, income_officer, password)
    visit(page, live_server, f"/rents/accounts/{account.pk}/")
    follow(page, page.get_by_role("link", name="Get a statement of this account (PDF)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Get a statement")

    start = today - timedelta(days=15)
    _fill(page, "start", today)
    _fill(page, "end", start)
    submit(page, page.get_by_role("button", name="Download the statement (PDF)"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The end date must be the same as or after the start date.")
    expect(page.get_by_role("group", name="To").get_by_label("Day")).to_have_value(
        str(start.day))

    _fill(page, "start", start)
    _fill(page, "end", today)
    with page.expect_response(lambda r: "/statement/?" in r.url) as answer, \
            page.expect_download() as downloading:
        page.get_by_role("button", name="Download the statement (PDF)").click()
    response = answer.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    download = downloading.value
    assert download.suggested_filename == (
        f"statement-{account.payment_reference}-{start:%Y-%m-%d}-to-{today:%Y-%m-%d}.pdf")
    saved = tmp_path / "statement.pdf"
    download.save_as(saved)
    content = saved.read_bytes()
    assert content.startswith(b"%PDF")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
                    .split())
    assert "9 Polsloe Road" in text and "Ada Quick" in text
    assert "Balance brought forward £100.00" in text
    assert "Payment: Card £30.00 £70.00" in text
    assert "Balance carried forward £170.00" in text
    assert "Totals for the period £100.00 £30.00" in text


def test_run_a_report_and_read_it(page, live_server, income_officer, north, password):
    home = PropertyFactory(estate__patch=north, address_line_1="9 Polsloe Road")
    tenancy = tenancy_services.sign_up(
        property_id=home.pk, tenancy_type="secure", start_date=date(2021, 5, 3),
        tenant_ids=[PersonFactory().pk], by=None, at=datetime(2021, 5, 3, tzinfo=UTC))
    account = RentAccount.objects.get(tenancy=tenancy)
    Transaction.objects.create(account=account, posted_on=date.today() - timedelta(days=3),
                               kind="adjustment", amount_pence=25000, source="officer",
                               created_at=datetime.now(UTC))

    login(page, live_server, income_officer, password)
    visit(page, live_server, "/rents/")
    follow(page, page.get_by_role("link", name="Rent reports"))
    follow(page, page.get_by_role("link", name="Run the arrears by band report"))
    submit(page, page.get_by_role("button", name="Run the report"))  # the job runs at once here
    expect(page.get_by_role("heading", name="Arrears by band ready")).to_be_visible()
    expect(page.locator("main")).to_contain_text("1 account owes £250.00")
    expect(page.get_by_role("link", name="Download every row as a CSV file")).to_be_visible()
