"""Rent account pages: the account with its ledger and running balance, and recording a
single payment."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import require_perm
from housing.money import format_pence
from rents.forms import PaymentForm
from rents.models import RentAccount
from rents.payments import record_payment
from rents.queries import Ledger, account_summary, current_rent_account, get_account_for_user

PER_PAGE = 50
PAY_PERM = "rents.add_transaction"


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


def property_rent_section(request, home) -> dict:
    """The property page's "Rent account" section (housing.register_views.PROPERTY_SECTIONS):
    the account of the tenancy live in the home today."""
    today = timezone.localdate()
    account = current_rent_account(request.user, home.pk, today=today)
    return {"summary": account_summary(account, today=today) if account else None}
