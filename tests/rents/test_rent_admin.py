"""The rents admin: rent policies keep percentages and pounds apart (and to the penny), rent
years' weeks, and the ledger and service records that cannot be changed or deleted there."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils.html import escape

from rents.admin import RentPolicyForm
from rents.models import (
    Charge,
    ChargeType,
    RentAccount,
    RentPolicy,
    RentReview,
    RentWeek,
    RentYear,
    Transaction,
)
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TWO_PLACES = "Ensure that there are no more than 2 decimal places."


@pytest.fixture
def admin_client(client_for, administrator):
    return client_for(administrator)


@pytest.fixture
def year():
    return RentYear.objects.get(label="2027/28")


def _policy_data(year, **changes):
    return {"rent_year": year.pk, "cpi_percent": "3.00", "limit_margin_percent": "1.00",
            "convergence_pounds": "1.00", "outlier_pounds": "5.00", **changes}


@pytest.mark.parametrize(("field", "value", "error"), [
    ("cpi_percent", "2.705", TWO_PLACES),
    ("limit_margin_percent", "1.005", TWO_PLACES),
    ("convergence_pounds", "1.005", TWO_PLACES),
    ("outlier_pounds", "5.001", TWO_PLACES),
    ("cpi_percent", "", "This field is required."),
    ("cpi_percent", "270", "Ensure this value is less than or equal to 50."),
    ("convergence_pounds", "-1", "Ensure this value is greater than or equal to 0."),
    ("convergence_pounds", "270", "Ensure this value is less than or equal to 20."),
    ("convergence_pounds", "£1", "Enter a number."),
])
def test_the_policy_form_refuses_what_is_not_to_the_penny_or_plausible(year, field, value,
                                                                       error):
    form = RentPolicyForm(data=_policy_data(year, **{field: value}))
    assert not form.is_valid()
    assert form.errors[field] == [error]


@pytest.mark.parametrize(("cpi", "convergence", "outlier", "saved"), [
    ("2.7", "1", "5", (Decimal("2.70"), 100, 500)),
    ("3.80", "0.00", "4.99", (Decimal("3.80"), 0, 499)),
    ("-1.5", "2.00", "10", (Decimal("-1.50"), 200, 1000)),
])
def test_pounds_are_kept_as_pence_and_percentages_as_percentages(year, cpi, convergence,
                                                                  outlier, saved):
    form = RentPolicyForm(data=_policy_data(year, cpi_percent=cpi,
                                            convergence_pounds=convergence,
                                            outlier_pounds=outlier))
    assert form.is_valid(), form.errors
    policy = form.save()
    policy.refresh_from_db()
    assert (policy.cpi_percent, policy.convergence_pence, policy.outlier_change_pence) == saved


def test_the_policy_page_labels_percentages_and_pounds(admin_client, year):
    page = admin_client.get("/admin/rents/rentpolicy/add/").content.decode()
    for text in ["CPI of the previous September, as a percentage (%)",
                 "Added to CPI for the limit, as a percentage (%)",
                 "Convergence uplift, in pounds a week (£)",
                 "Flag a change over, in pounds a week (£)",
                 "A percentage, not pounds", "Pounds a week, not a percentage",
                 "<strong>%</strong>", "<strong>£</strong>"]:
        assert escape(text) in page or text in page, text


def test_the_admin_saves_a_policy_and_refuses_three_decimal_places(admin_client, year):
    response = admin_client.post("/admin/rents/rentpolicy/add/",
                                 _policy_data(year, cpi_percent="2.705"))
    assert response.status_code == 200
    assert TWO_PLACES in response.content.decode()
    assert not RentPolicy.objects.exists()
    response = admin_client.post("/admin/rents/rentpolicy/add/",
                                 _policy_data(year, cpi_percent="2.70",
                                              convergence_pounds="1.00"))
    assert response.status_code == 302
    policy = RentPolicy.objects.get()
    assert (policy.cpi_percent, policy.convergence_pence) == (Decimal("2.70"), 100)
    page = admin_client.get("/admin/rents/rentpolicy/").content.decode()
    assert "2.70%" in page and "£1.00 a week" in page


def test_a_policy_with_a_review_waiting_cannot_be_changed(admin_client, year, team_leader):
    policy = RentPolicy.objects.create(rent_year=year, cpi_percent=3, convergence_pence=100)
    RentReview.objects.create(rent_year=year, proposed_by=team_leader, proposed_at=AT,
                              status=RentReview.Status.PROPOSED)
    path = f"/admin/rents/rentpolicy/{policy.pk}/change/"
    assert admin_client.post(path, _policy_data(year, cpi_percent="9")).status_code == 403
    assert admin_client.post(f"/admin/rents/rentpolicy/{policy.pk}/delete/",
                             {"post": "yes"}).status_code == 403
    policy.refresh_from_db()
    assert policy.cpi_percent == 3


def test_a_rent_years_weeks_mark_rent_free_and_keep_their_dates(admin_client):
    year = RentYear.objects.get(label="2026/27")
    weeks = list(year.weeks.order_by("number"))
    data = {"weeks-TOTAL_FORMS": len(weeks), "weeks-INITIAL_FORMS": len(weeks),
            "weeks-MIN_NUM_FORMS": 0, "weeks-MAX_NUM_FORMS": 1000}
    for index, week in enumerate(weeks):
        data[f"weeks-{index}-id"] = week.pk
        data[f"weeks-{index}-rent_year"] = year.pk
        if week.number in (38, 39):  # Christmas and New Year
            data[f"weeks-{index}-rent_free"] = "on"
        # A date typed in is ignored: it is read-only once saved.
        data[f"weeks-{index}-start_date"] = "2030-01-07"
    response = admin_client.post(f"/admin/rents/rentyear/{year.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    free = list(year.weeks.filter(rent_free=True).values_list("number", "start_date"))
    assert free == [(38, date(2026, 12, 21)), (39, date(2026, 12, 28))]


def test_a_new_rent_year_gets_its_mondays(admin_client):
    data = {"label": "2032/33", "start_date": "2032-04-01", "end_date": "2033-03-31",
            "weeks-TOTAL_FORMS": 0, "weeks-INITIAL_FORMS": 0, "weeks-MIN_NUM_FORMS": 0,
            "weeks-MAX_NUM_FORMS": 1000}
    response = admin_client.post("/admin/rents/rentyear/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    weeks = RentWeek.objects.filter(rent_year__label="2032/33").order_by("number")
    assert weeks.count() == 52
    assert weeks.first().start_date == date(2032, 4, 5)


def test_a_rent_year_must_run_from_1_april_to_31_march(admin_client):
    data = {"label": "2032/33", "start_date": "2032-04-05", "end_date": "2033-03-31",
            "weeks-TOTAL_FORMS": 0, "weeks-INITIAL_FORMS": 0, "weeks-MIN_NUM_FORMS": 0,
            "weeks-MAX_NUM_FORMS": 1000}
    response = admin_client.post("/admin/rents/rentyear/add/", data)
    assert response.status_code == 200
    assert "A rent year runs from 1 April to 31 March" in response.content.decode()
    assert not RentYear.objects.filter(label="2032/33").exists()


@pytest.fixture
def ledger_row(north):
    home = PropertyFactory(estate__patch=north)
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=10000, start_date=date(2026, 4, 6))
    tenancy = tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                       start_date=date(2021, 5, 3),
                                       tenant_ids=[PersonFactory().pk], by=None, at=AT)
    account = RentAccount.objects.get(tenancy=tenancy)
    return Transaction.objects.create(account=account, posted_on=date(2026, 11, 30),
                                      kind="charge", amount_pence=10000, source="officer",
                                      created_at=AT)


def test_the_ledger_admin_cannot_add_change_or_delete(admin_client, ledger_row):
    base = "/admin/rents/transaction/"
    changelist = admin_client.get(base).content.decode()
    assert "£100.00" in changelist
    assert f"{base}add/" not in changelist
    page = admin_client.get(f"{base}{ledger_row.pk}/change/")
    assert page.status_code == 200  # to read
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.post(f"{base}{ledger_row.pk}/change/",
                             {"amount_pence": 1}).status_code == 403
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}{ledger_row.pk}/delete/", {"post": "yes"}).status_code == 403
    ledger_row.refresh_from_db()
    assert ledger_row.amount_pence == 10000


@pytest.mark.parametrize("model", ["rentaccount", "transaction", "paymentfile", "transfer",
                                   "writeoff", "rentreview"])
def test_service_records_are_read_only_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/rents/{model}/").status_code == 200
    assert admin_client.get(f"/admin/rents/{model}/add/").status_code == 403


@pytest.mark.parametrize("model", ["rentyear", "chargetype", "charge", "rentpolicy",
                                   "formularent"])
def test_configuration_is_edited_in_the_admin(admin_client, model):
    assert admin_client.get(f"/admin/rents/{model}/").status_code == 200
    assert admin_client.get(f"/admin/rents/{model}/add/").status_code == 200


def test_staff_without_admin_access_cannot_reach_it(client_for, income_officer):
    assert client_for(income_officer).get("/admin/rents/rentpolicy/").status_code == 302
