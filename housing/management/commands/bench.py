"""`manage.py bench` (`make bench`): the performance figures of this system.

It works in a scratch database, `<database>_bench`, created for the run and dropped after it,
so the developer's own data is never touched and every run starts from the same place. Each
figure is measured by one function in FIGURES, in order; each takes the Bench and returns a
dict of named figures (seconds as `*_seconds`, latencies as `*_p95_ms`). Figures are printed
as they come, then all of them as one JSON object on the last line, which is what tools read.

To add a figure (seed_seconds, search_p95_ms, rent_run_seconds, ...), write a function like
those below and add it to FIGURES after whatever it needs (everything needs `migrate` first).
"""

import json
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test import Client

ALIAS = "default"


class Bench:
    """What the figure functions share: the scratch database's name and the figures so far."""

    def __init__(self, *, database: str) -> None:
        self.database = database
        self.figures: dict[str, float] = {}


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def p95_ms(samples_seconds: list[float]) -> float:
    """The 95th percentile, in milliseconds (inclusive method: no extrapolation past the max)."""
    return statistics.quantiles(samples_seconds, n=100, method="inclusive")[94] * 1000


# --- the figures, in order ---------------------------------------------------------------------


def measure_migrate(bench: Bench) -> dict[str, float]:
    """All migrations applied to an empty database: what a new installation waits for."""
    seconds = timed(lambda: call_command("migrate", interactive=False, verbosity=0))
    return {"migrate_seconds": round(seconds, 2)}


def measure_healthz(bench: Bench, *, requests: int = 200) -> dict[str, float]:
    """/healthz through the whole middleware stack, in process (no network): it queries the
    database and reaches the broker, so it is the floor under every page."""
    client = Client()
    for _ in range(10):  # warm up: URL resolver, connections, broker
        response = client.get("/healthz")
        if response.status_code != 200:
            raise CommandError(f"/healthz answered {response.status_code}: {response.content!r}")
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get("/healthz")
        samples.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise CommandError(f"/healthz answered {response.status_code}: {response.content!r}")
    return {"healthz_p95_ms": round(p95_ms(samples), 2)}


FIGURES: list[Callable[[Bench], dict[str, float]]] = [
    measure_migrate,
    measure_healthz,
]


# --- the scratch database ----------------------------------------------------------------------


@contextmanager
def scratch_database():
    """Point the default connection at a new, empty `<name>_bench` database; drop it after."""
    connection = connections[ALIAS]
    original = connection.settings_dict["NAME"]
    scratch = f"{original}_bench"
    quoted = connection.ops.quote_name(scratch)
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {quoted}")
    _switch(connection, scratch)
    try:
        yield scratch
    finally:
        _switch(connection, original)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")


def _switch(connection, name: str) -> None:
    connection.close()
    settings.DATABASES[ALIAS]["NAME"] = name
    connection.settings_dict["NAME"] = name


class Command(BaseCommand):
    help = (
        "Measure the system's performance figures in a scratch database and print them, "
        "ending with one JSON object on the last line."
    )

    def handle(self, *args, **options):
        started = time.perf_counter()
        with scratch_database() as database:
            bench = Bench(database=database)
            self.stdout.write(f"Benchmarking in the scratch database {database!r}")
            for measure in FIGURES:
                figures = measure(bench)
                for name, value in figures.items():
                    self.stdout.write(f"  {name:<24} {value}")
                bench.figures.update(figures)
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
        self.stdout.write(json.dumps(bench.figures))
