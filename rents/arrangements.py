"""Payment arrangements: an amount every week or month on top of the rent, agreed with the
tenant; its schedule of expected payments against what was paid; a manager's approval for a
term longer than the policy allows; and the officer's review of a breach.

The schedule. The first instalment is due on the start date, then one every 7 days (weekly)
or on the same day of each following month (monthly; the 29th, 30th or 31st falls on the last
day of a shorter month, always counted from the start date, so 31 January, 28 February, 31
March). After k instalments the account is expected to owe at most the debt agreed less k
instalments, never below nothing. The balance compared leaves out the rent charged in the
rent week of the day (it is due during the week), as the arrears run's breach check does
(rents.arrears): the two use the same count of instalments due, and a test holds them to it.
An instalment is checked once its day is over: it is late from the day after it falls due.

The term. An arrangement clears its debt on the day its last instalment is due:
ceil(debt / amount) instalments. When that day is more than the policy's
`arrangement_max_weeks` weeks after the start, the arrangement waits for a manager's approval
(rents.approve_arrangement), from someone other than the officer who made it; until then it
does not hold back recovery.

Statuses: pending (waiting for approval) -> active -> breached (the arrears run found it
behind by more than the policy's tolerance) or kept (the debt cleared) or ended (by an
officer, with the reason); pending -> rejected. One arrangement per account is pending,
active or breached at a time (a partial unique index). Agreeing a new arrangement on a case
whose arrangement was breached ends the breached one: that is the officer's review.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from housing.models import User
from housing.money import format_pence
from rents.arrears import policy_in_force
from rents.casework import Kind, Status, case_accounts, case_figures
from rents.models import Arrangement, ArrearsPolicy, CaseEvent, Recommendation, RentAccount

APPROVE_PERM = "rents.approve_arrangement"
Frequency = Arrangement.Frequency
ArrangementStatus = Arrangement.Status
LIVE = (ArrangementStatus.PENDING, ArrangementStatus.ACTIVE, ArrangementStatus.BREACHED)
DEFAULT_MAX_WEEKS = ArrearsPolicy._meta.get_field("arrangement_max_weeks").default
DEFAULT_TOLERANCE = ArrearsPolicy._meta.get_field("breach_tolerance_pence").default
SHOWN_IN_FULL = 52  # a schedule page lists every payment up to this many
SHOWN_AHEAD = 7  # and past it, those due, this many ahead and the last


def _day(value: date) -> str:
    return f"{value:%-d %B %Y}"


# --- The schedule -----------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` months on, or the last day of a shorter month."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_on(start: date, frequency: str, number: int) -> date:
    """The day instalment `number` (1 is the first) falls due."""
    if frequency == Frequency.WEEKLY:
        return start + timedelta(weeks=number - 1)
    return add_months(start, number - 1)


def instalments_due(start: date, frequency: str, on: date) -> int:
    """How many instalments have fallen due by the end of `on` (0 before the start)."""
    if on < start:
        return 0
    if frequency == Frequency.WEEKLY:
        return (on - start).days // 7 + 1
    months = (on.year - start.year) * 12 + on.month - start.month
    return months + 1 if add_months(start, months) <= on else months


def instalments_to_clear(debt_pence: int, amount_pence: int) -> int:
    return max(1, -(-debt_pence // amount_pence))


def clears_on(start: date, frequency: str, debt_pence: int, amount_pence: int) -> date:
    return due_on(start, frequency, instalments_to_clear(debt_pence, amount_pence))


def term_limit(start: date, max_weeks: int) -> date:
    """The last day the final instalment may fall without a manager's approval."""
    return start + timedelta(weeks=max_weeks)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class ScheduleRow:
    number: int
    due_on: date
    instalment_pence: int
    expected_pence: int  # owe at most this once it is paid
    # Owed at the end of the day, before that week's rent, and paid and credited since the
    # instalment before; None until the day is over (an instalment is late from the next day).
    owed_pence: int | None
    credited_pence: int | None

    @property
    def behind_pence(self) -> int:
        if self.owed_pence is None:
            return 0
        return max(self.owed_pence - self.expected_pence, 0)


