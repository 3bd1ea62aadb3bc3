"""The void's life as services: opened by a tenancy's end, moved through its stages, closed
by the next sign-up. Every change goes through here (views, imports and the demo alike).

tenancies.services calls two of these, so there is no manual step and no second screen to
keep in step:
- `open_void` from home_vacated, whatever ended the tenancy (notice, death, eviction,
  abandonment, transfer, an import);
- `check_letting` and `close_void` from sign_up: a home with an open void is let only from
  an accepted offer, with its works closed and its safety checks recorded, on or after the
  day the void began.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from housing.models import Property, User
from repairs.models import WorkOrder
from tenancies.models import Tenancy
from voids.models import LettingLog, OccupancyChange, Offer, SafetyCheck, Stage, VoidPeriod

# Orders that no longer hold a void back from being let.
CLOSED_ORDER_STATUSES = (WorkOrder.Status.COMPLETED, WorkOrder.Status.INVOICED,
                         WorkOrder.Status.PAID, WorkOrder.Status.CANCELLED)


def day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def next_reference() -> str:
    """V000123, from a database sequence, so two at once never clash."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('voids_void_ref')")
        (number,) = cursor.fetchone()
    return f"V{number:06d}"


def lock(void_id: int) -> VoidPeriod:
    return (VoidPeriod.objects.select_for_update(of=("self",))
            .select_related("property").get(pk=void_id))


def move(void: VoidPeriod, *, to: str, on: date, summary: str, by: User | None, at: datetime,
         note: str = "", fields: dict | None = None) -> None:
    """Move a (locked) void to stage `to` and write its history row."""
    void.stage = to
    for name, value in (fields or {}).items():
        setattr(void, name, value)
    void.save(update_fields=["stage", *(fields or {})])
    void.stages.create(stage=to, on=on, summary=summary[:200], note=note, by=by, at=at)


def record_change(*, void: VoidPeriod, event: str, on: date, at: datetime) -> None:
    """Tell Council Tax, once: a rerun (or a second call) adds nothing."""
    OccupancyChange.objects.bulk_create(
        [OccupancyChange(property_id=void.property_id, void=void, event=event, date=on,
                         recorded_at=at)],
        ignore_conflicts=True)


# --- Opening ----------------------------------------------------------------------------------


def _refuse_overlap(home: Property, start: date, until: date | None) -> None:
    clash = VoidPeriod.objects.filter(property=home).filter(
        Q(let_date__isnull=True) | Q(let_date__gt=start))
    if until is not None:
        clash = clash.filter(start_date__lt=until)
    clash = clash.first()
    if clash is not None:
        ended = (f"until {day(clash.let_date - timedelta(days=1))}" if clash.let_date
                 else "and is still open")
        raise ValidationError(
            f"{home} is already void from {day(clash.start_date)} {ended} (void "
            f"{clash.reference}): a home cannot have two voids for the same days.")


def open_void(*, tenancy: Tenancy, by: User | None, at: datetime) -> VoidPeriod:
    """The home of a tenancy that has just ended is void from the next day. Called once per
    ending by tenancies.services.home_vacated (a tenancy ends once, and `previous_tenancy` is
    unique). When a later tenancy of the home is already recorded (an import of past
    tenancies), the void is opened already let."""
    home = Property.objects.select_for_update().get(pk=tenancy.property_id)
    start = tenancy.end_date + timedelta(days=1)
    following = (Tenancy.objects.filter(property=home, start_date__gte=start)
                 .exclude(pk=tenancy.pk).order_by("start_date").first())
    _refuse_overlap(home, start, following.start_date if following else None)
    void = VoidPeriod.objects.create(
        reference=next_reference(), property=home, previous_tenancy=tenancy,
        vacancy_reason=tenancy.end_reason, start_date=start, keys_in_date=tenancy.end_date,
        opened_by=by, opened_at=at)
    void.stages.create(stage=Stage.KEYS_IN, on=tenancy.end_date, by=by, at=at,
                       summary=f"Tenancy {tenancy.reference} ended: keys in")
    record_change(void=void, event=OccupancyChange.Event.VOID, on=start, at=at)
    if following is not None:
        _let(void, following, by=by, at=at, offers=0)
    return void


