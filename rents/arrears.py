"""The arrears run: for every rent account of a live tenancy, the single next recommended
action of the arrears policy in force, with the reason in words and figures; and payment
arrangement breaches. A background job ("arrears_run") runs it after each rent run and on
demand.

How a stage is chosen (the policy in force on `as_of`: the latest `effective_from` on or
before it). An account is looked at when its balance at the end of `as_of` (the sum of its
ledger rows posted on or before it) is owed. It is recommended the highest-order stage whose
conditions all hold:

- the amount owed is in the stage's band: at least `min_owed_pence`, and under
  `max_owed_pence` when that is set;
- it owes at least `min_weeks_owed` weeks' rent: owed >= weeks x weekly rent, compared
  exactly (integers against a Decimal, in SQL numeric), so exactly 4 weeks qualifies and a
  penny under does not. The weekly rent is the sum of the charges in force on the home on
  `as_of`; a home with none qualifies for no stage that asks for weeks;
- the stage it follows (`after_stage`) was taken between `min_days_after` and
  `max_days_after` days ago, both days included (Letter 2 at 14 and at 91 days after Letter
  1; not at 13 or 92);
- the stage itself was not taken in the last `not_repeated_within_days` days: one taken
  exactly that many days ago no longer counts (Letter 1 "none in the last 91 days" allows a
  new one 91 days after the last).

"Taken" means a case diary entry (CaseEvent) of kind action, letter or legal with that stage,
dated on or before `as_of`. Stages are matched by their code, so a new policy with the same
stage codes carries each account's history over.

Nothing is recommended, and an open recommendation is withdrawn with the reason, while:
a pause is in force (any kind; one ended early stops counting from the day it was ended);
a court hearing or eviction date is set on or after `as_of` in a court case not closed; an
active payment arrangement is being kept; the officer deferred this stage (a deferred
recommendation with `deferred_until` on or after `as_of`) or overrode it in the last
OVERRIDE_HOLDS_DAYS days (so a rerun does not put straight back what the officer has just
decided against, and the case cannot stall: it comes back a week later if still due).

Idempotent: each account has at most one open recommendation (a partial unique index); the
run upserts it (INSERT ... ON CONFLICT DO UPDATE only when the stage, the figures or the
reason changed) and withdraws the open ones no longer due, so a rerun on the same day changes
nothing. Everything is set-based: a handful of statements over all accounts, in one
transaction, one run at a time (an advisory lock).

Arrangement breaches: an ACTIVE arrangement expects the balance to be at most debt - amount
x the instalments that fell due BEFORE `as_of` (an instalment is late from the day after it
is due: the run at 02:30 must not count one the tenant has all day to pay). Instalments fall
due weekly from the start date, or monthly on the same day of each month, the 31st falling
on the last day of a shorter month, as rents.arrangements.instalments_due counts them; the
expectation is never below nothing. The rent charged in the current rent week is left out of
the balance compared, because the week's rent is due during the week: a tenant who pays
rent and instalment each Friday is not in breach on Monday. It is breached when that balance
is more than the expectation plus the policy's `breach_tolerance_pence`: the arrangement
becomes BREACHED (dated `as_of`) and the case diary says so, with the figures, for the
officer to review. A breached arrangement no longer holds back recovery. One whose balance
(compared the same way) is nothing or in credit is KEPT, and the diary says so.

Figures shown: money as £1,234.56; weeks owed are cut down to 2 places (stored) and 1 place
(in the reason), never rounded up, so a penny under 4 weeks never reads as 4.0.

Letter templates (rents.models.LetterTemplate.body) are Django template text. Whoever renders
one (rents.casework) fills in these figures, all of them ready-formatted text:

    {{ owed }}               the amount owed, "£412.50"
    {{ weekly_rent }}        the weekly rent: every charge in force on the home, "£95.93"
    {{ weeks_owed }}         weeks of rent owed, one decimal place, cut down: "4.3"
    {{ tenant_names }}       the tenants' names, joined: "Ann Smith and Ben Smith"
    {{ address }}            the home's address on one line: "Flat 3, 12 High Street, EX1 1AA"
    {{ payment_reference }}  what the tenant quotes when paying: "T00012345"
    {{ today }}              the letter's date, "30 November 2026"
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from housing.jobs import register
from housing.models import BackgroundJob, User
from housing.money import format_pence
from rents.models import Action, ArrearsPolicy, Pause

# The figures a letter template may use (the admin shows them beside the template's body).
LETTER_FIGURES = {
    "owed": "the amount owed, like £412.50",
    "weekly_rent": "the weekly rent (every charge on the home), like £95.93",
    "weeks_owed": "weeks of rent owed, like 4.3",
    "tenant_names": "the tenants' names, like Ann Smith and Ben Smith",
    "address": "the home's address on one line",
    "payment_reference": "the payment reference the tenant quotes",
    "today": "the letter's date, like 30 November 2026",
}

OVERRIDE_HOLDS_DAYS = 7
KEPT_SUMMARY = "Payment arrangement kept: the debt is cleared"
BREACHED_SUMMARY = "Payment arrangement breached: for the officer to review"
JOB_KIND = "arrears_run"
# An advisory lock key: "arrears" (two runs at once would each withdraw the other's rows).
_RUN_LOCK = 0x617272

_VERBS = {Action.REMINDER_TEXT: "sent", Action.REMINDER_EMAIL: "sent", Action.LETTER: "sent",
          Action.VISIT: "made", Action.NOSP: "served", Action.COURT_WARNING: "sent",
          Action.COURT_APPLICATION: "made"}
_HELD_LABELS = {
    **{kind.value: str(kind.label) for kind in Pause.Kind},
    "court_case": str(Pause.Kind.COURT_DATE.label),  # counted with officers' court pauses
    "arrangement": "Payment arrangement being kept",
    "deferred": "Deferred by an officer",
    "overridden": "Overridden by an officer in the last week",
}


@dataclass
class ArrearsRunResult:
    as_of: date
    policy: str = ""
    accounts: int = 0  # rent accounts of tenancies live on as_of
    in_arrears: int = 0
    by_stage: dict[str, int] = field(default_factory=dict)  # open recommendations, in order
    held: dict[str, int] = field(default_factory=dict)  # accounts held back, by reason
    held_back: int = 0  # of them, accounts a stage was due for
    new: int = 0
    updated: int = 0
    withdrawn: int = 0
    breaches: int = 0
    kept: int = 0  # arrangements whose debt is cleared

    @property
    def recommended(self) -> int:
        return sum(self.by_stage.values())

    @property
    def unchanged(self) -> int:
        return self.recommended - self.new - self.updated

    @property
    def changed(self) -> int:
        """What the run wrote: a rerun on the same day makes this 0."""
        return self.new + self.updated + self.withdrawn + self.breaches + self.kept

    def as_data(self) -> dict:
        """For the job's result_data. The counts by stage and by reason are lists of pairs:
        a JSON object in jsonb would lose their order."""
        data = asdict(self)
        data["by_stage"] = [[name, count] for name, count in self.by_stage.items()]
        data["held"] = [[reason, count] for reason, count in self.held.items()]
        data["as_of"] = self.as_of.isoformat()
        data["as_of_label"] = f"{self.as_of.day} {self.as_of:%B %Y}"
        data.update(recommended=self.recommended, unchanged=self.unchanged,
                    changed=self.changed)
        return data


def policy_in_force(on: date) -> ArrearsPolicy | None:
    return (ArrearsPolicy.objects.filter(effective_from__lte=on).order_by("-effective_from")
            .first())


# --- SQL -------------------------------------------------------------------------------------

def _money(expression: str) -> str:
    """SQL text of pence as "£1,234.56" (amounts here are never below nothing)."""
    return f"('£' || to_char(({expression}) / 100.0, 'FM999,999,999,990.00'))"


def _date(expression: str) -> str:
    """SQL text of a date as GOV.UK writes it: "3 August 2026"."""
    return f"to_char({expression}, 'FMDD FMMonth YYYY')"


def _days_ago(expression: str) -> str:
    return (f"(CASE ({expression}) WHEN 0 THEN 'today' WHEN 1 THEN 'yesterday' "
            f"ELSE ({expression}) || ' days ago' END)")


def instalments_due_sql(start: str, frequency: str, on: str) -> str:
    """SQL: how many instalments of an arrangement have fallen due by the end of `on`, as
    rents.arrangements.instalments_due counts them (a test holds the two together). A date
    plus a number of months is the last day of a shorter month in PostgreSQL too."""
    months = (f"((extract(year FROM {on}) - extract(year FROM {start})) * 12"
              f" + extract(month FROM {on}) - extract(month FROM {start}))::int")
    return (f"(CASE WHEN {on} < {start} THEN 0"
            f" WHEN {frequency} = 'weekly' THEN ({on} - {start}) / 7 + 1"
            f" ELSE {months} + CASE WHEN {start} + make_interval(months => {months}) <= {on}"
            f" THEN 1 ELSE 0 END END)")


# Arrangements behind their schedule: marked breached, and each gets a case diary entry.
_BREACHES_SQL = f"""
WITH schedule AS (
    SELECT r.id, r.account_id, r.amount_pence, r.frequency, r.start_date, r.debt_pence,
           {instalments_due_sql('r.start_date', 'r.frequency', '%(as_of)s::date - 1')}
               AS periods
    FROM rents_arrangement r
    WHERE r.status = 'active' AND r.start_date < %(as_of)s
), measured AS (
    SELECT s.*, GREATEST(s.debt_pence - s.amount_pence * s.periods, 0) AS expected,
           COALESCE((SELECT sum(t.amount_pence) FROM rents_transaction t
                     WHERE t.account_id = s.account_id AND t.posted_on <= %(as_of)s
                       AND NOT (t.kind = 'charge'
                                AND t.posted_on >= date_trunc('week', %(as_of)s::date)::date)),
                    0) AS balance
    FROM schedule s
), breached AS (
    UPDATE rents_arrangement r
    SET status = CASE WHEN m.balance <= 0 THEN 'kept' ELSE 'breached' END,
        breached_on = CASE WHEN m.balance <= 0 THEN NULL ELSE %(as_of)s::date END
    FROM measured m
    WHERE r.id = m.id AND r.status = 'active'
      AND (m.balance <= 0 OR m.balance > m.expected + %(tolerance)s)
    RETURNING r.id, r.account_id, r.amount_pence, r.frequency, r.start_date, m.periods,
              m.expected, m.balance, r.status
)
INSERT INTO rents_caseevent (account_id, kind, stage_id, action, happened_on, summary, detail,
                             letter_id, recommendation_id, created_by_id, created_at)
