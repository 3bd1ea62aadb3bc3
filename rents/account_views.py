"""Rent account pages: the account with its ledger and running balance, recording a single
payment, and the other actions on an account (refunds, adjustments, moving money, reversals
and write-offs, which a second person approves)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from housing.access import require_perm
from housing.money import format_pence
from rents import adjustments
from rents.forms import (
    AdjustmentForm,
    FindAccountForm,
    PaymentForm,
    RefundForm,
    ReversalForm,
    TransferForm,
    WriteOffRejectForm,
    WriteOffRequestForm,
)
from rents.models import RentAccount, Transaction, WriteOff
from rents.payments import record_payment
from rents.queries import Ledger, account_summary, current_rent_account, get_account_for_user
from rents.services import post_transfer

PER_PAGE = 50
PAY_PERM = "rents.add_transaction"
ADJUST_PERM = "rents.record_adjustment"  # refunds, adjustments, moves and reversals
REQUEST_WRITE_OFF_PERM = "rents.add_writeoff"
VIEW_WRITE_OFF_PERM = "rents.view_writeoff"


def _can_take_payment(user, account: RentAccount) -> bool:
    return account.kind != RentAccount.Kind.SUSPENSE and user.has_perm(PAY_PERM)


def _ended(account: RentAccount, *, today) -> bool:
    tenancy = account.tenancy
    return bool(tenancy and tenancy.end_date and tenancy.end_date < today)


def account_detail(request, pk: int):
    account = get_account_for_user(request.user, pk, request=request)
    today = timezone.localdate()
    page = Paginator(Ledger(account), PER_PAGE).get_page(request.GET.get("page"))
    tenancy = account.tenancy
    summary = account_summary(account, today=today)
    ended = _ended(account, today=today)
    # An ended tenancy's arrears are owed by its tenants when it ended: name them.
    on = min(today, tenancy.end_date) if tenancy and tenancy.end_date else today
    user = request.user
    # Suspense items are allocated to accounts (elsewhere), not refunded or adjusted.
    adjustable = account.kind != RentAccount.Kind.SUSPENSE
    can_adjust = adjustable and user.has_perm(ADJUST_PERM)
    pending_write_off = own_write_off = None
    if user.has_perm(VIEW_WRITE_OFF_PERM):
        pending_write_off, own_write_off = adjustments.write_offs_to_show(account, user,
                                                                          today=today)
    return render(request, "rents/account_detail.html", {
        "account": account,
        "tenancy": tenancy,
        "ended": ended,
        "tenants": [m for m in tenancy.members.all()
                    if m.end_date is None or m.end_date >= on]
        if tenancy else [],
        "summary": summary,
        "page_obj": page,
        # An ended tenancy's account only takes what clears its arrears.
        "can_take_payment": _can_take_payment(request.user, account)
        and not (ended and summary.balance_pence <= 0),
        "can_refund": can_adjust and summary.status == "credit",
        "can_adjust": can_adjust,
        "can_request_write_off": adjustable and user.has_perm(REQUEST_WRITE_OFF_PERM)
        and summary.status == "arrears" and pending_write_off is None,
        "can_approve_write_off": user.has_perm(adjustments.APPROVE_PERM),
        "pending_write_off": pending_write_off,
        "own_write_off": own_write_off,
        "reversible": adjustments.reversible_ids(account.pk, [row.id for row in page])
        if can_adjust else set(),
    })


@require_http_methods(["GET", "POST"])
def payment_new(request, pk: int):
    account = get_account_for_user(request.user, pk, request=request)
    require_perm(request.user, PAY_PERM)
    if account.kind == RentAccount.Kind.SUSPENSE:
        raise Http404  # suspense items are allocated to an account, not paid into
    today = timezone.localdate()
    summary = account_summary(account, today=today)
    form = PaymentForm(request.POST if request.method == "POST" else None, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_payment(account_id=account.pk, amount_pence=data["amount"],
                           method=data["method"], received_on=data["received_on"],
                           reference=data["reference"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Payment of {format_pence(data['amount'])} recorded.")
            return redirect("rents:account", pk=account.pk)
    return render(request, "rents/payment_form.html", {
        "account": account, "tenancy": account.tenancy, "summary": summary, "form": form,
        "ended": _ended(account, today=today),
    })


# --- Other actions on an account -----------------------------------------------------------


def _adjustable_account(request, pk: int, perm: str) -> RentAccount:
    """The account (404 if the user may not see it; suspense is not adjusted here) when the
    user's role may `perm` (else 403)."""
    account = get_account_for_user(request.user, pk, request=request)
    require_perm(request.user, perm)
    if account.kind == RentAccount.Kind.SUSPENSE:
        raise Http404
    return account


