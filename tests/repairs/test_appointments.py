"""Appointments: capacity by half-day (all day takes both), the target date, working days,
a supervisor's recorded override, rebooking and cancelling with the history, telling the
tenant, two bookings racing for the last place; and the staff booking page with who may use
it."""

import threading
import time
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from freezegun import freeze_time

from repairs import appointments
from repairs.models import Appointment, Capacity, WorkOrder, WorkOrderEvent
from tenancies.models import TenancyMember
from tests.housing.factories import PropertyFactory, UserFactory
from tests.repairs.conftest import AT

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 12, 14)
Status = WorkOrder.Status


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 10:15:00"):
        yield


@pytest.fixture
def capacity(contractor_a, plumbing):
    return Capacity.objects.create(contractor=contractor_a, trade=plumbing, am_jobs=2, pm_jobs=1)


@pytest.fixture
def order(home, contractor_a, make_order, capacity):
    return make_order(home, contractor_a)


def _tenant_email(home, address="ada@example.test"):
    member = TenancyMember.objects.get(tenancy__property=home, role="tenant")
    member.person.email = address
    member.person.save()
    return member.person


def _book(order, user, day=MONDAY, slot="am", reason=""):
    return appointments.book(order_id=order.pk, date=day, slot=slot, by=user, at=AT,
                             override_reason=reason)


def _errors(excinfo) -> dict:
    return {key: " ".join(value) for key, value in excinfo.value.message_dict.items()}


def _others(make_order, contractor, count):
    return [make_order(PropertyFactory(), contractor) for _n in range(count)]


# --- Booking ----------------------------------------------------------------------------------


def test_booking_moves_the_order_to_booked_and_emails_the_tenant(
        order, home, repairs_officer, django_capture_on_commit_callbacks):
    _tenant_email(home)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _book(order, repairs_officer)
    order.refresh_from_db()
    assert order.status == Status.BOOKED
    assert (appointment.date, appointment.slot, appointment.status) == (MONDAY, "am", "booked")
    assert appointment.booked_by == repairs_officer and appointment.override_by is None
    summaries = list(order.events.order_by("pk").values_list("summary", "to_status"))
    assert summaries[0] == ("Appointment booked for Monday 14 December 2026, morning", "booked")
    assert summaries[1] == ("Tenant told by email: Ada Quick (ada@example.test)", "booked")
    (email,) = mail.outbox
    assert email.to == ["ada@example.test"]
    assert email.subject == "Your repair appointment: Monday 14 December 2026"
    assert "A Plumbing Ltd will come to 12 Mill Lane, Exeter, EX1 2HL on Monday 14 December "\
           "2026, in the morning (8am to 12 noon)." in email.body
    assert order.reference in email.body


def test_without_an_email_address_a_letter_is_produced_for_the_tenant(
        order, repairs_officer, django_capture_on_commit_callbacks, settings, tmp_path):
    from pypdf import PdfReader

    from tenancies.models import Letter

    settings.MEDIA_ROOT = tmp_path / "media"
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _book(order, repairs_officer)
    assert mail.outbox == []
    event = order.events.get(summary="Letter produced for the tenant (no tenant has an email "
                                     "address recorded): print and post it")
    letter = Letter.objects.get(kind="repair", key=f"appointment-{appointment.pk}-booked")
    assert event.note == letter.title and letter.tenancy.property == order.property
    with letter.file.open("rb") as handle:
        text = " ".join(" ".join(page.extract_text() for page in PdfReader(handle).pages)
                        .split())
    assert "Dear Ada Quick," in text
    assert "A Plumbing Ltd will come to 12 Mill Lane, Exeter, EX1 2HL on Monday 14 December" \
           in text


def test_an_email_that_fails_is_in_the_history_as_a_letter_to_send(
        order, home, repairs_officer, django_capture_on_commit_callbacks, monkeypatch):
    import smtplib

    def refuse(*args, **kwargs):
        raise smtplib.SMTPException("relay refused")

    monkeypatch.setattr("housing.notify.send_mail", refuse)  # the mail server, not our code
    _tenant_email(home)
    with django_capture_on_commit_callbacks(execute=True):
        _book(order, repairs_officer)
    event = order.events.get(summary="Email to Ada Quick failed: send a letter")
    assert "relay refused" in event.note
    assert order.appointments.get().status == "booked"  # the booking stands


def test_a_full_morning_is_refused_naming_the_places(order, make_order, contractor_a,
                                                     repairs_officer):
    for other in _others(make_order, contractor_a, 2):
        _book(other, repairs_officer)
    with pytest.raises(ValidationError) as refused:
        _book(order, repairs_officer)
    assert _errors(refused) == {"slot": "The contractor has no morning places left on 14 "
                                        "December 2026: 2 of 2 are booked. Choose another slot "
                                        "or day."}
    order.refresh_from_db()
    assert order.status == Status.ISSUED and not order.appointments.exists()
    assert _book(order, repairs_officer, slot="pm").slot == "pm"  # the afternoon is free


