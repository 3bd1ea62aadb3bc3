"""The void's own process, as services: the void inspection (which raises the void works
orders through the repairs services in one step), the gas and electrical safety checks, and
ready to let. Views, the demo and tests all come through here.

Each service is keyword-only, runs in one transaction, locks the void first
(voids.services.lock), writes its stage moves through voids.services.move (one StageChange
per move) and refuses with a django ValidationError: a dict of field -> messages when it is
about something the user typed, else the messages saying why. Nothing is half-saved: a
refusal anywhere (an order the contractor's contracts do not cover, say) rolls back the
inspection and every order raised with it.

Void works and their priority. The first inspection that ticks checklist lines raises the
void's repair request (repairs.services.raise_request, channel "inspection", location "whole
home") at the priority for the void type (repairs.Priority with `void_type`: standard voids
in 10 working days, major works voids in 30). Orders take their priority, and so their target
date, from the void's type when they are raised (repairs.services.raise_order's
`priority_id`): a later inspection that changes the void type gives the orders raised with it
the new type's target, and the orders raised before keep theirs.

One order per trade. The ticked lines are grouped by the trade of their SOR code (the version
in force on the day), and each trade gets one order "Void works: <labels>" to the chosen
contractor. Within the raiser's spend limit an order is approved and issued at once; over it,
it waits for a Team Leader's approval (the void page says so).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from housing.models import User
from repairs import services as repairs_services
from repairs.contractor_services import parse_quantity
from repairs.models import Contractor, Priority, RepairRequest, SorCode, WorkOrder
from voids.models import ChecklistItem, Inspection, SafetyCheck, Stage, VoidPeriod, VoidType
from voids.services import day, lock, move, what_is_missing

# A void can be inspected (again) until it is offered: new works after ready to let take it
# back to works.
INSPECTABLE = (Stage.KEYS_IN, Stage.INSPECTION, Stage.WORKS, Stage.READY)
# Ready to let follows the inspection, with or without works.
READYABLE = (Stage.INSPECTION, Stage.WORKS)


def _stage_label(void: VoidPeriod) -> str:
    return Stage(void.stage).label.lower()


def _date_problem(value: date | None, *, void: VoidPeriod, today: date, what: str,
                  missing: str) -> str | None:
    """Why a date typed for the void is not allowed: missing, in the future, or before the
    keys came in (work done then was the last tenancy's)."""
    if value is None:
        return missing
    if value > today:
        return f"The {what} must be today or in the past."
    since = void.keys_in_date or void.start_date
    if value < since:
        return (f"The keys came in on {day(since)}: the {what} cannot be before then "
                f"({day(value)}).")
    return None


# --- The void inspection ----------------------------------------------------------------------


def _sor_in_force(codes: set[str], on: date) -> dict[str, SorCode]:
    found = (SorCode.objects.filter(code__in=codes, start_date__lte=on)
             .filter(Q(end_date__isnull=True) | Q(end_date__gte=on)).select_related("trade"))
    return {sor.code.upper(): sor for sor in found}


def _checklist_lines(lines, *, on: date) -> tuple[list[dict], list[str]]:
    """[(checklist item id, quantity)] -> ([{item, code, sor, quantity}], problems). Each
    problem names the line: an item not on the checklist, a bad quantity, a code not in the
    Schedule of Rates in force on `on`."""
    problems: list[str] = []
    wanted: list[tuple[int, object]] = []
    for item_id, quantity in lines or ():
        try:
            wanted.append((int(item_id), quantity))
        except (TypeError, ValueError):
            problems.append("Choose the work from the checklist.")
    items = ChecklistItem.objects.in_bulk([item_id for item_id, _q in wanted])
    parsed = []
    seen: set[int] = set()
    for item_id, quantity in wanted:
        item = items.get(item_id)
        if item is None or not item.active:
            problems.append("One of the lines ticked is no longer on the checklist: tick the "
                            "work again.")
            continue
        if item_id in seen:
            continue
        seen.add(item_id)
        amount = parse_quantity(quantity)
        if amount is None:
            problems.append(f"Enter the quantity for “{item.label}” as a number more than 0, "
                            f"like 1 or 2.5, with at most 2 decimal places.")
            continue
        parsed.append({"item": item, "code": item.sor_code.strip().upper(), "quantity": amount})
    sors = _sor_in_force({line["code"] for line in parsed}, on)
    for line in parsed:
        line["sor"] = sors.get(line["code"])
        if line["sor"] is None:
            problems.append(f"“{line['item'].label}” is priced by SOR code {line['code']}, "
                            f"which is not in the Schedule of Rates on {day(on)}: ask an "
                            f"administrator to correct the checklist.")
    return [line for line in parsed if line.get("sor")], problems


def _by_trade(lines: list[dict]) -> list[tuple[object, list[dict]]]:
    """The lines grouped by their SOR code's trade, in trade name order. Two checklist lines
    priced by the same code become one order line with their quantities added (an order line
    is given once per code)."""
    groups: dict[int, list[dict]] = defaultdict(list)
    trades = {}
    for line in lines:
        trades[line["sor"].trade_id] = line["sor"].trade
        groups[line["sor"].trade_id].append(line)
    return [(trades[pk], groups[pk]) for pk in sorted(groups, key=lambda pk: trades[pk].name)]


def _order_lines(lines: list[dict]) -> list[tuple[str, Decimal]]:
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line["code"]] = totals.get(line["code"], Decimal(0)) + line["quantity"]
    return list(totals.items())


