"""Payment and Housing Benefit files (rents.payment_files): every bad line refuses the whole
file, listed with its number and reason, and nothing is posted; a good file posts in one go
with unknown references to suspense; the same file is imported once; and the pages that
upload files and show them."""

import threading
import time
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from freezegun import freeze_time

from housing.jobs import SimulatedWorkerLoss, execute_job
from housing.models import BackgroundJob
from rents import payment_files
from rents.models import PaymentFile, RentAccount, RentWeek, Transaction
from rents.payment_files import (
    import_payment_file,
    parse_file,
    upload_payment_file,
)
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # Wednesday 9 December 2026, midday
TODAY = date(2026, 12, 9)
HEADER = "payment_reference,amount,date_received,method,payer_reference"
HB_HEADER = "payment_reference,claim_reference,week_commencing,amount"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module", autouse=True)
def _migrations_rows_put_back(django_db_setup, django_db_blocker):
    """The transactional test below ends by emptying every table, the migrations' rows too
    (rent years and weeks, charge types, the role groups): put them back afterwards from the
    copy pytest-django took at start-up, so later tests and the next --reuse-db session find
    them (as tests/browser/conftest.py does)."""
    yield
    with django_db_blocker.unblock():
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents and not Group.objects.exists():
            connection.creation.deserialize_db_from_string(contents)


def _account(patch, *, address="12 Mill Lane", end=None) -> RentAccount:
    tenancy = tenancy_services.sign_up(
        property_id=PropertyFactory(estate__patch=patch, address_line_1=address).pk,
        tenancy_type="secure", start_date=date(2024, 5, 6), tenant_ids=[PersonFactory().pk],
        by=None, at=AT)
    if end:
        tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=end, reason="notice",
                                     by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


@pytest.fixture
def first(north):
    return _account(north)


@pytest.fixture
def second(north):
    return _account(north, address="3 Weir Road")


def _balance(account) -> int:
    return account.transactions.aggregate(s=Sum("amount_pence"))["s"] or 0


def _csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode()


def _upload(content: bytes, *, by, layout="csv", name="payments.csv") -> PaymentFile:
    return upload_payment_file(upload=SimpleUploadedFile(name, content), layout=layout, by=by,
                               at=AT)


def _import(content: bytes, *, by, layout="csv", name="payments.csv") -> PaymentFile:
    payment_file = _upload(content, by=by, layout=layout, name=name)
    return import_payment_file(payment_file_id=payment_file.pk, by=by, at=AT)


# --- The payments CSV ------------------------------------------------------------------------

def test_a_good_file_posts_every_payment_as_a_credit_with_unknown_references_to_suspense(
        first, second, income_officer):
    content = _csv(f"{first.payment_reference},25.50,2026-12-01,card,RCPT 1",
                   f"{second.payment_reference},100,07/12/2026,direct_debit,",
                   "T9999999,12.05,2026-12-08,bank_transfer,JONES RENT",
                   "CONTROL,3,137.55")
    payment_file = _import(content, by=income_officer)

    assert payment_file.status == PaymentFile.Status.IMPORTED
    assert (payment_file.line_count, payment_file.total_pence, payment_file.suspense_count) == (
        3, 13755, 1)
    assert payment_file.imported_at == AT
    assert (_balance(first), _balance(second)) == (-2550, -10000)
    suspense = RentAccount.objects.get(payment_reference="SUSPENSE")
    assert suspense.kind == RentAccount.Kind.SUSPENSE
    held = suspense.transactions.get()
    assert (held.amount_pence, held.reference, held.posted_on) == (
        -1205, "T9999999 JONES RENT", date(2026, 12, 8))
    rows = Transaction.objects.filter(payment_file=payment_file).order_by("id")
    assert [(r.kind, r.source, r.method) for r in rows] == [
        ("payment", "payment_file", "card"), ("payment", "payment_file", "direct_debit"),
        ("payment", "payment_file", "bank_transfer")]
    assert {r.created_by_id for r in rows} == {income_officer.pk}
    assert {r.created_at for r in rows} == {AT}
    # The rent week the money arrived in: 1 December is in the week of Monday 30 November.
    assert rows[0].rent_week == RentWeek.objects.get(start_date=date(2026, 11, 30))
    assert rows[1].rent_week == RentWeek.objects.get(start_date=date(2026, 12, 7))


@pytest.mark.parametrize(("received", "week"), [
    ("2026-11-30", date(2026, 11, 30)), ("2026-12-06", date(2026, 11, 30)),
    ("2026-12-07", date(2026, 12, 7)), ("2024-04-01", date(2024, 4, 1)),
    ("2024-03-31", None),
], ids=["a Monday", "a Sunday", "the next Monday", "the first rent week", "before it"])
def test_a_payment_is_in_the_rent_week_it_arrived_in(first, income_officer, received, week):
    _import(_csv(f"{first.payment_reference},5.00,{received},card,", "CONTROL,1,5.00"),
            by=income_officer)
    row = first.transactions.get()
    assert (row.rent_week.start_date if row.rent_week else None) == week


def test_a_payment_to_an_ended_tenancy_still_posts_to_its_account(north, income_officer):
    ended = _account(north, end=date(2026, 6, 30))
    payment_file = _import(_csv(f"{ended.payment_reference},40.00,2026-12-01,cash,",
                                "CONTROL,1,40.00"), by=income_officer)
    assert payment_file.suspense_count == 0
    assert _balance(ended) == -4000


