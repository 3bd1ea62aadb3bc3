"""Rent reports as background jobs (on screen and CSV): rent roll, collection rate, arrears by
band, suspense items, accounts in credit.

Each report is a few set-based statements (aggregates over the ledger, the charges and the
tenancies; a temporary table when the detail and its summary come from the same scan), never
a query per account. The runner stores what the job page shows in `result_data` (pence as
integers, shown by the `money` filter) and writes every row to a CSV in `result_file`
(amounts in pounds with two decimals, for spreadsheets).

Who sees what: the person who started the job (`job.started_by`). Without
housing.view_all_patches they see only accounts in their own patches. Suspense items belong to
no patch: they are shown to those who see every patch and to those who allocate them
(rents.allocate_suspense), as on the suspense page.

Definitions, as the screens explain them:
- rent roll: every tenancy live on the date, each charge in force on its home that day (weekly),
  and the annual rent: weekly x the rent year's charged (not rent-free) weeks;
- collection rate: collected / debited x 100, to one decimal place (halves up), where
  collected is the payments and Housing Benefit credited to rent accounts in the period, less
  any of those reversed in the period (a returned Direct Debit was not collected), and debited
  is the charges posted in the period less reversals of charges posted in the period;
- arrears by band: rent accounts whose balance at the end of the date is owed, by size;
- accounts in credit: rent accounts whose balance at the end of the date is below zero;
- arrears letters reconciliation: letters due against letters produced (rents.reconciliation).
"""

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from housing.jobs import register
from housing.models import BackgroundJob, User
from housing.money import format_pence
from housing.money import pence_to_pounds as pounds
from housing.reporting import Result, report_runner
from rents.models import Charge, ChargeType, RentYear

REPORT_PERMS = ("housing.use_reports", "rents.view_rentaccount")
SUSPENSE_PERM = "rents.allocate_suspense"
SHOWN_ROWS = 100  # the longest list a report puts on screen; the CSV has every row

# Arrears bands: (lowest pence, highest pence or None, label).
BANDS = [
    (1, 9999, "£0.01 to £99.99"),
    (10000, 24999, "£100 to £249.99"),
    (25000, 49999, "£250 to £499.99"),
    (50000, 99999, "£500 to £999.99"),
    (100000, None, "£1,000 or more"),
]


@dataclass(frozen=True)
class Report:
    kind: str
    title: str
    description: str
    dates: list[tuple[str, str, str]] = field(default_factory=list)  # (name, legend, what)


REPORTS: dict[str, Report] = {report.kind: report for report in [
    Report("rent_roll", "Rent roll",
           "Every tenancy live on a date: its home, patch, each weekly charge, the weekly total "
           "and the annual rent (weekly charge times the rent year's charged weeks).",
           [("on", "Rent roll on", "the date of the rent roll")]),
    Report("collection_rate", "Collection rate",
           "Rent collected as a percentage of rent debited in a period, overall and by patch.",
           [("start", "From", "the start date"), ("end", "To", "the end date")]),
    Report("arrears_bands", "Arrears by band",
           "How many rent accounts owe £0.01 to £99.99, £100 to £249.99, £250 to £499.99, "
           "£500 to £999.99 and £1,000 or more, and how much, overall and by patch.",
           [("on", "Balances at the end of", "the date of the balances")]),
    Report("suspense_items", "Suspense items",
           "Payments waiting in suspense because their reference matched no account, oldest "
           "first."),
    Report("accounts_in_credit", "Accounts in credit",
           "Rent accounts with a balance below zero, the credit on each, and totals by patch.",
           [("on", "Balances at the end of", "the date of the balances")]),
    Report("letters_reconciliation", "Arrears letters reconciliation",
           "Arrears letters due against letters produced, by patch, and every case with a "
           "letter accepted but never produced or waiting longer than the policy allows."),
]}


# --- Who sees what --------------------------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    patch_ids: list[int] | None  # None: every patch
    suspense: bool

    def params(self) -> dict:
        return {"all_patches": self.patch_ids is None, "patches": self.patch_ids or []}


def scope_of(user: User | None) -> Scope:
    """What a report started by `user` may include (None: the system, everything)."""
    if user is None:
        return Scope(patch_ids=None, suspense=True)
    every_patch = user.has_perm("housing.view_all_patches")
    return Scope(
        patch_ids=None if every_patch else sorted(user.patches.values_list("pk", flat=True)),
        suspense=every_patch or user.has_perm(SUSPENSE_PERM))


