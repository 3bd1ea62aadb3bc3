from celery import shared_task

from housing.jobs import execute_job


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(*, job_id: int) -> None:
    execute_job(job_id=job_id)
