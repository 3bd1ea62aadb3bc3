"""Payment arrangements: the schedule's dates (weekly and monthly, the 31st in a shorter
month) and its agreement with the arrears run's SQL, the term a manager must approve, the
schedule against what was paid, breach and kept detection, refusals, and the screens with
who may see, act and approve."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from rents import arrangements
from rents.arrangements import add_months, clears_on, due_on, instalments_due, schedule
from rents.arrears import instalments_due_sql, run_arrears
from rents.models import Arrangement, CaseEvent, Recommendation, Transaction
from tests.rents.test_casework import AT, TODAY, let_home, make_policy, recommend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


@pytest.fixture
def account(north):
    return let_home(north, address="12 Mill Lane", names=(("Ada", "Quick"),))  # owes £412.50


def _make(account, user, **fields):
    values = {"amount_pence": 1000, "frequency": "weekly", "start_date": TODAY,
              "agreed_on": TODAY, "agreement": "By phone with Ms Quick", **fields}
    return arrangements.make_arrangement(account_id=account.pk, by=user, at=AT, **values)


def _post(account, pence, on, kind="adjustment"):
    Transaction.objects.create(account=account, posted_on=on, kind=kind, amount_pence=pence,
                               source="officer", reference="test", created_at=AT)


# --- The schedule's dates -------------------------------------------------------------------


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year
    (date(2026, 1, 31), 2, date(2026, 3, 31)),  # counted from the start, not from February
    (date(2026, 8, 31), 3, date(2026, 11, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 12, 15), 0, date(2026, 12, 15)),
])
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("start", "frequency", "on", "due"), [
    (date(2026, 11, 16), "weekly", date(2026, 11, 15), 0),
    (date(2026, 11, 16), "weekly", date(2026, 11, 16), 1),  # the first is due on the start
    (date(2026, 11, 16), "weekly", date(2026, 11, 22), 1),
    (date(2026, 11, 16), "weekly", date(2026, 11, 23), 2),
    (date(2026, 8, 31), "monthly", date(2026, 9, 29), 1),
    (date(2026, 8, 31), "monthly", date(2026, 9, 30), 2),  # 30 September: the last day
    (date(2026, 8, 31), "monthly", date(2026, 10, 30), 2),
    (date(2026, 8, 31), "monthly", date(2026, 10, 31), 3),
    (date(2026, 8, 31), "monthly", date(2026, 11, 30), 4),
    (date(2026, 1, 31), "monthly", date(2026, 2, 27), 1),
    (date(2026, 1, 31), "monthly", date(2026, 2, 28), 2),
    (date(2026, 1, 31), "monthly", date(2026, 3, 30), 2),
    (date(2026, 1, 31), "monthly", date(2026, 3, 31), 3),
    (date(2026, 9, 15), "monthly", date(2026, 11, 30), 3),
])
def test_instalments_due(start, frequency, on, due):
    assert instalments_due(start, frequency, on) == due


@pytest.mark.parametrize("start", [date(2026, 1, 31), date(2026, 8, 31), date(2027, 2, 28),
                                   date(2027, 3, 30), date(2027, 12, 29), date(2028, 2, 29)])
@pytest.mark.parametrize("frequency", ["weekly", "monthly"])
def test_the_arrears_runs_sql_counts_instalments_as_python_does(start, frequency):
    expression = instalments_due_sql("%(start)s::date", "%(frequency)s", "d::date")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT d::date, {expression} FROM generate_series("  # noqa: S608
                       f"%(start)s::date - 3, %(start)s::date + 800, '1 day') d",
                       {"start": start, "frequency": frequency})
        rows = cursor.fetchall()
    assert len(rows) == 804
    assert [(day, instalments_due(start, frequency, day)) for day, _n in rows] == rows


@pytest.mark.parametrize(("frequency", "number", "expected"), [
    ("weekly", 1, date(2026, 12, 9)),
    ("weekly", 42, date(2026, 12, 9) + timedelta(weeks=41)),
    ("monthly", 1, date(2026, 12, 9)),
    ("monthly", 21, date(2028, 8, 9)),
])
def test_due_on(frequency, number, expected):
    assert due_on(TODAY, frequency, number) == expected


def test_clears_on_the_day_the_last_instalment_is_due():
    assert clears_on(TODAY, "weekly", 41250, 1000) == TODAY + timedelta(weeks=41)  # 42 of them
    assert clears_on(TODAY, "weekly", 1000, 1000) == TODAY
    assert clears_on(TODAY, "monthly", 41250, 2000) == date(2028, 8, 9)  # 21 of them


# --- Agreeing, approving, ending ------------------------------------------------------------


def test_an_arrangement_within_the_term_is_active_and_holds_back_recovery(account,
                                                                           income_officer):
    stages = make_policy()
    open_one = recommend(account, stages["letter-1"])
    arrangement = _make(account, income_officer)
    assert arrangement.status == "active"
    assert arrangement.debt_pence == 41250  # what is owed today
    event = CaseEvent.objects.get(account=account, kind="arrangement")
    assert event.summary == "Payment arrangement agreed: £10.00 a week"
    assert event.detail.startswith("£10.00 a week on top of the rent from 9 December 2026, to "
                                   "clear £412.50 by 22 September 2027.")
    assert event.created_by == income_officer
    open_one.refresh_from_db()
    assert open_one.status == "withdrawn"
    assert open_one.decision_note == "A payment arrangement was agreed."
    run = run_arrears(as_of=TODAY, by=None, at=AT)
    assert run.held == {"Payment arrangement being kept": 1}
    assert not Recommendation.objects.filter(account=account, status="open").exists()


# The default policy allows 104 weeks: £412.50 at £3.93 a week is 105 payments, the last on
# the start date + 104 weeks (allowed); at £3.92 it is 106 (a manager must approve).
@pytest.mark.parametrize(("frequency", "amount", "status"), [
    ("weekly", 393, "active"),
    ("weekly", 392, "pending"),
    ("monthly", 1720, "active"),  # 24 payments: the last on 9 November 2028, within 104 weeks
    ("monthly", 1718, "pending"),  # 25: 9 December 2028, after 6 December 2028
])
def test_the_longest_term_without_approval(account, income_officer, frequency, amount, status):
    assert _make(account, income_officer, frequency=frequency,
                 amount_pence=amount).status == status


def test_a_long_arrangement_waits_for_another_manager(account, income_officer, team_leader):
    stages = make_policy()
    open_one = recommend(account, stages["letter-1"])
    arrangement = _make(account, income_officer, amount_pence=100)
    assert arrangement.status == "pending"
    event = CaseEvent.objects.get(account=account, kind="arrangement")
    assert event.summary == "Payment arrangement proposed: waiting for a manager's approval"
    assert "longer than the 104 weeks the policy allows" in event.detail
    open_one.refresh_from_db()
    assert open_one.status == "open"  # a pending arrangement does not hold back recovery
    assert run_arrears(as_of=TODAY, by=None, at=AT).held == {}

    with pytest.raises(ValidationError, match="Only a manager may approve"):
        arrangements.approve_arrangement(arrangement_id=arrangement.pk, by=income_officer,
                                         at=AT)
    arrangements.approve_arrangement(arrangement_id=arrangement.pk, by=team_leader, at=AT)
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.approved_by) == ("active", team_leader)
    open_one.refresh_from_db()
    assert open_one.status == "withdrawn"
    assert CaseEvent.objects.filter(
        account=account, summary="Payment arrangement approved by a manager").count() == 1
    with pytest.raises(ValidationError, match="cannot be approved: it is active"):
        arrangements.approve_arrangement(arrangement_id=arrangement.pk, by=team_leader, at=AT)

    # A manager's own long arrangement needs a second manager.
    other = let_home(account.tenancy.property.estate.patch, address="1 Other Road")
    own = _make(other, team_leader, amount_pence=100)
    with pytest.raises(ValidationError, match="another manager must approve it"):
        arrangements.approve_arrangement(arrangement_id=own.pk, by=team_leader, at=AT)
    assert Arrangement.objects.get(pk=own.pk).status == "pending"


def test_refusing_a_long_arrangement_needs_a_reason(account, income_officer, team_leader):
    arrangement = _make(account, income_officer, amount_pence=100)
    with pytest.raises(ValidationError) as refused:
        arrangements.reject_arrangement(arrangement_id=arrangement.pk, reason=" ",
                                        by=team_leader, at=AT)
    assert "Give the reason for not approving it" in refused.value.message_dict["reason"][0]
    arrangements.reject_arrangement(arrangement_id=arrangement.pk, reason="Can pay more",
                                    by=team_leader, at=AT)
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.end_reason) == ("rejected", "Can pay more")
    assert _make(account, income_officer, amount_pence=1000).status == "active"  # a new one


REFUSALS = [
    ({"amount_pence": None}, "amount_pence", "Enter the amount to pay on top of the rent"),
    ({"amount_pence": 0}, "amount_pence", "more than £0.00"),
    ({"frequency": "daily"}, "frequency", "Select how often"),
    ({"agreed_on": None}, "agreed_on", "Enter the date the tenant agreed"),
    ({"agreed_on": TODAY + timedelta(days=1), "start_date": TODAY + timedelta(days=1)},
     "agreed_on", "must be today or in the past"),
    ({"start_date": None}, "start_date", "Enter the date of the first payment"),
    ({"agreed_on": TODAY, "start_date": TODAY - timedelta(days=1)}, "start_date",
     "on or after the day the tenant agreed"),
    ({"start_date": TODAY + timedelta(days=32)}, "start_date", "within a month of today"),
    ({"agreement": "  "}, "agreement", "Say how the tenant agreed"),
]


@pytest.mark.parametrize(("fields", "field", "message"), REFUSALS)
def test_bad_arrangements_are_refused_with_the_reason(account, income_officer, fields, field,
                                                      message):
    with pytest.raises(ValidationError) as refused:
        _make(account, income_officer, **fields)
    assert message in refused.value.message_dict[field][0]
    assert not Arrangement.objects.exists()
    assert not CaseEvent.objects.exists()


def test_no_arrangement_when_nothing_is_owed_or_the_tenancy_ended(north, income_officer):
    clear = let_home(north, owed=0)
    with pytest.raises(ValidationError, match=r"owes nothing today \(its balance is £0.00\)"):
        _make(clear, income_officer)
    ended = let_home(north, address="2 Gone Street", end=date(2026, 11, 1))
    with pytest.raises(ValidationError, match="The tenancy ended on 1 November 2026"):
        _make(ended, income_officer)
    assert not Arrangement.objects.exists()


def test_one_arrangement_at_a_time_and_a_new_one_replaces_a_breach(account, income_officer):
    first = _make(account, income_officer)
    with pytest.raises(ValidationError, match=r"already has an arrangement \(Active, £10.00 a "
                                              r"week from 9 December 2026\)"):
        _make(account, income_officer, amount_pence=2000)
    Arrangement.objects.filter(pk=first.pk).update(status="breached", breached_on=TODAY)
    second = _make(account, income_officer, amount_pence=2000)
    first.refresh_from_db()
    assert (first.status, second.status) == ("ended", "active")
    assert first.end_reason == "Reviewed after its breach: replaced by a new arrangement."
    assert CaseEvent.objects.filter(
        account=account, summary="Breached payment arrangement reviewed: replaced").count() == 1


def test_ending_an_arrangement(account, income_officer):
    arrangement = _make(account, income_officer)
    with pytest.raises(ValidationError):
        arrangements.end_arrangement(arrangement_id=arrangement.pk, reason="", by=income_officer,
                                     at=AT)
    Arrangement.objects.filter(pk=arrangement.pk).update(status="breached", breached_on=TODAY)
    arrangements.end_arrangement(arrangement_id=arrangement.pk, reason="No payments, no contact",
                                 by=income_officer, at=AT)
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.ended_by) == ("ended", income_officer)
    event = CaseEvent.objects.filter(account=account).first()
    assert (event.summary, event.detail) == ("Breached payment arrangement reviewed: ended",
                                             "No payments, no contact")
    with pytest.raises(ValidationError, match="cannot be ended: it is ended"):
        arrangements.end_arrangement(arrangement_id=arrangement.pk, reason="Again",
                                     by=income_officer, at=AT)


# --- The schedule against what was paid, breaches and keeping -------------------------------


@pytest.fixture
def weekly_case(north, income_officer):
    """£10.00 a week from Wednesday 18 November on £100.00 owed, with £100.00 rent charged
    each Monday; the tenant paid rent and instalment on 18 and 25 November, £50.00 on 2
    December, and nothing since."""
    account = let_home(north, owed=0)
    _post(account, 10000, date(2026, 11, 2))
    for monday in (date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 7)):
        _post(account, 10000, monday, kind="charge")
    for day, pence in ((date(2026, 11, 18), -11000), (date(2026, 11, 25), -11000),
                       (date(2026, 12, 2), -5000)):
        _post(account, pence, day, kind="payment")
    arrangement = Arrangement.objects.create(
        account=account, amount_pence=1000, frequency="weekly", start_date=date(2026, 11, 18),
        debt_pence=10000, agreed_on=date(2026, 11, 18), agreement="In person",
        created_by=income_officer, created_at=AT)
    return account, arrangement


def test_the_schedule_against_what_was_paid(weekly_case):
    _account, arrangement = weekly_case
    plan = schedule(arrangement, today=TODAY)
    assert len(plan.rows) == 10 and plan.clears_on == date(2027, 1, 20)
    assert plan.tolerance_pence == 500
    due = [(row.due_on, row.expected_pence, row.credited_pence, row.owed_pence, row.behind_pence)
           for row in plan.rows if row.owed_pence is not None]
    assert due == [
        (date(2026, 11, 18), 9000, 11000, -1000, 0),  # that week's rent is not yet counted
        (date(2026, 11, 25), 8000, 11000, -2000, 0),
        (date(2026, 12, 2), 7000, 5000, 3000, 0),
    ]
    assert plan.latest.number == 3
    # The fourth is due today: the tenant has until the end of the day to pay it.
    assert plan.rows[3].due_on == TODAY
    assert [row.owed_pence for row in plan.rows[3:]] == [None] * 7
    assert plan.rows[-1].instalment_pence == 1000 and plan.rows[-1].expected_pence == 0
    # Today: £100.00 + three weeks' rent (not this week's) - £270.00 paid = £130.00 owed,
    # against £70.00 after the three payments due before today.
    assert (plan.owed_now_pence, plan.expected_now_pence, plan.late_so_far) == (13000, 7000, 3)
    assert (plan.behind_now_pence, plan.breached_now) == (6000, True)


def test_the_run_flags_the_breach_the_schedule_shows(weekly_case):
    account, arrangement = weekly_case
    result = run_arrears(as_of=TODAY, by=None, at=AT)
    arrangement.refresh_from_db()
    assert (result.breaches, arrangement.status, arrangement.breached_on) == (1, "breached",
                                                                             TODAY)
    event = CaseEvent.objects.get(account=account, kind="arrangement")
    assert "£60.00 behind" in event.detail  # as the schedule says
    assert schedule(arrangement, today=TODAY).behind_now_pence == 6000
    assert run_arrears(as_of=TODAY, by=None, at=AT).changed == 0


def test_an_arrangement_that_clears_the_debt_is_kept(weekly_case):
    account, arrangement = weekly_case
    _post(account, -13000, TODAY, kind="payment")  # all but this week's rent
    result = run_arrears(as_of=TODAY, by=None, at=AT)
    arrangement.refresh_from_db()
    assert (result.kept, result.breaches, arrangement.status) == (1, 0, "kept")
    event = CaseEvent.objects.get(account=account, kind="arrangement")
    assert event.summary == "Payment arrangement kept: the debt is cleared"
    assert "Owed nothing on 9 December 2026 before this week's rent" in event.detail
    assert run_arrears(as_of=TODAY, by=None, at=AT).changed == 0


# --- Screens --------------------------------------------------------------------------------


def _pages(account, arrangement):
    return {
        "read": [f"/rents/arrears/arrangements/{arrangement.pk}/",
                 "/rents/arrears/arrangements/?status=pending"],
        "work": [f"/rents/arrears/accounts/{account.pk}/arrangements/new/",
                 f"/rents/arrears/arrangements/{arrangement.pk}/end/"],
        "approve": [f"/rents/arrears/arrangements/{arrangement.pk}/refuse/"],
    }


def _posts(account, arrangement):
    return {
        "work": [(f"/rents/arrears/accounts/{account.pk}/arrangements/new/",
                  {"amount": "20.00", "frequency": "weekly", "start_date": "2026-12-11",
                   "agreed_on": "2026-12-09", "agreement": "By phone"}),
                 (f"/rents/arrears/arrangements/{arrangement.pk}/end/", {"reason": "Ended"})],
        "approve": [(f"/rents/arrears/arrangements/{arrangement.pk}/approve/", {}),
                    (f"/rents/arrears/arrangements/{arrangement.pk}/refuse/",
                     {"reason": "No"})],
    }


@pytest.fixture
def pending(account, income_officer):
    return _make(account, income_officer, amount_pence=100)


def _unchanged(arrangement):
    arrangement.refresh_from_db()
    assert arrangement.status == "pending"
    assert Arrangement.objects.count() == 1


def test_who_may_see_act_and_approve(client_for, officer, income_officer, team_leader,
                                     account, pending):
    pages, posts = _pages(account, pending), _posts(account, pending)
    # A Housing Officer sees, but may not act.
    client = client_for(officer)
    for path in pages["read"]:
        assert client.get(path).status_code == 200, path
    for path in pages["work"] + pages["approve"]:
        assert client.get(path).status_code == 403, path
    for path, data in posts["work"] + posts["approve"]:
        assert client.post(path, data).status_code == 403, path
    _unchanged(pending)
    # An Income Officer acts, but may not approve.
    client = client_for(income_officer)
    for path in pages["read"] + pages["work"]:
        assert client.get(path).status_code == 200, path
    for path, data in posts["approve"]:
        assert client.post(path, data).status_code == 403, path
    _unchanged(pending)
    # A Team Leader approves.
    response = client_for(team_leader).post(posts["approve"][0][0])
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "active"


@pytest.mark.parametrize("persona", ["customer_access", "repairs_officer", "council_tax",
                                     "no_access", "tenant"])
def test_roles_without_arrears_are_refused(client_for, request, persona, account, pending):
    client = client_for(request.getfixturevalue(persona))
    pages, posts = _pages(account, pending), _posts(account, pending)
    for path in pages["read"] + pages["work"] + pages["approve"]:
        assert client.get(path).status_code == 403, path
    for path, data in posts["work"] + posts["approve"]:
        assert client.post(path, data).status_code == 403, path
    _unchanged(pending)


def test_anonymous_visitors_are_sent_to_sign_in(client_for, account, pending):
    client = client_for(None)
    pages, posts = _pages(account, pending), _posts(account, pending)
    for path in pages["read"] + pages["work"] + pages["approve"]:
        response = client.get(path)
        assert response.status_code == 302 and response.url.startswith("/accounts/login/"), path
    for path, data in posts["work"] + posts["approve"]:
        assert client.post(path, data).status_code == 302, path
    _unchanged(pending)


def test_an_arrangement_off_the_officers_patches_is_not_found(client_for, income_officer,
                                                              team_leader, south):
    far = let_home(south, address="3 Far Road")
    arrangement = _make(far, team_leader, amount_pence=100)
    client = client_for(income_officer)
    pages, posts = _pages(far, arrangement), _posts(far, arrangement)
    for path in [pages["read"][0], *pages["work"]]:
        assert client.get(path).status_code == 404, path
    for path, data in posts["work"]:
        assert client.post(path, data).status_code == 404, path
    listing = client.get("/rents/arrears/arrangements/?status=pending")
    assert "3 Far Road" not in listing.content.decode()
    _unchanged(arrangement)


def test_agreeing_an_arrangement_from_the_case(client_for, income_officer, account):
    client = client_for(income_officer)
    case = client.get(f"/rents/arrears/accounts/{account.pk}/").content.decode()
    assert "No arrangement is in place." in case
    new = f"/rents/arrears/accounts/{account.pk}/arrangements/new/"
    assert "Agree a payment arrangement" in case and new in case
    form = client.get(new).content.decode()
    assert "£412.50" in form and "longer than 104 weeks" in form
    response = client.post(new, {"amount": "20.00", "frequency": "monthly",
                                 "start_date": "", "agreed_on": "2026-12-09",
                                 "agreement": "Signed form"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "Enter the date of the first payment." in page
    assert 'value="20.00"' in page and "Signed form" in page  # kept
    response = client.post(new, {"amount": "20.00", "frequency": "monthly",
                                 "start_date": "2026-12-15", "agreed_on": "2026-12-09",
                                 "agreement": "Signed form"}, follow=True)
    page = response.content.decode()
    arrangement = Arrangement.objects.get()
    assert response.redirect_chain[-1][0] == f"/rents/arrears/arrangements/{arrangement.pk}/"
    assert "Arrangement agreed. It clears the debt by 15 August 2028." in page
    assert "15 December 2026" in page and "15 July 2028" in page  # the schedule
    case = client.get(f"/rents/arrears/accounts/{account.pk}/").content.decode()
    assert "£20.00 every month on top of the rent" in case
    assert "No payment is late yet: the first is due on 15 December 2026." in case


def test_a_team_leader_approves_from_the_arrangement_page(client_for, team_leader, pending):
    page = client_for(team_leader).get(f"/rents/arrears/arrangements/{pending.pk}/")
    text = page.content.decode()
    assert "Approve the arrangement" in text and "Do not approve it" in text
    assert ("later than the 104 weeks from its start (to 6 December 2028) that the policy "
            "allows") in text
    response = client_for(team_leader).post(f"/rents/arrears/arrangements/{pending.pk}/refuse/",
                                            {"reason": ""})
    assert "Give the reason for not approving it" in response.content.decode()
    response = client_for(team_leader).post(f"/rents/arrears/arrangements/{pending.pk}/refuse/",
                                            {"reason": "Can pay more"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "rejected"


def test_the_list_reads_a_fixed_number_of_queries(client_for, team_leader, north,
                                                  income_officer):
    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client_for(team_leader).get("/rents/arrears/arrangements/?status=pending")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    _make(let_home(north, address="1 First Road"), income_officer, amount_pence=100)
    few, page = count()
    assert "1 First Road" in page and "Waiting for approval (1)" in page
    for number in range(2, 6):
        _make(let_home(north, address=f"{number} More Road"), income_officer, amount_pence=100)
    many, page = count()
    assert "5 More Road" in page and "Waiting for approval (5)" in page
    assert many == few


def test_the_case_shows_a_breach_to_review(client_for, income_officer, weekly_case):
    account, arrangement = weekly_case
    run_arrears(as_of=TODAY, by=None, at=AT)
    client = client_for(income_officer)
    case = " ".join(client.get(f"/rents/arrears/accounts/{account.pk}/").content.decode().split())
    assert "Breached: for review" in case
    assert ('Behind</strong> by <span class="app-numeric">£60.00</span>: owes <span '
            'class="app-numeric">£130.00</span> before this week’s rent, against <span '
            'class="app-numeric">£70.00</span> after 3 payments.') in case
    assert f"/rents/arrears/arrangements/{arrangement.pk}/end/" in case  # Review the breach
    listing = client.get("/rents/arrears/arrangements/?status=breached").content.decode()
    assert "Breached: for review (1)" in listing and account.tenancy.reference in listing
    review = client.get(f"/rents/arrears/arrangements/{arrangement.pk}/end/").content.decode()
    assert "Review the breached arrangement" in review
    assert f"/rents/arrears/accounts/{account.pk}/arrangements/new/" in review
    worklist = client.get("/rents/arrears/").content.decode()
    assert 'href="/rents/arrears/arrangements/"' in worklist


def test_a_long_schedule_shows_those_due_the_next_seven_and_the_last(weekly_case):
    _account, arrangement = weekly_case
    plan = schedule(arrangement, today=TODAY)  # 10 payments, 3 due before today
    assert plan.shown() == (plan.rows, None)  # up to 52: all
    rows, left_out = plan.shown(up_to=5, ahead=2)
    assert [row.number for row in rows] == [1, 2, 3, 4, 5, 10]
    assert left_out.number == 6
    assert plan.shown(up_to=5, ahead=6) == (plan.rows, None)  # only one would be left out
