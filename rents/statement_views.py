"""Statements of a rent account for any date range, as a PDF.

The form is a GET form: asking for a statement changes nothing, and its address can be kept.
The dates are GOV.UK date inputs (day, month and year boxes), whose parsing lives in
`DatePartsForm` below so the report forms use the same boxes and messages.
"""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from housing.access import require_perm
from housing.documents import render_pdf
from housing.forms_register import ServiceForm
from rents.queries import get_account_for_user
from rents.statements import check_range, default_range, statement_for

VIEW_PERM = "rents.view_transaction"

_PARTS = [("day", "Day", "govuk-input--width-2"), ("month", "Month", "govuk-input--width-2"),
          ("year", "Year", "govuk-input--width-4")]


class DatePartsForm(ServiceForm):
    """A form of GOV.UK date inputs. Subclasses list them in `dates`: (name, legend, what)
    where `what` names the date in messages ("the start date"). Each becomes three text
    fields, <name>_day, <name>_month and <name>_year, and `cleaned_data[name]` a date.

    An error about a date is put on the first box it concerns, so the error summary links
    there; `problems[name]` keeps the message and which boxes to mark in red."""

    dates: list[tuple[str, str, str]] = []
    hint = "For example, 27 3 2026"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        initial = kwargs.setdefault("initial", {})
        for name, _legend, _what in self.dates:
            value = initial.get(name)
            if isinstance(value, date):
                initial.update({f"{name}_day": value.day, f"{name}_month": value.month,
                                f"{name}_year": value.year})
        super().__init__(*args, **kwargs)
        self.problems: dict[str, dict] = {}
        for name, _legend, _what in self.dates:
            for part, label, _width in _PARTS:
                # No max_length: a box too long is "not a real date", said once for the date.
                self.fields[f"{name}_{part}"] = forms.CharField(required=False, label=label)

    def clean(self):
        cleaned = super().clean()
        for name, _legend, what in self.dates:
            try:
                cleaned[name] = self._parse(name, what, cleaned)
            except _DateProblem as problem:
                self.date_error(name, problem.message, parts=problem.parts)
        return cleaned

    def date_error(self, name: str, message: str, *, parts=("day", "month", "year")) -> None:
        parts = [part for part, _label, _width in _PARTS if part in parts]
        self.problems[name] = {"message": message, "parts": set(parts)}
        self.add_error(f"{name}_{parts[0]}", message)
        self.cleaned_data.pop(name, None)

    def add_date_errors(self, error: ValidationError) -> None:
        """A service's refusal keyed by date name ("start", "end") onto those dates."""
        for name, messages in error.message_dict.items():
            if name in {date_name for date_name, _legend, _what in self.dates}:
                self.date_error(name, " ".join(messages))
            else:
                self.add_error(None, messages)

    def _parse(self, name: str, what: str, cleaned: dict) -> date:
        typed = {part: (cleaned.get(f"{name}_{part}") or "").strip() for part, _l, _w in _PARTS}
        missing = [part for part, value in typed.items() if not value]
        if len(missing) == 3:
            raise _DateProblem(f"Enter {what}.")
        if missing:
            raise _DateProblem(f"{_capital(what)} must include a {' and '.join(missing)}.",
                               missing)
        if not all(value.isdigit() and len(value) <= 4 for value in typed.values()):
            raise _DateProblem(f"{_capital(what)} must be a real date.")
        if len(typed["year"]) != 4:
            raise _DateProblem(f"The year of {what} must have 4 numbers, like 2026.", ["year"])
        try:
            return date(int(typed["year"]), int(typed["month"]), int(typed["day"]))
        except ValueError:
            raise _DateProblem(f"{_capital(what)} must be a real date.") from None

    def date_groups(self) -> list[dict]:
        """What templates/rents/reports/_date_input.html shows for each date."""
        groups = []
        for name, legend, _what in self.dates:
            problem = self.problems.get(name, {})
            marked = problem.get("parts", set())
            groups.append({
                "name": name, "legend": legend, "hint": self.hint,
                "error": problem.get("message", ""),
                "parts": [{"label": label, "field": self[f"{name}_{part}"], "width": width,
                           "error": part in marked} for part, label, width in _PARTS],
            })
        return groups


class _DateProblem(Exception):
    def __init__(self, message: str, parts=("day", "month", "year")):
        super().__init__(message)
        self.message = message
        self.parts = parts


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class StatementForm(DatePartsForm):
    dates = [("start", "From", "the start date"), ("end", "To", "the end date")]

    def __init__(self, *args, today: date, **kwargs):
        self.today = today
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if "start" in cleaned and "end" in cleaned:
            try:
                check_range(start=cleaned["start"], end=cleaned["end"], today=self.today)
            except ValidationError as error:
                self.add_date_errors(error)
        return cleaned


def _submitted(request) -> bool:
    return any(key in request.GET for key in ("start_day", "start_month", "start_year",
                                               "end_day", "end_month", "end_year"))


@require_GET
def statement(request, pk: int):
    account = get_account_for_user(request.user, pk, request=request)
    require_perm(request.user, VIEW_PERM)
    today = timezone.localdate()
    start, end = default_range(today=today)
    form = StatementForm(request.GET if _submitted(request) else None, today=today,
                         initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        found = statement_for(account, start=data["start"], end=data["end"])
        pdf = render_pdf("rents/documents/statement.html",
                         {"statement": found, "tenancy": account.tenancy, "produced_on": today},
                         title=f"Statement of account {account.payment_reference}")
        response = HttpResponse(pdf, content_type="application/pdf")
        reference = re.sub(r"[^A-Za-z0-9-]+", "-", account.payment_reference)
        response["Content-Disposition"] = (
            f'attachment; filename="statement-{reference}-{data["start"]:%Y-%m-%d}-to-'
            f'{data["end"]:%Y-%m-%d}.pdf"')
        return response
    return render(request, "rents/statement_form.html", {
        "account": account, "tenancy": account.tenancy, "form": form,
        "date_groups": form.date_groups(),
    })
