"""Staff screens: booking, rebooking and cancelling a work order's appointment
(repairs.appointments).

Who may do what: booking and cancelling need repairs.manage_workorder (Repairs Officers, Team
Leaders, administrators); booking outside the contractor's capacity or after the target date
needs repairs.override_appointment as well (Team Leaders, administrators), with a reason. An
order off the user's patches is a 404.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import require_perm
from housing.forms_register import ServiceForm
from repairs import appointments
from repairs.models import Appointment, WorkOrder
from repairs.queries import get_order_for_user
from tenancies.forms import DateInput

MANAGE_PERM = "repairs.manage_workorder"


class BookForm(ServiceForm):
    date = forms.DateField(
        label="Date", widget=DateInput(),
        error_messages={"required": "Enter the date of the appointment.",
                        "invalid": "Enter the date of the appointment as a real date."})
    slot = forms.ChoiceField(
        label="Time", choices=Appointment.Slot.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the morning, the afternoon or all day."})
    override_reason = forms.CharField(
        label="Reason for booking outside capacity or target (supervisors only)",
        required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only if the contractor has no places left that day, or the day is after "
                  "the target date. It is recorded with your name.")

    def __init__(self, *args, may_override: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["override_reason"]


class CancelForm(ServiceForm):
    reason = forms.CharField(
        label="Why is the appointment cancelled?", max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The tenant is told the appointment is cancelled; this reason stays in the "
                  "order's history.",
        error_messages={"required": "Give the reason for cancelling the appointment."})


def order_url(order: WorkOrder) -> str:
    """The staff order page (repairs.views), or this booking page until there is one."""
    try:
        return reverse("repairs:order", kwargs={"pk": order.pk})
    except NoReverseMatch:
        return reverse("repairs:appointment-book", kwargs={"pk": order.pk})


@require_http_methods(["GET", "POST"])
def appointment_book(request, pk: int):
    require_perm(request.user, MANAGE_PERM)
    order = get_order_for_user(request.user, pk)
    may_override = request.user.has_perm(appointments.OVERRIDE_PERM)
    form = BookForm(request.POST if request.method == "POST" else None,
                    may_override=may_override)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = appointments.book(
                order_id=order.pk, date=data["date"], slot=data["slot"], by=request.user,
                at=timezone.now(), override_reason=data.get("override_reason", ""))
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Appointment booked for "
                                      f"{appointments.day_text(appointment.date)}, "
                                      f"{appointments.SLOT_NAMES[appointment.slot]}. The "
                                      f"tenant is told.")
            return redirect(order_url(order))
    today = timezone.localdate()
    current = order.appointments.filter(status=Appointment.Status.BOOKED).first()
    return render(request, "repairs/appointments/book.html", {
        "order": order, "form": form, "current": current,
        "heading": "Rebook the appointment" if current else "Book an appointment",
        "bookable": order.status in appointments.BOOKABLE,
        "places": appointments.places(order, appointments.picker_days(order, today=today)),
        "may_override": may_override, "back": order_url(order),
        "history": order.appointments.select_related("booked_by", "override_by")
                   .order_by("-booked_at", "-pk"),
    })


@require_http_methods(["GET", "POST"])
def appointment_cancel(request, pk: int):
    require_perm(request.user, MANAGE_PERM)
    appointment = get_object_or_404(Appointment, pk=pk)
    order = get_order_for_user(request.user, appointment.order_id)
    form = CancelForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            appointments.cancel(appointment_id=appointment.pk,
                                reason=form.cleaned_data["reason"], by=request.user,
                                at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Appointment cancelled. The tenant is told; book "
                                      "another when you can.")
            return redirect(order_url(order))
    return render(request, "repairs/appointments/cancel.html", {
        "order": order, "appointment": appointment, "form": form,
        "back": order_url(order)})


urlpatterns = [
    path("orders/<int:pk>/appointment/", appointment_book, name="appointment-book"),
    path("appointments/<int:pk>/cancel/", appointment_cancel, name="appointment-cancel"),
]
