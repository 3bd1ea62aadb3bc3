"""The void process screens for staff: the voids worklist, the void page, recording a void that
did not come from a tenancy ending here, the void inspection (which raises the works orders
from the checklist), the gas and electrical safety checks, and ready to let.

Who may do what (housing.roles.VOIDS_PERMISSIONS): the worklist and void pages need
voids.view_voidperiod (Lettings and Voids Officers, Repairs Officers, Team Leaders,
administrators), and show only voids on the user's patches unless their role sees all; the
inspection needs voids.inspect_void (Repairs Officers too); recording a void, a safety check
and ready to let need voids.manage_void. Council Tax (voids.view_occupancychange only) is sent
from the worklist to its own page of occupancy changes. A role without the permission gets
403; a void whose home is off the officer's patches is a 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from housing.access import get_object_for_user, require_perm, scope_for_user
from housing.models import Property
from voids import queries, services, works
from voids.forms import (
    InspectionForm,
    ReadyForm,
    RecordVoidForm,
    SafetyCheckForm,
    WorklistFilterForm,
)
from voids.models import ChecklistItem, Stage, VoidPeriod
from voids.queries import COUNCIL_TAX, INSPECT, MANAGE, VIEW

LIST_PAGE = 50


def _read(request, pk) -> VoidPeriod:
    require_perm(request.user, VIEW)
    return queries.get_void_for_user(request.user, pk)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- The worklist -----------------------------------------------------------------------------


@require_GET
def index(request):
    user = request.user
    if not user.has_perm(VIEW):
        if user.has_perm(COUNCIL_TAX):
            return redirect("voids:council_tax")  # Council Tax sees occupancy changes only
        raise PermissionDenied
    today = timezone.localdate()
    form = WorklistFilterForm(request.GET or None, patches=queries.patches_for_user(user))
    chosen = form.filters()
    page = Paginator(queries.worklist(user, today=today, **chosen), LIST_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "voids/index.html", {
        "form": form, "page_obj": page, "voids": queries.with_days(page, today=today),
        "filtered": any(chosen.values()), "can_record": user.has_perm(MANAGE),
    })


@require_GET
def for_home(request, property_pk: int):
    """The home's current void (or its latest), from the property page. A home shown as void
    with no void recorded (empty before the system held its tenancies) is offered to be
    recorded, to those who may."""
    user = request.user
    require_perm(user, VIEW)
    home = get_object_for_user(user, Property.objects.all(), pk=property_pk, perm=VIEW)
    void = (queries.voids_for_user(user).filter(property=home)
            .order_by(F("let_date").desc(nulls_first=True), "-start_date").first())
    if void is not None:
        return redirect("voids:detail", pk=void.pk)
    if user.has_perm(MANAGE) and home.tenure == Property.Tenure.VOID:
        return redirect(f"{reverse('voids:record')}?uprn={home.uprn}")
    raise Http404


# --- The void page ----------------------------------------------------------------------------


@require_GET
def detail(request, pk: int):
    void = _read(request, pk)
    return render(request, "voids/detail.html",
                  queries.void_page(void, user=request.user, today=timezone.localdate()))


# --- Recording a void -------------------------------------------------------------------------


def _search_homes(user, query: str) -> list[Property]:
    if not query:
        return []
    return list(scope_for_user(user, Property.objects.filter(kind=Property.Kind.DWELLING))
                .filter(Q(address_line_1__icontains=query) | Q(postcode__icontains=query)
                        | Q(uprn=query))
                .order_by("postcode", "address_line_1")[:20])


@require_http_methods(["GET", "POST"])
def record(request):
    user = request.user
    require_perm(user, MANAGE)
    at = timezone.now()
    query = " ".join(request.GET.get("q", "").split())[:100]
    form = RecordVoidForm(request.POST if request.method == "POST" else None, user=user,
                          initial={"uprn": request.GET.get("uprn", "")[:20],
                                   "start_date": timezone.localdate(at)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            void = services.record_void(property_id=data["uprn"].pk,
                                        start_date=data["start_date"], reason=data["reason"],
                                        by=user, at=at)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Void {void.reference} recorded for "
                                      f"{void.property.short_address}. Council Tax has been "
                                      f"told the date it fell void.")
            return redirect("voids:detail", pk=void.pk)
    return render(request, "voids/record.html", {
        "form": form, "query": query, "homes": _search_homes(user, query)})


# --- The void inspection ----------------------------------------------------------------------


def _inspection_blocked(void: VoidPeriod) -> str:
    if void.stage in works.INSPECTABLE:
        return ""
    return (f"The home is {Stage(void.stage).label.lower()}: an inspection can no longer be "
            f"recorded. Withdraw the offer first if the home needs more work.")


def _inspection_done(inspection) -> str:
    orders = getattr(inspection, "orders", [])
    if not orders:
        return "Inspection recorded. No works were raised."
    raised = ", ".join(f"{order.reference} ({order.trade.name.lower()})" for order in orders)
    text = f"Inspection recorded. {_plural(len(orders), 'works order')} raised: {raised}."
    waiting = [order.reference for order in orders if order.status == order.Status.RAISED]
    if waiting:
        text += (f" {', '.join(waiting)} {'waits' if len(waiting) == 1 else 'wait'} for a "
                 f"Team Leader’s approval: over your spend limit.")
    return text


@require_http_methods(["GET", "POST"])
def inspect(request, pk: int):
    void = _read(request, pk)
    user = request.user
    require_perm(user, INSPECT)
    at = timezone.now()
    today = timezone.localdate(at)
    contractors, only = queries.contractors_for(void, today=today)
    form = InspectionForm(
        request.POST if request.method == "POST" else None,
        items=list(ChecklistItem.objects.filter(active=True)), contractors=contractors,
        initial={"inspected_on": today, "void_type": void.void_type or None,
                 "contractor": only})
    blocked = _inspection_blocked(void)
    if request.method == "POST" and not blocked and form.is_valid():
        data = form.cleaned_data
        try:
            inspection = works.record_inspection(
                void_id=void.pk, inspected_on=data["inspected_on"], void_type=data["void_type"],
                notes=data["notes"], lines=form.lines(),
                contractor_id=data["contractor"].pk if data["contractor"] else None,
                by=user, at=at)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _inspection_done(inspection))
            return redirect("voids:detail", pk=void.pk)
    return render(request, "voids/inspect.html", {
        "void": void, "home": void.property, "form": form, "blocked": blocked,
        "has_request": void.repair_request_id is not None})


# --- Safety checks ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def safety_check(request, pk: int):
    void = _read(request, pk)
    user = request.user
    require_perm(user, MANAGE)
    at = timezone.now()
    form = SafetyCheckForm(request.POST if request.method == "POST" else None,
                           initial={"done_on": timezone.localdate(at)})
    blocked = ("The home has been let: record its checks on the new tenancy’s home instead."
               if void.stage == Stage.LET else "")
    if request.method == "POST" and not blocked and form.is_valid():
        data = form.cleaned_data
        try:
            check = works.record_safety_check(
                void_id=void.pk, kind=data["kind"], outcome=data["outcome"],
                done_on=data["done_on"], certificate_reference=data["certificate_reference"],
                by=user, at=at)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{check.get_kind_display()} recorded.")
            return redirect("voids:detail", pk=void.pk)
    return render(request, "voids/safety_check.html", {
        "void": void, "home": void.property, "form": form, "blocked": blocked,
        "checks": list(void.safety_checks.order_by("-done_on", "-pk"))})


# --- Ready to let -----------------------------------------------------------------------------


def _ready_blocked(void: VoidPeriod) -> str:
    if void.stage in (Stage.READY, Stage.OFFERED, Stage.LET):
        since = f" since {services.day(void.ready_on)}" if void.ready_on else ""
        return f"The home is already {Stage(void.stage).label.lower()}{since}."
    return ""


@require_http_methods(["GET", "POST"])
def ready(request, pk: int):
    void = _read(request, pk)
    user = request.user
    require_perm(user, MANAGE)
    at = timezone.now()
    form = ReadyForm(request.POST if request.method == "POST" else None,
                     initial={"ready_on": timezone.localdate(at)})
    blocked = _ready_blocked(void)
    if request.method == "POST" and not blocked and form.is_valid():
        try:
            works.mark_ready(void_id=void.pk, on=form.cleaned_data["ready_on"], by=user, at=at)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{void.property.short_address} is ready to let. "
                                      f"Record the offer when it is made.")
            return redirect("voids:detail", pk=void.pk)
    missing = [] if blocked else services.what_is_missing(void)
    return render(request, "voids/ready.html", {
        "void": void, "home": void.property, "form": form, "blocked": blocked,
        "missing": missing,
        # What is still to do, to link each thing to where it is done.
        "open_orders": services.open_orders(void) if missing else [],
        "missing_checks": [label[0].lower() + label[1:]
                           for label in services.missing_checks(void)] if missing else [],
        "can_see_orders": user.has_perm(queries.VIEW_ORDER)})


urlpatterns = [
    path("", index, name="index"),
    path("record/", record, name="record"),
    path("homes/<int:property_pk>/", for_home, name="for-home"),
    path("<int:pk>/", detail, name="detail"),
    path("<int:pk>/inspection/", inspect, name="inspect"),
    path("<int:pk>/safety-checks/", safety_check, name="safety_check"),
    path("<int:pk>/ready/", ready, name="ready"),
]
