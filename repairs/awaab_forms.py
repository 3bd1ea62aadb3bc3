"""Forms for Awaab's Law hazard cases: reporting damp or mould on a home and one form per step.
Each parses what was typed and hands it to one service in repairs.awaab; the service's
refusals come back next to the field they are about (a date and time typed as two fields
takes the service's error on its date)."""

from datetime import date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from housing.forms_register import ServiceForm
from repairs.models import HazardCase
from tenancies.forms import DateInput

SEVERITY_LABELS = {
    HazardCase.Severity.EMERGENCY: "Emergency: an immediate risk to health or safety",
    HazardCase.Severity.SIGNIFICANT: "Significant: a risk to health or safety",
}
SEVERITY_HELP = ("For example, mould around a baby's cot or water near electrics is an "
                 "emergency: it must be made safe within hours, not days.")


class TimeInput(forms.TimeInput):
    """A native time picker (24-hour hh:mm)."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "govuk-input--width-10", **(attrs or {})},
                         format="%H:%M")


def _date_field(label: str, *, missing: str, help_text: str = "") -> forms.DateField:
    return forms.DateField(
        label=label, help_text=help_text, widget=DateInput(),
        error_messages={"required": missing,
                        "invalid": f"Enter the {label.lower()} as a real date."})


def _time_field(label: str, *, missing: str, help_text: str = "") -> forms.TimeField:
    return forms.TimeField(
        label=label, help_text=help_text, widget=TimeInput(),
        error_messages={"required": missing,
                        "invalid": f"Enter the {label.lower()} as a 24-hour time, like 14:30."})


def _text_field(label: str, missing: str, *, help_text: str = "", rows: int = 4,
                max_length: int = 4000, required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, help_text=help_text, required=required,
        error_messages={"required": missing,
                        "max_length": f"Enter {max_length:,} characters or fewer."},
        widget=forms.Textarea(attrs={"rows": rows}))


def _severity_field(label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, widget=forms.RadioSelect, help_text=SEVERITY_HELP,
        choices=[(value, SEVERITY_LABELS[value]) for value in HazardCase.Severity.values],
        error_messages={"required": "Select whether it is an emergency or a significant "
                                    "hazard."})


def _combine(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


class RenamingForm(ServiceForm):
    """A form whose fields are named differently from the service's arguments."""

    renames: dict[str, str] = {}

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            for theirs, ours in self.renames.items():
                if theirs in error.error_dict:
                    error.error_dict[ours] = error.error_dict.pop(theirs)
        super().add_service_errors(error)


class ReportForm(RenamingForm):
    """Report damp or mould (or another hazard in force) on a home, without a repair."""

    renames = {"aware_at": "aware_on"}

    hazard = forms.ChoiceField(label="What is the hazard?", widget=forms.RadioSelect,
                               error_messages={"required": "Select the hazard."})
    severity = _severity_field("How serious is it?")
    aware_on = _date_field("Date the council became aware",
                           missing="Enter the date the council became aware of it.",
                           help_text="When the tenant (or anyone) first told the council, or a "
                                     "member of staff saw it. The clocks start here.")
    aware_time = _time_field("Time the council became aware",
                             missing="Enter the time the council became aware of it.",
                             help_text="For example, 14:30. The 24-hour clock for an "
                                       "emergency counts from this time.")
    description = _text_field("What was reported?",
                              "Describe the damp or mould: where it is and how bad.",
                              help_text="Where in the home, how much, who is affected (a "
                                        "baby, someone with a health condition).")

    def __init__(self, *args, hazards: list[tuple[str, str]], now: datetime, **kwargs):
        local = timezone.localtime(now)
        kwargs.setdefault("initial", {"aware_on": local.date(),
                                      "aware_time": local.time().replace(second=0,
                                                                         microsecond=0)})
        super().__init__(*args, **kwargs)
        self.fields["hazard"].choices = hazards
        if len(hazards) <= 1:
            # One hazard in force (damp and mould, phase 1): nothing to choose.
            self.fields["hazard"].widget = forms.HiddenInput()
            self.fields["hazard"].required = False
            self.initial["hazard"] = hazards[0][0] if hazards else ""

    def clean_hazard(self) -> str:
        hazard = self.cleaned_data.get("hazard") or ""
        if not hazard and len(self.fields["hazard"].choices) == 1:
            return self.fields["hazard"].choices[0][0]
        return hazard

    def clean(self):
        data = super().clean()
        if data.get("aware_on") and data.get("aware_time"):
            data["aware_at"] = _combine(data["aware_on"], data["aware_time"])
        return data

