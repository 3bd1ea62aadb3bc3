"""Live voids for the demo council (`manage.py seed_demo`), for a Lettings officer to work with.

The seeded council already has its void history (voids.seed.backfill: past voids let, a few
open at stages that fit their age). This adds five voids made the way the system makes them:
five live tenancies ended (tenancies.services.end_tenancy, so each void opens by itself), then
each brought to a different stage through the voids, repairs and tenancies services, by the
demo's own users, each step at a moment in the past:

- keys in: a tenant's notice, ended two working days ago: nothing done yet;
- works: a death; inspected, its works raised from the checklist to the voids contractor
  (Westcountry Void Services), two orders completed by the contractor through the portal's
  services, one in progress, one booked, one just issued; the gas check done, the electrical
  one not (what ready to let still needs shows on the void page);
- ready to let: a transfer; works done, gas and electrical checks recorded, ready to let;
- offered: an abandonment, a major works void; works done, checks recorded, ready, offered to
  one applicant who refused (with the reason), then to a second who has not yet answered;
- let: a tenant's notice; works done, checks, ready, the offer accepted and the applicant
  signed up (housing.services.create_person, then tenancies.services.sign_up, which closes
  the void, tells Council Tax and writes the CORE lettings log row).

Tenancies are ended, offers and sign-ups recorded by the Lettings and Voids Officer
(lettings@demo.example), the inspections by the Repairs Officer (the surveyor), an order over
the raiser's spend limit approved by the Team Leader. It is added once: the demo's voids are
those opened by the Lettings officer, and a second call adds nothing when there are any. It
needs the demo's users (housing.demo) and the voids contractor (repairs.demo.seed_repairs);
without them it adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from housing.models import Person, Property, User
from housing.services import create_person
from housing.workdays import is_working_day, next_working_day
from repairs import contractor_services
from repairs import services as repairs_services
from repairs.demo import VOID_CONTRACTOR, _at, _quietly, working_day
from repairs.models import Contractor, WorkOrder
from tenancies import services as tenancy_services
from tenancies.models import Tenancy
from voids import letting, works
from voids.models import ChecklistItem, LettingLog, Offer, SafetyCheck, Stage, VoidPeriod

STAFF = {"lettings": "lettings@demo.example", "repairs": "repairs@demo.example",
         "leader": "teamleader@demo.example"}
CONTRACTOR_CODE, CONTRACTOR_LOGIN = VOID_CONTRACTOR[0], VOID_CONTRACTOR[-1][0]
TENANCY_YEARS = 2  # the tenancies ended had lasted at least this long

CERTIFICATES = {SafetyCheck.Kind.GAS: "LGSR", SafetyCheck.Kind.ELECTRICAL: "EICR"}
COMPLETION_NOTES = {
    "voids": "Home cleared of rubbish and left belongings, and cleaned throughout.",
    "carpentry": "Entrance door locks changed; keys handed to the voids team.",
    "electrical": "Circuits tested and made safe; alarms renewed and tested.",
    "plumbing": "Tap washers and cartridges renewed; no leaks.",
    "decorating": "Walls and ceilings prepared and painted in magnolia.",
    "plastering": "Damaged plaster hacked off and the walls replastered.",
    "damp": "Mould washed off and the affected areas treated with fungicide.",
}


@dataclass(frozen=True)
class DemoVoid:
    """One demo void: its tenancy ended `ended` working days before today for `reason`, on a
    home in `patch`, left at stage `stage`. `lines` are the checklist lines ticked at the
    inspection (SOR code, quantity; "" for the checklist's own quantity), `inspected` working
    days after the end; `orders` says how far each trade's order got ("completed" on the given
    working day after the inspection; "in_progress", "booked", "accepted" or "issued")."""

    stage: str
    ended: int
    reason: str
    patch: str
    void_type: str = "standard"
    lines: tuple[tuple[str, str], ...] = ()
    inspected: int = 2
    orders: tuple[tuple[str, str, int], ...] = ()  # (trade, story, completed after inspection)
    gas: int | None = None  # working days after the end the check was done
    electrical: int | None = None
    ready: int | None = None


VOIDS = (
    DemoVoid(Stage.LET, 36, Tenancy.EndReason.NOTICE, "central",
             lines=(("VO100", ""), ("CA310", ""), ("PL100", "2"), ("DC600", "30")),
             orders=(("voids", "completed", 1), ("carpentry", "completed", 2),
                     ("plumbing", "completed", 3), ("decorating", "completed", 6)),
             gas=7, electrical=8, ready=9),
    DemoVoid(Stage.OFFERED, 27, Tenancy.EndReason.ABANDONMENT, "north", void_type="major",
             lines=(("VO100", ""), ("VO110", ""), ("CA310", ""), ("DM950", "8"),
                    ("PS500", "12"), ("DC600", "60")),
             orders=(("voids", "completed", 1), ("carpentry", "completed", 2),
                     ("damp", "completed", 4), ("plastering", "completed", 7),
                     ("decorating", "completed", 10)),
             gas=12, electrical=13, ready=14),
    DemoVoid(Stage.READY, 18, Tenancy.EndReason.TRANSFER, "south",
             lines=(("VO100", ""), ("CA310", ""), ("EL230", "")),
             orders=(("voids", "completed", 1), ("carpentry", "completed", 2),
                     ("electrical", "completed", 4)),
             gas=5, electrical=6, ready=8),
    DemoVoid(Stage.WORKS, 10, Tenancy.EndReason.DEATH, "north",
             lines=(("VO100", ""), ("CA310", ""), ("EL220", ""), ("EL230", ""),
                    ("PL100", "2"), ("DC600", "40")),
             orders=(("voids", "completed", 2), ("carpentry", "completed", 3),
                     ("electrical", "in_progress", 0), ("decorating", "booked", 0),
                     ("plumbing", "issued", 0)),
             gas=6),
    DemoVoid(Stage.KEYS_IN, 2, Tenancy.EndReason.NOTICE, "north"),
)

# The offered void's applicants: the first refused, the second not yet answered.
REFUSED = ("Mr Daniel Price", "HR-20431", "He wants to stay near his children's school in "
           "Exwick, and the home is across the city.")
PENDING = ("Ms Aisha Rahman", "HR-19877")
# The let void's applicant, signed up as a new tenant.
NEW_TENANT = {"title": "Ms", "first_name": "Joanna", "last_name": "Whitfield",
              "date_of_birth": date(1988, 6, 17), "mobile_phone": "07700 900417",
              "email": "joanna.whitfield@example.com"}
NEW_TENANT_REFERENCE = "HR-18820"


@transaction.atomic
def seed_voids(*, at: datetime | None = None) -> dict:
    """The demo's live voids (see the module's docstring) as at `at` (now unless given: this
    is the demo's seeding, not domain code). Returns how many of each were made; all 0 when
    the demo's voids are there already, or its users or the voids contractor are missing."""
    counts = dict.fromkeys(("tenancies_ended", "voids", "orders", "orders_completed",
                            "safety_checks", "offers", "lettings"), 0)
    users = {role: User.objects.filter(email=email).first() for role, email in STAFF.items()}
    contractor = Contractor.objects.filter(code=CONTRACTOR_CODE).first()
    login = User.objects.filter(email=CONTRACTOR_LOGIN).first()
    if users["lettings"] is None or contractor is None or login is None:
        return counts
    if VoidPeriod.objects.filter(opened_by=users["lettings"]).exists():
        return counts  # added already
    seeder = _Seeder(at=at or timezone.now(), users=users, contractor=contractor, login=login)
    homes = seeder.pick_homes()
    if len(homes) < len(VOIDS):
        return counts
    with _quietly():  # the contractor's emails are for the past: not sent
        for plan, tenancy in zip(VOIDS, homes, strict=True):
            seeder.play(plan, tenancy)
    made = VoidPeriod.objects.filter(opened_by=users["lettings"])
    orders = WorkOrder.objects.filter(request__void__in=made)
    counts.update({
        "tenancies_ended": Tenancy.objects.filter(void_after__in=made).count(),
        "voids": made.count(), "orders": orders.count(),
        "orders_completed": orders.filter(status=WorkOrder.Status.COMPLETED).count(),
        "safety_checks": SafetyCheck.objects.filter(void__in=made).count(),
        "offers": Offer.objects.filter(void__in=made).count(),
        "lettings": LettingLog.objects.filter(void__in=made).count(),
    })
    return counts


class _Seeder:
    def __init__(self, *, at: datetime, users: dict[str, User | None], contractor: Contractor,
                 login: User) -> None:
        self.now = at
        self.today = timezone.localdate(at)
        self.lettings = users["lettings"]
        self.surveyor = users["repairs"] or self.lettings
        self.leader = users["leader"] or self.lettings
        self.contractor = contractor
        self.login = login
        self.checklist = {}
        for item in ChecklistItem.objects.filter(active=True).order_by("order", "pk"):
            self.checklist.setdefault(item.sor_code.strip().upper(), item)

    def day(self, offset: int) -> date:
        """The working day `offset` working days from today (before it when negative)."""
        return working_day(self.today, offset)

    def at(self, day: date, clock: str) -> datetime:
        """`clock` on `day`, never later than now (a step seeded on today's date)."""
        return min(_at(day, clock), self.now)

    # -- the homes --

    def pick_homes(self) -> list[Tenancy]:
        """A live tenancy of at least TENANCY_YEARS for each demo void, on its patch where
        there is one (else on any): a home with no repairs (the repairs demo's are busy), not
        a demo tenant's, with no notice given, with its bedrooms known (CORE asks). Fewer
        than VOIDS on a council too small to have them."""
        started_before = self.day(-max(plan.ended for plan in VOIDS)) - timedelta(
            days=365 * TENANCY_YEARS)
        linked = User.objects.exclude(person=None).values("person_id")
        candidates = (
            Tenancy.objects.filter(end_date__isnull=True, start_date__lte=started_before,
                                   notice_received_date__isnull=True,
                                   property__kind=Property.Kind.DWELLING,
                                   property__tenure=Property.Tenure.RENTED,
                                   property__bedrooms__isnull=False)
            .exclude(property__repair_requests__isnull=False)
            .exclude(property__voids__let_date__isnull=True)
            .exclude(members__person_id__in=linked)
            .select_related("property__patch").order_by("reference"))
        chosen: list[Tenancy | None] = [None] * len(VOIDS)
        spare: list[Tenancy] = []
        for tenancy in candidates.iterator(chunk_size=200):
            code = tenancy.property.patch.code if tenancy.property.patch_id else ""
            slot = next((index for index, plan in enumerate(VOIDS)
                         if chosen[index] is None and plan.patch == code), None)
            if slot is not None:
                chosen[slot] = tenancy
            elif len(spare) < len(VOIDS):
                spare.append(tenancy)
            if all(chosen):
                break
        spares = iter(spare)
        homes = [tenancy or next(spares, None) for tenancy in chosen]
        return [tenancy for tenancy in homes if tenancy is not None]

    # -- one void --

    def play(self, plan: DemoVoid, tenancy: Tenancy) -> None:
        ended = self.day(-plan.ended)
        if plan.reason == Tenancy.EndReason.NOTICE:  # four weeks' notice, received first
            received = ended - timedelta(weeks=4, days=1)
            while not is_working_day(received):
                received -= timedelta(days=1)
            tenancy_services.record_notice(tenancy_id=tenancy.pk, received_on=received,
                                           end_date=ended, by=self.lettings,
                                           at=self.at(received, "10:40"))
        tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=ended, reason=plan.reason,
                                     by=self.lettings, at=self.at(ended, "16:20"))
        void = VoidPeriod.objects.get(previous_tenancy=tenancy)
        if plan.stage == Stage.KEYS_IN:
            return
        inspected = self.day(-plan.ended + plan.inspected)
        self.inspect(void, plan, on=inspected)
        for kind, after in ((SafetyCheck.Kind.GAS, plan.gas),
                            (SafetyCheck.Kind.ELECTRICAL, plan.electrical)):
            if after is not None:
                done = self.day(-plan.ended + after)
                works.record_safety_check(
                    void_id=void.pk, kind=kind, outcome=SafetyCheck.Outcome.SATISFACTORY,
                    done_on=done, certificate_reference=f"{CERTIFICATES[kind]}-{done:%y%m%d}-"
                                                        f"{void.property.uprn[-4:]}",
                    by=self.lettings, at=self.at(done, "15:40"))
        if plan.ready is None:
            return
        ready = self.day(-plan.ended + plan.ready)
        works.mark_ready(void_id=void.pk, on=ready, by=self.lettings, at=self.at(ready, "16:05"))
        if plan.stage == Stage.OFFERED:
            self.offers(void, after=ready)
        elif plan.stage == Stage.LET:
            self.let(void, after=ready)

    def inspect(self, void: VoidPeriod, plan: DemoVoid, *, on: date) -> None:
        lines = [(self.checklist[code].pk, quantity or str(self.checklist[code].default_quantity))
                 for code, quantity in plan.lines if code in self.checklist]
        inspection = works.record_inspection(
            void_id=void.pk, inspected_on=on, void_type=plan.void_type,
            notes=("Empty and secure. Works listed below; no structural problems found."
                   if plan.void_type == "standard" else
                   "Left in poor condition: belongings and rubbish throughout, mould in two "
                   "rooms and damaged plaster. Major works void."),
            lines=lines, contractor_id=self.contractor.pk, by=self.surveyor,
            at=self.at(on, "11:30"))
        stories = {trade: (story, after) for trade, story, after in plan.orders}
        for order in inspection.orders:
            if order.status == WorkOrder.Status.RAISED:  # over the surveyor's spend limit
                repairs_services.approve_order(order_id=order.pk, by=self.leader,
                                               at=self.at(on, "14:10"))
            story, after = stories.get(order.trade.code, ("issued", 0))
            self.work(order, story, raised=on, done=self.day_after(on, after))

    def day_after(self, day: date, working_days: int) -> date:
        found = day
        for _ in range(working_days):
            found = next_working_day(found + timedelta(days=1))
        return min(found, self.today)

    def work(self, order: WorkOrder, story: str, *, raised: date, done: date) -> None:
        """The voids contractor's side of one order, through the portal's services."""
        if story == "issued":
            return
        accepted = self.day_after(raised, 1)
        contractor_services.accept_order(order_id=order.pk, by=self.login,
                                         at=self.at(accepted, "08:45"))
        if story == "accepted":
            return
        if story == "booked":
            contractor_services.book_appointment(
                order_id=order.pk, date=working_day(self.today, 1), slot="am", by=self.login,
                at=self.at(accepted, "09:10"))
            return
        if story == "in_progress":
            contractor_services.start_work(order_id=order.pk, by=self.login,
                                           at=self.at(self.day(-1), "08:30"))
            return
        done = max(done, accepted)
        contractor_services.complete_order(
            order_id=order.pk, completed_on=done,
            notes=COMPLETION_NOTES.get(order.trade.code, "Work completed as ordered."),
            by=self.login, at=self.at(done, "15:15"))

    # -- letting --

    def offers(self, void: VoidPeriod, *, after: date) -> None:
        name, reference, reason = REFUSED
        offered = self.day_after(after, 1)
        first = letting.record_offer(void_id=void.pk, applicant_name=name,
                                     applicant_reference=reference, offered_on=offered,
                                     by=self.lettings, at=self.at(offered, "10:00"))
        refused = self.day_after(offered, 2)
        letting.record_outcome(void_id=void.pk, offer_id=first.pk,
                               outcome=Offer.Outcome.REFUSED, outcome_on=refused,
                               refusal_reason=reason, by=self.lettings,
                               at=self.at(refused, "14:30"))
        name, reference = PENDING
        offered = self.day_after(refused, 2)
        letting.record_offer(void_id=void.pk, applicant_name=name,
                             applicant_reference=reference, offered_on=offered,
                             by=self.lettings, at=self.at(offered, "10:30"))

    def let(self, void: VoidPeriod, *, after: date) -> None:
        person = NEW_TENANT
        name = f"{person['title']} {person['first_name']} {person['last_name']}"
        offered = self.day_after(after, 1)
        offer = letting.record_offer(void_id=void.pk, applicant_name=name,
                                     applicant_reference=NEW_TENANT_REFERENCE,
                                     offered_on=offered, by=self.lettings,
                                     at=self.at(offered, "10:15"))
        accepted = self.day_after(offered, 2)
        letting.record_outcome(void_id=void.pk, offer_id=offer.pk,
                               outcome=Offer.Outcome.ACCEPTED, outcome_on=accepted,
                               by=self.lettings, at=self.at(accepted, "11:00"))
        # The tenancy starts on the Monday after the acceptance (the rent week's first day;
        # the Tuesday after a bank holiday), or the next working day when that is to come.
        start = next_working_day(accepted + timedelta(days=7 - accepted.weekday()))
        if start > self.today:
            start = min(self.day_after(accepted, 1), self.today)
        signed = self.at(start, "10:00")
        tenant = Person.objects.filter(
            first_name=person["first_name"], last_name=person["last_name"],
            date_of_birth=person["date_of_birth"]).first()
        if tenant is None:
            tenant = create_person(by=self.lettings, at=signed, **person)
        tenancy_services.sign_up(property_id=void.property_id,
                                 tenancy_type=Tenancy.TenancyType.INTRODUCTORY,
                                 start_date=start, tenant_ids=[tenant.pk], by=self.lettings,
                                 at=signed)
