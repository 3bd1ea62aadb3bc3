"""The arrears run: every rule of the default policy at its boundaries, what holds recovery
back (pauses, court dates, arrangements kept, deferrals), idempotency, withdrawal, arrangement
breaches, the run queued after a rent run, and the on-demand page."""

from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time

from housing.jobs import start_job
from housing.models import BackgroundJob
from rents.arrears import run_arrears
from rents.models import (
    Arrangement,
    ArrearsPolicy,
    ArrearsStage,
    CaseEvent,
    Charge,
    ChargeType,
    CourtCase,
    Pause,
    Recommendation,
    RentAccount,
    Transaction,
)
from rents.services import post_rent_run, rent_week_for
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 11, 30)  # a Monday
AT = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
WEEKLY = 10000  # £100.00 a week: 4 weeks' rent is £400.00


def _let(north, *, weekly=WEEKLY, start=date(2021, 5, 3)) -> RentAccount:
    home = PropertyFactory(estate__patch=north)
    if weekly:
        Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                              weekly_pence=weekly, start_date=date(2026, 4, 6))
    tenancy = tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                       start_date=start, tenant_ids=[PersonFactory().pk],
                                       by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


def _post(account, pence, *, on=AS_OF - timedelta(days=3)) -> None:
    """A ledger row moving the balance by `pence` (positive: owes more)."""
    Transaction.objects.create(account=account, posted_on=on, kind="adjustment",
                               amount_pence=pence, source="officer", reference="test",
                               created_at=AT)


def _stage(code) -> ArrearsStage:
    return ArrearsStage.objects.get(policy__effective_from=date(2024, 4, 1), code=code)


def _taken(account, code, days_ago, *, kind="letter") -> CaseEvent:
    stage = _stage(code)
    return CaseEvent.objects.create(account=account, kind=kind, stage=stage, action=stage.action,
                                    happened_on=AS_OF - timedelta(days=days_ago),
                                    summary=f"{stage.name} taken", created_at=AT)


def _open(account) -> Recommendation | None:
    return Recommendation.objects.filter(account=account, status="open").first()


def _run(as_of=AS_OF, **kwargs):
    return run_arrears(as_of=as_of, by=None, at=AT, **kwargs)


# --- The default policy ---------------------------------------------------------------------

def test_the_default_policy_is_shipped_in_order_with_its_letters():
    policy = ArrearsPolicy.objects.get()
    assert (policy.name, policy.effective_from) == ("Standard arrears policy", date(2024, 4, 1))
    assert policy.breach_tolerance_pence == 500
    stages = list(policy.stages.order_by("order"))
    assert [(s.code, s.action) for s in stages] == [
        ("reminder", "reminder_text"), ("letter-1", "letter"), ("letter-2", "letter"),
        ("nosp", "nosp"), ("court-warning", "court_warning"),
        ("court-application", "court_application")]
    assert [s.after_stage.code if s.after_stage else None for s in stages] == [
        None, None, "letter-1", "letter-2", "nosp", "court-warning"]
    for stage in stages[1:5]:
        body = stage.letter_template.body
        for figure in ("{{ tenant_names }}", "{{ address }}", "{{ owed }}",
                       "{{ payment_reference }}"):
            assert figure in body, (stage.code, figure)
    # The reminder's template is its text message; applying for a court date sends nothing.
    assert stages[0].letter_template.code == "arrears-reminder-text"
    assert stages[5].letter_template is None


