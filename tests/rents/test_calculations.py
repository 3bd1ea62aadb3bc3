"""Rent weeks and pro-rata charges: table-driven, no database."""

from datetime import date
from decimal import Decimal

import pytest

from housing.money import MoneyError, pounds_to_pence, round_pence
from rents.calculations import days_charged, rent_week_mondays, rent_year_label, week_charge_pence


@pytest.mark.parametrize(("start_year", "weeks"), [
    (2024, 53), (2025, 52), (2026, 52), (2027, 52), (2028, 52), (2029, 52), (2030, 53),
    (2031, 52), (2035, 53),
])
def test_rent_years_have_52_or_53_mondays(start_year, weeks):
    mondays = rent_week_mondays(start_year)
    assert len(mondays) == weeks
    assert all(day.weekday() == 0 for day in mondays)
    assert date(start_year, 4, 1) <= mondays[0] <= date(start_year, 4, 7)
    assert mondays[-1] <= date(start_year + 1, 3, 31)


def test_rent_year_label():
    assert rent_year_label(2026) == "2026/27"
    assert rent_year_label(2099) == "2099/00"


@pytest.mark.parametrize(("tenancy_start", "tenancy_end", "days"), [
    (date(2026, 1, 1), None, 7),                 # live all week
    (date(2026, 11, 30), None, 7),               # starts on the Monday
    (date(2026, 12, 3), None, 4),                # starts Thursday: Thu-Sun
    (date(2026, 12, 6), None, 1),                # starts Sunday
    (date(2026, 12, 7), None, 0),                # starts the next week
    (date(2020, 1, 1), date(2026, 11, 30), 1),   # ends on the Monday
    (date(2020, 1, 1), date(2026, 12, 2), 3),    # ends Wednesday
    (date(2020, 1, 1), date(2026, 11, 29), 0),   # ended the week before
    (date(2026, 12, 2), date(2026, 12, 4), 3),   # starts and ends within the week
])
def test_days_charged_in_the_week_of_monday_30_november_2026(tenancy_start, tenancy_end, days):
    assert days_charged(week_start=date(2026, 11, 30), tenancy_start=tenancy_start,
                        tenancy_end=tenancy_end) == days


@pytest.mark.parametrize(("weekly", "days", "pence"), [
    (10000, 7, 10000),
    (10000, 0, 0),
    (10000, 1, 1429),   # 1428.57 rounds up
    (10000, 3, 4286),   # 4285.71
    (9450, 4, 5400),    # exactly 5400
    (7, 1, 1),          # 1.0
    (3, 1, 0),          # 0.43 rounds down
    (35, 5, 25),        # 25.0
    (1, 4, 1),          # 0.571 rounds up
    (21, 1, 3),         # exactly 3
])
def test_part_week_charges_are_pro_rata_by_day_rounded_once(weekly, days, pence):
    assert week_charge_pence(weekly_pence=weekly, days=days) == pence


@pytest.mark.parametrize(("value", "pence"), [
    (Decimal("0.5"), 1), (Decimal("1.5"), 2), (Decimal("2.4999"), 2), (Decimal("-0.5"), -1),
])
def test_round_pence_rounds_halves_up(value, pence):
    assert round_pence(value) == pence


@pytest.mark.parametrize(("typed", "pence"), [
    ("12.50", 1250), ("£1,234.56", 123456), ("7", 700), (" 0.01 ", 1), ("2.7", 270),
])
def test_pounds_to_pence(typed, pence):
    assert pounds_to_pence(typed) == pence


@pytest.mark.parametrize("typed", ["12.345", "abc", "", "1e3x", "NaN"])
def test_amounts_with_more_than_two_decimals_or_not_numbers_are_refused(typed):
    with pytest.raises(MoneyError):
        pounds_to_pence(typed)
