"""The rent run as a background job (housing.jobs). When it finishes it queues the arrears run
(rents.arrears) as at the week's Monday (today, for a week run ahead), unless its parameters
say `then_arrears_run: false` (the bench times the two apart)."""

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from housing.jobs import register
from housing.models import BackgroundJob
from housing.money import format_pence
from rents.arrears import start_arrears_run
from rents.models import RentWeek
from rents.services import post_rent_run


@register("rent_run", title="Rent run", perm="rents.run_rent",
          result_template="rents/_run_result.html")
def run_rent(job: BackgroundJob, progress) -> str:
    week = RentWeek.objects.select_related("rent_year").get(pk=job.parameters["rent_week_id"])
    pause = float(job.parameters.get("pause_between_slices")
                  or getattr(settings, "RENT_RUN_PAUSE_BETWEEN_SLICES", 0))
    if pause:
        progress = _Paced(progress, pause)
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
    if job.parameters.get("then_arrears_run", True):
        # The week's debits change who owes what: the arrears run follows every rent run
        # (a rent-free week too: the days since each letter still count), as at the week's
        # Monday, or today for a week run ahead (letters are not aged by days not yet
        # come). It is idempotent, so a second one queued by a retried rent run is harmless.
        as_of = min(week.start_date, timezone.localdate())
        transaction.on_commit(lambda: start_arrears_run(as_of=as_of, by=job.started_by,
                                                        at=timezone.now()))
    if week.rent_free:
        return f"{week} is a rent-free week: nothing was charged."
    total = sum(result.totals.values())
    return (f"{week}: {result.accounts_charged:,} accounts charged, {format_pence(total)} in "
            f"all. This run posted {result.posted:,} new charges.")


class _Paced:
    """Tests only: a pause after each slice, so that a test can watch the progress bar move
    or kill the worker between slices. Set by the job parameter `pause_between_slices`
    (seconds) or the setting RENT_RUN_PAUSE_BETWEEN_SLICES; without either there is none."""

    def __init__(self, progress, pause: float) -> None:
        self.progress = progress
        self.pause = pause

    def set_total(self, total: int) -> None:
        self.progress.set_total(total)

    def set_done(self, done: int) -> None:
        self.progress.set_done(done)
        time.sleep(self.pause)
