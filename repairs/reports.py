"""Repairs reports as background jobs (on screen and CSV), as the rent reports are
(rents.reports): repairs completed within target, open orders by status and age, spend by
contractor, and Awaab's Law cases by clock state.

Each report is a query or two over the work orders or hazard cases (a grouped count for the
figures, one list for the CSV), never a query per order. The runner stores what the job page
shows in `result_data` (pence as integers, shown by the `money` filter) and writes the records
behind every figure to a CSV in `result_file`, each row saying which figure it counts in, so a
spreadsheet filter on that column gives exactly the records behind a figure.

Who sees what: the person who started the job. They may run the reports with
housing.use_reports and repairs.view_workorder (the Awaab report also needs
repairs.view_hazardcase); without housing.view_all_patches their reports cover the homes in
their own patches (housing.access.scope_for_user).

Definitions, as the screens explain them:
- completed within target (TSM RP02): work orders completed in the period (completed, invoiced
  or paid). An emergency order (its priority is an emergency one, with a target in hours) is
  within target when it was completed by its target time; any other order when it was
  completed on or before its target date. Orders with no target (planned work) are counted
  apart. The percentage is within target / completed x 100, to one decimal place, halves up;
- open orders: orders not yet completed or cancelled, by status and by calendar days since
  they were raised (0-5, 6-20, 21-60, 61 or more) on the day the report runs;
- spend by contractor: the value of the orders each contractor completed in the period
  (completed, invoiced or paid), and of the invoices submitted for them that are not queried
  or withdrawn (invoiced), of which paid;
- Awaab's Law cases the landlord became aware of in the period, by the state of their clocks
  on the day the report runs: each clock (make safe, investigate, written summary, safety
  works) is met on time, met late, not yet due, overdue (open, past its deadline), missed (the
  case closed after its deadline without it) or not needed (closed before it fell due). A case
  is late when any clock is met late, overdue or missed.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from housing.access import scope_for_user
from housing.jobs import register
from housing.models import BackgroundJob, User
from housing.money import format_pence
from housing.money import pence_to_pounds as pounds
from housing.reporting import Result, report_runner
from repairs.models import HazardCase, Invoice, WorkOrder
from repairs.workflow import OPEN_STATUSES

REPORT_PERMS = ("housing.use_reports", "repairs.view_workorder")
SHOWN_ROWS = 100  # the longest list a report puts on screen; the CSV has every row
DONE = (WorkOrder.Status.COMPLETED, WorkOrder.Status.INVOICED, WorkOrder.Status.PAID)
LIVE_INVOICE = (Invoice.Status.SUBMITTED, Invoice.Status.APPROVED, Invoice.Status.PAID)

# Age bands of open orders: (fewest days, most days or None, label).
AGE_BANDS = [(0, 5, "0 to 5 days"), (6, 20, "6 to 20 days"), (21, 60, "21 to 60 days"),
             (61, None, "61 days or more")]

PERIOD = [("start", "From", "the start date"), ("end", "To", "the end date")]


@dataclass(frozen=True)
class Report:
    kind: str  # the job's kind
    slug: str  # its address: /repairs/reports/<slug>/
    title: str
    description: str
    dates: list[tuple[str, str, str]] = field(default_factory=list)  # (name, legend, what)
    perms: tuple[str, ...] = ()  # beyond REPORT_PERMS


REPORTS: dict[str, Report] = {report.slug: report for report in [
    Report("repairs_within_target", "within-target", "Repairs completed within target",
           "Work orders completed in a period and how many were completed within their "
           "target, emergency and non-emergency apart (Tenant Satisfaction Measure RP02), "
           "overall and by patch.", PERIOD),
    Report("repairs_open_orders", "open-orders", "Open orders by status and age",
           "Work orders not yet completed or cancelled, by status and by days since they "
           "were raised: 0 to 5, 6 to 20, 21 to 60, and 61 days or more."),
    Report("repairs_spend", "spend", "Spend by contractor",
           "The value of the work orders each contractor completed in a period, what has been "
           "invoiced for them and what has been paid.", PERIOD),
    Report("repairs_awaab", "awaab", "Awaab's Law cases by clock state",
           "Damp and mould (and other hazard) cases opened in a period: open on time, open "
           "and overdue, closed on time and closed late, with each statutory clock.", PERIOD,
           perms=("repairs.view_hazardcase",)),
]}
KINDS: dict[str, Report] = {report.kind: report for report in REPORTS.values()}


def may_run(user: User, report: Report | None = None) -> bool:
    perms = (*REPORT_PERMS, *(report.perms if report else ()))
    return all(user.has_perm(perm) for perm in perms)


def reports_for(user: User) -> list[Report]:
    return [report for report in REPORTS.values() if may_run(user, report)]


# --- Checking what was asked for ------------------------------------------------------------

def check_parameters(slug: str, dates: dict[str, date], *, today: date) -> None:
    """Refuse dates a report cannot use, keyed by the date's name."""
    if "start" not in dates:
        return
    errors = {}
    if dates["start"] > today:
        errors["start"] = "The start date must be today or in the past."
    if dates["end"] > today:
        errors["end"] = "The end date must be today or in the past."
    elif dates["end"] < dates["start"]:
        errors["end"] = "The end date must be the same as or after the start date."
    if errors:
        raise ValidationError(errors)


