"""Annual rent setting: the new weekly rent from the old rent, the formula rent and the year's
policy. Table-driven, no database. Every figure is worked by hand in the comments: the limit
is old x (1 + (CPI + 1%)), rounded once to the penny (halves up); the formula rent rises by
the same factor; the convergence uplift is added to homes below formula rent, never taking
them above it.

The rules apply to the weekly rent on the 52-week basis; a home's charge is what is debited in
each charged (not rent-free) week: charge = rent x weeks / charged weeks. The first tables are
years of 52 weeks with none rent-free, where the two are the same; the later ones convert."""

from decimal import Decimal
from fractions import Fraction

import pytest

from rents.calculations import new_weekly_rent, rent_factor, weekly_rent_52
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


# (rent weeks, charged weeks) of a rent year.
PLAIN = (52, 52)  # 52 weeks, none rent-free: the charge is the weekly rent


def _apply(policy, old, formula, *, before=PLAIN, after=PLAIN):
    cpi, margin, convergence, outlier = policy
    return new_weekly_rent(old_pence=old, old_formula_pence=formula, cpi_percent=cpi,
                           limit_margin_percent=margin, convergence_pence=convergence,
                           outlier_change_pence=outlier, old_weeks=before[0],
                           old_charged_weeks=before[1], new_weeks=after[0],
                           new_charged_weeks=after[1])


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


# --- The 52-week basis ---------------------------------------------------------------------
# (rent weeks, charged weeks) of a rent year, as the rent-setting service passes them.
TWO_FREE = (52, 50)  # 52 weeks, 2 rent-free (Christmas and New Year)
FOUR_FREE = (52, 48)  # 52 weeks, 4 rent-free
Y2030 = (53, 51)  # 2030/31: 53 Mondays, 2 rent-free


@pytest.mark.parametrize("basis", [PLAIN, TWO_FREE, FOUR_FREE, (53, 53), Y2030])
@pytest.mark.parametrize(("policy", "old", "new"), [
    (Y2025, 11500, 11811),  # 11500 x 1.027 = 11810.5: half up, even through 50/52 and back
    (Y2025, 10500, 10784),  # 10783.5: half up
    (Y2026, 10011, 10492),  # 10491.528: up
    (Y2026, 10003, 10483),  # 10483.144: down
    (FALL, 13388, 13254),   # 13388 x 0.99 = 13254.12
])
def test_equal_years_give_the_same_charge_as_ever(basis, policy, old, new):
    # When both years have the same weeks and charged weeks the conversions cancel exactly:
    # old x charged / weeks x factor x weeks / charged = old x factor, rounded once.
    result = _apply(policy, old, None, before=basis, after=basis)
    assert (result.new_pence, result.rule) == (new, LIMIT)


def test_equal_plain_years_give_every_field_as_before():
    # 52 weeks, none rent-free: the 52-week rents are the charges themselves.
    result = _apply(Y2028, 10396, 10400)
    assert (result.new_pence, result.limit_pence, result.old_weekly_52_pence,
            result.new_weekly_52_pence) == (10816, 10812, 10396, 10816)


# A council moves from 2 rent-free weeks to 4 (52 weeks both years: 50 -> 48 charged).
# (policy, old charge, new charge, 52-week rent old -> new, falls). No formula rent: the limit.
FROM_2_TO_4_RENT_FREE = [
    # 10400 over 50 of 52 weeks is a rent of 10400 x 50 / 52 = 10000 a week; x 1.048 = 10480;
    # over 48 weeks: 10480 x 52 / 48 = 11353.33 -> 11353 (= 10400 x 1.048 x 50/48).
    # Applying 1.048 to the charge alone gives 10899, £4.54 a week short of the rent; also
    # scaling that by 52/48 (forgetting the old 50) gives 11807, £4.54 a week too much.
    (Y2026, 10400, 11353, (10000, 10480), False),
    # 10011 x 1.048 x 50/48 = 10491.528 x 50/48 = 10928.675 -> 10929
    # (52-week rent 10011 x 50/52 = 9625.96 -> x 1.048 = 10088.01)
    (Y2026, 10011, 10929, (9626, 10088), False),
    # 11500 x 1.027 x 50/48 = 11810.5 x 50/48 = 12302.60 -> 12303
    (Y2025, 11500, 12303, (11058, 11356), False),
    # CPI fell: 13388 x 0.99 x 50/48 = 13806.375 -> 13806. The charge rises by £4.18 because
    # the same year's rent is collected in fewer weeks, but the rent (12873.08 -> 12744.35 a
    # week over 52 weeks) falls, and is flagged as a fall.
    (FALL, 13388, 13806, (12873, 12744), True),
]


@pytest.mark.parametrize(("policy", "old", "new", "weekly_52", "falls"), FROM_2_TO_4_RENT_FREE)
def test_more_rent_free_weeks_raise_the_charge_by_the_factor_x_50_over_48_and_no_more(
        policy, old, new, weekly_52, falls):
    result = _apply(policy, old, None, before=TWO_FREE, after=FOUR_FREE)
    assert (result.new_pence, (result.old_weekly_52_pence, result.new_weekly_52_pence),
            result.falls) == (new, weekly_52, falls)
    # What the year collects (the charge x 48) is last year's (old x 50) x the factor, to
    # within the half penny a week the rounding can move it.
    factor = Fraction(rent_factor(cpi_percent=policy[0], limit_margin_percent=policy[1]))
    assert abs(new * 48 - old * 50 * factor) <= Fraction(48, 2)


