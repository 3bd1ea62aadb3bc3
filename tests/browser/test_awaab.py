"""A repairs officer reports damp and mould on a home and sees its clocks; a report without a
description is refused with the error summary; every page checked with axe-core."""

import pytest
from playwright.sync_api import expect

from housing.workdays import add_working_days
from tests.browser.helpers import assert_accessible, follow, login, submit, visit
from tests.housing.factories import PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_damp_report_shows_its_clocks(page, live_server, repairs_officer, north, password,
                                        settings, tmp_path):
    from django.utils import timezone

    settings.MEDIA_ROOT = tmp_path / "media"
    home = PropertyFactory(patch=north, address_line_1="12 Mill Lane", town="Exeter",
                           postcode="EX1 2HL")
    login(page, live_server, repairs_officer, password)
    visit(page, live_server, f"/repairs/awaab/new/?property={home.pk}")
    submit(page, page.get_by_role("button", name="Open the case"))
    expect(page.locator(".govuk-error-summary")).to_contain_text("Describe the damp or mould")
    page.get_by_label("Significant: a risk to health or safety").check()
    page.get_by_label("What was reported?").fill("Black mould on the bedroom wall")
    submit(page, page.get_by_role("button", name="Open the case"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Damp and mould case AW")
    due = add_working_days(timezone.localdate(), 10)
    clocks = page.locator("#clocks + p + .govuk-summary-list")
    expect(clocks).to_contain_text("10 working days left")
    expect(clocks).to_contain_text(f"Due by {due.day} {due:%B %Y}")
    expect(clocks).to_contain_text("Starts when the investigation is recorded")
    expect(page.locator(".moj-timeline")).to_contain_text("Damp and mould reported: significant")

    follow(page, page.get_by_role("link", name="Record the investigation"))
    page.get_by_label("What did the investigation find?").fill("Mould behind the wardrobe")
    submit(page, page.get_by_role("button", name="Record the investigation"))
    summary_due = add_working_days(timezone.localdate(), 3)
    expect(page.locator("#clocks + p + .govuk-summary-list")).to_contain_text(
        f"Due by {summary_due.day} {summary_due:%B %Y}")
    visit(page, live_server, "/repairs/awaab/")
    expect(page.locator("main")).to_contain_text("12 Mill Lane")
    assert_accessible(page)
