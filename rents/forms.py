"""Forms for rent accounts. Each parses what was typed and hands it to one service; the
service's refusals come back next to the field they are about."""

from django import forms
from django.core.exceptions import ValidationError

from housing.forms_register import ServiceForm
from housing.money import MoneyError, pounds_to_pence
from rents.models import Transaction
from tenancies.forms import DateInput

# The service's argument names -> this form's fields.
_SERVICE_FIELDS = {"amount_pence": "amount", "method": "method", "received_on": "received_on",
                   "reference": "reference"}


class PaymentForm(ServiceForm):
    amount = forms.CharField(
        label="Amount received", max_length=20,
        help_text="In pounds and pence, for example 25.50.",
        error_messages={"required": "Enter the amount received."},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "decimal",
                                      "spellcheck": "false", "autocomplete": "off"}))
    method = forms.ChoiceField(
        label="How was it paid?", choices=Transaction.Method.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select how it was paid."})
    received_on = forms.DateField(
        label="Date received", widget=DateInput(),
        error_messages={"required": "Enter the date the payment was received.",
                        "invalid": "Enter the date received as a real date."})
    reference = forms.CharField(
        label="Reference (optional)", required=False, max_length=100,
        help_text="For example the card receipt number or the bank's reference.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false",
                                      "autocomplete": "off"}))

    def __init__(self, *args, today, **kwargs):
        self.today = today
        kwargs.setdefault("initial", {}).setdefault("received_on", today)
        super().__init__(*args, **kwargs)

    def clean_amount(self) -> int:
        text = self.cleaned_data["amount"]
        try:
            pence = pounds_to_pence(text)
        except MoneyError as error:
            raise ValidationError(str(error)) from None
        if pence < 0:
            raise ValidationError(
                "Enter the amount received without a minus sign. Refunds and corrections are "
                "recorded by Income.")
        if pence == 0:
            raise ValidationError("Enter an amount more than £0.00.")
        return pence

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > self.today:
            raise ValidationError("The date received must be today or in the past.")
        return received_on

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            error = ValidationError({_SERVICE_FIELDS.get(name, name): errors
                                     for name, errors in error.error_dict.items()})
        super().add_service_errors(error)
