"""Repair requests and the work orders they become: SOR lines, variations, the status flow
with its history, appointments, invoices and recharges.

The status flow (repairs.workflow.TRANSITIONS holds the allowed moves; one service per move
writes a WorkOrderEvent): raised (waiting for approval, over the raiser's spend limit) ->
approved -> issued -> booked (appointment) -> in progress -> completed -> invoiced -> paid;
also cancelled, and no access (rebooked from there).
"""

from django.conf import settings
from django.db import models

from repairs.models.catalogue import Contract, Contractor, Priority, SorCode, Trade


class RepairRequest(models.Model):
    """A repair reported by a tenant, an officer or an inspection: the home, where in it, what
    is wrong, how urgent. It becomes one or more work orders."""

    class Location(models.TextChoices):
        KITCHEN = "kitchen", "Kitchen"
        BATHROOM = "bathroom", "Bathroom or toilet"
        BEDROOM = "bedroom", "Bedroom"
        LIVING = "living", "Living room"
        HALL = "hall", "Hall, stairs or landing"
        WHOLE = "whole", "Whole home (heating, water, electrics)"
        OUTSIDE = "outside", "Outside: roof, walls, windows, garden"
        COMMUNAL = "communal", "Communal area"
        OTHER = "other", "Somewhere else"

    class Channel(models.TextChoices):
        PHONE = "phone", "Phone"
        IN_PERSON = "in_person", "In person"
        EMAIL = "email", "Email"
        PORTAL = "portal", "Tenant portal"
        OFFICER = "officer", "Officer"
        INSPECTION = "inspection", "Inspection"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=12, unique=True)
    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="repair_requests")
    location = models.CharField(max_length=20, choices=Location.choices)
    location_detail = models.CharField(max_length=120, blank=True)
    description = models.TextField()
    access_notes = models.TextField(blank=True, help_text="Key safe, times to avoid, pets...")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    is_damp_mould = models.BooleanField(
        "damp or mould", default=False,
        help_text="Opens an Awaab's Law hazard case with its statutory clocks.")
    reported_by = models.ForeignKey("housing.Person", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="repair_requests")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    patch_lookup = "property__patch"

    class Meta:
        ordering = ["-raised_at"]
        permissions = [("raise_repair", "Can raise a repair request")]
        indexes = [models.Index(fields=["property", "-raised_at"])]

    def __str__(self) -> str:
        return self.reference


class WorkOrder(models.Model):
    class Status(models.TextChoices):
        RAISED = "raised", "Waiting for approval"
        APPROVED = "approved", "Approved"
        ISSUED = "issued", "Issued to the contractor"
        BOOKED = "booked", "Appointment booked"
        IN_PROGRESS = "in_progress", "In progress"
        NO_ACCESS = "no_access", "No access"
        COMPLETED = "completed", "Completed"
        INVOICED = "invoiced", "Invoiced"
        PAID = "paid", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=12, unique=True)
    request = models.ForeignKey(RepairRequest, on_delete=models.PROTECT, related_name="orders")
    property = models.ForeignKey("housing.Property", on_delete=models.PROTECT,
                                 related_name="work_orders")
    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="orders")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="orders")
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, related_name="+")
    priority = models.ForeignKey(Priority, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RAISED)
    description = models.TextField()
    value_pence = models.BigIntegerField(
        default=0, help_text="The sum of its lines, approved variations included.")
    target_at = models.DateTimeField(
        null=True, blank=True, help_text="For a target in hours: attend by then.")
    target_date = models.DateField(null=True, blank=True,
                                   help_text="Complete by the end of this day (none: planned).")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="follow_ons", help_text="The order this follows on.")
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True,
                                       help_text="When the contractor accepted it.")
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_on = models.DateField(null=True, blank=True)
    completion_notes = models.TextField(blank=True)
    no_access_count = models.PositiveSmallIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    patch_lookup = "property__patch"

    class Meta:
        ordering = ["-raised_at"]
        permissions = [
            ("raise_workorder", "Can raise a work order"),
            ("approve_workorder", "Can approve a work order within their spend limit"),
            ("manage_workorder", "Can issue, cancel and close work orders"),
            ("override_appointment", "Can book an appointment outside capacity or target"),
            ("approve_invoice", "Can approve a contractor's invoice"),
        ]
        indexes = [
            models.Index(fields=["contractor", "status"]),
            # The contractor portal's counts by status: an index-only scan of issued orders.
            models.Index(fields=["contractor", "status"], include=["id"],
                         condition=models.Q(issued_at__isnull=False),
                         name="order_issued_by_contractor"),
            models.Index(fields=["status", "target_date"]),
            models.Index(fields=["property", "-raised_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(value_pence__gte=0),
                                   name="order_value_not_negative"),
            models.CheckConstraint(
                condition=models.Q(completed_at__isnull=True)
                | models.Q(issued_at__isnull=False, completed_at__gte=models.F("issued_at")),
                name="completed_after_issue"),
        ]

    def __str__(self) -> str:
        return self.reference


class Variation(models.Model):
    """Lines added or changed after issue: approved against the approver's spend limit on the
    order's new total. Until then its lines do not count in the order's value."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="variations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    reason = models.TextField()
    old_value_pence = models.BigIntegerField()
    new_value_pence = models.BigIntegerField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=models.Q(status="requested"),
                                    name="one_variation_waiting"),
        ]

    def __str__(self) -> str:
        return f"Variation {self.pk} to {self.order}"


class WorkOrderLine(models.Model):
    """An SOR line: the code version in force when it was added, the quantity and the unit
    price the order pays (the contract's price where it has one). value = quantity x unit
    price, rounded once to the penny, halves up."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="lines")
    sor = models.ForeignKey(SorCode, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=9, decimal_places=2)
    unit_price_pence = models.BigIntegerField()
    value_pence = models.BigIntegerField()
    variation = models.ForeignKey(Variation, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="lines")
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+",
                                 help_text="A variation's change of a line: the line it replaces.")

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0),
                                   name="line_quantity_positive"),
            models.CheckConstraint(condition=models.Q(unit_price_pence__gte=0),
                                   name="line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.sor.code} x {self.quantity}"


class WorkOrderEvent(models.Model):
    """The order's history: one row per change of status (and per rebooking, variation and
    invoice step), with who and when."""

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, choices=WorkOrder.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=WorkOrder.Status.choices)
    summary = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                           blank=True, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return self.summary


