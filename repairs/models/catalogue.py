"""What repairs are ordered from and by whom: trades, the Schedule of Rates (dated prices),
priorities and their targets, contractors with their users, contracts and contract prices,
daily capacity, and spend limits. All of it is configuration administrators keep in the admin
(and the SOR by import)."""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from simple_history.models import HistoricalRecords

from tenancies.models import DateRange


class Trade(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=60)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SorCode(models.Model):
    """One dated version of a Schedule of Rates code: a new price is a new row from its start
    date (the one before it ends the day before). Work order lines point at the version in
    force when they were added, so a later price never changes an order."""

    code = models.CharField("SOR code", max_length=20)
    description = models.CharField(max_length=300)
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, related_name="sor_codes")
    unit = models.CharField(max_length=20, help_text="each, m, m², hour, item...")
    unit_price_pence = models.BigIntegerField("unit price (pence)")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "start_date"]
        verbose_name = "SOR code"
        constraints = [
            ExclusionConstraint(
                name="one_sor_price_at_a_time",
                expressions=[("code", RangeOperators.EQUAL),
                             (DateRange("start_date", "end_date"), RangeOperators.OVERLAPS)]),
            models.CheckConstraint(condition=models.Q(unit_price_pence__gte=0),
                                   name="sor_price_not_negative"),
            models.CheckConstraint(condition=models.Q(end_date__isnull=True)
                                   | models.Q(end_date__gte=models.F("start_date")),
                                   name="sor_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class Priority(models.Model):
    """A repair priority and its target: a number of hours (an emergency: attend and make
    safe within 24 hours) or of working days (housing.workdays), or none (planned work).
    An order keeps the target date worked out when it was raised. A priority for void works
    (`void_type` set) gives void works orders their target by void type; it is not offered
    for responsive repairs, nor counted in RP02."""

    class VoidWorks(models.TextChoices):
        STANDARD = "standard", "Standard void"
        MAJOR = "major", "Major works void"

    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField(default=0)
    target_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    target_working_days = models.PositiveSmallIntegerField(null=True, blank=True)
    is_emergency = models.BooleanField(
        default=False, help_text="Reported apart as emergency repairs (TSM RP02).")
    active = models.BooleanField(default=True)
    void_type = models.CharField(
        max_length=10, choices=VoidWorks.choices, blank=True,
        help_text="Set for the priority void works of this type are raised at.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "priorities"
        constraints = [
            models.CheckConstraint(condition=models.Q(target_hours__isnull=True)
                                   | models.Q(target_working_days__isnull=True),
                                   name="priority_target_in_hours_or_days"),
            models.UniqueConstraint(fields=["void_type"], name="one_priority_per_void_type",
                                    condition=~models.Q(void_type="")),
        ]

    def __str__(self) -> str:
        return self.name


class Contractor(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContractorMember(models.Model):
    """A contractor portal user and the company they work for: one company each, so the
    portal scopes everything to request.user's contractor."""

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="contractor_membership")

    def __str__(self) -> str:
        return f"{self.user} at {self.contractor}"


class Contract(models.Model):
    """What a contractor is engaged for: trades, patches (none: every patch), prices and
    dates."""

    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT,
                                   related_name="contracts")
    reference = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    trades = models.ManyToManyField(Trade, related_name="contracts")
    patches = models.ManyToManyField("housing.Patch", blank=True, related_name="contracts",
                                     help_text="Leave empty for every patch.")
    history = HistoricalRecords(m2m_fields=[trades, patches])

    class Meta:
        ordering = ["contractor", "-start_date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__isnull=True)
                                   | models.Q(end_date__gte=models.F("start_date")),
                                   name="contract_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"


class ContractRate(models.Model):
    """The contract's price for an SOR code (any version of it): the price orders under the
    contract use, and invoices are checked against."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="rates")
    code = models.CharField("SOR code", max_length=20)
    unit_price_pence = models.BigIntegerField("unit price (pence)")
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "code"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "code"], name="one_rate_per_code"),
            models.CheckConstraint(condition=models.Q(unit_price_pence__gte=0),
                                   name="contract_rate_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.unit_price_pence}p"


class Capacity(models.Model):
    """How many appointments a contractor takes in a day for a trade: morning (8-12) and
    afternoon (12-6). An all-day appointment takes one of each."""

    contractor = models.ForeignKey(Contractor, on_delete=models.CASCADE,
                                   related_name="capacities")
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, related_name="+")
    am_jobs = models.PositiveSmallIntegerField("morning appointments a day")
    pm_jobs = models.PositiveSmallIntegerField("afternoon appointments a day")
    history = HistoricalRecords()

    class Meta:
        ordering = ["contractor", "trade"]
        verbose_name_plural = "capacities"
        constraints = [
            models.UniqueConstraint(fields=["contractor", "trade"],
                                    name="one_capacity_per_trade"),
        ]

    def __str__(self) -> str:
        return f"{self.contractor}, {self.trade}: {self.am_jobs} am, {self.pm_jobs} pm"


class SpendLimit(models.Model):
    """The most a person may order without approval: set for a user, or for a role (a
    group); a user's own limit wins over their roles', and among roles the highest counts."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                                blank=True, related_name="spend_limit")
    group = models.OneToOneField("auth.Group", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="spend_limit", verbose_name="role")
    limit_pence = models.BigIntegerField("limit (pence)")
    history = HistoricalRecords()

    class Meta:
        ordering = ["group__name", "user__email"]
        constraints = [
            models.CheckConstraint(condition=models.Q(user__isnull=True, group__isnull=False)
                                   | models.Q(user__isnull=False, group__isnull=True),
                                   name="spend_limit_for_a_user_or_a_role"),
            models.CheckConstraint(condition=models.Q(limit_pence__gte=0),
                                   name="spend_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.group}: {self.limit_pence}p"
