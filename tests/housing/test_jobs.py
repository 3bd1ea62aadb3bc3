"""Background jobs: starting, progress, pages, and a retry after a lost worker doing its work
once; heartbeats, and jobs queued again after their worker was lost."""

from datetime import timedelta

import pytest

from housing.jobs import SimulatedWorkerLoss, execute_job, start_job
from housing.models import BackgroundJob, SampleJobStep

pytestmark = pytest.mark.django_db


def test_starting_a_job_runs_it_after_commit(team_leader, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(kind="sample", parameters={"steps": 12, "batch": 5, "delay": 0},
                        by=team_leader)
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert (job.progress_done, job.progress_total, job.percent) == (12, 12, 100)
    assert job.result_summary == "Counted 12 steps."
    assert job.attempts == 1
    assert SampleJobStep.objects.filter(job=job).count() == 12


def test_a_job_retried_after_a_lost_worker_does_its_work_once(team_leader):
    job = start_job(kind="sample", by=team_leader,
                    parameters={"steps": 20, "batch": 5, "delay": 0, "lose_worker_after": 10})
    with pytest.raises(SimulatedWorkerLoss):
        execute_job(job_id=job.pk)  # the worker dies half-way
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.RUNNING
    assert job.progress_done == 10

    execute_job(job_id=job.pk)  # the broker redelivers the message (acks_late)
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert job.attempts == 2
    steps = list(SampleJobStep.objects.filter(job=job).values_list("step", flat=True))
    assert sorted(steps) == list(range(1, 21))

    execute_job(job_id=job.pk)  # a duplicate delivery of a finished job does nothing
    job.refresh_from_db()
    assert job.attempts == 2
    assert SampleJobStep.objects.filter(job=job).count() == 20


def test_the_task_is_acknowledged_late_and_rejected_when_the_worker_is_lost():
    from django.conf import settings

    from housing.tasks import run_job

    assert run_job.acks_late is True
    assert run_job.reject_on_worker_lost is True
    assert settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_a_failing_job_records_its_error(team_leader):
    job = start_job(kind="sample", by=team_leader, parameters={"steps": "many"})
    with pytest.raises(ValueError):
        execute_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.FAILED
    assert "many" in job.error


def test_starting_the_sample_job_from_the_page(client_for, team_leader,
                                               django_capture_on_commit_callbacks):
    client = client_for(team_leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/jobs/sample/new/", {"steps": "7", "delay": "0"})
    job = BackgroundJob.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Counted 7 steps." in page
    assert "100%" in page


def test_the_sample_job_form_keeps_what_was_typed_and_explains_errors(client_for, team_leader):
    response = client_for(team_leader).post("/jobs/sample/new/", {"steps": "0", "delay": "abc"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert 'value="0"' in page and 'value="abc"' in page
    assert BackgroundJob.objects.count() == 0


def test_progress_fragment_polls_until_finished(client_for, team_leader):
    job = start_job(kind="sample", parameters={"steps": 10}, by=team_leader)
    BackgroundJob.objects.filter(pk=job.pk).update(status="running", progress_total=10,
                                                   progress_done=4)
    client = client_for(team_leader)
    fragment = client.get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert "40%" in fragment
    BackgroundJob.objects.filter(pk=job.pk).update(status="succeeded", progress_done=10)
    fragment = client.get(f"/jobs/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in fragment
    assert "100%" in fragment


def test_job_pages_are_private_to_their_starter_and_managers(client_for, officer, income_officer,
                                                               team_leader, tenant):
    job = start_job(kind="sample", parameters={"steps": 1}, by=officer)
    for path in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/progress/"):
        assert client_for(officer).get(path).status_code == 200
        assert client_for(team_leader).get(path).status_code == 200  # view_all_jobs
        assert client_for(income_officer).get(path).status_code == 404
        assert client_for(tenant).get(path).status_code == 403
        assert client_for(None).get(path).status_code == 302
    assert str(job) not in client_for(income_officer).get("/jobs/").content.decode()
    assert str(job) in client_for(officer).get("/jobs/").content.decode()


def test_only_roles_allowed_may_start_the_sample_job(client_for, officer):
    assert client_for(officer).get("/jobs/sample/new/").status_code == 403


def test_job_list_query_count_does_not_grow_with_jobs(client_for, team_leader, officer,
                                                      django_assert_max_num_queries):
    client = client_for(team_leader)
    for _ in range(3):
        start_job(kind="sample", parameters={"steps": 1}, by=officer)
    client.get("/jobs/")
    with django_assert_max_num_queries(12) as few:
        client.get("/jobs/")
    for _ in range(20):
        start_job(kind="sample", parameters={"steps": 1}, by=officer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/jobs/")


# --- Lost workers: heartbeats, requeueing and giving up ----------------------------------------

def _job_in(status, *, by, attempts=0, heartbeat_ago=None, created_ago=timedelta(0)):
    from django.utils import timezone

    now = timezone.now()
    return BackgroundJob.objects.create(
        kind="sample", parameters={"steps": 3, "delay": 0}, started_by=by, status=status,
        attempts=attempts, created_at=now - created_ago,
        heartbeat_at=None if heartbeat_ago is None else now - heartbeat_ago)


@pytest.mark.parametrize(("status", "attempts", "heartbeat_ago", "created_ago", "outcome"), [
    # A running job whose worker stopped beating two minutes ago is queued again.
    ("running", 1, timedelta(minutes=3), timedelta(minutes=10), "requeued"),
    ("running", 2, timedelta(minutes=3), timedelta(minutes=10), "requeued"),
    # A running job that beat a moment ago is left to its worker.
    ("running", 1, timedelta(seconds=5), timedelta(minutes=10), "left"),
    # A queued job no worker has started in two minutes: its message was lost.
    ("queued", 0, None, timedelta(minutes=3), "requeued"),
    ("queued", 0, None, timedelta(seconds=30), "left"),
    # Stopped three times (JOB_MAX_ATTEMPTS): failed, not started a fourth time.
    ("running", 3, timedelta(minutes=3), timedelta(minutes=30), "failed"),
    # Finished jobs are never touched, however old.
    ("succeeded", 1, timedelta(hours=1), timedelta(hours=2), "left"),
    ("failed", 1, timedelta(hours=1), timedelta(hours=2), "left"),
])
def test_requeue_stale_jobs(team_leader, django_capture_on_commit_callbacks, status, attempts,
                            heartbeat_ago, created_ago, outcome):
    from django.utils import timezone

    from housing.jobs import requeue_stale_jobs

    job = _job_in(status, by=team_leader, attempts=attempts, heartbeat_ago=heartbeat_ago,
                  created_ago=created_ago)
    before = BackgroundJob.objects.values().get(pk=job.pk)
    with django_capture_on_commit_callbacks() as queued:
        result = requeue_stale_jobs(at=timezone.now())
    job.refresh_from_db()
    if outcome == "requeued":
        assert (result.requeued, result.failed, len(queued)) == ([job.pk], [], 1)
        assert job.status == status and job.attempts == attempts
        assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)  # claimed
    elif outcome == "failed":
        assert (result.requeued, result.failed, len(queued)) == ([], [job.pk], 0)
        assert job.status == BackgroundJob.Status.FAILED and job.finished_at
        assert job.error.startswith("The job was stopped 3 times before it could finish")
    else:
        assert (result.requeued, result.failed, len(queued)) == ([], [], 0)
        assert BackgroundJob.objects.values().get(pk=job.pk) == before


def test_a_requeued_job_is_queued_once_and_runs_again_to_the_end(
        team_leader, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from housing.jobs import requeue_stale_jobs

    job = start_job(kind="sample", by=team_leader,
                    parameters={"steps": 20, "batch": 5, "delay": 0, "lose_worker_after": 10})
    with pytest.raises(SimulatedWorkerLoss):
        execute_job(job_id=job.pk)  # the worker dies, and the broker has forgotten the message
    BackgroundJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=5))

    fresh = _job_in("running", by=team_leader, attempts=1, heartbeat_ago=timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        first = requeue_stale_jobs(at=timezone.now())
    assert (first.requeued, len(queued)) == ([job.pk], 1)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        again = requeue_stale_jobs(at=timezone.now())  # the next beat: nothing stale now
    assert (again.requeued, again.failed, len(queued)) == ([], [], 0)

    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress_done) == ("succeeded", 2, 20)
    assert sorted(SampleJobStep.objects.filter(job=job).values_list("step", flat=True)) == \
        list(range(1, 21))
    fresh.refresh_from_db()
    assert (fresh.status, fresh.attempts) == ("running", 1)


def test_the_stale_cutoff_and_attempts_come_from_settings(team_leader, settings):
    from django.utils import timezone

    from housing.jobs import requeue_stale_jobs

    assert (settings.JOB_STALE_AFTER_SECONDS, settings.JOB_MAX_ATTEMPTS) == (120, 3)
    assert settings.JOB_HEARTBEAT_SECONDS * 3 <= settings.JOB_STALE_AFTER_SECONDS
    assert settings.CELERY_BEAT_SCHEDULE["requeue-stale-jobs"] == {
        "task": "housing.tasks.requeue_stale_jobs", "schedule": 60.0}
    job = _job_in("running", by=team_leader, attempts=1, heartbeat_ago=timedelta(seconds=50))
    assert requeue_stale_jobs(at=timezone.now()).requeued == []
    settings.JOB_STALE_AFTER_SECONDS = 30
    assert requeue_stale_jobs(at=timezone.now()).requeued == [job.pk]
    settings.JOB_MAX_ATTEMPTS = 1
    BackgroundJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=1))
    assert requeue_stale_jobs(at=timezone.now()).failed == [job.pk]


def test_the_beat_task_requeues_with_the_clock(team_leader, django_capture_on_commit_callbacks):
    from housing.tasks import requeue_stale_jobs

    job = _job_in("queued", by=team_leader, created_ago=timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_jobs() == {"requeued": [job.pk], "failed": []}
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 1)  # the eager test broker ran it


def test_a_job_stopped_too_often_fails_when_delivered_again(team_leader):
    job = _job_in("running", by=team_leader, attempts=3, heartbeat_ago=timedelta(minutes=5))
    execute_job(job_id=job.pk)  # e.g. Redis redelivering after the worker was lost again
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("failed", 3)
    assert "stopped 3 times" in job.error
    assert SampleJobStep.objects.filter(job=job).count() == 0


def test_a_delivery_of_a_job_another_worker_is_running_leaves_it_alone(team_leader):
    from django.db import DEFAULT_DB_ALIAS, connections

    from housing.jobs import _JOB_LOCK

    job = _job_in("running", by=team_leader, attempts=1, heartbeat_ago=timedelta(seconds=1))
    other = connections.create_connection(DEFAULT_DB_ALIAS)  # the worker running it
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [_JOB_LOCK, job.pk])
        execute_job(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.attempts) == ("running", 1)
        assert SampleJobStep.objects.filter(job=job).count() == 0
        # That worker is done with it. (Had it died, the lock would have gone with its
        # connection: test_worker_kill.py.)
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [_JOB_LOCK, job.pk])
    finally:
        other.close()
    execute_job(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)


def test_progress_is_a_heartbeat(team_leader):
    from django.utils import timezone

    from housing.jobs import Progress

    job = _job_in("running", by=team_leader, attempts=1, heartbeat_ago=timedelta(minutes=10))
    progress = Progress(job)
    progress.set_total(4)
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)
    BackgroundJob.objects.filter(pk=job.pk).update(
        heartbeat_at=timezone.now() - timedelta(minutes=10))
    progress.set_done(2)
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)
    assert (job.progress_done, job.progress_total) == (2, 4)


def test_the_job_page_says_when_a_job_was_restarted(client_for, team_leader):
    job = _job_in("running", by=team_leader, attempts=1, heartbeat_ago=timedelta(seconds=1))
    client = client_for(team_leader)
    assert "restarted" not in client.get(f"/jobs/{job.pk}/").content.decode()
    BackgroundJob.objects.filter(pk=job.pk).update(attempts=2)
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "This job was restarted after the worker stopped (attempt 2)." in page
    fragment = client.get(f"/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true").content.decode()
    assert "restarted after the worker stopped" in fragment
