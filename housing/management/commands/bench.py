"""`manage.py bench` (`make bench`): the performance figures of this system.

It works in a scratch database, `<database>_bench`, created for the run and dropped after it,
so the developer's own data is never touched and every run starts from the same place. Each
figure is measured by one function in FIGURES, in order; each takes the Bench and returns a
dict of named figures (seconds as `*_seconds`, latencies as `*_p50_ms` and `*_p95_ms`).
Figures are printed as they come, then all of them as one JSON object on the last line, which
is what tools read.

The figures: migrate; seed (a council of BENCH_HOMES homes, 100,000 unless set); the global
search over a mix of 200 realistic queries (with, per kind of query, its times and how many
found what they looked for, and the slowest searches; `--explain` adds their plans); /healthz.
`--keep` leaves the scratch database for a closer look (`psql -d <database>_bench`).

The rent run: BENCH_YEARS (2 unless set) years of weekly history (loaded with the ledger's
indexes set aside), then the timed week, its raw INSERT ... SELECT baseline into a copy of the
database, and a rerun (which must post nothing). Then the arrears run over every account, once
they have realistic arrears and case histories (`arrears_run_seconds`, goal <= 10, and a rerun
that must change nothing: `arrears_rerun_changed`). Then the account page's server time over
that history (`statement_p95_ms`) and a 100,000-line payment file import
(`payment_import_seconds`, its raw COPY baseline and their ratio).

To add a figure, write a function like those below and add it to
FIGURES after whatever it needs (everything needs `migrate` first, most the seed).
"""

import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import NamedTuple

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

ALIAS = "default"
SEED = 2026  # the demo council's seed: same seed, same council, same figures
QUERY_SEED = 7  # the search mix's


class Bench:
    """What the figure functions share: the scratch database's name, the figures so far and
    where progress goes (`say`)."""

    def __init__(self, *, database: str, out=None, explain: bool = False) -> None:
        self.database = database
        self.figures: dict[str, float] = {}
        self.out = out or sys.stdout
        self.explain = explain  # print EXPLAIN ANALYZE of the slowest searches' slowest SQL

    def say(self, message: str) -> None:
        self.out.write(f"  {message}\n")


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def p95_ms(samples_seconds: list[float]) -> float:
    """The 95th percentile, in milliseconds (inclusive method: no extrapolation past the max)."""
    return statistics.quantiles(samples_seconds, n=100, method="inclusive")[94] * 1000


def p50_ms(samples_seconds: list[float]) -> float:
    return statistics.median(samples_seconds) * 1000


def bench_homes() -> int:
    """The size of the council the bench seeds: BENCH_HOMES, 100,000 unless set."""
    value = os.environ.get("BENCH_HOMES", "").strip() or "100000"
    try:
        homes = int(value.replace("_", "").replace(",", ""))
    except ValueError:
        raise CommandError(f"BENCH_HOMES must be a whole number, not {value!r}.") from None
    if homes < 1:
        raise CommandError("BENCH_HOMES must be at least 1.")
    return homes


# --- the figures, in order ---------------------------------------------------------------------


def measure_migrate(bench: Bench) -> dict[str, float]:
    """All migrations applied to an empty database: what a new installation waits for."""
    seconds = timed(lambda: call_command("migrate", interactive=False, verbosity=0))
    return {"migrate_seconds": round(seconds, 2)}


def measure_seed(bench: Bench) -> dict[str, float]:
    """The demo council (housing.seed) loaded into the empty register, as `make bench` and
    `seed_demo` do it: the seed's own figure, which covers planning, COPY, rebuilding the
    indexes and ANALYZE. It manages its own transaction (and alters tables inside it), so it
    must not run inside another one."""
    from housing.seed import seed_council

    if connections[ALIAS].in_atomic_block:
        raise CommandError("The seed must run outside any transaction.")
    homes = bench_homes()
    counts = seed_council(homes=homes, seed=SEED, out=_Indented(bench.out))
    if counts["homes"] != homes:
        raise CommandError(f"The seed wrote {counts['homes']:,} homes, not {homes:,}: "
                           f"the scratch register was not empty.")
    bench.say(f"{counts['homes']:,} homes, {counts['people']:,} people, "
              f"{counts['tenancies']:,} tenancies")
    return {"seed_seconds": counts["seconds"]}