# (what, owed in pence, history as (stage code, days ago), the stage recommended)
RULES = [
    # Reminder: owes £5.00 to £9.99, none in the last 28 days.
    ("nothing owed", 0, [], None),
    ("£4.99 is under the reminder", 499, [], None),
    ("£5.00 gets a reminder", 500, [], "reminder"),
    ("£9.99 still a reminder", 999, [], "reminder"),
    ("reminder 27 days ago", 999, [("reminder", 27)], None),
    ("reminder 28 days ago", 999, [("reminder", 28)], "reminder"),
    # Letter 1: owes £10.00, none in the last 91 days.
    ("£10.00 gets Letter 1", 1000, [], "letter-1"),
    ("Letter 1 90 days ago (Letter 2 sent)", 5000, [("letter-1", 90), ("letter-2", 76)], None),
    ("Letter 1 91 days ago (Letter 2 sent)", 5000, [("letter-1", 91), ("letter-2", 77)],
     "letter-1"),
    # Letter 2: 14 to 91 days after Letter 1, owes £10.00.
    ("13 days after Letter 1", 5000, [("letter-1", 13)], None),
    ("14 days after Letter 1", 5000, [("letter-1", 14)], "letter-2"),
    ("91 days after Letter 1", 5000, [("letter-1", 91)], "letter-2"),
    ("92 days after Letter 1: Letter 1 again", 5000, [("letter-1", 92)], "letter-1"),
    ("£9.99 after Letter 1 is a reminder", 999, [("letter-1", 20)], "reminder"),
    # NOSP: 4 weeks' rent owed, 7 to 91 days after Letter 2.
    ("exactly 4 weeks, 7 days after Letter 2", 40000, [("letter-1", 21), ("letter-2", 7)],
     "nosp"),
    ("a penny under 4 weeks", 39999, [("letter-1", 21), ("letter-2", 7)], None),
    ("6 days after Letter 2", 40000, [("letter-1", 20), ("letter-2", 6)], None),
    ("91 days after Letter 2", 40000, [("letter-1", 105), ("letter-2", 91)], "nosp"),
    ("92 days after Letter 2: Letter 1 again", 40000, [("letter-1", 106), ("letter-2", 92)],
     "letter-1"),
    ("NOSP 364 days ago is not served again", 90000,
     [("letter-1", 60), ("letter-2", 40), ("nosp", 364), ("court-warning", 30),
      ("court-application", 10)], None),
    ("NOSP 365 days ago: served again", 90000,
     [("letter-1", 60), ("letter-2", 40), ("nosp", 365), ("court-warning", 30),
      ("court-application", 10)], "nosp"),
    # Court warning letter: 4 weeks' rent, 28 to 365 days after the NOSP.
    ("28 days after the NOSP", 40000, [("letter-1", 60), ("letter-2", 40), ("nosp", 28)],
     "court-warning"),
    ("27 days after the NOSP", 40000, [("letter-1", 60), ("letter-2", 40), ("nosp", 27)], None),
    ("365 days after the NOSP", 40000, [("letter-1", 400), ("letter-2", 380), ("nosp", 365)],
     "court-warning"),
    ("366 days after the NOSP: Letter 1 again", 40000,
     [("letter-1", 400), ("letter-2", 380), ("nosp", 366)], "letter-1"),
    ("court warning, a penny under 4 weeks", 39999,
     [("letter-1", 60), ("letter-2", 40), ("nosp", 28)], None),
    # Apply for a court date: 14 to 91 days after the court warning, 4 weeks' rent.
    ("14 days after the court warning", 40000,
     [("letter-1", 90), ("letter-2", 70), ("nosp", 50), ("court-warning", 14)],
     "court-application"),
    ("13 days after the court warning", 40000,
     [("letter-1", 90), ("letter-2", 70), ("nosp", 50), ("court-warning", 13)], None),
    ("91 days after the court warning", 40000,
     [("letter-1", 170), ("letter-2", 150), ("nosp", 130), ("court-warning", 91)],
     "court-application"),
    ("92 days after the court warning: warned again", 40000,
     [("letter-1", 170), ("letter-2", 150), ("nosp", 131), ("court-warning", 92)],
     "court-warning"),
    ("court date applied for, not again within 365 days", 40000,
     [("letter-1", 90), ("letter-2", 70), ("nosp", 60), ("court-warning", 30),
      ("court-application", 10)], None),
]


@pytest.mark.parametrize(("what", "owed", "history", "expected"), RULES,
                         ids=[rule[0] for rule in RULES])
