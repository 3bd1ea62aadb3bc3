"""One form per tenancy event, and the sign-up form. Each form knows which service it calls.

An event form is built for one tenancy on one day (`today`, passed by the view: forms never
read the clock), offers only the people still in the tenancy that day, and says with
`applies()` whether the event can apply to the tenancy at all (joint to sole needs two
tenants, a succession needs one not yet used), so the tenancy page lists only those.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

from housing.access import scope_for_user
from housing.models import Person
from housing.services import create_person
from housing.validators import validate_phone
from tenancies import services
from tenancies.models import Tenancy, TenancyMember
from voids.letting import split_name

TENANT, HOUSEHOLD = TenancyMember.Role.TENANT, TenancyMember.Role.HOUSEHOLD


class DateInput(forms.DateInput):
    """A native date picker. Its value is always ISO (yyyy-mm-dd), whatever the locale."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "govuk-input--width-10", **(attrs or {})},
                         format="%Y-%m-%d")


def live_members(tenancy: Tenancy, today, role: str | None = None) -> list[TenancyMember]:
    """The tenancy's members who have not left by `today`, including those of a tenancy that
    starts later (uses the prefetched members when there are some). The services check each
    person against the event's own date."""
    return [m for m in tenancy.members.all()
            if (role is None or m.role == role) and (m.end_date is None or m.end_date >= today)]


class PersonChoiceField(forms.ModelChoiceField):
    notes: dict[int, str] = {}  # person id -> a word after the name, e.g. "tenant"

    def label_from_instance(self, obj):
        details = [self.notes.get(obj.pk, ""),
                   f"born {obj.date_of_birth:%d/%m/%Y}" if obj.date_of_birth else ""]
        details = ", ".join(part for part in details if part)
        return f"{obj.full_name} ({details})" if details else obj.full_name


class MemberChoiceField(forms.ModelChoiceField):
    """A household member (a TenancyMember row), labelled with their relationship."""

    def label_from_instance(self, obj):
        relationship = f" ({obj.relationship})" if obj.relationship else ""
        return f"{obj.person.full_name}{relationship}"


def person_for(*, who: str, first_name: str, last_name: str, date_of_birth, by, at,
               **details) -> tuple[Person, bool]:
    """The person typed into a form: their existing record when someone with the same name and
    date of birth is already recorded (the match imports use, and one housing.services.
    create_person refuses to duplicate), otherwise a new record. Returns (person, created).
    A refusal names `who` ("Lead tenant: ...") so it reads well above the whole form."""
    first_name, last_name = first_name.strip(), last_name.strip()
    if date_of_birth is not None:
        same = Person.objects.filter(first_name__iexact=first_name, last_name__iexact=last_name,
                                     date_of_birth=date_of_birth).order_by("pk").first()
        if same is not None:
            return same, False
    try:
        person = create_person(first_name=first_name, last_name=last_name,
                               date_of_birth=date_of_birth, by=by, at=at, **details)
    except ValidationError as error:
        raise ValidationError([f"{who}: {message}" for message in error.messages]) from None
    return person, True


def _name_input(width: int = 20) -> forms.TextInput:
    return forms.TextInput(attrs={"class": f"govuk-input--width-{width}", "spellcheck": "false",
                                  "autocomplete": "off"})


class EventForm(forms.Form):
    title = ""
    perms: tuple[str, ...] = ("tenancies.record_tenancy_event",)
    button = "Save"
    done = ""  # the success message
    warning = ""  # shown above the form, for events that cannot be undone

    def __init__(self, *args, tenancy: Tenancy, today, user=None, **kwargs):
        self.tenancy, self.today, self.user = tenancy, today, user
        super().__init__(*args, **kwargs)
        # Household members are shown with their relationship: "George Jackson (son, born ...)".
        notes = {m.person_id: m.relationship or "household member"
                 for m in live_members(tenancy, today, HOUSEHOLD)}
        for field in self.fields.values():
            if isinstance(field, PersonChoiceField):
                field.notes = notes

    @classmethod
    def applies(cls, tenancy: Tenancy, today) -> bool:
        """Whether this event can apply to the (live) tenancy today."""
        return True

    def people(self, role: str | None):
        return Person.objects.filter(
            pk__in=[m.person_id for m in live_members(self.tenancy, self.today, role)])

    def tenants(self):
        return self.people(TENANT)

    def save(self, *, by, at):
        raise NotImplementedError

    def success_message(self, result) -> str:
        return self.done or f"{self.title}: done."


