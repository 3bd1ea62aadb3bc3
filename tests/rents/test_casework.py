"""Arrears case work (rents.casework): accepting a recommendation (the action logged, a letter
produced as a PDF from its template), deferring and overriding it, the refusals (an ended
tenancy, a pause in force, nothing owed), pauses and their end dates, notes and contacts, and
the letters job with its merged print file, which a rerun never duplicates."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from freezegun import freeze_time
from pypdf import PdfReader

from housing.jobs import execute_job
from housing.models import BackgroundJob
from rents import casework
from rents.models import (
    Action,
    ArrearsPolicy,
    ArrearsStage,
    CaseEvent,
    Charge,
    ChargeType,
    LetterTemplate,
    Pause,
    PossessionNotice,
    Recommendation,
    RentAccount,
    Transaction,
)
from tenancies import services as tenancy_services
from tenancies.models import Letter
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 9, 10, 15, tzinfo=UTC)  # Wednesday 9 December 2026, 10:15 in London
TODAY = date(2026, 12, 9)

LETTER_1_BODY = (
    "Dear {{ tenant_names }},\n\n"
    "Your rent account {{ payment_reference }} for {{ address }} is {{ owed }} behind. "
    "That is {{ weeks_owed }} weeks' rent at {{ weekly_rent }} a week.\n\n"
    "Please pay today, or call us to agree a plan. Letter date: {{ today }}.\n\n"
    "Yours sincerely,\nIncome Team")


@pytest.fixture(autouse=True)
def _today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with freeze_time("2026-12-09 10:15:00"):
        yield


# --- Fixtures shared with test_worklist.py -------------------------------------------------


def make_policy() -> dict[str, ArrearsStage]:
    """A small policy of its own (the default policy's data migration may be there too): a
    text reminder, Letter 1 and Letter 2 from templates, and a visit."""
    letter_1 = LetterTemplate.objects.create(
        code="test-letter-1", name="Test letter 1",
        subject="Your rent account is {{ owed }} behind", body=LETTER_1_BODY)
    letter_2 = LetterTemplate.objects.create(
        code="test-letter-2", name="Test letter 2", subject="Second letter: {{ owed }} owed",
        body="Dear {{ tenant_names }},\n\nYou still owe {{ owed }}.")
    policy = ArrearsPolicy.objects.create(name="Test policy", effective_from=date(2019, 4, 1))
    stages = {}
    for order, (code, name, action, template, low) in enumerate([
            ("reminder", "Reminder", Action.REMINDER_TEXT, None, 500),
            ("letter-1", "Letter 1", Action.LETTER, letter_1, 1000),
            ("letter-2", "Letter 2", Action.LETTER, letter_2, 1000),
            ("visit", "Home visit", Action.VISIT, None, 1000)], start=1):
        stages[code] = ArrearsStage.objects.create(
            policy=policy, order=order, code=code, name=name, action=action,
            letter_template=template, min_owed_pence=low)
    return stages


def let_home(patch, *, rent=10000, address="12 Mill Lane", owed=41250, end=None,
             names=(("Ada", "Quick"),), start=date(2020, 1, 6)) -> RentAccount:
    """A let home on `patch` with a weekly rent of `rent` pence and `owed` pence owed."""
    home = PropertyFactory(estate__patch=patch, address_line_1=address, town="Exeter",
                           postcode="EX1 2HL")
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=rent, start_date=date(2026, 4, 6))
    tenancy = tenancy_services.sign_up(
        property_id=home.pk, tenancy_type="secure", start_date=start,
        tenant_ids=[PersonFactory(title="", first_name=first, last_name=last).pk
                    for first, last in names], by=None, at=AT)
    if end:
        tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=end, reason="notice",
                                     by=None, at=AT)
    account = RentAccount.objects.get(tenancy=tenancy)
    if owed:
        Transaction.objects.create(account=account, posted_on=date(2026, 11, 30),
                                   kind="adjustment", amount_pence=owed, source="officer",
                                   created_at=AT)
    return account


def recommend(account, stage, *, owed=41250, weeks="4.12", as_of=date(2026, 12, 7),
              created_at=AT, reason=None) -> Recommendation:
    return Recommendation.objects.create(
        account=account, stage=stage, owed_pence=owed, weeks_owed=Decimal(weeks), as_of=as_of,
        created_at=created_at,
        reason=reason or f"Owes £{owed / 100:,.2f} = {weeks} weeks' rent; {stage.name} is the "
                         f"next step.")


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
                    .split())


@pytest.fixture
def stages(db):
    return make_policy()


@pytest.fixture
def account(north):
    return let_home(north, names=(("Ada", "Quick"), ("Bob", "Quick")))


# --- The figures ----------------------------------------------------------------------------


@pytest.mark.parametrize(("owed", "weekly", "weeks"), [
    (41250, 10000, Decimal("4.1")),  # 4.125: rounded down
    (39999, 10000, Decimal("3.9")),  # a penny under 4 weeks never reads as 4
    (40000, 10000, Decimal("4.0")),
    (9593, 9593, Decimal("1.0")),
    (0, 10000, Decimal("0.0")),
    (-2500, 10000, Decimal("0.0")),  # in credit: no weeks owed
    (5000, 0, None),  # no rent on the home: weeks cannot be worked out
])
def test_weeks_owed_round_down_to_one_place(owed, weekly, weeks):
    assert casework.CaseFigures(owed_pence=owed, weekly_rent_pence=weekly).weeks_owed == weeks


def test_figures_are_the_balance_and_the_charges_in_force(account):
    home = account.tenancy.property
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="heating"),
                          weekly_pence=593, start_date=date(2026, 4, 6))
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="water"),
                          weekly_pence=999, start_date=date(2027, 1, 4))  # not yet in force
    Transaction.objects.create(account=account, posted_on=TODAY, kind="payment",
                               method="card", amount_pence=-1250, source="officer",
                               created_at=AT)
    figures = casework.case_figures([account], on=TODAY)[account.pk]
    assert figures == casework.CaseFigures(owed_pence=40000, weekly_rent_pence=10593)


# --- Accepting ------------------------------------------------------------------------------


def test_accepting_a_letter_produces_the_pdf_and_logs_it(account, stages, income_officer):
    recommendation = recommend(account, stages["letter-1"])
    event = casework.accept_recommendation(recommendation_id=recommendation.pk,
                                           by=income_officer, at=AT)

    letter = Letter.objects.get()
    assert (letter.tenancy, letter.kind, letter.key) == (
        account.tenancy, Letter.Kind.ARREARS, f"recommendation-{recommendation.pk}")
    assert letter.title == "Letter 1: Your rent account is £412.50 behind"
    assert letter.created_by == income_officer
    text = pdf_text(letter.file.read())
    assert "Dear Ada Quick and Bob Quick," in text
    assert (f"Your rent account {account.payment_reference} for 12 Mill Lane, Exeter, EX1 2HL "
            f"is £412.50 behind. That is 4.1 weeks' rent at £100.00 a week.") in text
    assert "Letter date: 9 December 2026." in text
    assert f"Tenancy reference: {account.tenancy.reference}" in text

    assert event.kind == CaseEvent.Kind.LETTER
    assert (event.stage, event.action, event.letter, event.recommendation) == (
        stages["letter-1"], Action.LETTER, letter, recommendation)
    assert (event.happened_on, event.created_by, event.created_at) == (TODAY, income_officer, AT)
    assert event.summary == "Letter 1 produced"
    assert recommendation.reason in event.detail
    assert "Owed on the day: £412.50 = 4.1 weeks' rent (£100.00 a week)." in event.detail
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.decided_by, recommendation.decided_at) == (
        Recommendation.Status.ACCEPTED, income_officer, AT)


def test_the_shipped_letter_1_is_signed_off(account, income_officer):
    """The default policy's Letter 1 (rents migration 0013) ends without a sign-off: the
    layout adds it. A body with its own (the test policy's) is not signed twice."""
    stage = ArrearsStage.objects.get(policy__name="Standard arrears policy", code="letter-1")
    recommendation = recommend(account, stage)
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    text = pdf_text(Letter.objects.get().file.read())
    assert "Dear Ada Quick and Bob Quick" in text
    assert "12 Mill Lane, Exeter, EX1 2HL" in text and "£412.50" in text
    assert text.count("Yours sincerely,") == 1 and "Income Team" in text


def test_a_body_that_signs_off_is_not_signed_twice(account, stages, income_officer):
    recommendation = recommend(account, stages["letter-1"])
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    assert pdf_text(Letter.objects.get().file.read()).count("Yours sincerely,") == 1


def test_the_letter_uses_todays_figures_not_the_runs(account, stages, income_officer):
    recommendation = recommend(account, stages["letter-1"], owed=41250)
    Transaction.objects.create(account=account, posted_on=TODAY, kind="payment",
                               method="card", amount_pence=-21250, source="officer",
                               created_at=AT)
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    assert "is £200.00 behind. That is 2.0 weeks' rent" in pdf_text(
        Letter.objects.get().file.read())


def test_accepting_an_action_without_a_letter_logs_it(account, stages, income_officer):
    recommendation = recommend(account, stages["visit"])
    event = casework.accept_recommendation(recommendation_id=recommendation.pk,
                                           by=income_officer, at=AT)
    assert (event.kind, event.action, event.letter, event.summary) == (
        CaseEvent.Kind.ACTION, Action.VISIT, None, "Home visit: visit")
    assert not Letter.objects.exists()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.ACCEPTED


def test_accepting_a_nosp_records_the_notice_for_12_months(account, stages, income_officer):
    nosp = ArrearsStage.objects.create(
        policy=stages["visit"].policy, order=9, code="nosp", name="NOSP", action=Action.NOSP,
        min_owed_pence=1000)
    recommendation = recommend(account, nosp)
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    notice = PossessionNotice.objects.get()
    assert (notice.account, notice.served_on, notice.expires_on, notice.created_by) == (
        account, AT.date(), AT.date().replace(year=AT.year + 1), income_officer)


@pytest.mark.parametrize(("served", "expires"), [
    (date(2026, 12, 9), date(2027, 12, 9)), (date(2028, 2, 29), date(2029, 2, 28))])
def test_a_notice_lasts_a_year(served, expires):
    assert casework.a_year_after(served) == expires


def test_a_recommendation_is_decided_once(account, stages, income_officer, team_leader):
    recommendation = recommend(account, stages["letter-1"])
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    for act in (
        lambda: casework.accept_recommendation(recommendation_id=recommendation.pk,
                                               by=team_leader, at=AT),
        lambda: casework.override_recommendation(recommendation_id=recommendation.pk,
                                                 reason="No", by=team_leader, at=AT),
        lambda: casework.defer_recommendation(recommendation_id=recommendation.pk,
                                              until=TODAY + timedelta(days=7), reason="Wait",
                                              by=team_leader, at=AT),
    ):
        with pytest.raises(ValidationError) as refused:
            act()
        assert refused.value.messages == [
            f"This recommendation is no longer waiting: it was accepted by "
            f"{income_officer.display_name} on 9 December 2026."]
    assert Letter.objects.count() == 1
    assert CaseEvent.objects.count() == 1


def test_no_letter_to_a_tenancy_that_has_ended(north, stages, income_officer):
    account = let_home(north, end=date(2026, 11, 29))
    recommendation = recommend(account, stages["letter-1"])
    with pytest.raises(ValidationError) as refused:
        casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                       at=AT)
    assert refused.value.messages == [
        "The tenancy ended on 29 November 2026; arrears letters go to former tenants through "
        "the former tenant arrears process, not from this worklist. Override the "
        "recommendation, giving that as the reason."]
    assert not Letter.objects.exists() and not CaseEvent.objects.exists()
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.OPEN


def test_a_tenancy_ending_today_still_gets_its_letter(north, stages, income_officer):
    account = let_home(north, end=TODAY)
    recommendation = recommend(account, stages["letter-1"])
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    assert Letter.objects.count() == 1


def test_no_letter_when_nothing_is_owed_now(north, stages, income_officer):
    account = let_home(north, owed=0)
    recommendation = recommend(account, stages["letter-1"])
    with pytest.raises(ValidationError, match="The account owes nothing today"):
        casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                       at=AT)
    assert not Letter.objects.exists()


