"""Imports and exports of the register: estates, blocks, homes and people (django-import-export).

This is how a council brings its data across from the old system, so every import:
- checks each row and says, per row and column, what to fix (`check_row`, the widgets and the
  model's own validation, with constraint names turned into sentences);
- keeps nothing unless every row is good: the file runs in one transaction, which is rolled
  back on any bad row (`CouncilResource.import_data` forces this; the library on its own keeps
  the good rows when others fail validation);
- matches existing records by a natural key (estate and block code, UPRN, a person's name and
  date of birth, tenancy reference), so a rerun updates them and never duplicates a record.

Row numbers in messages are spreadsheet rows: the headings are row 1, the first record row 2.
(`Result.invalid_rows[].number` counts records from 1; add one for the spreadsheet row.)

The columns of each file are `columns` on each resource: the admin import page shows them, and
docs/imports.md describes them with an example of each file.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import TextChoices
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.safestring import mark_safe
from import_export import resources, widgets
from import_export.fields import Field
from import_export.instance_loaders import BaseInstanceLoader
from import_export.resources import Diff

from housing.models import Adaptation, Block, Estate, Patch, Person, Property
from housing.validators import (
    normalise_nino,
    normalise_postcode,
    normalise_uprn,
    validate_nino,
    validate_postcode,
    validate_uprn,
)


def file_row(number: int) -> int:
    """The spreadsheet row of the library's record number (the headings are row 1)."""
    return number + 1


def join_rows(rows: list[int]) -> str:
    rows = [str(row) for row in rows]
    return rows[0] if len(rows) == 1 else ", ".join(rows[:-1]) + " and " + rows[-1]


@dataclass(frozen=True)
class Column:
    """One column of an import file, as documented on the import page and in docs/imports.md."""

    name: str
    required: str
    description: str
    example: str = ""


class ImportFileError(Exception):
    """The file as a whole cannot be imported (missing or unknown columns)."""


# --- Widgets: turn a cell into a value, or say what is wrong with it -------------------------

