"""Tenancy pages: the tenancy 360 page and one page per event (form, then POST)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import get_object_for_user, require_perm, scope_for_user
from tenancies.forms import ACTIONS, available_actions
from tenancies.models import Tenancy, TenancyMember


def _tenancy_queryset():
    return Tenancy.objects.select_related("property__estate", "property__patch").prefetch_related(
        Prefetch("members", queryset=TenancyMember.objects.select_related("person")
                 .order_by("role", "start_date")))


def tenancy_list(request):
    require_perm(request.user, "housing.use_tenancies")
    tenancies = scope_for_user(request.user, Tenancy.objects.select_related("property")).filter(
        end_date__isnull=True).order_by("reference")
    page = Paginator(tenancies, 50).get_page(request.GET.get("page"))
    return render(request, "tenancies/tenancy_list.html", {"page_obj": page})


def tenancy_detail(request, pk: int):
    tenancy = get_object_for_user(request.user, _tenancy_queryset(), pk=pk, request=request)
    today = timezone.localdate()
    members = list(tenancy.members.all())
    live = [m for m in members if m.end_date is None or m.end_date >= today]
    return render(request, "tenancies/tenancy_detail.html", {
        "tenancy": tenancy,
        "tenants": [m for m in live if m.role == "tenant"],
        "household": [m for m in live if m.role == "household"],
        "former": [m for m in members if m not in live],
        "events": tenancy.events.select_related("recorded_by"),
        "actions": available_actions(request.user, tenancy),
        "can_see_people": request.user.has_perm("housing.view_person"),
    })


@require_http_methods(["GET", "POST"])
def tenancy_action(request, pk: int, action: str):
    form_class = ACTIONS.get(action)
    if form_class is None:
        raise Http404
    tenancy = get_object_for_user(request.user, _tenancy_queryset(), pk=pk, request=request)
    if action not in dict(available_actions(request.user, tenancy)):
        if not request.user.has_perm(form_class.perm):
            raise PermissionDenied
        raise Http404
    form = form_class(request.POST or None, tenancy=tenancy)
    if request.method == "POST" and form.is_valid():
        try:
            form.save(by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{form_class.title}: done.")
            return redirect("tenancies:detail", pk=tenancy.pk)
    return render(request, "tenancies/tenancy_action.html", {"tenancy": tenancy, "form": form})