def test_each_rule_of_the_default_policy(north, what, owed, history, expected):
    account = _let(north)
    if owed:
        _post(account, owed)
    for code, days_ago in history:
        _taken(account, code, days_ago)
    result = _run()
    recommendation = _open(account)
    assert (recommendation.stage.code if recommendation else None) == expected
    if expected:
        assert recommendation.owed_pence == owed
        assert result.by_stage[recommendation.stage.name] == 1
        assert recommendation.as_of == AS_OF
    assert result.recommended == (1 if expected else 0)


def test_events_after_the_date_of_the_run_do_not_count(north):
    account = _let(north)
    _post(account, 5000)
    _taken(account, "letter-1", -3)  # dated three days after the run's date
    _run()
    assert _open(account).stage.code == "letter-1"


def test_a_home_without_a_weekly_rent_never_reaches_a_stage_counted_in_weeks(north):
    account = _let(north, weekly=0)
    _post(account, 90000)
    _taken(account, "letter-1", 21)
    _taken(account, "letter-2", 7)
    _run()
    assert _open(account) is None


def test_the_reason_gives_the_figures_and_the_rule(north):
    account = _let(north, weekly=9593)
    _post(account, 41250)
    _taken(account, "letter-1", 30)
    _taken(account, "letter-2", 9)
    _run()
    recommendation = _open(account)
    assert recommendation.reason == (
        "Owes £412.50 = 4.3 weeks' rent (£95.93 a week); Letter 2 sent 9 days ago; NOSP is "
        "the next step (the rule: owes at least 4 weeks' rent, 7 to 91 days after Letter 2, "
        "none in the last 365 days).")
    assert str(recommendation.weeks_owed) == "4.30"


@pytest.mark.parametrize(("owed", "weeks", "said"), [
    (39999, "3.99", "= 3.9 weeks' rent"),  # cut down, never rounded up to 4
    (40000, "4.00", "= 4.0 weeks' rent"),
    (1000, "0.10", "= 0.1 weeks' rent"),
])
def test_weeks_owed_are_cut_down_not_rounded_up(north, owed, weeks, said):
    account = _let(north)
    _post(account, owed)
    _taken(account, "reminder", 1)
    _taken(account, "letter-1", 100)
    _run()
    recommendation = _open(account)
    assert str(recommendation.weeks_owed) == weeks
    assert said in recommendation.reason


def test_the_reason_for_a_first_letter_and_a_reminder(north):
    first = _let(north)
    _post(first, 2500)
    reminded = _let(north)
    _post(reminded, 750)
    _taken(reminded, "reminder", 40)
    _run()
    assert _open(first).reason == (
        "Owes £25.00 = 0.2 weeks' rent (£100.00 a week); no Letter 1 before; Letter 1 is the "
        "next step (the rule: owes £10.00 or more, none in the last 91 days).")
    assert _open(reminded).reason == (
        "Owes £7.50 = 0.0 weeks' rent (£100.00 a week); last Reminder sent 40 days ago; "
        "Reminder is the next step (the rule: owes £5.00 or more and under £10.00, none in the "
        "last 28 days).")


def test_only_live_rent_accounts_are_looked_at(north):
    ended = _let(north, start=date(2020, 1, 6))
    _post(ended, 5000)
    tenancy_services.end_tenancy(tenancy_id=ended.tenancy_id, end_date=AS_OF - timedelta(days=1),
                                 reason="notice", by=None, at=AT)
    not_started = _let(north, start=AS_OF + timedelta(days=1))
    _post(not_started, 5000)
    live = _let(north)
    _post(live, 5000)
    result = _run()
    assert (result.accounts, result.in_arrears, result.recommended) == (1, 1, 1)
    assert _open(live) and not _open(ended) and not _open(not_started)


def test_the_balance_counts_rows_posted_up_to_the_end_of_the_day(north):
    account = _let(north)
    _post(account, 5000, on=AS_OF)
    _post(account, -5000, on=AS_OF + timedelta(days=1))  # paid the next day
    _run()
    assert _open(account).owed_pence == 5000


# --- What holds recovery back ---------------------------------------------------------------

