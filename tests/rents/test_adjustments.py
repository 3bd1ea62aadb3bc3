"""Refunds, adjustments, moving money to another account and reversals (rents.adjustments and
the account's "Other actions"): each service's rules, who may use each screen, and what the
account shows afterwards."""

import re
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Sum
from freezegun import freeze_time
from guardian.shortcuts import assign_perm

from rents import adjustments
from rents.models import RentAccount, Transaction, Transfer
from rents.reports import Scope, collection_rate
from rents.services import post_transfer, reverse_transaction
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)
TODAY = date(2026, 12, 9)  # a Wednesday in rent week 36 of 2026/27


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2026-12-09 12:00:00"):
        yield


def let(patch, *, address="12 Mill Lane", name=("Margaret", "Thistlewood")) -> RentAccount:
    home = PropertyFactory(estate__patch=patch, address_line_1=address)
    tenancy = tenancy_services.sign_up(
        property_id=home.pk, tenancy_type="secure", start_date=date(2024, 5, 6),
        tenant_ids=[PersonFactory(first_name=name[0], last_name=name[1]).pk], by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


def post(account, pence, *, kind=None, on=date(2026, 12, 7)) -> Transaction:
    """A ledger row setting up a balance: a charge (debit) or a card payment (credit)."""
    kind = kind or ("charge" if pence > 0 else "payment")
    return Transaction.objects.create(
        account=account, posted_on=on, kind=kind, amount_pence=pence,
        method="card" if kind == "payment" else "", source="officer", created_at=AT)


def balance(account) -> int:
    return account.transactions.aggregate(total=Sum("amount_pence"))["total"] or 0


def snapshot():
    return list(Transaction.objects.order_by("pk").values_list("pk", "account_id",
                                                               "amount_pence", "kind"))


@pytest.fixture
def account(north):
    return let(north)


@pytest.fixture
def south_account(south):
    return let(south, address="3 Far Road", name=("Owen", "Farrow"))


@pytest.fixture
def suspense():
    return RentAccount.objects.create(kind=RentAccount.Kind.SUSPENSE,
                                      payment_reference="SUSPENSE", opened_on=date(2024, 4, 1))


# --- Refunds ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "amount", "method", "reason", "key", "message"), [
    (-5000, 5001, "bank_transfer", "Moved out", "amount_pence",
     "no more than the credit on the account (£50.00)"),
    (0, 100, "bank_transfer", "Moved out", "amount_pence", "not in credit"),
    (2500, 100, "bank_transfer", "Moved out", "amount_pence", "not in credit"),
    (-5000, 0, "bank_transfer", "Moved out", "amount_pence", "more than £0.00"),
    (-5000, -100, "bank_transfer", "Moved out", "amount_pence", "more than £0.00"),
    (-5000, 100, "direct_debit", "Moved out", "method", "Select how the refund is paid"),
    (-5000, 100, "", "Moved out", "method", "Select how the refund is paid"),
    (-5000, 100, "card", "   ", "reason", "Give the reason for the refund"),
])
def test_refunds_refused(income_officer, account, start, amount, method, reason, key, message):
    if start:
        post(account, start)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        adjustments.record_refund(account_id=account.pk, amount_pence=amount, method=method,
                                  reason=reason, by=income_officer, at=AT)
    assert message in " ".join(refused.value.message_dict[key])
    assert snapshot() == before


@pytest.mark.parametrize(("amount", "method"), [(5000, "bank_transfer"), (1, "card"),
                                                (4999, "cash")])
def test_a_refund_is_a_debit_up_to_the_credit(income_officer, account, amount, method):
    post(account, -5000)
    row = adjustments.record_refund(account_id=account.pk, amount_pence=amount, method=method,
                                    reason="Tenant moved out", by=income_officer, at=AT)
    assert (row.kind, row.amount_pence, row.method, row.reference, row.posted_on,
            row.created_by, row.source, row.rent_week.number) == (
        "refund", amount, method, "Tenant moved out", TODAY, income_officer, "officer", 36)
    assert balance(account) == -5000 + amount


