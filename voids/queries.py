"""Reads for the void process screens: the getters that 404 a void the user may not see (a home
off an officer's patches), the voids worklist with its filters, and what the void page shows.

Who sees voids: voids.view_voidperiod (Lettings and Voids Officers, Repairs Officers, Team
Leaders, administrators), limited to the user's patches unless their role sees all
(housing.access). Council Tax sees occupancy changes only (voids.view_occupancychange), on
their own page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from housing.access import get_object_for_user, scope_for_user
from housing.models import Patch, User
from repairs.models import Contract, Contractor, WorkOrder
from voids import kpis, rentloss, services
from voids.models import Stage, VoidPeriod
from voids.works import INSPECTABLE, READYABLE

VIEW = "voids.view_voidperiod"
MANAGE = "voids.manage_void"
INSPECT = "voids.inspect_void"
COUNCIL_TAX = "voids.view_occupancychange"
VIEW_ORDER = "repairs.view_workorder"

OPEN_STAGES = [stage for stage in Stage if stage != Stage.LET]

STAGE_COLOURS = {Stage.KEYS_IN: "orange", Stage.INSPECTION: "blue", Stage.WORKS: "purple",
                 Stage.READY: "green", Stage.OFFERED: "teal", Stage.LET: "grey"}


# --- Getters ----------------------------------------------------------------------------------


def voids_for_user(user: User) -> QuerySet[VoidPeriod]:
    return scope_for_user(user, VoidPeriod.objects.all(), perm=VIEW)


def get_void_for_user(user: User, pk) -> VoidPeriod:
    """The void, or 404 when the user may not see it (its home is off their patches)."""
    return get_object_for_user(
        user, VoidPeriod.objects.select_related(
            "property__patch", "previous_tenancy", "new_tenancy", "repair_request__priority"),
        pk=pk, perm=VIEW)


def patches_for_user(user: User) -> QuerySet[Patch]:
    """The patches the worklist can be filtered by: the user's own, or all for a role that
    sees every patch."""
    if user.has_perm("housing.view_all_patches"):
        return Patch.objects.order_by("name")
    return user.patches.order_by("name")


# --- The worklist -----------------------------------------------------------------------------


def _open_orders_count() -> Coalesce:
    open_orders = (WorkOrder.objects.filter(request_id=OuterRef("repair_request_id"))
                   .exclude(status__in=services.CLOSED_ORDER_STATUSES).order_by()
                   .values("request_id").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(open_orders), 0)


def worklist(user: User, *, today: date, stage: str = "", patch: Patch | None = None,
             void_type: str = "", age: str = "") -> QuerySet[VoidPeriod]:
    """The open voids (not yet let) the user may see, oldest first, each annotated
    `works_open` (its works orders not completed or cancelled)."""
    voids = (voids_for_user(user).filter(let_date__isnull=True)
             .select_related("property__patch")
             .annotate(works_open=_open_orders_count()))
    if stage:
        voids = voids.filter(stage=stage)
    if patch is not None:
        voids = voids.filter(property__patch=patch)
    if void_type == "none":
        voids = voids.filter(void_type="")
    elif void_type:
        voids = voids.filter(void_type=void_type)
    if age in kpis.BAND_KEYS:  # the same bands as the KPI page's
        voids = voids.annotate(band=kpis.band_of(today)).filter(band=age)
    return voids.order_by("start_date", "pk")


def with_days(voids, *, today: date) -> list[VoidPeriod]:
    rows = list(voids)
    for void in rows:
        void.days = services.days_void(void, today=today)
    return rows


# --- The void page ----------------------------------------------------------------------------


@dataclass
class Actions:
    inspect: bool
    safety_check: bool
    ready: bool


def actions_for(user: User, void: VoidPeriod) -> Actions:
    return Actions(
        inspect=user.has_perm(INSPECT) and void.stage in INSPECTABLE,
        safety_check=user.has_perm(MANAGE) and void.stage != Stage.LET,
        ready=user.has_perm(MANAGE) and void.stage in READYABLE,
    )


def works_orders(void: VoidPeriod) -> list[WorkOrder]:
    if void.repair_request_id is None:
        return []
    return list(WorkOrder.objects.filter(request_id=void.repair_request_id)
                .select_related("contractor", "trade", "priority", "raised_by")
                .order_by("raised_at", "pk"))


def void_page(void: VoidPeriod, *, user: User, today: date) -> dict:
    """Everything the void page shows about `void` as of `today`."""
    orders = works_orders(void)
    closed = set(services.CLOSED_ORDER_STATUSES)
    return {
        "void": void,
        "home": void.property,
        "stage_colour": STAGE_COLOURS.get(void.stage, "grey"),
        "stages": list(void.stages.select_related("by").order_by("-at", "-pk")),
        "inspections": list(void.inspections.select_related("by").order_by("-inspected_on",
                                                                           "-pk")),
        "checks": list(void.safety_checks.select_related("by").order_by("-done_on", "-pk")),
        "orders": orders,
        "open_orders": [order for order in orders if order.status not in closed],
        "waiting": [order for order in orders if order.status == WorkOrder.Status.RAISED],
        "days_void": services.days_void(void, today=today),
        "rent_lost_pence": rentloss.rent_lost_so_far(void, today=today),
        "relet_days": services.relet_days(void),
        "missing": (services.what_is_missing(void)
                    if void.stage in (Stage.KEYS_IN, Stage.INSPECTION, Stage.WORKS) else []),
        "actions": actions_for(user, void),
        "can_see_orders": user.has_perm(VIEW_ORDER),
        "can_manage": user.has_perm(MANAGE),
        # The letting helper's partial (templates/voids/_letting.html) shows these.
        "offers": void.offers.select_related("recorded_by").order_by("offered_on", "pk"),
    }


# --- The inspection form's contractor ---------------------------------------------------------


def contractors_for(void: VoidPeriod, *, today: date) -> tuple[QuerySet[Contractor], int | None]:
    """The active contractors, and the one to pre-select: the only contractor with a contract
    in force today covering the home's patch (a contract with no patches covers them all),
    if there is exactly one."""
    in_force = (Contract.objects.filter(start_date__lte=today, contractor__active=True)
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
                .filter(Q(patches__isnull=True) | Q(patches=void.property.patch_id)))
    covering = set(in_force.values_list("contractor_id", flat=True).distinct())
    only = covering.pop() if len(covering) == 1 else None
    return Contractor.objects.filter(active=True).order_by("name"), only
