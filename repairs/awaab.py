"""Awaab's Law (in force 27 October 2025): a hazard case for each report of damp and mould,
its statutory clocks, every step on a timeline, escalation of overdue cases and the evidence
pack for the Ombudsman.

The clocks. The rule in force for the hazard on the day the landlord became aware
(repairs.HazardRule, dated configuration) sets them when the case opens and when the
investigation is recorded; they are kept as dates (and one datetime), never recounted:

    make safe      an emergency hazard: within `emergency_hours` (24) of becoming aware,
                   a datetime; its investigation is due the same (local) day
    investigate    a significant hazard: within `investigate_working_days` (10) working days
                   of the local date the landlord became aware (that day not counted)
    summary        the written summary to the tenants: within `summary_working_days` (3)
                   working days of the investigation
    safety works   begun within `safety_works_working_days` (5) working days of the
                   investigation

Working days come from housing.workdays only. A date clock is due by the end of its due day
and overdue from the next day; the make-safe clock is overdue the moment its time passes.

Decisions (docs/repairs.md says the same):
- An investigation that finds an emergency where a significant hazard was reported starts the
  make-safe clock then. Only the day of the investigation is recorded, so the 24 hours count
  from the start of that day: make safe by the end of it. Never later than the law allows.
- An investigation that finds a significant hazard where an emergency was reported stops the
  make-safe clock if the home was not yet made safe (the timeline keeps when it was due).
- One investigation and one written summary per case; later visits and letters are notes.
  Works may be recorded more than once (further works); the first sets the clock.
- A case is closed with a reason. While a clock is still running (due and not met) closing is
  refused unless the officer ticks that the reason says why those steps are not needed
  (the tenant refused access, it was not damp or mould...); the running clocks are written
  on the closing event.
- A case is escalated once: the first time any clock is overdue (escalate_overdue, daily).
  It stays on the Team Leader's escalated list until it is closed.
- A closed case takes notes only.

Every service locks the case, writes a HazardEvent with who and when, and refuses with a
ValidationError naming the field.
"""

import io
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from housing.access import get_object_for_user, scope_for_user
from housing.documents import render_pdf
from housing.models import Property, User
from housing.workdays import add_working_days
from repairs import workflow
from repairs.awaab_clocks import (  # noqa: F401 - the clocks are read from here too
    CLOCK_LABELS,
    Clock,
    ClockState,
    clock_states,
    day_text,
    is_overdue,
    moment_text,
    overdue_q,
    plural,
)
from repairs.models import Hazard, HazardCase, HazardEvent, HazardRule, RepairRequest, WorkOrder

VIEW_PERM = "repairs.view_hazardcase"
WORK_PERM = "repairs.work_hazardcase"

Severity = HazardCase.Severity
Status = HazardCase.Status
Kind = HazardEvent.Kind

def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# Steps recorded with a day, not a time: the timeline shows their day only.
DAY_KINDS = {HazardEvent.Kind.VISIT, HazardEvent.Kind.SUMMARY, HazardEvent.Kind.WORKS,
             HazardEvent.Kind.ALTERNATIVE}


def _when(day: date, case: HazardCase, *, at: datetime) -> datetime:
    """An event's time for a step done on `day`: now when it was today, else the start of
    that day (only the day is known), but never before the report, so the timeline keeps
    its order."""
    return at if day == timezone.localdate(at) else max(_start_of(day), case.aware_at)


def shows_day_only(event: HazardEvent) -> bool:
    """True for a step recorded later with only its day: show the day, not a made-up time."""
    return event.kind in DAY_KINDS and event.happened_at != event.created_at


# --- The rule in force ------------------------------------------------------------------------


def rule_in_force(hazard: str, on: date) -> HazardRule | None:
    return (HazardRule.objects.filter(hazard=hazard, effective_from__lte=on)
            .order_by("-effective_from").first())


def hazards_in_force(on: date) -> list[tuple[str, str]]:
    """The hazards with a rule in force on `on`, as choices (damp and mould first)."""
    codes = set(HazardRule.objects.filter(effective_from__lte=on)
                .values_list("hazard", flat=True))
    return [(value, label) for value, label in Hazard.choices if value in codes]