def test_two_refunds_cannot_together_pay_back_more_than_the_credit(income_officer, account):
    post(account, -5000)
    adjustments.record_refund(account_id=account.pk, amount_pence=3000, method="card",
                              reason="Part", by=income_officer, at=AT)
    with pytest.raises(ValidationError, match=r"no more than the credit on the account \(£20"):
        adjustments.record_refund(account_id=account.pk, amount_pence=3000, method="card",
                                  reason="Again", by=income_officer, at=AT)
    assert balance(account) == -2000


# --- Adjustments -----------------------------------------------------------------------------


@pytest.mark.parametrize(("direction", "amount", "reason", "key", "message"), [
    ("", 100, "Correction", "direction", "debit or a credit"),
    ("up", 100, "Correction", "direction", "debit or a credit"),
    ("debit", 0, "Correction", "amount_pence", "more than £0.00"),
    ("credit", -250, "Correction", "amount_pence", "more than £0.00"),
    ("debit", 100_000_01, "Correction", "amount_pence", "£100,000.00 or less"),
    ("credit", 100, "", "reason", "Give the reason for the adjustment"),
])
def test_adjustments_refused(income_officer, account, direction, amount, reason, key,
                             message):
    with pytest.raises(ValidationError) as refused:
        adjustments.record_adjustment(account_id=account.pk, direction=direction,
                                      amount_pence=amount, reason=reason, by=income_officer,
                                      at=AT)
    assert message in " ".join(refused.value.message_dict[key])
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(("start", "direction", "amount", "signed"), [
    (0, "debit", 1234, 1234),
    (-5000, "debit", 1234, 1234),  # a debit is never limited by the balance
    (1234, "credit", 1234, -1234),  # a credit takes off up to all that is owed
    (1234, "credit", 1, -1),
])
def test_an_adjustment_posts_in_the_direction_chosen(income_officer, account, start,
                                                     direction, amount, signed):
    if start:
        post(account, start)
    row = adjustments.record_adjustment(account_id=account.pk, direction=direction,
                                        amount_pence=amount, reason="Keying error",
                                        by=income_officer, at=AT)
    assert (row.kind, row.amount_pence, row.reference) == ("adjustment", signed, "Keying error")
    assert balance(account) == start + signed


@pytest.mark.parametrize(("start", "amount", "owed"), [
    (1234, 1235, "£12.34"),  # more than the arrears
    (0, 1, "£0.00"),  # a clear account
    (-5000, 100, "£0.00"),  # an account already in credit
])
def test_a_credit_adjustment_takes_off_at_most_what_is_owed(income_officer, account, start,
                                                            amount, owed):
    """A credit adjustment must not make a credit that could then be refunded: one person
    alone would have paid money out. Debt relief is a write-off, a wrong charge reversed."""
    if start:
        post(account, start)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        adjustments.record_adjustment(account_id=account.pk, direction="credit",
                                      amount_pence=amount, reason="Goodwill",
                                      by=income_officer, at=AT)
    message = " ".join(refused.value.message_dict["amount_pence"])
    assert f"A credit adjustment can take off at most what is owed now ({owed})" in message
    assert "reverse that charge" in message and "request a write-off" in message
    assert snapshot() == before


def test_nothing_but_allocation_happens_on_the_suspense_account(income_officer, suspense):
    post(suspense, -2500)
    before = snapshot()
    for call in (
        lambda: adjustments.record_adjustment(account_id=suspense.pk, direction="debit",
                                              amount_pence=100, reason="x", by=income_officer,
                                              at=AT),
        lambda: adjustments.record_refund(account_id=suspense.pk, amount_pence=100,
                                          method="card", reason="x", by=income_officer, at=AT),
    ):
        with pytest.raises(ValidationError) as refused:
            call()
        assert "suspense" in " ".join(refused.value.message_dict[NON_FIELD_ERRORS])
    assert snapshot() == before


# --- Reversals -------------------------------------------------------------------------------


