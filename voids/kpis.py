"""The void KPIs (DOMAIN.md "Voids") and the records behind each figure. Reads only: the
pages are voids.kpi_views, and `summary` is also what the bench times.

- Average relet time, in calendar days from the previous tenancy's end to the new tenancy's
  start (voids.services.relet_days), of the voids let in the period (let_date within it);
  standard and major works voids apart, and voids let without an inspection as a third line.
- Void rent loss in the period (voids.rentloss, one SQL for every void) in pounds, and as a
  percentage of the rent roll of the same days.
- Voids open now by stage and by how long they have been void (services.days_void), one
  grouped query.

A user who sees only their own patches counts only the homes on them (housing.access); with
no user (the bench), every home counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import Case, CharField, Count, F, QuerySet, Sum, Value, When

from housing.access import scope_for_user
from housing.models import User
from voids import rentloss
from voids.models import Stage, VoidPeriod, VoidType

VIEW = "voids.view_voidperiod"

OPEN_STAGES = [Stage.KEYS_IN, Stage.INSPECTION, Stage.WORKS, Stage.READY, Stage.OFFERED]


@dataclass(frozen=True)
class Band:
    key: str
    label: str
    first: int  # days void, both ends included
    last: int | None


BANDS = [
    Band("0-7", "0 to 7 days", 0, 7),
    Band("8-14", "8 to 14 days", 8, 14),
    Band("15-28", "15 to 28 days", 15, 28),
    Band("29-56", "29 to 56 days", 29, 56),
    Band("57+", "57 days or more", 57, None),
]
BAND_KEYS = [band.key for band in BANDS]

NOT_INSPECTED = "none"  # the lettings drill-down's `type` for voids let without a void type
# The relet lines: (key, label). "Not inspected" shows only when there are such lettings.
VOID_TYPES = [(VoidType.STANDARD.value, "Standard voids"),
              (VoidType.MAJOR.value, "Major works voids"),
              (NOT_INSPECTED, "Not inspected")]
TYPE_LABELS = dict(VOID_TYPES)


# --- The period -------------------------------------------------------------------------------


def check_period(*, start: date, until: date, today: date) -> None:
    """Refuse a period the figures cannot cover, keyed by the form's date names."""
    errors = {}
    if start > today:
        errors["start"] = "The start date must be today or in the past."
    if until > today:
        errors["end"] = "The end date must be today or in the past."
    elif until < start:
        errors["end"] = "The end date must be the same as or after the start date."
    if errors:
        raise ValidationError(errors)


# --- Who counts -------------------------------------------------------------------------------


def voids_for(user: User | None) -> QuerySet[VoidPeriod]:
    """Every void (no user), or those on the user's patches (housing.access)."""
    if user is None:
        return VoidPeriod.objects.all()
    return scope_for_user(user, VoidPeriod.objects.all(), perm=VIEW)


def patch_ids_for(user: User | None) -> list[int] | None:
    """The patches whose homes count for rent loss and the rent roll (None: every patch),
    the same limit as `voids_for`."""
    if user is None:
        return None
    if not user.has_perm(VIEW):
        return []
    if user.has_perm("housing.view_all_patches"):
        return None
    return list(user.patches.values_list("pk", flat=True))


# --- Relet time -------------------------------------------------------------------------------


def lettings(*, start: date, until: date, user: User | None = None,
             void_type: str | None = None) -> QuerySet[VoidPeriod]:
    """The voids let in the period (let_date within it), first let first; `void_type`
    standard, major or NOT_INSPECTED narrows them to one relet line."""
    voids = voids_for(user).filter(let_date__gte=start, let_date__lte=until)
    if void_type is not None:
        voids = voids.filter(void_type="" if void_type == NOT_INSPECTED else void_type)
    return voids.order_by("let_date", "pk")