# --- Writing the timeline ---------------------------------------------------------------------


def _event(case: HazardCase, kind: str, summary: str, *, by: User | None, at: datetime,
           happened_at: datetime | None = None, detail: str = "", document: str = "",
           order: WorkOrder | None = None) -> HazardEvent:
    return HazardEvent.objects.create(
        case=case, kind=kind, summary=summary[:200], detail=detail, document=document,
        order=order, happened_at=happened_at or at, by=by, created_at=at)


def _lock(case_id: int, *, notes_only: bool = False) -> HazardCase:
    case = (HazardCase.objects.select_for_update(of=("self",)).select_related("property")
            .filter(pk=case_id).first())
    if case is None:
        raise ValidationError("There is no such hazard case.")
    if case.status == Status.CLOSED and not notes_only:
        raise ValidationError(f"Case {case.reference} was closed on {day_text(case.closed_on)}: "
                              f"only notes can be added to a closed case.")
    return case


def _check_day(errors: dict, name: str, day: date | None, *, label: str, today: date,
               not_before: date, after_what: str) -> None:
    if day is None:
        errors[name] = f"Enter the date {label}."
    elif day > today:
        errors[name] = f"The date {label} must be today or in the past."
    elif day < not_before:
        errors[name] = f"The date {label} cannot be before {after_what} ({day_text(not_before)})."


# --- Opening a case ---------------------------------------------------------------------------


@transaction.atomic
def open_case(*, property_id: int, request_id: int | None, description: str, severity: str,
              aware_at: datetime, by: User | None, at: datetime,
              hazard: str = Hazard.DAMP_MOULD) -> HazardCase:
    """Open a hazard case with its clocks: a repair reported as damp or mould
    (repairs.services.raise_request) or a staff report on a home. The rule in force for the
    hazard on the local date of `aware_at` sets the deadlines."""
    description = (description or "").strip()
    errors: dict[str, str] = {}
    if hazard not in Hazard.values:
        errors["hazard"] = "Select the hazard."
    if severity not in Severity.values:
        errors["severity"] = "Select whether it is an emergency or a significant hazard."
    if not description:
        errors["description"] = "Describe the damp or mould: where it is and how bad."
    rule = None
    if aware_at is None:
        errors["aware_at"] = "Enter when the council became aware of it."
    elif aware_at > at:
        errors["aware_at"] = "When the council became aware cannot be in the future."
    elif "hazard" not in errors:
        aware_on = timezone.localdate(aware_at)
        rule = rule_in_force(hazard, aware_on)
        if rule is None:
            errors["aware_at"] = (
                f"No Awaab's Law rule for {Hazard(hazard).label.lower()} is in force on "
                f"{day_text(aware_on)}, so its clocks cannot be set. An administrator must add one "
                f"(Repairs, hazard rules) before the case can be opened.")
    home = Property.objects.filter(pk=property_id).first()
    if home is None:
        errors["property"] = "There is no such home."
    request = None
    if request_id is not None:
        request = RepairRequest.objects.filter(pk=request_id).first()
        if request is None:
            errors["request"] = "There is no such repair request."
        elif home is not None and request.property_id != home.pk:
            errors["request"] = f"Repair request {request.reference} is for another home."
    if errors:
        raise ValidationError(errors)
    case = HazardCase(reference=workflow.next_reference("AW"), property=home, request=request,
                      hazard=hazard, severity=severity, rule=rule, aware_at=aware_at,
                      description=description, opened_by=by)
    aware_on = timezone.localdate(aware_at)
    if severity == Severity.EMERGENCY:
        case.make_safe_due_at = aware_at + timedelta(hours=rule.emergency_hours)
        case.investigate_due = timezone.localdate(case.make_safe_due_at)
        clocks = (f"Make safe by {moment_text(case.make_safe_due_at)} "
                  f"({rule.emergency_hours} hours); investigate by "
                  f"{day_text(case.investigate_due)}.")
    else:
        case.investigate_due = add_working_days(aware_on, rule.investigate_working_days)
        clocks = (f"Investigate by {day_text(case.investigate_due)} "
                  f"({plural(rule.investigate_working_days, 'working day')}).")
    case.save()
    source = f" from repair request {request.reference}" if request else ""
    _event(case, Kind.OPENED,
           f"{Hazard(hazard).label} reported{source}: {case.get_severity_display().lower()}",
           detail=f"Aware since {moment_text(aware_at)}.\n{description}\n{clocks}",
           happened_at=aware_at, by=by, at=at)
    return case


