"""Every change to a tenancy: one service per event, each writing one TenancyEvent row.

Refusals raise ValidationError with a message that says what to fix; each service runs in one
transaction, so nothing is half-saved. Domain code never reads the clock: callers pass `at`.
"""

from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from housing.models import Person, Property, User
from tenancies.models import Tenancy, TenancyEvent, TenancyMember

MAX_JOINT_TENANTS = 2
INTRODUCTORY_MONTHS = 12
INTRODUCTORY_EXTENDED_MONTHS = 18
Kind = TenancyEvent.Kind


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's end: 31 Jan + 1 month = 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_reference() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('tenancy_reference_seq')")
        (number,) = cursor.fetchone()
    return f"T{number:07d}"


def _event(tenancy: Tenancy, kind: str, *, on: date, summary: str, by: User | None,
           at: datetime, **details) -> TenancyEvent:
    return TenancyEvent.objects.create(
        tenancy=tenancy, kind=kind, effective_date=on, summary=summary, details=details,
        recorded_by=by, recorded_at=at,
    )


def _lock(tenancy_id: int) -> Tenancy:
    return Tenancy.objects.select_for_update().select_related("property").get(pk=tenancy_id)


def _live_members(tenancy: Tenancy, role: str, on: date):
    return tenancy.members.filter(role=role, start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)
    ).select_related("person")


def _require_live(tenancy: Tenancy, on: date, action: str) -> None:
    if tenancy.end_date is not None and tenancy.end_date < on:
        raise ValidationError(
            f"Tenancy {tenancy.reference} ended on {tenancy.end_date:%d %B %Y}, so you cannot "
            f"record {action} on {on:%d %B %Y}."
        )
    if on < tenancy.start_date:
        raise ValidationError(
            f"The date must be on or after the tenancy started ({tenancy.start_date:%d %B %Y})."
        )


def _end_member(member: TenancyMember, on: date) -> None:
    """A member leaving on day `on` is last in the tenancy the day before."""
    member.end_date = max(member.start_date, on - timedelta(days=1))
    member.save(update_fields=["end_date"])


# --- Sign-up ------------------------------------------------------------------------------

@transaction.atomic
def sign_up(*, property_id: int, tenancy_type: str, start_date: date, tenant_ids: list[int],
            household: list[tuple[int, str]] = (), by: User | None, at: datetime,
            reference: str | None = None, fixed_term_end_date: date | None = None) -> Tenancy:
    """Start a tenancy of a void (or new) home for one or two tenants. Rent charging (#4)
    starts from `start_date`."""
    home = Property.objects.select_for_update().get(pk=property_id)
    if home.kind != Property.Kind.DWELLING:
        raise ValidationError(f"{home} is a {home.get_kind_display().lower()}, not a home.")
    if home.tenure != Property.Tenure.VOID:
        raise ValidationError(
            f"{home} is {home.get_tenure_display().lower()}, not void: only a void or new home "
            f"can be let."
        )
    tenant_ids = list(dict.fromkeys(tenant_ids))
    if not tenant_ids:
        raise ValidationError("Choose the tenant who is signing up.")
    if len(tenant_ids) > MAX_JOINT_TENANTS:
        raise ValidationError("A tenancy can have at most two joint tenants.")
    if tenancy_type == Tenancy.TenancyType.FLEXIBLE and not fixed_term_end_date:
        raise ValidationError("A flexible tenancy needs the end date of its fixed term.")
    overlapping = Tenancy.objects.filter(property=home).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date)
    ).first()
    if overlapping:
        raise ValidationError(
            f"{home} already has tenancy {overlapping.reference} on {start_date:%d %B %Y}. "
            f"The new tenancy must start after it ends."
        )
    from voids.services import check_letting, close_void

    void = check_letting(home=home, start_date=start_date)  # works, safety checks, the offer
    people = Person.objects.in_bulk([*tenant_ids, *(pid for pid, _ in household)])
    tenancy = Tenancy.objects.create(
        reference=reference or next_reference(), property=home, tenancy_type=tenancy_type,
        start_date=start_date, fixed_term_end_date=fixed_term_end_date,
        introductory_end_date=(add_months(start_date, INTRODUCTORY_MONTHS) - timedelta(days=1)
                               if tenancy_type == Tenancy.TenancyType.INTRODUCTORY else None),
    )
    TenancyMember.objects.bulk_create(
        [TenancyMember(tenancy=tenancy, person=people[pid], role=TenancyMember.Role.TENANT,
                       start_date=start_date) for pid in tenant_ids]
        + [TenancyMember(tenancy=tenancy, person=people[pid], role=TenancyMember.Role.HOUSEHOLD,
                         relationship=relationship, start_date=start_date)
           for pid, relationship in household]
    )
    home.tenure = Property.Tenure.RENTED
    home._history_user = by
    home.save(update_fields=["tenure"])
    from rents.services import open_rent_account  # rent charging starts from start_date

    open_rent_account(tenancy=tenancy, on=start_date)
    if void is not None:
        close_void(void=void, tenancy=tenancy, by=by, at=at)
    names = " and ".join(people[pid].full_name for pid in tenant_ids)
    _event(tenancy, Kind.SIGN_UP, on=start_date, by=by, at=at,
           summary=f"{names} signed up for a tenancy of {home} "
                   f"({tenancy.get_tenancy_type_display().lower()}).")
    return tenancy