def _account_form_page(request, account, template: str, form, **context):
    today = timezone.localdate()
    return render(request, template, {
        "account": account, "tenancy": account.tenancy, "form": form,
        "summary": account_summary(account, today=today), **context})


@require_http_methods(["GET", "POST"])
def refund_new(request, pk: int):
    account = _adjustable_account(request, pk, ADJUST_PERM)
    form = RefundForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustments.record_refund(account_id=account.pk, amount_pence=data["amount"],
                                      method=data["method"], reason=data["reason"],
                                      by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Refund of {format_pence(data['amount'])} recorded.")
            return redirect("rents:account", pk=account.pk)
    return _account_form_page(request, account, "rents/adjustments/refund_form.html", form,
                              heading="Record a refund")


@require_http_methods(["GET", "POST"])
def adjustment_new(request, pk: int):
    account = _adjustable_account(request, pk, ADJUST_PERM)
    form = AdjustmentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustments.record_adjustment(
                account_id=account.pk, direction=data["direction"], amount_pence=data["amount"],
                reason=data["reason"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            kind = "debit" if data["direction"] == adjustments.Direction.DEBIT else "credit"
            messages.success(request, f"Adjustment ({kind}) of {format_pence(data['amount'])} "
                                      f"recorded.")
            return redirect("rents:account", pk=account.pk)
    return _account_form_page(request, account, "rents/adjustments/adjustment_form.html", form,
                              heading="Record an adjustment")


def _transfer_target(request, account: RentAccount, reference: str):
    """The account to move money to, with its balance and tenants, or why there is none."""
    found = adjustments.find_account_for_user(request.user, reference)
    if found is None:
        return None, (f"No rent account you can see has the reference {reference}. Check it "
                      f"and try again.")
    if found.pk == account.pk:
        return None, ("That is this account. Enter the reference of the account the money "
                      "should go to.")
    if found.kind == RentAccount.Kind.SUSPENSE:
        return None, "Money is not moved into suspense."
    return get_account_for_user(request.user, found.pk, request=request), None


# What the user typed in step two, carried through finding the account again.
_TYPED = ("amount", "reason")


@require_http_methods(["GET", "POST"])
def transfer_new(request, pk: int):
    """Move money to another account: find it by its reference (a GET form), see its address
    and tenants to be sure, then give the amount and the reason (POST).

    When a POST's account cannot be found (it may have left the user's patch since), step one
    is shown again as a POST form carrying the amount and reason typed, so finding the account
    again brings them back (with the account shown again before anything moves)."""
    account = _adjustable_account(request, pk, ADJUST_PERM)
    posted = request.method == "POST"
    finding = posted and request.POST.get("step") == "find"
    if posted:
        find = FindAccountForm({"reference": request.POST.get("reference", "")})
    else:
        find = FindAccountForm(request.GET if "reference" in request.GET else None)
    typed = {name: request.POST.get(name, "") for name in _TYPED} if posted else {}
    form = target = None
    if find.is_bound and find.is_valid():
        reference = find.cleaned_data["reference"].strip()
        target, problem = _transfer_target(request, account, reference)
        if problem:
            find.add_error("reference", problem)
        else:
            initial = {"reference": target.payment_reference, **typed}
            form = TransferForm(request.POST if posted and not finding else None,
                                initial=initial)
    if posted and not finding and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            post_transfer(from_account_id=account.pk, to_account_id=target.pk,
                          amount_pence=data["amount"], reason=data["reason"], by=request.user,
                          at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{format_pence(data['amount'])} moved to account "
                                      f"{target.payment_reference}.")
            return redirect("rents:account", pk=account.pk)
    today = timezone.localdate()
    return _account_form_page(
        request, account, "rents/adjustments/transfer_form.html", form,
        heading="Move money to another account", find=find,
        typed={name: value for name, value in typed.items() if value},
        target=target, target_summary=account_summary(target, today=today) if target else None,
        target_tenants=[m for m in target.tenancy.members.all() if m.end_date is None
                        or m.end_date >= today] if target and target.tenancy else [])


@require_http_methods(["GET", "POST"])
def reversal_new(request, pk: int, entry_pk: int):
    account = _adjustable_account(request, pk, ADJUST_PERM)
    entry = get_object_or_404(Transaction.objects.select_related("charge_type", "rent_week"),
                              pk=entry_pk, account=account)
    refusal = adjustments.reversal_refusal(entry)
    form = ReversalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            adjustments.reverse_entry(account_id=account.pk, transaction_id=entry.pk,
                                      reason=form.cleaned_data["reason"], by=request.user,
                                      at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Entry reversed.")
            return redirect("rents:account", pk=account.pk)
    return _account_form_page(request, account, "rents/adjustments/reversal_form.html", form,
                              heading="Reverse an entry", entry=entry, refusal=refusal,
                              entry_amount_pence=abs(entry.amount_pence))


# --- Write-offs --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def write_off_new(request, pk: int):
    account = _adjustable_account(request, pk, REQUEST_WRITE_OFF_PERM)
    form = WriteOffRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            adjustments.request_write_off(account_id=account.pk, amount_pence=data["amount"],
                                          reason=data["reason"], by=request.user,
                                          at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Write-off of {format_pence(data['amount'])} asked for. "
                                      f"It is posted when a different person approves it.")
            return redirect("rents:account", pk=account.pk)
    return _account_form_page(request, account, "rents/write_offs/request_form.html", form,
                              heading="Request a write-off")


def write_off_list(request):
    """Pending write-offs for an approver, and the latest decisions."""
    require_perm(request.user, adjustments.APPROVE_PERM)
    write_offs = adjustments.write_offs_for_approver(request.user)
    return render(request, "rents/write_offs/list.html", {
        "pending": list(write_offs.filter(status=WriteOff.Status.PENDING)
                        .order_by("requested_at", "pk")),
        "decided": list(write_offs.exclude(status=WriteOff.Status.PENDING)
                        .order_by("-decided_at", "-pk")[:20]),
    })


def _write_off_for_approver(request, pk: int) -> WriteOff:
    """The write-off (404 when its account is not one the user may see) when the user may
    decide write-offs (else 403)."""
    write_off = get_object_or_404(adjustments.write_offs_for_approver(request.user), pk=pk)
    require_perm(request.user, adjustments.APPROVE_PERM)
    return write_off


@require_POST
def write_off_approve(request, pk: int):
    write_off = _write_off_for_approver(request, pk)
    try:
        adjustments.approve_write_off(write_off_id=write_off.pk, by=request.user,
                                      at=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Write-off of {format_pence(write_off.amount_pence)} on "
                                  f"account {write_off.account.payment_reference} approved and "
                                  f"posted.")
    return redirect("rents:write-offs")


@require_http_methods(["GET", "POST"])
def write_off_reject(request, pk: int):
    write_off = _write_off_for_approver(request, pk)
    form = WriteOffRejectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            adjustments.reject_write_off(write_off_id=write_off.pk,
                                         note=form.cleaned_data["note"], by=request.user,
                                         at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Write-off of {format_pence(write_off.amount_pence)} on "
                                      f"account {write_off.account.payment_reference} rejected.")
            return redirect("rents:write-offs")
    return render(request, "rents/write_offs/reject_form.html",
                  {"write_off": write_off, "form": form})


def property_rent_section(request, home) -> dict:
    """The property page's "Rent account" section (housing.register_views.PROPERTY_SECTIONS):
    the account of the tenancy live in the home today."""
    today = timezone.localdate()
    account = current_rent_account(request.user, home.pk, today=today)
    return {"summary": account_summary(account, today=today) if account else None}
