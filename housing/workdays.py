"""The one working-day calendar every module uses: Monday to Friday, less the bank holidays of
England and Wales (from the `holidays` package, substitute days included: Boxing Day on a
Saturday is observed on the Monday after).

Counting. "Within N working days of" a day means by the end of the Nth working day after it:
the day itself is not counted, whatever it is. So a repair reported on Wednesday 23 December
2026 with a 3 working day target is due on Wednesday 30 December (24, 29 and 30 December
count; 25 December and 28 December, Boxing Day observed, are bank holidays, and 26 and 27
December a weekend). Deadlines are kept as dates
and compared with dates (`due >= done`), never recounted, so a calendar corrected later does not
move a deadline already set.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

SUBDIVISION = "ENG"  # England; Wales has the same bank holidays


@lru_cache(maxsize=64)
def bank_holidays(year: int) -> dict[date, str]:
    """The year's bank holidays in England and Wales: {day: name}."""
    return dict(holidays.country_holidays("GB", subdiv=SUBDIVISION, years=year).items())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(day.year)


def add_working_days(day: date, count: int) -> date:
    """The `count`th working day after `day` (`day` itself never counts); `day` for 0."""
    if count < 0:
        raise ValueError("count must not be negative")
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def next_working_day(day: date) -> date:
    """`day` when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier):
    add_working_days(start, n) == end for a working day `end`."""
    if end < start:
        return -working_days_between(end, start)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
