"""The rents admin: the configuration administrators keep (rent years and their rent-free
weeks, charge types, charges on homes, each year's rent policy and formula rents, the arrears
policies with their stages, and letter templates), and read-only views of the ledger and what
the services record.

The ledger and the records the services write (accounts, transactions, payment files,
transfers, write-offs, rent reviews) cannot be added, changed or deleted here: every change to
them goes through its service, with its checks and its second person where the law or the
finance rules want one.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from housing.admin import ReadOnlyAdmin
from housing.money import format_pence, pence_to_pounds
from rents.calculations import rent_week_mondays, rent_year_bounds, rent_year_label
from rents.models import (
    Action,
    Arrangement,
    ArrearsPolicy,
    ArrearsStage,
    CaseEvent,
    Charge,
    ChargeType,
    CourtCase,
    FormulaRent,
    LetterTemplate,
    Pause,
    PaymentFile,
    PossessionNotice,
    Recommendation,
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
        fields = self.fields
        fields["convergence_pounds"].initial = pence_to_pounds(instance.convergence_pence)
        fields["outlier_pounds"].initial = pence_to_pounds(instance.outlier_change_pence)

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


# --- Arrears: policies and their stages, letter templates ------------------------------------

def _money_in_pounds(pence: int | None) -> Decimal | None:
    return None if pence is None else pence_to_pounds(pence)


def _to_pence(pounds: Decimal) -> int:
    # Exact: a DecimalField with 2 places times 100 is a whole number of pence.
    return int(pounds * 100)


class ArrearsPolicyForm(forms.ModelForm):
    """The breach tolerance is entered in pounds and kept in pence."""

    breach_tolerance_pounds = _pounds_field(
        "Breach tolerance, in pounds (£)",
        "Pounds, not pence: a payment arrangement is breached when payments fall behind its "
        "schedule by more than this. 5.00 is £5.", maximum="1000")

    class Meta:
        model = ArrearsPolicy
        fields = ["name", "effective_from", "notes", "arrangement_max_weeks"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["breach_tolerance_pounds"].initial = pence_to_pounds(
            self.instance.breach_tolerance_pence)
        self.fields["effective_from"].help_text = (
            "The arrears run uses the policy with the latest date on or before the day it runs. "
            "To change the rules from a date, add a new policy from that date.")

    def save(self, commit=True):
        policy = super().save(commit=False)
        policy.breach_tolerance_pence = _to_pence(self.cleaned_data["breach_tolerance_pounds"])
        if commit:
            policy.save()
        return policy


_LETTER_ACTIONS = {Action.LETTER, Action.COURT_WARNING}


class ArrearsStageForm(forms.ModelForm):
    """A stage's amounts are entered in pounds and kept in pence; its conditions are checked
    for sense (a band in order, a stage that follows an earlier one of the same policy, days
    only with a stage to count from, a letter with its template)."""

    min_owed_pounds = forms.DecimalField(
        label="Owes at least, in pounds (£)", max_digits=9, decimal_places=2,
        min_value=Decimal("0.01"), max_value=Decimal("1000000"),
        help_text="Pounds, not pence: 10.00 is £10.", widget=SuffixedNumberInput(prefix="£"))
    max_owed_pounds = forms.DecimalField(
        label="Owes less than, in pounds (£) (optional)", max_digits=9, decimal_places=2,
        min_value=Decimal("0.01"), max_value=Decimal("1000000"), required=False,
        help_text="Pounds: a reminder only for under £10 is 10.00. Leave empty for no limit.",
        widget=SuffixedNumberInput(prefix="£"))

    class Meta:
        model = ArrearsStage
        fields = ["order", "code", "name", "action", "min_weeks_owed", "after_stage",
                  "min_days_after", "max_days_after", "not_repeated_within_days",
                  "letter_template"]
        help_texts = {
            "order": "Stages are tried from the highest: an account gets the highest stage "
                     "whose conditions it meets.",
            "min_weeks_owed": "Weeks of rent (every charge on the home): 4 means at least 4 "
                              "weeks' rent owed, exactly 4 included.",
            "min_days_after": "Days since the stage it follows was taken, that day included: "
                              "14 allows it on the 14th day.",
            "max_days_after": "Days: 91 allows it up to and on the 91st day after.",
            "not_repeated_within_days": "Days: 91 means none in the last 91 days, so a new one "
                                        "is allowed 91 days after the last.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["min_owed_pounds"].initial = _money_in_pounds(
                self.instance.min_owed_pence)
            self.fields["max_owed_pounds"].initial = _money_in_pounds(
                self.instance.max_owed_pence)
        else:
            self.fields["min_owed_pounds"].initial = Decimal("0.01")

    def clean(self):
        data = super().clean()
        low, high = data.get("min_owed_pounds"), data.get("max_owed_pounds")
        if low is not None and high is not None and high <= low:
            self.add_error("max_owed_pounds", "This must be more than the amount it owes at least.")
        after = data.get("after_stage")
        min_days, max_days = data.get("min_days_after"), data.get("max_days_after")
        if after is not None:
            if self.instance.policy_id and after.policy_id != self.instance.policy_id:
                self.add_error("after_stage", "Choose a stage of this policy.")
            elif data.get("order") is not None and after.order >= data["order"]:
                self.add_error("after_stage", "A stage follows one that comes before it in "
                                              "the order.")
        elif min_days is not None or max_days is not None:
            self.add_error("after_stage", "Choose the stage the days are counted from, or "
                                          "leave the days empty.")
        if min_days is not None and max_days is not None and max_days < min_days:
            self.add_error("max_days_after", "This must be at least the days in 'at least "
                                             "this many days after it'.")
        if data.get("action") in _LETTER_ACTIONS and not data.get("letter_template"):
            self.add_error("letter_template", "Choose the letter this stage sends.")
        return data

    def save(self, commit=True):
        stage = super().save(commit=False)
        stage.min_owed_pence = _to_pence(self.cleaned_data["min_owed_pounds"])
        high = self.cleaned_data.get("max_owed_pounds")
        stage.max_owed_pence = None if high is None else _to_pence(high)
        if commit:
            stage.save()
        return stage


class ArrearsStageInline(admin.StackedInline):
    model = ArrearsStage
    form = ArrearsStageForm
    fk_name = "policy"
    extra = 0
    fieldsets = [
        (None, {"fields": ["order", "code", "name", "action", "letter_template"]}),
        ("When it is due", {"fields": [
            "min_owed_pounds", "max_owed_pounds", "min_weeks_owed", "after_stage",
            "min_days_after", "max_days_after", "not_repeated_within_days"]}),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "after_stage":
            # Only this policy's own stages (a new policy's are chosen once it is saved).
            policy_id = request.resolver_match.kwargs.get("object_id")
            kwargs["queryset"] = (ArrearsStage.objects.filter(policy_id=policy_id)
                                  if policy_id else ArrearsStage.objects.none())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ArrearsPolicy)
class ArrearsPolicyAdmin(SimpleHistoryAdmin):
    form = ArrearsPolicyForm
    inlines = [ArrearsStageInline]
    list_display = ["name", "effective_from", "stage_count", "tolerance"]
    fields = ["name", "effective_from", "notes", "arrangement_max_weeks",
              "breach_tolerance_pounds"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(stage_total=Count("stages"))

    @admin.display(description="Stages")
    def stage_count(self, obj):
        return obj.stage_total

    @admin.display(description="Breach tolerance", ordering="breach_tolerance_pence")
    def tolerance(self, obj):
        return format_pence(obj.breach_tolerance_pence)


def template_figures(text: str) -> set[str]:
    """The names a template's {{ ... }} use (the first part, before any dot or filter)."""
    from django.template import Template
    from django.template.base import VariableNode

    names = set()
    for node in Template(text).nodelist.get_nodes_by_type(VariableNode):
        lookups = getattr(node.filter_expression.var, "lookups", None)
        if lookups:
            names.add(lookups[0])
    return names


