"""Arrears case work: acting on the arrears run's recommendations (accept, defer, override),
arrears letters as PDFs (one at a time, or many in a background job with a merged print file),
pauses, notes and contacts, and the reads behind the worklist and the case page.

Every change adds a row to the case diary (CaseEvent) with who and when. The arrears run
(rents.arrears) reads the diary back: an accepted stage is a CaseEvent of kind "action" or
"letter" carrying the stage, so the run knows when each step was last taken.

Letters. A stage with a letter template produces a letter when its recommendation is
accepted: the template's subject and body (Django template text, edited by administrators)
are filled in with the case's figures as they are on the day, as plain strings:

    owed               "£412.50", the balance of the account (what is owed today)
    weekly_rent        "£95.93", the charges in force on the home today
    weeks_owed         "4.3", owed / weekly rent, rounded DOWN to one decimal place, so a
                       letter never says "4 weeks" of someone who owes 3.96 weeks
    tenant_names       "Ada Quick and Bob Quick" ("Tenant" when none is recorded)
    address            "9 Polsloe Road, Exeter, EX1 2HL"
    payment_reference  the rent account's payment reference
    tenancy_reference  the tenancy's reference
    today              "9 December 2026"

The letter's layout (templates/rents/documents/arrears_letter.html) adds the names and
address, the date and the references, the subject as its heading, and "Yours sincerely" from
the Income Team unless the body signs off itself.

The PDF is kept as a tenancies.Letter (kind ARREARS, key "recommendation-<pk>"), so the
(tenancy, kind, key) unique constraint means one recommendation never makes two letters,
however often the letters job is run again.
"""

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone

from housing.access import get_object_for_user, scope_for_user
from housing.documents import render_pdf
from housing.jobs import register, start_job
from housing.models import BackgroundJob, Patch, User
from housing.money import format_pence
from rents.models import (
    Action,
    ArrearsStage,
    CaseEvent,
    Charge,
    Pause,
    PossessionNotice,
    Recommendation,
    RentAccount,
    Transaction,
)
from tenancies.models import Letter, Tenancy, TenancyMember

VIEW_PERM = "rents.view_recommendation"  # the worklist and the recommendations
DIARY_PERM = "rents.view_caseevent"  # the case page and the diary on the tenancy page
WORK_PERM = "rents.work_arrears"  # acting on a case
LETTER_PERM = "tenancies.view_letter"

Status = Recommendation.Status
Kind = CaseEvent.Kind

BREATHING_SPACE_DAYS = 60  # a standard Breathing Space moratorium
CRISIS_EXTRA_DAYS = 30  # a mental health crisis moratorium: the treatment, then 30 days
LETTER_BATCH = 50  # letters a transaction in the letters job (and a step of its progress)


def _day(value: date) -> str:
    return f"{value:%-d %B %Y}"


def letter_key(recommendation_id: int) -> str:
    return f"recommendation-{recommendation_id}"


# --- The case's figures -------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFigures:
    owed_pence: int  # the balance: positive is owed, negative is credit
    weekly_rent_pence: int  # the charges in force on the home on the day

    @property
    def weeks_owed(self) -> Decimal | None:
        """Weeks of rent owed, rounded down to one decimal place (None without a rent)."""
        if self.weekly_rent_pence <= 0:
            return None
        weeks = Decimal(max(self.owed_pence, 0)) / Decimal(self.weekly_rent_pence)
        return weeks.quantize(Decimal("0.1"), rounding=ROUND_DOWN)


def case_figures(accounts: Iterable[RentAccount], *, on: date) -> dict[int, CaseFigures]:
    """Each account's balance and weekly rent on `on` (two queries for any number)."""
    accounts = list(accounts)
    ids = [account.pk for account in accounts]
    balances = dict(Transaction.objects.filter(account_id__in=ids).order_by()
                    .values("account_id").annotate(total=Sum("amount_pence"))
                    .values_list("account_id", "total"))
    homes = {account.tenancy.property_id for account in accounts if account.tenancy_id}
    rents = dict(Charge.objects.filter(property_id__in=homes, start_date__lte=on)
                 .filter(Q(end_date__isnull=True) | Q(end_date__gte=on)).order_by()
                 .values("property_id").annotate(total=Sum("weekly_pence"))
                 .values_list("property_id", "total"))
    return {account.pk: CaseFigures(
        owed_pence=int(balances.get(account.pk) or 0),
        weekly_rent_pence=int(rents.get(account.tenancy.property_id, 0))
        if account.tenancy_id else 0) for account in accounts}