def test_all_day_takes_a_morning_and_an_afternoon_place(order, make_order, contractor_a,
                                                        repairs_officer):
    first, second = _others(make_order, contractor_a, 2)
    _book(first, repairs_officer, slot="all_day")
    with pytest.raises(ValidationError, match="no afternoon places left on 14 December 2026: "
                                              "1 of 1 are booked"):
        _book(second, repairs_officer, slot="pm")
    with pytest.raises(ValidationError, match="no afternoon places"):
        _book(second, repairs_officer, slot="all_day")
    _book(second, repairs_officer, slot="am")  # one of two morning places left
    with pytest.raises(ValidationError, match="no morning or afternoon places left"):
        _book(order, repairs_officer, slot="all_day")


def test_places_count_only_the_same_contractor_trade_and_booked_appointments(
        order, make_order, contractor_a, contractor_b, repairs_officer, plumbing):
    Capacity.objects.create(contractor=contractor_b, trade=plumbing, am_jobs=1, pm_jobs=1)
    for other in _others(make_order, contractor_b, 1):
        _book(other, repairs_officer)  # B's place, not A's
    cancelled = _others(make_order, contractor_a, 1)[0]
    appointments.cancel(appointment_id=_book(cancelled, repairs_officer).pk, reason="Tenant away",
                        by=repairs_officer, at=AT)
    (day,) = appointments.places(order, [MONDAY])
    assert (day.am_taken, day.am_free, day.pm_free) == (0, 2, 1)


def test_a_supervisor_overrides_a_full_slot_with_a_reason_which_is_recorded(
        order, make_order, contractor_a, repairs_officer, team_leader):
    for other in _others(make_order, contractor_a, 2):
        _book(other, repairs_officer)
    with pytest.raises(ValidationError) as refused:
        _book(order, team_leader)
    assert _errors(refused)["override_reason"] == ("To book it anyway, give the reason for "
                                                   "overriding the contractor's capacity.")
    with pytest.raises(ValidationError) as refused:  # a reason is no use without the permission
        _book(order, repairs_officer, reason="Elderly tenant, no water")
    assert "override_reason" not in _errors(refused)
    appointment = _book(order, team_leader, reason="Elderly tenant, no water")
    assert appointment.override_by == team_leader
    assert appointment.override_reason == "Elderly tenant, no water"
    event = order.events.get(from_status="issued", to_status="booked")
    assert event.note == (f"Booked outside contractor's capacity by {team_leader.display_name}: "
                          f"Elderly tenant, no water")


def test_a_day_after_the_target_is_refused_unless_a_supervisor_overrides(
        order, repairs_officer, team_leader):
    assert order.target_date == date(2027, 1, 11)  # 20 working days over Christmas
    late = date(2027, 1, 12)
    with pytest.raises(ValidationError) as refused:
        _book(order, repairs_officer, day=late)
    assert _errors(refused) == {"date": "Tuesday 12 January 2027 is after the order's target "
                                        "date, Monday 11 January 2027: choose a day by then."}
    assert _book(order, repairs_officer, day=date(2027, 1, 11)).date == date(2027, 1, 11)
    appointment = _book(order, team_leader, day=late, reason="Tenant in hospital until then")
    assert (appointment.override_by, appointment.date) == (team_leader, late)


def test_an_override_is_recorded_only_when_one_was_needed(order, team_leader):
    appointment = _book(order, team_leader, reason="Not needed")
    assert appointment.override_by is None and appointment.override_reason == ""


@pytest.mark.parametrize(("day", "message"), [
    (date(2026, 12, 8), "Tuesday 8 December 2026 has passed: choose today or a later day."),
    (date(2026, 12, 12), "Saturday 12 December 2026 is a weekend: choose a working day."),
    (date(2026, 12, 25), "Friday 25 December 2026 is a bank holiday (Christmas Day): choose a "
                         "working day."),
    (date(2026, 12, 28), "Monday 28 December 2026 is a bank holiday (Boxing Day (observed)): "
                         "choose a working day."),
])
def test_past_days_weekends_and_bank_holidays_are_refused_even_to_a_supervisor(
        order, team_leader, day, message):
    with pytest.raises(ValidationError) as refused:
        _book(order, team_leader, day=day, reason="Override")
    assert _errors(refused) == {"date": message}


def test_today_may_be_booked(order, repairs_officer):
    assert _book(order, repairs_officer, day=date(2026, 12, 9)).date == date(2026, 12, 9)


