"""Raising a repair: the service (fields, photos checked with Pillow and refused by name, a
damp report opening an Awaab's Law case), the home's safety flag and past repairs, the
raise-a-repair screen with its error summary, and the property page's repairs section."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time
from PIL import Image

from housing.models import Alert
from repairs import queries, services
from repairs.models import HazardCase, RepairPhoto, RepairRequest
from tests.housing.factories import PersonFactory, PropertyFactory
from tests.repairs.conftest import AT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


def image_file(name="tap.jpg", kind="JPEG", padding=0):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, kind)
    return SimpleUploadedFile(name, buffer.getvalue() + b"\0" * padding,
                              content_type="image/jpeg")


def _raise(home, user, priority, **fields):
    values = {"location": "kitchen", "description": "Tap drips", "priority_id": priority.pk,
              "channel": "phone", **fields}
    return services.raise_request(property_id=home.pk, by=user, at=AT, **values)


# --- The service ------------------------------------------------------------------------------


def test_raising_a_repair_keeps_it_and_its_photos(home, routine, customer_access):
    tenant = home.tenancies.get().members.get().person
    repair = _raise(home, customer_access, routine, location_detail="Under the sink",
                    access_notes="Key safe 1234", reported_by_id=tenant.pk,
                    photos=[image_file("one.jpg"), image_file("two.png", "PNG")])
    assert repair.reference.startswith("R0") and len(repair.reference) == 7
    assert (repair.property, repair.priority, repair.raised_by, repair.raised_at) == (
        home, routine, customer_access, AT)
    assert (repair.location_detail, repair.access_notes, repair.reported_by) == (
        "Under the sink", "Key safe 1234", tenant)
    assert repair.status == "open" and not repair.is_damp_mould
    photos = list(repair.photos.all())
    assert [photo.caption for photo in photos] == ["one.jpg", "two.png"]
    assert all(photo.uploaded_by == customer_access and photo.image.size for photo in photos)
    assert not HazardCase.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_by_name_and_no_photo_is_kept(
        home, routine, customer_access):
    fake = SimpleUploadedFile("boiler.jpg", b"this is a text file, not a photo",
                              content_type="image/jpeg")
    with pytest.raises(ValidationError) as caught:
        _raise(home, customer_access, routine, photos=[image_file("good.jpg"), fake])
    assert caught.value.message_dict == {
        "photos": ["boiler.jpg is not a photo: choose a JPEG, PNG, GIF or WebP image."]}
    assert not RepairRequest.objects.exists() and not RepairPhoto.objects.exists()


def test_a_photo_over_10_mb_is_refused_by_name(home, routine, customer_access):
    big = image_file("huge.jpg", padding=10 * 1024 * 1024)
    assert big.size > 10 * 1024 * 1024
    with pytest.raises(ValidationError) as caught:
        _raise(home, customer_access, routine, photos=[big])
    assert caught.value.message_dict["photos"] == [
        "huge.jpg is 10.0 MB: each photo must be 10 MB or smaller."]
    assert not RepairRequest.objects.exists() and not RepairPhoto.objects.exists()
    # Exactly 10 MB is allowed.
    edge = image_file("edge.jpg")
    edge = image_file("edge.jpg", padding=10 * 1024 * 1024 - edge.size)
    assert _raise(home, customer_access, routine, photos=[edge]).photos.count() == 1


def test_missing_answers_are_refused_by_field(home, customer_access):
    with pytest.raises(ValidationError) as caught:
        services.raise_request(property_id=home.pk, location="attic", description=" ",
                               priority_id=None, channel="pigeon", by=customer_access, at=AT)
    assert set(caught.value.message_dict) == {"location", "description", "priority", "channel"}


@pytest.mark.parametrize(("priority", "severity"), [("routine", "significant"),
                                                    ("emergency", "emergency")])
def test_a_damp_report_opens_an_awaabs_law_case(home, customer_access, priority, severity,
                                                request):
    repair = _raise(home, customer_access, request.getfixturevalue(priority),
                    description="Black mould on the bedroom wall", is_damp_mould=True)
    case = HazardCase.objects.get()
    assert (case.request, case.property, case.severity, case.aware_at) == (repair, home,
                                                                          severity, AT)


# --- Safety flags and past repairs ------------------------------------------------------------


def test_the_safety_flag_is_the_flag_text_never_the_detail(home):
    tenant = home.tenancies.get().members.get().person
    assert queries.home_safety_flag(home, on=date(2026, 12, 9)) == []
    Alert.objects.create(person=tenant, category="cautionary", safety_flag=True,
                         flag_text="Do not visit alone", detail="Threatened a surveyor in 2024",
                         start_date=date(2025, 1, 1))
    Alert.objects.create(property=home, category="cautionary", safety_flag=True,
                         flag_text="Dog on site", detail="Large dog", start_date=date(2025, 1, 1))
    Alert.objects.create(property=home, category="vulnerability", safety_flag=False,
                         detail="Hard of hearing", start_date=date(2025, 1, 1))
    Alert.objects.create(property=home, category="cautionary", safety_flag=True,
                         flag_text="Ended flag", detail="Old", start_date=date(2020, 1, 1),
                         end_date=date(2021, 1, 1))
    # Someone who is not living there now.
    Alert.objects.create(person=PersonFactory(), category="cautionary", safety_flag=True,
                         flag_text="Someone else", detail="Elsewhere",
                         start_date=date(2025, 1, 1))
    assert queries.home_safety_flag(home, on=date(2026, 12, 9)) == ["Do not visit alone",
                                                                    "Dog on site"]


def test_past_repairs_count_the_last_12_months(home, routine, customer_access):
    for days in (10, 100, 300, 400):
        _raise(home, customer_access, routine, description=f"{days} days ago")
        RepairRequest.objects.filter(description=f"{days} days ago").update(
            raised_at=AT - timedelta(days=days))
    past = queries.past_repairs(home, on=date(2026, 12, 9), limit=2)
    assert (past.in_last_12_months, past.total) == (3, 4)
    assert [item.description for item in past.items] == ["10 days ago", "100 days ago"]


# --- The screen -------------------------------------------------------------------------------


def test_the_raise_a_repair_page_shows_the_flag_and_a_repeat(client_for, customer_access, home,
                                                             routine):
    Alert.objects.create(property=home, category="cautionary", safety_flag=True,
                         flag_text="Do not visit alone", detail="Secret detail",
                         start_date=date(2025, 1, 1))
    for number in range(3):
        _raise(home, customer_access, routine, description=f"Leak number {number}")
    page = client_for(customer_access).get(f"/repairs/requests/new/?property={home.pk}")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Safety flag: Do not visit alone" in text and "Secret detail" not in text
    assert "Reported before" in text and "3 in the last 12 months" in text
    assert "Check whether this is the same problem coming back." in text
    assert "Leak number 2" in text
    # Each priority's target, worked out for today.
    assert "Routine: within 20 working days (by Monday 11 January 2027)" in text
    assert "Urgent: within 3 working days (by Monday 14 December 2026)" in text
    assert "Emergency: attend and make safe within 24 hours" in text
    assert "Ada Quick" in text  # who reported it: the tenant, to choose
    assert 'enctype="multipart/form-data"' in text and "multiple" in text


def test_a_bad_post_shows_the_error_summary_and_keeps_what_was_typed(client_for, home, routine,
                                                                     customer_access):
    url = f"/repairs/requests/new/?property={home.pk}"
    response = client_for(customer_access).post(url, {
        "location": "bathroom", "description": "", "priority": str(routine.pk),
        "channel": "phone", "access_notes": "Ring twice",
        "photos": [SimpleUploadedFile("notes.jpg", b"plain text")]})
    text = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in text and "There is a problem" in text
    assert "Describe the problem." in text
    assert "Ring twice" in text and re.search(r'value="bathroom"[^>]*checked', text)
    assert not RepairRequest.objects.exists()
    # Fix the description: the photo is refused by name, with the summary.
    response = client_for(customer_access).post(url, {
        "location": "bathroom", "description": "Bath leaks", "priority": str(routine.pk),
        "channel": "phone", "photos": [SimpleUploadedFile("notes.jpg", b"plain text")]})
    text = response.content.decode()
    assert "notes.jpg is not a photo" in text and "There is a problem" in text
    assert "The photos you chose were not kept" in text
    assert not RepairRequest.objects.exists()


def test_raising_a_repair_from_the_screen(client_for, customer_access, home, routine):
    tenant = home.tenancies.get().members.get().person
    response = client_for(customer_access).post(
        f"/repairs/requests/new/?property={home.pk}",
        {"location": "kitchen", "location_detail": "Sink", "description": "Tap drips",
         "priority": str(routine.pk), "channel": "phone", "reported_by": str(tenant.pk),
         "photos": [image_file("a.jpg"), image_file("b.jpg")]}, follow=True)
    repair = RepairRequest.objects.get()
    assert response.redirect_chain[-1][0] == f"/repairs/requests/{repair.pk}/"
    text = response.content.decode()
    assert f"Repair {repair.reference} recorded with 2 photos." in text
    assert repair.reported_by == tenant and repair.photos.count() == 2
    assert "Tap drips" in text and "Ada Quick" in text
    photo = repair.photos.first()
    assert f"/repairs/photos/{photo.pk}/" in text
    image = client_for(customer_access).get(f"/repairs/photos/{photo.pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"


def test_finding_the_home_first(client_for, customer_access, home, south):
    client = client_for(customer_access)
    page = client.get("/repairs/requests/new/").content.decode()
    assert "Which home is the repair at?" in page
    page = client.get("/repairs/requests/new/?q=mill lane").content.decode()
    assert f"/repairs/requests/new/?property={home.pk}" in page
    page = client.get("/repairs/requests/new/?q=nowhere").content.decode()
    assert "No home matches “nowhere”" in page


def test_the_property_page_links_to_raise_a_repair_and_lists_recent_ones(
        client_for, customer_access, officer, council_tax, repairs_officer, home, routine):
    _raise(home, customer_access, routine, description="Front door sticks")
    page = client_for(customer_access).get(f"/properties/{home.pk}/").content.decode()
    assert f"/repairs/requests/new/?property={home.pk}" in page and "Raise a repair" in page
    assert "Recent repairs" in page and "Front door sticks" in page
    assert "Report damp or mould" not in page  # Customer Access do not open Awaab cases
    # A Housing Officer sees the repairs on their patch but does not raise them.
    page = client_for(officer).get(f"/properties/{home.pk}/").content.decode()
    assert "Front door sticks" in page and "Raise a repair" not in page
    # A Repairs Officer also reports damp or mould there.
    page = client_for(repairs_officer).get(f"/properties/{home.pk}/").content.decode()
    assert f"/repairs/awaab/new/?property={home.pk}" in page and "Report damp or mould" in page
    # Council Tax does not see repairs at all.
    page = client_for(council_tax).get(f"/properties/{home.pk}/").content.decode()
    assert "Front door sticks" not in page and "Recent repairs" not in page


def test_a_home_off_the_officers_patches_is_not_found(client_for, team_leader, south, routine):
    from housing import roles
    from tests.housing.factories import UserFactory

    far = PropertyFactory(patch=south, address_line_1="3 Far Road")
    # A Customer Access user with a patch-scoped role: take away seeing every patch.
    from django.contrib.auth.models import Permission

    user = UserFactory(role=roles.CUSTOMER_ACCESS, patches=[])
    user.groups.first().permissions.remove(
        Permission.objects.get(codename="view_all_patches"))
    user = type(user).objects.get(pk=user.pk)
    assert client_for(user).get(f"/repairs/requests/new/?property={far.pk}").status_code == 404