# --- Helpers --------------------------------------------------------------------------------

def percent(part: int, whole: int) -> str | None:
    """part / whole as a percentage to one decimal place, halves up; None when whole is 0."""
    if whole <= 0:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _scoped(user: User | None, queryset, *, perm: str):
    """The records the person who started the report may see (the system: all of them)."""
    return queryset if user is None else scope_for_user(user, queryset, perm=perm)


def _period(start: date, end: date) -> dict:
    return {"start": start.isoformat(), "end": end.isoformat(),
            "period_label": f"{_long(start)} to {_long(end)}"}


# --- Completed within target (TSM RP02) -------------------------------------------------------

_OUTCOMES = {"within": "Within target", "late": "Outside target", "none": "No target"}


def _outcome() -> Case:
    """within / late / none for a completed order: an emergency against its target time, any
    other order against its target date."""
    return Case(
        When(target_at__isnull=True, target_date__isnull=True, then=Value("none")),
        When(priority__is_emergency=True, target_at__isnull=False,
             then=Case(When(completed_at__lte=F("target_at"), then=Value("within")),
                       default=Value("late"))),
        When(target_date__isnull=True, then=Value("none")),
        When(completed_on__lte=F("target_date"), then=Value("within")),
        default=Value("late"), output_field=CharField())


def _figures(completed: int = 0, within: int = 0) -> dict:
    return {"completed": completed, "within": within, "late": completed - within,
            "percent": percent(within, completed)}


def within_target(*, start: date, end: date, user: User | None) -> Result:
    orders = (_scoped(user, WorkOrder.objects.all(), perm="repairs.view_workorder")
              .filter(status__in=DONE, completed_on__range=(start, end))
              .filter(priority__void_type="")  # RP02 counts responsive repairs, not void works
              .annotate(outcome=_outcome()))
    grouped = (orders.values("property__patch__name", "priority__is_emergency", "outcome")
               .annotate(n=Count("pk")).order_by())
    totals = {True: [0, 0], False: [0, 0]}  # emergency -> [completed, within]
    patches: dict[str, dict] = {}
    no_target = 0
    for row in grouped:
        if row["outcome"] == "none":
            no_target += row["n"]
            continue
        emergency = row["priority__is_emergency"]
        within = row["n"] if row["outcome"] == "within" else 0
        for counts in (totals[emergency], patches.setdefault(
                row["property__patch__name"], {True: [0, 0], False: [0, 0]})[emergency]):
            counts[0] += row["n"]
            counts[1] += within
    groups = [{"label": "Emergency", **_figures(*totals[True])},
              {"label": "Non-emergency", **_figures(*totals[False])}]
    # Plain tuples, not model objects: at 100,000 orders building objects is most of the time.
    detail = orders.order_by("-priority__is_emergency", "property__patch__name",
                             "reference").values_list(
        "reference", "property__address_line_1", "property__postcode", "property__patch__name",
        "contractor__name", "priority__name", "priority__is_emergency", "raised_at",
        "target_at", "target_date", "completed_at", "completed_on", "outcome")
    rows = []
    for (reference, address, postcode, patch, contractor, priority, is_emergency, raised_at,
         target_at, target_date, completed_at, completed_on, outcome) in detail.iterator(
            chunk_size=5000):
        emergency = is_emergency and target_at is not None
        rows.append([
            reference, address, postcode, patch, contractor, priority,
            "Emergency" if is_emergency else "Non-emergency",
            _iso(timezone.localdate(raised_at)),
            _when(target_at) if emergency else _iso(target_date),
            _when(completed_at) if emergency else _iso(completed_on),
            _OUTCOMES[outcome]])
    emergency, other = groups

    def said(group) -> str:
        if group["percent"] is None:
            return f"{group['label'].lower()}: none completed"
        return (f"{group['label'].lower()}: {group['percent']}% ({group['within']:,} of "
                f"{group['completed']:,})")

    return Result(
        data={**_period(start, end), "groups": groups, "no_target": no_target,
              "patches": [{"patch": name, "groups": [
                  {"label": "Emergency", **_figures(*figures[True])},
                  {"label": "Non-emergency", **_figures(*figures[False])}]}
                  for name, figures in sorted(patches.items())]},
        header=["Work order", "Address", "Postcode", "Patch", "Contractor", "Priority",
                "Emergency or not", "Raised on", "Target", "Completed", "Outcome"],
        rows=rows,
        summary=(f"Repairs completed within target from {_long(start)} to {_long(end)}: "
                 f"{said(emergency)}; {said(other)}."))


