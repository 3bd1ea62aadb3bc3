"""The NOSP and the court: a notice's served date and expiry, and the court stages (hearing,
outcome, warrant, eviction), each adding a row to the case diary.

The notice. A Notice of Seeking Possession (PossessionNotice) is in force from the day it is
served until the day before it expires: a notice served on 30 November 2025 expires on 30
November 2026 (casework.a_year_after), so the last day it supports an application to the
court is 29 November 2026. On the expiry day itself it is no longer in force. (The safe
reading: an application on the expiry day could be struck out; the arrears run likewise
recommends a new NOSP 365 days after the last.) A second notice cannot be recorded while one
is in force, and proceedings cannot begin until NOTICE_DAYS after service.

The court case (CourtCase), one open (not closed) per account, moves through:

    applied for      applied_on, a day a notice was in force and NOTICE_DAYS after it
    hearing          hearing_date, on or after the application (may be moved before the
                     hearing happens)
    outcome          on or after the hearing date and not in the future:
                       adjourned  the adjourned hearing's date and the adjournment stay on
                                  the row until the next hearing date is set (at once, or
                                  later): then the outcome is cleared for the new hearing.
                                  The database requires an outcome's date to have its
                                  hearing date, so the hearing date is not blanked.
                       suspended  a suspended possession order: its terms are required
                       outright   an outright order: the terms may give the possession date
                       dismissed  dismissed or withdrawn: closes the case that day
    warrant          warrant_applied_on, only after a suspended or outright order, not
                     before it
    eviction         eviction_date, after the warrant: normally in the future (the bailiffs'
                     appointment), but one that has happened may be recorded; it may be
                     moved
    closed           closed_on, with the reason in the diary (any time while open)

Every step is one service here, in a transaction, adding one case diary row (CaseEvent of
kind LEGAL) with who and when. A NOSP served and an application to the court recorded here
carry the stage of the arrears policy that takes that action (in force on the day), so the
arrears run counts them as taken exactly as if a recommendation had been accepted. Serving a
notice, applying to the court and applying for a warrant are recovery actions: each is
refused on a day a pause was in force. Recording what the court decided is not.

The arrears run (rents.arrears) holds a case back while a court case not closed has a
hearing or eviction date on or after the run date.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from housing.models import User
from rents.arrears import policy_in_force
from rents.casework import DIARY_PERM, a_year_after, case_accounts
from rents.models import (
    Action,
    ArrearsStage,
    CaseEvent,
    CourtCase,
    Pause,
    PossessionNotice,
    RentAccount,
)

NOTICE_DAYS = 28  # a NOSP for rent arrears gives at least 28 days before proceedings begin

Outcome = CourtCase.Outcome
ORDERS = (Outcome.SUSPENDED, Outcome.OUTRIGHT)  # the orders a warrant may follow
LEGAL = CaseEvent.Kind.LEGAL


def _day(value: date) -> str:
    return f"{value:%-d %B %Y}"


# --- Reads ------------------------------------------------------------------------------------


def in_force(notice: PossessionNotice, *, on: date) -> bool:
    """Whether the notice is in force on `on`: from its served date to the day before it
    expires (see the module docstring)."""
    return notice.served_on <= on < notice.expires_on


def notice_in_force(account_id: int, *, on: date) -> PossessionNotice | None:
    """The latest notice in force on the account on `on`."""
    return (PossessionNotice.objects.filter(account_id=account_id, served_on__lte=on,
                                            expires_on__gt=on)
            .order_by("-served_on", "-pk").first())


def current_court_case(account_id: int) -> CourtCase | None:
    return (CourtCase.objects.filter(account_id=account_id, closed_on__isnull=True)
            .order_by("-applied_on", "-pk").first())


def get_court_case_for_user(user: User, pk) -> CourtCase:
    """A court case on an account whose case the user may see, or Http404."""
    court_case = (CourtCase.objects.select_related("notice", "account")
                  .filter(pk=pk, account__in=case_accounts(user, perm=DIARY_PERM)).first()
                  if str(pk).isdigit() else None)
    if court_case is None:
        raise Http404
    return court_case


def get_notice_for_account(account: RentAccount, pk) -> PossessionNotice:
    """One of the account's notices (the view has already checked the account), or Http404."""
    notice = (PossessionNotice.objects.filter(pk=pk, account=account).first()
              if str(pk).isdigit() else None)
    if notice is None:
        raise Http404
    return notice


