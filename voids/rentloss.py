"""Void rent loss: the rent the rent run would have charged on the days a home stood empty
(rents' charges, rent weeks and rent-free weeks, part weeks pro rata by day and rounded once,
exactly as rents.services._RENT_RUN_SQL charges a tenancy), and the rent roll it is a
percentage of.

A void's days run from its start_date to the day before its let_date (or to `until` while it
is open). A 53-week rent year simply has one more week to lose. A week's charge is the one in
force on its Monday, as in the rent run; days outside any rent week set up lose nothing.

The rent roll of a period is what the same charges come to on every home over the period's
days, let or void: the gross debit, of which void loss is the part not collectable.

`patch_ids` limits either figure to the homes on those patches (an officer who sees only their
own patches); None means every patch.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

_CHARGED_DAYS = """
JOIN rents_rentweek w
  ON NOT w.rent_free AND w.start_date <= s.hi AND w.start_date >= s.lo - 6
JOIN rents_charge c
  ON c.property_id = s.property_id AND c.start_date <= w.start_date
 AND (c.end_date IS NULL OR c.end_date >= w.start_date) AND c.weekly_pence > 0
CROSS JOIN LATERAL (
  SELECT LEAST(w.start_date + 6, s.hi) - GREATEST(w.start_date, s.lo) + 1 AS days
) d
CROSS JOIN LATERAL (
  SELECT CASE WHEN d.days = 7 THEN c.weekly_pence
              ELSE round(c.weekly_pence * d.days / 7.0)::bigint END AS pence
) p
"""

_ON_PATCHES = """(%(patches)s::bigint[] IS NULL OR {column} IN (
    SELECT hp.id FROM housing_property hp WHERE hp.patch_id = ANY(%(patches)s::bigint[])))"""

_LOSS_SQL = f"""
SELECT s.id, COALESCE(sum(p.pence), 0)
FROM (
  SELECT v.id, v.property_id,
         GREATEST(v.start_date, %(start)s::date) AS lo,
         LEAST(COALESCE(v.let_date - 1, %(until)s::date), %(until)s::date) AS hi
  FROM voids_voidperiod v
  WHERE v.start_date <= %(until)s::date
    AND (v.let_date IS NULL OR v.let_date > %(start)s::date)
    AND (%(ids)s::bigint[] IS NULL OR v.id = ANY(%(ids)s::bigint[]))
    AND {_ON_PATCHES.format(column="v.property_id")}
) s
{_CHARGED_DAYS}
WHERE s.lo <= s.hi
GROUP BY s.id
"""  # noqa: S608 (it joins constants, not input)

# Every home over the same days. Charging each home week by week (as _CHARGED_DAYS does for
# a void) joins 100,000 homes' charges to 52 weeks: several seconds. Instead, identical
# charges (same dates and weekly pence) are counted together, each group is reduced to the
# first and last Monday it is in force on within the period's weeks, and groups with the same
# pair are summed: one pass over the charges, then a join of a few groups to the weeks. A part
# week (the period may start or end mid-week) is still pro rata per charge and rounded once;
# those sums are made in the same pass for the first and the last week.
_ROLL_SQL = f"""
WITH weeks AS (
  SELECT w.start_date,
         LEAST(w.start_date + 6, %(until)s::date)
           - GREATEST(w.start_date, %(start)s::date) + 1 AS days
  FROM rents_rentweek w
  WHERE NOT w.rent_free AND w.start_date <= %(until)s::date
    AND w.start_date >= %(start)s::date - 6
),
ends AS (
  SELECT min(start_date) AS first_week, max(start_date) AS last_week,
         (array_agg(days ORDER BY start_date))[1] AS first_days,
         (array_agg(days ORDER BY start_date DESC))[1] AS last_days
  FROM weeks
),
charges AS (
  SELECT c.start_date, c.end_date, c.weekly_pence, count(*) AS homes
  FROM rents_charge c CROSS JOIN ends e
  WHERE c.weekly_pence > 0 AND c.start_date <= e.last_week
    AND (c.end_date IS NULL OR c.end_date >= e.first_week)
    AND {_ON_PATCHES.format(column="c.property_id")}
  GROUP BY 1, 2, 3
),
spans AS (
  SELECT GREATEST(c.start_date + (8 - date_part('isodow', c.start_date)::int) %% 7,
                  e.first_week) AS from_week,
         LEAST(COALESCE(c.end_date - (date_part('isodow', c.end_date)::int - 1), e.last_week),
               e.last_week) AS to_week,
         sum(c.weekly_pence * c.homes) AS full_pence,
         sum(round(c.weekly_pence * e.first_days / 7.0) * c.homes) AS first_pence,
         sum(round(c.weekly_pence * e.last_days / 7.0) * c.homes) AS last_pence
  FROM charges c CROSS JOIN ends e
  GROUP BY 1, 2
)
SELECT COALESCE(sum(CASE WHEN w.days = 7 THEN s.full_pence
                         WHEN w.start_date = e.first_week THEN s.first_pence
                         ELSE s.last_pence END), 0)
FROM spans s CROSS JOIN ends e
JOIN weeks w ON w.start_date BETWEEN s.from_week AND s.to_week
"""  # noqa: S608 (it joins constants, not input)


def _patches(patch_ids) -> list[int] | None:
    return list(patch_ids) if patch_ids is not None else None


def rent_lost(*, start: date, until: date, void_ids: list[int] | None = None,
              patch_ids: list[int] | None = None) -> dict[int, int]:
    """{void id: pence lost between `start` and `until` (both included)}, for the voids given
    (or every void in the period). A void with nothing lost is absent."""
    with connection.cursor() as cursor:
        cursor.execute(_LOSS_SQL, {"start": start, "until": until,
                                   "ids": list(void_ids) if void_ids is not None else None,
                                   "patches": _patches(patch_ids)})
        return {void_id: int(pence) for void_id, pence in cursor.fetchall()}


def rent_lost_so_far(void, *, today: date) -> int:
    """What one void has cost, from its first day to today (or to its last day)."""
    return rent_lost(start=void.start_date, until=today, void_ids=[void.pk]).get(void.pk, 0)


def rent_roll(*, start: date, until: date, patch_ids: list[int] | None = None) -> int:
    """The gross debit of every home's charges over the period, let or void, in pence."""
    with connection.cursor() as cursor:
        cursor.execute(_ROLL_SQL, {"start": start, "until": until,
                                   "patches": _patches(patch_ids)})
        return int(cursor.fetchone()[0])