def test_references_are_matched_whatever_their_case_and_spacing(first, income_officer):
    reference = first.payment_reference.lower()
    _import(_csv(f"  {reference} ,5.00,2026-12-01,Card,", "CONTROL,1,5.00"),
            by=income_officer)
    assert _balance(first) == -500


# Each case: a file with one good line (line 2), the line under test (line 3) and a control
# row (line 4) that is right unless the control row is what is tested.
BAD_LINES = [
    ("more than two decimals", "{ref},12.345,2026-12-01,card,", "CONTROL,2,25.50", 3,
     "The amount 12.345 has more than two decimal places."),
    ("negative", "{ref},-5.00,2026-12-01,card,", "CONTROL,2,20.50", 3,
     "The amount -5.00 is negative"),
    ("zero", "{ref},0.00,2026-12-01,card,", "CONTROL,2,25.50", 3,
     "The amount is zero: each payment must be more than £0.00."),
    ("not an amount", "{ref},12.50p,2026-12-01,card,", "CONTROL,2,38.00", 3,
     "The amount “12.50p” is not pounds and pence like 25.50."),
    ("bad date", "{ref},5.00,2026-02-30,card,", "CONTROL,2,30.50", 3,
     "The date received 2026-02-30 is not a real date."),
    ("not a date", "{ref},5.00,next week,card,", "CONTROL,2,30.50", 3,
     "The date received “next week” is not a date like 2026-12-01."),
    ("future date", "{ref},5.00,2026-12-10,card,", "CONTROL,2,30.50", 3,
     "The date received 2026-12-10 is in the future."),
    ("unknown method", "{ref},5.00,2026-12-01,cheque,", "CONTROL,2,30.50", 3,
     "The method “cheque” is not one this system knows"),
    ("no reference", ",5.00,2026-12-01,card,", "CONTROL,2,30.50", 3,
     "The payment reference is missing."),
    ("too few columns", "{ref},5.00,2026-12-01,card", "CONTROL,2,30.50", 3,
     "The line has 4 columns; a payment line has 5"),
    ("too many columns", "{ref},5.00,2026-12-01,card,,extra", "CONTROL,2,30.50", 3,
     "The line has 6 columns; a payment line has 5"),
    ("wrong control count", "{ref},5.00,2026-12-01,card,", "CONTROL,3,30.50", 4,
     "The control count is 3 payments, but the file holds 2."),
    ("wrong control total", "{ref},5.00,2026-12-01,card,", "CONTROL,2,30.51", 4,
     "The control total is £30.51, but the payments add up to £30.50."),
    ("control row not a count", "{ref},5.00,2026-12-01,card,", "CONTROL,two,30.50", 4,
     "The control row's count “two” is not a whole number."),
    ("no control row", "{ref},5.00,2026-12-01,card,", "", 3,
     "The file has no control row"),
]


@pytest.mark.parametrize(("bad_line", "control", "line", "reason"),
                         [case[1:] for case in BAD_LINES], ids=[case[0] for case in BAD_LINES])
def test_a_bad_line_refuses_the_whole_file_naming_the_line(first, income_officer, bad_line,
                                                           control, line, reason):
    lines = [f"{first.payment_reference},25.50,2026-12-01,card,",
             bad_line.format(ref=first.payment_reference)]
    if control:
        lines.append(control)
    payment_file = _import(_csv(*lines), by=income_officer)
    assert payment_file.status == PaymentFile.Status.REFUSED
    assert [error["line"] for error in payment_file.errors] == [line]
    assert payment_file.errors[0]["reason"].startswith(reason)
    assert not Transaction.objects.exists()
    assert payment_file.imported_at is None


def test_a_file_in_another_encoding_is_refused_naming_the_problem(first, income_officer):
    content = _csv(f"{first.payment_reference},25.50,2026-12-01,card,",
                   f"{first.payment_reference},5.00,2026-12-01,cash,Paid £5",
                   "CONTROL,2,30.50").decode().encode("cp1252")
    payment_file = _import(content, by=income_officer)
    assert payment_file.status == PaymentFile.Status.REFUSED
    assert payment_file.errors[0]["line"] == 3
    assert payment_file.errors[0]["reason"].startswith(
        "The file is not UTF-8: line 3 has the byte 0xA3, which is not UTF-8. It looks like "
        "Windows-1252")
    assert not Transaction.objects.exists()


def test_utf16_is_refused_and_a_utf8_bom_is_fine(first, income_officer):
    text = _csv(f"{first.payment_reference},25.50,2026-12-01,card,Paid £25.50",
                "CONTROL,1,25.50").decode()
    refused = _import(text.encode("utf-16"), by=income_officer, name="utf16.csv")
    assert refused.status == PaymentFile.Status.REFUSED
    assert "UTF-16" in refused.errors[0]["reason"]
    imported = _import(text.encode("utf-8-sig"), by=income_officer, name="bom.csv")
    assert imported.status == PaymentFile.Status.IMPORTED
    assert _balance(first) == -2550


def test_every_bad_line_is_listed_not_just_the_first(first, income_officer):
    ref = first.payment_reference
    payment_file = _import(_csv(f"{ref},25.50,2026-12-01,card,",
                                f"{ref},1.001,2026-12-01,card,",
                                f"{ref},2.00,2026-12-01,card,",
                                f"{ref},3.00,2026-13-01,paypal,",
                                "CONTROL,9,1.00"), by=income_officer)
    assert payment_file.errors == [
        {"line": 3, "reason": "The amount 1.001 has more than two decimal places."},
        {"line": 5, "reason": "The date received 2026-13-01 is not a real date."},
        {"line": 5, "reason": "The method “paypal” is not one this system knows: use one of "
                              "allpay, bank_transfer, card, cash, direct_debit, "
                              "standing_order."},
        {"line": 6, "reason": "The control count is 9 payments, but the file holds 4."},
    ]
    assert not Transaction.objects.exists()