# --- Refusals shared by the services ----------------------------------------------------------


def _stage_for(action: str, *, on: date) -> ArrearsStage | None:
    """The stage of the policy in force on `on` that takes `action` (its diary row then counts
    as that stage taken, for the arrears run)."""
    policy = policy_in_force(on)
    if policy is None:
        return None
    return policy.stages.filter(action=action).order_by("order").first()


def _pause_refusal(account_id: int, *, on: date, what: str) -> str:
    """Why `what` cannot be dated `on` (a pause was in force that day), or ""."""
    pause = (Pause.objects.filter(account_id=account_id, start_date__lte=on, end_date__gte=on)
             .filter(Q(ended_at__isnull=True) | Q(ended_at__date__gt=on))
             .order_by("-end_date", "-pk").first())
    if pause is None:
        return ""
    return (f"Recovery is paused from {_day(pause.start_date)} to {_day(pause.end_date)} "
            f"({pause.get_kind_display()}): {what} cannot be dated {_day(on)}, while the pause "
            f"is in force.")


def _date_refusal(value: date | None, *, today: date, missing: str, noun: str) -> str:
    if value is None:
        return missing
    if value > today:
        return f"The {noun} must be today or in the past."
    return ""


def _overlapping(account_id: int, *, served_on: date, expires_on: date,
                 exclude: int | None = None) -> PossessionNotice | None:
    """Another notice whose time in force overlaps [served_on, expires_on)."""
    notices = PossessionNotice.objects.filter(account_id=account_id, served_on__lt=expires_on,
                                              expires_on__gt=served_on)
    if exclude is not None:
        notices = notices.exclude(pk=exclude)
    return notices.order_by("-served_on", "-pk").first()


def _overlap_refusal(other: PossessionNotice, *, served_on: date) -> str:
    if other.served_on <= served_on:
        return (f"The NOSP served on {_day(other.served_on)} is in force on "
                f"{_day(served_on)} (it expires on {_day(other.expires_on)}): a second "
                f"notice cannot be recorded while one is in force.")
    return (f"A NOSP was served on {_day(other.served_on)}, while a notice served on "
            f"{_day(served_on)} would still be in force: a second notice cannot be recorded "
            f"while one is in force. Correct that notice's served date instead.")


def _tenancy_refusal(account: RentAccount, *, served_on: date) -> str:
    tenancy = account.tenancy
    if tenancy is None:
        return "This account has no tenancy to serve a notice on."
    if served_on < tenancy.start_date:
        return (f"The tenancy began on {_day(tenancy.start_date)}: a notice cannot have been "
                f"served before it.")
    if tenancy.end_date and served_on > tenancy.end_date:
        return (f"The tenancy ended on {_day(tenancy.end_date)}: a notice cannot be served "
                f"after it ended.")
    return ""


def _application_refusal(account_id: int, *, applied_on: date
                         ) -> tuple[PossessionNotice | None, str]:
    """The notice an application to the court made on `applied_on` relies on, or why there
    is none. Also refused while another court case is open."""
    current = current_court_case(account_id)
    if current is not None:
        return None, (f"A court case is already open on this account (applied for on "
                      f"{_day(current.applied_on)}): close it before applying again.")
    notices = list(PossessionNotice.objects.filter(account_id=account_id,
                                                   served_on__lte=applied_on)
                   .order_by("-served_on", "-pk"))
    live = [notice for notice in notices if in_force(notice, on=applied_on)]
    usable = [notice for notice in live
              if notice.served_on + timedelta(days=NOTICE_DAYS) <= applied_on]
    if usable:
        return usable[0], ""
    if live:
        notice = live[0]
        ready = notice.served_on + timedelta(days=NOTICE_DAYS)
        return None, (f"The NOSP was served on {_day(notice.served_on)}: the court cannot be "
                      f"applied to until {NOTICE_DAYS} days after it, on {_day(ready)}.")
    if notices:
        notice = notices[0]
        return None, (f"The NOSP served on {_day(notice.served_on)} expired on "
                      f"{_day(notice.expires_on)}: no notice is in force on "
                      f"{_day(applied_on)}. Serve a new notice before applying to the court.")
    later = (PossessionNotice.objects.filter(account_id=account_id)
             .order_by("served_on").first())
    if later is not None:
        return None, (f"No NOSP was in force on {_day(applied_on)}: the first was served on "
                      f"{_day(later.served_on)}.")
    return None, ("No NOSP has been served on this tenancy: the court cannot be asked for "
                  "possession without a notice in force. Record the notice first.")


