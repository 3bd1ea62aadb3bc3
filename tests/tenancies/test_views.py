"""The property, person and tenancy pages, search, and who may see and do what."""

from datetime import UTC, date, datetime

import pytest
from django.utils.html import escape
from guardian.shortcuts import assign_perm

from housing.models import Alert, ConfidentialReadLog
from tenancies import services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def letting(north):
    home = PropertyFactory(estate__patch=north, address_line_1="12 Mill Lane",
                           postcode="EX2 4AB", uprn="100040212345")
    tenant = PersonFactory(first_name="Margaret", last_name="Thistlewood",
                           date_of_birth=date(1950, 3, 4), mobile_phone="07700 900123")
    tenancy = services.sign_up(property_id=home.pk, tenancy_type="secure",
                               start_date=date(2020, 4, 6), tenant_ids=[tenant.pk], by=None,
                               at=AT)
    return home, tenant, tenancy


@pytest.fixture
def elsewhere(south):
    home = PropertyFactory(estate__patch=south, address_line_1="3 Far Road", postcode="EX4 1AA")
    tenant = PersonFactory(first_name="Oscar", last_name="Thistlewood")
    tenancy = services.sign_up(property_id=home.pk, tenancy_type="secure",
                               start_date=date(2021, 1, 4), tenant_ids=[tenant.pk], by=None,
                               at=AT)
    return home, tenant, tenancy


def _pages(letting):
    home, tenant, tenancy = letting
    return [f"/properties/{home.pk}/", f"/people/{tenant.pk}/", f"/tenancies/{tenancy.pk}/"]


def test_officer_sees_their_patch_pages(client_for, officer, letting):
    client = client_for(officer)
    for path in _pages(letting):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Thistlewood" in response.content.decode()
    page = client.get(_pages(letting)[0]).content.decode()
    assert f"North ({escape(officer.display_name)})" in page  # the patch and its officer


def test_officer_off_patch_gets_404(client_for, officer, elsewhere):
    client = client_for(officer)
    for path in _pages(elsewhere):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_refused(client_for, request, persona, letting):
    client = client_for(request.getfixturevalue(persona))
    for path in _pages(letting):
        assert client.get(path).status_code == 403


def test_anonymous_visitors_sign_in_first(client, letting):
    for path in _pages(letting):
        assert client.get(path)["Location"].startswith("/accounts/login/")


def test_council_tax_reads_homes_and_tenancies_but_not_people_or_actions(
        client_for, council_tax, letting):
    home, tenant, tenancy = letting
    client = client_for(council_tax)
    assert client.get(f"/properties/{home.pk}/").status_code == 200
    page = client.get(f"/tenancies/{tenancy.pk}/").content.decode()
    assert "Actions" not in page
    assert client.get(f"/people/{tenant.pk}/").status_code == 404
    response = client.post(f"/tenancies/{tenancy.pk}/end/",
                           {"end_date": "2026-11-01", "reason": "notice"})
    assert response.status_code == 403
    tenancy.refresh_from_db()
    assert tenancy.end_date is None


def test_change_of_name_from_the_tenancy_page(client_for, officer, letting):
    _, tenant, tenancy = letting
    client = client_for(officer)
    response = client.post(f"/tenancies/{tenancy.pk}/change-of-name/", {
        "person": tenant.pk, "title_field": "Ms", "first_name": "Maggie",
        "last_name": "Thistle", "effective_date": "2026-10-01", "evidence": "deed poll"})
    assert response["Location"] == f"/tenancies/{tenancy.pk}/"
    page = client.get(f"/tenancies/{tenancy.pk}/").content.decode()
    assert "Change of name" in page and "Ms Maggie Thistle" in page


