"""Awaab's Law hazard cases: the clocks (working days over Christmas, New Year and Easter, the
24-hour emergency clock), each step and its refusals, closing with clocks running, escalation
of overdue cases (once), the written summary as a PDF and the evidence pack."""

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from freezegun import freeze_time
from pypdf import PdfReader

from repairs import awaab
from repairs.awaab import ClockState, clock_states
from repairs.models import HazardCase, HazardEvent, HazardRule, RepairRequest

pytestmark = pytest.mark.django_db

AWARE = datetime(2026, 12, 23, 10, 15, tzinfo=UTC)  # Wednesday 23 December 2026, 10:15am
AT = AWARE + timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
                    .split())


def open_case(home, *, severity="significant", aware_at=AWARE, at=None, by=None,
              description="Black mould on the bedroom wall", request_id=None):
    return awaab.open_case(property_id=home.pk, request_id=request_id,
                           description=description, severity=severity, aware_at=aware_at,
                           by=by, at=at or max(aware_at, AT))


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# --- The clocks, by hand with housing.workdays' rules (the day itself never counts) ------------


@pytest.mark.parametrize(("aware_on", "due"), [
    # 24 Dec (1); 25 Christmas, 26-27 weekend, 28 Boxing Day (substitute); 29 (2), 30 (3),
    # 31 (4); 1 Jan New Year's Day, 2-3 weekend; 4 (5) ... 8 (9), 11 January (10).
    (date(2026, 12, 23), date(2027, 1, 11)),
    # 25 and 26 December 2025 (Thursday, Friday) holidays, 27-28 weekend; 29 (1), 30 (2),
    # 31 (3); 1 January 2026 a holiday; 2 (4); 5 (5) ... 9 (9), 12 January (10).
    (date(2025, 12, 24), date(2026, 1, 12)),
    # Easter 2027: Good Friday 26 March, Easter Monday 29 March: 30 March (1) ... 12 April (10).
    (date(2027, 3, 25), date(2027, 4, 12)),
    # Easter 2026: Good Friday 3 April, Easter Monday 6 April: 7 April (1) ... 20 April (10).
    (date(2026, 4, 2), date(2026, 4, 20)),
    (date(2026, 12, 9), date(2026, 12, 23)),  # an ordinary fortnight
])
def test_a_significant_hazard_is_investigated_within_10_working_days(home, aware_on, due):
    aware_at = _at(aware_on, 10)
    case = open_case(home, aware_at=aware_at)
    assert case.reference.startswith("AW") and len(case.reference) == 8
    assert case.investigate_due == due
    assert case.make_safe_due_at is None
    assert case.rule == HazardRule.objects.get(hazard="damp_mould")


def test_an_emergency_is_made_safe_within_24_hours(home, repairs_officer):
    aware_at = datetime(2026, 12, 23, 16, 40, tzinfo=UTC)
    case = open_case(home, severity="emergency", aware_at=aware_at, by=repairs_officer)
    assert case.make_safe_due_at == datetime(2026, 12, 24, 16, 40, tzinfo=UTC)
    assert case.investigate_due == date(2026, 12, 24)
    # 24 hours on the clock over a holiday: Christmas Eve evening to Christmas Day.
    late = open_case(home, severity="emergency",
                     aware_at=datetime(2026, 12, 24, 21, 0, tzinfo=UTC),
                     at=datetime(2026, 12, 24, 21, 5, tzinfo=UTC))
    assert late.make_safe_due_at == datetime(2026, 12, 25, 21, 0, tzinfo=UTC)
    assert late.investigate_due == date(2026, 12, 25)


def test_24_hours_are_24_hours_when_the_clocks_go_forward(home):
    # British Summer Time starts at 1am on Sunday 29 March 2026.
    aware_at = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # noon in London
    case = open_case(home, severity="emergency", aware_at=aware_at, at=aware_at)
    assert case.make_safe_due_at - case.aware_at == timedelta(hours=24)
    assert case.make_safe_due_at == datetime(2026, 3, 29, 12, 0, tzinfo=UTC)  # 1pm BST


