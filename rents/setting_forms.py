"""Forms for rent setting: choosing the year to review, approving (with an optional note),
rejecting (with the reason) and filtering the preview."""

from django import forms

from housing.forms_register import ServiceForm
from housing.money import format_pence
from rents.models import RentYear
from rents.setting import format_percent


class RentYearChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        policy = obj.policy
        uplift = (f", convergence uplift {format_pence(policy.convergence_pence)} a week"
                  if policy.convergence_pence else "")
        return (f"{obj} (CPI {format_percent(policy.cpi_percent)} + "
                f"{format_percent(policy.limit_margin_percent)}{uplift})")


class ProposeForm(ServiceForm):
    rent_year = RentYearChoiceField(
        queryset=RentYear.objects.none(), label="Which rent year are you setting rents for?",
        widget=forms.RadioSelect, empty_label=None,
        help_text="Listed: years with a rent policy that have not started, with no review "
                  "waiting for approval or approved.",
        error_messages={"required": "Select the rent year to review.",
                        "invalid_choice": "Select one of the rent years listed."})

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rent_year"].queryset = years


class ApproveForm(ServiceForm):
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=2000,
        help_text="For example what you checked in the flagged homes.",
        widget=forms.Textarea(attrs={"rows": 3}))


class RejectForm(ServiceForm):
    note = forms.CharField(
        label="Why are you rejecting it?", max_length=2000,
        help_text="The person who proposed it will read this.",
        error_messages={"required": "Give the reason for rejecting the review."},
        widget=forms.Textarea(attrs={"rows": 4}))


class PreviewFilterForm(forms.Form):
    flagged = forms.BooleanField(label="Show flagged homes only", required=False)