class _Indented:
    def __init__(self, out) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(f"    {text}")


# The global search's query mix, as officers type them (shares of the queries; issue #3).
SEARCH_MIX = {
    "surname": 0.35,  # half of them with a one-letter typo
    "full name": 0.15,
    "postcode": 0.15,  # full (as stored, lower case or without the space) or outward code
    "uprn": 0.10,
    "address": 0.10,  # a street, a house number and street, or a block
    "date of birth": 0.05,
    "tenancy": 0.05,
    "phone": 0.05,
}


def _quotas(count: int) -> dict[str, int]:
    """`count` shared out by SEARCH_MIX, largest remainders first, summing exactly."""
    exact = {kind: share * count for kind, share in SEARCH_MIX.items()}
    quotas = {kind: int(value) for kind, value in exact.items()}
    by_remainder = sorted(exact, key=lambda kind: quotas[kind] - exact[kind])
    for kind in by_remainder[:count - sum(quotas.values())]:
        quotas[kind] += 1
    return quotas


def _sample(queryset, count: int, rng: random.Random) -> list:
    """`count` rows of `queryset` drawn by `rng` (the same rows for the same data)."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    if not ids:
        raise CommandError(f"No {queryset.model._meta.verbose_name_plural} to search for.")
    chosen = rng.sample(ids, count) if len(ids) >= count else rng.choices(ids, k=count)
    rows = queryset.model._base_manager.in_bulk(chosen)
    return [rows[pk] for pk in chosen]


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the finger: a letter dropped, or two neighbours swapped (never the first
    letter, which people rarely get wrong)."""
    if len(word) < 3:
        return word
    position = rng.randrange(1, len(word) - 1)
    if len(word) >= 5 and rng.random() < 0.5:
        return word[:position] + word[position + 1:]
    swapped = word[:position] + word[position + 1] + word[position] + word[position + 2:]
    return swapped if swapped != word else word[:position] + word[position + 1:]


def _cased(text: str, rng: random.Random) -> str:
    return text.lower() if rng.random() < 0.4 else text


class Query(NamedTuple):
    kind: str  # a key of SEARCH_MIX, or "surname typo"
    text: str  # what the officer types
    expected: str  # what a right answer shows (in a result's label or detail); "" for anything


def search_queries(count: int, rng: random.Random) -> list[Query]:
    """A mix of `count` realistic queries drawn from the register, shuffled."""
    from django.db.models import Q

    from housing.models import Person, Property
    from tenancies.models import Tenancy

    quotas = _quotas(count)
    homes = Property.objects.filter(kind=Property.Kind.DWELLING)
    queries: list[Query] = []
    for index, person in enumerate(_sample(Person.objects.all(), quotas["surname"], rng)):
        last = person.last_name
        if index % 2:
            queries.append(Query("surname", _cased(last, rng), last))
        else:
            queries.append(Query("surname typo", _cased(_typo(last, rng), rng), last))
    for person in _sample(Person.objects.all(), quotas["full name"], rng):
        name = f"{person.first_name} {person.last_name}"
        queries.append(Query("full name", _cased(name, rng), name))
    for index, home in enumerate(_sample(homes, quotas["postcode"], rng)):
        postcode = expected = home.postcode
        if index % 3 == 2:
            postcode = postcode.split()[0]  # the outward code: EX4
            expected = f", {postcode} "
        elif rng.random() < 0.3:
            postcode = postcode.replace(" ", "")
        queries.append(Query("postcode", _cased(postcode, rng), expected))
    for home in _sample(Property.objects.all(), quotas["uprn"], rng):
        queries.append(Query("uprn", home.uprn, f"UPRN {home.uprn}"))
    for home in _sample(homes, quotas["address"], rng):
        line = home.address_line_1
        if line.startswith("Flat "):
            line = line.split(", ", 1)[1]  # the block: "Kestrel House"
        elif rng.random() < 0.5:
            line = line.split(" ", 1)[1]  # the street: "Oak Road"
        queries.append(Query("address", _cased(line, rng), line))
    for person in _sample(Person.objects.exclude(date_of_birth=None), quotas["date of birth"],
                          rng):
        born = f"{person.date_of_birth:%d/%m/%Y}"
        queries.append(Query("date of birth", born, born))
    for tenancy in _sample(Tenancy.objects.all(), quotas["tenancy"], rng):
        reference = tenancy.reference
        if rng.random() < 0.3:  # typed short: t12345
            reference = f"t{int(reference[1:])}"
        queries.append(Query("tenancy", reference, tenancy.reference))
    phones = Person.objects.filter(~Q(mobile_phone="") | ~Q(home_phone=""))
    for person in _sample(phones, quotas["phone"], rng):
        phone = person.mobile_phone or person.home_phone
        if rng.random() < 0.3:
            phone = phone.replace(" ", "")
        queries.append(Query("phone", phone, ""))  # results do not show phone numbers
    rng.shuffle(queries)
    return queries