def test_reversing_an_entry_posts_its_opposite(income_officer, account):
    charge = post(account, 9876)
    row = adjustments.reverse_entry(account_id=account.pk, transaction_id=charge.pk,
                                    reason="Charged twice", by=income_officer, at=AT)
    assert (row.kind, row.amount_pence, row.reverses, row.created_by) == (
        "reversal", -9876, charge, income_officer)
    assert balance(account) == 0


def _reversal_cases(account, other, by):
    charge = post(account, 9876)
    reversal = reverse_transaction(transaction_id=post(account, 500).pk, reason="x", by=by,
                                   at=AT)
    post(account, -15000)  # in credit by £51.24, so there is money to move
    transfer = post_transfer(from_account_id=account.pk, to_account_id=other.pk,
                             amount_pence=1000, reason="Wrong account", by=by, at=AT)
    foreign = post(other, 300)
    return [
        (reversal.pk, "", "A reversal cannot itself be reversed"),
        (reversal.reverses_id, "", "already been reversed"),
        (transfer.out_entry_id, "", "one half of a move between accounts"),
        (foreign.pk, "", "not on this account"),
        (charge.pk, "reason", "Give the reason for the reversal"),
    ]


def test_reversals_refused(income_officer, account, north):
    other = let(north, address="14 Mill Lane")
    cases = _reversal_cases(account, other, income_officer)
    before = snapshot()
    for pk, key, message in cases:
        with pytest.raises(ValidationError) as refused:
            adjustments.reverse_entry(account_id=account.pk, transaction_id=pk,
                                      reason="" if key == "reason" else "Why", by=income_officer,
                                      at=AT)
        errors = refused.value.message_dict.get(key or NON_FIELD_ERRORS, [])
        assert message in " ".join(errors), (pk, refused.value)
    # The half of a move that landed on the other account is not reversed alone either.
    transfer = Transfer.objects.get()
    with pytest.raises(ValidationError, match="one half of a move"):
        adjustments.reverse_entry(account_id=other.pk, transaction_id=transfer.in_entry_id,
                                  reason="Why", by=income_officer, at=AT)
    assert snapshot() == before


def test_reversible_rows_follow_the_same_rules(income_officer, account, north):
    other = let(north, address="14 Mill Lane")
    _reversal_cases(account, other, income_officer)
    rows = list(account.transactions.all())
    allowed = adjustments.reversible_ids(account.pk, [row.pk for row in rows])
    assert allowed == {row.pk for row in rows if adjustments.reversal_refusal(row) is None}
    assert {row.kind for row in rows if row.pk in allowed} == {"charge", "payment"}
    assert len(allowed) == 2  # the first charge and the payment


def _allocated(account, suspense, by, pence=2500):
    """A card payment of `pence` that landed in suspense on 2 December, allocated to
    `account`."""
    payment = Transaction.objects.create(
        account=suspense, posted_on=date(2026, 12, 2), kind="payment", method="allpay",
        amount_pence=-pence, reference="Allpay 4471", source="payment_file", created_at=AT)
    return post_transfer(from_account_id=suspense.pk, to_account_id=account.pk,
                         amount_pence=pence, reason="Reference mistyped", by=by, at=AT,
                         allocates_id=payment.pk)


def test_a_payment_allocated_from_suspense_that_bounces_is_reversed(income_officer, account,
                                                                    suspense):
    """The tenant's side of an allocation is the payment itself: when it bounces it is
    reversed like any payment, and the collection rate counts it as a payment reversed."""
    post(account, 9000, on=date(2026, 12, 7))  # the week's rent
    transfer = _allocated(account, suspense, income_officer)
    scope = Scope(patch_ids=None, suspense=True)
    week = {"start": date(2026, 11, 30), "end": date(2026, 12, 13)}
    assert collection_rate(**week, scope=scope).data["total"]["collected"] == 2500
    assert balance(account) == 6500
    assert transfer.in_entry.pk in adjustments.reversible_ids(account.pk,
                                                              [transfer.in_entry.pk])

    row = adjustments.reverse_entry(account_id=account.pk, transaction_id=transfer.in_entry.pk,
                                    reason="Payment returned unpaid", by=income_officer, at=AT)
    assert (row.kind, row.amount_pence, row.reverses, row.account, row.posted_on) == (
        "reversal", 2500, transfer.in_entry, account, TODAY)
    assert balance(account) == 9000 and balance(suspense) == 0
    figures = collection_rate(**week, scope=scope).data["total"]
    assert (figures["collected"], figures["debited"]) == (0, 9000)
    with pytest.raises(ValidationError, match="already been reversed"):
        adjustments.reverse_entry(account_id=account.pk, transaction_id=transfer.in_entry.pk,
                                  reason="again", by=income_officer, at=AT)


