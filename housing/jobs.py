"""Background jobs: one mechanism for rent runs, imports, letters and reports.

A kind registers a runner:

    @register("sample", title="Sample job", perm="housing.run_sample_job")
    def run_sample(job: BackgroundJob, progress: Progress) -> str: ...

`start_job()` records the job and queues `housing.tasks.run_job` after commit. A runner must
make its writes idempotent with a database constraint (see `run_sample`), because a job can
run again after its worker was lost:

- The task is `acks_late` and rejected when its worker dies, so a broker that keeps unacked
  messages (Redis) delivers it again.
- A broker that does not (the filesystem transport of `make run` removes a message when a
  worker receives it) would lose the job for good. So a running job records a heartbeat
  (`heartbeat_at`), and beat's `requeue_stale_jobs` queues again every job whose heartbeat has
  stopped for JOB_STALE_AFTER_SECONDS, and every job still queued that long, up to
  JOB_MAX_ATTEMPTS attempts; then the job fails with a message saying so.
- Two deliveries of one job never run at once: the worker running a job holds a PostgreSQL
  advisory lock on it for as long as its connection lives, and a delivery that cannot take
  the lock leaves the job to that worker. A SIGKILLed worker's connection closes, and its lock
  with it.
"""

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import F
from django.utils import timezone

from housing.models import BackgroundJob, SampleJobStep, User

