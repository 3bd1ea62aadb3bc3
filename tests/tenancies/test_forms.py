"""The tenancy event screens and sign-up: who may use them, what they record, and refusals
that keep what was typed and say what to fix."""

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from housing.models import Person, Property
from tenancies import services
from tenancies.forms import ACTIONS, SignUpForm
from tenancies.models import Tenancy, TenancyEvent, TenancyMember
from tests.housing.factories import PersonFactory, PropertyFactory
from tests.voids.helpers import make_lettable

pytestmark = pytest.mark.django_db
AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
NEW_ACTIONS = ["succession", "assignment", "mutual-exchange", "remove-joint-tenant",
               "add-household-member", "remove-household-member"]


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-11-29 10:00:00"):
        yield


def _let(home, tenants, household=(), start=date(2020, 4, 6)):
    return services.sign_up(property_id=home.pk, tenancy_type="secure", start_date=start,
                            tenant_ids=[p.pk for p in tenants], by=None, at=AT,
                            household=[(p.pk, relationship) for p, relationship in household])


@pytest.fixture
def people():
    return {name: PersonFactory(first_name=name, last_name="Okafor")
            for name in ("Ada", "Ben", "Chidi", "Dora")}


@pytest.fixture
def joint(north, people):
    """Ada and Ben hold a joint tenancy; their son Chidi lives with them."""
    home = PropertyFactory(estate__patch=north, address_line_1="4 Weir Road")
    return _let(home, [people["Ada"], people["Ben"]], household=[(people["Chidi"], "son")])


@pytest.fixture
def sole(north, people):
    """Dora is a sole tenant and lives alone."""
    return _let(PropertyFactory(estate__patch=north, address_line_1="9 Cole Street"),
                [people["Dora"]])


@pytest.fixture
def elsewhere(south):
    home = PropertyFactory(estate__patch=south, address_line_1="3 Far Road")
    return _let(home, [PersonFactory(), PersonFactory()],
                household=[(PersonFactory(), "daughter")], start=date(2021, 1, 4))


def _tenants(tenancy, on=date(2026, 11, 29)):
    return {m.person.first_name for m in services._live_members(tenancy, "tenant", on)}


def _household(tenancy, on=date(2026, 11, 29)):
    return {m.person.first_name for m in services._live_members(tenancy, "household", on)}


def _url(tenancy, action):
    return f"/tenancies/{tenancy.pk}/{action}/"


# --- Who may use the event screens ----------------------------------------------------------

@pytest.mark.parametrize("action", NEW_ACTIONS)
def test_officer_on_patch_opens_each_event_form(client_for, officer, joint, action):
    response = client_for(officer).get(_url(joint, action))
    assert response.status_code == 200
    page = response.content.decode()
    assert ACTIONS[action].title in page
    assert "<label" in page and 'name="csrfmiddlewaretoken"' in page


@pytest.mark.parametrize("action", NEW_ACTIONS)
def test_council_tax_is_forbidden(client_for, council_tax, joint, action):
    client = client_for(council_tax)
    assert client.get(_url(joint, action)).status_code == 403
    assert client.post(_url(joint, action), {"on": "2026-11-01"}).status_code == 403


@pytest.mark.parametrize("action", NEW_ACTIONS)
def test_officer_off_patch_gets_404(client_for, officer, elsewhere, action):
    assert client_for(officer).get(_url(elsewhere, action)).status_code == 404


@pytest.mark.parametrize("action", NEW_ACTIONS)
def test_anonymous_visitors_sign_in_first(client, joint, action):
    assert client.get(_url(joint, action))["Location"].startswith("/accounts/login/")


def test_the_tenancy_page_offers_only_the_actions_that_can_apply(client_for, officer, joint,
                                                                 sole):
    client = client_for(officer)
    page = client.get(f"/tenancies/{joint.pk}/").content.decode()
    for action in NEW_ACTIONS:
        assert _url(joint, action) in page, action
    assert _url(joint, "joint-tenant") not in page  # two tenants already

    # A sole tenant living alone: nobody to succeed, assign to, remove or make joint.
    page = client.get(f"/tenancies/{sole.pk}/").content.decode()
    assert _url(sole, "add-household-member") in page
    for action in ("succession", "assignment", "remove-joint-tenant", "joint-tenant",
                   "remove-household-member"):
        assert _url(sole, action) not in page, action
        assert client.get(_url(sole, action)).status_code == 404, action


