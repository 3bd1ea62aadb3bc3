"""Rent setting screens: the reviews and policies, proposing a review, the review's preview
(with its CSV), approving or rejecting it, and starting the rent-change letters."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from housing.access import get_object_for_user, require_perm
from housing.money import pence_to_pounds
from rents.models import RentPolicy, RentReview, RentReviewLine, RentWeek, RentYear
from rents.setting import (
    SELF_APPROVAL,
    SELF_REJECTION,
    approve_rent_review,
    flagged_q,
    letter_key,
    policy_rows,
    propose_rent_review,
    reject_rent_review,
    review_figures,
    start_rent_change_letters,
    with_weekly_rents_52,
    year_dates,
)
from rents.setting_forms import ApproveForm, PreviewFilterForm, ProposeForm, RejectForm
from tenancies.models import Letter

VIEW = "rents.view_rentreview"
PROPOSE = "rents.propose_rent_review"
APPROVE = "rents.approve_rent_review"
PER_PAGE = 100
Status = RentReview.Status


def _reviews():
    return RentReview.objects.select_related("rent_year", "proposed_by", "decided_by", "job")


def _get_review(request, pk) -> RentReview:
    return get_object_for_user(request.user, _reviews(), pk=pk, perm=VIEW, request=request)


def _open_years(today):
    """Years that may be reviewed: a policy set, not yet begun, and no review of it waiting
    or approved (the service refuses those too, with the reason)."""
    decided_or_waiting = RentReview.objects.filter(
        rent_year=OuterRef("pk"),
        status__in=[Status.PREPARING, Status.PROPOSED, Status.APPROVED])
    started = RentWeek.objects.filter(rent_year=OuterRef("pk"), start_date__lte=today)
    return (RentYear.objects.filter(policy__isnull=False).filter(~Exists(decided_or_waiting))
            .filter(~Exists(started)).select_related("policy").order_by("start_date"))


def setting_index(request):
    require_perm(request.user, VIEW)
    next_year = _open_years(timezone.localdate()).first()
    return render(request, "rents/reviews/index.html", {
        "reviews": _reviews()[:50],
        "policies": [(policy, policy_rows(policy))
                     for policy in RentPolicy.objects.select_related("rent_year")],
        "next_year": next_year,
        "can_propose": request.user.has_perm(PROPOSE),
    })


@require_http_methods(["GET", "POST"])
def review_propose(request):
    require_perm(request.user, PROPOSE)
    years = _open_years(timezone.localdate())
    initial = {"rent_year": request.GET.get("year")} if request.GET.get("year") else {}
    if not initial and years.count() == 1:
        initial = {"rent_year": years.get().pk}  # the only year there is to choose
    form = ProposeForm(request.POST if request.method == "POST" else None, years=years,
                       initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            review = propose_rent_review(rent_year_id=form.cleaned_data["rent_year"].pk,
                                         by=request.user, at=timezone.now())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Rent review for {review.rent_year} proposed. A "
                                      f"different person must approve it.")
            return redirect("job-detail", pk=review.job_id)
    return render(request, "rents/reviews/propose.html", {"form": form,
                                                          "has_years": years.exists()})


def _review_page(request, review: RentReview, *, approve_form=None):
    user = request.user
    filter_form = PreviewFilterForm(request.GET or None)
    flagged_only = filter_form.is_valid() and filter_form.cleaned_data["flagged"]
    lines = review.lines.select_related("property").annotate(
        change_pence=F("new_pence") - F("old_pence")).order_by("property_id")
    if flagged_only:
        lines = lines.filter(flagged_q())
    page = Paginator(lines, PER_PAGE).get_page(request.GET.get("page"))
    policy = RentPolicy.objects.filter(rent_year=review.rent_year).first()
    try:
        dates = year_dates(review.rent_year)
    except ValidationError:
        dates = None
    is_maker = review.proposed_by_id == user.pk
    result = review.job.result_data if review.job else {}
    can_approve = user.has_perm(APPROVE)
    return render(request, "rents/reviews/detail.html", {
        "review": review,
        "policy_rows": policy_rows(policy) if policy else [],
        "figures": review_figures(review, dates),
        "page_lines": with_weekly_rents_52(page, dates),
        "dates": dates,
        "exception_count": result.get("exception_count", 0),
        "exceptions": result.get("exceptions", []),
        "page_obj": page,
        "filter_form": filter_form,
        "flagged_only": flagged_only,
        "is_maker": is_maker,
        "can_decide": can_approve and not is_maker and review.status == Status.PROPOSED,
        "can_reject": can_approve and not is_maker and review.status in (Status.PREPARING,
                                                                          Status.PROPOSED),
        "maker_waiting": is_maker and review.status == Status.PROPOSED,
        "can_see_job": review.job_id is not None and (
            review.job.started_by_id == user.pk or user.has_perm("housing.view_all_jobs")),
        "self_approval": SELF_APPROVAL,
        "approve_form": approve_form or ApproveForm(),
        "can_produce_letters": review.status == Status.APPROVED and user.has_perm(PROPOSE),
        "letters_made": Letter.objects.filter(kind=Letter.Kind.RENT_CHANGE,
                                              key=letter_key(review)).count()
        if review.status == Status.APPROVED else 0,
    })


def review_detail(request, pk: int):
    return _review_page(request, _get_review(request, pk))


def _pounds(pence: int | None) -> str:
    return "" if pence is None else str(pence_to_pounds(pence))


class _Echo:
    def write(self, value):
        return value


def review_lines_csv(request, pk: int):
    """Every line of the review, for a spreadsheet: money in pounds to the penny."""
    review = _get_review(request, pk)
    rules = dict(RentReviewLine.Rule.choices)
    rows = review.lines.order_by("property_id").values_list(
        "property__uprn", "property__address_line_1", "property__postcode", "old_pence",
        "new_pence", "old_formula_pence", "new_formula_pence", "rule", "above_limit", "falls",
        "large_change")

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(["UPRN", "Address", "Postcode", "Old weekly charge (£)",
                               "New weekly charge (£)", "Change (£)",
                               "Old formula rent, 52-week basis (£)",
                               "New formula rent, 52-week basis (£)", "Rule",
                               "Above the limit", "Falls", "Large change"])
        for (uprn, address, postcode, old, new, old_formula, new_formula, rule, above, falls,
             large) in rows.iterator(chunk_size=2000):
            yield writer.writerow([
                uprn, address, postcode, _pounds(old), _pounds(new), _pounds(new - old),
                _pounds(old_formula), _pounds(new_formula), rules.get(rule, rule),
                "yes" if above else "no", "yes" if falls else "no", "yes" if large else "no"])

    name = f"rent-review-{review.rent_year.label.replace('/', '-')}-{review.pk}.csv"
    return StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})


@require_POST
def review_approve(request, pk: int):
    require_perm(request.user, APPROVE)
    review = _get_review(request, pk)
    form = ApproveForm(request.POST)
    if form.is_valid():
        try:
            review = approve_rent_review(review_id=review.pk, by=request.user,
                                         at=timezone.now(), note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            figures = review_figures(review)
            monday = year_dates(review.rent_year).first_monday
            messages.success(request, f"Rent review for {review.rent_year} approved: the new "
                                      f"rents of {figures.homes:,} homes take effect from "
                                      f"Monday {monday:%-d %B %Y}.")
            return redirect("rents:review", pk=review.pk)
    return _review_page(request, _get_review(request, pk), approve_form=form)


@require_http_methods(["GET", "POST"])
def review_reject(request, pk: int):
    require_perm(request.user, APPROVE)
    review = _get_review(request, pk)
    form = RejectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reject_rent_review(review_id=review.pk, by=request.user, at=timezone.now(),
                               note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Rent review for {review.rent_year} rejected. Nothing "
                                      f"has changed.")
            return redirect("rents:review", pk=review.pk)
    return render(request, "rents/reviews/reject.html", {
        "review": review, "form": form,
        "is_maker": review.proposed_by_id == request.user.pk,
        "self_rejection": SELF_REJECTION,
        "can_reject": review.status in (Status.PREPARING, Status.PROPOSED),
    })


@require_POST
def review_letters(request, pk: int):
    require_perm(request.user, PROPOSE)
    review = _get_review(request, pk)
    try:
        job = start_rent_change_letters(review_id=review.pk, by=request.user, at=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("rents:review", pk=review.pk)
    return redirect("job-detail", pk=job.pk)