# --- The steps --------------------------------------------------------------------------------


@transaction.atomic
def record_investigation(*, case_id: int, investigated_on: date | None, findings: str,
                         severity: str, by: User, at: datetime) -> HazardCase:
    """The investigation (a visit or survey): what it found and how severe the hazard is. It
    starts the summary and safety works clocks (and the make-safe clock, for an emergency
    found where a significant hazard was reported)."""
    case = _lock(case_id)
    today = timezone.localdate(at)
    findings = (findings or "").strip()
    errors: dict[str, str] = {}
    if case.investigated_on is not None:
        raise ValidationError(
            f"The investigation was recorded on {day_text(case.investigated_on)}. Record a later "
            f"visit as a note.")
    aware_on = timezone.localdate(case.aware_at)
    _check_day(errors, "investigated_on", investigated_on, label="of the investigation",
               today=today, not_before=aware_on, after_what="the day the council became aware")
    if not findings:
        errors["findings"] = "Say what the investigation found."
    if severity not in Severity.values:
        errors["severity"] = "Select whether the investigation found an emergency or a " \
                             "significant hazard."
    if errors:
        raise ValidationError(errors)
    rule = case.rule
    lines = [findings]
    fields = ["investigated_on", "findings", "summary_due", "safety_works_due", "severity"]
    case.investigated_on, case.findings = investigated_on, findings
    case.summary_due = add_working_days(investigated_on, rule.summary_working_days)
    case.safety_works_due = add_working_days(investigated_on, rule.safety_works_working_days)
    if severity != case.severity:
        lines.append(f"Severity changed from {case.get_severity_display().lower()} to "
                     f"{Severity(severity).label.lower()}.")
        if severity == Severity.EMERGENCY and case.make_safe_due_at is None:
            case.make_safe_due_at = (_start_of(investigated_on)
                                     + timedelta(hours=rule.emergency_hours))
            lines.append(f"Make safe by {moment_text(case.make_safe_due_at)}.")
            fields.append("make_safe_due_at")
        elif (severity == Severity.SIGNIFICANT and case.make_safe_due_at is not None
              and case.made_safe_at is None):
            lines.append(f"The make-safe clock (due {moment_text(case.make_safe_due_at)}) no "
                         f"longer applies.")
            case.make_safe_due_at = None
            fields.append("make_safe_due_at")
        case.severity = severity
    lines.append(f"Written summary due by {day_text(case.summary_due)}; safety works to begin by "
                 f"{day_text(case.safety_works_due)}.")
    case.save(update_fields=fields)
    _event(case, Kind.VISIT, f"Investigated: {case.get_severity_display().lower()} hazard",
           detail="\n".join(lines), happened_at=_when(investigated_on, case, at=at), by=by,
           at=at)
    return case


@transaction.atomic
def record_made_safe(*, case_id: int, made_safe_at: datetime | None, detail: str, by: User,
                     at: datetime) -> HazardCase:
    """An emergency hazard made safe (the 24-hour clock)."""
    case = _lock(case_id)
    detail = (detail or "").strip()
    if case.make_safe_due_at is None:
        raise ValidationError(
            f"Case {case.reference} is a significant hazard: it has no make-safe clock. "
            f"Record the safety works instead.")
    if case.made_safe_at is not None:
        raise ValidationError(f"The home was recorded as made safe at "
                              f"{moment_text(case.made_safe_at)}.")
    errors: dict[str, str] = {}
    if made_safe_at is None:
        errors["made_safe_at"] = "Enter when the home was made safe."
    elif made_safe_at > at:
        errors["made_safe_at"] = "When the home was made safe cannot be in the future."
    elif made_safe_at < case.aware_at:
        errors["made_safe_at"] = (f"When the home was made safe cannot be before the council "
                                  f"became aware ({moment_text(case.aware_at)}).")
    if not detail:
        errors["detail"] = "Say what was done to make the home safe."
    if errors:
        raise ValidationError(errors)
    case.made_safe_at = made_safe_at
    case.save(update_fields=["made_safe_at"])
    late = made_safe_at > case.make_safe_due_at
    _event(case, Kind.MADE_SAFE, "Made safe" + (" late" if late else ""),
           detail=detail + (f"\nIt was due by {moment_text(case.make_safe_due_at)}."
                            if late else ""),
           happened_at=made_safe_at, by=by, at=at)
    return case


