"""Screens for payment arrangements: agreeing one on a case, its schedule against what was
paid, a manager's approval (or refusal) of a long one, ending one or reviewing a breach, and
the lists of arrangements waiting for approval, breached and active.

Who may do what: seeing arrangements needs rents.view_arrangement with the case
(rents.view_caseevent); agreeing and ending need rents.work_arrears (Income Officers and Team
Leaders); approving and refusing need rents.approve_arrangement (Team Leaders). An arrangement
on a case off the user's patches is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from housing.access import require_perm
from rents import arrangements, casework
from rents.arrangement_forms import ArrangementForm, ReasonForm
from rents.arrangements import APPROVE_PERM, LIST_STATUSES, ArrangementStatus
from rents.arrears import policy_in_force
from rents.casework import DIARY_PERM, VIEW_PERM, WORK_PERM

READ_PERM = "rents.view_arrangement"
LIST_PAGE = 50


def _read(request, pk: int):
    require_perm(request.user, DIARY_PERM)
    require_perm(request.user, READ_PERM)
    return arrangements.get_arrangement_for_user(request.user, pk)


@require_http_methods(["GET", "POST"])
def arrangement_new(request, pk: int):
    require_perm(request.user, DIARY_PERM)
    account = casework.get_case_account(request.user, pk, request=request)
    require_perm(request.user, WORK_PERM)
    today = timezone.localdate()
    form = ArrangementForm(request.POST if request.method == "POST" else None, today=today)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            arrangement = arrangements.make_arrangement(
                account_id=account.pk, amount_pence=data["amount"],
                frequency=data["frequency"], start_date=data["start_date"],
                agreed_on=data["agreed_on"], agreement=data["agreement"], by=request.user,
                at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            last = arrangements.clears_on(arrangement.start_date, arrangement.frequency,
                                          arrangement.debt_pence, arrangement.amount_pence)
            if arrangement.status == ArrangementStatus.PENDING:
                messages.success(request, f"Arrangement recorded. It clears the debt by "
                                          f"{last:%-d %B %Y}, longer than the policy allows, so "
                                          f"it waits for a manager's approval.")
            else:
                messages.success(request, f"Arrangement agreed. It clears the debt by "
                                          f"{last:%-d %B %Y}.")
            return redirect("rents:arrangement", pk=arrangement.pk)
    policy = policy_in_force(today)
    live = account.arrangements.filter(status__in=arrangements.LIVE).first()
    return render(request, "rents/arrears/arrangement_form.html", {
        "account": account, "tenancy": account.tenancy, "form": form,
        "heading": "Agree a payment arrangement",
        "figures": casework.case_figures([account], on=today)[account.pk],
        "max_weeks": policy.arrangement_max_weeks if policy else arrangements.DEFAULT_MAX_WEEKS,
        "live": live,
    })


@require_GET
def arrangement_detail(request, pk: int):
    arrangement = _read(request, pk)
    today = timezone.localdate()
    account = arrangement.account
    user = request.user
    policy = policy_in_force(today)
    max_weeks = policy.arrangement_max_weeks if policy else arrangements.DEFAULT_MAX_WEEKS
    plan = arrangements.schedule(arrangement, today=today)
    shown, left_out = plan.shown()
    return render(request, "rents/arrears/arrangement_detail.html", {
        "arrangement": arrangement, "account": account, "tenancy": account.tenancy,
        "max_weeks": max_weeks,
        "limit_date": arrangements.term_limit(arrangement.start_date, max_weeks),
        "schedule": plan,
        "shown": shown,
        "left_out": left_out,
        "today": today,
        "is_live": arrangement.status in arrangements.LIVE,
        "can_work": user.has_perm(WORK_PERM),
        "can_approve": (user.has_perm(APPROVE_PERM)
                        and arrangement.status == ArrangementStatus.PENDING),
        "own": arrangement.created_by_id == user.pk,
    })


@require_POST
def arrangement_approve(request, pk: int):
    arrangement = _read(request, pk)
    require_perm(request.user, APPROVE_PERM)
    try:
        arrangements.approve_arrangement(arrangement_id=arrangement.pk, by=request.user,
                                         at=timezone.now())
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, "Arrangement approved. It now holds back recovery while it "
                                  "is kept.")
    return redirect("rents:arrangement", pk=arrangement.pk)


def _reason_page(request, arrangement, *, service, perm: str, heading: str, button: str,
                 label: str, missing: str, help_text: str, done: str, intro: str):
    require_perm(request.user, perm)
    form = ReasonForm(request.POST if request.method == "POST" else None, label=label,
                      missing=missing, help_text=help_text)
    if request.method == "POST" and form.is_valid():
        try:
            service(arrangement_id=arrangement.pk, reason=form.cleaned_data["reason"],
                    by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, done)
            return redirect("rents:arrears-case", pk=arrangement.account_id)
    return render(request, "rents/arrears/arrangement_reason.html", {
        "arrangement": arrangement, "account": arrangement.account,
        "tenancy": arrangement.account.tenancy, "form": form, "heading": heading,
        "button": button, "intro": intro})


@require_http_methods(["GET", "POST"])
def arrangement_refuse(request, pk: int):
    arrangement = _read(request, pk)
    return _reason_page(
        request, arrangement, service=arrangements.reject_arrangement, perm=APPROVE_PERM,
        heading="Do not approve the arrangement", button="Do not approve it",
        label="Why is it not approved?",
        missing="Give the reason for not approving it: the officer tells the tenant.",
        help_text="For example: the tenant can afford more; agree a shorter term.",
        done="Arrangement not approved. Recovery goes on.",
        intro="The officer who agreed it sees your reason in the case diary, and recovery "
              "goes on.")


@require_http_methods(["GET", "POST"])
def arrangement_end(request, pk: int):
    arrangement = _read(request, pk)
    breached = arrangement.status == ArrangementStatus.BREACHED
    return _reason_page(
        request, arrangement, service=arrangements.end_arrangement, perm=WORK_PERM,
        heading="Review the breached arrangement" if breached else "End the arrangement",
        button="End the arrangement",
        label="What did you decide, and why?" if breached else "Why is it ending?",
        missing="Give the reason for ending the arrangement.",
        help_text="For example: no payments for 4 weeks and no contact; recovery goes on.",
        done="Arrangement ended. Recovery goes on from the next arrears run.",
        intro=("It fell behind its schedule by more than the policy allows. End it and "
               "recovery goes on, or agree a new arrangement with the tenant instead, which "
               "replaces it." if breached else
               "Once it ends, the arrears run recommends the next step again."))


@require_GET
def arrangement_list(request):
    require_perm(request.user, VIEW_PERM)
    require_perm(request.user, READ_PERM)
    status = request.GET.get("status", "pending")
    if status not in LIST_STATUSES:
        status = "pending"
    rows = arrangements.arrangement_list(request.user, status=status)
    counts = arrangements.counts_for(request.user)
    page = Paginator(rows, LIST_PAGE).get_page(request.GET.get("page"))
    for item in page:
        item.clears_on = arrangements.clears_on(item.start_date, item.frequency,
                                                item.debt_pence, item.amount_pence)
    return render(request, "rents/arrears/arrangement_list.html", {
        "page_obj": page, "status": status, "label": LIST_STATUSES[status][0],
        "tabs": [(key, label, counts[key]) for key, (label, _s) in LIST_STATUSES.items()],
    })


urlpatterns = [
    path("arrears/arrangements/", arrangement_list, name="arrangements"),
    path("arrears/accounts/<int:pk>/arrangements/new/", arrangement_new,
         name="arrangement-new"),
    path("arrears/arrangements/<int:pk>/", arrangement_detail, name="arrangement"),
    path("arrears/arrangements/<int:pk>/approve/", arrangement_approve,
         name="arrangement-approve"),
    path("arrears/arrangements/<int:pk>/refuse/", arrangement_refuse,
         name="arrangement-refuse"),
    path("arrears/arrangements/<int:pk>/end/", arrangement_end, name="arrangement-end"),
]
