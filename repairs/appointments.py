"""Appointments: booking, rebooking and cancelling a work order's visit, within the
contractor's daily capacity and the order's target date, and telling the tenant.

Capacity. repairs.Capacity says how many morning (8-12) and afternoon (12-6) visits a
contractor takes a day for a trade. The places taken on a day are the BOOKED appointments of
that contractor's orders in that trade; an all-day appointment takes one morning and one
afternoon place. The order being (re)booked never counts against itself. Two officers, or an
officer and the contractor, booking the last place at once are serialised by locking the
contractor's Capacity row for the trade (SELECT ... FOR UPDATE) before counting: the second
counts after the first has committed and is refused.

Refused, each with the reason: an order not issued, booked or marked no access; a day in the
past, at a weekend or on a bank holiday (housing.workdays); a trade with no capacity set up.
A full slot, or a day after the order's target date, is refused too unless the user has
repairs.override_appointment (a supervisor) and gives a reason: the appointment keeps who
overrode it and why.

Booking moves the order to BOOKED (workflow.move) from issued or no access; booking again
while one is booked marks the old appointment MOVED and writes a history row.

The tenant is told. Each current tenant of the home (tenancy members with the tenant role,
today) with an email address is emailed after the booking commits (housing.notify); each
email sent, or failed, is a history row. When no tenant has an email address, a letter saying
the same is produced as a PDF, kept on the tenancy (tenancies.Letter, kind "repair") for the
office to print and post, and the history row names it. Cancelling the appointment of a booked
order takes the order back to issued.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from housing import notify
from housing.documents import render_pdf
from housing.models import User
from housing.workdays import bank_holidays, is_working_day, next_working_day
from repairs import workflow
from repairs.models import Appointment, Capacity, WorkOrder
from tenancies.models import Letter, TenancyMember
from tenancies.queries import members_at

OVERRIDE_PERM = "repairs.override_appointment"
Slot = Appointment.Slot
BOOKABLE = (WorkOrder.Status.ISSUED, WorkOrder.Status.BOOKED, WorkOrder.Status.NO_ACCESS)
HALVES = {Slot.AM: ("am",), Slot.PM: ("pm",), Slot.ALL_DAY: ("am", "pm")}
HALF_NAMES = {"am": "morning", "pm": "afternoon"}
SLOT_WORDS = {Slot.AM: "in the morning (8am to 12 noon)",
              Slot.PM: "in the afternoon (12 noon to 6pm)",
              Slot.ALL_DAY: "all day (8am to 6pm)"}
SLOT_NAMES = {Slot.AM: "morning", Slot.PM: "afternoon", Slot.ALL_DAY: "all day"}
PICKER_DAYS = 10


def day_text(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


# --- Places -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayPlaces:
    """A day's places for one contractor and trade: how many each half-day takes, and how
    many are booked."""

    date: date
    am_jobs: int
    pm_jobs: int
    am_taken: int
    pm_taken: int

    @property
    def am_free(self) -> int:
        return max(self.am_jobs - self.am_taken, 0)

    @property
    def pm_free(self) -> int:
        return max(self.pm_jobs - self.pm_taken, 0)

    def free(self, slot: str) -> int:
        """Appointments of this slot still possible (all day: the smaller half)."""
        return min(getattr(self, f"{half}_free") for half in HALVES[slot])

    def full_halves(self, slot: str) -> list[str]:
        return [half for half in HALVES[slot] if getattr(self, f"{half}_free") <= 0]


def _taken(*, contractor_id: int, trade_id: int, days: list[date],
           excluding_order_id: int | None) -> dict[date, Counter]:
    """Booked places by day and half-day (one query)."""
    rows = (Appointment.objects
            .filter(order__contractor_id=contractor_id, order__trade_id=trade_id,
                    date__in=days, status=Appointment.Status.BOOKED)
            .exclude(order_id=excluding_order_id)
            .values("date", "slot").annotate(n=Count("pk")).order_by())
    taken: dict[date, Counter] = {day: Counter() for day in days}
    for row in rows:
        for half in HALVES[row["slot"]]:
            taken[row["date"]][half] += row["n"]
    return taken


def places(order: WorkOrder, days: list[date], *,
           capacity: Capacity | None = None) -> list[DayPlaces]:
    """The contractor's places on each of `days` for the order's trade, its own booking not
    counted; [] when no capacity is set up (two queries)."""
    if capacity is None:
        capacity = Capacity.objects.filter(contractor_id=order.contractor_id,
                                           trade_id=order.trade_id).first()
    if capacity is None:
        return []
    taken = _taken(contractor_id=order.contractor_id, trade_id=order.trade_id, days=days,
                   excluding_order_id=order.pk)
    return [DayPlaces(date=day, am_jobs=capacity.am_jobs, pm_jobs=capacity.pm_jobs,
                      am_taken=taken[day]["am"], pm_taken=taken[day]["pm"]) for day in days]


def picker_days(order: WorkOrder, *, today: date, count: int = PICKER_DAYS) -> list[date]:
    """The next `count` working days from today (today included when it is one), up to the
    order's target date."""
    days: list[date] = []
    day = next_working_day(today)
    while len(days) < count and (order.target_date is None or day <= order.target_date):
        days.append(day)
        day = next_working_day(day + timedelta(days=1))
    return days


