"""Background jobs: one mechanism for rent runs, imports, letters and reports.

A kind registers a runner:

    @register("sample", title="Sample job", perm="housing.run_sample_job")
    def run_sample(job: BackgroundJob, progress: Progress) -> str: ...

`start_job()` records the job and queues `housing.tasks.run_job` after commit. The task is
`acks_late` and rejected when its worker dies, so a lost worker means the job runs again: a
runner must make its writes idempotent with a database constraint (see `run_sample`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from housing.models import BackgroundJob, SampleJobStep, User


@dataclass(frozen=True)
class Runner:
    kind: str
    title: str
    perm: str
    func: Callable
    result_template: str = ""  # shows a finished job's result_data on its page


registry: dict[str, Runner] = {}


def register(kind: str, *, title: str, perm: str, result_template: str = ""):
    def decorator(func):
        registry[kind] = Runner(kind=kind, title=title, perm=perm, func=func,
                                result_template=result_template)
        return func

    return decorator


class Progress:
    """Handed to a runner to report progress; each call is its own small write, so the
    progress bar moves while the runner's own work is still in its transaction."""

    def __init__(self, job: BackgroundJob):
        self.job = job

    def set_total(self, total: int) -> None:
        self.job.progress_total = total
        BackgroundJob.objects.filter(pk=self.job.pk).update(progress_total=total)

    def set_done(self, done: int) -> None:
        self.job.progress_done = min(done, self.job.progress_total or done)
        BackgroundJob.objects.filter(pk=self.job.pk).update(progress_done=self.job.progress_done)


def start_job(*, kind: str, parameters: dict, by: User | None, at=None) -> BackgroundJob:
    if kind not in registry:
        raise ValueError(f"Unknown job kind {kind!r}")
    job = BackgroundJob.objects.create(
        kind=kind, parameters=parameters, started_by=by, created_at=at or timezone.now()
    )
    from housing.tasks import run_job

    transaction.on_commit(lambda: run_job.delay(job_id=job.pk))
    return job


def execute_job(*, job_id: int) -> BackgroundJob:
    """Run (or, after a lost worker, resume) one job. A finished job is left alone, so a
    message delivered twice does nothing the second time."""
    with transaction.atomic():
        job = BackgroundJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return job
        job.status = BackgroundJob.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.attempts = F("attempts") + 1
        job.save(update_fields=["status", "started_at", "attempts"])
    job.refresh_from_db()
    runner = registry[job.kind]
    try:
        summary = runner.func(job, Progress(job))
    except Exception as error:  # noqa: BLE001 - recorded on the job for the user to see
        BackgroundJob.objects.filter(pk=job.pk).update(
            status=BackgroundJob.Status.FAILED, error=str(error) or error.__class__.__name__,
            finished_at=timezone.now(),
        )
        raise
    job.refresh_from_db()
    job.status = BackgroundJob.Status.SUCCEEDED
    job.result_summary = summary or ""
    job.finished_at = timezone.now()
    if job.progress_total:
        job.progress_done = job.progress_total
    job.save(update_fields=["status", "result_summary", "finished_at", "progress_done",
                            "result_data", "result_file"])
    return job


# --- The sample job -----------------------------------------------------------------------

class SimulatedWorkerLoss(BaseException):
    """Raised by the sample job in tests to stand for a worker killed mid-job."""


@register("sample", title="Sample job", perm="housing.run_sample_job")
def run_sample(job: BackgroundJob, progress: Progress) -> str:
    """Counts to `steps` in batches, pausing `delay` seconds per batch so the progress bar
    can be watched. Each step is a row under a unique constraint, so a rerun after a lost
    worker skips the steps already done."""
    import time

    steps = int(job.parameters.get("steps", 20))
    batch = max(1, int(job.parameters.get("batch", 5)))
    delay = float(job.parameters.get("delay", 0.2))
    lose_worker_after = job.parameters.get("lose_worker_after")  # tests only
    progress.set_total(steps)
    done = SampleJobStep.objects.filter(job=job).count()
    progress.set_done(done)
    for start in range(1, steps + 1, batch):
        numbers = range(start, min(start + batch, steps + 1))
        with transaction.atomic():
            SampleJobStep.objects.bulk_create(
                [SampleJobStep(job=job, step=n) for n in numbers], ignore_conflicts=True
            )
        done = SampleJobStep.objects.filter(job=job).count()
        progress.set_done(done)
        if lose_worker_after is not None and done >= int(lose_worker_after) and job.attempts == 1:
            raise SimulatedWorkerLoss
        if delay:
            time.sleep(delay)
    return f"Counted {steps} steps."
