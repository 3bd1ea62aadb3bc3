"""The letters reconciliation (rents.reconciliation): letters due against letters produced on
the case page and as a rent report with its CSV. A stage accepted whose letter was never
produced is caught; a letter recommendation waiting longer than the policy allows is overdue
(exactly at the limit is not); a produced letter is not flagged; the report covers the
officer's patches only and reads a fixed number of queries however many accounts."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from housing.models import BackgroundJob
from rents import casework, reconciliation
from rents.models import ArrearsPolicy, CaseEvent, Recommendation
from rents.reports import Scope
from tenancies.models import Letter
from tests.rents.test_casework import AT, TODAY, let_home, make_policy, recommend
from tests.rents.test_reports import _csv, _run_report

pytestmark = pytest.mark.django_db
KIND = "letters_reconciliation"
HEADER = ["Account reference", "Tenancy reference", "Address", "Postcode", "Patch", "Stage",
          "Recommended on", "Accepted on", "Days waiting", "Problem"]


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
    return let_home(north, address="12 Mill Lane")


def _days_ago(days: int):
    return AT - timedelta(days=days)


def accepted_without_letter(account, stage, *, on: date, recommended: date) -> Recommendation:
    """The fault the reconciliation is for: the stage accepted and recorded in the diary as
    taken (so the arrears run moves on), but no letter was ever produced."""
    recommendation = recommend(account, stage, created_at=_days_ago((TODAY - recommended).days))
    at = _days_ago((TODAY - on).days)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status=Recommendation.Status.ACCEPTED, decided_at=at)
    CaseEvent.objects.create(account=account, kind=CaseEvent.Kind.ACTION, stage=stage,
                             action=stage.action, happened_on=on,
                             summary=f"{stage.name}: letter", recommendation=recommendation,
                             created_at=at)
    return recommendation


def _page(client, account) -> str:
    response = client.get(f"/rents/arrears/accounts/{account.pk}/")
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def _panel(account, user, today=TODAY) -> dict:
    return reconciliation.case_panel(account, user=user, today=today)


# --- A letter never produced ----------------------------------------------------------------


def test_a_stage_accepted_whose_letter_was_never_produced_is_caught(
        client_for, team_leader, income_officer, account, stages,
        django_capture_on_commit_callbacks):
    accepted_without_letter(account, stages["letter-1"], on=date(2026, 12, 3),
                            recommended=date(2026, 12, 1))

    panel = _panel(account, income_officer)
    assert (panel["due"], panel["produced"], panel["waiting"]) == (1, 0, 0)
    [missing] = panel["problems"]
    assert (missing.stage, missing.problem, missing.accepted_on, missing.days) == (
        "Letter 1", "missing", date(2026, 12, 3), 6)
    page = _page(client_for(income_officer), account)
    assert "Letters due and produced" in page
    assert ("<strong>Letter 1</strong>: accepted on 3 December 2026 (6 days ago), but no "
            "letter was produced.") in page
    assert "All letters due have been produced" not in page

    client = client_for(team_leader)
    job = _run_report(client, KIND, django_capture_on_commit_callbacks)
    data = job.result_data
    assert data["total"] == {"patch": "All patches", "due": 1, "produced": 0, "waiting": 0,
                             "missing": 1, "overdue": 0, "unlinked": 0, "accounts": 1}
    assert [(row["reference"], row["stage"], row["accepted_label"], row["days"],
             row["problem"]) for row in data["problems"]] == [
        (account.tenancy.reference, "Letter 1", "3 December 2026", 6, "missing")]
    assert job.result_summary == ("Letters on 9 December 2026: 1 letter due, 0 produced, "
                                  "1 missing, 0 overdue.")
    assert _csv(client, job) == [HEADER, [
        account.payment_reference, account.tenancy.reference, "12 Mill Lane", "EX1 2HL",
        "North", "Letter 1", "2026-12-01", "2026-12-03", "6",
        "Accepted, but no letter was produced"]]
    report = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Arrears letters reconciliation ready" in report
    assert f'href="/rents/arrears/accounts/{account.pk}/"' in report
    assert "Accepted, but no letter was produced" in report


def test_a_diary_row_recording_a_letter_stage_without_a_recommendation_needs_its_letter(
        income_officer, account, stages):
    CaseEvent.objects.create(account=account, kind=CaseEvent.Kind.ACTION,
                             stage=stages["letter-2"], action="letter",
                             happened_on=date(2026, 11, 20), summary="Letter 2 sent",
                             created_at=AT)
    [missing] = _panel(account, income_officer)["problems"]
    assert (missing.stage, missing.problem, missing.recommended_on, missing.days) == (
        "Letter 2", "missing", None, 19)


def test_a_reminder_sent_is_not_a_letter_due(income_officer, account, stages):
    """A reminder's template is the text it sends: accepting it makes no letter to miss."""
    from rents.models import LetterTemplate

    reminder = stages["reminder"]
    reminder.letter_template = LetterTemplate.objects.create(
        code="test-reminder", name="Reminder text", subject="", body="You owe {{ owed }}.")
    reminder.save()
    accepted_without_letter(account, reminder, on=date(2026, 12, 3),
                            recommended=date(2026, 12, 1))
    recommend(account, reminder, created_at=_days_ago(30))  # waiting a month: not a letter
    panel = _panel(account, income_officer)
    assert (panel["due"], panel["produced"], panel["problems"]) == (0, 0, [])


