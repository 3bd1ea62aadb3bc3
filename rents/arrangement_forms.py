"""Forms for payment arrangements. Each hands what was typed to one service in
rents.arrangements; its refusals come back next to the field they are about."""

from django import forms
from django.core.exceptions import ValidationError

from housing.forms_register import PoundsField, ServiceForm
from rents.arrears_forms import _date_field, _text_field
from rents.models import Arrangement


class ArrangementForm(ServiceForm):
    amount = PoundsField(
        label="Amount on top of the rent",
        help_text="In pounds and pence, for example 10.00. The tenant pays this as well as "
                  "the rent, each week or month.",
        required_message="Enter the amount to pay on top of the rent.")
    frequency = forms.ChoiceField(
        label="How often?", choices=Arrangement.Frequency.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select how often the tenant will pay it."})
    start_date = _date_field("Date of the first payment",
                             missing="Enter the date of the first payment.",
                             help_text="Later payments fall due on the same weekday, or the "
                                       "same day of each month.")
    agreed_on = _date_field("Date the tenant agreed",
                            missing="Enter the date the tenant agreed the arrangement.")
    agreement = _text_field("How did the tenant agree?",
                            "Say how the tenant agreed: in person, by phone, a signed form...",
                            help_text="For example: by phone with Ms Quick; she will pay by "
                                      "Direct Debit.", rows=3, max_length=1000)

    def __init__(self, *args, today, **kwargs):
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("agreed_on", today)
        initial.setdefault("start_date", today)
        super().__init__(*args, **kwargs)

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict") and "amount_pence" in error.error_dict:
            error.error_dict["amount"] = error.error_dict.pop("amount_pence")
        super().add_service_errors(error)


class ReasonForm(ServiceForm):
    reason = _text_field("Reason", "Give the reason.", rows=4)

    def __init__(self, *args, label: str, missing: str, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.label, field.help_text = label, help_text
        field.error_messages["required"] = missing