# --- Introductory tenancies ---------------------------------------------------------------

@transaction.atomic
def convert_to_secure(*, tenancy_id: int, on: date, by: User | None, at: datetime) -> Tenancy:
    tenancy = _lock(tenancy_id)
    _require_live(tenancy, on, "a conversion")
    if tenancy.tenancy_type != Tenancy.TenancyType.INTRODUCTORY:
        raise ValidationError("Only an introductory tenancy can become secure.")
    if on <= tenancy.introductory_end_date:
        raise ValidationError(
            f"The introductory period runs to {tenancy.introductory_end_date:%d %B %Y}; the "
            f"tenancy becomes secure the day after."
        )
    tenancy.tenancy_type = Tenancy.TenancyType.SECURE
    tenancy.save(update_fields=["tenancy_type"])
    _event(tenancy, Kind.CONVERSION, on=on, by=by, at=at,
           summary="The introductory tenancy became a secure tenancy.")
    return tenancy


@transaction.atomic
def extend_introductory(*, tenancy_id: int, reason: str, by: User | None, at: datetime) -> Tenancy:
    """Extend the introductory period from 12 to 18 months (once; before it ends)."""
    tenancy = _lock(tenancy_id)
    if tenancy.tenancy_type != Tenancy.TenancyType.INTRODUCTORY:
        raise ValidationError("Only an introductory tenancy can be extended.")
    extended = add_months(tenancy.start_date, INTRODUCTORY_EXTENDED_MONTHS) - timedelta(days=1)
    if tenancy.introductory_end_date >= extended:
        raise ValidationError("The introductory period has already been extended to 18 months.")
    if at.date() > tenancy.introductory_end_date:
        raise ValidationError("The introductory period has ended; it can no longer be extended.")
    if not reason.strip():
        raise ValidationError("Give the reason for extending the introductory period.")
    tenancy.introductory_end_date = extended
    tenancy.save(update_fields=["introductory_end_date"])
    _event(tenancy, Kind.EXTENSION, on=at.date(), by=by, at=at, reason=reason,
           summary=f"Introductory period extended to {extended:%d %B %Y}: {reason}")
    return tenancy


# --- Who the tenants are ------------------------------------------------------------------