# --- Booking ----------------------------------------------------------------------------------


def _not_a_working_day(day: date) -> str | None:
    if day.weekday() >= 5:
        return f"{day_text(day)} is a weekend: choose a working day."
    if not is_working_day(day):
        name = bank_holidays(day.year).get(day, "a bank holiday")
        return f"{day_text(day)} is a bank holiday ({name}): choose a working day."
    return None


def _capacity_refusal(day: DayPlaces, slot: str) -> str | None:
    full = day.full_halves(slot)
    if not full:
        return None
    half = full[0]
    jobs = getattr(day, f"{half}_jobs")
    taken = getattr(day, f"{half}_taken")
    if len(full) == 2:
        return (f"The contractor has no morning or afternoon places left on "
                f"{day.date.day} {day.date:%B %Y}: {day.am_taken} of {day.am_jobs} morning and "
                f"{day.pm_taken} of {day.pm_jobs} afternoon places are booked. Choose another "
                f"slot or day.")
    return (f"The contractor has no {HALF_NAMES[half]} places left on "
            f"{day.date.day} {day.date:%B %Y}: {taken} of {jobs} are booked. Choose another "
            f"slot or day.")


@transaction.atomic
def book(*, order_id: int, date: date | None, slot: str, by: User, at: datetime,
         override_reason: str = "") -> Appointment:
    """Book the order's appointment, or rebook it (the booked one is marked moved). See the
    module's docstring for the rules."""
    day, today = date, timezone.localdate(at)
    override_reason = (override_reason or "").strip()
    may_override = by.has_perm(OVERRIDE_PERM)
    errors: dict[str, str] = {}
    if day is None:
        errors["date"] = "Enter the date of the appointment."
    if slot not in Slot.values:
        errors["slot"] = "Select the morning, the afternoon or all day."
    if errors:
        raise ValidationError(errors)
    order = (WorkOrder.objects.select_for_update(of=("self",))
             .select_related("contractor", "trade").get(pk=order_id))
    if order.status not in BOOKABLE:
        raise ValidationError(
            f"Work order {order.reference} is {order.get_status_display().lower()}: an "
            f"appointment can only be booked for an order issued to the contractor, booked, "
            f"or after no access.")
    if day < today:
        raise ValidationError({"date": f"{day_text(day)} has passed: choose today or a later "
                                       f"day."})
    if refusal := _not_a_working_day(day):
        raise ValidationError({"date": refusal})
    # Lock the contractor's capacity for the trade before counting (see the docstring).
    capacity = (Capacity.objects.select_for_update()
                .filter(contractor_id=order.contractor_id, trade_id=order.trade_id).first())
    if capacity is None:
        raise ValidationError(
            {"slot": f"{order.contractor.name} has no appointment capacity set up for "
                     f"{order.trade.name.lower()}: an administrator adds it (Repairs, "
                     f"Capacities) before appointments can be booked."})
    overridable: dict[str, str] = {}
    if order.target_date and day > order.target_date:
        overridable["date"] = (f"{day_text(day)} is after the order's target date, "
                               f"{day_text(order.target_date)}: choose a day by then.")
    (places_on_day,) = places(order, [day], capacity=capacity)
    if refusal := _capacity_refusal(places_on_day, slot):
        overridable["slot"] = refusal
    if overridable and not (may_override and override_reason):
        if may_override:
            overridable["override_reason"] = (
                "To book it anyway, give the reason for overriding the "
                f"{' and the '.join(_override_words(overridable))}.")
        raise ValidationError(overridable)
    current = (Appointment.objects.select_for_update()
               .filter(order=order, status=Appointment.Status.BOOKED).first())
    if current and current.date == day and current.slot == slot:
        raise ValidationError({"date": f"The appointment is already booked for "
                                       f"{day_text(day)}, {SLOT_NAMES[slot]}."})
    if current:
        current.status = Appointment.Status.MOVED
        current.save(update_fields=["status"])
    appointment = Appointment.objects.create(
        order=order, date=day, slot=slot, booked_by=by, booked_at=at,
        override_by=by if overridable else None,
        override_reason=override_reason if overridable else "")
    when = f"{day_text(day)}, {SLOT_NAMES[slot]}"
    note = (f"Booked outside {' and '.join(_override_words(overridable))} by "
            f"{by.display_name}: {override_reason}" if overridable else "")
    if current:
        workflow.log(order, summary=f"Appointment moved from {day_text(current.date)}, "
                                    f"{SLOT_NAMES[current.slot]} to {when}",
                     by=by, at=at, note=note)
    elif order.status == WorkOrder.Status.BOOKED:
        workflow.log(order, summary=f"Appointment booked for {when}", by=by, at=at, note=note)
    else:
        again = " after no access" if order.status == WorkOrder.Status.NO_ACCESS else ""
        workflow.move(order, to=WorkOrder.Status.BOOKED,
                      summary=f"Appointment booked{again} for {when}", by=by, at=at, note=note)
    tell_tenants(order, appointment, what="moved" if current else "booked", by=by, at=at)
    return appointment


