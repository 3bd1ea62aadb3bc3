"""Annual rent setting: each year's policy, formula rents, and the rent reviews (maker and
checker) with a line per home."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from rents.models.ledger import RentYear


class RentPolicy(models.Model):
    """The rent-setting rules for one rent year, dated by the year the new rents take effect
    (the Rent Standard: CPI of the previous September + 1%, and from April 2027 a convergence
    uplift for homes below formula rent). Percentages and pounds are separate typed fields, so
    a 2.70% rise cannot be keyed as £2.70."""

    rent_year = models.OneToOneField(RentYear, on_delete=models.PROTECT, related_name="policy")
    cpi_percent = models.DecimalField(
        "CPI (previous September), %", max_digits=5, decimal_places=2,
        help_text="A percentage, for example 1.70 for 1.7%.")
    limit_margin_percent = models.DecimalField(
        "added to CPI for the limit, %", max_digits=5, decimal_places=2, default=1,
        help_text="A percentage: the limit is CPI plus this (1.00 under the Rent Standard).")
    convergence_pence = models.BigIntegerField(
        "convergence uplift, pence a week", default=0,
        help_text="Pence a week on top of the limit for homes below formula rent, never "
                  "taking them above it: 100 (£1) from April 2027, 200 (£2) from April 2028.")
    outlier_change_pence = models.BigIntegerField(
        "flag a change over, pence a week", default=500,
        help_text="Any home whose weekly rent would change by more than this is flagged.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["rent_year__start_date"]
        verbose_name_plural = "rent policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(cpi_percent__gte=-20, cpi_percent__lte=50),
                                   name="cpi_percent_plausible"),
            models.CheckConstraint(condition=models.Q(convergence_pence__gte=0),
                                   name="convergence_not_negative"),
        ]

    def __str__(self) -> str:
        return f"Rent policy for {self.rent_year}"


class FormulaRent(models.Model):
    """A home's formula rent for a rent year (weekly, pence). It rises each year by the
    same CPI + 1% as rents; the convergence uplift never takes a rent above it."""

    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="formula_rents")
    rent_year = models.ForeignKey(RentYear, on_delete=models.PROTECT, related_name="+")
    weekly_pence = models.BigIntegerField()

    class Meta:
        ordering = ["rent_year__start_date"]
        constraints = [
            models.UniqueConstraint(fields=["property", "rent_year"],
                                    name="one_formula_rent_a_year"),
            models.CheckConstraint(condition=models.Q(weekly_pence__gt=0),
                                   name="formula_rent_positive"),
        ]

    def __str__(self) -> str:
        return f"Formula rent {self.weekly_pence}p for {self.rent_year}"


class RentReview(models.Model):
    """One year's rent setting: proposed by one person (the maker), approved by another (the
    checker). Only an approved review changes charges, from the year's first rent week."""

    class Status(models.TextChoices):
        PREPARING = "preparing", "Preparing the preview"
        PROPOSED = "proposed", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    rent_year = models.ForeignKey(RentYear, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    job = models.ForeignKey("housing.BackgroundJob", on_delete=models.SET_NULL, null=True,
                            blank=True, related_name="+")

    class Meta:
        ordering = ["-proposed_at"]
        permissions = [("propose_rent_review", "Can propose a rent review"),
                       ("approve_rent_review", "Can approve a rent review")]
        constraints = [
            models.UniqueConstraint(fields=["rent_year"], name="one_approved_review_a_year",
                                    condition=models.Q(status="approved")),
            # The database, too, refuses self-approval.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("proposed_by")),
                name="review_not_decided_by_its_maker"),
        ]

    def __str__(self) -> str:
        return f"Rent review for {self.rent_year} ({self.get_status_display()})"


class RentReviewLine(models.Model):
    """One home in a review: its old and new net rent, formula rent and the rule applied."""

    class Rule(models.TextChoices):
        LIMIT = "limit", "CPI + 1%"
        CONVERGENCE = "convergence", "CPI + 1% and convergence uplift"
        FORMULA_CAP = "formula_cap", "Capped at formula rent"
        ABOVE_FORMULA = "above_formula", "CPI + 1% (already at or above formula rent)"

    review = models.ForeignKey(RentReview, on_delete=models.CASCADE, related_name="lines")
    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT, related_name="+")
    old_pence = models.BigIntegerField()
    new_pence = models.BigIntegerField()
    old_formula_pence = models.BigIntegerField(null=True, blank=True)
    new_formula_pence = models.BigIntegerField(null=True, blank=True)
    rule = models.CharField(max_length=15, choices=Rule.choices)
    above_limit = models.BooleanField(default=False)
    falls = models.BooleanField(default=False)
    large_change = models.BooleanField(default=False)

    class Meta:
        ordering = ["property_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "property"], name="one_line_per_home"),
        ]

    def __str__(self) -> str:
        return f"{self.property_id}: {self.old_pence}p to {self.new_pence}p"

    def is_flagged(self) -> bool:
        return self.above_limit or self.falls or self.large_change
