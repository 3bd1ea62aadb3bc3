"""Tenancy pages: the tenancy 360 page, one page per event (form, then POST), and sign-up."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import get_object_for_user, require_perm, scope_for_user
from housing.models import Property
from rents.casework import tenancy_case
from rents.queries import account_summary, rent_account_for_tenancy
from tenancies.forms import ACTIONS, SignUpForm, available_actions
from tenancies.models import Tenancy, TenancyMember
from voids.services import day, letting_state


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
    account = rent_account_for_tenancy(request.user, tenancy)
    return render(request, "tenancies/tenancy_detail.html", {
        "tenancy": tenancy,
        "tenants": [m for m in live if m.role == "tenant"],
        "household": [m for m in live if m.role == "household"],
        "former": [m for m in members if m not in live],
        "events": tenancy.events.select_related("recorded_by"),
        "actions": available_actions(request.user, tenancy, today=today),
        "can_see_people": request.user.has_perm("housing.view_person"),
        "rent": account_summary(account, today=today) if account else None,
        "letters": tenancy.letters.all() if request.user.has_perm(LETTER_PERM) else None,
        "case": tenancy_case(request.user, tenancy),  # the arrears case diary
    })


LETTER_PERM = "tenancies.view_letter"


def letter_download(request, pk: int, letter_pk: int):
    """A letter kept on the tenancy, as its PDF. 404 unless the user may see the tenancy and
    its letters."""
    tenancy = get_object_for_user(request.user, Tenancy.objects.all(), pk=pk, request=request)
    if not request.user.has_perm(LETTER_PERM):
        raise Http404
    letter = tenancy.letters.filter(pk=letter_pk).first()
    if letter is None or not letter.file:
        raise Http404
    name = letter.file.name.rsplit("/", 1)[-1]
    return FileResponse(letter.file.open("rb"), as_attachment=True, filename=name,
                        content_type="application/pdf")


@require_http_methods(["GET", "POST"])
def tenancy_action(request, pk: int, action: str):
    form_class = ACTIONS.get(action)
    if form_class is None:
        raise Http404
    tenancy = get_object_for_user(request.user, _tenancy_queryset(), pk=pk, request=request)
    today = timezone.localdate()
    if action not in dict(available_actions(request.user, tenancy, today=today)):
        if not request.user.has_perms(form_class.perms):
            raise PermissionDenied
        raise Http404  # the action cannot apply to this tenancy (ended, sole tenant...)
    form = form_class(request.POST if request.method == "POST" else None, tenancy=tenancy,
                      today=today, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = form.save(by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, form.success_message(result))
            return redirect("tenancies:detail", pk=tenancy.pk)
    return render(request, "tenancies/tenancy_action.html", {"tenancy": tenancy, "form": form})


@require_http_methods(["GET", "POST"])
def sign_up(request):
    """Let a void home: /tenancies/sign-up/?property=<id>, linked from the home's page."""
    require_perm(request.user, "tenancies.sign_up_tenancy")
    home = get_object_for_user(
        request.user, Property.objects.select_related("estate", "block", "patch"),
        pk=request.GET.get("property"), request=request)
    context = {"home": home, "current": None, "refusal": "", "void": None, "offer": None,
               "problems": []}
    if home.kind != Property.Kind.DWELLING:
        context["refusal"] = (f"{home} is a {home.get_kind_display().lower()}, not a home, "
                              f"so it cannot be let.")
    elif home.tenure != Property.Tenure.VOID:
        context["current"] = scope_for_user(request.user, home.tenancies.all()).filter(
            end_date__isnull=True).first()
        context["refusal"] = (f"{home} is {home.get_tenure_display().lower()}, not void: only "
                              f"a void or new home can be let.")
    else:
        # A home with an open void is let from the void's accepted offer, once its works are
        # closed and its safety checks recorded (voids.services.check_letting says so again).
        void, offer, problems = letting_state(home)
        context.update(void=void, offer=offer, problems=problems)
        if problems:
            context["refusal"] = f"{home} is void ({void.reference}) and cannot be let yet."
    if context["refusal"]:
        return render(request, "tenancies/sign_up.html", context)
    form = SignUpForm(request.POST if request.method == "POST" else None, home=home,
                      today=timezone.localdate(), offer=context["offer"])
    if request.method == "POST" and form.is_valid():
        try:
            tenancy = form.save(by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            message = (f"Tenancy {tenancy.reference} signed up: {home} is let from "
                       f"{day(tenancy.start_date)}. Rent is charged from that day.")
            if context["void"] is not None:
                message += (f" Void {context['void'].reference} is closed and Council Tax is "
                            f"told the home is let.")
            if form.existing:
                names = " and ".join(person.full_name for person in form.existing)
                message += (f" {names} {'was' if len(form.existing) == 1 else 'were'} already "
                            f"recorded, so the tenancy uses their existing record.")
            messages.success(request, message)
            return redirect("tenancies:detail", pk=tenancy.pk)
    context["form"] = form
    return render(request, "tenancies/sign_up.html", context)
