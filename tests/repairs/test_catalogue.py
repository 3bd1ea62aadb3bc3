"""The repairs admin (repairs.admin): trades, the Schedule of Rates with dated prices in pounds,
priorities with a target in hours or working days, contractors with their portal users
(contractor users only) and capacity, contracts with prices in pounds, spend limits for a
person or a role, and hazard rules; each refusal in words; for system administrators only."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.utils.html import escape
from freezegun import freeze_time

from housing import roles
from repairs.admin import PriorityForm, SorCodeForm, SpendLimitForm
from repairs.models import (
    Capacity,
    Contract,
    Contractor,
    ContractorMember,
    ContractRate,
    HazardRule,
    Priority,
    SorCode,
    SpendLimit,
    Trade,
)

pytestmark = pytest.mark.django_db

MODELS = ["trade", "sorcode", "priority", "contractor", "capacity", "contract", "spendlimit",
          "hazardrule"]


@pytest.fixture
def admin_client(client_for, administrator):
    return client_for(administrator)


def _management(prefix, total=0, initial=0):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial,
            f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000}


def _sor_data(**changes):
    plumbing = Trade.objects.get(code="plumbing")
    return {"code": "PL100", "description": "Renew tap washer or cartridge",
            "trade": plumbing.pk, "unit": "each", "unit_price_pounds": "29.90",
            "start_date": "2026-04-01", "end_date": "", **changes}


# --- Who reaches it -------------------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS)
def test_administrators_keep_the_configuration(admin_client, model):
    assert admin_client.get(f"/admin/repairs/{model}/").status_code == 200
    assert admin_client.get(f"/admin/repairs/{model}/add/").status_code == 200


def test_a_system_administrator_without_superuser_rights_may_add_and_change(client_for):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from tests.housing.factories import UserFactory

    user = UserFactory(email="sysadmin@example.test", role=roles.SYSTEM_ADMINISTRATOR,
                       is_staff=True)
    TOTP.activate(user, generate_totp_secret())  # the admin asks for MFA
    client = client_for(user)
    for model in MODELS:
        assert client.get(f"/admin/repairs/{model}/add/").status_code == 200, model
    sor = SorCode.objects.get(code="PL100")
    page = client.get(f"/admin/repairs/sorcode/{sor.pk}/change/").content.decode()
    assert "Delete" not in page  # end a price with a later one: orders point at it


@pytest.mark.parametrize("persona", ["repairs_officer", "team_leader", "customer_access"])
def test_staff_without_admin_access_are_sent_away(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    for model in MODELS:
        response = client.get(f"/admin/repairs/{model}/")
        assert response.status_code == 302, model


@pytest.mark.parametrize("persona", ["contractor", "tenant", None])
def test_contractors_tenants_and_visitors_never_reach_it(client_for, request, persona):
    user = request.getfixturevalue(persona) if persona else None
    response = client_for(user).get("/admin/repairs/contractor/")
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/repairs/contractor/" not in response["Location"].split("?")[0]


# --- The Schedule of Rates ------------------------------------------------------------------

@freeze_time("2026-12-09 12:00:00")
def test_the_sor_list_shows_prices_in_pounds_and_filters_todays(client_for, administrator):
    admin_client = client_for(administrator)  # signed in on the frozen day
    SorCode.objects.filter(code="PL100").update(end_date=date(2027, 3, 31))
    SorCode.objects.create(code="PL100", description="Renew tap washer", unit="each",
                           trade=Trade.objects.get(code="plumbing"), unit_price_pence=2990,
                           start_date=date(2027, 4, 1))
    page = admin_client.get("/admin/repairs/sorcode/?q=PL100").content.decode()
    assert "£28.50" in page and "£29.90" in page
    assert escape("Today's price") in page and "From a later date" in page
    current = admin_client.get("/admin/repairs/sorcode/?q=PL100&in_force=current")
    assert "£28.50" in current.content.decode() and "£29.90" not in current.content.decode()
    future = admin_client.get("/admin/repairs/sorcode/?in_force=future").content.decode()
    assert "£29.90" in future and "£28.50" not in future
    by_trade = admin_client.get(
        f"/admin/repairs/sorcode/?trade__id__exact={Trade.objects.get(code='damp').pk}")
    assert "DM950" in by_trade.content.decode() and "PL100" not in by_trade.content.decode()


def test_a_new_price_in_the_admin_ends_the_one_before(admin_client, administrator):
    response = admin_client.post("/admin/repairs/sorcode/add/", _sor_data(code="pl100"))
    assert response.status_code == 302, response.content.decode()[:3000]
    old, new = SorCode.objects.filter(code="PL100").order_by("start_date")
    assert (old.end_date, old.unit_price_pence) == (date(2026, 3, 31), 2850)
    assert (new.start_date, new.end_date, new.unit_price_pence) == (date(2026, 4, 1), None, 2990)
    ended = old.history.first()
    assert (ended.history_change_reason, ended.history_user) == (
        "A new price from 1 April 2026", administrator)


def test_a_new_price_cannot_start_before_the_latest(admin_client):
    response = admin_client.post("/admin/repairs/sorcode/add/",
                                 _sor_data(start_date="2024-04-01"))
    assert response.status_code == 200
    assert escape("PL100 already has a price from 1 April 2024. A new price must start after "
                  "it (that one then ends the day before); to correct a recorded price, change "
                  "that one.") in response.content.decode()
    assert SorCode.objects.filter(code="PL100").count() == 1


def test_a_recorded_prices_dates_may_not_overlap_another(admin_client):
    admin_client.post("/admin/repairs/sorcode/add/", _sor_data())
    old = SorCode.objects.get(code="PL100", start_date=date(2024, 4, 1))
    response = admin_client.post(f"/admin/repairs/sorcode/{old.pk}/change/", _sor_data(
        start_date="2024-04-01", end_date="2026-06-30", unit_price_pounds="28.50"))
    assert response.status_code == 200
    assert escape("These dates overlap PL100's price from 1 April 2026 with no end. One price "
                  "is in force at a time") in response.content.decode()
    response = admin_client.post(f"/admin/repairs/sorcode/{old.pk}/change/", _sor_data(
        start_date="2024-04-01", end_date="2026-03-31", unit_price_pounds="28.60"))
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.unit_price_pence == 2860


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"unit_price_pounds": "29.999"}, "unit_price_pounds",
     "Ensure that there are no more than 2 decimal places."),
    ({"unit_price_pounds": "-1"}, "unit_price_pounds",
     "Ensure this value is greater than or equal to 0."),
    ({"code": "PL900", "start_date": "2026-04-01", "end_date": "2026-03-01"}, "end_date",
     "A price cannot end before it starts."),
])
def test_the_sor_form_refuses_what_makes_no_sense(changes, field, message):
    form = SorCodeForm(data=_sor_data(**changes))
    assert not form.is_valid()
    assert form.errors[field] == [message]


# --- Priorities -----------------------------------------------------------------------------

def test_a_target_is_in_hours_or_working_days_not_both():
    form = PriorityForm(data={"name": "Out of hours", "code": "ooh", "order": 5,
                              "target_hours": 4, "target_working_days": 1, "active": "on"})
    assert not form.is_valid()
    assert form.errors == {"target_working_days": [
        "Give the target in hours or in working days, not both: hours for a target on the "
        "clock (an emergency), working days otherwise."]}
    form = PriorityForm(data={"name": "Out of hours", "code": "ooh", "order": 5,
                              "target_hours": 4, "active": "on"})
    assert form.is_valid(), form.errors


def test_priorities_show_their_target_in_words(admin_client):
    page = admin_client.get("/admin/repairs/priority/").content.decode()
    for text in ["24 hours", "3 working days", "20 working days", "No target (planned)",
                 "Void works (standard)", "10 working days", "Major works void"]:
        assert text in page
    page = admin_client.get(
        f"/admin/repairs/priority/{Priority.objects.get(code='urgent').pk}/change/")
    assert "not counting England and Wales bank holidays" in page.content.decode()


def test_the_admin_saves_a_priority_with_a_working_day_target(admin_client):
    response = admin_client.post("/admin/repairs/priority/add/", {
        "name": "Urgent (7 days)", "code": "urgent-7", "order": 2, "target_hours": "",
        "target_working_days": 7, "active": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Priority.objects.get(code="urgent-7").target_working_days == 7


# --- Contractors and their portal users -----------------------------------------------------

def _contractor_post(**changes):
    return {"code": "c-plumbing", "name": "C Plumbing Ltd", "email": "", "phone": "",
            "address": "", "active": "on", **_management("members"),
            **_management("capacities"), **changes}


def test_a_contractor_with_its_portal_user_and_capacity(admin_client, contractor):
    plumbing = Trade.objects.get(code="plumbing")
    response = admin_client.post("/admin/repairs/contractor/add/", _contractor_post(
        **_management("members", 1), **{"members-0-user": contractor.pk},
        **_management("capacities", 1), **{"capacities-0-trade": plumbing.pk,
                                           "capacities-0-am_jobs": 4,
                                           "capacities-0-pm_jobs": 3}))
    assert response.status_code == 302, response.content.decode()[:3000]
    company = Contractor.objects.get(code="c-plumbing")
    assert ContractorMember.objects.get(contractor=company).user == contractor
    assert Capacity.objects.filter(contractor=company, trade=plumbing, am_jobs=4,
                                   pm_jobs=3).exists()


@pytest.mark.parametrize("persona", ["repairs_officer", "tenant"])
def test_only_contractor_users_may_be_chosen(admin_client, request, persona, contractor):
    user = request.getfixturevalue(persona)
    page = admin_client.get("/admin/repairs/contractor/add/").content.decode()
    assert contractor.email in page and user.email not in page
    response = admin_client.post("/admin/repairs/contractor/add/", _contractor_post(
        **_management("members", 1), **{"members-0-user": user.pk}))
    assert response.status_code == 200
    assert escape("Choose a contractor portal user: only users whose kind is Contractor can "
                  "work for a contractor.") in response.content.decode()
    assert not Contractor.objects.filter(code="c-plumbing").exists()


def test_a_portal_user_works_for_one_company(admin_client, contractor_a, contractor):
    response = admin_client.post("/admin/repairs/contractor/add/", _contractor_post(
        **_management("members", 1), **{"members-0-user": contractor.pk}))
    assert response.status_code == 200
    assert escape("contractor@example.test already works for A Plumbing Ltd: a portal user "
                  "sees one company's orders.") in response.content.decode()


# --- Contracts and their prices -------------------------------------------------------------

def _contract_post(company, **changes):
    return {"contractor": company.pk, "reference": "C-A-2", "name": "Heating",
            "start_date": "2026-04-01", "end_date": "",
            "trades": [Trade.objects.get(code="heating").pk], "patches": [],
            **_management("rates"), **changes}


def test_a_contract_with_prices_typed_in_pounds(admin_client, contractor_a, north):
    response = admin_client.post("/admin/repairs/contract/add/", _contract_post(
        contractor_a, patches=[north.pk], **_management("rates", 2),
        **{"rates-0-code": "ht800", "rates-0-unit_price_pounds": "109.95",
           "rates-1-code": "HT810", "rates-1-unit_price_pounds": "61"}))
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = Contract.objects.get(reference="C-A-2")
    assert dict(contract.rates.values_list("code", "unit_price_pence")) == {
        "HT800": 10995, "HT810": 6100}
    assert list(contract.patches.all()) == [north]
    page = admin_client.get("/admin/repairs/contract/").content.decode()
    assert "Gas and heating" in page and "Every patch" in page  # C-A-1 covers every patch


def test_a_price_for_a_code_not_in_the_schedule_is_refused(admin_client, contractor_a):
    response = admin_client.post("/admin/repairs/contract/add/", _contract_post(
        contractor_a, **_management("rates", 1),
        **{"rates-0-code": "ZZ999", "rates-0-unit_price_pounds": "10.00"}))
    assert response.status_code == 200
    assert ("ZZ999 is not in the Schedule of Rates. Add it there (or import it) first, or "
            "check the code.") in response.content.decode()
    assert not Contract.objects.filter(reference="C-A-2").exists()


def test_a_contract_cannot_end_before_it_starts(admin_client, contractor_a):
    response = admin_client.post("/admin/repairs/contract/add/", _contract_post(
        contractor_a, end_date="2026-03-31"))
    assert response.status_code == 200
    assert "A contract cannot end before it starts." in response.content.decode()


def test_a_contract_rate_is_shown_and_changed_in_pounds(admin_client, contractor_a):
    contract = contractor_a.contracts.get()
    rate = ContractRate.objects.create(contract=contract, code="PL100", unit_price_pence=2845)
    page = admin_client.get(f"/admin/repairs/contract/{contract.pk}/change/").content.decode()
    assert 'value="28.45"' in page
    response = admin_client.post(f"/admin/repairs/contract/{contract.pk}/change/", {
        "contractor": contractor_a.pk, "reference": "C-A-1", "name": "Responsive plumbing",
        "start_date": "2024-04-01", "end_date": "",
        "trades": [Trade.objects.get(code="plumbing").pk], "patches": [],
        **_management("rates", 1, 1), "rates-0-id": rate.pk, "rates-0-contract": contract.pk,
        "rates-0-code": "PL100", "rates-0-unit_price_pounds": "28.40"})
    assert response.status_code == 302, response.content.decode()[:3000]
    rate.refresh_from_db()
    assert rate.unit_price_pence == 2840


# --- Spend limits ---------------------------------------------------------------------------

def test_a_spend_limit_for_a_person_in_pounds(admin_client, repairs_officer):
    response = admin_client.post("/admin/repairs/spendlimit/add/", {
        "user": repairs_officer.pk, "group": "", "limit_pounds": "2500"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert SpendLimit.objects.get(user=repairs_officer).limit_pence == 250000
    page = admin_client.get("/admin/repairs/spendlimit/").content.decode()
    assert "repairs@example.test" in page and "£2,500.00" in page
    assert "Repairs Officer" in page and "£1,500.00" in page  # the role's, from the defaults


@pytest.mark.parametrize("who", ["both", "neither"])
def test_a_spend_limit_is_for_a_person_or_a_role(repairs_officer, who):
    group = Group.objects.get(name=roles.LETTINGS_OFFICER)
    data = {"limit_pounds": "100.00",
            "user": repairs_officer.pk if who == "both" else "",
            "group": group.pk if who == "both" else ""}
    form = SpendLimitForm(data=data)
    assert not form.is_valid()
    assert form.errors["group"] == [
        "Choose a person or a role (not both): a limit is for one of them."]


def test_a_spend_limit_is_for_staff_only(contractor):
    form = SpendLimitForm(data={"user": contractor.pk, "limit_pounds": "100"})
    assert not form.is_valid() and "user" in form.errors


# --- Hazard rules ---------------------------------------------------------------------------

def test_a_second_rule_from_the_same_day_is_refused(admin_client):
    response = admin_client.post("/admin/repairs/hazardrule/add/", {
        "hazard": "damp_mould", "effective_from": "2025-10-27", "emergency_hours": 24,
        "investigate_working_days": 10, "summary_working_days": 3,
        "safety_works_working_days": 5})
    assert response.status_code == 200
    assert ("There is already a rule for Damp and mould from 27 October 2025: change that "
            "one, or choose another date.") in response.content.decode()
    response = admin_client.post("/admin/repairs/hazardrule/add/", {
        "hazard": "excess_cold", "effective_from": "2026-10-01", "emergency_hours": 24,
        "investigate_working_days": 10, "summary_working_days": 3,
        "safety_works_working_days": 5})
    assert response.status_code == 302
    assert HazardRule.objects.filter(hazard="excess_cold").exists()


# --- Demo data ------------------------------------------------------------------------------

def test_the_demo_contractors_cover_every_sample_code_and_a_rerun_adds_nothing():
    from housing.demo import DEMO_PASSWORD
    from housing.models import User
    from repairs.demo import demo_logins, seed_repairs
    from tests.housing.factories import UserFactory

    made_by_housing_demo = UserFactory(email="contractor@demo.example",
                                       kind=User.Kind.CONTRACTOR)
    counts = seed_repairs()
    # Three responsive repairs companies for their trades (24 codes, 10 trades), and a voids
    # company for every trade (26 codes, 11 trades).
    assert counts == {"contractors": 4, "portal_users": 4, "rates": 50, "capacities": 21}
    contracts = Contract.objects.filter(reference__startswith="DEMO-")
    assert contracts.count() == 4
    assert not Contract.patches.through.objects.filter(contract__in=contracts).exists()
    # Every sample SOR code has exactly one demo contract price, a few pence off the SOR's.
    rates = {rate.code: rate.unit_price_pence for rate in
             ContractRate.objects.filter(contract__in=contracts)}
    sor = dict(SorCode.objects.values_list("code", "unit_price_pence"))
    assert set(rates) == set(sor)
    assert all(0 < abs(rates[code] - sor[code]) <= 9 for code in sor)
    # Each company's prices are for its own trades.
    assert Contract.objects.get(reference="DEMO-VO-2024").rates.count() == len(sor)
    electrical = Contract.objects.get(reference="DEMO-EL-2024")
    assert set(electrical.rates.values_list("code", flat=True)) == {
        "EL200", "EL210", "EL220", "EL230"}
    assert set(Capacity.objects.values_list("am_jobs", "pm_jobs")) == {(4, 4)}
    assert Capacity.objects.filter(contractor__code="northgate-building").count() == 6
    # Portal users: the housing demo's contractor users where they exist, a new one otherwise.
    assert ContractorMember.objects.get(user__email="contractor3@demo.example").contractor \
        .code == "castle-electrical"
    third = User.objects.get(email="contractor3@demo.example")
    assert third.kind == User.Kind.CONTRACTOR and third.check_password(DEMO_PASSWORD)
    assert demo_logins() == [
        ("contractor@demo.example", "Valley Plumbing and Heating Ltd"),
        ("contractor2@demo.example", "Northgate Building Services Ltd"),
        ("contractor3@demo.example", "Castle Electrical Contractors Ltd"),
        ("contractor4@demo.example", "Westcountry Void Services Ltd")]
    assert ContractorMember.objects.get(user=made_by_housing_demo).contractor.code == \
        "valley-plumbing"

    before = [model.objects.count() for model in (Contractor, Contract, ContractRate,
                                                  Capacity, ContractorMember, User)]
    assert seed_repairs() == {"contractors": 0, "portal_users": 0, "rates": 0,
                              "capacities": 0}
    assert [model.objects.count() for model in (Contractor, Contract, ContractRate, Capacity,
                                                ContractorMember, User)] == before


def test_the_admin_lists_read_a_fixed_number_of_queries(admin_client, contractor_a,
                                                        contractor_b, north):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pages = ["/admin/repairs/sorcode/", "/admin/repairs/contract/",
             "/admin/repairs/contractor/", "/admin/repairs/capacity/",
             "/admin/repairs/spendlimit/", "/admin/repairs/trade/"]
    counts = {}
    for more in range(2):
        for index in range(3):
            company = Contractor.objects.create(code=f"c-{more}-{index}", name=f"C {index}")
            contract = Contract.objects.create(contractor=company, reference=f"R-{more}-{index}",
                                               name="Repairs", start_date=date(2024, 4, 1))
            contract.trades.add(*Trade.objects.all()[:2])
            contract.patches.add(north)
            ContractRate.objects.create(contract=contract, code="PL100", unit_price_pence=2800)
            Capacity.objects.create(contractor=company, trade=Trade.objects.first(),
                                    am_jobs=2, pm_jobs=2)
            SorCode.objects.create(code=f"X{more}{index}", description="Extra", unit="each",
                                   trade=Trade.objects.first(), unit_price_pence=100,
                                   start_date=date(2024, 4, 1))
        for page in pages:
            admin_client.get(page)  # warm up the session
            with CaptureQueriesContext(connection) as queries:
                assert admin_client.get(page).status_code == 200
            counts.setdefault(page, []).append(len(queries))
    for page, (fewer, more) in counts.items():
        assert fewer == more, page
