"""The CORE lettings log: the CSV's layout for a worked letting, line for line, and the
period it covers."""

from datetime import date

import pytest
from freezegun import freeze_time

from tests.voids.test_letting import accepted, answer, offer, sign
from voids import core

pytestmark = pytest.mark.django_db

CSV = "/voids/lettings-log.csv"
HEADER = ("UPRN,Postcode,Tenancy reference,Tenancy type,Tenancy start date,Weekly rent (£),"
          "Weekly service charges (£),Weekly total (£),Bedrooms,Property type,"
          "Reason for vacancy,Void date (previous tenancy end),Relet date,Days to relet,"
          "Times offered,Void type")


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 17:00:00"):
        yield


@pytest.fixture
def letting(void, make_ready, lettings_officer):
    """Tenancy ended Sunday 29 November 2026 (tenant's notice); a standard void; offered
    twice (the first refused); let from Wednesday 9 December 2026 to a secure tenant. The
    home's charges: £100.00 rent and £5.00 cleaning a week."""
    make_ready(void)
    answer(void, offer(void, lettings_officer, name="Mr Bob Jones"), lettings_officer,
           "refused", reason="Wants a garden")
    accepted(void, lettings_officer, on=date(2026, 12, 4))
    return sign(void, lettings_officer, tenancy_type="secure")


def _lines(client, **period) -> list[str]:
    response = client.get(CSV, period)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="core-lettings-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the pound signs as UTF-8
    return text.removeprefix("\ufeff").splitlines()


def test_the_csv_row_of_a_worked_letting(client_for, lettings_officer, letting):
    uprn = letting.property.uprn
    assert _lines(client_for(lettings_officer)) == [  # default: the reporting year 2026/27
        HEADER,
        f"{uprn},EX2 4QR,{letting.reference},Secure,2026-12-09,100.00,5.00,105.00,2,House,"
        f"Tenant's notice,2026-11-29,2026-12-09,10,2,Standard void",
    ]


def test_the_period_is_the_tenancy_start_date(client_for, lettings_officer, letting):
    client = client_for(lettings_officer)
    assert len(_lines(client, start="2026-12-09", end="2026-12-09")) == 2
    assert _lines(client, start="2026-12-10", end="2027-03-31") == [HEADER]
    assert _lines(client, start="2026-04-01", end="2026-12-08") == [HEADER]


@pytest.mark.parametrize("period", [{"start": "2026-04-01"}, {"start": "x", "end": "y"},
                                    {"start": "2027-01-01", "end": "2026-12-01"}])
def test_a_bad_period_is_refused_in_plain_words(client_for, lettings_officer, period):
    response = client_for(lettings_officer).get(CSV, period)
    assert response.status_code == 400
    assert response.content.decode().startswith(
        "Give the period as start=YYYY-MM-DD and end=YYYY-MM-DD.")


def test_columns_are_the_documented_layout():
    assert ",".join(core.COLUMNS) == HEADER
    assert core.pounds(1) == "0.01" and core.pounds(123456) == "1234.56"
    assert core.pounds(-250) == "-2.50"


def test_the_page_shows_the_lettings_in_the_layout(client_for, lettings_officer, letting):
    page = client_for(lettings_officer).get("/voids/lettings-log/").content.decode()
    assert "1 letting from 1 April 2026 to 31 March 2027" in page
    for cell in (letting.reference, "Secure", "2026-12-09", "105.00", "Tenant&#x27;s notice",
                 "Standard void"):
        assert f'<td class="govuk-table__cell">{cell}</td>' in page, cell
    assert 'href="/voids/lettings-log.csv?start=2026-04-01&amp;end=2027-03-31"' in page
