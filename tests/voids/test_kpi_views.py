"""The void KPI page and its drill-downs (voids.kpi_views): who may see them, the figures the
page shows and that each drill-down adds up to them, the period form's errors, the CSV
downloads, patch scoping, pagination and fixed query counts.

Every home here is charged £105.00 a week, £15.00 a day (10500 is divisible by 7), so each
void loses £15.00 for each of its days in the period and the rent roll is £15.00 a home a day.
"""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from tests.voids.test_kpis import charged_home, let_void, open_void
from voids import kpis
from voids.models import Stage, VoidPeriod

pytestmark = pytest.mark.django_db

PERIOD = "start_day=1&start_month=4&start_year=2026&end_day=9&end_month=12&end_year=2026"
PAGES = ["/voids/kpis/", "/voids/kpis/voids/", "/voids/kpis/lettings/",
         "/voids/kpis/rent-loss/"]
CSVS = ["/voids/kpis/voids/?format=csv", "/voids/kpis/lettings/?format=csv",
        "/voids/kpis/rent-loss/?format=csv"]
ALLOWED = ["lettings_officer", "repairs_officer", "team_leader"]
REFUSED = ["council_tax", "officer", "income_officer", "no_access", "tenant", "contractor"]


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 10:15:00"):  # Wednesday 9 December 2026
        yield


@pytest.fixture
def council(north, south):
    """The reporting year so far (1 April to 9 December 2026, 253 days):
    - standard void let Monday 18 May after 14 relet days: void 5 to 17 May, 13 days;
    - standard void let Monday 7 September after 21: void 18 August to 6 September, 20 days;
    - major works void (South) let Monday 1 June after 40: void 23 April to 31 May, 39 days;
    - open at void inspection for 10 days (from 30 November), and (South) at void works for
      70 days (from 1 October);
    - one more home, let all year.
    Rent lost: 152 days x £15.00 = £2,280.00. Rent roll: 6 homes x 253 days x £15.00 =
    £22,770.00. 2280 / 22770 = 10.0132% -> 10.01%."""
    return {
        "may": let_void(north, let_on=date(2026, 5, 18), relet_days=14),
        "september": let_void(north, let_on=date(2026, 9, 7), relet_days=21),
        "major": let_void(south, let_on=date(2026, 6, 1), relet_days=40, void_type="major"),
        "inspection": open_void(north, days=10, stage=Stage.INSPECTION),
        "works": open_void(south, days=70, stage=Stage.WORKS),
        "let": charged_home(north),
    }


def _text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<span class=\"govuk-visually-hidden\">.*?</span>", "", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- Who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALLOWED)
def test_voids_roles_see_every_page_and_csv(client_for, request, council, persona):
    client = client_for(request.getfixturevalue(persona))
    for path in PAGES + CSVS:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("persona", REFUSED)
def test_other_roles_tenants_and_contractors_are_refused(client_for, request, council,
                                                         persona):
    client = client_for(request.getfixturevalue(persona))
    for path in PAGES + CSVS:
        assert client.get(path).status_code == 403, (persona, path)


def test_anonymous_visitors_are_sent_to_sign_in(client_for, council):
    for path in PAGES + CSVS:
        response = client_for(None).get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path


def test_the_pages_only_answer_get(client_for, lettings_officer):
    client = client_for(lettings_officer)
    for path in PAGES:
        assert client.post(path).status_code == 405, path


# --- The KPI page -----------------------------------------------------------------------------


def test_the_page_shows_the_figures_for_the_reporting_year_so_far(client_for, team_leader,
                                                                  council):
    response = client_for(team_leader).get("/voids/kpis/")
    assert response.status_code == 200
    text = _text(response)
    assert "Homes let from 1 April 2026 to 9 December 2026" in text
    assert re.search(r"Standard voids 2 17\.5 ", text)
    assert re.search(r"Major works voids 1 40\.0 ", text)
    assert re.search(r"All lettings 3 25\.0 ", text)
    assert "Not inspected" not in text
    assert re.search(r"Rent lost £2,280\.00 on 5 voids", text)
    assert re.search(r"Share of the rent roll 10\.01%", text)
    assert re.search(r"Rent roll £22,770\.00", text)
    # Open voids: one at inspection for 10 days (8 to 14), one at works for 70 (57 or more).
    assert re.search(r"Void inspection 0 1 0 0 0 1 ", text)
    assert re.search(r"Void works 0 0 0 0 1 1 ", text)
    assert re.search(r"All open voids 0 1 0 0 1 2 ", text)
    # The date boxes hold the period.
    assert response.context["form"]["start_year"].value() == "2026"
    assert response.context["figures"]["loss_percent"] == Decimal("10.01")


