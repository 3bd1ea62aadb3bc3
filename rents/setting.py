"""Annual rent setting: proposing a rent review from the year's policy, approving it (a different
person), applying the new charges, and rent-change letters (a background job).

The flow (RentReview.Status):

    propose_rent_review      -> PREPARING, and a background job works out every home's line
    (the job) prepare_review_lines -> PROPOSED: the preview is ready for a checker
    approve_rent_review      -> APPROVED: the new net rents are charges from the year's first
                                Monday, and the year's formula rents are written
    reject_rent_review       -> REJECTED, with the reason

One person proposes and a different person decides: the services refuse self-approval with a
message, and the database refuses it too (RentReview's `review_not_decided_by_its_maker`).

Only the net rent (charge type "rent") changes. Service charges are set separately and a review
leaves them as they are.

The 52-week basis. A net rent Charge is the weekly CHARGE: what is debited in each charged
(not rent-free) week. The Rent Standard's limit, the convergence uplift and formula rent are
about the weekly RENT on a 52-week basis; a year's rent is that x its rent weeks (52 or 53),
collected over its charged weeks. FormulaRent rows hold the formula rent on the 52-week basis
(never a charge). So a review converts each home's old charge with the rent weeks of the year
before the review's year, applies the rules to the weekly rent, and converts the new rent to
a charge with the review's year's rent weeks, rounding once (rents.calculations.
new_weekly_rent). Both years must have their rent weeks set up; a change to either year's
number of weeks or rent-free weeks after the proposal stops the approval.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery, Sum
from django.utils import timezone

from housing.documents import render_pdf
from housing.jobs import register, start_job
from housing.models import BackgroundJob, User
from housing.money import format_pence
from rents.calculations import new_weekly_rent, rent_factor, weekly_rent_52
from rents.models import (
    Charge,
    ChargeType,
    RentAccount,
    RentPolicy,
    RentReview,
    RentReviewLine,
    RentWeek,
    RentYear,
    Transaction,
)
from tenancies.models import Letter, Tenancy, TenancyMember

Status = RentReview.Status
RENT_CODE = "rent"
LINE_BATCH = 1000  # review lines a statement (and a step of the progress bar)
LETTER_BATCH = 25  # letters rendered between progress updates
EXCEPTIONS_KEPT = 500  # exceptions listed on the review page (all are counted)

# The allowed moves; each has its own service below.
TRANSITIONS = {
    Status.PREPARING: {Status.PROPOSED, Status.REJECTED},
    Status.PROPOSED: {Status.APPROVED, Status.REJECTED},
}

SELF_APPROVAL = "You proposed this review; a different person must approve it."
SELF_REJECTION = "You proposed this review; a different person must reject it."


def format_percent(value: Decimal) -> str:
    """3.80 -> "3.8%", 1.00 -> "1.0%", 2.75 -> "2.75%", -2.00 -> "−2.0%"."""
    text = f"{abs(Decimal(value)):.2f}"
    if text.endswith("0"):
        text = text[:-1]
    return f"{'−' if value < 0 else ''}{text}%"


# --- Dates ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class YearDates:
    """The new rents take effect from the year's first rent week (a Monday); the old rent is
    the one in force the day before (the Sunday). `before` is the year before, whose rent
    weeks the old charges were set for (None when it is not set up)."""

    first_monday: date
    sunday_before: date
    weeks: int
    rent_free: list[date]
    label: str = ""
    before: "YearDates | None" = None

    @property
    def charged_weeks(self) -> int:
        return self.weeks - len(self.rent_free)

    @property
    def basis(self) -> tuple[int, int]:
        """(rent weeks, charged weeks): what new_weekly_rent converts with."""
        return self.weeks, self.charged_weeks


def _dates(label: str, weeks: list[tuple[date, bool]]) -> YearDates:
    first = weeks[0][0]
    return YearDates(first_monday=first, sunday_before=first - timedelta(days=1),
                     weeks=len(weeks), rent_free=[day for day, free in weeks if free],
                     label=label)


def year_dates(year: RentYear) -> YearDates:
    """The year's rent weeks, with the year before's when it has them (see rent_basis), in
    one query."""
    earlier = RentYear.objects.filter(start_date__lt=year.start_date).order_by(
        "-start_date").values("pk")[:1]
    weeks: dict[int, list[tuple[date, bool]]] = {}
    labels = {}
    for year_id, label, start, free in RentWeek.objects.filter(
            Q(rent_year=year) | Q(rent_year__in=Subquery(earlier))).order_by(
            "start_date").values_list("rent_year_id", "rent_year__label", "start_date",
                                      "rent_free"):
        weeks.setdefault(year_id, []).append((start, free))
        labels[year_id] = label
    if year.pk not in weeks:
        raise ValidationError(
            f"The {year} rent year has no rent weeks. An administrator sets them up in the "
            f"admin (Rent years) first.")
    before = next((_dates(labels[pk], rows) for pk, rows in weeks.items() if pk != year.pk),
                  None)
    return replace(_dates(year.label, weeks[year.pk]), before=before)


def rent_basis(year: RentYear) -> YearDates:
    """year_dates, refused unless both the year and the year before have rent weeks and at
    least one charged week each: the old charges are converted to the 52-week basis with the
    year before's weeks, and the new rents to charges with the year's."""
    dates = year_dates(year)
    if dates.before is None:
        earlier = previous_year(year)
        if earlier is None:
            raise ValidationError(
                f"There is no rent year before {year}. Its rent weeks are needed to turn the "
                f"old rents into weekly rents over 52 weeks: an administrator sets it up in "
                f"the admin (Rent years) first.")
        raise ValidationError(
            f"The {earlier} rent year (the year before {year}) has no rent weeks. They are "
            f"needed to turn the old rents into weekly rents over 52 weeks: an administrator "
            f"sets them up in the admin (Rent years) first.")
    for each in (dates.before, dates):
        if each.charged_weeks < 1:
            raise ValidationError(
                f"Every rent week of {each.label} is rent-free, so no rent could be charged "
                f"in it. An administrator corrects its rent-free weeks in the admin (Rent "
                f"years) first.")
    return dates


def basis_key(dates: YearDates) -> list[int]:
    """The rent weeks a review's rents were worked out with: [weeks, charged weeks] of the
    year before, then of the year. Kept with the preview; the approval checks it still
    holds."""
    return [*dates.before.basis, *dates.basis]


def describe_basis(key: list[int]) -> str:
    """[52, 50, 52, 48] -> "52 weeks, 50 charged, then 52 weeks, 48 charged"."""
    old_weeks, old_charged, weeks, charged = key
    return (f"{old_weeks} weeks, {old_charged} charged, then {weeks} weeks, {charged} "
            f"charged")


def previous_year(year: RentYear) -> RentYear | None:
    return RentYear.objects.filter(start_date__lt=year.start_date).order_by(
        "-start_date").first()


def _rent_type() -> ChargeType:
    return ChargeType.objects.get(code=RENT_CODE)


def _move(review: RentReview, to: str) -> None:
    if to not in TRANSITIONS.get(review.status, set()):
        raise ValidationError(
            f"This review is {review.get_status_display().lower()}, so it cannot be "
            f"{Status(to).label.lower()}.")
    review.status = to


def _refuse_if_too_late(year: RentYear, dates: YearDates, *, at: datetime) -> None:
    """New rents take effect from the year's first Monday; once that week has begun or its
    rent has been run, changing them would leave charges already posted at the old rent."""
    if timezone.localdate(at) >= dates.first_monday:
        raise ValidationError(
            f"The {year} rent year began on Monday {dates.first_monday:%-d %B %Y}, so its rents "
            f"can no longer be set by a review.")
    if Transaction.objects.filter(rent_week__rent_year=year, kind=Transaction.Kind.CHARGE,
                                  source=Transaction.Source.RENT_RUN).exists():
        raise ValidationError(
            f"The rent for {year} has already been run for at least one week, so its rents can "
            f"no longer be set by a review.")


# --- Proposing -----------------------------------------------------------------------------

@transaction.atomic
def propose_rent_review(*, rent_year_id: int, by: User, at: datetime) -> RentReview:
    """Start a rent review for the year: the review (PREPARING) and the background job that
    works out every home's new rent. Refused when the year has no policy, when it or the year
    before has no rent weeks (rent_basis), when its rents are already approved, or when a
    review of it is already waiting."""
    # The lock on the year makes two people proposing at once queue: the second sees the
    # first's review and is refused.
    year = RentYear.objects.select_for_update().get(pk=rent_year_id)
    if not RentPolicy.objects.filter(rent_year=year).exists():
        raise ValidationError(
            f"There is no rent policy for {year} yet. An administrator adds it in the admin "
            f"(Rent policies): CPI, the limit and the convergence uplift.")
    dates = rent_basis(year)
    _refuse_if_too_late(year, dates, at=at)
    approved = RentReview.objects.filter(rent_year=year, status=Status.APPROVED).select_related(
        "decided_by").first()
    if approved:
        raise ValidationError(
            f"The rent review for {year} was approved on "
            f"{timezone.localtime(approved.decided_at):%-d %B %Y} by "
            f"{approved.decided_by.display_name}: its rents are set.")
    waiting = RentReview.objects.filter(
        rent_year=year, status__in=[Status.PREPARING, Status.PROPOSED]).select_related(
        "proposed_by").first()
    if waiting:
        raise ValidationError(
            f"A rent review for {year} is already waiting: proposed by "
            f"{waiting.proposed_by.display_name} on "
            f"{timezone.localtime(waiting.proposed_at):%-d %B %Y}. It must be approved or "
            f"rejected before another is proposed.")
    review = RentReview.objects.create(rent_year=year, status=Status.PREPARING, proposed_by=by,
                                       proposed_at=at)
    review.job = start_job(kind="rent_review", parameters={"review_id": review.pk}, by=by,
                           at=at)
    review.save(update_fields=["job"])
    return review


# Every home that is let or void (leasehold and sold homes pay no net rent), with its net
# rent in force on the Sunday before the new year, whether a later net rent is already set,
# and its formula rent for the year before (52-week basis). One read; the lines are then
# written in batches.
_HOMES_SQL = """
SELECT p.id, p.address_line_1, p.postcode, c.weekly_pence, c.end_date, f.weekly_pence,
       (SELECT min(n.start_date) FROM rents_charge n
        WHERE n.property_id = p.id AND n.charge_type_id = %(rent)s
          AND n.start_date > %(sunday)s) AS later
