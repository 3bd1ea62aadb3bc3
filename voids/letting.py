"""Letting a void home: the offers made on it and the sign-up of the applicant who accepted.

An offer is made only when the home is ready to let; it moves the void to "offered". A
refused or withdrawn offer moves it back to "ready", so the next applicant can be offered it;
every offer counts towards CORE's "times offered". The sign-up is one step: the new tenant's
person record and tenancies.services.sign_up together (which checks the void, closes it, tells
Council Tax, keeps the CORE record and starts the rent), all or nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from housing.models import Person, Property, User
from housing.services import create_person
from tenancies import services as tenancy_services
from tenancies.models import Tenancy
from voids.models import Offer, Stage, VoidPeriod
from voids.services import accepted_offer, day, lock, move, what_is_missing

Outcome = Offer.Outcome
TITLES = ("mr", "mrs", "miss", "ms", "mx", "dr", "prof", "rev", "sir", "dame", "lady", "lord")


# --- Reads the screens share ------------------------------------------------------------------


def offer_refusal(void: VoidPeriod) -> str:
    """Why no offer can be made on the void now, in words ("" when one can)."""
    if void.stage == Stage.READY:
        return ""
    if void.stage == Stage.LET:
        return (f"The home is not ready to let: it was let from {day(void.let_date)}, so void "
                f"{void.reference} is closed.")
    if void.stage == Stage.OFFERED:
        live = (void.offers.filter(outcome__in=[Outcome.PENDING, Outcome.ACCEPTED])
                .order_by("-pk").first())
        who = f" to {live.applicant_name} on {day(live.offered_on)}" if live else ""
        return (f"The home is not ready to let: it has already been offered{who}. Record the "
                f"answer to that offer first.")
    problems = what_is_missing(void)
    if problems:
        return "The home is not ready to let: " + " ".join(problems)
    return "The home is not ready to let: mark it ready to let first."


def outcome_refusal(void: VoidPeriod, offer: Offer) -> str:
    """Why the answer to `offer` cannot be recorded (or changed) now ("" when it can). An
    accepted offer may still fall through before the sign-up: it can then be recorded as
    refused or withdrawn."""
    if void.stage == Stage.LET:
        return f"The home was let from {day(void.let_date)}: the offers can no longer change."
    if offer.outcome in (Outcome.REFUSED, Outcome.WITHDRAWN):
        return (f"This offer was {offer.get_outcome_display().lower()} on "
                f"{day(offer.outcome_on)}. Record a new offer instead.")
    return ""


def split_name(name: str) -> tuple[str, str, str]:
    """An applicant's name as typed on the offer ("Mrs Jane Ann Smith") as (title, first
    names, last name): ("Mrs", "Jane Ann", "Smith"). The officer checks it on the sign-up."""
    words = name.split()
    title = ""
    if len(words) > 1 and words[0].rstrip(".").lower() in TITLES:
        title, words = words[0].rstrip("."), words[1:]
    if len(words) == 1:
        return title, words[0], ""
    return title, " ".join(words[:-1]), " ".join(words[-1:])


def same_person(*, first_name: str, last_name: str, date_of_birth: date | None) -> Person | None:
    """The person already recorded with this name and date of birth (the match
    housing.services.create_person refuses to duplicate), if any."""
    if not (first_name.strip() and last_name.strip() and date_of_birth):
        return None
    return (Person.objects.filter(first_name__iexact=first_name.strip(),
                                  last_name__iexact=last_name.strip(),
                                  date_of_birth=date_of_birth).order_by("pk").first())


# --- Offers -----------------------------------------------------------------------------------


def _check_date(errors: dict, field: str, value: date | None, *, today: date, after: date,
                after_what: str, what: str) -> None:
    if value is None:
        errors[field] = f"Enter the date {what}."
    elif value > today:
        errors[field] = f"The date {what} must be today or in the past."
    elif value < after:
        errors[field] = f"The date {what} cannot be before {after_what} ({day(after)})."


@transaction.atomic
def record_offer(*, void_id: int, applicant_name: str, applicant_reference: str = "",
                 offered_on: date | None, by: User, at: datetime) -> Offer:
    """Offer the (ready to let) home to an applicant: the void moves to "offered"."""
    void = lock(void_id)
    refusal = offer_refusal(void)
    if refusal:
        raise ValidationError(refusal)
    name = " ".join((applicant_name or "").split())
    reference = (applicant_reference or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["applicant_name"] = "Enter the applicant's name."
    elif len(name) > Offer._meta.get_field("applicant_name").max_length:
        errors["applicant_name"] = "Enter the applicant's name in 120 characters or fewer."
    if len(reference) > Offer._meta.get_field("applicant_reference").max_length:
        errors["applicant_reference"] = "Enter the applicant's reference in 30 characters or fewer."
    _check_date(errors, "offered_on", offered_on, today=timezone.localdate(at),
                after=void.start_date, after_what="the home became void", what="of the offer")
    if errors:
        raise ValidationError(errors)
    offer = Offer.objects.create(void=void, applicant_name=name, applicant_reference=reference,
                                 offered_on=offered_on, recorded_by=by, recorded_at=at)
    move(void, to=Stage.OFFERED, on=offered_on, by=by, at=at,
         summary=f"Offered to {name}" + (f" ({reference})" if reference else ""))
    return offer


@transaction.atomic
def record_outcome(*, void_id: int, offer_id: int, outcome: str, outcome_on: date | None,
                   refusal_reason: str = "", by: User, at: datetime) -> Offer:
    """The applicant's answer (or the council's withdrawal). Refused or withdrawn: the home is
    ready to let again, for the next offer. Accepted: the sign-up can follow."""
    void = lock(void_id)
    offer = Offer.objects.select_for_update().filter(pk=offer_id, void=void).first()
    if offer is None:
        raise ValidationError(f"That offer is not one of void {void.reference}'s offers.")
    refusal = outcome_refusal(void, offer)
    if refusal:
        raise ValidationError(refusal)
    reason = (refusal_reason or "").strip()
    errors: dict[str, str] = {}
    if outcome not in (Outcome.ACCEPTED, Outcome.REFUSED, Outcome.WITHDRAWN):
        errors["outcome"] = "Select whether the offer was accepted, refused or withdrawn."
    elif outcome == offer.outcome:
        errors["outcome"] = (f"The offer is already recorded as "
                             f"{offer.get_outcome_display().lower()}.")
    elif outcome == Outcome.REFUSED and not reason:
        errors["refusal_reason"] = "Enter why the applicant refused the offer."
    if offer.outcome == Outcome.ACCEPTED:  # it fell through after the acceptance
        after, after_what = offer.outcome_on, "the offer was accepted"
    else:
        after, after_what = offer.offered_on, "the offer was made"
    _check_date(errors, "outcome_on", outcome_on, today=timezone.localdate(at), after=after,
                after_what=after_what, what="of the answer")
    if errors:
        raise ValidationError(errors)
    offer.outcome, offer.outcome_on = outcome, outcome_on
    offer.refusal_reason = reason if outcome != Outcome.ACCEPTED else ""
    offer.save(update_fields=["outcome", "outcome_on", "refusal_reason"])
    if outcome == Outcome.ACCEPTED:
        move(void, to=Stage.OFFERED, on=outcome_on, by=by, at=at,
             summary=f"{offer.applicant_name} accepted the offer")
    else:
        said = {Outcome.REFUSED: f"{offer.applicant_name} refused the offer",
                Outcome.WITHDRAWN: f"Offer to {offer.applicant_name} withdrawn"}[outcome]
        move(void, to=Stage.READY, on=outcome_on, by=by, at=at, note=reason,
             summary=f"{said}: ready to let again")
    return offer


# --- Sign-up ----------------------------------------------------------------------------------


_PERSON_FIELDS = {"mobile_phone": "phone", "home_phone": "phone"}


@transaction.atomic
def sign_up_from_offer(*, void_id: int, title: str = "", first_name: str, last_name: str,
                       date_of_birth: date | None, phone: str = "", email: str = "",
                       use_existing: bool = False, tenancy_type: str, start_date: date,
                       fixed_term_end_date: date | None = None, by: User,
                       at: datetime) -> Tenancy:
    """Sign up the applicant who accepted the offer: their person record (or, with
    `use_existing`, the one already recorded with the same name and date of birth) and the
    tenancy, through tenancies.services.sign_up, which refuses what the void does not allow
    (works open, a safety check missing, no accepted offer, a start before the void began)
    and closes the void. A refusal anywhere leaves nothing saved, the person included."""
    found = VoidPeriod.objects.filter(pk=void_id).values_list("property_id", flat=True).first()
    if found is None:
        raise ValidationError("That void does not exist.")
    # The home first, then the void: the order tenancies.services.sign_up locks them in.
    Property.objects.select_for_update().get(pk=found)
    void = lock(void_id)
    if not void.is_open:
        raise ValidationError(f"Void {void.reference} was let from {day(void.let_date)}: the "
                              f"home has its new tenancy.")
    offer = accepted_offer(void)
    if offer is None:
        raise ValidationError(f"{void.property} cannot be let yet: record the offer and its "
                              f"acceptance on void {void.reference} first.")
    if start_date < void.start_date:
        raise ValidationError({"start_date": f"The tenancy cannot start before the void began "
                                             f"({day(void.start_date)})."})
    if start_date < offer.offered_on:
        raise ValidationError({"start_date": f"The tenancy cannot start before the offer was "
                                             f"made ({day(offer.offered_on)})."})
    if use_existing:
        person = same_person(first_name=first_name, last_name=last_name,
                             date_of_birth=date_of_birth)
        if person is None:
            raise ValidationError(
                f"No one called {first_name} {last_name} born "
                f"{day(date_of_birth) if date_of_birth else '(no date of birth)'} is recorded: "
                f"untick \"this is the same person\" to add them.")
    else:
        phone = " ".join((phone or "").split())
        mobile = phone.replace(" ", "").startswith(("07", "+447"))
        try:
            person = create_person(
                title=title, first_name=first_name, last_name=last_name,
                date_of_birth=date_of_birth, email=email or "",
                mobile_phone=phone if mobile else "", home_phone="" if mobile else phone,
                by=by, at=at)
        except ValidationError as error:
            raise _renamed(error) from None
    return tenancy_services.sign_up(
        property_id=void.property_id, tenancy_type=tenancy_type, start_date=start_date,
        tenant_ids=[person.pk], fixed_term_end_date=fixed_term_end_date, by=by, at=at)


def _renamed(error: ValidationError) -> ValidationError:
    """create_person's refusals keyed by the sign-up form's field names."""
    if not hasattr(error, "error_dict"):
        return error
    keyed: dict[str, list] = {}
    for name, messages in error.message_dict.items():
        keyed.setdefault(_PERSON_FIELDS.get(name, name), []).extend(messages)
    keyed.setdefault(NON_FIELD_ERRORS, [])
    if not keyed[NON_FIELD_ERRORS]:
        del keyed[NON_FIELD_ERRORS]
    return ValidationError(keyed)