class ChangeOfNameForm(EventForm):
    title = "Record a change of name"
    button = "Record the change of name"
    done = "Change of name recorded."
    person = PersonChoiceField(queryset=Person.objects.none(), label="Whose name changed",
                               widget=forms.RadioSelect)
    title_field = forms.CharField(label="Title", required=False, max_length=20,
                                  widget=_name_input(5))
    first_name = forms.CharField(label="New first name", max_length=80, widget=_name_input())
    last_name = forms.CharField(label="New last name", max_length=80, widget=_name_input())
    effective_date = forms.DateField(label="Date of the change", widget=DateInput)
    evidence = forms.CharField(label="Evidence seen",
                               help_text="For example, marriage certificate or deed poll.",
                               max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenants = self.tenants()
        self.fields["person"].queryset = tenants
        if len(tenants) == 1:  # a sole tenant: nothing to choose
            self.fields["person"].initial = tenants[0].pk

    def save(self, *, by, at):
        data = self.cleaned_data
        return services.change_name(
            person_id=data["person"].pk, title=data["title_field"], first_name=data["first_name"],
            last_name=data["last_name"], on=data["effective_date"], evidence=data["evidence"],
            by=by, at=at)


class NoticeForm(EventForm):
    title = "Record the tenant's notice"
    button = "Record the notice"
    done = "Notice recorded."
    received_on = forms.DateField(label="Date the notice was received", widget=DateInput)
    end_date = forms.DateField(label="Date the tenancy is to end", widget=DateInput,
                               help_text="At least four weeks after the notice was received.")

    def save(self, *, by, at):
        return services.record_notice(tenancy_id=self.tenancy.pk, by=by, at=at,
                                      **self.cleaned_data)


class EndTenancyForm(EventForm):
    title = "End the tenancy"
    perms = ("tenancies.end_tenancy",)
    button = "End the tenancy"
    done = "The tenancy has ended and the home is void."
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
    done = "Introductory period extended to 18 months."
    reason = forms.CharField(label="Reason for the extension", widget=forms.Textarea,
                             max_length=500)

    @classmethod
    def applies(cls, tenancy, today):
        return tenancy.tenancy_type == Tenancy.TenancyType.INTRODUCTORY

    def save(self, *, by, at):
        return services.extend_introductory(tenancy_id=self.tenancy.pk, by=by, at=at,
                                            reason=self.cleaned_data["reason"])


class ConvertForm(EventForm):
    title = "Make the tenancy secure"
    button = "Make secure"
    done = "The tenancy is now secure."
    on = forms.DateField(label="Date it becomes secure", widget=DateInput)

    @classmethod
    def applies(cls, tenancy, today):
        return tenancy.tenancy_type == Tenancy.TenancyType.INTRODUCTORY

    def save(self, *, by, at):
        return services.convert_to_secure(tenancy_id=self.tenancy.pk, by=by, at=at,
                                          on=self.cleaned_data["on"])


# --- Who the tenants are ------------------------------------------------------------------

class JointTenantForm(EventForm):
    title = "Add a joint tenant (sole to joint)"
    button = "Add the joint tenant"
    done = "Joint tenant added."
    person = PersonChoiceField(queryset=Person.objects.none(), label="Who becomes a joint tenant",
                               widget=forms.RadioSelect,
                               help_text="The new joint tenant must be in the household. "
                                         "Add them as a household member first if they are not.")
    on = forms.DateField(label="Date they become a joint tenant", widget=DateInput)

    @classmethod
    def applies(cls, tenancy, today):
        return (len(live_members(tenancy, today, TENANT)) < services.MAX_JOINT_TENANTS
                and bool(live_members(tenancy, today, HOUSEHOLD)))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = self.people(HOUSEHOLD)

    def save(self, *, by, at):
        return services.add_joint_tenant(tenancy_id=self.tenancy.pk, by=by, at=at,
                                         person_id=self.cleaned_data["person"].pk,
                                         on=self.cleaned_data["on"])


class RemoveJointTenantForm(EventForm):
    title = "Remove a joint tenant (joint to sole)"
    button = "Remove the joint tenant"
    done = "Joint tenant removed: the tenancy is now a sole tenancy."
    person = PersonChoiceField(queryset=Person.objects.none(), label="Which tenant is leaving",
                               widget=forms.RadioSelect,
                               error_messages={"required": "Select the tenant who is leaving"})
    on = forms.DateField(label="Date they left the tenancy", widget=DateInput,
                         help_text="They are no longer a tenant from this date.")
    reason = forms.CharField(label="Reason", max_length=200,
                             help_text="For example, moved out by agreement, or a court order.")

    @classmethod
    def applies(cls, tenancy, today):
        return len(live_members(tenancy, today, TENANT)) >= 2

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = self.tenants()

    def save(self, *, by, at):
        data = self.cleaned_data
        return services.remove_joint_tenant(tenancy_id=self.tenancy.pk, person_id=data["person"].pk,
                                            on=data["on"], reason=data["reason"], by=by, at=at)


class SuccessionForm(EventForm):
    title = "Record a succession"
    button = "Record the succession"
    done = "Succession recorded."
    warning = ("A tenancy allows only one succession. Once recorded, this tenancy cannot "
               "pass on a death again.")
    deceased = PersonChoiceField(queryset=Person.objects.none(), label="Tenant who died",
                                 widget=forms.RadioSelect,
                                 error_messages={"required": "Select the tenant who died"})
    successor = PersonChoiceField(
        queryset=Person.objects.none(), label="Who succeeds to the tenancy",
        widget=forms.RadioSelect, error_messages={"required": "Select who succeeds"},
        help_text="A surviving joint tenant, or a member of the household who qualifies.")
    on = forms.DateField(label="Date of succession", widget=DateInput,
                         error_messages={"required": "Enter the date of succession"},
                         help_text="The date the tenant died: the successor holds the tenancy "
                                   "from that day.")
    eligibility = forms.CharField(
        label="Why the successor is eligible", widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text="For example, spouse living in the home when the tenant died.")

    @classmethod
    def applies(cls, tenancy, today):
        live = live_members(tenancy, today)
        return (not tenancy.succession_used and any(m.role == TENANT for m in live)
                and len(live) >= 2)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deceased"].queryset = self.tenants()
        live = live_members(self.tenancy, self.today)
        successor = self.fields["successor"]
        successor.queryset = self.people(None)
        successor.notes = {**successor.notes,
                           **{m.person_id: "tenant" for m in live if m.role == TENANT}}

    def clean(self):
        data = super().clean()
        if data.get("deceased") and data.get("deceased") == data.get("successor"):
            self.add_error("successor", "The successor cannot be the tenant who died.")
        return data

    def save(self, *, by, at):
        data = self.cleaned_data
        return services.record_succession(
            tenancy_id=self.tenancy.pk, deceased_id=data["deceased"].pk,
            successor_id=data["successor"].pk, on=data["on"], eligibility=data["eligibility"],
            by=by, at=at)


class AssignmentForm(EventForm):
    title = "Record an assignment"
    button = "Record the assignment"
    done = "Assignment recorded."
    warning = "The current tenants leave the tenancy, and the person chosen becomes its tenant."
    assignee = PersonChoiceField(
        queryset=Person.objects.none(), label="Who the tenancy is assigned to",
        widget=forms.RadioSelect,
        error_messages={"required": "Select who the tenancy is assigned to"},
        help_text="A member of the household. To assign to someone else, add them to the "
                  "household first.")
    on = forms.DateField(label="Date of the assignment", widget=DateInput)
    reason = forms.CharField(
        label="Reason for the assignment", max_length=200,
        help_text="For example, a court order, or to someone who could succeed to the tenancy.")

    @classmethod
    def applies(cls, tenancy, today):
        return bool(live_members(tenancy, today, HOUSEHOLD))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = self.people(HOUSEHOLD)

    def save(self, *, by, at):
        data = self.cleaned_data
        return services.assign(tenancy_id=self.tenancy.pk, assignee_id=data["assignee"].pk,
                               on=data["on"], reason=data["reason"], by=by, at=at)


class MutualExchangeForm(EventForm):
    title = "Record a mutual exchange"
    button = "Record the mutual exchange"
    warning = ("The two households swap homes: everyone in this tenancy moves to the other "
               "tenancy, and everyone in the other tenancy moves to this one.")
    other_reference = forms.CharField(
        label="Other tenancy reference", max_length=20,
        error_messages={"required": "Enter the other tenancy's reference"},
        help_text="The tenancy the tenants are swapping with, like T0001234.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-10", "spellcheck": "false",
                                      "autocomplete": "off"}))
    on = forms.DateField(label="Date of the exchange", widget=DateInput)

    def clean_other_reference(self):
        reference = "".join(self.cleaned_data["other_reference"].split()).upper()
        if reference == self.tenancy.reference.upper():
            raise ValidationError("Enter the other tenancy's reference, not this one's.")
        # Only a tenancy the user may see: a reference outside their patches is "not found",
        # so it reveals nothing.
        other = scope_for_user(self.user, Tenancy.objects.select_related("property")).filter(
            reference__iexact=reference).first()
        if other is None:
            raise ValidationError(
                f"There is no tenancy {reference} in the patches you work. Check the reference.")
        if other.end_date is not None:
            raise ValidationError(
                f"Tenancy {other.reference} ended on {other.end_date:%d %B %Y}: only a live "
                f"tenancy can exchange.")
        self.other = other
        return reference

    def save(self, *, by, at):
        return services.mutual_exchange(tenancy_a_id=self.tenancy.pk, tenancy_b_id=self.other.pk,
                                        on=self.cleaned_data["on"], by=by, at=at)

    def success_message(self, result) -> str:
        return (f"Mutual exchange recorded: the household of {self.other.reference} moved in "
                f"here, and this tenancy's household moved to {self.other.property}.")


