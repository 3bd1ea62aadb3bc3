"""The letting screens: record an offer, its answer, the one-screen sign-up, the CORE lettings
log and the Council Tax list. Who may use each URL (allowed, 403, off-patch 404, tenant,
contractor, anonymous), forms that keep what was typed, the void page's letting section, and
fixed query counts on the lists."""

import re
from datetime import date

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from housing.models import Person
from tenancies.models import Tenancy
from tests.housing.factories import PersonFactory, UserFactory
from tests.voids.conftest import end, let_home
from tests.voids.test_letting import BORN, accepted, offer, sign
from voids.models import Offer, Stage
from voids.services import record_change

pytestmark = pytest.mark.django_db

ALLOWED = ["lettings_officer", "team_leader"]
REFUSED = ["repairs_officer", "officer", "income_officer", "council_tax", "no_access", "tenant",
           "contractor"]


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 17:00:00"):
        yield


@pytest.fixture
def ready(void, make_ready):
    return make_ready(void)


@pytest.fixture
def offered(ready, lettings_officer):
    """Offered to Mrs Jane Smith on 3 December 2026, no answer yet."""
    offer(ready, lettings_officer)
    return ready


@pytest.fixture
def agreed(ready, lettings_officer):
    """Mrs Jane Smith accepted on 4 December 2026."""
    accepted(ready, lettings_officer)
    return ready


def _paths(void) -> dict[str, str]:
    made = void.offers.order_by("pk").first()
    base = f"/voids/{void.pk}/"
    return {"offer": base + "offers/new/", "outcome": base + f"offers/{made.pk}/outcome/",
            "sign_up": base + "sign-up/", "core": "/voids/lettings-log/",
            "core_csv": "/voids/lettings-log.csv"}


def _patch_user(*, patches, perms):
    """A member of staff on `patches` only (no housing.view_all_patches) with `perms`."""
    group = Group.objects.create(name=f"Patch lettings {Group.objects.count()}")
    for name in perms:
        app_label, codename = name.split(".")
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label,
                                                     codename=codename))
    user = UserFactory(patches=patches)
    user.groups.add(group)
    return user


LETTING_PERMS = ["housing.use_voids", "voids.view_voidperiod", "voids.manage_void",
                 "voids.view_lettinglog", "tenancies.sign_up_tenancy", "housing.add_person",
                 "tenancies.view_tenancy"]


# --- Who may use each URL ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALLOWED)
def test_lettings_officers_and_team_leaders_open_every_page(client_for, request, persona,
                                                             agreed):
    client = client_for(request.getfixturevalue(persona))
    for name, path in _paths(agreed).items():
        response = client.get(path)
        assert response.status_code == 200, (name, path)


@pytest.mark.parametrize("persona", REFUSED)
def test_other_roles_tenants_and_contractors_are_refused(client_for, request, persona, agreed):
    client = client_for(request.getfixturevalue(persona))
    for name, path in _paths(agreed).items():
        assert client.get(path).status_code == 403, (name, path)
        if name not in ("core", "core_csv"):
            assert client.post(path, {}).status_code == 403, (name, path)
    assert Offer.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client_for, agreed):
    for path in _paths(agreed).values():
        response = client_for(None).get(path)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/"), path


def test_a_void_off_the_officers_patches_is_not_found(client_for, agreed, north, south):
    client = client_for(_patch_user(patches=[south], perms=LETTING_PERMS))
    paths = _paths(agreed)
    for name in ("offer", "outcome", "sign_up"):
        assert client.get(paths[name]).status_code == 404, name
        assert client.post(paths[name], {}).status_code == 404, name
    sign(agreed, UserFactory())
    assert "0 lettings" in client.get(paths["core"]).content.decode()
    assert len(b"".join(client.get(paths["core_csv"]).streaming_content).splitlines()) == 1
    on_patch = client_for(_patch_user(patches=[north], perms=LETTING_PERMS))
    assert "1 letting from" in on_patch.get(paths["core"]).content.decode()


def test_the_sign_up_needs_the_tenancy_sign_up_permission_too(client_for, agreed, north):
    perms = [perm for perm in LETTING_PERMS if perm != "tenancies.sign_up_tenancy"]
    client = client_for(_patch_user(patches=[north], perms=perms))
    assert client.get(_paths(agreed)["offer"]).status_code == 200
    assert client.get(_paths(agreed)["sign_up"]).status_code == 403


def test_an_offer_of_another_void_is_not_found(client_for, lettings_officer, agreed, north,
                                               make_ready):
    other = make_ready(end(let_home(north, address="6 Orchard Close")))
    made = agreed.offers.get()
    response = client_for(lettings_officer).get(f"/voids/{other.pk}/offers/{made.pk}/outcome/")
    assert response.status_code == 404


# --- Offers -----------------------------------------------------------------------------------