def test_every_figure_links_to_its_drill_down(client_for, team_leader, council):
    html = client_for(team_leader).get("/voids/kpis/").content.decode()
    period = PERIOD.replace("&", "&amp;")
    for link in [f"/voids/kpis/lettings/?{period}&amp;type=standard",
                 f"/voids/kpis/lettings/?{period}&amp;type=major",
                 f"/voids/kpis/lettings/?{period}\"",
                 f"/voids/kpis/rent-loss/?{period}\"",
                 "/voids/kpis/voids/?stage=inspection&amp;band=8-14\"",
                 "/voids/kpis/voids/?stage=works&amp;band=57%2B\"",
                 "/voids/kpis/voids/?stage=works\"", "/voids/kpis/voids/?band=0-7\"",
                 "/voids/kpis/voids/\""]:
        assert f'href="{link}' in html, link


def test_a_period_chosen_changes_the_figures(client_for, team_leader, council):
    """May 2026 only: the May void's 13 days, the major void's 31 May days, and no lettings
    but the one on 18 May."""
    response = client_for(team_leader).get(
        "/voids/kpis/?start_day=1&start_month=5&start_year=2026&end_day=31&end_month=5"
        "&end_year=2026")
    text = _text(response)
    assert "Homes let from 1 May 2026 to 31 May 2026" in text
    assert re.search(r"Standard voids 1 14\.0 ", text)
    assert re.search(r"Major works voids 0 No lettings", text)
    assert re.search(r"Rent lost £660\.00 on 2 voids", text)  # (13 + 31) x £15.00
    assert re.search(r"Rent roll £2,790\.00", text)  # 6 homes x 31 days x £15.00


@pytest.mark.parametrize(("query", "message", "typed"), [
    ("start_day=1&start_month=6&start_year=2026&end_day=31&end_month=5&end_year=2026",
     "The end date must be the same as or after the start date.", ("end_day", "31")),
    ("start_day=1&start_month=4&start_year=2026&end_day=10&end_month=12&end_year=2026",
     "The end date must be today or in the past.", ("end_day", "10")),
    ("start_day=31&start_month=2&start_year=2026&end_day=9&end_month=12&end_year=2026",
     "The start date must be a real date.", ("start_day", "31")),
    ("start_day=&start_month=&start_year=&end_day=9&end_month=12&end_year=2026",
     "Enter the start date.", ("end_month", "12")),
])
def test_a_bad_period_is_explained_and_kept(client_for, team_leader, council, query,
                                            message, typed):
    for path in ["/voids/kpis/", "/voids/kpis/lettings/", "/voids/kpis/rent-loss/"]:
        response = client_for(team_leader).get(f"{path}?{query}")
        assert response.status_code == 200
        html = response.content.decode()
        assert "There is a problem" in html and message in html, path
        assert response.context["form"][typed[0]].value() == typed[1]
        assert "Rent lost £" not in _text(response)
    # The open voids do not depend on the period: the KPI page still shows them.
    assert re.search(r"All open voids 0 1 0 0 1 2 ",
                     _text(client_for(team_leader).get(f"/voids/kpis/?{query}")))


def test_voids_let_without_a_type_show_as_not_inspected(client_for, team_leader, north):
    let_void(north, let_on=date(2026, 7, 6), relet_days=9, void_type="")
    text = _text(client_for(team_leader).get("/voids/kpis/"))
    assert re.search(r"Not inspected 1 9\.0 ", text)
    assert re.search(r"Standard voids 0 No lettings", text)


