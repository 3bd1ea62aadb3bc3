"""Void rent loss and the rent roll (voids.rentloss), by worked examples on the rent years the
migrations ship: 2024/25 runs from Monday 1 April 2024 and has 53 rent weeks, the 53rd
starting Monday 31 March 2025; no week is rent free unless a test says so.

The home (conftest let_home) is charged £100.00 rent and £5.00 cleaning a week from 1 April
2024. A part week is charged pro rata by day for each charge, rounded to the penny once per
week per charge, as the rent run charges a tenancy's first and last week. (A seventh of a
whole number of pence is never exactly half a penny, so halves never arise; the rounding is
PostgreSQL's round(), halves away from zero, like housing.money.)
"""

import random
from datetime import date, timedelta

import pytest
from django.db import connection

from rents.models import Charge, ChargeType, RentWeek
from tests.housing.factories import PropertyFactory
from tests.voids.conftest import end, let_home
from voids import kpis, rentloss, services
from voids.models import Stage, VoidPeriod

pytestmark = pytest.mark.django_db

ENDED = date(2025, 3, 16)  # Sunday: void from Monday 17 March 2025
RELET = date(2025, 4, 7)  # Monday: the void's last day is Sunday 6 April


def _let(void: VoidPeriod, on: date) -> VoidPeriod:
    """Relet written directly: the sign-up is not the point here."""
    void.stage, void.let_date = Stage.LET, on
    void.save(update_fields=["stage", "let_date"])
    return void


@pytest.fixture
def relet(north):
    """Example (a): ended Sunday 16 March 2025, relet Monday 7 April 2025."""
    return _let(end(let_home(north), on=ENDED), RELET)


def test_the_rent_year_2024_25_has_53_weeks_the_last_from_31_march_2025():
    week = RentWeek.objects.get(start_date=date(2025, 3, 31))
    assert (week.rent_year.label, week.number, week.rent_free) == ("2024/25", 53, False)
    assert RentWeek.objects.filter(rent_year=week.rent_year).count() == 53


def test_a_three_week_void_across_week_53(relet):
    """(a) 17 March to 6 April 2025 is 21 days: three full weeks (17, 24 and 31 March, the
    last being week 53 of 2024/25) of £105.00 = £315.00; relet days 22 (16 March to 7 April)."""
    assert (relet.start_date, relet.let_date) == (date(2025, 3, 17), RELET)
    assert services.days_void(relet, today=date(2026, 12, 9)) == 21
    assert services.relet_days(relet) == 22
    assert rentloss.rent_lost(start=date(2025, 1, 1), until=date(2026, 12, 9)) == {
        relet.pk: 31_500}
    assert rentloss.rent_lost_so_far(relet, today=date(2026, 12, 9)) == 31_500


def test_part_weeks_are_pro_rata_per_charge_and_rounded_once_a_week(north):
    """(b) Ended Wednesday 14 May 2025, relet the next-but-one Thursday (22 May): void
    Thursday 15 to Wednesday 21 May, 7 days over two rent weeks.
      week of Monday 12 May, 4 days (Thu-Sun): rent 10000 x 4/7 = 5714.29 -> 5714p,
                                              cleaning 500 x 4/7 = 285.71 -> 286p;
      week of Monday 19 May, 3 days (Mon-Wed): rent 10000 x 3/7 = 4285.71 -> 4286p,
                                              cleaning 500 x 3/7 = 214.29 -> 214p.
    5714 + 286 + 4286 + 214 = 10500p: £105.00."""
    void = _let(end(let_home(north), on=date(2025, 5, 14)), date(2025, 5, 22))
    assert services.relet_days(void) == 8
    assert rentloss.rent_lost_so_far(void, today=date(2025, 6, 30)) == 10_500


def test_each_week_is_rounded_apart_not_the_whole_void(north):
    """Rent only (£100.00 a week): ended Thursday 15 May 2025, relet Thursday 22 May 2025:
    void Friday 16 to Wednesday 21 May, 3 days in each of two weeks. Each week is
    10000 x 3/7 = 4285.71 -> 4286p, so 8572p; rounding the 6 days at once would give
    10000 x 6/7 = 8571.43 -> 8571p, a penny less than the rent run charges."""
    home = let_home(north)
    Charge.objects.filter(property=home, charge_type__code="cleaning").delete()
    void = _let(end(home, on=date(2025, 5, 15)), date(2025, 5, 22))
    assert rentloss.rent_lost_so_far(void, today=date(2025, 6, 30)) == 8_572


