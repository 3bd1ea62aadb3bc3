"""Background jobs: starting, progress, pages, and a retry after a lost worker doing its work
once."""

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
