"""Payments recorded by hand: an officer or Customer Access taking a single payment.

A payment is a credit: its ledger row's amount is negative (see rents.models). Payment files
(#4, later) post in sets; this is the one-at-a-time path.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from housing.models import User
from housing.money import format_pence
from rents.models import RentAccount, Transaction
from rents.services import week_containing

# Far above any real single payment; it stops a slip of the keyboard (41250 for 412.50)
# from posting a fortune, and keeps the amount well inside the column.
MAX_PAYMENT_PENCE = 100_000_00


@transaction.atomic
def record_payment(*, account_id: int, amount_pence: int, method: str, received_on,
                   reference: str, by: User, at: datetime) -> Transaction:
    """Post a payment received on `received_on`. Refused (ValidationError, keyed by argument
    name, nothing posted): a zero, negative or implausibly large amount, an unknown method, a
    date after `at`, a suspense account, and a payment to an ended tenancy beyond what it
    still owes (a credit on an ended tenancy would have to be refunded: Income does that)."""
    # The lock makes two payments keyed at once to an ended tenancy check against each
    # other's balance, so together they cannot overpay it.
    account = RentAccount.objects.select_for_update(of=("self",)).select_related("tenancy").get(
        pk=account_id)
    today = timezone.localdate(at)
    errors = {}
    if amount_pence <= 0:
        errors["amount_pence"] = "Enter an amount more than £0.00."
    elif amount_pence > MAX_PAYMENT_PENCE:
        errors["amount_pence"] = (f"Enter an amount of {format_pence(MAX_PAYMENT_PENCE)} "
                                  f"or less.")
    if method not in Transaction.Method.values:
        errors["method"] = "Select how it was paid."
    if received_on > today:
        errors["received_on"] = "The date received must be today or in the past."
    if account.kind == RentAccount.Kind.SUSPENSE:
        errors["__all__"] = "Payments are not recorded on the suspense account."
    if errors:
        raise ValidationError(errors)

    tenancy = account.tenancy
    if tenancy is not None and tenancy.end_date is not None and tenancy.end_date < today:
        owed = max(0, account.transactions.aggregate(total=Sum("amount_pence"))["total"] or 0)
        if amount_pence > owed:
            raise ValidationError({"amount_pence": (
                f"This tenancy has ended; a payment can only clear what is owed "
                f"({format_pence(owed)}). Refunds are recorded by Income.")})

    # The rent week the payment falls in, for collection reports (none before the first
    # rent year set up).
    week = week_containing(received_on)
    return Transaction.objects.create(
        account=account, posted_on=received_on, rent_week=week, kind=Transaction.Kind.PAYMENT,
        method=method, amount_pence=-amount_pence, reference=reference.strip(),
        source=Transaction.Source.OFFICER, created_by=by, created_at=at)
