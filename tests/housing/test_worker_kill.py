"""A real Celery worker is killed (SIGKILL) half-way through a rent run; beat's
`requeue_stale_jobs` queues the job again and a second worker finishes it, and the ledger ends
with exactly one debit per account, charge and week.

The workers are separate processes on the test database, with Celery as `make run` has it
(not eager; the filesystem broker, which forgets a message once a worker has taken it, so
nothing but the requeue can bring the job back), on a private broker folder under tmp_path.
The test talks to them only through that folder and the database.

Also here, as they need other connections to see committed rows: the heartbeat thread, and
two beats at once.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection, connections, transaction
from django.utils import timezone

from housing.jobs import requeue_stale_jobs, start_job
from housing.models import BackgroundJob
from housing.seed import seed_council
from rents.calculations import days_charged, week_charge_pence
from rents.demo import seed_rent
from rents.models import Charge, RentAccount, RentWeek, Transaction

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BASE_DIR = Path(__file__).resolve().parents[2]
MONDAY = date(2026, 11, 30)
HOMES = 300  # about 290 live tenancies and 400 weekly charges, over 10 slices


@pytest.fixture(scope="module", autouse=True)
def _database_as_migrations_left_it(django_db_setup, django_db_blocker):
    """A transactional test ends by emptying every table, the migrations' rows too (rent
    years and weeks, charge types, the role groups): put them back afterwards, so later tests
    and the next --reuse-db session find them (as tests/browser/conftest.py does)."""
    with django_db_blocker.unblock():
        contents = connection.creation.serialize_db_to_string()
        connection._test_serialized_contents = contents
    yield
    with django_db_blocker.unblock():
        connection.creation.deserialize_db_from_string(contents)


def _database_url() -> str:
    """The test database, as DATABASE_URL for another process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"]
                                             else ":")
    host = db["HOST"] or ""
    if host.startswith("/"):  # a unix socket folder
        return f"postgresql://{credentials}@/{quote(db['NAME'])}?host={quote(host)}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgresql://{credentials}@{host}{port}/{quote(db['NAME'])}"


