"""Tenancies, the people in them, and the history of their events."""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import Func
from simple_history.models import HistoricalRecords


class DateRange(Func):
    """daterange(start, end, '[]'): both days included, an open end runs for ever."""

    function = "daterange"
    output_field = DateRangeField()

    def __init__(self, start, end):
        super().__init__(start, end, models.Value("[]"))


class Tenancy(models.Model):
    class TenancyType(models.TextChoices):
        INTRODUCTORY = "introductory", "Introductory"
        SECURE = "secure", "Secure"
        FLEXIBLE = "flexible", "Flexible (fixed term)"
        LICENCE = "licence", "Licence"
        TEMPORARY = "temporary", "Temporary accommodation"

    class EndReason(models.TextChoices):
        NOTICE = "notice", "Tenant's notice"
        DEATH = "death", "Death"
        EVICTION = "eviction", "Eviction"
        ABANDONMENT = "abandonment", "Abandonment"
        TRANSFER = "transfer", "Transfer"
        MUTUAL_EXCHANGE = "mutual_exchange", "Mutual exchange"
        ASSIGNMENT = "assignment", "Assignment"
        RIGHT_TO_BUY = "right_to_buy", "Right to Buy sale"

    reference = models.CharField(max_length=20, unique=True)
    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="tenancies")
    tenancy_type = models.CharField(max_length=20, choices=TenancyType.choices)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    introductory_end_date = models.DateField(
        null=True, blank=True,
        help_text="When an introductory tenancy becomes secure: 12 months, extendable to 18.")
    fixed_term_end_date = models.DateField(null=True, blank=True)
    notice_received_date = models.DateField(null=True, blank=True)
    succession_used = models.BooleanField(
        default=False, help_text="A tenancy allows one statutory succession.")
    history = HistoricalRecords()
    patch_lookup = "property__patch"

    class Meta:
        verbose_name_plural = "tenancies"
        ordering = ["-start_date"]
        permissions = [
            ("sign_up_tenancy", "Can sign up a new tenancy"),
            ("record_tenancy_event", "Can record tenancy events"),
            ("end_tenancy", "Can end a tenancy"),
        ]
        constraints = [
            # Never two live tenancies on one home at once (DOMAIN.md).
            ExclusionConstraint(
                name="one_tenancy_at_a_time_per_home",
                expressions=[
                    ("property", RangeOperators.EQUAL),
                    (DateRange("start_date", "end_date"), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="tenancy_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | ~models.Q(end_reason=""),
                name="an_ended_tenancy_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def is_live_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class TenancyMember(models.Model):
    """A person in a tenancy: a tenant (sole or joint) or a household member, for a period."""

    class Role(models.TextChoices):
        TENANT = "tenant", "Tenant"
        HOUSEHOLD = "household", "Household member"

    tenancy = models.ForeignKey(Tenancy, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("housing.Person", on_delete=models.PROTECT,
                               related_name="tenancy_links")
    role = models.CharField(max_length=10, choices=Role.choices)
    relationship = models.CharField(max_length=40, blank=True,
                                    help_text="To the lead tenant, e.g. partner, son, carer.")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["role", "start_date"]
        constraints = [
            ExclusionConstraint(
                name="a_person_is_in_a_tenancy_once_at_a_time",
                expressions=[
                    ("tenancy", RangeOperators.EQUAL),
                    ("person", RangeOperators.EQUAL),
                    (DateRange("start_date", "end_date"), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="member_leaves_after_joining",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) in {self.tenancy}"


class TenancyEvent(models.Model):
    """One row per event in a tenancy's life, written by the service that made it."""

    class Kind(models.TextChoices):
        SIGN_UP = "sign_up", "Sign-up"
        CONVERSION = "conversion", "Introductory to secure"
        EXTENSION = "extension", "Introductory period extended"
        SUCCESSION = "succession", "Succession"
        ASSIGNMENT = "assignment", "Assignment"
        MUTUAL_EXCHANGE = "mutual_exchange", "Mutual exchange"
        SOLE_TO_JOINT = "sole_to_joint", "Sole to joint"
        JOINT_TO_SOLE = "joint_to_sole", "Joint to sole"
        CHANGE_OF_NAME = "change_of_name", "Change of name"
        HOUSEHOLD_CHANGE = "household_change", "Household change"
        NOTICE = "notice", "Notice received"
        END = "end", "Tenancy ended"

    tenancy = models.ForeignKey(Tenancy, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    effective_date = models.DateField()
    summary = models.CharField(max_length=300)
    details = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-effective_date", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["tenancy", "-effective_date"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_date}"


class Letter(models.Model):
    """A letter sent to a tenancy's household, kept as the PDF that was produced (rent changes,
    arrears, repair appointments). `key` names what it is about, so a rerun
    of the job that produced it makes no second copy."""

    class Kind(models.TextChoices):
        RENT_CHANGE = "rent_change", "Rent change"
        ARREARS = "arrears", "Arrears"
        REPAIR = "repair", "Repair appointment"

    tenancy = models.ForeignKey(Tenancy, on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=100, help_text="For example rent-review-3.")
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="letters/%Y/%m/")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    job = models.ForeignKey("housing.BackgroundJob", on_delete=models.SET_NULL, null=True,
                            blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenancy", "kind", "key"], name="letter_made_once"),
        ]

    def __str__(self) -> str:
        return self.title