def application_refusal(account_id: int, *, on: date) -> str:
    """Why the court cannot be applied to on `on`, or "" (for the case page, before the
    officer accepts an "apply for a court date" recommendation)."""
    return _application_refusal(account_id, applied_on=on)[1]


def _event(account_id: int, *, summary: str, happened_on: date, by: User, at: datetime,
           detail: str = "", stage: ArrearsStage | None = None) -> CaseEvent:
    return CaseEvent.objects.create(
        account_id=account_id, kind=LEGAL, stage=stage,
        action=stage.action if stage else "", happened_on=happened_on,
        summary=summary[:200], detail=detail, created_by=by, created_at=at)


def _lock_case(court_case_id: int) -> CourtCase:
    """The court case, locked, so two officers recording a step at once go one after the
    other and the second sees the first's step; refused once closed."""
    court_case = CourtCase.objects.select_for_update().get(pk=court_case_id)
    if court_case.closed_on is not None:
        raise ValidationError(f"This court case was closed on {_day(court_case.closed_on)}: "
                              f"nothing more can be recorded on it.")
    return court_case


# --- The notice -------------------------------------------------------------------------------


@transaction.atomic
def record_notice(*, account_id: int, served_on: date | None, how: str = "", by: User,
                  at: datetime) -> PossessionNotice:
    """Record a NOSP served by hand (not through a recommendation). It expires a year after
    it was served. Refused while another notice is in force, and on a day a pause was."""
    how = (how or "").strip()
    today = timezone.localdate(at)
    refusal = _date_refusal(served_on, today=today, noun="date the notice was served",
                            missing="Enter the date the notice was served.")
    if refusal:
        raise ValidationError({"served_on": refusal})
    # Locked so two notices recorded at the same moment cannot both pass the check below.
    account = RentAccount.objects.select_for_update(of=("self",)).select_related("tenancy").get(
        pk=account_id)
    expires_on = a_year_after(served_on)
    refusal = (_tenancy_refusal(account, served_on=served_on)
               or _pause_refusal(account_id, on=served_on, what="a notice"))
    other = _overlapping(account_id, served_on=served_on, expires_on=expires_on)
    if other is not None and not refusal:
        refusal = _overlap_refusal(other, served_on=served_on)
    if refusal:
        raise ValidationError({"served_on": refusal})
    notice = PossessionNotice.objects.create(account=account, served_on=served_on,
                                             expires_on=expires_on, created_by=by,
                                             created_at=at)
    _event(account_id, happened_on=served_on, by=by, at=at,
           stage=_stage_for(Action.NOSP, on=served_on),
           summary=f"Notice of Seeking Possession served: in force until it expires on "
                   f"{_day(expires_on)}",
           detail=f"Recorded by hand.{f' How it was served: {how}' if how else ''}")
    return notice


