"""The CORE lettings log: one record per new letting (voids.models.LettingLog, kept at the
sign-up as it stood then), exported as CSV for the government's lettings return.

The layout (docs/voids.md): one row per letting, ordered by tenancy start date, with the
columns in COLUMNS. Dates are ISO (2026-12-09); money is pounds with two decimals from the
integer pence kept on the log (never a float); days to relet is voids.services.relet_days (the
previous tenancy's end to the new tenancy's start in calendar days), the figure the void page
and the KPIs show; labels are the system's own words ("Secure", "Tenant's notice").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import QuerySet

from housing.models import Property
from housing.money import pence_to_pounds
from housing.reporting import safe_cell
from tenancies.models import Tenancy
from voids.models import LettingLog, VoidPeriod, VoidType
from voids.services import relet_days

COLUMNS = [
    "UPRN", "Postcode", "Tenancy reference", "Tenancy type", "Tenancy start date",
    "Weekly rent (£)", "Weekly service charges (£)", "Weekly total (£)", "Bedrooms",
    "Property type", "Reason for vacancy", "Void date (previous tenancy end)", "Relet date",
    "Days to relet", "Times offered", "Void type",
]

_TENANCY_TYPES = dict(Tenancy.TenancyType.choices)
_PROPERTY_TYPES = dict(Property.PropertyType.choices)
_REASONS = dict(VoidPeriod.VacancyReason.choices)
_VOID_TYPES = dict(VoidType.choices)


def lettings(*, start: date, end: date) -> QuerySet[LettingLog]:
    """The lettings whose tenancy started from `start` to `end` (both included), in order."""
    return (LettingLog.objects.filter(start_date__gte=start, start_date__lte=end)
            .select_related("tenancy", "void", "void__property")
            .order_by("start_date", "pk"))


def pounds(pence: int) -> str:
    return str(pence_to_pounds(pence))


def row(log: LettingLog) -> list:
    """One letting in the CSV layout (needs log.tenancy and log.void loaded)."""
    return [
        log.uprn,
        log.postcode,
        log.tenancy.reference,
        _TENANCY_TYPES.get(log.tenancy_type, log.tenancy_type),
        log.start_date.isoformat(),
        pounds(log.weekly_rent_pence),
        pounds(log.weekly_service_pence),
        pounds(log.weekly_rent_pence + log.weekly_service_pence),
        "" if log.bedrooms is None else log.bedrooms,
        _PROPERTY_TYPES.get(log.property_type, log.property_type),
        _REASONS.get(log.vacancy_reason, log.vacancy_reason),
        log.void_date.isoformat(),
        log.relet_date.isoformat(),
        relet_days(log.void),
        log.times_offered,
        _VOID_TYPES.get(log.void_type, log.void_type),
    ]


def rows(logs: Iterable[LettingLog]) -> Iterator[list]:
    """The CSV's rows after its header, each cell made safe for a spreadsheet."""
    for log in logs:
        yield [safe_cell(value) for value in row(log)]
