"""The Awaab's Law screens: hazard cases, their clocks and timelines, one page per step, the
Team Leaders' escalated list, the written summary letter and the evidence pack.

Who may do what: seeing cases needs repairs.view_hazardcase (Customer Access, Housing,
Repairs and Lettings Officers, Team Leaders, administrators), limited to the user's patches
unless they see all; recording steps, reporting damp or mould and closing need
repairs.work_hazardcase (Repairs Officers, Team Leaders, administrators). Other roles get a
403; a case (or home) off the user's patches is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from housing.access import require_perm
from repairs import awaab
from repairs.awaab import VIEW_PERM, WORK_PERM
from repairs.awaab_forms import (
    AlternativeForm,
    CaseFilterForm,
    CloseForm,
    InvestigationForm,
    MadeSafeForm,
    NoteForm,
    ReportForm,
    SummaryForm,
    WorksForm,
)
from repairs.models import HazardCase

LIST_PAGE = 50
Status = HazardCase.Status


def _read(request, pk) -> HazardCase:
    require_perm(request.user, VIEW_PERM)
    return awaab.get_case_for_user(request.user, pk)


def _with_clocks(cases, *, now) -> list[HazardCase]:
    today = timezone.localdate(now)
    cases = list(cases)
    for case in cases:
        case.clocks = awaab.clock_states(case, today=today, now=now)
        case.overdue = awaab.is_overdue(case.clocks)
    return cases


@require_GET
def case_list(request):
    require_perm(request.user, VIEW_PERM)
    now = timezone.now()
    form = CaseFilterForm(request.GET or None)
    chosen = form.filters()
    rows = awaab.open_cases(request.user, today=timezone.localdate(now), now=now, **chosen)
    page = Paginator(rows, LIST_PAGE).get_page(request.GET.get("page"))
    return render(request, "repairs/awaab/case_list.html", {
        "form": form, "page_obj": page, "cases": _with_clocks(page, now=now),
        "filtered": any(chosen.values()),
    })


@require_GET
def escalated_list(request):
    require_perm(request.user, VIEW_PERM)
    now = timezone.now()
    page = Paginator(awaab.escalated_cases(request.user), LIST_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "repairs/awaab/escalated_list.html", {
        "page_obj": page, "cases": _with_clocks(page, now=now)})


def _blocked(case: HazardCase) -> dict[str, str]:
    """Why each step cannot be taken now ("" when it can), shown before the click."""
    closed = (f"The case was closed on {case.closed_on:%-d %B %Y}."
              if case.status == Status.CLOSED else "")
    return {
        "investigation": closed or (
            f"The investigation was recorded on {case.investigated_on:%-d %B %Y}. Record a "
            f"later visit as a note." if case.investigated_on else ""),
        "made-safe": closed or (
            "This is a significant hazard: it has no make-safe clock. Record the safety works "
            "instead." if case.make_safe_due_at is None else
            "The home was recorded as made safe." if case.made_safe_at else ""),
        "summary": closed or (
            "Record the investigation first: the written summary tells the tenants what it "
            "found." if case.investigated_on is None else
            f"The written summary was sent on {case.summary_sent_on:%-d %B %Y}. Record a "
            f"later letter as a note." if case.summary_sent_on else ""),
        "works": closed,
        "alternative": closed,
        "close": closed,
        "note": "",
    }


@require_GET
def case_detail(request, pk: int):
    case = _read(request, pk)
    now = timezone.now()
    clocks = awaab.clock_states(case, today=timezone.localdate(now), now=now)
    blocked = _blocked(case)
    steps = [(reverse(f"repairs:awaab-{name}", args=[case.pk]), label)
             for name, label in STEP_LINKS if not blocked[name]]
    return render(request, "repairs/awaab/case_detail.html", {
        "case": case, "clocks": clocks, "overdue": awaab.is_overdue(clocks),
        "events": awaab.timeline(case),
        "can_work": request.user.has_perm(WORK_PERM),
        "steps": steps,
    })


STEP_LINKS = [
    ("investigation", "Record the investigation"),
    ("made-safe", "Record that the home was made safe"),
    ("summary", "Send the written summary"),
    ("works", "Record works started"),
    ("alternative", "Record an offer of alternative accommodation"),
    ("note", "Add a note"),
    ("close", "Close the case"),
]


@require_http_methods(["GET", "POST"])
def case_new(request):
    """Report damp or mould on a home (/repairs/awaab/new/?property=<pk>), without a repair."""
    require_perm(request.user, VIEW_PERM)
    require_perm(request.user, WORK_PERM)
    pk = request.GET.get("property", "")
    if not pk:
        return render(request, "repairs/awaab/choose_home.html", status=400)
    home = awaab.get_home_for_user(request.user, pk)
    now = timezone.now()
    hazards = awaab.hazards_in_force(timezone.localdate(now))
    form = ReportForm(request.POST if request.method == "POST" else None, hazards=hazards,
                      now=now)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = awaab.open_case(
                property_id=home.pk, request_id=None, description=data["description"],
                severity=data["severity"], aware_at=data["aware_at"],
                hazard=data["hazard"], by=request.user, at=now)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Case {case.reference} opened. Its clocks are below.")
            return redirect("repairs:awaab-case", pk=case.pk)
    return render(request, "repairs/awaab/report_form.html", {
        "home": home, "form": form, "heading": "Report damp or mould",
        "no_rule": not hazards,
        "open_cases": list(awaab.open_cases_at(home.pk)),
    })


def _step(request, pk: int, *, name: str, form_class, call, heading: str, button: str,
          done: str, intro: str = "", form_kwargs=None):
    """One step's page: the case (404 off-patch), the work permission (403), the form, and
    the service's refusals next to their fields."""
    case = _read(request, pk)
    require_perm(request.user, WORK_PERM)
    now = timezone.now()
    kwargs = form_kwargs(case, now) if form_kwargs else {}
    form = form_class(request.POST if request.method == "POST" else None, **kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            call(case, form.cleaned_data, by=request.user, at=now)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done)
            return redirect("repairs:awaab-case", pk=case.pk)
    clocks = awaab.clock_states(case, today=timezone.localdate(now), now=now)
    return render(request, "repairs/awaab/step_form.html", {
        "case": case, "form": form, "heading": heading, "button": button, "intro": intro,
        "blocked": _blocked(case)[name], "clocks": clocks,
        "running": [clock for clock in clocks if clock.running],
    })


