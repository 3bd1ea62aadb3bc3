"""Payment and Housing Benefit files: parsing each layout, checking every line and the control
totals, and posting a whole file at once (a background job), with unknown references to
suspense. The layouts are described for people in docs/payment-files.md.

The rules, in order:

1. Uploading (`upload_payment_file`) keeps the file with its SHA-256. A file whose hash was
   already imported is refused there and then, saying when and by whom.
2. The import (`import_payment_file`, run by the "payment_file_import" job) decodes the file
   (UTF-8, a BOM allowed), parses every line of its layout and checks each one and the
   control row. Any problem refuses the WHOLE file: nothing is posted, and every bad line is
   kept on the file with its number and the reason.
3. A good file is posted in ONE database transaction: the file is marked imported first, so
   the partial unique index `file_imported_once` (one imported file per hash) is claimed
   before any row is written, and a second copy of the file being imported at the same
   moment waits for the first and is then refused; the lines are COPied into a temporary
   table and posted with one INSERT ... SELECT that joins rents_rentaccount on the payment
   reference. A line whose reference matches no account posts to the suspense account,
   keeping what was quoted in its reference. A worker killed mid-import rolls the whole
   transaction back, so the retried job finds the file still queued and imports it cleanly.
4. A Housing Benefit credit is posted once per account, rent week and claim, whatever the
   file's bytes: a line repeating an earlier line of the file is refused when parsing, and a
   line already credited from another file is skipped by the INSERT (ON CONFLICT on the
   partial unique index `benefit_credit_once`), which refuses the whole file naming it.

Payments to ended tenancies from files still post to their account: it is money received, and
any credit left on an ended tenancy is refunded through Income (as for payments by hand).
"""

import csv
import gc
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from housing.jobs import register, start_job
from housing.models import BackgroundJob, User
from housing.money import format_pence
from rents.models import PaymentFile, RentAccount, RentWeek, Transaction
from rents.payments import MAX_PAYMENT_PENCE

SUSPENSE_REFERENCE = "SUSPENSE"
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# A file of garbage could have a problem on every line; the first thousand are kept, which is
# more than anyone corrects before uploading again, and a last entry counts the rest.
MAX_LISTED_ERRORS = 1000
REFERENCE_LENGTH = 20  # RentAccount.payment_reference
JOB_KIND = "payment_file_import"

KIND_OF_LAYOUT = {
    PaymentFile.Layout.CSV: PaymentFile.Kind.PAYMENTS,
    PaymentFile.Layout.ALLPAY: PaymentFile.Kind.PAYMENTS,
    PaymentFile.Layout.BENEFIT_CSV: PaymentFile.Kind.BENEFIT,
}

PAYMENTS_HEADER = ("payment_reference", "amount", "date_received", "method", "payer_reference")
BENEFIT_HEADER = ("payment_reference", "claim_reference", "week_commencing", "amount")
CONTROL = "CONTROL"

# Allpay / PayPoint channels (columns 46-47 of a detail record).
ALLPAY_CHANNELS = {
    "PP": "PayPoint", "PO": "Post Office", "WB": "internet", "TL": "telephone",
    "TX": "text message", "AP": "app",
}
ALLPAY_RECORD_LENGTH = 80
PROGRESS_EVERY = 10_000  # lines checked between two progress writes


def suspense_account(*, on: date) -> RentAccount:
    """The one suspense account (payment reference SUSPENSE), opened the first time a file
    needs it. The unique payment reference makes two imports opening it at once safe."""
    account, _ = RentAccount.objects.get_or_create(
        payment_reference=SUSPENSE_REFERENCE,
        defaults={"kind": RentAccount.Kind.SUSPENSE, "opened_on": on})
    if account.kind != RentAccount.Kind.SUSPENSE:
        raise ValidationError(f"The account {SUSPENSE_REFERENCE} exists but is not the suspense "
                              f"account: an administrator must put that right.")
    return account


# --- Parsing --------------------------------------------------------------------------------

class Line(NamedTuple):
    """One payment or credit to post. `received_on` is the ledger's posting date."""

    number: int
    reference: str
    pence: int
    received_on: date
    method: str
    detail: str  # the ledger row's reference: what the payer quoted, and the file's own ids
    claim: str = ""  # Housing Benefit: the claim reference


# A Line made without NamedTuple's own __new__ (a Python function): it is made 100,000 times
# for a big file. All seven fields must be given.
_new_line = tuple.__new__


@dataclass
class Parsed:
    lines: list[Line] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    data_lines: int = 0  # lines that should have been payments, good or bad
    total_pence: int = 0  # of the good lines
    amounts_read: int = 0  # lines whose amount could be read, for the control total
    amount_sum: int = 0

    def bad(self, number: int | None, reason: str) -> None:
        self.errors.append({"line": number, "reason": reason})

    def amount(self, number: int, pence: int | None, reason: str) -> None:
        """Note a line's amount: read (even if refused, like zero) for the control total."""
        if pence is not None:
            self.amounts_read += 1
            self.amount_sum += pence
        if reason:
            self.bad(number, reason)


class FileProblem(Exception):
    def __init__(self, number: int | None, reason: str):
        super().__init__(reason)
        self.number = number
        self.reason = reason


