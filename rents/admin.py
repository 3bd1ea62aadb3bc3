"""The rents admin: the configuration administrators keep (rent years and their rent-free
weeks, charge types, charges on homes, each year's rent policy and formula rents), and
read-only views of the ledger and what the services record.

The ledger and the records the services write (accounts, transactions, payment files,
transfers, write-offs, rent reviews) cannot be added, changed or deleted here: every change to
them goes through its service, with its checks and its second person where the law or the
finance rules want one.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from housing.admin import ReadOnlyAdmin
from housing.money import format_pence
from rents.calculations import rent_week_mondays, rent_year_bounds, rent_year_label
from rents.models import (
    Charge,
    ChargeType,
    FormulaRent,
    PaymentFile,
    RentAccount,
    RentPolicy,
    RentReview,
    RentWeek,
    RentYear,
    Transaction,
    Transfer,
    WriteOff,
)

# --- Rent years and weeks ------------------------------------------------------------------

class RentYearForm(forms.ModelForm):
    class Meta:
        model = RentYear
        fields = ["label", "start_date", "end_date"]

    def clean(self):
        data = super().clean()
        start = data.get("start_date")
        if start:
            first, last = rent_year_bounds(start.year)
            if start != first or data.get("end_date") != last:
                raise forms.ValidationError(
                    f"A rent year runs from 1 April to 31 March: for {rent_year_label(start.year)}"
                    f" that is {first:%-d %B %Y} to {last:%-d %B %Y}.")
            if data.get("label") != rent_year_label(start.year):
                self.add_error("label", f"Call it {rent_year_label(start.year)}.")
        return data



class RentWeekInline(admin.TabularInline):
    """A year's Mondays. Whether a week is rent-free is the administrators' choice; the weeks
    themselves are the calendar's, so once saved their number and date are fixed."""

    model = RentWeek
    fields = ["number", "start_date", "rent_free"]
    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request, obj=None):
        return ["number", "start_date"] if obj is not None and obj.pk else []

    def has_add_permission(self, request, obj=None):
        # A new year's weeks are made when it is saved (RentYearAdmin.save_related).
        return False


@admin.register(RentYear)
class RentYearAdmin(SimpleHistoryAdmin):
    form = RentYearForm
    list_display = ["label", "start_date", "end_date", "weeks", "rent_free_weeks"]
    inlines = [RentWeekInline]

    def get_readonly_fields(self, request, obj=None):
        # Ledger rows point at a year's weeks: its dates never move once it exists.
        return ["label", "start_date", "end_date"] if obj is not None and obj.pk else []

    def get_queryset(self, request):
        from django.db.models import Count, Q

        return super().get_queryset(request).annotate(
            week_count=Count("weeks"), free_count=Count("weeks", filter=Q(weeks__rent_free=True)))

    @admin.display(description="Rent weeks")
    def weeks(self, obj):
        return obj.week_count

    @admin.display(description="Rent-free weeks")
    def rent_free_weeks(self, obj):
        return obj.free_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        year = form.instance
        if not change and not year.weeks.exists():
            # A new year gets its Mondays (52 or 53), numbered from 1; mark the rent-free
            # ones afterwards.
            RentWeek.objects.bulk_create([
                RentWeek(rent_year=year, number=number, start_date=monday)
                for number, monday in enumerate(rent_week_mondays(year.start_date.year),
                                                start=1)])

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ChargeType)
class ChargeTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "benefit_eligible", "order"]
    list_editable = ["order"]
    search_fields = ["name", "code"]

    def get_readonly_fields(self, request, obj=None):
        # The code keys the rent run and rent setting ("rent" is net rent).
        return ["code"] if obj is not None and obj.pk else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Charge)
