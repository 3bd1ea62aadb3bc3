"""The letters reconciliation: for every arrears case, the letters due against the letters
produced, so a stalled stage shows up and cannot be missed. (Barking and Dagenham wrote off
£1.1m after its system silently sent no arrears letters for six months.)

It is shown on the case page (case_panel) and as a rent report run in the background
("letters_reconciliation", rents.reports), both from the one statement below, so the page and
the report can never disagree.

Definitions. A letter stage is an arrears stage with a letter template that is not a reminder
(only those make a letter when accepted: rents.casework; a reminder's template is the text or
email it sends, rents.reminders).

- Letters due on an account: each letter-stage recommendation that was accepted or is still
  open, and each case diary row (kind "letter" or "action") recording a letter stage as taken
  with no such recommendation behind it (a row written some other way still said the letter
  went).
- Letters produced: the tenancies.Letter rows of kind ARREARS for them: the letter keyed
  "recommendation-<pk>" on the account's tenancy (rents.casework.letter_key), or for a diary
  row without a recommendation the letter it links.
- Missing: accepted (the stage is recorded as taken) but no letter was produced. The worst
  case: the arrears run counts the stage as done and moves on, yet nothing was sent.
- Overdue: a letter recommendation still open more than the policy's
  `letter_stalled_after_days` days (the policy in force today; 7 when there is none) after it
  was recommended. Days waiting = today - the local date of `created_at` (the arrears run keeps
  that date while it recommends the same stage). Exactly at the limit is not overdue: with 7
  days, one recommended on 2 December is on time on 9 December and overdue on the 10th.
- Not linked: accepted and its letter produced, but no case diary row of the recommendation
  links the letter, so an officer reading the diary would not see it was sent.

Days waiting: since the stage was accepted (the date of its diary row, else of the decision)
for missing and unlinked letters; since it was recommended for overdue ones.

One statement for any number of accounts (the report over 100,000 accounts puts its rows in a
temporary table, then reads the counts and the detail from it): never a query per account.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import connection

from housing.models import User
from rents.arrears import policy_in_force
from rents.casework import VIEW_PERM
from rents.models import ArrearsPolicy, RentAccount
from rents.reports import _IN_SCOPE, SHOWN_ROWS, Result, Scope, _long, _temporary

MISSING, OVERDUE, UNLINKED = "missing", "overdue", "unlinked"
PROBLEMS = {  # worst first: the order of the case page and the report
    MISSING: "Accepted, but no letter was produced",
    OVERDUE: "Waiting longer than the policy allows",
    UNLINKED: "Produced, but the case diary does not link the letter",
}
_ORDER = "CASE problem WHEN 'missing' THEN 1 WHEN 'overdue' THEN 2 ELSE 3 END"

# Every letter due, with what it is missing. {recommendations}, {events} and {accounts} are
# fixed conditions (one account, or "true" and the report's scope) on rents_recommendation r,
# rents_caseevent e and the rent account a; the values are parameters.
_LETTERS_SQL = """
WITH letter_stage AS (
    SELECT id FROM rents_arrearsstage
    WHERE letter_template_id IS NOT NULL
      AND action NOT IN ('reminder_text', 'reminder_email')  -- their template is a message
), diary AS (
    -- Each recommendation's diary row recording it as taken, and the letters it links.
    SELECT e.recommendation_id, min(e.happened_on) AS taken_on,
           array_agg(e.letter_id) FILTER (WHERE e.letter_id IS NOT NULL) AS letters
    FROM rents_caseevent e
    WHERE e.kind IN ('letter', 'action') AND e.recommendation_id IS NOT NULL AND {events}
    GROUP BY e.recommendation_id
), item AS (
    SELECT r.account_id, r.stage_id, r.status = 'open' AS waiting,
           (r.created_at AT TIME ZONE %(tz)s)::date AS recommended_on,
           CASE WHEN r.status = 'accepted'
                THEN COALESCE(d.taken_on, (r.decided_at AT TIME ZONE %(tz)s)::date) END
               AS accepted_on,
           l.id AS letter_id, COALESCE(l.id = ANY(d.letters), false) AS linked
    FROM rents_recommendation r
    JOIN letter_stage s ON s.id = r.stage_id
    JOIN rents_rentaccount ra ON ra.id = r.account_id
    -- The unique index on (tenancy, kind, key) finds each letter.
    LEFT JOIN tenancies_letter l
      ON l.tenancy_id = ra.tenancy_id AND l.kind = 'arrears'
     AND l.key = 'recommendation-' || r.id
    LEFT JOIN diary d ON d.recommendation_id = r.id
    WHERE r.status IN ('open', 'accepted') AND {recommendations}
    UNION ALL
    -- A letter stage recorded as taken with no accepted or open recommendation behind it.
    SELECT e.account_id, e.stage_id, false, NULL, e.happened_on, e.letter_id,
           e.letter_id IS NOT NULL
    FROM rents_caseevent e
    JOIN letter_stage s ON s.id = e.stage_id
    WHERE e.kind IN ('letter', 'action') AND {events}
      AND NOT EXISTS (SELECT 1 FROM rents_recommendation r
                      JOIN letter_stage rs ON rs.id = r.stage_id
                      WHERE r.id = e.recommendation_id AND r.status IN ('open', 'accepted'))
)
SELECT i.account_id, a.payment_reference, t.reference AS tenancy, p.address_line_1 AS address,
       p.postcode, pa.name AS patch, st.name AS stage, i.recommended_on, i.accepted_on,
       i.letter_id IS NOT NULL AS produced, i.waiting,
       CASE WHEN i.waiting
            THEN CASE WHEN %(today)s::date - i.recommended_on > %(days)s THEN 'overdue' END
            WHEN i.letter_id IS NULL THEN 'missing'
            WHEN NOT i.linked THEN 'unlinked' END AS problem,
       %(today)s::date - COALESCE(i.accepted_on, i.recommended_on) AS days