def decode(content: bytes) -> str:
    """The file as text. Files must be UTF-8 (a byte-order mark is fine); anything else is
    refused naming the line, the byte and the likely cause, never guessed at."""
    if not content.strip():
        raise FileProblem(None, "The file is empty.")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(1, "The file is UTF-16 (Excel's “Unicode Text”), not UTF-8. Save it "
                             "as “CSV UTF-8” (or plain UTF-8 text) and upload it again.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[:error.start].count(b"\n") + 1
        byte = content[error.start]
        hint = (" It looks like Windows-1252 (“ANSI”) text: a £ sign is the byte 0xA3 there."
                if byte == 0xA3 else "")
        raise FileProblem(line, (
            f"The file is not UTF-8: line {line} has the byte 0x{byte:02X}, which is not UTF-8."
            f"{hint} Save the file as UTF-8 (in Excel: “CSV UTF-8”) and upload it again."
        )) from None
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise FileProblem(line, "The file holds binary data (a NUL byte on line "
                                f"{line}): it is not a text file.")
    return text


_AMOUNT = re.compile(r"(\d{1,12})(?:\.(\d{1,2}))?")
_TOO_PRECISE = re.compile(r"-?\d*\.\d{3,}")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_UK_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def _limits(pence: int) -> str:
    if pence == 0:
        return "The amount is zero: each payment must be more than £0.00."
    if pence > MAX_PAYMENT_PENCE:
        return (f"The amount {format_pence(pence)} is more than "
                f"{format_pence(MAX_PAYMENT_PENCE)}, the most one payment can be.")
    return ""


def parse_amount(text: str) -> tuple[int | None, str]:
    """Pounds and pence as written in a CSV file ("25.50", "7", "7.5") to pence, and the
    reason it is refused ("" when it is not; the pence are given for a zero or too large
    amount, which can still be added up). Digits and a decimal point only: never rounded,
    never signed."""
    text = text.strip()
    match = _AMOUNT.fullmatch(text)
    if match:
        pounds, pennies = match.groups()
        pence = int(pounds) * 100 + int((pennies or "0").ljust(2, "0"))
        return pence, _limits(pence)
    if not text:
        return None, "The amount is missing."
    if _TOO_PRECISE.fullmatch(text):
        return None, f"The amount {text} has more than two decimal places."
    if text.startswith("-"):
        return None, (f"The amount {text} is negative: a file holds money received, each "
                      "more than £0.00.")
    return None, f"The amount “{text}” is not pounds and pence like 25.50."


def parse_date(text: str, *, today: date, what: str = "date received") -> tuple[date | None, str]:
    """A date written 2026-12-01 or 01/12/2026, not after `today`."""
    text = text.strip()
    match = _ISO_DATE.fullmatch(text)
    parts = None
    if match:
        year, month, day = match.groups()
        parts = int(year), int(month), int(day)
    else:
        match = _UK_DATE.fullmatch(text)
        if match:
            day, month, year = match.groups()
            parts = int(year), int(month), int(day)
    if parts is None:
        if not text:
            return None, f"The {what} is missing."
        return None, f"The {what} “{text}” is not a date like 2026-12-01."
    try:
        value = date(*parts)
    except ValueError:
        return None, f"The {what} {text} is not a real date."
    if value > today:
        return None, f"The {what} {text} is in the future."
    return value, ""


def _method(text: str) -> str:
    return text.strip().lower().replace(" ", "_").replace("-", "_")


def _reference(text: str, parsed: Parsed, number: int, what: str = "payment reference") -> str:
    reference = text.strip().upper()
    if not reference:
        parsed.bad(number, f"The {what} is missing.")
    elif len(reference) > REFERENCE_LENGTH:
        parsed.bad(number, f"The {what} {reference} is longer than {REFERENCE_LENGTH} "
                           "characters.")
    return reference


def _csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) for each non-blank row; the number is the file's line on which
    the row ends (a quoted cell may hold a line break)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    append = rows.append
    try:
        for row in reader:
            if "".join(row).strip():
                append((reader.line_num, row))
    except csv.Error as error:
        raise FileProblem(reader.line_num, f"The line could not be read as CSV: {error}.") \
            from None
    return rows


def _check_header(rows, expected: tuple[str, ...], layout_name: str) -> tuple[int, list]:
    if not rows:
        raise FileProblem(None, "The file has no lines.")
    number, cells = rows[0]
    found = tuple(cell.strip().lower() for cell in cells)
    if found != expected:
        raise FileProblem(number, (
            f"The first line must be the headings of the {layout_name}: {','.join(expected)} "
            f"(it is: {','.join(cell.strip() for cell in cells)[:200]}). Check you chose the "
            "right layout."))
    return rows[0]