def test_a_rent_free_week_inside_the_void_loses_nothing(relet):
    """(c) The week of 24 March 2025 made rent free: two weeks of £105.00 are lost."""
    RentWeek.objects.filter(start_date=date(2025, 3, 24)).update(rent_free=True)
    assert rentloss.rent_lost_so_far(relet, today=date(2026, 12, 9)) == 21_000


def test_a_charge_that_changes_mid_void_uses_each_weeks_charge(relet):
    """(d) The rent goes from £100.00 to £120.00 on Monday 24 March 2025: 17 March loses
    £105.00, 24 and 31 March £125.00 each: £355.00."""
    rent = Charge.objects.get(property=relet.property, charge_type__code="rent")
    rent.end_date = date(2025, 3, 23)
    rent.save(update_fields=["end_date"])
    Charge.objects.create(property=relet.property, charge_type=rent.charge_type,
                          weekly_pence=12_000, start_date=date(2025, 3, 24))
    assert rentloss.rent_lost_so_far(relet, today=date(2026, 12, 9)) == 35_500


@pytest.mark.parametrize(("start", "until", "pence"), [
    # (e) An open void counts to `until`: 17 and 24 March in full ...
    (date(2025, 3, 17), date(2025, 3, 30), 21_000),
    # ... and to Wednesday 2 April, 3 days of week 53: 4286 + 214 = 4500p more.
    (date(2025, 3, 17), date(2025, 4, 2), 25_500),
    # Before the void began, nothing.
    (date(2025, 3, 1), date(2025, 3, 16), None),
])
def test_an_open_void_counts_to_until(north, start, until, pence):
    void = end(let_home(north), on=ENDED)
    assert void.let_date is None
    assert rentloss.rent_lost(start=start, until=until).get(void.pk) == pence


@pytest.mark.parametrize(("start", "until", "pence"), [
    # (f) The period clips the void (17 March to 6 April 2025).
    (date(2025, 3, 24), date(2025, 4, 2), 10_500 + 4_500),
    # Wednesday 19 March to Monday 31 March: week of 17 March, 5 days: 10000 x 5/7 = 7142.86
    # -> 7143p and 500 x 5/7 = 357.14 -> 357p; 24 March in full; 31 March, 1 day:
    # 1428.57 -> 1429p and 71.43 -> 71p.
    (date(2025, 3, 19), date(2025, 3, 31), 7_500 + 10_500 + 1_500),
    # A period running past the relet stops at the void's last day.
    (date(2025, 3, 31), date(2025, 12, 31), 10_500),
    # After the relet, nothing.
    (date(2025, 4, 7), date(2025, 12, 31), None),
])
def test_the_period_clips_the_void(relet, start, until, pence):
    assert rentloss.rent_lost(start=start, until=until).get(relet.pk) == pence


def test_void_ids_and_patches_limit_the_voids(relet, south):
    other = end(let_home(south, address="9 Far Road"), on=ENDED)
    period = {"start": date(2025, 3, 17), "until": date(2025, 4, 6)}
    assert rentloss.rent_lost(**period) == {relet.pk: 31_500, other.pk: 31_500}
    assert rentloss.rent_lost(**period, void_ids=[other.pk]) == {other.pk: 31_500}
    assert rentloss.rent_lost(**period, void_ids=[]) == {}
    assert rentloss.rent_lost(**period, patch_ids=[relet.property.patch_id]) == {
        relet.pk: 31_500}
    assert rentloss.rent_lost(**period, patch_ids=[]) == {}


