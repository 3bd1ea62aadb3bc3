"""The work order's status flow, its references and the spend limits every repairs service
shares. One service per move (repairs.services, repairs.contractor_services) locks the order,
calls `move`, and so writes one WorkOrderEvent with who and when.

    raised -> approved -> issued -> booked -> in_progress -> completed -> invoiced -> paid
    raised: waiting for approval (the value is over the raiser's spend limit)
    no_access: the contractor could not get in; rebooked (booked) from there
    booked -> issued: its appointment was cancelled and none is booked
    cancelled: from anything before completed
An invoice that is queried takes an invoiced order back to completed.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from housing.models import User
from housing.money import round_pence
from housing.workdays import add_working_days
from repairs.models import Priority, SpendLimit, WorkOrder, WorkOrderEvent

Status = WorkOrder.Status

TRANSITIONS: dict[str, set[str]] = {
    Status.RAISED: {Status.APPROVED, Status.CANCELLED},
    Status.APPROVED: {Status.ISSUED, Status.CANCELLED},
    Status.ISSUED: {Status.BOOKED, Status.IN_PROGRESS, Status.NO_ACCESS, Status.COMPLETED,
                    Status.CANCELLED},
    # Back to issued when its appointment is cancelled and none is booked in its place.
    Status.BOOKED: {Status.ISSUED, Status.IN_PROGRESS, Status.NO_ACCESS, Status.COMPLETED,
                    Status.CANCELLED},
    Status.IN_PROGRESS: {Status.COMPLETED, Status.NO_ACCESS, Status.CANCELLED},
    Status.NO_ACCESS: {Status.BOOKED, Status.IN_PROGRESS, Status.CANCELLED},
    Status.COMPLETED: {Status.INVOICED},
    Status.INVOICED: {Status.PAID, Status.COMPLETED},
    Status.PAID: set(),
    Status.CANCELLED: set(),
}
OPEN_STATUSES = (Status.RAISED, Status.APPROVED, Status.ISSUED, Status.BOOKED,
                 Status.IN_PROGRESS, Status.NO_ACCESS)
WITH_CONTRACTOR = (Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS, Status.NO_ACCESS)


def can_move(order: WorkOrder, to: str) -> bool:
    return to in TRANSITIONS[order.status]


def move(order: WorkOrder, *, to: str, by: User | None, at: datetime, summary: str = "",
         note: str = "", fields: dict | None = None) -> WorkOrderEvent:
    """Change the (locked) order's status, with any other `fields`, and write the history
    row. Refuses a move the flow does not allow, saying where the order is."""
    if not can_move(order, to):
        raise ValidationError(
            f"Work order {order.reference} is {order.get_status_display().lower()}: it cannot "
            f"be {Status(to).label.lower()} from there.")
    was = order.status
    order.status = to
    for name, value in (fields or {}).items():
        setattr(order, name, value)
    order.save(update_fields=["status", *(fields or {})])
    return WorkOrderEvent.objects.create(
        order=order, from_status=was, to_status=to,
        summary=(summary or Status(to).label)[:200], note=note, by=by, at=at)


def log(order: WorkOrder, *, summary: str, by: User | None, at: datetime,
        note: str = "") -> WorkOrderEvent:
    """A history row that does not change the status (a rebooking, a variation asked for)."""
    return WorkOrderEvent.objects.create(order=order, from_status=order.status,
                                         to_status=order.status, summary=summary[:200],
                                         note=note, by=by, at=at)


# --- References -------------------------------------------------------------------------------

_SEQUENCES = {"R": "repairs_request_ref", "WO": "repairs_order_ref", "AW": "repairs_hazard_ref"}


def next_reference(prefix: str) -> str:
    """R000123 for a repair request, WO000123 for a work order, AW000123 for a hazard case:
    from a database sequence, so two at once never clash."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [_SEQUENCES[prefix]])
        (number,) = cursor.fetchone()
    return f"{prefix}{number:06d}"


# --- Money and dates --------------------------------------------------------------------------


def line_value(quantity: Decimal, unit_price_pence: int) -> int:
    """quantity x unit price, rounded once to the penny, halves up (2.5 m² at £38.01 is
    £95.03, from 9502.5p)."""
    return round_pence(Decimal(quantity) * Decimal(unit_price_pence))


def target_for(priority: Priority, *, at: datetime) -> tuple[datetime | None, date | None]:
    """When an order raised at `at` is due: (attend-by time, complete-by day). Hours count on
    the clock (an emergency is 24 hours, whatever the day); working days from the day it was
    raised (housing.workdays); a planned priority has no target."""
    if priority.target_hours is not None:
        due_at = at + timedelta(hours=priority.target_hours)
        return due_at, timezone.localdate(due_at)
    if priority.target_working_days is not None:
        return None, add_working_days(timezone.localdate(at), priority.target_working_days)
    return None, None


# --- Spend limits -----------------------------------------------------------------------------


def spend_limit_for(user: User) -> int | None:
    """The most `user` may order without approval, in pence: their own limit, else the highest
    of their roles'; None when they have none (they may order nothing without approval)."""
    own = SpendLimit.objects.filter(user=user).values_list("limit_pence", flat=True).first()
    if own is not None:
        return own
    return (SpendLimit.objects.filter(group__in=user.groups.all()).order_by("-limit_pence")
            .values_list("limit_pence", flat=True).first())


def within_limit(user: User, value_pence: int) -> bool:
    limit = spend_limit_for(user)
    return limit is not None and value_pence <= limit
