"""Reads for the staff repairs screens: getters that 404 what the user may not see (homes off an
officer's patches), the home's safety flag and past repairs for whoever raises a repair, the
lines that count towards an order's value, the repairs home's list of orders and the approvals
queue.

Which lines count. An order's value is the sum of its lines that count: a line counts when it
was on the order from the start or came with an approved variation, and no approved
variation's line replaces it. A variation waiting for approval, or not approved, changes
nothing. `counting_lines` is the one place that rule is written down.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.models import Group
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from housing.access import get_object_for_user, scope_for_user
from housing.models import Alert, Property, User
from housing.money import format_pence
from repairs import workflow
from repairs.models import (
    RepairPhoto,
    RepairRequest,
    SpendLimit,
    Variation,
    WorkOrder,
    WorkOrderLine,
)
from tenancies.queries import members_at

VIEW_REQUEST = "repairs.view_repairrequest"
VIEW_ORDER = "repairs.view_workorder"
APPROVE = "repairs.approve_workorder"

Status = WorkOrder.Status


# --- Getters ----------------------------------------------------------------------------------


def requests_for_user(user: User) -> QuerySet[RepairRequest]:
    return scope_for_user(user, RepairRequest.objects.all())


def orders_for_user(user: User) -> QuerySet[WorkOrder]:
    return scope_for_user(user, WorkOrder.objects.all())


def get_request_for_user(user: User, pk) -> RepairRequest:
    """The repair request, or 404 when the user may not see it (its home is off their
    patches, or their role does not see repairs)."""
    return get_object_for_user(
        user, RepairRequest.objects.select_related("property__patch", "priority",
                                                   "reported_by", "raised_by"), pk=pk)


def get_order_for_user(user: User, pk) -> WorkOrder:
    return get_object_for_user(
        user, WorkOrder.objects.select_related(
            "request__property", "property__patch", "contractor", "contract", "trade",
            "priority", "parent", "raised_by", "approved_by"), pk=pk)


def get_variation_for_user(user: User, pk) -> Variation:
    """A variation, through its order: 404 when the user may not see the order."""
    try:
        variation = Variation.objects.select_related("order").get(pk=pk)
    except (Variation.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    get_order_for_user(user, variation.order_id)
    return variation


def get_photo_for_user(user: User, pk) -> RepairPhoto:
    """A photo, through its repair request (and so the request's home)."""
    try:
        photo = RepairPhoto.objects.get(pk=pk)
    except (RepairPhoto.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    get_object_for_user(user, RepairRequest.objects.all(), pk=photo.request_id,
                        perm="repairs.view_repairphoto")
    return photo


# --- What someone raising a repair sees about the home -----------------------------------------


def home_safety_flag(property: Property, *, on: date | None = None) -> list[str]:
    """The safety flags for visiting `property` on `on` (default today): the flag text of each
    alert in force with a safety flag, on the home itself or on anyone living there under the
    tenancy live that day. Only the flag text, never the alert's detail (which is
    confidential); the same text twice is shown once. An empty list: no flag."""
    on = on or timezone.localdate()
    live = (Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gte=on)))
    residents = members_at(property.pk, on=on).values("person")
    texts = (Alert.objects.filter(live, safety_flag=True)
             .filter(Q(property=property) | Q(person__in=residents))
             .order_by("start_date", "pk").values_list("flag_text", flat=True))
    flags: list[str] = []
    for text in texts:
        text = text or "Take care: ask before visiting"
        if text not in flags:
            flags.append(text)
    return flags


@dataclass(frozen=True)
class PastRepairs:
    """The home's repair requests, newest first (at most `limit`), and how many were reported
    in the 12 months to the day, so a repeat problem shows."""

    items: list[RepairRequest]
    in_last_12_months: int
    total: int


