"""`manage.py bench`: the search figure's query mix and the figures' guards, on a small council
(the command itself runs in its own scratch database, so it is not run here)."""

import random

import pytest
from django.core.management.base import CommandError

from housing.management.commands import bench
from housing.seed import seed_council


def test_the_mix_of_200_queries_has_the_shares_the_issue_asks_for():
    assert bench._quotas(200) == {
        "surname": 70, "full name": 30, "postcode": 30, "uprn": 20, "address": 20,
        "date of birth": 10, "tenancy": 10, "phone": 10,
    }
    for count in (1, 10, 37):
        assert sum(bench._quotas(count).values()) == count


def test_a_typo_is_one_slip_and_keeps_the_first_letter():
    rng = random.Random(1)
    for word in ["Smith", "Johnson", "Lee", "Ali", "Okafor", "Stephenson"]:
        for _ in range(20):
            typo = bench._typo(word, rng)
            assert typo != word
            assert typo[0] == word[0]
            assert len(word) - 1 <= len(typo) <= len(word)
            assert sorted(typo) == sorted(word) or len(typo) == len(word) - 1


@pytest.mark.parametrize(("value", "homes"), [("", 100_000), ("2500", 2500), ("100_000", 100_000)])
def test_bench_homes_comes_from_the_environment(monkeypatch, value, homes):
    monkeypatch.setenv("BENCH_HOMES", value)
    assert bench.bench_homes() == homes


@pytest.mark.parametrize("value", ["lots", "0", "-5"])
def test_a_bad_bench_homes_is_refused(monkeypatch, value):
    monkeypatch.setenv("BENCH_HOMES", value)
    with pytest.raises(CommandError):
        bench.bench_homes()


@pytest.mark.django_db
def test_the_seed_figure_refuses_to_run_inside_a_transaction():
    # Test cases run in one; the seed manages (and alters tables in) its own.
    with pytest.raises(CommandError, match="outside any transaction"):
        bench.measure_seed(bench.Bench(database="unused"))


@pytest.mark.django_db
def test_the_search_figure_on_a_small_council():
    seed_council(homes=300, seed=2026)
    queries = bench.search_queries(40, random.Random(7))
    assert queries == bench.search_queries(40, random.Random(7))  # same data, same mix
    assert len(queries) == 40
    assert {query.kind for query in queries} == {*bench.SEARCH_MIX, "surname typo"}

    figures = bench.measure_search(bench.Bench(database="unused"), count=40, warm_up=2,
                                   rounds=1)
    assert set(figures) == {"search_p50_ms", "search_p95_ms", "search_function_p95_ms"}
    assert 0 < figures["search_p50_ms"] <= figures["search_p95_ms"]