@transaction.atomic
def record_succession(*, tenancy_id: int, deceased_id: int, successor_id: int, on: date,
                      eligibility: str, by: User | None, at: datetime) -> Tenancy:
    """A tenant has died and `successor` succeeds to the tenancy. One succession per tenancy."""
    tenancy = _lock(tenancy_id)
    _require_live(tenancy, on, "a succession")
    if tenancy.succession_used:
        raise ValidationError(
            f"Tenancy {tenancy.reference} has already had its one succession; a further "
            f"succession is not possible (consider a new tenancy)."
        )
    if not eligibility.strip():
        raise ValidationError("Record why the successor is eligible (e.g. spouse living there).")
    if deceased_id == successor_id:
        raise ValidationError("The successor must be someone other than the tenant who died.")
    tenants = list(_live_members(tenancy, TenancyMember.Role.TENANT, on))
    deceased = next((m for m in tenants if m.person_id == deceased_id), None)
    if deceased is None:
        raise ValidationError("The person who died must be a tenant of this tenancy.")
    _end_member(deceased, on)
    if not any(m.person_id == successor_id for m in tenants):
        # A household member succeeds; a surviving joint tenant simply remains.
        household = _live_members(tenancy, TenancyMember.Role.HOUSEHOLD, on).filter(
            person_id=successor_id).first()
        if household:
            _end_member(household, on)
        TenancyMember.objects.create(tenancy=tenancy, person_id=successor_id,
                                     role=TenancyMember.Role.TENANT, start_date=on)
    tenancy.succession_used = True
    tenancy.save(update_fields=["succession_used"])
    successor = Person.objects.get(pk=successor_id)
    _event(tenancy, Kind.SUCCESSION, on=on, by=by, at=at, eligibility=eligibility,
           summary=f"{successor.full_name} succeeded {deceased.person.full_name}. "
                   f"Eligibility: {eligibility}")
    return tenancy


@transaction.atomic
def assign(*, tenancy_id: int, assignee_id: int, on: date, reason: str, by: User | None,
           at: datetime) -> Tenancy:
    """The tenancy passes to someone else (e.g. by court order or to a potential successor);
    the current tenants leave it."""
    tenancy = _lock(tenancy_id)
    _require_live(tenancy, on, "an assignment")
    for member in _live_members(tenancy, TenancyMember.Role.TENANT, on):
        if member.person_id == assignee_id:
            raise ValidationError("The assignee is already a tenant of this tenancy.")
        _end_member(member, on)
    household = _live_members(tenancy, TenancyMember.Role.HOUSEHOLD, on).filter(
        person_id=assignee_id).first()
    if household:
        _end_member(household, on)  # they stop being a household member and become the tenant
    TenancyMember.objects.create(tenancy=tenancy, person_id=assignee_id,
                                 role=TenancyMember.Role.TENANT, start_date=on)
    assignee = Person.objects.get(pk=assignee_id)
    _event(tenancy, Kind.ASSIGNMENT, on=on, by=by, at=at, reason=reason,
           summary=f"Assigned to {assignee.full_name}. {reason}".strip())
    return tenancy


@transaction.atomic
def mutual_exchange(*, tenancy_a_id: int, tenancy_b_id: int, on: date, by: User | None,
                    at: datetime) -> tuple[Tenancy, Tenancy]:
    """Two tenants swap homes by assigning their tenancies to each other: each household
    moves to the other tenancy; the tenancies (and their homes) carry on."""
    if tenancy_a_id == tenancy_b_id:
        raise ValidationError("Choose two different tenancies for a mutual exchange.")
    first, second = sorted([tenancy_a_id, tenancy_b_id])  # lock in a fixed order: no deadlock
    locked = {pk: _lock(pk) for pk in (first, second)}
    a, b = locked[tenancy_a_id], locked[tenancy_b_id]
    for tenancy in (a, b):
        _require_live(tenancy, on, "a mutual exchange")
    moving = {}
    for tenancy in (a, b):
        members = list(tenancy.members.filter(start_date__lte=on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)).select_related("person"))
        for member in members:
            _end_member(member, on)
        moving[tenancy.pk] = members
    for source, target in ((a, b), (b, a)):
        TenancyMember.objects.bulk_create([
            TenancyMember(tenancy=target, person=m.person, role=m.role,
                          relationship=m.relationship, start_date=on)
            for m in moving[source.pk]
        ])
    for source, target in ((a, b), (b, a)):
        names = " and ".join(m.person.full_name for m in moving[source.pk]
                             if m.role == TenancyMember.Role.TENANT)
        _event(target, Kind.MUTUAL_EXCHANGE, on=on, by=by, at=at, other=source.reference,
               summary=f"Mutual exchange with {source.reference}: {names} moved in from "
                       f"{source.property}.")
    return a, b


