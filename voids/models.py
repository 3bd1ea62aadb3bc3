"""Empty homes between tenancies (DOMAIN.md "Voids").

A void period opens when a tenancy ends (tenancies.services.home_vacated calls
voids.services.open_void, whatever the route out) and closes when the next tenancy starts
(tenancies.services.sign_up calls voids.services.close_void). Its stages run keys in ->
void inspection -> works -> ready to let -> offered -> let; each move writes a StageChange.

The void covers the days from `start_date` (the first day nobody is a tenant: the day after the
tenancy ended) to the day before `let_date` (the new tenancy's first day). Relet time is
let_date - tenancy end, in calendar days; rent lost is what the rent run would have charged on
those days (voids.rentloss).

Council Tax is told of each change of occupancy by an OccupancyChange row (one per home,
event and date: a database constraint, so a rerun never adds a second). Each letting keeps a
LettingLog, the CORE record as it stood at sign-up.
"""

import builtins

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import Func, Q

from repairs.models import Priority
from tenancies.models import Tenancy


class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


class Stage(models.TextChoices):
    KEYS_IN = "keys_in", "Keys in"
    INSPECTION = "inspection", "Void inspection"
    WORKS = "works", "Void works"
    READY = "ready", "Ready to let"
    OFFERED = "offered", "Offered"
    LET = "let", "Let"


VoidType = Priority.VoidWorks


class ChecklistItem(models.Model):
    """One line of the void inspection's checklist: ticking it puts its SOR code on the void
    works order for its trade. Administrators keep the list."""

    label = models.CharField(max_length=120)
    sor_code = models.CharField("SOR code", max_length=20,
                                help_text="The Schedule of Rates code the work is priced by.")
    default_quantity = models.DecimalField(max_digits=9, decimal_places=2, default=1)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.sor_code})"


