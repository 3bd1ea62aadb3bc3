"""Rent accounting: rent years and weeks (configuration), charges on homes, rent accounts and
their append-only ledger.

Sign convention: a transaction's `amount_pence` is positive for a debit (a charge the tenant
owes) and negative for a credit (a payment, a benefit credit, a reversal of a charge). The
balance of an account is the sum of its rows: positive means arrears, negative means credit.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from simple_history.models import HistoricalRecords

from tenancies.models import DateRange


class RentYear(models.Model):
    """1 April to 31 March. Administrators keep these; a rent run refuses a week whose year
    has not been set up."""

    label = models.CharField(max_length=7, unique=True, help_text="For example 2026/27.")
    start_date = models.DateField(unique=True)
    end_date = models.DateField(unique=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date"]

    def __str__(self) -> str:
        return self.label


class RentWeek(models.Model):
    """A rent week starts on a Monday. A rent-free week posts no charges."""

    rent_year = models.ForeignKey(RentYear, on_delete=models.CASCADE, related_name="weeks")
    number = models.PositiveSmallIntegerField()
    start_date = models.DateField(unique=True)
    rent_free = models.BooleanField(default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["start_date"]
        permissions = [("run_rent", "Can run the weekly rent")]
        constraints = [
            models.UniqueConstraint(fields=["rent_year", "number"], name="week_number_once"),
            models.CheckConstraint(
                condition=models.Q(start_date__week_day=2), name="rent_week_starts_on_monday"),
        ]

    def __str__(self) -> str:
        return f"Week {self.number} of {self.rent_year} ({self.start_date:%d %b %Y})"


class ChargeType(models.Model):
    """Net rent and each service charge. Whether Housing Benefit or the housing element of
    Universal Credit can pay it matters for statements and arrears."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=80, unique=True)
    benefit_eligible = models.BooleanField(
        "eligible for Housing Benefit / Universal Credit", default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Charge(models.Model):
    """A weekly charge on a home from a date. Charges of the same type on one home never
    overlap."""

    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="charges")
    charge_type = models.ForeignKey(ChargeType, on_delete=models.PROTECT)
    weekly_pence = models.BigIntegerField()
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["charge_type__order", "start_date"]
        constraints = [
            ExclusionConstraint(
                name="one_charge_of_a_type_at_a_time",
                expressions=[
                    ("property", RangeOperators.EQUAL),
                    ("charge_type", RangeOperators.EQUAL),
                    (DateRange("start_date", "end_date"), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(condition=models.Q(weekly_pence__gte=0),
                                   name="charge_not_negative"),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="charge_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.charge_type} £{self.weekly_pence / 100:.2f} a week from {self.start_date}"


class RentAccount(models.Model):
    class Kind(models.TextChoices):
        RENT = "rent", "Rent"
        LEASEHOLD = "leasehold", "Leaseholder"
        SUNDRY = "sundry", "Sundry (recharges)"
        SUSPENSE = "suspense", "Suspense"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.RENT)
    tenancy = models.ForeignKey("tenancies.Tenancy", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="accounts")
    payment_reference = models.CharField(
        max_length=20, unique=True,
        help_text="What payers quote (Allpay card, bank reference): it keys payment files.")
    opened_on = models.DateField()
    patch_lookup = "tenancy__property__patch"

    class Meta:
        ordering = ["payment_reference"]
        constraints = [
            models.UniqueConstraint(fields=["tenancy", "kind"], name="one_account_per_kind",
                                    condition=models.Q(tenancy__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} account {self.payment_reference}"


class Transaction(models.Model):
    """One row of the ledger. Rows are never changed or deleted (a database trigger refuses
    it); a correction is a reversing row pointing at the row it reverses."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        PAYMENT = "payment", "Payment"
        BENEFIT = "benefit", "Housing Benefit"
        ADJUSTMENT = "adjustment", "Adjustment"
        REVERSAL = "reversal", "Reversal"
        WRITE_OFF = "write_off", "Write-off"
        TRANSFER = "transfer", "Transfer"
        REFUND = "refund", "Refund"

    class Method(models.TextChoices):
        DIRECT_DEBIT = "direct_debit", "Direct Debit"
        CARD = "card", "Card"
        ALLPAY = "allpay", "Allpay / PayPoint / Post Office"
        BANK_TRANSFER = "bank_transfer", "Bank transfer"
        STANDING_ORDER = "standing_order", "Standing order"
        CASH = "cash", "Cash at the office"

    class Source(models.TextChoices):
        RENT_RUN = "rent_run", "Rent run"
        PAYMENT_FILE = "payment_file", "Payment file"
        BENEFIT_FILE = "benefit_file", "Housing Benefit file"
        OFFICER = "officer", "Officer"

    # No index of its own: ledger_account_order leads with the account and serves every
    # lookup by account (a second index would only add writes to every posting).
    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT,
                                related_name="transactions", db_index=False)
    posted_on = models.DateField()
    rent_week = models.ForeignKey(RentWeek, on_delete=models.PROTECT, null=True, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    charge_type = models.ForeignKey(ChargeType, on_delete=models.PROTECT, null=True,
                                    blank=True)
    method = models.CharField(max_length=20, choices=Method.choices, blank=True)
    amount_pence = models.BigIntegerField(help_text="Debits positive, credits negative.")
    reference = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=15, choices=Source.choices)
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    job = models.ForeignKey("housing.BackgroundJob", on_delete=models.PROTECT, null=True,
                            blank=True, related_name="+")
    payment_file = models.ForeignKey("PaymentFile", on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="transactions")

    class Meta:
        ordering = ["-posted_on", "-id"]
        permissions = [("record_adjustment",
                        "Can post adjustments, reversals, transfers and refunds")]
        # The account page and statements read an account's rows in this order, and its
        # balance sums their amounts: with the amount in the index that sum is an index-only
        # scan, not one table page per row of history.
        indexes = [models.Index(fields=["account", "posted_on", "id"], include=["amount_pence"],
                                name="ledger_account_order")]
        constraints = [
            # A rent run posts one charge per account, week and charge type, however often
            # it is run or retried: the rerun's rows conflict and are skipped.
            models.UniqueConstraint(
                fields=["account", "rent_week", "charge_type"],
                condition=models.Q(kind="charge", source="rent_run"),
                name="one_rent_charge_per_week_and_type"),
            # A Housing Benefit file credits an account once per rent week and claim (the
            # reference is "<payment reference> HB claim <claim>": rents.payment_files),
            # however often the file is sent again, whatever its bytes.
            models.UniqueConstraint(
                fields=["account", "rent_week", "reference"],
                condition=models.Q(kind="benefit", source="benefit_file"),
                name="benefit_credit_once"),
            models.CheckConstraint(condition=~models.Q(amount_pence=0),
                                   name="transaction_not_zero"),
            models.CheckConstraint(
                condition=~models.Q(kind="charge") | models.Q(amount_pence__gt=0),
                name="charge_is_a_debit"),
            models.CheckConstraint(
                condition=~models.Q(kind="payment") | models.Q(amount_pence__lt=0),
                name="payment_is_a_credit"),
            models.CheckConstraint(
                condition=~models.Q(kind="reversal") | models.Q(reverses__isnull=False),
                name="reversal_points_at_its_row"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_pence}p on {self.posted_on}"


class PaymentFile(models.Model):
    """An imported payment or Housing Benefit file. The same file (by SHA-256) is imported
    once; a refused file keeps its bad lines for the officer to read."""

    class Kind(models.TextChoices):
        PAYMENTS = "payments", "Payments"
        BENEFIT = "benefit", "Housing Benefit credits"

    class Layout(models.TextChoices):
        CSV = "csv", "Payments CSV (this system's layout)"
        ALLPAY = "allpay", "Allpay / PayPoint transaction file (fixed width)"
        BENEFIT_CSV = "benefit_csv", "Housing Benefit weekly CSV"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        IMPORTED = "imported", "Imported"
        REFUSED = "refused", "Refused"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    layout = models.CharField(max_length=12, choices=Layout.choices)
    name = models.CharField(max_length=255)
    file = models.FileField(upload_to="payment-files/%Y/%m/")
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField()
    imported_at = models.DateTimeField(null=True, blank=True)
    line_count = models.PositiveIntegerField(default=0)
    total_pence = models.BigIntegerField(default=0)
    suspense_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True,
                              help_text="Each bad line: its number and the reason.")
    job = models.ForeignKey("housing.BackgroundJob", on_delete=models.SET_NULL, null=True,
                            blank=True, related_name="+")

    class Meta:
        ordering = ["-uploaded_at"]
        permissions = [("import_payment_file", "Can import payment and benefit files")]
        constraints = [
            models.UniqueConstraint(fields=["sha256"], name="file_imported_once",
                                    condition=models.Q(status="imported")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} file {self.name}"


class Transfer(models.Model):
    """Money moved between two accounts: a debit on one (`out_entry`) and a credit on the other
    (`in_entry`), posted together. Allocating a payment from suspense is a transfer from the
    suspense account; this row is its history (who, when, why)."""

    out_entry = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="+")
    in_entry = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="+")
    allocates = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="allocation",
        help_text="The suspense payment this allocates, when it is an allocation.")
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("allocate_suspense", "Can allocate payments from suspense")]

    def __str__(self) -> str:
        return f"Transfer of {self.in_entry.amount_pence}p: {self.reason}"


class WriteOff(models.Model):
    """A write-off is requested by one person and approved by another before its ledger row
    is posted."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved and posted"
        REJECTED = "rejected", "Rejected"

    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT, related_name="write_offs")
    amount_pence = models.BigIntegerField(help_text="The debt written off, in pence (positive).")
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    entry = models.OneToOneField(Transaction, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="write_off")

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("approve_write_off", "Can approve a write-off")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_pence__gt=0),
                                   name="write_off_positive"),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="write_off_not_approved_by_requester"),
        ]

    def __str__(self) -> str:
        return f"Write-off of {self.amount_pence}p ({self.get_status_display()})"
