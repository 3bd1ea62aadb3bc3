"""Each kind of user stays in its own part of the service; anonymous visitors sign in."""

import pytest
from django.utils.html import escape

pytestmark = pytest.mark.django_db

STAFF_PAGES = ["/properties/", "/tenancies/", "/rents/", "/repairs/", "/voids/",
               "/rtb-leasehold/", "/reports/", "/jobs/", "/search/?q=x"]


@pytest.mark.parametrize("path", [*STAFF_PAGES, "/portal/", "/contractor/", "/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_tenant_cannot_open_a_staff_page(client_for, tenant, path):
    response = client_for(tenant).get(path)
    assert response.status_code == 403
    assert "You do not have access" in response.content.decode() or response.status_code == 403


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_a_contractor_cannot_open_a_staff_page(client_for, contractor, path):
    assert client_for(contractor).get(path).status_code == 403


def test_a_contractor_cannot_open_the_tenant_portal(client_for, contractor):
    assert client_for(contractor).get("/portal/").status_code == 403


def test_a_tenant_cannot_open_the_contractor_portal(client_for, tenant):
    assert client_for(tenant).get("/contractor/").status_code == 403


@pytest.mark.parametrize("path", ["/portal/", "/contractor/"])
def test_staff_cannot_open_the_portals(client_for, team_leader, path):
    assert client_for(team_leader).get(path).status_code == 403


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_cannot_reach_the_admin(client_for, request, persona):
    response = client_for(request.getfixturevalue(persona)).get("/admin/")
    assert response.status_code == 403


def test_home_sends_each_kind_to_its_own_home(client_for, tenant, contractor, officer):
    assert client_for(tenant).get("/")["Location"] == "/portal/"
    assert client_for(contractor).get("/")["Location"] == "/contractor/"
    response = client_for(officer).get("/")
    assert response.status_code == 200
    assert "Housing Officer" in response.content.decode()


def test_portals_greet_their_own_users(client_for, tenant, contractor):
    page = client_for(tenant).get("/portal/").content.decode()
    assert escape(tenant.first_name) in page
    page = client_for(contractor).get("/contractor/").content.decode()
    assert escape(contractor.display_name) in page


def test_tenant_and_contractor_accounts_cannot_be_admin_users(db):
    from django.db import IntegrityError, transaction

    from housing.models import User

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user(email="t@example.test", kind=User.Kind.TENANT, is_staff=True)
