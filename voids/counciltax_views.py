"""What Council Tax billing needs to know: each home that fell void and each that was let, with
the date, as a read-only list and as a CSV the billing system fetches with a Council Tax
user's login (/voids/council-tax/changes.csv?since=YYYY-MM-DD).

Each change is one OccupancyChange row, recorded once per home, event and date (a database
constraint: voids.services.record_change), so a rerun of whatever recorded it never lists it
twice. Both pages need voids.view_occupancychange (Council Tax, Lettings and Voids Officers,
Team Leaders, administrators); anyone else gets a 403, and an anonymous visitor is sent to
sign in, as for every page (the program signs in as its Council Tax user first).
"""

from datetime import date, datetime, time, timedelta

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from housing.access import require_perm
from housing.reporting import stream_csv
from voids.letting_forms import SinceForm
from voids.models import OccupancyChange

PERM = "voids.view_occupancychange"
DEFAULT_DAYS = 28
LIST_PAGE = 50
HEADER = ["UPRN", "Address", "Event", "Date", "Recorded"]
_EVENTS = dict(OccupancyChange.Event.choices)


def changes_since(user, since: date):
    """The changes recorded on or after `since` (a local date), oldest first, limited to the
    user's patches unless they see all."""
    start = timezone.make_aware(datetime.combine(since, time.min))
    changes = OccupancyChange.objects.filter(recorded_at__gte=start)
    if not user.has_perm("housing.view_all_patches"):
        changes = changes.filter(property__patch__in=user.patches.all())
    return changes.order_by("recorded_at", "pk")


def address(*lines: str) -> str:
    return ", ".join(line for line in lines if line)


@require_GET
def council_tax(request):
    require_perm(request.user, PERM)
    today = timezone.localdate()
    data = request.GET if "since" in request.GET else {
        "since": (today - timedelta(days=DEFAULT_DAYS)).isoformat()}
    form = SinceForm(data, today=today)
    page = None
    if form.is_valid():
        changes = changes_since(request.user, form.cleaned_data["since"]).select_related(
            "property", "void")
        page = Paginator(changes, LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "voids/council_tax.html", {
        "form": form, "page_obj": page,
        "since": form.cleaned_data.get("since") if form.is_valid() else None})


@require_GET
def council_tax_csv(request):
    """One row per change: UPRN, address, event ("Void from" or "Let from"), the date (ISO)
    and when it was recorded (ISO, local time). No byte order mark: it is read by a program."""
    require_perm(request.user, PERM)
    form = SinceForm(request.GET, today=timezone.localdate())
    if not form.is_valid():
        problem = " ".join(form.errors.get("since", []))
        return HttpResponse(
            f"Give the date to list changes from as since=YYYY-MM-DD, for example "
            f"?since=2026-11-01. {problem}\n", status=400,
            content_type="text/plain; charset=utf-8")
    since = form.cleaned_data["since"]
    rows = changes_since(request.user, since).values_list(
        "property__uprn", "property__address_line_1", "property__address_line_2",
        "property__town", "property__postcode", "event", "date", "recorded_at")

    return stream_csv(HEADER, (
        (uprn, address(line_1, line_2, town, postcode), _EVENTS.get(event, event),
         on.isoformat(), timezone.localtime(recorded).isoformat(timespec="seconds"))
        for uprn, line_1, line_2, town, postcode, event, on, recorded in rows.iterator(
            chunk_size=2000)), filename=f"council-tax-changes-since-{since:%Y-%m-%d}.csv")


urlpatterns = [
    path("council-tax/", council_tax, name="council_tax"),
    path("council-tax/changes.csv", council_tax_csv, name="council_tax_csv"),
]