def test_a_patch_officer_sees_their_patches_figures(client_for, officer, council):
    officer.user_permissions.add(Permission.objects.get(codename="view_voidperiod"))
    client = client_for(officer)
    text = _text(client.get("/voids/kpis/"))
    assert "The figures cover the homes on your patches." in text
    assert re.search(r"Standard voids 2 17\.5 ", text)
    assert re.search(r"Major works voids 0 No lettings", text)
    assert re.search(r"Rent lost £645\.00 on 3 voids", text)  # (13 + 20 + 10) x £15.00
    assert re.search(r"Rent roll £15,180\.00", text)  # 4 North homes x 253 x £15.00
    assert re.search(r"All open voids 0 1 0 0 0 1 ", text)
    south = [council["major"].reference, council["works"].reference]
    for path in ["/voids/kpis/voids/", f"/voids/kpis/lettings/?{PERIOD}",
                 f"/voids/kpis/rent-loss/?{PERIOD}"]:
        html = client.get(path).content.decode()
        assert not any(reference in html for reference in south), path
    rows = _csv(client.get(f"/voids/kpis/rent-loss/?{PERIOD}&format=csv"))
    assert [row[0] for row in rows[1:]] == [council["may"].reference,
                                            council["september"].reference,
                                            council["inspection"].reference]


# --- Drill-downs ------------------------------------------------------------------------------


def test_the_rent_loss_drill_down_adds_up_to_the_headline(client_for, team_leader, council):
    client = client_for(team_leader)
    response = client.get(f"/voids/kpis/rent-loss/?{PERIOD}")
    text = _text(response)
    assert "£2,280.00 lost from 1 April 2026 to 9 December 2026" in text
    assert [(row["void"].reference, row["days"], row["lost"])
            for row in response.context["rows"]] == [
        (council["major"].reference, 39, 58_500),
        (council["may"].reference, 13, 19_500),
        (council["september"].reference, 20, 30_000),
        (council["works"].reference, 70, 105_000),
        (council["inspection"].reference, 10, 15_000),
    ]
    assert sum(row["lost"] for row in response.context["rows"]) == \
        client.get("/voids/kpis/").context["figures"]["loss_pence"] == 228_000
    assert f'href="/voids/{council["may"].pk}/"' in response.content.decode()
    rows = _csv(client.get(f"/voids/kpis/rent-loss/?{PERIOD}&format=csv"))
    assert rows[0] == ["Void", "UPRN", "Address", "Void from", "Let on", "Days in the period",
                       "Rent lost (£)"]
    may = council["may"]
    assert rows[2] == [may.reference, may.property.uprn, may.property.short_address,
                       "2026-05-05", "2026-05-18", "13", "195.00"]
    assert rows[5][4] == ""  # still void
    assert sum(Decimal(row[6]) for row in rows[1:]) == Decimal("2280.00")
    assert client.get(f"/voids/kpis/rent-loss/?{PERIOD}&format=csv")[
        "Content-Disposition"] == (
        'attachment; filename="void-rent-loss-2026-04-01-to-2026-12-09.csv"')


def test_the_lettings_drill_down(client_for, lettings_officer, council):
    client = client_for(lettings_officer)
    response = client.get(f"/voids/kpis/lettings/?{PERIOD}&type=standard")
    text = _text(response)
    assert "Standard voids let from 1 April 2026 to 9 December 2026" in text
    assert "2 lettings, 35 relet days in all: an average of 17.5 days" in text
    assert [(row["void"].reference, row["ended"], row["days"])
            for row in response.context["rows"]] == [
        (council["may"].reference, date(2026, 5, 4), 14),
        (council["september"].reference, date(2026, 8, 17), 21)]
    rows = _csv(client.get(f"/voids/kpis/lettings/?{PERIOD}&type=major&format=csv"))
    major = council["major"]
    assert rows == [
        ["Void", "UPRN", "Address", "Void type", "Tenancy ended", "Let on", "Relet days"],
        [major.reference, major.property.uprn, major.property.short_address,
         "Major works voids", "2026-04-22", "2026-06-01", "40"]]
    every = client.get(f"/voids/kpis/lettings/?{PERIOD}")
    assert "3 lettings, 75 relet days in all: an average of 25.0 days" in _text(every)
    assert len(_csv(client.get(f"/voids/kpis/lettings/?{PERIOD}&format=csv"))) == 4


