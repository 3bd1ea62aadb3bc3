"""Forms for adding and changing homes and people's contact details.

The forms only parse what was typed; the rules (UPRN and postcode formats, a UPRN used once,
a block on the chosen estate, a home needs a type) live in housing.services, and a refusal
there comes back onto the form with `add_service_errors`, next to the field it is about.
"""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from housing.models import Adaptation, Alert, Block, Estate, Patch, Person, Property
from housing.money import MoneyError, pounds_to_pence
from housing.services import CONTACT_FIELDS, PROPERTY_FIELDS


class PoundsField(forms.CharField):
    """Pounds and pence as a person types them ("£1,234.56", "12.5"), cleaned to integer pence
    more than zero (housing.money.pounds_to_pence: more than two decimals is refused, never
    rounded). What was typed is shown again when the form has errors."""

    def __init__(self, *, required_message: str, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("help_text", "In pounds and pence, for example 25.50.")
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "class": "govuk-input--width-10", "inputmode": "decimal", "spellcheck": "false",
            "autocomplete": "off"}))
        super().__init__(error_messages={"required": required_message}, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return None
        try:
            pence = pounds_to_pence(text)
        except MoneyError as error:
            raise ValidationError(str(error)) from None
        if pence <= 0:
            raise ValidationError("Enter an amount more than £0.00.")
        return pence


class ServiceForm(forms.Form):
    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's refusal on the form: each field's messages on that field, the
        rest at the top of the form."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields and name != NON_FIELD_ERRORS else None,
                           errors)

    def changes(self) -> dict:
        """The cleaned values of the fields the user changed."""
        return {name: self.cleaned_data[name] for name in self.changed_data}


class BlockChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.estate.name})"