def _override_words(overridable: dict[str, str]) -> list[str]:
    return [{"date": "target date", "slot": "contractor's capacity"}[key]
            for key in ("slot", "date") if key in overridable]


def rebook(*, order_id: int, date: date | None, slot: str, by: User, at: datetime,
           override_reason: str = "") -> Appointment:
    """Move the order's booked appointment to another day or slot (book does both)."""
    return book(order_id=order_id, date=date, slot=slot, by=by, at=at,
                override_reason=override_reason)


@transaction.atomic
def cancel(*, appointment_id: int, reason: str, by: User, at: datetime) -> Appointment:
    """Cancel a booked appointment; a booked order goes back to issued, waiting for another
    appointment. The tenant is told."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for cancelling the appointment."})
    appointment = (Appointment.objects.select_for_update(of=("self",))
                   .select_related("order").get(pk=appointment_id))
    order = WorkOrder.objects.select_for_update().get(pk=appointment.order_id)
    if appointment.status != Appointment.Status.BOOKED:
        raise ValidationError(f"This appointment is {appointment.get_status_display().lower()}"
                              f": only a booked appointment can be cancelled.")
    appointment.status = Appointment.Status.CANCELLED
    appointment.save(update_fields=["status"])
    summary = (f"Appointment on {day_text(appointment.date)}, {SLOT_NAMES[appointment.slot]} "
               f"cancelled")
    if order.status == WorkOrder.Status.BOOKED:
        workflow.move(order, to=WorkOrder.Status.ISSUED, by=by, at=at,
                      summary=f"{summary}: waiting for another appointment", note=reason)
    else:
        workflow.log(order, summary=summary, note=reason, by=by, at=at)
    tell_tenants(order, appointment, what="cancelled", by=by, at=at)
    return appointment


# --- Telling the tenant -----------------------------------------------------------------------


def current_tenants(order: WorkOrder, *, today: date) -> list[TenancyMember]:
    """The home's tenants today (not household members), with their person."""
    return list(members_at(order.property_id, on=today, role=TenancyMember.Role.TENANT))