@transaction.atomic
def add_joint_tenant(*, tenancy_id: int, person_id: int, on: date, by: User | None,
                     at: datetime) -> Tenancy:
    tenancy = _lock(tenancy_id)
    _require_live(tenancy, on, "a new joint tenant")
    tenants = list(_live_members(tenancy, TenancyMember.Role.TENANT, on))
    if len(tenants) >= MAX_JOINT_TENANTS:
        raise ValidationError(
            "This tenancy already has two joint tenants; a tenancy can have at most two."
        )
    if any(m.person_id == person_id for m in tenants):
        raise ValidationError("That person is already a tenant of this tenancy.")
    household = _live_members(tenancy, TenancyMember.Role.HOUSEHOLD, on).filter(
        person_id=person_id).first()
    if household:
        _end_member(household, on)
    TenancyMember.objects.create(tenancy=tenancy, person_id=person_id,
                                 role=TenancyMember.Role.TENANT, start_date=on)
    person = Person.objects.get(pk=person_id)
    _event(tenancy, Kind.SOLE_TO_JOINT, on=on, by=by, at=at,
           summary=f"{person.full_name} became a joint tenant.")
    return tenancy


@transaction.atomic
def remove_joint_tenant(*, tenancy_id: int, person_id: int, on: date, reason: str,
                        by: User | None, at: datetime) -> Tenancy:
    tenancy = _lock(tenancy_id)
    _require_live(tenancy, on, "a change to the tenants")
    tenants = list(_live_members(tenancy, TenancyMember.Role.TENANT, on))
    leaving = next((m for m in tenants if m.person_id == person_id), None)
    if leaving is None:
        raise ValidationError("That person is not a tenant of this tenancy.")
    if len(tenants) < 2:
        raise ValidationError("A sole tenant cannot be removed; end the tenancy instead.")
    _end_member(leaving, on)
    _event(tenancy, Kind.JOINT_TO_SOLE, on=on, by=by, at=at, reason=reason,
           summary=f"{leaving.person.full_name} left the tenancy. {reason}".strip())
    return tenancy


@transaction.atomic
def add_household_member(*, tenancy_id: int, person_id: int, relationship: str, on: date,
                         by: User | None, at: datetime) -> TenancyMember:
    tenancy = _lock(tenancy_id)
    _require_live(tenancy, on, "a household change")
    if _live_members(tenancy, TenancyMember.Role.TENANT, on).filter(person_id=person_id).exists():
        raise ValidationError("That person is a tenant of this tenancy already.")
    try:
        with transaction.atomic():
            member = TenancyMember.objects.create(
                tenancy=tenancy, person_id=person_id, role=TenancyMember.Role.HOUSEHOLD,
                relationship=relationship, start_date=on)
    except IntegrityError:
        raise ValidationError("That person is already in this household on that date.") from None
    _event(tenancy, Kind.HOUSEHOLD_CHANGE, on=on, by=by, at=at,
           summary=f"{member.person.full_name} ({relationship or 'household member'}) moved in.")
    return member


@transaction.atomic
def remove_household_member(*, member_id: int, on: date, by: User | None,
                            at: datetime) -> TenancyMember:
    member = TenancyMember.objects.select_for_update().select_related("tenancy", "person").get(
        pk=member_id, role=TenancyMember.Role.HOUSEHOLD)
    if member.end_date is not None and member.end_date < on:
        raise ValidationError(f"{member.person.full_name} had already left.")
    if on <= member.start_date:
        raise ValidationError("The date they left must be after they moved in.")
    _end_member(member, on)
    _event(member.tenancy, Kind.HOUSEHOLD_CHANGE, on=on, by=by, at=at,
           summary=f"{member.person.full_name} moved out.")
    return member