class PropertyForm(ServiceForm):
    uprn = forms.CharField(
        label="UPRN", max_length=20,
        help_text="Unique Property Reference Number: up to 12 digits, like 100040212345.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "inputmode": "numeric",
                                      "spellcheck": "false", "autocomplete": "off"}))
    kind = forms.ChoiceField(label="What is it?", choices=Property.Kind.choices,
                             widget=forms.RadioSelect, initial=Property.Kind.DWELLING)
    property_type = forms.ChoiceField(
        label="Type of home", required=False,
        choices=[("", "Select a type"), *Property.PropertyType.choices],
        help_text="Needed for homes. Leave it unselected for a garage, communal area or other "
                  "non-dwelling.")
    address_line_1 = forms.CharField(label="Address line 1", max_length=120,
                                     widget=forms.TextInput(attrs={"autocomplete": "off"}))
    address_line_2 = forms.CharField(label="Address line 2 (optional)", max_length=120,
                                     required=False,
                                     widget=forms.TextInput(attrs={"autocomplete": "off"}))
    town = forms.CharField(label="Town or city", max_length=60, widget=forms.TextInput(
        attrs={"class": "govuk-!-width-two-thirds", "autocomplete": "off"}))
    postcode = forms.CharField(label="Postcode", max_length=10, widget=forms.TextInput(
        attrs={"class": "govuk-input--width-10", "autocomplete": "off", "spellcheck": "false"}))
    estate = forms.ModelChoiceField(label="Estate (optional)", queryset=Estate.objects.all(),
                                    required=False, empty_label="Not on an estate")
    block = BlockChoiceField(
        label="Block (optional)", required=False, empty_label="Not in a block",
        queryset=Block.objects.select_related("estate"),
        help_text="For flats and maisonettes. The block must be on the estate chosen above.")
    patch = forms.ModelChoiceField(
        label="Patch", queryset=Patch.objects.all(), required=False,
        empty_label="The estate's patch",
        help_text="The area and officer the home belongs to. Leave it as the estate's patch "
                  "unless this home is looked after by another.")
    bedrooms = forms.IntegerField(
        label="Bedrooms (optional)", required=False, min_value=0, max_value=20,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}))
    floor_level = forms.IntegerField(
        label="Floor (optional)", required=False, min_value=-5, max_value=100,
        help_text="0 is the ground floor; -1 a basement.",
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-3"}))
    build_year = forms.IntegerField(
        label="Year built (optional)", required=False, min_value=1000, max_value=2100,
        widget=forms.NumberInput(attrs={"class": "govuk-input--width-4"}))
    tenure = forms.ChoiceField(
        label="Status", widget=forms.RadioSelect, initial=Property.Tenure.VOID,
        choices=[c for c in Property.Tenure.choices if c[0] != Property.Tenure.RENTED],
        help_text="A home becomes rented when a tenancy is signed up.")
    adaptations = forms.ModelMultipleChoiceField(
        label="Adaptations (optional)", queryset=Adaptation.objects.all(), required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, instance: Property | None = None, **kwargs):
        self.instance = instance
        if instance is not None:
            initial = {name: getattr(instance, name) for name in PROPERTY_FIELDS}
            if instance.estate_id and instance.patch_id == instance.estate.patch_id:
                initial["patch"] = None  # shown as "The estate's patch"
            kwargs.setdefault("initial", {**initial,
                                          "adaptations": list(instance.adaptations.all())})
        super().__init__(*args, **kwargs)
        for name in ("bedrooms", "floor_level", "build_year"):
            self.fields[name].error_messages.update({
                "invalid": f"Enter the {self._noun(name)} as a whole number.",
                "min_value": f"The {self._noun(name)} must be %(limit_value)s or more.",
                "max_value": f"The {self._noun(name)} must be %(limit_value)s or less.",
            })
        self.fields["kind"].error_messages["required"] = "Select what it is."
        if instance is not None and instance.tenure == Property.Tenure.RENTED:
            # Shown so the form says what it is; it changes only through the tenancy.
            self.fields["tenure"].choices = Property.Tenure.choices
            self.fields["tenure"].help_text = (
                "A let home stays rented until its tenancy ends.")
        if not Adaptation.objects.exists():
            del self.fields["adaptations"]

    def changes(self) -> dict:
        changes = super().changes()
        # "The estate's patch" follows the estate: a home moved to another estate moves to
        # that estate's patch unless a patch is chosen.
        if "estate" in changes and self.cleaned_data.get("patch") is None:
            changes["patch"] = None
        return changes

    @staticmethod
    def _noun(name: str) -> str:
        return {"bedrooms": "number of bedrooms", "floor_level": "floor",
                "build_year": "year built"}[name]

    def clean_uprn(self):
        return "".join(self.cleaned_data["uprn"].split())


class PersonContactForm(ServiceForm):
    """A person's contact details and needs. Their name is not here: a change of name is a
    tenancy event, recorded from their tenancy."""

    preferred_name = forms.CharField(
        label="Preferred name (optional)", max_length=80, required=False,
        help_text="What they like to be called. A change of their legal name is recorded on "
                  "their tenancy.")
    mobile_phone = forms.CharField(
        label="Mobile phone (optional)", max_length=20, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off",
                                      "class": "govuk-input--width-20"}))
    home_phone = forms.CharField(
        label="Home phone (optional)", max_length=20, required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off",
                                      "class": "govuk-input--width-20"}))
    email = forms.EmailField(
        label="Email address (optional)", max_length=254, required=False,
        error_messages={"invalid": "Enter an email address in the correct format, like "
                                   "name@example.com."},
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    correspondence_address = forms.CharField(
        label="Address to write to (optional)", required=False,
        help_text="Only if letters should not go to their home. Leave blank to write to them "
                  "at their home.",
        widget=forms.Textarea(attrs={"rows": 4}))
    correspondence_postcode = forms.CharField(
        label="Postcode of that address (optional)", max_length=10, required=False,
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off"}))
    preferred_contact_method = forms.ChoiceField(
        label="How they prefer to be contacted", choices=Person.ContactMethod.choices,
        widget=forms.RadioSelect)
    language = forms.CharField(label="Language", max_length=40, required=False,
                               widget=forms.TextInput(attrs={"class": "govuk-input--width-20"}))
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    large_print = forms.BooleanField(label="Needs letters in large print", required=False)
    other_needs = forms.CharField(label="Other communication needs (optional)", max_length=200,
                                  required=False,
                                  help_text="For example, British Sign Language or Braille.")
    ni_number = forms.CharField(
        label="National Insurance number (optional)", max_length=13, required=False,
        help_text="Like QQ 12 34 56 C.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "autocomplete": "off",
                                      "spellcheck": "false"}))

    def __init__(self, *args, instance: Person, **kwargs):
        self.instance = instance
        kwargs.setdefault("initial", {name: getattr(instance, name) for name in CONTACT_FIELDS})
        super().__init__(*args, **kwargs)
        self.fields["preferred_contact_method"].error_messages["required"] = (
            "Select how they prefer to be contacted.")


class AlertForm(ServiceForm):
    category = forms.ChoiceField(label="Kind of alert", choices=Alert.Category.choices,
                                 widget=forms.RadioSelect)
    detail = forms.CharField(label="What staff need to know", widget=forms.Textarea,
                             max_length=2000,
                             help_text="Only people you or an administrator grant can read this.")
    safety_flag = forms.BooleanField(
        label="Warn anyone visiting the home (staff and contractors see the warning, not the "
              "detail)", required=False)
    flag_text = forms.CharField(label="Warning visitors see", required=False, max_length=80,
                                help_text="For example, 'Do not visit alone'.")
    start_date = forms.DateField(
        label="Date the alert starts",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end_date = forms.DateField(
        label="Date the alert ends (optional)", required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
