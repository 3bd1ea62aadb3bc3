"""The repairs reports page: choose a report, give its dates, and it runs as a background job
(repairs.reports); the job page shows the result and links to its CSV here.

Who may: housing.use_reports with repairs.view_workorder (the Awaab report also
repairs.view_hazardcase); anyone else gets 403, and a report they may not run is not listed.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from housing.jobs import start_job
from housing.models import BackgroundJob
from rents.statement_views import DatePartsForm
from repairs.reports import KINDS, REPORTS, check_parameters, may_run, reporting_year_start


class ReportForm(DatePartsForm):
    def __init__(self, *args, report, today, **kwargs):
        self.dates = report.dates
        self.report = report
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        names = [name for name, _legend, _what in self.dates]
        if all(name in cleaned for name in names):
            try:
                check_parameters(self.report.slug, {name: cleaned[name] for name in names},
                                 today=self.today)
            except ValidationError as error:
                self.add_date_errors(error)
        return cleaned

    def job_parameters(self) -> dict:
        return {name: self.cleaned_data[name].isoformat() for name, _l, _w in self.dates}


def _report_for(user, slug: str):
    if not may_run(user):
        raise PermissionDenied
    report = REPORTS.get(slug)
    if report is None:
        raise Http404
    if not may_run(user, report):
        raise PermissionDenied
    return report


@require_GET
def index(request):
    if not may_run(request.user):
        raise PermissionDenied
    reports = [report for report in REPORTS.values() if may_run(request.user, report)]
    recent = (BackgroundJob.objects.filter(started_by=request.user, kind__in=list(KINDS))
              .order_by("-created_at", "-id")[:10])
    return render(request, "repairs/reports/index.html", {"reports": reports,
                                                          "recent": recent})


@require_http_methods(["GET", "POST"])
def report_start(request, slug: str):
    report = _report_for(request.user, slug)
    today = timezone.localdate()
    initial = {"start": reporting_year_start(today), "end": today}
    form = ReportForm(request.POST if request.method == "POST" else None, report=report,
                      today=today, initial=initial)
    if request.method == "POST" and form.is_valid():
        job = start_job(kind=report.kind, parameters=form.job_parameters(), by=request.user,
                        at=timezone.now())
        return redirect("job-detail", pk=job.pk)
    return render(request, "repairs/reports/start.html", {
        "report": report, "form": form, "date_groups": form.date_groups()})


@require_GET
def report_csv(request, pk: int):
    """A finished report's CSV, for whoever may see the job (its starter, or those who see
    every job) and may run that report. The files are not served from a public folder: they
    hold addresses."""
    if not may_run(request.user):
        raise PermissionDenied
    jobs = BackgroundJob.objects.filter(kind__in=list(KINDS),
                                        status=BackgroundJob.Status.SUCCEEDED)
    if not request.user.has_perm("housing.view_all_jobs"):
        jobs = jobs.filter(started_by=request.user)
    job = jobs.filter(pk=pk).first()
    if job is None or not job.result_file or not may_run(request.user, KINDS[job.kind]):
        raise Http404
    day = timezone.localtime(job.created_at).date()
    return FileResponse(job.result_file.open("rb"), as_attachment=True,
                        filename=f"{job.kind.replace('_', '-')}-{day:%Y-%m-%d}-{job.pk}.csv",
                        content_type="text/csv; charset=utf-8")


urlpatterns = [
    path("reports/", index, name="reports"),
    path("reports/jobs/<int:pk>/csv/", report_csv, name="report-csv"),
    path("reports/<slug:slug>/", report_start, name="report-start"),
]