# --- Succession -----------------------------------------------------------------------------

def test_a_household_member_succeeds_once(client_for, officer, people, north):
    tenancy = _let(PropertyFactory(estate__patch=north), [people["Dora"]],
                   household=[(people["Chidi"], "grandson")])
    client = client_for(officer)
    page = client.get(_url(tenancy, "succession")).content.decode()
    assert "Chidi Okafor (grandson" in page and "only one succession" in page
    response = client.post(_url(tenancy, "succession"), {
        "deceased": people["Dora"].pk, "successor": people["Chidi"].pk, "on": "2026-10-12",
        "eligibility": "Grandson, lived here for the 12 months before her death"}, follow=True)
    assert response.redirect_chain == [(f"/tenancies/{tenancy.pk}/", 302)]
    assert "Succession recorded." in response.content.decode()
    tenancy.refresh_from_db()
    assert tenancy.succession_used
    assert _tenants(tenancy) == {"Chidi"} and _household(tenancy) == set()
    event = tenancy.events.get(kind=TenancyEvent.Kind.SUCCESSION)
    assert event.details["eligibility"].startswith("Grandson")
    # One succession per tenancy: the action is gone.
    page = client.get(f"/tenancies/{tenancy.pk}/").content.decode()
    assert _url(tenancy, "succession") not in page
    assert client.get(_url(tenancy, "succession")).status_code == 404


def test_a_surviving_joint_tenant_succeeds(client_for, officer, people, joint):
    client_for(officer).post(_url(joint, "succession"), {
        "deceased": people["Ada"].pk, "successor": people["Ben"].pk, "on": "2026-10-12",
        "eligibility": "Surviving joint tenant"})
    joint.refresh_from_db()
    assert joint.succession_used and _tenants(joint) == {"Ben"}