def _tenant_members(path: str = "account__tenancy") -> Prefetch:
    """A tenancy's tenants (not household members), oldest first, into `tenant_members`;
    `path` leads from the rows fetched to their tenancy."""
    members = TenancyMember.objects.filter(role=TenancyMember.Role.TENANT).select_related(
        "person").order_by("start_date", "pk")
    return Prefetch(f"{path}__members", queryset=members, to_attr="tenant_members")


def tenants_of(tenancy: Tenancy | None, *, today: date) -> list[TenancyMember]:
    """The tenants today, or, for a tenancy that has ended, on its last day (they owe its
    arrears). Uses the `tenant_members` prefetch when there is one."""
    if tenancy is None:
        return []
    on = min(today, tenancy.end_date) if tenancy.end_date else today
    members = getattr(tenancy, "tenant_members", None)
    if members is None:
        members = tenancy.members.filter(role=TenancyMember.Role.TENANT).select_related(
            "person").order_by("start_date", "pk")
    return [m for m in members if m.start_date <= on and (m.end_date is None or m.end_date >= on)]


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# --- Refusals -------------------------------------------------------------------------------


def ended_refusal(tenancy: Tenancy | None, *, today: date) -> str:
    """Why an arrears letter cannot go to this tenancy, or ""."""
    if tenancy is not None and tenancy.end_date and tenancy.end_date < today:
        return (f"The tenancy ended on {_day(tenancy.end_date)}; arrears letters go to former "
                f"tenants through the former tenant arrears process, not from this worklist. "
                f"Override the recommendation, giving that as the reason.")
    return ""


def pause_in_force(account_id: int, *, today: date) -> Pause | None:
    return (Pause.objects.filter(account_id=account_id, start_date__lte=today,
                                 end_date__gte=today, ended_at__isnull=True)
            .order_by("-end_date", "-pk").first())


def pause_refusal(pause: Pause) -> str:
    return (f"Recovery is paused until {_day(pause.end_date)} "
            f"({pause.get_kind_display()}): no action may be taken while a pause is in force.")


def _letter_refusal(recommendation: Recommendation, figures: CaseFigures, *, today: date) -> str:
    account = recommendation.account
    if account.tenancy is None:
        return "This account has no tenancy to send a letter to."
    refusal = ended_refusal(account.tenancy, today=today)
    if refusal:
        return refusal
    if figures.owed_pence <= 0:
        return (f"The account owes nothing today (its balance is "
                f"{format_pence(figures.owed_pence)}), so no arrears letter is sent. Override "
                f"the recommendation instead.")
    return ""


# --- Letters --------------------------------------------------------------------------------


def letter_context(account: RentAccount, figures: CaseFigures, *, today: date) -> dict:
    """The figures a letter template may use, as plain strings (see the module docstring)."""
    tenancy = account.tenancy
    weeks = figures.weeks_owed
    return {
        "owed": format_pence(figures.owed_pence),
        "weekly_rent": format_pence(figures.weekly_rent_pence),
        "weeks_owed": str(weeks) if weeks is not None else "",
        "tenant_names": join_names([m.person.full_name for m in tenants_of(tenancy,
                                                                          today=today)])
        or "Tenant",
        "address": ", ".join(tenancy.property.address_lines) if tenancy else "",
        "payment_reference": account.payment_reference,
        "tenancy_reference": tenancy.reference if tenancy else "",
        "today": _day(today),
    }


def _fill(text: str, context: dict, *, template_name: str) -> str:
    """An administrator's template text filled in. Only strings go in, so the text can
    reach nothing else; autoescaping is off because the result is plain text (the letter's
    layout escapes it)."""
    try:
        return Template(text).render(Context(context, autoescape=False))
    except TemplateSyntaxError as error:
        raise ValidationError(f"The letter template “{template_name}” has a mistake an "
                              f"administrator must put right: {error}") from None


SIGNED = re.compile(r"\byours\s+(sincerely|faithfully)\b", re.IGNORECASE)


