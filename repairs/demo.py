"""Repairs for the demo council (`manage.py seed_demo`).

Contractors: three companies, each with a contract covering every patch for its trades, a
price for every sample SOR code of those trades (a few pence off the schedule's, as a tendered
contract would be), capacity of 4 morning and 4 afternoon appointments a day per trade, and a
portal user. Adds only what is missing, so a rerun changes nothing. Spend limits by role come
with the defaults migration.

Then a history (`seed_repair_history`), so every repairs screen has something to show: about
40 repairs reported over the last 8 weeks (REPAIRS) on let homes, the demo tenants' among them,
and their work orders in every status: waiting for approval over the Repairs Officer's spend
limit, issued, accepted, booked, in progress, no access, completed (one late, rebooked past
its target by a Team Leader's override), invoiced (submitted and approved), one invoice
queried, paid, cancelled; a variation waiting for approval and one approved, a follow-on
order; and two Awaab's Law damp cases, one on time with its investigation and
written summary, one overdue (nobody has let the surveyor in) and escalated. Each step goes
through the service that does it in the system (repairs.services, contractor_services,
appointments, invoices, awaab) by the demo's own users, at a time in the past, so the history
rows are what the system would have written. It is added once: not when any repair request
exists, nor without the demo's staff (housing.demo) and let homes.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from unittest import mock

from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from housing.demo import DEMO_PASSWORD
from housing.models import Property, User
from housing.workdays import add_working_days, is_working_day, next_working_day
from repairs import appointments, awaab, contractor_services, invoices, services
from repairs.models import (
    Appointment,
    Capacity,
    Contract,
    Contractor,
    ContractorMember,
    ContractRate,
    HazardCase,
    Invoice,
    Priority,
    RepairRequest,
    SorCode,
    Trade,
    Variation,
    WorkOrder,
    WorkOrderEvent,
)
from tenancies.models import TenancyMember

CONTRACT_START = date(2024, 4, 1)
APPOINTMENTS = 4  # morning and afternoon, a day, per trade

# code, name, email, phone, contract reference, contract name, trades, portal user.
# contractor@ and contractor2@ are the contractor users the housing demo makes; the third
# company gets contractor3@.
CONTRACTORS = [
    ("valley-plumbing", "Valley Plumbing and Heating Ltd", "jobs@valley-plumbing.example",
     "01392 496100", "DEMO-PH-2024", "Responsive plumbing, heating and drainage",
     ["plumbing", "heating", "drainage"], ("contractor@demo.example", "Colin", "Lewis")),
    ("northgate-building", "Northgate Building Services Ltd",
     "repairs@northgate-building.example", "01392 496200", "DEMO-BT-2024",
     "Responsive building repairs",
     ["carpentry", "roofing", "plastering", "decorating", "glazing", "damp"],
     ("contractor2@demo.example", "Carla", "Morris")),
    ("castle-electrical", "Castle Electrical Contractors Ltd", "orders@castle-electrical.example",
     "01392 496300", "DEMO-EL-2024", "Responsive electrical repairs", ["electrical"],
     ("contractor3@demo.example", "Connor", "Nash")),
]
# The voids contractor does every trade, so a void inspection raises all its works to one
# company (voids.works); responsive repairs go to the three above.
VOID_CONTRACTOR = (
    "westcountry-voids", "Westcountry Void Services Ltd", "voids@westcountry-voids.example",
    "01392 496400", "DEMO-VO-2024", "Void works, all trades",
    ["plumbing", "heating", "drainage", "carpentry", "roofing", "plastering", "decorating",
     "glazing", "damp", "electrical", "voids"], ("contractor4@demo.example", "Vera", "Hughes"))
ALL_CONTRACTORS = [*CONTRACTORS, VOID_CONTRACTOR]


def price_difference(code: str) -> int:
    """A few pence either side of the schedule's price, the same for a code every time:
    -9p to +9p, never 0 (so the contract's price visibly wins)."""
    pence = sum(map(ord, code)) % 19 - 9
    return pence or 5


def demo_logins() -> list[tuple[str, str]]:
    """(email, company) for each contractor portal user the demo links, once seeded."""
    members = dict(ContractorMember.objects.filter(
        user__email__in=[login[0] for *_, login in ALL_CONTRACTORS]).values_list(
        "user__email", "contractor__name"))
    return [(email, members[email]) for *_, (email, _, _) in ALL_CONTRACTORS
            if email in members]


@transaction.atomic
def seed_repairs(*, history: bool = True, at: datetime | None = None) -> dict:
    """The demo contractors (their counts are returned), then, with `history`, the demo's
    repairs as at `at` (now unless given: this is the demo's seeding, not domain code)."""
    counts = {"contractors": 0, "portal_users": 0, "rates": 0, "capacities": 0}
    trades = {trade.code: trade for trade in Trade.objects.all()}
    rates, capacities = [], []
    for (code, name, email, phone, reference, contract_name, trade_codes,
         (login, first, last)) in ALL_CONTRACTORS:
        company, made = Contractor.objects.get_or_create(code=code, defaults={
            "name": name, "email": email, "phone": phone, "address": "Exeter"})
        counts["contractors"] += made
        # Every patch: a contract with no patches covers them all (repairs.models.Contract).
        contract, _ = Contract.objects.get_or_create(reference=reference, defaults={
            "contractor": company, "name": contract_name, "start_date": CONTRACT_START})
        its_trades = [trades[trade] for trade in trade_codes if trade in trades]
        contract.trades.add(*its_trades)
        user = User.objects.filter(email=login).first()
        if user is None:
            user = User.objects.create_user(email=login, password=DEMO_PASSWORD,
                                            first_name=first, last_name=last,
                                            kind=User.Kind.CONTRACTOR)
        if user.kind == User.Kind.CONTRACTOR:
            _, linked = ContractorMember.objects.get_or_create(
                user=user, defaults={"contractor": company})
            counts["portal_users"] += linked
        # The latest price of each SOR code of its trades (DISTINCT ON the code).
        latest = (SorCode.objects.filter(trade__in=its_trades).order_by("code", "-start_date")
                  .distinct("code").values_list("code", "unit_price_pence"))
        rates += [ContractRate(contract=contract, code=sor_code,
                               unit_price_pence=max(0, pence + price_difference(sor_code)))
                  for sor_code, pence in latest]
        capacities += [Capacity(contractor=company, trade=trade, am_jobs=APPOINTMENTS,
                                pm_jobs=APPOINTMENTS) for trade in its_trades]
    # The unique constraints (a rate per code per contract, a capacity per trade) make a
    # rerun add nothing.
    for model, rows, name in ((ContractRate, rates, "rates"),
                              (Capacity, capacities, "capacities")):
        before = model.objects.count()
        model.objects.bulk_create(rows, ignore_conflicts=True)
        counts[name] = model.objects.count() - before
    if history:
        seed_repair_history(at=at or timezone.now())
    return counts


# --- The history ------------------------------------------------------------------------------

STAFF = {"customer": "customer@demo.example", "repairs": "repairs@demo.example",
         "leader": "teamleader@demo.example"}
TENANTS = ("tenant@demo.example", "tenant2@demo.example")
INVOICE_PREFIX = {"valley-plumbing": "VPH", "northgate-building": "NBS",
                  "castle-electrical": "CEC"}
# How far an order got. An order's steps, each on a working day counted from its visit:
# invoiced 2 working days after the work was done, the invoice approved 2 later, paid 3 later.
STORIES = ("requested", "waiting", "issued", "accepted", "booked", "cancelled",
           "cancelled_booked", "no_access", "in_progress", "completed", "late", "queried",
           "invoiced", "approved", "paid")
INVOICED_AFTER, APPROVED_AFTER, PAID_AFTER = 2, 4, 7


@dataclass(frozen=True)
class Repair:
    """One demo repair: reported `raised` working days from today (negative: before), and its
    work order's `story` (STORIES). `visit` is the appointment's working day counted the same
    way (None: an emergency attended without one). `home`: "" for a home of its own, "tenant"
    or "tenant2" for a demo tenant's, or an earlier repair's key for the same home (a repeat
    problem). `follows`: an earlier repair's key, for a follow-on order on its request."""

    key: str
    raised: int
    story: str
    location: str = RepairRequest.Location.KITCHEN
    problem: str = ""
    trade: str = ""
    work: str = ""
    lines: tuple[tuple[str, str], ...] = ()
    priority: str = "routine"
    channel: str = RepairRequest.Channel.PHONE
    visit: int | None = None
    rebook: int | None = None  # a second visit after the first found nobody in
    home: str = ""
    follows: str = ""
    notes: str = "Work completed as ordered. Area left clean and tidy."
    variation: tuple[tuple[tuple[str, str], ...], str] | None = None
    variation_approved: bool = False
    damp: str = ""  # "on_time" or "overdue": an Awaab's Law case's later steps
    invoice_error: str = ""  # for the queried invoice: the line invoiced wrongly


REPAIRS: tuple[Repair, ...] = (
    Repair("leak", -40, "late", RepairRequest.Location.BATHROOM,
           "Water dripping through the bathroom ceiling from the flat above's pipework.",
           "plumbing", "Trace and repair the leak on the supply pipe in the bathroom ceiling "
           "void.", (("PL130", "1"),), visit=-36, rebook=-17,
           notes="Leak on the cold feed traced and repaired. Ceiling left to dry out."),
    Repair("radiator", -39, "paid", RepairRequest.Location.LIVING,
           "Radiator valve in the living room weeping onto the carpet.", "heating",
           "Renew the radiator valve in the living room.", (("HT810", "1"),), visit=-36),
    Repair("tap", -38, "paid", RepairRequest.Location.KITCHEN,
           "Kitchen cold tap drips all the time and will not turn off fully.", "plumbing",
           "Renew the kitchen cold tap washer or cartridge.", (("PL100", "1"),), visit=-35,
           home="tenant"),
    Repair("no-heat", -36, "paid", RepairRequest.Location.WHOLE,
           "No heating or hot water. The tenant is 82 and lives alone.", "heating",
           "Attend no heating or hot water: diagnose and repair the boiler.",
           (("HT800", "1"),), priority="emergency",
           notes="Boiler ignition lead replaced; heating and hot water working."),
    Repair("roof", -35, "paid", RepairRequest.Location.OUTSIDE,
           "Slates missing from the rear roof slope after the storm; damp patch in the back "
           "bedroom.", "roofing", "Replace slipped and broken tiles on the rear slope and "
           "clear the gutters.", (("RF400", "12"), ("RF410", "18")), visit=-31,
           notes="Twelve tiles replaced, gutters cleared front and rear."),
    Repair("door-lock", -33, "paid", RepairRequest.Location.HALL,
           "Front door lock broken: the household forced the door after losing their keys.",
           "carpentry", "Renew the front door lock cylinder and ease the door.",
           (("CA310", "1"), ("CA300", "1")), visit=-32),
    Repair("smoke-alarm", -31, "paid", RepairRequest.Location.HALL,
           "Mains smoke alarm in the hall keeps chirping and the light is off.", "electrical",
           "Renew the mains smoke alarm in the hall.", (("EL230", "1"),), visit=-29),
    Repair("overflow", -30, "paid", RepairRequest.Location.BATHROOM,
           "Toilet keeps running into the overflow.", "plumbing",
           "Renew the WC cistern syphon.", (("PL120", "1"),), visit=-27,
           variation=((("PL130", "1"),), "The cistern feed pipe is also leaking behind the "
                                          "WC: trace and repair it."),
           variation_approved=True,
           notes="Syphon renewed and leak on the cistern feed repaired."),
    Repair("window", -28, "paid", RepairRequest.Location.BEDROOM,
           "Bedroom window smashed in a break-in overnight; police have attended.", "glazing",
           "Board up the broken bedroom window.", (("GL700", "1"),), priority="emergency",
           channel=RepairRequest.Channel.PHONE, notes="Window boarded up the same morning."),
    Repair("drain", -27, "paid", RepairRequest.Location.OUTSIDE,
           "Gully outside the kitchen is blocked and smells.", "drainage",
           "Clear the blocked gully outside the kitchen.", (("DR900", "1"),), visit=-25),
    Repair("socket", -26, "approved", RepairRequest.Location.BEDROOM,
           "Double socket in the bedroom is cracked and sparked when used.", "electrical",
           "Renew the double socket outlet in the front bedroom.", (("EL200", "1"),),
           priority="urgent", visit=-24),
    Repair("valve", -25, "approved", RepairRequest.Location.BATHROOM,
           "Towel radiator valve stuck; radiator stays cold.", "heating",
           "Renew the towel radiator valve in the bathroom.", (("HT810", "1"),), visit=-22),
    Repair("damp-overdue", -24, "no_access", RepairRequest.Location.BEDROOM,
           "Black mould spreading across the back bedroom wall and ceiling; the children "
           "sleep in that room.", "damp",
           "Inspect the back bedroom for damp and mould, with moisture readings and a report.",
           (("DM960", "1"),), visit=-22, rebook=-18, damp="overdue"),
    Repair("paint", -23, "invoiced", RepairRequest.Location.LIVING,
           "Living room ceiling stained after last month's leak, now dry.", "decorating",
           "Prepare and paint the living room ceiling and one wall.", (("DC600", "20"),),
           visit=-19, home="tenant2"),
    Repair("basin", -22, "invoiced", RepairRequest.Location.BATHROOM,
           "Bathroom basin drains very slowly.", "plumbing",
           "Clear the blocked basin waste.", (("PL110", "1"),), visit=-20),
    Repair("cistern", -21, "queried", RepairRequest.Location.BATHROOM,
           "Toilet will not flush.", "plumbing", "Renew the WC cistern flush valve.",
           (("PL120", "1"),), visit=-18, invoice_error="quantity"),
    Repair("tap-fixed", -20, "cancelled", RepairRequest.Location.KITCHEN,
           "Hot tap in the kitchen is stiff.", "plumbing",
           "Renew the kitchen hot tap cartridge.", (("PL100", "1"),),
           notes="The tenant phoned: her son has fixed the tap. No longer needed."),
    Repair("cupboard", -4, "cancelled_booked", RepairRequest.Location.KITCHEN,
           "Kitchen cupboard door hanging off.", "carpentry",
           "Renew the kitchen unit door.", (("CA320", "1"),), visit=2,
           notes="Raised twice: the same repair is on an order from the tenant's earlier "
                 "call."),
    Repair("ceiling-plaster", -16, "accepted", follows="leak",
           work="Hack off and replaster the bathroom ceiling damaged by the leak, then paint.",
           trade="plastering", lines=(("PS500", "4"),)),
    Repair("tap-again", -12, "invoiced", RepairRequest.Location.KITCHEN,
           "Kitchen cold tap dripping again, weeks after it was repaired.", "plumbing",
           "Renew the kitchen cold tap cartridge (repeat repair).", (("PL100", "1"),),
           visit=-10, home="tap", notes="Cartridge renewed; the washer seat was worn."),
    Repair("switch", -9, "completed", RepairRequest.Location.HALL,
           "Landing light switch loose in the wall.", "electrical",
           "Renew the landing light switch.", (("EL210", "1"),), visit=-6),
    Repair("bathroom-plaster", -8, "in_progress", RepairRequest.Location.BATHROOM,
           "Bathroom wall plaster blown and crumbling behind the bath.", "plastering",
           "Hack off and replaster the bathroom wall behind the bath, then paint.",
           (("PS500", "20"), ("DC600", "20")), visit=-2, home="tenant2",
           variation=((("PS500", "40"),), "The blown plaster runs across both walls of the "
                                          "bathroom, not only behind the bath: 40 m² in all."),
           ),
    Repair("glazing", -8, "booked", RepairRequest.Location.LIVING,
           "Living room double glazing misted between the panes; the seals have gone.",
           "glazing", "Renew the double glazed units in the living room bay.",
           (("GL710", "10"),), visit=4),
    Repair("unit-door", -7, "completed", RepairRequest.Location.KITCHEN,
           "Kitchen unit door split down the middle.", "carpentry",
           "Renew the kitchen unit door.", (("CA320", "1"),), visit=-3),
    Repair("damp-on-time", -7, "completed", RepairRequest.Location.BEDROOM,
           "Mould on the bedroom ceiling and around the window; condensation every morning.",
           "damp", "Inspect the front bedroom for damp and mould, with moisture readings and "
                   "a report.", (("DM960", "1"),), visit=-2, damp="on_time",
           notes="Survey done: readings and photos in the report."),
    Repair("sink", -6, "no_access", RepairRequest.Location.KITCHEN,
           "Kitchen sink blocked; water will not drain at all.", "plumbing",
           "Clear the blocked kitchen sink waste.", (("PL110", "1"),), visit=-3),
    Repair("gutter", -5, "booked", RepairRequest.Location.OUTSIDE,
           "Gutter over the front door overflows when it rains.", "roofing",
           "Clear the front gutter and downpipe.", (("RF410", "8"),), visit=3),
    Repair("boiler", -4, "in_progress", RepairRequest.Location.WHOLE,
           "Boiler pressure keeps dropping; heating cuts out.", "heating",
           "Diagnose and repair the boiler losing pressure.", (("HT800", "1"),),
           priority="urgent", visit=-2),
    Repair("roof-leak", -3, "waiting", RepairRequest.Location.OUTSIDE,
           "Roof leaking into the loft in several places.", "roofing",
           "Replace broken tiles across the front and rear slopes and clear the gutters.",
           (("RF400", "12"), ("RF410", "20")), channel=RepairRequest.Channel.INSPECTION),
    Repair("wc-tap", -3, "booked", RepairRequest.Location.BATHROOM,
           "Bath cold tap drips.", "plumbing", "Renew the bath cold tap washer.",
           (("PL100", "1"),), visit=2, home="tenant"),
    Repair("fuse", -2, "in_progress", RepairRequest.Location.WHOLE,
           "Electrics trip whenever the kettle is on.", "electrical",
           "Test and make safe the kitchen ring circuit after the fault.",
           (("EL220", "1"),), priority="urgent", visit=-1),
    Repair("replaster", -2, "waiting", RepairRequest.Location.LIVING,
           "Walls in the living room and hall cracked and hollow after the subsidence "
           "works.", "plastering", "Hack off and replaster the living room and hall walls.",
           (("PS500", "42"),), channel=RepairRequest.Channel.INSPECTION),
    Repair("smoke-detector", -2, "booked", RepairRequest.Location.HALL,
           "Smoke alarm on the landing does not test.", "electrical",
           "Renew the mains smoke alarm on the landing.", (("EL230", "1"),), visit=1),
    Repair("socket-2", -2, "accepted", RepairRequest.Location.KITCHEN,
           "Kitchen socket scorched behind the toaster.", "electrical",
           "Renew the scorched kitchen socket outlet.", (("EL200", "1"),), priority="urgent"),
    Repair("outside-drain", -1, "booked", RepairRequest.Location.OUTSIDE,
           "Drain at the back of the house overflowing onto the path.", "drainage",
           "Clear the blocked drain at the rear.", (("DR900", "1"),), priority="urgent",
           visit=1),
    Repair("pipe", -1, "issued", RepairRequest.Location.KITCHEN,
           "Pipe under the kitchen sink leaking into the cupboard.", "plumbing",
           "Trace and repair the leak under the kitchen sink.", (("PL130", "1"),)),
    Repair("lock", -1, "issued", RepairRequest.Location.HALL,
           "Back door lock stiff; the key sometimes will not turn.", "carpentry",
           "Renew the back door lock cylinder.", (("CA310", "1"),)),
    Repair("extractor", -1, "requested", RepairRequest.Location.KITCHEN,
           "Kitchen extractor fan has stopped working."),
    Repair("banister", -1, "requested", RepairRequest.Location.HALL,
           "Stair banister loose at the bottom post.", channel=RepairRequest.Channel.EMAIL),
    Repair("fence", -1, "requested", RepairRequest.Location.OUTSIDE,
           "Fence panel between the gardens blown down.",
           channel=RepairRequest.Channel.IN_PERSON),
)


def working_day(today: date, offset: int) -> date:
    """The working day `offset` working days after today (before it when negative; for 0,
    today if it is one, else the next), on the one calendar (housing.workdays)."""
    if offset >= 0:
        return add_working_days(today, offset) if offset else next_working_day(today)
    day, count = today, -offset
    while count:
        day -= timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _at(day: date, clock: str) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@contextmanager
def _quietly() -> Iterator[None]:
    """The history is the past: nobody is emailed now. The services queue their emails (to
    the contractor, to the tenants) for after the seed commits; each still runs, and writes
    its history row, but through Django's dummy email backend (no console full of old
    emails, nothing sent through a real mail server). The letters the services make as PDFs
    (to tenants with no email address, the Awaab's Law summary) are made without WeasyPrint's
    progress lines on the console."""
    queue = transaction.on_commit

    def on_commit(func, using=None, robust=False):
        def quietly():
            with override_settings(
                    EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
                func()

        queue(quietly, using=using, robust=robust)

    pdf_log = logging.getLogger("weasyprint")
    level = pdf_log.level
    pdf_log.setLevel(max(level, logging.WARNING))
    try:
        with mock.patch.object(transaction, "on_commit", on_commit):
            yield
    finally:
        pdf_log.setLevel(level)


class _Seeder:
    def __init__(self, *, at: datetime, users: dict[str, User]) -> None:
        self.today = timezone.localdate(at)
        self.now = at
        self.users = users
        self.priorities = {priority.code: priority for priority in Priority.objects.all()}
        self.trades = {trade.code: trade for trade in Trade.objects.all()}
        self.companies = {
            trade: Contractor.objects.get(code=code)
            for code, *_rest, trade_codes, _login in CONTRACTORS for trade in trade_codes}
        self.logins = {member.contractor_id: member.user for member in
                       ContractorMember.objects.select_related("user")
                       .filter(user__email__in=[login for *_, (login, _f, _l) in CONTRACTORS])}
        self.homes = _homes(len(REPAIRS))
        self.fresh = iter(self.homes["spread"])
        self.done: dict[str, tuple[RepairRequest, WorkOrder | None]] = {}
        self.invoices = dict.fromkeys(INVOICE_PREFIX, 4100)

    def day(self, offset: int) -> date:
        return working_day(self.today, offset)

    def at(self, offset: int, clock: str) -> datetime:
        moment = _at(self.day(offset), clock)
        if moment > self.now:
            raise ValueError(f"A demo repair step at {moment} is in the future.")
        return moment

    def home_for(self, repair: Repair):
        if repair.home in ("tenant", "tenant2"):
            home = self.homes[repair.home]
            if home is not None:
                return home
        elif repair.home:
            return self.homes["by_key"][repair.home]
        home = next(self.fresh, None)
        if home is None:  # a tiny council: homes take more than one repair
            self.fresh = iter(self.homes["spread"])
            home = next(self.fresh)
        return home

    # -- one repair --

    def play(self, index: int, repair: Repair) -> None:
        if repair.follows:
            request = self.done[repair.follows][0]
        else:
            home, tenant_id = self.home_for(repair)
            self.homes["by_key"][repair.key] = (home, tenant_id)
            officer_raised = repair.channel == RepairRequest.Channel.INSPECTION
            request = services.raise_request(
                property_id=home.pk, location=repair.location, description=repair.problem,
                priority_id=self.priorities[repair.priority].pk, channel=repair.channel,
                is_damp_mould=bool(repair.damp),
                reported_by_id=None if officer_raised else tenant_id,
                by=self.users["repairs" if officer_raised else "customer"],
                at=self.at(repair.raised, "08:35" if repair.priority == "emergency"
                           else f"09:{index % 50 + 5:02d}"))
        order = None
        if repair.story != "requested":
            order = self.order(index, repair, request)
        self.done[repair.key] = (request, order)
        if repair.damp == "overdue":
            self.damp_overdue(repair, request)
        elif repair.damp == "on_time":
            self.damp_on_time(repair, request)

    def order(self, index: int, repair: Repair, request: RepairRequest) -> WorkOrder:
        story, repairs_officer = repair.story, self.users["repairs"]
        company = self.companies[repair.trade]
        contractor = self.logins[company.pk]
        raised = repair.raised
        order = services.raise_order(
            request_id=request.pk, contractor_id=company.pk,
            trade_id=self.trades[repair.trade].pk, description=repair.work or repair.problem,
            lines=list(repair.lines),
            parent_id=self.done[repair.follows][1].pk if repair.follows else None,
            by=repairs_officer, at=self.at(raised, "08:50" if repair.priority == "emergency"
                                           else "09:55"))
        if story == "waiting":
            return order
        if order.status == WorkOrder.Status.RAISED:  # over the Repairs Officer's limit
            services.approve_order(order_id=order.pk, by=self.users["leader"],
                                   at=self.at(raised, "10:20"))
        if story == "cancelled":
            services.cancel_order(order_id=order.pk, reason=repair.notes,
                                  by=repairs_officer, at=self.at(raised + 1, "11:05"))
            return order
        if story == "issued":
            return order
        contractor_services.accept_order(order_id=order.pk, by=contractor,
                                         at=self.at(raised, "10:40"))
        if story == "accepted":
            return order
        morning = index % 2 == 0
        slot = "am" if morning else "pm"
        if repair.visit is not None:
            book = (contractor_services.book_appointment if index % 3 else appointments.book)
            book(order_id=order.pk, date=self.day(repair.visit), slot=slot,
                 by=contractor if index % 3 else repairs_officer, at=self.at(raised, "11:30"))
        if story == "booked":
            return order
        if story == "cancelled_booked":
            services.cancel_order(order_id=order.pk, reason=repair.notes,
                                  by=repairs_officer, at=self.at(raised + 1, "11:05"))
            return order
        visit = raised if repair.visit is None else repair.visit
        started = "11:10" if repair.visit is None else "09:20" if morning else "13:20"
        if story in ("no_access", "late"):
            contractor_services.mark_no_access(
                order_id=order.pk, note="Called at the door and phoned the tenant: no answer. "
                                        "Card left asking them to call to rebook.",
                by=contractor, at=self.at(visit, "10:45" if morning else "14:45"))
            if repair.rebook is None:
                return order
            if story == "late":
                # After its target date: only a supervisor's override books it (recorded).
                appointments.book(
                    order_id=order.pk, date=self.day(repair.rebook), slot=slot,
                    by=self.users["leader"], at=self.at(visit + 1, "09:30"),
                    override_reason="The tenant was in hospital and could not give access "
                                    "before the target date.")
            else:
                appointments.book(order_id=order.pk, date=self.day(repair.rebook), slot=slot,
                                  by=repairs_officer, at=self.at(visit + 1, "09:30"))
                contractor_services.mark_no_access(
                    order_id=order.pk, note="Second visit: no answer again. Card left.",
                    by=contractor, at=self.at(repair.rebook, "10:45" if morning else "14:45"))
                return order
            visit = repair.rebook
        contractor_services.start_work(order_id=order.pk, by=contractor,
                                       at=self.at(visit, started))
        if repair.variation:
            lines, reason = repair.variation
            variation = contractor_services.request_variation(
                order_id=order.pk, lines=list(lines), reason=reason, by=contractor,
                at=self.at(visit, "10:15" if morning else "14:15"))
            if repair.variation_approved:
                services.approve_variation(
                    variation_id=variation.pk, note="Agreed on the phone with the contractor.",
                    by=repairs_officer, at=self.at(visit, "10:50" if morning else "14:50"))
        if story == "in_progress":
            return order
        contractor_services.complete_order(
            order_id=order.pk, completed_on=self.day(visit), notes=repair.notes,
            by=contractor, at=self.at(visit, "12:10" if morning else "16:10"))
        if story in ("completed", "late"):
            return order
        ordered = invoices.ordered_lines(order)
        lines = [(line.code, str(line.quantity), line.unit_price_pence) for line in ordered]
        if repair.invoice_error == "quantity":  # invoiced 2 where 1 was ordered
            code, _quantity, price = lines[0]
            lines[0] = (code, "2", price)
        prefix = INVOICE_PREFIX[company.code]
        self.invoices[company.code] += 1
        invoice = invoices.submit_invoice(
            order_id=order.pk, number=f"{prefix}-{self.invoices[company.code]}", lines=lines,
            by=contractor, at=self.at(visit + INVOICED_AFTER, "16:30"))
        if story in ("queried", "invoiced"):
            return order
        invoices.approve_invoice(invoice_id=invoice.pk, by=repairs_officer,
                                 at=self.at(visit + APPROVED_AFTER, "11:15"))
        if story == "approved":
            return order
        invoices.mark_paid(invoice_id=invoice.pk, by=self.users["leader"],
                           at=self.at(visit + PAID_AFTER, "15:00"))
        return order

    # -- Awaab's Law --

    def damp_overdue(self, repair: Repair, request: RepairRequest) -> None:
        """Nobody has let the surveyor in: the investigation is overdue, and the daily
        escalation put the case on the Team Leaders' list the morning after its deadline."""
        case = request.hazard_cases.get()
        day = next_working_day(case.investigate_due + timedelta(days=1))
        awaab.escalate_overdue(today=day, at=_at(day, "07:00"))
        awaab.add_note(case_id=case.pk, text="Two visits with no answer. Letter sent asking the "
                                             "tenant to call to arrange the survey; the "
                                             "housing officer will call round.",
                       by=self.users["repairs"], at=_at(next_working_day(day), "11:20"))

    def damp_on_time(self, repair: Repair, request: RepairRequest) -> None:
        """The survey done and recorded, the written summary sent the next day, and the works
        ordered and booked: the safety works clock is running, with days left."""
        case = request.hazard_cases.get()
        officer = self.users["repairs"]
        surveyed = repair.visit
        awaab.record_investigation(
            case_id=case.pk, investigated_on=self.day(surveyed),
            findings="Condensation mould on the ceiling and around the window reveal, about "
                     "12 m². Moisture readings normal in the walls: no penetrating or rising "
                     "damp. No extractor fan in the bathroom next door.",
            severity="significant", by=officer, at=self.at(surveyed, "16:40"))
        awaab.send_summary(
            case_id=case.pk, sent_on=self.day(surveyed + 1),
            text="We will treat the mould and fit a humidity-controlled extractor fan. Our "
                 "contractor, Northgate Building Services, will contact you to arrange it "
                 "within five working days.",
            by=officer, at=self.at(surveyed + 1, "10:05"))
        works = services.raise_order(
            request_id=request.pk, contractor_id=self.companies["damp"].pk,
            trade_id=self.trades["damp"].pk,
            description="Mould wash and treat the bedroom ceiling and window reveal; fit a "
                        "humidity-controlled extractor fan in the bathroom (Awaab's Law "
                        "safety works).",
            lines=[("DM950", "12"), ("DM970", "1")], by=officer,
            at=self.at(surveyed + 1, "10:30"))
        contractor = self.logins[self.companies["damp"].pk]
        contractor_services.accept_order(order_id=works.pk, by=contractor,
                                         at=self.at(surveyed + 1, "11:45"))
        contractor_services.book_appointment(order_id=works.pk, date=self.day(2),
                                             slot="all_day", by=contractor,
                                             at=self.at(surveyed + 1, "12:00"))


def _homes(count: int) -> dict:
    """Let homes and a tenant of each: the demo tenants' homes, and `count` more spread evenly
    over the register (so every patch has repairs). {"tenant": (home, person id) or None,
    "tenant2": ..., "spread": [(home, person id)], "by_key": {}}."""
    live = (TenancyMember.objects.filter(role=TenancyMember.Role.TENANT, end_date__isnull=True,
                                         tenancy__end_date__isnull=True,
                                         tenancy__property__kind=Property.Kind.DWELLING)
            .order_by("tenancy__property_id", "start_date", "pk"))
    tenants = {}
    for email in TENANTS:
        person_id = User.objects.filter(email=email).values_list("person_id", flat=True).first()
        member = live.filter(person_id=person_id).select_related("tenancy__property").first() \
            if person_id else None
        tenants[email] = (member.tenancy.property, member.person_id) if member else None
    taken = {pair[0].pk for pair in tenants.values() if pair}
    first = dict(live.exclude(tenancy__property_id__in=taken)
                 .values_list("tenancy__property_id", "person_id").order_by(
                     "-tenancy__property_id", "-start_date", "-pk"))  # the first tenant wins
    ids = sorted(first)
    step = max(1, len(ids) // max(count, 1))
    chosen = ids[::step][:count]
    homes = Property.objects.in_bulk(chosen)
    return {"tenant": tenants[TENANTS[0]], "tenant2": tenants[TENANTS[1]],
            "spread": [(homes[pk], first[pk]) for pk in chosen], "by_key": {}}


@transaction.atomic
def seed_repair_history(*, at: datetime) -> dict:
    """The demo repairs (see the module's docstring) as at `at`. Returns how many of each
    were made: nothing when there are repair requests already, or no demo staff or let
    homes."""
    if RepairRequest.objects.exists():
        return {}
    users = {role: User.objects.filter(email=email).first() for role, email in STAFF.items()}
    if not all(users.values()) or not ContractorMember.objects.exists():
        return {}
    seeder = _Seeder(at=at, users=users)
    if not seeder.homes["spread"]:
        return {}
    with _quietly():
        for index, repair in enumerate(sorted(REPAIRS, key=lambda item: item.raised)):
            seeder.play(index, repair)
    return history_counts()


def history_counts() -> dict:
    return {"requests": RepairRequest.objects.count(), "orders": WorkOrder.objects.count(),
            "events": WorkOrderEvent.objects.count(),
            "appointments": Appointment.objects.count(), "invoices": Invoice.objects.count(),
            "variations": Variation.objects.count(), "hazard_cases": HazardCase.objects.count()}