def test_a_file_with_the_wrong_headings_is_refused_at_line_1(first, income_officer):
    payment_file = _import(_csv(f"{first.payment_reference},T1,2026-11-30,85.40",
                                "CONTROL,1,85.40", header=HB_HEADER), by=income_officer)
    assert payment_file.errors == [{"line": 1, "reason": (
        "The first line must be the headings of the payments CSV: " + HEADER
        + " (it is: " + HB_HEADER + "). Check you chose the right layout.")}]


# --- The same file twice -----------------------------------------------------------------------

def test_the_same_file_is_refused_at_upload_saying_when_and_by_whom(first, income_officer,
                                                                   team_leader):
    content = _csv(f"{first.payment_reference},25.50,2026-12-01,card,", "CONTROL,1,25.50")
    _import(content, by=income_officer)
    with pytest.raises(ValidationError) as refusal:
        _upload(content, by=team_leader, name="renamed.csv")
    assert refusal.value.message_dict["file"] == [
        f"This file was already imported on 9 December 2026 at midday by "
        f"{income_officer.display_name}."]
    assert PaymentFile.objects.count() == 1
    assert _balance(first) == -2550


def test_a_second_copy_queued_before_the_first_was_imported_is_refused_by_the_database(
        first, income_officer):
    content = _csv(f"{first.payment_reference},25.50,2026-12-01,card,", "CONTROL,1,25.50")
    one, two = _upload(content, by=income_officer), _upload(content, by=income_officer)
    assert import_payment_file(payment_file_id=one.pk, by=income_officer,
                               at=AT).status == "imported"
    two = import_payment_file(payment_file_id=two.pk, by=income_officer, at=AT)
    assert two.status == PaymentFile.Status.REFUSED
    assert two.errors[0]["reason"].startswith("This file was already imported on 9 December")
    assert _balance(first) == -2550


def test_an_imported_file_is_not_imported_again_when_its_job_runs_twice(first, income_officer):
    content = _csv(f"{first.payment_reference},25.50,2026-12-01,card,", "CONTROL,1,25.50")
    payment_file = _import(content, by=income_officer)
    again = import_payment_file(payment_file_id=payment_file.pk, by=income_officer, at=AT)
    assert again.status == PaymentFile.Status.IMPORTED
    assert _balance(first) == -2550


@freeze_time("2026-12-09 12:00:00")
def test_a_worker_lost_mid_import_leaves_nothing_and_the_retry_imports_cleanly(
        first, income_officer, monkeypatch):
    content = _csv(f"{first.payment_reference},25.50,2026-12-01,card,",
                   "T9999999,1.00,2026-12-01,card,", "CONTROL,2,26.50")
    payment_file = _upload(content, by=income_officer)

    def lost(*args, **kwargs):  # the worker dies after the INSERT, before the commit
        raise SimulatedWorkerLoss

    monkeypatch.setattr(payment_files, "_record_counts", lost)
    with pytest.raises(SimulatedWorkerLoss):
        execute_job(job_id=payment_file.job_id)
    monkeypatch.undo()
    payment_file.refresh_from_db()
    assert payment_file.status == PaymentFile.Status.QUEUED
    assert not Transaction.objects.exists()

    job = execute_job(job_id=payment_file.job_id)
    payment_file.refresh_from_db()
    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert (payment_file.status, payment_file.line_count, payment_file.suspense_count) == (
        "imported", 2, 1)
    assert Transaction.objects.count() == 2 and _balance(first) == -2550


# --- Allpay ------------------------------------------------------------------------------------

def _allpay_header(day="20261208") -> str:
    return f"H{day}000042{'EXAMPLE COUNCIL HOUSING':<30}".ljust(80)


def _allpay_detail(reference, *, day="20261207", clock="143005", pence="0000002550",
                   channel="PP", transaction_id="PP00000000012345") -> str:
    return f"D{reference:<20}{day}{clock}{pence}{channel}{transaction_id:<20}".ljust(80)


def _allpay_trailer(count: int, total: int) -> str:
    return f"T{count:08d}{total:012d}".ljust(80)


def test_the_allpay_file_is_parsed_by_its_columns(first, second, income_officer):
    content = "\r\n".join([
        _allpay_header(),
        _allpay_detail(first.payment_reference),
        _allpay_detail(second.payment_reference, pence="0000010000", channel="PO",
                       transaction_id="PO77"),
        _allpay_detail("T9999999", pence="0000000105", channel="WB", transaction_id="WB1"),
        _allpay_trailer(3, 12655),
    ]).encode()
    payment_file = _import(content, by=income_officer, layout="allpay", name="ALLPAY.DAT")
    assert payment_file.status == PaymentFile.Status.IMPORTED, payment_file.errors
    assert payment_file.kind == PaymentFile.Kind.PAYMENTS
    assert (payment_file.line_count, payment_file.total_pence, payment_file.suspense_count) == (
        3, 12655, 1)
    assert (_balance(first), _balance(second)) == (-2550, -10000)
    row = first.transactions.get()
    assert (row.method, row.posted_on, row.reference) == (
        "allpay", date(2026, 12, 7), f"{first.payment_reference} Allpay PP PP00000000012345")
    held = RentAccount.objects.get(payment_reference="SUSPENSE").transactions.get()
    assert held.reference == "T9999999 Allpay WB WB1"


