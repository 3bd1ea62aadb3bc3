"""Property-based: for any sequence of charges, payments, adjustments and reversals, the
balance is the sum of the rows and no row, once posted, ever changes."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rents.models import RentAccount, Transaction
from rents.services import reverse_transaction
from tests.housing.factories import PersonFactory, PropertyFactory

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 30, 9, tzinfo=UTC)

steps = st.lists(st.one_of(
    st.tuples(st.just("charge"), st.integers(1, 30000)),
    st.tuples(st.just("payment"), st.integers(1, 50000)),
    st.tuples(st.just("adjustment"), st.integers(-5000, 5000).filter(bool)),
    st.tuples(st.just("reverse"), st.integers(0, 40)),
), max_size=25)


@pytest.fixture
def account(north):
    from tenancies.services import sign_up

    home = PropertyFactory(estate__patch=north)
    tenancy = sign_up(property_id=home.pk, tenancy_type="secure", start_date=date(2024, 4, 1),
                      tenant_ids=[PersonFactory().pk], by=None, at=AT)
    return RentAccount.objects.get(tenancy=tenancy)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_balance_is_the_sum_of_rows_and_rows_never_change(account, team_leader, steps):
    with transaction.atomic():
        expected, posted = 0, {}
        for kind, value in steps:
            if kind == "reverse":
                if not posted:
                    continue
                target = sorted(posted)[value % len(posted)]
                try:
                    row = reverse_transaction(transaction_id=target, reason="test",
                                              by=team_leader, at=AT)
                except ValidationError:
                    continue  # already reversed, or a reversal: refused, nothing posted
            else:
                amount = -value if kind == "payment" else value
                row = Transaction.objects.create(
                    account=account, posted_on=date(2026, 11, 30), kind=kind,
                    amount_pence=amount, source="officer", created_at=AT)
            posted[row.pk] = row.amount_pence
            expected += row.amount_pence
            # Every row posted so far is exactly as it was posted.
            assert dict(account.transactions.values_list("pk", "amount_pence")) == posted
        balance = account.transactions.aggregate(total=Sum("amount_pence"))["total"] or 0
        assert balance == expected == sum(posted.values())
        transaction.set_rollback(True)