FROM housing_property p
LEFT JOIN rents_charge c
  ON c.property_id = p.id AND c.charge_type_id = %(rent)s AND c.start_date <= %(sunday)s
 AND (c.end_date IS NULL OR c.end_date >= %(sunday)s)
LEFT JOIN rents_formularent f ON f.property_id = p.id AND f.rent_year_id = %(previous)s
WHERE p.kind = 'dwelling' AND p.tenure IN ('rented', 'void')
ORDER BY p.id
"""


@dataclass
class Preview:
    homes: int = 0
    flagged: int = 0
    exception_count: int = 0
    exceptions: list[dict] = field(default_factory=list)  # the first EXCEPTIONS_KEPT
    basis: list[int] = field(default_factory=list)  # basis_key: the weeks the rents used


def _exception(sunday: date, weekly: int | None, end: date | None, later: date | None):
    if weekly is None:
        return f"No net rent charge on {sunday:%-d %B %Y}"
    if later is not None:
        return f"A new net rent is already set from {later:%-d %B %Y}"
    if end is not None and end <= sunday:
        return f"Its net rent ends on {end:%-d %B %Y}"
    if weekly == 0:
        return "Its net rent is £0.00"
    return ""


def prepare_review_lines(*, review_id: int, progress=None) -> Preview:
    """Work out every home's new rent (rents.calculations.new_weekly_rent) and write the
    review's lines in batches, then mark the review PROPOSED. Each home's old charge is
    converted with the rent weeks of the year before and its new charge with the year's (the
    52-week basis: see the module's docstring); its formula rent is the year before's, on the
    52-week basis. Homes with no net rent to raise are the exceptions. A rerun (after a lost
    worker) skips the lines already written: the unique (review, home) constraint."""
    review = RentReview.objects.select_related("rent_year").get(pk=review_id)
    year = review.rent_year
    policy = RentPolicy.objects.get(rent_year=year)
    dates = rent_basis(year)
    before = previous_year(year)
    (old_weeks, old_charged), (new_weeks, new_charged) = dates.before.basis, dates.basis
    with connection.cursor() as cursor:
        cursor.execute(_HOMES_SQL, {"rent": _rent_type().pk, "sunday": dates.sunday_before,
                                    "previous": before.pk})
        rows = cursor.fetchall()

    preview = Preview(basis=basis_key(dates))
    lines = []
    for home_id, address, postcode, weekly, end, formula, later in rows:
        reason = _exception(dates.sunday_before, weekly, end, later)
        if reason:
            preview.exception_count += 1
            if len(preview.exceptions) < EXCEPTIONS_KEPT:
                preview.exceptions.append({"property_id": home_id,
                                           "address": f"{address}, {postcode}",
                                           "reason": reason})
            continue
        rent = new_weekly_rent(
            old_pence=weekly, old_formula_pence=formula, cpi_percent=policy.cpi_percent,
            limit_margin_percent=policy.limit_margin_percent,
            convergence_pence=policy.convergence_pence,
            outlier_change_pence=policy.outlier_change_pence, old_weeks=old_weeks,
            old_charged_weeks=old_charged, new_weeks=new_weeks, new_charged_weeks=new_charged)
        lines.append(RentReviewLine(
            review_id=review.pk, property_id=home_id, old_pence=weekly, new_pence=rent.new_pence,
            old_formula_pence=formula, new_formula_pence=rent.new_formula_pence, rule=rent.rule,
            above_limit=rent.above_limit, falls=rent.falls, large_change=rent.large_change))
        preview.flagged += rent.flagged
    preview.homes = len(lines)

    batches = [lines[start:start + LINE_BATCH] for start in range(0, len(lines), LINE_BATCH)]
    if progress:
        progress.set_total(max(1, len(batches)))
    for done, batch in enumerate(batches, start=1):
        with transaction.atomic():
            RentReviewLine.objects.bulk_create(batch, ignore_conflicts=True)
        if progress:
            progress.set_done(done)
    RentReview.objects.filter(pk=review.pk, status=Status.PREPARING).update(
        status=Status.PROPOSED)
    return preview


@register("rent_review", title="Rent review preview", perm="rents.propose_rent_review",
          result_template="rents/reviews/_preview_result.html")
def run_rent_review(job: BackgroundJob, progress) -> str:
    review_id = job.parameters["review_id"]
    preview = prepare_review_lines(review_id=review_id, progress=progress)
    # Saved here: execute_job reloads the job after the runner.
    BackgroundJob.objects.filter(pk=job.pk).update(result_data={
        "review_id": review_id, "homes": preview.homes, "flagged": preview.flagged,
        "exception_count": preview.exception_count, "exceptions": preview.exceptions,
        "basis": preview.basis,
    })
    return (f"{preview.homes:,} homes, {preview.flagged:,} flagged, "
            f"{preview.exception_count:,} not included.")


# --- Deciding ------------------------------------------------------------------------------

def _lock_review(review_id: int) -> RentReview:
    return RentReview.objects.select_for_update(of=("self",)).select_related("rent_year").get(
        pk=review_id)


def _stale_addresses(stale: list[int]) -> str:
    from housing.models import Property

    homes = Property.objects.filter(pk__in=stale[:5]).order_by("pk")
    listed = "; ".join(home.short_address for home in homes)
    more = f" and {len(stale) - 5:,} more" if len(stale) > 5 else ""
    return f"{listed}{more}"


def _copy_to_history(cursor, charge_ids: list[int], *, history_type: str, by: User,
                     at: datetime, reason: str) -> None:
    """Write the charges' history rows in one INSERT ... SELECT: the same rows
    django-simple-history writes on a save (its own bulk helpers build a model instance per
    row, which at 60,000 homes takes most of a minute). The columns come from the history
    model, so a field added to Charge is copied too."""
    history = Charge.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in history.tracked_fields)
    # Only model metadata is formatted in; every value is a parameter.
    sql = (f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, "  # noqa: S608
           f"history_change_reason, history_type, history_user_id) "
           f"SELECT {columns}, %s, %s, %s, %s FROM {quote(Charge._meta.db_table)} "
           f"WHERE id = ANY(%s)")
    cursor.execute(sql, [at, reason[:100], history_type, by.pk if by else None, charge_ids])


def _refuse_if_weeks_changed(review: RentReview, dates: YearDates) -> None:
    """The new charges were worked out with the two years' rent weeks (basis_key): if an
    administrator has since changed how many weeks either year has, or how many are
    rent-free, every charge in the preview is wrong."""
    job = BackgroundJob.objects.filter(pk=review.job_id).values_list("result_data",
                                                                     flat=True).first()
    recorded = (job or {}).get("basis")
    if recorded and recorded != basis_key(dates):
        raise ValidationError(
            f"The rent weeks have changed since this review was proposed: it was worked out "
            f"with {describe_basis(recorded)}; {dates.before.label} and {dates.label} now have "
            f"{describe_basis(basis_key(dates))}. Reject this review and propose it again.")


@transaction.atomic
def approve_rent_review(*, review_id: int, by: User, at: datetime, note: str = "") -> RentReview:
    """Approve a proposed review (by someone other than its maker) and apply it, in one
    transaction and in sets:

    - each home's net rent charge in force on the Sunday before the year's first Monday ends
      that Sunday (one UPDATE), and a new charge at the new rent starts on the Monday (one
      INSERT), keeping any end date the old charge had in the future; a home whose rent does
      not change keeps its charge;
    - both get their history rows, with who approved it, when and the review as the reason
      (one INSERT ... SELECT each: see _copy_to_history);
    - each home's formula rent for the year is written, replacing one already entered (one
      INSERT ... SELECT ... ON CONFLICT);
    - the review is APPROVED.

    Refused (nothing changes): the maker approving; a review not waiting for approval; a year
    already begun or already run; a home whose net rent changed after the proposal, or a
    change to the rent weeks or rent-free weeks of the year or the year before (the preview
    would no longer be what is applied: reject it and propose again)."""
    review = _lock_review(review_id)
    if review.proposed_by_id == by.pk:
        raise ValidationError(SELF_APPROVAL)
    _move(review, Status.APPROVED)
    # The year's row locked before the "already run" check: a rent run holds it FOR SHARE
    # while each slice posts, so either the approval sees a slice's rows and refuses, or it
    # commits first and every slice charges the new rents.
    year = RentYear.objects.select_for_update().get(pk=review.rent_year_id)
    dates = rent_basis(year)
    _refuse_if_too_late(year, dates, at=at)
    if RentReview.objects.filter(rent_year=year, status=Status.APPROVED).exists():
        raise ValidationError(f"A rent review for {year} has already been approved.")
    _refuse_if_weeks_changed(review, dates)

    rent_type = _rent_type()
    sunday, monday = dates.sunday_before, dates.first_monday
    lines = list(review.lines.values_list("property_id", "old_pence", "new_pence"))
    homes = review.lines.values("property_id")
    # The charges in force on the Sunday, locked so nobody changes them under the approval.
    charges = {home: (pk, weekly, end) for home, pk, weekly, end in Charge.objects
               .select_for_update().filter(charge_type=rent_type, property_id__in=homes,
                                           start_date__lte=sunday)
               .filter(Q(end_date__isnull=True) | Q(end_date__gte=sunday))
               .values_list("property_id", "pk", "weekly_pence", "end_date")}
    later = set(Charge.objects.filter(charge_type=rent_type, property_id__in=homes,
                                      start_date__gt=sunday).values_list("property_id",
                                                                         flat=True))
    stale = [home for home, old, _new in lines
             if home in later or home not in charges or charges[home][1] != old
             or (charges[home][2] is not None and charges[home][2] <= sunday)]
    if stale:
        raise ValidationError(
            f"The net rent of {len(stale):,} home{'s' if len(stale) != 1 else ''} has changed "
            f"since this review was proposed ({_stale_addresses(stale)}). Reject this "
            f"review and propose it again.")

    reason = f"Rent review {review.pk} for {year}"
    changing = [(home, new, charges[home]) for home, old, new in lines if new != old]
    ended_ids = [charge[0] for _home, _new, charge in changing]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE rents_charge SET end_date = %s WHERE id = ANY(%s)",
                       [sunday, ended_ids])
        _copy_to_history(cursor, ended_ids, history_type="~", by=by, at=at, reason=reason)
        cursor.execute("""
            INSERT INTO rents_charge (property_id, charge_type_id, weekly_pence, start_date,
                                      end_date)
            SELECT home, %s, pence, %s, ends
            FROM unnest(%s::bigint[], %s::bigint[], %s::date[]) AS new(home, pence, ends)
            RETURNING id
        """, [rent_type.pk, monday, [home for home, _new, _charge in changing],
              [new for _home, new, _charge in changing],
              [charge[2] for _home, _new, charge in changing]])
        new_ids = [pk for (pk,) in cursor.fetchall()]
        _copy_to_history(cursor, new_ids, history_type="+", by=by, at=at, reason=reason)
        cursor.execute("""
            INSERT INTO rents_formularent (property_id, rent_year_id, weekly_pence)
            SELECT property_id, %s, new_formula_pence FROM rents_rentreviewline
            WHERE review_id = %s AND new_formula_pence IS NOT NULL
            ON CONFLICT (property_id, rent_year_id)
            DO UPDATE SET weekly_pence = EXCLUDED.weekly_pence
        """, [year.pk, review.pk])

    review.decided_by, review.decided_at, review.decision_note = by, at, note.strip()
    review.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return review


@transaction.atomic
def reject_rent_review(*, review_id: int, by: User, at: datetime, note: str) -> RentReview:
    """Reject a review (by someone other than its maker), with the reason. Nothing else
    changes; another review of the year can then be proposed."""
    review = _lock_review(review_id)
    if review.proposed_by_id == by.pk:
        raise ValidationError(SELF_REJECTION)
    if not note.strip():
        raise ValidationError({"note": "Give the reason for rejecting the review."})
    _move(review, Status.REJECTED)
    review.decided_by, review.decided_at, review.decision_note = by, at, note.strip()
    review.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return review


# --- Reads for the screens -----------------------------------------------------------------

def flagged_q() -> Q:
    return Q(above_limit=True) | Q(falls=True) | Q(large_change=True)


def _change_percent(old: int, new: int) -> str:
    """The size of a change as a percentage, to two places: "4.12%"."""
    if not old:
        return ""
    percent = (Decimal(abs(new - old)) * 100 / old).quantize(Decimal("0.01"))
    return f"{percent}%"


@dataclass(frozen=True)
class ReviewFigures:
    homes: int
    flagged: int
    old_total_pence: int  # the weekly charges, all homes
    new_total_pence: int
    # The same rolls as weekly rents on the 52-week basis (None when a year has no weeks).
    old_weekly_52_pence: int | None = None
    new_weekly_52_pence: int | None = None

    @property
    def change_pence(self) -> int:
        return self.new_total_pence - self.old_total_pence

    @property
    def change_size_pence(self) -> int:
        return abs(self.change_pence)

    @property
    def change_percent(self) -> str:
        """The change in the weekly charge roll as a percentage, to two places: "4.12%"."""
        return _change_percent(self.old_total_pence, self.new_total_pence)

    @property
    def weekly_52_change_pence(self) -> int | None:
        if self.old_weekly_52_pence is None or self.new_weekly_52_pence is None:
            return None
        return self.new_weekly_52_pence - self.old_weekly_52_pence

    @property
    def weekly_52_change_size_pence(self) -> int | None:
        change = self.weekly_52_change_pence
        return None if change is None else abs(change)

    @property
    def weekly_52_change_percent(self) -> str:
        """The change in the rent roll on the 52-week basis: what the limit is about."""
        if self.weekly_52_change_pence is None:
            return ""
        return _change_percent(self.old_weekly_52_pence, self.new_weekly_52_pence)


def review_figures(review: RentReview, dates: YearDates | None = None) -> ReviewFigures:
    """Counts and the weekly net rent roll before and after, in one query, and the rolls on
    the 52-week basis with the two years' rent weeks (`dates`: year_dates of the review's
    year, read when not given)."""
    totals = review.lines.aggregate(homes=Count("id"), flagged=Count("id", filter=flagged_q()),
                                    old=Sum("old_pence"), new=Sum("new_pence"))
    old, new = totals["old"] or 0, totals["new"] or 0
    if dates is None:
        try:
            dates = year_dates(review.rent_year)
        except ValidationError:
            dates = None
    old_52 = new_52 = None
    if dates is not None and dates.before is not None:
        old_52, new_52 = _weekly_52(old, dates.before), _weekly_52(new, dates)
    return ReviewFigures(homes=totals["homes"], flagged=totals["flagged"],
                         old_total_pence=old, new_total_pence=new,
                         old_weekly_52_pence=old_52, new_weekly_52_pence=new_52)


def _weekly_52(charge_pence: int, dates: YearDates) -> int | None:
    if dates.charged_weeks < 1:
        return None
    return weekly_rent_52(charge_pence=charge_pence, weeks=dates.weeks,
                          charged_weeks=dates.charged_weeks)


def with_weekly_rents_52(lines, dates: YearDates | None) -> list[RentReviewLine]:
    """The review's lines (a page of them), each with its old and new charge as weekly rents
    on the 52-week basis, for the preview: `old_weekly_52_pence` (the old charge with the
    year before's rent weeks) and `new_weekly_52_pence` (the new charge with the year's),
    each rounded once to the penny, for display; None when a year's weeks are not set up."""
    lines = list(lines)
    before = dates.before if dates else None
    for line in lines:
        line.old_weekly_52_pence = _weekly_52(line.old_pence, before) if before else None
        line.new_weekly_52_pence = _weekly_52(line.new_pence, dates) if dates else None
    return lines


