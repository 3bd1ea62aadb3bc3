"""Letting a void home: record an offer and its answer; and the CORE lettings log (a list for a
period and its CSV). The applicant who accepted is signed up on the one tenancy sign-up screen
(/tenancies/sign-up/?property=<id>, tenancies.views.sign_up), linked from the void page.

Who may do what: offers and answers need voids.manage_void (Lettings and Voids Officers, Team
Leaders, administrators); the lettings log needs voids.view_lettinglog. Other roles get a 403;
a void off the user's patches is a 404 (every role that lets homes today sees all patches, but
a patch-scoped one works).
"""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from housing.access import get_object_for_user, require_perm
from housing.reporting import reporting_year_start, stream_csv
from voids import core, letting
from voids.letting_forms import OfferForm, OutcomeForm, PeriodForm
from voids.models import Offer, VoidPeriod

VIEW_PERM = "voids.view_voidperiod"
MANAGE_PERM = "voids.manage_void"
LOG_PERM = "voids.view_lettinglog"
LIST_PAGE = 50


def _void(request, pk: int, *perms: str) -> VoidPeriod:
    """The void, for a user with every one of `perms` (403 otherwise) who may see it (404)."""
    for perm in perms:
        require_perm(request.user, perm)
    return get_object_for_user(request.user, VoidPeriod.objects.select_related("property"),
                               pk=pk, perm=VIEW_PERM, request=request)


def _page(request, template: str, context: dict):
    return render(request, f"voids/{template}", context)


@require_http_methods(["GET", "POST"])
def offer(request, pk: int):
    void = _void(request, pk, VIEW_PERM, MANAGE_PERM)
    now = timezone.now()
    form = OfferForm(request.POST if request.method == "POST" else None,
                     initial={"offered_on": timezone.localdate(now)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = letting.record_offer(
                void_id=void.pk, applicant_name=data["applicant_name"],
                applicant_reference=data["applicant_reference"], offered_on=data["offered_on"],
                by=request.user, at=now)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Offer to {made.applicant_name} recorded: the home is "
                                      f"offered. Record the answer when it comes.")
            return redirect("voids:detail", pk=void.pk)
    return _page(request, "offer.html", {
        "void": void, "form": form,
        "blocked": "" if form.errors else letting.offer_refusal(void)})


@require_http_methods(["GET", "POST"])
def offer_outcome(request, pk: int, offer_id: int):
    void = _void(request, pk, VIEW_PERM, MANAGE_PERM)
    answered = Offer.objects.filter(pk=offer_id, void=void).first()
    if answered is None:
        raise Http404
    now = timezone.now()
    form = OutcomeForm(request.POST if request.method == "POST" else None, offer=answered,
                       initial={"outcome_on": timezone.localdate(now)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = letting.record_outcome(
                void_id=void.pk, offer_id=answered.pk, outcome=data["outcome"],
                outcome_on=data["outcome_on"], refusal_reason=data["refusal_reason"],
                by=request.user, at=now)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if result.outcome == Offer.Outcome.ACCEPTED:
                done = (f"{result.applicant_name} accepted the offer. Sign them up when they "
                        f"come in.")
            else:
                done = (f"Offer to {result.applicant_name} recorded as "
                        f"{result.get_outcome_display().lower()}: the home is ready to let "
                        f"again.")
            messages.success(request, done)
            return redirect("voids:detail", pk=void.pk)
    return _page(request, "offer_outcome.html", {
        "void": void, "offer": answered, "form": form,
        "blocked": "" if form.errors else letting.outcome_refusal(void, answered)})


# --- The CORE lettings log --------------------------------------------------------------------


def reporting_year(today: date) -> tuple[date, date]:
    """The reporting year (1 April to 31 March) that `today` falls in."""
    start = reporting_year_start(today)
    return start, date(start.year + 1, 3, 31)


def _scoped_lettings(user, queryset):
    if not user.has_perm("housing.view_all_patches"):
        queryset = queryset.filter(void__property__patch__in=user.patches.all())
    return queryset


def _period(request) -> PeriodForm:
    start, end = reporting_year(timezone.localdate())
    if "start" in request.GET or "end" in request.GET:
        return PeriodForm(request.GET)
    return PeriodForm({"start": start.isoformat(), "end": end.isoformat()})


@require_GET
def core_log(request):
    require_perm(request.user, LOG_PERM)
    form = _period(request)
    page, rows = None, []
    if form.is_valid():
        logs = _scoped_lettings(request.user, core.lettings(
            start=form.cleaned_data["start"], end=form.cleaned_data["end"]))
        page = Paginator(logs, LIST_PAGE).get_page(request.GET.get("page"))
        rows = [(log, core.row(log)) for log in page]
    return _page(request, "core.html", {"form": form, "page_obj": page, "rows": rows,
                                        "columns": core.COLUMNS})


@require_GET
def core_csv(request):
    require_perm(request.user, LOG_PERM)
    form = _period(request)
    if not form.is_valid():
        problems = " ".join(error for errors in form.errors.values() for error in errors)
        return HttpResponse(f"Give the period as start=YYYY-MM-DD and end=YYYY-MM-DD. "
                            f"{problems}\n", status=400, content_type="text/plain; charset=utf-8")
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    logs = _scoped_lettings(request.user, core.lettings(start=start, end=end))

    return stream_csv(core.COLUMNS, core.rows(logs.iterator(chunk_size=2000)), bom=True,
                      filename=f"core-lettings-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}.csv")


urlpatterns = [
    path("<int:pk>/offers/new/", offer, name="offer"),
    path("<int:pk>/offers/<int:offer_id>/outcome/", offer_outcome, name="offer_outcome"),
    path("lettings-log/", core_log, name="core"),
    path("lettings-log.csv", core_csv, name="core_csv"),
]