SELECT b.account_id, 'arrangement', NULL::bigint, '', %(as_of)s::date,
       %(kept_summary)s,
       'Owed nothing on ' || {_date('%(as_of)s::date')} || ' before this week''s rent. The '
       || 'arrangement of ' || {_money('b.amount_pence')}
       || CASE b.frequency WHEN 'weekly' THEN ' a week' ELSE ' a month' END
       || ' on top of the rent from ' || {_date('b.start_date')} || ' has done its job.',
       NULL::bigint, NULL::bigint, %(by)s::bigint, %(at)s::timestamptz
FROM breached b WHERE b.status = 'kept'
UNION ALL
SELECT b.account_id, 'arrangement', NULL, '', %(as_of)s,
       %(breached_summary)s,
       'Owed ' || {_money('b.balance')} || ' on ' || {_date('%(as_of)s::date')}
       || ' before this week''s rent. The arrangement of ' || {_money('b.amount_pence')}
       || CASE b.frequency WHEN 'weekly' THEN ' a week' ELSE ' a month' END
       || ' on top of the rent from ' || {_date('b.start_date')} || ' ('
       || b.periods || CASE b.periods WHEN 1 THEN ' payment' ELSE ' payments' END
       || ' due so far) expected ' || {_money('b.expected')} || ' or less: '
       || {_money('b.balance - b.expected')} || ' behind, more than the '
       || {_money('%(tolerance)s::bigint')} || ' allowed.',
       NULL, NULL, %(by)s, %(at)s
