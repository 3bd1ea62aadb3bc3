"""Forms for arrears case work. Each parses what was typed and hands it to one service in
rents.casework; the service's refusals come back next to the field they are about."""

from django import forms

from housing.forms_register import ServiceForm
from housing.models import Patch
from rents.casework import BANDS, SORTS, ContactMethod, stage_choices
from rents.models import Action, Pause
from tenancies.forms import DateInput


def _date_field(label: str, *, required: bool = True, help_text: str = "",
                missing: str = "Enter the date.") -> forms.DateField:
    return forms.DateField(
        label=label, required=required, help_text=help_text, widget=DateInput(),
        error_messages={"required": missing, "invalid": f"Enter the {label.lower()} as a real "
                                                        f"date."})


def _text_field(label: str, missing: str, *, help_text: str = "", rows: int = 4,
                max_length: int = 4000) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, help_text=help_text,
        error_messages={"required": missing,
                        "max_length": f"Enter {max_length:,} characters or fewer."},
        widget=forms.Textarea(attrs={"rows": rows}))


class WorklistFilterForm(forms.Form):
    """The worklist's filters and sort order, as GET parameters. A value that is not one of
    the choices is ignored rather than shown as an error."""

    action = forms.ChoiceField(label="Action", required=False)
    stage = forms.ChoiceField(label="Stage", required=False)
    patch = forms.ModelChoiceField(label="Patch", queryset=Patch.objects.none(), required=False,
                                   empty_label="All your patches")
    band = forms.ChoiceField(label="Amount owed", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False)

    def __init__(self, *args, patches, **kwargs):
        super().__init__(*args, **kwargs)
        if len(patches) < 2:
            del self.fields["patch"]  # one patch: nothing to choose
        else:
            self.fields["patch"].queryset = patches
        self.fields["action"].choices = [("", "All actions"), *Action.choices]
        self.fields["stage"].choices = [("", "All stages"), *stage_choices()]
        self.fields["band"].choices = [("", "Any amount"),
                                       *((key, label) for key, (label, _l, _h) in BANDS.items())]
        self.fields["sort"].choices = [(key, label) for key, (label, _o) in SORTS.items()]

    def filters(self) -> dict:
        """The filters that were valid (an invalid one is left out)."""
        if not self.is_bound:
            return {"sort": "amount"}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"action": data.get("action") or "", "stage": data.get("stage") or "",
                "patch": data.get("patch") if "patch" in self.fields else None,
                "band": data.get("band") or "",
                "sort": data.get("sort") or "amount"}


class DeferForm(ServiceForm):
    until = _date_field("Look at the case again on", missing="Enter the date to look at the "
                        "case again.",
                        help_text="The arrears run recommends this step again no sooner than "
                                  "this date.")
    reason = _text_field("Why are you deferring it?", "Give the reason for deferring the "
                         "recommendation.",
                         help_text="For example: the tenant has promised a payment on Friday.")


class OverrideForm(ServiceForm):
    reason = _text_field("Why are you not taking this action?", "Give the reason for not "
                         "taking the recommended action.",
                         help_text="It goes in the case diary.")


class PauseForm(ServiceForm):
    kind = forms.ChoiceField(label="What kind of pause?", choices=Pause.Kind.choices,
                             widget=forms.RadioSelect,
                             error_messages={"required": "Select the kind of pause."})
    start_date = _date_field("Start date", missing="Enter the date the pause starts.")
    end_date = _date_field(
        "End date", required=False,
        help_text="Needed for every pause except a Breathing Space, whose end date is "
                  "worked out for you.")
    treatment_end_date = _date_field(
        "Date the crisis treatment ends", required=False,
        help_text="Only for a mental health crisis Breathing Space: the pause ends 30 days "
                  "after this date.")
    reason = _text_field("Reason", "Give the reason for the pause.",
                         help_text="For example the Breathing Space reference from the "
                                   "Insolvency Service, or the claim that is pending.")

    def __init__(self, *args, today, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("start_date", today)
        super().__init__(*args, **kwargs)


class EndPauseForm(ServiceForm):
    reason = _text_field("Why is the pause ending early?", "Give the reason for ending the "
                         "pause early.",
                         help_text="For example: the Breathing Space was cancelled by the "
                                   "debt adviser.")


class NoteForm(ServiceForm):
    happened_on = _date_field("Date", missing="Enter the date.")
    text = _text_field("Note", "Enter the note.", rows=6)

    def __init__(self, *args, today, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("happened_on", today)
        super().__init__(*args, **kwargs)


class ContactForm(ServiceForm):
    method = forms.ChoiceField(label="How were you in contact?", choices=ContactMethod.choices,
                               widget=forms.RadioSelect,
                               error_messages={"required": "Select how you were in contact."})
    happened_on = _date_field("Date", missing="Enter the date.")
    with_whom = forms.CharField(
        label="Who with (optional)", required=False, max_length=100,
        help_text="For example the tenant, their daughter or their support worker.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}))
    said = _text_field("What was said", "Enter what was said.", rows=6)

    def __init__(self, *args, today, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("happened_on", today)
        super().__init__(*args, **kwargs)