# --- Open orders by status and age ------------------------------------------------------------

def _band(today: date) -> Case:
    """The age band's number (1 to 4) from the day the order was raised (London time)."""
    whens = [When(raised_day__gte=today - timedelta(days=high), then=Value(number))
             for number, (_low, high, _label) in enumerate(AGE_BANDS, start=1) if high]
    return Case(*whens, default=Value(len(AGE_BANDS)), output_field=IntegerField())


def open_orders(*, today: date, user: User | None) -> Result:
    orders = (_scoped(user, WorkOrder.objects.all(), perm="repairs.view_workorder")
              .filter(status__in=OPEN_STATUSES)
              .annotate(raised_day=TruncDate("raised_at", tzinfo=timezone.get_current_timezone()))
              .annotate(band=_band(today)))
    grouped = (orders.values("status", "property__patch__name", "band")
               .annotate(n=Count("pk")).order_by())
    width = len(AGE_BANDS)
    by_status = {status: [0] * width for status in OPEN_STATUSES}
    by_patch: dict[str, list[int]] = {}
    for row in grouped:
        by_status[row["status"]][row["band"] - 1] += row["n"]
        by_patch.setdefault(row["property__patch__name"], [0] * width)[row["band"] - 1] += \
            row["n"]
    totals = [sum(counts[i] for counts in by_status.values()) for i in range(width)]
    labels = [label for _low, _high, label in AGE_BANDS]
    status_labels = dict(WorkOrder.Status.choices)
    detail = orders.order_by("raised_at", "reference").values_list(
        "reference", "property__address_line_1", "property__postcode", "property__patch__name",
        "contractor__name", "trade__name", "priority__name", "status", "raised_day", "band",
        "target_date")
    rows = [[reference, address, postcode, patch, contractor, trade, priority,
             status_labels[status], raised_day.isoformat(), (today - raised_day).days,
             labels[band - 1], _iso(target_date)]
            for (reference, address, postcode, patch, contractor, trade, priority, status,
                 raised_day, band, target_date) in detail.iterator(chunk_size=5000)]
    total = sum(totals)
    return Result(
        data={"today": today.isoformat(), "today_label": _long(today), "bands": labels,
              "statuses": [{"status": WorkOrder.Status(status).label, "counts": counts,
                            "total": sum(counts)} for status, counts in by_status.items()],
              "totals": totals, "total": total,
              "patches": [{"patch": name, "counts": counts, "total": sum(counts)}
                          for name, counts in sorted(by_patch.items())]},
        header=["Work order", "Address", "Postcode", "Patch", "Contractor", "Trade",
                "Priority", "Status", "Raised on", "Days since raised", "Age band",
                "Target date"],
        rows=rows,
        summary=(f"{total:,} open work order{'' if total == 1 else 's'} on {_long(today)}; "
                 f"{totals[-1]:,} raised 61 days ago or more."))


