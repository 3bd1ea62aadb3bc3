"""Rent reports (rents.reports, rents.report_views): each report's figures on a small worked
example, worked out by hand; patch scoping by who started the job; the CSV; the checks on
dates; and who may run them."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from housing.models import BackgroundJob
from rents.models import Charge, ChargeType, RentAccount, RentWeek, Transaction
from rents.payments import record_payment
from rents.reports import BANDS, rate_percent
from rents.services import post_rent_run, post_transfer, rent_week_for, reverse_transaction
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 12:00:00"):
        yield


def _let(patch, address, *, rent=None, heating=None, start=date(2020, 1, 6), end=None):
    home = PropertyFactory(estate__patch=patch, address_line_1=address, postcode="EX1 1AA")
    for code, pence in (("rent", rent), ("heating", heating)):
        if pence:
            Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code=code),
                                  weekly_pence=pence, start_date=date(2026, 4, 6))
    tenancy = tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                       start_date=start, tenant_ids=[PersonFactory().pk],
                                       by=None, at=AT)
    if end:
        tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=end, reason="notice",
                                     by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


def _row(account, pence, on, kind="adjustment", **fields):
    return Transaction.objects.create(account=account, posted_on=on, kind=kind,
                                      amount_pence=pence, source="officer", created_at=AT,
                                      **fields)


def _fields(prefix, day):
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


def _run_report(client, kind, django_capture_on_commit_callbacks, **dates):
    data = {}
    for name, day in dates.items():
        data.update(_fields(name, day))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/rents/reports/{kind}/", data)
    job = BackgroundJob.objects.filter(kind=kind).order_by("-pk").first()
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    return job


def _csv(client, job) -> list[list[str]]:
    response = client.get(f"/rents/reports/jobs/{job.pk}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --- Rent roll -------------------------------------------------------------------------------


@pytest.fixture
def roll(north, south):
    """On 9 December 2026, in 2026/27 with two rent-free weeks (50 charged weeks):
    North: 1 North Road £100.00 rent + £10.00 heating, 2 North Road £80.00 rent (£85.00 from
    April 2027, not yet); South: 3 South Road £90.00 rent (cleaning ended 30 November).
    Not on the roll: a tenancy that ended in October and one that starts in January."""
    RentWeek.objects.filter(rent_year__label="2026/27", number__in=[38, 39]).update(
        rent_free=True)
    first = _let(north, "1 North Road", rent=10000, heating=1000)
    second = _let(north, "2 North Road", rent=8000)
    Charge.objects.filter(property=second.tenancy.property).update(end_date=date(2027, 4, 4))
    Charge.objects.create(property=second.tenancy.property, weekly_pence=8500,
                          charge_type=ChargeType.objects.get(code="rent"),
                          start_date=date(2027, 4, 5))
    third = _let(south, "3 South Road", rent=9000)
    Charge.objects.create(property=third.tenancy.property, weekly_pence=385,
                          charge_type=ChargeType.objects.get(code="cleaning"),
                          start_date=date(2026, 4, 6), end_date=date(2026, 11, 30))
    _let(north, "4 North Road", rent=7000, end=date(2026, 10, 31))
    _let(north, "5 North Road", rent=7000, start=date(2027, 1, 4))
    return first, second, third


def test_rent_roll(client_for, team_leader, roll, django_capture_on_commit_callbacks):
    first, second, third = roll
    client = client_for(team_leader)
    job = _run_report(client, "rent_roll", django_capture_on_commit_callbacks,
                      on=date(2026, 12, 9))
    data = job.result_data
    assert (data["year"], data["charged_weeks"], data["week_count"]) == ("2026/27", 50, 52)
    assert data["types"] == ["Net rent", "Heating"]
    assert data["patches"] == [
        {"patch": "North", "tenancies": 2, "elements": [18000, 1000], "weekly": 19000,
         "annual": 950000},
        {"patch": "South", "tenancies": 1, "elements": [9000, 0], "weekly": 9000,
         "annual": 450000},
    ]
    assert data["total"] == {"patch": "All patches", "tenancies": 3, "elements": [27000, 1000],
                             "weekly": 28000, "annual": 1400000}
    assert job.result_summary == ("Rent roll on 9 December 2026: 3 tenancies, £280.00 a week, "
                                  "£14,000.00 a year (50 charged weeks in 2026/27).")
    assert _csv(client, job) == [
        ["Tenancy reference", "Address", "Postcode", "Patch", "Net rent (£ a week)",
         "Heating (£ a week)", "Weekly total (£)", "Charged weeks", "Annual rent (£)"],
        [first.tenancy.reference, "1 North Road", "EX1 1AA", "North", "100.00", "10.00",
         "110.00", "50", "5500.00"],
        [second.tenancy.reference, "2 North Road", "EX1 1AA", "North", "80.00", "0.00",
         "80.00", "50", "4000.00"],
        [third.tenancy.reference, "3 South Road", "EX1 1AA", "South", "90.00", "0.00",
         "90.00", "50", "4500.00"],
    ]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Rent roll ready" in page and "£14,000.00" in page and "£9,500.00" in page
    assert f'href="/rents/reports/jobs/{job.pk}/csv/"' in page
    assert "the 50 charged weeks of 2026/27 (it has 52 rent weeks, the others rent-free)" in page


def test_rent_roll_of_an_officer_covers_their_patch(client_for, income_officer, roll,
                                                   django_capture_on_commit_callbacks):
    client = client_for(income_officer)
    job = _run_report(client, "rent_roll", django_capture_on_commit_callbacks,
                      on=date(2026, 12, 9))
    assert [line["patch"] for line in job.result_data["patches"]] == ["North"]
    assert job.result_data["total"]["tenancies"] == 2
    assert job.result_data["total"]["annual"] == 950000
    assert {row[3] for row in _csv(client, job)[1:]} == {"North"}


# --- Collection rate ------------------------------------------------------------------------


@pytest.fixture
def collection(north, south, income_officer):
    """Charges for the weeks of 23 and 30 November; the period is 30 November to 6 December.
    North collected: payment 100.00 + Housing Benefit 20.00 + payment 80.00 - that payment
    returned 80.00 = 120.00; debited: 110.00 + 80.00 - the heating of 23 November reversed
    10.00 = 180.00; rate 66.7%. South: 45.00 of 90.00, 50.0%. All: 165.00 of 270.00, 61.1%.
    Not counted: payments on 28 and 29 November (the first puts 1 North Road in credit, so it
    has money to move), a suspense payment, a transfer between accounts."""
    first = _let(north, "1 North Road", rent=10000, heating=1000)
    second = _let(north, "2 North Road", rent=8000)
    third = _let(south, "3 South Road", rent=9000)
    for monday in (date(2026, 11, 23), date(2026, 11, 30)):
        post_rent_run(week=rent_week_for(on=monday), by=None, at=AT)
    at = datetime(2026, 12, 9, 9, 0, tzinfo=UTC)

    def pay(account, pence, on):
        return record_payment(account_id=account.pk, amount_pence=pence, method="card",
                              received_on=on, reference="", by=income_officer, at=at)

    pay(first, 10000, date(2026, 11, 28))
    pay(first, 10000, date(2026, 12, 2))
    Transaction.objects.create(account=first, posted_on=date(2026, 12, 4), kind="benefit",
                               amount_pence=-2000, source="benefit_file", created_at=at)
    returned = pay(second, 8000, date(2026, 12, 1))
    reverse_transaction(transaction_id=returned.pk, reason="Direct Debit returned",
                        by=income_officer, at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    heating = Transaction.objects.get(account=first, charge_type__code="heating",
                                      posted_on=date(2026, 11, 23))
    reverse_transaction(transaction_id=heating.pk, reason="No heating that week",
                        by=income_officer, at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    pay(third, 4500, date(2026, 12, 5))
    pay(third, 1000, date(2026, 11, 29))
    suspense = RentAccount.objects.create(kind="suspense", payment_reference="SUSPENSE",
                                          opened_on=date(2024, 4, 1))
    Transaction.objects.create(account=suspense, posted_on=date(2026, 12, 2), kind="payment",
                               method="allpay", amount_pence=-5000, source="payment_file",
                               created_at=at)
    post_transfer(from_account_id=first.pk, to_account_id=third.pk, amount_pence=500,
                  reason="Paid to the wrong account", by=income_officer,
                  at=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))


def test_collection_rate(client_for, team_leader, collection,
                         django_capture_on_commit_callbacks):
    client = client_for(team_leader)
    job = _run_report(client, "collection_rate", django_capture_on_commit_callbacks,
                      start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert job.result_data["patches"] == [
        {"patch": "North", "collected": 12000, "debited": 18000, "rate": "66.7"},
        {"patch": "South", "collected": 4500, "debited": 9000, "rate": "50.0"},
    ]
    assert job.result_data["total"] == {"patch": "All patches", "collected": 16500,
                                        "debited": 27000, "rate": "61.1"}
    assert job.result_summary == ("Collection rate from 30 November 2026 to 6 December 2026: "
                                  "61.1% (£165.00 collected of £270.00 debited).")
    assert _csv(client, job) == [
        ["Patch", "Collected (£)", "Debited (£)", "Collection rate (%)"],
        ["North", "120.00", "180.00", "66.7"],
        ["South", "45.00", "90.00", "50.0"],
        ["All patches", "165.00", "270.00", "61.1"],
    ]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "66.7%" in page and "61.1%" in page and "less any of them reversed" in page


def test_collection_rate_of_an_officer_covers_their_patch(client_for, income_officer,
                                                         collection,
                                                         django_capture_on_commit_callbacks):
    job = _run_report(client_for(income_officer), "collection_rate",
                      django_capture_on_commit_callbacks,
                      start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert [line["patch"] for line in job.result_data["patches"]] == ["North"]
    assert job.result_data["total"]["rate"] == "66.7"


def test_a_period_with_nothing_debited_has_no_rate(client_for, team_leader, north,
                                                  django_capture_on_commit_callbacks):
    _let(north, "1 North Road", rent=10000)
    job = _run_report(client_for(team_leader), "collection_rate",
                      django_capture_on_commit_callbacks,
                      start=date(2026, 12, 1), end=date(2026, 12, 6))
    assert job.result_data["patches"] == []
    assert job.result_data["total"] == {"patch": "All patches", "collected": 0, "debited": 0,
                                        "rate": None}
    assert "not applicable (nothing debited)" in job.result_summary


@pytest.mark.parametrize(("collected", "debited", "rate"), [
    (1, 3, "33.3"), (2, 3, "66.7"), (1, 8, "12.5"), (1, 16, "6.3"), (1, 32, "3.1"),
    (0, 100, "0.0"), (100, 100, "100.0"), (120, 100, "120.0"), (999, 1000, "99.9"),
    (9995, 10000, "100.0"), (5, 0, None), (5, -10, None),
])
def test_the_rate_is_rounded_once_to_one_decimal_place_halves_up(collected, debited, rate):
    assert rate_percent(collected, debited) == rate


# --- Arrears by band and accounts in credit -------------------------------------------------


@pytest.fixture
def balances(north, south):
    """Balances at the end of 6 December 2026, on the band edges:
    North: 0.01, 99.99 (band 1); 100.00, 249.99 (band 2, the second an ended tenancy);
           -5.00 (credit); 0.00 (clear).
    South: 250.00 (band 3); 999.99 (band 4); 1,000.00 and 1,500.00 (band 5; the last falls to
           100.00 on 7 December, after the date); -120.00 (credit, an ended tenancy)."""
    accounts = {}
    for patch, address, rows, end in [
            (north, "1 North Road", [1], None), (north, "2 North Road", [9999], None),
            (north, "3 North Road", [10000], None),
            (north, "4 North Road", [24999], date(2026, 10, 31)),
            (north, "5 North Road", [-500], None), (north, "6 North Road", [1000, -1000], None),
            (south, "1 South Road", [25000], None), (south, "2 South Road", [99999], None),
            (south, "3 South Road", [100000], None), (south, "4 South Road", [150000], None),
            (south, "5 South Road", [-12000], date(2026, 9, 30))]:
        account = _let(patch, address, end=end)
        for pence in rows:
            _row(account, pence, date(2026, 12, 1))
        accounts[address] = account
    _row(accounts["4 South Road"], -140000, date(2026, 12, 7))
    return accounts


def test_arrears_by_band(client_for, team_leader, balances,
                         django_capture_on_commit_callbacks):
    client = client_for(team_leader)
    job = _run_report(client, "arrears_bands", django_capture_on_commit_callbacks,
                      on=date(2026, 12, 6))
    data = job.result_data
    labels = [label for _low, _high, label in BANDS]
    assert labels == ["£0.01 to £99.99", "£100 to £249.99", "£250 to £499.99",
                      "£500 to £999.99", "£1,000 or more"]

    def bands(*figures):
        return [{"band": label, "accounts": n, "pence": pence}
                for label, (n, pence) in zip(labels, figures, strict=True)]

    assert data["overall"] == {"bands": bands((2, 10000), (2, 34999), (1, 25000), (1, 99999),
                                              (2, 250000)),
                               "accounts": 8, "pence": 419998}
    assert data["patches"] == [
        {"patch": "North", "bands": bands((2, 10000), (2, 34999), (0, 0), (0, 0), (0, 0)),
         "accounts": 4, "pence": 44999},
        {"patch": "South", "bands": bands((0, 0), (0, 0), (1, 25000), (1, 99999), (2, 250000)),
         "accounts": 4, "pence": 374999},
    ]
    assert job.result_summary == "Arrears at the end of 6 December 2026: 8 accounts owe £4,199.98."
    rows = _csv(client, job)
    assert rows[0] == ["Account reference", "Tenancy reference", "Address", "Postcode", "Patch",
                       "Tenancy", "Balance owed (£)", "Band"]
    assert [(row[2], row[5], row[6], row[7]) for row in rows[1:]] == [
        ("4 North Road", "Ended", "249.99", "£100 to £249.99"),
        ("3 North Road", "Current", "100.00", "£100 to £249.99"),
        ("2 North Road", "Current", "99.99", "£0.01 to £99.99"),
        ("1 North Road", "Current", "0.01", "£0.01 to £99.99"),
        ("4 South Road", "Current", "1500.00", "£1,000 or more"),
        ("3 South Road", "Current", "1000.00", "£1,000 or more"),
        ("2 South Road", "Current", "999.99", "£500 to £999.99"),
        ("1 South Road", "Current", "250.00", "£250 to £499.99"),
    ]
    assert rows[1][0] == balances["4 North Road"].payment_reference
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "£4,199.98" in page and "£1,000 or more" in page and "By patch" in page


def test_arrears_of_an_officer_cover_their_patch(client_for, income_officer, balances,
                                                django_capture_on_commit_callbacks):
    client = client_for(income_officer)
    job = _run_report(client, "arrears_bands", django_capture_on_commit_callbacks,
                      on=date(2026, 12, 6))
    assert (job.result_data["overall"]["accounts"], job.result_data["overall"]["pence"]) == (
        4, 44999)
    assert [patch["patch"] for patch in job.result_data["patches"]] == ["North"]
    assert {row[4] for row in _csv(client, job)[1:]} == {"North"}


def test_accounts_in_credit(client_for, team_leader, income_officer, balances,
                            django_capture_on_commit_callbacks):
    client = client_for(team_leader)
    job = _run_report(client, "accounts_in_credit", django_capture_on_commit_callbacks,
                      on=date(2026, 12, 6))
    data = job.result_data
    assert data["patches"] == [{"patch": "North", "accounts": 1, "pence": 500},
                               {"patch": "South", "accounts": 1, "pence": 12000}]
    assert data["total"] == {"patch": "All patches", "accounts": 2, "pence": 12500}
    assert [(row["address"], row["ended"], row["pence"]) for row in data["largest"]] == [
        ("5 South Road, EX1 1AA", True, 12000), ("5 North Road, EX1 1AA", False, 500)]
    assert job.result_summary == ("At the end of 6 December 2026, 2 accounts are in credit by "
                                  "£125.00 in all.")
    assert [row[2:] for row in _csv(client, job)] == [
        ["Address", "Postcode", "Patch", "Tenancy", "Credit (£)"],
        ["5 South Road", "EX1 1AA", "South", "Ended", "120.00"],
        ["5 North Road", "EX1 1AA", "North", "Current", "5.00"],
    ]
    own = _run_report(client_for(income_officer), "accounts_in_credit",
                      django_capture_on_commit_callbacks, on=date(2026, 12, 6))
    assert own.result_data["total"] == {"patch": "All patches", "accounts": 1, "pence": 500}


# --- Suspense items --------------------------------------------------------------------------


@pytest.fixture
def suspense_items(north, income_officer):
    """Three payments came to suspense; one has been allocated. Another account's payment is
    not a suspense item."""
    suspense = RentAccount.objects.create(kind="suspense", payment_reference="SUSPENSE",
                                          opened_on=date(2024, 4, 1))
    account = _let(north, "1 North Road")
    for on, kind, method, pence, reference in [
            (date(2026, 11, 20), "payment", "allpay", -2500, "Allpay 99999"),
            (date(2026, 12, 1), "benefit", "", -4000, '=HYPERLINK("http://x")'),
            (date(2026, 12, 2), "payment", "card", -1000, "T9999999")]:
        Transaction.objects.create(account=suspense, posted_on=on, kind=kind, method=method,
                                   amount_pence=pence, reference=reference,
                                   source="payment_file", created_at=AT)
    allocated = Transaction.objects.get(reference="T9999999")
    post_transfer(from_account_id=suspense.pk, to_account_id=account.pk, amount_pence=1000,
                  reason="Found the tenant", by=income_officer, allocates_id=allocated.pk,
                  at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    _row(account, -700, date(2026, 12, 2), kind="payment", method="cash")


@pytest.mark.parametrize("persona", ["team_leader", "income_officer"])
def test_suspense_items(client_for, request, persona, suspense_items,
                        django_capture_on_commit_callbacks):
    client = client_for(request.getfixturevalue(persona))
    job = _run_report(client, "suspense_items", django_capture_on_commit_callbacks)
    data = job.result_data
    assert (data["count"], data["pence"]) == (2, 6500)
    assert [(item["received_on"], item["days"], item["kind"], item["method"], item["pence"])
            for item in data["items"]] == [
        ("2026-11-20", 19, "Payment", "Allpay / PayPoint / Post Office", 2500),
        ("2026-12-01", 8, "Housing Benefit", "", 4000)]
    assert job.result_summary == "2 payments in suspense, £65.00 in all."
    assert _csv(client, job) == [
        ["Received on", "Days in suspense", "Kind", "Method", "Amount (£)", "Reference",
         "Payment file"],
        ["2026-11-20", "19", "Payment", "Allpay / PayPoint / Post Office", "25.00",
         "Allpay 99999", ""],
        # A reference a spreadsheet would run as a formula is written as text.
        ["2026-12-01", "8", "Housing Benefit", "", "40.00", "'=HYPERLINK(\"http://x\")", ""],
    ]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Allpay 99999" in page and "£65.00" in page


def test_suspense_items_are_not_shown_to_patch_officers_who_do_not_allocate_them(
        client_for, officer, suspense_items, django_capture_on_commit_callbacks):
    client = client_for(officer)
    job = _run_report(client, "suspense_items", django_capture_on_commit_callbacks)
    assert job.result_data["hidden"] is True
    assert _csv(client, job) == [["Received on", "Days in suspense", "Kind", "Method",
                                  "Amount (£)", "Reference", "Payment file"]]
    assert "shown only to those who see every patch" in client.get(
        f"/jobs/{job.pk}/").content.decode()


# --- Dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "fields", "anchor", "message"), [
    ("rent_roll", {"on": date(2035, 6, 1)}, "on_day",
     "The rent year for that date has not been set up."),
    ("arrears_bands", {"on": date(2026, 12, 10)}, "on_day",
     "The date must be today or in the past."),
    ("accounts_in_credit", {"on": date(2026, 12, 10)}, "on_day",
     "The date must be today or in the past."),
    ("collection_rate", {"start": date(2026, 12, 6), "end": date(2026, 11, 30)}, "end_day",
     "The end date must be the same as or after the start date."),
    ("collection_rate", {"start": date(2026, 11, 30), "end": date(2026, 12, 10)}, "end_day",
     "The end date must be today or in the past."),
])
def test_dates_a_report_cannot_use_are_refused(client_for, income_officer, kind, fields,
                                               anchor, message):
    data = {}
    for name, day in fields.items():
        data.update(_fields(name, day))
    response = client_for(income_officer).post(f"/rents/reports/{kind}/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and f'<a href="#{anchor}">{message}' in page
    assert not BackgroundJob.objects.exists()


def test_a_date_that_is_not_real_is_refused(client_for, income_officer):
    response = client_for(income_officer).post("/rents/reports/arrears_bands/", {
        "on_day": "31", "on_month": "2", "on_year": "2026"})
    page = response.content.decode()
    assert '<a href="#on_day">The date of the balances must be a real date.</a>' in page
    assert 'value="31"' in page
    assert not BackgroundJob.objects.exists()


def test_the_forms_start_with_useful_dates(client_for, income_officer):
    client = client_for(income_officer)
    page = client.get("/rents/reports/collection_rate/").content.decode()
    assert 'id="start_month" name="start_month" type="text" inputmode="numeric" ' \
           'autocomplete="off" value="4"' in page
    assert 'id="end_day" name="end_day" type="text" inputmode="numeric" autocomplete="off" ' \
           'value="9"' in page
    page = client.get("/rents/reports/suspense_items/").content.decode()
    assert "Run the report" in page and "govuk-date-input" not in page


# --- Who may run them ------------------------------------------------------------------------


REPORT_PAGES = ["/rents/reports/", "/rents/reports/rent_roll/",
                "/rents/reports/collection_rate/", "/rents/reports/arrears_bands/",
                "/rents/reports/suspense_items/", "/rents/reports/accounts_in_credit/"]


@pytest.mark.parametrize("persona", ["income_officer", "officer", "team_leader",
                                     "administrator"])
def test_roles_with_reports_and_rent_accounts_run_them(client_for, request, persona,
                                                      django_capture_on_commit_callbacks):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for path in REPORT_PAGES:
        assert client.get(path).status_code == 200, path
    if user.has_perm("housing.use_rents"):  # a Housing Officer has no Rents page
        assert 'href="/rents/reports/"' in client.get("/rents/").content.decode()
    job = _run_report(client, "arrears_bands", django_capture_on_commit_callbacks,
                      on=date(2026, 12, 9))
    assert job.started_by == user
    index = client.get("/rents/reports/").content.decode()
    assert f'href="/jobs/{job.pk}/"' in index and f'href="/rents/reports/jobs/{job.pk}/csv/"' \
        in index


@pytest.mark.parametrize("persona", ["customer_access", "council_tax", "repairs_officer",
                                     "no_access"])
def test_other_roles_are_refused(client_for, request, persona, team_leader,
                                 django_capture_on_commit_callbacks):
    job = _run_report(client_for(team_leader), "suspense_items",
                      django_capture_on_commit_callbacks)
    client = client_for(request.getfixturevalue(persona))
    for path in REPORT_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/rents/reports/rent_roll/", _fields("on", date(2026, 12, 9))) \
        .status_code == 403
    assert client.get(f"/rents/reports/jobs/{job.pk}/csv/").status_code == 403
    assert BackgroundJob.objects.count() == 1
    rents_page = client.get("/rents/")
    assert rents_page.status_code == 403 or 'href="/rents/reports/"' not in \
        rents_page.content.decode()


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_refused(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    for path in [*REPORT_PAGES, "/rents/reports/jobs/1/csv/"]:
        assert client.get(path).status_code == 403, path
    assert client.post("/rents/reports/rent_roll/", _fields("on", date(2026, 12, 9))) \
        .status_code == 403
    assert not BackgroundJob.objects.exists()


def test_anonymous_visitors_sign_in_first(client):
    for path in [*REPORT_PAGES, "/rents/reports/jobs/1/csv/"]:
        assert client.get(path)["Location"].startswith("/accounts/login/"), path
    response = client.post("/rents/reports/rent_roll/", _fields("on", date(2026, 12, 9)))
    assert response["Location"].startswith("/accounts/login/")
    assert not BackgroundJob.objects.exists()


def test_an_unknown_report_is_404(client_for, income_officer):
    assert client_for(income_officer).get("/rents/reports/everything/").status_code == 404


def test_a_report_csv_is_for_its_starter_and_those_who_see_every_job(
        client_for, income_officer, officer, team_leader, django_capture_on_commit_callbacks):
    job = _run_report(client_for(officer), "suspense_items", django_capture_on_commit_callbacks)
    assert client_for(officer).get(f"/rents/reports/jobs/{job.pk}/csv/").status_code == 200
    assert client_for(income_officer).get(f"/rents/reports/jobs/{job.pk}/csv/").status_code \
        == 404
    assert client_for(team_leader).get(f"/rents/reports/jobs/{job.pk}/csv/").status_code == 200
    other = BackgroundJob.objects.create(kind="sample", started_by=officer,
                                         created_at=AT, status="succeeded")
    assert client_for(officer).get(f"/rents/reports/jobs/{other.pk}/csv/").status_code == 404


def test_the_reports_page_reads_a_fixed_number_of_queries(client_for, income_officer,
                                                         django_capture_on_commit_callbacks):
    client = client_for(income_officer)
    counts = []
    for _ in range(3):
        _run_report(client, "suspense_items", django_capture_on_commit_callbacks)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/rents/reports/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]


def test_pounds_in_the_csv_are_exact():
    from rents.reports import pounds

    assert [pounds(p) for p in (0, 1, 99, 100, 123456, -1250)] == [
        Decimal("0.00"), Decimal("0.01"), Decimal("0.99"), Decimal("1.00"),
        Decimal("1234.56"), Decimal("-12.50")]
    assert [str(pounds(p)) for p in (0, 1, 123456)] == ["0.00", "0.01", "1234.56"]