@pytest.mark.parametrize("kind", list(Pause.Kind))
def test_each_kind_of_pause_holds_back_every_action_and_says_why(north, kind):
    account = _let(north)
    _post(account, 40000)
    _taken(account, "letter-1", 21)
    _taken(account, "letter-2", 7)
    _run()
    recommendation = _open(account)
    assert recommendation.stage.code == "nosp"
    Pause.objects.create(account=account, kind=kind, start_date=AS_OF - timedelta(days=2),
                         end_date=AS_OF + timedelta(days=58), reason="Debt adviser referral",
                         created_at=AT)
    result = _run()
    assert _open(account) is None
    assert result.held == {kind.label: 1} and result.held_back == 1
    assert result.recommended == 0 and result.withdrawn == 1
    recommendation.refresh_from_db()
    assert recommendation.status == "withdrawn"
    assert recommendation.decision_note == (
        f"No longer due on 30 November 2026: paused until 27 January 2027 ({kind.label}): "
        f"Debt adviser referral")


@pytest.mark.parametrize(("start", "end", "ended_days_before", "holds"), [
    (-10, 0, None, True),  # its last day
    (0, 10, None, True),  # its first day
    (-10, -1, None, False),  # over
    (1, 10, None, False),  # not begun
    (-10, 10, 1, False),  # ended early, yesterday
    (-10, 10, 0, False),  # ended early, today
    (-10, 10, -1, True),  # to end tomorrow
])
def test_a_pause_holds_while_it_is_in_force(north, start, end, ended_days_before, holds):
    account = _let(north)
    _post(account, 5000)
    pause = Pause.objects.create(account=account, kind="officer",
                                 start_date=AS_OF + timedelta(days=start),
                                 end_date=AS_OF + timedelta(days=end), reason="Bereavement",
                                 created_at=AT - timedelta(days=20))
    if ended_days_before is not None:
        Pause.objects.filter(pk=pause.pk).update(
            ended_at=datetime(2026, 11, 30, 12, 0, tzinfo=UTC) - timedelta(days=ended_days_before))
    result = _run()
    assert (_open(account) is None) == holds
    assert result.held == ({"Officer's pause": 1} if holds else {})


@pytest.mark.parametrize(("hearing", "eviction", "closed", "holds"), [
    (0, None, None, True),
    (30, None, None, True),
    (-1, None, None, False),
    (-40, 10, None, True),
    (-40, -1, None, False),
    (30, None, -1, False),
    (None, None, None, False),
])
def test_a_court_or_eviction_date_holds_back(north, hearing, eviction, closed, holds):
    account = _let(north)
    _post(account, 5000)

    def day(offset):
        return None if offset is None else AS_OF + timedelta(days=offset)

    CourtCase.objects.create(account=account, applied_on=AS_OF - timedelta(days=60),
                             hearing_date=day(hearing), eviction_date=day(eviction),
                             closed_on=day(closed))
    result = _run()
    assert (_open(account) is None) == holds
    assert result.held == ({"Court or eviction date set": 1} if holds else {})


def test_court_dates_are_counted_together_whether_paused_or_recorded(north):
    paused, recorded = _let(north), _let(north)
    Pause.objects.create(account=paused, kind="court_date", start_date=AS_OF,
                         end_date=AS_OF + timedelta(days=30), reason="Hearing on 30 December",
                         created_at=AT)
    CourtCase.objects.create(account=recorded, applied_on=AS_OF - timedelta(days=60),
                             hearing_date=AS_OF + timedelta(days=30))
    assert _run().held == {"Court or eviction date set": 2}


def _arrangement(account, user, **fields):
    values = {"amount_pence": 1000, "frequency": "weekly", "start_date": AS_OF - timedelta(days=14),
              "debt_pence": 10000, "agreement": "By phone", "created_by": user, "created_at": AT,
              **fields}
    values.setdefault("agreed_on", values["start_date"])
    return Arrangement.objects.create(account=account, **values)


