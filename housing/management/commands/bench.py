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

Repairs: three work orders a home over three years, loaded in sets (`load_repairs`), then the
repairs home's first page as a Team Leader (`repairs_home_p95_ms`, goal <= 200), a contractor's
portal home (`contractor_portal_p95_ms`), the "completed within target" report (TSM RP02) over
the last year (`rp02_report_seconds`, goal <= 10) and raising an order (`raise_order_p95_ms`).

Voids, over the void history the seed writes (voids.seed): the void KPIs for the last full
reporting year (`void_kpis_seconds`, with the rent loss they give: `void_rent_loss_pence`,
`void_rent_loss_percent`), the void page (`void_page_p95_ms`) and the voids worklist
(`voids_worklist_p95_ms`) as a Lettings Officer, and the Council Tax CSV of a year's occupancy
changes (`council_tax_csv_seconds`, `council_tax_csv_rows`).

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


# --- Repairs ------------------------------------------------------------------------------------

REPAIRS_YEARS = 3
ORDERS_PER_HOME = 3  # over the REPAIRS_YEARS: 300,000 orders for 100,000 homes
REPAIRS_SAMPLES = 20
REPAIRS_TABLES = ("repairs_repairrequest", "repairs_workorder", "repairs_workorderline",
                  "repairs_workorderevent", "repairs_appointment", "repairs_invoice",
                  "repairs_invoiceline")
# Over a spend limit of £1,500 (the Repairs Officer's): approved by the Team Leader.
REPAIRS_LIMIT_PENCE = 150_000

# A uniform number in [0, 1) for order n and purpose k: the same every run (the orders are a
# pure function of n and the register, as the seed's council is of its seed).
_UNIFORM_SQL = """
    CREATE FUNCTION pg_temp.bench_u(n bigint, k int) RETURNS float8
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (hashint8(n * 64 + k)::bigint & 2147483647)::float8 / 2147483648.0 $$
"""

# Each order's home, contractor and trade, priority, and when it was raised (a working day in
# the REPAIRS_YEARS to the bench's "today", 8am to 5pm); and the draws that decide what
# happened to it. The three demo contractors have a third of the orders each.
_REPAIR_ORDERS_SQL = """
    CREATE TEMPORARY TABLE bench_o ON COMMIT DROP AS
    WITH drawn AS (
        SELECT n, pg_temp.bench_u(n, 1) AS u_home, pg_temp.bench_u(n, 2) AS u_priority,
               pg_temp.bench_u(n, 3) AS u_contractor, pg_temp.bench_u(n, 4) AS u_trade,
               %(as_of)s::date - floor(pg_temp.bench_u(n, 5) * %(days)s)::int AS day0,
               480 + floor(pg_temp.bench_u(n, 6) * 540)::int AS minute,
               pg_temp.bench_u(n, 7) AS u_days, pg_temp.bench_u(n, 8) AS u_time,
               pg_temp.bench_u(n, 9) AS u_cancel, pg_temp.bench_u(n, 10) AS u_no_access,
               pg_temp.bench_u(n, 11) AS u_started, pg_temp.bench_u(n, 12) AS u_invoice,
               pg_temp.bench_u(n, 13) AS u_paid, pg_temp.bench_u(n, 14) AS u_queried,
               pg_temp.bench_u(n, 15) AS u_big, pg_temp.bench_u(n, 16) AS u_lines,
               pg_temp.bench_u(n, 17) AS u_where, pg_temp.bench_u(n, 18) AS u_book
        FROM generate_series(1, %(orders)s) n
    )
    SELECT d.*, h.id AS property_id, t.contractor_id, t.contract_id, t.trade_id, t.codes,
           t.user_id AS contractor_user_id,
           CASE WHEN d.u_priority < 0.12 THEN 'emergency' WHEN d.u_priority < 0.35 THEN 'urgent'
                WHEN d.u_priority < 0.95 THEN 'routine' ELSE 'planned' END AS priority,
           d.day0 - CASE extract(isodow FROM d.day0) WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 0 END
               AS raised_day,
           d.u_big < 0.03 AS big,
           LEAST(1 + floor(power(d.u_lines, 2) * 3)::int, t.codes) AS lines
    FROM drawn d
    JOIN bench_home h ON h.rn = 1 + floor(d.u_home * %(homes)s)::int
    JOIN bench_trade t ON t.c = floor(d.u_contractor * 3)::int
                      AND t.t = floor(d.u_trade * t.trades)::int
"""

