"""What every module's reports share: a report's result (what its job page shows, and its CSV
rows), the CSV itself, and the background job that builds and keeps both (rents.reports,
repairs.reports)."""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.files.base import ContentFile
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from housing.models import BackgroundJob


@dataclass
class Result:
    data: dict  # what the job page shows
    header: list[str]  # the CSV's
    rows: list[list] = field(default_factory=list)
    summary: str = ""


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe (addresses,
    references and invoice numbers are typed by people). Numbers are written as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return "" if value is None else value


def reporting_year_start(today: date) -> date:
    """1 April of the reporting year (April to March, as the TSMs are) that `today` is in."""
    return date(today.year if today.month >= 4 else today.year - 1, 4, 1)


class _Echo:
    """A file for csv.writer that hands each line back instead of keeping it."""

    def write(self, value):
        return value


def stream_csv(header: list[str], rows: Iterable[Iterable], *, filename: str,
               bom: bool = False) -> StreamingHttpResponse:
    """A CSV download written a row at a time as `rows` yields them (a query's iterator), each
    cell made safe for spreadsheets. `bom`: start with a byte order mark, so Excel reads the
    file as UTF-8 (for people; a program fetching the file wants none)."""
    writer = csv.writer(_Echo())

    def lines():
        if bom:
            yield "\ufeff"
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(value) for value in row])

    return StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition":
                                          f'attachment; filename="{filename}"'})


def csv_bytes(result: Result) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(result.header)
    writer.writerows([safe_cell(value) for value in row] for row in result.rows)
    # With a byte order mark, Excel reads the file as UTF-8 (the pound sign, names).
    return buffer.getvalue().encode("utf-8-sig")


def csv_download(job: BackgroundJob) -> FileResponse:
    """A finished report job's CSV as a download named for the report, its day and the job
    (the caller has checked who may have it: the files hold addresses and balances)."""
    day = timezone.localtime(job.created_at).date()
    return FileResponse(job.result_file.open("rb"), as_attachment=True,
                        filename=f"{job.kind.replace('_', '-')}-{day:%Y-%m-%d}-{job.pk}.csv",
                        content_type="text/csv; charset=utf-8")


def report_runner(kind: str, build: Callable[[str, BackgroundJob], Result]):
    """The background job for report `kind`: build it, keep the CSV on the job and what the
    job page shows in its result_data, and return the summary."""

    def run(job: BackgroundJob, progress) -> str:
        progress.set_total(3)
        progress.set_done(1)
        result = build(kind, job)
        progress.set_done(2)
        name = f"{kind.replace('_', '-')}-{job.pk}.csv"
        job.result_file.save(name, ContentFile(csv_bytes(result)), save=False)
        # Saved here: execute_job reloads the job after the runner.
        BackgroundJob.objects.filter(pk=job.pk).update(
            result_data={**result.data, "row_count": len(result.rows),
                         "row_count_label": f"{len(result.rows):,}"},
            result_file=job.result_file.name)
        return result.summary

    run.__name__ = f"run_{kind}"
    return run
