"""The payment file import's performance figure, for `manage.py bench` (`make bench`).

`bench_payment_import()` builds a payments CSV of `lines` lines against the rent accounts
already in the database (one line in a hundred quotes a reference no account has, so it goes to
suspense), and times:

- `payment_import_seconds`: the whole import job (housing.jobs.execute_job running
  "payment_file_import": reading and checking every line, the COPY into a temporary table, the
  INSERT ... SELECT into the ledger and the file's counts);
- `payment_import_baseline_seconds`: one raw COPY of the same lines, as the ledger rows they
  became, into the ledger itself (its years of history, indexes and checks), as the rent run's
  baseline is its INSERT ... SELECT into a copy of the database: the least any import of the
  file must write into this ledger, so the ratio is the import's own cost (reading and
  checking every line, the temporary table, the join to the accounts);
- `payment_import_empty_ledger_seconds`: the same COPY into an empty table shaped like the
  ledger (`LIKE rents_transaction INCLUDING ALL`), which shows what the history costs a write.
  (A COPY of the CSV text into a table of text columns is quicker again, but it stores
  nothing a ledger could use.)

The ledger is append-only (a trigger refuses DELETE), so nothing is cleaned up by deleting:
everything runs inside one transaction that is rolled back at the end, and the stored copy of
the file is removed from storage. The database is left as it was.
"""

import io
import time
import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from housing.jobs import execute_job
from housing.models import BackgroundJob, User
from housing.money import format_pence
from rents.models import PaymentFile, RentAccount, Transaction
from rents.payment_files import JOB_KIND, PAYMENTS_HEADER

UNKNOWN_EVERY = 100  # one line in a hundred quotes an unknown reference
_EXPORT_ROWS = """
COPY (SELECT account_id, posted_on, rent_week_id, kind, method, amount_pence, reference, source,
             created_by_id, created_at, job_id, payment_file_id
      FROM rents_transaction WHERE payment_file_id = {}) TO STDOUT
"""
_LOAD_ROWS = """
COPY {} (account_id, posted_on, rent_week_id, kind, method, amount_pence,
                                reference, source, created_by_id, created_at, job_id,
                                payment_file_id) FROM STDIN
"""
METHODS = [Transaction.Method.DIRECT_DEBIT, Transaction.Method.CARD,
           Transaction.Method.ALLPAY, Transaction.Method.BANK_TRANSFER,
           Transaction.Method.STANDING_ORDER, Transaction.Method.CASH]


def build_payments_csv(references: list[str], *, lines: int, received_on) -> tuple[bytes, bytes]:
    """The whole file, and its data lines alone (what the baseline COPY loads)."""
    rows = []
    total = 0
    for index in range(lines):
        if index % UNKNOWN_EVERY == UNKNOWN_EVERY - 1:
            reference = f"X{index:08d}"
        else:
            reference = references[index % len(references)]
        pence = 500 + (index * 37) % 20000
        total += pence
        rows.append(f"{reference},{pence // 100}.{pence % 100:02d},{received_on:%Y-%m-%d},"
                    f"{METHODS[index % len(METHODS)]},BENCH {index}")
    data = "\n".join(rows) + "\n"
    control = f"CONTROL,{lines},{format_pence(total).replace('£', '').replace(',', '')}\n"
    return (",".join(PAYMENTS_HEADER) + "\n" + data + control).encode(), data.encode()


def bench_payment_import(*, lines: int = 100_000) -> dict:
    references = list(RentAccount.objects.filter(kind=RentAccount.Kind.RENT).order_by("pk")
                      .values_list("payment_reference", flat=True)[:lines])
    if not references:
        raise ValueError("The payment import bench needs rent accounts: seed the council first.")
    at = timezone.now()
    content, data = build_payments_csv(references, lines=lines,
                                       received_on=timezone.localdate(at) - timedelta(days=1))
    stored = None
    try:
        with transaction.atomic():
            user = User.objects.create(email=f"bench.payments.{uuid.uuid4().hex}@example.invalid")
            payment_file = PaymentFile(kind=PaymentFile.Kind.PAYMENTS,
                                       layout=PaymentFile.Layout.CSV, name="bench-payments.csv",
                                       sha256=uuid.uuid4().hex * 2, uploaded_by=user,
                                       uploaded_at=at)
            payment_file.file.save("bench-payments.csv", ContentFile(content), save=False)
            stored = payment_file.file.name
            job = BackgroundJob.objects.create(
                kind=JOB_KIND, parameters={"payment_file_id": None}, started_by=user,
                created_at=at)
            payment_file.job = job
            payment_file.save()
            BackgroundJob.objects.filter(pk=job.pk).update(
                parameters={"payment_file_id": payment_file.pk, "file_name": payment_file.name})

            started = time.perf_counter()
            execute_job(job_id=job.pk)
            seconds = time.perf_counter() - started
            payment_file.refresh_from_db()
            if payment_file.status != PaymentFile.Status.IMPORTED or \
                    payment_file.line_count != lines:
                raise RuntimeError(f"The bench file was not imported: {payment_file.errors[:5]}")

            with connection.cursor() as cursor:
                # The same lines as the ledger rows they became (fetched before the clock
                # starts), loaded by one raw COPY into the ledger itself, the baseline, and into
                # an empty table shaped like it. All of it is rolled back below.
                cursor.execute("CREATE TABLE bench_payment_ledger_copy "
                               "(LIKE rents_transaction INCLUDING ALL)")
                rows = io.BytesIO()
                export = sql.SQL(_EXPORT_ROWS).format(sql.Literal(payment_file.pk))
                with cursor.copy(export) as copy:
                    for block in copy:
                        rows.write(block)
                timings = {}
                for table in ("rents_transaction", "bench_payment_ledger_copy"):
                    load = sql.SQL(_LOAD_ROWS).format(sql.Identifier(table))
                    started = time.perf_counter()
                    with cursor.copy(load) as copy:
                        copy.write(rows.getvalue())
                    timings[table] = time.perf_counter() - started
                cursor.execute("SELECT count(*) FROM bench_payment_ledger_copy")
                if cursor.fetchone()[0] != lines:
                    raise RuntimeError("The baseline COPY did not load every line.")
                baseline, empty = timings["rents_transaction"], timings["bench_payment_ledger_copy"]
            transaction.set_rollback(True)  # the ledger is append-only: leave nothing behind
    finally:
        if stored:
            PaymentFile.file.field.storage.delete(stored)
    return {"payment_import_seconds": round(seconds, 3),
            "payment_import_baseline_seconds": round(baseline, 3),
            "payment_import_ratio": round(seconds / baseline, 2) if baseline else None,
            "payment_import_empty_ledger_seconds": round(empty, 3)}