def _ledger_schema() -> set:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT pg_get_indexdef(indexrelid) FROM pg_index
            WHERE indrelid = 'rents_transaction'::regclass
            UNION ALL
            SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'rents_transaction'::regclass
        """)
        return {definition for (definition,) in cursor.fetchall()}


@pytest.mark.django_db
def test_the_rent_history_loads_the_rent_runs_rows_and_puts_the_ledger_back_as_it_was():
    from datetime import date, timedelta

    from django.db import connection
    from django.utils import timezone

    from rents.demo import seed_rent
    from rents.models import RentWeek, Transaction
    from rents.services import post_rent_run

    seed_council(homes=200, seed=2026)
    seed_rent()
    schema = _ledger_schema()
    assert any("one_rent_charge_per_week_and_type" in line for line in schema)
    weeks = list(RentWeek.objects.filter(start_date__gte=date(2026, 11, 30) - timedelta(weeks=6),
                                         start_date__lt=date(2026, 11, 30)))
    assert len(weeks) == 6

    with connection.cursor() as cursor:
        # The bench runs outside any transaction; this test runs in one, where the seed's
        # deferred foreign-key checks would stop the load altering the tables they touch.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    rows = bench._load_rent_history(weeks)

    assert rows == Transaction.objects.count() > 6 * 150
    assert _ledger_schema() == schema  # every index and constraint back, as it was
    # The same rows as the rent run itself: running each week again posts nothing.
    assert [post_rent_run(week=week, by=None, at=timezone.now()).posted for week in weeks] == \
        [0] * 6
    assert Transaction.objects.count() == rows


@pytest.mark.django_db
def test_the_arrears_figure_on_a_small_council():
    """The arrears run's figure: realistic arrears are set up (balances in every band, case
    histories, pauses, arrangements, court dates), the run recommends every stage of the
    policy, and the rerun changes nothing."""
    from datetime import date

    from django.db import connection
    from django.utils import timezone

    from rents.demo import seed_rent
    from rents.models import Arrangement, CaseEvent, Pause, Recommendation, RentWeek
    from rents.services import post_rent_run

    seed_council(homes=2000, seed=2026)
    seed_rent()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in the rent history test above
    post_rent_run(week=RentWeek.objects.get(start_date=date(2026, 11, 30)), by=None,
                  at=timezone.now())
    out = []
    bench_run = bench.Bench(database="unused", out=type("Out", (), {"write": out.append})())
    figures = bench.measure_arrears_run(bench_run)

    assert set(figures) == {"arrears_run_seconds", "arrears_rerun_seconds",
                            "arrears_rerun_changed", "arrears_recommended"}
    assert figures["arrears_rerun_changed"] == 0
    assert figures["arrears_recommended"] == Recommendation.objects.filter(status="open").count()
    accounts = Recommendation.objects.values("account").distinct().count()
    assert 0.25 < figures["arrears_recommended"] / 1500 < 0.6  # of some 1,500 live accounts
    stages = set(Recommendation.objects.values_list("stage__code", flat=True))
    assert {"reminder", "letter-1", "letter-2", "nosp", "court-warning"} <= stages, stages
    assert CaseEvent.objects.exclude(kind="arrangement").values("account").distinct().count() \
        > accounts * 0.2
    assert Pause.objects.values("kind").distinct().count() == len(Pause.Kind)
    assert Arrangement.objects.filter(status="breached").exists()
    assert Arrangement.objects.filter(status="active").exists()
    assert any("held back" in line for line in out)


@pytest.mark.django_db
def test_the_repairs_figures_on_a_small_council():
    """The repairs figures: three work orders a home over three years, in the statuses their
    age gives them, each with its lines, history rows that walk the status flow to where it is,
    appointments and invoices; then the four figures, and the services number on from what
    was loaded."""
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Count, F, Max, OuterRef, Subquery, Sum

    from housing.models import Property
    from housing.seed import TODAY
    from repairs.models import Appointment, Invoice, RepairRequest, WorkOrder, WorkOrderEvent
    from repairs.reports import within_target

    seed_council(homes=2000, seed=2026)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in the rent history test above
    counts = bench._load_repairs(as_of=TODAY)

    orders = WorkOrder.objects.all()
    homes = Property.objects.filter(kind=Property.Kind.DWELLING).count()
    assert orders.count() == RepairRequest.objects.count() == 3 * homes == counts["work orders"]
    by_status = dict(orders.values_list("status").annotate(n=Count("pk")).order_by())
    assert {"issued", "booked", "in_progress", "no_access", "completed", "invoiced", "paid",
            "cancelled"} <= set(by_status), by_status
    assert by_status["paid"] > 0.8 * orders.count()  # three years of them, most long paid
    assert 3 <= orders.values("contractor").distinct().count()
    shares = [n / orders.count() for n in orders.values_list("contractor").annotate(
        n=Count("pk")).values_list("n", flat=True)]
    assert all(0.3 < share < 0.37 for share in shares), shares  # a third each
    # Each order's value is its lines'; its last history row leaves it where it is.
    assert not orders.annotate(of_lines=Sum("lines__value_pence")).exclude(
        value_pence=F("of_lines")).exists()
    last = WorkOrderEvent.objects.filter(order=OuterRef("pk")).order_by("-at", "-pk")
    assert not orders.annotate(last=Subquery(last.values("to_status")[:1])).exclude(
        status=F("last")).exists()
    assert not orders.filter(completed_at__lt=F("issued_at")).exists()
    assert max(WorkOrderEvent.objects.aggregate(at=Max("at")).values()) \
        < max(orders.aggregate(at=Max("raised_at")).values()) + timedelta(days=2)
    # Booked orders have their appointment to come; invoiced and paid ones a matching invoice.
    booked = Appointment.objects.filter(status=Appointment.Status.BOOKED)
    assert booked.count() == by_status["booked"]
    assert min(booked.values_list("date", flat=True)) > TODAY
    live = Invoice.objects.exclude(status=Invoice.Status.QUERIED)
    assert live.count() == by_status["invoiced"] + by_status["paid"]
    assert not live.exclude(total_pence=F("order__value_pence")).exists()
    # RP02 over the last year: most emergencies in 24 hours, most other work on time.
    result = within_target(start=TODAY.replace(year=TODAY.year - 1) + timedelta(days=1),
                           end=TODAY, user=None)
    emergency, other = result.data["groups"]
    assert 85 < float(emergency["percent"]) < 99 and 65 < float(other["percent"]) < 95

    out = []
    figures = bench.measure_repairs(
        bench.Bench(database="unused", out=type("Out", (), {"write": out.append})()),
        samples=3)
    assert set(figures) == {"repairs_home_p95_ms", "contractor_portal_p95_ms",
                            "rp02_report_seconds", "raise_order_p95_ms"}
    assert all(value > 0 for value in figures.values())
    assert any(line.strip().startswith("RP02:") for line in out)
    # The orders raised were numbered on from the loaded ones.
    raised = orders.filter(description="Bench: renew the tap washer")
    assert raised.count() == 3
    assert min(raised.values_list("reference", flat=True)) > f"WO{3 * homes:06d}"


@pytest.mark.django_db
def test_the_voids_figures_on_a_small_council():
    """The voids figures over the seed's void history: the KPIs for the last full reporting
    year (with the rent loss they give, once the homes have their charges), the void page and
    the worklist as a Lettings Officer, and the Council Tax CSV read whole."""
    from datetime import date, datetime, time

    from django.utils import timezone

    from housing.seed import TODAY
    from rents.models import Charge
    from voids.kpis import summary
    from voids.models import OccupancyChange

    seed_council(homes=300, seed=2026)
    assert not Charge.objects.exists()  # the rent run's figure gives them; here the voids' do
    out = []
    figures = bench.measure_voids(
        bench.Bench(database="unused", out=type("Out", (), {"write": out.append})()),
        pages=6, samples=2, rounds=1)

    assert set(figures) == {"void_kpis_seconds", "void_rent_loss_pence",
                            "void_rent_loss_percent", "void_page_p95_ms",
                            "voids_worklist_p95_ms", "council_tax_csv_seconds",
                            "council_tax_csv_rows"}
    assert bench._last_reporting_year(TODAY) == (date(2025, 4, 1), date(2026, 3, 31))
    expected = summary(start=date(2025, 4, 1), until=date(2026, 3, 31), today=TODAY)
    assert figures["void_rent_loss_pence"] == expected["loss_pence"] > 0
    assert 0 < figures["void_rent_loss_percent"] == float(expected["loss_percent"]) < 10
    since = timezone.make_aware(datetime.combine(date(2025, 11, 29), time.min))
    assert figures["council_tax_csv_rows"] == \
        OccupancyChange.objects.filter(recorded_at__gte=since).count() > 0
    assert all(figures[name] > 0 for name in ("void_kpis_seconds", "void_page_p95_ms",
                                              "voids_worklist_p95_ms",
                                              "council_tax_csv_seconds"))
    assert any("/voids/?stage=works" in line for line in out)
    assert any(line.strip().startswith("KPIs") for line in out)
