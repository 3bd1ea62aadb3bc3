"""Every write to repair requests and work orders that staff make: raising a repair, raising,
approving, cancelling and closing a work order, variations and recharges. (The contractor's
own moves are in the contractor portal's services; appointments, invoices and Awaab's Law
cases have their own modules.)

Each service is keyword-only, takes `by` and `at` (domain code never reads the clock), runs
in one transaction, locks the order it changes (select_for_update) before it reads it, and
writes one history row per change through repairs.workflow (`move` for a change of status,
`log` for anything else). A refusal is a ValidationError: a dict of field -> message where
it is about a field the user typed, else one message saying why; nothing is saved.

Spend limits. An order whose value is within the raiser's spend limit is approved and issued
at once (two history rows: approved, issued). Over it, the order stays raised ("waiting for
approval") until someone with repairs.approve_workorder whose limit covers the value, and who
did not raise it, approves it. A variation is approved the same way against the order's new
total, never against the variation's own amount.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from housing import notify
from housing.models import Person, Property, User
from housing.money import format_pence
from rents.adjustments import Direction, record_adjustment
from rents.models import RentAccount
from repairs import workflow
from repairs.models import (
    Appointment,
    Contract,
    Contractor,
    Priority,
    Recharge,
    RepairPhoto,
    RepairRequest,
    SorCode,
    Trade,
    Variation,
    WorkOrder,
    WorkOrderLine,
)
from repairs.queries import counting_lines, describe_approvers, order_value
from tenancies.models import Tenancy

Status = WorkOrder.Status
APPROVE_PERM = "repairs.approve_workorder"

PHOTO_MAX_BYTES = 10 * 1024 * 1024
# What browsers show: an image Pillow reads as one of these (MPO is a phone camera's JPEG).
PHOTO_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
PHOTO_FORMATS = set(PHOTO_EXTENSIONS)
MAX_QUANTITY = Decimal("9999999.99")
# A variation adds or changes lines from issue until the order is invoiced (a contractor often
# finds more work when they get there, or when they finish).
VARIABLE = (Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS, Status.NO_ACCESS,
            Status.COMPLETED)
CLOSABLE = (Status.ISSUED, Status.BOOKED, Status.IN_PROGRESS)


def _day(value: date) -> str:
    return f"{value:%-d %B %Y}"


def _local_day(at: datetime) -> date:
    return timezone.localdate(at)


def _name(user: User | None) -> str:
    return user.display_name if user else "the system"


# --- Photos -----------------------------------------------------------------------------------


def photo_problem(upload) -> str | None:
    """Why an uploaded file cannot be kept as a photo, naming it; None when it can. The
    contents are checked with Pillow, never the file's name."""
    name = getattr(upload, "name", "") or "The file"
    if upload.size > PHOTO_MAX_BYTES:
        megabytes = upload.size / (1024 * 1024)
        return f"{name} is {megabytes:.1f} MB: each photo must be 10 MB or smaller."
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except Exception:  # Pillow raises many kinds for a file that is not an image
        kind = None
    finally:
        upload.seek(0)
    if kind not in PHOTO_FORMATS:
        return f"{name} is not a photo: choose a JPEG, PNG, GIF or WebP image."
    return None


def check_photos(photos) -> list[str]:
    return [problem for problem in map(photo_problem, photos or ()) if problem]


def _keep_photos(request: RepairRequest, photos, *, order: WorkOrder | None = None, by: User,
                 at: datetime) -> None:
    """Store each checked photo under a name of our own with the extension of what it really
    is (the name typed on the sender's device is kept as the caption), so a file is never
    served as anything but the image it is."""
    for photo in photos or ():
        caption = (getattr(photo, "name", "") or "")[:120]
        photo.seek(0)
        with Image.open(photo) as image:
            extension = PHOTO_EXTENSIONS[image.format]
        photo.seek(0)
        photo.name = f"{request.reference}.{extension}"
        RepairPhoto.objects.create(request=request, order=order, image=photo, caption=caption,
                                   uploaded_by=by, uploaded_at=at)


# --- Repair requests --------------------------------------------------------------------------