def paragraphs(text: str) -> list[str]:
    """Paragraphs separated by a blank line (as LetterTemplate.body is written)."""
    blocks = [block.strip() for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


def _new_letter(recommendation: Recommendation, figures: CaseFigures, *, by: User | None,
                at: datetime, job_id: int | None = None) -> Letter:
    """The PDF letter for an accepted recommendation (its file stored, the row unsaved)."""
    account = recommendation.account
    tenancy = account.tenancy
    stage = recommendation.stage
    template = stage.letter_template
    today = timezone.localdate(at)
    context = letter_context(account, figures, today=today)
    subject = _fill(template.subject, context, template_name=template.name).strip()
    body = _fill(template.body, context, template_name=template.name)
    pdf = render_pdf("rents/documents/arrears_letter.html", {
        "tenancy": tenancy,
        "home": tenancy.property,
        "tenants": [m.person for m in tenants_of(tenancy, today=today)],
        "payment_reference": account.payment_reference,
        "letter_date": today,
        "subject": subject,
        "paragraphs": paragraphs(body),
        # The shipped templates end without a sign-off; one an administrator wrote with its
        # own keeps it, rather than signing twice.
        "sign_off": not SIGNED.search(body),
    }, title=subject or stage.name)
    letter = Letter(tenancy=tenancy, kind=Letter.Kind.ARREARS,
                    key=letter_key(recommendation.pk),
                    title=f"{stage.name}: {subject}"[:200] if subject else stage.name,
                    created_at=at, created_by=by, job_id=job_id)
    letter.file.save(f"arrears-{stage.code}-{tenancy.reference}-{recommendation.pk}.pdf",
                     ContentFile(pdf), save=False)
    return letter


def _existing_letters(recommendations: list[Recommendation]) -> dict[str, Letter]:
    keys = [letter_key(r.pk) for r in recommendations]
    tenancies = {r.account.tenancy_id for r in recommendations}
    return {letter.key: letter for letter in Letter.objects.filter(
        kind=Letter.Kind.ARREARS, key__in=keys, tenancy_id__in=tenancies)}


def _figures_line(figures: CaseFigures) -> str:
    weeks = figures.weeks_owed
    line = f"Owed on the day: {format_pence(figures.owed_pence)}"
    if weeks is not None:
        line += f" = {weeks} weeks' rent ({format_pence(figures.weekly_rent_pence)} a week)"
    return line + "."


def _accepted_event(recommendation: Recommendation, figures: CaseFigures, letter: Letter | None,
                    *, by: User | None, at: datetime) -> CaseEvent:
    stage = recommendation.stage
    if letter is not None:
        kind, summary = Kind.LETTER, f"{stage.name} produced"
    else:
        kind, summary = Kind.ACTION, f"{stage.name}: {stage.get_action_display().lower()}"
    return CaseEvent(
        account_id=recommendation.account_id, kind=kind, stage=stage, action=stage.action,
        happened_on=timezone.localdate(at), summary=summary[:200],
        detail=f"Recommended because: {recommendation.reason}\n{_figures_line(figures)}",
        letter=letter, recommendation=recommendation, created_by=by, created_at=at)


def _recommendations() -> QuerySet:
    return Recommendation.objects.select_related(
        "stage__letter_template", "account__tenancy__property")


def _lock_open(recommendation_id: int) -> Recommendation:
    """The recommendation, locked; refused unless it is still open. The lock makes a second
    officer acting on it at the same moment wait, then find it decided."""
    Recommendation.objects.select_for_update().filter(pk=recommendation_id).first()
    recommendation = (_recommendations().prefetch_related(_tenant_members())
                      .filter(pk=recommendation_id).first())
    if recommendation is None:
        raise ValidationError("There is no such recommendation.")
    if recommendation.status != Status.OPEN:
        who = recommendation.decided_by.display_name if recommendation.decided_by else ""
        raise ValidationError(
            f"This recommendation is no longer waiting: it was "
            f"{recommendation.get_status_display().lower()}"
            + (f" by {who}" if who else "")
            + (f" on {_day(timezone.localdate(recommendation.decided_at))}"
               if recommendation.decided_at else "") + ".")
    return recommendation


@transaction.atomic
def accept_recommendation(*, recommendation_id: int, by: User, at: datetime) -> CaseEvent:
    """Take the recommended action and write it in the diary. A stage with a letter template
    produces the letter as a PDF kept on the tenancy, linked from the diary; a reminder is sent
    by text or email (rents.reminders). Refused while a pause is in force, and (for a letter or
    a reminder) when the tenancy has ended or nothing is owed."""
    recommendation = _lock_open(recommendation_id)
    today = timezone.localdate(at)
    pause = pause_in_force(recommendation.account_id, today=today)
    if pause is not None:
        raise ValidationError(pause_refusal(pause))
    if recommendation.stage.action == Action.COURT_APPLICATION:
        from rents.legal import open_court_case_on_acceptance  # it builds on this module

        open_court_case_on_acceptance(account_id=recommendation.account_id, by=by, at=at)
    figures = case_figures([recommendation.account], on=today)[recommendation.account_id]
    letter = reminder = None
    if recommendation.stage.action in (Action.REMINDER_TEXT, Action.REMINDER_EMAIL):
        from rents import reminders  # it builds on this module

        # Sent now, before anything is recorded; its template is the message, not a PDF.
        reminder = reminders.send_reminder(recommendation, figures, by=by, at=at)
    elif recommendation.stage.letter_template_id:
        refusal = _letter_refusal(recommendation, figures, today=today)
        if refusal:
            raise ValidationError(refusal)
        letter = _existing_letters([recommendation]).get(letter_key(recommendation.pk))
        if letter is None:
            letter = _new_letter(recommendation, figures, by=by, at=at)
            letter.save()
    event = reminder or _accepted_event(recommendation, figures, letter, by=by, at=at)
    event.save()
    if recommendation.stage.action == Action.NOSP:
        # The notice is served today and lasts 12 months; the court stages count from it.
        PossessionNotice.objects.create(
            account_id=recommendation.account_id, served_on=today,
            expires_on=a_year_after(today), letter=letter, created_by=by, created_at=at)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status=Status.ACCEPTED, decided_by=by, decided_at=at)
    return event


