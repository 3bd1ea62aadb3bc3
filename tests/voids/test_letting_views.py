"""The letting screens: record an offer, its answer, the sign-up that lets the void (the one
tenancy sign-up screen, /tenancies/sign-up/?property=<id>, reached from the void page), the
CORE lettings log and the Council Tax list. Who may use each URL (allowed, 403, off-patch 404,
tenant, contractor, anonymous), forms that keep what was typed, the void page's letting section,
and fixed query counts on the lists."""

import re
from datetime import date

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from housing.models import Person, Property
from rents.models import RentAccount, Transaction
from rents.services import post_rent_run, rent_week_for
from tenancies.models import Tenancy
from tests.housing.factories import PersonFactory, PropertyFactory, UserFactory
from tests.voids.conftest import AT, RENT_PENCE, SERVICE_PENCE, end, let_home
from tests.voids.test_letting import BORN, _open_works, accepted, offer, sign
from voids.models import LettingLog, OccupancyChange, Offer, SafetyCheck, Stage
from voids.services import record_change, record_void, relet_days

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


def _sign_up(void) -> str:
    """The one sign-up screen, for the void's home."""
    return reverse("tenancies:sign-up") + f"?property={void.property_id}"


def _paths(void) -> dict[str, str]:
    made = void.offers.order_by("pk").first()
    base = f"/voids/{void.pk}/"
    return {"offer": base + "offers/new/", "outcome": base + f"offers/{made.pk}/outcome/",
            "sign_up": _sign_up(void), "core": "/voids/lettings-log/",
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
                 "tenancies.view_tenancy", "housing.view_property"]


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
        assert client.post(paths[name], SIGN_UP).status_code == 404, name
    assert not Tenancy.objects.filter(start_date=date(2026, 12, 9)).exists()
    on_patch = client_for(_patch_user(patches=[north], perms=LETTING_PERMS))
    assert on_patch.get(paths["sign_up"]).status_code == 200
    sign(agreed, UserFactory())
    assert "0 lettings" in client.get(paths["core"]).content.decode()
    assert len(b"".join(client.get(paths["core_csv"]).streaming_content).splitlines()) == 1
    assert "1 letting from" in on_patch.get(paths["core"]).content.decode()


def test_the_sign_up_needs_the_tenancy_sign_up_permission_too(client_for, agreed, north):
    perms = [perm for perm in LETTING_PERMS if perm != "tenancies.sign_up_tenancy"]
    client = client_for(_patch_user(patches=[north], perms=perms))
    assert client.get(_paths(agreed)["offer"]).status_code == 200
    assert client.get(_sign_up(agreed)).status_code == 403
    assert client.post(_sign_up(agreed), SIGN_UP).status_code == 403
    assert not Tenancy.objects.filter(start_date=date(2026, 12, 9)).exists()
    # The void page shows no "Sign up" button to them.
    page = client.get(f"/voids/{agreed.pk}/").content.decode()
    assert "/tenancies/sign-up/" not in page and "Sign up Mrs Jane Smith" not in page


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


# --- Sign-up: the one screen lets the void -------------------------------------------------


SIGN_UP = {"tenancy_type": "introductory", "start_date": "2026-12-09",
           "lead_title": "Mrs", "lead_first_name": "Jane", "lead_last_name": "Smith",
           "lead_date_of_birth": "1990-05-17", "lead_phone": "07700 900982",
           "lead_email": "jane@example.com"}


def _nothing_saved(void, people: int) -> None:
    """No new person, no tenancy, the void still open and offered, no CORE record, Council Tax
    not told of a let, and the home still void."""
    assert Person.objects.count() == people
    assert not Tenancy.objects.filter(start_date__gte=date(2026, 11, 1)).exists()
    void.refresh_from_db()
    assert (void.stage, void.let_date, void.new_tenancy) == (Stage.OFFERED, None, None)
    assert not LettingLog.objects.exists()
    assert not OccupancyChange.objects.filter(event="let").exists()
    assert Property.objects.get(pk=void.property_id).tenure == Property.Tenure.VOID


