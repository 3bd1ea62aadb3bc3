"""Void rent loss: the rent the rent run would have charged on the days a home stood empty
(rents' charges, rent weeks and rent-free weeks, part weeks pro rata by day and rounded once,
exactly as rents.services._RENT_RUN_SQL charges a tenancy), and the rent roll it is a
percentage of.

A void's days run from its start_date to the day before its let_date (or to `until` while it
is open). A 53-week rent year simply has one more week to lose.

The rent roll of a period is what the same charges come to on every home over the period's
days, let or void: the gross debit, of which void loss is the part not collectable.
"""

from __future__ import annotations

from datetime import date

from django.db import connection

_CHARGED_DAYS = """
JOIN rents_rentweek w
  ON NOT w.rent_free AND w.start_date <= s.hi AND w.start_date + 6 >= s.lo
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
) s
{_CHARGED_DAYS}
WHERE s.lo <= s.hi
GROUP BY s.id
"""  # noqa: S608 (it joins a constant, not input)

_ROLL_SQL = f"""
SELECT COALESCE(sum(p.pence), 0)
FROM (SELECT DISTINCT property_id, %(start)s::date AS lo, %(until)s::date AS hi
      FROM rents_charge
      WHERE start_date <= %(until)s::date
        AND (end_date IS NULL OR end_date >= %(start)s::date - 6)) s
{_CHARGED_DAYS}
"""  # noqa: S608 (it joins a constant, not input)


def rent_lost(*, start: date, until: date, void_ids: list[int] | None = None) -> dict[int, int]:
    """{void id: pence lost between `start` and `until` (both included)}, for the voids given
    (or every void in the period). A void with nothing lost is absent."""
    with connection.cursor() as cursor:
        cursor.execute(_LOSS_SQL, {"start": start, "until": until,
                                   "ids": list(void_ids) if void_ids is not None else None})
        return {void_id: int(pence) for void_id, pence in cursor.fetchall()}


def rent_lost_so_far(void, *, today: date) -> int:
    """What one void has cost, from its first day to today (or to its last day)."""
    return rent_lost(start=void.start_date, until=today, void_ids=[void.pk]).get(void.pk, 0)


def rent_roll(*, start: date, until: date) -> int:
    """The gross debit of every home's charges over the period, let or void, in pence."""
    with connection.cursor() as cursor:
        cursor.execute(_ROLL_SQL, {"start": start, "until": until})
        return int(cursor.fetchone()[0])
