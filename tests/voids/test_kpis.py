"""The void KPIs (voids.kpis): average relet days by void type, rounded halves up; open voids
by stage and age band; rent loss and its share of the rent roll; each drill-down adds up to
its headline figure; and a user who sees only their own patches counts only those homes."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from housing.reporting import reporting_year_start
from rents.models import Charge, ChargeType
from tests.housing.factories import PropertyFactory
from tests.voids.conftest import end, let_home
from voids import kpis, rentloss, services
from voids.models import Stage, VoidPeriod

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 9)
START, UNTIL = date(2026, 4, 1), TODAY
AT = datetime(2026, 12, 9, 10, 15, tzinfo=UTC)
_numbers = iter(range(1, 10_000))


def charged_home(patch, *, weekly=10_500):
    home = PropertyFactory(patch=patch)
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=weekly, start_date=date(2024, 4, 1))
    return home


def let_void(patch, *, let_on, relet_days, void_type="standard"):
    """A void let `relet_days` after its tenancy ended, written directly."""
    return VoidPeriod.objects.create(
        reference=f"T{next(_numbers):06d}", property=charged_home(patch),
        vacancy_reason="notice", start_date=let_on - timedelta(days=relet_days - 1),
        void_type=void_type, stage=Stage.LET, let_date=let_on, opened_at=AT)


def open_void(patch, *, days, stage=Stage.KEYS_IN):
    """A void open `days` days as of TODAY (services.days_void)."""
    return VoidPeriod.objects.create(
        reference=f"T{next(_numbers):06d}", property=charged_home(patch),
        vacancy_reason="notice", start_date=TODAY - timedelta(days=days - 1), stage=stage,
        opened_at=AT)


@pytest.mark.parametrize(("total", "count", "average"), [
    (35, 2, "17.5"), (40, 1, "40.0"), (85, 4, "21.3"),  # 21.25: halves up
    (1, 3, "0.3"), (2, 3, "0.7"), (0, 0, None),
])
def test_average_days(total, count, average):
    result = kpis.average_days(total, count)
    assert (str(result) if result is not None else None) == average


@pytest.mark.parametrize(("part", "whole", "share"), [
    (31_500, 63_000, "50.00"), (1, 3, "33.33"), (2, 3, "66.67"), (1, 8, "12.50"),
    (1, 16_000, "0.01"),  # 0.00625%: halves up
    (1, 40_000, "0.00"), (5, 0, None), (0, 100, "0.00"),
])
def test_percent(part, whole, share):
    result = kpis.percent(part, whole)
    assert (str(result) if result is not None else None) == share


def test_average_relet_days_standard_and_major_apart(north):
    let_void(north, let_on=date(2026, 5, 4), relet_days=14)
    let_void(north, let_on=date(2026, 9, 7), relet_days=21)
    let_void(north, let_on=date(2026, 6, 1), relet_days=40, void_type="major")
    # Outside the period: let before 1 April 2026, and (the day after) after today.
    let_void(north, let_on=date(2026, 3, 31), relet_days=100)
    let_void(north, let_on=date(2026, 12, 10), relet_days=100)
    lines = kpis.relet_lines(start=START, until=UNTIL)
    assert [(line["label"], line["lettings"], line["total_days"], str(line["average"]))
            for line in lines] == [
        ("Standard voids", 2, 35, "17.5"),
        ("Major works voids", 1, 40, "40.0"),
        ("All lettings", 3, 75, "25.0"),
    ]


def test_voids_let_without_an_inspection_are_a_third_line(north):
    let_void(north, let_on=date(2026, 5, 4), relet_days=10, void_type="")
    lines = kpis.relet_lines(start=START, until=UNTIL)
    assert [(line["key"], line["lettings"], line["average"]) for line in lines] == [
        ("standard", 0, None), ("major", 0, None), ("none", 1, Decimal("10.0")),
        ("", 1, Decimal("10.0"))]


def test_relet_days_are_tenancy_end_to_new_tenancy_start(north):
    """A realistic void: the tenancy ended Sunday 29 November 2026 (void from the 30th) and
    the home was let Monday 7 December: 8 days, as services.relet_days counts them."""
    void = end(let_home(north))
    void.stage, void.let_date, void.void_type = Stage.LET, date(2026, 12, 7), "standard"
    void.save()
    assert services.relet_days(void) == 8
    [standard, *_] = kpis.relet_lines(start=START, until=UNTIL)
    assert (standard["lettings"], standard["average"]) == (1, Decimal("8.0"))


# Days void as of TODAY -> band; the edges of every band, and a void from tomorrow (0 days:
# its tenancy ended today).
BAND_CASES = [(0, "0-7"), (1, "0-7"), (7, "0-7"), (8, "8-14"), (14, "8-14"), (15, "15-28"),
              (28, "15-28"), (29, "29-56"), (56, "29-56"), (57, "57+"), (400, "57+")]


@pytest.mark.parametrize(("days", "band"), BAND_CASES)
def test_a_void_is_banded_by_its_days_void(north, days, band):
    void = open_void(north, days=days)
    assert services.days_void(void, today=TODAY) == days
    assert kpis.open_voids(today=TODAY).get().band == band


def test_open_voids_by_stage_and_band(north):
    for days, stage in [(3, Stage.KEYS_IN), (5, Stage.KEYS_IN), (10, Stage.INSPECTION),
                        (20, Stage.WORKS), (20, Stage.WORKS), (30, Stage.READY),
                        (60, Stage.OFFERED), (90, Stage.WORKS)]:
        open_void(north, days=days, stage=stage)
    let_void(north, let_on=date(2026, 12, 1), relet_days=30)  # let: not open
    grid = kpis.stage_by_band(today=TODAY)
    assert [band.key for band in grid["bands"]] == ["0-7", "8-14", "15-28", "29-56", "57+"]
    assert [(line["label"], line["counts"], line["total"]) for line in grid["stages"]] == [
        ("Keys in", [2, 0, 0, 0, 0], 2),
        ("Void inspection", [0, 1, 0, 0, 0], 1),
        ("Void works", [0, 0, 2, 0, 1], 3),
        ("Ready to let", [0, 0, 0, 1, 0], 1),
        ("Offered", [0, 0, 0, 0, 1], 1),
    ]
    assert (grid["totals"], grid["total"]) == ([2, 1, 2, 1, 2], 8)
    # Every cell and total is the count of its drill-down.
    for line in grid["stages"]:
        for band, count in line["cells"]:
            assert kpis.open_voids(today=TODAY, stage=line["key"], band=band.key).count() \
                == count
        assert kpis.open_voids(today=TODAY, stage=line["key"]).count() == line["total"]
    for band, count in grid["band_cells"]:
        assert kpis.open_voids(today=TODAY, band=band.key).count() == count
    assert kpis.open_voids(today=TODAY).count() == grid["total"]


@pytest.fixture
def council(north, south):
    """Lettings, open voids and rent loss on two patches."""
    let_void(north, let_on=date(2026, 5, 4), relet_days=14)
    let_void(north, let_on=date(2026, 9, 7), relet_days=21)
    let_void(south, let_on=date(2026, 6, 1), relet_days=40, void_type="major")
    open_void(north, days=10, stage=Stage.INSPECTION)
    open_void(south, days=70, stage=Stage.WORKS)
    charged_home(north)  # let throughout: in the rent roll only


def test_the_summary_and_its_drill_downs_agree(council):
    figures = kpis.summary(start=START, until=UNTIL, today=TODAY)
    assert [(line["key"], line["lettings"], str(line["average"]))
            for line in figures["relet"]] == [
        ("standard", 2, "17.5"), ("major", 1, "40.0"), ("", 3, "25.0")]
    # Rent loss: every void of the period lost its days at £105.00 a week.
    loss = kpis.loss_by_void(start=START, until=UNTIL)
    assert figures["loss_pence"] == sum(loss.values()) > 0
    assert figures["voids_with_loss"] == len(loss) == 5
    assert {void.pk for void in kpis.losing_voids(loss)} == set(loss)
    # The roll: six homes at £105.00 a week, 1 April (a Wednesday) to 9 December 2026.
    roll_each = rentloss.rent_roll(start=START, until=UNTIL) // 6
    assert figures["roll_pence"] == 6 * roll_each
    assert figures["loss_percent"] == kpis.percent(figures["loss_pence"], figures["roll_pence"])
    # The lettings behind each relet line.
    for line in figures["relet"]:
        voids = kpis.lettings(start=START, until=UNTIL, void_type=line["key"] or None)
        assert voids.count() == line["lettings"]
        assert sum(services.relet_days(void) for void in voids) == line["total_days"]
    assert figures["open"]["total"] == 2


def test_the_loss_of_a_void_is_its_days_in_the_period_at_its_charge(north):
    """A void of exactly two rent weeks inside the period (Monday 2 to Sunday 15 November
    2026) loses £210.00 on 14 days."""
    void = let_void(north, let_on=date(2026, 11, 16), relet_days=15)
    assert void.start_date == date(2026, 11, 2)
    assert kpis.loss_by_void(start=START, until=UNTIL) == {void.pk: 21_000}
    assert kpis.days_in_period(void, start=START, until=UNTIL) == 14
    assert kpis.days_in_period(void, start=date(2026, 11, 10), until=UNTIL) == 6
    assert kpis.days_in_period(void, start=START, until=date(2026, 11, 3)) == 2


def test_a_patch_officer_counts_only_their_patches(council, officer, north):
    officer.user_permissions.add(Permission.objects.get(codename="view_voidperiod"))
    officer = type(officer).objects.get(pk=officer.pk)  # fresh permission cache
    everything = kpis.summary(start=START, until=UNTIL, today=TODAY)
    mine = kpis.summary(start=START, until=UNTIL, today=TODAY, user=officer)
    assert [(line["key"], line["lettings"]) for line in mine["relet"]] == [
        ("standard", 2), ("major", 0), ("", 2)]
    assert mine["open"]["total"] == 1
    assert mine["voids_with_loss"] == 3
    north_voids = set(VoidPeriod.objects.filter(property__patch=north).values_list(
        "pk", flat=True))
    assert set(kpis.loss_by_void(start=START, until=UNTIL, user=officer)) == north_voids
    assert mine["loss_pence"] == sum(
        kpis.loss_by_void(start=START, until=UNTIL, user=officer).values())
    # North has four of the six charged homes.
    assert mine["roll_pence"] * 6 == everything["roll_pence"] * 4


def test_a_user_who_may_not_see_voids_counts_nothing(council, council_tax):
    figures = kpis.summary(start=START, until=UNTIL, today=TODAY, user=council_tax)
    assert (figures["loss_pence"], figures["roll_pence"], figures["open"]["total"],
            figures["relet"][-1]["lettings"]) == (0, 0, 0, 0)


@pytest.mark.parametrize(("start", "until", "errors"), [
    (date(2026, 4, 1), date(2026, 12, 9), {}),
    (date(2026, 12, 9), date(2026, 12, 9), {}),
    (date(2026, 12, 10), date(2026, 12, 11), {
        "start": ["The start date must be today or in the past."],
        "end": ["The end date must be today or in the past."]}),
    (date(2026, 6, 1), date(2026, 5, 31), {
        "end": ["The end date must be the same as or after the start date."]}),
])
def test_check_period(start, until, errors):
    from django.core.exceptions import ValidationError

    try:
        kpis.check_period(start=start, until=until, today=TODAY)
    except ValidationError as error:
        assert error.message_dict == errors
    else:
        assert errors == {}


@pytest.mark.parametrize(("today", "start"), [
    (date(2026, 12, 9), date(2026, 4, 1)), (date(2027, 3, 31), date(2026, 4, 1)),
    (date(2027, 4, 1), date(2027, 4, 1)), (date(2026, 1, 15), date(2025, 4, 1)),
])
def test_the_reporting_year_starts_on_1_april(today, start):
    assert reporting_year_start(today) == start