@pytest.mark.parametrize("stage", ["letter-1", "visit"])
def test_nothing_is_taken_while_a_pause_is_in_force(account, stages, income_officer, stage):
    recommendation = recommend(account, stages[stage])
    Pause.objects.create(account=account, kind=Pause.Kind.BENEFIT_CLAIM, start_date=TODAY,
                         end_date=TODAY + timedelta(days=14), reason="UC claim made",
                         created_at=AT)
    with pytest.raises(ValidationError) as refused:
        casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                       at=AT)
    assert refused.value.messages == [
        "Recovery is paused until 23 December 2026 (Housing Benefit or Universal Credit claim "
        "pending): no action may be taken while a pause is in force."]
    assert not CaseEvent.objects.exists()


def test_a_broken_template_is_refused_with_its_mistake(account, stages, income_officer):
    template = stages["letter-1"].letter_template
    template.body = "Dear {{ tenant_names }}, {% if owed %}you owe {{ owed }}"
    template.save()
    recommendation = recommend(account, stages["letter-1"])
    with pytest.raises(ValidationError, match="The letter template “Test letter 1” has a "
                                              "mistake an administrator must put right"):
        casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                       at=AT)
    assert not Letter.objects.exists()


def test_a_template_reaches_only_the_figures(account, stages, income_officer):
    template = stages["letter-1"].letter_template
    template.body = "A{{ account.tenancy }}B{{ settings.SECRET_KEY }}C{{ request.user }}D"
    template.save()
    recommendation = recommend(account, stages["letter-1"])
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    assert "ABCD" in pdf_text(Letter.objects.get().file.read())