# --- The household ------------------------------------------------------------------------

class AddHouseholdMemberForm(EventForm):
    """A household member is usually someone new to the council (a partner, a baby), so the
    form creates their person record (or finds it, when they are already recorded) and adds
    them, in one transaction."""

    title = "Add a household member"
    perms = ("tenancies.record_tenancy_event", "housing.add_person")
    button = "Add the household member"
    first_name = forms.CharField(label="First name", max_length=80, widget=_name_input())
    last_name = forms.CharField(label="Last name", max_length=80, widget=_name_input())
    date_of_birth = forms.DateField(label="Date of birth", widget=DateInput, required=False,
                                    help_text="If known.")
    relationship = forms.CharField(label="Relationship to the tenant", max_length=40,
                                   widget=_name_input(),
                                   help_text="For example, partner, son, carer.")
    on = forms.DateField(label="Date they moved in", widget=DateInput)

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born and born > self.today:
            raise ValidationError("The date of birth must be in the past.")
        return born

    def save(self, *, by, at):
        data = self.cleaned_data
        with transaction.atomic():  # no person record is left behind if the service refuses
            person, self.created = person_for(
                who="Household member", first_name=data["first_name"],
                last_name=data["last_name"], date_of_birth=data["date_of_birth"], by=by, at=at)
            return services.add_household_member(
                tenancy_id=self.tenancy.pk, person_id=person.pk,
                relationship=data["relationship"].strip(), on=data["on"], by=by, at=at)

    def success_message(self, result) -> str:
        if self.created:
            return f"{result.person.full_name} added to the household."
        return (f"{result.person.full_name} added to the household. They were already "
                f"recorded, so their existing record is used.")