ALLPAY_BAD = [
    ("decimal point", {"pence": "0000025.50"}, "has a decimal point"),
    ("negative", {"pence": "-000002550"}, "is negative"),
    ("zero", {"pence": "0000000000"}, "The amount is zero"),
    ("not a date", {"day": "20261232"}, "The transaction date 20261232 is not a real date."),
    ("future", {"day": "20261210"}, "The transaction date 20261210 is in the future."),
    ("bad time", {"clock": "251000"}, "The transaction time “251000” is not a time"),
    ("unknown channel", {"channel": "ZZ"}, "The channel “ZZ” is not a known method"),
]


@pytest.mark.parametrize(("fields", "reason"), [case[1:] for case in ALLPAY_BAD],
                         ids=[case[0] for case in ALLPAY_BAD])
def test_a_bad_allpay_record_refuses_the_file(first, income_officer, fields, reason):
    content = "\n".join([_allpay_header(), _allpay_detail(first.payment_reference),
                         _allpay_detail(first.payment_reference, **fields),
                         _allpay_trailer(2, 5100)]).encode()
    payment_file = _import(content, by=income_officer, layout="allpay")
    assert payment_file.status == PaymentFile.Status.REFUSED
    assert payment_file.errors[0]["line"] == 3
    assert reason in payment_file.errors[0]["reason"]
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(("records", "line", "reason"), [
    (lambda ref: [_allpay_detail(ref) + "XX", _allpay_trailer(1, 2550)], 2,
     "The detail record is 82 characters long; Allpay records are 80."),
    (lambda ref: [_allpay_detail(ref), _allpay_trailer(2, 2550)], 3,
     "The control count is 2 payments, but the file holds 1."),
    (lambda ref: [_allpay_detail(ref), _allpay_trailer(1, 2551)], 3,
     "The control total is £25.51, but the payments add up to £25.50."),
    (lambda ref: [_allpay_detail(ref)], 2, "The file has no trailer record (T)"),
    (lambda ref: [_allpay_detail(ref), "X" + " " * 79, _allpay_trailer(1, 2550)], 3,
     "The record type “X” is not one of H (header), D (detail) or T (trailer)."),
], ids=["too long", "trailer count", "trailer total", "no trailer", "unknown record"])
def test_allpay_records_and_trailer_are_checked(first, income_officer, records, line, reason):
    content = "\n".join([_allpay_header(), *records(first.payment_reference)]).encode()
    payment_file = _import(content, by=income_officer, layout="allpay")
    assert payment_file.status == PaymentFile.Status.REFUSED
    assert {"line": line, "reason": reason} in [
        {"line": e["line"], "reason": e["reason"][:len(reason)]} for e in payment_file.errors]
    assert not Transaction.objects.exists()


# --- Housing Benefit --------------------------------------------------------------------------

def test_a_housing_benefit_file_credits_each_account_for_its_week(first, second,
                                                                  income_officer):
    content = _csv(f"{first.payment_reference},HB100001,2026-11-30,85.40",
                   f"{second.payment_reference},HB100002,07/12/2026,60.00",
                   "T9999999,HB100003,2026-12-07,10.00",
                   "CONTROL,3,155.40", header=HB_HEADER)
    payment_file = _import(content, by=income_officer, layout="benefit_csv", name="hb.csv")
    assert payment_file.status == PaymentFile.Status.IMPORTED, payment_file.errors
    assert payment_file.kind == PaymentFile.Kind.BENEFIT
    assert (payment_file.line_count, payment_file.total_pence, payment_file.suspense_count) == (
        3, 15540, 1)
    credit = first.transactions.get()
    assert (credit.kind, credit.source, credit.method, credit.amount_pence) == (
        "benefit", "benefit_file", "", -8540)
    assert credit.posted_on == date(2026, 11, 30)
    assert credit.rent_week.start_date == date(2026, 11, 30)
    assert credit.reference == f"{first.payment_reference} HB claim HB100001"
    assert _balance(second) == -6000


@pytest.mark.parametrize(("line", "reason"), [
    ("{ref},HB1,2026-12-02,85.40",
     "The week commencing 2026-12-02 is a Wednesday: it must be the Monday the rent week "
     "starts."),
    ("{ref},HB1,2020-01-06,85.40",
     "The week commencing 2020-01-06 is not a rent week that has been set up."),
    ("{ref},HB1,2026-12-14,85.40", "The week commencing 2026-12-14 is in the future."),
    ("{ref},,2026-11-30,85.40", "The claim reference is missing."),
    ("{ref},HB1,2026-11-30,85.401", "The amount 85.401 has more than two decimal places."),
    ("{ref},HB1,2026-11-30", "The line has 3 columns; a Housing Benefit line has 4"),
])
def test_bad_housing_benefit_lines_are_refused(first, income_officer, line, reason):
    content = _csv(line.format(ref=first.payment_reference), "CONTROL,1,85.40",
                   header=HB_HEADER)
    payment_file = _import(content, by=income_officer, layout="benefit_csv")
    assert payment_file.status == PaymentFile.Status.REFUSED
    assert payment_file.errors[0]["line"] == 2
    assert payment_file.errors[0]["reason"].startswith(reason)
    assert not Transaction.objects.exists()


