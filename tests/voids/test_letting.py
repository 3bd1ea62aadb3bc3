"""Letting a void home: offers only when ready to let, answers (a refusal needs its reason;
refused or withdrawn puts the home back to ready), and the letting itself through
tenancies.services.sign_up, the service behind the one sign-up screen (its page is tested in
test_letting_views.py): it closes the void, starts the rent, tells Council Tax and keeps the CORE
record, or refuses and leaves nothing saved."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from housing.models import Person, Property
from rents.models import RentAccount, Transaction
from rents.services import post_rent_run, rent_week_for
from repairs import services as repair_services
from repairs.models import Priority, Trade
from tenancies import services as tenancy_services
from tenancies.models import Tenancy, TenancyEvent
from tests.housing.factories import PersonFactory, PropertyFactory
from tests.voids.conftest import AT, ENDED, RENT_PENCE, SERVICE_PENCE
from voids import letting, services
from voids.models import LettingLog, OccupancyChange, Offer, SafetyCheck, Stage, VoidPeriod
from voids.services import relet_days

pytestmark = pytest.mark.django_db

OFFERED, ACCEPTED = date(2026, 12, 3), date(2026, 12, 4)
START = date(2026, 12, 9)  # a Wednesday: the rent week of Monday 7 December is 5 days let
BORN = date(1990, 5, 17)


def offer(void, by, *, name="Mrs Jane Smith", on=OFFERED, reference="HR-1234") -> Offer:
    return letting.record_offer(void_id=void.pk, applicant_name=name,
                                applicant_reference=reference, offered_on=on, by=by, at=AT)


def answer(void, made, by, outcome, *, on=ACCEPTED, reason="") -> Offer:
    return letting.record_outcome(void_id=void.pk, offer_id=made.pk, outcome=outcome,
                                  outcome_on=on, refusal_reason=reason, by=by, at=AT)


def accepted(void, by, **kwargs) -> Offer:
    return answer(void, offer(void, by, **kwargs), by, "accepted")


def sign(void, by, *, tenants=None, **changes) -> Tenancy:
    """Let the void through tenancies.services.sign_up, the service the one sign-up screen
    (/tenancies/sign-up/?property=<id>) calls: to a new person record for Mrs Jane Smith (a
    title or name in `changes` changes it), or to `tenants`. The rest of `changes` goes to the
    service."""
    person = {name: changes.pop(name, value) for name, value in (
        ("title", "Mrs"), ("first_name", "Jane"), ("last_name", "Smith"), ("date_of_birth", BORN))}
    if tenants is None:
        tenants = [PersonFactory(**person)]
    arguments = {"tenancy_type": "introductory", "start_date": START, **changes}
    return tenancy_services.sign_up(property_id=void.property_id,
                                    tenant_ids=[tenant.pk for tenant in tenants], by=by, at=AT,
                                    **arguments)


def messages(error: ValidationError) -> list[str]:
    return error.value.messages


def _stage(void) -> str:
    void.refresh_from_db()
    return void.stage


# --- Offers -----------------------------------------------------------------------------------


def test_an_offer_is_refused_until_the_home_is_ready_to_let(void, lettings_officer):
    with pytest.raises(ValidationError) as error:
        offer(void, lettings_officer)
    assert messages(error) == [
        "The home is not ready to let: The void inspection has not been recorded. No gas "
        "safety check is recorded in this void. No electrical safety check (EICR) is recorded "
        "in this void."]
    assert not Offer.objects.exists()
    assert _stage(void) == Stage.KEYS_IN


def test_an_offer_moves_the_ready_home_to_offered(void, make_ready, lettings_officer):
    make_ready(void)
    made = offer(void, lettings_officer)
    assert (made.applicant_name, made.applicant_reference, made.offered_on, made.outcome) == (
        "Mrs Jane Smith", "HR-1234", OFFERED, "pending")
    assert made.recorded_by == lettings_officer
    assert _stage(void) == Stage.OFFERED
    last = void.stages.order_by("-pk").first()
    assert (last.stage, last.on, last.summary, last.by) == (
        Stage.OFFERED, OFFERED, "Offered to Mrs Jane Smith (HR-1234)", lettings_officer)


def test_a_second_offer_is_refused_while_one_is_open(void, make_ready, lettings_officer):
    make_ready(void)
    offer(void, lettings_officer)
    with pytest.raises(ValidationError) as error:
        offer(void, lettings_officer, name="Mr Bob Jones")
    assert messages(error) == [
        "The home is not ready to let: it has already been offered to Mrs Jane Smith on 3 "
        "December 2026. Record the answer to that offer first."]
    assert Offer.objects.count() == 1


@pytest.mark.parametrize(("name", "on", "field", "message"), [
    ("", OFFERED, "applicant_name", "Enter the applicant's name."),
    ("Mrs Jane Smith", date(2026, 12, 10), "offered_on",
     "The date of the offer must be today or in the past."),
    # make_ready: ready to let on 2 December 2026; an offer before then is a mistake
    ("Mrs Jane Smith", date(2026, 12, 1), "offered_on",
     "The date of the offer cannot be before the home was ready to let (2 December 2026)."),
    ("Mrs Jane Smith", None, "offered_on", "Enter the date of the offer."),
])
def test_an_offer_needs_a_name_and_a_date_in_the_void(void, make_ready, lettings_officer, name,
                                                      on, field, message):
    make_ready(void)
    with pytest.raises(ValidationError) as error:
        offer(void, lettings_officer, name=name, on=on)
    assert error.value.message_dict == {field: [message]}
    assert not Offer.objects.exists()
    assert _stage(void) == Stage.READY


# --- Answers ----------------------------------------------------------------------------------


def test_a_refusal_needs_a_reason(void, make_ready, lettings_officer):
    make_ready(void)
    made = offer(void, lettings_officer)
    with pytest.raises(ValidationError) as error:
        answer(void, made, lettings_officer, "refused", reason="  ")
    assert error.value.message_dict == {
        "refusal_reason": ["Enter why the applicant refused the offer."]}
    made.refresh_from_db()
    assert made.outcome == "pending" and made.outcome_on is None
    assert _stage(void) == Stage.OFFERED


def test_an_answer_cannot_be_dated_before_the_offer_or_in_the_future(void, make_ready,
                                                                     lettings_officer):
    make_ready(void)
    made = offer(void, lettings_officer)
    for on, message in ((date(2026, 12, 2), "The date of the answer cannot be before the "
                                            "offer was made (3 December 2026)."),
                        (date(2026, 12, 10), "The date of the answer must be today or in the "
                                             "past.")):
        with pytest.raises(ValidationError) as error:
            answer(void, made, lettings_officer, "accepted", on=on)
        assert error.value.message_dict == {"outcome_on": [message]}
    made.refresh_from_db()
    assert made.outcome == "pending"


@pytest.mark.parametrize(("outcome", "reason", "summary"), [
    ("refused", "Too far from her work", "Mrs Jane Smith refused the offer: ready to let again"),
    ("withdrawn", "", "Offer to Mrs Jane Smith withdrawn: ready to let again"),
])
def test_a_refused_or_withdrawn_offer_puts_the_home_back_to_ready_for_the_next_offer(
        void, make_ready, lettings_officer, outcome, reason, summary):
    make_ready(void)
    first = answer(void, offer(void, lettings_officer), lettings_officer, outcome,
                   reason=reason)
    assert (first.outcome, first.outcome_on, first.refusal_reason) == (outcome, ACCEPTED, reason)
    assert _stage(void) == Stage.READY
    last = void.stages.order_by("-pk").first()
    assert (last.stage, last.on, last.summary, last.note) == (Stage.READY, ACCEPTED, summary,
                                                              reason)
    second = offer(void, lettings_officer, name="Mr Bob Jones", on=date(2026, 12, 5))
    assert second.outcome == "pending"
    assert _stage(void) == Stage.OFFERED
    with pytest.raises(ValidationError) as error:  # the first offer's answer is final
        answer(void, first, lettings_officer, "accepted", on=date(2026, 12, 5))
    assert "Record a new offer instead." in messages(error)[0]


def test_an_accepted_offer_that_falls_through_can_be_recorded_as_refused(void, make_ready,
                                                                         lettings_officer):
    make_ready(void)
    made = accepted(void, lettings_officer)
    assert _stage(void) == Stage.OFFERED
    assert void.stages.order_by("-pk").first().summary == "Mrs Jane Smith accepted the offer"
    answer(void, made, lettings_officer, "refused", on=date(2026, 12, 6), reason="Changed mind")
    made.refresh_from_db()
    assert (made.outcome, made.outcome_on, made.refusal_reason) == (
        "refused", date(2026, 12, 6), "Changed mind")
    assert _stage(void) == Stage.READY


def test_an_offer_of_another_void_is_refused(void, make_ready, lettings_officer, north):
    from tests.voids.conftest import end, let_home

    other = make_ready(end(let_home(north, address="6 Orchard Close")))
    made = offer(other, lettings_officer)
    with pytest.raises(ValidationError):
        letting.record_outcome(void_id=void.pk, offer_id=made.pk, outcome="accepted",
                               outcome_on=ACCEPTED, by=lettings_officer, at=AT)


# --- Sign-up: tenancies.services.sign_up lets the void ---------------------------------------


def test_split_name():
    """The accepted offer's name, as the sign-up screen prefills the lead tenant from it."""
    assert letting.split_name("Mrs Grace Okafor") == ("Mrs", "Grace", "Okafor")
    assert letting.split_name("Mrs Jane Ann Smith") == ("Mrs", "Jane Ann", "Smith")
    assert letting.split_name("  jane   smith ") == ("", "jane", "smith")
    assert letting.split_name("Dr. Okafor") == ("Dr", "Okafor", "")
    assert letting.split_name("Cher") == ("", "Cher", "")


