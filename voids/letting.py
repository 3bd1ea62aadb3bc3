"""Letting a void home: the offers made on it and the applicants' answers.

An offer is made only when the home is ready to let; it moves the void to "offered". A
refused or withdrawn offer moves it back to "ready", so the next applicant can be offered it;
every offer counts towards CORE's "times offered". Once an offer is accepted, the applicant is
signed up on the one tenancy sign-up screen (tenancies.views.sign_up, reached from the void
page): tenancies.services.sign_up checks the void, closes it, tells Council Tax, keeps the CORE
record and starts the rent. `split_name` prefills that screen from the accepted offer.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from housing.models import User
from voids.models import Offer, Stage, VoidPeriod
from voids.services import day, lock, move, what_is_missing

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
    ready_on = void.ready_on or void.start_date
    _check_date(errors, "offered_on", offered_on, today=timezone.localdate(at),
                after=ready_on, after_what="the home was ready to let", what="of the offer")
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