class VoidPeriod(models.Model):
    # Why the home was empty, as CORE asks: the tenancy's end reason (every one but a Right to
    # Buy sale, which opens no void), or another reason for a void recorded by hand.
    VacancyReason = models.TextChoices("VacancyReason", [
        *((reason.name, (reason.value, reason.label)) for reason in Tenancy.EndReason
          if reason != Tenancy.EndReason.RIGHT_TO_BUY),
        ("NEW_BUILD", ("new_build", "New build or acquired home")),
        ("OTHER", ("other", "Other")),
    ])

    reference = models.CharField(max_length=12, unique=True)
    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="voids")
    previous_tenancy = models.OneToOneField(
        "tenancies.Tenancy", on_delete=models.PROTECT, null=True, blank=True,
        related_name="void_after", help_text="The tenancy whose end made the home void.")
    new_tenancy = models.OneToOneField(
        "tenancies.Tenancy", on_delete=models.PROTECT, null=True, blank=True,
        related_name="void_before")
    vacancy_reason = models.CharField(max_length=20, choices=VacancyReason.choices)
    start_date = models.DateField(help_text="The first day the home is empty.")
    keys_in_date = models.DateField(null=True, blank=True)
    void_type = models.CharField(max_length=10, choices=VoidType.choices, blank=True,
                                 help_text="Decided at the void inspection.")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.KEYS_IN)
    inspected_on = models.DateField(null=True, blank=True)
    ready_on = models.DateField(null=True, blank=True)
    let_date = models.DateField(null=True, blank=True,
                                help_text="The new tenancy's first day; the void ends the day "
                                          "before.")
    repair_request = models.OneToOneField(
        "repairs.RepairRequest", on_delete=models.PROTECT, null=True, blank=True,
        related_name="void", help_text="The void works: its orders are the works orders.")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    opened_at = models.DateTimeField()
    patch_lookup = "property__patch"

    class Meta:
        ordering = ["start_date", "pk"]
        permissions = [
            ("manage_void", "Can manage void stages, safety checks, offers and sign-ups"),
            ("inspect_void", "Can record a void inspection and raise its works"),
        ]
        indexes = [
            models.Index(fields=["stage", "start_date"], name="void_stage_start"),
            models.Index(fields=["let_date"], name="void_let_date"),
        ]
        constraints = [
            # A home is void once at a time: a second void for the same home and days is
            # refused. The range is [start, let) and runs on while the void is open.
            ExclusionConstraint(
                name="one_void_at_a_time",
                expressions=[
                    ("property", RangeOperators.EQUAL),
                    (DateRange("start_date", "let_date"), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(
                condition=Q(let_date__isnull=True) | Q(let_date__gte=models.F("start_date")),
                name="void_let_on_or_after_start"),
            models.CheckConstraint(
                condition=Q(stage="let", let_date__isnull=False)
                | (~Q(stage="let") & Q(let_date__isnull=True)),
                name="void_let_date_iff_let"),
        ]

    def __str__(self) -> str:
        return f"Void {self.reference}"

    @builtins.property
    def is_open(self) -> bool:
        return self.let_date is None


class StageChange(models.Model):
    """The void's stage history: one row per move, never edited."""

    void = models.ForeignKey(VoidPeriod, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    on = models.DateField()
    summary = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.summary


class Inspection(models.Model):
    """What the void inspection found. The works it raised are orders on the void's repair
    request; `items` keeps the checklist lines ticked, as [{label, sor_code, quantity}]."""

    void = models.ForeignKey(VoidPeriod, on_delete=models.CASCADE, related_name="inspections")
    inspected_on = models.DateField()
    void_type = models.CharField(max_length=10, choices=VoidType.choices)
    notes = models.TextField(blank=True)
    items = models.JSONField(default=list, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["inspected_on", "pk"]

    def __str__(self) -> str:
        return f"Inspection of {self.void} on {self.inspected_on}"


class SafetyCheck(models.Model):
    """A gas or electrical safety check done while the home is void. Ready to let needs one of
    each, dated in the void."""

    class Kind(models.TextChoices):
        GAS = "gas", "Gas safety check"
        ELECTRICAL = "electrical", "Electrical safety check (EICR)"

    class Outcome(models.TextChoices):
        SATISFACTORY = "satisfactory", "Satisfactory"
        NO_SUPPLY = "no_supply", "No gas supply: nothing to check"

    void = models.ForeignKey(VoidPeriod, on_delete=models.CASCADE, related_name="safety_checks")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    outcome = models.CharField(max_length=14, choices=Outcome.choices,
                               default=Outcome.SATISFACTORY)
    done_on = models.DateField()
    certificate_reference = models.CharField(max_length=60, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["kind", "done_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="electrical", outcome="no_supply"),
                                   name="electrical_check_has_no_no_supply"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.done_on}"


class Offer(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn by the council"

    void = models.ForeignKey(VoidPeriod, on_delete=models.CASCADE, related_name="offers")
    applicant_name = models.CharField(max_length=120)
    applicant_reference = models.CharField(
        max_length=30, blank=True, help_text="The housing register or transfer reference.")
    offered_on = models.DateField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_on = models.DateField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["offered_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["void"], name="one_live_offer_per_void",
                                    condition=Q(outcome__in=["pending", "accepted"])),
            models.CheckConstraint(
                condition=~Q(outcome="refused") | ~Q(refusal_reason=""),
                name="refused_offer_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Offer to {self.applicant_name} on {self.offered_on}"


class OccupancyChange(models.Model):
    """A home fell void, or was let: what Council Tax billing needs. Recorded once per home,
    event and date."""

    class Event(models.TextChoices):
        VOID = "void", "Void from"
        LET = "let", "Let from"

    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="occupancy_changes")
    void = models.ForeignKey(VoidPeriod, on_delete=models.PROTECT, related_name="changes")
    event = models.CharField(max_length=4, choices=Event.choices)
    date = models.DateField()
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["recorded_at"], name="occupancy_recorded_at")]
        constraints = [
            models.UniqueConstraint(fields=["property", "event", "date"],
                                    name="occupancy_change_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.date}"


class LettingLog(models.Model):
    """The CORE lettings log record of a new letting, as it stood at sign-up (docs/voids.md
    gives the CSV layout)."""

    void = models.OneToOneField(VoidPeriod, on_delete=models.PROTECT, related_name="letting")
    tenancy = models.OneToOneField("tenancies.Tenancy", on_delete=models.PROTECT,
                                   related_name="letting_log")
    uprn = models.CharField(max_length=12)
    postcode = models.CharField(max_length=10)
    property_type = models.CharField(max_length=20)
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    tenancy_type = models.CharField(max_length=20)
    start_date = models.DateField()
    weekly_rent_pence = models.BigIntegerField()
    weekly_service_pence = models.BigIntegerField()
    vacancy_reason = models.CharField(max_length=20, choices=VoidPeriod.VacancyReason.choices)
    void_date = models.DateField(help_text="The previous tenancy's end, or the first void day.")
    relet_date = models.DateField()
    times_offered = models.PositiveSmallIntegerField()
    void_type = models.CharField(max_length=10, choices=VoidType.choices, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["start_date", "pk"]
        indexes = [models.Index(fields=["start_date"], name="letting_log_start")]

    def __str__(self) -> str:
        return f"Letting of {self.uprn} from {self.start_date}"
