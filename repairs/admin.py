"""The repairs admin: the configuration system administrators keep. Trades; the Schedule of
Rates with its dated prices (also imported from a file: repairs.resources); priorities and
their targets; contractors with their portal users and daily capacity; contracts with their
trades, patches and prices; spend limits; and Awaab's Law hazard rules.

Prices and limits are typed in pounds and kept in pence, with the unit beside the box (as in
the rents admin). The database's own rules (one SOR price at a time, a target in hours or in
working days, a limit for a user or a role) are checked here first, so a refusal says what to
change instead of naming a constraint. Work orders, appointments, invoices and hazard cases are
not edited here: each change to them is a service with its history row.
"""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from housing.admin_register import CouncilImportExportAdmin
from housing.models import User
from housing.money import format_pence, pence_to_pounds
from rents.admin import SuffixedNumberInput
from repairs.models import (
    Capacity,
    Contract,
    Contractor,
    ContractorMember,
    ContractRate,
    HazardRule,
    Priority,
    SorCode,
    SpendLimit,
    Trade,
)
from repairs.resources import SorCodeResource, normalise_code


def _day(value) -> str:
    return f"{value.day} {value:%B %Y}"


def _pounds_field(label: str, help_text: str, *, maximum: str = "1000000", required=True):
    return forms.DecimalField(
        label=label, help_text=help_text, max_digits=11, decimal_places=2, required=required,
        min_value=Decimal("0"), max_value=Decimal(maximum),
        widget=SuffixedNumberInput(prefix="£"))


def _to_pence(pounds: Decimal) -> int:
    # Exact: a DecimalField with 2 places times 100 is a whole number of pence.
    return int(pounds * 100)


class NoDeleteMixin:
    """Records other records point at (orders, lines, cases): end or deactivate them instead."""

    def has_delete_permission(self, request, obj=None):
        return False


# --- Trades ---------------------------------------------------------------------------------

@admin.register(Trade)
class TradeAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    list_display = ["name", "code", "sor_count"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            sor_total=Count("sor_codes__code", distinct=True))

    @admin.display(description="SOR codes", ordering="sor_total")
    def sor_count(self, obj):
        return obj.sor_total


# --- The Schedule of Rates --------------------------------------------------------------------

class InForceFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("current", "Today's prices"), ("future", "From a later date"),
                ("ended", "Ended")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "current":
            return queryset.filter(Q(end_date__isnull=True) | Q(end_date__gte=today),
                                   start_date__lte=today)
        if self.value() == "future":
            return queryset.filter(start_date__gt=today)
        if self.value() == "ended":
            return queryset.filter(end_date__lt=today)
        return queryset


class SorCodeForm(forms.ModelForm):
    """A price typed in pounds. A new price for a code starts after its latest one, which then
    ends the day before (as the import does); changing a recorded price's dates may not make
    it overlap another."""

    unit_price_pounds = _pounds_field(
        "Unit price, in pounds (£)",
        "Pounds, not pence: 28.50 is £28.50, for one unit (each, m, m², hour...).")

    class Meta:
        model = SorCode
        fields = ["code", "description", "trade", "unit", "start_date", "end_date"]
        help_texts = {
            "code": "Kept in capitals. A new price for a code already held is a new row with "
                    "the same code and a later start date.",
            "start_date": "The first day of this price. Work orders keep the price in force "
                          "when their line was added.",
            "end_date": "Leave empty: a later price ends this one the day before it starts.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["unit_price_pounds"].initial = pence_to_pounds(
                self.instance.unit_price_pence)
        self.ends_previous: SorCode | None = None

    def clean_code(self):
        return normalise_code(self.cleaned_data["code"])

    def _get_validation_exclusions(self):
        # The overlap of prices (the exclusion constraint) is checked in clean(), in words,
        # knowing that a new price ends the one before it; Django's own check cannot know.
        return super()._get_validation_exclusions() | {"start_date"}

    def clean(self):
        data = super().clean()
        code = data.get("code") or self.instance.code
        start, end = data.get("start_date"), data.get("end_date")
        if not code or start is None:
            return data
        if end is not None and end < start:
            self.add_error("end_date", "A price cannot end before it starts.")
            return data
        others = list(SorCode.objects.filter(code=code).exclude(pk=self.instance.pk)
                      .order_by("start_date"))
        if self.instance.pk is None:
            latest = others[-1] if others else None
            if latest is not None and start <= latest.start_date:
                self.add_error("start_date", (
                    f"{code} already has a price from {_day(latest.start_date)}. A new price "
                    f"must start after it (that one then ends the day before); to correct a "
                    f"recorded price, change that one."))
            elif latest is not None and (latest.end_date is None or latest.end_date >= start):
                self.ends_previous = latest
            return data
        for other in others:
            if (end is None or other.start_date <= end) and (
                    other.end_date is None or other.end_date >= start):
                until = f"to {_day(other.end_date)}" if other.end_date else "with no end"
                self.add_error("start_date", (
                    f"These dates overlap {code}'s price from {_day(other.start_date)} "
                    f"{until}. One price is in force at a time: change the dates so that "
                    f"one ends the day before the next starts."))
                break
        return data

    def save(self, commit=True):
        version = super().save(commit=False)
        version.unit_price_pence = _to_pence(self.cleaned_data["unit_price_pounds"])
        if commit:
            version.save()
        return version


