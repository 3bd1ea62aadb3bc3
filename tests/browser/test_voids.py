"""Voids in the browser, from a tenancy's end to the next letting (issue #7).

A Lettings Officer ends a tenancy from its page; the void appears on the worklist; the officer
records the inspection from the checklist (two trades, so two works orders to the voids
contractor); "Mark ready to let" is refused while the orders are open, and the error summary
lists them; the contractor accepts and completes each order in the portal; the officer records
the gas and electrical checks, marks the home ready, records an offer and its acceptance, and
signs the applicant up on the tenancy sign-up screen, prefilled from the offer. The void page
and the KPI page then show the relet days and the rent lost, worked out here from the dates;
Council Tax sees the two occupancy changes and the CORE log the letting. A second test checks
the worklist and the void page on a 320 px phone screen.

The live server runs on today's date, so every date is built from today. The home's charges
(£100.00 rent and £5.00 cleaning a week) run from April 2024. Every page is checked with
axe-core; each step's page is saved (desktop and 320 px wide) to test-results/browser/voids/.
"""

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from housing.money import format_pence
from rents.models import Charge, ChargeType, RentWeek
from repairs.models import Contract, Contractor, ContractorMember, Trade, WorkOrder
from tenancies import services as tenancy_services
from tenancies.models import Tenancy
from tests.browser.conftest import SCREENSHOTS
from tests.browser.helpers import assert_accessible, follow, login, sign_out, submit, visit
from tests.housing.factories import PersonFactory, PropertyFactory
from voids.models import LettingLog, OccupancyChange, Offer, SafetyCheck, Stage, VoidPeriod

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RENT_PENCE, SERVICE_PENCE = 10_000, 500
VOID_DAYS = 24  # the old tenancy ends this many days before today; the new one starts today
SHOTS = SCREENSHOTS / "voids"
PHONE = {"width": 320, "height": 720}


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _success(page):
    return page.locator(".govuk-notification-banner--success")


def _row(page, key: str):
    """The summary list row whose key is `key`."""
    return page.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key",
                         has_text=re.compile(rf"^\s*{re.escape(key)}\s*$")))


def _h1(page):
    return page.get_by_role("heading", level=1)


def _shot(page, name: str) -> None:
    """Save the page as it is, desktop and phone width, for people to look at; at phone width
    it must not scroll sideways."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}-320.png"), full_page=True)
    width = _scroll_width(page)  # tables scroll inside their own box, the page never sideways
    page.set_viewport_size(size)
    assert width <= PHONE["width"], f"{name}: the page is {width} px wide on a 320 px screen"


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


# --- What the figures should be, from the dates ----------------------------------------------


def _pro_rata(pence: int, days: int) -> int:
    if days == 7:
        return pence
    return int((Decimal(pence) * days / 7).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _charged(first: date, last: date) -> int:
    """What the home's two charges come to from `first` to `last` (both included): each rent
    week (from a Monday) in full, a part week pro rata by day and rounded, charge by charge."""
    total = 0
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        days = (min(monday + timedelta(days=6), last) - max(monday, first)).days + 1
        total += sum(_pro_rata(pence, days) for pence in (RENT_PENCE, SERVICE_PENCE))
        monday += timedelta(days=7)
    return total


def _reporting_year_start(today: date) -> date:
    return date(today.year if today.month >= 4 else today.year - 1, 4, 1)


def _percent(part: int, whole: int) -> str:
    return f"{(Decimal(part) * 100 / whole).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def home(north):
    """A two-bedroom house on the North patch, charged since April 2024, let since 2020."""
    home = PropertyFactory(patch=north, address_line_1="7 Quarry Lane", town="Exeter",
                           postcode="EX2 5AT", property_type="house", bedrooms=2)
    for code, pence in (("rent", RENT_PENCE), ("cleaning", SERVICE_PENCE)):
        Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code=code),
                              weekly_pence=pence, start_date=date(2024, 4, 1))
    tenancy_services.sign_up(
        property_id=home.pk, tenancy_type="secure", start_date=date(2020, 1, 6),
        tenant_ids=[PersonFactory(first_name="Owen", last_name="Hale").pk], by=None,
        at=timezone.now())
    return home


@pytest.fixture
def voids_contractor(contractor):
    """Void Works Ltd, the `contractor` persona's company, contracted for every trade."""
    company = Contractor.objects.create(code="void-works", name="Void Works Ltd",
                                        email="voids@void-works.example")
    ContractorMember.objects.create(contractor=company, user=contractor)
    contract = Contract.objects.create(contractor=company, reference="C-V-1",
                                       name="Void works", start_date=date(2024, 4, 1))
    contract.trades.add(*Trade.objects.all())
    return company