def test_the_suspense_side_of_an_allocation_is_not_reversed(income_officer, account,
                                                            suspense):
    transfer = _allocated(account, suspense, income_officer)
    before = snapshot()
    for pk, message in [(transfer.out_entry_id, "one half of a move between accounts"),
                        (transfer.allocates_id, "has been allocated to the account it belongs")]:
        with pytest.raises(ValidationError, match=message):
            adjustments.reverse_entry(account_id=suspense.pk, transaction_id=pk, reason="Why",
                                      by=income_officer, at=AT)
    assert adjustments.reversible_ids(suspense.pk, [transfer.out_entry_id,
                                                    transfer.allocates_id]) == set()
    assert snapshot() == before


def test_a_bounced_allocated_payment_is_reversed_from_the_account_page(client_for, team_leader,
                                                                       account, suspense):
    post(account, 9000)
    transfer = _allocated(account, suspense, team_leader)
    client = client_for(team_leader)
    link = f"/rents/accounts/{account.pk}/transactions/{transfer.in_entry_id}/reverse/"
    page = client.get(f"/rents/accounts/{account.pk}/").content.decode()
    assert link in page and "£65.00</span> in arrears" in page
    form = client.get(link).content.decode()
    assert "Reverse this entry" in form and "£25.00" in form
    response = client.post(link, {"reason": "Payment returned unpaid"})
    assert response["Location"] == f"/rents/accounts/{account.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Entry reversed." in page and "£90.00</span> in arrears" in page
    assert "Reverses #" in page and "Payment returned unpaid" in page
    assert balance(account) == 9000


# --- Who may use the screens -----------------------------------------------------------------


def _paths(account, entry):
    base = f"/rents/accounts/{account.pk}"
    return [f"{base}/refunds/new/", f"{base}/adjustments/new/", f"{base}/transfers/new/",
            f"{base}/transactions/{entry.pk}/reverse/"]


def _posts(account, entry, other):
    base = f"/rents/accounts/{account.pk}"
    return [
        (f"{base}/refunds/new/", {"amount": "10.00", "method": "card", "reason": "x"}),
        (f"{base}/adjustments/new/", {"direction": "debit", "amount": "10.00", "reason": "x"}),
        (f"{base}/transfers/new/", {"reference": other.payment_reference, "amount": "10.00",
                                    "reason": "x"}),
        (f"{base}/transactions/{entry.pk}/reverse/", {"reason": "x"}),
    ]


@pytest.fixture
def in_credit(account, north):
    """The account in credit by £50 (a card payment), and another account to move money to."""
    return account, post(account, -5000), let(north, address="14 Mill Lane")


@pytest.mark.parametrize("persona", ["income_officer", "team_leader", "administrator"])
def test_income_roles_use_the_screens(client_for, request, persona, in_credit):
    account, entry, other = in_credit
    client = client_for(request.getfixturevalue(persona))
    for path in _paths(account, entry):
        assert client.get(path).status_code == 200, path
    for path, data in _posts(account, entry, other):
        assert client.post(path, data).status_code == 302, path
    kinds = sorted(account.transactions.values_list("kind", flat=True))
    assert kinds == ["adjustment", "payment", "refund", "reversal", "transfer"]


