"""Views of the core: home pages, module landing pages, background jobs, health check."""

import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from housing import audit
from housing.access import get_object_for_user, require_perm
from housing.context_processors import navigation_for
from housing.forms import SampleJobForm
from housing.imports import kinds_for
from housing.jobs import registry, start_job
from housing.models import BackgroundJob, Patch
from housing.search import search as search_records


def home(request):
    user = request.user
    if user.is_tenant:
        return redirect("portal:home")
    if user.is_contractor:
        return redirect("contractor:home")
    modules = [item for item in navigation_for(user) if item[0] != "Admin"]
    recent_jobs = (
        BackgroundJob.objects.filter(started_by=user).select_related("started_by")[:5]
    )
    return render(request, "housing/home.html", {
        "modules": modules,
        "roles": [group.name for group in user.groups.all()],
        "patches": list(user.patches.all()),
        "sees_all_patches": user.has_perm("housing.view_all_patches"),
        "recent_jobs": recent_jobs,
        "is_admin": user.is_staff,
        "can_import": bool(kinds_for(user)),
    })


def module_home(request, *, title: str, perm: str, summary: str):
    """The landing page of a module. Later issues give each module its own pages."""
    require_perm(request.user, perm)
    return render(request, "housing/module_home.html", {"title": title, "summary": summary})


def reports_home(request):
    """The Reports module: each module's reports, as far as the user may run them."""
    require_perm(request.user, "housing.use_reports")
    return render(request, "housing/reports_home.html")


@require_GET
def search(request):
    query = request.GET.get("q", "").strip()
    template = "housing/_search_results.html" if request.htmx else "housing/search.html"
    return render(request, template, {"query": query, "groups": search_records(request.user,
                                                                               query)})


# --- Background jobs ------------------------------------------------------------------------

def _jobs_for(user):
    jobs = BackgroundJob.objects.select_related("started_by")
    if user.has_perm("housing.view_all_jobs"):
        return jobs
    return jobs.filter(started_by=user)


def _get_job(request, pk):
    # Jobs are scoped by who started them rather than by patch, so scope_for_user's model
    # permission layer does not apply; every staff user may see their own.
    from django.http import Http404

    if not request.user.is_council_staff:
        raise Http404
    try:
        return _jobs_for(request.user).get(pk=pk)
    except BackgroundJob.DoesNotExist:
        raise Http404 from None


def job_list(request):
    page = Paginator(_jobs_for(request.user), 25).get_page(request.GET.get("page"))
    return render(request, "housing/job_list.html", {"page_obj": page})


def _job_context(job) -> dict:
    runner = registry.get(job.kind)
    return {"job": job, "result_template": runner.result_template if runner else ""}


def job_detail(request, pk: int):
    return render(request, "housing/job_detail.html", _job_context(_get_job(request, pk)))


@never_cache
def job_progress(request, pk: int):
    return render(request, "housing/_job_progress.html", _job_context(_get_job(request, pk)))


@require_http_methods(["GET", "POST"])
def sample_job_start(request):
    runner = registry["sample"]
    require_perm(request.user, runner.perm)
    form = SampleJobForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        job = start_job(kind="sample", parameters=form.job_parameters(), by=request.user,
                        at=timezone.now())
        return redirect("job-detail", pk=job.pk)
    return render(request, "housing/sample_job_form.html", {"form": form})


# --- Patches --------------------------------------------------------------------------------

def patch_detail(request, pk: int):
    patch = get_object_for_user(request.user, Patch.objects.all(), pk=pk)
    return render(request, "housing/patch_detail.html", {
        "patch": patch,
        "officers": patch.officers.order_by("last_name", "first_name"),
        "audit_entries": audit.trail(patch),
    })


# --- Health ---------------------------------------------------------------------------------

@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 with {"status": "ok"} when the database and the broker answer, else 503."""
    checks = {}
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {error.__class__.__name__}"
    checks["broker"] = _broker_status()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks,
         "ms": round((time.monotonic() - started) * 1000, 1)},
        status=200 if healthy else 503,
    )


def _broker_status() -> str:
    from housing.celery import app

    if settings.CELERY_BROKER_URL.startswith("memory://"):
        return "ok"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        return f"error: {error.__class__.__name__}"


@login_not_required
@require_GET
def favicon(request):
    # Resolved per request: with the production manifest storage the hashed name exists
    # only after collectstatic.
    from django.templatetags.static import static

    return redirect(static("dist/assets/images/favicon.svg"), permanent=True)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)

