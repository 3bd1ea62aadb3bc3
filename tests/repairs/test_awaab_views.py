"""The Awaab's Law screens: who may see cases, who may record steps, who is refused, and that a
case off the user's patches is not found; reporting damp or mould on a home; each step's
page with its error summary; the case page's clocks and timeline; the lists (filters, fixed
queries); the escalated list; the summary letter and the evidence pack downloads."""

import re
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from housing import roles
from repairs import awaab
from repairs.models import HazardCase, HazardEvent
from tests.housing.factories import PropertyFactory, UserFactory
from tests.repairs.test_awaab import AWARE, open_case, pdf_text

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 1, 12, 10, 0, tzinfo=UTC)  # Tuesday 12 January 2027, 10am in London

READERS = ["customer_access", "officer", "lettings_officer"]
WORKERS = ["repairs_officer", "team_leader"]
REFUSED = ["income_officer", "leasehold_officer", "council_tax", "no_access", "tenant",
           "contractor", "other_contractor"]


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2027-01-12 10:00:00"):
        yield


@pytest.fixture
def case(home):
    """Significant, aware 23 December 2026: the investigation was due by 11 January 2027."""
    return open_case(home)


@pytest.fixture
def sent(home, repairs_officer):
    """A case with its investigation and written summary recorded."""
    sent = open_case(home, description="Mould in the bathroom")
    awaab.record_investigation(case_id=sent.pk, investigated_on=date(2027, 1, 11),
                               findings="Mould on the bathroom ceiling; extractor fan broken.",
                               severity="significant", by=repairs_officer, at=NOW)
    awaab.send_summary(case_id=sent.pk, sent_on=date(2027, 1, 12),
                       text="We will renew the extractor fan.", by=repairs_officer, at=NOW)
    sent.refresh_from_db()
    return sent


@pytest.fixture
def south_home(south):
    return PropertyFactory(patch=south, address_line_1="3 Far Road", postcode="EX4 9ZZ")


def _read_pages(case) -> list[str]:
    base = f"/repairs/awaab/{case.pk}/"
    return ["/repairs/awaab/", "/repairs/awaab/escalated/", base, base + "evidence.pdf"]


def _work_pages(case) -> list[str]:
    base = f"/repairs/awaab/{case.pk}/"
    return [f"/repairs/awaab/new/?property={case.property_id}"] + [
        base + step + "/" for step in ("investigation", "made-safe", "summary", "works",
                                       "alternative", "note", "close")]


def _posts(case) -> list[tuple[str, dict]]:
    base = f"/repairs/awaab/{case.pk}/"
    return [
        (f"/repairs/awaab/new/?property={case.property_id}",
         {"severity": "significant", "aware_on": "2027-01-11", "aware_time": "09:30",
          "description": "Mould in the kitchen"}),
        (base + "investigation/", {"investigated_on": "2027-01-11", "severity": "significant",
                                   "findings": "Mould behind the wardrobe"}),
        (base + "summary/", {"sent_on": "2027-01-12", "text": "We will clean and treat it"}),
        (base + "works/", {"started_on": "2027-01-12", "detail": "Mould wash"}),
        (base + "alternative/", {"offered_on": "2027-01-12", "detail": "Hotel; declined"}),
        (base + "note/", {"text": "Tenant phoned"}),
        (base + "close/", {"reason": "All done"}),
    ]


def _unchanged(case, events: int = 1):
    case.refresh_from_db()
    assert case.status == "open" and case.investigated_on is None
    assert HazardCase.objects.count() == 1
    assert HazardEvent.objects.filter(case=case).count() == events


# --- Who may see and do what ------------------------------------------------------------------


@pytest.mark.parametrize("persona", WORKERS)
def test_workers_open_every_page_and_record_every_step(client_for, request, persona, case):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for path in _read_pages(case) + _work_pages(case):
        assert client.get(path).status_code == 200, path
    for path, data in _posts(case):
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.content.decode()[:3000])
    case.refresh_from_db()
    assert case.status == "closed" and case.investigated_on == date(2027, 1, 11)
    assert list(HazardEvent.objects.filter(case=case).order_by("pk").values_list(
        "kind", flat=True)) == ["opened", "visit", "summary", "works", "alternative", "note",
                                "closed"]
    assert HazardEvent.objects.filter(by=user).count() == 7  # the six steps and a new case
    reported = HazardCase.objects.exclude(pk=case.pk).get()
    assert reported.opened_by == user
    assert reported.aware_at == datetime(2027, 1, 11, 9, 30, tzinfo=UTC)
    assert reported.investigate_due == date(2027, 1, 25)