def test_times_offered_counts_every_offer(void, make_ready, lettings_officer):
    make_ready(void)
    answer(void, offer(void, lettings_officer, name="Mr Bob Jones"), lettings_officer, "refused",
           reason="Wants a garden")
    answer(void, offer(void, lettings_officer, name="Ms Ann Lee"), lettings_officer, "withdrawn")
    accepted(void, lettings_officer)
    tenancy = sign(void, lettings_officer)
    assert LettingLog.objects.get(tenancy=tenancy).times_offered == 3


def test_the_sign_up_closes_the_void_starts_the_rent_and_tells_council_tax(
        void, make_ready, lettings_officer):
    make_ready(void)
    accepted(void, lettings_officer)
    jane = PersonFactory(title="Mrs", first_name="Jane", last_name="Smith", date_of_birth=BORN)
    tenancy = sign(void, lettings_officer, tenants=[jane])

    # The tenancy, its tenant and its sign-up event; the home is rented again.
    assert (tenancy.tenancy_type, tenancy.start_date, tenancy.end_date) == (
        "introductory", START, None)
    assert list(tenancy.members.values_list("person", "role", "start_date")) == [
        (jane.pk, "tenant", START)]
    assert list(tenancy.events.values_list("kind", flat=True)) == [TenancyEvent.Kind.SIGN_UP]
    assert Property.objects.get(pk=void.property_id).tenure == Property.Tenure.RENTED

    # The void is closed: let from the start, relet days from the old tenancy's end.
    void.refresh_from_db()
    assert (void.stage, void.let_date, void.new_tenancy) == (Stage.LET, START, tenancy)
    assert relet_days(void) == (START - ENDED).days == 10
    last = void.stages.order_by("-pk").first()
    assert (last.stage, last.on, last.summary, last.by) == (
        Stage.LET, START, f"Let: tenancy {tenancy.reference} starts 9 December 2026",
        lettings_officer)

    # Council Tax is told once, and the CORE record keeps the charges in force.
    assert list(OccupancyChange.objects.filter(void=void).order_by("date").values_list(
        "event", "date")) == [("void", date(2026, 11, 30)), ("let", START)]
    log = LettingLog.objects.get()
    assert (log.void, log.tenancy, log.uprn, log.postcode, log.property_type, log.bedrooms,
            log.tenancy_type, log.start_date, log.weekly_rent_pence, log.weekly_service_pence,
            log.vacancy_reason, log.void_date, log.relet_date, log.times_offered,
            log.void_type) == (
        void, tenancy, void.property.uprn, "EX2 4QR", "house", 2, "introductory", START,
        RENT_PENCE, SERVICE_PENCE, "notice", ENDED, START, 1, "standard")

    # Rent starts from the start date: the first week is charged for its 5 days let,
    # rounded once per charge: £100.00 x 5/7 = £71.43 and £5.00 x 5/7 = £3.57.
    account = RentAccount.objects.get(tenancy=tenancy)
    assert account.opened_on == START
    post_rent_run(week=rent_week_for(on=date(2026, 12, 7)), by=None, at=AT)
    assert sorted(Transaction.objects.filter(account=account).values_list(
        "charge_type__code", "amount_pence", "posted_on")) == [
        ("cleaning", 357, date(2026, 12, 7)), ("rent", 7143, date(2026, 12, 7))]