# --- Spend by contractor ----------------------------------------------------------------------

def spend(*, start: date, end: date, user: User | None) -> Result:
    # An order has at most one live invoice (the one_live_invoice_per_order constraint), so
    # joining it never counts an order twice.
    orders = (_scoped(user, WorkOrder.objects.all(), perm="repairs.view_workorder")
              .filter(status__in=DONE, completed_on__range=(start, end))
              .annotate(live=FilteredRelation(
                  "invoices", condition=Q(invoices__status__in=LIVE_INVOICE))))
    grouped = (orders.values("contractor__name")
               .annotate(orders=Count("pk"), value=Sum("value_pence"),
                         invoiced=Sum("live__total_pence"),
                         paid=Sum("live__total_pence", filter=Q(live__status="paid")))
               .order_by("contractor__name"))
    contractors = [{"contractor": row["contractor__name"], "orders": row["orders"],
                    "value": int(row["value"] or 0), "invoiced": int(row["invoiced"] or 0),
                    "paid": int(row["paid"] or 0)} for row in grouped]
    total = {name: sum(line[name] for line in contractors)
             for name in ("orders", "value", "invoiced", "paid")}
    detail = (orders.select_related("property__patch", "contractor", "trade")
              .annotate(invoice_number=F("live__number"), invoice_status=F("live__status"),
                        invoice_total=F("live__total_pence"))
              .order_by("contractor__name", "completed_on", "reference"))
    statuses = dict(Invoice.Status.choices)
    rows = [[order.contractor.name, order.reference, order.property.patch.name,
             order.property.address_line_1, order.property.postcode, order.trade.name,
             _iso(order.completed_on), order.get_status_display(), pounds(order.value_pence),
             order.invoice_number or "", statuses.get(order.invoice_status, ""),
             pounds(order.invoice_total) if order.invoice_total is not None else "",
             pounds(order.invoice_total) if order.invoice_status == "paid" else ""]
            for order in detail]
    return Result(
        data={**_period(start, end), "contractors": contractors, "total": total},
        header=["Contractor", "Work order", "Patch", "Address", "Postcode", "Trade",
                "Completed on", "Status", "Order value (£)", "Invoice number",
                "Invoice status", "Invoiced (£)", "Paid (£)"],
        rows=rows,
        summary=(f"Spend from {_long(start)} to {_long(end)}: {total['orders']:,} "
                 f"order{'' if total['orders'] == 1 else 's'} completed worth "
                 f"{format_pence(total['value'])}; {format_pence(total['invoiced'])} "
                 f"invoiced, {format_pence(total['paid'])} paid."))


# --- Awaab's Law cases by clock state ---------------------------------------------------------

CLOCK_STATES = {
    "on_time": "Met on time", "late": "Met late", "waiting": "Not yet due",
    "overdue": "Overdue", "missed": "Missed", "not_needed": "Not needed",
}
BREACHED = {"late", "overdue", "missed"}
CASE_STATES = {
    "open_on_time": "Open, on time", "open_overdue": "Open, overdue",
    "closed_on_time": "Closed on time", "closed_late": "Closed late",
}
# name, label, due field, met field (a datetime clock first: the others are days).
CLOCKS = [
    ("make_safe", "Make safe (emergency)", "make_safe_due_at", "made_safe_at"),
    ("investigate", "Investigate", "investigate_due", "investigated_on"),
    ("summary", "Written summary", "summary_due", "summary_sent_on"),
    ("safety_works", "Start safety works", "safety_works_due", "safety_works_started_on"),
]


def clock_state(due, met, *, now, closed_on: date | None) -> str | None:
    """The state of one clock: None when it is not running (no deadline). `due`, `met` and
    `now` are datetimes for the make-safe clock and dates for the others; `closed_on` is the
    day the case closed, if it has."""
    if due is None:
        return None
    if met is not None:
        return "on_time" if met <= due else "late"
    if closed_on is not None:
        due_day = timezone.localdate(due) if isinstance(due, datetime) else due
        return "missed" if closed_on > due_day else "not_needed"
    return "overdue" if now > due else "waiting"


