"""Work orders through the services: raising within and over the spend limit, approval (not by
the raiser, only within the approver's limit), contract coverage, SOR lines and prices,
follow-on orders, cancelling, an officer recording completion, variations approved on the new
total, and recharges to the tenant's sundry account."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from housing import roles
from rents.models import RentAccount, Transaction
from repairs import queries, services
from repairs.models import (
    Appointment,
    Contract,
    ContractRate,
    Recharge,
    RepairRequest,
    SorCode,
    Trade,
    Variation,
    WorkOrder,
    WorkOrderEvent,
)
from tests.housing.factories import PatchFactory, PropertyFactory, UserFactory
from tests.repairs.conftest import AT, TODAY

pytestmark = pytest.mark.django_db
Status = WorkOrder.Status


@pytest.fixture
def repair(home, routine, customer_access):
    return services.raise_request(
        property_id=home.pk, location="kitchen", description="Kitchen tap drips",
        priority_id=routine.pk, channel="phone", by=customer_access, at=AT)


@pytest.fixture
def other_repairs_officer(db):
    return UserFactory(email="repairs2@example.test", role=roles.REPAIRS_OFFICER)


def _raise(repair, contractor, user, lines=(("PL100", "1"),), **extra):
    values = {"trade_id": Trade.objects.get(code="plumbing").pk,
              "description": "Renew the kitchen tap washer", **extra}
    return services.raise_order(request_id=repair.pk, contractor_id=contractor.pk,
                                lines=list(lines), by=user, at=AT, **values)


def _events(order):
    return list(WorkOrderEvent.objects.filter(order=order).order_by("pk")
                .values_list("from_status", "to_status"))


def _refused(match, call, **kwargs):
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    text = " ".join(caught.value.messages)
    assert match in text, text
    return text


# --- Raising and approving --------------------------------------------------------------------


def test_an_order_within_the_raisers_limit_is_approved_and_issued_at_once(
        repair, contractor_a, repairs_officer):
    order = _raise(repair, contractor_a, repairs_officer,
                   lines=[("PL100", "2"), ("pl130", "1.5")])
    assert order.status == Status.ISSUED
    assert _events(order) == [("raised", "approved"), ("approved", "issued")]
    assert order.approved_by == repairs_officer and order.issued_at == AT
    assert order.contract.reference == "C-A-1"
    # 2 x £28.50 + 1.5 x £95.00 = £57.00 + £142.50
    assert [(line.sor.code, line.quantity, line.unit_price_pence, line.value_pence)
            for line in order.lines.order_by("pk")] == [
        ("PL100", Decimal("2.00"), 2850, 5700), ("PL130", Decimal("1.50"), 9500, 14250)]
    assert order.value_pence == 19950
    # Routine: 20 working days from Wednesday 9 December 2026, past Christmas and New Year.
    assert (order.target_at, order.target_date) == (None, date(2027, 1, 11))
    event = WorkOrderEvent.objects.filter(order=order, to_status="approved").get()
    assert "within" in event.summary and "£1,500.00" in event.summary


def test_the_contracts_price_is_used_where_it_has_one(repair, contractor_a, repairs_officer):
    ContractRate.objects.create(contract=contractor_a.contracts.get(), code="PL100",
                                unit_price_pence=2500)
    order = _raise(repair, contractor_a, repairs_officer, lines=[("PL100", "3")])
    line = order.lines.get()
    assert (line.unit_price_pence, line.value_pence, order.value_pence) == (2500, 7500, 7500)


def test_an_emergency_is_due_in_24_hours(home, emergency, contractor_a, repairs_officer,
                                         customer_access):
    repair = services.raise_request(property_id=home.pk, location="kitchen",
                                    description="Water pouring through the ceiling",
                                    priority_id=emergency.pk, channel="phone",
                                    by=customer_access, at=AT)
    order = _raise(repair, contractor_a, repairs_officer)
    assert order.target_at == AT + timedelta(hours=24)
    assert order.priority == emergency


def test_over_the_limit_it_waits_and_only_someone_whose_limit_covers_it_approves(
        repair, contractor_a, repairs_officer, other_repairs_officer, team_leader,
        customer_access):
    # 20 x £95.00 = £1,900.00: over a Repairs Officer's £1,500.00.
    order = _raise(repair, contractor_a, repairs_officer, lines=[("PL130", "20")])
    assert order.status == Status.RAISED and order.value_pence == 190000
    assert order.issued_at is None and order.approved_by is None
    event = WorkOrderEvent.objects.get(order=order)
    assert (event.from_status, event.to_status) == ("raised", "raised")
    assert f"£1,900.00 is over {repairs_officer.display_name}’s spend limit of £1,500.00" \
        in event.note
    assert "a Team Leader (up to £10,000.00)" in event.note

    _refused("You raised this order, so someone else must approve it",
             services.approve_order, order_id=order.pk, by=repairs_officer, at=AT)
    text = _refused("The order’s value, £1,900.00, is over your spend limit of £1,500.00",
                    services.approve_order,
                    order_id=order.pk, by=other_repairs_officer, at=AT)
    assert "or a Team Leader (up to £10,000.00) can approve it" in text
    _refused("Your role does not approve work orders", services.approve_order,
             order_id=order.pk, by=customer_access, at=AT)
    order.refresh_from_db()
    assert order.status == Status.RAISED and WorkOrderEvent.objects.filter(order=order).count() == 1

    services.approve_order(order_id=order.pk, by=team_leader, at=AT + timedelta(hours=1))
    order.refresh_from_db()
    assert order.status == Status.ISSUED
    assert order.approved_by == team_leader and order.issued_at == AT + timedelta(hours=1)
    assert _events(order) == [("raised", "raised"), ("raised", "approved"),
                              ("approved", "issued")]
    _refused("is not waiting for approval", services.approve_order, order_id=order.pk,
             by=team_leader, at=AT)


def test_a_person_with_no_spend_limit_raises_orders_that_wait(repair, contractor_a):
    user = UserFactory(role=roles.REPAIRS_OFFICER)
    from repairs.models import SpendLimit

    SpendLimit.objects.create(user=user, limit_pence=0)
    order = _raise(repair, contractor_a, user)
    assert order.status == Status.RAISED


# --- Contract coverage and SOR lines ----------------------------------------------------------


def test_the_contractor_must_hold_a_contract_in_force_for_the_trade_and_patch(
        repair, contractor_a, repairs_officer, south):
    contract = contractor_a.contracts.get()
    # No contract covering carpentry.
    _refused("A Plumbing Ltd’s contracts in force (C-A-1) do not cover carpentry work",
             _raise, repair=repair, contractor=contractor_a, user=repairs_officer,
             lines=[("CA300", "1")], trade_id=Trade.objects.get(code="carpentry").pk)
    # A contract for the South patch only: the home is on the North patch.
    contract.patches.add(south)
    _refused("contract (C-A-1) does not cover the North patch, where 12 Mill Lane, EX1 2HL is",
             _raise, repair=repair, contractor=contractor_a, user=repairs_officer)
    contract.patches.add(repair.property.patch)
    assert _raise(repair, contractor_a, repairs_officer).contract == contract
    # An ended contract covers nothing.
    Contract.objects.filter(pk=contract.pk).update(end_date=TODAY - timedelta(days=1))
    _refused("A Plumbing Ltd has no contract in force on 9 December 2026", _raise,
             repair=repair, contractor=contractor_a, user=repairs_officer)
    assert WorkOrder.objects.count() == 1


@pytest.mark.parametrize(("lines", "message"), [
    ([("XX999", "1")], "XX999 is not in the Schedule of Rates."),
    ([("PL100", "0")], "Enter a quantity for PL100 more than 0."),
    ([("PL100", "a lot")], "Enter the quantity for PL100 as a number"),
    ([("PL100", "1.255")], "no more than 2 decimal places"),
    ([("PL100", "1"), ("pl100", "2")], "PL100 is entered twice"),
    ([("EL200", "1")], "EL200 is electrical work, which contract C-A-1 does not cover."),
    ([], "Add at least one SOR line"),
])
def test_bad_lines_are_named_and_nothing_is_raised(repair, contractor_a, repairs_officer,
                                                   lines, message):
    with pytest.raises(ValidationError) as caught:
        _raise(repair, contractor_a, repairs_officer, lines=lines)
    assert any(message in text for text in caught.value.message_dict["lines"])
    assert WorkOrder.objects.count() == 0


def test_a_code_not_in_force_today_is_refused(repair, contractor_a, repairs_officer, plumbing):
    SorCode.objects.filter(code="PL110").update(end_date=date(2026, 3, 31))
    with pytest.raises(ValidationError) as caught:
        _raise(repair, contractor_a, repairs_officer, lines=[("PL110", "1")])
    assert caught.value.message_dict["lines"] == ["PL110 is not in force on 9 December 2026."]
    # A new price from 1 April 2026 is the version a new line takes.
    SorCode.objects.create(code="PL110", description="Clear blocked waste", trade=plumbing,
                           unit="each", unit_price_pence=4500, start_date=date(2026, 4, 1))
    order = _raise(repair, contractor_a, repairs_officer, lines=[("PL110", "1")])
    assert order.lines.get().unit_price_pence == 4500


def test_missing_fields_are_refused_by_name(repair, repairs_officer):
    with pytest.raises(ValidationError) as caught:
        services.raise_order(request_id=repair.pk, contractor_id=None, trade_id=None,
                             description=" ", lines=[("PL100", "1")], by=repairs_officer,
                             at=AT)
    assert set(caught.value.message_dict) == {"contractor", "trade", "description"}


def test_a_follow_on_order_is_on_the_same_repair_and_noted_on_the_first(
        repair, contractor_a, contractor_b, repairs_officer, home, routine, customer_access):
    first = _raise(repair, contractor_a, repairs_officer)
    follow = _raise(repair, contractor_b, repairs_officer, parent_id=first.pk,
                    description="Make good the ceiling")
    assert follow.parent == first and follow.request == repair
    assert WorkOrderEvent.objects.filter(order=first,
                                         summary=f"Follow-on order {follow.reference} raised")
    other = services.raise_request(property_id=home.pk, location="hall", description="Door",
                                   priority_id=routine.pk, channel="phone", by=customer_access,
                                   at=AT)
    _refused("A follow-on order must be on the same repair", _raise, repair=other,
             contractor=contractor_a, user=repairs_officer, parent_id=first.pk)


def test_no_orders_on_a_closed_repair(repair, contractor_a, repairs_officer):
    RepairRequest.objects.filter(pk=repair.pk).update(status="closed")
    _refused("is closed: no more orders can be raised on it", _raise, repair=repair,
             contractor=contractor_a, user=repairs_officer)


# --- Cancelling and closing -------------------------------------------------------------------


def test_cancelling_needs_a_reason_and_releases_the_appointment(home, contractor_a, make_order,
                                                                 repairs_officer):
    order = make_order(home, contractor_a, status=Status.BOOKED)
    Appointment.objects.create(order=order, date=date(2026, 12, 14), slot="am", booked_at=AT)
    with pytest.raises(ValidationError) as caught:
        services.cancel_order(order_id=order.pk, reason=" ", by=repairs_officer, at=AT)
    assert caught.value.message_dict == {"reason": ["Give the reason for cancelling the order."]}
    services.cancel_order(order_id=order.pk, reason="Raised twice", by=repairs_officer, at=AT)
    order.refresh_from_db()
    assert (order.status, order.cancel_reason, order.cancelled_at) == ("cancelled",
                                                                      "Raised twice", AT)
    assert order.appointments.get().status == "cancelled"
    assert _events(order) == [("booked", "cancelled")]
    completed = make_order(home, contractor_a, status=Status.COMPLETED)
    _refused("is completed: it cannot be cancelled", services.cancel_order,
             order_id=completed.pk, reason="Too late", by=repairs_officer, at=AT)


def test_an_officer_records_completion_not_before_the_order_was_issued(
        home, contractor_a, make_order, repairs_officer):
    order = make_order(home, contractor_a, status=Status.IN_PROGRESS,
                       at=AT - timedelta(days=5))  # issued Friday 4 December
    text = _refused("The order was issued on 4 December 2026: it cannot have been completed "
                    "before then (3 December 2026).", services.close_order,
                    order_id=order.pk, completed_on=date(2026, 12, 3), by=repairs_officer,
                    at=AT)
    assert text
    _refused("must be today or in the past", services.close_order, order_id=order.pk,
             completed_on=TODAY + timedelta(days=1), by=repairs_officer, at=AT)
    services.close_order(order_id=order.pk, completed_on=date(2026, 12, 8),
                         notes="Confirmed by phone", by=repairs_officer, at=AT)
    order.refresh_from_db()
    assert (order.status, order.completed_on, order.completion_notes, order.completed_at) == (
        "completed", date(2026, 12, 8), "Confirmed by phone", AT)
    assert _events(order) == [("in_progress", "completed")]
    waiting = make_order(home, contractor_a, status=Status.RAISED)
    _refused("only an order issued to the contractor", services.close_order,
             order_id=waiting.pk, completed_on=TODAY, by=repairs_officer, at=AT)


# --- Variations -------------------------------------------------------------------------------


@pytest.fixture
def issued(home, contractor_a, make_order):
    # PL100 x 1 (£28.50) + PL130 x 10 (£950.00) = £978.50
    return make_order(home, contractor_a, lines=[("PL100", "1"), ("PL130", "10")])


def test_a_variation_is_approved_on_the_new_total(issued, contractor, repairs_officer,
                                                  other_repairs_officer, team_leader):
    # The contractor asks: PL130 up to 15 and a new PL120. New total £28.50 + £1,425.00 +
    # £68.00 = £1,521.50, over a Repairs Officer's £1,500.00 though the old total is not.
    variation = services.add_variation(order_id=issued.pk, reason="Leak runs under the floor",
                                       lines=[("PL130", "15"), ("PL120", "1")], by=contractor,
                                       at=AT)
    assert variation.status == Variation.Status.REQUESTED
    assert (variation.old_value_pence, variation.new_value_pence) == (97850, 152150)
    issued.refresh_from_db()
    assert issued.value_pence == 97850  # a waiting variation changes nothing
    assert queries.order_value(issued.pk) == 97850
    replaced = variation.lines.get(sor__code="PL130").replaces
    assert replaced.sor.code == "PL130" and replaced.quantity == 10

    _refused("The order’s new total, £1,521.50, is over your spend limit of £1,500.00",
             services.approve_variation, variation_id=variation.pk,
             by=other_repairs_officer, at=AT)
    variation.refresh_from_db()
    assert variation.status == Variation.Status.REQUESTED

    services.approve_variation(variation_id=variation.pk, by=team_leader, at=AT)
    variation.refresh_from_db()
    issued.refresh_from_db()
    assert variation.status == "approved" and variation.decided_by == team_leader
    assert issued.value_pence == 152150 == queries.order_value(issued.pk)
    assert sorted((line.sor.code, line.quantity) for line in queries.counting_lines(issued.pk)) \
        == [("PL100", 1), ("PL120", 1), ("PL130", 15)]
    summaries = list(WorkOrderEvent.objects.filter(order=issued).order_by("pk")
                     .values_list("summary", flat=True))
    assert summaries == ["Variation asked for: £978.50 to £1,521.50",
                         "Variation approved: the order is now £1,521.50 (was £978.50)"]


def test_the_person_who_asked_cannot_approve_and_a_rejected_variation_never_counts(
        issued, repairs_officer, other_repairs_officer):
    from repairs.models import SpendLimit

    # Their own limit is too low to approve it at once, so it waits.
    SpendLimit.objects.create(user=repairs_officer, limit_pence=50000)
    _refused("Say why the work needs to change", services.add_variation, order_id=issued.pk,
             reason="", lines=[("PL120", "1")], by=repairs_officer, at=AT)
    variation = services.add_variation(order_id=issued.pk, reason="More washers",
                                       lines=[("PL110", "1")], by=repairs_officer, at=AT)
    assert variation.status == "requested"
    _refused("You asked for this variation, so someone else must approve it",
             services.approve_variation, variation_id=variation.pk, by=repairs_officer, at=AT)
    _refused("is waiting for approval", services.add_variation, order_id=issued.pk,
             reason="And more", lines=[("PL120", "1")], by=repairs_officer, at=AT)
    with pytest.raises(ValidationError) as caught:
        services.reject_variation(variation_id=variation.pk, note="", by=other_repairs_officer,
                                  at=AT)
    assert "note" in caught.value.message_dict
    services.reject_variation(variation_id=variation.pk, note="Not needed",
                              by=other_repairs_officer, at=AT)
    variation.refresh_from_db()
    issued.refresh_from_db()
    assert variation.status == "rejected" and variation.decision_note == "Not needed"
    assert issued.value_pence == 97850 == queries.order_value(issued.pk)


def test_an_officers_variation_within_their_limit_is_approved_at_once(issued, repairs_officer):
    variation = services.add_variation(order_id=issued.pk, reason="Basin waste too",
                                       lines=[("PL110", "1")], by=repairs_officer, at=AT)
    issued.refresh_from_db()
    assert variation.status == "approved" and variation.decided_by == repairs_officer
    assert issued.value_pence == 97850 + 4200


def test_no_variation_before_issue_or_after_invoicing(home, contractor_a, make_order,
                                                      repairs_officer):
    for status in (Status.RAISED, Status.INVOICED, Status.CANCELLED):
        order = make_order(home, contractor_a, status=status)
        _refused("a variation can be asked for once the order is issued", services.add_variation,
                 order_id=order.pk, reason="More", lines=[("PL110", "1")], by=repairs_officer,
                 at=AT)


# --- Recharges --------------------------------------------------------------------------------


def test_a_recharge_posts_one_debit_to_the_sundry_account(home, contractor_a, make_order,
                                                          repairs_officer):
    order = make_order(home, contractor_a, status=Status.COMPLETED)
    made = services.recharge(order_id=order.pk, amount_pence=8500,
                             reason="Door kicked in", by=repairs_officer, at=AT)
    tenancy = home.tenancies.get()
    account = RentAccount.objects.get(tenancy=tenancy, kind=RentAccount.Kind.SUNDRY)
    assert account.payment_reference == f"{tenancy.reference}-S"
    entry = Transaction.objects.get(account=account)
    assert (entry.amount_pence, entry.kind, entry.created_by, entry.posted_on) == (
        8500, "adjustment", repairs_officer, TODAY)
    assert entry.reference.startswith(f"Recharge for repair {order.reference}: Door kicked in")
    assert (made.transaction, made.account, made.amount_pence) == (entry, account, 8500)
    assert WorkOrderEvent.objects.filter(order=order, summary__startswith="Recharged £85.00")
    # A second recharge uses the same account.
    services.recharge(order_id=order.pk, amount_pence=100, reason="Glass", by=repairs_officer,
                      at=AT)
    assert RentAccount.objects.filter(kind=RentAccount.Kind.SUNDRY).count() == 1
    assert Transaction.objects.filter(account=account).count() == 2
    # Nothing touched the rent account.
    assert not Transaction.objects.filter(account__kind=RentAccount.Kind.RENT).exists()


@pytest.mark.parametrize(("amount", "field"), [(0, "amount_pence"), (-500, "amount_pence")])
def test_a_recharge_must_be_more_than_nothing(home, contractor_a, make_order, repairs_officer,
                                              amount, field):
    order = make_order(home, contractor_a, status=Status.COMPLETED)
    with pytest.raises(ValidationError) as caught:
        services.recharge(order_id=order.pk, amount_pence=amount, reason="Damage",
                          by=repairs_officer, at=AT)
    assert field in caught.value.message_dict
    assert not Transaction.objects.exists() and not Recharge.objects.exists()


def test_no_recharge_for_a_home_with_no_tenancy(contractor_a, make_order, repairs_officer):
    void = PropertyFactory(patch=PatchFactory(code="east", name="East"),
                           address_line_1="4 Empty Row", postcode="EX4 1AA")
    order = make_order(void, contractor_a, status=Status.COMPLETED)
    _refused("Nobody held a tenancy of 4 Empty Row, EX4 1AA on 9 December 2026", services.recharge,
             order_id=order.pk, amount_pence=1000, reason="Damage", by=repairs_officer, at=AT)
    assert not RentAccount.objects.filter(kind=RentAccount.Kind.SUNDRY).exists()
    assert not Transaction.objects.exists()


def test_the_contractor_is_emailed_when_the_order_is_issued(
        repair, contractor_a, repairs_officer, team_leader, mailoutbox,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        order = _raise(repair, contractor_a, repairs_officer)
    assert [message.to for message in mailoutbox] == [["jobs@a-plumbing.example"]]
    assert mailoutbox[0].subject == f"New work order {order.reference}: 12 Mill Lane, EX1 2HL"
    assert "complete by 11 January 2027" in mailoutbox[0].body
    # An order waiting for approval is not sent until it is approved.
    with django_capture_on_commit_callbacks(execute=True):
        waiting = _raise(repair, contractor_a, repairs_officer, lines=[("PL130", "20")])
    assert len(mailoutbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_order(order_id=waiting.pk, by=team_leader, at=AT)
    assert len(mailoutbox) == 2 and waiting.reference in mailoutbox[1].subject