@transaction.atomic
def raise_request(*, property_id: int, location: str, location_detail: str = "",
                  description: str, access_notes: str = "", priority_id: int | None,
                  channel: str, is_damp_mould: bool = False, reported_by_id: int | None = None,
                  photos=(), by: User | None, at: datetime) -> RepairRequest:
    """Record a repair reported at a home. Photos that are not images or are over 10 MB are
    refused, each named, and then none is kept. A report of damp or mould opens an Awaab's
    Law hazard case, whose clocks start now."""
    errors: dict[str, list[str] | str] = {}
    home = Property.objects.filter(pk=property_id).first() if property_id else None
    if home is None:
        errors[NON_FIELD_ERRORS] = "Choose the home the repair is at."
    if location not in RepairRequest.Location.values:
        errors["location"] = "Select where the problem is."
    description = (description or "").strip()
    if not description:
        errors["description"] = "Describe the problem."
    priority = (Priority.objects.filter(pk=priority_id, active=True).first()
                if priority_id else None)
    if priority is None:
        errors["priority"] = "Select how urgent the repair is."
    if channel not in RepairRequest.Channel.values:
        errors["channel"] = "Select how the repair was reported."
    if reported_by_id and not Person.objects.filter(pk=reported_by_id).exists():
        errors["reported_by"] = "Select who reported the repair."
    problems = check_photos(photos)
    if problems:
        errors["photos"] = problems
    if errors:
        raise ValidationError(errors)
    request = RepairRequest.objects.create(
        reference=workflow.next_reference("R"), property=home, location=location,
        location_detail=(location_detail or "").strip(), description=description,
        access_notes=(access_notes or "").strip(), priority=priority, channel=channel,
        is_damp_mould=bool(is_damp_mould), reported_by_id=reported_by_id or None,
        raised_by=by, raised_at=at)
    _keep_photos(request, photos, by=by, at=at)
    if is_damp_mould:
        # Awaab's Law: the landlord became aware now, whatever the channel.
        from repairs.awaab import open_case

        open_case(property_id=home.pk, request_id=request.pk, description=description,
                  severity="emergency" if priority.is_emergency else "significant",
                  aware_at=at, by=by, at=at)
    return request


# --- Contracts and prices ---------------------------------------------------------------------


def _in_force(on: date) -> Q:
    return Q(start_date__lte=on) & (Q(end_date__isnull=True) | Q(end_date__gte=on))


def contract_for(*, contractor: Contractor, trade: Trade, home: Property, on: date) -> Contract:
    """The contractor's contract in force on `on` covering the trade and the home's patch (a
    contract listing no patches covers them all); the latest started if there are several.
    Refused, saying what is missing, when there is none."""
    contracts = list(Contract.objects.filter(_in_force(on), contractor=contractor)
                     .prefetch_related("trades", "patches").order_by("-start_date", "-pk"))
    if not contracts:
        raise ValidationError({"contractor": f"{contractor.name} has no contract in force on "
                                             f"{_day(on)}."})
    with_trade = [c for c in contracts if trade in c.trades.all()]
    if not with_trade:
        refs = ", ".join(c.reference for c in contracts)
        raise ValidationError({"trade": f"{contractor.name}’s contracts in force ({refs}) do "
                                        f"not cover {trade.name.lower()} work."})
    covering = [c for c in with_trade
                if not c.patches.all() or home.patch_id in {p.pk for p in c.patches.all()}]
    if not covering:
        refs = ", ".join(c.reference for c in with_trade)
        raise ValidationError({"contractor": (
            f"{contractor.name}’s {trade.name.lower()} contract ({refs}) does not cover the "
            f"{home.patch.name} patch, where {home.short_address} is.")})
    return covering[0]


def _quantity(value, code: str) -> tuple[Decimal | None, str | None]:
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None, f"Enter the quantity for {code} as a number, like 1 or 2.5."
    if not quantity.is_finite() or quantity <= 0:
        return None, f"Enter a quantity for {code} more than 0."
    if quantity.as_tuple().exponent < -2:
        return None, f"Enter the quantity for {code} with no more than 2 decimal places."
    if quantity > MAX_QUANTITY:
        return None, f"The quantity for {code} is too large."
    return quantity, None


