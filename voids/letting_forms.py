"""Forms for letting a void home (an offer, its answer, the sign-up) and for the Council Tax and
CORE lists' dates. Each parses what was typed and hands it to one service in voids.letting,
whose refusals come back next to the field they are about."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from housing.forms_register import ServiceForm
from housing.validators import validate_phone
from tenancies.forms import DateInput
from tenancies.models import Tenancy
from tenancies.services import add_months
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


class SignUpForm(ServiceForm):
    """The new tenant (prefilled from the accepted offer's applicant name) and the tenancy."""

    title = _text("Title (optional)", max_length=20, required=False, width=5,
                  help_text="For example, Mrs, Mr, Mx or Dr.")
    first_name = _text("First name", missing="Enter the tenant's first name.", max_length=80)
    last_name = _text("Last name", missing="Enter the tenant's last name.", max_length=80)
    date_of_birth = _date_field("Date of birth", missing="Enter the tenant's date of birth.")
    phone = forms.CharField(
        label="Phone number (optional)", required=False, max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off",
                                      "class": "govuk-input--width-20"}),
        error_messages={"max_length": "Enter the phone number in 20 characters or fewer."})
    email = forms.EmailField(
        label="Email address (optional)", required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"invalid": "Enter the tenant's email address in the right format, "
                                   "like name@example.com."})
    use_existing = forms.BooleanField(
        label="This is the same person: use their record", required=False,
        help_text="Their contact details stay as recorded; change them on their record "
                  "afterwards.")
    tenancy_type = forms.ChoiceField(
        label="Type of tenancy", choices=Tenancy.TenancyType.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the type of tenancy."})
    start_date = _date_field("Start date", missing="Enter the date the tenancy starts.",
                             help_text="Rent is charged from this date. It cannot be before "
                                       "the home became void.")
    fixed_term_end_date = _date_field(
        "End of the fixed term", missing="", required=False,
        help_text="Flexible tenancies only: the last day of the fixed term.")

    def __init__(self, *args, today: date, **kwargs):
        self.today = today
        self.duplicate = None  # the person already recorded, once a sign-up finds them
        super().__init__(*args, **kwargs)

    def person_fields(self) -> list:
        return [self[name] for name in ("title", "first_name", "last_name", "date_of_birth",
                                        "phone", "email")]

    def tenancy_fields(self) -> list:
        return [self[name] for name in ("tenancy_type", "start_date", "fixed_term_end_date")]

    def clean_phone(self) -> str:
        phone = " ".join(self.cleaned_data.get("phone", "").split())
        if phone:
            try:
                validate_phone(phone)
            except ValidationError:
                raise ValidationError("Enter the phone number as a UK number, like 07700 900982 "
                                      "or 01392 265000.") from None
        return phone

    def clean(self):
        data = super().clean()
        born, start = data.get("date_of_birth"), data.get("start_date")
        if born and born >= self.today:
            self.add_error("date_of_birth", "The date of birth must be in the past.")
        elif born and start and add_months(born, 16 * 12) > start:
            # Most likely a mistyped year: nobody under 16 can hold a tenancy.
            self.add_error("date_of_birth", "Check the date of birth: the tenant would be under "
                                            "16 when the tenancy starts.")
        end = data.get("fixed_term_end_date")
        if data.get("tenancy_type") == Tenancy.TenancyType.FLEXIBLE:
            if not end and "fixed_term_end_date" not in self.errors:
                self.add_error("fixed_term_end_date",
                               "Enter the end of the fixed term: a flexible tenancy needs one.")
            elif end and start and end <= start:
                self.add_error("fixed_term_end_date",
                               "The end of the fixed term must be after the start date.")
        else:
            data["fixed_term_end_date"] = None
        return data


class SinceForm(forms.Form):
    """The Council Tax list's date: changes recorded on or after it."""

    since = _date_field("Changes recorded since", missing="Enter the date to list changes from.",
                        help_text="Changes recorded on or after this date. For example, "
                                  "2026-11-01.")

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
