"""The arrears screens: the worklist (scoped to the officer's patches, filtered, sorted,
paginated, without N+1 queries), the case page and its timeline, acting on a recommendation,
bulk letters with the merged print file, pauses, notes and contacts, and the diary on the
tenancy page. Every page: who may see it, who may act, and who is refused."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from freezegun import freeze_time

from housing import roles
from housing.jobs import execute_job
from housing.models import BackgroundJob
from rents import arrears_views
from rents.models import CaseEvent, Pause, Recommendation
from tenancies.models import Letter
from tests.housing.factories import UserFactory
from tests.rents.test_casework import AT, TODAY, let_home, make_policy, pdf_text, recommend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


@pytest.fixture
def stages(db):
    return make_policy()


@pytest.fixture
def account(north):
    return let_home(north, address="12 Mill Lane", names=(("Ada", "Quick"),))


@pytest.fixture
def south_account(south):
    return let_home(south, address="3 Far Road", names=(("Sid", "South"),))


@pytest.fixture
def recommendation(account, stages):
    return recommend(account, stages["letter-1"])


@pytest.fixture
def pause(account):
    return Pause.objects.create(account=account, kind=Pause.Kind.OFFICER,
                                start_date=date(2026, 12, 20), end_date=date(2027, 1, 10),
                                reason="Tenant in hospital", created_at=AT)


def _read_pages(account):
    return ["/rents/arrears/", f"/rents/arrears/accounts/{account.pk}/"]


def _work_pages(account, recommendation, pause):
    return [f"/rents/arrears/recommendations/{recommendation.pk}/defer/",
            f"/rents/arrears/recommendations/{recommendation.pk}/override/",
            f"/rents/arrears/accounts/{account.pk}/pauses/new/",
            f"/rents/arrears/accounts/{account.pk}/notes/new/",
            f"/rents/arrears/accounts/{account.pk}/contacts/new/",
            f"/rents/arrears/pauses/{pause.pk}/end/"]


def _posts(account, recommendation, pause):
    """Every POST, each with data that would succeed for a user allowed to act."""
    return [
        (f"/rents/arrears/recommendations/{recommendation.pk}/accept/", {}),
        (f"/rents/arrears/recommendations/{recommendation.pk}/defer/",
         {"until": "2026-12-20", "reason": "Promised to pay"}),
        (f"/rents/arrears/recommendations/{recommendation.pk}/override/",
         {"reason": "Not needed"}),
        (f"/rents/arrears/accounts/{account.pk}/pauses/new/",
         {"kind": "officer", "start_date": "2026-12-09", "end_date": "2026-12-31",
          "reason": "Bereavement"}),
        (f"/rents/arrears/accounts/{account.pk}/notes/new/",
         {"happened_on": "2026-12-09", "text": "A note"}),
        (f"/rents/arrears/accounts/{account.pk}/contacts/new/",
         {"method": "phone", "happened_on": "2026-12-09", "said": "Hello"}),
        (f"/rents/arrears/pauses/{pause.pk}/end/", {"reason": "Home again"}),
        ("/rents/arrears/letters/", {"recommendation": [str(recommendation.pk)]}),
    ]


def _nothing_changed(recommendation, pause):
    recommendation.refresh_from_db()
    pause.refresh_from_db()
    assert recommendation.status == Recommendation.Status.OPEN
    assert pause.ended_at is None and Pause.objects.count() == 1
    assert not CaseEvent.objects.exists() and not Letter.objects.exists()
    assert not BackgroundJob.objects.filter(kind="arrears_letters").exists()


# --- Who may see and do what ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["income_officer", "team_leader"])
def test_income_roles_open_every_page(client_for, request, persona, account, recommendation,
                                      pause):
    client = client_for(request.getfixturevalue(persona))
    for path in _read_pages(account) + _work_pages(account, recommendation, pause):
        assert client.get(path).status_code == 200, path


def test_income_officer_can_act(client_for, income_officer, account, recommendation, pause,
                                stages):
    client = client_for(income_officer)
    for number, (path, data) in enumerate(_posts(account, recommendation, pause)):
        if number in (1, 2):  # the recommendation was decided by the POST before: a new one
            fresh = recommend(account, stages["letter-2"])
            path = path.replace(f"/{recommendation.pk}/", f"/{fresh.pk}/")
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.content.decode()[:2000])
    assert CaseEvent.objects.filter(created_by=income_officer).count() == 7
    assert BackgroundJob.objects.filter(kind="arrears_letters").count() == 0  # none open left


def test_a_housing_officer_sees_but_cannot_act(client_for, officer, account, recommendation,
                                               pause):
    client = client_for(officer)
    for path in _read_pages(account):
        assert client.get(path).status_code == 200, path
    case = client.get(_read_pages(account)[1]).content.decode()
    assert escape(recommendation.reason) in case
    for words in ("Accept and produce", ">Defer<", ">Override<", "Record a contact",
                  "Pause recovery", "End early"):
        assert words not in case, words
    worklist = client.get("/rents/arrears/").content.decode()
    assert "12 Mill Lane" in worklist and 'type="checkbox"' not in worklist
    assert "Produce the ticked letters" not in worklist
    for path in _work_pages(account, recommendation, pause):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(account, recommendation, pause):
        assert client.post(path, data).status_code == 403, path
    _nothing_changed(recommendation, pause)


@pytest.mark.parametrize("persona", ["customer_access", "repairs_officer", "council_tax",
                                     "no_access", "tenant"])
def test_roles_without_arrears_are_refused(client_for, request, persona, account,
                                           recommendation, pause):
    client = client_for(request.getfixturevalue(persona))
    for path in _read_pages(account) + _work_pages(account, recommendation, pause):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(account, recommendation, pause):
        assert client.post(path, data).status_code == 403, path
    _nothing_changed(recommendation, pause)


def test_anonymous_visitors_are_sent_to_sign_in(client_for, account, recommendation, pause):
    client = client_for(None)
    for path in _read_pages(account) + _work_pages(account, recommendation, pause):
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    for path, data in _posts(account, recommendation, pause):
        assert client.post(path, data).status_code == 302, path
    _nothing_changed(recommendation, pause)


def test_a_case_off_the_officers_patches_is_not_found(client_for, income_officer, officer,
                                                      south_account, stages):
    south = recommend(south_account, stages["letter-1"])
    south_pause = Pause.objects.create(account=south_account, kind=Pause.Kind.OFFICER,
                                       start_date=TODAY, end_date=date(2027, 1, 10),
                                       reason="Far away", created_at=AT)
    for user in (income_officer, officer):
        client = client_for(user)
        assert client.get(_read_pages(south_account)[1]).status_code == 404
        worklist = client.get("/rents/arrears/").content.decode()
        assert "3 Far Road" not in worklist and "Far away" not in worklist
        for path in _work_pages(south_account, south, south_pause):
            assert client.get(path).status_code in (403, 404), path
        for path, data in _posts(south_account, south, south_pause)[:-1]:
            assert client.post(path, data).status_code in (403, 404), path
    client = client_for(income_officer)
    for path in _work_pages(south_account, south, south_pause):
        assert client.get(path).status_code == 404, path
    for path, data in _posts(south_account, south, south_pause)[:-1]:
        assert client.post(path, data).status_code == 404, path
    # Bulk letters ignore a recommendation the officer may not see.
    response = client.post("/rents/arrears/letters/", {"recommendation": [str(south.pk)]})
    assert response.status_code == 302 and response.url == "/rents/arrears/"
    _nothing_changed(south, south_pause)


# --- The worklist ---------------------------------------------------------------------------


@pytest.fixture
def cases(north, south, stages):
    """Three cases on North and one on South, with figures that sort differently by amount,
    by weeks and by age."""
    return {
        "A": recommend(let_home(north, address="1 Alpha Road", names=(("Ann", "Ash"),)),
                       stages["letter-1"], owed=41250, weeks="6.00",
                       created_at=AT - timedelta(days=3),
                       reason="Owes £412.50 = 6.0 weeks' rent; Letter 1 is the next step."),
        "B": recommend(let_home(north, address="2 Beta Road", rent=30000,
                                names=(("Ben", "Birch"),)),
                       stages["visit"], owed=150000, weeks="5.00",
                       created_at=AT - timedelta(days=1)),
        "C": recommend(let_home(north, address="3 Gamma Road", names=(("Cat", "Cole"),)),
                       stages["reminder"], owed=700, weeks="0.07",
                       created_at=AT - timedelta(days=10)),
        "D": recommend(let_home(south, address="4 Delta Road", names=(("Dan", "Dee"),)),
                       stages["letter-2"], owed=52000, weeks="5.20",
                       created_at=AT - timedelta(days=2)),
    }


def _order(page: str) -> list[str]:
    """The cases on the worklist page, in order (by their street names)."""
    return re.findall(r"\d (Alpha|Beta|Gamma|Delta) Road", page.split('id="paused"')[0])


def test_the_worklist_shows_each_case_with_its_reason(client_for, income_officer, cases):
    page = client_for(income_officer).get("/rents/arrears/").content.decode()
    assert "3 cases waiting" in page
    a = cases["A"]
    assert a.account.tenancy.reference in page
    assert f'href="/rents/arrears/accounts/{a.account_id}/"' in page
    assert "Ann Ash" in page and "1 Alpha Road" in page
    assert "£412.50" in page and ">6.0<" in page
    assert "Owes £412.50 = 6.0 weeks&#x27; rent; Letter 1 is the next step." in page
    assert "Letter 1</strong>" in page and "(letter)" in page
    assert "Home visit</strong>" in page and "(visit)" in page
    assert "Worked out on 7 December 2026" in page
    assert _order(page) == ["Beta", "Alpha", "Gamma"]  # the most owed first


@pytest.mark.parametrize(("query", "persona", "expected"), [
    ("", "income_officer", ["Beta", "Alpha", "Gamma"]),
    ("?sort=amount", "income_officer", ["Beta", "Alpha", "Gamma"]),
    ("?sort=weeks", "income_officer", ["Alpha", "Beta", "Gamma"]),
    ("?sort=oldest", "income_officer", ["Gamma", "Alpha", "Beta"]),
    ("?action=letter", "income_officer", ["Alpha"]),
    ("?action=letter", "team_leader", ["Delta", "Alpha"]),
    ("?stage=visit", "income_officer", ["Beta"]),
    ("?band=under-100", "income_officer", ["Gamma"]),
    ("?band=100-500", "income_officer", ["Alpha"]),
    ("?band=1000-2500", "income_officer", ["Beta"]),
    ("?band=2500-plus", "income_officer", []),
    ("?action=letter&band=500-1000", "team_leader", ["Delta"]),
    ("", "team_leader", ["Beta", "Delta", "Alpha", "Gamma"]),
    ("SOUTH", "team_leader", ["Delta"]),
    ("SOUTH", "income_officer", ["Beta", "Alpha", "Gamma"]),  # not their patch: ignored
    ("?action=bogus&sort=nonsense&band=huge", "income_officer", ["Beta", "Alpha", "Gamma"]),
])
def test_worklist_filters_and_sorting(client_for, request, cases, south, query, persona,
                                      expected):
    if query == "SOUTH":
        query = f"?patch={south.pk}"
    response = client_for(request.getfixturevalue(persona)).get("/rents/arrears/" + query)
    assert response.status_code == 200
    assert _order(response.content.decode()) == expected


def test_the_worklist_is_paginated_keeping_its_filters(client_for, income_officer, cases,
                                                       monkeypatch):
    monkeypatch.setattr(arrears_views, "WORKLIST_PAGE", 2)
    client = client_for(income_officer)
    first = client.get("/rents/arrears/?sort=oldest").content.decode()
    assert _order(first) == ["Gamma", "Alpha"]
    assert 'href="?sort=oldest&amp;page=2"' in first
    assert _order(client.get("/rents/arrears/?sort=oldest&page=2").content.decode()) == ["Beta"]


def test_the_worklist_reads_a_fixed_number_of_queries(client_for, income_officer, north,
                                                      stages, cases):
    client = client_for(income_officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/rents/arrears/").status_code == 200
        return len(queries)

    few = count()
    for number in range(6):
        account = let_home(north, address=f"{number + 10} More Road",
                           names=(("Eve", f"More{number}"), ("Fay", f"More{number}")))
        recommend(account, stages["letter-1"])
        Pause.objects.create(account=let_home(north, address=f"{number + 20} Paused Road"),
                             kind=Pause.Kind.OFFICER, start_date=TODAY,
                             end_date=date(2027, 1, 1), reason="Paused", created_at=AT)
    assert count() == few


def test_the_worklist_lists_paused_cases(client_for, income_officer, account, south_account):
    Pause.objects.create(account=account, kind=Pause.Kind.BREATHING_SPACE, start_date=TODAY,
                         end_date=date(2027, 2, 7), reason="Breathing Space ref BS-1234",
                         created_at=AT)
    Pause.objects.create(account=south_account, kind=Pause.Kind.OFFICER, start_date=TODAY,
                         end_date=date(2027, 2, 7), reason="Not my patch", created_at=AT)
    Pause.objects.create(account=account, kind=Pause.Kind.OFFICER,
                         start_date=date(2026, 10, 1), end_date=date(2026, 11, 1),
                         reason="Long over", created_at=AT)
    page = client_for(income_officer).get("/rents/arrears/").content.decode()
    paused = page.split('id="paused"')[1]
    assert "12 Mill Lane" in paused and "Breathing Space (standard, 60 days)" in paused
    assert "Breathing Space ref BS-1234" in paused and "7 February 2027" in paused
    assert "Not my patch" not in paused and "Long over" not in paused


def test_only_letters_can_be_ticked(client_for, income_officer, cases):
    page = client_for(income_officer).get("/rents/arrears/").content.decode()
    boxes = re.findall(r'name="recommendation" type="checkbox" value="(\d+)"', page)
    assert boxes == [str(cases["A"].pk)]  # not the visit or the reminder


# --- Bulk letters ---------------------------------------------------------------------------


def test_bulk_letters_run_as_a_job_with_a_print_file(client_for, income_officer, officer,
                                                     cases, north):
    other_income = UserFactory(email="income2@example.test", role=roles.INCOME_OFFICER,
                               patches=[north])
    client = client_for(income_officer)
    chosen = [str(cases[name].pk) for name in ("A", "B", "D")]  # B is a visit, D not theirs
    response = client.post("/rents/arrears/letters/", {"recommendation": chosen})
    job = BackgroundJob.objects.get(kind="arrears_letters")
    assert response.status_code == 302 and response.url == f"/jobs/{job.pk}/"
    assert job.parameters == {"recommendation_ids": [cases["A"].pk]}
    assert job.started_by == income_officer
    execute_job(job_id=job.pk)

    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "1 arrears letter produced." in page
    assert f'href="/rents/arrears/letters/{job.pk}/print.pdf"' in page
    download = client.get(f"/rents/arrears/letters/{job.pk}/print.pdf")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "Ann Ash" in pdf_text(b"".join(download.streaming_content))
    assert client_for(other_income).get(
        f"/rents/arrears/letters/{job.pk}/print.pdf").status_code == 404
    assert client_for(officer).get(
        f"/rents/arrears/letters/{job.pk}/print.pdf").status_code == 403
    cases["A"].refresh_from_db()
    assert cases["A"].status == Recommendation.Status.ACCEPTED


def test_bulk_letters_need_a_choice(client_for, income_officer, cases):
    client = client_for(income_officer)
    response = client.post("/rents/arrears/letters/",
                           {"recommendation": [str(cases["B"].pk)],
                            "back": "/rents/arrears/?sort=oldest"}, follow=True)
    assert response.redirect_chain[-1][0] == "/rents/arrears/?sort=oldest"
    assert "Select the letters to produce." in response.content.decode()
    response = client.post("/rents/arrears/letters/", {"back": "https://evil.example/"})
    assert response.url == "/rents/arrears/"
    assert not BackgroundJob.objects.filter(kind="arrears_letters").exists()


# --- The case page and acting on it ---------------------------------------------------------


def test_the_case_page(client_for, income_officer, account, recommendation):
    page = client_for(income_officer).get(f"/rents/arrears/accounts/{account.pk}/")
    text = page.content.decode()
    assert f"Arrears case {account.tenancy.reference}" in text
    assert "Ada Quick" in text and "12 Mill Lane" in text
    assert "£412.50</strong> = 4.1 weeks’ rent" in text
    assert "£100.00</span>: the charges on the home today" in text
    assert escape(recommendation.reason) in text
    assert "Accept and produce Letter 1" in text
    assert f'href="/rents/arrears/recommendations/{recommendation.pk}/defer/"' in text
    assert "Nothing has been recorded on this case yet." in text


def test_accepting_a_letter_puts_it_on_the_timeline(client_for, income_officer, account,
                                                    recommendation):
    client = client_for(income_officer)
    response = client.post(f"/rents/arrears/recommendations/{recommendation.pk}/accept/",
                           follow=True)
    assert response.redirect_chain == [(f"/rents/arrears/accounts/{account.pk}/", 302)]
    page = response.content.decode()
    assert "Letter 1 produced. Download it from the case diary" in page
    letter = Letter.objects.get()
    diary = page.split('id="diary"')[1]
    assert 'class="moj-timeline__title">Letter 1 produced</h3>' in diary
    assert escape(f"by {income_officer.display_name}") in diary
    assert '<time datetime="2026-12-09T10:15:00+00:00">9 December 2026 at 10:15am</time>' in diary
    link = f"/tenancies/{account.tenancy_id}/letters/{letter.pk}/"
    assert f'href="{link}">Letter 1: Your rent account is £412.50 behind (PDF)' in diary
    assert "No recommendation is waiting" in page
    pdf = client.get(link)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    # The tenancy page shows the same timeline.
    tenancy_page = client.get(f"/tenancies/{account.tenancy_id}/").content.decode()
    assert "Arrears case diary" in tenancy_page and "Letter 1 produced" in tenancy_page
    assert f'href="/rents/arrears/accounts/{account.pk}/">Open the arrears case' in tenancy_page


def test_the_tenancy_page_shows_the_diary_only_to_diary_roles(client_for, officer,
                                                              customer_access, account):
    CaseEvent.objects.create(account=account, kind="note", summary="Note",
                             detail="Knocked, no answer", happened_on=TODAY, created_at=AT)
    assert "Knocked, no answer" in client_for(officer).get(
        f"/tenancies/{account.tenancy_id}/").content.decode()
    page = client_for(customer_access).get(f"/tenancies/{account.tenancy_id}/")
    assert page.status_code == 200
    assert "Arrears case diary" not in page.content.decode()


def test_an_ended_tenancy_gets_no_letter_button_and_a_post_is_refused(
        client_for, income_officer, north, stages):
    account = let_home(north, end=date(2026, 11, 29))
    recommendation = recommend(account, stages["letter-1"])
    client = client_for(income_officer)
    page = client.get(f"/rents/arrears/accounts/{account.pk}/").content.decode()
    assert "Accept and produce" not in page
    assert "The tenancy ended on 29 November 2026; arrears letters go to former tenants" in page
    assert ">Override<" in page
    response = client.post(f"/rents/arrears/recommendations/{recommendation.pk}/accept/",
                           follow=True)
    assert "There is a problem" in response.content.decode()
    assert not Letter.objects.exists()


def test_defer_keeps_what_was_typed(client_for, income_officer, recommendation):
    client = client_for(income_officer)
    path = f"/rents/arrears/recommendations/{recommendation.pk}/defer/"
    response = client.post(path, {"until": "2026-12-01", "reason": "Promised £50 Friday"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Defer Letter 1" in page
    assert "govuk-error-summary" in page
    assert 'href="#id_until">The date to look at the case again must be in the future.' in page
    assert "Promised £50 Friday</textarea>" in page and 'value="2026-12-01"' in page
    response = client.post(path, {"until": "2026-12-18", "reason": "Promised £50 Friday"},
                           follow=True)
    assert "Letter 1 deferred until 18 December 2026." in response.content.decode()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.DEFERRED


def test_override_needs_a_reason(client_for, income_officer, recommendation):
    client = client_for(income_officer)
    path = f"/rents/arrears/recommendations/{recommendation.pk}/override/"
    page = client.post(path, {"reason": ""}).content.decode()
    assert "Give the reason for not taking the recommended action." in page
    client.post(path, {"reason": "Paid in full at the office"})
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.OVERRIDDEN
    # Decided: the form is not offered again.
    assert "there is nothing to override" in client.get(path).content.decode()


def test_pausing_from_the_case(client_for, income_officer, account, recommendation):
    client = client_for(income_officer)
    path = f"/rents/arrears/accounts/{account.pk}/pauses/new/"
    form = client.get(path).content.decode()
    assert 'value="2026-12-09"' in form  # the start date defaults to today
    assert "ends 60 days after the start date" in form
    page = client.post(path, {"kind": "officer", "start_date": "2026-12-09",
                              "reason": "Bereavement"}).content.decode()
    assert "Enter the date the pause ends. Every pause must have an end." in page
    assert "Bereavement</textarea>" in page
    response = client.post(path, {"kind": "breathing_space", "start_date": "2026-12-09",
                                  "reason": "BS ref 42"}, follow=True)
    page = response.content.decode()
    assert "Recovery paused from 9 December 2026 to 7 February 2027." in page
    assert "Recovery is paused until 7 February 2027" in page
    assert "Paused: Breathing Space (standard, 60 days), 9 December 2026 to 7 February 2027" in page
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.WITHDRAWN

    pause = Pause.objects.get()
    assert f'href="/rents/arrears/pauses/{pause.pk}/end/"' in page
    response = client.post(f"/rents/arrears/pauses/{pause.pk}/end/",
                           {"reason": "Cancelled by the debt adviser"}, follow=True)
    assert "Pause ended. Recovery can go on from today." in response.content.decode()
    pause.refresh_from_db()
    assert pause.ended_by == income_officer


def test_notes_and_contacts_from_the_case(client_for, income_officer, account):
    client = client_for(income_officer)
    page = client.post(f"/rents/arrears/accounts/{account.pk}/contacts/new/",
                       {"method": "visit", "happened_on": "2026-12-10",
                        "with_whom": "the tenant's son", "said": "Nobody in"}).content.decode()
    assert "The date must be today or in the past." in page and "Nobody in</textarea>" in page
    client.post(f"/rents/arrears/accounts/{account.pk}/contacts/new/",
                {"method": "visit", "happened_on": "2026-12-08",
                 "with_whom": "the tenant's son", "said": "Says his mum will call"})
    client.post(f"/rents/arrears/accounts/{account.pk}/notes/new/",
                {"happened_on": "2026-12-09", "text": "Called back: no answer"})
    page = client.get(f"/rents/arrears/accounts/{account.pk}/").content.decode()
    diary = page.split('id="diary"')[1]
    assert diary.index("Called back: no answer") < diary.index("Visit with the tenant&#x27;s son")
    assert "Says his mum will call" in diary
    assert ('8 December 2026</time> <span class="app-secondary-text">(recorded 9 December '
            '2026 at 10:15am)') in " ".join(diary.split())