def message_for(order: WorkOrder, appointment: Appointment, *, what: str,
                name: str) -> tuple[str, str]:
    """The email's subject and body."""
    when = f"{day_text(appointment.date)}, {SLOT_WORDS[appointment.slot]}"
    home = order.property
    address = ", ".join(home.address_lines)
    if what == "cancelled":
        subject = f"Your repair appointment on {day_text(appointment.date)} is cancelled"
        lead = (f"The repair appointment at {address} on {when} is cancelled. We will "
                f"contact you to arrange another.")
    else:
        subject = f"Your repair appointment: {day_text(appointment.date)}"
        lead = (f"{'Your repair appointment has moved. ' if what == 'moved' else ''}"
                f"{order.contractor.name} will come to {address} on {when}.")
    body = (f"Dear {name},\n\n{lead}\n\nThe repair: {order.description}\n"
            f"Work order: {order.reference}\n\nIf nobody over 18 can be in, please contact "
            f"us as soon as you can so we can arrange another day.\n\n"
            f"{settings.COUNCIL_NAME} Repairs")
    return subject, body


def appointment_letter(order: WorkOrder, appointment: Appointment,
                       tenants: list[TenancyMember], *, what: str, by: User | None,
                       at: datetime) -> Letter:
    """The letter about this change of the appointment, kept on the tenancy (once: a rerun
    finds it by its key)."""
    tenancy = tenants[0].tenancy
    key = f"appointment-{appointment.pk}-{what}"
    existing = Letter.objects.filter(tenancy=tenancy, kind=Letter.Kind.REPAIR, key=key).first()
    if existing is not None:
        return existing
    names = [member.person.full_name for member in tenants]
    names = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    subject, body = message_for(order, appointment, what=what, name=names)
    pdf = render_pdf("repairs/documents/appointment_letter.html", {
        "tenancy": tenancy, "home": order.property,
        "tenants": [member.person for member in tenants],
        "letter_date": timezone.localdate(at), "subject": subject,
        "paragraphs": [block for block in body.split("\n\n") if block.strip()],
    }, title=subject)
    letter = Letter(tenancy=tenancy, kind=Letter.Kind.REPAIR, key=key,
                    title=f"{order.reference}: {subject}"[:200], created_at=at, created_by=by)
    letter.file.save(f"repair-{order.reference}-{appointment.pk}-{what}.pdf", ContentFile(pdf),
                     save=False)
    letter.save()
    return letter


def tell_tenants(order: WorkOrder, appointment: Appointment, *, what: str, by: User,
                 at: datetime) -> None:
    """Email each current tenant with an address after the change commits. When none has one,
    a letter (a PDF kept on the tenancy, to print and post) says the same, and the history
    links it."""
    tenants = current_tenants(order, today=timezone.localdate(at))
    recipients = {}
    for member in tenants:
        email = member.person.email.strip()
        if email and email.lower() not in recipients:
            recipients[email.lower()] = (email, member.person.full_name)
    if not recipients:
        why = ("no tenant has an email address recorded" if tenants
               else "the home has no current tenant")
        if tenants:
            letter = appointment_letter(order, appointment, tenants, what=what, by=by, at=at)
            workflow.log(order, summary=f"Letter produced for the tenant ({why}): print and "
                                        f"post it", note=letter.title, by=by, at=at)
        else:
            workflow.log(order, summary=f"Nobody told: {why}", by=by, at=at)
        return
    order_id, appointment_id = order.pk, appointment.pk

    def send() -> None:
        fresh = WorkOrder.objects.select_related("contractor", "property").get(pk=order_id)
        booked = Appointment.objects.get(pk=appointment_id)
        for email, name in recipients.values():
            subject, body = message_for(fresh, booked, what=what, name=name)
            try:
                notify.send_email(to=email, subject=subject, body=body)
            except notify.SendError as error:
                workflow.log(fresh, summary=f"Email to {name} failed: send a letter",
                             note=str(error), by=by, at=at)
            else:
                workflow.log(fresh, summary=f"Tenant told by email: {name} ({email})",
                             note=f"{subject}\n\n{body}", by=by, at=at)

    transaction.on_commit(send)
