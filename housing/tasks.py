from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from housing import jobs


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(*, job_id: int) -> None:
    jobs.execute_job(job_id=job_id)


@shared_task
def requeue_stale_jobs(*, stale_after_seconds: float | None = None) -> dict:
    """Beat runs this every minute: jobs whose worker was lost are queued again (see
    housing.jobs). `stale_after_seconds` overrides JOB_STALE_AFTER_SECONDS (tests)."""
    stale_after = None if stale_after_seconds is None else timedelta(seconds=stale_after_seconds)
    result = jobs.requeue_stale_jobs(at=timezone.now(), stale_after=stale_after)
    return {"requeued": result.requeued, "failed": result.failed}