def test_an_offer_is_recorded_from_its_page(client_for, lettings_officer, ready):
    client = client_for(lettings_officer)
    response = client.post(f"/voids/{ready.pk}/offers/new/", {
        "applicant_name": "Mrs Jane Smith", "applicant_reference": "HR-1234",
        "offered_on": "2026-12-03"}, follow=True)
    assert response.redirect_chain == [(f"/voids/{ready.pk}/", 302)]
    page = response.content.decode()
    assert "Offer to Mrs Jane Smith recorded" in page
    made = Offer.objects.get()
    assert (made.void, made.applicant_reference, made.offered_on, made.recorded_by) == (
        ready, "HR-1234", date(2026, 12, 3), lettings_officer)
    ready.refresh_from_db()
    assert ready.stage == Stage.OFFERED
    # The void page's letting section: the offer and its next step.
    assert "Waiting for an answer" in page
    assert f'href="/voids/{ready.pk}/offers/{made.pk}/outcome/"' in page


def test_the_offer_form_keeps_what_was_typed(client_for, lettings_officer, ready):
    response = client_for(lettings_officer).post(f"/voids/{ready.pk}/offers/new/", {
        "applicant_name": "Mrs Jane Smith", "applicant_reference": "HR-1234",
        "offered_on": "2026-12-10"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: " in page and "There is a problem" in page
    assert "The date of the offer must be today or in the past." in page
    assert 'value="Mrs Jane Smith"' in page and 'value="HR-1234"' in page
    assert 'value="2026-12-10"' in page
    assert not Offer.objects.exists()


def test_an_offer_on_a_home_not_ready_says_what_is_missing(client_for, lettings_officer, void):
    client = client_for(lettings_officer)
    page = client.get(f"/voids/{void.pk}/offers/new/").content.decode()
    assert "The home is not ready to let: The void inspection has not been recorded." in page
    assert 'name="applicant_name"' not in page  # no form: the warning says why
    response = client.post(f"/voids/{void.pk}/offers/new/", {
        "applicant_name": "Mrs Jane Smith", "offered_on": "2026-12-03"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Offer.objects.exists()


def test_an_answer_is_recorded_and_a_refusal_needs_its_reason(client_for, lettings_officer,
                                                              offered):
    client = client_for(lettings_officer)
    path = _paths(offered)["outcome"]
    response = client.post(path, {"outcome": "refused", "outcome_on": "2026-12-04",
                                  "refusal_reason": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter why the applicant refused the offer." in page
    assert re.search(r'value="refused"[^>]*\bchecked', page)  # the answer chosen stays
    assert 'value="2026-12-04"' in page
    response = client.post(path, {"outcome": "refused", "outcome_on": "2026-12-04",
                                  "refusal_reason": "Too far from work"}, follow=True)
    assert response.redirect_chain == [(f"/voids/{offered.pk}/", 302)]
    assert "the home is ready to let again" in response.content.decode()
    offered.refresh_from_db()
    assert offered.stage == Stage.READY
    assert Offer.objects.get().refusal_reason == "Too far from work"
    # The answer is final: its page says so.
    assert "Record a new offer instead." in client.get(path).content.decode()


# --- Sign-up ----------------------------------------------------------------------------------


SIGN_UP = {"title": "Mrs", "first_name": "Jane", "last_name": "Smith",
           "date_of_birth": "1990-05-17", "phone": "07700 900982", "email": "jane@example.com",
           "tenancy_type": "introductory", "start_date": "2026-12-09"}


def test_the_sign_up_is_prefilled_from_the_accepted_offer(client_for, lettings_officer, agreed):
    page = client_for(lettings_officer).get(_paths(agreed)["sign_up"]).content.decode()
    assert 'name="title" value="Mrs"' in page
    assert 'name="first_name" value="Jane"' in page
    assert 'name="last_name" value="Smith"' in page
    assert "Mrs Jane Smith (HR-1234) accepted the offer made on 3 December 2026" in page
    assert 'name="use_existing"' not in page


def test_no_sign_up_without_an_accepted_offer(client_for, lettings_officer, offered):
    client = client_for(lettings_officer)
    path = _paths(offered)["sign_up"]
    assert "No offer on this home has been accepted." in client.get(path).content.decode()
    people = Person.objects.count()
    assert client.post(path, SIGN_UP).status_code == 200
    assert Person.objects.count() == people


def test_the_sign_up_lets_the_home_and_links_the_new_tenancy(client_for, lettings_officer,
                                                             agreed):
    client = client_for(lettings_officer)
    response = client.post(_paths(agreed)["sign_up"], SIGN_UP, follow=True)
    assert response.redirect_chain == [(f"/voids/{agreed.pk}/", 302)]
    tenancy = Tenancy.objects.get(start_date=date(2026, 12, 9))
    page = response.content.decode()
    assert (f'Tenancy <a class="govuk-notification-banner__link" '
            f'href="/tenancies/{tenancy.pk}/">{tenancy.reference}</a> signed up: 4 Orchard '
            f"Close, EX2 4QR is let from 9 December 2026.") in page
    agreed.refresh_from_db()
    assert (agreed.stage, agreed.new_tenancy) == (Stage.LET, tenancy)
    assert tenancy.members.get().person.full_name == "Mrs Jane Smith"
    assert f'href="/tenancies/{tenancy.pk}/">Open the new tenancy</a>' in page


def test_the_sign_up_form_keeps_what_was_typed(client_for, lettings_officer, agreed):
    typed = {**SIGN_UP, "first_name": "Janet", "phone": "12345", "start_date": "2026-11-20"}
    response = client_for(lettings_officer).post(_paths(agreed)["sign_up"], typed)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter the phone number as a UK number" in page
    for name in ("first_name", "phone", "email", "date_of_birth", "start_date"):
        assert f'value="{typed[name]}"' in page, name
    assert not Tenancy.objects.filter(start_date__gte=date(2026, 11, 1)).exists()


def test_a_start_before_the_void_began_is_refused_on_its_field(client_for, lettings_officer,
                                                               agreed):
    people = Person.objects.count()
    response = client_for(lettings_officer).post(
        _paths(agreed)["sign_up"], {**SIGN_UP, "start_date": "2026-11-29"})
    page = response.content.decode()
    assert "The tenancy cannot start before the void began (30 November 2026)." in page
    assert 'href="#id_start_date">The tenancy cannot start before the void began' in page
    assert Person.objects.count() == people


def test_a_person_already_recorded_can_be_used(client_for, lettings_officer, agreed):
    known = PersonFactory(first_name="Jane", last_name="Smith", date_of_birth=BORN)
    client = client_for(lettings_officer)
    path = _paths(agreed)["sign_up"]
    page = client.post(path, SIGN_UP).content.decode()
    assert "Jane Smith, born 17 May 1990, is already recorded." in page
    assert "This is the same person: use their record" in page
    assert not Tenancy.objects.filter(start_date=date(2026, 12, 9)).exists()
    response = client.post(path, {**SIGN_UP, "use_existing": "on"})
    assert response.status_code == 302
    tenancy = Tenancy.objects.get(start_date=date(2026, 12, 9))
    assert tenancy.members.get().person == known
    assert Person.objects.filter(first_name="Jane", last_name="Smith").count() == 1


# --- The void page's letting section ----------------------------------------------------------


def test_the_void_page_offers_the_next_letting_step(client_for, lettings_officer,
                                                    repairs_officer, ready):
    client = client_for(lettings_officer)
    page = client.get(f"/voids/{ready.pk}/").content.decode()
    assert f'href="/voids/{ready.pk}/offers/new/"' in page
    accepted(ready, lettings_officer)
    page = client.get(f"/voids/{ready.pk}/").content.decode()
    assert f'href="/voids/{ready.pk}/sign-up/">Sign up Mrs Jane Smith</a>' in page
    assert f'href="/voids/{ready.pk}/offers/new/"' not in page
    # A repairs officer sees the offers but no letting buttons.
    page = client_for(repairs_officer).get(f"/voids/{ready.pk}/").content.decode()
    assert "Mrs Jane Smith" in page and "/sign-up/" not in page


# --- Lists: fixed query counts ----------------------------------------------------------------


def _queries(client, path, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, params)
        assert response.status_code == 200
    return len(captured)


def test_the_council_tax_list_runs_a_fixed_number_of_queries(client_for, council_tax, void,
                                                             django_assert_max_num_queries):
    client = client_for(council_tax)
    few = _queries(client, "/voids/council-tax/", {"since": "2026-11-01"})
    for offset in range(1, 30):
        record_change(void=void, event="void", on=date(2026, 10, offset), at=void.opened_at)
    with django_assert_max_num_queries(few):
        response = client.get("/voids/council-tax/", {"since": "2026-11-01"})
    assert "30 changes recorded since 1 November 2026" in response.content.decode()
    assert few <= 10  # sign-in (session, user, roles), the count and the page, session save


def test_the_lettings_log_runs_a_fixed_number_of_queries(client_for, lettings_officer, north,
                                                         agreed, make_ready,
                                                         django_assert_max_num_queries):
    client = client_for(lettings_officer)
    sign(agreed, lettings_officer)
    few = _queries(client, "/voids/lettings-log/", {})
    for number in range(4):
        other = make_ready(end(let_home(north, address=f"{number + 10} Orchard Close")))
        accepted(other, lettings_officer)
        sign(other, lettings_officer, first_name=f"Jo{number}")
    with django_assert_max_num_queries(few):
        response = client.get("/voids/lettings-log/")
    assert "5 lettings from 1 April 2026 to 31 March 2027" in response.content.decode()
    assert few <= 10  # sign-in (session, user, roles), the count and the page, session save


def test_a_bad_period_on_the_lettings_log_is_an_error_summary(client_for, lettings_officer):
    response = client_for(lettings_officer).get("/voids/lettings-log/",
                                                {"start": "2027-01-01", "end": "2026-12-01"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "The last start date must be on or after the first." in page
    assert 'value="2027-01-01"' in page and 'value="2026-12-01"' in page
