"""Payment files and the suspense account: the list of files, uploading one (its import runs as
a background job), a file's page with its counts or its bad lines, and the suspense page where
payments with an unknown reference are allocated to the right account.

Permissions: rents.view_paymentfile to see files, rents.import_payment_file to upload,
rents.allocate_suspense for the suspense page and allocating (Income Officers, Team Leaders
and administrators). Tenants and contractors never reach these pages (housing.middleware).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import require_perm, scope_for_user
from housing.models import User
from housing.money import format_pence
from rents.models import PaymentFile, RentAccount, Transaction, Transfer
from rents.payment_file_forms import AllocateForm, UploadForm
from rents.payment_files import upload_payment_file
from rents.queries import account_summary, get_account_for_user
from rents.services import post_transfer

VIEW_PERM = "rents.view_paymentfile"
IMPORT_PERM = "rents.import_payment_file"
ALLOCATE_PERM = "rents.allocate_suspense"
PER_PAGE = 25
HISTORY_LIMIT = 50

STATUS_COLOURS = {PaymentFile.Status.QUEUED: "blue", PaymentFile.Status.IMPORTED: "green",
                  PaymentFile.Status.REFUSED: "red"}


def _may_see_job(user: User, job) -> bool:
    return job is not None and (user.has_perm("housing.view_all_jobs")
                                or job.started_by_id == user.pk)


def file_list(request):
    require_perm(request.user, VIEW_PERM)
    files = PaymentFile.objects.select_related("uploaded_by")
    page = Paginator(files, PER_PAGE).get_page(request.GET.get("page"))
    for payment_file in page:
        payment_file.colour = STATUS_COLOURS[payment_file.status]
    return render(request, "rents/payment_files/list.html", {
        "page_obj": page, "can_import": request.user.has_perm(IMPORT_PERM),
        "can_allocate": request.user.has_perm(ALLOCATE_PERM)})


@require_http_methods(["GET", "POST"])
def file_upload(request):
    require_perm(request.user, IMPORT_PERM)
    posted = request.method == "POST"
    form = UploadForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method == "POST" and form.is_valid():
        try:
            payment_file = upload_payment_file(
                upload=form.cleaned_data["file"], layout=form.cleaned_data["layout"],
                by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return redirect("job-detail", pk=payment_file.job_id)
    return render(request, "rents/payment_files/upload.html", {"form": form})


def file_detail(request, pk: int):
    require_perm(request.user, VIEW_PERM)
    payment_file = get_object_or_404(
        PaymentFile.objects.select_related("uploaded_by", "job__started_by"), pk=pk)
    payment_file.colour = STATUS_COLOURS[payment_file.status]
    return render(request, "rents/payment_files/detail.html", {
        "payment_file": payment_file,
        "show_job": _may_see_job(request.user, payment_file.job),
        "can_allocate": request.user.has_perm(ALLOCATE_PERM),
        "bad_lines": [error for error in payment_file.errors if error.get("line")],
        "file_problems": [error for error in payment_file.errors if not error.get("line")],
    })


# --- Suspense -------------------------------------------------------------------------------

def _unallocated():
    """Payments sitting in suspense that have not been allocated yet, oldest first."""
    return (Transaction.objects.filter(account__kind=RentAccount.Kind.SUSPENSE,
                                       amount_pence__lt=0, allocation__isnull=True)
            .select_related("payment_file").order_by("posted_on", "id"))


def suspense(request):
    require_perm(request.user, ALLOCATE_PERM)
    items = _unallocated()
    totals = items.aggregate(count=Count("id"), pence=Sum("amount_pence"))
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    for item in page:
        item.received_pence = -item.amount_pence  # shown as money received, not a credit
    history = list(Transfer.objects.filter(allocates__isnull=False).select_related(
        "allocates", "out_entry", "in_entry__account__tenancy__property", "created_by"
    )[:HISTORY_LIMIT])
    # Only accounts the officer may open are linked and show their address.
    visible = set(scope_for_user(request.user, RentAccount.objects.filter(
        pk__in=[transfer.in_entry.account_id for transfer in history])).values_list(
        "pk", flat=True))
    for transfer in history:
        transfer.visible = transfer.in_entry.account_id in visible
    return render(request, "rents/suspense/index.html", {
        "page_obj": page, "count": totals["count"], "total_pence": -(totals["pence"] or 0),
        "history": history, "history_limit": HISTORY_LIMIT})


def _get_item(pk: int) -> Transaction:
    try:
        return Transaction.objects.select_related("payment_file").get(
            pk=pk, account__kind=RentAccount.Kind.SUSPENSE, amount_pence__lt=0)
    except Transaction.DoesNotExist:
        raise Http404 from None


def _find_account(user: User, reference: str) -> RentAccount | None:
    """The account whose payment reference, or whose tenancy's reference, is `reference`,
    among those the user may see (others are as if they did not exist)."""
    accounts = scope_for_user(user, RentAccount.objects.exclude(kind=RentAccount.Kind.SUSPENSE))
    found = accounts.filter(Q(payment_reference__iexact=reference)
                            | Q(tenancy__reference__iexact=reference, kind=RentAccount.Kind.RENT)
                            ).order_by("pk").first()
    return get_account_for_user(user, found.pk) if found else None


@require_http_methods(["GET", "POST"])
def allocate(request, pk: int):
    """Step one: the officer types the reference and the reason, and sees the account found.
    Step two: they allocate to that account (post_transfer moves the whole payment)."""
    require_perm(request.user, ALLOCATE_PERM)
    item = _get_item(pk)
    done = Transfer.objects.filter(allocates=item).select_related("in_entry__account").first()
    if done is not None:
        messages.info(request, f"That payment was already allocated to "
                               f"{done.in_entry.account.payment_reference}.")
        return redirect("rents:suspense")
    form = AllocateForm(request.POST if request.method == "POST" else None)
    target = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        target = _find_account(request.user, data["reference"])
        if target is None:
            form.add_error("reference", f"No rent account has the reference "
                                        f"{data['reference']}. Check it and try again")
        elif request.POST.get("action") == "allocate" and data["account"] == target.pk:
            try:
                post_transfer(from_account_id=item.account_id, to_account_id=target.pk,
                              amount_pence=-item.amount_pence, reason=data["reason"],
                              by=request.user, at=timezone.now(), allocates_id=item.pk)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"{format_pence(-item.amount_pence)} allocated to "
                                          f"{target.payment_reference}.")
                return redirect("rents:suspense")
        else:
            # Found (or the reference changed since): show the account to confirm.
            form = AllocateForm({**request.POST.dict(), "account": target.pk})
            form.is_valid()
    today = timezone.localdate()
    tenancy = target.tenancy if target else None
    tenants = []
    if tenancy is not None:
        # An ended tenancy's tenants are those there when it ended.
        on = min(today, tenancy.end_date) if tenancy.end_date else today
        tenants = [m for m in tenancy.members.all() if m.end_date is None or m.end_date >= on]
    return render(request, "rents/suspense/allocate.html", {
        "item": item, "amount_pence": -item.amount_pence,
        "amount_text": format_pence(-item.amount_pence), "form": form, "target": target,
        "tenancy": tenancy, "tenants": tenants,
        "summary": account_summary(target, today=today) if target else None,
    })