@admin.register(SorCode)
class SorCodeAdmin(NoDeleteMixin, CouncilImportExportAdmin, SimpleHistoryAdmin):
    resource_classes = [SorCodeResource]
    form = SorCodeForm
    list_display = ["code", "description", "trade", "unit", "price", "start_date", "end_date",
                    "in_force"]
    list_filter = [InForceFilter, "trade"]
    list_select_related = ["trade"]
    search_fields = ["code", "description"]
    ordering = ["code", "start_date"]
    fields = ["code", "description", "trade", "unit", "unit_price_pounds", "start_date",
              "end_date"]

    @admin.display(description="Unit price", ordering="unit_price_pence")
    def price(self, obj):
        return format_pence(obj.unit_price_pence)

    @admin.display(description="In force")
    def in_force(self, obj):
        today = timezone.localdate()
        if obj.start_date > today:
            return "From a later date"
        if obj.end_date is not None and obj.end_date < today:
            return "Ended"
        return "Today's price"

    def get_readonly_fields(self, request, obj=None):
        # A version is one code's price: a different code is a new row.
        return ["code"] if obj is not None and obj.pk else []

    def save_model(self, request, obj, form, change):
        previous = form.ends_previous
        if previous is not None:
            previous.end_date = obj.start_date - timedelta(days=1)
            previous._change_reason = f"A new price from {_day(obj.start_date)}"
            previous.save(update_fields=["end_date"])
        super().save_model(request, obj, form, change)


# --- Priorities -----------------------------------------------------------------------------

class PriorityForm(forms.ModelForm):
    class Meta:
        model = Priority
        fields = ["name", "code", "order", "target_hours", "target_working_days",
                  "is_emergency", "active"]
        help_texts = {
            "target_hours": "For a target on the clock, whatever the day: an emergency is "
                            "attended and made safe within 24 hours. Leave empty for a target "
                            "in working days.",
            "target_working_days": "For a target in working days: Monday to Friday, not "
                                   "counting England and Wales bank holidays, from the day the "
                                   "order is raised (3 means complete by the end of the third "
                                   "working day after). Leave both empty for planned work with "
                                   "no target.",
            "order": "The order priorities are offered in: the most urgent first.",
        }

    def clean(self):
        data = super().clean()
        if data.get("target_hours") is not None and data.get("target_working_days") is not None:
            self.add_error("target_working_days", (
                "Give the target in hours or in working days, not both: hours for a target on "
                "the clock (an emergency), working days otherwise."))
        return data


