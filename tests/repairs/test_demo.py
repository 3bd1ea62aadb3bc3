"""The demo council's repairs (repairs.demo, loaded by `manage.py seed_demo`): about 40 repairs
over the last 8 weeks with orders in every status, made through the services, once."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from repairs.awaab_clocks import clock_states, is_overdue
from repairs.demo import REPAIRS, history_counts, seed_repair_history, seed_repairs
from repairs.models import (
    Appointment,
    HazardCase,
    Invoice,
    RepairRequest,
    Variation,
    WorkOrder,
    WorkOrderEvent,
)

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 9, 10, 15, tzinfo=UTC)  # Wednesday 9 December 2026
Status = WorkOrder.Status


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the Awaab's Law summary letter is a PDF


@pytest.fixture
def demo(media):
    with freeze_time(AT):
        call_command("seed_demo", homes=300, seed=2026, stdout=io.StringIO())


def _path(order: WorkOrder) -> list[str]:
    """The order's statuses as its history rows moved it, oldest first."""
    moves = (order.events.exclude(from_status="").filter(to_status__isnull=False)
             .order_by("at", "pk").values_list("from_status", "to_status"))
    path = [Status.RAISED]
    for was, now in moves:
        if was != now:
            assert was == path[-1], (order.reference, path, was, now)
            path.append(now)
    return path


def test_the_demo_has_repairs_in_every_status_with_their_history(demo):
    # The voids demo (voids.demo) raises void works too: these are the repairs demo's.
    requests = RepairRequest.objects.filter(void__isnull=True)
    assert requests.count() == len([r for r in REPAIRS if not r.follows]) == 39
    assert WorkOrder.objects.filter(request__void__isnull=True).count() == 38
    # Reported over the last 8 weeks (40 working days, with the bank holidays), all before now.
    assert min(requests.values_list("raised_at", flat=True)) >= AT - timedelta(weeks=9)
    assert max(WorkOrderEvent.objects.values_list("at", flat=True)) < AT
    assert set(WorkOrder.objects.values_list("status", flat=True)) == {
        Status.RAISED, Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS, Status.NO_ACCESS,
        Status.COMPLETED, Status.INVOICED, Status.PAID, Status.CANCELLED}
    # Waiting for approval: over the Repairs Officer's £1,500, raised by them.
    for order in WorkOrder.objects.filter(status=Status.RAISED):
        assert order.value_pence > 150_000
        assert order.raised_by.email == "repairs@demo.example"
    # Approved by the Team Leader when over the Repairs Officer's limit, otherwise at once.
    assert WorkOrder.objects.filter(approved_by__email="teamleader@demo.example").count() == 2
    # Every order's history rows walk the status flow to where it is now.
    for order in WorkOrder.objects.all():
        path = _path(order)
        assert path[-1] == order.status, (order.reference, path)
        if order.status not in (Status.RAISED, Status.CANCELLED):
            assert path[:3] == [Status.RAISED, Status.APPROVED, Status.ISSUED]
    assert WorkOrder.objects.filter(status=Status.ISSUED, accepted_at__isnull=True).exists()
    assert WorkOrder.objects.filter(status=Status.ISSUED, accepted_at__isnull=False).exists()
    assert WorkOrder.objects.filter(parent__isnull=False).count() == 1  # a follow-on
    # Requests waiting for an order, and a repeat problem at one home.
    assert requests.filter(orders__isnull=True).count() == 3
    assert requests.values("property").distinct().count() < requests.count()


def test_appointments_invoices_and_variations(demo):
    today = timezone.localdate(AT)
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED,
                                        order__request__void__isnull=True)
    # Each booked order has its appointment, to come.
    assert set(booked.values_list("order__status", flat=True)) == {Status.BOOKED}
    assert booked.count() == WorkOrder.objects.filter(
        status=Status.BOOKED, request__void__isnull=True).count() == 6
    assert all(day > today for day in booked.values_list("date", flat=True))
    assert {choice for choice, _ in Appointment.Status.choices} - {"moved"} <= set(
        Appointment.objects.values_list("status", flat=True))
    # One rebooked past its target by a Team Leader's override, and completed late.
    late = Appointment.objects.get(override_by__isnull=False)
    assert late.override_by.email == "teamleader@demo.example" and late.override_reason
    assert late.order.completed_on > late.order.target_date
    # Invoices: matching ones submitted, approved and paid, and one queried.
    assert set(Invoice.objects.values_list("status", flat=True)) == {
        Invoice.Status.SUBMITTED, Invoice.Status.APPROVED, Invoice.Status.QUERIED,
        Invoice.Status.PAID}
    queried = Invoice.objects.get(status=Invoice.Status.QUERIED)
    assert queried.order.status == Status.COMPLETED and "ordered 1" in queried.query
    for invoice in Invoice.objects.exclude(status=Invoice.Status.QUERIED):
        assert invoice.total_pence == invoice.order.value_pence
    assert set(WorkOrder.objects.filter(invoices__status__in=["submitted", "approved"])
               .values_list("status", flat=True)) == {Status.INVOICED}
    # A variation waiting for the Team Leader (over the Repairs Officer's limit) and one
    # approved (and invoiced with the order).
    waiting = Variation.objects.get(status=Variation.Status.REQUESTED)
    assert waiting.requested_by.is_contractor and waiting.new_value_pence > 150_000
    approved = Variation.objects.get(status=Variation.Status.APPROVED)
    assert approved.order.status == Status.PAID
    assert approved.order.value_pence == approved.new_value_pence


