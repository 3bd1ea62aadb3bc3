"""The property register: estates, blocks and homes (and non-dwellings such as garages)."""

import builtins

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Collate, Upper
from simple_history.models import HistoricalRecords

from housing.validators import validate_postcode, validate_uprn


class Estate(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=120, unique=True)
    patch = models.ForeignKey("housing.Patch", on_delete=models.PROTECT, related_name="estates")
    history = HistoricalRecords()
    patch_lookup = "patch"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Block(models.Model):
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, related_name="blocks")
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    storeys = models.PositiveSmallIntegerField(null=True, blank=True)
    has_lift = models.BooleanField(default=False)
    history = HistoricalRecords()
    patch_lookup = "estate__patch"

    class Meta:
        ordering = ["estate__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["estate", "name"], name="block_name_unique_in_estate")
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.estate.name}"


class Adaptation(models.Model):
    """An adaptation or accessibility feature a home can have (ramp, level-access shower)."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Property(models.Model):
    """A lettable home or a non-dwelling, keyed by its UPRN."""

    class Kind(models.TextChoices):
        DWELLING = "dwelling", "Home"
        GARAGE = "garage", "Garage"
        COMMUNAL = "communal", "Communal area"
        OTHER = "other", "Other non-dwelling"

    class PropertyType(models.TextChoices):
        HOUSE = "house", "House"
        FLAT = "flat", "Flat"
        MAISONETTE = "maisonette", "Maisonette"
        BUNGALOW = "bungalow", "Bungalow"
        BEDSIT = "bedsit", "Bedsit"

    class Tenure(models.TextChoices):
        RENTED = "rented", "Rented"
        VOID = "void", "Void"
        LEASEHOLD = "leasehold", "Leasehold"
        SOLD = "sold", "Sold (freehold)"

    uprn = models.CharField("UPRN", max_length=12, unique=True, validators=[validate_uprn],
                            help_text="Unique Property Reference Number, up to 12 digits.")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DWELLING)
    property_type = models.CharField(max_length=20, choices=PropertyType.choices, blank=True)
    estate = models.ForeignKey(Estate, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="properties")
    block = models.ForeignKey(Block, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="properties")
    address_line_1 = models.CharField("Address line 1", max_length=120)
    address_line_2 = models.CharField("Address line 2", max_length=120, blank=True)
    town = models.CharField("Town or city", max_length=60)
    postcode = models.CharField(max_length=8, validators=[validate_postcode])
    bedrooms = models.PositiveSmallIntegerField(null=True, blank=True)
    floor_level = models.SmallIntegerField(
        null=True, blank=True, help_text="0 is the ground floor; -1 a basement."
    )
    build_year = models.PositiveSmallIntegerField(null=True, blank=True)
    tenure = models.CharField(max_length=20, choices=Tenure.choices, default=Tenure.VOID)
    patch = models.ForeignKey("housing.Patch", on_delete=models.PROTECT, related_name="properties")
    adaptations = models.ManyToManyField(Adaptation, blank=True, related_name="properties")
    history = HistoricalRecords(m2m_fields=[adaptations])
    patch_lookup = "patch"

    class Meta:
        verbose_name_plural = "properties"
        ordering = ["postcode", "address_line_1"]
        indexes = [
            models.Index(Upper("postcode"), name="property_postcode_idx"),
            # Bytewise order, so an outward code ("EX4 %") is an index range (housing.search).
            models.Index(Collate(Upper("postcode"), "C"), "address_line_1",
                         name="property_postcode_c_idx"),
            GinIndex(OpClass(Upper("address_line_1"), name="gin_trgm_ops"),
                     name="property_address_trgm"),
            models.Index(fields=["patch", "tenure"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(uprn__regex=r"^[1-9][0-9]{0,11}$"), name="uprn_up_to_12_digits"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="dwelling") | ~models.Q(property_type=""),
                name="a_home_has_a_property_type",
            ),
        ]

    def __str__(self) -> str:
        return self.short_address

    @property
    def short_address(self) -> str:
        return f"{self.address_line_1}, {self.postcode}"

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.address_line_1, self.address_line_2, self.town,
                                  self.postcode) if line]


class AttributeDefinition(models.Model):
    """An attribute a council records about its homes beyond the standard fields (heating
    type, EPC rating, loft insulation...). Administrators add them; values are typed."""

    class ValueType(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        YES_NO = "yes_no", "Yes or no"
        DATE = "date", "Date"

    name = models.CharField(max_length=80, unique=True)
    value_type = models.CharField(max_length=10, choices=ValueType.choices)
    help_text = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PropertyAttribute(models.Model):
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="attributes")
    definition = models.ForeignKey(AttributeDefinition, on_delete=models.PROTECT)
    value_text = models.CharField(max_length=200, blank=True)
    value_number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["definition__name"]
        constraints = [
            models.UniqueConstraint(fields=["property", "definition"],
                                    name="one_value_per_attribute"),
        ]

    def __str__(self) -> str:
        return f"{self.definition}: {self.value}"

    @builtins.property  # `property` is a field name here
    def value(self):
        kind = self.definition.value_type
        return {
            AttributeDefinition.ValueType.TEXT: self.value_text,
            AttributeDefinition.ValueType.NUMBER: self.value_number,
            AttributeDefinition.ValueType.YES_NO: self.value_bool,
            AttributeDefinition.ValueType.DATE: self.value_date,
        }[kind]