@transaction.atomic
def correct_notice_served_date(*, notice_id: int, served_on: date | None, reason: str,
                               by: User, at: datetime) -> PossessionNotice:
    """Correct the date a notice was served; its expiry follows. The diary row says what it
    was. Refused when it would overlap another notice or leave a court application without
    a notice in force (and NOTICE_DAYS old) on the day it was made.

    The diary row is dated on the corrected served date and carries the NOSP stage, so the
    arrears run counts from the later of the two dates (the original row is never changed):
    a correction to a later date moves the run's timings on; one to an earlier date leaves
    them where they were, which only ever waits longer."""
    reason = (reason or "").strip()
    today = timezone.localdate(at)
    errors = {}
    refusal = _date_refusal(served_on, today=today, noun="date the notice was served",
                            missing="Enter the date the notice was served.")
    if refusal:
        errors["served_on"] = refusal
    if not reason:
        errors["reason"] = "Give the reason for correcting the date."
    if errors:
        raise ValidationError(errors)
    notice = PossessionNotice.objects.select_for_update().get(pk=notice_id)
    account = RentAccount.objects.select_for_update(of=("self",)).select_related("tenancy").get(
        pk=notice.account_id)
    was_served, was_expiring = notice.served_on, notice.expires_on
    if served_on == was_served:
        raise ValidationError({"served_on": f"The notice already says it was served on "
                                            f"{_day(served_on)}."})
    expires_on = a_year_after(served_on)
    refusal = _tenancy_refusal(account, served_on=served_on)
    other = _overlapping(notice.account_id, served_on=served_on, expires_on=expires_on,
                         exclude=notice.pk)
    if other is not None and not refusal:
        refusal = _overlap_refusal(other, served_on=served_on)
    for court_case in notice.court_cases.order_by("applied_on"):
        if refusal:
            break
        ready = served_on + timedelta(days=NOTICE_DAYS)
        last = expires_on - timedelta(days=1)
        if not (ready <= court_case.applied_on <= last):
            refusal = (f"The application to the court on {_day(court_case.applied_on)} relies "
                       f"on this notice: served on {_day(served_on)}, it could support an "
                       f"application only from {_day(ready)} to {_day(last)}.")
    if refusal:
        raise ValidationError({"served_on": refusal})
    notice.served_on, notice.expires_on = served_on, expires_on
    notice.save(update_fields=["served_on", "expires_on"])
    _event(notice.account_id, happened_on=served_on, by=by, at=at,
           stage=_stage_for(Action.NOSP, on=served_on),
           summary=f"NOSP served date corrected to {_day(served_on)} (it was "
                   f"{_day(was_served)})",
           detail=f"It now expires on {_day(expires_on)} (it was {_day(was_expiring)}).\n"
                  f"{reason}")
    return notice


# --- The court --------------------------------------------------------------------------------


@transaction.atomic
def apply_to_court(*, account_id: int, applied_on: date | None, note: str = "", by: User,
                   at: datetime) -> CourtCase:
    """Record an application to the court for possession, made on `applied_on` under the
    notice in force that day. One open court case per account."""
    note = (note or "").strip()
    today = timezone.localdate(at)
    refusal = _date_refusal(applied_on, today=today, noun="date of the application",
                            missing="Enter the date the application was made.")
    if refusal:
        raise ValidationError({"applied_on": refusal})
    RentAccount.objects.select_for_update().filter(pk=account_id).first()
    notice, refusal = _application_refusal(account_id, applied_on=applied_on)
    refusal = refusal or _pause_refusal(account_id, on=applied_on,
                                        what="an application to the court")
    if refusal:
        raise ValidationError({"applied_on": refusal})
    court_case = CourtCase.objects.create(account_id=account_id, notice=notice,
                                          applied_on=applied_on)
    _event(account_id, happened_on=applied_on, by=by, at=at,
           stage=_stage_for(Action.COURT_APPLICATION, on=applied_on),
           summary=f"Applied to the court for possession, under the NOSP served on "
                   f"{_day(notice.served_on)}",
           detail="\n".join(part for part in ("Recorded by hand.", note) if part))
    return court_case


def open_court_case_on_acceptance(*, account_id: int, by: User, at: datetime) -> CourtCase:
    """The court case opened when an officer accepts the arrears run's "apply for a court
    date" recommendation (rents.casework.accept_recommendation, which writes the diary row
    and has already refused a pause): applied for today, under the latest notice in force
    today. Refused, with the reason, without one."""
    today = timezone.localdate(at)
    RentAccount.objects.select_for_update().filter(pk=account_id).first()
    notice, refusal = _application_refusal(account_id, applied_on=today)
    if refusal:
        raise ValidationError(refusal)
    return CourtCase.objects.create(account_id=account_id, notice=notice, applied_on=today)