def test_made_safe_from_its_page(client_for, repairs_officer, home):
    emergency = open_case(home, severity="emergency", aware_at=datetime(2027, 1, 12, 8, 0,
                                                                        tzinfo=UTC), at=NOW)
    client = client_for(repairs_officer)
    response = client.post(f"/repairs/awaab/{emergency.pk}/made-safe/", {
        "made_safe_on": "2027-01-12", "made_safe_time": "09:45", "detail": "Fan fitted"})
    assert response.status_code == 302
    emergency.refresh_from_db()
    assert emergency.made_safe_at == datetime(2027, 1, 12, 9, 45, tzinfo=UTC)
    page = client.get(f"/repairs/awaab/{emergency.pk}/").content.decode()
    assert "Made safe at 9:45am on 12 January 2027" in page


@pytest.mark.parametrize("persona", READERS)
def test_readers_see_but_cannot_act(client_for, request, persona, case):
    client = client_for(request.getfixturevalue(persona))
    for path in _read_pages(case):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/repairs/awaab/{case.pk}/").content.decode()
    assert "Record the investigation" not in page and "Close the case" not in page
    assert "Download the evidence pack" in page
    for path in _work_pages(case):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(case):
        assert client.post(path, data).status_code == 403, path
    _unchanged(case)


@pytest.mark.parametrize("persona", REFUSED)
def test_other_roles_are_refused(client_for, request, persona, case, contractor_a,
                                 contractor_b):
    client = client_for(request.getfixturevalue(persona))
    for path in _read_pages(case) + _work_pages(case):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(case):
        assert client.post(path, data).status_code == 403, path
    _unchanged(case)


def test_anonymous_visitors_are_sent_to_sign_in(client_for, case):
    client = client_for(None)
    for path in _read_pages(case) + _work_pages(case):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    for path, data in _posts(case):
        assert client.post(path, data).status_code == 302, path
    _unchanged(case)


def test_a_case_off_the_users_patches_is_not_found(client_for, officer, north, south_home):
    south_case = open_case(south_home)
    # A Repairs Officer's work on the North patch only.
    worker = UserFactory(email="north-repairs@example.test", role=roles.HOUSING_OFFICER,
                         patches=[north])
    worker.user_permissions.add(Permission.objects.get(codename="work_hazardcase"))
    for user in (officer, worker):
        client = client_for(user)
        for path in _read_pages(south_case)[2:] + _work_pages(south_case)[1:]:
            assert client.get(path).status_code == 404, path
        for path, data in _posts(south_case)[1:]:
            assert client.post(path, data).status_code == 404, path
        listed = client.get("/repairs/awaab/").content.decode()
        assert "3 Far Road" not in listed and south_case.reference not in listed
    # Reporting on a home off the patch: not found for the worker (the Housing Officer may
    # report nowhere, so is refused first).
    report, data = _posts(south_case)[0]
    assert client_for(worker).get(report).status_code == 404
    assert client_for(worker).post(report, data).status_code == 404
    assert client_for(officer).get(report).status_code == 403
    _unchanged(south_case)
    # On their own patch the worker records steps.
    north_case = open_case(PropertyFactory(patch=north))
    response = client_for(worker).post(f"/repairs/awaab/{north_case.pk}/note/",
                                       {"text": "Seen"})
    assert response.status_code == 302


# --- Reporting damp or mould on a home --------------------------------------------------------


def test_a_bad_report_shows_the_error_summary_and_keeps_what_was_typed(client_for,
                                                                       repairs_officer, home):
    client = client_for(repairs_officer)
    path = f"/repairs/awaab/new/?property={home.pk}"
    page = client.get(path).content.decode()
    assert "12 Mill Lane, Exeter, EX1 2HL" in page
    assert 'value="2027-01-12"' in page and 'value="10:00"' in page  # now, in London
    response = client.post(path, {"severity": "emergency", "aware_on": "2027-01-11",
                                  "aware_time": "25:99", "description": "  Cot wall  "})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Report damp or mould" in page
    assert "There is a problem" in page
    assert "Enter the time the council became aware as a 24-hour time, like 14:30." in page
    assert 'href="#id_aware_time"' in page
    assert 'value="2027-01-11"' in page and "Cot wall" in page
    assert re.search(r'value="emergency"[^>]*checked', page)
    response = client.post(path, {"severity": "significant", "aware_on": "2025-10-01",
                                  "aware_time": "09:00", "description": "Old mould"})
    page = response.content.decode()
    assert 'href="#id_aware_on"' in page
    assert ("No Awaab&#x27;s Law rule for damp and mould is in force on 1 October 2025" in page)
    assert not HazardCase.objects.exists()


