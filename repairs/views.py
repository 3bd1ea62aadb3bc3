"""The repairs screens for staff: the repairs home (open orders, search, filters), raising a
repair, a repair and its orders, raising an order with SOR lines, an order with its history
and the actions the user may take, variations, recharges, and the approvals queue.

Who may do what (housing.roles.REPAIRS_PERMISSIONS): the repairs home is for the roles that
use the repairs module (housing.use_repairs: Customer Access, Repairs Officers, Team Leaders,
administrators); a repair and its orders are seen with repairs.view_repairrequest /
repairs.view_workorder (also Housing Officers, on their patches, and Lettings and Voids
Officers), reached from the property page;
raising a repair repairs.raise_repair (Customer Access too); raising orders and variations
repairs.raise_workorder; approving repairs.approve_workorder and a spend limit covering the
value; cancelling and closing repairs.manage_workorder; recharging
repairs.recharge_workorder. A role without the permission gets 403 with the reason; a repair
or order whose home is off the officer's patches is a 404.
"""

import mimetypes

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from housing.access import get_object_for_user, require_perm, scope_for_user
from housing.models import Property
from housing.money import format_pence
from repairs import queries, services, workflow
from repairs.forms import (
    CloseForm,
    LineFormSet,
    OrderFilterForm,
    OrderForm,
    ReasonForm,
    RechargeForm,
    RequestForm,
    VariationForm,
)
from repairs.models import SorCode, Variation, WorkOrder
from tenancies.models import TenancyMember

VIEW_REQUEST = queries.VIEW_REQUEST
VIEW_ORDER = queries.VIEW_ORDER
RAISE_REPAIR = "repairs.raise_repair"
RAISE_ORDER = "repairs.raise_workorder"
APPROVE = queries.APPROVE
MANAGE = "repairs.manage_workorder"
RECHARGE = "repairs.recharge_workorder"
VIEW_PHOTO = "repairs.view_repairphoto"
LIST_PAGE = 50
AFTER_ISSUE = (WorkOrder.Status.ISSUED, WorkOrder.Status.BOOKED, WorkOrder.Status.IN_PROGRESS,
               WorkOrder.Status.NO_ACCESS, WorkOrder.Status.COMPLETED,
               WorkOrder.Status.INVOICED, WorkOrder.Status.PAID)
SHOWN_INLINE = {"image/jpeg", "image/png", "image/gif", "image/webp"}
Status = WorkOrder.Status


def _read_order(request, pk) -> WorkOrder:
    require_perm(request.user, VIEW_ORDER)
    return queries.get_order_for_user(request.user, pk)


def _read_request(request, pk):
    require_perm(request.user, VIEW_REQUEST)
    return queries.get_request_for_user(request.user, pk)


def _show_errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- The repairs home -------------------------------------------------------------------------


@require_GET
def repairs_home(request):
    user = request.user
    require_perm(user, "housing.use_repairs")  # the module, as the navigation shows it
    require_perm(user, VIEW_ORDER)
    now = timezone.now()
    form = OrderFilterForm(request.GET or None)
    chosen = form.filters()
    orders = queries.order_list(user, now=now, **chosen)
    page = Paginator(orders, LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "repairs/home.html", {
        "form": form, "page_obj": page,
        "filtered": bool(chosen.get("query") or chosen.get("contractor")
                         or chosen.get("priority") or chosen.get("overdue")
                         or chosen.get("status", "open") != "open"),
        "status_label": queries.STATUS_FILTERS.get(chosen.get("status", "open"),
                                                   queries.STATUS_FILTERS["open"])[0],
        "can_raise": user.has_perm(RAISE_REPAIR),
        "can_approve": user.has_perm(APPROVE),
        "approvals": queries.approvals_count(user) if user.has_perm(APPROVE) else 0,
    })


# --- Repair requests --------------------------------------------------------------------------


def _residents(home, *, today) -> list:
    """The people living in the home today (who might have reported the repair)."""
    members = (TenancyMember.objects.filter(tenancy__property=home, start_date__lte=today,
                                            tenancy__start_date__lte=today)
               .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
               .filter(Q(tenancy__end_date__isnull=True) | Q(tenancy__end_date__gte=today))
               .select_related("person").order_by("role", "start_date", "pk"))
    return [member.person for member in members]


