"""Awaab's Law (in force 27 October 2025): a hazard case for each report of damp and mould
(phase 1; more hazards follow), with its statutory clocks in hours and working days from
dated configuration, and a timeline of every step for the evidence pack."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords


class Hazard(models.TextChoices):
    DAMP_MOULD = "damp_mould", "Damp and mould"
    EXCESS_COLD = "excess_cold", "Excess cold"
    EXCESS_HEAT = "excess_heat", "Excess heat"
    FIRE = "fire", "Fire"
    ELECTRICAL = "electrical", "Electrical hazards"
    OTHER = "other", "Another hazard"


class HazardRule(models.Model):
    """The clocks for a hazard from a date (the law adds hazards in phases): the case opened
    uses the rule in force on the day the landlord became aware."""

    hazard = models.CharField(max_length=20, choices=Hazard.choices)
    effective_from = models.DateField()
    emergency_hours = models.PositiveSmallIntegerField(
        default=24, help_text="An emergency hazard: investigate and make safe within this.")
    investigate_working_days = models.PositiveSmallIntegerField(
        default=10, help_text="A significant hazard: investigate within this many working "
                              "days of becoming aware.")
    summary_working_days = models.PositiveSmallIntegerField(
        default=3, help_text="Written summary to the tenant within this many working days of "
                             "the investigation.")
    safety_works_working_days = models.PositiveSmallIntegerField(
        default=5, help_text="Begin safety works within this many working days of the "
                             "investigation.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["hazard", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["hazard", "effective_from"],
                                    name="one_hazard_rule_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_hazard_display()} from {self.effective_from}"


class HazardCase(models.Model):
    """One hazard at one home. Its deadlines are worked out when the case opens (and when the
    investigation is recorded), from the rule in force, and kept: a later rule does not move
    them."""

    class Severity(models.TextChoices):
        EMERGENCY = "emergency", "Emergency"
        SIGNIFICANT = "significant", "Significant"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    reference = models.CharField(max_length=12, unique=True)
    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="hazard_cases")
    request = models.ForeignKey("repairs.RepairRequest", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="hazard_cases")
    hazard = models.CharField(max_length=20, choices=Hazard.choices,
                              default=Hazard.DAMP_MOULD)
    severity = models.CharField(max_length=12, choices=Severity.choices,
                                default=Severity.SIGNIFICANT)
    rule = models.ForeignKey(HazardRule, on_delete=models.PROTECT, related_name="+")
    aware_at = models.DateTimeField(help_text="When the landlord became aware: the clocks "
                                              "start here.")
    description = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The clocks: each deadline, and when it was met.
    make_safe_due_at = models.DateTimeField(null=True, blank=True)
    made_safe_at = models.DateTimeField(null=True, blank=True)
    investigate_due = models.DateField(null=True, blank=True)
    investigated_on = models.DateField(null=True, blank=True)
    findings = models.TextField(blank=True)
    summary_due = models.DateField(null=True, blank=True)
    summary_sent_on = models.DateField(null=True, blank=True)
    summary_file = models.FileField(upload_to="repairs/hazards/%Y/", blank=True)
    safety_works_due = models.DateField(null=True, blank=True)
    safety_works_started_on = models.DateField(null=True, blank=True)
    alternative_offered_on = models.DateField(
        null=True, blank=True, help_text="Alternative accommodation offered, when the home "
                                         "cannot be made safe in time.")
    escalated_at = models.DateTimeField(null=True, blank=True,
                                        help_text="Sent to a Team Leader as overdue.")
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.TextField(blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    patch_lookup = "property__patch"

    class Meta:
        ordering = ["-aware_at"]
        permissions = [("work_hazardcase", "Can record steps on an Awaab's Law case")]
        indexes = [models.Index(fields=["status", "investigate_due"])]

    def __str__(self) -> str:
        return self.reference


class HazardEvent(models.Model):
    """A step on the case's timeline: a visit, the summary letter, a works order, an offer of
    alternative accommodation, a note; with who and when, and its document."""

    class Kind(models.TextChoices):
        OPENED = "opened", "Case opened"
        VISIT = "visit", "Visit or investigation"
        MADE_SAFE = "made_safe", "Made safe"
        SUMMARY = "summary", "Written summary sent"
        WORKS = "works", "Works"
        ALTERNATIVE = "alternative", "Alternative accommodation"
        ESCALATED = "escalated", "Escalated"
        NOTE = "note", "Note"
        CLOSED = "closed", "Case closed"

    case = models.ForeignKey(HazardCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    summary = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    document = models.FileField(upload_to="repairs/hazards/%Y/", blank=True)
    order = models.ForeignKey("repairs.WorkOrder", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    happened_at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-happened_at", "-pk"]

    def __str__(self) -> str:
        return self.summary