def test_a_let_void_cannot_be_let_again(void, make_ready, lettings_officer):
    make_ready(void)
    accepted(void, lettings_officer)
    first = sign(void, lettings_officer)
    with pytest.raises(ValidationError) as error:
        sign(void, lettings_officer, first_name="Bob", start_date=date(2026, 12, 14))
    assert messages(error) == ["4 Orchard Close, EX2 4QR is rented, not void: only a void or "
                               "new home can be let."]
    assert list(Tenancy.objects.filter(start_date__gte=START)) == [first]
    assert LettingLog.objects.count() == 1
    assert OccupancyChange.objects.filter(event="let").count() == 1


def _open_works(void, by, contractor):
    request = repair_services.raise_request(
        property_id=void.property_id, location="whole", description="Void works",
        priority_id=Priority.objects.get(code="void_standard").pk, channel="inspection",
        by=by, at=AT)
    order = repair_services.raise_order(
        request_id=request.pk, contractor_id=contractor.pk,
        trade_id=Trade.objects.get(code="voids").pk, description="Void works: clearance",
        lines=[("VO100", 1)], by=by, at=AT)
    VoidPeriod.objects.filter(pk=void.pk).update(repair_request=request)
    return order


def _refused(void, by, **changes) -> list[str]:
    """Sign up a tenant recorded beforehand, expecting a refusal: its messages. Nothing is
    saved: no tenancy, the void still open at its stage, no CORE record, Council Tax not told
    of a let, no rent account, the home still void, and no person record made."""
    tenant = PersonFactory(first_name="Jane", last_name="Smith", date_of_birth=BORN)
    stage, people = VoidPeriod.objects.get(pk=void.pk).stage, Person.objects.count()
    with pytest.raises(ValidationError) as error:
        sign(void, by, tenants=[tenant], **changes)
    assert Person.objects.count() == people
    assert not Tenancy.objects.filter(start_date__gte=date(2026, 11, 1)).exists()
    void.refresh_from_db()
    assert (void.stage, void.let_date, void.new_tenancy) == (stage, None, None)
    assert not LettingLog.objects.exists()
    assert not OccupancyChange.objects.filter(event="let").exists()
    assert not RentAccount.objects.filter(opened_on__gte=date(2026, 11, 1)).exists()
    assert Property.objects.get(pk=void.property_id).tenure == Property.Tenure.VOID
    return messages(error)