def _pick_home(request):
    """No home chosen yet: find it by address or postcode."""
    query = " ".join(request.GET.get("q", "").split())
    homes = []
    if query:
        homes = list(scope_for_user(request.user, Property.objects.all())
                     .filter(Q(address_line_1__icontains=query) | Q(postcode__icontains=query)
                             | Q(uprn=query))
                     .order_by("postcode", "address_line_1")[:20])
    return render(request, "repairs/request_pick_home.html", {"query": query, "homes": homes})


@require_http_methods(["GET", "POST"])
def request_new(request):
    user = request.user
    require_perm(user, RAISE_REPAIR)
    property_id = request.GET.get("property")
    if not property_id:
        return _pick_home(request)
    home = get_object_for_user(user, Property.objects.select_related("patch"), pk=property_id,
                               request=request)
    at = timezone.now()
    today = timezone.localdate(at)
    residents = _residents(home, today=today)
    form = RequestForm(request.POST if request.method == "POST" else None,
                       request.FILES if request.method == "POST" else None,
                       tenants=residents, at=at)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            repair = services.raise_request(
                property_id=home.pk, location=data["location"],
                location_detail=data["location_detail"], description=data["description"],
                access_notes=data["access_notes"], priority_id=int(data["priority"]),
                channel=data["channel"], is_damp_mould=data["is_damp_mould"],
                reported_by_id=int(data.get("reported_by") or 0) or None,
                photos=data["photos"], by=user, at=at)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            photos = len(data["photos"])
            kept = f" with {photos} photo{'s' if photos != 1 else ''}" if photos else ""
            damp = (" An Awaab’s Law case has been opened for the damp or mould."
                    if repair.is_damp_mould else "")
            messages.success(request, f"Repair {repair.reference} recorded{kept}.{damp}")
            return redirect("repairs:request", pk=repair.pk)
    return render(request, "repairs/request_form.html", {
        "home": home, "form": form,
        "flags": queries.home_safety_flag(home, on=today),
        "past": queries.past_repairs(home, on=today),
        "photos_lost": request.method == "POST" and bool(request.FILES),
    })


@require_GET
def request_detail(request, pk: int):
    repair = _read_request(request, pk)
    today = timezone.localdate()
    user = request.user
    return render(request, "repairs/request_detail.html", {
        "repair": repair, "home": repair.property,
        "orders": list(repair.orders.select_related("contractor", "trade", "parent")
                       .order_by("raised_at", "pk")),
        "photos": list(repair.photos.all()) if user.has_perm(VIEW_PHOTO) else [],
        "cases": list(repair.hazard_cases.all()),
        "flags": queries.home_safety_flag(repair.property, on=today),
        "past": queries.past_repairs(repair.property, on=today, exclude_request_id=repair.pk),
        "can_raise_order": (user.has_perm(RAISE_ORDER)
                            and repair.status == repair.Status.OPEN),
    })


# --- Work orders ------------------------------------------------------------------------------


def _sor_in_force(today):
    return (SorCode.objects.filter(start_date__lte=today)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .select_related("trade").order_by("trade__name", "code")[:300])


@require_http_methods(["GET", "POST"])
def order_new(request, pk: int):
    repair = _read_request(request, pk)
    user = request.user
    require_perm(user, RAISE_ORDER)
    parent = None
    parent_id = request.POST.get("parent") or request.GET.get("parent")
    if parent_id:
        parent = queries.get_order_for_user(user, parent_id)
        if parent.request_id != repair.pk:
            raise Http404
    at = timezone.now()
    posted = request.method == "POST"
    initial = {"trade": parent.trade_id if parent else None,
               "contractor": parent.contractor_id if parent else None,
               "description": "" if parent else repair.description}
    form = OrderForm(request.POST if posted else None, initial=initial)
    formset = LineFormSet(request.POST if posted else None, prefix="lines")
    if posted and all([form.is_valid(), formset.is_valid()]):
        data = form.cleaned_data
        try:
            order = services.raise_order(
                request_id=repair.pk, contractor_id=data["contractor"].pk,
                trade_id=data["trade"].pk, description=data["description"],
                lines=formset.lines(), parent_id=parent.pk if parent else None, by=user, at=at)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if order.status == Status.ISSUED:
                messages.success(request, f"Work order {order.reference} for "
                                          f"{format_pence(order.value_pence)} is issued to "
                                          f"{order.contractor.name}.")
            else:
                messages.success(request, f"Work order {order.reference} for "
                                          f"{format_pence(order.value_pence)} is raised. It is "
                                          f"over your spend limit, so it waits for approval.")
            return redirect("repairs:order", pk=order.pk)
    return render(request, "repairs/order_form.html", {
        "repair": repair, "home": repair.property, "form": form, "formset": formset,
        "line_errors": getattr(form, "line_errors", []), "parent": parent,
        "limit": workflow.spend_limit_for(user),
        "heading": "Raise a follow-on order" if parent else "Raise a work order",
        "sor": _sor_in_force(timezone.localdate(at)),
    })


