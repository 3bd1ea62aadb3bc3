"""What Council Tax billing is told: each home that fell void and each that was let, once, as a
list and as CSV (/voids/council-tax/changes.csv?since=YYYY-MM-DD); who may read it; and that
the Council Tax role can do nothing else with voids."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from freezegun import freeze_time

from tenancies import services as tenancy_services
from tests.voids.conftest import end, let_home
from tests.voids.test_letting import accepted, sign
from voids.models import OccupancyChange
from voids.services import record_change

pytestmark = pytest.mark.django_db

LIST, CSV = "/voids/council-tax/", "/voids/council-tax/changes.csv"
LATER = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 17:00:00"):
        yield


@pytest.fixture
def let_again(void, make_ready, lettings_officer):
    """The home fell void on 30 November 2026 and was let again from 9 December."""
    make_ready(void)
    accepted(void, lettings_officer)
    sign(void, lettings_officer)
    return void


def _csv(client, since: str) -> list[str]:
    response = client.get(CSV, {"since": since})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return b"".join(response.streaming_content).decode("utf-8").splitlines()


def test_the_export_lists_each_change_once_even_after_a_rerun(client_for, council_tax,
                                                              let_again):
    void = let_again
    uprn = void.property.uprn
    # A rerun of what recorded the changes (an import, a retried job) adds nothing.
    record_change(void=void, event="void", on=date(2026, 11, 30), at=LATER)
    record_change(void=void, event="let", on=date(2026, 12, 9), at=LATER)
    assert OccupancyChange.objects.count() == 2
    assert _csv(client_for(council_tax), "2026-11-01") == [
        "UPRN,Address,Event,Date,Recorded",
        f'{uprn},"4 Orchard Close, Exeter, EX2 4QR",Void from,2026-11-30,'
        f"2026-12-09T10:15:00+00:00",
        f'{uprn},"4 Orchard Close, Exeter, EX2 4QR",Let from,2026-12-09,'
        f"2026-12-09T10:15:00+00:00",
    ]


def test_since_filters_by_the_local_day_the_change_was_recorded(client_for, council_tax, north):
    early = let_home(north, address="1 Early Road", uprn="100040999001")
    tenancy = early.tenancies.get()
    tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=date(2026, 6, 28),
                                 reason="death", by=None,
                                 at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 1 July BST
    late = let_home(north, address="2 Late Road", uprn="100040999002")
    end(late)  # recorded 9 December 2026
    client = client_for(council_tax)
    assert [line.split(",")[0] for line in _csv(client, "2026-07-01")[1:]] == [
        "100040999001", "100040999002"]
    assert _csv(client, "2026-07-01")[1].endswith(
        ",Void from,2026-06-29,2026-07-01T00:30:00+01:00")
    assert [line.split(",")[0] for line in _csv(client, "2026-07-02")[1:]] == ["100040999002"]
    page = client.get(LIST, {"since": "2026-07-02"}).content.decode()
    assert "2 Late Road" in page and "1 Early Road" not in page
    assert "1 change recorded since 2 July 2026" in page
    page = client.get(LIST, {"since": "2026-07-01"}).content.decode()
    assert "2 changes recorded since 1 July 2026" in page
    assert "Void from" in page and "29 June 2026" in page


def test_the_list_defaults_to_the_last_28_days(client_for, council_tax, void, north):
    old = let_home(north, address="9 Old Road", uprn="100040999009")
    tenancy_services.end_tenancy(tenancy_id=old.tenancies.get().pk, end_date=date(2026, 11, 1),
                                 reason="notice", by=None,
                                 at=datetime(2026, 11, 10, 9, 0, tzinfo=UTC))
    page = client_for(council_tax).get(LIST).content.decode()
    assert "1 change recorded since 11 November 2026" in page
    assert "4 Orchard Close" in page and "9 Old Road" not in page
    assert f'href="{CSV}?since=2026-11-11"' in page


@pytest.mark.parametrize("since", [None, "", "yesterday", "2026-02-30", "2026-12-10"])
def test_the_csv_needs_a_good_since_date(client_for, council_tax, void, since):
    response = client_for(council_tax).get(CSV, {} if since is None else {"since": since})
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(
        "Give the date to list changes from as since=YYYY-MM-DD")


@pytest.mark.parametrize(("since", "message"), [
    ("yesterday", "Enter the changes recorded since as a real date."),
    ("2026-12-10", "The date must be today or in the past."),
])
def test_a_bad_date_on_the_list_is_an_error_summary(client_for, council_tax, void, since,
                                                    message):
    response = client_for(council_tax).get(LIST, {"since": since})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert f'value="{since}"' in page  # what was typed stays in the box
    assert "4 Orchard Close" not in page


def test_the_csv_is_streamed_and_keeps_addresses_safe_for_spreadsheets(client_for, council_tax,
                                                                       north):
    home = let_home(north, address="=cmd|' /C calc'!A0", uprn="100040999003")
    end(home)
    response = client_for(council_tax).get(CSV, {"since": "2026-12-01"})
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][1].startswith("'=cmd")


# --- Who may read it --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["council_tax", "lettings_officer", "team_leader"])
def test_council_tax_lettings_and_team_leaders_read_the_list_and_csv(client_for, request,
                                                                     persona, void):
    client = client_for(request.getfixturevalue(persona))
    assert "4 Orchard Close" in client.get(LIST).content.decode()
    assert len(_csv(client, "2026-11-01")) == 2


@pytest.mark.parametrize("persona", ["officer", "repairs_officer", "income_officer",
                                     "no_access", "tenant", "contractor"])
def test_others_are_refused(client_for, request, persona, void):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(LIST).status_code == 403
    assert client.get(CSV, {"since": "2026-11-01"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client_for, void):
    for path in (LIST, f"{CSV}?since=2026-11-01"):
        response = client_for(None).get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_council_tax_cannot_act_on_a_void(client_for, council_tax, let_again):
    """Read-only: every void page and action is a 403 (GET and POST)."""
    void = let_again
    made = void.offers.get()
    client = client_for(council_tax)
    for name, args in [("detail", [void.pk]), ("record", []), ("inspect", [void.pk]),
                       ("safety_check", [void.pk]), ("ready", [void.pk]), ("offer", [void.pk]),
                       ("offer_outcome", [void.pk, made.pk]), ("kpis", []), ("core", []),
                       ("core_csv", [])]:
        path = reverse(f"voids:{name}", args=args)
        assert client.get(path).status_code == 403, path
        assert client.post(path, {}).status_code in (403, 405), path
    # Nor can they let it: the one sign-up screen is the tenancy sign-up's.
    path = reverse("tenancies:sign-up") + f"?property={void.property_id}"
    assert client.get(path).status_code == 403
    assert client.post(path, {}).status_code == 403


def test_a_billing_program_signs_in_as_council_tax_and_fetches_the_csv(let_again, council_tax,
                                                                       password):
    """What docs/voids.md tells the billing system to do: fetch the sign-in page for its CSRF
    cookie, post the Council Tax user's email and password with it, then get the CSV with the
    session cookie: CSRF checks on, as in production."""
    from django.test import Client

    program = Client(enforce_csrf_checks=True)
    assert program.get(CSV + "?since=2026-11-01").status_code == 302  # not signed in yet
    program.get(reverse("account_login"))
    token = program.cookies["csrftoken"].value
    signed_in = program.post(reverse("account_login"), {
        "login": council_tax.email, "password": password, "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 302
    response = program.get(CSV + "?since=2026-11-01")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["UPRN", "Address", "Event", "Date"]
    assert [row[2:4] for row in rows[1:]] == [["Void from", "2026-11-30"],
                                             ["Let from", "2026-12-09"]]