def test_an_arrangement_being_kept_holds_back_and_a_breached_one_does_not(north, income_officer):
    kept = _let(north)
    _post(kept, 5000)
    _arrangement(kept, income_officer, debt_pence=8000)
    breached = _let(north)
    _post(breached, 5000)
    _arrangement(breached, income_officer, status="breached", breached_on=AS_OF)
    result = _run()
    assert _open(kept) is None
    assert _open(breached).stage.code == "letter-1"
    assert result.held == {"Payment arrangement being kept": 1}


def test_a_deferred_stage_waits_until_its_date_and_another_stage_does_not(north, income_officer):
    account = _let(north)
    _post(account, 5000)
    _run()
    recommendation = _open(account)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status="deferred", deferred_until=AS_OF + timedelta(days=6), decided_by=income_officer,
        decided_at=AT, decision_note="Tenant's payday is Friday")
    result = _run()
    assert _open(account) is None
    assert result.held == {"Deferred by an officer": 1}
    assert _run(as_of=AS_OF + timedelta(days=6)).recommended == 0  # still deferred that day
    assert _run(as_of=AS_OF + timedelta(days=7)).new == 1  # and due the day after
    assert _open(account).stage.code == "letter-1"


def test_a_deferral_of_another_stage_does_not_hold_back(north, income_officer):
    account = _let(north)
    _post(account, 700)
    _run()
    Recommendation.objects.filter(account=account).update(
        status="deferred", deferred_until=AS_OF + timedelta(days=30), decided_at=AT)
    _post(account, 4300)  # now owes £50: Letter 1, not the deferred reminder
    _run()
    assert _open(account).stage.code == "letter-1"


@pytest.mark.parametrize(("days_ago", "holds"), [(0, True), (6, True), (7, False)])
def test_an_overridden_stage_is_not_put_straight_back(north, days_ago, holds):
    account = _let(north)
    _post(account, 5000)
    _run()
    Recommendation.objects.filter(account=account).update(
        status="overridden", decided_at=AT - timedelta(days=days_ago),
        decision_note="Spoke to the tenant: paying on Friday")
    _run()
    assert (_open(account) is None) == holds


# --- Idempotent; withdrawn when no longer due ------------------------------------------------

def test_a_rerun_on_the_same_day_changes_nothing(north, income_officer):
    accounts = [_let(north) for _ in range(4)]
    for account, owed in zip(accounts, [700, 5000, 40000, 0], strict=True):
        if owed:
            _post(account, owed)
    _taken(accounts[2], "letter-1", 30)
    _taken(accounts[2], "letter-2", 9)
    _arrangement(accounts[3], income_officer, debt_pence=1000)
    _post(accounts[3], 20000)  # far behind its arrangement: breached on the first run
    first = _run()
    # The breached account owes £200.00 and gets Letter 1 as well.
    assert (first.new, first.updated, first.withdrawn, first.breaches) == (4, 0, 0, 1)
    before = list(Recommendation.objects.order_by("pk").values())
    events = CaseEvent.objects.count()
    again = _run()
    assert (again.new, again.updated, again.withdrawn, again.breaches, again.changed) == \
        (0, 0, 0, 0, 0)
    assert again.unchanged == 4 and again.by_stage == first.by_stage
    assert list(Recommendation.objects.order_by("pk").values()) == before
    assert CaseEvent.objects.count() == events


def test_the_open_recommendation_is_brought_up_to_date_not_duplicated(north):
    account = _let(north)
    _post(account, 700)
    _run()
    reminder = _open(account)
    assert reminder.stage.code == "reminder"
    _post(account, 300)  # now £10.00: Letter 1
    later = AT + timedelta(days=1)
    result = run_arrears(as_of=AS_OF + timedelta(days=1), by=None, at=later)
    assert (result.new, result.updated) == (0, 1)
    letter = _open(account)
    assert letter.pk == reminder.pk and letter.stage.code == "letter-1"
    assert (letter.owed_pence, letter.as_of, letter.created_at) == (1000, AS_OF + timedelta(1),
                                                                     later)
    assert Recommendation.objects.count() == 1
    _post(account, 500)  # same stage, new figures: updated, its age kept
    run_arrears(as_of=AS_OF + timedelta(days=2), by=None, at=later + timedelta(days=1))
    letter = _open(account)
    assert (letter.owed_pence, letter.created_at) == (1500, later)