def _approval(order: WorkOrder, user) -> dict:
    """Whether the user can approve the waiting order, and if not, why (before they click)."""
    if order.status != Status.RAISED:
        return {}
    who = queries.describe_approvers(order.value_pence)
    if not user.has_perm(APPROVE):
        return {"can": False, "why": who}
    if order.raised_by_id == user.pk:
        return {"can": False, "why": f"You raised this order, so someone else must approve it. "
                                      f"{who}"}
    limit = workflow.spend_limit_for(user)
    if limit is None or order.value_pence > limit:
        mine = f"your spend limit of {format_pence(limit)}" if limit is not None else \
            "your spend limit (you have none)"
        return {"can": False, "why": f"Its value is over {mine}. {who}"}
    return {"can": True, "why": who}


def _variation_decision(variation: Variation, user) -> dict:
    if variation.status != Variation.Status.REQUESTED:
        return {}
    who = queries.describe_approvers(variation.new_value_pence,
                                     not_who="the person who asked for the variation")
    if not user.has_perm(APPROVE):
        return {"can": False, "why": who}
    if variation.requested_by_id == user.pk:
        return {"can": False, "why": f"You asked for this variation, so someone else must "
                                      f"approve it. {who}"}
    limit = workflow.spend_limit_for(user)
    if limit is None or variation.new_value_pence > limit:
        return {"can": False, "can_reject": True,
                "why": f"The order’s new total is over your spend limit"
                       f"{f' of {format_pence(limit)}' if limit is not None else ''}. {who}"}
    return {"can": True, "can_reject": True, "why": who}


@require_GET
def order_detail(request, pk: int):
    order = _read_order(request, pk)
    user = request.user
    now = timezone.now()
    variations = list(order.variations.select_related("requested_by", "decided_by")
                      .prefetch_related("lines__sor", "lines__replaces__sor")
                      .order_by("-requested_at", "-pk"))
    for variation in variations:
        variation.decision = _variation_decision(variation, user)
    waiting = any(v.status == Variation.Status.REQUESTED for v in variations)
    book_ok = order.status in (Status.ISSUED, Status.BOOKED, Status.NO_ACCESS)
    return render(request, "repairs/order_detail.html", {
        "order": order, "repair": order.request, "home": order.property,
        "lines": queries.lines_for_display(order),
        "variations": variations,
        "events": list(order.events.select_related("by")),
        "photos": (list(order.request.photos.all()) if user.has_perm(VIEW_PHOTO) else []),
        "appointments": list(order.appointments.all()),
        "recharges": list(order.recharges.select_related("account", "created_by")),
        "follow_ons": list(order.follow_ons.all()),
        "flags": queries.home_safety_flag(order.property, on=timezone.localdate(now)),
        "is_overdue": WorkOrder.objects.filter(queries.overdue_q(now=now), pk=order.pk).exists(),
        "approval": _approval(order, user),
        "can_cancel": user.has_perm(MANAGE) and workflow.can_move(order, Status.CANCELLED),
        "can_close": user.has_perm(MANAGE) and order.status in services.CLOSABLE,
        # Follow-ons and recharges once the order has gone to the contractor.
        "can_follow_on": (user.has_perm(RAISE_ORDER) and order.status in AFTER_ISSUE
                          and order.request.status == order.request.Status.OPEN),
        "can_recharge": user.has_perm(RECHARGE) and order.status in AFTER_ISSUE,
        "invoices": (list(order.invoices.order_by("-submitted_at"))
                     if user.has_perm("repairs.view_invoice") else []),
        "can_vary": (user.has_perm(RAISE_ORDER) and order.status in services.VARIABLE
                     and not waiting),
        "can_book": book_ok and user.has_perm(MANAGE),
    })