def test_the_sign_up_is_prefilled_from_the_accepted_offer(client_for, lettings_officer, agreed):
    page = client_for(lettings_officer).get(_sign_up(agreed)).content.decode()
    assert "<h1 class=\"govuk-heading-xl\">Sign up a new tenancy</h1>" in page
    assert re.search(r'name="lead_title" value="Mrs"', page)
    assert re.search(r'name="lead_first_name" value="Jane"', page)
    assert re.search(r'name="lead_last_name" value="Smith"', page)
    assert 'name="joint_first_name" ' in page  # a joint tenant can be added
    assert (f'This lets void <a class="govuk-link" href="/voids/{agreed.pk}/">'
            f"{agreed.reference}</a>, empty since 30 November 2026, to Mrs Jane Smith (HR-1234), "
            f"who accepted the offer on 4 December 2026.") in page
    # The back link and Cancel go to the void, not the home.
    assert f'<a href="/voids/{agreed.pk}/" class="govuk-back-link">Back to the void</a>' in page
    assert f'<a class="govuk-link" href="/voids/{agreed.pk}/">Cancel</a>' in page


@pytest.mark.parametrize(("name", "title", "first", "last"), [
    ("Mrs Grace Okafor", "Mrs", "Grace", "Okafor"),
    ("Grace Okafor", "", "Grace", "Okafor"),
    ("Dr. Ann Marie Lee", "Dr", "Ann Marie", "Lee"),
])
def test_the_offer_name_is_split_into_title_first_and_last(client_for, lettings_officer, ready,
                                                          name, title, first, last):
    accepted(ready, lettings_officer, name=name)
    page = client_for(lettings_officer).get(_sign_up(ready)).content.decode()
    for field, value in (("title", title), ("first_name", first), ("last_name", last)):
        found = re.search(rf'<input[^>]*name="lead_{field}"[^>]*>', page).group(0)
        assert (f'value="{value}"' in found) if value else ("value=" not in found), found


def test_the_sign_up_lets_the_void_and_starts_the_rent(client_for, lettings_officer, agreed):
    client = client_for(lettings_officer)
    people = Person.objects.count()
    response = client.post(_sign_up(agreed), SIGN_UP, follow=True)
    tenancy = Tenancy.objects.get(start_date=date(2026, 12, 9))
    assert response.redirect_chain == [(f"/tenancies/{tenancy.pk}/", 302)]
    assert (f"Tenancy {tenancy.reference} signed up: 4 Orchard Close, EX2 4QR is let from 9 "
            f"December 2026. Rent is charged from that day. Void {agreed.reference} is closed "
            f"and Council Tax is told the home is let.") in response.content.decode()

    # The new tenant, from what was typed.
    assert Person.objects.count() == people + 1
    tenant = tenancy.members.get().person
    assert (tenant.title, tenant.first_name, tenant.last_name, tenant.date_of_birth,
            tenant.mobile_phone, tenant.email) == ("Mrs", "Jane", "Smith", BORN, "07700 900982",
                                                   "jane@example.com")
    assert tenancy.tenancy_type == "introductory"

    # The void is closed: let from the start, 10 days to relet (30 November to 9 December).
    agreed.refresh_from_db()
    assert (agreed.stage, agreed.let_date, agreed.new_tenancy) == (Stage.LET,
                                                                   date(2026, 12, 9), tenancy)
    assert relet_days(agreed) == 10

    # One occupancy change "let" for Council Tax, one CORE record with the charges in force
    # and the times offered.
    assert list(OccupancyChange.objects.filter(event="let").values_list("void", "date")) == [
        (agreed.pk, date(2026, 12, 9))]
    log = LettingLog.objects.get()
    assert (log.tenancy, log.weekly_rent_pence, log.weekly_service_pence, log.times_offered,
            log.relet_date) == (tenancy, RENT_PENCE, SERVICE_PENCE, 1, date(2026, 12, 9))

    # Rent from the start: the rent run charges the part week (Wednesday to Sunday) pro rata,
    # £100.00 x 5/7 = £71.43 and £5.00 x 5/7 = £3.57.
    post_rent_run(week=rent_week_for(on=date(2026, 12, 7)), by=None, at=AT)
    account = RentAccount.objects.get(tenancy=tenancy)
    assert sorted(Transaction.objects.filter(account=account).values_list(
        "charge_type__code", "amount_pence")) == [("cleaning", 357), ("rent", 7143)]

    # The void page says it is let and links the new tenancy; no more letting buttons.
    page = client.get(f"/voids/{agreed.pk}/").content.decode()
    assert "Let from 9 December 2026." in page
    assert f'href="/tenancies/{tenancy.pk}/">Open the new tenancy</a>' in page
    assert "/tenancies/sign-up/" not in page
    # The screen now refuses: the home is rented.
    page = client.get(_sign_up(agreed)).content.decode()
    assert "is rented, not void" in page and 'name="lead_first_name"' not in page