def test_without_capacity_set_up_booking_is_refused(home, contractor_b, make_order,
                                                    team_leader):
    order = make_order(home, contractor_b)
    with pytest.raises(ValidationError) as refused:
        _book(order, team_leader, reason="Urgent")
    assert _errors(refused) == {"slot": "B Builders Ltd has no appointment capacity set up for "
                                        "plumbing: an administrator adds it (Repairs, "
                                        "Capacities) before appointments can be booked."}


@pytest.mark.parametrize("status", [Status.RAISED, Status.APPROVED, Status.IN_PROGRESS,
                                    Status.COMPLETED, Status.CANCELLED])
def test_only_an_issued_booked_or_no_access_order_is_booked(home, contractor_a, make_order,
                                                            capacity, repairs_officer, status):
    order = make_order(home, contractor_a, status=status)
    with pytest.raises(ValidationError, match=f"Work order {order.reference} is "):
        _book(order, repairs_officer)


def test_rebooking_marks_the_old_appointment_moved_and_tells_the_tenant(
        order, home, repairs_officer, django_capture_on_commit_callbacks):
    first = _book(order, repairs_officer)
    _tenant_email(home)
    with django_capture_on_commit_callbacks(execute=True):
        second = appointments.rebook(order_id=order.pk, date=MONDAY, slot="pm",
                                     by=repairs_officer, at=AT)
    first.refresh_from_db()
    order.refresh_from_db()
    assert first.status == "moved" and second.status == "booked"
    assert order.status == Status.BOOKED
    assert order.events.filter(
        summary="Appointment moved from Monday 14 December 2026, morning to Monday 14 December "
                "2026, afternoon",
        from_status="booked", to_status="booked").exists()
    assert mail.outbox[0].body.startswith("Dear Ada Quick,\n\nYour repair appointment has "
                                          "moved.")
    with pytest.raises(ValidationError, match="already booked for Monday 14 December 2026"):
        _book(order, repairs_officer, slot="pm")


def test_rebooking_into_a_full_slot_does_not_count_its_own_place(order, make_order,
                                                                 contractor_a, repairs_officer):
    _book(order, repairs_officer, slot="pm")  # the only afternoon place
    _book(order, repairs_officer, slot="all_day")  # its own afternoon place is freed
    assert order.appointments.get(status="booked").slot == "all_day"


def test_after_no_access_booking_again_moves_the_order_back_to_booked(
        home, contractor_a, make_order, capacity, repairs_officer):
    order = make_order(home, contractor_a, status=Status.NO_ACCESS)
    _book(order, repairs_officer)
    order.refresh_from_db()
    assert order.status == Status.BOOKED
    assert order.events.get(from_status="no_access").summary.startswith(
        "Appointment booked after no access for")


def test_cancelling_frees_the_place_and_is_in_the_history(order, repairs_officer):
    appointment = _book(order, repairs_officer)
    with pytest.raises(ValidationError) as refused:
        appointments.cancel(appointment_id=appointment.pk, reason=" ", by=repairs_officer,
                            at=AT)
    assert _errors(refused) == {"reason": "Give the reason for cancelling the appointment."}
    appointments.cancel(appointment_id=appointment.pk, reason="Tenant asked", by=repairs_officer,
                        at=AT)
    appointment.refresh_from_db()
    order.refresh_from_db()
    assert appointment.status == "cancelled"
    assert order.status == "issued"  # waiting for another appointment
    assert order.events.filter(summary__endswith="cancelled: waiting for another appointment",
                               to_status="issued", note="Tenant asked").exists()
    with pytest.raises(ValidationError, match="only a booked appointment can be cancelled"):
        appointments.cancel(appointment_id=appointment.pk, reason="Again", by=repairs_officer,
                            at=AT)
    assert _book(order, repairs_officer).status == "booked"  # booked again
    order.refresh_from_db()
    assert order.status == "booked"


def test_the_picker_offers_ten_working_days_up_to_the_target(home, contractor_a, make_order,
                                                             capacity, emergency):
    order = make_order(home, contractor_a)
    days = appointments.picker_days(order, today=date(2026, 12, 19))  # a Saturday
    assert days[0] == date(2026, 12, 21) and len(days) == 10
    assert date(2026, 12, 25) not in days and date(2026, 12, 28) not in days
    urgent = make_order(home, contractor_a, priority=emergency)  # due 10 December
    assert appointments.picker_days(urgent, today=date(2026, 12, 9)) == [date(2026, 12, 9),
                                                                        date(2026, 12, 10)]