def test_a_letter_produced_but_not_linked_from_the_diary_is_flagged(
        client_for, income_officer, account, stages):
    recommendation = accepted_without_letter(account, stages["letter-1"],
                                             on=date(2026, 12, 8), recommended=date(2026, 12, 8))
    Letter.objects.create(tenancy=account.tenancy, kind=Letter.Kind.ARREARS,
                          key=casework.letter_key(recommendation.pk), title="Letter 1",
                          file="letters/letter-1.pdf", created_at=AT)
    panel = _panel(account, income_officer)
    assert (panel["due"], panel["produced"]) == (1, 1)
    assert [letter.problem for letter in panel["problems"]] == ["unlinked"]
    assert ("<strong>Letter 1</strong>: produced when accepted on 8 December 2026, but the "
            "case diary does not link the letter.") in _page(client_for(income_officer), account)


# --- Letters produced -----------------------------------------------------------------------


def test_a_produced_letter_is_not_flagged(client_for, income_officer, team_leader, account,
                                          stages, django_capture_on_commit_callbacks):
    casework.accept_recommendation(
        recommendation_id=recommend(account, stages["letter-1"]).pk, by=income_officer, at=AT)
    # Decisions that send no letter are not due: a visit accepted, Letter 2 overridden.
    casework.accept_recommendation(
        recommendation_id=recommend(account, stages["visit"]).pk, by=income_officer, at=AT)
    casework.override_recommendation(
        recommendation_id=recommend(account, stages["letter-2"]).pk, reason="Paid in full",
        by=income_officer, at=AT)

    panel = _panel(account, income_officer)
    assert (panel["due"], panel["produced"], panel["waiting"], panel["problems"]) == (
        1, 1, 0, [])
    assert "All letters due have been produced." in _page(client_for(income_officer), account)

    client = client_for(team_leader)
    job = _run_report(client, KIND, django_capture_on_commit_callbacks)
    assert job.result_data["total"] == {"patch": "All patches", "due": 1, "produced": 1,
                                        "waiting": 0, "missing": 0, "overdue": 0,
                                        "unlinked": 0, "accounts": 0}
    assert job.result_data["problems"] == []
    assert _csv(client, job) == [HEADER]
    assert "No letter is missing or overdue" in client.get(f"/jobs/{job.pk}/").content.decode()


def test_a_case_with_no_letters_says_so(client_for, officer, account, stages):
    recommend(account, stages["reminder"])
    assert _panel(account, officer)["due"] == 0
    assert "No arrears letters have been due on this case." in _page(client_for(officer),
                                                                     account)


# --- Waiting letters: overdue after the policy's days ---------------------------------------


@pytest.mark.parametrize(("days_ago", "stalled_after", "overdue"), [
    (0, 7, False), (7, 7, False), (8, 7, True), (30, 7, True),
    (8, 10, False), (11, 10, True), (1, 0, True), (0, 0, False),
])
def test_an_open_letter_recommendation_is_overdue_after_the_policys_days(
        income_officer, account, stages, days_ago, stalled_after, overdue):
    ArrearsPolicy.objects.update(letter_stalled_after_days=stalled_after)
    recommend(account, stages["letter-1"], created_at=_days_ago(days_ago))
    panel = _panel(account, income_officer)
    assert (panel["due"], panel["produced"], panel["waiting"]) == (1, 0, 1)
    assert [letter.problem for letter in panel["problems"]] == (["overdue"] if overdue else [])
    assert panel["stalled_after_days"] == stalled_after


