"""Imports of the register from files, run as background jobs (kind "import").

A member of staff uploads a CSV or Excel file on /imports/ (housing.import_views); the file is
kept in the default storage under imports/ and a job runs the kind's django-import-export
resource over it (housing.resources, tenancies.resources), either as a dry run that only
checks it or as the import itself. The resources do the real work: every row checked, every
bad row named, nothing kept unless every row is good, reruns matched by natural key.

The job's `result_data` holds what the job page shows:
    {"kind": "homes", "file_name": "homes.csv", "dry_run": true, "rows": 120,
     "totals": {"new": 118, "update": 2, "skip": 0},
     "errors": [{"row": 3, "column": "postcode", "message": "..."}], "bad_rows": 1,
     "errors_left_off": 0}
A file that cannot be read at all (not UTF-8, not a workbook, unknown or missing columns, a
batch the database refused) fails the job, with the reason as its error.

Retrying is safe. The import runs in one transaction, so a run cut short left nothing behind
and a redelivered job simply runs it again from the stored file. Once the import has ended,
its result is saved on the job before anything else happens, and a redelivered job that finds
it returns it without importing again (`execute_job` skips jobs marked finished, too). Should
a run be lost between its commit and saving the result, the rerun matches every row by its
natural key and updates (here: leaves unchanged) rather than duplicates.
A real import deletes its stored file once its result is saved (imported or refused): the
files hold personal data and are not needed again. A dry run keeps it for "Import this file
now".
"""

import csv
import io
import logging
import time
import uuid
from dataclasses import dataclass
from functools import cached_property

from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import get_valid_filename
from import_export.formats.base_formats import XLSX

from housing.jobs import Progress, register, start_job
from housing.models import BackgroundJob, User
from housing.resources.base import Column, ImportFileError
from housing.resources.widgets import is_blank

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
EXTENSIONS = ("csv", "xlsx")
ERRORS_KEPT = 1000  # problems listed on the job page; the rest are counted


@dataclass(frozen=True)
class ImportKind:
    """One file a council imports: its resource and the model whose add and change
    permissions importing needs."""

    code: str
    label: str  # "Homes"
    description: str
    resource: str  # dotted path, imported when first used (tenancies builds on housing)
    model: str  # "app_label.ModelName"

    @cached_property
    def resource_class(self):
        return import_string(self.resource)

    @property
    def columns(self) -> tuple[Column, ...]:
        return self.resource_class.columns

    @property
    def example(self) -> str:
        """The headings and one example row, as the first two lines of a CSV file."""
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow([column.name for column in self.columns])
        writer.writerow([column.example for column in self.columns])
        return text.getvalue()

    @property
    def permissions(self) -> tuple[str, str]:
        app_label, model_name = self.model.split(".")
        model_name = model_name.lower()
        return f"{app_label}.add_{model_name}", f"{app_label}.change_{model_name}"


# In the order a council imports them: each file refers to the ones before it.
KINDS: dict[str, ImportKind] = {kind.code: kind for kind in (
    ImportKind("estates", "Estates", "Estates, matched by their code.",
               "housing.resources.EstateResource", "housing.Estate"),
    ImportKind("blocks", "Blocks", "Blocks on the estates, matched by their code.",
               "housing.resources.BlockResource", "housing.Block"),
    ImportKind("homes", "Homes", "Homes and non-dwellings (garages, communal areas), "
               "matched by UPRN.", "housing.resources.PropertyResource", "housing.Property"),
    ImportKind("people", "People", "People, matched by first name, last name and date of "
               "birth.", "housing.resources.PersonResource", "housing.Person"),
    ImportKind("tenancies", "Tenancies", "Tenancies with one or two tenants, matched by "
               "tenancy reference.", "tenancies.resources.TenancyResource",
               "tenancies.Tenancy"),
    ImportKind("sor", "Schedule of Rates", "Repair codes (SOR) and their prices, matched by "
               "code and start date: a later start date is a new price, and the one before "
               "it ends the day before.", "repairs.resources.SorCodeResource",
               "repairs.SorCode"),
)}


def may_import(user: User, kind: ImportKind) -> bool:
    """The people who may import a file are those the admin lets import it: users of the
    admin (system administrators) whose role may add and change that kind of record. The
    add and change permissions alone are not enough: housing officers hold them for people,
    to record one at a time, not to load a council's register."""
    return (user.is_authenticated and user.is_active and user.is_council_staff
            and user.is_staff and user.has_perms(kind.permissions))


