"""Transfers between accounts and allocating a suspense payment (rents.services.post_transfer):
both rows post together with a Transfer row, or nothing posts."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from rents.models import RentAccount, Transaction, Transfer
from rents.payments import MAX_PAYMENT_PENCE
from rents.services import post_transfer
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


def _account(patch) -> RentAccount:
    tenancy = tenancy_services.sign_up(
        property_id=PropertyFactory(estate__patch=patch).pk, tenancy_type="secure",
        start_date=date(2024, 5, 6), tenant_ids=[PersonFactory().pk], by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


def _balance(account) -> int:
    return account.transactions.aggregate(s=Sum("amount_pence"))["s"] or 0


@pytest.fixture
def suspense():
    return RentAccount.objects.create(kind=RentAccount.Kind.SUSPENSE,
                                      payment_reference="TEST-SUSPENSE", opened_on=date(2024, 4, 1))


def _suspense_payment(suspense, pence=2500, on=date(2026, 12, 1)):
    return Transaction.objects.create(
        account=suspense, posted_on=on, kind=Transaction.Kind.PAYMENT,
        method=Transaction.Method.ALLPAY, amount_pence=-pence, reference="Allpay 99999",
        source=Transaction.Source.PAYMENT_FILE, created_at=AT)


def test_a_transfer_moves_credit_from_one_account_to_another(north, income_officer):
    first, second = _account(north), _account(north)
    Transaction.objects.create(account=first, posted_on=date(2026, 12, 1),
                               kind=Transaction.Kind.ADJUSTMENT, amount_pence=-4000,
                               source=Transaction.Source.OFFICER, created_at=AT)
    transfer = post_transfer(from_account_id=first.pk, to_account_id=second.pk,
                             amount_pence=1500, reason="Paid to the wrong account",
                             by=income_officer, at=AT)
    assert (_balance(first), _balance(second)) == (-2500, -1500)
    assert transfer.out_entry.account == first and transfer.in_entry.account == second
    assert transfer.created_by == income_officer and transfer.allocates is None


def test_allocating_from_suspense_moves_the_whole_payment_once(north, income_officer,
                                                               suspense):
    account = _account(north)
    payment = _suspense_payment(suspense)
    transfer = post_transfer(from_account_id=suspense.pk, to_account_id=account.pk,
                             amount_pence=2500, reason="Reference mistyped",
                             by=income_officer, at=AT, allocates_id=payment.pk)
    assert _balance(suspense) == 0 and _balance(account) == -2500
    credit = transfer.in_entry
    assert (credit.kind, credit.method, credit.posted_on) == ("payment", "allpay",
                                                              date(2026, 12, 1))
    assert payment.allocation == transfer
    with pytest.raises(ValidationError, match="already been allocated"):
        post_transfer(from_account_id=suspense.pk, to_account_id=account.pk, amount_pence=2500,
                      reason="again", by=income_officer, at=AT, allocates_id=payment.pk)
    assert Transaction.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(("amount", "same", "reason", "message"), [
    (0, False, "x", "more than £0.00"),
    (-5, False, "x", "more than £0.00"),
    (100, True, "x", "different account"),
    (100, False, "  ", "reason"),
])
def test_bad_transfers_post_nothing(north, income_officer, amount, same, reason, message):
    first, second = _account(north), _account(north)
    with pytest.raises(ValidationError, match=message):
        post_transfer(from_account_id=first.pk, to_account_id=first.pk if same else second.pk,
                      amount_pence=amount, reason=reason, by=income_officer, at=AT)
    assert not Transaction.objects.exists() and not Transfer.objects.exists()


def test_a_suspense_payment_is_allocated_whole_and_never_into_suspense(north, income_officer,
                                                                      suspense):
    account = _account(north)
    payment = _suspense_payment(suspense)
    with pytest.raises(ValidationError, match="allocated whole"):
        post_transfer(from_account_id=suspense.pk, to_account_id=account.pk, amount_pence=100,
                      reason="part", by=income_officer, at=AT, allocates_id=payment.pk)
    with pytest.raises(ValidationError, match="not moved into suspense"):
        post_transfer(from_account_id=account.pk, to_account_id=suspense.pk, amount_pence=100,
                      reason="back", by=income_officer, at=AT)
    assert Transaction.objects.count() == 1


def test_a_housing_benefit_credit_allocated_from_suspense_stays_a_benefit_credit(
        north, income_officer, suspense):
    account = _account(north)
    credit = Transaction.objects.create(
        account=suspense, posted_on=date(2026, 11, 30), kind=Transaction.Kind.BENEFIT,
        amount_pence=-8000, reference="HB claim 123", source=Transaction.Source.BENEFIT_FILE,
        created_at=AT)
    transfer = post_transfer(from_account_id=suspense.pk, to_account_id=account.pk,
                             amount_pence=8000, reason="Claim reference on the wrong account",
                             by=income_officer, at=AT, allocates_id=credit.pk)
    assert (transfer.in_entry.kind, transfer.in_entry.posted_on) == ("benefit", date(2026, 11, 30))
    assert _balance(account) == -8000 and _balance(suspense) == 0


def _holding(account, pence):
    """Set up the account's balance: `pence` owed (positive) or in credit (negative)."""
    Transaction.objects.create(account=account, posted_on=date(2026, 12, 1),
                               kind=Transaction.Kind.ADJUSTMENT, amount_pence=pence,
                               source=Transaction.Source.OFFICER, created_at=AT)


