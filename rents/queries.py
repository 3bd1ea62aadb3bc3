"""Reads of rent accounts: the permission-aware getter, the balance, this week's charge and
the ledger with its running balance.

The balance is always the sum of the account's rows (positive: arrears; negative: credit).
The running balance is worked out in SQL for one page of rows at a time, so an account with
years of history costs the same to show as a new one.

Speed: every read here is an index range on the ledger's `ledger_account_order`
(account_id, posted_on, id) INCLUDE (amount_pence), so the balance, the count and the page of
rows are index-only scans however long the history (measured by `statement_p95_ms` in
`make bench`).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from housing.access import get_object_for_user, scope_for_user
from housing.models import User
from rents.calculations import days_charged, week_charge_pence
from rents.models import Charge, RentAccount, Transaction
from rents.services import rent_week_for
from tenancies.models import Tenancy, TenancyMember


def _ledger_totals(queryset):
    """The account rows with `balance_pence` (sum of the ledger) and `transaction_count`,
    in the same query as the account itself."""
    rows = Transaction.objects.filter(account=OuterRef("pk")).order_by().values("account")
    return queryset.annotate(
        balance_pence=Coalesce(Subquery(rows.annotate(total=Sum("amount_pence"))
                                        .values("total")), Value(0)),
        transaction_count=Coalesce(Subquery(rows.annotate(n=Count("id")).values("n")),
                                   Value(0)),
    )


def get_account_for_user(user: User, pk, *, request=None) -> RentAccount:
    """The account with its tenancy, home and today's tenants, its balance and its number of
    rows; or Http404 when the user may not see it (no rent role, or off their patch)."""
    members = TenancyMember.objects.filter(role=TenancyMember.Role.TENANT).select_related(
        "person").order_by("start_date", "pk")
    queryset = _ledger_totals(
        RentAccount.objects.select_related("tenancy__property")
        .prefetch_related(Prefetch("tenancy__members", queryset=members)))
    return get_object_for_user(user, queryset, pk=pk, request=request)


def rent_account_for_tenancy(user: User, tenancy: Tenancy) -> RentAccount | None:
    """The tenancy's rent account with its balance, if the user may see rent accounts."""
    accounts = scope_for_user(user, RentAccount.objects.filter(
        tenancy=tenancy, kind=RentAccount.Kind.RENT))
    account = _ledger_totals(accounts).first()
    if account is not None:
        account.tenancy = tenancy
    return account


def current_rent_account(user: User, property_id: int, *, today: date) -> RentAccount | None:
    """The rent account of the tenancy live in the home today, with its balance, if the
    user may see rent accounts."""
    accounts = scope_for_user(user, RentAccount.objects.filter(
        kind=RentAccount.Kind.RENT, tenancy__property_id=property_id,
        tenancy__start_date__lte=today).filter(
        Q(tenancy__end_date__isnull=True) | Q(tenancy__end_date__gte=today)))
    return _ledger_totals(accounts.select_related("tenancy")).first()


def balance_pence(account_id: int) -> int:
    """The sum of the account's rows: positive is arrears, negative is credit."""
    return Transaction.objects.filter(account_id=account_id).aggregate(
        total=Coalesce(Sum("amount_pence"), 0))["total"]


@dataclass(frozen=True)
class WeekCharge:
    name: str
    weekly_pence: int
    pence: int  # this week's, pro rata when the tenancy starts or ends in the week


@dataclass(frozen=True)
class AccountSummary:
    """What the account page, the tenancy page and the property page show at the top."""

    account: RentAccount
    balance_pence: int
    week_label: str = ""  # "week 35 of 2026/27", or "" when this week is not set up
    week_start: date | None = None
    rent_free: bool = False
    live_this_week: bool = False
    charges: list[WeekCharge] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.balance_pence > 0:
            return "arrears"
        if self.balance_pence < 0:
            return "credit"
        return "clear"

    @property
    def amount_pence(self) -> int:
        """The size of the arrears or credit, without its sign."""
        return abs(self.balance_pence)

    @property
    def week_charge_pence(self) -> int | None:
        """This week's charge: the charges in force on the home on the week's Monday, pro
        rata for a part week, nothing in a rent-free week. None when the tenancy is not live
        this week or the week has not been set up."""
        if not self.live_this_week or self.week_start is None:
            return None
        if self.rent_free:
            return 0
        return sum(charge.pence for charge in self.charges)


def account_summary(account: RentAccount, *, today: date) -> AccountSummary:
    """The balance (from the account's `balance_pence` annotation when it has one) and this
    rent week's charge, worked out the way the rent run will post it (two queries)."""
    balance = getattr(account, "balance_pence", None)
    if balance is None:
        balance = balance_pence(account.pk)
    tenancy = account.tenancy
    try:
        week = rent_week_for(on=today)
    except ValidationError:
        week = None
    monday = week.start_date if week else today - timedelta(days=today.weekday())
    days = 0
    if tenancy is not None:
        days = days_charged(week_start=monday, tenancy_start=tenancy.start_date,
                            tenancy_end=tenancy.end_date)
    charges = []
    if days:
        in_force = Charge.objects.filter(property_id=tenancy.property_id,
                                         start_date__lte=monday).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=monday)).select_related("charge_type")
        charges = [WeekCharge(name=charge.charge_type.name, weekly_pence=charge.weekly_pence,
                              pence=week_charge_pence(weekly_pence=charge.weekly_pence,
                                                      days=days))
                   for charge in in_force if charge.weekly_pence]
    return AccountSummary(
        account=account, balance_pence=int(balance),
        week_label=f"week {week.number} of {week.rent_year}" if week else "",
        week_start=week.start_date if week else None,
        rent_free=bool(week and week.rent_free), live_this_week=days > 0, charges=charges)