@dataclass(frozen=True)
class Schedule:
    rows: list[ScheduleRow]
    clears_on: date
    tolerance_pence: int
    # Today, as the arrears run checks it: owed now (before this week's rent) against what
    # should be owed after the instalments due before today.
    owed_now_pence: int
    expected_now_pence: int
    late_so_far: int  # instalments due before today

    @property
    def behind_now_pence(self) -> int:
        return max(self.owed_now_pence - self.expected_now_pence, 0)

    @property
    def breached_now(self) -> bool:
        return self.late_so_far > 0 and self.behind_now_pence > self.tolerance_pence

    def shown(self, *, up_to: int = SHOWN_IN_FULL, ahead: int = SHOWN_AHEAD
              ) -> tuple[list[ScheduleRow], ScheduleRow | None]:
        """The rows a page shows, and the first of those it leaves out (None: all shown). A
        schedule of up to `up_to` payments is shown whole; a longer one shows those already
        due, the next `ahead` and the last, leaving out the ones between."""
        last_shown = self.late_so_far + ahead
        if len(self.rows) <= up_to or len(self.rows) <= last_shown + 2:
            return self.rows, None
        return self.rows[:last_shown] + self.rows[-1:], self.rows[last_shown]

    @property
    def latest(self) -> ScheduleRow | None:
        due = [row for row in self.rows if row.owed_pence is not None]
        return due[-1] if due else None


def schedule(arrangement: Arrangement, *, today: date,
             tolerance_pence: int | None = None) -> Schedule:
    """Every instalment to the one that clears the debt; for those whose day is over, what was
    owed on the day and what was credited since the one before; and where it stands today
    (two queries)."""
    if tolerance_pence is None:
        policy = policy_in_force(today)
        tolerance_pence = policy.breach_tolerance_pence if policy else DEFAULT_TOLERANCE
    start, frequency = arrangement.start_date, arrangement.frequency
    amount, debt = arrangement.amount_pence, arrangement.debt_pence
    count = instalments_to_clear(debt, amount)
    dates = [due_on(start, frequency, number) for number in range(1, count + 1)]
    due = [day for day in dates if day < today]  # late from the day after it falls due
    cutoff = min(start, today) - timedelta(days=7)
    rows = arrangement.account.transactions.filter(posted_on__lte=today)
    before = int(rows.filter(posted_on__lt=cutoff).aggregate(
        total=Sum("amount_pence"))["total"] or 0)
    recent = list(rows.filter(posted_on__gte=cutoff)
                  .values_list("posted_on", "kind", "amount_pence").order_by("posted_on"))

    def owed_on(day: date) -> int:
        return before + sum(amount_pence for posted_on, kind, amount_pence in recent
                            if posted_on <= day
                            and not (kind == "charge" and posted_on >= week_start(day)))

    owed: dict[date, int] = {}
    credited: dict[date, int] = {}
    previous = start - timedelta(days=1)
    for day in due:
        owed[day] = owed_on(day)
        credited[day] = -sum(amount_pence for posted_on, _kind, amount_pence in recent
                             if previous < posted_on <= day and amount_pence < 0)
        previous = day
    rows = [ScheduleRow(number=number, due_on=day,
                        instalment_pence=min(amount, debt - amount * (number - 1)),
                        expected_pence=max(debt - amount * number, 0),
                        owed_pence=owed.get(day), credited_pence=credited.get(day))
            for number, day in enumerate(dates, start=1)]
    late = instalments_due(start, frequency, today - timedelta(days=1))
    return Schedule(rows=rows, clears_on=dates[-1], tolerance_pence=tolerance_pence,
                    owed_now_pence=owed_on(today),
                    expected_now_pence=max(debt - amount * late, 0), late_so_far=late)


# --- Making, approving and ending arrangements ------------------------------------------------


def _describe(amount_pence: int, frequency: str) -> str:
    return f"{format_pence(amount_pence)} a {'week' if frequency == Frequency.WEEKLY else 'month'}"


def _withdraw_open(account: RentAccount, *, by: User, at: datetime, note: str) -> None:
    Recommendation.objects.filter(account=account, status=Status.OPEN).update(
        status=Status.WITHDRAWN, decided_by=by, decided_at=at, decision_note=note)


def _event(arrangement: Arrangement, summary: str, detail: str, *, by: User,
           at: datetime) -> CaseEvent:
    return CaseEvent.objects.create(
        account_id=arrangement.account_id, kind=Kind.ARRANGEMENT,
        happened_on=timezone.localdate(at), summary=summary[:200], detail=detail,
        created_by=by, created_at=at)