def case_state(states: list[str | None], *, is_open: bool) -> str:
    late = any(state in BREACHED for state in states)
    if is_open:
        return "open_overdue" if late else "open_on_time"
    return "closed_late" if late else "closed_on_time"


def awaab(*, start: date, end: date, at: datetime, user: User | None) -> Result:
    today = timezone.localdate(at)
    cases = (_scoped(user, HazardCase.objects.all(), perm="repairs.view_hazardcase")
             .filter(aware_at__date__range=(start, end))
             .select_related("property__patch").order_by("aware_at", "reference"))
    state_counts = dict.fromkeys(CASE_STATES, 0)
    clock_counts = {name: dict.fromkeys(CLOCK_STATES, 0) for name, *_ in CLOCKS}
    rows, overdue = [], []
    for case in cases:
        closed_on = case.closed_on if case.status == HazardCase.Status.CLOSED else None
        states = []
        cells = []
        for name, _label, due_field, met_field in CLOCKS:
            due, met = getattr(case, due_field), getattr(case, met_field)
            now = at if name == "make_safe" else today
            state = clock_state(due, met, now=now, closed_on=closed_on)
            states.append(state)
            if state:
                clock_counts[name][state] += 1
            show = _when if name == "make_safe" else _iso
            cells += [show(due), show(met), CLOCK_STATES.get(state, "Not running")]
        is_open = case.status == HazardCase.Status.OPEN
        overall = case_state(states, is_open=is_open)
        state_counts[overall] += 1
        home = case.property
        rows.append([case.reference, home.address_line_1, home.postcode, home.patch.name,
                     case.get_hazard_display(), case.get_severity_display(),
                     _iso(timezone.localdate(case.aware_at)), case.get_status_display(),
                     *cells, _iso(case.closed_on), CASE_STATES[overall]])
        if overall == "open_overdue" and len(overdue) < SHOWN_ROWS:
            overdue.append({
                "reference": case.reference, "address": f"{home.address_line_1}, "
                                                        f"{home.postcode}",
                "patch": home.patch.name, "aware_on": _iso(timezone.localdate(case.aware_at)),
                "clocks": [label for (name, label, *_), state in zip(CLOCKS, states,
                                                                    strict=True)
                           if state in BREACHED]})
    total = sum(state_counts.values())
    header = ["Case", "Address", "Postcode", "Patch", "Hazard", "Severity", "Aware on",
              "Status"]
    for _name, label, *_ in CLOCKS:
        header += [f"{label}: due", f"{label}: met", f"{label}: clock"]
    header += ["Closed on", "Clock state"]
    return Result(
        data={**_period(start, end), "today": today.isoformat(), "today_label": _long(today),
              "states": [{"state": label, "cases": state_counts[key]}
                         for key, label in CASE_STATES.items()],
              "clock_states": list(CLOCK_STATES.values()),
              "clocks": [{"clock": label, "counts": list(clock_counts[name].values())}
                         for name, label, *_ in CLOCKS],
              "total": total, "overdue": overdue},
        header=header,
        rows=rows,
        summary=(f"{total:,} Awaab's Law case{'' if total == 1 else 's'} opened from "
                 f"{_long(start)} to {_long(end)}: {state_counts['open_overdue']:,} open and "
                 f"overdue, {state_counts['closed_late']:,} closed late."))


# --- As background jobs ---------------------------------------------------------------------

def build(kind: str, job: BackgroundJob) -> Result:
    """The report `kind` for the job's parameters, as the person who started it may see it."""
    user = job.started_by
    dates = {name: date.fromisoformat(value) for name, value in job.parameters.items()
             if name in {"start", "end"}}
    if kind == "repairs_within_target":
        return within_target(start=dates["start"], end=dates["end"], user=user)
    if kind == "repairs_spend":
        return spend(start=dates["start"], end=dates["end"], user=user)
    if kind == "repairs_awaab":
        return awaab(start=dates["start"], end=dates["end"], at=job.created_at, user=user)
    return open_orders(today=timezone.localdate(job.created_at), user=user)


for _report in REPORTS.values():
    register(_report.kind, title=_report.title, perm="housing.use_reports",
             result_template=f"repairs/reports/_{_report.slug.replace('-', '_')}.html"
             )(report_runner(_report.kind, build))