@admin.register(Priority)
class PriorityAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    form = PriorityForm
    list_display = ["name", "code", "target", "is_emergency", "void_type", "active", "order"]
    list_filter = ["active", "is_emergency", "void_type"]
    fieldsets = [
        (None, {"fields": ["name", "code", "order", "is_emergency", "active", "void_type"]}),
        ("Target", {"fields": ["target_hours", "target_working_days"],
                    "description": "In hours or in working days, or neither for planned work. "
                                   "A work order keeps the target worked out when it was "
                                   "raised: a change here applies to orders raised after it."}),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None and obj.pk else []

    @admin.display(description="Target")
    def target(self, obj):
        if obj.target_hours is not None:
            return f"{obj.target_hours} hour{'' if obj.target_hours == 1 else 's'}"
        if obj.target_working_days is not None:
            days = obj.target_working_days
            return f"{days} working day{'' if days == 1 else 's'}"
        return "No target (planned)"


# --- Contractors, their portal users and capacity -------------------------------------------

class ContractorMemberForm(forms.ModelForm):
    class Meta:
        model = ContractorMember
        fields = ["user"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        field.queryset = User.objects.filter(kind=User.Kind.CONTRACTOR).order_by("email")
        field.label_from_instance = lambda user: f"{user.get_full_name()} ({user.email})"
        field.label = "Portal user"
        field.help_text = ("A user whose kind is Contractor. Add them under Users first, with "
                           "the kind Contractor.")
        field.error_messages["invalid_choice"] = (
            "Choose a contractor portal user: only users whose kind is Contractor can work "
            "for a contractor. Staff and tenants cannot; change the user's kind under Users, "
            "or add a new user with the kind Contractor.")

    def clean_user(self):
        user = self.cleaned_data["user"]
        if user is not None and user.kind != User.Kind.CONTRACTOR:  # the queryset says so too
            raise forms.ValidationError(self.fields["user"].error_messages["invalid_choice"])
        other = (ContractorMember.objects.filter(user=user).exclude(pk=self.instance.pk)
                 .select_related("contractor").first())
        if other is not None and other.contractor_id != self.instance.contractor_id:
            raise forms.ValidationError(
                f"{user.email} already works for {other.contractor}: a portal user sees one "
                f"company's orders. Remove them there first.")
        return user


class ContractorMemberInline(admin.TabularInline):
    model = ContractorMember
    form = ContractorMemberForm
    extra = 0
    verbose_name = "portal user"
    verbose_name_plural = "portal users (they see only this company's orders)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class CapacityInline(admin.TabularInline):
    model = Capacity
    extra = 0
    fields = ["trade", "am_jobs", "pm_jobs"]
    verbose_name_plural = ("capacity: appointments a day by trade (an all-day appointment "
                           "takes one of each)")


@admin.register(Contractor)
class ContractorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "active", "email", "phone", "user_count"]
    list_filter = ["active"]
    search_fields = ["name", "code", "email"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [ContractorMemberInline, CapacityInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description="Portal users", ordering="member_total")
    def user_count(self, obj):
        return obj.member_total


@admin.register(Capacity)
class CapacityAdmin(SimpleHistoryAdmin):
    list_display = ["contractor", "trade", "am_jobs", "pm_jobs"]
    list_filter = ["contractor", "trade"]
    list_select_related = ["contractor", "trade"]


# --- Contracts and their prices -------------------------------------------------------------

class ContractRateForm(forms.ModelForm):
    unit_price_pounds = _pounds_field(
        "Price, in pounds (£)", "Pounds, not pence: the contract's price for one unit, which "
                                "orders under the contract pay and invoices are checked "
                                "against.")

    class Meta:
        model = ContractRate
        fields = ["code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = "An SOR code (any of its prices)."
        if self.instance.pk:
            self.fields["unit_price_pounds"].initial = pence_to_pounds(
                self.instance.unit_price_pence)

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if code and not SorCode.objects.filter(code=code).exists():
            raise forms.ValidationError(
                f"{code} is not in the Schedule of Rates. Add it there (or import it) first, "
                f"or check the code.")
        return code

    def save(self, commit=True):
        rate = super().save(commit=False)
        rate.unit_price_pence = _to_pence(self.cleaned_data["unit_price_pounds"])
        if commit:
            rate.save()
        return rate


class ContractRateInline(admin.TabularInline):
    model = ContractRate
    form = ContractRateForm
    extra = 0
    fields = ["code", "unit_price_pounds"]
    verbose_name_plural = "prices (the contract's price for each SOR code it covers)"


class ContractForm(forms.ModelForm):
    class Meta:
        model = Contract
        fields = ["contractor", "reference", "name", "start_date", "end_date", "trades",
                  "patches"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "A contract cannot end before it starts.")
        return data


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin):
    form = ContractForm
    list_display = ["reference", "name", "contractor", "start_date", "end_date", "trade_names",
                    "patch_names", "rate_count"]
    list_filter = ["contractor", "trades"]
    list_select_related = ["contractor"]
    search_fields = ["reference", "name", "contractor__name"]
    filter_horizontal = ["trades", "patches"]
    inlines = [ContractRateInline]

    def get_queryset(self, request):
        return (super().get_queryset(request).annotate(rate_total=Count("rates", distinct=True))
                .prefetch_related("trades", "patches"))

    @admin.display(description="Trades")
    def trade_names(self, obj):
        return ", ".join(trade.name for trade in obj.trades.all())

    @admin.display(description="Patches")
    def patch_names(self, obj):
        return ", ".join(patch.name for patch in obj.patches.all()) or "Every patch"

    @admin.display(description="Prices", ordering="rate_total")
    def rate_count(self, obj):
        return obj.rate_total


# --- Spend limits ---------------------------------------------------------------------------

class SpendLimitForm(forms.ModelForm):
    limit_pounds = _pounds_field(
        "Limit, in pounds (£)", "Pounds, not pence: 1500.00 is £1,500. An order worth more "
                                "than this waits for approval by someone whose limit covers "
                                "it.", maximum="100000000")

    class Meta:
        model = SpendLimit
        fields = ["user", "group"]
        help_texts = {
            "user": "For one person. Their own limit wins over their roles'.",
            "group": "For everyone with this role; with several roles, the highest limit "
                     "counts.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(kind=User.Kind.STAFF).order_by(
            "email")
        if self.instance.pk:
            self.fields["limit_pounds"].initial = pence_to_pounds(self.instance.limit_pence)

    def clean(self):
        data = super().clean()
        user, group = data.get("user"), data.get("group")
        if (user is None) == (group is None) and not self.errors.keys() & {"user", "group"}:
            self.add_error("group", "Choose a person or a role (not both): a limit is for one "
                                    "of them.")
        return data

    def save(self, commit=True):
        limit = super().save(commit=False)
        limit.limit_pence = _to_pence(self.cleaned_data["limit_pounds"])
        if commit:
            limit.save()
        return limit


@admin.register(SpendLimit)
class SpendLimitAdmin(SimpleHistoryAdmin):
    form = SpendLimitForm
    list_display = ["who", "kind", "limit"]
    list_select_related = ["user", "group"]
    fields = ["user", "group", "limit_pounds"]

    @admin.display(description="For")
    def who(self, obj):
        return obj.user.email if obj.user_id else obj.group.name

    @admin.display(description="A person or a role")
    def kind(self, obj):
        return "Person" if obj.user_id else "Role"

    @admin.display(description="Limit", ordering="limit_pence")
    def limit(self, obj):
        return format_pence(obj.limit_pence)


# --- Awaab's Law ----------------------------------------------------------------------------

class HazardRuleForm(forms.ModelForm):
    class Meta:
        model = HazardRule
        fields = ["hazard", "effective_from", "emergency_hours", "investigate_working_days",
                  "summary_working_days", "safety_works_working_days"]
        help_texts = {
            "effective_from": "A case uses the rule in force on the day the landlord became "
                              "aware. To change the clocks from a date, add a rule from that "
                              "date; cases already open keep their deadlines.",
        }

    def clean(self):
        data = super().clean()
        hazard, start = data.get("hazard"), data.get("effective_from")
        if hazard and start and HazardRule.objects.filter(
                hazard=hazard, effective_from=start).exclude(pk=self.instance.pk).exists():
            self.add_error("effective_from", (
                f"There is already a rule for {HazardRule(hazard=hazard).get_hazard_display()} "
                f"from {_day(start)}: change that one, or choose another date."))
        return data


@admin.register(HazardRule)
class HazardRuleAdmin(NoDeleteMixin, SimpleHistoryAdmin):
    form = HazardRuleForm
    list_display = ["hazard", "effective_from", "emergency_hours", "investigate_working_days",
                    "summary_working_days", "safety_works_working_days"]
    list_filter = ["hazard"]
