"""Repairs reports (repairs.reports, repairs.report_views): each report's figures on a worked
example, worked out by hand, with the CSV rows behind every figure; scoping by the patches of
who started the job; a fixed number of queries however many orders there are; the checks on
dates; and who may run them."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from freezegun import freeze_time

from housing.models import BackgroundJob, User
from repairs.models import HazardCase, HazardRule, Invoice, Priority, WorkOrder
from repairs.reports import (
    awaab,
    case_state,
    clock_state,
    open_orders,
    percent,
    spend,
    within_target,
)
from tests.housing.factories import PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # Wednesday 9 December 2026, noon in London
TODAY = date(2026, 12, 9)
S = WorkOrder.Status


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 12:00:00"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def south_home(south):
    return PropertyFactory(patch=south, address_line_1="3 South Road", postcode="EX4 1AA")


def _at(day, hour=10, minute=0, month=12):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _complete(order, at, status=S.COMPLETED):
    WorkOrder.objects.filter(pk=order.pk).update(status=status, completed_at=at,
                                                 completed_on=timezone.localdate(at))
    order.refresh_from_db()
    return order


def _fields(prefix, day):
    return {f"{prefix}_day": day.day, f"{prefix}_month": day.month, f"{prefix}_year": day.year}


def _run(client, slug, capture, **dates):
    data = {}
    for name, day in dates.items():
        data.update(_fields(name, day))
    with capture(execute=True):
        response = client.post(f"/repairs/reports/{slug}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    job = BackgroundJob.objects.order_by("-pk").first()
    assert response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED, job.error
    return job


def _csv(client, job) -> list[list[str]]:
    response = client.get(f"/repairs/reports/jobs/{job.pk}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


# --- Completed within target (TSM RP02) ------------------------------------------------------

@pytest.fixture
def completed(home, south_home, contractor_a, make_order, emergency):
    """Completed from 1 to 9 December 2026.
    Emergency (24 hours, against the time): E1 North done in 23½ hours (within); E2 North one
    minute late on the right day (outside); E3 South in 10 hours (within). 2 of 3: 66.7%.
    Routine (20 working days, against the date): R1 North raised 2 November, due 30 November,
    done 1 December (outside); R2 North due 14 December, done 8 December (within); R3 South
    done 9 December (within); R4 North invoiced, done 2 December (within). 3 of 4: 75.0%.
    Not counted: planned work with no target (counted apart), one completed on 30 November,
    one cancelled."""
    planned = Priority.objects.get(code="planned")
    e1 = _complete(make_order(home, contractor_a, priority=emergency, at=_at(1, 9)),
                   _at(2, 8, 30))
    e2 = _complete(make_order(home, contractor_a, priority=emergency, at=_at(3, 10)),
                   _at(4, 10, 1))
    e3 = _complete(make_order(south_home, contractor_a, priority=emergency, at=_at(7, 10)),
                   _at(7, 20))
    r1 = _complete(make_order(home, contractor_a, at=_at(2, month=11)), _at(1, 15))
    r2 = _complete(make_order(home, contractor_a, at=_at(16, month=11)), _at(8, 15))
    r3 = _complete(make_order(south_home, contractor_a, at=_at(20, month=11)), _at(9, 9))
    r4 = _complete(make_order(home, contractor_a, at=_at(23, month=11)), _at(2, 11),
                   status=S.INVOICED)
    _complete(make_order(home, contractor_a, priority=planned, at=_at(2, month=11)), _at(3))
    _complete(make_order(home, contractor_a, at=_at(2, month=11)), _at(30, month=11))
    make_order(home, contractor_a, status=S.CANCELLED, at=_at(2))
    assert (e1.target_at, e2.target_at) == (_at(2, 9), _at(4, 10))
    assert (r1.target_date, r2.target_date) == (date(2026, 11, 30), date(2026, 12, 14))
    return e1, e2, e3, r1, r2, r3, r4


def test_repairs_completed_within_target(client_for, team_leader, completed,
                                         django_capture_on_commit_callbacks):
    e1, e2, e3, r1, r2, r3, r4 = completed
    client = client_for(team_leader)
    job = _run(client, "within-target", django_capture_on_commit_callbacks,
               start=date(2026, 12, 1), end=TODAY)
    data = job.result_data
    assert data["groups"] == [
        {"label": "Emergency", "completed": 3, "within": 2, "late": 1, "percent": "66.7"},
        {"label": "Non-emergency", "completed": 4, "within": 3, "late": 1, "percent": "75.0"},
    ]
    assert data["no_target"] == 1
    assert data["patches"] == [
        {"patch": "North", "groups": [
            {"label": "Emergency", "completed": 2, "within": 1, "late": 1, "percent": "50.0"},
            {"label": "Non-emergency", "completed": 3, "within": 2, "late": 1,
             "percent": "66.7"}]},
        {"patch": "South", "groups": [
            {"label": "Emergency", "completed": 1, "within": 1, "late": 0, "percent": "100.0"},
            {"label": "Non-emergency", "completed": 1, "within": 1, "late": 0,
             "percent": "100.0"}]},
    ]
    assert job.result_summary == (
        "Repairs completed within target from 1 December 2026 to 9 December 2026: "
        "emergency: 66.7% (2 of 3); non-emergency: 75.0% (3 of 4).")
    rows = _csv(client, job)
    assert rows[0] == ["Work order", "Address", "Postcode", "Patch", "Contractor", "Priority",
                       "Emergency or not", "Raised on", "Target", "Completed", "Outcome"]
    by_reference = {row[0]: row for row in rows[1:]}
    assert len(by_reference) == 8  # the seven above and the planned one
    assert by_reference[e2.reference][3:] == [
        "North", "A Plumbing Ltd", "Emergency", "Emergency", "2026-12-03", "2026-12-04 10:00",
        "2026-12-04 10:01", "Outside target"]
    assert by_reference[r1.reference][6:] == [
        "Non-emergency", "2026-11-02", "2026-11-30", "2026-12-01", "Outside target"]
    # Each figure is the count of its rows.
    emergency_within = [r for r in rows[1:] if r[6] == "Emergency" and r[10] == "Within target"]
    assert sorted(r[0] for r in emergency_within) == sorted([e1.reference, e3.reference])
    assert sum(1 for r in rows[1:] if r[10] == "No target") == 1
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Repairs completed within target ready" in page and "66.7%" in page
    assert f'href="/repairs/reports/jobs/{job.pk}/csv/"' in page


def test_the_report_of_a_patch_officer_covers_their_patch(client_for, officer, completed,
                                                         django_capture_on_commit_callbacks):
    client = client_for(officer)
    job = _run(client, "within-target", django_capture_on_commit_callbacks,
               start=date(2026, 12, 1), end=TODAY)
    assert [line["patch"] for line in job.result_data["patches"]] == ["North"]
    assert job.result_data["groups"][0]["completed"] == 2
    assert {row[3] for row in _csv(client, job)[1:]} == {"North"}


@pytest.mark.parametrize(("part", "whole", "expected"), [
    (2, 3, "66.7"), (1, 3, "33.3"), (3, 4, "75.0"), (1, 8, "12.5"), (1, 16, "6.3"),
    (1, 80, "1.3"), (0, 5, "0.0"), (5, 5, "100.0"), (0, 0, None),
])
def test_the_percentage_is_rounded_once_to_one_place_halves_up(part, whole, expected):
    assert percent(part, whole) == expected


# --- Open orders by status and age -----------------------------------------------------------

def test_open_orders_by_status_and_age(client_for, team_leader, home, south_home,
                                       contractor_a, contractor_b, make_order,
                                       django_capture_on_commit_callbacks):
    """On 9 December 2026: raised 1 day ago and 5 days ago (0-5); 6 and 20 days (6-20); 21
    days; 60 days, raised at 23:30 UTC on 9 October, which was 00:30 on 10 October in London
    (21-60); 61 days (61+). Completed and cancelled orders are not open."""
    one = make_order(home, contractor_a, status=S.RAISED, at=_at(8))
    five = make_order(home, contractor_a, status=S.ISSUED, at=_at(4))
    six = make_order(home, contractor_b, status=S.BOOKED, at=_at(3))
    twenty = make_order(home, contractor_a, status=S.IN_PROGRESS, at=_at(19, month=11))
    make_order(home, contractor_a, status=S.NO_ACCESS, at=_at(18, month=11))
    sixty = make_order(south_home, contractor_a, status=S.ISSUED,
                       at=datetime(2026, 10, 9, 23, 30, tzinfo=UTC))
    make_order(home, contractor_a, status=S.APPROVED, at=_at(9, month=10))
    _complete(make_order(home, contractor_a, at=_at(1)), _at(2))
    make_order(home, contractor_a, status=S.CANCELLED, at=_at(1))
    client = client_for(team_leader)
    job = _run(client, "open-orders", django_capture_on_commit_callbacks)
    data = job.result_data
    assert data["bands"] == ["0 to 5 days", "6 to 20 days", "21 to 60 days",
                             "61 days or more"]
    assert data["statuses"] == [
        {"status": "Waiting for approval", "counts": [1, 0, 0, 0], "total": 1},
        {"status": "Approved", "counts": [0, 0, 0, 1], "total": 1},
        {"status": "Issued to the contractor", "counts": [1, 0, 1, 0], "total": 2},
        {"status": "Appointment booked", "counts": [0, 1, 0, 0], "total": 1},
        {"status": "In progress", "counts": [0, 1, 0, 0], "total": 1},
        {"status": "No access", "counts": [0, 0, 1, 0], "total": 1},
    ]
    assert (data["totals"], data["total"]) == ([2, 2, 2, 1], 7)
    assert data["patches"] == [{"patch": "North", "counts": [2, 2, 1, 1], "total": 6},
                               {"patch": "South", "counts": [0, 0, 1, 0], "total": 1}]
    assert job.result_summary == ("7 open work orders on 9 December 2026; 1 raised 61 days "
                                  "ago or more.")
    rows = {row[0]: row for row in _csv(client, job)[1:]}
    assert len(rows) == 7
    assert rows[sixty.reference][7:11] == ["Issued to the contractor", "2026-10-10", "60",
                                           "21 to 60 days"]
    assert [rows[order.reference][9] for order in (one, five, six, twenty)] == [
        "1", "5", "6", "20"]
    assert rows[six.reference][4] == "B Builders Ltd"


# --- Spend by contractor ---------------------------------------------------------------------

def _invoice(order, number, status, pence, by):
    return Invoice.objects.create(contractor=order.contractor, order=order, number=number,
                                  status=status, total_pence=pence, submitted_by=by,
                                  submitted_at=NOW)


def test_spend_by_contractor(client_for, team_leader, home, south_home, contractor_a,
                             contractor_b, contractor, other_contractor, make_order,
                             django_capture_on_commit_callbacks):
    """1 to 9 December 2026. A Plumbing: X £57.00 (2 x PL100), invoiced £57.00 and approved
    after an earlier invoice was queried; Y £42.00 paid; Z £68.00 with its only invoice
    queried: 3 orders, £167.00, £99.00 invoiced, £42.00 paid. B Builders: W £95.00, not yet
    invoiced. Not counted: a cancelled order and one completed on 30 November."""
    x = _complete(make_order(home, contractor_a, lines=[("PL100", "2")], at=_at(1)), _at(2),
                  status=S.INVOICED)
    _invoice(x, "A-100", Invoice.Status.QUERIED, 5800, contractor)
    _invoice(x, "A-101", Invoice.Status.APPROVED, 5700, contractor)
    y = _complete(make_order(home, contractor_a, lines=[("PL110", "1")], at=_at(1)), _at(3),
                  status=S.PAID)
    _invoice(y, "A-102", Invoice.Status.PAID, 4200, contractor)
    z = _complete(make_order(south_home, contractor_a, lines=[("PL120", "1")], at=_at(1)),
                  _at(4))
    _invoice(z, "A-103", Invoice.Status.QUERIED, 6800, contractor)
    w = _complete(make_order(home, contractor_b, lines=[("PL130", "1")], at=_at(1)), _at(5))
    make_order(home, contractor_b, status=S.CANCELLED, at=_at(1))
    _complete(make_order(home, contractor_b, at=_at(2, month=11)), _at(30, month=11))
    client = client_for(team_leader)
    job = _run(client, "spend", django_capture_on_commit_callbacks, start=date(2026, 12, 1),
               end=TODAY)
    data = job.result_data
    assert data["contractors"] == [
        {"contractor": "A Plumbing Ltd", "orders": 3, "value": 16700, "invoiced": 9900,
         "paid": 4200},
        {"contractor": "B Builders Ltd", "orders": 1, "value": 9500, "invoiced": 0,
         "paid": 0},
    ]
    assert data["total"] == {"orders": 4, "value": 26200, "invoiced": 9900, "paid": 4200}
    assert job.result_summary == ("Spend from 1 December 2026 to 9 December 2026: 4 orders "
                                  "completed worth £262.00; £99.00 invoiced, £42.00 paid.")
    rows = _csv(client, job)
    assert rows[0][-5:] == ["Order value (£)", "Invoice number", "Invoice status",
                            "Invoiced (£)", "Paid (£)"]
    assert [row[:2] + row[-5:] for row in rows[1:]] == [
        ["A Plumbing Ltd", x.reference, "57.00", "A-101", "Approved for payment", "57.00", ""],
        ["A Plumbing Ltd", y.reference, "42.00", "A-102", "Paid", "42.00", "42.00"],
        ["A Plumbing Ltd", z.reference, "68.00", "", "", "", ""],
        ["B Builders Ltd", w.reference, "95.00", "", "", "", ""],
    ]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "£167.00" in page and "£262.00" in page


def test_spend_of_a_patch_officer_covers_their_patch(client_for, officer, home, south_home,
                                                     contractor_a, make_order,
                                                     django_capture_on_commit_callbacks):
    _complete(make_order(home, contractor_a, at=_at(1)), _at(2))
    _complete(make_order(south_home, contractor_a, lines=[("PL130", "1")], at=_at(1)), _at(2))
    job = _run(client_for(officer), "spend", django_capture_on_commit_callbacks,
               start=date(2026, 12, 1), end=TODAY)
    assert job.result_data["total"] == {"orders": 1, "value": 2850, "invoiced": 0, "paid": 0}


# --- Awaab's Law cases by clock state ----------------------------------------------------------

def _case(home, reference, aware_at, **fields):
    return HazardCase.objects.create(
        reference=reference, property=home, rule=HazardRule.objects.get(hazard="damp_mould"),
        aware_at=aware_at, description="Black mould in the bedroom", **fields)


@pytest.fixture
def cases(home, south_home):
    """On 9 December 2026 at noon, cases the landlord became aware of in November and
    December: C1 open, investigation due 15 December (on time); C2 investigated on time but
    its summary due 18 November not sent (overdue); C3 an emergency due to be made safe by
    10:00 today, not yet (overdue), its investigation due today (not yet overdue); C4 closed
    with every clock met (on time); C5 closed on 25 November without the summary due on the
    23rd (missed: closed late); C6 in the South patch, open on time. C0 was reported in
    October: not in the period."""
    c1 = _case(home, "AW000001", _at(1), investigate_due=date(2026, 12, 15))
    c2 = _case(home, "AW000002", _at(2, month=11), investigate_due=date(2026, 11, 16),
               investigated_on=date(2026, 11, 13), summary_due=date(2026, 11, 18))
    c3 = _case(home, "AW000003", _at(8), severity=HazardCase.Severity.EMERGENCY,
               make_safe_due_at=_at(9, 10), investigate_due=TODAY)
    c4 = _case(home, "AW000004", _at(3, month=11), investigate_due=date(2026, 11, 17),
               investigated_on=date(2026, 11, 10), summary_due=date(2026, 11, 13),
               summary_sent_on=date(2026, 11, 12), safety_works_due=date(2026, 11, 17),
               safety_works_started_on=date(2026, 11, 16), status=HazardCase.Status.CLOSED,
               closed_on=date(2026, 11, 30))
    c5 = _case(home, "AW000005", _at(4, month=11), investigate_due=date(2026, 11, 18),
               investigated_on=date(2026, 11, 18), summary_due=date(2026, 11, 23),
               status=HazardCase.Status.CLOSED, closed_on=date(2026, 11, 25))
    c6 = _case(south_home, "AW000006", _at(7), investigate_due=date(2026, 12, 21))
    _case(home, "AW000000", _at(20, month=10), investigate_due=date(2026, 11, 3))
    return c1, c2, c3, c4, c5, c6


def test_awaab_cases_by_clock_state(client_for, team_leader, cases,
                                    django_capture_on_commit_callbacks):
    client = client_for(team_leader)
    job = _run(client, "awaab", django_capture_on_commit_callbacks,
               start=date(2026, 11, 1), end=TODAY)
    data = job.result_data
    assert data["states"] == [
        {"state": "Open, on time", "cases": 2}, {"state": "Open, overdue", "cases": 2},
        {"state": "Closed on time", "cases": 1}, {"state": "Closed late", "cases": 1}]
    assert data["total"] == 6
    assert data["clock_states"] == ["Met on time", "Met late", "Not yet due", "Overdue",
                                    "Missed", "Not needed"]
    assert data["clocks"] == [
        {"clock": "Make safe (emergency)", "counts": [0, 0, 0, 1, 0, 0]},
        {"clock": "Investigate", "counts": [3, 0, 3, 0, 0, 0]},
        {"clock": "Written summary", "counts": [1, 0, 0, 1, 1, 0]},
        {"clock": "Start safety works", "counts": [1, 0, 0, 0, 0, 0]},
    ]
    assert [(case["reference"], case["clocks"]) for case in data["overdue"]] == [
        ("AW000002", ["Written summary"]), ("AW000003", ["Make safe (emergency)"])]
    assert job.result_summary == ("6 Awaab's Law cases opened from 1 November 2026 to 9 "
                                  "December 2026: 2 open and overdue, 1 closed late.")
    rows = _csv(client, job)
    assert rows[0][8:11] == ["Make safe (emergency): due", "Make safe (emergency): met",
                             "Make safe (emergency): clock"]
    states = {row[0]: row[-1] for row in rows[1:]}
    assert states == {"AW000001": "Open, on time", "AW000002": "Open, overdue",
                      "AW000003": "Open, overdue", "AW000004": "Closed on time",
                      "AW000005": "Closed late", "AW000006": "Open, on time"}
    c3 = next(row for row in rows[1:] if row[0] == "AW000003")
    assert c3[8:14] == ["2026-12-09 10:00", "", "Overdue", "2026-12-09", "", "Not yet due"]
    c5 = next(row for row in rows[1:] if row[0] == "AW000005")
    assert c5[14:17] == ["2026-11-23", "", "Missed"]
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "Open and overdue" in page and "AW000003" in page


def test_awaab_of_a_patch_officer_covers_their_patch(client_for, officer, cases,
                                                    django_capture_on_commit_callbacks):
    client = client_for(officer)
    job = _run(client, "awaab", django_capture_on_commit_callbacks,
               start=date(2026, 11, 1), end=TODAY)
    assert job.result_data["total"] == 5
    assert "AW000006" not in {row[0] for row in _csv(client, job)[1:]}


@pytest.mark.parametrize(("due", "met", "closed_on", "state"), [
    (None, None, None, None),
    (date(2026, 12, 9), date(2026, 12, 9), None, "on_time"),
    (date(2026, 12, 9), date(2026, 12, 10), None, "late"),
    (date(2026, 12, 9), None, None, "waiting"),  # due today: not overdue until tomorrow
    (date(2026, 12, 8), None, None, "overdue"),
    (date(2026, 12, 8), None, date(2026, 12, 9), "missed"),
    (date(2026, 12, 8), None, date(2026, 12, 8), "not_needed"),
    (date(2026, 12, 8), date(2026, 12, 9), date(2026, 12, 9), "late"),
])
def test_a_clock_on_days(due, met, closed_on, state):
    assert clock_state(due, met, now=TODAY, closed_on=closed_on) == state


def test_a_clock_in_hours_counts_the_time():
    due = _at(9, 10)
    assert clock_state(due, _at(9, 10), now=NOW, closed_on=None) == "on_time"
    assert clock_state(due, _at(9, 10, 1), now=NOW, closed_on=None) == "late"
    assert clock_state(due, None, now=_at(9, 9, 59), closed_on=None) == "waiting"
    assert clock_state(due, None, now=NOW, closed_on=None) == "overdue"
    assert clock_state(due, None, now=NOW, closed_on=TODAY) == "not_needed"


def test_a_case_is_late_when_any_clock_is():
    assert case_state([None, "on_time", "waiting", None], is_open=True) == "open_on_time"
    assert case_state(["late", "on_time", None, None], is_open=True) == "open_overdue"
    assert case_state(["on_time", "on_time", "not_needed", None], is_open=False) == \
        "closed_on_time"
    assert case_state([None, "on_time", "missed", None], is_open=False) == "closed_late"


# --- A fixed number of queries however many records ------------------------------------------

def _queries(build) -> int:
    with CaptureQueriesContext(connection) as queries:
        build()
    return len(queries)


def test_each_report_reads_a_fixed_number_of_queries(team_leader, officer, home, south_home,
                                                     contractor_a, contractor_b, make_order,
                                                     contractor):
    def add_some(n):
        for index in range(n):
            company = contractor_a if index % 2 else contractor_b
            where = home if index % 3 else south_home
            order = _complete(make_order(where, company, at=_at(1)), _at(2))
            _invoice(order, f"X-{order.pk}", Invoice.Status.SUBMITTED, 2850, contractor)
            make_order(where, company, status=S.BOOKED, at=_at(3 + index % 5))
            _case(where, f"AW9{order.pk:05d}", _at(1), investigate_due=date(2026, 12, 1))

    builds = {
        "within": lambda user: within_target(start=date(2026, 12, 1), end=TODAY, user=user),
        "open": lambda user: open_orders(today=TODAY, user=user),
        "spend": lambda user: spend(start=date(2026, 12, 1), end=TODAY, user=user),
        "awaab": lambda user: awaab(start=date(2026, 12, 1), end=TODAY, at=NOW, user=user),
    }
    counts = {}
    for size in (1, 4):
        add_some(size)
        for name, build in builds.items():
            for pk in (team_leader.pk, officer.pk):
                user = User.objects.get(pk=pk)  # fresh: permissions are cached on it
                counts.setdefault((name, user.email), []).append(_queries(
                    lambda build=build, user=user: build(user)))
    for key, (small, large) in counts.items():
        assert small == large, key


def test_the_reports_page_reads_a_fixed_number_of_queries(client_for, officer,
                                                         django_capture_on_commit_callbacks):
    client = client_for(officer)
    counts = []
    for _ in range(3):
        _run(client, "open-orders", django_capture_on_commit_callbacks)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/repairs/reports/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == counts[2]
    page = client.get("/repairs/reports/").content.decode()
    assert page.count('href="/repairs/reports/jobs/') == 3


# --- Dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("fields", "anchor", "message"), [
    ({"start": date(2026, 12, 10), "end": date(2026, 12, 10)}, "start_day",
     "The start date must be today or in the past."),
    ({"start": date(2026, 12, 6), "end": date(2026, 11, 30)}, "end_day",
     "The end date must be the same as or after the start date."),
    ({"start": date(2026, 11, 30), "end": date(2026, 12, 10)}, "end_day",
     "The end date must be today or in the past."),
])
def test_dates_a_report_cannot_use_are_refused(client_for, officer, fields, anchor, message):
    data = {}
    for name, day in fields.items():
        data.update(_fields(name, day))
    response = client_for(officer).post("/repairs/reports/within-target/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and f'<a href="#{anchor}">{message}' in page
    assert f'value="{fields["start"].day}"' in page  # what was typed is kept
    assert not BackgroundJob.objects.exists()


def test_a_date_that_is_not_real_is_refused(client_for, officer):
    response = client_for(officer).post("/repairs/reports/spend/", {
        "start_day": "31", "start_month": "2", "start_year": "2026",
        **_fields("end", TODAY)})
    page = response.content.decode()
    assert "<title>Error: Spend by contractor" in page
    assert '<a href="#start_day">The start date must be a real date.</a>' in page
    assert 'value="31"' in page
    assert not BackgroundJob.objects.exists()


def test_the_forms_start_with_the_reporting_year_to_date(client_for, officer):
    client = client_for(officer)
    page = client.get("/repairs/reports/awaab/").content.decode()
    assert 'id="start_month" name="start_month" type="text" inputmode="numeric" ' \
           'autocomplete="off" value="4"' in page
    assert 'id="start_year" name="start_year" type="text" inputmode="numeric" ' \
           'autocomplete="off" value="2026"' in page
    assert 'id="end_day" name="end_day" type="text" inputmode="numeric" autocomplete="off" ' \
           'value="9"' in page
    page = client.get("/repairs/reports/open-orders/").content.decode()
    assert "Run the report" in page and "govuk-date-input" not in page


# --- Who may run them ------------------------------------------------------------------------

REPORT_PAGES = ["/repairs/reports/", "/repairs/reports/within-target/",
                "/repairs/reports/open-orders/", "/repairs/reports/spend/",
                "/repairs/reports/awaab/"]


@pytest.mark.parametrize("persona", ["officer", "repairs_officer", "team_leader", "administrator"])
def test_roles_with_reports_and_repairs_run_them(client_for, request, persona,
                                                 django_capture_on_commit_callbacks):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    for path in REPORT_PAGES:
        assert client.get(path).status_code == 200, path
    assert 'href="/repairs/reports/"' in client.get("/reports/").content.decode()
    job = _run(client, "open-orders", django_capture_on_commit_callbacks)
    assert job.started_by == user
    index = client.get("/repairs/reports/").content.decode()
    assert f'href="/jobs/{job.pk}/"' in index
    assert f'href="/repairs/reports/jobs/{job.pk}/csv/"' in index


@pytest.mark.parametrize("persona", ["customer_access", "income_officer",
                                     "council_tax", "lettings_officer", "no_access"])
def test_other_roles_are_refused(client_for, request, persona, team_leader,
                                 django_capture_on_commit_callbacks):
    job = _run(client_for(team_leader), "open-orders", django_capture_on_commit_callbacks)
    client = client_for(request.getfixturevalue(persona))
    for path in REPORT_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/repairs/reports/spend/", {
        **_fields("start", date(2026, 12, 1)), **_fields("end", TODAY)}).status_code == 403
    assert client.get(f"/repairs/reports/jobs/{job.pk}/csv/").status_code == 403
    assert BackgroundJob.objects.count() == 1


def test_the_reports_home_links_repairs_reports_only_for_those_who_may(client_for, officer,
                                                                      income_officer):
    assert 'href="/repairs/reports/"' in client_for(officer).get("/reports/").content.decode()
    page = client_for(income_officer).get("/reports/").content.decode()
    assert 'href="/repairs/reports/"' not in page and 'href="/rents/reports/"' in page


@pytest.mark.parametrize("persona", ["tenant", "contractor", "other_contractor"])
def test_tenants_and_contractors_are_refused(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    for path in [*REPORT_PAGES, "/repairs/reports/jobs/1/csv/"]:
        assert client.get(path).status_code == 403, path
    assert client.post("/repairs/reports/within-target/", {
        **_fields("start", date(2026, 12, 1)), **_fields("end", TODAY)}).status_code == 403
    assert not BackgroundJob.objects.exists()


def test_anonymous_visitors_sign_in_first(client):
    for path in [*REPORT_PAGES, "/repairs/reports/jobs/1/csv/"]:
        assert client.get(path)["Location"].startswith("/accounts/login/"), path
    response = client.post("/repairs/reports/spend/", _fields("start", TODAY))
    assert response["Location"].startswith("/accounts/login/")
    assert not BackgroundJob.objects.exists()


def test_an_unknown_report_is_404(client_for, officer):
    assert client_for(officer).get("/repairs/reports/everything/").status_code == 404


def test_a_report_csv_is_for_its_starter_and_those_who_see_every_job(
        client_for, officer, team_leader, north, django_capture_on_commit_callbacks):
    job = _run(client_for(officer), "open-orders", django_capture_on_commit_callbacks)
    other = UserFactory(email="officer2@example.test", role="Housing Officer", patches=[north])
    assert client_for(officer).get(f"/repairs/reports/jobs/{job.pk}/csv/").status_code == 200
    assert client_for(other).get(f"/repairs/reports/jobs/{job.pk}/csv/").status_code == 404
    assert client_for(team_leader).get(f"/repairs/reports/jobs/{job.pk}/csv/").status_code \
        == 200
    sample = BackgroundJob.objects.create(kind="sample", started_by=officer, created_at=NOW,
                                          status="succeeded")
    assert client_for(officer).get(f"/repairs/reports/jobs/{sample.pk}/csv/").status_code \
        == 404


def test_the_awaab_report_needs_the_right_to_see_hazard_cases(client_for):
    user = UserFactory(email="analyst@example.test")
    user.user_permissions.set(Permission.objects.filter(
        codename__in=["use_reports", "view_workorder"]))
    client = client_for(user)
    page = client.get("/repairs/reports/").content.decode()
    assert 'href="/repairs/reports/spend/"' in page
    assert 'href="/repairs/reports/awaab/"' not in page
    assert client.get("/repairs/reports/awaab/").status_code == 403
    assert client.get("/repairs/reports/spend/").status_code == 200
