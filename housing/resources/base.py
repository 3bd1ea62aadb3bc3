"""The base of every import: the checks, the all-or-nothing rule and the set-based writes
(see the package's docstring)."""

import re
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.safestring import mark_safe
from import_export import resources
from import_export.instance_loaders import BaseInstanceLoader
from import_export.resources import Diff
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from housing.resources.widgets import LookupWidget, cell_text, is_blank


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
    """The file as a whole cannot be imported (missing or unknown columns, or the database
    refused it)."""


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
    `check_row`, and list the natural key column in `key_columns`.

    Rows are checked one by one against what was loaded for the whole file up front (the
    records the file names, the codes it uses), and written in sets: `bulk_create` and
    `bulk_update` with their history rows, never a save() per row. The database's
    constraints still have the last word; if one refuses a batch, nothing is imported and
    the page says which rule was broken."""

    columns: tuple[Column, ...] = ()
    key_columns: tuple[str, ...] = ()
    extra_columns: re.Pattern | None = None  # headings accepted beyond `columns`
    unique_in_file: tuple[tuple[str, ...], ...] = ()  # other columns unique within a file
    what = "record"  # "home", "person": used in messages
    # Uniqueness and constraints checked by the model, a query per row: for small files only
    # (estates, blocks). The big files check them against what was loaded for the file.
    validate_in_database = False
    # constraint name -> (column, message): database and model constraint failures, in words.
    constraint_messages: dict[str, tuple[str, str]] = {}
    present_columns: set[str] | None = None

    class Meta:
        use_transactions = True
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
        use_bulk = True
        batch_size = 1000
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
        self._tidy(dataset)
        self.present_columns = set(dataset.headers or ())
        try:
            # All or nothing: one bad row refuses the whole file, so validation errors roll
            # back the transaction too (the library's default keeps the good rows).
            return super().import_data(
                dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True,
                collect_failed_rows=collect_failed_rows, rollback_on_validation_errors=True,
                **kwargs)
        finally:
            self.present_columns = None

    def get_import_fields(self):
        """The columns of the file being imported (all of them otherwise): a column left out
        of a file is left as it is, and the preview shows the file's columns."""
        fields = super().get_import_fields()
        if self.present_columns is None:
            return fields
        return [f for f in fields if f.column_name in self.present_columns]

    def before_import(self, dataset, **kwargs):
        self.user = kwargs.get("user")
        if self.user is not None and not getattr(self.user, "pk", None):
            self.user = None
        self.at = kwargs.get("at") or timezone.now()  # the edge: imports are run now
        self.file_name = kwargs.get("file_name") or "an import file"
        self.change_reason = f"Imported from {self.file_name}"[:100]
        for field in self.fields.values():
            if hasattr(field.widget, "reset"):
                field.widget.reset()
        self._check_columns(dataset)
        self.rows_by_key = defaultdict(list)
        self.rows_by_unique = defaultdict(list)
        for number, row in enumerate(dataset.dict, 1):
            key = self.row_key(row)
            if key is not None:
                self.rows_by_key[key].append(file_row(number))
            for columns in self.unique_in_file:
                values = tuple(cell_text(row.get(c) or "").casefold() for c in columns)
                if all(values):
                    self.rows_by_unique[columns, values].append(file_row(number))
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
                if heading or not all(is_blank(row[i]) for row in rows)]
        while rows and all(is_blank(value) for value in rows[-1]):
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
        for columns in self.unique_in_file:
            values = tuple(cell_text(row.get(c) or "").casefold() for c in columns)
            others = [r for r in self.rows_by_unique.get((columns, values), []) if r != number]
            if others:
                self.add_error(errors, columns[-1], (
                    f"Row {join_rows(others)} has the same {' and '.join(columns)}: each "
                    f"{self.what} needs its own."))
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
        # Related records were found by their codes when the row was read; the model would
        # look each up again by id, a query per row.
        for field in self.fields.values():
            if not isinstance(field.widget, LookupWidget):
                continue
            exclude.add(field.attribute)
            model_field = instance._meta.get_field(field.attribute)
            if (not model_field.null and getattr(instance, model_field.attname) is None
                    and field.column_name not in errors):
                self.add_error(errors, field.column_name,
                               f"Fill in {field.column_name}: every {self.what} needs it.")
        try:
            instance.full_clean(exclude=exclude, validate_unique=self.validate_in_database,
                                validate_constraints=self.validate_in_database)
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

    # Writing, in sets ----------------------------------------------------------------------
    def bulk_create(self, using_transactions, dry_run, raise_errors, batch_size=None,
                    result=None):
        if self.create_instances and (using_transactions or not dry_run):
            try:
                with transaction.atomic():
                    created = bulk_create_with_history(
                        self.create_instances, self._meta.model, batch_size=batch_size,
                        default_user=self.user, default_change_reason=self.change_reason,
                        default_date=self.at)
                    self.after_bulk_create(created)
            except Exception as error:  # noqa: BLE001 - reported, and the import rolled back
                self.handle_import_error(result, self.refusal(error), raise_errors)
            finally:
                self.create_instances.clear()

    def bulk_update(self, using_transactions, dry_run, raise_errors, batch_size=None,
                    result=None):
        if self.update_instances and (using_transactions or not dry_run):
            try:
                with transaction.atomic():
                    bulk_update_with_history(
                        self.update_instances, self._meta.model, self.get_bulk_update_fields(),
                        batch_size=batch_size, default_user=self.user,
                        default_change_reason=self.change_reason, default_date=self.at)
                    self.after_bulk_update(self.update_instances)
            except Exception as error:  # noqa: BLE001 - reported, and the import rolled back
                self.handle_import_error(result, self.refusal(error), raise_errors)
            finally:
                self.update_instances.clear()

    def get_bulk_update_fields(self):
        return [f.name for f in self._meta.model._meta.concrete_fields if not f.primary_key]

    def after_bulk_create(self, instances) -> None:
        """Write what goes with the new records (they have their ids now)."""

    def after_bulk_update(self, instances) -> None:
        """Write what goes with the updated records."""

    def refusal(self, error: Exception) -> Exception:
        """A batch the database refused, in words: the constraint broken, if it is known."""
        if not isinstance(error, IntegrityError):
            return error
        cause = getattr(error, "__cause__", None)
        diag = getattr(cause, "diag", None)
        name = getattr(diag, "constraint_name", None) or ""
        text = next((text for constraint, (_, text) in self.constraint_messages.items()
                     if constraint == name or constraint in str(error)),
                    f"a rule of the database ({name or 'a constraint'}) was broken.")
        detail = getattr(diag, "message_detail", None)
        return ImportFileError(
            f"The database refused the file, so nothing was imported: {text}"
            + (f" ({detail})" if detail else ""))

    def after_import(self, dataset, result, **kwargs):
        # The library resets primary-key sequences after creating rows; our rows never carry
        # their own ids, so there is nothing to reset.
        return None
