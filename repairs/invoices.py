"""Contractors' invoices: submitted against a completed work order, checked line by line
against what was ordered, queried back when they differ, approved by an officer and paid.

The check. An order's counted lines are its own lines and those of approved variations, less
any line an approved variation replaced (a variation waiting or refused counts nothing). For
each SOR code the invoice must have the same quantity at the same unit price as the counted
lines (the order's prices are the contract's); every difference is named, one line each:

    PL100: invoiced 2 at £28.50, ordered 1 at £28.50
    PL130: invoiced 1 at £95.00, not on the order
    PL110: ordered 1 at £42.00, not invoiced

A match is SUBMITTED and the order INVOICED. A mismatch is QUERIED: the named lines are in
`query`, each invoice line keeps its own problem, and the order stays COMPLETED. The
contractor sees the query in the portal and submits a corrected invoice with a NEW number:
a queried invoice keeps its number (numbers are unique per contractor, for ever, so a number
once used never means two invoices in the council's payment records).

Then an officer with repairs.approve_invoice approves a submitted invoice (APPROVED) and marks
it paid (PAID, and the order PAID), or queries it after all with a reason (QUERIED, and the
order back to COMPLETED).

Refused: an invoice for an order that is not complete (or was invoiced already), for an
order that is not the contractor's own (as if it did not exist), and a number the contractor
has used before (naming the order it was used for).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import Http404

from housing.access import scope_for_user
from housing.models import User
from housing.money import format_pence
from repairs import workflow
from repairs.contractor_services import lock_own_order, parse_quantity
from repairs.models import Invoice, InvoiceLine, WorkOrder, WorkOrderLine
from repairs.queries import counting_lines

VIEW_PERM = "repairs.view_invoice"
APPROVE_PERM = "repairs.approve_invoice"
InvoiceStatus = Invoice.Status
# The staff list's tabs: (label, statuses), in the order the list shows them.
LIST_STATUSES = {
    "submitted": ("To approve", [InvoiceStatus.SUBMITTED]),
    "queried": ("Queried", [InvoiceStatus.QUERIED]),
    "approved": ("To pay", [InvoiceStatus.APPROVED]),
    "paid": ("Paid", [InvoiceStatus.PAID]),
}


# --- Matching (pure) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    code: str
    quantity: Decimal
    unit_price_pence: int


def _quantity(value: Decimal) -> str:
    text = f"{Decimal(value).normalize():f}"
    return text


def _describe(prices: dict[int, Decimal]) -> str:
    return " and ".join(f"{_quantity(quantity)} at {format_pence(price)}"
                        for price, quantity in sorted(prices.items()))


def _by_code(lines: list[Line]) -> dict[str, dict[int, Decimal]]:
    """{code: {unit price: quantity}}, codes in the order first seen."""
    grouped: dict[str, dict[int, Decimal]] = {}
    for line in lines:
        prices = grouped.setdefault(line.code.upper(), defaultdict(Decimal))
        prices[line.unit_price_pence] += Decimal(line.quantity)
    return {code: dict(prices) for code, prices in grouped.items()}


def mismatches(ordered: list[Line], invoiced: list[Line]) -> dict[str, str]:
    """{code: what is wrong} for each code that differs; {} for a clean match. The order's
    codes come first, in its order, then codes only on the invoice."""
    want, got = _by_code(ordered), _by_code(invoiced)
    problems: dict[str, str] = {}
    for code in [*want, *(code for code in got if code not in want)]:
        if code not in got:
            problems[code] = f"{code}: ordered {_describe(want[code])}, not invoiced"
        elif code not in want:
            problems[code] = f"{code}: invoiced {_describe(got[code])}, not on the order"
        elif want[code] != got[code]:
            problems[code] = (f"{code}: invoiced {_describe(got[code])}, ordered "
                              f"{_describe(want[code])}")
    return problems


# --- Reads ------------------------------------------------------------------------------------


def counted_lines(order: WorkOrder) -> list[WorkOrderLine]:
    """The lines that count in the order's value (repairs.queries.counting_lines: its own and
    approved variations', less those an approved variation replaced), in the order added."""
    return list(counting_lines(order.pk).select_related("sor").order_by("pk"))