def past_repairs(property: Property, *, limit: int = 5, on: date | None = None,
                 exclude_request_id: int | None = None) -> PastRepairs:
    on = on or timezone.localdate()
    requests = RepairRequest.objects.filter(property=property)
    if exclude_request_id:
        requests = requests.exclude(pk=exclude_request_id)
    year_ago = on - timedelta(days=365)
    counts = requests.aggregate(
        total=Count("pk"),
        recent=Count("pk", filter=Q(raised_at__date__gt=year_ago)))
    items = list(requests.select_related("priority").prefetch_related("orders")
                 .order_by("-raised_at", "-pk")[:limit])
    return PastRepairs(items=items, in_last_12_months=counts["recent"], total=counts["total"])


# --- An order's lines and value ----------------------------------------------------------------


def counting_lines(order_id: int) -> QuerySet[WorkOrderLine]:
    """The lines that make up the order's value (see the module's docstring)."""
    replaced = WorkOrderLine.objects.filter(replaces=OuterRef("pk"),
                                            variation__status=Variation.Status.APPROVED)
    return (WorkOrderLine.objects.filter(order_id=order_id)
            .filter(Q(variation__isnull=True) | Q(variation__status=Variation.Status.APPROVED))
            .exclude(Exists(replaced)))


def order_value(order_id: int) -> int:
    return int(counting_lines(order_id).aggregate(total=Sum("value_pence"))["total"] or 0)


def lines_for_display(order: WorkOrder) -> list[WorkOrderLine]:
    """Every line of the order in the order added, each marked `.counts` (part of the value
    now) and `.replaced_by_pending` (a waiting variation would change it)."""
    counting = set(counting_lines(order.pk).values_list("pk", flat=True))
    lines = list(order.lines.select_related("sor", "variation", "replaces__sor")
                 .order_by("pk"))
    for line in lines:
        line.counts = line.pk in counting
    return lines


# --- The repairs home -------------------------------------------------------------------------

STATUS_FILTERS: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "open": ("Open (not yet completed)", workflow.OPEN_STATUSES),
    "waiting": ("Waiting for approval", (Status.RAISED,)),
    "with_contractor": ("With the contractor", workflow.WITH_CONTRACTOR),
    **{value: (label, (value,)) for value, label in Status.choices if value != Status.RAISED},
    "all": ("All", None),
}

SORTS: dict[str, tuple[str, tuple]] = {
    "target": ("Target date, soonest first", ()),
    "newest": ("Newest first", ("-raised_at", "-pk")),
    "oldest": ("Oldest first", ("raised_at", "pk")),
    "value": ("Value, highest first", ("-value_pence", "-raised_at", "-pk")),
}


def overdue_q(*, now: datetime) -> Q:
    """Open and past its target: an attend-by time gone, or a complete-by day over."""
    today = timezone.localdate(now)
    return Q(status__in=workflow.OPEN_STATUSES) & (
        Q(target_at__isnull=False, target_at__lt=now)
        | Q(target_at__isnull=True, target_date__lt=today))


def order_list(user: User, *, now: datetime, status: str = "open", contractor=None,
               priority=None, overdue: bool = False, query: str = "",
               sort: str = "target") -> QuerySet[WorkOrder]:
    """The orders the user may see, filtered and sorted, each annotated `is_overdue`."""
    orders = (orders_for_user(user)
              .select_related("property", "contractor", "priority", "trade", "request")
              .annotate(is_overdue=Case(When(overdue_q(now=now), then=Value(True)),
                                        default=Value(False), output_field=BooleanField())))
    statuses = STATUS_FILTERS.get(status, STATUS_FILTERS["open"])[1]
    if statuses is not None:
        orders = orders.filter(status__in=statuses)
    if contractor is not None:
        orders = orders.filter(contractor=contractor)
    if priority is not None:
        orders = orders.filter(priority=priority)
    if overdue:
        orders = orders.filter(overdue_q(now=now))
    query = " ".join((query or "").split())
    if query:
        orders = orders.filter(
            Q(reference__iexact=query) | Q(request__reference__iexact=query)
            | Q(property__address_line_1__icontains=query)
            | Q(property__postcode__icontains=query))
    if sort not in SORTS or sort == "target":
        # Planned work has no target: it goes last.
        return orders.order_by(F("target_date").asc(nulls_last=True),
                               F("target_at").asc(nulls_last=True), "raised_at", "pk")
    return orders.order_by(*SORTS[sort][1])


