"""Forms for the NOSP and the court stages. Each parses what was typed and hands it to one
service in rents.legal; the service's refusals come back next to the field they are about."""

from django import forms

from housing.forms_register import ServiceForm
from rents.arrears_forms import _date_field, _text_field
from rents.models import CourtCase


class _Today(ServiceForm):
    """A form whose date field starts at today."""

    today_field = ""

    def __init__(self, *args, today, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(self.today_field, today)
        super().__init__(*args, **kwargs)


class NoticeForm(_Today):
    today_field = "served_on"
    served_on = _date_field("Date served", missing="Enter the date the notice was served.",
                            help_text="The notice is in force from this date until the day "
                                      "before it expires, a year later.")
    how = forms.CharField(
        label="How was it served? (optional)", required=False, max_length=500,
        help_text="For example: by hand at the door, or by first class post.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}))


class CorrectNoticeForm(ServiceForm):
    served_on = _date_field("Date served", missing="Enter the date the notice was served.",
                            help_text="The expiry date follows: a year after this date.")
    reason = _text_field("Why are you correcting the date?", "Give the reason for correcting "
                         "the date.", help_text="It goes in the case diary.", rows=3)


class CourtApplicationForm(_Today):
    today_field = "applied_on"
    applied_on = _date_field("Date of the application",
                             missing="Enter the date the application was made.",
                             help_text="A notice must be in force on this date, and served at "
                                       "least 28 days before it.")
    note = forms.CharField(
        label="Claim number or note (optional)", required=False, max_length=1000,
        help_text="It goes in the case diary.",
        widget=forms.Textarea(attrs={"rows": 3}))


class HearingForm(ServiceForm):
    hearing_date = _date_field("Date of the hearing", missing="Enter the date of the hearing.")


class OutcomeForm(_Today):
    today_field = "outcome_date"
    outcome = forms.ChoiceField(
        label="What did the court decide?", choices=CourtCase.Outcome.choices,
        widget=forms.RadioSelect, error_messages={"required": "Select the outcome of the "
                                                              "hearing."})
    outcome_date = _date_field("Date of the outcome", missing="Enter the date of the outcome.",
                               help_text="Usually the day of the hearing.")
    order_terms = forms.CharField(
        label="Terms of the order", required=False, max_length=2000,
        help_text="Needed for a suspended possession order, for example: current rent plus "
                  "£5 a week. For an outright order, the date for possession; for an "
                  "adjournment, any terms it was adjourned on.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Enter 2,000 characters or fewer."})
    next_hearing_date = _date_field(
        "Date of the next hearing (adjourned only)", required=False,
        help_text="Leave it empty if the court has not given a new date yet: you can add it "
                  "later.")


class WarrantForm(_Today):
    today_field = "applied_on"
    applied_on = _date_field("Date the warrant was applied for",
                             missing="Enter the date the warrant was applied for.")


class EvictionForm(ServiceForm):
    eviction_date = _date_field("Date of the eviction", missing="Enter the date of the eviction.",
                                help_text="The date the bailiffs gave. Record one that has "
                                          "already happened with its date.")


class CloseCourtCaseForm(ServiceForm):
    reason = _text_field("Why are you closing the court case?", "Give the reason for closing "
                         "the court case.",
                         help_text="For example: the arrears are cleared and the claim was "
                                   "withdrawn. It goes in the case diary.")