def test_joint_tenants_can_sign_up_for_a_void(client_for, lettings_officer, agreed):
    response = client_for(lettings_officer).post(_sign_up(agreed), {
        **SIGN_UP, "joint_first_name": "John", "joint_last_name": "Smith",
        "joint_date_of_birth": "1988-01-30"})
    assert response.status_code == 302
    tenancy = Tenancy.objects.get(start_date=date(2026, 12, 9))
    assert sorted(m.person.first_name for m in tenancy.members.all()) == ["Jane", "John"]
    agreed.refresh_from_db()
    assert agreed.new_tenancy == tenancy


def test_the_person_already_recorded_is_used(client_for, lettings_officer, agreed):
    known = PersonFactory(first_name="Jane", last_name="Smith", date_of_birth=BORN)
    people = Person.objects.count()
    response = client_for(lettings_officer).post(
        _sign_up(agreed), {**SIGN_UP, "lead_first_name": "JANE"}, follow=True)
    assert "Jane Smith was already recorded, so the tenancy uses their existing record." in (
        response.content.decode())
    tenancy = Tenancy.objects.get(start_date=date(2026, 12, 9))
    assert tenancy.members.get().person == known
    assert Person.objects.count() == people
    agreed.refresh_from_db()
    assert agreed.stage == Stage.LET


def test_the_sign_up_form_keeps_what_was_typed(client_for, lettings_officer, agreed):
    typed = {**SIGN_UP, "lead_first_name": "Janet", "lead_phone": "12345"}
    people = Person.objects.count()
    response = client_for(lettings_officer).post(_sign_up(agreed), typed)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: " in page and "There is a problem" in page
    assert "phone number as a UK number" in page
    for name in ("lead_first_name", "lead_phone", "lead_email", "lead_date_of_birth",
                 "start_date"):
        assert f'value="{typed[name]}"' in page, name
    _nothing_saved(agreed, people)


def _refused_up_front(client, void, people: int) -> str:
    """The screen refuses before any form: the problems, a link to the void, no form; a POST
    is refused the same way and saves nothing."""
    page = client.get(_sign_up(void)).content.decode()
    assert "<h1 class=\"govuk-heading-xl\">This home cannot be let</h1>" in page
    assert (f"4 Orchard Close, EX2 4QR is void ({void.reference}) and cannot be let yet."
            in page)
    assert (f'<a class="govuk-link" href="/voids/{void.pk}/">Go to void {void.reference}</a>'
            in page)
    assert 'name="lead_first_name"' not in page
    response = client.post(_sign_up(void), SIGN_UP)
    assert response.status_code == 200
    assert response.content.decode().count("cannot be let yet") == 1
    _nothing_saved(void, people)
    return page


