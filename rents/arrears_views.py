"""Arrears case work screens: the income officer's worklist, the case page with its diary,
acting on a recommendation (accept, defer, override, or many letters at once), pauses, notes
and contacts.

Who may do what: seeing the worklist and the cases needs rents.view_recommendation and
rents.view_caseevent (Housing Officers, Income Officers, Team Leaders); acting needs
rents.work_arrears (Income Officers and Team Leaders). A case off the user's patches is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from housing.access import require_perm
from housing.models import BackgroundJob, Patch
from rents import arrangements, casework, legal, legal_panel, reconciliation, reminders
from rents.arrears_forms import (
    ContactForm,
    DeferForm,
    EndPauseForm,
    NoteForm,
    OverrideForm,
    PauseForm,
    WorklistFilterForm,
)
from rents.casework import DIARY_PERM, VIEW_PERM, WORK_PERM
from rents.models import Action, Pause

WORKLIST_PAGE = 50
DIARY_PAGE = 50


def _user_patches(user):
    if user.has_perm("housing.view_all_patches"):
        return Patch.objects.order_by("name")
    return user.patches.order_by("name")


def worklist(request):
    require_perm(request.user, VIEW_PERM)
    user = request.user
    today = timezone.localdate()
    form = WorklistFilterForm(request.GET or None, patches=_user_patches(user))
    chosen = form.filters()
    rows = casework.worklist(user, **chosen)
    page = Paginator(rows, WORKLIST_PAGE).get_page(request.GET.get("page"))
    recommendations = list(page)
    for recommendation in recommendations:
        recommendation.tenants = casework.tenants_of(recommendation.account.tenancy,
                                                     today=today)
        # A reminder's template is its text or email: only letters are produced in bulk.
        recommendation.is_letter = bool(recommendation.stage.letter_template_id
                                        and not reminders.is_reminder(recommendation.stage))
    can_work = user.has_perm(WORK_PERM)
    return render(request, "rents/arrears/worklist.html", {
        "form": form,
        "page_obj": page,
        "recommendations": recommendations,
        "filtered": any(chosen.get(name) for name in ("action", "stage", "patch", "band")),
        "can_work": can_work,
        "can_bulk": can_work and any(r.is_letter for r in recommendations),
        "paused": list(casework.paused_cases(user, today=today)),
    })


@require_POST
def letters_start(request):
    """Bulk acceptance of letter recommendations: a background job makes the letters."""
    require_perm(request.user, VIEW_PERM)
    require_perm(request.user, WORK_PERM)
    chosen = [pk for pk in request.POST.getlist("recommendation") if pk.isdigit()]
    visible = list(casework.letter_recommendations()
                   .filter(pk__in=chosen, account__in=casework.case_accounts(request.user))
                   .values_list("pk", flat=True))
    try:
        job = casework.start_arrears_letters(recommendation_ids=visible, by=request.user,
                                             at=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(_worklist_back(request))
    return redirect("job-detail", pk=job.pk)


def _worklist_back(request) -> str:
    """The worklist page the form was sent from (its filters kept), or the worklist."""
    back = request.POST.get("back", "")
    if back.startswith("/rents/arrears/?") and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}):
        return back
    return reverse("rents:arrears")


@require_GET
def letters_print_file(request, pk: int):
    """The merged print file of a letters job, for whoever may see the job and act on
    arrears. Not served from a public folder: it holds names, addresses and debts."""
    require_perm(request.user, WORK_PERM)
    jobs = BackgroundJob.objects.filter(kind="arrears_letters",
                                        status=BackgroundJob.Status.SUCCEEDED)
    if not request.user.has_perm("housing.view_all_jobs"):
        jobs = jobs.filter(started_by=request.user)
    job = jobs.filter(pk=pk).first()
    if job is None or not job.result_file:
        raise Http404
    return FileResponse(job.result_file.open("rb"), as_attachment=True,
                        filename=f"arrears-letters-{job.pk}.pdf",
                        content_type="application/pdf")


# --- The case ---------------------------------------------------------------------------------


def case(request, pk: int):
    require_perm(request.user, DIARY_PERM)
    account = casework.get_case_account(request.user, pk, request=request)
    user = request.user
    today = timezone.localdate()
    tenancy = account.tenancy
    figures = casework.case_figures([account], on=today)[account.pk]
    recommendation = (casework.open_recommendation(account.pk)
                      if user.has_perm(VIEW_PERM) else None)
    pause = casework.pause_in_force(account.pk, today=today)
    refusal = ""
    is_reminder = recommendation is not None and reminders.is_reminder(recommendation.stage)
    if recommendation is not None:
        recommendation.account = account
        if pause is not None:
            refusal = casework.pause_refusal(pause)
        elif is_reminder:
            refusal = reminders.refusal(recommendation, figures, today=today)
        elif recommendation.stage.action == Action.COURT_APPLICATION:
            refusal = legal.application_refusal(account.pk, on=today)
        elif recommendation.stage.letter_template_id:
            refusal = casework.ended_refusal(tenancy, today=today)
    page = Paginator(casework.diary(account.pk), DIARY_PAGE).get_page(request.GET.get("page"))
    pauses = list(account.pauses.select_related("created_by", "ended_by")
                  .order_by("-start_date", "-pk"))
    return render(request, "rents/arrears/case.html", {
        "account": account,
        "tenancy": tenancy,
        "tenants": casework.tenants_of(tenancy, today=today),
        "ended": bool(tenancy and tenancy.end_date and tenancy.end_date < today),
        "figures": figures,
        "recommendation": recommendation,
        "refusal": refusal,
        "is_reminder": is_reminder,
        "pause": pause,
        "pauses": pauses,
        "live_pause_ids": {p.pk for p in pauses if p.ended_at is None and p.end_date >= today},
        "page_obj": page,
        "can_work": user.has_perm(WORK_PERM),
        "can_see_letters": user.has_perm(casework.LETTER_PERM),
        "arrangement": arrangements.case_panel(account, user=user, today=today),
        "legal": legal_panel.case_panel(account, user=user, today=today),
        "reconciliation": reconciliation.case_panel(account, user=user, today=today),
    })


def _work_account(request, pk: int):
    """The account when the user may see its case (else 403 / 404) and act on it (else 403)."""
    require_perm(request.user, DIARY_PERM)
    account = casework.get_case_account(request.user, pk, request=request)
    require_perm(request.user, WORK_PERM)
    return account


def _work_recommendation(request, pk: int):
    require_perm(request.user, VIEW_PERM)
    recommendation = casework.get_recommendation_for_user(request.user, pk, request=request)
    require_perm(request.user, WORK_PERM)
    return recommendation


@require_POST
def accept(request, pk: int):
    recommendation = _work_recommendation(request, pk)
    try:
        event = casework.accept_recommendation(recommendation_id=recommendation.pk,
                                               by=request.user, at=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if reminders.is_reminder(recommendation.stage):
            messages.success(request, f"{event.summary}. It is recorded in the case diary.")
        elif event.letter_id:
            messages.success(request, f"{recommendation.stage.name} produced. Download it from "
                                      f"the case diary to print and post it.")
        else:
            messages.success(request, f"{recommendation.stage.name} accepted and recorded in "
                                      f"the case diary.")
    return redirect("rents:arrears-case", pk=recommendation.account_id)


def _decision_page(request, recommendation, form, *, template: str, verb: str):
    account = casework.get_case_account(request.user, recommendation.account_id,
                                        request=request)
    return render(request, template, {
        "recommendation": recommendation, "account": account, "tenancy": account.tenancy,
        "form": form, "is_open": recommendation.status == casework.Status.OPEN,
        "heading": f"{verb} {recommendation.stage.name}"})


@require_http_methods(["GET", "POST"])
def defer(request, pk: int):
    recommendation = _work_recommendation(request, pk)
    form = DeferForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            casework.defer_recommendation(
                recommendation_id=recommendation.pk, until=form.cleaned_data["until"],
                reason=form.cleaned_data["reason"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{recommendation.stage.name} deferred until "
                                      f"{form.cleaned_data['until']:%-d %B %Y}.")
            return redirect("rents:arrears-case", pk=recommendation.account_id)
    return _decision_page(request, recommendation, form, template="rents/arrears/defer.html",
                          verb="Defer")


@require_http_methods(["GET", "POST"])
def override(request, pk: int):
    recommendation = _work_recommendation(request, pk)
    form = OverrideForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            casework.override_recommendation(
                recommendation_id=recommendation.pk, reason=form.cleaned_data["reason"],
                by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"{recommendation.stage.name} overridden.")
            return redirect("rents:arrears-case", pk=recommendation.account_id)
    return _decision_page(request, recommendation, form, template="rents/arrears/override.html",
                          verb="Override")


# --- Pauses, notes and contacts ---------------------------------------------------------------


def _account_form(request, account, form, *, template: str, heading: str, **context):
    return render(request, template, {"account": account, "tenancy": account.tenancy,
                                      "form": form, "heading": heading, **context})


@require_http_methods(["GET", "POST"])
def pause_new(request, pk: int):
    account = _work_account(request, pk)
    today = timezone.localdate()
    form = PauseForm(request.POST if request.method == "POST" else None, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pause = casework.add_pause(
                account_id=account.pk, kind=data["kind"], start_date=data["start_date"],
                end_date=data["end_date"], treatment_end_date=data["treatment_end_date"],
                reason=data["reason"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Recovery paused from {pause.start_date:%-d %B %Y} to "
                                      f"{pause.end_date:%-d %B %Y}.")
            return redirect("rents:arrears-case", pk=account.pk)
    return _account_form(request, account, form, template="rents/arrears/pause_form.html",
                         heading="Pause recovery",
                         breathing_space_days=casework.BREATHING_SPACE_DAYS,
                         crisis_days=casework.CRISIS_EXTRA_DAYS,
                         breathing_space_end=casework.pause_end(
                             kind=Pause.Kind.BREATHING_SPACE, start_date=today, end_date=None,
                             treatment_end_date=None))


@require_http_methods(["GET", "POST"])
def pause_end(request, pk: int):
    require_perm(request.user, DIARY_PERM)
    pause = casework.get_pause_for_user(request.user, pk)
    require_perm(request.user, WORK_PERM)
    account = casework.get_case_account(request.user, pause.account_id, request=request)
    form = EndPauseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            casework.end_pause(pause_id=pause.pk, reason=form.cleaned_data["reason"],
                               by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Pause ended. Recovery can go on from today.")
            return redirect("rents:arrears-case", pk=account.pk)
    return _account_form(request, account, form, template="rents/arrears/pause_end.html",
                         heading="End the pause early", pause=pause)


@require_http_methods(["GET", "POST"])
def note_new(request, pk: int):
    account = _work_account(request, pk)
    form = NoteForm(request.POST if request.method == "POST" else None,
                    today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            casework.add_note(account_id=account.pk, text=form.cleaned_data["text"],
                              happened_on=form.cleaned_data["happened_on"], by=request.user,
                              at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Note added to the case diary.")
            return redirect("rents:arrears-case", pk=account.pk)
    return _account_form(request, account, form, template="rents/arrears/diary_form.html",
                         heading="Add a note", button="Add the note")


@require_http_methods(["GET", "POST"])
def contact_new(request, pk: int):
    account = _work_account(request, pk)
    form = ContactForm(request.POST if request.method == "POST" else None,
                       today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            casework.record_contact(account_id=account.pk, method=data["method"],
                                    happened_on=data["happened_on"], said=data["said"],
                                    with_whom=data["with_whom"], by=request.user,
                                    at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, "Contact recorded in the case diary.")
            return redirect("rents:arrears-case", pk=account.pk)
    return _account_form(request, account, form, template="rents/arrears/diary_form.html",
                         heading="Record a contact", button="Record the contact")


urlpatterns = [
    path("arrears/", worklist, name="arrears"),
    path("arrears/letters/", letters_start, name="arrears-letters"),
    path("arrears/letters/<int:pk>/print.pdf", letters_print_file, name="arrears-print-file"),
    path("arrears/accounts/<int:pk>/", case, name="arrears-case"),
    path("arrears/accounts/<int:pk>/pauses/new/", pause_new, name="arrears-pause-new"),
    path("arrears/accounts/<int:pk>/notes/new/", note_new, name="arrears-note-new"),
    path("arrears/accounts/<int:pk>/contacts/new/", contact_new, name="arrears-contact-new"),
    path("arrears/pauses/<int:pk>/end/", pause_end, name="arrears-pause-end"),
    path("arrears/recommendations/<int:pk>/accept/", accept, name="arrears-accept"),
    path("arrears/recommendations/<int:pk>/defer/", defer, name="arrears-defer"),
    path("arrears/recommendations/<int:pk>/override/", override, name="arrears-override"),
]
