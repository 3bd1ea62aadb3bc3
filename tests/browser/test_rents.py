"""An income officer runs a week's rent from the Rents page, watches the progress bar move as
a real Celery worker posts it slice by slice, reads the summary, then opens an account and
sees the charge."""

from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from housing.models import BackgroundJob
from rents.models import Charge, ChargeType, RentAccount, Transaction
from tenancies import services as tenancy_services
from tests.browser.helpers import assert_accessible, follow, login, submit, visit
from tests.browser.test_jobs import worker_thread
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HOMES = 5  # five accounts: the run goes in five slices


@pytest.fixture
def celery_worker(settings):
    # Tests only: a pause after each slice, so the page (which polls every second) sees the
    # bar part way.
    settings.RENT_RUN_PAUSE_BETWEEN_SLICES = 0.8
    with worker_thread(settings) as worker:
        yield worker


def _let(north, number: int, weekly_pence: int):
    home = PropertyFactory(estate__patch=north, address_line_1=f"{number} Polsloe Road")
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=weekly_pence, start_date=date(2024, 4, 1))
    return tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                    start_date=date(2021, 5, 3), tenant_ids=[PersonFactory().pk],
                                    by=None, at=datetime(2021, 5, 3, tzinfo=UTC))


_PART_WAY = """() => {
  const bar = document.querySelector("#job-progress progress");
  return bar && bar.value > 0 && bar.value < 100;
}"""


def test_run_the_rent_watch_the_progress_bar_and_see_the_summary_and_the_account(
        page, live_server, income_officer, north, password, celery_worker):
    tenancies = [_let(north, number, 10000 + number * 50) for number in range(1, HOMES + 1)]
    login(page, live_server, income_officer, password)
    follow(page, page.get_by_role("navigation", name="Main menu").get_by_role("link",
                                                                              name="Rents"))
    follow(page, page.get_by_role("link", name="Run the rent for a week"))
    submit(page, page.get_by_role("button", name="Run the rent"))

    job = BackgroundJob.objects.get(kind="rent_run")
    assert page.url.endswith(f"/jobs/{job.pk}/")
    # The bar part way, before any summary: the worker is still posting.
    page.wait_for_function(_PART_WAY, timeout=15_000)
    expect(page.locator("#job-progress")).to_contain_text(f" of {HOMES})")
    expect(page.get_by_role("heading", name="Rent run finished")).to_have_count(0)
    assert 0 < Transaction.objects.count() < HOMES
    assert_accessible(page)  # the page as htmx changed it

    expect(page.get_by_role("heading", name="Rent run finished")).to_be_visible(timeout=20_000)
    expect(page.locator("#job-progress .app-progress__label")).to_have_text(
        f"100% ({HOMES} of {HOMES})")
    main = page.locator("main")
    expect(main).to_contain_text(f"{HOMES} accounts charged")
    expect(main).to_contain_text("£507.50")  # £100.50 + £101.00 + ... + £102.50
    assert_accessible(page)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress_total) == ("succeeded", 1, HOMES)

    account = RentAccount.objects.get(tenancy=tenancies[2])
    visit(page, live_server, f"/rents/accounts/{account.pk}/")
    expect(page.locator("main")).to_contain_text("£101.50 in arrears")
