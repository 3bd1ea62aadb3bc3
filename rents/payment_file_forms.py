"""Forms for payment files and the suspense account. They parse what was typed; the services
(rents.payment_files, rents.services.post_transfer) decide, and their refusals come back next
to the field they are about."""

from django import forms
from django.core.exceptions import ValidationError

from housing.forms_register import ServiceForm
from rents.models import PaymentFile
from rents.payment_files import MAX_UPLOAD_BYTES

LAYOUT_HINTS = {
    PaymentFile.Layout.CSV: "Headings, one line a payment, and a CONTROL row with the count "
                            "and total.",
    PaymentFile.Layout.ALLPAY: "The fixed-width file Allpay sends: header, detail and trailer "
                               "records, amounts in pence.",
    PaymentFile.Layout.BENEFIT_CSV: "This week's rent rebate credits from the benefits "
                                    "system, with a CONTROL row.",
}


class UploadForm(ServiceForm):
    layout = forms.ChoiceField(
        label="Which kind of file is it?", widget=forms.RadioSelect,
        choices=PaymentFile.Layout.choices,
        error_messages={"required": "Select which kind of file it is",
                        "invalid_choice": "Select which kind of file it is"})
    file = forms.FileField(
        label="Upload the file",
        help_text="A text file saved as UTF-8, up to 20 MB. Every line is checked before "
                  "anything is posted.",
        error_messages={"required": "Select the file to upload",
                        "empty": "The file you chose is empty"})

    def layout_options(self) -> list[dict]:
        """The layout radios with a hint under each (rendered by the upload template)."""
        chosen = self["layout"].value()
        return [{"value": value, "label": label, "hint": LAYOUT_HINTS[value],
                 "id": f"{self['layout'].auto_id}_{index}", "checked": value == chosen}
                for index, (value, label) in enumerate(PaymentFile.Layout.choices)]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError("The file must be smaller than 20 MB: ask for it in parts")
        return upload


class AllocateForm(ServiceForm):
    """Step one finds the account from the reference typed; step two (the same form, with the
    account found carried in `account`) allocates once the officer has seen it."""

    reference = forms.CharField(
        label="Payment reference or tenancy reference of the right account", max_length=20,
        help_text="For example T0001234. You will see the account's tenancy and address before "
                  "anything is moved.",
        error_messages={"required": "Enter the payment reference or tenancy reference"},
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false",
                                      "autocomplete": "off"}))
    reason = forms.CharField(
        label="Why does the payment belong to this account?", max_length=200,
        help_text="For example: reference mistyped by one digit; the tenant phoned to confirm.",
        error_messages={"required": "Enter why the payment belongs to this account",
                        "max_length": "The reason must be 200 characters or fewer"},
        widget=forms.Textarea(attrs={"rows": 3}))
    account = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_reference(self) -> str:
        return self.cleaned_data["reference"].strip().upper()

    def add_service_errors(self, error: ValidationError) -> None:
        if hasattr(error, "error_dict"):
            names = {"to_account_id": "reference", "reason": "reason"}
            error = ValidationError({names.get(name, "__all__"): errors
                                     for name, errors in error.error_dict.items()})
        super().add_service_errors(error)