@transaction.atomic
def record_void(*, property_id: int, start_date: date, reason: str, by: User,
                at: datetime) -> VoidPeriod:
    """A home void for another reason than a tenancy ending here: a new build, a home bought
    back, one empty before the system held its tenancies."""
    home = Property.objects.select_for_update().filter(pk=property_id).first()
    if home is None:
        raise ValidationError("Choose the home that is void.")
    if home.kind != Property.Kind.DWELLING:
        raise ValidationError(f"{home} is a {home.get_kind_display().lower()}, not a home.")
    if home.tenure not in (Property.Tenure.VOID, Property.Tenure.RENTED):
        raise ValidationError(f"{home} is {home.get_tenure_display().lower()}: only a council "
                              f"home let on tenancies can be void.")
    if reason not in VoidPeriod.VacancyReason.values:
        raise ValidationError({"reason": "Select why the home is void."})
    if start_date > timezone.localdate(at):
        raise ValidationError({"start_date": "The date the home became void must be today "
                                             "or in the past."})
    live = Tenancy.objects.filter(property=home).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date)).first()
    if live is not None:
        raise ValidationError(
            f"{home} has tenancy {live.reference} on {day(start_date)}: end the tenancy "
            f"instead, and the void opens by itself.")
    _refuse_overlap(home, start_date, None)
    void = VoidPeriod.objects.create(
        reference=next_reference(), property=home, vacancy_reason=reason,
        start_date=start_date, keys_in_date=start_date, opened_by=by, opened_at=at)
    void.stages.create(stage=Stage.KEYS_IN, on=start_date, by=by, at=at,
                       summary=f"Void recorded: {void.get_vacancy_reason_display().lower()}")
    record_change(void=void, event=OccupancyChange.Event.VOID, on=start_date, at=at)
    if home.tenure != Property.Tenure.VOID:
        home.tenure = Property.Tenure.VOID
        home._history_user = by
        home.save(update_fields=["tenure"])
    return void


# --- Ready to let -----------------------------------------------------------------------------


def open_orders(void: VoidPeriod) -> list[WorkOrder]:
    if void.repair_request_id is None:
        return []
    return list(WorkOrder.objects.filter(request_id=void.repair_request_id)
                .exclude(status__in=CLOSED_ORDER_STATUSES).order_by("reference"))


def missing_checks(void: VoidPeriod) -> list[str]:
    """The safety checks not yet recorded in this void, as their names."""
    since = void.keys_in_date or void.start_date  # a check on the day the keys came in counts
    done = set(SafetyCheck.objects.filter(void=void, done_on__gte=since)
               .values_list("kind", flat=True))
    return [label for kind, label in SafetyCheck.Kind.choices if kind not in done]


def what_is_missing(void: VoidPeriod) -> list[str]:
    """Why the home is not fit to let yet, in words; empty when it is."""
    problems = []
    if not void.inspected_on:
        problems.append("The void inspection has not been recorded.")
    orders = open_orders(void)
    if orders:
        problems.append("Works orders still open: " + ", ".join(
            f"{order.reference} ({order.get_status_display().lower()})" for order in orders)
            + ".")
    for label in missing_checks(void):
        problems.append(f"No {label[0].lower()}{label[1:]} is recorded in this void.")
    return problems


# --- Letting ----------------------------------------------------------------------------------


def open_void_of(home_id: int) -> VoidPeriod | None:
    return (VoidPeriod.objects.select_for_update(of=("self",))
            .filter(property_id=home_id, let_date__isnull=True).first())


def accepted_offer(void: VoidPeriod) -> Offer | None:
    return void.offers.filter(outcome=Offer.Outcome.ACCEPTED).first()


def letting_state(home: Property) -> tuple[VoidPeriod | None, Offer | None, list[str]]:
    """For the sign-up screen, before any lock: the home's open void, its accepted offer, and
    what stops the letting (empty when it may go ahead, or when there is no void)."""
    void = VoidPeriod.objects.filter(property=home, let_date__isnull=True).first()
    if void is None:
        return None, None, []
    offer = accepted_offer(void)
    problems = what_is_missing(void)
    if offer is None:
        problems.append(f"No offer has been accepted: record the offer and its acceptance on "
                        f"void {void.reference} first.")
    return void, offer, problems