logger = logging.getLogger(__name__)


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
    progress bar moves while the runner's own work is still in its transaction. Each call is
    also a heartbeat."""

    def __init__(self, job: BackgroundJob):
        self.job = job

    def set_total(self, total: int) -> None:
        self.job.progress_total = total
        BackgroundJob.objects.filter(pk=self.job.pk).update(progress_total=total,
                                                            heartbeat_at=timezone.now())

    def set_done(self, done: int) -> None:
        self.job.progress_done = min(done, self.job.progress_total or done)
        BackgroundJob.objects.filter(pk=self.job.pk).update(
            progress_done=self.job.progress_done, heartbeat_at=timezone.now())


def start_job(*, kind: str, parameters: dict, by: User | None, at=None) -> BackgroundJob:
    if kind not in registry:
        raise ValueError(f"Unknown job kind {kind!r}")
    job = BackgroundJob.objects.create(
        kind=kind, parameters=parameters, started_by=by, created_at=at or timezone.now()
    )
    from housing.tasks import run_job

    transaction.on_commit(lambda: run_job.delay(job_id=job.pk))
    return job


# %s is the number of attempts (filled in by Python's % and by PostgreSQL's format()).
_GAVE_UP = ("The job was stopped %s times before it could finish (the worker running it "
            "stopped each time), so it was not started again. What it had done is kept: start "
            "it again once the cause is put right, and it carries on from there.")


def execute_job(*, job_id: int) -> BackgroundJob:
    """Run (or, after a lost worker, resume) one job. A finished job is left alone, so a
    message delivered twice does nothing the second time; so is a job another live worker is
    running (it holds the job's lock); a job already stopped JOB_MAX_ATTEMPTS times fails."""
    with _running_alone(job_id) as alone:
        if not alone:
            logger.info("Job %s is being run by another worker; this delivery leaves it.",
                        job_id)
            return BackgroundJob.objects.get(pk=job_id)
        with transaction.atomic():
            job = BackgroundJob.objects.select_for_update().get(pk=job_id)
            if job.is_finished:
                return job
            now = timezone.now()
            if job.attempts >= settings.JOB_MAX_ATTEMPTS:
                job.status, job.error, job.finished_at = (
                    BackgroundJob.Status.FAILED, _GAVE_UP % job.attempts, now)
                job.save(update_fields=["status", "error", "finished_at"])
                return job
            job.status = BackgroundJob.Status.RUNNING
            job.started_at = job.started_at or now
            job.heartbeat_at = now
            job.attempts = F("attempts") + 1
            job.save(update_fields=["status", "started_at", "heartbeat_at", "attempts"])
        job.refresh_from_db()
        runner = registry[job.kind]
        try:
            with _heartbeat(job.pk):
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


# An advisory lock key's first half: "this is a background job" (the second is its id).
_JOB_LOCK = 0x6A6F62  # "job"


@contextlib.contextmanager
def _running_alone(job_id: int):
    """Hold the job's advisory lock (session level: it lasts across the runner's own
    transactions, and ends with the connection if the worker dies). Yields False when
    another connection holds it."""
    key = [_JOB_LOCK, job_id & 0x7FFFFFFF]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        locked = cursor.fetchone()[0]
    try:
        yield locked
    finally:
        if locked:
            # A connection already lost has dropped the lock with it.
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


@contextlib.contextmanager
def _heartbeat(job_id: int):
    """Beat every JOB_HEARTBEAT_SECONDS from a thread of its own while the runner works.

    Progress calls beat too, but a runner may spend minutes in one step (a file imported in
    one transaction, a big PDF) without calling them, and must not be taken for lost. A thread
    beats for as long as the worker process lives, and stops with it when the worker is
    killed, which is the thing to detect. It writes on its own connection and never waits for
    a lock on the job's row: a runner holding that lock in an open transaction is alive
    anyway (and `requeue_stale_jobs` skips locked rows too)."""
    every = settings.JOB_HEARTBEAT_SECONDS
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    with connections["default"].cursor() as cursor:
                        cursor.execute("""
                            UPDATE housing_backgroundjob SET heartbeat_at = %s
                            WHERE id = (SELECT id FROM housing_backgroundjob
                                        WHERE id = %s AND status = 'running'
                                        FOR UPDATE SKIP LOCKED)
                        """, [timezone.now(), job_id])
                except DatabaseError:  # the next beat tries again
                    logger.warning("Job %s: could not record a heartbeat", job_id,
                                   exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclass
class RequeueResult:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def requeue_stale_jobs(*, at: datetime, stale_after: timedelta | None = None,
                       max_attempts: int | None = None) -> RequeueResult:
    """Queue again every job whose worker has been lost: running with no heartbeat for
    `stale_after` (JOB_STALE_AFTER_SECONDS unless given), or still queued that long after it
    was started (its message was lost before any worker began it). A job already stopped
    `max_attempts` times (JOB_MAX_ATTEMPTS) is failed instead, with a message, so that a job
    that kills its worker every time is not started for ever.

    One conditional UPDATE claims the jobs: it moves their heartbeat to `at` and returns
    them, so a later beat finds their heartbeat fresh and queues none of them again; two
    beats at once cannot both claim a job either (the second skips the rows the first has
    locked, and a row re-read after the first commits is fresh). Rows locked by a live
    runner are skipped too: a worker holding them is alive."""
    if stale_after is None:
        stale_after = timedelta(seconds=settings.JOB_STALE_AFTER_SECONDS)
    if max_attempts is None:
        max_attempts = settings.JOB_MAX_ATTEMPTS
    cutoff = at - stale_after
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""
            WITH stale AS (
                SELECT id FROM housing_backgroundjob
                WHERE status IN ('queued', 'running')
                  AND COALESCE(heartbeat_at, created_at) < %(cutoff)s
                ORDER BY id
                FOR UPDATE SKIP LOCKED
            )
            UPDATE housing_backgroundjob job
            SET heartbeat_at = %(at)s,
                status = CASE WHEN job.attempts >= %(max)s THEN 'failed' ELSE job.status END,
                finished_at = CASE WHEN job.attempts >= %(max)s THEN %(at)s
                                   ELSE job.finished_at END,
                error = CASE WHEN job.attempts >= %(max)s THEN format(%(gave_up)s, job.attempts)
                             ELSE job.error END
            FROM stale WHERE job.id = stale.id
            RETURNING job.id, job.status
        """, {"cutoff": cutoff, "at": at, "max": max_attempts, "gave_up": _GAVE_UP})
        claimed = sorted(cursor.fetchall())
        result = RequeueResult()
        for job_id, status in claimed:
            if status == BackgroundJob.Status.FAILED:
                result.failed.append(job_id)
            else:
                result.requeued.append(job_id)
        from housing.tasks import run_job

        for job_id in result.requeued:
            transaction.on_commit(lambda job_id=job_id: run_job.delay(job_id=job_id))
    if claimed:
        logger.warning("Requeued jobs %s after their workers stopped; gave up on %s",
                       result.requeued, result.failed)
    return result


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