@require_POST
def order_approve(request, pk: int):
    order = _read_order(request, pk)
    require_perm(request.user, APPROVE)
    try:
        order = services.approve_order(order_id=order.pk, by=request.user, at=timezone.now())
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(request, f"Work order {order.reference} approved and issued to "
                                  f"{order.contractor.name}.")
    return redirect("repairs:order", pk=order.pk)


def _form_page(request, order, *, form, template="repairs/form_page.html", heading: str,
               button: str, intro: str = "", **extra):
    return render(request, template, {
        "order": order, "home": order.property, "form": form, "heading": heading,
        "button": button, "intro": intro, **extra})


@require_http_methods(["GET", "POST"])
def order_cancel(request, pk: int):
    order = _read_order(request, pk)
    require_perm(request.user, MANAGE)
    form = ReasonForm(request.POST if request.method == "POST" else None,
                      label="Why is the order being cancelled?",
                      missing="Give the reason for cancelling the order.",
                      help_text="For example: raised twice; the tenant fixed it themselves.")
    if request.method == "POST" and form.is_valid():
        try:
            services.cancel_order(order_id=order.pk, reason=form.cleaned_data["reason"],
                                  by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Work order {order.reference} is cancelled.")
            return redirect("repairs:order", pk=order.pk)
    return _form_page(request, order, form=form, heading="Cancel the work order",
                      button="Cancel the order",
                      intro=f"{order.contractor.name} is told not to do the work. A booked "
                            f"appointment is cancelled with it.")


@require_http_methods(["GET", "POST"])
def order_close(request, pk: int):
    order = _read_order(request, pk)
    require_perm(request.user, MANAGE)
    form = CloseForm(request.POST if request.method == "POST" else None,
                     initial={"completed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.close_order(order_id=order.pk, by=request.user, at=timezone.now(),
                                 completed_on=form.cleaned_data["completed_on"],
                                 notes=form.cleaned_data["notes"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Work order {order.reference} is recorded as "
                                      f"completed.")
            return redirect("repairs:order", pk=order.pk)
    return _form_page(request, order, form=form, heading="Record the work as completed",
                      button="Record it as completed",
                      intro="Usually the contractor completes the order in the portal. Record "
                            "it here when they cannot.")


@require_http_methods(["GET", "POST"])
def order_recharge(request, pk: int):
    order = _read_order(request, pk)
    require_perm(request.user, RECHARGE)
    form = RechargeForm(request.POST if request.method == "POST" else None,
                        initial={"amount": f"{order.value_pence / 100:.2f}"})
    tenancy = services.tenancy_to_recharge(order)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.recharge(order_id=order.pk,
                                     amount_pence=form.cleaned_data["amount"],
                                     reason=form.cleaned_data["reason"], by=request.user,
                                     at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{format_pence(made.amount_pence)} is charged to the "
                                      f"sundry account {made.account.payment_reference}.")
            return redirect("repairs:order", pk=order.pk)
    return _form_page(request, order, form=form, template="repairs/recharge_form.html",
                      heading="Recharge the tenant", button="Recharge the tenant",
                      tenancy=tenancy)


# --- Variations -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def variation_new(request, pk: int):
    order = _read_order(request, pk)
    user = request.user
    require_perm(user, RAISE_ORDER)
    posted = request.method == "POST"
    form = VariationForm(request.POST if posted else None)
    formset = LineFormSet(request.POST if posted else None, prefix="lines")
    if posted and all([form.is_valid(), formset.is_valid()]):
        try:
            variation = services.add_variation(order_id=order.pk, lines=formset.lines(),
                                               reason=form.cleaned_data["reason"], by=user,
                                               at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if variation.status == Variation.Status.APPROVED:
                messages.success(request, f"Variation approved: the order is now "
                                          f"{format_pence(variation.new_value_pence)}.")
            else:
                messages.success(request, f"Variation recorded: the order’s new total, "
                                          f"{format_pence(variation.new_value_pence)}, waits "
                                          f"for approval.")
            return redirect("repairs:order", pk=order.pk)
    return render(request, "repairs/variation_form.html", {
        "order": order, "home": order.property, "form": form, "formset": formset,
        "line_errors": getattr(form, "line_errors", []),
        "lines": [line for line in queries.lines_for_display(order) if line.counts],
    })


def _read_variation(request, pk) -> Variation:
    require_perm(request.user, VIEW_ORDER)
    return queries.get_variation_for_user(request.user, pk)


@require_POST
def variation_approve(request, pk: int):
    variation = _read_variation(request, pk)
    require_perm(request.user, APPROVE)
    try:
        variation = services.approve_variation(variation_id=variation.pk, by=request.user,
                                               at=timezone.now())
    except ValidationError as error:
        _show_errors(request, error)
    else:
        messages.success(request, f"Variation approved: the order is now "
                                  f"{format_pence(variation.new_value_pence)}.")
    return redirect("repairs:order", pk=variation.order_id)


@require_http_methods(["GET", "POST"])
def variation_reject(request, pk: int):
    variation = _read_variation(request, pk)
    require_perm(request.user, APPROVE)
    order = variation.order
    form = ReasonForm(request.POST if request.method == "POST" else None,
                      label="Why is it not approved?",
                      missing="Give the reason for not approving the variation.",
                      help_text="The contractor sees this.")
    if request.method == "POST" and form.is_valid():
        try:
            services.reject_variation(variation_id=variation.pk,
                                      note=form.cleaned_data["reason"], by=request.user,
                                      at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Variation not approved. The order’s value is "
                                      "unchanged.")
            return redirect("repairs:order", pk=order.pk)
    return _form_page(request, order, form=form, heading="Do not approve the variation",
                      button="Do not approve it",
                      intro=f"The variation would take the order from "
                            f"{format_pence(variation.old_value_pence)} to "
                            f"{format_pence(variation.new_value_pence)}: {variation.reason}")


# --- Approvals and photos ---------------------------------------------------------------------


@require_GET
def approvals(request):
    require_perm(request.user, VIEW_ORDER)
    require_perm(request.user, APPROVE)
    return render(request, "repairs/approvals.html",
                  {"approvals": queries.approvals_for(request.user)})


@require_GET
def photo(request, pk: int):
    require_perm(request.user, VIEW_PHOTO)
    item = queries.get_photo_for_user(request.user, pk)
    kind = mimetypes.guess_type(item.image.name)[0]
    if kind not in SHOWN_INLINE:
        # Not a name we gave it: never let a browser render it as a page.
        return FileResponse(item.image.open("rb"), as_attachment=True,
                            content_type="application/octet-stream")
    response = FileResponse(item.image.open("rb"), content_type=kind)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- The property page's repairs section ------------------------------------------------------


def property_repairs_section(request, home) -> dict:
    """The property page's "Repairs" section (housing.register_views.PROPERTY_SECTIONS): the
    home's recent repairs and a link to raise one."""
    return {"past": queries.past_repairs(home, limit=5),
            "can_raise": request.user.has_perm(RAISE_REPAIR)}


urlpatterns = [
    path("", repairs_home, name="index"),
    path("approvals/", approvals, name="approvals"),
    path("requests/new/", request_new, name="request-new"),
    path("requests/<int:pk>/", request_detail, name="request"),
    path("requests/<int:pk>/orders/new/", order_new, name="order-new"),
    path("orders/<int:pk>/", order_detail, name="order"),
    path("orders/<int:pk>/approve/", order_approve, name="order-approve"),
    path("orders/<int:pk>/cancel/", order_cancel, name="order-cancel"),
    path("orders/<int:pk>/close/", order_close, name="order-close"),
    path("orders/<int:pk>/recharge/", order_recharge, name="order-recharge"),
    path("orders/<int:pk>/variations/new/", variation_new, name="variation-new"),
    path("variations/<int:pk>/approve/", variation_approve, name="variation-approve"),
    path("variations/<int:pk>/reject/", variation_reject, name="variation-reject"),
    path("photos/<int:pk>/", photo, name="photo"),
]