def average_days(total_days: int, count: int) -> Decimal | None:
    """The mean to one decimal place, halves up; None when nothing was let."""
    if count <= 0:
        return None
    return (Decimal(total_days) / Decimal(count)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def relet_lines(*, start: date, until: date, user: User | None = None) -> list[dict]:
    """One line per void type (standard, major, and not inspected when there are any), then
    all lettings: {key, label, lettings, total_days, average}. One grouped query."""
    # relet days = let_date - start_date + 1 (services.relet_days), summed per type.
    rows = (lettings(start=start, until=until, user=user).order_by().values("void_type")
            .annotate(lettings=Count("pk"), gap=Sum(F("let_date") - F("start_date"))))
    found = {}
    for row in rows:
        key = row["void_type"] or NOT_INSPECTED
        found[key] = (row["lettings"], row["gap"].days + row["lettings"])
    lines = []
    for key, label in VOID_TYPES:
        if key == NOT_INSPECTED and key not in found:
            continue
        count, days = found.get(key, (0, 0))
        lines.append({"key": key, "label": label, "lettings": count, "total_days": days,
                      "average": average_days(days, count)})
    count = sum(line["lettings"] for line in lines)
    days = sum(line["total_days"] for line in lines)
    lines.append({"key": "", "label": "All lettings", "lettings": count, "total_days": days,
                  "average": average_days(days, count)})
    return lines


# --- Rent loss --------------------------------------------------------------------------------


def loss_by_void(*, start: date, until: date, user: User | None = None) -> dict[int, int]:
    """{void id: pence lost in the period} for every void the user may see that lost rent."""
    return rentloss.rent_lost(start=start, until=until, patch_ids=patch_ids_for(user))


def percent(part: int, whole: int) -> Decimal | None:
    """part / whole as a percentage to two decimal places, halves up; None when whole is 0."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def days_in_period(void: VoidPeriod, *, start: date, until: date) -> int:
    """The void's days inside the period (both ends included)."""
    first = max(void.start_date, start)
    last = min(void.let_date - timedelta(days=1) if void.let_date else until, until)
    return max(0, (last - first).days + 1)


def losing_voids(loss: dict[int, int], *, user: User | None = None) -> QuerySet[VoidPeriod]:
    """The voids of `loss` (loss_by_void), in the order the drill-down lists them."""
    return (voids_for(user).filter(pk__in=list(loss)).select_related("property")
            .order_by("start_date", "pk"))


# --- Open voids by stage and age ----------------------------------------------------------------


def band_of(today: date) -> Case:
    """Each void's band as of `today`. Void for n days (services.days_void: today - start + 1,
    never below 0) is within `last` days when it began no earlier than today - (last - 1)."""
    whens = [When(start_date__gte=today - timedelta(days=band.last - 1), then=Value(band.key))
             for band in BANDS if band.last is not None]
    return Case(*whens, default=Value(BANDS[-1].key), output_field=CharField())


def open_voids(*, today: date, user: User | None = None, stage: str = "",
               band: str = "") -> QuerySet[VoidPeriod]:
    """The voids not yet let, oldest first, each annotated with its `band`; narrowed to a
    stage and/or a band when given."""
    voids = (voids_for(user).filter(let_date__isnull=True, stage__in=OPEN_STAGES)
             .annotate(band=band_of(today)))
    if stage:
        voids = voids.filter(stage=stage)
    if band:
        voids = voids.filter(band=band)
    return voids.select_related("property").order_by("start_date", "pk")


def stage_by_band(*, today: date, user: User | None = None) -> dict:
    """The open voids counted by stage and band, with totals: {bands: [Band], stages:
    [{key, label, counts, cells: [(band, count)], total}], totals: [per band], band_cells,
    total}. One grouped query."""
    counts = {(row["stage"], row["band"]): row["n"] for row in
              open_voids(today=today, user=user).order_by().values("stage", "band")
              .annotate(n=Count("pk"))}
    stages = []
    for stage in OPEN_STAGES:
        line = [counts.get((stage.value, key), 0) for key in BAND_KEYS]
        stages.append({"key": stage.value, "label": stage.label, "counts": line,
                       "cells": list(zip(BANDS, line, strict=True)), "total": sum(line)})
    totals = [sum(line["counts"][index] for line in stages) for index in range(len(BANDS))]
    return {"bands": BANDS, "stages": stages, "totals": totals,
            "band_cells": list(zip(BANDS, totals, strict=True)), "total": sum(totals)}


# --- The page's figures -------------------------------------------------------------------------


def summary(*, start: date, until: date, today: date, user: User | None = None) -> dict:
    """Every figure on the KPI page: relet lines, rent loss and its share of the rent roll
    for the period, and the open voids by stage and age as of `today`. Four queries (five
    for a user who sees only their own patches), none of them per void or per home."""
    patch_ids = patch_ids_for(user)
    loss = rentloss.rent_lost(start=start, until=until, patch_ids=patch_ids)
    loss_pence = sum(loss.values())
    roll_pence = rentloss.rent_roll(start=start, until=until, patch_ids=patch_ids)
    return {
        "start": start, "until": until, "today": today,
        "relet": relet_lines(start=start, until=until, user=user),
        "loss_pence": loss_pence, "voids_with_loss": len(loss),
        "roll_pence": roll_pence, "loss_percent": percent(loss_pence, roll_pence),
        "open": stage_by_band(today=today, user=user),
    }