FROM breached b WHERE b.status = 'breached'
RETURNING summary
"""  # noqa: S608 - fixed SQL fragments only; the values are parameters

# Every rent account of a tenancy live on as_of, with its balance at the end of the day. Each
# balance is an index-only range scan of `ledger_account_order` (which includes the amount):
# at 100,000 accounts with two years of history that reads the 0.8 GB index rather than the
# 2.1 GB ledger a grouped scan reads, and costs no more (about 4 s either way; nearly all of
# the run).
_CASES_SQL = """
CREATE TEMPORARY TABLE arrears_case AS
SELECT a.id AS account_id, t.property_id, COALESCE(b.balance, 0)::bigint AS owed
FROM rents_rentaccount a
JOIN tenancies_tenancy t
  ON t.id = a.tenancy_id AND t.start_date <= %(as_of)s
 AND (t.end_date IS NULL OR t.end_date >= %(as_of)s)
LEFT JOIN LATERAL (SELECT sum(l.amount_pence) AS balance FROM rents_transaction l
                   WHERE l.account_id = a.id AND l.posted_on <= %(as_of)s) b ON true
WHERE a.kind = 'rent'
"""

# Each account's figures, the stage due (if any), what holds it back (if anything) and why.
_DUE_SQL = f"""
CREATE TEMPORARY TABLE arrears_due AS
WITH weekly AS (
    SELECT c.property_id, sum(c.weekly_pence)::bigint AS weekly
    FROM rents_charge c
    WHERE c.start_date <= %(as_of)s AND (c.end_date IS NULL OR c.end_date >= %(as_of)s)
    GROUP BY c.property_id
), cases AS (
    SELECT c.account_id, c.owed, COALESCE(w.weekly, 0) AS weekly
    FROM arrears_case c LEFT JOIN weekly w ON w.property_id = c.property_id
), stage AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(orders)s::int[], %(codes)s::text[],
                         %(min_owed)s::bigint[], %(max_owed)s::bigint[],
                         %(min_weeks)s::numeric[], %(after_codes)s::text[],
                         %(min_days)s::int[], %(max_days)s::int[], %(not_within)s::int[],
                         %(names)s::text[], %(verbs)s::text[], %(rules)s::text[],
                         %(after_names)s::text[], %(after_verbs)s::text[])
        AS s(id, ord, code, min_owed, max_owed, min_weeks, after_code, min_days, max_days,
             not_within, name, verb, rule, after_name, after_verb)
), taken AS (
    SELECT e.account_id, st.code, max(e.happened_on) AS last_on
    FROM rents_caseevent e JOIN rents_arrearsstage st ON st.id = e.stage_id
    WHERE e.kind IN ('action', 'letter', 'legal') AND e.happened_on <= %(as_of)s
    GROUP BY e.account_id, st.code
), choice AS (
    SELECT DISTINCT ON (c.account_id)
           c.account_id, s.id AS stage_id, s.code,
           'Owes ' || {_money('c.owed')}
           || CASE WHEN c.weekly > 0
                   THEN ' = ' || to_char(trunc(c.owed::numeric / c.weekly, 1), 'FM9999990.0')
                        || ' weeks'' rent (' || {_money('c.weekly')} || ' a week)'
                   ELSE ' (the home has no weekly rent set)' END
           || CASE WHEN s.after_code IS NOT NULL
                   THEN '; ' || s.after_name || ' ' || s.after_verb || ' '
                        || {_days_ago('%(as_of)s::date - after_taken.last_on')}
                   WHEN s.not_within IS NOT NULL AND own_taken.last_on IS NULL
                   THEN '; no ' || s.name || ' before'
                   WHEN s.not_within IS NOT NULL
                   THEN '; last ' || s.name || ' ' || s.verb || ' '
                        || {_days_ago('%(as_of)s::date - own_taken.last_on')}
                   ELSE '' END
           || '; ' || s.name || ' is the next step (the rule: ' || s.rule || ').' AS reason
    FROM cases c
    CROSS JOIN stage s
    LEFT JOIN taken after_taken
      ON after_taken.account_id = c.account_id AND after_taken.code = s.after_code
    LEFT JOIN taken own_taken
      ON own_taken.account_id = c.account_id AND own_taken.code = s.code
    WHERE c.owed > 0 AND c.owed >= s.min_owed
      AND (s.max_owed IS NULL OR c.owed < s.max_owed)
      AND (s.min_weeks IS NULL OR (c.weekly > 0 AND c.owed >= s.min_weeks * c.weekly))
      AND (s.after_code IS NULL
           OR (after_taken.last_on IS NOT NULL
               AND %(as_of)s::date - after_taken.last_on >= COALESCE(s.min_days, 0)
               AND (s.max_days IS NULL
                    OR %(as_of)s::date - after_taken.last_on <= s.max_days)))
      AND (s.not_within IS NULL OR own_taken.last_on IS NULL
           OR %(as_of)s::date - own_taken.last_on >= s.not_within)
    ORDER BY c.account_id, s.ord DESC
), pause AS (
    SELECT DISTINCT ON (p.account_id) p.account_id, p.kind, p.end_date, p.reason
    FROM rents_pause p
    WHERE p.start_date <= %(as_of)s AND p.end_date >= %(as_of)s
      AND (p.ended_at IS NULL OR (p.ended_at AT TIME ZONE %(tz)s)::date > %(as_of)s)
    ORDER BY p.account_id, p.end_date DESC, p.id
), court AS (
    SELECT cc.account_id,
           min(LEAST(CASE WHEN cc.hearing_date >= %(as_of)s THEN cc.hearing_date END,
                     CASE WHEN cc.eviction_date >= %(as_of)s THEN cc.eviction_date END)) AS next_on
    FROM rents_courtcase cc
    WHERE (cc.closed_on IS NULL OR cc.closed_on > %(as_of)s)
      AND (cc.hearing_date >= %(as_of)s OR cc.eviction_date >= %(as_of)s)
    GROUP BY cc.account_id
), kept AS (
    SELECT DISTINCT account_id FROM rents_arrangement WHERE status = 'active'
), decided AS (
    SELECT DISTINCT ON (r.account_id, st.code) r.account_id, st.code,
           CASE r.status WHEN 'deferred' THEN 'deferred' ELSE 'overridden' END AS held,
           r.deferred_until
    FROM rents_recommendation r JOIN rents_arrearsstage st ON st.id = r.stage_id
    WHERE (r.status = 'deferred' AND r.deferred_until >= %(as_of)s)
       OR (r.status = 'overridden'
           AND (r.decided_at AT TIME ZONE %(tz)s)::date <= %(as_of)s
           AND (r.decided_at AT TIME ZONE %(tz)s)::date > %(as_of)s::date - %(override_days)s)
    ORDER BY r.account_id, st.code, r.status = 'deferred' DESC, r.deferred_until DESC
)
SELECT c.account_id, c.owed, c.weekly,
       CASE WHEN c.weekly > 0 AND c.owed > 0
            THEN LEAST(trunc(c.owed::numeric / c.weekly, 2), 99999.99) ELSE 0 END
           ::numeric(7, 2) AS weeks,
       ch.stage_id, ch.reason,
       CASE WHEN p.account_id IS NOT NULL THEN p.kind
            WHEN court.account_id IS NOT NULL THEN 'court_case'
            WHEN kept.account_id IS NOT NULL THEN 'arrangement'
            WHEN d.held IS NOT NULL THEN d.held END AS held,
       CASE WHEN p.account_id IS NOT NULL
            THEN 'paused until ' || {_date('p.end_date')} || ' (' || pk.label || '): '
                 || p.reason
            WHEN court.account_id IS NOT NULL
            THEN 'a court hearing or eviction date is set for ' || {_date('court.next_on')}
            WHEN kept.account_id IS NOT NULL
            THEN 'a payment arrangement is being kept'
            WHEN d.held = 'deferred'
            THEN 'deferred by an officer until ' || {_date('d.deferred_until')}
            WHEN d.held IS NOT NULL
            THEN 'an officer overrode it in the last week' END AS held_note
