"""The property and person screens: lists with filters, the 360-degree pages, and the
pages that add a home and change a home or a person's contact details (through
housing.services)."""

from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing import audit, services
from housing.access import get_object_for_user, require_perm, scope_for_user
from housing.forms_register import AlertForm, PersonContactForm, PropertyForm
from housing.models import Alert, Block, Estate, Patch, Person, Property
from rents.account_views import property_rent_section
from repairs.views import property_repairs_section
from tenancies.models import Tenancy, TenancyMember


def active_alerts(on):
    return Alert.objects.filter(start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on))


def alerts_for(user, queryset, *, request, on):
    """Alerts as the user may see them: the detail of those they were granted (each read
    logged), and for the rest only the safety flag text, never the detail."""
    alerts = list(active_alerts(on).filter(pk__in=queryset.values("pk")))
    visible = set(scope_for_user(user, Alert.objects.filter(pk__in=[a.pk for a in alerts]))
                  .values_list("pk", flat=True))
    shown = []
    for alert in alerts:
        if alert.pk in visible:
            get_object_for_user(user, Alert.objects.all(), pk=alert.pk, request=request)
            shown.append({"alert": alert, "detail": alert.detail, "flag": alert.safety_flag})
        elif alert.safety_flag:
            shown.append({"alert": None, "detail": "", "flag": True,
                          "flag_text": alert.flag_text})
    return shown


class PropertyFilter(django_filters.FilterSet):
    estate = django_filters.ModelChoiceFilter(queryset=Estate.objects.all(), empty_label="All")
    block = django_filters.ModelChoiceFilter(queryset=Block.objects.select_related("estate"),
                                             empty_label="All")
    patch = django_filters.ModelChoiceFilter(queryset=Patch.objects.all(), empty_label="All")
    property_type = django_filters.ChoiceFilter(choices=Property.PropertyType.choices,
                                                label="Type", empty_label="All")
    bedrooms = django_filters.NumberFilter(label="Bedrooms")
    tenure = django_filters.ChoiceFilter(choices=Property.Tenure.choices, label="Status",
                                         empty_label="All")

    class Meta:
        model = Property
        fields = ["estate", "block", "patch", "property_type", "bedrooms", "tenure"]


def property_list(request):
    require_perm(request.user, "housing.use_properties")
    homes = scope_for_user(request.user, Property.objects.select_related("estate", "block",
                                                                        "patch"))
    filters = PropertyFilter(request.GET or None, queryset=homes)
    page = Paginator(filters.qs if filters.is_bound else homes, 50).get_page(
        request.GET.get("page"))
    return render(request, "housing/property_list.html", {"filter": filters, "page_obj": page})


@dataclass(frozen=True)
class Section:
    """A part of the property page that a later module fills: the rent account (#4),
    repairs, voids (#7), cases. A section is hidden until its module gives it a `template`
    (an include rendered with the page's context, plus `section.data` from `load(request,
    home)`); `perm` hides it from roles that do not use that module."""

    slug: str
    title: str
    template: str = ""
    perm: str = ""
    load: Callable[[HttpRequest, Property], dict] | None = None


# In the order they appear, after the tenancies. A module adds its section by giving it a
# template here (and a `load` for its data, with the user's scoping applied there).
PROPERTY_SECTIONS: list[Section] = [
    # Every role that may read rent accounts sees the balance (Housing Officers too).
    Section("rent-account", "Rent account", template="rents/_property_rent.html",
            perm="rents.view_rentaccount", load=property_rent_section),
    Section("repairs", "Repairs", template="repairs/_property_repairs.html",
            perm="repairs.view_repairrequest", load=property_repairs_section),
    Section("voids", "Voids", perm="housing.use_voids"),
    Section("cases", "Cases"),
]


def property_sections(request, home: Property) -> list[dict]:
    sections = []
    for section in PROPERTY_SECTIONS:
        available = bool(section.template) and (
            not section.perm or request.user.has_perm(section.perm))
        sections.append({
            "slug": section.slug, "title": section.title, "template": section.template,
            "available": available,
            "data": section.load(request, home) if available and section.load else {},
        })
    return sections