def test_reporting_needs_a_home(client_for, repairs_officer):
    client = client_for(repairs_officer)
    response = client.get("/repairs/awaab/new/")
    assert response.status_code == 400 and "Choose the home first" in response.content.decode()
    assert client.get("/repairs/awaab/new/?property=999999").status_code == 404
    assert client.get("/repairs/awaab/new/?property=abc").status_code == 404


def test_the_report_form_names_open_cases_on_the_home(client_for, repairs_officer, case):
    page = client_for(repairs_officer).get(
        f"/repairs/awaab/new/?property={case.property_id}").content.decode()
    assert "This home already has 1 open case: " in page and case.reference in page


# --- The case page and the steps --------------------------------------------------------------


def test_the_case_page_shows_clocks_and_timeline(client_for, repairs_officer, case):
    client = client_for(repairs_officer)
    page = client.get(f"/repairs/awaab/{case.pk}/").content.decode()
    assert "Damp and mould case " + case.reference in page
    assert "A statutory clock is overdue." in page
    assert "It is escalated to the Team Leaders the next morning." in page
    assert re.search(r'Investigate</dt>\s*<dd[^>]*>\s*<strong class="govuk-tag govuk-tag--red">'
                     r"Overdue</strong>\s*Overdue by 1 working day", page)
    assert "Starts when the investigation is recorded" in page
    assert "moj-timeline" in page and "Damp and mould reported: significant" in page
    assert "Record the investigation" in page and "Send the written summary" not in page
    awaab.record_investigation(case_id=case.pk, investigated_on=date(2027, 1, 12),
                               findings="Mould", severity="significant", by=repairs_officer,
                               at=NOW)
    page = client.get(f"/repairs/awaab/{case.pk}/").content.decode()
    assert "Met on 12 January 2027, 1 working day late" in page
    assert "3 working days left" in page  # the summary, by 15 January
    assert "Send the written summary" in page and "Record the investigation<" not in page


def test_a_step_that_cannot_be_taken_says_why(client_for, repairs_officer, case):
    client = client_for(repairs_officer)
    page = client.get(f"/repairs/awaab/{case.pk}/summary/").content.decode()
    assert "Record the investigation first" in page and "<form method=\"post\"" not in page
    response = client.post(f"/repairs/awaab/{case.pk}/summary/",
                           {"sent_on": "2027-01-12", "text": "Soon"})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "Record the investigation first: the written summary tells the tenants" in page


def test_a_bad_investigation_keeps_what_was_typed(client_for, repairs_officer, case):
    response = client_for(repairs_officer).post(
        f"/repairs/awaab/{case.pk}/investigation/",
        {"investigated_on": "2027-01-13", "severity": "emergency", "findings": "Mould found"})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "The date of the investigation must be today or in the past." in page
    assert 'href="#id_investigated_on"' in page and "Mould found" in page
    assert 'value="2027-01-13"' in page
    case.refresh_from_db()
    assert case.investigated_on is None


