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
from django.db.models import Q
from django.db.models.functions import Greatest, Lower, Upper
from django.urls import reverse

from housing.access import scope_for_user
from housing.models import Person, Property, User
from housing.validators import normalise_postcode

LIMIT = 8
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?( ?\d[A-Z]{2})?$")
REFERENCE_RE = re.compile(r"^T\d{1,7}$", re.I)
PHONE_RE = re.compile(r"^\+?[\d ]{6,}$")


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
        if len(postcode.replace(" ", "")) >= 5:
            homes = homes.annotate(pc=Upper("postcode")).filter(pc=postcode)
        else:
            homes = homes.annotate(pc=Upper("postcode")).filter(pc__startswith=f"{postcode} ")
        homes = homes.order_by("address_line_1")
    else:
        homes = (homes.annotate(addr=Upper("address_line_1"))
                 .filter(addr__contains=upper).order_by("address_line_1"))
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
            phone = query.replace(" ", "")
            people = people.filter(Q(mobile_phone__contains=phone) | Q(home_phone__contains=phone)
                                   | Q(mobile_phone=query) | Q(home_phone=query))
        else:
            words = query.lower().split()
            last = words[-1]
            # `%>` (word similarity) uses the trigram indexes on lower(name).
            condition = Q(last_name_l__trigram_word_similar=last)
            if len(words) > 1:
                condition |= Q(first_name_l__trigram_word_similar=words[0])
            people = (
                people.annotate(last_name_l=Lower("last_name"), first_name_l=Lower("first_name"))
                .filter(condition)
                .annotate(score=Greatest(
                    TrigramWordSimilarity(last, "last_name_l"),
                    TrigramWordSimilarity(query.lower(), Lower("first_name")) * 0.5,
                ) + (TrigramWordSimilarity(words[0], "first_name_l") * 0.5
                     if len(words) > 1 else 0))
                .order_by("-score", "last_name", "first_name")
            )
    return [Result(label=person.full_name,
                   detail=f"Born {person.date_of_birth:%d/%m/%Y}" if person.date_of_birth else "",
                   url=reverse("people:detail", args=[person.pk]))
            for person in people[:LIMIT]]


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