class LetterTemplateForm(forms.ModelForm):
    """The body must be a template that works, using only the figures a letter is given: a
    misspelt {{ owd }} would otherwise print nothing in every letter."""

    class Meta:
        model = LetterTemplate
        fields = ["code", "name", "subject", "body"]
        widgets = {"subject": forms.TextInput(attrs={"size": 80}),
                   "body": forms.Textarea(attrs={"rows": 24, "cols": 90})}

    def __init__(self, *args, **kwargs):
        from rents.arrears import LETTER_FIGURES

        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = format_html(
            "Paragraphs separated by a blank line. These figures are filled in: {}.",
            format_html_join(", ", "<code>{{{{ {} }}}}</code> ({})", LETTER_FIGURES.items()))

    def clean_body(self):
        from django.template import TemplateSyntaxError

        from rents.arrears import LETTER_FIGURES

        body = self.cleaned_data["body"]
        try:
            used = template_figures(body)
        except TemplateSyntaxError as error:
            raise forms.ValidationError(f"The letter cannot be filled in: {error}") from None
        unknown = sorted(used - set(LETTER_FIGURES))
        if unknown:
            raise forms.ValidationError(
                "These are not figures a letter is given: "
                + ", ".join("{{ " + name + " }}" for name in unknown)
                + ". Check the spelling against the list below.")
        return body