# --- Deferring and overriding ---------------------------------------------------------------


@pytest.mark.parametrize(("until", "reason", "errors"), [
    (None, "Promised to pay", {"until": ["Enter the date to look at the case again."]}),
    (TODAY, "Promised to pay",
     {"until": ["The date to look at the case again must be in the future."]}),
    (TODAY + timedelta(days=7), "  ",
     {"reason": ["Give the reason for deferring the recommendation."]}),
])
def test_deferring_needs_a_future_date_and_a_reason(account, stages, income_officer, until,
                                                     reason, errors):
    recommendation = recommend(account, stages["letter-1"])
    with pytest.raises(ValidationError) as refused:
        casework.defer_recommendation(recommendation_id=recommendation.pk, until=until,
                                      reason=reason, by=income_officer, at=AT)
    assert refused.value.message_dict == errors
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.OPEN


def test_deferring(account, stages, income_officer):
    recommendation = recommend(account, stages["letter-1"])
    event = casework.defer_recommendation(
        recommendation_id=recommendation.pk, until=date(2026, 12, 18),
        reason="Promised £200 on Friday", by=income_officer, at=AT)
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.deferred_until, recommendation.decision_note,
            recommendation.decided_by) == (Recommendation.Status.DEFERRED, date(2026, 12, 18),
                                           "Promised £200 on Friday", income_officer)
    assert (event.kind, event.stage, event.summary, event.detail, event.created_by) == (
        CaseEvent.Kind.DEFERRED, stages["letter-1"], "Letter 1 deferred until 18 December 2026",
        "Promised £200 on Friday", income_officer)


