"""Forms for rent accounts. Each parses what was typed and hands it to one service; the
service's refusals come back next to the field they are about."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from housing.forms_register import ServiceForm
from housing.money import MoneyError, pounds_to_pence
from rents.adjustments import REFUND_METHODS, Direction
from rents.models import Transaction
from tenancies.forms import DateInput

# The service's argument names -> this form's fields.
_SERVICE_FIELDS = {"amount_pence": "amount", "method": "method", "received_on": "received_on",
                   "reference": "reference"}

# What an officer types as a reason goes on the ledger row (its reference holds 100
# characters, and a reversal puts "Reverses #id: " before it).
LEDGER_REASON_LENGTH = 80


def _amount_field(label: str, required: str) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=20, help_text="In pounds and pence, for example 25.50.",
        error_messages={"required": required},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "decimal",
                                      "spellcheck": "false", "autocomplete": "off"}))


def _pence(text: str, *, negative: str) -> int:
    """Pounds typed with at most two decimals -> pence more than zero."""
    try:
        pence = pounds_to_pence(text)
    except MoneyError as error:
        raise ValidationError(str(error)) from None
    if pence < 0:
        raise ValidationError(negative)
    if pence == 0:
        raise ValidationError("Enter an amount more than £0.00.")
    return pence


def _reason_field(label: str, required: str, *, hint: str = "",
                  max_length: int = LEDGER_REASON_LENGTH) -> forms.CharField:
    hint = hint or f"Up to {max_length} characters. It shows on the account's transactions."
    return forms.CharField(
        label=label, max_length=max_length, help_text=hint,
        error_messages={"required": required,
                        "max_length": f"Enter the reason in {max_length} characters or fewer."},
        widget=forms.Textarea(attrs={"rows": 3}))


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


class _AccountServiceForm(ServiceForm):
    """A form whose service refusals, keyed by the service's argument names, are put on the
    form's own fields."""

    service_fields = _SERVICE_FIELDS

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            fields = self.service_fields
            error = ValidationError({fields.get(name, name): errors
                                     for name, errors in error.error_dict.items()})
        super().add_service_errors(error)


class RefundForm(_AccountServiceForm):
    amount = _amount_field("Amount to refund", "Enter the amount to refund.")
    method = forms.ChoiceField(
        label="How is the refund paid?", widget=forms.RadioSelect,
        choices=[(m.value, m.label) for m in REFUND_METHODS],
        error_messages={"required": "Select how the refund is paid."})
    reason = _reason_field("Reason for the refund", "Enter the reason for the refund.")

    def clean_amount(self) -> int:
        return _pence(self.cleaned_data["amount"],
                      negative="Enter the amount to refund without a minus sign.")


class AdjustmentForm(_AccountServiceForm):
    direction = forms.ChoiceField(
        label="Is it a debit or a credit?", widget=forms.RadioSelect, choices=Direction.choices,
        help_text="A debit adds to what the tenant owes. A credit takes it off, up to what "
                  "is owed now: it cannot put the account in credit.",
        error_messages={"required": "Select whether it is a debit or a credit."})
    amount = _amount_field("Amount", "Enter the amount of the adjustment.")
    reason = _reason_field("Reason for the adjustment", "Enter the reason for the adjustment.")

    def clean_amount(self) -> int:
        return _pence(self.cleaned_data["amount"],
                      negative="Enter the amount without a minus sign, and choose debit or "
                               "credit above.")


class WriteOffRequestForm(_AccountServiceForm):
    amount = _amount_field("Amount to write off", "Enter the amount to write off.")
    reason = _reason_field(
        "Reason for the write-off", "Enter the reason for the write-off.", max_length=1000,
        hint="For example: the former tenant died and there is no estate, or the debt cannot "
             "be recovered. The approver reads this.")

    def clean_amount(self) -> int:
        return _pence(self.cleaned_data["amount"],
                      negative="Enter the amount to write off without a minus sign.")


class WriteOffRejectForm(_AccountServiceForm):
    note = _reason_field("Why are you rejecting it?", "Enter why you are rejecting the "
                         "write-off.", max_length=1000,
                         hint="The officer who asked for it sees this on the account.")


class ReversalForm(_AccountServiceForm):
    reason = _reason_field("Reason for the reversal", "Enter the reason for the reversal.")


class FindAccountForm(forms.Form):
    """Step one of moving money: find the account it goes to."""

    reference = forms.CharField(
        label="Payment reference or tenancy reference of the account to move the money to",
        max_length=30, error_messages={"required": "Enter the reference of the account to "
                                                   "move the money to."},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-20", "spellcheck": "false",
                                      "autocomplete": "off"}))


class TransferForm(_AccountServiceForm):
    """Step two: the account found in step one (carried as its reference), the amount and
    why. The reference is a hidden field, so a refusal about the account the money goes to is
    about the whole form (the error summary lists it without a link to a field no one sees)."""

    service_fields = {**_SERVICE_FIELDS, "reference": NON_FIELD_ERRORS,
                      "to_account_id": NON_FIELD_ERRORS}
    reference = forms.CharField(max_length=30, widget=forms.HiddenInput,
                                error_messages={"required": "Find the account to move the "
                                                            "money to first."})
    amount = _amount_field("Amount to move", "Enter the amount to move.")
    reason = _reason_field(
        "Reason for moving it", "Enter the reason for moving the money.", max_length=200,
        hint="For example: paid to the wrong account. Both accounts show it.")

    def clean_amount(self) -> int:
        return _pence(self.cleaned_data["amount"],
                      negative="Enter the amount to move without a minus sign.")
