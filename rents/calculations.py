"""Pure rent arithmetic: rent weeks and pro-rata charges. No ORM, no clock.

Rounding: amounts are integer pence; a part-week charge is weekly_pence x days / 7, rounded
once to the nearest penny, halves up (housing.money.round_pence). A full week is the weekly
charge exactly.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

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
#
# Two weekly figures, which differ when a year has rent-free weeks:
#
# - the weekly RENT, on the 52-week basis: what the Rent Standard's limit (CPI + 1%), the
#   convergence uplift and formula rent are about. A year's rent is this x its rent weeks (52,
#   or 53: in a 53-week year tenants pay 53 weeks' rent);
# - the weekly CHARGE: what is debited in each charged (not rent-free) week, i.e. that year's
#   rent spread over its charged weeks: charge = rent x weeks / charged weeks.
#
# A home's net rent Charge is the charge. 52 weeks with 2 rent-free: a £100.00 rent is a
# £104.00 charge (£5,200 a year over 50 weeks). Applying CPI + 1% to the charge, or comparing
# the charge with formula rent, goes wrong as soon as a year has rent-free weeks or the
# number of weeks changes (Crawley's 48/52-week conversion overcharged for years).


@dataclass(frozen=True)
class NewRent:
    """One home's rent for the coming year, and why. `new_pence` is the new weekly CHARGE;
    every other figure is a weekly rent on the 52-week basis."""

    new_pence: int  # the new charge in each charged week of the new year
    new_formula_pence: int | None  # stored as the year's formula rent
    limit_pence: int  # the old rent raised by CPI + the margin: the most the limit allows
    old_weekly_52_pence: int  # the old charge as a weekly rent over 52 weeks (for display)
    new_weekly_52_pence: int  # the new weekly rent over 52 weeks (for display)
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


def _check_weeks(weeks: int, charged_weeks: int, which: str) -> None:
    if weeks < 1 or not 1 <= charged_weeks <= weeks:
        raise ValueError(f"The {which} year's rent weeks make no sense: {charged_weeks} charged "
                         f"of {weeks}.")


def _pence(amount: Fraction) -> int:
    """An exact amount of pence, rounded once to the penny, halves up: the one division (a
    Decimal quotient of two whole numbers is exact whenever it ends in .5, so a half is never
    mistaken for a little less) and housing.money.round_pence."""
    return round_pence(Decimal(amount.numerator) / Decimal(amount.denominator))


def weekly_rent_52(*, charge_pence: int, weeks: int, charged_weeks: int) -> int:
    """A weekly charge as a weekly rent on the 52-week basis, to the penny (for display):
    charge x charged weeks / weeks. 52 weeks with 2 rent-free: £104.00 is £100.00."""
    _check_weeks(weeks, charged_weeks, "rent")
    return _pence(Fraction(charge_pence * charged_weeks, weeks))


def new_weekly_rent(*, old_pence: int, old_formula_pence: int | None, cpi_percent: Decimal,
                    limit_margin_percent: Decimal, convergence_pence: int,
                    outlier_change_pence: int, old_weeks: int, old_charged_weeks: int,
                    new_weeks: int, new_charged_weeks: int) -> NewRent:
    """A home's new weekly net rent charge under the Rent Standard, from its old charge.

    `old_pence` is the charge in each charged week of the old year, which has `old_weeks`
    rent weeks (52 or 53) of which `old_charged_weeks` are not rent-free; the new year's are
    `new_weeks` and `new_charged_weeks`. Formula rents are weekly rents on the 52-week basis.

    - old rent = old charge x old charged weeks / old weeks (the 52-week basis);
    - limit rent = old rent x (1 + (CPI + margin) / 100);
    - new formula rent = old formula rent x the same factor (formula rents rise by CPI + 1%
      too), rounded once to the penny: it is stored as the year's formula rent;
    - a home whose limit rent is below its new formula rent gets the convergence uplift
      (£1 a week from April 2027, £2 from April 2028) on top, but never goes above its new
      formula rent (rule FORMULA_CAP when the cap bites);
    - a home at or above its formula rent gets the limit rent (ABOVE_FORMULA);
    - a home with no formula rent gets the limit rent (LIMIT: no convergence);
    - when CPI is negative enough the factor is below 1 and rents fall by the same rule;
    - new charge = new rent x new weeks / new charged weeks.

    The limit and formula rent are compared to the penny (the limit rounded, halves up), as
    both are quoted in pence; the flags compare the old and new 52-week rents as shown, to
    the penny.

    Rounding: everything is worked out exactly (the factor has at most four decimal places;
    the conversions are fractions such as 50/52, which no decimal holds exactly, so they are
    kept as fractions) and the new charge is rounded ONCE, at the end, to the whole penny,
    halves up (housing.money.round_pence: £107.835 is £107.84). The convergence uplift and
    the cap are whole pence on the 52-week basis. Each year starts from the last year's
    rounded charge, so the rounding happens once a year. When the two years have the same
    weeks and charged weeks, the conversions cancel exactly and the charge under the limit
    is the old charge x the factor, rounded once, as it always was.
    """
    from rents.models import RentReviewLine  # the rule's values; no queries

    _check_weeks(old_weeks, old_charged_weeks, "old")
    _check_weeks(new_weeks, new_charged_weeks, "new")
    Rule = RentReviewLine.Rule
    factor = rent_factor(cpi_percent=cpi_percent, limit_margin_percent=limit_margin_percent)
    old_rent = Fraction(old_pence * old_charged_weeks, old_weeks)
    limit = old_rent * Fraction(factor)
    limit_pence = _pence(limit)
    new_formula = None
    if old_formula_pence is None:
        new, rule = limit, Rule.LIMIT
    else:
        new_formula = round_pence(Decimal(old_formula_pence) * factor)
        if limit_pence >= new_formula:
            new, rule = limit, Rule.ABOVE_FORMULA
        elif convergence_pence <= 0:
            new, rule = limit, Rule.LIMIT
        elif limit_pence + convergence_pence > new_formula:
            new, rule = Fraction(new_formula), Rule.FORMULA_CAP
        else:
            # Never above formula rent, even by the part of a penny the limit was rounded by.
            new, rule = min(limit + convergence_pence, Fraction(new_formula)), Rule.CONVERGENCE
    old_52, new_52 = _pence(old_rent), _pence(new)
    return NewRent(
        new_pence=_pence(new * new_weeks / new_charged_weeks), new_formula_pence=new_formula,
        limit_pence=limit_pence, old_weekly_52_pence=old_52, new_weekly_52_pence=new_52,
        rule=rule, above_limit=new_52 > limit_pence, falls=new_52 < old_52,
        large_change=abs(new_52 - old_52) > outlier_change_pence)