def ordered_lines(order: WorkOrder) -> list[Line]:
    return [Line(code=line.sor.code, quantity=line.quantity,
                 unit_price_pence=line.unit_price_pence) for line in counted_lines(order)]


def invoices_for(user: User) -> QuerySet[Invoice]:
    """The invoices a member of staff may see: with repairs.view_invoice, on orders of the
    patches they may see."""
    orders = scope_for_user(user, WorkOrder.objects.all(), perm=VIEW_PERM)
    return scope_for_user(user, Invoice.objects.all(), perm=VIEW_PERM).filter(
        order__in=orders.values("pk"))


def get_invoice_for_user(user: User, pk) -> Invoice:
    try:
        return (invoices_for(user)
                .select_related("contractor", "order", "order__property", "submitted_by",
                                "approved_by").get(pk=pk))
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def invoice_list(user: User, *, status: str) -> QuerySet[Invoice]:
    statuses = LIST_STATUSES[status][1]
    return (invoices_for(user).filter(status__in=statuses)
            .select_related("contractor", "order", "order__property")
            .order_by("submitted_at", "pk"))


def counts_for(user: User) -> dict[str, int]:
    rows = dict(invoices_for(user).values_list("status").annotate(n=Count("pk")).order_by())
    return {key: sum(rows.get(status, 0) for status in statuses)
            for key, (_label, statuses) in LIST_STATUSES.items()}


# --- Submitting -------------------------------------------------------------------------------


def _parse(lines) -> tuple[list[Line], list[str]]:
    parsed, problems = [], []
    for number, (code, quantity_text, price) in enumerate(lines, start=1):
        code = (code or "").strip().upper()
        quantity = parse_quantity(quantity_text)
        if not code:
            problems.append(f"Line {number}: enter the SOR code.")
        elif quantity is None:
            problems.append(f"Line {number} ({code}): enter a quantity more than 0, like 1 "
                            f"or 2.5.")
        elif not isinstance(price, int) or isinstance(price, bool) or price < 0:
            problems.append(f"Line {number} ({code}): enter the unit price, like 28.50.")
        else:
            parsed.append(Line(code=code, quantity=quantity, unit_price_pence=price))
    return parsed, problems


@transaction.atomic
def submit_invoice(*, order_id: int, number: str, lines, by: User, at: datetime) -> Invoice:
    """The contractor's invoice for their completed order: lines [(SOR code, quantity, unit
    price in pence)], checked against the order (see the module's docstring)."""
    number = " ".join((number or "").split())
    errors: dict[str, list[str]] = {}
    if not number:
        errors["number"] = ["Enter your invoice number."]
    parsed, problems = _parse(list(lines or []))
    if problems:
        errors["lines"] = problems
    elif not parsed:
        errors["lines"] = ["Enter at least one line: the SOR code, quantity and unit price."]
    order = lock_own_order(order_id, by)
    if order.status in (WorkOrder.Status.INVOICED, WorkOrder.Status.PAID):
        live = order.invoices.exclude(status__in=[InvoiceStatus.QUERIED,
                                                  InvoiceStatus.WITHDRAWN]).first()
        raise ValidationError(f"Work order {order.reference} is already invoiced"
                              f"{f' (invoice {live.number})' if live else ''}.")
    if order.status != WorkOrder.Status.COMPLETED:
        raise ValidationError(f"Work order {order.reference} is not complete (it is "
                              f"{order.get_status_display().lower()}): invoice it once the "
                              f"work is completed.")
    if number:
        earlier = (Invoice.objects.filter(contractor_id=order.contractor_id,
                                          number__iexact=number)
                   .select_related("order").first())
        if earlier:
            errors["number"] = [f"You have already used invoice number {earlier.number}, for "
                                f"work order {earlier.order.reference}. Give this invoice a "
                                f"new number."]
    if errors:
        raise ValidationError(errors)
    wrong = mismatches(ordered_lines(order), parsed)
    values = [workflow.line_value(line.quantity, line.unit_price_pence) for line in parsed]
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                contractor_id=order.contractor_id, order=order, number=number,
                status=InvoiceStatus.QUERIED if wrong else InvoiceStatus.SUBMITTED,
                total_pence=sum(values), query="\n".join(wrong.values()), submitted_by=by,
                submitted_at=at)
    except IntegrityError:  # the same number, submitted at the same moment for another order
        raise ValidationError({"number": [f"You have already used invoice number {number}. "
                                          f"Give this invoice a new number."]}) from None
    InvoiceLine.objects.bulk_create(
        InvoiceLine(invoice=invoice, code=line.code, quantity=line.quantity,
                    unit_price_pence=line.unit_price_pence, value_pence=value,
                    problem=wrong.get(line.code, "")[:200])
        for line, value in zip(parsed, values, strict=True))
    if wrong:
        count = len(wrong)
        workflow.log(order, summary=f"Invoice {number} queried: {count} line"
                                    f"{'s do' if count > 1 else ' does'} not match the order",
                     note=invoice.query, by=by, at=at)
    else:
        workflow.move(order, to=WorkOrder.Status.INVOICED,
                      summary=f"Invoice {number} submitted: {format_pence(invoice.total_pence)}"
                              f", matching the order", by=by, at=at)
    return invoice