# --- Housing Benefit credited once per account, week and claim ---------------------------------

def _hb(*lines: str, ending: str = "\r\n") -> bytes:
    return (ending.join([HB_HEADER, *lines]) + ending).encode()


def _control(lines: list[str]) -> str:
    total = sum(int(line.rsplit(",", 1)[1].replace(".", "")) for line in lines)
    return f"CONTROL,{len(lines)},{total // 100}.{total % 100:02d}"


def _twice(earlier: int, line: int, reference: str, claim: str = "HB1") -> str:
    return (f"Lines {earlier} and {line} both credit Housing Benefit for claim {claim} to "
            f"{reference} for the week of 30 November 2026: a claim is credited once a week. "
            "Remove one of them, or ask the benefits team for a corrected file.")


# Each case: a file's lines ({ref} is the first account's payment reference, {lower} the same
# in lower case, {other} the second account's) and the line refused with the earlier line it
# repeats, or None when every line is a credit of its own.
IN_ONE_FILE = [
    ("the same line twice", ["{ref},HB1,2026-11-30,10.00", "{ref},HB1,2026-11-30,10.00"],
     (3, 2)),
    ("the week written another way",
     ["{ref},HB1,2026-11-30,10.00", "{ref},HB1,30/11/2026,12.00"], (3, 2)),
    ("reference and claim in another case, with spaces",
     ["{ref},HB1,2026-11-30,10.00", " {lower} , hb1 ,2026-11-30,10.00"], (3, 2)),
    ("an unknown reference twice", ["T9999999,HB1,2026-11-30,10.00",
                                    "T9999999,HB1,2026-11-30,10.00"], (3, 2)),
    ("a line between them", ["{ref},HB1,2026-11-30,10.00", "{other},HB2,2026-11-30,5.00",
                             "{ref},HB1,2026-11-30,10.00"], (4, 2)),
    ("another claim the same week", ["{ref},HB1,2026-11-30,10.00",
                                     "{ref},HB2,2026-11-30,10.00"], None),
    ("the same claim another week", ["{ref},HB1,2026-11-30,10.00",
                                     "{ref},HB1,2026-12-07,10.00"], None),
    ("another account, the same claim", ["{ref},HB1,2026-11-30,10.00",
                                         "{other},HB1,2026-11-30,10.00"], None),
    ("unknown references, other claims", ["T9999999,HB1,2026-11-30,10.00",
                                          "T9999999,HB2,2026-11-30,10.00"], None),
]


@pytest.mark.parametrize(("lines", "refused"), [case[1:] for case in IN_ONE_FILE],
                         ids=[case[0] for case in IN_ONE_FILE])
def test_a_housing_benefit_file_credits_a_claim_once_a_week(first, second, income_officer,
                                                            lines, refused):
    lines = [line.format(ref=first.payment_reference, lower=first.payment_reference.lower(),
                         other=second.payment_reference) for line in lines]
    payment_file = _import(_hb(*lines, _control(lines)), by=income_officer,
                           layout="benefit_csv", name="hb.csv")
    if refused is None:
        assert payment_file.status == PaymentFile.Status.IMPORTED, payment_file.errors
        assert Transaction.objects.filter(kind="benefit").count() == len(lines)
        return
    line, earlier = refused
    reference = lines[earlier - 2].split(",")[0].strip().upper()
    assert payment_file.status == PaymentFile.Status.REFUSED
    assert payment_file.errors == [{"line": line, "reason": _twice(earlier, line, reference)}]
    assert not Transaction.objects.exists()


HB_FIRST = ["{ref},HB100001,2026-11-30,85.40", "T9999999,HB100003,2026-11-30,10.00"]


def _already(claim: str, week: str = "30 November 2026") -> str:
    return (f"Housing Benefit for claim {claim} for the week of {week} was already credited "
            "from file hb-week-48.csv on 9 December 2026.")


# The file hb-week-48.csv (HB_FIRST: a credit to the first account and one to suspense) is
# imported; then another file, with other bytes. Each case: that file's lines and the lines
# refused with the claim each names ([] when it is imported).
SENT_AGAIN = [
    ("re-sent with LF line endings", HB_FIRST, "\n",
     [(2, "HB100001"), (3, "HB100003")]),
    ("the same credits in another order with one new", [
        "{other},HB100002,2026-11-30,60.00", "T9999999,HB100003,30/11/2026,10.00",
        " {lower},hb100001,2026-11-30,85.40"], "\r\n", [(3, "HB100003"), (4, "HB100001")]),
    ("a credit for another amount is still the same credit",
     ["{ref},HB100001,2026-11-30,80.00"], "\r\n", [(2, "HB100001")]),
    ("the same claims the next week",
     ["{ref},HB100001,2026-12-07,85.40", "T9999999,HB100003,2026-12-07,10.00"], "\r\n", []),
    ("another claim on the account the same week",
     ["{ref},HB100009,2026-11-30,5.00"], "\r\n", []),
    ("another claim in suspense the same week",
     ["T9999999,HB100004,2026-11-30,10.00"], "\r\n", []),
    ("the same claim quoting another unknown reference",
     ["T8888888,HB100003,2026-11-30,10.00"], "\r\n", []),
]


@pytest.mark.parametrize(("lines", "ending", "refused"), [case[1:] for case in SENT_AGAIN],
                         ids=[case[0] for case in SENT_AGAIN])