def test_the_sign_up_is_refused_while_works_are_open(void, make_ready, lettings_officer,
                                                     voids_contractor):
    make_ready(void)
    accepted(void, lettings_officer)
    order = _open_works(void, lettings_officer, voids_contractor)
    assert _refused(void, lettings_officer) == [
        "4 Orchard Close, EX2 4QR cannot be let yet.",
        f"Works orders still open: {order.reference} ({order.get_status_display().lower()})."]


def test_the_sign_up_is_refused_with_a_safety_check_missing(void, make_ready, lettings_officer):
    make_ready(void)
    accepted(void, lettings_officer)
    SafetyCheck.objects.filter(void=void, kind="gas").delete()
    assert _refused(void, lettings_officer) == [
        "4 Orchard Close, EX2 4QR cannot be let yet.",
        "No gas safety check is recorded in this void."]


def test_the_sign_up_is_refused_without_an_accepted_offer(void, make_ready, lettings_officer):
    make_ready(void)
    offer(void, lettings_officer)  # still waiting for an answer
    assert _refused(void, lettings_officer) == [
        f"4 Orchard Close, EX2 4QR cannot be let yet: record the offer and its acceptance on "
        f"void {void.reference} first."]


@pytest.fixture
def new_build_void(north, make_ready, lettings_officer):
    """A new home recorded void from Tuesday 1 December 2026 (no tenancy before it), ready to
    let and its offer accepted."""
    home = PropertyFactory(patch=north, address_line_1="21 Quay Hill", postcode="EX2 4AN")
    void = services.record_void(property_id=home.pk, start_date=date(2026, 12, 1),
                                reason="new_build", by=lettings_officer, at=AT)
    make_ready(void, on=date(2026, 12, 2))
    accepted(void, lettings_officer)
    return void


def test_the_sign_up_is_refused_before_the_void_began(new_build_void, lettings_officer):
    assert _refused(new_build_void, lettings_officer, start_date=date(2026, 11, 30)) == [
        "The tenancy cannot start before the void began (1 December 2026)."]
    tenancy = sign(new_build_void, lettings_officer, start_date=date(2026, 12, 7))
    new_build_void.refresh_from_db()
    assert (new_build_void.let_date, new_build_void.new_tenancy) == (date(2026, 12, 7), tenancy)
    assert relet_days(new_build_void) == 7  # 1 to 7 December


def test_the_sign_up_is_refused_before_the_home_was_offered(new_build_void, lettings_officer):
    # Offered on Thursday 3 December: a tenancy from the day before is a typing mistake.
    assert _refused(new_build_void, lettings_officer, start_date=date(2026, 12, 2)) == [
        "The tenancy cannot start before the home was offered to Mrs Jane Smith "
        "(3 December 2026)."]
    assert not Tenancy.objects.filter(property_id=new_build_void.property_id).exists()


def test_the_sign_up_is_refused_while_the_old_tenancy_ran(void, make_ready, lettings_officer):
    """The void of an ended tenancy began the day after its end: a start on or before that day
    meets the old tenancy first."""
    make_ready(void)
    accepted(void, lettings_officer)
    old = void.previous_tenancy
    assert _refused(void, lettings_officer, start_date=ENDED) == [
        f"4 Orchard Close, EX2 4QR already has tenancy {old.reference} on 29 November 2026. "
        f"The new tenancy must start after it ends."]
