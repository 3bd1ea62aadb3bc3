"""Staff screens: contractors' invoices by status, an invoice with its lines checked against
the order's, and the officer's approval, payment and query (repairs.invoices).

Who may do what: seeing invoices needs repairs.view_invoice; approving, marking paid and
querying need repairs.approve_invoice (Repairs Officers, Team Leaders, administrators). An
invoice for an order off the user's patches is a 404.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from housing.access import require_perm
from housing.forms_register import ServiceForm
from repairs import invoices
from repairs.invoices import APPROVE_PERM, LIST_STATUSES, VIEW_PERM

LIST_PAGE = 50


class QueryForm(ServiceForm):
    reason = forms.CharField(
        label="What is wrong with the invoice?", max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The contractor sees this in the portal, and sends a corrected invoice with "
                  "a new number.",
        error_messages={"required": "Say what is wrong, for the contractor."})


@require_GET
def invoice_list(request):
    require_perm(request.user, VIEW_PERM)
    status = request.GET.get("status", "submitted")
    if status not in LIST_STATUSES:
        status = "submitted"
    counts = invoices.counts_for(request.user)
    page = Paginator(invoices.invoice_list(request.user, status=status),
                     LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "repairs/invoices/list.html", {
        "page_obj": page, "status": status, "label": LIST_STATUSES[status][0],
        "tabs": [(key, label, counts[key]) for key, (label, _s) in LIST_STATUSES.items()],
    })


def _detail_context(request, invoice, **extra) -> dict:
    order = invoice.order
    return {
        "invoice": invoice, "order": order,
        "lines": list(invoice.lines.all()),
        "ordered": invoices.counted_lines(order),
        "problems": [line for line in invoice.query.splitlines() if line.strip()],
        "can_approve": request.user.has_perm(APPROVE_PERM),
        "others": list(order.invoices.exclude(pk=invoice.pk).order_by("submitted_at", "pk")),
        **extra,
    }


@require_GET
def invoice_detail(request, pk: int):
    require_perm(request.user, VIEW_PERM)
    invoice = invoices.get_invoice_for_user(request.user, pk)
    return render(request, "repairs/invoices/detail.html",
                  _detail_context(request, invoice, form=QueryForm()))


def _act(request, pk: int, service, done: str):
    require_perm(request.user, VIEW_PERM)
    invoice = invoices.get_invoice_for_user(request.user, pk)
    require_perm(request.user, APPROVE_PERM)
    try:
        service(invoice_id=invoice.pk, by=request.user, at=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done.format(number=invoice.number))
    return redirect("repairs:invoice", pk=invoice.pk)


@require_POST
def invoice_approve(request, pk: int):
    return _act(request, pk, invoices.approve_invoice,
                "Invoice {number} approved for payment.")


@require_POST
def invoice_paid(request, pk: int):
    return _act(request, pk, invoices.mark_paid,
                "Invoice {number} marked paid. The work order is paid.")


@require_http_methods(["GET", "POST"])
def invoice_query(request, pk: int):
    require_perm(request.user, VIEW_PERM)
    invoice = invoices.get_invoice_for_user(request.user, pk)
    require_perm(request.user, APPROVE_PERM)
    form = QueryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invoices.query_invoice(invoice_id=invoice.pk, reason=form.cleaned_data["reason"],
                                   by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Invoice {invoice.number} queried. The contractor sees "
                                      f"why in the portal.")
            return redirect("repairs:invoice", pk=invoice.pk)
    return render(request, "repairs/invoices/detail.html",
                  _detail_context(request, invoice, form=form, querying=True))


urlpatterns = [
    path("invoices/", invoice_list, name="invoices"),
    path("invoices/<int:pk>/", invoice_detail, name="invoice"),
    path("invoices/<int:pk>/approve/", invoice_approve, name="invoice-approve"),
    path("invoices/<int:pk>/paid/", invoice_paid, name="invoice-paid"),
    path("invoices/<int:pk>/query/", invoice_query, name="invoice-query"),
]