def _prefixed(error: ValidationError, prefix: str) -> dict[str, list[str]]:
    """A repairs service's refusal, each message saying which trade it is about."""
    if hasattr(error, "error_dict"):
        return {name: [f"{prefix}: {message}" for message in ValidationError(messages).messages]
                for name, messages in error.error_dict.items()}
    return {NON_FIELD_ERRORS: [f"{prefix}: {message}" for message in error.messages]}


def _merge(errors: dict, more: dict) -> None:
    """Add a repairs service's refusal to ours: a contract that does not cover a trade (or
    the patch) is about the contractor chosen; a problem with a line is about the lines."""
    for name, messages in more.items():
        key = ("contractor" if name in ("contractor", "trade")
               else "lines" if name in ("lines", "description") else name)
        errors.setdefault(key, []).extend(messages)


@transaction.atomic
def record_inspection(*, void_id: int, inspected_on: date | None, void_type: str, notes: str,
                      lines, contractor_id: int | None, by: User,
                      at: datetime) -> Inspection:
    """Record the void inspection and raise its works: one order per trade from the ticked
    checklist lines ([(checklist item id, quantity)]) to the contractor. All or nothing."""
    void = lock(void_id)
    today = timezone.localdate(at)
    if void.stage not in INSPECTABLE:
        raise ValidationError(
            f"Void {void.reference} is {_stage_label(void)}: an inspection can no longer be "
            f"recorded. Withdraw the offer first if the home needs more work.")
    errors: dict[str, list[str]] = {}
    problem = _date_problem(inspected_on, void=void, today=today, what="inspection date",
                            missing="Enter the date of the inspection.")
    if problem:
        errors["inspected_on"] = [problem]
    if void_type not in VoidType.values:
        errors["void_type"] = ["Select whether it is a standard void or a major works void."]
    notes = (notes or "").strip()
    priced, problems = _checklist_lines(lines, on=today)
    if problems:
        errors["lines"] = problems
    contractor = None
    if lines:
        contractor = (Contractor.objects.filter(pk=contractor_id).first()
                      if contractor_id else None)
        if contractor is None:
            errors["contractor"] = ["Select the contractor to do the void works."]
        elif not contractor.active:
            errors["contractor"] = [f"{contractor.name} is no longer used: select another."]
    priority = None
    if priced and "void_type" not in errors:
        priority = Priority.objects.filter(void_type=void_type, active=True).first()
        if priority is None:
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                f"No repair priority is set up for {VoidType(void_type).label.lower()}s: ask "
                f"an administrator to set one (Priorities, void works type).")
    groups = _by_trade(priced)
    if contractor is not None and contractor.active:
        # Every trade's contract is checked before anything is raised, so one refusal names
        # every trade the contractor does not cover.
        for trade, group in groups:
            try:
                repairs_services.contract_for(contractor=contractor, trade=trade,
                                              home=void.property, on=today)
            except ValidationError as error:
                codes = ", ".join(code for code, _q in _order_lines(group))
                _merge(errors, _prefixed(error, f"{trade.name} ({codes})"))
    if errors:
        raise ValidationError(errors)

    latest = void.inspected_on is None or inspected_on >= void.inspected_on
    inspection = Inspection.objects.create(
        void=void, inspected_on=inspected_on, void_type=void_type, notes=notes,
        items=[{"label": line["item"].label, "sor_code": line["code"],
                "quantity": f"{line['quantity'].normalize():f}"} for line in priced],
        by=by, at=at)
    fields = {"void_type": void_type, "inspected_on": inspected_on} if latest else {}
    type_text = VoidType(void_type).label.lower()
    if void.stage == Stage.KEYS_IN:
        move(void, to=Stage.INSPECTION, on=inspected_on, by=by, at=at, note=notes,
             summary=f"Void inspection on {day(inspected_on)}: {type_text}", fields=fields)
    elif fields:
        for name, value in fields.items():
            setattr(void, name, value)
        void.save(update_fields=list(fields))

    orders = _raise_works(void, groups, contractor=contractor, priority=priority, by=by, at=at)
    if orders and void.stage != Stage.WORKS:
        waiting = sum(order.status == WorkOrder.Status.RAISED for order in orders)
        summary = (f"Void works raised: {len(orders)} order{'s' if len(orders) != 1 else ''}"
                   + (f", {waiting} waiting for approval" if waiting else ""))
        back = " (new works after ready to let)" if void.stage == Stage.READY else ""
        move(void, to=Stage.WORKS, on=today, by=by, at=at, summary=summary + back,
             note=", ".join(order.reference for order in orders),
             fields={"ready_on": None} if void.stage == Stage.READY else None)
    inspection.orders = orders  # for the view's message: the orders raised with it
    return inspection