@pytest.mark.parametrize(("start", "amount", "message"), [
    (-4000, 4001, "This account holds £40.00 in credit; only that much can be moved."),
    (0, 1, "This account holds £0.00 in credit"),
    (2500, 100, "This account holds £0.00 in credit"),  # in arrears: nothing to move
])
def test_only_the_credit_an_account_holds_is_moved(north, income_officer, start, amount,
                                                   message):
    """Moving more than the credit would put the account into arrears to make a credit
    elsewhere that could then be refunded."""
    first, second = _account(north), _account(north)
    if start:
        _holding(first, start)
    with pytest.raises(ValidationError) as refused:
        post_transfer(from_account_id=first.pk, to_account_id=second.pk, amount_pence=amount,
                      reason="Paid to the wrong account", by=income_officer, at=AT)
    assert message in " ".join(refused.value.message_dict["amount_pence"])
    assert not Transfer.objects.exists()
    assert (_balance(first), _balance(second)) == (start, 0)


def test_all_of_the_credit_can_be_moved(north, income_officer):
    first, second = _account(north), _account(north)
    _holding(first, -4000)
    post_transfer(from_account_id=first.pk, to_account_id=second.pk, amount_pence=4000,
                  reason="Paid to the wrong account", by=income_officer, at=AT)
    assert (_balance(first), _balance(second)) == (0, -4000)
    with pytest.raises(ValidationError, match="holds £0.00 in credit"):
        post_transfer(from_account_id=first.pk, to_account_id=second.pk, amount_pence=1,
                      reason="Again", by=income_officer, at=AT)


def test_an_amount_over_the_most_a_payment_can_be_is_refused(north, income_officer):
    first, second = _account(north), _account(north)
    _holding(first, -(MAX_PAYMENT_PENCE + 500))
    with pytest.raises(ValidationError) as refused:
        post_transfer(from_account_id=first.pk, to_account_id=second.pk,
                      amount_pence=MAX_PAYMENT_PENCE + 1, reason="Slip of the keyboard",
                      by=income_officer, at=AT)
    assert refused.value.message_dict["amount_pence"] == [
        "Enter an amount of £100,000.00 or less."]
    assert not Transfer.objects.exists()
    post_transfer(from_account_id=first.pk, to_account_id=second.pk,
                  amount_pence=MAX_PAYMENT_PENCE, reason="The whole of it", by=income_officer,
                  at=AT)
    assert _balance(second) == -MAX_PAYMENT_PENCE


def test_a_suspense_allocation_is_not_limited_to_a_credit_balance(north, income_officer,
                                                                  suspense):
    """Allocating moves the payment itself: the suspense account's other rows (here a
    payment already taken back out) do not stand in its way."""
    account = _account(north)
    payment = _suspense_payment(suspense)
    _holding(suspense, 2500)
    transfer = post_transfer(from_account_id=suspense.pk, to_account_id=account.pk,
                             amount_pence=2500, reason="Reference mistyped",
                             by=income_officer, at=AT, allocates_id=payment.pk)
    assert transfer.allocates == payment and _balance(account) == -2500


def test_a_transfer_is_dated_on_the_local_day(north, income_officer):
    """Half past midnight in a British summer is still the previous day in UTC."""
    first, second = _account(north), _account(north)
    _holding(first, -1000)
    transfer = post_transfer(from_account_id=first.pk, to_account_id=second.pk,
                             amount_pence=1000, reason="Paid to the wrong account",
                             by=income_officer, at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert transfer.out_entry.posted_on == transfer.in_entry.posted_on == date(2026, 7, 1)
