"""Pure rent arithmetic: rent weeks and pro-rata charges. No ORM, no clock.

Rounding: amounts are integer pence; a part-week charge is weekly_pence x days / 7, rounded
once to the nearest penny, halves up (housing.money.round_pence). A full week is the weekly
charge exactly.
"""

from datetime import date, timedelta
from decimal import Decimal

from housing.money import round_pence

MONDAY = 0


def rent_year_bounds(start_year: int) -> tuple[date, date]:
    """A rent year runs 1 April to 31 March: 2026 gives 1 April 2026 to 31 March 2027."""
    return date(start_year, 4, 1), date(start_year + 1, 3, 31)


def rent_year_label(start_year: int) -> str:
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def rent_week_mondays(start_year: int) -> list[date]:
    """The Mondays of the rent year: rent is debited weekly on Mondays, so a year has 52 or
    53 rent weeks (53 in 2024/25, 2030/31 and 2035/36)."""
    first, last = rent_year_bounds(start_year)
    monday = first + timedelta(days=(MONDAY - first.weekday()) % 7)
    weeks = []
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    return weeks


def days_charged(*, week_start: date, tenancy_start: date, tenancy_end: date | None) -> int:
    """How many of the week's seven days (Monday to Sunday) the tenancy covers."""
    week_end = week_start + timedelta(days=6)
    first = max(week_start, tenancy_start)
    last = min(week_end, tenancy_end) if tenancy_end else week_end
    return max(0, (last - first).days + 1)


def week_charge_pence(*, weekly_pence: int, days: int) -> int:
    """The charge for `days` of a week: the weekly amount for 7 days, pro rata by day
    otherwise, rounded once to the penny (halves up)."""
    if days >= 7:
        return weekly_pence
    if days <= 0:
        return 0
    return round_pence(Decimal(weekly_pence) * days / 7)