def test_the_limit_is_counted_in_local_dates(income_officer, account, stages):
    """Recommended at 23:30 on 1 July (London, summer time: 22:30 UTC) is 7 days old on
    8 July and overdue on 9 July, whatever the hour."""
    from datetime import UTC, datetime

    recommend(account, stages["letter-1"], created_at=datetime(2026, 7, 1, 22, 30, tzinfo=UTC))
    assert _panel(account, income_officer, today=date(2026, 7, 8))["problems"] == []
    [late] = _panel(account, income_officer, today=date(2026, 7, 9))["problems"]
    assert (late.recommended_on, late.days) == (date(2026, 7, 1), 8)


def test_the_case_page_names_the_overdue_letter_and_what_to_do(client_for, officer, account,
                                                               stages):
    recommend(account, stages["letter-1"], created_at=_days_ago(8))
    page = _page(client_for(officer), account)  # read-only: the Housing Officer sees it too
    assert ("<strong>Letter 1</strong>: recommended on 1 December 2026 and waiting 8 days, "
            "longer than the 7 days the policy allows.") in page


def test_a_letter_waiting_within_the_limit_is_not_a_problem(client_for, income_officer,
                                                            account, stages):
    recommend(account, stages["letter-1"], created_at=_days_ago(7))
    page = _page(client_for(income_officer), account)
    assert ("All letters due have been produced, apart from the recommendation waiting for "
            "the officer (within the 7 days the policy allows).") in page
    assert "needs attention" not in page


def test_without_a_policy_in_force_a_letter_may_wait_seven_days(stages):
    ArrearsPolicy.objects.update(letter_stalled_after_days=3)
    assert reconciliation.stalled_after_days(TODAY) == 3
    assert reconciliation.stalled_after_days(date(2019, 3, 1)) == 7  # before any policy


# --- The report: scope, counts and queries --------------------------------------------------


@pytest.fixture
def patches(north, south, stages, income_officer):
    """North: one letter missing, one overdue, one produced. South: one missing."""
    north_missing = let_home(north, address="1 North Road")
    accepted_without_letter(north_missing, stages["letter-1"], on=date(2026, 11, 30),
                            recommended=date(2026, 11, 27))
    north_overdue = let_home(north, address="2 North Road")
    recommend(north_overdue, stages["letter-1"], created_at=_days_ago(12))
    north_sent = let_home(north, address="3 North Road")
    casework.accept_recommendation(
        recommendation_id=recommend(north_sent, stages["letter-1"]).pk, by=income_officer,
        at=AT)
    south_missing = let_home(south, address="1 South Road")
    accepted_without_letter(south_missing, stages["letter-2"], on=date(2026, 12, 2),
                            recommended=date(2026, 12, 2))
    return {"north_missing": north_missing, "north_overdue": north_overdue,
            "south_missing": south_missing}


def test_the_report_counts_by_patch_worst_first(client_for, team_leader, patches,
                                                django_capture_on_commit_callbacks):
    client = client_for(team_leader)
    job = _run_report(client, KIND, django_capture_on_commit_callbacks)
    data = job.result_data
    assert data["patches"] == [
        {"patch": "North", "due": 3, "produced": 1, "waiting": 1, "missing": 1, "overdue": 1,
         "unlinked": 0, "accounts": 2},
        {"patch": "South", "due": 1, "produced": 0, "waiting": 0, "missing": 1, "overdue": 0,
         "unlinked": 0, "accounts": 1},
    ]
    assert data["total"] == {"patch": "All patches", "due": 4, "produced": 1, "waiting": 1,
                             "missing": 2, "overdue": 1, "unlinked": 0, "accounts": 3}
    assert job.result_summary == ("Letters on 9 December 2026: 4 letters due, 1 produced, "
                                  "2 missing, 1 overdue.")
    # Missing letters first (the longest waiting first), then overdue ones.
    assert [(row[2], row[4], row[5], row[6], row[7], row[8], row[9])
            for row in _csv(client, job)[1:]] == [
        ("1 North Road", "North", "Letter 1", "2026-11-27", "2026-11-30", "9",
         "Accepted, but no letter was produced"),
        ("1 South Road", "South", "Letter 2", "2026-12-02", "2026-12-02", "7",
         "Accepted, but no letter was produced"),
        ("2 North Road", "North", "Letter 1", "2026-11-27", "", "12",
         "Waiting longer than the policy allows"),
    ]