def tenants_at(home_id: int, *, on: date) -> list:
    """The tenants (People) of the home's tenancy on `on`, oldest first."""
    from tenancies.models import TenancyMember
    from tenancies.queries import members_at

    return [member.person
            for member in members_at(home_id, on=on, role=TenancyMember.Role.TENANT)]


def _summary_pdf(case: HazardCase, *, sent_on: date, text: str) -> bytes:
    hazard = case.get_hazard_display()
    return render_pdf("repairs/awaab/documents/summary_letter.html", {
        "case": case,
        "home": case.property,
        "tenants": tenants_at(case.property_id, on=sent_on),
        "letter_date": sent_on,
        "subject": f"{hazard} in your home: what we found and what we will do",
        "findings": case.findings,
        "text": text,
    }, title=f"Written summary {case.reference}")


@transaction.atomic
def send_summary(*, case_id: int, sent_on: date | None, text: str, by: User,
                 at: datetime) -> HazardCase:
    """The written summary of the investigation to the tenants, as a PDF letter: what was
    found, and what will be done and when (`text`, the officer's words). Kept on the case and
    on the timeline."""
    case = _lock(case_id)
    text = (text or "").strip()
    if case.investigated_on is None:
        raise ValidationError("Record the investigation first: the written summary tells the "
                              "tenants what it found.")
    if case.summary_sent_on is not None:
        raise ValidationError(f"The written summary was sent on {day_text(case.summary_sent_on)}. "
                              f"Record a later letter as a note.")
    errors: dict[str, str] = {}
    _check_day(errors, "sent_on", sent_on, label="the summary was sent",
               today=timezone.localdate(at), not_before=case.investigated_on,
               after_what="the investigation")
    if not text:
        errors["text"] = "Say what the council will do about it, and when."
    if errors:
        raise ValidationError(errors)
    pdf = _summary_pdf(case, sent_on=sent_on, text=text)
    case.summary_sent_on = sent_on
    case.summary_file.save(f"awaab-summary-{case.reference}.pdf", ContentFile(pdf),
                           save=False)
    case.save(update_fields=["summary_sent_on", "summary_file"])
    late = case.summary_due is not None and sent_on > case.summary_due
    _event(case, Kind.SUMMARY, "Written summary sent" + (" late" if late else ""),
           detail=text, document=case.summary_file.name,
           happened_at=_when(sent_on, case, at=at), by=by, at=at)
    return case


@transaction.atomic
def record_works_started(*, case_id: int, started_on: date | None, detail: str, by: User,
                         at: datetime, order_id: int | None = None) -> HazardCase:
    """Works begun, with the work order on the home if there is one. The first starts (meets)
    the safety works clock; later ones are further works."""
    case = _lock(case_id)
    detail = (detail or "").strip()
    errors: dict[str, str] = {}
    _check_day(errors, "started_on", started_on, label="the works started",
               today=timezone.localdate(at), not_before=timezone.localdate(case.aware_at),
               after_what="the day the council became aware")
    order = None
    if order_id is not None:
        order = WorkOrder.objects.filter(pk=order_id).select_related("property").first()
        if order is None:
            errors["order"] = "There is no such work order."
        elif order.property_id != case.property_id:
            errors["order"] = (f"Work order {order.reference} is for "
                               f"{order.property.short_address}, not this home.")
    if not detail and order is None:
        errors["detail"] = "Say what works started, or choose the work order."
    if errors:
        raise ValidationError(errors)
    first = case.safety_works_started_on is None
    if first:
        case.safety_works_started_on = started_on
        case.save(update_fields=["safety_works_started_on"])
    what = "Safety works started" if first else "Further works started"
    if order is not None:
        what += f": work order {order.reference}"
    late = first and case.safety_works_due is not None and started_on > case.safety_works_due
    _event(case, Kind.WORKS, what + (" (late)" if late else ""),
           detail=detail or order.description, order=order,
           happened_at=_when(started_on, case, at=at), by=by, at=at)
    return case