# The lines: 1 to 3 different SOR codes of the order's trade at the contract's price; a
# quantity of 1 (sometimes 2) of an item, 2 to 19 metres or square metres, 1 to 4 hours. A
# "big" order (3%) has ten times the quantities, so some go over the spend limit.
_REPAIR_LINES_SQL = """
    CREATE TEMPORARY TABLE bench_l ON COMMIT DROP AS
    SELECT o.n, k, c.sor_id, c.code, c.description, c.price, q.quantity,
           round(q.quantity * c.price)::bigint AS value
    FROM bench_o o
    CROSS JOIN LATERAL generate_series(1, o.lines) k
    JOIN bench_code c ON c.trade_id = o.trade_id
     AND c.i = (floor(pg_temp.bench_u(o.n, 20) * o.codes)::int + k) %% o.codes
    CROSS JOIN LATERAL (SELECT (CASE WHEN c.unit IN ('m', 'm²')
                                     THEN 2 + floor(pg_temp.bench_u(o.n, 20 + k) * 18)
                                     WHEN c.unit = 'hour'
                                     THEN 1 + floor(pg_temp.bench_u(o.n, 20 + k) * 4)
                                     WHEN pg_temp.bench_u(o.n, 20 + k) < 0.85 THEN 1 ELSE 2 END)
                               * CASE WHEN o.big THEN 10 ELSE 1 END AS quantity) q
"""

# What happened to each order, by the bench's "now" (6pm on its "today"): its targets (the
# working-day calendar for urgent and routine work) and the moment the work was done, drawn
# so that most orders meet their target (an emergency within 24 hours, 92%; routine work in
# 20 working days, about 80%); then every step's time, NULL for a step that has not happened.
# An order over the spend limit waits for approval for up to 2 days, then the Team Leader
# approves it; 4% are cancelled; 6% of the open ones found nobody in; an invoice comes 2 to 9
# days after the work and is paid 14 to 41 days after that; 15% of the completed orders not
# yet invoiced had an invoice queried.
_REPAIR_STEPS_SQL = """
    CREATE TEMPORARY TABLE bench_f ON COMMIT DROP AS
    WITH timed AS (
        SELECT o.*, v.value, p.id AS priority_id,
               (o.raised_day + make_interval(mins => o.minute)) AT TIME ZONE %(tz)s AS raised_at,
               v.value > %(limit)s AS over_limit,
               CASE o.priority
                   WHEN 'urgent' THEN floor(power(o.u_days, 1.5) * 8)::int
                   WHEN 'routine' THEN 1 + floor(power(o.u_days, 2.5) * 50)::int
                   WHEN 'planned' THEN 10 + floor(o.u_days * 80)::int END AS days,
               c.plus3, c.plus20
        FROM bench_o o
        JOIN (SELECT n, sum(value) AS value FROM bench_l GROUP BY n) v ON v.n = o.n
        JOIN repairs_priority p ON p.code = o.priority
        JOIN bench_calendar c ON c.day = o.raised_day
    ), done AS (
        SELECT t.*,
               CASE WHEN t.over_limit THEN t.raised_at + interval '3 hours'
                    ELSE t.raised_at + interval '1 minute' END AS approve_at,
               CASE WHEN t.priority = 'emergency'
                    THEN t.raised_at + make_interval(hours => CASE WHEN t.u_days < 0.92
                         THEN 1 + floor(t.u_time * 20)::int
                         ELSE 24 + floor(t.u_time * 48)::int END)
                    ELSE ((t.raised_day + t.days + CASE extract(isodow FROM t.raised_day + t.days)
                           WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END)
                          + make_interval(mins => 600 + floor(t.u_time * 420)::int))
                         AT TIME ZONE %(tz)s END AS done_at
        FROM timed t
    ), fates AS (
        SELECT d.*,
               d.over_limit AND d.approve_at + interval '2 days' > %(now)s AS waiting,
               GREATEST(d.done_at, d.approve_at + interval '2 hours') AS finish_at
        FROM done d
    ), steps AS (
        SELECT f.*,
               CASE WHEN f.waiting THEN NULL ELSE f.approve_at END AS approved_at,
               NOT f.waiting AND f.u_cancel < 0.04 AS cancelled,
               NOT f.waiting AND f.u_cancel >= 0.04 AND f.finish_at <= %(now)s AS finished,
               -- open: the work starts 2 days before it is done, nobody in half way there
               GREATEST(f.finish_at - interval '2 days', f.approve_at + interval '1 hour')
                   AS open_start_at,
               f.approve_at + (f.finish_at - f.approve_at) / 2 AS first_visit_at
        FROM fates f
    )
    SELECT s.n, s.property_id, s.contractor_id, s.contract_id, s.trade_id, s.priority_id,
           s.priority, s.contractor_user_id, s.value, s.raised_at, s.over_limit,
           s.u_where, s.u_lines, s.u_time,
           -- an open order is booked 1 hour to 4 days after it is issued
           s.approved_at + make_interval(hours => 1 + floor(s.u_book * 96)::int) AS book_at,
           CASE WHEN s.priority = 'emergency' THEN s.raised_at + interval '24 hours' END
               AS target_at,
           CASE s.priority WHEN 'emergency'
                THEN ((s.raised_at + interval '24 hours') AT TIME ZONE %(tz)s)::date
                WHEN 'urgent' THEN s.plus3 WHEN 'routine' THEN s.plus20 END AS target_date,
           s.approved_at,
           CASE WHEN s.cancelled THEN LEAST(s.approve_at + make_interval(
                days => 1 + floor(s.u_invoice * 3)::int), %(now)s) END AS cancelled_at,
           s.finished,
           CASE WHEN s.finished THEN s.finish_at END AS completed_at,
           CASE WHEN s.finished
                THEN GREATEST(s.finish_at - interval '90 minutes',
                              s.approve_at + interval '1 minute')
                WHEN NOT s.waiting AND NOT s.cancelled AND s.u_no_access >= 0.06
                     AND s.u_started < 0.2 AND s.open_start_at <= %(now)s
                THEN s.open_start_at END AS started_at,
           CASE WHEN NOT s.waiting AND NOT s.cancelled AND NOT s.finished
                     AND s.priority <> 'emergency' AND s.u_no_access < 0.06
                     AND s.first_visit_at <= %(now)s
                THEN s.first_visit_at END AS no_access_at,
           s.finish_at, s.waiting, s.cancelled, s.u_invoice, s.u_paid, s.u_queried
    FROM steps s
"""


