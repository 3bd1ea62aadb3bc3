"""Reads about tenancies that other modules share."""

from datetime import date

from django.db.models import Q, QuerySet

from tenancies.models import TenancyMember


def members_at(property_id: int, *, on: date, role: str | None = None) -> QuerySet:
    """The members of the home's tenancy live on `on` who live there that day (tenants only
    with role=TenancyMember.Role.TENANT), oldest first, with their person."""
    members = (TenancyMember.objects
               .filter(tenancy__property_id=property_id, tenancy__start_date__lte=on,
                       start_date__lte=on)
               .filter(Q(tenancy__end_date__isnull=True) | Q(tenancy__end_date__gte=on))
               .filter(Q(end_date__isnull=True) | Q(end_date__gte=on)))
    if role is not None:
        members = members.filter(role=role)
    return members.select_related("person", "tenancy").order_by("start_date", "pk")
