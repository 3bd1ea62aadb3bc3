"""Annual rent setting: the new weekly rent from the old rent, the formula rent and the year's
policy. Table-driven, no database. Every figure is worked by hand in the comments: the limit
is old x (1 + (CPI + 1%)), rounded once to the penny (halves up); the formula rent rises by
the same factor; the convergence uplift is added to homes below formula rent, never taking
them above it."""

from decimal import Decimal

import pytest

from rents.calculations import new_weekly_rent, rent_factor
from rents.models import RentReviewLine

LIMIT = RentReviewLine.Rule.LIMIT
CONVERGENCE = RentReviewLine.Rule.CONVERGENCE
CAP = RentReviewLine.Rule.FORMULA_CAP
ABOVE = RentReviewLine.Rule.ABOVE_FORMULA

# (CPI %, margin %, convergence pence, outlier pence): the Rent Standard's years.
Y2025 = (Decimal("1.70"), Decimal("1.00"), 0, 500)    # factor 1.027
Y2026 = (Decimal("3.80"), Decimal("1.00"), 0, 500)    # factor 1.048
Y2027 = (Decimal("3.00"), Decimal("1.00"), 100, 500)  # factor 1.04, £1 convergence
Y2028 = (Decimal("3.00"), Decimal("1.00"), 200, 500)  # factor 1.04, £2 convergence
FALL = (Decimal("-2.00"), Decimal("1.00"), 200, 500)  # factor 0.99: CPI fell by 2%


def _apply(policy, old, formula):
    cpi, margin, convergence, outlier = policy
    return new_weekly_rent(old_pence=old, old_formula_pence=formula, cpi_percent=cpi,
                           limit_margin_percent=margin, convergence_pence=convergence,
                           outlier_change_pence=outlier)


# Each chain starts from an old rent and formula rent (pence a week) and applies the years in
# turn, each year starting from the last one's new rent and new formula rent.
# Step: (policy, new rent, new formula rent, rule, (above_limit, falls, large_change)).
CHAINS = {
    "CPI + 1% alone (no formula rent, so no convergence)": (11500, None, [
        (Y2025, 11811, None, LIMIT, (False, False, False)),  # 11500 x 1.027 = 11810.5: half up
        (Y2026, 12378, None, LIMIT, (False, False, True)),   # 11811 x 1.048 = 12377.928; +567
        (Y2027, 12873, None, LIMIT, (False, False, False)),  # 12378 x 1.04 = 12873.12; +495
        (Y2028, 13388, None, LIMIT, (False, False, True)),   # 12873 x 1.04 = 13387.92; +515
        (FALL, 13254, None, LIMIT, (False, True, False)),    # 13388 x 0.99 = 13254.12; -134
    ]),
    "below formula rent: no uplift in 2026/27, then £1 and £2": (9000, 10000, [
        # 9000 x 1.048 = 9432; formula 10000 x 1.048 = 10480; no uplift in 2026/27
        (Y2026, 9432, 10480, LIMIT, (False, False, False)),
        # limit 9432 x 1.04 = 9809.28 -> 9809; formula 10480 x 1.04 = 10899.2 -> 10899;
        # 9809 + 100 = 9909, below 10899: the full £1 uplift, above the limit; +477
        (Y2027, 9909, 10899, CONVERGENCE, (True, False, False)),
        # limit 9909 x 1.04 = 10305.36 -> 10305; formula 10899 x 1.04 = 11334.96 -> 11335;
        # 10305 + 200 = 10505, below 11335; +596 is over £5: large
        (Y2028, 10505, 11335, CONVERGENCE, (True, False, True)),
    ]),
    "capped at formula rent, which itself rises by CPI + 1%": (9900, 10000, [
        # limit 9900 x 1.04 = 10296; formula 10400; 10296 + 100 = 10396 <= 10400
        (Y2027, 10396, 10400, CONVERGENCE, (True, False, False)),
        # limit 10396 x 1.04 = 10811.84 -> 10812; formula 10400 x 1.04 = 10816;
        # 10812 + 200 = 11012 would pass formula rent: capped at 10816 (+420)
        (Y2028, 10816, 10816, CAP, (True, False, False)),
        # at formula rent: limit 10816 x 1.04 = 11248.64 -> 11249 = new formula 11249, so the
        # rent keeps pace with formula rent and no uplift is added (+433)
        (Y2028, 11249, 11249, ABOVE, (False, False, False)),
    ]),
    "already above formula rent: CPI + 1%, never cut to formula": (12000, 11000, [
        # limit 12000 x 1.04 = 12480; formula 11000 x 1.04 = 11440; +480
        (Y2027, 12480, 11440, ABOVE, (False, False, False)),
        # limit 12480 x 1.04 = 12979.2 -> 12979; formula 11440 x 1.04 = 11897.6 -> 11898; +499
        (Y2028, 12979, 11898, ABOVE, (False, False, False)),
    ]),
    "a fall in CPI, home above formula rent": (11000, 10500, [
        # limit 11000 x 0.99 = 10890; formula 10500 x 0.99 = 10395: the rent falls by 110
        (FALL, 10890, 10395, ABOVE, (False, True, False)),
    ]),
    "a fall in CPI, home below formula rent: the uplift still applies": (11000, 12000, [
        # limit 11000 x 0.99 = 10890; formula 12000 x 0.99 = 11880; 10890 + 200 = 11090:
        # the same rule, so this home rises by 90p while the limit falls (flagged above limit)
        (FALL, 11090, 11880, CONVERGENCE, (True, False, False)),
    ]),
}