def test_the_sign_up_is_refused_up_front_while_works_are_open(client_for, lettings_officer,
                                                              agreed, voids_contractor):
    order = _open_works(agreed, lettings_officer, voids_contractor)
    page = _refused_up_front(client_for(lettings_officer), agreed, Person.objects.count())
    assert (f"<li>Works orders still open: {order.reference} "
            f"({order.get_status_display().lower()}).</li>") in page


def test_the_sign_up_is_refused_up_front_with_a_safety_check_missing(client_for,
                                                                     lettings_officer, agreed):
    SafetyCheck.objects.filter(void=agreed, kind="gas").delete()
    page = _refused_up_front(client_for(lettings_officer), agreed, Person.objects.count())
    assert "<li>No gas safety check is recorded in this void.</li>" in page


def test_the_sign_up_is_refused_up_front_without_an_accepted_offer(client_for,
                                                                   lettings_officer, offered):
    page = _refused_up_front(client_for(lettings_officer), offered, Person.objects.count())
    assert (f"<li>No offer has been accepted: record the offer and its acceptance on void "
            f"{offered.reference} first.</li>") in page


def test_a_start_before_the_void_began_is_refused_and_saves_no_one(client_for, lettings_officer,
                                                                  north, make_ready):
    """A new home recorded void from 1 December 2026: the tenancy sign-up service refuses a
    start before that day, and the lead tenant's new person record goes with it."""
    home = PropertyFactory(patch=north, address_line_1="21 Quay Hill", postcode="EX2 4AN")
    void = record_void(property_id=home.pk, start_date=date(2026, 12, 1), reason="new_build",
                       by=lettings_officer, at=AT)
    make_ready(void, on=date(2026, 12, 2))
    accepted(void, lettings_officer)
    people = Person.objects.count()
    response = client_for(lettings_officer).post(_sign_up(void),
                                                 {**SIGN_UP, "start_date": "2026-11-30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "The tenancy cannot start before the void began (1 December 2026)." in page
    assert 'value="2026-11-30"' in page and 'value="Jane"' in page
    assert Person.objects.count() == people
    assert not Tenancy.objects.filter(property=home).exists()
    void.refresh_from_db()
    assert (void.stage, void.let_date) == (Stage.OFFERED, None)
    assert not LettingLog.objects.exists()


def test_a_start_while_the_old_tenancy_ran_is_refused(client_for, lettings_officer, agreed):
    people = Person.objects.count()
    response = client_for(lettings_officer).post(_sign_up(agreed),
                                                 {**SIGN_UP, "start_date": "2026-11-29"})
    page = response.content.decode()
    assert "There is a problem" in page
    assert (f"already has tenancy {agreed.previous_tenancy.reference} on 29 November 2026. "
            f"The new tenancy must start after it ends.") in page
    _nothing_saved(agreed, people)


# --- The void page's letting section ----------------------------------------------------------


def test_the_void_page_offers_the_next_letting_step(client_for, lettings_officer,
                                                    repairs_officer, ready):
    client = client_for(lettings_officer)
    page = client.get(f"/voids/{ready.pk}/").content.decode()
    assert f'href="/voids/{ready.pk}/offers/new/"' in page
    assert "/tenancies/sign-up/" not in page  # nothing to sign up before an acceptance
    accepted(ready, lettings_officer)
    page = client.get(f"/voids/{ready.pk}/").content.decode()
    assert (f'href="/tenancies/sign-up/?property={ready.property_id}">Sign up Mrs Jane '
            f"Smith</a>") in page
    assert f'href="/voids/{ready.pk}/offers/new/"' not in page
    # A repairs officer sees the offers but no letting buttons.
    page = client_for(repairs_officer).get(f"/voids/{ready.pk}/").content.decode()
    assert "Mrs Jane Smith" in page and "/tenancies/sign-up/" not in page


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