class ChargeAdmin(SimpleHistoryAdmin):
    list_display = ["property", "charge_type", "weekly", "start_date", "end_date"]
    list_filter = ["charge_type", ("end_date", admin.EmptyFieldListFilter)]
    list_select_related = ["property", "charge_type"]
    search_fields = ["property__uprn", "property__address_line_1", "property__postcode"]
    autocomplete_fields = ["property"]
    date_hierarchy = "start_date"

    @admin.display(description="Weekly", ordering="weekly_pence")
    def weekly(self, obj):
        return format_pence(obj.weekly_pence)

    def has_delete_permission(self, request, obj=None):
        return False  # end a charge with an end date: the rent run reads its history


# --- Rent policy: percentages and pounds, never mixed up ------------------------------------

class SuffixedNumberInput(forms.NumberInput):
    """A number input with a unit before or after it ("£", "%"), so the unit is on the screen
    beside the figure being typed."""

    def __init__(self, *, prefix: str = "", suffix: str = "", attrs=None):
        self.prefix, self.suffix = prefix, suffix
        super().__init__(attrs={"step": "0.01", **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        return format_html("<span>{}{}{}</span>",
                           format_html("<strong>{}</strong>&nbsp;", self.prefix)
                           if self.prefix else "", html,
                           format_html("&nbsp;<strong>{}</strong>", self.suffix)
                           if self.suffix else "")


def _percent_field(label: str, help_text: str, *, minimum: str, maximum: str):
    return forms.DecimalField(
        label=label, help_text=help_text, max_digits=5, decimal_places=2,
        min_value=Decimal(minimum), max_value=Decimal(maximum),
        widget=SuffixedNumberInput(suffix="%"))


def _pounds_field(label: str, help_text: str, *, maximum: str):
    return forms.DecimalField(
        label=label, help_text=help_text, max_digits=7, decimal_places=2,
        min_value=Decimal("0"), max_value=Decimal(maximum),
        widget=SuffixedNumberInput(prefix="£"))


def _pounds(pence: int) -> Decimal:
    """Pence as pounds to the penny, for a form's initial value: 100 -> 1.00."""
    return (Decimal(pence) / 100).quantize(Decimal("0.01"))


class RentPolicyForm(forms.ModelForm):
    """CPI and the margin are percentages; the convergence uplift and the outlier threshold
    are pounds a week, entered in pounds and kept in pence. Each field says its unit in its
    label, beside its input and in its help text (Darlington keyed a 2.70% rise as £2.70)."""

    cpi_percent = _percent_field(
        "CPI of the previous September, as a percentage (%)",
        "A percentage, not pounds: 1.7 means a 1.7% rise in prices. Up to 2 decimal places. "
        "Negative if prices fell.", minimum="-20", maximum="50")
    limit_margin_percent = _percent_field(
        "Added to CPI for the limit, as a percentage (%)",
        "A percentage, not pounds: the Rent Standard's limit is CPI + 1, so enter 1.00.",
        minimum="0", maximum="10")
    convergence_pounds = _pounds_field(
        "Convergence uplift, in pounds a week (£)",
        "Pounds a week, not a percentage: 1.00 is £1 a week (from April 2027), 2.00 is £2 "
        "(from April 2028), 0.00 for none. Homes below formula rent get it on top of the "
        "limit, never going above formula rent.", maximum="20")
    outlier_pounds = _pounds_field(
        "Flag a change over, in pounds a week (£)",
        "Pounds a week: a home whose weekly rent would change by more than this, up or down, "
        "is flagged in the review's preview. For example 5.00.", maximum="100")

    class Meta:
        model = RentPolicy
        fields = ["rent_year", "cpi_percent", "limit_margin_percent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        self.fields["convergence_pounds"].initial = _pounds(instance.convergence_pence)
        self.fields["outlier_pounds"].initial = _pounds(instance.outlier_change_pence)

    def save(self, commit=True):
        policy = super().save(commit=False)
        # Exact: a DecimalField with 2 places times 100 is a whole number of pence.
        policy.convergence_pence = int(self.cleaned_data["convergence_pounds"] * 100)
        policy.outlier_change_pence = int(self.cleaned_data["outlier_pounds"] * 100)
        if commit:
            policy.save()
        return policy


@admin.register(RentPolicy)
class RentPolicyAdmin(SimpleHistoryAdmin):
    form = RentPolicyForm
    list_display = ["rent_year", "cpi", "margin", "convergence", "outlier"]
    fields = ["rent_year", "cpi_percent", "limit_margin_percent", "convergence_pounds",
              "outlier_pounds"]

    @admin.display(description="CPI")
    def cpi(self, obj):
        return f"{obj.cpi_percent}%"

    @admin.display(description="Added to CPI")
    def margin(self, obj):
        return f"{obj.limit_margin_percent}%"

    @admin.display(description="Convergence uplift")
    def convergence(self, obj):
        return f"{format_pence(obj.convergence_pence)} a week"

    @admin.display(description="Flag a change over")
    def outlier(self, obj):
        return f"{format_pence(obj.outlier_change_pence)} a week"

    def _decided(self, obj) -> bool:
        """A year whose review is waiting or approved keeps its policy: the preview and the
        approved rents were worked out from these figures. Reject a waiting review first."""
        return obj is not None and RentReview.objects.filter(
            rent_year_id=obj.rent_year_id,
            status__in=[RentReview.Status.PREPARING, RentReview.Status.PROPOSED,
                        RentReview.Status.APPROVED]).exists()

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not self._decided(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not self._decided(obj)


@admin.register(FormulaRent)
class FormulaRentAdmin(admin.ModelAdmin):
    list_display = ["property", "rent_year", "weekly"]
    list_filter = ["rent_year"]
    list_select_related = ["property", "rent_year"]
    search_fields = ["property__uprn", "property__address_line_1", "property__postcode"]
    autocomplete_fields = ["property"]
    show_full_result_count = False

    @admin.display(description="Weekly formula rent", ordering="weekly_pence")
    def weekly(self, obj):
        return format_pence(obj.weekly_pence)


# --- Read-only: the ledger and what the services record -------------------------------------

@admin.register(RentAccount)
class RentAccountAdmin(ReadOnlyAdmin):
    list_display = ["payment_reference", "kind", "tenancy", "opened_on"]
    list_filter = ["kind"]
    list_select_related = ["tenancy"]
    search_fields = ["payment_reference", "tenancy__reference"]
    show_full_result_count = False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "account", "posted_on", "kind", "charge_type", "method", "amount",
                    "source", "reference"]
    list_filter = ["kind", "source", "method", "charge_type"]
    list_select_related = ["account", "charge_type"]
    search_fields = ["account__payment_reference", "reference"]
    show_full_result_count = False  # the ledger is millions of rows

    @admin.display(description="Amount (debit +, credit −)", ordering="amount_pence")
    def amount(self, obj):
        return format_pence(obj.amount_pence)


@admin.register(PaymentFile)
class PaymentFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "layout", "status", "line_count", "uploaded_by",
                    "uploaded_at"]
    list_filter = ["kind", "layout", "status"]
    list_select_related = ["uploaded_by"]
    exclude = ["file"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["id", "reason", "created_by", "created_at"]
    list_select_related = ["created_by"]


@admin.register(WriteOff)
class WriteOffAdmin(ReadOnlyAdmin):
    list_display = ["account", "amount_pence", "status", "requested_by", "decided_by",
                    "requested_at"]
    list_filter = ["status"]
    list_select_related = ["account", "requested_by", "decided_by"]


@admin.register(RentReview)
class RentReviewAdmin(ReadOnlyAdmin):
    list_display = ["rent_year", "status", "proposed_by", "proposed_at", "decided_by",
                    "decided_at"]
    list_filter = ["status", "rent_year"]
    list_select_related = ["rent_year", "proposed_by", "decided_by"]