@admin.register(LetterTemplate)
class LetterTemplateAdmin(SimpleHistoryAdmin):
    form = LetterTemplateForm
    list_display = ["name", "code", "subject"]
    search_fields = ["name", "code", "subject"]

    def get_readonly_fields(self, request, obj=None):
        # The code names the letter in the default policy and on letters already sent.
        return ["code"] if obj is not None and obj.pk else []


# --- Read-only: what the arrears run and case work record ------------------------------------

@admin.register(Recommendation)
class RecommendationAdmin(ReadOnlyAdmin):
    list_display = ["account", "stage", "status", "owed", "weeks_owed", "as_of", "created_at"]
    list_filter = ["status", "stage__name"]
    list_select_related = ["account", "stage"]
    search_fields = ["account__payment_reference"]
    show_full_result_count = False

    @admin.display(description="Owed", ordering="owed_pence")
    def owed(self, obj):
        return format_pence(obj.owed_pence)


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["happened_on", "account", "kind", "stage", "summary", "created_by"]
    list_filter = ["kind", "stage__name"]
    list_select_related = ["account", "stage", "created_by"]
    search_fields = ["account__payment_reference", "summary"]
    show_full_result_count = False


@admin.register(Pause)
class PauseAdmin(ReadOnlyAdmin):
    list_display = ["account", "kind", "start_date", "end_date", "ended_at"]
    list_filter = ["kind"]
    list_select_related = ["account"]
    search_fields = ["account__payment_reference"]


@admin.register(Arrangement)
class ArrangementAdmin(ReadOnlyAdmin):
    list_display = ["account", "amount", "frequency", "start_date", "status", "breached_on"]
    list_filter = ["status", "frequency"]
    list_select_related = ["account"]
    search_fields = ["account__payment_reference"]

    @admin.display(description="Amount", ordering="amount_pence")
    def amount(self, obj):
        return format_pence(obj.amount_pence)


@admin.register(PossessionNotice)
class PossessionNoticeAdmin(ReadOnlyAdmin):
    list_display = ["account", "served_on", "expires_on"]
    list_select_related = ["account"]
    search_fields = ["account__payment_reference"]


@admin.register(CourtCase)
class CourtCaseAdmin(ReadOnlyAdmin):
    list_display = ["account", "applied_on", "hearing_date", "outcome", "eviction_date",
                    "closed_on"]
    list_filter = ["outcome"]
    list_select_related = ["account"]
    search_fields = ["account__payment_reference"]