def _control(parsed: Parsed, control: tuple[int, list] | None, *, last_line: int,
             noun: str) -> None:
    """The control row CONTROL,<count>,<total> must agree with the lines above it."""
    if control is None:
        parsed.bad(last_line, f"The file has no control row: its last line must be "
                              f"{CONTROL},<number of {noun}>,<their total>.")
        return
    number, cells = control
    if len(cells) < 3 or any(cell.strip() for cell in cells[3:]):
        parsed.bad(number, f"The control row must have 3 columns: {CONTROL}, the number of "
                           f"{noun} and their total (it has {len(cells)}).")
        return
    count_text, total_text = cells[1].strip(), cells[2].strip()
    if not count_text.isdigit():
        parsed.bad(number, f"The control row's count “{count_text}” is not a whole number.")
        return
    total_match = _AMOUNT.fullmatch(total_text)
    if not total_match:
        parsed.bad(number, f"The control row's total “{total_text}” is not pounds and pence "
                           "like 1234.50.")
        return
    pounds, pennies = total_match.groups()
    total = int(pounds) * 100 + int((pennies or "0").ljust(2, "0"))
    _compare(parsed, number, count=int(count_text), total=total, noun=noun)


def _compare(parsed: Parsed, number: int, *, count: int, total: int, noun: str) -> None:
    if parsed.data_lines == 0:
        parsed.bad(number, f"The file holds no {noun}.")
        return
    if count != parsed.data_lines:
        parsed.bad(number, f"The control count is {count:,} {noun}, but the file holds "
                           f"{parsed.data_lines:,}.")
    # The sum can only be checked when every line's amount could be read.
    if parsed.amounts_read == parsed.data_lines and total != parsed.amount_sum:
        parsed.bad(number, f"The control total is {format_pence(total)}, but the {noun} add "
                           f"up to {format_pence(parsed.amount_sum)}.")


def _split_control(rows, parsed: Parsed):
    """The data rows, and the control row (the last row starting CONTROL). Rows after a
    control row are refused."""
    data, control = [], None
    for number, cells in rows[1:]:
        first = cells[0]
        if first[:1] in "Cc \t" and first.strip().upper() == CONTROL:
            if control is not None:
                parsed.bad(number, "There is more than one control row.")
            control = (number, cells)
        elif control is not None:
            parsed.bad(number, "The line comes after the control row, which must be last.")
        else:
            data.append((number, cells))
    return data, control


_PLAIN_AMOUNT = re.compile(r"(\d{1,9})\.(\d\d)")


def parse_payments_csv(text: str, *, today: date, progress=None, **_) -> Parsed:
    """This system's payments CSV: headings, one line per payment, a control row.

    Files run to 100,000 lines, so a line that is plainly right (amount like 25.50, a date
    and a method already seen in the file) takes a short path; anything else goes through
    `_check_payment`, which says what is wrong."""
    parsed = Parsed()
    rows = _csv_rows(text)
    header = _check_header(rows, PAYMENTS_HEADER, "payments CSV")
    data, control = _split_control(rows, parsed)
    methods = {value: value for value in Transaction.Method.values}
    dates: dict[str, date | None] = {}
    lines, plain_amount = parsed.lines, _PLAIN_AMOUNT.fullmatch
    append, new_line = lines.append, _new_line
    width = len(PAYMENTS_HEADER)
    read = total = 0
    for start in range(0, len(data), PROGRESS_EVERY):
        if progress and start:
            progress(start)
        for number, cells in data[start:start + PROGRESS_EVERY]:
            if len(cells) == width:
                reference_text, amount_text, date_text, method_text, payer = cells
                reference = reference_text.strip().upper()
                received_on = dates.get(date_text)
                method = methods.get(method_text)
                if (plain_amount(amount_text) and received_on and method and reference
                        and len(reference) <= REFERENCE_LENGTH):
                    pence = int(amount_text.replace(".", ""))  # digits, a point, two digits
                    if 0 < pence <= MAX_PAYMENT_PENCE:
                        read += 1
                        total += pence
                        payer = payer.strip()
                        append(new_line(Line, (number, reference, pence, received_on, method,
                                               f"{reference} {payer}" if payer else reference,
                                               "")))
                        continue
            _check_payment(parsed, number, cells, today=today, dates=dates, methods=methods)
    parsed.data_lines = len(data)
    parsed.amounts_read += read
    parsed.amount_sum += total
    parsed.total_pence += total
    last_line = (data[-1][0] if data else header[0])
    _control(parsed, control, last_line=last_line, noun="payments")
    return parsed


def _check_payment(parsed: Parsed, number: int, cells: list[str], *, today: date,
                   dates: dict, methods: dict) -> None:
    """A payment line off the short path: every check, with a reason for each problem. A
    good line is added to `parsed.lines`; dates and methods found good are remembered for
    the short path."""
    width = len(PAYMENTS_HEADER)
    if len(cells) != width:
        parsed.bad(number, f"The line has {len(cells)} columns; a payment line has {width}: "
                           f"{', '.join(PAYMENTS_HEADER)}.")
        return
    reference_text, amount_text, date_text, method_text, payer = cells
    errors = len(parsed.errors)
    reference = _reference(reference_text, parsed, number)
    pence, reason = parse_amount(amount_text)
    parsed.amount(number, pence, reason)
    received_on, reason = parse_date(date_text, today=today)
    if reason:
        parsed.bad(number, reason)
    else:
        dates[date_text] = received_on
    method = _method(method_text)
    if method in methods:
        methods[method_text] = method
    else:
        parsed.bad(number, f"The method “{method_text.strip()}” is not one this system "
                           f"knows: use one of {', '.join(sorted(set(methods.values())))}.")
    if len(parsed.errors) == errors:
        parsed.total_pence += pence
        parsed.lines.append(Line(number, reference, pence, received_on, method,
                                 f"{reference} {payer.strip()}".rstrip()))