def test_overriding(account, stages, income_officer):
    recommendation = recommend(account, stages["letter-1"])
    with pytest.raises(ValidationError) as refused:
        casework.override_recommendation(recommendation_id=recommendation.pk, reason="",
                                         by=income_officer, at=AT)
    assert refused.value.message_dict == {
        "reason": ["Give the reason for not taking the recommended action."]}
    event = casework.override_recommendation(
        recommendation_id=recommendation.pk, reason="Tenant in hospital", by=income_officer,
        at=AT)
    recommendation.refresh_from_db()
    assert (recommendation.status, recommendation.decision_note) == (
        Recommendation.Status.OVERRIDDEN, "Tenant in hospital")
    assert (event.kind, event.summary, event.detail) == (
        CaseEvent.Kind.OVERRIDDEN, "Letter 1 overridden", "Tenant in hospital")
    assert not Letter.objects.exists()


# --- Pauses ---------------------------------------------------------------------------------

START = date(2026, 12, 1)


@pytest.mark.parametrize(("kind", "end", "treatment_end", "expected"), [
    # A standard Breathing Space: 60 days from the start unless an end date is given.
    (Pause.Kind.BREATHING_SPACE, None, None, date(2027, 1, 30)),
    (Pause.Kind.BREATHING_SPACE, date(2027, 1, 29), None, date(2027, 1, 29)),
    # A mental health crisis: the treatment's end + 30 days (an end date typed is not used).
    (Pause.Kind.MENTAL_HEALTH_CRISIS, None, date(2027, 3, 1), date(2027, 3, 31)),
    (Pause.Kind.MENTAL_HEALTH_CRISIS, date(2027, 1, 1), date(2027, 3, 1), date(2027, 3, 31)),
    (Pause.Kind.MENTAL_HEALTH_CRISIS, None, START, date(2026, 12, 31)),
    # Every other kind: the end date given.
    (Pause.Kind.BENEFIT_CLAIM, date(2027, 1, 15), None, date(2027, 1, 15)),
    (Pause.Kind.COURT_DATE, START, None, START),
    (Pause.Kind.OFFICER, date(2026, 12, 24), None, date(2026, 12, 24)),
])
def test_pause_end_dates(account, income_officer, kind, end, treatment_end, expected):
    pause = casework.add_pause(account_id=account.pk, kind=kind, start_date=START,
                               end_date=end, treatment_end_date=treatment_end,
                               reason="Reason given", by=income_officer, at=AT)
    assert (pause.start_date, pause.end_date, pause.reason, pause.created_by) == (
        START, expected, "Reason given", income_officer)
    event = CaseEvent.objects.get()
    assert (event.kind, event.created_by, event.happened_on) == (
        CaseEvent.Kind.PAUSE, income_officer, TODAY)
    assert event.summary == (f"Paused: {pause.get_kind_display()}, 1 December 2026 to "
                             f"{expected:%-d %B %Y}")


