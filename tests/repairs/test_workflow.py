"""The work order's status flow, references, line values, targets and spend limits."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from housing import roles
from repairs import workflow
from repairs.models import Priority, SpendLimit, WorkOrder, WorkOrderEvent
from tests.housing.factories import UserFactory
from tests.repairs.conftest import AT

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("quantity", "price", "value"), [
    ("1", 2850, 2850), ("2.5", 3801, 9503), ("2.5", 3800, 9500), ("0.33", 1, 0),
    ("0.5", 1, 1), ("1.25", 999, 1249),
])
def test_line_value_rounds_once_halves_up(quantity, price, value):
    assert workflow.line_value(Decimal(quantity), price) == value


@pytest.mark.parametrize(("code", "at", "due_at", "due"), [
    # Hours count on the clock, whatever the day: Christmas Eve to Christmas Day.
    ("emergency", datetime(2026, 12, 24, 17, 0, tzinfo=UTC),
     datetime(2026, 12, 25, 17, 0, tzinfo=UTC), date(2026, 12, 25)),
    # Working days skip Christmas, Boxing Day (observed on the 28th) and New Year's Day.
    ("urgent", datetime(2026, 12, 23, 9, 0, tzinfo=UTC), None, date(2026, 12, 30)),
    ("routine", datetime(2026, 12, 24, 9, 0, tzinfo=UTC), None, date(2027, 1, 26)),
    # Easter 2027: Good Friday 26 March and Easter Monday 29 March.
    ("urgent", datetime(2027, 3, 25, 9, 0, tzinfo=UTC), None, date(2027, 4, 1)),
    ("planned", AT, None, None),
])
def test_targets_in_hours_and_working_days(code, at, due_at, due):
    assert workflow.target_for(Priority.objects.get(code=code), at=at) == (due_at, due)


def test_references_are_numbered_and_never_repeat():
    first, second = workflow.next_reference("WO"), workflow.next_reference("WO")
    assert first.startswith("WO") and len(first) == 8
    assert int(second[2:]) == int(first[2:]) + 1
    assert workflow.next_reference("R").startswith("R0")


def test_a_move_the_flow_does_not_allow_is_refused(home, contractor_a, make_order,
                                                   repairs_officer):
    order = make_order(home, contractor_a, status=WorkOrder.Status.COMPLETED)
    with pytest.raises(ValidationError, match="is completed: it cannot be cancelled"):
        workflow.move(order, to=WorkOrder.Status.CANCELLED, by=repairs_officer, at=AT)
    event = workflow.move(order, to=WorkOrder.Status.INVOICED, by=repairs_officer, at=AT)
    assert (event.from_status, event.to_status, event.by) == ("completed", "invoiced",
                                                              repairs_officer)
    order.refresh_from_db()
    assert order.status == "invoiced"
    assert WorkOrderEvent.objects.filter(order=order).count() == 1


def test_every_status_has_its_moves():
    assert set(workflow.TRANSITIONS) == set(WorkOrder.Status.values)


def test_spend_limits_a_users_own_wins_then_the_highest_role():
    officer = UserFactory(role=roles.REPAIRS_OFFICER)
    assert workflow.spend_limit_for(officer) == 150_000  # the role's, shipped
    leader_too = UserFactory(role=roles.REPAIRS_OFFICER)
    leader_too.groups.add(Group.objects.get(name=roles.TEAM_LEADER))
    assert workflow.spend_limit_for(leader_too) == 1_000_000
    SpendLimit.objects.create(user=officer, limit_pence=50_000)
    assert workflow.spend_limit_for(officer) == 50_000
    assert workflow.within_limit(officer, 50_000) and not workflow.within_limit(officer, 50_001)
    nobody = UserFactory(role=roles.CUSTOMER_ACCESS)
    assert workflow.spend_limit_for(nobody) is None
    assert not workflow.within_limit(nobody, 0)