def a_year_after(day: date) -> date:
    """The same date a year on (a notice served on 29 February runs to 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@transaction.atomic
def defer_recommendation(*, recommendation_id: int, until: date | None, reason: str, by: User,
                         at: datetime) -> CaseEvent:
    """Put a recommendation off until a date, with the reason. The arrears run recommends the
    same stage again no sooner than that date."""
    reason = (reason or "").strip()
    today = timezone.localdate(at)
    errors = {}
    if until is None:
        errors["until"] = "Enter the date to look at the case again."
    elif until <= today:
        errors["until"] = "The date to look at the case again must be in the future."
    if not reason:
        errors["reason"] = "Give the reason for deferring the recommendation."
    if errors:
        raise ValidationError(errors)
    recommendation = _lock_open(recommendation_id)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status=Status.DEFERRED, deferred_until=until, decision_note=reason, decided_by=by,
        decided_at=at)
    return CaseEvent.objects.create(
        account_id=recommendation.account_id, kind=Kind.DEFERRED, stage=recommendation.stage,
        happened_on=today, summary=f"{recommendation.stage.name} deferred until {_day(until)}",
        detail=reason, recommendation=recommendation, created_by=by, created_at=at)


@transaction.atomic
def override_recommendation(*, recommendation_id: int, reason: str, by: User,
                            at: datetime) -> CaseEvent:
    """Decide not to take the recommended action, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for not taking the recommended "
                                         "action."})
    recommendation = _lock_open(recommendation_id)
    Recommendation.objects.filter(pk=recommendation.pk).update(
        status=Status.OVERRIDDEN, decision_note=reason, decided_by=by, decided_at=at)
    return CaseEvent.objects.create(
        account_id=recommendation.account_id, kind=Kind.OVERRIDDEN, stage=recommendation.stage,
        happened_on=timezone.localdate(at), summary=f"{recommendation.stage.name} overridden",
        detail=reason, recommendation=recommendation, created_by=by, created_at=at)


# --- Many letters at once: a background job ---------------------------------------------------


def letter_recommendations() -> QuerySet:
    """Open recommendations whose stage produces a letter (those bulk acceptance takes). A
    reminder's template is its text or email (rents.reminders), never a letter."""
    return Recommendation.objects.filter(status=Status.OPEN,
                                         stage__letter_template__isnull=False).exclude(
        stage__action__in=[Action.REMINDER_TEXT, Action.REMINDER_EMAIL])


