"""Repairs in the browser: a Repairs Officer raises a repair from the property page and an
order over their spend limit, which waits until a Team Leader approves it; and contractor A
books, starts and completes an issued order in the portal and submits a matching invoice,
which a Repairs Officer approves, while contractor B's user gets a 404 for A's order. Every
page is checked with axe-core. Dates are built from today: the pages use it."""

import io
from datetime import date

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from housing.workdays import add_working_days
from repairs import services
from repairs.models import (
    Appointment,
    Capacity,
    Contract,
    Contractor,
    ContractorMember,
    Invoice,
    Priority,
    RepairPhoto,
    RepairRequest,
    Trade,
    WorkOrder,
    WorkOrderEvent,
)
from tenancies import services as tenancy_services
from tests.browser.helpers import follow, login, sign_out, submit, visit
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
Status = WorkOrder.Status


def _day(value) -> str:
    return f"{value:%-d %B %Y}"


def _success(page):
    return page.locator(".govuk-notification-banner--success")


def _row(page, key: str):
    """The summary list row whose key is `key`."""
    return page.locator(".govuk-summary-list__row").filter(
        has=page.locator(".govuk-summary-list__key", has_text=key))


def _titles(page) -> list[str]:
    return page.locator(".moj-timeline .moj-timeline__title").all_text_contents()


@pytest.fixture
def home(north):
    """A let home on the North patch."""
    home = PropertyFactory(patch=north, address_line_1="12 Mill Lane", town="Exeter",
                           postcode="EX1 2HL")
    tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                             start_date=date(2020, 1, 6),
                             tenant_ids=[PersonFactory(first_name="Ada", last_name="Quick").pk],
                             by=None, at=timezone.now())
    return home


@pytest.fixture
def plumbing(db):
    return Trade.objects.get(code="plumbing")


def _company(code: str, name: str, user, plumbing) -> Contractor:
    """A contractor with a plumbing contract (every patch), its portal user and capacity."""
    company = Contractor.objects.create(code=code, name=name)
    ContractorMember.objects.create(contractor=company, user=user)
    contract = Contract.objects.create(contractor=company, reference=f"C-{code}",
                                       name="Responsive plumbing", start_date=date(2024, 4, 1))
    contract.trades.add(plumbing)
    Capacity.objects.create(contractor=company, trade=plumbing, am_jobs=2, pm_jobs=2)
    return company


@pytest.fixture
def contractor_a(contractor, plumbing):
    return _company("a-plumbing", "A Plumbing Ltd", contractor, plumbing)


@pytest.fixture
def contractor_b(other_contractor, plumbing):
    return _company("b-builders", "B Builders Ltd", other_contractor, plumbing)