def test_a_recommendation_no_longer_due_is_withdrawn_with_the_reason(north):
    cleared = _let(north)
    _post(cleared, 5000)
    below = _let(north)
    _post(below, 5000)
    ended = _let(north, start=date(2020, 1, 6))
    _post(ended, 5000)
    _run()
    _post(cleared, -5000)
    _post(below, -4700)  # owes £3.00: under every stage
    tenancy_services.end_tenancy(tenancy_id=ended.tenancy_id, end_date=AS_OF + timedelta(days=3),
                                 reason="notice", by=None, at=AT)
    result = _run(as_of=AS_OF + timedelta(days=7))
    assert result.withdrawn == 3 and result.recommended == 0
    notes = {account.pk: Recommendation.objects.get(account=account).decision_note
             for account in (cleared, below, ended)}
    assert notes == {
        cleared.pk: "No longer due on 7 December 2026: the account owes nothing",
        below.pk: "No longer due on 7 December 2026: owes £3.00, and no stage of the policy "
                  "is due",
        ended.pk: "No longer due on 7 December 2026: the tenancy is not live",
    }
    assert set(Recommendation.objects.values_list("status", flat=True)) == {"withdrawn"}
    assert _run(as_of=AS_OF + timedelta(days=7)).changed == 0


def test_an_accepted_action_is_not_recommended_again(north, income_officer):
    account = _let(north)
    _post(account, 5000)
    _run()
    recommendation = _open(account)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status="accepted", decided_by=income_officer, decided_at=AT)
    _taken(account, "letter-1", 0)
    result = _run()
    assert result.changed == 0 and _open(account) is None
    assert _run(as_of=AS_OF + timedelta(days=14)).by_stage["Letter 2"] == 1


def test_the_policy_in_force_on_the_date_is_used(north):
    account = _let(north)
    _post(account, 5000)
    ArrearsPolicy.objects.update(effective_from=AS_OF + timedelta(days=1))
    result = _run()
    assert result.policy == "" and _open(account) is None
    assert _run(as_of=AS_OF + timedelta(days=1)).recommended == 1


# --- Arrangement breaches -------------------------------------------------------------------

# An instalment is late from the day after it falls due: on Monday 30 November the run counts
# those due by Sunday 29 November. The tolerance is £5.00.
# Weekly: £10.00 a week against £100.00 from 16 November: two due (16 and 23 November), so
# £80.00 is expected. Monthly: £50.00 a month against £300.00 from 15 September: three due
# (15 September, October and November), so £150.00 is expected.
BREACHES = [
    ("weekly", date(2026, 11, 16), 10000, 1000, 8500, False),
    ("weekly", date(2026, 11, 16), 10000, 1000, 8501, True),
    ("weekly", date(2026, 11, 23), 10000, 1000, 9500, False),  # one due
    ("weekly", date(2026, 11, 23), 10000, 1000, 9501, True),
    ("weekly", AS_OF, 10000, 1000, 10000, False),  # starting today: none late yet
    ("monthly", date(2026, 9, 15), 30000, 5000, 15500, False),
    ("monthly", date(2026, 9, 15), 30000, 5000, 15501, True),
    ("monthly", date(2026, 10, 1), 30000, 5000, 20500, False),  # 1 October and November
    ("monthly", date(2026, 10, 1), 30000, 5000, 20501, True),
    # From 31 August: 31 August, 30 September (the last day), 31 October; 30 November is today.
    ("monthly", date(2026, 8, 31), 30000, 5000, 15500, False),
    ("monthly", date(2026, 8, 31), 30000, 5000, 15501, True),
    ("monthly", date(2026, 9, 30), 30000, 5000, 20500, False),  # 30 September and October
    ("monthly", date(2026, 9, 30), 30000, 5000, 20501, True),
    ("weekly", date(2026, 1, 5), 10000, 1000, 500, False),  # cleared: never below nothing
    ("weekly", date(2026, 1, 5), 10000, 1000, 501, True),
]