# --- The officer's side -----------------------------------------------------------------------


def _lock_invoice(invoice_id: int) -> tuple[Invoice, WorkOrder]:
    invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
    order = WorkOrder.objects.select_for_update().get(pk=invoice.order_id)
    return invoice, order


def _refuse_unless(invoice: Invoice, status: str, doing: str) -> None:
    if invoice.status != status:
        raise ValidationError(f"Invoice {invoice.number} is "
                              f"{invoice.get_status_display().lower()}: it cannot be {doing}.")


@transaction.atomic
def approve_invoice(*, invoice_id: int, by: User, at: datetime) -> Invoice:
    """Approve a matching invoice for payment."""
    invoice, order = _lock_invoice(invoice_id)
    _refuse_unless(invoice, InvoiceStatus.SUBMITTED, "approved")
    invoice.status = InvoiceStatus.APPROVED
    invoice.approved_by, invoice.approved_at = by, at
    invoice.save(update_fields=["status", "approved_by", "approved_at"])
    workflow.log(order, summary=f"Invoice {invoice.number} approved for payment", by=by, at=at)
    return invoice


@transaction.atomic
def mark_paid(*, invoice_id: int, by: User, at: datetime) -> Invoice:
    """Record that an approved invoice was paid: the order is paid."""
    invoice, order = _lock_invoice(invoice_id)
    _refuse_unless(invoice, InvoiceStatus.APPROVED, "marked paid")
    invoice.status = InvoiceStatus.PAID
    invoice.paid_at = at
    invoice.save(update_fields=["status", "paid_at"])
    workflow.move(order, to=WorkOrder.Status.PAID, summary=f"Invoice {invoice.number} paid",
                  by=by, at=at)
    return invoice


@transaction.atomic
def query_invoice(*, invoice_id: int, reason: str, by: User, at: datetime) -> Invoice:
    """Send a submitted invoice back to the contractor with the reason (work not done as
    invoiced, say): the order is completed again, to be invoiced afresh with a new number."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say what is wrong, for the contractor."})
    invoice, order = _lock_invoice(invoice_id)
    _refuse_unless(invoice, InvoiceStatus.SUBMITTED, "queried")
    invoice.status = InvoiceStatus.QUERIED
    invoice.query = reason
    invoice.save(update_fields=["status", "query"])
    workflow.move(order, to=WorkOrder.Status.COMPLETED,
                  summary=f"Invoice {invoice.number} queried by the council", note=reason,
                  by=by, at=at)
    return invoice