@transaction.atomic
def change_name(*, person_id: int, title: str, first_name: str, last_name: str, on: date,
                evidence: str, by: User | None, at: datetime) -> Person:
    person = Person.objects.select_for_update().get(pk=person_id)
    if not first_name.strip() or not last_name.strip():
        raise ValidationError("Enter both the first name and the last name.")
    if not evidence.strip():
        raise ValidationError("Record the evidence seen (e.g. marriage certificate, deed poll).")
    old = person.full_name
    person.title, person.first_name, person.last_name = title, first_name.strip(), last_name.strip()
    person._change_reason = f"Change of name: {evidence}"
    person.save()
    tenancy_ids = person.tenancy_links.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)).values_list("tenancy_id", flat=True)
    for tenancy in Tenancy.objects.filter(pk__in=tenancy_ids):
        _event(tenancy, Kind.CHANGE_OF_NAME, on=on, by=by, at=at, evidence=evidence,
               old_name=old, new_name=person.full_name,
               summary=f"{old} changed their name to {person.full_name} (evidence: {evidence}).")
    return person


# --- Ending -------------------------------------------------------------------------------

@transaction.atomic
def record_notice(*, tenancy_id: int, received_on: date, end_date: date, by: User | None,
                  at: datetime) -> Tenancy:
    """The tenant's notice to quit: at least four weeks, ending the tenancy on `end_date`."""
    tenancy = _lock(tenancy_id)
    _require_live(tenancy, received_on, "a notice")
    if received_on > at.date():
        raise ValidationError("The date the notice was received cannot be in the future.")
    if end_date < received_on + timedelta(weeks=4):
        raise ValidationError(
            f"A tenant's notice must be at least four weeks: the earliest end date is "
            f"{received_on + timedelta(weeks=4):%d %B %Y}."
        )
    tenancy.notice_received_date = received_on
    tenancy.save(update_fields=["notice_received_date"])
    _event(tenancy, Kind.NOTICE, on=received_on, by=by, at=at, intended_end=str(end_date),
           summary=f"Notice received; the tenancy is to end on {end_date:%d %B %Y}.")
    return tenancy


@transaction.atomic
def end_tenancy(*, tenancy_id: int, end_date: date, reason: str, by: User | None,
                at: datetime) -> Tenancy:
    """End a tenancy. Every route out of a tenancy (notice, death, eviction, abandonment,
    transfer) comes through here, and here the home is handed to `home_vacated`."""
    tenancy = _lock(tenancy_id)
    if tenancy.end_date is not None:
        raise ValidationError(f"Tenancy {tenancy.reference} already ended on "
                              f"{tenancy.end_date:%d %B %Y}.")
    if reason not in Tenancy.EndReason.values:
        raise ValidationError("Choose why the tenancy ended.")
    if end_date < tenancy.start_date:
        raise ValidationError(
            f"The end date cannot be before the tenancy started ({tenancy.start_date:%d %B %Y})."
        )
    tenancy.end_date, tenancy.end_reason = end_date, reason
    tenancy.save(update_fields=["end_date", "end_reason"])
    tenancy.members.filter(Q(end_date__isnull=True) | Q(end_date__gt=end_date)).update(
        end_date=end_date)
    _event(tenancy, Kind.END, on=end_date, by=by, at=at, reason=reason,
           summary=f"Tenancy ended on {end_date:%d %B %Y}: "
                   f"{Tenancy.EndReason(reason).label.lower()}.")
    if reason != Tenancy.EndReason.RIGHT_TO_BUY:
        home_vacated(tenancy=tenancy, by=by, at=at)
    return tenancy


def home_vacated(*, tenancy: Tenancy, by: User | None, at: datetime) -> None:
    """The one place a home becomes empty after a tenancy: its void period opens here."""
    from voids.services import open_void

    void = open_void(tenancy=tenancy, by=by, at=at)
    if void.let_date is not None:
        return  # a later tenancy is already recorded (an import of past tenancies)
    home = Property.objects.get(pk=tenancy.property_id)
    home.tenure = Property.Tenure.VOID
    home._history_user = by  # the home's audit trail shows who ended the tenancy
    home.save(update_fields=["tenure"])