def _raise_works(void: VoidPeriod, groups, *, contractor: Contractor | None,
                 priority: Priority | None, by: User, at: datetime) -> list[WorkOrder]:
    if not groups:
        return []
    if void.repair_request_id is None:
        request = repairs_services.raise_request(
            property_id=void.property_id, location=RepairRequest.Location.WHOLE,
            description=f"Void works for {void.property.short_address}",
            priority_id=priority.pk, channel=RepairRequest.Channel.INSPECTION, by=by, at=at)
        void.repair_request = request
        void.save(update_fields=["repair_request"])
    orders = []
    for trade, group in groups:
        labels = ", ".join(line["item"].label for line in group)
        try:
            orders.append(repairs_services.raise_order(
                request_id=void.repair_request_id, contractor_id=contractor.pk,
                trade_id=trade.pk, description=f"Void works: {labels}",
                lines=_order_lines(group), priority_id=priority.pk, by=by, at=at))
        except ValidationError as error:
            # The whole inspection is refused (this transaction rolls back the orders raised
            # for the trades before), naming the trade.
            codes = ", ".join(code for code, _q in _order_lines(group))
            errors: dict = {}
            _merge(errors, _prefixed(error, f"{trade.name} ({codes})"))
            raise ValidationError(errors) from None
    return orders


# --- Safety checks ----------------------------------------------------------------------------


@transaction.atomic
def record_safety_check(*, void_id: int, kind: str, outcome: str, done_on: date | None,
                        certificate_reference: str, by: User, at: datetime) -> SafetyCheck:
    """Record a gas or electrical safety check done while the home is void. A gas check may
    find no gas supply (nothing to check); an electrical check is satisfactory or it is not
    recorded (the works to put it right come first)."""
    void = lock(void_id)
    if void.stage == Stage.LET:
        raise ValidationError(f"Void {void.reference} is let: record checks on the new "
                              f"tenancy's home instead.")
    errors: dict[str, list[str]] = {}
    if kind not in SafetyCheck.Kind.values:
        errors["kind"] = ["Select whether it is the gas or the electrical check."]
    if outcome not in SafetyCheck.Outcome.values:
        errors["outcome"] = ["Select the outcome of the check."]
    elif outcome == SafetyCheck.Outcome.NO_SUPPLY and kind == SafetyCheck.Kind.ELECTRICAL:
        errors["outcome"] = ["“No gas supply” is only for a gas check: an electrical check "
                             "must be satisfactory."]
    problem = _date_problem(done_on, void=void, today=timezone.localdate(at),
                            what="date of the check",
                            missing="Enter the date the check was done.")
    if problem:
        errors["done_on"] = [problem]
    certificate_reference = " ".join((certificate_reference or "").split())
    if len(certificate_reference) > 60:
        errors["certificate_reference"] = ["Enter a certificate reference of 60 characters "
                                           "or fewer."]
    elif not certificate_reference and outcome == SafetyCheck.Outcome.SATISFACTORY:
        errors["certificate_reference"] = ["Enter the certificate reference, as it is on "
                                           "the certificate."]
    if errors:
        raise ValidationError(errors)
    return SafetyCheck.objects.create(void=void, kind=kind, outcome=outcome, done_on=done_on,
                                      certificate_reference=certificate_reference, by=by, at=at)


# --- Ready to let -----------------------------------------------------------------------------


@transaction.atomic
def mark_ready(*, void_id: int, on: date | None, by: User, at: datetime) -> VoidPeriod:
    """The home is at the lettable standard from `on`: inspected, every works order closed and
    both safety checks recorded in this void. A refusal lists everything still missing."""
    void = lock(void_id)
    if void.stage in (Stage.READY, Stage.OFFERED, Stage.LET):
        since = f" since {day(void.ready_on)}" if void.ready_on else ""
        raise ValidationError(f"Void {void.reference} is already {_stage_label(void)}{since}.")
    problems = what_is_missing(void)
    if problems:
        raise ValidationError([f"{void.property.short_address} cannot be ready to let yet.",
                               *problems])
    if void.stage not in READYABLE:
        raise ValidationError(f"Void {void.reference} is {_stage_label(void)}: record the void "
                              f"inspection first.")
    today = timezone.localdate(at)
    if on is None:
        raise ValidationError({"on": "Enter the date the home was ready to let."})
    if on > today:
        raise ValidationError({"on": "The date it was ready to let must be today or in the "
                                     "past."})
    if on < void.inspected_on:
        raise ValidationError({"on": f"The void inspection was on {day(void.inspected_on)}: "
                                     f"the home cannot be ready to let before then."})
    move(void, to=Stage.READY, on=on, by=by, at=at, summary=f"Ready to let from {day(on)}",
         fields={"ready_on": on})
    return void
