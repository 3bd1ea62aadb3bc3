"""The void KPI page and the records behind each of its figures (voids.kpis).

- kpis/: average relet time (standard and major works voids apart), void rent loss and its
  share of the rent roll, for a period (1 April of the reporting year to today unless
  chosen); and the voids open now by stage and age.
- kpis/voids/: the open voids behind a stage-by-age count; kpis/lettings/: the lettings
  behind a relet line; kpis/rent-loss/: each void's loss behind the rent loss figure. Each
  is paginated and downloads as CSV with ?format=csv.

The forms are GET forms: asking for figures changes nothing, and a page's address can be kept
and shared. Who may: voids.view_voidperiod (Lettings and Voids Officers, Repairs Officers,
Team Leaders, administrators), counting only the homes on their patches unless their role
sees every patch; anyone else gets 403.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from housing.access import require_perm
from housing.money import pence_to_pounds
from housing.reporting import Result, csv_bytes, reporting_year_start
from rents.statement_views import DatePartsForm
from voids import kpis, services
from voids.rentloss import rent_lost

PAGE = 50
DATE_FIELDS = [f"{name}_{part}" for name in ("start", "end") for part in ("day", "month", "year")]


class PeriodForm(DatePartsForm):
    """From and to dates, both included; the end today at the latest."""

    dates = [("start", "From", "the start date"), ("end", "To", "the end date")]

    def __init__(self, *args, today: date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if "start" in cleaned and "end" in cleaned:
            try:
                kpis.check_period(start=cleaned["start"], until=cleaned["end"],
                                  today=self.today)
            except ValidationError as error:
                self.add_date_errors(error)
        return cleaned


class LettingsForm(PeriodForm):
    type = forms.ChoiceField(label="Void type", required=False,
                             choices=[("", "All lettings"), *kpis.VOID_TYPES],
                             error_messages={"invalid_choice": "Select a void type from the "
                                                               "list."})


class OpenVoidsForm(forms.Form):
    stage = forms.ChoiceField(label="Stage", required=False,
                              choices=[("", "All stages"),
                                       *((stage.value, stage.label) for stage in
                                         kpis.OPEN_STAGES)],
                              error_messages={"invalid_choice": "Select a stage of an open "
                                                                "void from the list."})
    band = forms.ChoiceField(label="Days void", required=False,
                             choices=[("", "Any number of days"),
                                      *((band.key, band.label) for band in kpis.BANDS)],
                             error_messages={"invalid_choice": "Select a number of days void "
                                                               "from the list."})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


def period_query(start: date, until: date) -> str:
    """The GET parameters that give a drill-down the same period."""
    values = {}
    for name, day in (("start", start), ("end", until)):
        values.update({f"{name}_day": day.day, f"{name}_month": day.month,
                       f"{name}_year": day.year})
    return urlencode(values)


def _period_form(request, form_class, *, today: date):
    """The period form bound to the GET parameters, the dates defaulting to the reporting
    year so far. Returns (form, (start, until) or None when something given is wrong)."""
    data = request.GET.copy()
    if not any(name in data for name in DATE_FIELDS):
        start = reporting_year_start(today)
        for name, day in (("start", start), ("end", today)):
            data.update({f"{name}_day": str(day.day), f"{name}_month": str(day.month),
                         f"{name}_year": str(day.year)})
    form = form_class(data, today=today)
    if not form.is_valid():
        return form, None
    return form, (form.cleaned_data["start"], form.cleaned_data["end"])


def _csv_query(request) -> str:
    """This page's GET parameters, for its CSV download (every row: no page number)."""
    data = request.GET.copy()
    data.pop("page", None)
    data["format"] = "csv"
    return data.urlencode()


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _csv(name: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(csv_bytes(Result(data={}, header=header, rows=rows)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def _span(start: date, until: date) -> str:
    return f"{start:%Y-%m-%d}-to-{until:%Y-%m-%d}"


# --- The KPI page -----------------------------------------------------------------------------


@require_GET
def kpi_page(request):
    require_perm(request.user, kpis.VIEW)
    today = timezone.localdate()
    form, period = _period_form(request, PeriodForm, today=today)
    figures = None
    if period is not None:
        start, until = period
        figures = kpis.summary(start=start, until=until, today=today, user=request.user)
        opened = figures["open"]
    else:
        opened = kpis.stage_by_band(today=today, user=request.user)
    return render(request, "voids/kpis.html", {
        "form": form, "date_groups": form.date_groups(), "figures": figures,
        "open": opened, "today": today,
        "period_query": period_query(*period) if period else "",
    })


# --- Drill-downs ------------------------------------------------------------------------------


@require_GET
def kpi_voids(request):
    """The open voids behind a count of the stage-by-age table."""
    require_perm(request.user, kpis.VIEW)
    today = timezone.localdate()
    form = OpenVoidsForm(request.GET)
    context = {"form": form, "today": today, "page_obj": None, "rows": []}
    if not form.is_valid():
        return render(request, "voids/kpi_voids.html", context)
    stage, band = form.cleaned_data["stage"], form.cleaned_data["band"]
    voids = kpis.open_voids(today=today, user=request.user, stage=stage, band=band)
    if _wants_csv(request):
        return _csv(f"open-voids-{today:%Y-%m-%d}",
                    ["Void", "UPRN", "Address", "Stage", "Days void", "Rent lost so far (£)"],
                    [[row["void"].reference, row["void"].property.uprn,
                      row["void"].property.short_address, row["void"].get_stage_display(),
                      row["days"], pence_to_pounds(row["lost"])]
                     for row in _open_rows(list(voids), today=today)])
    page = Paginator(voids, PAGE).get_page(request.GET.get("page"))
    context.update({
        "page_obj": page, "rows": _open_rows(list(page), today=today),
        "stage_label": dict(form.fields["stage"].choices)[stage] if stage else "",
        "band_label": kpis.BANDS[kpis.BAND_KEYS.index(band)].label if band else "",
        "filtered": bool(stage or band),
        "csv_query": _csv_query(request),
    })
    return render(request, "voids/kpi_voids.html", context)


def _open_rows(voids, *, today: date) -> list[dict]:
    """Each void with its days void and its rent lost so far (one query for them all)."""
    if not voids:
        return []
    lost = rent_lost(start=min(void.start_date for void in voids), until=today,
                     void_ids=[void.pk for void in voids])
    return [{"void": void, "days": services.days_void(void, today=today),
             "lost": lost.get(void.pk, 0)} for void in voids]


def _ended(void) -> date:
    """The previous tenancy's last day, from which relet days count: the day before the first
    void day (for a void recorded without a tenancy, the day before it was void from)."""
    return void.start_date - timedelta(days=1)


def _type_label(void) -> str:
    return kpis.TYPE_LABELS[void.void_type or kpis.NOT_INSPECTED]


@require_GET
def kpi_lettings(request):
    """The lettings behind a relet line, with each one's relet days."""
    require_perm(request.user, kpis.VIEW)
    today = timezone.localdate()
    form, period = _period_form(request, LettingsForm, today=today)
    context = {"form": form, "date_groups": form.date_groups(), "page_obj": None}
    if period is None:
        return render(request, "voids/kpi_lettings.html", context)
    start, until = period
    void_type = form.cleaned_data["type"]
    voids = kpis.lettings(start=start, until=until, user=request.user,
                          void_type=void_type or None).select_related("property")
    if _wants_csv(request):
        kind = f"{void_type}-" if void_type else ""
        return _csv(f"void-lettings-{kind}{_span(start, until)}",
                    ["Void", "UPRN", "Address", "Void type", "Tenancy ended", "Let on",
                     "Relet days"],
                    [[void.reference, void.property.uprn, void.property.short_address,
                      _type_label(void), _ended(void).isoformat(), void.let_date.isoformat(),
                      services.relet_days(void)] for void in voids])
    page = Paginator(voids, PAGE).get_page(request.GET.get("page"))
    lines = kpis.relet_lines(start=start, until=until, user=request.user)
    line = next((line for line in lines if line["key"] == void_type),
                {"lettings": 0, "total_days": 0, "average": None})
    context.update({
        "start": start, "until": until, "page_obj": page, "line": line,
        "type_label": kpis.TYPE_LABELS.get(void_type, "All lettings"),
        "rows": [{"void": void, "ended": _ended(void), "from_tenancy":
                  bool(void.previous_tenancy_id), "days": services.relet_days(void),
                  "type": _type_label(void)} for void in page],
        "period_query": period_query(start, until),
        "type_query": urlencode({"type": void_type}) if void_type else "",
    })
    return render(request, "voids/kpi_lettings.html", context)


@require_GET
def kpi_rent_loss(request):
    """Each void's rent loss in the period: they add up to the KPI page's figure."""
    require_perm(request.user, kpis.VIEW)
    today = timezone.localdate()
    form, period = _period_form(request, PeriodForm, today=today)
    context = {"form": form, "date_groups": form.date_groups(), "page_obj": None}
    if period is None:
        return render(request, "voids/kpi_rent_loss.html", context)
    start, until = period
    loss = kpis.loss_by_void(start=start, until=until, user=request.user)
    voids = kpis.losing_voids(loss, user=request.user)
    if _wants_csv(request):
        return _csv(f"void-rent-loss-{_span(start, until)}",
                    ["Void", "UPRN", "Address", "Void from", "Let on", "Days in the period",
                     "Rent lost (£)"],
                    [[void.reference, void.property.uprn, void.property.short_address,
                      void.start_date.isoformat(),
                      void.let_date.isoformat() if void.let_date else "",
                      kpis.days_in_period(void, start=start, until=until),
                      pence_to_pounds(loss[void.pk])] for void in voids])
    page = Paginator(voids, PAGE).get_page(request.GET.get("page"))
    context.update({
        "start": start, "until": until, "page_obj": page,
        "rows": [{"void": void, "days": kpis.days_in_period(void, start=start, until=until),
                  "lost": loss[void.pk]} for void in page],
        "total_pence": sum(loss.values()), "voids_with_loss": len(loss),
        "period_query": period_query(start, until),
        "csv_query": f"{period_query(start, until)}&format=csv",
    })
    return render(request, "voids/kpi_rent_loss.html", context)


urlpatterns = [
    path("kpis/", kpi_page, name="kpis"),
    path("kpis/voids/", kpi_voids, name="kpi_voids"),
    path("kpis/lettings/", kpi_lettings, name="kpi_lettings"),
    path("kpis/rent-loss/", kpi_rent_loss, name="kpi_rent_loss"),
]