FROM cases c
LEFT JOIN choice ch ON ch.account_id = c.account_id
LEFT JOIN pause p ON p.account_id = c.account_id
LEFT JOIN unnest(%(pause_kinds)s::text[], %(pause_labels)s::text[]) AS pk(kind, label)
  ON pk.kind = p.kind
LEFT JOIN court ON court.account_id = c.account_id
LEFT JOIN kept ON kept.account_id = c.account_id
LEFT JOIN decided d ON d.account_id = c.account_id AND d.code = ch.code
"""  # noqa: S608 - as above

# The open recommendation of each account with a stage due: new, or brought up to date.
_UPSERT_SQL = """
INSERT INTO rents_recommendation AS r
       (account_id, stage_id, status, reason, owed_pence, weeks_owed, as_of, created_at, job_id,
        decided_by_id, decided_at, decision_note, deferred_until)
SELECT d.account_id, d.stage_id, 'open', d.reason, d.owed, d.weeks, %(as_of)s, %(at)s,
       %(job)s, NULL, NULL, '', NULL
FROM arrears_due d
WHERE d.stage_id IS NOT NULL AND d.held IS NULL
ORDER BY d.account_id
ON CONFLICT (account_id) WHERE status = 'open' DO UPDATE
SET stage_id = EXCLUDED.stage_id, reason = EXCLUDED.reason, owed_pence = EXCLUDED.owed_pence,
    weeks_owed = EXCLUDED.weeks_owed, as_of = EXCLUDED.as_of, job_id = EXCLUDED.job_id,
    -- A different stage is a new recommendation: the worklist's age starts again.
    created_at = CASE WHEN r.stage_id = EXCLUDED.stage_id THEN r.created_at
                      ELSE EXCLUDED.created_at END
