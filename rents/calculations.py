"""Pure rent arithmetic: rent weeks and pro-rata charges. No ORM, no clock.

Rounding: amounts are integer pence; a part-week charge is weekly_pence x days / 7, rounded
once to the nearest penny, halves up (housing.money.round_pence). A full week is the weekly
charge exactly.
"""

from dataclasses import dataclass
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


# --- Annual rent setting --------------------------------------------------------------------



@dataclass(frozen=True)
class NewRent:
    """One home's rent for the coming year, and why."""

    new_pence: int
    new_formula_pence: int | None
    limit_pence: int  # the old rent raised by CPI + the margin: the most the limit allows
    rule: str  # a RentReviewLine.Rule
    above_limit: bool  # the new rent is more than the limit (the convergence uplift)
    falls: bool  # the new rent is less than the old
    large_change: bool  # the rent changes by more than the outlier threshold either way

    @property
    def flagged(self) -> bool:
        return self.above_limit or self.falls or self.large_change


def rent_factor(*, cpi_percent: Decimal, limit_margin_percent: Decimal) -> Decimal:
    """1 + (CPI + margin) / 100, exactly: CPI 3.8% and a 1% margin give 1.048."""
    return 1 + (Decimal(cpi_percent) + Decimal(limit_margin_percent)) / 100


def new_weekly_rent(*, old_pence: int, old_formula_pence: int | None, cpi_percent: Decimal,
                    limit_margin_percent: Decimal, convergence_pence: int,
                    outlier_change_pence: int) -> NewRent:
    """A home's weekly net rent for the coming rent year under the Rent Standard.

    - limit rent = old rent x (1 + (CPI + margin) / 100);
    - new formula rent = old formula rent x the same factor (formula rents rise by CPI + 1%
      too);
    - a home whose limit rent is below its new formula rent gets the convergence uplift
      (£1 a week from April 2027, £2 from April 2028) on top, but never goes above its new
      formula rent (rule FORMULA_CAP when the cap bites);
    - a home at or above its formula rent gets the limit rent (ABOVE_FORMULA);
    - a home with no formula rent gets the limit rent (LIMIT: no convergence);
    - when CPI is negative enough the factor is below 1 and rents fall by the same rule.

    Rounding: the limit rent and the new formula rent are each worked out exactly in Decimal
    (the factor has at most four decimal places) and rounded once to the whole penny, halves
    up (housing.money.round_pence: £107.835 is £107.84). The convergence uplift and the cap
    are whole pence, so nothing else is rounded. Each year starts from the last year's
    rounded rent, so the rounding happens once a year.
    """
    from rents.models import RentReviewLine  # the rule's values; no queries

    Rule = RentReviewLine.Rule
    factor = rent_factor(cpi_percent=cpi_percent, limit_margin_percent=limit_margin_percent)
    limit = round_pence(Decimal(old_pence) * factor)
    new_formula = None
    if old_formula_pence is None:
        new, rule = limit, Rule.LIMIT
    else:
        new_formula = round_pence(Decimal(old_formula_pence) * factor)
        if limit >= new_formula:
            new, rule = limit, Rule.ABOVE_FORMULA
        elif convergence_pence <= 0:
            new, rule = limit, Rule.LIMIT
        elif limit + convergence_pence > new_formula:
            new, rule = new_formula, Rule.FORMULA_CAP
        else:
            new, rule = limit + convergence_pence, Rule.CONVERGENCE
    return NewRent(
        new_pence=new, new_formula_pence=new_formula, limit_pence=limit, rule=rule,
        above_limit=new > limit, falls=new < old_pence,
        large_change=abs(new - old_pence) > outlier_change_pence)