def check_letting(*, home: Property, start_date: date) -> VoidPeriod | None:
    """Refuse a sign-up the void does not allow. Returns the (locked) open void, if any."""
    void = open_void_of(home.pk)
    if void is None:
        return None
    if start_date < void.start_date:
        raise ValidationError({"start_date": (
            f"The tenancy cannot start before the void began ({day(void.start_date)}).")})
    problems = what_is_missing(void)
    if problems:
        raise ValidationError([f"{home} cannot be let yet.", *problems])
    offer = accepted_offer(void)
    if offer is None:
        raise ValidationError(
            f"{home} cannot be let yet: record the offer and its acceptance on void "
            f"{void.reference} first.")
    if start_date < offer.offered_on:
        raise ValidationError({"start_date": (
            f"The tenancy cannot start before the home was offered to "
            f"{offer.applicant_name} ({day(offer.offered_on)}).")})
    return void


def close_void(*, void: VoidPeriod, tenancy: Tenancy, by: User | None, at: datetime) -> None:
    """The new tenancy started: the void ends the day before, Council Tax is told, and the
    letting's CORE record is kept."""
    _let(void, tenancy, by=by, at=at, offers=void.offers.count())


def _let(void: VoidPeriod, tenancy: Tenancy, *, by: User | None, at: datetime,
         offers: int) -> None:
    move(void, to=Stage.LET, on=tenancy.start_date, by=by, at=at,
         summary=f"Let: tenancy {tenancy.reference} starts {day(tenancy.start_date)}",
         fields={"let_date": tenancy.start_date, "new_tenancy": tenancy})
    record_change(void=void, event=OccupancyChange.Event.LET, on=tenancy.start_date, at=at)
    write_letting_log(void=void, tenancy=tenancy, offers=offers, at=at)


def weekly_charges(home_id: int, on: date) -> tuple[int, int]:
    """(net rent, service charges) a week on the home on `on`, in pence."""
    from rents.models import Charge

    rent = service = 0
    for code, pence in (Charge.objects.filter(property_id=home_id, start_date__lte=on)
                        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
                        .values_list("charge_type__code", "weekly_pence")):
        if code == "rent":
            rent += pence
        else:
            service += pence
    return rent, service


def close_voids_let_by_import(tenancies: list[Tenancy], *, by: User | None,
                              at: datetime) -> int:
    """An import's new tenancies let the homes whose voids are open (a file that ends one
    tenancy and lets the home to the next; its ending opened the void first). Each open void is
    closed by the earliest imported tenancy starting in it, as a sign-up would close it."""
    homes = {tenancy.property_id for tenancy in tenancies}
    voids = {void.property_id: void for void in VoidPeriod.objects.select_for_update(
        of=("self",)).select_related("property", "previous_tenancy").filter(
        property_id__in=homes, let_date__isnull=True)}
    closed = 0
    for tenancy in sorted(tenancies, key=lambda t: t.start_date):
        void = voids.get(tenancy.property_id)
        if void is not None and void.let_date is None and tenancy.start_date >= void.start_date:
            _let(void, tenancy, by=by, at=at, offers=void.offers.count())
            closed += 1
    return closed


def write_letting_log(*, void: VoidPeriod, tenancy: Tenancy, offers: int,
                      at: datetime) -> LettingLog:
    home = void.property
    rent, service = weekly_charges(home.pk, tenancy.start_date)
    return LettingLog.objects.create(
        void=void, tenancy=tenancy, uprn=home.uprn, postcode=home.postcode,
        property_type=home.property_type or "", bedrooms=home.bedrooms,
        tenancy_type=tenancy.tenancy_type, start_date=tenancy.start_date,
        weekly_rent_pence=rent, weekly_service_pence=service,
        vacancy_reason=void.vacancy_reason,
        # the day before the first void day: the old tenancy's last, or the day before a
        # void recorded by hand, so that void date + days to relet = relet date
        void_date=void.start_date - timedelta(days=1),
        relet_date=tenancy.start_date, times_offered=offers, void_type=void.void_type,
        created_at=at)


def relet_days(void: VoidPeriod) -> int | None:
    """Calendar days from the tenancy's end to the new tenancy's start (DOMAIN.md)."""
    if void.let_date is None:
        return None
    return (void.let_date - void.start_date).days + 1


def days_void(void: VoidPeriod, *, today: date) -> int:
    """Days the home has stood empty: to the day before the let, or to today."""
    last = void.let_date - timedelta(days=1) if void.let_date else today
    return max(0, (last - void.start_date).days + 1)
