"""The voids a seeded council's tenancy history implies, written in sets (housing.seed calls
`backfill` after it has copied the tenancies): what voids.services.open_void and close_void
would have written had each ending and letting gone through them.

Each tenancy that ended other than by Right to Buy leaves its home void from the next day
until the home's next tenancy starts (or still void today). Past voids are let; a void open
today is at a stage that fits its age. A void counts as major works when it stood empty more
than eight weeks (or, while open, for one in five homes). Past lettings get no CORE log: that
is written by a sign-up through the system.
"""

from __future__ import annotations

from datetime import date, datetime

_VOIDS_SQL = """
WITH ended AS (
  SELECT t.id, t.property_id, t.end_date, t.end_reason,
         lead(t.start_date) OVER w AS next_start, lead(t.id) OVER w AS next_id
  FROM tenancies_tenancy t
  WINDOW w AS (PARTITION BY t.property_id ORDER BY t.start_date)
), shaped AS (
  SELECT e.*, %(today)s::date - e.end_date AS age,
         CASE WHEN e.next_start IS NOT NULL THEN
                CASE WHEN e.next_start - e.end_date > 56 THEN 'major' ELSE 'standard' END
              WHEN %(today)s::date - e.end_date <= 7 THEN ''
              WHEN e.id %% 5 = 0 THEN 'major' ELSE 'standard' END AS void_type
  FROM ended e
  WHERE e.end_date IS NOT NULL AND e.end_reason <> 'right_to_buy'
    AND NOT EXISTS (SELECT 1 FROM voids_voidperiod v WHERE v.previous_tenancy_id = e.id)
)
INSERT INTO voids_voidperiod (reference, property_id, previous_tenancy_id, new_tenancy_id,
                              vacancy_reason, start_date, keys_in_date, void_type, stage,
                              inspected_on, ready_on, let_date, opened_at)
SELECT 'V' || lpad(nextval('voids_void_ref')::text, 6, '0'), s.property_id, s.id, s.next_id,
       s.end_reason, s.end_date + 1, s.end_date, s.void_type, st.stage,
       CASE WHEN st.stage <> 'keys_in' THEN st.inspected END,
       CASE WHEN st.stage IN ('ready', 'let')
            THEN GREATEST(st.inspected, COALESCE(s.next_start, %(today)s::date) - 7) END,
       s.next_start, %(at)s
FROM shaped s
CROSS JOIN LATERAL (
  SELECT CASE WHEN s.next_start IS NOT NULL THEN 'let'
              WHEN s.age <= 7 THEN 'keys_in'
              WHEN s.age <= 14 THEN 'inspection'
              WHEN s.age <= 42 THEN 'works'
              ELSE 'ready' END AS stage,  -- an offer needs an applicant: none is seeded
         -- inspected within five days of the keys, and never after the new tenancy began
         LEAST(s.end_date + LEAST(5, s.age), COALESCE(s.next_start, s.end_date + 5))
           AS inspected
) st
ORDER BY s.end_date, s.id
"""

_STAGES_SQL = """
INSERT INTO voids_stagechange (void_id, stage, "on", summary, note, by_id, at)
SELECT v.id, 'keys_in', v.keys_in_date, 'Tenancy ' || t.reference || ' ended: keys in', '',
       NULL::bigint, %(at)s
FROM voids_voidperiod v JOIN tenancies_tenancy t ON t.id = v.previous_tenancy_id
WHERE v.opened_at = %(at)s
UNION ALL
SELECT v.id, v.stage, COALESCE(v.let_date, v.ready_on, v.inspected_on),
       CASE v.stage WHEN 'let' THEN 'Let: tenancy ' || n.reference || ' starts'
                    ELSE 'Moved to ' || v.stage END, '', NULL::bigint, %(at)s
FROM voids_voidperiod v LEFT JOIN tenancies_tenancy n ON n.id = v.new_tenancy_id
WHERE v.opened_at = %(at)s AND v.stage <> 'keys_in'
"""

_CHANGES_SQL = """
INSERT INTO voids_occupancychange (property_id, void_id, event, date, recorded_at)
SELECT v.property_id, v.id, 'void', v.start_date, %(at)s FROM voids_voidperiod v
WHERE v.opened_at = %(at)s
UNION ALL
SELECT v.property_id, v.id, 'let', v.let_date, %(at)s FROM voids_voidperiod v
WHERE v.opened_at = %(at)s AND v.let_date IS NOT NULL
ON CONFLICT (property_id, event, date) DO NOTHING
"""


def backfill(cursor, *, today: date, at: datetime) -> int:
    """Write the voids of every ended tenancy that has none yet; returns how many."""
    cursor.execute(_VOIDS_SQL, {"today": today, "at": at})
    written = cursor.rowcount
    cursor.execute(_STAGES_SQL, {"at": at})
    cursor.execute(_CHANGES_SQL, {"at": at})
    return written
