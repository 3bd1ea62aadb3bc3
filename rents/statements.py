"""Statements: an account's transactions over any date range, with the opening balance, a
running balance on every row, the closing balance and the period's debits and credits.

The figures come from the ledger in two queries and nothing is rounded: every amount is
whole pence already. The opening balance is the sum of the rows posted before the start, so
the closing balance (opening + the period's rows) is the account's balance as at the end date.
Rows are in ledger order, (posted_on, id), the same order as the account page's running
balance, so a statement and the page always agree.

A period that touches a rent year with 53 rent weeks (2024/25, 2030/31, 2035/36) gets an
explanation for Universal Credit claimants, when the tenancy is live in that 53rd week: UC's
housing costs are worked out on 52 weeks a year, so the rent of the 53rd week is not covered
and the tenant should expect to pay it themselves.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import connection

from housing.money import format_pence
from rents.calculations import rent_year_bounds
from rents.models import RentAccount
from rents.queries import LedgerRow
from tenancies.models import TenancyMember
from tenancies.services import add_months

MAX_YEARS = 10


def default_range(*, today: date) -> tuple[date, date]:
    """The current rent year to date: 1 April (of this rent year) to today."""
    start_year = today.year if today.month >= 4 else today.year - 1
    return rent_year_bounds(start_year)[0], today


def latest_end(start: date) -> date:
    """The last end date a statement from `start` may have: ten years less a day (1 April
    2016 to 31 March 2026 is ten years)."""
    return add_months(start, 12 * MAX_YEARS) - timedelta(days=1)


def check_range(*, start: date, end: date, today: date) -> None:
    """Refuse a range that ends before it starts, reaches into the future or is longer than
    ten years, each with a message next to the date it is about."""
    errors = {}
    if start > today:
        errors["start"] = "The start date must be today or in the past."
    if end > today:
        errors["end"] = "The end date must be today or in the past."
    elif end < start:
        errors["end"] = "The end date must be the same as or after the start date."
    elif end > latest_end(start):
        errors["end"] = (f"A statement can cover 10 years at most: choose an end date no later "
                         f"than {_long_date(latest_end(start))}, or a later start date.")
    if errors:
        raise ValidationError(errors)


@dataclass(frozen=True)
class ExtraWeek:
    """The 53rd rent week of a rent year the statement touches."""

    year_label: str
    week_start: date
    charged_pence: int  # this account's charges for that week, net of reversals (0: none)


@dataclass(frozen=True)
class Statement:
    account: RentAccount
    start: date
    end: date
    tenants: list[str]
    address_lines: list[str]
    opening_pence: int
    rows: list[LedgerRow]  # oldest first; each row's balance_pence is the balance after it
    debits_pence: int  # the sum of the period's debits (positive)
    credits_pence: int  # the sum of the period's credits, as a positive amount
    extra_weeks: list[ExtraWeek]

    @property
    def closing_pence(self) -> int:
        return self.opening_pence + self.debits_pence - self.credits_pence

    @property
    def closing_words(self) -> str:
        return _balance_words(self.closing_pence)

    @property
    def opening_words(self) -> str:
        return _balance_words(self.opening_pence)


# The period's rows with the running balance: the opening balance (rows before the start) in
# the same statement, so the two cannot disagree if a row is posted meanwhile.
_ROWS_SQL = """
WITH opening AS (
    SELECT COALESCE(sum(o.amount_pence), 0) AS pence FROM rents_transaction o
    WHERE o.account_id = %(account)s AND o.posted_on < %(start)s
)
SELECT p.id, p.posted_on, p.kind, p.method, p.amount_pence, p.reference, p.source,
       p.reverses_id, ct.name, w.number, y.label,
       (SELECT pence FROM opening)
       + sum(p.amount_pence) OVER (ORDER BY p.posted_on, p.id) AS balance_pence,
       (SELECT pence FROM opening) AS opening_pence