def kinds_for(user: User) -> list[ImportKind]:
    return [kind for kind in KINDS.values() if may_import(user, kind)]


# --- Files ----------------------------------------------------------------------------------

class ImportFileProblem(Exception):
    """The file cannot be imported as a whole; the message says what to do."""


def extension_of(file_name: str) -> str:
    return file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""


def store_upload(*, upload, at) -> str:
    """Keep an uploaded file for its job; returns its name in the default storage. Each
    upload gets a folder of its own with an unguessable name."""
    name = get_valid_filename(upload.name) or "upload"
    return default_storage.save(f"imports/{at:%Y/%m}/{uuid.uuid4().hex}/{name}", upload)


def read_dataset(content: bytes, *, file_name: str):
    """The file as a tablib Dataset (headings and rows), or ImportFileProblem."""
    extension = extension_of(file_name)
    if extension == "xlsx":
        return _read_xlsx(content)
    if extension == "csv":
        return _read_csv(content)
    raise ImportFileProblem("The file must be a CSV file (.csv) or an Excel workbook (.xlsx).")


def _read_csv(content: bytes):
    import tablib

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[:error.start].count(b"\n") + 1
        raise ImportFileProblem(
            f"The file is not UTF-8 text (the first character that is not is on line {line}). "
            "In Excel, choose Save As and the type “CSV UTF-8 (Comma delimited)”, then upload "
            "it again.") from None
    if "\x00" in text:
        raise ImportFileProblem("The file is not a CSV file: it holds binary data. Upload a "
                                ".csv file saved as text, or an Excel workbook (.xlsx).")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportFileProblem(f"The file could not be read as CSV: {error}.") from None
    dataset = tablib.Dataset()
    if not rows:
        return dataset
    headers, *records = rows
    width = len(headers)
    for number, record in enumerate(records, 2):
        if len(record) > width:
            if any(cell.strip() for cell in record[width:]):
                raise ImportFileProblem(
                    f"Row {number} has more cells ({len(record)}) than there are headings "
                    f"({width}). Check it for a stray comma, or a comma in a cell that is not "
                    "in double quotes.")
            record = record[:width]
        dataset.append(record + [""] * (width - len(record)))
    dataset.headers = headers
    return dataset


def _read_xlsx(content: bytes):
    try:
        return XLSX().create_dataset(content)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds; all mean the same here
        raise ImportFileProblem(
            "The file could not be read as an Excel workbook (.xlsx). Save it from Excel as an "
            "“Excel Workbook (.xlsx)”, or as “CSV UTF-8”, and upload it again.") from None


def count_rows(dataset) -> int:
    """Rows with anything in them (spreadsheets often end in empty rows)."""
    return sum(1 for row in dataset if not all(is_blank(value) for value in row))


# --- Live progress --------------------------------------------------------------------------

class RowCounter:
    """Counts the rows as the resource checks them, and shows the count on the job page at
    most every `every` seconds.

    The import runs in one transaction (all or nothing), and a progress write made on the
    import's own connection would be seen only when the import ended. So the count is written
    on a connection of its own, opened only if the import takes long enough to need it."""

    def __init__(self, job: BackgroundJob, *, every: float = 1.0):
        self.job_id = job.pk
        self.every = every
        self.done = 0
        self.shown_at = time.monotonic()
        self.connection = None

    def tick(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.shown_at >= self.every:
            self.shown_at = now
            self.show()

    def show(self) -> None:
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self.connection.ops.quote_name(BackgroundJob._meta.db_table)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress_done = LEAST(%s, progress_total) "  # noqa: S608
                "WHERE id = %s", [self.done, self.job_id])

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- The job --------------------------------------------------------------------------------

def start_import(*, kind: ImportKind, path: str, file_name: str, dry_run: bool, by: User,
                 at, checked_in_job: int | None = None) -> BackgroundJob:
    parameters = {"kind": kind.code, "kind_label": kind.label, "path": path,
                  "file_name": file_name, "dry_run": dry_run}
    if checked_in_job is not None:
        parameters["checked_in_job"] = checked_in_job
    return start_job(kind="import", parameters=parameters, by=by, at=at)


# The registry asks for one permission; who may import depends on the file's kind, so the
# import pages check may_import() for that kind instead.
@register("import", title="Import", perm="housing.add_property",
          result_template="housing/imports/_result.html")