@pytest.mark.parametrize(("start", "until", "roll_each"), [
    # Three full weeks: £315.00 a home.
    (date(2025, 3, 17), date(2025, 4, 6), 31_500),
    # Wednesday 19 March to Wednesday 2 April: 5 days, a week, 3 days: 7500 + 10500 + 4500.
    (date(2025, 3, 19), date(2025, 4, 2), 22_500),
    # One day, a Tuesday: 1428.57 -> 1429p and 71.43 -> 71p.
    (date(2025, 3, 18), date(2025, 3, 18), 1_500),
    # Before any charge (charges start 1 April 2024): nothing.
    (date(2024, 3, 1), date(2024, 3, 31), 0),
])
def test_the_rent_roll_counts_every_home_let_or_void(relet, north, start, until, roll_each):
    """(g) Two homes, one let throughout, one void: the roll is both homes' charges, and the
    loss is a share of it."""
    let_home(north, address="6 Orchard Close")
    roll = rentloss.rent_roll(start=start, until=until)
    assert roll == 2 * roll_each
    loss = sum(rentloss.rent_lost(start=start, until=until).values())
    if roll_each:
        assert loss * 2 == roll  # the void is one of two identical homes
        assert kpis.percent(loss, roll) == 50
        assert str(kpis.percent(loss, roll)) == "50.00"


def test_the_rent_roll_of_some_patches(relet, south):
    let_home(south, address="9 Far Road")
    period = {"start": date(2025, 3, 17), "until": date(2025, 4, 6)}
    assert rentloss.rent_roll(**period) == 63_000
    assert rentloss.rent_roll(**period, patch_ids=[relet.property.patch_id]) == 31_500
    assert rentloss.rent_roll(**period, patch_ids=[]) == 0


def test_the_rent_roll_leaves_out_rent_free_weeks_and_follows_charge_changes(relet):
    RentWeek.objects.filter(start_date=date(2025, 3, 24)).update(rent_free=True)
    rent = Charge.objects.get(property=relet.property, charge_type__code="rent")
    rent.end_date = date(2025, 3, 30)
    rent.save(update_fields=["end_date"])
    Charge.objects.create(property=relet.property, charge_type=rent.charge_type,
                          weekly_pence=12_000, start_date=date(2025, 3, 31))
    # 17 March £105.00; 24 March rent free; 31 March £125.00.
    assert rentloss.rent_roll(start=date(2025, 3, 17), until=date(2025, 4, 6)) == 23_000


_ROLL_HOME_BY_HOME = """
SELECT COALESCE(sum(p.pence), 0)
FROM (SELECT DISTINCT property_id, %(start)s::date AS lo, %(until)s::date AS hi
      FROM rents_charge) s
JOIN rents_rentweek w
  ON NOT w.rent_free AND w.start_date <= s.hi AND w.start_date + 6 >= s.lo
JOIN rents_charge c
  ON c.property_id = s.property_id AND c.start_date <= w.start_date
 AND (c.end_date IS NULL OR c.end_date >= w.start_date) AND c.weekly_pence > 0
CROSS JOIN LATERAL (
  SELECT LEAST(w.start_date + 6, s.hi) - GREATEST(w.start_date, s.lo) + 1 AS days) d
CROSS JOIN LATERAL (
  SELECT CASE WHEN d.days = 7 THEN c.weekly_pence
              ELSE round(c.weekly_pence * d.days / 7.0)::bigint END AS pence) p
"""


def test_the_grouped_rent_roll_equals_charging_each_home_week_by_week(north):
    """The roll sums charges grouped by the weeks they cover; charging every home week by
    week, as the rent run does, must give the same pence for any charges and period."""
    rng = random.Random(7)
    types = list(ChargeType.objects.filter(code__in=["rent", "cleaning", "heating"]))
    RentWeek.objects.filter(start_date__in=[date(2025, 6, 2), date(2025, 12, 22)]).update(
        rent_free=True)
    for _ in range(12):
        home = PropertyFactory(patch=north)
        for charge_type in rng.sample(types, 2):
            first = date(2024, 4, 1) + timedelta(days=rng.randrange(400))
            last = first + timedelta(days=rng.randrange(30, 300))
            Charge.objects.create(property=home, charge_type=charge_type,
                                  weekly_pence=rng.randrange(0, 15_000), start_date=first,
                                  end_date=last)
            Charge.objects.create(property=home, charge_type=charge_type,
                                  weekly_pence=rng.randrange(1, 15_000),
                                  start_date=last + timedelta(days=rng.randrange(1, 20)))
    for _ in range(25):
        start = date(2024, 3, 1) + timedelta(days=rng.randrange(800))
        until = start + timedelta(days=rng.randrange(0, 400))
        with connection.cursor() as cursor:
            cursor.execute(_ROLL_HOME_BY_HOME, {"start": start, "until": until})
            expected = int(cursor.fetchone()[0])
        assert rentloss.rent_roll(start=start, until=until) == expected, (start, until)
