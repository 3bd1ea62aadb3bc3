"""Forms for the staff repairs screens. Each parses what was typed and hands it to one service
in repairs.services; the service's refusals come back next to the field they are about
(`add_service_errors`), and problems with SOR lines above the lines."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from housing.forms_register import PoundsField, ServiceForm
from repairs import workflow
from repairs.models import Contractor, Priority, RepairRequest, Trade
from repairs.queries import SORTS, STATUS_FILTERS
from tenancies.forms import DateInput

LINE_ROWS = 5


def _text(label: str, missing: str, *, required: bool = True, help_text: str = "",
          rows: int = 4, max_length: int = 4000) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=max_length, help_text=help_text,
        error_messages={"required": missing,
                        "max_length": f"Enter {max_length:,} characters or fewer."},
        widget=forms.Textarea(attrs={"rows": rows}))


def priority_label(priority: Priority, *, at: datetime) -> str:
    """"Urgent: within 3 working days (by Monday 14 December 2026)": what the target means for
    a repair raised now."""
    target_at, target_date = workflow.target_for(priority, at=at)
    if priority.target_hours is not None:
        due = timezone.localtime(target_at)
        hour = f"{due:%-I:%M}{'am' if due.hour < 12 else 'pm'}"
        return (f"{priority.name}: attend and make safe within {priority.target_hours} hours "
                f"(by {hour} on {due:%A %-d %B %Y})")
    if priority.target_working_days is not None:
        return (f"{priority.name}: within {priority.target_working_days} working days "
                f"(by {target_date:%A %-d %B %Y})")
    return f"{priority.name}: no target date (planned work)"


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files from one input; the service checks each is a real image."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(item, initial) for item in data if item]
        return [super().clean(data, initial)] if data else []


class RequestForm(ServiceForm):
    location = forms.ChoiceField(
        label="Where is the problem?", choices=RepairRequest.Location.choices,
        widget=forms.RadioSelect, error_messages={"required": "Select where the problem is."})
    location_detail = forms.CharField(
        label="Where exactly? (optional)", max_length=120, required=False,
        help_text="For example: back bedroom, under the sink.")
    description = _text("What is wrong?", "Describe the problem.",
                        help_text="What the caller sees and since when, in their words.")
    priority = forms.ChoiceField(
        label="How urgent is it?", widget=forms.RadioSelect,
        error_messages={"required": "Select how urgent the repair is."},
        help_text="Emergency: a danger to people or the home (no heating in winter, a gas or "
                  "water leak, no power, insecure door). Targets count working days: Monday "
                  "to Friday, less bank holidays.")
    is_damp_mould = forms.BooleanField(
        label="It is damp or mould", required=False,
        help_text="Opens an Awaab’s Law case: the legal clocks start now.")
    channel = forms.ChoiceField(
        label="How was it reported?", widget=forms.RadioSelect,
        choices=[c for c in RepairRequest.Channel.choices
                 if c[0] != RepairRequest.Channel.PORTAL],
        initial=RepairRequest.Channel.PHONE,
        error_messages={"required": "Select how the repair was reported."})
    reported_by = forms.ChoiceField(label="Who reported it?", widget=forms.RadioSelect,
                                    required=False)
    access_notes = _text("Access (optional)", "", required=False, rows=3, max_length=2000,
                         help_text="Key safe, times to avoid, pets: the contractor sees this.")
    photos = PhotosField(
        label="Photos (optional)", required=False,
        help_text="You can choose several. Each must be an image (JPEG, PNG, GIF or WebP) of "
                  "10 MB or less.")

    def __init__(self, *args, tenants, at: datetime, **kwargs):
        super().__init__(*args, **kwargs)
        responsive = Priority.objects.filter(active=True, void_type="")  # not void works
        self.fields["priority"].choices = [(str(p.pk), priority_label(p, at=at))
                                           for p in responsive]
        if tenants:
            self.fields["reported_by"].choices = [
                *((str(person.pk), person.full_name) for person in tenants),
                ("", "Someone else, or not known")]
            self.fields["reported_by"].initial = ""
        else:
            del self.fields["reported_by"]

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict") and "priority_id" in error.error_dict:
            error.error_dict["priority"] = error.error_dict.pop("priority_id")
        super().add_service_errors(error)


class LineForm(forms.Form):
    code = forms.CharField(label="SOR code", max_length=20, required=False,
                           widget=forms.TextInput(attrs={"class": "govuk-input--width-10",
                                                         "spellcheck": "false",
                                                         "autocomplete": "off"}))
    quantity = forms.DecimalField(
        label="Quantity", required=False, max_digits=9, decimal_places=2, min_value=0,
        error_messages={"invalid": "Enter the quantity as a number, like 1 or 2.5.",
                        "max_decimal_places": "Enter the quantity with no more than 2 "
                                              "decimal places.",
                        "max_digits": "The quantity is too large.",
                        "min_value": "Enter a quantity more than 0."},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-5", "inputmode": "decimal",
                                      "autocomplete": "off"}))

    def clean(self):
        data = super().clean()
        code, quantity = (data.get("code") or "").strip(), data.get("quantity")
        if quantity is not None and not code and "quantity" not in self.errors:
            self.add_error("code", "Enter the SOR code for this quantity.")
        if code and quantity is None and "quantity" not in self.errors:
            self.add_error("quantity", f"Enter the quantity for {code.upper()}.")
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[tuple[str, object]]:
        return [(form.cleaned_data["code"], form.cleaned_data["quantity"])
                for form in self.forms
                if form.cleaned_data.get("code") and form.cleaned_data.get("quantity")
                is not None]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=LINE_ROWS,
                                    max_num=30, absolute_max=30)


class LinesMixin:
    """Problems the service found with the SOR lines (a code not in the Schedule of Rates,
    a trade the contract does not cover...), shown above the lines."""

    def add_service_errors(self, error: ValidationError) -> None:
        self.line_errors = []
        if hasattr(error, "error_dict") and "lines" in error.error_dict:
            self.line_errors = [message for item in error.error_dict.pop("lines")
                                for message in item.messages]
            if not error.error_dict:
                return
        super().add_service_errors(error)


class OrderForm(LinesMixin, ServiceForm):
    contractor = forms.ModelChoiceField(
        label="Contractor", queryset=Contractor.objects.filter(active=True),
        empty_label="Select a contractor",
        error_messages={"required": "Select the contractor."},
        help_text="Their contract must cover the trade and this home’s patch.")
    trade = forms.ModelChoiceField(label="Trade", queryset=Trade.objects.all(),
                                   empty_label="Select a trade",
                                   error_messages={"required": "Select the trade."})
    description = _text("Work to be done", "Describe the work to be done.",
                        help_text="The contractor reads this with the SOR lines.")


class VariationForm(LinesMixin, ServiceForm):
    reason = _text("Why does the work need to change?", "Say why the work needs to change.",
                   help_text="For example: the leak is under the floor; the boards must come "
                             "up.")


class ReasonForm(ServiceForm):
    reason = _text("Reason", "Give the reason.", rows=4)

    def __init__(self, *args, label: str, missing: str, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label, field.help_text = label, help_text
        field.error_messages["required"] = missing

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict") and "note" in error.error_dict:
            error.error_dict["reason"] = error.error_dict.pop("note")
        super().add_service_errors(error)


class CloseForm(ServiceForm):
    completed_on = forms.DateField(
        label="Date the work was completed", widget=DateInput(),
        error_messages={"required": "Enter the date the work was completed.",
                        "invalid": "Enter the date the work was completed as a real date."})
    notes = _text("What was done (optional)", "", required=False, rows=3,
                  help_text="For example: the contractor confirmed by phone that the tap was "
                            "renewed.")


class RechargeForm(ServiceForm):
    amount = PoundsField(label="Amount to recharge",
                         help_text="In pounds and pence, for example 85.00.",
                         required_message="Enter the amount to recharge.")
    reason = _text("What damage did the tenant cause?",
                   "Say what damage the tenant caused, and how.",
                   help_text="The tenant sees this on their statement.", rows=3,
                   max_length=1000)

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict") and "amount_pence" in error.error_dict:
            error.error_dict["amount"] = error.error_dict.pop("amount_pence")
        super().add_service_errors(error)


class OrderFilterForm(forms.Form):
    """The repairs home's search, filters and sort, as GET parameters. A value that is not one
    of the choices is ignored rather than shown as an error."""

    q = forms.CharField(label="Reference or address", required=False, max_length=100,
                        help_text="A work order (WO000123) or repair (R000123) reference, "
                                  "or part of the address or postcode.")
    status = forms.ChoiceField(label="Status", required=False,
                               choices=[(key, label) for key, (label, _s)
                                        in STATUS_FILTERS.items()])
    contractor = forms.ModelChoiceField(label="Contractor", required=False,
                                        queryset=Contractor.objects.all(),
                                        empty_label="All contractors")
    priority = forms.ModelChoiceField(label="Priority", required=False,
                                      queryset=Priority.objects.all(),
                                      empty_label="All priorities")
    overdue = forms.BooleanField(label="Only those past their target", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False,
                             choices=[(key, label) for key, (label, _o) in SORTS.items()])

    def filters(self) -> dict:
        if not self.is_bound:
            return {"status": "open", "sort": "target"}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"query": data.get("q") or "", "status": data.get("status") or "open",
                "contractor": data.get("contractor"), "priority": data.get("priority"),
                "overdue": bool(data.get("overdue")), "sort": data.get("sort") or "target"}