@transaction.atomic
def offer_alternative(*, case_id: int, offered_on: date | None, detail: str, by: User,
                      at: datetime) -> HazardCase:
    """Alternative accommodation offered, when the home cannot be made safe in time."""
    case = _lock(case_id)
    detail = (detail or "").strip()
    errors: dict[str, str] = {}
    _check_day(errors, "offered_on", offered_on, label="of the offer",
               today=timezone.localdate(at), not_before=timezone.localdate(case.aware_at),
               after_what="the day the council became aware")
    if not detail:
        errors["detail"] = "Say what was offered, and whether the household accepted."
    if errors:
        raise ValidationError(errors)
    if case.alternative_offered_on is None:
        case.alternative_offered_on = offered_on
        case.save(update_fields=["alternative_offered_on"])
    _event(case, Kind.ALTERNATIVE, "Alternative accommodation offered", detail=detail,
           happened_at=_when(offered_on, case, at=at), by=by, at=at)
    return case


@transaction.atomic
def add_note(*, case_id: int, text: str, by: User, at: datetime) -> HazardEvent:
    case = _lock(case_id, notes_only=True)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Enter the note."})
    return _event(case, Kind.NOTE, "Note", detail=text, by=by, at=at)


@transaction.atomic
def close_case(*, case_id: int, reason: str, by: User, at: datetime,
               clocks_explained: bool = False) -> HazardCase:
    """Close the case with a reason. Refused while a clock is running unless the officer
    says (`clocks_explained`) that the reason explains why those steps are not needed."""
    case = _lock(case_id)
    reason = (reason or "").strip()
    today = timezone.localdate(at)
    running = [clock for clock in clock_states(case, today=today, now=at) if clock.running]
    errors: dict[str, str] = {}
    if not reason:
        errors["reason"] = "Give the reason for closing the case."
    if running and not clocks_explained:
        errors["clocks_explained"] = (
            "These steps are still due: "
            + "; ".join(f"{clock.label.lower()} by {clock.due_text}" for clock in running)
            + ". Record them first, or say in the reason why they are not needed and tick the "
              "box.")
    if errors:
        raise ValidationError(errors)
    case.status, case.closed_on, case.close_reason = Status.CLOSED, today, reason
    case.save(update_fields=["status", "closed_on", "close_reason"])
    detail = reason
    if running:
        detail += "\nClosed with these clocks running: " + "; ".join(
            f"{clock.label.lower()} (due {clock.due_text})" for clock in running) + "."
    _event(case, Kind.CLOSED, "Case closed", detail=detail, by=by, at=at)
    return case


@transaction.atomic
def escalate_overdue(*, today: date, at: datetime) -> list[int]:
    """Escalate to the Team Leaders' list the open cases with a clock overdue that are not
    yet escalated: one update and one insert of events, whatever the number. The lock and the
    `escalated_at IS NULL` test make a rerun (or two at once) escalate nothing twice.
    Returns the ids escalated."""
    ids = list(HazardCase.objects.select_for_update()
               .filter(status=Status.OPEN, escalated_at__isnull=True)
               .filter(overdue_q(today=today, now=at)).order_by("pk")
               .values_list("pk", flat=True))
    if not ids:
        return []
    HazardCase.objects.filter(pk__in=ids).update(escalated_at=at)
    events = []
    for case in HazardCase.objects.filter(pk__in=ids).order_by("pk"):
        overdue = [clock for clock in clock_states(case, today=today, now=at)
                   if clock.state == ClockState.OVERDUE]
        events.append(HazardEvent(
            case=case, kind=Kind.ESCALATED, summary="Escalated to a Team Leader: overdue",
            detail="; ".join(f"{clock.label}: {clock.text[:1].lower()}{clock.text[1:]} "
                             f"(due {clock.due_text})" for clock in overdue) + ".",
            happened_at=at, by=None, created_at=at))
    HazardEvent.objects.bulk_create(events)
    return ids


