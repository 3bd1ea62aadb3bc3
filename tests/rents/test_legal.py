"""The NOSP and the court (rents.legal): a notice's time in force, recording one by hand and
correcting its served date; the application to the court, the hearing, its outcome, the
warrant and the eviction, each refused with its reason when out of order and each adding one
LEGAL row to the case diary; accepting the "apply for a court date" recommendation opening the
court case; the arrears run held back by a hearing date; the case page's section; and who may
see and record each step."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils.html import escape
from freezegun import freeze_time

from rents import casework, legal, legal_panel
from rents.arrears import run_arrears
from rents.models import (
    ArrearsStage,
    CaseEvent,
    CourtCase,
    Pause,
    PossessionNotice,
    Recommendation,
)
from tests.rents.test_casework import AT, TODAY, let_home, recommend

pytestmark = pytest.mark.django_db
LEGAL = CaseEvent.Kind.LEGAL
SERVED = date(2026, 10, 1)  # a notice in force today (9 December 2026), 28 days old long ago
APPLIED = date(2026, 11, 2)
HEARING = date(2026, 12, 1)  # a hearing that has happened


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


@pytest.fixture
def account(north):
    return let_home(north, address="12 Mill Lane", names=(("Ada", "Quick"),))


@pytest.fixture
def south_account(south):
    return let_home(south, address="3 Far Road", names=(("Sid", "South"),))


def _default_stage(code) -> ArrearsStage:
    """A stage of the default policy (shipped by a data migration, in force today)."""
    return ArrearsStage.objects.get(policy__effective_from=date(2024, 4, 1), code=code)


def _notice(account, by, served_on=SERVED) -> PossessionNotice:
    return legal.record_notice(account_id=account.pk, served_on=served_on, by=by, at=AT)


def _court_case(account, by, *, served_on=SERVED, applied_on=APPLIED, hearing=None,
                outcome="", terms="") -> CourtCase:
    """A court case made through the services, up to the step asked for."""
    _notice(account, by, served_on)
    court_case = legal.apply_to_court(account_id=account.pk, applied_on=applied_on, by=by,
                                      at=AT)
    if hearing:
        legal.set_hearing_date(court_case_id=court_case.pk, hearing_date=hearing, by=by, at=AT)
    if outcome:
        legal.record_outcome(court_case_id=court_case.pk, outcome=outcome,
                             outcome_date=hearing, order_terms=terms, by=by, at=AT)
    court_case.refresh_from_db()
    return court_case


def _legal_rows(account) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(account=account, kind=LEGAL).order_by("pk"))


def _refused(call, **kwargs) -> str:
    with pytest.raises(ValidationError) as refusal:
        call(**kwargs)
    return " ".join(refusal.value.messages)


# --- The notice -------------------------------------------------------------------------------


@pytest.mark.parametrize(("on", "in_force"), [
    (date(2025, 11, 29), False),  # before it was served
    (date(2025, 11, 30), True),  # the day it was served
    (date(2026, 11, 29), True),  # the last day
    (date(2026, 11, 30), False),  # the expiry day itself: no longer in force
])
def test_a_notice_is_in_force_from_service_to_the_day_before_it_expires(on, in_force):
    notice = PossessionNotice(served_on=date(2025, 11, 30), expires_on=date(2026, 11, 30))
    assert legal.in_force(notice, on=on) is in_force


def test_a_notice_recorded_by_hand_expires_a_year_later_and_counts_as_the_nosp_stage(
        account, income_officer):
    notice = legal.record_notice(account_id=account.pk, served_on=SERVED, how="By hand",
                                 by=income_officer, at=AT)
    assert (notice.served_on, notice.expires_on) == (SERVED, date(2027, 10, 1))
    assert notice.created_by == income_officer
    [row] = _legal_rows(account)
    assert row.happened_on == SERVED and row.created_by == income_officer
    assert row.summary == ("Notice of Seeking Possession served: in force until it expires on "
                           "1 October 2027")
    assert "By hand" in row.detail
    # The arrears run reads it as the policy's NOSP stage taken that day.
    assert row.stage == _default_stage("nosp") and row.action == "nosp"


@pytest.mark.parametrize(("existing", "served_on", "message"), [
    (None, date(2026, 12, 10), "The date the notice was served must be today or in the past."),
    (None, None, "Enter the date the notice was served."),
    (None, date(2019, 12, 31), "The tenancy began on 6 January 2020: a notice cannot have been "
                               "served before it."),
    (SERVED, date(2026, 12, 1),
     "The NOSP served on 1 October 2026 is in force on 1 December 2026 (it expires on 1 "
     "October 2027): a second notice cannot be recorded while one is in force."),
    (SERVED, date(2026, 1, 1),
     "A NOSP was served on 1 October 2026, while a notice served on 1 January 2026 would "
     "still be in force: a second notice cannot be recorded while one is in force. Correct "
     "that notice's served date instead."),
])
def test_a_notice_is_refused_with_its_reason(account, income_officer, existing, served_on,
                                             message):
    if existing:
        _notice(account, income_officer, existing)
    before = CaseEvent.objects.count()
    assert _refused(legal.record_notice, account_id=account.pk, served_on=served_on,
                    by=income_officer, at=AT) == message
    assert PossessionNotice.objects.count() == (1 if existing else 0)
    assert CaseEvent.objects.count() == before


def test_a_new_notice_may_be_served_on_the_day_the_last_one_expires(account, income_officer):
    _notice(account, income_officer, date(2025, 11, 30))
    notice = _notice(account, income_officer, date(2026, 11, 30))
    assert notice.expires_on == date(2027, 11, 30)
    assert len(_legal_rows(account)) == 2


def test_no_notice_is_recorded_on_a_day_recovery_was_paused(account, income_officer):
    Pause.objects.create(account=account, kind=Pause.Kind.OFFICER, start_date=date(2026, 11, 1),
                         end_date=date(2026, 11, 30), reason="In hospital", created_at=AT)
    assert _refused(legal.record_notice, account_id=account.pk, served_on=date(2026, 11, 15),
                    by=income_officer, at=AT) == (
        "Recovery is paused from 1 November 2026 to 30 November 2026 (Officer's pause): a "
        "notice cannot be dated 15 November 2026, while the pause is in force.")
    assert _notice(account, income_officer, date(2026, 12, 1)).served_on == date(2026, 12, 1)


def test_correcting_the_served_date_moves_the_expiry_and_the_diary_says_what_it_was(
        account, income_officer):
    notice = _notice(account, income_officer)
    legal.correct_notice_served_date(notice_id=notice.pk, served_on=date(2026, 10, 3),
                                     reason="Posted on the 3rd", by=income_officer, at=AT)
    notice.refresh_from_db()
    assert (notice.served_on, notice.expires_on) == (date(2026, 10, 3), date(2027, 10, 3))
    first, correction = _legal_rows(account)
    assert correction.summary == "NOSP served date corrected to 3 October 2026 (it was 1 " \
                                 "October 2026)"
    assert correction.detail == ("It now expires on 3 October 2027 (it was 1 October 2027).\n"
                                 "Posted on the 3rd")
    assert correction.happened_on == date(2026, 10, 3) and correction.stage == first.stage


@pytest.mark.parametrize(("served_on", "reason", "message"), [
    (SERVED, "Typo", "The notice already says it was served on 1 October 2026."),
    (date(2026, 12, 10), "Typo", "The date the notice was served must be today or in the "
                                 "past."),
    (date(2026, 10, 3), "", "Give the reason for correcting the date."),
    # The court application of 2 November 2026 relies on it: served later, it would not
    # have been 28 days old.
    (date(2026, 10, 10), "Typo",
     "The application to the court on 2 November 2026 relies on this notice: served on 10 "
     "October 2026, it could support an application only from 7 November 2026 to 9 October "
     "2027."),
])
def test_a_correction_is_refused_with_its_reason(account, income_officer, served_on, reason,
                                                 message):
    court_case = _court_case(account, income_officer)
    before = CaseEvent.objects.count()
    assert _refused(legal.correct_notice_served_date, notice_id=court_case.notice_id,
                    served_on=served_on, reason=reason, by=income_officer, at=AT) == message
    assert PossessionNotice.objects.get().served_on == SERVED
    assert CaseEvent.objects.count() == before


# --- The application to the court -------------------------------------------------------------


@pytest.mark.parametrize(("served_on", "applied_on", "message"), [
    (None, date(2026, 12, 1),
     "No NOSP has been served on this tenancy: the court cannot be asked for possession "
     "without a notice in force. Record the notice first."),
    # Served 30 November 2025, it expires on 30 November 2026: that day it is not in force.
    (date(2025, 11, 30), date(2026, 11, 30),
     "The NOSP served on 30 November 2025 expired on 30 November 2026: no notice is in force "
     "on 30 November 2026. Serve a new notice before applying to the court."),
    (date(2025, 11, 30), date(2026, 11, 29), None),  # its last day in force
    (date(2026, 11, 20), date(2026, 12, 9),
     "The NOSP was served on 20 November 2026: the court cannot be applied to until 28 days "
     "after it, on 18 December 2026."),
    (SERVED, date(2026, 10, 28),
     "The NOSP was served on 1 October 2026: the court cannot be applied to until 28 days "
     "after it, on 29 October 2026."),
    (SERVED, date(2026, 10, 29), None),  # 28 days after
    (SERVED, date(2026, 9, 30),
     "No NOSP was in force on 30 September 2026: the first was served on 1 October 2026."),
    (SERVED, date(2026, 12, 10), "The date of the application must be today or in the past."),
])
def test_an_application_needs_a_notice_in_force_that_day(account, income_officer, served_on,
                                                          applied_on, message):
    if served_on:
        _notice(account, income_officer, served_on)
    before = len(_legal_rows(account))
    if message is None:
        court_case = legal.apply_to_court(account_id=account.pk, applied_on=applied_on,
                                          note="Claim K00EX123", by=income_officer, at=AT)
        assert court_case.notice == PossessionNotice.objects.get()
        row = _legal_rows(account)[-1]
        assert row.happened_on == applied_on and "Claim K00EX123" in row.detail
        assert row.stage == _default_stage("court-application")
        assert len(_legal_rows(account)) == before + 1
    else:
        assert _refused(legal.apply_to_court, account_id=account.pk, applied_on=applied_on,
                        by=income_officer, at=AT) == message
        assert not CourtCase.objects.exists() and len(_legal_rows(account)) == before


def test_one_open_court_case_an_account(account, income_officer):
    court_case = _court_case(account, income_officer)
    assert _refused(legal.apply_to_court, account_id=account.pk, applied_on=TODAY,
                    by=income_officer, at=AT) == (
        "A court case is already open on this account (applied for on 2 November 2026): close "
        "it before applying again.")
    legal.close_court_case(court_case_id=court_case.pk, reason="Claim withdrawn",
                           by=income_officer, at=AT)
    again = legal.apply_to_court(account_id=account.pk, applied_on=TODAY, by=income_officer,
                                 at=AT)
    assert CourtCase.objects.count() == 2 and again.closed_on is None


# --- The hearing and its outcome ----------------------------------------------------------------


@pytest.mark.parametrize(("hearing", "message"), [
    (date(2026, 11, 1), "The application to the court was made on 2 November 2026: the hearing "
                        "cannot be before it."),
    (None, "Enter the date of the hearing."),
    (APPLIED, None),  # the day of the application
    (date(2027, 1, 14), None),
])
def test_the_hearing_is_on_or_after_the_application(account, income_officer, hearing, message):
    court_case = _court_case(account, income_officer)
    before = len(_legal_rows(account))
    if message:
        assert _refused(legal.set_hearing_date, court_case_id=court_case.pk,
                        hearing_date=hearing, by=income_officer, at=AT) == message
        assert len(_legal_rows(account)) == before
    else:
        legal.set_hearing_date(court_case_id=court_case.pk, hearing_date=hearing,
                               by=income_officer, at=AT)
        court_case.refresh_from_db()
        assert court_case.hearing_date == hearing
        assert _legal_rows(account)[-1].summary == f"Hearing date set: {hearing:%-d %B %Y}"


def test_a_hearing_may_be_moved_until_it_has_an_outcome(account, income_officer):
    court_case = _court_case(account, income_officer, hearing=HEARING)
    legal.set_hearing_date(court_case_id=court_case.pk, hearing_date=date(2026, 12, 2),
                           by=income_officer, at=AT)
    assert _legal_rows(account)[-1].summary == ("Hearing moved to 2 December 2026 (it was 1 "
                                                "December 2026)")
    legal.record_outcome(court_case_id=court_case.pk, outcome="outright",
                         outcome_date=date(2026, 12, 2), by=income_officer, at=AT)
    assert _refused(legal.set_hearing_date, court_case_id=court_case.pk,
                    hearing_date=date(2027, 1, 5), by=income_officer, at=AT) == (
        "The hearing on 2 December 2026 ended in outright possession order: its date can no "
        "longer be changed.")


@pytest.mark.parametrize(("hearing", "outcome", "outcome_date", "terms", "message"), [
    (HEARING, "outright", date(2026, 11, 30), "",
     "The hearing was on 1 December 2026: its outcome cannot be recorded before then."),
    (HEARING, "outright", HEARING, "", None),  # the day of the hearing
    (date(2026, 12, 10), "outright", TODAY, "",
     "The hearing is on 10 December 2026: its outcome cannot be recorded before then."),
    (None, "outright", HEARING, "",
     "No hearing date is recorded: record the hearing date before its outcome."),
    (HEARING, "outright", date(2026, 12, 10), "",
     "The date of the outcome must be today or in the past."),
    (HEARING, "suspended", HEARING, "",
     "Enter the terms of the suspended possession order, for example: current rent plus £5 "
     "a week."),
    (HEARING, "suspended", HEARING, "Current rent plus £5 a week", None),
    (HEARING, "adjourned", date(2026, 12, 3), "", None),
    (HEARING, "", HEARING, "", "Select the outcome of the hearing."),
])
def test_an_outcome_is_not_before_its_hearing(account, income_officer, hearing, outcome,
                                              outcome_date, terms, message):
    court_case = _court_case(account, income_officer, hearing=hearing)
    before = len(_legal_rows(account))
    kwargs = {"court_case_id": court_case.pk, "outcome": outcome, "outcome_date": outcome_date,
              "order_terms": terms, "by": income_officer, "at": AT}
    if message:
        assert _refused(legal.record_outcome, **kwargs) == message
        court_case.refresh_from_db()
        assert court_case.outcome == "" and court_case.outcome_date is None
        assert len(_legal_rows(account)) == before
    else:
        legal.record_outcome(**kwargs)
        court_case.refresh_from_db()
        assert (court_case.outcome, court_case.outcome_date) == (outcome, outcome_date)
        assert court_case.order_terms == terms
        row = _legal_rows(account)[-1]
        assert row.happened_on == outcome_date and len(_legal_rows(account)) == before + 1
        assert row.summary.startswith("Hearing on 1 December 2026: ")


def test_an_adjourned_hearing_can_be_given_its_next_date_at_once(account, income_officer):
    court_case = _court_case(account, income_officer, hearing=HEARING)
    before = len(_legal_rows(account))
    legal.record_outcome(court_case_id=court_case.pk, outcome="adjourned", outcome_date=HEARING,
                         next_hearing_date=date(2027, 1, 14), by=income_officer, at=AT)
    court_case.refresh_from_db()
    assert court_case.hearing_date == date(2027, 1, 14)
    assert (court_case.outcome, court_case.outcome_date) == ("", None)  # for the new hearing
    assert len(_legal_rows(account)) == before + 1
    assert _legal_rows(account)[-1].summary == ("Hearing on 1 December 2026: adjourned to 14 "
                                                "January 2027")
    # The adjournment stays in the court case's history, and the case page shows it.
    panel = legal_panel.case_panel(account, user=income_officer, today=TODAY)
    rows = {row["key"]: row["value"] for row in panel["court_cases"][0].rows}
    assert rows["Earlier hearing"] == "1 December 2026: adjourned on 1 December 2026"
    assert rows["Hearing"] == "14 January 2027"


def test_an_adjourned_hearing_waits_for_its_next_date(account, income_officer):
    court_case = _court_case(account, income_officer, hearing=HEARING, outcome="adjourned")
    assert (court_case.hearing_date, court_case.outcome_date) == (HEARING, HEARING)
    assert [link.text for link in legal_panel.next_steps(court_case, today=TODAY)] == [
        "Set the next hearing date", "Close the court case"]
    assert _refused(legal.record_outcome, court_case_id=court_case.pk, outcome="outright",
                    outcome_date=TODAY, by=income_officer, at=AT) == (
        "The hearing on 1 December 2026 was adjourned: set the next hearing date before "
        "recording an outcome.")
    assert _refused(legal.set_hearing_date, court_case_id=court_case.pk,
                    hearing_date=date(2026, 11, 30), by=income_officer, at=AT) == (
        "The hearing was adjourned on 1 December 2026: the next hearing cannot be before then.")
    legal.set_hearing_date(court_case_id=court_case.pk, hearing_date=date(2027, 1, 14),
                           by=income_officer, at=AT)
    court_case.refresh_from_db()
    assert (court_case.hearing_date, court_case.outcome) == (date(2027, 1, 14), "")
    assert _legal_rows(account)[-1].summary == ("Next hearing set for 14 January 2027 (the "
                                                "hearing on 1 December 2026 was adjourned)")


def test_a_next_hearing_date_is_only_for_an_adjournment(account, income_officer):
    court_case = _court_case(account, income_officer, hearing=HEARING)
    assert _refused(legal.record_outcome, court_case_id=court_case.pk, outcome="outright",
                    outcome_date=HEARING, next_hearing_date=date(2027, 1, 14),
                    by=income_officer, at=AT) == (
        "Only an adjourned hearing has a next hearing date: leave it empty for this outcome.")


def test_a_dismissed_claim_closes_the_court_case(account, income_officer):
    court_case = _court_case(account, income_officer, hearing=HEARING, outcome="dismissed")
    assert court_case.closed_on == HEARING
    assert _legal_rows(account)[-1].summary == ("Hearing on 1 December 2026: dismissed or "
                                                "withdrawn (the court case is closed)")
    assert legal_panel.next_steps(court_case, today=TODAY) == []
    assert _refused(legal.record_warrant, court_case_id=court_case.pk, applied_on=TODAY,
                    by=income_officer, at=AT) == (
        "This court case was closed on 1 December 2026: nothing more can be recorded on it.")


# --- The warrant and the eviction --------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "applied_on", "message"), [
    ("", HEARING, "A warrant can be applied for only after a suspended or outright possession "
                  "order: no order has been recorded."),
    ("adjourned", HEARING, "A warrant can be applied for only after a suspended or outright "
                           "possession order: the hearing on 1 December 2026 was adjourned."),
    ("suspended", date(2026, 11, 30),
     "The suspended possession order was made on 1 December 2026: the warrant cannot be "
     "applied for before it."),
    ("suspended", HEARING, None),  # the day of the order
    ("outright", date(2026, 12, 3), None),
    ("outright", date(2026, 12, 10), "The date of the warrant application must be today or in "
                                     "the past."),
])
def test_a_warrant_follows_an_order(account, income_officer, outcome, applied_on, message):
    court_case = _court_case(account, income_officer, hearing=HEARING, outcome=outcome,
                             terms="Current rent plus £5 a week" if outcome else "")
    before = len(_legal_rows(account))
    kwargs = {"court_case_id": court_case.pk, "applied_on": applied_on, "by": income_officer,
              "at": AT}
    if message:
        assert _refused(legal.record_warrant, **kwargs) == message
        court_case.refresh_from_db()
        assert court_case.warrant_applied_on is None
        assert len(_legal_rows(account)) == before
    else:
        legal.record_warrant(**kwargs)
        court_case.refresh_from_db()
        assert court_case.warrant_applied_on == applied_on
        assert len(_legal_rows(account)) == before + 1
        assert _legal_rows(account)[-1].happened_on == applied_on


@pytest.mark.parametrize(("warrant", "eviction", "message", "summary"), [
    (None, date(2027, 1, 20), "No warrant has been applied for: the eviction date comes after "
                              "the warrant.", None),
    (date(2026, 12, 3), date(2026, 12, 3), "The warrant was applied for on 3 December 2026: "
                                           "the eviction must be after that.", None),
    (date(2026, 12, 3), date(2026, 12, 4), None, "Eviction carried out on 4 December 2026"),
    (date(2026, 12, 3), date(2027, 1, 20), None, "Eviction booked for 20 January 2027"),
])
def test_the_eviction_comes_after_the_warrant(account, income_officer, warrant, eviction,
                                              message, summary):
    court_case = _court_case(account, income_officer, hearing=HEARING, outcome="outright")
    if warrant:
        legal.record_warrant(court_case_id=court_case.pk, applied_on=warrant,
                             by=income_officer, at=AT)
    before = len(_legal_rows(account))
    kwargs = {"court_case_id": court_case.pk, "eviction_date": eviction, "by": income_officer,
              "at": AT}
    if message:
        assert _refused(legal.set_eviction_date, **kwargs) == message
        assert len(_legal_rows(account)) == before
    else:
        legal.set_eviction_date(**kwargs)
        court_case.refresh_from_db()
        assert court_case.eviction_date == eviction
        assert _legal_rows(account)[-1].summary == summary
        assert len(_legal_rows(account)) == before + 1


def test_every_step_adds_one_legal_diary_row(account, income_officer):
    by = {"by": income_officer, "at": AT}
    counts = []

    def step(call, **kwargs):
        call(**kwargs, **by)
        counts.append(len(_legal_rows(account)))

    step(legal.record_notice, account_id=account.pk, served_on=date(2026, 9, 28))
    notice = PossessionNotice.objects.get()
    step(legal.correct_notice_served_date, notice_id=notice.pk, served_on=SERVED,
         reason="Typo")
    step(legal.apply_to_court, account_id=account.pk, applied_on=APPLIED)
    court_case = CourtCase.objects.get()
    step(legal.set_hearing_date, court_case_id=court_case.pk, hearing_date=date(2026, 11, 20))
    step(legal.record_outcome, court_case_id=court_case.pk, outcome="adjourned",
         outcome_date=date(2026, 11, 20))
    step(legal.set_hearing_date, court_case_id=court_case.pk, hearing_date=HEARING)
    step(legal.record_outcome, court_case_id=court_case.pk, outcome="suspended",
         outcome_date=HEARING, order_terms="Current rent plus £5 a week")
    step(legal.record_warrant, court_case_id=court_case.pk, applied_on=date(2026, 12, 7))
    step(legal.set_eviction_date, court_case_id=court_case.pk, eviction_date=date(2027, 1, 20))
    step(legal.set_eviction_date, court_case_id=court_case.pk, eviction_date=date(2027, 1, 27))
    step(legal.close_court_case, court_case_id=court_case.pk, reason="Arrears cleared")
    assert counts == list(range(1, 12))
    rows = _legal_rows(account)
    assert all(row.created_by == income_officer and row.created_at == AT for row in rows)
    assert rows[9].summary == "Eviction booked for 27 January 2027 (it was booked for 20 " \
                              "January 2027)"
    assert (rows[10].summary, rows[10].detail) == (
        "Court case closed (applied for on 2 November 2026)", "Arrears cleared")
    court_case.refresh_from_db()
    assert court_case.closed_on == TODAY
    assert court_case.order_terms == "Current rent plus £5 a week"
    assert court_case.history.count() == 9  # one a change: adjourned, then relisted, apart


def test_closing_needs_a_reason(account, income_officer):
    court_case = _court_case(account, income_officer)
    assert _refused(legal.close_court_case, court_case_id=court_case.pk, reason=" ",
                    by=income_officer, at=AT) == "Give the reason for closing the court case."
    court_case.refresh_from_db()
    assert court_case.closed_on is None


# --- The recommendation and the arrears run ---------------------------------------------------


def test_accepting_the_court_application_recommendation_opens_the_court_case(
        account, income_officer):
    notice = _notice(account, income_officer)
    recommendation = recommend(account, _default_stage("court-application"))
    event = casework.accept_recommendation(recommendation_id=recommendation.pk,
                                           by=income_officer, at=AT)
    court_case = CourtCase.objects.get()
    assert (court_case.account, court_case.notice, court_case.applied_on) == (
        account, notice, TODAY)
    assert event.kind == CaseEvent.Kind.ACTION and event.stage.code == "court-application"
    assert len(_legal_rows(account)) == 1  # only the notice's: the acceptance is the record


def test_the_court_application_recommendation_is_refused_without_a_notice_in_force(
        account, income_officer):
    _notice(account, income_officer, date(2025, 11, 30))  # expired on 30 November 2026
    recommendation = recommend(account, _default_stage("court-application"))
    assert _refused(casework.accept_recommendation, recommendation_id=recommendation.pk,
                    by=income_officer, at=AT) == (
        "The NOSP served on 30 November 2025 expired on 30 November 2026: no notice is in "
        "force on 9 December 2026. Serve a new notice before applying to the court.")
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.OPEN
    assert not CourtCase.objects.exists()
    assert CaseEvent.objects.filter(account=account).count() == 1  # the notice's


def test_the_case_page_says_before_the_click_why_the_court_cannot_be_applied_to(
        client_for, account, income_officer):
    _notice(account, income_officer, date(2025, 11, 30))  # expired on 30 November 2026
    recommend(account, _default_stage("court-application"))
    page = " ".join(client_for(income_officer).get(
        f"/rents/arrears/accounts/{account.pk}/").content.decode().split())
    assert ("The NOSP served on 30 November 2025 expired on 30 November 2026: no notice is in "
            "force on 9 December 2026.") in page
    assert "Accept: Apply for a court date" not in page  # no button to a refusal


def test_the_arrears_run_holds_back_once_a_hearing_date_is_set(account, income_officer):
    court_case = _court_case(account, income_officer)
    run_arrears(as_of=TODAY, by=None, at=AT)
    # The NOSP recorded by hand counts: 69 days after it, the court warning is due.
    open_one = Recommendation.objects.get(account=account, status="open")
    assert open_one.stage.code == "court-warning"
    legal.set_hearing_date(court_case_id=court_case.pk, hearing_date=date(2027, 1, 14),
                           by=income_officer, at=AT)
    result = run_arrears(as_of=TODAY, by=None, at=AT)
    assert result.held == {"Court or eviction date set": 1}
    open_one.refresh_from_db()
    assert open_one.status == Recommendation.Status.WITHDRAWN
    assert "a court hearing or eviction date is set for 14 January 2027" in \
        open_one.decision_note
    assert not Recommendation.objects.filter(account=account, status="open").exists()


# --- The case page ------------------------------------------------------------------------------


def _case_page(client, account) -> str:
    response = client.get(f"/rents/arrears/accounts/{account.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_shows_the_notice_and_the_next_steps_only(client_for, income_officer,
                                                                account):
    client = client_for(income_officer)
    page = _case_page(client, account)
    assert "No Notice of Seeking Possession has been served on this tenancy." in page
    assert "Record a NOSP served" in page
    assert "Record an application to the court" not in page

    court_case = _court_case(account, income_officer, hearing=date(2027, 1, 14))
    page = _case_page(client, account)
    assert "1 October 2027: 296 days left (the last day it is in force is 30 September " \
           "2027)" in page
    assert "Court case applied for on 2 November 2026" in page
    assert "under the NOSP served on 1 October 2026" in page and "14 January 2027" in page
    assert f"/rents/arrears/court-cases/{court_case.pk}/hearing/" in page  # change it
    assert f"/rents/arrears/court-cases/{court_case.pk}/close/" in page
    for step in ("outcome", "warrant", "eviction"):  # not possible yet
        assert f"/rents/arrears/court-cases/{court_case.pk}/{step}/" not in page
    assert "Record a NOSP served" not in page  # one is in force
    assert "Record an application to the court" not in page  # a court case is open


def test_the_case_page_says_when_a_notice_expired(client_for, income_officer, account):
    _notice(account, income_officer, date(2025, 11, 30))
    page = _case_page(client_for(income_officer), account)
    assert "Expired on 30 November 2026" in page
    assert "Record a NOSP served" in page


def test_the_court_application_is_offered_once_the_notice_is_28_days_old(
        client_for, income_officer, account):
    _notice(account, income_officer, date(2026, 11, 20))
    page = _case_page(client_for(income_officer), account)
    assert "Can be made from 18 December 2026" in page
    assert "Record an application to the court" not in page
    with freeze_time("2026-12-18 10:00:00"):
        page = _case_page(client_for(income_officer), account)
    assert "Record an application to the court" in page


def test_an_order_shows_its_terms_and_offers_the_warrant(client_for, income_officer, account):
    court_case = _court_case(account, income_officer, hearing=HEARING, outcome="suspended",
                             terms="Current rent plus £5 a week")
    page = _case_page(client_for(income_officer), account)
    assert "Suspended possession order, 1 December 2026" in page
    assert "Current rent plus £5 a week" in page
    assert f"/rents/arrears/court-cases/{court_case.pk}/warrant/" in page
    assert f"/rents/arrears/court-cases/{court_case.pk}/outcome/" not in page


# --- Who may see and do what -------------------------------------------------------------------


@pytest.fixture
def court_case(account, income_officer):
    """A court case whose hearing has happened, with no outcome yet."""
    return _court_case(account, income_officer, hearing=HEARING)


def _pages(account, court_case) -> list[str]:
    case = f"/rents/arrears/court-cases/{court_case.pk}"
    return [f"/rents/arrears/accounts/{account.pk}/legal/notices/new/",
            f"/rents/arrears/accounts/{account.pk}/legal/notices/{court_case.notice_id}/"
            f"served-date/",
            f"/rents/arrears/accounts/{account.pk}/legal/court-application/",
            f"{case}/hearing/", f"{case}/outcome/", f"{case}/warrant/", f"{case}/eviction/",
            f"{case}/close/"]


def _posts(account, court_case) -> list[tuple[str, dict]]:
    """Every POST, with data that would succeed, in an order that lets each succeed."""
    notice_new, correct, application, hearing, outcome, warrant, eviction, close = _pages(
        account, court_case)
    return [
        (correct, {"served_on": "2026-10-02", "reason": "Served a day later"}),
        (hearing, {"hearing_date": "2026-12-02"}),
        (outcome, {"outcome": "outright", "outcome_date": "2026-12-02",
                   "order_terms": "Possession by 30 December 2026"}),
        (warrant, {"applied_on": "2026-12-08"}),
        (eviction, {"eviction_date": "2027-01-20"}),
        (close, {"reason": "Evicted"}),
        (application, {"applied_on": "2026-12-09", "note": "Claim K00EX124"}),
        (notice_new, {"served_on": "2026-12-09"}),  # refused: one is in force (a 200)
    ]


def _nothing_changed(court_case, events: int):
    court_case.refresh_from_db()
    assert (court_case.hearing_date, court_case.outcome, court_case.closed_on) == (
        HEARING, "", None)
    assert PossessionNotice.objects.get().served_on == SERVED
    assert CourtCase.objects.count() == 1 and CaseEvent.objects.count() == events


@pytest.mark.parametrize("persona", ["income_officer", "team_leader"])
def test_income_roles_open_every_page(client_for, request, persona, account, court_case):
    client = client_for(request.getfixturevalue(persona))
    for path in _pages(account, court_case):
        assert client.get(path).status_code == 200, path


def test_an_income_officer_records_every_step(client_for, team_leader, account, court_case):
    client = client_for(team_leader)
    before = len(_legal_rows(account))
    for path, data in _posts(account, court_case)[:-1]:
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.content.decode()[:3000])
        assert response.url == f"/rents/arrears/accounts/{account.pk}/"
    court_case.refresh_from_db()
    assert (court_case.outcome, court_case.eviction_date, court_case.closed_on) == (
        "outright", date(2027, 1, 20), TODAY)
    new = CourtCase.objects.exclude(pk=court_case.pk).get()
    assert new.applied_on == TODAY and new.notice_id == court_case.notice_id
    assert len(_legal_rows(account)) == before + 7
    assert CaseEvent.objects.filter(kind=LEGAL, created_by=team_leader).count() == 7
    path, data = _posts(account, court_case)[-1]
    page = client.post(path, data).content.decode()
    assert "There is a problem" in page
    assert escape("The NOSP served on 2 October 2026 is in force on 9 December 2026") in page


def test_a_housing_officer_sees_but_cannot_act(client_for, officer, account, court_case):
    client = client_for(officer)
    page = _case_page(client, account)
    assert "Court case applied for on 2 November 2026" in page
    assert "Notice of Seeking Possession" in page
    for words in ("Record a NOSP served", "/legal/", "/court-cases/"):
        assert words not in page, words
    events = CaseEvent.objects.count()
    for path in _pages(account, court_case):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(account, court_case):
        assert client.post(path, data).status_code == 403, path
    _nothing_changed(court_case, events)


@pytest.mark.parametrize("persona", ["customer_access", "repairs_officer", "council_tax",
                                     "no_access", "tenant"])
def test_roles_without_arrears_are_refused(client_for, request, persona, account, court_case):
    client = client_for(request.getfixturevalue(persona))
    events = CaseEvent.objects.count()
    for path in _pages(account, court_case):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(account, court_case):
        assert client.post(path, data).status_code == 403, path
    _nothing_changed(court_case, events)


def test_anonymous_visitors_are_sent_to_sign_in(client_for, account, court_case):
    client = client_for(None)
    events = CaseEvent.objects.count()
    for path in _pages(account, court_case):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    for path, data in _posts(account, court_case):
        response = client.post(path, data)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    _nothing_changed(court_case, events)


def test_a_case_off_the_officers_patches_is_not_found(client_for, income_officer, officer,
                                                      team_leader, south_account):
    court_case = _court_case(south_account, team_leader, hearing=HEARING)
    events = CaseEvent.objects.count()
    for user in (income_officer, officer):
        client = client_for(user)
        for path in _pages(south_account, court_case):
            assert client.get(path).status_code == 404, (user, path)
        for path, data in _posts(south_account, court_case):
            assert client.post(path, data).status_code == 404, (user, path)
    _nothing_changed(court_case, events)


def test_a_notice_of_another_account_is_not_found(client_for, income_officer, account,
                                                  court_case, north):
    other = let_home(north, address="14 Mill Lane", names=(("Cy", "Next"),))
    client = client_for(income_officer)
    path = f"/rents/arrears/accounts/{other.pk}/legal/notices/{court_case.notice_id}/" \
           f"served-date/"
    assert client.get(path).status_code == 404
    assert client.post(path, {"served_on": "2026-10-02", "reason": "x"}).status_code == 404
    assert PossessionNotice.objects.get().served_on == SERVED


# --- A form page --------------------------------------------------------------------------------


def test_a_refused_outcome_shows_the_error_summary_and_keeps_what_was_typed(
        client_for, income_officer, account, court_case):
    client = client_for(income_officer)
    response = client.post(f"/rents/arrears/court-cases/{court_case.pk}/outcome/", {
        "outcome": "suspended", "outcome_date": "2026-11-30",
        "order_terms": "Current rent plus £5 a week"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Record the outcome of the hearing" in page
    assert "There is a problem" in page
    assert ("The hearing was on 1 December 2026: its outcome cannot be recorded before "
            "then.") in page
    assert 'href="#id_outcome_date"' in page  # the summary links to the field
    assert 'value="2026-11-30"' in page
    assert "Current rent plus £5 a week</textarea>" in page
    assert re.search(r'value="suspended"[^>]*checked', page)
    assert not re.search(r'value="outright"[^>]*checked', page)
    court_case.refresh_from_db()
    assert court_case.outcome == ""