def _png(path):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_an_order_over_the_spend_limit_waits_for_a_team_leaders_approval(
        page, live_server, repairs_officer, team_leader, home, contractor_a, password,
        settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    today = timezone.localdate()
    due = add_working_days(today, 20)

    login(page, live_server, repairs_officer, password)
    visit(page, live_server, f"/properties/{home.pk}/")
    follow(page, page.get_by_role("button", name="Raise a repair"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Raise a repair")
    page.get_by_role("radio", name="Kitchen").check()
    page.get_by_label("What is wrong?").fill("Leak under the kitchen sink, cupboard soaked")
    page.get_by_role("radio", name=f"Routine: within 20 working days (by {due:%A %-d %B %Y})"
                     ).check()
    page.get_by_role("radio", name="Ada Quick").check()
    submit(page, page.get_by_role("button", name="Raise the repair"))
    repair = RepairRequest.objects.get(property=home)
    expect(_success(page)).to_contain_text(f"Repair {repair.reference} recorded.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Repair {repair.reference}")

    follow(page, page.get_by_role("button", name="Raise a work order"))
    expect(page.locator("main")).to_contain_text("Your spend limit is £1,500.00.")
    page.get_by_label("Contractor", exact=True).select_option(label="A Plumbing Ltd")
    page.get_by_label("Trade", exact=True).select_option(label="Plumbing")
    # £95.00 x 12 + £68.00 x 6 = £1,548.00: over the Repairs Officer's £1,500.
    page.get_by_label("SOR code, line 1").fill("PL130")
    page.get_by_label("Quantity, line 1").fill("12")
    page.get_by_label("SOR code, line 2").fill("PL129")  # a slip of the finger
    page.get_by_label("Quantity, line 2").fill("6")
    submit(page, page.get_by_role("button", name="Raise the order"))
    assert page.title().startswith("Error: Raise a work order")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "PL129 is not in the Schedule of Rates.")
    expect(page.get_by_label("SOR code, line 1")).to_have_value("PL130")
    expect(page.get_by_label("Quantity, line 1")).to_have_value("12")
    expect(page.get_by_label("Contractor", exact=True)).to_have_value(str(contractor_a.pk))
    assert not WorkOrder.objects.filter(request=repair).exists()
    page.get_by_label("SOR code, line 2").fill("PL120")
    submit(page, page.get_by_role("button", name="Raise the order"))

    order = WorkOrder.objects.get(request=repair)
    expect(_success(page)).to_contain_text(
        f"Work order {order.reference} for £1,548.00 is raised. It is over your spend limit, "
        f"so it waits for approval.")
    expect(page.locator("main .govuk-tag").first).to_have_text("Waiting for approval")
    waiting = page.locator(".govuk-inset-text").filter(has_text="Waiting for approval")
    expect(waiting).to_contain_text(f"£1,548.00 is over the spend limit of "
                                    f"{repairs_officer.display_name}.")
    expect(waiting).to_contain_text("You raised this order, so someone else must approve it.")
    expect(page.get_by_role("button", name="Approve and issue the order")).to_have_count(0)
    expect(page.get_by_role("table", name="SOR lines and prices")).to_contain_text("£1,548.00")
    assert order.status == Status.RAISED

    sign_out(page)
    login(page, live_server, team_leader, password)
    visit(page, live_server, "/repairs/")
    follow(page, page.get_by_role("link", name="Waiting for approval (1)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for your approval")
    row = page.get_by_role("row").filter(has_text=order.reference)
    expect(row).to_contain_text("12 Mill Lane")
    expect(row).to_contain_text("£1,548.00")
    expect(row).to_contain_text(f"by {repairs_officer.display_name}")
    follow(page, row.get_by_role("link", name=order.reference))
    submit(page, page.get_by_role("button", name="Approve and issue the order"))

    expect(_success(page)).to_contain_text(
        f"Work order {order.reference} approved and issued to A Plumbing Ltd.")
    expect(page.locator("main .govuk-tag").first).to_have_text("Issued to the contractor")
    expect(page.get_by_role("button", name="Approve and issue the order")).to_have_count(0)
    expect(_row(page, "Raised")).to_contain_text(
        f"Approved by {team_leader.display_name}")
    titles = _titles(page)
    assert titles[:3] == [
        "Issued to A Plumbing Ltd",
        f"Approved: £1,548.00, within {team_leader.display_name}’s spend limit of £10,000.00",
        "Raised: £1,548.00 waits for approval"], titles
    bylines = page.locator(".moj-timeline__byline").all_text_contents()
    assert bylines[:3] == [f"by {team_leader.display_name}"] * 2 + [
        f"by {repairs_officer.display_name}"], bylines

    order.refresh_from_db()
    assert (order.status, order.value_pence, order.raised_by, order.approved_by) == (
        Status.ISSUED, 154800, repairs_officer, team_leader)
    assert list(order.events.order_by("at", "pk").values_list("to_status", flat=True)) == [
        Status.RAISED, Status.APPROVED, Status.ISSUED]


def test_contractor_a_books_completes_and_invoices_and_an_officer_approves(
        page, live_server, repairs_officer, contractor, other_contractor, home, contractor_a,
        contractor_b, password, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    now = timezone.now()
    repair = services.raise_request(
        property_id=home.pk, location=RepairRequest.Location.KITCHEN,
        description="Dripping kitchen tap", access_notes="Key safe by the back door: 4321",
        priority_id=Priority.objects.get(code="routine").pk, channel=RepairRequest.Channel.PHONE,
        by=repairs_officer, at=now)
    order = services.raise_order(
        request_id=repair.pk, contractor_id=contractor_a.pk,
        trade_id=Trade.objects.get(code="plumbing").pk, description="Renew the tap cartridge",
        lines=[("PL100", "2"), ("PL110", "1")], by=repairs_officer, at=now)
    assert order.status == Status.ISSUED and order.value_pence == 2 * 2850 + 4200

    # Contractor B's user cannot open A's order by its URL.
    login(page, live_server, other_contractor, password)
    response = visit(page, live_server, f"/contractor/orders/{order.pk}/")
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text(order.reference)
    response = visit(page, live_server, f"/contractor/orders/{order.pk}/appointment/")
    assert response.status == 404
    sign_out(page)

    login(page, live_server, contractor, password)
    visit(page, live_server, "/contractor/")
    expect(page.get_by_role("link", name="New (1)")).to_have_attribute("aria-current", "page")
    row = page.get_by_role("row").filter(has_text=order.reference)
    expect(row).to_contain_text("12 Mill Lane")
    expect(row).to_contain_text("Not accepted yet")
    follow(page, row.get_by_role("link", name=order.reference))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Work order {order.reference}")
    expect(page.locator("main")).to_contain_text("Key safe by the back door: 4321")
    expect(page.get_by_role("table", name="SOR lines")).to_contain_text("£99.00")
    submit(page, page.get_by_role("button", name="Accept the order"))
    expect(_success(page)).to_contain_text("Order accepted.")

    follow(page, page.get_by_role("link", name="Book the appointment"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Book the appointment")
    first_day = page.locator("input[name=choice]").first.get_attribute("value").split("|")[0]
    day = date.fromisoformat(first_day)
    assert timezone.localdate() <= day <= order.target_date
    page.get_by_role("radio", name=f"{day:%A} {_day(day)}, Morning").check()
    submit(page, page.get_by_role("button", name="Book the appointment"))
    expect(_success(page)).to_contain_text(
        f"Appointment booked for {day:%A} {_day(day)}, morning. The tenant is told.")
    appointment_row = _row(page, "Appointment")
    expect(appointment_row).to_contain_text(f"{day:%A} {_day(day)}, morning")
    expect(_row(page, "Status")).to_contain_text(
        "Appointment booked")

    submit(page, page.get_by_role("button", name="Start the work"))
    expect(_success(page)).to_contain_text("Work started.")
    follow(page, page.get_by_role("link", name="Complete the work order"))
    expect(page.get_by_label("Date the work was completed")).to_have_value(
        timezone.localdate().isoformat())
    page.get_by_label("What was done?").fill("Renewed two tap cartridges and cleared the waste")
    page.get_by_label("Photos (optional)").set_input_files(str(_png(tmp_path / "tap.png")))
    submit(page, page.get_by_role("button", name="Complete the work order"))
    expect(_success(page)).to_contain_text("Work order completed.")
    expect(_row(page, "Completed")).to_contain_text(
        "Renewed two tap cartridges")

    follow(page, page.get_by_role("link", name="Submit an invoice"))
    expect(page.get_by_label("Line 1 SOR code")).to_have_value("PL100")
    expect(page.get_by_label("Line 1 quantity")).to_have_value("2")
    expect(page.get_by_label("Line 1 unit price")).to_have_value("28.50")
    expect(page.get_by_label("Line 2 SOR code")).to_have_value("PL110")
    page.get_by_label("Your invoice number").fill("INV-1001")
    submit(page, page.get_by_role("button", name="Submit the invoice"))
    expect(_success(page)).to_contain_text(
        "Invoice INV-1001 submitted. It matches the order and waits for the council's approval.")
    expect(page.get_by_role("heading", name="Invoice INV-1001")).to_have_text(
        "Invoice INV-1001: matches the order, waiting for the council’s approval")
    sign_out(page)

    login(page, live_server, repairs_officer, password)
    visit(page, live_server, "/repairs/")
    follow(page, page.get_by_role("link", name="Contractors’ invoices"))
    follow(page, page.get_by_role("link", name="INV-1001 from A Plumbing Ltd"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice INV-1001")
    expect(page.locator("main")).to_contain_text(
        "Every line matches the order’s lines and prices")
    submit(page, page.get_by_role("button", name="Approve for payment"))
    expect(_success(page)).to_contain_text("Invoice INV-1001 approved for payment.")
    expect(_row(page, "Approved")).to_contain_text(
        f"by {repairs_officer.display_name}")

    order.refresh_from_db()
    assert order.status == Status.INVOICED
    assert order.completion_notes == "Renewed two tap cartridges and cleared the waste"
    invoice = Invoice.objects.get(order=order)
    assert (invoice.status, invoice.total_pence, invoice.contractor, invoice.approved_by) == (
        Invoice.Status.APPROVED, 9900, contractor_a, repairs_officer)
    appointment = order.appointments.get()
    assert (appointment.date, appointment.slot, appointment.status) == (
        day, Appointment.Slot.AM, Appointment.Status.ATTENDED)
    assert RepairPhoto.objects.filter(request=repair, order=order).count() == 1
    summaries = list(WorkOrderEvent.objects.filter(order=order).order_by("at", "pk")
                     .values_list("summary", flat=True))
    assert "Work started" in summaries
    assert "Invoice INV-1001 approved for payment" in summaries