def _repair_calendar(cursor, *, first, last) -> None:
    """Each day's urgent (3 working days) and routine (20 working days) target date, from the
    one working-day calendar (housing.workdays)."""
    from datetime import timedelta

    from housing.workdays import add_working_days

    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    cursor.execute("CREATE TEMPORARY TABLE bench_calendar (day date PRIMARY KEY, plus3 date, "
                   "plus20 date) ON COMMIT DROP")
    cursor.execute("INSERT INTO bench_calendar SELECT * FROM unnest(%s::date[], %s::date[], "
                   "%s::date[])", [days, [add_working_days(day, 3) for day in days],
                                   [add_working_days(day, 20) for day in days]])


def repairs_users():
    """The bench's Team Leader (search_user) and a Repairs Officer, who raises the orders."""
    from django.contrib.auth.models import Group

    from housing import roles
    from housing.models import User

    officer, _ = User.objects.get_or_create(
        email="bench.repairs.officer@example.invalid",
        defaults={"first_name": "Bench", "last_name": "Repairs", "kind": User.Kind.STAFF})
    officer.groups.add(Group.objects.get(name=roles.REPAIRS_OFFICER))
    return search_user(), officer


def load_repairs(bench: Bench) -> dict[str, float]:
    """No figure: ORDERS_PER_HOME work orders a home over REPAIRS_YEARS years, in sets (see
    _load_repairs), then vacuumed as `settle` does the register."""
    from housing.seed import TODAY

    started = time.perf_counter()
    counts = _load_repairs(as_of=TODAY)
    with connections[ALIAS].cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {', '.join(REPAIRS_TABLES)}")
    bench.say("repairs: " + ", ".join(f"{count:,} {what}" for what, count in counts.items())
              + f" ({time.perf_counter() - started:.1f} s)")
    return {}


