"""Models that exist only in tests, to exercise housing.access before the domain models that
use it arrive."""

from django.db import models

from housing.access import Confidential


class PatchRecord(models.Model):
    patch = models.ForeignKey("housing.Patch", on_delete=models.CASCADE)
    name = models.CharField(max_length=50)
    patch_lookup = "patch"

    def __str__(self) -> str:
        return self.name


class SecretNote(Confidential):
    text = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"Secret note {self.pk}"
