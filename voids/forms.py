"""Forms for the void process screens: the worklist's filters, recording a void, the void
inspection with its checklist, a safety check and ready to let. Each parses what was typed and
hands it to one service (voids.services.record_void, voids.works); the service's refusals come
back next to the field they are about (housing.forms_register.ServiceForm)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from housing.access import scope_for_user
from housing.forms_register import ServiceForm
from housing.models import Property, User
from housing.validators import normalise_uprn
from repairs.awaab_forms import RenamingForm
from repairs.contractor_services import parse_quantity
from tenancies.forms import DateInput
from tenancies.models import Tenancy
from voids import kpis
from voids.models import ChecklistItem, SafetyCheck, VoidPeriod, VoidType
from voids.queries import OPEN_STAGES


def _date_field(label: str, *, missing: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label, help_text=help_text, widget=DateInput(),
        error_messages={"required": missing,
                        "invalid": f"Enter the {label.lower()} as a real date."})


# --- The worklist's filters -------------------------------------------------------------------


class WorklistFilterForm(forms.Form):
    """The worklist's filters, as GET parameters. A value that is not one of the choices is
    ignored rather than shown as an error."""

    stage = forms.ChoiceField(label="Stage", required=False)
    patch = forms.ModelChoiceField(label="Patch", required=False, queryset=None,
                                   empty_label="All patches")
    void_type = forms.ChoiceField(
        label="Void type", required=False,
        choices=[("", "All void types"), *VoidType.choices, ("none", "Not inspected yet")])
    age = forms.ChoiceField(label="Days void", required=False,
                            choices=[("", "Any age"),
                                     *((band.key, band.label) for band in kpis.BANDS)])

    def __init__(self, *args, patches, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [("", "All stages"),
                                        *((stage.value, stage.label) for stage in OPEN_STAGES)]
        self.fields["patch"].queryset = patches

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"stage": data.get("stage") or "", "patch": data.get("patch"),
                "void_type": data.get("void_type") or "", "age": data.get("age") or ""}


# --- Recording a void -------------------------------------------------------------------------

# A void after a tenancy here opens by itself when the tenancy ends: only the other reasons
# are recorded by hand.
RECORDED_REASONS = [(value, label) for value, label in VoidPeriod.VacancyReason.choices
                    if value not in Tenancy.EndReason.values]


class RecordVoidForm(ServiceForm):
    uprn = forms.CharField(
        label="UPRN of the home", max_length=20,
        help_text="The home’s Unique Property Reference Number, up to 12 digits. Search "
                  "below if you do not have it.",
        error_messages={"required": "Enter the UPRN of the home that is void."},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "inputmode": "numeric",
                                      "spellcheck": "false", "autocomplete": "off"}))
    start_date = _date_field("Date the home became void",
                             missing="Enter the date the home became void.",
                             help_text="The first day it stood empty. For example, the day a "
                                       "new home was handed over.")
    reason = forms.ChoiceField(label="Why is the home void?", choices=RECORDED_REASONS,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Select why the home is void."})

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_uprn(self) -> Property:
        uprn = normalise_uprn(self.cleaned_data["uprn"])
        home = (scope_for_user(self.user, Property.objects.all()).filter(uprn=uprn).first()
                if uprn.isdigit() else None)
        if home is None:
            raise ValidationError(f"No home with UPRN {uprn or 'as typed'} is on your "
                                  f"patches: check the number, or search by address.")
        return home


# --- The void inspection ----------------------------------------------------------------------


class ContractorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class InspectionForm(RenamingForm):
    """The inspection: date, void type, notes, the checklist (a box and a quantity per item)
    and the contractor for the works. `lines()` gives the ticked items for the service."""

    inspected_on = _date_field("Date of the inspection",
                               missing="Enter the date of the inspection.")
    void_type = forms.ChoiceField(
        label="Type of void", widget=forms.RadioSelect, choices=VoidType.choices,
        help_text="A major works void needs structural or large works (30 working days for "
                  "the works); a standard void, 10 working days.",
        error_messages={"required": "Select whether it is a standard void or a major works "
                                    "void."})
    notes = forms.CharField(label="Notes (optional)", required=False, max_length=4000,
                            widget=forms.Textarea(attrs={"rows": 4}),
                            help_text="What the inspection found, for whoever works on the "
                                      "void next.",
                            error_messages={"max_length": "Enter 4,000 characters or fewer."})
    contractor = ContractorChoiceField(
        label="Contractor for the works", queryset=None, required=False,
        empty_label="Select a contractor",
        help_text="One works order is raised for each trade, all to this contractor.")

    def __init__(self, *args, items: list[ChecklistItem], contractors, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.fields["contractor"].queryset = contractors
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.BooleanField(
                label=item.label, required=False,
                widget=forms.CheckboxInput(attrs={"data-aria-controls":
                                                  f"item-{item.pk}-quantity"}))
            self.fields[f"qty_{item.pk}"] = forms.CharField(
                label=f"Quantity for “{item.label}”", required=False, max_length=12,
                initial=f"{item.default_quantity.normalize():f}",
                widget=forms.TextInput(attrs={"class": "govuk-input--width-4",
                                              "inputmode": "decimal", "spellcheck": "false",
                                              "autocomplete": "off"}))

    def checklist(self) -> list[dict]:
        """Each checklist item with its box and quantity, for the template."""
        return [{"item": item, "tick": self[f"item_{item.pk}"],
                 "quantity": self[f"qty_{item.pk}"]} for item in self.items]

    def clean(self):
        data = super().clean()
        ticked = False
        for item in self.items:
            if not data.get(f"item_{item.pk}"):
                continue
            ticked = True
            if parse_quantity(data.get(f"qty_{item.pk}") or "") is None:
                self.add_error(f"qty_{item.pk}",
                               f"Enter the quantity for “{item.label}” as a number more than "
                               f"0, like 1 or 2.5.")
        if ticked and not data.get("contractor"):
            self.add_error("contractor", "Select the contractor to do the void works.")
        return data

    def lines(self) -> list[tuple[int, str]]:
        return [(item.pk, self.cleaned_data.get(f"qty_{item.pk}") or "")
                for item in self.items if self.cleaned_data.get(f"item_{item.pk}")]


# --- Safety checks and ready to let -----------------------------------------------------------


class SafetyCheckForm(ServiceForm):
    kind = forms.ChoiceField(label="Which check?", widget=forms.RadioSelect,
                             choices=SafetyCheck.Kind.choices,
                             error_messages={"required": "Select whether it is the gas or the "
                                                         "electrical check."})
    outcome = forms.ChoiceField(
        label="Outcome", widget=forms.RadioSelect,
        choices=[(SafetyCheck.Outcome.SATISFACTORY, "Satisfactory"),
                 (SafetyCheck.Outcome.NO_SUPPLY, "No gas supply: nothing to check (gas only)")],
        initial=SafetyCheck.Outcome.SATISFACTORY,
        help_text="Record a check only once it is satisfactory: an unsatisfactory result "
                  "needs works first.",
        error_messages={"required": "Select the outcome of the check."})
    done_on = _date_field("Date the check was done",
                          missing="Enter the date the check was done.")
    certificate_reference = forms.CharField(
        label="Certificate reference", required=False, max_length=60,
        help_text="As it is on the gas safety record or the electrical installation condition "
                  "report (EICR). Not needed when there is no gas supply.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false",
                                      "autocomplete": "off"}),
        error_messages={"max_length": "Enter a certificate reference of 60 characters or "
                                      "fewer."})


class ReadyForm(RenamingForm):
    renames = {"on": "ready_on"}

    ready_on = _date_field("Date the home was ready to let",
                           missing="Enter the date the home was ready to let.",
                           help_text="The day it reached the lettable standard.")