def price_lines(lines, *, contract: Contract | None, on: date) -> tuple[list[dict], list[str]]:
    """[(code, quantity)] -> ([{sor, quantity, unit_price_pence, value_pence}], problems):
    each code's SOR version in force on `on`, priced at the contract's rate for the code if it
    has one, else the SOR's price. Problems name the code: unknown, not in force, a trade the
    contract does not cover, a bad quantity, a code given twice."""
    problems: list[str] = []
    wanted: list[tuple[str, Decimal]] = []
    seen: set[str] = set()
    for code, quantity in lines:
        code = " ".join(str(code or "").split()).upper()
        if not code:
            problems.append("Enter the SOR code for each line.")
            continue
        if code in seen:
            problems.append(f"{code} is entered twice: give it once, with the total quantity.")
            continue
        seen.add(code)
        amount, problem = _quantity(quantity, code)
        if problem:
            problems.append(problem)
            continue
        wanted.append((code, amount))
    if not wanted and not problems:
        problems.append("Add at least one SOR line: a code and a quantity.")
    codes = [code for code, _q in wanted]
    versions = {sor.code.upper(): sor for sor in SorCode.objects.filter(_in_force(on),
                                                                        code__in=codes)
                .select_related("trade")}
    known = {code.upper() for code in SorCode.objects.filter(code__in=codes)
             .values_list("code", flat=True)}
    rates = ({rate.code.upper(): rate.unit_price_pence for rate in contract.rates.all()}
             if contract else {})
    trades = {trade.pk for trade in contract.trades.all()} if contract else None
    priced = []
    for code, quantity in wanted:
        sor = versions.get(code)
        if sor is None:
            problems.append(f"{code} is not in force on {_day(on)}." if code in known
                            else f"{code} is not in the Schedule of Rates.")
            continue
        if trades is not None and sor.trade_id not in trades:
            problems.append(f"{code} is {sor.trade.name.lower()} work, which contract "
                            f"{contract.reference} does not cover.")
            continue
        price = rates.get(code, sor.unit_price_pence)
        priced.append({"sor": sor, "quantity": quantity, "unit_price_pence": price,
                       "value_pence": workflow.line_value(quantity, price)})
    return priced, problems


# --- Work orders ------------------------------------------------------------------------------


def _approve_and_issue(order: WorkOrder, *, summary: str, note: str = "", by: User,
                       at: datetime) -> None:
    workflow.move(order, to=Status.APPROVED, by=by, at=at, summary=summary, note=note,
                  fields={"approved_by": by, "approved_at": at})
    workflow.move(order, to=Status.ISSUED, by=by, at=at,
                  summary=f"Issued to {order.contractor.name}", fields={"issued_at": at})
    _tell_contractor(order, by=by, at=at)


def _tell_contractor(order: WorkOrder, *, by: User | None, at: datetime) -> None:
    """Email the contractor's address (if it has one) once the order is issued and saved. A
    failure is written in the order's history so an officer can phone them."""
    email = (order.contractor.email or "").strip()
    if not email:
        return
    order_id = order.pk

    def send() -> None:
        fresh = WorkOrder.objects.select_related("property", "priority").get(pk=order_id)
        due = (f"attend by {timezone.localtime(fresh.target_at):%-d %B %Y %H:%M}"
               if fresh.target_at else
               f"complete by {fresh.target_date:%-d %B %Y}" if fresh.target_date
               else "planned work, no target date")
        subject = f"New work order {fresh.reference}: {fresh.property.short_address}"
        body = (f"Work order {fresh.reference} ({fresh.priority.name.lower()}, {due}) is issued "
                f"to you for {fresh.property.short_address}, worth "
                f"{format_pence(fresh.value_pence)}.\n\nSign in to the contractor portal to "
                f"see the SOR lines, access notes and any safety flag, and to accept it.\n\n"
                f"{settings.COUNCIL_NAME} Repairs")
        try:
            notify.send_email(to=email, subject=subject, body=body)
        except notify.SendError as error:
            workflow.log(fresh, summary="Email to the contractor failed: phone them",
                         note=str(error), by=by, at=at)

    transaction.on_commit(send)