def parse_benefit_csv(text: str, *, today: date, rent_weeks: set[date] | None = None,
                      progress=None, **_) -> Parsed:
    """The weekly Housing Benefit CSV: one rent rebate credit per account, week and claim. A
    line for the same payment reference, claim and week as an earlier line is refused, naming
    both lines."""
    parsed = Parsed()
    rows = _csv_rows(text)
    header = _check_header(rows, BENEFIT_HEADER, "Housing Benefit CSV")
    data, control = _split_control(rows, parsed)
    width = len(BENEFIT_HEADER)
    first_line: dict[tuple[str, str, date], int] = {}  # each credit's first line
    weeks: dict[str, tuple[date | None, str]] = {}  # each week as written, checked once
    plain_amount, lines, new_line = _PLAIN_AMOUNT.fullmatch, parsed.lines, _new_line
    for index, (number, cells) in enumerate(data, start=1):
        parsed.data_lines += 1
        if progress and index % PROGRESS_EVERY == 0:
            progress(index)
        if len(cells) != width:
            parsed.bad(number, f"The line has {len(cells)} columns; a Housing Benefit line has "
                               f"{width}: {', '.join(BENEFIT_HEADER)}.")
            continue
        reference_text, claim_text, week_text, amount_text = cells
        errors = len(parsed.errors)
        reference = _reference(reference_text, parsed, number)
        claim = _reference(claim_text, parsed, number, what="claim reference")
        checked = weeks.get(week_text)
        if checked is None:
            checked = weeks[week_text] = _check_week(week_text, today=today,
                                                     rent_weeks=rent_weeks)
        week, reason = checked
        if reason:
            parsed.bad(number, reason)
        if plain_amount(amount_text):  # like 85.40: the usual case, read at once
            pence = int(amount_text.replace(".", ""))
            parsed.amount(number, pence, _limits(pence))
        else:
            pence, reason = parse_amount(amount_text)
            parsed.amount(number, pence, reason)
        if len(parsed.errors) == errors:
            earlier = first_line.setdefault((reference, claim, week), number)
            if earlier != number:
                parsed.bad(number, _twice_in_file(earlier, number, reference=reference,
                                                  claim=claim, week=week))
                continue
            parsed.total_pence += pence
            lines.append(new_line(Line, (number, reference, pence, week, "",
                                         benefit_key(reference, claim), claim)))
    last_line = (data[-1][0] if data else header[0])
    _control(parsed, control, last_line=last_line, noun="credits")
    return parsed


def _check_week(text: str, *, today: date, rent_weeks: set[date] | None
                ) -> tuple[date | None, str]:
    """A Housing Benefit line's week commencing: the Monday of a rent week set up, not in the
    future. The date, and the reason it is refused ("" when it is not)."""
    week, reason = parse_date(text, today=today, what="week commencing")
    if reason:
        return None, reason
    if week.weekday() != 0:
        return None, (f"The week commencing {text.strip()} is a {week:%A}: it must be the "
                      "Monday the rent week starts.")
    if rent_weeks is not None and week not in rent_weeks:
        return None, (f"The week commencing {text.strip()} is not a rent week that has been "
                      "set up.")
    return week, ""


def benefit_key(reference: str, claim: str) -> str:
    """A Housing Benefit credit's ledger reference, "T0001234 HB claim HB4410021": the payment
    reference the file quoted and the claim reference, both as read (trimmed, upper case; at
    most 20 characters each, so never cut short). With the account and the rent week it is
    the key the ledger holds once (`benefit_credit_once`): on an account the payment
    reference is the account's own, so the key is the account, week and claim; in suspense
    it also keeps apart credits quoting different unknown references."""
    return f"{reference} HB claim {claim}"


def _week_of(week: date) -> str:
    from housing.templatetags.ui import govuk_date

    return f"the week of {govuk_date(week)}"


def _twice_in_file(earlier: int, number: int, *, reference: str, claim: str,
                   week: date) -> str:
    return (f"Lines {earlier} and {number} both credit Housing Benefit for claim {claim} "
            f"to {reference} for {_week_of(week)}: a claim is credited once a week. Remove "
            "one of them, or ask the benefits team for a corrected file.")


def _allpay_date(text: str, *, today: date | None, what: str) -> tuple[date | None, str]:
    if not (len(text) == 8 and text.isdigit()):
        return None, f"The {what} “{text.strip()}” is not a date written CCYYMMDD."
    try:
        value = date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None, f"The {what} {text} is not a real date."
    if today is not None and value > today:
        return None, f"The {what} {text} is in the future."
    return value, ""


def _allpay_pence(text: str, what: str) -> tuple[int | None, str]:
    if text.isdigit():
        return int(text), ""
    stripped = text.strip()
    if "." in stripped:
        if _TOO_PRECISE.fullmatch(stripped.lstrip("0") or stripped):
            return None, (f"The {what} {stripped} has more than two decimal places (and "
                          "Allpay amounts are whole pence, with no decimal point).")
        return None, f"The {what} {stripped} has a decimal point: Allpay amounts are in pence."
    if stripped.startswith("-") or "-" in stripped:
        return None, f"The {what} {stripped} is negative."
    return None, f"The {what} “{stripped}” is not a whole number of pence."


