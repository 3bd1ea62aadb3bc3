"""Writes to the property register and to people's records.

Every change to a home or to a person's contact details comes through here, so the same
rules apply to the screens and to anything else that writes: values are normalised (postcode,
UPRN, National Insurance number), the whole record is checked, and a refusal is a
ValidationError whose messages say what to fix, keyed by field so a form can show each one
next to its input. Each service runs in one transaction and writes one audit row (django-
simple-history) naming the user, so nothing is half-saved and the trail says who did it.

A change of a person's name is not here: it is a tenancy event (tenancies.services.change_name),
because the tenancy agreement has to follow it. A home's tenure moves to "rented" and back
only through the tenancy services (sign-up, end of tenancy).
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from housing.models import Adaptation, Alert, Block, Estate, Patch, Person, Property, User
from housing.validators import (
    normalise_nino,
    normalise_postcode,
    normalise_uprn,
    validate_nino,
    validate_phone,
    validate_postcode,
    validate_uprn,
)

# --- Homes ----------------------------------------------------------------------------------

PROPERTY_FIELDS = (
    "uprn", "kind", "property_type", "estate", "block", "address_line_1", "address_line_2",
    "town", "postcode", "bedrooms", "floor_level", "build_year", "tenure", "patch",
)
_TEXT_FIELDS = ("address_line_1", "address_line_2", "town")


@transaction.atomic
def create_property(*, uprn: str, address_line_1: str, town: str, postcode: str,
                    kind: str = Property.Kind.DWELLING, property_type: str = "",
                    estate: Estate | None = None, block: Block | None = None,
                    address_line_2: str = "", bedrooms: int | None = None,
                    floor_level: int | None = None, build_year: int | None = None,
                    tenure: str = Property.Tenure.VOID, patch: Patch | None = None,
                    adaptations: Iterable[Adaptation] = (), by: User | None,
                    at: datetime) -> Property:
    """Add a home or a non-dwelling to the register. The estate comes from the block and the
    patch from the estate when they are left out."""
    home = Property(
        uprn=uprn, kind=kind, property_type=property_type or "", estate=estate, block=block,
        address_line_1=address_line_1, address_line_2=address_line_2 or "", town=town,
        postcode=postcode, bedrooms=bedrooms, floor_level=floor_level, build_year=build_year,
        tenure=tenure, patch=patch,
    )
    errors: dict[str, list] = {}
    if tenure == Property.Tenure.RENTED:
        _add(errors, "tenure", "A new home starts as void, leasehold or sold. It becomes "
                               "rented when a tenancy is signed up.")
    _check_property(home, errors)
    adaptations = list(adaptations)
    _stamp(home, by=by, at=at)
    if not adaptations:
        _save_property(home)
        return home
    # One audit row for the whole creation, adaptations included: save and link without
    # history, then write the row once everything is in place (simple-history would
    # otherwise write a second, "changed" row for the adaptations at the same instant).
    _save_property(home, history=False)
    home.skip_history_when_saving = True
    try:
        home.adaptations.set(adaptations)
    finally:
        del home.skip_history_when_saving
    home.save()
    home.history.filter(history_type="~").update(history_type="+")
    return home


@transaction.atomic
def update_property(*, property_id: int, changes: dict[str, Any], by: User | None,
                    at: datetime) -> Property:
    """Change some of a home's details. `changes` maps field names (those of
    PROPERTY_FIELDS, plus "adaptations": the full new set) to their new values."""
    unknown = set(changes) - {*PROPERTY_FIELDS, "adaptations"}
    if unknown:
        raise ValueError(f"update_property cannot change {', '.join(sorted(unknown))}.")
    home = Property.objects.select_for_update().get(pk=property_id)
    before = {name: getattr(home, _attname(name)) for name in PROPERTY_FIELDS}
    for name, value in changes.items():
        if name != "adaptations":
            setattr(home, name, _blank_if_none(name, value))
    errors: dict[str, list] = {}
    _check_tenure_and_kind(home, before, errors)
    _check_property(home, errors)
    new_adaptations = None
    if "adaptations" in changes:
        wanted = {a.pk for a in changes["adaptations"]}
        if wanted != set(home.adaptations.values_list("pk", flat=True)):
            new_adaptations = wanted
    changed = [name for name in PROPERTY_FIELDS if getattr(home, _attname(name)) != before[name]]
    if not changed and new_adaptations is None:
        return home  # nothing to record
    _stamp(home, by=by, at=at)
    if new_adaptations is not None:
        home.skip_history_when_saving = True
        try:
            home.adaptations.set(new_adaptations)
        finally:
            del home.skip_history_when_saving
    _save_property(home)  # one audit row, with the new adaptations in it
    return home


def _check_property(home: Property, errors: dict[str, list]) -> None:
    """Normalise `home` in place and raise every problem with it at once."""
    home.uprn = normalise_uprn(home.uprn)
    home.postcode = normalise_postcode(home.postcode)
    for name in _TEXT_FIELDS:
        setattr(home, name, " ".join((getattr(home, name) or "").split()))
    if home.block_id is not None:
        if home.estate_id is None:
            home.estate = home.block.estate
        elif home.block.estate_id != home.estate_id:
            _add(errors, "block",
                 f"{home.block.name} is on {home.block.estate.name}, not on "
                 f"{home.estate.name}. Choose a block on {home.estate.name}, or change the "
                 f"estate.")
    if home.patch_id is None:
        if home.estate_id is not None:
            home.patch = home.estate.patch
        else:
            _add(errors, "patch", "Choose the patch this home is in, or choose an estate to "
                                  "take the patch from.")
    if home.kind == Property.Kind.DWELLING and not home.property_type:
        _add(errors, "property_type", "Choose the type of home (house, flat, maisonette, "
                                      "bungalow or bedsit).")
    _check_formats(home, errors, uprn=validate_uprn, postcode=validate_postcode)
    if home.uprn and "uprn" not in errors:
        other = Property.objects.filter(uprn=home.uprn).exclude(pk=home.pk).first()
        if other is not None:
            _add(errors, "uprn", f"UPRN {home.uprn} is already used by {other.short_address}. "
                                 f"Check the UPRN: each home has its own.")
    try:
        # Uniqueness and the check constraints are covered above, with clearer words.
        home.full_clean(exclude=list(errors), validate_unique=False,
                        validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                _add(errors, name, message)
    if errors:
        raise ValidationError(errors)


def _check_tenure_and_kind(home: Property, before: dict, errors: dict[str, list]) -> None:
    from tenancies.models import Tenancy  # tenancies builds on the register, not vice versa

    tenure_changed = home.tenure != before["tenure"]
    kind_changed = home.kind != before["kind"]
    if not (tenure_changed or kind_changed):
        return
    if tenure_changed and home.tenure == Property.Tenure.RENTED:
        _add(errors, "tenure", "A home becomes rented when a tenancy is signed up: let the "
                               "home from its page instead.")
    live = Tenancy.objects.filter(property=home, end_date__isnull=True).first()
    if live is None:
        return
    if tenure_changed and before["tenure"] == Property.Tenure.RENTED:
        _add(errors, "tenure", f"This home has a live tenancy ({live.reference}), so it stays "
                               f"rented. End the tenancy first.")
    if kind_changed:
        _add(errors, "kind", f"This home has a live tenancy ({live.reference}), so it stays a "
                             f"{Property.Kind(before['kind']).label.lower()}.")


def _save_property(home: Property, *, history: bool = True) -> None:
    # The lookup in _check_property names the home a UPRN already belongs to; the unique
    # constraint still decides when two people add the same UPRN at the same moment.
    try:
        with transaction.atomic():
            if history:
                home.save()
            else:
                home.save_without_historical_record()
    except IntegrityError as error:
        if "uprn" in str(error):
            raise ValidationError({"uprn": f"UPRN {home.uprn} has just been added by someone "
                                           f"else. Check the UPRN: each home has its own."}
                                  ) from None
        raise


def _attname(name: str) -> str:
    return f"{name}_id" if name in ("estate", "block", "patch") else name


def _blank_if_none(name: str, value):
    """A text field cleared in a form arrives as None for some callers; store ""."""
    field = Property._meta.get_field(name)
    if value is None and not field.null and not field.is_relation:
        return ""
    return value


# --- People ---------------------------------------------------------------------------------

# What a person's contact record holds, and so what update_person_contact may change. Names
# and date of birth are not here: they identify the person on their tenancy.
CONTACT_FIELDS = (
    "preferred_name", "mobile_phone", "home_phone", "email", "correspondence_address",
    "correspondence_postcode", "preferred_contact_method", "large_print",
    "interpreter_needed", "language", "other_needs", "ni_number",
)


@transaction.atomic
def create_person(*, first_name: str, last_name: str, title: str = "",
                  date_of_birth: date | None = None, by: User | None, at: datetime,
                  **contact: Any) -> Person:
    """Add a person (a new tenant or household member). `contact` takes any of
    CONTACT_FIELDS. Someone already recorded with the same name and date of birth is refused:
    they are the same person, and imports match people on exactly that."""
    unknown = set(contact) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"create_person has no field {', '.join(sorted(unknown))}.")
    person = Person(title=(title or "").strip(), first_name=(first_name or "").strip(),
                    last_name=(last_name or "").strip(), date_of_birth=date_of_birth)
    for name, value in contact.items():
        setattr(person, name, value)
    errors: dict[str, list] = {}
    if person.first_name and person.last_name and date_of_birth is not None:
        same = Person.objects.annotate(first=Lower("first_name"), last=Lower("last_name")).filter(
            first=person.first_name.lower(), last=person.last_name.lower(),
            date_of_birth=date_of_birth).first()
        if same is not None:
            _add(errors, None, f"{same.first_name} {same.last_name}, born "
                               f"{date_of_birth.day} {date_of_birth:%B %Y}, is already "
                               f"recorded. Choose them instead of adding them again.")
    _check_person(person, errors)
    _stamp(person, by=by, at=at)
    person.save()
    return person


@transaction.atomic
def update_person_contact(*, person_id: int, changes: dict[str, Any], by: User | None,
                          at: datetime) -> Person:
    """Change a person's contact details, communication needs or NI number (any of
    CONTACT_FIELDS)."""
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        raise ValueError(
            f"update_person_contact cannot change {', '.join(sorted(unknown))}. A change of "
            f"name is a tenancy event: tenancies.services.change_name.")
    person = Person.objects.select_for_update().get(pk=person_id)
    before = {name: getattr(person, name) for name in CONTACT_FIELDS}
    for name, value in changes.items():
        setattr(person, name, value)
    _check_person(person, {})
    if all(getattr(person, name) == before[name] for name in CONTACT_FIELDS):
        return person  # nothing to record
    _stamp(person, by=by, at=at)
    person.save()
    return person


def _check_person(person: Person, errors: dict[str, list]) -> None:
    for name in ("preferred_name", "language", "other_needs", "email"):
        setattr(person, name, " ".join((getattr(person, name) or "").split()))
    for name in ("mobile_phone", "home_phone"):
        setattr(person, name, " ".join((getattr(person, name) or "").split()))
    person.correspondence_address = "\n".join(
        line.strip() for line in (person.correspondence_address or "").splitlines()
        if line.strip())
    person.correspondence_postcode = normalise_postcode(person.correspondence_postcode)
    person.ni_number = normalise_nino(person.ni_number)
    if person.correspondence_postcode and not person.correspondence_address:
        _add(errors, "correspondence_address",
             "Enter the address to write to, or leave the postcode blank too.")
    _check_formats(person, errors, mobile_phone=validate_phone, home_phone=validate_phone,
                   correspondence_postcode=validate_postcode, ni_number=validate_nino)
    if person.ni_number and "ni_number" not in errors:
        other = Person.objects.filter(ni_number=person.ni_number).exclude(pk=person.pk)
        if other.exists():
            # Not named: the user may not be allowed to see the other person's record.
            _add(errors, "ni_number", f"National Insurance number {person.ni_number} is "
                                      f"already recorded for someone else. Check the number.")
    try:
        person.full_clean(exclude=[name for name in errors if name], validate_unique=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            for message in messages:
                _add(errors, name, _PERSON_MESSAGES.get(message, message))
    if errors:
        raise ValidationError(errors)


# Django's own words for these, as GOV.UK would put them.
_PERSON_MESSAGES = {
    "Enter a valid email address.": "Enter an email address in the correct format, like "
                                    "name@example.com.",
}


# --- Shared ---------------------------------------------------------------------------------

def _add(errors: dict[str, list], field: str | None, message: str) -> None:
    errors.setdefault(field or NON_FIELD_ERRORS, []).append(message)


def _check_formats(record, errors: dict[str, list], **validators) -> None:
    """Run each field's format check first, so a wrong value gets the one message that shows
    the right format (not also "at most 12 characters"); full_clean then skips the field."""
    for name, validate in validators.items():
        value = getattr(record, name)
        if not value:
            continue  # blank: full_clean says whether the field is required
        try:
            validate(value)
        except ValidationError as error:
            for message in error.messages:
                _add(errors, name, message)


def _stamp(record, *, by: User | None, at: datetime) -> None:
    """Who made the change and when, for the record's audit row. Set on the instance, so it
    holds for tasks and imports as well as for requests."""
    record._history_user = by
    record._history_date = at


# --- Alerts ---------------------------------------------------------------------------------

@transaction.atomic
def create_alert(*, person_id: int, category: str, detail: str, start_date: date,
                 end_date: date | None, safety_flag: bool, flag_text: str, by: User,
                 at: datetime) -> Alert:
    """Record a confidential alert on a person. The officer who records it may see it; anyone
    else must be granted it (Admin → Alerts → Object permissions). A safety flag is shown to
    every visitor of the home without the detail."""
    from guardian.shortcuts import assign_perm


    errors: dict[str, list] = {}
    if not detail.strip():
        _add(errors, "detail", "Enter what staff need to know.")
    if end_date is not None and end_date < start_date:
        _add(errors, "end_date", "The end date must be on or after the start date.")
    if safety_flag and not flag_text.strip():
        _add(errors, "flag_text", "Enter the warning visitors will see, like "
                                  "'Do not visit alone'.")
    if errors:
        raise ValidationError(errors)
    alert = Alert(person_id=person_id, category=category, detail=detail.strip(),
                  start_date=start_date, end_date=end_date, safety_flag=safety_flag,
                  flag_text=flag_text.strip() if safety_flag else "")
    _stamp(alert, by=by, at=at)
    alert.save()
    assign_perm("housing.view_alert", by, alert)
    return alert
