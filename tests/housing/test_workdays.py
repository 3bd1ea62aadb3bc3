"""The working-day calendar: weekends and England & Wales bank holidays, across Christmas, New
Year and Easter 2026 and 2027."""

from datetime import date

import pytest

from housing.workdays import (
    add_working_days,
    bank_holidays,
    is_working_day,
    next_working_day,
    working_days_between,
)


def test_bank_holidays_of_2026_and_2027():
    assert sorted(bank_holidays(2026)) == [
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
        date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 26),
        date(2026, 12, 28)]  # Boxing Day falls on a Saturday, and is observed on the Monday
    assert date(2027, 12, 27) in bank_holidays(2027) and date(2027, 12, 28) in bank_holidays(2027)


@pytest.mark.parametrize(("day", "working"), [
    (date(2026, 12, 24), True),  # Thursday
    (date(2026, 12, 25), False),  # Christmas Day
    (date(2026, 12, 26), False),  # Saturday (Boxing Day)
    (date(2026, 12, 28), False),  # Boxing Day observed
    (date(2026, 12, 29), True),
    (date(2027, 1, 1), False),  # New Year's Day, a Friday
    (date(2027, 3, 26), False),  # Good Friday 2027
    (date(2027, 3, 29), False),  # Easter Monday 2027
    (date(2027, 12, 27), False),  # Christmas Day observed
    (date(2027, 12, 28), False),  # Boxing Day observed
    (date(2027, 12, 29), True),
])
def test_is_working_day(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(("start", "count", "due"), [
    (date(2026, 11, 30), 0, date(2026, 11, 30)),
    (date(2026, 11, 30), 1, date(2026, 12, 1)),
    (date(2026, 12, 4), 1, date(2026, 12, 7)),  # Friday to Monday
    (date(2026, 12, 23), 3, date(2026, 12, 30)),  # over Christmas: 24, 29 and 30 December
    (date(2026, 12, 24), 1, date(2026, 12, 29)),
    (date(2026, 12, 24), 10, date(2027, 1, 12)),  # over Christmas and New Year
    (date(2026, 12, 25), 1, date(2026, 12, 29)),  # from a bank holiday
    (date(2026, 4, 2), 1, date(2026, 4, 7)),  # over Easter 2026
    (date(2026, 4, 1), 3, date(2026, 4, 8)),
    (date(2027, 3, 25), 1, date(2027, 3, 30)),  # over Easter 2027
    (date(2027, 3, 24), 5, date(2027, 4, 2)),
    (date(2027, 12, 24), 1, date(2027, 12, 29)),  # Christmas 2027: both days observed later
    (date(2027, 12, 23), 20, date(2028, 1, 25)),  # New Year's Day 2028 observed on 3 January
])
def test_add_working_days(start, count, due):
    assert add_working_days(start, count) == due
    if is_working_day(due):
        assert working_days_between(start, due) == count


def test_next_working_day_and_counting_back():
    assert next_working_day(date(2026, 12, 25)) == date(2026, 12, 29)
    assert next_working_day(date(2026, 12, 29)) == date(2026, 12, 29)
    assert working_days_between(date(2026, 12, 31), date(2026, 12, 23)) == -4
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)