@transaction.atomic
def set_hearing_date(*, court_case_id: int, hearing_date: date | None, by: User,
                     at: datetime) -> CourtCase:
    """Record the hearing date, or move it before the hearing has an outcome; after an
    adjournment, set the next hearing."""
    court_case = _lock_case(court_case_id)
    if court_case.outcome and court_case.outcome != Outcome.ADJOURNED:
        raise ValidationError(
            f"The hearing on {_day(court_case.hearing_date)} ended in "
            f"{court_case.get_outcome_display().lower()}: its date can no longer be changed.")
    if hearing_date is None:
        raise ValidationError({"hearing_date": "Enter the date of the hearing."})
    if hearing_date < court_case.applied_on:
        raise ValidationError({"hearing_date": (
            f"The application to the court was made on {_day(court_case.applied_on)}: the "
            f"hearing cannot be before it.")})
    adjourned = court_case.outcome == Outcome.ADJOURNED
    if adjourned and hearing_date < court_case.outcome_date:
        raise ValidationError({"hearing_date": (
            f"The hearing was adjourned on {_day(court_case.outcome_date)}: the next hearing "
            f"cannot be before then.")})
    if not adjourned and hearing_date == court_case.hearing_date:
        raise ValidationError({"hearing_date": f"The hearing is already on "
                                               f"{_day(hearing_date)}."})
    was = court_case.hearing_date
    if adjourned:
        summary = (f"Next hearing set for {_day(hearing_date)} (the hearing on {_day(was)} "
                   f"was adjourned)")
    elif was is not None:
        summary = f"Hearing moved to {_day(hearing_date)} (it was {_day(was)})"
    else:
        summary = f"Hearing date set: {_day(hearing_date)}"
    _relist(court_case, hearing_date)
    _event(court_case.account_id, happened_on=timezone.localdate(at), by=by, at=at,
           summary=summary)
    return court_case


def _relist(court_case: CourtCase, hearing_date: date) -> None:
    """A new hearing date: any adjournment's outcome is cleared for the new hearing (it is
    kept in the court case's history and the diary)."""
    court_case.hearing_date = hearing_date
    court_case.outcome, court_case.outcome_date, court_case.order_terms = "", None, ""
    court_case.save(update_fields=["hearing_date", "outcome", "outcome_date", "order_terms"])


@transaction.atomic
def record_outcome(*, court_case_id: int, outcome: str, outcome_date: date | None,
                   order_terms: str = "", next_hearing_date: date | None = None, by: User,
                   at: datetime) -> CourtCase:
    """Record what the court decided at the hearing. Refused before the hearing date, with no
    hearing date, in the future, or when the hearing's outcome is already recorded."""
    order_terms = (order_terms or "").strip()
    today = timezone.localdate(at)
    court_case = _lock_case(court_case_id)
    hearing = court_case.hearing_date
    if hearing is None:
        raise ValidationError("No hearing date is recorded: record the hearing date before its "
                              "outcome.")
    if court_case.outcome == Outcome.ADJOURNED:
        raise ValidationError(f"The hearing on {_day(hearing)} was adjourned: set the next "
                              f"hearing date before recording an outcome.")
    if court_case.outcome:
        raise ValidationError(f"The outcome of the hearing on {_day(hearing)} is already "
                              f"recorded: {court_case.get_outcome_display().lower()}.")
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = "Select the outcome of the hearing."
    refusal = _date_refusal(outcome_date, today=today, noun="date of the outcome",
                            missing="Enter the date of the outcome.")
    if not refusal and outcome_date < hearing:
        refusal = (f"The hearing {'is' if hearing > today else 'was'} on {_day(hearing)}: its "
                   f"outcome cannot be recorded before then.")
    if refusal:
        errors["outcome_date"] = refusal
    if outcome == Outcome.SUSPENDED and not order_terms:
        errors["order_terms"] = ("Enter the terms of the suspended possession order, for "
                                 "example: current rent plus £5 a week.")
    if next_hearing_date is not None:
        if outcome != Outcome.ADJOURNED:
            errors["next_hearing_date"] = ("Only an adjourned hearing has a next hearing date: "
                                           "leave it empty for this outcome.")
        elif outcome_date and next_hearing_date < outcome_date:
            errors["next_hearing_date"] = (f"The next hearing cannot be before the day the "
                                           f"hearing was adjourned, {_day(outcome_date)}.")
    if errors:
        raise ValidationError(errors)
    court_case.outcome, court_case.outcome_date = outcome, outcome_date
    court_case.order_terms = order_terms
    summary = f"Hearing on {_day(hearing)}: {court_case.get_outcome_display().lower()}"
    if outcome == Outcome.DISMISSED:
        court_case.closed_on = outcome_date
        summary += " (the court case is closed)"
    elif outcome == Outcome.ADJOURNED:
        summary += (f" to {_day(next_hearing_date)}" if next_hearing_date
                    else ", no new hearing date yet")
    court_case.save(update_fields=["outcome", "outcome_date", "order_terms", "closed_on"])
    if next_hearing_date is not None:
        _relist(court_case, next_hearing_date)  # a second history row: adjourned, relisted
    _event(court_case.account_id, happened_on=outcome_date, by=by, at=at, summary=summary,
           detail=f"Terms: {order_terms}" if order_terms else "")
    return court_case


