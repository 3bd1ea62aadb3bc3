"""The weekly rent run: what it posts, pro rata, rent-free weeks, idempotency, and the
append-only ledger."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from housing.jobs import SimulatedWorkerLoss, execute_job, start_job
from rents.calculations import days_charged, week_charge_pence
from rents.models import Charge, ChargeType, RentAccount, RentWeek, Transaction
from rents.services import post_rent_run, rent_week_for
from tenancies import services as tenancy_services
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 30)


def _let(north, *, start, weekly_rent=9876, heating=None, end=None):
    home = PropertyFactory(estate__patch=north)
    Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="rent"),
                          weekly_pence=weekly_rent, start_date=date(2026, 4, 6))
    if heating:
        Charge.objects.create(property=home, charge_type=ChargeType.objects.get(code="heating"),
                              weekly_pence=heating, start_date=date(2026, 4, 6))
    tenancy = tenancy_services.sign_up(property_id=home.pk, tenancy_type="secure",
                                       start_date=start, tenant_ids=[PersonFactory().pk],
                                       by=None, at=AT)
    if end:
        tenancy_services.end_tenancy(tenancy_id=tenancy.pk, end_date=end, reason="notice",
                                     by=None, at=AT)
    return tenancy


def _balance(tenancy):
    account = RentAccount.objects.get(tenancy=tenancy)
    return account.transactions.aggregate(total=Sum("amount_pence"))["total"] or 0


def test_sign_up_opens_the_rent_account(north):
    tenancy = _let(north, start=date(2026, 1, 5))
    account = RentAccount.objects.get(tenancy=tenancy)
    assert (account.payment_reference, account.opened_on) == (tenancy.reference, date(2026, 1, 5))


def test_the_run_posts_one_row_per_charge_element_and_pro_rata_part_weeks(north):
    whole = _let(north, start=date(2020, 1, 6), heating=1250)
    starts_thursday = _let(north, start=date(2026, 12, 3))
    ends_wednesday = _let(north, start=date(2020, 1, 6), end=date(2026, 12, 2))
    ended_before = _let(north, start=date(2020, 1, 6), end=date(2026, 11, 29))
    week = rent_week_for(on=MONDAY)
    result = post_rent_run(week=week, by=None, at=AT)

    assert _balance(whole) == 9876 + 1250
    assert _balance(starts_thursday) == week_charge_pence(weekly_pence=9876, days=4) == 5643
    assert _balance(ends_wednesday) == week_charge_pence(weekly_pence=9876, days=3) == 4233
    assert _balance(ended_before) == 0
    assert result.posted == 4 and result.accounts_charged == 3
    assert result.totals == {"Net rent": 9876 + 5643 + 4233, "Heating": 1250}
    row = Transaction.objects.filter(account__tenancy=whole, charge_type__code="rent").get()
    assert (row.posted_on, row.rent_week, row.source) == (MONDAY, week, "rent_run")


def test_a_rerun_posts_nothing_new(north):
    tenancy = _let(north, start=date(2020, 1, 6))
    week = rent_week_for(on=MONDAY)
    post_rent_run(week=week, by=None, at=AT)
    again = post_rent_run(week=week, by=None, at=AT)
    assert again.posted == 0
    assert _balance(tenancy) == 9876


def test_rent_free_weeks_post_nothing(north):
    tenancy = _let(north, start=date(2020, 1, 6))
    week = RentWeek.objects.get(start_date=date(2026, 12, 28))
    week.rent_free = True
    week.save()
    assert post_rent_run(week=week, by=None, at=AT).posted == 0
    assert _balance(tenancy) == 0


def test_a_week_not_set_up_is_refused():
    with pytest.raises(ValidationError, match="has not been set up"):
        rent_week_for(on=date(2040, 6, 4))


def test_a_tenancy_without_charges_is_reported(north):
    no_charge_home = PropertyFactory(estate__patch=north)
    tenancy = tenancy_services.sign_up(property_id=no_charge_home.pk, tenancy_type="secure",
                                       start_date=date(2021, 3, 1),
                                       tenant_ids=[PersonFactory().pk], by=None, at=AT)
    result = post_rent_run(week=rent_week_for(on=MONDAY), by=None, at=AT)
    assert result.without_charges == [tenancy.reference]


@pytest.mark.parametrize("weekly", [1, 3, 7, 9876, 10000, 12345, 99999])
@pytest.mark.parametrize("start", [date(2026, 11, 30), date(2026, 12, 1), date(2026, 12, 3),
                                   date(2026, 12, 6)])
def test_sql_rounding_matches_the_python_rule(north, weekly, start):
    tenancy = _let(north, start=start, weekly_rent=weekly)
    post_rent_run(week=rent_week_for(on=MONDAY), by=None, at=AT)
    days = days_charged(week_start=MONDAY, tenancy_start=start, tenancy_end=None)
    assert _balance(tenancy) == week_charge_pence(weekly_pence=weekly, days=days)


def test_the_ledger_refuses_update_and_delete(north):
    tenancy = _let(north, start=date(2020, 1, 6))
    post_rent_run(week=rent_week_for(on=MONDAY), by=None, at=AT)
    row = Transaction.objects.get(account__tenancy=tenancy)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        Transaction.objects.filter(pk=row.pk).update(amount_pence=1)
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM rents_transaction WHERE id = %s", [row.pk])
    assert Transaction.objects.get(pk=row.pk).amount_pence == 9876


def test_a_second_rent_charge_for_the_same_week_and_type_is_refused_by_the_database(north):
    tenancy = _let(north, start=date(2020, 1, 6))
    week = rent_week_for(on=MONDAY)
    post_rent_run(week=week, by=None, at=AT)
    account = RentAccount.objects.get(tenancy=tenancy)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(account=account, posted_on=MONDAY, rent_week=week,
                                   kind="charge", charge_type=ChargeType.objects.get(code="rent"),
                                   amount_pence=9876, source="rent_run", created_at=AT)


def test_the_rent_run_job_retried_after_a_lost_worker_charges_once(north, team_leader,
                                                                     monkeypatch):
    tenancies = [_let(north, start=date(2020, 1, 6)) for _ in range(6)]
    week = rent_week_for(on=MONDAY)
    job = start_job(kind="rent_run", parameters={"rent_week_id": week.pk}, by=team_leader,
                    at=AT)

    import rents.services as rent_services

    real = rent_services.transaction.atomic
    calls = {"n": 0}

    def dying_atomic(*args, **kwargs):  # the worker dies after two slices have committed
        calls["n"] += 1
        if calls["n"] == 3:
            raise SimulatedWorkerLoss
        return real(*args, **kwargs)

    monkeypatch.setattr(rent_services.transaction, "atomic", dying_atomic)
    with pytest.raises(SimulatedWorkerLoss):
        execute_job(job_id=job.pk)
    monkeypatch.setattr(rent_services.transaction, "atomic", real)
    assert 0 < Transaction.objects.count() < 6

    job = execute_job(job_id=job.pk)
    assert job.status == "succeeded"
    assert [_balance(t) for t in tenancies] == [9876] * 6
    assert job.result_data["accounts_charged"] == 6
    assert "6 accounts charged" in job.result_summary


def test_a_reversal_cancels_a_charge_once_and_keeps_both_rows(north, team_leader):
    from rents.services import reverse_transaction

    tenancy = _let(north, start=date(2020, 1, 6))
    post_rent_run(week=rent_week_for(on=MONDAY), by=None, at=AT)
    charge = Transaction.objects.get(account__tenancy=tenancy)
    reversal = reverse_transaction(transaction_id=charge.pk, reason="charged in error",
                                   by=team_leader, at=AT)
    assert reversal.amount_pence == -9876 and reversal.reverses == charge
    assert _balance(tenancy) == 0
    assert Transaction.objects.filter(account__tenancy=tenancy).count() == 2
    with pytest.raises(ValidationError, match="already been reversed"):
        reverse_transaction(transaction_id=charge.pk, reason="again", by=team_leader, at=AT)
    with pytest.raises(ValidationError, match="cannot itself be reversed"):
        reverse_transaction(transaction_id=reversal.pk, reason="undo", by=team_leader, at=AT)
    # The rerun of the week does not re-post the reversed charge: the week's charge exists.
    assert post_rent_run(week=rent_week_for(on=MONDAY), by=None, at=AT).posted == 0