def test_opening_writes_the_timeline(home, repairs_officer):
    case = open_case(home, by=repairs_officer)
    event = case.events.get()
    assert event.kind == "opened" and event.by == repairs_officer
    assert event.happened_at == AWARE and event.created_at == AT
    assert event.summary == "Damp and mould reported: significant"
    assert "Black mould on the bedroom wall" in event.detail
    assert "Investigate by 11 January 2027 (10 working days)." in event.detail
    assert case.opened_by == repairs_officer and case.status == "open"


def test_a_case_from_a_repair_request_names_it(home, make_order, contractor_a):
    order = make_order(home, contractor_a)
    case = open_case(home, request_id=order.request_id)
    assert case.request == order.request
    assert case.events.get().summary.startswith(
        f"Damp and mould reported from repair request {order.request.reference}")


def test_the_rule_in_force_on_the_day_of_awareness_sets_the_clocks(home):
    HazardRule.objects.create(hazard="damp_mould", effective_from=date(2027, 1, 1),
                              investigate_working_days=5)
    before = open_case(home, aware_at=_at(date(2026, 12, 31)))
    after = open_case(home, aware_at=_at(date(2027, 1, 4)), at=_at(date(2027, 1, 4), 13))
    assert before.investigate_due == date(2027, 1, 15)  # 10 working days
    assert after.investigate_due == date(2027, 1, 11)  # 5 working days


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"aware_at": datetime(2025, 10, 1, 9, tzinfo=UTC)}, "aware_at",
     "No Awaab's Law rule for damp and mould is in force on 1 October 2025, so its clocks "
     "cannot be set. An administrator must add one (Repairs, hazard rules) before the case "
     "can be opened."),
    ({"aware_at": AT + timedelta(hours=1)}, "aware_at",
     "When the council became aware cannot be in the future."),
    ({"description": "  "}, "description",
     "Describe the damp or mould: where it is and how bad."),
    ({"severity": "mild"}, "severity",
     "Select whether it is an emergency or a significant hazard."),
])
def test_opening_is_refused_with_a_clear_message(home, change, field, message):
    values = {"property_id": home.pk, "request_id": None, "description": "Mould",
              "severity": "significant", "aware_at": AWARE, "by": None, "at": AT, **change}
    with pytest.raises(ValidationError) as refused:
        awaab.open_case(**values)
    assert refused.value.message_dict[field] == [message]
    assert not HazardCase.objects.exists() and not HazardEvent.objects.exists()


def test_a_request_for_another_home_is_refused(home, north, make_order, contractor_a):
    from tests.housing.factories import PropertyFactory

    other = make_order(PropertyFactory(patch=north), contractor_a)
    with pytest.raises(ValidationError) as refused:
        open_case(home, request_id=other.request_id)
    assert refused.value.message_dict["request"] == [
        f"Repair request {other.request.reference} is for another home."]


# --- clock_states: pure, table-tested ---------------------------------------------------------


def _case(**fields) -> HazardCase:
    return HazardCase(aware_at=AWARE, investigate_due=date(2027, 1, 11), **fields)


@pytest.mark.parametrize(("today", "fields", "state", "text", "left"), [
    (date(2026, 12, 23), {}, ClockState.ON_TIME, "10 working days left", 10),
    (date(2026, 12, 27), {}, ClockState.ON_TIME, "9 working days left", 9),  # a Sunday
    (date(2027, 1, 6), {}, ClockState.ON_TIME, "3 working days left", 3),
    (date(2027, 1, 7), {}, ClockState.DUE_SOON, "2 working days left", 2),
    (date(2027, 1, 8), {}, ClockState.DUE_SOON, "1 working day left", 1),
    (date(2027, 1, 11), {}, ClockState.DUE_SOON, "Due today", 0),
    (date(2027, 1, 12), {}, ClockState.OVERDUE, "Overdue by 1 working day", None),
    (date(2027, 1, 16), {}, ClockState.OVERDUE, "Overdue by 4 working days", None),
    (date(2027, 1, 20), {"investigated_on": date(2027, 1, 11)}, ClockState.MET,
     "Met on 11 January 2027", None),
    (date(2027, 1, 20), {"investigated_on": date(2027, 1, 13)}, ClockState.MET_LATE,
     "Met on 13 January 2027, 2 working days late", None),
])
def test_the_investigate_clock(today, fields, state, text, left):
    investigate = next(c for c in clock_states(_case(**fields), today=today)
                       if c.key == "investigate")
    assert (investigate.state, investigate.text, investigate.days_left) == (state, text, left)
    assert investigate.due == date(2027, 1, 11)


