"""The roles created by migration, what each may open, and the read-only Council Tax role."""

import pytest
from django.contrib.auth.models import Group

from housing import roles

pytestmark = pytest.mark.django_db

MODULE_PAGES = {
    "Properties": "/properties/", "Tenancies": "/tenancies/", "Rents": "/rents/",
    "Repairs": "/repairs/", "Voids": "/voids/", "RTB & Leasehold": "/rtb-leasehold/",
    "Reports": "/reports/",
}

# What each role's navigation shows (DOMAIN.md "Staff roles").
EXPECTED_NAVIGATION = {
    "customer_access": ["Properties", "Tenancies", "Rents", "Repairs"],
    "officer": ["Properties", "Tenancies", "Reports"],
    "income_officer": ["Tenancies", "Rents", "Reports"],
    "repairs_officer": ["Properties", "Repairs", "Voids", "Reports"],
    "lettings_officer": ["Properties", "Tenancies", "Voids"],
    "leasehold_officer": ["Properties", "RTB & Leasehold"],
    "council_tax": ["Properties", "Voids"],
    "team_leader": list(MODULE_PAGES),
    "administrator": [*MODULE_PAGES, "Admin"],
    "no_access": [],
}


def test_every_role_is_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ROLE_PERMISSIONS)


@pytest.mark.parametrize(("persona", "expected"), EXPECTED_NAVIGATION.items())
def test_navigation_shows_only_what_the_role_may_use(request, client_for, persona, expected):
    user = request.getfixturevalue(persona)
    response = client_for(user).get("/")
    labels = [item["label"] for item in response.context["nav_items"]]
    assert labels == expected
    for label, path in MODULE_PAGES.items():
        # follow: Council Tax's Voids page is its occupancy changes, one redirect on
        status = client_for(user).get(path, follow=True).status_code
        assert status == (200 if label in expected else 403), (label, status)


def test_council_tax_holds_no_permission_to_change_anything():
    group = Group.objects.get(name=roles.COUNCIL_TAX)
    writes = group.permissions.filter(codename__regex=r"^(add|change|delete)_")
    assert list(writes) == []


def test_council_tax_cannot_start_a_job_or_use_the_admin(client_for, council_tax):
    client = client_for(council_tax)
    assert client.post("/jobs/sample/new/", {"steps": 3, "delay": 0}).status_code == 403
    assert client.get("/admin/").status_code == 302  # not admin staff: sent to sign in
    from housing.models import BackgroundJob

    assert BackgroundJob.objects.count() == 0


@pytest.mark.parametrize("persona", ["officer", "income_officer", "team_leader"])
def test_the_reports_page_links_to_the_rent_reports(request, client_for, persona):
    client = client_for(request.getfixturevalue(persona))
    assert 'href="/rents/reports/"' in client.get("/reports/").content.decode()
    assert client.get("/rents/reports/").status_code == 200