def run_import(job: BackgroundJob, progress: Progress) -> str:
    parameters = job.parameters
    kind = KINDS[parameters["kind"]]
    path = parameters["path"]
    file_name = parameters.get("file_name") or path.rsplit("/", 1)[-1]
    dry_run = bool(parameters.get("dry_run", True))
    if job.result_data:
        # An earlier attempt finished the work and recorded its result, and the worker was
        # lost before the job was marked finished: that result stands.
        return summarise(job.result_data)
    try:
        return _import(job, progress, kind=kind, path=path, file_name=file_name,
                       dry_run=dry_run)
    finally:
        if not dry_run:
            default_storage.delete(path)


def _import(job, progress, *, kind, path, file_name, dry_run) -> str:
    if not default_storage.exists(path):
        raise ImportFileProblem("The uploaded file is no longer held (files are deleted once "
                                "they have been imported). Upload it again.")
    with default_storage.open(path, "rb") as stored:
        content = stored.read()
    dataset = read_dataset(content, file_name=file_name)
    if not dataset.headers:
        raise ImportFileProblem("The file is empty. Its first row must hold the headings.")
    rows = count_rows(dataset)
    if not rows:
        raise ImportFileProblem("The file has headings but no rows to import.")
    progress.set_total(rows)
    progress.set_done(0)

    resource = kind.resource_class()
    counter = RowCounter(job)
    import_row = resource.import_row

    def counted_import_row(*args, **kwargs):
        try:
            return import_row(*args, **kwargs)
        finally:
            counter.tick()

    resource.import_row = counted_import_row
    try:
        result = resource.import_data(
            dataset, dry_run=dry_run, raise_errors=False, user=job.started_by,
            at=timezone.now(), file_name=file_name)
    finally:
        counter.close()

    if result.base_errors:
        for error in result.base_errors:
            if not isinstance(error.error, ImportFileError):
                logger.error("Import job %s: %s\n%s", job.pk, error.error, error.traceback)
        # The resources word these for the admin's import page, which lists the columns.
        raise ImportFileProblem(" ".join(
            str(error.error).replace("(see the list on this page)", "(listed on the import page)")
            for error in result.base_errors))

    errors, bad_rows = _problems(job, result)
    totals = {name: result.totals.get(name, 0) for name in ("new", "update", "skip")}
    data = {
        "kind": kind.code, "file_name": file_name, "dry_run": dry_run, "rows": rows,
        "totals": totals, "errors": errors[:ERRORS_KEPT], "bad_rows": bad_rows,
        "errors_left_off": max(0, len(errors) - ERRORS_KEPT),
    }
    # Saved here: execute_job reloads the job after the runner and saves its result_data.
    BackgroundJob.objects.filter(pk=job.pk).update(result_data=data)
    job.result_data = data
    return summarise(data)


def _problems(job, result) -> tuple[list[dict], int]:
    """Every problem as {"row", "column", "message"}, rows in spreadsheet numbering (the
    headings are row 1), and the number of bad rows."""
    problems = []
    for number, errors in result.row_errors():  # an unexpected failure of one row
        for error in errors:
            logger.error("Import job %s, record %s: %s\n%s", job.pk, number, error.error,
                         error.traceback)
            problems.append({"row": number + 1, "column": "", "message": str(error.error)})
    for row in result.invalid_rows:
        for column, messages in row.field_specific_errors.items():
            problems.extend({"row": row.number + 1, "column": column, "message": str(message)}
                            for message in messages)
        problems.extend({"row": row.number + 1, "column": "", "message": str(message)}
                        for message in row.non_field_specific_errors)
    problems.sort(key=lambda problem: problem["row"])
    return problems, len({problem["row"] for problem in problems})


def _counts(totals: dict, *, dry_run: bool) -> str:
    update = "to update" if dry_run else "updated"
    parts = [f"{totals['new']:,} new", f"{totals['update']:,} {update}"]
    if totals["skip"]:
        parts.append(f"{totals['skip']:,} unchanged")
    return ", ".join(parts)


def summarise(data: dict) -> str:
    rows = data["rows"]
    if data["bad_rows"]:
        bad = data["bad_rows"]
        return (f"Nothing was imported: {bad:,} row{'' if bad == 1 else 's'} "
                f"{'has a problem' if bad == 1 else 'have problems'}.")
    rows_text = f"{rows:,} row{'' if rows == 1 else 's'}"
    if data["dry_run"]:
        return (f"Checked {rows_text}: {_counts(data['totals'], dry_run=True)}. "
                "Nothing was imported (dry run).")
    return f"Imported {rows_text}: {_counts(data['totals'], dry_run=False)}."