def test_a_credit_already_on_the_ledger_refuses_the_file_naming_each_line(
        first, second, income_officer, lines, ending, refused):
    def filled(lines):
        return [line.format(ref=first.payment_reference, lower=first.payment_reference.lower(),
                            other=second.payment_reference) for line in lines]

    earlier = _import(_hb(*filled(HB_FIRST), _control(HB_FIRST)), by=income_officer,
                      layout="benefit_csv", name="hb-week-48.csv")
    assert earlier.status == PaymentFile.Status.IMPORTED
    before = list(Transaction.objects.values_list("id", flat=True))
    lines = filled(lines)

    again = _import(_hb(*lines, _control(lines), ending=ending), by=income_officer,
                    layout="benefit_csv", name="hb-again.csv")

    if not refused:
        assert again.status == PaymentFile.Status.IMPORTED, again.errors
        assert again.transactions.count() == len(lines)
        return
    assert again.status == PaymentFile.Status.REFUSED
    assert again.errors == [{"line": line, "reason": _already(claim)} for line, claim in refused]
    assert list(Transaction.objects.values_list("id", flat=True)) == before  # nothing posted
    assert (_balance(first), _balance(second)) == (-8540, 0)
    assert again.imported_at is None and not again.transactions.exists()


def test_credits_already_posted_are_listed_up_to_the_limit_then_counted(
        first, second, income_officer, monkeypatch):
    lines = [f"{first.payment_reference},HB1,2026-11-30,1.00",
             f"{second.payment_reference},HB2,2026-11-30,2.00", "T9999999,HB3,2026-11-30,3.00"]
    _import(_hb(*lines, "CONTROL,3,6.00"), by=income_officer, layout="benefit_csv",
            name="hb-week-48.csv")
    monkeypatch.setattr(payment_files, "MAX_LISTED_ERRORS", 2)
    again = _import(_hb(*lines, "CONTROL,3,6.00", ending="\n"), by=income_officer,
                    layout="benefit_csv", name="again.csv")
    assert again.errors == [
        {"line": 2, "reason": _already("HB1")}, {"line": 3, "reason": _already("HB2")},
        {"line": None, "reason": "And 1 more problems, not listed: correct those above and "
                                 "upload the file again to see them."}]


def test_the_refused_file_page_names_the_credit_already_posted(client_for, first,
                                                               income_officer):
    lines = [f"{first.payment_reference},HB100001,2026-11-30,85.40"]
    _import(_hb(*lines, "CONTROL,1,85.40"), by=income_officer, layout="benefit_csv",
            name="hb-week-48.csv")
    again = _import(_hb(*lines, "CONTROL,1,85.40", ending="\n"), by=income_officer,
                    layout="benefit_csv", name="hb-week-48 (2).csv")
    page = client_for(income_officer).get(f"/rents/payment-files/{again.pk}/").content.decode()
    assert "This file was refused: nothing was posted" in page
    assert escape(_already("HB100001")) in page
    assert page.count('<th scope="row" class="govuk-table__header">2</th>') == 1


@pytest.mark.parametrize(("changes", "allowed"), [
    ({}, False),
    ({"amount_pence": -100}, False),
    ({"kind": "payment", "method": "card"}, True),
    ({"source": "officer"}, True),
    ({"reference": "T0000001 HB claim HB2"}, True),
    ({"week": date(2026, 12, 7)}, True),
], ids=["the same credit", "another amount", "a payment", "by hand", "another claim",
        "another week"])
def test_the_database_holds_a_benefit_file_credit_once(first, changes, allowed):
    def credit(**changes):
        week = RentWeek.objects.get(start_date=changes.pop("week", date(2026, 11, 30)))
        row = {"account": first, "posted_on": week.start_date, "rent_week": week,
               "kind": "benefit", "source": "benefit_file", "amount_pence": -8540,
               "reference": "T0000001 HB claim HB1", "created_at": AT, **changes}
        return Transaction.objects.create(**row)

    credit()
    if allowed:
        credit(**changes)
        assert first.transactions.count() == 2
        return
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        credit(**changes)
    assert "benefit_credit_once" in str(refusal.value)
    assert first.transactions.count() == 1


# COPY's text format gives a backslash, a tab and a line break meanings of their own: a
# reference holding them must reach the ledger as it was written.
@pytest.mark.parametrize("payer", ["PAID \\ CASH", "A\tB", "LINE\r\nBREAK", "\\.", "\\N",
                                   "ÀÉÎ £5 “quoted”"],
                         ids=["backslash", "tab", "line break", "end of data", "null",
                              "not ascii"])
def test_references_reach_the_ledger_as_written(first, income_officer, payer):
    quoted = '"' + payer.replace('"', '""') + '"'
    payment_file = _import(_csv(f"{first.payment_reference},25.50,2026-12-01,card,{quoted}",
                                "CONTROL,1,25.50"), by=income_officer)
    assert payment_file.status == PaymentFile.Status.IMPORTED, payment_file.errors
    assert first.transactions.get().reference == f"{first.payment_reference} {payer}"


def test_parsing_is_pure_and_reports_a_line_per_problem():
    parsed = parse_file(b"\xef\xbb\xbf" + _csv("A1,1.00,2026-12-01,card,x", "CONTROL,1,1.00"),
                        layout="csv", today=TODAY)
    assert parsed.errors == [] and parsed.total_pence == 100
    assert parsed.lines[0].reference == "A1" and parsed.lines[0].detail == "A1 x"
    assert parse_file(b"", layout="csv", today=TODAY).errors == [
        {"line": None, "reason": "The file is empty."}]


