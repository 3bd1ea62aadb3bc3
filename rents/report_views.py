"""The rent reports page: choose a report, give its dates, and it runs as a background job
(rents.reports); the job page shows the result and links to its CSV here."""

from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from housing.jobs import start_job
from housing.models import BackgroundJob
from housing.reporting import csv_download
from rents.reports import REPORTS, check_parameters, may_run
from rents.statement_views import DatePartsForm


def _require_reports(user) -> None:
    if not may_run(user):
        raise PermissionDenied


class ReportForm(DatePartsForm):
    """A report's dates (report.dates), checked by `check(values, today=)`: the module's
    check_parameters for this report. The rent and repairs reports pages share it."""

    def __init__(self, *args, report, today, check, **kwargs):
        self.dates = report.dates
        self.report = report
        self.today = today
        self.check = check
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        names = [name for name, _legend, _what in self.dates]
        if all(name in cleaned for name in names):
            try:
                self.check({name: cleaned[name] for name in names}, today=self.today)
            except ValidationError as error:
                self.add_date_errors(error)
        return cleaned

    def job_parameters(self) -> dict:
        return {name: self.cleaned_data[name].isoformat() for name, _l, _w in self.dates}


def _defaults(kind: str, today) -> dict:
    if kind == "collection_rate":
        from rents.statements import default_range

        start, end = default_range(today=today)
        return {"start": start, "end": end}
    return {"on": today}


def index(request):
    _require_reports(request.user)
    recent = (BackgroundJob.objects.filter(started_by=request.user, kind__in=list(REPORTS))
              .order_by("-created_at", "-id")[:10])
    return render(request, "rents/reports/index.html", {
        "reports": list(REPORTS.values()), "recent": recent})


@require_http_methods(["GET", "POST"])
def report_start(request, kind: str):
    _require_reports(request.user)
    report = REPORTS.get(kind)
    if report is None:
        raise Http404
    today = timezone.localdate()
    form = ReportForm(request.POST if request.method == "POST" else None, report=report,
                      check=partial(check_parameters, kind),
                      today=today, initial=_defaults(kind, today))
    if request.method == "POST" and form.is_valid():
        job = start_job(kind=kind, parameters=form.job_parameters(), by=request.user,
                        at=timezone.now())
        return redirect("job-detail", pk=job.pk)
    return render(request, "rents/reports/start.html", {
        "report": report, "form": form, "date_groups": form.date_groups()})


@require_GET
def report_csv(request, pk: int):
    """A finished report's CSV, for whoever may see the job (its starter, or those who see
    every job) and may run reports. The files are not served from a public folder: they hold
    addresses and balances."""
    _require_reports(request.user)
    jobs = BackgroundJob.objects.filter(kind__in=list(REPORTS),
                                        status=BackgroundJob.Status.SUCCEEDED)
    if not request.user.has_perm("housing.view_all_jobs"):
        jobs = jobs.filter(started_by=request.user)
    job = jobs.filter(pk=pk).first()
    if job is None or not job.result_file:
        raise Http404
    return csv_download(job)