@pytest.mark.parametrize(("frequency", "start", "debt", "amount", "owed", "breached"), BREACHES)
def test_arrangement_breach_at_the_tolerance(north, income_officer, frequency, start, debt,
                                             amount, owed, breached):
    account = _let(north)
    _post(account, owed)
    post_rent_run(week=rent_week_for(on=AS_OF), by=None, at=AT)  # this week's rent: not due yet
    arrangement = _arrangement(account, income_officer, frequency=frequency, start_date=start,
                               debt_pence=debt, amount_pence=amount)
    result = _run()
    arrangement.refresh_from_db()
    assert result.breaches == (1 if breached else 0)
    assert arrangement.status == ("breached" if breached else "active")
    assert arrangement.breached_on == (AS_OF if breached else None)
    events = CaseEvent.objects.filter(account=account, kind="arrangement")
    assert events.count() == (1 if breached else 0)
    if breached:
        assert _open(account) is not None  # recovery resumes, for the officer to review
        assert _run().breaches == 0 and events.count() == 1
    else:
        assert _open(account) is None


def test_a_breach_says_by_how_much_in_the_case_diary(north, income_officer):
    account = _let(north)
    _post(account, 9000)
    _arrangement(account, income_officer)
    result = run_arrears(as_of=AS_OF, by=income_officer, at=AT)
    assert result.breaches == 1
    event = CaseEvent.objects.get(account=account, kind="arrangement")
    assert event.summary == "Payment arrangement breached: for the officer to review"
    assert event.detail == (
        "Owed £90.00 on 30 November 2026 before this week's rent. The arrangement of £10.00 a "
        "week on top of the rent from 16 November 2026 (2 payments due so far) expected "
        "£80.00 or less: £10.00 behind, more than the £5.00 allowed.")
    assert (event.happened_on, event.created_by, event.created_at) == (AS_OF, income_officer, AT)


def test_the_tolerance_is_the_policys(north, income_officer):
    ArrearsPolicy.objects.update(breach_tolerance_pence=2500)
    account = _let(north)
    _post(account, 10500)  # £80.00 expected after two payments, and £25.00 allowed
    _arrangement(account, income_officer)
    assert _run().breaches == 0
    _post(account, 1)
    assert _run().breaches == 1


# --- The job: after each rent run, and on demand --------------------------------------------

def test_the_arrears_run_is_queued_after_a_rent_run(north, team_leader,
                                                    django_capture_on_commit_callbacks):
    account = _let(north)
    _post(account, 700)
    week = rent_week_for(on=AS_OF)
    with freeze_time("2026-11-30 06:00:00"), django_capture_on_commit_callbacks(execute=True):
        start_job(kind="rent_run", parameters={"rent_week_id": week.pk}, by=team_leader, at=AT)
    run = BackgroundJob.objects.get(kind="arrears_run")
    assert (run.status, run.started_by, run.parameters) == (
        "succeeded", team_leader, {"as_of": "2026-11-30"})
    recommendation = _open(account)
    assert recommendation.stage.code == "letter-1"  # £7.00 + this week's £100.00
    assert (recommendation.owed_pence, recommendation.job) == (10700, run)
    assert run.result_data["by_stage"] == [
        ["Reminder", 0], ["Letter 1", 1], ["Letter 2", 0], ["NOSP", 0],
        ["Court warning letter", 0], ["Apply for a court date", 0]]
    assert "1 recommended action (1 new, 0 updated)" in run.result_summary


def test_a_rent_run_for_a_week_ahead_runs_arrears_as_at_today(north, team_leader,
                                                              django_capture_on_commit_callbacks):
    week = rent_week_for(on=AS_OF + timedelta(days=7))
    with freeze_time("2026-11-30 06:00:00"), django_capture_on_commit_callbacks(execute=True):
        start_job(kind="rent_run", parameters={"rent_week_id": week.pk}, by=team_leader, at=AT)
    assert BackgroundJob.objects.get(kind="arrears_run").parameters == {"as_of": "2026-11-30"}


