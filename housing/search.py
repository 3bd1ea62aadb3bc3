"""The global search: one box that finds homes, people and tenancies, only among the records
the user may see.

- a home by UPRN (digits), postcode (full or outward code) or address (trigram similarity);
- a person by name (fuzzy, pg_trgm, so a misspelt surname still matches), date of birth
  (dd/mm/yyyy) or phone number;
- a tenancy by reference (T0001234).
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import CharField, Func, Q, Value
from django.db.models.functions import Collate, Greatest, Lower, Replace, Upper
from django.urls import reverse

from housing.access import scope_for_user
from housing.models import Person, Property, User
from housing.validators import normalise_postcode

LIMIT = 8
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?( ?\d[A-Z]{2})?$")
REFERENCE_RE = re.compile(r"^T\d{1,7}$", re.I)
PHONE_RE = re.compile(r"^(\+|0)[\d ]{5,}$")  # UK numbers start 0 or +44; UPRNs never with 0


class Soundex(Func):
    """fuzzystrmatch's soundex(): names that sound alike share a code (Watson, Watosn: W325)."""

    function = "soundex"
    output_field = CharField()


@dataclass
class Result:
    label: str
    detail: str
    url: str


@dataclass
class Group:
    title: str
    items: list[Result] = field(default_factory=list)


def parse_date(text: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def search(user: User, query: str) -> list[Group]:
    query = " ".join(query.split())[:100]
    if len(query) < 2:
        return []
    groups = [
        Group("Homes", _homes(user, query)),
        Group("People", _people(user, query)),
        Group("Tenancies", _tenancies(user, query)),
    ]
    return [group for group in groups if group.items]


def _homes(user, query: str) -> list[Result]:
    homes = scope_for_user(user, Property.objects.all())
    upper = query.upper()
    digits = query.replace(" ", "")
    if digits.isdigit() and len(digits) >= 6:
        homes = homes.filter(uprn=digits.lstrip("0"))
    elif POSTCODE_RE.match(upper):
        postcode = normalise_postcode(upper) if " " in upper or len(upper) > 4 else upper
        # Bytewise ("C") order, so that an outward code's LIKE 'EX4 %' is a range of the
        # property_postcode_c_idx index, read in its order: no sort of a third of the register.
        homes = homes.annotate(pc=Collate(Upper("postcode"), "C"))
        if len(postcode.replace(" ", "")) >= 5:
            homes = homes.filter(pc=postcode)
        else:
            homes = homes.filter(pc__startswith=f"{postcode} ")
        homes = homes.order_by("pc", "address_line_1")
    elif len(upper) >= 3:  # shorter text cannot use the trigram index: a scan of every home
        homes = (homes.annotate(addr=Upper("address_line_1"))
                 .filter(addr__contains=upper).order_by("address_line_1"))
    else:
        return []
    return [Result(label=home.short_address, detail=f"UPRN {home.uprn}",
                   url=reverse("properties:detail", args=[home.pk]))
            for home in homes[:LIMIT]]


def _people(user, query: str) -> list[Result]:
    people = scope_for_user(user, Person.objects.all())
    if not people.query.is_empty():
        day = parse_date(query)
        if day:
            people = people.filter(date_of_birth=day).order_by("last_name", "first_name")
        elif PHONE_RE.match(query) and sum(c.isdigit() for c in query) >= 6:
            digits = re.sub(r"\D", "", query)
            if query.startswith("+44"):
                digits = "0" + digits[2:]
            # The numbers without their spaces, as the person_*_digits indexes hold them.
            people = people.annotate(
                mobile_digits=Replace("mobile_phone", Value(" "), Value("")),
                home_digits=Replace("home_phone", Value(" "), Value("")),
            ).filter(Q(mobile_digits=digits) | Q(home_digits=digits)).order_by(
                "last_name", "first_name")
        else:
            words = query.lower().split()
            last = words[-1]
            # `%>` (word similarity) uses the trigram indexes on lower(name); soundex (on
            # its own index) also catches a swapped or dropped letter ("Watosn", "Btler").
            condition = Q(last_name_l__trigram_word_similar=last)
            if len(last) >= 3:
                condition |= Q(last_soundex=Soundex(Value(last)))
            people_named = _scored(people, condition, query, words)
            if len(words) > 1:
                # Both names, if anyone has both: an OR scored every Smith and every John
                # (thousands of rows); when no one matches both, the surname alone.
                both = _scored(people, condition & Q(first_name_l__trigram_word_similar=words[0]),
                               query, words)
                people_named = both if both.exists() else people_named
            people = people_named
    return [Result(label=person.full_name,
                   detail=f"Born {person.date_of_birth:%d/%m/%Y}" if person.date_of_birth else "",
                   url=reverse("people:detail", args=[person.pk]))
            for person in people[:LIMIT]]


def _scored(people, condition, query: str, words: list[str]):
    last = words[-1]
    return (
        people.annotate(last_name_l=Lower("last_name"), first_name_l=Lower("first_name"),
                        last_soundex=Soundex("last_name"))
        .filter(condition)
        .annotate(score=Greatest(
            TrigramWordSimilarity(last, "last_name_l"),
            TrigramWordSimilarity(query.lower(), Lower("first_name")) * 0.5,
        ) + (TrigramWordSimilarity(words[0], "first_name_l") * 0.5
             if len(words) > 1 else 0))
        .order_by("-score", "last_name", "first_name")
    )


def _tenancies(user, query: str) -> list[Result]:
    from tenancies.models import Tenancy

    if not REFERENCE_RE.match(query):
        return []
    number = int(query[1:])
    tenancies = scope_for_user(user, Tenancy.objects.select_related("property")).filter(
        reference=f"T{number:07d}")
    return [Result(label=tenancy.reference, detail=tenancy.property.short_address,
                   url=reverse("tenancies:detail", args=[tenancy.pk]))
            for tenancy in tenancies[:LIMIT]]