def may_run(user: User) -> bool:
    return all(user.has_perm(perm) for perm in REPORT_PERMS)


# The rent accounts a scope covers, with their tenancy, home and patch: `a` is the account.
_PATCH_JOINS = """
JOIN tenancies_tenancy t ON t.id = a.tenancy_id
JOIN housing_property p ON p.id = t.property_id
JOIN housing_patch pa ON pa.id = p.patch_id
"""
_IN_SCOPE = "a.kind = 'rent' AND (%(all_patches)s OR p.patch_id = ANY(%(patches)s))"


# --- Checking what was asked for ------------------------------------------------------------

def rent_year_on(on: date) -> RentYear:
    """The rent year containing `on` with its counts of weeks and charged weeks."""
    year = (RentYear.objects.filter(start_date__lte=on, end_date__gte=on)
            .annotate(week_count=Count("weeks"),
                      charged_weeks=Count("weeks", filter=Q(weeks__rent_free=False))).first())
    if year is None or not year.week_count:
        raise ValidationError({"on": "The rent year for that date has not been set up. An "
                                     "administrator adds rent years and their weeks in the admin."})
    return year


def check_parameters(kind: str, dates: dict[str, date], *, today: date) -> None:
    """Refuse dates a report cannot use, keyed by the date's name."""
    if kind == "rent_roll":
        rent_year_on(dates["on"])
    elif kind == "collection_rate":
        errors = {}
        if dates["start"] > today:
            errors["start"] = "The start date must be today or in the past."
        if dates["end"] > today:
            errors["end"] = "The end date must be today or in the past."
        elif dates["end"] < dates["start"]:
            errors["end"] = "The end date must be the same as or after the start date."
        if errors:
            raise ValidationError(errors)
    elif "on" in dates and dates["on"] > today:
        raise ValidationError({"on": "The date must be today or in the past."})


# --- The reports ----------------------------------------------------------------------------

def rate_percent(collected: int, debited: int) -> str | None:
    """collected / debited as a percentage to one decimal place, halves up; None when
    nothing was debited."""
    if debited <= 0:
        return None
    rate = (Decimal(collected) * 100 / Decimal(debited)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return str(rate)


@contextmanager
def _temporary(cursor, name: str):
    """A transaction in which the report builds the temporary table `name` (its detail rows,
    read twice: for the summary and for the CSV). It is dropped at the end, also when the
    report runs inside a longer transaction (ON COMMIT DROP covers a failure)."""
    with transaction.atomic(), cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        yield cursor
        cursor.execute(f"DROP TABLE {name}")


def rent_roll(*, on: date, scope: Scope) -> Result:
    year = rent_year_on(on)
    in_force = Charge.objects.filter(charge_type=OuterRef("pk"), start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on))
    types = list(ChargeType.objects.filter(Exists(in_force)).order_by("order", "name"))
    # One column per charge type in force that day (ids are the database's own integers).
    columns = "".join(
        f", COALESCE(sum(c.weekly_pence) FILTER (WHERE c.charge_type_id = {int(kind.pk)}), 0)"
        f" AS type_{int(kind.pk)}" for kind in types)
    type_sums = "".join(f", sum(type_{int(kind.pk)})" for kind in types)
    params = {"on": on, "weeks": year.charged_weeks, **scope.params()}
    with _temporary(connection.cursor(), "report_rent_roll") as cursor:
        cursor.execute(f"""
            CREATE TEMPORARY TABLE report_rent_roll ON COMMIT DROP AS
            SELECT t.reference, p.address_line_1, p.postcode, pa.name AS patch {columns},
                   COALESCE(sum(c.weekly_pence), 0) AS weekly
            FROM tenancies_tenancy t
            JOIN housing_property p ON p.id = t.property_id
            JOIN housing_patch pa ON pa.id = p.patch_id
            LEFT JOIN rents_charge c
              ON c.property_id = p.id AND c.start_date <= %(on)s
             AND (c.end_date IS NULL OR c.end_date >= %(on)s)
            WHERE t.start_date <= %(on)s AND (t.end_date IS NULL OR t.end_date >= %(on)s)
                AND (%(all_patches)s OR p.patch_id = ANY(%(patches)s))
            GROUP BY t.id, t.reference, p.address_line_1, p.postcode, pa.name
        """, params)  # noqa: S608 - the only text put in is built from integer ids
        cursor.execute(f"""
            SELECT patch, count(*) {type_sums}, sum(weekly), sum(weekly) * %(weeks)s
            FROM report_rent_roll GROUP BY ROLLUP (patch) ORDER BY GROUPING(patch), patch
        """, params)  # noqa: S608
        summary = cursor.fetchall()
        cursor.execute("""
            SELECT *, weekly * %(weeks)s FROM report_rent_roll ORDER BY patch, reference
        """, params)
        detail = cursor.fetchall()
    lines = [{"patch": row[0] or "All patches", "tenancies": row[1],
              "elements": [int(value or 0) for value in row[2:2 + len(types)]],
              "weekly": int(row[-2] or 0), "annual": int(row[-1] or 0)} for row in summary]
    total = lines.pop() if lines else {"tenancies": 0, "weekly": 0, "annual": 0,
                                       "elements": [0] * len(types)}
    count = len(types)
    rows = [[*row[:4], *(pounds(value) for value in row[4:4 + count]), pounds(row[4 + count]),
             year.charged_weeks, pounds(row[5 + count])] for row in detail]
    return Result(
        data={"on": on.isoformat(), "on_label": _long(on), "year": year.label,
              "charged_weeks": year.charged_weeks, "week_count": year.week_count,
              "types": [kind.name for kind in types], "patches": lines, "total": total},
        header=["Tenancy reference", "Address", "Postcode", "Patch",
                *(f"{kind.name} (£ a week)" for kind in types), "Weekly total (£)",
                "Charged weeks", "Annual rent (£)"],
        rows=rows,
        summary=(f"Rent roll on {_long(on)}: {total['tenancies']:,} "
                 f"tenanc{'y' if total['tenancies'] == 1 else 'ies'}, "
                 f"{format_pence(total['weekly'])} a week, {format_pence(total['annual'])} a "
                 f"year ({year.charged_weeks} charged weeks in {year.label})."))