@pytest.mark.parametrize(("fields", "errors"), [
    ({"kind": Pause.Kind.OFFICER, "end_date": None},
     {"end_date": ["Enter the date the pause ends. Every pause must have an end."]}),
    ({"kind": Pause.Kind.BENEFIT_CLAIM, "end_date": None},
     {"end_date": ["Enter the date the pause ends. Every pause must have an end."]}),
    ({"kind": Pause.Kind.COURT_DATE, "end_date": date(2026, 11, 30)},
     {"end_date": ["The end date must be the same as or after the start date."]}),
    ({"kind": Pause.Kind.OFFICER, "end_date": date(2027, 1, 1), "reason": " "},
     {"reason": ["Give the reason for the pause."]}),
    ({"kind": Pause.Kind.BREATHING_SPACE, "reason": ""},
     {"reason": ["Give the reason for the pause."]}),
    ({"kind": Pause.Kind.MENTAL_HEALTH_CRISIS, "end_date": date(2027, 1, 1)},
     {"treatment_end_date": ["Enter the date the mental health crisis treatment ends: the "
                             "pause ends 30 days after it."]}),
    ({"kind": Pause.Kind.MENTAL_HEALTH_CRISIS, "treatment_end_date": date(2026, 11, 30)},
     {"treatment_end_date": ["The treatment end date must be the same as or after the start "
                             "date."]}),
    ({"kind": Pause.Kind.OFFICER, "start_date": None, "end_date": date(2027, 1, 1)},
     {"start_date": ["Enter the date the pause starts."]}),
    ({"kind": "holiday", "end_date": date(2027, 1, 1)}, {"kind": ["Select the kind of pause."]}),
])
def test_a_pause_without_an_end_or_a_reason_is_refused(account, income_officer, fields,
                                                       errors):
    arguments = {"start_date": START, "reason": "Reason given", **fields}
    with pytest.raises(ValidationError) as refused:
        casework.add_pause(account_id=account.pk, by=income_officer, at=AT, **arguments)
    assert refused.value.message_dict == errors
    assert not Pause.objects.exists() and not CaseEvent.objects.exists()


def test_a_pause_in_force_withdraws_the_open_recommendation(account, stages, income_officer):
    recommendation = recommend(account, stages["letter-1"])
    casework.add_pause(account_id=account.pk, kind=Pause.Kind.BREATHING_SPACE,
                       start_date=TODAY, reason="BS ref 1234", by=income_officer, at=AT)
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.WITHDRAWN
    assert recommendation.decision_note == "Recovery paused until 7 February 2027."


def test_a_pause_starting_later_leaves_the_recommendation(account, stages, income_officer):
    recommendation = recommend(account, stages["letter-1"])
    casework.add_pause(account_id=account.pk, kind=Pause.Kind.OFFICER,
                       start_date=TODAY + timedelta(days=7), end_date=TODAY + timedelta(days=14),
                       reason="Going into hospital next week", by=income_officer, at=AT)
    recommendation.refresh_from_db()
    assert recommendation.status == Recommendation.Status.OPEN


