"""Forms for letting a void home (an offer and its answer) and for the Council Tax and CORE
lists' dates. Each parses what was typed and hands it to one service in voids.letting, whose
refusals come back next to the field they are about. The sign-up of the applicant who accepted
is the tenancy sign-up's form (tenancies.forms.SignUpForm)."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from housing.forms_register import ServiceForm
from tenancies.forms import DateInput
from voids.models import Offer


def _date_field(label: str, *, missing: str, help_text: str = "",
                required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label, help_text=help_text, widget=DateInput(), required=required,
        error_messages={"required": missing,
                        "invalid": f"Enter the {label.lower()} as a real date."})


def _text(label: str, *, missing: str = "", max_length: int, required: bool = True,
          help_text: str = "", width: int | None = None) -> forms.CharField:
    attrs = {"autocomplete": "off", "spellcheck": "false"}
    if width:
        attrs["class"] = f"govuk-input--width-{width}"
    return forms.CharField(
        label=label, max_length=max_length, required=required, help_text=help_text,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": missing,
                        "max_length": f"Enter {max_length} characters or fewer."})


class OfferForm(ServiceForm):
    applicant_name = _text("Applicant's name", missing="Enter the applicant's name.",
                           max_length=120, help_text="As on the housing register, for "
                                                     "example Mrs Jane Smith.")
    applicant_reference = _text("Applicant's reference (optional)", max_length=30,
                                required=False, width=10,
                                help_text="The housing register or transfer reference.")
    offered_on = _date_field("Date offered", missing="Enter the date the offer was made.")


OUTCOME_LABELS = {
    Offer.Outcome.ACCEPTED: "Accepted: the applicant will sign up",
    Offer.Outcome.REFUSED: "Refused by the applicant",
    Offer.Outcome.WITHDRAWN: "Withdrawn by the council",
}


class OutcomeForm(ServiceForm):
    outcome = forms.ChoiceField(
        label="What was the answer?", widget=forms.RadioSelect,
        error_messages={"required": "Select whether the offer was accepted, refused or "
                                    "withdrawn."})
    outcome_on = _date_field("Date of the answer", missing="Enter the date of the answer.")
    refusal_reason = forms.CharField(
        label="Reason", required=False, max_length=4000,
        help_text="Needed when the applicant refused: what they said. For a withdrawal, why "
                  "the council withdrew the offer.",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": "Enter 4,000 characters or fewer."})

    def __init__(self, *args, offer: Offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(value, label) for value, label in OUTCOME_LABELS.items()
                                          if value != offer.outcome]


class SinceForm(forms.Form):
    """The Council Tax list's date: changes recorded on or after it."""

    since = _date_field("Changes recorded since", missing="Enter the date to list changes from.",
                        help_text="Changes recorded on or after this date.")

    def __init__(self, *args, today: date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean_since(self) -> date:
        since = self.cleaned_data["since"]
        if since > self.today:
            raise ValidationError("The date must be today or in the past.")
        return since


class PeriodForm(forms.Form):
    """The CORE lettings log's period: tenancies starting from `start` to `end`."""

    start = _date_field("Tenancies starting from", missing="Enter the first start date.")
    end = _date_field("To", missing="Enter the last start date.")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The last start date must be on or after the first.")
        elif start and end and (end - start).days > 366 * 5:
            self.add_error("end", "Choose a period of at most five years.")
        return data
