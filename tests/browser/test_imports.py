"""Importing a file in a browser: an administrator uploads a homes file with one bad row and
sees the row named and nothing imported; a good file is checked, then imported from its check.
Every page is checked with axe-core (see conftest)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    form_with,
    login,
    path_of,
    submit,
    submit_button,
    totp_code,
    visit,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HEADERS = "uprn,kind,property_type,estate,block,address_line_1,town,postcode,bedrooms,tenure"
ONE_BAD_ROW = f"""{HEADERS}
100040212345,dwelling,flat,riverside,mill-house,"Flat 1, Mill House",Exeter,EX2 4AB,1,void
100040212346,dwelling,house,riverside,,2 Weir Road,Exeter,EX99 ZZZ,3,void
100040212347,dwelling,house,riverside,,4 Weir Road,Exeter,EX2 4AD,3,void
"""


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def register(north):
    """An estate with a block, and one home already recorded."""
    from housing.models import Block
    from tests.housing.factories import EstateFactory, PropertyFactory

    estate = EstateFactory(code="riverside", name="Riverside", patch=north)
    Block.objects.create(code="mill-house", name="Mill House", estate=estate)
    PropertyFactory(uprn="100040299999", estate=estate)
    return estate


def sign_in_administrator(page, live_server, administrator, password):
    login(page, live_server, administrator, password)
    assert path_of(page) == "/accounts/2fa/authenticate/"
    form = form_with(page, "code")
    form.locator('[name="code"]').fill(totp_code(administrator.totp_secret))
    submit(page, submit_button(form))
    assert path_of(page) == "/"


def choose_file(page, kind_label: str, name: str, content: str) -> None:
    page.get_by_role("radio", name=kind_label, exact=True).check()
    page.get_by_label("Upload the file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content.encode()}])


def test_a_file_with_one_bad_row_is_named_and_nothing_imported(
        page, live_server, administrator, password, register):
    from housing.models import BackgroundJob, Property

    homes_before = Property.objects.count()
    sign_in_administrator(page, live_server, administrator, password)
    visit(page, live_server, "/imports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import data")

    # Pressing a button with nothing chosen explains what is missing.
    submit(page, page.get_by_role("button", name="Import the file"))
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select what the file holds")
    expect(summary).to_contain_text("Choose the file to import")

    # The columns of the homes file are on the page, folded away.
    page.get_by_text("Homes: the columns").click()
    expect(page.locator("#columns-homes table")).to_contain_text("address_line_1")

    choose_file(page, "Homes", "homes.csv", ONE_BAD_ROW)
    submit(page, page.get_by_role("button", name="Import the file"))

    job = BackgroundJob.objects.get()
    assert path_of(page) == f"/jobs/{job.pk}/"
    result = page.locator("#job-progress")
    expect(result).to_contain_text("Nothing was imported: 1 row has a problem.")
    row = page.locator("#import-problems tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text("3")
    expect(row.locator("td").nth(0)).to_have_text("postcode")
    expect(row.locator("td").nth(1)).to_have_text(
        "“EX99 ZZZ” is not a UK postcode. Enter a full postcode like EX1 1AA.")
    expect(page.get_by_role("button", name="Import this file now")).to_have_count(0)
    assert Property.objects.count() == homes_before


def test_a_checked_file_is_imported_from_its_check(
        page, live_server, administrator, password, register):
    from housing.models import Property

    sign_in_administrator(page, live_server, administrator, password)
    visit(page, live_server, "/imports/")
    good = ONE_BAD_ROW.replace("EX99 ZZZ", "EX2 4AD")
    choose_file(page, "Homes", "homes.csv", good)
    submit(page, page.get_by_role("button", name="Check the file (dry run)"))

    expect(page.locator("#job-progress")).to_contain_text(
        "Checked 3 rows: 3 new, 0 to update. Nothing was imported (dry run).")
    assert Property.objects.count() == 1

    submit(page, page.get_by_role("button", name="Import this file now"))
    expect(page.locator("#job-progress")).to_contain_text("Imported 3 rows: 3 new, 0 updated.")
    expect(page.locator("#import-totals")).to_contain_text("New records")
    assert Property.objects.count() == 4