FROM item i
JOIN rents_rentaccount a ON a.id = i.account_id
JOIN rents_arrearsstage st ON st.id = i.stage_id
LEFT JOIN tenancies_tenancy t ON t.id = a.tenancy_id
LEFT JOIN housing_property p ON p.id = t.property_id
LEFT JOIN housing_patch pa ON pa.id = p.patch_id
WHERE {accounts}
"""

_COLUMNS = ("account_id", "payment_reference", "tenancy", "address", "postcode", "patch",
            "stage", "recommended_on", "accepted_on", "produced", "waiting", "problem", "days")


def stalled_after_days(today: date) -> int:
    """The days a letter recommendation may wait: the policy in force today says."""
    policy = policy_in_force(today)
    if policy is None:
        return ArrearsPolicy._meta.get_field("letter_stalled_after_days").default
    return policy.letter_stalled_after_days


def _sql(*, recommendations: str, events: str, accounts: str) -> str:
    return _LETTERS_SQL.format(recommendations=recommendations, events=events,
                               accounts=accounts)


def _params(*, today: date, days: int) -> dict:
    return {"today": today, "days": days, "tz": settings.TIME_ZONE}


# --- The case page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LetterDue:
    stage: str
    recommended_on: date | None  # None for a diary row without a recommendation
    accepted_on: date | None  # None while the recommendation is open
    produced: bool
    waiting: bool
    problem: str | None
    days: int  # since accepted (recommended, while open)


def letters_due(account_id: int, *, today: date, days: int) -> list[LetterDue]:
    """The letters due on one account (one query), worst problem first, then oldest."""
    with connection.cursor() as cursor:
        cursor.execute(
            _sql(recommendations="r.account_id = %(account)s",
                 events="e.account_id = %(account)s", accounts="a.id = %(account)s"),
            {**_params(today=today, days=days), "account": account_id})
        rows = [dict(zip(_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    letters = [LetterDue(stage=row["stage"], recommended_on=row["recommended_on"],
                         accepted_on=row["accepted_on"], produced=row["produced"],
                         waiting=row["waiting"], problem=row["problem"], days=row["days"])
               for row in rows]
    rank = list(PROBLEMS)
    return sorted(letters, key=lambda letter: (
        rank.index(letter.problem) if letter.problem else len(rank), -letter.days))


def case_panel(account: RentAccount, *, user: User, today: date) -> dict:
    """What the case page's reconciliation shows (templates/rents/arrears/_reconciliation.html):
    the letters due, produced and waiting, and each missing, overdue or unlinked one with its
    stage and dates. Empty for those who may not see recommendations."""
    if not user.has_perm(VIEW_PERM):
        return {}
    days = stalled_after_days(today)
    letters = letters_due(account.pk, today=today, days=days)
    return {
        "shown": True,
        "due": len(letters),
        "produced": sum(1 for letter in letters if letter.produced),
        "waiting": sum(1 for letter in letters if letter.waiting),
        "problems": [letter for letter in letters if letter.problem],
        "stalled_after_days": days,
    }


# --- The report -------------------------------------------------------------------------------


def _count(number: int, one: str, many: str) -> str:
    return f"{number:,} {one if number == 1 else many}"


def report(*, today: date, scope: Scope) -> Result:
    """The letters reconciliation report on `today` over the scope's rent accounts: counts by
    patch, and every missing, overdue or unlinked letter (the CSV has them all)."""
    days = stalled_after_days(today)
    params = {**_params(today=today, days=days), **scope.params()}
    with _temporary(connection.cursor(), "report_letters") as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE report_letters ON COMMIT DROP AS "
            + _sql(recommendations="true", events="true", accounts=_IN_SCOPE), params)
        cursor.execute("""
            SELECT patch, GROUPING(patch), count(*), count(*) FILTER (WHERE produced),
                   count(*) FILTER (WHERE waiting),
                   count(*) FILTER (WHERE problem = 'missing'),
                   count(*) FILTER (WHERE problem = 'overdue'),
                   count(*) FILTER (WHERE problem = 'unlinked'),
                   count(DISTINCT account_id) FILTER (WHERE problem IS NOT NULL)
            FROM report_letters GROUP BY ROLLUP (patch) ORDER BY GROUPING(patch), patch
        """)
        summary = cursor.fetchall()
        cursor.execute(f"""
            SELECT {", ".join(_COLUMNS)} FROM report_letters WHERE problem IS NOT NULL
            ORDER BY {_ORDER}, days DESC, patch, tenancy, payment_reference
        """)  # noqa: S608 - fixed text only
        detail = [dict(zip(_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    names = ("due", "produced", "waiting", MISSING, OVERDUE, UNLINKED, "accounts")
    lines = [{"patch": "All patches" if total else (patch or "No patch"),
              **dict(zip(names, counts, strict=True))}
             for patch, total, *counts in summary]
    total = lines.pop() if lines else {"patch": "All patches", **dict.fromkeys(names, 0)}
    shown = [{"account_id": row["account_id"],
              "reference": row["tenancy"] or row["payment_reference"],
              "address": ", ".join(part for part in (row["address"], row["postcode"]) if part),
              "patch": row["patch"] or "", "stage": row["stage"],
              "recommended_label": _long(row["recommended_on"]) if row["recommended_on"]
              else "", "accepted_label": _long(row["accepted_on"]) if row["accepted_on"]
              else "", "days": row["days"], "problem": row["problem"],
              "problem_label": PROBLEMS[row["problem"]]} for row in detail[:SHOWN_ROWS]]
    words = [_count(total["due"], "letter due", "letters due"),
             f"{total['produced']:,} produced", f"{total[MISSING]:,} missing",
             f"{total[OVERDUE]:,} overdue"]
    if total[UNLINKED]:
        words.append(f"{total[UNLINKED]:,} not linked from the case diary")
    return Result(
        data={"today": today.isoformat(), "today_label": _long(today),
              "stalled_after_days": days, "patches": lines, "total": total, "problems": shown,
              "problem_count": len(detail)},
        header=["Account reference", "Tenancy reference", "Address", "Postcode", "Patch",
                "Stage", "Recommended on", "Accepted on", "Days waiting", "Problem"],
        rows=[[row["payment_reference"], row["tenancy"] or "", row["address"] or "",
               row["postcode"] or "", row["patch"] or "", row["stage"],
               row["recommended_on"].isoformat() if row["recommended_on"] else "",
               row["accepted_on"].isoformat() if row["accepted_on"] else "", row["days"],
               PROBLEMS[row["problem"]]] for row in detail],
        summary=f"Letters on {_long(today)}: {', '.join(words)}.")