def test_accounts_off_the_officers_patches_are_not_in_their_report(
        client_for, income_officer, officer, patches, django_capture_on_commit_callbacks):
    for user in (income_officer, officer):
        client = client_for(user)
        job = _run_report(client, KIND, django_capture_on_commit_callbacks)
        assert [line["patch"] for line in job.result_data["patches"]] == ["North"]
        assert job.result_data["total"]["missing"] == 1
        rows = _csv(client, job)[1:]
        assert {row[4] for row in rows} == {"North"}
        assert "1 South Road" not in {row[2] for row in rows}
        page = client.get(f"/jobs/{job.pk}/").content.decode()
        assert "1 South Road" not in page and "1 North Road" in page


def test_the_report_reads_a_fixed_number_of_queries(north, south, stages):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            result = reconciliation.report(today=TODAY, scope=Scope(patch_ids=None,
                                                                    suspense=True))
        return len(captured), result.data["total"]["due"]

    accepted_without_letter(let_home(north, address="1 Road"), stages["letter-1"],
                            on=date(2026, 12, 1), recommended=date(2026, 12, 1))
    few = queries()
    for number in range(2, 8):
        home = let_home(north if number % 2 else south, address=f"{number} Road")
        accepted_without_letter(home, stages["letter-1"], on=date(2026, 12, 1),
                                recommended=date(2026, 12, 1))
        recommend(home, stages["letter-2"], created_at=_days_ago(number * 2))
    many = queries()
    assert few[1] == 1 and many[1] == 13
    assert few[0] == many[0]


def test_the_case_panel_reads_a_fixed_number_of_queries(income_officer, account, stages):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            _panel(account, income_officer)
        return len(captured)

    _panel(account, income_officer)  # the user's permissions, read once
    before = queries()
    assert before == 2  # the policy in force, then every letter due on the case
    for code in ("letter-1", "letter-2"):
        accepted_without_letter(account, stages[code], on=date(2026, 12, 1),
                                recommended=date(2026, 12, 1))
    recommend(account, stages["letter-1"], created_at=_days_ago(9))
    assert _panel(account, income_officer)["due"] == 3
    assert queries() == before


# --- Who sees it ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["income_officer", "team_leader", "officer"])
def test_roles_with_reports_run_it_and_see_the_panel(client_for, request, persona, account,
                                                    stages,
                                                    django_capture_on_commit_callbacks):
    accepted_without_letter(account, stages["letter-1"], on=date(2026, 12, 3),
                            recommended=date(2026, 12, 1))
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert "Arrears letters reconciliation" in client.get("/rents/reports/").content.decode()
    assert client.get(f"/rents/reports/{KIND}/").status_code == 200
    job = _run_report(client, KIND, django_capture_on_commit_callbacks)
    assert job.started_by == user and job.result_data["total"]["missing"] == 1
    assert "but no letter was produced" in _page(client, account)


@pytest.mark.parametrize("persona", ["customer_access", "repairs_officer", "council_tax",
                                     "no_access", "tenant"])
def test_other_roles_are_refused(client_for, request, persona, team_leader, account, stages,
                                 django_capture_on_commit_callbacks):
    job = _run_report(client_for(team_leader), KIND, django_capture_on_commit_callbacks)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/rents/reports/{KIND}/").status_code == 403
    assert client.post(f"/rents/reports/{KIND}/").status_code == 403
    assert client.get(f"/rents/reports/jobs/{job.pk}/csv/").status_code == 403
    assert client.get(f"/rents/arrears/accounts/{account.pk}/").status_code == 403
    assert BackgroundJob.objects.filter(kind=KIND).count() == 1


def test_anonymous_visitors_sign_in_first(client, account):
    for path in (f"/rents/reports/{KIND}/", f"/rents/arrears/accounts/{account.pk}/"):
        assert client.get(path)["Location"].startswith("/accounts/login/"), path
    assert client.post(f"/rents/reports/{KIND}/")["Location"].startswith("/accounts/login/")
    assert not BackgroundJob.objects.exists()


def test_a_case_off_the_officers_patches_is_not_found(client_for, income_officer, south,
                                                      stages):
    south_account = let_home(south, address="3 Far Road")
    accepted_without_letter(south_account, stages["letter-1"], on=date(2026, 12, 3),
                            recommended=date(2026, 12, 1))
    response = client_for(income_officer).get(f"/rents/arrears/accounts/{south_account.pk}/")
    assert response.status_code == 404


def test_the_panel_is_empty_for_those_who_may_not_see_recommendations(account, stages,
                                                                      repairs_officer):
    accepted_without_letter(account, stages["letter-1"], on=date(2026, 12, 3),
                            recommended=date(2026, 12, 1))
    assert _panel(account, repairs_officer) == {}