# --- The ledger with a running balance ------------------------------------------------------

# One page of rows, newest first, each with the balance after it. The window sum runs over
# the page's rows only; the rows before the page (older in posting order) come in as one
# index range sum. So page 1 of an account with ten years of history reads 50 rows plus one
# range, not ten years. Ledger order is (posted_on, id): a payment dated last Friday sits
# before Monday's rent even if it was keyed in afterwards.
_PAGE_SQL = """
WITH page AS (
    SELECT t.* FROM rents_transaction t
    WHERE t.account_id = %(account)s
    ORDER BY t.posted_on DESC, t.id DESC
    LIMIT %(limit)s OFFSET %(offset)s
), earlier AS (
    SELECT COALESCE(sum(o.amount_pence), 0) AS pence
    FROM rents_transaction o
    JOIN (SELECT posted_on, id FROM page ORDER BY posted_on, id LIMIT 1) first
      ON (o.posted_on, o.id) < (first.posted_on, first.id)
    WHERE o.account_id = %(account)s
)
SELECT p.id, p.posted_on, p.kind, p.method, p.amount_pence, p.reference, p.source,
       p.reverses_id, ct.name, w.number, y.label,
       (SELECT pence FROM earlier)
       + sum(p.amount_pence) OVER (ORDER BY p.posted_on, p.id) AS balance_pence
FROM page p
LEFT JOIN rents_chargetype ct ON ct.id = p.charge_type_id
LEFT JOIN rents_rentweek w ON w.id = p.rent_week_id
LEFT JOIN rents_rentyear y ON y.id = w.rent_year_id
ORDER BY p.posted_on DESC, p.id DESC
"""

_KINDS = dict(Transaction.Kind.choices)
_METHODS = dict(Transaction.Method.choices)


@dataclass(frozen=True)
class LedgerRow:
    id: int
    posted_on: date
    kind: str
    method: str
    amount_pence: int
    reference: str
    source: str
    reverses_id: int | None
    charge_type_name: str | None
    week_number: int | None
    year_label: str | None
    balance_pence: int  # the account's balance after this row

    @property
    def debit_pence(self) -> int | None:
        return self.amount_pence if self.amount_pence > 0 else None

    @property
    def credit_pence(self) -> int | None:
        return -self.amount_pence if self.amount_pence < 0 else None

    @property
    def description(self) -> str:
        if self.kind == Transaction.Kind.CHARGE and self.charge_type_name:
            return self.charge_type_name
        label = _KINDS.get(self.kind, self.kind)
        if self.method:
            return f"{label}: {_METHODS.get(self.method, self.method)}"
        if self.charge_type_name:
            return f"{label}: {self.charge_type_name}"
        return label

    @property
    def details(self) -> str:
        """The rent week and the reference. A rent run's own reference ("Rent week 35")
        only repeats the week, so it is left out."""
        parts = []
        if self.week_number is not None:
            parts.append(f"Week {self.week_number} of {self.year_label}")
        if self.shown_reference:
            parts.append(f"Reference {self.shown_reference}")
        return ", ".join(parts)

    @property
    def week_label(self) -> str:
        """"35 of 2026/27", or "" for a row with no rent week."""
        return f"{self.week_number} of {self.year_label}" if self.week_number is not None else ""

    @property
    def shown_reference(self) -> str:
        """The reference, except a rent run's own, which only repeats the week."""
        if self.kind == Transaction.Kind.CHARGE and self.source == Transaction.Source.RENT_RUN:
            return ""
        return self.reference


def ledger_rows(account_id: int, *, offset: int, limit: int) -> list[LedgerRow]:
    """Rows `offset` to `offset + limit` of the account, newest first, with running
    balances (one query)."""
    if limit <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_PAGE_SQL, {"account": account_id, "offset": offset, "limit": limit})
        return [LedgerRow(*row[:-1], balance_pence=int(row[-1])) for row in cursor.fetchall()]


class Ledger:
    """An account's rows for Django's Paginator: the count is known (from the account's
    annotation) and each slice is one query."""

    def __init__(self, account: RentAccount):
        self.account_id = account.pk
        known = getattr(account, "transaction_count", None)
        self._count = known if known is not None else Transaction.objects.filter(
            account_id=account.pk).count()

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index):
        if not isinstance(index, slice):
            rows = ledger_rows(self.account_id, offset=index, limit=1)
            if not rows:
                raise IndexError(index)
            return rows[0]
        start = index.start or 0
        stop = self._count if index.stop is None else min(index.stop, self._count)
        return ledger_rows(self.account_id, offset=start, limit=stop - start)