WHERE (r.stage_id, r.owed_pence, r.weeks_owed, r.reason)
      IS DISTINCT FROM (EXCLUDED.stage_id, EXCLUDED.owed_pence, EXCLUDED.weeks_owed,
                        EXCLUDED.reason)
RETURNING (xmax = 0) AS inserted
"""

# Open recommendations no longer due, withdrawn with the reason.
_WITHDRAW_SQL = f"""
UPDATE rents_recommendation r
SET status = 'withdrawn', decided_at = %(at)s,
    decision_note = 'No longer due on ' || {_date('%(as_of)s::date')} || ': ' || x.note
FROM (
    SELECT open.id,
           CASE WHEN d.account_id IS NULL THEN 'the tenancy is not live'
                WHEN d.held IS NOT NULL THEN d.held_note
                WHEN d.owed <= 0 THEN 'the account owes nothing'
                ELSE 'owes ' || {_money('d.owed')} || ', and no stage of the policy is due'
           END AS note
    FROM rents_recommendation open
    LEFT JOIN arrears_due d ON d.account_id = open.account_id
    WHERE open.status = 'open'
      AND (d.account_id IS NULL OR d.stage_id IS NULL OR d.held IS NOT NULL)
) x
WHERE r.id = x.id
"""  # noqa: S608 - as above


def _stage_rule(stage, names: dict[int, str]) -> str:
    """A stage's conditions in words: "owes at least 4 weeks' rent, 7 to 91 days after
    Letter 2, none in the last 365 days"."""
    parts = []
    if stage.max_owed_pence is not None:
        parts.append(f"owes {format_pence(stage.min_owed_pence)} or more and under "
                     f"{format_pence(stage.max_owed_pence)}")
    elif stage.min_owed_pence > 1:
        parts.append(f"owes {format_pence(stage.min_owed_pence)} or more")
    if stage.min_weeks_owed is not None:
        weeks = stage.min_weeks_owed.normalize()
        parts.append(f"owes at least {weeks:f} weeks' rent")
    if stage.after_stage_id:
        after = names.get(stage.after_stage_id, "the stage before")
        low, high = stage.min_days_after, stage.max_days_after
        if low is not None and high is not None:
            parts.append(f"{low} to {high} days after {after}")
        elif low is not None:
            parts.append(f"at least {low} days after {after}")
        elif high is not None:
            parts.append(f"within {high} days of {after}")
        else:
            parts.append(f"after {after}")
    if stage.not_repeated_within_days:
        parts.append(f"none in the last {stage.not_repeated_within_days} days")
    return ", ".join(parts) or "owes anything"


