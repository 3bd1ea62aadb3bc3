"""The suspense page: payments whose reference matched no account, allocated by an officer to
the right account after seeing its tenancy and address, once, with a history row."""

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.utils.html import escape
from freezegun import freeze_time

from rents.models import RentAccount, Transaction, Transfer
from rents.payment_files import import_payment_file, upload_payment_file
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 12:00:00"):
        yield


def _account(patch, *, address="12 Mill Lane", surname="Thistlewood") -> RentAccount:
    tenancy = tenancy_services.sign_up(
        property_id=PropertyFactory(estate__patch=patch, address_line_1=address).pk,
        tenancy_type="secure", start_date=date(2024, 5, 6),
        tenant_ids=[PersonFactory(first_name="Margaret", last_name=surname).pk],
        by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


def _balance(account) -> int:
    return account.transactions.aggregate(s=Sum("amount_pence"))["s"] or 0


@pytest.fixture
def account(north):
    return _account(north)


@pytest.fixture
def item(account, income_officer):
    """A payment of £12.05 quoting T9999999, sent to suspense by a file."""
    content = (f"payment_reference,amount,date_received,method,payer_reference\n"
               f"{account.payment_reference},25.50,2026-12-01,card,\n"
               f"T9999999,12.05,2026-12-02,bank_transfer,M THISTLEWOOD\n"
               f"CONTROL,2,37.55\n").encode()
    payment_file = upload_payment_file(upload=SimpleUploadedFile("december.csv", content),
                                       layout="csv", by=income_officer, at=AT)
    import_payment_file(payment_file_id=payment_file.pk, by=income_officer, at=AT)
    return Transaction.objects.get(account__kind=RentAccount.Kind.SUSPENSE)


def _pages(item):
    return ["/rents/suspense/", f"/rents/suspense/{item.pk}/allocate/"]


@pytest.mark.parametrize("persona", ["income_officer", "team_leader", "administrator"])
def test_income_staff_see_suspense_and_the_allocate_page(client_for, request, persona, item):
    client = client_for(request.getfixturevalue(persona))
    page = client.get("/rents/suspense/").content.decode()
    assert '1 payment, <span class="app-numeric">£12.05</span> in all.' in page
    assert "T9999999 M THISTLEWOOD" in page and "december.csv" in page
    assert "2 December 2026" in page
    allocate = client.get(f"/rents/suspense/{item.pk}/allocate/")
    assert allocate.status_code == 200
    assert "Allocate a payment" in allocate.content.decode()


@pytest.mark.parametrize("persona", ["officer", "customer_access", "council_tax", "no_access",
                                     "tenant", "contractor"])
def test_others_are_refused_suspense(client_for, request, persona, item, account):
    client = client_for(request.getfixturevalue(persona))
    for path in _pages(item):
        assert client.get(path).status_code == 403, path
    response = client.post(_pages(item)[1], {"reference": account.payment_reference,
                                             "reason": "x", "account": account.pk,
                                             "action": "allocate"})
    assert response.status_code == 403
    assert not Transfer.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(client_for, item):
    for path in _pages(item):
        assert client_for(None).get(path)["Location"].startswith("/accounts/login/")


def test_a_payment_that_is_not_in_suspense_is_not_found(client_for, income_officer, account,
                                                       item):
    elsewhere = account.transactions.get()
    assert client_for(income_officer).get(
        f"/rents/suspense/{elsewhere.pk}/allocate/").status_code == 404


def test_the_officer_sees_the_account_then_allocates_the_payment_once(client_for,
                                                                     income_officer, item,
                                                                     north):
    right = _account(north, address="7 Polsloe Road", surname="Oakhampton")
    client = client_for(income_officer)
    url = f"/rents/suspense/{item.pk}/allocate/"
    found = client.post(url, {"reference": right.payment_reference.lower(),
                              "reason": "Reference mistyped", "action": "find"})
    page = found.content.decode()
    assert "Is this the right account?" in page
    assert "7 Polsloe Road" in page and "Margaret Oakhampton" in page
    assert "Allocate £12.05 to this account" in page
    assert f'name="account" value="{right.pk}"' in page
    assert "Reference mistyped" in page  # kept
    assert not Transfer.objects.exists()

    done = client.post(url, {"reference": right.payment_reference, "reason": "Reference mistyped",
                             "account": right.pk, "action": "allocate"})
    assert done["Location"] == "/rents/suspense/"
    transfer = Transfer.objects.get()
    assert (transfer.allocates, transfer.created_by, transfer.reason) == (
        item, income_officer, "Reference mistyped")
    suspense = item.account
    assert (_balance(suspense), _balance(right)) == (0, -1205)
    credit = right.transactions.get()
    assert (credit.kind, credit.method, credit.posted_on) == ("payment", "bank_transfer",
                                                              date(2026, 12, 2))

    listing = client.get(done["Location"]).content.decode()
    assert "£12.05 allocated to " + right.payment_reference in listing
    assert "Nothing in suspense" in listing
    history = listing[listing.index('id="allocated"'):]
    assert right.payment_reference in history and "7 Polsloe Road" in history
    assert escape(income_officer.display_name) in history and "Reference mistyped" in history
    assert "9 December 2026 at midday" in history

    again = client.post(url, {"reference": right.payment_reference, "reason": "again",
                              "account": right.pk, "action": "allocate"})
    assert again["Location"] == "/rents/suspense/"
    assert "already allocated" in client.get("/rents/suspense/").content.decode()
    assert Transfer.objects.count() == 1 and _balance(right) == -1205


def test_an_account_is_found_by_its_tenancy_reference_too(client_for, income_officer, item,
                                                          north):
    right = _account(north, address="7 Polsloe Road")
    RentAccount.objects.filter(pk=right.pk).update(payment_reference="AP6300123456")
    page = client_for(income_officer).post(f"/rents/suspense/{item.pk}/allocate/", {
        "reference": right.tenancy.reference, "reason": "Phoned", "action": "find",
    }).content.decode()
    assert "Rent account AP6300123456" in page and "7 Polsloe Road" in page


def test_a_reference_changed_after_finding_shows_the_new_account_first(client_for,
                                                                     income_officer, item,
                                                                     account, north):
    other = _account(north, address="9 Other Street")
    page = client_for(income_officer).post(f"/rents/suspense/{item.pk}/allocate/", {
        "reference": other.payment_reference, "reason": "Phoned", "account": account.pk,
        "action": "allocate",
    }).content.decode()
    assert "Is this the right account?" in page and "9 Other Street" in page
    assert not Transfer.objects.exists()


@pytest.mark.parametrize(("data", "message"), [
    ({"reference": "T0000000", "reason": "Phoned"},
     "No rent account has the reference T0000000. Check it and try again"),
    ({"reference": "", "reason": "Phoned"},
     "Enter the payment reference or tenancy reference"),
    ({"reference": "{ref}", "reason": ""}, "Enter why the payment belongs to this account"),
    ({"reference": "SUSPENSE", "reason": "Phoned"},
     "No rent account has the reference SUSPENSE"),
])
def test_what_is_wrong_is_said_and_what_was_typed_is_kept(client_for, income_officer, item,
                                                          account, data, message):
    data = {key: value.format(ref=account.payment_reference) for key, value in data.items()}
    response = client_for(income_officer).post(f"/rents/suspense/{item.pk}/allocate/",
                                               {**data, "action": "find"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and escape(message) in page
    if data["reason"]:
        assert data["reason"] in page
    assert not Transfer.objects.exists()


def test_an_officer_cannot_allocate_to_an_account_off_their_patches(client_for,
                                                                    income_officer, item,
                                                                    south):
    far = _account(south, address="3 Far Road")
    response = client_for(income_officer).post(f"/rents/suspense/{item.pk}/allocate/", {
        "reference": far.payment_reference, "reason": "Phoned", "account": far.pk,
        "action": "allocate"})
    assert "No rent account has the reference" in response.content.decode()
    assert not Transfer.objects.exists() and _balance(far) == 0


def test_the_suspense_page_costs_the_same_queries_for_more_items(client_for, income_officer,
                                                                 item, north):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from rents.services import post_transfer

    def held(pence: int) -> Transaction:
        return Transaction.objects.create(
            account=item.account, posted_on=date(2026, 12, 3), kind=Transaction.Kind.PAYMENT,
            method="card", amount_pence=-pence, reference=f"UNKNOWN{pence}",
            source=Transaction.Source.PAYMENT_FILE, payment_file=item.payment_file,
            created_at=AT)

    def allocated(pence: int) -> None:
        post_transfer(from_account_id=item.account_id, to_account_id=_account(north).pk,
                      amount_pence=pence, reason="Phoned", by=income_officer, at=AT,
                      allocates_id=held(pence).pk)

    client = client_for(income_officer)
    allocated(100)
    client.get("/rents/suspense/")
    with CaptureQueriesContext(connection) as few:
        client.get("/rents/suspense/")
    for pence in (200, 300, 400):
        allocated(pence)
    held(500)
    with CaptureQueriesContext(connection) as more:
        page = client.get("/rents/suspense/").content.decode()
    assert "2 payments," in page and page.count("Reason: Phoned") == 4
    assert len(more) == len(few)


def test_a_benefit_credit_allocated_from_suspense_is_not_credited_again_when_resent(
        income_officer, account):
    """The allocation moves the money but leaves the file's credit in suspense, where the
    ledger holds it once: the same file sent again (other bytes) is refused, and the account
    keeps one credit."""
    from rents.services import post_transfer

    def import_hb(name: str, ending: str):
        content = ending.join(["payment_reference,claim_reference,week_commencing,amount",
                               "T9999999,HB4410021,2026-11-30,85.40", "CONTROL,1,85.40", ""])
        payment_file = upload_payment_file(
            upload=SimpleUploadedFile(name, content.encode()), layout="benefit_csv",
            by=income_officer, at=AT)
        return import_payment_file(payment_file_id=payment_file.pk, by=income_officer, at=AT)

    assert import_hb("hb-week-48.csv", "\r\n").suspense_count == 1
    credit = Transaction.objects.get(account__kind=RentAccount.Kind.SUSPENSE)
    assert credit.reference == "T9999999 HB claim HB4410021"
    post_transfer(from_account_id=credit.account_id, to_account_id=account.pk,
                  amount_pence=8540, reason="Claim quoted the old tenancy reference",
                  by=income_officer, at=AT, allocates_id=credit.pk)

    again = import_hb("hb-week-48-resent.csv", "\n")

    assert again.status == "refused"
    assert again.errors == [{"line": 2, "reason": (
        "Housing Benefit for claim HB4410021 for the week of 30 November 2026 was already "
        "credited from file hb-week-48.csv on 9 December 2026.")}]
    assert _balance(account) == -8540 and _balance(credit.account) == 0
