"""The contractor portal: each contractor user sees and acts on their own company's work
orders only (repairs.ContractorMember), never by an id in the URL alone.

Every order comes through repairs.contractor_services.get_order_for_contractor, which 404s
another company's order (and one not yet issued to the company); every change goes through
one service in repairs.contractor_services, repairs.appointments or repairs.invoices, which
check the company again. Staff and tenants never get here: housing.middleware keeps
/contractor/ to contractor users.
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from housing.forms_register import ServiceForm
from housing.money import MoneyError, pounds_to_pence
from repairs import appointments, contractor_services, invoices, workflow
from repairs import services as repair_services
from repairs.models import Appointment, Invoice, Variation, WorkOrder
from repairs.queries import home_safety_flag, lines_for_display
from tenancies.forms import DateInput

Status = WorkOrder.Status
LIST_PAGE = 50
# The home page's tabs: (label, statuses), new work first.
TABS = {
    "new": ("New", [Status.ISSUED]),
    "no_access": ("No access: to rebook", [Status.NO_ACCESS]),
    "booked": ("Booked", [Status.BOOKED]),
    "in_progress": ("In progress", [Status.IN_PROGRESS]),
    "completed": ("Completed: to invoice", [Status.COMPLETED]),
    "invoiced": ("Invoiced", [Status.INVOICED]),
    "paid": ("Paid", [Status.PAID]),
    "cancelled": ("Cancelled", [Status.CANCELLED]),
}
VARIATION_ROWS = 5


def _text(label: str, missing: str, *, help_text: str = "", rows: int = 4,
          required: bool = True) -> forms.CharField:
    return forms.CharField(label=label, max_length=4000, help_text=help_text, required=required,
                           widget=forms.Textarea(attrs={"rows": rows}),
                           error_messages={"required": missing})


# --- Forms ------------------------------------------------------------------------------------


class SlotForm(ServiceForm):
    """One radio for each free slot on the days offered: "2026-12-14|am"."""

    choice = forms.ChoiceField(label="Choose a day and time", widget=forms.RadioSelect,
                               error_messages={"required": "Choose a day and time.",
                                               "invalid_choice": "That slot is no longer "
                                                                 "free: choose another."})

    def __init__(self, *args, places: list[appointments.DayPlaces], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [
            (f"{day.date.isoformat()}|{slot}",
             f"{appointments.day_text(day.date)}, {appointments.SLOT_WORDS[slot]}")
            for day in places for slot in appointments.Slot.values if day.free(slot) > 0]

    def cleaned_slot(self):
        day, slot = self.cleaned_data["choice"].split("|")
        return date.fromisoformat(day), slot

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):  # the date and slot are the one choice here
            error = ValidationError({"choice" if key in ("date", "slot") else key: value
                                     for key, value in error.error_dict.items()})
        super().add_service_errors(error)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(PhotosField, self).clean(item, initial) for item in files if item]


class CompleteForm(ServiceForm):
    completed_on = forms.DateField(
        label="Date the work was completed", widget=DateInput(),
        error_messages={"required": "Enter the date the work was completed.",
                        "invalid": "Enter the date the work was completed as a real date."})
    notes = _text("What was done?", "Say what was done.",
                  help_text="For example: renewed the kitchen tap cartridge and tested it.")
    photos = PhotosField(
        label="Photos (optional)", required=False,
        help_text="Up to 10 photos, each a JPEG, PNG, WebP or GIF of 10 MB or less.")

    def __init__(self, *args, today, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("completed_on", today)
        super().__init__(*args, **kwargs)


class NoAccessForm(ServiceForm):
    note = _text("What happened?", "Say what happened: when you called, whether you left a "
                 "card.", help_text="For example: called at 10:20, no answer, card left.")


class LinesForm(ServiceForm):
    """A form with numbered rows of SOR lines (code_0, quantity_0, ...). Rows left blank are
    ignored; `lines()` gives the rows filled in."""

    row_fields: tuple[str, ...] = ("code", "quantity")

    def __init__(self, *args, rows: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in range(rows):
            self.fields[f"code_{row}"] = forms.CharField(
                label=f"Line {row + 1} SOR code", required=False, max_length=20,
                widget=forms.TextInput(attrs={"class": "govuk-input--width-5",
                                              "spellcheck": "false", "autocomplete": "off"}))
            self.fields[f"quantity_{row}"] = forms.CharField(
                label=f"Line {row + 1} quantity", required=False, max_length=12,
                widget=forms.TextInput(attrs={"class": "govuk-input--width-4",
                                              "inputmode": "decimal", "autocomplete": "off"}))

    def row_values(self, row: int) -> list:
        return [self.cleaned_data.get(f"{name}_{row}") for name in self.row_fields]

    def clean(self):
        data = super().clean()
        for row in range(self.rows):
            values = [(data.get(f"{name}_{row}") or "") for name in self.row_fields]
            if any(str(value).strip() for value in values) and not str(values[0]).strip():
                self.add_error(f"code_{row}", f"Enter the SOR code for line {row + 1}.")
        return data

    def filled_rows(self) -> list[int]:
        return [row for row in range(self.rows)
                if str(self.cleaned_data.get(f"code_{row}") or "").strip()]

    def table(self) -> list[list]:
        """The bound fields row by row, for the template."""
        return [[self[f"{name}_{row}"] for name in self.row_fields] for row in range(self.rows)]


class VariationForm(LinesForm):
    reason = _text("Why is the extra work needed?", "Say why the extra work is needed.",
                   help_text="For example: the supply pipe is corroded behind the unit and "
                             "must be renewed.")

    def lines(self) -> list[tuple[str, str]]:
        return [(self.cleaned_data[f"code_{row}"], self.cleaned_data[f"quantity_{row}"])
                for row in self.filled_rows()]


class InvoiceForm(LinesForm):
    row_fields = ("code", "quantity", "price")
    number = forms.CharField(
        label="Your invoice number", max_length=40,
        help_text="Each invoice needs a number you have not used before.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "autocomplete": "off",
                                      "spellcheck": "false"}),
        error_messages={"required": "Enter your invoice number."})

    def __init__(self, *args, rows: int, **kwargs):
        super().__init__(*args, rows=rows, **kwargs)
        for row in range(rows):
            self.fields[f"price_{row}"] = forms.CharField(
                label=f"Line {row + 1} unit price", required=False, max_length=20,
                widget=forms.TextInput(attrs={"class": "govuk-input--width-5",
                                              "inputmode": "decimal", "autocomplete": "off"}))

    def clean(self):
        data = super().clean()
        for row in self.filled_rows():
            text = str(data.get(f"price_{row}") or "").strip()
            if not text:
                self.add_error(f"price_{row}", f"Enter the unit price for line {row + 1}.")
                continue
            try:
                data[f"price_pence_{row}"] = pounds_to_pence(text)
            except MoneyError as error:
                self.add_error(f"price_{row}", f"Line {row + 1}: {error}")
        return data

    def lines(self) -> list[tuple[str, str, int]]:
        return [(self.cleaned_data[f"code_{row}"], self.cleaned_data[f"quantity_{row}"],
                 self.cleaned_data[f"price_pence_{row}"]) for row in self.filled_rows()]


# --- Pages ------------------------------------------------------------------------------------


def _order(request, pk: int) -> WorkOrder:
    return contractor_services.get_order_for_contractor(request.user, pk)


def _done(request, order: WorkOrder, text: str):
    messages.success(request, text)
    return redirect("contractor:order", pk=order.pk)


@require_GET
def contractor_home(request):
    company = contractor_services.company_of(request.user)
    if company is None:
        return render(request, "portal/contractor_home.html", {"company": None})
    orders = contractor_services.orders_for(request.user)
    counts = dict(orders.values_list("status").annotate(n=Count("pk")).order_by())
    tabs = [(key, label, sum(counts.get(status, 0) for status in statuses))
            for key, (label, statuses) in TABS.items()]
    tab = request.GET.get("status")
    if tab not in TABS:  # the first tab with something in it, new work first
        tab = next((key for key, _label, count in tabs if count), "new")
    queried = Invoice.objects.filter(order=OuterRef("pk"), status=Invoice.Status.QUERIED)
    rows = (orders.filter(status__in=TABS[tab][1])
            .select_related("property", "priority")
            .annotate(has_query=Exists(queried))
            .order_by("target_date", "target_at", "raised_at", "pk"))
    page = Paginator(rows, LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/contractor_home.html", {
        "company": company, "tabs": tabs, "status": tab, "label": TABS[tab][0],
        "page_obj": page, "today": timezone.localdate(),
        "open_statuses": list(workflow.WITH_CONTRACTOR)})


@require_GET
def order_detail(request, pk: int):
    order = _order(request, pk)
    status = order.status
    waiting = order.variations.filter(status=Variation.Status.REQUESTED).exists()
    return render(request, "portal/contractor/order.html", {
        "order": order,
        "flags": home_safety_flag(order.property),
        "lines": lines_for_display(order),
        "appointments": order.appointments.order_by("-date", "-pk"),
        "variations": order.variations.select_related("requested_by").order_by("-requested_at"),
        "invoices": [(invoice, invoice.query.splitlines())
                     for invoice in order.invoices.order_by("-submitted_at", "-pk")],
        "booked": order.appointments.filter(status=Appointment.Status.BOOKED).first(),
        "can_accept": status in workflow.WITH_CONTRACTOR and not order.accepted_at,
        "can_book": status in appointments.BOOKABLE,
        "can_start": status in (Status.ISSUED, Status.BOOKED, Status.NO_ACCESS),
        "can_complete": status in (Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS),
        "can_ask": status in repair_services.VARIABLE and not waiting,
        "waiting": waiting,
        "can_invoice": status == Status.COMPLETED,
    })


def _post_action(request, pk: int, service, done: str):
    order = _order(request, pk)
    try:
        service(order_id=order.pk, by=request.user, at=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("contractor:order", pk=order.pk)
    return _done(request, order, done)


@require_POST
def order_accept(request, pk: int):
    return _post_action(request, pk, contractor_services.accept_order,
                        "Order accepted. Book the appointment with the tenant next.")


@require_POST
def order_start(request, pk: int):
    return _post_action(request, pk, contractor_services.start_work, "Work started.")


@require_http_methods(["GET", "POST"])
def order_book(request, pk: int):
    order = _order(request, pk)
    today = timezone.localdate()
    places = appointments.places(order, appointments.picker_days(order, today=today))
    form = SlotForm(request.POST if request.method == "POST" else None, places=places)
    if request.method == "POST" and form.is_valid():
        day, slot = form.cleaned_slot()
        try:
            appointment = contractor_services.book_appointment(
                order_id=order.pk, date=day, slot=slot, by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, order, f"Appointment booked for "
                                         f"{appointments.day_text(appointment.date)}, "
                                         f"{appointments.SLOT_NAMES[appointment.slot]}. The "
                                         f"tenant is told.")
    options = {option.data["value"]: option for option in form["choice"]}
    picker = [{"day": day, "slots": [
        (slot, appointments.Slot(slot).label, day.free(slot),
         options.get(f"{day.date.isoformat()}|{slot}"))
        for slot in appointments.Slot.values]} for day in places]
    current = order.appointments.filter(status=Appointment.Status.BOOKED).first()
    return render(request, "portal/contractor/book.html", {
        "order": order, "form": form, "picker": picker, "current": current,
        "bookable": order.status in appointments.BOOKABLE,
        "heading": "Rebook the appointment" if current else "Book the appointment"})


@require_http_methods(["GET", "POST"])
def order_complete(request, pk: int):
    order = _order(request, pk)
    form = CompleteForm(request.POST if request.method == "POST" else None,
                        request.FILES if request.method == "POST" else None,
                        today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contractor_services.complete_order(
                order_id=order.pk, completed_on=data["completed_on"], notes=data["notes"],
                photos=data["photos"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, order, "Work order completed. Submit your invoice when you "
                                         "are ready.")
    return render(request, "portal/contractor/form_page.html", {
        "order": order, "form": form, "heading": "Complete the work order",
        "button": "Complete the work order", "multipart": True,
        "intro": "The date must be on or after the day the order was issued, and not in the "
                 "future."})


@require_http_methods(["GET", "POST"])
def order_no_access(request, pk: int):
    order = _order(request, pk)
    form = NoAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            contractor_services.mark_no_access(order_id=order.pk,
                                               note=form.cleaned_data["note"],
                                               by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, order, "Marked as no access. Book another appointment with "
                                         "the tenant.")
    return render(request, "portal/contractor/form_page.html", {
        "order": order, "form": form, "heading": "No access", "button": "Mark as no access",
        "intro": "Nobody let you in. The council is told, and the order waits for another "
                 "appointment."})


@require_http_methods(["GET", "POST"])
def order_variation(request, pk: int):
    order = _order(request, pk)
    form = VariationForm(request.POST if request.method == "POST" else None,
                         rows=VARIATION_ROWS)
    if request.method == "POST" and form.is_valid():
        try:
            contractor_services.request_variation(
                order_id=order.pk, lines=form.lines(), reason=form.cleaned_data["reason"],
                by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, order, "Variation asked for. It waits for the council's "
                                         "approval; the extra lines count once approved.")
    return render(request, "portal/contractor/lines_form.html", {
        "order": order, "form": form, "heading": "Ask for a variation",
        "button": "Ask for the variation", "rows": form.table(),
        "columns": ["SOR code", "Quantity"],
        "intro": "Add the extra SOR lines the job needs. They are priced at your contract's "
                 "rates and wait for the council's approval.",
        "before": ["reason"]})


def _invoice_initial(order: WorkOrder) -> dict:
    initial = {}
    for row, line in enumerate(invoices.counted_lines(order)):
        initial[f"code_{row}"] = line.sor.code
        initial[f"quantity_{row}"] = f"{Decimal(line.quantity).normalize():f}"
        pounds, pence = divmod(line.unit_price_pence, 100)
        initial[f"price_{row}"] = f"{pounds}.{pence:02d}"
    return initial


@require_http_methods(["GET", "POST"])
def order_invoice(request, pk: int):
    order = _order(request, pk)
    initial = _invoice_initial(order)
    rows = len(initial) // 3 + 2
    form = InvoiceForm(request.POST if request.method == "POST" else None, rows=rows,
                       initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invoice = invoices.submit_invoice(
                order_id=order.pk, number=form.cleaned_data["number"], lines=form.lines(),
                by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if invoice.status == Invoice.Status.QUERIED:
                messages.error(request, f"Invoice {invoice.number} does not match the order, "
                                        f"so it is queried: see the lines named below, then "
                                        f"submit a corrected invoice with a new number.")
                return redirect("contractor:order", pk=order.pk)
            return _done(request, order, f"Invoice {invoice.number} submitted. It matches the "
                                         f"order and waits for the council's approval.")
    queried = (order.invoices.filter(status=Invoice.Status.QUERIED)
               .order_by("-submitted_at", "-pk").first())
    return render(request, "portal/contractor/lines_form.html", {
        "order": order, "form": form, "heading": "Submit an invoice",
        "queried": queried, "problems": queried.query.splitlines() if queried else [],
        "button": "Submit the invoice", "rows": form.table(),
        "columns": ["SOR code", "Quantity", "Unit price (£)"],
        "intro": "The lines are filled in from the order, approved variations included. Each "
                 "line is checked against the order's quantity and price; an invoice that "
                 "differs is queried back to you with the lines named.",
        "before": ["number"]})


urlpatterns = [
    path("", contractor_home, name="home"),
    path("orders/<int:pk>/", order_detail, name="order"),
    path("orders/<int:pk>/accept/", order_accept, name="order-accept"),
    path("orders/<int:pk>/appointment/", order_book, name="order-book"),
    path("orders/<int:pk>/start/", order_start, name="order-start"),
    path("orders/<int:pk>/complete/", order_complete, name="order-complete"),
    path("orders/<int:pk>/no-access/", order_no_access, name="order-no-access"),
    path("orders/<int:pk>/variation/", order_variation, name="order-variation"),
    path("orders/<int:pk>/invoice/", order_invoice, name="order-invoice"),
]