# --- Two at once ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def _database_put_back(django_db_blocker):
    """A transactional test ends with a flush: put back the database as migrations left it
    (the roles, priorities and SOR), for the tests after it and the next --reuse-db run."""
    yield
    with django_db_blocker.unblock():
        for alias in connections:
            contents = getattr(connections[alias], "_test_serialized_contents", None)
            if contents:
                connections[alias].creation.deserialize_db_from_string(contents)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_bookings_for_the_last_place_cannot_both_take_it(_database_put_back, home,
                                                             contractor_a, make_order,
                                                             plumbing, repairs_officer):
    """The first booking holds the capacity lock until it commits; the second waits for it,
    then counts the first's place and is refused. Without the lock both would count none."""
    Capacity.objects.create(contractor=contractor_a, trade=plumbing, am_jobs=1, pm_jobs=1)
    first, second = make_order(home, contractor_a), make_order(home, contractor_a)
    booked_first = threading.Event()
    results: dict[str, object] = {}

    def one():
        try:
            with transaction.atomic():
                _book(first, repairs_officer)
                booked_first.set()
                time.sleep(0.5)  # the second is now waiting on the lock
            results["first"] = "booked"
        finally:
            booked_first.set()
            connection.close()

    def two():
        booked_first.wait(5)
        try:
            _book(second, repairs_officer)
            results["second"] = "booked"
        except ValidationError as error:
            results["second"] = " ".join(error.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results["first"] == "booked"
    assert "no morning places left on 14 December 2026: 1 of 1 are booked" in results["second"]
    assert Appointment.objects.filter(status="booked").count() == 1


# --- The staff booking page -------------------------------------------------------------------


def _url(order):
    return f"/repairs/orders/{order.pk}/appointment/"


@pytest.mark.parametrize("persona", ["repairs_officer", "team_leader", "administrator"])
def test_officers_who_manage_orders_open_the_booking_page(client_for, request, order, persona):
    page = client_for(request.getfixturevalue(persona)).get(_url(order)).content.decode()
    assert "Book an appointment" in page
    assert "Monday 14 December 2026" in page  # the places table
    assert ("Reason for booking outside capacity or target" in page) == (persona != "repairs_"
                                                                          "officer")


@pytest.mark.parametrize("persona", ["officer", "customer_access", "council_tax", "no_access",
                                     "income_officer"])
def test_other_staff_are_refused_the_booking_page(client_for, request, order, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(_url(order)).status_code == 403
    assert client.post(_url(order), {"date": "2026-12-14", "slot": "am"}).status_code == 403
    assert not order.appointments.exists()


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_kept_out_of_the_staff_page(client_for, request, order,
                                                                persona):
    assert client_for(request.getfixturevalue(persona)).get(_url(order)).status_code == 403


def test_anonymous_visitors_sign_in(client, order):
    response = client.get(_url(order))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_an_order_off_the_officers_patches_is_not_found(client_for, order, south):
    """A member of staff allowed to manage orders on the South patch only."""
    from django.contrib.auth.models import Permission

    user = UserFactory(role="Housing Officer", patches=[south])
    user.user_permissions.add(Permission.objects.get(codename="manage_workorder"))
    assert client_for(user).get(_url(order)).status_code == 404
    order.property.patch = south
    order.property.save()
    assert client_for(user).get(_url(order)).status_code == 200


def test_booking_on_the_page(client_for, order, repairs_officer):
    response = client_for(repairs_officer).post(_url(order), {"date": "2026-12-14",
                                                              "slot": "pm"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.BOOKED
    assert order.appointments.get().slot == "pm"


def test_a_refusal_on_the_page_has_an_error_summary_and_keeps_what_was_typed(
        client_for, order, repairs_officer):
    page = client_for(repairs_officer).post(_url(order), {"date": "2026-12-12", "slot": "pm"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "govuk-error-summary" in text and "<title>Error:" in text
    assert "Saturday 12 December 2026 is a weekend: choose a working day." in text
    assert 'value="2026-12-12"' in text
    assert 'value="pm" checked' in text or ('value="pm"' in text and "checked" in text)
    assert not order.appointments.exists()


def test_a_supervisor_overrides_on_the_page(client_for, order, team_leader):
    client = client_for(team_leader)
    page = client.post(_url(order), {"date": "2027-01-12", "slot": "am"}).content.decode()
    assert "To book it anyway, give the reason for overriding the target date." in page
    response = client.post(_url(order), {"date": "2027-01-12", "slot": "am",
                                         "override_reason": "Tenant away"})
    assert response.status_code == 302
    assert order.appointments.get().override_reason == "Tenant away"


def test_cancelling_on_the_page(client_for, order, repairs_officer, officer):
    appointment = _book(order, repairs_officer)
    url = f"/repairs/appointments/{appointment.pk}/cancel/"
    assert client_for(officer).post(url, {"reason": "x"}).status_code == 403
    page = client_for(repairs_officer).post(url, {"reason": ""}).content.decode()
    assert "Give the reason for cancelling the appointment." in page
    response = client_for(repairs_officer).post(url, {"reason": "Tenant asked"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert WorkOrderEvent.objects.filter(order=order, note="Tenant asked").exists()