def test_a_due_day_on_a_weekend_is_overdue_from_the_day_after():
    case = HazardCase(aware_at=AWARE, investigate_due=date(2027, 1, 9))  # a Saturday
    saturday, sunday = (clock_states(case, today=date(2027, 1, day))[0] for day in (9, 10))
    assert (saturday.state, saturday.text) == (ClockState.DUE_SOON, "Due today")
    assert (sunday.state, sunday.text) == (ClockState.OVERDUE,
                                           "Overdue: it was due on 9 January 2027")


def test_the_summary_and_works_clocks_wait_for_the_investigation():
    clocks = {c.key: c for c in clock_states(_case(), today=date(2026, 12, 24))}
    assert list(clocks) == ["investigate", "summary", "safety_works"]  # no make-safe clock
    for key in ("summary", "safety_works"):
        assert clocks[key].state == ClockState.WAITING and not clocks[key].running
        assert clocks[key].text == "Starts when the investigation is recorded"


def test_works_started_before_the_investigation_count_as_met():
    clock = clock_states(_case(safety_works_started_on=date(2026, 12, 24)),
                         today=date(2026, 12, 30))[-1]
    assert (clock.key, clock.state, clock.text) == ("safety_works", ClockState.MET,
                                                    "Met on 24 December 2026")