def start_arrears_letters(*, recommendation_ids: list[int], by: User,
                          at: datetime) -> BackgroundJob:
    """Queue the letters job for the chosen recommendations (the view passes only those the
    officer may see). Those that are not open letter recommendations are left out."""
    wanted = sorted({int(pk) for pk in recommendation_ids})
    if not wanted:
        raise ValidationError("Select the letters to produce.")
    ids = list(letter_recommendations().filter(pk__in=wanted).order_by("pk")
               .values_list("pk", flat=True))
    if not ids:
        raise ValidationError("None of the recommendations selected is a letter still waiting "
                              "to be produced.")
    return start_job(kind="arrears_letters", parameters={"recommendation_ids": ids}, by=by,
                     at=at)


@dataclass
class LettersResult:
    made: int = 0
    already: int = 0  # accepted, deferred or overridden before this run got to them
    refused: list[dict] = field(default_factory=list)  # {"reference", "address", "reason"}


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def produce_arrears_letters(*, recommendation_ids: list[int], by: User | None, at: datetime,
                            job_id: int | None = None, progress=None) -> LettersResult:
    """Accept each open letter recommendation: its PDF letter, its diary row and its status,
    a batch at a time, each batch in one transaction (so a worker lost mid-run leaves every
    batch either done or not begun, and a rerun does only what is left). Those no longer
    open are counted, not done again; a pause, an ended tenancy or a cleared balance is
    reported for each with the reason."""
    ids = sorted({int(pk) for pk in recommendation_ids})
    today = timezone.localdate(at)
    result = LettersResult()
    if progress:
        progress.set_total(max(1, len(ids)))
    done = 0
    for batch in _chunks(ids, LETTER_BATCH):
        with transaction.atomic():
            # Locked in id order, as every batch is, so two runs cannot deadlock.
            list(Recommendation.objects.select_for_update().filter(pk__in=batch).order_by("pk")
                 .values_list("pk", flat=True))
            recommendations = list(
                _recommendations().prefetch_related(_tenant_members())
                .filter(pk__in=batch, status=Status.OPEN, stage__letter_template__isnull=False)
                .order_by("pk"))
            result.already += len(batch) - len(recommendations)
            paused = {pause.account_id: pause for pause in Pause.objects.filter(
                account_id__in=[r.account_id for r in recommendations], start_date__lte=today,
                end_date__gte=today, ended_at__isnull=True).order_by("end_date")}
            figures = case_figures([r.account for r in recommendations], on=today)
            existing = _existing_letters(recommendations)
            accepted, new_letters = [], []
            for recommendation in recommendations:
                these = figures[recommendation.account_id]
                refusal = (pause_refusal(paused[recommendation.account_id])
                           if recommendation.account_id in paused
                           else _letter_refusal(recommendation, these, today=today))
                if refusal:
                    tenancy = recommendation.account.tenancy
                    result.refused.append({
                        "reference": tenancy.reference if tenancy
                        else recommendation.account.payment_reference,
                        "address": tenancy.property.short_address if tenancy else "",
                        "reason": refusal})
                    continue
                letter = existing.get(letter_key(recommendation.pk))
                if letter is None:
                    letter = _new_letter(recommendation, these, by=by, at=at, job_id=job_id)
                    new_letters.append(letter)
                accepted.append((recommendation, these, letter))
            Letter.objects.bulk_create(new_letters)
            CaseEvent.objects.bulk_create([
                _accepted_event(recommendation, these, letter, by=by, at=at)
                for recommendation, these, letter in accepted])
            Recommendation.objects.filter(pk__in=[r.pk for r, _f, _l in accepted]).update(
                status=Status.ACCEPTED, decided_by=by, decided_at=at)
            result.made += len(accepted)
        done += len(batch)
        if progress:
            progress.set_done(done)
    return result