def test_closing_with_clocks_running(client_for, repairs_officer, case):
    client = client_for(repairs_officer)
    path = f"/repairs/awaab/{case.pk}/close/"
    page = client.get(path).content.decode()
    assert "These steps are still due: investigate by 11 January 2027" in page
    assert "my reason says why they are not needed" in page
    response = client.post(path, {"reason": "No access"})
    page = response.content.decode()
    assert response.status_code == 200 and 'href="#id_clocks_explained"' in page
    assert "No access" in page
    response = client.post(path, {"reason": "Tenant refused access three times",
                                  "clocks_explained": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed"
    page = client.get(f"/repairs/awaab/{case.pk}/").content.decode()
    assert "Closed on 12 January 2027" in page and "Add a note" in page
    assert "Record works started" not in page


def test_works_offer_the_homes_orders(client_for, repairs_officer, case, home, north,
                                      make_order, contractor_a):
    mine = make_order(home, contractor_a, description="Mould wash")
    other = make_order(PropertyFactory(patch=north), contractor_a)
    client = client_for(repairs_officer)
    page = client.get(f"/repairs/awaab/{case.pk}/works/").content.decode()
    assert mine.reference in page and other.reference not in page
    response = client.post(f"/repairs/awaab/{case.pk}/works/",
                           {"started_on": "2027-01-12", "order": str(mine.pk)})
    assert response.status_code == 302
    assert case.events.get(kind="works").order == mine


# --- Lists ------------------------------------------------------------------------------------


def test_the_list_filters_by_overdue_and_hazard(client_for, repairs_officer, case, home):
    fresh = open_case(home, aware_at=datetime(2027, 1, 11, 9, 0, tzinfo=UTC), at=NOW)
    client = client_for(repairs_officer)
    page = client.get("/repairs/awaab/").content.decode()
    assert case.reference in page and fresh.reference in page and "2 open cases" in page
    page = client.get("/repairs/awaab/?show=overdue").content.decode()
    assert case.reference in page and fresh.reference not in page
    assert "1 open case that matches the filters" in page
    page = client.get("/repairs/awaab/?hazard=excess_cold").content.decode()
    assert case.reference not in page and "No open cases" in page
    page = client.get("/repairs/awaab/?show=nonsense&hazard=damp_mould").content.decode()
    assert case.reference in page and fresh.reference in page


def test_the_lists_read_a_fixed_number_of_queries(client_for, team_leader, home, north,
                                                  south):
    client = client_for(team_leader)

    def count(path) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    open_case(home)
    awaab.escalate_overdue(today=date(2027, 1, 12), at=NOW)
    few = {path: count(path) for path in ("/repairs/awaab/", "/repairs/awaab/escalated/")}
    for number in range(6):
        for patch in (north, south):
            open_case(PropertyFactory(patch=patch), severity=("emergency", "significant")[
                number % 2])
    awaab.escalate_overdue(today=date(2027, 1, 12), at=NOW)
    assert HazardCase.objects.filter(escalated_at__isnull=False).count() == 13
    assert {path: count(path) for path in few} == few


def test_the_escalated_list(client_for, team_leader, case, home):
    fresh = open_case(home, aware_at=datetime(2027, 1, 11, 9, 0, tzinfo=UTC), at=NOW)
    client = client_for(team_leader)
    assert "No escalated cases" in client.get("/repairs/awaab/escalated/").content.decode()
    awaab.escalate_overdue(today=date(2027, 1, 12), at=NOW)
    page = client.get("/repairs/awaab/escalated/").content.decode()
    assert case.reference in page and fresh.reference not in page
    assert "1 escalated case" in page and "Overdue by 1 working day" in page
    page = client.get(f"/repairs/awaab/{case.pk}/").content.decode()
    assert "Escalated to the Team Leaders on 12 January 2027." in page
    assert "Escalated to a Team Leader: overdue" in page


# --- Downloads --------------------------------------------------------------------------------


def test_the_summary_letter_and_evidence_pack_download(client_for, officer, case, sent):
    client = client_for(officer)
    assert client.get(f"/repairs/awaab/{case.pk}/summary.pdf").status_code == 404
    response = client.get(f"/repairs/awaab/{sent.pk}/summary.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f'filename="written-summary-{sent.reference}.pdf"' in \
        response["Content-Disposition"]
    letter = pdf_text(b"".join(response.streaming_content))
    assert "Mould on the bathroom ceiling; extractor fan broken." in letter
    event = sent.events.get(kind="summary")
    response = client.get(f"/repairs/awaab/{sent.pk}/documents/{event.pk}/")
    assert response.status_code == 200
    opened = sent.events.get(kind="opened")
    assert client.get(f"/repairs/awaab/{sent.pk}/documents/{opened.pk}/").status_code == 404
    assert client.get(f"/repairs/awaab/{case.pk}/documents/{event.pk}/").status_code == 404
    page = client.get(f"/repairs/awaab/{sent.pk}/").content.decode()
    assert "Download the written summary (PDF)" in page
    assert f"/repairs/awaab/{sent.pk}/documents/{event.pk}/" in page
    response = client.get(f"/repairs/awaab/{sent.pk}/evidence.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pack = pdf_text(response.content)
    assert f"Evidence pack: case {sent.reference}" in pack
    assert "Investigated: significant hazard" in pack and "Written summary sent" in pack
    assert "We will renew the extractor fan." in pack
    assert sent.aware_at == AWARE