def _answers(groups, query: Query) -> bool:
    """Whether the results include what the query was looking for."""
    shown = " | ".join(f"{item.label} {item.detail}" for group in groups for item in group.items)
    return bool(shown) and query.expected.lower() in f"{shown} ".lower()


def search_user():
    """A team leader: sees every patch, so every search runs over the whole register."""
    from django.contrib.auth.models import Group

    from housing import roles
    from housing.models import User

    user, _ = User.objects.get_or_create(
        email="bench.team.leader@example.invalid",
        defaults={"first_name": "Bench", "last_name": "Leader", "kind": User.Kind.STAFF})
    user.groups.add(Group.objects.get(name=roles.TEAM_LEADER))
    return user


def measure_search(bench: Bench, *, count: int = 200, warm_up: int = 10,
                   rounds: int = 3) -> dict[str, float]:
    """The global search over a mix of `count` realistic queries (SEARCH_MIX) against the
    seeded council: server time of GET /search/?q= as htmx asks for it (the result list,
    no page around it), in process, by a team leader who sees every patch. Each query's time
    is the median of `rounds` passes over the whole mix, so that a moment when another
    process had the CPU (the bench often shares a small machine) is not taken for a slow
    query; the percentiles are over the `count` queries. Also the time in
    housing.search.search alone (one pass), the queries' share of it."""
    from housing.search import search

    user = search_user()
    client = Client()
    client.force_login(user)
    rng = random.Random(QUERY_SEED)
    queries = search_queries(count, rng)
    for query in search_queries(warm_up, rng):
        _get_search(client, query.text)
    passes = []
    for _ in range(rounds):
        times = []
        for query in queries:
            started = time.perf_counter()
            _get_search(client, query.text)
            times.append(time.perf_counter() - started)
        passes.append(times)
    samples = [statistics.median(times) for times in zip(*passes, strict=True)]
    by_kind: dict[str, list[float]] = {}
    for query, seconds in zip(queries, samples, strict=True):
        by_kind.setdefault(query.kind, []).append(seconds)
    function_samples, answered = [], dict.fromkeys(by_kind, 0)
    for query in queries:
        started = time.perf_counter()
        groups = search(user, query.text)
        function_samples.append(time.perf_counter() - started)
        answered[query.kind] += _answers(groups, query)
    for kind, seconds in by_kind.items():
        bench.say(f"{kind:<14} {len(seconds):>3} queries  p50 {p50_ms(seconds):6.1f} ms  "
                  f"max {max(seconds) * 1000:6.1f} ms  answered {answered[kind]}")
    _slowest(bench, user, sorted(zip(samples, queries, strict=True), reverse=True)[:5])
    return {"search_p50_ms": round(p50_ms(samples), 2),
            "search_p95_ms": round(p95_ms(samples), 2),
            "search_function_p95_ms": round(p95_ms(function_samples), 2)}


