"""People: tenants, household members and contacts, with their needs and alerts.

People live in the core (`housing`) rather than in `tenancies` because repairs, rents, RTB and
the portals all refer to them, and their confidential records use the core access mechanism.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Func, Value
from django.db.models.functions import Lower, Replace
from simple_history.models import HistoricalRecords

from housing.access import Confidential
from housing.validators import validate_nino, validate_phone, validate_postcode


class Person(models.Model):
    class ContactMethod(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        LETTER = "letter", "Letter"

    title = models.CharField(max_length=20, blank=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    preferred_name = models.CharField(max_length=80, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    mobile_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    home_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    correspondence_address = models.TextField(
        blank=True, help_text="Leave blank to write to them at their home."
    )
    correspondence_postcode = models.CharField(max_length=8, blank=True,
                                               validators=[validate_postcode])
    preferred_contact_method = models.CharField(max_length=10, choices=ContactMethod.choices,
                                                default=ContactMethod.LETTER)
    large_print = models.BooleanField(default=False)
    interpreter_needed = models.BooleanField(default=False)
    language = models.CharField(max_length=40, blank=True, default="English")
    other_needs = models.CharField("Other communication needs", max_length=200, blank=True)
    ni_number = models.CharField("National Insurance number", max_length=9, blank=True,
                                 validators=[validate_nino])
    history = HistoricalRecords()
    # An officer sees the people in the tenancies of their patches.
    patch_lookup = "tenancy_links__tenancy__property__patch"

    class Meta:
        verbose_name_plural = "people"
        ordering = ["last_name", "first_name"]
        indexes = [
            GinIndex(OpClass(Lower("last_name"), name="gin_trgm_ops"), name="person_last_trgm"),
            GinIndex(OpClass(Lower("first_name"), name="gin_trgm_ops"), name="person_first_trgm"),
            models.Index(fields=["date_of_birth"]),
            # Phone numbers without their spaces, as housing.search compares them.
            models.Index(Replace("mobile_phone", Value(" "), Value("")),
                         name="person_mobile_digits_idx"),
            models.Index(Replace("home_phone", Value(" "), Value("")),
                         name="person_home_digits_idx"),
            models.Index(Func("last_name", function="soundex"), name="person_last_soundex_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.title, self.first_name, self.last_name) if part)


class EqualityData(Confidential):
    """Optional equality monitoring answers. Confidential: only users granted access to this
    record see it, and each view is logged."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="equality")
    ethnicity = models.CharField(max_length=80, blank=True)
    religion = models.CharField(max_length=80, blank=True)
    sex = models.CharField(max_length=40, blank=True)
    gender_identity = models.CharField(max_length=80, blank=True)
    sexual_orientation = models.CharField(max_length=80, blank=True)
    disability = models.CharField(max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "equality data"

    def __str__(self) -> str:
        return f"Equality data for person {self.person_id}"


class Alert(Confidential):
    """A vulnerability or cautionary alert on a person or a home. The detail is confidential;
    a safety-relevant alert also raises a flag that repairs staff and contractors see without
    the detail (e.g. "Do not visit alone")."""

    class Category(models.TextChoices):
        VULNERABILITY = "vulnerability", "Vulnerability"
        CAUTIONARY = "cautionary", "Cautionary (staff safety)"
        SAFEGUARDING = "safeguarding", "Safeguarding"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="alerts")
    property = models.ForeignKey("housing.Property", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="alerts")
    category = models.CharField(max_length=20, choices=Category.choices)
    safety_flag = models.BooleanField(
        default=False, help_text="Staff and contractors visiting the home see a safety warning "
                                 "(never the detail).")
    flag_text = models.CharField(
        max_length=80, blank=True, default="Take care: ask before visiting",
        help_text="What visitors see, e.g. 'Do not visit alone'.")
    detail = models.TextField()
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(person__isnull=False) | models.Q(property__isnull=False),
                name="alert_is_on_a_person_or_a_home",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="alert_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} alert {self.pk}"