def parse_allpay(text: str, *, today: date, progress=None, **_) -> Parsed:
    """The Allpay / PayPoint fixed-width transaction file: a header record (H), one detail
    record (D) per payment and a trailer record (T) with the count and total in pence. The
    columns are in docs/payment-files.md and in ALLPAY_COLUMNS below."""
    parsed = Parsed()
    records = [(number, line.rstrip("\r\n")) for number, line in
               enumerate(text.splitlines(), start=1) if line.strip()]
    if not records:
        raise FileProblem(None, "The file has no records.")
    first_number, first = records[0]
    if first[:1] != "H":
        raise FileProblem(first_number, "The first record must be the header (H). Check you "
                                        "chose the right layout.")
    if len(first) > ALLPAY_RECORD_LENGTH:
        parsed.bad(first_number, f"The header record is {len(first)} characters long; Allpay "
                                 f"records are {ALLPAY_RECORD_LENGTH}.")
    _, reason = _allpay_date(first[1:9], today=today, what="file date")
    if reason:
        parsed.bad(first_number, reason)
    trailer = None
    for index, (number, record) in enumerate(records[1:], start=1):
        if progress and index % PROGRESS_EVERY == 0:
            progress(index)
        kind = record[:1]
        if kind == "T":
            if trailer is not None:
                parsed.bad(number, "There is more than one trailer record (T).")
            trailer = (number, record)
            continue
        if trailer is not None:
            parsed.bad(number, "The record comes after the trailer record, which must be last.")
            continue
        if kind == "H":
            parsed.bad(number, "There is more than one header record (H).")
            continue
        if kind != "D":
            parsed.bad(number, f"The record type “{kind}” is not one of H (header), D (detail) "
                               "or T (trailer).")
            continue
        parsed.data_lines += 1
        if not 47 <= len(record) <= ALLPAY_RECORD_LENGTH:
            parsed.bad(number, f"The detail record is {len(record)} characters long; Allpay "
                               f"records are {ALLPAY_RECORD_LENGTH}.")
            continue
        errors = len(parsed.errors)
        reference = _reference(record[1:21], parsed, number)
        received_on, reason = _allpay_date(record[21:29], today=today, what="transaction date")
        if reason:
            parsed.bad(number, reason)
        clock = record[29:35]
        if not (clock.isdigit() and int(clock[:2]) < 24 and int(clock[2:4]) < 60
                and int(clock[4:]) < 60):
            parsed.bad(number, f"The transaction time “{clock}” is not a time written HHMMSS.")
        pence, reason = _allpay_pence(record[35:45], "amount")
        parsed.amount(number, pence, reason or (_limits(pence) if pence is not None else ""))
        channel = record[45:47]
        if channel not in ALLPAY_CHANNELS:
            parsed.bad(number, f"The channel “{channel}” is not a known method of payment: "
                               f"one of {', '.join(ALLPAY_CHANNELS)}.")
        if len(parsed.errors) == errors:
            parsed.total_pence += pence
            transaction_id = record[47:67].strip()
            parsed.lines.append(Line(
                number=number, reference=reference, pence=pence, received_on=received_on,
                method=Transaction.Method.ALLPAY,
                detail=f"{reference} Allpay {channel} {transaction_id}".strip()))
    if trailer is None:
        parsed.bad(records[-1][0], "The file has no trailer record (T): it may have been cut "
                                   "short.")
        return parsed
    number, record = trailer
    if len(record) > ALLPAY_RECORD_LENGTH or len(record) < 21:
        parsed.bad(number, f"The trailer record is {len(record)} characters long; Allpay "
                           f"records are {ALLPAY_RECORD_LENGTH}.")
        return parsed
    count_text, total_text = record[1:9], record[9:21]
    if not count_text.isdigit():
        parsed.bad(number, f"The trailer's record count “{count_text}” is not a number.")
        return parsed
    total, reason = _allpay_pence(total_text, "trailer total")
    if reason:
        parsed.bad(number, reason)
        return parsed
    _compare(parsed, number, count=int(count_text), total=total, noun="payments")
    return parsed


PARSERS = {
    PaymentFile.Layout.CSV: parse_payments_csv,
    PaymentFile.Layout.ALLPAY: parse_allpay,
    PaymentFile.Layout.BENEFIT_CSV: parse_benefit_csv,
}


def parse_file(content: bytes, *, layout: str, today: date, rent_weeks: set[date] | None = None,
               progress=None) -> Parsed:
    """Every line of the file checked; pure (no database). `rent_weeks`: the Mondays of the
    rent weeks set up, for Housing Benefit files."""
    # A file of 100,000 lines makes some 400,000 small objects that all live until the end:
    # the cyclic garbage collector would walk them again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        text = decode(content)
        parsed = PARSERS[layout](text, today=today, rent_weeks=rent_weeks, progress=progress)
    except FileProblem as problem:
        parsed = Parsed()
        parsed.bad(problem.number, problem.reason)
    finally:
        if collecting:
            gc.enable()
    return parsed


# --- Uploading and importing ----------------------------------------------------------------