def settle(bench: Bench) -> dict[str, float]:
    """No figure: vacuum what the seed has just loaded, as autovacuum soon would, since a
    register is searched long after it is loaded. Otherwise autovacuum works through a
    million new rows on the same cores while the searches are timed, and the first read of
    each page writes it (hint bits)."""
    from housing.seed import BIG

    started = time.perf_counter()
    with connections[ALIAS].cursor() as cursor:
        for model in BIG:
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
    bench.say(f"vacuumed the seeded tables ({time.perf_counter() - started:.1f} s)")
    return {}


def _get_search(client: Client, query: str) -> None:
    response = client.get("/search/", {"q": query}, HTTP_HX_REQUEST="true")
    if response.status_code != 200:
        raise CommandError(f"/search/?q={query} answered {response.status_code}")


def _slowest(bench: Bench, user, slowest) -> None:
    """The slowest searches again, each with its slowest SQL statement (and its plan)."""
    from housing.search import search

    connection = connections[ALIAS]
    for seconds, query in slowest:
        with CaptureQueriesContext(connection) as captured:
            search(user, query.text)
        statement = max(captured.captured_queries, key=lambda sql: float(sql["time"]))
        bench.say(f"slow: {query.kind} {query.text!r} {seconds * 1000:.1f} ms; slowest SQL "
                  f"{float(statement['time']) * 1000:.1f} ms of {len(captured)}")
        if bench.explain:
            bench.out.write(f"{statement['sql']}\n")
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement['sql']}")
                bench.out.write("".join(f"      {line}\n" for (line,) in cursor.fetchall()))


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


RENT_WEEK = "2026-11-30"  # the week the timed rent run posts (the seed's "today" is 29 Nov)


def measure_rent_run(bench: Bench) -> dict[str, float]:
    """The weekly rent run over the seeded council, after BENCH_YEARS (default 2) years of
    weekly history, as the background job runs it (`rent_run_seconds`); the same rows posted
    by one raw INSERT ... SELECT (the rent run's own SQL) into a copy of the ledger, the floor
    (`rent_run_baseline_seconds`); and a rerun, which must post nothing.

    The copy is the whole database, cloned just before the run (CREATE DATABASE ... TEMPLATE,
    a file copy): the same ledger rows, indexes and foreign keys, laid out the same on disk.
    What the database must do to post a week into a ledger of years (visit a leaf page of
    each of its big account-keyed indexes per account, check four foreign keys a row) is then
    in the floor, and the ratio is the job's own cost: its slices, progress and summary.
    `rent_run_empty_ledger_seconds` is the same statement into an empty table shaped like the
    ledger (with its indexes, without foreign keys), the floor last session measured: it
    shows what years of history cost the insert itself."""
    from datetime import date, timedelta

    from django.utils import timezone

    from housing.jobs import execute_job
    from housing.models import BackgroundJob
    from rents.demo import seed_rent
    from rents.models import RentWeek
    from rents.services import post_rent_run

    seed_rent()
    with connections[ALIAS].cursor() as cursor:  # as `settle` does for the register
        cursor.execute("VACUUM (ANALYZE) rents_charge, rents_rentaccount")
    target = RentWeek.objects.get(start_date=date.fromisoformat(RENT_WEEK))
    years = int(os.environ.get("BENCH_YEARS", "2"))
    first = target.start_date - timedelta(weeks=52 * years)
    history = list(RentWeek.objects.filter(start_date__gte=first,
                                           start_date__lt=target.start_date))
    started = time.perf_counter()
    rows = _load_rent_history(history)
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) rents_transaction")
    bench.say(f"history: {len(history)} weeks, {rows:,} ledger rows "
              f"({time.perf_counter() - started:.1f} s)")

    # Recorded before the copy, so that the copy's rows can name it too.
    # Without the arrears run the rent run queues after it: that is timed on its own below.
    job = BackgroundJob.objects.create(kind="rent_run", parameters={"rent_week_id": target.pk,
                                                                    "then_arrears_run": False},
                                       created_at=timezone.now())
    params = {"by": None, "at": timezone.now(), "job": job.pk, "week": target.pk,
              "low": 0, "high": 2**62}
    started = time.perf_counter()
    with _copy_of_database(bench.database) as copy:
        bench.say(f"copied the database for the baseline ({time.perf_counter() - started:.1f} s)")
        seconds = timed(lambda: execute_job(job_id=job.pk))
        job.refresh_from_db()
        bench.say(job.result_summary)
        with _connected_to(copy):
            baseline, copied = _raw_rent_run("rents_transaction", params)
    empty, _ = _raw_rent_run("bench_empty_ledger", params, create=True)
    rerun = post_rent_run(week=target, by=None, at=timezone.now())
    bench.say(f"baseline: {copied:,} rows in {baseline:.2f} s into the copy of the ledger, "
              f"{empty:.2f} s into an empty one; rerun posted {rerun.posted}")
    return {"rent_run_seconds": round(seconds, 2),
            "rent_run_baseline_seconds": round(baseline, 2),
            "rent_run_ratio": round(seconds / baseline, 2) if baseline else None,
            "rent_rerun_posted": rerun.posted,
            "rent_run_empty_ledger_seconds": round(empty, 2)}