@require_http_methods(["GET", "POST"])
def investigation(request, pk: int):
    return _step(
        request, pk, name="investigation", form_class=InvestigationForm,
        heading="Record the investigation", button="Record the investigation",
        done="Investigation recorded. The written summary and safety works clocks have "
             "started.",
        intro="The written summary and the safety works clocks start from the day of the "
              "investigation.",
        form_kwargs=lambda case, now: {"initial": {"severity": case.severity,
                                                   "investigated_on": timezone.localdate(now)}},
        call=lambda case, data, **who: awaab.record_investigation(
            case_id=case.pk, investigated_on=data["investigated_on"],
            findings=data["findings"], severity=data["severity"], **who))


@require_http_methods(["GET", "POST"])
def made_safe(request, pk: int):
    return _step(
        request, pk, name="made-safe", form_class=MadeSafeForm,
        heading="Record that the home was made safe", button="Record it",
        done="Recorded: the home was made safe.",
        form_kwargs=lambda case, now: {"now": now},
        call=lambda case, data, **who: awaab.record_made_safe(
            case_id=case.pk, made_safe_at=data["made_safe_at"], detail=data["detail"], **who))


@require_http_methods(["GET", "POST"])
def summary(request, pk: int):
    return _step(
        request, pk, name="summary", form_class=SummaryForm,
        heading="Send the written summary", button="Produce the letter",
        done="Written summary produced as a letter. Download it from the case to send.",
        intro="The letter to the tenants gives what the investigation found and then your "
              "words about what the council will do, and when.",
        form_kwargs=lambda case, now: {"initial": {"sent_on": timezone.localdate(now)}},
        call=lambda case, data, **who: awaab.send_summary(
            case_id=case.pk, sent_on=data["sent_on"], text=data["text"], **who))


