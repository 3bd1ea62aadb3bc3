"""What a contractor's portal user does to their company's work orders: accept one, book or
rebook its appointment, start the work, complete it (notes and photos), mark no access, and
ask for a variation.

Each service takes the user (`by`) and acts only on an order of the company they belong to
(repairs.ContractorMember): any other order is refused as if it did not exist ("no work order
... for your company"), so the portal never reveals another company's orders. The order is
locked (SELECT ... FOR UPDATE) for the change, and each change writes a history row
(repairs.workflow).

Photos. The rule repairs.services applies to every photo: an image Pillow reads as JPEG,
PNG, GIF or WebP (a phone's HEIC photo must be saved as JPEG first), of at most 10 MB; each
refused file is named. At most 10 at once.

Variations. The contractor asks for SOR lines with a reason (repairs.services.add_variation):
priced at the contract's rate for the code, else the SOR price in force today, they wait for
approval by someone whose spend limit covers the order's new total, and do not count in the
order's value until then.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from housing.models import User
from repairs import appointments, services, workflow
from repairs.models import Appointment, Contractor, RepairPhoto, Variation, WorkOrder

Status = WorkOrder.Status
MAX_PHOTOS = 10


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


# --- Whose orders -----------------------------------------------------------------------------


def company_of(user: User) -> Contractor | None:
    """The company a contractor user works for (None for anyone else)."""
    if not (user.is_authenticated and user.is_contractor):
        return None
    membership = getattr(user, "contractor_membership", None)
    if membership is None or not membership.contractor.active:
        return None
    return membership.contractor


def orders_for(user: User) -> QuerySet[WorkOrder]:
    """The work orders a contractor user may see: their company's, once issued to it."""
    company = company_of(user)
    if company is None:
        return WorkOrder.objects.none()
    return WorkOrder.objects.filter(contractor=company, issued_at__isnull=False)