def policy_rows(policy: RentPolicy) -> list[tuple[str, str]]:
    """The policy as people read it: percentages with %, money as pounds."""
    margin = format_percent(policy.limit_margin_percent)
    limit = policy.cpi_percent + policy.limit_margin_percent
    effect = (f"rents rise by at most {format_percent(limit)}" if limit >= 0
              else f"rents fall by {format_percent(-limit)}")
    factor = rent_factor(cpi_percent=policy.cpi_percent,
                         limit_margin_percent=policy.limit_margin_percent)
    return [
        ("CPI (previous September)", format_percent(policy.cpi_percent)),
        ("Limit", f"CPI + {margin} = {format_percent(limit)}: {effect} (old weekly rent "
                  f"over 52 weeks × {factor.normalize():f}; the new charge is rounded once "
                  f"to the penny)"),
        ("Convergence uplift", f"{format_pence(policy.convergence_pence)} a week for homes "
                               f"below formula rent, never taking them above it"
         if policy.convergence_pence else "None this year"),
        ("Flag a change over", f"{format_pence(policy.outlier_change_pence)} a week"),
    ]


# --- Rent-change letters -------------------------------------------------------------------

def letter_key(review: RentReview) -> str:
    return f"rent-review-{review.pk}"


@transaction.atomic
def start_rent_change_letters(*, review_id: int, by: User, at: datetime) -> BackgroundJob:
    """Queue the letters job for an approved review."""
    # The lock makes two people pressing the button at once queue: the second sees the
    # first's job and is refused, so the letters are never rendered twice over.
    review = _lock_review(review_id)
    if review.status != Status.APPROVED:
        raise ValidationError("Rent-change letters are produced once the review is approved.")
    if BackgroundJob.objects.filter(
            kind="rent_change_letters", parameters__review_id=review.pk,
            status__in=[BackgroundJob.Status.QUEUED, BackgroundJob.Status.RUNNING]).exists():
        raise ValidationError("The letters for this review are already being produced: "
                              "follow that job's progress.")
    return start_job(kind="rent_change_letters", parameters={"review_id": review.pk}, by=by,
                     at=at)


