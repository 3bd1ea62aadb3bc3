"""One form per tenancy event. Each form knows which service it calls."""

from django import forms

from housing.models import Person
from tenancies import services
from tenancies.models import Tenancy


class DateInput(forms.DateInput):
    input_type = "date"


class EventForm(forms.Form):
    title = ""
    perm = "tenancies.record_tenancy_event"
    button = "Save"

    def __init__(self, *args, tenancy: Tenancy, **kwargs):
        self.tenancy = tenancy
        super().__init__(*args, **kwargs)

    def tenants(self):
        return Person.objects.filter(
            tenancy_links__tenancy=self.tenancy, tenancy_links__role="tenant",
            tenancy_links__end_date__isnull=True)

    def save(self, *, by, at):
        raise NotImplementedError


class ChangeOfNameForm(EventForm):
    title = "Record a change of name"
    button = "Record the change of name"
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="Whose name changed",
                                    empty_label=None)
    title_field = forms.CharField(label="Title", required=False, max_length=20)
    first_name = forms.CharField(label="New first name", max_length=80)
    last_name = forms.CharField(label="New last name", max_length=80)
    effective_date = forms.DateField(label="Date of the change", widget=DateInput)
    evidence = forms.CharField(label="Evidence seen",
                               help_text="For example, marriage certificate or deed poll.",
                               max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = self.tenants()

    def save(self, *, by, at):
        data = self.cleaned_data
        return services.change_name(
            person_id=data["person"].pk, title=data["title_field"], first_name=data["first_name"],
            last_name=data["last_name"], on=data["effective_date"], evidence=data["evidence"],
            by=by, at=at)


class NoticeForm(EventForm):
    title = "Record the tenant's notice"
    button = "Record the notice"
    received_on = forms.DateField(label="Date the notice was received", widget=DateInput)
    end_date = forms.DateField(label="Date the tenancy is to end", widget=DateInput,
                               help_text="At least four weeks after the notice was received.")

    def save(self, *, by, at):
        return services.record_notice(tenancy_id=self.tenancy.pk, by=by, at=at,
                                      **self.cleaned_data)


class EndTenancyForm(EventForm):
    title = "End the tenancy"
    perm = "tenancies.end_tenancy"
    button = "End the tenancy"
    end_date = forms.DateField(label="Last day of the tenancy", widget=DateInput)
    reason = forms.ChoiceField(label="Why the tenancy ended", widget=forms.RadioSelect,
                               choices=[c for c in Tenancy.EndReason.choices if c[0] in (
                                   "notice", "death", "eviction", "abandonment", "transfer")])

    def save(self, *, by, at):
        return services.end_tenancy(tenancy_id=self.tenancy.pk, by=by, at=at,
                                    **self.cleaned_data)


class ExtendIntroductoryForm(EventForm):
    title = "Extend the introductory period to 18 months"
    button = "Extend the introductory period"
    reason = forms.CharField(label="Reason for the extension", widget=forms.Textarea,
                             max_length=500)

    def save(self, *, by, at):
        return services.extend_introductory(tenancy_id=self.tenancy.pk, by=by, at=at,
                                            reason=self.cleaned_data["reason"])


class ConvertForm(EventForm):
    title = "Make the tenancy secure"
    button = "Make secure"
    on = forms.DateField(label="Date it becomes secure", widget=DateInput)

    def save(self, *, by, at):
        return services.convert_to_secure(tenancy_id=self.tenancy.pk, by=by, at=at,
                                          on=self.cleaned_data["on"])


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        born = f" (born {obj.date_of_birth:%d/%m/%Y})" if obj.date_of_birth else ""
        return f"{obj.full_name}{born}"


class JointTenantForm(EventForm):
    title = "Add a joint tenant"
    button = "Add the joint tenant"
    person = PersonChoiceField(queryset=Person.objects.none(), label="Household member",
                               help_text="The new joint tenant must be in the household.")
    on = forms.DateField(label="Date they become a joint tenant", widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = Person.objects.filter(
            tenancy_links__tenancy=self.tenancy, tenancy_links__role="household",
            tenancy_links__end_date__isnull=True)

    def save(self, *, by, at):
        return services.add_joint_tenant(tenancy_id=self.tenancy.pk, by=by, at=at,
                                         person_id=self.cleaned_data["person"].pk,
                                         on=self.cleaned_data["on"])


ACTIONS: dict[str, type[EventForm]] = {
    "change-of-name": ChangeOfNameForm,
    "notice": NoticeForm,
    "joint-tenant": JointTenantForm,
    "extend-introductory": ExtendIntroductoryForm,
    "make-secure": ConvertForm,
    "end": EndTenancyForm,
}


def available_actions(user, tenancy: Tenancy) -> list[tuple[str, str]]:
    """(slug, title) of the actions this user may take on this tenancy now."""
    if tenancy.end_date is not None:
        return []
    actions = []
    for slug, form in ACTIONS.items():
        if not user.has_perm(form.perm):
            continue
        introductory = tenancy.tenancy_type == Tenancy.TenancyType.INTRODUCTORY
        if slug in ("extend-introductory", "make-secure") and not introductory:
            continue
        actions.append((slug, form.title))
    return actions

