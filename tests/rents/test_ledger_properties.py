"""Property-based: for any sequence of charges, payments, adjustments, reversals, transfers
between two accounts, refunds and approved write-offs, each posted through its service, every
balance is the sum of its rows and equals a model kept beside it, the services refuse exactly
what the rules refuse (posting nothing), and no row, once posted, ever changes."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rents import adjustments
from rents.models import RentAccount, Transaction
from rents.payments import record_payment
from rents.services import post_transfer
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 30, 9, tzinfo=UTC)
POSTED_ON = date(2026, 11, 30)

side = st.sampled_from([0, 1])  # which of the two accounts
steps = st.lists(st.one_of(
    st.tuples(st.just("charge"), side, st.integers(1, 30000)),
    st.tuples(st.just("payment"), side, st.integers(1, 40000)),
    st.tuples(st.just("adjustment"), side, st.integers(1, 5000),
              st.sampled_from(adjustments.Direction.values)),
    st.tuples(st.just("reverse"), side, st.integers(0, 60)),
    st.tuples(st.just("transfer"), side, st.integers(1, 20000)),
    st.tuples(st.just("refund"), side, st.integers(1, 8000)),
    st.tuples(st.just("write_off"), side, st.integers(1, 8000)),
), max_size=25)

# What is compared to prove a row never changed: everything a statement or a report reads.
ROW_FIELDS = ("pk", "account_id", "posted_on", "kind", "method", "amount_pence", "reference",
              "source", "reverses_id", "created_by_id", "created_at")


def _account(patch) -> RentAccount:
    from tenancies.services import sign_up

    home = PropertyFactory(estate__patch=patch)
    tenancy = sign_up(property_id=home.pk, tenancy_type="secure", start_date=date(2024, 4, 1),
                      tenant_ids=[PersonFactory().pk], by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


@pytest.fixture
def accounts(north):
    return [_account(north), _account(north)]


def _ledger() -> list[tuple]:
    return list(Transaction.objects.order_by("pk").values_list(*ROW_FIELDS))


def _must_refuse(step, balances, rows) -> bool:
    """The rules, written out apart from the services: a refund and a move to the other
    account only up to the credit, a write-off and a credit adjustment only up to the
    arrears, and a reversal never of a reversal, of a row already reversed, or of one half of
    a move between accounts."""
    kind, index, value, *rest = step
    if kind in ("refund", "transfer"):
        return not 0 < value <= -balances[index]
    if kind == "write_off":
        return not 0 < value <= balances[index]
    if kind == "adjustment" and rest[0] == adjustments.Direction.CREDIT:
        return not 0 < value <= balances[index]
    if kind == "reverse":
        target = _reverse_target(step, rows)
        reversed_pks = {points_at for _owner, _amount, k, points_at in rows.values()
                        if k == "reversal"}
        return (rows[target][2] == "reversal" or target in reversed_pks
                or rows[target][3] == "transfer")
    return False


def _reverse_target(step, rows) -> int | None:
    """The row a "reverse" step picks: one of its account's rows, by position."""
    _kind, index, value = step
    mine = sorted(pk for pk, (owner, *_rest) in rows.items() if owner == index)
    return mine[value % len(mine)] if mine else None


def _post(step, accounts, rows, *, maker, checker) -> list[Transaction]:
    """Post one step through its service; returns the ledger rows it posted."""
    kind, index, value, *rest = step
    account, other = accounts[index], accounts[1 - index]
    if kind == "charge":
        # The rent run posts in sets (tested on its own); one charge row stands for it here.
        return [Transaction.objects.create(account=account, posted_on=POSTED_ON, kind="charge",
                                           amount_pence=value, source="officer",
                                           created_at=AT)]
    if kind == "payment":
        return [record_payment(account_id=account.pk, amount_pence=value, method="card",
                               received_on=POSTED_ON, reference="", by=maker, at=AT)]
    if kind == "adjustment":
        return [adjustments.record_adjustment(account_id=account.pk, direction=rest[0],
                                              amount_pence=value, reason="test", by=maker,
                                              at=AT)]
    if kind == "transfer":
        transfer = post_transfer(from_account_id=account.pk, to_account_id=other.pk,
                                 amount_pence=value, reason="test", by=maker, at=AT)
        return [transfer.out_entry, transfer.in_entry]
    if kind == "refund":
        return [adjustments.record_refund(account_id=account.pk, amount_pence=value,
                                          method="bank_transfer", reason="test", by=maker,
                                          at=AT)]
    if kind == "write_off":
        write_off = adjustments.request_write_off(account_id=account.pk, amount_pence=value,
                                                  reason="test", by=maker, at=AT)
        return [adjustments.approve_write_off(write_off_id=write_off.pk, by=checker,
                                              at=AT).entry]
    return [adjustments.reverse_entry(account_id=account.pk,
                                      transaction_id=_reverse_target(step, rows),
                                      reason="test", by=maker, at=AT)]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_balances_are_the_sums_of_rows_and_rows_never_change(accounts, income_officer,
                                                             team_leader, steps):
    with transaction.atomic():
        balances = [0, 0]
        # pk -> (account index, amount, kind, what it points at: the reversed row's pk, or
        # "transfer" for either half of a move between accounts)
        rows: dict[int, tuple] = {}
        for step in steps:
            if step[0] == "reverse" and _reverse_target(step, rows) is None:
                continue  # nothing on that account to reverse yet
            must_refuse = _must_refuse(step, balances, rows)
            event(f"{step[0]} {'refused' if must_refuse else 'posted'}")
            before = _ledger()
            try:
                posted = _post(step, accounts, rows, maker=income_officer,
                               checker=team_leader)
            except ValidationError:
                # Refused as the rules say, and nothing at all was posted.
                assert must_refuse, step
                assert _ledger() == before
                continue
            assert not must_refuse, step
            for row in posted:
                index = accounts.index(row.account)
                points_at = ("transfer" if step[0] == "transfer"
                             else row.reverses_id if row.kind == "reversal" else None)
                rows[row.pk] = (index, row.amount_pence, row.kind, points_at)
                balances[index] += row.amount_pence
            # Every row posted before this step is exactly as it was posted; the step only
            # added its own rows.
            after = _ledger()
            assert after[:len(before)] == before
            assert len(after) == len(before) + len(posted)
            for index, account in enumerate(accounts):
                total = account.transactions.aggregate(total=Sum("amount_pence"))["total"] or 0
                assert total == balances[index], step
        for index in range(2):
            assert balances[index] == sum(amount for owner, amount, *_ in rows.values()
                                          if owner == index)
        # Moves between the accounts neither make nor lose money.
        moved = Transaction.objects.filter(kind="transfer").aggregate(s=Sum("amount_pence"))
        assert (moved["s"] or 0) == 0
        transaction.set_rollback(True)