def test_succession_refusals_keep_what_was_typed(client_for, officer, people, joint):
    client = client_for(officer)
    response = client.post(_url(joint, "succession"), {
        "deceased": people["Ada"].pk, "successor": people["Ada"].pk, "on": "2026-10-12",
        "eligibility": "Married to the tenant"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "cannot be the tenant who died" in page
    assert "Married to the tenant" in page
    # The service's refusal, shown with the form as typed.
    response = client.post(_url(joint, "succession"), {
        "deceased": people["Ada"].pk, "successor": people["Chidi"].pk, "on": "2019-01-01",
        "eligibility": "Son living here"})
    page = response.content.decode()
    assert "on or after the tenancy started" in page
    assert 'value="2019-01-01"' in page and "Son living here" in page
    joint.refresh_from_db()
    assert not joint.succession_used and _tenants(joint) == {"Ada", "Ben"}


# --- Assignment -----------------------------------------------------------------------------

def test_assignment_to_a_household_member(client_for, officer, people, joint):
    response = client_for(officer).post(_url(joint, "assignment"), {
        "assignee": people["Chidi"].pk, "on": "2026-11-02", "reason": "Court order"})
    assert response["Location"] == f"/tenancies/{joint.pk}/"
    assert _tenants(joint) == {"Chidi"} and _household(joint) == set()
    assert joint.events.filter(kind=TenancyEvent.Kind.ASSIGNMENT).exists()


def test_assignment_only_to_the_household(client_for, officer, joint, elsewhere):
    stranger = elsewhere.members.filter(role="household").get().person
    response = client_for(officer).post(_url(joint, "assignment"), {
        "assignee": stranger.pk, "on": "2026-11-02", "reason": "Court order"})
    assert "Select a valid choice" in response.content.decode()
    assert _tenants(joint) == {"Ada", "Ben"}


def test_assignment_refused_by_the_service_keeps_what_was_typed(client_for, officer, people,
                                                                joint):
    response = client_for(officer).post(_url(joint, "assignment"), {
        "assignee": people["Chidi"].pk, "on": "2020-01-01", "reason": "Court order 123"})
    page = response.content.decode()
    assert "There is a problem" in page and "on or after the tenancy started" in page
    assert 'value="Court order 123"' in page
    assert _tenants(joint) == {"Ada", "Ben"}


# --- Mutual exchange ------------------------------------------------------------------------

def test_mutual_exchange_by_reference(client_for, officer, people, joint, sole):
    response = client_for(officer).post(_url(joint, "mutual-exchange"), {
        "other_reference": f" {sole.reference.lower()} ", "on": "2026-11-02"}, follow=True)
    assert "Mutual exchange recorded" in response.content.decode()
    assert _tenants(joint) == {"Dora"} and _household(joint) == set()
    assert _tenants(sole) == {"Ada", "Ben"} and _household(sole) == {"Chidi"}
    for tenancy in (joint, sole):
        assert tenancy.events.filter(kind=TenancyEvent.Kind.MUTUAL_EXCHANGE).exists()


@pytest.mark.parametrize(("reference", "message"), [
    ("elsewhere", "There is no tenancy"),  # outside the officer's patches: not found
    ("T9999999", "There is no tenancy T9999999"),
    ("self", "not this one"),
])
def test_mutual_exchange_only_with_another_tenancy_the_user_may_see(
        client_for, officer, joint, elsewhere, reference, message):
    reference = {"elsewhere": elsewhere.reference, "self": joint.reference}.get(
        reference, reference)
    response = client_for(officer).post(_url(joint, "mutual-exchange"), {
        "other_reference": reference, "on": "2026-11-02"})
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert f'value="{reference}"' in page
    assert not TenancyEvent.objects.filter(kind=TenancyEvent.Kind.MUTUAL_EXCHANGE).exists()


def test_mutual_exchange_refused_by_the_service(client_for, officer, joint, north, people):
    later = _let(PropertyFactory(estate__patch=north), [PersonFactory()], start=date(2026, 6, 1))
    response = client_for(officer).post(_url(joint, "mutual-exchange"), {
        "other_reference": later.reference, "on": "2026-05-01"})
    page = response.content.decode()
    assert "There is a problem" in page and "on or after the tenancy started" in page
    assert _tenants(joint) == {"Ada", "Ben"}


# --- Joint to sole --------------------------------------------------------------------------

def test_remove_a_joint_tenant(client_for, officer, people, joint):
    response = client_for(officer).post(_url(joint, "remove-joint-tenant"), {
        "person": people["Ben"].pk, "on": "2026-11-02", "reason": "Moved out by agreement"})
    assert response["Location"] == f"/tenancies/{joint.pk}/"
    assert _tenants(joint) == {"Ada"}
    event = joint.events.get(kind=TenancyEvent.Kind.JOINT_TO_SOLE)
    assert "Moved out by agreement" in event.summary


def test_remove_a_joint_tenant_refused_keeps_what_was_typed(client_for, officer, people, joint):
    response = client_for(officer).post(_url(joint, "remove-joint-tenant"), {
        "person": people["Ben"].pk, "on": "2001-01-01", "reason": "Left"})
    page = response.content.decode()
    assert "on or after the tenancy started" in page and 'value="2001-01-01"' in page
    assert _tenants(joint) == {"Ada", "Ben"}


# --- The household --------------------------------------------------------------------------

def test_add_a_new_household_member(client_for, officer, sole):
    response = client_for(officer).post(_url(sole, "add-household-member"), {
        "first_name": "Esi", "last_name": "Mensah", "date_of_birth": "2026-02-14",
        "relationship": "granddaughter", "on": "2026-03-01"})
    assert response["Location"] == f"/tenancies/{sole.pk}/"
    member = sole.members.get(role="household")
    assert member.person.full_name == "Esi Mensah"
    assert member.person.date_of_birth == date(2026, 2, 14)
    assert member.relationship == "granddaughter" and member.start_date == date(2026, 3, 1)
    assert sole.events.filter(kind=TenancyEvent.Kind.HOUSEHOLD_CHANGE).exists()


def test_adding_a_household_member_needs_the_right_to_add_people(client_for, officer, sole):
    officer.groups.first().permissions.remove(
        *officer.groups.first().permissions.filter(codename="add_person"))
    client = client_for(officer)
    assert client.get(_url(sole, "add-household-member")).status_code == 403


def test_a_refused_household_member_is_not_half_saved(client_for, officer, sole):
    people_before = Person.objects.count()
    response = client_for(officer).post(_url(sole, "add-household-member"), {
        "first_name": "Esi", "last_name": "Mensah", "relationship": "granddaughter",
        "on": "2019-03-01"})
    page = response.content.decode()
    assert "There is a problem" in page and "on or after the tenancy started" in page
    assert 'value="Esi"' in page and 'value="granddaughter"' in page
    assert Person.objects.count() == people_before  # the person record was rolled back


def test_a_household_member_already_recorded_is_not_duplicated(client_for, officer, sole):
    known = PersonFactory(first_name="Esi", last_name="Mensah", date_of_birth=date(2001, 2, 14))
    people_before = Person.objects.count()
    response = client_for(officer).post(_url(sole, "add-household-member"), {
        "first_name": "esi", "last_name": "MENSAH", "date_of_birth": "2001-02-14",
        "relationship": "niece", "on": "2026-03-01"}, follow=True)
    assert "already recorded, so their existing record is used" in response.content.decode()
    assert Person.objects.count() == people_before
    assert sole.members.get(role="household").person == known


def test_a_household_member_moves_out(client_for, officer, people, joint):
    member = joint.members.get(role="household")
    response = client_for(officer).post(_url(joint, "remove-household-member"), {
        "member": member.pk, "on": "2026-09-01"})
    assert response["Location"] == f"/tenancies/{joint.pk}/"
    member.refresh_from_db()
    assert member.end_date == date(2026, 8, 31)
    assert _household(joint) == set()


def test_moving_out_refused_keeps_what_was_typed(client_for, officer, joint):
    member = joint.members.get(role="household")
    response = client_for(officer).post(_url(joint, "remove-household-member"), {
        "member": member.pk, "on": "2020-04-06"})
    page = response.content.decode()
    assert "must be after they moved in" in page and 'value="2020-04-06"' in page
    assert f'value="{member.pk}" id="id_member_0" required checked' in page
    member.refresh_from_db()
    assert member.end_date is None


def test_members_of_other_tenancies_cannot_be_chosen(client_for, officer, joint, elsewhere):
    other = elsewhere.members.filter(role="household").get()
    response = client_for(officer).post(_url(joint, "remove-household-member"), {
        "member": other.pk, "on": "2026-09-01"})
    assert "Select a valid choice" in response.content.decode()
    other.refresh_from_db()
    assert other.end_date is None


# --- Sign-up --------------------------------------------------------------------------------

SIGN_UP = {
    "tenancy_type": "introductory", "start_date": "2026-12-07",
    "lead_title": "Ms", "lead_first_name": "Grace", "lead_last_name": "Adeyemi",
    "lead_date_of_birth": "1990-05-17", "lead_phone": "07700 900982",
    "lead_email": "grace@example.com",
}
JOINT = {"joint_first_name": "Tunde", "joint_last_name": "Adeyemi",
         "joint_date_of_birth": "1988-01-30", "joint_phone": "01392 265000"}


@pytest.fixture
def void_home(north):
    return PropertyFactory(estate__patch=north, address_line_1="21 Quay Hill", tenure="void")


def _sign_up_url(home):
    return f"/tenancies/sign-up/?property={home.pk}"


def test_lettings_officer_signs_up_joint_tenants(client_for, lettings_officer, void_home):
    client = client_for(lettings_officer)
    page = client.get(_sign_up_url(void_home)).content.decode()
    assert "Sign up a new tenancy" in page and "21 Quay Hill" in page
    response = client.post(_sign_up_url(void_home), {**SIGN_UP, **JOINT}, follow=True)
    tenancy = Tenancy.objects.get(property=void_home)
    assert response.redirect_chain == [(f"/tenancies/{tenancy.pk}/", 302)]
    assert f"Tenancy {tenancy.reference} signed up" in response.content.decode()
    assert tenancy.tenancy_type == "introductory" and tenancy.start_date == date(2026, 12, 7)
    assert _tenants(tenancy, date(2026, 12, 7)) == {"Grace", "Tunde"}
    grace = Person.objects.get(first_name="Grace")
    assert grace.full_name == "Ms Grace Adeyemi" and grace.mobile_phone == "07700 900982"
    assert Person.objects.get(first_name="Tunde").home_phone == "01392 265000"
    void_home.refresh_from_db()
    assert void_home.tenure == Property.Tenure.RENTED
    assert tenancy.events.get().kind == TenancyEvent.Kind.SIGN_UP


def test_sign_up_a_sole_flexible_tenancy(client_for, lettings_officer, void_home):
    client_for(lettings_officer).post(_sign_up_url(void_home), {
        **SIGN_UP, "tenancy_type": "flexible", "fixed_term_end_date": "2031-12-06"})
    tenancy = Tenancy.objects.get(property=void_home)
    assert tenancy.fixed_term_end_date == date(2031, 12, 6)
    assert tenancy.members.get().person.first_name == "Grace"


def test_sign_up_uses_the_record_of_someone_already_recorded(client_for, lettings_officer,
                                                            void_home):
    known = PersonFactory(first_name="Grace", last_name="Adeyemi", date_of_birth=date(1990, 5, 17))
    people_before = Person.objects.count()
    response = client_for(lettings_officer).post(_sign_up_url(void_home), {**SIGN_UP, **JOINT},
                                                 follow=True)
    assert "Grace Adeyemi was already recorded" in response.content.decode()
    assert Person.objects.count() == people_before + 1  # only Tunde is new
    tenancy = Tenancy.objects.get(property=void_home)
    assert known.pk in set(tenancy.members.values_list("person_id", flat=True))


@pytest.mark.parametrize("persona", ["council_tax", "officer"])
def test_sign_up_is_forbidden_without_the_permission(client_for, request, persona, void_home):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(_sign_up_url(void_home)).status_code == 403
    assert client.post(_sign_up_url(void_home), SIGN_UP).status_code == 403
    assert not Tenancy.objects.exists()


def test_sign_up_needs_a_home_the_user_may_see(client_for, lettings_officer):
    client = client_for(lettings_officer)
    assert client.get("/tenancies/sign-up/").status_code == 404
    assert client.get("/tenancies/sign-up/?property=999999").status_code == 404
    assert client.get("/tenancies/sign-up/?property=abc").status_code == 404


def test_sign_up_anonymous_visitors_sign_in_first(client, void_home):
    assert client.get(_sign_up_url(void_home))["Location"].startswith("/accounts/login/")


def test_sign_up_on_a_rented_home_is_refused(client_for, lettings_officer, sole):
    home = sole.property
    client = client_for(lettings_officer)
    page = client.get(_sign_up_url(home)).content.decode()
    assert "is rented, not void: only a void or new home can be let" in page
    assert sole.reference in page and "<form" not in page.split("<main")[1]
    people_before = Person.objects.count()
    page = client.post(_sign_up_url(home), SIGN_UP).content.decode()
    assert "not void" in page
    assert Person.objects.count() == people_before
    assert Tenancy.objects.filter(property=home).count() == 1


def test_sign_up_refused_by_the_service_saves_nobody(client_for, lettings_officer, north, people):
    # A tenancy that has been given an end date after the new start: the home shows void but
    # the dates would overlap.
    home = PropertyFactory(estate__patch=north)
    old = _let(home, [people["Dora"]])
    services.end_tenancy(tenancy_id=old.pk, end_date=date(2026, 12, 31), reason="notice", by=None,
                         at=AT)
    make_lettable(home)  # its void is ready and the offer accepted: the dates are the problem
    people_before = Person.objects.count()
    response = client_for(lettings_officer).post(_sign_up_url(home), {**SIGN_UP, **JOINT})
    page = response.content.decode()
    assert "There is a problem" in page and f"already has tenancy {old.reference}" in page
    assert 'value="Grace"' in page and 'value="Tunde"' in page and 'value="2026-12-07"' in page
    assert Person.objects.count() == people_before
    assert Tenancy.objects.filter(property=home).count() == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"tenancy_type": "flexible"}, "a flexible tenancy needs one"),
    ({"lead_first_name": ""}, "Enter the lead tenant&#x27;s first name"),
    ({"joint_first_name": "Tunde"}, "Enter the joint tenant&#x27;s last name"),
    ({"lead_phone": "12345"}, "phone number as a UK number"),
    ({"lead_date_of_birth": "2020-01-01"}, "they would be under 16"),
    ({"tenancy_type": ""}, "Select type of tenancy"),
])
def test_sign_up_form_errors_keep_what_was_typed(client_for, lettings_officer, void_home,
                                                 changes, message):
    response = client_for(lettings_officer).post(_sign_up_url(void_home), {**SIGN_UP, **changes})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert 'value="Adeyemi"' in page
    assert not Tenancy.objects.exists()


def test_a_third_tenant_is_impossible_by_design(client_for, lettings_officer, void_home):
    form = SignUpForm(home=void_home, today=date(2026, 11, 29))
    assert {name.split("_")[0] for name in form.fields if name.endswith("first_name")} == {
        "lead", "joint"}
    client_for(lettings_officer).post(_sign_up_url(void_home), {
        **SIGN_UP, **JOINT, "third_first_name": "Extra", "third_last_name": "Person"})
    tenancy = Tenancy.objects.get(property=void_home)
    assert tenancy.members.filter(role=TenancyMember.Role.TENANT).count() == 2
    assert not Person.objects.filter(first_name="Extra").exists()