def _stage_parameters(policy: ArrearsPolicy) -> dict:
    stages = list(policy.stages.select_related("after_stage").order_by("order"))
    names = {stage.pk: stage.name for stage in stages}
    return {
        "ids": [s.pk for s in stages],
        "orders": [s.order for s in stages],
        "codes": [s.code for s in stages],
        "min_owed": [s.min_owed_pence for s in stages],
        "max_owed": [s.max_owed_pence for s in stages],
        "min_weeks": [s.min_weeks_owed for s in stages],
        "after_codes": [s.after_stage.code if s.after_stage else None for s in stages],
        "min_days": [s.min_days_after for s in stages],
        "max_days": [s.max_days_after for s in stages],
        "not_within": [s.not_repeated_within_days for s in stages],
        "names": [s.name for s in stages],
        "verbs": [_VERBS.get(s.action, "taken") for s in stages],
        "rules": [_stage_rule(s, names) for s in stages],
        "after_names": [s.after_stage.name if s.after_stage else None for s in stages],
        "after_verbs": [_VERBS.get(s.after_stage.action, "taken") if s.after_stage else None
                        for s in stages],
    }, stages


def run_arrears(*, as_of: date, by: User | None, at: datetime, job_id: int | None = None,
                progress=None) -> ArrearsRunResult:
    """Work out every live rent account's next recommended action on `as_of`, flag broken
    payment arrangements, and bring the open recommendations up to date (see the module's
    docstring for the rules). Idempotent: a rerun on the same day changes nothing."""
    result = ArrearsRunResult(as_of=as_of)
    policy = policy_in_force(as_of)
    if policy is None:
        return result
    result.policy = str(policy)
    stage_parameters, stages = _stage_parameters(policy)
    params = {
        "as_of": as_of, "at": at, "by": by.pk if by else None, "job": job_id,
        "tz": settings.TIME_ZONE, "tolerance": policy.breach_tolerance_pence,
        "override_days": OVERRIDE_HOLDS_DAYS,
        "kept_summary": KEPT_SUMMARY, "breached_summary": BREACHED_SUMMARY,
        "pause_kinds": [kind.value for kind in Pause.Kind],
        "pause_labels": [str(kind.label) for kind in Pause.Kind],
        **stage_parameters,
    }
    steps = 5
    if progress:
        progress.set_total(steps)
    with transaction.atomic(), connection.cursor() as cursor:
        # One run at a time: a second waits for the first to commit, then finds its work done.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_RUN_LOCK])
        # The balances group 100,000 accounts: room to do it in memory.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        # An officer accepting, deferring or overriding a recommendation (rents.casework locks
        # it) finishes first, so its diary entry is seen below; one who starts now waits for
        # the run. Without this, an acceptance committed mid-run would be recommended again.
        # In id order, as the bulk letters job locks them.
        cursor.execute("SELECT id FROM rents_recommendation WHERE status = 'open' ORDER BY id "
                       "FOR NO KEY UPDATE")
        cursor.execute("DROP TABLE IF EXISTS pg_temp.arrears_case, pg_temp.arrears_due")

        cursor.execute(_BREACHES_SQL, params)
        outcomes = [summary for (summary,) in cursor.fetchall()]
        result.kept = outcomes.count(KEPT_SUMMARY)
        result.breaches = outcomes.count(BREACHED_SUMMARY)
        _step(progress, 1)

        cursor.execute(_CASES_SQL, params)
        cursor.execute("ANALYZE arrears_case")
        _step(progress, 2)

        cursor.execute(_DUE_SQL, params)
        cursor.execute("ANALYZE arrears_due")
        _step(progress, 3)

        cursor.execute(_UPSERT_SQL, params)
        inserted = [row[0] for row in cursor.fetchall()]
        result.new = sum(1 for flag in inserted if flag)
        result.updated = len(inserted) - result.new
        cursor.execute(_WITHDRAW_SQL, params)
        result.withdrawn = cursor.rowcount
        _step(progress, 4)

        cursor.execute("""
            SELECT count(*), count(*) FILTER (WHERE owed > 0),
                   count(*) FILTER (WHERE held IS NOT NULL AND stage_id IS NOT NULL)
            FROM arrears_due
        """)
        result.accounts, result.in_arrears, result.held_back = cursor.fetchone()
        cursor.execute("""
            SELECT stage_id, count(*) FROM arrears_due
            WHERE stage_id IS NOT NULL AND held IS NULL GROUP BY stage_id
        """)
        counts = dict(cursor.fetchall())
        result.by_stage = {stage.name: counts.get(stage.pk, 0) for stage in stages}
        cursor.execute("SELECT held, count(*) FROM arrears_due WHERE held IS NOT NULL "
                       "GROUP BY held")
        held = dict(cursor.fetchall())
        for key, label in _HELD_LABELS.items():
            if key in held:
                result.held[label] = result.held.get(label, 0) + held[key]
        cursor.execute("DROP TABLE pg_temp.arrears_case, pg_temp.arrears_due")
        _step(progress, 5)
    return result