def _limit_text(user: User) -> str:
    limit = workflow.spend_limit_for(user)
    return (f"{_name(user)}’s spend limit of {format_pence(limit)}" if limit is not None
            else f"{_name(user)}’s spend limit (none is set)")


@transaction.atomic
def raise_order(*, request_id: int, contractor_id: int | None, trade_id: int | None,
                description: str, lines, parent_id: int | None = None,
                priority_id: int | None = None, by: User, at: datetime) -> WorkOrder:
    """Raise a work order on a repair request, to a contractor whose contract in force covers
    the trade and the home's patch. Each line is the SOR version in force today at the
    contract's price (or the SOR's). Within the raiser's spend limit it is approved and
    issued at once; over it, it waits for approval. `parent_id`: the order it follows on.
    `priority_id`: the order's priority (and so its target) when it is not the request's: void
    works raised after a later inspection changed the void's type (voids.works)."""
    today = _local_day(at)
    request = (RepairRequest.objects.select_for_update(of=("self",))
               .select_related("property__patch", "priority").get(pk=request_id))
    errors: dict = {}
    if request.status != RepairRequest.Status.OPEN:
        raise ValidationError(f"Repair {request.reference} is "
                              f"{request.get_status_display().lower()}: no more orders can "
                              f"be raised on it.")
    contractor = (Contractor.objects.filter(pk=contractor_id).first()
                  if contractor_id else None)
    if contractor is None:
        errors["contractor"] = "Select the contractor."
    elif not contractor.active:
        errors["contractor"] = f"{contractor.name} is no longer used: select another."
    trade = Trade.objects.filter(pk=trade_id).first() if trade_id else None
    if trade is None:
        errors["trade"] = "Select the trade."
    description = (description or "").strip()
    if not description:
        errors["description"] = "Describe the work to be done."
    parent = None
    if parent_id:
        parent = WorkOrder.objects.filter(pk=parent_id, request=request).first()
        if parent is None:
            errors[NON_FIELD_ERRORS] = ("A follow-on order must be on the same repair as the "
                                        "order it follows.")
        elif parent.status == Status.CANCELLED:
            errors[NON_FIELD_ERRORS] = (f"Work order {parent.reference} was cancelled: a "
                                        f"follow-on order cannot follow it.")
    contract = None
    if contractor and contractor.active and trade:
        try:
            contract = contract_for(contractor=contractor, trade=trade, home=request.property,
                                    on=today)
        except ValidationError as error:
            errors.update(error.message_dict)
    priced, problems = price_lines(lines, contract=contract, on=today)
    if problems:
        errors["lines"] = problems
    if errors:
        raise ValidationError(errors)
    total = sum(line["value_pence"] for line in priced)
    priority = (Priority.objects.get(pk=priority_id) if priority_id
                else request.priority)
    target_at, target_date = workflow.target_for(priority, at=at)
    order = WorkOrder.objects.create(
        reference=workflow.next_reference("WO"), request=request, property=request.property,
        contractor=contractor, contract=contract, trade=trade, priority=priority,
        status=Status.RAISED, description=description, value_pence=total,
        target_at=target_at, target_date=target_date, parent=parent, raised_by=by,
        raised_at=at)
    WorkOrderLine.objects.bulk_create([WorkOrderLine(order=order, **line) for line in priced])
    if workflow.within_limit(by, total):
        _approve_and_issue(order, by=by, at=at,
                           summary=f"Approved: {format_pence(total)}, within "
                                   f"{_limit_text(by)}")
    else:
        workflow.log(order, by=by, at=at,
                     summary=f"Raised: {format_pence(total)} waits for approval",
                     note=(f"{format_pence(total)} is over {_limit_text(by)}. "
                           f"{describe_approvers(total)}"))
    if parent is not None:
        locked = WorkOrder.objects.select_for_update().get(pk=parent.pk)
        workflow.log(locked, summary=f"Follow-on order {order.reference} raised", by=by,
                     at=at, note=description)
    return order


def _lock_order(order_id: int) -> WorkOrder:
    return (WorkOrder.objects.select_for_update(of=("self",))
            .select_related("contractor", "property", "request").get(pk=order_id))


