"""The sample background job, run by a real Celery worker, and its progress bar moving to
100% on the job page while the page polls for it."""

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_accessible, form_with, login, submit, submit_button, visit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@contextmanager
def worker_thread(settings):
    """A real Celery worker in a thread of this process, taking jobs from the in-memory
    broker, instead of the eager mode the other tests use (where a job would finish inside
    the request that starts it, and there would be no progress to watch)."""
    from celery.contrib.testing.worker import start_worker

    from housing.celery import app

    changed = {"task_always_eager": False, "broker_url": "memory://",
               "worker_hijack_root_logger": False}
    before = {key: app.conf[key] for key in changed}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.update(changed)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) \
                as worker:
            yield worker
    finally:
        app.conf.update(before)


@pytest.fixture
def celery_worker(settings):
    with worker_thread(settings) as worker:
        yield worker


_PROGRESS = """() => {
  const bar = document.querySelector("#job-progress progress");
  return bar ? {value: bar.value, max: bar.max} : null;
}"""


def test_sample_job_progress_bar_reaches_100_percent(
        page, live_server, team_leader, password, celery_worker):
    from housing.models import BackgroundJob

    login(page, live_server, team_leader, password)
    visit(page, live_server, "/jobs/sample/new/")
    form = form_with(page, "steps")
    form.locator('[name="steps"]').fill("40")
    form.locator('[name="delay"]').fill("0.5")  # 8 batches of 5, about 4 seconds in all
    submit(page, submit_button(form))

    job = BackgroundJob.objects.get()
    assert page.url.endswith(f"/jobs/{job.pk}/")
    bar = page.locator("#job-progress progress")
    expect(bar).to_be_visible()

    # The page polls every second: see the bar part way, then full.
    page.wait_for_function(
        "() => { const b = document.querySelector('#job-progress progress');"
        " return b && b.value > 0 && b.value < b.max; }", timeout=15_000)
    part_way = page.evaluate(_PROGRESS)
    assert 0 < part_way["value"] < part_way["max"], part_way
    expect(page.locator("#job-progress")).to_contain_text(" of 40)")
    assert_accessible(page)  # the page as htmx changed it

    expect(page.locator("#job-progress .app-progress__label")).to_have_text(
        "100% (40 of 40)", timeout=20_000)
    assert page.evaluate(_PROGRESS) == {"value": 100, "max": 100}
    expect(page.get_by_role("heading", name="Finished")).to_be_visible()
    expect(page.locator("#job-progress")).to_contain_text("Counted 40 steps.")
    assert_accessible(page)

    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert job.progress_done == job.progress_total == 40