@pytest.mark.parametrize("name", CHAINS)
def test_rent_setting_over_several_years(name):
    old, formula, steps = CHAINS[name]
    for year, (policy, new, new_formula, rule, flags) in enumerate(steps, start=1):
        result = _apply(policy, old, formula)
        got = (result.new_pence, result.new_formula_pence, result.rule,
               (result.above_limit, result.falls, result.large_change))
        assert got == (new, new_formula, rule, flags), f"{name}, year {year}"
        assert result.flagged == any(flags)
        old, formula = result.new_pence, result.new_formula_pence


@pytest.mark.parametrize(("policy", "old", "formula", "new", "new_formula", "rule", "limit"), [
    # limit + uplift exactly reaches formula rent: the full uplift (10400 + 100 = 10500, and
    # 10096 x 1.04 = 10499.84 -> 10500)
    (Y2027, 10000, 10096, 10500, 10500, CONVERGENCE, 10400),
    # formula a penny above limit + uplift (10097 x 1.04 = 10500.88 -> 10501): the full
    # uplift, 10500
    (Y2027, 10000, 10097, 10500, 10501, CONVERGENCE, 10400),
    # formula only 50p above the limit: the uplift is cut to 50p (10048 x 1.04 = 10449.92)
    (Y2027, 10000, 10048, 10450, 10450, CAP, 10400),
    # limit exactly at formula rent: nothing added (10000 x 1.04 = 10400 both)
    (Y2027, 10000, 10000, 10400, 10400, ABOVE, 10400),
    # below formula but no uplift in the year (2026/27): the limit
    (Y2026, 10000, 20000, 10480, 20960, LIMIT, 10480),
])
def test_the_convergence_uplift_and_the_cap(policy, old, formula, new, new_formula, rule,
                                            limit):
    result = _apply(policy, old, formula)
    assert (result.new_pence, result.new_formula_pence, result.rule, result.limit_pence) == (
        new, new_formula, rule, limit)


@pytest.mark.parametrize(("old", "large"), [
    (12500, False),  # 12500 x 1.04 = 13000: a change of exactly £5.00 is not over £5
    (12525, True),   # 12525 x 1.04 = 13026: +501
    (6000, False),   # +240
])
def test_a_change_over_the_threshold_is_flagged(old, large):
    assert _apply(Y2027, old, None).large_change is large


@pytest.mark.parametrize(("old", "factor_policy", "new"), [
    (11500, Y2025, 11811),  # 11810.5: half up (half-to-even would give 11810)
    (10500, Y2025, 10784),  # 10783.5: half up
    (10001, Y2025, 10271),  # 10271.027: down
    (10003, Y2026, 10483),  # 10483.144: down
    (10005, Y2026, 10485),  # 10485.24: down
    (10010, Y2026, 10490),  # 10490.48: down
    (10011, Y2026, 10492),  # 10491.528: up
])
def test_the_limit_is_rounded_once_to_the_penny_halves_up(old, factor_policy, new):
    assert _apply(factor_policy, old, None).new_pence == new


def test_the_factor_is_exact_decimal():
    assert rent_factor(cpi_percent=Decimal("3.80"), limit_margin_percent=Decimal("1.00")) == \
        Decimal("1.048")
    assert rent_factor(cpi_percent=Decimal("-2.00"), limit_margin_percent=Decimal("1")) == \
        Decimal("0.99")