def test_a_void_type_not_in_the_list_is_explained(client_for, lettings_officer, council):
    response = client_for(lettings_officer).get(f"/voids/kpis/lettings/?{PERIOD}&type=minor")
    assert "There is a problem" in response.content.decode()
    assert "Select a void type from the list." in response.content.decode()
    assert response.context["page_obj"] is None


def test_the_open_voids_drill_down(client_for, repairs_officer, council):
    client = client_for(repairs_officer)
    response = client.get("/voids/kpis/voids/?stage=works&band=57%2B")
    text = _text(response)
    assert "1 open void: void works, void 57 days or more" in text
    works = council["works"]
    assert [(row["void"].reference, row["days"], row["lost"])
            for row in response.context["rows"]] == [(works.reference, 70, 105_000)]
    assert f'href="/voids/{works.pk}/"' in response.content.decode()
    assert re.search(rf"{works.reference} {re.escape(works.property.short_address)} Void works "
                     r"70 from 1 October 2026 £1,050\.00", text)
    every = client.get("/voids/kpis/voids/")
    assert [row["void"].reference for row in every.context["rows"]] == [
        works.reference, council["inspection"].reference]
    assert client.get("/voids/kpis/voids/?band=0-7").context["page_obj"].paginator.count == 0
    rows = _csv(client.get("/voids/kpis/voids/?stage=inspection&format=csv"))
    inspection = council["inspection"]
    assert rows == [
        ["Void", "UPRN", "Address", "Stage", "Days void", "Rent lost so far (£)"],
        [inspection.reference, inspection.property.uprn, inspection.property.short_address,
         "Void inspection", "10", "150.00"]]


@pytest.mark.parametrize(("query", "message"), [
    ("stage=let", "Select a stage of an open void from the list."),
    ("stage=nonsense", "Select a stage of an open void from the list."),
    ("band=3-4", "Select a number of days void from the list."),
])
def test_an_open_voids_filter_not_in_the_list_is_explained(client_for, lettings_officer,
                                                           council, query, message):
    response = client_for(lettings_officer).get(f"/voids/kpis/voids/?{query}")
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert message in response.content.decode()
    assert response.context["page_obj"] is None


def test_the_drill_downs_are_paginated(client_for, team_leader, north):
    for number in range(53):
        open_void(north, days=100 + number)
    client = client_for(team_leader)
    first = client.get("/voids/kpis/voids/")
    assert len(first.context["rows"]) == 50
    assert "Showing 1 to 50 of 53 voids" in _text(first)
    second = client.get("/voids/kpis/voids/?page=2")
    assert [row["days"] for row in second.context["rows"]] == [102, 101, 100]
    assert len(_csv(client.get("/voids/kpis/voids/?format=csv"))) == 54
    loss = client.get(f"/voids/kpis/rent-loss/?{PERIOD}&page=2")
    assert len(loss.context["rows"]) == 3
    assert len(_csv(client.get(f"/voids/kpis/rent-loss/?{PERIOD}&format=csv"))) == 54


def test_the_pages_read_a_fixed_number_of_queries(client_for, team_leader, north, south,
                                                  council):
    client = client_for(team_leader)
    paths = ["/voids/kpis/", "/voids/kpis/voids/", f"/voids/kpis/lettings/?{PERIOD}",
             f"/voids/kpis/rent-loss/?{PERIOD}", "/voids/kpis/voids/?format=csv",
             f"/voids/kpis/lettings/?{PERIOD}&format=csv",
             f"/voids/kpis/rent-loss/?{PERIOD}&format=csv"]

    def count(path) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    few = {path: count(path) for path in paths}
    for number in range(8):
        for patch in (north, south):
            let_void(patch, let_on=date(2026, 6, 1 + number), relet_days=10 + number,
                     void_type=("standard", "major", "")[number % 3])
            open_void(patch, days=5 + 9 * number, stage=kpis.OPEN_STAGES[number % 5])
    assert VoidPeriod.objects.count() == 37
    assert {path: count(path) for path in paths} == few
    # The KPI page: the session, the user, the role check and the permissions (5), the four
    # figures (loss, roll, relet lines, stage by band) and the session's save (3).
    assert few["/voids/kpis/"] <= 12