def test_two_damp_cases_one_on_time_and_one_overdue_and_escalated(demo):
    today, cases = timezone.localdate(AT), HazardCase.objects.all()
    assert cases.count() == 2
    on_time = cases.get(investigated_on__isnull=False)
    clocks = clock_states(on_time, today=today, now=AT)
    assert not is_overdue(clocks)
    assert on_time.investigated_on <= on_time.investigate_due
    assert on_time.summary_sent_on <= on_time.summary_due and on_time.summary_file
    assert on_time.safety_works_due > today  # its works are booked, with days left
    assert WorkOrder.objects.filter(request=on_time.request, status=Status.BOOKED).exists()
    overdue = cases.get(investigated_on__isnull=True)
    assert is_overdue(clock_states(overdue, today=today, now=AT))
    assert overdue.escalated_at.date() > overdue.investigate_due
    assert overdue.events.filter(kind="escalated").exists()
    assert WorkOrder.objects.get(request=overdue.request).status == Status.NO_ACCESS


def test_seeding_again_adds_nothing(demo):
    counts = history_counts()
    assert RepairRequest.objects.filter(void__isnull=True).count() == 39
    assert counts["events"] > 150
    with freeze_time(AT + timedelta(days=1)):
        assert seed_repairs() == {"contractors": 0, "portal_users": 0, "rates": 0,
                                  "capacities": 0}
        assert seed_repair_history(at=timezone.now()) == {}
        out = io.StringIO()
        call_command("seed_demo", homes=300, seed=2026, stdout=out)
    assert "already loaded" in out.getvalue()
    assert history_counts() == counts


def test_the_repairs_screens_show_the_demo(demo, client):
    from housing.models import User

    with freeze_time(AT):
        client.force_login(User.objects.get(email="teamleader@demo.example"))
        home = client.get("/repairs/")
        approvals = client.get("/repairs/approvals/")
        escalated = client.get("/repairs/awaab/escalated/")
    assert home.status_code == approvals.status_code == 200
    open_orders = WorkOrder.objects.filter(status__in=[
        Status.RAISED, Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS, Status.NO_ACCESS])
    assert f"{open_orders.count()} orders" in home.content.decode()
    # The two orders over the Repairs Officer's limit and the variation wait for the leader.
    for order in WorkOrder.objects.filter(status=Status.RAISED):
        assert order.reference in approvals.content.decode()
    assert escalated.status_code == 200
    assert HazardCase.objects.get(escalated_at__isnull=False).reference in \
        escalated.content.decode()

    with freeze_time(AT):
        client.force_login(User.objects.get(email="contractor@demo.example"))
        portal = client.get("/contractor/", {"status": "booked"})
    assert portal.status_code == 200
    mine = WorkOrder.objects.filter(status=Status.BOOKED, contractor__code="valley-plumbing")
    theirs = WorkOrder.objects.filter(status=Status.BOOKED).exclude(
        contractor__code="valley-plumbing")
    assert mine.exists() and theirs.exists()
    assert all(order.reference in portal.content.decode() for order in mine)
    assert not any(order.reference in portal.content.decode() for order in theirs)


@pytest.mark.parametrize("moment", [
    "2026-12-29 08:30",  # after Christmas: the day before is Boxing Day observed
    "2027-03-30 18:00",  # the Tuesday after Easter 2027
    "2027-06-05 12:00",  # a Saturday
])
def test_the_demo_seeds_on_any_day(media, moment):
    with freeze_time(moment):
        call_command("seed_demo", homes=300, seed=2026, stdout=io.StringIO())
        now = timezone.now()
    assert WorkOrder.objects.filter(request__void__isnull=True).count() == 38
    assert max(WorkOrderEvent.objects.values_list("at", flat=True)) < now
    assert HazardCase.objects.filter(escalated_at__isnull=False).count() == 1
    assert not is_overdue(clock_states(
        HazardCase.objects.get(escalated_at__isnull=True), today=timezone.localdate(now),
        now=now))