@transaction.atomic
def make_arrangement(*, account_id: int, amount_pence: int | None, frequency: str,
                     start_date: date | None, agreed_on: date | None, agreement: str,
                     by: User, at: datetime) -> Arrangement:
    """Record an arrangement the tenant has agreed, to clear what the account owes today.
    Within the policy's longest term it is active at once (and holds back recovery); longer,
    it waits for a manager's approval. A breached arrangement on the case is ended by it."""
    today = timezone.localdate(at)
    agreement = (agreement or "").strip()
    errors: dict[str, str] = {}
    if amount_pence is None or amount_pence <= 0:
        errors["amount_pence"] = "Enter the amount to pay on top of the rent, more than £0.00."
    if frequency not in Frequency.values:
        errors["frequency"] = "Select how often the tenant will pay it."
    if agreed_on is None:
        errors["agreed_on"] = "Enter the date the tenant agreed the arrangement."
    elif agreed_on > today:
        errors["agreed_on"] = "The date the tenant agreed must be today or in the past."
    if start_date is None:
        errors["start_date"] = "Enter the date of the first payment."
    elif agreed_on and start_date < agreed_on:
        errors["start_date"] = ("The first payment must be on or after the day the tenant "
                                "agreed the arrangement.")
    elif start_date > today + timedelta(days=31):
        errors["start_date"] = "The first payment must be within a month of today."
    if not agreement:
        errors["agreement"] = "Say how the tenant agreed: in person, by phone, a signed form..."
    if errors:
        raise ValidationError(errors)
    account = (RentAccount.objects.select_for_update(of=("self",)).select_related("tenancy")
               .get(pk=account_id))
    tenancy = account.tenancy
    if tenancy is None:
        raise ValidationError("This account has no tenancy to agree an arrangement with.")
    if tenancy.end_date and tenancy.end_date < today:
        raise ValidationError(f"The tenancy ended on {_day(tenancy.end_date)}: a former "
                              f"tenant's arrears are recovered through the former tenant "
                              f"arrears process, not by an arrangement on top of the rent.")
    live = {item.status: item for item in account.arrangements.filter(status__in=LIVE)}
    for status in (ArrangementStatus.ACTIVE, ArrangementStatus.PENDING):
        if status in live:
            raise ValidationError(
                f"This case already has an arrangement ({live[status].get_status_display()}"
                f", {_describe(live[status].amount_pence, live[status].frequency)} from "
                f"{_day(live[status].start_date)}). End it before agreeing another.")
    owed = case_figures([account], on=today)[account.pk].owed_pence
    if owed <= 0:
        raise ValidationError(f"The account owes nothing today (its balance is "
                              f"{format_pence(owed)}), so there is nothing to arrange.")
    policy = policy_in_force(today)
    max_weeks = policy.arrangement_max_weeks if policy else DEFAULT_MAX_WEEKS
    last = clears_on(start_date, frequency, owed, amount_pence)
    long_term = last > term_limit(start_date, max_weeks)
    breached = live.get(ArrangementStatus.BREACHED)
    if breached is not None:
        breached.status = ArrangementStatus.ENDED
        breached.ended_by, breached.ended_at = by, at
        breached.end_reason = "Reviewed after its breach: replaced by a new arrangement."
        breached.save(update_fields=["status", "ended_by", "ended_at", "end_reason"])
        _event(breached, "Breached payment arrangement reviewed: replaced",
               f"It was {_describe(breached.amount_pence, breached.frequency)} from "
               f"{_day(breached.start_date)}, breached on {_day(breached.breached_on)}.",
               by=by, at=at)
    arrangement = Arrangement.objects.create(
        account=account, amount_pence=amount_pence, frequency=frequency, start_date=start_date,
        debt_pence=owed, agreed_on=agreed_on, agreement=agreement,
        status=ArrangementStatus.PENDING if long_term else ArrangementStatus.ACTIVE,
        created_by=by, created_at=at)
    terms = (f"{_describe(amount_pence, frequency)} on top of the rent from {_day(start_date)}, "
             f"to clear {format_pence(owed)} by {_day(last)}. Agreed on {_day(agreed_on)}: "
             f"{agreement}")
    if long_term:
        _event(arrangement, "Payment arrangement proposed: waiting for a manager's approval",
               f"{terms}\nIt takes longer than the {max_weeks} weeks the policy allows "
               f"without a manager's approval (to {_day(term_limit(start_date, max_weeks))}).",
               by=by, at=at)
    else:
        _event(arrangement, f"Payment arrangement agreed: {_describe(amount_pence, frequency)}",
               terms, by=by, at=at)
        _withdraw_open(account, by=by, at=at, note="A payment arrangement was agreed.")
    return arrangement


def _lock(arrangement_id: int, *, statuses: tuple, doing: str) -> Arrangement:
    arrangement = (Arrangement.objects.select_for_update().select_related("account")
                   .filter(pk=arrangement_id).first())
    if arrangement is None:
        raise ValidationError("There is no such arrangement.")
    if arrangement.status not in statuses:
        raise ValidationError(f"This arrangement cannot be {doing}: it is "
                              f"{arrangement.get_status_display().lower()}.")
    return arrangement