# 2029/30 has 52 weeks, 2030/31 has 53 (both with 2 rent-free); 2031/32 has 52 again.
# (policy, old charge, formula, before, after, new charge, 52-week rent new, rule)
ACROSS_A_53_WEEK_YEAR = [
    # 10400 over 50 of 52 weeks: a rent of 10000; x 1.04 = 10400; over 51 of 53 weeks:
    # 10400 x 53 / 51 = 10807.84 -> 10808. The year's rent is 53 weeks of 10400 = 551,200p,
    # collected as 51 x 10808 = 551,208p.
    (Y2028, 10400, None, TWO_FREE, Y2030, 10808, 10400, LIMIT),
    # Below formula: limit 10400, formula 10500 x 1.04 = 10920; 10400 + 200 = 10600 below it:
    # 10600 x 53/51 = 11015.69 -> 11016
    (Y2028, 10400, 10500, TWO_FREE, Y2030, 11016, 10600, CONVERGENCE),
    # Capped: formula 10100 x 1.04 = 10504 < 10400 + 200: the rent is 10504 and the charge
    # 10504 x 53/51 = 10915.92 -> 10916
    (Y2028, 10400, 10100, TWO_FREE, Y2030, 10916, 10504, CAP),
    # And back to 52 weeks in 2031/32: 10808 over 51 of 53 weeks is 10808 x 51/53 =
    # 10400.0075 a week; x 1.04 = 10816.0078; over 50 of 52: x 52/50 = 11248.85 -> 11249.
    # The 53rd week does not ratchet the rent: 10400 x 1.04 = 10816 over 50 of 52 is 11248.64.
    (Y2028, 10808, None, Y2030, TWO_FREE, 11249, 10816, LIMIT),
]


@pytest.mark.parametrize(("policy", "old", "formula", "before", "after", "new", "new_52",
                          "rule"), ACROSS_A_53_WEEK_YEAR)
def test_a_53_week_year(policy, old, formula, before, after, new, new_52, rule):
    result = _apply(policy, old, formula, before=before, after=after)
    assert (result.new_pence, result.new_weekly_52_pence, result.rule) == (new, new_52, rule)


# The same 2 rent-free weeks in both years: each home's charge is its rent x 52/50, and its
# formula rent (52-week basis) is compared with the rent, not with the charge.
# (policy, old charge, formula, new charge, new formula, 52-week rent new, rule)
FORMULA_RENT_WITH_RENT_FREE_WEEKS = [
    # Charge 10400 = a rent of 10000. Limit 10400; formula 10048 x 1.04 = 10449.92 -> 10450;
    # 10400 + 100 passes it: capped at 10450, a charge of 10450 x 52/50 = 10868 (exactly:
    # 50 x 10868 = 52 x 10450 = 543,400p a year). Comparing the charge with formula rent
    # (10400 x 1.04 = 10816 "above" 10450) would give no uplift at all.
    (Y2027, 10400, 10048, 10868, 10450, 10450, CAP),
    # Charge 10400 = a rent of 10000. Limit 10400; formula 10500 x 1.04 = 10920;
    # 10400 + 200 = 10600 is below it: a charge of 10600 x 52/50 = 11024. On the charge the
    # cap would wrongly bite at 10920 (10816 + 200 > 10920), a rent of only 10500.
    (Y2028, 10400, 10500, 11024, 10920, 10600, CONVERGENCE),
    # Charge 10920 = a rent of 10500, exactly its formula rent: limit 10920 = formula 10920,
    # no uplift; charge 10920 x 52/50 = 11356.8 -> 11357.
    (Y2027, 10920, 10500, 11357, 10920, 10920, ABOVE),
    # Charge 11440 = a rent of 11000, above formula 10000: CPI + 1% only, 11440 x 1.04 =
    # 11897.6 (the factor applies to the charge unchanged as the years are the same).
    (Y2027, 11440, 10000, 11898, 10400, 11440, ABOVE),
]


@pytest.mark.parametrize(("policy", "old", "formula", "new", "new_formula", "new_52", "rule"),
                         FORMULA_RENT_WITH_RENT_FREE_WEEKS)
def test_formula_rent_is_compared_on_the_52_week_basis(policy, old, formula, new, new_formula,
                                                       new_52, rule):
    result = _apply(policy, old, formula, before=TWO_FREE, after=TWO_FREE)
    assert (result.new_pence, result.new_formula_pence, result.new_weekly_52_pence,
            result.rule) == (new, new_formula, new_52, rule)
    if rule in (CAP, CONVERGENCE):
        # Raised towards formula rent, never above it: the charge is at most formula rent x
        # 52/50, rounded to the penny.
        assert new * 50 <= new_formula * 52 + 25


@pytest.mark.parametrize(("charge", "basis", "weekly"), [
    (10400, TWO_FREE, 10000),  # 10400 x 50/52
    (10808, Y2030, 10400),     # 10808 x 51/53 = 10400.0075
    (9432, PLAIN, 9432),
    (10023, TWO_FREE, 9638),   # 10023 x 50/52 = 9637.5: half up
])
def test_a_charge_as_a_weekly_rent_over_52_weeks(charge, basis, weekly):
    assert weekly_rent_52(charge_pence=charge, weeks=basis[0], charged_weeks=basis[1]) == weekly


@pytest.mark.parametrize(("before", "after"), [((52, 0), PLAIN), (PLAIN, (52, 53)),
                                               (PLAIN, (0, 0))])
def test_impossible_rent_weeks_are_refused(before, after):
    with pytest.raises(ValueError, match="rent weeks make no sense"):
        _apply(Y2027, 10000, None, before=before, after=after)