def _raw_rent_run(table: str, params: dict, *, create: bool = False) -> tuple[float, int]:
    """The rent run's INSERT ... SELECT into `table`, as one statement in its own transaction
    (so with its deferred foreign-key checks): its seconds and rows. With `create`, into a new
    empty table shaped like the ledger, dropped after."""
    from rents.services import _RENT_RUN_SQL

    sql = _RENT_RUN_SQL.replace("INSERT INTO rents_transaction", f"INSERT INTO {table}")
    with connections[ALIAS].cursor() as cursor:
        if create:
            cursor.execute(f"CREATE TABLE {table} (LIKE rents_transaction INCLUDING ALL)")
        started = time.perf_counter()
        cursor.execute(sql, params)
        seconds = time.perf_counter() - started
        rows = cursor.rowcount
        if create:
            cursor.execute(f"DROP TABLE {table}")
    return seconds, rows


@contextmanager
def _copy_of_database(name: str):
    """A copy of database `name` (a file copy: seconds for gigabytes, where reloading and
    reindexing would take minutes), dropped afterwards. Nobody may be connected to `name`
    meanwhile, so this closes the bench's own connection first."""
    connection = connections[ALIAS]
    copy = f"{name}_copy"
    source, target = connection.ops.quote_name(name), connection.ops.quote_name(copy)
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {target} TEMPLATE {source} STRATEGY FILE_COPY")
    try:
        yield copy
    finally:
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")


@contextmanager
def _connected_to(name: str):
    connection = connections[ALIAS]
    original = connection.settings_dict["NAME"]
    _switch(connection, name)
    try:
        yield
    finally:
        _switch(connection, original)


def _load_rent_history(weeks) -> int:
    """Post the rent of every week in `weeks` at once (the rent run's own SQL over all of them,
    the same rows as running each week), the way housing.seed loads the register: the
    ledger's secondary and unique indexes and its foreign keys are set aside, the rows go into
    the bare table, and then each index is built in one pass and each foreign key checked with
    one join (putting back the unique index `one_rent_charge_per_week_and_type` proves the
    history has one charge per account, week and type). Millions of rows cost minutes
    through the indexes one row at a time, and a fraction of that this way. The append-only
    trigger fires on UPDATE and DELETE only, so it costs an insert nothing."""
    from django.db import transaction
    from django.utils import timezone

    from housing.seed import set_aside_indexes
    from rents.models import Transaction
    from rents.services import _RENT_RUN_SQL

    # The history has no rows yet, so nothing can conflict (and the index ON CONFLICT names
    # is set aside while loading); nor does a bare table want the rows in any order.
    history_sql = _RENT_RUN_SQL.replace("WHERE w.id = %(week)s", "WHERE w.id = ANY(%(weeks)s)")
    history_sql = history_sql[:history_sql.index("ORDER BY")]
    assert "ANY(%(weeks)s)" in history_sql
    connection = connections[ALIAS]
    with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
        restore = set_aside_indexes(cursor, [Transaction], unique=True)
        cursor.execute(history_sql, {"by": None, "at": timezone.now(), "job": None,
                                     "weeks": [week.pk for week in weeks],
                                     "low": 0, "high": 2**62})
        rows = cursor.rowcount
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in restore:
            cursor.execute(statement)
    return rows