def _check_approver(user: User, value_pence: int, *, what: str, raised_by_id: int | None,
                    own: str, not_who: str) -> None:
    """Refuse an approval `user` may not give: no approving role, their own order or
    variation, or a value over their spend limit (saying who can)."""
    def who() -> str:
        return describe_approvers(value_pence, not_who=not_who)

    if not user.has_perm(APPROVE_PERM):
        raise ValidationError(f"Your role does not approve work orders. {who()}")
    if raised_by_id == user.pk:
        raise ValidationError(f"You {own}, so someone else must approve it.")
    limit = workflow.spend_limit_for(user)
    if limit is None:
        raise ValidationError(f"You have no spend limit, so you cannot approve {what}. {who()}")
    if value_pence > limit:
        raise ValidationError(f"{what[:1].upper()}{what[1:]}, {format_pence(value_pence)}, is "
                              f"over your spend limit of {format_pence(limit)}. {who()}")


@transaction.atomic
def approve_order(*, order_id: int, by: User, at: datetime) -> WorkOrder:
    """Approve an order waiting for approval, and issue it to the contractor."""
    order = _lock_order(order_id)
    if order.status != Status.RAISED:
        raise ValidationError(f"Work order {order.reference} is not waiting for approval: it "
                              f"is {order.get_status_display().lower()}.")
    _check_approver(by, order.value_pence, what="the order’s value",
                    raised_by_id=order.raised_by_id, own="raised this order",
                    not_who="the person who raised it")
    _approve_and_issue(order, by=by, at=at,
                       summary=f"Approved: {format_pence(order.value_pence)}, within "
                               f"{_limit_text(by)}")
    return order