FROM rents_transaction p
LEFT JOIN rents_chargetype ct ON ct.id = p.charge_type_id
LEFT JOIN rents_rentweek w ON w.id = p.rent_week_id
LEFT JOIN rents_rentyear y ON y.id = w.rent_year_id
WHERE p.account_id = %(account)s AND p.posted_on BETWEEN %(start)s AND %(end)s
ORDER BY p.posted_on, p.id
"""

# The rent years the period touches that have 53 rent weeks, each with its last week and
# what this account was charged for it (charges less their reversals, which carry the week
# of the charge they reverse).
_EXTRA_WEEKS_SQL = """
WITH long_years AS (
    SELECT y.label, y.start_date, max(w.start_date) AS last_monday,
           (array_agg(w.id ORDER BY w.start_date DESC))[1] AS last_week_id
    FROM rents_rentyear y
    JOIN rents_rentweek w ON w.rent_year_id = y.id
    WHERE y.start_date <= %(end)s AND y.end_date >= %(start)s
    GROUP BY y.id, y.label, y.start_date
    HAVING count(*) = 53
)
SELECT l.label, l.last_monday,
       COALESCE((SELECT sum(x.amount_pence) FROM rents_transaction x
                 WHERE x.account_id = %(account)s AND x.rent_week_id = l.last_week_id
                   AND (x.kind = 'charge'
                        OR (x.kind = 'reversal' AND x.charge_type_id IS NOT NULL))), 0)
FROM long_years l
ORDER BY l.start_date
"""


def statement_for(account: RentAccount, *, start: date, end: date) -> Statement:
    """The statement of `account` from `start` to `end` inclusive (by posting date). Two
    queries; the account's tenancy, home and tenants come with it from
    `get_account_for_user`."""
    params = {"account": account.pk, "start": start, "end": end}
    with connection.cursor() as cursor:
        cursor.execute(_ROWS_SQL, params)
        fetched = cursor.fetchall()
        opening = None
        if not fetched:
            cursor.execute("SELECT COALESCE(sum(amount_pence), 0) FROM rents_transaction "
                           "WHERE account_id = %(account)s AND posted_on < %(start)s", params)
            opening = cursor.fetchone()[0]
        cursor.execute(_EXTRA_WEEKS_SQL, params)
        extra = [ExtraWeek(year_label=label, week_start=monday, charged_pence=int(pence))
                 for label, monday, pence in cursor.fetchall()
                 if _live_in_week(account, monday)]
    rows = [LedgerRow(*row[:11], balance_pence=int(row[11])) for row in fetched]
    if opening is None:
        opening = fetched[0][12]
    debits = sum(row.amount_pence for row in rows if row.amount_pence > 0)
    credits = -sum(row.amount_pence for row in rows if row.amount_pence < 0)
    return Statement(account=account, start=start, end=end, tenants=_tenants(account, start, end),
                     address_lines=_address(account), opening_pence=int(opening), rows=rows,
                     debits_pence=debits, credits_pence=credits, extra_weeks=extra)


def balance_as_at(account_id: int, on: date) -> int:
    """The account's balance at the end of `on`: the sum of its rows posted on or before."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(sum(amount_pence), 0) FROM rents_transaction "
                       "WHERE account_id = %s AND posted_on <= %s", [account_id, on])
        return int(cursor.fetchone()[0])


def _tenants(account: RentAccount, start: date, end: date) -> list[str]:
    """The tenants named on the tenancy at any time in the period (from the members the
    getter prefetched)."""
    tenancy = account.tenancy
    if tenancy is None:
        return []
    return [member.person.full_name for member in tenancy.members.all()
            if member.role == TenancyMember.Role.TENANT and member.start_date <= end
            and (member.end_date is None or member.end_date >= start)]


def _live_in_week(account: RentAccount, monday: date) -> bool:
    """Whether the account's tenancy was live in the rent week from `monday` (the 53-week
    note is only for tenants who pay that week's rent)."""
    tenancy = account.tenancy
    if tenancy is None:
        return False
    return tenancy.start_date <= monday + timedelta(days=6) and (
        tenancy.end_date is None or tenancy.end_date >= monday)


def _address(account: RentAccount) -> list[str]:
    return account.tenancy.property.address_lines if account.tenancy else []


def _balance_words(pence: int) -> str:
    if pence > 0:
        return f"{format_pence(pence)} owed (in arrears)"
    if pence < 0:
        return f"{format_pence(-pence)} in credit"
    return "£0.00 (clear)"


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"

