"""Arrears reminders by text message and by email (the stage actions REMINDER_TEXT and
REMINDER_EMAIL). Accepting a reminder recommendation sends it: rents.casework's
accept_recommendation calls send_reminder, which sends and returns the diary row to save.

The message. When the stage has a letter template, the template is the message, not a PDF
letter: its body filled in with the case's figures as a letter's is (casework.letter_context:
{{ owed }}, {{ tenant_names }}, {{ payment_reference }}...), its subject the email's subject.
Without one, DEFAULT_BODY and DEFAULT_SUBJECT. An email is signed by the Income Team unless the
body signs itself off; a text is not (GOV.UK Notify shows the council as the sender).

Who it goes to. The tenancy's tenants (casework.tenants_of, not household members): a text to
each tenant with a mobile number recorded, an email to each with an email address, once to an
address two tenants share. A number in the mobile field that is not a UK mobile (07...) is
passed over and said so. Person.preferred_contact_method is not used to leave anyone out: it
is a preference between ways of contact, not a refusal of texts, and it is "letter" for
everyone whose record has not said otherwise, so reading it as an opt-out would stop nearly
every reminder. The policy chose the channel; the officer can override the recommendation for
a tenant who has asked not to be texted.

Refused, with nothing sent or recorded: while a pause is in force (casework), when the tenancy
has ended (the same refusal as a letter's), when nothing is owed today, and when no tenant has
a mobile number (for a text) or an email address (for an email).

When it is sent: now, inside the acceptance's transaction, after every check and before the
diary row and the recommendation's status are written, so the diary never says "sent" for a
message that was not. (Sending after commit would let the diary say sent for a message that
then failed.) If nothing could be sent, ValidationError carries the reason and the transaction
records nothing: the recommendation stays open to try again. If a message to one joint tenant
fails after another's was sent, the acceptance stands and the diary says both, so no tenant is
sent a message the diary does not show and a retry does not send the same reminder twice. The
recommendation's row lock (casework._lock_open) means two officers cannot both send it.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from housing import notify
from housing.models import User
from housing.money import format_pence
from rents import casework
from rents.models import Action, ArrearsStage, CaseEvent, Recommendation, RentAccount

ACTIONS = (Action.REMINDER_TEXT, Action.REMINDER_EMAIL)

DEFAULT_SUBJECT = "Your rent account is behind"
DEFAULT_BODY = ("{{ tenant_names }}: your rent account {{ payment_reference }} is {{ owed }} "
                "behind. Please pay today, or call the Income Team to agree how you will pay "
                "it.")

UK_MOBILE = re.compile(r"(\+447|07)\d{9}")


def is_reminder(stage: ArrearsStage) -> bool:
    return stage.action in ACTIONS


@dataclass(frozen=True)
class Recipient:
    names: str  # "Ada Quick", or "Ada Quick and Bob Quick" for a shared address
    to: str  # the number or address as recorded


def is_mobile(number: str) -> bool:
    return bool(UK_MOBILE.fullmatch(re.sub(r"[\s()-]", "", number)))


def recipients(account: RentAccount, *, by_text: bool, today: date) -> tuple[list[Recipient],
                                                                              list[str]]:
    """Who the reminder goes to, and the numbers in mobile fields passed over because they are
    not mobile numbers ("Ada Quick's 01392 265000")."""
    found: dict[str, tuple[str, list[str]]] = {}  # the same address -> (as recorded, names)
    passed_over = []
    for member in casework.tenants_of(account.tenancy, today=today):
        person = member.person
        to = (person.mobile_phone if by_text else person.email).strip()
        if not to:
            continue
        if by_text and not is_mobile(to):
            passed_over.append(f"{person.full_name}'s {to}")
            continue
        same = re.sub(r"\D", "", to)[-10:] if by_text else to.lower()
        found.setdefault(same, (to, []))[1].append(person.full_name)
    return ([Recipient(names=casework.join_names(names), to=to)
             for to, names in found.values()], passed_over)


def refusal(recommendation: Recommendation, figures: casework.CaseFigures, *,
            today: date) -> str:
    """Why the reminder cannot be sent, or "" (a pause is casework's to refuse)."""
    account = recommendation.account
    if account.tenancy is None:
        return "This account has no tenancy to send a reminder to."
    ended = casework.ended_refusal(account.tenancy, today=today)
    if ended:
        return ended
    if figures.owed_pence <= 0:
        return (f"The account owes nothing today (its balance is "
                f"{format_pence(figures.owed_pence)}), so no reminder is sent. Override the "
                f"recommendation instead.")
    by_text = recommendation.stage.action == Action.REMINDER_TEXT
    found, passed_over = recipients(account, by_text=by_text, today=today)
    if found:
        return ""
    if not by_text:
        return ("No tenant on this tenancy has an email address recorded: add one on their "
                "record, or override the recommendation.")
    why = ("No tenant on this tenancy has a mobile number recorded: add one on their record, "
           "or override the recommendation.")
    if passed_over:
        why += f" {_not_mobiles(passed_over)}"
    return why


def _not_mobiles(passed_over: list[str]) -> str:
    return f"Recorded as a mobile but not one: {casework.join_names(passed_over)}."


def message(account: RentAccount, stage: ArrearsStage, figures: casework.CaseFigures, *,
            today: date) -> tuple[str, str]:
    """The reminder's subject (used by email) and body, with today's figures."""
    context = casework.letter_context(account, figures, today=today)
    template = stage.letter_template
    if template is None:
        subject, body, name = DEFAULT_SUBJECT, DEFAULT_BODY, "default reminder"
    else:
        subject, body, name = template.subject, template.body, template.name
    return (casework._fill(subject, context, template_name=name).strip(),
            casework._fill(body, context, template_name=name).strip())


def _signed(body: str) -> str:
    if casework.SIGNED.search(body):
        return body
    return f"{body}\n\nIncome Team\n{settings.COUNCIL_NAME}"


def send_reminder(recommendation: Recommendation, figures: casework.CaseFigures, *,
                  by: User | None, at: datetime) -> CaseEvent:
    """Send the reminder to each recipient; the diary row saying so (unsaved). Raises
    ValidationError, having sent nothing, when it is refused or no message could be sent."""
    today = timezone.localdate(at)
    reason = refusal(recommendation, figures, today=today)
    if reason:
        raise ValidationError(reason)
    account, stage = recommendation.account, recommendation.stage
    by_text = stage.action == Action.REMINDER_TEXT
    found, passed_over = recipients(account, by_text=by_text, today=today)
    subject, body = message(account, stage, figures, today=today)
    sent, failed = [], []
    for recipient in found:
        try:
            if by_text:
                reference = notify.send_text(to=recipient.to, body=body)
            else:
                notify.send_email(to=recipient.to, subject=subject, body=_signed(body))
                reference = ""
        except notify.SendError as error:
            failed.append((recipient, str(error)))
        else:
            sent.append((recipient, reference))
    kind = "text" if by_text else "email"
    if not sent:
        recipient, error = failed[0]
        raise ValidationError(f"The reminder {kind} to {recipient.names} ({recipient.to}) was "
                              f"not sent: {error} Nothing has been recorded: try again later, "
                              f"or override the recommendation.")
    summary = f"Reminder {kind} sent to {casework.join_names([r.to for r, _ in sent])}"
    if failed:
        summary += f"; NOT sent to {casework.join_names([r.to for r, _ in failed])}"
    lines = [f"Sent to {r.names}: {r.to}" + (f" (reference {ref})" if ref else "") + "."
             for r, ref in sent]
    lines += [f"Not sent to {r.names}: {r.to}. {error}" for r, error in failed]
    if passed_over:
        lines.append(f"Not texted: {_not_mobiles(passed_over)}")
    if not by_text:
        lines.append(f"Subject: {subject}")
    lines += ["Message:", body, "",
              f"Recommended because: {recommendation.reason}", casework._figures_line(figures)]
    return CaseEvent(
        account_id=recommendation.account_id, kind=CaseEvent.Kind.ACTION, stage=stage,
        action=stage.action, happened_on=today, summary=summary[:200], detail="\n".join(lines),
        recommendation=recommendation, created_by=by, created_at=at)