def _load_repairs(*, as_of, per_home: int = ORDERS_PER_HOME) -> dict[str, int]:
    """Repairs for the seeded council as at `as_of` (its "today"): per_home work orders a home
    (each on a repair request of its own) raised over the REPAIRS_YEARS years to `as_of`, to the
    demo's three contractors (repairs.demo, a third of the orders each), with 1 to 3 SOR lines at
    the contract's prices, in the statuses their age gives them (see _REPAIR_STEPS_SQL), a
    history row for every change of status, an appointment for each order booked, and an
    invoice (with its lines) for each invoiced, paid or queried one. A few INSERT ... SELECTs
    into the bare tables, as the rent history is loaded (housing.seed.set_aside_indexes), then
    the reference sequences are moved past what was loaded, so the services number on from
    there. The same register gives the same repairs."""
    from datetime import timedelta

    from django.conf import settings as django_settings
    from django.db import transaction

    from housing.models import Property
    from housing.seed import set_aside_indexes
    from repairs.demo import seed_repairs
    from repairs.models import (
        Appointment,
        Invoice,
        InvoiceLine,
        RepairRequest,
        WorkOrder,
        WorkOrderEvent,
        WorkOrderLine,
    )

    if RepairRequest.objects.exists() or WorkOrder.objects.exists():
        raise CommandError("The repairs figures load into empty repairs tables.")
    seed_repairs(history=False)  # the demo's contractors, contracts, prices and logins
    leader, officer = repairs_users()
    homes = Property.objects.filter(kind=Property.Kind.DWELLING).count()
    first = as_of.replace(year=as_of.year - REPAIRS_YEARS)
    params = {"as_of": as_of, "days": (as_of - first).days, "orders": homes * per_home,
              "homes": homes, "tz": django_settings.TIME_ZONE, "limit": REPAIRS_LIMIT_PENCE,
              "leader": leader.pk, "officer": officer.pk}
    counts: dict[str, int] = {}
    connection = connections[ALIAS]
    with transaction.atomic(using=ALIAS), connection.cursor() as cursor:
        cursor.execute("SELECT (%s::date + time '18:00') AT TIME ZONE %s", [as_of, params["tz"]])
        params["now"] = cursor.fetchone()[0]
        cursor.execute(_UNIFORM_SQL)
        _repair_calendar(cursor, first=first - timedelta(days=3), last=as_of)
        cursor.execute("""
            CREATE TEMPORARY TABLE bench_home ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY id)::int AS rn, id FROM housing_property
            WHERE kind = 'dwelling'
        """)
        # The demo contractors by code (c 0-2), each with its trades (t) that have SOR codes.
        cursor.execute("""
            CREATE TEMPORARY TABLE bench_trade ON COMMIT DROP AS
            SELECT dense_rank() OVER (ORDER BY r.code)::int - 1 AS c,
                   (row_number() OVER (PARTITION BY r.id ORDER BY tr.code) - 1)::int AS t,
                   count(*) OVER (PARTITION BY r.id)::int AS trades,
                   r.id AS contractor_id, k.id AS contract_id, tr.id AS trade_id,
                   (SELECT count(DISTINCT s.code) FROM repairs_sorcode s
                    WHERE s.trade_id = tr.id)::int AS codes,
                   (SELECT m.user_id FROM repairs_contractormember m
                    WHERE m.contractor_id = r.id ORDER BY m.id LIMIT 1) AS user_id
            FROM repairs_contractor r
            JOIN repairs_contract k ON k.contractor_id = r.id AND k.reference LIKE 'DEMO-%'
            JOIN repairs_contract_trades kt ON kt.contract_id = k.id
            JOIN repairs_trade tr ON tr.id = kt.trade_id
            WHERE EXISTS (SELECT 1 FROM repairs_sorcode s WHERE s.trade_id = tr.id)
        """)
        # Each trade's SOR codes (i from 0), the latest version, at the contract's price.
        cursor.execute("""
            CREATE TEMPORARY TABLE bench_code ON COMMIT DROP AS
            SELECT DISTINCT ON (s.trade_id, s.code) s.trade_id, s.id AS sor_id, s.code,
                   s.description, s.unit, COALESCE(r.unit_price_pence, s.unit_price_pence) AS price,
                   (dense_rank() OVER (PARTITION BY s.trade_id ORDER BY s.code) - 1)::int AS i
            FROM repairs_sorcode s
            LEFT JOIN repairs_contract_trades kt ON kt.trade_id = s.trade_id
            LEFT JOIN repairs_contract k ON k.id = kt.contract_id AND k.reference LIKE 'DEMO-%'
            LEFT JOIN repairs_contractrate r ON r.contract_id = k.id AND r.code = s.code
            ORDER BY s.trade_id, s.code, s.start_date DESC, r.unit_price_pence
        """)
        cursor.execute(_REPAIR_ORDERS_SQL, params)
        cursor.execute(_REPAIR_LINES_SQL, params)
        cursor.execute(_REPAIR_STEPS_SQL, params)
        cursor.execute("""
            ALTER TABLE bench_f ADD COLUMN status varchar(12), ADD COLUMN booked_at timestamptz,
                                ADD COLUMN invoiced_at timestamptz,
                                ADD COLUMN invoice_approved_at timestamptz,
                                ADD COLUMN paid_at timestamptz, ADD COLUMN queried_at timestamptz
        """)
        # The invoice 2 to 9 days after the work, approved 3 days later, paid 14 to 41 days
        # after it came; each NULL until it happened (each SET reads the row as it was).
        cursor.execute("""
            UPDATE bench_f SET invoiced_at = completed_at + make_interval(
                days => 2 + floor(u_invoice * 8)::int)
            WHERE finished
        """)
        cursor.execute("""
            UPDATE bench_f SET
                invoice_approved_at = CASE WHEN invoiced_at + interval '3 days' <= %(now)s
                                           THEN invoiced_at + interval '3 days' END,
                paid_at = CASE WHEN invoiced_at + make_interval(
                                        days => 14 + floor(u_paid * 28)::int) <= %(now)s
                               THEN invoiced_at + make_interval(
                                        days => 14 + floor(u_paid * 28)::int) END,
                queried_at = CASE WHEN invoiced_at > %(now)s AND u_queried < 0.15
                                       AND completed_at + interval '1 day' <= %(now)s
                                  THEN completed_at + interval '1 day' END,
                invoiced_at = CASE WHEN invoiced_at <= %(now)s THEN invoiced_at END
            WHERE finished
        """, params)
        # Booked: every visit but an emergency's (attended without an appointment) is booked
        # a quarter of the way from issue to the visit; an open order is booked 1 hour to 4
        # days after issue (book_at), for the day its work is to be done.
        cursor.execute("""
            UPDATE bench_f SET
                booked_at = CASE
                    WHEN priority = 'emergency' OR approved_at IS NULL OR cancelled_at IS NOT NULL
                    THEN NULL
                    WHEN no_access_at IS NOT NULL
                    THEN approved_at + (no_access_at - approved_at) / 4
                    WHEN started_at IS NOT NULL THEN approved_at + (started_at - approved_at) / 4
                    WHEN book_at <= %(now)s THEN book_at END,
                status = CASE
                    WHEN approved_at IS NULL THEN 'raised'
                    WHEN cancelled_at IS NOT NULL THEN 'cancelled'
                    WHEN paid_at IS NOT NULL THEN 'paid'
                    WHEN invoiced_at IS NOT NULL THEN 'invoiced'
                    WHEN completed_at IS NOT NULL THEN 'completed'
                    WHEN no_access_at IS NOT NULL THEN 'no_access'
                    WHEN started_at IS NOT NULL THEN 'in_progress'
                    WHEN priority <> 'emergency' AND book_at <= %(now)s THEN 'booked'
                    ELSE 'issued' END
        """, params)
        cursor.execute("CREATE INDEX ON bench_f (n)")
        cursor.execute("ANALYZE bench_f; ANALYZE bench_l")

        restore = set_aside_indexes(cursor, [RepairRequest, WorkOrder, WorkOrderLine,
                                             WorkOrderEvent, Appointment, Invoice, InvoiceLine],
                                    unique=True)
        cursor.execute("""
            INSERT INTO repairs_repairrequest (id, reference, property_id, location,
                location_detail, description, access_notes, priority_id, channel, is_damp_mould,
                reported_by_id, raised_by_id, raised_at, status)
            SELECT f.n, 'R' || lpad(f.n::text, 6, '0'), f.property_id,
                   (ARRAY['kitchen', 'bathroom', 'bedroom', 'living', 'hall', 'whole', 'outside',
                          'communal', 'other'])[1 + floor(f.u_where * 9)::int],
                   '', l.description, '', f.priority_id,
                   (ARRAY['phone', 'phone', 'phone', 'email', 'portal', 'in_person', 'officer',
                          'inspection'])[1 + floor(f.u_lines * 8)::int],
                   false, NULL, %(officer)s, f.raised_at, 'open'
            FROM bench_f f JOIN bench_l l ON l.n = f.n AND l.k = 1
        """, params)
        counts["repair requests"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO repairs_workorder (id, reference, request_id, property_id, contractor_id,
                contract_id, trade_id, priority_id, status, description, value_pence, target_at,
                target_date, parent_id, raised_by_id, raised_at, approved_by_id, approved_at,
                issued_at, accepted_at, started_at, completed_at, completed_on,
                completion_notes, no_access_count, cancelled_at, cancel_reason)
            SELECT f.n, 'WO' || lpad(f.n::text, 6, '0'), f.n, f.property_id, f.contractor_id,
                   f.contract_id, f.trade_id, f.priority_id, f.status, l.description, f.value,
                   f.target_at, f.target_date, NULL, %(officer)s, f.raised_at,
                   CASE WHEN f.approved_at IS NOT NULL
                        THEN CASE WHEN f.over_limit THEN %(leader)s ELSE %(officer)s END END,
                   f.approved_at, f.approved_at,
                   COALESCE(f.booked_at, f.started_at, f.no_access_at), f.started_at,
                   f.completed_at, (f.completed_at AT TIME ZONE %(tz)s)::date,
                   CASE WHEN f.completed_at IS NOT NULL THEN 'Work completed as ordered.'
                        ELSE '' END,
                   (f.no_access_at IS NOT NULL)::int, f.cancelled_at,
                   CASE WHEN f.cancelled_at IS NOT NULL THEN 'No longer needed.' ELSE '' END
            FROM bench_f f JOIN bench_l l ON l.n = f.n AND l.k = 1
        """, params)
        counts["work orders"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO repairs_workorderline (order_id, sor_id, quantity, unit_price_pence,
                                               value_pence, variation_id, replaces_id)
            SELECT n, sor_id, quantity, price, value, NULL, NULL FROM bench_l ORDER BY n, k
        """)
        counts["lines"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO repairs_workorderevent (order_id, from_status, to_status, summary, note,
                                                by_id, at)
            SELECT f.n, e.from_status, e.to_status, e.summary, '', e.by_id, e.at
            FROM bench_f f
            CROSS JOIN LATERAL (VALUES
                (1, 'raised', 'raised', 'Raised: waits for approval', %(officer)s,
                 CASE WHEN f.over_limit THEN f.raised_at END),
                (2, 'raised', 'approved', 'Approved',
                 CASE WHEN f.over_limit THEN %(leader)s ELSE %(officer)s END, f.approved_at),
                (3, 'approved', 'issued', 'Issued to the contractor',
                 CASE WHEN f.over_limit THEN %(leader)s ELSE %(officer)s END, f.approved_at),
                (4, 'issued', 'booked', 'Appointment booked', f.contractor_user_id, f.booked_at),
                (5, CASE WHEN f.booked_at IS NULL THEN 'issued' ELSE 'booked' END, 'in_progress',
                 'Work started', f.contractor_user_id, f.started_at),
                (6, 'booked', 'no_access', 'No access', f.contractor_user_id, f.no_access_at),
                (7, 'in_progress', 'completed', 'Completed', f.contractor_user_id, f.completed_at),
                (8, 'completed', 'completed', 'Invoice queried: a line does not match the order',
                 f.contractor_user_id, f.queried_at),
                (9, 'completed', 'invoiced', 'Invoice submitted, matching the order',
                 f.contractor_user_id, f.invoiced_at),
                (10, 'invoiced', 'invoiced', 'Invoice approved for payment', %(officer)s,
                 f.invoice_approved_at),
                (11, 'invoiced', 'paid', 'Invoice paid', %(leader)s, f.paid_at),
                (12, CASE WHEN f.booked_at IS NULL THEN 'issued' ELSE 'booked' END, 'cancelled',
                 'Cancelled', %(officer)s, f.cancelled_at)
            ) AS e(step, from_status, to_status, summary, by_id, at)
            WHERE e.at IS NOT NULL
            ORDER BY f.n, e.at, e.step  -- approved before issued, at the same moment
        """, params)
        counts["history rows"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO repairs_appointment (order_id, date, slot, status, booked_by_id,
                                             booked_at, override_by_id, override_reason)
            SELECT n,
                   (COALESCE(no_access_at, started_at,
                             GREATEST(finish_at, booked_at + interval '1 day'))
                    AT TIME ZONE %(tz)s)::date,
                   CASE WHEN u_time < 0.45 THEN 'am' WHEN u_time < 0.9 THEN 'pm'
                        ELSE 'all_day' END,
                   CASE WHEN no_access_at IS NOT NULL THEN 'no_access'
                        WHEN started_at IS NOT NULL THEN 'attended' ELSE 'booked' END,
                   contractor_user_id, booked_at, NULL, ''
            FROM bench_f WHERE booked_at IS NOT NULL ORDER BY n
        """, params)
        counts["appointments"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO repairs_invoice (id, contractor_id, order_id, number, status, total_pence,
                query, submitted_by_id, submitted_at, approved_by_id, approved_at, paid_at)
            SELECT n, contractor_id, n, 'INV-' || n,
                   CASE WHEN paid_at IS NOT NULL THEN 'paid'
                        WHEN invoice_approved_at IS NOT NULL THEN 'approved'
                        ELSE 'submitted' END,
                   value, '', contractor_user_id, invoiced_at,
                   CASE WHEN invoice_approved_at IS NOT NULL THEN %(officer)s END,
                   invoice_approved_at, paid_at
            FROM bench_f WHERE invoiced_at IS NOT NULL
            UNION ALL
            SELECT %(orders)s + n, contractor_id, n, 'INV-Q' || n, 'queried', value + 2000,
                   'A line does not match the order.', contractor_user_id, queried_at, NULL,
                   NULL, NULL
            FROM bench_f WHERE queried_at IS NOT NULL
        """, params)
        counts["invoices"] = cursor.rowcount
        cursor.execute("""
            INSERT INTO repairs_invoiceline (invoice_id, code, quantity, unit_price_pence,
                                             value_pence, problem)
            SELECT i.id, l.code, l.quantity, l.price, l.value, ''
            FROM repairs_invoice i JOIN bench_l l ON l.n = i.order_id ORDER BY i.id, l.k
        """)
        counts["invoice lines"] = cursor.rowcount
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in restore:
            cursor.execute(statement)
        # The services number on from here: ids and references.
        for table in REPAIRS_TABLES:  # our own table names
            max_id = f"SELECT max(id) FROM {table}"  # noqa: S608
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                           f"GREATEST(({max_id}), 1))", [table])
        for sequence in ("repairs_request_ref", "repairs_order_ref"):
            cursor.execute(f"SELECT setval('{sequence}', %(orders)s)", params)
        cursor.execute("DROP FUNCTION pg_temp.bench_u(bigint, int)")
        cursor.execute("SELECT status, count(*) FROM bench_f GROUP BY status ORDER BY 2 DESC")
        statuses = cursor.fetchall()
    counts.update({f"{status}": count for status, count in statuses})
    return counts


CONTRACTOR_LOGIN = "contractor@demo.example"  # Valley Plumbing and Heating: a third of orders


def measure_repairs(bench: Bench, *, samples: int = REPAIRS_SAMPLES) -> dict[str, float]:
    """Over the repairs load_repairs made: the repairs home (the first page, default filters:
    open orders by target date) as a Team Leader, who sees every patch (`repairs_home_p95_ms`,
    goal <= 200); the contractor portal's home for a company with a third of the orders
    (`contractor_portal_p95_ms`); the "completed within target" report (TSM RP02) over the last
    year, its figures and the CSV of every order behind them, as the job's runner builds them,
    without Celery (`rp02_report_seconds`, goal <= 10); and raising one order through
    repairs.services.raise_order, each on another open repair, by a Repairs Officer, committed
    (`raise_order_p95_ms`). Pages are server time through the test client, `samples` requests
    each after a warm-up, as the search figure is."""
    from datetime import timedelta

    from django.test.utils import override_settings
    from django.utils import timezone

    from housing.models import User
    from housing.reporting import csv_bytes
    from housing.seed import TODAY
    from repairs import services
    from repairs.models import Contractor, RepairRequest, Trade
    from repairs.reports import within_target

    leader, officer = repairs_users()
    home = _page_samples(bench, leader, "/repairs/", samples)
    portal = _page_samples(bench, User.objects.get(email=CONTRACTOR_LOGIN), "/contractor/",
                           samples)

    start = TODAY.replace(year=TODAY.year - 1) + timedelta(days=1)
    started = time.perf_counter()
    result = within_target(start=start, end=TODAY, user=leader)
    csv_bytes(result)
    report = time.perf_counter() - started
    bench.say(f"RP02: {result.summary} ({len(result.rows):,} orders in the CSV)")

    requests = list(RepairRequest.objects.filter(status=RepairRequest.Status.OPEN)
                    .order_by("-raised_at", "-pk").values_list("pk", flat=True)[:samples])
    company = Contractor.objects.get(code="valley-plumbing")
    plumbing = Trade.objects.get(code="plumbing")
    raising = []
    # The contractor's email goes after commit: kept in memory here, not printed.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        for request_id in requests:
            started = time.perf_counter()
            services.raise_order(request_id=request_id, contractor_id=company.pk,
                                 trade_id=plumbing.pk, description="Bench: renew the tap washer",
                                 lines=[("PL100", "1")], by=officer, at=timezone.now())
            raising.append(time.perf_counter() - started)
    return {"repairs_home_p95_ms": round(p95_ms(home), 2),
            "contractor_portal_p95_ms": round(p95_ms(portal), 2),
            "rp02_report_seconds": round(report, 2),
            "raise_order_p95_ms": round(p95_ms(raising), 2)}


def _page_samples(bench: Bench, user, path: str, samples: int, *,
                  warm_up: int = 3) -> list[float]:
    """Server time of GET `path` as `user`, `samples` times after `warm_up`; said with its
    query count and slowest statement (its plan too, with --explain)."""
    client = Client()
    client.force_login(user)
    for _ in range(warm_up):
        _get_page(client, path)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        _get_page(client, path)
        times.append(time.perf_counter() - started)
    connection = connections[ALIAS]
    with CaptureQueriesContext(connection) as captured:
        _get_page(client, path)
    slowest = max(captured.captured_queries, key=lambda sql: float(sql["time"]))
    bench.say(f"{path}: p50 {p50_ms(times):.1f} ms, max {max(times) * 1000:.1f} ms; "
              f"{len(captured)} queries, the slowest {float(slowest['time']) * 1000:.1f} ms")
    if bench.explain:
        bench.out.write(f"{slowest['sql']}\n")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {slowest['sql']}")
            bench.out.write("".join(f"      {line}\n" for (line,) in cursor.fetchall()))
    return times


def _get_page(client: Client, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise CommandError(f"{path} answered {response.status_code}")


# --- Voids --------------------------------------------------------------------------------------

VOID_PAGES = 50  # void pages timed, half of them open voids, half let in the last year
VOIDS_ROUNDS = 3  # the KPIs and the Council Tax CSV: the median of this many runs
WORKLIST_FILTER = "?stage=works&void_type=standard"


def voids_users():
    """The bench's Lettings and Voids Officer (sees every patch) and Council Tax user."""
    from django.contrib.auth.models import Group

    from housing import roles
    from housing.models import User

    made = []
    for email, last, role in (("bench.lettings@example.invalid", "Lettings",
                               roles.LETTINGS_OFFICER),
                              ("bench.council.tax@example.invalid", "Council Tax",
                               roles.COUNCIL_TAX)):
        user, _ = User.objects.get_or_create(
            email=email, defaults={"first_name": "Bench", "last_name": last,
                                   "kind": User.Kind.STAFF})
        user.groups.add(Group.objects.get(name=role))
        made.append(user)
    return made


def _last_reporting_year(today):
    """(1 April, 31 March) of the last reporting year that ended before `today`."""
    from datetime import timedelta

    from housing.reporting import reporting_year_start

    this_year = reporting_year_start(today)
    return this_year.replace(year=this_year.year - 1), this_year - timedelta(days=1)


def measure_voids(bench: Bench, *, pages: int = VOID_PAGES, samples: int = REPAIRS_SAMPLES,
                  rounds: int = VOIDS_ROUNDS) -> dict[str, float]:
    """Over the seeded council's void history (voids.seed): the void KPIs (voids.kpis.summary:
    relet times, rent loss and its share of the rent roll, open voids by stage and age) for
    the last full reporting year and as of the seed's today, for every home (no user), the
    median of `rounds` (`void_kpis_seconds`), with the rent loss it gives
    (`void_rent_loss_pence`, `void_rent_loss_percent`); the void page for `pages` voids, half
    open and half let in the last year, one request each after a warm-up, as a Lettings
    Officer (`void_page_p95_ms`); the voids worklist, its first page and a filtered one
    (`voids_worklist_p95_ms`, `samples` requests each); and the Council Tax CSV of every
    occupancy change recorded in the last year, fetched whole as the billing system's login
    (`council_tax_csv_seconds`, the median of `rounds`, and `council_tax_csv_rows`). Rent
    loss needs the homes' charges: measure_rent_run gives every home them (rents.demo); if
    none are there yet they are given here the same way."""
    from housing.seed import TODAY
    from rents.demo import seed_rent
    from rents.models import Charge
    from voids.kpis import summary
    from voids.models import VoidPeriod

    if not Charge.objects.filter(charge_type__code="rent").exists():
        seed_rent()
        bench.say("gave the homes their rent charges (rents.demo.seed_rent)")
    lettings, council_tax = voids_users()
    start, until = _last_reporting_year(TODAY)
    times, figures = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        figures = summary(start=start, until=until, today=TODAY, user=None)
        times.append(time.perf_counter() - started)
    relet = figures["relet"][-1]
    bench.say(f"KPIs {start:%d %b %Y} to {until:%d %b %Y}: {relet['lettings']:,} lettings, "
              f"{relet['average']} days on average; rent lost {figures['loss_pence']:,}p of "
              f"{figures['roll_pence']:,}p ({figures['loss_percent']}%) on "
              f"{figures['voids_with_loss']:,} voids; {figures['open']['total']:,} open voids")

    rng = random.Random(QUERY_SEED)
    open_voids = VoidPeriod.objects.filter(let_date__isnull=True)
    let_voids = VoidPeriod.objects.filter(let_date__gt=TODAY.replace(year=TODAY.year - 1))
    half = pages // 2
    chosen = [void.pk for void in _sample(open_voids, half, rng) + _sample(let_voids,
                                                                           pages - half, rng)]
    rng.shuffle(chosen)
    client = Client()
    client.force_login(lettings)
    for pk in chosen[:3]:  # warm up
        _get_page(client, f"/voids/{pk}/")
    page_times = []
    for pk in chosen:
        started = time.perf_counter()
        _get_page(client, f"/voids/{pk}/")
        page_times.append(time.perf_counter() - started)
    bench.say(f"/voids/<pk>/ over {len(chosen)} voids: p50 {p50_ms(page_times):.1f} ms, "
              f"max {max(page_times) * 1000:.1f} ms")
    worklist = (_page_samples(bench, lettings, "/voids/", samples)
                + _page_samples(bench, lettings, f"/voids/{WORKLIST_FILTER}", samples))

    since = TODAY.replace(year=TODAY.year - 1)
    client = Client()
    client.force_login(council_tax)
    csv_times, rows = [], 0
    for _ in range(rounds):
        started = time.perf_counter()
        rows = _council_tax_rows(client, f"/voids/council-tax/changes.csv?since={since}")
        csv_times.append(time.perf_counter() - started)
    bench.say(f"Council Tax CSV since {since}: {rows:,} changes")
    return {"void_kpis_seconds": round(statistics.median(times), 3),
            "void_rent_loss_pence": figures["loss_pence"],
            "void_rent_loss_percent": (float(figures["loss_percent"])
                                       if figures["loss_percent"] is not None else None),
            "void_page_p95_ms": round(p95_ms(page_times), 2),
            "voids_worklist_p95_ms": round(p95_ms(worklist), 2),
            "council_tax_csv_seconds": round(statistics.median(csv_times), 2),
            "council_tax_csv_rows": rows}


def _council_tax_rows(client: Client, path: str) -> int:
    """GET the Council Tax CSV and read it to the end, as the billing system does: the
    changes in it (its lines less the header)."""
    response = client.get(path)
    if response.status_code != 200:
        raise CommandError(f"{path} answered {response.status_code}")
    chunks = response.streaming_content if response.streaming else [response.content]
    lines = sum(chunk.count(b"\n") for chunk in chunks)
    return lines - 1


FIGURES: list[Callable[[Bench], dict[str, float]]] = [
    measure_migrate,
    measure_seed,  # BENCH_HOMES homes (100,000 unless set)
    settle,
    measure_search,
    measure_rent_run,  # BENCH_YEARS years of weekly history first (2 unless set)
    measure_arrears_run,  # realistic arrears for the accounts first
    measure_account_page,
    measure_payment_import,
    load_repairs,  # ORDERS_PER_HOME work orders a home over REPAIRS_YEARS years
    measure_repairs,
    measure_voids,  # over the seed's void history, with the rent run's charges
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