# --- Two imports at the same moment ------------------------------------------------------------

@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_copies_imported_at_the_same_moment_post_once(north, income_officer, tmp_path):
    account = _account(north)
    content = _csv(f"{account.payment_reference},25.50,2026-12-01,card,", "CONTROL,1,25.50")
    copies = []
    for name in ("one.csv", "two.csv"):
        payment_file = PaymentFile(kind="payments", layout="csv", name=name,
                                   sha256="same" * 16, uploaded_by=income_officer,
                                   uploaded_at=AT)
        payment_file.file.save(name, ContentFile(content))
        copies.append(payment_file)
    results = {}

    def second_import():
        try:
            results["two"] = import_payment_file(payment_file_id=copies[1].pk,
                                                 by=income_officer, at=AT)
        finally:
            connection.close()

    # The first import's transaction is held open while the second runs: the second must
    # wait for it on the hash and then be refused, not post a second time.
    with transaction.atomic():
        results["one"] = import_payment_file(payment_file_id=copies[0].pk,
                                             by=income_officer, at=AT)
        other = threading.Thread(target=second_import)
        other.start()
        time.sleep(1)
        assert other.is_alive()  # blocked on the unique index
    other.join(timeout=30)
    assert results["one"].status == PaymentFile.Status.IMPORTED
    assert results["two"].status == PaymentFile.Status.REFUSED
    assert "already imported" in results["two"].errors[0]["reason"]
    assert _balance(account) == -2550


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_files_with_the_same_credit_imported_at_the_same_moment_credit_it_once(
        north, income_officer):
    account = _account(north)
    payment_files.suspense_account(on=TODAY)  # the credit is then the only row both write
    lines = [f"{account.payment_reference},HB100001,2026-11-30,85.40"]
    copies = []
    for name, ending in (("hb-week-48.csv", "\r\n"), ("hb-resent.csv", "\n")):
        payment_file = PaymentFile(kind="benefit", layout="benefit_csv", name=name,
                                   sha256=ending.encode().hex().ljust(64, "0"),
                                   uploaded_by=income_officer, uploaded_at=AT)
        payment_file.file.save(name, ContentFile(_hb(*lines, "CONTROL,1,85.40",
                                                     ending=ending)))
        copies.append(payment_file)
    results = {}

    def second_import():
        try:
            results["two"] = import_payment_file(payment_file_id=copies[1].pk,
                                                 by=income_officer, at=AT)
        finally:
            connection.close()

    # The first import's transaction is held open while the second runs: the second must wait
    # for it at the credit, then be refused like any repeat (not fail, not post twice).
    with transaction.atomic():
        results["one"] = import_payment_file(payment_file_id=copies[0].pk,
                                             by=income_officer, at=AT)
        other = threading.Thread(target=second_import)
        other.start()
        time.sleep(1)
        assert other.is_alive()  # waiting on benefit_credit_once
    other.join(timeout=30)
    assert results["one"].status == PaymentFile.Status.IMPORTED
    assert results["two"].status == PaymentFile.Status.REFUSED
    assert results["two"].errors == [{"line": 2, "reason": _already("HB100001")}]
    assert _balance(account) == -8540


# --- The pages ---------------------------------------------------------------------------------

PAGES = ["/rents/payment-files/", "/rents/payment-files/upload/"]


@pytest.fixture
def imported(first, income_officer):
    return _import(_csv(f"{first.payment_reference},25.50,2026-12-01,card,",
                        "T9999999,1.00,2026-12-01,card,", "CONTROL,2,26.50"),
                   by=income_officer)


@pytest.mark.parametrize("persona", ["income_officer", "team_leader", "administrator"])
def test_income_staff_see_the_payment_file_pages(client_for, request, persona, imported):
    client = client_for(request.getfixturevalue(persona))
    for path in [*PAGES, f"/rents/payment-files/{imported.pk}/"]:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("persona", ["officer", "customer_access", "council_tax", "no_access",
                                     "tenant", "contractor"])
def test_others_are_refused_the_payment_file_pages(client_for, request, persona, imported):
    client = client_for(request.getfixturevalue(persona))
    for path in [*PAGES, f"/rents/payment-files/{imported.pk}/"]:
        assert client.get(path).status_code == 403, path
    assert client.post(PAGES[1], {"layout": "csv"}).status_code == 403
    assert PaymentFile.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client_for, imported):
    for path in [*PAGES, f"/rents/payment-files/{imported.pk}/"]:
        assert client_for(None).get(path)["Location"].startswith("/accounts/login/")


@freeze_time("2026-12-09 12:00:00")
def test_an_officer_uploads_a_file_and_the_job_imports_it(client_for, income_officer, first,
                                                         django_capture_on_commit_callbacks):
    client = client_for(income_officer)
    assert "Payment files" in client.get("/rents/").content.decode()
    content = _csv(f"{first.payment_reference},25.50,2026-12-01,card,",
                   "T9999999,1.00,2026-12-01,card,", "CONTROL,2,26.50")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/rents/payment-files/upload/", {
            "layout": "csv", "file": SimpleUploadedFile("december.csv", content)})
    payment_file = PaymentFile.objects.get()
    assert response["Location"] == f"/jobs/{payment_file.job_id}/"
    job = client.get(response["Location"]).content.decode()
    assert "File imported" in job
    assert "december.csv: 2 payments imported, £26.50 in all; 1 with an unknown reference " \
           "went to suspense." in job
    assert _balance(first) == -2550

    listing = client.get("/rents/payment-files/").content.decode()
    assert "december.csv" in listing and "Imported" in listing and "£26.50" in listing
    assert escape(income_officer.display_name) in listing
    page = client.get(f"/rents/payment-files/{payment_file.pk}/").content.decode()
    assert "Imported" in page and "£26.50" in page and "allocate them from suspense" in page