def test_ending_a_pause_early(account, income_officer, team_leader):
    pause = casework.add_pause(account_id=account.pk, kind=Pause.Kind.OFFICER,
                               start_date=START, end_date=date(2027, 1, 31),
                               reason="Bereavement", by=income_officer, at=AT)
    with pytest.raises(ValidationError) as refused:
        casework.end_pause(pause_id=pause.pk, reason="", by=team_leader, at=AT)
    assert refused.value.message_dict == {"reason": ["Give the reason for ending the pause "
                                                     "early."]}
    casework.end_pause(pause_id=pause.pk, reason="Tenant asked us to", by=team_leader, at=AT)
    pause.refresh_from_db()
    # Not in force from today: it ended yesterday.
    assert (pause.end_date, pause.ended_by, pause.ended_at) == (
        date(2026, 12, 8), team_leader, AT)
    assert casework.pause_in_force(account.pk, today=TODAY) is None
    event = CaseEvent.objects.order_by("-id").first()
    assert (event.kind, event.summary, event.created_by) == (
        CaseEvent.Kind.PAUSE, "Pause ended early: Officer's pause", team_leader)
    assert event.detail == "It was to end on 31 January 2027.\nTenant asked us to"
    with pytest.raises(ValidationError, match="This pause was already ended on 9 December 2026"):
        casework.end_pause(pause_id=pause.pk, reason="Again", by=team_leader, at=AT)


def test_a_pause_starting_today_ended_today_is_no_longer_in_force(account, income_officer):
    pause = casework.add_pause(account_id=account.pk, kind=Pause.Kind.OFFICER,
                               start_date=TODAY, end_date=date(2027, 1, 31),
                               reason="Bereavement", by=income_officer, at=AT)
    casework.end_pause(pause_id=pause.pk, reason="Entered by mistake", by=income_officer,
                       at=AT)
    pause.refresh_from_db()
    assert pause.end_date == TODAY and pause.ended_at == AT
    assert casework.pause_in_force(account.pk, today=TODAY) is None


def test_a_pause_already_over_cannot_be_ended(account, income_officer):
    pause = Pause.objects.create(account=account, kind=Pause.Kind.OFFICER, start_date=START,
                                 end_date=date(2026, 12, 8), reason="Old", created_at=AT)
    with pytest.raises(ValidationError, match="This pause already ended on 8 December 2026"):
        casework.end_pause(pause_id=pause.pk, reason="Tidy", by=income_officer, at=AT)


# --- Notes and contacts ---------------------------------------------------------------------


def test_notes_and_contacts_go_in_the_diary(account, income_officer):
    note = casework.add_note(account_id=account.pk, text="Left a card.",
                             happened_on=date(2026, 12, 8), by=income_officer, at=AT)
    contact = casework.record_contact(
        account_id=account.pk, method="phone", happened_on=TODAY, with_whom="the tenant",
        said="Will pay £50 on Friday.", by=income_officer, at=AT)
    assert (note.kind, note.summary, note.detail, note.happened_on, note.created_by) == (
        CaseEvent.Kind.NOTE, "Note", "Left a card.", date(2026, 12, 8), income_officer)
    assert (contact.kind, contact.summary, contact.detail) == (
        CaseEvent.Kind.CONTACT, "Phone call with the tenant", "Will pay £50 on Friday.")
    assert list(casework.diary(account.pk)) == [contact, note]  # newest first


@pytest.mark.parametrize(("fields", "errors"), [
    ({"happened_on": TODAY + timedelta(days=1)},
     {"happened_on": ["The date must be today or in the past."]}),
    ({"said": ""}, {"said": ["Enter what was said."]}),
    ({"method": "fax"}, {"method": ["Select how you were in contact."]}),
    ({"happened_on": None}, {"happened_on": ["Enter the date."]}),
])
def test_a_contact_needs_its_date_method_and_what_was_said(account, income_officer, fields,
                                                           errors):
    arguments = {"method": "visit", "happened_on": TODAY, "said": "Nobody in.", **fields}
    with pytest.raises(ValidationError) as refused:
        casework.record_contact(account_id=account.pk, by=income_officer, at=AT, **arguments)
    assert refused.value.message_dict == errors
    with pytest.raises(ValidationError):
        casework.add_note(account_id=account.pk, text=" ", happened_on=TODAY,
                          by=income_officer, at=AT)
    assert not CaseEvent.objects.exists()