def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    """A cell as text. Spreadsheets hand over numbers: 1234.0 becomes "1234"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return "" if _is_blank(value) else _text(value)


class ChoiceWidget(widgets.Widget):
    """A value from a TextChoices, given as its code or its label, in any case."""

    def __init__(self, choices: type[TextChoices]):
        super().__init__()
        self.choices = choices

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        text = _text(value).casefold()
        for choice in self.choices:
            if text in (choice.value.casefold(), str(choice.label).casefold()):
                return choice.value
        allowed = ", ".join(self.choices.values)
        raise ValueError(f"“{_text(value)}” is not allowed here. Use one of: {allowed}.")

    def render(self, value, obj=None, **kwargs):
        return value or ""


class YesNoWidget(widgets.Widget):
    YES = {"yes", "y", "true", "1"}
    NO = {"no", "n", "false", "0"}

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        if isinstance(value, bool):
            return value
        text = _text(value).casefold()
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(f"Enter yes or no, not “{_text(value)}”.")

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else ("yes" if value else "no")


class DateWidget(widgets.Widget):
    """A date as 2024-03-31 or 31/03/2024 (UK order), or a spreadsheet date cell."""

    FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = _text(value)
        for pattern in self.FORMATS:
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValueError(f"Enter a real date like 2024-03-31 or 31/03/2024, not “{text}”.")

    def render(self, value, obj=None, **kwargs):
        return value.isoformat() if value else ""


class WholeNumberWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        text = _text(value)
        if not re.fullmatch(r"-?\d{1,6}", text):
            raise ValueError(f"Enter a whole number, not “{text}”.")
        return int(text)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class UprnWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return ""
        uprn = normalise_uprn(_text(value))
        try:
            validate_uprn(uprn)
        except ValidationError:
            raise ValueError(
                f"“{_text(value)}” is not a UPRN. Enter the home's Unique Property Reference "
                f"Number: up to 12 digits, like 100040212345."
            ) from None
        return uprn

    def render(self, value, obj=None, **kwargs):
        return value or ""


class PostcodeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return ""
        postcode = normalise_postcode(_text(value))
        try:
            validate_postcode(postcode)
        except ValidationError:
            raise ValueError(
                f"“{_text(value)}” is not a UK postcode. Enter a full postcode like EX1 1AA."
            ) from None
        return postcode

    def render(self, value, obj=None, **kwargs):
        return value or ""


class NinoWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return ""
        nino = normalise_nino(_text(value))
        try:
            validate_nino(nino)
        except ValidationError:
            raise ValueError(
                f"“{_text(value)}” is not a National Insurance number. Enter one like "
                f"AB 12 34 56 C, or leave it blank."
            ) from None
        return nino

    def render(self, value, obj=None, **kwargs):
        return value or ""


class LookupWidget(widgets.Widget):
    """A related record named by a key (a code, a UPRN), ignoring case. Lookups are cached for
    one import; `prime()` loads every key of the file in one query."""

    def __init__(self, model, *, key: str = "code", normalise=_text, missing: str):
        super().__init__()
        self.model, self.key, self.normalise, self.missing = model, key, normalise, missing
        self.cache: dict = {}

    def _cache_key(self, value) -> str:
        return self.normalise(value).casefold()

    def reset(self) -> None:
        self.cache = {}

    def prime(self, values) -> None:
        keys = {self._cache_key(v) for v in values if not _is_blank(v)} - set(self.cache)
        if not keys:
            return
        found = {getattr(obj, self.key).casefold(): obj for obj in
                 self.model.objects.annotate(lookup_key=Lower(self.key)).filter(lookup_key__in=keys)}
        for key in keys:
            self.cache[key] = found.get(key)

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return None
        key = self._cache_key(value)
        if key not in self.cache:
            self.prime([value])
        obj = self.cache[key]
        if obj is None:
            raise ValueError(self.missing.format(value=_text(value)))
        return obj

    def render(self, value, obj=None, **kwargs):
        return getattr(value, self.key, "") if value is not None else ""


class AdaptationsWidget(widgets.ManyToManyWidget):
    """Adaptation names separated by semicolons, e.g. "Ramp; Level-access shower"."""

    def __init__(self):
        super().__init__(Adaptation, separator=";", field="name")

    def clean(self, value, row=None, **kwargs):
        if _is_blank(value):
            return Adaptation.objects.none()
        names = [name.strip() for name in _text(value).split(";") if name.strip()]
        known = {a.name.casefold(): a for a in Adaptation.objects.all()}
        unknown = [name for name in names if name.casefold() not in known]
        if unknown:
            raise ValueError(
                f"Unknown adaptation: {', '.join(unknown)}. Check the spelling, or add it "
                f"under Adaptations in the admin first. Separate several with semicolons."
            )
        return Adaptation.objects.filter(pk__in=[known[name.casefold()].pk for name in names])

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return "; ".join(sorted(a.name for a in value.all()))


# --- Natural keys ------------------------------------------------------------------------

class NaturalKeyLoader(BaseInstanceLoader):
    """Finds the existing record of each row by the resource's natural key, with one query
    for the whole file. A row whose key cannot be read is new (and its key column is
    reported by the widget)."""

    def __init__(self, resource, dataset=None):
        super().__init__(resource, dataset)
        keys = {resource.row_key(row) for row in (dataset.dict if dataset else [])}
        keys.discard(None)
        self.existing = resource.existing_by_key(keys) if keys else {}

    def get_instance(self, row):
        key = self.resource.row_key(row)
        if key is None:
            return None
        found = self.existing.get(key, [])
        if len(found) > 1:
            raise ValidationError(self.resource.ambiguous_message(key, found))
        return found[0] if found else None


class ResourceDiff(Diff):
    """The preview shows every column, including those computed for export (tenants), and
    marks changes without inline styles, which the Content-Security-Policy refuses (the
    library's stylesheet colours <ins> and <del>)."""

    @classmethod
    def _read_field_values(cls, resource, instance):
        return [resource.export_field(f, instance) for f in resource.get_import_fields()]

    def as_html(self):
        return [mark_safe(re.sub(r' style="[^"]*"', "", html))  # noqa: S308 - library's HTML
                for html in super().as_html()]


# --- The base of every import ------------------------------------------------------------

class CouncilResource(resources.ModelResource):
    """Shared behaviour. Subclasses set `columns`, `row_key`, `existing_by_key` and
    `check_row`, and list the natural key column in `key_columns`."""

    columns: tuple[Column, ...] = ()
    key_columns: tuple[str, ...] = ()
    extra_columns: re.Pattern | None = None  # headings accepted beyond `columns`
    what = "record"  # "home", "person": used in messages
    # constraint name -> (column, message): database and model constraint failures, in words.
    constraint_messages: dict[str, tuple[str, str]] = {}

    class Meta:
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        instance_loader_class = NaturalKeyLoader

    # The natural key -------------------------------------------------------------------
    def row_key(self, row):
        raise NotImplementedError

    def existing_by_key(self, keys) -> dict:
        """key -> list of existing records with that key."""
        raise NotImplementedError

    def ambiguous_message(self, key, found) -> str:
        return f"More than one {self.what} already has this key; the import cannot tell " \
               f"which to update."

    def get_diff_class(self):
        return ResourceDiff

    # The whole file ------------------------------------------------------------------------
    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        # All or nothing: one bad row refuses the whole file, so validation errors roll back
        # the transaction too (the library default keeps the good rows).
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True,
            collect_failed_rows=collect_failed_rows, rollback_on_validation_errors=True,
            **kwargs)

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        if self.user is not None and not getattr(self.user, "pk", None):
            self.user = None
        self.at = kwargs.get("at") or timezone.now()  # the edge: imports are run now
        self.file_name = kwargs.get("file_name") or "an import file"
        for field in self.fields.values():
            if hasattr(field.widget, "reset"):
                field.widget.reset()
        self._tidy(dataset)
        self._check_columns(dataset)
        self.rows_by_key = defaultdict(list)
        for number, row in enumerate(dataset.dict, 1):
            key = self.row_key(row)
            if key is not None:
                self.rows_by_key[key].append(file_row(number))
        for field in self.fields.values():
            if isinstance(field.widget, LookupWidget) and field.column_name in dataset.headers:
                field.widget.prime(dataset[field.column_name])

    def _tidy(self, dataset) -> None:
        """Headings are matched without case or surrounding spaces; spreadsheets often carry
        empty rows at the end and empty, unnamed columns, which are dropped."""
        if not dataset.headers:
            return
        headers = ["" if h is None else str(h).strip().lower() for h in dataset.headers]
        rows = [list(row) for row in dataset]
        keep = [i for i, heading in enumerate(headers)
                if heading or not all(_is_blank(row[i]) for row in rows)]
        while rows and all(_is_blank(value) for value in rows[-1]):
            rows.pop()
        dataset.wipe()
        dataset.headers = [headers[i] for i in keep]
        for row in rows:
            dataset.append([row[i] for i in keep])

    def _check_columns(self, dataset) -> None:
        headers = list(dataset.headers or [])
        known = [column.name for column in self.columns]
        problems = []
        missing = [c.name for c in self.columns if c.required == "required" and
                   c.name not in headers]
        if missing:
            problems.append(f"The file has no {', '.join(missing)} column"
                            f"{'s' if len(missing) > 1 else ''}.")
        unknown = [h or "(a column with no heading)" for h in headers if h not in known
                   and not (self.extra_columns and self.extra_columns.match(h))]
        if unknown:
            problems.append(f"Unknown column{'s' if len(unknown) > 1 else ''}: "
                            f"{', '.join(unknown)}.")
        duplicated = sorted({h for h in headers if h and headers.count(h) > 1})
        if duplicated:
            problems.append(f"Repeated column{'s' if len(duplicated) > 1 else ''}: "
                            f"{', '.join(duplicated)}.")
        if problems:
            del dataset[0:len(dataset)]  # nothing to check row by row until the file is right
            raise ImportFileError(
                " ".join(problems) + f" The columns of this file are: {', '.join(known)} "
                f"(see the list on this page)."
            )

    # Each row --------------------------------------------------------------------------
    def import_instance(self, instance, row, **kwargs):
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = {self.column_of(k): v for k, v in error.update_error_dict({}).items()}
        number = file_row(kwargs.get("row_number", 0))
        key = self.row_key(row)
        if key is not None and len(self.rows_by_key.get(key, [])) > 1:
            others = [r for r in self.rows_by_key[key] if r != number]
            self.add_error(errors, self.key_columns[0], self.duplicate_message(key, others))
        self.check_row(instance, row, errors, number=number, **kwargs)
        if errors:
            raise ValidationError(errors)

    def duplicate_message(self, key, other_rows: list[int]) -> str:
        return (f"This {self.what} is also on row {join_rows(other_rows)}. Each {self.what} "
                f"must appear once in the file: remove or merge the repeated rows.")

    def check_row(self, instance, row, errors: dict, *, number: int, **kwargs) -> None:
        """Add what is wrong with the row, column by column, to `errors`."""

    @staticmethod
    def add_error(errors: dict, column: str, message: str) -> None:
        errors.setdefault(column, []).append(ValidationError(message))

    def column_of(self, attribute: str) -> str:
        """Errors are reported under the column a person sees, not the model field name."""
        for field in self.fields.values():
            if field.attribute == attribute:
                return field.column_name
        return attribute

    def attributes_of(self, column: str) -> set[str]:
        return {f.attribute for f in self.fields.values() if f.column_name == column
                and f.attribute} | {column}

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        exclude = set()
        for column in errors:
            exclude |= self.attributes_of(column)
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            for attribute, problems in error.error_dict.items():
                for problem in problems:
                    column, message = self.in_words(attribute, problem)
                    if column not in errors or attribute == NON_FIELD_ERRORS:
                        self.add_error(errors, column, message)
        if errors:
            raise ValidationError(errors)

    def in_words(self, attribute: str, problem: ValidationError) -> tuple[str, str]:
        message = " ".join(problem.messages)
        for name, (column, text) in self.constraint_messages.items():
            if name in message:
                return column, text
        column = self.column_of(attribute)
        if problem.code in ("blank", "null", "required"):
            return column, f"Fill in {column}: every {self.what} needs it."
        return column, message

    def save_instance(self, instance, is_create, row, **kwargs):
        instance._change_reason = f"Imported from {self.file_name}"
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves the rest usable
                super().save_instance(instance, is_create, row, **kwargs)
        except IntegrityError as error:
            raise ValidationError(self.integrity_errors(error)) from None

    def integrity_errors(self, error: IntegrityError) -> dict:
        cause = getattr(error, "__cause__", None)
        name = getattr(getattr(cause, "diag", None), "constraint_name", None) or ""
        for constraint, (column, text) in self.constraint_messages.items():
            if constraint == name or constraint in str(error):
                return {column: [text]}
        return {NON_FIELD_ERRORS: [
            f"The database refused this row ({name or 'a constraint'}); check it against "
            f"the rest of the file and the records already held."]}

    def after_import(self, dataset, result, **kwargs):
        # The library resets primary-key sequences after creating rows; our rows never carry
        # their own ids, so there is nothing to reset.
        return None