def _step(progress, done: int) -> None:
    if progress:
        progress.set_done(done)


# --- The background job ----------------------------------------------------------------------

@register(JOB_KIND, title="Arrears run", perm="rents.work_arrears",
          result_template="rents/arrears/_run_result.html")
def run_arrears_job(job: BackgroundJob, progress) -> str:
    as_of = date.fromisoformat(job.parameters["as_of"])
    result = run_arrears(as_of=as_of, by=job.started_by, at=timezone.now(), job_id=job.pk,
                         progress=progress)
    # Saved here: execute_job reloads the job after the runner.
    BackgroundJob.objects.filter(pk=job.pk).update(result_data=result.as_data())
    return summary(result)


def summary(result: ArrearsRunResult) -> str:
    day = f"{result.as_of.day} {result.as_of:%B %Y}"
    if not result.policy:
        return (f"No arrears policy is in force on {day}: an administrator adds one in the "
                f"admin (Arrears policies). Nothing was recommended.")
    held = sum(result.held.values())
    return (f"Arrears run for {day}: {result.recommended:,} recommended action"
            f"{'' if result.recommended == 1 else 's'} ({result.new:,} new, {result.updated:,} "
            f"updated), {result.withdrawn:,} withdrawn, {held:,} account"
            f"{'' if held == 1 else 's'} held back, {result.breaches:,} arrangement"
            f"{'' if result.breaches == 1 else 's'} breached and {result.kept:,} kept.")


def start_arrears_run(*, as_of: date, by: User | None, at: datetime) -> BackgroundJob:
    from housing.jobs import start_job

    return start_job(kind=JOB_KIND, parameters={"as_of": as_of.isoformat()}, by=by, at=at)