# --- The journey ------------------------------------------------------------------------------


def test_a_void_from_the_tenancy_ending_to_the_next_letting(
        page, live_server, lettings_officer, contractor, council_tax, home, voids_contractor,
        password):
    today = timezone.localdate()
    ended = today - timedelta(days=VOID_DAYS)
    inspected = ended + timedelta(days=2)
    checked = ended + timedelta(days=3)
    old = home.tenancies.get()
    assert not RentWeek.objects.filter(rent_free=True, start_date__gte=ended - timedelta(7),
                                       start_date__lte=today).exists()

    # The Lettings Officer ends the tenancy from its page: the void opens by itself.
    login(page, live_server, lettings_officer, password)
    visit(page, live_server, f"/tenancies/{old.pk}/")
    follow(page, page.get_by_role("link", name="End the tenancy"))
    page.get_by_label("Last day of the tenancy").fill(ended.isoformat())
    page.get_by_role("radio", name="Tenant's notice").check()
    submit(page, page.get_by_role("button", name="End the tenancy"))
    expect(_success(page)).to_contain_text("The tenancy has ended and the home is void.")
    void = VoidPeriod.objects.get(previous_tenancy=old)
    assert (void.start_date, void.keys_in_date, void.stage) == (
        ended + timedelta(days=1), ended, Stage.KEYS_IN)

    visit(page, live_server, "/voids/")
    expect(page.get_by_role("heading", name="1 open void")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=void.reference)
    expect(row).to_contain_text("7 Quarry Lane")
    expect(row).to_contain_text("Keys in")
    expect(row).to_contain_text("Not inspected yet")
    expect(row.get_by_role("cell", name=f"{VOID_DAYS} from {_day(void.start_date)}",
                            exact=True)).to_be_visible()
    _shot(page, "01-worklist")
    follow(page, row.get_by_role("link", name=void.reference))

    expect(_h1(page)).to_have_text(f"Void {void.reference}")
    expect(page.locator("main .govuk-tag").first).to_have_text("Keys in")
    expect(page.locator("#days-void")).to_have_text(f"{VOID_DAYS} days")
    lost_so_far = _charged(void.start_date, today)
    expect(page.locator("#rent-lost")).to_contain_text(format_pence(lost_so_far))
    expect(_row(page, "Why it is void")).to_contain_text("Tenant's notice")
    expect(_row(page, "Why it is void")).to_contain_text(
        f"Tenancy {old.reference} ended {_day(ended)}")
    expect(page.locator("#missing")).to_contain_text("The void inspection has not been recorded.")
    _shot(page, "02-void-keys-in")

    # The inspection: a typing slip is refused and what was ticked is kept.
    follow(page, page.get_by_role("button", name="Record the inspection"))
    expect(_h1(page)).to_have_text("Void inspection")
    expect(page.get_by_label("Contractor for the works")).to_have_value(
        str(voids_contractor.pk))  # the only contractor whose contract covers the home
    page.get_by_label("Date of the inspection").fill(inspected.isoformat())
    page.get_by_role("checkbox", name="Clear rubbish and clean throughout").check()
    page.get_by_role("checkbox", name="Test the electrics and make safe").check()
    page.get_by_role("checkbox", name="Renew smoke and heat alarms").check()
    alarms = page.get_by_label("Quantity for Renew smoke and heat alarms")
    expect(alarms).to_have_value("2")
    alarms.fill("two")
    submit(page, page.get_by_role("button", name="Record the inspection and raise the works"))
    assert page.title().startswith("Error: Void inspection")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(
        "Select whether it is a standard void or a major works void.")
    expect(summary).to_contain_text(
        "Enter the quantity for “Renew smoke and heat alarms” as a number more than 0")
    expect(page.get_by_role("checkbox", name="Renew smoke and heat alarms")).to_be_checked()
    expect(page.get_by_label("Date of the inspection")).to_have_value(inspected.isoformat())
    _shot(page, "03-inspection-errors")
    summary.get_by_role("link", name="Select whether it is a standard void").click()
    expect(page.get_by_role("radio", name="Standard void")).to_be_focused()
    assert not WorkOrder.objects.exists()

    page.get_by_role("radio", name="Standard void").check()
    page.get_by_label("Quantity for Renew smoke and heat alarms").fill("2")
    page.get_by_label("Notes (optional)").fill("Rubbish in the loft; alarms past their date.")
    submit(page, page.get_by_role("button", name="Record the inspection and raise the works"))

    orders = list(WorkOrder.objects.filter(request__void=void).select_related("trade")
                  .order_by("trade__name"))
    assert [(order.trade.code, order.value_pence, order.status) for order in orders] == [
        ("electrical", 8500 + 2 * 7200, WorkOrder.Status.ISSUED),
        ("voids", 22000, WorkOrder.Status.ISSUED)]
    electrical, clearance = orders
    expect(_success(page)).to_contain_text(
        f"Inspection recorded. 2 works orders raised: {electrical.reference} (electrical), "
        f"{clearance.reference} (void works (general)).")
    expect(page.locator("main .govuk-tag").first).to_have_text("Void works")
    works = page.get_by_role("region", name="Works orders")
    for order, value in ((clearance, "£220.00"), (electrical, "£229.00")):
        line = works.get_by_role("row").filter(has_text=order.reference)
        expect(line).to_contain_text("Void Works Ltd")
        expect(line).to_contain_text("Issued to the contractor")
        expect(line).to_contain_text(value)
    expect(page.locator("#works ~ p").first).to_have_text("2 of 2 still open.")
    expect(_row(page, "Void type")).to_contain_text("Standard void")
    _shot(page, "04-void-works")

    # Ready to let is refused while the works are open: the summary says what is missing.
    follow(page, page.get_by_role("button", name="Mark ready to let"))
    submit(page, page.get_by_role("button", name="Mark ready to let"))
    assert page.title().startswith("Error: Mark ready to let")
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("7 Quarry Lane, EX2 5AT cannot be ready to let yet.")
    expect(summary).to_contain_text(
        f"Works orders still open: {electrical.reference} (issued to the contractor), "
        f"{clearance.reference} (issued to the contractor).")
    expect(summary).to_contain_text("No gas safety check is recorded in this void.")
    expect(summary).to_contain_text("No electrical safety check (EICR) is recorded in this void.")
    # ... and the page links each thing still to do to where it is done.
    next_steps = page.locator("#next-steps + ul")
    expect(next_steps.get_by_role("link")).to_have_text([
        f"Works order {electrical.reference}", f"Works order {clearance.reference}",
        "Record a safety check"])
    expect(next_steps).to_contain_text(
        "(gas safety check and electrical safety check (EICR) still needed)")
    expect(page.get_by_label("Date the home was ready to let")).to_have_value(today.isoformat())
    _shot(page, "05-ready-refused")
    void.refresh_from_db()
    assert (void.stage, void.ready_on) == (Stage.WORKS, None)
    # The sign-up screen refuses the home too, and says why.
    visit(page, live_server, f"/tenancies/sign-up/?property={home.pk}")
    expect(_h1(page)).to_have_text("This home cannot be let")
    expect(page.locator("main")).to_contain_text(
        f"Works orders still open: {electrical.reference} (issued to the contractor)")
    expect(page.locator("main")).to_contain_text(
        f"No offer has been accepted: record the offer and its acceptance on void "
        f"{void.reference} first.")
    expect(page.get_by_role("link", name=f"Go to void {void.reference}")).to_be_visible()
    _shot(page, "05-sign-up-refused")
    sign_out(page)

    # The contractor accepts and completes each order in the portal.
    login(page, live_server, contractor, password)
    for order in (clearance, electrical):
        visit(page, live_server, "/contractor/")
        follow(page, page.get_by_role("row").filter(has_text=order.reference)
               .get_by_role("link", name=order.reference))
        submit(page, page.get_by_role("button", name="Accept the order"))
        expect(_success(page)).to_contain_text("Order accepted.")
        follow(page, page.get_by_role("link", name="Complete the work order"))
        page.get_by_label("What was done?").fill("Done as ordered")
        submit(page, page.get_by_role("button", name="Complete the work order"))
        expect(_success(page)).to_contain_text("Work order completed.")
    sign_out(page)
    assert set(WorkOrder.objects.values_list("status", flat=True)) == {
        WorkOrder.Status.COMPLETED}

    # Back as the Lettings Officer: the safety checks, then ready to let.
    login(page, live_server, lettings_officer, password)
    visit(page, live_server, f"/voids/{void.pk}/")
    expect(page.locator("#works ~ p").first).to_have_text("All closed.")
    for kind, reference in (("Gas safety check", "GSR-55120"),
                            ("Electrical safety check (EICR)", "EICR-7781")):
        follow(page, page.get_by_role("button", name="Record a safety check"))
        page.get_by_role("radio", name=kind).check()
        page.get_by_label("Date the check was done").fill(checked.isoformat())
        page.get_by_label("Certificate reference").fill(reference)
        if kind == "Gas safety check":
            _shot(page, "06-safety-check")
        submit(page, page.get_by_role("button", name="Record the check"))
        expect(_success(page)).to_contain_text(f"{kind} recorded.")
    assert sorted(SafetyCheck.objects.filter(void=void).values_list("kind", flat=True)) == [
        "electrical", "gas"]
    expect(page.locator("#missing")).to_have_count(0)

    follow(page, page.get_by_role("button", name="Mark ready to let"))
    expect(page.locator("main")).to_contain_text("every works order is closed")
    submit(page, page.get_by_role("button", name="Mark ready to let"))
    expect(_success(page)).to_contain_text(
        "7 Quarry Lane, EX2 5AT is ready to let. Record the offer when it is made.")
    expect(page.locator("main .govuk-tag").first).to_have_text("Ready to let")
    expect(_row(page, "Ready to let")).to_contain_text(_day(today))
    _shot(page, "07-void-ready")

    # The offer and its acceptance.
    follow(page, page.get_by_role("button", name="Record an offer"))
    page.get_by_label("Applicant's name").fill("Mrs Grace Okafor")
    page.get_by_label("Applicant's reference (optional)").fill("HR-20931")
    _shot(page, "08-offer")
    submit(page, page.get_by_role("button", name="Record the offer"))
    expect(_success(page)).to_contain_text("Offer to Mrs Grace Okafor recorded")
    expect(page.locator("main .govuk-tag").first).to_have_text("Offered")
    follow(page, page.get_by_role("button", name="Record the answer from Mrs Grace Okafor"))
    page.get_by_role("radio", name="Accepted: the applicant will sign up").check()
    _shot(page, "09-offer-outcome")
    submit(page, page.get_by_role("button", name="Record the answer"))
    expect(_success(page)).to_contain_text("Mrs Grace Okafor accepted the offer.")
    _shot(page, "10-void-offered")

    # The sign-up, prefilled from the offer, lets the void.
    follow(page, page.get_by_role("button", name="Sign up Mrs Grace Okafor"))
    expect(_h1(page)).to_have_text("Sign up a new tenancy")
    expect(page.locator("main")).to_contain_text(f"This lets void {void.reference}")
    expect(page.locator("main")).to_contain_text(
        f"which cannot be before {_day(today)}, the day the home was offered")
    lead = page.get_by_role("group", name="Lead tenant")
    expect(lead.get_by_label("Title")).to_have_value("Mrs")
    expect(lead.get_by_label("First name")).to_have_value("Grace")
    expect(lead.get_by_label("Last name")).to_have_value("Okafor")
    page.get_by_role("radio", name="Secure").check()
    page.get_by_label("Start date").fill(today.isoformat())
    lead.get_by_label("Date of birth").fill("1986-07-14")
    _shot(page, "11-sign-up")
    submit(page, page.get_by_role("button", name="Sign up the tenancy"))
    new = Tenancy.objects.get(property=home, end_date__isnull=True)
    expect(_success(page)).to_contain_text(
        f"Tenancy {new.reference} signed up: 7 Quarry Lane")
    expect(_success(page)).to_contain_text(f"Void {void.reference} is closed")

    # The void is let: its relet days and the rent it lost, from the dates.
    visit(page, live_server, f"/voids/{void.pk}/")
    void.refresh_from_db()
    assert (void.stage, void.let_date, void.new_tenancy_id) == (Stage.LET, today, new.pk)
    lost = _charged(void.start_date, today - timedelta(days=1))
    expect(page.locator("main .govuk-tag").first).to_have_text("Let")
    expect(page.locator("#relet-days")).to_contain_text(
        f"{VOID_DAYS} calendar daysFrom the day the last tenancy ended to the day the new one "
        f"started: tenancy {new.reference}, {_day(today)}")
    expect(page.locator("#days-void")).to_have_text(f"{VOID_DAYS - 1} days")
    expect(page.locator("#rent-lost")).to_contain_text(format_pence(lost))
    expect(page.get_by_role("button", name="Record the inspection")).to_have_count(0)
    _shot(page, "12-void-let")

    # The KPI page: this reporting year so far.
    start = _reporting_year_start(today)
    lost_in_year = _charged(max(void.start_date, start), today - timedelta(days=1))
    roll = _charged(start, today)  # the only home with charges
    visit(page, live_server, "/voids/kpis/")
    relet = page.get_by_role("table", name="Average relet time")
    standard = relet.get_by_role("row").filter(has_text="Standard voids")
    expect(standard.get_by_role("link", name="1 lettings: standard voids")).to_have_text("1")
    expect(standard.get_by_role("link", name=f"{VOID_DAYS}.0 days average relet time")
           ).to_have_text(f"{VOID_DAYS}.0")
    expect(relet.get_by_role("row").filter(has_text="Major works voids")).to_contain_text(
        "No lettings")
    expect(_row(page, "Rent lost")).to_contain_text(f"{format_pence(lost_in_year)} rent lost")
    losing = 1 if lost_in_year else 0  # none on 1 April: the void was in the year before
    expect(_row(page, "Rent lost")).to_contain_text(f"on {losing} void{'' if losing == 1 else 's'}")
    expect(_row(page, "Share of the rent roll")).to_contain_text(_percent(lost_in_year, roll))
    expect(_row(page, "Rent roll")).to_contain_text(format_pence(roll))
    _shot(page, "13-kpis")

    follow(page, standard.get_by_role("link", name=f"{VOID_DAYS}.0"))
    expect(_h1(page)).to_have_text("Lettings and relet times")
    letting = page.get_by_role("row").filter(has_text=void.reference)
    expect(letting).to_contain_text(_day(ended))
    expect(letting.get_by_role("cell").last).to_have_text(str(VOID_DAYS))
    _shot(page, "14-kpi-lettings")
    follow(page, page.get_by_role("link", name="Void KPIs"))
    follow(page, _row(page, "Rent lost").get_by_role("link"))
    expect(_h1(page)).to_have_text("Void rent loss")
    expect(page.get_by_role("heading", level=2, name=format_pence(lost_in_year))).to_be_visible()
    loss_row = page.get_by_role("row").filter(has_text=void.reference)
    if losing:
        expect(loss_row.get_by_role("cell").last).to_have_text(format_pence(lost_in_year))
    _shot(page, "15-kpi-rent-loss")

    # The CORE lettings log holds the letting.
    visit(page, live_server, "/voids/lettings-log/")
    log = LettingLog.objects.get(void=void)
    assert (log.tenancy_id, log.times_offered, log.relet_date, log.void_date,
            log.weekly_rent_pence, log.weekly_service_pence) == (
        new.pk, 1, today, ended, RENT_PENCE, SERVICE_PENCE)
    core = page.get_by_role("row").filter(has_text=void.reference)
    expect(core).to_contain_text(new.reference)
    expect(core).to_contain_text("100.00")
    _shot(page, "16-core-log")
    sign_out(page)

    # Council Tax: sent from the worklist to the occupancy changes, each listed once.
    login(page, live_server, council_tax, password)
    visit(page, live_server, "/voids/")
    expect(_h1(page)).to_have_text("Occupancy changes for Council Tax")
    changes = page.get_by_role("region", name="Occupancy changes")
    expect(changes.get_by_role("row").filter(has_text=void.reference)).to_have_count(2)
    expect(changes.get_by_role("row").filter(has_text="Void from")).to_contain_text(
        _day(void.start_date))
    expect(changes.get_by_role("row").filter(has_text="Let from")).to_contain_text(_day(today))
    _shot(page, "17-council-tax")
    assert sorted(OccupancyChange.objects.filter(void=void).values_list("event", "date")) == [
        ("let", today), ("void", void.start_date)]
    assert Offer.objects.get(void=void).outcome == Offer.Outcome.ACCEPTED