@dataclass
class LettersResult:
    made: int = 0
    already: int = 0
    tenancies: int = 0


def letter_tenancies(review: RentReview, monday: date):
    """The tenancies live on the new year's first Monday in the review's homes."""
    return Tenancy.objects.filter(
        property_id__in=review.lines.values("property_id"), start_date__lte=monday).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=monday))


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _charge_rows(charges: list[Charge], sunday: date, monday: date) -> list[dict]:
    """Each charge on the home: its weekly amount before (on the Sunday) and from the Monday."""
    rows: dict[int, dict] = {}
    for charge in charges:
        row = rows.setdefault(charge.charge_type_id, {
            "name": charge.charge_type.name, "order": charge.charge_type.order,
            "old_pence": 0, "new_pence": 0, "is_rent": charge.charge_type.code == RENT_CODE})
        if charge.start_date <= sunday and (charge.end_date is None or charge.end_date >= sunday):
            row["old_pence"] = charge.weekly_pence
        if charge.start_date <= monday and (charge.end_date is None or charge.end_date >= monday):
            row["new_pence"] = charge.weekly_pence
    return sorted(rows.values(), key=lambda row: (row["order"], row["name"]))


def produce_rent_change_letters(*, review_id: int, by: User | None, at: datetime,
                                job_id: int | None = None, progress=None) -> LettersResult:
    """One PDF letter per tenancy live on the year's first Monday, kept as a Letter on the
    tenancy. It gives the weekly charges (debited in each week that is not rent-free) and
    what they come to over each year's charged weeks. A rerun makes only the letters still
    missing: the tenancies that have one are left out, and the (tenancy, kind, key)
    constraint stops a second copy of any made at the same moment by another run."""
    review = RentReview.objects.select_related("rent_year").get(pk=review_id)
    if review.status != Status.APPROVED:
        raise ValidationError("Rent-change letters are produced once the review is approved.")
    year = review.rent_year
    dates = year_dates(year)
    key = letter_key(review)
    made = Letter.objects.filter(kind=Letter.Kind.RENT_CHANGE, key=key)
    to_do = list(letter_tenancies(review, dates.first_monday).filter(~Exists(
        Letter.objects.filter(tenancy=OuterRef("pk"), kind=Letter.Kind.RENT_CHANGE, key=key)))
        .order_by("pk").values_list("pk", flat=True))
    result = LettersResult(already=made.count())
    result.tenancies = result.already + len(to_do)
    if progress:
        progress.set_total(max(1, len(to_do)))
    tenants = TenancyMember.objects.filter(
        role=TenancyMember.Role.TENANT, start_date__lte=dates.first_monday).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=dates.first_monday)).select_related(
        "person").order_by("start_date", "pk")
    rent_accounts = RentAccount.objects.filter(kind=RentAccount.Kind.RENT)
    title = f"Your rent from {dates.first_monday:%-d %B %Y}"
    done = 0
    for batch in _chunks(to_do, LETTER_BATCH):
        tenancies = list(Tenancy.objects.filter(pk__in=batch).select_related("property")
                         .prefetch_related(Prefetch("members", queryset=tenants,
                                                    to_attr="letter_tenants"),
                                           Prefetch("accounts", queryset=rent_accounts,
                                                    to_attr="rent_accounts")).order_by("pk"))
        rules = dict(review.lines.filter(property_id__in=[t.property_id for t in tenancies])
                     .values_list("property_id", "rule"))
        homes = [tenancy.property_id for tenancy in tenancies]
        charges: dict[int, list[Charge]] = {}
        for charge in Charge.objects.filter(property_id__in=homes,
                                            start_date__lte=dates.first_monday).filter(
                Q(end_date__isnull=True) | Q(end_date__gte=dates.sunday_before)).select_related(
                "charge_type"):
            charges.setdefault(charge.property_id, []).append(charge)
        letters = []
        for tenancy in tenancies:
            rows = _charge_rows(charges.get(tenancy.property_id, []), dates.sunday_before,
                                dates.first_monday)
            rent = next((row for row in rows if row["is_rent"]), None)
            change = rent["new_pence"] - rent["old_pence"] if rent else 0
            old_total = sum(row["old_pence"] for row in rows)
            new_total = sum(row["new_pence"] for row in rows)
            pdf = render_pdf("rents/documents/rent_change_letter.html", {
                "tenancy": tenancy,
                "home": tenancy.property,
                "tenants": [member.person for member in tenancy.letter_tenants],
                "rows": rows,
                "rent": rent,
                "rent_change_pence": change,
                "rent_change_size_pence": abs(change),
                "rent_rule": rules.get(tenancy.property_id, ""),
                "payment_reference": tenancy.rent_accounts[0].payment_reference
                if tenancy.rent_accounts else "",
                "old_total_pence": old_total,
                "new_total_pence": new_total,
                # A year's charges are the weekly charges x its charged (not rent-free) weeks.
                "new_year_rent_pence": rent["new_pence"] * dates.charged_weeks if rent else 0,
                "old_year_rent_pence": rent["old_pence"] * dates.before.charged_weeks
                if rent and dates.before else None,
                "new_year_total_pence": new_total * dates.charged_weeks,
                "old_year_total_pence": old_total * dates.before.charged_weeks
                if dates.before else None,
                "year": year,
                "policy": year.policy,
                "dates": dates,
                "letter_date": timezone.localdate(at),
            }, title=title)
            letter = Letter(tenancy=tenancy, kind=Letter.Kind.RENT_CHANGE, key=key,
                            title=f"{title} ({year} rent change)", created_at=at,
                            created_by=by, job_id=job_id)
            name = f"rent-change-{year.label.replace('/', '-')}-{tenancy.reference}.pdf"
            letter.file.save(name, ContentFile(pdf), save=False)
            letters.append(letter)
        with transaction.atomic():
            Letter.objects.bulk_create(letters, ignore_conflicts=True)
        done += len(batch)
        if progress:
            progress.set_done(done)
    result.made = made.count() - result.already
    return result


@register("rent_change_letters", title="Rent-change letters", perm="rents.propose_rent_review",
          result_template="rents/reviews/_letters_result.html")
def run_rent_change_letters(job: BackgroundJob, progress) -> str:
    review_id = job.parameters["review_id"]
    result = produce_rent_change_letters(review_id=review_id, by=job.started_by,
                                         at=timezone.now(), job_id=job.pk, progress=progress)
    BackgroundJob.objects.filter(pk=job.pk).update(result_data={
        "review_id": review_id, "made": result.made, "already": result.already,
        "tenancies": result.tenancies})
    return (f"{result.made:,} rent-change letter{'s' if result.made != 1 else ''} made"
            + (f"; {result.already:,} had already been made" if result.already else "") + ".")