class RemoveHouseholdMemberForm(EventForm):
    title = "Record a household member moving out"
    button = "Record the move"
    done = "Household member moved out."
    member = MemberChoiceField(queryset=TenancyMember.objects.none(), label="Who moved out",
                               widget=forms.RadioSelect,
                               error_messages={"required": "Select who moved out"})
    on = forms.DateField(label="Date they moved out", widget=DateInput)

    @classmethod
    def applies(cls, tenancy, today):
        return bool(live_members(tenancy, today, HOUSEHOLD))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = TenancyMember.objects.select_related("person").filter(
            pk__in=[m.pk for m in live_members(self.tenancy, self.today, HOUSEHOLD)])

    def save(self, *, by, at):
        return services.remove_household_member(member_id=self.cleaned_data["member"].pk,
                                                on=self.cleaned_data["on"], by=by, at=at)


ACTIONS: dict[str, type[EventForm]] = {
    "change-of-name": ChangeOfNameForm,
    "add-household-member": AddHouseholdMemberForm,
    "remove-household-member": RemoveHouseholdMemberForm,
    "joint-tenant": JointTenantForm,
    "remove-joint-tenant": RemoveJointTenantForm,
    "succession": SuccessionForm,
    "assignment": AssignmentForm,
    "mutual-exchange": MutualExchangeForm,
    "extend-introductory": ExtendIntroductoryForm,
    "make-secure": ConvertForm,
    "notice": NoticeForm,
    "end": EndTenancyForm,
}


