"""The Schedule of Rates import (django-import-export): SOR codes and their dated prices, from
the council's own schedule (the NHF schedule is licensed, so only a sample ships).

It works as the register's imports do (housing.resources): every row checked and every bad
row named by column, nothing kept unless every row is good, writes in sets, reruns matched by
a natural key. The key here is the code and the start date together, because a price is a
dated version of its code (repairs.models.SorCode):
- a row whose code and start date are already recorded updates that version (its
  description, trade, unit and price);
- a row with a later start date than the code's latest version is a new price: the version
  before it ends the day before it starts (unless it had already ended earlier), so that one
  price is in force on any day;
- a row dated before the code's latest version is refused with the reason: a price cannot be
  slipped in under one that follows it (work order lines point at the version in force when
  they were added);
- the same code and start date twice in one file is refused.
Several new prices for one code in one file are taken in date order, each ending the day
before the next starts.
"""

from collections import defaultdict
from datetime import date, timedelta

from import_export import widgets
from import_export.fields import Field

from housing.money import MoneyError, format_pence, pence_to_pounds, pounds_to_pence
from housing.resources.base import Column, CouncilResource, join_rows
from housing.resources.widgets import DateWidget, LookupWidget, TextWidget, cell_text, is_blank
from repairs.models import SorCode, Trade


def normalise_code(value) -> str:
    """SOR codes are kept in capitals without spaces around them: pl100 is PL100."""
    return "" if is_blank(value) else cell_text(value).upper()


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


class SorCodeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return normalise_code(value)

    def render(self, value, obj=None, **kwargs):
        return value or ""


class PoundsWidget(widgets.Widget):
    """An amount in pounds and pence (28.50, £28.50, 1,250) kept as pence. More than two
    decimal places, or a negative amount, is refused rather than rounded."""

    def clean(self, value, row=None, **kwargs):
        if is_blank(value):
            return None
        text = cell_text(value)
        try:
            pence = pounds_to_pence(text)
        except MoneyError as error:
            raise ValueError(f"“{text}” is not an amount in pounds: {error}") from None
        if pence < 0:
            raise ValueError(f"“{text}” is below zero: a price cannot be negative.")
        return pence

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(pence_to_pounds(value))


