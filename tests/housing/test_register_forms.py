"""Adding a home, changing a home and changing a person's contact details: who may, what is
saved (through housing.services), what is refused and the audit trail it leaves."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape

from housing import services
from housing.models import Adaptation, Person, Property
from tenancies import services as tenancy_services
from tests.housing.factories import EstateFactory, PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def estate(north):
    return EstateFactory(patch=north, name="Riverside Estate")


@pytest.fixture
def home(estate):
    return PropertyFactory(estate=estate, address_line_1="12 Mill Lane", postcode="EX2 4AB",
                           uprn="100040212345", bedrooms=2)


@pytest.fixture
def tenant_person(home):
    person = PersonFactory(first_name="Margaret", last_name="Thistlewood",
                           mobile_phone="07700 900123")
    tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                             start_date=date(2020, 4, 6), tenant_ids=[person.pk], by=None,
                             at=AT)
    return person


@pytest.fixture
def elsewhere_person(south):
    far = PropertyFactory(estate__patch=south, address_line_1="3 Far Road", postcode="EX4 1AA")
    person = PersonFactory(first_name="Oscar", last_name="Far")
    tenancy_services.sign_up(property_id=far.pk, tenancy_type="secure",
                             start_date=date(2021, 1, 4), tenant_ids=[person.pk], by=None,
                             at=AT)
    return person


def new_home_data(on_estate, /, **overrides):
    return {"uprn": "1000 4021 2399", "kind": "dwelling", "property_type": "flat",
            "address_line_1": "Flat 1, New Street", "address_line_2": "", "town": "Exeter",
            "postcode": "ex2 4ab", "estate": on_estate.pk, "block": "", "patch": "",
            "bedrooms": "1", "floor_level": "0", "build_year": "1968", "tenure": "void",
            **overrides}


def home_data(home, /, **overrides):
    return {"uprn": home.uprn, "kind": home.kind, "property_type": home.property_type,
            "address_line_1": home.address_line_1, "address_line_2": home.address_line_2,
            "town": home.town, "postcode": home.postcode, "estate": home.estate_id or "",
            "block": home.block_id or "", "patch": "",
            "bedrooms": "" if home.bedrooms is None else str(home.bedrooms),
            "floor_level": "" if home.floor_level is None else str(home.floor_level),
            "build_year": "" if home.build_year is None else str(home.build_year),
            "tenure": home.tenure, **overrides}


def contact_data(person, /, **overrides):
    data = {name: getattr(person, name) for name in services.CONTACT_FIELDS}
    data = {name: value for name, value in data.items() if value not in (False, None)}
    return {**data, **overrides}


# --- Who may ----------------------------------------------------------------------------------

def test_administrator_opens_the_add_and_change_pages(client_for, administrator, home):
    client = client_for(administrator)
    assert client.get("/properties/new/").status_code == 200
    page = client.get(f"/properties/{home.pk}/edit/").content.decode()
    assert 'value="100040212345"' in page and "Change the property’s details" in page


@pytest.mark.parametrize("persona", ["council_tax", "officer", "customer_access", "tenant"])
def test_others_may_not_add_or_change_homes(client_for, request, persona, home, estate):
    client = client_for(request.getfixturevalue(persona))
    for path in ("/properties/new/", f"/properties/{home.pk}/edit/"):
        assert client.get(path).status_code == 403, path
    response = client.post("/properties/new/", new_home_data(estate))
    assert response.status_code == 403
    assert not Property.objects.filter(uprn="100040212399").exists()


def test_anonymous_visitors_sign_in_first(client, home, tenant_person):
    for path in ("/properties/new/", f"/properties/{home.pk}/edit/",
                 f"/people/{tenant_person.pk}/edit/"):
        assert client.get(path)["Location"].startswith("/accounts/login/"), path


def test_a_home_off_the_users_patches_is_not_found(client_for, officer, south):
    """Changing a home is scoped like seeing it: with the permission but not the patch, 404."""
    from django.contrib.auth.models import Permission

    officer.user_permissions.add(Permission.objects.get(codename="change_property"))
    far = PropertyFactory(estate__patch=south)
    assert client_for(officer).get(f"/properties/{far.pk}/edit/").status_code == 404


@pytest.mark.parametrize("persona", ["customer_access", "officer"])
def test_staff_with_change_person_open_the_contact_page(client_for, request, persona,
                                                        tenant_person):
    response = client_for(request.getfixturevalue(persona)).get(
        f"/people/{tenant_person.pk}/edit/")
    assert response.status_code == 200
    assert 'value="07700 900123"' in response.content.decode()


def test_person_pages_refuse_the_others(client_for, officer, council_tax, tenant,
                                        tenant_person, elsewhere_person):
    assert client_for(officer).get(f"/people/{elsewhere_person.pk}/edit/").status_code == 404
    for user in (council_tax, tenant):
        client = client_for(user)
        assert client.get(f"/people/{tenant_person.pk}/edit/").status_code == 403
        response = client.post(f"/people/{tenant_person.pk}/edit/",
                               contact_data(tenant_person, mobile_phone="07700 900999"))
        assert response.status_code == 403
    tenant_person.refresh_from_db()
    assert tenant_person.mobile_phone == "07700 900123"


def test_change_links_and_buttons_only_for_those_who_may(client_for, administrator,
                                                         team_leader, customer_access,
                                                         repairs_officer, home, tenant_person):
    edit_home = f"/properties/{home.pk}/edit/"
    assert edit_home in client_for(administrator).get(f"/properties/{home.pk}/").content.decode()
    assert edit_home not in client_for(team_leader).get(
        f"/properties/{home.pk}/").content.decode()
    assert "Add a property" in client_for(administrator).get("/properties/").content.decode()
    assert "Add a property" not in client_for(team_leader).get("/properties/").content.decode()
    edit_person = f"/people/{tenant_person.pk}/edit/"
    assert edit_person in client_for(customer_access).get(
        f"/people/{tenant_person.pk}/").content.decode()
    assert edit_person not in client_for(repairs_officer).get(
        f"/people/{tenant_person.pk}/").content.decode()


def test_let_this_home_only_on_a_void_home_for_lettings(client_for, lettings_officer,
                                                        council_tax, estate, home,
                                                        tenant_person):
    try:
        signup = reverse("tenancies:sign-up")
    except NoReverseMatch:
        pytest.skip("tenancies:sign-up is not there yet")
    void = PropertyFactory(estate=estate, tenure="void")
    garage = PropertyFactory(estate=estate, kind="garage", property_type="", tenure="void")
    link = f"{signup}?property={void.pk}"
    assert link in client_for(lettings_officer).get(f"/properties/{void.pk}/").content.decode()
    assert link not in client_for(council_tax).get(f"/properties/{void.pk}/").content.decode()
    for other in (home, garage):  # let, or not a home
        page = client_for(lettings_officer).get(f"/properties/{other.pk}/").content.decode()
        assert "Let this home" not in page


def test_later_sections_stay_hidden_until_they_exist(client_for, team_leader, home):
    page = client_for(team_leader).get(f"/properties/{home.pk}/").content.decode()
    assert 'id="voids"' not in page  # not built yet
    assert 'id="repairs"' in page and 'id="rent-account"' in page and 'id="history"' in page


# --- Adding a home ----------------------------------------------------------------------------

def test_adding_a_home_saves_it_normalised_with_its_audit_row(client_for, administrator,
                                                              estate):
    ramp = Adaptation.objects.create(name="Ramp")
    client = client_for(administrator)
    response = client.post("/properties/new/", new_home_data(estate, adaptations=[ramp.pk]))
    home = Property.objects.get(uprn="100040212399")
    assert response["Location"] == f"/properties/{home.pk}/"
    assert (home.postcode, home.patch, home.estate, home.bedrooms, home.floor_level) == (
        "EX2 4AB", estate.patch, estate, 1, 0)
    assert list(home.adaptations.all()) == [ramp]
    [row] = home.history.all()  # one audit row for the whole creation
    assert row.history_type == "+" and row.history_user == administrator
    assert [a.adaptation for a in row.adaptations.all()] == [ramp]
    page = client.get(response["Location"]).content.decode()
    assert "Flat 1, New Street, EX2 4AB has been added." in page
    assert "Created" in page and f"by {escape(administrator.display_name)}" in page


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"uprn": "100040212345"}, "uprn",
     "UPRN 100040212345 is already used by 12 Mill Lane, EX2 4AB"),
    ({"uprn": "0100 0402 12345"}, "uprn",
     "UPRN 100040212345 is already used by 12 Mill Lane, EX2 4AB"),
    ({"uprn": "12AB"}, "uprn", "Enter a UPRN of up to 12 digits"),
    ({"uprn": "1234567890123"}, "uprn", "Enter a UPRN of up to 12 digits"),
    ({"postcode": "EX2 4A"}, "postcode", "Enter a real UK postcode, like EX1 1AA."),
    ({"property_type": ""}, "property_type", "Choose the type of home"),
    ({"estate": "", "patch": ""}, "patch", "Choose the patch this home is in"),
    ({"tenure": "rented"}, "tenure", "Select a valid choice"),
    ({"bedrooms": "two"}, "bedrooms", "Enter the number of bedrooms as a whole number."),
])
def test_adding_a_home_refused_keeps_what_was_typed(client_for, administrator, estate, home,
                                                    overrides, field, message):
    before = Property.objects.count()
    response = client_for(administrator).post("/properties/new/",
                                              new_home_data(estate, **overrides))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert f'href="#id_{field}' in page  # the summary links to the field
    assert 'value="Flat 1, New Street"' in page
    assert Property.objects.count() == before


def test_a_block_on_another_estate_is_refused(client_for, administrator, estate):
    other = EstateFactory(patch=estate.patch, name="Hillside Estate")
    block = other.blocks.create(code="hill-house", name="Hill House")
    response = client_for(administrator).post("/properties/new/",
                                              new_home_data(estate, block=block.pk))
    assert ("Hill House is on Hillside Estate, not on Riverside Estate. Choose a block on "
            "Riverside Estate, or change the estate.") in response.content.decode()
    assert not Property.objects.filter(uprn="100040212399").exists()


def test_a_block_gives_the_estate_and_the_patch(administrator, estate):
    block = estate.blocks.create(code="mill-house", name="Mill House")
    home = services.create_property(uprn="5", address_line_1="Flat 2 Mill House", town="Exeter",
                                    postcode="ex24ab", property_type="flat", block=block,
                                    by=administrator, at=AT)
    assert (home.estate, home.patch, home.uprn) == (estate, estate.patch, "5")
    assert home.history.get().history_date == AT


# --- Changing a home --------------------------------------------------------------------------

def test_changing_a_home_saves_and_shows_who_in_the_audit_trail(client_for, administrator,
                                                                home):
    client = client_for(administrator)
    response = client.post(f"/properties/{home.pk}/edit/",
                           home_data(home, bedrooms="3", postcode="ex2 4aq"))
    assert response["Location"] == f"/properties/{home.pk}/"
    home.refresh_from_db()
    assert (home.bedrooms, home.postcode) == (3, "EX2 4AQ")
    latest = home.history.first()
    assert latest.history_type == "~" and latest.history_user == administrator
    page = client.get(f"/properties/{home.pk}/").content.decode()
    assert "The details of 12 Mill Lane, EX2 4AQ have been saved." in page
    assert f"by {escape(administrator.display_name)}" in page
    assert "changed from 2 to 3" in page and "changed from EX2 4AB to EX2 4AQ" in page


def test_saving_without_changes_writes_nothing(client_for, administrator, home):
    rows = home.history.count()
    response = client_for(administrator).post(f"/properties/{home.pk}/edit/", home_data(home),
                                              follow=True)
    assert "Nothing was changed." in response.content.decode()
    assert home.history.count() == rows


def test_changing_to_a_used_uprn_is_refused(client_for, administrator, home, estate):
    other = PropertyFactory(estate=estate, address_line_1="14 Mill Lane", uprn="100040212346")
    response = client_for(administrator).post(
        f"/properties/{other.pk}/edit/",
        home_data(other, uprn="100040212345", address_line_1="14a Mill Lane"))
    page = response.content.decode()
    assert "UPRN 100040212345 is already used by 12 Mill Lane, EX2 4AB" in page
    assert 'value="14a Mill Lane"' in page
    other.refresh_from_db()
    assert (other.uprn, other.address_line_1) == ("100040212346", "14 Mill Lane")


def test_a_let_home_stays_rented(administrator, home, tenant_person):
    home.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.update_property(property_id=home.pk, changes={"tenure": "void"},
                                 by=administrator, at=AT)
    assert "stays rented" in refused.value.message_dict["tenure"][0]
    with pytest.raises(ValidationError) as refused:
        services.update_property(property_id=home.pk, changes={"kind": "garage",
                                                                "property_type": ""},
                                 by=administrator, at=AT)
    assert "stays a home" in refused.value.message_dict["kind"][0]


def test_a_void_home_is_not_made_rented_by_hand(administrator, home):
    with pytest.raises(ValidationError) as refused:
        services.update_property(property_id=home.pk, changes={"tenure": "rented"},
                                 by=administrator, at=AT)
    assert "when a tenancy is signed up" in refused.value.message_dict["tenure"][0]


def test_moving_estate_moves_to_its_patch(client_for, administrator, home, south):
    other = EstateFactory(patch=south, name="Southside")
    client_for(administrator).post(f"/properties/{home.pk}/edit/",
                                   home_data(home, estate=other.pk))
    home.refresh_from_db()
    assert (home.estate, home.patch) == (other, south)


# --- Changing a person's contact details ------------------------------------------------------

def test_changing_contact_details_saves_and_shows_who(client_for, customer_access,
                                                      tenant_person):
    client = client_for(customer_access)
    response = client.post(f"/people/{tenant_person.pk}/edit/", contact_data(
        tenant_person, mobile_phone=" 07700  900456 ", email="maggie@example.com",
        ni_number="ab 12 34 56 c", preferred_contact_method="text", large_print="on",
        first_name="Not", last_name="Changed"))
    assert response["Location"] == f"/people/{tenant_person.pk}/"
    tenant_person.refresh_from_db()
    assert (tenant_person.mobile_phone, tenant_person.email, tenant_person.ni_number,
            tenant_person.preferred_contact_method, tenant_person.large_print) == (
        "07700 900456", "maggie@example.com", "AB123456C", "text", True)
    assert (tenant_person.first_name, tenant_person.last_name) == ("Margaret", "Thistlewood")
    assert tenant_person.history.first().history_user == customer_access
    page = client.get(f"/people/{tenant_person.pk}/").content.decode()
    assert "Margaret Thistlewood’s details have been saved." in page
    assert f"by {escape(customer_access.display_name)}" in page
    assert "changed from 07700 900123 to 07700 900456" in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"mobile_phone": "12345"}, "Enter a UK phone number, like 01392 265000 or 07700 900982."),
    ({"ni_number": "QQ 12 34 56"}, "Enter a National Insurance number in the right format"),
    ({"email": "maggie@"}, "Enter an email address in the correct format"),
    ({"correspondence_postcode": "NOWHERE"}, "Enter a real UK postcode"),
])
def test_a_bad_contact_detail_is_refused_and_kept(client_for, officer, tenant_person,
                                                  overrides, message):
    response = client_for(officer).post(
        f"/people/{tenant_person.pk}/edit/",
        contact_data(tenant_person, language="Polish", correspondence_address="1 High St",
                     **overrides))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert f'value="{next(iter(overrides.values()))}"' in page and 'value="Polish"' in page
    tenant_person.refresh_from_db()
    assert (tenant_person.language, tenant_person.ni_number) == ("English", "")


def test_an_ni_number_belongs_to_one_person(officer, tenant_person):
    PersonFactory(ni_number="AB123456C")
    with pytest.raises(ValidationError) as refused:
        services.update_person_contact(person_id=tenant_person.pk,
                                       changes={"ni_number": "AB 123456 C"}, by=officer, at=AT)
    assert refused.value.message_dict["ni_number"] == [
        "National Insurance number AB123456C is already recorded for someone else. Check the "
        "number."]


def test_names_are_not_contact_details(officer, tenant_person):
    with pytest.raises(ValueError, match="change of name is a tenancy event"):
        services.update_person_contact(person_id=tenant_person.pk,
                                       changes={"last_name": "Thistle"}, by=officer, at=AT)


def test_create_person_normalises_and_refuses_a_duplicate(officer):
    person = services.create_person(first_name=" Ada ", last_name="Lovelace",
                                    date_of_birth=date(1990, 12, 10), ni_number="ab123456c",
                                    mobile_phone="07700 900001", by=officer, at=AT)
    assert (person.first_name, person.ni_number) == ("Ada", "AB123456C")
    assert person.history.get().history_user == officer
    with pytest.raises(ValidationError, match="Ada Lovelace, born 10 December 1990, is already"):
        services.create_person(first_name="ada", last_name="LOVELACE",
                               date_of_birth=date(1990, 12, 10), by=officer, at=AT)
    assert Person.objects.count() == 1