# Case histories for the arrears run's figure, one statement per stage: (stage code, kind of
# diary entry, which accounts (by their bucket h, 0-999), the stage it follows and the days
# after it, or None for days before the run). Each is a share of the accounts that owe.
# (SQL with parameters: "%%" is the remainder.)
_ARREARS_HISTORY = [
    ("reminder", "action", "h BETWEEN 650 AND 719 AND h %% 3 = 0", None, "h %% 40"),
    ("letter-1", "letter", "h >= 720 AND h %% 10 < 8", None, "(h * 17) %% 150"),
    ("letter-2", "letter", "h >= 800 AND h %% 10 < 8", "letter-1", "14 + h %% 30"),
    ("nosp", "action", "h >= 900 AND h %% 10 < 6", "letter-2", "7 + h %% 20"),
    ("court-warning", "letter", "h >= 960 AND h %% 10 < 4", "nosp", "28 + h %% 30"),
]


def measure_arrears_run(bench: Bench) -> dict[str, float]:
    """The arrears run (rents.arrears.run_arrears) over every rent account, as at the week the
    rent run posted (`arrears_run_seconds`, goal <= 10), and a rerun on the same day, which
    must change nothing (`arrears_rerun_changed`, must be 0; `arrears_rerun_seconds`).

    First the accounts get realistic arrears, set-based (`_arrears_history`): balances (the
    bench's ledger holds charges only, so one adjustment an account brings its balance to a
    figure: 60% clear or in credit, 5% under £5, 7% in the reminder band, 16% from £10 to
    under 4 weeks' rent, 12% at 4 to 12 weeks), letters, NOSPs and court warnings in the case
    diary for about a fifth of the accounts, pauses of every kind for 2%, payment arrangements
    for 3% (some of them behind) and court dates for a few. These rows are kept: the later
    figures read the ledger with them."""
    from datetime import date

    from django.utils import timezone

    from rents.arrears import run_arrears

    as_of = date.fromisoformat(RENT_WEEK)
    started = time.perf_counter()
    counts = _arrears_history(as_of)
    bench.say("arrears history: " + ", ".join(f"{count:,} {what}" for what, count in
                                              counts.items())
              + f" ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    first = run_arrears(as_of=as_of, by=None, at=timezone.now())
    seconds = time.perf_counter() - started
    bench.say(f"{first.accounts:,} accounts, {first.in_arrears:,} owing: "
              + ", ".join(f"{name} {count:,}" for name, count in first.by_stage.items())
              + f"; {sum(first.held.values()):,} held back; {first.breaches:,} arrangements "
                f"breached")
    started = time.perf_counter()
    rerun = run_arrears(as_of=as_of, by=None, at=timezone.now())
    rerun_seconds = time.perf_counter() - started
    return {"arrears_run_seconds": round(seconds, 2),
            "arrears_rerun_seconds": round(rerun_seconds, 2),
            "arrears_rerun_changed": rerun.changed,
            "arrears_recommended": first.recommended}


def _arrears_history(as_of) -> dict[str, int]:
    """Arrears for the seeded council's live rent accounts as at `as_of` (see
    measure_arrears_run), in a few INSERT ... SELECTs. Each account falls in a bucket h
    (0-999) by its id, which decides its balance and its history, so the same council gets
    the same arrears."""
    from django.db import transaction
    from django.utils import timezone

    from housing.models import User
    from rents.models import ArrearsPolicy

    policy = ArrearsPolicy.objects.filter(effective_from__lte=as_of).order_by(
        "-effective_from").first()
    if policy is None:
        raise CommandError("The arrears run needs its policy: migrate first.")
    stages = {stage.code: stage for stage in policy.stages.all()}
    at = timezone.now()
    params = {"as_of": as_of, "at": at}
    counts = {}
    with transaction.atomic(using=ALIAS), connections[ALIAS].cursor() as cursor:
        user, _ = User.objects.get_or_create(email="bench.arrears@example.invalid")
        params["user"] = user.pk
        cursor.execute("""
            CREATE TEMPORARY TABLE bench_arrears ON COMMIT DROP AS
            SELECT a.id AS account_id, ((a.id * 7919) %% 1000)::int AS h,
                   COALESCE((SELECT sum(c.weekly_pence) FROM rents_charge c
                             WHERE c.property_id = t.property_id AND c.start_date <= %(as_of)s
                               AND (c.end_date IS NULL OR c.end_date >= %(as_of)s)), 0) AS weekly,
                   COALESCE(b.balance, 0) AS balance
            FROM rents_rentaccount a
            JOIN tenancies_tenancy t ON t.id = a.tenancy_id AND t.start_date <= %(as_of)s
             AND (t.end_date IS NULL OR t.end_date >= %(as_of)s)
            LEFT JOIN (SELECT account_id, sum(amount_pence) AS balance FROM rents_transaction
                       WHERE posted_on <= %(as_of)s GROUP BY account_id) b
              ON b.account_id = a.id
            WHERE a.kind = 'rent'
        """, params)
        cursor.execute("ALTER TABLE bench_arrears ADD COLUMN target bigint")
        cursor.execute("""
            UPDATE bench_arrears SET target = CASE
                WHEN h < 600 THEN -((h * 13) %% 6000)
                WHEN h < 650 THEN 1 + (h * 37) %% 499
                WHEN h < 720 THEN 500 + (h * 37) %% 500
                WHEN h < 880 THEN 1000 + (account_id * 7919) %% GREATEST(4 * weekly - 1000, 1)
                ELSE 4 * weekly + (h %% 9) * weekly END
        """, params)
        cursor.execute("""
            INSERT INTO rents_transaction (account_id, posted_on, kind, method, amount_pence,
                                           reference, source, created_by_id, created_at)
            SELECT account_id, %(as_of)s::date - 1, 'adjustment', '', target - balance,
                   'Bench: the balance brought to a realistic figure', 'officer', %(user)s,
                   %(at)s
            FROM bench_arrears WHERE target <> balance ORDER BY account_id
        """, params)
        counts["balances set"] = cursor.rowcount
        events = 0
        for code, kind, accounts, after, days in _ARREARS_HISTORY:
            stage = stages[code]
            # Fixed text from _ARREARS_HISTORY only; the values are parameters.
            if after is None:
                source = f"SELECT account_id, %(as_of)s::date - ({days}) AS on_day " \
                         f"FROM bench_arrears b WHERE {accounts}"  # noqa: S608
            else:
                source = f"SELECT b.account_id, e.happened_on + ({days}) AS on_day " \
                         f"FROM bench_arrears b JOIN rents_caseevent e " \
                         f"ON e.account_id = b.account_id AND e.stage_id = %(after)s " \
                         f"WHERE {accounts}"  # noqa: S608
            cursor.execute(f"""
                INSERT INTO rents_caseevent (account_id, kind, stage_id, action, happened_on,
                                             summary, detail, created_by_id, created_at)
                SELECT account_id, %(kind)s, %(stage)s, %(action)s, on_day, %(summary)s, '',
                       %(user)s, %(at)s
                FROM ({source}) s WHERE on_day <= %(as_of)s ORDER BY account_id
            """, {**params, "kind": kind, "stage": stage.pk,  # noqa: S608
                  "action": stage.action, "after": stages[after].pk if after else None,
                  "summary": f"{stage.name} (bench history)"})
            events += cursor.rowcount
        counts["case diary entries"] = events
        cursor.execute("""
            INSERT INTO rents_pause (account_id, kind, start_date, end_date, reason,
                                     created_by_id, created_at)
            SELECT account_id,
                   (ARRAY['breathing_space', 'mental_health_crisis', 'benefit_claim',
                          'court_date', 'officer'])[1 + (h / 50) %% 5],
                   %(as_of)s::date - (10 + h %% 30) - CASE WHEN h %% 50 = 8 THEN 90 ELSE 0 END,
                   %(as_of)s::date + 50 - CASE WHEN h %% 50 = 8 THEN 90 ELSE 0 END,
                   'Bench pause', %(user)s, %(at)s
            FROM bench_arrears WHERE h %% 50 IN (7, 8)
        """, params)
        counts["pauses (half of them over)"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO rents_arrangement (account_id, amount_pence, frequency, start_date,
                                           debt_pence, agreed_on, agreement, status,
                                           created_by_id, created_at, end_reason)
            SELECT account_id, 500 + (h %% 3) * 500,
                   CASE WHEN h %% 4 = 0 THEN 'monthly' ELSE 'weekly' END,
                   %(as_of)s::date - (h %% 20) * 7,
                   -- a third of them were agreed on less than the account owes now: behind
                   CASE WHEN h %% 3 = 0 THEN target / 2 ELSE target + 2000 END,
                   %(as_of)s::date - (h %% 20) * 7, 'Bench arrangement', 'active', %(user)s,
                   %(at)s, ''
            FROM bench_arrears WHERE h %% 33 = 5 AND target >= 1000
        """, params)
        counts["arrangements"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO rents_courtcase (account_id, applied_on, hearing_date, outcome,
                                         order_terms, closed_on)
            SELECT account_id, %(as_of)s::date - 60, %(as_of)s::date + 20 + h %% 30, '', '',
                   NULL
            FROM bench_arrears WHERE h >= 880 AND account_id %% 40 = 3
        """, params)
        counts["court dates"] = cursor.rowcount
        for table in ("rents_transaction", "rents_caseevent", "rents_pause",
                      "rents_arrangement", "rents_courtcase", "rents_recommendation"):
            cursor.execute(f"ANALYZE {table}")
    return counts


def measure_account_page(bench: Bench) -> dict[str, float]:
    """The rent account page's server time (`statement_p95_ms`, goal <= 100) over 200 random
    accounts with the rent history loaded (rents.bench_statements)."""
    from rents.bench_statements import bench_account_page

    return bench_account_page(samples=200)


def measure_payment_import(bench: Bench) -> dict[str, float]:
    """A 100,000-line payments file imported by the job's own code, against one raw COPY of
    the same lines (as ledger rows) into the ledger; all rolled back afterwards
    (rents.bench_payments). Goal: payment_import_ratio <= 3."""
    from rents.bench_payments import bench_payment_import

    return bench_payment_import(lines=int(os.environ.get("BENCH_PAYMENT_LINES", "100000")))


FIGURES: list[Callable[[Bench], dict[str, float]]] = [
    measure_migrate,
    measure_seed,  # BENCH_HOMES homes (100,000 unless set)
    settle,
    measure_search,
    measure_rent_run,  # BENCH_YEARS years of weekly history first (2 unless set)
    measure_arrears_run,  # realistic arrears for the accounts first
    measure_account_page,
    measure_payment_import,
    measure_healthz,
]


# --- the scratch database ----------------------------------------------------------------------


@contextmanager
def scratch_database(*, keep: bool = False):
    """Point the default connection at a new, empty `<name>_bench` database; drop it after
    (unless `keep`: then the next run drops it)."""
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
        if not keep:
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

    def add_arguments(self, parser):
        parser.add_argument("--explain", action="store_true",
                            help="Print EXPLAIN ANALYZE of the slowest searches' slowest SQL.")
        parser.add_argument("--keep", action="store_true",
                            help="Leave the scratch database for inspection (the next run "
                                 "drops it).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        with scratch_database(keep=options["keep"]) as database:
            bench = Bench(database=database, out=self.stdout, explain=options["explain"])
            self.stdout.write(f"Benchmarking in the scratch database {database!r}")
            for measure in FIGURES:
                figures = measure(bench)
                for name, value in figures.items():
                    self.stdout.write(f"  {name:<24} {value}")
                bench.figures.update(figures)
        self.stdout.write(f"Done in {time.perf_counter() - started:.1f} s.")
        self.stdout.write(json.dumps(bench.figures))
