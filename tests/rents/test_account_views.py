"""The rent account page (balance, this week's charge, the ledger with its running balance)
and recording a single payment: who may, what is refused, and what the pages then show."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from guardian.shortcuts import assign_perm

from rents.models import Charge, ChargeType, RentAccount, RentWeek, Transaction
from rents.payments import record_payment
from rents.services import post_rent_run, rent_week_for
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
TODAY = date(2026, 12, 9)  # a Wednesday in rent week 36 of 2026/27, which starts 7 December
WEEK_1 = date(2026, 11, 30)
WEEK_2 = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 12:00:00"):
        yield


def _let(patch, *, rent=9876, heating=None, start=date(2020, 1, 6), end=None,
         address="12 Mill Lane"):
    home = PropertyFactory(estate__patch=patch, address_line_1=address)
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=rent, start_date=date(2026, 4, 6))
    if heating:
        Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="heating"),
                              weekly_pence=heating, start_date=date(2026, 4, 6))
    tenancy = tenancy_services.sign_up(
        property_id=home.pk, tenancy_type="secure", start_date=start,
        tenant_ids=[PersonFactory(first_name="Margaret", last_name="Thistlewood").pk],
        by=None, at=AT)
    if end:
        tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=end, reason="notice",
                                     by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


def _run(monday):
    post_rent_run(week=rent_week_for(on=monday), by=None, at=AT)


@pytest.fixture
def account(north):
    return _let(north)


@pytest.fixture
def south_account(south):
    return _let(south, address="3 Far Road")


@pytest.fixture
def cashier(customer_access):
    """Customer Access take payments at the front desk (rents.add_transaction, granted to
    their role by rents migration 0005)."""
    assert customer_access.has_perm("rents.add_transaction")
    return customer_access


@pytest.fixture
def income(income_officer):
    assert income_officer.has_perm("rents.add_transaction")
    return income_officer


def _pages(account):
    return [f"/rents/accounts/{account.pk}/", f"/rents/accounts/{account.pk}/payments/new/"]


def _pay(client, account, **fields):
    data = {"amount": "50.00", "method": "card", "received_on": "2026-12-08", "reference": "",
            **fields}
    return client.post(f"/rents/accounts/{account.pk}/payments/new/", data)


def _balance(account):
    return sum(account.transactions.values_list("amount_pence", flat=True))


# --- Who may see and do what ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["income_officer", "officer", "customer_access",
                                     "team_leader", "administrator"])
def test_rent_roles_see_the_account(client_for, request, persona, account):
    response = client_for(request.getfixturevalue(persona)).get(_pages(account)[0])
    assert response.status_code == 200
    page = response.content.decode()
    assert "12 Mill Lane" in page and account.payment_reference in page
    assert "Margaret Thistlewood" in page


@pytest.mark.parametrize("persona", ["cashier", "income", "administrator"])
def test_payment_takers_open_the_payment_form(client_for, request, persona, account):
    assert client_for(request.getfixturevalue(persona)).get(_pages(account)[1]).status_code == 200


def test_officers_off_patch_get_404(client_for, income, officer, south_account):
    for user in (income, officer):
        client = client_for(user)
        for path in _pages(south_account):
            assert client.get(path).status_code == 404, path
        assert _pay(client, south_account).status_code == 404
    assert not Transaction.objects.exists()


@pytest.mark.parametrize("persona", ["council_tax", "repairs_officer", "no_access"])
def test_roles_without_rent_accounts_get_404(client_for, request, persona, account):
    client = client_for(request.getfixturevalue(persona))
    for path in _pages(account):
        assert client.get(path).status_code == 404, path
    assert _pay(client, account).status_code == 404
    assert not Transaction.objects.exists()


def test_readers_without_the_payment_permission_get_403(client_for, officer, income,
                                                        account):
    client = client_for(officer)  # a Housing Officer reads the account but takes no payments
    assert client.get(_pages(account)[1]).status_code == 403
    assert _pay(client, account).status_code == 403
    assert "Record a payment" not in client.get(_pages(account)[0]).content.decode()
    assert not Transaction.objects.exists()
    assert "Record a payment" in client_for(income).get(_pages(account)[0]).content.decode()


def test_a_payment_permission_granted_to_one_person_is_enough(client_for, officer, account):
    assign_perm("rents.add_transaction", officer)
    assert _pay(client_for(officer), account).status_code == 302


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_refused(client_for, request, persona, account):
    client = client_for(request.getfixturevalue(persona))
    for path in _pages(account):
        assert client.get(path).status_code == 403, path
    assert _pay(client, account).status_code == 403
    assert not Transaction.objects.exists()


def test_anonymous_visitors_sign_in_first(client, account):
    for path in _pages(account):
        assert client.get(path)["Location"].startswith("/accounts/login/"), path
    assert _pay(client, account)["Location"].startswith("/accounts/login/")
    assert not Transaction.objects.exists()


def test_an_unknown_account_is_404(client_for, income):
    assert client_for(income).get("/rents/accounts/999999/").status_code == 404


# --- Balance, this week's charge and the running balance -----------------------------------


def test_balance_and_running_balance_after_runs_and_a_payment(client_for, income, account):
    _run(WEEK_1)                                                    # +98.76 -> 98.76
    client = client_for(income)
    response = _pay(client, account, amount="50.00", method="card", received_on="2026-12-02",
                    reference="RCPT-001")                           # -50.00 -> 48.76
    assert response.status_code == 302
    assert response["Location"] == f"/rents/accounts/{account.pk}/"
    _run(WEEK_2)                                                    # +98.76 -> 147.52

    response = client.get(f"/rents/accounts/{account.pk}/")
    rows = list(response.context["page_obj"])
    assert [(r.posted_on, r.debit_pence, r.credit_pence, r.balance_pence) for r in rows] == [
        (WEEK_2, 9876, None, 14752),
        (date(2026, 12, 2), None, 5000, 4876),
        (WEEK_1, 9876, None, 9876),
    ]
    assert rows[1].description == "Payment: Card"
    assert rows[1].details == "Week 35 of 2026/27, Reference RCPT-001"
    assert rows[0].description == "Net rent" and rows[0].details == "Week 36 of 2026/27"
    page = response.content.decode()
    assert "£147.52</span> in arrears" in page
    assert "£98.76</span> for week 36 of 2026/27" in page
    assert 'class="app-table-scroll" role="region" aria-label="Transactions"' in page
    assert _balance(account) == 14752


def test_a_backdated_payment_takes_its_place_in_the_running_balance(client_for, income,
                                                                    account):
    _run(WEEK_1)
    _run(WEEK_2)
    _pay(client_for(income), account, amount="10.00", received_on="2026-12-01")
    rows = list(client_for(income).get(f"/rents/accounts/{account.pk}/").context["page_obj"])
    assert [(r.posted_on, r.balance_pence) for r in rows] == [
        (WEEK_2, 9876 - 1000 + 9876), (date(2026, 12, 1), 9876 - 1000), (WEEK_1, 9876)]


def test_credit_and_clear(client_for, income, account):
    client = client_for(income)
    assert ">Clear<" in client.get(f"/rents/accounts/{account.pk}/").content.decode()
    _pay(client, account, amount="20.00")
    page = client.get(f"/rents/accounts/{account.pk}/").content.decode()
    assert "£20.00</span> in credit" in page
    assert "−£20.00" in page  # the running balance below zero


def test_this_weeks_charge_adds_the_elements_and_is_nothing_in_a_rent_free_week(
        client_for, income, north):
    account = _let(north, rent=9876, heating=1250)
    client = client_for(income)
    page = client.get(f"/rents/accounts/{account.pk}/").content.decode()
    assert "£111.26</span> for week 36 of 2026/27" in page
    assert "Heating: <span class=\"app-numeric\">£12.50</span>" in page
    RentWeek.objects.filter(start_date=WEEK_2).update(rent_free=True)
    page = client.get(f"/rents/accounts/{account.pk}/").content.decode()
    assert "None: week 36 of 2026/27 is a rent-free week" in page


def test_this_weeks_charge_is_pro_rata_in_the_last_week(client_for, income, north):
    account = _let(north, rent=9876, end=date(2026, 12, 9))  # Monday to Wednesday
    page = client_for(income).get(f"/rents/accounts/{account.pk}/").content.decode()
    assert "£42.33</span> for week 36" in page  # 98.76 x 3 / 7, rounded once


def _history(account, rows=123):
    """`rows` ledger rows over a few months, several on the same day, in and out of credit."""
    start = date(2024, 4, 1)
    Transaction.objects.bulk_create([
        Transaction(account=account, posted_on=start + timedelta(days=i // 3),
                    kind="adjustment", amount_pence=(i * 3733) % 50000 - 21000 or 1,
                    source="officer", created_at=AT)
        for i in range(rows)])
    ordered = sorted(account.transactions.values_list("posted_on", "id", "amount_pence"))
    running, expected = 0, []
    for _posted_on, pk, amount in ordered:
        running += amount
        expected.append((pk, running))
    return expected[::-1]  # newest first


def test_pagination_keeps_the_running_balance_continuous(client_for, income, account):
    expected = _history(account, rows=123)
    client = client_for(income)
    shown = []
    for number in (1, 2, 3):
        page = client.get(f"/rents/accounts/{account.pk}/?page={number}").context["page_obj"]
        assert len(page) == (50 if number < 3 else 23)
        shown += [(row.id, row.balance_pence) for row in page]
    assert shown == expected
    first = client.get(f"/rents/accounts/{account.pk}/?page=1").context["page_obj"]
    second = client.get(f"/rents/accounts/{account.pk}/?page=2").context["page_obj"]
    last_of_first, first_of_second = list(first)[-1], list(second)[0]
    # The older row's balance is the newer row's balance before the newer row.
    assert first_of_second.balance_pence == (last_of_first.balance_pence
                                             - last_of_first.amount_pence)
    assert "Showing <b>51</b> to <b>100</b> of <b>123</b> transactions" in client.get(
        f"/rents/accounts/{account.pk}/?page=2").content.decode()


@pytest.mark.parametrize(("persona", "expected"), [("officer", 13), ("income", 15)])
def test_the_account_page_reads_a_fixed_small_number_of_queries(client_for, request, north,
                                                                persona, expected):
    short, long = _let(north), _let(north, address="14 Mill Lane")
    _history(short, rows=3)
    _history(long, rows=400)
    client = client_for(request.getfixturevalue(persona))
    counts = []
    for path in (f"/rents/accounts/{short.pk}/", f"/rents/accounts/{long.pk}/",
                 f"/rents/accounts/{long.pk}/?page=8"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        counts.append(len(queries))
    # Eight for every signed-in page (session, user, role check, permissions (2), the session
    # touched again in a savepoint), then five for this one: the account with its balance
    # and count, its tenants, one page of the ledger, the rent week and the charges. An
    # Income Officer's page adds two: the write-offs to show, and which of the page's rows
    # can be reversed.
    assert counts == [expected] * 3


# --- Recording a payment ---------------------------------------------------------------------


def test_customer_access_records_a_payment_and_it_shows_at_once(client_for, cashier, account):
    _run(WEEK_1)
    client = client_for(cashier)
    form = client.get(f"/rents/accounts/{account.pk}/payments/new/").content.decode()
    assert 'class="govuk-input__prefix" aria-hidden="true">£' in form
    assert 'value="2026-12-09"' in form  # the date received defaults to today
    response = _pay(client, account, amount="£1,000.5", method="cash", reference=" 77 ")
    assert response.status_code == 302
    row = Transaction.objects.get(kind="payment")
    assert (row.amount_pence, row.method, row.source, row.posted_on, row.reference,
            row.created_by, row.rent_week.start_date) == (
        -100050, "cash", "officer", date(2026, 12, 8), "77", cashier, WEEK_2)
    page = client.get(response["Location"]).content.decode()
    assert "Payment of £1,000.50 recorded." in page
    assert "£901.74</span> in credit" in page  # 98.76 - 1,000.50


def test_a_posted_payment_shows_on_the_tenancy_and_property_pages(client_for, income,
                                                                  account):
    _run(WEEK_1)
    client = client_for(income)
    tenancy_page = f"/tenancies/{account.tenancy_id}/"
    property_page = f"/properties/{account.tenancy.property_id}/"
    for path in (tenancy_page, property_page):
        page = client.get(path).content.decode()
        assert "£98.76</span> in arrears" in page, path
        assert f'href="/rents/accounts/{account.pk}/"' in page, path
    _pay(client, account, amount="98.76")
    for path in (tenancy_page, property_page):
        page = client.get(path).content.decode()
        assert ">Clear<" in page and "in arrears" not in page, path


def test_roles_without_rent_accounts_see_no_rent_section(client_for, council_tax, account):
    client = client_for(council_tax)
    for path in (f"/tenancies/{account.tenancy_id}/",
                 f"/properties/{account.tenancy.property_id}/"):
        page = client.get(path).content.decode()
        assert "Rent account" not in page and "Payment reference" not in page, path
        assert f"/rents/accounts/{account.pk}/" not in page, path


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"amount": "12.345"}, "amount", "no more than two decimal places"),
    ({"amount": "-10.00"}, "amount", "without a minus sign"),
    ({"amount": "0"}, "amount", "more than £0.00"),
    ({"amount": "0.00"}, "amount", "more than £0.00"),
    ({"amount": "ten pounds"}, "amount", "like 12.50"),
    ({"amount": ""}, "amount", "Enter the amount received"),
    ({"amount": "1000000"}, "amount", "£100,000.00 or less"),
    ({"received_on": "2026-12-10"}, "received_on", "must be today or in the past"),
    ({"received_on": "31/02/2026"}, "received_on", "real date"),
    ({"method": ""}, "method", "Select how it was paid"),
    ({"method": "cheque"}, "method", "Select a valid choice"),
])
def test_bad_payments_are_refused_and_keep_what_was_typed(client_for, income, account, fields,
                                                          field, message):
    response = _pay(client_for(income), account, reference="KEEP-ME", **fields)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert message in " ".join(response.context["form"].errors[field])
    assert 'value="KEEP-ME"' in page
    typed = {**{"amount": "50.00", "received_on": "2026-12-08"}, **fields}
    if typed["amount"]:
        assert f'value="{typed["amount"]}"' in page
    if field != "received_on":
        assert 'value="2026-12-08"' in page
    assert not Transaction.objects.exists()


def test_an_ended_tenancy_takes_payments_up_to_its_arrears_only(client_for, income, north):
    account = _let(north, end=date(2026, 12, 2))
    _run(WEEK_1)  # Monday to Wednesday: 98.76 x 3 / 7 = 42.33
    client = client_for(income)
    form = client.get(f"/rents/accounts/{account.pk}/payments/new/").content.decode()
    assert "This tenancy ended on 2 December 2026" in form

    response = _pay(client, account, amount="42.34", received_on="2026-12-03")
    page = response.content.decode()
    assert response.status_code == 200
    assert ("This tenancy has ended; a payment can only clear what is owed (£42.33). "
            "Refunds are recorded by Income.") in page
    assert 'value="42.34"' in page
    assert not Transaction.objects.filter(kind="payment").exists()

    assert _pay(client, account, amount="40.00", received_on="2026-12-03").status_code == 302
    assert _pay(client, account, amount="2.33", received_on="2026-12-03").status_code == 302
    assert _balance(account) == 0
    response = _pay(client, account, amount="0.01", received_on="2026-12-03")
    assert "can only clear what is owed (£0.00)" in response.content.decode()
    assert Transaction.objects.filter(kind="payment").count() == 2
    page = client.get(f"/rents/accounts/{account.pk}/").content.decode()
    assert "Former tenant" in page and "Margaret Thistlewood" in page  # who owed it
    assert "Record a payment" not in page  # nothing left that a payment could clear


def test_a_tenancy_ending_later_still_takes_any_payment(client_for, income, north):
    account = _let(north, end=date(2027, 1, 3))  # notice given, not ended yet
    assert _pay(client_for(income), account, amount="500.00").status_code == 302
    assert _balance(account) == -50000


def test_the_service_refuses_what_the_form_would_and_posts_nothing(income, account):
    from django.core.exceptions import ValidationError

    at = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
    for amount, method, received_on, key in [
            (0, "card", TODAY, "amount_pence"), (-100, "card", TODAY, "amount_pence"),
            (100, "cheque", TODAY, "method"), (100, "card", TODAY + timedelta(days=1),
                                               "received_on")]:
        with pytest.raises(ValidationError) as refused:
            record_payment(account_id=account.pk, amount_pence=amount, method=method,
                           received_on=received_on, reference="", by=income, at=at)
        assert key in refused.value.error_dict
    assert not Transaction.objects.exists()