class SorCodeResource(CouncilResource):
    """Schedule of Rates codes and their prices, matched by code and start date. A later start
    date is a new price: the price before it ends the day before."""

    what = "SOR price"
    to_end: tuple = ()  # set for each file by before_import
    key_columns = ("code",)
    constraint_messages = {
        "one_sor_price_at_a_time": (
            "start_date", "two prices of the same SOR code would be in force on the same day. "
                          "Each price ends the day before the next one starts."),
        "sor_price_not_negative": ("unit_price", "A price cannot be negative."),
        "sor_ends_after_it_starts": (
            "start_date", "a price would end before it starts."),
    }
    columns = (
        Column("code", "required", "The SOR code, up to 20 characters (kept in capitals); with "
               "start_date, matched on a rerun.", "PL100"),
        Column("description", "required", "What the work is, up to 300 characters.",
               "Renew tap washer or cartridge"),
        Column("trade", "required", "The code of the trade that does it (set up under Trades "
               "in the admin): plumbing, electrical, carpentry...", "plumbing"),
        Column("unit", "required", "What the price is for: each, m, m², hour, item...",
               "each"),
        Column("unit_price", "required", "The price of one unit in pounds and pence, not "
               "pence: 28.50 is £28.50.", "28.50"),
        Column("start_date", "required", "The first day of this price. A later date than the "
               "code's latest price adds a new price and ends the one before the day before; "
               "the same date corrects that price.", "2026-04-01"),
    )

    code = Field(attribute="code", column_name="code", widget=SorCodeWidget())
    description = Field(attribute="description", column_name="description",
                        widget=TextWidget())
    trade = Field(attribute="trade", column_name="trade", widget=LookupWidget(
        Trade, missing="No trade has the code “{value}”. Use the code of a trade set up under "
                       "Trades in the admin (for example plumbing or electrical)."))
    unit = Field(attribute="unit", column_name="unit", widget=TextWidget())
    unit_price = Field(attribute="unit_price_pence", column_name="unit_price",
                       widget=PoundsWidget())
    start_date = Field(attribute="start_date", column_name="start_date", widget=DateWidget())

    class Meta:
        model = SorCode
        fields = ("code", "description", "trade", "unit", "unit_price", "start_date")
        import_order = export_order = fields
        import_id_fields = ("code", "start_date")

    # The natural key: the code and the start date ---------------------------------------
    def row_key(self, row):
        code = normalise_code(row.get("code"))
        try:
            start = DateWidget().clean(row.get("start_date"))
        except ValueError:
            return None
        return (code, start) if code and start else None

    def existing_by_key(self, keys):
        return {(version.code, version.start_date): [version]
                for versions in self.versions.values() for version in versions}

    def duplicate_message(self, key, other_rows):
        code, start = key
        return (f"{code} from {_day(start)} is also on row {join_rows(other_rows)}. A code's "
                f"price from a date must appear once in the file: remove or merge the repeated "
                f"rows.")

    # The whole file ------------------------------------------------------------------------
    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # Every version of the file's codes (one query), oldest first.
        self.versions: dict[str, list[SorCode]] = defaultdict(list)
        codes = {code for code, _start in self.rows_by_key}
        for version in SorCode.objects.filter(code__in=codes).order_by("code", "start_date"):
            self.versions[version.code].append(version)
        # What the new prices end: each new version's end date, and the recorded versions
        # that end the day before the first new price of their code.
        starts = defaultdict(set)
        for code, start in self.rows_by_key:
            starts[code].add(start)
        self.new_end: dict[tuple[str, date], date | None] = {}
        self.to_end: list[tuple[SorCode, date]] = []
        for code, days in starts.items():
            held = self.versions.get(code, [])
            latest = held[-1] if held else None
            new = sorted(day for day in days if latest is None or day > latest.start_date)
            for index, day in enumerate(new):
                following = new[index + 1] if index + 1 < len(new) else None
                self.new_end[code, day] = following - timedelta(days=1) if following else None
            if new and latest and (latest.end_date is None or latest.end_date >= new[0]):
                self.to_end.append((latest, new[0] - timedelta(days=1)))

    # Each row --------------------------------------------------------------------------
    def check_row(self, instance, row, errors, *, number, **kwargs):
        if errors.keys() & {"code", "start_date"} or not instance.code:
            return
        if instance.start_date is None:
            return  # "Fill in start_date", from the model's own check
        if instance.pk is not None:
            return  # a correction of a recorded price: its dates stay as they are
        held = self.versions.get(instance.code, [])
        latest = held[-1] if held else None
        if latest is not None and instance.start_date < latest.start_date:
            recorded = ", ".join(_day(version.start_date) for version in held)
            self.add_error(errors, "start_date", (
                f"{instance.code} already has a price from {_day(latest.start_date)} "
                f"({format_pence(latest.unit_price_pence)}), after {_day(instance.start_date)}. "
                f"A new price must start after the latest one; a price cannot be put in before "
                f"a later one. To correct a recorded price, give its own start date "
                f"({recorded})."))
            return
        instance.end_date = self.new_end.get((instance.code, instance.start_date))

    # Writing ---------------------------------------------------------------------------
    def get_bulk_update_fields(self):
        # A correction changes what the file holds; end dates belong to `to_end`.
        return ["description", "trade", "unit", "unit_price_pence"]

    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None,
                    result=None):
        # One price at a time (the exclusion constraint): the prices that end must end
        # before the new ones are written.
        self.end_earlier_prices(using_transactions, dry_run, raise_errors, result)
        super().bulk_create(using_transactions, dry_run, raise_errors, batch_size=batch_size,
                            result=result)

    def end_earlier_prices(self, using_transactions, dry_run, raise_errors, result) -> None:
        if not self.to_end or not (using_transactions or not dry_run):
            return
        from django.db import transaction
        from simple_history.utils import bulk_update_with_history

        versions = []
        for version, end in self.to_end:
            version.end_date = end
            version._change_reason = (f"{self.change_reason}: a new price from "
                                      f"{_day(end + timedelta(days=1))}")[:100]
            versions.append(version)
        self.to_end = []
        try:
            with transaction.atomic():
                bulk_update_with_history(versions, SorCode, ["end_date"],
                                         default_user=self.user,
                                         default_change_reason=self.change_reason,
                                         default_date=self.at)
        except Exception as error:  # noqa: BLE001 - reported, and the import rolled back
            self.handle_import_error(result, self.refusal(error), raise_errors)
        finally:
            for version in versions:  # a correction of the same row has its own reason
                del version._change_reason

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("trade")