def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def already_imported_message(imported: PaymentFile) -> str:
    from housing.templatetags.ui import govuk_date, govuk_time

    return (f"This file was already imported on {govuk_date(imported.imported_at)} at "
            f"{govuk_time(imported.imported_at)} by {imported.uploaded_by.display_name}.")


def _imported_copy(sha256: str) -> PaymentFile | None:
    return PaymentFile.objects.filter(sha256=sha256, status=PaymentFile.Status.IMPORTED
                                      ).select_related("uploaded_by").first()


def upload_payment_file(*, upload, layout: str, by: User, at: datetime) -> PaymentFile:
    """Keep the uploaded file and queue its import. A file already imported (the same bytes,
    by SHA-256) is refused at once, saying when and by whom."""
    if layout not in PARSERS:
        raise ValidationError({"layout": "Select the layout of the file."})
    sha256 = sha256_of(upload)
    imported = _imported_copy(sha256)
    if imported is not None:
        raise ValidationError({"file": already_imported_message(imported)})
    payment_file = PaymentFile(
        kind=KIND_OF_LAYOUT[layout], layout=layout, name=(upload.name or "upload")[:255],
        sha256=sha256, uploaded_by=by, uploaded_at=at)
    payment_file.file.save(get_valid_filename(upload.name or "") or "upload", upload, save=False)
    payment_file.save()
    job = start_job(kind=JOB_KIND, parameters={"payment_file_id": payment_file.pk,
                                               "file_name": payment_file.name},
                    by=by, at=at)
    PaymentFile.objects.filter(pk=payment_file.pk).update(job=job)
    payment_file.job = job
    return payment_file


def _cap(errors: list[dict], *, total: int = 0) -> list[dict]:
    """The first MAX_LISTED_ERRORS problems, and a count of the rest. `total`: how many
    problems there are, when only the first were looked up."""
    total = max(total, len(errors))
    if total <= MAX_LISTED_ERRORS:
        return errors
    listed = errors[:MAX_LISTED_ERRORS]
    return [*listed,
            {"line": None, "reason": f"And {total - len(listed):,} more problems, not listed: "
                                     "correct those above and upload the file again to see "
                                     "them."}]


def _refuse(payment_file: PaymentFile, errors: list[dict], *, total: int = 0,
            line_count: int = 0, total_pence: int = 0) -> PaymentFile:
    PaymentFile.objects.filter(pk=payment_file.pk, status=PaymentFile.Status.QUEUED).update(
        status=PaymentFile.Status.REFUSED, errors=_cap(errors, total=total),
        line_count=line_count, total_pence=total_pence)
    payment_file.refresh_from_db()
    return payment_file


_CREATE_LINES = """
CREATE TEMPORARY TABLE payment_file_line (
    line integer NOT NULL, reference text NOT NULL, pence bigint NOT NULL,
    received_on date NOT NULL, rent_week_id integer NOT NULL, method text NOT NULL,
    detail text NOT NULL, claim text NOT NULL
) ON COMMIT DROP
"""

# One statement posts the whole file. Accounts are matched on the payment reference as the
# file quotes it (upper-cased; references such as T0001234 are upper case), never on the
# suspense account itself; no match posts to suspense. The rent week (the one starting on the
# Monday of the week the money arrived in) comes with each line, looked up once per date when
# the lines are written for COPY. Rows go in in account order (an account's rows in the file's
# order): each account's place in the ledger's account-ordered index is then visited once, in
# order, rather than at random once per line.
#
# A Housing Benefit file's rows are held once per account, week and claim by the partial
# unique index `benefit_credit_once` (the claim being in the reference: see `benefit_key`). A
# line already on the ledger is skipped (ON CONFLICT DO NOTHING), so fewer rows are posted
# than the file has lines, and the import then names those lines and rolls back. An import of
# another file with the same credit, running at the same moment, makes this one wait at that
# row until it ends: if it commits, the row is skipped in the same way, so a race is refused
# like any other repeat and never fails on the index.
_POST_LINES = """
WITH posted AS (
    INSERT INTO rents_transaction (account_id, posted_on, rent_week_id, kind, method,
                                   amount_pence, reference, source, created_by_id, created_at,
                                   job_id, payment_file_id)
    SELECT COALESCE(a.id, %(suspense)s), l.received_on, NULLIF(l.rent_week_id, 0), %(kind)s,
           l.method, -l.pence, left(l.detail, 100), %(source)s, %(by)s, %(at)s, %(job)s,
           %(file)s
    FROM payment_file_line l
    LEFT JOIN rents_rentaccount a ON a.payment_reference = l.reference AND a.kind <> 'suspense'
    ORDER BY COALESCE(a.id, %(suspense)s), l.line
    {on_conflict}
    RETURNING account_id
)
SELECT count(*), count(*) FILTER (WHERE account_id = %(suspense)s) FROM posted
"""
_BENEFIT_ONCE = """ON CONFLICT (account_id, rent_week_id, reference)
      WHERE kind = 'benefit' AND source = 'benefit_file' DO NOTHING"""

