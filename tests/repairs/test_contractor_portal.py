"""The contractor portal: the contractor's services (accept, start, complete with the date
rule and photos, no access, a variation) each refusing another company's order; the screens,
each scoped to the user's own company (another company's order is a 404 by every URL, and
nothing changes), kept from staff and tenants; the slot picker; submitting an invoice; and
the home page's query count."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from PIL import Image

from housing.models import Alert
from repairs import appointments, contractor_services
from repairs.models import (
    Appointment,
    Capacity,
    Invoice,
    RepairPhoto,
    Variation,
    WorkOrder,
    WorkOrderEvent,
)
from tenancies.models import TenancyMember
from tests.housing.factories import PropertyFactory
from tests.repairs.conftest import AT, TODAY

pytestmark = pytest.mark.django_db

Status = WorkOrder.Status


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


@pytest.fixture
def capacity(contractor_a, plumbing):
    return Capacity.objects.create(contractor=contractor_a, trade=plumbing, am_jobs=2, pm_jobs=1)


@pytest.fixture
def order(home, contractor_a, make_order, capacity):
    return make_order(home, contractor_a)


@pytest.fixture
def theirs(home, contractor_b, make_order):
    """Company B's order at the same home."""
    return make_order(home, contractor_b, description="B's job")


def _png(name="tap.png", size=(20, 20)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _errors(excinfo) -> dict:
    return {key: " ".join(value) for key, value in excinfo.value.message_dict.items()}


# --- Services ---------------------------------------------------------------------------------


def test_accepting_records_when_and_is_in_the_history(order, contractor):
    contractor_services.accept_order(order_id=order.pk, by=contractor, at=AT)
    order.refresh_from_db()
    assert order.accepted_at == AT and order.status == Status.ISSUED
    assert order.events.get().summary == "Accepted by A Plumbing Ltd"
    with pytest.raises(ValidationError, match="was already accepted on 9 December 2026"):
        contractor_services.accept_order(order_id=order.pk, by=contractor, at=AT)


@pytest.mark.parametrize("service", ["accept_order", "start_work"])
def test_another_companys_order_is_refused_as_if_it_did_not_exist(theirs, contractor,
                                                                  contractor_a, service):
    with pytest.raises(ValidationError) as refused:
        getattr(contractor_services, service)(order_id=theirs.pk, by=contractor, at=AT)
    assert refused.value.messages == ["There is no such work order for your company."]
    theirs.refresh_from_db()
    assert theirs.status == Status.ISSUED and theirs.accepted_at is None


def test_orders_not_yet_issued_are_not_the_contractors_to_see(home, contractor_a, make_order,
                                                              contractor):
    waiting = make_order(home, contractor_a, status=Status.RAISED)
    assert list(contractor_services.orders_for(contractor)) == []
    with pytest.raises(ValidationError, match="no such work order"):
        contractor_services.accept_order(order_id=waiting.pk, by=contractor, at=AT)


def test_starting_the_work_attends_the_appointment(order, contractor):
    appointment = contractor_services.book_appointment(order_id=order.pk, date=TODAY,
                                                       slot="pm", by=contractor, at=AT)
    contractor_services.start_work(order_id=order.pk, by=contractor, at=AT)
    order.refresh_from_db()
    appointment.refresh_from_db()
    assert (order.status, order.started_at) == (Status.IN_PROGRESS, AT)
    assert appointment.status == "attended"
    with pytest.raises(ValidationError, match="is in progress: you cannot start it now"):
        contractor_services.start_work(order_id=order.pk, by=contractor, at=AT)


def test_a_contractor_books_within_capacity_and_cannot_override(order, contractor,
                                                                make_order, contractor_a):
    for other in [make_order(PropertyFactory(), contractor_a) for _n in range(2)]:
        contractor_services.book_appointment(order_id=other.pk, date=TODAY, slot="am",
                                             by=contractor, at=AT)
    with pytest.raises(ValidationError) as refused:
        contractor_services.book_appointment(order_id=order.pk, date=TODAY, slot="am",
                                             by=contractor, at=AT)
    assert set(_errors(refused)) == {"slot"}  # no override offered to a contractor


def test_the_contractor_cannot_book_another_companys_order(theirs, contractor, contractor_a):
    with pytest.raises(ValidationError, match="no such work order"):
        contractor_services.book_appointment(order_id=theirs.pk, date=TODAY, slot="am",
                                             by=contractor, at=AT)
    assert not Appointment.objects.exists()


def _complete(order, user, on=TODAY, notes="Renewed the tap cartridge", photos=()):
    return contractor_services.complete_order(order_id=order.pk, completed_on=on, notes=notes,
                                              photos=list(photos), by=user, at=AT)


def test_completing_with_notes_and_photos(order, contractor):
    _complete(order, contractor, photos=[_png()])
    order.refresh_from_db()
    assert (order.status, order.completed_on, order.completed_at) == (Status.COMPLETED, TODAY,
                                                                      AT)
    assert order.completion_notes == "Renewed the tap cartridge"
    photo = RepairPhoto.objects.get()
    assert (photo.order, photo.request, photo.uploaded_by) == (order, order.request, contractor)
    assert order.events.get().summary == "Completed on 9 December 2026, with 1 photo"


@pytest.mark.parametrize(("day", "message"), [
    ("2026-12-08", "The completion date cannot be before the order was issued, on 9 December "
                   "2026."),
    ("2026-12-10", "The completion date cannot be in the future: today is 9 December 2026."),
])
def test_the_completion_date_is_from_the_issue_day_to_today(order, contractor, day, message):
    from datetime import date

    with pytest.raises(ValidationError) as refused:
        _complete(order, contractor, on=date.fromisoformat(day))
    assert _errors(refused) == {"completed_on": message}
    order.refresh_from_db()
    assert order.status == Status.ISSUED and order.completed_on is None


def test_photos_that_are_not_images_or_too_large_are_each_named(order, contractor):
    not_a_photo = SimpleUploadedFile("report.jpg", b"%PDF-1.4 not a photo")
    too_big = SimpleUploadedFile("huge.png", b"0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as refused:
        _complete(order, contractor, notes="", photos=[_png(), not_a_photo, too_big])
    errors = _errors(refused)
    assert errors["notes"] == "Say what was done."
    assert "report.jpg is not a photo" in errors["photos"]
    assert "huge.png is 10.0 MB: each photo must be 10 MB or smaller." in errors["photos"]
    assert "tap.png" not in errors["photos"]
    assert not RepairPhoto.objects.exists()


def test_no_access_counts_and_marks_the_appointment(order, contractor):
    appointment = contractor_services.book_appointment(order_id=order.pk, date=TODAY,
                                                       slot="am", by=contractor, at=AT)
    with pytest.raises(ValidationError) as refused:
        contractor_services.mark_no_access(order_id=order.pk, note="", by=contractor, at=AT)
    assert set(_errors(refused)) == {"note"}
    contractor_services.mark_no_access(order_id=order.pk, note="Card left at 10:20",
                                       by=contractor, at=AT)
    order.refresh_from_db()
    appointment.refresh_from_db()
    assert (order.status, order.no_access_count) == (Status.NO_ACCESS, 1)
    assert appointment.status == "no_access"
    event = order.events.get(to_status="no_access")
    assert event.summary == "No access for the appointment on Wednesday 9 December 2026"
    assert event.note == "Card left at 10:20"
    # Rebooked from there.
    contractor_services.book_appointment(order_id=order.pk, date=TODAY, slot="pm",
                                         by=contractor, at=AT)
    order.refresh_from_db()
    assert order.status == Status.BOOKED


def test_asking_for_a_variation(order, contractor, theirs):
    variation = contractor_services.request_variation(
        order_id=order.pk, lines=[("PL130", "1")], reason="Leak behind the unit",
        by=contractor, at=AT)
    order.refresh_from_db()
    assert variation.status == "requested" and variation.requested_by == contractor
    assert [(line.sor.code, line.unit_price_pence) for line in variation.lines.all()] == [
        ("PL130", 9500)]
    assert order.value_pence == 2850  # not counted until approved
    with pytest.raises(ValidationError, match="no such work order"):
        contractor_services.request_variation(order_id=theirs.pk, lines=[("PL130", "1")],
                                              reason="x", by=contractor, at=AT)


# --- Who gets in ------------------------------------------------------------------------------


def _urls(order) -> dict[str, str]:
    base = f"/contractor/orders/{order.pk}"
    return {"order": f"{base}/", "accept": f"{base}/accept/", "book": f"{base}/appointment/",
            "start": f"{base}/start/", "complete": f"{base}/complete/",
            "no_access": f"{base}/no-access/", "variation": f"{base}/variation/",
            "invoice": f"{base}/invoice/"}


POSTS = {"accept": {}, "start": {}, "book": {"choice": "2026-12-09|am"},
         "complete": {"completed_on": "2026-12-09", "notes": "Done"},
         "no_access": {"note": "Nobody in"},
         "variation": {"reason": "More", "code_0": "PL130", "quantity_0": "1"},
         "invoice": {"number": "B-1", "code_0": "PL100", "quantity_0": "1",
                     "price_0": "28.50"}}


def test_contractor_a_cannot_see_or_change_bs_order_by_any_url(client_for, contractor, theirs,
                                                               contractor_a, plumbing):
    Capacity.objects.create(contractor=theirs.contractor, trade=plumbing, am_jobs=5, pm_jobs=5)
    client = client_for(contractor)
    for name, url in _urls(theirs).items():
        if name in POSTS:
            assert client.post(url, POSTS[name]).status_code == 404, name
        if name not in ("accept", "start"):  # those two are POST only
            assert client.get(url).status_code == 404, name
    # And once it is complete, it cannot be invoiced either.
    WorkOrder.objects.filter(pk=theirs.pk).update(status=Status.COMPLETED)
    assert client.post(_urls(theirs)["invoice"], POSTS["invoice"]).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.COMPLETED and theirs.accepted_at is None
    assert not WorkOrderEvent.objects.filter(order=theirs).exists()
    assert not Appointment.objects.exists() and not Variation.objects.exists()
    assert not Invoice.objects.exists()
    assert "B's job" not in client.get("/contractor/?status=completed").content.decode()


def test_a_contractor_user_without_a_company_sees_no_orders(client_for, order):
    from tests.housing.factories import UserFactory

    loner = UserFactory(kind="contractor")
    client = client_for(loner)
    page = client.get("/contractor/").content.decode()
    assert "Your account is not linked to a company" in page
    assert client.get(_urls(order)["order"]).status_code == 404


@pytest.mark.parametrize("persona", ["team_leader", "repairs_officer", "administrator",
                                     "tenant"])
def test_staff_and_tenants_are_kept_out_of_the_contractor_portal(client_for, request, order,
                                                                 persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/contractor/").status_code in (403, 302)  # 302: admin's MFA first
    for name, url in _urls(order).items():
        assert client.get(url).status_code in (403, 302), name
        assert client.post(url, POSTS.get(name, {})).status_code in (403, 302), name
    order.refresh_from_db()
    assert order.status == Status.ISSUED and order.accepted_at is None


def test_staff_are_refused_outright(client_for, order, team_leader):
    assert client_for(team_leader).get(_urls(order)["order"]).status_code == 403


def test_anonymous_visitors_sign_in(client, order):
    for url in ["/contractor/", *_urls(order).values()]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/"), url


# --- The screens ------------------------------------------------------------------------------


def test_home_lists_the_companys_orders_new_first_with_target_dates(client_for, contractor,
                                                                    order, theirs, home,
                                                                    contractor_a, make_order):
    booked = make_order(home, contractor_a, status=Status.BOOKED, description="Booked job")
    make_order(home, contractor_a, status=Status.RAISED, description="Not issued yet")
    client = client_for(contractor)
    page = client.get("/contractor/").content.decode()
    assert order.reference in page and "11 January 2027" in page
    assert "New (1)" in page and "Booked (1)" in page
    assert booked.reference not in page  # on its own tab
    assert theirs.reference not in page and "Not issued yet" not in page
    page = client.get("/contractor/?status=booked").content.decode()
    assert booked.reference in page and order.reference not in page


def test_home_reads_a_fixed_number_of_queries(client_for, contractor, contractor_a, make_order,
                                              north):
    client = client_for(contractor)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/contractor/").status_code == 200
        return len(queries)

    make_order(PropertyFactory(patch=north), contractor_a)
    few = count()
    for _n in range(6):
        make_order(PropertyFactory(patch=north), contractor_a)
    assert count() == few


def test_the_order_page_shows_the_address_safety_flag_access_and_lines(client_for, contractor,
                                                                       order, home):
    tenant = TenancyMember.objects.get(tenancy__property=home).person
    Alert.objects.create(person=tenant, category="cautionary", safety_flag=True,
                         flag_text="Do not visit alone", detail="Secret detail",
                         start_date=TODAY)
    order.request.access_notes = "Key safe code from the office"
    order.request.save()
    page = client_for(contractor).get(_urls(order)["order"]).content.decode()
    assert "12 Mill Lane" in page and "EX1 2HL" in page
    assert "Do not visit alone" in page and "Secret detail" not in page
    assert "Key safe code from the office" in page
    assert "PL100" in page and "Renew tap washer or cartridge" in page and "£28.50" in page
    assert "Accept the order" in page and "Book the appointment" in page


def test_accepting_and_starting_on_the_page(client_for, contractor, order):
    client = client_for(contractor)
    response = client.post(_urls(order)["accept"], follow=True)
    assert "Order accepted." in response.content.decode()
    response = client.post(_urls(order)["accept"], follow=True)
    assert "was already accepted" in response.content.decode()  # the refusal explains itself
    client.post(_urls(order)["start"])
    order.refresh_from_db()
    assert order.status == Status.IN_PROGRESS


def test_the_slot_picker_offers_free_places_only(client_for, contractor, order, make_order,
                                                 contractor_a):
    other = make_order(PropertyFactory(), contractor_a)
    appointments.book(order_id=other.pk, date=TODAY, slot="pm", by=contractor, at=AT)
    client = client_for(contractor)
    page = client.get(_urls(order)["book"]).content.decode()
    assert 'value="2026-12-09|am"' in page and 'value="2026-12-09|pm"' not in page
    assert 'value="2026-12-09|all_day"' not in page  # it needs an afternoon place
    assert "Afternoon, 12 noon to 6pm: full" in page
    assert 'value="2026-12-22|am"' in page  # the tenth working day
    assert 'value="2026-12-23|am"' not in page
    response = client.post(_urls(order)["book"], {"choice": "2026-12-10|all_day"})
    assert response.status_code == 302
    assert order.appointments.get().slot == "all_day"


def test_a_bad_booking_shows_an_error_summary(client_for, contractor, order):
    response = client_for(contractor).post(_urls(order)["book"], {})
    page = response.content.decode()
    assert response.status_code == 200 and "<title>Error:" in page
    assert "govuk-error-summary" in page and "Choose a day and time." in page
    assert 'href="#id_choice_0"' in page and 'id="id_choice_0"' in page


def test_completing_on_the_page_with_a_photo(client_for, contractor, order):
    client = client_for(contractor)
    response = client.post(_urls(order)["complete"], {
        "completed_on": "2026-12-09", "notes": "Renewed the cartridge", "photos": [_png()]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.COMPLETED and order.photos.count() == 1


def test_a_refused_completion_keeps_what_was_typed(client_for, contractor, order):
    page = client_for(contractor).post(_urls(order)["complete"], {
        "completed_on": "2026-12-08", "notes": "Renewed the cartridge",
        "photos": [SimpleUploadedFile("notes.txt", b"hello")]}).content.decode()
    assert "govuk-error-summary" in page and "<title>Error:" in page
    assert "The completion date cannot be before the order was issued" in page
    assert "notes.txt is not a photo" in page
    assert "Renewed the cartridge" in page and 'value="2026-12-08"' in page


def test_no_access_on_the_page(client_for, contractor, order):
    client = client_for(contractor)
    page = client.post(_urls(order)["no_access"], {"note": ""}).content.decode()
    assert "govuk-error-summary" in page
    assert client.post(_urls(order)["no_access"], {"note": "Card left"}).status_code == 302
    order.refresh_from_db()
    assert order.status == Status.NO_ACCESS


def test_asking_for_a_variation_on_the_page(client_for, contractor, order):
    client = client_for(contractor)
    page = client.post(_urls(order)["variation"], {"reason": "Leak", "code_0": "ZZ999",
                                                   "quantity_0": "1"}).content.decode()
    assert "govuk-error-summary" in page and "ZZ999 is not in the Schedule of Rates." in page
    assert 'value="ZZ999"' in page
    response = client.post(_urls(order)["variation"], {"reason": "Leak", "code_0": "PL130",
                                                       "quantity_0": "1"})
    assert response.status_code == 302
    assert order.variations.get().status == "requested"
    page = client.get(_urls(order)["order"]).content.decode()
    assert "A variation is waiting for the council’s approval." in page


def test_the_invoice_form_is_filled_in_from_the_order(client_for, contractor, home,
                                                      contractor_a, make_order):
    order = make_order(home, contractor_a, status=Status.COMPLETED,
                       lines=[("PL100", "1"), ("PL110", "2.5")])
    page = client_for(contractor).get(_urls(order)["invoice"]).content.decode()
    assert 'value="PL100"' in page and 'value="28.50"' in page
    assert 'value="PL110"' in page and 'value="2.5"' in page and 'value="42.00"' in page


def test_a_matching_invoice_on_the_page(client_for, contractor, home, contractor_a,
                                        make_order):
    order = make_order(home, contractor_a, status=Status.COMPLETED)
    response = client_for(contractor).post(_urls(order)["invoice"], {
        "number": "A-100", "code_0": "PL100", "quantity_0": "1", "price_0": "28.50"},
        follow=True)
    assert "Invoice A-100 submitted. It matches the order" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.INVOICED


def test_a_mismatched_invoice_is_queried_and_the_contractor_sees_the_lines(
        client_for, contractor, home, contractor_a, make_order):
    order = make_order(home, contractor_a, status=Status.COMPLETED)
    client = client_for(contractor)
    response = client.post(_urls(order)["invoice"], {
        "number": "A-100", "code_0": "PL100", "quantity_0": "2", "price_0": "28.50"},
        follow=True)
    page = response.content.decode()
    assert "does not match the order, so it is queried" in page
    assert "PL100: invoiced 2 at £28.50, ordered 1 at £28.50" in page
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    home_page = client.get("/contractor/?status=completed").content.decode()
    assert "Invoice queried" in home_page
    form = client.get(_urls(order)["invoice"]).content.decode()  # correcting it
    assert "Your invoice A-100 was queried." in form
    assert "PL100: invoiced 2 at £28.50, ordered 1 at £28.50" in form


def test_a_refused_invoice_keeps_what_was_typed(client_for, contractor, home, contractor_a,
                                                make_order):
    order = make_order(home, contractor_a, status=Status.COMPLETED)
    page = client_for(contractor).post(_urls(order)["invoice"], {
        "number": "", "code_0": "PL100", "quantity_0": "1", "price_0": "28.5.0",
        "code_1": "", "quantity_1": "3"}).content.decode()
    assert "govuk-error-summary" in page and "<title>Error:" in page
    assert "Enter your invoice number." in page
    assert "Line 1: Enter an amount in pounds and pence" in page
    assert "Enter the SOR code for line 2." in page
    assert 'value="28.5.0"' in page and 'value="3"' in page
    assert not Invoice.objects.exists()


def test_an_order_not_complete_cannot_be_invoiced_on_the_page(client_for, contractor, order):
    response = client_for(contractor).post(_urls(order)["invoice"], POSTS["invoice"])
    page = response.content.decode()
    assert "is not complete (it is issued to the contractor)" in page
    assert not Invoice.objects.exists()

