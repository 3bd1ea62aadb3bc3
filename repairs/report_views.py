"""The repairs reports page: choose a report, give its dates, and it runs as a background job
(repairs.reports); the job page shows the result and links to its CSV here.

Who may: housing.use_reports with repairs.view_workorder (the Awaab report also
repairs.view_hazardcase); anyone else gets 403, and a report they may not run is not listed.
"""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from housing.jobs import start_job
from housing.models import BackgroundJob
from housing.reporting import csv_download, reporting_year_start
from rents.report_views import ReportForm
from repairs.reports import KINDS, REPORTS, check_parameters, may_run


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
                      check=partial(check_parameters, report.slug),
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
    return csv_download(job)


urlpatterns = [
    path("reports/", index, name="reports"),
    path("reports/jobs/<int:pk>/csv/", report_csv, name="report-csv"),
    path("reports/<slug:slug>/", report_start, name="report-start"),
]