def get_order_for_contractor(user: User, pk) -> WorkOrder:
    """One of the user's company's orders, or Http404 (another company's is never shown)."""
    try:
        return (orders_for(user).select_related("property", "request", "priority", "trade",
                                                "contractor").get(pk=pk))
    except (WorkOrder.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def lock_own_order(order_id: int, by: User) -> WorkOrder:
    """The user's company's order, locked; refused as if missing when it is not theirs."""
    try:
        return orders_for(by).select_for_update(of=("self",)).get(pk=order_id)
    except WorkOrder.DoesNotExist:
        raise ValidationError("There is no such work order for your company.") from None


def _refuse_unless(order: WorkOrder, allowed: tuple, doing: str) -> None:
    if order.status not in allowed:
        raise ValidationError(
            f"Work order {order.reference} is {order.get_status_display().lower()}: you "
            f"cannot {doing} it now.")


def _booked(order: WorkOrder) -> Appointment | None:
    return (Appointment.objects.select_for_update()
            .filter(order=order, status=Appointment.Status.BOOKED).first())


# --- Accepting, booking, starting -------------------------------------------------------------


@transaction.atomic
def accept_order(*, order_id: int, by: User, at: datetime) -> WorkOrder:
    """The contractor takes the order on (its status does not change)."""
    order = lock_own_order(order_id, by)
    _refuse_unless(order, workflow.WITH_CONTRACTOR, "accept")
    if order.accepted_at:
        raise ValidationError(f"Work order {order.reference} was already accepted on "
                              f"{_day(timezone.localdate(order.accepted_at))}.")
    order.accepted_at = at
    order.save(update_fields=["accepted_at"])
    workflow.log(order, summary=f"Accepted by {order.contractor.name}", by=by, at=at)
    return order


def book_appointment(*, order_id: int, date: date | None, slot: str, by: User,
                     at: datetime) -> Appointment:
    """Book or rebook the appointment for the user's company's order (no override: a
    contractor user has no repairs.override_appointment)."""
    with transaction.atomic():
        lock_own_order(order_id, by)
        return appointments.book(order_id=order_id, date=date, slot=slot, by=by, at=at)


@transaction.atomic
def start_work(*, order_id: int, by: User, at: datetime) -> WorkOrder:
    """Mark the order in progress; a booked appointment is attended."""
    order = lock_own_order(order_id, by)
    _refuse_unless(order, (Status.ISSUED, Status.BOOKED, Status.NO_ACCESS), "start")
    appointment = _booked(order)
    if appointment:
        appointment.status = Appointment.Status.ATTENDED
        appointment.save(update_fields=["status"])
    workflow.move(order, to=Status.IN_PROGRESS, summary="Work started", by=by, at=at,
                  fields={"started_at": at})
    return order


# --- Completing -------------------------------------------------------------------------------


def photo_problems(photos) -> list[str]:
    """What is wrong with each uploaded file, naming it ([] when all are photos we keep):
    repairs.services' rule for every photo, and at most MAX_PHOTOS at once."""
    problems = []
    if len(photos) > MAX_PHOTOS:
        problems.append(f"Upload {MAX_PHOTOS} photos or fewer ({len(photos)} were chosen).")
    return problems + services.check_photos(photos)


@transaction.atomic
def complete_order(*, order_id: int, completed_on: date | None, notes: str, photos=(),
                   by: User, at: datetime) -> WorkOrder:
    """Record the work as done on `completed_on` (not before the order was issued, not in the
    future), with what was done and any photos; a booked appointment is attended."""
    notes = (notes or "").strip()
    photos = list(photos or [])
    today = timezone.localdate(at)
    errors: dict[str, list[str]] = {}
    if completed_on is None:
        errors["completed_on"] = ["Enter the date the work was completed."]
    elif completed_on > today:
        errors["completed_on"] = [f"The completion date cannot be in the future: today is "
                                  f"{_day(today)}."]
    if not notes:
        errors["notes"] = ["Say what was done."]
    if problems := photo_problems(photos):
        errors["photos"] = problems
    order = lock_own_order(order_id, by)
    _refuse_unless(order, (Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS), "complete")
    issued_on = timezone.localdate(order.issued_at)
    if completed_on and completed_on < issued_on and "completed_on" not in errors:
        errors["completed_on"] = [f"The completion date cannot be before the order was "
                                  f"issued, on {_day(issued_on)}."]
    if errors:
        raise ValidationError(errors)
    appointment = _booked(order)
    if appointment:
        appointment.status = Appointment.Status.ATTENDED
        appointment.save(update_fields=["status"])
    for photo in photos:
        RepairPhoto.objects.create(request_id=order.request_id, order=order, image=photo,
                                   caption=(getattr(photo, "name", "") or "")[:120],
                                   uploaded_by=by, uploaded_at=at)
    summary = f"Completed on {_day(completed_on)}"
    if photos:
        summary += f", with {len(photos)} photo{'s' if len(photos) > 1 else ''}"
    workflow.move(order, to=Status.COMPLETED, summary=summary, note=notes, by=by, at=at,
                  fields={"completed_at": at, "completed_on": completed_on,
                          "completion_notes": notes})
    return order


@transaction.atomic
def mark_no_access(*, order_id: int, note: str, by: User, at: datetime) -> WorkOrder:
    """Nobody let the operative in: the order is marked no access (to be rebooked) and its
    booked appointment with it."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Say what happened: when you called, whether you left "
                                       "a card."})
    order = lock_own_order(order_id, by)
    _refuse_unless(order, (Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS),
                   "mark no access for")
    appointment = _booked(order)
    if appointment:
        appointment.status = Appointment.Status.NO_ACCESS
        appointment.save(update_fields=["status"])
    when = (f" for the appointment on {appointments.day_text(appointment.date)}"
            if appointment else "")
    workflow.move(order, to=Status.NO_ACCESS, summary=f"No access{when}", note=note, by=by,
                  at=at, fields={"no_access_count": order.no_access_count + 1})
    return order


# --- Variations -------------------------------------------------------------------------------


def parse_quantity(text) -> Decimal | None:
    """A quantity as typed: more than 0, at most 2 decimal places; None when it is not."""
    try:
        quantity = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    if (not quantity.is_finite() or quantity <= 0 or quantity.as_tuple().exponent < -2
            or quantity > services.MAX_QUANTITY):
        return None
    return quantity


@transaction.atomic
def request_variation(*, order_id: int, lines: list[tuple[str, str]], reason: str, by: User,
                      at: datetime) -> Variation:
    """Ask for SOR lines [(code, quantity)] to be added to the user's company's order (a code
    already on it changes that line's quantity), with the reason: repairs.services
    .add_variation, which prices the lines and leaves the variation waiting for approval."""
    lock_own_order(order_id, by)
    return services.add_variation(order_id=order_id, lines=lines, reason=reason, by=by, at=at)