def merged_print_file(letters: Iterable[Letter]) -> bytes | None:
    """One PDF of all the letters, in order, for printing; None when there are none."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    count = 0
    for letter in letters:
        with letter.file.open("rb") as handle:
            writer.append(io.BytesIO(handle.read()))
        count += 1
    if not count:
        return None
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def job_letters(job_id: int) -> QuerySet:
    """The letters a letters job made, in the order to print them (by postcode)."""
    return (Letter.objects.filter(kind=Letter.Kind.ARREARS, job_id=job_id)
            .order_by("tenancy__property__postcode", "tenancy__reference", "pk"))


@register("arrears_letters", title="Arrears letters", perm=WORK_PERM,
          result_template="rents/arrears/_letters_result.html")
def run_arrears_letters(job: BackgroundJob, progress) -> str:
    result = produce_arrears_letters(
        recommendation_ids=job.parameters["recommendation_ids"], by=job.started_by,
        at=timezone.now(), job_id=job.pk, progress=progress)
    letters = job_letters(job.pk)
    printed = letters.count()
    merged = merged_print_file(letters)
    update = {"result_data": {"made": result.made, "already": result.already,
                              "refused": result.refused, "printed": printed}}
    if merged is not None:
        job.result_file.save(f"arrears-letters-{job.pk}.pdf", ContentFile(merged), save=False)
        update["result_file"] = job.result_file.name
    BackgroundJob.objects.filter(pk=job.pk).update(**update)
    summary = f"{result.made:,} arrears letter{'s' if result.made != 1 else ''} produced"
    if result.already:
        summary += f"; {result.already:,} had already been dealt with"
    if result.refused:
        summary += f"; {len(result.refused):,} could not be sent"
    return summary + "."


# --- Pauses ---------------------------------------------------------------------------------


def pause_end(*, kind: str, start_date: date | None, end_date: date | None,
              treatment_end_date: date | None) -> date | None:
    """When a pause ends: a standard Breathing Space 60 days after it starts unless an end
    date is given; a mental health crisis Breathing Space 30 days after the treatment ends;
    any other pause on the end date given."""
    if kind == Pause.Kind.MENTAL_HEALTH_CRISIS:
        return treatment_end_date + timedelta(days=CRISIS_EXTRA_DAYS) if treatment_end_date \
            else None
    if kind == Pause.Kind.BREATHING_SPACE and end_date is None and start_date is not None:
        return start_date + timedelta(days=BREATHING_SPACE_DAYS)
    return end_date


@transaction.atomic
def add_pause(*, account_id: int, kind: str, start_date: date | None, reason: str, by: User,
              at: datetime, end_date: date | None = None,
              treatment_end_date: date | None = None) -> Pause:
    """Pause recovery on an account. Every pause has an end date and a reason, so recovery
    cannot stall silently. A pause in force today withdraws the open recommendation (the
    arrears run recommends nothing while it lasts)."""
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if kind not in Pause.Kind.values:
        errors["kind"] = "Select the kind of pause."
    if start_date is None:
        errors["start_date"] = "Enter the date the pause starts."
    if kind == Pause.Kind.MENTAL_HEALTH_CRISIS:
        if treatment_end_date is None:
            errors["treatment_end_date"] = ("Enter the date the mental health crisis treatment "
                                            "ends: the pause ends 30 days after it.")
        elif start_date and treatment_end_date < start_date:
            errors["treatment_end_date"] = ("The treatment end date must be the same as or "
                                            "after the start date.")
    end = pause_end(kind=kind, start_date=start_date, end_date=end_date,
                    treatment_end_date=treatment_end_date)
    if kind != Pause.Kind.MENTAL_HEALTH_CRISIS and "kind" not in errors:
        if end is None:
            errors["end_date"] = "Enter the date the pause ends. Every pause must have an end."
        elif start_date and end < start_date:
            errors["end_date"] = "The end date must be the same as or after the start date."
    if not reason:
        errors["reason"] = "Give the reason for the pause."
    if errors:
        raise ValidationError(errors)
    account = RentAccount.objects.select_for_update().get(pk=account_id)
    pause = Pause.objects.create(account=account, kind=kind, start_date=start_date,
                                 end_date=end, reason=reason, created_by=by, created_at=at)
    today = timezone.localdate(at)
    detail = reason
    if kind == Pause.Kind.MENTAL_HEALTH_CRISIS:
        detail = f"Treatment ends {_day(treatment_end_date)}.\n{reason}"
    CaseEvent.objects.create(
        account=account, kind=Kind.PAUSE, happened_on=today,
        summary=f"Paused: {pause.get_kind_display()}, {_day(start_date)} to {_day(end)}"[:200],
        detail=detail, created_by=by, created_at=at)
    if start_date <= today <= end:
        Recommendation.objects.filter(account=account, status=Status.OPEN).update(
            status=Status.WITHDRAWN, decided_by=by, decided_at=at,
            decision_note=f"Recovery paused until {_day(end)}.")
    return pause


@transaction.atomic
def end_pause(*, pause_id: int, reason: str, by: User, at: datetime) -> Pause:
    """End a pause early, with the reason. It is no longer in force from today: its end date
    becomes yesterday (or its start date, for a pause ended on or before the day it starts,
    with ended_at set)."""
    reason = (reason or "").strip()
    pause = Pause.objects.select_for_update().get(pk=pause_id)
    today = timezone.localdate(at)
    if pause.ended_at is not None:
        raise ValidationError(f"This pause was already ended on "
                              f"{_day(timezone.localdate(pause.ended_at))}.")
    if pause.end_date < today:
        raise ValidationError(f"This pause already ended on {_day(pause.end_date)}.")
    if not reason:
        raise ValidationError({"reason": "Give the reason for ending the pause early."})
    was = pause.end_date
    pause.end_date = max(pause.start_date, today - timedelta(days=1))
    pause.ended_by, pause.ended_at = by, at
    pause.save(update_fields=["end_date", "ended_by", "ended_at"])
    CaseEvent.objects.create(
        account_id=pause.account_id, kind=Kind.PAUSE, happened_on=today,
        summary=f"Pause ended early: {pause.get_kind_display()}"[:200],
        detail=f"It was to end on {_day(was)}.\n{reason}", created_by=by, created_at=at)
    return pause


# --- Notes and contacts ---------------------------------------------------------------------


class ContactMethod:
    PHONE = "phone"
    VISIT = "visit"
    EMAIL = "email"
    choices = [(PHONE, "Phone call"), (VISIT, "Visit"), (EMAIL, "Email")]


def _diary_date(happened_on: date | None, *, today: date, errors: dict) -> None:
    if happened_on is None:
        errors["happened_on"] = "Enter the date."
    elif happened_on > today:
        errors["happened_on"] = "The date must be today or in the past."


@transaction.atomic
def add_note(*, account_id: int, text: str, happened_on: date | None, by: User,
             at: datetime) -> CaseEvent:
    text = (text or "").strip()
    errors: dict[str, str] = {}
    _diary_date(happened_on, today=timezone.localdate(at), errors=errors)
    if not text:
        errors["text"] = "Enter the note."
    if errors:
        raise ValidationError(errors)
    return CaseEvent.objects.create(account_id=account_id, kind=Kind.NOTE,
                                    happened_on=happened_on, summary="Note", detail=text,
                                    created_by=by, created_at=at)


@transaction.atomic
def record_contact(*, account_id: int, method: str, happened_on: date | None, said: str,
                   with_whom: str = "", by: User, at: datetime) -> CaseEvent:
    said = (said or "").strip()
    with_whom = (with_whom or "").strip()
    errors: dict[str, str] = {}
    labels = dict(ContactMethod.choices)
    if method not in labels:
        errors["method"] = "Select how you were in contact."
    _diary_date(happened_on, today=timezone.localdate(at), errors=errors)
    if not said:
        errors["said"] = "Enter what was said."
    if errors:
        raise ValidationError(errors)
    summary = labels[method] + (f" with {with_whom}" if with_whom else "")
    return CaseEvent.objects.create(account_id=account_id, kind=Kind.CONTACT,
                                    happened_on=happened_on, summary=summary[:200], detail=said,
                                    created_by=by, created_at=at)


# --- Reads: the worklist, the case, the diary -----------------------------------------------


def case_accounts(user: User, *, perm: str = VIEW_PERM) -> QuerySet:
    """The rent accounts whose cases `user` may see (their patches unless they see all)."""
    return scope_for_user(user, RentAccount.objects.filter(kind=RentAccount.Kind.RENT),
                          perm=perm)


def get_case_account(user: User, pk, *, request=None) -> RentAccount:
    """The account (with its tenancy, home and tenants), or Http404."""
    queryset = (RentAccount.objects.filter(kind=RentAccount.Kind.RENT)
                .select_related("tenancy__property")
                .prefetch_related(_tenant_members("tenancy")))
    return get_object_for_user(user, queryset, pk=pk, perm=DIARY_PERM, request=request)


def get_recommendation_for_user(user: User, pk, *, request=None) -> Recommendation:
    """A recommendation on an account the user may see, or Http404."""
    from django.http import Http404

    recommendation = _recommendations().filter(
        pk=pk, account__in=case_accounts(user)).first() if str(pk).isdigit() else None
    if recommendation is None:
        raise Http404
    return recommendation


def get_pause_for_user(user: User, pk) -> Pause:
    from django.http import Http404

    pause = Pause.objects.select_related("account").filter(
        pk=pk, account__in=case_accounts(user, perm=DIARY_PERM)).first()
    if pause is None:
        raise Http404
    return pause


# Amount bands for the worklist filter: (label, at least, less than) in pence.
BANDS = {
    "under-100": ("Under £100", None, 10_000),
    "100-500": ("£100 to £499.99", 10_000, 50_000),
    "500-1000": ("£500 to £999.99", 50_000, 100_000),
    "1000-2500": ("£1,000 to £2,499.99", 100_000, 250_000),
    "2500-plus": ("£2,500 or more", 250_000, None),
}
SORTS = {
    "amount": ("Amount owed, highest first", ["-owed_pence", "pk"]),
    "weeks": ("Weeks owed, most first", ["-weeks_owed", "-owed_pence", "pk"]),
    "oldest": ("Oldest recommendation first", ["created_at", "pk"]),
}


def worklist(user: User, *, action: str = "", stage: str = "", patch: Patch | None = None,
             band: str = "", sort: str = "amount") -> QuerySet:
    """The open recommendations on the user's cases, filtered and sorted, with what a row of
    the worklist shows (two queries a page, however many rows)."""
    rows = (Recommendation.objects.filter(status=Status.OPEN, account__in=case_accounts(user))
            .select_related("stage__letter_template", "account__tenancy__property")
            .prefetch_related(_tenant_members()))
    if action:
        rows = rows.filter(stage__action=action)
    if stage:
        rows = rows.filter(stage__code=stage)
    if patch is not None:
        rows = rows.filter(account__tenancy__property__patch=patch)
    if band in BANDS:
        _label, low, high = BANDS[band]
        if low is not None:
            rows = rows.filter(owed_pence__gte=low)
        if high is not None:
            rows = rows.filter(owed_pence__lt=high)
    return rows.order_by(*SORTS.get(sort, SORTS["amount"])[1])


def stage_choices() -> list[tuple[str, str]]:
    """Each stage code once (policies may repeat them), in policy order."""
    seen: dict[str, str] = {}
    for code, name in (ArrearsStage.objects.order_by("-policy__effective_from", "order")
                       .values_list("code", "name")):
        seen.setdefault(code, name)
    return list(seen.items())


def paused_cases(user: User, *, today: date) -> QuerySet:
    """The pauses in force today on the user's cases, ending soonest first."""
    return (Pause.objects.filter(account__in=case_accounts(user), start_date__lte=today,
                                 end_date__gte=today, ended_at__isnull=True)
            .select_related("account__tenancy__property").order_by("end_date", "pk"))


def diary(account_id: int) -> QuerySet:
    """The case diary, newest first, with who made each row and its letter."""
    return (CaseEvent.objects.filter(account_id=account_id)
            .select_related("created_by", "letter", "stage")
            .order_by("-happened_on", "-created_at", "-id"))


def open_recommendation(account_id: int) -> Recommendation | None:
    return (Recommendation.objects.filter(account_id=account_id, status=Status.OPEN)
            .select_related("stage__letter_template").first())


def tenancy_case(user: User, tenancy: Tenancy, *, limit: int = 20) -> dict | None:
    """The latest rows of the tenancy's case diary, for the tenancy page; None when the user
    may not see case diaries or the tenancy has no rent account they may see."""
    if not user.has_perm(DIARY_PERM):
        return None
    account = case_accounts(user, perm=DIARY_PERM).filter(tenancy=tenancy).first()
    if account is None:
        return None
    events = list(diary(account.pk)[:limit + 1])
    return {"account": account, "events": events[:limit], "more": len(events) > limit}