@transaction.atomic
def record_warrant(*, court_case_id: int, applied_on: date | None, by: User,
                   at: datetime) -> CourtCase:
    """Record an application for a warrant of possession: only after a suspended or outright
    order, not dated before it."""
    today = timezone.localdate(at)
    court_case = _lock_case(court_case_id)
    if court_case.outcome not in ORDERS:
        now = (f"the hearing on {_day(court_case.hearing_date)} was adjourned"
               if court_case.outcome == Outcome.ADJOURNED else "no order has been recorded")
        raise ValidationError(f"A warrant can be applied for only after a suspended or "
                              f"outright possession order: {now}.")
    if court_case.warrant_applied_on is not None:
        raise ValidationError(f"A warrant was already applied for, on "
                              f"{_day(court_case.warrant_applied_on)}.")
    refusal = _date_refusal(applied_on, today=today, noun="date of the warrant application",
                            missing="Enter the date the warrant was applied for.")
    if not refusal and applied_on < court_case.outcome_date:
        refusal = (f"The {court_case.get_outcome_display().lower()} was made on "
                   f"{_day(court_case.outcome_date)}: the warrant cannot be applied for "
                   f"before it.")
    refusal = refusal or _pause_refusal(court_case.account_id, on=applied_on,
                                        what="a warrant application")
    if refusal:
        raise ValidationError({"applied_on": refusal})
    court_case.warrant_applied_on = applied_on
    court_case.save(update_fields=["warrant_applied_on"])
    _event(court_case.account_id, happened_on=applied_on, by=by, at=at,
           summary=f"Warrant of possession applied for, after the "
                   f"{court_case.get_outcome_display().lower()} of "
                   f"{_day(court_case.outcome_date)}")
    return court_case


@transaction.atomic
def set_eviction_date(*, court_case_id: int, eviction_date: date | None, by: User,
                      at: datetime) -> CourtCase:
    """Record the eviction date the bailiffs gave (or move it). It comes after the warrant;
    normally in the future, but one that has already happened may be recorded."""
    today = timezone.localdate(at)
    court_case = _lock_case(court_case_id)
    warrant = court_case.warrant_applied_on
    if warrant is None:
        raise ValidationError("No warrant has been applied for: the eviction date comes after "
                              "the warrant.")
    if eviction_date is None:
        raise ValidationError({"eviction_date": "Enter the date of the eviction."})
    if eviction_date <= warrant:
        raise ValidationError({"eviction_date": (
            f"The warrant was applied for on {_day(warrant)}: the eviction must be after "
            f"that.")})
    was = court_case.eviction_date
    if eviction_date == was:
        raise ValidationError({"eviction_date": f"The eviction is already on "
                                                 f"{_day(eviction_date)}."})
    if eviction_date <= today:
        summary, happened_on = f"Eviction carried out on {_day(eviction_date)}", eviction_date
    else:
        summary, happened_on = f"Eviction booked for {_day(eviction_date)}", today
    if was is not None:
        summary += f" (it was {'booked for' if was > today else 'recorded as'} {_day(was)})"
    court_case.eviction_date = eviction_date
    court_case.save(update_fields=["eviction_date"])
    _event(court_case.account_id, happened_on=happened_on, by=by, at=at, summary=summary)
    return court_case


@transaction.atomic
def close_court_case(*, court_case_id: int, reason: str, by: User, at: datetime) -> CourtCase:
    """Close the court case today, with the reason (in the diary). The arrears run no longer
    holds the case back for its dates, and a new application may be made."""
    reason = (reason or "").strip()
    court_case = _lock_case(court_case_id)
    if not reason:
        raise ValidationError({"reason": "Give the reason for closing the court case."})
    today = timezone.localdate(at)
    court_case.closed_on = today
    court_case.save(update_fields=["closed_on"])
    _event(court_case.account_id, happened_on=today, by=by, at=at,
           summary=f"Court case closed (applied for on {_day(court_case.applied_on)})",
           detail=reason)
    return court_case