class InvestigationForm(ServiceForm):
    investigated_on = _date_field("Date of the investigation",
                                  missing="Enter the date of the investigation.",
                                  help_text="The visit or survey that looked at the hazard.")
    findings = _text_field("What did the investigation find?",
                           "Say what the investigation found.",
                           help_text="The tenants are sent this in the written summary: "
                                     "write it for them. For example: black mould on the "
                                     "bedroom's outside wall, caused by a failed gutter.",
                           rows=6)
    severity = _severity_field("How serious is the hazard?")


class MadeSafeForm(RenamingForm):
    renames = {"made_safe_at": "made_safe_on"}

    made_safe_on = _date_field("Date the home was made safe",
                               missing="Enter the date the home was made safe.")
    made_safe_time = _time_field("Time the home was made safe",
                                 missing="Enter the time the home was made safe.")
    detail = _text_field("What was done?", "Say what was done to make the home safe.",
                         help_text="For example: mould treated, the room closed off and a "
                                   "dehumidifier left running.")

    def __init__(self, *args, now: datetime, **kwargs):
        local = timezone.localtime(now)
        kwargs.setdefault("initial", {"made_safe_on": local.date(),
                                      "made_safe_time": local.time().replace(second=0,
                                                                             microsecond=0)})
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("made_safe_on") and data.get("made_safe_time"):
            data["made_safe_at"] = _combine(data["made_safe_on"], data["made_safe_time"])
        return data


class SummaryForm(ServiceForm):
    sent_on = _date_field("Date the summary is sent",
                          missing="Enter the date the summary is sent.")
    text = _text_field("What will the council do, and when?",
                       "Say what the council will do about it, and when.",
                       help_text="The letter gives the investigation's findings, then these "
                                 "words. For example: we will treat the mould and renew the "
                                 "gutter; our contractor will call to book a day.", rows=6)


class OrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference}: {obj.description[:60]} ({obj.get_status_display().lower()})"


class WorksForm(ServiceForm):
    started_on = _date_field("Date the works started",
                             missing="Enter the date the works started.")
    order = OrderChoiceField(label="Work order (optional)", queryset=None, required=False,
                             empty_label="No work order",
                             help_text="An order on this home for the works.")
    detail = _text_field("What works started?", "Say what works started, or choose the work "
                         "order.", required=False,
                         help_text="Optional when you choose a work order.")

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders


class AlternativeForm(ServiceForm):
    offered_on = _date_field("Date of the offer", missing="Enter the date of the offer.")
    detail = _text_field("What was offered?", "Say what was offered, and whether the household "
                         "accepted.",
                         help_text="Where, for how long, and whether the household accepted.")


class NoteForm(ServiceForm):
    text = _text_field("Note", "Enter the note.", rows=5)


class CloseForm(ServiceForm):
    reason = _text_field("Why is the case closing?", "Give the reason for closing the case.",
                         help_text="For example: all works complete and the tenant confirmed "
                                   "the mould has not come back.")
    clocks_explained = forms.BooleanField(
        label="Steps are still due: my reason says why they are not needed", required=False)

    def __init__(self, *args, running: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not running:
            del self.fields["clocks_explained"]


class CaseFilterForm(forms.Form):
    """The case list's filters, as GET parameters; a value that is not a choice is ignored."""

    show = forms.ChoiceField(label="Show", required=False,
                             choices=[("", "All open cases"),
                                      ("overdue", "Only cases with a clock overdue")])
    hazard = forms.ChoiceField(label="Hazard", required=False)

    def __init__(self, *args, **kwargs):
        from repairs.models import Hazard

        super().__init__(*args, **kwargs)
        self.fields["hazard"].choices = [("", "All hazards"), *Hazard.choices]

    def filters(self) -> dict:
        if not self.is_bound:
            return {"overdue": False, "hazard": ""}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"overdue": data.get("show") == "overdue", "hazard": data.get("hazard") or ""}