@transaction.atomic
def approve_arrangement(*, arrangement_id: int, by: User, at: datetime) -> Arrangement:
    """A manager approves an arrangement longer than the policy allows. Not the officer who
    proposed it: a second person looks at every long arrangement."""
    if not by.has_perm(APPROVE_PERM):
        raise ValidationError("Only a manager may approve a long payment arrangement.")
    arrangement = _lock(arrangement_id, statuses=(ArrangementStatus.PENDING,),
                        doing="approved")
    if arrangement.created_by_id == by.pk:
        raise ValidationError("You proposed this arrangement, so another manager must approve "
                              "it.")
    arrangement.status = ArrangementStatus.ACTIVE
    arrangement.approved_by, arrangement.approved_at = by, at
    arrangement.save(update_fields=["status", "approved_by", "approved_at"])
    last = clears_on(arrangement.start_date, arrangement.frequency, arrangement.debt_pence,
                     arrangement.amount_pence)
    _event(arrangement, "Payment arrangement approved by a manager",
           f"{_describe(arrangement.amount_pence, arrangement.frequency)} from "
           f"{_day(arrangement.start_date)}, clearing {format_pence(arrangement.debt_pence)} "
           f"by {_day(last)}.", by=by, at=at)
    _withdraw_open(arrangement.account, by=by, at=at,
                   note="A payment arrangement was approved.")
    return arrangement


@transaction.atomic
def reject_arrangement(*, arrangement_id: int, reason: str, by: User,
                       at: datetime) -> Arrangement:
    reason = (reason or "").strip()
    if not by.has_perm(APPROVE_PERM):
        raise ValidationError("Only a manager may refuse a long payment arrangement.")
    if not reason:
        raise ValidationError({"reason": "Give the reason for not approving it: the officer "
                                         "tells the tenant."})
    arrangement = _lock(arrangement_id, statuses=(ArrangementStatus.PENDING,),
                        doing="refused")
    arrangement.status = ArrangementStatus.REJECTED
    arrangement.ended_by, arrangement.ended_at, arrangement.end_reason = by, at, reason
    arrangement.save(update_fields=["status", "ended_by", "ended_at", "end_reason"])
    _event(arrangement, "Payment arrangement not approved", reason, by=by, at=at)
    return arrangement


@transaction.atomic
def end_arrangement(*, arrangement_id: int, reason: str, by: User,
                    at: datetime) -> Arrangement:
    """End an arrangement (active, waiting or breached), with the reason: recovery goes on.
    Ending a breached one is the officer's review of the breach."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for ending the arrangement."})
    arrangement = _lock(arrangement_id, statuses=LIVE, doing="ended")
    was = arrangement.status
    arrangement.status = ArrangementStatus.ENDED
    arrangement.ended_by, arrangement.ended_at, arrangement.end_reason = by, at, reason
    arrangement.save(update_fields=["status", "ended_by", "ended_at", "end_reason"])
    summary = ("Breached payment arrangement reviewed: ended"
               if was == ArrangementStatus.BREACHED else "Payment arrangement ended")
    _event(arrangement, summary, reason, by=by, at=at)
    return arrangement


# --- Reads ------------------------------------------------------------------------------------


def arrangements_for(user: User) -> QuerySet:
    """Arrangements on the cases the user may see."""
    return Arrangement.objects.filter(account__in=case_accounts(user))


def get_arrangement_for_user(user: User, pk) -> Arrangement:
    from django.http import Http404

    arrangement = (arrangements_for(user).select_related(
        "account__tenancy__property", "created_by", "approved_by", "ended_by")
        .filter(pk=pk).first()) if str(pk).isdigit() else None
    if arrangement is None:
        raise Http404
    return arrangement


LIST_STATUSES = {
    "pending": ("Waiting for approval", [ArrangementStatus.PENDING]),
    "breached": ("Breached: for review", [ArrangementStatus.BREACHED]),
    "active": ("Active", [ArrangementStatus.ACTIVE]),
}


def arrangement_list(user: User, *, status: str) -> QuerySet:
    statuses = LIST_STATUSES.get(status, LIST_STATUSES["pending"])[1]
    return (arrangements_for(user).filter(status__in=statuses)
            .select_related("account__tenancy__property", "created_by")
            .order_by("breached_on", "created_at", "pk"))


def counts_for(user: User) -> dict[str, int]:
    """How many arrangements of each listed status (one query)."""
    return arrangements_for(user).order_by().aggregate(**{
        key: Count("pk", filter=Q(status__in=statuses))
        for key, (_label, statuses) in LIST_STATUSES.items()})


def case_panel(account: RentAccount, *, user, today: date) -> dict:
    """What the case page's arrangement section shows (_arrangement.html): the live
    arrangement with where it stands against its schedule, and the earlier ones."""
    arrangements = list(account.arrangements.select_related("created_by", "approved_by",
                                                            "ended_by")
                        .order_by("-created_at", "-pk"))
    live = next((item for item in arrangements if item.status in LIVE), None)
    panel = {"live": live, "past": [item for item in arrangements if item is not live],
             "can_approve": user.has_perm(APPROVE_PERM)}
    if live is not None:
        live.account = account
        panel["schedule"] = schedule(live, today=today)
    return panel