@pytest.mark.parametrize("persona", ["customer_access", "officer"])
def test_roles_that_read_accounts_but_may_not_adjust_get_403(client_for, request, persona,
                                                            in_credit):
    account, entry, other = in_credit
    client = client_for(request.getfixturevalue(persona))
    before = snapshot()
    for path in _paths(account, entry):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(account, entry, other):
        assert client.post(path, data).status_code == 403, path
    assert snapshot() == before
    page = client.get(f"/rents/accounts/{account.pk}/").content.decode()
    assert "Other actions" not in page and "/reverse/" not in page


@pytest.mark.parametrize("persona", ["income_officer", "officer", "council_tax", "no_access"])
def test_accounts_the_user_may_not_see_are_404(client_for, request, persona, south_account,
                                               north):
    entry = post(south_account, -5000)
    other = let(north, address="14 Mill Lane")
    client = client_for(request.getfixturevalue(persona))
    before = snapshot()
    for path in _paths(south_account, entry):
        assert client.get(path).status_code == 404, path
    for path, data in _posts(south_account, entry, other):
        assert client.post(path, data).status_code == 404, path
    assert snapshot() == before


def test_a_grant_to_one_person_is_enough(client_for, officer, in_credit):
    account, entry, other = in_credit
    assign_perm("rents.record_adjustment", officer)
    client = client_for(officer)
    for path, data in _posts(account, entry, other):
        assert client.post(path, data).status_code == 302, path


@pytest.mark.parametrize("persona", ["tenant", "contractor"])
def test_tenants_and_contractors_are_refused(client_for, request, persona, in_credit):
    account, entry, other = in_credit
    client = client_for(request.getfixturevalue(persona))
    before = snapshot()
    for path in _paths(account, entry):
        assert client.get(path).status_code == 403, path
    for path, data in _posts(account, entry, other):
        assert client.post(path, data).status_code == 403, path
    assert snapshot() == before


def test_anonymous_visitors_sign_in_first(client, in_credit):
    account, entry, other = in_credit
    before = snapshot()
    for path in _paths(account, entry):
        assert client.get(path)["Location"].startswith("/accounts/login/"), path
    for path, data in _posts(account, entry, other):
        assert client.post(path, data)["Location"].startswith("/accounts/login/"), path
    assert snapshot() == before


def test_the_suspense_account_has_no_other_actions(client_for, team_leader, suspense):
    entry = post(suspense, -2500)
    client = client_for(team_leader)
    for path in _paths(suspense, entry):
        assert client.get(path).status_code == 404, path
    page = client.get(f"/rents/accounts/{suspense.pk}/").content.decode()
    assert "Other actions" not in page and "/reverse/" not in page


# --- The account page's other actions --------------------------------------------------------


@pytest.mark.parametrize(("start", "shown", "hidden"), [
    (-5000, ["Record a refund", "Move money to another account", "Record an adjustment"],
     ["Request a write-off"]),
    # Only a credit can be moved to another account.
    (5000, ["Request a write-off", "Record an adjustment"],
     ["Record a refund", "Move money to another account"]),
    (0, ["Record an adjustment"],
     ["Record a refund", "Request a write-off", "Move money to another account"]),
])
def test_other_actions_follow_the_balance(client_for, income_officer, account, start, shown,
                                          hidden):
    if start:
        post(account, start)
    page = client_for(income_officer).get(f"/rents/accounts/{account.pk}/").content.decode()
    assert "Other actions" in page
    for text in shown:
        assert text in page, text
    for text in hidden:
        assert text not in page, text


