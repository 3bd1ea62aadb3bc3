"""Screens for the NOSP and the court stages of an arrears case: one form page a step, each
calling one service in rents.legal, then back to the case page.

Who may do what: as for the rest of the case (rents.arrears_views). Opening a form or sending
one needs rents.view_caseevent (else 403), a case on the user's patches (else 404) and
rents.work_arrears (else 403): Housing Officers see the legal section on the case page but
record nothing.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from housing.access import require_perm
from rents import casework, legal
from rents.casework import DIARY_PERM, WORK_PERM
from rents.legal_forms import (
    CloseCourtCaseForm,
    CorrectNoticeForm,
    CourtApplicationForm,
    EvictionForm,
    HearingForm,
    NoticeForm,
    OutcomeForm,
    WarrantForm,
)


def _day(value) -> str:
    return f"{value:%-d %B %Y}"


def _work_account(request, pk: int):
    """The account when the user may see its case (else 403 / 404) and act on it (else 403)."""
    require_perm(request.user, DIARY_PERM)
    account = casework.get_case_account(request.user, pk, request=request)
    require_perm(request.user, WORK_PERM)
    return account


def _work_court_case(request, pk: int):
    """The court case and its account, checked as _work_account."""
    require_perm(request.user, DIARY_PERM)
    court_case = legal.get_court_case_for_user(request.user, pk)
    require_perm(request.user, WORK_PERM)
    account = casework.get_case_account(request.user, court_case.account_id, request=request)
    return court_case, account


def _page(request, account, form, *, template: str, heading: str, **context):
    return render(request, template, {"account": account, "tenancy": account.tenancy,
                                      "form": form, "heading": heading, **context})


def _data(request):
    return request.POST if request.method == "POST" else None


def _done(request, account, message: str):
    messages.success(request, message)
    return redirect("rents:arrears-case", pk=account.pk)


# --- The notice -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def notice_new(request, pk: int):
    account = _work_account(request, pk)
    today = timezone.localdate()
    form = NoticeForm(_data(request), today=today)
    if request.method == "POST" and form.is_valid():
        try:
            notice = legal.record_notice(
                account_id=account.pk, served_on=form.cleaned_data["served_on"],
                how=form.cleaned_data["how"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, f"NOSP recorded: served on {_day(notice.served_on)}, "
                                           f"it expires on {_day(notice.expires_on)}.")
    return _page(request, account, form, template="rents/arrears/legal/notice_form.html",
                 heading="Record a NOSP served", notice_days=legal.NOTICE_DAYS)


@require_http_methods(["GET", "POST"])
def notice_correct(request, pk: int, notice_pk: int):
    account = _work_account(request, pk)
    notice = legal.get_notice_for_account(account, notice_pk)
    form = CorrectNoticeForm(_data(request), initial={"served_on": notice.served_on})
    if request.method == "POST" and form.is_valid():
        try:
            notice = legal.correct_notice_served_date(
                notice_id=notice.pk, served_on=form.cleaned_data["served_on"],
                reason=form.cleaned_data["reason"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, f"Served date corrected to "
                                           f"{_day(notice.served_on)}: the notice now expires "
                                           f"on {_day(notice.expires_on)}.")
    return _page(request, account, form, template="rents/arrears/legal/notice_correct.html",
                 heading="Correct the date the NOSP was served", notice=notice)


# --- The court --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def court_application(request, pk: int):
    account = _work_account(request, pk)
    today = timezone.localdate()
    form = CourtApplicationForm(_data(request), today=today)
    if request.method == "POST" and form.is_valid():
        try:
            court_case = legal.apply_to_court(
                account_id=account.pk, applied_on=form.cleaned_data["applied_on"],
                note=form.cleaned_data["note"], by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, f"Application to the court recorded, made on "
                                           f"{_day(court_case.applied_on)}.")
    return _page(request, account, form, template="rents/arrears/legal/court_application.html",
                 heading="Record an application to the court",
                 notice=legal.notice_in_force(account.pk, on=today),
                 notice_days=legal.NOTICE_DAYS)


def _court_page(request, court_case, account, form, *, template: str, heading: str,
                **context):
    return _page(request, account, form, template=template, heading=heading,
                 court_case=court_case, **context)


@require_http_methods(["GET", "POST"])
def hearing(request, pk: int):
    court_case, account = _work_court_case(request, pk)
    adjourned = court_case.outcome == legal.Outcome.ADJOURNED
    initial = {} if adjourned else {"hearing_date": court_case.hearing_date}
    form = HearingForm(_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            court_case = legal.set_hearing_date(
                court_case_id=court_case.pk, hearing_date=form.cleaned_data["hearing_date"],
                by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, f"Hearing date recorded: "
                                           f"{_day(court_case.hearing_date)}.")
    if adjourned:
        heading = "Set the next hearing date"
    elif court_case.hearing_date:
        heading = "Change the hearing date"
    else:
        heading = "Record the hearing date"
    return _court_page(request, court_case, account, form, heading=heading,
                       template="rents/arrears/legal/hearing.html", adjourned=adjourned)


@require_http_methods(["GET", "POST"])
def outcome(request, pk: int):
    court_case, account = _work_court_case(request, pk)
    today = timezone.localdate()
    # The outcome is usually given on the day of the hearing: offered as its date.
    form = OutcomeForm(_data(request), today=min(court_case.hearing_date or today, today))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            court_case = legal.record_outcome(
                court_case_id=court_case.pk, outcome=data["outcome"],
                outcome_date=data["outcome_date"], order_terms=data["order_terms"],
                next_hearing_date=data["next_hearing_date"], by=request.user,
                at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, "Outcome of the hearing recorded.")
    return _court_page(request, court_case, account, form,
                       heading="Record the outcome of the hearing",
                       template="rents/arrears/legal/outcome.html")


@require_http_methods(["GET", "POST"])
def warrant(request, pk: int):
    court_case, account = _work_court_case(request, pk)
    form = WarrantForm(_data(request), today=timezone.localdate())
    if request.method == "POST" and form.is_valid():
        try:
            court_case = legal.record_warrant(
                court_case_id=court_case.pk, applied_on=form.cleaned_data["applied_on"],
                by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, f"Warrant application recorded, made on "
                                           f"{_day(court_case.warrant_applied_on)}.")
    return _court_page(request, court_case, account, form,
                       heading="Record a warrant application",
                       template="rents/arrears/legal/warrant.html")


@require_http_methods(["GET", "POST"])
def eviction(request, pk: int):
    court_case, account = _work_court_case(request, pk)
    form = EvictionForm(_data(request), initial={"eviction_date": court_case.eviction_date})
    if request.method == "POST" and form.is_valid():
        try:
            court_case = legal.set_eviction_date(
                court_case_id=court_case.pk, eviction_date=form.cleaned_data["eviction_date"],
                by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, f"Eviction date recorded: "
                                           f"{_day(court_case.eviction_date)}.")
    heading = ("Change the eviction date" if court_case.eviction_date
               else "Record the eviction date")
    return _court_page(request, court_case, account, form, heading=heading,
                       template="rents/arrears/legal/eviction.html")


@require_http_methods(["GET", "POST"])
def close(request, pk: int):
    court_case, account = _work_court_case(request, pk)
    form = CloseCourtCaseForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            legal.close_court_case(court_case_id=court_case.pk,
                                   reason=form.cleaned_data["reason"], by=request.user,
                                   at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return _done(request, account, "Court case closed.")
    return _court_page(request, court_case, account, form, heading="Close the court case",
                       template="rents/arrears/legal/close.html")


urlpatterns = [
    path("arrears/accounts/<int:pk>/legal/notices/new/", notice_new, name="legal-notice-new"),
    path("arrears/accounts/<int:pk>/legal/notices/<int:notice_pk>/served-date/",
         notice_correct, name="legal-notice-correct"),
    path("arrears/accounts/<int:pk>/legal/court-application/", court_application,
         name="legal-court-application"),
    path("arrears/court-cases/<int:pk>/hearing/", hearing, name="legal-hearing"),
    path("arrears/court-cases/<int:pk>/outcome/", outcome, name="legal-outcome"),
    path("arrears/court-cases/<int:pk>/warrant/", warrant, name="legal-warrant"),
    path("arrears/court-cases/<int:pk>/eviction/", eviction, name="legal-eviction"),
    path("arrears/court-cases/<int:pk>/close/", close, name="legal-close"),
]