def property_detail(request, pk: int):
    today = timezone.localdate()
    home = get_object_for_user(
        request.user,
        Property.objects.select_related("estate__patch", "block", "patch")
        .prefetch_related("adaptations", "attributes__definition"),
        pk=pk, request=request,
    )
    tenancies = list(
        scope_for_user(request.user, Tenancy.objects.filter(property=home))
        .prefetch_related(Prefetch("members", queryset=TenancyMember.objects.select_related(
            "person").order_by("role", "start_date")))
        .order_by("-start_date")
    )
    current = next((t for t in tenancies if t.is_live_on(today)), None)
    return render(request, "housing/property_detail.html", {
        "home": home,
        "current": current,
        "current_members": [m for m in current.members.all()
                            if m.end_date is None or m.end_date >= today] if current else [],
        "past": [t for t in tenancies if t is not current],
        # Alerts on the home and on anyone living there: a visitor needs both.
        "alerts": alerts_for(
            request.user,
            Alert.objects.filter(Q(property=home) | Q(person__in=[
                m.person_id for m in (current.members.all() if current else [])
                if m.end_date is None or m.end_date >= today])),
            request=request, on=today),
        "audit_entries": audit.trail(home),
        "patch_officers": [user.display_name for user in home.patch.officers.filter(
            is_active=True, kind="staff").order_by("last_name")],
        "can_see_people": request.user.has_perm("housing.view_person"),
        "can_change": request.user.has_perm("housing.change_property"),
        # A void home with nobody in it can be let (tenancies.services.sign_up).
        "can_let": (home.kind == Property.Kind.DWELLING and home.tenure == Property.Tenure.VOID
                    and current is None
                    and request.user.has_perm("tenancies.sign_up_tenancy")),
        "sections": property_sections(request, home),
    })


@require_http_methods(["GET", "POST"])
def property_create(request):
    require_perm(request.user, "housing.add_property")
    form = PropertyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            home = services.create_property(**form.cleaned_data, by=request.user,
                                            at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{home.short_address} has been added.")
            return redirect("properties:detail", pk=home.pk)
    return render(request, "housing/property_form.html", {"form": form, "home": None})


@require_http_methods(["GET", "POST"])
def property_edit(request, pk: int):
    require_perm(request.user, "housing.change_property")
    home = get_object_for_user(request.user, Property.objects.select_related("estate"), pk=pk,
                               request=request)
    form = PropertyForm(request.POST or None, instance=home)
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.info(request, "Nothing was changed.")
            return redirect("properties:detail", pk=home.pk)
        try:
            home = services.update_property(property_id=home.pk, changes=form.changes(),
                                            by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"The details of {home.short_address} have been saved.")
            return redirect("properties:detail", pk=home.pk)
    return render(request, "housing/property_form.html", {"form": form, "home": home})


def person_detail(request, pk: int):
    today = timezone.localdate()
    person = get_object_for_user(request.user, Person.objects.all(), pk=pk, request=request)
    links = list(
        TenancyMember.objects.filter(person=person)
        .select_related("tenancy__property").order_by("-start_date")
    )
    return render(request, "housing/person_detail.html", {
        "person": person,
        "links": links,
        "current_links": [m for m in links if m.end_date is None or m.end_date >= today],
        "alerts": alerts_for(request.user, Alert.objects.filter(person=person),
                             request=request, on=today),
        "audit_entries": audit.trail(person),
        "can_change": request.user.has_perm("housing.change_person"),
    })


@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int):
    require_perm(request.user, "housing.change_person")
    person = get_object_for_user(request.user, Person.objects.all(), pk=pk, request=request)
    form = PersonContactForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.info(request, "Nothing was changed.")
            return redirect("people:detail", pk=person.pk)
        try:
            services.update_person_contact(person_id=person.pk, changes=form.changes(),
                                           by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{person.full_name}’s details have been saved.")
            return redirect("people:detail", pk=person.pk)
    return render(request, "housing/person_form.html", {"form": form, "person": person})


@require_http_methods(["GET", "POST"])
def person_alert_new(request, pk: int):
    require_perm(request.user, "housing.add_alert")
    person = get_object_for_user(request.user, Person.objects.all(), pk=pk, request=request)
    form = AlertForm(request.POST or None, initial={"start_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.create_alert(person_id=person.pk, by=request.user, at=timezone.now(),
                                  **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "The alert has been recorded.")
            return redirect("people:detail", pk=person.pk)
    return render(request, "housing/alert_form.html", {"form": form, "person": person})