# --- Many letters: the background job -------------------------------------------------------


def _letters_job(ids, user, captured):
    with captured(execute=False):
        job = casework.start_arrears_letters(recommendation_ids=ids, by=user, at=AT)
    return execute_job(job_id=job.pk)


def test_the_letters_job_makes_each_letter_once_with_a_print_file(
        north, stages, income_officer, django_capture_on_commit_callbacks):
    first = recommend(let_home(north, address="1 Alpha Road", names=(("Ann", "Ash"),)),
                      stages["letter-1"])
    second = recommend(let_home(north, address="2 Beta Road", names=(("Ben", "Birch"),)),
                       stages["letter-2"])
    ended = recommend(let_home(north, address="3 Gamma Road", end=date(2026, 10, 1)),
                      stages["letter-1"])
    visit = recommend(let_home(north, address="4 Delta Road"), stages["visit"])
    taken = recommend(let_home(north, address="5 Epsilon Road"), stages["letter-1"])
    casework.accept_recommendation(recommendation_id=taken.pk, by=income_officer, at=AT)

    # The visit is not a letter: it is left out when the job is queued.
    with django_capture_on_commit_callbacks(execute=False):
        job = casework.start_arrears_letters(
            recommendation_ids=[first.pk, second.pk, ended.pk, visit.pk, taken.pk],
            by=income_officer, at=AT)
    assert job.parameters == {"recommendation_ids": [first.pk, second.pk, ended.pk]}
    # Accepted by hand while the job waits: the job leaves it alone.
    job.parameters["recommendation_ids"].append(taken.pk)
    BackgroundJob.objects.filter(pk=job.pk).update(parameters=job.parameters)
    job = execute_job(job_id=job.pk)

    assert job.status == BackgroundJob.Status.SUCCEEDED
    assert job.result_summary == ("2 arrears letters produced; 1 had already been dealt with; "
                                  "1 could not be sent.")
    assert job.result_data["made"] == 2 and job.result_data["printed"] == 2
    assert job.result_data["refused"] == [{
        "reference": ended.account.tenancy.reference, "address": "3 Gamma Road, EX1 2HL",
        "reason": "The tenancy ended on 1 October 2026; arrears letters go to former tenants "
                  "through the former tenant arrears process, not from this worklist. Override "
                  "the recommendation, giving that as the reason."}]
    for recommendation, status in [(first, "accepted"), (second, "accepted"), (ended, "open"),
                                   (visit, "open"), (taken, "accepted")]:
        recommendation.refresh_from_db()
        assert recommendation.status == status
    letters = Letter.objects.filter(job=job)
    assert {letter.key for letter in letters} == {f"recommendation-{first.pk}",
                                                  f"recommendation-{second.pk}"}
    events = CaseEvent.objects.filter(kind="letter", recommendation__in=[first, second])
    assert sorted((e.account_id, e.letter.key, e.created_by_id) for e in events) == sorted(
        [(first.account_id, f"recommendation-{first.pk}", income_officer.pk),
         (second.account_id, f"recommendation-{second.pk}", income_officer.pk)])

    merged = job.result_file.read()
    reader = PdfReader(io.BytesIO(merged))
    assert len(reader.pages) == 2
    text = pdf_text(merged)
    assert text.index("Ann Ash") < text.index("Ben Birch")
    assert "Your rent account is £412.50 behind" in text and "Second letter" in text

    # Run again (a worker lost after the work was done, or a second job for the same cases):
    # no second letter, diary row or print file.
    again = casework.produce_arrears_letters(recommendation_ids=[first.pk, second.pk],
                                             by=income_officer, at=AT + timedelta(hours=1))
    assert (again.made, again.already, again.refused) == (0, 2, [])
    assert Letter.objects.count() == 3  # two from the job and the one accepted by hand
    assert CaseEvent.objects.filter(kind="letter").count() == 3