def test_a_refused_event_keeps_what_was_typed(client_for, officer, letting):
    _, _, tenancy = letting
    response = client_for(officer).post(f"/tenancies/{tenancy.pk}/notice/", {
        "received_on": "2026-11-02", "end_date": "2026-11-09"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "at least four weeks" in page
    assert 'value="2026-11-09"' in page
    tenancy.refresh_from_db()
    assert tenancy.notice_received_date is None


def test_alert_detail_only_for_those_granted_and_reads_logged(client_for, officer,
                                                             repairs_officer, letting):
    home, tenant, _ = letting
    alert = Alert.objects.create(person=tenant, category="cautionary", safety_flag=True,
                                 flag_text="Do not visit alone", detail="Aggressive dog",
                                 start_date=date(2025, 1, 1))
    page = client_for(repairs_officer).get(f"/properties/{home.pk}/").content.decode()
    assert "Do not visit alone" in page and "Aggressive dog" not in page  # the resident's flag
    page = client_for(repairs_officer).get(f"/people/{tenant.pk}/").content.decode()
    assert "Do not visit alone" in page and "Aggressive dog" not in page
    assign_perm("housing.view_alert", officer, alert)
    page = client_for(officer).get(f"/people/{tenant.pk}/").content.decode()
    assert "Aggressive dog" in page
    assert ConfidentialReadLog.objects.filter(user=officer, object_id=str(alert.pk)).exists()
    assert not ConfidentialReadLog.objects.filter(user=repairs_officer).exists()


@pytest.mark.parametrize(("query", "expected"), [
    ("Thistlewod", "Margaret Thistlewood"),  # misspelt surname
    ("margaret thistlewood", "Margaret Thistlewood"),
    ("04/03/1950", "Margaret Thistlewood"),
    ("Thsitlewood", "Margaret Thistlewood"),  # letters swapped: soundex
    ("07700 900123", "Margaret Thistlewood"),
    ("07700900123", "Margaret Thistlewood"),
    ("+44 7700 900123", "Margaret Thistlewood"),
    ("100040212345", "12 Mill Lane, EX2 4AB"),
    ("EX2 4AB", "12 Mill Lane, EX2 4AB"),
    ("ex2", "12 Mill Lane, EX2 4AB"),
    ("mill lane", "12 Mill Lane, EX2 4AB"),
])
def test_search_finds_homes_and_people(client_for, officer, letting, query, expected):
    response = client_for(officer).get("/search/", {"q": query}, HTTP_HX_REQUEST="true")
    assert expected in response.content.decode()


def test_search_finds_a_tenancy_by_reference(client_for, officer, letting):
    _, _, tenancy = letting
    page = client_for(officer).get("/search/", {"q": tenancy.reference.lower()}).content.decode()
    assert f"/tenancies/{tenancy.pk}/" in page


def test_search_shows_nothing_the_user_may_not_see(client_for, officer, team_leader, letting,
                                                   elsewhere):
    page = client_for(officer).get("/search/", {"q": "Thistlewood"}).content.decode()
    assert "Margaret Thistlewood" in page and "Oscar" not in page
    page = client_for(team_leader).get("/search/", {"q": "Thistlewood"}).content.decode()
    assert "Margaret Thistlewood" in page and "Oscar Thistlewood" in page


def test_property_list_filters_and_counts_queries(client_for, team_leader, north,
                                                  django_assert_max_num_queries):
    for n in range(5):
        PropertyFactory(estate__patch=north, bedrooms=3 if n % 2 else 1)
    client = client_for(team_leader)
    page = client.get("/properties/", {"bedrooms": 3}).content.decode()
    assert page.count("/properties/") >= 2
    client.get("/properties/")
    with django_assert_max_num_queries(20) as few:
        client.get("/properties/")
    for _ in range(30):
        PropertyFactory(estate__patch=north)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/properties/")


def test_tenancy_list_shows_the_patch_and_counts_queries(client_for, officer, letting, elsewhere,
                                                         north, django_assert_max_num_queries):
    client = client_for(officer)
    page = client.get("/tenancies/").content.decode()
    assert letting[2].reference in page and elsewhere[2].reference not in page
    with django_assert_max_num_queries(20) as few:
        client.get("/tenancies/")
    for _ in range(15):
        home = PropertyFactory(estate__patch=north)
        person = PersonFactory()
        services.sign_up(property_id=home.pk, tenancy_type="secure", start_date=date(2022, 1, 3),
                         tenant_ids=[person.pk], by=None, at=AT)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/tenancies/")


def test_an_officer_records_an_alert_and_only_they_can_read_it(client_for, officer, team_leader,
                                                              repairs_officer, letting):
    home, tenant, _ = letting
    url = f"/people/{tenant.pk}/alerts/new/"
    client = client_for(officer)
    response = client.post(url, {"category": "cautionary", "detail": "", "safety_flag": "on",
                                 "flag_text": "", "start_date": "2026-11-01"})
    page = response.content.decode()
    assert "There is a problem" in page and "Enter what staff need to know" in page
    assert not Alert.objects.exists()
    response = client.post(url, {"category": "cautionary", "detail": "Dog in the garden",
                                 "safety_flag": "on", "flag_text": "Ring before visiting",
                                 "start_date": "2026-11-01"})
    assert response["Location"] == f"/people/{tenant.pk}/"
    assert "Dog in the garden" in client.get(f"/people/{tenant.pk}/").content.decode()
    other = client_for(team_leader).get(f"/people/{tenant.pk}/").content.decode()
    assert "Ring before visiting" in other and "Dog in the garden" not in other
    page = client_for(repairs_officer).get(f"/properties/{home.pk}/").content.decode()
    assert "Ring before visiting" in page and "Dog in the garden" not in page


def test_roles_without_the_permission_cannot_add_alerts(client_for, repairs_officer, tenant,
                                                        letting):
    _, person, _ = letting
    url = f"/people/{person.pk}/alerts/new/"
    assert client_for(repairs_officer).get(url).status_code == 403
    assert client_for(tenant).get(url).status_code == 403
    assert client_for(None).get(url)["Location"].startswith("/accounts/login/")
    assert "Add an alert" not in client_for(repairs_officer).get(
        f"/people/{person.pk}/").content.decode()