def test_refund_from_the_account_page(client_for, income_officer, account):
    post(account, -5000)
    client = client_for(income_officer)
    form = client.get(f"/rents/accounts/{account.pk}/refunds/new/").content.decode()
    assert "£50.00</span> in credit" in form
    assert 'value="bank_transfer"' in form and 'value="direct_debit"' not in form
    response = client.post(f"/rents/accounts/{account.pk}/refunds/new/",
                           {"amount": "20.00", "method": "bank_transfer",
                            "reason": "Tenant asked for it back"})
    assert response["Location"] == f"/rents/accounts/{account.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Refund of £20.00 recorded." in page
    assert "£30.00</span> in credit" in page
    assert "Refund: Bank transfer" in page and "Reference Tenant asked for it back" in page
    assert balance(account) == -3000


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"amount": "50.01"}, "amount", "no more than the credit on the account (£50.00)"),
    ({"amount": "12.345"}, "amount", "no more than two decimal places"),
    ({"amount": "-5"}, "amount", "without a minus sign"),
    ({"amount": "0"}, "amount", "more than £0.00"),
    ({"amount": ""}, "amount", "Enter the amount to refund"),
    ({"method": ""}, "method", "Select how the refund is paid"),
    ({"method": "direct_debit"}, "method", "Select a valid choice"),
    ({"reason": ""}, "reason", "Enter the reason for the refund"),
    ({"reason": "x" * 81}, "reason", "80 characters or fewer"),
])
def test_bad_refunds_keep_what_was_typed(client_for, income_officer, account, fields, field,
                                         message):
    post(account, -5000)
    data = {"amount": "10.00", "method": "card", "reason": "KEEP-ME", **fields}
    response = client_for(income_officer).post(f"/rents/accounts/{account.pk}/refunds/new/",
                                               data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert message in " ".join(response.context["form"].errors[field])
    if data["amount"]:
        assert f'value="{data["amount"]}"' in page
    assert data["reason"] in page
    assert account.transactions.count() == 1


def test_adjustment_from_the_account_page(client_for, income_officer, account):
    post(account, 9876)
    client = client_for(income_officer)
    response = client.post(f"/rents/accounts/{account.pk}/adjustments/new/",
                           {"direction": "credit", "amount": "6.76",
                            "reason": "Heating charged in error"})
    page = client.get(response["Location"]).content.decode()
    assert "Adjustment (credit) of £6.76 recorded." in page
    assert "£92.00</span> in arrears" in page
    assert "Reference Heating charged in error" in page
    response = client.post(f"/rents/accounts/{account.pk}/adjustments/new/",
                           {"direction": "debit", "amount": "2", "reason": "Key replaced"})
    assert "£94.00</span> in arrears" in client.get(response["Location"]).content.decode()


def test_an_adjustment_needs_a_direction_and_keeps_what_was_typed(client_for, income_officer,
                                                                   account):
    response = client_for(income_officer).post(
        f"/rents/accounts/{account.pk}/adjustments/new/",
        {"direction": "", "amount": "6.76", "reason": "KEEP-ME"})
    page = response.content.decode()
    assert "Select whether it is a debit or a credit" in page
    assert 'value="6.76"' in page and "KEEP-ME" in page
    assert not Transaction.objects.exists()


def test_a_credit_adjustment_beyond_what_is_owed_is_refused_on_the_page(client_for,
                                                                        income_officer,
                                                                        account):
    post(account, 1000)
    client = client_for(income_officer)
    path = f"/rents/accounts/{account.pk}/adjustments/new/"
    form = client.get(path).content.decode()
    assert "A credit takes it off, up to what is owed now" in form
    assert "A credit adjustment can take off at most what is owed now" in form
    response = client.post(path, {"direction": "credit", "amount": "10.01",
                                  "reason": "KEEP-ME"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "take off at most what is owed now (£10.00)" in " ".join(
        response.context["form"].errors["amount"])
    assert 'value="10.01"' in page and "KEEP-ME" in page
    assert re.search(r'<input[^>]*value="credit"[^>]*checked', page)
    assert balance(account) == 1000


def test_moving_money_finds_the_account_shows_it_and_moves_it(client_for, income_officer,
                                                             account, north):
    other = let(north, address="14 Mill Lane", name=("Rhys", "Penhallow"))
    post(account, -5000)
    client = client_for(income_officer)
    path = f"/rents/accounts/{account.pk}/transfers/new/"
    assert "Find the account" in client.get(path).content.decode()
    # Found by the tenancy reference (here the same as the payment reference), any case.
    page = client.get(path, {"reference": f" {other.tenancy.reference.lower()} "}
                      ).content.decode()
    assert "14 Mill Lane" in page and "Rhys Penhallow" in page and "Move money" in page
    assert f'value="{other.tenancy.reference}"' in page

    response = client.post(path, {"reference": other.payment_reference, "amount": "30.00",
                                  "reason": "Paid to the wrong account"})
    assert response["Location"] == f"/rents/accounts/{account.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f"£30.00 moved to account {other.payment_reference}." in page
    assert "£20.00</span> in credit" in page
    assert (balance(account), balance(other)) == (-2000, -3000)
    transfer = Transfer.objects.get()
    assert (transfer.reason, transfer.created_by) == ("Paid to the wrong account",
                                                      income_officer)
    other_page = client.get(f"/rents/accounts/{other.pk}/").content.decode()
    assert "£30.00</span> in credit" in other_page
    assert f"From {account.payment_reference}: Paid to the wrong account" in other_page
    # Neither half of the move has a Reverse link: moving it back undoes it.
    assert "/reverse/" not in other_page


@pytest.mark.parametrize(("reference", "message"), [
    ("NOPE-123", "No rent account you can see has the reference NOPE-123"),
    ("self", "That is this account"),
    ("south", "No rent account you can see has the reference"),  # off the officer's patch
    ("SUSPENSE", "No rent account you can see"),  # only a team leader sees suspense
    ("", "Enter the reference of the account to move the money to"),
])
def test_moving_money_needs_an_account_the_officer_can_see(client_for, income_officer,
                                                          account, south_account, suspense,
                                                          reference, message):
    reference = {"self": account.payment_reference,
                 "south": south_account.payment_reference}.get(reference, reference)
    post(account, -5000)
    client = client_for(income_officer)
    path = f"/rents/accounts/{account.pk}/transfers/new/"
    page = client.get(path, {"reference": reference}).content.decode()
    assert "There is a problem" in page and message in page
    assert "Move money</button>" not in page
    response = client.post(path, {"reference": reference, "amount": "1.23",
                                  "reason": "KEEP-ME"})
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    # What was typed is kept, carried by the form that finds the account again.
    assert 'value="1.23"' in page and 'value="KEEP-ME"' in page
    assert not Transfer.objects.exists() and account.transactions.count() == 1


def test_finding_the_account_again_brings_back_what_was_typed(client_for, income_officer,
                                                             account, north):
    other = let(north, address="14 Mill Lane", name=("Rhys", "Penhallow"))
    post(account, -5000)
    client = client_for(income_officer)
    path = f"/rents/accounts/{account.pk}/transfers/new/"
    page = client.post(path, {"reference": "NOPE-123", "amount": "12.34",
                              "reason": "Paid to the wrong account"}).content.decode()
    assert "No rent account you can see has the reference NOPE-123" in page
    assert 'method="post"' in page and 'name="step" value="find"' in page
    # Finding it shows the account to be sure, with the amount and reason filled in, and
    # moves nothing yet.
    response = client.post(path, {"step": "find", "reference": other.payment_reference,
                                  "amount": "12.34", "reason": "Paid to the wrong account"})
    page = response.content.decode()
    assert "14 Mill Lane" in page and "Rhys Penhallow" in page and "Move money</button>" in page
    assert 'value="12.34"' in page and "Paid to the wrong account</textarea>" in page
    assert "There is a problem" not in page and not Transfer.objects.exists()
    response = client.post(path, {"reference": other.payment_reference, "amount": "12.34",
                                  "reason": "Paid to the wrong account"})
    assert response.status_code == 302
    assert (balance(account), balance(other)) == (-5000 + 1234, -1234)


@pytest.mark.parametrize(("start", "amount", "message"), [
    (-5000, "50.01", "This account holds £50.00 in credit; only that much can be moved."),
    (2000, "1.00", "This account holds £0.00 in credit; only that much can be moved."),
    (-5000, "100000.01", "Enter an amount of £100,000.00 or less."),
])
def test_moving_more_than_the_credit_is_refused_on_the_page(client_for, income_officer,
                                                           account, north, start, amount,
                                                           message):
    other = let(north, address="14 Mill Lane")
    post(account, start)
    response = client_for(income_officer).post(
        f"/rents/accounts/{account.pk}/transfers/new/",
        {"reference": other.payment_reference, "amount": amount, "reason": "KEEP-ME"})
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert message in " ".join(response.context["form"].errors["amount"])
    assert "14 Mill Lane" in page and f'value="{amount}"' in page and "KEEP-ME" in page
    assert not Transfer.objects.exists()


def test_a_refusal_about_the_account_moved_to_is_about_the_whole_form(
        client_for, income_officer, account, north, monkeypatch):
    """The account moved to is carried in a hidden field: a refusal about it is listed in
    the error summary without a link to a field no one can see."""
    other = let(north, address="14 Mill Lane")

    def refuse(**_kwargs):
        raise ValidationError({"to_account_id": "That account does not exist."})

    monkeypatch.setattr("rents.account_views.post_transfer", refuse)
    response = client_for(income_officer).post(
        f"/rents/accounts/{account.pk}/transfers/new/",
        {"reference": other.payment_reference, "amount": "1.00", "reason": "KEEP-ME"})
    form = response.context["form"]
    assert form.non_field_errors() == ["That account does not exist."]
    assert "reference" not in form.errors
    page = response.content.decode()
    assert "<li>That account does not exist.</li>" in page
    assert 'href="#id_reference"' not in page
    assert 'value="1.00"' in page and "KEEP-ME" in page


def test_money_is_not_moved_into_suspense(client_for, team_leader, account, suspense):
    page = client_for(team_leader).get(f"/rents/accounts/{account.pk}/transfers/new/",
                                       {"reference": "SUSPENSE"}).content.decode()
    assert "Money is not moved into suspense." in page


def test_a_bad_amount_to_move_keeps_the_account_and_what_was_typed(client_for, income_officer,
                                                                   account, north):
    other = let(north, address="14 Mill Lane")
    response = client_for(income_officer).post(
        f"/rents/accounts/{account.pk}/transfers/new/",
        {"reference": other.payment_reference, "amount": "1.234", "reason": "KEEP-ME"})
    page = response.content.decode()
    assert "no more than two decimal places" in page
    assert "14 Mill Lane" in page and 'value="1.234"' in page and "KEEP-ME" in page
    assert not Transaction.objects.exists()


def test_reversing_from_the_account_page(client_for, income_officer, account):
    charge = post(account, 9876)
    payment = post(account, -2000)
    client = client_for(income_officer)
    page = client.get(f"/rents/accounts/{account.pk}/").content.decode()
    link = f"/rents/accounts/{account.pk}/transactions/{charge.pk}/reverse/"
    assert link in page
    assert f"/transactions/{payment.pk}/reverse/" in page

    form = client.get(link).content.decode()
    assert "Net rent" not in form and "Charge" in form and "£98.76" in form
    assert "Reverse this entry" in form
    response = client.post(link, {"reason": "Charged twice"})
    assert response["Location"] == f"/rents/accounts/{account.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Entry reversed." in page
    assert "£20.00</span> in credit" in page
    assert "Reference Reverses #" in page and "Charged twice" in page
    assert link not in page  # reversed once only
    reversal = Transaction.objects.get(kind="reversal")
    assert f"/transactions/{reversal.pk}/reverse/" not in page  # never a reversal

    again = client.get(link).content.decode()
    assert "That entry has already been reversed." in again and "Reverse this entry" not in again
    response = client.post(link, {"reason": "again"})
    assert response.status_code == 200
    assert Transaction.objects.filter(kind="reversal").count() == 1


def test_a_reversal_needs_a_reason(client_for, income_officer, account):
    charge = post(account, 9876)
    response = client_for(income_officer).post(
        f"/rents/accounts/{account.pk}/transactions/{charge.pk}/reverse/", {"reason": " "})
    assert "Enter the reason for the reversal" in response.content.decode()
    assert not Transaction.objects.filter(kind="reversal").exists()


def test_an_entry_from_another_account_is_404(client_for, income_officer, account, north):
    other = post(let(north, address="14 Mill Lane"), 500)
    response = client_for(income_officer).get(
        f"/rents/accounts/{account.pk}/transactions/{other.pk}/reverse/")
    assert response.status_code == 404
