"""Arrears recovery (income management): the escalation policy as dated configuration, the
arrears run's recommendations, pauses, payment arrangements, legal stages and the case diary.

The case is the rent account: every row here points at one.
"""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from rents.models.ledger import RentAccount


class LetterTemplate(models.Model):
    """A letter administrators edit in the admin. The body is Django template text with the
    case's figures (see rents.arrears for the names it may use)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Paragraphs separated by a blank line. Figures such as "
                                      "{{ owed }}, {{ weekly_rent }}, {{ weeks_owed }}, "
                                      "{{ tenant_names }} are filled in.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArrearsPolicy(models.Model):
    """An escalation policy in force from a date: its stages, in order. The arrears run uses
    the policy in force on the day it runs."""

    name = models.CharField(max_length=100)
    effective_from = models.DateField(unique=True)
    notes = models.TextField(blank=True)
    arrangement_max_weeks = models.PositiveSmallIntegerField(
        "longest arrangement without a manager's approval, weeks", default=104,
        help_text="An arrangement that would not clear the debt within this many weeks needs "
                  "a Team Leader's approval.")
    breach_tolerance_pence = models.BigIntegerField(
        "breach tolerance (pence)", default=500,
        help_text="Pence: an arrangement is breached when payments fall behind its schedule "
                  "by more than this (500 is £5.00).")
    letter_stalled_after_days = models.PositiveSmallIntegerField(
        "a letter is overdue after this many days", default=7,
        help_text="A letter recommendation waiting longer than this, or an accepted letter "
                  "stage with no letter produced, shows on the letters reconciliation report.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-effective_from"]
        verbose_name_plural = "arrears policies"

    def __str__(self) -> str:
        return f"{self.name} (from {self.effective_from:%-d %B %Y})"


class Action(models.TextChoices):
    REMINDER_TEXT = "reminder_text", "Reminder by text"
    REMINDER_EMAIL = "reminder_email", "Reminder by email"
    LETTER = "letter", "Letter"
    VISIT = "visit", "Visit"
    NOSP = "nosp", "Notice of Seeking Possession"
    COURT_WARNING = "court_warning", "Court warning letter"
    COURT_APPLICATION = "court_application", "Apply for a court date"


class ArrearsStage(models.Model):
    """One step of a policy. An account is recommended the highest stage whose conditions it
    meets and that it has not yet had (since its arrears began)."""

    policy = models.ForeignKey(ArrearsPolicy, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField()
    code = models.SlugField(max_length=30)
    name = models.CharField(max_length=60)
    action = models.CharField(max_length=20, choices=Action.choices)
    min_owed_pence = models.BigIntegerField(
        "owes at least (pence)", default=1, help_text="Pence: 1000 is £10.00.")
    max_owed_pence = models.BigIntegerField(
        "owes less than (pence)", null=True, blank=True,
        help_text="Pence, optional: a reminder only below £10.00 is 1000.")
    min_weeks_owed = models.DecimalField(
        "owes at least this many weeks' rent", max_digits=5, decimal_places=2, null=True,
        blank=True)
    after_stage = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The action that must have been taken before this one.")
    min_days_after = models.PositiveSmallIntegerField(
        "at least this many days after it", null=True, blank=True)
    max_days_after = models.PositiveSmallIntegerField(
        "at most this many days after it", null=True, blank=True)
    not_repeated_within_days = models.PositiveSmallIntegerField(
        "not if taken within this many days", null=True, blank=True,
        help_text="Letter 1: none in the last 3 months is 91.")
    letter_template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, null=True,
                                        blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="stage_order_once"),
            models.UniqueConstraint(fields=["policy", "code"], name="stage_code_once"),
            models.CheckConstraint(
                condition=models.Q(max_owed_pence__isnull=True)
                | models.Q(max_owed_pence__gt=models.F("min_owed_pence")),
                name="stage_owed_band_in_order"),
        ]

    def __str__(self) -> str:
        return self.name


class Pause(models.Model):
    """While a pause is in force, the arrears run recommends nothing for the account and says
    why."""

    class Kind(models.TextChoices):
        BREATHING_SPACE = "breathing_space", "Breathing Space (standard, 60 days)"
        MENTAL_HEALTH_CRISIS = "mental_health_crisis", "Breathing Space (mental health crisis)"
        BENEFIT_CLAIM = "benefit_claim", "Housing Benefit or Universal Credit claim pending"
        COURT_DATE = "court_date", "Court or eviction date set"
        OFFICER = "officer", "Officer's pause"

    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT, related_name="pauses")
    kind = models.CharField(max_length=25, choices=Kind.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="pause_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date} to {self.end_date}"


class Recommendation(models.Model):
    """The arrears run's single next action for an account, with the reason in words and the
    figures behind it. One is open per account: a rerun updates it rather than adding one."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for the officer"
        ACCEPTED = "accepted", "Accepted"
        DEFERRED = "deferred", "Deferred"
        OVERRIDDEN = "overridden", "Overridden"
        WITHDRAWN = "withdrawn", "No longer needed"

    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT,
                                related_name="recommendations")
    stage = models.ForeignKey(ArrearsStage, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reason = models.TextField()
    owed_pence = models.BigIntegerField()
    weeks_owed = models.DecimalField(max_digits=7, decimal_places=2)
    as_of = models.DateField()
    created_at = models.DateTimeField()
    job = models.ForeignKey("housing.BackgroundJob", on_delete=models.SET_NULL, null=True,
                            blank=True, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    deferred_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-owed_pence"]
        permissions = [("work_arrears", "Can act on arrears cases")]
        constraints = [
            models.UniqueConstraint(fields=["account"], condition=models.Q(status="open"),
                                    name="one_open_recommendation"),
        ]

    def __str__(self) -> str:
        return f"{self.stage} for {self.account}"


class CaseEvent(models.Model):
    """The case diary: every action taken, letter sent, contact, note, pause, arrangement and
    legal step, with who and when. Rows are added, never changed."""

    class Kind(models.TextChoices):
        ACTION = "action", "Action taken"
        LETTER = "letter", "Letter"
        CONTACT = "contact", "Contact"
        NOTE = "note", "Note"
        PAUSE = "pause", "Pause"
        ARRANGEMENT = "arrangement", "Payment arrangement"
        DEFERRED = "deferred", "Recommendation deferred"
        OVERRIDDEN = "overridden", "Recommendation overridden"
        LEGAL = "legal", "Legal stage"

    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    stage = models.ForeignKey(ArrearsStage, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices, blank=True)
    happened_on = models.DateField()
    summary = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    letter = models.ForeignKey("tenancies.Letter", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    recommendation = models.ForeignKey(Recommendation, on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="events")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["account", "-happened_on"])]

    def __str__(self) -> str:
        return self.summary


class Arrangement(models.Model):
    """A payment arrangement: an amount every week or month on top of the rent, from a start
    date, agreed with the tenant. Its schedule of expected payments is worked out from these
    fields; the arrears run flags a breach when payments fall behind it by more than the
    policy's tolerance."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Every week"
        MONTHLY = "monthly", "Every month"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a manager's approval"
        ACTIVE = "active", "Active"
        BREACHED = "breached", "Breached: for review"
        KEPT = "kept", "Kept: debt cleared"
        ENDED = "ended", "Ended"
        REJECTED = "rejected", "Not approved"

    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT,
                                related_name="arrangements")
    amount_pence = models.BigIntegerField(help_text="Paid on top of the rent, each period.")
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    start_date = models.DateField()
    debt_pence = models.BigIntegerField(help_text="The arrears it is to clear, when agreed.")
    agreed_on = models.DateField()
    agreement = models.TextField(help_text="How the tenant agreed: in person, by phone, "
                                           "signed form...")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    breached_on = models.DateField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text="The manager who approved a term over the policy's limit.")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True, help_text="Why it ended, or was not approved.")

    class Meta:
        ordering = ["-start_date"]
        permissions = [("approve_arrangement", "Can approve a long payment arrangement")]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_pence__gt=0),
                                   name="arrangement_amount_positive"),
            models.CheckConstraint(condition=models.Q(start_date__gte=models.F("agreed_on")),
                                   name="arrangement_starts_once_agreed"),
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status__in=["pending", "active", "breached"]),
                name="one_live_arrangement"),
        ]

    def __str__(self) -> str:
        return f"{self.amount_pence}p {self.get_frequency_display().lower()} from {self.start_date}"


class PossessionNotice(models.Model):
    """A Notice of Seeking Possession served on the tenancy: it lasts 12 months."""

    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT, related_name="notices")
    served_on = models.DateField()
    expires_on = models.DateField()
    letter = models.ForeignKey("tenancies.Letter", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-served_on"]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_on__gt=models.F("served_on")),
                                   name="notice_expires_after_service"),
        ]

    def __str__(self) -> str:
        return f"NOSP served {self.served_on}"


class CourtCase(models.Model):
    """Possession proceedings: the hearing, its outcome (with a suspended order's terms), then
    a warrant and an eviction date. Each step adds a row to the case diary."""

    class Outcome(models.TextChoices):
        ADJOURNED = "adjourned", "Adjourned"
        SUSPENDED = "suspended", "Suspended possession order"
        OUTRIGHT = "outright", "Outright possession order"
        DISMISSED = "dismissed", "Dismissed or withdrawn"

    account = models.ForeignKey(RentAccount, on_delete=models.PROTECT,
                                related_name="court_cases")
    notice = models.ForeignKey(PossessionNotice, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="court_cases")
    applied_on = models.DateField()
    hearing_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    outcome_date = models.DateField(null=True, blank=True)
    order_terms = models.TextField(blank=True)
    warrant_applied_on = models.DateField(null=True, blank=True)
    eviction_date = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-applied_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome_date__isnull=True)
                | models.Q(hearing_date__isnull=False,
                           outcome_date__gte=models.F("hearing_date")),
                name="outcome_not_before_hearing"),
        ]

    def __str__(self) -> str:
        return f"Court case applied for on {self.applied_on}"