# --- A phone-width screen ---------------------------------------------------------------------


def test_the_worklist_and_the_void_page_work_on_a_phone(
        page, live_server, lettings_officer, home, voids_contractor, password):
    today = timezone.localdate()
    old = home.tenancies.get()
    tenancy_services.end_tenancy(tenancy_id=old.pk, end_date=today - timedelta(days=10),
                                 reason="notice", by=None, at=timezone.now())
    void = VoidPeriod.objects.get(previous_tenancy=old)
    page.set_viewport_size(PHONE)

    login(page, live_server, lettings_officer, password)
    visit(page, live_server, "/voids/")
    expect(page.get_by_role("link", name=void.reference)).to_be_visible()
    assert _scroll_width(page) <= 320, "the worklist scrolls sideways at 320 px"
    follow(page, page.get_by_role("link", name=void.reference))
    expect(_h1(page)).to_have_text(f"Void {void.reference}")
    assert _scroll_width(page) <= 320, "the void page scrolls sideways at 320 px"

    # The main action is reachable by keyboard: Tab to it and press Enter.
    target = page.get_by_role("button", name="Record the inspection")
    for _ in range(80):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the “Record the inspection” button")
    with page.expect_navigation(wait_until="load"):
        page.keyboard.press("Enter")
    assert_accessible(page)
    expect(_h1(page)).to_have_text("Void inspection")
    assert _scroll_width(page) <= 320, "the inspection form scrolls sideways at 320 px"

    # The open void in the KPI page's stage-by-age table, and the drill-down behind it.
    visit(page, live_server, "/voids/kpis/")
    follow(page, page.get_by_role("link", name="1 keys in, 8 to 14 days"))
    expect(_h1(page)).to_have_text("Open voids by stage and age")
    expect(page.get_by_role("row").filter(has_text=void.reference)).to_contain_text(
        format_pence(_charged(void.start_date, today)))
    _shot(page, "18-kpi-open-voids")
