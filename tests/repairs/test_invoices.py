"""Invoices: the line-by-line check (clean, and each kind of mismatch named), approved
variations counted and waiting ones not, numbers once per contractor, orders that are not
complete or not the contractor's; the officer's approval, payment and query; and the staff
screens with who may see and act, and their query counts."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from repairs import invoices, services
from repairs.invoices import Line, mismatches
from repairs.models import Invoice, WorkOrder
from tests.housing.factories import PropertyFactory, UserFactory
from tests.repairs.conftest import AT

pytestmark = pytest.mark.django_db

Status = WorkOrder.Status
ORDERED = [("PL100", "1", 2850), ("PL110", "2", 4200)]


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 10:15:00"):
        yield


@pytest.fixture
def order(home, contractor_a, make_order):
    """A completed order: PL100 x 1 at £28.50 and PL110 x 2 at £42.00 (£112.50)."""
    return make_order(home, contractor_a, status=Status.COMPLETED,
                      lines=[("PL100", "1"), ("PL110", "2")])


def _submit(order, user, lines=ORDERED, number="INV-1"):
    return invoices.submit_invoice(order_id=order.pk, number=number, lines=lines, by=user,
                                   at=AT)


def _errors(excinfo) -> dict:
    return {key: " ".join(value) for key, value in excinfo.value.message_dict.items()}


# --- The check (pure) -------------------------------------------------------------------------


def _lines(*rows):
    return [Line(code, Decimal(quantity), price) for code, quantity, price in rows]


@pytest.mark.parametrize(("invoiced", "expected"), [
    ([("PL100", "1", 2850), ("PL110", "2", 4200)], {}),
    ([("pl110", "2.00", 4200), ("PL100", "1", 2850)], {}),  # order and case do not matter
    ([("PL100", "1", 2850), ("PL110", "1", 4200), ("PL110", "1", 4200)], {}),  # split lines
    ([("PL100", "2", 2850), ("PL110", "2", 4200)],
     {"PL100": "PL100: invoiced 2 at £28.50, ordered 1 at £28.50"}),
    ([("PL100", "1", 3000), ("PL110", "2", 4200)],
     {"PL100": "PL100: invoiced 1 at £30.00, ordered 1 at £28.50"}),
    ([("PL100", "1", 2850)], {"PL110": "PL110: ordered 2 at £42.00, not invoiced"}),
    ([("PL100", "1", 2850), ("PL110", "2", 4200), ("PL130", "1", 9500)],
     {"PL130": "PL130: invoiced 1 at £95.00, not on the order"}),
    ([("PL130", "0.5", 9500)],
     {"PL100": "PL100: ordered 1 at £28.50, not invoiced",
      "PL110": "PL110: ordered 2 at £42.00, not invoiced",
      "PL130": "PL130: invoiced 0.5 at £95.00, not on the order"}),
])
def test_each_difference_is_named(invoiced, expected):
    assert mismatches(_lines(*ORDERED), _lines(*invoiced)) == expected


def test_a_code_at_two_prices_is_described_price_by_price():
    ordered = _lines(("GN990", "2", 3500), ("GN990", "1", 4000))
    assert mismatches(ordered, _lines(("GN990", "3", 3500))) == {
        "GN990": "GN990: invoiced 3 at £35.00, ordered 2 at £35.00 and 1 at £40.00"}


# --- Submitting -------------------------------------------------------------------------------


def test_a_matching_invoice_is_submitted_and_the_order_invoiced(order, contractor):
    invoice = _submit(order, contractor)
    order.refresh_from_db()
    assert (invoice.status, invoice.total_pence, invoice.query) == ("submitted", 11250, "")
    assert invoice.contractor == order.contractor and invoice.submitted_by == contractor
    assert [(line.code, line.quantity, line.value_pence, line.problem)
            for line in invoice.lines.all()] == [("PL100", Decimal("1.00"), 2850, ""),
                                                 ("PL110", Decimal("2.00"), 8400, "")]
    assert order.status == Status.INVOICED
    assert order.events.get(to_status="invoiced").summary == ("Invoice INV-1 submitted: "
                                                              "£112.50, matching the order")


def test_a_mismatch_is_queried_with_the_lines_named_and_the_order_stays_completed(order,
                                                                                  contractor):
    invoice = _submit(order, contractor, lines=[("PL100", "2", 2850), ("PL130", "1", 9500)])
    order.refresh_from_db()
    assert invoice.status == "queried"
    assert invoice.query.splitlines() == [
        "PL100: invoiced 2 at £28.50, ordered 1 at £28.50",
        "PL110: ordered 2 at £42.00, not invoiced",
        "PL130: invoiced 1 at £95.00, not on the order"]
    assert [line.problem for line in invoice.lines.all()] == [
        "PL100: invoiced 2 at £28.50, ordered 1 at £28.50",
        "PL130: invoiced 1 at £95.00, not on the order"]
    assert order.status == Status.COMPLETED
    assert order.events.get().summary == "Invoice INV-1 queried: 3 lines do not match the order"
    # Corrected, with a new number: the queried one keeps its number.
    with pytest.raises(ValidationError) as refused:
        _submit(order, contractor, number="inv-1")
    assert _errors(refused) == {"number": f"You have already used invoice number INV-1, for "
                                          f"work order {order.reference}. Give this invoice a "
                                          f"new number."}
    assert _submit(order, contractor, number="INV-2").status == "submitted"


def test_a_price_that_differs_from_the_contract_is_queried(home, contractor_a, make_order,
                                                           contractor):
    contract = contractor_a.contracts.get()
    contract.rates.create(code="PL100", unit_price_pence=2500)
    order = make_order(home, contractor_a, status=Status.COMPLETED)
    order.lines.update(unit_price_pence=2500, value_pence=2500)  # priced at the contract rate
    invoice = _submit(order, contractor, lines=[("PL100", "1", 2850)])  # the SOR price
    assert invoice.query == "PL100: invoiced 1 at £28.50, ordered 1 at £25.00"


def test_a_number_is_used_once_per_contractor_but_another_contractor_may_use_it(
        order, home, make_order, contractor_b, contractor, other_contractor):
    _submit(order, contractor)
    theirs = make_order(home, contractor_b, status=Status.COMPLETED,
                        lines=[("PL100", "1"), ("PL110", "2")])
    assert _submit(theirs, other_contractor).number == "INV-1"
    second = make_order(home, order.contractor, status=Status.COMPLETED)
    with pytest.raises(ValidationError, match=f"already used invoice number INV-1, for work "
                                              f"order {order.reference}"):
        _submit(second, contractor, lines=[("PL100", "1", 2850)])


@pytest.mark.parametrize("status", [Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS,
                                    Status.NO_ACCESS, Status.CANCELLED])
def test_an_order_that_is_not_complete_is_refused(home, contractor_a, make_order, contractor,
                                                  status):
    order = make_order(home, contractor_a, status=status)
    with pytest.raises(ValidationError) as refused:
        _submit(order, contractor)
    assert refused.value.messages == [
        f"Work order {order.reference} is not complete (it is "
        f"{order.get_status_display().lower()}): invoice it once the work is completed."]
    assert not Invoice.objects.exists()


def test_an_invoiced_order_is_refused_naming_its_invoice(order, contractor):
    _submit(order, contractor)
    with pytest.raises(ValidationError, match=f"{order.reference} is already invoiced "
                                              f"\\(invoice INV-1\\)"):
        _submit(order, contractor, number="INV-2")


def test_another_contractors_order_is_refused_as_if_it_did_not_exist(order, other_contractor,
                                                                     contractor_b):
    with pytest.raises(ValidationError) as refused:
        _submit(order, other_contractor)
    assert refused.value.messages == ["There is no such work order for your company."]
    assert not Invoice.objects.exists()


def test_bad_lines_and_a_missing_number_are_refused(order, contractor):
    with pytest.raises(ValidationError) as refused:
        _submit(order, contractor, number=" ", lines=[("PL100", "0", 2850), ("", "1", 100),
                                                      ("PL110", "1.234", 4200)])
    assert _errors(refused) == {
        "number": "Enter your invoice number.",
        "lines": "Line 1 (PL100): enter a quantity more than 0, like 1 or 2.5. Line 2: enter "
                 "the SOR code. Line 3 (PL110): enter a quantity more than 0, like 1 or 2.5."}
    with pytest.raises(ValidationError, match="Enter at least one line"):
        _submit(order, contractor, lines=[])


def test_approved_variations_count_and_waiting_ones_do_not(home, contractor_a, make_order,
                                                           contractor, team_leader):
    order = make_order(home, contractor_a, status=Status.IN_PROGRESS)  # PL100 x 1
    variation = services.add_variation(order_id=order.pk, lines=[("PL100", "2"),
                                                                 ("PL130", "1")],
                                       reason="Second tap and a leak", by=contractor, at=AT)
    # Waiting for approval, it changes nothing: the invoice is checked against PL100 x 1.
    assert invoices.ordered_lines(order) == [Line("PL100", Decimal("1.00"), 2850)]
    services.approve_variation(variation_id=variation.pk, by=team_leader, at=AT)
    WorkOrder.objects.filter(pk=order.pk).update(status=Status.COMPLETED)
    # Now PL100 x 2 replaces PL100 x 1, and PL130 is added.
    assert invoices.ordered_lines(order) == [Line("PL100", Decimal("2.00"), 2850),
                                             Line("PL130", Decimal("1.00"), 9500)]
    queried = _submit(order, contractor, number="INV-2", lines=[("PL100", "1", 2850)])
    assert queried.query.splitlines() == ["PL100: invoiced 1 at £28.50, ordered 2 at £28.50",
                                          "PL130: ordered 1 at £95.00, not invoiced"]
    matched = _submit(order, contractor, number="INV-3",
                      lines=[("PL100", "2", 2850), ("PL130", "1", 9500)])
    assert (matched.status, matched.total_pence) == ("submitted", 15200)


# --- The officer's side -----------------------------------------------------------------------


def test_approve_then_pay(order, contractor, repairs_officer):
    invoice = _submit(order, contractor)
    with pytest.raises(ValidationError, match="Invoice INV-1 is submitted: matches the order: "
                                              "it cannot be marked paid"):
        invoices.mark_paid(invoice_id=invoice.pk, by=repairs_officer, at=AT)
    invoices.approve_invoice(invoice_id=invoice.pk, by=repairs_officer, at=AT)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.approved_by) == ("approved", repairs_officer)
    invoices.mark_paid(invoice_id=invoice.pk, by=repairs_officer, at=AT)
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert invoice.status == "paid" and invoice.paid_at == AT
    assert order.status == Status.PAID
    assert list(order.events.order_by("pk").values_list("summary", flat=True)) == [
        "Invoice INV-1 submitted: £112.50, matching the order",
        "Invoice INV-1 approved for payment", "Invoice INV-1 paid"]


def test_a_queried_invoice_cannot_be_approved(order, contractor, repairs_officer):
    invoice = _submit(order, contractor, lines=[("PL100", "1", 2850)])
    with pytest.raises(ValidationError, match="is queried with the contractor: it cannot be "
                                              "approved"):
        invoices.approve_invoice(invoice_id=invoice.pk, by=repairs_officer, at=AT)


def test_an_officer_queries_a_submitted_invoice_and_the_order_is_completed_again(
        order, contractor, repairs_officer):
    invoice = _submit(order, contractor)
    with pytest.raises(ValidationError):
        invoices.query_invoice(invoice_id=invoice.pk, reason="", by=repairs_officer, at=AT)
    invoices.query_invoice(invoice_id=invoice.pk, reason="Tap not renewed: photo shows the old "
                           "one", by=repairs_officer, at=AT)
    invoice.refresh_from_db()
    order.refresh_from_db()
    assert invoice.status == "queried" and invoice.query.startswith("Tap not renewed")
    assert order.status == Status.COMPLETED
    assert _submit(order, contractor, number="INV-2").status == "submitted"


# --- Staff screens ----------------------------------------------------------------------------


@pytest.fixture
def submitted(order, contractor):
    return _submit(order, contractor)


@pytest.mark.parametrize("persona", ["repairs_officer", "team_leader", "administrator"])
def test_officers_who_approve_invoices_see_the_list_and_the_invoice(client_for, request,
                                                                    submitted, persona):
    client = client_for(request.getfixturevalue(persona))
    page = client.get("/repairs/invoices/").content.decode()
    assert "INV-1" in page and "A Plumbing Ltd" in page
    page = client.get(f"/repairs/invoices/{submitted.pk}/").content.decode()
    assert "Approve for payment" in page and "Matches" in page


@pytest.mark.parametrize("persona", ["officer", "customer_access", "lettings_officer",
                                     "council_tax", "no_access"])
def test_other_staff_are_refused(client_for, request, submitted, persona):
    client = client_for(request.getfixturevalue(persona))
    for url in ("/repairs/invoices/", f"/repairs/invoices/{submitted.pk}/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/repairs/invoices/{submitted.pk}/approve/").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_kept_out(client_for, request, submitted, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/repairs/invoices/").status_code == 403
    assert client.get(f"/repairs/invoices/{submitted.pk}/").status_code == 403


def test_anonymous_visitors_sign_in(client, submitted):
    response = client.get(f"/repairs/invoices/{submitted.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_reader_without_approval_sees_but_cannot_approve(client_for, submitted):
    reader = UserFactory(role="Housing Officer")
    reader.user_permissions.add(Permission.objects.get(codename="view_invoice"),
                                Permission.objects.get(codename="view_all_patches"))
    client = client_for(reader)
    page = client.get(f"/repairs/invoices/{submitted.pk}/").content.decode()
    assert "INV-1" in page and "Approve for payment" not in page
    assert client.post(f"/repairs/invoices/{submitted.pk}/approve/").status_code == 403
    assert client.post(f"/repairs/invoices/{submitted.pk}/paid/").status_code == 403
    assert client.get(f"/repairs/invoices/{submitted.pk}/query/").status_code == 403


def test_an_invoice_off_the_users_patches_is_not_found(client_for, submitted, south):
    user = UserFactory(role="Housing Officer", patches=[south])
    user.user_permissions.add(Permission.objects.get(codename="view_invoice"),
                              Permission.objects.get(codename="approve_invoice"))
    client = client_for(user)
    assert client.get(f"/repairs/invoices/{submitted.pk}/").status_code == 404
    assert client.post(f"/repairs/invoices/{submitted.pk}/approve/").status_code == 404
    assert "INV-1" not in client.get("/repairs/invoices/").content.decode()


def test_approving_and_paying_on_the_page(client_for, submitted, repairs_officer):
    client = client_for(repairs_officer)
    response = client.post(f"/repairs/invoices/{submitted.pk}/approve/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Invoice INV-1 approved for payment." in page and "Mark as paid" in page
    assert client.post(f"/repairs/invoices/{submitted.pk}/paid/").status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "paid"
    response = client.post(f"/repairs/invoices/{submitted.pk}/paid/", follow=True)
    assert "Invoice INV-1 is paid: it cannot be marked paid." in response.content.decode()


def test_a_queried_invoice_shows_the_lines_named(client_for, order, contractor, repairs_officer):
    invoice = _submit(order, contractor, lines=[("PL100", "2", 2850), ("PL110", "2", 4200)])
    page = client_for(repairs_officer).get(f"/repairs/invoices/{invoice.pk}/").content.decode()
    assert "PL100: invoiced 2 at £28.50, ordered 1 at £28.50" in page
    assert "Does not match" in page and "Approve for payment" not in page


def test_querying_on_the_page_needs_a_reason(client_for, submitted, repairs_officer):
    client = client_for(repairs_officer)
    response = client.post(f"/repairs/invoices/{submitted.pk}/query/", {"reason": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page and "<title>Error:" in page
    assert "Say what is wrong, for the contractor." in page
    response = client.post(f"/repairs/invoices/{submitted.pk}/query/",
                           {"reason": "Wrong tap"})
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "queried"


def test_the_list_reads_a_fixed_number_of_queries(client_for, repairs_officer, contractor_a,
                                                  make_order, contractor, north):
    client = client_for(repairs_officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/repairs/invoices/").status_code == 200
        return len(queries)

    def add(number):
        order = make_order(PropertyFactory(patch=north), contractor_a, status=Status.COMPLETED)
        _submit(order, contractor, number=f"INV-{number}", lines=[("PL100", "1", 2850)])

    add(1)
    few = count()
    for number in range(2, 8):
        add(number)
    assert count() == few


def test_the_list_shows_each_status(client_for, order, contractor, repairs_officer):
    invoice = _submit(order, contractor, lines=[("PL100", "1", 2850)])
    page = client_for(repairs_officer).get("/repairs/invoices/?status=queried").content.decode()
    assert invoice.number in page and "Queried (1)" in page and "To approve (0)" in page
