"""Corrections and money out on a rent account: write-offs (one person asks, a different person
approves), refunds, adjustments, moving money to another account and reversing an entry.

Every write here is keyword-only, takes `by` and `at`, locks the account row before it reads
the balance (so two officers acting at once each see the other's posting: two refunds cannot
together pay back more than the credit) and posts all or nothing. A refusal is a
ValidationError keyed by the argument it is about; nothing is posted.

Signs follow rents.models: a write-off is a credit (-amount: the debt is taken off), a refund
a debit (+amount: the credit is paid back to the tenant), an adjustment either, in the
direction the officer chose. Moves between accounts are rents.services.post_transfer and
reversals rents.services.reverse_transaction; this module only adds the rules the screens
need around them.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from housing.access import scope_for_user
from housing.models import User
from housing.money import format_pence
from rents.models import RentAccount, Transaction, Transfer, WriteOff
from rents.payments import MAX_PAYMENT_PENCE
from rents.queries import balance_pence
from rents.services import reverse_transaction, week_containing

APPROVE_PERM = "rents.approve_write_off"

# The ways a credit is paid back. Direct Debit, standing orders and Allpay only collect.
REFUND_METHODS = [Transaction.Method.BANK_TRANSFER, Transaction.Method.CARD,
                  Transaction.Method.CASH]

# How long the requester keeps seeing the outcome of their write-off on the account page.
DECISION_SHOWN_FOR = timedelta(days=28)


class Direction(models.TextChoices):
    DEBIT = "debit", "Debit: the tenant owes more"
    CREDIT = "credit", "Credit: the tenant owes less"


# --- Shared checks ---------------------------------------------------------------------------


def _lock_account(account_id: int) -> RentAccount:
    return RentAccount.objects.select_for_update().get(pk=account_id)


def _check_amount(amount_pence: int, errors: dict) -> None:
    if amount_pence <= 0:
        errors["amount_pence"] = "Enter an amount more than £0.00."
    elif amount_pence > MAX_PAYMENT_PENCE:
        # A slip of the keyboard (41250 for 412.50) must not post a fortune.
        errors["amount_pence"] = f"Enter an amount of {format_pence(MAX_PAYMENT_PENCE)} or less."


def _check_not_suspense(account: RentAccount, errors: dict, what: str) -> None:
    if account.kind == RentAccount.Kind.SUSPENSE:
        errors[NON_FIELD_ERRORS] = (f"{what} cannot be recorded on the suspense account: "
                                    f"allocate its payments to the account they belong to.")


def _reference(reason: str) -> str:
    """The ledger row's reference (100 characters): the reason, shortened with an ellipsis
    if it must be (a write-off keeps its full reason on its own row)."""
    reason = " ".join(reason.split())
    return reason if len(reason) <= 100 else reason[:99] + "\u2026"


def _post(account: RentAccount, *, kind: str, amount_pence: int, reason: str, by: User,
          at: datetime, method: str = "") -> Transaction:
    today = timezone.localdate(at)
    return Transaction.objects.create(
        account=account, posted_on=today, rent_week=week_containing(today), kind=kind,
        method=method, amount_pence=amount_pence, reference=_reference(reason),
        source=Transaction.Source.OFFICER, created_by=by, created_at=at)


# --- Write-offs (maker and checker) ---------------------------------------------------------


@transaction.atomic
def request_write_off(*, account_id: int, amount_pence: int, reason: str, by: User,
                      at: datetime) -> WriteOff:
    """Ask for up to the arrears owed now to be written off. Nothing is posted until a
    different person approves it. One request per account waits at a time, so an approver
    never weighs two requests against the same arrears."""
    account = _lock_account(account_id)
    errors: dict = {}
    _check_not_suspense(account, errors, "A write-off")
    _check_amount(amount_pence, errors)
    if not reason.strip():
        errors["reason"] = "Give the reason for the write-off."
    owed = balance_pence(account.pk)
    if "amount_pence" not in errors:
        if owed <= 0:
            errors["amount_pence"] = "This account owes nothing, so there is nothing to write off."
        elif amount_pence > owed:
            errors["amount_pence"] = (f"Enter an amount no more than the arrears owed now "
                                      f"({format_pence(owed)}).")
    pending = account.write_offs.filter(status=WriteOff.Status.PENDING).select_related(
        "requested_by").first()
    if pending is not None:
        errors[NON_FIELD_ERRORS] = (
            f"A write-off of {format_pence(pending.amount_pence)} asked for by "
            f"{pending.requested_by.display_name} is waiting for approval. It must be "
            f"approved or rejected before another is asked for.")
    if errors:
        raise ValidationError(errors)
    return WriteOff.objects.create(account=account, amount_pence=amount_pence,
                                   reason=reason.strip(), requested_by=by, requested_at=at)


def _lock_pending(write_off_id: int, *, by: User, verb: str) -> tuple[RentAccount, WriteOff]:
    """Lock the write-off's account, then the write-off (always in that order, as every
    posting here locks the account first), and check `by` may decide it."""
    if not by.has_perm(APPROVE_PERM):
        raise PermissionDenied
    account_id = WriteOff.objects.values_list("account_id", flat=True).get(pk=write_off_id)
    account = _lock_account(account_id)
    write_off = WriteOff.objects.select_for_update().get(pk=write_off_id)
    if write_off.status != WriteOff.Status.PENDING:
        raise ValidationError({NON_FIELD_ERRORS: (
            f"This write-off has already been {write_off.get_status_display().lower()}.")})
    if write_off.requested_by_id == by.pk:
        # Maker and checker: the database refuses it too (write_off_not_approved_by_requester).
        raise ValidationError({NON_FIELD_ERRORS: (
            f"You asked for this write-off; a different person must {verb} it.")})
    return account, write_off


@transaction.atomic
def approve_write_off(*, write_off_id: int, by: User, at: datetime) -> WriteOff:
    """Approve a pending write-off and post it: a WRITE_OFF credit of the amount, linked as
    the write-off's entry. Refused if the account no longer owes that much (a payment may
    have come in since it was asked for)."""
    account, write_off = _lock_pending(write_off_id, by=by, verb="approve")
    owed = balance_pence(account.pk)
    if write_off.amount_pence > owed:
        raise ValidationError({NON_FIELD_ERRORS: (
            f"The account now owes {format_pence(max(owed, 0))}, less than the "
            f"{format_pence(write_off.amount_pence)} to be written off. Reject this request; "
            f"a new one can be asked for what is still owed.")})
    write_off.entry = _post(account, kind=Transaction.Kind.WRITE_OFF,
                            amount_pence=-write_off.amount_pence,
                            reason=write_off.reason, by=by, at=at)
    write_off.status = WriteOff.Status.APPROVED
    write_off.decided_by, write_off.decided_at = by, at
    write_off.save(update_fields=["entry", "status", "decided_by", "decided_at"])
    return write_off


@transaction.atomic
def reject_write_off(*, write_off_id: int, note: str, by: User, at: datetime) -> WriteOff:
    """Reject a pending write-off, saying why. Nothing is posted."""
    if not note.strip():
        raise ValidationError({"note": "Give the reason for rejecting the write-off."})
    _account, write_off = _lock_pending(write_off_id, by=by, verb="decide on")
    write_off.status = WriteOff.Status.REJECTED
    write_off.decided_by, write_off.decided_at = by, at
    write_off.decision_note = note.strip()
    write_off.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return write_off


# --- Refunds and adjustments ----------------------------------------------------------------


@transaction.atomic
def record_refund(*, account_id: int, amount_pence: int, method: str, reason: str, by: User,
                  at: datetime) -> Transaction:
    """Pay back some or all of an account's credit: a REFUND debit of the amount. Only an
    account in credit, and never more than the credit."""
    account = _lock_account(account_id)
    errors: dict = {}
    _check_not_suspense(account, errors, "A refund")
    _check_amount(amount_pence, errors)
    if method not in REFUND_METHODS:
        errors["method"] = "Select how the refund is paid."
    if not reason.strip():
        errors["reason"] = "Give the reason for the refund."
    credit = -balance_pence(account.pk)
    if "amount_pence" not in errors:
        if credit <= 0:
            errors["amount_pence"] = "This account is not in credit, so there is nothing to refund."
        elif amount_pence > credit:
            errors["amount_pence"] = (f"Enter an amount no more than the credit on the account "
                                      f"({format_pence(credit)}).")
    if errors:
        raise ValidationError(errors)
    return _post(account, kind=Transaction.Kind.REFUND, amount_pence=amount_pence,
                 method=method, reason=reason, by=by, at=at)


@transaction.atomic
def record_adjustment(*, account_id: int, direction: str, amount_pence: int, reason: str,
                      by: User, at: datetime) -> Transaction:
    """Post an ADJUSTMENT: a debit adds to what is owed, a credit takes off it. The officer
    chooses the direction and types a positive amount, so a sign is never guessed.

    A credit takes off at most what is owed now: one person alone must not make a credit that
    a refund could then pay out. Debt relief is a write-off (a second person approves it) and
    a wrong charge is reversed."""
    account = _lock_account(account_id)
    errors: dict = {}
    _check_not_suspense(account, errors, "An adjustment")
    if direction not in Direction.values:
        errors["direction"] = "Select whether it is a debit or a credit."
    _check_amount(amount_pence, errors)
    if not reason.strip():
        errors["reason"] = "Give the reason for the adjustment."
    if direction == Direction.CREDIT and "amount_pence" not in errors:
        owed = balance_pence(account.pk)
        if amount_pence > owed:
            errors["amount_pence"] = (
                f"A credit adjustment can take off at most what is owed now "
                f"({format_pence(max(owed, 0))}), so it cannot put the account in credit. "
                f"To undo a wrong charge, reverse that charge. To clear a debt that cannot be "
                f"collected, request a write-off.")
    if errors:
        raise ValidationError(errors)
    sign = 1 if direction == Direction.DEBIT else -1
    return _post(account, kind=Transaction.Kind.ADJUSTMENT, amount_pence=sign * amount_pence,
                 reason=reason, by=by, at=at)


# --- Reversals ------------------------------------------------------------------------------


def reversal_refusal(entry: Transaction) -> str | None:
    """Why `entry` cannot be reversed, or None when it can. A reversal is never reversed,
    a row at most once, and one half of a move between accounts is not reversed alone (that
    would create or lose money: the move is undone by moving it back). The exception is the
    tenant's side of a payment allocated from suspense: it is that payment, and when the
    payment bounces it is reversed like any other. The suspense side of an allocation, and
    the suspense payment it allocated, stay as they are."""
    if entry.kind == Transaction.Kind.REVERSAL:
        return "A reversal cannot itself be reversed: post a new entry instead."
    if Transaction.objects.filter(reverses=entry).exists():
        return "That entry has already been reversed."
    if Transfer.objects.filter(allocates=entry).exists():
        return ("That payment has been allocated to the account it belongs to. To reverse it, "
                "reverse it on that account.")
    if Transfer.objects.filter(Q(out_entry=entry) | Q(in_entry=entry, allocates__isnull=True)
                               ).exists():
        return ("That entry is one half of a move between accounts. To undo it, move the "
                "money back instead.")
    return None


@transaction.atomic
def reverse_entry(*, account_id: int, transaction_id: int, reason: str, by: User,
                  at: datetime) -> Transaction:
    """Reverse one row of this account (rents.services.reverse_transaction posts the
    opposite row pointing at it)."""
    account = _lock_account(account_id)
    entry = Transaction.objects.filter(pk=transaction_id, account=account).first()
    if entry is None:
        raise ValidationError({NON_FIELD_ERRORS: "That entry is not on this account."})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the reversal."})
    refusal = reversal_refusal(entry)
    if refusal:
        raise ValidationError({NON_FIELD_ERRORS: refusal})
    return reverse_transaction(transaction_id=entry.pk, reason=" ".join(reason.split()),
                               by=by, at=at)


# --- Reads for the screens ------------------------------------------------------------------


def reversible_ids(account_id: int, ids) -> set[int]:
    """Which of the rows `ids` of the account can be reversed (reversal_refusal's rules for
    a page of rows, in one query)."""
    ids = list(ids)
    if not ids:
        return set()
    moves = Transfer.objects.filter(Q(out_entry_id__in=ids) | Q(in_entry_id__in=ids)
                                    | Q(allocates_id__in=ids))
    return set(
        Transaction.objects.filter(account_id=account_id, pk__in=ids, reversed_by__isnull=True)
        .exclude(kind=Transaction.Kind.REVERSAL)
        .exclude(pk__in=moves.values("out_entry_id"))
        .exclude(pk__in=moves.filter(allocates__isnull=True).values("in_entry_id"))
        .exclude(pk__in=moves.filter(allocates__isnull=False).values("allocates_id"))
        .values_list("pk", flat=True))


def write_offs_to_show(account: RentAccount, user: User, *, today: date
                       ) -> tuple[WriteOff | None, WriteOff | None]:
    """For the account page (one query): the write-off waiting for approval, if any, and
    the user's own latest request if it was decided in the last four weeks. A request is only
    ever newer than the pending one once that is decided, so the two newest rows hold both."""
    rows = list(WriteOff.objects.filter(account=account).filter(
        Q(status=WriteOff.Status.PENDING) | Q(requested_by=user))
        .select_related("requested_by", "decided_by").order_by("-requested_at", "-pk")[:2])
    pending = next((w for w in rows if w.status == WriteOff.Status.PENDING), None)
    own = next((w for w in rows if w.status != WriteOff.Status.PENDING
                and w.requested_by_id == user.pk), None)
    if own is not None and timezone.localdate(own.decided_at) < today - DECISION_SHOWN_FOR:
        own = None
    return pending, own


def find_account_for_user(user: User, reference: str) -> RentAccount | None:
    """The account whose payment reference (or whose tenancy's reference, for its rent
    account) is `reference`, among those the user may see."""
    reference = reference.strip()
    if not reference:
        return None
    accounts = scope_for_user(user, RentAccount.objects.all())
    return (accounts.filter(payment_reference__iexact=reference).first()
            or accounts.filter(kind=RentAccount.Kind.RENT,
                               tenancy__reference__iexact=reference).first())


def write_offs_for_approver(user: User):
    """Write-offs on accounts the user may see, with each account's home and its balance now
    (so the approver sees whether the arrears are still owed)."""
    owed = (Transaction.objects.filter(account=OuterRef("account")).order_by()
            .values("account").annotate(total=Sum("amount_pence")).values("total"))
    return (WriteOff.objects.filter(account__in=scope_for_user(user, RentAccount.objects.all()))
            .select_related("account__tenancy__property", "requested_by", "decided_by")
            .annotate(balance_pence=Coalesce(Subquery(owed), Value(0))))
