"""The Rents page and starting a rent run from it, and the scheduled run."""

from datetime import UTC, date, datetime

import pytest

from housing.models import BackgroundJob
from rents.models import Charge, ChargeType, RentWeek, Transaction
from rents.tasks import scheduled_rent_run
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


@pytest.fixture
def let_home(north):
    home = PropertyFactory(estate__patch=north)
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=10450, start_date=date(2026, 4, 6))
    return tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                    start_date=date(2021, 5, 3), tenant_ids=[PersonFactory().pk],
                                    by=None, at=AT)


def test_income_officer_runs_the_rent_and_sees_the_summary(client_for, income_officer, let_home,
                                                          django_capture_on_commit_callbacks):
    week = RentWeek.objects.get(start_date=date(2026, 11, 30))
    client = client_for(income_officer)
    rents_page = client.get("/rents/").content.decode()
    assert "Run the rent for a week" in rents_page
    assert "<title>Rents – " in rents_page and "Payment files</a>" in rents_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/rents/run/", {"week": week.pk})
    job = BackgroundJob.objects.get(kind="rent_run")
    assert response["Location"] == f"/jobs/{job.pk}/"
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Rent run finished" in page and "£104.50" in page and "Net rent" in page
    assert Transaction.objects.get().amount_pence == 10450


def test_a_week_that_does_not_exist_is_refused(client_for, income_officer):
    response = client_for(income_officer).post("/rents/run/", {"week": 999999})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not BackgroundJob.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "customer_access", "council_tax"])
def test_roles_without_the_permission_cannot_run_the_rent(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/rents/run/").status_code == 403
    assert client.post("/rents/run/", {"week": 1}).status_code == 403
    assert not BackgroundJob.objects.exists()


def test_tenants_and_anonymous_visitors_are_refused(client_for, tenant):
    assert client_for(tenant).get("/rents/run/").status_code == 403
    assert client_for(None).get("/rents/run/")["Location"].startswith("/accounts/login/")


def test_the_scheduled_run_charges_this_week_once(let_home, django_capture_on_commit_callbacks):
    from freezegun import freeze_time

    with freeze_time("2026-11-30 02:30:00"), django_capture_on_commit_callbacks(execute=True):
        scheduled_rent_run()
        scheduled_rent_run()
    assert BackgroundJob.objects.filter(kind="rent_run").count() == 2
    assert Transaction.objects.filter(kind="charge").count() == 1