@freeze_time("2026-12-09 12:00:00")
def test_a_refused_file_shows_every_line_to_correct(client_for, income_officer, first,
                                                   django_capture_on_commit_callbacks):
    client = client_for(income_officer)
    content = _csv(f"{first.payment_reference},25.505,2026-12-01,card,",
                   f"{first.payment_reference},-1,2026-12-01,card,", "CONTROL,2,26.50")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/rents/payment-files/upload/", {
            "layout": "csv", "file": SimpleUploadedFile("bad.csv", content)})
    job = client.get(response["Location"]).content.decode()
    assert "The file was refused: nothing was posted" in job
    assert "The amount 25.505 has more than two decimal places." in job
    assert "The amount -1 is negative" in job
    payment_file = PaymentFile.objects.get()
    page = client.get(f"/rents/payment-files/{payment_file.pk}/").content.decode()
    assert "This file was refused: nothing was posted" in page
    assert page.count('<th scope="row" class="govuk-table__header">') == 2
    assert not Transaction.objects.exists()


@freeze_time("2026-12-09 12:00:00")
def test_uploading_a_file_already_imported_is_refused_on_the_form(client_for, income_officer,
                                                                  imported):
    imported.file.open("rb")
    content = imported.file.read()
    imported.file.close()
    response = client_for(income_officer).post("/rents/payment-files/upload/", {
        "layout": "allpay", "file": SimpleUploadedFile("again.csv", content)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert escape(f"This file was already imported on 9 December 2026 at midday by "
                  f"{income_officer.display_name}.") in page
    assert 'value="allpay" aria-describedby="id_layout_1-hint" checked' in page  # kept
    assert PaymentFile.objects.count() == 1


def test_the_upload_form_asks_for_what_is_missing(client_for, income_officer):
    page = client_for(income_officer).post("/rents/payment-files/upload/", {}).content.decode()
    assert "There is a problem" in page
    assert "Select which kind of file it is" in page and "Select the file to upload" in page
    assert not PaymentFile.objects.exists()


def test_the_list_of_files_costs_the_same_queries_for_more_files(client_for, income_officer,
                                                                first):
    client = client_for(income_officer)
    _import(_csv(f"{first.payment_reference},1.00,2026-12-01,card,", "CONTROL,1,1.00"),
            by=income_officer)
    client.get("/rents/payment-files/")
    with CaptureQueriesContext(connection) as one:
        client.get("/rents/payment-files/")
    for pence in range(2, 6):
        _import(_csv(f"{first.payment_reference},{pence}.00,2026-12-01,card,",
                     f"CONTROL,1,{pence}.00"), by=income_officer)
    with CaptureQueriesContext(connection) as five:
        response = client.get("/rents/payment-files/")
    assert response.content.decode().count("Imported</strong>") == 5
    assert len(five) == len(one)


# --- The benchmark ---------------------------------------------------------------------------

def test_the_bench_times_an_import_and_its_baseline_and_leaves_nothing_behind(first, second,
                                                                             settings):
    from rents.bench_payments import bench_payment_import

    figures = bench_payment_import(lines=250)
    assert set(figures) == {"payment_import_seconds", "payment_import_baseline_seconds",
                            "payment_import_ratio", "payment_import_empty_ledger_seconds"}
    assert figures["payment_import_seconds"] > 0
    assert figures["payment_import_baseline_seconds"] >= 0
    assert figures["payment_import_ratio"] is None or figures["payment_import_ratio"] > 0
    assert not Transaction.objects.exists() and not PaymentFile.objects.exists()
    assert not BackgroundJob.objects.exists()
    media = settings.MEDIA_ROOT
    assert not any(path.is_file() for path in media.rglob("*")) if media.exists() else True
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_payment_ledger_copy')")
        assert cursor.fetchone()[0] is None


def test_the_bench_file_is_a_good_file_with_some_unknown_references():
    from rents.bench_payments import build_payments_csv

    content, data = build_payments_csv(["T0000001", "T0000002"], lines=200,
                                       received_on=date(2026, 12, 1))
    parsed = parse_file(content, layout="csv", today=TODAY)
    assert parsed.errors == [] and len(parsed.lines) == 200
    assert sum(1 for line in parsed.lines if line.reference.startswith("X")) == 2
    assert data.count(b"\n") == 200


@pytest.mark.parametrize(("sample", "layout", "count", "total"), [
    ("payments.csv", "csv", 5, 29625),
    ("allpay.txt", "allpay", 4, 14925),
    ("housing-benefit.csv", "benefit_csv", 3, 24461),
])
def test_the_documented_samples_are_good_files(sample, layout, count, total):
    from django.conf import settings as django_settings

    content = (django_settings.BASE_DIR / "docs" / "samples" / sample).read_bytes()
    parsed = parse_file(content, layout=layout, today=TODAY,
                        rent_weeks={date(2026, 11, 30)})
    assert parsed.errors == []
    assert (len(parsed.lines), parsed.total_pence) == (count, total)