@transaction.atomic
def cancel_order(*, order_id: int, reason: str, by: User, at: datetime) -> WorkOrder:
    """Cancel an order not yet completed, with the reason. Its booked appointment is cancelled
    with it (so the contractor's day has the slot back) and a variation waiting for approval
    is not approved."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for cancelling the order."})
    order = _lock_order(order_id)
    workflow.move(order, to=Status.CANCELLED, by=by, at=at, summary="Cancelled", note=reason,
                  fields={"cancelled_at": at, "cancel_reason": reason})
    Appointment.objects.filter(order=order, status=Appointment.Status.BOOKED).update(
        status=Appointment.Status.CANCELLED)
    Variation.objects.filter(order=order, status=Variation.Status.REQUESTED).update(
        status=Variation.Status.REJECTED, decided_by=by, decided_at=at,
        decision_note="The order was cancelled.")
    return order


@transaction.atomic
def close_order(*, order_id: int, completed_on: date | None, notes: str = "", by: User,
                at: datetime) -> WorkOrder:
    """An officer records an order as completed (when the contractor cannot, e.g. it was
    done on the phone or the contractor's system is down). Not dated before the order was
    issued, nor in the future."""
    order = _lock_order(order_id)
    today = _local_day(at)
    if completed_on is None:
        raise ValidationError({"completed_on": "Enter the date the work was completed."})
    if completed_on > today:
        raise ValidationError({"completed_on": "The completion date must be today or in the "
                                               "past."})
    if order.issued_at and completed_on < _local_day(order.issued_at):
        raise ValidationError({"completed_on": (
            f"The order was issued on {_day(_local_day(order.issued_at))}: it cannot have "
            f"been completed before then ({_day(completed_on)}).")})
    if order.status not in CLOSABLE:
        raise ValidationError(
            f"Work order {order.reference} is {order.get_status_display().lower()}: only an "
            f"order issued to the contractor (or booked, or in progress) can be completed.")
    workflow.move(order, to=Status.COMPLETED, by=by, at=at,
                  summary=f"Completed on {_day(completed_on)} (recorded by an officer)",
                  note=(notes or "").strip(),
                  fields={"completed_at": at, "completed_on": completed_on,
                          "completion_notes": (notes or "").strip()})
    return order


# --- Variations -------------------------------------------------------------------------------


def _variation_total(order: WorkOrder, variation: Variation) -> int:
    """The order's value if `variation` were approved now: the lines that count, less those
    it replaces, plus its own."""
    lines = list(variation.lines.all())
    replaced = {line.replaces_id for line in lines if line.replaces_id}
    kept = counting_lines(order.pk).exclude(pk__in=replaced)
    return sum(kept.values_list("value_pence", flat=True)) + sum(line.value_pence
                                                                 for line in lines)


@transaction.atomic
def add_variation(*, order_id: int, lines, reason: str, by: User, at: datetime) -> Variation:
    """Ask to add or change SOR lines on an issued order: [(code, quantity)]. A code already on
    the order changes that line to the new quantity (the new line replaces it); any other
    code adds a line. Priced as the order's lines are (the contract's rate, else the SOR's,
    in force today). It waits for approval on the order's new total, unless the person asking
    is staff whose spend limit covers the new total: then it is approved at once, as an order
    within the raiser's limit is. The contractor portal calls this for a contractor's
    request."""
    reason = (reason or "").strip()
    order = _lock_order(order_id)
    if order.status not in VARIABLE:
        raise ValidationError(
            f"Work order {order.reference} is {order.get_status_display().lower()}: a variation "
            f"can be asked for once the order is issued and until it is invoiced.")
    waiting = order.variations.filter(status=Variation.Status.REQUESTED).first()
    if waiting is not None:
        raise ValidationError(
            f"A variation asked for on {_day(_local_day(waiting.requested_at))} is waiting for "
            f"approval: it must be approved or not before another is asked for.")
    errors: dict = {}
    if not reason:
        errors["reason"] = "Say why the work needs to change."
    priced, problems = price_lines(lines, contract=order.contract,
                                   on=_local_day(at))
    if problems:
        errors["lines"] = problems
    if errors:
        raise ValidationError(errors)
    current = {line.sor.code.upper(): line
               for line in counting_lines(order.pk).select_related("sor")}
    old_value = order_value(order.pk)
    variation = Variation.objects.create(
        order=order, reason=reason, old_value_pence=old_value, new_value_pence=old_value,
        requested_by=by, requested_at=at)
    WorkOrderLine.objects.bulk_create([
        WorkOrderLine(order=order, variation=variation,
                      replaces=current.get(line["sor"].code.upper()), **line)
        for line in priced])
    variation.new_value_pence = _variation_total(order, variation)
    variation.save(update_fields=["new_value_pence"])
    workflow.log(order, by=by, at=at,
                 summary=(f"Variation asked for: {format_pence(old_value)} to "
                          f"{format_pence(variation.new_value_pence)}"),
                 note=reason)
    if (by is not None and by.is_council_staff and by.has_perm(APPROVE_PERM)
            and workflow.within_limit(by, variation.new_value_pence)):
        _decide(order, variation, approve=True, by=by, at=at,
                note=f"Within {_limit_text(by)}")
    return variation


def _lock_variation(variation_id: int) -> tuple[WorkOrder, Variation]:
    # The order first, then the variation: the order every writer locks in.
    order_id = Variation.objects.values_list("order_id", flat=True).get(pk=variation_id)
    order = _lock_order(order_id)
    variation = Variation.objects.select_for_update().get(pk=variation_id)
    if variation.status != Variation.Status.REQUESTED:
        raise ValidationError(f"This variation is not waiting for approval: it is "
                              f"{variation.get_status_display().lower()}.")
    return order, variation


def _decide(order: WorkOrder, variation: Variation, *, approve: bool, note: str, by: User,
            at: datetime) -> None:
    if approve:
        variation.status = Variation.Status.APPROVED
        old_value = order.value_pence
        order.value_pence = variation.new_value_pence
        order.save(update_fields=["value_pence"])
        summary = (f"Variation approved: the order is now {format_pence(order.value_pence)} "
                   f"(was {format_pence(old_value)})")
    else:
        variation.status = Variation.Status.REJECTED
        summary = (f"Variation not approved: the order stays "
                   f"{format_pence(order.value_pence)}")
    variation.decided_by, variation.decided_at, variation.decision_note = by, at, note
    variation.save(update_fields=["status", "decided_by", "decided_at", "decision_note",
                                  "new_value_pence"])
    workflow.log(order, summary=summary, note=note, by=by, at=at)


@transaction.atomic
def approve_variation(*, variation_id: int, note: str = "", by: User, at: datetime) -> Variation:
    """Approve a variation: the approver's spend limit must cover the order's new total. Its
    lines then count and the lines it replaces stop counting; the order's value is updated."""
    order, variation = _lock_variation(variation_id)
    if order.status not in VARIABLE:
        raise ValidationError(f"Work order {order.reference} is "
                              f"{order.get_status_display().lower()}: its lines can no longer "
                              f"change.")
    variation.new_value_pence = _variation_total(order, variation)
    _check_approver(by, variation.new_value_pence, what="the order’s new total",
                    raised_by_id=variation.requested_by_id, own="asked for this variation",
                    not_who="the person who asked for the variation")
    _decide(order, variation, approve=True, note=(note or "").strip(), by=by, at=at)
    return variation


