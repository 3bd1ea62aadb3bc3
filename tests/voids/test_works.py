"""The void process services (voids.works): the inspection raises one works order per trade
from the checklist at the void type's target, all or nothing; safety checks; ready to let is
refused, naming what is missing, until the contractor has completed the orders (through the
contractor portal's services) and both checks are recorded."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from housing.workdays import add_working_days
from repairs import contractor_services
from repairs.models import Contract, Contractor, RepairRequest, Trade, WorkOrder
from tests.voids.conftest import AT, ENDED, TODAY
from voids import works
from voids.models import ChecklistItem, Inspection, SafetyCheck, Stage, StageChange

pytestmark = pytest.mark.django_db

Status = WorkOrder.Status


def item(code: str) -> ChecklistItem:
    return ChecklistItem.objects.filter(sor_code=code).order_by("pk").first()


def inspect(void, by, contractor, *codes, void_type="standard", on=TODAY, quantities=None):
    quantities = quantities or {}
    return works.record_inspection(
        void_id=void.pk, inspected_on=on, void_type=void_type, notes="Left in a poor state.",
        lines=[(item(code).pk, quantities.get(code, str(item(code).default_quantity)))
               for code in codes],
        contractor_id=contractor.pk if contractor else None, by=by, at=AT)


def check(void, by, kind, *, on=TODAY, outcome="satisfactory", reference="CERT-1"):
    return works.record_safety_check(void_id=void.pk, kind=kind, outcome=outcome, done_on=on,
                                     certificate_reference=reference, by=by, at=AT)


def messages(error: ValidationError) -> list[str]:
    return error.value.messages


# --- The inspection ---------------------------------------------------------------------------


def test_an_inspection_raises_one_order_per_trade_at_the_standard_void_target(
        void, lettings_officer, voids_contractor):
    inspection = inspect(void, lettings_officer, voids_contractor,
                         "CA310", "CA320", "EL220", "VO100")

    void.refresh_from_db()
    assert (void.stage, void.void_type, void.inspected_on) == (Stage.WORKS, "standard", TODAY)
    request = void.repair_request
    assert (request.priority.code, request.channel, request.location) == (
        "void_standard", "inspection", "whole")
    assert request.description == "Void works for 4 Orchard Close, EX2 4QR"
    orders = list(WorkOrder.objects.filter(request=request).order_by("trade__name"))
    assert [order.trade.name for order in orders] == ["Carpentry", "Electrical",
                                                      "Void works (general)"]
    # Ten working days from Wednesday 9 December 2026: Wednesday 23 December.
    assert {order.target_date for order in orders} == {date(2026, 12, 23)}
    assert add_working_days(TODAY, 10) == date(2026, 12, 23)
    carpentry = orders[0]
    assert carpentry.description == ("Void works: Change the entrance door locks, Renew "
                                     "kitchen unit doors")
    assert sorted((line.sor.code, line.quantity) for line in carpentry.lines.all()) == [
        ("CA310", Decimal("1")), ("CA320", Decimal("4"))]
    assert carpentry.value_pence == 6500 + 4 * 8800
    # Within the Lettings and Voids Officer's £3,000: issued to the contractor at once.
    assert {order.status for order in orders} == {Status.ISSUED}
    assert {order.contractor for order in orders} == {voids_contractor}
    assert inspection.items[0] == {"label": "Change the entrance door locks",
                                   "sor_code": "CA310", "quantity": "1"}
    assert list(void.stages.values_list("stage", flat=True)) == ["keys_in", "inspection",
                                                                 "works"]
    moved = void.stages.get(stage="works")
    assert moved.summary == "Void works raised: 3 orders"
    assert moved.by == lettings_officer


def test_a_major_works_void_gets_thirty_working_days(void, repairs_officer, voids_contractor):
    inspect(void, repairs_officer, voids_contractor, "PS500", void_type="major")
    order = WorkOrder.objects.get()
    assert order.priority.code == "void_major"
    # Thirty working days, less Christmas Day, Boxing Day (observed Monday 28 December) and
    # New Year's Day.
    assert order.target_date == date(2027, 1, 25) == add_working_days(TODAY, 30)


def test_a_later_inspection_that_finds_major_works_gives_its_orders_the_major_target(
        void, repairs_officer, voids_contractor):
    first = inspect(void, repairs_officer, voids_contractor, "VO100").orders[0]
    second = inspect(void, repairs_officer, voids_contractor, "PS500", void_type="major")
    first.refresh_from_db()
    assert (first.priority.code, first.target_date) == ("void_standard",
                                                       add_working_days(TODAY, 10))
    second = second.orders[0]
    assert (second.priority.code, second.target_date) == ("void_major",
                                                         add_working_days(TODAY, 30))
    assert second.request_id == first.request_id  # one repair request for the void's works
    void.refresh_from_db()
    assert void.void_type == "major"


def test_an_inspection_without_works_moves_only_to_inspection(void, repairs_officer):
    inspect(void, repairs_officer, None)
    void.refresh_from_db()
    assert void.stage == Stage.INSPECTION and void.repair_request is None
    assert not WorkOrder.objects.exists()
    change = void.stages.get(stage="inspection")
    assert (change.on, change.summary) == (TODAY, "Void inspection on 9 December 2026: "
                                                  "standard void")


def test_an_order_over_the_spend_limit_waits_for_approval(void, repairs_officer,
                                                          voids_contractor):
    # 50 m² of plastering at £38.00 is £1,900: over a Repairs Officer's £1,500.
    inspection = inspect(void, repairs_officer, voids_contractor, "PS500", "CA310",
                         quantities={"PS500": "50"})
    plastering, carpentry = (WorkOrder.objects.get(trade__code=code)
                             for code in ("plastering", "carpentry"))
    assert (plastering.status, plastering.value_pence) == (Status.RAISED, 190_000)
    assert carpentry.status == Status.ISSUED
    assert void.stages.get(stage="works").summary == ("Void works raised: 2 orders, 1 waiting "
                                                      "for approval")
    assert len(inspection.orders) == 2


def test_a_trade_the_contractor_does_not_cover_refuses_the_whole_inspection(
        void, lettings_officer):
    carpenters = Contractor.objects.create(code="chips", name="Chips Carpentry")
    contract = Contract.objects.create(contractor=carpenters, reference="C-C-1",
                                       name="Carpentry", start_date=date(2024, 4, 1))
    contract.trades.add(Trade.objects.get(code="carpentry"))

    with pytest.raises(ValidationError) as error:
        inspect(void, lettings_officer, carpenters, "CA310", "EL220", "EL230", "HT800")
    found = error.value.message_dict["contractor"]
    assert found == [
        "Electrical (EL220, EL230): Chips Carpentry’s contracts in force (C-C-1) do not cover "
        "electrical work.",
        "Gas and heating (HT800): Chips Carpentry’s contracts in force (C-C-1) do not cover "
        "gas and heating work."]
    void.refresh_from_db()
    assert (void.stage, void.inspected_on, void.void_type) == (Stage.KEYS_IN, None, "")
    assert not Inspection.objects.exists()
    assert not RepairRequest.objects.exists() and not WorkOrder.objects.exists()
    assert void.stages.count() == 1


def test_a_refusal_from_the_repairs_service_rolls_back_the_orders_already_raised(
        void, lettings_officer, voids_contractor):
    # Two checklist lines priced by the same code are one order line with their quantities
    # added: here too many for the Schedule of Rates, which repairs.services.raise_order
    # refuses for the electrical order after the carpentry order was raised.
    ChecklistItem.objects.create(label="More alarms", sor_code="EL230", default_quantity=1)
    with pytest.raises(ValidationError) as error:
        works.record_inspection(
            void_id=void.pk, inspected_on=TODAY, void_type="standard", notes="",
            lines=[(item("CA310").pk, "1"), (item("EL230").pk, "9999999"),
                   (ChecklistItem.objects.get(label="More alarms").pk, "9999999")],
            contractor_id=voids_contractor.pk, by=lettings_officer, at=AT)
    assert error.value.message_dict == {
        "lines": ["Electrical (EL230): The quantity for EL230 is too large."]}
    void.refresh_from_db()
    assert (void.stage, void.repair_request) == (Stage.KEYS_IN, None)
    assert not (Inspection.objects.exists() or RepairRequest.objects.exists()
                or WorkOrder.objects.exists())


@pytest.mark.parametrize(("on", "problem"), [
    (None, "Enter the date of the inspection."),
    (TODAY + timedelta(days=1), "The inspection date must be today or in the past."),
    (ENDED - timedelta(days=1), "The keys came in on 29 November 2026: the inspection date "
                                "cannot be before then (28 November 2026)."),
])
def test_the_inspection_date_is_checked(void, repairs_officer, on, problem):
    with pytest.raises(ValidationError) as error:
        inspect(void, repairs_officer, None, on=on)
    assert error.value.message_dict == {"inspected_on": [problem]}


def test_works_need_a_contractor_and_a_void_type(void, repairs_officer):
    with pytest.raises(ValidationError) as error:
        inspect(void, repairs_officer, None, "CA310", void_type="")
    assert error.value.message_dict == {
        "void_type": ["Select whether it is a standard void or a major works void."],
        "contractor": ["Select the contractor to do the void works."]}


def test_a_quantity_that_is_not_a_number_is_named(void, repairs_officer, voids_contractor):
    with pytest.raises(ValidationError) as error:
        inspect(void, repairs_officer, voids_contractor, "DC600", quantities={"DC600": "lots"})
    assert error.value.message_dict["lines"] == [
        "Enter the quantity for “Redecorate walls and ceilings (m²)” as a number more than 0, "
        "like 1 or 2.5, with at most 2 decimal places."]


def test_new_works_after_ready_to_let_take_the_void_back_to_works(
        void, lettings_officer, voids_contractor, make_ready):
    make_ready(void)
    inspect(void, lettings_officer, voids_contractor, "PL100")
    void.refresh_from_db()
    assert (void.stage, void.ready_on) == (Stage.WORKS, None)
    assert void.stages.order_by("-pk").first().summary == (
        "Void works raised: 1 order (new works after ready to let)")


def test_an_offered_void_cannot_be_inspected(void, lettings_officer, make_ready):
    make_ready(void)
    void.stage = Stage.OFFERED
    void.save()
    with pytest.raises(ValidationError) as error:
        inspect(void, lettings_officer, None)
    assert messages(error) == [
        f"Void {void.reference} is offered: an inspection can no longer be recorded. Withdraw "
        f"the offer first if the home needs more work."]


# --- Safety checks ----------------------------------------------------------------------------


def test_safety_checks_are_recorded_with_their_certificates(void, lettings_officer):
    gas = check(void, lettings_officer, "gas", reference="  CP12 / 0042 ")
    no_gas = check(void, lettings_officer, "gas", outcome="no_supply", reference="")
    assert (gas.certificate_reference, gas.done_on, gas.by) == ("CP12 / 0042", TODAY,
                                                                lettings_officer)
    assert no_gas.outcome == "no_supply"
    assert SafetyCheck.objects.filter(void=void).count() == 2


@pytest.mark.parametrize(("kind", "outcome", "on", "reference", "field", "problem"), [
    ("electrical", "no_supply", TODAY, "", "outcome",
     "“No gas supply” is only for a gas check: an electrical check must be satisfactory."),
    ("gas", "satisfactory", TODAY + timedelta(days=1), "CP12", "done_on",
     "The date of the check must be today or in the past."),
    ("gas", "satisfactory", date(2026, 11, 20), "CP12", "done_on",
     "The keys came in on 29 November 2026: the date of the check cannot be before then "
     "(20 November 2026)."),
    ("gas", "satisfactory", TODAY, "", "certificate_reference",
     "Enter the certificate reference, as it is on the certificate."),
    ("water", "satisfactory", TODAY, "X", "kind",
     "Select whether it is the gas or the electrical check."),
])
def test_a_bad_safety_check_is_refused(void, lettings_officer, kind, outcome, on, reference,
                                       field, problem):
    with pytest.raises(ValidationError) as error:
        check(void, lettings_officer, kind, on=on, outcome=outcome, reference=reference)
    assert error.value.message_dict == {field: [problem]}
    assert not SafetyCheck.objects.exists()


def test_no_check_is_recorded_once_the_home_is_let(void, lettings_officer):
    void.stage, void.let_date = Stage.LET, TODAY
    void.save()
    with pytest.raises(ValidationError) as error:
        check(void, lettings_officer, "gas")
    assert "is let" in messages(error)[0]


# --- Ready to let -----------------------------------------------------------------------------


def test_ready_to_let_is_refused_until_the_works_are_done_and_both_checks_recorded(
        void, lettings_officer, voids_contractor, contractor):
    with pytest.raises(ValidationError) as error:
        works.mark_ready(void_id=void.pk, on=TODAY, by=lettings_officer, at=AT)
    assert messages(error) == [
        "4 Orchard Close, EX2 4QR cannot be ready to let yet.",
        "The void inspection has not been recorded.",
        "No gas safety check is recorded in this void.",
        "No electrical safety check (EICR) is recorded in this void."]

    inspect(void, lettings_officer, voids_contractor, "CA310", "EL220")
    check(void, lettings_officer, "gas")
    carpentry, electrical = (WorkOrder.objects.get(trade__code=code)
                             for code in ("carpentry", "electrical"))
    with pytest.raises(ValidationError) as error:
        works.mark_ready(void_id=void.pk, on=TODAY, by=lettings_officer, at=AT)
    assert messages(error) == [
        "4 Orchard Close, EX2 4QR cannot be ready to let yet.",
        f"Works orders still open: {carpentry.reference} (issued to the contractor), "
        f"{electrical.reference} (issued to the contractor).",
        "No electrical safety check (EICR) is recorded in this void."]

    # The contractor accepts and completes both orders in their portal.
    for order in (carpentry, electrical):
        contractor_services.accept_order(order_id=order.pk, by=contractor, at=AT)
        contractor_services.complete_order(order_id=order.pk, completed_on=TODAY,
                                           notes="Done", by=contractor, at=AT)
    with pytest.raises(ValidationError) as error:
        works.mark_ready(void_id=void.pk, on=TODAY, by=lettings_officer, at=AT)
    assert messages(error) == [
        "4 Orchard Close, EX2 4QR cannot be ready to let yet.",
        "No electrical safety check (EICR) is recorded in this void."]
    void.refresh_from_db()
    assert void.stage == Stage.WORKS

    check(void, lettings_officer, "electrical")
    works.mark_ready(void_id=void.pk, on=TODAY, by=lettings_officer, at=AT)
    void.refresh_from_db()
    assert (void.stage, void.ready_on) == (Stage.READY, TODAY)
    last = StageChange.objects.filter(void=void).order_by("-pk").first()
    assert (last.stage, last.summary, last.by) == ("ready", "Ready to let from 9 December 2026",
                                                   lettings_officer)


def test_ready_to_let_is_not_dated_before_the_inspection_nor_twice(void, lettings_officer):
    inspect(void, lettings_officer, None, on=date(2026, 12, 2))
    check(void, lettings_officer, "gas")
    check(void, lettings_officer, "electrical")
    with pytest.raises(ValidationError) as error:
        works.mark_ready(void_id=void.pk, on=date(2026, 12, 1), by=lettings_officer, at=AT)
    assert error.value.message_dict == {"on": [
        "The void inspection was on 2 December 2026: the home cannot be ready to let before "
        "then."]}
    works.mark_ready(void_id=void.pk, on=date(2026, 12, 8), by=lettings_officer, at=AT)
    with pytest.raises(ValidationError) as error:
        works.mark_ready(void_id=void.pk, on=TODAY, by=lettings_officer, at=AT)
    assert messages(error) == [f"Void {void.reference} is already ready to let since "
                               f"8 December 2026."]