def test_the_bench_can_run_the_rent_without_the_arrears_run(django_capture_on_commit_callbacks):
    week = rent_week_for(on=AS_OF)
    with django_capture_on_commit_callbacks(execute=True):
        start_job(kind="rent_run", parameters={"rent_week_id": week.pk,
                                               "then_arrears_run": False}, by=None, at=AT)
    assert not BackgroundJob.objects.filter(kind="arrears_run").exists()


@pytest.fixture
def owing(north):
    account = _let(north)
    _post(account, 5000)
    return account


def test_income_officer_runs_arrears_now_and_sees_the_counts(client_for, income_officer, owing,
                                                             django_capture_on_commit_callbacks):
    with freeze_time("2026-11-30 10:00:00"):
        client = client_for(income_officer)
        page = client.get("/rents/arrears/run/").content.decode()
        assert "<h1 class=\"govuk-heading-xl\">Run arrears now</h1>" in page
        assert 'name="as_of_day" type="text" inputmode="numeric" autocomplete="off" value="30"' \
            in page
        assert "Standard arrears policy" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/rents/arrears/run/", {
                "as_of_day": "30", "as_of_month": "11", "as_of_year": "2026"})
        job = BackgroundJob.objects.get(kind="arrears_run")
        page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert (job.parameters, job.started_by, job.status) == (
        {"as_of": "2026-11-30"}, income_officer, "succeeded")
    assert "Arrears run finished" in page and "Worked out as at 30 November 2026" in page
    assert "1 rent account of live tenancies, 1 of them owing" in page
    results = page[page.index("Recommended actions"):]
    assert [results.index(name) for name in ("Reminder", "Letter 1", "Letter 2", "NOSP")] == \
        sorted(results.index(name) for name in ("Reminder", "Letter 1", "Letter 2", "NOSP"))
    assert _open(owing).job == job


@pytest.mark.parametrize(("day", "month", "year", "message"), [
    ("", "", "", "Enter the date of the run."),
    ("1", "12", "2026", "The date of the run must be today or in the past."),
    ("31", "2", "2026", "The date of the run must be a real date."),
    ("28", "11", "2025", "The date of the run must be within the last year."),
])
def test_a_bad_date_is_refused_and_kept(client_for, income_officer, day, month, year, message):
    with freeze_time("2026-11-30 10:00:00"):
        response = client_for(income_officer).post("/rents/arrears/run/", {
            "as_of_day": day, "as_of_month": month, "as_of_year": year})
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and message in page
    assert f'name="as_of_month" type="text" inputmode="numeric" autocomplete="off" ' \
           f'value="{month}"' in page
    assert not BackgroundJob.objects.exists()


def test_a_date_before_any_policy_is_refused(client_for, income_officer):
    ArrearsPolicy.objects.update(effective_from=date(2026, 12, 1))
    with freeze_time("2026-11-30 10:00:00"):
        response = client_for(income_officer).post("/rents/arrears/run/", {
            "as_of_day": "30", "as_of_month": "11", "as_of_year": "2026"})
    assert "No arrears policy is in force on that date" in response.content.decode()
    assert not BackgroundJob.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "customer_access", "council_tax", "no_access"])
def test_roles_without_work_arrears_cannot_run_it(client_for, request, persona):
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/rents/arrears/run/").status_code == 403
    assert client.post("/rents/arrears/run/", {
        "as_of_day": "30", "as_of_month": "11", "as_of_year": "2026"}).status_code == 403
    assert not BackgroundJob.objects.exists()


def test_team_leaders_may_run_it(client_for, team_leader):
    assert client_for(team_leader).get("/rents/arrears/run/").status_code == 200


def test_tenants_and_anonymous_visitors_are_refused(client_for, tenant):
    assert client_for(tenant).get("/rents/arrears/run/").status_code == 403
    assert client_for(tenant).post("/rents/arrears/run/").status_code == 403
    assert client_for(None).get("/rents/arrears/run/")["Location"].startswith("/accounts/login/")
    assert client_for(None).post("/rents/arrears/run/")["Location"].startswith(
        "/accounts/login/")
    assert not BackgroundJob.objects.exists()