def test_a_second_job_for_the_same_letters_prints_nothing(
        north, stages, income_officer, django_capture_on_commit_callbacks):
    recommendation = recommend(let_home(north), stages["letter-1"])
    first = _letters_job([recommendation.pk], income_officer, django_capture_on_commit_callbacks)
    assert first.result_data["made"] == 1 and first.result_file
    with pytest.raises(ValidationError, match="None of the recommendations selected is a "
                                              "letter still waiting"):
        casework.start_arrears_letters(recommendation_ids=[recommendation.pk],
                                       by=income_officer, at=AT)
    with django_capture_on_commit_callbacks(execute=False):
        job = BackgroundJob.objects.create(kind="arrears_letters", created_at=AT,
                                           started_by=income_officer,
                                           parameters={"recommendation_ids": [recommendation.pk]})
    second = execute_job(job_id=job.pk)
    assert second.result_summary == ("0 arrears letters produced; 1 had already been dealt "
                                     "with.")
    assert not second.result_file
    assert Letter.objects.count() == 1


def test_the_letters_job_skips_a_paused_case(north, stages, income_officer,
                                             django_capture_on_commit_callbacks):
    account = let_home(north)
    recommendation = recommend(account, stages["letter-1"])
    Pause.objects.create(account=account, kind=Pause.Kind.COURT_DATE, start_date=TODAY,
                         end_date=date(2027, 1, 20), reason="Hearing 20 January", created_at=AT)
    job = _letters_job([recommendation.pk], income_officer, django_capture_on_commit_callbacks)
    assert job.result_data["made"] == 0
    assert job.result_data["refused"][0]["reason"].startswith(
        "Recovery is paused until 20 January 2027 (Court or eviction date set)")
    assert not Letter.objects.exists()


def test_the_letters_job_needs_a_choice(income_officer):
    with pytest.raises(ValidationError, match="Select the letters to produce."):
        casework.start_arrears_letters(recommendation_ids=[], by=income_officer, at=AT)


# --- The diary on the tenancy page ----------------------------------------------------------


def test_tenancy_case_is_the_latest_twenty(account, income_officer, customer_access, officer):
    for day in range(25):
        CaseEvent.objects.create(account=account, kind="note", summary=f"Note {day}",
                                 happened_on=date(2026, 11, 1) + timedelta(days=day),
                                 created_at=AT)
    case = casework.tenancy_case(officer, account.tenancy)
    assert case["account"] == account and case["more"] is True
    assert [e.summary for e in case["events"]] == [f"Note {day}" for day in range(24, 4, -1)]
    assert casework.tenancy_case(customer_access, account.tenancy) is None  # no diary role


# --- With the arrears run -------------------------------------------------------------------


def test_the_arrears_run_reads_back_what_the_officer_did(account, income_officer, north):
    """The run (rents.arrears) and case work meet in the diary: an accepted Letter 1 is not
    recommended again, a deferred stage is held back until its date, and a pause stops the
    run recommending anything."""
    from rents.arrears import run_arrears

    run_arrears(as_of=TODAY, by=None, at=AT)
    recommendation = Recommendation.objects.get(account=account, status="open")
    assert recommendation.stage.code == "letter-1"
    casework.accept_recommendation(recommendation_id=recommendation.pk, by=income_officer,
                                   at=AT)
    run_arrears(as_of=TODAY, by=None, at=AT)
    assert not Recommendation.objects.filter(account=account, status="open").exists()

    other = let_home(north, address="7 Other Road")
    run_arrears(as_of=TODAY, by=None, at=AT)
    deferred = Recommendation.objects.get(account=other, status="open")
    casework.defer_recommendation(recommendation_id=deferred.pk, until=date(2026, 12, 16),
                                  reason="Promised", by=income_officer, at=AT)
    run_arrears(as_of=TODAY, by=None, at=AT)
    assert not Recommendation.objects.filter(account=other, status="open").exists()

    later = AT + timedelta(days=8)  # 17 December: the deferral is over
    run_arrears(as_of=date(2026, 12, 17), by=None, at=later)
    again = Recommendation.objects.get(account=other, status="open")
    assert again.stage.code == "letter-1"
    casework.add_pause(account_id=other.pk, kind=Pause.Kind.BREATHING_SPACE,
                       start_date=date(2026, 12, 17), reason="BS-1", by=income_officer,
                       at=later)
    again.refresh_from_db()
    assert again.status == Recommendation.Status.WITHDRAWN
    run_arrears(as_of=date(2026, 12, 17), by=None, at=later)
    assert not Recommendation.objects.filter(account=other, status="open").exists()