def available_actions(user, tenancy: Tenancy, *, today) -> list[tuple[str, str]]:
    """(slug, title) of the actions this user may take on this tenancy today."""
    if tenancy.end_date is not None:
        return []
    return [(slug, form.title) for slug, form in ACTIONS.items()
            if user.has_perms(form.perms) and form.applies(tenancy, today)]


# --- Sign-up ------------------------------------------------------------------------------

class SignUpForm(forms.Form):
    """The tenancy, its lead tenant and an optional joint tenant: two sets of person fields,
    because a tenancy has at most two tenants. Each is a new person record unless someone with
    the same name and date of birth is already recorded (`person_for`). For a void, `offer` is
    its accepted offer: the lead tenant's name is prefilled from it."""

    TENANTS = (("lead", "lead tenant"), ("joint", "joint tenant"))

    tenancy_type = forms.ChoiceField(label="Type of tenancy", choices=Tenancy.TenancyType.choices,
                                     widget=forms.RadioSelect)
    start_date = forms.DateField(label="Start date", widget=DateInput,
                                 help_text="Rent is charged from this date.")
    fixed_term_end_date = forms.DateField(
        label="End of the fixed term", widget=DateInput, required=False,
        help_text="Flexible tenancies only: the last day of the fixed term.")

    def __init__(self, *args, home, today, offer=None, **kwargs):
        self.home, self.today = home, today
        super().__init__(*args, **kwargs)
        for prefix, who in self.TENANTS:
            self.fields.update(self._person_fields(prefix, who, required=prefix == "lead"))
        if offer is not None:  # the applicant who accepted the void's offer: the officer checks
            title, first, last = split_name(offer.applicant_name)  # "Mrs Grace Okafor"
            for name, value in (("title", title), ("first_name", first), ("last_name", last)):
                self.fields[f"lead_{name}"].initial = value

    @staticmethod
    def _person_fields(prefix: str, who: str, *, required: bool) -> dict:
        def enter(what):
            return {"required": f"Enter the {who}'s {what}"}

        def phone(value):
            try:
                validate_phone(value)
            except ValidationError:
                raise ValidationError(f"Enter the {who}'s phone number as a UK number, like "
                                      f"07700 900982 or 01392 265000.") from None

        return {
            f"{prefix}_title": forms.CharField(label="Title", required=False, max_length=20,
                                               widget=_name_input(5),
                                               help_text="For example, Mrs, Mr, Mx or Dr."),
            f"{prefix}_first_name": forms.CharField(label="First name", max_length=80,
                                                    required=required, widget=_name_input(),
                                                    error_messages=enter("first name")),
            f"{prefix}_last_name": forms.CharField(label="Last name", max_length=80,
                                                   required=required, widget=_name_input(),
                                                   error_messages=enter("last name")),
            f"{prefix}_date_of_birth": forms.DateField(
                label="Date of birth", widget=DateInput, required=required,
                error_messages={**enter("date of birth"),
                                "invalid": f"Enter the {who}'s date of birth as a real date"}),
            f"{prefix}_phone": forms.CharField(
                label="Phone number", required=False, max_length=20, validators=[phone],
                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off",
                                              "class": "govuk-input--width-20"})),
            f"{prefix}_email": forms.EmailField(
                label="Email address", required=False,
                error_messages={"invalid": f"Enter the {who}'s email address in the right "
                                           f"format, like name@example.com"},
                widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"})),
        }

    def groups(self) -> list[tuple[str, list]]:
        """The fields in the order the page shows them, under their headings."""
        return [("Lead tenant", [self[n] for n in self.fields if n.startswith("lead_")]),
                ("Joint tenant (if any)", [self[n] for n in self.fields if n.startswith("joint_")])]

    def tenancy_fields(self) -> list:
        return [self["tenancy_type"], self["start_date"], self["fixed_term_end_date"]]

    def has_joint_tenant(self) -> bool:
        return any(self.cleaned_data.get(n) for n in self.fields if n.startswith("joint_"))

    def clean(self):
        data = super().clean()
        if (data.get("tenancy_type") == Tenancy.TenancyType.FLEXIBLE
                and "fixed_term_end_date" not in self.errors
                and not data.get("fixed_term_end_date")):
            self.add_error("fixed_term_end_date",
                           "Enter the end of the fixed term: a flexible tenancy needs one.")
        start, end = data.get("start_date"), data.get("fixed_term_end_date")
        if start and end and end <= start:
            self.add_error("fixed_term_end_date",
                           "The end of the fixed term must be after the start date.")
        if self.has_joint_tenant():
            for name, what in (("first_name", "first name"), ("last_name", "last name"),
                               ("date_of_birth", "date of birth")):
                if not data.get(f"joint_{name}") and f"joint_{name}" not in self.errors:
                    self.add_error(f"joint_{name}",
                                   f"Enter the joint tenant's {what}, or leave all the joint "
                                   f"tenant's details blank for a sole tenancy.")
        for prefix, who in self.TENANTS:
            born = data.get(f"{prefix}_date_of_birth")
            if born and born >= self.today:
                self.add_error(f"{prefix}_date_of_birth",
                               f"The {who}'s date of birth must be in the past.")
            elif born and start and services.add_months(born, 16 * 12) > start:
                # Most likely a mistyped year: nobody under 16 can hold a tenancy.
                self.add_error(f"{prefix}_date_of_birth",
                               f"Check the {who}'s date of birth: they would be under 16 when "
                               f"the tenancy starts.")
        return data

    def _person(self, prefix: str, who: str, *, by, at) -> Person:
        data = self.cleaned_data
        phone = data[f"{prefix}_phone"].strip()
        mobile = phone.replace(" ", "").startswith(("07", "+447"))
        person, created = person_for(
            who=who.capitalize(), title=data[f"{prefix}_title"].strip(),
            first_name=data[f"{prefix}_first_name"], last_name=data[f"{prefix}_last_name"],
            date_of_birth=data[f"{prefix}_date_of_birth"], email=data[f"{prefix}_email"],
            mobile_phone=phone if mobile else "", home_phone="" if mobile else phone,
            by=by, at=at)
        if not created:
            self.existing.append(person)
        return person

    def save(self, *, by, at) -> Tenancy:
        """Create (or find) the tenants' person records and sign up, all or nothing."""
        data = self.cleaned_data
        self.existing: list[Person] = []
        with transaction.atomic():
            tenants = [self._person(prefix, who, by=by, at=at) for prefix, who in self.TENANTS
                       if prefix == "lead" or self.has_joint_tenant()]
            return services.sign_up(
                property_id=self.home.pk, tenancy_type=data["tenancy_type"],
                start_date=data["start_date"], tenant_ids=[p.pk for p in tenants],
                fixed_term_end_date=(data["fixed_term_end_date"]
                                     if data["tenancy_type"] == Tenancy.TenancyType.FLEXIBLE
                                     else None),
                by=by, at=at)