# The lines of a Housing Benefit file whose credit is already on the ledger from another file
# (run only when the posting skipped some), with the file and when it was imported.
_ALREADY_CREDITED = """
SELECT l.line, l.claim, l.received_on, f.name, COALESCE(f.imported_at, t.created_at)
FROM payment_file_line l
LEFT JOIN rents_rentaccount a ON a.payment_reference = l.reference AND a.kind <> 'suspense'
JOIN rents_transaction t
  ON t.account_id = COALESCE(a.id, %(suspense)s) AND t.rent_week_id = l.rent_week_id
 AND t.reference = left(l.detail, 100) AND t.kind = 'benefit' AND t.source = 'benefit_file'
LEFT JOIN rents_paymentfile f ON f.id = t.payment_file_id
WHERE t.payment_file_id IS DISTINCT FROM %(file)s
ORDER BY l.line
LIMIT %(limit)s
"""

# COPY's text format: a backslash, tab or line break inside a value is written escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_COLUMNS = len(Line._fields) + 1  # and the rent week


def _copy_text(lines: list[Line], *, weeks: dict[date, int]) -> bytes:
    """The lines as COPY text, built in one go (far quicker than a call per row), each with
    its rent week's id (`weeks`: the id of each rent week by its Monday), found once per
    date; 0 for none (before the first rent year set up), which is no rent week's id.

    Only the references, the detail and the claim come from the file (the other values are
    numbers, dates and methods this module wrote), and they almost never hold a character
    COPY would need escaped. So the text is built as it is, and only if it then holds a
    backslash or carriage return, or more tabs or line breaks than separate the values, is
    it built again with those three escaped."""
    day_and_week = {}
    for day in {line[3] for line in lines}:
        week = weeks.get(day - timedelta(days=day.weekday()))
        day_and_week[day] = f"{day.isoformat()}\t{week or 0}"
    text = "".join([f"{number}\t{reference}\t{pence}\t{day_and_week[day]}\t{method}\t"
                    f"{detail}\t{claim}\n"
                    for number, reference, pence, day, method, detail, claim in lines])
    if ("\\" in text or "\r" in text or text.count("\n") != len(lines)
            or text.count("\t") != (_COPY_COLUMNS - 1) * len(lines)):
        text = "".join([
            f"{number}\t{reference.translate(_COPY_ESCAPES)}\t{pence}\t{day_and_week[day]}\t"
            f"{method}\t{detail.translate(_COPY_ESCAPES)}\t{claim.translate(_COPY_ESCAPES)}\n"
            for number, reference, pence, day, method, detail, claim in lines])
    return text.encode()


def _record_counts(payment_file_id: int, *, posted: int, suspense: int) -> None:
    PaymentFile.objects.filter(pk=payment_file_id).update(line_count=posted,
                                                          suspense_count=suspense)


class AlreadyCredited(Exception):
    """Lines of a Housing Benefit file whose credit is already on the ledger: the posting is
    rolled back and the file refused with `errors` (the first of them: `total` in all)."""

    def __init__(self, errors: list[dict], *, total: int):
        super().__init__(f"{total} Housing Benefit credits were already posted.")
        self.errors = errors
        self.total = total


def _already_credited(cursor, *, skipped: int, suspense_id: int, file_id: int
                      ) -> AlreadyCredited:
    """The refusal of a file whose posting skipped `skipped` lines, naming the first of them
    (as many as are listed), each with the file that credited it first and when."""
    from housing.templatetags.ui import govuk_date

    cursor.execute(_ALREADY_CREDITED, {"suspense": suspense_id, "file": file_id,
                                       "limit": MAX_LISTED_ERRORS})
    weeks, days = {}, {}
    errors = []
    for line, claim, week, name, when in cursor.fetchall():
        if week not in weeks:
            weeks[week] = _week_of(week)
        if when not in days:
            days[when] = govuk_date(when)
        errors.append({"line": line, "reason": (
            f"Housing Benefit for claim {claim} for {weeks[week]} was already credited "
            + (f"from file {name} " if name else "") + f"on {days[when]}.")})
    if not errors:  # a credit skipped, but gone by the time it was looked for: still refused
        return AlreadyCredited([{"line": None, "reason": (
            f"{skipped:,} of the credits in the file were already on the ledger. Nothing was "
            "posted: upload the file again to see which.")}], total=1)
    return AlreadyCredited(errors, total=max(skipped, len(errors)))