DUE = datetime(2026, 12, 24, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize(("now", "made_safe_at", "state", "text"), [
    (DUE - timedelta(hours=23, minutes=30), None, ClockState.DUE_SOON,
     "Due by 10:15am on 24 December 2026 (23 hours left)"),
    (DUE - timedelta(minutes=59), None, ClockState.DUE_SOON,
     "Due by 10:15am on 24 December 2026 (less than an hour left)"),
    (DUE + timedelta(minutes=1), None, ClockState.OVERDUE,
     "Overdue: it was due by 10:15am on 24 December 2026"),
    (DUE + timedelta(days=2), DUE - timedelta(hours=1), ClockState.MET,
     "Made safe at 9:15am on 24 December 2026"),
    (DUE + timedelta(days=2), DUE + timedelta(hours=5), ClockState.MET_LATE,
     "Made safe at 3:15pm on 24 December 2026, after 10:15am on 24 December 2026"),
])
def test_the_make_safe_clock_to_the_minute(now, made_safe_at, state, text):
    case = HazardCase(aware_at=AWARE, severity="emergency", make_safe_due_at=DUE,
                      investigate_due=date(2026, 12, 24), made_safe_at=made_safe_at)
    clock = clock_states(case, today=now.date(), now=now)[0]
    assert (clock.key, clock.state, clock.text) == ("make_safe", state, text)


def test_without_the_time_the_make_safe_clock_is_overdue_from_the_next_day():
    case = HazardCase(aware_at=AWARE, severity="emergency", make_safe_due_at=DUE,
                      investigate_due=date(2026, 12, 24))
    assert clock_states(case, today=date(2026, 12, 24))[0].state == ClockState.DUE_SOON
    assert clock_states(case, today=date(2026, 12, 25))[0].state == ClockState.OVERDUE


# --- The steps --------------------------------------------------------------------------------


@pytest.fixture
def case(home, repairs_officer):
    return open_case(home, by=repairs_officer)


def _investigate(case, user, on=date(2026, 12, 23), severity="significant", at=None):
    at = at or _at(date(2027, 1, 5))
    return awaab.record_investigation(case_id=case.pk, investigated_on=on,
                                      findings="Black mould behind the wardrobe, caused by a "
                                               "blocked air brick.",
                                      severity=severity, by=user, at=at)


def test_the_investigation_starts_the_summary_and_works_clocks_over_christmas(case,
                                                                             repairs_officer):
    case = _investigate(case, repairs_officer, on=date(2026, 12, 23))
    # Summary: 24, 29 and 30 December. Works: 24, 29, 30, 31 December and 4 January.
    assert case.summary_due == date(2026, 12, 30)
    assert case.safety_works_due == date(2027, 1, 4)
    assert case.investigated_on == date(2026, 12, 23)
    event = case.events.get(kind="visit")
    assert event.summary == "Investigated: significant hazard"
    assert event.by == repairs_officer
    # Only the day is known, and it is the day the council became aware: the event comes
    # after the report on the timeline.
    assert event.happened_at == AWARE
    assert "Written summary due by 30 December 2026; safety works to begin by 4 January " \
           "2027." in event.detail


def test_an_investigation_in_the_new_year(case, repairs_officer):
    case = _investigate(case, repairs_officer, on=date(2027, 1, 5))
    assert (case.summary_due, case.safety_works_due) == (date(2027, 1, 8), date(2027, 1, 12))


@pytest.mark.parametrize(("on", "message"), [
    (date(2026, 12, 22), "The date of the investigation cannot be before the day the council "
                         "became aware (23 December 2026)."),
    (date(2027, 1, 6), "The date of the investigation must be today or in the past."),
    (None, "Enter the date of the investigation."),
])
def test_the_investigation_date_is_checked(case, repairs_officer, on, message):
    with pytest.raises(ValidationError) as refused:
        _investigate(case, repairs_officer, on=on)
    assert refused.value.message_dict["investigated_on"] == [message]


def test_one_investigation_a_case(case, repairs_officer):
    _investigate(case, repairs_officer)
    with pytest.raises(ValidationError, match="The investigation was recorded on 23 December "
                                              "2026. Record a later visit as a note."):
        _investigate(case, repairs_officer)


def test_an_emergency_found_at_the_investigation_starts_the_make_safe_clock(case,
                                                                            repairs_officer):
    case = _investigate(case, repairs_officer, on=date(2027, 1, 4), severity="emergency")
    assert case.severity == "emergency"
    # Only the day is known: 24 hours from its start, so safe by the end of that day.
    assert case.make_safe_due_at == datetime(2027, 1, 5, 0, 0, tzinfo=UTC)
    detail = case.events.get(kind="visit").detail
    assert "Severity changed from significant to emergency." in detail


def test_a_significant_hazard_found_stops_the_make_safe_clock(home, repairs_officer):
    case = open_case(home, severity="emergency")
    case = _investigate(case, repairs_officer, on=date(2026, 12, 23), severity="significant",
                        at=AT + timedelta(hours=2))
    assert case.make_safe_due_at is None and case.severity == "significant"
    assert "The make-safe clock (due 10:15am on 24 December 2026) no longer applies." in \
        case.events.get(kind="visit").detail


def test_made_safe(home, repairs_officer):
    case = open_case(home, severity="emergency")
    made = AWARE + timedelta(hours=3)
    case = awaab.record_made_safe(case_id=case.pk, made_safe_at=made, detail="Mould treated",
                                  by=repairs_officer, at=made + timedelta(minutes=10))
    assert case.made_safe_at == made
    event = case.events.get(kind="made_safe")
    assert (event.summary, event.happened_at, event.by) == ("Made safe", made, repairs_officer)
    clock = clock_states(case, today=date(2026, 12, 23), now=made)[0]
    assert clock.state == ClockState.MET


def test_made_safe_is_refused_for_a_significant_hazard_and_before_awareness(case, home,
                                                                            repairs_officer):
    with pytest.raises(ValidationError, match="is a significant hazard: it has no make-safe "
                                              "clock. Record the safety works instead."):
        awaab.record_made_safe(case_id=case.pk, made_safe_at=AT, detail="Done",
                               by=repairs_officer, at=AT)
    emergency = open_case(home, severity="emergency")
    with pytest.raises(ValidationError) as refused:
        awaab.record_made_safe(case_id=emergency.pk, made_safe_at=AWARE - timedelta(hours=1),
                               detail="", by=repairs_officer, at=AT)
    assert refused.value.message_dict == {
        "made_safe_at": ["When the home was made safe cannot be before the council became "
                         "aware (10:15am on 23 December 2026)."],
        "detail": ["Say what was done to make the home safe."]}


def test_the_written_summary_is_a_pdf_letter_with_the_findings(case, repairs_officer):
    with pytest.raises(ValidationError, match="Record the investigation first"):
        awaab.send_summary(case_id=case.pk, sent_on=date(2026, 12, 24), text="We will fix it",
                           by=repairs_officer, at=AT)
    _investigate(case, repairs_officer, on=date(2026, 12, 23))
    sent = awaab.send_summary(case_id=case.pk, sent_on=date(2026, 12, 29),
                              text="We will clear the air brick and treat the mould.",
                              by=repairs_officer, at=_at(date(2026, 12, 29)))
    assert sent.summary_sent_on == date(2026, 12, 29)
    event = sent.events.get(kind="summary")
    assert event.summary == "Written summary sent"
    assert event.document.name == sent.summary_file.name != ""
    with sent.summary_file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Black mould behind the wardrobe, caused by a blocked air brick." in text
    assert "We will clear the air brick and treat the mould." in text
    assert "Ada Quick" in text and "12 Mill Lane" in text and case.reference in text
    assert "Date: 29 December 2026" in text
    assert "We will start the work to make your home safe by 4 January 2027." in text
    with pytest.raises(ValidationError, match="The written summary was sent on 29 December "
                                              "2026."):
        awaab.send_summary(case_id=case.pk, sent_on=date(2026, 12, 29), text="Again",
                           by=repairs_officer, at=_at(date(2026, 12, 29)))


def test_a_late_summary_says_so(case, repairs_officer):
    _investigate(case, repairs_officer, on=date(2026, 12, 23))
    sent = awaab.send_summary(case_id=case.pk, sent_on=date(2026, 12, 31), text="Works soon",
                              by=repairs_officer, at=_at(date(2026, 12, 31)))
    assert sent.events.get(kind="summary").summary == "Written summary sent late"
    summary = next(c for c in clock_states(sent, today=date(2027, 1, 4)) if c.key == "summary")
    assert (summary.state, summary.text) == (ClockState.MET_LATE,
                                             "Met on 31 December 2026, 1 working day late")


def test_works_link_an_order_on_the_home_only(case, home, north, repairs_officer, make_order,
                                              contractor_a):
    from tests.housing.factories import PropertyFactory

    elsewhere = make_order(PropertyFactory(patch=north, address_line_1="1 Far Lane"),
                           contractor_a)
    with pytest.raises(ValidationError) as refused:
        awaab.record_works_started(case_id=case.pk, started_on=date(2026, 12, 23), detail="",
                                   order_id=elsewhere.pk, by=repairs_officer, at=AT)
    assert refused.value.message_dict == {
        "order": [f"Work order {elsewhere.reference} is for 1 Far Lane, "
                  f"{elsewhere.property.postcode}, not this home."]}
    with pytest.raises(ValidationError) as refused:
        awaab.record_works_started(case_id=case.pk, started_on=date(2026, 12, 23), detail="",
                                   by=repairs_officer, at=AT)
    assert refused.value.message_dict == {
        "detail": ["Say what works started, or choose the work order."]}
    order = make_order(home, contractor_a, description="Clear air brick, treat mould")
    case = awaab.record_works_started(case_id=case.pk, started_on=date(2026, 12, 23),
                                      detail="", order_id=order.pk, by=repairs_officer, at=AT)
    assert case.safety_works_started_on == date(2026, 12, 23)
    event = case.events.get(kind="works")
    assert event.summary == f"Safety works started: work order {order.reference}"
    assert (event.order, event.detail) == (order, "Clear air brick, treat mould")
    again = awaab.record_works_started(case_id=case.pk, started_on=date(2026, 12, 23),
                                       detail="Plastering", by=repairs_officer, at=AT)
    assert again.safety_works_started_on == date(2026, 12, 23)
    assert again.events.filter(kind="works").first().summary == "Further works started"


def test_alternative_accommodation_and_notes(case, repairs_officer):
    with pytest.raises(ValidationError) as refused:
        awaab.offer_alternative(case_id=case.pk, offered_on=date(2026, 12, 22), detail="",
                                by=repairs_officer, at=AT)
    assert set(refused.value.message_dict) == {"offered_on", "detail"}
    case = awaab.offer_alternative(case_id=case.pk, offered_on=date(2026, 12, 23),
                                   detail="Two weeks at the Travelodge; accepted",
                                   by=repairs_officer, at=AT)
    assert case.alternative_offered_on == date(2026, 12, 23)
    note = awaab.add_note(case_id=case.pk, text="Tenant phoned", by=repairs_officer, at=AT)
    assert (note.kind, note.detail, note.by) == ("note", "Tenant phoned", repairs_officer)
    with pytest.raises(ValidationError) as refused:
        awaab.add_note(case_id=case.pk, text=" ", by=repairs_officer, at=AT)
    assert refused.value.message_dict == {"text": ["Enter the note."]}


def test_closing_with_a_clock_running_needs_the_reason_to_say_why(case, repairs_officer):
    at = _at(date(2026, 12, 24))
    with pytest.raises(ValidationError) as refused:
        awaab.close_case(case_id=case.pk, reason="Tenant refused access", by=repairs_officer,
                         at=at)
    assert refused.value.message_dict == {"clocks_explained": [
        "These steps are still due: investigate by 11 January 2027. Record them first, or "
        "say in the reason why they are not needed and tick the box."]}
    with pytest.raises(ValidationError) as refused:
        awaab.close_case(case_id=case.pk, reason="", clocks_explained=True, by=repairs_officer,
                         at=at)
    assert refused.value.message_dict == {"reason": ["Give the reason for closing the case."]}
    closed = awaab.close_case(case_id=case.pk, reason="Tenant refused access twice",
                              clocks_explained=True, by=repairs_officer, at=at)
    assert (closed.status, closed.closed_on) == ("closed", date(2026, 12, 24))
    event = closed.events.get(kind="closed")
    assert event.detail == ("Tenant refused access twice\nClosed with these clocks running: "
                            "investigate (due 11 January 2027).")
    with pytest.raises(ValidationError, match="was closed on 24 December 2026: only notes"):
        _investigate(closed, repairs_officer)
    awaab.add_note(case_id=case.pk, text="Tenant rang back", by=repairs_officer, at=at)


def test_closing_when_every_clock_is_met(home, repairs_officer):
    case = open_case(home)
    _investigate(case, repairs_officer, on=date(2026, 12, 23), at=_at(date(2026, 12, 24)))
    awaab.send_summary(case_id=case.pk, sent_on=date(2026, 12, 24), text="Works booked",
                       by=repairs_officer, at=_at(date(2026, 12, 24)))
    awaab.record_works_started(case_id=case.pk, started_on=date(2026, 12, 24),
                               detail="Air brick cleared", by=repairs_officer,
                               at=_at(date(2026, 12, 24)))
    closed = awaab.close_case(case_id=case.pk, reason="Done", by=repairs_officer,
                              at=_at(date(2026, 12, 29)))
    assert closed.events.get(kind="closed").detail == "Done"


# --- Escalation -------------------------------------------------------------------------------


def test_a_breached_clock_is_overdue_and_escalated_once(home, south, repairs_officer):
    from tests.housing.factories import PropertyFactory

    breached = open_case(home)  # investigate by 11 January 2027
    on_time = open_case(PropertyFactory(patch=south), aware_at=_at(date(2027, 1, 4)),
                        at=_at(date(2027, 1, 4), 13))
    closed = open_case(home)
    awaab.close_case(case_id=closed.pk, reason="Duplicate of " + breached.reference,
                     clocks_explained=True, by=repairs_officer, at=AT)
    # On the due day nothing is overdue.
    assert awaab.escalate_overdue(today=date(2027, 1, 11), at=_at(date(2027, 1, 11), 7)) == []
    at = _at(date(2027, 1, 12), 7)
    investigate = clock_states(breached, today=date(2027, 1, 12), now=at)[0]
    assert (investigate.state, investigate.text) == ("overdue", "Overdue by 1 working day")
    assert awaab.escalate_overdue(today=date(2027, 1, 12), at=at) == [breached.pk]
    breached.refresh_from_db()
    assert breached.escalated_at == at
    event = breached.events.get(kind="escalated")
    assert event.summary == "Escalated to a Team Leader: overdue"
    assert event.detail == "Investigate: overdue by 1 working day (due 11 January 2027)."
    assert event.by is None and event.happened_at == at
    # A rerun, the next day too, adds nothing.
    assert awaab.escalate_overdue(today=date(2027, 1, 12), at=at) == []
    assert awaab.escalate_overdue(today=date(2027, 1, 13), at=at + timedelta(days=1)) == []
    assert HazardEvent.objects.filter(kind="escalated").count() == 1
    on_time.refresh_from_db()
    assert on_time.escalated_at is None


def test_an_emergency_is_escalated_the_minute_it_is_late(home):
    case = open_case(home, severity="emergency")
    due = case.make_safe_due_at
    assert awaab.escalate_overdue(today=due.date(), at=due) == []
    assert awaab.escalate_overdue(today=due.date(), at=due + timedelta(minutes=1)) == [case.pk]
    assert case.events.get(kind="escalated").detail == (
        "Make safe: overdue: it was due by 10:15am on 24 December 2026 (due 10:15am on 24 "
        "December 2026).")


def test_the_beat_task_escalates_daily(home):
    from repairs.tasks import escalate_overdue_hazard_cases

    assert django_settings.CELERY_BEAT_SCHEDULE["escalate-overdue-hazard-cases"]["task"] == \
        "repairs.tasks.escalate_overdue_hazard_cases"
    schedule = django_settings.CELERY_BEAT_SCHEDULE["escalate-overdue-hazard-cases"]["schedule"]
    assert (schedule.hour, schedule.minute) == ({7}, {0})
    open_case(home)
    with freeze_time("2027-01-12 07:00:00"):
        assert escalate_overdue_hazard_cases() == 1
        assert escalate_overdue_hazard_cases() == 0


# --- The evidence pack ------------------------------------------------------------------------


def test_the_evidence_pack_has_every_event_and_the_summary(home, repairs_officer, team_leader,
                                                           make_order, contractor_a):
    case = open_case(home, by=repairs_officer)
    _investigate(case, repairs_officer, on=date(2026, 12, 23), at=_at(date(2026, 12, 24)))
    awaab.send_summary(case_id=case.pk, sent_on=date(2026, 12, 24),
                       text="We will clear the air brick within five working days.",
                       by=repairs_officer, at=_at(date(2026, 12, 24)))
    # The works were due to start by 4 January 2027.
    assert awaab.escalate_overdue(today=date(2027, 1, 5), at=_at(date(2027, 1, 5), 7)) == [
        case.pk]
    order = make_order(home, contractor_a, description="Clear air brick")
    awaab.record_works_started(case_id=case.pk, started_on=date(2027, 1, 6), detail="",
                               order_id=order.pk, by=repairs_officer, at=_at(date(2027, 1, 6)))
    awaab.offer_alternative(case_id=case.pk, offered_on=date(2027, 1, 6),
                            detail="Hotel offered; declined", by=team_leader,
                            at=_at(date(2027, 1, 6)))
    awaab.add_note(case_id=case.pk, text="Tenant happy with the works", by=team_leader,
                   at=_at(date(2027, 1, 7)))
    case.refresh_from_db()
    data = awaab.evidence_pack(case, at=_at(date(2027, 1, 8)))
    reader = PdfReader(io.BytesIO(data))
    with case.summary_file.open("rb") as handle:
        summary_pages = len(PdfReader(handle).pages)
    assert len(reader.pages) > summary_pages
    text = pdf_text(data)
    assert f"Evidence pack: case {case.reference}" in text
    events = list(case.events.order_by("happened_at", "pk"))
    assert [e.kind for e in events] == ["opened", "visit", "summary", "escalated", "works",
                                        "alternative", "note"]
    for event in events:
        assert event.summary in text, event.summary
    for who in (repairs_officer.display_name, team_leader.display_name, "The system"):
        assert who in text
    assert "Hotel offered; declined" in text and f"Work order {order.reference}" in text
    assert "Documents appended Written summary sent" in text
    # The summary letter is appended after the timeline.
    last = " ".join(" ".join(page.extract_text() for page in
                             reader.pages[-summary_pages:]).split())
    assert "We will clear the air brick within five working days." in last
    assert "Black mould behind the wardrobe" in last


def test_an_evidence_pack_without_documents(case):
    text = pdf_text(awaab.evidence_pack(case, at=AT))
    assert "Damp and mould reported: significant" in text and "None." in text


def test_the_reads_scope_to_the_users_patches(home, south, officer, repairs_officer,
                                               income_officer):
    from tests.housing.factories import PropertyFactory

    north_case = open_case(home)
    south_case = open_case(PropertyFactory(patch=south))
    assert set(awaab.visible_cases(repairs_officer)) == {north_case, south_case}
    assert list(awaab.visible_cases(officer)) == [north_case]
    assert not awaab.visible_cases(income_officer).exists()
    assert RepairRequest.objects.count() == 0