@require_http_methods(["GET", "POST"])
def works(request, pk: int):
    return _step(
        request, pk, name="works", form_class=WorksForm,
        heading="Record works started", button="Record the works",
        done="Works recorded.",
        intro="The first works recorded meet the safety works clock; later ones are recorded "
              "as further works.",
        form_kwargs=lambda case, now: {"orders": awaab.home_orders(case),
                                       "initial": {"started_on": timezone.localdate(now)}},
        call=lambda case, data, **who: awaab.record_works_started(
            case_id=case.pk, started_on=data["started_on"], detail=data["detail"],
            order_id=data["order"].pk if data["order"] else None, **who))


@require_http_methods(["GET", "POST"])
def alternative(request, pk: int):
    return _step(
        request, pk, name="alternative", form_class=AlternativeForm,
        heading="Record an offer of alternative accommodation", button="Record the offer",
        done="Offer of alternative accommodation recorded.",
        intro="When the home cannot be made safe in time, the household must be offered "
              "somewhere safe to stay.",
        form_kwargs=lambda case, now: {"initial": {"offered_on": timezone.localdate(now)}},
        call=lambda case, data, **who: awaab.offer_alternative(
            case_id=case.pk, offered_on=data["offered_on"], detail=data["detail"], **who))


@require_http_methods(["GET", "POST"])
def note(request, pk: int):
    return _step(
        request, pk, name="note", form_class=NoteForm, heading="Add a note",
        button="Add the note", done="Note added.",
        call=lambda case, data, **who: awaab.add_note(case_id=case.pk, text=data["text"],
                                                      **who))


@require_http_methods(["GET", "POST"])
def close(request, pk: int):
    def running(case, now):
        clocks = awaab.clock_states(case, today=timezone.localdate(now), now=now)
        return {"running": any(clock.running for clock in clocks)}

    return _step(
        request, pk, name="close", form_class=CloseForm, heading="Close the case",
        button="Close the case", done="Case closed.", form_kwargs=running,
        call=lambda case, data, **who: awaab.close_case(
            case_id=case.pk, reason=data["reason"],
            clocks_explained=data.get("clocks_explained", False), **who))


@require_GET
def summary_letter(request, pk: int):
    case = _read(request, pk)
    if not case.summary_file:
        raise Http404
    return FileResponse(case.summary_file.open("rb"), as_attachment=True,
                        filename=f"written-summary-{case.reference}.pdf",
                        content_type="application/pdf")


@require_GET
def event_document(request, pk: int, event_pk: int):
    case = _read(request, pk)
    event = case.events.filter(pk=event_pk).first()
    if event is None or not event.document:
        raise Http404
    return FileResponse(event.document.open("rb"), as_attachment=True,
                        filename=f"{case.reference}-{event.kind}-{event.pk}.pdf",
                        content_type="application/pdf")


@require_GET
def evidence(request, pk: int):
    case = _read(request, pk)
    pdf = awaab.evidence_pack(case, at=timezone.now())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="evidence-pack-'
                                       f'{case.reference}.pdf"')
    return response


urlpatterns = [
    path("awaab/", case_list, name="awaab-list"),
    path("awaab/escalated/", escalated_list, name="awaab-escalated"),
    path("awaab/new/", case_new, name="awaab-new"),
    path("awaab/<int:pk>/", case_detail, name="awaab-case"),
    path("awaab/<int:pk>/investigation/", investigation, name="awaab-investigation"),
    path("awaab/<int:pk>/made-safe/", made_safe, name="awaab-made-safe"),
    path("awaab/<int:pk>/summary/", summary, name="awaab-summary"),
    path("awaab/<int:pk>/works/", works, name="awaab-works"),
    path("awaab/<int:pk>/alternative/", alternative, name="awaab-alternative"),
    path("awaab/<int:pk>/note/", note, name="awaab-note"),
    path("awaab/<int:pk>/close/", close, name="awaab-close"),
    path("awaab/<int:pk>/summary.pdf", summary_letter, name="awaab-summary-letter"),
    path("awaab/<int:pk>/evidence.pdf", evidence, name="awaab-evidence"),
    path("awaab/<int:pk>/documents/<int:event_pk>/", event_document, name="awaab-document"),
]