class Workers:
    """Real Celery workers (solo pool, one task at a time) on a private filesystem broker,
    and a client that sends them tasks through it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.broker = folder / "broker"
        for sub in ("out", "processed", "control"):
            (self.broker / sub).mkdir(parents=True, exist_ok=True)
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ENV")}
        self.env.update(DJANGO_SETTINGS_MODULE="housing.settings", DJANGO_ENV="development",
                        DEBUG="false", DATABASE_URL=_database_url(),
                        CELERY_BROKER_DIR=str(self.broker), PYTHONUNBUFFERED="1")
        # Not the current app: this process's tasks stay eager on the housing app.
        self.client = Celery("worker-kill-test", broker="filesystem://", set_as_current=False)
        self.client.conf.broker_transport_options = {
            "data_folder_in": str(self.broker / "out"),
            "data_folder_out": str(self.broker / "out"),
            "processed_folder": str(self.broker / "processed"),
            "control_folder": str(self.broker / "control"),
        }
        self.processes: list[subprocess.Popen] = []

    def start(self, name: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "housing", "worker", "--pool=solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
             "-n", f"{name}@%h"],
            cwd=BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def send(self, task: str, **kwargs) -> None:
        self.client.send_task(task, kwargs=kwargs)

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def workers(tmp_path):
    workers = Workers(tmp_path)
    yield workers
    workers.stop_all()  # before the test database is emptied: they hold connections to it


def _wait_for(condition, *, timeout: float, what: str, workers: Workers, name: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}. Worker log:\n{workers.log(name)}")


def _expected_debits(week: RentWeek) -> Counter:
    """What the week must post, worked out in Python (rents.calculations) from the tenancies
    and charges: {(account, charge type, pence): 1}."""
    expected = Counter()
    charges = {}
    for charge in Charge.objects.filter(start_date__lte=week.start_date):
        if charge.end_date is None or charge.end_date >= week.start_date:
            charges.setdefault(charge.property_id, []).append(charge)
    accounts = RentAccount.objects.filter(kind="rent").select_related("tenancy")
    for account in accounts:
        tenancy = account.tenancy
        days = days_charged(week_start=week.start_date, tenancy_start=tenancy.start_date,
                            tenancy_end=tenancy.end_date)
        for charge in charges.get(tenancy.property_id, []):
            pence = week_charge_pence(weekly_pence=charge.weekly_pence, days=days)
            if pence > 0:
                expected[(account.pk, charge.charge_type_id, pence)] += 1
    return expected


def _posted(week: RentWeek) -> Counter:
    return Counter(Transaction.objects.filter(rent_week=week, kind="charge").values_list(
        "account_id", "charge_type_id", "amount_pence"))


def test_a_rent_run_killed_with_its_worker_is_requeued_and_posts_each_debit_once(
        workers, team_leader):
    seed_council(homes=HOMES, seed=2026)
    seed_rent()
    week = RentWeek.objects.get(start_date=MONDAY)
    expected = _expected_debits(week)
    assert len(expected) > 300
    assert any(pence < 1000 for _, _, pence in expected)  # part weeks are in it too

    # Started as start_job starts it, but sent to the private broker (this process is eager).
    job = BackgroundJob.objects.create(
        kind="rent_run", started_by=team_leader, created_at=timezone.now(),
        parameters={"rent_week_id": week.pk, "pause_between_slices": 0.4})
    first = workers.start("first")
    workers.send("housing.tasks.run_job", job_id=job.pk)

    def part_way():
        job.refresh_from_db()
        return job.status == "running" and 2 <= job.progress_done < job.progress_total

    _wait_for(part_way, timeout=30, what="two slices of the run", workers=workers,
              name="first")
    os.killpg(first.pid, signal.SIGKILL)  # the worker and everything it started
    assert first.wait(timeout=10) == -signal.SIGKILL

    job.refresh_from_db()
    assert (job.status, job.attempts) == ("running", 1)
    posted = _posted(week)
    before = sum(posted.values())
    assert 0 < before < len(expected)
    assert set(posted) < set(expected) and max(posted.values()) == 1
    # Nothing but a requeue will finish it: the broker forgot the message when the worker
    # took it.
    assert not any((workers.broker / "out").iterdir())

    # Beat's task (here sent by hand, with a cutoff that makes the job stale at once), on a
    # second worker, which then takes the job it queued.
    workers.start("second")
    workers.send("housing.tasks.requeue_stale_jobs", stale_after_seconds=0)

    def finished():
        job.refresh_from_db()
        return job.is_finished

    _wait_for(finished, timeout=40, what="the requeued job to finish", workers=workers,
              name="second")
    assert job.status == "succeeded", job.error
    assert job.attempts == 2
    assert f"Requeued jobs [{job.pk}]" in workers.log("second")

    posted = _posted(week)
    assert posted == expected  # every debit, none twice
    assert job.result_data["accounts_charged"] == len({account for account, _, _ in expected})
    assert job.result_data["posted"] == len(expected) - before  # the second attempt's share
    assert Transaction.objects.filter(rent_week=week).exclude(job=job).count() == 0
    assert job.heartbeat_at >= job.started_at
    assert timezone.now() - job.finished_at < timedelta(minutes=1)


def test_a_long_step_without_progress_still_beats(team_leader, settings):
    """A runner may spend minutes in one step; the heartbeat thread beats meanwhile, so the
    job is not taken for lost."""
    settings.JOB_HEARTBEAT_SECONDS = 0.2
    # One step, then a second's sleep with no progress call (eager: it runs here and now).
    job = start_job(kind="sample", parameters={"steps": 1, "batch": 1, "delay": 1.2},
                    by=team_leader)
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.heartbeat_at - job.started_at >= timedelta(seconds=0.8)
    assert job.heartbeat_at <= job.finished_at


def test_two_beats_at_once_queue_a_stale_job_once(team_leader):
    now = timezone.now()
    job = BackgroundJob.objects.create(
        kind="sample", parameters={"steps": 2, "delay": 0}, started_by=team_leader,
        status="running", attempts=1, created_at=now - timedelta(minutes=10),
        heartbeat_at=now - timedelta(minutes=5))
    claimed, release, results = threading.Event(), threading.Event(), {}

    def first_beat():
        try:
            with transaction.atomic():  # claimed, not yet committed
                results["first"] = requeue_stale_jobs(at=timezone.now())
                claimed.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_beat)
    thread.start()
    assert claimed.wait(10)
    results["second"] = requeue_stale_jobs(at=timezone.now())  # skips the locked row
    release.set()
    thread.join(10)
    results["third"] = requeue_stale_jobs(at=timezone.now())  # finds it fresh
    assert results["first"].requeued == [job.pk]
    assert results["second"].requeued == results["third"].requeued == []
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)  # the first beat's queueing ran it