class RepairPhoto(models.Model):
    request = models.ForeignKey(RepairRequest, on_delete=models.CASCADE, related_name="photos")
    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="photos", help_text="Taken on completing the order.")
    image = models.ImageField(upload_to="repairs/photos/%Y/%m/")
    caption = models.CharField(max_length=120, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return f"Photo {self.pk} of {self.request}"


class Appointment(models.Model):
    class Slot(models.TextChoices):
        AM = "am", "Morning, 8am to 12 noon"
        PM = "pm", "Afternoon, 12 noon to 6pm"
        ALL_DAY = "all_day", "All day, 8am to 6pm"

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        MOVED = "moved", "Rebooked"
        CANCELLED = "cancelled", "Cancelled"
        ATTENDED = "attended", "Attended"
        NO_ACCESS = "no_access", "No access"

    order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="appointments")
    date = models.DateField()
    slot = models.CharField(max_length=10, choices=Slot.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    booked_at = models.DateTimeField()
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text="The supervisor who booked it outside capacity or target.")
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["date", "slot"]
        indexes = [models.Index(fields=["date", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=models.Q(status="booked"),
                                    name="one_booked_appointment"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_slot_display()}"


class Invoice(models.Model):
    """A contractor's invoice for a completed order, checked line by line against the
    order's lines and prices (approved variations included)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted: matches the order"
        QUERIED = "queried", "Queried with the contractor"
        APPROVED = "approved", "Approved for payment"
        PAID = "paid", "Paid"
        WITHDRAWN = "withdrawn", "Withdrawn"

    contractor = models.ForeignKey(Contractor, on_delete=models.PROTECT, related_name="invoices")
    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField("invoice number", max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices)
    total_pence = models.BigIntegerField()
    query = models.TextField(blank=True, help_text="The lines that do not match, named.")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["contractor", "number"],
                                    name="invoice_number_once_per_contractor"),
            models.UniqueConstraint(fields=["order"],
                                    condition=~models.Q(status__in=["queried", "withdrawn"]),
                                    name="one_live_invoice_per_order"),
        ]

    def __str__(self) -> str:
        return f"{self.contractor} invoice {self.number}"


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField("SOR code", max_length=20)
    quantity = models.DecimalField(max_digits=9, decimal_places=2)
    unit_price_pence = models.BigIntegerField()
    value_pence = models.BigIntegerField()
    problem = models.CharField(max_length=200, blank=True,
                               help_text="Why it does not match the order, if it does not.")

    class Meta:
        ordering = ["invoice", "pk"]

    def __str__(self) -> str:
        return f"{self.code} x {self.quantity}"


class Recharge(models.Model):
    """Tenant-caused damage charged to the tenancy's sundry account (a ledger row)."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="recharges")
    account = models.ForeignKey("rents.RentAccount", on_delete=models.PROTECT,
                                related_name="recharges")
    amount_pence = models.BigIntegerField()
    reason = models.TextField()
    transaction = models.OneToOneField("rents.Transaction", on_delete=models.PROTECT,
                                       related_name="recharge")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("recharge_workorder", "Can recharge a repair to the tenant")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_pence__gt=0),
                                   name="recharge_positive"),
        ]

    def __str__(self) -> str:
        return f"Recharge of {self.amount_pence}p for {self.order}"