@transaction.atomic
def reject_variation(*, variation_id: int, note: str, by: User, at: datetime) -> Variation:
    """Do not approve a variation, with the reason (the contractor sees it). Its lines never
    count."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "Give the reason for not approving the variation."})
    if not by.has_perm(APPROVE_PERM):
        raise ValidationError("Your role does not approve work orders or their variations.")
    order, variation = _lock_variation(variation_id)
    _decide(order, variation, approve=False, note=note, by=by, at=at)
    return variation


# --- Recharges --------------------------------------------------------------------------------


def tenancy_to_recharge(order: WorkOrder) -> Tenancy | None:
    """The tenancy live in the home on the day the repair was reported: the tenant who caused
    the damage, even if they have since moved out."""
    day = _local_day(order.request.raised_at)
    return (Tenancy.objects.filter(_in_force(day), property_id=order.property_id)
            .order_by("-start_date").first())


def open_sundry_account(*, tenancy: Tenancy, on: date) -> RentAccount:
    """The tenancy's sundry account (recharges), opened the first time it is needed. Payers
    quote its reference: the tenancy's with "-S"."""
    reference = f"{tenancy.reference}-S"
    if len(reference) > RentAccount._meta.get_field("payment_reference").max_length:
        reference = f"S{tenancy.pk}"
    account, _ = RentAccount.objects.get_or_create(
        tenancy=tenancy, kind=RentAccount.Kind.SUNDRY,
        defaults={"payment_reference": reference, "opened_on": on})
    return account


@transaction.atomic
def recharge(*, order_id: int, amount_pence: int | None, reason: str, by: User,
             at: datetime) -> Recharge:
    """Charge tenant-caused damage to the tenancy's sundry account: one debit on the ledger
    (posted by rents.adjustments.record_adjustment), and a Recharge row linking it."""
    reason = (reason or "").strip()
    order = _lock_order(order_id)
    errors: dict = {}
    if amount_pence is None or amount_pence <= 0:
        errors["amount_pence"] = "Enter an amount more than £0.00."
    if not reason:
        errors["reason"] = "Say what damage the tenant caused, and how."
    if errors:
        raise ValidationError(errors)
    if order.status == Status.CANCELLED:
        raise ValidationError(f"Work order {order.reference} was cancelled: there is nothing "
                              f"to recharge.")
    tenancy = tenancy_to_recharge(order)
    if tenancy is None:
        raise ValidationError(
            f"Nobody held a tenancy of {order.property.short_address} on "
            f"{_day(_local_day(order.request.raised_at))}, when the repair was reported, so "
            f"there is no tenant to recharge.")
    account = open_sundry_account(tenancy=tenancy, on=_local_day(at))
    entry = record_adjustment(account_id=account.pk, direction=Direction.DEBIT,
                              amount_pence=amount_pence,
                              reason=f"Recharge for repair {order.reference}: {reason}",
                              by=by, at=at)
    made = Recharge.objects.create(order=order, account=account, amount_pence=amount_pence,
                                   reason=reason, transaction=entry, created_by=by,
                                   created_at=at)
    workflow.log(order, by=by, at=at,
                 summary=(f"Recharged {format_pence(amount_pence)} to the sundry account "
                          f"{account.payment_reference} ({tenancy.reference})"),
                 note=reason)
    return made