def collection_rate(*, start: date, end: date, scope: Scope) -> Result:
    params = {"start": start, "end": end, **scope.params()}
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT pa.name,
                   COALESCE(-sum(x.amount_pence) FILTER (
                       WHERE x.kind IN ('payment', 'benefit')
                          OR (x.kind = 'reversal' AND o.kind IN ('payment', 'benefit'))), 0),
                   COALESCE(sum(x.amount_pence) FILTER (
                       WHERE x.kind = 'charge' OR (x.kind = 'reversal' AND o.kind = 'charge')),
                            0)
            FROM rents_transaction x
            JOIN rents_rentaccount a ON a.id = x.account_id
            {_PATCH_JOINS}
            LEFT JOIN rents_transaction o ON o.id = x.reverses_id
            WHERE {_IN_SCOPE} AND x.posted_on BETWEEN %(start)s AND %(end)s
            GROUP BY ROLLUP (pa.name) ORDER BY GROUPING(pa.name), pa.name
        """, params)  # noqa: S608 - fixed text only
        found = cursor.fetchall()
    lines = [{"patch": name or "All patches", "collected": int(collected),
              "debited": int(debited), "rate": rate_percent(int(collected), int(debited))}
             for name, collected, debited in found]
    total = lines.pop() if lines else {"patch": "All patches", "collected": 0, "debited": 0,
                                       "rate": None}
    rate = f"{total['rate']}%" if total["rate"] is not None else "not applicable (nothing debited)"
    return Result(
        data={"start": start.isoformat(), "end": end.isoformat(),
              "period_label": f"{_long(start)} to {_long(end)}", "patches": lines,
              "total": total},
        header=["Patch", "Collected (£)", "Debited (£)", "Collection rate (%)"],
        rows=[[line["patch"], pounds(line["collected"]), pounds(line["debited"]),
               line["rate"] or ""] for line in [*lines, total]],
        summary=(f"Collection rate from {_long(start)} to {_long(end)}: {rate} "
                 f"({format_pence(total['collected'])} collected of "
                 f"{format_pence(total['debited'])} debited)."))


def _band_case() -> str:
    cases = " ".join(f"WHEN b.balance <= {high} THEN {number}"
                     for number, (_low, high, _label) in enumerate(BANDS, start=1) if high)
    return f"CASE {cases} ELSE {len(BANDS)} END"


def _balances_table(cursor, *, name: str, on: date, scope: Scope, condition: str) -> None:
    """A temporary table of the scope's rent accounts whose balance at the end of `on`
    meets `condition`, with their tenancy, home and patch: one pass over the ledger."""
    cursor.execute(f"""
        CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS
        SELECT a.payment_reference, t.reference AS tenancy, p.address_line_1, p.postcode,
               pa.name AS patch, (t.end_date IS NOT NULL AND t.end_date < %(on)s) AS ended,
               b.balance, {_band_case()} AS band
        FROM rents_rentaccount a
        JOIN (SELECT account_id, sum(amount_pence) AS balance FROM rents_transaction
              WHERE posted_on <= %(on)s GROUP BY account_id) b ON b.account_id = a.id
        {_PATCH_JOINS}
        WHERE {_IN_SCOPE} AND {condition}
    """, {"on": on, **scope.params()})  # noqa: S608 - fixed text and integers only


def arrears_bands(*, on: date, scope: Scope) -> Result:
    with _temporary(connection.cursor(), "report_arrears") as cursor:
        _balances_table(cursor, name="report_arrears", on=on, scope=scope,
                        condition="b.balance > 0")
        cursor.execute("""
            SELECT patch, band, count(*), sum(balance), GROUPING(patch), GROUPING(band)
            FROM report_arrears
            GROUP BY GROUPING SETS ((patch, band), (patch), (band), ())
            ORDER BY GROUPING(patch), patch, GROUPING(band), band
        """)
        summary = cursor.fetchall()
        cursor.execute("""
            SELECT payment_reference, tenancy, address_line_1, postcode, patch, ended, balance,
                   band FROM report_arrears ORDER BY patch, balance DESC, payment_reference
        """)
        detail = cursor.fetchall()
    labels = {number: label for number, (_low, _high, label) in enumerate(BANDS, start=1)}
    empty = {"accounts": 0, "pence": 0}
    overall = {"bands": [{"band": label, **empty} for label in labels.values()], **empty}
    patches: dict[str, dict] = {}
    for patch, band, accounts, pence, no_patch, no_band in summary:
        figures = {"accounts": accounts, "pence": int(pence or 0)}
        target = overall if no_patch else patches.setdefault(patch, {
            "patch": patch, "bands": [{"band": label, **empty} for label in labels.values()],
            **empty})
        if no_band:
            target.update(figures)
        else:
            target["bands"][band - 1].update(figures)
    return Result(
        data={"on": on.isoformat(), "on_label": _long(on), "overall": overall,
              "patches": list(patches.values())},
        header=["Account reference", "Tenancy reference", "Address", "Postcode", "Patch",
                "Tenancy", "Balance owed (£)", "Band"],
        rows=[[reference, tenancy, address, postcode, patch, "Ended" if ended else "Current",
               pounds(balance), labels[band]]
              for reference, tenancy, address, postcode, patch, ended, balance, band in detail],
        summary=(f"Arrears at the end of {_long(on)}: {overall['accounts']:,} "
                 f"{'account owes' if overall['accounts'] == 1 else 'accounts owe'} "
                 f"{format_pence(overall['pence'])}."))


def accounts_in_credit(*, on: date, scope: Scope) -> Result:
    with _temporary(connection.cursor(), "report_credit") as cursor:
        _balances_table(cursor, name="report_credit", on=on, scope=scope,
                        condition="b.balance < 0")
        cursor.execute("""
            SELECT patch, count(*), -sum(balance) FROM report_credit
            GROUP BY ROLLUP (patch) ORDER BY GROUPING(patch), patch
        """)
        summary = cursor.fetchall()
        cursor.execute("""
            SELECT payment_reference, tenancy, address_line_1, postcode, patch, ended, -balance
            FROM report_credit ORDER BY balance, payment_reference
        """)
        detail = cursor.fetchall()
    lines = [{"patch": patch or "All patches", "accounts": accounts, "pence": int(pence or 0)}
             for patch, accounts, pence in summary]
    total = lines.pop() if lines else {"patch": "All patches", "accounts": 0, "pence": 0}
    shown = [{"reference": row[0], "tenancy": row[1], "address": f"{row[2]}, {row[3]}",
              "patch": row[4], "ended": row[5], "pence": int(row[6])}
             for row in detail[:SHOWN_ROWS]]
    return Result(
        data={"on": on.isoformat(), "on_label": _long(on), "patches": lines, "total": total,
              "largest": shown},
        header=["Account reference", "Tenancy reference", "Address", "Postcode", "Patch",
                "Tenancy", "Credit (£)"],
        rows=[[*row[:5], "Ended" if row[5] else "Current", pounds(row[6])] for row in detail],
        summary=(f"At the end of {_long(on)}, {total['accounts']:,} "
                 f"account{' is' if total['accounts'] == 1 else 's are'} in credit by "
                 f"{format_pence(total['pence'])} in all."))


_METHODS = {"direct_debit": "Direct Debit", "card": "Card",
            "allpay": "Allpay / PayPoint / Post Office", "bank_transfer": "Bank transfer",
            "standing_order": "Standing order", "cash": "Cash at the office"}


def suspense_items(*, today: date, scope: Scope) -> Result:
    header = ["Received on", "Days in suspense", "Kind", "Method", "Amount (£)", "Reference",
              "Payment file"]
    if not scope.suspense:
        return Result(data={"hidden": True, "today": today.isoformat()}, header=header,
                      summary="Suspense items are shown to those who allocate them.")
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT x.posted_on, %(today)s - x.posted_on, x.kind, x.method, -x.amount_pence,
                   x.reference, f.name
            FROM rents_transaction x
            JOIN rents_rentaccount a ON a.id = x.account_id AND a.kind = 'suspense'
            LEFT JOIN rents_paymentfile f ON f.id = x.payment_file_id
            WHERE x.kind IN ('payment', 'benefit')
              AND NOT EXISTS (SELECT 1 FROM rents_transfer tr WHERE tr.allocates_id = x.id)
            ORDER BY x.posted_on, x.id
        """, {"today": today})
        detail = cursor.fetchall()
    kinds = {"payment": "Payment", "benefit": "Housing Benefit"}
    total = sum(int(row[4]) for row in detail)
    items = [{"received_on": row[0].isoformat(), "received_label": f"{row[0]:%-d %b %Y}",
              "days": row[1], "kind": kinds[row[2]],
              "method": _METHODS.get(row[3], row[3]), "pence": int(row[4]),
              "reference": row[5], "file": row[6] or ""} for row in detail[:SHOWN_ROWS]]
    return Result(
        data={"today": today.isoformat(), "count": len(detail), "pence": total, "items": items},
        header=header,
        rows=[[row[0].isoformat(), row[1], kinds[row[2]], _METHODS.get(row[3], row[3]),
               pounds(row[4]), row[5], row[6] or ""] for row in detail],
        summary=(f"{len(detail):,} payment{'' if len(detail) == 1 else 's'} in suspense, "
                 f"{format_pence(total)} in all."))


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- As background jobs ---------------------------------------------------------------------

def _dates(job: BackgroundJob) -> dict[str, date]:
    return {name: date.fromisoformat(value) for name, value in job.parameters.items()
            if name in {"on", "start", "end"}}


def build(kind: str, job: BackgroundJob) -> Result:
    """The report `kind` for the job's parameters, as the person who started it may see it."""
    scope = scope_of(job.started_by)
    dates = _dates(job)
    if kind == "rent_roll":
        return rent_roll(on=dates["on"], scope=scope)
    if kind == "collection_rate":
        return collection_rate(start=dates["start"], end=dates["end"], scope=scope)
    if kind == "arrears_bands":
        return arrears_bands(on=dates["on"], scope=scope)
    if kind == "accounts_in_credit":
        return accounts_in_credit(on=dates["on"], scope=scope)
    if kind == "letters_reconciliation":
        from rents import reconciliation  # it builds on this module

        return reconciliation.report(today=timezone.localtime(job.created_at).date(),
                                     scope=scope)
    return suspense_items(today=timezone.localtime(job.created_at).date(), scope=scope)


for _report in REPORTS.values():
    register(_report.kind, title=_report.title, perm="housing.use_reports",
             result_template=f"rents/reports/_{_report.kind}.html",
             )(report_runner(_report.kind, build))