def _post(payment_file: PaymentFile, lines: list[Line], *, total_pence: int, by: User | None,
          at: datetime, job_id: int | None) -> PaymentFile:
    benefit = payment_file.kind == PaymentFile.Kind.BENEFIT
    text = _copy_text(lines, weeks=dict(RentWeek.objects.values_list("start_date", "id")))
    with transaction.atomic():
        locked = PaymentFile.objects.select_for_update().get(pk=payment_file.pk)
        if locked.status != PaymentFile.Status.QUEUED:
            return locked  # another run of this job got here first
        suspense = suspense_account(on=timezone.localdate(at))
        # Claim the hash first: a second copy of this file importing at the same time blocks
        # here until this transaction ends, then fails on `file_imported_once`.
        PaymentFile.objects.filter(pk=payment_file.pk).update(
            status=PaymentFile.Status.IMPORTED, imported_at=at, line_count=len(lines),
            total_pence=total_pence, suspense_count=0, errors=[])
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.payment_file_line")
            cursor.execute(_CREATE_LINES)
            with cursor.copy("COPY payment_file_line FROM STDIN") as copy:
                copy.write(text)
            # Room for the accounts' hash table and the sort of a 100,000-line file in memory
            # (the default 4MB spills both to disk), for this transaction only.
            cursor.execute("SET LOCAL work_mem = '32MB'")
            cursor.execute(_POST_LINES.format(on_conflict=_BENEFIT_ONCE if benefit else ""), {
                "suspense": suspense.pk,
                "kind": Transaction.Kind.BENEFIT if benefit else Transaction.Kind.PAYMENT,
                "source": (Transaction.Source.BENEFIT_FILE if benefit
                           else Transaction.Source.PAYMENT_FILE),
                "by": by.pk if by else None, "at": at, "job": job_id,
                "file": payment_file.pk})
            posted, to_suspense = cursor.fetchone()
            if posted != len(lines):  # only a Housing Benefit file skips lines
                raise _already_credited(cursor, skipped=len(lines) - posted,
                                        suspense_id=suspense.pk, file_id=payment_file.pk)
            cursor.execute("DROP TABLE pg_temp.payment_file_line")
        _record_counts(payment_file.pk, posted=posted, suspense=to_suspense)
    payment_file.refresh_from_db()
    return payment_file


def import_payment_file(*, payment_file_id: int, by: User | None, at: datetime,
                        job_id: int | None = None, progress=None) -> PaymentFile:
    """Check every line of a queued file and post it whole, or refuse it whole. A file that
    is no longer queued (imported or refused by an earlier run) is left as it is, so a job
    delivered twice does nothing the second time."""
    payment_file = PaymentFile.objects.select_related("uploaded_by").get(pk=payment_file_id)
    if payment_file.status != PaymentFile.Status.QUEUED:
        return payment_file
    with payment_file.file.open("rb") as handle:
        content = handle.read()
    today = timezone.localdate(at)
    rent_weeks = None
    if payment_file.layout == PaymentFile.Layout.BENEFIT_CSV:
        rent_weeks = set(RentWeek.objects.values_list("start_date", flat=True))
    lines_in_file = content.count(b"\n") + 1
    if progress:
        progress.set_total(lines_in_file + 1)  # every line checked, then the posting
    parsed = parse_file(content, layout=payment_file.layout, today=today, rent_weeks=rent_weeks,
                        progress=progress.set_done if progress else None)
    if progress:
        progress.set_done(lines_in_file)
    if parsed.errors:
        return _refuse(payment_file, parsed.errors, line_count=parsed.data_lines,
                       total_pence=parsed.total_pence)
    try:
        payment_file = _post(payment_file, parsed.lines, total_pence=parsed.total_pence,
                             by=by, at=at, job_id=job_id)
    except AlreadyCredited as refusal:
        return _refuse(payment_file, refusal.errors, total=refusal.total,
                       line_count=parsed.data_lines, total_pence=parsed.total_pence)
    except IntegrityError:
        imported = _imported_copy(payment_file.sha256)
        if imported is None:
            raise
        return _refuse(payment_file, [{"line": None,
                                       "reason": already_imported_message(imported)}],
                       line_count=parsed.data_lines, total_pence=parsed.total_pence)
    if progress:
        progress.set_done(lines_in_file + 1)
    return payment_file


def summarise(payment_file: PaymentFile) -> str:
    if payment_file.status == PaymentFile.Status.IMPORTED:
        what = "credits" if payment_file.kind == PaymentFile.Kind.BENEFIT else "payments"
        suspense = (f"; {payment_file.suspense_count:,} with an unknown reference went to "
                    f"suspense" if payment_file.suspense_count else "")
        return (f"{payment_file.name}: {payment_file.line_count:,} {what} imported, "
                f"{format_pence(payment_file.total_pence)} in all{suspense}.")
    if payment_file.status == PaymentFile.Status.REFUSED:
        bad = len({error["line"] for error in payment_file.errors if error["line"]})
        if bad:
            return (f"{payment_file.name} was refused: {bad:,} line{'s' if bad != 1 else ''} "
                    "to correct. Nothing was posted.")
        return f"{payment_file.name} was refused. Nothing was posted."
    return f"{payment_file.name} is waiting to be imported."


@register(JOB_KIND, title="Payment file import", perm="rents.import_payment_file",
          result_template="rents/payment_files/_job_result.html")
def run_payment_file_import(job: BackgroundJob, progress) -> str:
    payment_file = PaymentFile.objects.select_related("uploaded_by").get(
        pk=job.parameters["payment_file_id"])
    payment_file = import_payment_file(
        payment_file_id=payment_file.pk, by=job.started_by or payment_file.uploaded_by,
        at=timezone.now(), job_id=job.pk, progress=progress)
    # Saved here: execute_job reloads the job after the runner.
    BackgroundJob.objects.filter(pk=job.pk).update(result_data={
        "payment_file_id": payment_file.pk,
        "name": payment_file.name,
        "status": payment_file.status,
        "line_count": payment_file.line_count,
        "total_pence": payment_file.total_pence,
        "suspense_count": payment_file.suspense_count,
        "errors": payment_file.errors[:100],
        "error_count": len(payment_file.errors),
    })
    return summarise(payment_file)