# --- The evidence pack ------------------------------------------------------------------------


def evidence_pack(case: HazardCase, *, at: datetime) -> bytes:
    """One PDF for the Ombudsman: the case, its clocks as at `at`, and its whole timeline
    (every event with who and when, oldest first), followed by each document on it."""
    from pypdf import PdfWriter

    events = list(case.events.select_related("by", "order").order_by("happened_at", "pk"))
    for event in events:
        event.day_only = shows_day_only(event)
    documents = []
    for event in events:
        if event.document and event.document.name not in {d.name for d, _t in documents}:
            documents.append((event.document, event.summary))
    if case.summary_file and case.summary_file.name not in {d.name for d, _t in documents}:
        documents.append((case.summary_file, "Written summary"))
    today = timezone.localdate(at)
    timeline = render_pdf("repairs/awaab/documents/evidence_pack.html", {
        "case": case, "home": case.property, "events": events,
        "clocks": clock_states(case, today=today, now=at), "made_at": at,
        "documents": [title for _d, title in documents],
    }, title=f"Evidence pack {case.reference}")
    writer = PdfWriter()
    writer.append(io.BytesIO(timeline))
    for document, _title in documents:
        with document.open("rb") as handle:
            writer.append(io.BytesIO(handle.read()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- Reads ------------------------------------------------------------------------------------


def visible_cases(user: User) -> QuerySet:
    """The cases `user` may see: their patches unless they see all."""
    return scope_for_user(user, HazardCase.objects.all(), perm=VIEW_PERM)


def open_cases(user: User, *, today: date, now: datetime, overdue: bool = False,
               hazard: str = "") -> QuerySet:
    """The open cases the user may see, oldest awareness first, with their home (the clocks
    are worked out from the row itself: two queries a page)."""
    rows = (visible_cases(user).filter(status=Status.OPEN).select_related("property")
            .order_by("aware_at", "pk"))
    if overdue:
        rows = rows.filter(overdue_q(today=today, now=now))
    if hazard:
        rows = rows.filter(hazard=hazard)
    return rows


def escalated_cases(user: User) -> QuerySet:
    """The Team Leaders' list: open cases escalated as overdue, longest escalated first."""
    return (visible_cases(user).filter(status=Status.OPEN, escalated_at__isnull=False)
            .select_related("property").order_by("escalated_at", "pk"))


def get_case_for_user(user: User, pk) -> HazardCase:
    """The case (with its home, rule, request and who opened it), or Http404."""
    return get_object_for_user(
        user, HazardCase.objects.select_related("property", "rule", "request", "opened_by"),
        pk=pk, perm=VIEW_PERM)


def get_home_for_user(user: User, pk) -> Property:
    """A home the user may report a hazard at (patch-scoped by the work permission), or
    Http404."""
    if not str(pk or "").isdigit():
        raise Http404
    return get_object_for_user(user, Property.objects.all(), pk=pk, perm=WORK_PERM)


def timeline(case: HazardCase) -> list[HazardEvent]:
    """The case's events, newest first, with who and the work order (and `day_only`)."""
    events = list(case.events.select_related("by", "order").order_by("-happened_at", "-pk"))
    for event in events:
        event.day_only = shows_day_only(event)
    return events


def home_orders(case: HazardCase) -> QuerySet:
    """The work orders on the case's home a works step may link, newest first."""
    return (WorkOrder.objects.filter(property_id=case.property_id)
            .exclude(status=WorkOrder.Status.CANCELLED).order_by("-raised_at", "-pk"))


def open_cases_at(home_id: int) -> QuerySet:
    return HazardCase.objects.filter(property_id=home_id, status=Status.OPEN).order_by("pk")
