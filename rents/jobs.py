"""The rent run as a background job (housing.jobs)."""

from django.utils import timezone

from housing.jobs import register
from housing.models import BackgroundJob
from housing.money import format_pence
from rents.models import RentWeek
from rents.services import post_rent_run


@register("rent_run", title="Rent run", perm="rents.run_rent",
          result_template="rents/_run_result.html")
def run_rent(job: BackgroundJob, progress) -> str:
    week = RentWeek.objects.select_related("rent_year").get(pk=job.parameters["rent_week_id"])
    result = post_rent_run(week=week, by=job.started_by, at=timezone.now(), job_id=job.pk,
                           progress=progress)
    # Saved here: execute_job reloads the job after the runner.
    BackgroundJob.objects.filter(pk=job.pk).update(result_data={
        "week": str(week),
        "posted": result.posted,
        "accounts_charged": result.accounts_charged,
        "totals": result.totals,
        "without_charges": result.without_charges,
    })
    if week.rent_free:
        return f"{week} is a rent-free week: nothing was charged."
    total = sum(result.totals.values())
    return (f"{week}: {result.accounts_charged:,} accounts charged, {format_pence(total)} in "
            f"all. This run posted {result.posted:,} new charges.")
