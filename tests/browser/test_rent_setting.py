"""An income officer proposes next year's rent review and reads the preview (a home below
formula rent is flagged above the limit); a team leader approves it, and the new rent is a
charge from the year's first Monday. Every page is checked with axe-core."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rents.models import Charge, ChargeType, FormulaRent, RentPolicy, RentReview, RentYear
from tests.browser.helpers import follow, login, sign_out, submit, visit
from tests.housing.factories import PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_propose_then_a_different_person_approves(page, live_server, income_officer,
                                                  team_leader, north, password):
    # The next rent year that has not begun (the pages use today's date).
    year = RentYear.objects.filter(start_date__gt=timezone.localdate()).order_by(
        "start_date").first()
    before = RentYear.objects.filter(start_date__lt=year.start_date).order_by(
        "-start_date").first()
    RentPolicy.objects.create(rent_year=year, cpi_percent=Decimal("3.00"),
                              limit_margin_percent=Decimal("1.00"), convergence_pence=100,
                              outlier_change_pence=500)
    rent = ChargeType.objects.get(code="rent")
    below = PropertyFactory(estate__patch=north, address_line_1="7 Below Formula Lane")
    Charge.objects.create(property=below, charge_type=rent, weekly_pence=9432,
                          start_date=date(2024, 4, 1))
    FormulaRent.objects.create(property=below, rent_year=before, weekly_pence=10480)
    plain = PropertyFactory(estate__patch=north, address_line_1="8 Steady Street")
    Charge.objects.create(property=plain, charge_type=rent, weekly_pence=10000,
                          start_date=date(2024, 4, 1))

    login(page, live_server, income_officer, password)
    follow(page, page.get_by_role("navigation", name="Main menu").get_by_role("link",
                                                                              name="Rents"))
    follow(page, page.get_by_role("link", name="Rent setting").first)
    follow(page, page.get_by_role("button", name=f"Propose the rent review for {year}"))
    expect(page.get_by_label(f"{year} (CPI 3.0% + 1.0%")).to_be_checked()
    submit(page, page.get_by_role("button", name="Propose the rent review"))
    expect(page.get_by_role("heading", name="Preview ready")).to_be_visible()
    follow(page, page.get_by_role("link", name="Open the rent review"))

    main = page.locator("main")
    expect(main).to_contain_text("You proposed this review; a different person must approve it.")
    expect(main.get_by_role("button", name="Approve the new rents")).to_have_count(0)
    flagged_row = main.get_by_role("row").filter(has_text="7 Below Formula Lane")
    # 9432 x 1.04 = 9809.28 -> £98.09, + the £1 uplift = £99.09, below formula £108.99
    expect(flagged_row).to_contain_text("£99.09")
    expect(flagged_row).to_contain_text("£108.99")
    expect(flagged_row.locator(".govuk-tag")).to_have_text("Above the limit")
    page.get_by_label("Show flagged homes only").check()
    submit(page, page.get_by_role("button", name="Apply"))
    expect(main.get_by_role("row").filter(has_text="7 Below Formula Lane")).to_have_count(1)
    expect(main.get_by_role("row").filter(has_text="8 Steady Street")).to_have_count(0)

    sign_out(page)
    review = RentReview.objects.get()
    login(page, live_server, team_leader, password)
    visit(page, live_server, f"/rents/setting/reviews/{review.pk}/")
    page.get_by_label("Note (optional)").fill("Checked the flagged home.")
    submit(page, page.get_by_role("button", name="Approve the new rents"))
    expect(page.get_by_role("alert")).to_contain_text(f"Rent review for {year} approved")
    expect(page.locator("main")).to_contain_text("Approved by")
    review.refresh_from_db()
    assert review.status == RentReview.Status.APPROVED and review.decided_by == team_leader
    first_monday = year.weeks.order_by("start_date").first().start_date
    assert Charge.objects.get(property=below, charge_type=rent,
                              start_date=first_monday).weekly_pence == 9909