# --- Approvals --------------------------------------------------------------------------------


@dataclass
class Approvals:
    """What waits for this user's approval: orders whose value is within their spend limit
    (not those they raised) and variations whose new total is (not those they asked for)."""

    limit_pence: int | None
    orders: list[WorkOrder] = field(default_factory=list)
    variations: list[Variation] = field(default_factory=list)
    over_limit: int = 0  # waiting, but over this user's limit

    @property
    def count(self) -> int:
        return len(self.orders) + len(self.variations)


def _waiting_orders(user: User, limit: int) -> QuerySet[WorkOrder]:
    return (orders_for_user(user).filter(status=Status.RAISED, value_pence__lte=limit)
            .exclude(raised_by=user))


def _waiting_variations(user: User, limit: int) -> QuerySet[Variation]:
    return (Variation.objects.filter(status=Variation.Status.REQUESTED,
                                     new_value_pence__lte=limit,
                                     order__in=orders_for_user(user).values("pk"))
            .exclude(requested_by=user))


def approvals_count(user: User) -> int:
    """How many orders and variations wait for this user (two or three queries)."""
    if not user.has_perm(APPROVE):
        return 0
    limit = workflow.spend_limit_for(user)
    if limit is None:
        return 0
    return _waiting_orders(user, limit).count() + _waiting_variations(user, limit).count()


def approvals_for(user: User) -> Approvals:
    if not user.has_perm(APPROVE):
        return Approvals(limit_pence=None)
    limit = workflow.spend_limit_for(user)
    if limit is None:
        return Approvals(limit_pence=None)
    orders = list(_waiting_orders(user, limit)
                  .select_related("property", "contractor", "priority", "raised_by")
                  .order_by("raised_at", "pk"))
    variations = list(_waiting_variations(user, limit)
                      .select_related("order__property", "order__contractor", "requested_by")
                      .order_by("requested_at", "pk"))
    over = (orders_for_user(user).filter(status=Status.RAISED, value_pence__gt=limit)
            .count())
    return Approvals(limit_pence=limit, orders=orders, variations=variations, over_limit=over)


def approvers_for(value_pence: int) -> list[str]:
    """Who can approve `value_pence`: the roles that approve work orders with a spend limit
    covering it, and people whose own limit covers it (for "waiting for approval" pages)."""
    perm = Q(permissions__codename="approve_workorder",
             permissions__content_type__app_label="repairs")
    roles = (Group.objects.filter(perm, spend_limit__limit_pence__gte=value_pence)
             .order_by("spend_limit__limit_pence", "name")
             .values_list("name", "spend_limit__limit_pence"))
    who = [f"a {name} (up to {format_pence(limit)})" for name, limit in roles]
    people = (SpendLimit.objects.filter(user__isnull=False, limit_pence__gte=value_pence,
                                        user__is_active=True)
              .filter(Q(user__groups__permissions__codename="approve_workorder",
                        user__groups__permissions__content_type__app_label="repairs")
                      | Q(user__user_permissions__codename="approve_workorder"))
              .select_related("user").distinct().order_by("user__last_name", "user__email"))
    who += [f"{item.user.display_name} (up to {format_pence(item.limit_pence)})"
            for item in people]
    return who


def describe_approvers(value_pence: int, *, not_who: str = "the person who raised it") -> str:
    who = approvers_for(value_pence)
    if not who:
        return (f"Nobody has a spend limit of {format_pence(value_pence)} or more: ask an "
                f"administrator to set one (Spend limits, in the admin).")
    if len(who) == 1:
        listed = who[0]
    else:
        listed = ", ".join(who[:-1]) + " or " + who[-1]
    text = f"{listed[:1].upper()}{listed[1:]} can approve it"
    return f"{text}, but not {not_who}."
