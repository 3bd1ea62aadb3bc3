"""Statements of a rent account for a date range (rents.statements, rents.statement_views):
the opening balance, each row with its running balance, the closing balance and the totals,
worked out by hand; the 53-week note for Universal Credit claimants; ranges refused; who may
ask for one; and the account page timing used by `manage.py bench`."""

import io
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time
from guardian.shortcuts import assign_perm
from pypdf import PdfReader

from rents.bench_statements import bench_account_page
from rents.models import Charge, ChargeType, RentAccount, Transaction
from rents.payments import record_payment
from rents.queries import get_account_for_user
from rents.services import post_rent_run, rent_week_for, reverse_transaction
from rents.statements import balance_as_at, check_range, default_range, statement_for
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory, UserFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today(request):
    if "real_clock" in request.fixturenames:  # timings need the clock to move
        yield
        return
    with freeze_time("2026-12-09 12:00:00"):  # a Wednesday in week 36 of 2026/27
        yield


@pytest.fixture
def real_clock():
    """Asked for by a test whose clock must not be frozen."""


def _let(patch, *, rent=10000, start=date(2020, 1, 6), charges_from=date(2026, 4, 6),
         address="12 Mill Lane", tenant=("Margaret", "Thistlewood")):
    home = PropertyFactory(estate__patch=patch, address_line_1=address, postcode="EX2 4AB")
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=rent, start_date=charges_from)
    tenancy = tenancy_services.sign_up(
        property_id=home.pk, tenancy_type="secure", start_date=start,
        tenant_ids=[PersonFactory(title="", first_name=tenant[0], last_name=tenant[1]).pk],
        by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


def _run(monday):
    post_rent_run(week=rent_week_for(on=monday), by=None, at=AT)


def _pay(account, pence, on, user):
    return record_payment(account_id=account.pk, amount_pence=pence, method="card",
                          received_on=on, reference=f"R{pence}", by=user,
                          at=datetime(2026, 12, 9, 10, 0, tzinfo=UTC))


@pytest.fixture
def account(north):
    return _let(north)


@pytest.fixture
def worked(account, income_officer):
    """The worked example, £100.00 a week:
        16 Nov  rent            +100.00   100.00   (before the period: the opening balance)
        23 Nov  rent            +100.00   200.00
        25 Nov  payment         -150.00    50.00
        30 Nov  rent            +100.00   150.00
         2 Dec  payment          -60.00    90.00
         7 Dec  rent            +100.00   190.00   (after the period)
    A statement from 23 November to 2 December: opening £100.00, debits £200.00, credits
    £210.00, closing £90.00."""
    _run(date(2026, 11, 16))
    _run(date(2026, 11, 23))
    _run(date(2026, 11, 30))
    _run(date(2026, 12, 7))
    # Keyed out of order: the running balance follows the date received, not the keying.
    _pay(account, 6000, date(2026, 12, 2), income_officer)
    _pay(account, 15000, date(2026, 11, 25), income_officer)
    return account


def _get(user, pk):
    return get_account_for_user(user, pk)


def _ask(client, account, start, end):
    return client.get(f"/rents/accounts/{account.pk}/statement/", {
        "start_day": start[0], "start_month": start[1], "start_year": start[2],
        "end_day": end[0], "end_month": end[1], "end_year": end[2]})


def _pdf_text(content: bytes) -> str:
    """The PDF's words, each run of spaces and line breaks made one space."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


# --- The figures -----------------------------------------------------------------------------


def test_opening_running_and_closing_balances_of_the_worked_example(worked, income_officer):
    found = statement_for(_get(income_officer, worked.pk), start=date(2026, 11, 23),
                          end=date(2026, 12, 2))
    assert found.opening_pence == 10000
    assert [(row.posted_on, row.amount_pence, row.balance_pence) for row in found.rows] == [
        (date(2026, 11, 23), 10000, 20000),
        (date(2026, 11, 25), -15000, 5000),
        (date(2026, 11, 30), 10000, 15000),
        (date(2026, 12, 2), -6000, 9000),
    ]
    assert (found.debits_pence, found.credits_pence, found.closing_pence) == (20000, 21000, 9000)
    assert [row.description for row in found.rows] == [
        "Net rent", "Payment: Card", "Net rent", "Payment: Card"]
    assert found.tenants == ["Margaret Thistlewood"]
    assert found.address_lines == ["12 Mill Lane", "Exeter", "EX2 4AB"]
    assert found.closing_words == "£90.00 owed (in arrears)"


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 11, 23), date(2026, 12, 2)),
    (date(2026, 11, 1), date(2026, 11, 15)),   # no rows at all in the period
    (date(2026, 11, 17), date(2026, 11, 17)),  # one day, nothing on it
    (date(2026, 11, 16), date(2026, 12, 9)),   # every row
    (date(2016, 12, 10), date(2026, 12, 9)),   # ten years
])
def test_the_closing_balance_is_the_balance_at_the_end_date(worked, income_officer, start, end):
    found = statement_for(_get(income_officer, worked.pk), start=start, end=end)
    by_hand = sum(amount for on, amount in worked.transactions.values_list(
        "posted_on", "amount_pence") if on <= end)
    assert found.closing_pence == by_hand == balance_as_at(worked.pk, end)
    before = sum(amount for on, amount in worked.transactions.values_list(
        "posted_on", "amount_pence") if on < start)
    assert found.opening_pence == before
    assert found.rows[-1].balance_pence == found.closing_pence if found.rows else True


def test_the_running_balance_agrees_with_the_account_page(worked, income_officer, client_for):
    page = client_for(income_officer).get(f"/rents/accounts/{worked.pk}/")
    on_page = {row.id: row.balance_pence for row in page.context["page_obj"]}
    found = statement_for(_get(income_officer, worked.pk), start=date(2026, 11, 23),
                          end=date(2026, 12, 9))
    assert {row.id: row.balance_pence for row in found.rows} == {
        pk: balance for pk, balance in on_page.items()
        if pk in {row.id for row in found.rows}}


def test_a_reversal_and_a_credit_balance(account, income_officer):
    _run(date(2026, 11, 30))
    charge = Transaction.objects.get(kind="charge")
    reverse_transaction(transaction_id=charge.pk, reason="Charged in error", by=income_officer,
                        at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    _pay(account, 2500, date(2026, 12, 3), income_officer)
    found = statement_for(_get(income_officer, account.pk), start=date(2026, 11, 30),
                          end=date(2026, 12, 9))
    assert [(row.description, row.balance_pence) for row in found.rows] == [
        ("Net rent", 10000), ("Reversal: Net rent", 0), ("Payment: Card", -2500)]
    assert (found.debits_pence, found.credits_pence, found.closing_pence) == (10000, 12500, -2500)
    assert found.closing_words == "£25.00 in credit"


def test_the_pdf_has_the_header_the_figures_and_every_row(worked, income_officer, client_for):
    response = _ask(client_for(income_officer), worked, (23, 11, 2026), (2, 12, 2026))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="statement-{worked.payment_reference}-2026-11-23-to-'
        f'2026-12-02.pdf"')
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    for expected in ["Demo Council", "Statement of rent account", worked.payment_reference,
                     worked.tenancy.reference, "12 Mill Lane", "EX2 4AB",
                     "Margaret Thistlewood", "Period 23 November 2026 to 2 December 2026",
                     "Balance on 23 November 2026 (before the period) £100.00",
                     "Charges and other debits in the period £200.00",
                     "Payments and other credits in the period £210.00",
                     "Balance on 2 December 2026 £90.00", "£90.00 owed (in arrears)",
                     "Balance brought forward £100.00", "Totals for the period £200.00 £210.00",
                     "Balance carried forward £90.00",
                     "2 Dec 2026 35 of 2026/27 Payment: Card (R6000) £60.00 £90.00",
                     "23 Nov 2026 34 of 2026/27 Net rent £100.00 £200.00"]:
        assert expected in text, expected
    assert text.count("Payment: Card") == 2
    assert "53 rent weeks" not in text


# --- 53 rent weeks ---------------------------------------------------------------------------


@freeze_time("2031-04-09 12:00:00")
def test_a_53_week_year_is_explained_for_universal_credit_claimants(north, income_officer,
                                                                   client_for):
    account = _let(north, rent=9500, charges_from=date(2030, 4, 1))
    _run(date(2031, 3, 31))  # week 53 of 2030/31
    found = statement_for(_get(income_officer, account.pk), start=date(2030, 4, 1),
                          end=date(2031, 4, 9))
    assert [(week.year_label, week.week_start, week.charged_pence)
            for week in found.extra_weeks] == [("2030/31", date(2031, 3, 31), 9500)]
    text = _pdf_text(_ask(client_for(income_officer), account, (1, 4, 2030),
                          (9, 4, 2031)).content)
    assert "2030/31 has 53 rent weeks" in text
    assert "The 53rd week starts on Monday 31 March 2031" in text
    assert "its charges on this account are £95.00" in text
    assert "Universal Credit housing costs are worked out on 52 weeks a year" in text


@freeze_time("2031-04-09 12:00:00")
@pytest.mark.parametrize(("start", "end", "years"), [
    (date(2026, 4, 1), date(2027, 3, 31), []),                 # 2026/27: 52 weeks
    (date(2030, 3, 1), date(2030, 3, 31), []),                 # the end of 2029/30
    (date(2031, 3, 31), date(2031, 4, 9), ["2030/31"]),        # touches 2030/31 by a day
    (date(2024, 4, 1), date(2031, 4, 9), ["2024/25", "2030/31"]),
])
def test_the_note_appears_for_the_53_week_years_the_period_touches(north, income_officer,
                                                                   start, end, years):
    account = _let(north)
    found = statement_for(_get(income_officer, account.pk), start=start, end=end)
    assert [week.year_label for week in found.extra_weeks] == years


@freeze_time("2031-04-09 12:00:00")
def test_no_note_for_a_tenancy_that_ended_before_the_53rd_week(north, income_officer):
    account = _let(north)
    tenancy_services.end_tenancy(tenancy_id=account.tenancy_id, end_date=date(2030, 6, 1),
                                 reason="notice", by=None, at=AT)
    found = statement_for(_get(income_officer, account.pk), start=date(2030, 4, 1),
                          end=date(2031, 4, 9))
    assert found.extra_weeks == []


# --- Ranges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "errors"), [
    (date(2026, 12, 1), date(2026, 12, 9), {}),
    (date(2026, 12, 9), date(2026, 12, 9), {}),
    (date(2016, 12, 10), date(2026, 12, 9), {}),  # ten years exactly
    (date(2016, 12, 9), date(2026, 12, 9), {"end": "10 years at most"}),
    (date(2026, 12, 5), date(2026, 12, 1), {"end": "same as or after the start date"}),
    (date(2026, 12, 1), date(2026, 12, 10), {"end": "today or in the past"}),
    (date(2026, 12, 10), date(2026, 12, 11), {"start": "today or in the past",
                                              "end": "today or in the past"}),
])
def test_check_range(start, end, errors):
    if not errors:
        check_range(start=start, end=end, today=date(2026, 12, 9))
        return
    with pytest.raises(ValidationError) as refused:
        check_range(start=start, end=end, today=date(2026, 12, 9))
    assert set(refused.value.message_dict) == set(errors)
    for name, words in errors.items():
        assert words in refused.value.message_dict[name][0]


def test_the_default_range_is_the_rent_year_to_date():
    assert default_range(today=date(2026, 12, 9)) == (date(2026, 4, 1), date(2026, 12, 9))
    assert default_range(today=date(2027, 3, 31)) == (date(2026, 4, 1), date(2027, 3, 31))
    assert default_range(today=date(2027, 4, 1)) == (date(2027, 4, 1), date(2027, 4, 1))


def test_the_form_starts_at_the_rent_year_to_date(account, income_officer, client_for):
    response = client_for(income_officer).get(f"/rents/accounts/{account.pk}/statement/")
    assert response.status_code == 200
    page = response.content.decode()
    for name, value in [("start_day", "1"), ("start_month", "4"), ("start_year", "2026"),
                        ("end_day", "9"), ("end_month", "12"), ("end_year", "2026")]:
        assert f'id="{name}" name="{name}" type="text" inputmode="numeric" autocomplete="off" ' \
               f'value="{value}"' in page, name
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">From</legend>' in page
    assert "There is a problem" not in page


@pytest.mark.parametrize(("start", "end", "anchor", "message"), [
    ((5, 12, 2026), (1, 12, 2026), "end_day",
     "The end date must be the same as or after the start date."),
    ((1, 12, 2026), (10, 12, 2026), "end_day", "The end date must be today or in the past."),
    ((9, 12, 2016), (9, 12, 2026), "end_day",
     "A statement can cover 10 years at most: choose an end date no later than "
     "8 December 2026, or a later start date."),
    ((31, 2, 2026), (9, 12, 2026), "start_day", "The start date must be a real date."),
    (("a", 2, 2026), (9, 12, 2026), "start_day", "The start date must be a real date."),
    ((1, "013", 2026), (9, 12, 2026), "start_day", "The start date must be a real date."),
    ((1, "004", 2026), (1, 3, 2026), "end_day",  # "004" is April: the boxes parse as numbers
     "The end date must be the same as or after the start date."),
    ((1, 4, 26), (9, 12, 2026), "start_year",
     "The year of the start date must have 4 numbers, like 2026."),
    ((1, 4, 2026), (9, "", ""), "end_month", "The end date must include a month and year."),
    (("", "", ""), (9, 12, 2026), "start_day", "Enter the start date."),
])
def test_bad_ranges_are_refused_and_keep_what_was_typed(account, income_officer, client_for,
                                                        start, end, anchor, message):
    response = _ask(client_for(income_officer), account, start, end)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "There is a problem" in page
    assert f'<a href="#{anchor}">{message}</a>' in page
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}</p>' in page
    assert f'id="{anchor}" name="{anchor}"' in page
    assert "<title>Error: " in page
    for name, value in zip(("start_day", "start_month", "start_year"), start, strict=True):
        assert f'name="{name}" type="text" inputmode="numeric" autocomplete="off" ' \
               f'value="{value}"' in page


def test_the_boxes_of_a_bad_date_are_marked(account, income_officer, client_for):
    page = _ask(client_for(income_officer), account, (1, 4, 2026), (9, "", "")).content.decode()
    assert 'govuk-input--width-2" id="end_day"' in page  # typed: not marked
    assert 'govuk-input--width-2 govuk-input--error" id="end_month"' in page
    assert 'govuk-input--width-4 govuk-input--error" id="end_year"' in page
    assert 'aria-describedby="end-hint end-error"' in page


# --- Who may ask for one ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["income_officer", "officer", "customer_access",
                                     "team_leader", "administrator"])
def test_those_who_see_the_account_get_its_statement(client_for, request, persona, worked):
    client = client_for(request.getfixturevalue(persona))
    page = client.get(f"/rents/accounts/{worked.pk}/").content.decode()
    assert f'href="/rents/accounts/{worked.pk}/statement/"' in page
    assert client.get(f"/rents/accounts/{worked.pk}/statement/").status_code == 200
    response = _ask(client, worked, (23, 11, 2026), (2, 12, 2026))
    assert response["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("persona", ["council_tax", "repairs_officer", "no_access"])
def test_roles_without_rent_accounts_get_404(client_for, request, persona, worked):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/rents/accounts/{worked.pk}/statement/").status_code == 404
    assert _ask(client, worked, (23, 11, 2026), (2, 12, 2026)).status_code == 404


def test_seeing_accounts_without_their_transactions_is_403(client_for, worked):
    user = UserFactory()
    assign_perm("rents.view_rentaccount", user)
    assign_perm("housing.view_all_patches", user)
    client = client_for(user)
    assert client.get(f"/rents/accounts/{worked.pk}/").status_code == 200
    assert client.get(f"/rents/accounts/{worked.pk}/statement/").status_code == 403
    assert _ask(client, worked, (23, 11, 2026), (2, 12, 2026)).status_code == 403


def test_an_account_on_another_patch_is_404(client_for, income_officer, officer, south):
    other = _let(south, address="3 Far Road")
    for user in (income_officer, officer):
        client = client_for(user)
        assert client.get(f"/rents/accounts/{other.pk}/statement/").status_code == 404
        assert _ask(client, other, (1, 12, 2026), (9, 12, 2026)).status_code == 404


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_refused(client_for, request, persona, worked):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/rents/accounts/{worked.pk}/statement/").status_code == 403
    assert _ask(client, worked, (23, 11, 2026), (2, 12, 2026)).status_code == 403


def test_anonymous_visitors_sign_in_first(client, worked):
    assert client.get(f"/rents/accounts/{worked.pk}/statement/")["Location"].startswith(
        "/accounts/login/")
    response = _ask(client, worked, (23, 11, 2026), (2, 12, 2026))
    assert response["Location"].startswith("/accounts/login/")


def test_a_statement_is_asked_for_with_get_only(client_for, income_officer, worked):
    response = client_for(income_officer).post(f"/rents/accounts/{worked.pk}/statement/")
    assert response.status_code == 405


# --- Speed -----------------------------------------------------------------------------------


def _history(account, rows):
    Transaction.objects.bulk_create([
        Transaction(account=account, posted_on=date(2024, 4, 1 + i % 28), kind="adjustment",
                    amount_pence=(i * 3733) % 50000 - 21000 or 1, source="officer",
                    created_at=AT) for i in range(rows)])


def test_a_statement_reads_the_same_few_queries_however_long_the_history(
        client_for, income_officer, north):
    short, long = _let(north), _let(north, address="14 Mill Lane")
    _history(short, 3)
    _history(long, 600)
    client = client_for(income_officer)
    counts = []
    for account in (short, long):
        with CaptureQueriesContext(connection) as queries:
            response = _ask(client, account, (1, 4, 2024), (9, 12, 2026))
        assert response["Content-Type"] == "application/pdf"
        counts.append(len(queries))
    # The signed-in page's own (session, user, permissions), the account with its tenants,
    # then the statement's two: its rows with the opening balance, and the 53-week years.
    assert counts[0] == counts[1]
    assert counts[0] <= 12


def test_bench_account_page_times_random_accounts(north, real_clock):
    for n in range(3):
        _history(_let(north, address=f"{n} Bench Road"), 60)
    figures = bench_account_page(samples=5)
    assert set(figures) == {"statement_p95_ms", "statement_p50_ms"}
    assert 0 < figures["statement_p50_ms"] <= figures["statement_p95_ms"]