def _code(value) -> str:
    return _text(value)


def patch_field() -> Field:
    return Field(attribute="patch", column_name="patch", widget=LookupWidget(
        Patch, missing="No patch has the code “{value}”. Use the code of a patch set up "
                       "under Patches in the admin."))


def estate_field() -> Field:
    return Field(attribute="estate", column_name="estate", widget=LookupWidget(
        Estate, missing="No estate has the code “{value}”. Import the estate first (the "
                        "estates file), or check the code."))


# --- Estates -----------------------------------------------------------------------------

class EstateResource(CouncilResource):
    """Estates, matched by `code`."""

    what = "estate"
    key_columns = ("code",)
    columns = (
        Column("code", "required", "The estate's short code, unique: letters, digits, hyphens "
               "(matched on a rerun).", "riverside"),
        Column("name", "required", "The estate's name, unique.", "Riverside Estate"),
        Column("patch", "required", "The code of the patch (area) the estate is in.", "north"),
    )

    code = Field(attribute="code", column_name="code", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    patch = patch_field()

    class Meta:
        model = Estate
        fields = ("code", "name", "patch")
        import_order = export_order = fields
        import_id_fields = ("code",)

    def row_key(self, row):
        value = row.get("code")
        return None if _is_blank(value) else _code(value)

    def existing_by_key(self, keys):
        return {e.code: [e] for e in Estate.objects.filter(code__in=keys)}

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("patch")


# --- Blocks ------------------------------------------------------------------------------

class BlockResource(CouncilResource):
    """Blocks of flats, matched by `code`."""

    what = "block"
    key_columns = ("code",)
    constraint_messages = {
        "block_name_unique_in_estate": (
            "name", "The estate already has a block with this name. Give each block of an "
                    "estate its own name."),
    }
    columns = (
        Column("code", "required", "The block's short code, unique across the council "
               "(matched on a rerun).", "riverside-mill-house"),
        Column("name", "required", "The block's name, unique within its estate.", "Mill House"),
        Column("estate", "required", "The code of the estate the block is on.", "riverside"),
        Column("storeys", "optional", "Number of storeys.", "6"),
        Column("has_lift", "optional", "yes or no (blank: no, or unchanged).", "yes"),
    )

    code = Field(attribute="code", column_name="code", widget=TextWidget())
    name = Field(attribute="name", column_name="name", widget=TextWidget())
    estate = estate_field()
    storeys = Field(attribute="storeys", column_name="storeys", widget=WholeNumberWidget())
    has_lift = Field(attribute="has_lift", column_name="has_lift", widget=YesNoWidget(),
                     saves_null_values=False)

    class Meta:
        model = Block
        fields = ("code", "name", "estate", "storeys", "has_lift")
        import_order = export_order = fields
        import_id_fields = ("code",)

    def row_key(self, row):
        value = row.get("code")
        return None if _is_blank(value) else _code(value)

    def existing_by_key(self, keys):
        return {b.code: [b] for b in Block.objects.filter(code__in=keys)}

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate")


# --- Homes -------------------------------------------------------------------------------

def _uprn_key(value):
    if _is_blank(value):
        return None
    uprn = normalise_uprn(_text(value))
    try:
        validate_uprn(uprn)
    except ValidationError:
        return None
    return uprn


class PropertyResource(CouncilResource):
    """Homes and non-dwellings (garages, communal areas), matched by UPRN."""

    what = "home"
    key_columns = ("uprn",)
    constraint_messages = {
        "a_home_has_a_property_type": (
            "property_type", "A home (kind dwelling) needs a property_type: "
                             + ", ".join(Property.PropertyType.values) + "."),
        "uprn_up_to_12_digits": ("uprn", "Enter a UPRN of up to 12 digits, like 100040212345."),
    }
    columns = (
        Column("uprn", "required", "Unique Property Reference Number, up to 12 digits; "
               "matched on a rerun.", "100040212345"),
        Column("kind", "optional", "dwelling (a home, the default), garage, communal or "
               "other.", "dwelling"),
        Column("property_type", "required for homes", "house, flat, maisonette, bungalow or "
               "bedsit.", "flat"),
        Column("estate", "optional", "The code of its estate. Taken from the block when "
               "blank.", "riverside"),
        Column("block", "optional", "The code of its block, for flats.",
               "riverside-mill-house"),
        Column("address_line_1", "required", "First line of the address.", "Flat 3, Mill House"),
        Column("address_line_2", "optional", "Second line of the address.", "Mill Lane"),
        Column("town", "required", "Town or city.", "Exeter"),
        Column("postcode", "required", "UK postcode (any case or spacing).", "EX2 4AB"),
        Column("bedrooms", "optional", "Number of bedrooms.", "2"),
        Column("floor_level", "optional", "0 is the ground floor, -1 a basement.", "1"),
        Column("build_year", "optional", "Year built.", "1968"),
        Column("tenure", "optional", "rented, void, leasehold or sold. New homes without it "
               "are void; a tenancy import makes a home with a live tenancy rented.", "void"),
        Column("patch", "required unless the estate gives it", "The code of the patch (area). "
               "Blank: the estate's patch.", "north"),
        Column("adaptations", "optional", "Adaptation names, separated by semicolons; each "
               "must exist under Adaptations.", "Ramp; Level-access shower"),
    )

    uprn = Field(attribute="uprn", column_name="uprn", widget=UprnWidget())
    kind = Field(attribute="kind", column_name="kind", widget=ChoiceWidget(Property.Kind),
                 saves_null_values=False)
    property_type = Field(attribute="property_type", column_name="property_type",
                          widget=ChoiceWidget(Property.PropertyType), default="")
    estate = estate_field()
    block = Field(attribute="block", column_name="block", widget=LookupWidget(
        Block, missing="No block has the code “{value}”. Import the block first (the blocks "
                       "file), or check the code."))
    address_line_1 = Field(attribute="address_line_1", column_name="address_line_1",
                           widget=TextWidget())
    address_line_2 = Field(attribute="address_line_2", column_name="address_line_2",
                           widget=TextWidget())
    town = Field(attribute="town", column_name="town", widget=TextWidget())
    postcode = Field(attribute="postcode", column_name="postcode", widget=PostcodeWidget())
    bedrooms = Field(attribute="bedrooms", column_name="bedrooms", widget=WholeNumberWidget())
    floor_level = Field(attribute="floor_level", column_name="floor_level",
                        widget=WholeNumberWidget())
    build_year = Field(attribute="build_year", column_name="build_year",
                       widget=WholeNumberWidget())
    tenure = Field(attribute="tenure", column_name="tenure",
                   widget=ChoiceWidget(Property.Tenure), saves_null_values=False)
    patch = patch_field()
    adaptations = Field(attribute="adaptations", column_name="adaptations",
                        widget=AdaptationsWidget())

    class Meta:
        model = Property
        fields = ("uprn", "kind", "property_type", "estate", "block", "address_line_1",
                  "address_line_2", "town", "postcode", "bedrooms", "floor_level",
                  "build_year", "tenure", "patch", "adaptations")
        import_order = export_order = fields
        import_id_fields = ("uprn",)

    def row_key(self, row):
        return _uprn_key(row.get("uprn"))

    def existing_by_key(self, keys):
        return {p.uprn: [p] for p in Property.objects.filter(uprn__in=keys)}

    def duplicate_message(self, key, other_rows):
        return (f"UPRN {key} is also on row {join_rows(other_rows)}. A UPRN identifies one "
                f"home: each must appear once in the file.")

    def before_import(self, dataset, **kwargs):
        super().before_import(dataset, **kwargs)
        # Homes with a live tenancy, whose tenure must stay "rented" (one query for the file).
        uprns = list(self.rows_by_key)
        self.let_homes = dict(
            Property.objects.filter(uprn__in=uprns, tenancies__end_date__isnull=True)
            .values_list("uprn", "tenancies__reference"))

    def check_row(self, instance, row, errors, *, number, **kwargs):
        if "block" not in errors and instance.block_id:
            block = instance.block
            if "estate" in errors:
                pass
            elif instance.estate_id is None:
                instance.estate = block.estate
            elif instance.estate_id != block.estate_id:
                self.add_error(errors, "block", (
                    f"Block “{block.code}” is on estate “{block.estate.code}”, not "
                    f"“{instance.estate.code}”. Correct the estate or the block."))
        if "patch" not in errors and instance.patch_id is None:
            if instance.estate_id and "estate" not in errors:
                instance.patch = instance.estate.patch
            else:
                self.add_error(errors, "patch", "Fill in patch (the code of the patch the home "
                                                "is in), or give an estate to take it from.")
        if (instance.kind == Property.Kind.DWELLING and not instance.property_type
                and "property_type" not in errors):
            self.add_error(errors, "property_type", self.constraint_messages[
                "a_home_has_a_property_type"][1])
        live = self.let_homes.get(instance.uprn) if instance.pk else None
        if live and instance.tenure != Property.Tenure.RENTED and "tenure" not in errors:
            self.add_error(errors, "tenure", (
                f"This home has a live tenancy ({live}), so its tenure is rented. End the "
                f"tenancy first, or put rented here."))
        if "adaptations" in row:
            try:
                self.fields["adaptations"].clean(row)
            except ValueError as error:
                self.add_error(errors, "adaptations", str(error))

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("estate", "block", "patch").prefetch_related(
            "adaptations")


# --- People ------------------------------------------------------------------------------

def person_key(first_name, last_name, date_of_birth):
    """People are matched by name and date of birth, ignoring case and spaces around names:
    the register has no person reference of its own to carry across."""
    if _is_blank(first_name) or _is_blank(last_name) or _is_blank(date_of_birth):
        return None
    try:
        born = DateWidget().clean(date_of_birth)
    except ValueError:
        return None
    return (" ".join(_text(first_name).split()).casefold(),
            " ".join(_text(last_name).split()).casefold(), born)


def describe_person_key(key) -> str:
    first, last, born = key
    return f"{first.title()} {last.title()}, born {born:%d/%m/%Y}"


def people_by_key(keys) -> dict:
    """key -> the people recorded with that name and date of birth (one query)."""
    found = defaultdict(list)
    if not keys:
        return found
    # Dates of birth narrow it down in the database; names are compared here, as the keys are.
    people = Person.objects.filter(date_of_birth__in={k[2] for k in keys}).order_by("pk")
    for person in people:
        key = person_key(person.first_name, person.last_name, person.date_of_birth)
        if key in keys:
            found[key].append(person)
    return found


class PersonResource(CouncilResource):
    """People, matched by first name, last name and date of birth."""

    what = "person"
    key_columns = ("first_name", "last_name", "date_of_birth")
    columns = (
        Column("first_name", "required", "First name. With last_name and date_of_birth it "
               "identifies the person on a rerun and in the tenancies file.", "Jane"),
        Column("last_name", "required", "Last name.", "Smith"),
        Column("date_of_birth", "required", "Date of birth, 1980-05-17 or 17/05/1980.",
               "1980-05-17"),
        Column("title", "optional", "Mr, Mrs, Ms, Mx, Dr...", "Ms"),
        Column("preferred_name", "optional", "What they like to be called.", "Janey"),
        Column("mobile_phone", "optional", "UK phone number.", "07700 900982"),
        Column("home_phone", "optional", "UK phone number.", "01392 265000"),
        Column("email", "optional", "Email address.", "jane@example.com"),
        Column("correspondence_address", "optional", "Only if letters go somewhere other "
               "than their home.", ""),
        Column("correspondence_postcode", "optional", "Postcode of that address.", ""),
        Column("preferred_contact_method", "optional", "email, phone, text or letter "
               "(default letter).", "text"),
        Column("large_print", "optional", "yes or no.", "no"),
        Column("interpreter_needed", "optional", "yes or no.", "no"),
        Column("language", "optional", "Preferred language (default English).", "English"),
        Column("other_needs", "optional", "Other communication needs.", ""),
        Column("ni_number", "optional", "National Insurance number.", "AB123456C"),
    )

    first_name = Field(attribute="first_name", column_name="first_name", widget=TextWidget())
    last_name = Field(attribute="last_name", column_name="last_name", widget=TextWidget())
    date_of_birth = Field(attribute="date_of_birth", column_name="date_of_birth",
                          widget=DateWidget())
    title = Field(attribute="title", column_name="title", widget=TextWidget())
    preferred_name = Field(attribute="preferred_name", column_name="preferred_name",
                           widget=TextWidget())
    mobile_phone = Field(attribute="mobile_phone", column_name="mobile_phone",
                         widget=TextWidget())
    home_phone = Field(attribute="home_phone", column_name="home_phone", widget=TextWidget())
    email = Field(attribute="email", column_name="email", widget=TextWidget())
    correspondence_address = Field(attribute="correspondence_address",
                                   column_name="correspondence_address", widget=TextWidget())
    correspondence_postcode = Field(attribute="correspondence_postcode",
                                    column_name="correspondence_postcode",
                                    widget=PostcodeWidget())
    preferred_contact_method = Field(
        attribute="preferred_contact_method", column_name="preferred_contact_method",
        widget=ChoiceWidget(Person.ContactMethod), saves_null_values=False)
    large_print = Field(attribute="large_print", column_name="large_print",
                        widget=YesNoWidget(), saves_null_values=False)
    interpreter_needed = Field(attribute="interpreter_needed", column_name="interpreter_needed",
                               widget=YesNoWidget(), saves_null_values=False)
    language = Field(attribute="language", column_name="language", widget=TextWidget(),
                     default="English")
    other_needs = Field(attribute="other_needs", column_name="other_needs", widget=TextWidget())
    ni_number = Field(attribute="ni_number", column_name="ni_number", widget=NinoWidget())

    class Meta:
        model = Person
        fields = ("first_name", "last_name", "date_of_birth", "title", "preferred_name",
                  "mobile_phone", "home_phone", "email", "correspondence_address",
                  "correspondence_postcode", "preferred_contact_method", "large_print",
                  "interpreter_needed", "language", "other_needs", "ni_number")
        import_order = export_order = fields
        import_id_fields = ("first_name", "last_name", "date_of_birth")

    def row_key(self, row):
        return person_key(row.get("first_name"), row.get("last_name"), row.get("date_of_birth"))

    def existing_by_key(self, keys):
        return people_by_key(keys)

    def ambiguous_message(self, key, found):
        ids = ", ".join(str(p.pk) for p in found)
        return (f"{len(found)} people are already recorded as {describe_person_key(key)} "
                f"(ids {ids}), so the import cannot tell which one to update. Merge or correct "
                f"them in the admin first.")

    def duplicate_message(self, key, other_rows):
        return (f"{describe_person_key(key)} is also on row {join_rows(other_rows)}. Each "
                f"person must appear once in the file.")

    def import_instance(self, instance, row, **kwargs):
        if instance.pk:
            # The names matched, ignoring case; a rerun never rewrites how they are spelt
            # (a change of name is an event, recorded through the tenancy screens).
            names = instance.first_name, instance.last_name
            try:
                super().import_instance(instance, row, **kwargs)
            finally:
                instance.first_name, instance.last_name = names
        else:
            super().import_instance(instance, row, **kwargs)

    def check_row(self, instance, row, errors, *, number, **kwargs):
        if instance.date_of_birth is None and "date_of_birth" not in errors:
            self.add_error(errors, "date_of_birth", (
                "Fill in date_of_birth: with the name it is how the import tells people apart "
                "and finds them again on a rerun."))
